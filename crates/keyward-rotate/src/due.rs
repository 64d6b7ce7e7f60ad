//! `rotate --due` as a library call: every secret whose rotation is due or overdue, whose
//! grace has expired, or whose rotation was interrupted, is rotated, finished or resumed.
//! The CLI's `keyward rotate --due` and the server's scheduler both call [`run_due`].

use crate::clock;
use crate::error::{Result, RotateError, RotateErrorKind};
use crate::machine::{Outcome, Rotator};
use crate::plan::{status, StatusRow};
use keyward_core::policy::Policy;
use keyward_store::{SecretPath, Store};

/// The rotation status of every live secret (or those of `env`), as `keyward rotation
/// status` shows it.
pub fn status_rows(
    store: &mut Store,
    policy: &Policy,
    env: Option<&str>,
) -> Result<Vec<StatusRow>> {
    let prefix = env.map(|e| format!("{e}/")).unwrap_or_default();
    if let Some(e) = env {
        keyward_store::validate_env(e)?;
    }
    let now = clock::now();
    store
        .list(&prefix, false)?
        .iter()
        .filter(|m| m.current_version > 0 || m.state != "{}")
        .map(|m| status(policy, m, now))
        .collect()
}

/// What happened to one secret in a due run.
#[derive(Debug)]
pub enum DueResult {
    /// Rotated, finished or resumed.
    Done(Outcome),
    /// Not touched: no target configured, or another process holds its rotation.
    Skipped(String),
    /// The rotation failed (the error says why, never a value).
    Failed(RotateError),
}

/// One secret's line of a due run.
#[derive(Debug)]
pub struct DueItem {
    /// The secret.
    pub path: SecretPath,
    /// Its schedule before the run (`overdue`, `due`, …).
    pub schedule: String,
    /// The result.
    pub result: DueResult,
}

/// Everything a due run did, in order.
#[derive(Debug, Default)]
pub struct DueReport {
    /// One item per secret that needed work.
    pub items: Vec<DueItem>,
}

impl DueReport {
    /// Count of (done, failed, skipped).
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for i in &self.items {
            match i.result {
                DueResult::Done(_) => c.0 += 1,
                DueResult::Failed(_) => c.1 += 1,
                DueResult::Skipped(_) => c.2 += 1,
            }
        }
        c
    }
}

/// Run every due rotation and expired grace of `env` (all environments when `None`):
/// interrupted rotations and expired graces are resumed (then rotated again when the
/// schedule is still due), due ones rotated. A secret whose rotation another process
/// holds is skipped, not failed. Only listing the store can fail the whole run.
pub fn run_due(store: &mut Store, policy: &Policy, env: Option<&str>) -> Result<DueReport> {
    let rows = status_rows(store, policy, env)?;
    let mut report = DueReport::default();
    for r in rows.iter().filter(|r| r.needs_work()) {
        let path: SecretPath = r.path.parse()?;
        let result = if r.target == "none" {
            DueResult::Skipped("due, but no rotation target is configured".into())
        } else {
            match run_one(store, policy, &path, r) {
                Ok(out) => DueResult::Done(out),
                Err(e) if e.kind() == RotateErrorKind::Busy => DueResult::Skipped(e.to_string()),
                Err(e) => DueResult::Failed(e),
            }
        };
        report.items.push(DueItem {
            path,
            schedule: r.schedule.clone(),
            result,
        });
    }
    Ok(report)
}

fn run_one(
    store: &mut Store,
    policy: &Policy,
    path: &SecretPath,
    r: &StatusRow,
) -> Result<Outcome> {
    let mut rot = Rotator::new(store, policy);
    if r.grace_expired || r.lease_stale || matches!(r.state.as_str(), "created" | "set" | "tested")
    {
        rot.resume(path)
            .and_then(|o| match (&o, r.schedule.as_str()) {
                (Outcome::Finished { .. } | Outcome::Nothing, "overdue" | "due") => {
                    rot.rotate(path)
                }
                _ => Ok(o),
            })
    } else {
        rot.rotate(path)
    }
}

/// One scheduler tick: [`run_due`] for every environment if this process holds (or takes)
/// the scheduler claim, else nothing (`Ok(None)`). What the server's scheduler loop runs.
pub fn tick(
    leader: &mut crate::leader::Leader,
    store: &mut Store,
    policy: &Policy,
) -> Result<Option<DueReport>> {
    if !leader.try_lead()? {
        return Ok(None);
    }
    run_due(store, policy, None).map(Some)
}

/// One line (a manual rotation: its steps on following lines) saying what `out` means for
/// `path`, as the CLI prints it and the server returns it.
pub fn describe(path: &SecretPath, out: &Outcome) -> String {
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
