//! YAML streams as trees whose every node and key knows its line.
//!
//! `saphyr-parser` (the maintained YAML 1.2 successor of yaml-rust) produces events with
//! spans; [`parse_stream`] builds a small owned tree from them. A stream is first split at
//! its `---` markers (a marker at column 0 ends a document even inside a block scalar), and
//! each document is parsed alone, so one malformed document is reported with its line while
//! the others are still read. Aliases are expanded (with a budget against alias bombs) and
//! merge keys (`<<: *base`) are applied, as docker-compose files use them.

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use std::collections::HashMap;

/// At most this many nodes may be created by expanding aliases in one document.
const ALIAS_BUDGET: usize = 1_000_000;

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

fn parse_chunk(chunk: &str, offset: usize) -> Vec<Result<Document, YamlError>> {
    let mut b = Builder {
        offset,
        stack: Vec::new(),
        anchors: HashMap::new(),
        expanded: 0,
        docs: Vec::new(),
    };
    let mut parser = Parser::new_from_str(chunk);
    while let Some(ev) = parser.next_event() {
        match ev {
            Ok((ev, span)) => {
                if let Err(message) = b.event(ev, span) {
                    let (line, column) = b.pos(span);
                    return vec![Err(YamlError {
                        line,
                        column,
                        message,
                    })];
                }
            }
            Err(e) => {
                let m = e.marker();
                return vec![Err(YamlError {
                    line: m.line() + offset,
                    column: m.col() + 1,
                    message: e.info().to_string(),
                })];
            }
        }
    }
    b.docs.into_iter().map(Ok).collect()
}

enum Frame {
    Seq(Node, usize),
    Map(Node, usize, Option<(String, usize, usize)>),
}

struct Builder {
    offset: usize,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    expanded: usize,
    docs: Vec<Document>,
}

impl Builder {
    fn pos(&self, span: Span) -> (usize, usize) {
        (span.start.line() + self.offset, span.start.col() + 1)
    }

    fn node(&self, span: Span, value: Value) -> Node {
        let (line, column) = self.pos(span);
        Node {
            line,
            column,
            value,
        }
    }

    fn event(&mut self, ev: Event<'_>, span: Span) -> Result<(), String> {
        match ev {
            Event::Scalar(text, style, anchor, _) => {
                let n = self.node(
                    span,
                    Value::Scalar(Scalar {
                        text: text.into_owned(),
                        plain: style == ScalarStyle::Plain,
                        block: matches!(style, ScalarStyle::Literal | ScalarStyle::Folded),
                    }),
                );
                self.complete(n, anchor)
            }
            Event::SequenceStart(anchor, _) => {
                let n = self.node(span, Value::Seq(Vec::new()));
                self.stack.push(Frame::Seq(n, anchor));
                Ok(())
            }
            Event::MappingStart(anchor, _) => {
                let n = self.node(span, Value::Map(Vec::new()));
                self.stack.push(Frame::Map(n, anchor, None));
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq(n, anchor)) => self.complete(n, anchor),
                Some(Frame::Map(mut n, anchor, _)) => {
                    apply_merge_keys(&mut n);
                    self.complete(n, anchor)
                }
                None => Err("unbalanced collection end".into()),
            },
            Event::Alias(id) => {
                let (n, size) = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| "alias to an unknown anchor".to_string())?;
                self.expanded += size;
                if self.expanded > ALIAS_BUDGET {
                    return Err("aliases expand to more than 1,000,000 nodes".into());
                }
                self.complete(n, 0)
            }
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => Ok(()),
        }
    }

    /// A node is finished: record its anchor, then hand it to its parent (or end a document).
    fn complete(&mut self, node: Node, anchor: usize) -> Result<(), String> {
        if anchor > 0 {
            let size = count(&node);
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => self.docs.push(Document { root: node }),
            Some(Frame::Seq(parent, _)) => {
                if let Value::Seq(items) = &mut parent.value {
                    items.push(node);
                }
            }
            Some(Frame::Map(parent, _, key)) => match key.take() {
                None => {
                    let text = match &node.value {
                        Value::Scalar(s) => s.text.clone(),
                        _ => String::new(),
                    };
                    *key = Some((text, node.line, node.column));
                }
                Some((key, line, column)) => {
                    if let Value::Map(entries) = &mut parent.value {
                        entries.push(Entry {
                            key,
                            line,
                            column,
                            value: node,
                        });
                    }
                }
            },
        }
        Ok(())
    }
}

