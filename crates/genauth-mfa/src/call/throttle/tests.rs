//! The limiter on a fake clock: instants are made from a base and a
//! simulated time, nothing sleeps. `simulate` plays an audit (workers that
//! each ask about one user at a time, retrying a throttled answer at once,
//! as `Caller::call` does with the adaptive limiter) against a model of a
//! server, and reports what the limiter allowed.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn fixed_slots_are_spaced() {
    let limiter = Limiter::new(false, Some(100)); // 10 ms apart
    let t0 = Instant::now();
    assert_eq!(limiter.permit(t0, None), Ok(()));
    // Four more at the same instant each get the next slot.
    let waits: Vec<Wait> = (0..4)
        .map(|_| limiter.permit(t0, None).unwrap_err())
        .collect();
    for (i, w) in waits.iter().enumerate() {
        assert_eq!(w.until, t0 + ms(10) * (i as u32 + 1));
    }
    // Each may go at its slot, not before.
    assert_eq!(
        limiter.permit(t0 + ms(9), Some(waits[0].turn)),
        Err(waits[0])
    );
    assert_eq!(limiter.permit(t0 + ms(10), Some(waits[0].turn)), Ok(()));
    assert_eq!(limiter.permit(t0 + ms(40), Some(waits[3].turn)), Ok(()));
}

#[test]
fn a_pause_holds_everyone_and_requeues_the_waiting() {
    let limiter = Limiter::new(false, Some(100));
    let t0 = Instant::now();
    assert_eq!(limiter.permit(t0, None), Ok(()));
    let queued = limiter.permit(t0, None).unwrap_err();
    limiter.pause_until(t0 + ms(60));
    // A turn taken before the pause queues again behind it.
    let again = limiter.permit(t0 + ms(10), Some(queued.turn)).unwrap_err();
    assert_eq!(again.until, t0 + ms(60));
    let next = limiter.permit(t0 + ms(10), None).unwrap_err();
    assert_eq!(next.until, t0 + ms(70));
    // A shorter pause does not shorten it.
    limiter.pause_until(t0 + ms(20));
    assert_eq!(limiter.permit(t0 + ms(60), Some(again.turn)), Ok(()));
}

#[test]
fn a_pause_holds_the_adaptive_limiter_too() {
    let limiter = Limiter::new(true, None);
    let t0 = Instant::now();
    limiter.pause_until(t0 + ms(60));
    let wait = limiter.permit(t0, None).unwrap_err();
    assert!(wait.until >= t0 + ms(50), "{wait:?}");
    assert_eq!(limiter.permit(t0 + ms(60), Some(wait.turn)), Ok(()));
    assert_eq!(limiter.permit(t0 + ms(60), None), Ok(()));
}

#[test]
fn dormant_until_the_server_throttles_enough_to_tell_then_braked_from_the_sending_rate() {
    let limiter = Limiter::new(true, None);
    let t0 = Instant::now();
    // 200 requests over 100 ms, all accepted: dormant, nobody waits.
    for i in 0..200u32 {
        let at = t0 + Duration::from_micros(500) * i;
        assert_eq!(limiter.permit(at, None), Ok(()));
        limiter.on_answer(at, at, false);
    }
    assert_eq!(limiter.adaptive_rate(), None);
    // Then throttles, answered at once: 10 of 210 answers (under 5 %) are
    // no evidence yet, the 11th is.
    let at = t0 + ms(100);
    for _ in 0..10 {
        assert_eq!(limiter.permit(at, None), Ok(()));
        limiter.on_answer(at, at, true);
    }
    assert_eq!(limiter.adaptive_rate(), None);
    assert_eq!(limiter.permit(at, None), Ok(()));
    limiter.on_answer(at, at, true);
    let rate = limiter.adaptive_rate().expect("on after the throttles");
    // 211 started over the 0.1 s they took, 85 % of it.
    let expected = 0.85 * 211.0 / 0.1;
    assert!((rate - expected).abs() < 1.0, "{rate} {expected}");
    // A throttle to a request sent before the brake does not cut again.
    limiter.on_answer(at + ms(1), at, true);
    assert_eq!(limiter.adaptive_rate(), Some(rate));
}

#[test]
fn a_cut_requeues_the_waiting_and_keeps_their_ceiling_slots() {
    let limiter = Limiter::new(true, Some(1000));
    let t0 = Instant::now();
    // 8 requests throttled at once: a brake, from a span of at least 0.1 s.
    let mut sent = t0;
    for _ in 0..8 {
        sent = match limiter.permit(t0, None) {
            Ok(()) => t0,
            Err(w) => {
                assert_eq!(limiter.permit(w.until, Some(w.turn)), Ok(()));
                w.until
            }
        };
        limiter.on_answer(sent, sent, true);
    }
    let braked = limiter.adaptive_rate().expect("braked");
    assert!((braked - 0.85 * 8.0 / 0.1).abs() < 1.0, "{braked}");
    // Ten queue behind the brake's bucket.
    let queued: Vec<Wait> = (0..10)
        .filter_map(|_| limiter.permit(sent, None).err())
        .collect();
    assert!(queued.len() >= 5, "{queued:?}");
    // Everything sent after the brake, over 60 ms, is throttled too: it
    // brakes harder, and the queued turns queue again, at their old ceiling
    // slots or later.
    let mut at = sent + ms(1);
    for _ in 0..8 {
        at += ms(8);
        limiter.on_answer(at, at, true);
    }
    assert!(limiter.adaptive_rate().unwrap() <= braked * 0.5 + 0.01);
    let mut requeued = 0;
    for w in &queued {
        if let Err(again) = limiter.permit(at, Some(w.turn)) {
            assert_ne!(again.turn.epoch, w.turn.epoch);
            assert_eq!(again.turn.slot, w.turn.slot);
            assert!(again.until >= w.turn.slot.unwrap());
            requeued += 1;
        }
    }
    assert!(
        requeued >= queued.len() - 2,
        "{requeued} of {}",
        queued.len()
    );
}

