//! `genauth-mfa report --summary S AUDIT_OUTPUT -o REPORT.html`: the page
//! made from real audits over loopback HTTP (`--sandbox`, or the fake
//! served on 127.0.0.1 with hostile profiles), checked as text: the
//! summary's figures, no URL and no markup from the server, the embedded
//! summary, and the refusals (a missing or mismatched summary).

mod support;
use support::day;

use genauth_mfa_mocks::*;
use genauth_mfa_testkit::cli_support;

use std::path::{Path, PathBuf};
use std::process::Output;

use cli_support::*;
use genauth_mfa::{MfaStatus, UserMfaInfo};
use genauth_mfa_fake::{FakeGenAuth, PoolUser};
use serde_json::Value;

/// The usernames a hostile pool gives its users.
const HOSTILE: [&str; 5] = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(2)</script>",
    "\"'><svg onload=alert(3)>",
    "line\u{2028}separator",
    "<!-- & <style>*{}</style>",
];

/// An audit's files in a temporary directory.
struct Audit {
    dir: tempfile::TempDir,
    summary: PathBuf,
    output: PathBuf,
}

impl Audit {
    fn page(&self) -> PathBuf {
        self.dir.path().join("report.html")
    }
}

/// Runs `audit --all-users --summary S -o OUT [extra]` (`url`: a served
/// fake; `None`: --sandbox); the audit's exit code must be `code`.
fn audit(url: Option<&str>, extra: &[&str], code: i32) -> Audit {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.json");
    let output = dir.path().join("audit.out");
    let mut command = match url {
        Some(url) => against_url(url),
        None => {
            let mut c = tool();
            c.arg("--sandbox");
            c
        }
    };
    command
        .args(["audit", "--all-users", "--summary"])
        .arg(&summary)
        .arg("-o")
        .arg(&output)
        .args(extra);
    let done = run(&mut command, b"");
    assert_eq!(done.status.code(), Some(code), "{}", stderr(&done));
    Audit {
        dir,
        summary,
        output,
    }
}

fn report(summary: &Path, output: &Path, extra: &[&str]) -> Output {
    run(
        tool()
            .arg("report")
            .arg("--summary")
            .arg(summary)
            .arg(output)
            .args(extra),
        b"",
    )
}

/// Makes the page of `audit`; exit 0; its text.
fn page_of(audit: &Audit, extra: &[&str]) -> String {
    let page = audit.page();
    let done = report(
        &audit.summary,
        &audit.output,
        &[&["-o", page.to_str().unwrap()], extra].concat(),
    );
    assert_eq!(done.status.code(), Some(0), "{}", stderr(&done));
    std::fs::read_to_string(page).unwrap()
}

fn summary_of(audit: &Audit) -> Value {
    serde_json::from_slice(&std::fs::read(&audit.summary).unwrap()).unwrap()
}

/// The embedded summary, parsed.
fn embedded(html: &str) -> Value {
    let open = "<script type=\"application/json\" id=\"genauth-mfa-summary\">";
    let start = html.find(open).expect("the embedded summary") + open.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

/// What every page must be: whole without a request, its script only data.
fn assert_self_contained(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        html.contains(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;; \
         style-src &#39;unsafe-inline&#39;"
        ),
        "CSP"
    );
    let lower = html.to_lowercase();
    for banned in [
        "http://",
        "https://",
        "url(",
        "src=\"//",
        "href=\"//",
        "@import",
        "<link",
        "<img",
        "<iframe",
        "<object",
    ] {
        assert!(!lower.contains(banned), "{banned} in the page");
    }
    // One script element: the summary, a data block.
    assert_eq!(lower.matches("<script").count(), 1);
    assert_eq!(lower.matches("</script>").count(), 1);
    assert!(html.contains("prefers-color-scheme: dark") && html.contains("@media print"));
}

#[test]
fn the_report_of_a_sandbox_audit_shows_its_summary_and_needs_nothing_else() {
    let audit = audit(None, &["--require", "any"], 3);
    let html = page_of(&audit, &[]);
    assert_self_contained(&html);
    assert!(html.contains("<th scope=\"col\""), "real tables");
    let summary = summary_of(&audit);
    assert_eq!(embedded(&html), summary);
    let users = summary["users"].as_u64().unwrap();
    // The sandbox's rows say who has effective MFA: the table lists them.
    let without = summary["withoutEffectiveMfa"].as_u64().unwrap();
    let coverage = summary["coverage"].as_f64().unwrap();
    assert!(
        html.contains(&format!("<dd class=\"\">{users}</dd>")),
        "users"
    );
    assert!(
        html.contains(&format!("{:.1} %", coverage * 100.0)),
        "coverage"
    );
    assert!(html.contains(&format!("Users without effective MFA ({without})")));
    assert!(html.contains(">not met<"), "policy");
    let violations = summary["policy"]["violations"].as_u64().unwrap();
    assert!(html.contains(&format!("{violations} violations")));
    for factor in ["totp", "sms", "email", "face"] {
        let n = summary["enabled"][factor].as_u64().unwrap();
        assert!(
            html.contains(&format!("{factor}: {n} (")),
            "{factor} in the chart's text"
        );
    }
    // At most 1,000 users listed, then where the rest are.
    let listed = html.matches("<tr><th scope=\"row\">user-").count() as u64;
    assert_eq!(listed, without.min(1000));
    // Figures this summary does not have are unknown, never 0.
    if summary.get("effectiveCoverage").is_none() {
        assert!(html.contains("<dt>Effective coverage</dt><dd class=\"\">unknown</dd>"));
    }
}

