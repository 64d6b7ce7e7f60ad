//! The postgres target against the machine's PostgreSQL (`KEYWARD_TEST_POSTGRES_URL`).
//!
//! `pg_hba.conf` there trusts 127.0.0.1, so a login succeeds with any password; which
//! password a role accepts is proven by checking it against the SCRAM-SHA-256 verifier in
//! `pg_authid` (`password_accepted`), as PostgreSQL itself would under `scram-sha-256`.

mod support;

use keyward_rotate::target::postgres::password_accepted;
use keyward_rotate::{Outcome, Rotator, Step};
use postgres::{Client, NoTls};
use support::*;

struct Roles {
    admin: Client,
    names: Vec<String>,
}

impl Drop for Roles {
    fn drop(&mut self) {
        for n in self.names.iter().rev() {
            let _ = self
                .admin
                .batch_execute(&format!("DROP ROLE IF EXISTS \"{n}\""));
        }
    }
}

fn accepted(admin: &mut Client, role: &str, pw: &[u8]) -> bool {
    password_accepted(admin, role, pw).unwrap()
}

#[test]
fn single_new_password_works_and_old_stops_at_once() {
    let Some(url) = url("KEYWARD_TEST_POSTGRES_URL") else {
        return;
    };
    let role = unique("kw_single");
    let mut roles = Roles {
        admin: Client::connect(&url, NoTls).unwrap(),
        names: vec![role.clone()],
    };
    roles
        .admin
        .batch_execute(&format!(
            "CREATE ROLE \"{role}\" LOGIN PASSWORD 'initial-password-0123456789abcdef'"
        ))
        .unwrap();
    let var = admin_var(&url);
    let policy = policy(&format!(
        "[variables.DB_PASSWORD]\nkind = \"postgres-password\"\n[variables.DB_PASSWORD.rotation]\ntarget = {{ type = \"postgres\", role = \"{role}\", admin_url_env = \"{var}\" }}\n"
    ));
    let (_dir, mut store) = store();
    set(
        &mut store,
        "production/DB_PASSWORD",
        "initial-password-0123456789abcdef",
        "postgres-password",
    );
    let p = path("production/DB_PASSWORD");
    let out = Rotator::new(&mut store, &policy).rotate(&p).unwrap();
    assert!(
        matches!(out, Outcome::InGrace { version: 2, .. }),
        "{out:?}"
    );
    let new = store.get(&p).unwrap().value;
    assert!(accepted(&mut roles.admin, &role, new.expose()));
    assert!(!accepted(
        &mut roles.admin,
        &role,
        b"initial-password-0123456789abcdef"
    ));
    // A real login with the new password (trust would allow any, the verifier check above is the proof).
    let mut cfg: postgres::Config = url.parse().unwrap();
    cfg.user(&role).password(new.expose());
    cfg.connect(NoTls)
        .unwrap()
        .simple_query("SELECT 1")
        .unwrap();
    // Finish after the grace changes nothing on the target for `single`.
    Rotator::new(&mut store, &policy).end_grace(&p).unwrap();
    assert!(accepted(&mut roles.admin, &role, new.expose()));
}

#[test]
fn alternating_old_login_works_through_the_grace_and_stops_after_finish() {
    let Some(url) = url("KEYWARD_TEST_POSTGRES_URL") else {
        return;
    };
    let group = unique("kw_grp");
    let role = unique("kw_alt");
    let clone = format!("{role}_clone");
    let mut roles = Roles {
        admin: Client::connect(&url, NoTls).unwrap(),
        names: vec![group.clone(), role.clone(), clone.clone()],
    };
    roles.admin.batch_execute(&format!(
        "CREATE ROLE \"{group}\" NOLOGIN; CREATE ROLE \"{role}\" LOGIN PASSWORD 'old-password-0123456789abcdefghij' IN ROLE \"{group}\"; CREATE ROLE \"{clone}\" LOGIN IN ROLE \"{group}\";"
    )).unwrap();
    let var = admin_var(&url);
    let policy = policy(&format!(
        "[variables.DB_PASSWORD.rotation]\ngrace_days = 1\ntarget = {{ type = \"postgres\", role = \"{role}\", strategy = \"alternating\", admin_url_env = \"{var}\" }}\n"
    ));
    let (_dir, mut store) = store();
    set(
        &mut store,
        "staging/DB_PASSWORD",
        "old-password-0123456789abcdefghij",
        "postgres-password",
    );
    let p = path("staging/DB_PASSWORD");
    Rotator::new(&mut store, &policy).rotate(&p).unwrap();
    let new = store.get(&p).unwrap().value;
    let st = keyward_rotate::RotationState::parse(&store.meta(&p).unwrap().state).unwrap();
    assert_eq!(
        (st.step, st.active_login.as_deref()),
        (Step::Promoted, Some(clone.as_str()))
    );
    assert!(
        accepted(&mut roles.admin, &clone, new.expose()),
        "new login works"
    );
    assert!(
        accepted(
            &mut roles.admin,
            &role,
            b"old-password-0123456789abcdefghij"
        ),
        "old login works during the grace"
    );
    Rotator::new(&mut store, &policy).end_grace(&p).unwrap();
    assert!(accepted(&mut roles.admin, &clone, new.expose()));
    assert!(
        !accepted(
            &mut roles.admin,
            &role,
            b"old-password-0123456789abcdefghij"
        ),
        "old login stops after finish"
    );
    // The next rotation flips back to the first role.
    Rotator::new(&mut store, &policy).rotate(&p).unwrap();
    let newer = store.get(&p).unwrap().value;
    assert!(accepted(&mut roles.admin, &role, newer.expose()));
    assert!(accepted(&mut roles.admin, &clone, new.expose()));
}

