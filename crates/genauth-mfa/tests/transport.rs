//! The default transport on the wire, against raw loopback servers and a
//! `FaultServer`: long request heads, kept-alive connections (reused, dropped
//! by the server, or holding an answer nobody asked for), bodies cut short,
//! too large or inflating, HTTP framing that lies, and hosts that do not
//! resolve or refuse.

mod support;

use common::*;
use fault::{Fault, FaultServer};
use genauth_mfa::{
    AuthenticationClient, Error, ManagementClient, RetryPolicy, TransportErrorKind, UreqTransport,
    http,
};
use genauth_mfa_testkit::{common, fault};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};
use support::*;

/// A gzip member (no trailer) that inflates to about `runs * 258` zero
/// bytes: fixed-Huffman deflate, one literal 0 then `<258, 1>` copies.
fn gzip_bomb(runs: usize) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u32,
        n: u32,
    }
    impl Bits {
        fn lsb(&mut self, value: u32, count: u32) {
            for i in 0..count {
                self.acc |= ((value >> i) & 1) << self.n;
                self.n += 1;
                if self.n == 8 {
                    self.out.push(self.acc as u8);
                    self.acc = 0;
                    self.n = 0;
                }
            }
        }
        fn msb(&mut self, code: u32, count: u32) {
            for i in (0..count).rev() {
                self.lsb((code >> i) & 1, 1);
            }
        }
    }
    let mut b = Bits {
        out: vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff],
        acc: 0,
        n: 0,
    };
    b.lsb(1, 1); // BFINAL
    b.lsb(1, 2); // fixed Huffman
    b.msb(0x30, 8); // literal 0
    for _ in 0..runs {
        b.msb(0xc5, 8); // length 258
        b.msb(0, 5); // distance 1
    }
    b.msb(0, 7); // end of block
    b.lsb(0, 7);
    b.out
}

