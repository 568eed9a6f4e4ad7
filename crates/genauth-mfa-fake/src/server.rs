//! [`FakeServer`]: a [`FakeGenAuth`] served over HTTP/1.1 on 127.0.0.1,
//! std only.
//!
//! One thread accepts; each connection gets a thread of its own (a small
//! stack) for as long as the client keeps it alive, up to
//! [`FakeServer::MAX_CONNECTIONS`] at once: std has no readiness polling,
//! and a pool of fewer threads than kept-alive connections would leave some
//! clients waiting behind idle ones. Dropping the server stops the
//! acceptor, shuts every connection down and waits for their threads.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use http::{Method, StatusCode};

use super::fake::FakeGenAuth;
use super::head::Refusal;
use super::http1::{Conn, Next};

/// How long a refused client may go on sending before the close.
const LINGER: Duration = Duration::from_millis(500);

/// Each connection thread's stack: the routing needs little.
const STACK_BYTES: usize = 512 * 1024;

/// The server's bounds (tests of the bounds themselves shrink them).
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub(super) max_connections: usize,
    pub(super) idle_timeout: Duration,
    pub(super) request_timeout: Duration,
}

impl Limits {
    const DEFAULT: Limits = Limits {
        max_connections: FakeServer::MAX_CONNECTIONS,
        idle_timeout: FakeServer::IDLE_TIMEOUT,
        request_timeout: FakeServer::REQUEST_TIMEOUT,
    };
}

/// A [`FakeGenAuth`] served over HTTP/1.1 on `127.0.0.1` (a free port),
/// from [`FakeGenAuth::serve`]; it stops when dropped.
///
/// Point any client at [`url`](Self::url): this crate's clients with their
/// default transport (`.host(url)` or `.app_host(url)`), or code in another
/// language, `curl` included. Every request goes through the same routing
/// as the in-process fake, so the fake's [`requests`](FakeGenAuth::requests)
/// and [`count`](FakeGenAuth::count) see them, and its failures apply (see
/// [`Failure::Transport`](super::Failure::Transport) for what a transport
/// failure does to a connection).
///
/// What it speaks: HTTP/1.1 and 1.0, keep-alive (the default in 1.1,
/// `connection: close` honoured), pipelining, `Content-Length` and chunked
/// request bodies, `Expect: 100-continue`. What it refuses, answering the
/// status itself and closing the connection: a malformed head (400), a head
/// over 16 KiB or with over 64 headers (431), a body over 1 MiB (413), an
/// ambiguous length (400), a transfer coding other than chunked (501), a
/// request that takes over [`REQUEST_TIMEOUT`](Self::REQUEST_TIMEOUT)
/// (408), a connection beyond [`MAX_CONNECTIONS`](Self::MAX_CONNECTIONS)
/// (503). A connection idle for [`IDLE_TIMEOUT`](Self::IDLE_TIMEOUT) is
/// closed.
///
/// ```
/// use genauth_mfa::{ManagementClient, MfaStatus, UserIdType, UserMfaInfo};
/// use genauth_mfa_fake::{FakeGenAuth, Route};
///
/// let fake = FakeGenAuth::new().with_user("u1", UserIdType::UserId, UserMfaInfo::new().totp(MfaStatus::Enabled));
/// let server = fake.serve()?;
/// let mgmt = ManagementClient::builder()
///     .access_key_id("ak")
///     .access_key_secret("sk")
///     .host(server.url()) // the default transport, over loopback HTTP
///     .build()?;
/// assert!(mgmt.get_user_mfa_info("u1").send()?.totp.is_enabled());
/// assert_eq!(fake.count(Route::GetUserMfaInfo), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "the server stops when dropped"]
pub struct FakeServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

struct Shared {
    fake: FakeGenAuth,
    limits: Limits,
    stopping: AtomicBool,
    live: Mutex<Live>,
    /// Signalled whenever a connection ends.
    ended: Condvar,
}

/// The open connections, to shut them down on stop.
#[derive(Default)]
struct Live {
    next_id: u64,
    streams: HashMap<u64, TcpStream>,
}

impl FakeGenAuth {
    /// Serves this fake over HTTP/1.1 on `127.0.0.1` at a free port, until
    /// the [`FakeServer`] is dropped. The server shares this fake's state:
    /// keep `self` (or a clone) to set failures and read the requests.
    ///
    /// ```
    /// use genauth_mfa_fake::FakeGenAuth;
    ///
    /// let server = FakeGenAuth::demo().serve()?;
    /// assert!(server.url().starts_with("http://127.0.0.1:"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// When no port can be bound or no thread started.
    pub fn serve(&self) -> io::Result<FakeServer> {
        FakeServer::start(self.clone(), Limits::DEFAULT)
    }
}

impl FakeServer {
    /// The most connections served at once; each has its own thread.
    pub const MAX_CONNECTIONS: usize = 1024;
    /// How long a kept-alive connection may sit idle before it is closed.
    pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
    /// How long a request may take to arrive once it has started.
    pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

