//! Which files are read and how: Dockerfiles by name, YAML streams (Kubernetes objects,
//! compose files or configuration, decided per document), dotenv, JSON, TOML and
//! properties configuration. Directories are walked honouring `.gitignore` and
//! `.keywardignore`; stdin is recognised by its content.

use crate::error::InfraError;
use crate::model::config::{self, ConfigKind, Sink};
use crate::model::{compose, dockerfile, k8s, InputError, Inventory, Unit};
use crate::yaml;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Files larger than this are skipped with a note.
pub const MAX_FILE_SIZE: u64 = 16 << 20;

/// How a file is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A Dockerfile / Containerfile.
    Dockerfile,
    /// A YAML (or JSON) stream: each document is a Kubernetes object, a compose file or
    /// configuration.
    Yaml,
    /// Configuration only.
    Config(ConfigKind),
}

/// One file's text.
#[derive(Clone, Debug)]
pub struct Input {
    /// The path as given or walked (`-` for stdin).
    pub path: String,
    /// The text.
    pub text: String,
    /// Given on the command line (or stdin) rather than found by a walk: Helm templates
    /// that do not parse are then errors, not notes.
    pub explicit: bool,
    /// How to read it.
    pub kind: FileKind,
}

/// The kind of a file judged by its name; `None` for files keyward does not read.
pub fn classify(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    if name == "dockerfile"
        || name == "containerfile"
        || name.starts_with("dockerfile.")
        || name.ends_with(".dockerfile")
    {
        return Some(FileKind::Dockerfile);
    }
    if name == ".env" || name.starts_with(".env.") || name.ends_with(".env") {
        return Some(FileKind::Config(ConfigKind::Dotenv));
    }
    if matches!(
        name.as_str(),
        "package-lock.json" | "npm-shrinkwrap.json" | "composer.json"
    ) || name.ends_with(".lock.json")
        || name.ends_with(".min.json")
    {
        return None;
    }
    match name.rsplit_once('.').map(|(_, e)| e) {
        Some("yaml" | "yml" | "json") => Some(FileKind::Yaml),
        Some("toml") => Some(FileKind::Config(ConfigKind::Toml)),
        Some("properties") => Some(FileKind::Config(ConfigKind::Properties)),
        _ => None,
    }
}

/// The kind of stdin or of an explicitly named file with an unknown name, by its content.
pub fn sniff(text: &str) -> FileKind {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    let word = first
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    if word == "FROM" || (word == "ARG" && text.to_ascii_uppercase().contains("\nFROM ")) {
        FileKind::Dockerfile
    } else if first.split_once('=').is_some_and(|(k, _)| {
        keyward_env::dotenv::is_valid_key(k.trim_start_matches("export ").trim())
    }) {
        FileKind::Config(ConfigKind::Dotenv)
    } else {
        FileKind::Yaml
    }
}

/// Read the files under `paths` (`-` = stdin, read from `stdin`). Unreadable files are
/// errors in the inventory; a path that does not exist is an error of the whole run.
pub fn collect(
    paths: &[PathBuf],
    stdin: &mut dyn std::io::Read,
    inv: &mut Inventory,
) -> Result<Vec<Input>, InfraError> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            let mut text = String::new();
            stdin
                .read_to_string(&mut text)
                .map_err(|e| InfraError::Io {
                    path: "-".into(),
                    source: e,
                })?;
            let kind = sniff(&text);
            out.push(Input {
                path: "-".into(),
                text,
                explicit: true,
                kind,
            });
        } else if p.is_dir() {
            walk(p, inv, &mut out);
        } else if p.exists() {
            if let Some(text) = read_file(p, inv) {
                let kind = classify(p).unwrap_or_else(|| sniff(&text));
                out.push(Input {
                    path: p.display().to_string(),
                    text,
                    explicit: true,
                    kind,
                });
            }
        } else {
            return Err(InfraError::Io {
                path: p.display().to_string(),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            });
        }
    }
    Ok(out)
}

fn walk(root: &Path, inv: &mut Inventory, out: &mut Vec<Input>) {
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .add_custom_ignore_filename(".keywardignore")
        .filter_entry(|e| !matches!(e.file_name().to_str(), Some(".git" | "node_modules")))
        .sort_by_file_path(|a, b| a.cmp(b))
        .build();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                inv.errors.push(InputError {
                    path: root.display().to_string(),
                    line: None,
                    message: e.to_string(),
                });
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        let Some(kind) = classify(path) else { continue };
        if let Some(text) = read_file(path, inv) {
            out.push(Input {
                path: path.display().to_string(),
                text,
                explicit: false,
                kind,
            });
        }
    }
}

