//! The page's charts of users: by factor, covered or not, by account
//! status, admins, and the coverage per department (the largest drawn,
//! every one in a table).

use std::fmt::Write as _;

use serde_json::Value;

use super::count;
use super::html::{table, text};
use super::page::{or_unknown, percent};
use super::svg::{self, Bar};
use super::tally::FACTORS;

/// The most departments drawn; the others are in a table.
const CHART_DEPARTMENTS: usize = 20;
/// The most rows of the departments' table.
const MAX_DEPARTMENT_ROWS: usize = 5000;

/// `n` and its share of `of`: `12 (3.4 %)`.
fn share_of(n: u64, of: u64) -> String {
    if of == 0 {
        n.to_string()
    } else {
        format!("{n} ({:.1} %)", n as f64 * 100.0 / of as f64)
    }
}

/// A bar of `n` users, shown with their share of `of`.
fn users(label: &str, n: u64, of: u64, class: &'static str) -> Bar {
    Bar {
        label: label.to_owned(),
        value: n as f64,
        shown: share_of(n, of),
        class,
    }
}

/// The section: users by factor, covered or not, by status, admins.
pub fn charts(out: &mut String, s: &Value) {
    out.push_str("<section aria-labelledby=\"h-charts\">\n<h2 id=\"h-charts\">Users</h2>\n");
    let answered = count(s, "/answered").unwrap_or(0);
    let factor_bars: Vec<Bar> = FACTORS
        .iter()
        .map(|f| {
            users(
                f,
                count(s, &format!("/enabled/{f}")).unwrap_or(0),
                answered,
                "bar",
            )
        })
        .collect();
    let title = "Users by factor enabled";
    out.push_str(&svg::bars(
        "c-factors",
        title,
        &factor_bars,
        answered as f64,
    ));
    let without = count(s, "/withoutMfa").unwrap_or(0).min(answered);
    let failed = count(s, "/failed").unwrap_or(0);
    let mut covered = vec![
        users("at least one factor", answered - without, answered, "good"),
        users("no factor", without, answered, "bad"),
    ];
    if let Some(n) = count(s, "/withoutEffectiveMfa") {
        covered.push(users("without effective MFA", n, answered, "bad"));
    }
    covered.push(users("failed (no answer)", failed, 0, "bar"));
    let title = "Covered and not covered";
    out.push_str(&svg::bars("c-covered", title, &covered, answered as f64));
    let statuses = s.get("byStatus").and_then(Value::as_object);
    if let Some(statuses) = statuses.filter(|m| !m.is_empty()) {
        let bars: Vec<Bar> = statuses
            .iter()
            .map(|(status, n)| users(status, n.as_u64().unwrap_or(0), 0, "bar"))
            .collect();
        out.push_str(&svg::bars(
            "c-status",
            "Users by account status",
            &bars,
            0.0,
        ));
    }
    admins(out, s);
    out.push_str("</section>\n");
}

fn admins(out: &mut String, s: &Value) {
    let Some(admins) = s.get("admins").filter(|a| a.is_object()) else {
        out.push_str("<p class=\"muted\">Admins: unknown (the audit ran without --admin-role, or before it existed).</p>\n");
        return;
    };
    let users = admins.get("users").and_then(Value::as_u64);
    let without = admins.get("withoutEffectiveMfa").and_then(Value::as_u64);
    let roles: Vec<&str> = admins
        .get("roles")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "<h3>Admins</h3>\n<p>Roles: {}. Admins: {}; without effective MFA: {}; coverage {}.</p>",
        text(&roles.join(", ")),
        or_unknown(users),
        or_unknown(without),
        text(&percent(admins.get("coverage").and_then(Value::as_f64)))
    );
    if let (Some(users), Some(without)) = (users, without) {
        let bars = [
            Bar {
                label: "with effective MFA".into(),
                value: users.saturating_sub(without) as f64,
                shown: share_of(users.saturating_sub(without), users),
                class: "good",
            },
            Bar {
                label: "without effective MFA".into(),
                value: without as f64,
                shown: share_of(without, users),
                class: "bad",
            },
        ];
        out.push_str(&svg::bars("c-admins", "Admins", &bars, users as f64));
    }
}

/// The section of departments, when the summary has them.
pub fn departments(out: &mut String, s: &Value) {
    let Some(map) = s.get("byDepartment").and_then(Value::as_object) else {
        return;
    };
    out.push_str("<section aria-labelledby=\"h-departments\">\n<h2 id=\"h-departments\">Coverage per department</h2>\n");
    let mut all: Vec<(&String, u64, Option<u64>, Option<f64>)> = map
        .iter()
        .map(|(name, d)| {
            (
                name,
                d.get("users").and_then(Value::as_u64).unwrap_or(0),
                d.get("withoutEffectiveMfa").and_then(Value::as_u64),
                d.get("coverage").and_then(Value::as_f64),
            )
        })
        .collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let bars: Vec<Bar> = all
        .iter()
        .take(CHART_DEPARTMENTS)
        .map(|(name, users, _, coverage)| Bar {
            label: (*name).clone(),
            value: coverage.unwrap_or(0.0) * 100.0,
            shown: format!("{} of {users}", percent(*coverage)),
            class: "bar",
        })
        .collect();
    let title = format!("Coverage of the {} largest departments", bars.len());
    out.push_str(&svg::bars("c-departments", &title, &bars, 100.0));
    let rows: Vec<Vec<String>> = all
        .iter()
        .take(MAX_DEPARTMENT_ROWS)
        .map(|(name, users, without, coverage)| {
            vec![
                text(name),
                users.to_string(),
                or_unknown(*without),
                text(&percent(*coverage)),
            ]
        })
        .collect();
    out.push_str(&table(
        "Every department (its sub-departments included), largest first",
        &[
            "Department",
            "#Users",
            "#Without effective MFA",
            "#Coverage",
        ],
        &rows,
    ));
    if all.len() > MAX_DEPARTMENT_ROWS {
        let _ = writeln!(
            out,
            "<p>And {} more departments: see the summary.</p>",
            all.len() - MAX_DEPARTMENT_ROWS
        );
    }
    out.push_str("</section>\n");
}
