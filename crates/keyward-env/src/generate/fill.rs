//! `keyward env generate`: a dotenv file filled with fresh values, from an example.

use super::generate;
use crate::check::values::{is_placeholder, url_parts};
use crate::dotenv::{Dotenv, Item};
use keyward_core::policy::{Kind, Policy, StripeMode};
use std::collections::BTreeMap;

/// The value written where keyward cannot generate one (it is reported as a placeholder
/// by `keyward env check` until replaced).
pub const TODO_MARKER: &str = "TODO";

/// What [`fill`] did, by variable name. Holds no values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FillReport {
    /// Variables given a fresh random value.
    pub generated: Vec<String>,
    /// Variables left with [`TODO_MARKER`], with their kind (e.g. Stripe keys).
    pub todo: Vec<(String, Kind)>,
    /// Required variables missing from the example, appended at the end.
    pub added: Vec<String>,
    /// Connection URLs whose placeholder password was replaced by a generated password.
    pub linked: Vec<String>,
}

/// Fill `doc` (parsed from an example) for environment `env_name`: every variable whose
/// kind can be generated gets a fresh value; other secret or Stripe variables get
/// [`TODO_MARKER`] and a comment (a value in the example is never copied, real or not);
/// everything else is kept, with comments and order. Required variables the example lacks are appended.
pub fn fill(doc: &mut Dotenv, policy: &Policy, env_name: &str) -> FillReport {
    let mut report = FillReport::default();
    let kind_of = |key: &str| {
        policy
            .variables
            .get(key)
            .map_or_else(|| Kind::infer(key), |s| s.kind_for(key))
    };
    for (name, spec) in &policy.variables {
        if spec.is_required_in(env_name) && doc.get(name).is_none() {
            if report.added.is_empty() {
                doc.items.push(Item::Raw(String::new()));
                doc.push_comment("Required by keyward.toml, missing from the example:");
            }
            doc.set(name, "");
            report.added.push(name.clone());
        }
    }
    let mode = policy
        .environments
        .get(env_name)
        .cloned()
        .unwrap_or_default()
        .stripe_mode(env_name);
    // Passwords generated for each kind, to complete connection URLs.
    let mut passwords: BTreeMap<Kind, String> = BTreeMap::new();
    for entry in doc.entries_mut() {
        let kind = kind_of(&entry.key);
        if let Some(value) = generate(kind) {
            let value = value.to_lossy();
            if matches!(kind, Kind::PostgresPassword | Kind::RedisPassword) {
                passwords.entry(kind).or_insert_with(|| value.clone());
            }
            entry.set_value(value);
            report.generated.push(entry.key.clone());
        }
    }
    for entry in doc.entries_mut() {
        let kind = kind_of(&entry.key);
        if report.generated.contains(&entry.key) {
            continue;
        }
        let stripe = matches!(
            kind,
            Kind::StripeSecretKey | Kind::StripePublishableKey | Kind::StripeWebhookSecret
        );
        if !(kind.defaults().secret || stripe) {
            continue;
        }
        let value = entry.value.clone();
        let url = matches!(kind, Kind::DatabaseUrl | Kind::RedisUrl);
        if url {
            let password_kind = if kind == Kind::DatabaseUrl {
                Kind::PostgresPassword
            } else {
                Kind::RedisPassword
            };
            let parts = url_parts(&value);
            let placeholder_password = parts
                .as_ref()
                .and_then(|u| u.password)
                .filter(|p| is_placeholder(p));
            match (placeholder_password, passwords.get(&password_kind)) {
                (Some(old), Some(new)) => {
                    let at = value.find(&format!(":{old}@")).map(|i| i + 1);
                    if let Some(at) = at {
                        let replaced =
                            format!("{}{}{}", &value[..at], new, &value[at + old.len()..]);
                        entry.set_value(replaced);
                        report.linked.push(entry.key.clone());
                        continue;
                    }
                }
                (None, _) if parts.is_some() && !value.trim().is_empty() => continue,
                _ => {}
            }
        }
        // Any other secret value is never copied from the example, placeholder or not: a
        // real key committed to `.env.example` (a live Stripe key) must not spread into
        // the generated file (issue 13 item 16).
        entry.set_value(TODO_MARKER);
        entry.comment = Some(format!(" TODO(keyward): {}", todo_hint(kind, mode)));
        report.todo.push((entry.key.clone(), kind));
    }
    report
}

fn todo_hint(kind: Kind, mode: StripeMode) -> String {
    let m = if mode == StripeMode::Live {
        "live"
    } else {
        "test"
    };
    match kind {
        Kind::StripeSecretKey => {
            format!(
                "paste a Stripe {m} secret key (sk_{m}_…) from Dashboard → Developers → API keys"
            )
        }
        Kind::StripePublishableKey => {
            format!("paste a Stripe {m} publishable key (pk_{m}_…) from Dashboard → Developers → API keys")
        }
        Kind::StripeWebhookSecret => {
            "paste the endpoint's signing secret (whsec_…) from Dashboard → Developers → Webhooks"
                .into()
        }
        Kind::DatabaseUrl => {
            "set the connection URL (postgresql://user:password@host:5432/db?sslmode=require)"
                .into()
        }
        Kind::RedisUrl => "set the connection URL (redis://:password@host:6379/0)".into(),
        other => format!("set a {other} value"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dotenv::parse;

    #[test]
    fn item_16_a_real_key_in_the_example_is_not_copied() {
        let live = "sk_live_51H8zQ2KZ3xY9aBcDeFgHiJkLmNoPqRsTuVwXyZ"; // keyward:allow
        let mut doc = parse(&format!("STRIPE_SECRET_KEY={live}\nPORT=8080\n")).unwrap();
        let r = fill(&mut doc, &Policy::default(), "development");
        assert_eq!(doc.get("STRIPE_SECRET_KEY"), Some(TODO_MARKER));
        assert_eq!(r.todo.len(), 1);
        assert!(!doc.render().contains(live));
    }

    #[test]
    fn fills_secrets_keeps_the_rest() {
        let mut doc = parse(
            "# App\nPOSTGRES_USER=app\nPOSTGRES_PASSWORD=changeme\n\
             DATABASE_URL=postgresql://app:changeme@localhost:5432/app\n\
             JWT_SECRET=your-jwt-secret # min 256 bits\nSTRIPE_SECRET_KEY=sk_test_xxx\nPORT=8080\n",
        )
        .unwrap();
        let r = fill(&mut doc, &Policy::default(), "development");
        assert_eq!(r.generated, vec!["POSTGRES_PASSWORD", "JWT_SECRET"]);
        assert_eq!(
            r.todo,
            vec![("STRIPE_SECRET_KEY".to_string(), Kind::StripeSecretKey)]
        );
        assert_eq!(r.linked, vec!["DATABASE_URL"]);
        let pw = doc.get("POSTGRES_PASSWORD").unwrap().to_string();
        assert!(pw.len() >= 32);
        assert!(doc
            .get("DATABASE_URL")
            .unwrap()
            .contains(&format!(":{pw}@")));
        assert_eq!(doc.get("PORT"), Some("8080"));
        assert_eq!(doc.get("POSTGRES_USER"), Some("app"));
        let text = doc.render();
        assert!(text.starts_with("# App\nPOSTGRES_USER=app\n"), "{text}");
        assert!(text.contains("JWT_SECRET="), "{text}");
        assert!(text.contains("# min 256 bits"), "{text}");
        assert!(text.contains("STRIPE_SECRET_KEY=TODO # TODO(keyward): paste a Stripe test"));
    }
}
