//! The database, its index and matching, on synthetic zips (alias merging, explicit
//! versions, informational entries, combined fixes, index invalidation) and on the real
//! `shared/osv` data (record and withdrawn counts, a withdrawn advisory never matching).

use keyward_deps::db::index::EcosystemIndex;
use keyward_deps::db::{sha256_hex, Database};
use keyward_deps::{audit, AdvisoryKind, Ecosystem, Package};
use std::io::Write;
use std::path::Path;

fn make_zip(files: &[(&str, String)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, body) in files {
        w.start_file(*name, opts).unwrap();
        w.write_all(body.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn record(id: &str, aliases: &[&str], eco: &str, name: &str, events: &str, extra: &str) -> String {
    format!(
        r#"{{"id": "{id}", "modified": "2024-01-01T00:00:00Z", "aliases": {aliases:?}, "summary": "{id} summary",
            "affected": [{{"package": {{"ecosystem": "{eco}", "name": "{name}"}},
                           "ranges": [{{"type": "GIT", "repo": "x", "events": [{{"introduced": "abc"}}]}},
                                      {{"type": "ECOSYSTEM", "events": {events}}}]{extra}}}]}}"#
    )
}

fn pkg(eco: Ecosystem, name: &str, version: &str) -> Package {
    Package {
        ecosystem: eco,
        name: eco.normalize(name),
        version: Some(version.into()),
        path: "lock".into(),
        line: 1,
        dev: false,
        markers: None,
    }
}

fn db_with(eco: &str, files: &[(&str, String)]) -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(eco)).unwrap();
    std::fs::write(dir.path().join(eco).join("all.zip"), make_zip(files)).unwrap();
    std::fs::write(
        dir.path().join("keyward-db.json"),
        r#"{"updated": "2026-01-01T00:00:00Z", "source": "t", "ecosystems": {}}"#,
    )
    .unwrap();
    let db = Database::open(dir.path(), &Ecosystem::ALL).unwrap();
    (dir, db)
}

