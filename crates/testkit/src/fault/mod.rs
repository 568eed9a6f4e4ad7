//! A small HTTP/1.1 server on 127.0.0.1 that misbehaves on purpose, for the
//! faults mockito cannot produce: never answering, closing or resetting
//! mid-way, dripping, huge bodies. It answers requests from a script, one
//! fault per request, counts requests and connections, and stops when
//! dropped. Every loop in it is bounded in time.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Nothing here waits longer than this.
const MAX_LIFETIME: Duration = Duration::from_secs(30);

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer normally (keep-alive).
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Read the request and never answer.
    NeverAnswer,
    /// Send the headers and part of the body, then close.
    HeadersThenClose,
    /// Send a chunked body without its last chunk, then close.
    TruncatedChunked,
    /// Reset the connection without reading the request.
    Reset,
    /// Send headers announcing `n` bytes and stream them until the client stops reading.
    Huge(usize),
    /// Send `body` one byte per `interval`.
    Drip { body: Vec<u8>, interval: Duration },
    /// Answer with this many response headers (a valid body follows).
    ManyHeaders(usize),
    /// Answer with two different content-length headers.
    DuplicateContentLength,
}

impl Fault {
    pub fn json(status: u16, body: &str) -> Fault {
        Fault::Respond {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn with_header(self, name: &str, value: &str) -> Fault {
        match self {
            Fault::Respond {
                status,
                mut headers,
                body,
            } => {
                headers.push((name.into(), value.into()));
                Fault::Respond {
                    status,
                    headers,
                    body,
                }
            }
            other => other,
        }
    }
}

struct Shared {
    script: Mutex<VecDeque<Fault>>,
    fallback: Fault,
    requests: AtomicUsize,
    connections: AtomicUsize,
    request_lines: Mutex<Vec<String>>,
    stop: AtomicBool,
}

impl Shared {
    fn next_fault(&self) -> Fault {
        self.script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| self.fallback.clone())
    }

    fn peek_is_reset(&self) -> bool {
        let script = self.script.lock().unwrap();
        matches!(script.front().unwrap_or(&self.fallback), Fault::Reset)
    }

    fn stopped(&self, since: Instant) -> bool {
        self.stop.load(Ordering::Relaxed) || since.elapsed() > MAX_LIFETIME
    }
}

pub struct FaultServer {
    url: String,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl FaultServer {
    /// Serves `script` in order, then `fallback` for every later request.
    pub fn start(script: Vec<Fault>, fallback: Fault) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Shared {
            script: Mutex::new(script.into()),
            fallback,
            requests: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
            request_lines: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let state = Arc::clone(&shared);
        let acceptor = std::thread::spawn(move || {
            let started = Instant::now();
            let mut handlers = Vec::new();
            while !state.stopped(started) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        state.connections.fetch_add(1, Ordering::SeqCst);
                        let state = Arc::clone(&state);
                        handlers.push(std::thread::spawn(move || serve(stream, &state, started)));
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(2))
                    }
                    Err(_) => break,
                }
            }
            for h in handlers {
                let _ = h.join();
            }
        });
        FaultServer {
            url,
            shared,
            acceptor: Some(acceptor),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Requests that reached the server (a reset one included).
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// TCP connections accepted.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// The request lines and headers seen, one string per request.
    pub fn request_heads(&self) -> Vec<String> {
        self.shared.request_lines.lock().unwrap().clone()
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
    }
}

fn serve(mut stream: TcpStream, state: &Shared, started: Instant) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
    let _ = stream.set_nodelay(true);
    loop {
        // Wait for the next request (or the client closing / the server stopping).
        let mut probe = [0u8; 1];
        loop {
            if state.stopped(started) {
                return;
            }
            match stream.peek(&mut probe) {
                Ok(0) => return,
                Ok(_) => break,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    continue;
                }
                Err(_) => return,
            }
        }
        if state.peek_is_reset() {
            state.next_fault();
            state.requests.fetch_add(1, Ordering::SeqCst);
            // Closing with the request unread makes the kernel send a RST.
            return;
        }
        let Some(head) = read_request(&mut stream, state, started) else {
            return;
        };
        state.requests.fetch_add(1, Ordering::SeqCst);
        state.request_lines.lock().unwrap().push(head);
        if !act(&mut stream, state.next_fault(), state, started) {
            return;
        }
    }
}

/// One read into `buf`; `None` when the peer closed or the read failed
/// (a read timeout is not a failure: the caller checks its deadline).
fn read_some(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 4096];
    match stream.read(&mut chunk) {
        Ok(0) => None,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Some(())
        }
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Some(()),
        Err(_) => None,
    }
}

/// Reads one request (head and any content-length body); returns its head.
fn read_request(stream: &mut TcpStream, state: &Shared, started: Instant) -> Option<String> {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if state.stopped(started) || buf.len() > 64 * 1024 {
            return None;
        }
        read_some(stream, &mut buf)?;
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        if state.stopped(started) {
            return None;
        }
        read_some(stream, &mut buf)?;
    }
    Some(head)
}

/// Carries out `fault`; `true` when the connection stays usable.
fn act(stream: &mut TcpStream, fault: Fault, state: &Shared, started: Instant) -> bool {
    let reason = |status: u16| match status {
        200 => "OK",
        429 => "Too Many Requests",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    };
    match fault {
        Fault::Respond {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} {}\r\ncontent-length: {}\r\n",
                reason(status),
                body.len()
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            stream
                .write_all(head.as_bytes())
                .and_then(|_| stream.write_all(&body))
                .is_ok()
        }
        Fault::NeverAnswer => {
            while !state.stopped(started) {
                let mut b = [0u8; 1];
                match stream.read(&mut b) {
                    Ok(0) => break, // the client gave up
                    Ok(_) => {}
                    Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                    Err(_) => break,
                }
            }
            false
        }
        Fault::HeadersThenClose => {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"statusCode\":200,\"da");
            false
        }
        Fault::TruncatedChunked => {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n10\r\n{\"statusCode\":20\r\n");
            false
        }
        Fault::Reset => false,
        Fault::Huge(n) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {n}\r\n\r\n"
            );
            if stream.write_all(head.as_bytes()).is_err() {
                return false;
            }
            let block = vec![b' '; 64 * 1024];
            let mut sent = 0;
            while sent < n && !state.stopped(started) {
                let len = block.len().min(n - sent);
                if stream.write_all(&block[..len]).is_err() {
                    break;
                }
                sent += len;
            }
            false
        }
        Fault::Drip { body, interval } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            if stream.write_all(head.as_bytes()).is_err() {
                return false;
            }
            for b in body {
                if state.stopped(started) || stream.write_all(&[b]).is_err() {
                    return false;
                }
                std::thread::sleep(interval);
            }
            true
        }
        Fault::ManyHeaders(n) => {
            let mut head = String::from("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n");
            for i in 0..n {
                head.push_str(&format!("x-filler-{i}: {i}\r\n"));
            }
            head.push_str("\r\n{}");
            let _ = stream.write_all(head.as_bytes());
            false
        }
        Fault::DuplicateContentLength => {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 5\r\n\r\n{}");
            false
        }
    }
}
