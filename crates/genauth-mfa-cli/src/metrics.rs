//! `audit --metrics FILE`: the run's summary as Prometheus text (the
//! exposition format node_exporter's textfile collector reads), every
//! series with `# HELP` and `# TYPE` and the `genauth_mfa_` prefix.
//!
//! It is made from the summary JSON itself (the same text `--summary FILE`
//! holds), so the two never disagree. A figure the summary does not know
//! (absent or `null`: no user answered, a part of the pool the key may not
//! read, no `--require`) leaves its series out: a gauge of 0 would say
//! "none", which nobody checked. The file is replaced whole (a new file
//! beside it, renamed over it), so the collector never reads half of it.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::exemptions::days_from_civil;

/// The factors of the summary's `enabled` object, in the order written.
const FACTORS: [&str; 4] = ["totp", "sms", "email", "face"];

/// One metric family: its name (without the prefix), help, and samples
/// (labels, value).
struct Family {
    name: &'static str,
    help: &'static str,
    samples: Vec<(String, f64)>,
}

impl Family {
    fn new(name: &'static str, help: &'static str) -> Family {
        Family {
            name,
            help,
            samples: Vec::new(),
        }
    }

    /// With one unlabelled sample, when `value` is known.
    fn one(name: &'static str, help: &'static str, value: Option<f64>) -> Family {
        let mut family = Family::new(name, help);
        if let Some(value) = value {
            family.samples.push((String::new(), value));
        }
        family
    }

    fn labelled(mut self, label: &str, value: &str, sample: Option<f64>) -> Family {
        if let Some(sample) = sample {
            self.samples
                .push((format!("{{{label}=\"{}\"}}", label_value(value)), sample));
        }
        self
    }
}

