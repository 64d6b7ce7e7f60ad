//! Application configuration as name/value settings: YAML and JSON trees, TOML, Java
//! properties, dotenv files, and such files embedded in ConfigMaps.

use super::{InputError, Inventory, K8sObject, ObjectRef, Setting};
use crate::yaml::{self, Node, Value};
use std::sync::Arc;

/// The configuration formats keyward reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigKind {
    /// YAML or JSON.
    Tree,
    /// TOML.
    Toml,
    /// Java `.properties`.
    Properties,
    /// dotenv (`KEY=value`).
    Dotenv,
}

/// The format of a file embedded under `key` in a ConfigMap, judged by its extension.
pub fn embedded_kind(key: &str) -> Option<ConfigKind> {
    let lower = key.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e)?;
    match ext {
        "yaml" | "yml" | "json" => Some(ConfigKind::Tree),
        "toml" => Some(ConfigKind::Toml),
        "properties" => Some(ConfigKind::Properties),
        "env" => Some(ConfigKind::Dotenv),
        _ => None,
    }
}

/// Where settings go: the unit, the object and the file they belong to, and how many lines
/// come before the text being read (for files embedded in a manifest).
#[derive(Clone)]
pub struct Sink {
    /// The suppression scope.
    pub unit: usize,
    /// The object, if any.
    pub object: Option<ObjectRef>,
    /// The file.
    pub path: Arc<str>,
    /// Lines before the text.
    pub offset: usize,
}

impl Sink {
    fn push(&self, inv: &mut Inventory, name: String, value: String, line: usize, column: usize) {
        inv.settings.push(Setting {
            unit: self.unit,
            object: self.object.clone(),
            name,
            value,
            line: line + self.offset,
            column,
            path: self.path.clone(),
        });
    }
}

/// Read a configuration text of `kind` into settings.
pub fn read(
    inv: &mut Inventory,
    sink: &Sink,
    kind: ConfigKind,
    text: &str,
) -> Result<(), InputError> {
    let err = |line: usize, message: String| InputError {
        path: sink.path.to_string(),
        line: Some(line + sink.offset),
        message,
    };
    match kind {
        ConfigKind::Tree => {
            for doc in yaml::parse_stream(text) {
                let doc = doc.map_err(|e| err(e.line, e.message))?;
                read_tree(inv, sink, &doc.root);
            }
        }
        ConfigKind::Toml => read_toml(inv, sink, text).map_err(|(l, m)| err(l, m))?,
        ConfigKind::Properties => read_properties(inv, sink, text),
        ConfigKind::Dotenv => {
            let doc = keyward_env::dotenv::parse(text).map_err(|e| err(e.line, e.message))?;
            for e in doc.entries() {
                sink.push(inv, e.key.clone(), e.value.clone(), e.value_line, e.column);
            }
        }
    }
    Ok(())
}

/// A file embedded in a ConfigMap: errors become notes, never failures of the run.
pub fn read_embedded(inv: &mut Inventory, obj: &K8sObject, key: &str, text: &str, offset: usize) {
    let Some(kind) = embedded_kind(key) else {
        return;
    };
    let sink = Sink {
        unit: obj.unit,
        object: Some(obj.object_ref()),
        path: obj.path.clone(),
        offset,
    };
    if let Err(e) = read(inv, &sink, kind, text) {
        inv.notes
            .push(format!("{e} (in ConfigMap key `{key}`; not checked)"));
    }
}

/// Settings from a YAML/JSON tree: every scalar leaf under its dotted key path; a mapping
/// with `name` and `value` (an env-style list item) is the setting `name = value`.
pub fn read_tree(inv: &mut Inventory, sink: &Sink, root: &Node) {
    walk(inv, sink, root, "");
}

fn walk(inv: &mut Inventory, sink: &Sink, node: &Node, prefix: &str) {
    match &node.value {
        Value::Scalar(_) => {
            if let (Some(v), false) = (node.as_str(), prefix.is_empty()) {
                sink.push(
                    inv,
                    prefix.to_string(),
                    v.to_string(),
                    node.line,
                    node.column,
                );
            }
        }
        Value::Seq(items) => items.iter().for_each(|i| walk(inv, sink, i, prefix)),
        Value::Map(entries) => {
            if let (Some(name), Some(value)) =
                (node.get("name").and_then(Node::as_str), node.get("value"))
            {
                if let Some(v) = value.as_str() {
                    sink.push(
                        inv,
                        name.to_string(),
                        v.to_string(),
                        value.line,
                        value.column,
                    );
                    return;
                }
            }
            for e in entries {
                let p = if prefix.is_empty() {
                    e.key.clone()
                } else {
                    format!("{prefix}.{}", e.key)
                };
                walk(inv, sink, &e.value, &p);
            }
        }
    }
}

/// 1-based line and column of byte `at`.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    keyward_core::policy::line_col(text, at)
}

