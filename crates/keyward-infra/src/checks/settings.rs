//! Checks over name/value settings from every source: literal secrets, database URLs
//! without TLS, wildcard CORS origins.

use super::{Check, Ctx};
use crate::finding::{InfraFinding, Site};
use crate::model::Setting;
use keyward_core::SecretBytes;

/// Words that make a name a secret when they end it.
const SECRET_TAILS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "pass",
    "passphrase",
    "secret",
    "token",
    "credential",
    "credentials",
    "apikey",
    "secretkey",
    "privatekey",
    "accesskey",
];

/// Words before a final `key` that make it a secret key (`API_KEY`, `SIGNING_KEY`).
const KEY_QUALIFIERS: &[&str] = &[
    "api",
    "access",
    "private",
    "secret",
    "signing",
    "encryption",
    "master",
    "client",
    "auth",
    "app",
    "account",
    "session",
    "jwt",
    "hmac",
    "webhook",
    "license",
    "service",
    "stripe",
];

/// Words anywhere in a name that say the value is not the secret itself.
const NOT_SECRET: &[&str] = &[
    "existing",
    "public",
    "hash",
    "hashed",
    "publishable",
    "next",
];

/// The words of a name: split at `_ - . /`, blanks and lower→upper camel-case changes.
fn name_words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            out.extend((!cur.is_empty()).then(|| std::mem::take(&mut cur)));
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    out.extend((!cur.is_empty()).then_some(cur));
    out
}

/// Is a variable or key with this name meant to hold a secret? The last word decides
/// (`DB_PASSWORD` yes, `DB_PASSWORD_FILE` or `TOKEN_TTL` no).
pub fn is_secret_name(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name);
    let w = name_words(last);
    if w.iter().any(|x| NOT_SECRET.contains(&x.as_str())) {
        return false;
    }
    let n = w.len();
    match w.last().map(String::as_str) {
        Some(t) if SECRET_TAILS.contains(&t) => true,
        Some("key") => n >= 2 && KEY_QUALIFIERS.contains(&w[n - 2].as_str()),
        Some("base") => n >= 3 && w[n - 3] == "secret" && w[n - 2] == "key",
        _ => false,
    }
}

/// Configuration words that are never secrets (`id-token: write` in a CI workflow).
const CONFIG_WORDS: &[&str] = &[
    "true", "false", "null", "none", "yes", "no", "on", "off", "read", "write", "enabled",
    "disabled", "required", "optional", "auto", "default",
];

/// A value that is a reference, a placeholder, a file path, the name of another variable or
/// too short to be a secret.
fn not_literal(value: &str) -> bool {
    let v = value.trim();
    let path = v.starts_with('/')
        && v.len() > 1
        && v.split('/').skip(1).all(|seg| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        });
    let upper_name = v.contains('_')
        && v.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    v.len() < 3
        || path
        || upper_name
        || keyward_scan::filter::is_reference(v.as_bytes())
        || keyward_scan::filter::is_placeholder(v.as_bytes())
        || v.starts_with("{{")
        || CONFIG_WORDS.contains(&v.to_ascii_lowercase().as_str())
}

/// The password of `scheme://user:password@host…`, when literal.
fn url_password(value: &str) -> Option<&str> {
    let (_, rest) = value.split_once("://")?;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let (userinfo, _) = authority.rsplit_once('@')?;
    let (_, pw) = userinfo.split_once(':')?;
    (!not_literal(pw)).then_some(pw)
}

fn finding(check: &Check, s: &Setting, message: String, secret: Option<&str>) -> InfraFinding {
    let mut f = InfraFinding::new(
        check,
        Site {
            path: s.path.clone(),
            at: (s.line, s.column),
            unit: Some(s.unit),
            object: s.object.clone(),
        },
        message,
        &s.name,
    );
    f.secret = secret.map(|v| SecretBytes::new(v.as_bytes()));
    f
}

