//! `keyward rotation status|keyring`, `keyward rotate ENV/NAME|--due|confirm ENV/NAME`.

use super::store::open;
use super::{EXIT_FINDINGS, EXIT_OK};
use crate::cli::{RotateArgs, RotateOpts, RotationCommand};
use anyhow::{bail, Context, Result};
use keyward_core::policy::Policy;
use keyward_core::SecretBytes;
use keyward_rotate::due::describe;
use keyward_rotate::{clock, Aborted, DueResult, Rotator, StatusRow};
use keyward_store::{SecretPath, Store};
use std::io::Read;

/// Open the store and load the policy.
pub fn open_both(opts: &RotateOpts) -> Result<(Store, Policy)> {
    let (policy, _) = Policy::discover(opts.config.as_deref())?;
    Ok((open(&opts.store)?, policy))
}

/// Run `keyward rotation …`.
pub fn rotation(cmd: RotationCommand) -> Result<u8> {
    match cmd {
        RotationCommand::Status { env, format, opts } => {
            if !matches!(format.as_str(), "human" | "json") {
                bail!("unknown format `{format}` (human or json)");
            }
            let (mut store, policy) = open_both(&opts)?;
            let rows = keyward_rotate::status_rows(&mut store, &policy, env.as_deref())?;
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

/// Run `keyward rotate …`.
pub fn rotate(args: RotateArgs) -> Result<u8> {
    let (mut store, policy) = open_both(&args.opts)?;
    if args.due {
        return due(&mut store, &policy, args.env.as_deref());
    }
    let (confirm, path) = match args.what.as_slice() {
        [p] => (false, p),
        [c, p] if c == "confirm" && !args.abort => (true, p),
        _ => bail!("usage: keyward rotate ENV/NAME [--finish | --abort] | keyward rotate --due | keyward rotate confirm ENV/NAME"),
    };
    let path: SecretPath = path.parse()?;
    let mut rot = Rotator::new(&mut store, &policy);
    if args.abort {
        let who = store_actor_reason(args.reason.as_deref());
        let out = rot.abort(&path, &who)?;
        eprintln!("keyward: {}", describe_abort(&path, &out));
        return Ok(EXIT_OK);
    }
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

/// The reason recorded for `--abort`.
fn store_actor_reason(reason: Option<&str>) -> String {
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => r.to_string(),
        None => "aborted with `keyward rotate --abort`".to_string(),
    }
}

fn describe_abort(path: &SecretPath, out: &Aborted) -> String {
    match out {
        Aborted::Nothing => format!("{path}: no rotation in progress; nothing to abort"),
        Aborted::Abandoned {
            step,
            discarded,
            rolled_back,
            incident,
        } => {
            let mut s = format!("{path}: rotation abandoned at step {step}");
            if let Some(v) = discarded {
                s.push_str(&format!("; pending version {v} discarded"));
            }
            if rolled_back.is_some() {
                s.push_str("; target rolled back");
            }
            s.push_str("; direct writes are allowed again");
            if let Some(id) = incident {
                s.push_str(&format!(
                    "; incident {id} stays open: replace the compromised value with `keyward rotate {path}`"
                ));
            }
            s
        }
    }
}

fn due(store: &mut Store, policy: &Policy, env: Option<&str>) -> Result<u8> {
    let report = keyward_rotate::run_due(store, policy, env)?;
    for item in &report.items {
        let path = &item.path;
        match &item.result {
            DueResult::Done(out) => eprintln!("keyward: {}", describe(path, out)),
            // No target, or another process owns this rotation (its lease is live): not
            // ours to touch, and not a failure; the next run picks it up.
            DueResult::Skipped(why) => eprintln!("keyward: {path}: skipped: {why}"),
            DueResult::Failed(e) => eprintln!("keyward: {path}: rotation failed: {e}"),
        }
    }
    let (ok, failed, skipped) = report.counts();
    eprintln!("keyward: rotate --due: {ok} done, {failed} failed, {skipped} skipped");
    Ok(if failed > 0 { EXIT_FINDINGS } else { EXIT_OK })
}
