//! The audit output read as a stream, row by row through the tool's row
//! model (the reader `diff` uses): counts, and the top [`TOP`] users
//! without MFA (admins first, then the most recent `lastLogin`). Memory
//! stays flat however long the output: a bounded heap and counters.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use super::admins::AdminsFailing;
use super::expiring::Expiring;
use crate::diff::rows::Rows;
use crate::exemptions::Day;
use crate::exit::{EXIT_INTERRUPTED, Failure};
use crate::interrupt::Interrupt;
use crate::row::{About, Row};

/// The most users listed in the page's table.
pub const TOP: usize = 1000;
/// The most error kinds counted apart (the rest as `other`).
const MAX_KINDS: usize = 16;
/// How often (in rows) the loop looks at the interrupt.
const CHECK_EVERY: u64 = 4096;

/// The factors in the summary's order (`enabled.totp`, ...).
pub const FACTORS: [&str; 4] = ["totp", "sms", "email", "face"];

/// A user listed in the table, as the row shows them.
#[derive(Debug, PartialEq, Eq)]
pub struct Listed {
    /// `Some(true)` for an admin; `None` when the output does not say.
    pub admin: Option<bool>,
    pub last_login: Option<String>,
    pub user_id: String,
    pub username: Option<String>,
    pub email: Option<String>,
    pub status: Option<String>,
    /// The factors the user has enabled (that the pool may not ask for).
    pub factors: Vec<&'static str>,
}

impl Listed {
    /// Admins first, then the most recent `lastLogin` (none last), then
    /// by user id: `Greater` comes first.
    fn key(&self) -> (bool, Option<&str>, Reverse<&str>) {
        (
            self.admin == Some(true),
            self.last_login.as_deref(),
            Reverse(self.user_id.as_str()),
        )
    }
}

