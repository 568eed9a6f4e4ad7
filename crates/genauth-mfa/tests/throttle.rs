//! Throttling over real HTTP: a loopback server with a quota that answers
//! the vendor's `{"statusCode":429}` envelope over it. No user may fail
//! for the quota or for lack of a rate-limit slot, and a cancelled batch
//! stops waiting at once. Throttles that slowing down does not reduce (the
//! first request for each id, one at the start) do not slow the client
//! down: measured against a metronome (a reference client's calls), never
//! in seconds. (How fast is measured in `benches/throttle.rs`, never here.)

use genauth_mfa_testkit::quota;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use genauth_mfa::{CancelToken, Error, ManagementClient};
use quota::{Metronome, QuotaServer, Rule};

fn client(url: &str) -> genauth_mfa::ManagementClientBuilder {
    ManagementClient::builder()
        .access_key_id("ak")
        .access_key_secret("sk")
        .host(url)
}

/// Runs `ids` calls on `threads` threads sharing `client`; the failures.
fn audit(client: &ManagementClient, threads: usize, ids: usize) -> Vec<Error> {
    let next = AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= ids {
                        break;
                    }
                    if let Err(e) = client.get_user_mfa_info(format!("u{i}")).send() {
                        failures.lock().unwrap().push(e);
                    }
                }
            });
        }
    });
    failures.into_inner().unwrap()
}

