//! The `command` target: user commands (`sh -c`) for set, test, finish and rollback.
//!
//! The value goes to the command's stdin, never its argv or environment; the command also
//! gets `KEYWARD_SECRET_PATH`, `KEYWARD_SECRET_VERSION`, `KEYWARD_STEP`, and an environment
//! without keyward's own credentials (the master keys, the store URL, the policy's admin-URL
//! variables). Each command runs in its own process group with a timeout: when it passes,
//! the whole group is killed and keyward stops reading its output.
//!
//! Output never reaches the rotation state or error messages: stdout is discarded, and only
//! the exit status and a short tail of stderr go to the audit log, with the value redacted
//! (as is, and its base64, hex and URL-encoded forms).

use super::{StepCtx, Target};
use crate::error::{Result, RotateError, RotateErrorKind};
use base64::Engine;
use keyward_core::SecretBytes;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use zeroize::{Zeroize, Zeroizing};

/// Longest stderr tail kept in the audit detail.
const MAX_TAIL: usize = 500;

/// Most stderr held in memory while a command runs (its tail is what counts).
const MAX_BUFFER: usize = 64 * 1024;

/// Environment variables a hook never inherits: keyward's own credentials.
pub const SCRUBBED_ENV: &[&str] = &[
    "KEYWARD_MASTER_KEY",
    "KEYWARD_NEW_MASTER_KEY",
    "KEYWARD_STORE",
];

/// How long to keep reading a command's stderr after it exited (a process it left behind
/// may hold the pipe open).
const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(1);

/// A command hook target.
#[derive(Debug)]
pub struct CommandTarget {
    /// `set` command.
    pub set: Option<String>,
    /// `test` command.
    pub test: Option<String>,
    /// `finish` command.
    pub finish: Option<String>,
    /// `rollback` command.
    pub rollback: Option<String>,
    /// Per-command timeout.
    pub timeout: Duration,
    /// More environment variables to remove from the hooks' environment (the policy's
    /// admin-URL variables), besides [`SCRUBBED_ENV`].
    pub scrub_env: Vec<String>,
}

/// The forms of `v` that may show up in output: as is (trimmed), base64 (standard and
/// URL-safe, padded or not, of the value and of the value plus a newline, also wrapped at
/// 64 and 76 columns), hex and URL-encoded. Longest first; forms shorter than 4 are left
/// out.
pub fn forms(v: &[u8]) -> Vec<Zeroizing<String>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let mut out: Vec<Zeroizing<String>> = Vec::new();
    let trimmed = v.trim_ascii();
    if let Ok(s) = std::str::from_utf8(trimmed) {
        out.push(Zeroizing::new(s.to_string()));
    }
    let mut with_nl = Zeroizing::new(v.to_vec());
    with_nl.push(b'\n');
    for bytes in [v, trimmed, with_nl.as_slice()] {
        for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
            let e = Zeroizing::new(engine.encode(bytes));
            for width in [64, 76] {
                if e.len() > width {
                    let lines: Vec<&str> = e
                        .as_bytes()
                        .chunks(width)
                        .map(|c| std::str::from_utf8(c).unwrap_or_default())
                        .collect();
                    out.push(Zeroizing::new(lines.join("\n")));
                }
            }
            out.push(e);
        }
    }
    let hex = Zeroizing::new(hex::encode(trimmed));
    out.push(Zeroizing::new(hex.to_uppercase()));
    out.push(hex);
    for upper in [true, false] {
        for form in [false, true] {
            out.push(url_encode(trimmed, upper, form));
        }
    }
    out.retain(|s| s.len() >= 4);
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// Percent-encode everything but RFC 3986's unreserved characters; `form`: space as `+`.
fn url_encode(v: &[u8], upper: bool, form: bool) -> Zeroizing<String> {
    let mut s = Zeroizing::new(String::with_capacity(v.len() * 3));
    for &b in v {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            s.push(b as char);
        } else if form && b == b' ' {
            s.push('+');
        } else if upper {
            s.push_str(&format!("%{b:02X}"));
        } else {
            s.push_str(&format!("%{b:02x}"));
        }
    }
    s
}

/// Replace every occurrence of each value (of at least 4 bytes), and of its encoded
/// [`forms`], with `[REDACTED]`.
pub fn redact(text: &str, values: &[&SecretBytes]) -> String {
    let mut out = text.to_string();
    for v in values {
        if v.expose().trim_ascii().len() < 4 {
            continue;
        }
        for f in forms(v.expose()) {
            if out.contains(f.as_str()) {
                let next = out.replace(f.as_str(), "[REDACTED]");
                out.zeroize();
                out = next;
            }
        }
    }
    out
}