/// A server model: whether the request (at time `t` s, for user `user`,
/// the `n`th request of the run) is throttled.
type Server<'a> = dyn FnMut(f64, usize, u64) -> bool + 'a;

#[derive(Default)]
struct Run {
    /// Simulated seconds to the last answer.
    seconds: f64,
    users: usize,
    lost: usize,
    requests: u64,
    throttled: u64,
    /// When each user was answered.
    done_at: Vec<f64>,
    /// The adaptive rate at the end (None: dormant).
    rate: Option<f64>,
    /// Each change of the adaptive rate: when, and to what.
    trace: Vec<(f64, Option<f64>)>,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("seconds", &self.seconds)
            .field("users", &self.users)
            .field("lost", &self.lost)
            .field("requests", &self.requests)
            .field("throttled", &self.throttled)
            .field("rate", &self.rate)
            .finish_non_exhaustive()
    }
}

impl Run {
    fn throttled_share(&self) -> f64 {
        self.throttled as f64 / self.requests.max(1) as f64
    }

    /// Users answered a second between `from` and `to`.
    fn throughput(&self, from: f64, to: f64) -> f64 {
        self.done_at
            .iter()
            .filter(|&&t| t >= from && t < to)
            .count() as f64
            / (to - from)
    }
}

#[derive(Debug, Clone, Copy)]
struct Audit {
    workers: usize,
    users: usize,
    /// An accepted answer's latency, and a throttle's.
    accepted: Duration,
    throttle: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// The worker asks the limiter (with its turn, if it has one).
    Ready(usize),
    /// The answer to the worker's request sent at the instant, throttled?
    Answer(usize, Duration, bool),
}

/// Plays `audit` against `server` on a fake clock.
fn simulate(limiter: &Limiter, audit: Audit, server: &mut Server<'_>) -> Run {
    simulate_with(limiter, audit, server, None)
}

/// The same, each throttled call also pausing as `Caller::call` does
/// (`retry::throttled_pause` with the default policy's 5 s at most, its
/// jitter drawn from `rng`).
fn simulate_paced(
    limiter: &Limiter,
    audit: Audit,
    server: &mut Server<'_>,
    rng: &mut fastrand::Rng,
) -> Run {
    simulate_with(limiter, audit, server, Some(rng))
}

fn simulate_with(
    limiter: &Limiter,
    audit: Audit,
    server: &mut Server<'_>,
    mut paced: Option<&mut fastrand::Rng>,
) -> Run {
    let base = Instant::now();
    let mut run = Run::default();
    let mut events = BinaryHeap::new();
    let mut next_user = 0;
    // Per worker: its user, its attempts, its turn.
    let mut work: Vec<(Option<usize>, u32, Option<Turn>)> = vec![(None, 0, None); audit.workers];
    // The threads start one after the other, as spawning them does.
    for w in 0..audit.workers {
        let at = Duration::from_micros(40) * w as u32;
        events.push(Reverse((at, Event::Ready(w))));
    }
    let mut steps = 0u64;
    while let Some(Reverse((at, event))) = events.pop() {
        steps += 1;
        assert!(steps < 5_000_000, "the simulation does not end");
        let now = base + at;
        match event {
            Event::Ready(w) => {
                if work[w].0.is_none() {
                    if next_user == audit.users {
                        continue;
                    }
                    work[w] = (Some(next_user), 0, None);
                    next_user += 1;
                }
                let (user, attempts, turn) = &mut work[w];
                match limiter.permit(now, turn.take()) {
                    Ok(()) => {
                        *attempts += 1;
                        run.requests += 1;
                        let throttled = server(at.as_secs_f64(), user.unwrap(), run.requests);
                        run.throttled += u64::from(throttled);
                        let latency = if throttled {
                            audit.throttle
                        } else {
                            audit.accepted
                        };
                        events.push(Reverse((at + latency, Event::Answer(w, at, throttled))));
                    }
                    Err(wait) => {
                        *turn = Some(wait.turn);
                        events.push(Reverse((wait.until - base, Event::Ready(w))));
                    }
                }
            }
            Event::Answer(w, sent, throttled) => {
                limiter.on_answer(now, base + sent, throttled);
                run.seconds = at.as_secs_f64();
                let rate = limiter.adaptive_rate();
                if run.trace.last().is_none_or(|&(_, r)| r != rate) {
                    run.trace.push((run.seconds, rate));
                }
                if !throttled {
                    run.users += 1;
                    run.done_at.push(run.seconds);
                    work[w].0 = None;
                } else if work[w].1 >= 10 {
                    // RetryPolicy's default max_throttled_attempts.
                    run.lost += 1;
                    if std::env::var_os("DBG").is_some() {
                        eprintln!("  {:.4} LOST user {:?}", run.seconds, work[w].0);
                    }
                    work[w].0 = None;
                } else if let Some(rng) = paced.as_deref_mut() {
                    let pause = crate::call::retry::throttled_pause(
                        work[w].1,
                        Duration::from_secs(5),
                        rng.f64(),
                    );
                    events.push(Reverse((at + pause, Event::Ready(w))));
                    continue;
                }
                events.push(Reverse((at, Event::Ready(w))));
            }
        }
    }
    run.rate = limiter.adaptive_rate();
    run
}

