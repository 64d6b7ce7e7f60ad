//! The TOML lockfiles: `Cargo.lock`, `poetry.lock`, `uv.lock`, `pdm.lock` (arrays of
//! `[[package]]` tables) and `pylock.toml` (PEP 751, `[[packages]]`). Each package's line
//! is its `[[package]]` header (or, for an inline table, the line of its `name`).

use super::lines::{LineIndex, Sink};
use crate::error::DepsError;
use serde::Deserialize;
use toml::Spanned;

/// Which TOML lockfile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// Cargo.lock.
    Cargo,
    /// poetry.lock.
    Poetry,
    /// uv.lock.
    Uv,
    /// pdm.lock.
    Pdm,
    /// pylock.toml.
    Pylock,
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    package: Vec<Entry>,
    #[serde(default)]
    packages: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    name: Option<Spanned<String>>,
    version: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    source: Option<toml::Value>,
}

/// Read one TOML lockfile of `flavor`.
pub fn parse(sink: &mut Sink, text: &str, flavor: Flavor) -> Result<(), DepsError> {
    let lines = LineIndex::new(text);
    let file: File = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |s| lines.line(s.start));
        DepsError::lockfile(
            sink.path(),
            line,
            format!("invalid TOML: {}", e.message().replace('\n', " ").trim()),
        )
    })?;
    let entries = if flavor == Flavor::Pylock {
        file.packages
    } else {
        file.package
    };
    for e in entries {
        let Some(name) = e.name else {
            continue;
        };
        let line = header_line(text, &lines, name.span().start);
        if flavor == Flavor::Uv && is_uv_project(e.source.as_ref()) {
            continue; // the project itself (`source = { virtual = "." }`)
        }
        if flavor == Flavor::Pylock && e.version.is_none() {
            continue; // a directory or archive without a version
        }
        let dev = match flavor {
            Flavor::Poetry => {
                e.category.as_deref() == Some("dev")
                    || (!e.groups.is_empty() && !e.groups.iter().any(|g| g == "main"))
            }
            Flavor::Pdm => !e.groups.is_empty() && !e.groups.iter().any(|g| g == "default"),
            Flavor::Cargo | Flavor::Uv | Flavor::Pylock => false,
        };
        sink.push(name.get_ref(), e.version.as_deref(), line, dev);
    }
    Ok(())
}

fn is_uv_project(source: Option<&toml::Value>) -> bool {
    source
        .and_then(toml::Value::as_table)
        .is_some_and(|t| t.contains_key("virtual") || t.contains_key("editable"))
}

/// The line of the `[[package]]` header above byte `at` (the entry's `name` value); the
/// line of `at` itself when the entry is an inline table.
fn header_line(text: &str, lines: &LineIndex, at: usize) -> usize {
    let name_line = lines.line(at);
    let before = &text[..at];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    if before[line_start..].contains('{') {
        return name_line; // `{ name = "…", … }` on one line
    }
    let mut n = name_line;
    for l in before[..line_start].lines().rev() {
        n -= 1;
        let t = l.trim_start();
        if t.starts_with("[[") {
            return n;
        }
        if t.starts_with('[') {
            break;
        }
    }
    name_line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::Ecosystem;

    fn read(text: &str, flavor: Flavor) -> Vec<(String, Option<String>, usize, bool)> {
        let mut sink = Sink::new(Ecosystem::PyPI, "x.lock");
        parse(&mut sink, text, flavor).unwrap();
        sink.packages
            .into_iter()
            .map(|p| (p.name, p.version, p.line, p.dev))
            .collect()
    }

    #[test]
    fn lines_are_package_headers() {
        let text = "version = 1\n\n[[package]]\nother = 1\nname = \"Django\"\nversion = \"3.2\"\ncategory = \"dev\"\n\n[[package]]\nname = \"b\"\nversion = \"1\"\n";
        assert_eq!(
            read(text, Flavor::Poetry),
            vec![
                ("django".into(), Some("3.2".into()), 3, true),
                ("b".into(), Some("1".into()), 9, false)
            ]
        );
    }

    #[test]
    fn pylock_inline_entries_use_the_name_line() {
        let text = "lock-version = \"1.0\"\npackages = [\n  { name = \"a\", version = \"1.0\" },\n  { name = \"me\", directory = { path = \".\" } },\n]\n";
        assert_eq!(
            read(text, Flavor::Pylock),
            vec![("a".into(), Some("1.0".into()), 3, false)]
        );
    }

    #[test]
    fn invalid_toml_names_the_line() {
        let mut sink = Sink::new(Ecosystem::CratesIo, "Cargo.lock");
        let err = parse(
            &mut sink,
            "[[package]]\nname = \"a\"\nversion = \n",
            Flavor::Cargo,
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("Cargo.lock:3: invalid TOML"), "{err}");
    }
}
