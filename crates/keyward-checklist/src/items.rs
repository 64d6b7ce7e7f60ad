//! The checklist catalogue (`items.toml`, embedded): every item of the reference policies'
//! checklists, its section, its policy wording and the proofs that establish it.

use crate::error::ChecklistError;
use crate::proof::Proof;
use serde::{Deserialize, Serialize};

/// The embedded catalogue.
const ITEMS: &str = include_str!("../items.toml");

/// Where an item sits in the policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    /// "Security Checklist for Production — Pre-Deployment": a failure blocks a deploy.
    PreDeployment,
    /// "Post-Deployment".
    PostDeployment,
    /// "Code Review Checklist".
    CodeReview,
    /// "SOC 2: secret rotation and access logging".
    Soc2,
}

impl Section {
    /// Every section, in report order.
    pub const ALL: [Section; 4] = [
        Section::PreDeployment,
        Section::PostDeployment,
        Section::CodeReview,
        Section::Soc2,
    ];

    /// The heading shown in reports.
    pub fn title(self) -> &'static str {
        match self {
            Section::PreDeployment => "Pre-Deployment",
            Section::PostDeployment => "Post-Deployment",
            Section::CodeReview => "Code Review",
            Section::Soc2 => "SOC 2: rotation and access logging",
        }
    }

    /// The kebab-case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Section::PreDeployment => "pre-deployment",
            Section::PostDeployment => "post-deployment",
            Section::CodeReview => "code-review",
            Section::Soc2 => "soc2",
        }
    }
}

/// One checklist item as declared.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemSpec {
    /// Stable id (`pre.tls-valid`), used by attestations.
    pub id: String,
    /// Its section.
    pub section: Section,
    /// The policy's wording.
    pub text: String,
    /// Proofs, all of which must pass for the item to be proven.
    #[serde(default)]
    pub proofs: Vec<String>,
    /// Default validity of an attestation of this item, in days.
    #[serde(default)]
    pub attest_days: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    item: Vec<ItemSpec>,
}

/// An item with its proofs parsed.
#[derive(Clone, Debug)]
pub struct Item {
    /// The declaration.
    pub spec: ItemSpec,
    /// Parsed proofs.
    pub proofs: Vec<Proof>,
}

/// The built-in catalogue, parsed and validated (unique ids, known proofs).
pub fn catalogue() -> Result<Vec<Item>, ChecklistError> {
    let file: File =
        toml::from_str(ITEMS).map_err(|e| ChecklistError::Catalogue(format!("items.toml: {e}")))?;
    let mut seen = std::collections::BTreeSet::new();
    file.item
        .into_iter()
        .map(|spec| {
            if !seen.insert(spec.id.clone()) {
                return Err(ChecklistError::Catalogue(format!(
                    "items.toml: duplicate id `{}`",
                    spec.id
                )));
            }
            let proofs = spec
                .proofs
                .iter()
                .map(|p| Proof::parse(p))
                .collect::<Result<_, _>>()
                .map_err(|e| ChecklistError::Catalogue(format!("items.toml: {}: {e}", spec.id)))?;
            Ok(Item { spec, proofs })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_covers_both_policies() {
        let items = catalogue().unwrap();
        let count = |s: Section| items.iter().filter(|i| i.spec.section == s).count();
        // CostWatch: 13 pre-deployment and 8 post-deployment items; the marketplace's code
        // review checklist has 9; SOC 2 rotation/logging adds 3.
        assert_eq!(count(Section::PreDeployment), 13);
        assert_eq!(count(Section::PostDeployment), 8);
        assert_eq!(count(Section::CodeReview), 9);
        assert_eq!(count(Section::Soc2), 3);
        assert!(items
            .iter()
            .any(|i| i.spec.text == "Backup and disaster recovery tested"));
    }

    #[test]
    fn infra_proofs_name_real_checks() {
        let registry = keyward_infra::Registry::builtin().unwrap();
        for item in catalogue().unwrap() {
            for p in &item.proofs {
                if let Proof::Infra(ids) = p {
                    for id in ids {
                        assert!(
                            registry.get(id).is_some(),
                            "{}: unknown check {id}",
                            item.spec.id
                        );
                    }
                }
                if let Proof::Env(ids) = p {
                    for id in ids {
                        assert!(
                            keyward_env::check::rules::info(id).is_some(),
                            "{}: unknown env rule {id}",
                            item.spec.id
                        );
                    }
                }
            }
        }
    }
}