/// How long `audit` takes with nothing limiting it, when a share `share` of
/// requests is throttled (and retried at once).
fn unlimited_seconds(audit: Audit, share: f64) -> f64 {
    let per_user =
        audit.accepted.as_secs_f64() + audit.throttle.as_secs_f64() * share / (1.0 - share);
    (audit.users as f64 / audit.workers as f64).ceil() * per_user
}

/// A loopback-like audit: answers in 2 ms, throttles in 0.5 ms.
fn fast(workers: usize, users: usize) -> Audit {
    Audit {
        workers,
        users,
        accepted: ms(2),
        throttle: Duration::from_micros(500),
    }
}

/// Every user answered, none lost, in at most the time with nothing
/// limiting plus what one episode (a brake, a tested cut and its undo)
/// costs at the start, whatever the run's length; and the limiter dormant
/// at the end.
fn assert_not_slowed(run: &Run, audit: Audit, share: f64) {
    let ideal = unlimited_seconds(audit, share);
    assert_eq!((run.users, run.lost), (audit.users, 0), "{run:?}");
    assert_eq!(run.rate, None, "{run:?}");
    assert!(
        run.seconds <= 1.02 * ideal + 0.4,
        "{:.3} s for {} users where {:.3} s is possible; rate at the end {:?}",
        run.seconds,
        audit.users,
        ideal,
        run.rate
    );
}

#[test]
fn a_server_that_throttles_the_first_request_for_each_id_does_not_slow_the_audit() {
    // 0.3: a 100-user audit at -c 4 fell to 1 user a second.
    let limiter = Limiter::new(true, None);
    let mut seen = HashSet::new();
    let audit = fast(4, 100);
    let run = simulate(&limiter, audit, &mut |_, user, _| seen.insert(user));
    assert_eq!(run.throttled, 100);
    assert_not_slowed(&run, audit, 0.5);
    // At the bench's latency (answers in 20 ms).
    let limiter = Limiter::new(true, None);
    let mut seen = HashSet::new();
    let audit = quota_audit(4, 100);
    let run = simulate(&limiter, audit, &mut |_, user, _| seen.insert(user));
    assert_not_slowed(&run, audit, 0.5);
    // Longer, and the rate stays free.
    let limiter = Limiter::new(true, None);
    let mut seen = HashSet::new();
    let audit = fast(4, 2000);
    let run = simulate(&limiter, audit, &mut |_, user, _| seen.insert(user));
    assert_not_slowed(&run, audit, 0.5);
}

#[test]
fn one_throttle_on_the_first_call_is_not_a_quota() {
    // 0.3: capped a 2,000-user run at 17 requests a second.
    let limiter = Limiter::new(true, None);
    let audit = fast(8, 2000);
    let run = simulate(&limiter, audit, &mut |_, _, n| n == 1);
    assert_eq!(run.throttled, 1);
    assert_not_slowed(&run, audit, 0.0);
    let limiter = Limiter::new(true, None);
    let audit = quota_audit(64, 2000);
    let run = simulate(&limiter, audit, &mut |_, _, n| n == 1);
    assert_not_slowed(&run, audit, 0.0);
    // Nor are three.
    let limiter = Limiter::new(true, None);
    let run = simulate(&limiter, audit, &mut |_, _, n| n <= 3);
    assert_not_slowed(&run, audit, 0.0);
}

#[test]
fn a_sparse_two_percent_of_throttles_does_not_slow_the_audit() {
    // 0.3: every other list page throttled made a 1,000-user audit take 69 s.
    let limiter = Limiter::new(true, None);
    let audit = fast(4, 1000);
    let run = simulate(&limiter, audit, &mut |_, _, n| n % 50 == 0);
    assert_not_slowed(&run, audit, 0.02);
    // One worker listing pages, every other one throttled (a 50 % share
    // at a rate slowing down cannot lower).
    let limiter = Limiter::new(true, None);
    let audit = fast(1, 200);
    let run = simulate(&limiter, audit, &mut |_, _, n| n % 2 == 0);
    assert_not_slowed(&run, audit, 0.5);
}

