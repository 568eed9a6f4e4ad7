//! `genauth-mfa audit --metrics FILE`: the summary as Prometheus text for
//! node_exporter's textfile collector, read back with a parser of that
//! format (the `prometheus-parse` crate, and `promtool check metrics` when
//! it is on PATH) and checked value by value against the `--summary` JSON
//! of the same run, over loopback HTTP (the fake served on 127.0.0.1).

use genauth_mfa_mocks::*;
use genauth_mfa_testkit::cli_support;

use std::collections::HashMap;
use std::path::Path;
use std::time::SystemTime;

use cli_support::*;
use genauth_mfa::{MfaStatus, UserMfaInfo};
use genauth_mfa_fake::{FakeGenAuth, PoolUser, Route};
use prometheus_parse::{Scrape, Value as Sample};
use serde_json::Value;

/// Five users: TOTP, SMS, none, face + email, a suspended one with none.
fn small_pool() -> FakeGenAuth {
    let fake = FakeGenAuth::new();
    for user in [
        PoolUser::new("u-totp").mfa(UserMfaInfo::new().totp(MfaStatus::Enabled)),
        PoolUser::new("u-sms").mfa(UserMfaInfo::new().sms(MfaStatus::Enabled)),
        PoolUser::new("u-none"),
        PoolUser::new("u-face-email").mfa(
            UserMfaInfo::new()
                .face(MfaStatus::Enabled)
                .email(MfaStatus::Enabled),
        ),
        PoolUser::new("u-suspended").status("Suspended"),
    ] {
        fake.add_pool_user(user);
    }
    fake
}

/// The file's samples by name and labels (`name{k="v"}`), each a gauge,
/// and its HELP lines; panics on a line the parser did not take.
fn parse(text: &str) -> (HashMap<String, f64>, HashMap<String, String>) {
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let scrape = Scrape::parse(lines).unwrap();
    let mut samples = HashMap::new();
    for sample in &scrape.samples {
        let Sample::Gauge(value) = sample.value else {
            panic!("{} is no gauge: {:?}", sample.metric, sample.value);
        };
        let mut labels: Vec<_> = sample.labels.iter().collect();
        labels.sort();
        let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
        let key = if labels.is_empty() {
            sample.metric.clone()
        } else {
            format!("{}{{{}}}", sample.metric, labels.join(","))
        };
        assert!(samples.insert(key, value).is_none(), "twice: {text}");
    }
    let lines = text.lines().filter(|l| !l.starts_with('#')).count();
    assert_eq!(samples.len(), lines, "every sample line read: {text}");
    for line in text.lines().filter(|l| l.starts_with("# TYPE ")) {
        assert!(line.ends_with(" gauge"), "{line}");
    }
    (samples, scrape.docs)
}

