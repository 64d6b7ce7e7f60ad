//! `bun.lock` (bun ≥ 1.2, text format): JSONC whose `packages` map holds one tuple per
//! installed package, `"key": ["name@version", registry, info, integrity]`.

use super::json::Doc;
use super::lines::Sink;
use crate::error::DepsError;
use jsonc_parser::ast::Value;
use jsonc_parser::common::Ranged;

/// Read a bun.lock.
pub fn parse(sink: &mut Sink, text: &str) -> Result<(), DepsError> {
    let path = sink.path().to_string();
    let doc = Doc::parse(&path, text, true)?;
    let root = doc.root_object(&path)?;
    let Some(packages) = root.get_object("packages") else {
        return Ok(());
    };
    for prop in &packages.properties {
        let key = prop.name.as_str();
        let line = doc.line(prop.name.range().start);
        let first = match &prop.value {
            Value::Array(a) => a.elements.first(),
            _ => None,
        };
        let Some(Value::StringLit(spec)) = first else {
            return Err(DepsError::lockfile(
                &path,
                line,
                format!("package `{key}` should be an array starting with \"name@version\""),
            ));
        };
        let (name, version) = split_spec(&spec.value);
        sink.push(&name, version, line, false);
    }
    Ok(())
}

/// `@s/n@1.2.3` → (`@s/n`, `1.2.3`); git (`…#commit`) and `file:` specs have no version.
fn split_spec(spec: &str) -> (String, Option<&str>) {
    let (scope, bare) = match spec.strip_prefix('@') {
        Some(b) => ("@", b),
        None => ("", spec),
    };
    let (name, version) = bare.split_once('@').unwrap_or((bare, ""));
    let version = (!version.contains('#') && !version.starts_with("file:")).then_some(version);
    (format!("{scope}{name}"), version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        assert_eq!(split_spec("@s/n@1.2.3"), ("@s/n".into(), Some("1.2.3")));
        assert_eq!(split_spec("x@github:a/b#abc"), ("x".into(), None));
        assert_eq!(split_spec("y@file:../y"), ("y".into(), None));
    }

    #[test]
    fn trailing_commas_and_lines() {
        let text = "{\n  \"lockfileVersion\": 1,\n  \"packages\": {\n    \"ws\": [\"ws@7.4.5\", \"\", {}, \"sha512-x\"],\n  },\n}\n";
        let mut sink = Sink::new(crate::package::Ecosystem::Npm, "bun.lock");
        parse(&mut sink, text).unwrap();
        assert_eq!(
            (sink.packages[0].name.as_str(), sink.packages[0].line),
            ("ws", 4)
        );
    }
}
