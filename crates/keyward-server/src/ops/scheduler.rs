//! The rotation scheduler (`[server] rotation_check`, default every 60 s): runs due
//! rotations and expired graces (`keyward rotate --due` semantics, through
//! [`super::Ops::run_due`]) only while this replica holds the scheduler claim
//! ([`keyward_rotate::Leader`]: a PostgreSQL advisory lock, or a file lock beside an SQLite
//! store), so with several replicas on one store exactly one runs them.
//!
//! Each outcome is one log line (path, result, message — never a value). A failed rotation
//! raises `rotation-failed`, a secret left overdue (no target, or skipped) raises
//! `rotation-overdue`; each once per secret and message until it changes, not every tick.

use super::{DueSummary, OpsError};
use crate::alerts::AlertEvent;
use crate::backend::OpContext;
use crate::launch::StartTask;
use crate::AppState;
use keyward_rotate::Leader;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The actor the scheduler's store entries name.
pub const ACTOR: &str = "keyward-serve:scheduler";

/// What one tick did.
#[derive(Debug)]
pub enum Tick {
    /// Another replica holds the claim.
    NotLeader,
    /// The claim could not be checked (database unreachable); nothing ran.
    LockFailed(String),
    /// This replica ran the due work.
    Ran(Result<DueSummary, OpsError>),
}

/// The scheduler as a [`crate::launch::Launch`] task: every `every`, one [`tick`] on the
/// blocking pool. Does nothing when `every` is zero or the state has no operations.
pub fn task(every: Duration, leader: Leader) -> StartTask {
    Box::new(move |state: AppState| {
        if every.is_zero() || state.ops.is_none() {
            tracing::info!("rotation scheduler disabled");
            return;
        }
        tokio::spawn(run(state, every, Arc::new(Mutex::new(leader))));
    })
}

async fn run(state: AppState, every: Duration, leader: Arc<Mutex<Leader>>) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut alerted: HashSet<(String, String)> = HashSet::new();
    tracing::info!(
        every_secs = every.as_secs_f64(),
        "rotation scheduler started"
    );
    loop {
        ticker.tick().await;
        let (s, l) = (state.clone(), leader.clone());
        let Ok(t) = tokio::task::spawn_blocking(move || tick(&s, &l)).await else {
            tracing::error!("rotation scheduler: a tick panicked");
            continue;
        };
        report(&state, &t, &mut alerted);
    }
}

/// One tick: take (or keep) the claim, then run the due work.
pub fn tick(state: &AppState, leader: &Mutex<Leader>) -> Tick {
    let Some(ops) = state.ops.as_ref() else {
        return Tick::NotLeader;
    };
    let mut l = leader.lock().unwrap_or_else(|e| e.into_inner());
    match l.try_lead() {
        Err(e) => Tick::LockFailed(e.to_string()),
        Ok(false) => Tick::NotLeader,
        Ok(true) => Tick::Ran(ops.run_due(&OpContext {
            actor: ACTOR.into(),
            accessor: None,
            remote: None,
            now: state.clock.now(),
        })),
    }
}

/// Log a tick's outcomes and raise the alerts not raised yet.
fn report(state: &AppState, t: &Tick, alerted: &mut HashSet<(String, String)>) {
    let summary = match t {
        Tick::NotLeader => return tracing::debug!("rotation scheduler: another replica leads"),
        Tick::LockFailed(e) => return tracing::warn!("rotation scheduler: {e}"),
        Tick::Ran(Err(e)) => return tracing::warn!("rotation scheduler: due run failed: {e}"),
        Tick::Ran(Ok(s)) => s,
    };
    let mut now_alerting = HashSet::new();
    for i in &summary.items {
        tracing::info!(
            path = %i.path,
            schedule = %i.schedule,
            result = %i.result,
            "rotation scheduler: {}",
            i.message
        );
        let event = match (i.result.as_str(), i.schedule.as_str()) {
            ("failed", _) => Some(AlertEvent::RotationFailed {
                path: i.path.clone(),
                error: i.message.clone(),
            }),
            ("skipped", "overdue") => Some(AlertEvent::RotationOverdue {
                path: i.path.clone(),
                due: i.due.clone().unwrap_or_default(),
            }),
            _ => None,
        };
        if let Some(e) = event {
            let key = (i.path.clone(), format!("{}:{}", e.name(), i.message));
            if !alerted.contains(&key) {
                state.alerts.emit(e);
            }
            now_alerting.insert(key);
        }
    }
    *alerted = now_alerting;
    if !summary.items.is_empty() {
        tracing::info!(
            done = summary.done,
            failed = summary.failed,
            skipped = summary.skipped,
            "rotation scheduler: due run finished"
        );
    }
}
