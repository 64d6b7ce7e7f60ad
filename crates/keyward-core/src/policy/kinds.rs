//! Variable kinds (`kind = "jwt-secret"`) and their defaults, taken from the reference
//! security policies: strength ("JWT secret ≥ 256 bits", "passwords of 32+ characters") and
//! rotation intervals ("JWT_SECRET: rotate every 90 days", "Database passwords: every 60
//! days", "MinIO credentials: every 90 days", "API keys: every 90 days", "Stripe keys: on
//! security incident", old Stripe key deleted "after 24h").

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a variable holds. Decides how it is checked, generated and rotated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A PostgreSQL role password.
    PostgresPassword,
    /// A Redis `requirepass` / ACL user password.
    RedisPassword,
    /// A MinIO (S3) access key or root user.
    MinioAccessKey,
    /// A MinIO (S3) secret key or root password.
    MinioSecretKey,
    /// An HMAC secret for signing JWTs (≥ 256 bits).
    JwtSecret,
    /// A Stripe secret or restricted key (`sk_…`, `rk_…`), server-side only.
    StripeSecretKey,
    /// A Stripe publishable key (`pk_…`), frontend-safe.
    StripePublishableKey,
    /// A Stripe webhook signing secret (`whsec_…`).
    StripeWebhookSecret,
    /// A database connection URL (`postgresql://user:pass@host/db?sslmode=require`).
    DatabaseUrl,
    /// A Redis connection URL (`redis://:pass@host:6379/0`).
    RedisUrl,
    /// An API key issued by or to this service.
    ApiKey,
    /// A generic service password.
    Password,
    /// A generic secret (random bytes, base64url).
    Secret,
    /// A user or role name: not secret.
    Username,
    /// Any other, non-secret value (ports, host names, feature flags).
    Plain,
}

/// How values of a kind are generated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generator {
    /// `bytes` random bytes, standard base64 with padding (`openssl rand -base64 N`).
    Base64 {
        /// Number of random bytes.
        bytes: usize,
    },
    /// `len` characters from the URL-safe alphabet `A-Za-z0-9-_`.
    UrlSafe {
        /// Number of characters.
        len: usize,
    },
    /// `len` characters from `A-Z0-9` (AWS/MinIO access-key style).
    UpperAlnum {
        /// Number of characters.
        len: usize,
    },
}

/// Defaults for a kind: whether it is secret, how strong it must be, how it is generated
/// and how often it rotates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KindDefaults {
    /// A secret: must never reach a frontend bundle, is redacted, is generated.
    pub secret: bool,
    /// Minimum length in characters (0: no minimum).
    pub min_length: usize,
    /// Minimum estimated strength in bits (0: no minimum). For `jwt-secret` this is the
    /// key size after base64/hex decoding.
    pub min_bits: u32,
    /// How to generate a value; `None` when keyward cannot (Stripe keys, URLs, names).
    pub generator: Option<Generator>,
    /// Default rotation interval in days; `None` means "on incident" or never.
    pub rotation_days: Option<u32>,
    /// Default grace period in days during which the previous value stays valid.
    pub grace_days: Option<u32>,
}

impl Kind {
    /// Every kind, in documentation order.
    pub const ALL: [Kind; 15] = [
        Kind::PostgresPassword,
        Kind::RedisPassword,
        Kind::MinioAccessKey,
        Kind::MinioSecretKey,
        Kind::JwtSecret,
        Kind::StripeSecretKey,
        Kind::StripePublishableKey,
        Kind::StripeWebhookSecret,
        Kind::DatabaseUrl,
        Kind::RedisUrl,
        Kind::ApiKey,
        Kind::Password,
        Kind::Secret,
        Kind::Username,
        Kind::Plain,
    ];