fn count(n: &Node) -> usize {
    1 + match &n.value {
        Value::Scalar(_) => 0,
        Value::Seq(s) => s.iter().map(count).sum(),
        Value::Map(m) => m.iter().map(|e| 1 + count(&e.value)).sum(),
    }
}

/// `<<: *base` (or `<<: [*a, *b]`): copy the merged mappings' entries whose keys the
/// mapping does not set itself, earlier sources first.
fn apply_merge_keys(n: &mut Node) {
    let Value::Map(entries) = &mut n.value else {
        return;
    };
    if !entries.iter().any(|e| e.key == "<<") {
        return;
    }
    let (merges, mut own): (Vec<Entry>, Vec<Entry>) = std::mem::take(entries)
        .into_iter()
        .partition(|e| e.key == "<<");
    for m in merges {
        let sources = match m.value.value {
            Value::Map(_) => vec![m.value],
            Value::Seq(items) => items,
            Value::Scalar(_) => Vec::new(),
        };
        for src in sources {
            if let Value::Map(src_entries) = src.value {
                for e in src_entries {
                    if !own.iter().any(|o| o.key == e.key) {
                        own.push(e);
                    }
                }
            }
        }
    }
    *entries = own;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        let mut docs = parse_stream(text);
        assert_eq!(docs.len(), 1, "{docs:?}");
        docs.remove(0).unwrap().root
    }

    #[test]
    fn keys_and_values_know_their_lines() {
        let n = one("a: 1\nb:\n  c: true\n  d: [x, 'y']\n  e:\n");
        assert_eq!(n.entry("b").unwrap().line, 2);
        let c = n.path("b.c").unwrap();
        assert_eq!((c.line, c.column), (3, 6));
        assert_eq!(c.as_bool(), Some(true));
        assert_eq!(n.get("a").unwrap().as_i64(), Some(1));
        let d = n.path("b.d").unwrap().items();
        assert_eq!(d[1].as_str(), Some("y"));
        assert!(n.path("b.e").unwrap().is_null());
        assert_eq!(n.path("b.e").unwrap().as_str(), None);
    }

    #[test]
    fn quoted_scalars_are_strings() {
        let n = one("a: \"true\"\nb: '1000'\nc: ~\n");
        assert_eq!(n.get("a").unwrap().as_bool(), None);
        assert_eq!(n.get("b").unwrap().as_i64(), None);
        assert!(n.get("c").unwrap().is_null());
    }

    #[test]
    fn documents_keep_stream_lines_and_bad_ones_do_not_stop_the_rest() {
        let docs = parse_stream("# head\na: 1\n---\nb: [1,\n---\nc:\n  d: 2\n");
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0].as_ref().unwrap().root.entry("a").unwrap().line, 2);
        let err = docs[1].as_ref().unwrap_err();
        assert!(err.line >= 4 && err.line <= 5, "{err:?}");
        let d = docs[2].as_ref().unwrap();
        assert_eq!(d.root.path("c.d").unwrap().line, 7);
    }

    #[test]
    fn comment_only_chunks_make_no_document() {
        assert_eq!(parse_stream("---\n# nothing\n---\na: 1\n").len(), 1);
        assert!(parse_stream("").is_empty());
    }

    #[test]
    fn markers_inside_values_do_not_split() {
        let n = one("a: |\n  ---\n  text\nb: '---'\n");
        assert_eq!(n.get("a").unwrap().as_str(), Some("---\ntext\n"));
    }

    #[test]
    fn merge_keys_and_aliases() {
        let n =
            one("x: &base\n  image: app:1\n  user: root\ns:\n  <<: *base\n  user: app\nt: *base\n");
        let s = n.get("s").unwrap();
        assert_eq!(s.get("user").unwrap().as_str(), Some("app"));
        assert_eq!(s.get("image").unwrap().as_str(), Some("app:1"));
        assert_eq!(s.get("image").unwrap().line, 2);
        assert!(s.get("<<").is_none());
        assert_eq!(n.path("t.user").unwrap().as_str(), Some("root"));
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..8 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let docs = parse_stream(&text);
        assert!(docs[0].as_ref().unwrap_err().message.contains("aliases"));
    }

    #[test]
    fn json_is_yaml() {
        let n = one("{\n\t\"a\": {\"b\": [1, 2]},\n\t\"c\": \"d\"\n}\n");
        assert_eq!(n.path("a.b").unwrap().items().len(), 2);
        assert_eq!(n.get("c").unwrap().line, 3);
    }
}
