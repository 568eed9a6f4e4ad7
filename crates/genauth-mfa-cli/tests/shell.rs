//! The tool as a shell sees it: `--output -`, stdout and stderr closed,
//! read-only or unwritable, a stderr appended to the input, a terminal's
//! progress, pipes nobody reads, and signals (SIGTERM, SIGHUP, Ctrl-C) that
//! end a run with its summary. Unix: FIFOs, signals, `kill`.

mod support;

use cli_support::*;
use common::*;
use genauth_mfa_mocks::*;
use genauth_mfa_testkit::{cli_support, common};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

/// Runs a `--sandbox` audit of 200,000 ids into a file, runs `kill` (a
/// shell command with `{pid}` for the tool's pid) once rows are being
/// written, and returns the tool's output and the rows it left.
fn audit_then(name: &str, kill: &str) -> (std::process::Output, String) {
    let input = temp_path(&format!("{name}-ids.txt"));
    let out = temp_path(&format!("{name}-out.jsonl"));
    let ids: String = (0..200_000).map(|i| format!("user-{i}\n")).collect();
    std::fs::write(&input, ids).unwrap();
    let child = tool()
        .args(["--sandbox", "audit", input.to_str().unwrap(), "--output"])
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::metadata(&out).map_or(0, |m| m.len()) < 10_000 {
        assert!(Instant::now() < deadline, "no rows written");
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent = Command::new("sh")
        .args(["-c", &kill.replace("{pid}", &child.id().to_string())])
        .status()
        .unwrap();
    assert!(sent.success());
    let output = wait_output(child, Duration::from_secs(20));
    let rows = std::fs::read_to_string(&out).unwrap();
    std::fs::remove_file(&input).unwrap();
    std::fs::remove_file(&out).unwrap();
    (output, rows)
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

#[test]
fn a_closed_or_read_only_stdout_is_a_setup_error_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_in(&dir, "ids.txt", b"alice\n");
    let readable = write_in(&dir, "readable.txt", b"");
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

/// Seen: with stdout a pipe nobody reads (a paused pager, a stuck
/// consumer), the tool blocks writing a row; one SIGTERM (what `timeout`
/// and a container's stop send) then changed nothing: still running 5 s
/// later, and for as long as the pipe stays full, until a second signal or
/// SIGKILL. The README: the first signal lets the calls in flight finish
/// "for at most 0.75 s", prints the summary and exits 130; never hang.
#[cfg(unix)]
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

/// Seen: `audit ids.txt -v 2>>ids.txt` (the log sent to the file of ids)
/// read its own log lines back as ids, each with a new request id, so each
/// asked user logged the next one: 52,463 rows from 3,000 ids in 30 s, the
/// file growing without end, until killed. Without `-v` the `--sandbox`
/// line and the summary still land in the input. stderr that is the input
/// is refused as stdout is, before any user is asked.
#[cfg(unix)]
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

#[test]
fn output_dash_is_stdout() {
    let dir = temp_path("dash-dir");
    std::fs::create_dir_all(&dir).unwrap();
    let output = run(
        tool()
            .current_dir(&dir)
            .args(["--sandbox", "audit", "--output", "-"]),
        b"alice@example.com\n",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(lines(&output).len(), 1);
    assert!(!dir.join("-").exists(), "a file named - was created");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unwritable_stderr_keeps_the_documented_exit_codes() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("no /dev/full here: skipped");
        return;
    };
    let mut server = mockito::Server::new();
    let (_t, _u) = mock_users(&mut server);
    let cases: Vec<(Command, &[u8], i32)> = vec![
        (
            {
                let mut c = tool();
                c.args(["--sandbox", "audit"]);
                c
            },
            b"alice\n",
            0,
        ),
        (
            {
                let mut c = against(&server);
                c.arg("audit");
                c
            },
            b"alice\nmissing-1\n",
            2,
        ),
        (
            {
                let mut c = tool();
                c.args(["--sandbox", "get-user-mfa-info", "bob@example.com"]);
                c
            },
            b"",
            0,
        ),
        (
            {
                let mut c = tool();
                c.args(["audit", "--bogus"]);
                c
            },
            b"",
            1,
        ),
        (
            {
                let mut c = tool();
                c.arg("audit");
                c
            },
            b"alice\n",
            1,
        ),
    ];
    for (mut command, stdin, code) in cases {
        command.stderr(full.try_clone().unwrap());
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        let _ = child.stdin.take().unwrap().write_all(stdin);
        let output = wait_output(child, Duration::from_secs(30));
        assert_eq!(output.status.code(), Some(code), "{command:?}");
    }
}

#[test]
fn stdout_and_stderr_into_one_closed_pipe_exit_1_not_101() {
    let input = temp_path("head-ids.txt");
    let ids: String = (0..100_000).map(|i| format!("user-{i}\n")).collect();
    std::fs::write(&input, ids).unwrap();
    let program = format!(
        "'{}' --sandbox audit '{}' 2>&1 | head -1 >/dev/null; echo \"${{PIPESTATUS[0]}}\"",
        binary().display(),
        input.display()
    );
    let output = Command::new("bash")
        .args(["--norc", "-c", &program])
        .output()
        .unwrap();
    std::fs::remove_file(&input).unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "1");
}

#[test]
fn sigterm_and_sighup_end_the_run_as_ctrl_c_does_with_a_summary() {
    for signal in ["-TERM", "-HUP"] {
        let (output, rows) = audit_then(
            &format!("signal{signal}"),
            &format!("kill {signal} {{pid}}"),
        );
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(130), "{signal}: {err}");
        assert!(
            err.contains("interrupted: ") && err.contains(" users in "),
            "{err}"
        );
        assert!(rows.ends_with('\n'));
    }
}

