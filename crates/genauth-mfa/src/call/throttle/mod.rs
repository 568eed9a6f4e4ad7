//! The client-side limiter every request of a client (all its clones and
//! threads) goes through before it is sent. Three parts, each deciding with
//! the time it is given, none reading the clock or sleeping (the caller,
//! `call/caller.rs`, does both):
//!
//! - [`Ceiling`]: an optional fixed ceiling (`max_requests_per_second`):
//!   requests are spaced at least `1/N` s apart;
//! - [`Pause`]: a wait a server asked for (`Retry-After`, or a rate-limit
//!   header saying nothing is left): nobody sends before it ends;
//! - [`Adaptive`]: adaptive throttling, on by default: dormant until the
//!   server throttles (`statusCode` 429 in the envelope or HTTP 429) enough
//!   to tell, then a token bucket whose rate is learnt from the answers.
//!
//! The adaptive part follows the AWS SDKs' adaptive retry mode (smithy-rs
//! `client_rate_limiter.rs`: on a throttle the rate drops to a fraction of
//! a measured rate, then grows back along a CUBIC curve, the fill rate
//! capped at twice the measured sending rate), changed where measurements
//! against a quota server, and against servers that throttle whatever the
//! client sends, showed it wrong (BENCHMARKS.md, section 5). It slows down
//! only when slowing down helps:
//!
//! - **Evidence first.** While dormant, a cut needs several throttles and a
//!   share of the last second's answers: one throttle at the start of a run
//!   or a sparse 2 % is no quota, and no rate is computed from a
//!   near-empty window.
//! - **An overshoot is an episode: a brake, then a tested cut.** The brake
//!   cuts from the rate requests were started at (a throttle is answered at
//!   once, before any accepted answer), harder while nearly everything is
//!   still throttled. If throttles go on, the tested cut comes from the rate
//!   the server *accepted* since the brake: under a quota, the quota itself
//!   (its bucket is empty from the first throttle on). Answers to requests
//!   sent before a cut say nothing about it and are not counted for it.
//! - **A cut that does not lower the throttled share is undone.** Below its
//!   accepted rate a quota throttles next to nothing; a server that
//!   throttles a share whatever the client sends (the first request for
//!   each id, a random share, a quota shared with other traffic) goes on
//!   throttling that share. The limiter then returns to the rate it had
//!   before the episode (dormant, if it was) and keeps that share as the
//!   server's baseline: only a share clearly above it starts an episode.
//! - **A burst is not a quota.** When the throttles stop on their own (the
//!   brakes were enough, no tested cut), the episode is judged: if the
//!   server accepted next to nothing while it throttled, and throttled for
//!   a short while after a long quiet, that was a burst (other traffic
//!   using the pool's quota up for a moment, a brief outage), and the cuts
//!   are undone as above. A quota, by contrast, goes on accepting its rate
//!   while it throttles.
//!
//! Written here rather than taken from a crate: the usual crate
//! (`governor`) has a fixed rate and a dozen dependencies; this is the few
//! hundred lines of std arithmetic the adaptive mode needs.

mod adaptive;
mod measure;
#[cfg(test)]
mod tests;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use adaptive::{Adaptive, Change};

/// Not yet: wait until `until`, then ask again with `turn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub(crate) struct Wait {
    pub(crate) until: Instant,
    pub(crate) turn: Turn,
}

/// A place in the limiter's queue: when it may go, valid as long as no
/// cut, undo or pause moved the queue; and the fixed ceiling's slot it
/// holds, kept when only the adaptive rate moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Turn {
    at: Instant,
    epoch: u64,
    slot: Option<Instant>,
    pauses: u64,
}

/// The fixed ceiling: requests spaced `interval` apart.
#[derive(Debug)]
struct Ceiling {
    interval: Duration,
    next: Option<Instant>,
}

impl Ceiling {
    /// The first free slot at or after `at`, taken.
    fn reserve(&mut self, at: Instant) -> Instant {
        let slot = self.next.map_or(at, |n| n.max(at));
        self.next = Some(slot.checked_add(self.interval).unwrap_or(slot));
        slot
    }
}

/// A wait the server asked for.
#[derive(Debug, Default)]
struct Pause {
    until: Option<Instant>,
}

impl Pause {
    /// When sending may start, if later than `now`.
    fn until(&mut self, now: Instant) -> Option<Instant> {
        match self.until {
            Some(until) if until > now => Some(until),
            _ => {
                self.until = None;
                None
            }
        }
    }

    /// Whether `until` extended the pause.
    fn extend(&mut self, until: Instant) -> bool {
        let later = self.until.is_none_or(|p| p < until);
        if later {
            self.until = Some(until);
        }
        later
    }
}