fn read_file(path: &Path, inv: &mut Inventory) -> Option<String> {
    let shown = path.display().to_string();
    let too_big = std::fs::metadata(path)
        .map(|m| m.len() > MAX_FILE_SIZE)
        .unwrap_or(false);
    if too_big {
        inv.notes
            .push(format!("{shown}: larger than 16 MiB, skipped"));
        return None;
    }
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(_) => {
                inv.notes.push(format!("{shown}: not UTF-8 text, skipped"));
                None
            }
        },
        Err(e) => {
            inv.errors.push(InputError {
                path: shown,
                line: None,
                message: format!("cannot read: {e}"),
            });
            None
        }
    }
}

/// Read one input into the inventory.
pub fn read(inv: &mut Inventory, input: &Input, default_ns: &str) {
    inv.files += 1;
    inv.bytes += input.text.len() as u64;
    let path: Arc<str> = Arc::from(input.path.as_str());
    match input.kind {
        FileKind::Dockerfile => dockerfile::read(inv, &path, &input.text),
        FileKind::Config(kind) => {
            let unit = inv.add_unit(Unit::new(path.clone(), None, None));
            let sink = Sink {
                unit,
                object: None,
                path: path.clone(),
                offset: 0,
            };
            if let Err(e) = config::read(inv, &sink, kind, &input.text) {
                inv.errors.push(e);
            }
        }
        FileKind::Yaml => read_yaml(inv, input, &path, default_ns),
    }
}

fn read_yaml(inv: &mut Inventory, input: &Input, path: &Arc<str>, default_ns: &str) {
    let docs = yaml::parse_stream(&input.text);
    let template = input.text.contains("{{");
    let broken = docs.iter().any(|d| d.is_err());
    if broken && !input.explicit && template {
        inv.notes.push(format!(
            "{path}: an unrendered template, skipped (check the output of `helm template … | keyward infra -`)"
        ));
        return;
    }
    // JSON with comments (tsconfig.json, .vscode/*.json) found by a walk is not a manifest.
    if broken
        && !input.explicit
        && input.path.ends_with(".json")
        && !input.text.contains("\"apiVersion\"")
    {
        inv.notes
            .push(format!("{path}: not plain JSON (comments?), skipped"));
        return;
    }
    let mut config_unit = None;
    for doc in docs {
        let root = match doc {
            Ok(d) => d.root,
            Err(e) => {
                let hint = if template {
                    " (a Helm template? render it with `helm template`)"
                } else {
                    ""
                };
                inv.errors.push(InputError {
                    path: path.to_string(),
                    line: Some(e.line),
                    message: format!("malformed YAML: {}{hint}", e.message),
                });
                continue;
            }
        };
        if k8s::is_object(&root) {
            k8s::read(inv, path, root, default_ns);
        } else if compose::is_compose(&root) {
            compose::read(inv, path, &root);
        } else {
            let unit = *config_unit
                .get_or_insert_with(|| inv.add_unit(Unit::new(path.clone(), None, None)));
            let sink = Sink {
                unit,
                object: None,
                path: path.clone(),
                offset: 0,
            };
            config::read_tree(inv, &sink, &root);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_decide_kinds() {
        let k = |n: &str| classify(Path::new(n));
        assert_eq!(k("Dockerfile"), Some(FileKind::Dockerfile));
        assert_eq!(k("api.Dockerfile"), Some(FileKind::Dockerfile));
        assert_eq!(k("Dockerfile.prod"), Some(FileKind::Dockerfile));
        assert_eq!(
            k(".env.production"),
            Some(FileKind::Config(ConfigKind::Dotenv))
        );
        assert_eq!(k("deploy.yaml"), Some(FileKind::Yaml));
        assert_eq!(
            k("app.properties"),
            Some(FileKind::Config(ConfigKind::Properties))
        );
        assert_eq!(k("package-lock.json"), None);
        assert_eq!(k("main.rs"), None);
    }

    #[test]
    fn content_decides_stdin() {
        assert_eq!(
            sniff("# syntax=docker/dockerfile:1\nFROM alpine\n"),
            FileKind::Dockerfile
        );
        assert_eq!(sniff("ARG V=1\nFROM alpine:$V\n"), FileKind::Dockerfile);
        assert_eq!(sniff("A=1\n"), FileKind::Config(ConfigKind::Dotenv));
        assert_eq!(sniff("---\napiVersion: v1\n"), FileKind::Yaml);
    }
}
