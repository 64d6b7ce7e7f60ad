//! `pnpm-lock.yaml`, lockfile versions 5 to 9, read with `saphyr` (a maintained, pure-Rust
//! YAML 1.2 loader whose nodes carry spans, so each package keeps the line of its key).
//!
//! Keys of the `packages` map are dependency paths: `/name/1.2.3_peer` (v5),
//! `/name@1.2.3(peer)` (v6–v8), `name@1.2.3` (v9); an entry's `name`/`version` fields win
//! over the path (tarball and git dependencies), and `dev: true` marks dev dependencies
//! (v9 no longer records it in `packages`).

use super::lines::Sink;
use crate::error::DepsError;
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

/// Read a pnpm-lock.yaml.
pub fn parse(sink: &mut Sink, text: &str) -> Result<(), DepsError> {
    let docs = MarkedYaml::load_from_str(text).map_err(|e| {
        DepsError::lockfile(
            sink.path(),
            e.marker().line(),
            format!("invalid YAML: {}", e.info()),
        )
    })?;
    let Some(doc) = docs.into_iter().next() else {
        return Ok(()); // an empty file
    };
    let root = match &doc.data {
        YamlData::Mapping(m) => m,
        YamlData::Value(Scalar::Null) => return Ok(()),
        _ => {
            return Err(DepsError::lockfile(
                sink.path(),
                doc.span.start.line(),
                "expected a mapping at the top level of pnpm-lock.yaml",
            ))
        }
    };
    let version = get(root, "lockfileVersion")
        .and_then(scalar)
        .and_then(|v| v.trim_matches('\'').parse::<f64>().ok())
        .unwrap_or(0.0);
    let Some(packages) = get(root, "packages") else {
        return Ok(());
    };
    let YamlData::Mapping(packages) = &packages.data else {
        return Ok(()); // `packages:` with no entries
    };
    for (key, entry) in packages {
        let line = key.span.start.line();
        let Some(path) = scalar(key) else { continue };
        let (mut name, mut ver) = match split_path(&path, version) {
            Ok(Some(nv)) => nv,
            // Local and git paths: only the entry's own `name`/`version` can name it.
            Ok(None) => (String::new(), String::new()),
            Err(()) => {
                return Err(DepsError::lockfile(
                    sink.path(),
                    line,
                    format!("invalid dependency path: {path}"),
                ))
            }
        };
        let mut dev = false;
        if let YamlData::Mapping(fields) = &entry.data {
            if let Some(n) = get(fields, "name").and_then(scalar) {
                name = n;
            }
            if let Some(v) = get(fields, "version").and_then(scalar) {
                ver = v;
            }
            dev = get(fields, "dev")
                .is_some_and(|d| matches!(d.data, YamlData::Value(Scalar::Boolean(true))));
        }
        if !name.is_empty() && !ver.is_empty() {
            sink.push(&name, Some(&ver), line, dev);
        }
    }
    Ok(())
}

/// A mapping's value for a string key.
fn get<'a, 'i>(
    m: &'a saphyr::AnnotatedMapping<'i, MarkedYaml<'i>>,
    key: &str,
) -> Option<&'a MarkedYaml<'i>> {
    m.iter()
        .find(|(k, _)| scalar(k).as_deref() == Some(key))
        .map(|(_, v)| v)
}

/// The text of a scalar node (numbers and booleans as written in canonical form).
fn scalar(n: &MarkedYaml<'_>) -> Option<String> {
    match &n.data {
        YamlData::Value(Scalar::String(s)) => Some(s.to_string()),
        YamlData::Value(Scalar::Integer(i)) => Some(i.to_string()),
        YamlData::Value(Scalar::FloatingPoint(f)) => Some(f.to_string()),
        YamlData::Value(Scalar::Boolean(b)) => Some(b.to_string()),
        YamlData::Representation(s, _, _) => Some(s.to_string()),
        _ => None,
    }
}

/// Name and version of a dependency path; `Ok(None)` for local (`file:`) and non-registry
/// paths (their entry must name them), `Err` for a path that is not one.
fn split_path(path: &str, lockfile_version: f64) -> Result<Option<(String, String)>, ()> {
    if path.starts_with("file:") {
        return Ok(None);
    }
    if lockfile_version >= 9.0 {
        let p = path.trim_matches('\'');
        let (scope, bare) = match p.strip_prefix('@') {
            Some(b) => ("@", b),
            None => ("", p),
        };
        let (name, version) = bare.split_once('@').unwrap_or((bare, ""));
        return Ok(Some((format!("{scope}{name}"), version.to_string())));
    }
    let parts: Vec<&str> = path.split('/').collect();
    if parts.len() < 2 {
        return Err(());
    }
    let rest = &parts[1..];
    let (mut name, rest) = if rest[0].starts_with('@') && rest.len() >= 2 {
        (format!("{}/{}", rest[0], rest[1]), &rest[2..])
    } else {
        (rest[0].to_string(), &rest[1..])
    };
    let mut version = rest.first().map(|s| s.to_string()).unwrap_or_default();
    if version.is_empty() {
        // v6: `/name@1.2.3(peer@1)`
        match name_at_version(&name) {
            Some((n, v)) => {
                name = n;
                version = v;
            }
            None => return Ok(None),
        }
    }
    if !version.starts_with(|c: char| c.is_ascii_digit()) {
        return Ok(None);
    }
    if let Some(i) = version.find('_') {
        version.truncate(i); // v5 peer suffix
    }
    Ok(Some((name, version)))
}

/// `name@1.2.3(peer)` → (`name`, `1.2.3`).
fn name_at_version(s: &str) -> Option<(String, String)> {
    let head = s.split('(').next().unwrap_or(s);
    let at = head.rfind('@').filter(|&i| i > 0)?;
    let (name, version) = (&head[..at], &head[at + 1..]);
    let ok = !version.is_empty()
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    ok.then(|| (name.to_string(), version.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_paths_of_each_version() {
        let nv = |p, v| split_path(p, v).unwrap();
        assert_eq!(
            nv("/lodash/4.17.20", 5.4),
            Some(("lodash".into(), "4.17.20".into()))
        );
        assert_eq!(
            nv("/@babel/core/7.0.0_eslint@8", 5.4),
            Some(("@babel/core".into(), "7.0.0".into()))
        );
        assert_eq!(
            nv("/@babel/core@7.0.0(eslint@8)", 6.0),
            Some(("@babel/core".into(), "7.0.0".into()))
        );
        assert_eq!(
            nv("@babel/core@7.0.0", 9.0),
            Some(("@babel/core".into(), "7.0.0".into()))
        );
        assert_eq!(nv("github.com/a/b/abcdef", 5.4), None);
        assert_eq!(split_path("invalidpath", 5.4), Err(()));
    }

    #[test]
    fn lines_and_dev_flags() {
        let text = "lockfileVersion: 5.4\n\npackages:\n\n  /lodash/4.17.20:\n    resolution: {integrity: x}\n    dev: true\n";
        let mut sink = Sink::new(crate::package::Ecosystem::Npm, "pnpm-lock.yaml");
        parse(&mut sink, text).unwrap();
        let p = &sink.packages[0];
        assert_eq!(
            (p.name.as_str(), p.version.as_deref(), p.line, p.dev),
            ("lodash", Some("4.17.20"), 5, true)
        );
    }
}
