//! The matching engine: keyword passes find candidate lines, then regexes and validators
//! run in small windows around each keyword.

use crate::entropy::shannon;
use crate::filter::{self, FileContext};
use crate::rules::{Rule, RuleSet};
use crate::syntax::{self, Bare};
use crate::validate::{self, Candidate, Verdict};
use keyward_core::{Context, Finding, Fingerprint, Location, SecretBytes};
use memchr::{memchr, memmem, memrchr};

/// How far a line-bounded window may reach on either side of a keyword (bounds work on
/// very long lines such as minified files).
const LINE_REACH: usize = 4096;
/// Nested decode-and-rescan depth (base64 in Kubernetes secrets).
const MAX_DEPTH: u8 = 1;
/// The inline suppression marker.
const ALLOW_MARKER: &[u8] = b"keyward:allow";

/// Shortest unquoted value worth reporting once an escape sequence has cut it.
const MIN_RAW_LEN: usize = 6;

/// Where an unquoted value runs into a string-literal escape (`\n`, `\r`, `\t`, a line
/// continuation `\`); `None` when it does not.
fn unescaped_end(value: &[u8]) -> Option<usize> {
    let at = memchr::memchr(b'\\', value)?;
    match value.get(at + 1) {
        Some(b'n' | b'r' | b't') | None => Some(at),
        _ => None,
    }
}

/// A scan of one input panicked (a bug in keyward); the input is reported as failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanPanicked;

/// Scans byte buffers with a [`RuleSet`]. Cheap to share across threads.
#[derive(Debug)]
pub struct Scanner {
    rules: RuleSet,
    /// Contexts in which a generic rule's finding fails the run.
    fail_contexts: Vec<Context>,
}

/// A match that passed every filter, before it becomes a [`Finding`].
#[derive(Debug)]
struct Hit {
    rule: u16,
    start: usize,
    end: usize,
    secret: Vec<u8>,
    /// Set when the hit came from a decoded payload (reported under the outer span).
    via: Option<u16>,
    /// On a line marked `keyward:allow`: counted as suppressed, never reported.
    allowed: bool,
}

/// What one scan found: the findings, and how many matches an inline `keyward:allow`
/// suppressed (counted so a suppression is never silent).
#[derive(Debug, Default)]
pub struct ScanOutput {
    /// Findings to report.
    pub findings: Vec<Finding>,
    /// Matches on lines marked `keyward:allow`.
    pub suppressed: u64,
}

impl Scanner {
    /// A scanner over `rules`.
    pub fn new(rules: RuleSet) -> Self {
        Scanner {
            rules,
            fail_contexts: vec![Context::Source],
        }
    }

    /// Generic-rule findings fail the run only in `contexts` (default: `source`).
    /// Provider-format findings always do.
    pub fn with_fail_contexts(mut self, contexts: Vec<Context>) -> Self {
        self.fail_contexts = contexts;
        self
    }

    /// Whether a finding of `rule_id` in `context` fails the run.
    pub fn is_blocking(&self, rule_id: &str, context: Context) -> bool {
        let generic = self
            .rules
            .rules()
            .iter()
            .find(|r| r.id() == rule_id)
            .is_some_and(|r| r.spec.generic);
        !generic || self.fail_contexts.contains(&context)
    }

    /// The rules in use.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Scan one input. `path` is only used to label findings.
    pub fn scan(&self, path: &str, data: &[u8]) -> Vec<Finding> {
        self.scan_full(path, data).findings
    }

