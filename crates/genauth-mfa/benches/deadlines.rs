//! How long calls take against their configured bound, for the faults whose
//! tests assert only counts (`tests/retry.rs`, `tests/timeout.rs`,
//! `tests/errors.rs`): a server that never answers, one that drips its
//! body, one that answers after 1 s, a closed port, a `Retry-After` past
//! the deadline, and a whole-call deadline spanning the token fetch.
//!
//! `cargo bench --bench deadlines` runs each case `RUNS` times and prints
//! the bound, the fastest, the median and the slowest call, in ms. A case
//! is "over" when its slowest call ran more than 300 ms past its bound.

use genauth_mfa_testkit::common;
use genauth_mfa_testkit::fault;

use std::time::{Duration, Instant};

use common::*;
use fault::{Fault, FaultServer};
use genauth_mfa::{AuthenticationClient, ManagementClient, RetryPolicy};

const RUNS: usize = 5;

fn quick() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(40))
        .with_max_backoff(Duration::from_millis(80))
}

fn auth(url: &str, timeout: Duration) -> AuthenticationClient {
    AuthenticationClient::builder()
        .app_id("app-1")
        .app_host(url)
        .access_token(ACCESS_TOKEN)
        .timeout(timeout)
        .retry_policy(quick())
        .build()
        .expect("client")
}

/// Times `call` `RUNS` times; prints one table row.
fn case(name: &str, bound: Duration, mut call: impl FnMut() -> bool) {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            let failed = call();
            assert!(failed, "{name}: the call did not fail as the case expects");
            started.elapsed()
        })
        .collect();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let over = times[RUNS - 1] > bound + Duration::from_millis(300);
    println!(
        "| {name} | {:.0} | {:.0} | {:.0} | {:.0} | {} |",
        ms(bound),
        ms(times[0]),
        ms(times[RUNS / 2]),
        ms(times[RUNS - 1]),
        if over { "over" } else { "ok" }
    );
}

fn main() {
    println!("| case | bound ms | fastest | median | slowest | |");
    println!("|---|---:|---:|---:|---:|---|");
    let t = Duration::from_millis(400);

    let server = FaultServer::start(vec![], Fault::NeverAnswer);
    case("never answers (400 ms timeout)", t, || {
        auth(server.url(), t).get_factor("f").send().is_err()
    });

    let drip = Fault::Drip {
        body: SAMPLE_FACTOR.as_bytes().to_vec(),
        interval: Duration::from_millis(100),
    };
    let server = FaultServer::start(vec![], drip);
    case("drips its body (400 ms timeout)", t, || {
        auth(server.url(), t).get_factor("f").send().is_err()
    });

    let slow = Fault::Drip {
        body: b"{}".to_vec(),
        interval: Duration::from_millis(1000),
    };
    let server = FaultServer::start(vec![], slow);
    case(
        "answers after 1 s (300 ms timeout)",
        Duration::from_millis(300),
        || {
            auth(server.url(), Duration::from_millis(300))
                .list_enrolled_factors()
                .send()
                .is_err()
        },
    );

    let closed = closed_port_url();
    case("closed port, 3 attempts (400 ms timeout)", t, || {
        auth(&closed, t).get_factor("f").send().is_err()
    });

    let server = FaultServer::start(
        vec![],
        Fault::json(429, r#"{"statusCode":429,"message":"slow down"}"#)
            .with_header("retry-after", "2"),
    );
    let second = Duration::from_secs(1);
    case("Retry-After 2 s (1 s timeout)", second, || {
        auth(server.url(), second).get_factor("f").send().is_err()
    });

    let server = FaultServer::start(
        vec![Fault::Drip {
            body: token_body(T1, 7200).into_bytes(),
            interval: Duration::from_millis(2),
        }],
        Fault::NeverAnswer,
    );
    let whole = Duration::from_millis(600);
    case(
        "token 400 ms + a call that never answers (600 ms)",
        whole,
        || {
            ManagementClient::builder()
                .access_key_id(KEY_ID)
                .access_key_secret(KEY_SECRET)
                .host(server.url())
                .timeout(whole)
                .retry_policy(quick())
                .build()
                .expect("client")
                .get_user_mfa_info("u")
                .send()
                .is_err()
        },
    );
}
