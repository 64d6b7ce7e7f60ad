//! YAML streams as trees whose every node and key knows its line.
//!
//! `saphyr-parser` (the maintained YAML 1.2 successor of yaml-rust) produces events with
//! spans; [`parse_stream`] builds a small owned tree from them. A stream is first split at
//! its `---` markers (a marker at column 0 ends a document even inside a block scalar), and
//! each document is parsed alone, so one malformed document is reported with its line while
//! the others are still read. Aliases are expanded (with a budget against alias bombs) and
//! merge keys (`<<: *base`) are applied, as docker-compose files use them.

mod build;
#[cfg(test)]
mod tests;

use build::parse_chunk;

/// A node: where it starts (1-based line and column) and what it holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// 1-based line of the node's first character.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// The value.
    pub value: Value,
}

/// A node's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A scalar (every scalar keeps its text; typing is done on demand).
    Scalar(Scalar),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order.
    Map(Vec<Entry>),
}

/// A scalar's text and whether it was written plain (unquoted, not a block).
#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    /// The text after unquoting/unfolding.
    pub text: String,
    /// Written without quotes: only plain scalars are booleans, numbers or null.
    pub plain: bool,
    /// A `|` or `>` block: its text starts on the line after the node's line.
    pub block: bool,
}

/// A mapping entry: the key's text and position, and the value.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The key (non-scalar keys are kept as an empty string).
    pub key: String,
    /// 1-based line of the key.
    pub line: usize,
    /// 1-based column of the key.
    pub column: usize,
    /// The value.
    pub value: Node,
}

static EMPTY_NODES: [Node; 0] = [];
static EMPTY_ENTRIES: [Entry; 0] = [];

impl Node {
    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The entry of `key` in a mapping (for the key's own line).
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries().iter().find(|e| e.key == key)
    }

    /// Follow a dotted path of mapping keys (`securityContext.runAsUser`).
    pub fn path(&self, dotted: &str) -> Option<&Node> {
        dotted.split('.').try_fold(self, |n, k| n.get(k))
    }

    /// The entries of a mapping (empty for anything else).
    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(m) => m,
            _ => &EMPTY_ENTRIES,
        }
    }

    /// The items of a sequence (empty for anything else).
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(s) => s,
            _ => &EMPTY_NODES,
        }
    }

    /// The text of a non-null scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) if !self.is_null() => Some(&s.text),
            _ => None,
        }
    }

    /// A plain `true`/`false` (YAML 1.1 spellings too, as Kubernetes' parser accepts them).
    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Scalar(s) if s.plain => match s.text.as_str() {
                "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
                "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
                    Some(false)
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// A plain integer.
    pub fn as_i64(&self) -> Option<i64> {
        match &self.value {
            Value::Scalar(s) if s.plain => s.text.parse().ok(),
            _ => None,
        }
    }

    /// Null: a plain `~`, `null` or empty scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(s) if s.plain && matches!(s.text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// An empty mapping, empty sequence or null.
    pub fn is_empty(&self) -> bool {
        match &self.value {
            Value::Map(m) => m.is_empty(),
            Value::Seq(s) => s.is_empty(),
            Value::Scalar(_) => self.is_null(),
        }
    }
}

/// A document of a stream.
#[derive(Debug)]
pub struct Document {
    /// The root node.
    pub root: Node,
}

/// A document that could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    /// 1-based line in the whole stream.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What the parser said.
    pub message: String,
}

/// Parse every document of `text`; each is a tree or an error with its stream line.
/// Empty documents (`---` followed by comments only) are left out.
pub fn parse_stream(text: &str) -> Vec<Result<Document, YamlError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    for (offset, chunk) in split_documents(text) {
        out.extend(
            parse_chunk(chunk, offset)
                .into_iter()
                .filter(|d| !matches!(d, Ok(d) if d.root.is_null())),
        );
    }
    out
}

/// Split at lines starting with `---` followed by a blank or the end of the line. Returns
/// each chunk with the number of lines before it.
fn split_documents(text: &str) -> Vec<(usize, &str)> {
    let mut chunks = Vec::new();
    let (mut start, mut start_line, mut line, mut pos) = (0, 0, 0, 0);
    for l in text.split_inclusive('\n') {
        let rest = l.strip_prefix("---");
        let marker = rest.is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t', '\r', '\n']));
        if marker && pos > start {
            chunks.push((start_line, &text[start..pos]));
            start = pos;
            start_line = line;
        }
        pos += l.len();
        line += 1;
    }
    if pos > start || chunks.is_empty() {
        chunks.push((start_line, &text[start..]));
    }
    chunks
}
