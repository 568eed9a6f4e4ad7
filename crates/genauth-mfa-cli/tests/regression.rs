//! The tool's defects found by trying to break 0.3, each named after the
//! behaviour it pins down. Every test here failed before its fix.

use cli_support::*;
use common::*;
use genauth_mfa_mocks::*;
use genauth_mfa_testkit::{cli_support, common};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The tool under `ulimit -n LIMIT` with `-c 64`, auditing `users` ids
/// against a server whose user answers take `delay`.
#[cfg(unix)]
fn audit_under_open_files_limit(
    limit: u32,
    users: usize,
    delay: std::time::Duration,
) -> std::process::Output {
    // Slow answers, so that all threads hold a connection at once.
    let server = HttpServer::start(move |target| {
        token_or_user(target, |_| {
            std::thread::sleep(delay);
            SAMPLE_MFA_INFO.to_owned()
        })
    });
    let ids: String = (0..users).map(|i| format!("user-{i}\n")).collect();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ids.txt");
    std::fs::write(&input, ids).unwrap();
    let script = format!(
        "ulimit -n {limit}; exec {} audit {} -c 64",
        binary().display(),
        input.display()
    );
    let mut sh = std::process::Command::new("/bin/sh");
    sh.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("GENAUTH_ACCESS_KEY_ID", KEY_ID)
        .env("GENAUTH_ACCESS_KEY_SECRET", KEY_SECRET)
        .env("GENAUTH_HOST", &server.url)
        .args(["-c", &script]);
    run(&mut sh, b"")
}

/// The tool under `ulimit -v LIMIT` with `-c 16` on 2,000 ids.
#[cfg(target_os = "linux")]
fn audit_under_address_space_limit(limit: u32) -> std::process::Output {
    let server = HttpServer::start(|target| token_or_user(target, |_| SAMPLE_MFA_INFO.to_owned()));
    let dir = tempfile::tempdir().unwrap();
    let ids = dir.path().join("ids.txt");
    let list: String = (0..2000).map(|i| format!("user-{i}\n")).collect();
    std::fs::write(&ids, list).unwrap();
    let script = format!(
        "ulimit -v {limit}; exec {} audit {} -c 16 --output {}",
        binary().display(),
        ids.display(),
        dir.path().join("out.jsonl").display()
    );
    let mut sh = std::process::Command::new("/bin/sh");
    sh.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("RUST_BACKTRACE", "1")
        .env("GENAUTH_ACCESS_KEY_ID", KEY_ID)
        .env("GENAUTH_ACCESS_KEY_SECRET", KEY_SECRET)
        .env("GENAUTH_HOST", &server.url)
        .args(["-c", &script]);
    run(&mut sh, b"")
}

