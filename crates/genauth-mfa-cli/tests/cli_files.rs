//! `genauth-mfa audit` and the user's files: an output that is the input,
//! `--resume` (what counts as done, what it refuses, non-regular files),
//! odd inputs (a pipe, a directory, a closed stdin), duplicate ids, ids
//! that start with `#` or hold control characters, CSV one-to-one, and
//! server text in rows. Against mockito servers on 127.0.0.1.

use genauth_mfa_mocks::*;
use genauth_mfa_testkit::cli_support;
use genauth_mfa_testkit::common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use cli_support::*;
use common::*;
use mockito::{Matcher, Server};
use serde_json::Value;

/// A mockito server that must see no request at all.
fn untouchable() -> (mockito::ServerGuard, mockito::Mock, mockito::Mock) {
    let mut server = Server::new();
    let get = server.mock("GET", Matcher::Any).expect(0).create();
    let post = server.mock("POST", Matcher::Any).expect(0).create();
    (server, get, post)
}

fn write(name: &str, bytes: &[u8]) -> TempPath {
    let path = temp_path(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
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

/// Answers `userId=a..d` with statuses, counting who was asked.
fn healthy(server: &mut Server) -> mockito::Mock {
    let _ = mock_token(server, T1).create();
    server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(Matcher::Any)
        .with_body(SAMPLE_MFA_INFO)
        .create()
}

const ANSWERED_A: &str = r#"{"userId":"a","totpStatus":"enabled","faceMfaStatus":"disabled","smsMfaStatus":"disabled","emailMfaStatus":"disabled","anyEnabled":true}"#;
const NOT_FOUND_B: &str = r#"{"userId":"b","userIdType":"user_id","error":{"kind":"api","statusCode":404,"apiCode":2004,"message":"user not found","requestId":"r-1"}}"#;
const TRANSPORT_C: &str = r#"{"userId":"c","error":{"kind":"transport","statusCode":null,"apiCode":null,"message":"connection reset","requestId":null}}"#;
const THROTTLED_D: &str = r#"{"userId":"d","error":{"kind":"api","statusCode":429,"apiCode":null,"message":"slow down","requestId":null}}"#;

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

fn which(name: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/bin")])
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
        .ok_or(())
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
