//! The performance record: run with
//!
//! ```text
//! cargo bench --bench bench                    # 20,000 calls per measurement
//! cargo bench --bench bench -- 50000 5         # calls, rounds
//! ```
//!
//! It starts its own fixed-response HTTP/1.1 server on 127.0.0.1 (keep-alive,
//! a thread per connection) and needs nothing else. In one run, on the same
//! machine and server, it measures:
//!
//! - calls per second of `ManagementClient::get_user_mfa_info` on 1 thread and
//!   on 8 threads sharing one client;
//! - the same loop with a bare `ureq::Agent` + `serde_json` (the same URL,
//!   headers and decoding), twice: with no timeouts, the floor the SDK sits on
//!   (so the SDK's own overhead is a ratio), and with a 10 s timeout, as a
//!   straightforward caller would write it (ureq 3.5 then resolves the host
//!   on a new thread for every call, and since 0.3 so does the SDK: see BENCHMARKS.md);
//! - p50 and p99 latency of one SDK call;
//! - peak RSS of `genauth-mfa audit` over 10,000 ids (Linux: `VmHWM` of the
//!   child; the tool is built with `-p genauth-mfa-cli`).
//!
//! Rounds alternate SDK and bare runs so that drift hits both; the best
//! round of each is reported, with the median beside it.
//!
//! `bench --only sdk|floor CALLS` makes just CALLS one-thread calls of one
//! loop after a short warm-up, for instruction counts that a noisy machine
//! cannot blur (`bash benches/instructions.sh` runs it under callgrind).

use std::io::Write;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[path = "support/http1.rs"]
mod http1;

use genauth_mfa::{ManagementClient, UserIdType};
use serde::Deserialize;

const POOL: &str = "62e221f85f5ac5cc47037a0f";
const TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzY29wZWRfdXNlcnBvb2xfaWQiOiI2MmUyMjFmODVmNWFjNWNjNDcwMzdhMGYiLCJleHAiOjQxMDI0NDQ4MDAsImlhdCI6MTc2MzkwMDAwMH0.c2FuZGJveA";
const MFA_INFO: &str = r#"{"statusCode":200,"message":"Success","requestId":"934108e5-9fbf-4d24-8da1-c330328abd6c","data":{"totpStatus":true,"faceMfaStatus":true,"smsMfaStatus":true,"emailMfaStatus":true}}"#;
const USER: &str = "alice@example.com";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--only") {
        return only(&args[1..]);
    }
    let calls: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let rounds: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let server = Server::start();
    let url = server.url.clone();
    println!("genauth-mfa bench: {calls} calls per measurement, {rounds} rounds, server {url}");
    println!(
        "machine: {} cores; {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model()
    );

    let client = sdk_client(&url);
    let floor = Bare::new(&url, None);
    let bare = Bare::new(&url, Some(Duration::from_secs(10)));
    // Warm up: token, connections, caches.
    sdk_loop(&client, 1000);
    floor.run(1000);
    bare.run(1000);

    let mut results: Vec<(&str, Vec<f64>)> = Vec::new();
    let mut record =
        |name: &'static str, rate: f64| match results.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => v.push(rate),
            None => results.push((name, vec![rate])),
        };
    for _ in 0..rounds {
        record("sdk, 1 thread", rate(calls, || sdk_loop(&client, calls)));
        record("floor, 1 thread", rate(calls, || floor.run(calls)));
        record("ureq+timeout, 1 thread", rate(calls, || bare.run(calls)));
        record(
            "sdk, 8 threads",
            rate(calls, || threads(8, calls, |n| sdk_loop(&client, n))),
        );
        record(
            "floor, 8 threads",
            rate(calls, || threads(8, calls, |n| floor.run(n))),
        );
        record(
            "ureq+timeout, 8 threads",
            rate(calls, || threads(8, calls, |n| bare.run(n))),
        );
    }
    println!();
    println!("{:<24} {:>12} {:>12}", "calls/s", "best", "median");
    for (name, rates) in &results {
        println!("{name:<24} {:>12.0} {:>12.0}", best(rates), median(rates));
    }
    let get = |name: &str| best(&results.iter().find(|(n, _)| *n == name).unwrap().1);
    println!();
    println!(
        "sdk / floor, 1 thread:   {:.3}",
        get("sdk, 1 thread") / get("floor, 1 thread")
    );
    println!(
        "sdk / floor, 8 threads:  {:.3}",
        get("sdk, 8 threads") / get("floor, 8 threads")
    );
    println!(
        "sdk 8 threads / 1:        {:.2}x",
        get("sdk, 8 threads") / get("sdk, 1 thread")
    );

    let mut latencies: Vec<Duration> = (0..calls)
        .map(|_| {
            let started = Instant::now();
            client
                .get_user_mfa_info(USER)
                .user_id_type(UserIdType::Email)
                .send()
                .expect("call");
            started.elapsed()
        })
        .collect();
    latencies.sort();
    println!();
    println!(
        "latency of one sdk call: p50 {:?}, p99 {:?}, max {:?}",
        latencies[calls / 2],
        latencies[calls * 99 / 100],
        latencies[calls - 1]
    );
    println!(
        "server connections accepted: {}",
        server.connections.load(Ordering::Relaxed)
    );

    match audit_peak_rss(&url, 10_000) {
        Ok((kib, elapsed)) => println!(
            "genauth-mfa audit, 10,000 ids, 4 threads: peak RSS {:.1} MiB, {elapsed:.2?}",
            kib as f64 / 1024.0
        ),
        Err(e) => println!("genauth-mfa audit peak RSS: not measured ({e})"),
    }
}

