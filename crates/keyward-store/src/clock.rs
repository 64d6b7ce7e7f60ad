//! Timestamps: RFC 3339 UTC with milliseconds, fixed width so they sort as text.

use crate::error::{ErrorKind, Result, StoreError};
use std::time::{Duration, SystemTime};

/// Now, e.g. `2026-03-01T12:00:00.123Z`.
pub fn now() -> String {
    format(SystemTime::now())
}

/// Format a time the way the store does.
pub fn format(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

/// Parse a `--since` value: an RFC 3339 time (`2026-03-01T12:00:00Z`), a date
/// (`2026-03-01`, midnight UTC) or an age (`90m`, `24h`, `7d`) before now. Returns the
/// store's fixed-width form so it compares correctly with stored times.
pub fn parse_since(text: &str) -> Result<String> {
    let text = text.trim();
    if let Ok(age) = humantime::parse_duration(text) {
        let t = SystemTime::now()
            .checked_sub(age)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        return Ok(format(t));
    }
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_string()
    };
    humantime::parse_rfc3339_weak(&full)
        .map(format)
        .map_err(|_| {
            StoreError::new(
                ErrorKind::InvalidInput,
                format!("invalid time `{text}` (expected RFC 3339 like 2026-03-01T12:00:00Z, a date, or an age like 24h or 7d)"),
            )
        })
}

/// Days between two stored timestamps (`later - earlier`), `None` if either is malformed.
pub fn days_between(earlier: &str, later: &str) -> Option<u64> {
    let a = humantime::parse_rfc3339_weak(earlier).ok()?;
    let b = humantime::parse_rfc3339_weak(later).ok()?;
    let d = b.duration_since(a).unwrap_or(Duration::ZERO);
    Some(d.as_secs() / 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_width_and_parses() {
        let n = now();
        assert_eq!(n.len(), 24, "{n}");
        assert!(n.ends_with('Z'));
        assert_eq!(
            parse_since("2026-03-01").unwrap(),
            "2026-03-01T00:00:00.000Z"
        );
        assert_eq!(
            parse_since("2026-03-01T10:00:00Z").unwrap(),
            "2026-03-01T10:00:00.000Z"
        );
        assert!(parse_since("24h").unwrap() < n);
        assert!(parse_since("yesterday-ish").is_err());
        assert_eq!(
            days_between("2026-03-01T00:00:00Z", "2026-03-11T00:00:00Z"),
            Some(10)
        );
    }
}
