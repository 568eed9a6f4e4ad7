//! The `genauth-mfa` tool as an operator runs it: the built binary against
//! local mockito servers (or its --sandbox), checked on its arguments, its
//! input and output, its failures and its exit codes.

use genauth_mfa_mocks::*;
use genauth_mfa_testkit::cli_support;
use genauth_mfa_testkit::common;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cli_support::*;
use common::*;
use mockito::{Matcher, Server};
use serde_json::Value;

#[test]
fn help_version_and_argument_forms() {
    for args in [&["--help"][..], &["audit", "--help"], &["--version"]] {
        let output = run(tool().args(args), b"");
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(!output.stdout.is_empty(), "{args:?}");
    }
    let mut server = Server::new();
    let (_t, _u) = mock_users(&mut server);
    for args in [
        &["audit", "--concurrency=8"][..],
        &["audit", "-c", "8"],
        &["audit", "-", "-c2"],
    ] {
        let output = run(against(&server).args(args), b"alice\n");
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            stderr(&output)
        );
        assert_eq!(lines(&output).len(), 1, "{args:?}");
    }
}

#[test]
fn bad_arguments_and_missing_credentials_are_setup_errors_with_nothing_on_stdout() {
    let mut server = Server::new();
    let any = server.mock("GET", Matcher::Any).expect(0).create();
    let any_post = server.mock("POST", Matcher::Any).expect(0).create();
    for args in [
        &["audit", "--concurrency", "0"][..],
        &["audit", "--format", "xml"],
        &["audit", "--user-id-type", "uid"],
        &["audit", "--bogus"],
        &["audit", "--resume"],
        &["audit", "/nonexistent/ids.txt"],
        &["nonsense"],
    ] {
        let output = run(against(&server).args(args), b"alice\n");
        assert_eq!(
            output.status.code(),
            Some(1),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(output.stdout.is_empty(), "{args:?}");
    }
    // No credentials, or a misspelled variable: no fake rows, exit 1.
    let output = run(
        tool()
            .env("AUTHING_ACCESS_KEY_ID", KEY_ID)
            .env("GENAUTH_ACCESS_KEY_SECRET", KEY_SECRET)
            .args(["audit"]),
        b"alice@example.com\n",
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let err = stderr(&output);
    assert!(err.contains("GENAUTH_ACCESS_KEY_ID"), "{err}");
    assert!(err.contains("AUTHING_ACCESS_KEY_ID is set"), "{err}");
    // A typo in a variable's name is pointed at, not only "not set".
    let output = run(
        tool()
            .env("GENAUTH_ACCES_KEY_ID", KEY_ID)
            .env("GENAUTH_ACCESS_KEY_SECRET", KEY_SECRET)
            .args(["audit"]),
        b"alice@example.com\n",
    );
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("GENAUTH_ACCES_KEY_ID is set, but this tool reads no such variable"),
        "{err}"
    );
    // With the credentials found, a misspelled GENAUTH_HOST would send the
    // run to the public service without a word: one warning line says so.
    let mut server = Server::new();
    let (_t, _u) = mock_users(&mut server);
    let output = run(
        against(&server)
            .env("GENAUTH_HOTS", "https://genauth.internal.example")
            .args(["audit"]),
        b"alice\n",
    );
    let err = stderr(&output);
    assert!(
        err.contains("warning: GENAUTH_HOTS is set, but no such variable is read"),
        "{err}"
    );
    let output = run(tool().args(["get-factor", "f"]), b"");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("GENAUTH_ACCESS_TOKEN"),
        "{}",
        stderr(&output)
    );
    any.assert();
    any_post.assert();
}

