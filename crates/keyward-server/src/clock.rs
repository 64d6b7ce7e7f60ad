//! [`Clock`]: the server's time, which tests can move forward (token expiry, windows).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Wall-clock time plus an offset that only tests change.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicU64>,
}

impl Clock {
    /// Now.
    pub fn now(&self) -> SystemTime {
        SystemTime::now() + Duration::from_secs(self.offset_secs.load(Ordering::Relaxed))
    }

    /// Move this clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        self.offset_secs.fetch_add(by.as_secs(), Ordering::Relaxed);
    }
}

/// Seconds from `a` to `b`, 0 when `b` is earlier.
pub fn secs_between(a: SystemTime, b: SystemTime) -> u64 {
    b.duration_since(a).map_or(0, |d| d.as_secs())
}

/// RFC 3339 UTC with nanoseconds, as Vault prints times.
pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_nanos(t).to_string()
}

/// Unix seconds.
pub fn unix(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Parse a Vault duration: an integer number of seconds (`3600`, `"3600"`) or a duration
/// string (`30m`, `768h`, `90d`, `1h30m`).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(secs) = t.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    humantime::parse_duration(t).ok()
}

/// A JSON duration value (number of seconds or string).
pub fn json_duration(v: &serde_json::Value) -> Option<Duration> {
    match v {
        serde_json::Value::Number(n) => n.as_u64().map(Duration::from_secs),
        serde_json::Value::String(s) => parse_duration(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_vault_forms() {
        assert_eq!(parse_duration("3600"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("30m"), Some(Duration::from_secs(1800)));
        assert_eq!(parse_duration("90d"), Some(Duration::from_secs(90 * 86400)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(
            json_duration(&serde_json::json!(60)),
            Some(Duration::from_secs(60))
        );
    }
}
