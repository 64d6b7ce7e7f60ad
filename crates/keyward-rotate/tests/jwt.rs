//! JWT keyrings: a token signed before the rotation verifies during the grace and fails
//! after it; the grace is measured on rotation's clock (`KEYWARD_NOW`).

mod support;

use keyward_rotate::{jwt, Rotator};
use support::*;

#[test]
fn token_signed_before_rotation_verifies_during_grace_only() {
    let policy = policy("[variables.JWT_SECRET]\nkind = \"jwt-secret\"\n[variables.JWT_SECRET.rotation]\ngrace_days = 2\n");
    let (_dir, mut store) = store();
    set(
        &mut store,
        "production/JWT_SECRET",
        "K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=",
        "jwt-secret",
    );
    let p = path("production/JWT_SECRET");
    let before = jwt::keyring(&mut store, &p).unwrap();
    let key = before.current().unwrap();
    let token = jwt::sign(key.secret.as_bytes(), &key.kid, r#"{"sub":"alice"}"#);
    assert_eq!(before.verify(&token).unwrap(), "JWT_SECRET-v1");

    Rotator::new(&mut store, &policy).rotate(&p).unwrap();
    let during = jwt::keyring(&mut store, &p).unwrap();
    assert_eq!(during.keys.len(), 2);
    assert_eq!(during.current().unwrap().kid, "JWT_SECRET-v2");
    assert_eq!(
        during.verify(&token).unwrap(),
        "JWT_SECRET-v1",
        "old token valid in the grace"
    );
    let fresh = jwt::sign(
        during.current().unwrap().secret.as_bytes(),
        "JWT_SECRET-v2",
        "{}",
    );
    assert!(during.verify(&fresh).is_ok());

    Rotator::new(&mut store, &policy).end_grace(&p).unwrap();
    let after = jwt::keyring(&mut store, &p).unwrap();
    assert_eq!(after.keys.len(), 1);
    assert!(
        after.verify(&token).is_err(),
        "old token rejected after the grace"
    );
    assert!(after.verify(&fresh).is_ok());
}
