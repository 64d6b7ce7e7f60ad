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

/// Terminal echo turned off on the terminal that is stdin, for as long as this lives. The
/// saved settings are restored on drop, and also when the process is ended by Ctrl-C (or
/// SIGTERM, SIGHUP, SIGQUIT) at the prompt: a handler restores them, then lets the signal
/// end the process as it would have.
struct NoEcho {
    #[cfg(unix)]
    saved: libc::termios,
}

/// The settings to restore from a signal handler (set once, before echo goes off).
#[cfg(unix)]
static SAVED_TERMIOS: std::sync::OnceLock<libc::termios> = std::sync::OnceLock::new();
#[cfg(unix)]
const RESTORE_ON: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

#[cfg(unix)]
extern "C" fn restore_and_reraise(sig: libc::c_int) {
    // Only async-signal-safe calls: tcsetattr, signal, raise.
    if let Some(t) = SAVED_TERMIOS.get() {
        unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, t) };
    }
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

impl NoEcho {
    /// Turn echo off; `None` when it cannot be (not a terminal, not Unix).
    #[cfg(unix)]
    fn new() -> Option<NoEcho> {
        // SAFETY: termios is plain data; tcgetattr fills it or fails.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut saved) } != 0 {
            return None;
        }
        let _ = SAVED_TERMIOS.set(saved);
        let handler = restore_and_reraise as extern "C" fn(libc::c_int) as libc::sighandler_t;
        for sig in RESTORE_ON {
            unsafe { libc::signal(sig, handler) };
        }
        let mut quiet = saved;
        quiet.c_lflag &= !(libc::ECHO | libc::ECHONL);
        if unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &quiet) } != 0 {
            for sig in RESTORE_ON {
                unsafe { libc::signal(sig, libc::SIG_DFL) };
            }
            return None;
        }
        Some(NoEcho { saved })
    }

    #[cfg(not(unix))]
    fn new() -> Option<NoEcho> {
        None
    }
}

impl Drop for NoEcho {
    fn drop(&mut self) {
        #[cfg(unix)]
        unsafe {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &self.saved);
            for sig in RESTORE_ON {
                libc::signal(sig, libc::SIG_DFL);
            }
        }
    }
}

/// Whether stdin (not a terminal) holds data within a short wait. A pipe that ends empty
/// or stays quiet (a script's inherited stdin) does not.
fn stdin_has_data() -> bool {
    if std::io::stdin().is_terminal() {
        return false;
    }
    #[cfg(unix)]
    {
        let mut fds = libc::pollfd {
            fd: libc::STDIN_FILENO,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd; a 250 ms timeout.
        if unsafe { libc::poll(&mut fds, 1, 250) } != 1 || fds.revents & libc::POLLIN == 0 {
            return false;
        }
        let mut byte = [0u8; 1];
        // SAFETY: reads at most one byte into a local buffer.
        let n = unsafe { libc::read(libc::STDIN_FILENO, byte.as_mut_ptr().cast(), 1) };
        n > 0
    }
    #[cfg(not(unix))]
    false
}

/// The value to store: generated for `kind`, or read from stdin (with echo off when stdin
/// is a terminal).
fn read_value(generate: Option<&str>, raw: bool) -> Result<SecretBytes> {
    if let Some(kind) = generate {
        let kind: Kind = kind.parse().map_err(anyhow::Error::msg)?;
        if stdin_has_data() {
            bail!("a value was piped on stdin and --generate was given; keyward would ignore one of them (drop --generate to store the piped value, or stop piping)");
        }
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
            let stage = stage.map(|s| s.parse::<Stage>()).transpose()?;
            let mut store = open(&opts)?;
            // Audited after delivery, as `export` is: a read into a failing stdout is
            // logged as failed, never as a successful read.
            let (revealed, receipt) = store.read_deferred(&path, version, stage)?;
            let delivered = (|| {
                let mut out = std::io::stdout().lock();
                out.write_all(revealed.value.expose())?;
                if out.is_terminal() {
                    out.write_all(b"\n")?;
                }
                out.flush()
            })();
            drop(revealed);
            match delivered {
                Ok(()) => store.finish_export(&receipt, Ok(()))?,
                Err(e) => {
                    let why = format!("cannot write to stdout: {}", e.kind());
                    let _ = store.finish_export(&receipt, Err(&why));
                    return Err(anyhow::Error::new(e).context("cannot write the value to stdout"));
                }
            }
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
