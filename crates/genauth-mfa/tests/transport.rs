//! The default transport against raw loopback servers this file starts: what
//! goes over the wire for a long request head, a kept-alive connection the
//! server drops when the next request arrives, and a host that does not
//! resolve.

use genauth_mfa_testkit::common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use genauth_mfa::{AuthenticationClient, Error, RetryPolicy, TransportErrorKind};

/// What a raw server saw: each request head, and how many connections.
#[derive(Default)]
struct Seen {
    heads: Mutex<Vec<String>>,
    connections: AtomicUsize,
}

/// Reads one request head (and no body: these are GETs); `None` at EOF.
fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<String> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end + 4]).into_owned();
            buf.drain(..end + 4);
            return Some(head);
        }
        if buf.len() > 1024 * 1024 {
            return None;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn answer(stream: &mut TcpStream) -> std::io::Result<()> {
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{}",
        SAMPLE_FACTOR.len(),
        SAMPLE_FACTOR
    );
    stream.write_all(response.as_bytes())
}

/// A keep-alive HTTP/1.1 server on 127.0.0.1 answering the sample factor.
/// With `stale_after`, each connection answers that many requests, then,
/// when the next request arrives, closes without a byte of answer: a load
/// balancer whose idle timeout ran out just as the client reused the
/// connection. Serves `connections` connections, then stops.
fn server(connections: usize, stale_after: Option<usize>) -> (String, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Seen::default());
    let record = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(connections) {
            let Ok(mut stream) = stream else { return };
            record.connections.fetch_add(1, Ordering::SeqCst);
            let record = Arc::clone(&record);
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let mut buf = Vec::new();
                let mut answered = 0;
                while let Some(head) = read_head(&mut stream, &mut buf) {
                    record.heads.lock().unwrap().push(head);
                    if stale_after == Some(answered) {
                        // Drop it with the request unanswered.
                        return;
                    }
                    if answer(&mut stream).is_err() {
                        return;
                    }
                    answered += 1;
                }
            });
        }
    });
    (url, seen)
}

fn client(url: &str, token: &str) -> AuthenticationClient {
    AuthenticationClient::builder()
        .app_id("app-1")
        .app_host(url)
        .access_token(token)
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

#[test]
fn a_long_request_head_is_sent_whole_or_refused_as_a_request_error_naming_the_line() {
    let (url, seen) = server(8, None);
    // A 12 KiB token and a 1,500-character CJK id (13.5 KB percent-encoded)
    // go out whole.
    let token = "t".repeat(12 * 1024);
    let id = "认".repeat(1500);
    client(&url, &token).get_factor(&id).send().unwrap();
    let heads = seen.heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 1);
    assert!(heads[0].contains(&format!("\r\nauthorization: {token}\r\n")));
    assert!(heads[0].contains(&"%E8%AE%A4".repeat(1500)));

    // Over the limit: a Request error that says which line, never its value,
    // and nothing reaches the server.
    for (token, id, line) in [
        ("t".repeat(40 * 1024), "f".to_owned(), "authorization"),
        ("t".to_owned(), "认".repeat(5000), "request line"),
    ] {
        let err = client(&url, &token).get_factor(&id).send().unwrap_err();
        assert_eq!(
            transport_kind(&err),
            Some(TransportErrorKind::Request),
            "{err:?}"
        );
        let shown = err.report().to_string();
        assert!(
            shown.contains(line) && shown.contains("too long"),
            "{shown}"
        );
        assert!(!shown.contains("tttttttt"), "{shown}");
        assert!(matches!(err, Error::Transport { .. }));
    }
    assert_eq!(seen.heads.lock().unwrap().len(), 1);
}