/// A server for `audit --all-users`: `page(n)` is the `data` of listing
/// page `n`, every user has TOTP; the MFA calls are counted.
fn pool_server(
    page: impl Fn(u64) -> String + Send + Sync + 'static,
) -> (HttpServer, Arc<AtomicUsize>) {
    let asked = Arc::new(AtomicUsize::new(0));
    let a = Arc::clone(&asked);
    let server = HttpServer::start_with_body(move |target, body| {
        if target.starts_with("/api/v3/get-management-token") {
            token_body(T1, 7200)
        } else if let Some(policy) = pool_policy(target) {
            policy
        } else if target.starts_with("/api/v3/list-users") {
            let body: serde_json::Value = serde_json::from_str(body).unwrap();
            let n = body["options"]["pagination"]["page"].as_u64().unwrap();
            format!(r#"{{"statusCode":200,"data":{}}}"#, page(n))
        } else {
            a.fetch_add(1, Ordering::SeqCst);
            r#"{"statusCode":200,"data":{"totpStatus":"enabled","faceMfaStatus":"disabled","smsMfaStatus":"disabled","emailMfaStatus":"disabled"}}"#.to_owned()
        }
    });
    (server, asked)
}

/// `{"totalCount": count, "list": [users from..to]}`.
fn page_data(count: &str, users: std::ops::Range<u64>) -> String {
    let list: Vec<String> = users
        .map(|i| {
            format!(
                r#"{{"userId":"u-{i}","status":"Activated","createdAt":"2024-01-01T00:00:00Z"}}"#
            )
        })
        .collect();
    format!(r#"{{"totalCount":{count},"list":[{}]}}"#, list.join(","))
}

/// Runs `audit --all-users --summary`: the output, the summary JSON.
fn audit_pool(server: &HttpServer) -> (std::process::Output, serde_json::Value) {
    let summary = temp_path("summary.json");
    let output = run(
        against_url(&server.url).args([
            "audit",
            "--all-users",
            "--summary",
            summary.to_str().unwrap(),
        ]),
        b"",
    );
    let json = serde_json::from_slice(&std::fs::read(&*summary).unwrap()).unwrap();
    (output, json)
}

#[test]
fn a_key_whose_fresh_token_is_refused_on_every_call_stops_the_audit_as_a_refused_key() {
    let tokens = Arc::new(AtomicUsize::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    let (t, c) = (Arc::clone(&tokens), Arc::clone(&calls));
    let server = HttpServer::start(move |target| {
        if target.starts_with("/api/v3/get-management-token") {
            t.fetch_add(1, Ordering::SeqCst);
            token_body(T1, 7200)
        } else {
            c.fetch_add(1, Ordering::SeqCst);
            r#"{"statusCode":401,"apiCode":2020,"message":"no permission","requestId":"r-401"}"#
                .to_owned()
        }
    });
    let ids: String = (0..500).map(|i| format!("user-{i}\n")).collect();
    let output = run(
        against_url(&server.url).args(["audit", "-c", "4"]),
        ids.as_bytes(),
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    // Its first call is now the read of the pool's MFA settings, before
    // any user.
    assert!(
        err.contains("the access key may not call get-global-mfa-settings"),
        "{err}"
    );
    assert_eq!(err.matches("may not call").count(), 1, "{err}");
    assert!(err.contains("no permission"), "{err}");
    // No row claims anything of a user.
    assert!(json_rows(&output).is_empty(), "{:?}", lines(&output));
    // Stopped at once: a few calls, not one per user.
    let calls = calls.load(Ordering::SeqCst);
    assert!(calls <= 16, "{calls} calls for a key that may call nothing");
    assert!(tokens.load(Ordering::SeqCst) <= 3);
}

#[test]
fn every_genauth_variable_set_but_empty_is_named_as_empty_before_any_request() {
    let requests = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&requests);
    let server = HttpServer::start(move |_| {
        r.fetch_add(1, Ordering::SeqCst);
        token_body(T1, 7200)
    });
    for var in [
        "GENAUTH_ACCESS_KEY_ID",
        "GENAUTH_ACCESS_KEY_SECRET",
        "GENAUTH_HOST",
        "GENAUTH_CA_FILE",
        "GENAUTH_TIMEOUT",
        "GENAUTH_LANG",
    ] {
        let output = run(
            against_url(&server.url).env(var, "").args(["audit"]),
            b"user-1\n",
        );
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{var}: {err}");
        assert!(
            err.contains(&format!("{var} is set but empty")),
            "{var}: {err}"
        );
        assert!(!err.contains("not set"), "{var}: {err}");
    }
    assert_eq!(requests.load(Ordering::SeqCst), 0);
}

/// Under `ulimit -n 40` with 64 threads, most calls found no file
/// descriptor for their socket: 242 of 300 users failed at once, without a
/// retry. They are retried as a failure to connect.
#[cfg(unix)]
#[test]
fn running_out_of_file_descriptors_for_a_moment_is_retried() {
    let output = audit_under_open_files_limit(40, 300, std::time::Duration::from_millis(30));
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let rows = json_rows(&output);
    assert_eq!(rows.len(), 300, "{err}");
    assert!(rows.iter().all(|r| r.get("error").is_none()), "{err}");
}

/// When descriptors stay short (every socket held by a slow call), what
/// still fails says why in its row and, once, what to do.
#[cfg(unix)]
#[test]
fn running_out_of_file_descriptors_for_good_says_to_lower_the_concurrency() {
    let output = audit_under_open_files_limit(12, 40, std::time::Duration::from_millis(2500));
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    let rows = json_rows(&output);
    assert_eq!(rows.len(), 40, "{err}");
    let failed: Vec<_> = rows.iter().filter(|r| r.get("error").is_some()).collect();
    assert!(!failed.is_empty(), "{err}");
    for row in &failed {
        let text = row["error"]["message"].as_str().unwrap();
        assert!(text.contains("out of file descriptors"), "{text}");
        assert!(text.contains("attempts"), "not retried: {text}");
    }
    assert_eq!(err.matches("lower --concurrency").count(), 1, "{err}");
    assert!(err.contains("ulimit -n"), "{err}");
}

/// A short secret (`GENAUTH_ACCESS_KEY_SECRET=sk`) was hidden inside the
/// tool's own words: "2 duplicate ids ***ipped". Only text from outside is
/// redacted: a server that echoes the secret is still hidden.
#[test]
fn redaction_hides_secrets_in_outside_text_and_never_touches_the_tools_own_words() {
    let server = HttpServer::start(|target| {
        token_or_user(target, |_| {
            r#"{"statusCode":404,"apiCode":2004,"message":"no user for secret sk","requestId":"r-sk"}"#
                .to_owned()
        })
    });
    let output = run(
        against_url(&server.url)
            .env("GENAUTH_ACCESS_KEY_SECRET", "sk")
            .args(["audit"]),
        b"u-1\nu-1\nu-1\n",
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("2 duplicate ids skipped"), "{err}");
    let rows = lines(&output).join("\n");
    assert!(rows.contains("no user for secret ***"), "{rows}");
    assert!(!rows.contains(" sk\""), "{rows}");
}

/// `--summary FILE` is written into a new file beside FILE, then renamed
/// over it. FILE that was a FIFO (or, as root, `/dev/null`: it became a
/// regular file and broke the whole machine) was replaced by a regular
/// file; a symlink to last month's summary was replaced, not followed.
/// A summary that is not a regular file is refused before anything is
/// sent, and a symlink's target is replaced, the link kept.
#[cfg(unix)]
#[test]
fn a_summary_that_is_not_a_regular_file_is_never_replaced_by_one() {
    use std::os::unix::fs::FileTypeExt;
    let requests = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&requests);
    let server = HttpServer::start(move |target| {
        r.fetch_add(1, Ordering::SeqCst);
        token_or_user(target, |_| SAMPLE_MFA_INFO.to_owned())
    });
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("summary.fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let output = run(
        against_url(&server.url)
            .args(["audit", "--summary"])
            .arg(&fifo),
        b"user-1\n",
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo(),
        "the FIFO was replaced: {err}"
    );
    assert_eq!(requests.load(Ordering::SeqCst), 0, "{err}");

    // A symlink to a regular file: the target gets the summary, the link stays.
    let target = dir.path().join("2026-12.json");
    std::fs::write(&target, "{}").unwrap();
    let link = dir.path().join("latest.json");
    std::os::unix::fs::symlink("2026-12.json", &link).unwrap();
    let output = run(
        against_url(&server.url)
            .args(["audit", "--summary"])
            .arg(&link),
        b"user-1\n",
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the symlink was replaced by a file: {err}"
    );
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(written["users"], 1, "{written}");
}

/// A server (or a WAF page) that quotes the token request's JSON body in
/// its refusal quotes the secret JSON-escaped: a secret holding `"`, `\`
/// or a control character then reached stderr, since only the secret as
/// given was hidden (`"accessKeySecret":"s\"k\\SECRET-9f"`).
#[test]
fn a_secret_quoted_json_escaped_by_the_server_is_hidden_too() {
    let secret = "s\"k\\SECRET-9f\u{1}x";
    let quoted = serde_json::to_string(secret).unwrap();
    let quoted = &quoted[1..quoted.len() - 1]; // s\"k\\SECRET-9f\u0001x
    let message = format!(r#"bad key {{"accessKeyId":"ak","accessKeySecret":"{quoted}"}}"#);
    let body = serde_json::json!({
        "statusCode": 401, "apiCode": 2, "message": message, "requestId": "r-echo"
    })
    .to_string();
    let server = HttpServer::start(move |_| body.clone());
    let output = run(
        against_url(&server.url)
            .env("GENAUTH_ACCESS_KEY_SECRET", secret)
            .args(["audit"]),
        b"user-1\n",
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("bad key"), "{err}");
    assert!(!err.contains("SECRET-9f"), "the secret leaked: {err}");
    assert!(err.contains("***"), "{err}");
}

/// A full disk cuts a row at any byte, in the middle of a character too:
/// a CSV output whose last row ended inside the UTF-8 of a Chinese
/// username (`张三` cut after its first byte) was refused by `--resume`
/// ("neither a whole line nor a row of this tool cut short"), though it
/// is the start of a row this tool writes. It is taken off and its user
/// asked again.
#[test]
fn resume_takes_off_a_csv_row_cut_inside_a_character() {
    let server = HttpServer::start(|target| token_or_user(target, |_| SAMPLE_MFA_INFO.to_owned()));
    let out = temp_path("audit.csv");
    let ids = "alice\n张三\n";
    // Only alice first, so that the row cut is the last.
    let first = run(
        against_url(&server.url)
            .args(["audit", "--format", "csv", "-c", "1", "--output"])
            .arg(&*out),
        b"alice\n",
    );
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let bytes = std::fs::read(&*out).unwrap();
    for cut in 1..="张三".len() {
        let mut cut_file = bytes.clone();
        cut_file.extend_from_slice(&"张三,enabled".as_bytes()[..cut]);
        std::fs::write(&*out, &cut_file).unwrap();
        let output = run(
            against_url(&server.url)
                .args(["audit", "--format", "csv", "--resume", "--output"])
                .arg(&*out),
            ids.as_bytes(),
        );
        let err = stderr(&output);
        assert_eq!(
            output.status.code(),
            Some(0),
            "cut after {cut} bytes: {err}"
        );
        let text = std::fs::read_to_string(&*out).unwrap();
        let rows: Vec<&str> = text.lines().collect();
        assert_eq!(rows.len(), 3, "{text}");
        assert!(rows[2].starts_with("张三,"), "{text}");
    }
}

/// `--output /dev/stdout` (as cron lines and CI steps write it) with a
/// closed stdout (`>&-`) sent every row to /dev/null, where Rust's
/// start-up points a closed descriptor, and exited 0: the rows were lost
/// and the audit claimed success. It is refused as a closed stdout is.
#[cfg(target_os = "linux")]
#[test]
fn output_dev_stdout_with_a_closed_stdout_is_refused_as_a_closed_stdout() {
    let server = HttpServer::start(|target| token_or_user(target, |_| SAMPLE_MFA_INFO.to_owned()));
    let dir = tempfile::tempdir().unwrap();
    let ids = dir.path().join("ids.txt");
    std::fs::write(&ids, "user-1\nuser-2\n").unwrap();
    for name in ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"] {
        let script = format!(
            "exec {} audit {} --output {name} >&-",
            binary().display(),
            ids.display()
        );
        let mut sh = std::process::Command::new("/bin/sh");
        sh.env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("GENAUTH_ACCESS_KEY_ID", KEY_ID)
            .env("GENAUTH_ACCESS_KEY_SECRET", KEY_SECRET)
            .env("GENAUTH_HOST", &server.url)
            .args(["-c", &script]);
        let output = run(&mut sh, b"");
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{name}: {err}");
        assert!(err.contains("standard output is closed"), "{name}: {err}");
    }
}

/// Under a low `ulimit -v` (thread stacks refused), `audit -c 16` printed
/// "thread 'genauth-batch' panicked at .../thread/functions.rs: failed to
/// spawn thread" and, with RUST_BACKTRACE=1, a backtrace, for each
/// resolver thread ureq could not start, though the transport catches
/// that panic and the call fails as a transport error that says so.
#[cfg(target_os = "linux")]
#[test]
fn a_thread_the_system_refuses_prints_no_panic_text() {
    let output = audit_under_address_space_limit(45_000);
    let err = stderr(&output);
    assert!(!err.contains("panicked"), "{:?} {err}", output.status);
}

/// At other limits the address space runs out for the heap too: the
/// process aborts (exit 134 by SIGABRT, "memory allocation of 16 bytes
/// failed", not a code of the README's table), its output truncated and
/// few of its rows written. Depends on where the address space runs out,
/// hence ignored.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "FINDING: under ulimit -v 70000 with -c 16, an allocation fails and the process aborts (SIGABRT, 134), output truncated; not deterministic"]
fn a_low_address_space_limit_exits_with_a_documented_code() {
    let output = audit_under_address_space_limit(70_000);
    let err = stderr(&output);
    assert!(
        matches!(output.status.code(), Some(0..=2)),
        "{:?} {err}",
        output.status
    );
}

#[test]
fn a_second_page_empty_with_a_zero_count_does_not_make_a_1000_user_audit_complete() {
    // Page 1 counts 1000 users; every later page is `{"totalCount":0,
    // "list":[]}`, what a backend that lost its index for a moment sends.
    let (server, asked) = pool_server(|n| {
        if n == 1 {
            page_data("1000", 0..50)
        } else {
            page_data("0", 0..0)
        }
    });
    let (output, json) = audit_pool(&server);
    let err = stderr(&output);
    assert_eq!(asked.load(Ordering::SeqCst), 50, "{err}");
    assert_eq!(json_rows(&output).len(), 50, "{err}");
    // 950 of the 1000 users the server counted were never asked.
    assert_eq!(json["complete"], false, "{json}\n{err}");
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("the server's count fell from 1000 to 0 between two pages"),
        "{err}"
    );
}

#[test]
fn a_huge_first_count_does_not_excuse_users_the_last_count_says_were_not_listed() {
    // Page 1 says 10^18 users (a glitch); page 2 is empty and says 5000.
    // 4950 users the server still counts were never listed.
    let (server, asked) = pool_server(|n| {
        if n == 1 {
            page_data("1000000000000000000", 0..50)
        } else {
            page_data("5000", 0..0)
        }
    });
    let (output, json) = audit_pool(&server);
    let err = stderr(&output);
    assert_eq!(asked.load(Ordering::SeqCst), 50, "{err}");
    assert_eq!(json["complete"], false, "{json}\n{err}");
    assert_eq!(output.status.code(), Some(2), "{err}");
}

#[test]
fn a_count_lowered_mid_listing_does_not_end_it_before_the_users_that_follow() {
    // Page 1 counts 200; page 2 says 100 (and holds 50 more users), pages
    // 3 and 4 hold the rest, page 5 is empty and counts 200 again.
    let (server, asked) = pool_server(|n| match n {
        1 => page_data("200", 0..50),
        2 => page_data("100", 50..100),
        n if n <= 4 => page_data("200", (n - 1) * 50..n * 50),
        _ => page_data("200", 0..0),
    });
    let (output, json) = audit_pool(&server);
    let err = stderr(&output);
    // Either every user was asked, or the audit does not claim it.
    let asked = asked.load(Ordering::SeqCst);
    if asked != 200 {
        assert_eq!(json["complete"], false, "{asked} asked: {json}\n{err}");
        assert_eq!(output.status.code(), Some(2), "{err}");
    }
}

#[test]
fn a_user_listed_again_far_after_the_first_time_is_asked_and_counted_once() {
    // 5000 users; u-0 comes again on page 99, over 4,096 users after page
    // 1: asked twice, two rows, `users: 5001` of 5000 distinct.
    let (server, asked) = pool_server(|n| {
        if n > 100 {
            return page_data("5000", 0..0);
        }
        let mut data = page_data("5000", (n - 1) * 50..n * 50);
        if n == 99 {
            data = data.replace(
                r#""list":["#,
                r#""list":[{"userId":"u-0","status":"Activated"},"#,
            );
        }
        data
    });
    let summary = temp_path("summary.json");
    let out = temp_path("rows.jsonl");
    let output = run(
        against_url(&server.url).args([
            "audit",
            "--all-users",
            "-c",
            "16",
            "--output",
            out.to_str().unwrap(),
            "--summary",
            summary.to_str().unwrap(),
        ]),
        b"",
    );
    let rows = std::fs::read_to_string(&*out).unwrap().lines().count();
    let err = stderr(&output);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&*summary).unwrap()).unwrap();
    assert_eq!(json["listing"]["distinctUsers"], 5000, "{json}");
    assert_eq!(json["users"], 5000, "{json}\n{err}");
    assert_eq!(rows, 5000, "{err}");
    assert_eq!(asked.load(Ordering::SeqCst), 5000, "{err}");
    assert_eq!(json["duplicates"], 1, "{json}");
}

