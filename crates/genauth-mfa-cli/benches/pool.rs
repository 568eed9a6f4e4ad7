//! The whole-pool audit (`genauth-mfa audit --all-users`), the built tool
//! run as a child process against servers on 127.0.0.1 that this program
//! starts itself:
//!
//! 1. **No quota**: the crate's fake (`FakeGenAuth`) serving a generated
//!    pool of N users; the pool audit, then a file audit of the same N ids
//!    against the same server (the throughput to keep), `-c C`.
//!    Then the same pair against the quota server below with no quota and
//!    no delay ("light": fixed answers, cheap pages).
//! 2. **A quota of Q requests a second** (`tests/quota/mod.rs`: a token
//!    bucket over every call, list-users pages included; accepted answers
//!    after 10 ms, the rest answered at once with the vendor's
//!    `{"statusCode":429}`): the pool audit's time against the ideal
//!    (N / 50 + N) / Q, with the tool's adaptive limiter finding Q itself.
//!
//! For each run: wall time, users/s, the peak RSS of the tool's process
//! (its `VmHWM`, read from /proc every 10 ms while it runs: a high-water
//! mark only grows) and the rows written (to a file, counted, then
//! removed).
//!
//! 3. **The pool's policy at scale** (issue 19): the fake with N users,
//!    N / 10 WHITE user-list entries with SKIP_MFA and min(N / 100, 10,000)
//!    departments ten wide (users by a generated rule: in one department,
//!    every seventh in two, every eleventh in none), audited
//!    `--all-users --by department`, beside the plain pool audit on the
//!    same server: the added pages' cost and the peak RSS.
//!
//! `cargo bench -p genauth-mfa-cli --bench pool` runs N = 100,000, Q = 1000,
//! C = 16; `cargo bench -p genauth-mfa-cli --bench pool -- N Q C` others (Q of
//! 0 skips the quota run); `-- N Q C policy [D]` runs only case 3 (with D
//! departments).

use genauth_mfa_testkit::quota;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use genauth_mfa_fake::{FakeGenAuth, ListEntry};
use quota::QuotaServer;

const DELAY: Duration = Duration::from_millis(10);

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let arg = |i: usize, default: u64| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(default);
    let (n, q, c) = (arg(0, 100_000), arg(1, 1000), arg(2, 16));
    let dir = std::env::temp_dir().join(format!("genauth-mfa-bench-pool-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    if args.get(3).map(String::as_str) == Some("policy") {
        header(n, c);
        policy(n, c, arg(4, (n / 100).clamp(1, 10_000)), &dir);
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }

    header(n, c);

    let fake = FakeGenAuth::new()
        .with_generated_pool(u32::try_from(n).expect("N fits in u32"))
        .record_requests(false);
    let server = fake.serve().expect("serve the fake");
    let url = server.url();
    let pool = audit(&url, &["--all-users"], c, &dir);
    let pool_requests = n.div_ceil(50) + n;
    row(
        "pool audit, no quota",
        "fake",
        (n, pool_requests),
        &pool,
        None,
    );
    let ids = dir.join("ids.txt");
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&ids).expect("ids"));
        for i in 0..n {
            writeln!(file, "user-{i:06}").expect("write ids");
        }
    }
    let file = audit(&url, &[ids.to_str().expect("path")], c, &dir);
    row("file audit, no quota", "fake", (n, n), &file, None);
    println!(
        "\npool / file audit throughput: {:.2}",
        (n as f64 / pool.wall) / (n as f64 / file.wall)
    );
    drop(server);

    // The same pair against the quota server with no quota and no delay:
    // its pages and answers are fixed text, cheap to make, so the two
    // cores go to the tool rather than to the fake's page building.
    let light = QuotaServer::with_pool(None, 1.0, Duration::ZERO, n);
    let pool = audit(light.url(), &["--all-users"], c, &dir);
    row(
        "pool audit, no quota",
        "light",
        (n, pool_requests),
        &pool,
        None,
    );
    let file = audit(light.url(), &[ids.to_str().expect("path")], c, &dir);
    row("file audit, no quota", "light", (n, n), &file, None);
    println!(
        "\npool / file audit throughput (light server): {:.2}",
        file.wall / pool.wall
    );
    drop(light);

    if q > 0 {
        let server = QuotaServer::with_pool(Some(q as f64), (q as f64 / 5.0).max(10.0), DELAY, n);
        let quota = audit(server.url(), &["--all-users"], c, &dir);
        let ideal = pool_requests as f64 / q as f64;
        row(
            &format!("pool audit, quota {q}/s"),
            "quota",
            (n, pool_requests),
            &quota,
            Some(ideal),
        );
        println!(
            "\nquota run: {} pages, {} accepted, {} throttled answers ({:.1} % of requests), {} connections",
            server.pages(),
            server.accepted(),
            server.throttled(),
            100.0 * server.throttled() as f64
                / (server.accepted() + server.throttled()).max(1) as f64,
            server.connections()
        );
    }
    policy(n, c, (n / 100).clamp(1, 10_000), &dir);
    let _ = std::fs::remove_dir_all(&dir);
}

