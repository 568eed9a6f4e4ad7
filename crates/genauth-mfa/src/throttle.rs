//! The client-side limiter every request of a client (all its clones and
//! threads) goes through before it is sent:
//!
//! - an optional fixed ceiling (`max_requests_per_second`): requests are
//!   spaced at least `1/N` s apart;
//! - a pause a server asked for (`Retry-After`, or a rate-limit header
//!   saying nothing is left): nobody sends before it ends;
//! - adaptive throttling, on by default: dormant until the server first
//!   answers "throttled" (`statusCode` 429 in the envelope or HTTP 429),
//!   then a token bucket whose rate is learnt from the answers.
//!
//! The adaptive part follows the AWS SDKs' adaptive retry mode (smithy-rs
//! `client_rate_limiter.rs`: on a throttle the rate drops to a fraction
//! of a measured rate, then grows back along a CUBIC curve, and the fill
//! rate is capped at twice the measured sending rate), with two changes
//! measured against a quota server (BENCHMARKS.md): the rate to cut from is
//! the rate the server *accepted* over the last second, which is the quota
//! itself while it throttles, rather than the rate sent, which can be many
//! times the quota when a batch starts with many threads; and one cut per
//! overshoot, since the answers to requests already in flight when the rate
//! was cut say nothing new. The curve's scale is relative to the rate, so a
//! quota of 50 and one of 5,000 a second recover in the same time. And a
//! cut that did not lower the share of throttled answers (a server that
//! throttles a share of the requests whatever this client sends, as a quota
//! shared with other traffic does) is not followed by another: the rate
//! holds where it is, instead of falling cut by cut to the floor.
//!
//! Written here rather than taken from a crate: the usual crate
//! (`governor`) has a fixed rate and a dozen dependencies; this is the
//! hundred lines of std arithmetic that the adaptive mode needs.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::cancel::{self, CancelToken};

/// The lowest rate the adaptive bucket falls to, per second.
const MIN_RATE: f64 = 0.5;
/// On a throttle the rate becomes this share of the accepted rate.
const BETA: f64 = 0.85;
/// The CUBIC curve's scale, relative to the rate before the cut (per s³).
const SCALE: f64 = 0.4 / 10.0;
/// Burst allowance of the adaptive bucket, in seconds of its rate.
const BURST_SECONDS: f64 = 0.05;
/// The measurement window: `BUCKETS` buckets of `BUCKET` seconds.
const BUCKET: f64 = 0.05;
const BUCKETS: usize = 20;
/// How many answers it takes to tell a throttled share: at a cut (over the
/// window) and since it.
const HOLD_EVIDENCE: u32 = 20;
/// The window's length in seconds.
const WINDOW_SECONDS: f64 = BUCKET * BUCKETS as f64;
/// The shortest span an accepted rate is measured over, so that the
/// first answers of a run (a server's burst) do not read as a huge rate.
const MIN_SPAN: f64 = 0.25;

/// What an answer says to the limiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Feedback {
    /// An answer that is not a throttle: success, or any other failure.
    Accepted,
    /// The server said the client sends too much.
    Throttled,
}

#[derive(Debug)]
pub(crate) struct Limiter {
    adaptive: bool,
    /// The fixed ceiling's spacing.
    interval: Option<Duration>,
    origin: Instant,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The fixed ceiling's next free slot.
    next_fixed: Instant,
    /// A wait the server asked for.
    paused_until: Option<Instant>,
    /// The adaptive bucket is on (after the first throttle).
    enabled: bool,
    /// Requests a second the adaptive bucket lets through.
    rate: f64,
    /// The adaptive bucket's next free slot (seconds since `origin`).
    next: f64,
    /// Bumped at every cut: waiters that queued before it queue again.
    generation: u64,
    /// The accepted rate at the last cut, and when it was.
    last_max: f64,
    last_cut: f64,
    /// When the last cut, or the last decision not to cut, was made.
    last_decision: f64,
    /// The share of answers that were throttles at the last cut (over the
    /// window, when it held enough answers to say).
    share_at_cut: Option<f64>,
    /// Answers, and throttles among them, since the last cut.
    since_cut: (u32, u32),
    /// The last cut did not lower the throttled share: the throttling is not
    /// this client's doing, and the rate holds where it is.
    held: bool,
    window: Window,
}

/// Answers counted in buckets of `BUCKET` seconds over the last second.
#[derive(Debug)]
struct Window {
    /// (bucket number, requests started, answers, accepted answers)
    buckets: [(u64, u32, u32, u32); BUCKETS],
    first: Option<f64>,
}