#[test]
fn revoke_removes_the_old_password_at_once_and_records_an_incident() {
    let Some(url) = url("KEYWARD_TEST_POSTGRES_URL") else {
        return;
    };
    let group = unique("kw_grp");
    let role = unique("kw_rev");
    let clone = format!("{role}_clone");
    let mut roles = Roles {
        admin: Client::connect(&url, NoTls).unwrap(),
        names: vec![group.clone(), role.clone(), clone.clone()],
    };
    roles.admin.batch_execute(&format!(
        "CREATE ROLE \"{group}\" NOLOGIN; CREATE ROLE \"{role}\" LOGIN PASSWORD 'leaked-password-0123456789abcdefgh' IN ROLE \"{group}\"; CREATE ROLE \"{clone}\" LOGIN IN ROLE \"{group}\";"
    )).unwrap();
    let var = admin_var(&url);
    // Alternating would keep the old login for a grace; revocation must not.
    let policy = policy(&format!(
        "[variables.DB_PASSWORD.rotation]\ngrace_days = 3\ntarget = {{ type = \"postgres\", role = \"{role}\", strategy = \"alternating\", admin_url_env = \"{var}\" }}\n"
    ));
    let (_dir, mut store) = store();
    set(
        &mut store,
        "production/DB_PASSWORD",
        "leaked-password-0123456789abcdefgh",
        "postgres-password",
    );
    let p = path("production/DB_PASSWORD");
    let (incident, out) = Rotator::new(&mut store, &policy)
        .revoke(&p, None, "pushed to GitHub", None)
        .unwrap();
    assert!(matches!(out, Outcome::Finished { version: 2 }), "{out:?}");
    assert_eq!(incident.id, "INC-production-DB_PASSWORD-v1");
    assert!(incident.closed_at.is_some());
    assert!(
        !accepted(
            &mut roles.admin,
            &role,
            b"leaked-password-0123456789abcdefgh"
        ),
        "old stops at once"
    );
    let new = store.get(&p).unwrap().value;
    assert!(accepted(&mut roles.admin, &clone, new.expose()));
    let stages: Vec<_> = store
        .history(&p)
        .unwrap()
        .iter()
        .map(|v| (v.version, v.stage))
        .collect();
    assert_eq!(
        stages,
        [
            (2, keyward_store::Stage::Current),
            (1, keyward_store::Stage::Revoked)
        ]
    );
}

#[test]
fn failed_test_rolls_back_and_keeps_current() {
    let Some(url) = url("KEYWARD_TEST_POSTGRES_URL") else {
        return;
    };
    let role = unique("kw_nologin");
    let mut roles = Roles {
        admin: Client::connect(&url, NoTls).unwrap(),
        names: vec![role.clone()],
    };
    // A role that keyward can set a password on, but whose test login fails: the database
    // does not allow connections for it (CONNECTION LIMIT 0).
    roles.admin.batch_execute(&format!("CREATE ROLE \"{role}\" LOGIN CONNECTION LIMIT 0 PASSWORD 'kept-password-0123456789abcdefghijk'")).unwrap();
    let var = admin_var(&url);
    let policy = policy(&format!(
        "[variables.DB_PASSWORD.rotation]\ntarget = {{ type = \"postgres\", role = \"{role}\", admin_url_env = \"{var}\" }}\n"
    ));
    let (_dir, mut store) = store();
    set(
        &mut store,
        "production/DB_PASSWORD",
        "kept-password-0123456789abcdefghijk",
        "postgres-password",
    );
    let p = path("production/DB_PASSWORD");
    let err = Rotator::new(&mut store, &policy).rotate(&p).unwrap_err();
    assert_eq!(
        err.kind(),
        keyward_rotate::RotateErrorKind::TestFailed,
        "{err}"
    );
    assert_eq!(store.get(&p).unwrap().version, 1, "current untouched");
    assert!(
        accepted(
            &mut roles.admin,
            &role,
            b"kept-password-0123456789abcdefghijk"
        ),
        "target rolled back"
    );
    let st = keyward_rotate::RotationState::parse(&store.meta(&p).unwrap().state).unwrap();
    assert_eq!(st.step, Step::Idle);
    assert!(st.last_error.unwrap().starts_with("test:"));
}

