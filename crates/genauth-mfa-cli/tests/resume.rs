//! `genauth-mfa audit --resume` of an output an earlier run made with
//! other flags (`--by department`, `--admin-role`, `--exemptions`), or made
//! by 0.3 (no 0.4 columns), over real HTTP on 127.0.0.1 (the fake served on
//! loopback). The rule: rows appended never lose a column this run writes
//! (a CSV file without them is refused before any request, left byte for
//! byte, naming the columns), and no summary figure counts resumed users
//! their rows cannot tell about.

mod support;
use support::day;

use genauth_mfa_mocks::*;
use genauth_mfa_testkit::cli_support::*;

use genauth_mfa::{MfaStatus, UserMfaInfo};
use genauth_mfa_fake::{FakeGenAuth, FakeServer, ListEntry, Organization, PoolUser, Route};
use serde_json::{Value, json};

/// Six users in a pool that enables OTP, SMS and FACE (not EMAIL), three
/// of them admins, four in departments.
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
        .with_role("billing-admin", "billing", ["u-boss"])
        .with_organization(
            Organization::new("acme", "Acme")
                .department("eng", "Engineering", None)
                .department("sales", "Sales", None),
        );
    for user in users {
        fake.add_pool_user(user);
    }
    fake.with_user_departments("u-totp", ["eng"])
        .with_user_departments("u-email", ["eng"])
        .with_user_departments("u-boss", ["sales"])
        .with_user_departments("u-none", ["sales"])
}

const ROLES: [&str; 4] = [
    "--admin-role",
    "admin",
    "--admin-role",
    "billing-admin@billing",
];

/// An exemptions file: u-email exempt for 30 days.
fn exemptions() -> TempPath {
    let file = temp_path("exemptions.csv");
    let text = format!(
        "userId,reason,owner,expires\nu-email,break-glass,secops@example.com,{}\n",
        day(30)
    );
    std::fs::write(&*file, text).unwrap();
    file
}

/// `audit --all-users ARGS --output OUT --summary FILE`: the output, its
/// stderr and the summary JSON (`Null` when none was written).
fn audit(
    server: &FakeServer,
    out: &TempPath,
    args: &[&str],
) -> (std::process::Output, String, Value) {
    let summary = temp_path("summary.json");
    let output = run(
        against_url(&server.url())
            .args(["audit", "--all-users", "--output"])
            .arg(&**out)
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

/// An earlier run's output cut to its first `keep` lines, as if it had
/// been killed there.
fn cut(out: &TempPath, keep: usize) -> String {
    let text = std::fs::read_to_string(&**out).unwrap();
    let kept: String = text.split_inclusive('\n').take(keep).collect();
    std::fs::write(&**out, &kept).unwrap();
    kept
}

fn asked(fake: &FakeGenAuth) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.route() == Some(Route::GetUserMfaInfo))
        .count()
}

/// The CSV rows of `text` by their header's names.
fn csv_rows(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut lines = text.lines();
    let names: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|line| {
            names
                .iter()
                .zip(line.split(','))
                .map(|(n, c)| ((*n).to_owned(), c.to_owned()))
                .collect()
        })
        .collect()
}

#[test]
fn a_csv_resumed_with_a_flag_whose_column_it_lacks_is_refused_before_any_request() {
    let file = exemptions();
    let file = file.to_str().unwrap();
    for (flags, column) in [
        (&["--by", "department"][..], "departments"),
        (&["--exemptions", file][..], "exemption_expires"),
    ] {
        let fake = pool();
        let server = fake.serve().unwrap();
        let out = temp_path("earlier.csv");
        let (first, err, _) = audit(&server, &out, &["--format", "csv"]);
        assert_eq!(first.status.code(), Some(0), "{err}");
        let kept = cut(&out, 4);
        let requests = fake.requests().len();
        let mut args = vec!["--format", "csv", "--resume"];
        args.extend(flags);
        let (second, err, summary) = audit(&server, &out, &args);
        assert_eq!(second.status.code(), Some(1), "{flags:?}: {err}");
        assert!(
            err.contains(&format!("no column {column}")) && err.contains("new --output"),
            "{flags:?}: {err}"
        );
        assert!(err.contains("left untouched"), "{err}");
        assert_eq!(std::fs::read_to_string(&*out).unwrap(), kept, "{flags:?}");
        assert_eq!(fake.requests().len(), requests, "no request: {flags:?}");
        assert_eq!(summary, Value::Null, "no summary: {flags:?}");
        // With the earlier run's flags it resumes as ever.
        let (third, err, summary) = audit(&server, &out, &["--format", "csv", "--resume"]);
        assert_eq!(third.status.code(), Some(0), "{err}");
        assert_eq!(summary["resumed"], 3, "{err}");
        assert_eq!(csv_rows(&std::fs::read_to_string(&*out).unwrap()).len(), 6);
    }
}