#[test]
fn a_share_throttled_whatever_the_rate_does_not_collapse_the_rate() {
    // The attack test's server: one request in seven throttled, 64 threads.
    let limiter = Limiter::new(true, None);
    let audit = fast(64, 640);
    let run = simulate(&limiter, audit, &mut |_, _, n| n % 7 == 0);
    assert_not_slowed(&run, audit, 1.0 / 7.0);
    let limiter = Limiter::new(true, None);
    let audit = quota_audit(64, 3000);
    let run = simulate(&limiter, audit, &mut |_, _, n| n % 7 == 0);
    assert_not_slowed(&run, audit, 1.0 / 7.0);
    // The bench's: a random seventh, 16 threads, answers in 20 ms.
    let limiter = Limiter::new(true, None);
    let audit = quota_audit(16, 8000);
    let mut rng = fastrand::Rng::with_seed(20);
    let run = simulate(&limiter, audit, &mut |_, _, _| rng.f64() < 1.0 / 7.0);
    assert_not_slowed(&run, audit, 1.0 / 7.0);
    // A pseudo-random third, over a longer run.
    let limiter = Limiter::new(true, None);
    let audit = fast(16, 5000);
    let mut rng = fastrand::Rng::with_seed(7);
    let run = simulate(&limiter, audit, &mut |_, _, _| rng.f64() < 0.33);
    assert_not_slowed(&run, audit, 0.33);
}

/// A token bucket of `quota(t)` requests a second, burst `burst`.
fn quota_server(quota: impl Fn(f64) -> f64, burst: f64) -> impl FnMut(f64, usize, u64) -> bool {
    let (mut tokens, mut last) = (burst, 0.0);
    move |t, _, _| {
        tokens = (tokens + (t - last) * quota(t)).min(burst.max(quota(t) / 5.0));
        last = t;
        if tokens >= 1.0 {
            tokens -= 1.0;
            false
        } else {
            true
        }
    }
}

/// The bench's audit: accepted answers after 20 ms, throttles at once.
fn quota_audit(workers: usize, users: usize) -> Audit {
    Audit {
        workers,
        users,
        accepted: ms(20),
        throttle: Duration::from_micros(200),
    }
}

#[test]
fn a_quota_is_learnt_at_every_concurrency() {
    // The bench's matrix, ten seconds of simulated time each.
    for (c, q) in [50.0, 200.0, 1000.0]
        .into_iter()
        .flat_map(|q| [1, 4, 16, 64, 256].map(|c| (c, q)))
    {
        let ideal = f64::min(q, c as f64 / 0.02);
        let audit = quota_audit(c, (ideal * 10.0) as usize);
        let limiter = Limiter::new(true, None);
        let run = simulate(
            &limiter,
            audit,
            &mut quota_server(|_| q, f64::max(q / 5.0, 10.0)),
        );
        let ratio = audit.users as f64 / run.seconds / ideal;
        assert_eq!(run.lost, 0, "C {c} Q {q}: {run:?}");
        assert!(ratio >= 0.95, "C {c} Q {q}: {ratio:.3} of the possible");
        assert!(
            run.throttled_share() <= 0.10,
            "C {c} Q {q}: {:.1} % throttled",
            100.0 * run.throttled_share()
        );
    }
}

#[test]
fn a_quota_that_halves_mid_run_is_followed_down() {
    let limiter = Limiter::new(true, None);
    let audit = quota_audit(16, 1500);
    let run = simulate(
        &limiter,
        audit,
        &mut quota_server(|t| if t < 4.0 { 200.0 } else { 100.0 }, 40.0),
    );
    assert_eq!(run.lost, 0, "{run:?}");
    assert!(
        run.throughput(1.0, 4.0) >= 0.95 * 200.0,
        "{}",
        run.throughput(1.0, 4.0)
    );
    assert!(
        run.throughput(6.0, 9.0) >= 0.95 * 100.0,
        "{}",
        run.throughput(6.0, 9.0)
    );
    assert!(run.throttled_share() <= 0.10, "{run:?}");
    let rate = run.rate.unwrap();
    assert!(rate < 130.0, "{rate}");
}

#[test]
fn a_quota_that_doubles_mid_run_is_followed_up() {
    let limiter = Limiter::new(true, None);
    let audit = quota_audit(16, 2400);
    let run = simulate(
        &limiter,
        audit,
        &mut quota_server(|t| if t < 4.0 { 100.0 } else { 200.0 }, 20.0),
    );
    assert_eq!(run.lost, 0, "{run:?}");
    assert!(
        run.throughput(1.0, 4.0) >= 0.95 * 100.0,
        "{}",
        run.throughput(1.0, 4.0)
    );
    assert!(
        run.throughput(9.0, 12.0) >= 0.95 * 200.0,
        "{}",
        run.throughput(9.0, 12.0)
    );
    assert!(run.throttled_share() <= 0.10, "{run:?}");
}

