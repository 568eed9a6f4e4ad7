//! HTTP/1.1 for the fake's server, one connection at a time: reading a
//! request (its head, then a `Content-Length` or chunked body), writing an
//! answer. Every size and wait is bounded; bad input is a [`Refusal`],
//! never a panic.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use http::header::CONTENT_TYPE;
use http::header::{CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{HeaderValue, Request, Response, StatusCode};

use super::head::{
    Framing, MAX_BODY_BYTES, MAX_HEAD_BYTES, Refusal, expects_continue, framing, keep_alive,
    parse_head, too_large,
};
use genauth_mfa::TransportErrorKind;

/// What reading the next request came to.
// One per request, moved once: boxing the request would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub(super) enum Next {
    Request {
        request: Request<Vec<u8>>,
        /// Whether the connection stays open after the answer.
        keep_alive: bool,
    },
    /// The client closed the connection, or it stayed idle too long.
    Closed,
    Refused(Refusal),
}

/// One server-side connection and the bytes read ahead on it.
pub(super) struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    idle_timeout: Duration,
    request_timeout: Duration,
}

impl Conn {
    pub(super) fn new(
        stream: TcpStream,
        idle_timeout: Duration,
        request_timeout: Duration,
    ) -> Conn {
        Conn {
            stream,
            buf: Vec::new(),
            idle_timeout,
            request_timeout,
        }
    }

    /// Reads the next request.
    pub(super) fn next_request(&mut self) -> Next {
        let mut deadline = None;
        let (request, head_len) = loop {
            match parse_head(&self.buf) {
                Ok(Some(head)) => break head,
                Ok(None) if self.buf.len() < MAX_HEAD_BYTES => {}
                Ok(None) => {
                    return Next::Refused(Refusal(
                        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                        "the request head is too large",
                    ));
                }
                Err(refusal) => return Next::Refused(refusal),
            }
            // Idle between requests, then bounded once one has started.
            let wait = match deadline.map(remaining) {
                None => self.idle_timeout,
                Some(Ok(wait)) => wait,
                Some(Err(_)) => return Next::Refused(timed_out()),
            };
            match self.fill(wait) {
                Ok(0) => return Next::Closed,
                Ok(_) => {}
                Err(e) if is_timeout(&e) && deadline.is_some() => {
                    return Next::Refused(timed_out());
                }
                Err(_) => return Next::Closed,
            }
            deadline.get_or_insert_with(|| Instant::now() + self.request_timeout);
        };
        let deadline = deadline.unwrap_or_else(|| Instant::now() + self.request_timeout);
        self.buf.drain(..head_len);
        let framing = match framing(request.headers()) {
            Ok(framing) => framing,
            Err(refusal) => return Next::Refused(refusal),
        };
        match expects_continue(&request) {
            Ok(true) if framing != Framing::Length(0) => {
                let _ = self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
            }
            Ok(_) => {}
            Err(refusal) => return Next::Refused(refusal),
        }
        let body = match framing {
            Framing::Length(n) => self.read_exact(n, deadline),
            Framing::Chunked => self.read_chunked(deadline),
        };
        match body {
            Ok(Some(body)) => {
                let keep_alive = keep_alive(&request);
                Next::Request {
                    request: request.map(|()| body),
                    keep_alive,
                }
            }
            Ok(None) | Err(BodyError::Closed) => Next::Closed,
            Err(BodyError::Refused(refusal)) => Next::Refused(refusal),
            Err(BodyError::TimedOut) => Next::Refused(timed_out()),
        }
    }

    /// Takes `n` body bytes; `None` when the client closes first.
    fn read_exact(&mut self, n: usize, deadline: Instant) -> Result<Option<Vec<u8>>, BodyError> {
        while self.buf.len() < n {
            if self.fill(remaining(deadline)?)? == 0 {
                return Ok(None);
            }
        }
        Ok(Some(self.buf.drain(..n).collect()))
    }

