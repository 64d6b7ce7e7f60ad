//! The resumable rotation state machine: create → set → test → promote → (after the
//! grace) finish, modelled on AWS Secrets Manager (AWSPENDING / AWSCURRENT / AWSPREVIOUS).
//!
//! Each step is idempotent, audit-logged (`rotate.create`, `rotate.set`, …) and recorded in
//! the secret's rotation state in the store *after* its action, so a process killed at any
//! point repeats at most the last step on the next run. The step order keeps a working
//! credential at every moment: the current version stays current until the new one has
//! passed its test on the target, and the old one is retired only at finish.
//!
//! Only the holder of the rotation's [lease](crate::lease) acts: it is claimed or renewed by
//! compare-and-set before every target action, every state update checks it is still ours,
//! and a rotator that finds it held (or taken over) stops with
//! [`RotateErrorKind::Busy`] without touching the target.

use crate::clock;
use crate::error::{Result, RotateError, RotateErrorKind};
use crate::fault::crash_point;
use crate::lease;
use crate::plan::{plan, Plan};
use crate::state::{RotationState, Step};
use crate::target::{self, StepCtx, Target};
use keyward_core::policy::rotation::TargetSpec;
use keyward_core::policy::Policy;
use keyward_core::SecretBytes;
use keyward_store::{
    AuditEvent, ErrorKind, Expected, MetaPatch, SecretMeta, SecretPath, Stage, Store,
};
use zeroize::Zeroizing;

/// What a call left behind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing was due.
    Nothing,
    /// The new version is current; the previous one is valid until `grace_until`.
    InGrace {
        /// The new current version.
        version: u64,
        /// End of the grace.
        grace_until: String,
    },
    /// The rotation is complete (the old value retired on the target).
    Finished {
        /// The current version.
        version: u64,
    },
    /// A manual target waits for `keyward rotate confirm`.
    AwaitingConfirm {
        /// The steps to follow.
        steps: Vec<String>,
    },
}

/// Runs rotations of the secrets of one store under one policy.
pub struct Rotator<'a> {
    pub(crate) store: &'a mut Store,
    pub(crate) policy: &'a Policy,
    /// This rotator's lease owner id (random).
    pub(crate) owner: String,
}

impl std::fmt::Debug for Rotator<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rotator")
            .field("store", &self.store)
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

impl<'a> Rotator<'a> {
    /// A rotator over `store` with `policy`, with its own lease owner id.
    pub fn new(store: &'a mut Store, policy: &'a Policy) -> Self {
        Rotator {
            store,
            policy,
            owner: lease::new_owner(),
        }
    }

    /// Rotate `path` now: resume a rotation in progress, finish an expired grace, or start
    /// a new rotation (after finishing an unexpired grace early). Runs until the new value
    /// is current (in grace) or, with a zero grace, finished.
    pub fn rotate(&mut self, path: &SecretPath) -> Result<Outcome> {
        self.leased(path, |r| r.advance(path, true, true))
    }

    /// Continue whatever is in progress on `path` (an interrupted rotation, an expired
    /// grace) without starting a new rotation.
    pub fn resume(&mut self, path: &SecretPath) -> Result<Outcome> {
        self.leased(path, |r| r.advance(path, false, false))
    }

    /// End a running grace now: retire the previous value on the target and in the store.
    pub fn end_grace(&mut self, path: &SecretPath) -> Result<Outcome> {
        if RotationState::parse(&self.store.meta(path)?.state).step != Step::Promoted {
            return Ok(Outcome::Nothing);
        }
        self.leased(path, |r| {
            let (_, mut st) = r.lease(path)?;
            if st.step != Step::Promoted {
                return Ok(Outcome::Nothing);
            }
            st.grace_until = Some(clock::now_text());
            r.commit(path, &st)?;
            r.advance(path, false, false)
        })
    }

    /// The resolved plan for `path`.
    pub fn plan_of(&mut self, path: &SecretPath) -> Result<(SecretMeta, Plan)> {
        let meta = self.store.meta(path)?;
        let p = plan(self.policy, &meta);
        Ok((meta, p))
    }

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

