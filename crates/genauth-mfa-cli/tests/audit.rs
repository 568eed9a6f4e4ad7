//! `genauth-mfa audit` over real HTTP on 127.0.0.1: its rows (JSON Lines
//! and CSV, error rows, formulas neutralised) and summary, the batch engine
//! under it (concurrency to the last user, `--rate`, 256 workers against the
//! served fake, a thread limit), a key refused at the start or mid-run,
//! secrets the server echoes, and quiet logs.

mod support;

use cli_support::*;
use common::*;
use genauth_mfa_fake::{FakeGenAuth, Route};
use genauth_mfa_mocks::*;
use genauth_mfa_testkit::{cli_support, common};
use mockito::{Matcher, Server};
use serde_json::Value;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::*;

/// A server whose token endpoint answers once, then refuses the key; its
/// users answer until `ok_users` have, then say the token is revoked.
fn revoking_server(ok_users: usize) -> (HttpServer, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let tokens = Arc::new(AtomicUsize::new(0));
    let users = Arc::new(AtomicUsize::new(0));
    let (t, u) = (Arc::clone(&tokens), Arc::clone(&users));
    let server = HttpServer::start(move |target| {
        if target.starts_with("/api/v3/get-management-token") {
            if t.fetch_add(1, Ordering::SeqCst) == 0 {
                token_body(T1, 7200)
            } else {
                r#"{"statusCode":400,"apiCode":1001,"message":"accessKeySecret is invalid","requestId":"r-key"}"#.to_owned()
            }
        } else if let Some(policy) = pool_policy(target) {
            policy
        } else if u.fetch_add(1, Ordering::SeqCst) < ok_users {
            SAMPLE_MFA_INFO.to_owned()
        } else {
            r#"{"statusCode":401,"apiCode":2020,"message":"token revoked"}"#.to_owned()
        }
    });
    (server, tokens, users)
}

