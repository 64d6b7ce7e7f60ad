//! `[variables.NAME.rotation]`: when and how a variable rotates, per environment.
//!
//! ```toml
//! [variables.DATABASE_PASSWORD.rotation]
//! interval_days = 60
//! grace_days = 1
//! target = { type = "postgres", role = "app", admin_url_env = "KEYWARD_PG_ADMIN_URL" }
//!
//! [variables.DATABASE_PASSWORD.rotation.environments.staging]
//! interval_days = 30
//!
//! [variables.DATABASE_PASSWORD.rotation.environments.staging.target]
//! type = "postgres"
//! role = "app_staging"
//! strategy = "alternating"
//! clone_role = "app_staging_clone"   # default `<role>_clone`; names are at most 63 bytes
//! admin_url_env = "KEYWARD_PG_ADMIN_URL"
//! ```
//!
//! A target's admin credentials come from an environment variable (`admin_url_env`) or
//! from the store (`admin_url_secret = "ENV/NAME"`), never from the file: there is no key
//! that could hold them, and unknown keys are an error.

use super::kinds::Kind;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Rotation settings of one variable, with per-environment overrides.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationSpec {
    /// Days between rotations; default from the kind. `0` disables scheduled rotation.
    #[serde(default)]
    pub interval_days: Option<u32>,
    /// Days the previous value stays valid after a rotation; default from the kind.
    #[serde(default)]
    pub grace_days: Option<u32>,
    /// Where the value is rotated; default from the kind (`jwt` for `jwt-secret`,
    /// `manual` for Stripe keys, none otherwise).
    #[serde(default)]
    pub target: Option<TargetSpec>,
    /// Overrides for single environments (`[….rotation.environments.production]`).
    #[serde(default)]
    pub environments: BTreeMap<String, RotationOverride>,
}

/// Per-environment overrides of a [`RotationSpec`]; unset fields inherit.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationOverride {
    /// Days between rotations.
    #[serde(default)]
    pub interval_days: Option<u32>,
    /// Grace period in days.
    #[serde(default)]
    pub grace_days: Option<u32>,
    /// The target in this environment.
    #[serde(default)]
    pub target: Option<TargetSpec>,
}

/// Where the admin credentials of a target come from. Exactly one must be given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminSource {
    /// Name of an environment variable holding the admin URL.
    #[serde(default)]
    pub admin_url_env: Option<String>,
    /// `ENV/NAME` of a store secret holding the admin URL.
    #[serde(default)]
    pub admin_url_secret: Option<String>,
}

/// How a PostgreSQL password is rotated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PgStrategy {
    /// One login role; its password changes and the old one stops at once.
    #[default]
    Single,
    /// Two login roles sharing a group role; rotation changes the idle one and flips
    /// which is current, so the old login keeps working through the grace period.
    Alternating,
}

/// A rotation target (`target = { type = "…", … }`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum TargetSpec {
    /// A PostgreSQL login role (`ALTER ROLE … PASSWORD`).
    Postgres {
        /// The login role.
        role: String,
        /// `single` (default) or `alternating`.
        #[serde(default)]
        strategy: PgStrategy,
        /// The second login role for `alternating` (default `<role>_clone`).
        #[serde(default)]
        clone_role: Option<String>,
        /// Environment variable with the admin URL.
        #[serde(default)]
        admin_url_env: Option<String>,
        /// Store secret (`ENV/NAME`) with the admin URL.
        #[serde(default)]
        admin_url_secret: Option<String>,
    },
    /// A Redis ACL user (`ACL SETUSER u >new`, later `<old`).
    Redis {
        /// The ACL user.
        user: String,
        /// Environment variable with the admin URL (`redis://[:pass@]host:port`).
        #[serde(default)]
        admin_url_env: Option<String>,
        /// Store secret (`ENV/NAME`) with the admin URL.
        #[serde(default)]
        admin_url_secret: Option<String>,
    },
    /// A JWT signing keyring kept in the store (current + previous during the grace).
    Jwt {},
    /// User commands, run with `sh -c`; the value arrives on stdin, never in argv.
    Command {
        /// Applies the new value (stdin: the new value).
        #[serde(default)]
        set: Option<String>,
        /// Checks the new value works (stdin: the new value).
        #[serde(default)]
        test: Option<String>,
        /// Retires the old value after the grace (stdin: the old value).
        #[serde(default)]
        finish: Option<String>,
        /// Undoes `set` when `test` fails (stdin: the old value).
        #[serde(default)]
        rollback: Option<String>,
        /// Seconds each command may run (default 60).
        #[serde(default)]
        timeout_secs: Option<u64>,
    },
    /// Nothing keyward can drive (Stripe): a task with steps, closed by
    /// `keyward rotate confirm ENV/NAME`.
    Manual {
        /// The steps to follow; default from the reference policy for the kind.
        #[serde(default)]
        steps: Vec<String>,
    },
}

