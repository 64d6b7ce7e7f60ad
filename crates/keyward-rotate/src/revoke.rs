//! Revocation: mark a version compromised, rotate at once with no grace (the old
//! credential is removed from the target immediately) and record an incident.

use crate::clock;
use crate::error::{Result, RotateError, RotateErrorKind};
use crate::machine::{Outcome, Rotator};
use crate::state::{FindingRef, IncidentRecord, Step};
use crate::target::StepCtx;
use keyward_core::Fingerprint;
use keyward_store::{SecretPath, Stage};

/// The incident id of a revoked version: `INC-ENV-NAME-vN` (a version is revoked once).
pub fn incident_id(path: &SecretPath, version: u64) -> String {
    format!("INC-{}-{}-v{version}", path.env(), path.name())
}

impl Rotator<'_> {
    /// Revoke `version` (default: the current one) of `path` for `reason`, optionally tied
    /// to the scan `finding` that exposed it. Returns the incident and what the rotation
    /// left behind (a manual target waits for `keyward rotate confirm`).
    pub fn revoke(
        &mut self,
        path: &SecretPath,
        version: Option<u64>,
        reason: &str,
        finding: Option<FindingRef>,
    ) -> Result<(IncidentRecord, Outcome)> {
        let (meta, p) = self.plan_of(path)?;
        let version = version.unwrap_or(meta.current_version);
        let history = self.store.history(path)?;
        let info = history
            .iter()
            .find(|v| v.version == version)
            .ok_or_else(|| {
                RotateError::new(
                    RotateErrorKind::Invalid,
                    format!("{path} has no version {version}"),
                )
            })?
            .clone();
        if info.stage == Stage::Revoked {
            return Err(RotateError::new(
                RotateErrorKind::Invalid,
                format!("{path} version {version} is already revoked"),
            ));
        }
        let mut finding = finding;
        if let Some(f) = finding.as_mut() {
            if let Some(rule) = &f.rule {
                let value = self.store.get_version(path, version)?.value;
                // Known for `kw1:` and, with the fingerprint key, `kw2k:`; a location
                // fingerprint (`kw2l:`) cannot be tied to a value.
                f.matches_revoked_value = Fingerprint::from_string(f.fingerprint.clone())
                    .matches_value(rule, value.expose());
            }
        }
        self.leased(path, |r| {
            r.revoke_leased(path, version, reason, finding, &p)
        })
    }

    /// The revocation proper, holding the rotation's lease (claimed first: a revocation
    /// never races a rotation in progress elsewhere; it fails Busy instead).
    fn revoke_leased(
        &mut self,
        path: &SecretPath,
        version: u64,
        reason: &str,
        finding: Option<FindingRef>,
        p: &crate::plan::Plan,
    ) -> Result<(IncidentRecord, Outcome)> {
        let (meta, mut st) = self.lease(path)?;
        // Re-read under the lease: another revocation may have finished meanwhile.
        let info = self
            .store
            .history(path)?
            .into_iter()
            .find(|v| v.version == version)
            .ok_or_else(|| {
                RotateError::new(
                    RotateErrorKind::Invalid,
                    format!("{path} has no version {version}"),
                )
            })?;
        if info.stage == Stage::Revoked {
            return Err(RotateError::new(
                RotateErrorKind::Invalid,
                format!("{path} version {version} is already revoked"),
            ));
        }
        let id = incident_id(path, version);
        let incident = IncidentRecord {
            id: id.clone(),
            path: path.to_string(),
            version,
            reason: reason.to_string(),
            actor: self.store.actor().name.clone(),
            opened_at: clock::now_text(),
            version_created_at: Some(info.created_at.clone()),
            closed_at: None,
            finding,
        };
        // A retried revocation (the first one failed on the target) keeps its incident.
        if !st.incidents.iter().any(|i| i.id == id) {
            st.incidents.push(incident.clone());
        }
        self.commit(path, &st)?;
        self.audit(
            path,
            "incident.open",
            Some(version),
            "ok",
            format!("{id}: {reason}"),
        );

        let outcome = match info.stage {
            Stage::Current => {
                self.revoke_current(path, version, &id, Self::is_manual(p.target.as_ref()))?
            }
            Stage::Previous if st.step == Step::Promoted && st.from_version == Some(version) => {
                // In grace: end it now.
                let (_, mut st) = self.lease(path)?;
                st.revoking = Some(id.clone());
                st.grace_until = Some(clock::now_text());
                self.commit(path, &st)?;
                self.advance(path, false, false)?
            }
            _ => {
                // Not served any more: remove it from the target if keyward can, then mark it.
                if p.target.is_some() && !Self::is_manual(p.target.as_ref()) {
                    let old = self.store.get_version(path, version)?.value;
                    let mut target = self.target_for(path, p)?;
                    let owner = self.owner.clone();
                    let ctx = StepCtx {
                        path,
                        version,
                        login: None,
                        hook_id: Some(&owner),
                    };
                    let (_, st) = self.lease(path)?;
                    self.fence(path, &st, target.as_ref(), "finish")?;
                    let r = target.finish(&ctx, &old);
                    let (o, d) = match &r {
                        Ok(d) => ("ok", d.clone()),
                        Err(e) => ("error", e.audit_detail()),
                    };
                    self.audit(path, "rotate.finish", Some(version), o, d);
                    r?;
                }
                self.store.revoke(path, version)?;
                self.close(path, &id)?;
                Outcome::Finished {
                    version: meta.current_version,
                }
            }
        };
        let (_, st) = self.state(path)?;
        let rec = st
            .incidents
            .into_iter()
            .find(|i| i.id == id)
            .unwrap_or(incident);
        Ok((rec, outcome))
    }

    fn revoke_current(
        &mut self,
        path: &SecretPath,
        version: u64,
        id: &str,
        manual: bool,
    ) -> Result<Outcome> {
        let (_, mut st) = self.lease(path)?;
        if manual {
            // Nothing keyward can remove: stop serving it now, wait for the replacement.
            self.store.revoke(path, version)?;
            st.revoking = Some(id.to_string());
            st.from_version = Some(version);
            st.step = Step::AwaitingConfirm;
            st.started_at = Some(clock::now_text());
            self.commit(path, &st)?;
            self.audit(
                path,
                "rotate.create",
                None,
                "ok",
                "manual replacement task opened (revocation)".into(),
            );
            return self.advance(path, false, false);
        }
        match st.step {
            // A grace of an earlier rotation is running: end it first (old previous retired).
            Step::Promoted => {
                st.grace_until = Some(clock::now_text());
                self.commit(path, &st)?;
                self.advance(path, false, false)?;
            }
            // A rotation away from this version is already under way: finish it at once.
            Step::Created | Step::Set | Step::Tested if st.from_version == Some(version) => {
                st.revoking = Some(id.to_string());
                self.commit(path, &st)?;
                return self.advance(path, false, false);
            }
            _ => {}
        }
        // Mark the rotation as a revocation before it starts, so a crash resumes it as one.
        let (_, mut st) = self.lease(path)?;
        st.revoking = Some(id.to_string());
        self.commit(path, &st)?;
        self.advance(path, true, false)
    }

    fn close(&mut self, path: &SecretPath, id: &str) -> Result<()> {
        let (_, mut st) = self.lease(path)?;
        if let Some(inc) = st.incidents.iter_mut().find(|i| i.id == id) {
            inc.closed_at = Some(clock::now_text());
        }
        self.commit(path, &st)?;
        self.audit(
            path,
            "incident.close",
            None,
            "ok",
            format!("{id}: version revoked"),
        );
        Ok(())
    }
}