#[test]
fn no_user_is_lost_to_an_unknown_quota() {
    // 32 threads could send 1,600 requests a second; the quota is 100.
    let server = QuotaServer::start(Some(100.0), 20.0, Duration::from_millis(20));
    let client = client(server.url())
        .transport(
            genauth_mfa::UreqTransport::builder()
                .max_idle_connections(32)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let failures = audit(&client, 32, 300);
    assert!(
        failures.is_empty(),
        "{} failed: {}",
        failures.len(),
        failures[0].report()
    );
    assert_eq!(server.accepted(), 300);
    // The limiter learnt the quota: far fewer throttles than calls. (Without
    // it, 0.2 had 24 % throttled at 16 threads and lost users.)
    let throttled = server.throttled();
    assert!(
        throttled < 150,
        "{throttled} throttled answers for 300 calls"
    );
    assert!(
        server.connections() <= 34,
        "{} connections",
        server.connections()
    );
}

#[test]
fn throttling_can_be_turned_off_and_then_only_retries_help() {
    let server = QuotaServer::start(Some(50.0), 5.0, Duration::from_millis(5));
    let client = client(server.url())
        .adaptive_throttling(false)
        .retry_policy(genauth_mfa::RetryPolicy::none())
        .build()
        .unwrap();
    let failures = audit(&client, 16, 100);
    // With neither the limiter nor retries, the quota refuses many calls,
    // each an API error with the throttle's statusCode.
    assert!(!failures.is_empty());
    assert!(
        failures.iter().all(|e| e.status_code() == Some(429)),
        "{:?}",
        failures[0]
    );
}

#[test]
fn waiting_for_a_slot_never_fails_a_call() {
    // 0.2: `--rate 2 -c 128` failed users with "the rate limit left no slot
    // before the deadline". 16 threads, 10 requests a second, and a
    // whole-call timeout far shorter than the queue.
    let server = QuotaServer::start(None, 1.0, Duration::ZERO);
    let client = client(server.url())
        .max_requests_per_second(10)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let failures = audit(&client, 16, 24);
    assert!(failures.is_empty(), "{}", failures[0].report());
    assert_eq!(server.accepted(), 24);
}

#[test]
fn a_cancelled_batch_stops_waiting_for_slots_at_once() {
    let server = QuotaServer::start(None, 1.0, Duration::ZERO);
    let cancel = CancelToken::new();
    let client = client(server.url())
        .max_requests_per_second(1)
        .build()
        .unwrap()
        .with_cancel(&cancel);
    let cancelled = AtomicUsize::new(0);
    let mut metronome = None;
    std::thread::scope(|s| {
        for t in 0..8 {
            let (client, cancelled) = (&client, &cancelled);
            s.spawn(move || {
                for i in 0..100 {
                    match client.get_user_mfa_info(format!("u{t}-{i}")).send() {
                        Err(Error::Cancelled) => {
                            cancelled.fetch_add(1, Ordering::SeqCst);
                            return;
                        }
                        Err(e) => panic!("{}", e.report()),
                        Ok(_) => {}
                    }
                }
            });
        }
        std::thread::sleep(Duration::from_millis(1500));
        cancel.cancel();
        metronome = Some(Metronome::start(server.url(), 8_000, CancelToken::new()));
    });
    let calls = metronome.map_or(0, Metronome::stop);
    assert_eq!(cancelled.load(Ordering::SeqCst), 8);
    // Eight threads at one request a second had queued for a minute and
    // more; all of them returned soon after the cancel: before a client
    // beside them, started at the cancel, made 8,000 calls (it makes one or
    // two; one more second of the queue is worth a thousand and more).
    assert!(calls < 8_000, "the metronome made {calls} calls");
    assert!(server.accepted() < 10, "{} sent", server.accepted());
}

/// Runs `users` calls on `threads` threads sharing a new client of
/// `server` while a [`Metronome`] of at most `limit` calls runs beside
/// them (it cancels the run when it reaches `limit`): the users answered,
/// the failures, and the metronome's calls.
fn audit_against_a_metronome(
    server: &QuotaServer,
    threads: usize,
    users: usize,
    limit: u64,
) -> (usize, Vec<Error>, u64) {
    let cancel = CancelToken::new();
    let client = client(server.url())
        .transport(
            genauth_mfa::UreqTransport::builder()
                .max_idle_connections(threads)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
        .with_cancel(&cancel);
    let metronome = Metronome::start(server.url(), limit, cancel.clone());
    let failures = audit(&client, threads, users);
    let calls = metronome.stop();
    (users - failures.len(), failures, calls)
}

#[test]
fn a_server_that_throttles_the_first_request_for_each_id_does_not_slow_the_client() {
    // 0.3 learnt these throttles as a quota: a 100-user audit at -c 4 fell
    // to one user a second, while a client beside it made thousands of calls.
    let server = QuotaServer::with_rule(Rule::FirstPerId, Duration::ZERO);
    let (answered, failures, metronome) = audit_against_a_metronome(&server, 4, 1000, 8_000);
    assert!(
        failures.is_empty(),
        "{} failed (the metronome made {metronome} calls): {}",
        failures.len(),
        failures[0].report()
    );
    assert_eq!(answered, 1000);
    // Each user was throttled once and answered once.
    assert_eq!((server.throttled(), server.accepted()), (1000, 1000));
}

#[test]
fn one_throttle_at_the_start_is_no_quota() {
    // 0.3 cut its rate from the near-empty first second: a 2,000-user run
    // was capped at 17 requests a second.
    let server = QuotaServer::with_rule(Rule::FirstOnly, Duration::ZERO);
    let (answered, failures, metronome) = audit_against_a_metronome(&server, 8, 2000, 8_000);
    assert!(
        failures.is_empty(),
        "{} failed (the metronome made {metronome} calls): {}",
        failures.len(),
        failures[0].report()
    );
    assert_eq!(answered, 2000);
    assert_eq!((server.throttled(), server.accepted()), (1, 2000));
}

#[test]
fn a_run_that_starts_throttled_loses_no_user_while_the_limiter_decides() {
    // Every request is throttled for the first 300 ms. The limiter waits
    // for evidence before it cuts; meanwhile each throttled call retried at
    // once and spent its 10 throttled attempts within milliseconds (the
    // throttle matrix lost users at its start this way): a short growing
    // pause between a call's throttled attempts lets the limiter decide.
    let server =
        QuotaServer::with_rule(Rule::ColdStart(Duration::from_millis(300)), Duration::ZERO);
    let client = client(server.url())
        .transport(
            genauth_mfa::UreqTransport::builder()
                .max_idle_connections(8)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let failures = audit(&client, 8, 200);
    assert!(
        failures.is_empty(),
        "{} of 200 users failed: {:?}",
        failures.len(),
        failures.first()
    );
    assert!(server.throttled() > 0, "the server throttled nothing");
}
