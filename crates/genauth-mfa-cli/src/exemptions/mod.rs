//! `--exemptions FILE`: users who meet `--require` (and
//! `--require-admins`) without MFA until a date, each with a reason and an
//! owner. An expired exemption covers nobody and is named on stderr; an
//! exemption for a user the audit did not see is stale: counted as an
//! unknown user and named on stderr.
//!
//! The file is read whole before any request ([`Exemptions::read`]); a
//! malformed one is a setup error naming its line. "Today" is read from
//! the clock once per run ([`Day::today`]) and passed in.

mod day;
mod read;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

pub use day::Day;
pub(crate) use day::days_from_civil;

use crate::exit::say;
use crate::row::clean;

/// The most users named in one stderr line (expired, stale); the others
/// are counted ("and 12 more").
const NAMED: usize = 10;

/// One user's exemption on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExemptionState {
    /// It holds (today is on or before `expires`).
    Active { expires: Day },
    /// It held until `expires`, before today: it covers nobody.
    Expired { expires: Day },
}

impl ExemptionState {
    /// Whether it covers the user today.
    pub fn is_active(self) -> bool {
        matches!(self, ExemptionState::Active { .. })
    }

    /// The last day it holds.
    pub fn expires(self) -> Day {
        match self {
            ExemptionState::Active { expires } | ExemptionState::Expired { expires } => expires,
        }
    }
}

/// One line of the file.
#[derive(Debug)]
pub struct Entry {
    expires: Day,
    owner: String,
    line: u64,
    /// Whether the audit saw the user (gave them a row).
    seen: AtomicBool,
}

/// The exemptions of `--exemptions FILE`, by user id.
#[derive(Debug)]
pub struct Exemptions {
    entries: HashMap<String, Entry>,
}

/// What the summary says of the exemptions: the users the audit saw with an
/// exemption that holds, or has expired, and the entries for users it did
/// not see (the first [`NAMED`] of them in file order named).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExemptionCounts {
    pub active: u64,
    pub expired: u64,
    pub unknown_users: u64,
    /// The stale entries (users the audit did not see), at most [`NAMED`],
    /// in file order.
    pub stale: Vec<StaleEntry>,
}

/// An entry of the file for a user the audit did not see.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StaleEntry {
    pub user_id: String,
    pub owner: String,
    /// The last day it holds (`YYYY-MM-DD`).
    pub expires: String,
    /// Its line in the file.
    pub line: u64,
}

impl Exemptions {
    /// Reads `path` whole, or says which line is wrong.
    pub fn read(path: &Path) -> Result<Exemptions, String> {
        read::read(path).map(|entries| Exemptions { entries })
    }

    /// `user_id`'s exemption on `today`, if the file has one.
    pub fn exempt(&self, user_id: &str, today: Day) -> Option<ExemptionState> {
        let expires = self.entries.get(user_id)?.expires;
        Some(if today <= expires {
            ExemptionState::Active { expires }
        } else {
            ExemptionState::Expired { expires }
        })
    }

    /// As [`exempt`](Self::exempt), and remembers that the audit saw the
    /// user (an entry never seen is stale).
    pub fn saw(&self, user_id: &str, today: Day) -> Option<ExemptionState> {
        let entry = self.entries.get(user_id)?;
        entry.seen.store(true, Ordering::Relaxed);
        self.exempt(user_id, today)
    }

    /// The counts for the summary.
    pub fn counts(&self, today: Day) -> ExemptionCounts {
        let mut counts = ExemptionCounts::default();
        for (id, entry) in &self.entries {
            if !entry.seen.load(Ordering::Relaxed) {
                counts.unknown_users += 1;
                counts.stale.push(StaleEntry {
                    user_id: id.clone(),
                    owner: entry.owner.clone(),
                    expires: entry.expires.to_string(),
                    line: entry.line,
                });
                // Keeps the first NAMED by line, whatever the map's order.
                if counts.stale.len() > NAMED {
                    counts.stale.sort_by_key(|e| e.line);
                    counts.stale.truncate(NAMED);
                }
            } else if today <= entry.expires {
                counts.active += 1;
            } else {
                counts.expired += 1;
            }
        }
        counts.stale.sort_by_key(|e| e.line);
        counts
    }

