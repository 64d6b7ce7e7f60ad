//! Byte offsets to 1-based line numbers, and the package list every reader fills.

use crate::package::{Ecosystem, Package};

/// Line starts of a text, for offset → line lookups by binary search.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Index `text`.
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex { starts }
    }

    /// The 1-based line holding byte `offset`.
    pub fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

/// Collects the packages of one lockfile, normalising names.
pub struct Sink {
    eco: Ecosystem,
    path: String,
    /// The packages so far, in file order.
    pub packages: Vec<Package>,
}

impl Sink {
    /// A sink for `path` (as shown) of ecosystem `eco`.
    pub fn new(eco: Ecosystem, path: &str) -> Sink {
        Sink {
            eco,
            path: path.to_string(),
            packages: Vec::new(),
        }
    }

    /// The lockfile as shown.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Add a package; an empty version means "no pinned version".
    pub fn push(&mut self, name: &str, version: Option<&str>, line: usize, dev: bool) {
        let version = version.map(str::trim).filter(|v| !v.is_empty());
        self.packages.push(Package {
            ecosystem: self.eco,
            name: self.eco.normalize(name),
            version: version.map(str::to_string),
            path: self.path.clone(),
            line: line.max(1),
            dev,
            markers: None,
        });
    }

    /// Add a package declared in another file (a `-r` include).
    pub fn push_at(&mut self, path: &str, name: &str, version: Option<&str>, line: usize) {
        self.push(name, version, line, false);
        if let Some(p) = self.packages.last_mut() {
            p.path = path.to_string();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_to_lines() {
        let idx = LineIndex::new("ab\ncd\n\nef");
        assert_eq!(idx.line(0), 1);
        assert_eq!(idx.line(2), 1);
        assert_eq!(idx.line(3), 2);
        assert_eq!(idx.line(6), 3);
        assert_eq!(idx.line(7), 4);
    }
}
