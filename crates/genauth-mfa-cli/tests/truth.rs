//! An audit that tells the truth (issue 19): the pool's own policy read
//! before the first user, over real HTTP on 127.0.0.1 (the crate's fake
//! served on loopback): the rows' effectiveMfa, skipMfa and admin, the
//! summary's poolEnabledFactors, effectiveCoverage, withoutEffectiveMfa,
//! bypass, admins and policy, `--admin-role`, `--require-admins`, a part the
//! key may not read, `diff` across the new column, and `--sandbox`.

use genauth_mfa_mocks::*;
use genauth_mfa_testkit::cli_support;

use std::collections::HashMap;

use cli_support::*;
use genauth_mfa::{MfaStatus, UserMfaInfo};
use genauth_mfa_fake::{Failure, FakeGenAuth, FakeServer, ListEntry, PoolUser, Route};
use serde_json::{Value, json};

/// Six users in a pool that enables OTP, SMS and FACE (not EMAIL):
/// - `u-totp`: TOTP; an admin (role `admin`);
/// - `u-email`: EMAIL only: enabled, never asked for;
/// - `u-skip`: TOTP, but on the WHITE list with SKIP_MFA;
/// - `u-none`: nothing (on the BLACK list with SKIP_MFA: not a bypass);
/// - `u-boss`: SMS; an admin (role `billing-admin` in namespace `billing`);
/// - `u-boss2`: EMAIL only; an admin (role `admin`).
///
/// The WHITE IP list lets 10.0.0.0/8 skip MFA; 192.0.2.1 only may not log
/// in; the BLACK IP list's SKIP_MFA entry is no bypass.
fn pool() -> FakeGenAuth {
    let on = MfaStatus::Enabled;
    let users = [
        PoolUser::new("u-totp")
            .username("tom")
            .mfa(UserMfaInfo::new().totp(on.clone())),
        PoolUser::new("u-email").mfa(UserMfaInfo::new().email(on.clone())),
        PoolUser::new("u-skip").mfa(UserMfaInfo::new().totp(on.clone())),
        PoolUser::new("u-none"),
        PoolUser::new("u-boss").mfa(UserMfaInfo::new().sms(on.clone())),
        PoolUser::new("u-boss2").mfa(UserMfaInfo::new().email(on)),
    ];
    let fake = FakeGenAuth::new()
        .with_enabled_factors(["OTP", "SMS", "FACE"])
        .with_list_entry(ListEntry::white_user("u-skip").limit("SKIP_MFA"))
        .with_list_entry(ListEntry::white_user("u-totp").limit("FORBID_REGISTER"))
        .with_list_entry(ListEntry::black_user("u-none").limit("SKIP_MFA"))
        .with_list_entry(ListEntry::white_ip("10.0.0.0/8").limit("SKIP_MFA"))
        .with_list_entry(ListEntry::white_ip("192.0.2.1").limit("FORBID_LOGIN"))
        .with_list_entry(ListEntry::black_ip("198.51.100.0/24").limit("SKIP_MFA"))
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

fn by_id(rows: &[Value]) -> HashMap<String, Value> {
    rows.iter()
        .map(|r| (r["userId"].as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

/// `audit ARGS --summary FILE` against `server` with `stdin`: the output
/// and the summary JSON (`Null` when none was written).
fn audit(server: &FakeServer, args: &[&str], stdin: &[u8]) -> (std::process::Output, Value) {
    let summary = temp_path("summary.json");
    let output = run(
        against_url(&server.url())
            .arg("audit")
            .args(args)
            .args(["--summary", summary.to_str().unwrap()]),
        stdin,
    );
    let json = std::fs::read(&*summary)
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or(Value::Null);
    (output, json)
}

/// (effectiveMfa, skipMfa, admin) of a JSON row.
fn verdict(row: &Value) -> (Value, Value, Value) {
    (
        row["effectiveMfa"].clone(),
        row["skipMfa"].clone(),
        row["admin"].clone(),
    )
}

#[test]
fn rows_and_summary_tell_effective_mfa_bypasses_and_admins() {
    let fake = pool();
    let server = fake.serve().unwrap();
    let mut args = vec!["--all-users"];
    args.extend(ROLES);
    let (output, json) = audit(&server, &args, b"");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let rows = by_id(&json_rows(&output));
    assert_eq!(rows.len(), 6, "{err}");
    let t = Value::Bool(true);
    let f = Value::Bool(false);
    for (id, effective, skip, admin) in [
        ("u-totp", &t, &f, &t),
        ("u-email", &f, &f, &f),
        ("u-skip", &f, &t, &f),
        ("u-none", &f, &f, &f),
        ("u-boss", &t, &f, &t),
        ("u-boss2", &f, &f, &t),
    ] {
        let row = &rows[id];
        let want = (effective.clone(), skip.clone(), admin.clone());
        assert_eq!(verdict(row), want, "{id}: {row}");
    }
    // anyEnabled keeps its meaning.
    assert_eq!(rows["u-email"]["anyEnabled"], true);
    assert_eq!(json["coverage"], 0.8333, "{json}");
    assert_eq!(json["withoutMfa"], 1);
    assert_eq!(json["poolEnabledFactors"], json!(["totp", "sms", "face"]));
    assert_eq!(json["effectiveCoverage"], 0.3333, "{json}");
    assert_eq!(json["withoutEffectiveMfa"], 4);
    assert_eq!(json["effectiveMfaUnknownReason"], Value::Null);
    assert_eq!(json["bypass"], json!({"users": 1, "ips": ["10.0.0.0/8"]}));
    assert_eq!(
        json["admins"],
        json!({"roles": ["admin", "billing-admin@billing"], "unknownRoles": [],
               "users": 3, "withoutEffectiveMfa": 1, "coverage": 0.6667})
    );
    assert_eq!(json["policy"], Value::Null);
    assert!(
        err.contains("effective coverage 33.3 %: 2 of 6 users"),
        "{err}"
    );
    assert!(err.contains("IP ranges that skip MFA: 10.0.0.0/8"), "{err}");
    assert!(!err.contains("warning"), "{err}");
    // Each role read in its namespace; the policy read once, before any user.
    let requests = fake.requests();
    let roles: Vec<(Option<&str>, Option<&str>)> = requests
        .iter()
        .filter(|r| r.route() == Some(Route::ListRoleMembers))
        .map(|r| (r.query("code"), r.query("namespace")))
        .collect();
    assert_eq!(
        roles,
        [
            (Some("admin"), None),
            (Some("billing-admin"), Some("billing"))
        ]
    );
    let first_user = requests
        .iter()
        .position(|r| r.route() == Some(Route::GetUserMfaInfo))
        .unwrap();
    for route in [Route::GetGlobalMfaSettings, Route::UserList, Route::IpList] {
        let at: Vec<usize> = (0..requests.len())
            .filter(|&i| requests[i].route() == Some(route))
            .collect();
        assert_eq!(at.len(), 1, "{route:?}");
        assert!(at[0] < first_user, "{route:?}");
    }
    let white = |r: &&genauth_mfa_fake::RecordedRequest| {
        r.query("userListType") == Some("WHITE") || r.query("ipType") == Some("WHITE")
    };
    let lists = requests
        .iter()
        .filter(|r| matches!(r.route(), Some(Route::UserList | Route::IpList)));
    assert!(lists.clone().all(|r| white(&r)));
}

#[test]
fn csv_rows_carry_the_new_columns() {
    let server = pool().serve().unwrap();
    let mut args = vec!["--format", "csv"];
    args.extend(ROLES);
    let (output, _) = audit(&server, &args, b"u-email\nu-skip\nu-boss\nmissing-1\n");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .ends_with(",user_id_type,effective_mfa,skip_mfa,admin")
    );
    let rows: HashMap<&str, &str> = lines.map(|l| (l.split(',').next().unwrap(), l)).collect();
    assert!(rows["u-email"].ends_with(",true,,,,,,user_id,false,false,false"));
    assert!(rows["u-skip"].ends_with(",user_id,false,true,false"));
    assert!(rows["u-boss"].ends_with(",user_id,true,false,true"));
    // A user who failed: no answer, so effective MFA unknown; the lists
    // still say what they know of the id.
    assert!(
        rows["missing-1"].ends_with(",user_id,,false,false"),
        "{text}"
    );
}

#[test]
fn require_any_fails_only_for_users_without_effective_mfa() {
    let server = pool().serve().unwrap();
    // Both have a factor enabled; only u-totp's protects the account.
    let (output, json) = audit(&server, &["--require", "any"], b"u-totp\nu-email\n");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert_eq!(json["withoutMfa"], 0, "{json}");
    assert_eq!(json["coverage"], 1.0);
    assert_eq!(
        json["policy"],
        json!({"require": ["any"], "met": false, "violations": 1,
               "requireAdmins": null, "adminViolations": 0})
    );
    assert!(err.contains("policy not met: 1 users"), "{err}");
    let (output, json) = audit(&server, &["--require", "any"], b"u-totp\nu-boss\n");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(json["policy"]["met"], true);
    // SKIP_MFA: TOTP enabled and allowed by the pool, never asked for.
    let (output, json) = audit(&server, &["--require", "totp"], b"u-skip\n");
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_eq!(json["policy"]["violations"], 1);
}

#[test]
fn require_admins_is_the_stricter_rule_admins_meet_as_well() {
    let server = pool().serve().unwrap();
    let ids = b"u-totp\nu-boss\nu-boss2\nu-none\n";
    let mut args = vec!["--require-admins", "totp"];
    args.extend(ROLES);
    let (output, json) = audit(&server, &args, ids);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert_eq!(
        json["policy"],
        json!({"require": null, "met": false, "violations": 0,
               "requireAdmins": ["totp"], "adminViolations": 2})
    );
    assert!(err.contains("admin policy not met: 2 admins"), "{err}");
    // --require any as well: u-none (no admin) and u-boss2 fail it.
    let mut args = vec!["--require", "any", "--require-admins", "any"];
    args.extend(ROLES);
    let (output, json) = audit(&server, &args, ids);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_eq!(json["policy"]["violations"], 2, "{json}");
    assert_eq!(json["policy"]["adminViolations"], 1, "{json}");
    // Met by the admins alone: exit 0.
    let mut args = vec!["--require-admins", "any"];
    args.extend(ROLES);
    let (output, json) = audit(&server, &args, b"u-totp\nu-boss\nu-none\n");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(json["policy"]["met"], true);
    // A user who failed: 2 wins over 3.
    let (output, _) = audit(&server, &args, b"u-boss2\nmissing-1\n");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    // --require-admins without --admin-role: a usage error, nothing sent.
    let output = run(
        against_url(&server.url()).args(["audit", "--require-admins", "any"]),
        b"u-totp\n",
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("--admin-role"),
        "{}",
        stderr(&output)
    );
}

/// A 403 (or 402) on one part makes that part unknown: one warning line
/// naming it, null in the rows and summary, the rest as usual, exit as
/// without it.
#[test]
fn a_part_the_key_may_not_read_is_unknown_with_one_warning_and_the_audit_goes_on() {
    let refusal = |status_code| Failure::Api {
        status_code,
        api_code: None,
        message: "forbidden".into(),
        request_id: None,
    };
    for (route, status, named) in [
        (Route::GetGlobalMfaSettings, 403, "enabled factors"),
        (Route::GetGlobalMfaSettings, 402, "enabled factors"),
        (Route::UserList, 403, "skip MFA (user-list"),
        (Route::IpList, 403, "skip MFA (ip-list"),
        (Route::ListRoleMembers, 403, "members of role"),
    ] {
        let fake = pool();
        fake.fail_always(route, refusal(status));
        let server = fake.serve().unwrap();
        let mut args = vec!["--all-users", "--require", "any"];
        args.extend(["--admin-role", "admin"]);
        let (output, json) = audit(&server, &args, b"");
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(3), "{route:?}: {err}");
        let warnings: Vec<&str> = err.lines().filter(|l| l.contains("warning")).collect();
        assert_eq!(warnings.len(), 1, "{route:?}: {err}");
        assert!(warnings[0].contains(named), "{route:?}: {err}");
        assert!(
            warnings[0].contains(&format!("statusCode {status}")),
            "{err}"
        );
        let rows = by_id(&json_rows(&output));
        assert_eq!(rows.len(), 6, "{err}");
        let (email, skip, totp) = (&rows["u-email"], &rows["u-skip"], &rows["u-totp"]);
        match route {
            Route::GetGlobalMfaSettings => {
                assert_eq!(json["poolEnabledFactors"], Value::Null);
                // Counted from what is known: EMAIL may be the pool's.
                assert_eq!(email["effectiveMfa"], true);
                assert_eq!(skip["effectiveMfa"], false);
                assert_eq!(json["withoutEffectiveMfa"], 2, "{json}");
            }
            Route::UserList => {
                assert_eq!(json["bypass"]["users"], Value::Null);
                assert_eq!(json["bypass"]["ips"], json!(["10.0.0.0/8"]));
                assert_eq!(skip["skipMfa"], Value::Null);
                assert_eq!(skip["effectiveMfa"], true);
                assert_eq!(email["effectiveMfa"], false);
            }
            Route::IpList => {
                assert_eq!(json["bypass"], json!({"users": 1, "ips": null}));
                assert_eq!(skip["skipMfa"], true);
            }
            _ => {
                assert_eq!(totp["admin"], Value::Null);
                assert_eq!(json["admins"]["unknownRoles"], json!(["admin"]));
                assert_eq!(json["admins"]["users"], 0);
                assert_eq!(json["poolEnabledFactors"], json!(["totp", "sms", "face"]));
            }
        }
        if route != Route::ListRoleMembers {
            assert_eq!(totp["admin"], true, "{route:?}");
        }
    }
}

#[test]
fn an_unknown_admin_role_is_a_setup_error_before_any_user_and_any_output() {
    let fake = pool();
    let server = fake.serve().unwrap();
    let out = temp_path("rows.jsonl");
    let (output, json) = audit(
        &server,
        &[
            "--all-users",
            "--admin-role",
            "admin",
            "--admin-role",
            "no-such-role@ops",
            "--output",
            out.to_str().unwrap(),
        ],
        b"",
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("--admin-role no-such-role@ops"), "{err}");
    assert!(err.contains("no such role"), "{err}");
    assert!(output.stdout.is_empty());
    assert!(!out.exists(), "an output was written");
    assert_eq!(json, Value::Null, "a summary was written");
    let asked = fake
        .requests()
        .iter()
        .filter(|r| matches!(r.route(), Some(Route::GetUserMfaInfo | Route::ListUsers)))
        .count();
    assert_eq!(asked, 0);
}

#[test]
fn ids_other_than_user_ids_leave_the_new_columns_null_and_the_summary_says_why() {
    let server = pool().serve().unwrap();
    let (output, json) = audit(&server, &["--user-id-type", "username"], b"tom\n");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let rows = json_rows(&output);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["anyEnabled"], true);
    assert_eq!(verdict(&rows[0]), (Value::Null, Value::Null, Value::Null));
    assert_eq!(json["effectiveCoverage"], Value::Null);
    assert_eq!(json["withoutEffectiveMfa"], Value::Null);
    let why = json["effectiveMfaUnknownReason"].as_str().unwrap();
    assert!(why.contains("user_id"), "{why}");
    // The pool-wide facts are still known.
    assert_eq!(json["poolEnabledFactors"], json!(["totp", "sms", "face"]));
    assert_eq!(json["bypass"]["users"], 1);
    assert!(err.contains("effective coverage: unknown"), "{err}");
    // Roles name users by user_id: --admin-role cannot be applied.
    let (output, _) = audit(
        &server,
        &["--user-id-type", "username", "--admin-role", "admin"],
        b"tom\n",
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("--admin-role finds admins by user_id"));
}

/// `diff` judges on effectiveMfa when both files carry it: EMAIL switched
/// off and a user put on the SKIP_MFA list are lost MFA, though their
/// factors did not change; with an older file that lacks the column, on
/// enabled factors, and a user newly on the SKIP_MFA list still lost MFA.
#[test]
fn diff_compares_effective_mfa_when_both_files_carry_it() {
    let dir = tempfile::tempdir().unwrap();
    let ids = b"u-email\nu-skip\nu-totp\n";
    let before = FakeGenAuth::new().with_enabled_factors(["OTP", "SMS", "EMAIL", "FACE"]);
    for user in ["u-email", "u-skip", "u-totp"] {
        let info = match user {
            "u-email" => UserMfaInfo::new().email(MfaStatus::Enabled),
            _ => UserMfaInfo::new().totp(MfaStatus::Enabled),
        };
        before.add_pool_user(PoolUser::new(user).mfa(info));
    }
    let old = dir.path().join("old.jsonl");
    let new = dir.path().join("new.csv");
    let write = |server: &FakeServer, path: &std::path::Path, format: &str| {
        let output = run(
            against_url(&server.url())
                .args(["audit", "--format", format, "--output"])
                .arg(path),
            ids,
        );
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    };
    write(&before.serve().unwrap(), &old, "jsonl");
    write(&pool().serve().unwrap(), &new, "csv");
    let diff = |old: &std::path::Path| {
        let output = run(tool().arg("diff").arg(old).arg(&new), b"");
        let rows = by_id(&json_rows(&output));
        (output, rows)
    };
    let (output, rows) = diff(&old);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows["u-email"]["change"], "lostMfa");
    assert_eq!(rows["u-email"]["before"]["effectiveMfa"], true);
    assert_eq!(rows["u-email"]["after"]["effectiveMfa"], false);
    assert_eq!(rows["u-skip"]["change"], "lostMfa");
    assert_eq!(rows["u-skip"]["after"]["skipMfa"], true);
    // The older file without the columns: judged on enabled factors.
    let text = std::fs::read_to_string(&old).unwrap();
    let stripped: String = text
        .lines()
        .map(|l| {
            let mut row: Value = serde_json::from_str(l).unwrap();
            for key in ["effectiveMfa", "skipMfa", "admin"] {
                row.as_object_mut().unwrap().remove(key);
            }
            format!("{row}\n")
        })
        .collect();
    let older = dir.path().join("older.jsonl");
    std::fs::write(&older, stripped).unwrap();
    let (output, rows) = diff(&older);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows["u-skip"]["change"], "lostMfa");
    assert!(
        stderr(&output).contains("1 lost MFA"),
        "{}",
        stderr(&output)
    );
    // Back the other way: gained.
    let output = run(tool().arg("diff").arg(&new).arg(&old), b"");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let rows = by_id(&json_rows(&output));
    assert_eq!(rows["u-email"]["change"], "gainedMfa");
    assert_eq!(rows["u-skip"]["change"], "gainedMfa");
}

