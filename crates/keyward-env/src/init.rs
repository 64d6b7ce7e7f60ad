//! `keyward init`: a commented `keyward.toml`, with the variables of an example file.

use crate::dotenv::{Dotenv, Item};
use keyward_core::policy::env::DEFAULT_FRONTEND_PREFIXES;
use keyward_core::policy::Kind;
use std::fmt::Write as _;

const HEADER: &str = r#"# keyward.toml: the security policy keyward enforces.
# Format reference: docs/policy.md. Unknown keys are errors, so typos cannot hide.

[scan]
# Exit 1 on findings at or above this severity (info, low, medium, high, critical).
# fail_on = "low"
# Paths the scanner skips (gitignore syntax).
# exclude = ["tests/fixtures/**"]

# Environments. stripe_mode: "test" or "live" keys only. require_sslmode: database URLs
# must carry sslmode=require / verify-ca / verify-full. files: what
# `keyward env check --env NAME` reads when no FILE is given.
[environments.development]
stripe_mode = "test"
require_sslmode = false
files = [".env"]

[environments.staging]
stripe_mode = "test"
require_sslmode = true

[environments.production]
stripe_mode = "live"
require_sslmode = true
"#;

/// The text of a new `keyward.toml`. With `example` (a parsed `.env.example`), each of its
/// variables is declared with a kind inferred from its name and marked required.
pub fn render(example: Option<(&str, &Dotenv)>) -> String {
    let mut out = String::from(HEADER);
    let prefixes = DEFAULT_FRONTEND_PREFIXES
        .iter()
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(
        out,
        "# Variables bundled into frontend code (secrets there are reported):\n\
         # frontend_prefixes = [{prefixes}]\n"
    );
    out.push_str(
        "# Variables: `kind` decides how a value is checked, generated and rotated; see\n\
         # docs/policy.md for the kinds and their defaults. `required = true` or\n\
         # `required_in = [\"production\"]`. Optional: description, min_length, min_bits,\n\
         # and a [variables.NAME.rotation] table (interval_days, grace_days, target).\n",
    );
    match example {
        Some((path, doc)) => {
            let _ = writeln!(out, "# Declared from {path}.");
            let mut seen = Vec::new();
            let mut comment = String::new();
            for item in &doc.items {
                let e = match item {
                    Item::Raw(text) => {
                        comment = text.trim_start().trim_start_matches('#').to_lowercase();
                        continue;
                    }
                    Item::Entry(e) => e,
                };
                let about = format!("{comment} {}", e.comment.as_deref().unwrap_or(""));
                comment.clear();
                if seen.contains(&e.key) {
                    continue;
                }
                seen.push(e.key.clone());
                let kind = Kind::infer(&e.key);
                let _ = writeln!(
                    out,
                    "\n[variables.{}]\nkind = \"{kind}\"  # {}\n{}",
                    e.key,
                    kind_summary(kind),
                    requirement(&about.to_lowercase())
                );
            }
        }
        None => out.push_str(
            "# For example:\n\
             # [variables.JWT_SECRET]\n\
             # kind = \"jwt-secret\"\n\
             # required = true\n\
             #\n\
             # [variables.STRIPE_SECRET_KEY]\n\
             # kind = \"stripe-secret-key\"\n\
             # required_in = [\"staging\", \"production\"]\n",
        ),
    }
    out
}

/// `required = true`, unless the example's comment on the variable says it is optional
/// ("optional, use for production" becomes `required_in = ["production"]`).
fn requirement(comment: &str) -> &'static str {
    if !comment.contains("optional") {
        "required = true"
    } else if comment.contains("production") {
        "required_in = [\"production\"]  # optional elsewhere, per the example's comment"
    } else {
        "required = false  # optional, per the example's comment"
    }
}

/// One line about a kind's defaults, for comments.
pub fn kind_summary(kind: Kind) -> String {
    let d = kind.defaults();
    let mut parts = Vec::new();
    if !d.secret {
        parts.push("not secret".to_string());
    }
    if d.min_bits > 0 && kind == Kind::JwtSecret {
        parts.push(format!("≥ {} bits", d.min_bits));
    } else if d.min_length > 0 {
        parts.push(format!("≥ {} characters", d.min_length));
    }
    if d.secret && d.generator.is_none() {
        parts.push("not generated".into());
    }
    match (d.rotation_days, d.secret) {
        (Some(days), _) => parts.push(format!("rotate every {days} days")),
        (None, true) => parts.push("rotate on incident".into()),
        (None, false) => {}
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::policy::Policy;
    use std::path::Path;

    #[test]
    fn output_parses_as_a_policy() {
        let doc = crate::dotenv::parse(
            "JWT_SECRET=x\nPOSTGRES_USER=u\nJWT_SECRET=y\n# optional, use for production\nREDIS_PASSWORD=\n",
        )
        .unwrap();
        let text = render(Some((".env.example", &doc)));
        let p = Policy::parse(&text, Path::new("keyward.toml")).unwrap();
        assert_eq!(p.variables.len(), 3);
        assert!(!p.variables["REDIS_PASSWORD"].required);
        assert_eq!(
            p.variables["REDIS_PASSWORD"].required_in,
            vec!["production"]
        );
        assert_eq!(p.variables["JWT_SECRET"].kind, Some(Kind::JwtSecret));
        assert!(p.variables["POSTGRES_USER"].required);
        assert_eq!(p.environments.len(), 3);
        Policy::parse(&render(None), Path::new("keyward.toml")).unwrap();
    }
}
