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
use keyward_core::policy::Policy;
use keyward_core::SecretBytes;
use keyward_store::{Expected, SecretMeta, SecretPath, Stage, Store};
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
        if self.state(path)?.1.step != Step::Promoted {
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

    pub(crate) fn value(
        &mut self,
        path: &SecretPath,
        version: Option<u64>,
    ) -> Result<Option<SecretBytes>> {
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
            // Nothing to do: return without taking the lease — unless a stopped rotator
            // left its lease (and with it the lock on direct writes): take it over, so the
            // caller's release lifts both.
            let (meta, st) = self.state(path)?;
            if let Some(o) = self.settled(path, &meta, &st, (start, early, started), &outcome)? {
                if st
                    .lease
                    .as_ref()
                    .is_some_and(|l| l.owner != self.owner && l.is_stale())
                {
                    self.lease(path)?;
                }
                return Ok(o);
            }
            // Ours now (or Busy): act on the state as it is under the lease.
            let (meta, mut st) = self.lease(path)?;
            if let Some(o) = self.settled(path, &meta, &st, (start, early, started), &outcome)? {
                return Ok(o);
            }
            let p = plan(self.policy, &meta);
            tracing::info!(%path, step = ?st.step, "rotation step");
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
                    st.clear_error();
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
                    st.clear_error();
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
                    let owner = self.owner.clone();
                    let ctx = StepCtx {
                        path,
                        version: pending,
                        login: st.pending_login.as_deref(),
                        hook_id: Some(&owner),
                    };
                    self.fence(path, &st, target.as_ref(), "set")?;
                    match target.set(&ctx, &new, old.as_ref()) {
                        Ok(detail) => self.audit(path, "rotate.set", Some(pending), "ok", detail),
                        Err(e) => return Err(self.fail(path, st, "set", e)),
                    }
                    crash_point("set");
                    st.step = Step::Set;
                    st.clear_error();
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
                    let owner = self.owner.clone();
                    let ctx = StepCtx {
                        path,
                        version: pending,
                        login: st.pending_login.as_deref(),
                        hook_id: Some(&owner),
                    };
                    self.fence(path, &st, target.as_ref(), "test")?;
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
                            self.fence(path, &st, target.as_ref(), "rollback")?;
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
                    st.clear_error();
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
                    st.clear_error();
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
}
