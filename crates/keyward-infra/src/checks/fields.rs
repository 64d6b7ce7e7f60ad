//! The field evaluator: a check's `[[kubernetes]]` and `[[compose]]` requirements applied
//! to every pod, container and compose service. A missing field points at its closest
//! parent that exists.

use super::spec::{Missing, Require, Scope};
use super::{Check, Ctx};
use crate::finding::{InfraFinding, Site};
use crate::model::{K8sObject, ObjectRef};
use crate::yaml::{Entry, Node, Value};
use std::sync::Arc;

/// Named predicates: a present value for which the predicate holds is a finding.
pub const PREDICATES: &[&str] = &["present", "root-user", "sensitive-host-path"];

/// Host paths a compose bind mount must not expose.
const SENSITIVE_HOST_PATHS: &[&str] = &[
    "/",
    "/etc",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/root",
    "/var/run",
    "/run",
    "/var/lib/docker",
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/lib/kubelet",
];

/// Where one requirement is evaluated.
struct Target<'a> {
    path: &'a Arc<str>,
    unit: usize,
    object: ObjectRef,
    /// The mapping holding the field.
    node: &'a Node,
    /// The pod spec, for `pod_field` fallbacks.
    pod: Option<&'a Node>,
    /// Where a field missing from `node` entirely points.
    anchor: (usize, usize),
}

/// Apply `check`'s Kubernetes requirements to every pod template.
pub fn kubernetes(ctx: &mut Ctx<'_>, check: &Check) {
    let inv = ctx.inv;
    for obj in &inv.objects {
        let Some(pod) = obj.pod() else { continue };
        for req in &check.spec.kubernetes {
            match req.scope.unwrap_or(Scope::Container) {
                Scope::Pod | Scope::Service => {
                    let t = target(obj, obj.object_ref(), pod.spec, None, (pod.line, 1));
                    evaluate(ctx, check, req, &t);
                }
                Scope::Container => {
                    for c in pod.containers() {
                        if req
                            .lists
                            .as_ref()
                            .is_some_and(|l| !l.iter().any(|x| x == c.list))
                        {
                            continue;
                        }
                        let object = obj.object_ref().with_container(c.name);
                        let t = target(
                            obj,
                            object,
                            c.node,
                            Some(pod.spec),
                            (c.node.line, c.node.column),
                        );
                        evaluate(ctx, check, req, &t);
                    }
                }
            }
        }
    }
}

fn target<'a>(
    obj: &'a K8sObject,
    object: ObjectRef,
    node: &'a Node,
    pod: Option<&'a Node>,
    anchor: (usize, usize),
) -> Target<'a> {
    Target {
        path: &obj.path,
        unit: obj.unit,
        object,
        node,
        pod,
        anchor,
    }
}

/// Apply `check`'s compose requirements to every service.
pub fn compose(ctx: &mut Ctx<'_>, check: &Check) {
    let inv = ctx.inv;
    for svc in &inv.services {
        for req in &check.spec.compose {
            let t = Target {
                path: &svc.path,
                unit: svc.unit,
                object: svc.object_ref(),
                node: &svc.node,
                pod: None,
                anchor: (svc.line, 1),
            };
            evaluate(ctx, check, req, &t);
        }
    }
}

/// The deepest existing entry along `dotted`: how many keys matched and where the last
/// one is (`anchor` when none did).
fn closest(node: &Node, dotted: &str, anchor: (usize, usize)) -> (usize, (usize, usize)) {
    let (mut depth, mut at, mut cur) = (0, anchor, node);
    for key in dotted.split('.') {
        match cur.entry(key) {
            Some(e) => {
                depth += 1;
                at = (e.line, e.column);
                cur = &e.value;
            }
            None => break,
        }
    }
    (depth, at)
}

/// Where a missing field points: its closest existing parent in the container (or pod,
/// or service), or in the pod-level fallback when that one goes deeper.
fn missing_at(t: &Target<'_>, req: &Require) -> (usize, usize) {
    let own = closest(t.node, &req.field, t.anchor);
    let pod = t
        .pod
        .zip(req.pod_field.as_deref())
        .map(|(p, f)| closest(p, f, own.1));
    match pod {
        Some(p) if p.0 > own.0 => p.1,
        _ => own.1,
    }
}

