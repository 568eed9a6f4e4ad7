//! The library's defects found by trying to break 0.3, each named after the
//! behaviour it pins down; every test here failed before its fix. (Those
//! that need a mockito mock are in `crates/testkit/tests/regression.rs`.)

use genauth_mfa_testkit::quota;

/// Runs `users` calls on `threads` threads sharing `client`: the failures.
fn throttled_audit(
    client: &genauth_mfa::ManagementClient,
    threads: usize,
    users: usize,
) -> Vec<genauth_mfa::Error> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= users {
                        break;
                    }
                    match client.get_user_mfa_info(format!("u{i}")).send() {
                        Err(genauth_mfa::Error::Cancelled) => break,
                        Err(e) => failures.lock().unwrap().push(e),
                        Ok(_) => {}
                    }
                }
            });
        }
    });
    failures.into_inner().unwrap()
}

fn quota_client(url: &str, threads: usize) -> genauth_mfa::ManagementClientBuilder {
    genauth_mfa::ManagementClient::builder()
        .access_key_id("ak")
        .access_key_secret("sk")
        .host(url)
        .transport(
            genauth_mfa::UreqTransport::builder()
                .max_idle_connections(threads)
                .build()
                .unwrap(),
        )
}

/// A pool whose quota someone else uses up now and then (every request
/// throttled for the first 100 ms of every second, whatever this client
/// sends) collapsed the adaptive limiter's rate: the brakes fell to the
/// accepted rate of the burst (next to nothing), the throttles stopped when
/// the burst ended, the cuts were kept as if they had found a quota, and the
/// CUBIC curve grew back from them at a pace relative to that tiny rate.
/// 8 threads with 20 ms answers (400 users a second) took 94 s for 1,000
/// users (under 3 s without the limiter) while a metronome beside them made
/// 227,000 calls; 551 of 600 users before 30,000 metronome calls here.
#[test]
fn throttles_in_short_bursts_do_not_collapse_the_rate() {
    use std::time::Duration;
    let server = quota::QuotaServer::with_rule(
        quota::Rule::Bursts {
            every: Duration::from_secs(1),
            lasting: Duration::from_millis(100),
        },
        Duration::from_millis(20),
    );
    let cancel = genauth_mfa::CancelToken::new();
    let client = quota_client(server.url(), 8)
        .build()
        .unwrap()
        .with_cancel(&cancel);
    // It cancels the audit once it made 30,000 calls (about 10 s here; the
    // audit needs about 1.5 s of the metronome's pace at most).
    let metronome = quota::Metronome::start(server.url(), 30_000, cancel.clone());
    let failures = throttled_audit(&client, 8, 600);
    let calls = metronome.stop();
    assert!(failures.is_empty(), "{}", failures[0].report());
    assert_eq!(
        server.accepted(),
        600,
        "{} of 600 users answered before the metronome made {calls} calls ({} throttled)",
        server.accepted(),
        server.throttled()
    );
}

/// A quota that drops from 200 to 4 requests a second 100 ms into the run
/// lost users: 8 threads, 60 users, 1 or 2 of them failed with the throttle
/// after their 10 throttled attempts. Once the limiter had cut, a throttled
/// call retried with no pause of its own, at the limiter's pace, which was
/// still far above the new quota: the call spent its attempts before the
/// limiter had come down to it.
#[test]
fn a_quota_that_drops_to_a_few_a_second_loses_no_user() {
    use std::time::Duration;
    let server = quota::QuotaServer::with_rule(
        quota::Rule::Quota {
            per_second: 200.0,
            burst: 20.0,
            change: Some((Duration::from_millis(100), 4.0)),
        },
        Duration::from_millis(20),
    );
    let client = quota_client(server.url(), 8).build().unwrap();
    let failures = throttled_audit(&client, 8, 60);
    assert!(
        failures.is_empty(),
        "{} of 60 users failed ({} throttled): {}",
        failures.len(),
        server.throttled(),
        failures[0].report()
    );
    assert_eq!(server.accepted(), 60);
}

/// A guard (it passed before): throttles at a cold start (every request
/// for 300 ms) that carry a `Retry-After` of zero, a date in the past,
/// garbage, or `RateLimit-Remaining: 0` with a reset of 0 lose no user:
/// a zero server wait does not make the call retry at once for ever.
#[test]
fn a_zero_past_or_garbage_retry_after_on_throttles_loses_no_user() {
    use std::time::Duration;
    for header in [
        "Retry-After: 0",
        "Retry-After: Sun, 06 Nov 1994 08:49:37 GMT",
        "Retry-After: soon",
        "RateLimit-Remaining: 0\r\nRateLimit-Reset: 0",
    ] {
        let server = quota::QuotaServer::with_rule_and_header(
            quota::Rule::ColdStart(Duration::from_millis(300)),
            Duration::ZERO,
            header,
        );
        let client = quota_client(server.url(), 8).build().unwrap();
        let failures = throttled_audit(&client, 8, 200);
        assert!(
            failures.is_empty(),
            "{header:?}: {} of 200 failed: {}",
            failures.len(),
            failures[0].report()
        );
        assert_eq!(server.accepted(), 200, "{header:?}");
    }
}

