//! `genauth-mfa diff OLD NEW`: two audit outputs (JSON Lines or CSV, in
//! any row order, mixed formats) compared per user, its rows, its summary
//! and exit codes (0, 3 someone lost MFA, 1 setup), error rows, a
//! 100,000-row pair sorted through temporary files, and the files it must
//! never write. Local files only (and the tool's --sandbox for real audit
//! outputs).

mod support;

use cli_support::*;
use genauth_mfa_mocks::*;
use genauth_mfa_testkit::cli_support;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output};
use support::*;

fn error_row(id: &str) -> String {
    format!(
        r#"{{"userId":"{id}","error":{{"kind":"api","statusCode":401,"apiCode":null,"message":"no permission","requestId":null}}}}"#
    )
}

fn answer_row(id: &str, any: bool) -> String {
    let s = if any { "enabled" } else { "disabled" };
    format!(
        r#"{{"userId":"{id}","totpStatus":"{s}","faceMfaStatus":"disabled","smsMfaStatus":"disabled","emailMfaStatus":"disabled","anyEnabled":{any}}}"#
    )
}

/// One row of an audit output, as `genauth-mfa audit` writes it.
#[derive(Clone)]
enum Row {
    /// A user's statuses: totp, face, sms, email.
    Answer(&'static str, [&'static str; 4]),
    /// An error about a user: kind, statusCode, apiCode, message.
    Failed(
        &'static str,
        &'static str,
        Option<i64>,
        Option<i64>,
        &'static str,
    ),
    /// An input line that could not be read (no user).
    Line(u64),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fmt {
    Jsonl,
    Csv,
}

const HEADER: &str =
    "user_id,totp,face,sms,email,any_enabled,error_kind,status_code,api_code,message,request_id\n";

fn any(statuses: &[&str; 4]) -> bool {
    statuses.contains(&"enabled")
}

fn csv_cell(cell: &str) -> String {
    if cell.contains([',', '"']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_owned()
    }
}

fn line(format: Fmt, row: &Row) -> String {
    let number = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    match (format, row) {
        (Fmt::Jsonl, Row::Answer(id, s)) => format!(
            "{}\n",
            json!({"userId": id, "totpStatus": s[0], "faceMfaStatus": s[1],
                   "smsMfaStatus": s[2], "emailMfaStatus": s[3], "anyEnabled": any(s)})
        ),
        (Fmt::Jsonl, Row::Failed(id, kind, status, api, message)) => format!(
            "{}\n",
            json!({"userId": id, "error": {"kind": kind, "statusCode": status,
                   "apiCode": api, "message": message, "requestId": null}})
        ),
        (Fmt::Jsonl, Row::Line(n)) => format!(
            "{}\n",
            json!({"line": n, "error": {"kind": "input", "statusCode": null, "apiCode": null,
                   "message": format!("line {n} is not valid UTF-8"), "requestId": null}})
        ),
        (Fmt::Csv, Row::Answer(id, s)) => {
            format!("{id},{},{},{},{},{},,,,,\n", s[0], s[1], s[2], s[3], any(s))
        }
        (Fmt::Csv, Row::Failed(id, kind, status, api, message)) => format!(
            "{id},,,,,,{kind},{},{},{},\n",
            number(*status),
            number(*api),
            csv_cell(message)
        ),
        (Fmt::Csv, Row::Line(n)) => format!(",,,,,,input,,,line {n} is not valid UTF-8,\n"),
    }
}

fn text(format: Fmt, rows: &[Row]) -> String {
    let mut text = if format == Fmt::Csv {
        HEADER.to_owned()
    } else {
        String::new()
    };
    for row in rows {
        text += &line(format, row);
    }
    text
}

fn audit_file(name: &str, format: Fmt, rows: &[Row]) -> TempPath {
    write(name, text(format, rows).as_bytes())
}

fn diff(old: &Path, new: &Path, extra: &[&str]) -> Output {
    run(tool().args(["diff", s(old), s(new)]).args(extra), b"")
}

