//! A hostile tester's findings about the `genauth-mfa` tool: each test is
//! one behaviour that was seen to break the standards (DEVELOPERS.md, the
//! README's "Command-line tool"), run against the built binary and servers
//! on 127.0.0.1 that the test starts itself. Unix only: FIFOs, signals,
//! `kill`, `mkfifo`, `setpriv`.
#![cfg(unix)]

use genauth_mfa_mocks::*;
use genauth_mfa_testkit::cli_support;
use genauth_mfa_testkit::common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use cli_support::*;
use common::*;
use mockito::{Matcher, Server};

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

/// Seen: the same-file check only looked at regular files, so an output
/// that is the input pipe or FIFO was accepted. The rows were then read
/// back as ids (a FIFO as input and `--output`: 153 "users" asked in 10 s,
/// until killed), or the tool held the write end of its own input and never
/// saw its end (`printf 'a\n' | audit - --output /dev/stdin`; `audit
/// /dev/stdout | cat`): a hang, never an exit. The README promises an
/// output that is the input "the same file by device and inode, however it
/// is named" is refused (exit 1) before anything is written.
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

/// Seen: a server that repeats the request in its refusal (a private
/// deployment's debug message, a WAF page: `bad key:
/// {"accessKeyId":..,"accessKeySecret":"sk-..."}`) put the access key
/// secret on stderr, for `audit` and `get-user-mfa-info` alike, and a user
/// call's error echoing it put it in a row. The standard: secrets never
/// appear in output, whatever the server says.
#[test]
fn an_access_key_secret_echoed_by_the_server_never_reaches_stderr_or_rows() {
    // The token request refused, the secret in the message and request id.
    let refusing = HttpServer::start(|_target| {
        format!(
            r#"{{"statusCode":403,"apiCode":2020,"message":"bad key: {{\"accessKeyId\":\"{KEY_ID}\",\"accessKeySecret\":\"{KEY_SECRET}\"}}","requestId":"{KEY_SECRET}"}}"#
        )
    });
    for args in [
        &["audit", "-"][..],
        &["get-user-mfa-info", "alice"][..],
        &["audit", "-", "--format", "csv"][..],
    ] {
        let out = run(against_url(&refusing.url).args(args), b"alice\n");
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        assert!(
            !all.contains(KEY_SECRET),
            "{args:?} printed the secret: {all}"
        );
    }

    // The token is fine; every user call's error echoes the secret.
    let echoing = HttpServer::start(|target| {
        token_or_user(target, |_| {
            format!(
                r#"{{"statusCode":403,"apiCode":2003,"message":"forbidden for key {KEY_SECRET}","requestId":"r-{KEY_SECRET}"}}"#
            )
        })
    });
    for format in ["jsonl", "csv"] {
        let out = run(
            against_url(&echoing.url).args(["audit", "-", "--format", format]),
            b"alice\nbob\n",
        );
        assert_eq!(out.status.code(), Some(2), "{format}: {}", stderr(&out));
        let rows = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(
            rows.lines().filter(|l| l.contains("forbidden")).count(),
            2,
            "{rows}"
        );
        assert!(
            !rows.contains(KEY_SECRET),
            "{format} rows hold the secret: {rows}"
        );
        assert!(!stderr(&out).contains(KEY_SECRET), "{}", stderr(&out));
    }
    let out = run(
        against_url(&echoing.url).args(["get-user-mfa-info", "alice"]),
        b"",
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!stderr(&out).contains(KEY_SECRET), "{}", stderr(&out));
}

