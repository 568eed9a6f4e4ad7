//! A loopback server with a quota, as GenAuth throttles: one token bucket
//! (`quota` requests a second, `burst` at once) for the MFA-info route;
//! a request over it is answered at once with HTTP 200 and the vendor's
//! throttle envelope `{"statusCode":429,...}` (no apiCode, no Retry-After),
//! an accepted one after `delay`. The token route is not counted.
//! [`QuotaServer::with_pool`] also answers `POST /api/v3/list-users` with
//! pages of a pool of generated users (`u0`, `u1`, ...; counted against
//! the same bucket, as the service's quota counts every call).
//!
//! [`QuotaServer::with_rule`] throttles by another [`Rule`] instead: a
//! quota that changes mid-run, or throttles that do not depend on the
//! client's rate (the first request for each user id, the very first
//! request, every n-th, a random share). Requests for ids starting with
//! `metronome` are never throttled nor counted: [`Metronome`] is a
//! reference pace the throttled client's progress is measured against, in
//! calls rather than in seconds.
//!
//! Shared by `tests/throttle.rs`, `tests/regression.rs`, `benches/throttle.rs` and
//! `benches/pool.rs`. One thread per connection (kept alive); every thread
//! ends when the server is dropped.

#![allow(dead_code)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// An unsigned JWT whose payload is `{"scoped_userpool_id": "pool-q"}`.
pub const TOKEN: &str = "eyJhbGciOiJub25lIn0.eyJzY29wZWRfdXNlcnBvb2xfaWQiOiAicG9vbC1xIn0.sig";

const THROTTLE: &str = r#"{"statusCode":429,"message":"您的请求已超过最大数量限制，请稍后重试"}"#;
const ACCEPTED: &str = r#"{"statusCode":200,"message":"ok","data":{"totpStatus":"enabled","faceMfaStatus":"disabled","smsMfaStatus":"disabled","emailMfaStatus":"disabled"}}"#;

#[derive(Default)]
pub struct Counts {
    pub accepted: AtomicU64,
    pub throttled: AtomicU64,
    /// Throttles in the server's first second (the start of a run).
    pub throttled_first_second: AtomicU64,
    pub connections: AtomicU64,
    pub tokens: AtomicU64,
    pub pages: AtomicU64,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Which requests the server throttles (answered at once with the
/// vendor's throttle envelope); the others are answered after the delay.
#[derive(Debug, Clone)]
pub enum Rule {
    /// Nothing.
    None,
    /// A token bucket of `per_second` (burst `burst`); after `change`, if
    /// any, `(when, per_second)`, the bucket fills at the new rate.
    Quota {
        per_second: f64,
        burst: f64,
        change: Option<(Duration, f64)>,
    },
    /// The first request for each user id (its retry is answered).
    FirstPerId,
    /// The very first request of the run.
    FirstOnly,
    /// Every n-th request (n = 50: 2 %).
    EveryNth(u64),
    /// Each request with this probability, from a fixed seed.
    Share(f64),
    /// A token bucket of `per_second` (burst `burst`) and, whatever it
    /// holds, each request with probability `share` (from a fixed seed).
    QuotaAndShare {
        per_second: f64,
        burst: f64,
        share: f64,
    },
    /// Every request until this long after the first one: a run that
    /// starts while the pool's quota is used up by someone else.
    ColdStart(Duration),
    /// Every request in the first `lasting` of every `every` since the
    /// first request: a pool whose quota someone else uses up now and then.
    Bursts { every: Duration, lasting: Duration },
}

/// What a rule needs to remember.
struct RuleState {
    rule: Rule,
    started: Instant,
    bucket: Bucket,
    seen: HashSet<String>,
    requests: u64,
    rng: fastrand::Rng,
    /// When the first request came.
    first: Option<Instant>,
    /// A header line (`Name: value`) sent with every throttle answer.
    header: Option<String>,
    /// How long a throttle answer takes (none: at once).
    throttle_delay: Duration,
}

impl RuleState {
    fn new(rule: Rule) -> RuleState {
        let burst = match rule {
            Rule::Quota { burst, .. } | Rule::QuotaAndShare { burst, .. } => burst,
            _ => 0.0,
        };
        RuleState {
            rule,
            started: Instant::now(),
            first: None,
            header: None,
            throttle_delay: Duration::ZERO,
            bucket: Bucket {
                tokens: burst,
                at: Instant::now(),
            },
            seen: HashSet::new(),
            requests: 0,
            rng: fastrand::Rng::with_seed(20),
        }
    }

    /// Whether the request for `path` is throttled.
    fn throttles(&mut self, path: &str) -> bool {
        self.requests += 1;
        match self.rule {
            Rule::None => false,
            Rule::Quota {
                per_second,
                burst,
                change,
            } => {
                let now = Instant::now();
                let rate = match change {
                    Some((after, rate)) if now.duration_since(self.started) >= after => rate,
                    _ => per_second,
                };
                let b = &mut self.bucket;
                b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * rate).min(burst);
                b.at = now;
                if b.tokens >= 1.0 {
                    b.tokens -= 1.0;
                    false
                } else {
                    true
                }
            }
            Rule::FirstPerId => self.seen.insert(user_id(path).to_owned()),
            Rule::FirstOnly => self.requests == 1,
            Rule::EveryNth(n) => self.requests % n.max(1) == 0,
            Rule::Share(p) => self.rng.f64() < p,
            Rule::QuotaAndShare {
                per_second,
                burst,
                share,
            } => {
                if self.rng.f64() < share {
                    return true;
                }
                let now = Instant::now();
                let b = &mut self.bucket;
                b.tokens =
                    (b.tokens + now.duration_since(b.at).as_secs_f64() * per_second).min(burst);
                b.at = now;
                if b.tokens >= 1.0 {
                    b.tokens -= 1.0;
                    false
                } else {
                    true
                }
            }
            Rule::ColdStart(lasting) => {
                let first = *self.first.get_or_insert_with(Instant::now);
                first.elapsed() < lasting
            }
            Rule::Bursts { every, lasting } => {
                let first = *self.first.get_or_insert_with(Instant::now);
                let into = first.elapsed().as_nanos() % every.as_nanos().max(1);
                into < lasting.as_nanos()
            }
        }
    }
}

/// The `userId` a request's path asks about, or the whole path.
fn user_id(path: &str) -> &str {
    path.split_once("userId=")
        .map_or(path, |(_, rest)| rest.split('&').next().unwrap_or(rest))
}

pub struct QuotaServer {
    url: String,
    stop: Arc<AtomicBool>,
    pub counts: Arc<Counts>,
    rule: Arc<Mutex<RuleState>>,
}

impl QuotaServer {
    /// `quota` of `None`: no quota at all.
    pub fn start(quota: Option<f64>, burst: f64, delay: Duration) -> QuotaServer {
        QuotaServer::with_pool(quota, burst, delay, 0)
    }

