//! Proxy variables as a company machine sets them. One test in its own
//! binary, because it changes the process environment.

use genauth_mfa_mocks::*;
use genauth_mfa_testkit::common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use common::*;
use genauth_mfa::{AuthenticationClient, ManagementClient, RetryPolicy, TransportErrorKind};
use mockito::Server;

fn set(vars: &[(&str, &str)]) {
    for (k, v) in vars {
        // SAFETY: this binary has one test and no other thread reads the environment.
        unsafe { std::env::set_var(k, v) };
    }
}

/// A "proxy" on 127.0.0.1 that records the first line it is sent, then
/// refuses the tunnel.
fn recording_proxy() -> (String, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        // Read the whole request head (it may come in pieces), bounded.
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        let _ = stream.write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n");
        String::from_utf8_lossy(&head).into_owned()
    });
    (url, handle)
}

#[test]
fn loopback_and_plain_http_never_go_through_a_proxy_and_a_dead_proxy_is_named() {
    let dead = "http://127.0.0.1:9";
    set(&[
        ("ALL_PROXY", dead),
        ("HTTPS_PROXY", dead),
        ("HTTP_PROXY", dead),
    ]);

    // 1. A server on 127.0.0.1, over plain http: straight there, both clients.
    let mut server = Server::new();
    let _f = server
        .mock("GET", "/api/v3/list-enrolled-factors")
        .with_body(r#"{"statusCode":200,"data":[]}"#)
        .create();
    let _t = mock_token(&mut server, T1).create();
    let _m = server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(mockito::Matcher::Any)
        .with_body(SAMPLE_MFA_INFO)
        .create();
    assert!(
        auth_client(&server)
            .list_enrolled_factors()
            .send()
            .unwrap()
            .is_empty()
    );
    mgmt_client(&server).get_user_mfa_info("u").send().unwrap();
    let localhost = server.url().replace("127.0.0.1", "localhost");
    AuthenticationClient::builder()
        .app_id("a")
        .app_host(localhost)
        .access_token(ACCESS_TOKEN)
        .build()
        .unwrap()
        .list_enrolled_factors()
        .send()
        .unwrap();

    // 2. The real service goes through the proxy, and a dead proxy says so,
    //    naming the proxy and the variable it came from (ALL_PROXY wins).
    let remote = ManagementClient::builder()
        .access_key_id(KEY_ID)
        .access_key_secret(KEY_SECRET)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = remote.get_user_mfa_info("u").send().unwrap_err();
    assert_eq!(
        transport_kind(&err),
        Some(TransportErrorKind::Proxy),
        "{err:?}"
    );
    let shown = err.report().to_string();
    assert!(
        shown.contains("proxy http://127.0.0.1:9 (from ALL_PROXY)"),
        "{shown}"
    );

    // 3. An explicit proxy wins over the variables; its password never shows.
    let (url, seen) = recording_proxy();
    let with_password = url.replace("http://", "http://corp-user:s3cret-pw@");
    let transport = genauth_mfa::UreqTransport::builder().proxy(with_password);
    let builder = ManagementClient::builder()
        .access_key_id(KEY_ID)
        .access_key_secret(KEY_SECRET)
        .transport(transport.clone().build().unwrap())
        .retry_policy(RetryPolicy::none());
    let err = builder
        .clone()
        .build()
        .unwrap()
        .get_user_mfa_info("u")
        .send()
        .unwrap_err();
    let first_line = seen.join().unwrap();
    // https is tunnelled: the proxy sees where to, never the secret.
    assert!(
        first_line.starts_with("CONNECT api.genauth.ai:443 "),
        "{first_line}"
    );
    assert!(!first_line.contains(KEY_SECRET), "{first_line}");
    assert_eq!(
        transport_kind(&err),
        Some(TransportErrorKind::Proxy),
        "{err:?}"
    );
    for text in [
        err.report().to_string(),
        format!("{err:?}"),
        format!("{builder:?}"),
        format!("{transport:?}"),
        format!("{:?}", transport.build().unwrap()),
    ] {
        assert!(!text.contains("s3cret-pw"), "{text}");
    }
}