/// Seen: `GENAUTH_ACCESS_KEY_SECRET` set to bytes that are not UTF-8 was
/// reported as "GENAUTH_ACCESS_KEY_SECRET not set: set ..." (the tool's
/// own check read it with `env::var` and took any error for "unset"), so
/// an operator looks for a missing variable that is there. The library
/// says what is wrong ("is not valid UTF-8"); the tool should too.
#[test]
fn a_credential_variable_that_is_not_utf8_is_named_as_such_not_as_unset() {
    use std::os::unix::ffi::OsStrExt;
    let (server, get, post) = untouchable();
    let bad = std::ffi::OsStr::from_bytes(b"sk-\xff\xfe");
    for (var, args) in [
        ("GENAUTH_ACCESS_KEY_SECRET", &["audit", "-"][..]),
        ("GENAUTH_ACCESS_KEY_ID", &["get-user-mfa-info", "alice"][..]),
    ] {
        let out = run(against(&server).env(var, bad).args(args), b"alice\n");
        assert_eq!(out.status.code(), Some(1), "{var}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(!err.contains("not set"), "{var}: {err}");
        assert!(err.contains(var) && err.contains("UTF-8"), "{var}: {err}");
        assert!(out.stdout.is_empty());
    }
    let out = run(
        tool()
            .env("GENAUTH_APP_ID", "app")
            .env("GENAUTH_APP_HOST", server.url())
            .env("GENAUTH_ACCESS_TOKEN", bad)
            .args(["list-enrolled-factors"]),
        b"",
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!stderr(&out).contains("not set"), "{}", stderr(&out));
    assert!(stderr(&out).contains("UTF-8"), "{}", stderr(&out));
    get.assert();
    post.assert();
}

/// Seen: `get-factor` and `list-enrolled-factors` print the server's text
/// as JSON, and JSON escapes only U+0000 to U+001F: a factor whose profile
/// held U+202E (right-to-left override), U+2028 (line separator), U+009B
/// (the 8-bit CSI) or DEL went to the terminal as it was, reordering or
/// breaking the line shown (`script`: 20,002 raw U+202E for one factor).
/// Server text is escaped wherever it is printed; `\u202e` is the same
/// JSON value, so nothing of the answer is lost.
#[test]
fn server_text_in_json_results_reaches_the_terminal_escaped_and_unchanged() {
    let hostile = "f\u{202e}txt.exe\u{2028}\u{9b}31m\u{7f}\u{200f}";
    let factor = serde_json::json!({
        "factorId": hostile, "factorType": "SMS",
        "profile": {"phoneNumber": hostile, "note": hostile}
    });
    let body = serde_json::json!({"statusCode": 200, "data": factor}).to_string();
    let list = serde_json::json!({"statusCode": 200, "data": [factor]}).to_string();
    let server = HttpServer::start(move |target| {
        if target.starts_with("/api/v3/list-enrolled-factors") {
            list.clone()
        } else {
            body.clone()
        }
    });
    for (args, expected) in [
        (&["get-factor", "f1"][..], factor.clone()),
        (&["list-enrolled-factors"][..], serde_json::json!([factor])),
    ] {
        let out = run(
            tool()
                .env("GENAUTH_APP_ID", "app-1")
                .env("GENAUTH_APP_HOST", &server.url)
                .env("GENAUTH_ACCESS_TOKEN", ACCESS_TOKEN)
                .args(args),
            b"",
        );
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let text = String::from_utf8(out.stdout.clone()).unwrap();
        for c in ['\u{202e}', '\u{2028}', '\u{9b}', '\u{7f}', '\u{200f}'] {
            assert!(!text.contains(c), "{args:?}: raw {c:?} in {text:?}");
        }
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        // The same value as the server's, field for field.
        let (have, want) = match (value.as_array(), expected.as_array()) {
            (Some(have), Some(want)) => (have[0].clone(), want[0].clone()),
            _ => (value.clone(), expected.clone()),
        };
        for key in ["factorId", "factorType"] {
            assert_eq!(have[key], want[key], "{args:?} {key}");
        }
        assert_eq!(have["profile"]["phoneNumber"], hostile, "{args:?}");
    }
}

/// Seen: under a limit on processes (`ulimit -u 12` for an unprivileged
/// user; a container's `pids.max` is the same), `audit -c 16` panicked in
/// the batch engine's `std::thread::spawn` and ended with "internal error
/// (a bug in genauth-mfa; please report it)". The engine now starts its
/// threads with `Builder::spawn`, as the input needs them, and at a refusal
/// goes on with half of them; but ureq 3.5 starts a thread for every call
/// (to resolve the host under a timeout), and under a limit the calls are
/// refused it too, whatever the engine does: users fail. What must hold at
/// any limit: no crash, no "a bug", a documented exit code, every user
/// accounted for (a row, once), and the cause said (rows or message).
///
/// Runs the tool as a user id of its own (no other process counts against
/// its RLIMIT_NPROC) against a server in this process (not under the
/// limit); needs root for that, and says so when skipped.
#[test]
fn under_a_thread_limit_the_audit_accounts_for_every_user_and_says_why_not_a_panic() {
    let id = Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&id.stdout).trim() != "0" {
        eprintln!("skipped: needs root to run the tool as another user under ulimit -u");
        return;
    }
    let server = HttpServer::start(|target| token_or_user(target, |_| SAMPLE_MFA_INFO.to_owned()));
    let dir = tempfile::tempdir().unwrap();
    let ids = dir.path().join("ids.txt");
    let users = 100;
    std::fs::write(
        &ids,
        (0..users).map(|i| format!("u{i}\n")).collect::<String>(),
    )
    .unwrap();
    Command::new("chmod")
        .args(["-R", "a+rwx", s(dir.path())])
        .status()
        .unwrap();
    // A user id nobody else uses, different for each run of this test.
    let uid = 400_000 + std::process::id() % 100_000;
    // 1: not even the token's call gets its thread. 3: the token's call
    // does, the engine's threads do not. 4 and up: the engine starts some
    // and the calls compete for the rest.
    for limit in [1, 3, 4, 6, 8, 12, 16, 24] {
        let out_file = dir.path().join(format!("out-{limit}.jsonl"));
        let script = format!(
            "ulimit -u {limit}; exec {} audit {} -c 16 -o {}",
            binary().display(),
            ids.display(),
            out_file.display()
        );
        let child = Command::new("setpriv")
            .args([
                &format!("--reuid={uid}"),
                &format!("--regid={uid}"),
                "--clear-groups",
                "bash",
                "-c",
            ])
            .arg(&script)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("GENAUTH_ACCESS_KEY_ID", KEY_ID)
            .env("GENAUTH_ACCESS_KEY_SECRET", KEY_SECRET)
            .env("GENAUTH_HOST", &server.url)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = wait_output(child, Duration::from_secs(60));
        let err = stderr(&out);
        let code = out.status.code();
        assert!(!err.contains("internal error"), "ulimit -u {limit}: {err}");
        assert!(!err.contains("a bug"), "ulimit -u {limit}: {err}");
        let rows = std::fs::read_to_string(&out_file).unwrap_or_default();
        match code {
            // A setup error: no user asked, and the message names the cause.
            Some(1) => {
                assert!(err.contains("thread"), "ulimit -u {limit}: {err}");
                assert_eq!(rows.lines().count(), 0, "ulimit -u {limit}: {rows}");
            }
            // Every user once: answered, or failed with the cause in its row.
            Some(0 | 2) => {
                let mut seen: Vec<String> = Vec::new();
                for line in rows.lines() {
                    let row: serde_json::Value = serde_json::from_str(line).unwrap();
                    seen.push(row["userId"].as_str().unwrap().to_owned());
                    if let Some(message) = row["error"]["message"].as_str() {
                        assert!(message.contains("thread"), "ulimit -u {limit}: {line}");
                    }
                }
                seen.sort();
                seen.dedup();
                assert_eq!(seen.len(), users, "ulimit -u {limit}: {rows}");
                assert_eq!(rows.lines().count(), users, "ulimit -u {limit}");
                let failed = rows.lines().filter(|l| l.contains("\"error\"")).count();
                assert_eq!(code == Some(2), failed > 0, "ulimit -u {limit}: {err}");
            }
            other => panic!("ulimit -u {limit}: exit {other:?}: {err}"),
        }
        if limit == 3 {
            // The engine's own refusal: what happened and what to do.
            assert_eq!(code, Some(1), "{err}");
            assert!(err.contains("could not start a thread"), "{err}");
            assert!(err.contains("fewer threads"), "{err}");
        }
    }
}

