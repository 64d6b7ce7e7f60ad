//! Finding each unique blob and the commit that introduced it.
//!
//! Commits are visited oldest first; each commit's tree is traversed, skipping every tree
//! already seen in an earlier commit (its blobs were recorded then). The first time a blob id
//! appears, the current commit and path are its origin. Each unique tree is decoded once,
//! so the cost is proportional to the number of unique trees, not commits × files.

use crate::commits::CommitSet;
use crate::error::GitError;
use gix::hashtable::HashSet;
use gix::objs::Find;
use gix::ObjectId;
use std::collections::HashMap;
use std::sync::Arc;

/// A unique blob and where it first appeared.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BlobOrigin {
    pub id: ObjectId,
    /// Index into [`CommitSet::commits`].
    pub commit: u32,
}

/// Every blob introduced by the selected commits.
#[derive(Debug, Default)]
pub(crate) struct BlobIndex {
    pub blobs: Vec<BlobOrigin>,
    pub paths: Vec<Arc<str>>,
    /// Trees that could not be read (id, path), reported as warnings.
    pub unreadable: Vec<(ObjectId, String)>,
}

/// Called with each new blob (its index in [`BlobIndex::blobs`]) and its path, as found.
pub(crate) type OnBlob<'a> = dyn FnMut(usize, &BlobOrigin, &Arc<str>) + 'a;

struct Walker<'r, 'f> {
    repo: &'r gix::Repository,
    on_blob: &'f mut OnBlob<'f>,
    seen_trees: HashSet<ObjectId>,
    seen_blobs: HashSet<ObjectId>,
    path_ids: HashMap<Vec<u8>, u32>,
    out: BlobIndex,
    buf: Vec<u8>,
}

/// Walk the trees of `set`, oldest commit first.
pub(crate) fn index_blobs<'f>(
    repo: &gix::Repository,
    set: &CommitSet,
    on_blob: &'f mut OnBlob<'f>,
) -> Result<BlobIndex, GitError> {
    let mut w = Walker {
        repo,
        on_blob,
        seen_trees: HashSet::default(),
        seen_blobs: HashSet::default(),
        path_ids: HashMap::new(),
        out: BlobIndex::default(),
        buf: Vec::new(),
    };
    // What the boundary commits hold was there before the selection: not introduced by it.
    for id in &set.boundary {
        let mut buf = Vec::new();
        if let Ok(Some(data)) = repo.objects.try_find(id, &mut buf) {
            if let Ok(c) = gix::objs::CommitRef::from_bytes(data.data, repo.object_hash()) {
                w.traverse(c.tree(), None);
            }
        }
    }
    for (ci, c) in set.commits.iter().enumerate() {
        w.traverse(c.tree, Some(ci as u32));
    }
    Ok(w.out)
}

impl Walker<'_, '_> {
    /// Traverse `root`; record new blobs under `commit` (or only mark them seen when `None`).
    fn traverse(&mut self, root: ObjectId, commit: Option<u32>) {
        if !self.seen_trees.insert(root) {
            return;
        }
        let mut stack: Vec<(ObjectId, Vec<u8>)> = vec![(root, Vec::new())];
        let hash = self.repo.object_hash();
        while let Some((tree, prefix)) = stack.pop() {
            let data = match self.repo.objects.try_find(&tree, &mut self.buf) {
                Ok(Some(d)) if d.kind == gix::objs::Kind::Tree => d,
                _ => {
                    self.out
                        .unreadable
                        .push((tree, String::from_utf8_lossy(&prefix).into_owned()));
                    continue;
                }
            };
            for entry in gix::objs::TreeRefIter::from_bytes(data.data, hash) {
                let Ok(entry) = entry else { break };
                let id = entry.oid.to_owned();
                if entry.mode.is_tree() {
                    if self.seen_trees.insert(id) {
                        let mut p = prefix.clone();
                        p.extend_from_slice(entry.filename);
                        p.push(b'/');
                        stack.push((id, p));
                    }
                } else if entry.mode.is_blob() && self.seen_blobs.insert(id) {
                    if let Some(ci) = commit {
                        let mut p = prefix.clone();
                        p.extend_from_slice(entry.filename);
                        let next = self.out.paths.len() as u32;
                        let pi = *self.path_ids.entry(p).or_insert_with_key(|p| {
                            self.out.paths.push(String::from_utf8_lossy(p).into());
                            next
                        });
                        let origin = BlobOrigin { id, commit: ci };
                        (self.on_blob)(self.out.blobs.len(), &origin, &self.out.paths[pi as usize]);
                        self.out.blobs.push(origin);
                    }
                }
            }
        }
    }
}
