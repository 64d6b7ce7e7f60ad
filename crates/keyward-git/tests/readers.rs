//! The pack reader (whole packs decoded in delta-tree order) must report exactly what reading
//! every blob by id reports: same findings, same introducing commits and paths, same skips.
//! The repository mixes everything a real history has: versions of a file that become
//! deltas of each other, secrets in old commits, deleted files, an unmerged branch, a tag,
//! several packs (one blob in two of them), loose objects, a binary and an oversized blob.

use keyward_git::{scan_history, BlobReader, HistoryOptions, Selection};
use keyward_scan::{RuleSet, ScanStats, Scanner, Skipped};
use std::path::Path;
use std::sync::atomic::Ordering;

#[allow(dead_code)]
#[path = "../../keyward-cli/tests/support/gitrepo.rs"]
mod gitrepo;

use gitrepo::{stripe_key as stripe, Repo};

/// A fake GitHub token-shaped value assigned to a secret-named variable.
fn password(n: u32) -> String {
    format!("Zq8vR2mK{n:04}tP9wXy3L")
}

/// A long source file whose versions differ a little, so `git gc` stores them as deltas.
fn big_source(version: u32, secret_line: Option<&str>) -> String {
    let mut s = String::new();
    for i in 0..400 {
        s.push_str(&format!(
            "func handler{i}(w http.ResponseWriter) {{ log.Println({i}) }}\n"
        ));
        if i == 200 + version {
            s.push_str(&format!("// revision {version}\n"));
        }
        if i == 300 {
            if let Some(line) = secret_line {
                s.push_str(line);
                s.push('\n');
            }
        }
    }
    s
}

fn write(dir: &Path, rel: &str, data: impl AsRef<[u8]>) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