/// The lines a successful audit of 3 users prints on stderr without -v:
/// the counts and the coverage.
fn is_summary_line(line: &str) -> bool {
    line.starts_with("3 users in ")
        || line.starts_with("coverage 100.0 %: 3 of 3 users")
        || line.starts_with("pool policy: factors the pool enables: totp, sms, email, face;")
        || line.starts_with("effective coverage 100.0 %: 3 of 3 users")
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
fn audit_concurrency_holds_to_the_last_user() {
    // -c 4 over 10 ids: 4, 4 and the last 2 at once. 0.2 handed ids out
    // in batches of up to 32, and a few threads served the rest in turn.
    let gate = Arc::new(Gate::new(4, 10));
    let g = Arc::clone(&gate);
    let server = HttpServer::start(move |target| {
        token_or_user(target, |_| {
            g.pass();
            SAMPLE_MFA_INFO.to_owned()
        })
    });
    let ids: String = (0..10).map(|i| format!("user-{i}\n")).collect();
    let output = run(
        against_url(&server.url).args(["audit", "-c", "4"]),
        ids.as_bytes(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(lines(&output).len(), 10);
    assert_eq!(gate.starved.load(Ordering::SeqCst), 0, "calls waited alone");
    let connections = server.connections.load(Ordering::SeqCst);
    assert!(connections <= 5, "{connections} connections for 4 threads");
}

#[test]
fn a_key_refused_mid_run_stops_the_audit_with_one_message() {
    let (server, _tokens, users) = revoking_server(10);
    let ids: String = (0..2000).map(|i| format!("user-{i}\n")).collect();
    let output = run(
        against_url(&server.url).args(["audit", "-c", "4"]),
        ids.as_bytes(),
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    let rows = json_rows(&output);
    assert_eq!(rows.len(), 10, "{rows:?}");
    assert!(rows.iter().all(|r| r.get("error").is_none()), "{rows:?}");
    assert_eq!(
        err.matches("accessKeySecret is invalid").count(),
        1,
        "{err}"
    );
    assert!(err.contains("the management token request failed"), "{err}");
    assert!(users.load(Ordering::SeqCst) < 30);
}

#[test]
fn get_user_mfa_info_with_a_refused_key_says_so_as_audit_does() {
    let refusing = || {
        HttpServer::start(|target| {
            if target.starts_with("/api/v3/get-management-token") {
                r#"{"statusCode":400,"apiCode":1001,"message":"accessKeySecret is invalid"}"#
                    .to_owned()
            } else {
                SAMPLE_MFA_INFO.to_owned()
            }
        })
    };
    let server = refusing();
    let single = run(
        against_url(&server.url).args(["get-user-mfa-info", "alice"]),
        b"",
    );
    let audit = run(against_url(&server.url).args(["audit"]), b"alice\n");
    assert_eq!(single.status.code(), Some(1), "{}", stderr(&single));
    assert_eq!(single.status.code(), audit.status.code());
    assert_eq!(stderr(&single), stderr(&audit));
    assert!(
        stderr(&single).starts_with("genauth-mfa: the management token request failed: "),
        "{}",
        stderr(&single)
    );
    assert!(single.stdout.is_empty() && audit.stdout.is_empty());
}

#[test]
fn stderr_holds_only_the_summary_whatever_rust_log_asks_short_of_v() {
    let server = HttpServer::start(|target| token_or_user(target, |_| SAMPLE_MFA_INFO.to_owned()));
    for rust_log in [None, Some("off"), Some("warn"), Some("")] {
        let mut command = against_url(&server.url);
        if let Some(value) = rust_log {
            command.env("RUST_LOG", value);
        }
        let output = run(command.args(["audit", "-c", "2"]), b"a\nb\nc\n");
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let err = stderr(&output);
        assert!(
            err.lines().count() == 4 && err.lines().all(is_summary_line),
            "RUST_LOG={rust_log:?}: {err}"
        );
    }
}

#[test]
fn ureq_proto_never_logs_above_debug_and_no_secret_reaches_stderr() {
    let server = HttpServer::start(|target| token_or_user(target, |_| SAMPLE_MFA_INFO.to_owned()));
    for rust_log in ["trace", "ureq_proto=trace,ureq=trace"] {
        for verbose in [false, true] {
            let mut command = against_url(&server.url);
            command.env("RUST_LOG", rust_log);
            if verbose {
                command.arg("-v");
            }
            let output = run(command.args(["audit"]), b"alice\n");
            assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
            let err = stderr(&output);
            assert!(err.contains("1 users in"), "{err}");
            for line in err.lines() {
                assert!(
                    !(line.contains("TRACE") && line.contains("ureq")),
                    "RUST_LOG={rust_log}: {line}"
                );
            }
            assert!(!err.contains(KEY_SECRET), "the secret on stderr: {err}");
            assert!(!err.contains(T1), "the token on stderr: {err}");
        }
    }
    // -v shows the crate's own debug lines.
    let output = run(against_url(&server.url).args(["-v", "audit"]), b"alice\n");
    assert!(
        stderr(&output).contains("genauth_mfa"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn get_user_mfa_info_prints_what_an_audit_row_holds() {
    let server = HttpServer::start(|target| token_or_user(target, |_| SAMPLE_MFA_INFO.to_owned()));
    let single = run(
        against_url(&server.url).args(["get-user-mfa-info", "a@b", "--user-id-type", "email"]),
        b"",
    );
    assert_eq!(single.status.code(), Some(0), "{}", stderr(&single));
    let audit = run(
        against_url(&server.url).args(["audit", "--user-id-type", "email"]),
        b"a@b\n",
    );
    let single: Value = serde_json::from_str(&lines(&single)[0]).unwrap();
    let mut row: Value = serde_json::from_str(&lines(&audit)[0]).unwrap();
    // The pool's verdicts are the audit's own, and unknown for ids that
    // are not user_ids.
    for key in ["effectiveMfa", "skipMfa", "admin"] {
        assert_eq!(
            row.as_object_mut().unwrap().remove(key),
            Some(Value::Null),
            "{key}"
        );
    }
    assert_eq!(single, row);
    assert_eq!(single["userId"], "a@b");
    assert_eq!(single["anyEnabled"], true);
}

/// The tool's audit with 256 workers, each on a kept-alive connection,
/// against a served fake: every user answered, once.
#[test]
fn the_tools_audit_with_256_workers_is_served_whole() {
    use std::process::{Command, Stdio};

    let fake = FakeGenAuth::demo().record_requests(false);
    let server = fake.serve().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_genauth-mfa"))
        .env_clear()
        .env("GENAUTH_HOST", server.url())
        .env("GENAUTH_ACCESS_KEY_ID", FakeGenAuth::DEMO_ACCESS_KEY_ID)
        .env(
            "GENAUTH_ACCESS_KEY_SECRET",
            FakeGenAuth::DEMO_ACCESS_KEY_SECRET,
        )
        .args(["audit", "--concurrency", "256"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let ids: String = (0..2_000).map(|i| format!("user-{i:06}\n")).collect();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(ids.as_bytes()));
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut out = String::new();
            let _ = pipe.read_to_string(&mut out);
            out
        })
    };
    let stdout = read(Box::new(child.stdout.take().unwrap()));
    let stderr = read(Box::new(child.stderr.take().unwrap()));
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the audit did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    writer.join().unwrap().unwrap();
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    assert!(status.success(), "{status}: {stderr}");
    assert_eq!(stdout.lines().count(), 2_000, "{stderr}");
    assert!(!stdout.contains("\"error\""), "{stderr}");
    assert_eq!(fake.count(Route::GetUserMfaInfo), 2_000);
    assert_eq!(fake.count(Route::Token), 1);
}

/// Seen: a server that repeats the request in its refusal (a private
/// deployment's debug message, a WAF page: `bad key:
/// {"accessKeyId":..,"accessKeySecret":"sk-..."}`) put the access key
/// secret on stderr, for `audit` and `get-user-mfa-info` alike, and a user
/// call's error echoing it put it in a row. The standard: secrets never
/// appear in output, whatever the server says.
#[cfg(unix)]
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
#[cfg(unix)]
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

/// Seen: with the secret echoed after a long message, the library's bound
/// (300 characters, then "… (N more characters)") cut it before the tool
/// could hide it: `GenAuth API error: aaaa…aaaask-TO… (12 more
/// characters)` showed the secret's first characters on stderr, more of
/// them the closer the cut falls to its end.
#[cfg(unix)]
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
