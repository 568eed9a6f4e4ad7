//! The page's top: its header, the headline figures, the policy's
//! outcome, and the warnings (an incomplete audit, the pool's factors and
//! MFA bypasses).

use std::fmt::Write as _;

use serde_json::Value;

use super::html::text;
use super::page::{or_unknown, percent};
use super::tally::FACTORS;
use super::{count, number};

/// The most SKIP_MFA IP ranges named.
const MAX_IPS: usize = 50;

pub fn header(out: &mut String, s: &Value, output_name: &str) {
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

pub fn headline(out: &mut String, s: &Value) {
    out.push_str("<section aria-labelledby=\"h-headline\">\n<h2 id=\"h-headline\">Headline</h2>\n<dl class=\"cards\">\n");
    let effective = number(s, "/effectiveCoverage");
    card(
        out,
        "Effective coverage",
        &percent(effective),
        "",
        match (effective, s["effectiveMfaUnknownReason"].as_str()) {
            (Some(_), _) => "users asked for MFA at login",
            // The audit's own reason (the ids are not user_ids, ...).
            (None, Some(reason)) => reason,
            (None, None) if count(s, "/answered") == Some(0) => "no user answered",
            (None, None) => "the pool's factors and bypass lists are not in this summary",
        },
    );
    let coverage = number(s, "/coverage");
    let coverage_text = match coverage {
        Some(_) => percent(coverage),
        None if count(s, "/answered") == Some(0) => "no user answered".to_owned(),
        None => "unknown".to_owned(),
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
    // Only the rules the audit was given, and their figures: `require` or
    // `requireAdmins` is null when only the other was.
    let (require, admins) = (names("require"), names("requireAdmins"));
    let mut rules = Vec::new();
    if let Some(require) = &require {
        rules.push(format!("--require {require}"));
    }
    if let Some(admins) = &admins {
        rules.push(format!("--require-admins {admins}"));
    }
    let mut note = rules.join("; ");
    let mut extra = Vec::new();
    for (key, what, given) in [
        ("violations", "violations", require.is_some()),
        ("adminViolations", "admin violations", admins.is_some()),
        ("exempted", "exempted", true),
    ] {
        if !given {
            continue;
        }
        if let Some(n) = p.get(key).and_then(Value::as_u64) {
            extra.push(format!("{n} {what}"));
        }
    }
    if !extra.is_empty() {
        if !note.is_empty() {
            note.push_str("; ");
        }
        note.push_str(&extra.join(", "));
    }
    match p.get("met").and_then(Value::as_bool) {
        Some(true) => ("met".to_owned(), "good", note),
        Some(false) => ("not met".to_owned(), "bad", note),
        None => ("unknown".to_owned(), "", note),
    }
}

pub fn warn(out: &mut String, message: &str) {
    let _ = writeln!(out, "<p class=\"warn\" role=\"note\">{}</p>", text(message));
}

/// A warning made of our words and values: each value escaped and cut on
/// its own, so that none cuts what follows it.
fn warn_parts(out: &mut String, parts: &[&str], values: &[&str]) {
    out.push_str("<p class=\"warn\" role=\"note\">");
    for (i, part) in parts.iter().enumerate() {
        out.push_str(&text(part));
        if let Some(value) = values.get(i) {
            out.push_str(&text(value));
        }
    }
    out.push_str("</p>\n");
}

pub fn warnings(out: &mut String, s: &Value) {
    out.push_str("<section aria-labelledby=\"h-warnings\">\n<h2 id=\"h-warnings\">Warnings</h2>\n");
    let before = out.len();
    if s.get("complete").and_then(Value::as_bool) == Some(false) {
        let why = s["incompleteReason"].as_str().unwrap_or("no reason given");
        warn_parts(
            out,
            &[
                "This audit is incomplete: ",
                ". Its figures cover only the users it had an answer for.",
            ],
            &[why],
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
                            "{} {factor} enabled, which the pool does not enable: it never asks for it.",
                            users_have(n)
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
        Some(n) => warn(out, &format!("{} on a WHITE user list with SKIP_MFA: never asked for MFA, whatever they enrolled.", users_are(n))),
        None => out.push_str("<p class=\"muted\">Users on a SKIP_MFA list: unknown (the list could not be read).</p>\n"),
    }
    match bypass.get("ips").and_then(Value::as_array) {
        Some(ips) if ips.is_empty() => out.push_str("<p>No IP range skips MFA.</p>\n"),
        Some(ips) => {
            let mut shown: Vec<&str> = ips.iter().filter_map(Value::as_str).take(MAX_IPS).collect();
            let more = ips.len().saturating_sub(shown.len());
            let more = if more > 0 { format!(" and {more} more") } else { String::new() };
            shown.sort_unstable();
            let mut parts = vec!["Nobody signing in from these IP ranges is asked for MFA (WHITE IP list, SKIP_MFA): "];
            parts.extend(std::iter::repeat_n(", ", shown.len().saturating_sub(1)));
            let end = format!("{more}.");
            parts.push(&end);
            warn_parts(out, &parts, &shown);
        }
        None => out.push_str("<p class=\"muted\">IP ranges that skip MFA: unknown (the list could not be read).</p>\n"),
    }
}

/// `1 user has`, `2 users have`.
fn users_have(n: u64) -> String {
    if n == 1 {
        "1 user has".to_owned()
    } else {
        format!("{n} users have")
    }
}

/// `1 user is`, `2 users are`.
fn users_are(n: u64) -> String {
    if n == 1 {
        "1 user is".to_owned()
    } else {
        format!("{n} users are")
    }
}
