//! [`StoreOps`]: [`Ops`] over keyward's store and the project's rotation policy.
//!
//! Rotations run on a store handle of their own (a rotation talks to its target and may
//! take seconds; the pool's write handle serves every audit batch and must not wait for
//! it), and reads (status, incidents, the overview) on another, so a running rotation does
//! not block the dashboard. Both are opened from the pool's opener and reopened after a
//! database failure, like the pool's.

use super::{DueRow, DueSummary, IncidentReport, IncidentSummary, Ops, OpsError, Revoked};
use super::{RotateResult, RotationRow, SecretRow};
use crate::backend::store::StorePool;
use crate::backend::OpContext;
use keyward_core::policy::Policy;
use keyward_rotate::incident::READS;
use keyward_rotate::{incident, DueResult, RotateError, RotateErrorKind, Rotator};
use keyward_store::{Actor, AuditFilter, ErrorKind, SecretPath, Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// [`Ops`] over a [`StorePool`] and the `keyward.toml` policy the CLI would use.
pub struct StoreOps {
    pool: Arc<StorePool>,
    policy: Policy,
    work: Mutex<Option<Store>>,
    readers: [Mutex<Option<Store>>; 2],
}

impl StoreOps {
    /// Operations on the store behind `pool` under `policy` (keyward.toml's variables and
    /// their rotation settings).
    pub fn new(pool: Arc<StorePool>, policy: Policy) -> StoreOps {
        StoreOps {
            pool,
            policy,
            work: Mutex::new(None),
            readers: [Mutex::new(None), Mutex::new(None)],
        }
    }

    /// Run `f` on the handle in `slot` (opened when missing, dropped after a store
    /// failure so the next call reconnects), acting as `actor`.
    fn with<T>(
        &self,
        slot: &Mutex<Option<Store>>,
        actor: Actor,
        f: impl FnOnce(&mut Store, &Policy) -> Result<T, RotateError>,
    ) -> Result<T, OpsError> {
        let mut guard = slot.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            *guard = Some(self.pool.open_handle().map_err(store_error)?);
        }
        let store = guard.as_mut().expect("opened above");
        store.set_actor(actor);
        let result = f(store, &self.policy);
        if let Err(e) = &result {
            if matches!(e.kind(), RotateErrorKind::Store | RotateErrorKind::Corrupt) {
                *guard = None;
            }
        }
        result.map_err(rotate_error)
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&mut Store, &Policy) -> Result<T, RotateError>,
    ) -> Result<T, OpsError> {
        // A free reader if there is one (the dashboard's overview runs two listings at
        // once), else wait for the first.
        let slot = self
            .readers
            .iter()
            .find(|m| m.try_lock().is_ok())
            .unwrap_or(&self.readers[0]);
        self.with(slot, Actor::os_user(), f)
    }
}

/// Who a store entry names: the token's display name for a request, the bare name for
/// the server's own work (the scheduler).
fn actor(op: &OpContext) -> Actor {
    match op.accessor {
        Some(_) => Actor::token(&op.actor, op.remote.clone()),
        None => Actor {
            name: op.actor.clone(),
            remote: op.remote.clone(),
        },
    }
}

fn store_error(e: StoreError) -> OpsError {
    match e.kind() {
        ErrorKind::NotFound => OpsError::NotFound(e.to_string()),
        ErrorKind::InvalidInput | ErrorKind::Locked | ErrorKind::Deleted => {
            OpsError::Invalid(e.to_string())
        }
        _ => OpsError::Unavailable(e.to_string()),
    }
}

fn rotate_error(e: RotateError) -> OpsError {
    let m = e.to_string();
    match e.kind() {
        RotateErrorKind::Invalid | RotateErrorKind::Config => OpsError::Invalid(m),
        RotateErrorKind::Busy => OpsError::Busy(m),
        RotateErrorKind::Target | RotateErrorKind::TestFailed => OpsError::Failed(m),
        _ => OpsError::Unavailable(m),
    }
}

/// `path` parsed, and the secret looked up, so a missing secret is a 404 and a bad path
/// a 400 rather than a store failure.
fn existing(store: &mut Store, path: &str) -> Result<Result<SecretPath, OpsError>, RotateError> {
    let p: SecretPath = match path.parse() {
        Ok(p) => p,
        Err(e) => return Ok(Err(store_error(e))),
    };
    match store.meta(&p) {
        Ok(m) if m.deleted_at.is_none() => Ok(Ok(p)),
        Ok(_) => Ok(Err(OpsError::NotFound(format!("{p} is deleted")))),
        Err(e) if matches!(e.kind(), ErrorKind::NotFound) => {
            Ok(Err(OpsError::NotFound(format!("no secret {p}"))))
        }
        Err(e) => Err(e.into()),
    }
}

