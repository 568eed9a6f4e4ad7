//! Many threads, many connections: run with
//!
//! ```text
//! cargo bench --bench bench_concurrency            # 20 ms server delay
//! cargo bench --bench bench_concurrency -- 20 10   # delay in ms, rounds
//! ```
//!
//! It starts, as a child process of its own, an HTTPS server on 127.0.0.1
//! (certificate from the test CA in tests/data) that answers every request
//! after a fixed delay, like a service 20 ms away, and counts the TCP
//! connections it accepts. Then, for 1, 16, 64 and 256 threads, it runs a
//! client in another child process: the threads share one
//! `ManagementClient` and call in bursts (4 calls back to back, then a 50 ms
//! pause, 10 rounds), the pattern of a batch job whose threads pause now and
//! then. For each it reports calls/s as a ratio to what the threads could do
//! at best (every call taking exactly the delay), TCP connects, and the
//! client process's peak RSS (`VmHWM`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

#[path = "support/http1.rs"]
mod http1;

use genauth_mfa::{ManagementClient, RootStore, UserIdType};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

const CA: &[u8] = include_bytes!("../tests/data/test-ca.pem");
const CERT: &[u8] = include_bytes!("../tests/data/server.pem");
const KEY: &[u8] = include_bytes!("../tests/data/server.key");
const TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzY29wZWRfdXNlcnBvb2xfaWQiOiI2MmUyMjFmODVmNWFjNWNjNDcwMzdhMGYiLCJleHAiOjQxMDI0NDQ4MDAsImlhdCI6MTc2MzkwMDAwMH0.c2FuZGJveA";
const MFA_INFO: &str = r#"{"statusCode":200,"message":"Success","requestId":"934108e5-9fbf-4d24-8da1-c330328abd6c","data":{"totpStatus":true,"faceMfaStatus":true,"smsMfaStatus":true,"emailMfaStatus":true}}"#;

const BURST: usize = 4;
const PAUSE: Duration = Duration::from_millis(50);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--serve") => serve(millis(args.get(1), 20)),
        Some("--client") => client(&args[1..]),
        _ => orchestrate(millis(args.first(), 20), number(args.get(1), 10)),
    }
}

fn millis(arg: Option<&String>, default: u64) -> Duration {
    Duration::from_millis(arg.and_then(|a| a.parse().ok()).unwrap_or(default))
}

fn number(arg: Option<&String>, default: usize) -> usize {
    arg.and_then(|a| a.parse().ok()).unwrap_or(default)
}

