//! keyward-checklist: the production checklist proven from evidence.
//!
//! Every item of the reference policies' checklists (pre- and post-deployment, code review,
//! SOC 2 rotation and access logging) is declared in `items.toml` with the proofs that
//! establish it. [`collect`] computes the evidence in one run — secret scan, environment
//! checks, store contents, rotation status, the audit chain, dependency advisories,
//! infrastructure checks, TLS certificates and SARIF reports of other tools — and
//! [`evaluate`] turns items, evidence and `[[checklist.attest]]` entries into a
//! [`Checklist`]: a serializable model (the JSON output, and what a dashboard renders)
//! that [`render`] prints as text, Markdown or HTML, [`sign`] records in the audit chain,
//! and [`security_md`] writes into a SECURITY.md between markers.

pub mod collect;
pub mod error;
pub mod evaluate;
pub mod evidence;
pub mod items;
pub mod proof;
pub mod render;
pub mod sarif;
pub mod security_md;
pub mod sign;
pub mod tls;

pub use collect::{collect, Inputs, StoreAccess};
pub use error::ChecklistError;
pub use evaluate::{evaluate, Checklist, ItemResult, State};
pub use evidence::Evidence;
pub use items::{catalogue, Item, Section};

/// Collect the evidence and evaluate the checklist in one call, for `now`.
pub fn run(inputs: Inputs<'_>) -> Result<(Checklist, Evidence), ChecklistError> {
    let items = catalogue()?;
    let section = inputs.policy.checklist.clone();
    evaluate::validate(&section, &items)?;
    let now = inputs.now;
    let evidence = collect(inputs)?;
    let today = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| (d.as_secs() / 86_400) as i64);
    let at = keyward_store::clock::format(now);
    Ok((evaluate(&items, &evidence, &section, &at, today), evidence))
}
