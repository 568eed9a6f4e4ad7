//! `FakeGenAuth::serve`: the fake over real HTTP/1.1 on 127.0.0.1, for the
//! crate's own clients and for raw sockets (what a non-Rust program sends),
//! hostile ones included.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use proptest::prelude::*;

use genauth_mfa::{
    AuthenticationClient, Error, ManagementClient, RetryPolicy, TransportErrorKind, UserIdType,
    UserMfaInfo,
};
use genauth_mfa_fake::{Failure, FakeGenAuth, FakeServer, PoolChange, PoolUser, Route};

fn mgmt(server: &FakeServer) -> ManagementClient {
    ManagementClient::builder()
        .access_key_id(FakeGenAuth::DEMO_ACCESS_KEY_ID)
        .access_key_secret(FakeGenAuth::DEMO_ACCESS_KEY_SECRET)
        .host(server.url())
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// A raw client connection and the bytes read ahead on it.
struct Raw {
    stream: TcpStream,
    buf: Vec<u8>,
}

/// One answer as read off the wire.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Raw {
    fn connect(server: &FakeServer) -> Raw {
        let stream = TcpStream::connect(server.addr()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Raw {
            stream,
            buf: Vec::new(),
        }
    }

    fn send(&mut self, bytes: &[u8]) -> &mut Raw {
        self.stream.write_all(bytes).unwrap();
        self
    }

    /// Reads more; false at the end of the stream (or a reset).
    fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 4096];
        match self.stream.read(&mut chunk) {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    /// The next answer, or `None` if the server closed the connection.
    fn answer(&mut self) -> Option<Answer> {
        self.read_answer(false)
    }

    /// The next answer to a HEAD request (a head without a body).
    fn head_answer(&mut self) -> Option<Answer> {
        self.read_answer(true)
    }

    fn read_answer(&mut self, head_only: bool) -> Option<Answer> {
        let end = loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            if !self.fill() {
                return None;
            }
        };
        let head = String::from_utf8_lossy(&self.buf[..end]).into_owned();
        self.buf.drain(..end);
        let status = head.get(9..12)?.parse().ok()?;
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .map_or(0, |n| n.trim().parse().unwrap());
        let length = if head_only { 0 } else { length };
        while self.buf.len() < length {
            if !self.fill() {
                return None;
            }
        }
        let body = self.buf.drain(..length).collect();
        Some(Answer { status, head, body })
    }

    /// Whether the server has closed the connection (nothing more to read).
    fn is_closed(&mut self) -> bool {
        self.buf.is_empty() && !self.fill()
    }
}

const GET_INFO: &[u8] = b"GET /api/v3/get-user-mfa-info?userId=u1 HTTP/1.1\r\nhost: x\r\n\r\n";