#[test]
fn two_signals_at_once_as_timeout_sends_them_still_end_with_a_summary() {
    // GNU `timeout` sends SIGTERM to the tool and then to its whole process
    // group: the tool gets two at once. Taken as "the second: exit now",
    // the run ended without its summary in about one run of six.
    let (output, _) = audit_then("double-term", "kill -TERM {pid}; kill -TERM {pid}");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted: ") && err.contains(" users in "),
        "{err}"
    );
}

#[test]
fn ctrl_c_ends_a_rate_limited_run_while_threads_wait_for_slots() {
    // --rate 1 -c 32 over 200 ids: 31 threads wait in the rate limiter.
    let server =
        HttpServer::start(|target| token_or_user(target, |_| common::SAMPLE_MFA_INFO.to_owned()));
    let input = temp_path("rate-ids.txt");
    let ids: String = (0..200).map(|i| format!("user-{i}\n")).collect();
    std::fs::write(&input, ids).unwrap();
    let child = against_url(&server.url)
        .args(["audit", input.to_str().unwrap(), "--rate", "1", "-c", "32"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The pool's policy is read first (3 calls, at 1 a second): the
    // signal comes once the users are being asked.
    std::thread::sleep(Duration::from_millis(4500));
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    // 0.2 let every waiting thread take its slot first (about 30 s here);
    // the engine gives the calls in flight 0.75 s.
    let output = wait_output(child, Duration::from_secs(6));
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("interrupted: "),
        "{}",
        stderr(&output)
    );
    std::fs::remove_file(&input).unwrap();
}

#[test]
fn ctrl_c_ends_an_audit_whose_input_pipe_stays_open_with_its_summary() {
    // `producer | genauth-mfa audit -o out.jsonl` with a producer that
    // stalls (or a terminal nobody types into): the first Ctrl-C ends the
    // run with its summary while the read of the next id still waits.
    let server =
        HttpServer::start(|target| token_or_user(target, |_| common::SAMPLE_MFA_INFO.to_owned()));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let mut child = against_url(&server.url)
        .args(["audit", "-", "--output"])
        .arg(&out)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"alice\nbob\ncarol\n").unwrap();
    stdin.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::read_to_string(&out).map_or(0, |rows| rows.lines().count()) < 3 {
        assert!(Instant::now() < deadline, "no rows written");
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    // stdin stays open until the tool has exited.
    let output = wait_output(child, Duration::from_secs(10));
    drop(stdin);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted: ") && err.contains("3 users in "),
        "{err}"
    );
}
