//! npm `package-lock.json` (v1 `dependencies` tree, v2/v3 `packages` map) and
//! `npm-shrinkwrap.json` (same format).

use super::json::{self, Doc};
use super::lines::Sink;
use crate::error::DepsError;
use jsonc_parser::ast::{Object, Value};
use jsonc_parser::common::Ranged;
use std::collections::HashMap;

/// Read a package-lock / shrinkwrap. One package per name and version (or source), the
/// first declaration's line; dev only when every declaration is dev.
pub fn parse(sink: &mut Sink, text: &str) -> Result<(), DepsError> {
    let path = sink.path().to_string();
    let doc = Doc::parse(&path, text, false)?;
    let root = doc.root_object(&path)?;
    let mut seen = Dedup::default();
    if let Some(packages) = root.get_object("packages") {
        for prop in &packages.properties {
            let key = prop.name.as_str();
            if key.is_empty() {
                continue; // the root project itself
            }
            let Value::Object(o) = &prop.value else {
                return Err(not_object(&doc, &path, key, &prop.value));
            };
            let name = json::string(o, "name").map_or_else(|| name_from_path(key), str::to_string);
            let version = json::string(o, "version");
            let source = json::string(o, "resolved").unwrap_or("");
            let dev = bool_prop(o, "dev");
            let line = doc.line(prop.name.range().start);
            seen.add(sink, &name, version, source, line, dev);
        }
    } else if let Some(deps) = root.get_object("dependencies") {
        walk_v1(&doc, &path, deps, sink, &mut seen)?;
    }
    Ok(())
}

fn walk_v1(
    doc: &Doc<'_>,
    path: &str,
    deps: &Object<'_>,
    sink: &mut Sink,
    seen: &mut Dedup,
) -> Result<(), DepsError> {
    for prop in &deps.properties {
        let key = prop.name.as_str();
        let Value::Object(o) = &prop.value else {
            return Err(not_object(doc, path, key, &prop.value));
        };
        let raw = json::string(o, "version").unwrap_or("");
        let (name, version) = match raw.strip_prefix("npm:").and_then(|a| a.rsplit_once('@')) {
            // `"string-width-cjs": {"version": "npm:string-width@4.2.0"}` is string-width.
            Some((n, v)) => (n.to_string(), Some(v)),
            // git URLs, `file:` paths, tarball URLs: no registry version.
            None if raw.starts_with(|c: char| c.is_ascii_digit()) => (key.to_string(), Some(raw)),
            None => (key.to_string(), None),
        };
        let line = doc.line(prop.name.range().start);
        seen.add(sink, &name, version, raw, line, bool_prop(o, "dev"));
        if let Some(nested) = o.get_object("dependencies") {
            walk_v1(doc, path, nested, sink, seen)?;
        }
    }
    Ok(())
}

/// `node_modules/a/node_modules/@s/b` → `@s/b`; `deps/etag` (a link) → `etag`.
fn name_from_path(key: &str) -> String {
    let tail = key.rsplit("node_modules/").next().unwrap_or(key);
    let mut parts = tail.rsplit('/');
    let last = parts.next().unwrap_or(tail);
    match parts.next() {
        Some(scope) if scope.starts_with('@') => format!("{scope}/{last}"),
        _ => last.to_string(),
    }
}

fn bool_prop(o: &Object<'_>, name: &str) -> bool {
    o.get_boolean(name).is_some_and(|b| b.value)
}

fn not_object(doc: &Doc<'_>, path: &str, key: &str, v: &Value<'_>) -> DepsError {
    DepsError::lockfile(
        path,
        doc.line(v.range().start),
        format!("`{key}` should be an object, found {}", json::kind(v)),
    )
}

/// npm lists a package once per place it is installed; keyward reports it once per
/// name, version and source.
#[derive(Default)]
struct Dedup {
    index: HashMap<String, usize>,
}

impl Dedup {
    fn add(
        &mut self,
        sink: &mut Sink,
        name: &str,
        version: Option<&str>,
        source: &str,
        line: usize,
        dev: bool,
    ) {
        let key = format!("{name}@{}#{source}", version.unwrap_or(""));
        if let Some(&i) = self.index.get(&key) {
            let p = &mut sink.packages[i];
            p.dev &= dev;
            return;
        }
        self.index.insert(key, sink.packages.len());
        sink.push(name, version, line, dev);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::Ecosystem;

    #[test]
    fn names_come_from_the_install_path() {
        assert_eq!(name_from_path("node_modules/a"), "a");
        assert_eq!(name_from_path("node_modules/a/node_modules/@s/b"), "@s/b");
        assert_eq!(name_from_path("deps/etag"), "etag");
    }

    #[test]
    fn v3_lines_point_at_the_package_key() {
        let text = "{\n \"lockfileVersion\": 3,\n \"packages\": {\n  \"\": {},\n  \"node_modules/lodash\": {\n   \"version\": \"4.17.20\", \"dev\": true\n  }\n }\n}\n";
        let mut sink = Sink::new(Ecosystem::Npm, "package-lock.json");
        parse(&mut sink, text).unwrap();
        let p = &sink.packages[0];
        assert_eq!(
            (p.name.as_str(), p.version.as_deref(), p.line, p.dev),
            ("lodash", Some("4.17.20"), 5, true)
        );
    }

    #[test]
    fn a_package_that_is_not_an_object_is_an_error_with_its_line() {
        let text = "{\"packages\": {\n\"node_modules/x\": 3}}";
        let mut sink = Sink::new(Ecosystem::Npm, "package-lock.json");
        let err = parse(&mut sink, text).unwrap_err().to_string();
        assert_eq!(
            err,
            "package-lock.json:2: `node_modules/x` should be an object, found a number"
        );
    }
}