impl TargetSpec {
    /// `postgres`, `redis`, `jwt`, `command` or `manual`.
    pub fn type_name(&self) -> &'static str {
        match self {
            TargetSpec::Postgres { .. } => "postgres",
            TargetSpec::Redis { .. } => "redis",
            TargetSpec::Jwt {} => "jwt",
            TargetSpec::Command { .. } => "command",
            TargetSpec::Manual { .. } => "manual",
        }
    }

    /// The admin credential source of a postgres or redis target.
    pub fn admin(&self) -> Option<AdminSource> {
        match self {
            TargetSpec::Postgres {
                admin_url_env,
                admin_url_secret,
                ..
            }
            | TargetSpec::Redis {
                admin_url_env,
                admin_url_secret,
                ..
            } => Some(AdminSource {
                admin_url_env: admin_url_env.clone(),
                admin_url_secret: admin_url_secret.clone(),
            }),
            _ => None,
        }
    }

    /// The target used when none is configured: `jwt` for JWT secrets, `manual` for
    /// Stripe keys, none otherwise.
    pub fn default_for(kind: Kind) -> Option<TargetSpec> {
        match kind {
            Kind::JwtSecret => Some(TargetSpec::Jwt {}),
            Kind::StripeSecretKey | Kind::StripeWebhookSecret => {
                Some(TargetSpec::Manual { steps: Vec::new() })
            }
            _ => None,
        }
    }

    fn validate(&self, at: &str) -> Result<(), String> {
        if let Some(admin) = self.admin() {
            match (&admin.admin_url_env, &admin.admin_url_secret) {
                (Some(_), Some(_)) | (None, None) => {
                    return Err(format!(
                        "{at}: give exactly one of admin_url_env (an environment variable name) or admin_url_secret (a store path ENV/NAME); admin credentials never go in keyward.toml"
                    ))
                }
                (Some(var), None) if !is_var_name(var) => {
                    return Err(format!("{at}.admin_url_env must name an environment variable, not hold a value"))
                }
                (None, Some(p)) if !p.split_once('/').is_some_and(|(e, n)| !e.is_empty() && is_var_name(n)) => {
                    return Err(format!("{at}.admin_url_secret must be a store path ENV/NAME"))
                }
                _ => {}
            }
        }
        match self {
            TargetSpec::Postgres {
                role,
                clone_role,
                strategy,
                ..
            } => {
                for r in std::iter::once(role).chain(clone_role) {
                    if !is_var_name(r) {
                        return Err(format!(
                            "{at}: `{r}` is not a plain role name (letters, digits, `_`)"
                        ));
                    }
                    if r.len() > PG_MAX_IDENT {
                        return Err(format!(
                            "{at}: role name `{r}` is {} bytes; PostgreSQL truncates identifiers to {PG_MAX_IDENT}",
                            r.len()
                        ));
                    }
                }
                // The default second login role is `<role>_clone`: it must fit too, or
                // PostgreSQL would silently truncate it (and maybe collide with `role`).
                if *strategy == PgStrategy::Alternating && clone_role.is_none() {
                    let clone = format!("{role}{CLONE_SUFFIX}");
                    if clone.len() > PG_MAX_IDENT {
                        return Err(format!(
                            "{at}: the default clone role `{clone}` would be {} bytes, over PostgreSQL's {PG_MAX_IDENT}-byte limit; shorten `role` to at most {} bytes or set `clone_role`",
                            clone.len(),
                            PG_MAX_IDENT - CLONE_SUFFIX.len()
                        ));
                    }
                }
                if clone_role.as_ref() == Some(role) {
                    return Err(format!("{at}: `clone_role` must differ from `role`"));
                }
            }
            TargetSpec::Redis { user, .. }
                if user.is_empty() || user.contains(char::is_whitespace) =>
            {
                return Err(format!("{at}: redis user must be a non-empty word"));
            }
            TargetSpec::Command { set, .. } if set.is_none() => {
                return Err(format!("{at}: a command target needs at least `set`"));
            }
            _ => {}
        }
        Ok(())
    }
}