/// `promtool check metrics` on `path`, when promtool is on PATH.
fn promtool(path: &Path) {
    let Ok(output) = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(path).unwrap())
        .output()
    else {
        eprintln!("promtool is not on PATH: checked with prometheus-parse only");
        return;
    };
    assert!(
        output.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn metrics_hold_the_summarys_figures_as_prometheus_text() {
    let server = small_pool().serve().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (summary, metrics) = (dir.path().join("s.json"), dir.path().join("audit.prom"));
    std::fs::write(&metrics, "# an earlier run's file, replaced\n").unwrap();
    let started = unix_now();
    let output = run(
        against_url(&server.url())
            .args(["audit", "--all-users", "--require", "any", "--summary"])
            .arg(&summary)
            .arg("--metrics")
            .arg(&metrics),
        b"",
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{err}");
    let json: Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    let text = std::fs::read_to_string(&metrics).unwrap();
    let (samples, docs) = parse(&text);
    promtool(&metrics);
    let at = |key: &str| json.pointer(key).and_then(Value::as_f64).unwrap();
    let expected = [
        ("genauth_mfa_users", at("/users")),
        ("genauth_mfa_users_failed", at("/failed")),
        ("genauth_mfa_users_without_mfa", at("/withoutMfa")),
        ("genauth_mfa_coverage_ratio", at("/coverage")),
        ("genauth_mfa_policy_violations", at("/policy/violations")),
        ("genauth_mfa_policy_met", 0.0),
        ("genauth_mfa_audit_complete", 1.0),
    ];
    for (name, value) in expected {
        assert_eq!(samples.get(name), Some(&value), "{name}: {text}");
    }
    assert_eq!(samples["genauth_mfa_users"], 5.0);
    assert_eq!(samples["genauth_mfa_users_without_mfa"], 2.0);
    for factor in ["totp", "sms", "email", "face"] {
        let key = format!("genauth_mfa_users_with_factor_enabled{{factor=\"{factor}\"}}");
        assert_eq!(samples[&key], at(&format!("/enabled/{factor}")), "{key}");
    }
    // The run's end: the summary's generatedAt, as Unix seconds.
    let end = samples["genauth_mfa_last_run_timestamp_seconds"];
    assert!((started as f64..=unix_now() as f64).contains(&end), "{end}");
    assert_eq!(
        genauth_mfa::iso8601_utc(end as u64, None),
        json["generatedAt"].as_str().unwrap()
    );
    // Each family has its HELP (and TYPE, checked by parse); the prefix.
    for key in samples.keys() {
        let name = key.split('{').next().unwrap();
        assert!(name.starts_with("genauth_mfa_"), "{name}");
        assert!(!docs[name].is_empty(), "{name} has no HELP");
    }
    // Replaced by a rename: nothing of ours left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn figures_the_audit_does_not_know_are_left_out_not_written_as_zero() {
    // Every id unknown to the server: nobody answered, so no coverage;
    // no --require, so no policy.
    let server = FakeGenAuth::new().record_requests(true).serve().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (summary, metrics) = (dir.path().join("s.json"), dir.path().join("m.prom"));
    let output = run(
        against_url(&server.url())
            .args(["audit", "--summary"])
            .arg(&summary)
            .arg("--metrics")
            .arg(&metrics),
        b"ghost-1\nghost-2\n",
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert_eq!(server.fake().count(Route::GetUserMfaInfo), 2);
    let json: Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert_eq!(json["coverage"], Value::Null);
    let text = std::fs::read_to_string(&metrics).unwrap();
    let (samples, _) = parse(&text);
    promtool(&metrics);
    assert_eq!(samples["genauth_mfa_users"], 2.0);
    assert_eq!(samples["genauth_mfa_users_failed"], 2.0);
    for absent in [
        "genauth_mfa_coverage_ratio",
        "genauth_mfa_effective_coverage_ratio",
        "genauth_mfa_policy_met",
        "genauth_mfa_admins",
    ] {
        assert!(!samples.contains_key(absent), "{absent}: {text}");
        assert!(!text.contains(&format!("# TYPE {absent} ")), "{text}");
    }
    // The figures of issue 19 are there when the summary has them, and
    // left out when it does not: never 0 for "unknown".
    for (key, name) in [
        (
            "withoutEffectiveMfa",
            "genauth_mfa_users_without_effective_mfa",
        ),
        ("effectiveCoverage", "genauth_mfa_effective_coverage_ratio"),
    ] {
        match json.get(key).and_then(Value::as_f64) {
            Some(v) => assert_eq!(samples.get(name), Some(&v), "{name}"),
            None => assert!(!samples.contains_key(name), "{name}"),
        }
    }
}

#[test]
fn a_metrics_path_that_cannot_be_replaced_is_refused_before_any_request() {
    let server = small_pool().record_requests(true).serve().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("s.json");
    let summary_arg = summary.to_str().unwrap();
    let missing_dir = dir.path().join("no-such-dir").join("m.prom");
    for (metrics, why) in [
        ("-", "--metrics needs a FILE"),
        (dir.path().to_str().unwrap(), "is a directory"),
        (summary_arg, "is the --summary file"),
        (missing_dir.to_str().unwrap(), "cannot be written"),
    ] {
        let output = run(
            against_url(&server.url()).args([
                "audit",
                "--all-users",
                "--summary",
                summary_arg,
                "--metrics",
                metrics,
            ]),
            b"",
        );
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{metrics}: {err}");
        assert!(err.contains(why), "{metrics}: {err}");
    }
    assert!(server.fake().requests().is_empty());
    assert!(!summary.exists());
}
