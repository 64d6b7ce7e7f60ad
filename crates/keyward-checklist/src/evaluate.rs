//! Items + evidence + attestations → the evaluated checklist: the JSON model every
//! renderer (human, Markdown, HTML, SECURITY.md, a dashboard) draws from.

use crate::error::ChecklistError;
use crate::evidence::{digest, Evidence, SourceDigest};
use crate::items::{Item, Section};
use crate::proof::{ProofResult, Verdict};
use keyward_core::policy::checklist::DEFAULT_ATTEST_DAYS;
use keyward_core::policy::{Attestation, ChecklistSection, Date};
use serde::Serialize;

/// The JSON schema version of [`Checklist`].
pub const SCHEMA_VERSION: u32 = 1;

/// An item's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Every proof passed.
    Proven,
    /// Not fully proven, but a named person attested it and the attestation is current.
    Attested,
    /// A proof failed, or the attestation it rests on expired.
    Failed,
    /// Neither proven nor attested.
    Unproven,
    /// Declared not applicable in `[checklist.skip]`.
    Skipped,
}

impl State {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Proven => "proven",
            State::Attested => "attested",
            State::Failed => "failed",
            State::Unproven => "unproven",
            State::Skipped => "skipped",
        }
    }
}

/// An attestation as applied to an item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AttestationView {
    /// Who.
    pub by: String,
    /// When (YYYY-MM-DD).
    pub date: String,
    /// Last day it is valid (YYYY-MM-DD).
    pub expires: String,
    /// Whether it has expired.
    pub expired: bool,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One evaluated item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ItemResult {
    /// Stable id.
    pub id: String,
    /// Section.
    pub section: Section,
    /// The policy's wording.
    pub text: String,
    /// State.
    pub state: State,
    /// One line: why this state.
    pub reason: String,
    /// Every proof's result.
    pub proofs: Vec<ProofResult>,
    /// The attestation, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attestation: Option<AttestationView>,
}

/// Items per state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Proven.
    pub proven: usize,
    /// Attested.
    pub attested: usize,
    /// Failed.
    pub failed: usize,
    /// Unproven.
    pub unproven: usize,
    /// Skipped.
    pub skipped: usize,
}

