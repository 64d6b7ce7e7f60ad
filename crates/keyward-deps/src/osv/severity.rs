//! An advisory's severity: the score computed from its CVSS v4 vector where present,
//! else from its CVSS v3.x vector (both with the RustSec `cvss` crate), else GitHub's
//! `database_specific.severity`; informational RustSec entries are `info`.

use keyward_core::Severity;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Where a severity came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeveritySource {
    /// Computed from a `CVSS:4.0/…` vector.
    CvssV4,
    /// Computed from a `CVSS:3.x/…` vector.
    CvssV3,
    /// `database_specific.severity` (GitHub's rating).
    Database,
    /// RustSec informational advisory (unmaintained, unsound, notice).
    Informational,
    /// The advisory carries no rating; keyward reports it as `medium`.
    Unrated,
}

/// A rated advisory: severity, the CVSS score when one was computed, and its source.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    /// The severity.
    pub severity: Severity,
    /// The CVSS base score (0–10), when computed from a vector.
    pub score: Option<f32>,
    /// Where it came from.
    pub source: SeveritySource,
}

/// Base metrics a vector must carry to be scored (the `cvss` crate accepts partial
/// vectors and scores the missing metrics as absent, which understates them).
const V3_BASE: [&str; 8] = ["AV", "AC", "PR", "UI", "S", "C", "I", "A"];
const V4_BASE: [&str; 11] = [
    "AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA",
];

/// The CVSS base score of a complete v3.0, v3.1 or v4.0 vector; `None` otherwise.
pub fn cvss_score(vector: &str) -> Option<f64> {
    let vector = vector.trim();
    let required: &[&str] = if vector.starts_with("CVSS:4.") {
        &V4_BASE
    } else {
        &V3_BASE
    };
    let present: Vec<&str> = vector
        .split('/')
        .skip(1)
        .filter_map(|m| m.split(':').next())
        .collect();
    if !required.iter().all(|r| present.contains(r)) {
        return None;
    }
    cvss::Cvss::from_str(vector).ok().map(|c| c.score())
}

/// CVSS qualitative rating: 0 none (info), <4 low, <7 medium, <9 high, else critical.
fn from_score(score: f64) -> Severity {
    match score {
        s if s <= 0.0 => Severity::Info,
        s if s < 4.0 => Severity::Low,
        s if s < 7.0 => Severity::Medium,
        s if s < 9.0 => Severity::High,
        _ => Severity::Critical,
    }
}

/// GitHub's ratings: LOW, MODERATE (or MEDIUM), HIGH, CRITICAL.
fn from_label(label: &str) -> Option<Severity> {
    match label.to_ascii_uppercase().as_str() {
        "LOW" => Some(Severity::Low),
        "MODERATE" | "MEDIUM" => Some(Severity::Medium),
        "HIGH" => Some(Severity::High),
        "CRITICAL" => Some(Severity::Critical),
        _ => None,
    }
}

/// Rate an advisory from its vectors (`(type, vector)` pairs) and database severity label.
pub fn rate<'a>(
    vectors: impl IntoIterator<Item = (&'a str, &'a str)>,
    database_label: Option<&str>,
    informational: bool,
) -> Rating {
    if informational {
        return Rating {
            severity: Severity::Info,
            score: None,
            source: SeveritySource::Informational,
        };
    }
    let (mut v3, mut v4) = (None, None);
    for (kind, vector) in vectors {
        match kind {
            "CVSS_V4" if v4.is_none() => v4 = cvss_score(vector),
            "CVSS_V3" if v3.is_none() => v3 = cvss_score(vector),
            _ => {}
        }
    }
    let computed = v4
        .map(|s| (s, SeveritySource::CvssV4))
        .or(v3.map(|s| (s, SeveritySource::CvssV3)));
    if let Some((score, source)) = computed {
        return Rating {
            severity: from_score(score),
            score: Some(score as f32),
            source,
        };
    }
    match database_label.and_then(from_label) {
        Some(severity) => Rating {
            severity,
            score: None,
            source: SeveritySource::Database,
        },
        None => Rating {
            severity: Severity::Medium,
            score: None,
            source: SeveritySource::Unrated,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scores from FIRST's calculators (v3.1 specification examples, v4.0 examples).
    #[test]
    fn computed_scores_match_first_examples() {
        let cases = [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", 5.3),
            ("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                9.3,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
                0.0,
            ),
            (
                "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                8.5,
            ),
        ];
        for (v, want) in cases {
            let got = cvss_score(v).unwrap_or(-1.0);
            assert!((got - want).abs() < 0.05, "{v}: {got} != {want}");
        }
        assert_eq!(cvss_score("CVSS:3.1/AV:N"), None);
    }

    #[test]
    fn v4_wins_then_v3_then_database_label() {
        let v3 = ("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L");
        let v4 = (
            "CVSS_V4",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        );
        let r = rate([v3, v4], Some("LOW"), false);
        assert_eq!(
            (r.severity, r.source),
            (Severity::Critical, SeveritySource::CvssV4)
        );
        let r = rate([v3], Some("HIGH"), false);
        assert_eq!(
            (r.severity, r.source),
            (Severity::Medium, SeveritySource::CvssV3)
        );
        let r = rate([], Some("MODERATE"), false);
        assert_eq!(
            (r.severity, r.source),
            (Severity::Medium, SeveritySource::Database)
        );
        let r = rate([], None, false);
        assert_eq!(r.source, SeveritySource::Unrated);
        let r = rate([v4], None, true);
        assert_eq!(
            (r.severity, r.source),
            (Severity::Info, SeveritySource::Informational)
        );
    }
}
