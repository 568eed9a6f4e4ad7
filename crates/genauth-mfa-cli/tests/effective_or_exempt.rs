//! The rule that joins the pool's own policy and `--exemptions` (issue 19,
//! points 8 and 10), over real HTTP on 127.0.0.1 (the fake served on
//! loopback): a user meets `--require`, an admin `--require-admins`, with
//! effective MFA (a factor the pool enables, no SKIP_MFA) OR an exemption
//! that holds; an expired exemption covers nobody; users resumed from an
//! earlier output are judged alike; `byDepartment.withoutEffectiveMfa`
//! counts effective MFA as the summary's `withoutEffectiveMfa` does.
//!
//! Dates are written relative to the real today, so no test sets the
//! tool's clock.

mod support;
use support::day;

use genauth_mfa_mocks::*;
use genauth_mfa_testkit::cli_support::*;

use std::collections::HashMap;

use genauth_mfa::{MfaStatus, UserMfaInfo};
use genauth_mfa_fake::{FakeGenAuth, FakeServer, ListEntry, Organization, PoolUser};
use serde_json::{Value, json};

/// A pool that enables OTP, SMS and FACE (not EMAIL):
/// - `u-totp`: TOTP; an admin (role `admin`);
/// - `u-email`: EMAIL only (enabled, never asked for);
/// - `u-skip`: TOTP, on the WHITE list with SKIP_MFA;
/// - `u-none`: nothing;
/// - `u-boss`: SMS; an admin (role `billing-admin` in namespace `billing`);
/// - `u-boss2`: EMAIL only; an admin (role `admin`).
fn pool() -> FakeGenAuth {
    let on = MfaStatus::Enabled;
    let users = [
        PoolUser::new("u-totp").mfa(UserMfaInfo::new().totp(on.clone())),
        PoolUser::new("u-email").mfa(UserMfaInfo::new().email(on.clone())),
        PoolUser::new("u-skip").mfa(UserMfaInfo::new().totp(on.clone())),
        PoolUser::new("u-none"),
        PoolUser::new("u-boss").mfa(UserMfaInfo::new().sms(on.clone())),
        PoolUser::new("u-boss2").mfa(UserMfaInfo::new().email(on)),
    ];
    let fake = FakeGenAuth::new()
        .with_enabled_factors(["OTP", "SMS", "FACE"])
        .with_list_entry(ListEntry::white_user("u-skip").limit("SKIP_MFA"))
        .with_role("admin", "default", ["u-totp", "u-boss2"])
        .with_role("billing-admin", "billing", ["u-boss"]);
    for user in users {
        fake.add_pool_user(user);
    }
    fake
}

const ROLES: [&str; 4] = [
    "--admin-role",
    "admin",
    "--admin-role",
    "billing-admin@billing",
];

/// An exemptions file of `(userId, expires)`.
fn exemptions(entries: &[(&str, String)]) -> TempPath {
    let file = temp_path("exemptions.csv");
    let mut text = "userId,reason,owner,expires\n".to_owned();
    for (id, expires) in entries {
        text.push_str(&format!("{id},break-glass,secops@example.com,{expires}\n"));
    }
    std::fs::write(&*file, text).unwrap();
    file
}

/// `audit --all-users ARGS --summary FILE` against `server`: the output,
/// its stderr and the summary JSON.
fn audit(server: &FakeServer, args: &[&str]) -> (std::process::Output, String, Value) {
    let summary = temp_path("summary.json");
    let output = run(
        against_url(&server.url())
            .args(["audit", "--all-users"])
            .args(args)
            .args(["--summary", summary.to_str().unwrap()]),
        b"",
    );
    let err = stderr(&output);
    let json = std::fs::read(&*summary)
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or(Value::Null);
    (output, err, json)
}

