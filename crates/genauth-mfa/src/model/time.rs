//! Times as text: the one civil-date conversion the crate, its fake and
//! its tool share (no date crate for one function).

/// `secs` after the Unix epoch in UTC as `YYYY-MM-DDTHH:MM:SSZ`, or with
/// `millis` as `YYYY-MM-DDTHH:MM:SS.mmmZ`. Years past 9999 are written
/// with more digits.
///
/// ```
/// assert_eq!(genauth_mfa::iso8601_utc(0, None), "1970-01-01T00:00:00Z");
/// assert_eq!(
///     genauth_mfa::iso8601_utc(1_764_584_545, Some(7)),
///     "2025-12-01T10:22:25.007Z"
/// );
/// ```
#[doc(hidden)]
#[must_use]
pub fn iso8601_utc(secs: u64, millis: Option<u32>) -> String {
    // Every u64 of seconds is fewer than i64::MAX days.
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let rest = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    let time = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    );
    match millis {
        Some(ms) => format!("{time}.{:03}Z", ms % 1000),
        None => format!("{time}Z"),
    }
}

/// The civil date (year, month, day) of `days` after 1970-01-01, before it
/// when negative (Howard Hinnant's `civil_from_days`).
///
/// ```
/// assert_eq!(genauth_mfa::civil_from_days(0), (1970, 1, 1));
/// assert_eq!(genauth_mfa::civil_from_days(-1), (1969, 12, 31));
/// assert_eq!(genauth_mfa::civil_from_days(11_016), (2000, 2, 29));
/// ```
#[doc(hidden)]
#[must_use]
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::iso8601_utc;

    #[test]
    fn civil_dates_across_leap_years_and_centuries() {
        assert_eq!(iso8601_utc(951_782_400, None), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601_utc(4_107_542_399, None), "2100-02-28T23:59:59Z");
        assert_eq!(iso8601_utc(4_107_542_400, None), "2100-03-01T00:00:00Z");
        assert_eq!(
            iso8601_utc(253_402_300_799, Some(999)),
            "9999-12-31T23:59:59.999Z"
        );
    }
}