#[test]
fn the_sandbox_is_chosen_only_by_flag_and_announced() {
    let output = run(
        tool().args(["--sandbox", "get-user-mfa-info", "bob@example.com"]),
        b"",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("--sandbox"), "{}", stderr(&output));
    // Not a terminal: compact JSON, one line.
    let out = lines(&output);
    assert_eq!(out.len(), 1);
    let info: Value = serde_json::from_str(&out[0]).unwrap();
    assert!(info.get("smsMfaStatus").is_some(), "{info}");
    let output = run(tool().args(["--sandbox", "list-enrolled-factors"]), b"");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let factors: Value = serde_json::from_str(&lines(&output)[0]).unwrap();
    assert_eq!(factors.as_array().unwrap().len(), 3);
    let output = run(tool().args(["--sandbox", "get-factor", "nope"]), b"");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stderr(&output).lines().count(), 2, "{}", stderr(&output));
}

#[test]
fn jsonl_rows_error_rows_and_the_summary() {
    let mut server = Server::new();
    let (token, _u) = mock_users(&mut server);
    let input =
        b"# users\nalice@example.com\n\n  bob@example.com  \nnomfa@example.com\nmissing-1\n";
    let output = run(against(&server).args(["audit", "-c", "3"]), input);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    token.assert();
    let mut rows = json_rows(&output);
    assert_eq!(rows.len(), 4);
    rows.sort_by_key(|r| r["userId"].as_str().unwrap().to_owned());
    assert_eq!(rows[0]["userId"], "alice@example.com");
    assert_eq!(rows[0]["anyEnabled"], true);
    assert_eq!(rows[2]["userId"], "missing-1");
    assert_eq!(rows[2]["error"]["apiCode"], 2004);
    assert_eq!(rows[2]["error"]["requestId"], "r-404");
    assert_eq!(rows[3]["anyEnabled"], false);
    let err = stderr(&output);
    assert!(
        err.contains("4 users") && err.contains("1 with no MFA factor"),
        "{err}"
    );
    assert!(err.contains("errors of kind api: 1"), "{err}");
}