fn header(n: u64, c: u64) {
    println!("pool of {n} users, -c {c}; the tool: {}", tool().display());
    println!();
    println!(
        "| run | server | users | requests | wall s | users/s | ideal s | wall / ideal | peak RSS MiB | rows |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
}

/// Case 3: the pool's policy reads and `--by department` at scale, beside
/// the plain pool audit on the same fake.
fn policy(n: u64, c: u64, departments: u64, dir: &Path) {
    let skip = n / 10;
    let built = Instant::now();
    let mut fake = FakeGenAuth::new()
        .with_generated_pool(u32::try_from(n).expect("N fits in u32"))
        .with_generated_departments("big", "Big Corp", u32::try_from(departments).expect("u32"))
        .record_requests(false);
    for i in 0..skip {
        let id = format!("user-{:06}", i * 10);
        fake = fake.with_list_entry(ListEntry::white_user(&id).limit("SKIP_MFA"));
    }
    eprintln!(
        "the fake: {n} users, {skip} SKIP_MFA entries, {departments} departments, built in {:.1} s",
        built.elapsed().as_secs_f64()
    );
    let server = fake.serve().expect("serve the fake");
    let plain = audit(&server.url(), &["--all-users"], c, dir);
    let requests = n.div_ceil(50) + n;
    row("pool audit (plain)", "fake", (n, requests), &plain, None);
    let by = audit(
        &server.url(),
        &["--all-users", "--by", "department"],
        c,
        dir,
    );
    // + list-organizations and one get-all-departments (one organisation),
    // + the SKIP_MFA list's pages once the policy reads are merged.
    let requests = requests + 2;
    row(
        &format!("pool audit --by department ({departments} departments, {skip} SKIP_MFA)"),
        "fake",
        (n, requests),
        &by,
        None,
    );
    println!(
        "\n--by department / plain wall time: {:.3}; peak RSS {:.1} MiB vs {:.1} MiB",
        by.wall / plain.wall,
        by.peak_mib,
        plain.peak_mib
    );
}

fn tool() -> PathBuf {
    std::env::var_os("GENAUTH_MFA_BENCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_genauth-mfa")))
}

struct Run {
    wall: f64,
    peak_mib: f64,
    rows: u64,
    exit: Option<i32>,
}

fn audit(url: &str, args: &[&str], c: u64, dir: &Path) -> Run {
    let out = dir.join("rows.jsonl");
    let _ = std::fs::remove_file(&out);
    let mut command = Command::new(tool());
    command
        .env_clear()
        .env("GENAUTH_ACCESS_KEY_ID", "ak-bench")
        .env("GENAUTH_ACCESS_KEY_SECRET", "sk-bench")
        .env("GENAUTH_HOST", url)
        .arg("audit")
        .args(args)
        .args(["-c", &c.to_string(), "-o", out.to_str().expect("path")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command.spawn().expect("run the tool");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    // Bounded: an hour at most.
    let status = loop {
        if let Some(kib) = vm_hwm_kib(&status_path) {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(3600) {
            let _ = child.kill();
            panic!("the audit ran over an hour");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let wall = started.elapsed().as_secs_f64();
    let mut stderr = String::new();
    if let Some(err) = child.stderr.take() {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            stderr.push_str(&line);
            stderr.push('\n');
        }
    }
    eprint!("{stderr}");
    let rows = std::fs::File::open(&out)
        .map(|f| BufReader::new(f).lines().count() as u64)
        .unwrap_or(0);
    let _ = std::fs::remove_file(&out);
    Run {
        wall,
        peak_mib: peak_kib as f64 / 1024.0,
        rows,
        exit: status.code(),
    }
}

fn vm_hwm_kib(path: &str) -> Option<u64> {
    let status = std::fs::read_to_string(path).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn row(name: &str, server: &str, (n, requests): (u64, u64), run: &Run, ideal: Option<f64>) {
    let (ideal_s, ratio) = match ideal {
        Some(i) => (format!("{i:.1}"), format!("{:.3}", run.wall / i)),
        None => ("".into(), "".into()),
    };
    println!(
        "| {name} | {server} | {n} | {requests} | {:.2} | {:.0} | {ideal_s} | {ratio} | {:.1} | {}{} |",
        run.wall,
        n as f64 / run.wall,
        run.peak_mib,
        run.rows,
        match run.exit {
            Some(0) => String::new(),
            other => format!(" (exit {other:?})"),
        }
    );
}
