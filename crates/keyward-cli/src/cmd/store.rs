//! `keyward store init|rekey`, and opening the store for the other store commands.

use super::EXIT_OK;
use crate::cli::{StoreCommand, StoreOpts};
use anyhow::{bail, Context, Result};
use keyward_store::{Backend, Key, Location, Store};
use std::path::Path;

/// The store location from `--store` / `KEYWARD_STORE`.
pub fn location(opts: &StoreOpts) -> Location {
    Location::parse(opts.store.as_deref())
}

/// No core dumps from here on: a process holding the master key must not write it to a
/// core file if it crashes (children, e.g. `keyward run`'s command, inherit the limit).
pub fn no_core_dumps() {
    #[cfg(unix)]
    {
        let zero = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: a valid rlimit; failure only leaves the old limit.
        if unsafe { libc::setrlimit(libc::RLIMIT_CORE, &zero) } != 0 {
            tracing::warn!("could not disable core dumps");
        }
    }
}

/// Warn (or, with `strict`, refuse) when a master key file can be read by other users.
fn check_key_file_mode(file: &Path, strict: bool) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file)
            .with_context(|| format!("cannot read master key file {}", file.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            let what = format!(
                "master key file {} is accessible to other users (mode {:04o}); `chmod 600` it",
                file.display(),
                mode & 0o7777
            );
            if strict {
                bail!("{what} (refused because of --strict)");
            }
            eprintln!("keyward: warning: {what}");
        }
    }
    let _ = (file, strict);
    Ok(())
}

/// Read a master key from `file`, or from the environment variable `var`.
fn read_key(file: Option<&Path>, var: &str, flag: &str, strict: bool) -> Result<Key> {
    no_core_dumps();
    if let Some(file) = file {
        check_key_file_mode(file, strict)?;
        let text = zeroize::Zeroizing::new(
            std::fs::read_to_string(file)
                .with_context(|| format!("cannot read master key file {}", file.display()))?,
        );
        return Key::from_base64(&text)
            .with_context(|| format!("master key file {}", file.display()));
    }
    match std::env::var(var) {
        Ok(text) => {
            let text = zeroize::Zeroizing::new(text);
            Ok(Key::from_base64(&text).with_context(|| format!("${var}"))?)
        }
        Err(_) => bail!(
            "no master key: set {var} (base64 of 32 bytes, e.g. from `openssl rand -base64 32`) or pass {flag}"
        ),
    }
}

/// The master key from `--master-key-file` or `KEYWARD_MASTER_KEY`.
pub fn master_key(opts: &StoreOpts) -> Result<Key> {
    read_key(
        opts.master_key_file.as_deref(),
        "KEYWARD_MASTER_KEY",
        "--master-key-file",
        opts.strict_key_file,
    )
}

/// Open and unseal the store.
pub fn open(opts: &StoreOpts) -> Result<Store> {
    let kek = master_key(opts)?;
    let backend = location(opts).open(false)?;
    Ok(Store::open(backend, kek)?)
}

/// Open the store's database without a key (audit commands).
pub fn open_backend(opts: &StoreOpts) -> Result<Box<dyn Backend>> {
    Ok(location(opts).open(false)?)
}

/// Keep a file keyward wrote out of git: in keyward's own `.keyward/` directory a
/// `.gitignore` names it (the baseline there stays committable); elsewhere inside a git
/// work tree, a file git would not ignore gets a warning.
fn keep_out_of_git(file: &Path, what: &str) {
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if dir.file_name().is_some_and(|n| n == ".keyward") {
        let ignore = dir.join(".gitignore");
        let text = std::fs::read_to_string(&ignore).unwrap_or_default();
        let line = format!("/{name}*");
        if !text.lines().any(|l| l.trim() == line) {
            let mut text = text;
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            if text.is_empty() {
                text.push_str("# Written by keyward: never commit the store or a key.\n");
            }
            text.push_str(&line);
            text.push('\n');
            if std::fs::write(&ignore, text).is_ok() {
                eprintln!("keyward: {} lists {what} ({line})", ignore.display());
                return;
            }
        } else {
            return;
        }
    }
    // `git check-ignore` exits 1 for a path git would track, 128 outside a repository.
    let tracked = std::process::Command::new("git")
        .args(["check-ignore", "-q", "--"])
        .arg(file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.code() == Some(1));
    if tracked {
        eprintln!(
            "keyward: warning: {} ({what}) is inside a git work tree and not ignored; add it to .gitignore so it is never committed",
            file.display()
        );
    }
}

/// Run `keyward store …`.
pub fn run(cmd: StoreCommand) -> Result<u8> {
    match cmd {
        StoreCommand::Init { opts, generate_key } => {
            let loc = location(&opts);
            let kek = match &generate_key {
                Some(file) => {
                    no_core_dumps();
                    let key = Key::random()?;
                    let mut text = key.to_base64();
                    text.push('\n');
                    keyward_env::fs::write_private(file, text.as_bytes(), false).with_context(
                        || format!("cannot write master key to {}", file.display()),
                    )?;
                    key
                }
                None => master_key(&opts)?,
            };
            let store = Store::init(loc.open(true)?, kek)?;
            eprintln!(
                "keyward: initialized {} store at {}",
                store.backend_name(),
                store.location()
            );
            if let keyward_store::Location::Sqlite(db) = &loc {
                keep_out_of_git(db, "the store");
            }
            if let Some(file) = &generate_key {
                keep_out_of_git(file, "the master key");
            }
            if let Some(file) = generate_key {
                eprintln!(
                    "keyward: master key written to {} — keep it outside the repository; without it the store cannot be read",
                    file.display()
                );
            }
            Ok(EXIT_OK)
        }
        StoreCommand::Rekey {
            opts,
            new_master_key_file,
        } => {
            let new = read_key(
                new_master_key_file.as_deref(),
                "KEYWARD_NEW_MASTER_KEY",
                "--new-master-key-file",
                opts.strict_key_file,
            )?;
            let mut store = open(&opts)?;
            let n = store.rekey(new)?;
            eprintln!(
                "keyward: re-wrapped {n} data keys and the audit key under the new master key"
            );
            Ok(EXIT_OK)
        }
    }
}
