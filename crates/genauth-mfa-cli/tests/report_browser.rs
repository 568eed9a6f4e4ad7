//! The report in a real browser: headless Chromium, driven by chromedriver
//! over WebDriver on loopback (ureq), opens the pages of a `--sandbox` audit
//! and of a pool with hostile usernames (the fake served on 127.0.0.1), and
//! checks what a reader gets: the DOM shows the summary's numbers, the
//! embedded summary parses and equals the summary file, the hostile names
//! are text (no element made from them), no request left the page (the
//! DevTools network log) and no error reached the console (the browser
//! log). A screenshot is written to `target/report.png` for a person.
//!
//! Chromium is found as `$CHROME`, or `chromium`, `chromium-browser`,
//! `google-chrome` on PATH, chromedriver as `$CHROMEDRIVER` or
//! `chromedriver` (Debian: `apt-get install chromium chromium-driver`;
//! `.ci/run` installs them). Without them the test fails, in CI always;
//! elsewhere `GENAUTH_SKIP_BROWSER=1` skips it, saying so.

mod support;
use support::day;

use genauth_mfa_mocks::*;
use genauth_mfa_testkit::cli_support;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cli_support::*;
use genauth_mfa::{MfaStatus, UserMfaInfo};
use genauth_mfa_fake::{FakeGenAuth, PoolUser};
use serde_json::{Value, json};

const HOSTILE: [&str; 4] = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(2)</script>",
    "\"'><svg onload=alert(3)>",
    "sep\u{2028}arator",
];

/// The first of `names` found on PATH (or `var`'s value).
fn find(var: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(var).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Chromium and chromedriver, or `None` when the test is skipped (said on
/// stderr); panics when they are missing and the test may not skip.
fn browser() -> Option<(PathBuf, PathBuf)> {
    let chrome = find("CHROME", &["chromium", "chromium-browser", "google-chrome"]);
    let driver = find("CHROMEDRIVER", &["chromedriver"]);
    if let (Some(chrome), Some(driver)) = (chrome.clone(), driver.clone()) {
        return Some((chrome, driver));
    }
    let missing = format!(
        "the report's browser test needs Chromium and chromedriver (found: chromium {chrome:?}, \
         chromedriver {driver:?}); on Debian: apt-get install -y chromium chromium-driver"
    );
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if !ci && std::env::var("GENAUTH_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        // Straight to stderr: libtest would hide eprintln! of a passing test.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "\nSKIPPED report_browser (GENAUTH_SKIP_BROWSER=1): {missing}\n"
        );
        return None;
    }
    panic!("{missing} (set GENAUTH_SKIP_BROWSER=1 to skip it outside CI)");
}

/// chromedriver, killed when dropped.
struct Driver {
    child: Child,
    url: String,
    agent: ureq::Agent,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    fn start(path: &Path) -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Loopback only: no proxy from the environment (CI sets a dead one).
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .proxy(None)
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            agent,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while driver.get("/status").pointer("/value/ready") != Some(&json!(true)) {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        driver
    }

    fn answer(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Value {
        match response {
            Ok(mut r) => {
                let text = r
                    .body_mut()
                    .with_config()
                    .limit(64 << 20)
                    .read_to_string()
                    .unwrap();
                serde_json::from_str(&text).unwrap_or(Value::Null)
            }
            Err(_) => Value::Null,
        }
    }

    fn get(&self, path: &str) -> Value {
        Driver::answer(self.agent.get(&format!("{}{path}", self.url)).call())
    }

    fn post(&self, path: &str, body: Value) -> Value {
        let answer = Driver::answer(
            self.agent
                .post(&format!("{}{path}", self.url))
                .header("content-type", "application/json")
                .send(body.to_string()),
        );
        assert!(answer["value"].get("error").is_none(), "{path}: {answer}");
        answer["value"].clone()
    }
}

/// A headless browser session, deleted when dropped.
struct Session<'a> {
    driver: &'a Driver,
    id: String,
    _profile: tempfile::TempDir,
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        let url = format!("{}/session/{}", self.driver.url, self.id);
        let _ = self.driver.agent.delete(&url).call();
    }
}

fn flags(profile: &Path) -> Vec<String> {
    [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,2000",
    ]
    .iter()
    .map(|f| (*f).to_owned())
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect()
}

