//! The audit's summary: on stderr (users, each factor, the coverage, the
//! policy, failures by kind, what was skipped) and, with `--summary FILE`,
//! as JSON.
//!
//! The coverage, the policy and the JSON describe the final state: this
//! run's users and those an earlier run answered (`--resume`), whose
//! factors and account status are read back from their rows.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use genauth_mfa::batch::Outcome;

use crate::departments::Figures;
use crate::exemptions::ExemptionCounts;
use crate::policy::{Factors, Policy};
use crate::pool_facts::{Judge, Verdict};
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

mod json;
mod print;
mod truth;

pub use truth::TruthCounts;

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
    /// Users who do not meet `--require` but whose exemption holds.
    exempted: u64,
    by_status: BTreeMap<String, u64>,
    /// Effective MFA, admins, `--require-admins`.
    truth: TruthCounts,
}

impl Counts {
    /// One answered user, judged by `verdict` (the policy gates included).
    pub fn answer(&mut self, factors: Factors, verdict: &Verdict, status: Option<&str>) {
        self.answered += 1;
        self.totp += u64::from(factors.has(Factors::TOTP));
        self.face += u64::from(factors.has(Factors::FACE));
        self.sms += u64::from(factors.has(Factors::SMS));
        self.email += u64::from(factors.has(Factors::EMAIL));
        self.none += u64::from(!factors.any());
        self.violations += u64::from(verdict.violates);
        self.exempted += u64::from(verdict.exempted);
        self.truth.add(verdict);
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
        self.truth.merge(&other.truth);
        self.exempted += other.exempted;
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
    /// The pool's facts and the gates (`None` only in unit tests).
    judge: Option<Arc<Judge>>,
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
    /// `--exemptions`: what they came to.
    exemptions: Option<ExemptionCounts>,
    /// `--by department`: each department's figures (`None`: unknown).
    by_department: Option<BTreeMap<String, Figures>>,
}

impl Summary {
    pub fn new(judge: Arc<Judge>) -> Summary {
        Summary {
            policy: judge.require.clone(),
            judge: Some(judge),
            ..Summary::default()
        }
    }

    /// One finished user, with their account status when it is known,
    /// and what the pool's facts say about them.
    pub fn add(&mut self, outcome: &Outcome, status: Option<&str>, verdict: &Verdict) {
        match outcome {
            Outcome::Answered(info) => {
                self.run.answer(Factors::of(info), verdict, status);
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

    /// What `--exemptions` came to (`None` without it: `null`).
    pub fn exemptions(&mut self, counts: ExemptionCounts) {
        self.exemptions = Some(counts);
    }

    /// `--by department`'s figures, when they are known.
    pub fn by_department(&mut self, figures: BTreeMap<String, Figures>) {
        self.by_department = Some(figures);
    }

    /// Users skipped as answered by an earlier run (`--resume`).
    pub fn resumed(&self) -> u64 {
        self.resumed_count
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
        // Users a rule could not be judged for leave the audit unable to
        // say "met"; with a violation it is not met whatever they are.
        let unjudged_matters = self.violations() == 0;
        if unjudged_matters && self.admin_unjudged() > 0 {
            missing.push(format!(
                "{} answered without the factors of --require-admins, whom a role that \
                 could not be read may make admins (the admin rule is not judged for them)",
                ids_of("user", self.admin_unjudged())
            ));
        }
        if unjudged_matters && self.require_unjudged() > 0 {
            missing.push(format!(
                "{} meet --require only if the part of the pool's policy that could not be \
                 read (its enabled factors, its SKIP_MFA list) is kind to them (the rule is \
                 not judged for them)",
                ids_of("user", self.require_unjudged())
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

    /// Answered users of the final state who do not meet `--require`, or
    /// (admins) `--require-admins`: whether the policy is not met.
    pub fn violations(&self) -> u64 {
        self.run.violations + self.resumed.violations + self.admin_violations()
    }

    /// Users who do not meet `--require` (admins' own rule apart).
    fn require_violations(&self) -> u64 {
        self.run.violations + self.resumed.violations
    }

    /// Answered users of the final state who meet `--require` only by an
    /// exemption.
    pub fn exempted(&self) -> u64 {
        self.run.exempted + self.resumed.exempted
    }
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
    use std::time::Duration;

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
            counts.answer(
                Factors::default(),
                &Verdict::default(),
                Some(&format!("S{i}")),
            );
        }
        assert_eq!(counts.by_status.len(), MAX_STATUSES + 1);
        assert_eq!(counts.by_status["other"], 100 - MAX_STATUSES as u64);
    }
}
