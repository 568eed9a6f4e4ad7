//! The audit's summary: on stderr (users, each factor, the coverage, the
//! policy, failures by kind, what was skipped) and, with `--summary FILE`,
//! as JSON.
//!
//! The coverage, the policy and the JSON describe the final state: this
//! run's users and those an earlier run answered (`--resume`), whose
//! factors and account status are read back from their rows.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use genauth_mfa::batch::Outcome;
use serde::Serialize;

use crate::exit::say;
use crate::policy::{Factors, Policy};
use crate::resume::{FINAL_API_CODE, FINAL_STATUS};

/// The most account statuses counted apart; the others are counted as
/// `other` (a hostile server cannot grow the summary without bound).
const MAX_STATUSES: usize = 16;

/// What the reading side counts, for the summary.
#[derive(Default)]
pub struct Skips {
    /// Ids with a final row from an earlier run (`--resume`).
    pub resumed: AtomicU64,
    /// Of those, the ones whose final row is a failure.
    pub resumed_failed: AtomicU64,
    /// Ids seen earlier in this run's input.
    pub duplicates: AtomicU64,
    /// What the earlier run answered for the resumed users.
    pub resumed_answers: Mutex<Counts>,
}

/// Counts of answered users.
#[derive(Debug, Default, Clone)]
pub struct Counts {
    pub answered: u64,
    totp: u64,
    face: u64,
    sms: u64,
    email: u64,
    none: u64,
    violations: u64,
    by_status: BTreeMap<String, u64>,
}

impl Counts {
    pub fn answer(&mut self, factors: Factors, status: Option<&str>, policy: Option<&Policy>) {
        self.answered += 1;
        self.totp += u64::from(factors.has(Factors::TOTP));
        self.face += u64::from(factors.has(Factors::FACE));
        self.sms += u64::from(factors.has(Factors::SMS));
        self.email += u64::from(factors.has(Factors::EMAIL));
        self.none += u64::from(!factors.any());
        self.violations += u64::from(policy.is_some_and(|p| !p.met(factors)));
        self.status(status);
    }

    fn status(&mut self, status: Option<&str>) {
        let Some(status) = status else { return };
        if let Some(n) = self.by_status.get_mut(status) {
            *n += 1;
        } else if self.by_status.len() < MAX_STATUSES {
            self.by_status.insert(status.to_owned(), 1);
        } else {
            *self.by_status.entry("other".to_owned()).or_default() += 1;
        }
    }

    fn merge(&mut self, other: &Counts) {
        self.answered += other.answered;
        self.totp += other.totp;
        self.face += other.face;
        self.sms += other.sms;
        self.email += other.email;
        self.none += other.none;
        self.violations += other.violations;
        for (status, n) in &other.by_status {
            for _ in 0..*n {
                self.status(Some(status));
            }
        }
    }

    /// The share of answered users with at least one factor enabled.
    fn coverage(&self) -> Option<f64> {
        (self.answered > 0).then(|| (self.answered - self.none) as f64 / self.answered as f64)
    }
}

/// How the listing of a whole-pool audit went, for the summary.
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolListing {
    pub first_total: Option<u64>,
    pub last_total: Option<u64>,
    /// Users listed, repeated ones included.
    pub listed: u64,
    /// Distinct users listed.
    pub distinct: u64,
    pub changed: bool,
}

#[derive(Default)]
pub struct Summary {
    policy: Option<Policy>,
    /// This run's answers.
    run: Counts,
    /// This run's failures (users and unreadable input) by kind.
    errors: BTreeMap<&'static str, u64>,
    /// Of this run's failed users, those whose error is not the server's
    /// final word about them (a timeout, a throttle, ...): no final answer.
    unanswered: u64,
    /// The earlier run's final answers, for users skipped by `--resume`.
    resumed: Counts,
    resumed_count: u64,
    resumed_failed: u64,
    duplicates: u64,
    pool: Option<PoolListing>,
    /// Users failed for want of file descriptors, retries used up.
    out_of_descriptors: u64,
}

impl Summary {
    pub fn new(policy: Option<Policy>) -> Summary {
        Summary {
            policy,
            ..Summary::default()
        }
    }

    /// One finished user, with their account status when it is known.
    pub fn add(&mut self, outcome: &Outcome, status: Option<&str>) {
        match outcome {
            Outcome::Answered(info) => {
                self.run
                    .answer(Factors::of(info), status, self.policy.as_ref());
            }
            Outcome::Failed(e) => {
                *self.errors.entry(e.kind()).or_default() += 1;
                if matches!(e, genauth_mfa::Error::Transport { source, .. }
                    if source.kind() == genauth_mfa::TransportErrorKind::OutOfResources)
                {
                    self.out_of_descriptors += 1;
                }
                let fin = e.kind() == "api"
                    && (e.status_code().is_some_and(|s| FINAL_STATUS.contains(&s))
                        || e.api_code().is_some_and(|c| FINAL_API_CODE.contains(&c)));
                self.unanswered += u64::from(!fin);
                self.run.status(status);
            }
            _ => *self.errors.entry("input").or_default() += 1,
        }
    }

