//! HTTP/1.1 for the fake's server, one connection at a time: reading a
//! request (the head parsed by `httparse`, a `Content-Length` or chunked
//! body), writing an answer. Every size and wait is bounded; bad input is a
//! [`Refusal`], never a panic.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use http::header::{CONNECTION, CONTENT_LENGTH, EXPECT, TRANSFER_ENCODING};
use http::{
    HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode, Uri, Version,
};

use crate::transport::TransportErrorKind;

/// The most a request head (request line and headers) may take.
pub(super) const MAX_HEAD_BYTES: usize = 16 * 1024;
/// The most headers a request may have.
const MAX_HEADERS: usize = 64;
/// The most a request body may take, chunked or not.
pub(super) const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Why a request gets no answer from the fake: the server answers this
/// status itself and closes the connection.
#[derive(Debug)]
pub(super) struct Refusal(pub(super) StatusCode, pub(super) &'static str);

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
        answer.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
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

fn too_large() -> Refusal {
    Refusal(
        StatusCode::PAYLOAD_TOO_LARGE,
        "the request body is too large",
    )
}

/// The request head at the start of `buf` and its length, once complete.
fn parse_head(buf: &[u8]) -> Result<Option<(Request<()>, usize)>, Refusal> {
    let bad = |why| Refusal(StatusCode::BAD_REQUEST, why);
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    let len = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Refusal(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "too many request headers",
            ));
        }
        Err(_) => return Err(bad("a malformed request head")),
    };
    let method = Method::from_bytes(parsed.method.unwrap_or("").as_bytes())
        .map_err(|_| bad("a malformed method"))?;
    let uri: Uri = parsed
        .path
        .unwrap_or("")
        .parse()
        .map_err(|_| bad("a malformed request target"))?;
    let version = match parsed.version {
        Some(0) => Version::HTTP_10,
        _ => Version::HTTP_11,
    };
    let mut map = HeaderMap::with_capacity(parsed.headers.len());
    for header in parsed.headers.iter() {
        let name = HeaderName::from_bytes(header.name.as_bytes())
            .map_err(|_| bad("a malformed header name"))?;
        let value =
            HeaderValue::from_bytes(header.value).map_err(|_| bad("a malformed header value"))?;
        map.append(name, value);
    }
    let mut request = Request::new(());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.version_mut() = version;
    *request.headers_mut() = map;
    Ok(Some((request, len)))
}

#[derive(Debug, PartialEq)]
enum Framing {
    Length(usize),
    Chunked,
}

/// How the body is delimited (RFC 9112 section 6), refusing the ambiguous.
fn framing(headers: &HeaderMap) -> Result<Framing, Refusal> {
    let bad = |why| Refusal(StatusCode::BAD_REQUEST, why);
    let codings = list(headers, &TRANSFER_ENCODING);
    let lengths = list(headers, &CONTENT_LENGTH);
    if !codings.is_empty() {
        if !lengths.is_empty() {
            return Err(bad("both transfer-encoding and content-length"));
        }
        return match codings.as_slice() {
            [only] if only.eq_ignore_ascii_case("chunked") => Ok(Framing::Chunked),
            _ => Err(Refusal(
                StatusCode::NOT_IMPLEMENTED,
                "only the chunked transfer coding is supported",
            )),
        };
    }
    let mut length = None;
    for value in lengths {
        let n: usize = value
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| value.parse().ok())
            .flatten()
            .ok_or(bad("a malformed content-length"))?;
        if length.replace(n).is_some_and(|before| before != n) {
            return Err(bad("conflicting content-length headers"));
        }
    }
    match length.unwrap_or(0) {
        n if n > MAX_BODY_BYTES => Err(too_large()),
        n => Ok(Framing::Length(n)),
    }
}

/// The comma-separated elements of every `name` header.
fn list<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Vec<&'a str> {
    headers
        .get_all(name)
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("\u{0}").split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

fn keep_alive(request: &Request<()>) -> bool {
    let tokens = list(request.headers(), &CONNECTION);
    let has = |word: &str| tokens.iter().any(|t| t.eq_ignore_ascii_case(word));
    match request.version() {
        Version::HTTP_10 => has("keep-alive"),
        _ => !has("close"),
    }
}

/// Whether the client waits for `100 Continue` before its body.
fn expects_continue(request: &Request<()>) -> Result<bool, Refusal> {
    match request.headers().get(EXPECT) {
        None => Ok(false),
        Some(v) if v.as_bytes().eq_ignore_ascii_case(b"100-continue") => {
            Ok(request.version() == Version::HTTP_11)
        }
        Some(_) => Err(Refusal(
            StatusCode::EXPECTATION_FAILED,
            "unknown expectation",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        map
    }

    #[test]
    fn bodies_are_framed_by_one_length_or_chunks_and_nothing_ambiguous() {
        let framed = |pairs: &[(&str, &str)]| framing(&headers(pairs)).map_err(|r| r.0);
        assert_eq!(framed(&[]), Ok(Framing::Length(0)));
        assert_eq!(
            framed(&[("content-length", "5"), ("content-length", "5")]),
            Ok(Framing::Length(5))
        );
        assert_eq!(
            framed(&[("transfer-encoding", "Chunked")]),
            Ok(Framing::Chunked)
        );
        for bad in [
            &[("content-length", "5"), ("content-length", "6")][..],
            &[("content-length", "+5")],
            &[("content-length", "99999999999999999999999")],
            &[("content-length", "5"), ("transfer-encoding", "chunked")],
        ] {
            assert_eq!(framed(bad), Err(StatusCode::BAD_REQUEST), "{bad:?}");
        }
        assert_eq!(
            framed(&[("transfer-encoding", "gzip, chunked")]),
            Err(StatusCode::NOT_IMPLEMENTED)
        );
        assert_eq!(
            framed(&[("content-length", "1048577")]),
            Err(StatusCode::PAYLOAD_TOO_LARGE)
        );
    }

    #[test]
    fn heads_parse_or_are_refused() {
        let (request, len) = parse_head(b"GET /a?b=c HTTP/1.0\r\nHost: x\r\n\r\nrest")
            .unwrap()
            .unwrap();
        assert_eq!((request.uri().query(), len), (Some("b=c"), 32));
        assert!(!keep_alive(&request));
        assert!(
            parse_head(b"GET / HTTP/1.1\r\nHost: x\r\n")
                .unwrap()
                .is_none()
        );
        assert!(parse_head(b"\x00\x01garbage\r\n\r\n").is_err());
        let many: String = (0..100).map(|i| format!("h{i}: v\r\n")).collect();
        let refusal = parse_head(format!("GET / HTTP/1.1\r\n{many}\r\n").as_bytes()).unwrap_err();
        assert_eq!(refusal.0, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    }
}
