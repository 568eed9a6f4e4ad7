//! The page's table of the admins who fail `--require-admins`, from the
//! rows as the audit judged them (`pool_facts::judge`): an admin
//! (`admin`), answered, whose effective factors (those enabled that the
//! pool enables, none on the SKIP_MFA list) meet none of the rule's, and
//! whose exemption (`exemptionExpires`) does not hold on the audit's day.
//! Such an admin may well have effective MFA (SMS, when the rule asks for
//! TOTP or Face), so the table of users without effective MFA does not
//! list them: they get a table of their own. At most [`TOP`] kept (the
//! most recent login first), so memory stays flat.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt::Write as _;

use serde_json::Value;

use super::html::{table, text};
use super::tally::{Listed, TOP};
use crate::exemptions::Day;
use crate::policy::{self, Factors, Policy};
use crate::row::Row;

/// A failing admin, as their row shows them.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Failing {
    /// The order: the most recent login first (all are admins).
    listed: Listed,
    effective_mfa: Option<bool>,
    /// The row's exemption, said: `none`, `expired 2026-11-30`.
    exemption: String,
}

/// The admins failing `--require-admins` in an output.
#[derive(Debug, Default)]
pub struct AdminsFailing {
    /// The rule as the summary gives it (`--require-admins totp,face`);
    /// `None`: the audit had no `--require-admins`, nothing is judged.
    rule: Option<Policy>,
    /// The factors the pool enables (`None`: unknown, every enabled
    /// factor counts, as the audit counted them).
    pool: Option<Factors>,
    today: Option<Day>,
    /// Admins failing the rule, listed or not.
    pub count: u64,
    kept: BinaryHeap<Reverse<Failing>>,
}

impl AdminsFailing {
    /// The rule of `summary` (`policy.requireAdmins`, the pool's
    /// `poolEnabledFactors`), judged on `today`.
    pub fn new(summary: &Value, today: Option<Day>) -> AdminsFailing {
        let names = |key: &str| {
            summary
                .pointer(key)
                .and_then(Value::as_array)
                .and_then(|names| names.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
        };
        let rule = names("/policy/requireAdmins").and_then(|n| policy::parse(&n.join(",")).ok());
        let pool = names("/poolEnabledFactors").and_then(Factors::named);
        AdminsFailing {
            rule,
            pool,
            today,
            ..AdminsFailing::default()
        }
    }

    /// An answered row about `user_id`, whose enabled factors are
    /// `factors` (named as the summary names them).
    pub fn add(&mut self, row: &Row, user_id: &str, factors: &[&'static str]) {
        let Some(rule) = &self.rule else { return };
        if row.admin.flatten() != Some(true) {
            return;
        }
        let enabled = Factors::named(factors.iter().copied()).unwrap_or_default();
        let meets = rule.met(enabled.effective(row.skip_mfa.flatten(), self.pool));
        let expires = row.exemption_expires.clone().flatten();
        let holds = match (self.today, expires.as_deref().and_then(Day::parse)) {
            (Some(today), Some(expires)) => today <= expires,
            _ => false,
        };
        if meets || holds {
            return;
        }
        let exemption = match (expires, self.today) {
            (None, _) => "none".to_owned(),
            (Some(e), Some(_)) if Day::parse(&e).is_some() => format!("expired {e}"),
            (Some(e), _) => format!("{e} (not judged)"),
        };
        self.count += 1;
        let profile = |f: &Option<Option<String>>| f.clone().flatten();
        let failing = Failing {
            listed: Listed {
                admin: Some(true),
                last_login: profile(&row.last_login),
                user_id: user_id.to_owned(),
                username: profile(&row.username),
                email: profile(&row.user_email),
                status: profile(&row.user_status),
                factors: factors.to_vec(),
            },
            effective_mfa: row.effective_mfa.flatten(),
            exemption,
        };
        self.kept.push(Reverse(failing));
        if self.kept.len() > TOP {
            self.kept.pop();
        }
    }

    /// Whether the summary's `--require-admins` rule was read, so that
    /// the rows' admins are judged by it.
    pub fn judged(&self) -> bool {
        self.rule.is_some()
    }

    /// The section, when the audit had `--require-admins`.
    pub fn section(self, out: &mut String, output_name: &str) {
        let Some(rule) = &self.rule else {
            return;
        };
        let rule = format!("--require-admins {}", rule.names.join(","));
        let count = self.count;
        let _ = writeln!(
            out,
            "<section aria-labelledby=\"h-admins-failing\">\n<h2 id=\"h-admins-failing\">Admins \
             failing {} ({count})</h2>\n<p>Admins (members of an --admin-role) whose effective \
             MFA meets none of the rule's factors and whom no exemption covers on the day of \
             the audit; they may have other effective MFA. The most recent login first.</p>",
            text(&rule)
        );
        let mut kept: Vec<Failing> = self.kept.into_iter().map(|Reverse(f)| f).collect();
        kept.sort_by(|a, b| b.cmp(a));
        let rows: Vec<Vec<String>> = kept.iter().map(cells).collect();
        if rows.is_empty() {
            out.push_str("<p>None.</p>\n");
        } else {
            let header = [
                "User ID",
                "Username",
                "Email",
                "Last login",
                "Factors enabled",
                "Effective MFA",
                "Exemption",
            ];
            out.push_str(&table(&format!("Admins failing {rule}"), &header, &rows));
        }
        let more = count.saturating_sub(rows.len() as u64);
        if more > 0 {
            let _ = writeln!(out, "<p>And {more} more: see {}.</p>", text(output_name));
        }
        out.push_str("</section>\n");
    }
}

fn cells(f: &Failing) -> Vec<String> {
    let cell = |t: &Option<String>| t.as_deref().map_or_else(String::new, text);
    let u = &f.listed;
    let factors = if u.factors.is_empty() {
        "none".to_owned()
    } else {
        u.factors.join(", ")
    };
    let effective = match f.effective_mfa {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    };
    vec![
        text(&u.user_id),
        cell(&u.username),
        cell(&u.email),
        cell(&u.last_login),
        factors,
        effective.to_owned(),
        text(&f.exemption),
    ]
}
