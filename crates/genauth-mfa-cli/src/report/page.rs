//! The page's sections, from the summary (headline, warnings, charts) and
//! the output's tally (the table of users without MFA). Every value from
//! a file goes through [`text`] (or [`attr`]); figures the summary does not
//! have show as "unknown".

use std::fmt::Write as _;

use serde_json::Value;

use super::changes::Changes;
use super::html::{self, table, text};
use super::tally::{Listed, Tally};
use super::{charts, headline};

/// What the page is made from.
pub struct Report<'a> {
    pub summary: &'a Value,
    /// The audit output's name, as messages show it.
    pub output_name: String,
    pub tally: Tally,
    pub changes: Option<Changes>,
    pub history: Option<super::history::Trend>,
}

pub fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "unknown".to_owned(), |s| format!("{:.1} %", s * 100.0))
}

pub fn or_unknown(n: Option<u64>) -> String {
    n.map_or_else(|| "unknown".to_owned(), |n| n.to_string())
}

/// The page, whole.
pub fn render(report: Report<'_>) -> String {
    let s = report.summary;
    let mut body = String::with_capacity(64 * 1024);
    headline::header(&mut body, s, &report.output_name);
    headline::headline(&mut body, s);
    headline::warnings(&mut body, s);
    charts::charts(&mut body, s);
    charts::departments(&mut body, s);
    if let Some(trend) = &report.history {
        super::history::section(&mut body, trend);
    }
    let mut tally = report.tally;
    let expiring = std::mem::take(&mut tally.expiring);
    std::mem::take(&mut tally.admins).section(&mut body, &report.output_name);
    let without_table = users_table(tally, &report.output_name);
    body.push_str(&without_table);
    failures(&mut body, s);
    exemptions(&mut body, s);
    expiring.section(&mut body, &report.output_name);
    stale(&mut body, s);
    if let Some(changes) = &report.changes {
        changes_section(&mut body, changes);
    }
    let generated = s["generatedAt"].as_str().unwrap_or_default();
    let json = serde_json::to_string(s).unwrap_or_else(|_| "null".to_owned());
    html::page(&format!("MFA audit report, {generated}"), &body, &json)
}

/// A listed user's cells, escaped.
fn user_cells(u: &Listed) -> Vec<String> {
    let cell = |t: &Option<String>| t.as_deref().map_or_else(String::new, text);
    let admin = match u.admin {
        Some(true) => "admin",
        Some(false) => "",
        None => "unknown",
    };
    let factors = if u.factors.is_empty() {
        "none".to_owned()
    } else {
        u.factors.join(", ")
    };
    vec![
        text(&u.user_id),
        cell(&u.username),
        cell(&u.email),
        cell(&u.status),
        cell(&u.last_login),
        admin.to_owned(),
        factors,
    ]
}

fn users_table(tally: Tally, output_name: &str) -> String {
    let mut out = String::new();
    let (title, note) = if tally.effective_known {
        (
            "Users without effective MFA",
            "Admins first, then the most recent login.",
        )
    } else {
        (
            "Users with no MFA factor enabled",
            "Admins first (when the output says who is), then the most recent login. This output does not say which users have effective MFA (the pool's enabled factors, SKIP_MFA lists), so users whose only factor the pool does not ask for are not listed.",
        )
    };
    let total = tally.without_effective;
    let _ = writeln!(
        out,
        "<section aria-labelledby=\"h-users\">\n<h2 id=\"h-users\">{} ({total})</h2>\n<p>{}</p>",
        text(title),
        text(note)
    );
    let listed: Vec<Vec<String>> = tally.listed().iter().map(user_cells).collect();
    if listed.is_empty() {
        out.push_str("<p>None.</p>\n");
    } else {
        out.push_str(&table(
            title,
            &[
                "User ID",
                "Username",
                "Email",
                "Status",
                "Last login",
                "Admin",
                "Factors enabled",
            ],
            &listed,
        ));
    }
    let more = total.saturating_sub(listed.len() as u64);
    if more > 0 {
        let _ = writeln!(out, "<p>And {more} more: see {}.</p>", text(output_name));
    }
    out.push_str("</section>\n");
    out
}

fn failures(out: &mut String, s: &Value) {
    let Some(errors) = s
        .get("errors")
        .and_then(Value::as_object)
        .filter(|e| !e.is_empty())
    else {
        return;
    };
    let rows: Vec<Vec<String>> = errors
        .iter()
        .map(|(kind, n)| vec![text(kind), or_unknown(n.as_u64())])
        .collect();
    out.push_str("<section aria-labelledby=\"h-failures\">\n<h2 id=\"h-failures\">Failures</h2>\n");
    out.push_str(&table(
        "Users (and unreadable input lines) with no answer, by kind of error",
        &["Kind", "#Count"],
        &rows,
    ));
    out.push_str("</section>\n");
}