#[test]
fn the_clients_talk_to_the_served_fake_over_http_and_the_fake_sees_it_all() {
    let fake = FakeGenAuth::demo();
    let server = fake.serve().unwrap();
    let info = mgmt(&server)
        .get_user_mfa_info("alice@example.com")
        .user_id_type(UserIdType::Email)
        .send()
        .unwrap();
    let auth = AuthenticationClient::builder()
        .app_id(FakeGenAuth::DEMO_APP_ID)
        .app_host(server.url())
        .access_token(FakeGenAuth::DEMO_ACCESS_TOKEN)
        .build()
        .unwrap();
    let factors = auth.list_enrolled_factors().send().unwrap();
    let factor = auth.get_factor(&factors[1].factor_id).send().unwrap();
    assert_eq!(factor.factor_id, "635391f4xxxxxx6bba26ed4|email");
    assert_eq!(fake.count(Route::Any), 4);
    assert_eq!(fake.count(Route::GetFactor), 1);
    let requests = fake.requests();
    let call = &requests[1];
    assert_eq!(call.query("userId"), Some("alice@example.com"));
    assert_eq!(
        call.header("host"),
        Some(server.addr().to_string().as_str())
    );
    assert!(
        call.header("user-agent")
            .unwrap()
            .starts_with("genauth-mfa/")
    );
    assert_eq!(
        requests[3].query("factorId"),
        Some("635391f4xxxxxx6bba26ed4|email")
    );
    let direct = genauth_mfa::Transport::send(
        &FakeGenAuth::demo(),
        genauth_mfa::http::Request::get("http://x/")
            .body(Vec::new())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(direct.status(), 404);
    let _ = info;
}

#[test]
fn a_kept_alive_connection_answers_one_request_after_another_and_pipelined_ones() {
    let fake = FakeGenAuth::new();
    let server = fake.serve().unwrap();
    let mut raw = Raw::connect(&server);
    let first = raw.send(GET_INFO).answer().unwrap();
    assert_eq!(first.status, 200);
    let envelope: serde_json::Value = serde_json::from_slice(&first.body).unwrap();
    assert_eq!(envelope["statusCode"], 401); // no token: the fake's refusal, in an envelope
    assert!(!first.head.contains("connection: close"), "{}", first.head);
    let pipelined = [GET_INFO, GET_INFO, b"GET /nowhere HTTP/1.1\r\n\r\n"].concat();
    raw.send(&pipelined);
    assert_eq!(raw.answer().unwrap().status, 200);
    assert_eq!(raw.answer().unwrap().status, 200);
    assert_eq!(raw.answer().unwrap().status, 404);
    assert_eq!(fake.count(Route::GetUserMfaInfo), 3);
    assert_eq!(fake.requests().len(), 4);
    // connection: close, and HTTP/1.0 without keep-alive, end it.
    raw.send(b"GET /a HTTP/1.1\r\nconnection: close\r\n\r\n");
    assert!(raw.answer().unwrap().head.contains("connection: close"));
    assert!(raw.is_closed());
    let mut old = Raw::connect(&server);
    assert_eq!(
        old.send(b"GET /a HTTP/1.0\r\n\r\n")
            .answer()
            .unwrap()
            .status,
        404
    );
    assert!(old.is_closed());
    let mut head = Raw::connect(&server);
    let answer = head.send(b"HEAD /a HTTP/1.1\r\n\r\n").head_answer();
    assert_eq!(answer.map(|a| a.status), Some(404)); // and no body after the head
    assert_eq!(head.send(GET_INFO).answer().unwrap().status, 200);
}

#[test]
fn two_hundred_and_fifty_six_kept_alive_connections_are_served_at_once() {
    let fake = FakeGenAuth::new().record_requests(true);
    let server = fake.serve().unwrap();
    let mut conns: Vec<Raw> = (0..256).map(|_| Raw::connect(&server)).collect();
    for round in 0..2 {
        for conn in &mut conns {
            conn.send(GET_INFO);
        }
        for (i, conn) in conns.iter_mut().enumerate() {
            let answer = conn.answer();
            assert_eq!(
                answer.map(|a| a.status),
                Some(200),
                "round {round}, connection {i}"
            );
        }
    }
    assert_eq!(server.connections(), 256);
    assert_eq!(fake.count(Route::GetUserMfaInfo), 512);
    drop(conns);
}

#[test]
fn a_client_on_256_threads_gets_every_answer() {
    let fake = FakeGenAuth::demo().record_requests(false);
    let server = fake.serve().unwrap();
    let mgmt = mgmt(&server);
    let threads: Vec<_> = (0..256)
        .map(|t| {
            let mgmt = mgmt.clone();
            std::thread::spawn(move || {
                for i in 0..3 {
                    mgmt.get_user_mfa_info(format!("user-{t}-{i}")).send()?;
                }
                Ok::<(), Error>(())
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap().unwrap();
    }
}

#[test]
fn hostile_input_is_refused_and_the_server_carries_on() {
    let fake = FakeGenAuth::new();
    let server = fake.serve().unwrap();
    let huge_header = format!("GET / HTTP/1.1\r\nx: {}\r\n\r\n", "a".repeat(20_000));
    let many_headers = format!(
        "GET / HTTP/1.1\r\n{}\r\n",
        (0..100).map(|i| format!("h{i}: v\r\n")).collect::<String>()
    );
    let no_end = format!(
        "GET / HTTP/1.1\r\n{}{}",
        "x: y\r\n".repeat(40),
        "z".repeat(20_000)
    );
    let cases: [(&[u8], u16); 10] = [
        (b"\x00\x01\x02garbage\r\n\r\n", 400),
        (b"GET / HTTP/9.9\r\n\r\n", 400),
        (b"GET /\xff HTTP/1.1\r\n\r\n", 400),
        (huge_header.as_bytes(), 431),
        (many_headers.as_bytes(), 431),
        (no_end.as_bytes(), 431),
        (b"POST / HTTP/1.1\r\ncontent-length: 99999999\r\n\r\n", 413),
        (
            b"POST / HTTP/1.1\r\ncontent-length: 1\r\ntransfer-encoding: chunked\r\n\r\n",
            400,
        ),
        (b"POST / HTTP/1.1\r\ntransfer-encoding: gzip\r\n\r\n", 501),
        (
            b"POST / HTTP/1.1\r\ncontent-length: 3\r\nexpect: tea\r\n\r\nabc",
            417,
        ),
    ];
    for (bytes, status) in cases {
        let mut raw = Raw::connect(&server);
        // The server may close before reading everything: ignore a failed write.
        let _ = raw.stream.write_all(bytes);
        let answer = raw.answer();
        let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(40)]).into_owned();
        assert_eq!(answer.map(|a| a.status), Some(status), "{shown:?}");
        assert!(raw.is_closed(), "{shown:?}");
    }
    // A chunked body that lies about its sizes, and clients that vanish.
    let mut raw = Raw::connect(&server);
    raw.send(b"POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n5\r\nabcdefgh\r\n0\r\n\r\n");
    assert_eq!(raw.answer().map(|a| a.status), Some(400));
    for half in [
        &b"GET / HT"[..],
        b"POST / HTTP/1.1\r\ncontent-length: 10\r\n\r\nabc",
    ] {
        let mut raw = Raw::connect(&server);
        raw.send(half);
        raw.stream.shutdown(Shutdown::Write).unwrap();
        assert!(raw.answer().is_none());
    }
    let mut raw = Raw::connect(&server);
    assert_eq!(raw.send(GET_INFO).answer().unwrap().status, 200);
    assert_eq!(
        fake.count(Route::Any),
        1,
        "refused requests never reach the fake"
    );
}

#[test]
fn chunked_bodies_and_100_continue_are_understood() {
    let fake = FakeGenAuth::new();
    let server = fake.serve().unwrap();
    let mut raw = Raw::connect(&server);
    raw.send(
        b"POST /api/v3/get-management-token HTTP/1.1\r\ntransfer-encoding: chunked\r\n\
          content-type: application/json\r\n\r\n\
          10;ext=1\r\n{\"accessKeyId\":\"\r\n\
          16\r\nak\",\"accessKeySecret\":\r\n\
          5\r\n\"sk\"}\r\n0\r\ntrailer: x\r\n\r\n",
    );
    let answer = raw.answer().unwrap();
    let envelope: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    assert!(envelope["data"]["access_token"].is_string(), "{envelope}");
    assert_eq!(
        fake.requests()[0].body(),
        br#"{"accessKeyId":"ak","accessKeySecret":"sk"}"#
    );
    let body = br#"{"accessKeyId":"ak","accessKeySecret":"sk"}"#;
    raw.send(
        format!(
            "POST /api/v3/get-management-token HTTP/1.1\r\nexpect: 100-continue\r\n\
             content-length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    assert_eq!(raw.answer().unwrap().status, 100);
    raw.send(body);
    assert_eq!(raw.answer().unwrap().status, 200);
    assert_eq!(fake.count(Route::Token), 2);
}

#[test]
fn told_failures_reach_the_client_over_http() {
    let fake = FakeGenAuth::new().with_user("u", UserIdType::UserId, UserMfaInfo::new());
    let server = fake.serve().unwrap();
    let mgmt = ManagementClient::builder()
        .access_key_id("ak")
        .access_key_secret("sk")
        .host(server.url())
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    mgmt.get_user_mfa_info("u").send().unwrap();
    let route = Route::GetUserMfaInfo;
    fake.fail_next(
        route,
        Failure::Transport(TransportErrorKind::ConnectionClosed),
    );
    fake.fail_next(route, Failure::Transport(TransportErrorKind::Body));
    fake.fail_next(route, Failure::Transport(TransportErrorKind::Timeout));
    fake.fail_next(
        route,
        Failure::Http {
            status: 502,
            body: b"<html>bad gateway</html>".to_vec(),
        },
    );
    fake.fail_next(route, Failure::Throttled);
    let mut kinds = Vec::new();
    // A connection closed before any answer on a kept-alive connection is
    // what a stale pooled connection looks like: the transport sends the
    // request again on a new one, at once, which meets the next failure.
    for _ in 0..4 {
        let err = mgmt.get_user_mfa_info("u").send().unwrap_err();
        kinds.push((err.kind(), err.http_status()));
    }
    assert_eq!(
        kinds,
        [
            ("transport", None),
            ("timeout", None),
            ("decode", Some(502)),
            ("api", Some(200)),
        ]
    );
    mgmt.get_user_mfa_info("u").send().unwrap();
}

#[test]
fn dropping_the_server_closes_its_connections_and_its_port() {
    let server = FakeGenAuth::new().serve().unwrap();
    let addr = server.addr();
    let mut idle = Raw::connect(&server);
    assert_eq!(idle.send(GET_INFO).answer().unwrap().status, 200);
    let mut waiting = Raw::connect(&server);
    waiting.send(b"GET / HTTP/1.1\r\n"); // half a head
    drop(server);
    assert!(idle.is_closed());
    assert!(waiting.answer().is_none());
    assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err());
}

#[test]
fn the_pool_is_listed_over_http_and_changes_between_pages() {
    let fake = FakeGenAuth::new().with_generated_pool(120);
    fake.change_pool_after_page(1, PoolChange::Add(PoolUser::new("newcomer")));
    let server = fake.serve().unwrap();
    let mut raw = Raw::connect(&server);
    let credentials = br#"{"accessKeyId":"ak","accessKeySecret":"sk"}"#;
    raw.send(
        format!(
            "POST /api/v3/get-management-token HTTP/1.1\r\ncontent-length: {}\r\n\r\n",
            credentials.len()
        )
        .as_bytes(),
    )
    .send(credentials);
    let answer: serde_json::Value = serde_json::from_slice(&raw.answer().unwrap().body).unwrap();
    let token = answer["data"]["access_token"].as_str().unwrap().to_owned();
    let mut totals = Vec::new();
    let mut listed = 0;
    for page in 1..=4 {
        let body =
            serde_json::json!({"options": {"pagination": {"page": page, "limit": 50}}}).to_string();
        raw.send(
            format!(
                "POST /api/v3/list-users HTTP/1.1\r\nauthorization: Bearer {token}\r\n\
                 x-genauth-userpool-id: {}\r\ncontent-type: application/json\r\n\
                 content-length: {}\r\n\r\n{body}",
                FakeGenAuth::USER_POOL_ID,
                body.len()
            )
            .as_bytes(),
        );
        let answer: serde_json::Value =
            serde_json::from_slice(&raw.answer().unwrap().body).unwrap();
        totals.push(answer["data"]["totalCount"].as_u64().unwrap());
        listed += answer["data"]["list"].as_array().unwrap().len();
    }
    assert_eq!(totals, [120, 121, 121, 121]);
    assert_eq!(listed, 121);
    assert_eq!(fake.count(Route::ListUsers), 4);
}

/// Panics in the server's own threads (named `fake-genauth-*`) so far.
static SERVER_PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_server_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let name = std::thread::current().name().unwrap_or("").to_owned();
            if name.starts_with("fake-genauth") {
                SERVER_PANICS.fetch_add(1, Ordering::SeqCst);
            }
            default(info);
        }));
    });
}

