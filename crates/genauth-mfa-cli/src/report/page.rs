//! The page's sections, from the summary (headline, warnings, charts) and
//! the output's tally (the table of users without MFA). Every value from
//! a file goes through [`text`] (or [`attr`]); figures the summary does not
//! have show as "unknown".

use std::fmt::Write as _;

use serde_json::Value;

use super::changes::Changes;
use super::html::{self, table, text};
use super::svg::{self, Bar};
use super::tally::{FACTORS, Tally};
use super::{count, number};

/// What the page is made from.
pub struct Report<'a> {
    pub summary: &'a Value,
    /// The audit output's name, as messages show it.
    pub output_name: String,
    pub tally: Tally,
    pub changes: Option<Changes>,
    pub history: Option<super::history::Trend>,
}

/// The most departments drawn; the others are in a table.
const CHART_DEPARTMENTS: usize = 20;
/// The most rows of the departments' table, and of IP ranges shown.
const MAX_DEPARTMENT_ROWS: usize = 5000;
const MAX_IPS: usize = 50;

pub fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "unknown".to_owned(), |s| format!("{:.1} %", s * 100.0))
}

fn or_unknown(n: Option<u64>) -> String {
    n.map_or_else(|| "unknown".to_owned(), |n| n.to_string())
}

/// The page, whole.
pub fn render(report: Report<'_>) -> String {
    let s = report.summary;
    let mut body = String::with_capacity(64 * 1024);
    header(&mut body, s, &report.output_name);
    headline(&mut body, s);
    warnings(&mut body, s);
    charts(&mut body, s);
    departments(&mut body, s);
    if let Some(trend) = &report.history {
        super::history::section(&mut body, trend);
    }
    let without_table = users_table(report.tally, &report.output_name);
    body.push_str(&without_table);
    failures(&mut body, s);
    exemptions(&mut body, s);
    if let Some(changes) = &report.changes {
        changes_section(&mut body, changes);
    }
    let generated = s["generatedAt"].as_str().unwrap_or_default();
    let json = serde_json::to_string(s).unwrap_or_else(|_| "null".to_owned());
    html::page(&format!("MFA audit report, {generated}"), &body, &json)
}

fn header(out: &mut String, s: &Value, output_name: &str) {
    let _ = write!(
        out,
        "<header>\n<h1>MFA audit report</h1>\n<p class=\"muted\">Audit of {} users ended \
         {}; made by genauth-mfa {} from its output {} and its summary.</p>\n</header>\n",
        or_unknown(count(s, "/users")),
        text(s["generatedAt"].as_str().unwrap_or_default()),
        env!("CARGO_PKG_VERSION"),
        text(output_name),
    );
}

fn card(out: &mut String, name: &str, value: &str, class: &str, note: &str) {
    let _ = write!(
        out,
        "<div><dt>{}</dt><dd class=\"{class}\">{}</dd>",
        text(name),
        text(value)
    );
    if !note.is_empty() {
        let _ = write!(
            out,
            "<dd class=\"muted\" style=\"font-size:.8rem;font-weight:400\">{}</dd>",
            text(note)
        );
    }
    out.push_str("</div>\n");
}

fn headline(out: &mut String, s: &Value) {
    out.push_str("<section aria-labelledby=\"h-headline\">\n<h2 id=\"h-headline\">Headline</h2>\n<dl class=\"cards\">\n");
    let effective = number(s, "/effectiveCoverage");
    card(
        out,
        "Effective coverage",
        &percent(effective),
        "",
        if effective.is_none() {
            "the pool's factors and bypass lists are not in this summary"
        } else {
            "users asked for MFA at login"
        },
    );
    let coverage = number(s, "/coverage");
    let coverage_text = match coverage {
        Some(_) => percent(coverage),
        None => "no user answered".to_owned(),
    };
    card(
        out,
        "Coverage",
        &coverage_text,
        "",
        "users with at least one factor enabled",
    );
    card(
        out,
        "Users audited",
        &or_unknown(count(s, "/users")),
        "",
        &format!("{} answered", or_unknown(count(s, "/answered"))),
    );
    let failed = count(s, "/failed").unwrap_or(0);
    card(
        out,
        "Failed",
        &failed.to_string(),
        if failed > 0 { "bad" } else { "" },
        "no answer could be had",
    );
    card(
        out,
        "Generated at",
        s["generatedAt"].as_str().unwrap_or("unknown"),
        "",
        "",
    );
    let (policy, class, note) = policy(s);
    card(out, "Policy", &policy, class, &note);
    out.push_str("</dl>\n</section>\n");
}