fn exemptions(out: &mut String, s: &Value) {
    let Some(e) = s.get("exemptions").filter(|e| e.is_object()) else {
        return;
    };
    out.push_str(
        "<section aria-labelledby=\"h-exemptions\">\n<h2 id=\"h-exemptions\">Exemptions</h2>\n",
    );
    let rows: Vec<Vec<String>> = [
        ("active", "Active"),
        ("expired", "Expired: cover nobody"),
        ("unknownUsers", "For users the audit did not see"),
    ]
    .iter()
    .map(|(key, what)| vec![text(what), or_unknown(e.get(key).and_then(Value::as_u64))])
    .collect();
    out.push_str(&table(
        "Exemptions from --exemptions FILE",
        &["Exemptions", "#Count"],
        &rows,
    ));
    if e.get("expired")
        .and_then(Value::as_u64)
        .is_some_and(|n| n > 0)
    {
        headline::warn(
            out,
            "Some exemptions have expired: the users they named must meet the policy again.",
        );
    }
    out.push_str("</section>\n");
}

/// The most stale entries the page names, as the audit's summary does.
const STALE_SHOWN: usize = 10;

/// The stale entries of `--exemptions` (users the audit did not see), as
/// the summary names them (at most ten), beside the expired ones.
fn stale(out: &mut String, s: &Value) {
    let Some(count) = s
        .pointer("/exemptions/unknownUsers")
        .and_then(Value::as_u64)
    else {
        return;
    };
    let _ = writeln!(
        out,
        "<section aria-labelledby=\"h-stale\">\n<h2 id=\"h-stale\">Exemptions for users the \
         audit did not see ({count})</h2>\n<p>Stale entries (a user deleted or renamed): they \
         cover nobody; remove or correct them.</p>"
    );
    let named = s.pointer("/exemptions/stale").and_then(Value::as_array);
    // The audit names at most ten; an edited or foreign summary may name
    // more (or more than it counts): the page shows no more than that.
    let shown = usize::try_from(count).map_or(STALE_SHOWN, |n| n.min(STALE_SHOWN));
    let rows: Vec<Vec<String>> = named
        .into_iter()
        .flatten()
        .take(shown)
        .map(|e| {
            let cell = |key: &str| match e.get(key) {
                Some(Value::String(t)) => text(t),
                Some(Value::Number(n)) => text(&n.to_string()),
                _ => "unknown".to_owned(),
            };
            vec![cell("userId"), cell("owner"), cell("expires"), cell("line")]
        })
        .collect();
    if count == 0 {
        out.push_str("<p>None.</p>\n");
    } else if rows.is_empty() {
        out.push_str("<p>The summary does not name them (written by an earlier version): see its stderr.</p>\n");
    } else {
        out.push_str(&table(
            "Stale exemption entries, in file order",
            &["User ID", "Owner", "Expires", "#Line"],
            &rows,
        ));
    }
    let more = count.saturating_sub(rows.len() as u64);
    if more > 0 && !rows.is_empty() {
        let _ = writeln!(out, "<p>And {more} more: see --exemptions FILE.</p>");
    }
    out.push_str("</section>\n");
}

fn changes_section(out: &mut String, changes: &Changes) {
    let c = &changes.counts;
    out.push_str("<section aria-labelledby=\"h-changes\">\n<h2 id=\"h-changes\">Changes since the previous audit</h2>\n");
    let counts: Vec<Vec<String>> = [
        ("Lost MFA", c.lost),
        ("Gained MFA", c.gained),
        ("Changed factors", c.changed),
        ("Added", c.added),
        ("Removed", c.removed),
        ("Unknown (an error row in one audit)", c.unknown),
        ("Failed in both", c.failed_both),
        ("Unchanged", c.unchanged),
    ]
    .iter()
    .map(|(what, n)| vec![text(what), n.to_string()])
    .collect();
    out.push_str(&table(
        "Users by change, as genauth-mfa diff counts them",
        &["Change", "#Users"],
        &counts,
    ));
    let (rows, more) = changes.shown();
    let rows: Vec<Vec<String>> = rows
        .map(|i| {
            vec![
                text(&i.user_id),
                text(i.change),
                text(&i.before),
                text(&i.after),
            ]
        })
        .collect();
    if !rows.is_empty() {
        out.push_str(&table(
            "Changed users, lost MFA first",
            &["User ID", "Change", "Before", "After"],
            &rows,
        ));
    }
    if more > 0 {
        let _ = writeln!(
            out,
            "<p>And {more} more: run genauth-mfa diff on the two outputs.</p>"
        );
    }
    out.push_str("</section>\n");
}
