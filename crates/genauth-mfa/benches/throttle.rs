//! Audits against an unknown quota: for C threads sharing one client and a
//! loopback server that accepts Q requests a second (token bucket, burst
//! Q/5, accepted answers after 20 ms, the rest answered at once with the
//! vendor's `{"statusCode":429}` envelope), the throughput as a share of
//! min(Q, C / delay), the share of requests throttled, failed users, TCP
//! connects and the peak RSS of the process that ran it.
//!
//! And servers whose throttles do not depend on the client's rate, where
//! the best possible is what the client does with no limiter at all
//! (C / delay: throttles are answered at once and retried), and quotas that
//! change mid-run, where it is the quota's own schedule:
//!
//! - `per-id`: the first request for each user id is throttled;
//! - `first`: only the very first request of the run;
//! - `sparse`: every 50th request (2 %);
//! - `share`: a random seventh of the requests;
//! - `halving`: a quota of 200 a second that falls to 100 halfway;
//! - `doubling`: a quota of 100 a second that rises to 200 halfway.
//! - `bursts`: every request throttled for the first 100 ms of every
//!   second, whatever is sent (someone else's traffic using the quota up).
//!
//! `cargo bench --bench throttle` runs every C in 1, 4, 16, 64, 256 and Q
//! in 50, 200, 1000, then every pattern, each in a child process (so its
//! peak RSS is its own), for about `SECONDS` (default 10) of work each;
//! `cargo bench --bench throttle -- C Q [SECONDS]` runs one cell,
//! `cargo bench --bench throttle -- patterns [SECONDS]` the patterns only,
//! `cargo bench --bench throttle -- NAME [SECONDS]` one pattern.

use genauth_mfa_testkit::quota;

use std::process::Command;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use genauth_mfa::ManagementClient;
use quota::{QuotaServer, Rule};

const DELAY: Duration = Duration::from_millis(20);
const PATTERNS: [&str; 7] = [
    "per-id", "first", "sparse", "share", "halving", "doubling", "bursts",
];

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let first = args.first().map(String::as_str);
    if let Some(name) = first.filter(|n| PATTERNS.contains(n)) {
        let seconds = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10.0);
        pattern(name, seconds);
        return;
    }
    if first == Some("patterns") {
        let seconds = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10.0);
        patterns(seconds);
        return;
    }
    let seconds: f64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10.0);
    if let (Some(c), Some(q)) = (args.first(), args.get(1)) {
        let (c, q): (usize, f64) = (c.parse().expect("C"), q.parse().expect("Q"));
        one(c, q, seconds);
        return;
    }
    println!(
        "| C | quota/s | ids | wall s | users/s | ratio to min(Q, C/delay) | throttled | of which in the 1st s | failed | connects | peak RSS MiB |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for q in [50.0, 200.0, 1000.0] {
        for c in [1, 4, 16, 64, 256] {
            child(&[c.to_string(), q.to_string(), seconds.to_string()]);
        }
    }
    println!();
    patterns(seconds);
}

/// Runs this bench again with `args`, printing its row.
fn child(args: &[String]) {
    let exe = std::env::current_exe().expect("own path");
    let out = Command::new(&exe).args(args).output().expect("child run");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    if !out.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    }
}

fn patterns(seconds: f64) {
    println!(
        "| pattern | C | ids | wall s | users/s | best possible/s | ratio | throttled | failed | connects | peak RSS MiB |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for name in PATTERNS {
        child(&[name.to_owned(), seconds.to_string()]);
    }
}

/// `name`'s server, threads, ids and the best possible users a second.
fn setup(name: &str, seconds: f64) -> (Rule, usize, usize, f64) {
    let free = |c: usize| c as f64 / DELAY.as_secs_f64();
    let change = |per_second: f64, then: f64| {
        let half = Duration::from_secs_f64(seconds / 2.0);
        Rule::Quota {
            per_second,
            burst: per_second / 5.0,
            change: Some((half, then)),
        }
    };
    let (rule, c) = match name {
        "per-id" => (Rule::FirstPerId, 4),
        "first" => (Rule::FirstOnly, 8),
        "sparse" => (Rule::EveryNth(50), 4),
        "share" => (Rule::Share(1.0 / 7.0), 16),
        "halving" => (change(200.0, 100.0), 16),
        "doubling" => (change(100.0, 200.0), 16),
        // Every request throttled for the first 100 ms of every second.
        "bursts" => (
            Rule::Bursts {
                every: Duration::from_secs(1),
                lasting: Duration::from_millis(100),
            },
            8,
        ),
        _ => unreachable!("a pattern of PATTERNS"),
    };
    let best = match &rule {
        // The quota's own schedule, on average: half the time at each.
        Rule::Quota {
            per_second, change, ..
        } => change.map_or(*per_second, |(_, then)| (per_second + then) / 2.0),
        Rule::Bursts { every, lasting } => {
            free(c) * (1.0 - lasting.as_secs_f64() / every.as_secs_f64())
        }
        _ => free(c),
    };
    (rule, c, ((best * seconds) as usize).max(50), best)
}

fn pattern(name: &str, seconds: f64) {
    let (rule, c, ids, best) = setup(name, seconds);
    let server = QuotaServer::with_rule(rule, DELAY);
    let (wall, failed) = run(&server, c, ids);
    let (accepted, throttled) = (server.accepted(), server.throttled());
    let rate = ids as f64 / wall;
    println!(
        "| {name} | {c} | {ids} | {wall:.2} | {rate:.1} | {best:.0} | {:.3} | {:.1} % ({throttled}) | {failed} | {} | {:.1} |",
        rate / best,
        100.0 * throttled as f64 / (accepted + throttled).max(1) as f64,
        server.connections(),
        peak_rss_mib(),
    );
}

fn one(c: usize, q: f64, seconds: f64) {
    let server = QuotaServer::start(Some(q), (q / 5.0).max(10.0), DELAY);
    let ideal = q.min(c as f64 / DELAY.as_secs_f64());
    let ids = ((ideal * seconds) as usize).max(50);
    let (wall, failed) = run(&server, c, ids);
    let (accepted, throttled) = (server.accepted(), server.throttled());
    let rate = ids as f64 / wall;
    println!(
        "| {c} | {q:.0} | {ids} | {wall:.2} | {rate:.1} | {:.3} | {:.1} % ({throttled}) | {} | {failed} | {} | {:.1} |",
        rate / ideal,
        100.0 * throttled as f64 / (accepted + throttled).max(1) as f64,
        server.throttled_first_second(),
        server.connections(),
        peak_rss_mib(),
    );
}

/// Asks about `ids` users on `c` threads sharing one client: the wall
/// time in seconds and the users that failed.
fn run(server: &QuotaServer, c: usize, ids: usize) -> (f64, u64) {
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
    (
        started.elapsed().as_secs_f64(),
        failed.load(Ordering::Relaxed),
    )
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}
