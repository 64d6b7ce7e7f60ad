//! pip requirements files (`requirements*.txt`): exact pins (`==`, `===`) give a version;
//! other specifiers (`>=`, `~=`, wildcards, several clauses) name a package without a
//! version, because a range is not what is installed. `-r` includes are followed (each
//! package keeps its own file and line); `-c` constraints, editables, URLs and paths are
//! not packages. Extras are dropped; environment markers are kept on the package.

use super::lines::Sink;
use crate::error::DepsError;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Read `text` (shown as `shown`); `file` is its location on disk for resolving `-r`
/// includes (`None` for stdin: includes resolve from the current directory).
pub fn parse(
    sink: &mut Sink,
    shown: &str,
    text: &str,
    file: Option<&Path>,
) -> Result<(), DepsError> {
    let mut visited = HashSet::new();
    if let Some(f) = file {
        visited.insert(f.canonicalize().unwrap_or_else(|_| f.to_path_buf()));
    }
    read(sink, shown, text, file, &mut visited)
}

fn read(
    sink: &mut Sink,
    shown: &str,
    text: &str,
    file: Option<&Path>,
    visited: &mut HashSet<PathBuf>,
) -> Result<(), DepsError> {
    for (line, logical) in logical_lines(text) {
        let l = strip_comment(&logical);
        if l.is_empty() {
            continue;
        }
        if let Some(target) = include_target(l) {
            let base = file.and_then(Path::parent).unwrap_or(Path::new(""));
            let inc = base.join(target);
            let key = inc.canonicalize().unwrap_or_else(|_| inc.clone());
            if !visited.insert(key) {
                continue; // already read: an include cycle or a diamond
            }
            let text = std::fs::read_to_string(&inc).map_err(|e| {
                DepsError::lockfile(shown, line, format!("cannot read included {target}: {e}"))
            })?;
            let inc_shown = shown_include(shown, target);
            read(sink, &inc_shown, &text, Some(&inc), visited)?;
            continue;
        }
        if l.starts_with('-') || l.starts_with('.') || l.starts_with('/') || l.contains("://") {
            continue; // other options, editables, paths, URLs
        }
        if let Some(req) = requirement(l) {
            sink.push_at(shown, req.name, req.version, line);
            if let (Some(m), Some(p)) = (req.markers, sink.packages.last_mut()) {
                p.markers = Some(m.to_string());
            }
        }
    }
    Ok(())
}

/// How an included file is shown: relative to the including one's directory.
fn shown_include(shown: &str, target: &str) -> String {
    match shown.rsplit_once('/') {
        Some((dir, _)) if !Path::new(target).is_absolute() => format!("{dir}/{target}"),
        _ => target.to_string(),
    }
}

/// Physical lines joined at trailing backslashes, each with its first line number.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let (start, mut acc) = cur.take().unwrap_or((i + 1, String::new()));
        match raw.strip_suffix('\\') {
            Some(head) => {
                acc.push_str(head);
                acc.push(' ');
                cur = Some((start, acc));
            }
            None => {
                acc.push_str(raw);
                out.push((start, acc));
            }
        }
    }
    out.extend(cur);
    out
}

/// Drop a `#` comment (at the start or after whitespace).
fn strip_comment(l: &str) -> &str {
    let b = l.as_bytes();
    let cut = (0..b.len()).find(|&i| b[i] == b'#' && (i == 0 || b[i - 1].is_ascii_whitespace()));
    l[..cut.unwrap_or(l.len())].trim()
}

/// `-r file`, `-rfile`, `--requirement file`, `--requirement=file`.
fn include_target(l: &str) -> Option<&str> {
    let rest = l
        .strip_prefix("--requirement")
        .or_else(|| l.strip_prefix("-r"))?;
    let t = rest.trim_start_matches('=').trim();
    (!t.is_empty()).then_some(t)
}

struct Requirement<'a> {
    name: &'a str,
    version: Option<&'a str>,
    markers: Option<&'a str>,
}