#[test]
fn csv_has_any_enabled_and_neutralises_formulas() {
    let mut server = Server::new();
    let (_t, _u) = mock_users(&mut server);
    let output = run(
        against(&server).args(["audit", "--format", "csv", "-c", "1"]),
        b"=HYPERLINK(\"http://evil\",\"x\")\n@SUM(1,1)\nplain\n",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = lines(&output);
    assert_eq!(
        out[0],
        "user_id,totp,face,sms,email,any_enabled,error_kind,status_code,api_code,message,request_id,user_id_type,effective_mfa,skip_mfa,admin"
    );
    assert_eq!(
        out[1],
        "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",enabled,disabled,enabled,disabled,true,,,,,,user_id,true,,"
    );
    assert_eq!(
        out[2],
        "\"'@SUM(1,1)\",enabled,disabled,enabled,disabled,true,,,,,,user_id,true,,"
    );
    assert_eq!(
        out[3],
        "plain,enabled,disabled,enabled,disabled,true,,,,,,user_id,true,,"
    );
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
fn a_refused_access_key_stops_the_run_before_any_user() {
    let mut server = Server::new();
    let token = server
        .mock("POST", "/api/v3/get-management-token")
        .with_body(r#"{"statusCode":400,"apiCode":1001,"message":"accessKeySecret is invalid","requestId":"r-key"}"#)
        .expect_at_most(3)
        .create();
    let users = server.mock("GET", Matcher::Any).expect(0).create();
    let ids: String = (0..5000).map(|i| format!("user-{i}\n")).collect();
    let output = run(against(&server).args(["audit", "-c", "16"]), ids.as_bytes());
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    assert!(
        stderr(&output).contains("accessKeySecret is invalid"),
        "{}",
        stderr(&output)
    );
    token.assert();
    users.assert();
}

#[test]
fn a_closed_stdout_ends_the_run_quickly() {
    let file = temp_path("many.txt");
    let ids: String = (0..200_000).map(|i| format!("user-{i}\n")).collect();
    std::fs::write(&file, ids).unwrap();
    let mut child = tool()
        .args(["--sandbox", "audit", file.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    assert!(first.contains("userId"), "{first}");
    drop(reader); // `| head -1`
    // Quickly: auditing all 200,000 ids takes the sandbox close to a
    // minute, and `wait_output` kills the tool (and fails) past 10 s.
    let output = wait_output(child, Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("cannot write"),
        "{}",
        stderr(&output)
    );
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
fn rate_caps_the_requests_of_the_whole_run() {
    let mut server = Server::new();
    let _t = mock_token(&mut server, T1).create();
    let times = Arc::new(Mutex::new(Vec::<Instant>::new()));
    let log = Arc::clone(&times);
    let _u = server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(Matcher::Any)
        .with_body_from_request(move |_| {
            log.lock().unwrap().push(Instant::now());
            SAMPLE_MFA_INFO.as_bytes().to_vec()
        })
        .create();
    let ids: String = (0..24).map(|i| format!("user-{i}\n")).collect();
    let output = run(
        against(&server).args(["audit", "--rate", "10", "-c", "8"]),
        ids.as_bytes(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut times = times.lock().unwrap().clone();
    times.sort();
    assert_eq!(times.len(), 24);
    // 10 a second for the whole run (the token request took the first
    // slot): the 24 calls span at least 23 x 100 ms, where 8 threads
    // without the cap take a few ms. A lower bound: a loaded machine only
    // stretches it; the spacing is tested on a fake clock in the library.
    let span = times[23].duration_since(times[0]);
    assert!(span >= Duration::from_millis(2200), "{span:?}");
}

#[test]
fn single_calls_print_json_and_completions_are_generated() {
    let mut server = Server::new();
    let _t = mock_token(&mut server, T1).create();
    let _m = server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(Matcher::Exact("userId=a%40b&userIdType=email".into()))
        .with_body(SAMPLE_MFA_INFO)
        .create();
    let output = run(
        against(&server).args(["get-user-mfa-info", "a@b", "--user-id-type", "email"]),
        b"",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let info: Value = serde_json::from_str(&lines(&output)[0]).unwrap();
    assert_eq!(info["totpStatus"], "enabled");
    let output = run(tool().args(["completions", "bash"]), b"");
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("genauth-mfa"));
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
fn on_a_terminal_it_says_where_ids_come_from_and_shows_progress() {
    // util-linux `script` gives the tool a terminal; skip where there is none.
    let Ok(script) = which("script") else {
        eprintln!("no `script` here: skipped");
        return;
    };
    let binary = binary();
    let mut child = Command::new(script)
        .args([
            "-qec",
            &format!("{} --sandbox audit", binary.display()),
            "/dev/null",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // An id, then Ctrl-D (end of input on a terminal).
    let _ = child.stdin.take().unwrap().write_all(b"alice\n\x04");
    let output = wait_output(child, Duration::from_secs(20));
    let screen = String::from_utf8_lossy(&output.stdout);
    assert!(
        screen.contains("reading user ids from the terminal"),
        "{screen}"
    );
    assert!(screen.contains("users, "), "no progress: {screen}");
    assert!(screen.contains("\"userId\":\"alice\""), "{screen}");
    assert!(screen.contains("1 users in"), "{screen}");
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
fn the_sandbox_goes_over_real_http_to_127_0_0_1() {
    // 0.2's --sandbox called the fake in process, so what every real run
    // does (the HTTP transport, its headers, its log lines) never ran in it.
    let output = run(
        tool().env("RUST_LOG", "ureq=debug").args([
            "--sandbox",
            "get-user-mfa-info",
            "alice@example.com",
            "--user-id-type",
            "email",
        ]),
        b"",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("http://127.0.0.1:"), "{err}");
    // ureq's own log lines only come from a request on the wire.
    assert!(err.contains("ureq"), "{err}");
    // And without -v the sandbox notice is all there is on stderr.
    let quiet = run(
        tool().args(["--sandbox", "audit", "-"]),
        b"alice@example.com\nbob@example.com\n",
    );
    assert_eq!(quiet.status.code(), Some(0), "{}", stderr(&quiet));
    assert!(!stderr(&quiet).contains("ureq"), "{}", stderr(&quiet));
}
