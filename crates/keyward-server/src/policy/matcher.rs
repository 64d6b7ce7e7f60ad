//! Vault's path globs: a trailing `*` matches any suffix, a `+` segment matches exactly one
//! segment; and its priority order when several globs match (policies.mdx):
//!
//! 1. the later the first wildcard (`+` or `*`), the higher the priority;
//! 2. a glob ending in `*` is lower than one that does not;
//! 3. more `+` segments is lower;
//! 4. shorter is lower;
//! 5. lexicographically smaller is lower.

use std::cmp::Ordering;

/// Whether `pattern` matches `path`.
pub fn matches(pattern: &str, path: &str) -> bool {
    let (body, glob) = match pattern.strip_suffix('*') {
        Some(b) => (b, true),
        None => (pattern, false),
    };
    if !body.contains('+') {
        return if glob {
            path.starts_with(body)
        } else {
            path == body
        };
    }
    let pat: Vec<&str> = body.split('/').collect();
    let segs: Vec<&str> = path.split('/').collect();
    if segs.len() < pat.len() || (!glob && segs.len() != pat.len()) {
        return false;
    }
    let last = pat.len() - 1;
    for (i, (p, s)) in pat.iter().zip(&segs).enumerate() {
        let ok = match (*p, glob && i == last) {
            ("+", _) => !s.is_empty() || (glob && i == last),
            (p, true) => s.starts_with(p),
            (p, false) => p == *s,
        };
        if !ok {
            return false;
        }
    }
    // A glob's last, partial segment may be followed by more path.
    glob || segs.len() == pat.len()
}

fn first_wildcard(p: &str) -> usize {
    let plus = p.split('/').scan(0usize, |pos, seg| {
        let at = *pos;
        *pos += seg.len() + 1;
        Some((at, seg))
    });
    let plus = plus.filter(|(_, s)| *s == "+").map(|(at, _)| at).next();
    let star = p.ends_with('*').then(|| p.len() - 1);
    plus.into_iter().chain(star).min().unwrap_or(usize::MAX)
}

/// Compare two globs by priority: `Greater` when `a` wins over `b`.
pub fn priority(a: &str, b: &str) -> Ordering {
    let plus = |p: &str| p.split('/').filter(|s| *s == "+").count();
    first_wildcard(a)
        .cmp(&first_wildcard(b))
        .then_with(|| b.ends_with('*').cmp(&a.ends_with('*')))
        .then_with(|| plus(b).cmp(&plus(a)))
        .then_with(|| a.len().cmp(&b.len()))
        .then_with(|| a.cmp(b))
}

/// Whether some path under `prefix` (which ends in `/`) could match `pattern`.
pub fn may_overlap(pattern: &str, prefix: &str) -> bool {
    let lit_end = first_wildcard(pattern).min(pattern.len());
    let lit = &pattern[..lit_end];
    let n = lit.len().min(prefix.len());
    lit.as_bytes()[..n] == prefix.as_bytes()[..n]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_vault() {
        assert!(matches("secret/zip-*", "secret/zip-zap/x"));
        assert!(matches("secret/*", "secret/"));
        assert!(!matches("secret/data/app/*", "secret/data/app"));
        assert!(matches("secret/+/app/*", "secret/data/app/x/y"));
        assert!(!matches("secret/+/app/*", "secret/app/x"));
        assert!(matches("secret/+/teamb", "secret/foo/teamb"));
        assert!(!matches("secret/+/teamb", "secret/foo/bar/teamb"));
        assert!(matches("secret/+/+/x", "secret/a/b/x"));
        assert!(!matches("secret/data/x", "secret/data/x/"));
        assert!(matches("secret/data/x", "secret/data/x"));
    }

    #[test]
    fn priority_follows_the_five_rules() {
        use Ordering::*;
        // 1. later first wildcard wins
        assert_eq!(priority("secret/data/*", "secret/*"), Greater);
        assert_eq!(priority("secret/a/+", "secret/+/a"), Greater);
        // exact beats glob
        assert_eq!(priority("secret/data/x", "secret/data/x*"), Greater);
        // 2. `*` loses to no `*` with the wildcard at the same place
        assert_eq!(priority("secret/+/xy", "secret/+/x*"), Greater);
        // 3. more `+` loses
        assert_eq!(priority("secret/+/x/y", "secret/+/+/y"), Greater);
        // 4. longer wins
        assert_eq!(priority("secret/+/abc", "secret/+/ab"), Greater);
        // 5. lexicographic
        assert_eq!(priority("secret/+/b", "secret/+/a"), Greater);
    }

    #[test]
    fn overlap_with_a_mount() {
        assert!(may_overlap("secret/data/app/*", "secret/"));
        assert!(may_overlap("*", "secret/"));
        assert!(may_overlap("secr*", "secret/"));
        assert!(may_overlap("+/data/*", "secret/"));
        assert!(!may_overlap("kv/*", "secret/"));
    }
}
