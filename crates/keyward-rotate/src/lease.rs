//! Leases: one rotator at a time per secret.
//!
//! A rotator claims the secret's rotation by writing a [`Lease`] (its random owner id and an
//! expiry) into the rotation state with compare-and-set on the secret's revision, renews it
//! (again by compare-and-set) before every target action and with every state update, and
//! clears it when it stops. Another rotator that finds a live lease stops without touching
//! the target. A lease left behind by a crashed process is taken over when it has expired
//! ([`LEASE_TIME`] after its last renewal), or at once when the holder ran in the same pid
//! namespace on the same boot and its process is gone.
//!
//! Expiry uses the real clock, never `KEYWARD_NOW`: it is about live processes, not
//! schedules.

use crate::state::Lease;
use std::time::{Duration, SystemTime};

/// How long a lease lasts after its last renewal. Every target action is bounded well
/// below this (command hooks by their timeout).
pub const LEASE_TIME: Duration = Duration::from_secs(600);

/// A new random owner id (one per [`Rotator`](crate::Rotator)).
pub(crate) fn new_owner() -> String {
    let mut b = [0u8; 12];
    // Without randomness, fall back to time and pid: still unique per rotator in practice.
    if getrandom::getrandom(&mut b).is_err() {
        let t = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        b[..8].copy_from_slice(&(t as u64).to_le_bytes());
        b[8..].copy_from_slice(&std::process::id().to_le_bytes());
    }
    hex::encode(b)
}

/// A fresh lease for `owner` held by this process, valid for [`LEASE_TIME`].
pub fn fresh(owner: &str) -> Lease {
    Lease {
        owner: owner.to_string(),
        until: keyward_store::clock::format(SystemTime::now() + LEASE_TIME),
        host: host(),
        pid: std::process::id(),
        pid_ns: pid_ns(),
    }
}

impl Lease {
    /// Whether the lease has run out (an unreadable expiry counts as run out).
    pub fn expired(&self) -> bool {
        crate::clock::parse(&self.until).is_none_or(|u| SystemTime::now() >= u)
    }

    /// Whether the holder is known to be gone: it ran in our pid namespace (same boot)
    /// and its process no longer exists.
    pub fn holder_gone(&self) -> bool {
        match (&self.pid_ns, pid_ns()) {
            (Some(theirs), Some(ours)) if *theirs == ours => !alive(self.pid),
            _ => false,
        }
    }

    /// Whether another rotator may take the lease over.
    pub fn is_stale(&self) -> bool {
        self.expired() || self.holder_gone()
    }

    /// `pid N on HOST, until T`.
    pub fn describe(&self) -> String {
        format!(
            "pid {} on {}, lease until {}",
            self.pid, self.host, self.until
        )
    }
}

pub(crate) fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into())
}

/// `boot-id/pid:[inode]` of this process's pid namespace (Linux); `None` elsewhere.
pub fn pid_ns() -> Option<String> {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let ns = std::fs::read_link("/proc/self/ns/pid").ok()?;
    Some(format!("{}/{}", boot.trim(), ns.display()))
}

/// Whether process `pid` exists in our pid namespace and is not a zombie. Unknown → alive.
fn alive(pid: u32) -> bool {
    if pid == 0 {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            // `pid (comm) S …`: the state follows the last `)`.
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.trim_start().chars().next());
            !matches!(state, Some('Z' | 'X' | 'x'))
        }
        Err(e) => e.kind() != std::io::ErrorKind::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_lease_is_live_and_a_dead_holder_is_gone() {
        let l = fresh("a");
        assert!(!l.expired());
        assert!(!l.holder_gone(), "this process is alive");
        assert!(!l.is_stale());
        let expired = Lease {
            until: "2000-01-01T00:00:00Z".into(),
            ..l.clone()
        };
        assert!(expired.is_stale());
        if l.pid_ns.is_some() {
            // A child that has exited and been reaped: its pid is gone.
            let mut c = std::process::Command::new("true").spawn().unwrap();
            let pid = c.id();
            c.wait().unwrap();
            let dead = Lease { pid, ..l.clone() };
            assert!(dead.holder_gone() && dead.is_stale());
            // Another namespace: never judged by pid.
            let other = Lease {
                pid,
                pid_ns: Some("other/pid:[1]".into()),
                ..l
            };
            assert!(!other.holder_gone());
        }
    }
}