    /// Scan one input, also counting the matches `keyward:allow` suppressed.
    pub fn scan_full(&self, path: &str, data: &[u8]) -> ScanOutput {
        #[cfg(feature = "test-faults")]
        if std::env::var("KEYWARD_TEST_SCAN_PANIC")
            .is_ok_and(|p| !p.is_empty() && path.contains(&p))
        {
            panic!("test fault while scanning a value sk_live_PANICVALUE0000 in {path}");
        }
        let mut hits = Vec::new();
        self.collect(data, 0, FileContext::for_path(path), &mut hits);
        let (allowed, hits): (Vec<Hit>, Vec<Hit>) = resolve_overlaps(&self.rules, hits)
            .into_iter()
            .partition(|h| h.allowed);
        let mut findings = self.to_findings(path, data, hits);
        if !findings.is_empty() {
            let context = crate::context::classify(path, data);
            for f in &mut findings {
                f.context = context;
                f.blocking = self.is_blocking(&f.rule_id, context);
            }
        }
        ScanOutput {
            findings,
            suppressed: allowed.len() as u64,
        }
    }

    /// [`Scanner::scan_full`] with a panic contained: a bug triggered by one input is
    /// reported as that input failing (`Err`) instead of ending the whole run. The panic's
    /// message is never returned, since it may quote the input.
    pub fn scan_guarded(&self, path: &str, data: &[u8]) -> Result<ScanOutput, ScanPanicked> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.scan_full(path, data)))
            .map_err(|_| ScanPanicked)
    }

    fn collect(&self, data: &[u8], depth: u8, ctx: FileContext, hits: &mut Vec<Hit>) {
        let rules = self.rules.rules();
        // Per rule: the end of the last window searched, so a line is searched once.
        let mut covered = vec![0usize; rules.len()];
        // Pass 1 finds lines holding at least one keyword; pass 2 finds every keyword on
        // them, overlapping. Any keyword pass 1 steps over overlaps one it reports, so it
        // lies on a line pass 2 searches: up to `searched_to` plus two keyword lengths.
        let reach = 2 * self.rules.max_keyword_len;
        let mut searched_to = 0usize;
        for lm in self.rules.finder.find_iter(data) {
            if lm.start() < searched_to {
                continue;
            }
            let (ls, le) = window(data, lm.start(), lm.end(), None);
            let region = &data[ls..(le + reach).min(data.len())];
            for m in self.rules.keywords.find_overlapping_iter(region) {
                let (ms, me) = (ls + m.start(), ls + m.end());
                for &ri in &self.rules.keyword_rules[m.pattern().as_usize()] {
                    let rule = &rules[ri as usize];
                    if ms < covered[ri as usize] {
                        continue;
                    }
                    let (ws, we) = window(data, ms, me, rule.window);
                    // A multi-line match may start at any keyword and run past the window
                    // of an earlier one, so multi-line rules search from every keyword.
                    covered[ri as usize] = if rule.window.is_some() { me } else { we };
                    self.match_window(data, (ws, we), ri, depth, ctx, hits);
                }
            }
            searched_to = le;
        }
    }

    fn match_window(
        &self,
        data: &[u8],
        (ws, we): (usize, usize),
        ri: u16,
        depth: u8,
        ctx: FileContext,
        hits: &mut Vec<Hit>,
    ) {
        let rule = &self.rules.rules()[ri as usize];
        for caps in rule.regex.captures_iter(&data[ws..we]) {
            let Some((group, sm)) = rule
                .secret_groups
                .iter()
                .find_map(|&g| caps.get(g).map(|m| (g, m)))
            else {
                continue;
            };
            let whole = caps.get(0).expect("group 0 always matches");
            let (s, e) = (ws + sm.start(), ws + sm.end());
            if hits
                .iter()
                .rev()
                .take(64)
                .any(|h| h.rule == ri && h.start == s && h.end == e)
            {
                continue;
            }
            let bare = Some(group) == rule.raw_group;
            let (s, e) = if bare {
                if matches!(data.get(e), Some(b'(' | b'.' | b'[' | b'{')) {
                    continue; // `password=hash_password(...)`, `t := &T{`: code, not a literal
                }
                // The value class stopped at its length cap, not at a delimiter: a blob
                // (a SealedSecret ciphertext, a certificate), too long to be a password.
                if data
                    .get(e)
                    .is_some_and(|b| !b.is_ascii_whitespace() && !b"\"'`,;(){}[]<>".contains(b))
                {
                    continue;
                }
                // Inside a string literal, `\n` or `\t` ends a dotenv line: `"PASS=x\nPORT=1"`.
                match unescaped_end(&data[s..e]) {
                    Some(len) if len >= MIN_RAW_LEN => (s, s + len),
                    Some(_) => continue,
                    None => (s, e),
                }
            } else {
                (s, e)
            };
            let value = &data[s..e];
            let key = rule
                .key_group
                .and_then(|g| caps.get(g))
                .map(|k| k.as_bytes());
            // A decoding validator judges the variable name itself: a non-secret name
            // (`DATABASE_URL`) still has its payload rescanned for specific secrets.
            let decodes = rule.validator().is_some_and(|v| v.decodes_payload());
            let key_for_filter = if decodes { None } else { key };
            // In shell and dotenv files a backquoted value is a command substitution.
            if key.is_some() && ctx.lang == syntax::Lang::Literal && s > 0 && data[s - 1] == b'`' {
                continue;
            }
            // An unquoted value is a literal only where the file's syntax makes it one.
            let mut literal = !bare;
            if bare && key.is_some() {
                let line_start = memrchr(b'\n', &data[..s]).map_or(0, |p| p + 1);
                let prefix = &data[line_start..s];
                // On a minified line quotes cannot be paired reliably: in code, an unquoted
                // value there is code.
                if prefix.len() > syntax::MAX_LEXED_PREFIX
                    && matches!(ctx.lang, syntax::Lang::Code(_))
                {
                    continue;
                }
                match syntax::bare_value(ctx.lang, prefix) {
                    Bare::NotLiteral => continue,
                    Bare::Literal => literal = true,
                    Bare::Unknown => {}
                }
                // `${MVNW_PASSWORD:+has-password}`: the word used when the variable is set,
                // not a value of it.
                if value[0] == b'+' && syntax::in_parameter_expansion(prefix) {
                    continue;
                }
                // `FS_IOC_KEY = 0xc0406619`, YAML anchors and aliases, Go `&T`/`*p`.
                if syntax::is_number_literal(value) || matches!(value[0], b'&' | b'*') {
                    continue;
                }
            }
            if rule.filter_placeholders
                && filter::reject(value, key_for_filter, ctx, literal).is_some()
            {
                continue;
            }
            if let Some(floor) = rule.spec.entropy {
                if shannon(value) < floor {
                    continue;
                }
            }
            let mut secret = value.to_vec();
            if let Some(v) = rule.validator() {
                let cand = Candidate {
                    data,
                    whole: (ws + whole.start(), ws + whole.end()),
                    secret: (s, e),
                };
                match validate::check(v, &cand) {
                    Verdict::Reject => continue,
                    Verdict::Accept => {}
                    Verdict::Decoded {
                        value: decoded,
                        generic,
                    } => {
                        let allowed = allowed_inline(data, s);
                        if depth < MAX_DEPTH
                            && self.rescan_decoded(&decoded, ri, (s, e, allowed), depth, hits)
                        {
                            continue;
                        }
                        // A structured payload (JSON, PEM, a config file) with nothing
                        // recognisable inside is configuration, not a credential; so is a
                        // value whose name says it is not a secret.
                        if !generic || decoded.contains(&b'\n') || decoded.starts_with(b"{") {
                            continue;
                        }
                        secret = decoded;
                    }
                }
            }
            hits.push(Hit {
                rule: ri,
                start: s,
                end: e,
                secret,
                via: None,
                allowed: allowed_inline(data, s),
            });
        }
    }

    /// Scan a decoded payload; specific findings inside it are reported at the outer span
    /// (suppressed when the outer line is marked `keyward:allow`). Returns true when at
    /// least one was found.
    fn rescan_decoded(
        &self,
        decoded: &[u8],
        outer: u16,
        (s, e, allowed): (usize, usize, bool),
        depth: u8,
        hits: &mut Vec<Hit>,
    ) -> bool {
        let mut inner = Vec::new();
        self.collect(decoded, depth + 1, FileContext::default(), &mut inner);
        let before = hits.len();
        for h in resolve_overlaps(&self.rules, inner) {
            hits.push(Hit {
                start: s,
                end: e,
                via: Some(outer),
                allowed: h.allowed || allowed,
                ..h
            });
        }
        hits.len() > before
    }

    fn to_findings(&self, path: &str, data: &[u8], mut hits: Vec<Hit>) -> Vec<Finding> {
        hits.sort_by_key(|h| (h.start, h.rule));
        let (mut line, mut counted_to) = (1usize, 0usize);
        hits.into_iter()
            .map(|h| {
                line += memchr::memchr_iter(b'\n', &data[counted_to..h.start]).count();
                counted_to = h.start;
                let line_start = memrchr(b'\n', &data[..h.start]).map_or(0, |p| p + 1);
                let rule = &self.rules.rules()[h.rule as usize];
                let mut f = Finding::new(
                    rule.id(),
                    rule.spec.title.clone(),
                    rule.severity,
                    rule.confidence,
                    Location {
                        path: path.to_string(),
                        line,
                        column: h.start - line_start + 1,
                        start: h.start,
                        end: h.end,
                        git: None,
                    },
                    SecretBytes::new(h.secret),
                );
                let place = keyward_core::fingerprint::place(path, data, h.start, h.end);
                f.fingerprint = Fingerprint::of_secret(rule.id(), f.secret.expose(), &place);
                if rule.validator().is_some_and(|v| v.proves_format()) && h.via.is_none() {
                    f.verified = true;
                    f.notes.push("verified: the token's checksum holds".into());
                }
                if let Some(outer) = h.via {
                    f.notes.push(format!(
                        "decoded from {}",
                        self.rules.rules()[outer as usize].spec.title
                    ));
                }
                f
            })
            .collect()
    }
}