/// `secret-literal-env`: secret-named settings with literal values, and URLs with an
/// embedded password. References (`${VAR}`, `secretKeyRef`), `*_FILE` paths and
/// placeholders are fine.
pub fn secret_literal(ctx: &mut Ctx<'_>, check: &Check) {
    let inv = ctx.inv;
    for s in &inv.settings {
        let f = if let Some(pw) = url_password(&s.value) {
            finding(
                check,
                s,
                format!("`{}` is a URL with an embedded password", s.name),
                Some(pw),
            )
        } else if is_secret_name(&s.name) && !not_literal(&s.value) {
            let mut f = finding(
                check,
                s,
                format!("`{}` holds a literal secret", s.name),
                Some(&s.value),
            );
            if let Some(scanner) = ctx.scanner() {
                for hit in scanner.scan(&s.path, s.value.as_bytes()) {
                    f.notes.push(format!(
                        "the scanner recognises it: {} ({})",
                        hit.title, hit.rule_id
                    ));
                }
            }
            f
        } else {
            continue;
        };
        ctx.out.push(f);
    }
}

/// Database URL schemes: PostgreSQL and MySQL/MariaDB, SQLAlchemy dialects and JDBC.
fn db_engine(value: &str) -> Option<&'static str> {
    let lower = value.trim().to_ascii_lowercase();
    let scheme = lower.split_once("://")?.0;
    let scheme = scheme.strip_prefix("jdbc:").unwrap_or(scheme);
    let base = scheme.split('+').next().unwrap_or(scheme);
    match base {
        "postgres" | "postgresql" | "pgsql" | "postgis" => Some("PostgreSQL"),
        "mysql" | "mariadb" | "mysqlx" => Some("MySQL"),
        _ => None,
    }
}

/// Does the URL's query require TLS? `None` when it says nothing about TLS.
fn requires_tls(value: &str) -> Option<(bool, String)> {
    let query = value
        .split_once('?')
        .map(|(_, q)| q.split('#').next().unwrap_or(""))?;
    let mut verdict = None;
    for (k, v) in query.split(['&', ';']).filter_map(|kv| kv.split_once('=')) {
        let (k, v) = (
            k.to_ascii_lowercase().replace(['-', '_'], ""),
            v.to_ascii_lowercase(),
        );
        let ok = match k.as_str() {
            "sslmode" => matches!(
                v.replace('_', "-").as_str(),
                "require" | "required" | "verify-ca" | "verify-full" | "verify-identity"
            ),
            "ssl" | "usessl" | "requiressl" => v == "true",
            "tls" => !matches!(
                v.as_str(),
                "false" | "preferred" | "skip-verify-if-possible"
            ),
            _ => continue,
        };
        verdict = Some((ok, format!("{k}={v}")));
        if ok {
            return verdict;
        }
    }
    verdict
}

/// `db-url-sslmode`: PostgreSQL and MySQL URLs (JDBC included) must require TLS.
pub fn db_url_sslmode(ctx: &mut Ctx<'_>, check: &Check) {
    let inv = ctx.inv;
    for s in &inv.settings {
        let Some(engine) = db_engine(&s.value) else {
            continue;
        };
        if s.value.contains("host=/") || s.value.contains("unix_socket=") {
            continue; // a local socket (e.g. the Cloud SQL proxy): no network to encrypt
        }
        let message = match requires_tls(&s.value) {
            Some((true, _)) => continue,
            Some((false, said)) => format!(
                "`{}` connects to {engine} with `{said}` (TLS not required)",
                s.name
            ),
            None => format!(
                "`{}` connects to {engine} without `sslmode=require`",
                s.name
            ),
        };
        ctx.out.push(finding(check, s, message, None));
    }
}

/// Is the setting's name about allowed CORS origins?
fn is_cors_name(name: &str) -> bool {
    let w = name_words(name).join("_");
    w.contains("cors")
        || w.contains("allow_origin")
        || w.contains("allowed_origin")
        || w.contains("access_control_allow_origin")
}