/// A guard (it passed before): a quota whose throttles are answered after
/// a second (accepted answers after 20 ms) is learnt all the same: no user
/// lost, few throttles (16 for 200 users at 16 threads).
#[test]
fn throttles_answered_slowly_are_learnt_as_a_quota() {
    use std::time::Duration;
    let server = quota::QuotaServer::with_slow_throttles(
        quota::Rule::Quota {
            per_second: 50.0,
            burst: 10.0,
            change: None,
        },
        Duration::from_millis(20),
        Duration::from_secs(1),
    );
    let client = quota_client(server.url(), 16).build().unwrap();
    let failures = throttled_audit(&client, 16, 100);
    assert!(failures.is_empty(), "{}", failures[0].report());
    assert_eq!(server.accepted(), 100);
    assert!(server.throttled() < 50, "{} throttled", server.throttled());
}

/// Runs `users` calls on `threads` threads of a new client of `server`
/// while a metronome of `limit` calls runs beside them (it cancels the
/// audit when it is done): the failures, the metronome's calls.
fn audit_against_a_metronome(
    server: &quota::QuotaServer,
    threads: usize,
    users: usize,
    limit: u64,
) -> (Vec<genauth_mfa::Error>, u64) {
    let cancel = genauth_mfa::CancelToken::new();
    let client = quota_client(server.url(), threads)
        .build()
        .unwrap()
        .with_cancel(&cancel);
    let metronome = quota::Metronome::start(server.url(), limit, cancel.clone());
    let failures = throttled_audit(&client, threads, users);
    (failures, metronome.stop())
}

/// FINDING: the first request for each id throttled (whatever the rate),
/// answers in 200 ms, 8 threads: the limiter fell to its floor and stayed
/// there (simulated: 1 user a second of 40). Each episode ended "quiet"
/// 0.5 s after its brake, before the 8 accepted answers its tested cut
/// waits for had come, though the throttles went on; the next throttle
/// braked again from the window's accepted rate. 100 users need about
/// 2.5 s; a metronome makes 30,000 calls in about 10 s here: 64 of 100.
/// (Ending an episode quiet only once its throttles stopped makes this
/// pass, but costs a quota that keeps changing: see the library's
/// `a_quota_that_keeps_changing_keeps_few_throttles`.)
#[test]
#[ignore = "FINDING: first-per-id throttles with 200 ms answers collapse the rate (64 of 100 users before 30,000 metronome calls, 66 throttled); the episode ends quiet before its tested cut"]
fn a_first_request_per_id_throttle_with_slow_answers_does_not_collapse_the_rate() {
    use std::time::Duration;
    let server = quota::QuotaServer::with_rule(quota::Rule::FirstPerId, Duration::from_millis(200));
    let (failures, calls) = audit_against_a_metronome(&server, 8, 100, 30_000);
    assert!(
        failures
            .iter()
            .all(|e| matches!(e, genauth_mfa::Error::Cancelled)),
        "{}",
        failures[0].report()
    );
    assert_eq!(
        server.accepted(),
        100,
        "{} of 100 users answered before the metronome made {calls} calls ({} throttled)",
        server.accepted(),
        server.throttled()
    );
}

/// FINDING: throttle bursts that do not depend on the rate but last longer
/// than a quarter of the quiet before them (every request throttled for 1 s
/// of every 3 s; 8 threads, 20 ms answers) are not taken for bursts
/// (`BURST_DUTY`): their cuts are kept and the rate falls to the floor
/// (simulated: 1 user a second of 267). 600 users need about 2.5 s: 11 of
/// 600 answered before the metronome's 30,000 calls.
#[test]
#[ignore = "FINDING: throttle bursts of 1 s in every 3 s collapse the rate: 11 of 600 users before 30,000 metronome calls (2.5 s of work)"]
fn throttle_bursts_of_a_second_in_three_do_not_collapse_the_rate() {
    use std::time::Duration;
    let server = quota::QuotaServer::with_rule(
        quota::Rule::Bursts {
            every: Duration::from_secs(3),
            lasting: Duration::from_secs(1),
        },
        Duration::from_millis(20),
    );
    let (_, calls) = audit_against_a_metronome(&server, 8, 600, 30_000);
    assert_eq!(
        server.accepted(),
        600,
        "{} of 600 users answered before the metronome made {calls} calls ({} throttled)",
        server.accepted(),
        server.throttled()
    );
}