    pub fn skips(&mut self, skips: &Skips) {
        self.resumed_count = skips.resumed.load(Ordering::Relaxed);
        self.resumed_failed = skips.resumed_failed.load(Ordering::Relaxed);
        self.duplicates = skips.duplicates.load(Ordering::Relaxed);
        self.resumed = skips
            .resumed_answers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
    }

    pub fn pool(&mut self, pool: PoolListing) {
        self.pool = Some(pool);
    }

    /// Failures in the final state: this run's, and the final failure rows
    /// of an earlier run that this one resumed.
    pub fn failed(&self) -> u64 {
        self.errors.values().sum::<u64>() + self.resumed_failed
    }

    /// Unreadable input lines (and listed users with no id to ask by).
    fn unreadable(&self) -> u64 {
        self.errors.get("input").copied().unwrap_or(0)
    }

    /// Why the audit is not complete, if it is not: interrupted, the
    /// listing not proven whole (`listing`), or a user without a final
    /// answer (a failure the server may answer another time, an
    /// unreadable line). `None`: every user has a final answer.
    pub fn incomplete(&self, interrupted: bool, listing: Option<&str>) -> Option<String> {
        if interrupted {
            return Some("the run was interrupted".to_owned());
        }
        if let Some(listing) = listing {
            return Some(listing.to_owned());
        }
        let mut missing = Vec::new();
        if self.unanswered > 0 {
            missing.push(format!(
                "{} without a final answer (their calls failed; asking again may answer)",
                ids_of("user", self.unanswered)
            ));
        }
        if self.unreadable() > 0 {
            missing.push(format!(
                "{} not read",
                ids_of("input line", self.unreadable())
            ));
        }
        (!missing.is_empty()).then(|| missing.join("; "))
    }

    /// The answers of the final state.
    fn total(&self) -> Counts {
        let mut total = self.run.clone();
        total.merge(&self.resumed);
        total
    }

    /// Answered users of the final state who do not meet `--require`.
    pub fn violations(&self) -> u64 {
        self.run.violations + self.resumed.violations
    }

    pub fn print(&self, elapsed: Duration, interrupted: bool) {
        let run = &self.run;
        // Each user once: answered or failed; unreadable lines apart.
        let failed = self.errors.values().sum::<u64>() - self.unreadable();
        let users = run.answered + failed;
        let rate = users as f64 / elapsed.as_secs_f64().max(1e-9);
        let head = if interrupted { "interrupted: " } else { "" };
        let unreadable = match self.unreadable() {
            0 => String::new(),
            n => format!("; {} unreadable", ids_of("input line", n)),
        };
        say(format_args!(
            "{head}{users} users in {elapsed:.1?} ({rate:.0}/s): totp {}, face {}, sms {}, email {} \
             enabled; {} with no MFA factor; {failed} failed{unreadable}",
            run.totp, run.face, run.sms, run.email, run.none,
        ));
        let total = self.total();
        let resumed = if self.resumed_count > 0 {
            " (with the users answered in the earlier run)"
        } else {
            ""
        };
        match total.coverage() {
            Some(c) => say(format_args!(
                "coverage {:.1} %: {} of {} users answered have at least one factor enabled{resumed}",
                c * 100.0,
                total.answered - total.none,
                total.answered
            )),
            None => say("coverage: no user answered"),
        }
        if let Some(policy) = &self.policy {
            let wanted = policy.names.join(",");
            match self.violations() {
                0 => say(format_args!(
                    "policy met: every user answered has {wanted} enabled (--require {wanted})"
                )),
                n => {
                    let what = if wanted == "any" {
                        "no factor".to_owned()
                    } else {
                        format!("none of {wanted}")
                    };
                    say(format_args!(
                        "policy not met: {n} users answered have {what} enabled \
                         (--require {wanted})"
                    ));
                }
            }
        }
        if let Some(pool) = &self.pool {
            if pool.changed {
                say(format_args!(
                    "the pool changed while it was listed ({} users at the start, {} at the end, \
                     {} listed, {} distinct): users may have been missed or listed twice; run the \
                     audit again (with --resume to ask only the missing ones)",
                    count(pool.first_total),
                    count(pool.last_total),
                    pool.listed,
                    pool.distinct
                ));
            }
        }
        if self.resumed_count > 0 {
            say(format_args!(
                "{} skipped: already answered in the output (--resume), {} of them with a \
                 final error",
                ids(self.resumed_count),
                self.resumed_failed
            ));
        }
        if self.duplicates > 0 {
            say(format_args!(
                "{} skipped: each user is asked once per run",
                ids_of("duplicate id", self.duplicates)
            ));
        }
        for (kind, n) in &self.errors {
            say(format_args!("errors of kind {kind}: {n}"));
        }
        if self.out_of_descriptors > 0 {
            say(format_args!(
                "{} failed for want of file descriptors (the open-files limit, ulimit -n): lower --concurrency, or raise the limit",
                ids_of("user", self.out_of_descriptors),
            ));
        }
    }

