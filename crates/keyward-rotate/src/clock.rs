//! Rotation's clock: the real time, or `KEYWARD_NOW` (RFC 3339) when set, so schedules and
//! grace periods can be tested without waiting days. Times use the store's fixed-width form.

use std::time::{Duration, SystemTime};

/// The environment variable that overrides "now" (tests, dry runs of a schedule).
pub const NOW_VAR: &str = "KEYWARD_NOW";

/// Now, honouring `KEYWARD_NOW`.
pub fn now() -> SystemTime {
    std::env::var(NOW_VAR)
        .ok()
        .and_then(|t| parse(&t))
        .unwrap_or_else(SystemTime::now)
}

/// Now as stored text.
pub fn now_text() -> String {
    keyward_store::clock::format(now())
}

/// Parse an RFC 3339 time (or a `YYYY-MM-DD` date).
pub fn parse(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_string()
    };
    humantime::parse_rfc3339_weak(&full).ok()
}

/// `t` plus `days`.
pub fn add_days(t: SystemTime, days: u32) -> SystemTime {
    t + Duration::from_secs(u64::from(days) * 86_400)
}

/// Format a time as stored.
pub fn format(t: SystemTime) -> String {
    keyward_store::clock::format(t)
}

/// Whole days from `a` to `b`, negative when `b` is before `a`.
pub fn days_from(a: SystemTime, b: SystemTime) -> i64 {
    match b.duration_since(a) {
        Ok(d) => (d.as_secs() / 86_400) as i64,
        Err(e) => -((e.duration().as_secs() / 86_400) as i64),
    }
}