/// `--only sdk|floor CALLS [URL]`: one loop on one thread, nothing else,
/// against the example's own server or the server at URL (an nginx
/// started by `benches/nginx.sh`, say); prints calls per second.
fn only(args: &[String]) {
    let (Some(which), Some(calls)) = (args.first(), args.get(1).and_then(|a| a.parse().ok()))
    else {
        eprintln!("usage: bench --only sdk|floor CALLS [URL]");
        std::process::exit(1);
    };
    let own = args.get(2).is_none().then(Server::start);
    let url = args
        .get(2)
        .cloned()
        .or_else(|| own.as_ref().map(|s| s.url.clone()))
        .unwrap_or_default();
    let warm_up = 100;
    let started;
    match which.as_str() {
        "sdk" => {
            let client = sdk_client(&url);
            sdk_loop(&client, warm_up);
            started = Instant::now();
            sdk_loop(&client, calls);
        }
        "floor" => {
            let floor = Bare::new(&url, None);
            floor.run(warm_up);
            started = Instant::now();
            floor.run(calls);
        }
        other => {
            eprintln!("--only takes sdk or floor, not {other:?}");
            std::process::exit(1);
        }
    }
    let rate = calls as f64 / started.elapsed().as_secs_f64();
    println!("{which}: {calls} calls after {warm_up} warm-up calls, {rate:.0} calls/s");
}

/// The SDK client every measurement uses: defaults, aimed at the local server.
fn sdk_client(url: &str) -> ManagementClient {
    ManagementClient::builder()
        .access_key_id("ak")
        .access_key_secret("sk")
        .host(url)
        .build()
        .expect("client")
}

fn sdk_loop(client: &ManagementClient, n: usize) {
    for _ in 0..n {
        let info = client
            .get_user_mfa_info(USER)
            .user_id_type(UserIdType::Email)
            .send()
            .expect("sdk call");
        assert!(info.totp.is_enabled());
    }
}

/// The floor: one agent, the same request and decoding, nothing else.
struct Bare {
    agent: ureq::Agent,
    url: String,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "statusCode")]
    status_code: i64,
    data: Option<Statuses>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Statuses {
    #[serde(rename = "totpStatus")]
    totp: serde_json::Value,
    #[serde(rename = "faceMfaStatus")]
    face: serde_json::Value,
    #[serde(rename = "smsMfaStatus")]
    sms: serde_json::Value,
    #[serde(rename = "emailMfaStatus")]
    email: serde_json::Value,
}