fn genauth_mfa_kind(err: &Error) -> Option<genauth_mfa::TransportErrorKind> {
    match err {
        Error::Transport { source, .. } | Error::Timeout { source, .. } => Some(source.kind()),
        _ => None,
    }
}

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
fn held_max_idle_connections_usize_max_works() {
    let server = always(http_ok(FACTORS_OK));
    let r = within(20, move || {
        AuthenticationClient::builder()
            .app_id("a")
            .app_host(&server.url)
            .access_token("t")
            .transport(
                UreqTransport::builder()
                    .max_idle_connections(usize::MAX)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
            .list_enrolled_factors()
            .send()
            .map(|_| ())
    });
    r.unwrap();
}

#[test]
fn held_a_content_length_of_a_tebibyte_is_refused_without_allocating_it() {
    for limit in [None, Some(u64::MAX)] {
        let server = scripted(|mut s, _| {
            if read_request(&mut s).is_some() {
                let _ = s.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 1099511627776\r\n\r\n{\"statusCode\":200",
                );
                thread::sleep(Duration::from_secs(3));
            }
        });
        let r = within(20, move || {
            let mut b = AuthenticationClient::builder()
                .app_id("a")
                .app_host(&server.url)
                .access_token("t")
                .retry_policy(RetryPolicy::none())
                .timeout(Duration::from_secs(2));
            if let Some(l) = limit {
                b = b.transport(
                    UreqTransport::builder()
                        .max_response_bytes(l)
                        .build()
                        .unwrap(),
                );
            }
            b.build()
                .unwrap()
                .list_enrolled_factors()
                .send()
                .map(|_| ())
        });
        eprintln!("{limit:?}: {r:?}");
        assert!(r.is_err());
    }
}

#[test]
fn held_http_framing_lies_end_in_an_error_or_an_answer_never_a_panic_or_hang() {
    for answer in [
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n-1\r\n{}\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\ncontent-length: 99999999999999999999999\r\n\r\n{}",
        "HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n{}",
        "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        "HTTP/1.1 103 Early Hints\r\nlink: </x>\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 43\r\n\r\n{\"statusCode\":200,\"message\":\"ok\",\"data\":[]}",
        "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\n",
        "HTTP/1.1 204 No Content\r\ncontent-length: 43\r\n\r\n{\"statusCode\":200,\"message\":\"ok\",\"data\":[]}",
        "HTTP/1.1 304 Not Modified\r\n\r\n",
        "HTTP/1.0 200 OK\r\n\r\n{\"statusCode\":200,\"message\":\"ok\",\"data\":[]}",
        "HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: 10\r\n\r\nnot-gzip!!",
        "HTTP/1.1 999 Nine\r\ncontent-length: 2\r\n\r\n{}",
        "HTTP/1.1 200\r\ncontent-length: 2\r\n\r\n{}",
        "HTTP/2 200\r\ncontent-length: 2\r\n\r\n{}",
        "\r\n\r\n",
        "HTTP/1.1 200 OK\r\nx: \x00\x01\x7f\r\ncontent-length: 2\r\n\r\n{}",
        "HTTP/1.1 200 OK\r\n folded: yes\r\ncontent-length: 2\r\n\r\n{}",
        "HTTP/1.1 301 Moved\r\nlocation: \x1b[31mhttps://evil.example/\u{202e}\r\ncontent-length: 0\r\n\r\n",
    ] {
        let server = scripted(move |mut s, _| {
            if read_request(&mut s).is_some() {
                let _ = s.write_all(answer.as_bytes());
                thread::sleep(Duration::from_millis(1500));
            }
        });
        let (took, r) = within(30, move || {
            let c = AuthenticationClient::builder()
                .app_id("a")
                .app_host(&server.url)
                .access_token("t")
                .retry_policy(RetryPolicy::none())
                .timeout(Duration::from_secs(1))
                .build()
                .unwrap();
            let t = Instant::now();
            let r = c.list_enrolled_factors().send().map(|_| ());
            (t.elapsed(), r)
        });
        let shown = match &r {
            Ok(()) => "ok".to_owned(),
            Err(e) => format!("{} / {}", e.kind(), e.report()),
        };
        eprintln!("{answer:?}\n   -> {took:?} {shown}");
    }
}

#[test]
fn held_an_extra_unrequested_response_is_not_taken_for_the_next_call() {
    // Connection 0 answers the first request with alice's info plus an
    // unrequested second answer; the next request must not get that one.
    let mallory = r#"{"statusCode":200,"message":"ok","data":{"totpStatus":true,"faceMfaStatus":true,"smsMfaStatus":true,"emailMfaStatus":true}}"#;
    let token = token_json(T1, "7200");
    let server = scripted(move |mut s, _| {
        let mut n = 0;
        while let Some(req) = read_request(&mut s) {
            let answer = if req.contains("get-management-token") {
                http_ok(&token)
            } else if n == 0 {
                n += 1;
                format!("{}{}", http_ok(MFA_OK), http_ok(mallory))
            } else {
                http_ok(MFA_OK)
            };
            if s.write_all(answer.as_bytes()).is_err() {
                return;
            }
        }
    });
    let url = server.url.clone();
    let (a, b) = within(20, move || {
        let c = mgmt(&url).build().unwrap();
        let a = c.get_user_mfa_info("alice").send();
        let b = c.get_user_mfa_info("bob").send();
        (a, b)
    });
    eprintln!("{a:?}\n{b:?}");
    let b = b.unwrap();
    assert!(
        !b.totp.is_enabled() || !b.sms.is_enabled(),
        "bob got mallory's answer: {b:?}"
    );
}

#[test]
fn held_an_unsolicited_answer_on_an_idle_connection_is_not_the_next_calls_answer() {
    // After answering, the server sends an unsolicited 408 on the idle
    // kept-alive connection and closes it (what some servers do at their
    // idle timeout); later calls open new connections and get real answers.
    let server = scripted(move |mut s, n| {
        if n == 0 {
            if read_request(&mut s).is_some() {
                let _ = s.write_all(http_ok(FACTORS_OK).as_bytes());
                thread::sleep(Duration::from_millis(100));
                let _ = s.write_all(b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
            }
            return;
        }
        while read_request(&mut s).is_some() {
            if s.write_all(http_ok(FACTORS_OK).as_bytes()).is_err() {
                return;
            }
        }
    });
    let url = server.url.clone();
    let (a, b) = within(20, move || {
        let c = auth(&url);
        let a = c.list_enrolled_factors().send().map(|_| ());
        thread::sleep(Duration::from_millis(400));
        let b = c.list_enrolled_factors().send().map(|_| ());
        (a, b)
    });
    a.unwrap();
    b.unwrap();
}

#[test]
fn held_a_late_unsolicited_answer_on_a_kept_connection_is_not_the_next_calls_answer() {
    let mallory = r#"{"statusCode":200,"message":"ok","data":{"totpStatus":true,"faceMfaStatus":true,"smsMfaStatus":true,"emailMfaStatus":true}}"#;
    let token = token_json(T1, "7200");
    let server = scripted(move |mut s, _| {
        let mut n = 0;
        while let Some(req) = read_request(&mut s) {
            let answer = if req.contains("get-management-token") {
                http_ok(&token)
            } else {
                http_ok(MFA_OK)
            };
            if s.write_all(answer.as_bytes()).is_err() {
                return;
            }
            if !req.contains("get-management-token") && n == 0 {
                n += 1;
                thread::sleep(Duration::from_millis(100));
                let _ = s.write_all(http_ok(mallory).as_bytes());
            }
        }
    });
    let url = server.url.clone();
    let b = within(20, move || {
        let c = mgmt(&url).build().unwrap();
        c.get_user_mfa_info("alice").send().unwrap();
        thread::sleep(Duration::from_millis(400));
        c.get_user_mfa_info("bob").send()
    });
    let b = b.unwrap();
    assert!(!b.sms.is_enabled(), "bob got the unsolicited answer: {b:?}");
}

#[test]
fn held_a_gzip_bomb_is_refused_at_the_body_limit_on_inflated_bytes() {
    let bomb = gzip_bomb(400_000); // ~100 MiB inflated, ~650 KB on the wire
    let mut answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\ncontent-length: {}\r\n\r\n",
        bomb.len()
    )
    .into_bytes();
    answer.extend_from_slice(&bomb);
    let answer: &'static [u8] = Box::leak(answer.into_boxed_slice());
    let server = scripted(move |mut s, _| {
        if read_request(&mut s).is_some() {
            let _ = s.write_all(answer);
        }
    });
    let r = within(30, move || {
        AuthenticationClient::builder()
            .app_id("a")
            .app_host(&server.url)
            .access_token("t")
            .retry_policy(RetryPolicy::none())
            .transport(
                UreqTransport::builder()
                    .max_response_bytes(1024 * 1024)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
            .list_enrolled_factors()
            .send()
            .map(|_| ())
    });
    let err = r.unwrap_err();
    assert_eq!(
        genauth_mfa_kind(&err),
        Some(genauth_mfa::TransportErrorKind::BodyTooLarge),
        "{}",
        err.report()
    );
}

#[test]
fn held_the_default_transport_refuses_odd_requests_without_panicking() {
    use genauth_mfa::Transport;
    let t = UreqTransport::builder()
        .no_proxy()
        .connect_timeout(Duration::from_millis(300))
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let server = always(http_ok(FACTORS_OK));
    let mut cases: Vec<http::Request<Vec<u8>>> = vec![
        http::Request::get("/relative").body(Vec::new()).unwrap(),
        http::Request::get("ftp://127.0.0.1/x")
            .body(Vec::new())
            .unwrap(),
        http::Request::get("http://127.0.0.1:0/x")
            .body(Vec::new())
            .unwrap(),
        http::Request::builder()
            .method("CONNECT")
            .uri(format!("{}/x", server.url))
            .body(Vec::new())
            .unwrap(),
        http::Request::builder()
            .method("TRACE")
            .uri(format!("{}/x", server.url))
            .body(b"body on a trace".to_vec())
            .unwrap(),
        http::Request::get(format!("{}/x", server.url))
            .version(http::Version::HTTP_2)
            .body(Vec::new())
            .unwrap(),
        http::Request::get(format!("{}/x", server.url))
            .version(http::Version::HTTP_09)
            .body(Vec::new())
            .unwrap(),
    ];
    let mut many = http::Request::get(format!("{}/x", server.url))
        .body(Vec::new())
        .unwrap();
    for i in 0..2000 {
        many.headers_mut().append(
            http::HeaderName::from_bytes(format!("x-h{i}").as_bytes()).unwrap(),
            http::HeaderValue::from_static("v"),
        );
    }
    cases.push(many);
    let mut with_deadline_past = http::Request::get(format!("{}/x", server.url))
        .body(Vec::new())
        .unwrap();
    with_deadline_past
        .extensions_mut()
        .insert(genauth_mfa::Deadline(
            Instant::now() - Duration::from_secs(1),
        ));
    cases.push(with_deadline_past);
    within(30, move || {
        for req in cases {
            let what = format!("{} {} {:?}", req.method(), req.uri(), req.version());
            let r = t.send(req);
            eprintln!(
                "{what} -> {:?}",
                r.as_ref().map(|r| r.status()).map_err(|e| e.to_string())
            );
        }
    });
}

#[test]
fn headers_then_close_mid_body_is_a_transport_error_not_retried() {
    let server = FaultServer::start(vec![Fault::HeadersThenClose], fault_ok());
    let result = fault_call(&server);
    let err = result.unwrap_err();
    assert_eq!(
        transport_kind(&err),
        Some(TransportErrorKind::Body),
        "{err:?}"
    );
    assert_eq!(err.attempts(), 1);
    assert_eq!(server.requests(), 1);
}

#[test]
fn a_truncated_chunked_body_is_a_transport_error_not_retried() {
    let server = FaultServer::start(vec![Fault::TruncatedChunked], fault_ok());
    let result = fault_call(&server);
    let err = result.unwrap_err();
    assert_eq!(
        transport_kind(&err),
        Some(TransportErrorKind::Body),
        "{err:?}"
    );
    assert_eq!(server.requests(), 1);
}

#[test]
fn sequential_calls_reuse_one_connection() {
    let server = FaultServer::start(vec![], fault_ok());
    let client = fault_client(&server);
    for _ in 0..20 {
        client.get_factor("f").send().unwrap();
    }
    assert_eq!(server.requests(), 20);
    assert_eq!(server.connections(), 1);
}

#[test]
fn the_token_request_and_the_calls_share_one_connection_and_the_token_post_is_retried() {
    let server = FaultServer::start(
        vec![
            Fault::json(503, r#"{"statusCode":503,"message":"busy"}"#),
            Fault::json(200, &token_body(T1, 7200)),
        ],
        Fault::json(200, SAMPLE_MFA_INFO),
    );
    let mgmt = ManagementClient::builder()
        .access_key_id(KEY_ID)
        .access_key_secret(KEY_SECRET)
        .host(server.url())
        .retry_policy(quick_retries())
        .build()
        .unwrap();
    for i in 0..5 {
        mgmt.get_user_mfa_info(format!("user-{i}")).send().unwrap();
    }
    let heads = server.request_heads();
    assert!(
        heads[0].starts_with("POST /api/v3/get-management-token "),
        "{}",
        heads[0]
    );
    assert!(
        heads[1].starts_with("POST /api/v3/get-management-token "),
        "{}",
        heads[1]
    );
    assert!(
        heads[2].starts_with("GET /api/v3/get-user-mfa-info?userId=user-0 "),
        "{}",
        heads[2]
    );
    assert_eq!(server.requests(), 7);
    assert_eq!(server.connections(), 1);
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