/// A server that throttles every request for the first 300 ms of every 5 s
/// (someone else's traffic using the pool's quota up), whatever this client
/// sends: 8 workers with 20 ms answers could answer about 376 users a
/// second. Each burst used to start an episode whose brakes stopped the
/// throttles only because the burst ended; the cuts were kept as if they had
/// found a quota, and the CUBIC curve grew back from them too slowly before
/// the next burst: about 42 users a second. An episode that ends quiet after
/// the server accepted next to nothing while it throttled, following a long
/// quiet, is now a burst and its cuts are undone.
#[test]
fn throttle_bursts_that_do_not_depend_on_the_rate_do_not_collapse_it() {
    let limiter = Limiter::new(true, None);
    let audit = quota_audit(8, 4000);
    let run = simulate(&limiter, audit, &mut |t, _, _| t % 5.0 < 0.3);
    let possible = 8.0 / 0.02 * (1.0 - 0.3 / 5.0);
    let rate = audit.users as f64 / run.seconds;
    assert_eq!(run.lost, 0, "{run:?}");
    assert!(
        rate >= 0.5 * possible,
        "{rate:.0} users a second where {possible:.0} are possible: {run:?}"
    );
}

/// The same with a shorter period: every request throttled for the first
/// 100 ms of every second.
#[test]
fn throttle_bursts_every_second_do_not_collapse_the_rate() {
    let limiter = Limiter::new(true, None);
    let audit = quota_audit(8, 4000);
    let run = simulate(&limiter, audit, &mut |t, _, _| t % 1.0 < 0.1);
    let possible = 8.0 / 0.02 * (1.0 - 0.1 / 1.0);
    let rate = audit.users as f64 / run.seconds;
    assert_eq!(run.lost, 0, "{run:?}");
    assert!(
        rate >= 0.5 * possible,
        "{rate:.0} users a second where {possible:.0} are possible: {run:?}"
    );
}

/// An audit of `workers` whose accepted answers take `latency_ms`.
fn audit_at(workers: usize, users: usize, latency_ms: u64) -> Audit {
    Audit {
        workers,
        users,
        accepted: ms(latency_ms),
        throttle: Duration::from_micros(200),
    }
}

/// What went wrong with `run` of `audit`, where `possible` users a second
/// could be answered: a user lost, or under `ratio` of `possible`.
fn shortfall(name: &str, run: &Run, audit: Audit, possible: f64, ratio: f64) -> Option<String> {
    let rate = audit.users as f64 / run.seconds;
    (run.lost > 0 || run.users != audit.users || rate < ratio * possible).then(|| {
        format!(
            "{name} (c {}, answers in {:?}): {} of {} users lost, {rate:.1} users a second of {possible:.0} ({:.2}), {:.1} % throttled, {} rate changes",
            audit.workers,
            audit.accepted,
            run.lost,
            audit.users,
            rate / possible,
            100.0 * run.throttled_share(),
            run.trace.len(),
        )
    })
}