#[test]
fn a_sandbox_audit_shows_each_new_column_filled() {
    let output = run(
        tool().args([
            "--sandbox",
            "audit",
            "--all-users",
            "--admin-role",
            "admin",
            "--admin-role",
            "billing-admin@billing",
        ]),
        b"",
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let rows = by_id(&json_rows(&output));
    // A factor the pool never asks for: EMAIL only.
    let email_only = &rows["user-000004"];
    assert_eq!(email_only["emailMfaStatus"], "enabled");
    assert_eq!(email_only["anyEnabled"], true);
    assert_eq!(email_only["effectiveMfa"], false);
    // On the WHITE list with SKIP_MFA, and an admin.
    assert_eq!(rows["user-000005"]["skipMfa"], true);
    assert_eq!(rows["user-000005"]["admin"], true);
    assert_eq!(rows["user-000005"]["effectiveMfa"], false);
    // In the role of the other namespace.
    assert_eq!(rows["user-000003"]["admin"], true);
    for column in ["effectiveMfa", "skipMfa", "admin"] {
        for value in [true, false] {
            assert!(
                rows.values().any(|r| r[column] == value),
                "no row with {column} {value}"
            );
        }
    }
    assert!(err.contains("IP ranges that skip MFA: 10.0.0.0/8"), "{err}");
    assert!(
        err.contains("admins (roles admin, billing-admin@billing)"),
        "{err}"
    );
    assert!(!err.contains("warning"), "{err}");
}

/// A WHITE user list whose count falls between its pages (an entry
/// deleted while it was read: one may never have been listed) is not
/// proven whole: the SKIP_MFA set is unknown (skipMfa null, bypass.users
/// null, one warning), never the partial set presented as the list.
#[test]
fn a_white_list_whose_count_falls_mid_way_leaves_skip_mfa_unknown() {
    let server = HttpServer::start(|target| {
        let ok = |data: String| {
            format!(r#"{{"statusCode":200,"message":"ok","requestId":"r","data":{data}}}"#)
        };
        let entries = |from: usize, to: usize| {
            (from..to)
                .map(|i| {
                    format!(
                        r#"{{"id":"e{i}","userId":"u{i}","userListType":"WHITE","limitList":["SKIP_MFA"]}}"#
                    )
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        if target.starts_with("/api/v3/user-list") {
            if target.contains("page=1&") {
                ok(format!(
                    r#"{{"totalCount":60,"list":[{}]}}"#,
                    entries(0, 50)
                ))
            } else if target.contains("page=2&") {
                ok(format!(
                    r#"{{"totalCount":55,"list":[{}]}}"#,
                    entries(50, 55)
                ))
            } else {
                ok(r#"{"totalCount":55,"list":[]}"#.to_owned())
            }
        } else if target.starts_with("/api/v3/list-users") {
            ok(r#"{"totalCount":2,"list":[{"userId":"u0","status":"Activated"},{"userId":"u-other","status":"Activated"}]}"#.to_owned())
        } else {
            token_or_user(target, |_| {
                genauth_mfa_testkit::common::SAMPLE_MFA_INFO.to_owned()
            })
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.json");
    let output = run(
        against_url(&server.url).args([
            "audit",
            "--all-users",
            "--summary",
            summary.to_str().unwrap(),
        ]),
        b"",
    );
    let err = stderr(&output);
    let rows = json_rows(&output);
    assert_eq!(rows.len(), 2, "{err}");
    for row in &rows {
        assert_eq!(row["skipMfa"], Value::Null, "{row}: {err}");
    }
    let json: Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert_eq!(json["bypass"]["users"], Value::Null, "{json}");
    assert!(
        err.contains("skip MFA (user-list WHITE, SKIP_MFA) unknown"),
        "{err}"
    );
}

/// `--require-admins` with every `--admin-role` unknown (the key may not
/// read its members: 403) checked no admin at all. The run must not say
/// "admin policy met: every admin answered has totp effective" and exit 0:
/// the gate was not judged (incomplete, exit 2, saying why; `policy.met`
/// not true).
#[test]
fn require_admins_with_every_admin_role_unknown_is_not_claimed_met() {
    let fake = pool();
    fake.fail_always(
        Route::ListRoleMembers,
        Failure::Api {
            status_code: 403,
            api_code: None,
            message: "forbidden".into(),
            request_id: None,
        },
    );
    let server = fake.serve().unwrap();
    let (output, json) = audit(
        &server,
        &[
            "--all-users",
            "--admin-role",
            "admin",
            "--require-admins",
            "totp",
        ],
        b"",
    );
    let err = stderr(&output);
    assert!(!err.contains("admin policy met"), "{err}");
    assert_ne!(json["policy"]["met"], true, "{json}");
    assert_eq!(
        json["policy"]["met"],
        serde_json::Value::Null,
        "unknown: {json}"
    );
    assert_eq!(output.status.code(), Some(2), "{err}");
}