/// Seen: with stdout a pipe nobody reads (a paused pager, a stuck
/// consumer), the tool blocks writing a row; one SIGTERM (what `timeout`
/// and a container's stop send) then changed nothing: still running 5 s
/// later, and for as long as the pipe stays full, until a second signal or
/// SIGKILL. The README: the first signal lets the calls in flight finish
/// "for at most 0.75 s", prints the summary and exits 130; never hang.
#[test]
fn one_sigterm_ends_a_run_blocked_on_a_pipe_nobody_reads() {
    let ids: String = (0..5000).map(|i| format!("user-{i:06}\n")).collect();
    let input = temp_path("stuck-ids.txt");
    std::fs::write(&input, ids).unwrap();
    let child = tool()
        .args(["--sandbox", "audit", s(&input)])
        .stdin(Stdio::null())
        .stdout(Stdio::piped()) // never read until the tool exits
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // 5000 rows are far more than a pipe holds: the tool is blocked by then.
    std::thread::sleep(Duration::from_secs(3));
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = wait_output(child, Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(130));
    std::fs::remove_file(&input).unwrap();
}

/// Seen: `get-user-mfa-info ''`, `get-user-mfa-info '   '` and `get-factor
/// ''` ("invalid argument `user_id`: must not be empty"), and an id too
/// long for a URL ("invalid argument `url`: uri too long"), exited 2, "a
/// call failed", though no call was made: the README's table makes an
/// argument a setup error (1), as clap's own refusals are.
#[test]
fn an_argument_the_library_refuses_is_a_setup_error_not_a_failed_call() {
    let mut server = Server::new();
    let _token = mock_token(&mut server, T1).create();
    let get = server.mock("GET", Matcher::Any).expect(0).create();
    let long = "x".repeat(100_000);
    for args in [
        vec!["get-user-mfa-info", ""],
        vec!["get-user-mfa-info", "   "],
        vec!["get-user-mfa-info", &long],
    ] {
        let out = run(against(&server).args(&args), b"");
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("invalid argument"),
            "{}",
            stderr(&out)
        );
        assert!(out.stdout.is_empty());
    }
    let out = run(
        tool()
            .env("GENAUTH_APP_ID", "app-1")
            .env("GENAUTH_APP_HOST", server.url())
            .env("GENAUTH_ACCESS_TOKEN", ACCESS_TOKEN)
            .args(["get-factor", ""]),
        b"",
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    get.assert();
}

