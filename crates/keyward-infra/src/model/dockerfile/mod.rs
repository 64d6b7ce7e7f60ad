//! Dockerfiles: stages (`FROM … AS alias`, `ARG` defaults substituted), the `USER` each
//! stage runs as (inherited through stage aliases), `ENV`/`ARG` settings and base images.

mod syntax;

pub use syntax::{expand, words};

use super::{ImageRef, Inventory, ObjectRef, Setting, Unit, ALLOW_KEY};
use std::collections::HashMap;
use std::sync::Arc;
use syntax::{instructions, Instruction};

/// A parsed Dockerfile.
#[derive(Clone, Debug)]
pub struct Dockerfile {
    /// Its suppression scope.
    pub unit: usize,
    /// The file.
    pub path: Arc<str>,
    /// Stages in order; the last one is the image that ships.
    pub stages: Vec<Stage>,
}

/// One `FROM` stage.
#[derive(Clone, Debug)]
pub struct Stage {
    /// 0-based position.
    pub index: usize,
    /// The base image with `ARG` defaults substituted.
    pub image: String,
    /// `AS` name.
    pub alias: Option<String>,
    /// 1-based line of the `FROM`.
    pub line: usize,
    /// The earlier stage this one builds on (`FROM builder`).
    pub parent: Option<usize>,
    /// The last `USER` of this stage (substituted) and its line.
    pub user: Option<(String, usize)>,
}

impl Dockerfile {
    /// The user the stage runs as: its own last `USER`, else its parent stage's; `None`
    /// when no stage in the chain sets one (the base image decides; root unless it says).
    pub fn effective_user(&self, stage: usize) -> Option<(&str, usize)> {
        let s = self.stages.get(stage)?;
        match &s.user {
            Some((u, line)) => Some((u, *line)),
            None => s.parent.and_then(|p| self.effective_user(p)),
        }
    }

    /// The base image at the root of the stage's chain.
    pub fn root_image(&self, stage: usize) -> &str {
        let s = &self.stages[stage];
        s.parent.map_or(&s.image, |p| self.root_image(p))
    }

    /// The finding subject for a stage.
    pub fn object_ref(&self, stage: usize) -> ObjectRef {
        let s = &self.stages[stage];
        ObjectRef {
            kind: "Dockerfile".into(),
            namespace: None,
            name: s
                .alias
                .clone()
                .unwrap_or_else(|| format!("stage {}", s.index)),
            container: None,
        }
    }
}

/// An `ENV`/`ARG` assignment: (stage, name, value, line, column of the value).
type Assignment = (usize, String, String, usize, usize);

/// The assignment `k`=`v` of instruction `i`, located by `needle`.
fn assignment(i: &Instruction, stage: Option<usize>, k: &str, v: &str, needle: &str) -> Assignment {
    let (line, col) = i.line_of(needle);
    (
        stage.unwrap_or(0),
        k.to_string(),
        v.to_string(),
        line,
        col + k.len() + 1,
    )
}

