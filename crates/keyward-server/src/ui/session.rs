//! Dashboard sessions, kept in the server process: a 256-bit random id (the cookie) that is
//! stored only as its SHA-256, tied to the token accessor it was opened with, with an idle
//! and an absolute expiry, and its own CSRF token.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Session lifetimes.
#[derive(Clone, Copy, Debug)]
pub struct SessionLimits {
    /// A session unused for this long ends.
    pub idle: Duration,
    /// A session ends this long after login, however used.
    pub absolute: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(8 * 3600),
        }
    }
}

/// One open session (what the server keeps; the id itself is not kept).
#[derive(Clone, Debug)]
pub struct Session {
    /// Accessor of the token that logged in.
    pub accessor: String,
    /// The CSRF token every form of this session carries.
    pub csrf: String,
    /// Login time.
    pub created: SystemTime,
    /// Last request.
    pub last_seen: SystemTime,
}

impl Session {
    /// Whether `presented` is this session's CSRF token (constant time).
    pub fn csrf_ok(&self, presented: &str) -> bool {
        same(&self.csrf, presented)
    }
}

/// Constant-time string equality.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// 32 random bytes, base64url without padding (43 characters).
pub fn random_id() -> Zeroizing<String> {
    use base64::Engine;
    let mut b = Zeroizing::new([0u8; 32]);
    getrandom::getrandom(&mut b[..]).expect("the OS random generator failed");
    Zeroizing::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&b[..]))
}

fn key(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

/// Open sessions by the hash of their id.
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<[u8; 32], Session>>,
    /// Lifetimes.
    pub limits: SessionLimits,
}

impl Sessions {
    /// With these lifetimes.
    pub fn new(limits: SessionLimits) -> Sessions {
        Sessions {
            map: Mutex::default(),
            limits,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Session>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Open a session for `accessor`; returns its id (the cookie value, shown once) and the
    /// session. Expired sessions are dropped on the way.
    pub fn open(&self, accessor: &str, now: SystemTime) -> (Zeroizing<String>, Session) {
        let id = random_id();
        let s = Session {
            accessor: accessor.to_string(),
            csrf: random_id().to_string(),
            created: now,
            last_seen: now,
        };
        let mut map = self.lock();
        map.retain(|_, v| self.live(v, now));
        map.insert(key(&id), s.clone());
        (id, s)
    }

    fn live(&self, s: &Session, now: SystemTime) -> bool {
        let since = |t: SystemTime| now.duration_since(t).unwrap_or_default();
        since(s.last_seen) < self.limits.idle && since(s.created) < self.limits.absolute
    }

    /// The live session `id` names (its last use moved to `now`); an expired one is
    /// destroyed.
    pub fn get(&self, id: &str, now: SystemTime) -> Option<Session> {
        let k = key(id);
        let mut map = self.lock();
        let live = self.live(map.get(&k)?, now);
        if !live {
            map.remove(&k);
            return None;
        }
        let s = map.get_mut(&k)?;
        s.last_seen = now;
        Some(s.clone())
    }

    /// End the session `id` names.
    pub fn destroy(&self, id: &str) {
        self.lock().remove(&key(id));
    }

    /// End every session opened with `accessor` (its token was revoked or expired).
    pub fn destroy_accessor(&self, accessor: &str) -> usize {
        let mut map = self.lock();
        let before = map.len();
        map.retain(|_, s| s.accessor != accessor);
        before - map.len()
    }

    /// How many sessions are held (expired ones included until the next login).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none are held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_and_only_their_hash_is_kept() {
        let s = Sessions::default();
        let now = SystemTime::now();
        let (a, sa) = s.open("kwa_1", now);
        let (b, _) = s.open("kwa_1", now);
        assert_ne!(*a, *b);
        assert_eq!(a.len(), 43);
        assert!(s.lock().keys().all(|k| k != a.as_bytes()));
        assert_eq!(s.get(&a, now).unwrap().csrf, sa.csrf);
        assert!(sa.csrf_ok(&sa.csrf) && !sa.csrf_ok("x"));
        assert!(s.get("not-a-session", now).is_none());
    }

    #[test]
    fn idle_and_absolute_expiry_and_revocation_end_sessions() {
        let s = Sessions::new(SessionLimits {
            idle: Duration::from_secs(60),
            absolute: Duration::from_secs(150),
        });
        let t0 = SystemTime::now();
        let (a, _) = s.open("kwa_1", t0);
        assert!(s.get(&a, t0 + Duration::from_secs(50)).is_some());
        assert!(s.get(&a, t0 + Duration::from_secs(100)).is_some());
        assert!(
            s.get(&a, t0 + Duration::from_secs(151)).is_none(),
            "absolute"
        );
        let (b, _) = s.open("kwa_2", t0);
        assert!(s.get(&b, t0 + Duration::from_secs(61)).is_none(), "idle");
        let (c, _) = s.open("kwa_3", t0);
        assert_eq!(s.destroy_accessor("kwa_3"), 1);
        assert!(s.get(&c, t0).is_none());
    }
}