    pub(super) fn start(fake: FakeGenAuth, limits: Limits) -> io::Result<FakeServer> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            fake,
            limits,
            stopping: AtomicBool::new(false),
            live: Mutex::new(Live::default()),
            ended: Condvar::new(),
        });
        let acceptor = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name("fake-genauth-accept".into())
                .spawn(move || accept(&listener, &shared))?
        };
        Ok(FakeServer {
            addr,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// The base URL, `http://127.0.0.1:<port>`: give it to a builder's
    /// `.host(..)` or `.app_host(..)`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the server listens on.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The fake it serves (a handle sharing its state).
    #[must_use]
    pub fn fake(&self) -> &FakeGenAuth {
        &self.shared.fake
    }

    /// How many connections are open now.
    #[must_use]
    pub fn connections(&self) -> usize {
        self.shared.live().streams.len()
    }
}

impl fmt::Debug for FakeServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeServer")
            .field("url", &self.url())
            .field("connections", &self.connections())
            .finish_non_exhaustive()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the acceptor from accept(); if even that fails, leave it be
        // rather than wait forever (it stops at its next connection).
        let woken = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).is_ok();
        if let Some(acceptor) = self.acceptor.take().filter(|_| woken) {
            let _ = acceptor.join();
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut live = self.shared.live();
        for stream in live.streams.values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        while !live.streams.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            live = match self.shared.ended.wait_timeout(live, left) {
                Ok((live, _)) => live,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }
}

impl Shared {
    fn live(&self) -> MutexGuard<'_, Live> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Registers `stream` and gives it a thread, or refuses it when full.
    fn admit(self: &Arc<Self>, stream: TcpStream) {
        let id = {
            let mut live = self.live();
            if live.streams.len() >= self.limits.max_connections {
                drop(live);
                refuse(
                    stream,
                    Refusal(StatusCode::SERVICE_UNAVAILABLE, "too many connections"),
                );
                return;
            }
            let Ok(handle) = stream.try_clone() else {
                return;
            };
            live.next_id += 1;
            let id = live.next_id;
            live.streams.insert(id, handle);
            id
        };
        let shared = Arc::clone(self);
        let spawned = thread::Builder::new()
            .name("fake-genauth-conn".into())
            .stack_size(STACK_BYTES)
            .spawn(move || {
                let _ended = Ended(&shared, id);
                serve(&shared, stream);
            });
        if spawned.is_err() {
            self.end(id);
        }
    }

    fn end(&self, id: u64) {
        self.live().streams.remove(&id);
        self.ended.notify_all();
    }
}

/// Deregisters a connection when its thread ends, however it ends.
struct Ended<'a>(&'a Shared, u64);

impl Drop for Ended<'_> {
    fn drop(&mut self) {
        self.0.end(self.1);
    }
}

fn accept(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping() {
            return;
        }
        match stream {
            Ok(stream) => shared.admit(stream),
            // Out of file descriptors, say: wait instead of spinning.
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// Answers the requests of one connection until it closes.
fn serve(shared: &Shared, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(shared.limits.request_timeout));
    let limits = shared.limits;
    let mut conn = Conn::new(stream, limits.idle_timeout, limits.request_timeout);
    loop {
        let (request, keep_alive) = match conn.next_request() {
            Next::Request {
                request,
                keep_alive,
            } => (request, keep_alive),
            Next::Closed => return,
            Next::Refused(refusal) => return conn.refuse(refusal, LINGER),
        };
        let keep_alive = keep_alive && !shared.stopping();
        let head = request.method() == Method::HEAD;
        match shared.fake.answer(request) {
            Ok(response) => {
                if conn.write(&response, keep_alive, head).is_err() || !keep_alive {
                    return;
                }
            }
            Err(kind) => return conn.misbehave(kind),
        }
    }
}

/// Answers a connection the server has no room for without waiting for
/// it: this runs on the accepting thread.
fn refuse(stream: TcpStream, refusal: Refusal) {
    if stream.set_nonblocking(true).is_ok() {
        Conn::new(stream, Duration::ZERO, Duration::ZERO).refuse(refusal, Duration::from_millis(1));
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;
    use crate::Route;

    fn small() -> FakeServer {
        let limits = Limits {
            max_connections: 2,
            idle_timeout: Duration::from_millis(200),
            request_timeout: Duration::from_millis(200),
        };
        FakeServer::start(FakeGenAuth::new(), limits).unwrap()
    }

    /// Everything the server sends until it closes the connection.
    fn rest(stream: &mut TcpStream) -> String {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut out = Vec::new();
        let _ = stream.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn a_server_can_be_kept_anywhere() {
        fn assert_shareable<T: Send + Sync + 'static>() {}
        assert_shareable::<FakeServer>();
    }

    #[test]
    fn connections_beyond_the_bound_are_refused_with_503() {
        let server = small();
        let mut kept = Vec::new();
        for _ in 0..2 {
            let mut stream = TcpStream::connect(server.addr()).unwrap();
            stream.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
            let mut head = [0u8; 12];
            stream.read_exact(&mut head).unwrap();
            assert_eq!(&head, b"HTTP/1.1 404");
            kept.push(stream);
        }
        let mut third = TcpStream::connect(server.addr()).unwrap();
        assert!(rest(&mut third).starts_with("HTTP/1.1 503"));
        drop(kept);
    }

    #[test]
    fn idle_connections_close_and_slow_requests_get_408() {
        let server = small();
        let mut idle = TcpStream::connect(server.addr()).unwrap();
        assert_eq!(rest(&mut idle), "");
        let mut slow = TcpStream::connect(server.addr()).unwrap();
        slow.write_all(b"GET / HTTP/1.1\r\nhost:").unwrap();
        assert!(rest(&mut slow).starts_with("HTTP/1.1 408"));
        let mut slow_body = TcpStream::connect(server.addr()).unwrap();
        slow_body
            .write_all(b"POST / HTTP/1.1\r\ncontent-length: 9\r\n\r\nabc")
            .unwrap();
        assert!(rest(&mut slow_body).starts_with("HTTP/1.1 408"));
        assert_eq!(server.fake().count(Route::Any), 0);
    }
}
