//! Finding lockfiles: files given by name, and directories walked the way `keyward scan`
//! walks them (`.gitignore`, `.keywardignore`, `[scan] exclude`; `.git` and
//! `node_modules` are never entered: installed packages are not the project's lockfiles).

use crate::error::DepsError;
use crate::lockfile::LockfileKind;
use ignore::WalkBuilder;
use keyward_scan::source::IGNORE_FILE;
use std::path::{Path, PathBuf};

/// How to walk.
#[derive(Clone, Debug, Default)]
pub struct WalkOptions {
    /// Walk everything: honour no `.gitignore`/`.keywardignore`.
    pub no_ignore: bool,
    /// Extra gitignore-style globs to skip (`[scan] exclude`).
    pub exclude: Vec<String>,
}

/// A lockfile to read.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    /// The path as shown (relative, `./` stripped).
    pub shown: String,
    /// Where it is.
    pub path: PathBuf,
    /// Its format.
    pub kind: LockfileKind,
}

fn shown(p: &Path) -> String {
    let s = p.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// Every lockfile under `paths` (files are taken as given and must be a known lockfile),
/// sorted by path. A `package-lock.json` beside an `npm-shrinkwrap.json` is left out, as
/// npm itself ignores it.
pub fn discover(paths: &[PathBuf], opts: &WalkOptions) -> Result<Vec<Found>, DepsError> {
    let mut found = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| DepsError::Path {
            path: shown(p),
            message: e.to_string(),
        })?;
        if meta.is_file() {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            let kind = LockfileKind::detect(&name).ok_or_else(|| DepsError::Path {
                path: shown(p),
                message: format!(
                    "not a lockfile keyward reads (expected one of: {})",
                    supported_names()
                ),
            })?;
            found.push(Found {
                shown: shown(p),
                path: p.clone(),
                kind,
            });
        } else {
            walk(p, opts, &mut found)?;
        }
    }
    found.sort();
    found.dedup();
    let shrinkwraps: Vec<PathBuf> = found
        .iter()
        .filter(|f| {
            f.path
                .file_name()
                .is_some_and(|n| n == "npm-shrinkwrap.json")
        })
        .filter_map(|f| f.path.parent().map(Path::to_path_buf))
        .collect();
    found.retain(|f| {
        !(f.path.file_name().is_some_and(|n| n == "package-lock.json")
            && f.path
                .parent()
                .is_some_and(|d| shrinkwraps.iter().any(|s| s == d)))
    });
    Ok(found)
}

/// The lockfile names keyward reads, for messages.
pub fn supported_names() -> String {
    let mut names: Vec<&str> = LockfileKind::ALL.iter().map(|k| k.file_name()).collect();
    names.insert(1, "npm-shrinkwrap.json");
    names
        .join(", ")
        .replace("requirements.txt", "requirements*.txt")
}

fn walk(root: &Path, opts: &WalkOptions, found: &mut Vec<Found>) -> Result<(), DepsError> {
    let mut b = WalkBuilder::new(root);
    b.hidden(false)
        .parents(!opts.no_ignore)
        .ignore(!opts.no_ignore)
        .git_ignore(!opts.no_ignore)
        .git_global(false)
        .git_exclude(!opts.no_ignore)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| e.file_name() != ".git" && e.file_name() != "node_modules");
    if !opts.no_ignore {
        b.add_custom_ignore_filename(IGNORE_FILE);
    }
    if !opts.exclude.is_empty() {
        let mut ov = ignore::overrides::OverrideBuilder::new(root);
        for g in &opts.exclude {
            ov.add(&format!("!{g}")).map_err(|e| DepsError::Path {
                path: g.clone(),
                message: format!("bad exclude glob: {e}"),
            })?;
        }
        b.overrides(ov.build().map_err(|e| DepsError::Path {
            path: "exclude".into(),
            message: e.to_string(),
        })?);
    }
    for entry in b.build() {
        let entry = entry.map_err(|e| DepsError::Path {
            path: shown(root),
            message: e.to_string(),
        })?;
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        if let Some(kind) = LockfileKind::detect(&name) {
            found.push(Found {
                shown: shown(entry.path()),
                path: entry.path().to_path_buf(),
                kind,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_honouring_ignores_and_shrinkwrap() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        for f in [
            "a/package-lock.json",
            "a/npm-shrinkwrap.json",
            "b/Cargo.lock",
            "b/node_modules/x/package-lock.json",
            "ignored/poetry.lock",
            "kw/uv.lock",
            "c/requirements-dev.txt",
            "c/notes.txt",
        ] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        std::fs::write(root.join(".gitignore"), "ignored/\n").unwrap();
        std::fs::write(root.join(IGNORE_FILE), "kw/\n").unwrap();
        let got: Vec<String> = discover(&[root.to_path_buf()], &WalkOptions::default())
            .unwrap()
            .into_iter()
            .map(|f| f.path.strip_prefix(root).unwrap().display().to_string())
            .collect();
        assert_eq!(
            got,
            [
                "a/npm-shrinkwrap.json",
                "b/Cargo.lock",
                "c/requirements-dev.txt"
            ]
        );
        let all = discover(
            &[root.to_path_buf()],
            &WalkOptions {
                no_ignore: true,
                exclude: vec!["b/**".into()],
            },
        )
        .unwrap();
        assert_eq!(all.len(), 4, "{all:?}");
    }

    #[test]
    fn an_unknown_file_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("package.json");
        std::fs::write(&f, "{}").unwrap();
        let err = discover(&[f], &WalkOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a lockfile keyward reads"), "{err}");
    }
}