fn rows(output: &Output) -> Vec<Value> {
    lines(output)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// `(userId, change)` of every row.
fn changes(output: &Output) -> Vec<(String, String)> {
    rows(output)
        .iter()
        .map(|r| {
            (
                r["userId"].as_str().unwrap().to_owned(),
                r["change"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

const E: &str = "enabled";

const D: &str = "disabled";

/// Last month's audit: every kind of change against [`new_rows`].
fn old_rows() -> Vec<Row> {
    vec![
        Row::Answer("same", [E, D, D, D]),
        Row::Answer("lost", [E, D, D, D]),
        Row::Answer("gained", [D, D, D, D]),
        Row::Answer("swapped", [E, D, D, D]),
        Row::Answer("gone", [D, D, E, D]),
        Row::Answer("nomfa", [D, D, D, D]),
    ]
}

fn new_rows() -> Vec<Row> {
    vec![
        Row::Answer("same", [E, D, D, D]),
        Row::Answer("lost", [D, D, D, D]),
        Row::Answer("gained", [D, D, D, E]),
        Row::Answer("swapped", [D, E, D, D]),
        Row::Answer("new", [D, D, D, D]),
        Row::Answer("nomfa", [D, D, D, D]),
    ]
}

fn expected_changes() -> Vec<(String, String)> {
    [
        ("gained", "gainedMfa"),
        ("gone", "removed"),
        ("lost", "lostMfa"),
        ("new", "added"),
        ("swapped", "changed"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect()
}

/// `n` users, each with a status derived from `i` and `month`.
fn generated(format: Fmt, n: u64, month: u64, skip: impl Fn(u64) -> bool) -> String {
    let mut text = if format == Fmt::Csv {
        HEADER.to_owned()
    } else {
        String::new()
    };
    // A stride coprime with n: the rows in a scrambled order.
    for k in 0..n {
        let i = (k * 7919 + month * 13) % n;
        if skip(i) {
            continue;
        }
        let totp = if month == 1 { i % 3 != 0 } else { i % 5 != 0 };
        let totp = if totp { E } else { D };
        let id = format!("user-{i:07}");
        text += &match format {
            Fmt::Jsonl => format!(
                "{{\"userId\":\"{id}\",\"totpStatus\":\"{totp}\",\"faceMfaStatus\":\"disabled\",\
                 \"smsMfaStatus\":\"disabled\",\"emailMfaStatus\":\"disabled\",\"anyEnabled\":{}}}\n",
                totp == E
            ),
            Fmt::Csv => format!(
                "{id},{totp},disabled,disabled,disabled,{},,,,,\n",
                totp == E
            ),
        };
    }
    text
}

#[test]
fn diff_with_failed_rows_is_incomplete_and_never_says_nobody_lost_mfa() {
    let dir = tempfile::tempdir().unwrap();
    let lines = |rows: &[String]| rows.iter().map(|r| format!("{r}\n")).collect::<String>();
    // (old, new, exit code, what stderr says)
    let cases = [
        // A key refused on every call, both months.
        (
            lines(&[error_row("a"), error_row("b")]),
            lines(&[error_row("a"), error_row("b")]),
            2,
            "2 users not compared",
        ),
        // Answers last month, every call refused this month.
        (
            lines(&[answer_row("a", true), answer_row("b", false)]),
            lines(&[error_row("a"), error_row("b")]),
            2,
            "2 users not compared",
        ),
        // One failed, the other unchanged.
        (
            lines(&[answer_row("a", true), answer_row("b", true)]),
            lines(&[error_row("a"), answer_row("b", true)]),
            2,
            "1 user not compared",
        ),
        // A user lost MFA: 3 wins, and the failures are still named.
        (
            lines(&[answer_row("a", true), answer_row("b", true)]),
            lines(&[error_row("a"), answer_row("b", false)]),
            3,
            "1 user not compared",
        ),
        // Nothing failed.
        (
            lines(&[answer_row("a", true)]),
            lines(&[answer_row("a", true)]),
            0,
            "1 unchanged",
        ),
    ];
    for (i, (old, new, code, says)) in cases.into_iter().enumerate() {
        let old = write_in(&dir, &format!("old-{i}.jsonl"), old.as_bytes());
        let new = write_in(&dir, &format!("new-{i}.jsonl"), new.as_bytes());
        let output = run(tool().args(["diff", s(&old), s(&new)]), b"");
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(code), "case {i}: {err}");
        assert!(err.contains(says), "case {i}: {err}");
        if code == 2 {
            assert!(err.contains("incomplete"), "case {i}: {err}");
        }
    }
}

#[test]
fn every_kind_of_change_is_one_row_sorted_by_user_and_a_loss_exits_3() {
    let old = audit_file("kinds-old.jsonl", Fmt::Jsonl, &old_rows());
    let new = audit_file("kinds-new.jsonl", Fmt::Jsonl, &new_rows());
    let output = diff(&old, &new, &[]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_eq!(changes(&output), expected_changes());
    let rows = rows(&output);
    let lost = &rows[2];
    assert_eq!(
        lost["before"],
        json!({"totpStatus": E, "faceMfaStatus": D, "smsMfaStatus": D,
               "emailMfaStatus": D, "anyEnabled": true})
    );
    assert_eq!(lost["after"]["anyEnabled"], false);
    assert_eq!(lost["after"]["totpStatus"], D);
    // added: nothing before; removed: nothing after.
    assert_eq!(rows[3]["before"], Value::Null);
    assert_eq!(rows[3]["after"]["anyEnabled"], false);
    assert_eq!(rows[1]["after"], Value::Null);
    assert_eq!(rows[1]["before"]["smsMfaStatus"], E);
    // The summary: one line on stderr, with the counts.
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    for part in [
        "1 lost MFA",
        "1 gained MFA",
        "1 changed",
        "1 added",
        "1 removed",
        "2 unchanged",
    ] {
        assert!(err.contains(part), "{part:?} in {err}");
    }
}

#[test]
fn csv_and_mixed_formats_give_the_same_rows() {
    let reference = {
        let old = audit_file("fmt-ref-old.jsonl", Fmt::Jsonl, &old_rows());
        let new = audit_file("fmt-ref-new.jsonl", Fmt::Jsonl, &new_rows());
        diff(&old, &new, &[])
    };
    for (a, b) in [
        (Fmt::Csv, Fmt::Csv),
        (Fmt::Csv, Fmt::Jsonl),
        (Fmt::Jsonl, Fmt::Csv),
    ] {
        let old = audit_file(&format!("fmt-{a:?}-{b:?}-old"), a, &old_rows());
        let new = audit_file(&format!("fmt-{a:?}-{b:?}-new"), b, &new_rows());
        let output = diff(&old, &new, &[]);
        assert_eq!(
            output.status.code(),
            Some(3),
            "{a:?} {b:?}: {}",
            stderr(&output)
        );
        assert_eq!(output.stdout, reference.stdout, "{a:?} {b:?}");
        assert_eq!(stderr(&output), stderr(&reference), "{a:?} {b:?}");
    }
}

#[test]
fn the_order_of_rows_does_not_matter() {
    let reference = {
        let old = audit_file("order-ref-old", Fmt::Jsonl, &old_rows());
        let new = audit_file("order-ref-new", Fmt::Jsonl, &new_rows());
        diff(&old, &new, &[])
    };
    let mut old = old_rows();
    let mut new = new_rows();
    old.reverse();
    new.rotate_left(2);
    for format in [Fmt::Jsonl, Fmt::Csv] {
        let o = audit_file(&format!("order-old-{format:?}"), format, &old);
        let n = audit_file(&format!("order-new-{format:?}"), format, &new);
        let output = diff(&o, &n, &[]);
        assert_eq!(output.stdout, reference.stdout, "{format:?}");
        assert_eq!(output.status.code(), Some(3));
    }
}

#[test]
fn no_loss_exits_0_and_no_change_writes_nothing() {
    let old = audit_file("noloss-old", Fmt::Jsonl, &old_rows());
    // Everything but the loss.
    let mut fixed = new_rows();
    fixed[1] = Row::Answer("lost", [E, D, D, D]);
    let new = audit_file("noloss-new", Fmt::Csv, &fixed);
    let output = diff(&old, &new, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(changes(&output).len(), 4);
    assert!(
        stderr(&output).contains("0 lost MFA"),
        "{}",
        stderr(&output)
    );
    // The same file twice, and the same users in the other format.
    let csv = audit_file("noloss-same.csv", Fmt::Csv, &old_rows());
    for (a, b) in [(&old, &old), (&old, &csv)] {
        let output = diff(a, b, &[]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        assert!(output.stdout.is_empty());
        assert!(
            stderr(&output).contains("6 unchanged"),
            "{}",
            stderr(&output)
        );
    }
    // Two empty audits (of no ids): nothing to say.
    let empty = write("noloss-empty.jsonl", b"");
    let header = write("noloss-header.csv", HEADER.as_bytes());
    let output = diff(&empty, &header, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
}

#[test]
fn real_audit_outputs_of_both_formats_read_back() {
    let ids = write(
        "real-ids.txt",
        "alice@example.com\nbob\n=formula\nuser,with,commas\n".as_bytes(),
    );
    let mut outputs = Vec::new();
    for format in ["jsonl", "csv"] {
        let out = temp_path(&format!("real-audit.{format}"));
        let audit = run(
            tool().args([
                "--sandbox",
                "audit",
                s(&ids),
                "--format",
                format,
                "--output",
                s(&out),
            ]),
            b"",
        );
        assert_eq!(audit.status.code(), Some(0), "{}", stderr(&audit));
        outputs.push(out);
    }
    let output = diff(&outputs[0], &outputs[1], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        output.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(
        stderr(&output).contains("4 unchanged"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn error_rows_are_not_answers() {
    let old = vec![
        Row::Answer("had-mfa", [E, D, D, D]),
        Row::Failed("was-throttled", "api", Some(429), None, "slow down"),
        Row::Failed("gone-both", "api", Some(404), Some(2004), "not found"),
        // A resumed audit: a failure, then the answer appended by --resume.
        Row::Failed("resumed", "transport", None, None, "reset, by peer"),
        Row::Answer("resumed", [E, D, D, D]),
        Row::Line(9),
    ];
    let new = vec![
        Row::Failed("had-mfa", "timeout", None, None, "deadline"),
        Row::Answer("was-throttled", [D, D, D, D]),
        Row::Failed("gone-both", "api", Some(404), Some(2004), "not found"),
        Row::Answer("resumed", [E, D, D, D]),
        Row::Failed("only-new-failed", "api", Some(500), None, "oops"),
    ];
    let mut reference: Option<Output> = None;
    for (a, b) in [
        (Fmt::Jsonl, Fmt::Jsonl),
        (Fmt::Csv, Fmt::Csv),
        (Fmt::Csv, Fmt::Jsonl),
    ] {
        let o = audit_file(&format!("errors-old-{a:?}{b:?}"), a, &old);
        let n = audit_file(&format!("errors-new-{a:?}{b:?}"), b, &new);
        let output = diff(&o, &n, &[]);
        // Losing an answer to an error is not losing MFA (no 3), but those
        // users were not compared: the diff is incomplete (2).
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("3 users not compared"),
            "{}",
            stderr(&output)
        );
        assert_eq!(
            changes(&output),
            [
                ("had-mfa".to_owned(), "unknown".to_owned()),
                ("only-new-failed".to_owned(), "added".to_owned()),
                ("was-throttled".to_owned(), "unknown".to_owned()),
            ]
        );
        let rows = rows(&output);
        assert_eq!(rows[0]["before"]["anyEnabled"], true);
        assert_eq!(rows[0]["after"]["error"]["kind"], "timeout");
        assert_eq!(rows[0]["after"]["error"]["message"], "deadline");
        assert_eq!(rows[1]["before"], Value::Null);
        assert_eq!(rows[1]["after"]["error"]["statusCode"], 500);
        assert_eq!(rows[2]["before"]["error"]["statusCode"], 429);
        let err = stderr(&output);
        for part in [
            "2 unknown",
            "1 added",
            "1 failed in both",
            "1 unchanged",
            "1 row without a user",
        ] {
            assert!(err.contains(part), "{part:?} in {err}");
        }
        match &reference {
            None => reference = Some(output),
            Some(r) => assert_eq!(output.stdout, r.stdout, "{a:?} {b:?}"),
        }
    }
}

#[test]
fn server_text_stays_escaped_and_csv_cells_read_back_one_to_one() {
    // What the tool writes for a message holding ESC and a status that a
    // spreadsheet would run: escaped in both formats, neutralised in CSV.
    let jsonl_old = concat!(
        r#"{"userId":"=x","totpStatus":"=cmd|' /C calc'!A0","faceMfaStatus":"disabled","smsMfaStatus":"disabled","emailMfaStatus":"disabled","anyEnabled":false}"#,
        "\n",
        r#"{"userId":"tab\there","totpStatus":"enabled","faceMfaStatus":"disabled","smsMfaStatus":"disabled","emailMfaStatus":"disabled","anyEnabled":true}"#,
        "\n",
    );
    let csv_old = format!(
        "{HEADER}'=x,\"'=cmd|' /C calc'!A0\",disabled,disabled,disabled,false,,,,,\n\
         tab\\u{{9}}here,enabled,disabled,disabled,disabled,true,,,,,\n"
    );
    let new = concat!(
        r#"{"userId":"=x","error":{"kind":"api","statusCode":500,"apiCode":null,"message":"\\u{1b}[2Jgone","requestId":"r\\u{7}1"}}"#,
        "\n",
        r#"{"userId":"tab\there","totpStatus":"disabled","faceMfaStatus":"disabled","smsMfaStatus":"disabled","emailMfaStatus":"disabled","anyEnabled":false}"#,
        "\n",
    );
    let new = write("escaped-new.jsonl", new.as_bytes());
    let mut outputs = Vec::new();
    for (name, old) in [
        ("escaped-old.jsonl", jsonl_old.to_owned()),
        ("escaped-old.csv", csv_old),
    ] {
        let old = write(name, old.as_bytes());
        let output = diff(&old, &new, &[]);
        assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
        let text = String::from_utf8(output.stdout.clone()).unwrap();
        assert!(
            text.lines().all(|l| !l.chars().any(char::is_control)),
            "{text:?}"
        );
        let rows = rows(&output);
        assert_eq!(rows[0]["userId"], "=x");
        assert_eq!(rows[0]["change"], "unknown");
        assert_eq!(rows[0]["before"]["totpStatus"], "=cmd|' /C calc'!A0");
        assert_eq!(rows[0]["after"]["error"]["message"], "\\u{1b}[2Jgone");
        assert_eq!(rows[0]["after"]["error"]["requestId"], "r\\u{7}1");
        assert_eq!(rows[1]["userId"], "tab\there");
        assert_eq!(rows[1]["change"], "lostMfa");
        outputs.push(output.stdout);
    }
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn setup_errors_exit_1_and_write_nothing() {
    let good = audit_file("setup-good.jsonl", Fmt::Jsonl, &old_rows());
    let missing = temp_path("setup-missing.jsonl");
    let _ = std::fs::remove_file(&missing);
    let ids = write("setup-ids.txt", b"alice\nbob\n");
    let mut broken = text(Fmt::Jsonl, &old_rows());
    broken += "{\"userId\":\"x\",\"anyEnabled\":tru\n";
    let broken = write("setup-broken.jsonl", broken.as_bytes());
    let mut mixed = text(Fmt::Csv, &old_rows());
    mixed += &line(Fmt::Jsonl, &Row::Answer("j", [E, D, D, D]));
    let mixed = write("setup-mixed.csv", mixed.as_bytes());
    let header = write("setup-header.csv", b"user_id,totp\nalice,enabled\n");
    let dir = temp_path("setup-dir");
    std::fs::create_dir(&dir).unwrap();
    for (bad, why) in [
        (&missing, "cannot read"),
        (&ids, "not an output of genauth-mfa audit"),
        (&broken, "line 7"),
        (&mixed, "line 8"),
        (&header, "not an output of genauth-mfa audit"),
        (&dir, "directory"),
    ] {
        for (a, b) in [(bad, &good), (&good, bad)] {
            let output = diff(a, b, &[]);
            assert_eq!(
                output.status.code(),
                Some(1),
                "{bad:?}: {}",
                stderr(&output)
            );
            assert!(output.stdout.is_empty(), "{bad:?}");
            let err = stderr(&output);
            assert!(err.contains(why), "{why:?} in {err}");
            assert!(err.contains(s(bad)), "{bad:?} named in {err}");
        }
    }
    // Arguments.
    let output = run(tool().args(["diff", s(&good)]), b"");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
}

#[test]
fn an_output_that_is_an_input_is_refused_and_both_stay_as_they_were() {
    let old_text = text(Fmt::Jsonl, &old_rows());
    let new_text = text(Fmt::Csv, &new_rows());
    let old = write("refuse-old.jsonl", old_text.as_bytes());
    let new = write("refuse-new.csv", new_text.as_bytes());
    let link = temp_path("refuse-link.csv");
    let hard = temp_path("refuse-hard.jsonl");
    let _ = std::fs::remove_file(&link);
    let _ = std::fs::remove_file(&hard);
    std::os::unix::fs::symlink(&new, &link).unwrap();
    std::fs::hard_link(&old, &hard).unwrap();
    for output in [&old, &new, &link, &hard] {
        let result = diff(&old, &new, &["--output", s(output)]);
        assert_eq!(result.status.code(), Some(1), "{output:?}");
        assert!(
            stderr(&result).contains("is an input file"),
            "{}",
            stderr(&result)
        );
        assert_eq!(std::fs::read_to_string(&old).unwrap(), old_text);
        assert_eq!(std::fs::read_to_string(&new).unwrap(), new_text);
    }
    // Standard output appended to an input: `diff old new >> old`.
    let appended = std::fs::OpenOptions::new().append(true).open(&old).unwrap();
    let result = tool()
        .args(["diff", s(&old), s(&new)])
        .stdout(appended)
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(1), "{}", stderr(&result));
    assert_eq!(std::fs::read_to_string(&old).unwrap(), old_text);
}

#[test]
fn output_goes_to_a_file_or_to_standard_output() {
    let old = audit_file("out-old.jsonl", Fmt::Jsonl, &old_rows());
    let new = audit_file("out-new.jsonl", Fmt::Jsonl, &new_rows());
    let reference = diff(&old, &new, &[]);
    let file = temp_path("out-diff.jsonl");
    std::fs::write(&file, "earlier content that is replaced\n").unwrap();
    for (short, long) in [("-o", "--output")] {
        for flag in [short, long] {
            let output = diff(&old, &new, &[flag, s(&file)]);
            assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
            assert!(output.stdout.is_empty());
            assert_eq!(std::fs::read(&file).unwrap(), reference.stdout);
        }
    }
    let output = diff(&old, &new, &["--output", "-"]);
    assert_eq!(output.stdout, reference.stdout);
}

#[test]
fn a_100000_row_pair_is_sorted_through_temporary_files_in_bounded_memory() {
    const N: u64 = 100_000;
    let old = write(
        "big-old.jsonl",
        generated(Fmt::Jsonl, N, 1, |i| i % 1000 == 1).as_bytes(),
    );
    let new = write(
        "big-new.csv",
        generated(Fmt::Csv, N, 2, |i| i % 1000 == 2).as_bytes(),
    );
    let tmp = temp_path("big-tmp");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir(&tmp).unwrap();
    let out = temp_path("big-diff.jsonl");
    let mut command: Command = tool();
    command.env("TMPDIR", &tmp).args([
        "-v",
        "diff",
        s(&old),
        s(&new),
        "--sort-buffer",
        "1",
        "--output",
        s(&out),
    ]);
    let output = wait_output(
        command
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
        std::time::Duration::from_secs(120),
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    // The expected rows, computed here.
    let mut expected = Vec::new();
    for i in 0..N {
        let id = format!("user-{i:07}");
        let (before, after) = (i % 3 != 0, i % 5 != 0);
        let change = match (i % 1000 == 1, i % 1000 == 2) {
            (true, _) => "added",
            (_, true) => "removed",
            _ if before && !after => "lostMfa",
            _ if !before && after => "gainedMfa",
            _ => continue,
        };
        expected.push(format!("{id} {change}"));
    }
    let got: Vec<String> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            format!(
                "{} {}",
                v["userId"].as_str().unwrap(),
                v["change"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(got.len(), expected.len());
    assert!(got == expected, "the rows differ from those computed");
    // Sorted in many runs of temporary files (the -v line), all removed.
    let err = stderr(&output);
    let runs: u64 = err
        .split_once(" rows in ")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no `rows in N runs` line in {err}"));
    assert!(runs > 4, "{err}");
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    std::fs::remove_dir(&tmp).unwrap();
}

#[test]
fn an_interrupt_ends_the_diff_with_130_and_creates_no_output() {
    use std::io::Write;
    // OLD is a FIFO fed rows without end: the diff is still reading it
    // when the signal comes.
    let fifo = temp_path("interrupt-old.jsonl");
    let _ = std::fs::remove_file(&fifo);
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let new = audit_file("interrupt-new.jsonl", Fmt::Jsonl, &new_rows());
    let out = temp_path("interrupt-out.jsonl");
    let _ = std::fs::remove_file(&out);
    let child = tool()
        .args(["diff", s(&fifo), s(&new), "--output", s(&out)])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let id = child.id().to_string();
    let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    // At most 10,000,000 rows; the diff stops reading long before.
    let feeder = std::thread::spawn(move || {
        for i in 0..10_000_000u64 {
            let row = line(Fmt::Jsonl, &Row::Answer("x", [E, D, D, D])).replacen(
                "\"x\"",
                &format!("\"u{i}\""),
                1,
            );
            if writer.write_all(row.as_bytes()).is_err() {
                return i;
            }
            if i == 20_000 {
                let killed = Command::new("kill").args(["-INT", &id]).status().unwrap();
                assert!(killed.success());
            }
        }
        u64::MAX
    });
    let output = wait_output(child, std::time::Duration::from_secs(60));
    let fed = feeder.join().unwrap();
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("interrupted"),
        "{}",
        stderr(&output)
    );
    assert!(fed < 10_000_000, "the diff read every row");
    assert!(!out.exists(), "an output was created");
    std::fs::remove_file(&fifo).unwrap();
}

/// Both files are read whole before the output is touched: a bad row late
/// in NEW leaves an existing --output as it was.
#[test]
fn a_bad_row_leaves_an_existing_output_as_it_was() {
    let old = audit_file("keep-old.jsonl", Fmt::Jsonl, &old_rows());
    let mut broken = text(Fmt::Jsonl, &new_rows());
    broken += "not a row\n";
    let new = write("keep-new.jsonl", broken.as_bytes());
    let out = write("keep-out.jsonl", b"last month's diff\n");
    let output = diff(&old, &new, &["--output", s(&out)]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(std::fs::read(&out).unwrap(), b"last month's diff\n");
}