#[test]
fn a_csv_with_exemption_expires_resumed_without_exemptions_is_refused() {
    // Its appended rows' empty cells would say "no exemption" unchecked.
    let fake = pool();
    let server = fake.serve().unwrap();
    let out = temp_path("earlier.csv");
    let file = exemptions();
    let with = ["--format", "csv", "--exemptions", file.to_str().unwrap()];
    let (first, err, _) = audit(&server, &out, &with);
    assert_eq!(first.status.code(), Some(0), "{err}");
    let kept = cut(&out, 3);
    let requests = fake.requests().len();
    let (second, err, _) = audit(&server, &out, &["--format", "csv", "--resume"]);
    assert_eq!(second.status.code(), Some(1), "{err}");
    assert!(
        err.contains("exemption_expires") && err.contains("--exemptions"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&*out).unwrap(), kept);
    assert_eq!(fake.requests().len(), requests, "no request");
    // The same flags: resumed, every row with its exemption cell.
    let mut again = with.to_vec();
    again.push("--resume");
    let (third, err, summary) = audit(&server, &out, &again);
    assert_eq!(third.status.code(), Some(0), "{err}");
    assert_eq!(summary["resumed"], 2, "{err}");
    assert_eq!(summary["exemptions"]["active"], 1, "{summary}");
    let rows = csv_rows(&std::fs::read_to_string(&*out).unwrap());
    assert_eq!(rows.len(), 6);
    let email = rows.iter().find(|r| r["user_id"] == "u-email").unwrap();
    assert_eq!(email["exemption_expires"], day(30));
}

