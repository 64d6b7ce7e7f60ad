//! Which commits a history scan covers, in topological order (parents before children).

use crate::error::GitError;
use gix::hashtable::{HashMap, HashSet};
use gix::objs::Find;
use gix::ObjectId;
use std::collections::{BinaryHeap, VecDeque};

/// Which commits a history scan covers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Selection {
    /// Every commit reachable from any reference (branches, tags, remotes, stash, HEAD).
    #[default]
    All,
    /// Commits after a revision (`REV..` against all references) or committed at or after
    /// a date (`YYYY-MM-DD`, RFC 3339, or anything git's date parser accepts).
    Since(String),
    /// `A..B`: commits reachable from B and not from A (a pull request's commits).
    /// `A..` means `A..HEAD`.
    Range(String),
}

/// One selected commit.
#[derive(Clone, Debug)]
pub(crate) struct CommitNode {
    pub id: ObjectId,
    pub tree: ObjectId,
}

/// The selected commits, oldest first, and the commits just outside the selection whose
/// content counts as already present (its blobs are not "introduced" by the selection).
#[derive(Debug, Default)]
pub(crate) struct CommitSet {
    pub commits: Vec<CommitNode>,
    pub boundary: Vec<ObjectId>,
    /// Parent commits that are referenced but not in the object database.
    pub missing: usize,
}

struct Parsed {
    tree: ObjectId,
    time: i64,
    parents: Vec<ObjectId>,
}

fn read_commit(
    repo: &gix::Repository,
    id: &ObjectId,
    buf: &mut Vec<u8>,
) -> Result<Option<Parsed>, GitError> {
    let data = match repo.objects.try_find(id, buf) {
        Ok(Some(d)) => d,
        Ok(None) => return Ok(None),
        Err(e) => return Err(GitError::read(format!("commit {id}"), e)),
    };
    if data.kind != gix::objs::Kind::Commit {
        return Ok(None);
    }
    let c = gix::objs::CommitRef::from_bytes(data.data, repo.object_hash())
        .map_err(|e| GitError::read(format!("commit {id}"), e))?;
    Ok(Some(Parsed {
        tree: c.tree(),
        time: c.committer().map(|s| s.seconds()).unwrap_or(0),
        parents: c.parents().collect(),
    }))
}

/// Every commit a reference (or HEAD) points at, tags peeled.
fn ref_tips(repo: &gix::Repository) -> Result<Vec<ObjectId>, GitError> {
    let mut tips = Vec::new();
    let platform = repo
        .references()
        .map_err(|e| GitError::read("references", e))?;
    let iter = platform
        .all()
        .map_err(|e| GitError::read("references", e))?;
    for r in iter {
        let Ok(mut r) = r else { continue };
        if let Ok(id) = r.peel_to_id() {
            tips.push(id.detach());
        }
    }
    if let Ok(head) = repo.head_id() {
        tips.push(head.detach());
    }
    tips.sort();
    tips.dedup();
    Ok(tips)
}

fn resolve(repo: &gix::Repository, spec: &str) -> Result<ObjectId, GitError> {
    let full = format!("{spec}^{{commit}}");
    repo.rev_parse_single(full.as_str())
        .map(|id| id.detach())
        .map_err(|e| GitError::Revision {
            spec: spec.to_string(),
            message: crate::error::first_line(&e.to_string()),
        })
}

/// All ancestors of `tips` (inclusive).
fn ancestors(repo: &gix::Repository, tips: &[ObjectId]) -> Result<HashSet<ObjectId>, GitError> {
    let mut seen = HashSet::default();
    let mut queue: VecDeque<ObjectId> = tips.iter().copied().collect();
    let mut buf = Vec::new();
    while let Some(id) = queue.pop_front() {
        if !seen.insert(id) {
            continue;
        }
        if let Some(c) = read_commit(repo, &id, &mut buf)? {
            queue.extend(c.parents);
        }
    }
    Ok(seen)
}

