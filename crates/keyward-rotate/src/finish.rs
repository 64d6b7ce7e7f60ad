//! The end of a rotation: retiring (or revoking) the previous value after the grace, and
//! closing a manual rotation with `keyward rotate confirm`.

use crate::clock;
use crate::error::{Result, RotateError, RotateErrorKind};
use crate::fault::crash_point;
use crate::machine::{Outcome, Rotator};
use crate::plan::Plan;
use crate::state::{RotationState, Step};
use crate::target::{self, StepCtx};
use keyward_core::policy::rotation::TargetSpec;
use keyward_core::SecretBytes;
use keyward_store::{Expected, SecretPath, Stage};

impl Rotator<'_> {
    /// Retire (or, when revoking, revoke) the previous value on the target and in the store.
    /// The caller holds the lease (just renewed).
    pub(crate) fn finish(
        &mut self,
        path: &SecretPath,
        mut st: RotationState,
        p: &Plan,
    ) -> Result<()> {
        let revoking = st.revoking.clone();
        if let Some(old_v) = st.from_version {
            let old = self
                .value(path, Some(old_v))?
                .ok_or_else(|| RotateError::new(RotateErrorKind::Invalid, "no previous version"))?;
            let mut target = self.target_for(path, p)?;
            let owner = self.owner.clone();
            let ctx = StepCtx {
                path,
                version: old_v,
                login: st.previous_login.as_deref(),
                hook_id: Some(&owner),
            };
            self.fence(path, &st, target.as_ref(), "finish")?;
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
        st.clear_error();
        self.commit(path, &st)?;
        crash_point("finish+recorded");
        Ok(())
    }

    /// Close a manual rotation: check `value` (format, live/test mode), store it as the new
    /// version and promote it.
    pub fn confirm(&mut self, path: &SecretPath, value: &SecretBytes) -> Result<Outcome> {
        let (meta, p) = self.plan_of(path)?;
        if RotationState::of(&meta)?.step != Step::AwaitingConfirm {
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
            st.clear_error();
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