fn evaluate(ctx: &mut Ctx<'_>, check: &Check, req: &Require, t: &Target<'_>) {
    if let Some((seq, rest)) = req.field.split_once("[]") {
        let items = t.node.path(seq).map(Node::items).unwrap_or(&[]);
        let rest = rest.trim_start_matches('.');
        for item in items {
            let v = if rest.is_empty() {
                Some(item)
            } else {
                item.path(rest)
            };
            if let Some(v) = v {
                judge(ctx, check, req, t, v, (v.line, v.column), &req.field);
            }
        }
        return;
    }
    let found =
        entry_at(t.node, &req.field).or_else(|| entry_at(t.pod?, req.pod_field.as_deref()?));
    match found.filter(|e| !e.value.is_null()) {
        Some(e) => judge(ctx, check, req, t, &e.value, (e.line, e.column), &req.field),
        None if req.missing() == Missing::Fail => {
            let message = req
                .message_missing
                .clone()
                .unwrap_or_else(|| format!("`{}` is not set", req.field));
            let at = missing_at(t, req);
            emit(ctx, check, t, message, at, &req.field);
        }
        None => {}
    }
}

/// The mapping entry at the end of a dotted path (its key line is where findings point).
fn entry_at<'n>(node: &'n Node, dotted: &str) -> Option<&'n Entry> {
    let (parent, last) = match dotted.rsplit_once('.') {
        Some((p, l)) => (node.path(p)?, l),
        None => (node, dotted),
    };
    parent.entry(last)
}

/// Does a YAML value equal a value written in a check file?
fn equals(n: &Node, v: &toml::Value) -> bool {
    match v {
        toml::Value::Boolean(b) => n.as_bool() == Some(*b),
        toml::Value::Integer(i) => n.as_i64() == Some(*i),
        toml::Value::String(s) => n.as_str() == Some(s.as_str()),
        _ => false,
    }
}

fn show(n: &Node) -> String {
    match &n.value {
        Value::Scalar(s) => s.text.clone(),
        Value::Seq(items) => format!(
            "[{}]",
            items.iter().map(show).collect::<Vec<_>>().join(", ")
        ),
        Value::Map(_) => "{…}".into(),
    }
}

fn judge(
    ctx: &mut Ctx<'_>,
    check: &Check,
    req: &Require,
    t: &Target<'_>,
    v: &Node,
    at: (usize, usize),
    field: &str,
) {
    let bad = if !req.one_of.is_empty() && !req.one_of.iter().any(|x| equals(v, x)) {
        let want: Vec<String> = req
            .one_of
            .iter()
            .map(|x| format!("`{}`", plain(x)))
            .collect();
        Some(format!("expected {}", want.join(" or ")))
    } else if req.forbid.iter().any(|x| equals(v, x)) {
        Some("not allowed".into())
    } else if let Some(want) = &req.contains {
        let has = v
            .items()
            .iter()
            .any(|i| i.as_str().is_some_and(|s| s.eq_ignore_ascii_case(want)));
        (!has).then(|| format!("does not contain `{want}`"))
    } else {
        req.predicate
            .as_deref()
            .filter(|p| predicate(p, v))
            .map(|_| "not allowed".to_string())
    };
    if let Some(why) = bad {
        let message = req
            .message_bad
            .clone()
            .unwrap_or_else(|| format!("`{field}` is `{}` ({why})", show(v)));
        emit(ctx, check, t, message, at, field);
    }
}

fn plain(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn predicate(name: &str, v: &Node) -> bool {
    match name {
        "present" => !v.is_empty() || v.as_bool() == Some(true),
        "root-user" => v.as_str().is_some_and(is_root_user) || v.as_i64() == Some(0),
        "sensitive-host-path" => {
            let src = match &v.value {
                Value::Map(_) => v.get("source").and_then(Node::as_str).filter(|_| {
                    v.get("type")
                        .and_then(Node::as_str)
                        .is_none_or(|t| t == "bind")
                }),
                _ => v.as_str().and_then(|s| s.split(':').next()),
            };
            src.is_some_and(|s| {
                let s = s.trim_end_matches('/');
                SENSITIVE_HOST_PATHS.contains(&if s.is_empty() { "/" } else { s })
            })
        }
        _ => false,
    }
}

/// `root`, `0`, `root:root`, `0:0`, `root:1000` …: the user part is root.
pub fn is_root_user(user: &str) -> bool {
    matches!(user.split(':').next().unwrap_or("").trim(), "root" | "0")
}

fn emit(
    ctx: &mut Ctx<'_>,
    check: &Check,
    t: &Target<'_>,
    message: String,
    at: (usize, usize),
    field: &str,
) {
    ctx.out.push(InfraFinding::new(
        check,
        Site {
            path: t.path.clone(),
            at,
            unit: Some(t.unit),
            object: Some(t.object.clone()),
        },
        message,
        field,
    ));
}
