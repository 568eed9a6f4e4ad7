//! `genauth-mfa audit --exemptions FILE` over real HTTP on 127.0.0.1 (the
//! fake served on loopback): exempt users meet `--require` until their
//! exemption's last day; expired exemptions cover nobody and are named;
//! entries for users the audit did not see are stale (unknownUsers); a
//! malformed file is a setup error naming its line, before any request.
//!
//! Dates are written relative to the real today (30 days either side), so
//! no test sets the tool's clock.

mod support;
use support::day;

use genauth_mfa_mocks::*;
use genauth_mfa_testkit::cli_support::*;

use std::collections::HashMap;

use genauth_mfa::{MfaStatus, UserMfaInfo};
use genauth_mfa_fake::{FakeGenAuth, FakeServer, PoolUser};
use serde_json::{Value, json};

/// u-totp has TOTP; u-breakglass, u-service and u-lapsed have no factor.
fn pool() -> FakeGenAuth {
    let fake = FakeGenAuth::new();
    fake.add_pool_user(PoolUser::new("u-totp").mfa(UserMfaInfo::new().totp(MfaStatus::Enabled)));
    for id in ["u-breakglass", "u-service", "u-lapsed"] {
        fake.add_pool_user(PoolUser::new(id));
    }
    fake
}

fn serve(fake: &FakeGenAuth) -> FakeServer {
    fake.serve().unwrap()
}

/// Exemptions for u-breakglass and u-service (holding), u-lapsed (expired
/// yesterday) and u-gone (no such user).
fn exemptions_text() -> String {
    format!(
        "# who may go without MFA, and until when\n\
         userId,reason,owner,expires\n\
         u-breakglass,break-glass account,secops@example.com,{}\n\
         \n\
         u-service,\"service account, no human\",platform@example.com,{}\n\
         u-lapsed,migration,it@example.com,{}\n\
         u-gone,left the company,hr@example.com,{}\n",
        day(30),
        day(0),
        day(-1),
        day(30),
    )
}