fn is_var_name(s: &str) -> bool {
    !s.is_empty()
        && !s.as_bytes()[0].is_ascii_digit()
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// PostgreSQL's identifier limit in bytes (NAMEDATALEN - 1).
const PG_MAX_IDENT: usize = 63;

/// The default `clone_role` is the role plus this.
pub const CLONE_SUFFIX: &str = "_clone";

/// The rotation settings that apply to one variable in one environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EffectiveRotation {
    /// Days between rotations; `None` when the variable rotates only on demand.
    pub interval_days: Option<u32>,
    /// Grace period in days.
    pub grace_days: u32,
    /// The target, if any.
    pub target: Option<TargetSpec>,
}

impl RotationSpec {
    /// The settings for environment `env`, falling back to the kind's defaults.
    pub fn effective(spec: Option<&RotationSpec>, kind: Kind, env: &str) -> EffectiveRotation {
        let d = kind.defaults();
        let over = spec.and_then(|s| s.environments.get(env));
        let pick = |o: Option<u32>, s: Option<u32>| o.or(s);
        let interval = pick(
            over.and_then(|o| o.interval_days),
            spec.and_then(|s| s.interval_days),
        )
        .or(d.rotation_days)
        .filter(|d| *d > 0);
        let grace = pick(
            over.and_then(|o| o.grace_days),
            spec.and_then(|s| s.grace_days),
        )
        .or(d.grace_days)
        .unwrap_or(0);
        let target = over
            .and_then(|o| o.target.clone())
            .or_else(|| spec.and_then(|s| s.target.clone()))
            .or_else(|| TargetSpec::default_for(kind));
        EffectiveRotation {
            interval_days: interval,
            grace_days: grace,
            target,
        }
    }

    /// The environment variables this spec names for admin credentials (all
    /// environments).
    pub fn admin_env_vars(&self) -> Vec<String> {
        std::iter::once(self.target.as_ref())
            .chain(self.environments.values().map(|o| o.target.as_ref()))
            .flatten()
            .filter_map(|t| t.admin().and_then(|a| a.admin_url_env))
            .collect()
    }

