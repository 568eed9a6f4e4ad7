//! Secrets never show: passwords in proxy and host URLs, a key secret the
//! server echoes back, in `Debug`, `Display` and errors.

mod support;

use genauth_mfa::{AuthenticationClient, ManagementClient, http};
use support::*;

/// FINDING: a proxy URL whose password holds an unencoded `/`, `#` or `?`
/// (`http://user:pa/ss@proxy:3128`, common when pasted from a password
/// manager) is refused, and the error and the builder's `Debug` showed the
/// password: `redact_userinfo` took the authority to end at the first `/`.
#[test]
fn a_proxy_password_holding_a_slash_hash_or_question_mark_never_shows() {
    for url in [
        "http://user:pa/ss-SECRETPW@proxy.example:3128",
        "http://user:pa#ss-SECRETPW@proxy.example:3128",
        "http://user:pa?ss-SECRETPW@proxy.example:3128",
        "socks5://user:pa/ss-SECRETPW@proxy.example:1080",
    ] {
        let b = genauth_mfa::UreqTransport::builder().proxy(url);
        let debug = format!("{b:?}");
        let err = b.build().map(|_| ()).unwrap_err();
        let shown = format!("{err} {err:?} {debug}");
        assert!(!shown.contains("SECRETPW"), "{url}: {shown}");
        // (The client builders took a proxy too until 0.4; the transport's
        // builder above is now the only place a proxy URL is given.)
    }
}

/// FINDING: the same leak through a base URL (`.host(..)`), whose
/// refusal quotes the URL.
#[test]
fn a_host_password_holding_a_slash_hash_or_question_mark_never_shows() {
    for url in [
        "https://user:pa/ss-SECRETPW@h.example",
        "https://user:pa#ss-SECRETPW@h.example",
        "https://user:pa?ss-SECRETPW@h.example",
    ] {
        let b = ManagementClient::builder()
            .access_key_id("a")
            .access_key_secret("s")
            .host(url);
        let debug = format!("{b:?}");
        let err = b.build().map(|_| ()).unwrap_err();
        let shown = format!("{err} {err:?} {debug}");
        assert!(!shown.contains("SECRETPW"), "{url}: {shown}");
    }
}

/// FINDING: a server (a gateway, a private deployment) that echoes what it
/// was sent in its error message put the secret in the error: a token
/// request refused with `message: "invalid accessKeySecret sk-..."` gave a
/// Credentials error whose report() showed the access key secret, and an
/// authentication call refused with the access token quoted showed the
/// token. The crate knows its secrets: it must not repeat them.
#[test]
fn a_server_echoing_a_secret_does_not_put_it_in_the_error() {
    let echo = |req: http::Request<Vec<u8>>| {
        let body = String::from_utf8_lossy(req.body()).replace('"', "'");
        let auth = req
            .headers()
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let msg = format!("refused {auth} for {body}");
        let envelope = serde_json::json!({"statusCode": 401, "message": msg, "requestId": msg});
        Ok(http::Response::new(envelope.to_string().into_bytes()))
    };
    let m = ManagementClient::builder()
        .access_key_id("ak-1")
        .access_key_secret(KEY_SECRET)
        .transport(echo)
        .build()
        .unwrap();
    let err = m.get_user_mfa_info("u").send().unwrap_err();
    let shown = format!("{err} | {} | {err:?}", err.report());
    assert!(!shown.contains(KEY_SECRET), "{shown}");
    let a = AuthenticationClient::builder()
        .app_id("a")
        .app_host("https://a.example")
        .access_token(ACCESS_TOKEN)
        .transport(echo)
        .build()
        .unwrap();
    let err = a.list_enrolled_factors().send().unwrap_err();
    let shown = format!("{err} | {} | {err:?}", err.report());
    assert!(!shown.contains(ACCESS_TOKEN), "{shown}");
    // The management token, echoed by a call that is refused.
    let m = ManagementClient::builder()
        .access_key_id("ak-1")
        .access_key_secret(KEY_SECRET)
        .transport(with_token(|req| {
            let auth = req.headers()["authorization"].to_str().unwrap().to_owned();
            (
                403,
                format!(r#"{{"statusCode":403,"message":"forbidden: {auth}"}}"#),
            )
        }))
        .build()
        .unwrap();
    let err = m.get_user_mfa_info("u").send().unwrap_err();
    let shown = format!("{err} | {} | {err:?}", err.report());
    assert!(!shown.contains(T1), "{shown}");
}

#[test]
fn a_password_in_a_base_url_is_never_shown() {
    let builder = ManagementClient::builder()
        .access_key_id("ak")
        .access_key_secret("sk")
        .host("https://admin:hunter2@genauth.internal.example");
    let err = builder.clone().build().unwrap_err();
    for text in [format!("{err}"), format!("{err:?}"), format!("{builder:?}")] {
        assert!(!text.contains("hunter2"), "{text}");
    }
    assert!(
        err.to_string().contains("genauth.internal.example"),
        "{err}"
    );
}
