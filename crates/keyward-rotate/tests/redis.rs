//! The redis target against the machine's Redis (`KEYWARD_TEST_REDIS_URL`); Redis enforces
//! `AUTH user password`, so these are real logins.

mod support;

use keyward_rotate::target::redis::auth_ok;
use keyward_rotate::{Outcome, Rotator};
use support::*;

struct User {
    url: String,
    name: String,
}

impl User {
    fn create(url: &str, password: &str) -> User {
        let name = unique("kw_user");
        let mut c = redis::Client::open(url).unwrap().get_connection().unwrap();
        let pw = format!(">{password}");
        redis::cmd("ACL")
            .arg("SETUSER")
            .arg(&name)
            .arg(vec!["reset", "on", pw.as_str(), "~kw:*", "+ping"])
            .query::<()>(&mut c)
            .unwrap();
        User {
            url: url.to_string(),
            name,
        }
    }

    fn works(&self, pw: &[u8]) -> bool {
        auth_ok(&self.url, &self.name, pw).unwrap()
    }
}

impl Drop for User {
    fn drop(&mut self) {
        if let Ok(mut c) = redis::Client::open(self.url.as_str()).and_then(|c| c.get_connection()) {
            let _: redis::RedisResult<i64> = redis::cmd("ACL")
                .arg("DELUSER")
                .arg(&self.name)
                .query(&mut c);
        }
    }
}

fn setup(url: &str, old: &str) -> (User, keyward_core::policy::Policy) {
    let user = User::create(url, old);
    let var = admin_var(url);
    let policy = policy(&format!(
        "[variables.REDIS_PASSWORD.rotation]\ngrace_days = 1\ntarget = {{ type = \"redis\", user = \"{}\", admin_url_env = \"{var}\" }}\n",
        user.name
    ));
    (user, policy)
}

#[test]
fn old_password_works_during_the_grace_and_stops_after_finish() {
    let Some(url) = url("KEYWARD_TEST_REDIS_URL") else {
        return;
    };
    let old = "old-redis-password-0123456789abcdef";
    let (user, policy) = setup(&url, old);
    let (_dir, mut store) = store();
    set(
        &mut store,
        "production/REDIS_PASSWORD",
        old,
        "redis-password",
    );
    let p = path("production/REDIS_PASSWORD");
    let out = Rotator::new(&mut store, &policy).rotate(&p).unwrap();
    assert!(
        matches!(out, Outcome::InGrace { version: 2, .. }),
        "{out:?}"
    );
    let new = store.get(&p).unwrap().value;
    assert!(user.works(new.expose()), "new password logs in");
    assert!(
        user.works(old.as_bytes()),
        "old password still works during the grace"
    );
    // Not yet expired: resuming changes nothing.
    assert!(matches!(
        Rotator::new(&mut store, &policy).resume(&p).unwrap(),
        Outcome::InGrace { .. }
    ));
    assert!(user.works(old.as_bytes()));
    Rotator::new(&mut store, &policy).end_grace(&p).unwrap();
    assert!(user.works(new.expose()));
    assert!(
        !user.works(old.as_bytes()),
        "old password stops after finish"
    );
    assert!(!user.works(b"wrong"));
}

#[test]
fn revoke_stops_the_old_password_at_once() {
    let Some(url) = url("KEYWARD_TEST_REDIS_URL") else {
        return;
    };
    let old = "leaked-redis-password-0123456789ab";
    let (user, policy) = setup(&url, old);
    let (_dir, mut store) = store();
    set(
        &mut store,
        "production/REDIS_PASSWORD",
        old,
        "redis-password",
    );
    let p = path("production/REDIS_PASSWORD");
    let (inc, out) = Rotator::new(&mut store, &policy)
        .revoke(&p, None, "in a CI log", None)
        .unwrap();
    assert!(matches!(out, Outcome::Finished { version: 2 }), "{out:?}");
    assert!(inc.closed_at.is_some());
    assert!(!user.works(old.as_bytes()));
    assert!(user.works(store.get(&p).unwrap().value.expose()));
}

#[test]
fn revoking_the_previous_version_during_the_grace_ends_it() {
    let Some(url) = url("KEYWARD_TEST_REDIS_URL") else {
        return;
    };
    let old = "prev-redis-password-0123456789abcde";
    let (user, policy) = setup(&url, old);
    let (_dir, mut store) = store();
    set(
        &mut store,
        "production/REDIS_PASSWORD",
        old,
        "redis-password",
    );
    let p = path("production/REDIS_PASSWORD");
    Rotator::new(&mut store, &policy).rotate(&p).unwrap();
    assert!(user.works(old.as_bytes()));
    Rotator::new(&mut store, &policy)
        .revoke(&p, Some(1), "laptop stolen", None)
        .unwrap();
    assert!(!user.works(old.as_bytes()));
    assert!(user.works(store.get(&p).unwrap().value.expose()));
    assert_eq!(store.get(&p).unwrap().version, 2);
}

#[test]
fn an_unreachable_redis_or_a_bad_url_fails_in_one_line_without_the_password() {
    // Port 1: nothing listens there. No Redis server needed.
    let err = auth_ok("redis://admin:s3cret-pw@127.0.0.1:1", "u", b"x")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("redis: "), "{err}");
    assert!(!err.contains("s3cret") && !err.contains('\n'), "{err}");
    let err = auth_ok("rediss://admin:s3cret-pw@h:6380", "u", b"x")
        .unwrap_err()
        .to_string();
    assert!(err.contains("rediss:// is not supported"), "{err}");
    assert!(!err.contains("s3cret"), "{err}");
    let err = auth_ok("redis://[broken", "u", b"x")
        .unwrap_err()
        .to_string();
    assert!(err.contains("must look like redis://"), "{err}");
}