    /// Cross-field checks (admin credential sources, role names).
    pub fn validate(&self, variable: &str) -> Result<(), String> {
        let at = format!("variables.{variable}.rotation");
        if let Some(t) = &self.target {
            t.validate(&format!("{at}.target"))?;
        }
        for (env, o) in &self.environments {
            if let Some(t) = &o.target {
                t.validate(&format!("{at}.environments.{env}.target"))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RotationSpec, String> {
        let spec: RotationSpec = toml::from_str(text).map_err(|e| e.to_string())?;
        spec.validate("X")?;
        Ok(spec)
    }

    #[test]
    fn per_environment_override_and_kind_defaults() {
        let s = parse(
            "interval_days = 60\ntarget = { type = \"redis\", user = \"app\", admin_url_env = \"REDIS_ADMIN\" }\n[environments.staging]\ninterval_days = 7\ngrace_days = 0\n",
        )
        .unwrap();
        let prod = RotationSpec::effective(Some(&s), Kind::RedisPassword, "production");
        assert_eq!(prod.interval_days, Some(60));
        assert_eq!(prod.grace_days, 1);
        assert_eq!(prod.target.unwrap().type_name(), "redis");
        let stg = RotationSpec::effective(Some(&s), Kind::RedisPassword, "staging");
        assert_eq!((stg.interval_days, stg.grace_days), (Some(7), 0));
        let jwt = RotationSpec::effective(None, Kind::JwtSecret, "production");
        assert_eq!(
            (jwt.interval_days, jwt.target),
            (Some(90), Some(TargetSpec::Jwt {}))
        );
        let stripe = RotationSpec::effective(None, Kind::StripeSecretKey, "production");
        assert_eq!(stripe.interval_days, None);
        assert_eq!(stripe.target.unwrap().type_name(), "manual");
    }

    #[test]
    fn admin_credentials_never_in_the_file() {
        let err = parse(
            "target = { type = \"postgres\", role = \"app\", admin_url = \"postgres://x:y@h\" }",
        )
        .unwrap_err();
        assert!(err.contains("admin_url"), "{err}");
        let err = parse("target = { type = \"postgres\", role = \"app\" }").unwrap_err();
        assert!(err.contains("exactly one"), "{err}");
        let err =
            parse("target = { type = \"redis\", user = \"u\", admin_url_env = \"redis://:pw@h\" }")
                .unwrap_err();
        assert!(err.contains("environment variable"), "{err}");
        assert!(parse("target = { type = \"postgres\", role = \"app\", admin_url_secret = \"production/PG_ADMIN\" }").is_ok());
    }

    #[test]
    fn default_clone_role_over_63_bytes_is_rejected() {
        let target = |role: &str, extra: &str| {
            format!("target = {{ type = \"postgres\", role = \"{role}\", strategy = \"alternating\", admin_url_env = \"A\"{extra} }}")
        };
        // 57 + `_clone` = 63: fits.
        assert!(parse(&target(&"r".repeat(57), "")).is_ok());
        // 58 + `_clone` = 64: PostgreSQL would truncate it.
        let err = parse(&target(&"r".repeat(58), "")).unwrap_err();
        assert!(
            err.contains("default clone role") && err.contains("63") && err.contains("clone_role"),
            "{err}"
        );
        // An explicit clone role of its own length is fine…
        assert!(parse(&target(&"r".repeat(63), ", clone_role = \"app_b\"")).is_ok());
        // …but each name is limited, and per-environment targets are checked too.
        let err = parse(&target(&"r".repeat(64), ", clone_role = \"app_b\"")).unwrap_err();
        assert!(err.contains("64 bytes"), "{err}");
        let err = parse(&format!(
            "[environments.staging]\n{}",
            target(&"s".repeat(60), "")
        ))
        .unwrap_err();
        assert!(err.contains("environments.staging"), "{err}");
        // Single strategy never uses a clone role.
        assert!(parse(&format!(
            "target = {{ type = \"postgres\", role = \"{}\", admin_url_env = \"A\" }}",
            "r".repeat(63)
        ))
        .is_ok());
        assert!(parse(&target("app", ", clone_role = \"app\"")).is_err());
    }

    #[test]
    fn strict_parsing() {
        assert!(parse("intervl_days = 3").is_err());
        assert!(parse("target = { type = \"ldap\" }").is_err());
        assert!(parse("target = { type = \"command\", set = \"x\", sett = \"y\" }").is_err());
        assert!(parse("target = { type = \"command\" }").is_err());
        assert!(parse(
            "target = { type = \"postgres\", role = \"a; drop\", admin_url_env = \"A\" }"
        )
        .is_err());
    }
}
