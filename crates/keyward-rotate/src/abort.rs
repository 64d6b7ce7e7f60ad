//! `keyward rotate --abort`: abandon a rotation in progress and leave the secret as it was
//! before it started — the target rolled back where it may hold the new value, the pending
//! version discarded, the write lock lifted, an audit entry saying why.
//!
//! A rotation in its grace is complete (the new value is current): there is nothing to
//! abort; `rotate --finish` ends the grace. A live rotation elsewhere is not touched
//! (busy); one left by a dead process is taken over first (its hook stopped).

use crate::error::{Result, RotateError, RotateErrorKind};
use crate::machine::Rotator;
use crate::plan::plan;
use crate::state::Step;
use crate::target::StepCtx;
use keyward_store::{SecretPath, Stage};

/// What [`Rotator::abort`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Aborted {
    /// No rotation was in progress (a stale lease, if any, was cleared).
    Nothing,
    /// The rotation was abandoned.
    Abandoned {
        /// The step it was at (`created`, `set`, `tested`, `awaiting_confirm`).
        step: String,
        /// The pending version that was discarded.
        discarded: Option<u64>,
        /// What the target's rollback said, when it was rolled back.
        rolled_back: Option<String>,
        /// The incident whose replacement was abandoned (it stays open).
        incident: Option<String>,
    },
}

impl Rotator<'_> {
    /// Abandon the rotation of `path` in progress, recording `reason` in the audit log.
    pub fn abort(&mut self, path: &SecretPath, reason: &str) -> Result<Aborted> {
        self.leased(path, |r| r.abort_leased(path, reason))
    }

    fn abort_leased(&mut self, path: &SecretPath, reason: &str) -> Result<Aborted> {
        let (_, before) = self.state(path)?;
        // A set hook the dead rotator was running may have reached the target.
        let set_was_running = before
            .hook
            .is_some_and(|h| h.step == "set" && h.owner != self.owner);
        // A lease of another process that `lease` lets us take is one it left behind.
        let stale_lease = before.lease.is_some_and(|l| l.owner != self.owner);
        let (meta, mut st) = self.lease(path)?;
        let step = st.step;
        match step {
            Step::Idle => return Ok(Aborted::Nothing),
            // Only the lease of a stopped process locked it: released on return.
            Step::Promoted if stale_lease => return Ok(Aborted::Nothing),
            Step::Promoted => {
                return Err(RotateError::new(
                    RotateErrorKind::Invalid,
                    format!(
                        "{path}: the rotation is complete (version {} is current; the previous value stays valid until {}); end its grace with `keyward rotate --finish {path}`",
                        meta.current_version,
                        st.grace_until.as_deref().unwrap_or("now")
                    ),
                ))
            }
            _ => {}
        }
        if step == Step::Tested && st.pending_version == Some(meta.current_version) {
            // Promoted in the store, not yet recorded: the new value is in use everywhere.
            return Err(RotateError::new(
                RotateErrorKind::Invalid,
                format!(
                    "{path}: the rotation's new version {} is already current; complete it with `keyward rotate {path}` (nothing to roll back)",
                    meta.current_version
                ),
            ));
        }
        let pending = match st.pending_version {
            Some(v) => Some(v),
            None => self
                .store
                .history(path)?
                .iter()
                .find(|v| v.stage == Stage::Pending)
                .map(|v| v.version),
        };
        let touched = matches!(step, Step::Set | Step::Tested) || set_was_running;
        let mut rolled_back = None;
        if let (Some(v), true) = (pending, touched && step != Step::AwaitingConfirm) {
            let p = plan(self.policy, &meta);
            let mut target = self.target_for(path, &p)?;
            let new = self
                .value(path, Some(v))?
                .ok_or_else(|| RotateError::new(RotateErrorKind::Invalid, "no pending version"))?;
            let old = self.value(path, st.from_version)?;
            let owner = self.owner.clone();
            let ctx = StepCtx {
                path,
                version: v,
                login: st.pending_login.as_deref(),
                hook_id: Some(&owner),
            };
            self.fence(path, &st, target.as_ref(), "rollback")?;
            match target.rollback(&ctx, &new, old.as_ref()) {
                Ok(d) => {
                    self.audit(path, "rotate.rollback", Some(v), "ok", d.clone());
                    rolled_back = Some(d);
                }
                Err(e) => return Err(self.fail(path, st, "abort", e)),
            }
        }
        let still_pending = match pending {
            Some(v) => self
                .store
                .history(path)?
                .iter()
                .any(|i| i.version == v && i.stage == Stage::Pending),
            None => false,
        };
        if let (Some(v), true) = (pending, still_pending) {
            self.store.discard_pending(path, v)?;
        }
        let incident = st.revoking.take();
        st.step = Step::Idle;
        st.pending_version = None;
        st.pending_login = None;
        st.from_version = None;
        st.started_at = None;
        st.hook = None;
        st.clear_error();
        self.commit(path, &st)?;
        let mut detail = format!("abandoned at step {}: {reason}", step.as_str());
        if let Some(id) = &incident {
            detail.push_str(&format!("; {id} stays open"));
        }
        self.audit(path, "rotate.abort", pending, "ok", detail);
        Ok(Aborted::Abandoned {
            step: step.as_str().to_string(),
            discarded: pending.filter(|_| still_pending),
            rolled_back,
            incident,
        })
    }
}
