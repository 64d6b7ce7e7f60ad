//! [`ServerConfig`]: the `[server]` section of keyward.toml checked and resolved (durations
//! parsed, quotas parsed, policies parsed, keys loaded, credentials read from the
//! environment), so that a server never starts on a half-understood configuration.

use crate::alerts::{AlertEvent, AlertSettings, Webhook, WebhookFormat};
use crate::backend::KvConfig;
use crate::clock::parse_duration;
use crate::jwt::{keys, JwtRole, KeyEntry};
use crate::policy::{policy_from_toml, Policy};
use crate::ratelimit::Quota;
use crate::token::TokenLimits;
use keyward_core::policy::ServerSection;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// A configuration problem, one line, naming the key.
#[derive(Debug, thiserror::Error)]
#[error("[server] {0}")]
pub struct ConfigError(pub String);

/// A KV v2 mount.
#[derive(Clone, Debug)]
pub struct Mount {
    /// Name without slashes (`secret`).
    pub name: String,
    /// Shown in `sys/mounts`.
    pub description: String,
    /// Stable accessor (`kv_…`) derived from the name.
    pub accessor: String,
    /// Engine settings declared in keyward.toml (applied at start when given).
    pub config: Option<KvConfig>,
    /// KV paths under this prefix map onto `ENV/NAME` secrets (phase 2 store mapping).
    pub env_prefix: String,
}

impl Mount {
    /// A mount with defaults.
    pub fn new(name: &str) -> Mount {
        Mount {
            name: name.to_string(),
            description: "key/value secret storage".into(),
            accessor: format!("kv_{:08x}", crc32fast::hash(name.as_bytes())),
            config: None,
            env_prefix: String::new(),
        }
    }
}

/// JWT auth settings.
#[derive(Clone, Default)]
pub struct JwtSettings {
    /// Keys from files.
    pub keys: Vec<KeyEntry>,
    /// JWKS URL.
    pub jwks_url: Option<String>,
    /// Required issuer.
    pub bound_issuer: Option<String>,
    /// Roles declared in keyward.toml.
    pub roles: BTreeMap<String, JwtRole>,
}

/// Everything a server needs to know, checked.
#[derive(Clone)]
pub struct ServerConfig {
    /// KV v2 mounts.
    pub mounts: Vec<Mount>,
    /// Token lifetimes.
    pub tokens: TokenLimits,
    /// Largest request body.
    pub max_request_bytes: usize,
    /// Quotas per token.
    pub per_token: Vec<Quota>,
    /// Quotas per address.
    pub per_address: Vec<Quota>,
    /// Shared counters (a credential: never logged).
    pub redis_url: Option<String>,
    /// Redis key prefix.
    pub redis_prefix: String,
    /// Alert thresholds.
    pub alerts: AlertSettings,
    /// Alert destinations.
    pub webhooks: Vec<Webhook>,
    /// Policies declared in keyward.toml.
    pub policies: BTreeMap<String, Policy>,
    /// The JWT auth method.
    pub jwt: JwtSettings,
    /// How often the rotation scheduler runs (`Duration::ZERO`: never).
    pub rotation_check: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            mounts: vec![Mount::new("secret")],
            tokens: TokenLimits::default(),
            max_request_bytes: 1 << 20,
            per_token: Vec::new(),
            per_address: Vec::new(),
            redis_url: None,
            redis_prefix: "keyward:rl:".into(),
            alerts: AlertSettings::default(),
            webhooks: Vec::new(),
            policies: BTreeMap::new(),
            jwt: JwtSettings::default(),
            rotation_check: Duration::from_secs(60),
        }
    }
}

fn duration(key: &str, v: &Option<String>, default: Duration) -> Result<Duration, ConfigError> {
    match v {
        None => Ok(default),
        Some(t) => parse_duration(t).ok_or_else(|| {
            ConfigError(format!(
                "{key}: invalid duration `{t}` (e.g. 30m, 768h, 90d)"
            ))
        }),
    }
}

fn read(base: &Path, p: &Path) -> Result<String, ConfigError> {
    let path = base.join(p);
    std::fs::read_to_string(&path)
        .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))
}

