//! `yarn.lock`, both the v1 format and berry (v2+, YAML-shaped): a header line per
//! resolved package (`"a@^1", "a@^1.2":`), indented properties below it. Both are read by
//! one line scanner; the header line is the package's line.

use super::lines::Sink;
use crate::error::DepsError;

/// Read a yarn.lock.
pub fn parse(sink: &mut Sink, text: &str) -> Result<(), DepsError> {
    let mut current: Option<(String, usize, Option<String>)> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            flush(sink, current.take());
            if !trimmed.ends_with(':') {
                return Err(DepsError::lockfile(
                    sink.path(),
                    n,
                    format!(
                        "expected a package header ending in `:`, found `{}`",
                        clip(trimmed)
                    ),
                ));
            }
            current = Some((trimmed.to_string(), n, None));
        } else if let Some((_, _, version)) = current.as_mut() {
            if version.is_none() && line.starts_with("  ") && !line.starts_with("   ") {
                *version = version_of(trimmed);
            }
        } else {
            return Err(DepsError::lockfile(
                sink.path(),
                n,
                "indented line before any package header",
            ));
        }
    }
    flush(sink, current);
    Ok(())
}

fn flush(sink: &mut Sink, entry: Option<(String, usize, Option<String>)>) {
    let Some((header, line, version)) = entry else {
        return;
    };
    if header == "__metadata:" || header.ends_with("@workspace:.\":") {
        return; // berry metadata and the root workspace
    }
    sink.push(&name_of(&header), version.as_deref(), line, false);
}

/// `version "1.2.3"` (v1) or `version: 1.2.3` (berry) → `1.2.3`.
fn version_of(prop: &str) -> Option<String> {
    let rest = prop
        .strip_prefix("\"version\"")
        .or_else(|| prop.strip_prefix("version"))?;
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    if !rest.starts_with(' ') {
        return None;
    }
    let v = rest.trim().trim_matches('"');
    (!v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '+' | '_')))
    .then(|| v.to_string())
}

/// The package name of a header: the first specifier, without its range; an alias
/// (`b@npm:a@^1`) names the real package `a`.
fn name_of(header: &str) -> String {
    let first = header.trim_end_matches(':').split(',').next().unwrap_or("");
    let spec = first.trim().trim_matches('"');
    let (scoped, bare) = match spec.strip_prefix('@') {
        Some(s) => (true, s),
        None => (false, spec),
    };
    let (name, range) = bare.split_once('@').unwrap_or((bare, ""));
    if let Some(alias) = range.strip_prefix("npm:") {
        if alias.contains('@') {
            return name_of(alias);
        }
    }
    if scoped {
        format!("@{name}")
    } else {
        name.to_string()
    }
}

fn clip(s: &str) -> &str {
    let end = s.char_indices().nth(60).map_or(s.len(), |(i, _)| i);
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::Ecosystem;

    fn read(text: &str) -> Vec<(String, Option<String>, usize)> {
        let mut sink = Sink::new(Ecosystem::Npm, "yarn.lock");
        parse(&mut sink, text).unwrap();
        sink.packages
            .into_iter()
            .map(|p| (p.name, p.version, p.line))
            .collect()
    }

    #[test]
    fn v1_and_berry_headers() {
        let v1 = "# yarn lockfile v1\n\n\"@babel/core@^7.0.0\", \"@babel/core@^7.1.0\":\n  version \"7.1.2\"\n  resolved \"https://x\"\n";
        assert_eq!(
            read(v1),
            vec![("@babel/core".into(), Some("7.1.2".into()), 3)]
        );
        let berry = "__metadata:\n  version: 6\n\n\"lodash@npm:^4.17.20\":\n  version: 4.17.20\n  resolution: \"lodash@npm:4.17.20\"\n";
        assert_eq!(
            read(berry),
            vec![("lodash".into(), Some("4.17.20".into()), 4)]
        );
    }

    #[test]
    fn aliases_name_the_real_package() {
        assert_eq!(
            name_of("\"string-width-cjs@npm:string-width@^4.2.0\":"),
            "string-width"
        );
        assert_eq!(name_of("\"@a/b@npm:@c/d@^1\":"), "@c/d");
    }

    #[test]
    fn a_header_without_colon_is_an_error_with_its_line() {
        let mut sink = Sink::new(Ecosystem::Npm, "yarn.lock");
        let err = parse(&mut sink, "a@^1:\n  version \"1.0.0\"\nbroken line\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("yarn.lock:3: expected a package header"),
            "{err}"
        );
    }
}
