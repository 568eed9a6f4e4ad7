//! Throttling over real HTTP: a loopback server with a quota that answers
//! the vendor's `{"statusCode":429}` envelope over it. No user may fail
//! for the quota or for lack of a rate-limit slot, and a cancelled batch
//! stops waiting at once. Throttles that slowing down does not reduce (the
//! first request for each id, one at the start) do not slow the client
//! down: measured against a metronome (a reference client's calls), never
//! in seconds. (How fast is measured in `benches/throttle.rs`, never here.)

mod support;

use genauth_mfa::{CancelToken, Error, ManagementClient, UserIdType, UserMfaInfo, http};
use genauth_mfa_fake::FakeGenAuth;
use genauth_mfa_testkit::quota;
use quota::{Metronome, QuotaServer, Rule};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};
use support::*;

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

/// FINDING (fixed in 0.4): the adaptive limiter took every throttle answer
/// for a sign that this client sends too much. When the pool's quota is
/// shared with other traffic (the production app calling the same user
/// pool), a share of answers is throttled whatever this client sends: here
/// 1 in 7. The limiter then cut again and again and fell towards its floor
/// of 0.5 requests a second: 64 threads finished 322 of 640 calls in 20 s.
/// Slowing down does not reduce the throttled share, which is how such a
/// throttle is told from the client's own overshoot: the limiter now undoes
/// a cut that did not lower it. Measured against a metronome (a reference
/// client calling the same server one call after another), not in seconds:
/// the 640 calls must finish before it has made 8,000 calls (it makes a few
/// hundred; 0.3 answered 199 requests while it made 8,000).
#[test]
fn a_throttle_that_slowing_down_does_not_reduce_does_not_collapse_the_rate() {
    let seq = Arc::new(AtomicUsize::new(0));
    let seq2 = Arc::clone(&seq);
    let server = scripted(move |mut s, _| {
        while let Some(req) = read_request(&mut s) {
            let answer = if req.contains("get-management-token") {
                http_ok(&token_json(T1, "7200"))
            } else if req.contains("userId=metronome") {
                http_ok(MFA_OK)
            } else if (seq2.fetch_add(1, Ordering::SeqCst) + 1) % 7 == 0 {
                http_ok(r#"{"statusCode":429,"message":"too many"}"#)
            } else {
                http_ok(MFA_OK)
            };
            if s.write_all(answer.as_bytes()).is_err() {
                return;
            }
        }
    });
    let url = server.url.clone();
    let (done, failed, calls) = within(60, move || {
        let cancel = CancelToken::new();
        let client = mgmt(&url)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
            .with_cancel(&cancel);
        let done = Arc::new(AtomicUsize::new(0));
        let failed = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..64)
            .map(|t| {
                let (c, done, failed) = (client.clone(), Arc::clone(&done), Arc::clone(&failed));
                thread::spawn(move || {
                    for i in 0..10 {
                        match c.get_user_mfa_info(format!("u-{t}-{i}")).send() {
                            Ok(_) => done.fetch_add(1, Ordering::SeqCst),
                            Err(Error::Cancelled) => return,
                            Err(_) => failed.fetch_add(1, Ordering::SeqCst),
                        };
                    }
                })
            })
            .collect();
        let metronome = quota::Metronome::start(&url, 8_000, cancel);
        for h in handles {
            h.join().unwrap();
        }
        let calls = metronome.stop();
        (
            done.load(Ordering::SeqCst),
            failed.load(Ordering::SeqCst),
            calls,
        )
    });
    assert_eq!(
        (done, failed),
        (640, 0),
        "{} requests while the metronome made {calls} calls",
        seq.load(Ordering::SeqCst)
    );
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

// ---- the rate limit ----

#[test]
fn a_client_wide_rate_limit_holds_across_clones_and_threads() {
    let sent = Arc::new(Mutex::new(Vec::<Instant>::new()));
    let log = Arc::clone(&sent);
    let fake = FakeGenAuth::new().with_user("u", UserIdType::UserId, UserMfaInfo::new());
    let transport = move |req: http::Request<Vec<u8>>| {
        log.lock().unwrap().push(Instant::now());
        genauth_mfa::Transport::send(&fake, req)
    };
    let mgmt = ManagementClient::builder()
        .access_key_id("ak")
        .access_key_secret("sk")
        .transport(transport)
        .max_requests_per_second(20)
        .build()
        .unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            let mgmt = mgmt.clone();
            s.spawn(move || {
                for _ in 0..6 {
                    mgmt.get_user_mfa_info("u").send().unwrap();
                }
            });
        }
    });
    let mut times = sent.lock().unwrap().clone();
    times.sort();
    assert_eq!(times.len(), 25); // the token request and 24 calls
    // Slots are 50 ms apart for the client and all its clones: 25 requests
    // span at least 24 x 50 ms (4 limiters, one a clone, would have taken
    // a quarter of that). A lower bound: a loaded machine only stretches
    // it; the spacing itself is tested on a fake clock in src/throttle/tests.rs.
    let span = times[24].duration_since(times[0]);
    assert!(span >= Duration::from_millis(1150), "{span:?}");
    assert!(
        ManagementClient::builder()
            .access_key_id("ak")
            .access_key_secret("sk")
            .max_requests_per_second(0)
            .build()
            .is_err()
    );
}