    /// Write `state` if the secret is still at `revision`; `None` on a lost race.
    fn write(
        &mut self,
        path: &SecretPath,
        state: &RotationState,
        revision: u64,
    ) -> Result<Option<SecretMeta>> {
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
    /// act on. Fails with [`RotateErrorKind::Busy`] when another live rotator holds it.
    pub(crate) fn lease(&mut self, path: &SecretPath) -> Result<(SecretMeta, RotationState)> {
        for _ in 0..16 {
            let meta = self.store.meta(path)?;
            let mut st = RotationState::parse(&meta.state);
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
    /// that kept our lease (a direct `secret set`) only makes us re-read and retry. Fails
    /// with [`RotateErrorKind::Busy`] when the lease is no longer ours.
    pub(crate) fn commit(&mut self, path: &SecretPath, state: &RotationState) -> Result<()> {
        for _ in 0..16 {
            let meta = self.store.meta(path)?;
            let fresh = RotationState::parse(&meta.state);
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

    /// Renew the lease before a further target action within one step: the state as it
    /// is stored, with our lease extended. Busy when it is no longer ours.
    fn renew(&mut self, path: &SecretPath) -> Result<()> {
        let st = RotationState::parse(&self.store.meta(path)?.state);
        self.commit(path, &st)
    }

    fn lost(&mut self, path: &SecretPath, holder: Option<&crate::state::Lease>) -> RotateError {
        let who = holder.map_or("it is no longer held".to_string(), |l| {
            format!("now held by {}", l.describe())
        });
        let msg = format!(
            "{path}: this process lost the rotation's lease ({who}); stopped without touching the target"
        );
        self.audit(path, "rotate.lease", None, "lost", msg.clone());
        RotateError::busy(msg)
    }

    /// Clear our lease on `path` (best effort; a lease we no longer hold is left alone).
    pub(crate) fn release(&mut self, path: &SecretPath) {
        for _ in 0..16 {
            let Ok(meta) = self.store.meta(path) else {
                return;
            };
            let mut st = RotationState::parse(&meta.state);
            if st.lease.as_ref().map(|l| l.owner.as_str()) != Some(self.owner.as_str()) {
                return;
            }
            st.lease = None;
            match self.write(path, &st, meta.revision) {
                Ok(None) => continue,
                _ => return,
            }
        }
    }

    /// Record a failure in the state (if we still hold the lease) and return the error.
    /// The state keeps the error's message only; the audit log also gets its audit-only
    /// detail (a hook's redacted stderr tail).
    fn fail(
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
        st.last_error = Some(format!("{step}: {err}"));
        st.last_error_at = Some(clock::now_text());
        let _ = self.commit(path, &st);
        err
    }

    /// The target of `plan`, with admin credentials from the environment or the store.
    pub(crate) fn target_for(&mut self, path: &SecretPath, plan: &Plan) -> Result<Box<dyn Target>> {
        let spec = plan.target.clone().ok_or_else(|| {
            RotateError::config(format!(
                "{path} has no rotation target; set [variables.{}.rotation] target in keyward.toml",
                path.name()
            ))
        })?;
        let admin = match spec.admin() {
            None => None,
            Some(src) => Some(self.admin_url(&src)?),
        };
        target::build_with(&spec, admin, &self.admin_env_vars())
    }

    /// Every environment variable the policy names for admin credentials.
    fn admin_env_vars(&self) -> Vec<String> {
        let mut vars: Vec<String> = self
            .policy
            .variables
            .values()
            .filter_map(|v| v.rotation.as_ref())
            .flat_map(|r| r.admin_env_vars())
            .collect();
        vars.sort();
        vars.dedup();
        vars
    }

    fn admin_url(
        &mut self,
        src: &keyward_core::policy::rotation::AdminSource,
    ) -> Result<Zeroizing<String>> {
        if let Some(var) = &src.admin_url_env {
            return std::env::var(var).map(Zeroizing::new).map_err(|_| {
                RotateError::config(format!(
                    "admin credentials: environment variable {var} is not set"
                ))
            });
        }
        let p = src.admin_url_secret.as_deref().unwrap_or_default();
        let path: SecretPath = p.parse()?;
        let r = self.store.get(&path)?;
        Ok(Zeroizing::new(r.value.to_lossy()))
    }

    fn value(&mut self, path: &SecretPath, version: Option<u64>) -> Result<Option<SecretBytes>> {
        match version {
            None | Some(0) => Ok(None),
            Some(v) => Ok(Some(self.store.get_version(path, v)?.value)),
        }
    }

    /// What `advance` returns without acting, if `st` leaves nothing to do.
    fn settled(
        &mut self,
        path: &SecretPath,
        meta: &SecretMeta,
        st: &RotationState,
        (start, early, started): (bool, bool, bool),
        outcome: &Outcome,
    ) -> Result<Option<Outcome>> {
        Ok(match st.step {
            Step::Idle if !start || started => Some(outcome.clone()),
            Step::AwaitingConfirm => {
                let p = plan(self.policy, meta);
                let steps = self
                    .target_for(path, &p)?
                    .manual_steps()
                    .unwrap_or_default();
                Some(Outcome::AwaitingConfirm { steps })
            }
            Step::Promoted => {
                let expired = st
                    .grace_until
                    .as_deref()
                    .and_then(clock::parse)
                    .is_none_or(|g| clock::now() >= g);
                let finish_early = start && early && !started;
                (!expired && !finish_early).then(|| Outcome::InGrace {
                    version: meta.current_version,
                    grace_until: st.grace_until.clone().unwrap_or_default(),
                })
            }
            _ => None,
        })
    }

    /// The loop: read the recorded step, perform the next one, record it, repeat.
    /// `start` begins a new rotation when idle; `early` finishes a running grace first.
    /// Each round claims or renews the lease (compare-and-set) before acting; callers
    /// release it ([`Rotator::leased`]).
    pub(crate) fn advance(
        &mut self,
        path: &SecretPath,
        start: bool,
        early: bool,
    ) -> Result<Outcome> {
        let mut started = false;
        let mut outcome = Outcome::Nothing;
        loop {
            // Nothing to do: return without taking the lease.
            let meta = self.store.meta(path)?;
            let st = RotationState::parse(&meta.state);
            if let Some(o) = self.settled(path, &meta, &st, (start, early, started), &outcome)? {
                return Ok(o);
            }
            // Ours now (or Busy): act on the state as it is under the lease.
            let (meta, mut st) = self.lease(path)?;
            if let Some(o) = self.settled(path, &meta, &st, (start, early, started), &outcome)? {
                return Ok(o);
            }
            let p = plan(self.policy, &meta);
            match st.step {
                Step::Idle => {
                    started = true;
                    let target = self.target_for(path, &p)?;
                    if let Some(steps) = target.manual_steps() {
                        st.step = Step::AwaitingConfirm;
                        st.from_version = Some(meta.current_version).filter(|v| *v > 0);
                        st.started_at = Some(clock::now_text());
                        self.commit(path, &st)?;
                        self.audit(
                            path,
                            "rotate.create",
                            None,
                            "ok",
                            format!("manual task opened ({} steps)", steps.len()),
                        );
                        return Ok(Outcome::AwaitingConfirm { steps });
                    }
                    // Record the intent first, so a crash before the pending version is
                    // recorded resumes.
                    st.step = Step::Created;
                    st.pending_version = None;
                    st.from_version = Some(meta.current_version).filter(|v| *v > 0);
                    st.pending_login = target.next_login(st.active_login.as_deref());
                    st.started_at = Some(clock::now_text());
                    st.last_error = None;
                    st.last_error_at = None;
                    self.commit(path, &st)?;
                }
                Step::Created if st.pending_version.is_none() => {
                    started = true;
                    let target = self.target_for(path, &p)?;
                    let pending = match self
                        .store
                        .history(path)?
                        .iter()
                        .find(|v| v.stage == Stage::Pending)
                    {
                        Some(v) => v.version, // left by an interrupted create: adopt it
                        None => {
                            let value = keyward_env::generate::try_generate(p.kind)
                                .map_err(|e| RotateError::target(e.to_string()))?
                                .ok_or_else(|| {
                                    RotateError::config(format!(
                                        "{path}: kind {} has no generator; use a manual target",
                                        p.kind.as_str()
                                    ))
                                })?;
                            let expected = match meta.current_version {
                                0 => Expected::Any,
                                v => Expected::Version(v),
                            };
                            self.store.put_pending(path, &value, expected)?.version
                        }
                    };
                    crash_point("create");
                    st.pending_version = Some(pending);
                    self.audit(
                        path,
                        "rotate.create",
                        Some(pending),
                        "ok",
                        format!("pending version {pending} for {}", target.describe()),
                    );
                    self.commit(path, &st)?;
                    crash_point("create+recorded");
                }
                Step::Created => {
                    started = true;
                    let mut target = self.target_for(path, &p)?;
                    let pending = st.pending_version.unwrap_or_default();
                    let new = self.value(path, Some(pending))?.ok_or_else(|| {
                        RotateError::new(RotateErrorKind::Invalid, "no pending version")
                    })?;
                    let old = self.value(path, st.from_version)?;
                    let ctx = StepCtx {
                        path,
                        version: pending,
                        login: st.pending_login.as_deref(),
                    };
                    match target.set(&ctx, &new, old.as_ref()) {
                        Ok(detail) => self.audit(path, "rotate.set", Some(pending), "ok", detail),
                        Err(e) => return Err(self.fail(path, st, "set", e)),
                    }
                    crash_point("set");
                    st.step = Step::Set;
                    self.commit(path, &st)?;
                    crash_point("set+recorded");
                }
                Step::Set => {
                    started = true;
                    let mut target = self.target_for(path, &p)?;
                    let pending = st.pending_version.unwrap_or_default();
                    let new = self.value(path, Some(pending))?.ok_or_else(|| {
                        RotateError::new(RotateErrorKind::Invalid, "no pending version")
                    })?;
                    let ctx = StepCtx {
                        path,
                        version: pending,
                        login: st.pending_login.as_deref(),
                    };
                    match target.test(&ctx, &new) {
                        Ok(detail) => self.audit(path, "rotate.test", Some(pending), "ok", detail),
                        Err(e) => {
                            let old = self.value(path, st.from_version)?;
                            self.audit(
                                path,
                                "rotate.test",
                                Some(pending),
                                "failed",
                                e.audit_detail(),
                            );
                            // Rolling back is a target action of its own: only while the
                            // rotation is still ours (a stale test must never undo a
                            // rotation another process has moved on).
                            self.renew(path)?;
                            let rb = target.rollback(&ctx, &new, old.as_ref());
                            let rb_detail = match &rb {
                                Ok(d) => d.clone(),
                                Err(e) => e.audit_detail(),
                            };
                            self.audit(
                                path,
                                "rotate.rollback",
                                Some(pending),
                                if rb.is_ok() { "ok" } else { "error" },
                                rb_detail,
                            );
                            rb?;
                            self.store.discard_pending(path, pending)?;
                            st.step = Step::Idle;
                            st.pending_version = None;
                            st.pending_login = None;
                            st.from_version = None;
                            st.last_error = Some(format!("test: {e}"));
                            st.last_error_at = Some(clock::now_text());
                            self.commit(path, &st)?;
                            return Err(e);
                        }
                    }
                    crash_point("test");
                    st.step = Step::Tested;
                    self.commit(path, &st)?;
                    crash_point("test+recorded");
                }
                Step::Tested => {
                    started = true;
                    let pending = st.pending_version.unwrap_or_default();
                    if meta.current_version != pending {
                        // The version the rotation started from, or none (revoked): anything
                        // else means someone wrote directly meanwhile, and promote refuses.
                        let expected = match (meta.current_version, st.from_version) {
                            (0, _) => Expected::Any,
                            (_, Some(v)) => Expected::Version(v),
                            (_, None) => Expected::Absent,
                        };
                        self.store.promote(path, pending, expected)?;
                    }
                    crash_point("promote");
                    let grace = if st.revoking.is_some() {
                        0
                    } else {
                        p.grace_days
                    };
                    let until = clock::format(clock::add_days(clock::now(), grace));
                    st.step = Step::Promoted;
                    st.previous_login = st.active_login.take();
                    st.active_login = st.pending_login.take();
                    st.pending_version = None;
                    st.grace_until = Some(until.clone());
                    self.audit(
                        path,
                        "rotate.promote",
                        Some(pending),
                        "ok",
                        format!("version {pending} is current; previous valid until {until}"),
                    );
                    self.commit(path, &st)?;
                    crash_point("promote+recorded");
                    outcome = Outcome::InGrace {
                        version: pending,
                        grace_until: until,
                    };
                    if grace > 0 {
                        return Ok(outcome);
                    }
                }
                Step::Promoted => {
                    self.finish(path, st, &p)?;
                    outcome = Outcome::Finished {
                        version: meta.current_version,
                    };
                }
                Step::AwaitingConfirm => unreachable!("settled above"),
            }
        }
    }

    /// Retire (or, when revoking, revoke) the previous value on the target and in the store.
    /// The caller holds the lease (just renewed).
    fn finish(&mut self, path: &SecretPath, mut st: RotationState, p: &Plan) -> Result<()> {
        let revoking = st.revoking.clone();
        if let Some(old_v) = st.from_version {
            let old = self
                .value(path, Some(old_v))?
                .ok_or_else(|| RotateError::new(RotateErrorKind::Invalid, "no previous version"))?;
            let mut target = self.target_for(path, p)?;
            let ctx = StepCtx {
                path,
                version: old_v,
                login: st.previous_login.as_deref(),
            };
            match target.finish(&ctx, &old) {
                Ok(detail) => self.audit(path, "rotate.finish", Some(old_v), "ok", detail),
                Err(e) => return Err(self.fail(path, st, "finish", e)),
            }
            crash_point("finish");
            let stage = self
                .store
                .history(path)?
                .iter()
                .find(|v| v.version == old_v)
                .map(|v| v.stage);
            match (stage, &revoking) {
                (Some(Stage::Revoked), _) => {}
                (Some(_), Some(_)) => self.store.revoke(path, old_v)?,
                (Some(Stage::Previous), None) => self.store.retire_previous(path, old_v)?,
                _ => {}
            }
        }
        let now = clock::now_text();
        if let Some(id) = &revoking {
            if let Some(inc) = st.incidents.iter_mut().find(|i| &i.id == id) {
                inc.closed_at = Some(now.clone());
            }
            self.audit(
                path,
                "incident.close",
                st.from_version,
                "ok",
                format!("{id}: replacement current, old credential removed"),
            );
        }
        st.step = Step::Idle;
        st.revoking = None;
        st.from_version = None;
        st.previous_login = None;
        st.grace_until = None;
        st.last_error = None;
        st.last_error_at = None;
        self.commit(path, &st)?;
        crash_point("finish+recorded");
        Ok(())
    }

    /// Close a manual rotation: check `value` (format, live/test mode), store it as the new
    /// version and promote it.
    pub fn confirm(&mut self, path: &SecretPath, value: &SecretBytes) -> Result<Outcome> {
        let (meta, p) = self.plan_of(path)?;
        if RotationState::parse(&meta.state).step != Step::AwaitingConfirm {
            return Err(Self::nothing_to_confirm(path));
        }
        if let Err(e) = target::manual::check_key(p.kind, p.stripe_mode, value) {
            self.audit(path, "rotate.confirm", None, "denied", e.to_string());
            return Err(e);
        }
        self.leased(path, |r| {
            let (meta, mut st) = r.lease(path)?;
            if st.step != Step::AwaitingConfirm {
                return Err(Self::nothing_to_confirm(path));
            }
            if let Some(old) = r
                .store
                .history(path)?
                .iter()
                .find(|v| v.stage == Stage::Pending)
            {
                r.store.discard_pending(path, old.version)?;
            }
            let expected = match meta.current_version {
                0 => Expected::Any,
                v => Expected::Version(v),
            };
            let info = r.store.put_pending(path, value, expected)?;
            r.audit(
                path,
                "rotate.confirm",
                Some(info.version),
                "ok",
                "new key checked (format, mode) and stored as pending".into(),
            );
            st.step = Step::Tested;
            st.pending_version = Some(info.version);
            r.commit(path, &st)?;
            r.advance(path, false, false)
        })
    }

    fn nothing_to_confirm(path: &SecretPath) -> RotateError {
        RotateError::new(
            RotateErrorKind::Invalid,
            format!(
                "{path} has no manual rotation waiting (start one with `keyward rotate {path}`)"
            ),
        )
    }

    /// Whether `spec` is a manual target.
    pub(crate) fn is_manual(spec: Option<&TargetSpec>) -> bool {
        matches!(spec, Some(TargetSpec::Manual { .. }))
    }
}