/// Parse `name [extras] spec ; markers --options`; `None` for lines that are not a
/// requirement (no name, junk after the name, unresolved `${VAR}`, an empty pin).
fn requirement(l: &str) -> Option<Requirement<'_>> {
    // Per-requirement options (`--hash`, `-C`, …) start at the first whitespace + `-`.
    let b = l.as_bytes();
    let opt = (1..b.len()).find(|&i| b[i] == b'-' && b[i - 1].is_ascii_whitespace());
    let l = l[..opt.unwrap_or(l.len())].trim();
    let (l, markers) = match l.split_once(';') {
        Some((r, m)) => (r.trim(), Some(m.trim()).filter(|m| !m.is_empty())),
        None => (l, None),
    };
    let name_len = l
        .bytes()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
        .count();
    if name_len == 0 || !l.as_bytes()[0].is_ascii_alphanumeric() {
        return None;
    }
    let name = &l[..name_len];
    let mut rest = l[name_len..].trim_start();
    if let Some(r) = rest.strip_prefix('[') {
        rest = r.split_once(']')?.1.trim_start();
    }
    if rest.starts_with('@') {
        return None; // a direct URL reference
    }
    if rest.is_empty() {
        return Some(Requirement {
            name,
            version: None,
            markers,
        });
    }
    if !rest.starts_with(['=', '<', '>', '~', '!']) || rest.contains('$') {
        return None;
    }
    let pinned = rest
        .strip_prefix("===")
        .or_else(|| rest.strip_prefix("=="))
        .map(str::trim)
        .filter(|v| !v.contains([',', '*', '<', '>', '=', '!', '~']));
    if pinned == Some("") {
        return None; // `name==` with nothing pinned
    }
    Some(Requirement {
        name,
        version: pinned,
        markers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::Ecosystem;

    fn read_text(text: &str) -> Vec<(String, Option<String>, usize)> {
        let mut sink = Sink::new(Ecosystem::PyPI, "requirements.txt");
        parse(&mut sink, "requirements.txt", text, None).unwrap();
        sink.packages
            .into_iter()
            .map(|p| (p.name, p.version, p.line))
            .collect()
    }

    #[test]
    fn pins_ranges_options_and_continuations() {
        let text = "# c\nDjango==3.2.1 \\\n  --hash=sha256:abc\nrequests>=2.0\nflask [async] == 2.0.1 ; python_version > \"3.6\"\n-e git+https://x/y#egg=z\nx==1.*\n";
        assert_eq!(
            read_text(text),
            vec![
                ("django".into(), Some("3.2.1".into()), 2),
                ("requests".into(), None, 4),
                ("flask".into(), Some("2.0.1".into()), 5),
                ("x".into(), None, 7),
            ]
        );
    }

    #[test]
    fn markers_are_kept() {
        let mut sink = Sink::new(Ecosystem::PyPI, "r.txt");
        parse(&mut sink, "r.txt", "a==1 ; sys_platform == 'win32'\n", None).unwrap();
        assert_eq!(
            sink.packages[0].markers.as_deref(),
            Some("sys_platform == 'win32'")
        );
    }

    #[test]
    fn includes_keep_their_own_file_and_line_and_cycles_stop() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("base.txt"),
            "\nsix==1.0\n-r requirements.txt\n",
        )
        .unwrap();
        let main = dir.path().join("requirements.txt");
        std::fs::write(&main, "-r base.txt\nattrs==20.1\n").unwrap();
        let mut sink = Sink::new(Ecosystem::PyPI, "sub/requirements.txt");
        let text = std::fs::read_to_string(&main).unwrap();
        parse(&mut sink, "sub/requirements.txt", &text, Some(&main)).unwrap();
        let got: Vec<_> = sink
            .packages
            .iter()
            .map(|p| (p.path.as_str(), p.line))
            .collect();
        assert_eq!(got, vec![("sub/base.txt", 2), ("sub/requirements.txt", 2)]);
    }

    #[test]
    fn a_missing_include_is_an_error_on_its_line() {
        let mut sink = Sink::new(Ecosystem::PyPI, "requirements.txt");
        let err = parse(&mut sink, "requirements.txt", "a==1\n-r nope.txt\n", None).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("requirements.txt:2: cannot read included nope.txt"),
            "{err}"
        );
    }
}