    /// The summary as `--summary FILE` holds it: complete unless
    /// `incomplete` says why not.
    pub fn json(&self, incomplete: Option<&str>) -> String {
        let total = self.total();
        let input = self.unreadable();
        let failed = self.failed() - input;
        let summary = Json {
            users: total.answered + failed,
            answered: total.answered,
            failed,
            without_mfa: total.none,
            enabled: Enabled {
                totp: total.totp,
                sms: total.sms,
                email: total.email,
                face: total.face,
            },
            coverage: total.coverage().map(|c| (c * 10_000.0).round() / 10_000.0),
            by_status: &total.by_status,
            generated_at: rfc3339(SystemTime::now()),
            pool_changed: self.pool.is_some_and(|p| p.changed),
            policy: self.policy.as_ref().map(|p| PolicyJson {
                require: &p.names,
                met: self.violations() == 0,
                violations: self.violations(),
            }),
            resumed: self.resumed_count,
            duplicates: self.duplicates,
            unreadable_lines: input,
            errors: &self.errors,
            listing: self.pool.map(|p| ListingJson {
                distinct_users: p.distinct,
                listed: p.listed,
                total_count: p.last_total,
                first_total_count: p.first_total,
            }),
            complete: incomplete.is_none(),
            incomplete_reason: incomplete,
        };
        let mut text = serde_json::to_string_pretty(&summary).unwrap_or_default();
        text.push('\n');
        text
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Json<'a> {
    /// Each user once: `answered + failed`.
    users: u64,
    answered: u64,
    failed: u64,
    without_mfa: u64,
    enabled: Enabled,
    /// `null` when no user answered.
    coverage: Option<f64>,
    by_status: &'a BTreeMap<String, u64>,
    generated_at: String,
    pool_changed: bool,
    /// `null` without `--require`.
    policy: Option<PolicyJson<'a>>,
    resumed: u64,
    duplicates: u64,
    unreadable_lines: u64,
    errors: &'a BTreeMap<&'static str, u64>,
    /// `--all-users`: what the listing counted (`null` for a file audit).
    listing: Option<ListingJson>,
    /// `true` only when every user has a final answer and (`--all-users`)
    /// the listing is proven whole.
    complete: bool,
    /// Why not, when not complete.
    incomplete_reason: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListingJson {
    /// Distinct users listed.
    distinct_users: u64,
    /// Users listed, repeated ones included.
    listed: u64,
    /// The server's latest `totalCount` (`null`: it sent none).
    total_count: Option<u64>,
    /// The server's first `totalCount`.
    first_total_count: Option<u64>,
}

#[derive(Serialize)]
struct Enabled {
    totp: u64,
    sms: u64,
    email: u64,
    face: u64,
}

#[derive(Serialize)]
struct PolicyJson<'a> {
    require: &'a [&'static str],
    met: bool,
    violations: u64,
}

fn count(n: Option<u64>) -> String {
    n.map_or_else(|| "?".to_owned(), |n| n.to_string())
}

/// `at` as RFC 3339 in UTC to the second: `2026-12-01T10:22:25Z`.
pub fn rfc3339(at: SystemTime) -> String {
    let secs = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    genauth_mfa::iso8601_utc(secs, None)
}

/// `1 id`, `2 ids`.
fn ids(n: u64) -> String {
    ids_of("id", n)
}

fn ids_of(what: &str, n: u64) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc_3339_in_utc() {
        let at = |secs| rfc3339(SystemTime::UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400 + 86_399), "2000-02-29T23:59:59Z");
        assert_eq!(at(1_796_120_545), "2026-12-01T10:22:25Z");
    }

    #[test]
    fn statuses_beyond_the_bound_are_counted_as_other() {
        let mut counts = Counts::default();
        for i in 0..100 {
            counts.answer(Factors::default(), Some(&format!("S{i}")), None);
        }
        assert_eq!(counts.by_status.len(), MAX_STATUSES + 1);
        assert_eq!(counts.by_status["other"], 100 - MAX_STATUSES as u64);
    }
}