/// A label value as the text format wants it: `\`, `"` and line ends escaped.
fn label_value(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The number at `path` in `summary`, when it is one.
fn number(summary: &Value, path: &[&str]) -> Option<f64> {
    path.iter().try_fold(summary, |v, key| v.get(key))?.as_f64()
}

/// `true` as 1, `false` as 0, anything else unknown.
fn flag(summary: &Value, path: &[&str]) -> Option<f64> {
    let value = path.iter().try_fold(summary, |v, key| v.get(key))?;
    value.as_bool().map(|b| if b { 1.0 } else { 0.0 })
}

/// The families, in the order written.
fn families(summary: &Value) -> Vec<Family> {
    let (by_factor, pool_factors, exemptions) = labelled(summary);
    let mut all = counts(summary);
    all.extend([by_factor, pool_factors, exemptions]);
    all
}

/// The labelled families: users per factor, the pool's factors,
/// exemptions by state.
fn labelled(summary: &Value) -> (Family, Family, Family) {
    let mut by_factor = Family::new(
        "users_with_factor_enabled",
        "Users answered with this MFA factor enabled (whether the pool allows it or not).",
    );
    for factor in FACTORS {
        by_factor = by_factor.labelled("factor", factor, number(summary, &["enabled", factor]));
    }
    let mut pool_factors = Family::new(
        "pool_factor_enabled",
        "1 when the pool's MFA settings enable this factor, 0 when they do not.",
    );
    if let Some(enabled) = summary.get("poolEnabledFactors").and_then(Value::as_array) {
        for factor in FACTORS {
            let on = enabled.iter().any(|f| f.as_str() == Some(factor));
            pool_factors = pool_factors.labelled("factor", factor, Some(f64::from(u8::from(on))));
        }
    }
    let mut exemptions = Family::new(
        "exemptions",
        "Exemptions from --exemptions FILE: active, expired, or for users the audit did not see.",
    );
    for (state, key) in [
        ("active", "active"),
        ("expired", "expired"),
        ("unknown_user", "unknownUsers"),
    ] {
        exemptions = exemptions.labelled("state", state, number(summary, &["exemptions", key]));
    }
    (by_factor, pool_factors, exemptions)
}

/// The unlabelled families: users and coverage, bypasses, admins, the
/// policy, completeness and the run's end.
fn counts(summary: &Value) -> Vec<Family> {
    let mut families = user_counts(summary);
    families.extend(pool_counts(summary));
    families
}

/// Users and coverage.
fn user_counts(summary: &Value) -> Vec<Family> {
    vec![
        Family::one(
            "users",
            "Users the audit covered: answered or failed, each once.",
            number(summary, &["users"]),
        ),
        Family::one(
            "users_failed",
            "Users whose answer could not be had.",
            number(summary, &["failed"]),
        ),
        Family::one(
            "users_without_mfa",
            "Users answered with no MFA factor enabled.",
            number(summary, &["withoutMfa"]),
        ),
        Family::one(
            "users_without_effective_mfa",
            "Users answered who are never asked for MFA: no factor the pool enables, or on a \
             SKIP_MFA list.",
            number(summary, &["withoutEffectiveMfa"]),
        ),
        Family::one(
            "coverage_ratio",
            "Share of the users answered with at least one MFA factor enabled.",
            number(summary, &["coverage"]),
        ),
        Family::one(
            "effective_coverage_ratio",
            "Share of the users answered with effective MFA.",
            number(summary, &["effectiveCoverage"]),
        ),
    ]
}

/// Bypasses, admins, the policy, completeness and the run's end.
fn pool_counts(summary: &Value) -> Vec<Family> {
    let bypass_ips = summary
        .get("bypass")
        .and_then(|b| b.get("ips"))
        .and_then(Value::as_array)
        .map(|ips| ips.len() as f64);
    vec![
        Family::one(
            "bypass_users",
            "Users on a WHITE user list with SKIP_MFA: never asked for MFA.",
            number(summary, &["bypass", "users"]),
        ),
        Family::one(
            "bypass_ip_ranges",
            "IP ranges on a WHITE IP list with SKIP_MFA: nobody signing in from them is asked.",
            bypass_ips,
        ),
        Family::one(
            "admins",
            "Members of the --admin-role roles.",
            number(summary, &["admins", "users"]),
        ),
        Family::one(
            "admins_without_effective_mfa",
            "Admins without effective MFA.",
            number(summary, &["admins", "withoutEffectiveMfa"]),
        ),
        Family::one(
            "policy_met",
            "1 when every user answered meets --require (and --require-admins), 0 when not.",
            flag(summary, &["policy", "met"]),
        ),
        Family::one(
            "policy_violations",
            "Users answered who do not meet --require.",
            number(summary, &["policy", "violations"]),
        ),
        Family::one(
            "audit_complete",
            "1 when every user has a final answer and the listing was proven whole, 0 when not.",
            flag(summary, &["complete"]),
        ),
        Family::one(
            "last_run_timestamp_seconds",
            "When the audit ended (its summary's generatedAt), as a Unix timestamp.",
            summary
                .get("generatedAt")
                .and_then(Value::as_str)
                .and_then(unix_seconds)
                .map(|s| s as f64),
        ),
    ]
}

/// The summary JSON as Prometheus text; families with no known sample
/// are left out.
pub fn render(summary: &Value) -> String {
    let mut text = String::new();
    for family in families(summary) {
        if family.samples.is_empty() {
            continue;
        }
        let name = format!("genauth_mfa_{}", family.name);
        let _ = writeln!(text, "# HELP {name} {}", family.help);
        let _ = writeln!(text, "# TYPE {name} gauge");
        for (labels, value) in &family.samples {
            let _ = writeln!(text, "{name}{labels} {value}");
        }
    }
    text
}

/// Writes the metrics of `summary_json` to `path`, replacing it whole.
pub fn write(path: &Path, summary_json: &str) -> Result<(), String> {
    let summary: Value = serde_json::from_str(summary_json)
        .map_err(|e| format!("cannot read the summary back: {e}"))?;
    crate::files::write_replacing(path, render(&summary).as_bytes()).map_err(|e| e.to_string())
}

/// `2026-12-01T10:22:25Z` (the summary's own form) as seconds since the
/// Unix epoch; `None` for anything else.
pub fn unix_seconds(at: &str) -> Option<i64> {
    let b = at.as_bytes();
    let shape = b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z';
    if !shape {
        return None;
    }
    let field = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = at.get(range)?;
        digits
            .bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| digits.parse().ok())?
    };
    let (year, month, day) = (field(0..4)?, field(5..7)?, field(8..10)?);
    let (hour, minute, second) = (field(11..13)?, field(14..16)?, field(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn summary_times_read_back_as_unix_seconds() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(unix_seconds("2000-02-29T23:59:59Z"), Some(951_868_799));
        assert_eq!(unix_seconds("2026-12-01T10:22:25Z"), Some(1_796_120_545));
        for bad in [
            "",
            "2026-12-01 10:22:25Z",
            "2026-13-01T10:22:25Z",
            "2026-12-01T10:22:25",
        ] {
            assert_eq!(unix_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn unknown_figures_leave_their_series_out() {
        let text = render(&json!({"users": 0, "coverage": null, "policy": null,
                                  "enabled": {"totp": 0}}));
        assert!(text.contains("genauth_mfa_users 0\n"), "{text}");
        assert!(text.contains("genauth_mfa_users_with_factor_enabled{factor=\"totp\"} 0\n"));
        for absent in [
            "coverage_ratio",
            "policy_met",
            "factor=\"sms\"",
            "admins",
            "exemptions",
        ] {
            assert!(!text.contains(absent), "{absent} in {text}");
        }
    }
}