/// FINDING: a quota that falls from 200 to 2 requests a second and stays
/// there is followed down, but with a large share of throttles (the bench
/// matrix's target is 10 %): 8 threads, 20 ms answers, 260 users (about
/// 200 before the fall at 1 s, the bucket's 20 and 40 more at 2 a second
/// after it).
#[test]
#[ignore = "FINDING: a quota that falls from 200 to 2 a second: 92 of 352 requests throttled (26 %), no user lost"]
fn a_quota_that_falls_to_two_a_second_keeps_few_throttles() {
    use std::time::Duration;
    let server = quota::QuotaServer::with_rule(
        quota::Rule::Quota {
            per_second: 200.0,
            burst: 20.0,
            change: Some((Duration::from_secs(1), 2.0)),
        },
        Duration::from_millis(20),
    );
    let client = quota_client(server.url(), 8).build().unwrap();
    let failures = throttled_audit(&client, 8, 260);
    let (throttled, accepted) = (server.throttled(), server.accepted());
    assert!(failures.is_empty(), "{}", failures[0].report());
    assert!(
        throttled * 100 <= 15 * (throttled + accepted),
        "{throttled} of {} requests throttled",
        throttled + accepted
    );
}

/// FINDING: every request throttled for 300 ms of every second (8 threads,
/// 20 ms answers; simulated: 1 user a second of 280, 6 of 8,000 users
/// lost): a burst longer than a quarter of the quiet before it is not
/// taken for one, and its cuts are kept. 600 users need about 2.5 s.
#[test]
#[ignore = "FINDING: throttle bursts of 300 ms in every second collapse the rate: 82 of 600 users before 30,000 metronome calls (about 10 s; 2.5 s of work), none lost"]
fn throttle_bursts_of_300_ms_every_second_do_not_collapse_the_rate() {
    use std::time::Duration;
    let server = quota::QuotaServer::with_rule(
        quota::Rule::Bursts {
            every: Duration::from_secs(1),
            lasting: Duration::from_millis(300),
        },
        Duration::from_millis(20),
    );
    let (failures, calls) = audit_against_a_metronome(&server, 8, 600, 30_000);
    let lost = failures
        .iter()
        .filter(|e| !matches!(e, genauth_mfa::Error::Cancelled))
        .count();
    assert_eq!(
        (server.accepted(), lost),
        (600, 0),
        "{} of 600 users answered, {lost} lost, before the metronome made {calls} calls ({} throttled)",
        server.accepted(),
        server.throttled()
    );
}

/// A quota that halves once with slow answers (8 a second, then 4 from 3 s
/// on; 4 threads, 200 ms answers; simulated: none lost, 31 % of the
/// requests throttled): each tested cut stays above the quota, is undone as
/// "the same", and leaves a baseline share. 200 users need about 50 s. Over
/// loopback: no user lost, 90 of 290 requests throttled (31 %).
#[test]
#[ignore = "FINDING: a quota that halves (8 to 4 a second; 4 threads, 200 ms answers): 90 of 290 requests throttled (31 %), none lost"]
fn a_quota_that_halves_with_slow_answers_keeps_few_throttles_and_loses_no_user() {
    use std::time::Duration;
    let server = quota::QuotaServer::with_rule(
        quota::Rule::Quota {
            per_second: 8.0,
            burst: 10.0,
            change: Some((Duration::from_secs(3), 4.0)),
        },
        Duration::from_millis(200),
    );
    let client = quota_client(server.url(), 4).build().unwrap();
    let failures = throttled_audit(&client, 4, 200);
    let (throttled, accepted) = (server.throttled(), server.accepted());
    assert!(
        failures.is_empty(),
        "{} of 200 users failed ({throttled} of {} requests throttled): {}",
        failures.len(),
        throttled + accepted,
        failures[0].report()
    );
    assert!(
        throttled * 100 <= 15 * (throttled + accepted),
        "{throttled} of {} requests throttled",
        throttled + accepted
    );
}

/// A quota of half what the threads could send plus a random 10 %
/// throttled whatever the rate (16 threads, 20 ms answers; simulated: 10 of
/// 8,000 users lost, 24 % throttled): a tested cut reads "the same", is
/// undone, and leaves a baseline share above which the quota's throttles
/// never show. 8,000 users need about 20 s. Over loopback: no user lost,
/// 2,490 of 10,490 requests throttled (24 %, where the random share alone
/// is 10 %).
#[test]
#[ignore = "FINDING: a quota of half the capacity plus a random 10 %: 24 % of requests throttled over loopback (10-15 users lost per run simulated)"]
fn a_quota_plus_a_random_share_loses_no_user() {
    use std::time::Duration;
    let server = quota::QuotaServer::with_rule(
        quota::Rule::QuotaAndShare {
            per_second: 400.0,
            burst: 40.0,
            share: 0.1,
        },
        Duration::from_millis(20),
    );
    let client = quota_client(server.url(), 16).build().unwrap();
    let failures = throttled_audit(&client, 16, 8000);
    let (throttled, accepted) = (server.throttled(), server.accepted());
    assert!(
        failures.is_empty(),
        "{} of 8000 users failed ({throttled} of {} requests throttled): {}",
        failures.len(),
        throttled + accepted,
        failures[0].report()
    );
    assert!(
        throttled * 100 <= 20 * (throttled + accepted),
        "{throttled} of {} requests throttled",
        throttled + accepted
    );
}
