//! What applies to one stored secret: its kind, interval, grace and target, resolved from
//! `keyward.toml` (per environment) and the secret's metadata, and where its schedule stands.

use crate::clock;
use crate::error::Result;
use crate::state::{RotationState, Step};
use keyward_core::policy::rotation::{RotationSpec, TargetSpec};
use keyward_core::policy::{Kind, Policy, StripeMode};
use keyward_store::SecretMeta;
use serde::Serialize;
use std::time::SystemTime;

/// The resolved rotation settings of a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The kind (from the policy, else the stored metadata, else inferred from the name).
    pub kind: Kind,
    /// Days between rotations; `None`: on demand only.
    pub interval_days: Option<u32>,
    /// Grace period in days.
    pub grace_days: u32,
    /// The target, if any.
    pub target: Option<TargetSpec>,
    /// The environment's Stripe mode (for confirming manual keys).
    pub stripe_mode: StripeMode,
}

/// Resolve the plan of `meta` under `policy`.
pub fn plan(policy: &Policy, meta: &SecretMeta) -> Plan {
    let env = meta.path.env();
    let name = meta.path.name();
    let declared = policy.variables.get(name);
    let kind = match declared {
        Some(v) => v.kind_for(name),
        None => meta
            .kind
            .parse::<Kind>()
            .unwrap_or_else(|_| Kind::infer(name)),
    };
    let eff = RotationSpec::effective(declared.and_then(|v| v.rotation.as_ref()), kind, env);
    let interval_days = match declared.and_then(|v| v.rotation.as_ref()) {
        Some(_) => eff.interval_days,
        None => meta
            .rotation_interval_days
            .filter(|d| *d > 0)
            .or(eff.interval_days),
    };
    let stripe_mode = policy
        .environments
        .get(env)
        .cloned()
        .unwrap_or_default()
        .stripe_mode(env);
    Plan {
        kind,
        interval_days,
        grace_days: eff.grace_days,
        target: eff.target,
        stripe_mode,
    }
}

/// One row of `keyward rotation status`.
#[derive(Clone, Debug, Serialize)]
pub struct StatusRow {
    /// `ENV/NAME`.
    pub path: String,
    /// Kind.
    pub kind: String,
    /// Last rotation (or creation when never rotated).
    pub last_rotated: String,
    /// Interval in days, if scheduled.
    pub interval_days: Option<u32>,
    /// When the next rotation is due.
    pub next_due: Option<String>,
    /// Days past due (0 when not overdue).
    pub overdue_days: i64,
    /// `overdue`, `due`, `due-soon` (within 7 days), `ok`, `on-demand`.
    pub schedule: String,
    /// Target type (`postgres`, `redis`, `jwt`, `command`, `manual`, `none`).
    pub target: String,
    /// Rotation step (`idle`, `created`, `set`, `tested`, `grace`, `awaiting_confirm`).
    pub state: String,
    /// When the grace of the previous value ends.
    pub grace_until: Option<String>,
    /// Whether the grace has ended and finish is due.
    pub grace_expired: bool,
    /// The login of the current value (alternating PostgreSQL roles).
    pub login: Option<String>,
    /// The last error (no values).
    pub last_error: Option<String>,
    /// The process holding the rotation's lease, if any (`pid N on HOST, lease until T`).
    pub lease: Option<String>,
    /// Whether that lease was left by a process that is gone or expired: `rotate --due`
    /// clears it (and stops any hook it left running).
    pub lease_stale: bool,
}

impl StatusRow {
    /// Whether `rotate --due` has work here: a scheduled rotation is due, a grace expired,
    /// a rotation was interrupted, or a stopped rotator left its lease.
    pub fn needs_work(&self) -> bool {
        matches!(self.schedule.as_str(), "overdue" | "due")
            || self.grace_expired
            || self.lease_stale
            || matches!(self.state.as_str(), "created" | "set" | "tested")
    }
}

/// The status of `meta` at `now`; fails when its rotation state is corrupt.
pub fn status(policy: &Policy, meta: &SecretMeta, now: SystemTime) -> Result<StatusRow> {
    let p = plan(policy, meta);
    let st = RotationState::of(meta)?;
    let last = meta
        .last_rotated
        .clone()
        .unwrap_or_else(|| meta.created_at.clone());
    let last_t = clock::parse(&last).unwrap_or(now);
    let due = p.interval_days.map(|d| clock::add_days(last_t, d));
    let overdue_days = due.map_or(0, |d| clock::days_from(d, now).max(0));
    let schedule = match due {
        None => "on-demand",
        Some(d) if now >= d && overdue_days > 0 => "overdue",
        Some(d) if now >= d => "due",
        Some(d) if clock::days_from(now, d) < 7 => "due-soon",
        Some(_) => "ok",
    };
    let grace_expired = st.step == Step::Promoted
        && st
            .grace_until
            .as_deref()
            .and_then(clock::parse)
            .is_none_or(|g| now >= g);
    Ok(StatusRow {
        path: meta.path.to_string(),
        kind: p.kind.as_str().to_string(),
        last_rotated: last,
        interval_days: p.interval_days,
        next_due: due.map(clock::format),
        overdue_days,
        schedule: schedule.to_string(),
        target: p
            .target
            .as_ref()
            .map_or("none", |t| t.type_name())
            .to_string(),
        state: st.step.as_str().to_string(),
        grace_until: st.grace_until.clone(),
        grace_expired,
        login: st.active_login.clone(),
        last_error: st.last_error.clone(),
        lease: st.lease.as_ref().map(|l| l.describe()),
        lease_stale: st.lease.as_ref().is_some_and(|l| l.is_stale()),
    })
}