/// Starts of requests the random bytes follow, to get past the first
/// checks into the head, the body and the chunk parsers.
const PREFIXES: [&str; 5] = [
    "",
    "GET /api/v3/get-user-mfa-info?userId=",
    "POST /api/v3/list-users HTTP/1.1\r\n",
    "POST /api/v3/get-management-token HTTP/1.1\r\ncontent-length: 40\r\n\r\n",
    "POST /api/v3/list-users HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_get_an_answer_or_a_close_and_never_a_panic(
        prefix in prop::sample::select(&PREFIXES[..]),
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
        crlf in any::<bool>(),
    ) {
        count_server_panics();
        let server = FakeGenAuth::demo().serve().unwrap();
        let mut raw = Raw::connect(&server);
        let _ = raw.stream.write_all(prefix.as_bytes());
        let _ = raw.stream.write_all(&bytes);
        if crlf {
            let _ = raw.stream.write_all(b"\r\n\r\n");
        }
        let _ = raw.stream.shutdown(Shutdown::Write);
        let mut rest = Vec::new();
        let _ = raw.stream.read_to_end(&mut rest);
        prop_assert!(rest.is_empty() || rest.starts_with(b"HTTP/1.1 "), "{:?}", String::from_utf8_lossy(&rest));
        let mut fresh = Raw::connect(&server);
        prop_assert_eq!(fresh.send(GET_INFO).answer().map(|a| a.status), Some(200));
        drop(server);
        prop_assert_eq!(SERVER_PANICS.load(Ordering::SeqCst), 0);
    }
}
