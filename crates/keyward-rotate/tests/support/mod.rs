//! Shared fixtures: a SQLite store in a temporary directory, policies, unique names, and
//! the machine's PostgreSQL and Redis (skipped with a note when their URL is unset).
#![allow(dead_code)]

use keyward_core::policy::Policy;
use keyward_core::SecretBytes;
use keyward_store::{Expected, Key, Location, MetaPatch, SecretPath, Store};
use std::path::Path;
use tempfile::TempDir;

pub fn store() -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let backend = Location::parse(Some(db.to_str().unwrap()))
        .open(true)
        .unwrap();
    let store = Store::init(backend, Key::random().unwrap()).unwrap();
    (dir, store)
}

pub fn policy(text: &str) -> Policy {
    Policy::parse(text, Path::new("keyward.toml")).unwrap()
}

pub fn path(s: &str) -> SecretPath {
    s.parse().unwrap()
}

pub fn set(store: &mut Store, p: &str, value: &str, kind: &str) {
    let patch = MetaPatch {
        kind: Some(kind.into()),
        ..Default::default()
    };
    store
        .set(&path(p), &SecretBytes::new(value), Expected::Any, &patch)
        .unwrap();
}

pub fn unique(prefix: &str) -> String {
    let mut b = [0u8; 4];
    getrandom::getrandom(&mut b).unwrap();
    format!("{prefix}_{}_{}", std::process::id(), hex::encode(b))
}

/// The URL in `var`, or `None` after a visible skip note (stderr and the CI skip log).
pub fn url(var: &str) -> Option<String> {
    keyward_store::testing::service_url(var)
}

/// Put the admin URL in a fresh environment variable and return its name.
pub fn admin_var(url: &str) -> String {
    let var = unique("KW_TEST_ADMIN").to_uppercase();
    std::env::set_var(&var, url);
    var
}
