//! The summary's account of the pool's own policy: effective MFA, the
//! SKIP_MFA bypasses, the admins and `--require-admins` (issue 19).
//!
//! `effectiveCoverage` is the share of answered users with effective MFA
//! (an enabled factor the pool enables, and not allowed to skip MFA),
//! computed from what is known (an unknown part counts for nothing);
//! `coverage` keeps its meaning (at least one factor enabled).

use serde::Serialize;

use super::{Summary, ids_of};
use crate::exit::say;
use crate::policy::Factors;
use crate::pool_facts::Verdict;

/// Counts of answered users, by what the pool's facts say of them.
#[derive(Debug, Default, Clone)]
pub struct TruthCounts {
    without_effective: u64,
    admins: u64,
    admins_without_effective: u64,
    admin_violations: u64,
    admin_unjudged: u64,
    require_unjudged: u64,
}

impl TruthCounts {
    pub fn add(&mut self, verdict: &Verdict) {
        let without = verdict.effective.is_some_and(|e| !e.any());
        self.without_effective += u64::from(without);
        if verdict.admin == Some(true) {
            self.admins += 1;
            self.admins_without_effective += u64::from(without);
        }
        self.admin_violations += u64::from(verdict.admin_violates);
        self.admin_unjudged += u64::from(verdict.admin_unjudged);
        self.require_unjudged += u64::from(verdict.require_unjudged);
    }

    pub fn merge(&mut self, other: &TruthCounts) {
        self.without_effective += other.without_effective;
        self.admins += other.admins;
        self.admins_without_effective += other.admins_without_effective;
        self.admin_violations += other.admin_violations;
        self.admin_unjudged += other.admin_unjudged;
        self.require_unjudged += other.require_unjudged;
    }
}

/// The summary JSON's new keys.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TruthJson {
    /// Of totp, sms, email, face: those the pool enables (`null`: unknown).
    pool_enabled_factors: Option<Vec<&'static str>>,
    /// `null` when no user answered, or the ids are not `user_id`s.
    effective_coverage: Option<f64>,
    without_effective_mfa: Option<u64>,
    /// Why effectiveCoverage, withoutEffectiveMfa and the rows' new
    /// columns are `null` (ids other than `user_id`s); `null` otherwise.
    effective_mfa_unknown_reason: Option<String>,
    bypass: Bypass,
    /// `null` without `--admin-role`.
    admins: Option<Admins>,
}

#[derive(Serialize)]
struct Bypass {
    /// Users on the pool's WHITE user list with SKIP_MFA (`null`: unknown).
    users: Option<u64>,
    /// The pool's WHITE IP entries with SKIP_MFA (`null`: unknown).
    ips: Option<Vec<String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Admins {
    roles: Vec<String>,
    /// The roles whose members could not be read.
    unknown_roles: Vec<String>,
    /// Answered users known to be admins.
    users: u64,
    without_effective_mfa: u64,
    /// `null` when no admin answered.
    coverage: Option<f64>,
}

fn share(part: u64, of: u64) -> Option<f64> {
    (of > 0).then(|| ((of - part) as f64 / of as f64 * 10_000.0).round() / 10_000.0)
}

impl Summary {
    fn truth_counts(&self) -> (u64, TruthCounts) {
        let total = self.total();
        (total.answered, total.truth)
    }

    /// Answered users not meeting `--require-admins` whom an unknown role
    /// may make admins: the admin rule is not judged for them.
    pub(super) fn admin_unjudged(&self) -> u64 {
        self.run.truth.admin_unjudged + self.resumed.truth.admin_unjudged
    }

    /// Answered users who meet `--require` only if a part of the pool's
    /// policy that could not be read is kind to them: not judged.
    pub(super) fn require_unjudged(&self) -> u64 {
        self.run.truth.require_unjudged + self.resumed.truth.require_unjudged
    }

    pub(super) fn admin_violations(&self) -> u64 {
        self.run.truth.admin_violations + self.resumed.truth.admin_violations
    }

    /// The keys the pool's facts add to the summary JSON.
    pub(super) fn truth_json(&self) -> TruthJson {
        let (answered, t) = self.truth_counts();
        let judge = self.judge.as_deref();
        let facts = judge.map(|j| &j.facts);
        let by_user_id = judge.is_some_and(|j| j.by_user_id);
        let admins = facts.filter(|f| !f.roles.is_empty()).map(|f| Admins {
            roles: f.roles.iter().map(|r| r.label.clone()).collect(),
            unknown_roles: f
                .roles
                .iter()
                .filter(|r| r.members.is_none())
                .map(|r| r.label.clone())
                .collect(),
            users: t.admins,
            without_effective_mfa: t.admins_without_effective,
            coverage: share(t.admins_without_effective, t.admins),
        });
        TruthJson {
            pool_enabled_factors: facts.and_then(|f| f.enabled).map(factor_names),
            effective_coverage: share(t.without_effective, answered).filter(|_| by_user_id),
            without_effective_mfa: by_user_id.then_some(t.without_effective),
            effective_mfa_unknown_reason: (!by_user_id).then(not_by_user_id),
            bypass: Bypass {
                users: facts.and_then(|f| f.skip_users.as_ref()).map(|s| s.len()),
                ips: facts.and_then(|f| f.skip_ips.clone()),
            },
            admins,
        }
    }

