//! `keyward checklist`, `checklist sign` and `security-md` end to end on the sample
//! project of `support/checklist_project.rs`: what is proven, what fails and why,
//! attestations current and expired, the sign-off in the audit chain, SECURITY.md written
//! and updated between markers, and bad input refused with one line.

#[path = "support/checklist_project.rs"]
mod project;
#[path = "support/rotation.rs"]
mod rotation;

use serde_json::Value;

fn checklist(env: &rotation::Env, extra: &[&str]) -> (i32, String, String) {
    let osv = project::osv();
    let clock = project::clock();
    let mut args = vec!["checklist", "--db", osv.as_str()];
    args.extend_from_slice(extra);
    let out = env.run_with(&args, None, &[("KEYWARD_NOW", &clock)]);
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn item<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no item {id}"))
}

fn state_and_reason(doc: &Value, id: &str) -> (String, String) {
    let i = item(doc, id);
    (
        i["state"].as_str().unwrap().to_string(),
        i["reason"].as_str().unwrap().to_string(),
    )
}

#[test]
fn checklist_proves_fails_and_attests_then_sign_off_lands_in_the_chain() {
    let env = project::build();
    let (code, out, err) = checklist(
        &env,
        &[
            "--format",
            "json",
            "--evidence",
            "trivy.sarif",
            "--evidence",
            "bandit.sarif",
        ],
    );
    assert_eq!(code, 1, "a pre-deployment item fails: {err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["environment"], "production");
    assert_eq!(doc["blocked"], true);

    let failed = |id: &str, needle: &str| {
        let (s, r) = state_and_reason(&doc, id);
        assert_eq!(s, "failed", "{id}: {r}");
        assert!(r.contains(needle), "{id}: {r}");
    };
    // The five false things the issue names, each failing its item with the place.
    failed("review.no-hardcoded-credentials", "src/settings.py:1");
    failed("pre.secrets-stored", "src/settings.py");
    failed(
        "soc2.secret-rotation",
        "production/DATABASE_PASSWORD overdue by 40 day(s)",
    );
    failed("pre.pod-security-contexts", "k8s/deployment.yaml");
    failed("pre.deps-cves", "npm lodash 4.17.20 (high");
    failed("pre.tls-valid", "certs/api.pem: expires in 5 day(s)");
    failed("soc2.tls-renewal", "expires in 5 day(s)");
    // An expired attestation fails its item; SARIF evidence of other tools counts.
    failed("pre.backup-dr-tested", "attestation by Sam Restore");
    failed("pre.backup-dr-tested", "expired on");
    failed("review.sql-parameterized", "bandit B608 at app/db.py:7");
    failed("review.security-linting", "bandit B608");

    let proven = |id: &str, needle: &str| {
        let (s, r) = state_and_reason(&doc, id);
        assert_eq!(s, "proven", "{id}: {r}");
        assert!(r.contains(needle), "{id}: {r}");
    };
    proven("pre.audit-logging", "chain intact");
    proven("soc2.access-logging", "chain intact");
    proven("pre.rbac", "object(s) pass");
    proven("pre.cors", "object(s) pass");
    proven("review.config-files-secured", "development clean");
    proven("review.stripe-test-keys", "development clean");
    proven("pre.images-scanned", "trivy report(s) without errors");

    let enc = item(&doc, "pre.db-encryption-at-rest");
    assert_eq!(enc["state"], "attested");
    assert_eq!(enc["attestation"]["by"], "Dana Ops");
    assert_eq!(enc["attestation"]["expired"], false);
    assert_eq!(
        enc["attestation"]["expires"],
        project::day(project::CLOCK_DAYS as i64 - 10 + 365)
    );
    assert_eq!(item(&doc, "post.penetration-testing")["state"], "unproven");
    assert_eq!(item(&doc, "pre.rate-limiting")["state"], "unproven");

    // Every source ran, and each has a digest.
    for e in doc["evidence"].as_array().unwrap() {
        assert!(e["digest"].as_str().is_some_and(|d| d.len() == 64), "{e}");
    }
    // Nothing secret in the report.
    assert!(!out.contains(project::LEAKED), "the leaked key was printed");
    assert!(
        !out.contains("sk_live_stored"),
        "a stored value was printed"
    );

    // Human output lists attested items with their expiry and says the deploy is blocked.
    let (code, human, _) = checklist(&env, &[]);
    assert_eq!(code, 1);
    assert!(
        human.contains("ATTESTED Database encryption at rest enabled"),
        "{human}"
    );
    assert!(human.contains("attested by Dana Ops on"), "{human}");
    assert!(human.contains("deployment blocked"), "{human}");
    assert!(!human.contains(project::LEAKED));

    // Signing a failing checklist needs an explicit choice.
    let clock = project::clock();
    let osv = project::osv();
    let now = [("KEYWARD_NOW", clock.as_str())];
    let out = env.run_with(
        &["checklist", "sign", "--by", "Dana Ops", "--db", &osv],
        None,
        &now,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not signed: pre-deployment item(s) failed")
    );
    let (_, fresh, _) = checklist(&env, &["--format", "json"]);
    let digest = serde_json::from_str::<Value>(&fresh).unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let signed = env.ok_with(
        &[
            "checklist",
            "sign",
            "--by",
            "Dana Ops",
            "--accept-failures",
            "--db",
            &osv,
        ],
        None,
        &now,
    );
    assert!(
        signed.contains(&format!("checklist digest {digest}")),
        "{signed}"
    );

    // The sign-off is an entry of a chain that verifies.
    let verify = env.ok(&["audit", "verify"], None);
    assert!(verify.contains("audit chain intact"), "{verify}");
    let log: Value =
        serde_json::from_str(&env.ok(&["audit", "log", "--format", "json"], None)).unwrap();
    let entry = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "checklist.sign")
        .expect("sign-off in the audit log");
    assert_eq!(entry["outcome"], "blocked");
    let detail: Value = serde_json::from_str(entry["detail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["by"], "Dana Ops");
    assert_eq!(detail["digest"], digest.as_str());
    assert_eq!(detail["items"]["pre.tls-valid"], "failed");
    assert_eq!(detail["items"]["pre.db-encryption-at-rest"], "attested");
    assert_eq!(detail["evidence"]["scan"].as_str().unwrap().len(), 64);
}

#[test]
fn markdown_and_html_reports() {
    let env = project::build();
    let (code, md, _) = checklist(&env, &["--format", "markdown"]);
    assert_eq!(code, 1);
    assert!(md.contains("### Pre-Deployment"), "{md}");
    assert!(
        md.contains("- [x] Security audit logging enabled — proven"),
        "{md}"
    );
    assert!(
        md.contains("- [ ] TLS certificates installed and valid — **FAILED**"),
        "{md}"
    );
    assert!(
        md.contains("- [x] Database encryption at rest enabled — attested by Dana Ops"),
        "{md}"
    );
    let (code, html, _) = checklist(&env, &["--format", "html", "-o", "report.html"]);
    assert_eq!((code, html.as_str()), (1, ""));
    let html = std::fs::read_to_string(env.path().join("report.html")).unwrap();
    assert!(html.starts_with("<!doctype html>"));
    assert!(
        html.contains("<tr class=\"failed\"><td>TLS certificates installed and valid"),
        "{html}"
    );
    assert!(!html.contains("<script"), "no script in the report");
}

/// Everything outside the keyward markers.
fn prose(doc: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in doc.lines() {
        if line.starts_with("<!-- keyward:begin ") {
            inside = true;
        } else if line.starts_with("<!-- keyward:end ") {
            inside = false;
        } else if !inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[test]
fn security_md_writes_sections_and_a_second_run_updates_only_them() {
    let env = project::build();
    let osv = project::osv();
    let clock = project::clock();
    let now = [("KEYWARD_NOW", clock.as_str())];
    let md = env.path().join("SECURITY.md");
    std::fs::write(&md, "# Security Policy\n\nReport vulnerabilities to security@example.com; we answer within 24 hours.\n").unwrap();
    let out = env.ok_with(&["security-md", "--db", &osv], None, &now);
    assert!(out.contains("updated"), "{out}");
    let first = std::fs::read_to_string(&md).unwrap();
    assert!(first.contains("we answer within 24 hours"), "prose kept");
    assert!(first.contains("**Last Security Audit**: "), "{first}");
    assert!(
        first.contains("❌ 1 npm package(s) with advisories (1 HIGH or CRITICAL)"),
        "{first}"
    );
    assert!(first.contains("✅ 0 known PyPI vulnerabilities"), "{first}");
    assert!(first.contains("- `JWT_SECRET` - JWT signing secret (256-bit minimum) (jwt-secret; required in production)"), "{first}");
    assert!(
        first.contains("- **JWT_SECRET**: rotate every 180 days"),
        "{first}"
    );
    assert!(
        first.contains("- **DATABASE_PASSWORD**: rotate every 60 days"),
        "{first}"
    );
    assert!(
        first.contains("- **STRIPE_SECRET_KEY**: rotate on security incident"),
        "{first}"
    );
    assert!(first.contains("- **production**: keyward store"), "{first}");
    assert!(first.contains("3 secret(s) stored"), "{first}");
    assert!(
        first.contains("Stripe Dashboard → Developers → API Keys"),
        "{first}"
    );
    assert!(
        first.contains("- [ ] TLS certificates installed and valid — **FAILED**"),
        "{first}"
    );
    let up_to_date = env.run_with(&["security-md", "--check", "--db", &osv], None, &now);
    assert_eq!(
        up_to_date.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&up_to_date.stdout)
    );

    // The team edits prose, and the policy gains a variable.
    let edited = first.replace(
        "## Rotation Schedule\n",
        "## Rotation Schedule\n\nAsk #ops before rotating by hand.\n",
    ) + "\n## Contact\n\nsecurity@example.com\n";
    std::fs::write(&md, &edited).unwrap();
    let policy = project::policy() + "\n[variables.REDIS_PASSWORD]\nkind = \"redis-password\"\n";
    std::fs::write(env.path().join("keyward.toml"), policy).unwrap();
    let stale = env.run_with(&["security-md", "--check", "--db", &osv], None, &now);
    assert_eq!(stale.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&md).unwrap(),
        edited,
        "--check changes nothing"
    );
    env.ok_with(&["security-md", "--db", &osv], None, &now);
    let second = std::fs::read_to_string(&md).unwrap();
    assert!(
        second.contains("- `REDIS_PASSWORD` (redis-password; optional)"),
        "{second}"
    );
    assert!(
        second.contains("- **REDIS_PASSWORD**: rotate every"),
        "{second}"
    );
    assert_eq!(
        prose(&second),
        prose(&edited),
        "only generated parts changed"
    );
    assert_ne!(second, edited);
}

#[test]
fn bad_input_is_one_line_and_changes_nothing() {
    let env = project::build();
    let osv = project::osv();
    let one_line = |out: &std::process::Output, needle: &str| {
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err}");
    };
    let out = env.run_with(&["checklist", "--format", "pdf", "--db", &osv], None, &[]);
    one_line(&out, "unknown format `pdf`");
    std::fs::write(env.path().join("notes.sarif"), "not json").unwrap();
    let out = env.run_with(
        &["checklist", "--evidence", "notes.sarif", "--db", &osv],
        None,
        &[],
    );
    one_line(&out, "notes.sarif: not JSON");
    let policy = project::policy().replace("pre.db-encryption-at-rest", "pre.db-encryption");
    std::fs::write(env.path().join("keyward.toml"), policy).unwrap();
    let out = env.run_with(&["checklist", "--db", &osv], None, &[]);
    one_line(&out, "did you mean `pre.db-encryption-at-rest`?");
    std::fs::write(env.path().join("keyward.toml"), project::policy()).unwrap();

    let broken = "# Security\n\n<!-- keyward:begin status -->\nhand edit\n";
    std::fs::write(env.path().join("SECURITY.md"), broken).unwrap();
    let out = env.run_with(&["security-md", "--db", &osv], None, &[]);
    one_line(
        &out,
        "SECURITY.md:3: `<!-- keyward:begin status -->` has no `<!-- keyward:end status -->`",
    );
    assert_eq!(
        std::fs::read_to_string(env.path().join("SECURITY.md")).unwrap(),
        broken
    );
    let out = env.run_with(&["checklist", "sign", "--by", " ", "--db", &osv], None, &[]);
    one_line(&out, "--by must name the person");
}

#[test]
fn without_a_store_its_items_are_unproven_not_proven() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("keyward.toml"),
        "[variables.JWT_SECRET]\nrequired_in = [\"production\"]\n",
    )
    .unwrap();
    let out = assert_cmd::Command::cargo_bin("keyward")
        .unwrap()
        .current_dir(dir.path())
        .env_remove("KEYWARD_STORE")
        .env_remove("KEYWARD_MASTER_KEY")
        .env("KEYWARD_DEPS_DB", dir.path().join("no-db"))
        .args(["checklist", "--format", "json"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "nothing failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (s, r) = state_and_reason(&doc, "pre.audit-logging");
    assert_eq!(s, "unproven");
    assert!(r.contains("no store at .keyward/store.db"), "{r}");
    assert_eq!(state_and_reason(&doc, "soc2.secret-rotation").0, "unproven");
    // --strict turns unproven pre-deployment items into a failing exit.
    let out = assert_cmd::Command::cargo_bin("keyward")
        .unwrap()
        .current_dir(dir.path())
        .env_remove("KEYWARD_STORE")
        .env("KEYWARD_DEPS_DB", dir.path().join("no-db"))
        .args(["checklist", "--strict"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}