fn read_toml(inv: &mut Inventory, sink: &Sink, text: &str) -> Result<(), (usize, String)> {
    let doc = toml_edit::ImDocument::parse(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        (line_col(text, at).0, e.message().trim().replace('\n', " "))
    })?;
    toml_table(inv, sink, text, doc.as_table(), "");
    Ok(())
}

fn toml_table(
    inv: &mut Inventory,
    sink: &Sink,
    text: &str,
    table: &toml_edit::Table,
    prefix: &str,
) {
    for (key, item) in table.iter() {
        let p = if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        };
        match item {
            toml_edit::Item::Value(v) => toml_value(inv, sink, text, v, &p),
            toml_edit::Item::Table(t) => toml_table(inv, sink, text, t, &p),
            toml_edit::Item::ArrayOfTables(a) => {
                for t in a.iter() {
                    toml_table(inv, sink, text, t, &p);
                }
            }
            toml_edit::Item::None => {}
        }
    }
}

fn toml_value(inv: &mut Inventory, sink: &Sink, text: &str, v: &toml_edit::Value, name: &str) {
    use toml_edit::Value as V;
    let (line, column) = line_col(text, v.span().map_or(0, |s| s.start));
    match v {
        V::String(s) => sink.push(inv, name.to_string(), s.value().clone(), line, column),
        V::Array(a) => a.iter().for_each(|x| toml_value(inv, sink, text, x, name)),
        V::InlineTable(t) => {
            for (k, x) in t.iter() {
                toml_value(inv, sink, text, x, &format!("{name}.{k}"));
            }
        }
        V::Boolean(b) => sink.push(inv, name.to_string(), b.value().to_string(), line, column),
        _ => {}
    }
}

/// Java properties: `key=value`, `key: value` or `key value`; `#`/`!` comments;
/// a trailing `\` continues the value on the next line.
fn read_properties(inv: &mut Inventory, sink: &Sink, text: &str) {
    let mut lines = text.lines().enumerate();
    while let Some((i, raw)) = lines.next() {
        let line = raw.trim_start();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let split = line
            .find(['=', ':'])
            .or_else(|| line.find(char::is_whitespace))
            .unwrap_or(line.len());
        let key = line[..split].trim().to_string();
        let mut value = line.get(split + 1..).unwrap_or("").trim().to_string();
        while value.ends_with('\\') {
            value.pop();
            match lines.next() {
                Some((_, next)) => value.push_str(next.trim()),
                None => break,
            }
        }
        let column = raw.len() - line.len() + split + 2;
        sink.push(inv, key, value, i + 1, column);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(kind: ConfigKind, text: &str) -> Vec<(String, String, usize)> {
        let mut inv = Inventory::default();
        let sink = Sink {
            unit: 0,
            object: None,
            path: Arc::from("f"),
            offset: 0,
        };
        read(&mut inv, &sink, kind, text).unwrap();
        inv.settings
            .into_iter()
            .map(|s| (s.name, s.value, s.line))
            .collect()
    }

    #[test]
    fn trees_flatten_to_dotted_keys() {
        let s = settings(
            ConfigKind::Tree,
            "spring:\n  datasource:\n    url: jdbc:postgresql://db/app\ncors:\n  origins: ['*', 'https://a']\nenv:\n  - name: TOKEN\n    value: abc\n",
        );
        assert!(s.contains(&(
            "spring.datasource.url".into(),
            "jdbc:postgresql://db/app".into(),
            3
        )));
        assert!(s.contains(&("cors.origins".into(), "*".into(), 5)));
        assert!(s.contains(&("TOKEN".into(), "abc".into(), 8)));
    }

    #[test]
    fn toml_keeps_lines() {
        let s = settings(
            ConfigKind::Toml,
            "[database]\nurl = \"postgres://u:p@db/app\"\n\n[server]\ncors = { origins = [\"*\"] }\n",
        );
        assert!(s.contains(&("database.url".into(), "postgres://u:p@db/app".into(), 2)));
        assert!(s.contains(&("server.cors.origins".into(), "*".into(), 5)));
    }

    #[test]
    fn properties_and_dotenv() {
        let s = settings(
            ConfigKind::Properties,
            "# c\nspring.datasource.password=hunter2\nlong = a\\\n  b\nx: y\n",
        );
        assert_eq!(
            s[0],
            ("spring.datasource.password".into(), "hunter2".into(), 2)
        );
        assert_eq!(s[1], ("long".into(), "ab".into(), 3));
        assert_eq!(s[2], ("x".into(), "y".into(), 5));
        let s = settings(ConfigKind::Dotenv, "\nA=1\nexport B=\"two\"\n");
        assert_eq!(
            s,
            vec![("A".into(), "1".into(), 2), ("B".into(), "two".into(), 3)]
        );
    }

    #[test]
    fn bad_toml_has_a_line() {
        let mut inv = Inventory::default();
        let sink = Sink {
            unit: 0,
            object: None,
            path: Arc::from("c.toml"),
            offset: 0,
        };
        let e = read(&mut inv, &sink, ConfigKind::Toml, "a = 1\nb = \n").unwrap_err();
        assert_eq!(e.line, Some(2));
    }
}