impl Ops for StoreOps {
    fn rotation_status(&self, env: Option<&str>) -> Result<Vec<RotationRow>, OpsError> {
        if let Some(e) = env {
            keyward_store::validate_env(e).map_err(store_error)?;
        }
        self.read(|s, p| keyward_rotate::status_rows(s, p, env))
    }

    fn rotate(&self, path: &str, op: &OpContext) -> Result<RotateResult, OpsError> {
        self.with(&self.work, actor(op), |s, policy| {
            let p = match existing(s, path)? {
                Ok(p) => p,
                Err(e) => return Ok(Err(e)),
            };
            let out = Rotator::new(s, policy).rotate(&p)?;
            Ok(Ok(RotateResult::new(&p, &out)))
        })?
    }

    fn revoke(&self, path: &str, reason: &str, op: &OpContext) -> Result<Revoked, OpsError> {
        if reason.trim().is_empty() {
            return Err(OpsError::Invalid(
                "a reason must say why the secret is revoked".into(),
            ));
        }
        self.with(&self.work, actor(op), |s, policy| {
            let p = match existing(s, path)? {
                Ok(p) => p,
                Err(e) => return Ok(Err(e)),
            };
            let (incident, out) = Rotator::new(s, policy).revoke(&p, None, reason, None)?;
            Ok(Ok(Revoked {
                incident: incident.into(),
                rotation: RotateResult::new(&p, &out),
            }))
        })?
    }

    fn incidents(&self) -> Result<Vec<IncidentSummary>, OpsError> {
        self.read(|s, _| Ok(incident::list(s)?.into_iter().map(Into::into).collect()))
    }

    fn incident(&self, id: &str) -> Result<Option<IncidentReport>, OpsError> {
        self.read(|s, _| incident::report(s, id))
    }

    fn secrets(&self) -> Result<Vec<SecretRow>, OpsError> {
        self.read(|s, policy| {
            let now = keyward_rotate::clock::now();
            let mut last_read: HashMap<String, (String, String)> = HashMap::new();
            for e in s.audit_log(&AuditFilter::default())? {
                if let (Some(path), true) = (e.path, READS.contains(&e.action.as_str())) {
                    if e.outcome == "ok" {
                        last_read.insert(path, (e.time, e.actor));
                    }
                }
            }
            let mut rows = Vec::new();
            for m in s.list("", false)? {
                if m.current_version == 0 && m.state == "{}" {
                    continue;
                }
                let st = keyward_rotate::status(policy, &m, now)?;
                let path = m.path.to_string();
                let read = last_read.remove(&path);
                rows.push(SecretRow {
                    env: m.path.env().to_string(),
                    name: m.path.name().to_string(),
                    kind: st.kind,
                    description: m.description,
                    current_version: m.current_version,
                    created_at: m.created_at,
                    last_rotated: m.last_rotated,
                    next_due: st.next_due,
                    overdue_days: st.overdue_days,
                    schedule: st.schedule,
                    target: st.target,
                    last_read_at: read.as_ref().map(|r| r.0.clone()),
                    last_read_by: read.map(|r| r.1),
                    path,
                });
            }
            Ok(rows)
        })
    }

    fn run_due(&self, op: &OpContext) -> Result<DueSummary, OpsError> {
        self.with(&self.work, actor(op), |s, policy| {
            let due: HashMap<String, Option<String>> =
                keyward_rotate::status_rows(s, policy, None)?
                    .into_iter()
                    .map(|r| (r.path, r.next_due))
                    .collect();
            let report = keyward_rotate::run_due(s, policy, None)?;
            let (done, failed, skipped) = report.counts();
            let items = report
                .items
                .iter()
                .map(|i| {
                    let path = i.path.to_string();
                    let (result, message) = match &i.result {
                        DueResult::Done(out) => {
                            ("done", keyward_rotate::due::describe(&i.path, out))
                        }
                        DueResult::Skipped(why) => ("skipped", why.clone()),
                        DueResult::Failed(e) => ("failed", e.to_string()),
                    };
                    DueRow {
                        due: due.get(&path).cloned().flatten(),
                        path,
                        schedule: i.schedule.clone(),
                        result: result.into(),
                        message,
                    }
                })
                .collect();
            Ok(DueSummary {
                items,
                done,
                failed,
                skipped,
            })
        })
    }
}
