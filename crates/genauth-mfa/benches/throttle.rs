//! Audits against an unknown quota: for C threads sharing one client and a
//! loopback server that accepts Q requests a second (token bucket, burst
//! Q/5, accepted answers after 20 ms, the rest answered at once with the
//! vendor's `{"statusCode":429}` envelope), the throughput as a share of
//! min(Q, C / delay), the share of requests throttled, failed users, TCP
//! connects and the peak RSS of the process that ran it.
//!
//! `cargo bench --bench throttle` runs every C in 1, 4, 16, 64, 256 and Q
//! in 50, 200, 1000, each in a child process (so its peak RSS is its own),
//! for about `SECONDS` (default 10) of work each;
//! `cargo bench --bench throttle -- C Q [SECONDS]` runs one.

use genauth_mfa_testkit::quota;

use std::process::Command;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use genauth_mfa::ManagementClient;
use quota::QuotaServer;

const DELAY: Duration = Duration::from_millis(20);

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let seconds: f64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10.0);
    if let (Some(c), Some(q)) = (args.first(), args.get(1)) {
        let (c, q): (usize, f64) = (c.parse().expect("C"), q.parse().expect("Q"));
        one(c, q, seconds);
        return;
    }
    println!(
        "| C | quota/s | ids | wall s | users/s | ratio to min(Q, C/delay) | throttled | failed | connects | peak RSS MiB |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let exe = std::env::current_exe().expect("own path");
    for q in [50.0, 200.0, 1000.0] {
        for c in [1, 4, 16, 64, 256] {
            let out = Command::new(&exe)
                .args([c.to_string(), q.to_string(), seconds.to_string()])
                .output()
                .expect("child run");
            print!("{}", String::from_utf8_lossy(&out.stdout));
            if !out.status.success() {
                eprintln!("{}", String::from_utf8_lossy(&out.stderr));
            }
        }
    }
}

fn one(c: usize, q: f64, seconds: f64) {
    let server = QuotaServer::start(Some(q), (q / 5.0).max(10.0), DELAY);
    let ideal = q.min(c as f64 / DELAY.as_secs_f64());
    let ids = ((ideal * seconds) as usize).max(50);
    let client = ManagementClient::builder()
        .access_key_id("ak")
        .access_key_secret("sk")
        .host(server.url())
        .transport(
            genauth_mfa::UreqTransport::builder()
                .max_idle_connections(c)
                .build()
                .expect("transport"),
        )
        .build()
        .expect("client");
    let next = AtomicUsize::new(0);
    let failed = AtomicU64::new(0);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..c {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= ids {
                        break;
                    }
                    if let Err(e) = client.get_user_mfa_info(format!("u{i}")).send() {
                        if failed.fetch_add(1, Ordering::Relaxed) < 3 {
                            eprintln!("u{i}: {}", e.report());
                        }
                    }
                }
            });
        }
    });
    let wall = started.elapsed().as_secs_f64();
    let (accepted, throttled) = (server.accepted(), server.throttled());
    let rate = ids as f64 / wall;
    println!(
        "| {c} | {q:.0} | {ids} | {wall:.2} | {rate:.1} | {:.3} | {:.1} % ({throttled}) | {} | {} | {:.1} |",
        rate / ideal,
        100.0 * throttled as f64 / (accepted + throttled).max(1) as f64,
        failed.load(Ordering::Relaxed),
        server.connections(),
        peak_rss_mib(),
    );
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}