    /// On stderr: the expired exemptions of users the audit saw, and the
    /// stale entries (users it did not see), each at most [`NAMED`] by name.
    pub fn report(&self, today: Day) {
        let mut expired = Vec::new();
        let mut stale = Vec::new();
        for (id, entry) in &self.entries {
            if !entry.seen.load(Ordering::Relaxed) {
                stale.push((entry.line, clean(id, 80)));
            } else if entry.expires < today {
                let about = format!(
                    "{} (expired {}, owner {}, line {})",
                    clean(id, 80),
                    entry.expires,
                    entry.owner,
                    entry.line
                );
                expired.push((entry.line, about));
            }
        }
        if !expired.is_empty() {
            say(format_args!(
                "exemptions expired (they cover nobody; renew or remove them): {}",
                named(expired)
            ));
        }
        if !stale.is_empty() {
            say(format_args!(
                "exemptions for users this audit did not see (stale entries, counted as \
                 unknownUsers): {}",
                named(stale)
            ));
        }
    }
}

/// At most [`NAMED`] of `items` in file order, then "and N more".
fn named(mut items: Vec<(u64, String)>) -> String {
    items.sort();
    let more = items.len().saturating_sub(NAMED);
    let mut text: Vec<String> = items.into_iter().take(NAMED).map(|(_, s)| s).collect();
    if more > 0 {
        text.push(format!("and {more} more"));
    }
    text.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> Result<Exemptions, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("exemptions.csv");
        std::fs::write(&path, text).unwrap();
        Exemptions::read(&path)
    }

    #[test]
    fn an_exemption_holds_through_its_last_day() {
        let ex =
            file("# break-glass\n\nowner,userId,expires,reason\nbob,u1,2026-12-31,sso\n").unwrap();
        let last = Day::parse("2026-12-31").unwrap();
        assert_eq!(
            ex.exempt("u1", last),
            Some(ExemptionState::Active { expires: last })
        );
        assert_eq!(
            ex.exempt("u1", last.plus(1)),
            Some(ExemptionState::Expired { expires: last })
        );
        assert_eq!(ex.exempt("u2", last), None);
        assert_eq!(ex.counts(last).unknown_users, 1);
        assert!(ex.saw("u1", last).is_some_and(ExemptionState::is_active));
        assert_eq!(ex.counts(last.plus(1)).expired, 1);
    }

    #[test]
    fn a_malformed_file_names_its_line() {
        let head = "userId,reason,owner,expires\n";
        for (text, line, what) in [
            (
                "userId,reason,expires\nu1,r,2026-01-01\n",
                1,
                "lacks the column owner",
            ),
            (&*format!("{head}u1,r,o\n"), 2, "3 fields"),
            (&*format!("{head}# c\nu1,r,o,2026-02-30\n"), 3, "not a date"),
            (
                &*format!("{head}u1,r,o,2026-01-01\n\nu1,r,o,2026-01-02\n"),
                4,
                "twice (line 2",
            ),
            (&*format!("{head}u1, ,o,2026-01-01\n"), 2, "reason is empty"),
            (&*format!("{head}u1,r,,2026-01-01\n"), 2, "owner is empty"),
            (&*format!("{head},r,o,2026-01-01\n"), 2, "userId is empty"),
        ] {
            let err = file(text).unwrap_err();
            assert!(err.contains(&format!("line {line}: ")), "{text:?}: {err}");
            assert!(err.contains(what), "{text:?}: {err}");
        }
        assert!(
            file("# only a comment\n")
                .unwrap_err()
                .contains("no header")
        );
    }

    #[test]
    fn long_lists_are_bounded() {
        let items = (0..15).map(|i| (i, format!("u{i}"))).collect();
        let text = named(items);
        assert!(text.ends_with("u9, and 5 more"), "{text}");
    }
}