/// The limiter of one client, shared by its clones and threads.
#[derive(Debug)]
pub(crate) struct Limiter {
    adaptive: bool,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The instant the adaptive part counts its seconds from.
    origin: Option<Instant>,
    /// Bumped when queued turns must queue again: a cut, an undo, a pause.
    epoch: u64,
    /// Bumped by a pause: queued turns give up their ceiling slots too.
    pauses: u64,
    ceiling: Option<Ceiling>,
    pause: Pause,
    adaptive: Option<Adaptive>,
}

impl State {
    fn seconds(&mut self, at: Instant) -> f64 {
        let origin = *self.origin.get_or_insert(at);
        at.saturating_duration_since(origin).as_secs_f64()
    }

    /// A request goes at `now`.
    fn go(&mut self, now: Instant) {
        let t = self.seconds(now);
        if let Some(adaptive) = &mut self.adaptive {
            adaptive.started(t);
        }
    }
}

impl Limiter {
    /// `adaptive`: learn the server's quota from its throttle answers;
    /// `per_second`: a fixed ceiling (`> 0`).
    pub(crate) fn new(adaptive: bool, per_second: Option<u32>) -> Limiter {
        Limiter {
            adaptive,
            state: Mutex::new(State {
                origin: None,
                epoch: 0,
                pauses: 0,
                ceiling: per_second.map(|n| Ceiling {
                    interval: Duration::from_secs(1) / n.max(1),
                    next: None,
                }),
                pause: Pause::default(),
                adaptive: adaptive.then(Adaptive::new),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the limiter learns from throttle answers.
    pub(crate) fn is_adaptive(&self) -> bool {
        self.adaptive
    }

    /// May a request go at `now`? `turn` is the one the last [`Wait`] gave,
    /// if any. `Ok`: send now (the request counts as sent at `now`). `Err`:
    /// wait until its `until`, then ask again with its turn.
    pub(crate) fn permit(&self, now: Instant, turn: Option<Turn>) -> Result<(), Wait> {
        let mut s = self.lock();
        s.origin.get_or_insert(now);
        // A pause since the turn was given: its ceiling slot is void too.
        let turn = turn.filter(|t| t.pauses == s.pauses);
        if let Some(turn) = turn.filter(|t| t.epoch == s.epoch) {
            if turn.at > now {
                return Err(Wait {
                    until: turn.at,
                    turn,
                });
            }
            s.go(now);
            return Ok(());
        }
        let mut at = now;
        if let Some(until) = s.pause.until(now) {
            at = until;
        }
        let slot = match (turn.and_then(|t| t.slot), &mut s.ceiling) {
            (Some(slot), _) => Some(slot),
            (None, Some(ceiling)) => Some(ceiling.reserve(at)),
            (None, None) => None,
        };
        if let Some(slot) = slot {
            at = at.max(slot);
        }
        let t = s.seconds(at);
        if let Some(adaptive) = &mut s.adaptive {
            let delay = Duration::from_secs_f64(adaptive.reserve(t));
            at = at.checked_add(delay).unwrap_or(at);
        }
        if at <= now {
            s.go(now);
            return Ok(());
        }
        Err(Wait {
            until: at,
            turn: Turn {
                at,
                epoch: s.epoch,
                slot,
                pauses: s.pauses,
            },
        })
    }

    /// Learns from the answer at `now` to a request sent at `sent` (when
    /// its permit was given): `throttled` when the server said the client
    /// sends too much.
    pub(crate) fn on_answer(&self, now: Instant, sent: Instant, throttled: bool) {
        if !self.adaptive {
            return;
        }
        let mut s = self.lock();
        let (t, sent) = (s.seconds(now), s.seconds(sent));
        let change = s
            .adaptive
            .as_mut()
            .map_or(Change::None, |a| a.on_answer(t, sent, throttled));
        if change == Change::Requeue {
            s.epoch += 1;
        }
    }

    /// Nobody sends before `until` (a server's `Retry-After`).
    pub(crate) fn pause_until(&self, until: Instant) {
        let mut s = self.lock();
        if s.pause.extend(until) {
            // Every queued turn queues again from the pause's end.
            s.epoch += 1;
            s.pauses += 1;
            if let Some(ceiling) = &mut s.ceiling {
                ceiling.next = Some(until);
            }
        }
    }

    /// The adaptive bucket's rate, while it is on.
    #[cfg(test)]
    pub(crate) fn adaptive_rate(&self) -> Option<f64> {
        self.lock().adaptive.as_ref().and_then(Adaptive::rate)
    }
}