#[test]
fn item_03_concurrent_alter_role_is_retried_not_surfaced() {
    // Several sessions changing one role at once make PostgreSQL fail some of them with
    // "tuple concurrently updated" (as a resumed rotation does beside the still-running
    // ALTER ROLE of a killed one): every set must still succeed.
    let Some(url) = url("KEYWARD_TEST_POSTGRES_URL") else {
        return;
    };
    let role = unique("kw_tcu");
    let _roles = Roles {
        admin: Client::connect(&url, NoTls).unwrap(),
        names: vec![role.clone()],
    };
    Client::connect(&url, NoTls)
        .unwrap()
        .batch_execute(&format!("CREATE ROLE \"{role}\" LOGIN"))
        .unwrap();
    let spec = keyward_core::policy::rotation::TargetSpec::Postgres {
        role: role.clone(),
        strategy: keyward_core::policy::rotation::PgStrategy::Single,
        clone_role: None,
        admin_url_env: Some("UNUSED".into()),
        admin_url_secret: None,
    };
    let p = path("production/DB_PASSWORD");
    let failures: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|t| {
                let (spec, url, p) = (&spec, &url, &p);
                s.spawn(move || {
                    let mut target =
                        keyward_rotate::target::build(spec, Some(url.clone().into())).unwrap();
                    let ctx = keyward_rotate::target::StepCtx {
                        path: p,
                        version: 1,
                        login: None,
                        hook_id: None,
                    };
                    (0..40)
                        .filter_map(|i| {
                            let v =
                                keyward_core::SecretBytes::new(format!("pw-{t}-{i}-0123456789"));
                            target.set(&ctx, &v, None).err().map(|e| e.to_string())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} failed: {:?}",
        failures.len(),
        failures.first()
    );
}

/// The server's certificate file when the test PostgreSQL has TLS on (else a visible skip).
fn server_cert(admin: &mut Client) -> Option<String> {
    let ssl: String = admin.query_one("SHOW ssl", &[]).unwrap().get(0);
    let cert: String = admin.query_one("SHOW ssl_cert_file", &[]).unwrap().get(0);
    let readable = std::fs::read_to_string(&cert).is_ok_and(|p| p.contains("BEGIN CERTIFICATE"));
    if ssl != "on" || !readable {
        keyward_store::testing::skip(
            "POSTGRES_SSL",
            "the test PostgreSQL has no readable TLS certificate",
        );
        return None;
    }
    Some(cert)
}

#[test]
fn the_admin_url_sslmode_is_honoured() {
    let Some(url) = url("KEYWARD_TEST_POSTGRES_URL") else {
        return;
    };
    let role = unique("kw_tls");
    let mut roles = Roles {
        admin: Client::connect(&url, NoTls).unwrap(),
        names: vec![role.clone()],
    };
    let Some(cert) = server_cert(&mut roles.admin) else {
        return;
    };
    roles
        .admin
        .batch_execute(&format!(
            "CREATE ROLE \"{role}\" LOGIN PASSWORD 'tls-password-0123456789abcdef'"
        ))
        .unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    // verify-full by IP against a certificate for `localhost`: refused, one line, nothing changed.
    let wrong = admin_var(&format!("{url}{sep}sslmode=verify-full&sslrootcert={cert}"));
    let policy_for = |var: &str| {
        policy(&format!(
            "[variables.DB_PASSWORD]\nkind = \"postgres-password\"\n[variables.DB_PASSWORD.rotation]\ntarget = {{ type = \"postgres\", role = \"{role}\", admin_url_env = \"{var}\" }}\n"
        ))
    };
    let (_dir, mut first) = store();
    set(
        &mut first,
        "production/DB_PASSWORD",
        "tls-password-0123456789abcdef",
        "postgres-password",
    );
    let p = path("production/DB_PASSWORD");
    let err = Rotator::new(&mut first, &policy_for(&wrong))
        .rotate(&p)
        .unwrap_err()
        .to_string();
    assert!(err.contains("not valid for name"), "{err}");
    assert!(!err.contains('\n'), "{err}");
    assert!(accepted(
        &mut roles.admin,
        &role,
        b"tls-password-0123456789abcdef"
    ));
    // The same over `localhost` (the name the certificate carries): rotated.
    let local = url.replace("127.0.0.1", "localhost");
    let right = admin_var(&format!(
        "{local}{sep}sslmode=verify-full&sslrootcert={cert}"
    ));
    let (_dir2, mut store2) = store();
    set(
        &mut store2,
        "production/DB_PASSWORD",
        "tls-password-0123456789abcdef",
        "postgres-password",
    );
    let out = Rotator::new(&mut store2, &policy_for(&right))
        .rotate(&p)
        .unwrap();
    assert!(
        matches!(out, Outcome::InGrace { version: 2, .. }),
        "{out:?}"
    );
    let new = store2.get(&p).unwrap().value;
    assert!(accepted(&mut roles.admin, &role, new.expose()));
}
