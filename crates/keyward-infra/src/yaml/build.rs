//! Building the tree from `saphyr-parser` events: anchors, aliases (with a budget) and
//! merge keys.

use super::{Document, Entry, Node, Scalar, Value, YamlError};
use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use std::collections::HashMap;

/// At most this many nodes may be created by expanding aliases in one document.
const ALIAS_BUDGET: usize = 1_000_000;

pub(super) fn parse_chunk(chunk: &str, offset: usize) -> Vec<Result<Document, YamlError>> {
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