    /// The same server, whose `list-users` lists a pool of `pool` users.
    pub fn with_pool(quota: Option<f64>, burst: f64, delay: Duration, pool: u64) -> QuotaServer {
        let rule = match quota {
            Some(per_second) => Rule::Quota {
                per_second,
                burst,
                change: None,
            },
            None => Rule::None,
        };
        QuotaServer::serve(rule, delay, pool)
    }

    /// A server that throttles by `rule`, answering the others after `delay`.
    pub fn with_rule(rule: Rule, delay: Duration) -> QuotaServer {
        QuotaServer::serve(rule, delay, 0)
    }

    /// A server that throttles by `rule`, its throttle answers sent with
    /// the header line `header` (`Name: value`).
    pub fn with_rule_and_header(rule: Rule, delay: Duration, header: &str) -> QuotaServer {
        QuotaServer::serve_with(rule, delay, 0, Some(header.to_owned()))
    }

    /// A server that throttles by `rule`, answering its throttles after
    /// `throttle_delay` and the other requests after `delay`.
    pub fn with_slow_throttles(
        rule: Rule,
        delay: Duration,
        throttle_delay: Duration,
    ) -> QuotaServer {
        let server = QuotaServer::serve_with(rule, delay, 0, None);
        server.rule.lock().unwrap().throttle_delay = throttle_delay;
        server
    }

    fn serve(rule: Rule, delay: Duration, pool: u64) -> QuotaServer {
        QuotaServer::serve_with(rule, delay, pool, None)
    }

    fn serve_with(rule: Rule, delay: Duration, pool: u64, header: Option<String>) -> QuotaServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let counts = Arc::new(Counts::default());
        let mut state = RuleState::new(rule);
        state.header = header;
        let bucket = Arc::new(Mutex::new(state));
        {
            let (stop, counts, bucket) =
                (Arc::clone(&stop), Arc::clone(&counts), Arc::clone(&bucket));
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    counts.connections.fetch_add(1, Ordering::SeqCst);
                    let (stop, counts, bucket) =
                        (Arc::clone(&stop), Arc::clone(&counts), Arc::clone(&bucket));
                    std::thread::spawn(move || serve(conn, &stop, &counts, &bucket, delay, pool));
                }
            });
        }
        QuotaServer {
            url,
            stop,
            counts,
            rule: bucket,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn accepted(&self) -> u64 {
        self.counts.accepted.load(Ordering::SeqCst)
    }

    pub fn throttled(&self) -> u64 {
        self.counts.throttled.load(Ordering::SeqCst)
    }

    /// Throttles in the server's first second.
    pub fn throttled_first_second(&self) -> u64 {
        self.counts.throttled_first_second.load(Ordering::SeqCst)
    }

    pub fn connections(&self) -> u64 {
        self.counts.connections.load(Ordering::SeqCst)
    }

    pub fn pages(&self) -> u64 {
        self.counts.pages.load(Ordering::SeqCst)
    }
}