#[test]
fn hostile_usernames_are_shown_as_text() {
    let fake = FakeGenAuth::new();
    for (i, name) in HOSTILE.iter().enumerate() {
        fake.add_pool_user(
            PoolUser::new(&format!("h{i}"))
                .username(name)
                .email(&format!("{name}@example.com"))
                .last_login(&format!("2026-11-0{}T00:00:00Z\"<b>", i + 1)),
        );
    }
    fake.add_pool_user(PoolUser::new("ok").mfa(UserMfaInfo::new().totp(MfaStatus::Enabled)));
    let server = fake.serve().unwrap();
    let audit = audit(Some(&server.url()), &[], 0);
    let html = page_of(&audit, &[]);
    assert_self_contained(&html);
    let lower = html.to_lowercase();
    for markup in ["<img", "<svg onload", "<script>", "<!--", "<style>*", "<b>"] {
        assert!(!lower.contains(markup), "{markup} in the page");
    }
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(html.contains("&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;"));
    assert!(html.contains("&quot;&#39;&gt;&lt;svg onload=alert(3)&gt;"));
    // The row escaped U+2028 as \u{2028}; the page shows that text.
    assert!(!html.contains('\u{2028}'));
    assert!(html.contains("line\\u{2028}separator"));
    assert_eq!(
        html.matches("<tr><th scope=\"row\">h").count(),
        HOSTILE.len()
    );
    assert_eq!(embedded(&html), summary_of(&audit));
}

#[test]
fn an_empty_audit_and_an_audit_with_only_failures_make_a_page() {
    let empty = FakeGenAuth::new().serve().unwrap();
    let audit_empty = audit(Some(&empty.url()), &[], 0);
    let html = page_of(&audit_empty, &[]);
    assert_self_contained(&html);
    assert!(html.contains("no user answered"), "coverage of nobody");
    assert!(html.contains("Users with no MFA factor enabled (0)"));
    // Only failures: every id unknown to the server (a file audit).
    let server = FakeGenAuth::new().serve().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (summary, output) = (dir.path().join("s.json"), dir.path().join("o.csv"));
    let done = run(
        against_url(&server.url())
            .args(["audit", "--format", "csv", "--summary"])
            .arg(&summary)
            .arg("-o")
            .arg(&output),
        b"ghost-1\nghost-2\nghost-3\n",
    );
    assert_eq!(done.status.code(), Some(2), "{}", stderr(&done));
    let done = report(&summary, &output, &["-o", "-"]);
    assert_eq!(done.status.code(), Some(0), "{}", stderr(&done));
    assert!(stderr(&done).contains("written to standard output"));
    let html = String::from_utf8(done.stdout).unwrap();
    assert_self_contained(&html);
    assert!(html.contains("<dt>Failed</dt><dd class=\"bad\">3</dd>"));
    assert!(html.contains("no user answered"));
    assert!(html.contains("<h2 id=\"h-failures\">Failures</h2>"));
}

#[test]
fn a_missing_summary_is_a_setup_error_and_writes_no_page() {
    let audit = audit(None, &[], 0);
    let missing = audit.dir.path().join("no-such-summary.json");
    let page = audit.page();
    let done = report(&missing, &audit.output, &["-o", page.to_str().unwrap()]);
    assert_eq!(done.status.code(), Some(1));
    assert!(
        stderr(&done).contains("cannot read --summary"),
        "{}",
        stderr(&done)
    );
    assert!(!page.exists());
    // Not a summary at all: the output given as its summary.
    let done = report(
        &audit.output,
        &audit.output,
        &["-o", page.to_str().unwrap()],
    );
    assert_eq!(done.status.code(), Some(1));
    assert!(
        stderr(&done).contains("is not a summary of genauth-mfa audit"),
        "{}",
        stderr(&done)
    );
    assert!(!page.exists());
}

#[test]
fn a_summary_that_does_not_match_the_output_is_refused_and_an_earlier_page_stays() {
    let fake = FakeGenAuth::new();
    fake.add_pool_user(PoolUser::new("a").mfa(UserMfaInfo::new().totp(MfaStatus::Enabled)));
    fake.add_pool_user(PoolUser::new("b"));
    let server = fake.serve().unwrap();
    let small = audit(Some(&server.url()), &[], 0);
    let sandbox = audit(None, &[], 0);
    let page = small.page();
    std::fs::write(&page, "an earlier page").unwrap();
    let done = report(
        &small.summary,
        &sandbox.output,
        &["-o", page.to_str().unwrap()],
    );
    let err = stderr(&done);
    assert_eq!(done.status.code(), Some(1), "{err}");
    assert!(err.contains("the summary does not match"), "{err}");
    assert!(
        err.contains("it counts 2 users answered, the output has 1000"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&page).unwrap(), "an earlier page");
    // -o naming a file the report reads is refused before anything.
    let out = small.output.to_str().unwrap();
    let done = report(&small.summary, &small.output, &["-o", out]);
    assert_eq!(done.status.code(), Some(1));
    assert!(stderr(&done).contains("is one of the files the report reads"));
}