#[test]
fn a_kept_alive_connection_dropped_by_the_server_is_replaced_at_once_without_an_attempt() {
    // Every connection answers one request and drops the next: each call
    // after the first meets a stale connection. With retries off, a single
    // failure would show.
    let (url, seen) = server(64, Some(1));
    let client = client(&url, ACCESS_TOKEN);
    for i in 0..20 {
        let factor = client.get_factor(format!("f{i}")).send();
        assert!(factor.is_ok(), "call {i}: {factor:?}");
    }
    // On the wire: call 1 once; each later call on the stale connection
    // (unanswered), then again on a new connection.
    let heads = seen.heads.lock().unwrap().clone();
    let paths: Vec<&str> = heads.iter().map(|h| h.split(' ').nth(1).unwrap()).collect();
    let mut expected = vec!["/api/v3/get-factor?factorId=f0".to_owned()];
    for i in 1..20 {
        expected.push(format!("/api/v3/get-factor?factorId=f{i}"));
        expected.push(format!("/api/v3/get-factor?factorId=f{i}"));
    }
    assert_eq!(paths, expected);
    assert_eq!(seen.connections.load(Ordering::SeqCst), 20);

    // Eight threads sharing the client, each connection stale after its
    // first answer: no failure, and a stale hit never leads to a second
    // stale connection (the retry goes on a new one).
    let (url, seen) = server(1000, Some(1));
    let client = self::client(&url, ACCESS_TOKEN);
    let failures = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..8 {
            let client = &client;
            let failures = &failures;
            s.spawn(move || {
                for i in 0..10 {
                    if let Err(e) = client.get_factor(format!("t{t}-{i}")).send() {
                        eprintln!("t{t}-{i}: {}", e.report());
                        failures.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    assert_eq!(failures.load(Ordering::SeqCst), 0);
    let heads = seen.heads.lock().unwrap().len();
    assert!((80..=160).contains(&heads), "{heads} requests for 80 calls");
}

#[test]
fn a_connection_that_fails_on_its_first_request_is_not_retried_behind_the_policy() {
    // A server that drops every request unanswered: a fresh connection's
    // failure is the server's, and only the retry policy repeats it.
    let (url, seen) = server(8, Some(0));
    let err = client(&url, ACCESS_TOKEN)
        .get_factor("f")
        .send()
        .unwrap_err();
    assert_eq!(
        transport_kind(&err),
        Some(TransportErrorKind::ConnectionClosed),
        "{err:?}"
    );
    assert_eq!(err.attempts(), 1);
    assert_eq!(seen.heads.lock().unwrap().len(), 1);
    assert_eq!(seen.connections.load(Ordering::SeqCst), 1);
}

#[test]
fn a_host_name_that_does_not_resolve_is_a_connect_error_and_retried() {
    // A 64-character label: the resolver refuses it locally, so no DNS
    // query leaves this machine.
    let url = format!("http://{}.example:1", "a".repeat(64));
    let client = AuthenticationClient::builder()
        .app_id("app-1")
        .app_host(url)
        .access_token(ACCESS_TOKEN)
        .allow_insecure_http(true)
        .retry_policy(
            RetryPolicy::default()
                .with_initial_backoff(Duration::from_millis(10))
                .with_max_backoff(Duration::from_millis(20)),
        )
        .build()
        .unwrap();
    let err = client.get_factor("f").send().unwrap_err();
    assert_eq!(
        transport_kind(&err),
        Some(TransportErrorKind::Connect),
        "{err:?}"
    );
    assert_eq!(err.attempts(), 3);
    assert!(
        err.report().to_string().contains("did not resolve"),
        "{}",
        err.report()
    );
}

#[test]
fn a_connect_failure_names_the_host_it_could_not_reach() {
    // A new user with a typo in GENAUTH_HOST saw only "could not connect
    // (after 3 attempts): io: Connection refused", not which host.
    let url = common::closed_port_url();
    let host = url.trim_start_matches("http://").to_owned();
    let client = genauth_mfa::AuthenticationClient::builder()
        .app_id("app")
        .app_host(&url)
        .access_token("t")
        .retry_policy(genauth_mfa::RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.list_enrolled_factors().send().unwrap_err();
    let text = err.report().to_string();
    assert!(
        text.contains(&format!("could not connect to {host}")),
        "{text}"
    );
}