impl Window {
    fn bucket(&mut self, t: f64) -> &mut (u64, u32, u32, u32) {
        self.first.get_or_insert(t);
        let n = (t / BUCKET) as u64;
        let slot = &mut self.buckets[n as usize % BUCKETS];
        if slot.0 != n {
            *slot = (n, 0, 0, 0);
        }
        slot
    }

    fn started(&mut self, t: f64) {
        self.bucket(t).1 += 1;
    }

    fn answered(&mut self, t: f64, accepted: bool) {
        let slot = self.bucket(t);
        slot.2 += 1;
        slot.3 += u32::from(accepted);
    }

    /// Requests started, answers, and accepted answers a second over the
    /// window.
    fn rates(&self, t: f64) -> Rates {
        let n = (t / BUCKET) as u64;
        let (mut started, mut answered, mut accepted) = (0u64, 0u64, 0u64);
        for &(b, s, a, ok) in &self.buckets {
            if b <= n && n - b < BUCKETS as u64 {
                started += u64::from(s);
                answered += u64::from(a);
                accepted += u64::from(ok);
            }
        }
        let since_first = self.first.map_or(0.0, |f| t - f);
        let span = since_first.clamp(MIN_SPAN, BUCKET * BUCKETS as f64);
        Rates {
            started: started as f64 / span,
            answered: answered as f64 / span,
            accepted: accepted as f64 / span,
        }
    }
}

/// Rates a second over the measurement window.
#[derive(Debug, Clone, Copy)]
struct Rates {
    started: f64,
    answered: f64,
    accepted: f64,
}

impl Limiter {
    /// `adaptive`: learn the server's quota from its throttle answers;
    /// `per_second`: a fixed ceiling (`> 0`).
    pub(crate) fn new(adaptive: bool, per_second: Option<u32>) -> Limiter {
        let now = Instant::now();
        Limiter {
            adaptive,
            interval: per_second.map(|n| Duration::from_secs(1) / n.max(1)),
            origin: now,
            state: Mutex::new(State {
                next_fixed: now,
                paused_until: None,
                enabled: false,
                rate: 0.0,
                next: 0.0,
                generation: 0,
                last_max: 0.0,
                last_cut: 0.0,
                last_decision: 0.0,
                share_at_cut: None,
                since_cut: (0, 0),
                held: false,
                window: Window {
                    buckets: [(u64::MAX, 0, 0, 0); BUCKETS],
                    first: None,
                },
            }),
        }
    }

    /// Whether the limiter learns from throttle answers.
    pub(crate) fn is_adaptive(&self) -> bool {
        self.adaptive
    }

    fn seconds(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.origin).as_secs_f64()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for this request's turn and returns how long it waited;
    /// `None` when `cancel` was cancelled meanwhile. Never fails otherwise:
    /// time spent here is not the call's (see `Caller::call`).
    pub(crate) fn acquire(&self, cancel: Option<&CancelToken>) -> Option<Duration> {
        let started = Instant::now();
        loop {
            let (at, generation) = {
                let mut s = self.lock();
                let now = Instant::now();
                let mut at = now;
                if let Some(until) = s.paused_until {
                    if until > now {
                        at = until;
                    } else {
                        s.paused_until = None;
                    }
                }
                if let Some(interval) = self.interval {
                    let slot = s.next_fixed.max(at);
                    s.next_fixed = slot + interval;
                    at = slot;
                }
                let t = self.seconds(at);
                if self.adaptive {
                    s.window.started(t);
                }
                if s.enabled {
                    let slot = s.next.max(t - BURST_SECONDS);
                    s.next = slot + 1.0 / s.rate;
                    if slot > t {
                        at += Duration::from_secs_f64(slot - t);
                    }
                }
                (at, s.generation)
            };
            if at > Instant::now() && !cancel::sleep(at - Instant::now(), cancel) {
                return None;
            }
            if cancel.is_some_and(CancelToken::is_cancelled) {
                return None;
            }
            // A cut while this request waited: its slot was spaced for the
            // old rate, so it queues again at the new one.
            if !self.adaptive || self.lock().generation == generation {
                return Some(started.elapsed());
            }
        }
    }