/// Read a Dockerfile into the inventory.
pub fn read(inv: &mut Inventory, path: &Arc<str>, text: &str) {
    let mut allow = Vec::new();
    let ins = instructions(text, &mut allow);
    let mut global: HashMap<String, String> = HashMap::new();
    let mut stages: Vec<Stage> = Vec::new();
    let mut scope: HashMap<String, String> = HashMap::new();
    let mut settings: Vec<Assignment> = Vec::new();
    let mut images: Vec<(usize, String, usize, usize)> = Vec::new();
    for i in &ins {
        let stage = stages.len().checked_sub(1);
        match i.keyword.as_str() {
            "FROM" => {
                let w = words(&i.args);
                let mut it = w.iter().filter(|t| !t.starts_with("--"));
                let raw = it.next().cloned().unwrap_or_default();
                let alias = match (it.next(), it.next()) {
                    (Some(a), Some(name)) if a.eq_ignore_ascii_case("as") => Some(name.clone()),
                    _ => None,
                };
                let image = expand(&raw, &global);
                let parent = stages.iter().position(|s| {
                    s.alias
                        .as_deref()
                        .is_some_and(|a| a.eq_ignore_ascii_case(&image))
                });
                if parent.is_none() && !image.eq_ignore_ascii_case("scratch") {
                    let (line, col) = i.line_of(&raw);
                    images.push((stages.len(), image.clone(), line, col));
                }
                stages.push(Stage {
                    index: stages.len(),
                    image,
                    alias,
                    line: i.line,
                    parent,
                    user: None,
                });
                scope = HashMap::new();
            }
            "ARG" => {
                for w in words(&i.args) {
                    let (k, v) = match w.split_once('=') {
                        Some((k, v)) => (k.to_string(), Some(v.to_string())),
                        None => (w.clone(), None),
                    };
                    let value = match v {
                        Some(v) => {
                            settings.push(assignment(i, stage, &k, &v, &format!("{k}=")));
                            v
                        }
                        None => global.get(&k).cloned().unwrap_or_default(),
                    };
                    if stage.is_none() {
                        global.insert(k, value);
                    } else {
                        scope.insert(k, value);
                    }
                }
            }
            "ENV" => {
                let w = words(&i.args);
                let pairs: Vec<(String, String)> = if w.first().is_some_and(|f| f.contains('=')) {
                    w.iter()
                        .filter_map(|t| {
                            t.split_once('=')
                                .map(|(k, v)| (k.to_string(), v.to_string()))
                        })
                        .collect()
                } else if let Some((k, v)) = w.split_first() {
                    vec![(k.clone(), v.join(" "))]
                } else {
                    Vec::new()
                };
                for (k, v) in pairs {
                    settings.push(assignment(i, stage, &k, &v, &k));
                    scope.insert(k, v);
                }
            }
            "USER" => {
                if let Some(s) = stages.last_mut() {
                    s.user = Some((expand(i.args.trim(), &scope), i.line));
                }
            }
            "LABEL" => {
                for w in words(&i.args) {
                    if let Some(v) = w.strip_prefix(ALLOW_KEY).and_then(|r| r.strip_prefix('=')) {
                        allow.push(v.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    if stages.is_empty() {
        inv.notes.push(format!(
            "{path}: no FROM instruction; not checked as a Dockerfile"
        ));
        return;
    }
    let df = Dockerfile {
        unit: 0,
        path: path.clone(),
        stages,
    };
    let last = df.stages.len() - 1;
    let unit = inv.add_unit(Unit::new(
        path.clone(),
        Some(df.object_ref(last)),
        Some(&allow.join("\n")),
    ));
    for (stage, name, value, line, column) in settings {
        inv.settings.push(Setting {
            unit,
            object: Some(df.object_ref(stage)),
            name,
            value,
            line,
            column,
            path: path.clone(),
        });
    }
    for (stage, image, line, column) in images {
        inv.images.push(ImageRef {
            unit,
            object: Some(df.object_ref(stage)),
            image,
            line,
            column,
            path: path.clone(),
        });
    }
    inv.dockerfiles.push(Dockerfile { unit, ..df });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Inventory {
        let mut inv = Inventory::default();
        read(&mut inv, &Arc::from("Dockerfile"), text);
        inv
    }

    #[test]
    fn stages_users_and_arg_defaults() {
        let inv = parse(
            "ARG BASE=python:3.12-slim\nARG APP_USER=app\nFROM ${BASE} AS build\nUSER root\nRUN make \\\n  # comment inside\n  all\n\nFROM build AS final\nARG APP_USER\nUSER ${APP_USER}\nFROM final\n",
        );
        let df = &inv.dockerfiles[0];
        assert_eq!(df.stages.len(), 3);
        assert_eq!(df.stages[0].image, "python:3.12-slim");
        assert_eq!(df.stages[1].parent, Some(0));
        assert_eq!(df.effective_user(2), Some(("app", 11)));
        assert_eq!(df.effective_user(0), Some(("root", 4)));
        assert_eq!(df.root_image(2), "python:3.12-slim");
        assert_eq!(inv.images.len(), 1, "aliases are not images");
        assert_eq!(inv.images[0].line, 3);
    }

    #[test]
    fn env_forms_and_heredocs() {
        let inv = parse(
            "FROM alpine:3.20\nRUN <<EOF\nUSER root\nEOF\nENV A=1 B=\"two words\" \\\n    DB_PASSWORD=hunter2\nENV LEGACY some value\n",
        );
        let s: Vec<_> = inv
            .settings
            .iter()
            .map(|s| (s.name.as_str(), s.value.as_str(), s.line))
            .collect();
        assert_eq!(
            s,
            vec![
                ("A", "1", 5),
                ("B", "two words", 5),
                ("DB_PASSWORD", "hunter2", 6),
                ("LEGACY", "some value", 7)
            ]
        );
        assert_eq!(inv.dockerfiles[0].effective_user(0), None);
    }

    #[test]
    fn expansion() {
        let vars: HashMap<String, String> = [("A".to_string(), "x".to_string())].into();
        assert_eq!(expand("$A/${A}:${B:-1.2}", &vars), "x/x:1.2");
        assert_eq!(expand("${B}:$C", &vars), "${B}:$C");
        assert_eq!(expand("${A:+set}${B:+no}", &vars), "set");
        assert_eq!(words("a=\"b c\" 'd e' f\\ g"), vec!["a=b c", "d e", "f g"]);
    }

    #[test]
    fn allow_labels_and_comments() {
        let inv = parse(
            "# keyward.dev/allow: image-tag: pinned by digest elsewhere\nFROM alpine\nLABEL keyward.dev/allow=\"run-as-non-root: init image\"\n",
        );
        let checks: Vec<_> = inv.units[0]
            .allow
            .iter()
            .map(|a| a.check.as_str())
            .collect();
        assert_eq!(checks, vec!["image-tag", "run-as-non-root"]);
    }
}