/// `cors-wildcard`: an allowed-origins setting containing `*`, or a CORS allow-all switch.
pub fn cors_wildcard(ctx: &mut Ctx<'_>, check: &Check) {
    let inv = ctx.inv;
    for s in &inv.settings {
        if !is_cors_name(&s.name) {
            continue;
        }
        let words = name_words(&s.name).join("_");
        let v = s.value.trim();
        let wildcard = v
            .split([',', ' ', '[', ']', '"', '\''])
            .any(|item| item.trim() == "*");
        let allow_all = words.contains("allow_all")
            && matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes");
        if wildcard || allow_all {
            let what = if wildcard {
                "allows every origin (`*`)"
            } else {
                "allows every origin"
            };
            ctx.out
                .push(finding(check, s, format!("`{}` {what}", s.name), None));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for yes in [
            "POSTGRES_PASSWORD",
            "JWT_SECRET",
            "GITHUB_TOKEN",
            "STRIPE_API_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "clientSecret",
            "db.password",
            "SECRET_KEY_BASE",
            "REDIS_PASS",
            "signingKey",
        ] {
            assert!(is_secret_name(yes), "{yes}");
        }
        for no in [
            "DB_PASSWORD_FILE",
            "TOKEN_TTL",
            "SECRET_NAME",
            "existingSecret",
            "PASSWORD_MIN_LENGTH",
            "CACHE_KEY",
            "AWS_ACCESS_KEY_ID",
            "STRIPE_PUBLISHABLE_KEY",
            "secretKeyRef",
            "PASSWORD_HASH",
        ] {
            assert!(!is_secret_name(no), "{no}");
        }
    }

    #[test]
    fn literals() {
        assert!(not_literal("${DB_PASSWORD}"));
        assert!(not_literal("changeme"));
        assert!(not_literal(""));
        assert!(!not_literal("s3cr3t-Value-91"));
        // Regressions from real repositories: a CI permission, a file path, a variable name.
        assert!(not_literal("write"));
        assert!(not_literal("/run/secrets/db-password"));
        assert!(not_literal("GOOGLE_API_KEY_VAL"));
        assert!(!not_literal("mysecretpassword"));
        let url = "postgres://app:hunter2@db/app"; // keyward:allow (test value)
        assert_eq!(url_password(url), Some("hunter2"));
        assert_eq!(url_password("postgres://app:${PW}@db/app"), None);
        assert_eq!(url_password("https://example.com/a:b@c"), None);
    }

    #[test]
    fn database_urls() {
        assert_eq!(
            db_engine("postgresql+psycopg2://u@h/db"),
            Some("PostgreSQL")
        );
        assert_eq!(db_engine("jdbc:mysql://h/db"), Some("MySQL"));
        assert_eq!(db_engine("redis://h"), None);
        assert_eq!(
            requires_tls("postgres://h/db?sslmode=require").map(|v| v.0),
            Some(true)
        );
        assert_eq!(
            requires_tls("postgres://h/db?sslmode=disable").map(|v| v.0),
            Some(false)
        );
        assert_eq!(
            requires_tls("jdbc:mysql://h/db?useSSL=true").map(|v| v.0),
            Some(true)
        );
        assert_eq!(
            requires_tls("mysql://h/db?ssl-mode=REQUIRED").map(|v| v.0),
            Some(true)
        );
        assert_eq!(
            requires_tls("jdbc:postgresql://h/db?ssl=true").map(|v| v.0),
            Some(true)
        );
        assert_eq!(requires_tls("postgres://h/db?connect_timeout=3"), None);
        assert_eq!(requires_tls("postgres://h/db"), None);
    }

    #[test]
    fn cors_names() {
        assert!(is_cors_name("CORS_ORIGINS"));
        assert!(is_cors_name("cors.allowed-origins"));
        assert!(is_cors_name("allowOrigins"));
        assert!(is_cors_name("Access-Control-Allow-Origin"));
        assert!(!is_cors_name("ORIGIN"));
    }
}
