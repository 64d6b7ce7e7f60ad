//! The `[server]` section: what `keyward serve` listens on, its mounts, token lifetimes,
//! rate limits, alerts, policies and JWT roles. Parsed strictly like the rest of the file.
//!
//! Secrets of the server itself (token-hash key, master key, Redis and webhook URLs that carry
//! credentials) are never written here: the section names the environment variables or files
//! that hold them.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// `[server]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    /// Address to listen on, e.g. `127.0.0.1:8200` (the default) or `0.0.0.0:8200`.
    #[serde(default)]
    pub listen: Option<String>,
    /// TLS certificate chain (PEM). With `tls_key_file`, the server speaks HTTPS only.
    #[serde(default)]
    pub tls_cert_file: Option<PathBuf>,
    /// TLS private key (PEM).
    #[serde(default)]
    pub tls_key_file: Option<PathBuf>,
    /// File holding the token-hash key (base64 of 32 bytes); else `KEYWARD_TOKEN_HASH_KEY`.
    #[serde(default)]
    pub token_hash_key_file: Option<PathBuf>,
    /// KV v2 mounts by path (`secret`); `secret` is mounted when none is declared.
    #[serde(default)]
    pub mounts: BTreeMap<String, MountSpec>,
    /// Token lifetimes.
    #[serde(default)]
    pub tokens: TokenSection,
    /// Request limits and rate limits.
    #[serde(default)]
    pub limits: LimitsSection,
    /// Webhook alerts.
    #[serde(default)]
    pub alerts: AlertsSection,
    /// ACL policies by name: API path glob → capabilities.
    #[serde(default)]
    pub policies: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// The JWT auth method (`auth/jwt/login`).
    #[serde(default)]
    pub jwt: Option<JwtSection>,
    /// How often the server runs due rotations and expired graces (`rotate --due`), as a
    /// duration (`60s` by default; `0` disables the scheduler).
    #[serde(default)]
    pub rotation_check: Option<String>,
}

/// `[server.mounts.NAME]`: one KV version 2 engine.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MountSpec {
    /// Versions kept per key (Vault's default 10; 0 = the default).
    #[serde(default)]
    pub max_versions: Option<u32>,
    /// Every write must carry `cas`.
    #[serde(default)]
    pub cas_required: Option<bool>,
    /// Free text shown in `sys/mounts`.
    #[serde(default)]
    pub description: Option<String>,
    /// KV paths under this prefix map onto keyward's `ENV/NAME` secrets as
    /// `<prefix><env>/<NAME>` (docs/server.md, "Store mapping"); default: the mount root.
    #[serde(default)]
    pub env_prefix: Option<String>,
}

/// `[server.tokens]`: lifetimes, as durations (`768h`, `90d`, `30m`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSection {
    /// TTL of a token created without one (default `768h`, Vault's).
    #[serde(default)]
    pub default_ttl: Option<String>,
    /// No token lives longer (default `90d`: the policy rotates API keys every 90 days).
    #[serde(default)]
    pub max_ttl: Option<String>,
    /// Warn in responses when a token expires within this long (default `14d`).
    #[serde(default)]
    pub warn_before: Option<String>,
}

/// `[server.limits]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    /// Largest request body in bytes (default 1 MiB).
    #[serde(default)]
    pub max_request_bytes: Option<usize>,
    /// Quotas per token, e.g. `["20/s", "5000/h"]`; every one must allow a request.
    #[serde(default)]
    pub per_token: Vec<String>,
    /// Quotas per client address.
    #[serde(default)]
    pub per_address: Vec<String>,
    /// Environment variable holding a `redis://` URL; when set, the counters are shared by
    /// every replica through that Redis.
    #[serde(default)]
    pub redis_url_env: Option<String>,
    /// Prefix of the Redis keys (default `keyward:rl:`).
    #[serde(default)]
    pub redis_key_prefix: Option<String>,
}

/// `[server.alerts]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsSection {
    /// Alert after this many failed authentications from one address or token (default 5).
    #[serde(default)]
    pub failed_auth_threshold: Option<u32>,
    /// … within this window (default `5m`).
    #[serde(default)]
    pub failed_auth_window: Option<String>,
    /// Alert the first time a token reads a secret it never read before.
    #[serde(default)]
    pub first_read: bool,
    /// Where alerts go.
    #[serde(default)]
    pub webhooks: Vec<WebhookSpec>,
}