impl<'a> Session<'a> {
    fn new(driver: &'a Driver, chrome: &Path) -> Session<'a> {
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chrome, "args": flags(profile.path())},
            "goog:loggingPrefs": {"browser": "ALL", "performance": "ALL"},
        }}});
        let value = driver.post("/session", caps);
        let id = value["sessionId"].as_str().expect("a session").to_owned();
        Session {
            driver,
            id,
            _profile: profile,
        }
    }

    fn open(&self, page: &Path) -> String {
        // What the logs held before (the new-tab page's own loads) is read
        // and so cleared.
        self.log("performance");
        self.log("browser");
        let url = format!("file://{}", page.canonicalize().unwrap().display());
        self.driver
            .post(&format!("/session/{}/url", self.id), json!({"url": url}));
        url
    }

    fn eval(&self, script: &str) -> Value {
        let path = format!("/session/{}/execute/sync", self.id);
        self.driver
            .post(&path, json!({"script": script, "args": []}))
    }

    fn log(&self, kind: &str) -> Vec<Value> {
        let path = format!("/session/{}/se/log", self.id);
        let value = self.driver.post(&path, json!({"type": kind}));
        value.as_array().cloned().unwrap_or_default()
    }

    /// The page loaded nothing but itself, and logged no error: every
    /// request made for the page's document (DevTools' documentURL) is
    /// the page itself.
    fn assert_quiet(&self, url: &str) {
        let network: Vec<String> = self
            .log("performance")
            .iter()
            .filter_map(|e| serde_json::from_str::<Value>(e["message"].as_str()?).ok())
            .filter(|m| m["message"]["method"] == "Network.requestWillBeSent")
            .filter(|m| m["message"]["params"]["documentURL"] == url)
            .filter_map(|m| {
                Some(
                    m["message"]["params"]["request"]["url"]
                        .as_str()?
                        .to_owned(),
                )
            })
            .collect();
        assert!(
            !network.is_empty(),
            "the page's own load is in the network log"
        );
        assert!(network.iter().all(|u| u == url), "requests: {network:?}");
        let errors: Vec<Value> = self
            .log("browser")
            .into_iter()
            .filter(|e| e["level"] != "INFO" && e["level"] != "DEBUG")
            .collect();
        assert!(errors.is_empty(), "console: {errors:?}");
    }
}