/// The policy's outcome: its text, colour class and detail.
fn policy(s: &Value) -> (String, &'static str, String) {
    let Some(p) = s.get("policy").filter(|p| p.is_object()) else {
        return (
            "not checked".to_owned(),
            "",
            "the audit ran without --require".to_owned(),
        );
    };
    let names = |key: &str| {
        p.get(key).and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(",")
        })
    };
    let mut note = format!("--require {}", names("require").unwrap_or_default());
    if let Some(admins) = names("requireAdmins") {
        let _ = write!(note, "; --require-admins {admins}");
    }
    let mut extra = Vec::new();
    for (key, what) in [
        ("violations", "violations"),
        ("adminViolations", "admin violations"),
        ("exempted", "exempted"),
    ] {
        if let Some(n) = p.get(key).and_then(Value::as_u64) {
            extra.push(format!("{n} {what}"));
        }
    }
    if !extra.is_empty() {
        let _ = write!(note, "; {}", extra.join(", "));
    }
    match p.get("met").and_then(Value::as_bool) {
        Some(true) => ("met".to_owned(), "good", note),
        Some(false) => ("not met".to_owned(), "bad", note),
        None => ("unknown".to_owned(), "", note),
    }
}

fn warn(out: &mut String, message: &str) {
    let _ = writeln!(out, "<p class=\"warn\" role=\"note\">{}</p>", text(message));
}

fn warnings(out: &mut String, s: &Value) {
    out.push_str("<section aria-labelledby=\"h-warnings\">\n<h2 id=\"h-warnings\">Warnings</h2>\n");
    let before = out.len();
    if s.get("complete").and_then(Value::as_bool) == Some(false) {
        let why = s["incompleteReason"].as_str().unwrap_or("no reason given");
        warn(
            out,
            &format!(
                "This audit is incomplete: {why}. Its figures cover only the users it had an answer for."
            ),
        );
    }
    if s.get("poolChanged").and_then(Value::as_bool) == Some(true) {
        warn(
            out,
            "The pool changed while it was listed: users may have been missed or listed twice.",
        );
    }
    match s.get("poolEnabledFactors").and_then(Value::as_array) {
        Some(enabled) => {
            let on: Vec<&str> = enabled.iter().filter_map(Value::as_str).collect();
            let _ = writeln!(
                out,
                "<p>The pool enables these MFA factors: {}.</p>",
                text(&if on.is_empty() {
                    "none".to_owned()
                } else {
                    on.join(", ")
                })
            );
            for factor in FACTORS.iter().filter(|f| !on.contains(f)) {
                match count(s, &format!("/enabled/{factor}")) {
                    Some(n) if n > 0 => warn(
                        out,
                        &format!(
                            "{n} users have {factor} enabled, which the pool does not enable: it never asks for it."
                        ),
                    ),
                    _ => {}
                }
            }
        }
        None => {
            let _ = writeln!(
                out,
                "<p class=\"muted\">The pool's enabled factors: unknown (not in this summary).</p>"
            );
        }
    }
    bypass(out, s);
    if out.len() == before {
        out.push_str("<p>None.</p>\n");
    }
    out.push_str("</section>\n");
}