/// Kills the child when dropped, so no server outlives the benchmark.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn orchestrate(delay: Duration, rounds: usize) {
    let exe = std::env::current_exe().expect("own path");
    let mut server = Reaped(
        Command::new(&exe)
            .args(["--serve", &delay.as_millis().to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("server process"),
    );
    let mut first = String::new();
    BufReader::new(server.0.stdout.take().expect("server stdout"))
        .read_line(&mut first)
        .expect("server ports");
    let mut ports = first.split_whitespace();
    let (port, stats_port) = (
        ports.next().expect("port").to_owned(),
        ports.next().expect("stats port").to_owned(),
    );
    let url = format!("https://127.0.0.1:{port}");
    println!(
        "genauth-mfa concurrency bench: HTTPS server {url} answering after {delay:?}; \
         bursts of {BURST} calls then a {PAUSE:?} pause, {rounds} rounds; {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!(
        "{:>7} {:>8} {:>9} {:>10} {:>12} {:>10} {:>14}",
        "threads", "calls", "seconds", "calls/s", "ratio", "connects", "peak RSS MiB"
    );
    for threads in [1usize, 16, 64, 256] {
        let before = connections(&stats_port);
        let output = Command::new(&exe)
            .args([
                "--client",
                &threads.to_string(),
                &url,
                &rounds.to_string(),
                &delay.as_millis().to_string(),
            ])
            .output()
            .expect("client process");
        let after = connections(&stats_port);
        let report = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            println!(
                "{threads:>7} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            continue;
        }
        let f: Vec<f64> = report
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        let [calls, seconds, ideal_seconds, rss_kib] = f[..] else {
            println!("{threads:>7} unreadable report: {report}");
            continue;
        };
        println!(
            "{threads:>7} {calls:>8.0} {seconds:>9.2} {:>10.0} {:>12.2} {:>10} {:>14.1}",
            calls / seconds,
            ideal_seconds / seconds,
            after - before,
            rss_kib / 1024.0
        );
    }
    println!();
    println!("ratio: calls/s over threads/delay, with the pauses taken out (1.00 is the limit);");
    println!(
        "connects: TCP connections the server accepted for that run (one per thread is the goal)."
    );
}

/// How many connections the server has accepted, from its plain stats port.
fn connections(stats_port: &str) -> usize {
    let mut stream = TcpStream::connect(format!("127.0.0.1:{stats_port}")).expect("stats");
    let mut text = String::new();
    stream.read_to_string(&mut text).expect("stats read");
    text.trim().parse().expect("stats number")
}

/// `--client THREADS URL ROUNDS DELAY_MS`: prints "calls seconds
/// ideal_seconds peak_rss_kib".
fn client(args: &[String]) {
    let threads = number(args.first(), 1);
    let url = args.get(1).expect("url").clone();
    let rounds = number(args.get(2), 10);
    let delay = millis(args.get(3), 20);
    let mut transport = genauth_mfa::UreqTransport::builder()
        .add_root_certificate_pem(CA)
        .root_store(RootStore::AddedOnly);
    if threads > genauth_mfa::UreqTransport::DEFAULT_IDLE_CONNECTIONS {
        transport = transport.max_idle_connections(threads);
    }
    let mgmt = ManagementClient::builder()
        .access_key_id("ak")
        .access_key_secret("sk")
        .host(url)
        .transport(transport.build().expect("transport"))
        .build()
        .expect("client");
    // The token first, so that every thread starts on equal terms.
    mgmt.get_user_mfa_info("warm-up").send().expect("warm-up");
    let start = Arc::new(Barrier::new(threads));
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let (mgmt, start) = (&mgmt, Arc::clone(&start));
            s.spawn(move || {
                start.wait();
                for round in 0..rounds {
                    for k in 0..BURST {
                        mgmt.get_user_mfa_info(format!("user-{t}-{round}-{k}@example.com"))
                            .user_id_type(UserIdType::Email)
                            .send()
                            .expect("call");
                    }
                    std::thread::sleep(PAUSE);
                }
            });
        }
    });
    let seconds = started.elapsed().as_secs_f64();
    let calls = threads * rounds * BURST;
    let ideal = rounds as f64 * (BURST as f64 * delay.as_secs_f64() + PAUSE.as_secs_f64());
    println!(
        "{calls} {seconds:.4} {ideal:.4} {}",
        vm_hwm_kib().unwrap_or(0)
    );
}

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `--serve DELAY_MS`: the HTTPS server; prints "PORT STATS_PORT" and runs
/// until killed.
fn serve(delay: Duration) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocols")
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from_pem_slice(CERT).expect("cert")],
            PrivateKeyDer::from_pem_slice(KEY).expect("key"),
        )
        .expect("server config");
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let stats = TcpListener::bind("127.0.0.1:0").expect("bind stats");
    println!(
        "{} {}",
        listener.local_addr().expect("addr").port(),
        stats.local_addr().expect("addr").port()
    );
    let _ = std::io::stdout().flush();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    std::thread::spawn(move || {
        for stream in stats.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = write!(stream, "{}", count.load(Ordering::SeqCst));
        }
    });
    let token = http1::http_response(&format!(
        r#"{{"statusCode":200,"message":"ok","data":{{"access_token":"{TOKEN}","expires_in":7200}}}}"#
    ));
    let info = Arc::new(http1::http_response(MFA_INFO));
    let token = Arc::new(token);
    for stream in listener.incoming() {
        let Ok(tcp) = stream else { continue };
        accepted.fetch_add(1, Ordering::SeqCst);
        let (config, token, info) = (Arc::clone(&config), Arc::clone(&token), Arc::clone(&info));
        std::thread::spawn(move || {
            let _ = tcp.set_nodelay(true);
            let _ = tcp.set_read_timeout(Some(Duration::from_secs(60)));
            let Ok(conn) = rustls::ServerConnection::new(config) else {
                return;
            };
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            http1::answer_requests(&mut tls, delay, &token, &info);
        });
    }
}
