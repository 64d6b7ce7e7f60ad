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

/// Read a master key from `file`, or from the environment variable `var`.
fn read_key(file: Option<&Path>, var: &str, flag: &str) -> Result<Key> {
    if let Some(file) = file {
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

/// Run `keyward store …`.
pub fn run(cmd: StoreCommand) -> Result<u8> {
    match cmd {
        StoreCommand::Init { opts, generate_key } => {
            let loc = location(&opts);
            let kek = match &generate_key {
                Some(file) => {
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