/// The sandbox audit as an administrator runs it monthly: both admin
/// roles, an exemptions file (one soon-expiring, one expired, one for a
/// user the pool does not have) and the coverage per department.
fn sandbox_audit(dir: &Path) -> Command {
    let exemptions = format!(
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
    std::fs::write(dir.join("exemptions.csv"), exemptions).unwrap();
    let mut c = tool();
    c.args(["--sandbox", "audit", "--require", "any"]);
    c.args([
        "--admin-role",
        "admin",
        "--admin-role",
        "billing-admin@billing",
        "--require-admins",
        "totp,face",
    ]);
    c.args(["--exemptions", "exemptions.csv", "--by", "department"]);
    c
}

/// `audit --all-users --summary S -o O` against `url` (or the sandbox's
/// full audit, [`sandbox_audit`]), then `report`; the summary's JSON and
/// the page's path. The sandbox's audit runs with `--require any` (exit 3:
/// some users have no effective MFA and no exemption), so that the page
/// shows a policy's outcome.
fn audit_and_report(dir: &Path, url: Option<&str>) -> (Value, PathBuf) {
    let mut audit = match url {
        Some(url) => against_url(url),
        None => sandbox_audit(dir),
    };
    if url.is_some() {
        audit.arg("audit");
    }
    audit.current_dir(dir);
    audit.args([
        "--all-users",
        "--summary",
        "summary.json",
        "-o",
        "audit.jsonl",
    ]);
    let done = run(&mut audit, b"");
    let code = if url.is_some() { 0 } else { 3 };
    assert_eq!(done.status.code(), Some(code), "{}", stderr(&done));
    let done = run(
        tool()
            .current_dir(dir)
            .args(["report", "--summary", "summary.json", "audit.jsonl"])
            .args(["-o", "report.html"]),
        b"",
    );
    let (summary, page) = (dir.join("summary.json"), dir.join("report.html"));
    assert_eq!(done.status.code(), Some(0), "{}", stderr(&done));
    (
        serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap(),
        page,
    )
}

/// `page` as a 1280-wide PNG at `target/report.png`, by Chromium itself.
fn screenshot(chrome: &Path, page: &Path) {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("report.png");
    let profile = tempfile::tempdir().unwrap();
    let mut args = flags(profile.path());
    args.retain(|a| !a.starts_with("--window-size"));
    let child = Command::new(chrome)
        .args(args)
        .arg("--window-size=1280,1600")
        .arg(format!("--screenshot={}", target.display()))
        .arg(format!("file://{}", page.canonicalize().unwrap().display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let done = wait_output(child, Duration::from_secs(60));
    assert!(done.status.success() && target.is_file(), "no screenshot");
    eprintln!("screenshot: {}", target.display());
}

#[test]
fn the_report_in_headless_chromium_shows_the_summary_asks_for_nothing_and_keeps_names_as_text() {
    let Some((chrome, driver_path)) = browser() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sandbox_dir = dir.path().join("sandbox");
    let hostile_dir = dir.path().join("hostile");
    std::fs::create_dir_all(&sandbox_dir).unwrap();
    std::fs::create_dir_all(&hostile_dir).unwrap();
    let (summary, page) = audit_and_report(&sandbox_dir, None);
    let fake = FakeGenAuth::new().with_generated_pool(30);
    for (i, name) in HOSTILE.iter().enumerate() {
        fake.add_pool_user(PoolUser::new(&format!("hostile-{i}")).username(name));
    }
    fake.add_pool_user(PoolUser::new("ok").mfa(UserMfaInfo::new().totp(MfaStatus::Enabled)));
    let server = fake.serve().unwrap();
    let (hostile_summary, hostile_page) = audit_and_report(&hostile_dir, Some(&server.url()));

    let driver = Driver::start(&driver_path);
    let session = Session::new(&driver, &chrome);
    for (summary, page) in [(&summary, &page), (&hostile_summary, &hostile_page)] {
        let url = session.open(page);
        let seen = session.eval(
            "return {text: document.body.innerText, \
             embedded: JSON.parse(document.getElementById('genauth-mfa-summary').textContent), \
             made: document.querySelectorAll('img, iframe, object, embed, [onload], [onerror], \
               script:not([type=\"application/json\"])').length, \
             scripts: document.scripts.length, \
             charts: document.querySelectorAll('svg').length, \
             titled: document.querySelectorAll('svg[role=img] > title + desc').length};",
        );
        assert_eq!(&seen["embedded"], summary, "the embedded summary");
        assert_eq!(seen["made"], 0, "no element from the server's text");
        assert_eq!(seen["scripts"], 1);
        assert_eq!(
            seen["charts"], seen["titled"],
            "every chart has a title and a desc"
        );
        let text = seen["text"].as_str().unwrap();
        let users = summary["users"].as_u64().unwrap();
        assert!(
            text.contains(&format!("Users audited\n{users}")),
            "{text:.600}"
        );
        let coverage = summary["coverage"].as_f64().unwrap();
        assert!(text.contains(&format!("Coverage\n{:.1} %", coverage * 100.0)));
        let effective = summary["effectiveCoverage"].as_f64().unwrap();
        assert!(text.contains(&format!("Effective coverage\n{:.1} %", effective * 100.0)));
        let without = summary["withoutEffectiveMfa"].as_u64().unwrap();
        assert!(text.contains(&format!("Users without effective MFA ({without})")));
        session.assert_quiet(&url);
    }
    // The hostile page, opened last.
    let text = session.eval("return document.body.innerText;");
    let text = text.as_str().unwrap();
    for name in &HOSTILE[..3] {
        assert!(text.contains(name), "{name} shown as text");
    }
    assert!(text.contains("sep\\u{2028}arator"));
    // The full audit's sections, as a reader sees them.
    let url = session.open(&page);
    let text = session.eval("return document.body.innerText;");
    let text = text.as_str().unwrap();
    for shown in [
        "Coverage per department",
        "Acme / Engineering / Mobile",
        "10.0.0.0/8",
        "Expired and soon-expiring exemptions (2)",
        "expired yesterday",
        "expires in 10 days",
        "Exemptions for users the audit did not see (1)",
    ] {
        assert!(text.contains(shown), "{shown} in the page");
    }
    // The admins failing --require-admins, and the stale entry, each in a
    // table with column headers, as the reader sees them.
    let failing = summary["policy"]["adminViolations"].as_u64().unwrap();
    assert!(failing > 0);
    assert!(
        text.contains(&format!(
            "Admins failing --require-admins totp,face ({failing})"
        )),
        "the admins failing"
    );
    let tables = session.eval(
        "const rows = (id) => [...document.querySelectorAll(\
           `section[aria-labelledby=${id}] table tbody tr`)]\
           .map((tr) => [...tr.cells].map((c) => c.textContent)); \
         const heads = (id) => [...document.querySelectorAll(\
           `section[aria-labelledby=${id}] table thead th[scope=col]`)].length; \
         return {admins: rows('h-admins-failing'), adminHeads: heads('h-admins-failing'), \
           stale: rows('h-stale'), staleHeads: heads('h-stale')};",
    );
    assert_eq!(tables["admins"].as_array().unwrap().len() as u64, failing);
    assert_eq!(tables["adminHeads"], 7);
    assert_eq!(
        tables["stale"],
        serde_json::json!([["user-999999", "hr@example.com", day(10), "5"]])
    );
    assert_eq!(tables["staleHeads"], 4);
    let admins = summary["admins"]["users"].as_u64().unwrap();
    assert!(text.contains(&format!("Admins: {admins}")), "the admins");
    session.assert_quiet(&url);
    drop(session);
    screenshot(&chrome, &page);
}
