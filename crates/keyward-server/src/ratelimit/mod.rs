//! Rate limits: GCRA (the generic cell rate algorithm) per token and per client address,
//! with several windows each (`20/s` and `5000/h`). A request passes only if every quota
//! that applies allows it, and then it is charged to all of them at once (all or nothing).
//! Counters live in this process ([`gcra::LocalGcra`]) or, with several replicas, in Redis
//! ([`redis::RedisGcra`], the same arithmetic in a Lua script with Redis's clock).

pub mod gcra;
pub mod redis;

use axum::http::{HeaderMap, HeaderValue};
use std::time::Duration;

/// One quota: `limit` requests per `window`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quota {
    /// Name in the `RateLimit-Policy` header (`token-1s`).
    pub name: String,
    /// Requests allowed per window (also the burst).
    pub limit: u32,
    /// The window.
    pub window: Duration,
}

impl Quota {
    /// Parse `N/s`, `N/m`, `N/h`, `N/d` or `N/<duration>` (`5/30s`); `scope` prefixes the name.
    pub fn parse(scope: &str, text: &str) -> Result<Quota, String> {
        let bad =
            || format!("invalid quota `{text}` (expected N/s, N/m, N/h, N/d or N/<duration>)");
        let (n, per) = text.split_once('/').ok_or_else(bad)?;
        let limit: u32 = n.trim().parse().map_err(|_| bad())?;
        let window = match per.trim() {
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            "d" => Duration::from_secs(86400),
            other => crate::clock::parse_duration(other).ok_or_else(bad)?,
        };
        if limit == 0 || window.is_zero() {
            return Err(bad());
        }
        Ok(Quota {
            name: format!("{scope}-{}s", window.as_secs().max(1)),
            limit,
            window,
        })
    }

    /// GCRA emission interval: the window divided by the limit.
    pub fn interval(&self) -> Duration {
        self.window / self.limit
    }
}

/// The state of one quota after a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotaState {
    /// Which quota.
    pub quota: Quota,
    /// Requests still allowed right now.
    pub remaining: u32,
    /// Seconds until the quota is fully replenished.
    pub reset: u64,
}

/// The outcome of a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// When refused: how long until it would be allowed.
    pub retry_after: Duration,
    /// Every quota checked.
    pub states: Vec<QuotaState>,
}

impl Decision {
    /// No quota applies.
    pub fn unlimited() -> Decision {
        Decision {
            allowed: true,
            retry_after: Duration::ZERO,
            states: Vec::new(),
        }
    }

    /// Add `RateLimit-Policy`, `RateLimit` (IETF httpapi draft, structured fields: the most
    /// constrained quota) and, when refused, `Retry-After` (whole seconds, at least 1).
    pub fn headers(&self, h: &mut HeaderMap) {
        if self.states.is_empty() {
            return;
        }
        let policy = self
            .states
            .iter()
            .map(|s| {
                format!(
                    "\"{}\";q={};w={}",
                    s.quota.name,
                    s.quota.limit,
                    s.quota.window.as_secs().max(1)
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let tight = self
            .states
            .iter()
            .min_by_key(|s| s.remaining)
            .expect("non-empty");
        let now = format!(
            "\"{}\";r={};t={}",
            tight.quota.name, tight.remaining, tight.reset
        );
        for (name, v) in [("ratelimit-policy", policy), ("ratelimit", now)] {
            if let Ok(v) = HeaderValue::from_str(&v) {
                h.append(name, v);
            }
        }
        if !self.allowed {
            let secs = self.retry_after.as_secs() + u64::from(self.retry_after.subsec_nanos() > 0);
            h.insert("retry-after", HeaderValue::from(secs.max(1)));
        }
    }
}

/// Where counters live.
pub enum Limiter {
    /// In this process.
    Local(gcra::LocalGcra),
    /// In Redis, shared by replicas; falls back to `fallback` when Redis fails.
    Redis {
        /// The shared counters.
        redis: redis::RedisGcra,
        /// Used while Redis is unreachable.
        fallback: gcra::LocalGcra,
    },
}

impl Limiter {
    /// Check and charge `key` (e.g. `addr:127.0.0.1`) against `quotas`.
    pub async fn check(&self, key: &str, quotas: &[Quota]) -> Decision {
        if quotas.is_empty() {
            return Decision::unlimited();
        }
        match self {
            Limiter::Local(l) => l.check(key, quotas, std::time::Instant::now()),
            Limiter::Redis { redis, fallback } => match redis.check(key, quotas).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(error = %e, "redis rate limiter unavailable; limiting in this process");
                    fallback.check(key, quotas, std::time::Instant::now())
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_parse() {
        let q = Quota::parse("token", "20/s").unwrap();
        assert_eq!(
            (q.limit, q.window, q.name.as_str()),
            (20, Duration::from_secs(1), "token-1s")
        );
        assert_eq!(
            Quota::parse("a", "5000/h").unwrap().window,
            Duration::from_secs(3600)
        );
        assert_eq!(
            Quota::parse("a", "5/30s").unwrap().window,
            Duration::from_secs(30)
        );
        assert!(Quota::parse("a", "0/s").is_err());
        assert!(Quota::parse("a", "ten/s").is_err());
        assert!(Quota::parse("a", "10/fortnight").is_err());
    }

    #[test]
    fn headers_name_every_policy_and_the_tightest_state() {
        let q1 = Quota::parse("token", "2/s").unwrap();
        let q2 = Quota::parse("token", "100/h").unwrap();
        let d = Decision {
            allowed: false,
            retry_after: Duration::from_millis(300),
            states: vec![
                QuotaState {
                    quota: q1,
                    remaining: 0,
                    reset: 1,
                },
                QuotaState {
                    quota: q2,
                    remaining: 97,
                    reset: 108,
                },
            ],
        };
        let mut h = HeaderMap::new();
        d.headers(&mut h);
        assert_eq!(
            h["ratelimit-policy"],
            "\"token-1s\";q=2;w=1, \"token-3600s\";q=100;w=3600"
        );
        assert_eq!(h["ratelimit"], "\"token-1s\";r=0;t=1");
        assert_eq!(h["retry-after"], "1");
    }
}
