//! Dockerfile syntax: instructions (continuations, comments, heredocs, the `escape`
//! directive), shell-like words and variable substitution.

use crate::model::ALLOW_KEY;
use std::collections::HashMap;

/// One instruction, continuation lines joined.
pub(super) struct Instruction {
    pub(super) line: usize,
    pub(super) keyword: String,
    pub(super) args: String,
    /// Physical lines (1-based number, text) the instruction spans.
    parts: Vec<(usize, String)>,
}

impl Instruction {
    /// The physical line holding `needle` (the instruction's first line if none does).
    pub(super) fn line_of(&self, needle: &str) -> (usize, usize) {
        self.parts
            .iter()
            .find_map(|(n, t)| t.find(needle).map(|c| (*n, c + 1)))
            .unwrap_or((self.line, 1))
    }
}

/// Split into instructions: comments and blank lines dropped (also inside continuations),
/// heredoc bodies skipped, `# keyward.dev/allow: …` comments collected.
pub(super) fn instructions(text: &str, allow: &mut Vec<String>) -> Vec<Instruction> {
    let mut escape = '\\';
    let mut out: Vec<Instruction> = Vec::new();
    let mut cur: Option<Instruction> = None;
    let mut heredoc: Option<(String, bool)> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        if let Some((word, dash)) = &heredoc {
            let t = if *dash { raw.trim_start() } else { raw };
            if t == word {
                heredoc = None;
            }
            continue;
        }
        let t = raw.trim();
        if let Some(c) = t.strip_prefix('#') {
            let c = c.trim();
            if out.is_empty() && cur.is_none() {
                if let Some(e) = c.strip_prefix("escape=") {
                    escape = e.trim().chars().next().unwrap_or('\\');
                }
            }
            if let Some(rest) = c.strip_prefix(ALLOW_KEY) {
                allow.push(rest.trim_start_matches([':', ' ']).to_string());
            }
            continue;
        }
        if t.is_empty() {
            continue;
        }
        let continues = t.ends_with(escape);
        let body = if continues {
            &t[..t.len() - escape.len_utf8()]
        } else {
            t
        };
        match &mut cur {
            Some(ins) => {
                ins.args.push(' ');
                ins.args.push_str(body.trim());
                ins.parts.push((n, raw.to_string()));
            }
            None => {
                let (kw, args) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
                cur = Some(Instruction {
                    line: n,
                    keyword: kw.to_ascii_uppercase(),
                    args: args.trim().to_string(),
                    parts: vec![(n, raw.to_string())],
                });
            }
        }
        if !continues {
            let ins = cur.take().expect("instruction in progress");
            heredoc = heredoc_word(&ins.args);
            out.push(ins);
        }
    }
    out.extend(cur);
    out
}

/// `<<EOF`, `<<-EOF`, `<<"EOF"` in an instruction: the delimiter and whether it may be indented.
fn heredoc_word(args: &str) -> Option<(String, bool)> {
    let at = args.find("<<")?;
    let rest = &args[at + 2..];
    let (dash, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let word: String = rest
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty()).then_some((word, dash))
}

/// Shell-like words: quotes removed, `\` escapes honoured, `=` kept inside words.
pub fn words(s: &str) -> Vec<String> {
    let (mut out, mut cur, mut quote, mut any) = (Vec::new(), String::new(), None, false);
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, c) if c.is_whitespace() => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (Some(q), c) if c == q => quote = None,
            (Some('\''), c) => cur.push(c),
            (_, '\\') => {
                cur.extend(chars.next());
                any = true;
            }
            (_, c) => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

/// Substitute `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}` and `${VAR:+alt}`;
/// unknown variables are left as written.
pub fn expand(s: &str, vars: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (expr, len) = if let Some(body) = after.strip_prefix('{') {
            match body.find('}') {
                Some(end) => (&body[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        if expr.is_empty() {
            out.push('$');
            rest = after;
            continue;
        }
        let name_end = expr.find([':', '-', '+']).unwrap_or(expr.len());
        let (name, op) = expr.split_at(name_end);
        let value = vars.get(name).filter(|v| !v.is_empty());
        let replaced = match (op.get(..2), op.get(..1)) {
            (Some(":-"), _) => Some(value.cloned().unwrap_or_else(|| op[2..].to_string())),
            (Some(":+"), _) => Some(value.map(|_| op[2..].to_string()).unwrap_or_default()),
            (_, Some("-")) => Some(
                vars.get(name)
                    .cloned()
                    .unwrap_or_else(|| op[1..].to_string()),
            ),
            _ => value.cloned(),
        };
        match replaced {
            Some(v) => out.push_str(&v),
            None => out.push_str(&rest[at..at + 1 + len]),
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}