/// Plays each case (a name, an audit, users a second possible, a server)
/// with the caller's own pauses; the shortfalls under `ratio`.
fn shortfalls(ratio: f64, cases: Vec<(&str, Audit, f64, Box<Server<'_>>)>) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(1);
    cases
        .into_iter()
        .filter_map(|(name, audit, possible, mut server)| {
            let limiter = Limiter::new(true, None);
            let run = simulate_paced(&limiter, audit, &mut *server, &mut rng);
            shortfall(name, &run, audit, possible, ratio)
        })
        .collect()
}

/// FINDING: a throttle that does not depend on the rate (the first request
/// for each id; a random 30 %) collapsed the rate when answers are slow or
/// workers many: 8 workers with 200 ms answers answered 1 user a second of
/// 40 (800 users: 1,493 s for 20), a random 30 % at 200 ms 3 of 40, at one
/// worker 2 of 50; the first request per id with 256 workers at 20 ms, or
/// 64 at 2 ms, 1 user a second. An episode ended "quiet" 0.5 s after its
/// brake whenever no tested cut had been made by then, though the throttles
/// had not stopped: the tested cut waits for 8 accepted answers to requests
/// sent since the brake, which slow answers and halving brakes do not bring
/// in 0.5 s. The next throttle then braked again, from the accepted rate of
/// the window, and so on down to the floor; no tested cut ever ran, so the
/// share was never found to stay and never undone. (Ending an episode
/// quiet only once no throttle came for 0.25 s, its tested cut made once
/// 0.5 s passed, fixes the first three cases here and the loopback test in
/// `tests/regression.rs`, leaves the last two at 0.27 and 0.05 of the
/// possible, and passes every other throttle test, but makes a quota that
/// keeps changing throttle more and lose users: see
/// `a_quota_that_keeps_changing_keeps_few_throttles`. Adding to it a
/// recovery, the rate doubling every 0.1 s back up to the highest rate
/// accepted with no throttle, also fixed short bursts at 64 workers, but a
/// quota falling in steps, halving or oscillating with slow answers then
/// lost users or throttled 40-70 %: the rate to recover to, and the
/// baseline share, need to age or be tested again. Not kept.)
#[test]
#[ignore = "FINDING: a rate-independent throttle with slow answers or many workers collapses the rate (end_quiet preempts the tested cut); see the doc comment"]
fn a_throttle_that_does_not_depend_on_the_rate_does_not_collapse_it_with_slow_answers_or_many_workers()
 {
    let per_id = || {
        let mut seen = HashSet::new();
        Box::new(move |_: f64, user: usize, _: u64| seen.insert(user)) as Box<Server<'_>>
    };
    let share = |p: f64| {
        let mut rng = fastrand::Rng::with_seed(3);
        Box::new(move |_: f64, _: usize, _: u64| rng.f64() < p) as Box<Server<'_>>
    };
    let failures = shortfalls(
        0.8,
        vec![
            ("first per id", audit_at(8, 800, 200), 40.0, per_id()),
            ("a random 30 %", audit_at(8, 800, 200), 40.0, share(0.3)),
            ("a random 30 %", audit_at(1, 1000, 20), 50.0, share(0.3)),
            (
                "first per id",
                audit_at(256, 40_000, 20),
                12_800.0,
                per_id(),
            ),
            ("first per id", audit_at(64, 40_000, 2), 32_000.0, per_id()),
        ],
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

/// FINDING: bursts of throttles that do not depend on the rate, each longer
/// than a quarter of the quiet before it (1 s of every 3 s; 300 ms of every
/// second), are never taken for bursts (`BURST_DUTY`): each one's cuts are
/// kept and the rate falls to the floor, 1 user a second of 267 (8 workers,
/// 20 ms answers, 8,000 users: 10,104 s), and 300 ms of every second loses
/// users too (6 of 8,000 at 8 workers; 209 of 40,000 at 64).
#[test]
#[ignore = "FINDING: throttle bursts of 1 s in 3 s or 300 ms in 1 s collapse the rate to about 1 user a second and lose users; see the doc comment"]
fn long_throttle_bursts_that_do_not_depend_on_the_rate_do_not_collapse_it() {
    let failures = shortfalls(
        0.5,
        vec![
            (
                "1 s of every 3 s",
                audit_at(8, 8000, 20),
                400.0 * 2.0 / 3.0,
                Box::new(|t: f64, _, _| t % 3.0 < 1.0),
            ),
            (
                "300 ms of every second",
                audit_at(8, 8000, 20),
                400.0 * 0.7,
                Box::new(|t: f64, _, _| t % 1.0 < 0.3),
            ),
            (
                "1 s of every 3 s",
                audit_at(64, 6400, 200),
                320.0 * 2.0 / 3.0,
                Box::new(|t: f64, _, _| t % 3.0 < 1.0),
            ),
        ],
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

/// FINDING: short bursts collapse the rate with many workers or slow
/// answers: 50 ms of every 500 ms at 64 workers (20 ms answers) left 7
/// users a second of 2,880; 10 ms of every 100 ms at 64 workers with
/// 200 ms answers 8 of 288; bursts at random times (20 to 620 ms long, 0.2
/// to 3.2 s apart) 26 of 320 at 8 workers and 27 of 2,560 at 64; bursts of
/// 200 ms every 2 s over a quota of 800 a second (64 workers) 247 of 720.
#[test]
#[ignore = "FINDING: short, random or quota-borne throttle bursts collapse the rate at 64 workers or slow answers; see the doc comment"]
fn short_random_and_quota_borne_throttle_bursts_do_not_collapse_the_rate() {
    let random_bursts = || {
        let mut rng = fastrand::Rng::with_seed(5);
        let (mut next, mut end) = (0.3, 0.0);
        Box::new(move |t: f64, _: usize, _: u64| {
            while t >= next {
                end = next + 0.02 + rng.f64() * 0.6;
                next = end + 0.2 + rng.f64() * 3.0;
            }
            t < end
        }) as Box<Server<'_>>
    };
    let mut quota = quota_server(|_| 800.0, 160.0);
    let failures = shortfalls(
        0.5,
        vec![
            (
                "50 ms of every 500 ms",
                audit_at(64, 40_000, 20),
                2880.0,
                Box::new(|t: f64, _, _| t % 0.5 < 0.05),
            ),
            (
                "10 ms of every 100 ms",
                audit_at(64, 6400, 200),
                288.0,
                Box::new(|t: f64, _, _| t % 0.1 < 0.01),
            ),
            (
                "at random times",
                audit_at(8, 8000, 20),
                320.0,
                random_bursts(),
            ),
            (
                "at random times",
                audit_at(64, 40_000, 20),
                2560.0,
                random_bursts(),
            ),
            (
                "200 ms of every 2 s over a quota of 800/s",
                audit_at(64, 40_000, 20),
                720.0,
                Box::new(move |t: f64, u, n| t % 2.0 < 0.2 || quota(t, u, n)),
            ),
        ],
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

/// FINDING: a quota of half or three quarters of what fast answers allow
/// (2 ms answers, 4 to 64 workers; 5 ms at three quarters) never wakes the
/// limiter: the callers' own pauses after a throttle (20 ms, doubling) shed
/// the excess, so under 5 % of the last second's answers are throttles and
/// it stays dormant, while the unlucky users, each pause longer, come back
/// to an empty bucket ten times and are lost: 7 to 9 of 20,000 a run at 4
/// workers and a quota of 1,000 a second, 14 to 19 of 40,000 at 8 workers
/// and 2,000, 4 or 5 of 40,000 at 3,000; under 1 % throttled, the limiter
/// never on. Not reproduced over loopback (2 ms answers; 4 threads and a
/// quota of 1,000 a second, 8 and 1,500, 8 and 2,500: 20,000 users each,
/// 0 lost, 72 to 136 throttles): the simulation's model only, until shown
/// otherwise.
#[test]
#[ignore = "FINDING (simulated only; not reproduced over loopback): a quota the callers' pauses hide keeps the limiter dormant and loses users (2 ms answers); see the doc comment"]
fn a_quota_the_callers_pauses_hide_loses_no_user() {
    let mut failures = Vec::new();
    for (workers, share) in [(4, 0.5), (8, 0.5), (8, 0.75)] {
        let audit = audit_at(workers, 10_000 * workers / 2, 2);
        let quota = workers as f64 * 500.0 * share;
        for seed in 0..3 {
            let mut rng = fastrand::Rng::with_seed(seed);
            let limiter = Limiter::new(true, None);
            let run = simulate_paced(
                &limiter,
                audit,
                &mut quota_server(move |_| quota, (quota / 5.0).max(10.0)),
                &mut rng,
            );
            failures.extend(shortfall("a quota", &run, audit, quota, 0.9));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// FINDING: a quota that falls from 200 to 2 requests a second and stays
/// there (8 workers, 20 ms answers, 300 users, the fall at 1 s) is followed
/// down, but 142 of 442 requests are throttled (32 %; 43 % over 8,000 users,
/// and 0 to 3 of them lost, by the seed): the first episode after the fall
/// ends "quiet" 0.5 s after its brake while everything is still throttled,
/// and the next brakes from the window's accepted rate, from before the fall.
#[test]
#[ignore = "FINDING: a quota that falls to 2 a second and stays throttles 43 % of requests; see the doc comment"]
fn a_quota_that_falls_near_zero_and_stays_keeps_few_throttles() {
    let audit = audit_at(8, 300, 20);
    let mut rng = fastrand::Rng::with_seed(1);
    let limiter = Limiter::new(true, None);
    let run = simulate_paced(
        &limiter,
        audit,
        &mut quota_server(|t| if t >= 1.0 { 2.0 } else { 200.0 }, 20.0),
        &mut rng,
    );
    assert_eq!(run.lost, 0, "{run:?}");
    assert!(run.throttled_share() <= 0.15, "{run:?}");
}

/// FINDING: a quota that changes every 2 s (0.5, 0.1, 0.8, 0.2, 0.05, 0.6 of
/// what the workers could send) is followed with many throttles when
/// answers are slow: 8 workers at 200 ms, 252 of 1,052 requests throttled
/// (24 %; the matrix's target is 10 %). A tested cut judged while the quota
/// falls again is "the same" (a rise under 3 standard errors counts as no
/// change) and undone, back to the rate before it, and the larger of the
/// two shares it saw becomes a baseline that never decays: later throttles
/// under it start no episode. (Ending an episode quiet only once its
/// throttles stopped, which fixes the first test of this group, makes more
/// tested cuts: 593 of 1,391 throttled and 2 users lost here.)
#[test]
#[ignore = "FINDING: a quota that changes every 2 s throttles 24 % of requests with 200 ms answers (8 workers); see the doc comment"]
fn a_quota_that_keeps_changing_keeps_few_throttles() {
    let mut rng = fastrand::Rng::with_seed(1);
    let mut failures = Vec::new();
    for workers in [8, 64] {
        let cap = workers as f64 / 0.2;
        let audit = audit_at(workers, (cap * 20.0) as usize, 200);
        let limiter = Limiter::new(true, None);
        let run = simulate_paced(
            &limiter,
            audit,
            &mut quota_server(
                move |t| cap * [0.5, 0.1, 0.8, 0.2, 0.05, 0.6][(t / 2.0) as usize % 6],
                (cap / 20.0).max(10.0),
            ),
            &mut rng,
        );
        if run.lost > 0 || run.throttled_share() > 0.15 {
            failures.push(format!("{workers} workers: {run:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Plays `audit` against a token bucket of `quota(t)` requests a second
/// with the caller's own pauses: the run, and the share of the requests
/// sent from `after` s on that were throttled.
fn late_share(audit: Audit, quota: impl Fn(f64) -> f64, burst: f64, after: f64) -> (Run, f64) {
    let mut inner = quota_server(quota, burst);
    let mut log = Vec::new();
    let mut server = |t: f64, u: usize, n: u64| {
        let throttled = inner(t, u, n);
        log.push((t, throttled));
        throttled
    };
    let mut rng = fastrand::Rng::with_seed(1);
    let limiter = Limiter::new(true, None);
    let run = simulate_paced(&limiter, audit, &mut server, &mut rng);
    let late: Vec<bool> = log
        .iter()
        .filter(|(t, _)| *t >= after)
        .map(|&(_, x)| x)
        .collect();
    let share = late.iter().filter(|&&x| x).count() as f64 / late.len().max(1) as f64;
    (run, share)
}

/// A quota that falls in steps (0.8, 0.6, 0.4, then 0.2 of what 16 workers
/// with 200 ms answers could send, every 3 s) and then stays at 16 a second
/// is followed down: under 10 % of the requests sent after its last step
/// throttled, none lost. A candidate change (an episode ending quiet only
/// after 0.25 s without a throttle, and the rate doubling back up to the
/// highest rate accepted with no throttle) broke this: 55 % throttled after
/// 12 s and 1 user lost, its recovery aiming at a rate measured before the
/// last fall. It was not kept.
#[test]
fn a_quota_that_falls_in_steps_is_not_overshot_again_and_again() {
    let cap = 16.0 / 0.2;
    let (run, share) = late_share(
        audit_at(16, 800, 200),
        move |t| cap * [0.8, 0.6, 0.4, 0.2][((t / 3.0) as usize).min(3)],
        10.0,
        12.0,
    );
    assert_eq!(run.lost, 0, "{run:?}");
    assert!(
        share <= 0.10,
        "{:.1} % of the requests after 12 s throttled: {run:?}",
        100.0 * share
    );
}

/// FINDING: a quota that halves once (8 a second, then 4 from 3 s on; 4
/// workers with 200 ms answers could send 20; 200 users) is followed with
/// many throttles: 88 of 288 requests throttled (31 %; 26 % after 6 s, the
/// target is 10 %), none lost. Each tested cut, from an accepted rate
/// measured over few slow answers, stays above the quota, reads "the same"
/// and is undone, and its share becomes a baseline. (The candidate change
/// described above made it 4 users lost and 69 % throttled.)
#[test]
#[ignore = "FINDING: a quota that halves (8 to 4 a second; 4 workers, 200 ms answers): 26 % of the requests after 6 s throttled, none lost; see the doc comment"]
fn a_quota_that_halves_with_slow_answers_loses_no_user() {
    let (run, share) = late_share(
        audit_at(4, 200, 200),
        |t| if t < 3.0 { 8.0 } else { 4.0 },
        10.0,
        6.0,
    );
    assert_eq!(run.lost, 0, "{run:?}");
    assert!(
        share <= 0.10,
        "{:.1} % of the requests after 6 s throttled: {run:?}",
        100.0 * share
    );
}

/// FINDING: a quota of half what the workers could send plus a random 10 %
/// throttled whatever the rate (20 ms answers, 20 s of users) loses users:
/// 3 of 2,000 at 4 workers, 10 of 8,000 at 16, 15 of 32,000 at 64, 24 % to
/// 25 % of the requests throttled. A tested cut (the first at 4 workers, the
/// second or third at 16 and 64) reads "the same" (the random share hides
/// the fall) and is undone, back to dormant at 4 and 16 workers, with a
/// baseline of about 25 %; from then on the quota's throttles never show
/// above it: a user whose ten attempts each meet an empty bucket or the
/// random share is lost.
#[test]
#[ignore = "FINDING: a quota of half the workers' capacity plus a random 10 % loses 3-15 users per run (4-64 workers, 20 ms answers), 24-25 % throttled; see the doc comment"]
fn a_quota_plus_a_random_share_loses_no_user() {
    let mut failures = Vec::new();
    for workers in [4, 16, 64] {
        let cap = workers as f64 / 0.02;
        let audit = audit_at(workers, (cap * 10.0) as usize, 20);
        let mut quota = quota_server(move |_| cap * 0.5, (cap / 20.0).max(10.0));
        let mut random = fastrand::Rng::with_seed(9);
        let mut rng = fastrand::Rng::with_seed(1);
        let limiter = Limiter::new(true, None);
        let run = simulate_paced(
            &limiter,
            audit,
            &mut |t, u, n| random.f64() < 0.1 || quota(t, u, n),
            &mut rng,
        );
        if run.lost > 0 || run.throttled_share() > 0.2 {
            failures.push(format!("{workers} workers: {run:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// FINDING: a quota that oscillates quickly (0.2 to 0.8 of what the workers
/// could send, a 1 s period; 16 workers, 200 ms answers) loses 4 of 800
/// users. With a 10 s period it holds (12-13 % throttled at 1-16 workers;
/// the candidate change described above made that 20-46 %).
#[test]
#[ignore = "FINDING: a quota oscillating over 1 s loses 4 of 800 users (16 workers, 200 ms answers); see the doc comment"]
fn a_quota_that_oscillates_keeps_few_throttles_and_loses_no_user() {
    let mut failures = Vec::new();
    for (workers, latency, period) in [
        (1, 20, 10.0),
        (4, 20, 10.0),
        (16, 200, 10.0),
        (16, 200, 1.0),
    ] {
        let cap = workers as f64 * 1000.0 / latency as f64;
        let audit = audit_at(workers, (cap * 10.0) as usize, latency);
        let quota = move |t: f64| cap * (0.5 + 0.3 * (t * std::f64::consts::TAU / period).sin());
        let (run, _) = late_share(audit, quota, (cap / 20.0).max(10.0), 0.0);
        if run.lost > 0 || run.throttled_share() > 0.15 {
            failures.push(format!(
                "{workers} workers, {latency} ms, {period} s: {run:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