/// Seen: `audit /dev/stdin <&-` (or `< /dev/null`) audited nobody and
/// exited 0, "success", while `audit - <&-` is refused as a closed stdin
/// (exit 1, as the README's table says): the same stdin, named another way.
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

/// Seen: with the secret echoed after a long message, the library's bound
/// (300 characters, then "… (N more characters)") cut it before the tool
/// could hide it: `GenAuth API error: aaaa…aaaask-TO… (12 more
/// characters)` showed the secret's first characters on stderr, more of
/// them the closer the cut falls to its end.
#[test]
fn an_echoed_secret_cut_by_the_message_bound_shows_none_of_its_characters() {
    for pad in 280..300 {
        let server = HttpServer::start(move |_target| {
            let message = format!("{}{KEY_SECRET}", "a".repeat(pad));
            serde_json::json!({"statusCode": 403, "message": message, "requestId": "r"}).to_string()
        });
        let out = run(
            against_url(&server.url).args(["get-user-mfa-info", "alice"]),
            b"",
        );
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let err = stderr(&out);
        // The two shortest prefixes ("s", "sk") could be anyone's text.
        for k in 3..KEY_SECRET.len() {
            let start = format!("{}…", &KEY_SECRET[..k]);
            assert!(!err.contains(&start), "pad {pad}: {err}");
        }
        assert!(!err.contains(KEY_SECRET), "pad {pad}: {err}");
    }
}

/// Seen: `audit ids.txt -v 2>>ids.txt` (the log sent to the file of ids)
/// read its own log lines back as ids, each with a new request id, so each
/// asked user logged the next one: 52,463 rows from 3,000 ids in 30 s, the
/// file growing without end, until killed. Without `-v` the `--sandbox`
/// line and the summary still land in the input. stderr that is the input
/// is refused as stdout is, before any user is asked.
#[test]
fn a_stderr_appended_to_the_input_is_refused_not_read_back() {
    let input = temp_path("stderr-ids.txt");
    let ids: String = (0..3000).map(|i| format!("user-{i:06}\n")).collect();
    std::fs::write(&input, &ids).unwrap();
    let output = temp_path("stderr-out.jsonl");
    let script = format!(
        "exec \"$0\" -v --sandbox audit '{}' --output '{}' 2>>'{}'",
        input.display(),
        output.display(),
        input.display()
    );
    let child = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .arg(binary())
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = wait_output(child, Duration::from_secs(20));
    let after = std::fs::read_to_string(&input).unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", &after[ids.len()..]);
    assert!(after.starts_with(&ids));
    let added = &after[ids.len()..];
    assert!(added.lines().count() <= 3, "{added}");
    assert!(added.contains("is the input"), "{added}");
    let _ = std::fs::remove_file(&input);
    let _ = std::fs::remove_file(&output);
}
