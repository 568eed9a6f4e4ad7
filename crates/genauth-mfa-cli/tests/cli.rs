//! The `genauth-mfa` tool's command line: help, version, argument forms,
//! setup errors (bad arguments, missing or non-UTF-8 credentials, values the
//! library refuses), the single calls (`get-factor`, `list-enrolled-factors`,
//! `get-user-mfa-info`) and their JSON, completions and the man page, and
//! `--sandbox`. The built binary against servers on 127.0.0.1.

mod support;

use cli_support::*;
use common::*;
use genauth_mfa_mocks::*;
use genauth_mfa_testkit::{cli_support, common};
use mockito::{Matcher, Server};
use serde_json::Value;
use std::process::Command;
use support::*;

/// The completions bash offers for `words` (the last one being completed).
fn bash_completions(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let prev = if cword > 0 { words[cword - 1] } else { "" };
    let program = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={cword}; COMP_LINE='{}'; COMP_POINT=${{#COMP_LINE}}; \
         _genauth__mfa genauth-mfa '{}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        quoted.join(" "),
        words.join(" "),
        words[cword],
    );
    let output = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

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

/// Seen: `GENAUTH_ACCESS_KEY_SECRET` set to bytes that are not UTF-8 was
/// reported as "GENAUTH_ACCESS_KEY_SECRET not set: set ..." (the tool's
/// own check read it with `env::var` and took any error for "unset"), so
/// an operator looks for a missing variable that is there. The library
/// says what is wrong ("is not valid UTF-8"); the tool should too.
#[cfg(unix)]
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
#[cfg(unix)]
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

/// Seen: `get-user-mfa-info ''`, `get-user-mfa-info '   '` and `get-factor
/// ''` ("invalid argument `user_id`: must not be empty"), and an id too
/// long for a URL ("invalid argument `url`: uri too long"), exited 2, "a
/// call failed", though no call was made: the README's table makes an
/// argument a setup error (1), as clap's own refusals are.
#[cfg(unix)]
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

#[test]
fn bash_completion_completes_every_subcommands_options_and_values() {
    if Command::new("bash").arg("--version").output().is_err() {
        eprintln!("no bash here: skipped");
        return;
    }
    let output = run(tool().args(["completions", "bash"]), b"");
    assert_eq!(output.status.code(), Some(0));
    let script = temp_path("completion.bash");
    std::fs::write(&script, &output.stdout).unwrap();
    let audit = bash_completions(&script, &["genauth-mfa", "audit", "--"]);
    for option in [
        "--concurrency",
        "--user-id-type",
        "--format",
        "--resume",
        "--no-comments",
    ] {
        assert!(
            audit.iter().any(|c| c == option),
            "{option} not in {audit:?}"
        );
    }
    let single = bash_completions(&script, &["genauth-mfa", "get-user-mfa-info", "--"]);
    assert!(single.iter().any(|c| c == "--user-id-type"), "{single:?}");
    let types = bash_completions(&script, &["genauth-mfa", "audit", "--user-id-type", ""]);
    for t in ["email", "sync_relation", "custom_field"] {
        assert!(types.iter().any(|c| c == t), "{t} not in {types:?}");
    }
    let formats = bash_completions(&script, &["genauth-mfa", "audit", "--format", ""]);
    assert_eq!(formats, ["jsonl", "csv"]);
    std::fs::remove_file(&script).unwrap();
    // zsh and fish name the values too.
    for shell in ["zsh", "fish"] {
        let output = run(tool().args(["completions", shell]), b"");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            text.contains("sync_relation") && text.contains("jsonl"),
            "{shell}"
        );
    }
}

/// The SYNOPSIS line of a rendered man page.
fn synopsis(page: &str) -> &str {
    let start = page.find(".SH SYNOPSIS\n").expect("a SYNOPSIS") + ".SH SYNOPSIS\n".len();
    page[start..].lines().next().unwrap()
}

/// The man page's SYNOPSIS names each option's value, as --help does
/// (`--rate <PER_SECOND>`, not `--rate`); a flag has none; a repeatable
/// option says so.
#[test]
fn man_page_synopsis_shows_the_options_values() {
    let output = run(tool().args(["man", "audit"]), b"");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let page = String::from_utf8_lossy(&output.stdout);
    let line = synopsis(&page);
    for shown in [
        "[\\fB\\-\\-rate\\fR \\fI<PER_SECOND>\\fR]",
        "[\\fB\\-c\\fR|\\fB\\-\\-concurrency\\fR \\fI<N>\\fR]",
        "[\\fB\\-\\-exemptions\\fR \\fI<FILE>\\fR]",
        "[\\fB\\-\\-admin\\-role\\fR \\fI<CODE[@NAMESPACE]>\\fR]...",
        "[\\fB\\-\\-all\\-users\\fR]",
        "[\\fIFILE|\\-\\fR]",
    ] {
        assert!(line.contains(shown), "{shown} in {line}");
    }
    // The rest of the page is clap_mangen's, as before.
    assert!(page.contains(".SH OPTIONS") && page.contains(".TH genauth-mfa-audit"));
    assert_eq!(page.matches(".SH SYNOPSIS").count(), 1);
    let output = run(tool().arg("man"), b"");
    let page = String::from_utf8_lossy(&output.stdout);
    assert!(
        synopsis(&page).contains("[\\fB\\-\\-ca\\-file\\fR \\fI<PEM>\\fR]"),
        "{}",
        synopsis(&page)
    );
}

#[test]
fn man_page_and_version() {
    let output = run(tool().arg("man"), b"");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let page = String::from_utf8_lossy(&output.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH genauth-mfa"),
        "{page}"
    );
    assert!(page.contains("audit"), "{page}");
    let output = run(tool().args(["man", "audit"]), b"");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let page = String::from_utf8_lossy(&output.stdout);
    assert!(
        page.contains("genauth\\-mfa\\-audit") && page.contains("concurrency"),
        "{page}"
    );
    assert_eq!(
        run(tool().args(["man", "nope"]), b"").status.code(),
        Some(1)
    );
    let output = run(tool().arg("--version"), b"");
    let version = String::from_utf8_lossy(&output.stdout);
    assert!(
        version.contains(env!("CARGO_PKG_VERSION"))
            && version.contains("features: cli")
            && version.contains("library genauth-mfa/"),
        "{version}"
    );
}