#[test]
fn previous_shows_who_lost_mfa_first() {
    let pool = |alice_totp: bool| {
        let fake = FakeGenAuth::new();
        let totp = if alice_totp {
            MfaStatus::Enabled
        } else {
            MfaStatus::Disabled
        };
        fake.add_pool_user(PoolUser::new("alice").mfa(UserMfaInfo::new().totp(totp)));
        fake.add_pool_user(PoolUser::new("bob").mfa(UserMfaInfo::new().sms(MfaStatus::Enabled)));
        fake.add_pool_user(PoolUser::new("zed-new").mfa(UserMfaInfo::new()));
        fake
    };
    let old_fake = pool(true);
    assert!(old_fake.remove_pool_user("zed-new"));
    let old_server = old_fake.serve().unwrap();
    let old = audit(Some(&old_server.url()), &[], 0);
    let new_server = pool(false).serve().unwrap();
    let new = audit(Some(&new_server.url()), &["--format", "csv"], 0);
    let html = page_of(&new, &["--previous", old.output.to_str().unwrap()]);
    assert_self_contained(&html);
    assert!(html.contains("<h2 id=\"h-changes\">Changes since the previous audit</h2>"));
    assert!(html.contains("<tr><th scope=\"row\">Lost MFA</th><td class=\"n\">1</td></tr>"));
    assert!(html.contains("<tr><th scope=\"row\">Added</th><td class=\"n\">1</td></tr>"));
    let lost = html
        .find("<tr><th scope=\"row\">alice</th><td>lostMfa</td><td>totp</td><td>no factor</td>");
    let added = html.find("<tr><th scope=\"row\">zed-new</th><td>added</td>");
    assert!(
        lost.is_some() && added.is_some() && lost < added,
        "lost MFA first"
    );
}

#[test]
fn jsonl_and_csv_outputs_of_the_same_pool_give_the_same_figures() {
    let jsonl = audit(None, &[], 0);
    let csv = audit(None, &["--format", "csv"], 0);
    let (a, b) = (page_of(&jsonl, &[]), page_of(&csv, &[]));
    let section = |html: &str| {
        let start = html.find("<h2 id=\"h-users\">").unwrap();
        html[start..start + 200].to_owned()
    };
    assert_eq!(section(&a), section(&b));
}

#[test]
fn history_keeps_a_copy_of_each_run_and_the_report_draws_the_trend() {
    let history = tempfile::tempdir().unwrap();
    let dir = history.path().to_str().unwrap();
    let first = audit(None, &["--history", dir], 0);
    let second = audit(None, &["--history", dir], 0);
    let mut names: Vec<String> = std::fs::read_dir(history.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names.len(), 2, "one copy a run, nothing else: {names:?}");
    // Two runs in the same second: the second copy is named ...Z-2.json.
    for run in [&first, &second] {
        let at = summary_of(run)["generatedAt"]
            .as_str()
            .unwrap()
            .replace([':', '-'], "");
        let summary = std::fs::read(&run.summary).unwrap();
        let copy = names
            .iter()
            .find(|name| std::fs::read(history.path().join(name)).unwrap() == summary);
        let copy = copy.expect("a copy of each run's summary");
        assert!(
            copy.starts_with(&format!("genauth-mfa-summary-{at}")),
            "{copy}"
        );
    }
    // A third, earlier run, and a file that is no summary.
    let mut old = summary_of(&first);
    old["generatedAt"] = "2026-01-01T00:00:00Z".into();
    old["coverage"] = 0.25.into();
    // A summary written before the pool's policy was read has no
    // effective coverage: the trend shows it as unknown, not as a number.
    old.as_object_mut().unwrap().remove("effectiveCoverage");
    std::fs::write(
        history
            .path()
            .join("genauth-mfa-summary-20260101T000000Z.json"),
        serde_json::to_vec(&old).unwrap(),
    )
    .unwrap();
    std::fs::write(
        history.path().join("genauth-mfa-summary-x.json"),
        "{not json",
    )
    .unwrap();
    let html = page_of(&second, &["--history", dir]);
    assert_self_contained(&html);
    let start = html.find("<h2 id=\"h-history\">").expect("the trend");
    let trend = &html[start..html[start..].find("</section>").unwrap() + start];
    assert!(trend.contains("<svg role=\"img\""));
    assert!(
        trend.contains("2026-01-01: coverage 25.0 %, effective unknown"),
        "{trend}"
    );
    assert_eq!(
        trend.matches("<tr><th scope=\"row\">").count(),
        3,
        "{trend}"
    );
    let oldest = trend.find("2026-01-01T00:00:00Z</th>").unwrap();
    let newest = trend
        .find(&format!(
            "{}</th>",
            summary_of(&second)["generatedAt"].as_str().unwrap()
        ))
        .unwrap();
    assert!(newest < oldest, "most recent first");
    assert!(trend.contains("1 files in the history could not be read as summaries"));
}

#[test]
fn a_history_dir_that_does_not_exist_is_refused_before_any_request() {
    let server = FakeGenAuth::new().record_requests(true).serve().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir");
    let done = run(
        against_url(&server.url())
            .args(["audit", "--all-users", "--history"])
            .arg(&missing),
        b"",
    );
    assert_eq!(done.status.code(), Some(1));
    assert!(
        stderr(&done).contains("is not a directory"),
        "{}",
        stderr(&done)
    );
    assert!(server.fake().requests().is_empty());
}

