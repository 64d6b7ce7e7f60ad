//! Checks on variables: presence, duplicates, declarations, placeholders, strength,
//! Stripe modes, frontend exposure and database TLS.

use super::rules::*;
use super::values::{self, StripeKey};
use super::{about_fact, about_value, file_level, severity, Context, Source, Var};
use keyward_core::policy::{Kind, StripeMode};
use keyward_core::{Finding, Severity};
use std::collections::BTreeMap;

/// Every variable check over the read sources.
pub(crate) fn check(ctx: &Context<'_>, sources: &[Source]) -> Vec<Finding> {
    let mut out = Vec::new();
    for source in sources {
        duplicates(source, &mut out);
        if source.example {
            continue;
        }
        for var in &source.vars {
            if source.path != super::PROCESS {
                undeclared(ctx, var, &mut out);
            }
            value_checks(ctx, var, &mut out);
            frontend(ctx, var, &mut out);
        }
    }
    let live: Vec<&Source> = sources.iter().filter(|s| !s.example).collect();
    stripe_mixed(&live, &mut out);
    missing(ctx, &live, &mut out);
    out
}

fn duplicates(source: &Source, out: &mut Vec<Finding>) {
    let mut first: BTreeMap<&str, usize> = BTreeMap::new();
    for var in &source.vars {
        if let Some(line) = first.get(var.key.as_str()) {
            out.push(about_fact(
                DUPLICATE_KEY,
                format!("{} is defined more than once", var.key),
                severity(DUPLICATE_KEY),
                var.location.clone(),
                &format!("{}\0{}", source.path, var.key),
                Some(format!(
                    "first defined on line {line}; the last definition wins"
                )),
            ));
        } else {
            first.insert(&var.key, var.location.line);
        }
    }
}

fn undeclared(ctx: &Context<'_>, var: &Var, out: &mut Vec<Finding>) {
    let vars = &ctx.policy.variables;
    if !vars.is_empty() && !vars.contains_key(&var.key) {
        out.push(about_fact(
            UNDECLARED_VARIABLE,
            format!("{} is not declared in keyward.toml", var.key),
            severity(UNDECLARED_VARIABLE),
            var.location.clone(),
            &var.key,
            None,
        ));
    }
}

fn missing(ctx: &Context<'_>, sources: &[&Source], out: &mut Vec<Finding>) {
    let Some(first) = sources.first() else { return };
    for (name, spec) in &ctx.policy.variables {
        if !spec.is_required_in(&ctx.env_name) {
            continue;
        }
        let present = sources
            .iter()
            .any(|s| s.vars.iter().any(|v| &v.key == name));
        if !present {
            let checked: Vec<&str> = sources.iter().map(|s| s.path.as_str()).collect();
            out.push(about_fact(
                MISSING_REQUIRED,
                format!("{name} is required in {} but missing", ctx.env_name),
                severity(MISSING_REQUIRED),
                file_level(&first.path),
                name,
                Some(format!("checked: {}", checked.join(", "))),
            ));
        }
    }
}

/// Placeholders, strength, Stripe modes and database TLS for one variable.
fn value_checks(ctx: &Context<'_>, var: &Var, out: &mut Vec<Finding>) {
    let spec = ctx.spec(&var.key);
    let kind = spec.kind_for(&var.key);
    let defaults = kind.defaults();
    let required = spec.is_required_in(&ctx.env_name);
    let value = var.value.as_str();
    if value.trim().is_empty() {
        if required || defaults.secret {
            out.push(about_value(
                PLACEHOLDER_VALUE,
                format!("{} is empty", var.key),
                severity(PLACEHOLDER_VALUE),
                var,
                Some(format!("kind {kind}")),
            ));
        }
        return;
    }
    if values::is_reference(value) {
        return;
    }
    let url = matches!(kind, Kind::DatabaseUrl | Kind::RedisUrl);
    let checked_part = if url {
        values::url_parts(value).and_then(|u| u.password)
    } else if defaults.secret || required {
        Some(value)
    } else {
        None
    };
    // A default user name (`MINIO_ROOT_USER=minio`) in a development environment is a
    // convenience, not a leaked or weak secret: neither a placeholder nor too short there.
    if kind == Kind::MinioAccessKey
        && is_user_name(&var.key)
        && keyward_core::policy::DEV_NAMES.contains(&ctx.env_name.as_str())
    {
        return;
    }
    if checked_part.is_some_and(values::is_placeholder) {
        out.push(about_value(
            PLACEHOLDER_VALUE,
            format!("{} holds a placeholder", var.key),
            severity(PLACEHOLDER_VALUE),
            var,
            Some(format!("kind {kind}; replace it with a real value")),
        ));
        return;
    }
    if let Some(why) = weakness(kind, &spec, value) {
        out.push(about_value(
            WEAK_VALUE,
            format!("{} is weaker than a {kind} must be", var.key),
            severity(WEAK_VALUE),
            var,
            Some(why),
        ));
    }
    stripe_mode(ctx, var, out);
    if kind == Kind::DatabaseUrl && ctx.env.require_sslmode(&ctx.env_name) {
        sslmode(ctx, var, out);
    }
}

/// Whether a variable name names a user (`MINIO_ROOT_USER`, `S3_USERNAME`).
fn is_user_name(key: &str) -> bool {
    let k = key.to_ascii_uppercase();
    k.ends_with("_USER") || k.ends_with("USERNAME") || k.ends_with("_USER_NAME")
}

