//! The default transport against raw loopback servers this file starts: what
//! goes over the wire for a long request head, a kept-alive connection the
//! server drops when the next request arrives, and a host that does not
//! resolve.

mod common;

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
        assert_eq!(transport_kind(&err), Some(TransportErrorKind::Request), "{err:?}");
        let shown = err.report().to_string();
        assert!(shown.contains(line) && shown.contains("too long"), "{shown}");
        assert!(!shown.contains("tttttttt"), "{shown}");
        assert!(matches!(err, Error::Transport { .. }));
    }
    assert_eq!(seen.heads.lock().unwrap().len(), 1);
}