impl ServerConfig {
    /// Resolve a `[server]` section; relative files are read from `base`, credentials from
    /// `env`.
    pub fn from_section(
        s: &ServerSection,
        base: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<ServerConfig, ConfigError> {
        let mut c = ServerConfig::default();
        if !s.mounts.is_empty() {
            c.mounts.clear();
        }
        for (name, m) in &s.mounts {
            if name.is_empty()
                || name.contains('/')
                || ["sys", "auth", "keyward", "identity"].contains(&name.as_str())
            {
                return Err(ConfigError(format!(
                    "mounts: `{name}` is not a usable mount name"
                )));
            }
            let mut mount = Mount::new(name);
            if let Some(d) = &m.description {
                mount.description = d.clone();
            }
            if m.max_versions.is_some() || m.cas_required.is_some() {
                mount.config = Some(KvConfig {
                    max_versions: m
                        .max_versions
                        .unwrap_or(crate::backend::kv::DEFAULT_MAX_VERSIONS),
                    cas_required: m.cas_required.unwrap_or(false),
                    delete_version_after: Duration::ZERO,
                });
            }
            mount.env_prefix = m.env_prefix.clone().unwrap_or_default();
            c.mounts.push(mount);
        }
        let d = TokenLimits::default();
        c.tokens = TokenLimits {
            default_ttl: duration("tokens.default_ttl", &s.tokens.default_ttl, d.default_ttl)?,
            max_ttl: duration("tokens.max_ttl", &s.tokens.max_ttl, d.max_ttl)?,
            warn_before: duration("tokens.warn_before", &s.tokens.warn_before, d.warn_before)?,
        };
        if c.tokens.default_ttl > c.tokens.max_ttl {
            c.tokens.default_ttl = c.tokens.max_ttl;
        }
        if let Some(n) = s.limits.max_request_bytes {
            c.max_request_bytes = n;
        }
        let quotas = |scope: &str, list: &[String]| -> Result<Vec<Quota>, ConfigError> {
            list.iter()
                .map(|q| {
                    Quota::parse(scope, q)
                        .map_err(|e| ConfigError(format!("limits.per_{scope}: {e}")))
                })
                .collect()
        };
        c.per_token = quotas("token", &s.limits.per_token)?;
        c.per_address = quotas("address", &s.limits.per_address)?;
        if let Some(var) = &s.limits.redis_url_env {
            c.redis_url =
                Some(env(var).ok_or_else(|| {
                    ConfigError(format!("limits.redis_url_env: ${var} is not set"))
                })?);
        }
        if let Some(p) = &s.limits.redis_key_prefix {
            c.redis_prefix = p.clone();
        }
        c.rotation_check = duration("rotation_check", &s.rotation_check, c.rotation_check)?;
        let a = &s.alerts;
        c.alerts.failed_auth_threshold = a.failed_auth_threshold.unwrap_or(5).max(1);
        c.alerts.failed_auth_window = duration(
            "alerts.failed_auth_window",
            &a.failed_auth_window,
            Duration::from_secs(300),
        )?;
        c.alerts.first_read = a.first_read;
        for (i, w) in a.webhooks.iter().enumerate() {
            let url = match (&w.url, &w.url_env) {
                (Some(u), None) => u.clone(),
                (None, Some(var)) => env(var).ok_or_else(|| {
                    ConfigError(format!("alerts.webhooks[{i}]: ${var} is not set"))
                })?,
                _ => {
                    return Err(ConfigError(format!(
                        "alerts.webhooks[{i}]: give exactly one of `url` and `url_env`"
                    )))
                }
            };
            let format = match w.format.as_deref().unwrap_or("json") {
                "json" => WebhookFormat::Json,
                "slack" => WebhookFormat::Slack,
                other => {
                    return Err(ConfigError(format!(
                        "alerts.webhooks[{i}]: unknown format `{other}` (json, slack)"
                    )))
                }
            };
            if let Some(e) = w
                .events
                .iter()
                .find(|e| !AlertEvent::NAMES.contains(&e.as_str()))
            {
                return Err(ConfigError(format!(
                    "alerts.webhooks[{i}]: unknown event `{e}` ({})",
                    AlertEvent::NAMES.join(", ")
                )));
            }
            c.webhooks.push(Webhook {
                url,
                format,
                events: w.events.clone(),
            });
        }
        for (name, table) in &s.policies {
            if name == "root" {
                return Err(ConfigError("policies: `root` is built in".into()));
            }
            let p =
                policy_from_toml(name, table).map_err(|e| ConfigError(format!("policies: {e}")))?;
            c.policies.insert(name.clone(), p);
        }
        if let Some(j) = &s.jwt {
            c.jwt = jwt_settings(j, base)?;
        }
        Ok(c)
    }
}

fn jwt_settings(
    j: &keyward_core::policy::server::JwtSection,
    base: &Path,
) -> Result<JwtSettings, ConfigError> {
    let mut out = JwtSettings {
        jwks_url: j.jwks_url.clone(),
        bound_issuer: j.bound_issuer.clone(),
        ..JwtSettings::default()
    };
    if let Some(f) = &j.jwks_file {
        out.keys = keys::from_jwks(&read(base, f)?)
            .map_err(|e| ConfigError(format!("jwt.jwks_file: {e}")))?;
    }
    for f in &j.pem_files {
        out.keys.push(
            keys::from_pem(read(base, f)?.as_bytes())
                .map_err(|e| ConfigError(format!("jwt.pem_files {}: {e}", f.display())))?,
        );
    }
    if out.keys.is_empty() && out.jwks_url.is_none() {
        return Err(ConfigError(
            "jwt: give jwks_file, jwks_url or pem_files".into(),
        ));
    }
    for (name, r) in &j.roles {
        let ttl = duration(
            &format!("jwt.roles.{name}.token_ttl"),
            &r.token_ttl,
            Duration::from_secs(3600),
        )?;
        if r.policies.is_empty() {
            return Err(ConfigError(format!("jwt.roles.{name}: policies is empty")));
        }
        out.roles.insert(
            name.clone(),
            JwtRole {
                bound_audiences: r.bound_audiences.clone(),
                bound_subject: r.bound_subject.clone().unwrap_or_default(),
                bound_claims: r
                    .bound_claims
                    .iter()
                    .map(|(k, v)| (k.clone(), vec![v.clone()]))
                    .collect(),
                user_claim: r.user_claim.clone().unwrap_or_else(|| "sub".into()),
                token_policies: r.policies.clone(),
                token_ttl: ttl.as_secs(),
            },
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::policy::Policy;

    fn section(text: &str) -> ServerSection {
        Policy::parse(text, Path::new("keyward.toml"))
            .unwrap()
            .server
            .unwrap()
    }

    fn err(text: &str) -> String {
        ServerConfig::from_section(&section(text), Path::new("."), |_| None)
            .err()
            .expect("refused")
            .to_string()
    }

    #[test]
    fn a_full_section_resolves() {
        let s = section(
            "[server.mounts.kv]\nmax_versions = 3\nenv_prefix = \"app/\"\n[server.tokens]\nmax_ttl = \"30d\"\ndefault_ttl = \"60d\"\n[server.limits]\nper_token = [\"5/s\"]\nredis_url_env = \"R\"\n[[server.alerts.webhooks]]\nurl_env = \"W\"\nformat = \"slack\"\n",
        );
        let c = ServerConfig::from_section(&s, Path::new("."), |v| Some(format!("value-of-{v}")))
            .unwrap();
        assert_eq!(c.mounts.len(), 1);
        assert_eq!(c.mounts[0].config.as_ref().unwrap().max_versions, 3);
        assert_eq!(c.mounts[0].env_prefix, "app/");
        assert_eq!(c.tokens.max_ttl, Duration::from_secs(30 * 86400));
        assert_eq!(
            c.tokens.default_ttl, c.tokens.max_ttl,
            "default capped at max"
        );
        assert_eq!(c.redis_url.as_deref(), Some("value-of-R"));
        assert_eq!(c.webhooks[0].url, "value-of-W");
        assert_eq!(c.webhooks[0].format, WebhookFormat::Slack);
    }

    #[test]
    fn bad_values_are_one_line_errors_naming_the_key() {
        let cases = [
            (
                "[server.limits]\nper_token = [\"lots\"]\n",
                "limits.per_token: invalid quota `lots`",
            ),
            (
                "[server.tokens]\nmax_ttl = \"forever\"\n",
                "tokens.max_ttl: invalid duration `forever`",
            ),
            (
                "[server.limits]\nredis_url_env = \"NOPE\"\n",
                "$NOPE is not set",
            ),
            (
                "[[server.alerts.webhooks]]\nurl = \"http://x\"\nevents = [\"oops\"]\n",
                "unknown event `oops`",
            ),
            (
                "[[server.alerts.webhooks]]\nformat = \"json\"\n",
                "exactly one of `url` and `url_env`",
            ),
            ("[server.mounts.sys]\n", "`sys` is not a usable mount name"),
            (
                "[server.policies.root]\n\"a/*\" = [\"read\"]\n",
                "`root` is built in",
            ),
            (
                "[server.policies.p]\n\"a/*\" = [\"fly\"]\n",
                "unknown capability `fly`",
            ),
            (
                "[server.jwt]\nbound_issuer = \"x\"\n",
                "give jwks_file, jwks_url or pem_files",
            ),
            (
                "[server.jwt]\njwks_file = \"/nonexistent/jwks.json\"\n",
                "cannot read /nonexistent/jwks.json",
            ),
        ];
        for (text, want) in cases {
            let e = err(text);
            assert!(
                e.starts_with("[server] ") && e.contains(want),
                "{text:?}: {e}"
            );
            assert!(!e.contains('\n'), "one line: {e}");
        }
    }
}