/// Why `value` is too weak for `kind`, if it is.
fn weakness(kind: Kind, spec: &keyward_core::policy::VariableSpec, value: &str) -> Option<String> {
    let d = kind.defaults();
    let prefix_ok = |prefixes: &[&str]| prefixes.iter().any(|p| value.starts_with(p));
    match kind {
        Kind::StripeSecretKey if !prefix_ok(&["sk_live_", "sk_test_", "rk_live_", "rk_test_"]) => {
            return Some(
                "a Stripe secret key starts with sk_live_, sk_test_, rk_live_ or rk_test_".into(),
            )
        }
        Kind::StripePublishableKey if !prefix_ok(&["pk_live_", "pk_test_"]) => {
            return Some("a Stripe publishable key starts with pk_live_ or pk_test_".into())
        }
        Kind::StripeWebhookSecret if !prefix_ok(&["whsec_"]) => {
            return Some("a Stripe webhook secret starts with whsec_".into())
        }
        Kind::DatabaseUrl | Kind::RedisUrl if values::url_parts(value).is_none() => {
            return Some("not a connection URL (scheme://user:password@host/…)".into())
        }
        _ => {}
    }
    let min_length = spec.min_length.unwrap_or(d.min_length);
    let min_bits = spec.min_bits.unwrap_or(d.min_bits);
    let length = value.chars().count();
    if length < min_length {
        return Some(format!(
            "{length} characters; at least {min_length} required"
        ));
    }
    if min_bits > 0 {
        let bits = if kind == Kind::JwtSecret {
            values::key_bits(value)
        } else {
            values::charset_bits(value)
        };
        if bits < f64::from(min_bits) {
            return Some(format!(
                "about {} bits of key material; at least {min_bits} required",
                bits.floor()
            ));
        }
    }
    if (min_bits > 0 || min_length >= 16) && length >= 16 && values::shannon(value) < 3.0 {
        return Some("too repetitive to be random".into());
    }
    None
}

fn stripe_mode(ctx: &Context<'_>, var: &Var, out: &mut Vec<Finding>) {
    let Some(key) = StripeKey::of(&var.value) else {
        return;
    };
    let expected = ctx.env.stripe_mode(&ctx.env_name);
    let wrong = matches!(
        (expected, key),
        (StripeMode::Test, StripeKey::Live { .. }) | (StripeMode::Live, StripeKey::Test { .. })
    );
    if wrong {
        let expected = if expected == StripeMode::Live {
            "live"
        } else {
            "test"
        };
        out.push(about_value(
            STRIPE_MODE_MISMATCH,
            format!(
                "{} is a {} key in {}, which uses {expected} keys",
                var.key,
                key.mode(),
                ctx.env_name
            ),
            severity(STRIPE_MODE_MISMATCH),
            var,
            None,
        ));
    }
}

fn stripe_mixed(sources: &[&Source], out: &mut Vec<Finding>) {
    let keys: Vec<(&Var, StripeKey)> = sources
        .iter()
        .flat_map(|s| s.vars.iter())
        .filter_map(|v| StripeKey::of(&v.value).map(|k| (v, k)))
        .collect();
    // The reference mode is the first secret key's, else the first key's.
    let Some(reference) = keys
        .iter()
        .find(|(_, k)| k.is_secret())
        .or(keys.first())
        .map(|(_, k)| k.mode())
    else {
        return;
    };
    let reference_var = keys
        .iter()
        .find(|(_, k)| k.mode() == reference)
        .map(|(v, _)| v);
    for (var, key) in &keys {
        if key.mode() != reference {
            out.push(about_value(
                STRIPE_MIXED_MODES,
                format!(
                    "{} is a {} key beside {reference} keys",
                    var.key,
                    key.mode()
                ),
                severity(STRIPE_MIXED_MODES),
                var,
                reference_var.map(|r| format!("{} is a {reference} key", r.key)),
            ));
        }
    }
}

fn frontend(ctx: &Context<'_>, var: &Var, out: &mut Vec<Finding>) {
    for prefix in ctx.env.frontend_prefixes() {
        let Some(bare) = var.key.strip_prefix(prefix.as_str()) else {
            continue;
        };
        let kind = match ctx.policy.variables.get(&var.key).and_then(|s| s.kind) {
            Some(k) => k,
            None => Kind::infer(bare),
        };
        let stripe_secret = StripeKey::of(&var.value).is_some_and(StripeKey::is_secret);
        if kind.defaults().secret || stripe_secret {
            out.push(about_value(
                SECRET_FRONTEND_PREFIX,
                format!("{} is a {kind} under the frontend prefix {prefix}", var.key),
                severity(SECRET_FRONTEND_PREFIX),
                var,
                Some(format!(
                    "anything named {prefix}* is bundled into client code; drop the prefix and read it server-side"
                )),
            ));
        }
        return;
    }
}

fn sslmode(ctx: &Context<'_>, var: &Var, out: &mut Vec<Finding>) {
    let Some(url) = values::url_parts(&var.value) else {
        return;
    };
    if !matches!(url.scheme.as_str(), "postgres" | "postgresql") {
        return;
    }
    let ok = matches!(url.sslmode, Some("require" | "verify-ca" | "verify-full"));
    if !ok {
        let got = match url.sslmode {
            Some(m) => format!("sslmode={m}"),
            None => "no sslmode".into(),
        };
        out.push(about_value(
            DATABASE_URL_SSLMODE,
            format!("{} has {got} in {}", var.key, ctx.env_name),
            Severity::High,
            var,
            Some("add ?sslmode=require (or verify-full)".into()),
        ));
    }
}