/// `[[server.alerts.webhooks]]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSpec {
    /// The URL, when it carries no credential.
    #[serde(default)]
    pub url: Option<String>,
    /// Environment variable holding the URL (Slack webhook URLs are credentials).
    #[serde(default)]
    pub url_env: Option<String>,
    /// `json` (default) or `slack`.
    #[serde(default)]
    pub format: Option<String>,
    /// Events to send (default all): `failed-auth`, `revocation`, `rotation-failed`,
    /// `rotation-overdue`, `first-read`, `audit-verify-failed`.
    #[serde(default)]
    pub events: Vec<String>,
}

/// `[server.jwt]`: keys and roles of the JWT auth method.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtSection {
    /// A JWKS document on disk.
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    /// A JWKS URL (e.g. the cluster's `/openid/v1/jwks`), fetched and cached.
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// PEM public keys.
    #[serde(default)]
    pub pem_files: Vec<PathBuf>,
    /// Required `iss`.
    #[serde(default)]
    pub bound_issuer: Option<String>,
    /// Roles by name.
    #[serde(default)]
    pub roles: BTreeMap<String, JwtRoleSpec>,
}

/// `[server.jwt.roles.NAME]`: which tokens may log in and what they get.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtRoleSpec {
    /// `aud` must contain one of these.
    #[serde(default)]
    pub bound_audiences: Vec<String>,
    /// `sub` must equal this.
    #[serde(default)]
    pub bound_subject: Option<String>,
    /// Claims that must have these values (`/a/b` is a JSON pointer into nested claims).
    #[serde(default)]
    pub bound_claims: BTreeMap<String, String>,
    /// Claim naming the caller (default `sub`), shown as the token's display name.
    #[serde(default)]
    pub user_claim: Option<String>,
    /// Policies of the issued token.
    #[serde(default)]
    pub policies: Vec<String>,
    /// TTL of the issued token (default `1h`).
    #[serde(default)]
    pub token_ttl: Option<String>,
}

#[cfg(test)]
mod tests {
    use crate::policy::Policy;
    use std::path::Path;

    #[test]
    fn full_server_section_parses() {
        let text = r#"
[server]
listen = "0.0.0.0:8200"
tls_cert_file = "cert.pem"
tls_key_file = "key.pem"
[server.mounts.secret]
max_versions = 5
env_prefix = "app/"
[server.tokens]
max_ttl = "90d"
[server.limits]
per_token = ["20/s", "5000/h"]
per_address = ["50/s"]
redis_url_env = "KEYWARD_REDIS_URL"
[server.alerts]
failed_auth_threshold = 3
[[server.alerts.webhooks]]
url_env = "SLACK_URL"
format = "slack"
[server.policies.app-read]
"secret/data/app/*" = ["read"]
[server.jwt]
jwks_file = "jwks.json"
[server.jwt.roles.web]
bound_audiences = ["keyward"]
policies = ["app-read"]
"#;
        let p = Policy::parse(text, Path::new("keyward.toml")).unwrap();
        let s = p.server.unwrap();
        assert_eq!(s.listen.as_deref(), Some("0.0.0.0:8200"));
        assert_eq!(s.mounts["secret"].max_versions, Some(5));
        assert_eq!(s.limits.per_token, vec!["20/s", "5000/h"]);
        assert_eq!(s.policies["app-read"]["secret/data/app/*"], vec!["read"]);
        assert_eq!(s.jwt.unwrap().roles["web"].policies, vec!["app-read"]);
    }

    #[test]
    fn unknown_server_key_is_an_error_with_a_hint() {
        let err = Policy::parse("[server]\nlisten_addr = \"x\"\n", Path::new("k.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("k.toml:2:1"), "{err}");
        assert!(err.contains("did you mean `listen`"), "{err}");
        let err = Policy::parse("[server.limits]\nper_ip = []\n", Path::new("k.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("k.toml:2:1"), "{err}");
    }
}