fn by_id(rows: &[Value]) -> HashMap<String, Value> {
    rows.iter()
        .map(|r| (r["userId"].as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

fn summary_of(path: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn exempt_users_meet_require_until_their_last_day_and_expired_ones_do_not() {
    let fake = pool();
    let server = serve(&fake);
    let file = temp_path("exemptions.csv");
    std::fs::write(&*file, exemptions_text()).unwrap();
    let summary = temp_path("summary.json");
    let output = run(
        against_url(&server.url()).args([
            "audit",
            "--all-users",
            "--require",
            "any",
            "--exemptions",
            file.to_str().unwrap(),
            "--summary",
            summary.to_str().unwrap(),
        ]),
        b"",
    );
    let err = stderr(&output);
    // u-lapsed's exemption expired yesterday: the policy is not met.
    assert_eq!(output.status.code(), Some(3), "{err}");
    let rows = by_id(&json_rows(&output));
    assert_eq!(rows.len(), 4, "{err}");
    assert_eq!(rows["u-breakglass"]["exemptionExpires"], day(30));
    assert_eq!(
        rows["u-service"]["exemptionExpires"],
        day(0),
        "today is its last day"
    );
    assert_eq!(rows["u-lapsed"]["exemptionExpires"], day(-1));
    assert_eq!(rows["u-totp"]["exemptionExpires"], Value::Null);
    assert!(
        rows["u-totp"]
            .as_object()
            .unwrap()
            .contains_key("exemptionExpires")
    );
    let json = summary_of(&summary);
    assert_eq!(
        json["exemptions"],
        json!({"active": 2, "expired": 1, "unknownUsers": 1, "stale": [
            {"userId": "u-gone", "owner": "hr@example.com", "expires": day(30), "line": 7}
        ]})
    );
    assert_eq!(json["policy"]["violations"], 1);
    assert_eq!(json["policy"]["exempted"], 2);
    assert_eq!(json["policy"]["met"], false);
    // The existing keys keep their meaning: coverage is enabled factors.
    assert_eq!(json["withoutMfa"], 3);
    assert!(
        err.contains("exemptions expired (they cover nobody; renew or remove them): u-lapsed"),
        "{err}"
    );
    assert!(err.contains("owner it@example.com, line 6"), "{err}");
    assert!(
        err.contains("exemptions for users this audit did not see (stale entries, counted as unknownUsers): u-gone"),
        "{err}"
    );
    assert!(err.contains("exemptions: 2 active, 1 expired, 1 for users this audit did not see; 2 users meet --require by an exemption"), "{err}");
    assert!(
        err.contains("policy not met: 1 users answered have no factor"),
        "{err}"
    );
}

#[test]
fn with_every_user_covered_or_exempt_the_policy_is_met() {
    let fake = pool();
    let server = serve(&fake);
    let file = temp_path("exemptions.csv");
    let text = format!(
        "userId,reason,owner,expires\n\
         u-breakglass,break-glass,secops,{0}\nu-service,service,platform,{0}\n\
         u-lapsed,renewed,it,{0}\n",
        day(1)
    );
    std::fs::write(&*file, text).unwrap();
    let summary = temp_path("summary.json");
    let output = run(
        against_url(&server.url()).args([
            "audit",
            "--all-users",
            "--require",
            "any",
            "--format",
            "csv",
            "--exemptions",
            file.to_str().unwrap(),
            "--summary",
            summary.to_str().unwrap(),
        ]),
        b"",
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let lines = lines(&output);
    assert!(
        lines[0].ends_with(",user_id_type,effective_mfa,skip_mfa,admin,exemption_expires"),
        "{}",
        lines[0]
    );
    let service = lines.iter().find(|l| l.starts_with("u-service,")).unwrap();
    assert!(
        service.ends_with(&format!(",user_id,false,false,,{}", day(1))),
        "{service}"
    );
    let totp = lines.iter().find(|l| l.starts_with("u-totp,")).unwrap();
    assert!(totp.ends_with(",user_id,true,false,,"), "{totp}");
    let json = summary_of(&summary);
    assert_eq!(
        json["exemptions"],
        json!({"active": 3, "expired": 0, "unknownUsers": 0, "stale": []})
    );
    assert_eq!(
        json["policy"],
        json!({"require": ["any"], "met": true, "violations": 0, "exempted": 3,
               "requireAdmins": null, "adminViolations": 0})
    );
    assert!(
        err.contains("policy met: every user answered has any enabled or an exemption that holds"),
        "{err}"
    );
    assert!(!err.contains("stale"), "{err}");
}

#[test]
fn without_exemptions_the_rows_and_summary_are_as_before() {
    let fake = pool();
    let server = serve(&fake);
    let summary = temp_path("summary.json");
    let output = run(
        against_url(&server.url()).args([
            "audit",
            "--all-users",
            "--require",
            "any",
            "--summary",
            summary.to_str().unwrap(),
        ]),
        b"",
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    for row in json_rows(&output) {
        assert!(
            !row.as_object().unwrap().contains_key("exemptionExpires"),
            "{row}"
        );
    }
    let json = summary_of(&summary);
    assert_eq!(json["exemptions"], Value::Null);
    assert!(!json["policy"].as_object().unwrap().contains_key("exempted"));
    assert_eq!(json["policy"]["violations"], 3);
}

#[test]
fn a_file_of_ids_uses_exemptions_too_and_stale_names_are_bounded() {
    let fake = pool();
    let server = serve(&fake);
    let file = temp_path("exemptions.csv");
    let mut text = format!(
        "userId,reason,owner,expires\nu-service,svc,platform,{}\n",
        day(3)
    );
    for i in 0..15 {
        text.push_str(&format!("gone-{i:02},left,hr,{}\n", day(3)));
    }
    std::fs::write(&*file, text).unwrap();
    let output = run(
        against_url(&server.url()).args([
            "audit",
            "--require",
            "any",
            "--exemptions",
            file.to_str().unwrap(),
        ]),
        b"u-service\nu-totp\n",
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let rows = by_id(&json_rows(&output));
    assert_eq!(rows["u-service"]["exemptionExpires"], day(3));
    assert!(
        err.contains("gone-00, gone-01, gone-02, gone-03, gone-04, gone-05, gone-06, gone-07, gone-08, gone-09, and 5 more"),
        "{err}"
    );
    assert!(
        err.contains("exemptions: 1 active, 0 expired, 15 for users"),
        "{err}"
    );
}

#[test]
fn a_malformed_exemption_file_is_a_setup_error_naming_its_line_before_any_request() {
    let head = "userId,reason,owner,expires\n";
    let ok = day(10);
    let cases = [
        (
            "userId,reason,expires\nu1,r,2030-01-01\n".to_owned(),
            "line 1: the header lacks the column owner",
        ),
        (
            format!("{head}u1,r,o,{ok}\nu2,r,o\n"),
            "line 3: 3 fields where the header has 4",
        ),
        (
            format!("{head}# ok\nu1,r,o,31/12/2030\n"),
            "line 3: expires \"31/12/2030\" is not a date",
        ),
        (
            format!("{head}u1,r,o,2030-02-30\n"),
            "line 2: expires \"2030-02-30\" is not a date",
        ),
        (
            format!("{head}u1,r,o,{ok}\n\nu1,r2,o2,{ok}\n"),
            "line 4: userId u1 is exempted twice (line 2 too)",
        ),
        (format!("{head}u1,,o,{ok}\n"), "line 2: the reason is empty"),
        (
            format!("{head}u1,r,  ,{ok}\n"),
            "line 2: the owner is empty",
        ),
    ];
    for (text, said) in cases {
        let fake = pool();
        let server = serve(&fake);
        let file = temp_path("exemptions.csv");
        std::fs::write(&*file, &text).unwrap();
        let output = run(
            against_url(&server.url()).args([
                "audit",
                "--all-users",
                "--require",
                "any",
                "--exemptions",
                file.to_str().unwrap(),
            ]),
            b"",
        );
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{text:?}: {err}");
        assert!(err.contains(said), "{text:?}: {err}");
        assert!(err.contains("--exemptions"), "{err}");
        assert!(output.stdout.is_empty(), "{text:?}");
        assert_eq!(
            fake.requests().len(),
            0,
            "{text:?}: no request before the file is read"
        );
    }
    // A file that is not there: exit 1 too, nothing asked.
    let fake = pool();
    let server = serve(&fake);
    let missing = temp_path("absent.csv");
    let output = run(
        against_url(&server.url()).args([
            "audit",
            "--all-users",
            "--exemptions",
            missing.to_str().unwrap(),
        ]),
        b"",
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("cannot read --exemptions"),
        "{}",
        stderr(&output)
    );
    assert_eq!(fake.requests().len(), 0);
}

/// `--output`, `--summary` or `--metrics` naming the `--exemptions` file
/// (the same file, also through a symlink) is a setup error before any
/// request: the user's exemptions are never replaced by rows or a summary.
#[test]
fn an_output_summary_or_metrics_that_is_the_exemptions_file_is_refused_and_left_intact() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("exemptions.csv");
    let text = exemptions_text();
    std::fs::write(&file, &text).unwrap();
    #[cfg(unix)]
    let link = {
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        link
    };
    #[cfg(not(unix))]
    let link = file.clone();
    let other = dir.path().join("other.jsonl");
    for (flag, target) in [
        ("--output", &file),
        ("--output", &link),
        ("--summary", &file),
        ("--metrics", &link),
    ] {
        let fake = pool();
        let server = serve(&fake);
        let mut args = vec![
            "audit",
            "--all-users",
            "--exemptions",
            file.to_str().unwrap(),
        ];
        if flag != "--output" {
            args.extend(["--output", other.to_str().unwrap()]);
        }
        args.extend([flag, target.to_str().unwrap()]);
        let output = run(against_url(&server.url()).args(&args), b"");
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{flag} {target:?}: {err}");
        assert!(err.contains("--exemptions"), "{flag}: {err}");
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            text,
            "{flag} {target:?}: the exemptions file was replaced"
        );
        assert_eq!(fake.requests().len(), 0, "{flag}: no request");
    }
}

/// An `--exemptions` device that never ends (`/dev/zero`) is refused at
/// the size limit, not read until memory runs out.
#[cfg(unix)]
#[test]
fn an_endless_exemptions_device_is_refused_not_read_forever() {
    let fake = pool();
    let server = serve(&fake);
    let tool = against_url(&server.url());
    let mut shell = std::process::Command::new("sh");
    // Capped at 1 GiB of address space: a tool reading without bound is
    // killed by the cap instead of the machine.
    shell
        .arg("-c")
        .arg("ulimit -v 1048576; exec \"$0\" \"$@\"")
        .arg(tool.get_program())
        .args(["audit", "--all-users", "--exemptions", "/dev/zero"]);
    for (key, value) in tool.get_envs() {
        match value {
            Some(value) => shell.env(key, value),
            None => shell.env_remove(key),
        };
    }
    let output = run(&mut shell, b"");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("--exemptions /dev/zero"), "{err}");
    // Refused for its size, not for the memory it took.
    assert!(err.contains("not an exemption list"), "{err}");
    assert!(!err.contains("out of memory"), "{err}");
    assert_eq!(fake.requests().len(), 0);
}

/// A header that names one of the columns twice (`userId,...,userId`) is
/// ambiguous: which id is exempt? A setup error naming the column, before
/// any request, not the first of the two taken silently.
#[test]
fn an_exemptions_header_naming_a_column_twice_is_refused() {
    let fake = pool();
    let server = serve(&fake);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("exemptions.csv");
    std::fs::write(
        &file,
        format!(
            "userId,reason,owner,expires, userId\nu-breakglass,break-glass,secops,{},u-service\n",
            day(30)
        ),
    )
    .unwrap();
    let output = run(
        against_url(&server.url()).args([
            "audit",
            "--all-users",
            "--require",
            "any",
            "--exemptions",
            file.to_str().unwrap(),
        ]),
        b"",
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("line 1"), "{err}");
    assert!(err.contains("userId twice"), "{err}");
    assert_eq!(
        fake.requests().len(),
        0,
        "no request before the file is read"
    );
}
