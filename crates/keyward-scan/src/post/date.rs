//! Calendar dates without a date library: `YYYY-MM-DD` parsing and today's date (UTC).

/// A calendar day, comparable (`(year, month, day)`).
pub type Day = (i32, u32, u32);

/// Parse `YYYY-MM-DD`.
pub fn parse_day(s: &str) -> Option<Day> {
    let mut it = s.trim().splitn(3, '-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let day: Day = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    ((1..=12).contains(&day.1) && (1..=31).contains(&day.2)).then_some(day)
}

/// The civil date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> Day {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
    (y, m, d)
}

/// Today in UTC.
pub fn today() -> Day {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    civil_from_days(secs.div_euclid(86_400))
}

/// `YYYY-MM-DD`.
pub fn format_day(d: Day) -> String {
    format!("{:04}-{:02}-{:02}", d.0, d.1, d.2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn parses_only_iso_days() {
        assert_eq!(parse_day("2025-03-09"), Some((2025, 3, 9)));
        assert_eq!(parse_day("2025-3-9"), None);
        assert_eq!(parse_day("2025-13-01"), None);
        assert!(parse_day("2024-01-02") > parse_day("2024-01-01"));
    }
}