#[test]
fn a_key_refused_mid_run_replaces_the_summary_with_an_incomplete_one() {
    // The first token works for 100 calls; then every call is refused and
    // the key with it. Exit 1, as README says; but the summary FILE of the
    // month before stayed, saying `complete: true`.
    let tokens = Arc::new(AtomicUsize::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    let (t, c) = (Arc::clone(&tokens), Arc::clone(&calls));
    let server = HttpServer::start(move |target| {
        if target.starts_with("/api/v3/get-management-token") {
            if t.fetch_add(1, Ordering::SeqCst) == 0 {
                token_body(T1, 7200)
            } else {
                r#"{"statusCode":403,"apiCode":2001,"message":"access key disabled"}"#.to_owned()
            }
        } else if c.fetch_add(1, Ordering::SeqCst) < 100 {
            r#"{"statusCode":200,"data":{"totpStatus":"enabled"}}"#.to_owned()
        } else {
            r#"{"statusCode":401,"apiCode":2020,"message":"token revoked"}"#.to_owned()
        }
    });
    let summary = temp_path("summary.json");
    let old = r#"{"complete": true, "users": 300, "generatedAt": "2026-11-01T00:00:00Z"}"#;
    std::fs::write(&*summary, old).unwrap();
    let out = temp_path("rows.jsonl");
    let ids: String = (0..300).map(|i| format!("user-{i}\n")).collect();
    let output = run(
        against_url(&server.url).args([
            "audit",
            "-o",
            out.to_str().unwrap(),
            "--summary",
            summary.to_str().unwrap(),
        ]),
        ids.as_bytes(),
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    let text = std::fs::read_to_string(&*summary).unwrap();
    assert_ne!(text, old, "the old summary stayed: {err}");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["complete"], false, "{json}");
    let reason = json["incompleteReason"].as_str().unwrap();
    assert!(
        reason.contains("the management token request failed"),
        "{json}"
    );
    assert!(!text.contains(KEY_SECRET), "{text}");
}

#[test]
fn a_server_that_ignores_the_status_filter_does_not_pass_for_an_audit_of_that_status() {
    // `--status Suspended`, and the server lists every user: 12 suspended,
    // 108 active. The audit said 120 suspended users, complete, exit 0.
    let (server, asked) = pool_server(|n| {
        let list: Vec<String> = ((n - 1) * 50..(n * 50).min(120))
            .map(|i| {
                let status = if i % 10 == 0 {
                    "Suspended"
                } else {
                    "Activated"
                };
                format!(r#"{{"userId":"u-{i}","status":"{status}"}}"#)
            })
            .collect();
        format!(r#"{{"totalCount":120,"list":[{}]}}"#, list.join(","))
    });
    let summary = temp_path("summary.json");
    let output = run(
        against_url(&server.url).args([
            "audit",
            "--all-users",
            "--status",
            "Suspended",
            "--summary",
            summary.to_str().unwrap(),
        ]),
        b"",
    );
    let err = stderr(&output);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&*summary).unwrap()).unwrap();
    // No active user is asked as one of the suspended ones...
    let rows = json_rows(&output);
    let other = rows.iter().filter(|r| r["status"] != "Suspended").count();
    assert_eq!(other, 0, "{other} rows of users not suspended: {err}");
    assert!(asked.load(Ordering::SeqCst) <= 12, "{err}");
    // ... and the audit is not complete.
    assert_eq!(json["complete"], false, "{json}\n{err}");
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("status filter"), "{err}");
}

