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
use super::tally::{FACTORS, Listed, TOP};
use crate::exemptions::Day;
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
    /// The rule's names as the summary gives them (`["totp", "face"]`);
    /// `None`: the audit had no `--require-admins`, nothing is judged.
    names: Option<Vec<String>>,
    /// The factors the rule asks for, in [`FACTORS`] order.
    wanted: [bool; 4],
    /// The factors the pool enables (`None`: unknown, every enabled
    /// factor counts, as the audit counted them).
    pool: Option<[bool; 4]>,
    today: Option<Day>,
    /// Admins failing the rule, listed or not.
    pub count: u64,
    kept: BinaryHeap<Reverse<Failing>>,
}

/// Factor names (`"totp"`, `"any"`) as a mask in [`FACTORS`] order;
/// `None` when a name is not one.
fn mask(names: &[Value]) -> Option<[bool; 4]> {
    let mut mask = [false; 4];
    for name in names {
        match name.as_str()? {
            "any" => mask = [true; 4],
            name => mask[FACTORS.iter().position(|f| *f == name)?] = true,
        }
    }
    Some(mask)
}

impl AdminsFailing {
    /// The rule of `summary` (`policy.requireAdmins`, the pool's
    /// `poolEnabledFactors`), judged on `today`.
    pub fn new(summary: &Value, today: Option<Day>) -> AdminsFailing {
        let rule = summary
            .pointer("/policy/requireAdmins")
            .and_then(Value::as_array);
        let wanted = rule.and_then(|r| mask(r));
        let pool = summary
            .get("poolEnabledFactors")
            .and_then(Value::as_array)
            .and_then(|p| mask(p));
        let names = rule.filter(|_| wanted.is_some()).map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        });
        AdminsFailing {
            names,
            wanted: wanted.unwrap_or_default(),
            pool,
            today,
            ..AdminsFailing::default()
        }
    }

    /// An answered row about `user_id`, whose enabled factors are
    /// `factors` ([`FACTORS`] order).
    pub fn add(&mut self, row: &Row, user_id: &str, factors: &[&'static str]) {
        if self.names.is_none() || row.admin.flatten() != Some(true) {
            return;
        }
        let skip = row.skip_mfa.flatten() == Some(true);
        let meets = !skip
            && factors.iter().any(|f| {
                let i = FACTORS.iter().position(|g| g == f).unwrap_or(0);
                self.wanted[i] && self.pool.is_none_or(|p| p[i])
            });
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

    /// The section, when the audit had `--require-admins`.
    /// Whether the summary's `--require-admins` rule was read, so that
    /// the rows' admins are judged by it.
    pub fn judged(&self) -> bool {
        self.names.is_some()
    }

    pub fn section(self, out: &mut String, output_name: &str) {
        let Some(names) = &self.names else {
            return;
        };
        let rule = format!("--require-admins {}", names.join(","));
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