impl Ord for Listed {
    fn cmp(&self, other: &Listed) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl PartialOrd for Listed {
    fn partial_cmp(&self, other: &Listed) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// What the output holds.
#[derive(Debug, Default)]
pub struct Tally {
    /// Answer rows.
    pub answered: u64,
    /// Error rows about a user.
    pub failed: u64,
    /// Rows about no user (an input line the audit could not read).
    pub no_user: u64,
    /// Answer rows with no factor enabled.
    pub without_mfa: u64,
    /// Answer rows per factor enabled, in [`FACTORS`] order.
    pub enabled: [u64; 4],
    /// Users without effective MFA (without any factor when the rows do not
    /// say): those listed in the table, and those beyond it.
    pub without_effective: u64,
    /// Whether a row said whether its user has effective MFA.
    pub effective_known: bool,
    /// Error rows by kind.
    pub failures: BTreeMap<String, u64>,
    /// The expired and soon-expiring exemptions (`--exemptions`).
    pub expiring: Expiring,
    /// The admins failing `--require-admins`.
    pub admins: AdminsFailing,
    top: BinaryHeap<Reverse<Listed>>,
}

/// What a row says beyond its factors: whether the user has effective
/// MFA (the pool asks for one of their factors, no SKIP_MFA), and whether
/// they are an admin (`audit --admin-role`). `None` when the row does not
/// say (an output of an earlier version, an unknown part of the pool's
/// policy, ids other than user_ids): such a user is listed only when they
/// have no factor at all, which is true whatever the pool enables.
fn effective_and_admin(row: &Row) -> (Option<bool>, Option<bool>) {
    (row.effective_mfa.flatten(), row.admin.flatten())
}

impl Tally {
    /// The users listed, best first.
    pub fn listed(self) -> Vec<Listed> {
        let mut top: Vec<Listed> = self.top.into_iter().map(|Reverse(l)| l).collect();
        top.sort_by(|a, b| b.cmp(a));
        top
    }

    fn add(&mut self, row: &Row) {
        match row.about() {
            Some(About::Answered {
                user_id,
                any_enabled,
            }) => {
                self.expiring.add(row, user_id);
                self.answer(row, user_id, any_enabled);
            }
            Some(About::Failed { user_id, error }) => {
                self.expiring.add(row, user_id);
                self.failed += 1;
                let kind =
                    if self.failures.len() < MAX_KINDS || self.failures.contains_key(&error.kind) {
                        error.kind.clone()
                    } else {
                        "other".to_owned()
                    };
                *self.failures.entry(kind).or_default() += 1;
            }
            Some(About::NoUser) | None => self.no_user += 1,
        }
    }

    fn answer(&mut self, row: &Row, user_id: &str, any_enabled: bool) {
        self.answered += 1;
        self.without_mfa += u64::from(!any_enabled);
        let statuses = [
            &row.totp_status,
            &row.sms_mfa_status,
            &row.email_mfa_status,
            &row.face_mfa_status,
        ];
        let mut factors = Vec::new();
        for (i, status) in statuses.iter().enumerate() {
            if status.as_deref() == Some("enabled") {
                self.enabled[i] += 1;
                factors.push(FACTORS[i]);
            }
        }
        self.admins.add(row, user_id, &factors);
        let (effective, admin) = effective_and_admin(row);
        self.effective_known |= effective.is_some();
        if effective.unwrap_or(any_enabled) {
            return;
        }
        self.without_effective += 1;
        let profile = |f: &Option<Option<String>>| f.clone().flatten();
        let listed = Listed {
            admin,
            last_login: profile(&row.last_login),
            user_id: user_id.to_owned(),
            username: profile(&row.username),
            email: profile(&row.user_email),
            status: profile(&row.user_status),
            factors,
        };
        // Only a user better than the least kept one costs an allocation
        // past the first TOP.
        if self.top.len() < TOP {
            self.top.push(Reverse(listed));
        } else if self
            .top
            .peek()
            .is_some_and(|Reverse(least)| listed > *least)
        {
            self.top.pop();
            self.top.push(Reverse(listed));
        }
    }
}

/// Reads the audit output at `path` (JSON Lines or CSV) to its end;
/// `today`: the audit's day, that exemptions are judged on; `admins`: the
/// admin rule the rows are judged by.
pub fn read(
    path: &Path,
    today: Option<Day>,
    admins: AdminsFailing,
    interrupt: &Interrupt,
) -> Result<Tally, Failure> {
    let name = crate::exit::shown(path);
    let file = File::open(path).map_err(|e| Failure::setup(format!("cannot read {name}: {e}")))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(Failure::setup(format!(
            "{name} is a directory, not an audit output"
        )));
    }
    let mut rows = Rows::new(BufReader::with_capacity(256 * 1024, file), name);
    let mut tally = Tally {
        expiring: Expiring::new(today),
        admins,
        ..Tally::default()
    };
    for n in 0u64.. {
        if n % CHECK_EVERY == 0 && interrupt.is_interrupted() {
            return Err(Failure::new(EXIT_INTERRUPTED, "interrupted"));
        }
        match rows.next_audit_row().map_err(Failure::setup)? {
            Some(row) => tally.add(&row),
            None => break,
        }
    }
    Ok(tally)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(id: &str, admin: Option<bool>, login: Option<&str>) -> Listed {
        Listed {
            admin,
            last_login: login.map(str::to_owned),
            user_id: id.to_owned(),
            username: None,
            email: None,
            status: None,
            factors: Vec::new(),
        }
    }

    #[test]
    fn admins_come_first_then_the_most_recent_login_and_only_the_top_are_kept() {
        let mut tally = Tally::default();
        for i in 0..(TOP as u32 + 500) {
            let login = format!("2026-01-01T00:{:02}:{:02}Z", i / 60 % 60, i % 60);
            let user = listed(&format!("u{i}"), None, Some(&login));
            tally.top.push(Reverse(user));
            if tally.top.len() > TOP {
                tally.top.pop();
            }
        }
        tally.top.push(Reverse(listed("admin", Some(true), None)));
        tally.top.pop();
        let top = tally.listed();
        assert_eq!(top.len(), TOP);
        assert_eq!(top[0].user_id, "admin");
        assert_eq!(top[1].user_id, format!("u{}", TOP + 499));
        assert!(top.windows(2).all(|w| w[0] >= w[1]));
    }
}