/// `--ca-file` is read by the library's one bounded CA-file reader (the
/// tool had a copy of its own): what it refuses is a setup error naming
/// the flag, before any request; a PEM of certificates is taken. (A guard
/// of the refactor, not a defect found.)
#[test]
fn ca_file_is_read_by_the_library_reader_and_refused_before_any_request() {
    let requests = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&requests);
    let server = HttpServer::start(move |target| {
        r.fetch_add(1, Ordering::SeqCst);
        token_or_user(target, |_| SAMPLE_MFA_INFO.to_owned())
    });
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("not-a-pem.pem");
    std::fs::write(&garbage, b"no certificate here").unwrap();
    let missing = dir.path().join("missing.pem");
    for (path, why) in [
        (dir.path().to_path_buf(), "not a regular file"),
        (std::path::PathBuf::from("/dev/zero"), "not a regular file"),
        (missing, "cannot be read"),
        (garbage, "certificate"),
    ] {
        let output = run(
            against_url(&server.url).args(["audit", "--ca-file", path.to_str().unwrap()]),
            b"u-1\n",
        );
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{path:?}: {err}");
        assert!(err.contains("--ca-file"), "{err}");
        assert!(err.contains(why), "{why:?} in {err}");
    }
    assert_eq!(requests.load(Ordering::SeqCst), 0);
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, genauth_mfa_testkit::tls_server::TRANSPORT_CA).unwrap();
    let output = run(
        against_url(&server.url).args(["audit", "--ca-file", ca.to_str().unwrap()]),
        b"u-1\n",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(json_rows(&output).len(), 1);
}

