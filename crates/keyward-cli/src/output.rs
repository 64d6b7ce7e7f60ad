//! Where and how reports are written: stdout or `-o FILE`, colour, thresholds.

use crate::cli::OutputArgs;
use anyhow::{Context, Result};
use keyward_core::{Finding, Severity};
use keyward_report::Format;
use std::io::{IsTerminal, Write};

/// Exit code when the reader of stdout went away (128 + SIGPIPE, as other Unix tools).
pub const EXIT_BROKEN_PIPE: u8 = 141;

/// Write `text` to stdout; when the reader has gone (`keyward audit log | head`), end the
/// process quietly with [`EXIT_BROKEN_PIPE`].
pub fn print_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            std::process::exit(i32::from(EXIT_BROKEN_PIPE))
        }
        other => other.context("cannot write to stdout"),
    }
}

/// Parsed output options.
pub struct Output {
    /// The format.
    pub format: Format,
    /// Reveal secrets.
    pub show_secrets: bool,
    /// Use colour.
    pub color: bool,
    /// The exit-1 threshold.
    pub fail_on: Severity,
    target: Option<std::path::PathBuf>,
}

impl Output {
    /// Validate `args`; `default_fail_on` comes from the policy file when set there.
    pub fn new(args: &OutputArgs, default_fail_on: Option<&str>) -> Result<Output> {
        let format: Format = args.format.parse().map_err(anyhow::Error::msg)?;
        let fail_on: Severity = args
            .fail_on
            .as_deref()
            .or(default_fail_on)
            .unwrap_or("low")
            .parse()
            .map_err(anyhow::Error::msg)?;
        let color = match args.color.as_str() {
            "always" => true,
            "never" => false,
            "auto" => {
                args.output.is_none()
                    && std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none()
            }
            other => anyhow::bail!("unknown --color `{other}` (expected auto, always or never)"),
        };
        Ok(Output {
            format,
            show_secrets: args.show_secrets,
            color,
            fail_on,
            target: args.output.clone(),
        })
    }

    /// Write rendered text to stdout or the `-o` file.
    pub fn write(&self, text: &str) -> Result<()> {
        match &self.target {
            // A report with unredacted secrets is private, as `export -o` is.
            Some(path) if self.show_secrets => {
                keyward_env::fs::write_private(path, text.as_bytes(), true)
                    .with_context(|| format!("cannot write {}", path.display()))
            }
            Some(path) => std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display())),
            None => print_stdout(text),
        }
    }

    /// Render `findings` in the chosen format, write them out and return the exit code.
    pub fn report(
        &self,
        findings: &[Finding],
        summary: &keyward_report::Summary,
        rules: &[keyward_report::RuleMeta],
    ) -> Result<u8> {
        let report = keyward_report::Report {
            findings,
            summary,
            rules,
            show_secrets: self.show_secrets,
            color: self.color,
        };
        self.write(&report.render(self.format))?;
        Ok(self.exit_code(findings))
    }

    /// 1 when any blocking finding is at or above the threshold, else 0. Generic-rule
    /// findings in tests, examples, vendored or generated files are reported but do not
    /// block unless `[scan] fail_contexts` says so.
    pub fn exit_code(&self, findings: &[Finding]) -> u8 {
        if findings
            .iter()
            .any(|f| f.blocking && f.severity >= self.fail_on)
        {
            crate::cmd::EXIT_FINDINGS
        } else {
            crate::cmd::EXIT_OK
        }
    }
}

/// A size as `--max-file-size` takes it: `8M`, `512K`, `1G`, or plain bytes.
pub fn flag_size(b: u64) -> String {
    for (shift, unit) in [(30, 'G'), (20, 'M'), (10, 'K')] {
        if b >= 1 << shift && b.is_multiple_of(1 << shift) {
            return format!("{}{unit}", b >> shift);
        }
    }
    b.to_string()
}

/// Parse `8M`, `512k`, `1G` or plain bytes.
pub fn parse_size(s: &str) -> Result<u64> {
    let t = s.trim().to_ascii_lowercase();
    let t = t.strip_suffix('b').unwrap_or(&t);
    let (num, mult) = match t.chars().last() {
        Some('k') => (&t[..t.len() - 1], 1u64 << 10),
        Some('m') => (&t[..t.len() - 1], 1 << 20),
        Some('g') => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    let n: u64 = num
        .trim()
        .parse()
        .with_context(|| format!("invalid size `{s}` (examples: 1048576, 512K, 8M)"))?;
    Ok(n.saturating_mul(mult))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10").unwrap(), 10);
        assert_eq!(parse_size("2K").unwrap(), 2048);
        assert_eq!(parse_size("8MB").unwrap(), 8 << 20);
        assert!(parse_size("lots").is_err());
    }

    #[test]
    fn item_26_sizes_print_as_the_flag_takes_them() {
        assert_eq!(flag_size(8 << 20), "8M");
        assert_eq!(flag_size(512 << 10), "512K");
        assert_eq!(flag_size(1000), "1000");
        assert_eq!(parse_size(&flag_size(3 << 30)).unwrap(), 3 << 30);
    }
}
