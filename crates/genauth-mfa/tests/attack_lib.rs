//! A hostile tester's findings against the library: each test is one
//! behaviour that broke (or a probe that held, kept as a guard), against a
//! std `TcpListener` scripted byte by byte on 127.0.0.1, or a closure
//! transport. Every test is bounded by a watchdog.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use genauth_mfa::{
    AuthenticationClient, CancelToken, Error, ManagementClient, RetryPolicy, UreqTransport, http,
};

use genauth_mfa_testkit::quota;

const ACCESS_TOKEN: &str = "user-access-token-3f9a";
const KEY_SECRET: &str = "sk-TOPSECRET-8c1d";
/// A JWT for pool `62e221xxxxxxxxxxxxxxx0a1` expiring in 2100.
const T1: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzY29wZWRfdXNlcnBvb2xfaWQiOiI2MmUyMjF4eHh4eHh4eHh4eHh4eHgwYTEiLCJleHAiOjQxMDI0NDQ4MDAsImlhdCI6MTcwMDAwMDAwMCwibmFtZSI6IlQxIiwibm90ZSI6In5-fn4_PiJ9.c2lnbmF0dXJl";
const FACTORS_OK: &str = r#"{"statusCode":200,"message":"ok","data":[]}"#;
const MFA_OK: &str = r#"{"statusCode":200,"message":"ok","data":{"totpStatus":"enabled","faceMfaStatus":"disabled"}}"#;

/// Runs `f` on its own thread; panics if it has not returned within `secs`.
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(Ok(v)) => v,
        Ok(Err(p)) => std::panic::resume_unwind(p),
        Err(_) => panic!("did not finish within {secs} s (a hang)"),
    }
}

/// A scripted server on 127.0.0.1: `script(stream, connection_number)` runs
/// on its own thread for each connection. The accept loop ends with the
/// test process; every script bounds its own reads.
struct Scripted {
    url: String,
    /// How many connections were accepted.
    #[allow(dead_code)]
    connections: Arc<AtomicUsize>,
}

fn scripted(script: impl Fn(TcpStream, usize) + Send + Sync + 'static) -> Scripted {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&connections);
    let script = Arc::new(script);
    thread::spawn(move || {
        for stream in listener.incoming().take(1000) {
            let Ok(stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
            let n = count.fetch_add(1, Ordering::SeqCst);
            let script = Arc::clone(&script);
            thread::spawn(move || script(stream, n));
        }
    });
    Scripted { url, connections }
}

/// Reads one request (head and a Content-Length body); `None` at EOF.
fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => return None,
        }
        if buf.len() > 1 << 20 {
            return None;
        }
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0; len];
    stream.read_exact(&mut body).ok()?;
    Some(head + &String::from_utf8_lossy(&body))
}

fn http_ok(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn token_body(jwt: &str, expires_in: &str) -> String {
    format!(
        r#"{{"statusCode":200,"message":"ok","data":{{"access_token":"{jwt}","expires_in":{expires_in}}}}}"#
    )
}

fn quick() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(10))
        .with_max_backoff(Duration::from_millis(40))
}

