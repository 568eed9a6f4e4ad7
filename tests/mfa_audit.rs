//! The `mfa_audit` example as a user runs it: a subprocess talking to a
//! local mockito server, checked on its input parsing, both output formats,
//! error rows and exit codes.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use common::*;
use mockito::{Matcher, Mock, Server};
use serde_json::Value;

/// The example, built (or found up to date) once per test run, so a lone
/// `cargo test --test mfa_audit` never runs a stale binary.
fn binary() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let mut build = Command::new(env!("CARGO"));
            build.args(["build", "--quiet", "--example", "mfa_audit"]);
            // Cargo sets these for the test process; a build script (ring's)
            // tracks CARGO_MANIFEST_DIR, so inheriting them would force a rebuild.
            for (key, _) in std::env::vars_os() {
                let key = key.to_string_lossy();
                if key.starts_with("CARGO_PKG_")
                    || key.starts_with("CARGO_MANIFEST_")
                    || key == "CARGO_CRATE_NAME"
                {
                    build.env_remove(&*key);
                }
            }
            if !cfg!(debug_assertions) {
                build.arg("--release");
            }
            assert!(
                build.status().unwrap().success(),
                "cargo build --example mfa_audit failed"
            );
            let profile_dir = std::env::current_exe()
                .unwrap()
                .parent()
                .unwrap()
                .parent()
                .unwrap()
                .to_path_buf();
            profile_dir
                .join("examples")
                .join(format!("mfa_audit{}", std::env::consts::EXE_SUFFIX))
        })
        .clone()
}