impl Drop for QuotaServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

fn serve(
    conn: TcpStream,
    stop: &AtomicBool,
    counts: &Counts,
    rule: &Mutex<RuleState>,
    delay: Duration,
    pool: u64,
) {
    let _ = conn.set_read_timeout(Some(Duration::from_millis(200)));
    let mut writer = match conn.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut reader = BufReader::new(conn);
    let started = Instant::now();
    // Bounded: a connection lives at most ten minutes.
    while !stop.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(600) {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                continue;
            }
            Err(_) => return,
        }
        let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            match reader.read_line(&mut header) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut =>
                {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    continue;
                }
                Err(_) => return,
            }
            let header = header.trim_end();
            if header.is_empty() {
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
        let mut extra = String::new();
        let answer = if path.starts_with("/api/v3/get-management-token") {
            counts.tokens.fetch_add(1, Ordering::SeqCst);
            format!(r#"{{"statusCode":200,"data":{{"access_token":"{TOKEN}","expires_in":7200}}}}"#)
        } else if path.contains("userId=metronome") {
            ACCEPTED.to_owned()
        } else if !rule.lock().unwrap().throttles(&path) {
            std::thread::sleep(delay);
            counts.accepted.fetch_add(1, Ordering::SeqCst);
            if path.starts_with("/api/v3/list-users") {
                counts.pages.fetch_add(1, Ordering::SeqCst);
                page(&body, pool)
            } else {
                ACCEPTED.to_owned()
            }
        } else {
            counts.throttled.fetch_add(1, Ordering::SeqCst);
            if rule.lock().unwrap().started.elapsed() < Duration::from_secs(1) {
                counts.throttled_first_second.fetch_add(1, Ordering::SeqCst);
            }
            let slow = {
                let state = rule.lock().unwrap();
                if let Some(header) = &state.header {
                    extra = format!("{header}\r\n");
                }
                state.throttle_delay
            };
            std::thread::sleep(slow);
            THROTTLE.to_owned()
        };
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{extra}content-length: {}\r\n\r\n{answer}",
            answer.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// The page a list-users body asks for, of a pool of `pool` users.
fn page(body: &[u8], pool: u64) -> String {
    let request: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let pagination = &request["options"]["pagination"];
    let page = pagination["page"].as_u64().unwrap_or(1).max(1);
    let limit = pagination["limit"].as_u64().unwrap_or(10).min(50);
    let first = (page - 1).saturating_mul(limit).min(pool);
    let last = first.saturating_add(limit).min(pool);
    let list: Vec<String> = (first..last)
        .map(|i| {
            format!(
                r#"{{"userId":"u{i}","status":"Activated","createdAt":"2024-01-01T00:00:00.000Z","username":"user{i}","email":"u{i}@example.com","phone":null,"lastLogin":null,"lastMfaTime":null}}"#
            )
        })
        .collect();
    format!(
        r#"{{"statusCode":200,"message":"ok","data":{{"totalCount":{pool},"list":[{}]}}}}"#,
        list.join(",")
    )
}

/// A reference pace: one client of its own calling the server one call
/// after another (ids `metronome-N`, never throttled), so that a throttled
/// run's progress can be told in calls rather than seconds. When it has
/// made `limit` calls it cancels `cancel` and stops.
pub struct Metronome {
    calls: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Metronome {
    pub fn start(url: &str, limit: u64, cancel: genauth_mfa::CancelToken) -> Metronome {
        let calls = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let client = genauth_mfa::ManagementClient::builder()
            .access_key_id("ak")
            .access_key_secret("sk")
            .host(url)
            .build()
            .expect("the metronome's client");
        let thread = {
            let (calls, stop) = (Arc::clone(&calls), Arc::clone(&stop));
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let n = calls.load(Ordering::SeqCst);
                    if n >= limit {
                        cancel.cancel();
                        return;
                    }
                    let _ = client.get_user_mfa_info(format!("metronome-{n}")).send();
                    calls.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        Metronome {
            calls,
            stop,
            thread: Some(thread),
        }
    }

    /// Stops it; the calls it made.
    pub fn stop(mut self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.calls.load(Ordering::SeqCst)
    }
}

impl Drop for Metronome {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}