    /// The kebab-case name used in `keyward.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::PostgresPassword => "postgres-password",
            Kind::RedisPassword => "redis-password",
            Kind::MinioAccessKey => "minio-access-key",
            Kind::MinioSecretKey => "minio-secret-key",
            Kind::JwtSecret => "jwt-secret",
            Kind::StripeSecretKey => "stripe-secret-key",
            Kind::StripePublishableKey => "stripe-publishable-key",
            Kind::StripeWebhookSecret => "stripe-webhook-secret",
            Kind::DatabaseUrl => "database-url",
            Kind::RedisUrl => "redis-url",
            Kind::ApiKey => "api-key",
            Kind::Password => "password",
            Kind::Secret => "secret",
            Kind::Username => "username",
            Kind::Plain => "plain",
        }
    }

    /// The kind's defaults (see the module documentation for their sources).
    pub fn defaults(self) -> KindDefaults {
        let password = KindDefaults {
            secret: true,
            min_length: 32,
            min_bits: 128,
            generator: Some(Generator::UrlSafe { len: 32 }),
            rotation_days: Some(60),
            grace_days: Some(1),
        };
        let not_secret = KindDefaults {
            secret: false,
            min_length: 0,
            min_bits: 0,
            generator: None,
            rotation_days: None,
            grace_days: None,
        };
        let stripe = KindDefaults {
            secret: true,
            min_length: 0,
            min_bits: 0,
            generator: None,
            rotation_days: None,
            grace_days: Some(1),
        };
        match self {
            Kind::PostgresPassword | Kind::RedisPassword => password,
            Kind::Password => KindDefaults {
                rotation_days: Some(90),
                ..password
            },
            Kind::MinioSecretKey => KindDefaults {
                generator: Some(Generator::UrlSafe { len: 40 }),
                rotation_days: Some(90),
                ..password
            },
            Kind::MinioAccessKey => KindDefaults {
                secret: true,
                min_length: 8,
                min_bits: 0,
                generator: Some(Generator::UpperAlnum { len: 20 }),
                rotation_days: Some(90),
                grace_days: Some(1),
            },
            Kind::JwtSecret => KindDefaults {
                secret: true,
                min_length: 0,
                min_bits: 256,
                generator: Some(Generator::Base64 { bytes: 32 }),
                rotation_days: Some(90),
                grace_days: Some(1),
            },
            Kind::ApiKey => KindDefaults {
                generator: Some(Generator::UrlSafe { len: 40 }),
                rotation_days: Some(90),
                ..password
            },
            Kind::Secret => KindDefaults {
                generator: Some(Generator::UrlSafe { len: 43 }),
                rotation_days: Some(90),
                ..password
            },
            Kind::StripeSecretKey | Kind::StripeWebhookSecret => stripe,
            Kind::StripePublishableKey => KindDefaults {
                secret: false,
                ..stripe
            },
            Kind::DatabaseUrl | Kind::RedisUrl => KindDefaults {
                secret: true,
                rotation_days: Some(60),
                grace_days: Some(1),
                ..not_secret
            },
            Kind::Username | Kind::Plain => not_secret,
        }
    }

    /// Guess a kind from a variable name (`JWT_SECRET` → `jwt-secret`,
    /// `STRIPE_SECRET_KEY` → `stripe-secret-key`, `POSTGRES_PASSWORD` → `postgres-password`).
    /// Frontend prefixes such as `VITE_` are not stripped here.
    pub fn infer(name: &str) -> Kind {
        let n = name.to_ascii_uppercase();
        let has = |s: &str| n.contains(s);
        let ends = |s: &str| n.ends_with(s);
        if has("STRIPE") {
            if has("WEBHOOK") || has("WHSEC") || has("SIGNING") {
                return Kind::StripeWebhookSecret;
            }
            if has("PUBLISHABLE") || has("PUBLIC") || ends("_PK") {
                return Kind::StripePublishableKey;
            }
            if has("SECRET") || has("API_KEY") || has("RESTRICTED") || ends("_SK") || ends("_KEY") {
                return Kind::StripeSecretKey;
            }
        }
        if has("JWT") && (has("SECRET") || ends("_KEY")) {
            return Kind::JwtSecret;
        }
        if ends("DATABASE_URL") || ends("DB_URL") || has("POSTGRES_URL") || has("PG_URL") {
            return Kind::DatabaseUrl;
        }
        if ends("REDIS_URL") || ends("REDIS_URI") {
            return Kind::RedisUrl;
        }
        let password = has("PASSWORD") || has("PASSWD") || ends("_PASS") || ends("_PWD");
        let user = ends("_USER") || ends("USERNAME") || ends("_USER_NAME") || n == "USER";
        if has("MINIO") || has("S3_") || n.starts_with("AWS_") {
            if password || has("SECRET") {
                return Kind::MinioSecretKey;
            }
            if user || has("ACCESS_KEY") {
                return Kind::MinioAccessKey;
            }
        }
        if password {
            if has("POSTGRES") || n.starts_with("PG") || has("DATABASE") || has("DB_") {
                return Kind::PostgresPassword;
            }
            if has("REDIS") {
                return Kind::RedisPassword;
            }
            return Kind::Password;
        }
        if user {
            return Kind::Username;
        }
        if ends("API_KEY") || ends("APIKEY") || ends("_TOKEN") || ends("ACCESS_KEY") {
            return Kind::ApiKey;
        }
        if has("SECRET") || ends("_KEY") || has("PRIVATE") || has("SIGNING") || has("SALT") {
            return Kind::Secret;
        }
        Kind::Plain
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                format!("unknown kind `{s}` (expected one of {})", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infers_the_seed_variables() {
        let cases = [
            ("POSTGRES_USER", Kind::Username),
            ("POSTGRES_PASSWORD", Kind::PostgresPassword),
            ("POSTGRES_DB", Kind::Plain),
            ("REDIS_PASSWORD", Kind::RedisPassword),
            ("MINIO_ROOT_USER", Kind::MinioAccessKey),
            ("MINIO_ROOT_PASSWORD", Kind::MinioSecretKey),
            ("JWT_SECRET", Kind::JwtSecret),
            ("JWT_SECRET_KEY", Kind::JwtSecret),
            ("STRIPE_SECRET_KEY", Kind::StripeSecretKey),
            ("STRIPE_WEBHOOK_SECRET", Kind::StripeWebhookSecret),
            ("STRIPE_PUBLISHABLE_KEY", Kind::StripePublishableKey),
            ("DATABASE_URL", Kind::DatabaseUrl),
            ("REDIS_URL", Kind::RedisUrl),
            ("GITHUB_TOKEN", Kind::ApiKey),
            ("SESSION_SECRET", Kind::Secret),
            ("PORT", Kind::Plain),
        ];
        for (name, kind) in cases {
            assert_eq!(Kind::infer(name), kind, "{name}");
        }
    }

    #[test]
    fn names_round_trip() {
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>().unwrap(), k);
        }
        assert!("jwt".parse::<Kind>().is_err());
    }

    #[test]
    fn seed_defaults() {
        assert_eq!(Kind::JwtSecret.defaults().min_bits, 256);
        assert_eq!(Kind::JwtSecret.defaults().rotation_days, Some(90));
        assert_eq!(Kind::PostgresPassword.defaults().rotation_days, Some(60));
        assert_eq!(Kind::MinioSecretKey.defaults().rotation_days, Some(90));
        assert_eq!(Kind::StripeSecretKey.defaults().rotation_days, None);
        assert!(Kind::StripeSecretKey.defaults().generator.is_none());
        assert!(!Kind::StripePublishableKey.defaults().secret);
        assert!(Kind::Password.defaults().min_length >= 32);
    }
}
