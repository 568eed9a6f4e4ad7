//! `genauth-mfa audit` and `diff` never damage or silently lose a file,
//! and never call a comparison complete that is not: `--resume` cuts only
//! a row cut short, the output is locked for the run, every path written is
//! checked before the first request, a closed stdout is a setup error, rows
//! record their id type, UTF-16/UTF-32 ids files are decoded or refused,
//! blank JSON Lines are skipped, and a diff with failed rows is incomplete.
//! Against the crate's fake served over loopback HTTP, mockito servers and
//! the scripted server of `cli_support`, every file in a temporary
//! directory removed at the end.

use genauth_mfa_mocks::*;
use genauth_mfa_testkit::cli_support;
use genauth_mfa_testkit::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cli_support::*;
use common::*;
use genauth_mfa::{UserIdType, UserMfaInfo};
use genauth_mfa_fake::{FakeGenAuth, FakeServer, Route};
use mockito::{Matcher, Server};
use serde_json::Value;

/// A mockito server that must see no request at all.
fn untouchable() -> (mockito::ServerGuard, mockito::Mock, mockito::Mock) {
    let mut server = Server::new();
    let get = server.mock("GET", Matcher::Any).expect(0).create();
    let post = server.mock("POST", Matcher::Any).expect(0).create();
    (server, get, post)
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The ids `get-user-mfa-info` was asked for, in order.
fn asked(fake: &FakeGenAuth) -> Vec<(String, String)> {
    fake.requests()
        .iter()
        .filter(|r| r.route() == Some(Route::GetUserMfaInfo))
        .map(|r| {
            (
                r.query("userId").unwrap_or_default().to_owned(),
                r.query("userIdType").unwrap_or("user_id").to_owned(),
            )
        })
        .collect()
}

fn alice_and_bob() -> (FakeGenAuth, FakeServer) {
    let fake = FakeGenAuth::new()
        .with_user("alice", UserIdType::UserId, UserMfaInfo::new().totp(true))
        .with_user("bob", UserIdType::UserId, UserMfaInfo::new())
        .with_user(
            "alice@example.com",
            UserIdType::Email,
            UserMfaInfo::new().sms(true),
        );
    let server = fake.serve().unwrap();
    (fake, server)
}

const ANSWERED_A: &str = r#"{"userId":"a","totpStatus":"enabled","faceMfaStatus":"disabled","smsMfaStatus":"disabled","emailMfaStatus":"disabled","anyEnabled":true}"#;

#[test]
fn resume_refuses_a_file_whose_last_line_is_not_a_row_cut_short_and_leaves_it_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(&dir, "ids.txt", b"a\nb\n");
    let cases: [(&str, String, &str); 7] = [
        // What Python's json.dump writes: one line, no final newline.
        (
            "json-dump",
            r#"{"users": ["a", "b"], "count": 2}"#.to_owned(),
            "line 1",
        ),
        // A JSON array of rows, with and without a final newline.
        ("array", format!("[{ANSWERED_A}]"), "line 1"),
        ("array-nl", format!("[{ANSWERED_A}]\n"), "line 1"),
        // Foreign text after valid rows.
        ("text", format!("{ANSWERED_A}\nhello world"), "line 2"),
        (
            "foreign-json",
            format!("{ANSWERED_A}\n{{\"note\": \"kept by hand\"}}"),
            "line 2",
        ),
        // A whole row of this tool's shape but not a row: a complete JSON
        // object is not a row cut short.
        (
            "whole-object",
            format!("{ANSWERED_A}\n{{\"userId\":\"b\"}}"),
            "line 2",
        ),
        // A row's start followed by what no row holds.
        (
            "bad-prefix",
            format!("{ANSWERED_A}\n{{\"userId\":\"b\" garbage"),
            "line 2",
        ),
    ];
    for (name, bytes, line) in cases {
        let (server, get, post) = untouchable();
        let bytes = bytes.as_bytes();
        let out = write(&dir, &format!("{name}.jsonl"), bytes);
        let output = run(
            against(&server).args(["audit", s(&input), "--output", s(&out), "--resume"]),
            b"",
        );
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{name}: {err}");
        assert!(err.contains(line), "{name}: {err}");
        assert_eq!(std::fs::read(&out).unwrap(), bytes, "{name}");
        get.assert();
        post.assert();
    }
    // CSV: foreign text after the rows, too many cells for a row.
    let (server, get, post) = untouchable();
    let header = "user_id,totp,face,sms,email,any_enabled,error_kind,status_code,api_code,message,request_id\n";
    let bytes = format!(
        "{header}a,enabled,disabled,disabled,disabled,true,,,,,\nx,y,z,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19"
    );
    let out = write(&dir, "foreign.csv", bytes.as_bytes());
    let output = run(
        against(&server).args([
            "audit",
            s(&input),
            "--format",
            "csv",
            "--output",
            s(&out),
            "--resume",
        ]),
        b"",
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("line 3"), "{}", stderr(&output));
    assert_eq!(std::fs::read(&out).unwrap(), bytes.as_bytes());
    get.assert();
    post.assert();
}

