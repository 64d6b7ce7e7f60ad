//! `Pipfile.lock`: JSON with `default` and `develop` maps of `name → {"version": "==x"}`.

use super::json::{self, Doc};
use super::lines::Sink;
use crate::error::DepsError;
use jsonc_parser::ast::Value;
use jsonc_parser::common::Ranged;

/// Read a Pipfile.lock; entries without a `==` version (git, editable paths) are skipped.
/// A package in both groups is listed once, as a dev dependency only if it is only in
/// `develop`.
pub fn parse(sink: &mut Sink, text: &str) -> Result<(), DepsError> {
    if text.trim().is_empty() {
        return Ok(());
    }
    let path = sink.path().to_string();
    let doc = Doc::parse(&path, text, false)?;
    let root = doc.root_object(&path)?;
    for (group, dev) in [("default", false), ("develop", true)] {
        let Some(entries) = root.get_object(group) else {
            continue;
        };
        for prop in &entries.properties {
            let Value::Object(o) = &prop.value else {
                return Err(DepsError::lockfile(
                    &path,
                    doc.line(prop.value.range().start),
                    format!("`{}` should be an object", prop.name.as_str()),
                ));
            };
            let Some(version) = json::string(o, "version") else {
                continue;
            };
            let version = version.trim_start_matches("===").trim_start_matches("==");
            let name = prop.name.as_str();
            let norm = crate::package::pep503(name);
            if sink
                .packages
                .iter()
                .any(|p| p.name == norm && p.version.as_deref() == Some(version))
            {
                continue; // in `default` already
            }
            let line = doc.line(prop.name.range().start);
            sink.push(name, Some(version), line, dev);
        }
    }
    Ok(())
}