#[test]
fn hostile_text_in_the_summary_is_shown_as_text_too() {
    // The summary's own strings (department names, IP ranges, roles, a
    // reason, statuses) come from the server or the user as well.
    let audit = audit(None, &["--require", "any"], 3);
    let hostile = "</script><img src=x onerror=alert(1)>\u{2028}\"'`=<!--";
    let mut summary = summary_of(&audit);
    summary["poolEnabledFactors"] = serde_json::json!(["totp", hostile]);
    summary["bypass"] = serde_json::json!({"users": 1, "ips": [hostile]});
    summary["admins"] = serde_json::json!({"roles": [hostile], "users": 2, "withoutEffectiveMfa": 1, "coverage": 0.5});
    summary["byDepartment"] =
        serde_json::json!({hostile: {"users": 5, "withoutEffectiveMfa": 1, "coverage": 0.8}});
    summary["complete"] = false.into();
    summary["incompleteReason"] = hostile.into();
    summary["byStatus"][hostile] = 0.into();
    summary["policy"]["require"] = serde_json::json!([hostile]);
    std::fs::write(&audit.summary, serde_json::to_vec(&summary).unwrap()).unwrap();
    let html = page_of(&audit, &[]);
    assert_self_contained(&html);
    assert!(!html.contains("<!--") && !html.contains('\u{2028}'));
    assert!(
        html.contains("&lt;/script&gt;&lt;img src&#61;x onerror&#61;alert(1)&gt;")
            || html.contains("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;")
    );
    assert_eq!(embedded(&html), summary);
    assert!(html.contains("This audit is incomplete: &lt;/script&gt;"));
}

/// The one file in `dir`.
fn only_file(dir: &Path) -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files.pop().unwrap()
}