fn by_id(rows: &[Value]) -> HashMap<String, Value> {
    rows.iter()
        .map(|r| (r["userId"].as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

#[test]
fn an_exempt_user_without_effective_mfa_meets_require_and_an_expired_one_does_not() {
    let server = pool().serve().unwrap();
    // Without effective MFA: u-email, u-skip, u-none, u-boss2. All but
    // u-none hold an exemption; u-none's expired yesterday.
    let file = exemptions(&[
        ("u-email", day(30)),
        ("u-skip", day(0)),
        ("u-boss2", day(30)),
        ("u-none", day(-1)),
    ]);
    let args = ["--require", "any", "--exemptions", file.to_str().unwrap()];
    let (output, err, json) = audit(&server, &args);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert_eq!(
        json["policy"],
        json!({"require": ["any"], "met": false, "violations": 1, "exempted": 3,
               "requireAdmins": null, "adminViolations": 0}),
        "{err}"
    );
    assert_eq!(
        json["exemptions"],
        json!({"active": 3, "expired": 1, "unknownUsers": 0, "stale": []})
    );
    // An exemption changes no fact: effective MFA is still counted as is.
    assert_eq!(json["withoutEffectiveMfa"], 4, "{json}");
    let rows = by_id(&json_rows(&output));
    assert_eq!(rows["u-email"]["effectiveMfa"], false);
    assert_eq!(rows["u-email"]["exemptionExpires"], day(30).as_str());
    assert_eq!(rows["u-none"]["exemptionExpires"], day(-1).as_str());
    assert_eq!(rows["u-totp"]["exemptionExpires"], Value::Null);
    assert!(err.contains("exemptions expired"), "{err}");
    assert!(err.contains("u-none (expired"), "{err}");
    assert!(
        err.contains("policy not met: 1 users answered have no factor enabled and effective"),
        "{err}"
    );
    assert!(err.contains("and no exemption that holds"), "{err}");
    // Renewed: the policy is met, by effective MFA or an exemption.
    let file = exemptions(&[
        ("u-email", day(30)),
        ("u-skip", day(0)),
        ("u-boss2", day(30)),
        ("u-none", day(1)),
    ]);
    let args = ["--require", "any", "--exemptions", file.to_str().unwrap()];
    let (output, err, json) = audit(&server, &args);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert_eq!(json["policy"]["violations"], 0);
    assert_eq!(json["policy"]["exempted"], 4);
    assert!(
        err.contains("policy met: every user answered has any enabled or an exemption that holds"),
        "{err}"
    );
}

#[test]
fn an_exempt_admin_meets_require_admins_and_an_expired_one_violates() {
    let server = pool().serve().unwrap();
    // Admins short of TOTP: u-boss (SMS) and u-boss2 (EMAIL, not enabled).
    let file = exemptions(&[("u-boss", day(10)), ("u-boss2", day(-3))]);
    let mut args = vec!["--require-admins", "totp", "--exemptions"];
    args.push(file.to_str().unwrap());
    args.extend(ROLES);
    let (output, err, json) = audit(&server, &args);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert_eq!(
        json["policy"],
        json!({"require": null, "met": false, "violations": 0, "exempted": 1,
               "requireAdmins": ["totp"], "adminViolations": 1}),
        "{err}"
    );
    assert_eq!(json["admins"]["withoutEffectiveMfa"], 1, "{json}");
    assert!(
        err.contains("admin policy not met: 1 admin answered without totp effective and no exemption that holds"),
        "{err}"
    );
    // Both exemptions holding: the admins' rule is met.
    let file = exemptions(&[("u-boss", day(10)), ("u-boss2", day(3))]);
    let mut args = vec!["--require-admins", "totp", "--exemptions"];
    args.push(file.to_str().unwrap());
    args.extend(ROLES);
    let (output, err, json) = audit(&server, &args);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert_eq!(json["policy"]["adminViolations"], 0, "{json}");
    assert_eq!(json["policy"]["exempted"], 2, "{json}");
    assert_eq!(json["policy"]["met"], true, "{json}");
    assert!(
        err.contains(
            "admin policy met: every admin answered has totp effective or an exemption that holds"
        ),
        "{err}"
    );
}

#[test]
fn resumed_users_are_judged_by_the_same_rule() {
    let server = pool().serve().unwrap();
    let out = temp_path("effective-or-exempt.jsonl");
    let file = exemptions(&[
        ("u-email", day(30)),
        ("u-skip", day(0)),
        ("u-boss", day(5)),
        ("u-boss2", day(30)),
        ("u-none", day(-1)),
    ]);
    let mut args = vec![
        "--require",
        "any",
        "--require-admins",
        "totp",
        "--exemptions",
        file.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ];
    args.extend(ROLES);
    let (first, err, whole) = audit(&server, &args);
    assert_eq!(first.status.code(), Some(3), "{err}");
    // Every user answered already: each is resumed, none asked again.
    args.push("--resume");
    let (second, err, resumed) = audit(&server, &args);
    assert_eq!(second.status.code(), Some(3), "{err}");
    assert_eq!(resumed["resumed"], 6, "{err}");
    for key in ["policy", "exemptions", "withoutEffectiveMfa", "admins"] {
        assert_eq!(resumed[key], whole[key], "{key}: {err}");
    }
    assert_eq!(
        resumed["policy"],
        json!({"require": ["any"], "met": false, "violations": 1, "exempted": 4,
               "requireAdmins": ["totp"], "adminViolations": 0})
    );
    // Resumed users were seen: their entries are not stale.
    assert_eq!(
        resumed["exemptions"],
        json!({"active": 4, "expired": 1, "unknownUsers": 0, "stale": []})
    );
}

#[test]
fn by_department_counts_a_user_whose_only_factor_the_pool_disables() {
    let fake = FakeGenAuth::new()
        .with_enabled_factors(["OTP", "SMS", "FACE"])
        .with_list_entry(ListEntry::white_user("u-skip").limit("SKIP_MFA"))
        .with_organization(Organization::new("acme", "Acme").department(
            "eng",
            "Engineering",
            None,
        ));
    let on = MfaStatus::Enabled;
    fake.add_pool_user(PoolUser::new("u-totp").mfa(UserMfaInfo::new().totp(on.clone())));
    fake.add_pool_user(PoolUser::new("u-email").mfa(UserMfaInfo::new().email(on.clone())));
    fake.add_pool_user(PoolUser::new("u-skip").mfa(UserMfaInfo::new().totp(on)));
    let fake = fake
        .with_user_departments("u-totp", ["eng"])
        .with_user_departments("u-email", ["eng"])
        .with_user_departments("u-skip", ["eng"]);
    let server = fake.serve().unwrap();
    let (output, err, json) = audit(&server, &["--by", "department"]);
    assert_eq!(output.status.code(), Some(0), "{err}");
    // Every user has a factor enabled: coverage 1; effectively, only u-totp.
    assert_eq!(json["coverage"], 1.0, "{json}");
    assert_eq!(json["withoutEffectiveMfa"], 2, "{json}");
    assert_eq!(
        json["byDepartment"]["Acme / Engineering"],
        json!({"users": 3, "withoutEffectiveMfa": 2, "coverage": 0.3333}),
        "{json}"
    );
    assert_eq!(
        json["byDepartment"]["Acme"]["withoutEffectiveMfa"], 2,
        "{json}"
    );
}
