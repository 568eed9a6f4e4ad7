//! `genauth-mfa audit --all-users`: the whole pool listed and audited at
//! once over real HTTP on 127.0.0.1 (the crate's fake served over loopback,
//! or a scripted server), the rows' profile columns, `--resume`, a pool
//! that changes, listing errors; and the coverage summary, `--summary FILE`
//! and the `--require` policy gate (exit 3).

use cli_support::*;
use common::*;
use genauth_mfa::{MfaStatus, UserMfaInfo};
use genauth_mfa_fake::{Failure, FakeGenAuth, FakeServer, PoolChange, PoolUser, Route};
use genauth_mfa_mocks::*;
use genauth_mfa_testkit::{cli_support, common};
use serde_json::Value;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn serve(fake: &FakeGenAuth) -> FakeServer {
    fake.serve().unwrap()
}

/// Five users with known factors and statuses (see [`small_pool_into`]).
fn small_pool() -> FakeGenAuth {
    let fake = FakeGenAuth::new();
    small_pool_into(&fake);
    fake
}

fn by_id(rows: &[Value]) -> std::collections::HashMap<String, Value> {
    rows.iter()
        .map(|r| (r["userId"].as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

/// Adds five users to `fake`: TOTP (with a whole profile), SMS, none,
/// face and email, and a suspended one with none.
fn small_pool_into(fake: &FakeGenAuth) {
    let users = [
        PoolUser::new("u-totp")
            .username("alice")
            .email("alice@example.com")
            .phone("+86 18800000001", "+86")
            .last_login("2026-11-01T08:00:00.000Z")
            .last_mfa_time("2026-11-01T08:00:05.000Z")
            .mfa(UserMfaInfo::new().totp(MfaStatus::Enabled)),
        PoolUser::new("u-sms").mfa(UserMfaInfo::new().sms(MfaStatus::Enabled)),
        PoolUser::new("u-none"),
        PoolUser::new("u-face-email").mfa(
            UserMfaInfo::new()
                .face(MfaStatus::Enabled)
                .email(MfaStatus::Enabled),
        ),
        PoolUser::new("u-suspended").status("Suspended"),
    ];
    for user in users {
        fake.add_pool_user(user);
    }
}

// ---- the coverage summary and the policy gate ----

fn summary_of(path: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

// ---- completeness is proven, never assumed: pages that lie ----

/// `audit --all-users --summary` against `fake`: the output, its stderr
/// and the summary file's JSON.
fn audit_pool(fake: &FakeGenAuth) -> (std::process::Output, String, Value) {
    let server = serve(fake);
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.json");
    let output = run(
        against_url(&server.url()).args([
            "audit",
            "--all-users",
            "-c",
            "4",
            "--summary",
            summary.to_str().unwrap(),
        ]),
        b"",
    );
    let err = stderr(&output);
    let json = summary_of(&summary);
    (output, err, json)
}

#[test]
fn all_users_audits_every_user_of_the_pool_by_user_id_with_their_profile() {
    let fake = FakeGenAuth::new().with_generated_pool(120);
    small_pool_into(&fake);
    let server = serve(&fake);
    let output = run(
        against_url(&server.url()).args(["audit", "--all-users", "-c", "4"]),
        b"",
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let rows = json_rows(&output);
    assert_eq!(rows.len(), 125, "{err}");
    let rows = by_id(&rows);
    assert_eq!(rows.len(), 125, "each user once");
    let alice = &rows["u-totp"];
    assert_eq!(alice["username"], "alice");
    assert_eq!(alice["email"], "alice@example.com");
    assert_eq!(alice["phone"], "+86 18800000001");
    assert_eq!(alice["status"], "Activated");
    assert_eq!(alice["lastLogin"], "2026-11-01T08:00:00.000Z");
    assert_eq!(alice["lastMfaTime"], "2026-11-01T08:00:05.000Z");
    assert_eq!(alice["totpStatus"], "enabled");
    assert_eq!(alice["anyEnabled"], true);
    // Absent fields are there, empty (null).
    let none = &rows["u-none"];
    for key in ["username", "email", "phone", "lastLogin", "lastMfaTime"] {
        assert_eq!(none[key], Value::Null, "{key}: {none}");
    }
    assert_eq!(rows["user-000007"]["status"], "Suspended");
    // Three pages of 50 (125 users), sorted by createdAt ascending; every
    // user asked by user_id, with the type sent.
    let pages: Vec<Value> = fake
        .requests()
        .iter()
        .filter(|r| r.route() == Some(Route::ListUsers))
        .map(|r| serde_json::from_slice(r.body()).unwrap())
        .collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    for (i, page) in pages.iter().enumerate() {
        assert_eq!(page["options"]["pagination"]["page"], i + 1);
        assert_eq!(page["options"]["pagination"]["limit"], 50);
        assert_eq!(page["options"]["sort"][0]["field"], "createdAt");
        assert_eq!(page["options"]["sort"][0]["order"], "asc");
    }
    let asked: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.route() == Some(Route::GetUserMfaInfo))
        .collect();
    assert_eq!(asked.len(), 125);
    assert!(
        asked
            .iter()
            .all(|r| r.query("userIdType") == Some("user_id"))
    );
    assert!(err.contains("125 users in "), "{err}");
}

#[test]
fn status_filters_the_listing() {
    let fake = FakeGenAuth::new().with_generated_pool(100);
    let server = serve(&fake);
    let output = run(
        against_url(&server.url()).args(["audit", "--all-users", "--status", "suspended"]),
        b"",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let rows = json_rows(&output);
    let ids: HashSet<_> = rows.iter().map(|r| r["userId"].as_str().unwrap()).collect();
    let expected: HashSet<_> = [
        "user-000007",
        "user-000027",
        "user-000047",
        "user-000067",
        "user-000087",
    ]
    .into();
    assert_eq!(ids, expected);
    assert!(rows.iter().all(|r| r["status"] == "Suspended"));
    let list = fake
        .requests()
        .into_iter()
        .find(|r| r.route() == Some(Route::ListUsers))
        .unwrap();
    let body: Value = serde_json::from_slice(list.body()).unwrap();
    assert_eq!(
        body["advancedFilter"],
        serde_json::json!([{"field": "status", "operator": "EQUAL", "value": "Suspended"}])
    );
}

#[test]
fn csv_rows_carry_the_profile_columns_escaped_and_bounded() {
    let fake = small_pool();
    let long = format!("\u{1b}]0;pwned\u{7}{}", "x".repeat(100_000));
    fake.add_pool_user(
        PoolUser::new("u-hostile")
            .username(&long)
            .email("=HYPERLINK(\"http://x\")"),
    );
    let server = serve(&fake);
    let output = run(
        against_url(&server.url()).args(["audit", "--all-users", "--format", "csv"]),
        b"",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(
            "user_id,totp,face,sms,email,any_enabled,error_kind,status_code,api_code,message,\
             request_id,username,user_email,phone,user_status,last_login,last_mfa_time,\
             user_id_type,effective_mfa,skip_mfa,admin"
        )
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 6);
    let alice = rows.iter().find(|l| l.starts_with("u-totp,")).unwrap();
    assert_eq!(
        *alice,
        "u-totp,enabled,disabled,disabled,disabled,true,,,,,,alice,alice@example.com,\
         '+86 18800000001,Activated,2026-11-01T08:00:00.000Z,2026-11-01T08:00:05.000Z,\
         user_id,true,false,"
    );
    let none = rows.iter().find(|l| l.starts_with("u-none,")).unwrap();
    assert!(
        none.ends_with(",,,,Activated,,,user_id,false,false,"),
        "{none}"
    );
    let hostile = rows.iter().find(|l| l.starts_with("u-hostile,")).unwrap();
    assert!(hostile.len() < 2_000, "unbounded: {} bytes", hostile.len());
    assert!(!hostile.contains('\u{1b}') && !hostile.contains('\u{7}'));
    assert!(hostile.contains("\\u{1b}]0;pwned\\u{7}"), "{hostile}");
    assert!(hostile.contains("\"'=HYPERLINK("), "{hostile}");
}

#[test]
fn all_users_with_a_file_or_an_id_type_is_a_usage_error_and_sends_nothing() {
    let fake = small_pool();
    let server = serve(&fake);
    let ids = temp_path("pool-ids.txt");
    std::fs::write(&ids, "alice\n").unwrap();
    for args in [
        vec!["audit", "--all-users", ids.to_str().unwrap()],
        vec!["audit", "--all-users", "-"],
        vec!["audit", "--all-users", "--user-id-type", "email"],
        vec!["audit", "--status", "Suspended", ids.to_str().unwrap()],
    ] {
        let output = run(against_url(&server.url()).args(&args), b"");
        assert_eq!(
            output.status.code(),
            Some(1),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(output.stdout.is_empty());
    }
    assert_eq!(fake.count(Route::Any), 0);
    let _ = std::fs::remove_file(ids);
}

#[test]
fn resume_skips_the_users_already_answered() {
    let fake = FakeGenAuth::new().with_generated_pool(120);
    let server = serve(&fake);
    for format in ["jsonl", "csv"] {
        let out = temp_path(&format!("pool-resume.{format}"));
        let _ = std::fs::remove_file(&out);
        let args = |resume: bool| {
            let mut args = vec![
                "audit",
                "--all-users",
                "--format",
                format,
                "--output",
                out.to_str().unwrap(),
            ];
            if resume {
                args.push("--resume");
            }
            args
        };
        let first = run(against_url(&server.url()).args(args(false)), b"");
        assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
        // Keep the header (CSV) and the first 30 rows, and half a row.
        let text = std::fs::read_to_string(&out).unwrap();
        let keep = if format == "csv" { 31 } else { 30 };
        let mut cut: String = text.lines().take(keep).map(|l| format!("{l}\n")).collect();
        cut.push_str(&text.lines().nth(keep).unwrap()[..10]);
        std::fs::write(&out, cut).unwrap();
        fake.clear_requests();
        // The summary is of the final state: the 30 resumed users count,
        // with the factors and status their rows hold.
        let summary = temp_path(&format!("pool-resume-summary-{format}.json"));
        let mut resumed = args(true);
        resumed.extend(["--summary", summary.to_str().unwrap(), "--require", "totp"]);
        let second = run(against_url(&server.url()).args(resumed), b"");
        let err = stderr(&second);
        let json = summary_of(&summary);
        let first_json = {
            let s = temp_path(&format!("pool-resume-whole-{format}.json"));
            let whole = temp_path(&format!("pool-resume-whole.{format}"));
            let _ = std::fs::remove_file(&whole);
            let output = run(
                against_url(&server.url()).args([
                    "audit",
                    "--all-users",
                    "--format",
                    format,
                    "-o",
                    whole.to_str().unwrap(),
                    "--summary",
                    s.to_str().unwrap(),
                    "--require",
                    "totp",
                ]),
                b"",
            );
            assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
            let json = summary_of(&s);
            let _ = std::fs::remove_file(s);
            let _ = std::fs::remove_file(whole);
            json
        };
        assert_eq!(second.status.code(), Some(3), "{err}");
        assert_eq!(fake.count(Route::GetUserMfaInfo), 90 + 120, "{err}");
        assert!(err.contains("30 ids skipped"), "{err}");
        assert_eq!(json["resumed"], 30);
        for key in [
            "users",
            "withoutMfa",
            "enabled",
            "coverage",
            "byStatus",
            "policy",
        ] {
            assert_eq!(json[key], first_json[key], "{format} {key}");
        }
        assert_eq!(json["users"], 120);
        let _ = std::fs::remove_file(summary);
        let text = std::fs::read_to_string(&out).unwrap();
        let ids: HashSet<&str> = text
            .lines()
            .skip(usize::from(format == "csv"))
            .map(|l| {
                if format == "csv" {
                    l.split(',').next().unwrap()
                } else {
                    l.split('"').nth(3).unwrap()
                }
            })
            .collect();
        assert_eq!(ids.len(), 120, "{format}");
        assert_eq!(text.lines().count(), 120 + usize::from(format == "csv"));
        let _ = std::fs::remove_file(&out);
    }
}

#[test]
fn a_pool_that_changes_while_listed_is_reported() {
    let fake = FakeGenAuth::new().with_generated_pool(120);
    fake.change_pool_after_page(1, PoolChange::Add(PoolUser::new("newcomer")));
    let server = serve(&fake);
    let summary = temp_path("pool-changed-summary.json");
    let output = run(
        against_url(&server.url()).args([
            "audit",
            "--all-users",
            "--summary",
            summary.to_str().unwrap(),
        ]),
        b"",
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(
        err.contains("the pool changed while it was listed"),
        "{err}"
    );
    assert!(
        err.contains("120 users at the start, 121 at the end"),
        "{err}"
    );
    let json: Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert_eq!(json["poolChanged"], true);
    // The count moved by one; the listing differs by no more: explained.
    assert_eq!(json["complete"], true, "{json}");
    assert_eq!(
        json["listing"],
        serde_json::json!({"distinctUsers": 121, "listed": 121, "totalCount": 121,
                           "firstTotalCount": 120})
    );
    let _ = std::fs::remove_file(summary);

    // A user created "before" the others joins after page 1: every user
    // moves one place on, so the last of page 1 is listed again on page 2
    // (asked once: a duplicate skipped) and the newcomer is missed: the
    // last count (121) holds a user the listing never gave, so the audit
    // is incomplete (exit 2), not explained by the move.
    let fake = FakeGenAuth::new().with_generated_pool(120);
    fake.change_pool_after_page(
        1,
        PoolChange::Add(PoolUser::new("early").created_at("2023-01-01T00:00:00.000Z")),
    );
    let server = serve(&fake);
    let output = run(
        against_url(&server.url()).args(["audit", "--all-users"]),
        b"",
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("listed 120 distinct users but the server counted 121 (120 at the start)"),
        "{err}"
    );
    let rows = json_rows(&output);
    assert_eq!(rows.len(), 120, "{err}");
    assert_eq!(by_id(&rows).len(), 120, "a user asked twice");
    assert!(err.contains("1 duplicate id skipped"), "{err}");
    assert!(
        err.contains("the pool changed while it was listed"),
        "{err}"
    );
    assert_eq!(fake.count(Route::GetUserMfaInfo), 120);

    let steady = FakeGenAuth::new().with_generated_pool(120);
    let server = serve(&steady);
    let output = run(
        against_url(&server.url()).args(["audit", "--all-users"]),
        b"",
    );
    assert!(!stderr(&output).contains("changed"), "{}", stderr(&output));
}

#[test]
fn a_refused_first_page_is_a_setup_error_that_leaves_the_output_alone() {
    let fake = small_pool();
    fake.fail_next(
        Route::ListUsers,
        Failure::api(403, 2003, "no permission to list users"),
    );
    let server = serve(&fake);
    let out = temp_path("pool-first-page.jsonl");
    std::fs::write(&out, "precious\n").unwrap();
    let output = run(
        against_url(&server.url()).args(["audit", "--all-users", "-o", out.to_str().unwrap()]),
        b"",
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("listing the users failed"), "{err}");
    assert!(err.contains("no permission to list users"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "precious\n");
    assert_eq!(fake.count(Route::GetUserMfaInfo), 0);
    let _ = std::fs::remove_file(out);
}

#[test]
fn a_page_failing_mid_run_ends_it_with_exit_2_and_complete_rows() {
    // Page 1 of 3 answers; page 2 is refused (not retryable).
    let pages = Arc::new(AtomicUsize::new(0));
    let p = Arc::clone(&pages);
    let server = HttpServer::start(move |target| {
        token_or_user(target, |target| {
            if target.starts_with("/api/v3/list-users") {
                if p.fetch_add(1, Ordering::SeqCst) == 0 {
                    let list: Vec<Value> = (0..50)
                        .map(|i| serde_json::json!({"userId": format!("u{i}"), "status": "Activated"}))
                        .collect();
                    serde_json::json!({"statusCode": 200, "data": {"totalCount": 150, "list": list}})
                        .to_string()
                } else {
                    r#"{"statusCode":403,"apiCode":2003,"message":"page refused","requestId":"r-p2"}"#
                        .to_owned()
                }
            } else {
                SAMPLE_MFA_INFO.to_owned()
            }
        })
    });
    let output = run(
        against_url(&server.url).args(["audit", "--all-users", "-c", "4"]),
        b"",
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    let rows = json_rows(&output);
    assert_eq!(rows.len(), 50, "{err}");
    assert!(rows.iter().all(|r| r["anyEnabled"] == true));
    assert!(
        err.contains("listing the users failed after 50 users"),
        "{err}"
    );
    assert!(err.contains("page refused"), "{err}");
    assert_eq!(pages.load(Ordering::SeqCst), 2);
}

#[test]
fn the_summary_file_holds_coverage_by_factor_and_status_and_the_policy() {
    let fake = small_pool();
    let server = serve(&fake);
    let summary = temp_path("summary.json");
    let _ = std::fs::remove_file(&summary);
    let output = run(
        against_url(&server.url()).args([
            "audit",
            "--all-users",
            "--summary",
            summary.to_str().unwrap(),
            "--require",
            "totp,face",
        ]),
        b"",
    );
    let err = stderr(&output);
    // u-sms, u-none and u-suspended have neither TOTP nor face.
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert!(err.contains("coverage 60.0 %"), "{err}");
    assert!(err.contains("policy not met: 3 users"), "{err}");
    let json = summary_of(&summary);
    assert_eq!(json["users"], 5);
    assert_eq!(json["failed"], 0);
    assert_eq!(json["withoutMfa"], 2);
    assert_eq!(
        json["enabled"],
        serde_json::json!({"totp": 1, "sms": 1, "email": 1, "face": 1})
    );
    assert_eq!(json["coverage"], 0.6);
    assert_eq!(
        json["byStatus"],
        serde_json::json!({"Activated": 4, "Suspended": 1})
    );
    assert_eq!(json["poolChanged"], false);
    assert_eq!(
        json["policy"],
        serde_json::json!({"require": ["totp", "face"], "met": false, "violations": 3,
            "requireAdmins": null, "adminViolations": 0})
    );
    let at = json["generatedAt"].as_str().unwrap();
    assert_eq!(at.len(), 20, "{at}");
    assert!(
        at.starts_with("20") && at.ends_with('Z') && &at[10..11] == "T",
        "{at}"
    );
    // No temporary file is left beside it.
    let dir = summary.parent().unwrap();
    let stem = summary.file_name().unwrap().to_string_lossy().into_owned();
    let leftovers = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.contains(&stem) && name != stem
        })
        .count();
    assert_eq!(leftovers, 0);
    let _ = std::fs::remove_file(summary);
}

#[test]
fn require_any_exits_0_when_met_and_3_when_not() {
    let fake = FakeGenAuth::new()
        .with_pool_user(PoolUser::new("a").mfa(UserMfaInfo::new().sms(MfaStatus::Enabled)))
        .with_pool_user(PoolUser::new("b").mfa(UserMfaInfo::new().totp(MfaStatus::Enabled)));
    let server = serve(&fake);
    let met = run(
        against_url(&server.url()).args(["audit", "--all-users", "--require", "any"]),
        b"",
    );
    assert_eq!(met.status.code(), Some(0), "{}", stderr(&met));
    assert!(
        stderr(&met).contains("coverage 100.0 %"),
        "{}",
        stderr(&met)
    );
    let totp = run(
        against_url(&server.url()).args(["audit", "--all-users", "--require", "totp"]),
        b"",
    );
    assert_eq!(totp.status.code(), Some(3), "{}", stderr(&totp));
    // A file audit has the gate too.
    let file = run(
        against_url(&server.url()).args(["audit", "--require", "email"]),
        b"a\nb\n",
    );
    assert_eq!(file.status.code(), Some(3), "{}", stderr(&file));
    // Unknown factor names are a usage error.
    let bad = run(
        against_url(&server.url()).args(["audit", "--all-users", "--require", "totp,sms2"]),
        b"",
    );
    assert_eq!(bad.status.code(), Some(1), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("sms2"), "{}", stderr(&bad));
}

#[test]
fn some_users_failed_wins_over_the_policy() {
    let fake = small_pool();
    let server = serve(&fake);
    let summary = temp_path("summary-failed.json");
    // u-none violates the policy; missing-x is not found (a failure).
    let output = run(
        against_url(&server.url()).args([
            "audit",
            "--require",
            "any",
            "--summary",
            summary.to_str().unwrap(),
        ]),
        b"u-totp\nu-none\nmissing-x\n",
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let json = summary_of(&summary);
    assert_eq!(json["users"], 3);
    assert_eq!(json["failed"], 1);
    assert_eq!(json["policy"]["met"], false);
    assert_eq!(json["policy"]["violations"], 1);
    assert_eq!(json["coverage"], 0.5);
    let _ = std::fs::remove_file(summary);
}

#[test]
fn the_summary_is_never_written_over_the_input_or_the_output() {
    let fake = small_pool();
    let server = serve(&fake);
    let ids = temp_path("summary-ids.txt");
    let out = temp_path("summary-out.jsonl");
    std::fs::write(&ids, "u-totp\n").unwrap();
    std::fs::write(&out, "earlier\n").unwrap();
    for (summary, input) in [(&ids, Some(&ids)), (&out, Some(&ids)), (&out, None)] {
        let mut args = vec!["audit", "-o", out.to_str().unwrap()];
        args.extend(["--summary", summary.to_str().unwrap()]);
        match input {
            Some(input) => args.push(input.to_str().unwrap()),
            None => args.push("--all-users"),
        }
        let output = run(against_url(&server.url()).args(&args), b"");
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("--summary"), "{err}");
        assert_eq!(std::fs::read_to_string(&ids).unwrap(), "u-totp\n");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "earlier\n");
    }
    assert_eq!(fake.count(Route::Any), 0);
    let _ = std::fs::remove_file(ids);
    let _ = std::fs::remove_file(out);
}

#[test]
fn the_listing_runs_ahead_of_the_workers_by_at_most_a_few_pages() {
    // 20 pages. When page k is asked for, the users of the pages before it
    // are being asked already, all but the two pages the channel holds (and
    // a few in the engine's queue): the pool is listed and audited at once,
    // and what waits in memory is bounded.
    let fake = FakeGenAuth::new().with_generated_pool(1000);
    let server = serve(&fake);
    let output = run(
        against_url(&server.url()).args(["audit", "--all-users", "-c", "4", "-o", "/dev/null"]),
        b"",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut asked = 0;
    let mut pages = 0;
    for request in fake.requests() {
        match request.route() {
            Some(Route::GetUserMfaInfo) => asked += 1,
            Some(Route::ListUsers) => {
                pages += 1;
                let listed_before = (pages - 1) * 50;
                assert!(
                    asked + 150 >= listed_before,
                    "page {pages} asked for with {asked} of {listed_before} listed users asked"
                );
            }
            _ => {}
        }
    }
    assert_eq!((pages, asked), (20, 1000));
}

// ---- what the server sends that the contract does not say ----

#[test]
fn one_odd_field_in_one_user_is_kept_as_text_with_one_warning() {
    let fake = FakeGenAuth::new().with_generated_pool(60);
    fake.add_pool_user(
        PoolUser::new("u-odd")
            .field("phone", 13_800_000_000_u64)
            .field("lastLogin", 1_700_000_000_123_u64),
    );
    fake.add_pool_user(PoolUser::new("u-odd-2").field("username", 42));
    let server = serve(&fake);
    let output = run(
        against_url(&server.url()).args(["audit", "--all-users"]),
        b"",
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let rows = by_id(&json_rows(&output));
    assert_eq!(rows.len(), 62, "{err}");
    let odd = &rows["u-odd"];
    assert_eq!(odd["phone"], "13800000000");
    assert_eq!(odd["lastLogin"], "2023-11-14T22:13:20.123Z");
    assert_eq!(rows["u-odd-2"]["username"], "42");
    // One warning line for the run, not one per user.
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(
        warnings[0].contains("phone, lastLogin") && warnings[0].contains("u-odd"),
        "{err}"
    );
}

#[test]
fn a_user_without_a_status_is_written_and_counted_as_unknown_never_activated() {
    let fake = FakeGenAuth::new()
        .with_pool_user(PoolUser::new("u-null").status_json(Value::Null))
        .with_pool_user(PoolUser::new("u-absent").without_status())
        .with_pool_user(PoolUser::new("u-active"));
    let server = serve(&fake);
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.json");
    let output = run(
        against_url(&server.url()).args([
            "audit",
            "--all-users",
            "--summary",
            summary.to_str().unwrap(),
        ]),
        b"",
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let rows = by_id(&json_rows(&output));
    assert_eq!(rows["u-null"]["status"], Value::Null, "{err}");
    assert_eq!(rows["u-absent"]["status"], Value::Null, "{err}");
    assert_eq!(rows["u-active"]["status"], "Activated");
    assert_eq!(
        summary_of(&summary)["byStatus"],
        serde_json::json!({"Activated": 1, "unknown": 2})
    );
    let csv = run(
        against_url(&server.url()).args(["audit", "--all-users", "--format", "csv"]),
        b"",
    );
    assert_eq!(csv.status.code(), Some(0), "{}", stderr(&csv));
    let text = String::from_utf8(csv.stdout).unwrap();
    let null = text.lines().find(|l| l.starts_with("u-null,")).unwrap();
    // user_status is the fourth of the six profile cells (before the id
    // type's column): empty.
    let cells: Vec<&str> = null.split(',').collect();
    assert_eq!(cells.len(), 21, "{null}");
    assert_eq!(cells[14], "", "{null}");
}

#[test]
fn a_server_that_pages_by_10_gets_every_user_audited() {
    use genauth_mfa_fake::Paging;
    let fake = FakeGenAuth::new()
        .with_generated_pool(100)
        .with_paging(Paging::honest().page_size(10));
    let (output, err, json) = audit_pool(&fake);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert_eq!(by_id(&json_rows(&output)).len(), 100, "{err}");
    assert_eq!(fake.count(Route::GetUserMfaInfo), 100);
    assert_eq!(json["users"], 100);
    assert_eq!(json["complete"], true, "{json}");
}

#[test]
fn a_server_that_ignores_the_page_number_makes_the_audit_incomplete() {
    use genauth_mfa_fake::Paging;
    for paging in [
        Paging::honest().ignore_page_number(),
        Paging::honest().ignore_page_number().without_total_count(),
    ] {
        let fake = FakeGenAuth::new()
            .with_generated_pool(120)
            .with_paging(paging.clone());
        let (output, err, json) = audit_pool(&fake);
        assert_eq!(output.status.code(), Some(2), "{paging:?}: {err}");
        assert!(
            err.contains("the server's pages ignored the page number"),
            "{err}"
        );
        assert!(!err.contains("  "), "{err}");
        // The 50 users listed are asked once each, and have their rows.
        assert_eq!(by_id(&json_rows(&output)).len(), 50, "{err}");
        assert_eq!(fake.count(Route::GetUserMfaInfo), 50);
        assert_eq!(fake.count(Route::ListUsers), 4, "{err}");
        assert_eq!(json["complete"], false, "{json}");
        assert_eq!(json["listing"]["distinctUsers"], 50, "{json}");
    }
}

#[test]
fn users_missing_from_the_listing_make_the_audit_incomplete() {
    use genauth_mfa_fake::Paging;
    let fake = FakeGenAuth::new()
        .with_generated_pool(100)
        .with_paging(Paging::honest().hide_user("user-000042"));
    let (output, err, json) = audit_pool(&fake);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("listed 99 distinct users but the server counted 100"),
        "{err}"
    );
    assert_eq!(json_rows(&output).len(), 99, "{err}");
    assert_eq!(json["complete"], false, "{json}");
    assert_eq!(json["users"], 99, "{json}");
    assert_eq!(json["listing"]["distinctUsers"], 99, "{json}");
    assert_eq!(json["listing"]["totalCount"], 100, "{json}");
    assert!(
        json["incompleteReason"]
            .as_str()
            .is_some_and(|r| r.contains("the server counted 100")),
        "{json}"
    );

    // Without any totalCount nothing proves the listing whole.
    let fake = FakeGenAuth::new()
        .with_generated_pool(60)
        .with_paging(Paging::honest().without_total_count());
    let (output, err, json) = audit_pool(&fake);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("totalCount"), "{err}");
    assert_eq!(json_rows(&output).len(), 60, "{err}");
    assert_eq!(json["complete"], false, "{json}");
}

#[test]
fn repeated_users_are_asked_once_and_the_audit_is_complete() {
    use genauth_mfa_fake::Paging;
    let fake = FakeGenAuth::new()
        .with_generated_pool(120)
        .with_paging(Paging::honest().overlap(5));
    let (output, err, json) = audit_pool(&fake);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert_eq!(json_rows(&output).len(), 120, "{err}");
    assert_eq!(fake.count(Route::GetUserMfaInfo), 120);
    assert!(err.contains("10 duplicate ids skipped"), "{err}");
    assert_eq!(json["users"], 120, "{json}");
    assert_eq!(json["duplicates"], 10, "{json}");
    assert_eq!(json["complete"], true, "{json}");
}

#[test]
fn summary_counts_add_up_each_user_once() {
    let fake = small_pool();
    // The first call is refused (403: not the server's final word about
    // the user); missing-1 is not found (final); line 4 is not UTF-8.
    fake.fail_next(Route::GetUserMfaInfo, Failure::api(403, 2003, "forbidden"));
    let server = serve(&fake);
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.json");
    let output = run(
        against_url(&server.url()).args([
            "audit",
            "-c",
            "1",
            "--summary",
            summary.to_str().unwrap(),
        ]),
        b"u-totp\nu-sms\nmissing-1\n\xff\xfe\n",
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    let first = err.lines().next().unwrap();
    assert!(first.starts_with("3 users in "), "{err}");
    assert!(
        first.ends_with("; 2 failed; 1 input line unreadable"),
        "{err}"
    );
    let json = summary_of(&summary);
    assert_eq!(json["users"], 3, "{json}");
    assert_eq!(json["answered"], 1, "{json}");
    assert_eq!(json["failed"], 2, "{json}");
    assert_eq!(json["unreadableLines"], 1, "{json}");
    assert_eq!(
        json["users"].as_u64(),
        Some(json["answered"].as_u64().unwrap() + json["failed"].as_u64().unwrap())
    );
    assert_eq!(json["errors"], serde_json::json!({"api": 2, "input": 1}));
    // A user without a final answer and a line not read: not complete.
    assert_eq!(json["complete"], false, "{json}");
    let reason = json["incompleteReason"].as_str().unwrap();
    assert!(reason.contains("1 user without a final answer"), "{reason}");
    assert!(reason.contains("1 input line not read"), "{reason}");
    assert!(!err.contains("  ") && !reason.contains("  "), "{err}");

    // Users not found are the server's final word: complete.
    let output = run(
        against_url(&server.url()).args(["audit", "--summary", summary.to_str().unwrap()]),
        b"u-totp\nmissing-1\n",
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let json = summary_of(&summary);
    assert_eq!(
        (json["users"].as_u64(), json["failed"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(json["complete"], true, "{json}");
}

#[test]
fn a_user_deleted_from_a_page_already_read_does_not_leave_a_user_unasked_with_exit_0() {
    // An honest server: user-000005, asked long before, is deleted after
    // page 4 is read. Every later user moves one place back, so
    // user-000200 is now the last of page 4 and page 5 starts at
    // user-000201: user-000200 stays in the pool and is never asked. 299
    // distinct users, a count of 299: "explained", complete, exit 0.
    let mut fake = FakeGenAuth::new();
    for i in 0..300 {
        fake = fake.with_pool_user(
            PoolUser::new(&format!("user-{i:06}"))
                .created_at(&format!("2024-01-01T{:02}:{:02}:00.000Z", i / 60, i % 60))
                .mfa(UserMfaInfo::new().totp(true)),
        );
    }
    fake.change_pool_after_page(4, PoolChange::Remove("user-000005".into()));
    let server = serve(&fake);
    let summary = temp_path("summary.json");
    let out = temp_path("rows.jsonl");
    let output = run(
        against_url(&server.url()).args([
            "audit",
            "--all-users",
            "-o",
            out.to_str().unwrap(),
            "--summary",
            summary.to_str().unwrap(),
        ]),
        b"",
    );
    let err = stderr(&output);
    let rows = std::fs::read_to_string(&out).unwrap();
    let json: Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert!(!rows.contains(r#""userId":"user-000200""#), "{json}");
    // A user of the pool was never asked: not complete, whatever else.
    assert_eq!(json["complete"], false, "{json}\n{err}");
    assert_eq!(output.status.code(), Some(2), "{err}");
}
