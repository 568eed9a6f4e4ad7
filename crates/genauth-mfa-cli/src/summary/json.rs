//! The summary as JSON (`--summary FILE`).

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::Serialize;

use super::truth::TruthJson;
use super::{Summary, rfc3339};
use crate::departments::Figures;
use crate::exemptions::ExemptionCounts;

impl Summary {
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
            policy: self.policy_json(),
            exemptions: self.exemptions.as_ref(),
            by_department: self.by_department.as_ref(),
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
            truth: self.truth_json(),
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
    /// `null` without `--require` and `--require-admins`.
    policy: Option<PolicyJson<'a>>,
    /// `null` without `--exemptions`.
    exemptions: Option<&'a ExemptionCounts>,
    /// `null` without `--by department`, or when the departments are unknown.
    by_department: Option<&'a BTreeMap<String, Figures>>,
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
    /// poolEnabledFactors, effectiveCoverage, withoutEffectiveMfa, bypass,
    /// admins.
    #[serde(flatten)]
    truth: TruthJson,
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
#[serde(rename_all = "camelCase")]
struct PolicyJson<'a> {
    /// `--require` (`null`: only `--require-admins`).
    require: Option<&'a [&'static str]>,
    /// Both rules met; `null` when no user violates them but some could
    /// not be judged (a part of the pool's policy unknown).
    met: Option<bool>,
    /// Answered users not meeting `--require`, judged on effective MFA.
    violations: u64,
    /// `--require-admins` (`null` without it).
    require_admins: Option<&'a [&'static str]>,
    /// Answered admins not meeting `--require-admins`.
    admin_violations: u64,
    /// Users who meet the policy only by an exemption that holds (none
    /// without `--exemptions`: absent, so that earlier summaries compare).
    #[serde(skip_serializing_if = "Option::is_none")]
    exempted: Option<u64>,
}

impl Summary {
    /// `policy`: `null` without `--require` and `--require-admins`.
    fn policy_json(&self) -> Option<PolicyJson<'_>> {
        let admins = self
            .judge
            .as_deref()
            .and_then(|j| j.require_admins.as_ref());
        if self.policy.is_none() && admins.is_none() {
            return None;
        }
        Some(PolicyJson {
            require: self.policy.as_ref().map(|p| &p.names[..]),
            met: self.policy_met(),
            violations: self.require_violations(),
            require_admins: admins.map(|p| &p.names[..]),
            admin_violations: self.admin_violations(),
            exempted: self.exemptions.as_ref().map(|_| self.exempted()),
        })
    }
}

impl Summary {
    /// Whether both rules are met: `None` when no user violates them but
    /// some could not be judged (a role's members, the pool's factors or
    /// its SKIP_MFA list unknown) or asked (users failed: any of them may
    /// violate them).
    fn policy_met(&self) -> Option<bool> {
        match self.violations() {
            0 if self.admin_unjudged() + self.require_unjudged() + self.failed() > 0 => None,
            n => Some(n == 0),
        }
    }
}
