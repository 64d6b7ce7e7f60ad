//! The `command` target: user commands (`sh -c`) for set, test, finish and rollback.
//!
//! The value goes to the command's stdin, never its argv or environment; the command also
//! gets `KEYWARD_SECRET_PATH`, `KEYWARD_SECRET_VERSION`, `KEYWARD_STEP`. Each command has
//! a timeout (killed when it passes). Its output goes to the audit log, truncated, with any
//! occurrence of the value replaced by `[REDACTED]`.

use super::{StepCtx, Target};
use crate::error::{Result, RotateError, RotateErrorKind};
use keyward_core::SecretBytes;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest output kept in the audit detail.
const MAX_OUTPUT: usize = 2000;

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
}

/// Replace every occurrence of each value (of at least 4 bytes) with `[REDACTED]`.
pub fn redact(text: &str, values: &[&SecretBytes]) -> String {
    let mut out = text.to_string();
    for v in values {
        if let Ok(s) = std::str::from_utf8(v.expose()) {
            let s = s.trim();
            if s.len() >= 4 {
                out = out.replace(s, "[REDACTED]");
            }
        }
    }
    out
}

/// Run `script` with `value` on stdin; returns its redacted output. Fails on a non-zero
/// exit or a timeout.
pub fn run(
    script: &str,
    step: &str,
    ctx: &StepCtx<'_>,
    value: &SecretBytes,
    redact_also: &[&SecretBytes],
    timeout: Duration,
) -> Result<String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .env("KEYWARD_SECRET_PATH", ctx.path.to_string())
        .env("KEYWARD_SECRET_VERSION", ctx.version.to_string())
        .env("KEYWARD_STEP", step)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| RotateError::target(format!("{step} command could not start: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read stdin closes the pipe: not an error.
        let _ = stdin.write_all(value.expose());
    }
    let mut out_pipe = child.stdout.take().expect("piped");
    let mut err_pipe = child.stderr.take().expect("piped");
    let readers = (
        std::thread::spawn(move || {
            let mut b = Vec::new();
            let _ = out_pipe.read_to_end(&mut b);
            b
        }),
        std::thread::spawn(move || {
            let mut b = Vec::new();
            let _ = err_pipe.read_to_end(&mut b);
            b
        }),
    );
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(RotateError::target(format!("{step} command: {e}"))),
        }
    };
    let mut output = readers.0.join().unwrap_or_default();
    output.extend(readers.1.join().unwrap_or_default());
    let mut text = String::from_utf8_lossy(&output).into_owned();
    zeroize::Zeroize::zeroize(&mut output);
    let mut values = vec![value];
    values.extend_from_slice(redact_also);
    let mut text2 = redact(&text, &values);
    zeroize::Zeroize::zeroize(&mut text);
    if text2.len() > MAX_OUTPUT {
        let mut cut = MAX_OUTPUT;
        while !text2.is_char_boundary(cut) {
            cut -= 1;
        }
        text2.truncate(cut);
        text2.push('…');
    }
    let text = text2.trim().replace('\n', " | ");
    match status {
        None => Err(RotateError::target(format!(
            "{step} command timed out after {}s (killed); output: {text}",
            timeout.as_secs()
        ))),
        Some(s) if s.success() => Ok(format!("{step} command ok; output: {text}")),
        Some(s) => {
            let kind = if step == "test" {
                RotateErrorKind::TestFailed
            } else {
                RotateErrorKind::Target
            };
            Err(RotateError::new(
                kind,
                format!("{step} command failed ({s}); output: {text}"),
            ))
        }
    }
}

impl Target for CommandTarget {
    fn describe(&self) -> String {
        "command hooks".into()
    }

    fn set(
        &mut self,
        ctx: &StepCtx<'_>,
        new: &SecretBytes,
        old: Option<&SecretBytes>,
    ) -> Result<String> {
        match &self.set {
            Some(s) => run(
                s,
                "set",
                ctx,
                new,
                &old.into_iter().collect::<Vec<_>>(),
                self.timeout,
            ),
            None => Ok("no set command".into()),
        }
    }

    fn test(&mut self, ctx: &StepCtx<'_>, new: &SecretBytes) -> Result<String> {
        match &self.test {
            Some(s) => run(s, "test", ctx, new, &[], self.timeout),
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
            (Some(s), Some(old)) => run(s, "rollback", ctx, old, &[new], self.timeout),
            _ => Ok("no rollback command".into()),
        }
    }

    fn finish(&mut self, ctx: &StepCtx<'_>, old: &SecretBytes) -> Result<String> {
        match &self.finish {
            Some(s) => run(s, "finish", ctx, old, &[], self.timeout),
            None => Ok("no finish command".into()),
        }
    }
}
