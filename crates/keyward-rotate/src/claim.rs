//! How a [`Rotator`] owns a rotation: claiming and renewing the lease, recording state by
//! compare-and-set, fencing command hooks, recording failures, releasing.
//!
//! Every state write goes through [`Rotator::write`], which also sets the store's write
//! lock from the state ([`RotationState::lock`]): direct writes to the secret are refused
//! while a rotation is in progress or holds its lease.

use crate::clock;
use crate::error::{Result, RotateError};
use crate::lease;
use crate::machine::Rotator;
use crate::orphan;
use crate::state::{HookFence, Lease, RotationState};
use crate::target::Target;
use keyward_store::{AuditEvent, ErrorKind, MetaPatch, SecretMeta, SecretPath};
use std::time::{Duration, SystemTime};

/// How long past its timeout a hook is still considered possibly running (process exit
/// and kill take a moment).
const HOOK_SLACK: Duration = Duration::from_secs(5);

impl Rotator<'_> {
    pub(crate) fn audit(
        &mut self,
        path: &SecretPath,
        action: &str,
        version: Option<u64>,
        outcome: &str,
        detail: String,
    ) {
        let _ = self.store.audit(AuditEvent {
            action: action.into(),
            path: Some(path.to_string()),
            version,
            outcome: outcome.into(),
            detail: Some(detail),
            value_hmac: None,
        });
    }

    /// Run `f`, then release the lease on `path` if this rotator holds it (whatever `f`
    /// returned), so the next run, here or elsewhere, can go on at once.
    pub(crate) fn leased<T>(
        &mut self,
        path: &SecretPath,
        f: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        let r = f(self);
        self.release(path);
        r
    }

    /// The stored state of `path` with its metadata.
    pub(crate) fn state(&mut self, path: &SecretPath) -> Result<(SecretMeta, RotationState)> {
        let meta = self.store.meta(path)?;
        let st = RotationState::of(&meta)?;
        Ok((meta, st))
    }

    /// Write `state` (with the write lock it implies) if the secret is still at
    /// `revision`; `None` on a lost race.
    fn write(
        &mut self,
        path: &SecretPath,
        state: &RotationState,
        revision: u64,
    ) -> Result<Option<SecretMeta>> {
        let mut state = state.clone();
        state.write_lock = state.lock(&path.to_string());
        let patch = MetaPatch {
            state: Some(state.to_text()),
            ..Default::default()
        };
        match self.store.update_meta(path, &patch, Some(revision)) {
            Ok(m) => Ok(Some(m)),
            Err(e) if e.kind() == ErrorKind::Conflict => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Claim the rotation of `path`, or renew our claim, by compare-and-set. Returns the
    /// secret's metadata after the write and its state (holding our lease): the state to
    /// act on. Fails with [`crate::RotateErrorKind::Busy`] when another live rotator holds
    /// it. A command hook left running by a rotator that is gone is stopped first (or
    /// waited for until its deadline), so a resumed step never overlaps it.
    pub(crate) fn lease(&mut self, path: &SecretPath) -> Result<(SecretMeta, RotationState)> {
        for _ in 0..16 {
            let (meta, mut st) = self.state(path)?;
            let mut took_over = None;
            if let Some(l) = &st.lease {
                if l.owner != self.owner {
                    if !l.is_stale() {
                        return Err(RotateError::busy(format!(
                            "{path} is being rotated by another process ({}); nothing done",
                            l.describe()
                        )));
                    }
                    took_over = Some(l.describe());
                }
            }
            if let Some(fence) = st.hook.take() {
                if fence.owner != self.owner {
                    let what = orphan::stop(&fence);
                    self.audit(path, "rotate.lease", None, "ok", what);
                }
            }
            st.lease = Some(lease::fresh(&self.owner));
            if let Some(m) = self.write(path, &st, meta.revision)? {
                if let Some(was) = took_over {
                    self.audit(
                        path,
                        "rotate.lease",
                        None,
                        "ok",
                        format!("took over the rotation from a stopped process ({was})"),
                    );
                }
                return Ok((m, st));
            }
        }
        Err(RotateError::busy(format!(
            "{path} keeps changing under this rotation; nothing done"
        )))
    }

    /// Record `state` (renewing our lease) if we still hold the lease; another writer
    /// that kept our lease only makes us re-read and retry. Fails with
    /// [`crate::RotateErrorKind::Busy`] when the lease is no longer ours.
    pub(crate) fn commit(&mut self, path: &SecretPath, state: &RotationState) -> Result<()> {
        for _ in 0..16 {
            let (meta, fresh) = self.state(path)?;
            if fresh.lease.as_ref().map(|l| l.owner.as_str()) != Some(self.owner.as_str()) {
                return Err(self.lost(path, fresh.lease.as_ref()));
            }
            let mut st = state.clone();
            st.lease = Some(lease::fresh(&self.owner));
            if self.write(path, &st, meta.revision)?.is_some() {
                return Ok(());
            }
        }
        Err(RotateError::busy(format!(
            "{path} keeps changing under this rotation; stopped"
        )))
    }

    /// Before a target action of `step`: renew the lease and, for a target that runs
    /// command hooks, record the hook (our marker and its deadline) in the state, so a
    /// rotator taking over after a crash can stop it. The fence is cleared by the next
    /// state update of a successful step (`st` keeps it out).
    pub(crate) fn fence(
        &mut self,
        path: &SecretPath,
        st: &RotationState,
        target: &dyn Target,
        step: &str,
    ) -> Result<()> {
        let mut fenced = st.clone();
        fenced.hook = target.hook_timeout().map(|t| HookFence {
            owner: self.owner.clone(),
            step: step.to_string(),
            deadline: clock::format(SystemTime::now() + t + HOOK_SLACK),
            host: lease::host(),
            pid_ns: lease::pid_ns(),
        });
        self.commit(path, &fenced)
    }

    fn lost(&mut self, path: &SecretPath, holder: Option<&Lease>) -> RotateError {
        let who = holder.map_or("it is no longer held".to_string(), |l| {
            format!("now held by {}", l.describe())
        });
        let msg = format!(
            "{path}: this process lost the rotation's lease ({who}); stopped without touching the target"
        );
        self.audit(path, "rotate.lease", None, "lost", msg.clone());
        RotateError::busy(msg)
    }

    /// Clear our lease (and our hook fence) on `path`, best effort; a lease we no longer
    /// hold is left alone.
    pub(crate) fn release(&mut self, path: &SecretPath) {
        for _ in 0..16 {
            let Ok((meta, mut st)) = self.state(path) else {
                return;
            };
            if st.lease.as_ref().map(|l| l.owner.as_str()) != Some(self.owner.as_str()) {
                return;
            }
            st.lease = None;
            if st.hook.as_ref().is_some_and(|h| h.owner == self.owner) {
                st.hook = None;
            }
            match self.write(path, &st, meta.revision) {
                Ok(None) => continue,
                _ => return,
            }
        }
    }

    /// Record a failure in the state (if we still hold the lease) and return the error.
    /// The state keeps the error's message only; the audit log also gets its audit-only
    /// detail (a hook's redacted stderr tail).
    pub(crate) fn fail(
        &mut self,
        path: &SecretPath,
        mut st: RotationState,
        step: &str,
        err: RotateError,
    ) -> RotateError {
        self.audit(
            path,
            &format!("rotate.{step}"),
            st.pending_version,
            "error",
            err.audit_detail(),
        );
        st.hook = None;
        st.last_error = Some(format!("{step}: {err}"));
        st.last_error_at = Some(clock::now_text());
        let _ = self.commit(path, &st);
        err
    }
}