#[test]
fn aliases_merge_records_of_one_vulnerability_and_fixes_combine() {
    let (_d, db) = db_with(
        "PyPI",
        &[
            (
                "a.json",
                record(
                    "PYSEC-1",
                    &["CVE-1", "GHSA-aaaa"],
                    "PyPI",
                    "Some_Pkg",
                    r#"[{"introduced": "0"}, {"fixed": "1.5"}]"#,
                    "",
                ),
            ),
            (
                "b.json",
                record(
                    "GHSA-aaaa",
                    &["CVE-1"],
                    "PyPI",
                    "some-pkg",
                    r#"[{"introduced": "1.0"}, {"fixed": "1.4"}]"#,
                    "",
                ),
            ),
            (
                "c.json",
                record(
                    "PYSEC-2",
                    &["CVE-2"],
                    "PyPI",
                    "some.pkg",
                    r#"[{"introduced": "1.4"}, {"fixed": "1.6"}, {"introduced": "2.0"}]"#,
                    "",
                ),
            ),
            (
                "d.json",
                record(
                    "PYSEC-3",
                    &[],
                    "PyPI",
                    "some-pkg",
                    r#"[{"introduced": "9.0"}]"#,
                    r#", "versions": ["1.2.0"]"#,
                ),
            ),
        ],
    );
    let found = audit(&db, &[pkg(Ecosystem::PyPI, "SOME-pkg", "1.2")], &|_, _| {
        false
    })
    .found;
    assert_eq!(found.len(), 1);
    let v = &found[0];
    let ids: Vec<(&str, Vec<&str>)> = v
        .advisories
        .iter()
        .map(|a| {
            (
                a.id.as_str(),
                a.aliases.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    // PYSEC-1 and GHSA-aaaa are one vulnerability (shared CVE-1); PYSEC-3 lists 1.2.0.
    assert_eq!(
        ids,
        vec![("PYSEC-1", vec!["CVE-1", "GHSA-aaaa"]), ("PYSEC-3", vec![])]
    );
    assert_eq!(v.advisories[0].fixed.as_deref(), Some("1.5"));
    assert_eq!(v.advisories[1].fixed, None);
    // 1.5 fixes PYSEC-1; PYSEC-3 has no fix (only an explicit list) — 1.5 is not listed.
    assert_eq!(v.fixed_version.as_deref(), Some("1.5"));
    // 1.4.1: PYSEC-1 (→1.5) and PYSEC-2 (→1.6): the lowest version fixing both is 1.6.
    let v = &audit(
        &db,
        &[pkg(Ecosystem::PyPI, "some-pkg", "1.4.1")],
        &|_, _| false,
    )
    .found[0];
    assert_eq!(v.fixed_version.as_deref(), Some("1.6"));
    assert!(
        audit(&db, &[pkg(Ecosystem::PyPI, "some-pkg", "1.7")], &|_, _| {
            false
        })
        .found
        .is_empty()
    );
    // Re-opened to 2.0 and never fixed.
    let v = &audit(&db, &[pkg(Ecosystem::PyPI, "some-pkg", "2.1")], &|_, _| {
        false
    })
    .found[0];
    assert_eq!(
        (v.advisories[0].id.as_str(), v.fixed_version.as_deref()),
        ("PYSEC-2", None)
    );
    // Ignoring by an alias suppresses the whole group.
    let out = audit(
        &db,
        &[pkg(Ecosystem::PyPI, "some-pkg", "1.2")],
        &|_, names| names.contains(&"CVE-1"),
    );
    assert_eq!(out.found[0].advisories.len(), 1);
    assert_eq!(out.suppressed, 2);
}

#[test]
fn informational_entries_are_info_and_named_by_kind() {
    let unsound = r#", "database_specific": {"informational": "unsound"}"#;
    let (_d, db) = db_with(
        "crates.io",
        &[
            (
                "a.json",
                record(
                    "RUSTSEC-1",
                    &[],
                    "crates.io",
                    "c",
                    r#"[{"introduced": "0.0.0-0"}, {"fixed": "0.2.0"}]"#,
                    unsound,
                ),
            ),
            (
                "b.json",
                r#"{"id": "RUSTSEC-2", "withdrawn": "2024-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "crates.io", "name": "c"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0.0.0-0"}]}]}]}"#.to_string(),
            ),
        ],
    );
    let idx = db.index(Ecosystem::CratesIo).unwrap();
    assert_eq!(
        (idx.records, idx.withdrawn, idx.advisories.len()),
        (2, 1, 1)
    );
    let v = &audit(&db, &[pkg(Ecosystem::CratesIo, "c", "0.1.0")], &|_, _| {
        false
    })
    .found[0];
    assert_eq!(
        v.advisories.len(),
        1,
        "the withdrawn RUSTSEC-2 is never reported"
    );
    assert_eq!(
        (v.advisories[0].kind.clone(), v.severity.as_str()),
        (AdvisoryKind::Unsound, "info")
    );
}

#[test]
fn the_index_is_cached_by_zip_hash_and_rebuilt_when_the_zip_changes() {
    let first = record(
        "GHSA-1",
        &[],
        "npm",
        "a",
        r#"[{"introduced": "0"}, {"fixed": "2.0.0"}]"#,
        "",
    );
    let (dir, db) = db_with("npm", &[("a.json", first.clone())]);
    assert_eq!(db.built, vec![Ecosystem::Npm]);
    let again = Database::open(dir.path(), &Ecosystem::ALL).unwrap();
    assert!(
        again.built.is_empty(),
        "the second open loads the stored index"
    );
    let second = record("GHSA-2", &[], "npm", "b", r#"[{"introduced": "0"}]"#, "");
    std::fs::write(
        dir.path().join("npm/all.zip"),
        make_zip(&[("a.json", first), ("b.json", second)]),
    )
    .unwrap();
    let changed = Database::open(dir.path(), &Ecosystem::ALL).unwrap();
    assert_eq!(changed.built, vec![Ecosystem::Npm]);
    assert_eq!(changed.index(Ecosystem::Npm).unwrap().advisories.len(), 2);
}

#[test]
fn a_zip_with_a_bad_document_names_it() {
    let zip = make_zip(&[
        ("ok.json", record("GHSA-1", &[], "npm", "a", "[]", "")),
        ("bad.json", "{\"id\": 3}".into()),
    ]);
    let err = EcosystemIndex::build(Ecosystem::Npm, &zip, &sha256_hex(&zip)).unwrap_err();
    assert!(err.starts_with("bad.json: not OSV JSON"), "{err}");
    assert!(EcosystemIndex::build(Ecosystem::Npm, b"garbage", "x")
        .unwrap_err()
        .starts_with("not a zip archive"));
}

#[test]
fn the_shared_database_counts_and_skips_withdrawn_records() {
    let osv = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/osv"));
    assert!(
        osv.join("PyPI/all.zip").is_file(),
        "shared/osv is needed ({})",
        osv.display()
    );
    let mut counts = Vec::new();
    for (eco, name) in [
        (Ecosystem::Npm, "npm"),
        (Ecosystem::PyPI, "PyPI"),
        (Ecosystem::CratesIo, "crates.io"),
    ] {
        let zip = std::fs::read(osv.join(name).join("all.zip")).unwrap();
        let idx = EcosystemIndex::build(eco, &zip, &sha256_hex(&zip)).unwrap();
        counts.push((name, idx.records, idx.withdrawn, idx.advisories.len()));
        let bytes = idx.to_bytes();
        let back = EcosystemIndex::from_bytes(&bytes, &idx.zip_sha256).expect("round trip");
        assert_eq!(back.advisories.len(), idx.advisories.len());
        assert!(EcosystemIndex::from_bytes(&bytes, "another-zip").is_none());
    }
    assert_eq!(
        counts,
        vec![
            ("npm", 23, 0, 23),
            ("PyPI", 2661, 10, 2651),
            ("crates.io", 1206, 13, 1193)
        ]
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("PyPI")).unwrap();
    std::fs::copy(osv.join("PyPI/all.zip"), dir.path().join("PyPI/all.zip")).unwrap();
    std::fs::write(
        dir.path().join("keyward-db.json"),
        r#"{"updated": "2026-01-01T00:00:00Z", "source": "t", "ecosystems": {}}"#,
    )
    .unwrap();
    let db = Database::open(dir.path(), &[Ecosystem::PyPI]).unwrap();
    // arrayfire < 3.6.0 is only in PYSEC-2019-144, withdrawn 2022-09-09.
    assert!(audit(
        &db,
        &[pkg(Ecosystem::PyPI, "arrayfire", "3.5.0")],
        &|_, _| false
    )
    .found
    .is_empty());
    // A GIT range listed before the ECOSYSTEM range does not hide it.
    let v = &audit(&db, &[pkg(Ecosystem::PyPI, "jinja2", "2.10")], &|_, _| {
        false
    })
    .found[0];
    let ids: Vec<&str> = v.advisories.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, vec!["PYSEC-2019-217", "PYSEC-2021-66"]);
    assert_eq!(v.fixed_version.as_deref(), Some("2.11.3"));
}
