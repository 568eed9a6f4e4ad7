//! Helpers the library's tests share: a scripted raw-socket server on
//! 127.0.0.1 (for hostile transport cases: each connection's bytes written
//! by the test), a watchdog, canned answers, and clients aimed at them.
#![allow(dead_code)]

use common::*;
use fault::{Fault, FaultServer};
use genauth_mfa::{AuthenticationClient, ManagementClient, RetryPolicy, http};
use genauth_mfa_fake::FakeGenAuth;
use genauth_mfa_testkit::{common, fault};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

/// The same token, secret and JWT as `genauth_mfa_testkit::common`.
pub use genauth_mfa_testkit::common::{ACCESS_TOKEN, KEY_SECRET, T1};

pub const FACTORS_OK: &str = r#"{"statusCode":200,"message":"ok","data":[]}"#;

pub const MFA_OK: &str = r#"{"statusCode":200,"message":"ok","data":{"totpStatus":"enabled","faceMfaStatus":"disabled"}}"#;

/// Runs `f` on its own thread; panics if it has not returned within `secs`.
pub fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
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
pub struct Scripted {
    pub url: String,
    /// How many connections were accepted.
    #[allow(dead_code)]
    pub connections: Arc<AtomicUsize>,
}

pub fn scripted(script: impl Fn(TcpStream, usize) + Send + Sync + 'static) -> Scripted {
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
pub fn read_request(stream: &mut TcpStream) -> Option<String> {
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

pub fn http_ok(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

pub fn token_json(jwt: &str, expires_in: &str) -> String {
    format!(
        r#"{{"statusCode":200,"message":"ok","data":{{"access_token":"{jwt}","expires_in":{expires_in}}}}}"#
    )
}

pub fn quick() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(10))
        .with_max_backoff(Duration::from_millis(40))
}

pub fn auth(url: &str) -> AuthenticationClient {
    AuthenticationClient::builder()
        .app_id("app-1")
        .app_host(url)
        .access_token(ACCESS_TOKEN)
        .retry_policy(quick())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

pub fn mgmt(url: &str) -> genauth_mfa::ManagementClientBuilder {
    ManagementClient::builder()
        .access_key_id("ak-1")
        .access_key_secret(KEY_SECRET)
        .host(url)
        .retry_policy(quick())
        .timeout(Duration::from_secs(5))
}

/// A server answering every request on every connection with `answer`.
pub fn always(answer: String) -> Scripted {
    scripted(move |mut s, _| {
        while read_request(&mut s).is_some() {
            if s.write_all(answer.as_bytes()).is_err() {
                return;
            }
        }
    })
}

/// A closure transport answering every request with `status`, `headers` and `body`.
pub fn canned(
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

/// A JWT-shaped token for pool `p` named `name`, expiring in 2100.
pub fn jwt(name: &str) -> String {
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

/// A transport playing the token endpoint (T1) and, for other paths, `call`.
pub fn with_token(
    call: impl Fn(&http::Request<Vec<u8>>) -> (u16, String) + Send + Sync + 'static,
) -> impl Fn(http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, genauth_mfa::TransportError>
+ Send
+ Sync
+ 'static {
    move |req| {
        let (status, body) = if req.uri().path().ends_with("get-management-token") {
            (200, token_json(T1, "7200"))
        } else {
            call(&req)
        };
        Ok(http::Response::builder()
            .status(status)
            .body(body.into_bytes())
            .unwrap())
    }
}

pub const TIMEOUT: Duration = Duration::from_millis(400);

/// The default 3 attempts, with short waits to keep the suite quick.
pub fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(40))
        .with_max_backoff(Duration::from_millis(80))
}

pub fn fault_client(server: &FaultServer) -> AuthenticationClient {
    AuthenticationClient::builder()
        .app_id("app-1")
        .app_host(server.url())
        .access_token(ACCESS_TOKEN)
        .timeout(TIMEOUT)
        .retry_policy(quick_retries())
        .build()
        .unwrap()
}

pub fn fault_ok() -> Fault {
    Fault::json(200, SAMPLE_FACTOR)
}

/// Runs one get-factor call.
pub fn fault_call(server: &FaultServer) -> genauth_mfa::Result<genauth_mfa::Factor> {
    fault_client(server)
        .get_factor("6229ffaxxxxxxxxcade3e3d9")
        .send()
}

/// Short waits, the default 3 attempts.
pub fn short_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(10))
        .with_max_backoff(Duration::from_millis(20))
}

pub fn mgmt_on(fake: &FakeGenAuth) -> ManagementClient {
    ManagementClient::builder()
        .access_key_id("ak")
        .access_key_secret("sk")
        .transport(fake.clone())
        .retry_policy(short_retries())
        .build()
        .unwrap()
}