    fn read_chunked(&mut self, deadline: Instant) -> Result<Option<Vec<u8>>, BodyError> {
        let bad = || BodyError::Refused(Refusal(StatusCode::BAD_REQUEST, "a malformed chunk"));
        let mut body = Vec::new();
        loop {
            let (line, size) = loop {
                match httparse::parse_chunk_size(&self.buf) {
                    Ok(httparse::Status::Complete(found)) => break found,
                    Ok(httparse::Status::Partial) if self.buf.len() < 1024 => {}
                    _ => return Err(bad()),
                }
                if self.fill(remaining(deadline)?)? == 0 {
                    return Ok(None);
                }
            };
            let size = usize::try_from(size).unwrap_or(usize::MAX);
            if size > MAX_BODY_BYTES - body.len() {
                return Err(BodyError::Refused(too_large()));
            }
            self.buf.drain(..line);
            if size == 0 {
                return self
                    .skip_trailers(deadline)
                    .map(|done| done.then_some(body));
            }
            let Some(chunk) = self.read_exact(size + 2, deadline)? else {
                return Ok(None);
            };
            if !chunk.ends_with(b"\r\n") {
                return Err(bad());
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }

    /// Reads past the trailer fields after the last chunk; `false` when the
    /// client closes first.
    fn skip_trailers(&mut self, deadline: Instant) -> Result<bool, BodyError> {
        loop {
            if self.buf.starts_with(b"\r\n") {
                self.buf.drain(..2);
                return Ok(true);
            }
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                self.buf.drain(..end + 4);
                return Ok(true);
            }
            if self.buf.len() >= MAX_HEAD_BYTES {
                return Err(BodyError::Refused(too_large()));
            }
            if self.fill(remaining(deadline)?)? == 0 {
                return Ok(false);
            }
        }
    }

    /// Reads what arrives within `wait` into the buffer; 0 at the end.
    fn fill(&mut self, wait: Duration) -> io::Result<usize> {
        self.stream
            .set_read_timeout(Some(wait.max(Duration::from_millis(1))))?;
        let mut chunk = [0u8; 8192];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(n);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes `response` whole (no body for a HEAD request).
    pub(super) fn write(
        &mut self,
        response: &Response<Vec<u8>>,
        keep_alive: bool,
        head: bool,
    ) -> io::Result<()> {
        let status = response.status();
        let mut out = format!(
            "HTTP/1.1 {} {}\r\n",
            status.as_str(),
            status.canonical_reason().unwrap_or("Unknown")
        )
        .into_bytes();
        for (name, value) in response.headers() {
            if ![CONTENT_LENGTH, TRANSFER_ENCODING, CONNECTION].contains(name) {
                out.extend_from_slice(name.as_str().as_bytes());
                out.extend_from_slice(b": ");
                out.extend_from_slice(value.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
        }
        let body = response.body();
        out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
        if !keep_alive {
            out.extend_from_slice(b"connection: close\r\n");
        }
        out.extend_from_slice(b"\r\n");
        if !head {
            out.extend_from_slice(body);
        }
        self.stream.write_all(&out)?;
        self.stream.flush()
    }

    /// Answers a refused request and closes the connection so that the
    /// client can read the answer: closing with unread bytes would reset
    /// the connection and lose it, so what the client still sends is read
    /// and dropped first (for up to `linger`, and a bounded amount).
    pub(super) fn refuse(mut self, Refusal(status, why): Refusal, linger: Duration) {
        let body = serde_json::json!({"statusCode": status.as_u16(), "message": why});
        let mut answer = Response::new(body.to_string().into_bytes());
        *answer.status_mut() = status;
        answer
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if self.write(&answer, false, false).is_err() {
            return;
        }
        let _ = self.stream.shutdown(Shutdown::Write);
        let until = Instant::now() + linger;
        let mut dropped = 0;
        while dropped < MAX_HEAD_BYTES + MAX_BODY_BYTES {
            let Ok(wait) = remaining(until) else { break };
            match self.fill(wait) {
                Ok(n) if n > 0 => dropped += n,
                _ => break,
            }
            self.buf.clear();
        }
    }

    /// Fails the way `kind` says, as a [`Failure::Transport`] asks; the
    /// connection is done afterwards.
    ///
    /// [`Failure::Transport`]: super::Failure::Transport
    pub(super) fn misbehave(&mut self, kind: TransportErrorKind) {
        match kind {
            TransportErrorKind::Timeout => {
                // No answer; wait for the client to give up (or the idle
                // timeout, or the server's stop), keeping nothing it sends.
                while matches!(self.fill(self.idle_timeout), Ok(n) if n > 0) {
                    self.buf.clear();
                }
            }
            TransportErrorKind::Body => {
                let _ = self.stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                      content-length: 64\r\n\r\n{\"statusCode\":200,",
                );
            }
            TransportErrorKind::Protocol => {
                let _ = self.stream.write_all(b"HTTP/1.1 OK not-a-status\r\n\r\n");
            }
            _ => {}
        }
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

#[derive(Debug)]
enum BodyError {
    TimedOut,
    /// The connection failed mid-body: nobody is left to answer.
    Closed,
    Refused(Refusal),
}

impl From<io::Error> for BodyError {
    fn from(e: io::Error) -> BodyError {
        if is_timeout(&e) {
            BodyError::TimedOut
        } else {
            BodyError::Closed
        }
    }
}

fn remaining(deadline: Instant) -> Result<Duration, BodyError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(BodyError::TimedOut)
    } else {
        Ok(left)
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

fn timed_out() -> Refusal {
    Refusal(StatusCode::REQUEST_TIMEOUT, "the request took too long")
}