#[cfg(unix)]
#[test]
fn a_fifo_in_the_history_dir_is_not_waited_for() {
    // Junk in the history (a FIFO named as a copy, left by anything) must
    // not hang the monthly report: it is no summary, counted as unreadable.
    let audit = audit(None, &[], 0);
    let history = tempfile::tempdir().unwrap();
    let fifo = history
        .path()
        .join("genauth-mfa-summary-20260101T000000Z.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let child = tool()
        .arg("report")
        .arg("--summary")
        .arg(&audit.summary)
        .arg(&audit.output)
        .arg("--history")
        .arg(history.path())
        .arg("-o")
        .arg(audit.page())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let done = wait_output(child, std::time::Duration::from_secs(20));
    assert_eq!(done.status.code(), Some(0), "{}", stderr(&done));
    let html = std::fs::read_to_string(audit.page()).unwrap();
    assert!(html.contains("1 files in the history could not be read as summaries"));
}

#[test]
fn report_o_naming_a_copy_in_the_history_is_refused_and_the_copy_stays() {
    // The copies in --history DIR are files the report reads, as its
    // summary and output are: -o must not replace one with the page.
    let history = tempfile::tempdir().unwrap();
    let dir = history.path().to_str().unwrap();
    let audit = audit(None, &["--history", dir], 0);
    let copy = only_file(history.path());
    let before = std::fs::read(&copy).unwrap();
    let done = report(
        &audit.summary,
        &audit.output,
        &["--history", dir, "-o", copy.to_str().unwrap()],
    );
    assert_eq!(done.status.code(), Some(1), "{}", stderr(&done));
    assert!(
        stderr(&done).contains("one of the files the report reads"),
        "{}",
        stderr(&done)
    );
    assert_eq!(std::fs::read(&copy).unwrap(), before, "the copy is kept");
}

#[test]
fn a_summary_whose_figures_do_not_match_its_counts_is_refused() {
    // The headline shows the summary's coverage: a summary that counts the
    // output's users without MFA but says 100 % must not make a page.
    let audit = audit(None, &[], 0);
    let honest = summary_of(&audit);
    assert!(honest["withoutMfa"].as_u64().unwrap() > 0);
    let lies = [
        ("/coverage", Value::from(1.0)),
        ("/coverage", Value::from(-0.5)),
        ("/coverage", Value::Null),
        ("/users", Value::from(5)),
        // Tables and charts beside the checked counts: 300,000 kinds of
        // error where none failed, statuses for more users than answered.
        (
            "/errors",
            Value::Object((0..300_000).map(|i| (format!("k{i}"), 1.into())).collect()),
        ),
        ("/byStatus/Activated", Value::from(1_000_000)),
    ];
    for (pointer, lie) in lies {
        let mut summary = honest.clone();
        *summary.pointer_mut(pointer).unwrap() = lie;
        std::fs::write(&audit.summary, serde_json::to_vec(&summary).unwrap()).unwrap();
        let done = report(
            &audit.summary,
            &audit.output,
            &["-o", audit.page().to_str().unwrap()],
        );
        assert_eq!(done.status.code(), Some(1), "{pointer}: {}", stderr(&done));
        assert!(
            stderr(&done).contains("does not match"),
            "{}",
            stderr(&done)
        );
        assert!(!audit.page().exists(), "no page for {pointer}");
    }
    // A policy said met beside its violations.
    let audit = self::audit(None, &["--require", "any"], 3);
    let mut summary = summary_of(&audit);
    assert!(summary["policy"]["violations"].as_u64().unwrap() > 0);
    summary["policy"]["met"] = true.into();
    std::fs::write(&audit.summary, serde_json::to_vec(&summary).unwrap()).unwrap();
    let done = report(
        &audit.summary,
        &audit.output,
        &["-o", audit.page().to_str().unwrap()],
    );
    assert_eq!(done.status.code(), Some(1), "{}", stderr(&done));
    assert!(!audit.page().exists());
}

#[test]
fn metrics_naming_the_summary_by_another_path_is_refused_and_the_summary_stays() {
    // `--metrics sub/../summary.json` is `--summary summary.json`, though
    // neither exists yet: the summary must not end replaced by the metrics.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let summary = dir.path().join("summary.json");
    let other = dir.path().join("sub").join("..").join("summary.json");
    let done = run(
        tool()
            .args(["--sandbox", "audit", "--all-users", "--summary"])
            .arg(&summary)
            .arg("--metrics")
            .arg(&other)
            .arg("-o")
            .arg(dir.path().join("audit.jsonl")),
        b"",
    );
    assert_eq!(done.status.code(), Some(1), "{}", stderr(&done));
    assert!(
        stderr(&done).contains("is the --summary file"),
        "{}",
        stderr(&done)
    );
    assert!(!summary.exists(), "nothing written");
    // A dangling symlink to the summary-to-be, the same.
    #[cfg(unix)]
    {
        let link = dir.path().join("metrics.prom");
        std::os::unix::fs::symlink("summary.json", &link).unwrap();
        let done = run(
            tool()
                .args(["--sandbox", "audit", "--all-users", "--summary"])
                .arg(&summary)
                .arg("--metrics")
                .arg(&link)
                .arg("-o")
                .arg(dir.path().join("audit.jsonl")),
            b"",
        );
        assert_eq!(done.status.code(), Some(1), "{}", stderr(&done));
        assert!(!summary.exists(), "nothing written");
    }
}

#[test]
fn every_skip_mfa_ip_range_and_the_whole_incomplete_reason_are_shown() {
    // The warnings are the page's point: 50 IP ranges that skip MFA, or a
    // long reason why the audit is incomplete, must not be cut to 300
    // characters with what follows lost.
    let audit = audit(None, &[], 0);
    let mut summary = summary_of(&audit);
    let ips: Vec<String> = (0..60).map(|i| format!("203.0.113.{i}/32")).collect();
    summary["bypass"] = serde_json::json!({"users": 0, "ips": ips});
    let reason = format!("the listing stopped: {}", "x".repeat(400));
    summary["complete"] = false.into();
    summary["incompleteReason"] = reason.clone().into();
    std::fs::write(&audit.summary, serde_json::to_vec(&summary).unwrap()).unwrap();
    let html = page_of(&audit, &[]);
    for ip in &ips[..50] {
        assert!(
            html.contains(&format!("{ip},")) || html.contains(&format!("{ip} and")),
            "{ip} not shown"
        );
    }
    assert!(
        html.contains(" and 10 more."),
        "the ranges not shown are counted"
    );
    assert!(
        html.contains("Its figures cover only the users it had an answer for."),
        "the incomplete warning is cut"
    );
}

#[cfg(unix)]
#[test]
fn report_o_naming_a_fifo_or_a_device_is_refused_at_once_and_it_stays() {
    // The page is written into a new file renamed over -o: a FIFO or a
    // device there would be replaced by a regular file (as root,
    // `-o /dev/null` would replace the system's /dev/null), and opening a
    // FIFO to compare it with the inputs waited for a writer for ever.
    use std::os::unix::fs::FileTypeExt;
    let audit = audit(None, &[], 0);
    let fifo = audit.dir.path().join("page.fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let mut targets = vec![fifo];
    // A null device of our own, where we may make one (as root).
    let device = audit.dir.path().join("null");
    let made = std::process::Command::new("mknod")
        .arg(&device)
        .args(["c", "1", "3"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if made {
        targets.push(device);
    }
    for target in targets {
        let child = tool()
            .arg("report")
            .arg("--summary")
            .arg(&audit.summary)
            .arg(&audit.output)
            .arg("-o")
            .arg(&target)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let done = wait_output(child, std::time::Duration::from_secs(20));
        assert_eq!(done.status.code(), Some(1), "{}", stderr(&done));
        assert!(
            stderr(&done).contains("not a regular file"),
            "{}",
            stderr(&done)
        );
        let kind = std::fs::symlink_metadata(&target).unwrap().file_type();
        assert!(kind.is_fifo() || kind.is_char_device(), "{target:?} stays");
    }
}

#[cfg(unix)]
#[test]
fn a_page_to_a_closed_stdout_is_a_setup_error_not_a_page_written() {
    // `report ... >&-` (cron with stdout closed): Rust's start-up points a
    // closed stdout at /dev/null, where the page went without an error and
    // the tool said "written to standard output", exit 0.
    let audit = audit(None, &[], 0);
    let done = run(
        std::process::Command::new("sh")
            .arg("-c")
            .arg("exec \"$0\" \"$@\" >&-")
            .arg(genauth_mfa_mocks::binary())
            .arg("report")
            .arg("--summary")
            .arg(&audit.summary)
            .arg(&audit.output),
        b"",
    );
    assert_eq!(done.status.code(), Some(1), "{}", stderr(&done));
    assert!(
        stderr(&done).contains("standard output"),
        "{}",
        stderr(&done)
    );
    assert!(!stderr(&done).contains("written to"), "{}", stderr(&done));
}

/// The sandbox's exemptions for the full audit: user-000004 (EMAIL only,
/// which the pool does not enable) until 10 days from now, the admin
/// user-000005 (SKIP_MFA) expired yesterday, user-000042 (SKIP_MFA) for
/// long, and a user the sandbox does not have.
fn sandbox_exemptions(dir: &Path) -> PathBuf {
    let path = dir.join("exemptions.csv");
    let text = format!(
        "userId,reason,owner,expires\n\
         user-000004,email-only kiosk,it@example.com,{}\n\
         user-000005,break-glass,secops@example.com,{}\n\
         user-000042,service account,platform@example.com,{}\n\
         user-999999,left,hr@example.com,{}\n",
        day(10),
        day(-1),
        day(200),
        day(10)
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_report_of_a_full_audit_shows_effective_coverage_admins_bypasses_departments_and_exemptions()
{
    let files = tempfile::tempdir().unwrap();
    let exemptions = sandbox_exemptions(files.path());
    let audit = audit(
        None,
        &[
            "--admin-role",
            "admin",
            "--admin-role",
            "billing-admin@billing",
            "--exemptions",
            exemptions.to_str().unwrap(),
            "--by",
            "department",
        ],
        0,
    );
    let html = page_of(&audit, &[]);
    assert_self_contained(&html);
    let summary = summary_of(&audit);
    assert_eq!(embedded(&html), summary);
    // Effective coverage, beside coverage.
    let effective = summary["effectiveCoverage"].as_f64().unwrap();
    assert!(
        html.contains(&format!(
            "<dt>Effective coverage</dt><dd class=\"\">{:.1} %</dd>",
            effective * 100.0
        )),
        "effective coverage"
    );
    let without = summary["withoutEffectiveMfa"].as_u64().unwrap();
    assert!(html.contains(&format!("Users without effective MFA ({without})")));
    // The admins: their chart, and first in the table (the SKIP_MFA admin).
    let admins = summary["admins"]["users"].as_u64().unwrap();
    assert!(
        admins > 0 && html.contains("id=\"c-admins-t\""),
        "admins chart"
    );
    let table = &html[html.find("<h2 id=\"h-users\">").unwrap()..];
    let first = table.find("<tr><th scope=\"row\">").unwrap();
    assert!(
        table[first..].starts_with("<tr><th scope=\"row\">user-000005</th>"),
        "an admin first: {}",
        &table[first..first + 200]
    );
    // The bypasses: the SKIP_MFA users and the IP range.
    let skip = summary["bypass"]["users"].as_u64().unwrap();
    assert!(skip > 0);
    assert!(html.contains(&format!(
        "{skip} users are on a WHITE user list with SKIP_MFA"
    )));
    assert!(html.contains("10.0.0.0/8"), "the IP range");
    // The department chart (its text alternative names the largest).
    assert!(html.contains("id=\"c-departments-t\""), "department chart");
    assert!(html.contains("Acme / Engineering / Mobile"));
    // The exemptions: counts, and the table of expired and soon-expiring.
    assert_eq!(summary["exemptions"]["expired"], 1);
    assert!(html.contains("<h2 id=\"h-expiring\">Expired and soon-expiring exemptions (2)</h2>"));
    let expiring = &html[html.find("<h2 id=\"h-expiring\">").unwrap()..];
    let expiring = &expiring[..expiring.find("</section>").unwrap()];
    let expired = expiring.find("user-000005").expect("the expired one");
    let soon = expiring.find("user-000004").expect("the soon-expiring one");
    assert!(expired < soon, "earliest first");
    assert!(expiring.contains("expired yesterday"));
    assert!(expiring.contains("expires in 10 days"));
    assert!(!expiring.contains("user-000042"), "not soon: not listed");
}

#[test]
fn a_summary_whose_without_effective_mfa_differs_from_the_rows_is_refused() {
    let audit = audit(None, &["--admin-role", "admin"], 0);
    let mut summary = summary_of(&audit);
    let without = summary["withoutEffectiveMfa"].as_u64().unwrap();
    summary["withoutEffectiveMfa"] = (without + 1).into();
    std::fs::write(&audit.summary, serde_json::to_vec(&summary).unwrap()).unwrap();
    let done = report(&audit.summary, &audit.output, &["-o", "-"]);
    assert_eq!(done.status.code(), Some(1), "{}", stderr(&done));
    let err = stderr(&done);
    assert!(
        err.contains(&format!(
            "it counts {} users without effective MFA, the output has {without}",
            without + 1
        )),
        "{err}"
    );
    assert!(done.stdout.is_empty());
}

/// The audit's rows say who has effective MFA (`effectiveMfa`) and who is
/// an admin (`admin`): a pool that enables only SMS, whose users have
/// only TOTP, has nobody protected. The page's table must list them as
/// users without effective MFA, the admin marked as one, not "no user
/// without MFA" beside "This output does not say which users have
/// effective MFA".
#[test]
fn the_users_table_lists_the_users_without_effective_mfa_the_rows_name() {
    let server = HttpServer::start_with_body(|target, _body| {
        let ok = |data: &str| {
            format!(r#"{{"statusCode":200,"message":"ok","requestId":"r","data":{data}}}"#)
        };
        if target.starts_with("/api/v3/get-global-mfa-settings") {
            ok(r#"{"enabledFactors":["SMS"]}"#)
        } else if target.starts_with("/api/v3/list-role-members") {
            ok(r#"{"totalCount":1,"list":[{"userId":"u-admin"}]}"#)
        } else if target.starts_with("/api/v3/list-users") {
            ok(
                r#"{"totalCount":2,"list":[{"userId":"u-admin","status":"Activated","createdAt":"2024-01-01T00:00:00Z"},{"userId":"u-plain","status":"Activated","createdAt":"2024-01-02T00:00:00Z"}]}"#,
            )
        } else {
            token_or_user(target, |_| {
                ok(
                    r#"{"totpStatus":"enabled","faceMfaStatus":"disabled","smsMfaStatus":"disabled","emailMfaStatus":"disabled"}"#,
                )
            })
        }
    });
    let audit = audit(Some(&server.url), &["--admin-role", "admin"], 0);
    let rows = std::fs::read_to_string(&audit.output).unwrap();
    assert!(rows.contains(r#""effectiveMfa":false"#), "{rows}");
    let html = page_of(&audit, &[]);
    assert!(html.contains("Users without effective MFA (2)"), "{html}");
    assert!(!html.contains("does not say which users"), "{html}");
    assert!(
        html.contains("u-admin") && html.contains("u-plain"),
        "{html}"
    );
    // The admin first, marked as one.
    let admin = html.find("u-admin").unwrap();
    assert!(admin < html.find("u-plain").unwrap(), "{html}");
}

/// HTML text back to the characters it shows (the references the page's
/// escaping writes).
fn unescape(html: &str) -> String {
    html.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#96;", "`")
        .replace("&#61;", "=")
        .replace("&amp;", "&")
}

/// The section headed `<h2 id="{id}">`, up to its end; `None` when the
/// page has none.
fn section<'a>(html: &'a str, id: &str) -> Option<&'a str> {
    let open = format!("<section aria-labelledby=\"{id}\">");
    let start = html.find(&open)?;
    let end = start + html[start..].find("</section>").expect("a closed section");
    Some(&html[start..end])
}

/// The cells between `<{tag}` and `</{tag}>` in `html`, in order (the
/// first cell of a body row is a `th`).
fn cells(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = ["<th", "<td"].iter().filter_map(|t| rest.find(t)).min() {
        let tag = &rest[start + 1..start + 3];
        let body = start + rest[start..].find('>').unwrap() + 1;
        let end = body + rest[body..].find(&format!("</{tag}>")).unwrap();
        let text = &rest[body..end];
        assert!(!text.contains('<'), "markup in a cell: {text}");
        out.push(unescape(text));
        rest = &rest[end..];
    }
    out
}

/// A table of `html` (the first one whose caption is `caption`): its
/// column headers (each a `<th scope="col">`) and its body rows' cells.
fn table_of(html: &str, caption: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let at = html
        .find(&format!("<caption>{caption}</caption>"))
        .unwrap_or_else(|| panic!("no table {caption:?} in {html}"));
    let table = &html[at..at + html[at..].find("</table>").unwrap()];
    let head = &table[table.find("<thead>").unwrap() + 7..table.find("</thead>").unwrap()];
    assert_eq!(
        head.matches("<th scope=\"col\"").count(),
        head.matches("<th").count()
    );
    let body = &table[table.find("<tbody>").unwrap()..];
    let rows = body
        .split("<tr>")
        .skip(1)
        .map(|row| {
            assert!(row.starts_with("<th scope=\"row\""), "a row header: {row}");
            cells(row)
        })
        .collect();
    (cells(head), rows)
}

/// `--require-admins totp,face` on the sandbox: its SMS-only admins have
/// effective MFA (the pool enables SMS), so the table of users without
/// effective MFA does not list them, yet they fail the admin rule. The
/// page names them in a table of their own, the admin with TOTP and the
/// one an exemption covers left out; the expired exemption of the
/// SKIP_MFA admin covers nobody, so they are named too.
#[test]
fn the_admins_failing_require_admins_are_named_in_a_table_of_their_own() {
    let files = tempfile::tempdir().unwrap();
    let exemptions = files.path().join("exemptions.csv");
    std::fs::write(
        &exemptions,
        format!(
            "userId,reason,owner,expires\n\
             user-000001,sms until the keys arrive,secops@example.com,{}\n\
             user-000005,break-glass,secops@example.com,{}\n",
            day(10),
            day(-1)
        ),
    )
    .unwrap();
    let audit = audit(
        None,
        &[
            "--admin-role",
            "admin",
            "--admin-role",
            "billing-admin@billing",
            "--require-admins",
            "totp,face",
            "--exemptions",
            exemptions.to_str().unwrap(),
        ],
        3,
    );
    let summary = summary_of(&audit);
    let violations = summary["policy"]["adminViolations"].as_u64().unwrap();
    assert!(violations >= 2, "{summary}");
    let html = page_of(&audit, &[]);
    assert_self_contained(&html);
    let part = section(&html, "h-admins-failing").expect("the admins' section");
    assert!(
        part.contains(&format!(
            "<h2 id=\"h-admins-failing\">Admins failing --require-admins totp,face ({violations})</h2>"
        )),
        "{part}"
    );
    let (header, rows) = table_of(part, "Admins failing --require-admins totp,face");
    assert_eq!(
        header,
        [
            "User ID",
            "Username",
            "Email",
            "Last login",
            "Factors enabled",
            "Effective MFA",
            "Exemption"
        ]
    );
    assert_eq!(rows.len() as u64, violations, "{rows:?}");
    let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert!(!ids.contains(&"user-000001"), "exempt: {ids:?}");
    assert!(!ids.contains(&"user-000002"), "has TOTP: {ids:?}");
    let skip = rows
        .iter()
        .find(|r| r[0] == "user-000005")
        .expect("user-000005");
    assert_eq!(skip[5], "no", "SKIP_MFA: no effective MFA");
    assert_eq!(skip[6], format!("expired {}", day(-1)));
    let sms = rows
        .iter()
        .find(|r| r[0] == "user-000003")
        .expect("user-000003");
    assert_eq!(
        sms[1..],
        [
            "user000003",
            "user-000003@example.com",
            "2024-01-02T03:03:00.000Z",
            "sms",
            "yes",
            "none"
        ]
    );
    // The most recent login first.
    let logins: Vec<&str> = rows.iter().map(|r| r[3].as_str()).collect();
    let mut sorted = logins.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(logins, sorted);
}

/// Without `--require-admins` there is no admin rule: no such section.
#[test]
fn without_require_admins_the_page_has_no_admins_failing_section() {
    let audit = audit(None, &["--admin-role", "admin"], 0);
    let html = page_of(&audit, &[]);
    assert!(section(&html, "h-admins-failing").is_none());
}

/// Entries of `--exemptions` for users the audit did not see are named in
/// the summary JSON (at most ten) and on the page beside the expired
/// ones, as text.
#[test]
fn stale_exemption_entries_are_named_in_the_summary_and_on_the_page() {
    let files = tempfile::tempdir().unwrap();
    let exemptions = files.path().join("exemptions.csv");
    let mut text = format!(
        "userId,reason,owner,expires\n\
         user-000005,break-glass,secops@example.com,{}\n\
         <img src=x onerror=alert(1)>,left,\"</td><b>hr</b>\",{}\n",
        day(-1),
        day(20)
    );
    for i in 0..11 {
        text.push_str(&format!("gone-{i:02},left,hr@example.com,{}\n", day(30)));
    }
    std::fs::write(&exemptions, text).unwrap();
    let audit = audit(
        None,
        &[
            "--admin-role",
            "admin",
            "--exemptions",
            exemptions.to_str().unwrap(),
        ],
        0,
    );
    let summary = summary_of(&audit);
    assert_eq!(summary["exemptions"]["unknownUsers"], 12);
    let stale = summary["exemptions"]["stale"].as_array().expect("stale");
    assert_eq!(stale.len(), 10, "{stale:?}");
    assert_eq!(
        stale[0],
        serde_json::json!({"userId": "<img src=x onerror=alert(1)>",
            "owner": "</td><b>hr</b>", "expires": day(20), "line": 3})
    );
    assert_eq!(stale[1]["userId"], "gone-00");
    let html = page_of(&audit, &[]);
    assert_self_contained(&html);
    assert!(!html.contains("<b>hr</b>"), "markup from the file");
    // Beside the expired ones: the next section.
    let expiring = html.find("<h2 id=\"h-expiring\">").unwrap();
    let part = section(&html, "h-stale").expect("the stale entries' section");
    assert!(html.find(part).unwrap() > expiring);
    assert!(
        part.contains("<h2 id=\"h-stale\">Exemptions for users the audit did not see (12)</h2>"),
        "{part}"
    );
    let (header, rows) = table_of(part, "Stale exemption entries, in file order");
    assert_eq!(header, ["User ID", "Owner", "Expires", "Line"]);
    assert_eq!(rows.len(), 10);
    assert_eq!(
        rows[0],
        [
            "<img src=x onerror=alert(1)>",
            "</td><b>hr</b>",
            day(20).as_str(),
            "3"
        ]
    );
    assert_eq!(rows[9][0], "gone-08");
    assert!(part.contains("And 2 more: see --exemptions FILE"), "{part}");
}

/// The trend's runs as its chart labels them (its text alternative, one
/// `LABEL: coverage ..` a run, oldest first).
fn trend_labels(html: &str) -> Vec<String> {
    let open = "<desc id=\"c-history-d\">";
    let start = html.find(open).expect("the trend's desc") + open.len();
    let desc = &html[start..start + html[start..].find("</desc>").unwrap()];
    desc.split("; ")
        .map(|run| unescape(run.split(": coverage").next().unwrap()))
        .collect()
}

/// Two runs on one day (even in one second) get labels of their own: the
/// day alone when it has one run, the time beside it when it has more.
#[test]
fn runs_on_the_same_day_have_distinct_labels_in_the_trend() {
    let history = tempfile::tempdir().unwrap();
    let audit = audit(None, &[], 0);
    let summary = summary_of(&audit);
    for (name, at, coverage) in [
        ("20260201T080000Z", "2026-02-01T08:00:00Z", 0.5),
        ("20260301T100000Z", "2026-03-01T10:00:00Z", 0.6),
        ("20260301T100000Z-2", "2026-03-01T10:00:00Z", 0.62),
        ("20260301T153000Z", "2026-03-01T15:30:00Z", 0.7),
    ] {
        let mut run = summary.clone();
        run["generatedAt"] = at.into();
        run["coverage"] = coverage.into();
        std::fs::write(
            history
                .path()
                .join(format!("genauth-mfa-summary-{name}.json")),
            serde_json::to_vec(&run).unwrap(),
        )
        .unwrap();
    }
    let html = page_of(&audit, &["--history", history.path().to_str().unwrap()]);
    let labels = trend_labels(&html);
    let today = summary["generatedAt"].as_str().unwrap()[..10].to_owned();
    assert_eq!(
        labels,
        [
            "2026-02-01",
            "2026-03-01 10:00:00",
            "2026-03-01 10:00:00 (2)",
            "2026-03-01 15:30:00",
            &today,
        ],
        "{html}"
    );
    // The axis names the first and the last run as the desc does.
    assert!(html.contains(">2026-02-01</text>"));
}
