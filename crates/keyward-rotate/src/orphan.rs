//! Stopping a command hook that a crashed rotator left running, before the step is
//! repeated, so two hooks of one rotation never run side by side.
//!
//! Before a hook starts, its rotator records a [`HookFence`] in the rotation state (its
//! lease owner id and the deadline its timeout gives it), and the hook's environment
//! carries `KEYWARD_HOOK_ID=<owner>` (inherited by everything it starts). A rotator that
//! takes the rotation over from a dead one and finds a fence:
//!
//! - on the same machine (same boot and pid namespace): kills every process carrying the
//!   marker, with its process group, and waits (up to 5 s) until they are gone;
//! - otherwise, or if some survive: waits until the recorded deadline, when the hook's
//!   own timeout would have ended it.

use crate::clock;
use crate::lease;
use crate::state::HookFence;
use std::time::{Duration, SystemTime};

/// The environment variable that marks a hook's processes with its rotator's id.
pub const HOOK_ID_VAR: &str = "KEYWARD_HOOK_ID";

/// How long to wait for killed processes to disappear.
const KILL_WAIT: Duration = Duration::from_secs(5);

/// Stop the hook `fence` describes (see the module docs). Returns a line for the audit log.
pub fn stop(fence: &HookFence) -> String {
    let what = format!("the {} hook of an interrupted rotation", fence.step);
    if fence.pid_ns.is_some() && fence.pid_ns == lease::pid_ns() {
        let killed = kill_marked(&fence.owner);
        if wait_gone(&fence.owner, KILL_WAIT) {
            return if killed == 0 {
                format!("{what} was no longer running")
            } else {
                format!("stopped {what}: killed {killed} process(es) still running")
            };
        }
    }
    let deadline = clock::parse(&fence.deadline).unwrap_or_else(SystemTime::now);
    if let Ok(left) = deadline.duration_since(SystemTime::now()) {
        std::thread::sleep(left);
    }
    format!(
        "waited until {} for {what} (on {}) to reach its timeout",
        fence.deadline, fence.host
    )
}

/// Whether no process carries `owner`'s marker any more, polling until `within` passes.
fn wait_gone(owner: &str, within: Duration) -> bool {
    let end = std::time::Instant::now() + within;
    loop {
        if marked(owner).is_empty() {
            return true;
        }
        if std::time::Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Kill every process carrying `owner`'s marker and its process group; returns how many
/// marked processes there were.
fn kill_marked(owner: &str) -> usize {
    let procs = marked(owner);
    #[cfg(unix)]
    for (pid, pgid) in &procs {
        // SAFETY: kill(2) with a pid or a negative process group id has no memory effects.
        unsafe {
            if *pgid > 1 {
                libc::kill(-(*pgid as libc::pid_t), libc::SIGKILL);
            }
            libc::kill(*pid as libc::pid_t, libc::SIGKILL);
        }
    }
    procs.len()
}

/// `(pid, process group)` of every live process (ours excepted) whose environment holds
/// `KEYWARD_HOOK_ID=<owner>`. Linux `/proc`; empty elsewhere or when unreadable.
pub fn marked(owner: &str) -> Vec<(u32, u32)> {
    let marker = format!("{HOOK_ID_VAR}={owner}");
    let me = std::process::id();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        if !env.split(|b| *b == 0).any(|v| v == marker.as_bytes()) {
            continue;
        }
        if let Some(pgid) = process_group(pid) {
            out.push((pid, pgid));
        }
    }
    out
}

/// The process group of `pid` from `/proc/PID/stat` (`pid (comm) S ppid pgrp …`), unless
/// it is a zombie.
fn process_group(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?;
    if matches!(state, "Z" | "X" | "x") {
        return None;
    }
    fields.nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    #[test]
    fn finds_and_kills_a_marked_process_group() {
        if lease::pid_ns().is_none() {
            return; // not Linux: nothing to find by marker
        }
        let owner = format!("test-owner-{}", std::process::id());
        let mut child = {
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg("sleep 30 & sleep 30; wait")
                .env(HOOK_ID_VAR, &owner)
                .stdin(Stdio::null());
            #[cfg(unix)]
            std::os::unix::process::CommandExt::process_group(&mut c, 0);
            c.spawn().unwrap()
        };
        let t = std::time::Instant::now();
        while marked(&owner).len() < 3 && t.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(marked(&owner).len(), 3, "sh and its two sleeps");
        let fence = HookFence {
            owner: owner.clone(),
            step: "set".into(),
            deadline: clock::format(SystemTime::now() + Duration::from_secs(60)),
            host: "here".into(),
            pid_ns: lease::pid_ns(),
        };
        let t = std::time::Instant::now();
        let said = stop(&fence);
        let _ = child.wait();
        assert!(said.contains("killed 3"), "{said}");
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "did not wait for the deadline"
        );
        assert!(marked(&owner).is_empty());
        assert!(marked("another-owner").is_empty());
    }
}
