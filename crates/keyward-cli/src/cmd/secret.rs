//! `keyward secret set|get|list|history|rm|restore`.

use super::store::open;
use super::EXIT_OK;
use crate::cli::SecretCommand;
use anyhow::{bail, Context, Result};
use keyward_core::policy::Kind;
use keyward_core::SecretBytes;
use keyward_store::{Expected, MetaPatch, SecretPath, Stage};
use std::io::{IsTerminal, Read, Write};
use zeroize::Zeroizing;

fn parse_path(text: &str) -> Result<SecretPath> {
    Ok(text.parse::<SecretPath>()?)
}

/// `--expected-version N`: 0 means "must not exist".
fn expected(n: Option<u64>) -> Expected {
    match n {
        None => Expected::Any,
        Some(0) => Expected::Absent,
        Some(n) => Expected::Version(n),
    }
}

/// Terminal echo turned off on the terminal that is stdin, for as long as this lives; the
/// saved settings are restored on drop. Uses `stty` (POSIX) on that terminal, so no
/// terminal library is needed.
struct NoEcho {
    #[cfg(unix)]
    saved: String,
}

impl NoEcho {
    /// Turn echo off; `None` when it cannot be (no `stty`, not Unix).
    #[cfg(unix)]
    fn new() -> Option<NoEcho> {
        use std::process::{Command, Stdio};
        let saved = Command::new("stty")
            .arg("-g")
            .stdin(Stdio::inherit())
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())?;
        let saved = String::from_utf8(saved.stdout).ok()?.trim().to_string();
        if saved.is_empty() {
            return None;
        }
        let off = Command::new("stty")
            .arg("-echo")
            .stdin(Stdio::inherit())
            .stderr(Stdio::null())
            .status()
            .ok()?;
        off.success().then_some(NoEcho { saved })
    }

    #[cfg(not(unix))]
    fn new() -> Option<NoEcho> {
        None
    }
}

impl Drop for NoEcho {
    fn drop(&mut self) {
        #[cfg(unix)]
        {
            use std::process::{Command, Stdio};
            let _ = Command::new("stty")
                .arg(&self.saved)
                .stdin(Stdio::inherit())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// The value to store: generated for `kind`, or read from stdin (with echo off when stdin
/// is a terminal).
fn read_value(generate: Option<&str>, raw: bool) -> Result<SecretBytes> {
    if let Some(kind) = generate {
        let kind: Kind = kind.parse().map_err(anyhow::Error::msg)?;
        return keyward_env::generate::try_generate(kind)?
            .with_context(|| format!("keyward cannot generate a `{kind}` value (it is issued elsewhere or not random); pipe it on stdin"));
    }
    let mut stdin = std::io::stdin();
    let mut buf = Zeroizing::new(Vec::new());
    if stdin.is_terminal() {
        // Echo goes off before the prompt appears, and comes back when `_quiet` drops
        // (also when reading fails).
        let _quiet = match NoEcho::new() {
            Some(quiet) => {
                eprintln!(
                    "keyward: type the value (not shown), then Enter and Ctrl-D (Ctrl-D twice to end without a newline)"
                );
                Some(quiet)
            }
            None => {
                eprintln!(
                    "keyward: warning: cannot turn off terminal echo; the value WILL be visible as you type (pipe it in instead, or Ctrl-C)"
                );
                None
            }
        };
        stdin
            .read_to_end(&mut buf)
            .context("cannot read the value from the terminal")?;
        eprintln!();
    } else {
        stdin
            .read_to_end(&mut buf)
            .context("cannot read the value from stdin")?;
    }
    if !raw {
        if buf.ends_with(b"\r\n") {
            let n = buf.len() - 2;
            buf.truncate(n);
        } else if buf.ends_with(b"\n") {
            let n = buf.len() - 1;
            buf.truncate(n);
        }
    }
    if buf.is_empty() {
        bail!("empty value on stdin (pipe the value in, e.g. `printf %s \"$VALUE\" | keyward secret set ENV/NAME`)");
    }
    Ok(SecretBytes::new(buf.to_vec()))
}

/// Run `keyward secret …`.
pub fn run(cmd: SecretCommand) -> Result<u8> {
    match cmd {
        SecretCommand::Set {
            path,
            generate,
            expected_version,
            raw,
            kind,
            description,
            owner,
            rotation_days,
            opts,
        } => {
            let path = parse_path(&path)?;
            let kind = kind.or_else(|| generate.clone());
            let value = read_value(generate.as_deref(), raw)?;
            let mut store = open(&opts)?;
            let patch = MetaPatch {
                kind,
                description,
                owner,
                rotation_interval_days: rotation_days.map(Some),
                ..Default::default()
            };
            let info = store.set(&path, &value, expected(expected_version), &patch)?;
            eprintln!("keyward: {path} version {} is current", info.version);
            Ok(EXIT_OK)
        }
        SecretCommand::Get {
            path,
            version,
            stage,
            opts,
        } => {
            let path = parse_path(&path)?;
            let mut store = open(&opts)?;
            let revealed = match (version, stage) {
                (Some(v), _) => store.get_version(&path, v)?,
                (None, Some(s)) => store.get_stage(&path, s.parse::<Stage>()?)?,
                (None, None) => store.get(&path)?,
            };
            let mut out = std::io::stdout().lock();
            out.write_all(revealed.value.expose())?;
            if out.is_terminal() {
                out.write_all(b"\n")?;
            }
            out.flush()?;
            Ok(EXIT_OK)
        }
        SecretCommand::List {
            prefix,
            deleted,
            format,
            opts,
        } => {
            let mut store = open(&opts)?;
            let list = store.list(prefix.as_deref().unwrap_or(""), deleted)?;
            match format.as_str() {
                "json" => println!("{}", serde_json::to_string_pretty(&list)?),
                "human" => {
                    for m in &list {
                        let mut line = format!("{}  v{}", m.path, m.current_version);
                        if !m.kind.is_empty() {
                            line.push_str(&format!("  {}", m.kind));
                        }
                        line.push_str(&format!("  updated {}", m.updated_at));
                        if m.deleted_at.is_some() {
                            line.push_str("  (deleted)");
                        }
                        println!("{line}");
                    }
                    if list.is_empty() {
                        eprintln!("keyward: no secrets");
                    }
                }
                other => bail!("unknown format `{other}` (human or json)"),
            }
            Ok(EXIT_OK)
        }
        SecretCommand::History { path, format, opts } => {
            let path = parse_path(&path)?;
            let mut store = open(&opts)?;
            let versions = store.history(&path)?;
            match format.as_str() {
                "json" => println!("{}", serde_json::to_string_pretty(&versions)?),
                "human" => {
                    for v in &versions {
                        println!(
                            "v{}  {:<8}  {}  {}",
                            v.version, v.stage, v.created_at, v.created_by
                        );
                    }
                }
                other => bail!("unknown format `{other}` (human or json)"),
            }
            Ok(EXIT_OK)
        }
        SecretCommand::Rm {
            path,
            expected_version,
            opts,
        } => {
            let path = parse_path(&path)?;
            let mut store = open(&opts)?;
            store.delete(&path, expected(expected_version))?;
            eprintln!("keyward: deleted {path} (restore with `keyward secret restore {path}`)");
            Ok(EXIT_OK)
        }
        SecretCommand::Restore { path, opts } => {
            let path = parse_path(&path)?;
            let mut store = open(&opts)?;
            store.restore(&path)?;
            eprintln!("keyward: restored {path}");
            Ok(EXIT_OK)
        }
    }
}
