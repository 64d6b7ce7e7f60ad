//! `keyward rotation status|keyring`, `keyward rotate ENV/NAME|--due|confirm ENV/NAME`.

use super::store::open;
use super::{EXIT_FINDINGS, EXIT_OK};
use crate::cli::{RotateArgs, RotateOpts, RotationCommand};
use anyhow::{bail, Context, Result};
use keyward_core::policy::Policy;
use keyward_core::SecretBytes;
use keyward_rotate::{clock, status, Outcome, RotateErrorKind, Rotator, StatusRow};
use keyward_store::{SecretPath, Store};
use std::io::Read;

/// Open the store and load the policy.
pub fn open_both(opts: &RotateOpts) -> Result<(Store, Policy)> {
    let (policy, _) = Policy::discover(opts.config.as_deref())?;
    Ok((open(&opts.store)?, policy))
}

fn rows(store: &mut Store, policy: &Policy, env: Option<&str>) -> Result<Vec<StatusRow>> {
    let prefix = env.map(|e| format!("{e}/")).unwrap_or_default();
    if let Some(e) = env {
        keyward_store::validate_env(e)?;
    }
    let now = clock::now();
    Ok(store
        .list(&prefix, false)?
        .iter()
        .filter(|m| m.current_version > 0 || m.state != "{}")
        .map(|m| status(policy, m, now))
        .collect())
}

/// Run `keyward rotation …`.
pub fn rotation(cmd: RotationCommand) -> Result<u8> {
    match cmd {
        RotationCommand::Status { env, format, opts } => {
            if !matches!(format.as_str(), "human" | "json") {
                bail!("unknown format `{format}` (human or json)");
            }
            let (mut store, policy) = open_both(&opts)?;
            let rows = rows(&mut store, &policy, env.as_deref())?;
            if format == "json" {
                let doc =
                    serde_json::json!({"version": 1, "now": clock::now_text(), "secrets": rows});
                println!("{}", serde_json::to_string_pretty(&doc)?);
            } else {
                print_status(&rows);
            }
            Ok(EXIT_OK)
        }
        RotationCommand::Keyring { path, opts } => {
            let path: SecretPath = path.parse()?;
            let (mut store, _) = open_both(&opts)?;
            let ring = keyward_rotate::jwt::keyring(&mut store, &path)?;
            println!("{}", serde_json::to_string_pretty(&ring)?);
            Ok(EXIT_OK)
        }
    }
}

fn print_status(rows: &[StatusRow]) {
    if rows.is_empty() {
        println!("no secrets");
        return;
    }
    println!(
        "{:<36} {:<10} {:<10} {:<11} {:<8} {:<9} {:<17} LAST ERROR",
        "SECRET", "LAST", "NEXT DUE", "SCHEDULE", "OVERDUE", "TARGET", "STATE"
    );
    for r in rows {
        let date = |s: &str| s.get(..10).unwrap_or(s).to_string();
        println!(
            "{:<36} {:<10} {:<10} {:<11} {:<8} {:<9} {:<17} {}",
            r.path,
            date(&r.last_rotated),
            r.next_due.as_deref().map_or("-".into(), date),
            r.schedule,
            if r.overdue_days > 0 {
                format!("{}d", r.overdue_days)
            } else {
                "-".into()
            },
            r.target,
            if r.grace_expired {
                format!("{} (expired)", r.state)
            } else {
                r.state.clone()
            },
            r.last_error.as_deref().unwrap_or("-")
        );
    }
}

fn describe(path: &SecretPath, out: &Outcome) -> String {
    match out {
        Outcome::Nothing => format!("{path}: nothing to do"),
        Outcome::InGrace {
            version,
            grace_until,
        } => {
            format!("{path}: version {version} is current; the previous value stays valid until {grace_until}")
        }
        Outcome::Finished { version } => {
            format!("{path}: rotation finished; version {version} is current")
        }
        Outcome::AwaitingConfirm { steps } => {
            let mut s = format!("{path}: manual rotation — follow these steps, then run `keyward rotate confirm {path}`:");
            for (i, step) in steps.iter().enumerate() {
                s.push_str(&format!(
                    "\n  {}. {}",
                    i + 1,
                    step.replace("ENV/NAME", &path.to_string())
                ));
            }
            s
        }
    }
}

/// Run `keyward rotate …`.
pub fn rotate(args: RotateArgs) -> Result<u8> {
    let (mut store, policy) = open_both(&args.opts)?;
    if args.due {
        return due(&mut store, &policy, args.env.as_deref());
    }
    let (confirm, path) = match args.what.as_slice() {
        [p] => (false, p),
        [c, p] if c == "confirm" => (true, p),
        _ => bail!("usage: keyward rotate ENV/NAME | keyward rotate --due | keyward rotate confirm ENV/NAME"),
    };
    let path: SecretPath = path.parse()?;
    let mut rot = Rotator::new(&mut store, &policy);
    let out = if confirm {
        let mut buf = zeroize::Zeroizing::new(Vec::new());
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("cannot read the new key from stdin")?;
        while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            buf.pop();
        }
        rot.confirm(&path, &SecretBytes::new(buf.to_vec()))?
    } else if args.finish {
        rot.end_grace(&path)?
    } else {
        rot.rotate(&path)?
    };
    eprintln!("keyward: {}", describe(&path, &out));
    Ok(EXIT_OK)
}

fn due(store: &mut Store, policy: &Policy, env: Option<&str>) -> Result<u8> {
    let rows = rows(store, policy, env)?;
    let (mut ok, mut failed, mut skipped) = (0, 0, 0);
    for r in rows.iter().filter(|r| r.needs_work()) {
        let path: SecretPath = r.path.parse()?;
        if r.target == "none" {
            eprintln!("keyward: {path}: due, but no rotation target is configured (skipped)");
            skipped += 1;
            continue;
        }
        let mut rot = Rotator::new(store, policy);
        let result = if r.grace_expired || matches!(r.state.as_str(), "created" | "set" | "tested")
        {
            rot.resume(&path)
                .and_then(|o| match (&o, r.schedule.as_str()) {
                    (Outcome::Finished { .. } | Outcome::Nothing, "overdue" | "due") => {
                        rot.rotate(&path)
                    }
                    _ => Ok(o),
                })
        } else {
            rot.rotate(&path)
        };
        match result {
            Ok(out) => {
                ok += 1;
                eprintln!("keyward: {}", describe(&path, &out));
            }
            // Another process owns this rotation (its lease is live): not ours to touch,
            // and not a failure; the next run picks it up if that process dies.
            Err(e) if e.kind() == RotateErrorKind::Busy => {
                skipped += 1;
                eprintln!("keyward: {path}: skipped: {e}");
            }
            Err(e) => {
                failed += 1;
                eprintln!("keyward: {path}: rotation failed: {e}");
            }
        }
    }
    eprintln!("keyward: rotate --due: {ok} done, {failed} failed, {skipped} skipped");
    Ok(if failed > 0 { EXIT_FINDINGS } else { EXIT_OK })
}
