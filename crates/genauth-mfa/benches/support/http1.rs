//! The benchmarks' minimal HTTP/1.1 server side: a fixed answer for each
//! request, the token for a POST and the MFA info for a GET.

use std::io::{ErrorKind, Read, Write};
use std::time::Duration;

/// A complete 200 answer with `body` as JSON.
pub fn http_response(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Answers every request on the connection, each after `delay`, until the
/// client closes it or a read or write fails.
pub fn answer_requests(mut stream: impl Read + Write, delay: Duration, token: &[u8], info: &[u8]) {
    let mut buf = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    loop {
        // Answer every complete request in the buffer.
        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = &buf[..end + 4];
            let body_len = content_length(head);
            if buf.len() < end + 4 + body_len {
                break;
            }
            let answer = if head.starts_with(b"POST") {
                token
            } else {
                info
            };
            if !delay.is_zero() {
                std::thread::sleep(delay);
            }
            if stream
                .write_all(answer)
                .and_then(|()| stream.flush())
                .is_err()
            {
                return;
            }
            buf.drain(..end + 4 + body_len);
        }
        match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

fn content_length(head: &[u8]) -> usize {
    let head = String::from_utf8_lossy(head);
    head.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0)
}