fn bypass(out: &mut String, s: &Value) {
    let Some(bypass) = s.get("bypass").filter(|b| b.is_object()) else {
        let _ = writeln!(
            out,
            "<p class=\"muted\">MFA bypasses (SKIP_MFA lists): unknown (not in this summary).</p>"
        );
        return;
    };
    match bypass.get("users").and_then(Value::as_u64) {
        Some(0) => out.push_str("<p>No user is on a SKIP_MFA list.</p>\n"),
        Some(n) => warn(out, &format!("{n} users are on a WHITE user list with SKIP_MFA: they are never asked for MFA, whatever they enrolled.")),
        None => out.push_str("<p class=\"muted\">Users on a SKIP_MFA list: unknown (the list could not be read).</p>\n"),
    }
    match bypass.get("ips").and_then(Value::as_array) {
        Some(ips) if ips.is_empty() => out.push_str("<p>No IP range skips MFA.</p>\n"),
        Some(ips) => {
            let mut shown: Vec<&str> = ips.iter().filter_map(Value::as_str).take(MAX_IPS).collect();
            let more = ips.len().saturating_sub(shown.len());
            let more = if more > 0 { format!(" and {more} more") } else { String::new() };
            shown.sort_unstable();
            warn(out, &format!("Nobody signing in from these IP ranges is asked for MFA (WHITE IP list, SKIP_MFA): {}{more}.", shown.join(", ")));
        }
        None => out.push_str("<p class=\"muted\">IP ranges that skip MFA: unknown (the list could not be read).</p>\n"),
    }
}

fn share_of(n: u64, of: u64) -> String {
    if of == 0 {
        n.to_string()
    } else {
        format!("{n} ({:.1} %)", n as f64 * 100.0 / of as f64)
    }
}

fn charts(out: &mut String, s: &Value) {
    out.push_str("<section aria-labelledby=\"h-charts\">\n<h2 id=\"h-charts\">Users</h2>\n");
    let answered = count(s, "/answered").unwrap_or(0);
    let factor_bars: Vec<Bar> = FACTORS
        .iter()
        .map(|f| {
            let n = count(s, &format!("/enabled/{f}")).unwrap_or(0);
            Bar {
                label: (*f).to_owned(),
                value: n as f64,
                shown: share_of(n, answered),
                class: "bar",
            }
        })
        .collect();
    out.push_str(&svg::bars(
        "c-factors",
        "Users by factor enabled",
        &factor_bars,
        answered as f64,
    ));
    let without = count(s, "/withoutMfa").unwrap_or(0);
    let failed = count(s, "/failed").unwrap_or(0);
    let mut covered = vec![
        Bar {
            label: "at least one factor".into(),
            value: (answered - without.min(answered)) as f64,
            shown: share_of(answered - without.min(answered), answered),
            class: "good",
        },
        Bar {
            label: "no factor".into(),
            value: without as f64,
            shown: share_of(without, answered),
            class: "bad",
        },
    ];
    if let Some(n) = count(s, "/withoutEffectiveMfa") {
        covered.push(Bar {
            label: "without effective MFA".into(),
            value: n as f64,
            shown: share_of(n, answered),
            class: "bad",
        });
    }
    covered.push(Bar {
        label: "failed (no answer)".into(),
        value: failed as f64,
        shown: failed.to_string(),
        class: "bar",
    });
    out.push_str(&svg::bars(
        "c-covered",
        "Covered and not covered",
        &covered,
        answered as f64,
    ));
    if let Some(statuses) = s
        .get("byStatus")
        .and_then(Value::as_object)
        .filter(|m| !m.is_empty())
    {
        let bars: Vec<Bar> = statuses
            .iter()
            .map(|(status, n)| {
                let n = n.as_u64().unwrap_or(0);
                Bar {
                    label: status.clone(),
                    value: n as f64,
                    shown: n.to_string(),
                    class: "bar",
                }
            })
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

fn departments(out: &mut String, s: &Value) {
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
    let cell = |t: &Option<String>| t.as_deref().map_or_else(String::new, text);
    let listed: Vec<Vec<String>> = tally
        .listed()
        .iter()
        .map(|u| {
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
        })
        .collect();
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
        warn(
            out,
            "Some exemptions have expired: the users they named must meet the policy again.",
        );
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