fn build_repo(repo: &Repo) -> Vec<String> {
    let dir = repo.path();
    let git = |_: &Path, args: &[&str]| repo.git(args);
    let commit = |_: &Path, msg: &str| repo.commit_all(msg);
    let mut commits = Vec::new();
    write(dir, "README.md", "hello\n");
    commits.push(commit(dir, "initial"));
    for v in 0..30 {
        let secret = (v % 7 == 3).then(|| format!("const dbPassword = \"{}\"", password(v)));
        write(dir, "server/main.go", big_source(v, secret.as_deref()));
        if v == 5 {
            write(
                dir,
                "config/.env",
                format!("STRIPE_SECRET_KEY={}\n", stripe(v)),
            );
        }
        if v == 9 {
            std::fs::remove_file(dir.join("config/.env")).unwrap();
        }
        if v == 12 {
            let mut bin = vec![0u8; 64];
            bin.extend_from_slice(stripe(v).as_bytes());
            write(dir, "assets/logo.bin", bin);
            write(
                dir,
                "data/huge.env",
                format!("{}\nKEY={}\n", "x".repeat(70_000), stripe(v)),
            );
        }
        commits.push(commit(dir, &format!("change {v}")));
    }
    git(dir, &["tag", "v1"]);
    // An unmerged branch with its own secret.
    git(dir, &["checkout", "-q", "-b", "feature"]);
    write(
        dir,
        "feature/app.env",
        format!("STRIPE_KEY={}\n", stripe(100)),
    );
    commits.push(commit(dir, "feature work"));
    git(dir, &["checkout", "-q", "main"]);
    // Deep delta chains in one pack.
    git(dir, &["gc", "-q", "--aggressive"]);
    // A second pack with new history, holding one old blob again (a revert).
    write(
        dir,
        "server/main.go",
        big_source(3, Some(&format!("const dbPassword = \"{}\"", password(3)))),
    );
    write(
        dir,
        "config/.env",
        format!("STRIPE_SECRET_KEY={}\n", stripe(200)),
    );
    commits.push(commit(dir, "revert main.go, new key"));
    git(dir, &["repack", "-q"]);
    // A third pack holding an old blob (main.go with its first password) a second time.
    let old = git(
        dir,
        &["rev-parse", &format!("{}:server/main.go", commits[4])],
    );
    let mut pack_objects = repo
        .cmd(&["pack-objects", "-q", ".git/objects/pack/pack"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    writeln!(pack_objects.stdin.take().unwrap(), "{old}").unwrap();
    assert!(pack_objects.wait().unwrap().success());
    // Loose objects on top.
    write(
        dir,
        "deploy/secrets.yaml",
        format!("stripe: {}\n", stripe(300)),
    );
    commits.push(commit(dir, "loose commit"));
    commits
}

/// What identifies a finding: rule, path, introducing commit, line, fingerprint.
type Key = (String, String, String, usize, keyward_core::Fingerprint);

struct Run {
    findings: Vec<Key>,
    files: u64,
    bytes: u64,
    binary: usize,
    too_large: usize,
    unreadable: usize,
    blobs: usize,
    warnings: Vec<String>,
}

fn run(dir: &Path, reader: BlobReader, selection: Selection) -> Run {
    let scanner = Scanner::new(RuleSet::builtin().unwrap());
    let stats = ScanStats::default();
    let opts = HistoryOptions {
        selection,
        threads: 2,
        max_file_size: 64 * 1024,
        exclude: None,
        reader,
    };
    let scan = scan_history(dir, &scanner, &opts, &stats).unwrap();
    let mut findings: Vec<_> = scan
        .findings
        .iter()
        .map(|f| {
            (
                f.rule_id.clone(),
                f.location.path.clone(),
                f.location.git.as_ref().unwrap().commit.clone(),
                f.location.line,
                f.fingerprint.clone(),
            )
        })
        .collect();
    findings.sort();
    Run {
        findings,
        files: stats.files.load(Ordering::Relaxed),
        bytes: stats.bytes.load(Ordering::Relaxed),
        binary: stats.count_skipped(|s| matches!(s, Skipped::Binary(_))),
        too_large: stats.count_skipped(|s| matches!(s, Skipped::TooLarge(..))),
        unreadable: stats.count_skipped(|s| matches!(s, Skipped::Unreadable(..))),
        blobs: scan.blobs,
        warnings: scan.warnings,
    }
}

#[test]
fn pack_reader_reports_exactly_what_lookups_report() {
    let repo = Repo::new();
    let dir = repo.path();
    let commits = build_repo(&repo);
    let packs = std::fs::read_dir(dir.join(".git/objects/pack"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "pack")
        })
        .count();
    assert!(packs >= 3, "the test wants several packs, got {packs}");

    for selection in [
        Selection::All,
        Selection::Range(format!("{}..main", commits[10])),
    ] {
        let lookup = run(dir, BlobReader::Lookup, selection.clone());
        let packed = run(dir, BlobReader::Auto, selection.clone());
        assert_eq!(packed.findings, lookup.findings, "{selection:?}");
        assert_eq!(packed.files, lookup.files, "{selection:?}");
        assert_eq!(packed.bytes, lookup.bytes, "{selection:?}");
        assert_eq!(packed.binary, lookup.binary, "{selection:?}");
        assert_eq!(packed.too_large, lookup.too_large, "{selection:?}");
        assert_eq!(packed.blobs, lookup.blobs, "{selection:?}");
        assert_eq!(packed.unreadable, 0);
        assert!(packed.warnings.is_empty(), "{:?}", packed.warnings);
    }

    // What the full scan must contain, independently of the reader.
    let all = run(dir, BlobReader::Auto, Selection::All);
    let has = |rule: &str, path: &str, commit: &str| {
        all.findings
            .iter()
            .any(|f| f.0 == rule && f.1 == path && f.2 == commit)
    };
    // The deleted .env, labelled with the commit that added it (change 5 = commits[6]).
    assert!(
        has("stripe-live-secret-key", "config/.env", &commits[6]),
        "{:?}",
        all.findings
    );
    // The unmerged branch.
    let feature = &commits[31];
    assert!(
        has("stripe-live-secret-key", "feature/app.env", feature),
        "{:?}",
        all.findings
    );
    // The loose commit.
    assert!(has(
        "stripe-live-secret-key",
        "deploy/secrets.yaml",
        commits.last().unwrap()
    ));
    // Every password version in main.go (versions 3, 10, 17, 24), each once.
    let mut go: Vec<_> = all
        .findings
        .iter()
        .filter(|f| f.1 == "server/main.go")
        .map(|f| f.2.clone())
        .collect();
    go.sort();
    go.dedup();
    let mut want: Vec<_> = [3, 10, 17, 24]
        .iter()
        .map(|v| commits[v + 1].clone())
        .collect();
    want.sort();
    assert_eq!(go, want, "{:?}", all.findings);
    // The binary blob and the oversized one are skipped, not scanned.
    assert_eq!(all.binary, 1);
    assert_eq!(all.too_large, 1);
    assert!(!all
        .findings
        .iter()
        .any(|f| f.1 == "data/huge.env" || f.1 == "assets/logo.bin"));
}