/// The evaluated checklist.
#[derive(Clone, Debug, Serialize)]
pub struct Checklist {
    /// [`SCHEMA_VERSION`].
    pub version: u32,
    /// When it was evaluated (RFC 3339 UTC).
    pub evaluated_at: String,
    /// The environment it was evaluated for.
    pub environment: String,
    /// Items per state.
    pub counts: Counts,
    /// Whether a pre-deployment item failed (deployment blocked).
    pub blocked: bool,
    /// Every item, in catalogue order.
    pub items: Vec<ItemResult>,
    /// Every evidence source with its digest.
    pub evidence: Vec<SourceDigest>,
    /// SHA-256 over items' states and evidence digests: what a sign-off records.
    pub digest: String,
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil(d: Date) -> i64 {
    let y = i64::from(d.year) - i64::from(d.month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(d.month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d.day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number.
pub fn civil_from_days(z: i64) -> Date {
    let (year, month, day) = keyward_scan::post::date::civil_from_days(z);
    Date { year, month, day }
}

/// Check `[[checklist.attest]]` and `[checklist.skip]` against the catalogue: an unknown
/// item id is an error with the closest known id.
pub fn validate(section: &ChecklistSection, items: &[Item]) -> Result<(), ChecklistError> {
    let ids: Vec<&str> = items.iter().map(|i| i.spec.id.as_str()).collect();
    let check = |id: &str, what: &str| {
        if ids.contains(&id) {
            return Ok(());
        }
        let hint = ids
            .iter()
            .map(|k| (strsim::jaro_winkler(id, k), *k))
            .filter(|(s, _)| *s > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, k)| format!("; did you mean `{k}`?"))
            .unwrap_or_default();
        Err(ChecklistError::Policy(format!(
            "{what} names unknown checklist item `{id}`{hint} (`keyward checklist --format json` lists the ids)"
        )))
    };
    for a in &section.attest {
        check(&a.item, "[[checklist.attest]]")?;
    }
    for id in section.skip.keys() {
        check(id, "[checklist.skip]")?;
    }
    Ok(())
}

fn attestation(item: &Item, a: &Attestation, today: i64) -> AttestationView {
    let days = a
        .valid_days
        .or(item.spec.attest_days)
        .unwrap_or(DEFAULT_ATTEST_DAYS);
    let last = days_from_civil(a.date) + i64::from(days);
    AttestationView {
        by: a.by.clone(),
        date: a.date.to_string(),
        expires: civil_from_days(last).to_string(),
        expired: today > last,
        note: a.note.clone(),
    }
}

/// Evaluate every item. `today` is the day number of "now" (see [`days_from_civil`]);
/// the latest attestation of an item (by date) is the one that counts.
pub fn evaluate(
    items: &[Item],
    evidence: &Evidence,
    section: &ChecklistSection,
    evaluated_at: &str,
    today: i64,
) -> Checklist {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let proofs: Vec<ProofResult> = item.proofs.iter().map(|p| p.evaluate(evidence)).collect();
        let att = section
            .attest
            .iter()
            .filter(|a| a.item == item.spec.id)
            .max_by_key(|a| a.date)
            .map(|a| attestation(item, a, today));
        let failed: Vec<&ProofResult> = proofs
            .iter()
            .filter(|p| p.verdict == Verdict::Fail)
            .collect();
        let all_pass = !proofs.is_empty() && proofs.iter().all(|p| p.verdict == Verdict::Pass);
        let (state, reason) = if let Some(why) = section.skip.get(&item.spec.id) {
            (State::Skipped, format!("not applicable: {why}"))
        } else if !failed.is_empty() {
            let d: Vec<&str> = failed.iter().map(|p| p.detail.as_str()).collect();
            (State::Failed, d.join(" | "))
        } else if all_pass {
            let d: Vec<&str> = proofs.iter().map(|p| p.detail.as_str()).collect();
            (State::Proven, d.join(" | "))
        } else {
            match &att {
                Some(a) if a.expired => (
                    State::Failed,
                    format!(
                        "attestation by {} on {} expired on {}",
                        a.by, a.date, a.expires
                    ),
                ),
                Some(a) => (
                    State::Attested,
                    format!(
                        "attested by {} on {}, valid until {}",
                        a.by, a.date, a.expires
                    ),
                ),
                None if proofs.is_empty() => (
                    State::Unproven,
                    "keyward cannot prove this: attest it in keyward.toml ([[checklist.attest]])"
                        .into(),
                ),
                None => {
                    let d: Vec<&str> = proofs
                        .iter()
                        .filter(|p| p.verdict == Verdict::Unknown)
                        .map(|p| p.detail.as_str())
                        .collect();
                    (
                        State::Unproven,
                        format!("no evidence ({}); or attest it", d.join(" | ")),
                    )
                }
            }
        };
        out.push(ItemResult {
            id: item.spec.id.clone(),
            section: item.spec.section,
            text: item.spec.text.clone(),
            state,
            reason,
            proofs,
            attestation: att,
        });
    }
    let mut counts = Counts::default();
    for i in &out {
        *match i.state {
            State::Proven => &mut counts.proven,
            State::Attested => &mut counts.attested,
            State::Failed => &mut counts.failed,
            State::Unproven => &mut counts.unproven,
            State::Skipped => &mut counts.skipped,
        } += 1;
    }
    let blocked = out
        .iter()
        .any(|i| i.section == Section::PreDeployment && i.state == State::Failed);
    let sources = evidence.digests();
    let signed: Vec<(&str, &str)> = out
        .iter()
        .map(|i| (i.id.as_str(), i.state.as_str()))
        .collect();
    let digest = digest(&(section.environment(), &signed, &sources));
    Checklist {
        version: SCHEMA_VERSION,
        evaluated_at: evaluated_at.to_string(),
        environment: section.environment().to_string(),
        counts,
        blocked,
        items: out,
        evidence: sources,
        digest,
    }
}

impl Checklist {
    /// Items of one section.
    pub fn section(&self, s: Section) -> impl Iterator<Item = &ItemResult> {
        self.items.iter().filter(move |i| i.section == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::items::catalogue;

    fn date(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn civil_days_round_trip() {
        assert_eq!(days_from_civil(date("1970-01-01")), 0);
        assert_eq!(days_from_civil(date("2000-03-01")), 11_017);
        for z in [-1000, 0, 59, 365, 11_016, 20_000, 30_000] {
            assert_eq!(days_from_civil(civil_from_days(z)), z);
        }
    }

    fn section(attest: &str) -> ChecklistSection {
        let p =
            keyward_core::policy::Policy::parse(attest, std::path::Path::new("k.toml")).unwrap();
        p.checklist
    }

    #[test]
    fn attestations_expire() {
        let items = catalogue().unwrap();
        let s = section(
            "[[checklist.attest]]\nitem = \"pre.backup-dr-tested\"\nby = \"Dana\"\ndate = 2026-01-01\n\
             [[checklist.attest]]\nitem = \"post.security-training\"\nby = \"Eve\"\ndate = 2026-01-01\n",
        );
        // Backup attestations last 90 days (items.toml), training 365.
        let today = days_from_civil(date("2026-05-01"));
        let c = evaluate(&items, &Evidence::default(), &s, "t", today);
        let get = |id: &str| c.items.iter().find(|i| i.id == id).unwrap();
        let backup = get("pre.backup-dr-tested");
        assert_eq!(backup.state, State::Failed);
        assert_eq!(backup.attestation.as_ref().unwrap().expires, "2026-04-01");
        assert!(
            backup.reason.contains("expired on 2026-04-01"),
            "{}",
            backup.reason
        );
        assert!(c.blocked);
        let training = get("post.security-training");
        assert_eq!(training.state, State::Attested);
        assert_eq!(get("post.penetration-testing").state, State::Unproven);
        // On the last valid day the attestation still holds.
        let c = evaluate(
            &items,
            &Evidence::default(),
            &s,
            "t",
            days_from_civil(date("2026-04-01")),
        );
        assert_eq!(
            c.items
                .iter()
                .find(|i| i.id == "pre.backup-dr-tested")
                .unwrap()
                .state,
            State::Attested
        );
        assert!(!c.blocked);
    }

    #[test]
    fn unknown_item_ids_are_errors_with_a_hint() {
        let items = catalogue().unwrap();
        let s = section(
            "[[checklist.attest]]\nitem = \"pre.backup-dr-test\"\nby = \"D\"\ndate = 2026-01-01\n",
        );
        let e = validate(&s, &items).unwrap_err().to_string();
        assert!(e.contains("did you mean `pre.backup-dr-tested`"), "{e}");
        let s = section("[checklist.skip]\n\"review.cors\" = \"no browser clients\"\n");
        validate(&s, &items).unwrap();
        let c = evaluate(&items, &Evidence::default(), &s, "t", 0);
        assert_eq!(
            c.items
                .iter()
                .find(|i| i.id == "review.cors")
                .unwrap()
                .state,
            State::Skipped
        );
    }
}