fn auth(url: &str) -> AuthenticationClient {
    AuthenticationClient::builder()
        .app_id("app-1")
        .app_host(url)
        .access_token(ACCESS_TOKEN)
        .retry_policy(quick())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn mgmt(url: &str) -> genauth_mfa::ManagementClientBuilder {
    ManagementClient::builder()
        .access_key_id("ak-1")
        .access_key_secret(KEY_SECRET)
        .host(url)
        .retry_policy(quick())
        .timeout(Duration::from_secs(5))
}

/// A server answering every request on every connection with `answer`.
fn always(answer: String) -> Scripted {
    scripted(move |mut s, _| {
        while read_request(&mut s).is_some() {
            if s.write_all(answer.as_bytes()).is_err() {
                return;
            }
        }
    })
}

// ---------------------------------------------------------------------------
// Findings are commented FINDING; `held_*` tests are attacks that held up,
// kept as guards.
// ---------------------------------------------------------------------------

#[test]
fn held_deeply_nested_data_is_an_error_not_a_stack_overflow() {
    let mut body = String::from(r#"{"statusCode":200,"data":"#);
    body.push_str(&"[".repeat(100_000));
    body.push_str(&"]".repeat(100_000));
    body.push('}');
    let server = always(http_ok(&body));
    let r = within(20, move || auth(&server.url).list_enrolled_factors().send());
    assert!(r.is_err(), "{r:?}");
}

#[test]
fn held_deeply_nested_request_id_is_an_error_not_a_stack_overflow() {
    let mut body = String::from(r#"{"statusCode":500,"requestId":"#);
    body.push_str(&"{\"a\":".repeat(100_000));
    body.push('1');
    body.push_str(&"}".repeat(100_000));
    body.push('}');
    let server = always(http_ok(&body));
    let r = within(20, move || auth(&server.url).list_enrolled_factors().send());
    assert!(r.is_err(), "{r:?}");
}

/// A closure transport answering every request with `status`, `headers` and `body`.
fn canned(
    status: u16,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
) -> impl Fn(http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, genauth_mfa::TransportError>
+ Send
+ Sync
+ 'static {
    move |_req| {
        let mut r = http::Response::builder().status(status);
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        Ok(r.body(body.as_bytes().to_vec()).unwrap())
    }
}

/// FINDING: with `with_max_retry_after(Duration::MAX)` (a caller who wants
/// every Retry-After honoured), a server's `Retry-After: 18446744073709551615`
/// panicked in `call.rs`: "overflow when adding duration to instant"
/// (`Instant::now() + wait`).
#[test]
fn a_huge_retry_after_with_an_uncapped_policy_does_not_panic() {
    let r = within(20, || {
        let c = AuthenticationClient::builder()
            .app_id("a")
            .app_host("https://a.example")
            .access_token("t")
            .retry_policy(RetryPolicy::none().with_max_retry_after(Duration::MAX))
            .transport(canned(
                429,
                &[("retry-after", "18446744073709551615")],
                r#"{"statusCode":429,"message":"slow down"}"#,
            ))
            .build()
            .unwrap();
        c.list_enrolled_factors().send().map(|_| ())
    });
    assert!(r.is_err());
}

/// FINDING: the same panic through `RateLimit-Remaining: 0` with a
/// `RateLimit-Reset` of u64::MAX (read as a Unix time, then a wait).
#[test]
fn a_huge_ratelimit_reset_with_an_uncapped_policy_does_not_panic() {
    let r = within(20, || {
        let c = AuthenticationClient::builder()
            .app_id("a")
            .app_host("https://a.example")
            .access_token("t")
            .retry_policy(RetryPolicy::none().with_max_retry_after(Duration::MAX))
            .transport(canned(
                503,
                &[
                    ("ratelimit-remaining", "0"),
                    ("ratelimit-reset", "18446744073709551615"),
                ],
                r#"{"statusCode":503,"message":"down"}"#,
            ))
            .build()
            .unwrap();
        c.list_enrolled_factors().send().map(|_| ())
    });
    assert!(r.is_err());
}

/// FINDING: `.timeout(1 s)` is documented as the whole call's deadline,
/// "every attempt and every wait between attempts included", and "no retry
/// starts that could not finish in time". An HTTP 429 with `Retry-After: 2`
/// on every answer made the 1 s call take 18 s (10 throttled attempts, each
/// waiting 2 s): the server's pause is waited in the limiter, and the
/// limiter's wait moves the deadline.
#[test]
fn a_retry_after_longer_than_the_timeout_does_not_stretch_the_call() {
    let server = always(
        "HTTP/1.1 429 Too Many Requests\r\nretry-after: 2\r\ncontent-length: 2\r\n\r\n{}".into(),
    );
    let (took, r) = within(60, move || {
        let c = AuthenticationClient::builder()
            .app_id("a")
            .app_host(&server.url)
            .access_token("t")
            .timeout(Duration::from_secs(1))
            .build()
            .unwrap();
        let t = Instant::now();
        let r = c.list_enrolled_factors().send();
        (t.elapsed(), r)
    });
    eprintln!("took {took:?}: {r:?}");
    // No retry starts that could not finish in time: the server's 2 s
    // pause is past the 1 s deadline, so one attempt, not ten. (How long
    // it takes is measured in `cargo bench --bench deadlines`.)
    let err = r.unwrap_err();
    assert_eq!(err.attempts(), 1, "{err}");
}

/// FINDING: threads waiting for another thread's management-token fetch
/// ignore the client's CancelToken: with the token endpoint stalled, all 8
/// threads returned Cancelled only 5.7 s after `cancel()` (when the stalled
/// answer came), not within a second.
#[test]
fn threads_waiting_for_the_token_fetch_stop_when_cancelled() {
    // The token endpoint stalls 6 s; 8 threads share one client and one cancel token.
    let server = scripted(|mut s, _| {
        while read_request(&mut s).is_some() {
            thread::sleep(Duration::from_secs(6));
            let _ = s.write_all(http_ok(&token_body(T1, "7200")).as_bytes());
        }
    });
    let url = server.url.clone();
    let late = within(30, move || {
        let cancel = CancelToken::new();
        let client = mgmt(&url)
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap()
            .with_cancel(&cancel);
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let c = client.clone();
                thread::spawn(move || {
                    let r = c.get_user_mfa_info("u-1").send();
                    (Instant::now(), r.map(|_| ()))
                })
            })
            .collect();
        thread::sleep(Duration::from_millis(300));
        let cancelled_at = Instant::now();
        cancel.cancel();
        let mut late = 0;
        for h in handles {
            let (at, r) = h.join().unwrap();
            let after = at.saturating_duration_since(cancelled_at);
            eprintln!("{after:?} {r:?}");
            if after > Duration::from_millis(1500) {
                late += 1;
            }
        }
        late
    });
    // The fetching thread is on the wire (documented as not cut); the
    // seven that only wait must stop.
    assert!(
        late <= 1,
        "{late} of 8 threads went on waiting after cancel"
    );
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
    let token = token_body(T1, "7200");
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

/// FINDING: `Display` and `report()` bound the server's text, but `{:?}`
/// of an `Error::Api` (what `fn main() -> Result<(), Error>`, `unwrap()` and
/// `expect()` print) carried the whole 1 MiB message and 1 MiB requestId:
/// 2 MB of server text on stderr.
#[test]
fn debug_of_an_api_error_bounds_the_servers_text() {
    let big = format!(
        r#"{{"statusCode":500,"message":"{}\u202e\u001b[2J","requestId":"{}"}}"#,
        "m".repeat(1 << 20),
        "r".repeat(1 << 20)
    );
    let big: &'static str = Box::leak(big.into_boxed_str());
    let c = AuthenticationClient::builder()
        .app_id("a")
        .app_host("https://a.example")
        .access_token("t")
        .retry_policy(RetryPolicy::none())
        .transport(canned(200, &[], big))
        .build()
        .unwrap();
    let err = c.list_enrolled_factors().send().unwrap_err();
    let display = err.to_string();
    let report = err.report().to_string();
    let debug = format!("{err:?}");
    eprintln!(
        "display {} report {} debug {}",
        display.len(),
        report.len(),
        debug.len()
    );
    assert!(display.len() < 2000 && report.len() < 2000);
    assert!(!display.contains('\u{202e}') && !display.contains('\u{1b}'));
    assert!(
        !debug.contains('\u{202e}') && !debug.contains('\u{1b}'),
        "debug not escaped"
    );
    assert!(
        debug.len() < 10_000,
        "Debug of an Api error is {} bytes",
        debug.len()
    );
}

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

#[test]
fn held_weird_management_tokens_never_panic_or_show_the_token() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let jwt = |claims: &str| format!("{}.{}.c2ln", b64(r#"{"alg":"none"}"#), b64(claims));
    let cases: Vec<(String, &str)> = vec![
        ("not-a-jwt-SECRETTOKEN".into(), "7200"),
        (
            jwt(r#"{"scoped_userpool_id":"p","exp":1}"#) + "SECRETTOKEN",
            "7200",
        ),
        (
            jwt(r#"{"scoped_userpool_id":"p","exp":1e300}"#) + "SECRETTOKEN",
            "0",
        ),
        (
            jwt(r#"{"scoped_userpool_id":"p","exp":"soon"}"#) + "SECRETTOKEN",
            "-5",
        ),
        (
            jwt(r#"{"scoped_userpool_id":"p"}"#) + "SECRETTOKEN",
            "1e308",
        ),
        (
            jwt(r#"{"scoped_userpool_id":"p"}"#) + "SECRETTOKEN",
            "1e-300",
        ),
        (
            jwt(r#"{"scoped_userpool_id":"p"}"#) + "SECRETTOKEN",
            "\"7200s\"",
        ),
        (jwt(r#"{"scoped_userpool_id":"p"}"#) + "SECRETTOKEN", "true"),
        (
            jwt(r#"{"scoped_userpool_id":"p"}"#) + "SECRETTOKEN",
            "[7200]",
        ),
        (
            jwt(r#"{"scoped_userpool_id":"p\r\nx-evil: 1"}"#) + "SECRETTOKEN",
            "7200",
        ),
        (
            jwt(r#"{"scoped_userpool_id":"p\u00e9"}"#) + "SECRETTOKEN",
            "7200",
        ),
        (jwt(r#"{"scoped_userpool_id":""}"#) + "SECRETTOKEN", "7200"),
        (jwt(r#"{"scoped_userpool_id":7}"#) + "SECRETTOKEN", "7200"),
        (
            jwt(r#"{"scoped_userpool_id":"p"}"#) + "SECRET\\r\\nTOKEN",
            "7200",
        ),
        (
            jwt(r#"{"scoped_userpool_id":"p"}"#) + "SECRET\\u00e9TOKEN",
            "7200",
        ),
        (format!("a.{}.c", "!".repeat(10)) + "SECRETTOKEN", "7200"),
        ("..SECRETTOKEN".into(), "7200"),
    ];
    for (token, expires_in) in cases {
        let body = token_body(&token, expires_in);
        let body: &'static str = Box::leak(body.into_boxed_str());
        let seen = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&seen);
        let transport = move |req: http::Request<Vec<u8>>| {
            count.fetch_add(1, Ordering::SeqCst);
            let body = if req.uri().path().ends_with("get-management-token") {
                body
            } else {
                MFA_OK
            };
            Ok(http::Response::new(body.as_bytes().to_vec()))
        };
        let c = ManagementClient::builder()
            .access_key_id("a")
            .access_key_secret(KEY_SECRET)
            .transport(transport)
            .build()
            .unwrap();
        for _ in 0..3 {
            match c.get_user_mfa_info("u").send() {
                Ok(_) => {}
                Err(e) => {
                    let shown = format!("{e} {e:?} {}", e.report());
                    assert!(!shown.contains("SECRET"), "{token}: {shown}");
                }
            }
        }
        eprintln!(
            "{token} {expires_in}: {} requests, {:?}",
            seen.load(Ordering::SeqCst),
            c.get_user_mfa_info("u")
                .send()
                .map(|_| ())
                .map_err(|e| e.report().to_string())
        );
    }
}

#[test]
fn held_binary_and_malformed_answers_are_decode_or_protocol_errors() {
    let answers: Vec<&'static [u8]> = vec![
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
        b"HTTP/1.1 200 \xff\xfe\r\ncontent-length: 2\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\nx-\xff: 1\r\ncontent-length: 2\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\n\xff\xfe\xfd",
        b"HTTP/1.1 200 OK\r\ncontent-length: 40\r\n\r\n{\"statusCode\":500,\"message\":\"\xff\xfe\xfd\"}",
        b"\x00\x00\x00\x00\x00\x00\x00\x00\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ncontent-encoding: br\r\ncontent-length: 2\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\ncontent-encoding: deflate\r\ncontent-length: 2\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ntransfer-encoding: chunked\r\n\r\n3\r\n\x1f\x8b\x08\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: identity\r\ncontent-length: 2\r\n\r\n{}",
    ];
    for answer in answers {
        let server = scripted(move |mut s, _| {
            if read_request(&mut s).is_some() {
                let _ = s.write_all(answer);
                thread::sleep(Duration::from_millis(1200));
            }
        });
        let r = within(30, move || {
            AuthenticationClient::builder()
                .app_id("a")
                .app_host(&server.url)
                .access_token("t")
                .retry_policy(RetryPolicy::none())
                .timeout(Duration::from_secs(1))
                .build()
                .unwrap()
                .list_enrolled_factors()
                .send()
                .map(|_| ())
        });
        let shown = match &r {
            Ok(()) => "ok".to_owned(),
            Err(e) => format!("{} {:?} / {}", e.kind(), e.http_status(), e.report()),
        };
        eprintln!("{:?}\n   -> {shown}", String::from_utf8_lossy(answer));
    }
}

/// A JWT-shaped token for pool `p` named `name`, expiring in 2100.
fn jwt(name: &str) -> String {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.c2ln",
        b64(r#"{"alg":"none"}"#),
        b64(&format!(
            r#"{{"scoped_userpool_id":"p","exp":4102444800,"name":"{name}"}}"#
        ))
    )
}

#[test]
fn held_64_threads_through_dropped_connections_and_a_revoked_token_lose_no_call() {
    use std::sync::Mutex;
    // Every 11th request is read and then dropped unanswered, and at the
    // 300th request the server revokes the token it issued: calls with it
    // get an HTTP 401 until a new one is fetched.
    let seq = Arc::new(AtomicUsize::new(0));
    let tokens = Arc::new(AtomicUsize::new(0));
    let current = Arc::new(Mutex::new(String::new()));
    let (seq2, tokens2, current2) = (Arc::clone(&seq), Arc::clone(&tokens), Arc::clone(&current));
    let server = scripted(move |mut s, _| {
        while let Some(req) = read_request(&mut s) {
            let n = seq2.fetch_add(1, Ordering::SeqCst) + 1;
            if req.contains("get-management-token") {
                let t = tokens2.fetch_add(1, Ordering::SeqCst);
                let token = jwt(&format!("t{t}"));
                *current2.lock().unwrap() = token.clone();
                if s.write_all(http_ok(&token_body(&token, "7200")).as_bytes())
                    .is_err()
                {
                    return;
                }
                continue;
            }
            if n % 11 == 0 {
                return; // dropped with the request unanswered
            }
            if n == 300 {
                *current2.lock().unwrap() = "revoked".into();
            }
            let valid = req.contains(&format!("Bearer {}", current2.lock().unwrap()));
            let answer = if valid {
                http_ok(MFA_OK)
            } else {
                let body = r#"{"statusCode":401,"apiCode":2020,"message":"not logged in"}"#;
                format!(
                    "HTTP/1.1 401 Unauthorized\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                )
            };
            if s.write_all(answer.as_bytes()).is_err() {
                return;
            }
        }
    });
    let url = server.url.clone();
    let failures = within(120, move || {
        let client = mgmt(&url).timeout(Duration::from_secs(30)).build().unwrap();
        let handles: Vec<_> = (0..64)
            .map(|t| {
                let c = client.clone();
                thread::spawn(move || {
                    (0..10)
                        .filter_map(|i| {
                            c.get_user_mfa_info(format!("u-{t}-{i}"))
                                .send()
                                .err()
                                .map(|e| e.report().to_string())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    let token_requests = tokens.load(Ordering::SeqCst);
    assert!(
        failures.is_empty(),
        "{} calls lost: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    assert!(
        (2..=4).contains(&token_requests),
        "{token_requests} token requests"
    );
}

/// FINDING (fixed in 0.4): the adaptive limiter took every throttle answer
/// for a sign that this client sends too much. When the pool's quota is
/// shared with other traffic (the production app calling the same user
/// pool), a share of answers is throttled whatever this client sends: here
/// 1 in 7. The limiter then cut again and again and fell towards its floor
/// of 0.5 requests a second: 64 threads finished 322 of 640 calls in 20 s.
/// Slowing down does not reduce the throttled share, which is how such a
/// throttle is told from the client's own overshoot: the limiter now undoes
/// a cut that did not lower it. Measured against a metronome (a reference
/// client calling the same server one call after another), not in seconds:
/// the 640 calls must finish before it has made 8,000 calls (it makes a few
/// hundred; 0.3 answered 199 requests while it made 8,000).
#[test]
fn a_throttle_that_slowing_down_does_not_reduce_does_not_collapse_the_rate() {
    let seq = Arc::new(AtomicUsize::new(0));
    let seq2 = Arc::clone(&seq);
    let server = scripted(move |mut s, _| {
        while let Some(req) = read_request(&mut s) {
            let answer = if req.contains("get-management-token") {
                http_ok(&token_body(T1, "7200"))
            } else if req.contains("userId=metronome") {
                http_ok(MFA_OK)
            } else if (seq2.fetch_add(1, Ordering::SeqCst) + 1) % 7 == 0 {
                http_ok(r#"{"statusCode":429,"message":"too many"}"#)
            } else {
                http_ok(MFA_OK)
            };
            if s.write_all(answer.as_bytes()).is_err() {
                return;
            }
        }
    });
    let url = server.url.clone();
    let (done, failed, calls) = within(60, move || {
        let cancel = CancelToken::new();
        let client = mgmt(&url)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
            .with_cancel(&cancel);
        let done = Arc::new(AtomicUsize::new(0));
        let failed = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..64)
            .map(|t| {
                let (c, done, failed) = (client.clone(), Arc::clone(&done), Arc::clone(&failed));
                thread::spawn(move || {
                    for i in 0..10 {
                        match c.get_user_mfa_info(format!("u-{t}-{i}")).send() {
                            Ok(_) => done.fetch_add(1, Ordering::SeqCst),
                            Err(Error::Cancelled) => return,
                            Err(_) => failed.fetch_add(1, Ordering::SeqCst),
                        };
                    }
                })
            })
            .collect();
        let metronome = quota::Metronome::start(&url, 8_000, cancel);
        for h in handles {
            h.join().unwrap();
        }
        let calls = metronome.stop();
        (
            done.load(Ordering::SeqCst),
            failed.load(Ordering::SeqCst),
            calls,
        )
    });
    assert_eq!(
        (done, failed),
        (640, 0),
        "{} requests while the metronome made {calls} calls",
        seq.load(Ordering::SeqCst)
    );
}

#[test]
fn held_a_slow_token_endpoint_with_32_waiting_threads_times_out_on_time() {
    let server = scripted(|mut s, _| {
        while read_request(&mut s).is_some() {
            thread::sleep(Duration::from_secs(3));
            let _ = s.write_all(http_ok(&token_body(T1, "7200")).as_bytes());
        }
    });
    let url = server.url.clone();
    let results = within(30, move || {
        let client = mgmt(&url).timeout(Duration::from_secs(1)).build().unwrap();
        let started = Instant::now();
        let handles: Vec<_> = (0..32)
            .map(|_| {
                let c = client.clone();
                thread::spawn(move || {
                    let r = c.get_user_mfa_info("u").send();
                    (started.elapsed(), r.map(|_| ()).map_err(|e| e.kind()))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    for (took, r) in &results {
        assert!(*took < Duration::from_millis(1800), "{took:?} {r:?}");
        assert_eq!(*r, Err("timeout"), "{took:?}");
    }
}

/// A transport playing the token endpoint (T1) and, for other paths, `call`.
fn with_token(
    call: impl Fn(&http::Request<Vec<u8>>) -> (u16, String) + Send + Sync + 'static,
) -> impl Fn(http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, genauth_mfa::TransportError>
+ Send
+ Sync
+ 'static {
    move |req| {
        let (status, body) = if req.uri().path().ends_with("get-management-token") {
            (200, token_body(T1, "7200"))
        } else {
            call(&req)
        };
        Ok(http::Response::builder()
            .status(status)
            .body(body.into_bytes())
            .unwrap())
    }
}

/// FINDING: a list-users answer without a readable `totalCount` (absent,
/// null, or not a number) is read as 0, and the iterator stops after the
/// first page as if the count were reached: 50 of 120 users listed, no
/// error (an audit of the whole pool silently skips the rest). Since 0.4
/// every user is listed up to the empty page, and the listing ends with
/// `Error::IncompleteListing`: without a count, nothing proves it whole.
#[test]
fn a_listing_whose_pages_have_no_total_count_lists_every_user() {
    // 120 users in pages of 50; the server sends no totalCount (or null).
    for total in ["", r#""totalCount":null,"#, r#""totalCount":"many","#] {
        let transport = with_token(move |req| {
            let body: serde_json::Value = serde_json::from_slice(req.body()).unwrap();
            let page = body["options"]["pagination"]["page"].as_u64().unwrap();
            let n = match page {
                1 | 2 => 50,
                3 => 20,
                _ => 0,
            };
            let users: Vec<String> = (0..n)
                .map(|i| {
                    format!(
                        r#"{{"userId":"u-{page}-{i}","createdAt":"2024-01-01T00:00:00Z","updatedAt":"2024-01-01T00:00:00Z","status":"Activated"}}"#
                    )
                })
                .collect();
            (
                200,
                format!(
                    r#"{{"statusCode":200,"data":{{{total}"list":[{}]}}}}"#,
                    users.join(",")
                ),
            )
        });
        let c = ManagementClient::builder()
            .access_key_id("a")
            .access_key_secret(KEY_SECRET)
            .transport(transport)
            .build()
            .unwrap();
        let mut items: Vec<_> = c.list_users().into_iter().collect();
        // Every user, then (0.4) an error: with no count, nothing proves
        // that was everyone.
        let last = items.pop();
        assert!(
            matches!(
                last,
                Some(Err(genauth_mfa::Error::IncompleteListing {
                    distinct: 120,
                    total_count: None,
                    ..
                }))
            ),
            "{total:?}: {last:?}"
        );
        let users: Vec<_> = items.into_iter().filter_map(Result::ok).collect();
        assert_eq!(
            users.len(),
            120,
            "{total:?}: the listing stopped after {} users",
            users.len()
        );
    }
}

/// FINDING: the token cache remembers a failed fetch for 10 s when it is
/// "a refusal", and takes any Api or Decode error that is not 429/502/503/504
/// for one: a single passing `statusCode: 500` from the token endpoint (in
/// HTTP 200 or 500) made every call of the client fail at once with it for
/// 10 s, without asking again (a batch at 100 calls/s loses ~1,000 users).
#[test]
fn a_passing_server_error_on_the_token_endpoint_is_not_remembered_as_a_refusal() {
    let tokens = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&tokens);
    let transport = move |req: http::Request<Vec<u8>>| {
        let (status, body) = if req.uri().path().ends_with("get-management-token") {
            if count.fetch_add(1, Ordering::SeqCst) == 0 {
                (
                    500,
                    r#"{"statusCode":500,"message":"internal error"}"#.to_owned(),
                )
            } else {
                (200, token_body(T1, "7200"))
            }
        } else {
            (200, MFA_OK.to_owned())
        };
        Ok(http::Response::builder()
            .status(status)
            .body(body.into_bytes())
            .unwrap())
    };
    let c = ManagementClient::builder()
        .access_key_id("a")
        .access_key_secret(KEY_SECRET)
        .transport(transport)
        .build()
        .unwrap();
    let first = c.get_user_mfa_info("u-1").send();
    assert!(first.is_err());
    let second = c.get_user_mfa_info("u-2").send();
    assert!(
        second.is_ok(),
        "one passing 500 fails every call for 10 s: {second:?}"
    );
}

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
    cmd.env("ATTACK_ENV_CHILD", "1");
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

/// The child of `in_child`: builds both clients from the environment and
/// prints each outcome on a line `RESULT <client> <kind> <message>`.
#[test]
fn env_child() {
    if std::env::var_os("ATTACK_ENV_CHILD").is_none() {
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

/// FINDING: `Bounded` (every server text in Display and report()) escapes
/// control characters and the bidi controls U+200E/F, U+202A-E and
/// U+2066-9, but not U+061C ARABIC LETTER MARK, the remaining member of
/// Unicode's Bidi_Control set: it reached the error's Display raw.
#[test]
fn every_bidi_control_in_server_text_is_escaped() {
    let c = AuthenticationClient::builder()
        .app_id("a")
        .app_host("https://a.example")
        .access_token("t")
        .retry_policy(RetryPolicy::none())
        .transport(canned(
            200,
            &[],
            "{\"statusCode\":500,\"message\":\"x\u{061c}\u{200e}\u{200f}\u{202a}\u{202b}\u{202c}\u{202d}\u{202e}\u{2066}\u{2067}\u{2068}\u{2069}y\",\"requestId\":\"r\u{061c}\"}",
        ))
        .build()
        .unwrap();
    let err = c.list_enrolled_factors().send().unwrap_err();
    for shown in [
        err.to_string(),
        err.report().to_string(),
        format!("{err:?}"),
    ] {
        for c in shown.chars() {
            assert!(
                !matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'),
                "raw {:?} in {shown}",
                c
            );
        }
    }
}

#[test]
fn held_hostile_ids_reach_the_server_exactly_or_are_refused_before_sending() {
    use std::sync::Mutex;
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen2 = Arc::clone(&seen);
    let server = scripted(move |mut s, _| {
        while let Some(req) = read_request(&mut s) {
            let line = req.lines().next().unwrap_or("").to_owned();
            seen2.lock().unwrap().push(line);
            if s.write_all(
                http_ok(
                    r#"{"statusCode":200,"data":{"factorId":"f","factorType":"SMS","profile":{}}}"#,
                )
                .as_bytes(),
            )
            .is_err()
            {
                return;
            }
        }
    });
    let url = server.url.clone();
    let results = within(30, move || {
        let c = auth(&url);
        let ids: Vec<String> = vec![
            "a\0b".into(),
            "a\r\nHost: evil".into(),
            "a&factorId=b#c%zz".into(),
            "%2F..%2F..".into(),
            "🦀 é | +".into(),
            "x".repeat(5_000),
            "x".repeat(100_000),
            "\u{202e}".into(),
        ];
        ids.into_iter()
            .map(|id| {
                let r = c
                    .get_factor(id.clone())
                    .send()
                    .map(|_| ())
                    .map_err(|e| (e.kind(), e.report().to_string()));
                (id, r)
            })
            .collect::<Vec<_>>()
    });
    let lines = seen.lock().unwrap().clone();
    let mut sent = lines.iter();
    for (id, r) in results {
        match r {
            Ok(()) => {
                let line = sent.next().unwrap();
                let query = line
                    .split(' ')
                    .nth(1)
                    .unwrap()
                    .split_once("?factorId=")
                    .unwrap()
                    .1;
                let decoded = percent_encoding::percent_decode_str(query)
                    .decode_utf8()
                    .unwrap();
                assert_eq!(decoded, id, "{line}");
            }
            Err((kind, report)) => {
                assert!(id.len() >= 5_000, "{id:?} refused: {report}");
                assert!(
                    kind == "invalid_argument" || kind == "transport",
                    "{kind}: {report}"
                );
                assert!(report.len() < 1000, "{report}");
                eprintln!("{} bytes: {kind} {report}", id.len());
            }
        }
    }
    let c = auth(&server.url);
    let err = c
        .get_factor("f")
        .end_user_ip("1.2.3.4\r\nx: y")
        .send()
        .unwrap_err();
    assert_eq!(err.kind(), "invalid_argument", "{err}");
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
fn held_oddly_typed_data_is_decoded_leniently_or_a_decode_error() {
    let shapes: Vec<&'static str> = vec![
        r#"{"totpStatus":1,"faceMfaStatus":"1","smsMfaStatus":{},"emailMfaStatus":[]}"#,
        r#"{"totpStatus":null,"faceMfaStatus":"ENABLED","smsMfaStatus":"Disabled","emailMfaStatus":"maybe"}"#,
        r#"{"totpStatus":true,"totpStatus":false}"#,
        r#"[]"#,
        r#""enabled""#,
        r#"1e999"#,
        r#"{"totpStatus":"\ud800"}"#,
    ];
    for data in shapes {
        let body: &'static str =
            Box::leak(format!(r#"{{"statusCode":200,"data":{data}}}"#).into_boxed_str());
        let m = ManagementClient::builder()
            .access_key_id("a")
            .access_key_secret(KEY_SECRET)
            .transport(with_token(move |_| (200, body.to_owned())))
            .build()
            .unwrap();
        let r = m.get_user_mfa_info("u").send();
        eprintln!(
            "{data} -> {:?}",
            r.as_ref().map_err(|e| e.report().to_string())
        );
        if let Err(e) = r {
            assert_eq!(e.kind(), "decode", "{e}");
        }
    }
    let factors: Vec<&'static str> = vec![
        r#"{"factorId":7,"factorType":"SMS","profile":{}}"#,
        r#"{"factorId":"f","factorType":null,"profile":null}"#,
        r#"{"factorId":"f","factorType":"SMS","profile":[1,2]}"#,
        r#"{"factorId":"f","factorType":{"x":1},"profile":{"phoneNumber":7}}"#,
        r#"[{"factorId":"f","factorType":"\u001b[31mEVIL","profile":{}}]"#,
        r#"null"#,
    ];
    for data in factors {
        let body: &'static str =
            Box::leak(format!(r#"{{"statusCode":200,"data":{data}}}"#).into_boxed_str());
        let a = AuthenticationClient::builder()
            .app_id("a")
            .app_host("https://a.example")
            .access_token("t")
            .transport(canned(200, &[], body))
            .build()
            .unwrap();
        let r = a.list_enrolled_factors().send();
        eprintln!(
            "{data} -> {:?}",
            r.as_ref()
                .map(|f| f
                    .iter()
                    .map(|f| f.factor_type.to_string())
                    .collect::<Vec<_>>())
                .map_err(|e| e.report().to_string())
        );
        if let Err(e) = r {
            assert_eq!(e.kind(), "decode", "{e}");
        }
        if let Ok(f) = a.get_factor("f").send() {
            let shown = format!("{} {f:?}", f.factor_type);
            assert!(!shown.contains('\u{1b}'), "{shown}");
        }
    }
}

/// FINDING: serde's derived structs also read a JSON array (their fields in
/// order), so get-user-mfa-info answering `data: []` read as a user with
/// every factor disabled (an audit reports "no MFA" for an answer that is
/// not one), `data: [true, true, true, true]` as every factor enabled, and
/// a list-users page `data: []` as an empty page that ends the listing.
/// Data of the wrong type must be a Decode error.
#[test]
fn data_that_is_an_array_where_an_object_is_expected_is_a_decode_error() {
    for data in ["[]", "[true,true,true,true]", r#"["enabled"]"#] {
        let body: &'static str =
            Box::leak(format!(r#"{{"statusCode":200,"data":{data}}}"#).into_boxed_str());
        let m = ManagementClient::builder()
            .access_key_id("a")
            .access_key_secret(KEY_SECRET)
            .transport(with_token(move |_| (200, body.to_owned())))
            .build()
            .unwrap();
        let r = m.get_user_mfa_info("u").send();
        assert_eq!(
            r.as_ref().map_err(Error::kind),
            Err("decode"),
            "{data}: {r:?}"
        );
        let mut users = m.list_users().into_iter();
        let first = users.next();
        assert!(
            matches!(first, Some(Err(Error::Decode { .. }))),
            "{data}: {first:?}"
        );
    }
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
    let token = token_body(T1, "7200");
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

fn genauth_mfa_kind(err: &Error) -> Option<genauth_mfa::TransportErrorKind> {
    match err {
        Error::Transport { source, .. } | Error::Timeout { source, .. } => Some(source.kind()),
        _ => None,
    }
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
fn held_envelopes_that_lie_about_their_status_code() {
    let cases: Vec<(&'static str, &'static str)> = vec![
        (
            r#"{"statusCode":"200","apiCode":2004,"message":"not found","data":[]}"#,
            "ok",
        ),
        (r#"{"statusCode":200.0,"data":[]}"#, "ok"),
        (r#"{"statusCode":200.5,"data":[]}"#, "decode"),
        (r#"{"statusCode":1e20,"data":[]}"#, "decode"),
        (r#"{"statusCode":-200,"data":[]}"#, "api"),
        (r#"{"statusCode":true,"data":[]}"#, "decode"),
        (r#"{"statusCode":[200],"data":[]}"#, "decode"),
        (r#"{"statusCode":{"v":200},"data":[]}"#, "decode"),
        (r#"{"statusCode":18446744073709551616,"data":[]}"#, "decode"),
        (r#"{"statusCode":"0x1AD","data":[]}"#, "decode"),
        (r#"{"statusCode":200,"statusCode":500,"data":[]}"#, "decode"),
        (
            r#"{"statusCode":500,"message":{"zh":"x"},"data":[]}"#,
            "api",
        ),
        (r#"{"statusCode":500,"requestId":7}"#, "api"),
    ];
    for (body, want) in cases {
        let a = AuthenticationClient::builder()
            .app_id("a")
            .app_host("https://a.example")
            .access_token("t")
            .retry_policy(RetryPolicy::none())
            .transport(canned(200, &[], body))
            .build()
            .unwrap();
        let got = match a.list_enrolled_factors().send() {
            Ok(_) => "ok",
            Err(e) => e.kind(),
        };
        eprintln!("{body} -> {got}");
        assert_eq!(got, want, "{body}");
    }
}

/// FINDING: the envelope reads `statusCode` and `apiCode` leniently, but a
/// `message` or `requestId` that is not a string (a localized object, a
/// number) made the whole envelope a Decode error: the server's statusCode
/// was lost, so a throttle answer `{"statusCode":429,"message":{..}}` was not
/// retried (a user lost to the throttle) and a refusal lost its apiCode.
#[test]
fn an_envelope_whose_message_or_request_id_is_not_a_string_keeps_its_status() {
    for body in [
        r#"{"statusCode":404,"apiCode":2004,"message":{"zh-CN":"x","en-US":"no such user"},"requestId":"r-1"}"#,
        r#"{"statusCode":404,"apiCode":2004,"message":["no such user"],"requestId":7}"#,
        r#"{"statusCode":404,"apiCode":2004,"message":404,"requestId":{"id":"r"}}"#,
    ] {
        let body: &'static str = body;
        let a = AuthenticationClient::builder()
            .app_id("a")
            .app_host("https://a.example")
            .access_token("t")
            .retry_policy(RetryPolicy::none())
            .transport(canned(200, &[], body))
            .build()
            .unwrap();
        let err = a.list_enrolled_factors().send().unwrap_err();
        assert_eq!(
            (err.status_code(), err.api_code()),
            (Some(404), Some(2004)),
            "{body}: {err:?}"
        );
    }
    // A throttle whose message is an object is still retried.
    let calls = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&calls);
    let a = AuthenticationClient::builder()
        .app_id("a")
        .app_host("https://a.example")
        .access_token("t")
        .retry_policy(quick())
        .transport(move |_req: http::Request<Vec<u8>>| {
            let body = if count.fetch_add(1, Ordering::SeqCst) == 0 {
                r#"{"statusCode":429,"message":{"en-US":"too many requests"}}"#
            } else {
                FACTORS_OK
            };
            Ok(http::Response::new(body.as_bytes().to_vec()))
        })
        .build()
        .unwrap();
    a.list_enrolled_factors().send().unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

/// FINDING: clones of one client with different CancelTokens (two batches
/// sharing a client, `with_cancel`) share its token fetch. When the thread
/// fetching the token was cancelled (here during the backoff after a 503
/// from the token endpoint), the threads of the *other* batch waiting for
/// that fetch got its `Error::Cancelled` although nobody cancelled them.
#[test]
fn a_cancelled_token_fetch_does_not_cancel_other_batches_waiting_for_it() {
    let tokens = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&tokens);
    let server = scripted(move |mut s, _| {
        while let Some(req) = read_request(&mut s) {
            let answer = if req.contains("get-management-token") {
                if count.fetch_add(1, Ordering::SeqCst) == 0 {
                    "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n".to_owned()
                } else {
                    http_ok(&token_body(T1, "7200"))
                }
            } else {
                http_ok(MFA_OK)
            };
            if s.write_all(answer.as_bytes()).is_err() {
                return;
            }
        }
    });
    let url = server.url.clone();
    let b = within(20, move || {
        let client = mgmt(&url)
            .retry_policy(
                RetryPolicy::default()
                    .with_initial_backoff(Duration::from_millis(800))
                    .with_max_backoff(Duration::from_millis(800)),
            )
            .build()
            .unwrap();
        let (c1, c2) = (CancelToken::new(), CancelToken::new());
        let first = client.with_cancel(&c1);
        let second = client.with_cancel(&c2);
        let a = thread::spawn(move || first.get_user_mfa_info("a").send().map(|_| ()));
        thread::sleep(Duration::from_millis(100)); // a is fetching, in its backoff
        let b = thread::spawn(move || second.get_user_mfa_info("b").send().map(|_| ()));
        thread::sleep(Duration::from_millis(100)); // b waits for a's fetch
        c1.cancel();
        assert!(matches!(a.join().unwrap(), Err(Error::Cancelled)));
        b.join().unwrap()
    });
    assert!(b.is_ok(), "the other batch's call failed: {b:?}");
}

#[test]
fn held_odd_base_urls_are_refused_or_used_as_written() {
    use std::sync::Mutex;
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen2 = Arc::clone(&seen);
    let server = scripted(move |mut s, _| {
        while let Some(req) = read_request(&mut s) {
            seen2
                .lock()
                .unwrap()
                .push(req.lines().next().unwrap_or("").to_owned());
            if s.write_all(http_ok(FACTORS_OK).as_bytes()).is_err() {
                return;
            }
        }
    });
    let port = server.url.rsplit(':').next().unwrap().to_owned();
    let bases = [
        format!("http://127.0.0.1:{port}/a/../b"),
        format!("http://127.0.0.1:{port}/%2e%2e/x"),
        format!("http://127.0.0.1:{port}//double"),
        format!("http://127.0.0.1:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}"),
        format!("http://localhost.:{port}"),
        format!("http://127.1:{port}"),
        format!("HTTP://127.0.0.1:{port}"),
        format!("http://127.0.0.1:{port}/ü"),
        format!("http://127.0.0.1:0{port}"),
        format!("https://127.0.0.1:{port}\u{0}"),
        format!("http://127.0.0.1:{port}/?"),
        "unix:///tmp/sock".to_owned(),
        "file:///etc/passwd".to_owned(),
    ];
    let out = within(30, move || {
        bases
            .iter()
            .map(|b| {
                let r = AuthenticationClient::builder()
                    .app_id("a")
                    .app_host(b.as_str())
                    .access_token("t")
                    .retry_policy(RetryPolicy::none())
                    .timeout(Duration::from_secs(2))
                    .build()
                    .and_then(|c| c.list_enrolled_factors().send().map(|_| ()));
                format!("{b:?} -> {:?}", r.map_err(|e| e.report().to_string()))
            })
            .collect::<Vec<_>>()
    });
    for line in &out {
        eprintln!("{line}");
    }
    // Loopback by name or address only; every other odd URL refused at build.
    assert_eq!(
        out.iter().filter(|l| l.ends_with("Ok(())")).count(),
        7,
        "{out:#?}"
    );
    assert_eq!(seen.lock().unwrap().len(), 7);
}

/// FINDING: a base URL whose path prefix holds non-ASCII characters
/// (`https://sso.example/身份/genauth`) was sent with the raw UTF-8 bytes in
/// the request line (`GET /ü/api/v3/...`), which HTTP/1.1 does not allow
/// (the request target is ASCII; RFC 9112 §3.2). It must go percent-encoded,
/// which the server decodes back to the same path.
#[test]
fn a_non_ascii_path_prefix_goes_percent_encoded_on_the_wire() {
    use std::sync::Mutex;
    let seen = Arc::new(Mutex::new(String::new()));
    let seen2 = Arc::clone(&seen);
    let server = scripted(move |mut s, _| {
        if let Some(req) = read_request(&mut s) {
            *seen2.lock().unwrap() = req.lines().next().unwrap_or("").to_owned();
            let _ = s.write_all(http_ok(FACTORS_OK).as_bytes());
        }
    });
    let url = format!("{}/ü/身份", server.url);
    within(20, move || {
        auth(&url).list_enrolled_factors().send().map(|_| ())
    })
    .unwrap();
    let line = seen.lock().unwrap().clone();
    assert!(line.is_ascii(), "{line}");
    assert_eq!(
        line,
        "GET /%C3%BC/%E8%BA%AB%E4%BB%BD/api/v3/list-enrolled-factors HTTP/1.1"
    );
}

/// FINDING: an answer whose JSON starts with a UTF-8 byte order mark (some
/// gateways and .NET/IIS front ends add one; RFC 8259 §8.1 lets a parser
/// ignore it) was a Decode error ("expected value at line 1 column 1"), so
/// every call failed, throttle answers included.
#[test]
fn a_json_answer_starting_with_a_byte_order_mark_is_read() {
    let a = AuthenticationClient::builder()
        .app_id("a")
        .app_host("https://a.example")
        .access_token("t")
        .retry_policy(RetryPolicy::none())
        .transport(canned(200, &[], "\u{feff}{\"statusCode\":200,\"data\":[]}"))
        .build()
        .unwrap();
    a.list_enrolled_factors().send().unwrap();
    let a = AuthenticationClient::builder()
        .app_id("a")
        .app_host("https://a.example")
        .access_token("t")
        .retry_policy(RetryPolicy::none())
        .transport(canned(
            200,
            &[],
            "\u{feff}{\"statusCode\":429,\"message\":\"slow\"}",
        ))
        .build()
        .unwrap();
    let err = a.list_enrolled_factors().send().unwrap_err();
    assert_eq!(err.status_code(), Some(429), "{err:?}");
}

/// FINDING: a get-user-mfa-info success whose data holds none of the four
/// statuses (`data: {}`, or only unknown keys) read as a user with every
/// factor disabled: the audit reports "no MFA" for an answer that says
/// nothing (a gateway's stub, a wrong endpoint behind a proxy). One status
/// present (an older deployment sends only totpStatus and faceMfaStatus)
/// still reads, the missing ones as disabled.
#[test]
fn an_mfa_answer_with_no_status_at_all_is_a_decode_error() {
    for data in ["{}", r#"{"unexpected":true}"#] {
        let body: &'static str =
            Box::leak(format!(r#"{{"statusCode":200,"data":{data}}}"#).into_boxed_str());
        let m = ManagementClient::builder()
            .access_key_id("a")
            .access_key_secret(KEY_SECRET)
            .transport(with_token(move |_| (200, body.to_owned())))
            .build()
            .unwrap();
        let r = m.get_user_mfa_info("u").send();
        assert_eq!(
            r.as_ref().map_err(Error::kind),
            Err("decode"),
            "{data}: {r:?}"
        );
    }
    let m = ManagementClient::builder()
        .access_key_id("a")
        .access_key_secret(KEY_SECRET)
        .transport(with_token(|_| {
            (
                200,
                r#"{"statusCode":200,"data":{"totpStatus":"enabled","faceMfaStatus":null}}"#
                    .to_owned(),
            )
        }))
        .build()
        .unwrap();
    let info = m.get_user_mfa_info("u").send().unwrap();
    assert!(info.totp.is_enabled() && !info.sms.is_enabled());
}

/// FINDING: a list-users success whose data holds neither `list` nor
/// `totalCount` (`data: {}`) read as an empty pool: the listing ended at
/// once with no user and no error.
#[test]
fn a_listing_answer_with_neither_list_nor_count_is_a_decode_error() {
    let m = ManagementClient::builder()
        .access_key_id("a")
        .access_key_secret(KEY_SECRET)
        .transport(with_token(|_| {
            (200, r#"{"statusCode":200,"data":{}}"#.to_owned())
        }))
        .build()
        .unwrap();
    let first = m.list_users().into_iter().next();
    assert!(
        matches!(first, Some(Err(Error::Decode { .. }))),
        "{first:?}"
    );
    // An empty pool, said so, is an empty listing.
    let m = ManagementClient::builder()
        .access_key_id("a")
        .access_key_secret(KEY_SECRET)
        .transport(with_token(|_| {
            (
                200,
                r#"{"statusCode":200,"data":{"totalCount":0,"list":null}}"#.to_owned(),
            )
        }))
        .build()
        .unwrap();
    assert_eq!(m.list_users().into_iter().count(), 0);
}

#[test]
fn held_extreme_policies_stay_within_the_timeout() {
    // A server that resets every connection; u32::MAX attempts, no backoff,
    // the highest rate: the call still ends at its 1 s deadline.
    let server = scripted(|mut s, _| {
        let _ = read_request(&mut s);
    });
    let url = server.url.clone();
    let (took, r) = within(20, move || {
        let c = AuthenticationClient::builder()
            .app_id("a")
            .app_host(&url)
            .access_token("t")
            .retry_policy(
                RetryPolicy::default()
                    .with_max_attempts(u32::MAX)
                    .with_max_throttled_attempts(u32::MAX)
                    .with_initial_backoff(Duration::ZERO)
                    .with_max_backoff(Duration::ZERO),
            )
            .max_requests_per_second(u32::MAX)
            .timeout(Duration::from_secs(1))
            .build()
            .unwrap();
        let t = Instant::now();
        let r = c.list_enrolled_factors().send().map(|_| ());
        (t.elapsed(), r)
    });
    let err = r.unwrap_err();
    // It ended: with u32::MAX attempts only the deadline ends it (`within`
    // fails a run that goes on). How long it took is measured in `cargo
    // bench --bench deadlines`, not asserted.
    eprintln!("took {took:?}");
    assert!(err.attempts() > 1, "{err}");
}