/// The last [`MAX_TAIL`] bytes of `text`, on one line.
fn tail(text: &str) -> String {
    let text = text.trim();
    let mut cut = text.len().saturating_sub(MAX_TAIL);
    while !text.is_char_boundary(cut) {
        cut += 1;
    }
    let mut t = text[cut..].replace(['\n', '\r'], " | ");
    if cut > 0 {
        t.insert(0, '…');
    }
    t
}

/// Kill the process group `pgid` (the hook's `sh` and everything it started).
fn kill_group(pgid: u32) {
    let _ = Command::new("sh")
        .arg("-c")
        .arg(format!("kill -s KILL -- -{pgid}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Kill the hook's whole group, then the hook itself (still unreaped, so its pid — the
/// group id — cannot have been reused), and reap it.
fn kill_all(child: &mut Child) {
    kill_group(child.id());
    let _ = child.kill();
    let _ = child.wait();
}

/// Run `script` with `value` on stdin; returns a short audit detail (exit status and the
/// redacted stderr tail). Fails on a non-zero exit or a timeout; the error's message holds
/// the exit status only, the stderr tail is audit-only detail.
pub fn run(
    script: &str,
    step: &str,
    ctx: &StepCtx<'_>,
    value: &SecretBytes,
    redact_also: &[&SecretBytes],
    timeout: Duration,
    scrub_env: &[String],
) -> Result<String> {
    let scrub: Vec<&str> = SCRUBBED_ENV
        .iter()
        .copied()
        .chain(scrub_env.iter().map(String::as_str))
        .collect();
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(script);
    for var in &scrub {
        cmd.env_remove(var);
    }
    if let Some(id) = ctx.hook_id {
        cmd.env(crate::orphan::HOOK_ID_VAR, id);
    }
    cmd.env("KEYWARD_SECRET_PATH", ctx.path.to_string())
        .env("KEYWARD_SECRET_VERSION", ctx.version.to_string())
        .env("KEYWARD_STEP", step)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        // Its own process group, so a timeout kills whatever it started too.
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| RotateError::target(format!("{step} command could not start: {e}")))?;

    // Feed stdin from a thread: a command that does not read it must not block us past
    // the deadline (the write fails once the group is killed). Closing it ends the input.
    if let Some(mut stdin) = child.stdin.take() {
        let input = Zeroizing::new(value.expose().to_vec());
        std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
    }
    // Read stderr from a thread into a bounded buffer we can take at any time.
    let buffer = Arc::new(Mutex::new(Zeroizing::new(Vec::new())));
    let (eof_tx, eof_rx) = mpsc::channel::<()>();
    if let Some(mut pipe) = child.stderr.take() {
        let buffer = Arc::clone(&buffer);
        std::thread::spawn(move || {
            let mut chunk = Zeroizing::new([0u8; 4096]);
            while let Ok(n) = pipe.read(&mut chunk[..]) {
                if n == 0 {
                    break;
                }
                let mut b = buffer.lock().unwrap_or_else(|e| e.into_inner());
                b.extend_from_slice(&chunk[..n]);
                if b.len() > MAX_BUFFER {
                    let excess = b.len() - MAX_BUFFER;
                    b[..excess].zeroize();
                    b.drain(..excess);
                }
            }
            let _ = eof_tx.send(());
        });
    }

    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() >= deadline => {
                kill_all(&mut child);
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => {
                kill_all(&mut child);
                return Err(RotateError::target(format!("{step} command: {e}")));
            }
        }
    };
    // Stop reading at the deadline: a process left behind may hold stderr open.
    let wait = match status {
        Some(_) => DRAIN_AFTER_EXIT.min(deadline.saturating_duration_since(Instant::now())),
        None => Duration::from_millis(500),
    };
    let _ = eof_rx.recv_timeout(wait);

    let output = {
        let b = buffer.lock().unwrap_or_else(|e| e.into_inner());
        Zeroizing::new(String::from_utf8_lossy(&b).into_owned())
    };
    let mut values: Vec<&SecretBytes> = vec![value];
    values.extend_from_slice(redact_also);
    // Defence in depth: keyward's own credentials, should a hook get hold of them.
    let own: Vec<SecretBytes> = scrub
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .map(SecretBytes::new)
        .collect();
    values.extend(own.iter());
    let redacted = Zeroizing::new(redact(&output, &values));
    let tail = tail(&redacted);
    let extra = if tail.is_empty() {
        String::new()
    } else {
        format!("stderr: {tail}")
    };
    match status {
        None => Err(RotateError::target(format!(
            "{step} command timed out after {}s (its process group was killed)",
            timeout.as_secs()
        ))
        .with_audit_extra(extra)),
        Some(s) if s.success() => Ok(if extra.is_empty() {
            format!("{step} command ok ({s})")
        } else {
            format!("{step} command ok ({s}); {extra}")
        }),
        Some(s) => {
            let kind = if step == "test" {
                RotateErrorKind::TestFailed
            } else {
                RotateErrorKind::Target
            };
            Err(
                RotateError::new(kind, format!("{step} command failed ({s})"))
                    .with_audit_extra(extra),
            )
        }
    }
}

impl CommandTarget {
    fn run(
        &self,
        script: &str,
        step: &str,
        ctx: &StepCtx<'_>,
        value: &SecretBytes,
        redact_also: &[&SecretBytes],
    ) -> Result<String> {
        run(
            script,
            step,
            ctx,
            value,
            redact_also,
            self.timeout,
            &self.scrub_env,
        )
    }
}

impl Target for CommandTarget {
    fn describe(&self) -> String {
        "command hooks".into()
    }

    fn hook_timeout(&self) -> Option<Duration> {
        Some(self.timeout)
    }

    fn set(
        &mut self,
        ctx: &StepCtx<'_>,
        new: &SecretBytes,
        old: Option<&SecretBytes>,
    ) -> Result<String> {
        match &self.set {
            Some(s) => self.run(s, "set", ctx, new, &old.into_iter().collect::<Vec<_>>()),
            None => Ok("no set command".into()),
        }
    }

    fn test(&mut self, ctx: &StepCtx<'_>, new: &SecretBytes) -> Result<String> {
        match &self.test {
            Some(s) => self.run(s, "test", ctx, new, &[]),
            None => Ok("no test command".into()),
        }
    }

    fn rollback(
        &mut self,
        ctx: &StepCtx<'_>,
        new: &SecretBytes,
        old: Option<&SecretBytes>,
    ) -> Result<String> {
        match (&self.rollback, old) {
            (Some(s), Some(old)) => self.run(s, "rollback", ctx, old, &[new]),
            _ => Ok("no rollback command".into()),
        }
    }

    fn finish(&mut self, ctx: &StepCtx<'_>, old: &SecretBytes) -> Result<String> {
        match &self.finish {
            Some(s) => self.run(s, "finish", ctx, old, &[]),
            None => Ok("no finish command".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_store::SecretPath;

    fn ctx(p: &SecretPath) -> StepCtx<'_> {
        StepCtx {
            path: p,
            version: 2,
            login: None,
            hook_id: None,
        }
    }

    #[test]
    fn redaction_covers_base64_hex_and_url_encoded_forms() {
        let v = SecretBytes::new("p@ss w/rd+0123456789abcdef");
        let b64 = base64::engine::general_purpose::STANDARD.encode("p@ss w/rd+0123456789abcdef");
        let b64nl =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("p@ss w/rd+0123456789abcdef\n");
        let text = format!(
            "raw p@ss w/rd+0123456789abcdef b64 {b64} nl {b64nl} hex {} url {} form {}",
            hex::encode("p@ss w/rd+0123456789abcdef"),
            "p%40ss%20w%2Frd%2B0123456789abcdef",
            "p%40ss+w%2frd%2b0123456789abcdef",
        );
        let r = redact(&text, &[&v]);
        assert_eq!(
            r,
            "raw [REDACTED] b64 [REDACTED] nl [REDACTED] hex [REDACTED] url [REDACTED] form [REDACTED]"
        );
        // Wrapped base64 (coreutils `base64` breaks lines at 76 columns).
        let long = SecretBytes::new("x".repeat(80));
        let wrapped = base64::engine::general_purpose::STANDARD.encode("x".repeat(80));
        let wrapped = format!("{}\n{}", &wrapped[..76], &wrapped[76..]);
        assert_eq!(redact(&wrapped, &[&long]), "[REDACTED]");
    }

    #[test]
    fn hook_failure_keeps_output_out_of_the_message() {
        let p: SecretPath = "production/X".parse().unwrap();
        let v = SecretBytes::new("value-0123456789abcdef");
        let e = run(
            "echo \"oops $(cat)\" >&2; echo on-stdout; exit 4",
            "set",
            &ctx(&p),
            &v,
            &[],
            Duration::from_secs(5),
            &[],
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "set command failed (exit status: 4)");
        assert_eq!(
            e.audit_detail(),
            "set command failed (exit status: 4); stderr: oops [REDACTED]"
        );
    }

    #[test]
    fn hook_leaving_a_process_on_stderr_returns_without_waiting_for_it() {
        let p: SecretPath = "production/X".parse().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("bg.pid");
        let t = Instant::now();
        let ok = run(
            &format!(
                "echo started >&2; sleep 30 & echo $! > {}",
                pidfile.display()
            ),
            "set",
            &ctx(&p),
            &SecretBytes::new("value-0123456789abcdef"),
            &[],
            Duration::from_secs(20),
            &[],
        )
        .unwrap();
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        assert!(ok.contains("stderr: started"), "{ok}");
        if let Ok(pid) = std::fs::read_to_string(&pidfile) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}