/// A server whose user answers wait until `release` is set (10 s at most),
/// counting the user requests.
fn held_server(body: &'static str) -> (HttpServer, Arc<AtomicBool>, Arc<AtomicUsize>) {
    let release = Arc::new(AtomicBool::new(false));
    let users = Arc::new(AtomicUsize::new(0));
    let (r, u) = (Arc::clone(&release), Arc::clone(&users));
    let server = HttpServer::start(move |target| {
        token_or_user(target, |_| {
            u.fetch_add(1, Ordering::SeqCst);
            let deadline = Instant::now() + Duration::from_secs(10);
            while !r.load(Ordering::SeqCst) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            body.to_owned()
        })
    });
    (server, release, users)
}

fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + LIMIT;
    while !done() {
        assert!(Instant::now() < deadline, "waited too long for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

const ANSWER: &str = r#"{"statusCode":200,"data":{"totpStatus":true,"faceMfaStatus":false,"smsMfaStatus":"disabled","emailMfaStatus":"disabled"}}"#;
const NOT_FOUND: &str = r#"{"statusCode":404,"apiCode":2004,"message":"user not found"}"#;

#[test]
fn a_second_audit_on_the_same_output_refuses_at_once_and_the_first_is_whole() {
    let dir = tempfile::tempdir().unwrap();
    let ids: String = (0..20).map(|i| format!("user-{i}\n")).collect();
    let input = write(&dir, "ids.txt", ids.as_bytes());
    let out = dir.path().join("out.jsonl");
    let (server, release, users) = held_server(ANSWER);
    let first = against_url(&server.url)
        .args(["audit", s(&input), "--output", s(&out), "-c", "2"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until("the first audit's requests", || {
        users.load(Ordering::SeqCst) >= 1
    });
    for extra in [&[][..], &["--resume"], &["--format", "csv"]] {
        let (other, get, post) = untouchable();
        let second = run(
            against(&other)
                .args(["audit", s(&input), "--output", s(&out)])
                .args(extra),
            b"",
        );
        let err = stderr(&second);
        assert_eq!(second.status.code(), Some(1), "{extra:?}: {err}");
        assert!(err.contains("another genauth-mfa run"), "{extra:?}: {err}");
        assert!(err.contains(&first.id().to_string()), "the pid: {err}");
        get.assert();
        post.assert();
    }
    release.store(true, Ordering::SeqCst);
    let first = wait_output(first, LIMIT);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let text = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    assert_eq!(rows.len(), 20, "{text}");
    // Once the first has ended, the output is free again.
    let (fake, served) = alice_and_bob();
    let input = write(&dir, "ab.txt", b"alice\n");
    let again = run(
        against_url(&served.url()).args(["audit", s(&input), "--output", s(&out)]),
        b"",
    );
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(asked(&fake).len(), 1);
}

#[test]
fn a_summary_in_a_missing_or_unwritable_directory_is_refused_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(&dir, "ids.txt", b"alice\n");
    let out = dir.path().join("out.jsonl");
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    let mut perms = std::fs::metadata(&locked).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
    std::fs::set_permissions(&locked, perms).unwrap();
    // Root writes anywhere: the read-only case only means something to others.
    let root = std::fs::write(locked.join("probe"), b"").is_ok();
    let mut summaries = vec![dir.path().join("missing").join("summary.json")];
    if !root {
        summaries.push(locked.join("summary.json"));
    }
    for summary in summaries {
        let (server, get, post) = untouchable();
        let output = run(
            against(&server).args([
                "audit",
                s(&input),
                "--output",
                s(&out),
                "--summary",
                s(&summary),
            ]),
            b"",
        );
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{summary:?}: {err}");
        assert!(err.contains("--summary"), "{err}");
        assert!(!out.exists(), "the output is not created");
        get.assert();
        post.assert();
    }
    let mut perms = std::fs::metadata(&locked).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&locked, perms).unwrap();
}

#[test]
fn a_summary_that_cannot_be_written_at_the_end_keeps_the_runs_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(&dir, "ids.txt", b"missing-1\n");
    let out = dir.path().join("out.jsonl");
    let sub = dir.path().join("summaries");
    std::fs::create_dir(&sub).unwrap();
    let summary = sub.join("summary.json");
    // The one user is not found: the run's own exit code is 2.
    let (server, release, users) = held_server(NOT_FOUND);
    let child = against_url(&server.url)
        .args([
            "audit",
            s(&input),
            "--output",
            s(&out),
            "--summary",
            s(&summary),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until("the user request", || users.load(Ordering::SeqCst) >= 1);
    // The directory vanishes during the run.
    std::fs::remove_dir_all(&sub).unwrap();
    release.store(true, Ordering::SeqCst);
    let output = wait_output(child, LIMIT);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot write the summary"), "{err}");
}

#[test]
fn a_closed_or_read_only_stdout_is_a_setup_error_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(&dir, "ids.txt", b"alice\n");
    let readable = write(&dir, "readable.txt", b"");
    for (redirect, extra) in [
        (">&-", &[][..]),
        (">&-", &["--output", "-"]),
        (">&-", &["--format", "csv"]),
        ("1<\"$r\"", &[][..]),
    ] {
        let (server, get, post) = untouchable();
        // $0 is the tool, $1 a readable file (`1<"$r"`: a read-only stdout).
        let script = format!("b=$0; r=$1; shift; exec \"$b\" \"$@\" {redirect}");
        let mut command = Command::new("/bin/sh");
        command
            .env_clear()
            .env("GENAUTH_ACCESS_KEY_ID", KEY_ID)
            .env("GENAUTH_ACCESS_KEY_SECRET", KEY_SECRET)
            .env("GENAUTH_HOST", server.url())
            .arg("-c")
            .arg(&script)
            .arg(binary())
            .arg(s(&readable))
            .args(["audit", s(&input)])
            .args(extra);
        let output = command
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{redirect} {extra:?}: {err}");
        assert!(err.contains("standard output"), "{redirect}: {err}");
        get.assert();
        post.assert();
    }
}

#[test]
fn rows_record_the_id_type_and_resume_with_another_id_type_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(&dir, "ids.txt", b"alice@example.com\n");
    for (format, ext) in [("jsonl", "jsonl"), ("csv", "csv")] {
        let (fake, server) = alice_and_bob();
        let out = dir.path().join(format!("out.{ext}"));
        // The wrong type: the user is not found (a final answer).
        let first = run(
            against_url(&server.url()).args([
                "audit",
                s(&input),
                "--format",
                format,
                "--output",
                s(&out),
            ]),
            b"",
        );
        assert_eq!(first.status.code(), Some(2), "{}", stderr(&first));
        let text = std::fs::read_to_string(&out).unwrap();
        if format == "jsonl" {
            let row: Value = serde_json::from_str(text.trim_end()).unwrap();
            assert_eq!(row["userIdType"], "user_id", "{text}");
        } else {
            let mut lines = text.lines();
            assert!(
                lines
                    .next()
                    .unwrap()
                    .ends_with(",user_id_type,effective_mfa,skip_mfa,admin"),
                "{text}"
            );
            assert!(
                lines.next().unwrap().ends_with(",user_id,,false,"),
                "{text}"
            );
        }
        let second = run(
            against_url(&server.url()).args([
                "audit",
                s(&input),
                "--format",
                format,
                "--output",
                s(&out),
                "--resume",
                "--user-id-type",
                "email",
            ]),
            b"",
        );
        let err = stderr(&second);
        assert_eq!(second.status.code(), Some(1), "{format}: {err}");
        assert!(err.contains("user_id") && err.contains("email"), "{err}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), text, "untouched");
        assert_eq!(asked(&fake).len(), 1, "asked nobody more");
        // With the same type, the final row counts: nobody is asked.
        let same = run(
            against_url(&server.url()).args([
                "audit",
                s(&input),
                "--format",
                format,
                "--output",
                s(&out),
                "--resume",
                "--user-id-type",
                "user_id",
            ]),
            b"",
        );
        assert_eq!(same.status.code(), Some(2), "{}", stderr(&same));
        assert_eq!(asked(&fake).len(), 1);
    }
    // A 0.3 row without the id type: its "not found" proves nothing about
    // another type, so the user is asked again; an answer counts.
    let (fake, server) = alice_and_bob();
    let old = write(
        &dir,
        "old.jsonl",
        concat!(
            r#"{"userId":"alice@example.com","error":{"kind":"api","statusCode":404,"apiCode":2004,"message":"user not found","requestId":null}}"#,
            "\n",
            r#"{"userId":"bob@example.com","totpStatus":"enabled","faceMfaStatus":"disabled","smsMfaStatus":"disabled","emailMfaStatus":"disabled","anyEnabled":true}"#,
            "\n"
        )
        .as_bytes(),
    );
    let ids = write(&dir, "two.txt", b"alice@example.com\nbob@example.com\n");
    let output = run(
        against_url(&server.url()).args([
            "audit",
            s(&ids),
            "--output",
            s(&old),
            "--resume",
            "--user-id-type",
            "email",
        ]),
        b"",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        asked(&fake),
        [("alice@example.com".to_owned(), "email".to_owned())]
    );
}

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut bytes = Vec::new();
    let units = bom
        .then_some(0xFEFFu16)
        .into_iter()
        .chain(text.encode_utf16());
    for unit in units {
        if big_endian {
            bytes.extend(unit.to_be_bytes());
        } else {
            bytes.extend(unit.to_le_bytes());
        }
    }
    bytes
}

#[test]
fn utf16_ids_files_are_decoded_and_utf32_or_unmarked_ones_refused_naming_the_encoding() {
    let dir = tempfile::tempdir().unwrap();
    for (name, big_endian) in [("le", false), ("be", true)] {
        let (fake, server) = alice_and_bob();
        let input = write(
            &dir,
            &format!("ids-{name}.txt"),
            &utf16("alice\r\n# a comment\r\nbob\r\n", big_endian, true),
        );
        let output = run(against_url(&server.url()).args(["audit", s(&input)]), b"");
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        let mut ids: Vec<String> = json_rows(&output)
            .iter()
            .map(|r| r["userId"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        assert_eq!(ids, ["alice", "bob"], "{name}");
        let mut asked: Vec<String> = asked(&fake).into_iter().map(|(id, _)| id).collect();
        asked.sort();
        assert_eq!(asked, ["alice", "bob"], "{name}");
        // The same on stdin.
        let output = run(
            against_url(&server.url()).args(["audit"]),
            &utf16("alice\n", big_endian, true),
        );
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        assert_eq!(json_rows(&output)[0]["userId"], "alice");
    }
    let mut utf32 = vec![0xFF, 0xFE, 0, 0];
    for c in "alice\n".chars() {
        utf32.extend((c as u32).to_le_bytes());
    }
    for (name, bytes, encoding) in [
        ("utf32.txt", utf32, "UTF-32"),
        (
            "nobom.txt",
            utf16("alice\r\nbob\r\n", false, false),
            "UTF-16",
        ),
    ] {
        let (server, get, post) = untouchable();
        let input = write(&dir, name, &bytes);
        let output = run(against(&server).args(["audit", s(&input)]), b"");
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{name}: {err}");
        assert!(err.contains(encoding), "{name}: {err}");
        get.assert();
        post.assert();
        // On stdin, with an output that exists: refused before the output
        // is emptied.
        let (server, get, post) = untouchable();
        let out = write(&dir, "kept.jsonl", ANSWERED_A.as_bytes());
        let output = run(
            against(&server).args(["audit", "--output", s(&out)]),
            &bytes,
        );
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "stdin {name}: {err}");
        assert!(err.contains(encoding), "stdin {name}: {err}");
        assert_eq!(std::fs::read(&out).unwrap(), ANSWERED_A.as_bytes());
        get.assert();
        post.assert();
    }
}

#[test]
fn blank_lines_in_json_lines_are_skipped_by_resume_and_diff() {
    let dir = tempfile::tempdir().unwrap();
    let (fake, server) = alice_and_bob();
    let input = write(&dir, "ids.txt", b"alice\nbob\n");
    let alice = r#"{"userId":"alice","totpStatus":"enabled","faceMfaStatus":"disabled","smsMfaStatus":"disabled","emailMfaStatus":"disabled","anyEnabled":true}"#;
    let out = write(&dir, "out.jsonl", format!("\n{alice}\n\n  \n").as_bytes());
    let output = run(
        against_url(&server.url()).args(["audit", s(&input), "--output", s(&out), "--resume"]),
        b"",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(asked(&fake), [("bob".to_owned(), "user_id".to_owned())]);
    let old = write(&dir, "old.jsonl", format!("{alice}\n\n").as_bytes());
    let new = write(&dir, "new.jsonl", format!("\n{alice}\n\r\n").as_bytes());
    let output = run(tool().args(["diff", s(&old), s(&new)]), b"");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(err.contains("1 unchanged"), "{err}");
}

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
        let old = write(&dir, &format!("old-{i}.jsonl"), old.as_bytes());
        let new = write(&dir, &format!("new-{i}.jsonl"), new.as_bytes());
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
fn a_csv_output_of_0_3_resumed_keeps_its_columns_and_resumes_again() {
    let dir = tempfile::tempdir().unwrap();
    let (fake, server) = alice_and_bob();
    let input = write(&dir, "ids.txt", b"alice\nbob\nmissing\n");
    let header = "user_id,totp,face,sms,email,any_enabled,error_kind,status_code,api_code,message,request_id\n";
    let old = format!("{header}alice,enabled,disabled,disabled,disabled,true,,,,,\n");
    let out = write(&dir, "old.csv", old.as_bytes());
    let args = [
        "audit",
        s(&input),
        "--format",
        "csv",
        "--output",
        s(&out),
        "--resume",
    ];
    let first = run(against_url(&server.url()).args(args), b"");
    assert_eq!(first.status.code(), Some(2), "{}", stderr(&first));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with(&old), "{text}");
    for line in text.lines() {
        assert_eq!(line.matches(',').count(), 10, "one shape: {text}");
    }
    assert_eq!(asked(&fake).len(), 2);
    // Resumed again: read back, and only the 0.3-style final error (no id
    // type) is asked again.
    let second = run(against_url(&server.url()).args(args), b"");
    assert_eq!(second.status.code(), Some(2), "{}", stderr(&second));
    assert_eq!(asked(&fake).len(), 3, "{:?}", asked(&fake));
}

#[test]
fn a_csv_with_reordered_and_extra_columns_is_read_by_name_by_resume_and_diff() {
    let dir = tempfile::tempdir().unwrap();
    let (fake, server) = alice_and_bob();
    let input = write(&dir, "ids.txt", b"alice\nbob\n");
    // A spreadsheet moved the columns about and added a note of its own.
    let header = "note,request_id,message,api_code,status_code,error_kind,any_enabled,\
                  email,sms,face,totp,user_id_type,user_id\n";
    let old = format!(
        "{header}\"seen, ok\",,,,,,true,disabled,disabled,disabled,enabled,user_id,alice\n"
    );
    let out = write(&dir, "out.csv", old.as_bytes());
    let args = [
        "audit",
        s(&input),
        "--format",
        "csv",
        "--output",
        s(&out),
        "--resume",
    ];
    let output = run(against_url(&server.url()).args(args), b"");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // alice was resumed by name; bob's row follows the file's own order.
    assert_eq!(asked(&fake), [("bob".to_owned(), "user_id".to_owned())]);
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        text,
        format!("{old},,,,,,false,disabled,disabled,disabled,disabled,user_id,bob\n")
    );
    // diff reads it by name too: against the usual column order.
    let usual = write(
        &dir,
        "usual.csv",
        b"user_id,totp,face,sms,email,any_enabled,error_kind,status_code,api_code,message,request_id,user_id_type\n\
          alice,disabled,disabled,disabled,disabled,false,,,,,,user_id\n\
          bob,disabled,disabled,disabled,disabled,false,,,,,,user_id\n",
    );
    let output = run(tool().args(["diff", s(&out), s(&usual)]), b"");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert!(
        err.contains("1 lost MFA") && err.contains("1 unchanged"),
        "{err}"
    );
    let rows = json_rows(&output);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (&rows[0]["userId"], &rows[0]["change"]),
        (&Value::from("alice"), &Value::from("lostMfa"))
    );
    // A required column missing is named.
    let short = write(
        &dir,
        "short.csv",
        b"user_id,totp,face,sms,email,any_enabled\n",
    );
    let output = run(tool().args(["diff", s(&short), s(&usual)]), b"");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("no column error_kind"),
        "{}",
        stderr(&output)
    );
    let output = run(
        against_url(&server.url()).args([
            "audit",
            s(&input),
            "--format",
            "csv",
            "--output",
            s(&short),
            "--resume",
        ]),
        b"",
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("no column error_kind"),
        "{}",
        stderr(&output)
    );
    assert_eq!(asked(&fake).len(), 1, "no request for a refused file");
}
