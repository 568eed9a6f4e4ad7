//! Shared by the tool's tests (tests/cli*.rs) and the batch engine's: the
//! built binary with a clean environment, bounded waits, and a keep-alive
//! HTTP/1.1 server on 127.0.0.1 whose answers a test scripts.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use genauth_mfa::{ManagementClient, UreqTransport};
use serde_json::Value;

use crate::common::*;

pub fn run(command: &mut Command, stdin: &[u8]) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A tool that refuses its arguments exits before reading: ignore EPIPE.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    wait_output(child, Duration::from_secs(60))
}

/// Waits for `child` at most `limit`, killing it past that. Its stdout and
/// stderr (when piped) are read while it runs, so that a tool writing more
/// than a pipe holds (64 KiB) is not blocked by the wait itself.
pub fn wait_output(mut child: Child, limit: Duration) -> Output {
    fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    }
    let (stdout, stderr) = (drain(child.stdout.take()), drain(child.stderr.take()));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the tool ran over {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

pub fn lines(output: &Output) -> Vec<String> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `name` in a new temporary directory of its own, removed with everything
/// in it (the file, a FIFO, a lock or summary beside it) when the guard is
/// dropped, a failed assertion's unwinding included: tests leave the
/// temporary directory as they found it.
pub fn temp_path(name: &str) -> TempPath {
    let dir = tempfile::Builder::new()
        .prefix("genauth-mfa-test-")
        .tempdir()
        .unwrap();
    let path = dir.path().join(name);
    TempPath { path, _dir: dir }
}

/// A path in a temporary directory that goes with it: see [`temp_path`].
#[derive(Debug)]
pub struct TempPath {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for TempPath {
    type Target = PathBuf;
    fn deref(&self) -> &PathBuf {
        &self.path
    }
}

impl AsRef<std::path::Path> for TempPath {
    fn as_ref(&self) -> &std::path::Path {
        &self.path
    }
}

impl AsRef<std::ffi::OsStr> for TempPath {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.path.as_os_str()
    }
}

pub fn json_rows(output: &Output) -> Vec<Value> {
    lines(output)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

/// Nothing in these tests waits longer than this.
pub const LIMIT: Duration = Duration::from_secs(30);

/// A keep-alive HTTP/1.1 server on 127.0.0.1: one thread per connection,
/// `answer(path_and_query)` gives the body of each request. Stops when
/// dropped; every loop is bounded by [`LIMIT`].
pub struct HttpServer {
    pub url: String,
    pub connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl HttpServer {
    pub fn start(answer: impl Fn(&str) -> String + Send + Sync + 'static) -> HttpServer {
        HttpServer::start_with_body(move |target, _body| answer(target))
    }

    /// As [`start`](Self::start), `answer(path_and_query, body)` seeing the
    /// request's body too (a listing's page is in it).
    pub fn start_with_body(
        answer: impl Fn(&str, &str) -> String + Send + Sync + 'static,
    ) -> HttpServer {
        HttpServer::start_for(LIMIT, answer)
    }

    /// As [`start_with_body`](Self::start_with_body), accepting connections
    /// for `lifetime` rather than [`LIMIT`]: for a test that must make tens
    /// of thousands of requests, which a loaded machine may take longer
    /// than [`LIMIT`] to make.
    pub fn start_for(
        lifetime: Duration,
        answer: impl Fn(&str, &str) -> String + Send + Sync + 'static,
    ) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicUsize::new(0));
        let answer = Arc::new(answer);
        let (stop2, conns) = (Arc::clone(&stop), Arc::clone(&connections));
        std::thread::spawn(move || {
            let born = Instant::now();
            while !stop2.load(Ordering::SeqCst) && born.elapsed() < lifetime {
                match listener.accept() {
                    Ok((stream, _)) => {
                        conns.fetch_add(1, Ordering::SeqCst);
                        let answer = Arc::clone(&answer);
                        std::thread::spawn(move || serve(stream, &*answer));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        HttpServer {
            url,
            stop,
            connections,
        }
    }

    pub fn client(&self, threads: usize) -> ManagementClient {
        ManagementClient::builder()
            .access_key_id(KEY_ID)
            .access_key_secret(KEY_SECRET)
            .host(&self.url)
            .transport(
                UreqTransport::builder()
                    .max_idle_connections(threads)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn serve(stream: TcpStream, answer: &(dyn Fn(&str, &str) -> String + Send + Sync)) {
    stream.set_read_timeout(Some(LIMIT)).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    for _ in 0..10_000 {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let target = request_line.split(' ').nth(1).unwrap_or("/").to_owned();
        let body = answer(&target, &String::from_utf8_lossy(&body));
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        if stream.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// Holds each user request until `min(threads, users not finished)`
/// requests are in flight at once (or 3 s pass: then it counts a starved
/// request). A run that serialises its tail starves some.
pub struct Gate {
    state: Mutex<(usize, usize)>, // (in flight, finished)
    changed: Condvar,
    threads: usize,
    users: usize,
    pub starved: AtomicUsize,
}

impl Gate {
    pub fn new(threads: usize, users: usize) -> Gate {
        Gate {
            state: Mutex::new((0, 0)),
            changed: Condvar::new(),
            threads,
            users,
            starved: AtomicUsize::new(0),
        }
    }
}

impl Gate {
    pub fn pass(&self) {
        let mut state = self.state.lock().unwrap();
        state.0 += 1;
        self.changed.notify_all();
        let deadline = Instant::now() + Duration::from_secs(3);
        while state.0 < self.threads.min(self.users - state.1) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                self.starved.fetch_add(1, Ordering::SeqCst);
                break;
            }
            state = self.changed.wait_timeout(state, left).unwrap().0;
        }
        drop(state);
        // Let the others see the full count before this one leaves.
        std::thread::sleep(Duration::from_millis(20));
        let mut state = self.state.lock().unwrap();
        state.0 -= 1;
        state.1 += 1;
        self.changed.notify_all();
    }
}

/// The token for any token request, a plain pool policy for the reads an
/// audit makes before its first user ([`pool_policy`]), `user(path_and_query)`
/// for the rest.
pub fn token_or_user(target: &str, user: impl Fn(&str) -> String) -> String {
    if target.starts_with("/api/v3/get-management-token") {
        token_body(T1, 7200)
    } else if let Some(body) = pool_policy(target) {
        body
    } else {
        user(target)
    }
}

/// The answer of a pool that enables all four factors and has empty
/// WHITE lists, for the reads an audit makes before its first user
/// (`get-global-mfa-settings`, `user-list`, `ip-list`); `None` for any
/// other request.
pub fn pool_policy(target: &str) -> Option<String> {
    let data = if target.starts_with("/api/v3/get-global-mfa-settings") {
        r#"{"enabledFactors":["OTP","SMS","EMAIL","FACE"]}"#
    } else if target.starts_with("/api/v3/user-list") || target.starts_with("/api/v3/ip-list") {
        r#"{"totalCount":0,"list":[]}"#
    } else {
        return None;
    };
    Some(format!(
        r#"{{"statusCode":200,"message":"ok","requestId":"policy","data":{data}}}"#
    ))
}
