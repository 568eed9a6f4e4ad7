//! Settings from the environment and the builders: odd values and line
//! breaks in `GENAUTH_*` variables are configuration errors naming the
//! variable (each case in a child process of this test binary, so the
//! process environment is never changed), and blank settings are refused.

use genauth_mfa::{AuthenticationClient, Error, ManagementClient};
use std::thread;
use std::time::{Duration, Instant};

/// Runs `env_child` in a new process of this test binary with `vars` set
/// (the rest of the environment cleared of GENAUTH_* and proxy variables),
/// within 20 s; returns its stdout.
fn in_child(vars: &[(&str, &str)]) -> String {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "env_child", "--nocapture", "--test-threads", "1"]);
    for (k, _) in std::env::vars() {
        if k.starts_with("GENAUTH_")
            || k.to_ascii_lowercase().ends_with("_proxy")
            || k.starts_with("SSL_CERT")
        {
            cmd.env_remove(k);
        }
    }
    cmd.env("ENV_TEST_CHILD", "1");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("the child hung with {vars:?}");
        }
        thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "child failed with {vars:?}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn base_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("GENAUTH_APP_ID", "app"),
        ("GENAUTH_APP_HOST", "https://a.example"),
        ("GENAUTH_ACCESS_TOKEN", "tok"),
        ("GENAUTH_ACCESS_KEY_ID", "ak"),
        ("GENAUTH_ACCESS_KEY_SECRET", "sk"),
    ]
}

/// Each `(variable, value, clients)` set on top of `base_env()` must make
/// `from_env()` of those clients fail with a Config error naming the variable.
fn config_errors_naming(cases: Vec<(&str, &str, &[&str])>) {
    let mut wrong = Vec::new();
    for (var, value, clients) in cases {
        let mut vars = base_env();
        vars.push((var, value));
        let out = in_child(&vars);
        for line in out
            .lines()
            .filter_map(|l| l.split_once("RESULT ").map(|(_, r)| r))
        {
            let (client, rest) = line.split_once(' ').unwrap();
            if !clients.contains(&client) {
                continue;
            }
            if !(rest.starts_with("config ") && rest.contains(var)) {
                wrong.push(format!("{var}={value:?} {client}: {rest}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "not a Config error naming the variable:\n{}",
        wrong.join("\n")
    );
}

/// The child of `in_child`: builds both clients from the environment and
/// prints each outcome on a line `RESULT <client> <kind> <message>`.
#[test]
fn env_child() {
    if std::env::var_os("ENV_TEST_CHILD").is_none() {
        return;
    }
    let show = |r: genauth_mfa::Result<()>| match r {
        Ok(()) => "ok -".to_owned(),
        Err(e) => format!("{} {}", e.kind(), e.report()),
    };
    println!(
        "RESULT auth {}",
        show(AuthenticationClient::from_env().map(|_| ()))
    );
    println!(
        "RESULT mgmt {}",
        show(ManagementClient::from_env().map(|_| ()))
    );
}

#[test]
fn held_odd_environment_values_are_config_errors_naming_the_variable() {
    // Removed with the FIFO in it when the test ends, or fails.
    let temp = tempfile::tempdir().unwrap();
    let fifo = temp.path().join("attack-fifo");
    let made_fifo = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    let fifo_s: &'static str = Box::leak(fifo.display().to_string().into_boxed_str());
    let dir: &'static str = Box::leak(temp.path().display().to_string().into_boxed_str());
    let mut cases: Vec<(&str, &str, &[&str])> = vec![
        ("GENAUTH_TIMEOUT", "1e400", &["auth", "mgmt"]),
        ("GENAUTH_TIMEOUT", "0x10", &["auth", "mgmt"]),
        ("GENAUTH_TIMEOUT", "-0", &["auth", "mgmt"]),
        ("GENAUTH_CA_FILE", "/dev/zero", &["auth", "mgmt"]),
        ("GENAUTH_CA_FILE", dir, &["auth", "mgmt"]),
        ("GENAUTH_CA_FILE", "/nonexistent/ca.pem", &["auth", "mgmt"]),
        ("SSL_CERT_FILE", "/dev/zero", &["auth", "mgmt"]),
        ("SSL_CERT_DIR", "/dev/null", &["auth", "mgmt"]),
        ("HTTPS_PROXY", "socks5://127.0.0.1:99999", &["auth", "mgmt"]),
        ("ALL_PROXY", "garbage://x", &["auth", "mgmt"]),
        ("HTTP_PROXY", ":99999", &["auth", "mgmt"]),
        ("GENAUTH_BRAND", "GenAuth\u{202e}", &["auth", "mgmt"]),
    ];
    if made_fifo {
        cases.push(("GENAUTH_CA_FILE", fifo_s, &["auth", "mgmt"]));
    }
    config_errors_naming(cases);
}

/// FINDING: the README and the crate docs say a variable that is set but
/// cannot be used is an `Error::Config` that names it. A line break (or any
/// control character) in `GENAUTH_TENANT_ID`, `GENAUTH_APP_ID` or
/// `GENAUTH_ACCESS_TOKEN` was an `InvalidArgument` naming the setter
/// (`tenant_id`), whose documented advice is "fix the calling code".
#[test]
fn a_header_variable_with_a_line_break_is_a_config_error_naming_it() {
    config_errors_naming(vec![
        ("GENAUTH_TENANT_ID", "t\r\nx-evil: 1", &["auth", "mgmt"]),
        ("GENAUTH_APP_ID", "app\r\nx-evil: 1", &["auth"]),
        ("GENAUTH_ACCESS_TOKEN", "tok\r\nx-evil: 1", &["auth"]),
    ]);
}

// ---- configuration hygiene ----

#[test]
fn blank_settings_are_refused() {
    let auth = || {
        AuthenticationClient::builder()
            .app_id("a")
            .app_host("https://h.genauth.ai")
            .access_token("t")
    };
    let mgmt = || {
        ManagementClient::builder()
            .access_key_id("ak")
            .access_key_secret("sk")
    };
    for err in [
        auth().app_id("  ").build().unwrap_err(),
        auth().access_token(" ").build().unwrap_err(),
        auth().tenant_id("").build().unwrap_err(),
        mgmt().access_key_id(" ").build().unwrap_err(),
        mgmt().access_key_secret("  ").build().unwrap_err(),
        mgmt().tenant_id(" ").build().unwrap_err(),
    ] {
        assert!(
            matches!(err, Error::Config { .. } | Error::InvalidArgument { .. }),
            "{err:?}"
        );
    }
}