/// `--require-admins` while the only `--admin-role` cannot be read (403):
/// who the admins are is unknown, so whether they meet the admin rule is
/// too. Users who may be admins and do not meet it (here all of them:
/// TOTP only, `--require-admins face`) must not make the audit say
/// "admin policy met" with exit 0 and `complete: true`: the gate was not
/// checked. Incomplete (exit 2), saying why (`policy.met` keeps its
/// meaning: no violation found among the users known to be admins).
#[test]
fn an_admin_rule_over_an_unknown_role_is_never_reported_met() {
    let server = HttpServer::start(|target| {
        if target.starts_with("/api/v3/list-role-members") {
            r#"{"statusCode":403,"apiCode":2003,"message":"forbidden","requestId":"r"}"#.to_owned()
        } else {
            token_or_user(target, |_| {
                r#"{"statusCode":200,"data":{"totpStatus":"enabled","faceMfaStatus":"disabled","smsMfaStatus":"disabled","emailMfaStatus":"disabled"}}"#.to_owned()
            })
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.json");
    let output = run(
        against_url(&server.url).args([
            "audit",
            "--admin-role",
            "admin",
            "--require-admins",
            "face",
            "--summary",
            summary.to_str().unwrap(),
        ]),
        b"u-1\nu-2\n",
    );
    let err = stderr(&output);
    assert!(err.contains("members of role admin"), "{err}");
    assert!(!err.contains("admin policy met"), "{err}");
    assert_eq!(output.status.code(), Some(2), "{err}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert_eq!(json["complete"], false, "{json}");
    assert!(
        json["incompleteReason"]
            .as_str()
            .is_some_and(|r| r.contains("admin")),
        "{json}"
    );
}

/// A pool with MFA switched off (`enabledFactors: []`) is the finding an
/// administrator most needs to read: the summary line must say "none",
/// never leave a blank ("factors the pool enables: ;").
#[test]
fn a_pool_that_enables_no_factor_is_said_as_none() {
    let server = HttpServer::start(|target| {
        if target.starts_with("/api/v3/get-global-mfa-settings") {
            r#"{"statusCode":200,"data":{"enabledFactors":[]}}"#.to_owned()
        } else {
            token_or_user(target, |_| SAMPLE_MFA_INFO.to_owned())
        }
    });
    let output = run(against_url(&server.url).args(["audit"]), b"u-1\n");
    let err = stderr(&output);
    assert!(err.contains("factors the pool enables: none"), "{err}");
}

/// `--require` over a pool whose enabled factors or SKIP_MFA list could not
/// be read: a user who meets it only if the unknown part is kind (the pool
/// enables their factor, they are not on the list) is not judged, and the
/// audit says incomplete (exit 2) rather than "policy met" (exit 0). A user
/// who fails it whatever the unknown part holds is still a violation.
#[test]
fn a_require_over_an_unknown_pool_policy_is_never_reported_met() {
    for refused in ["/api/v3/get-global-mfa-settings", "/api/v3/user-list"] {
        let server = HttpServer::start(move |target| {
            if target.starts_with(refused) {
                r#"{"statusCode":403,"apiCode":2003,"message":"forbidden","requestId":"r"}"#
                    .to_owned()
            } else {
                token_or_user(target, |_| {
                    r#"{"statusCode":200,"data":{"totpStatus":"enabled","faceMfaStatus":"disabled","smsMfaStatus":"disabled","emailMfaStatus":"disabled"}}"#.to_owned()
                })
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let summary = dir.path().join("summary.json");
        let output = run(
            against_url(&server.url).args([
                "audit",
                "--require",
                "any",
                "--summary",
                summary.to_str().unwrap(),
            ]),
            b"u-1\nu-2\n",
        );
        let err = stderr(&output);
        assert!(!err.contains("policy met"), "{refused}: {err}");
        assert!(err.contains("policy unknown"), "{refused}: {err}");
        assert_eq!(output.status.code(), Some(2), "{refused}: {err}");
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
        assert_eq!(json["complete"], false, "{json}");
        assert!(
            json["incompleteReason"]
                .as_str()
                .is_some_and(|r| r.contains("--require")),
            "{json}"
        );
        assert_eq!(json["policy"]["violations"], 0, "{json}");
    }
}

/// A `--sandbox` audit of the whole pool with `extra`; its summary (parsed)
/// and the paths of the summary and the output, in `dir`.
fn sandbox_report_audit(
    dir: &std::path::Path,
    extra: &[&str],
    code: i32,
) -> (serde_json::Value, std::path::PathBuf, std::path::PathBuf) {
    let summary = dir.join("summary.json");
    let output = dir.join("audit.jsonl");
    let mut command = tool();
    command
        .args(["--sandbox", "audit", "--all-users", "--summary"])
        .arg(&summary)
        .arg("-o")
        .arg(&output)
        .args(extra);
    let done = run(&mut command, b"");
    assert_eq!(done.status.code(), Some(code), "{}", stderr(&done));
    let json = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    (json, summary, output)
}

fn report_page(summary: &std::path::Path, output: &std::path::Path) -> std::process::Output {
    run(
        tool()
            .arg("report")
            .arg("--summary")
            .arg(summary)
            .arg(output)
            .args(["-o", "-"]),
        b"",
    )
}

#[test]
fn report_shows_at_most_ten_stale_exemptions_however_many_the_summary_names() {
    // The README: "the stale entries (the summary's exemptions.stale, at
    // most ten, then how many more)". A summary naming 5,000 of them (an
    // edited or foreign one) must not make the page a table of 5,000.
    let dir = tempfile::tempdir().unwrap();
    let exemptions = dir.path().join("exemptions.csv");
    std::fs::write(
        &exemptions,
        "userId,reason,owner,expires\ngone-1,left,hr@example.com,2099-01-01\n",
    )
    .unwrap();
    let (mut json, summary, output) = sandbox_report_audit(
        dir.path(),
        &["--exemptions", exemptions.to_str().unwrap()],
        0,
    );
    let stale: Vec<serde_json::Value> = (0..5000)
        .map(|i| {
            serde_json::json!({"userId": format!("stale-{i:05}"), "owner": "<b>o</b>",
                               "expires": "2099-01-01", "line": i + 2})
        })
        .collect();
    json["exemptions"]["stale"] = stale.into();
    json["exemptions"]["unknownUsers"] = 5000.into();
    std::fs::write(&summary, serde_json::to_vec(&json).unwrap()).unwrap();
    let done = report_page(&summary, &output);
    assert_eq!(done.status.code(), Some(0), "{}", stderr(&done));
    let html = String::from_utf8(done.stdout).unwrap();
    let start = html.find("<h2 id=\"h-stale\">").unwrap();
    let section = &html[start..start + html[start..].find("</section>").unwrap()];
    let rows = section.matches("<tr><th scope=\"row\">stale-").count();
    assert_eq!(rows, 10, "stale rows shown");
    assert!(section.contains("And 4990 more"), "{}", &section[..300]);
    assert!(!section.contains("<b>"), "no markup from the summary");
}

#[test]
fn report_refuses_a_summary_whose_admin_violations_differ_from_the_rows() {
    // The sandbox has admins without totp or face: --require-admins
    // totp,face is not met (exit 3), and the page's table of admins
    // failing it is judged from the rows. A summary edited to say the
    // policy is met (adminViolations 0) disagrees with those rows: the
    // page would show "Policy: met" above a table of admins failing it.
    let dir = tempfile::tempdir().unwrap();
    let (json, summary, output) = sandbox_report_audit(
        dir.path(),
        &["--admin-role", "admin", "--require-admins", "totp,face"],
        3,
    );
    let failing = json["policy"]["adminViolations"].as_u64().unwrap();
    assert!(failing > 0, "{json}");
    for (violations, met) in [
        (serde_json::json!(0), true),
        (serde_json::json!(failing + 1), false),
        (serde_json::json!("3"), true),
    ] {
        let mut edited = json.clone();
        edited["policy"]["adminViolations"] = violations.clone();
        edited["policy"]["met"] = met.into();
        std::fs::write(&summary, serde_json::to_vec(&edited).unwrap()).unwrap();
        let done = report_page(&summary, &output);
        assert_eq!(
            done.status.code(),
            Some(1),
            "adminViolations {violations}, met {met}: {}",
            stderr(&done)
        );
        assert!(done.stdout.is_empty(), "no page");
        assert!(
            stderr(&done).contains("admin"),
            "names the admins: {}",
            stderr(&done)
        );
    }
}

#[test]
fn report_says_why_effective_coverage_is_unknown_as_the_summary_does() {
    // An audit of email ids has the pool's factors and bypass lists in its
    // summary; effective coverage is unknown because the ids are not
    // user_ids (effectiveMfaUnknownReason). The page must say that, not
    // that the summary lacks the pool's factors.
    let dir = tempfile::tempdir().unwrap();
    let ids = dir.path().join("ids.txt");
    std::fs::write(&ids, "alice@example.com\nbob@example.com\n").unwrap();
    let summary = dir.path().join("summary.json");
    let output = dir.path().join("audit.jsonl");
    let mut command = tool();
    command
        .args(["--sandbox", "audit"])
        .arg(&ids)
        .args(["--user-id-type", "email", "--summary"])
        .arg(&summary)
        .arg("-o")
        .arg(&output);
    let done = run(&mut command, b"");
    assert_eq!(done.status.code(), Some(0), "{}", stderr(&done));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert!(json["poolEnabledFactors"].is_array(), "{json}");
    assert!(json["effectiveMfaUnknownReason"].is_string(), "{json}");
    let done = report_page(&summary, &output);
    assert_eq!(done.status.code(), Some(0), "{}", stderr(&done));
    let html = String::from_utf8(done.stdout).unwrap();
    assert!(
        !html.contains("the pool&#39;s factors and bypass lists are not in this summary"),
        "a wrong reason"
    );
    assert!(
        html.contains("the ids are not user_ids"),
        "the summary's reason"
    );
}

#[test]
fn report_names_only_the_rules_the_audit_was_given() {
    // An audit with --require-admins and no --require: the policy card
    // must not show an empty "--require ;".
    let dir = tempfile::tempdir().unwrap();
    let (_, summary, output) = sandbox_report_audit(
        dir.path(),
        &["--admin-role", "admin", "--require-admins", "totp,face"],
        3,
    );
    let done = report_page(&summary, &output);
    assert_eq!(done.status.code(), Some(0), "{}", stderr(&done));
    let html = String::from_utf8(done.stdout).unwrap();
    assert!(html.contains("--require-admins totp,face"));
    assert!(!html.contains("--require ;"), "an empty --require");
}

#[test]
fn report_of_a_pool_where_every_user_is_an_admin_failing_require_admins_stays_small() {
    // 1,500 users, each an admin with SMS only and a hostile username:
    // --require-admins totp fails for all (exit 3). The page lists at most
    // 1,000 of them in each table, shows no markup from the names, and its
    // summary figures match its rows.
    use genauth_mfa::{MfaStatus, UserMfaInfo};
    use genauth_mfa_fake::{FakeGenAuth, PoolUser};
    let fake = FakeGenAuth::new();
    let ids: Vec<String> = (0..1500).map(|i| format!("adm-{i:04}")).collect();
    for id in &ids {
        fake.add_pool_user(
            PoolUser::new(id)
                .username(&format!(
                    "</script><img src=x onerror=alert('{id}')>\u{202e}\u{200b}"
                ))
                .mfa(UserMfaInfo::new().sms(MfaStatus::Enabled)),
        );
    }
    let fake = fake.with_role("admin", "default", ids.iter().cloned());
    let server = fake.serve().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (summary, output) = (dir.path().join("s.json"), dir.path().join("o.jsonl"));
    let done = run(
        against_url(&server.url())
            .args(["audit", "--all-users", "--admin-role", "admin"])
            .args(["--require-admins", "totp", "--summary"])
            .arg(&summary)
            .arg("-o")
            .arg(&output),
        b"",
    );
    assert_eq!(done.status.code(), Some(3), "{}", stderr(&done));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert_eq!(
        json["policy"]["adminViolations"], 1500,
        "{}",
        json["policy"]
    );
    let done = report_page(&summary, &output);
    assert_eq!(done.status.code(), Some(0), "{}", stderr(&done));
    let html = String::from_utf8(done.stdout).unwrap();
    assert!(html.len() < 2_000_000, "{} bytes", html.len());
    let lower = html.to_lowercase();
    assert_eq!(lower.matches("<script").count(), 1);
    assert!(!lower.contains("<img"));
    assert!(!html.contains('\u{202e}'));
    assert!(html.contains("Admins failing --require-admins totp (1500)"));
    assert!(html.contains("And 500 more"));
}

/// A CSV output whose header (line 1) lacks a column this run writes
/// (here `exemption_expires`, resumed with `--exemptions`) was read to its
/// end before the header was judged: a 300 MB output took 21 s and 320 MB
/// of memory (debug build) to be refused for what its first line shows,
/// and a bad row further on was named instead of the missing column. It
/// is refused from its header, before a row is read: at once, whatever
/// follows, naming the column, nothing sent, the file byte for byte.
#[test]
fn resume_refuses_a_csv_header_without_a_column_before_reading_the_rows() {
    let requests = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&requests);
    let server = HttpServer::start(move |target| {
        r.fetch_add(1, Ordering::SeqCst);
        token_or_user(target, |_| SAMPLE_MFA_INFO.to_owned())
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("audit.csv");
    let exemptions = dir.path().join("exemptions.csv");
    std::fs::write(
        &exemptions,
        "userId,reason,owner,expires\nu-1,test,ops,2099-01-01\n",
    )
    .unwrap();
    let mut bytes = b"user_id,totp,face,sms,email,any_enabled,error_kind,status_code,\
api_code,message,request_id,user_id_type,effective_mfa,skip_mfa,admin\n"
        .to_vec();
    let row = |i: usize| {
        format!("user-{i:07},enabled,disabled,disabled,disabled,true,,,,,,user_id,true,false,\n")
    };
    // About 40 MB of rows, then a line that is no row.
    for i in 0..550_000 {
        bytes.extend_from_slice(row(i).as_bytes());
    }
    bytes.extend_from_slice(b"not a row\n");
    std::fs::write(&out, &bytes).unwrap();
    let started = std::time::Instant::now();
    let output = run(
        against_url(&server.url)
            .args(["audit", "--format", "csv", "--resume", "--exemptions"])
            .arg(&exemptions)
            .arg("--output")
            .arg(&out),
        b"user-0000001\n",
    );
    let took = started.elapsed();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("no column exemption_expires"), "{err}");
    assert!(err.lines().count() <= 3 && err.len() < 2000, "{err}");
    assert!(
        took < std::time::Duration::from_secs(2),
        "refused after {took:?}: the rows were read"
    );
    assert_eq!(requests.load(Ordering::SeqCst), 0, "a request was sent");
    assert!(std::fs::read(&out).unwrap() == bytes, "the file changed");
}

/// `byStatus` counts a listed user whose status the server left out as
/// `unknown`, and a status this version does not know by its name; a
/// user resumed from such a row (`"status": null`, `"status": "Locked"`)
/// was counted in no status at all: the summary of a resumed run said
/// fewer users by status than it counted, and lost the `unknown` ones. A
/// resumed user counts as their row tells, as in the run that wrote it.
#[test]
fn resumed_users_count_in_by_status_as_their_rows_tell() {
    let (server, asked) = pool_server(|n| {
        if n > 1 {
            return r#"{"totalCount":3,"list":[]}"#.to_owned();
        }
        let users = [
            r#"{"userId":"u-0","status":null,"createdAt":"2024-01-01T00:00:00Z"}"#,
            r#"{"userId":"u-1","status":"Locked","createdAt":"2024-01-01T00:00:00Z"}"#,
            r#"{"userId":"u-2","status":"Activated","createdAt":"2024-01-01T00:00:00Z"}"#,
        ];
        format!(r#"{{"totalCount":3,"list":[{}]}}"#, users.join(","))
    });
    for format in ["jsonl", "csv"] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("pool.out");
        let summary = dir.path().join("summary.json");
        let audit = |resume: bool| {
            let mut command = against_url(&server.url);
            command
                .args(["audit", "--all-users", "--format", format, "--output"])
                .arg(&out)
                .arg("--summary")
                .arg(&summary);
            if resume {
                command.arg("--resume");
            }
            let output = run(&mut command, b"");
            assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
            let json: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
            json
        };
        let whole = audit(false);
        let expected = serde_json::json!({"Activated": 1, "Locked": 1, "unknown": 1});
        assert_eq!(whole["byStatus"], expected, "{format}: {whole}");
        let before = asked.load(Ordering::SeqCst);
        let resumed = audit(true);
        assert_eq!(
            asked.load(Ordering::SeqCst),
            before,
            "{format}: asked again"
        );
        assert_eq!(resumed["resumed"], 3, "{format}: {resumed}");
        assert_eq!(resumed["byStatus"], expected, "{format}: {resumed}");
    }
}

/// A row's `departments` had no bound but each name's and the depth: a
/// user in 1,500 departments (or a few deep ones with long names) got a
/// row longer than `--resume` reads (64 KiB), so the tool's own output
/// could not be resumed ("line 2 is longer than any row of this tool",
/// exit 1), and a server could flood a file through one user. The cell
/// is bounded, the departments left out counted in a last entry; the
/// output resumes.
#[test]
fn a_user_in_very_many_departments_gets_a_row_that_resume_reads_back() {
    use genauth_mfa_fake::{FakeGenAuth, Organization, PoolUser};
    let mut org = Organization::new("acme", "Acme");
    let ids: Vec<String> = (0..1500).map(|i| format!("d{i}")).collect();
    for (i, id) in ids.iter().enumerate() {
        org = org.department(id, &format!("Department {i:04} of the organisation"), None);
    }
    let fake = FakeGenAuth::new().with_organization(org);
    fake.add_pool_user(PoolUser::new("u-many"));
    fake.add_pool_user(PoolUser::new("u-one"));
    let fake = fake
        .with_user_departments("u-many", ids.clone())
        .with_user_departments("u-one", ["d7"]);
    let server = fake.serve().unwrap();
    for format in ["jsonl", "csv"] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("pool.out");
        let audit = |resume: bool| {
            let mut command = against_url(&server.url());
            command
                .args(["audit", "--all-users", "--by", "department"])
                .args(["--format", format, "--output"])
                .arg(&out);
            if resume {
                command.arg("--resume");
            }
            run(&mut command, b"")
        };
        let first = audit(false);
        assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
        let text = std::fs::read_to_string(&out).unwrap();
        let longest = text.lines().map(str::len).max().unwrap();
        assert!(longest < 64 * 1024, "{format}: a row of {longest} bytes");
        assert!(
            text.contains("Acme / Department 0007 of the organisation"),
            "{format}"
        );
        assert!(text.contains("more departments)"), "{format}: {text:.300}");
        let resumed = audit(true);
        let err = stderr(&resumed);
        assert_eq!(resumed.status.code(), Some(0), "{format}: {err}");
        assert!(err.contains("2 ids skipped"), "{format}: {err}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), text, "{format}");
    }
}

/// `--output` (or `--summary`, `--metrics`) naming the `--exemptions` file
/// is refused, but the rows sent to a standard output appended to it
/// (`audit ids.txt --exemptions ex.csv >> ex.csv`, as a cron line that
/// collects the rows might read) were written into it, exit 0: the next
/// run's exemptions file was malformed. A standard output that is the
/// exemptions file is refused before anything is sent, as it is for the
/// input file.
#[cfg(unix)]
#[test]
fn rows_to_a_stdout_appended_to_the_exemptions_file_are_refused() {
    let requests = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&requests);
    let server = HttpServer::start(move |target| {
        r.fetch_add(1, Ordering::SeqCst);
        token_or_user(target, |_| SAMPLE_MFA_INFO.to_owned())
    });
    let dir = tempfile::tempdir().unwrap();
    let ids = dir.path().join("ids.txt");
    std::fs::write(&ids, "u-1\nu-2\n").unwrap();
    let exemptions = dir.path().join("exemptions.csv");
    let text = "userId,reason,owner,expires\nu-1,test,ops,2099-01-01\n";
    for output_flag in [None, Some("-"), Some("/dev/stdout")] {
        std::fs::write(&exemptions, text).unwrap();
        let appended = std::fs::OpenOptions::new()
            .append(true)
            .open(&exemptions)
            .unwrap();
        let mut command = against_url(&server.url);
        command
            .args(["audit", "--format", "csv", "--exemptions"])
            .arg(&exemptions)
            .arg(&ids)
            .args(output_flag.map(|o| ["--output", o]).iter().flatten())
            .stdin(std::process::Stdio::null())
            .stdout(appended)
            .stderr(std::process::Stdio::piped());
        let output = wait_output(command.spawn().unwrap(), LIMIT);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{output_flag:?}: {err}");
        assert!(err.contains("--exemptions file"), "{output_flag:?}: {err}");
        assert_eq!(std::fs::read_to_string(&exemptions).unwrap(), text);
        assert_eq!(requests.load(Ordering::SeqCst), 0, "{output_flag:?}");
    }
}

/// `--output` naming the `--ca-file` (or `GENAUTH_CA_FILE`) replaced the
/// CA certificates with rows, exit 0, and so did `--summary` and
/// `--metrics` with the summary: the next run could not trust its server.
/// The file is refused as an output, as the `--exemptions` file is,
/// before anything is sent or written.
#[cfg(unix)]
#[test]
fn an_output_that_is_the_ca_file_is_refused_and_the_file_kept() {
    let requests = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&requests);
    let server = HttpServer::start(move |target| {
        r.fetch_add(1, Ordering::SeqCst);
        token_or_user(target, |_| SAMPLE_MFA_INFO.to_owned())
    });
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let pem = genauth_mfa_testkit::tls_server::TRANSPORT_CA;
    let link = dir.path().join("link.pem");
    std::os::unix::fs::symlink(&ca, &link).unwrap();
    for flag in ["--output", "--summary", "--metrics"] {
        for by_env in [false, true] {
            std::fs::write(&ca, pem).unwrap();
            let mut command = against_url(&server.url);
            command.arg("audit").arg(flag).arg(&link);
            if by_env {
                command.env("GENAUTH_CA_FILE", &ca);
            } else {
                command.arg("--ca-file").arg(&ca);
            }
            let output = run(&mut command, b"u-1\n");
            let err = stderr(&output);
            assert_eq!(output.status.code(), Some(1), "{flag} {by_env}: {err}");
            assert!(err.contains("CA"), "{flag} {by_env}: {err}");
            assert_eq!(std::fs::read(&ca).unwrap(), pem, "{flag} {by_env}");
        }
    }
    assert_eq!(requests.load(Ordering::SeqCst), 0);
}

/// `--all-users --resume` of a JSON Lines output of a file audit (which
/// resumes, its rows carrying their own keys): the resumed users' rows
/// have no account status, and they were counted in no `byStatus` entry,
/// though this run's listing gave each one's status: `byStatus` summed to
/// fewer users than the audit counted. `byStatus` counts the statuses the
/// listing gave, resumed users included.
#[test]
fn resumed_users_count_in_by_status_by_the_status_the_listing_gave() {
    let (server, asked) = pool_server(|n| {
        if n > 1 {
            return r#"{"totalCount":3,"list":[]}"#.to_owned();
        }
        page_data("3", 0..3)
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("audit.jsonl");
    let summary = dir.path().join("summary.json");
    let first = run(
        against_url(&server.url)
            .arg("audit")
            .arg("--output")
            .arg(&out),
        b"u-0\nu-1\n",
    );
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let output = run(
        against_url(&server.url)
            .args(["audit", "--all-users", "--resume", "--output"])
            .arg(&out)
            .arg("--summary")
            .arg(&summary),
        b"",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(asked.load(Ordering::SeqCst), 3, "u-2 only asked again");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert_eq!(json["resumed"], 2, "{json}");
    assert_eq!(
        json["byStatus"],
        serde_json::json!({"Activated": 3}),
        "{json}"
    );
}

/// `--all-users --resume` of a JSON Lines output whose rows were asked
/// with `--user-id-type phone` is refused, rightly, but the message said
/// "resume it with --user-id-type phone", which `--all-users` refuses (a
/// usage error): it says to resume it with its FILE of ids instead.
#[test]
fn an_all_users_resume_of_rows_of_another_id_type_says_what_can_be_done() {
    let (server, asked) = pool_server(|_| page_data("3", 0..3));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("audit.jsonl");
    let row = r#"{"userId":"188","userIdType":"phone","totpStatus":"enabled","faceMfaStatus":"disabled","smsMfaStatus":"disabled","emailMfaStatus":"disabled","anyEnabled":true}"#;
    std::fs::write(&out, format!("{row}\n")).unwrap();
    let output = run(
        against_url(&server.url)
            .args(["audit", "--all-users", "--resume", "--output"])
            .arg(&out),
        b"",
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        !err.contains("resume it with --user-id-type phone,"),
        "{err}"
    );
    assert!(err.contains("FILE of ids"), "{err}");
    assert_eq!(asked.load(Ordering::SeqCst), 0);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), format!("{row}\n"));
}

/// Users who could not be asked (their calls failed) may not meet the
/// policy: with no violation among the users answered, an audit whose
/// users failed said "policy met" on stderr and `policy.met: true` in its
/// summary (the report showed a green "met" over 0 users answered), though
/// it exits 2. It is unknown (`null`), as for users that cannot be judged.
#[test]
fn a_policy_over_users_who_failed_is_never_reported_met() {
    let dir = tempfile::tempdir().unwrap();
    let ids = dir.path().join("ids.txt");
    // The sandbox's pool has no such emails: both rows are errors.
    std::fs::write(&ids, "missing-a@example.com\nmissing-b@example.com\n").unwrap();
    let summary = dir.path().join("summary.json");
    let mut command = tool();
    command
        .args(["--sandbox", "audit"])
        .arg(&ids)
        .args([
            "--user-id-type",
            "email",
            "-o",
            "-",
            "--require",
            "any",
            "--summary",
        ])
        .arg(&summary);
    let done = run(&mut command, b"");
    let err = stderr(&done);
    assert_eq!(done.status.code(), Some(2), "{err}");
    assert!(!err.contains("policy met"), "{err}");
    assert!(err.contains("policy unknown"), "{err}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert_eq!(json["failed"], 2, "{json}");
    assert!(json["policy"]["met"].is_null(), "{json}");
    assert_eq!(json["policy"]["violations"], 0, "{json}");
}