/// Resolve `selection` into commits.
pub(crate) fn select(repo: &gix::Repository, selection: &Selection) -> Result<CommitSet, GitError> {
    let (tips, hidden, cutoff) = match selection {
        Selection::All => (ref_tips(repo)?, HashSet::default(), None),
        Selection::Range(spec) => {
            let Some((a, b)) = spec.split_once("..") else {
                return Err(GitError::Revision {
                    spec: spec.clone(),
                    message: "expected a range `A..B` (or `A..` for A..HEAD)".into(),
                });
            };
            let b = if b.is_empty() { "HEAD" } else { b };
            let hide = resolve(repo, a)?;
            let show = resolve(repo, b)?;
            (vec![show], ancestors(repo, &[hide])?, None)
        }
        Selection::Since(spec) => match resolve(repo, spec) {
            Ok(rev) => (ref_tips(repo)?, ancestors(repo, &[rev])?, None),
            Err(rev_err) => match gix::date::parse(spec, None) {
                Ok(t) => (ref_tips(repo)?, HashSet::default(), Some(t.seconds)),
                Err(_) => {
                    return Err(GitError::Revision {
                        spec: spec.clone(),
                        message: format!(
                            "neither a revision nor a date (YYYY-MM-DD): {}",
                            match rev_err {
                                GitError::Revision { message, .. } => message,
                                other => other.to_string(),
                            }
                        ),
                    })
                }
            },
        },
    };
    walk(repo, &tips, &hidden, cutoff)
}

fn walk(
    repo: &gix::Repository,
    tips: &[ObjectId],
    hidden: &HashSet<ObjectId>,
    cutoff: Option<i64>,
) -> Result<CommitSet, GitError> {
    let mut nodes: HashMap<ObjectId, Parsed> = HashMap::default();
    let mut boundary: HashSet<ObjectId> = HashSet::default();
    let mut missing = 0;
    let mut stack: Vec<ObjectId> = tips
        .iter()
        .filter(|t| !hidden.contains(*t))
        .copied()
        .collect();
    let mut buf = Vec::new();
    while let Some(id) = stack.pop() {
        if nodes.contains_key(&id) || boundary.contains(&id) {
            continue;
        }
        let Some(c) = read_commit(repo, &id, &mut buf)? else {
            missing += 1;
            continue;
        };
        if cutoff.is_some_and(|cut| c.time < cut) {
            boundary.insert(id);
            continue;
        }
        for p in &c.parents {
            if hidden.contains(p) {
                boundary.insert(*p);
            } else {
                stack.push(*p);
            }
        }
        nodes.insert(id, c);
    }
    let commits = topo_order(nodes);
    let mut boundary: Vec<ObjectId> = boundary.into_iter().collect();
    boundary.sort();
    Ok(CommitSet {
        commits,
        boundary,
        missing,
    })
}

/// Kahn's algorithm: a commit comes after all its selected parents; among ready commits the
/// oldest (committer time) goes first.
fn topo_order(nodes: HashMap<ObjectId, Parsed>) -> Vec<CommitNode> {
    let ids: Vec<ObjectId> = nodes.keys().copied().collect();
    let index: HashMap<ObjectId, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut pending = vec![0usize; ids.len()];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); ids.len()];
    for (i, id) in ids.iter().enumerate() {
        for p in &nodes[id].parents {
            if let Some(&pi) = index.get(p) {
                pending[i] += 1;
                children[pi].push(i);
            }
        }
    }
    let key = |i: usize| std::cmp::Reverse((nodes[&ids[i]].time, ids[i]));
    let mut ready: BinaryHeap<(std::cmp::Reverse<(i64, ObjectId)>, usize)> = (0..ids.len())
        .filter(|&i| pending[i] == 0)
        .map(|i| (key(i), i))
        .collect();
    let mut out = Vec::with_capacity(ids.len());
    while let Some((_, i)) = ready.pop() {
        let node = &nodes[&ids[i]];
        out.push(CommitNode {
            id: ids[i],
            tree: node.tree,
        });
        for &c in &children[i] {
            pending[c] -= 1;
            if pending[c] == 0 {
                ready.push((key(c), c));
            }
        }
    }
    out
}