/// The window a rule's regex runs in around a keyword at `[ks, ke)`.
fn window(data: &[u8], ks: usize, ke: usize, extent: Option<usize>) -> (usize, usize) {
    let lo = ks.saturating_sub(LINE_REACH);
    let ws = memrchr(b'\n', &data[lo..ks]).map_or(lo, |p| lo + p + 1);
    let we = match extent {
        Some(n) => (ke + n).min(data.len()),
        None => {
            let hi = (ke + LINE_REACH).min(data.len());
            memchr(b'\n', &data[ke..hi]).map_or(hi, |p| ke + p)
        }
    };
    (ws, we)
}

/// True when the line holding byte `at` carries `keyward:allow`.
fn allowed_inline(data: &[u8], at: usize) -> bool {
    let ls = memrchr(b'\n', &data[..at]).map_or(0, |p| p + 1);
    let le = memchr(b'\n', &data[at..]).map_or(data.len(), |p| at + p);
    memmem::find(&data[ls..le], ALLOW_MARKER).is_some()
}

/// Where matches of different rules overlap, keep the most specific one (highest
/// confidence, then severity, then the longer match).
fn resolve_overlaps(rules: &RuleSet, mut hits: Vec<Hit>) -> Vec<Hit> {
    // Ties fall to the rule without a variable-name group (provider rules before generic
    // ones), then to file order, so the winner never depends on keyword positions.
    let rank = |h: &Hit| {
        let r: &Rule = &rules.rules()[h.rule as usize];
        (
            r.confidence,
            r.severity,
            h.end - h.start,
            r.key_group.is_none(),
            std::cmp::Reverse(h.rule),
        )
    };
    hits.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end)));
    let mut kept: Vec<Hit> = Vec::with_capacity(hits.len());
    for h in hits {
        match kept.last() {
            Some(last) if h.start < last.end && !(h.start == last.start && h.rule == last.rule) => {
                if rank(&h) > rank(last) {
                    *kept.last_mut().expect("non-empty") = h;
                }
            }
            Some(last) if h.start == last.start && h.end == last.end && h.rule == last.rule => {}
            _ => kept.push(h),
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    #[test]
    fn window_is_the_line_or_the_extent() {
        let d = b"one\ntwo key three\nfour";
        assert_eq!(window(d, 8, 11, None), (4, 17));
        assert_eq!(window(d, 8, 11, Some(100)), (4, d.len()));
    }

    /// The one-pass algorithm the two-pass search must agree with: an overlapping keyword
    /// search over every byte.
    fn reference_scan(scanner: &Scanner, data: &[u8]) -> Vec<(String, usize, usize)> {
        let rules = scanner.rules.rules();
        let mut hits = Vec::new();
        let mut covered = vec![0usize; rules.len()];
        for m in scanner.rules.keywords.find_overlapping_iter(data) {
            for &ri in &scanner.rules.keyword_rules[m.pattern().as_usize()] {
                if m.start() < covered[ri as usize] {
                    continue;
                }
                let w = rules[ri as usize].window;
                let (ws, we) = window(data, m.start(), m.end(), w);
                covered[ri as usize] = if w.is_some() { m.end() } else { we };
                let ctx = FileContext::default();
                scanner.match_window(data, (ws, we), ri, 0, ctx, &mut hits);
            }
        }
        let mut out: Vec<_> = resolve_overlaps(&scanner.rules, hits)
            .into_iter()
            .map(|h| (rules[h.rule as usize].id().to_string(), h.start, h.end))
            .collect();
        out.sort();
        out
    }

    fn two_pass(scanner: &Scanner, data: &[u8]) -> Vec<(String, usize, usize)> {
        let mut out: Vec<_> = scanner
            .scan("x", data)
            .into_iter()
            .map(|f| (f.rule_id, f.location.start, f.location.end))
            .collect();
        out.sort();
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Lines built from overlapping keywords, secrets and long runs of filler (so the
        /// 4 KiB line bounds are crossed) give the same findings either way.
        #[test]
        fn two_pass_search_finds_what_one_pass_finds(
            parts in proptest::collection::vec(0usize..9, 1..400)
        ) {
            static SCANNER: std::sync::OnceLock<Scanner> = std::sync::OnceLock::new();
            let scanner = SCANNER.get_or_init(|| Scanner::new(RuleSet::builtin().unwrap()));
            const PIECES: [&str; 9] = [
                "password=", "Kq8vT2nLx9Rz4Wm7 ", "sk_live_51NbQ8rLx2Vz9Kt4Wm7Hp3Jc6Df1Gs0Ya ", // keyward:allow
                "\n", "DB_PASS=Zt5Hw9Lq3Vx8Kn2P ", "token", "xx", "secret_key=p9v2kxq7lz4m ", // keyward:allow
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\
                 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            ];
            let text: String = parts.iter().map(|&i| PIECES[i]).collect::<String>();
            let data = text.as_bytes();
            proptest::prop_assert_eq!(two_pass(scanner, data), reference_scan(scanner, data));
        }
    }

    #[test]
    fn escapes_end_unquoted_values() {
        assert_eq!(unescaped_end(b"Tr0ub4dor3x\\n\\"), Some(11));
        assert_eq!(unescaped_end(b"abc\\"), Some(3));
        assert_eq!(unescaped_end(b"p\\$x"), None);
        assert_eq!(unescaped_end(b"plain"), None);
    }

    #[test]
    fn inline_allow_marker() {
        let d = b"a = 1\nsecret = x # keyward:allow\nb";
        assert!(allowed_inline(d, 10));
        assert!(!allowed_inline(d, 2));
    }
}
