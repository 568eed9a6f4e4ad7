//! `from_env()` for both clients. One test in its own binary, because it
//! changes the process environment.

use genauth_mfa_mocks::*;
use genauth_mfa_testkit::common;

use std::time::Duration;

use common::*;
use genauth_mfa::{AuthenticationClient, Error, ManagementClient};
use mockito::{Matcher, Server};

fn set(vars: &[(&str, &str)]) {
    for (k, v) in vars {
        // SAFETY: this binary has one test and no other thread reads the environment.
        unsafe { std::env::set_var(k, v) };
    }
}

#[test]
fn both_clients_read_every_genauth_variable() {
    let mut server = Server::new();
    let url = server.url();
    set(&[
        ("GENAUTH_APP_ID", "env-app"),
        ("GENAUTH_APP_HOST", &url),
        ("GENAUTH_ACCESS_TOKEN", ACCESS_TOKEN),
        ("GENAUTH_ACCESS_KEY_ID", KEY_ID),
        ("GENAUTH_ACCESS_KEY_SECRET", KEY_SECRET),
        ("GENAUTH_HOST", &url),
        ("GENAUTH_BRAND", "authing"),
        ("GENAUTH_LANG", "en-US"),
        ("GENAUTH_TENANT_ID", "tenant-env"),
        ("GENAUTH_TIMEOUT", "0.3"),
    ]);

    let factor = server
        .mock("GET", "/api/v3/get-factor")
        .match_query(Matcher::Exact("factorId=f".into()))
        .match_header("x-authing-app-id", "env-app")
        .match_header("authorization", ACCESS_TOKEN)
        .match_header("x-authing-lang", "en-US")
        .match_header("x-authing-app-tenant-id", "tenant-env")
        .with_body(SAMPLE_FACTOR)
        .create();
    AuthenticationClient::from_env()
        .unwrap()
        .get_factor("f")
        .send()
        .unwrap();
    factor.assert();

    let token = mock_token(&mut server, T1)
        .match_header("x-authing-lang", "en-US")
        .match_header("x-authing-app-tenant-id", "tenant-env")
        .create();
    let info = server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(Matcher::Any)
        .match_header("x-authing-userpool-id", POOL)
        .with_body(SAMPLE_MFA_INFO)
        .create();
    let mgmt = ManagementClient::from_env().unwrap();
    mgmt.get_user_mfa_info("u").send().unwrap();
    token.assert();
    info.assert();

    // GENAUTH_TIMEOUT=0.3 bounds each attempt of a slow call.
    let _slow = server
        .mock("GET", "/api/v3/list-enrolled-factors")
        .with_chunked_body(|w| {
            std::thread::sleep(Duration::from_millis(1500));
            w.write_all(b"{}")
        })
        .create();
    let auth = AuthenticationClient::builder()
        .read_env()
        .unwrap()
        .retry_policy(genauth_mfa::RetryPolicy::none())
        .build()
        .unwrap();
    let err = auth.list_enrolled_factors().send().unwrap_err();
    // The answer comes after 1.5 s: a timeout proves the bound cut it.
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");

    // Unreadable values are configuration errors naming the variable.
    for (var, bad) in [
        ("GENAUTH_TIMEOUT", "soon"),
        ("GENAUTH_TIMEOUT", "1e9"),
        ("GENAUTH_TIMEOUT", "1e-10"),
        ("GENAUTH_BRAND", "okta"),
        ("GENAUTH_LANG", "fr"),
    ] {
        let good = std::env::var(var).unwrap();
        set(&[(var, bad)]);
        let err = ManagementClient::from_env().unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{var}: {err:?}");
        assert!(err.to_string().contains(var), "{err}");
        set(&[(var, &good)]);
    }
    // A bad base URL from a variable is a configuration error naming it;
    // set but empty never silently means the public host.
    for (var, bad) in [
        ("GENAUTH_HOST", "api.genauth.ai"),
        ("GENAUTH_APP_HOST", "ftp://x"),
        // A port that is not one is refused, not replaced by 80 or 443.
        ("GENAUTH_HOST", "http://127.0.0.1:99999"),
        ("GENAUTH_APP_HOST", "https://my-app.genauth.ai:44e"),
        ("GENAUTH_HOST", "  "),
        ("GENAUTH_APP_HOST", ""),
    ] {
        let good = std::env::var(var).unwrap();
        set(&[(var, bad)]);
        let err = if var == "GENAUTH_HOST" {
            ManagementClient::from_env().unwrap_err()
        } else {
            AuthenticationClient::from_env().unwrap_err()
        };
        assert!(matches!(err, Error::Config { .. }), "{var}: {err:?}");
        assert!(err.to_string().contains(var), "{err}");
        set(&[(var, &good)]);
    }
    // Every variable set but empty is refused alike, naming it: never
    // silently the default (an empty GENAUTH_CA_FILE dropped the company
    // CA, an empty GENAUTH_TIMEOUT the timeout, while an empty
    // GENAUTH_HOST was refused).
    for var in [
        "GENAUTH_TIMEOUT",
        "GENAUTH_CA_FILE",
        "GENAUTH_BRAND",
        "GENAUTH_LANG",
        "GENAUTH_TENANT_ID",
        "GENAUTH_ACCESS_KEY_ID",
        "GENAUTH_ACCESS_KEY_SECRET",
        "GENAUTH_APP_ID",
        "GENAUTH_ACCESS_TOKEN",
    ] {
        for blank in ["", " \t"] {
            let good = std::env::var_os(var);
            set(&[(var, blank)]);
            let err = if var.contains("KEY") {
                ManagementClient::from_env().unwrap_err()
            } else {
                AuthenticationClient::from_env().unwrap_err()
            };
            assert!(matches!(err, Error::Config { .. }), "{var}: {err:?}");
            let text = err.to_string();
            assert!(text.contains(&format!("{var} is set but empty")), "{text}");
            match good {
                // SAFETY: as in `set`.
                Some(good) => unsafe { std::env::set_var(var, good) },
                None => unsafe { std::env::remove_var(var) },
            }
        }
    }
    // Setters called after read_env win.
    let overridden = AuthenticationClient::builder()
        .read_env()
        .unwrap()
        .app_id("other")
        .build()
        .unwrap();
    assert!(format!("{overridden:?}").contains("\"other\""));
}