#[test]
fn a_csv_of_0_3_is_refused_naming_the_columns_it_lacks_and_left_untouched() {
    let fake = pool();
    let server = fake.serve().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ids = dir.path().join("ids.txt");
    std::fs::write(&ids, "u-totp\nu-none\nu-boss\n").unwrap();
    let out = dir.path().join("old.csv");
    let old = "user_id,totp,face,sms,email,any_enabled,error_kind,status_code,api_code,message,request_id\n\
               u-totp,enabled,disabled,disabled,disabled,true,,,,,\n";
    std::fs::write(&out, old).unwrap();
    for extra in [&[][..], &ROLES[..]] {
        let output = run(
            against_url(&server.url())
                .args([
                    "audit",
                    ids.to_str().unwrap(),
                    "--format",
                    "csv",
                    "--resume",
                ])
                .args(["--output", out.to_str().unwrap()])
                .args(extra),
            b"",
        );
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{extra:?}: {err}");
        for column in ["user_id_type", "effective_mfa", "skip_mfa", "admin"] {
            assert!(err.contains(column), "{column}: {err}");
        }
        assert!(err.contains("new --output"), "{err}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), old);
        assert!(fake.requests().is_empty(), "{:?}", fake.requests());
    }
}

#[test]
fn a_csv_made_without_admin_role_resumed_with_it_counts_admins_by_this_runs_roles() {
    let fake = pool();
    let server = fake.serve().unwrap();
    let whole_out = temp_path("whole.csv");
    let mut with = vec!["--format", "csv"];
    with.extend(ROLES);
    let (whole, err, whole_summary) = audit(&server, &whole_out, &with);
    assert_eq!(whole.status.code(), Some(0), "{err}");
    let out = temp_path("earlier.csv");
    let (first, err, _) = audit(&server, &out, &["--format", "csv"]);
    assert_eq!(first.status.code(), Some(0), "{err}");
    let kept = cut(&out, 4);
    let asked_before = asked(&fake);
    with.push("--resume");
    let (second, err, summary) = audit(&server, &out, &with);
    assert_eq!(second.status.code(), Some(0), "{err}");
    assert_eq!(summary["resumed"], 3, "{err}");
    assert_eq!(asked(&fake) - asked_before, 3);
    for key in ["admins", "withoutEffectiveMfa", "effectiveCoverage"] {
        assert_eq!(summary[key], whole_summary[key], "{key}: {err}");
    }
    let text = std::fs::read_to_string(&*out).unwrap();
    assert!(text.starts_with(&kept));
    let rows = csv_rows(&text);
    // The earlier rows say nothing of admins (no --admin-role then); the
    // rows appended do.
    for row in &rows[..3] {
        assert_eq!(row["admin"], "", "{row:?}");
    }
    for row in &rows[3..] {
        assert!(["true", "false"].contains(&&*row["admin"]), "{row:?}");
    }
}

#[test]
fn a_csv_made_with_by_department_resumed_without_it_says_departments_unknown() {
    let fake = pool();
    let server = fake.serve().unwrap();
    let out = temp_path("earlier.csv");
    let by = ["--format", "csv", "--by", "department"];
    let (first, err, _) = audit(&server, &out, &by);
    assert_eq!(first.status.code(), Some(0), "{err}");
    cut(&out, 4);
    let (second, err, summary) = audit(&server, &out, &["--format", "csv", "--resume"]);
    assert_eq!(second.status.code(), Some(0), "{err}");
    assert_eq!(summary["byDepartment"], Value::Null);
    let rows = csv_rows(&std::fs::read_to_string(&*out).unwrap());
    assert_eq!(rows.len(), 6);
    // An empty departments cell is "unknown" (null), never "in none".
    for row in &rows[3..] {
        assert_eq!(row["departments"], "", "{row:?}");
    }
    // Resumed with its flag: byDepartment null, said on stderr, as the
    // resumed users' rows hold no department ids to count.
    cut(&out, 4);
    let mut again = by.to_vec();
    again.push("--resume");
    let (third, err, summary) = audit(&server, &out, &again);
    assert_eq!(third.status.code(), Some(0), "{err}");
    assert_eq!(summary["byDepartment"], Value::Null, "{err}");
    assert!(err.contains("byDepartment is null"), "{err}");
}

#[test]
fn json_lines_made_with_other_flags_or_by_0_3_resume_and_count_only_what_they_tell() {
    let fake = pool();
    let server = fake.serve().unwrap();
    let file = exemptions();
    let mut flags = vec![
        "--by",
        "department",
        "--exemptions",
        file.to_str().unwrap(),
        "--require",
        "any",
    ];
    flags.extend(ROLES);
    let whole_out = temp_path("whole.jsonl");
    let (whole, err, whole_summary) = audit(&server, &whole_out, &flags);
    assert_eq!(whole.status.code(), Some(3), "{err}");
    for old_03 in [false, true] {
        let out = temp_path("earlier.jsonl");
        let (first, err, _) = audit(&server, &out, &[]);
        assert_eq!(first.status.code(), Some(0), "{err}");
        let kept = cut(&out, 3);
        if old_03 {
            // 0.3 rows: no id type, no effectiveMfa, skipMfa, admin.
            let rows: String = kept
                .lines()
                .map(|line| {
                    let mut row: Value = serde_json::from_str(line).unwrap();
                    let row = row.as_object_mut().unwrap();
                    for key in ["userIdType", "effectiveMfa", "skipMfa", "admin"] {
                        assert!(row.remove(key).is_some(), "{key}: {row:?}");
                    }
                    format!("{}\n", Value::from(row.clone()))
                })
                .collect();
            std::fs::write(&*out, rows).unwrap();
        }
        let mut args = flags.clone();
        args.push("--resume");
        let (second, err, summary) = audit(&server, &out, &args);
        assert_eq!(second.status.code(), Some(3), "0.3 {old_03}: {err}");
        assert_eq!(summary["resumed"], 3, "{err}");
        // Judged by this run's pool facts, roles and exemptions.
        for key in [
            "admins",
            "withoutEffectiveMfa",
            "effectiveCoverage",
            "policy",
            "exemptions",
        ] {
            assert_eq!(
                summary[key], whole_summary[key],
                "{key}, 0.3 {old_03}: {err}"
            );
        }
        // The earlier rows name no departments: not counted by department.
        assert_eq!(summary["byDepartment"], Value::Null, "{err}");
        assert!(err.contains("byDepartment is null"), "{err}");
        let text = std::fs::read_to_string(&*out).unwrap();
        let rows: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows.len(), 6);
        for row in &rows[3..] {
            for key in ["departments", "admin", "effectiveMfa", "exemptionExpires"] {
                assert!(row.get(key).is_some(), "{key}: {row}");
            }
        }
        assert_eq!(
            whole_summary["byDepartment"]["Acme / Sales"],
            json!({"users": 2, "withoutEffectiveMfa": 1, "coverage": 0.5})
        );
    }
}