impl Bare {
    fn new(base: &str, timeout: Option<Duration>) -> Bare {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(timeout)
            .max_idle_connections_per_host(16)
            .build()
            .new_agent();
        Bare {
            agent,
            url: format!(
                "{base}/api/v3/get-user-mfa-info?userId=alice%40example.com&userIdType=email"
            ),
        }
    }

    fn run(&self, n: usize) {
        for _ in 0..n {
            let mut response = self
                .agent
                .get(&self.url)
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("x-genauth-userpool-id", POOL)
                .header("x-genauth-sdk-version", genauth_mfa::SDK_VERSION)
                .call()
                .expect("bare call");
            let body = response.body_mut().read_to_vec().expect("bare body");
            let envelope: Envelope = serde_json::from_slice(&body).expect("bare json");
            assert!(envelope.status_code == 200 && envelope.data.is_some());
        }
    }
}

fn threads(count: usize, calls: usize, work: impl Fn(usize) + Sync) {
    std::thread::scope(|s| {
        for i in 0..count {
            let share = calls / count + usize::from(i < calls % count);
            let work = &work;
            s.spawn(move || work(share));
        }
    });
}

fn rate(calls: usize, f: impl FnOnce()) -> f64 {
    let started = Instant::now();
    f();
    calls as f64 / started.elapsed().as_secs_f64()
}

fn best(v: &[f64]) -> f64 {
    v.iter().copied().fold(0.0, f64::max)
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "cpu model unknown".into())
}

/// Builds and runs `genauth-mfa audit` over `ids` ids against `url`;
/// returns its peak RSS in KiB (the highest `VmHWM` seen while it ran) and
/// how long it took.
fn audit_peak_rss(url: &str, ids: usize) -> Result<(u64, Duration), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "--release",
            "-p",
            "genauth-mfa-cli",
            "--bin",
            "genauth-mfa",
        ])
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("cargo build --release -p genauth-mfa-cli --bin genauth-mfa failed".into());
    }
    let exe = std::env::current_exe()
        .map_err(|e| e.to_string())?
        .parent()
        .and_then(|deps| deps.parent())
        .ok_or("no target directory")?
        .join("genauth-mfa");
    let started = Instant::now();
    let mut child = Command::new(exe)
        .args(["audit", "--user-id-type", "email", "--output", "/dev/null"])
        .env_clear()
        .env("GENAUTH_ACCESS_KEY_ID", "ak")
        .env("GENAUTH_ACCESS_KEY_SECRET", "sk")
        .env("GENAUTH_HOST", url)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let pid = child.id();
    let mut stdin = child.stdin.take().expect("stdin");
    let feeder = std::thread::spawn(move || {
        for i in 0..ids {
            if writeln!(stdin, "user-{i}@example.com").is_err() {
                break;
            }
        }
    });
    let mut peak = 0;
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(kib) = vm_hwm_kib(pid) {
            peak = peak.max(kib);
        }
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break status,
            None if Instant::now() > deadline => {
                let _ = child.kill();
                return Err("the audit ran over 300 s".into());
            }
            None => std::thread::sleep(Duration::from_millis(2)),
        }
    };
    let _ = feeder.join();
    if !status.success() {
        return Err(format!("the audit exited with {status}"));
    }
    if peak == 0 {
        return Err("no /proc/<pid>/status VmHWM on this system".into());
    }
    Ok((peak, started.elapsed()))
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A fixed-response HTTP/1.1 server: the token for any POST, the sample
/// get-user-mfa-info answer for any GET. Keep-alive, a thread per connection.
struct Server {
    url: String,
    connections: Arc<AtomicUsize>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let connections = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&connections);
        let token = format!(
            r#"{{"statusCode":200,"message":"ok","data":{{"access_token":"{TOKEN}","expires_in":7200}}}}"#
        );
        let token = Arc::new(http1::http_response(&token));
        let info = Arc::new(http1::http_response(MFA_INFO));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                count.fetch_add(1, Ordering::Relaxed);
                let (token, info) = (Arc::clone(&token), Arc::clone(&info));
                std::thread::spawn(move || {
                    let _ = stream.set_nodelay(true);
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                    http1::answer_requests(stream, Duration::ZERO, &token, &info);
                });
            }
        });
        Server { url, connections }
    }
}
