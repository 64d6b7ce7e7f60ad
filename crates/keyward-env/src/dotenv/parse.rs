//! The dotenv parser. See the [module documentation](super) for the accepted syntax.

use super::{Dotenv, Entry, Item};

/// A malformed dotenv line: 1-based line and column (in bytes) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ParseError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in bytes.
    pub column: usize,
    /// What is wrong, in one line.
    pub message: String,
}

/// Is `key` a valid variable name (`[A-Za-z_][A-Za-z0-9_]*`, what a POSIX shell accepts)?
pub fn is_valid_key(key: &str) -> bool {
    let b = key.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// At most this many characters of a name appear in an error message.
const SHOWN_NAME_MAX: usize = 12;

/// How an error message may name `word` from a malformed line: `` `NAME` `` (cut to
/// [`SHOWN_NAME_MAX`] characters, `…` marking the cut) when it looks like a conventional
/// variable name, `None` when it could be a value. A name is upper-case ASCII letters,
/// digits and `_`, in `_`-separated words of at most 12 characters that are mostly letters;
/// anything else (lower case as in `ghp_…` or `sk_live_…`, quotes, long runs, many digits)
/// is treated as a possible secret and not shown at all.
fn shown_name(word: &str) -> Option<String> {
    let b = word.as_bytes();
    let name_like = !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
        && word.split('_').all(|part| {
            let digits = part.bytes().filter(u8::is_ascii_digit).count();
            part.len() <= 12 && digits * 4 <= part.len()
        });
    if !name_like {
        return None;
    }
    let mut shown: String = word.chars().take(SHOWN_NAME_MAX).collect();
    if word.len() > SHOWN_NAME_MAX {
        shown.push('…');
    }
    Some(format!("`{shown}`"))
}

/// Parse dotenv text, keeping comments, blank lines and order.
pub fn parse(text: &str) -> Result<Dotenv, ParseError> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        pos: 0,
        line: 1,
        line_start: 0,
    };
    let mut items = Vec::new();
    while p.pos < p.s.len() {
        items.push(p.item()?);
    }
    Ok(Dotenv { items })
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    line: usize,
    line_start: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn at_eol(&self) -> bool {
        match self.peek() {
            None | Some(b'\n') => true,
            Some(b'\r') => self.s.get(self.pos + 1) == Some(&b'\n'),
            _ => false,
        }
    }

    fn column(&self) -> usize {
        self.pos - self.line_start + 1
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            line: self.line,
            column: self.column(),
            message: message.into(),
        }
    }

    /// Advance one byte, tracking lines.
    fn bump(&mut self) -> u8 {
        let c = self.s[self.pos];
        self.pos += 1;
        if c == b'\n' {
            self.line += 1;
            self.line_start = self.pos;
        }
        c
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// Consume the line ending (if any) and return the text up to it.
    fn rest_of_line(&mut self, from: usize) -> String {
        while !self.at_eol() {
            self.pos += 1;
        }
        let end = self.pos;
        self.eat_newline();
        self.text[from..end].trim_end_matches('\r').to_string()
    }

    fn eat_newline(&mut self) {
        if self.peek() == Some(b'\r') {
            self.pos += 1;
        }
        if self.peek() == Some(b'\n') {
            self.bump();
        }
    }

    fn item(&mut self) -> Result<Item, ParseError> {
        let start = self.pos;
        self.skip_blanks();
        if self.at_eol() || self.peek() == Some(b'#') {
            return Ok(Item::Raw(self.rest_of_line(start)));
        }
        let (line, column) = (self.line, self.column());
        let export = self.s[self.pos..].starts_with(b"export")
            && matches!(self.s.get(self.pos + 6), Some(b' ' | b'\t'));
        if export {
            self.pos += 6;
            self.skip_blanks();
        }
        let key_start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_') {
            self.pos += 1;
        }
        let key = &self.text[key_start..self.pos];
        if !is_valid_key(key) {
            // Never quote the text: a malformed line is often a pasted value (a token on a
            // line of its own, a quoted secret). Show a short prefix only of what looks
            // like a variable name.
            let word: String = self.text[key_start..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '=')
                .collect();
            return Err(ParseError {
                line,
                column: key_start - self.line_start + 1,
                message: if word.is_empty() {
                    "expected a variable name".into()
                } else {
                    format!(
                        "{} is not a valid variable name (letters, digits and `_`, not starting with a digit)",
                        shown_name(&word).unwrap_or_else(|| "the text here".into())
                    )
                },
            });
        }
        self.skip_blanks();
        if self.peek() != Some(b'=') {
            let after = match shown_name(key) {
                Some(name) => format!("after {name}"),
                None => "after the variable name".into(),
            };
            return Err(self.error(format!("expected `=` {after}")));
        }
        self.pos += 1;
        self.skip_blanks();
        let value_line = self.line;
        let value_start = self.pos;
        let value = self.value()?;
        let value_end = self.pos;
        self.skip_blanks();
        let comment = if self.peek() == Some(b'#') {
            let from = self.pos + 1;
            Some(self.rest_of_line(from))
        } else if self.at_eol() {
            self.eat_newline();
            None
        } else {
            return Err(self.error("unexpected text after the value"));
        };
        Ok(Item::Entry(Entry {
            key: key.to_string(),
            value,
            export,
            comment,
            line,
            column,
            value_line,
            value_span: (value_start, value_end),
            raw: Some(self.text[start..self.pos].to_string()),
        }))
    }

    /// A value: a concatenation of single-quoted, double-quoted and unquoted segments, up
    /// to the end of the line or blanks followed by `#`. Leaves `pos` after the value
    /// (before trailing blanks).
    fn value(&mut self) -> Result<String, ParseError> {
        let mut out = Vec::new();
        loop {
            if self.at_eol() {
                break;
            }
            match self.peek().expect("not at end") {
                b'\'' => self.single_quoted(&mut out)?,
                b'"' => self.double_quoted(&mut out)?,
                b'\\' => {
                    self.pos += 1;
                    match self.peek() {
                        None => out.push(b'\\'),
                        Some(b'\n') => {
                            self.bump();
                        }
                        Some(_) => out.push(self.bump()),
                    }
                }
                b' ' | b'\t' => {
                    let blanks = self.pos;
                    self.skip_blanks();
                    if self.at_eol() || self.peek() == Some(b'#') {
                        self.pos = blanks;
                        break;
                    }
                    out.extend_from_slice(&self.s[blanks..self.pos]);
                }
                _ => out.push(self.bump()),
            }
        }
        // Segments end on ASCII delimiters, so the bytes are valid UTF-8.
        Ok(String::from_utf8(out).expect("dotenv value is UTF-8"))
    }

    fn single_quoted(&mut self, out: &mut Vec<u8>) -> Result<(), ParseError> {
        let opened = self.error("unterminated single quote (opened here)");
        self.pos += 1;
        loop {
            match self.peek() {
                None => return Err(opened),
                Some(b'\'') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(_) => out.push(self.bump()),
            }
        }
    }

    fn double_quoted(&mut self, out: &mut Vec<u8>) -> Result<(), ParseError> {
        let opened = self.error("unterminated double quote (opened here)");
        self.pos += 1;
        loop {
            match self.peek() {
                None => return Err(opened),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        None => return Err(opened),
                        Some(b'n') => out.push(b'\n'),
                        Some(b'r') => out.push(b'\r'),
                        Some(b't') => out.push(b'\t'),
                        Some(c @ (b'"' | b'\\' | b'$' | b'`')) => out.push(c),
                        Some(b'\n') => {}
                        Some(_) => {
                            out.push(b'\\');
                            continue;
                        }
                    }
                    self.bump();
                }
                Some(_) => out.push(self.bump()),
            }
        }
    }
}