    /// The summary's lines about the pool's facts, on stderr.
    pub(super) fn print_truth(&self) {
        let Some(judge) = self.judge.as_deref() else {
            return;
        };
        let facts = &judge.facts;
        let enabled = facts.enabled.map_or_else(
            || "unknown".to_owned(),
            |f| match factor_names(f) {
                names if names.is_empty() => "none".to_owned(),
                names => names.join(", "),
            },
        );
        let users = facts
            .skip_users
            .as_ref()
            .map_or_else(|| "unknown".to_owned(), |s| s.len().to_string());
        let ips = facts.skip_ips.as_ref().map_or_else(
            || "unknown".to_owned(),
            |ips| match ips.len() {
                0 => "none".to_owned(),
                n if n <= 5 => ips.join(", "),
                n => format!("{} and {} more", ips[..5].join(", "), n - 5),
            },
        );
        say(format_args!(
            "pool policy: factors the pool enables: {enabled}; users allowed to skip MFA \
             (WHITE list, SKIP_MFA): {users}; IP ranges that skip MFA: {ips}"
        ));
        let (answered, t) = self.truth_counts();
        if !judge.by_user_id {
            say(format_args!(
                "effective coverage: unknown ({})",
                not_by_user_id()
            ));
        } else if let Some(c) = share(t.without_effective, answered) {
            say(format_args!(
                "effective coverage {:.1} %: {} of {answered} users answered have a factor \
                 the pool enables and may not skip MFA; {} without effective MFA",
                c * 100.0,
                answered - t.without_effective,
                t.without_effective
            ));
        }
        self.print_admins(&t);
    }

    fn print_admins(&self, t: &TruthCounts) {
        let Some(judge) = self.judge.as_deref() else {
            return;
        };
        let roles = &judge.facts.roles;
        if roles.is_empty() {
            return;
        }
        let labels: Vec<&str> = roles.iter().map(|r| r.label.as_str()).collect();
        let unknown: Vec<&str> = roles
            .iter()
            .filter(|r| r.members.is_none())
            .map(|r| r.label.as_str())
            .collect();
        let unknown = match unknown.len() {
            0 => String::new(),
            _ => format!(" (members of {} unknown)", unknown.join(", ")),
        };
        let coverage = share(t.admins_without_effective, t.admins).map_or_else(
            || "no admin answered".to_owned(),
            |c| format!("coverage {:.1} %", c * 100.0),
        );
        say(format_args!(
            "admins (roles {}{unknown}): {} answered, {} without effective MFA; {coverage}",
            labels.join(", "),
            ids_of("admin", t.admins),
            t.admins_without_effective
        ));
        if let Some(policy) = &judge.require_admins {
            let wanted = policy.names.join(",");
            let (or, and) = match judge.exemptions {
                Some(_) => (
                    " or an exemption that holds",
                    " and no exemption that holds",
                ),
                None => ("", ""),
            };
            match self.admin_violations() {
                0 if self.admin_unjudged() > 0 => say(format_args!(
                    "admin policy unknown: {} answered without {wanted} effective may be \
                     admins (a role's members unknown) (--require-admins {wanted})",
                    ids_of("user", self.admin_unjudged())
                )),
                0 if self.failed() > 0 => say(format_args!(
                    "admin policy unknown: every admin answered has {wanted} effective{or}, \
                     but {} could not be asked (failed; any may be an admin) \
                     (--require-admins {wanted})",
                    ids_of("user", self.failed())
                )),
                0 => say(format_args!(
                    "admin policy met: every admin answered has {wanted} effective{or} \
                     (--require-admins {wanted})"
                )),
                n => say(format_args!(
                    "admin policy not met: {} answered without {wanted} effective{and} \
                     (--require-admins {wanted})",
                    ids_of("admin", n)
                )),
            }
        }
    }
}

/// Why the ids of this audit are not judged by the SKIP_MFA list and roles.
fn not_by_user_id() -> String {
    "the ids are not user_ids (--user-id-type): the SKIP_MFA list and the roles name users by \
     user_id; audit with --all-users or a file of user_ids"
        .to_owned()
}

/// The names of `factors`, in the summary's order.
pub(super) fn factor_names(factors: Factors) -> Vec<&'static str> {
    Factors::NAMED
        .iter()
        .filter(|(_, f)| factors.has(*f))
        .map(|(name, _)| *name)
        .collect()
}
