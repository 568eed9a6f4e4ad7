//! A UTC calendar day: what an exemption's `expires` names, and "today"
//! (read from the clock once per run).

use std::fmt;
use std::time::SystemTime;

/// A day of the proleptic Gregorian calendar, as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(i64);

impl Day {
    /// The UTC day of `at` (a time before 1970 is 1970-01-01).
    pub fn of(at: SystemTime) -> Day {
        let secs = at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Day(i64::try_from(secs / 86_400).unwrap_or(i64::MAX))
    }

    /// Today in UTC: the clock read once.
    pub fn today() -> Day {
        Day::of(SystemTime::now())
    }

    /// `YYYY-MM-DD` (exactly: four, two and two digits, a real date).
    pub fn parse(text: &str) -> Option<Day> {
        let b = text.as_bytes();
        let digits = |r: std::ops::Range<usize>| {
            b[r.clone()]
                .iter()
                .all(u8::is_ascii_digit)
                .then(|| text[r].parse::<i64>().ok())
                .flatten()
        };
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
        if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
            return None;
        }
        Some(Day(days_from_civil(y, m, d)))
    }

    /// Days from `self` to `later` (negative when `later` is earlier).
    pub fn days_to(self, later: Day) -> i64 {
        later.0 - self.0
    }

    /// `self` plus `n` days.
    #[cfg(test)]
    pub fn plus(self, n: i64) -> Day {
        Day(self.0 + n)
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm; the
/// inverse of the library's `genauth_mfa::civil_from_days`).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = genauth_mfa::civil_from_days(self.0);
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates_read_and_print_as_yyyy_mm_dd() {
        for text in ["1970-01-01", "2000-02-29", "2026-12-31", "2027-01-01"] {
            assert_eq!(Day::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(Day::parse("1970-01-02"), Some(Day(1)));
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_120_545);
        assert_eq!(Day::of(at).to_string(), "2026-12-01");
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-1-01",
            "26-01-01",
            "2026/01/01",
            "2026-01-32",
            "",
            "2026-01-01x",
            "+026-01-01",
            "2026-04-31",
        ] {
            assert_eq!(Day::parse(bad), None, "{bad:?}");
        }
    }
}