/// Runs the audit with `args`, `stdin` as its input, against `server`.
fn audit(server: &Server, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(binary())
        .args(args)
        .env_clear()
        .env("GENAUTH_ACCESS_KEY_ID", KEY_ID)
        .env("GENAUTH_ACCESS_KEY_SECRET", KEY_SECRET)
        .env("GENAUTH_HOST", server.url())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A child that refuses its arguments exits before reading: ignore a broken pipe.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn stdout_lines(output: &Output) -> Vec<String> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Answers every user with statuses, except `missing-*` ids: 404.
fn mock_users(server: &mut Server) -> (Mock, Mock) {
    let token = mock_token(server, T1).expect(1).create();
    let users = server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(Matcher::Any)
        .with_body_from_request(|req| {
            let q = req.path_and_query();
            let body = if q.contains("userId=missing") {
                r#"{"statusCode":404,"apiCode":2004,"message":"user, not \"found\"","requestId":"r-404"}"#
            } else if q.contains("userId=nomfa") {
                r#"{"statusCode":200,"data":{"totpStatus":false,"faceMfaStatus":false,"smsMfaStatus":"disabled","emailMfaStatus":"disabled"}}"#
            } else {
                r#"{"statusCode":200,"data":{"totpStatus":true,"faceMfaStatus":false,"smsMfaStatus":"enabled","emailMfaStatus":"disabled"}}"#
            };
            body.as_bytes().to_vec()
        })
        .create();
    (token, users)
}

#[test]
fn jsonl_rows_for_every_user_skipping_blanks_and_comments() {
    let mut server = Server::new();
    let (token, _users) = mock_users(&mut server);
    let input = "# users to audit\nalice@example.com\n\n   \n  bob@example.com  \n# done\nnomfa@example.com\n";
    let output = audit(&server, &["--concurrency", "3"], input);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    token.assert(); // one token for the whole run, over 3 threads

    let mut rows: Vec<Value> = stdout_lines(&output)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    rows.sort_by_key(|r| r["userId"].as_str().unwrap().to_owned());
    let ids: Vec<_> = rows.iter().map(|r| r["userId"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["alice@example.com", "bob@example.com", "nomfa@example.com"]
    );
    assert_eq!(rows[0]["totpStatus"], "enabled");
    assert_eq!(rows[0]["smsMfaStatus"], "enabled");
    assert_eq!(rows[0]["faceMfaStatus"], "disabled");
    assert_eq!(rows[0]["anyEnabled"], true);
    assert_eq!(rows[2]["anyEnabled"], false);

    let err = stderr(&output);
    assert!(err.contains("3 users"), "{err}");
    assert!(err.contains("1 with no MFA factor"), "{err}");
    assert!(err.contains("0 failed"), "{err}");
}

#[test]
fn failed_users_become_error_rows_and_exit_2() {
    let mut server = Server::new();
    let (_token, _users) = mock_users(&mut server);
    let output = audit(&server, &[], "missing-1\nalice\nmissing-2\n");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let rows: Vec<Value> = stdout_lines(&output)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3, "a failed user does not stop the run");
    let failed: Vec<_> = rows.iter().filter(|r| r.get("error").is_some()).collect();
    assert_eq!(failed.len(), 2);
    for row in failed {
        assert_eq!(row["error"]["kind"], "api");
        assert_eq!(row["error"]["apiCode"], 2004);
        assert_eq!(row["error"]["message"], "user, not \"found\"");
        assert_eq!(row["error"]["requestId"], "r-404");
    }
    let err = stderr(&output);
    assert!(
        err.contains("2 failed") && err.contains("errors of kind api: 2"),
        "{err}"
    );
}

#[test]
fn csv_output_has_a_header_and_quotes_fields() {
    let mut server = Server::new();
    let (_token, _users) = mock_users(&mut server);
    let output = audit(
        &server,
        &["--format", "csv", "--concurrency", "1"],
        "a,b\nmissing-x\n",
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let lines = stdout_lines(&output);
    assert_eq!(
        lines[0],
        "user_id,totp,face,sms,email,error_kind,api_code,message"
    );
    assert_eq!(lines[1], "\"a,b\",enabled,disabled,enabled,disabled,,,");
    assert_eq!(
        lines[2],
        "missing-x,,,,,api,2004,\"user, not \"\"found\"\"\""
    );
    assert_eq!(lines.len(), 3);
}

#[test]
fn the_user_id_type_goes_on_every_request_and_ids_come_from_a_file() {
    let mut server = Server::new();
    let _token = mock_token(&mut server, T1).create();
    let calls = server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(Matcher::AllOf(vec![
            Matcher::UrlEncoded("userIdType".into(), "phone".into()),
            Matcher::Regex("^userId=%2B86%20188xxxx888[0-9]&userIdType=phone$".into()),
        ]))
        .with_body(SAMPLE_MFA_INFO)
        .expect(2)
        .create();
    let file = std::env::temp_dir().join(format!("mfa-audit-ids-{}.txt", std::process::id()));
    std::fs::write(&file, "+86 188xxxx8881\r\n+86 188xxxx8882\r\n").unwrap();
    let output = audit(
        &server,
        &[file.to_str().unwrap(), "--user-id-type", "phone"],
        "",
    );
    std::fs::remove_file(&file).unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    calls.assert();
    assert_eq!(stdout_lines(&output).len(), 2);
}

#[test]
fn setup_errors_exit_1_before_any_request() {
    let mut server = Server::new();
    let any_get = server.mock("GET", Matcher::Any).expect(0).create();
    let any_post = server.mock("POST", Matcher::Any).expect(0).create();
    for args in [
        &["--concurrency", "0"][..],
        &["--format", "xml"],
        &["--user-id-type", "uid"],
        &["--bogus"],
        &["/nonexistent/ids.txt"],
        &["a.txt", "b.txt"],
    ] {
        let output = audit(&server, args, "alice\n");
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert_eq!(
            stderr(&output).lines().count(),
            1,
            "{args:?}: {}",
            stderr(&output)
        );
    }
    // An incomplete configuration is a setup error too.
    let output = Command::new(binary())
        .env_clear()
        .env("GENAUTH_ACCESS_KEY_ID", KEY_ID)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("GENAUTH_ACCESS_KEY_SECRET"),
        "{}",
        stderr(&output)
    );
    any_get.assert();
    any_post.assert();
}

#[test]
fn an_empty_input_is_an_empty_successful_run() {
    let mut server = Server::new();
    let (token, _users) = mock_users(&mut server);
    let output = audit(&server, &[], "\n# nothing\n");
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stdout.is_empty());
    assert!(stderr(&output).contains("0 users"));
    // No user, no call: the token is fetched lazily.
    assert!(!token.matched());
}
