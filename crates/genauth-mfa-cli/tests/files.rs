//! `genauth-mfa audit` and the user's files: inputs as files really are
//! (pipes, FIFOs, directories, closed stdin, endless lines, UTF-16/32,
//! duplicate and odd ids), an output that is the input, `--resume` (what
//! counts as done, what it refuses, rows cut short, outputs of 0.3, columns by
//! name, id types), the output's lock, `--summary` files, a full disk, and
//! a refused key that leaves files as they were. Every file in a temporary
//! directory.

mod support;

use cli_support::*;
use common::*;
use genauth_mfa::{UserIdType, UserMfaInfo};
use genauth_mfa_fake::{FakeGenAuth, FakeServer, Route};
use genauth_mfa_mocks::*;
use genauth_mfa_testkit::{cli_support, common};
use mockito::{Matcher, Server};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::*;

/// Answers `userId=a..d` with statuses, counting who was asked.
fn healthy(server: &mut Server) -> mockito::Mock {
    let _ = mock_token(server, T1).create();
    server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(Matcher::Any)
        .with_body(SAMPLE_MFA_INFO)
        .create()
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
const NOT_FOUND_B: &str = r#"{"userId":"b","userIdType":"user_id","error":{"kind":"api","statusCode":404,"apiCode":2004,"message":"user not found","requestId":"r-1"}}"#;
const TRANSPORT_C: &str = r#"{"userId":"c","error":{"kind":"transport","statusCode":null,"apiCode":null,"message":"connection reset","requestId":null}}"#;
const THROTTLED_D: &str = r#"{"userId":"d","error":{"kind":"api","statusCode":429,"apiCode":null,"message":"slow down","requestId":null}}"#;

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

#[cfg(unix)]
fn mkfifo(name: &str) -> TempPath {
    let fifo = temp_path(name);
    let _ = std::fs::remove_file(&fifo);
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    fifo
}

#[test]
fn input_as_files_really_are() {
    let mut server = Server::new();
    let (_t, users) = mock_users(&mut server);
    let mut input = b"\xEF\xBB\xBFalice\rbob\r\ncarol\n\xff\xfe\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', 10_000));
    input.extend(b"\ndave");
    let file = temp_path("input.txt");
    std::fs::write(&file, &input).unwrap();
    let output = run(
        against(&server).args(["audit", file.to_str().unwrap(), "-c", "1"]),
        b"",
    );
    std::fs::remove_file(&file).unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let rows = json_rows(&output);
    let ids: Vec<_> = rows.iter().filter_map(|r| r["userId"].as_str()).collect();
    assert_eq!(ids, ["alice", "bob", "carol", "dave"]);
    let bad: Vec<_> = rows.iter().filter(|r| r.get("line").is_some()).collect();
    assert_eq!(bad.len(), 2);
    assert_eq!(bad[0]["line"], 4);
    assert!(
        bad[0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("UTF-8")
    );
    assert_eq!(bad[1]["line"], 5);
    assert!(
        bad[1]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("longer")
    );
    users.expect(4).assert();
}

#[test]
fn a_full_disk_ends_the_run_with_a_message() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full");
    let Ok(full) = full else {
        eprintln!("no /dev/full here: skipped");
        return;
    };
    let child = tool()
        .args(["--sandbox", "audit"])
        .stdin(Stdio::piped())
        .stdout(full)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = child;
    let _ = child.stdin.take().unwrap().write_all(b"alice\nbob\n");
    let output = wait_output(child, Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("No space left"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn resume_after_an_interrupt_finishes_the_audit_once() {
    let input = temp_path("resume-ids.txt");
    let out = temp_path("resume-out.jsonl");
    let n = 100_000;
    let ids: String = (0..n).map(|i| format!("user-{i}\n")).collect();
    std::fs::write(&input, ids).unwrap();
    let _ = std::fs::remove_file(&out);
    let args = [
        "--sandbox",
        "audit",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--resume",
    ];
    let child = tool().args(args).stderr(Stdio::piped()).spawn().unwrap();
    // Interrupt once some rows are written.
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::metadata(&out).map_or(0, |m| m.len()) < 10_000 {
        assert!(Instant::now() < deadline, "no rows written");
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let first = wait_output(child, Duration::from_secs(20));
    assert_eq!(first.status.code(), Some(130), "{}", stderr(&first));
    assert!(stderr(&first).contains("interrupted"), "{}", stderr(&first));
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.ends_with('\n'));
    let before = written.lines().count();
    assert!(before > 0 && before < n, "{before}");

    let second = run(tool().args(args), b"");
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert!(stderr(&second).contains("skipped"), "{}", stderr(&second));
    let all = std::fs::read_to_string(&out).unwrap();
    let mut seen = std::collections::HashSet::new();
    for line in all.lines() {
        let row: Value = serde_json::from_str(line).unwrap();
        assert!(
            seen.insert(row["userId"].as_str().unwrap().to_owned()),
            "twice: {line}"
        );
    }
    assert_eq!(seen.len(), n);
    std::fs::remove_file(&input).unwrap();
    std::fs::remove_file(&out).unwrap();
}

#[test]
fn an_endless_line_is_an_error_row_not_a_crash() {
    let mut child = tool()
        .args(["--sandbox", "audit", "/dev/zero"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let row: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(row["line"], 1);
    assert_eq!(row["error"]["kind"], "input");
}

#[test]
fn an_output_that_is_the_input_is_refused_before_anything_changes() {
    let (server, get, post) = untouchable();
    let ids = b"alice\nbob\n";
    let input = write("same-input.txt", ids);
    let link = temp_path("same-link.txt");
    let hard = temp_path("same-hard.txt");
    let _ = std::fs::remove_file(&link);
    let _ = std::fs::remove_file(&hard);
    std::os::unix::fs::symlink(&input, &link).unwrap();
    std::fs::hard_link(&input, &hard).unwrap();
    let dotted = input
        .parent()
        .unwrap()
        .join(".")
        .join(input.file_name().unwrap());
    for output in [&input, &link, &hard, &dotted] {
        for extra in [
            &[][..],
            &["--resume"],
            &["--format", "csv"],
            &["--format", "csv", "--resume"],
        ] {
            let out = run(
                against(&server)
                    .args(["audit", s(&input), "--output", s(output)])
                    .args(extra),
                b"",
            );
            assert_eq!(
                out.status.code(),
                Some(1),
                "{output:?} {extra:?}: {}",
                stderr(&out)
            );
            assert!(stderr(&out).contains("is the input"), "{}", stderr(&out));
            assert_eq!(std::fs::read(&input).unwrap(), ids, "{output:?} {extra:?}");
        }
    }
    // The input on stdin, the output named; the output on stdout (>>).
    let stdin = std::fs::File::open(&input).unwrap();
    let out = against(&server)
        .args(["audit", "--output", s(&link)])
        .stdin(stdin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let appending = std::fs::OpenOptions::new()
        .append(true)
        .open(&input)
        .unwrap();
    let out = against(&server)
        .args(["audit", s(&input)])
        .stdout(appending)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(std::fs::read(&input).unwrap(), ids);
    get.assert();
    post.assert();
    for path in [&input, &link, &hard] {
        std::fs::remove_file(path).unwrap();
    }
}

#[test]
fn resume_asks_again_the_users_without_a_final_answer() {
    let mut server = Server::new();
    let users = healthy(&mut server);
    let input = write("final-ids.txt", b"a\nb\nc\nd\n");
    let earlier = format!("{ANSWERED_A}\n{NOT_FOUND_B}\n{TRANSPORT_C}\n{THROTTLED_D}\n");
    let out = write("final-out.jsonl", earlier.as_bytes());
    let output = run(
        against(&server).args(["audit", s(&input), "--output", s(&out), "--resume"]),
        b"",
    );
    // c and d asked again and answered; b's "not found" is final: exit 2.
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    users.expect(2).assert();
    let rows: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 6);
    let new: Vec<_> = rows[4..]
        .iter()
        .map(|r| r["userId"].as_str().unwrap())
        .collect();
    let mut new = new;
    new.sort();
    assert_eq!(new, ["c", "d"]);
    assert!(rows[4..].iter().all(|r| r["anyEnabled"] == true));
    let err = stderr(&output);
    assert!(err.contains("2 users in"), "{err}");
    assert!(
        err.contains("2 ids skipped") && err.contains("1 of them with a final error"),
        "{err}"
    );
    // Without final failures, the resumed run exits 0.
    let mut server = Server::new();
    let _users = healthy(&mut server);
    std::fs::write(&out, format!("{ANSWERED_A}\n{TRANSPORT_C}\n")).unwrap();
    std::fs::write(&input, "a\nc\n").unwrap();
    let output = run(
        against(&server).args(["audit", s(&input), "--output", s(&out), "--resume"]),
        b"",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    std::fs::remove_file(&input).unwrap();
    std::fs::remove_file(&out).unwrap();
}

#[test]
fn resume_refuses_what_is_not_its_output_in_this_format_and_leaves_it_untouched() {
    let (server, get, post) = untouchable();
    let input = write("refuse-ids.txt", b"a\n");
    let csv_header = "user_id,totp,face,sms,email,any_enabled,error_kind,status_code,api_code,message,request_id\n";
    let cases: [(&[u8], &str); 5] = [
        (b"\x7fELF\x02\x01\x01\0\0\0\n\0\0\xff", "jsonl"),
        (b"alice\nbob", "jsonl"),
        (csv_header.as_bytes(), "jsonl"),
        (format!("{ANSWERED_A}\n").as_bytes().to_vec().leak(), "csv"),
        (b"alice\nbob\n", "csv"),
    ];
    for (bytes, format) in cases {
        let out = write("refuse-out", bytes);
        let output = run(
            against(&server).args([
                "audit",
                s(&input),
                "--format",
                format,
                "--output",
                s(&out),
                "--resume",
            ]),
            b"",
        );
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        assert!(stderr(&output).contains("untouched"), "{}", stderr(&output));
        assert_eq!(std::fs::read(&out).unwrap(), bytes, "changed as {format}");
        std::fs::remove_file(&out).unwrap();
    }
    get.assert();
    post.assert();
    std::fs::remove_file(&input).unwrap();
}

#[test]
fn resume_takes_off_only_a_row_cut_short() {
    let mut server = Server::new();
    let users = healthy(&mut server);
    let input = write("cut-ids.txt", b"a\nc\n");
    let out = write(
        "cut-out.jsonl",
        format!("{ANSWERED_A}\n{{\"userId\":\"c\",\"tot").as_bytes(),
    );
    let output = run(
        against(&server).args(["audit", s(&input), "--output", s(&out), "--resume"]),
        b"",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    users.expect(1).assert();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.starts_with(&format!(
            "{ANSWERED_A}\n{{\"userId\":\"c\",\"userIdType\":\"user_id\",\"totpStatus\""
        )),
        "{text}"
    );
    assert_eq!(text.lines().count(), 2);
    std::fs::remove_file(&input).unwrap();
    std::fs::remove_file(&out).unwrap();
}

#[test]
fn resume_on_a_pipe_a_fifo_or_a_device_is_refused_at_once() {
    let (server, _get, _post) = untouchable();
    let fifo = temp_path("resume.fifo");
    let _ = std::fs::remove_file(&fifo);
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    for output in [s(&fifo), "/dev/stdout", "/dev/null"] {
        let out = run(
            against(&server).args(["audit", "--output", output, "--resume"]),
            b"a\n",
        );
        assert_eq!(out.status.code(), Some(1), "{output}: {}", stderr(&out));
        assert!(stderr(&out).contains("regular file"), "{}", stderr(&out));
    }
    std::fs::remove_file(&fifo).unwrap();
}

#[test]
fn a_pipe_as_file_on_a_terminal_is_read_once() {
    let Ok(script) = which("script") else {
        eprintln!("no `script` here: skipped");
        return;
    };
    let fifo = temp_path("input.fifo");
    let _ = std::fs::remove_file(&fifo);
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            // Blocks until the tool opens the FIFO (bounded by the test's wait).
            let mut f = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
            f.write_all(b"alice\nbob\n").unwrap();
        })
    };
    let child = Command::new(script)
        .args([
            "-qec",
            &format!("{} --sandbox audit {}", binary().display(), fifo.display()),
            "/dev/null",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = wait_output(child, Duration::from_secs(20));
    writer.join().unwrap();
    let screen = String::from_utf8_lossy(&output.stdout);
    assert!(screen.contains("\"userId\":\"alice\""), "{screen}");
    assert!(screen.contains("2 users in"), "{screen}");
    std::fs::remove_file(&fifo).unwrap();
}

#[test]
fn a_directory_or_a_closed_stdin_is_a_setup_error() {
    let (server, get, post) = untouchable();
    let dir = std::env::temp_dir();
    let output = run(against(&server).args(["audit", s(&dir)]), b"");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("directory"), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    let program = format!("exec '{}' audit <&-", binary().display());
    let output = Command::new("sh")
        .env_clear()
        .env("GENAUTH_ACCESS_KEY_ID", KEY_ID)
        .env("GENAUTH_ACCESS_KEY_SECRET", KEY_SECRET)
        .env("GENAUTH_HOST", server.url())
        .args(["-c", &program])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("standard input is closed"),
        "{}",
        stderr(&output)
    );
    assert!(output.stdout.is_empty());
    get.assert();
    post.assert();
}

#[test]
fn csv_ids_are_written_one_to_one_and_resume_reads_them_back() {
    let mut server = Server::new();
    let users = healthy(&mut server);
    let input = write("oneone-ids.txt", b"'=x\n=x\ntab\there\n");
    let out = temp_path("oneone-out.csv");
    let _ = std::fs::remove_file(&out);
    let args = [
        "audit",
        s(&input),
        "--format",
        "csv",
        "--output",
        s(&out),
        "--resume",
    ];
    let first = run(against(&server).args(args), b"");
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let text = std::fs::read_to_string(&out).unwrap();
    let mut cells: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    cells.sort();
    assert_eq!(cells, ["''=x", "'=x", "tab\\u{9}here"], "{text}");
    let second = run(against(&server).args(args), b"");
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    users.expect(3).assert();
    std::fs::remove_file(&input).unwrap();
    std::fs::remove_file(&out).unwrap();
}

#[test]
fn server_text_in_rows_is_bounded_and_escaped_in_both_formats() {
    let mut server = Server::new();
    let _t = mock_token(&mut server, T1).create();
    let message = format!("\u{1b}]0;pwned\u{7}\r{}", "x".repeat(1 << 20));
    let body = serde_json::json!({"statusCode": 400, "apiCode": 1, "message": message,
        "requestId": format!("r\u{1b}[2J{}", "y".repeat(10_000))});
    let _u = server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(Matcher::UrlEncoded("userId".into(), "bad".into()))
        .with_body(body.to_string())
        .create();
    let odd = r#"{"statusCode":200,"data":{"totpStatus":"\u001b[31mpending"}}"#;
    let _o = server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(Matcher::UrlEncoded("userId".into(), "odd".into()))
        .with_body(odd)
        .create();
    for format in ["jsonl", "csv"] {
        let output = run(
            against(&server).args(["audit", "--format", format]),
            b"bad\nbad2\nodd\n",
        );
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(
            output.stdout.len() < 8 * 1024,
            "{format}: {} bytes",
            output.stdout.len()
        );
        let raw_controls = output
            .stdout
            .iter()
            .filter(|&&b| b < 0x20 && b != b'\n')
            .count();
        assert_eq!(
            raw_controls,
            0,
            "{format}: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            !text.contains("\\u001b") && text.contains("\\u{1b}"),
            "{format}: {text}"
        );
        assert!(text.contains("more characters"), "{text}");
    }
}

#[test]
fn duplicate_ids_are_asked_once_and_counted() {
    let mut server = Server::new();
    let users = healthy(&mut server);
    let output = run(
        against(&server).args(["audit"]),
        b"alice\nbob\nalice\n alice \nbob\n",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(lines(&output).len(), 2);
    users.expect(2).assert();
    assert!(
        stderr(&output).contains("3 duplicate ids skipped"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn ids_starting_with_hash_and_ids_with_control_characters() {
    let mut server = Server::new();
    let _t = mock_token(&mut server, T1).create();
    let hash = server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(Matcher::UrlEncoded("userId".into(), "#tag".into()))
        .with_body(SAMPLE_MFA_INFO)
        .expect(1)
        .create();
    let esc = server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(Matcher::UrlEncoded(
            "userId".into(),
            "e\u{1b}[31m\tx".into(),
        ))
        .with_body(SAMPLE_MFA_INFO)
        .expect(2)
        .create();
    let input = "#tag\ne\u{1b}[31m\tx\n";
    let output = run(
        against(&server).args(["audit", "--no-comments"]),
        input.as_bytes(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let rows = json_rows(&output);
    let mut ids: Vec<_> = rows
        .iter()
        .map(|r| r["userId"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    assert_eq!(ids, ["#tag", "e\u{1b}[31m\tx"]);
    assert!(!output.stdout.contains(&0x1b));
    let csv = run(
        against(&server).args(["audit", "--format", "csv"]),
        input.as_bytes(),
    );
    assert_eq!(csv.status.code(), Some(0), "{}", stderr(&csv));
    let text = String::from_utf8_lossy(&csv.stdout);
    assert!(text.contains("e\\u{1b}[31m\\u{9}x,"), "{text}");
    assert!(!csv.stdout.contains(&0x1b) && !csv.stdout.contains(&b'\t'));
    hash.assert();
    esc.assert();
}

#[test]
fn a_refused_key_leaves_an_existing_output_as_it_was() {
    let mut server = Server::new();
    let _t = server
        .mock("POST", "/api/v3/get-management-token")
        .with_body(r#"{"statusCode":400,"apiCode":1001,"message":"accessKeySecret is invalid"}"#)
        .create();
    let users = server.mock("GET", Matcher::Any).expect(0).create();
    let earlier = format!("{ANSWERED_A}\n");
    for (format, extra) in [("jsonl", None), ("csv", None), ("jsonl", Some("--resume"))] {
        let out = write("refused-out", earlier.as_bytes());
        let output = run(
            against(&server)
                .args(["audit", "--format", format, "--output", s(&out)])
                .args(extra),
            b"a\n",
        );
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            earlier,
            "{format} {extra:?}"
        );
        std::fs::remove_file(&out).unwrap();
    }
    users.assert();
}

/// The order of a resumed run: the earlier output is read and checked, the
/// key is refused, and the row cut short at its end is still there (it is
/// taken off only once the key is known good).
#[test]
fn a_refused_key_leaves_a_resumed_outputs_cut_row_in_place() {
    let mut server = Server::new();
    let _t = server
        .mock("POST", "/api/v3/get-management-token")
        .with_body(r#"{"statusCode":400,"apiCode":1001,"message":"accessKeySecret is invalid"}"#)
        .create();
    let users = server.mock("GET", Matcher::Any).expect(0).create();
    let earlier = format!("{ANSWERED_A}\n{{\"userId\":\"b\",\"totpSta");
    let out = write("refused-cut-out", earlier.as_bytes());
    let output = run(
        against(&server).args(["audit", "--output", s(&out), "--resume"]),
        b"a\nb\n",
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), earlier);
    users.assert();
}

#[test]
fn resume_refuses_a_file_whose_last_line_is_not_a_row_cut_short_and_leaves_it_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_in(&dir, "ids.txt", b"a\nb\n");
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
        let out = write_in(&dir, &format!("{name}.jsonl"), bytes);
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
    let header = "user_id,totp,face,sms,email,any_enabled,error_kind,status_code,api_code,message,request_id,user_id_type,effective_mfa,skip_mfa,admin\n";
    let bytes = format!(
        "{header}a,enabled,disabled,disabled,disabled,true,,,,,,user_id,true,false,\nx,y,z,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19"
    );
    let out = write_in(&dir, "foreign.csv", bytes.as_bytes());
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

#[test]
fn a_second_audit_on_the_same_output_refuses_at_once_and_the_first_is_whole() {
    let dir = tempfile::tempdir().unwrap();
    let ids: String = (0..20).map(|i| format!("user-{i}\n")).collect();
    let input = write_in(&dir, "ids.txt", ids.as_bytes());
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
    let input = write_in(&dir, "ab.txt", b"alice\n");
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
    let input = write_in(&dir, "ids.txt", b"alice\n");
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
    let input = write_in(&dir, "ids.txt", b"missing-1\n");
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
fn rows_record_the_id_type_and_resume_with_another_id_type_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_in(&dir, "ids.txt", b"alice@example.com\n");
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
    let old = write_in(
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
    let ids = write_in(&dir, "two.txt", b"alice@example.com\nbob@example.com\n");
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

#[test]
fn utf16_ids_files_are_decoded_and_utf32_or_unmarked_ones_refused_naming_the_encoding() {
    let dir = tempfile::tempdir().unwrap();
    for (name, big_endian) in [("le", false), ("be", true)] {
        let (fake, server) = alice_and_bob();
        let input = write_in(
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
        let input = write_in(&dir, name, &bytes);
        let output = run(against(&server).args(["audit", s(&input)]), b"");
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{name}: {err}");
        assert!(err.contains(encoding), "{name}: {err}");
        get.assert();
        post.assert();
        // On stdin, with an output that exists: refused before the output
        // is emptied.
        let (server, get, post) = untouchable();
        let out = write_in(&dir, "kept.jsonl", ANSWERED_A.as_bytes());
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
    let input = write_in(&dir, "ids.txt", b"alice\nbob\n");
    let alice = r#"{"userId":"alice","totpStatus":"enabled","faceMfaStatus":"disabled","smsMfaStatus":"disabled","emailMfaStatus":"disabled","anyEnabled":true}"#;
    let out = write_in(&dir, "out.jsonl", format!("\n{alice}\n\n  \n").as_bytes());
    let output = run(
        against_url(&server.url()).args(["audit", s(&input), "--output", s(&out), "--resume"]),
        b"",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(asked(&fake), [("bob".to_owned(), "user_id".to_owned())]);
    let old = write_in(&dir, "old.jsonl", format!("{alice}\n\n").as_bytes());
    let new = write_in(&dir, "new.jsonl", format!("\n{alice}\n\r\n").as_bytes());
    let output = run(tool().args(["diff", s(&old), s(&new)]), b"");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(err.contains("1 unchanged"), "{err}");
}

#[test]
fn a_csv_output_of_0_3_is_refused_and_json_lines_of_0_3_resume() {
    let dir = tempfile::tempdir().unwrap();
    let (fake, server) = alice_and_bob();
    let input = write_in(&dir, "ids.txt", b"alice\nbob\nmissing\n");
    // A CSV output of 0.3 lacks columns this run writes: the rows appended
    // would lose them (user_id_type too, so a later --resume would ask
    // their final errors again). Refused, untouched, nothing sent.
    let header = "user_id,totp,face,sms,email,any_enabled,error_kind,status_code,api_code,message,request_id\n";
    let old = format!("{header}alice,enabled,disabled,disabled,disabled,true,,,,,\n");
    let out = write_in(&dir, "old.csv", old.as_bytes());
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
    let err = stderr(&first);
    assert_eq!(first.status.code(), Some(1), "{err}");
    assert!(
        err.contains("no columns user_id_type, effective_mfa, skip_mfa, admin"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), old);
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
    // JSON Lines rows of 0.3 (no id type): the answer counts, the final
    // error is asked again, and the rows appended are whole.
    let old = concat!(
        r#"{"userId":"alice","totpStatus":"enabled","faceMfaStatus":"disabled","smsMfaStatus":"disabled","emailMfaStatus":"disabled","anyEnabled":true}"#,
        "\n",
        r#"{"userId":"missing","error":{"kind":"api","statusCode":404,"apiCode":2004,"message":"not found","requestId":null}}"#,
        "\n",
    );
    let out = write_in(&dir, "old.jsonl", old.as_bytes());
    let args = ["audit", s(&input), "--output", s(&out), "--resume"];
    let first = run(against_url(&server.url()).args(args), b"");
    assert_eq!(first.status.code(), Some(2), "{}", stderr(&first));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with(old), "{text}");
    for line in text.lines().skip(2) {
        let row: Value = serde_json::from_str(line).unwrap();
        assert_eq!(row["userIdType"], "user_id", "{row}");
        assert!(row.get("effectiveMfa").is_some(), "{row}");
    }
    let mut users: Vec<_> = asked(&fake).into_iter().map(|(id, _)| id).collect();
    users.sort();
    assert_eq!(users, ["bob", "missing"]);
    // Resumed again: every user has a final row with its id type.
    let second = run(against_url(&server.url()).args(args), b"");
    assert_eq!(second.status.code(), Some(2), "{}", stderr(&second));
    assert_eq!(asked(&fake).len(), 2, "{:?}", asked(&fake));
}

#[test]
fn a_csv_with_reordered_and_extra_columns_is_read_by_name_by_resume_and_diff() {
    let dir = tempfile::tempdir().unwrap();
    let (fake, server) = alice_and_bob();
    let input = write_in(&dir, "ids.txt", b"alice\nbob\n");
    // A spreadsheet moved the columns about and added a note of its own.
    let header = "note,request_id,message,api_code,status_code,error_kind,any_enabled,\
                  email,sms,face,totp,admin,skip_mfa,effective_mfa,user_id_type,user_id\n";
    let old = format!(
        "{header}\"seen, ok\",,,,,,true,disabled,disabled,disabled,enabled,,false,true,user_id,alice\n"
    );
    let out = write_in(&dir, "out.csv", old.as_bytes());
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
        format!("{old},,,,,,false,disabled,disabled,disabled,disabled,,false,false,user_id,bob\n")
    );
    // diff reads it by name too: against the usual column order.
    let usual = write_in(
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
    let short = write_in(
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

/// Seen: the same-file check only looked at regular files, so an output
/// that is the input pipe or FIFO was accepted. The rows were then read
/// back as ids (a FIFO as input and `--output`: 153 "users" asked in 10 s,
/// until killed), or the tool held the write end of its own input and never
/// saw its end (`printf 'a\n' | audit - --output /dev/stdin`; `audit
/// /dev/stdout | cat`): a hang, never an exit. The README promises an
/// output that is the input "the same file by device and inode, however it
/// is named" is refused (exit 1) before anything is written.
#[cfg(unix)]
#[test]
fn an_output_that_is_the_input_pipe_or_fifo_is_refused_not_fed_back() {
    let (server, get, post) = untouchable();
    let limit = Duration::from_secs(15);

    // A FIFO named as both FILE and --output.
    let fifo = mkfifo("attack-loop.fifo");
    let child = against(&server)
        .args(["audit", s(&fifo), "--output", s(&fifo)])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The tool opens the FIFO to read first; this open waits for it.
    let writer = std::thread::spawn({
        let fifo = fifo.clone();
        move || {
            if let Ok(mut w) = std::fs::OpenOptions::new().write(true).open(&fifo) {
                let _ = w.write_all(b"alice\n");
            }
        }
    });
    let out = wait_output(child, limit);
    let _ = writer.join();
    assert_eq!(out.status.code(), Some(1), "fifo: {}", stderr(&out));
    assert!(stderr(&out).contains("is the input"), "{}", stderr(&out));
    std::fs::remove_file(&fifo).unwrap();

    // stdin a pipe, --output naming it.
    for output in ["/dev/stdin", "/proc/self/fd/0"] {
        let mut child = against(&server)
            .args(["audit", "-", "--output", output])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let _ = child.stdin.take().unwrap().write_all(b"alice\n");
        let out = wait_output(child, limit);
        assert_eq!(out.status.code(), Some(1), "{output}: {}", stderr(&out));
        assert!(stderr(&out).contains("is the input"), "{}", stderr(&out));
    }

    // FILE naming stdout, a pipe: the tool would wait for itself.
    let child = against(&server)
        .args(["audit", "/dev/stdout"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_output(child, limit);
    assert_eq!(out.status.code(), Some(1), "/dev/stdout: {}", stderr(&out));
    assert!(stderr(&out).contains("is the input"), "{}", stderr(&out));

    get.assert();
    post.assert();
}

/// Seen: `audit /dev/stdin <&-` (or `< /dev/null`) audited nobody and
/// exited 0, "success", while `audit - <&-` is refused as a closed stdin
/// (exit 1, as the README's table says): the same stdin, named another way.
#[cfg(unix)]
#[test]
fn a_closed_stdin_named_as_dev_stdin_is_a_setup_error_as_dash_is() {
    let (server, get, post) = untouchable();
    for file in ["-", "/dev/stdin", "/proc/self/fd/0"] {
        let closed = format!("exec \"$0\" audit {file} <&-");
        for shell in [true, false] {
            let mut command = if shell {
                let mut sh = Command::new("sh");
                sh.arg("-c").arg(&closed).arg(binary());
                sh.env_clear()
                    .env("GENAUTH_ACCESS_KEY_ID", KEY_ID)
                    .env("GENAUTH_ACCESS_KEY_SECRET", KEY_SECRET)
                    .env("GENAUTH_HOST", server.url());
                sh
            } else {
                let mut c = against(&server);
                c.args(["audit", file]).stdin(Stdio::null());
                c
            };
            let child = command
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let out = wait_output(child, Duration::from_secs(15));
            assert_eq!(out.status.code(), Some(1), "{file}: {}", stderr(&out));
            assert!(
                stderr(&out).contains("standard input is closed"),
                "{}",
                stderr(&out)
            );
            assert!(out.stdout.is_empty());
        }
    }
    get.assert();
    post.assert();
}

/// `ulimit -f` (RLIMIT_FSIZE) smaller than the output: a write past it
/// raises SIGXFSZ, whose default action kills the process (exit 153 from
/// the shell, no message, no summary). The tool must take it as a full
/// disk: exit 1, a message, and the summary replaced with `complete:
/// false` (it is small enough to fit under the limit).
#[cfg(unix)]
#[test]
fn a_file_size_limit_ends_the_run_as_a_full_disk_does() {
    let server = HttpServer::start(|target| token_or_user(target, |_| SAMPLE_MFA_INFO.to_owned()));
    let dir = tempfile::tempdir().unwrap();
    let ids: String = (0..400).map(|i| format!("user-{i}\n")).collect();
    let input = write_in(&dir, "ids.txt", ids.as_bytes());
    let out = dir.path().join("out.jsonl");
    let summary = write_in(&dir, "summary.json", b"{\"earlier\": true}\n");
    // 16 blocks: 8 KiB (dash) or 16 KiB (bash), under the ~40 KB of rows.
    let script = format!(
        "ulimit -f 16 || exit 99; exec \"$0\" audit {} -c 4 --output {} --summary {}",
        input.display(),
        out.display(),
        summary.display()
    );
    let mut sh = Command::new("/bin/sh");
    sh.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("GENAUTH_ACCESS_KEY_ID", KEY_ID)
        .env("GENAUTH_ACCESS_KEY_SECRET", KEY_SECRET)
        .env("GENAUTH_HOST", &server.url)
        .arg("-c")
        .arg(&script)
        .arg(binary());
    let output = run(&mut sh, b"");
    assert_ne!(output.status.code(), Some(99), "ulimit -f refused here");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("File too large"),
        "{}",
        stderr(&output)
    );
    let json: Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert_eq!(json["complete"], false, "{json}");
    assert!(json["incompleteReason"].as_str().is_some(), "{json}");
    assert!(!KEY_SECRET.is_empty() && !stderr(&output).contains(KEY_SECRET));
}

/// A run killed while it wrote its summary (SIGKILL, the OOM killer, the
/// forced exit 2 s after a signal) leaves the new file beside the summary.
/// In a container the tool has the same pid every month: the next runs
/// must not trip over that leftover (`File exists`, exit 1 for ever until
/// someone finds a hidden file), but write the summary, the metrics and
/// the report as usual.
#[cfg(unix)]
#[test]
fn a_leftover_from_a_killed_run_with_the_same_pid_does_not_block_the_summary() {
    let server = HttpServer::start(|target| token_or_user(target, |_| SAMPLE_MFA_INFO.to_owned()));
    let dir = tempfile::tempdir().unwrap();
    let input = write_in(&dir, "ids.txt", b"alice\nbob\n");
    let out = dir.path().join("out.jsonl");
    let summary = write_in(&dir, "summary.json", b"{\"earlier\": true}\n");
    let metrics = write_in(&dir, "mfa.prom", b"# earlier\n");
    // The shell waits for a line, then becomes the tool (same pid).
    let script = format!(
        "read go; exec \"$0\" audit {} --output {} --summary {} --metrics {}",
        input.display(),
        out.display(),
        summary.display(),
        metrics.display()
    );
    let mut child = Command::new("/bin/sh")
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("GENAUTH_ACCESS_KEY_ID", KEY_ID)
        .env("GENAUTH_ACCESS_KEY_SECRET", KEY_SECRET)
        .env("GENAUTH_HOST", &server.url)
        .arg("-c")
        .arg(&script)
        .arg(binary())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // What the killed run with this pid left behind.
    for name in ["summary.json", "mfa.prom"] {
        write_in(&dir, &format!(".{name}.{pid}.tmp"), b"{\"torn");
    }
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let output = wait_output(child, Duration::from_secs(20));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert_eq!(json["complete"], true, "{json}");
    let prom = std::fs::read_to_string(&metrics).unwrap();
    assert!(prom.contains("genauth_mfa_users"), "{prom}");
}