    /// Learns from an answer.
    pub(crate) fn feedback(&self, feedback: Feedback) {
        if !self.adaptive {
            return;
        }
        let now = Instant::now();
        let t = self.seconds(now);
        let mut s = self.lock();
        s.window.answered(t, feedback == Feedback::Accepted);
        let rates = s.window.rates(t);
        if s.enabled {
            s.since_cut.0 = s.since_cut.0.saturating_add(1);
            s.since_cut.1 = s
                .since_cut
                .1
                .saturating_add(u32::from(feedback == Feedback::Throttled));
        }
        match feedback {
            Feedback::Throttled => {
                // One cut per overshoot: answers to requests sent before
                // the last cut took effect say nothing new.
                let settle = (2.0 / s.rate.max(MIN_RATE)).clamp(0.1, 1.0);
                if s.enabled && t - s.last_decision < settle {
                    return;
                }
                // A server that throttles a share of the requests whatever
                // this client sends (a quota shared with other traffic):
                // when the last cut did not lower that share, cutting again
                // would only slow down towards the floor. Hold the rate.
                let (answers, throttles) = s.since_cut;
                if let Some(before) = s.share_at_cut {
                    if answers < HOLD_EVIDENCE {
                        return; // too few answers since the cut to tell
                    }
                    let since = f64::from(throttles) / f64::from(answers);
                    if since >= 0.75 * before && since <= 1.5 * before {
                        s.held = true;
                        s.last_decision = t;
                        return;
                    }
                }
                // The first throttle of a run comes before the answers that
                // were accepted (a throttle is answered at once, an accepted
                // request takes its time): cut from the rate requests were
                // started at, and learn the accepted rate at the next cut.
                let from = if s.enabled {
                    rates.accepted.min(s.rate)
                } else {
                    rates.started.max(rates.accepted)
                };
                s.last_max = from.max(MIN_RATE);
                s.last_cut = t;
                s.last_decision = t;
                // Not at the first cut: it comes before the accepted
                // answers, so its share says nothing yet.
                s.share_at_cut = (s.enabled
                    && rates.answered * WINDOW_SECONDS >= f64::from(HOLD_EVIDENCE))
                .then(|| 1.0 - rates.accepted / rates.answered.max(f64::MIN_POSITIVE));
                s.since_cut = (0, 0);
                s.held = false;
                s.rate = (from * BETA).max(MIN_RATE);
                s.enabled = true;
                s.generation += 1;
                s.next = t;
                log::debug!(
                    target: "genauth_mfa",
                    "throttled by the server: sending at most {:.1} requests a second",
                    s.rate
                );
            }
            Feedback::Accepted if s.enabled && !s.held => {
                let k = ((1.0 - BETA) / SCALE).cbrt();
                let dt = t - s.last_cut - k;
                let cubic = s.last_max * (1.0 + SCALE * dt * dt * dt);
                s.rate = cubic
                    .min(2.0 * rates.answered.max(s.rate / 2.0))
                    .max(MIN_RATE);
            }
            Feedback::Accepted => {}
        }
    }

    /// Nobody sends before `until` (a server's `Retry-After`).
    pub(crate) fn pause_until(&self, until: Instant) {
        let mut s = self.lock();
        if s.paused_until.is_none_or(|p| p < until) {
            s.paused_until = Some(until);
        }
    }

    /// The adaptive bucket's rate, once a throttle turned it on.
    #[cfg(test)]
    pub(crate) fn adaptive_rate(&self) -> Option<f64> {
        let s = self.lock();
        s.enabled.then_some(s.rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_slots_are_spaced() {
        let limiter = Limiter::new(false, Some(100)); // 10 ms apart
        let started = Instant::now();
        for _ in 0..5 {
            limiter.acquire(None).unwrap();
        }
        assert!(started.elapsed() >= Duration::from_millis(40));
    }

    #[test]
    fn dormant_until_the_first_throttle_then_cut_to_the_accepted_rate() {
        let limiter = Limiter::new(true, None);
        for _ in 0..200 {
            assert!(limiter.acquire(None).unwrap() < Duration::from_millis(5));
            limiter.feedback(Feedback::Accepted);
        }
        assert_eq!(limiter.adaptive_rate(), None);
        limiter.feedback(Feedback::Throttled);
        let rate = limiter.adaptive_rate().unwrap();
        // 200 accepted answers over the minimum span of 0.25 s: 800/s.
        assert!(rate > 400.0 && rate <= 800.0 * BETA + 1.0, "{rate}");
        // The throttles right after a cut do not cut again.
        limiter.feedback(Feedback::Throttled);
        assert_eq!(limiter.adaptive_rate(), Some(rate));
    }

    #[test]
    fn a_cancelled_wait_returns_at_once() {
        let limiter = Limiter::new(false, Some(1));
        limiter.acquire(None).unwrap();
        let cancel = CancelToken::new();
        cancel.cancel();
        let started = Instant::now();
        assert_eq!(limiter.acquire(Some(&cancel)), None);
        assert!(started.elapsed() < Duration::from_millis(500));
    }

    #[test]
    fn a_pause_holds_everyone() {
        let limiter = Limiter::new(false, None);
        limiter.pause_until(Instant::now() + Duration::from_millis(60));
        let waited = limiter.acquire(None).unwrap();
        assert!(waited >= Duration::from_millis(50), "{waited:?}");
    }
}
