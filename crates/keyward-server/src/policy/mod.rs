//! ACL policies: Vault's path globs and capabilities ([`Caps`]), its priority rules
//! ([`matcher`]), HCL/JSON/TOML parsing ([`parse`]), and the set of policies a token holds
//! ([`Acl`]).

pub mod matcher;
pub mod parse;
mod store;

pub use parse::{parse_policy, policy_from_toml, PolicyError};
pub use store::Policies;

use std::collections::BTreeMap;

/// A set of capabilities.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Caps(u16);

impl Caps {
    /// POST/PUT on a path that does not exist.
    pub const CREATE: Caps = Caps(1);
    /// GET.
    pub const READ: Caps = Caps(2);
    /// POST/PUT on an existing path.
    pub const UPDATE: Caps = Caps(4);
    /// PATCH.
    pub const PATCH: Caps = Caps(8);
    /// DELETE.
    pub const DELETE: Caps = Caps(16);
    /// LIST.
    pub const LIST: Caps = Caps(32);
    /// Root-protected paths.
    pub const SUDO: Caps = Caps(64);
    /// Nothing, whatever else matches.
    pub const DENY: Caps = Caps(128);
    /// Every capability of root.
    pub const ALL: Caps = Caps(127);

    const NAMES: [(&'static str, Caps); 8] = [
        ("create", Caps::CREATE),
        ("read", Caps::READ),
        ("update", Caps::UPDATE),
        ("patch", Caps::PATCH),
        ("delete", Caps::DELETE),
        ("list", Caps::LIST),
        ("sudo", Caps::SUDO),
        ("deny", Caps::DENY),
    ];

    /// From a capability name.
    pub fn from_name(name: &str) -> Option<Caps> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| *c)
    }

    /// Names, in Vault's order.
    pub fn names(self) -> Vec<&'static str> {
        Self::NAMES
            .iter()
            .filter(|(_, c)| self.contains(*c))
            .map(|(n, _)| *n)
            .collect()
    }

    /// Union.
    pub fn union(self, other: Caps) -> Caps {
        Caps(self.0 | other.0)
    }

    /// All of `other` present.
    pub fn contains(self, other: Caps) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    /// The effective set: `deny` removes everything.
    pub fn effective(self) -> Caps {
        if self.contains(Caps::DENY) {
            Caps::DENY
        } else {
            self
        }
    }
}

/// One `path "…" { capabilities = […] }` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathRule {
    /// The glob.
    pub pattern: String,
    /// Its capabilities.
    pub caps: Caps,
}

/// A named policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Its name.
    pub name: String,
    /// Its text as written (HCL, JSON, or rendered from keyward.toml).
    pub raw: String,
    /// Its rules.
    pub rules: Vec<PathRule>,
}

/// What a token may do: its policies' rules merged (same glob: capabilities united), most
/// specific glob first.
#[derive(Clone, Debug, Default)]
pub struct Acl {
    root: bool,
    rules: Vec<PathRule>,
}

impl Acl {
    /// The ACL of a token holding `policies` (`root` among them grants everything).
    pub fn new<'a>(policies: impl IntoIterator<Item = &'a Policy>, root: bool) -> Acl {
        let mut merged: BTreeMap<&str, Caps> = BTreeMap::new();
        for p in policies {
            for r in &p.rules {
                let e = merged.entry(r.pattern.as_str()).or_default();
                *e = e.union(r.caps);
            }
        }
        let mut rules: Vec<PathRule> = merged
            .into_iter()
            .map(|(p, c)| PathRule {
                pattern: p.to_string(),
                caps: c,
            })
            .collect();
        rules.sort_by(|a, b| matcher::priority(&b.pattern, &a.pattern));
        Acl { root, rules }
    }

    /// Root: everything allowed.
    pub fn is_root(&self) -> bool {
        self.root
    }

    /// The capabilities on `path` (`deny` → none).
    pub fn capabilities(&self, path: &str) -> Caps {
        if self.root {
            return Caps::ALL;
        }
        self.rules
            .iter()
            .find(|r| matcher::matches(&r.pattern, path))
            .map_or(Caps::default(), |r| r.caps.effective())
    }

    /// Whether `cap` is allowed on `path`.
    pub fn allows(&self, path: &str, cap: Caps) -> bool {
        let c = self.capabilities(path);
        !c.contains(Caps::DENY) && c.contains(cap)
    }

    /// Whether any rule grants something under `prefix` (`secret/`): what
    /// `sys/internal/ui/mounts/<path>` requires.
    pub fn any_under(&self, prefix: &str) -> bool {
        self.root
            || self.rules.iter().any(|r| {
                r.caps.effective() != Caps::DENY
                    && r.caps.effective() != Caps::default()
                    && matcher::may_overlap(&r.pattern, prefix)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(rules: &[(&str, &[&str])]) -> Policy {
        Policy {
            name: "t".into(),
            raw: String::new(),
            rules: rules
                .iter()
                .map(|(p, caps)| PathRule {
                    pattern: p.to_string(),
                    caps: caps
                        .iter()
                        .fold(Caps::default(), |c, n| c.union(Caps::from_name(n).unwrap())),
                })
                .collect(),
        }
    }

    #[test]
    fn most_specific_rule_wins_and_deny_wins_within_it() {
        let p = policy(&[
            ("secret/data/app/production/*", &["read"]),
            (
                "secret/data/app/production/jwt",
                &["create", "update", "read"],
            ),
            ("secret/+/app/staging/*", &["deny"]),
            ("secret/*", &["list"]),
        ]);
        let acl = Acl::new([&p], false);
        assert!(acl.allows("secret/data/app/production/db", Caps::READ));
        assert!(!acl.allows("secret/data/app/production/db", Caps::UPDATE));
        assert!(acl.allows("secret/data/app/production/jwt", Caps::UPDATE));
        assert!(!acl.allows("secret/data/app/staging/db", Caps::READ));
        // Vault's rule 3: `secret/*` ties on the first wildcard and has fewer `+`, so it
        // wins over the deny glob here.
        assert!(acl.allows("secret/data/app/staging/db", Caps::LIST));
        assert!(acl.allows("secret/metadata/other", Caps::LIST));
        assert!(!acl.allows("sys/mounts", Caps::READ));
        assert!(acl.any_under("secret/"));
        assert!(!acl.any_under("other/"));
    }

    #[test]
    fn policies_merge_on_the_same_glob() {
        let a = policy(&[("secret/data/x", &["read"])]);
        let b = policy(&[("secret/data/x", &["update"])]);
        let acl = Acl::new([&a, &b], false);
        assert_eq!(
            acl.capabilities("secret/data/x"),
            Caps::READ.union(Caps::UPDATE)
        );
        let d = policy(&[("secret/data/x", &["deny"])]);
        assert!(!Acl::new([&a, &d], false).allows("secret/data/x", Caps::READ));
        assert!(Acl::new([], true).allows("anything", Caps::SUDO));
    }
}
