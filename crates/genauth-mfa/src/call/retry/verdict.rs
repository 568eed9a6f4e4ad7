//! The retry decision as a value: what a failed attempt said ([`Failure`]),
//! how many attempts were made ([`Attempts`]) and the call's [`Facts`] in,
//! a [`Verdict`] out. No clock is read and nothing sleeps here.

use std::time::{Duration, SystemTime};

use http::HeaderMap;

use super::{
    RetryPolicy, is_retryable_answer, is_throttle, retryable_error, server_wait, throttled_pause,
};
use crate::error::Error;
use crate::transport::TransportError;

/// What one failed attempt said, read once: the error, whether it is worth
/// another attempt at all, whether the server throttled, and the wait the
/// server asked of every request (already capped by the policy).
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) error: Error,
    pub(crate) retryable: bool,
    pub(crate) throttled: bool,
    pub(crate) server_wait: Option<Duration>,
}

impl Failure {
    /// No complete answer came.
    pub(crate) fn transport(err: TransportError) -> Failure {
        Failure {
            retryable: retryable_error(err.kind()),
            throttled: false,
            server_wait: None,
            error: Error::from(err),
        }
    }

    /// An answer came and was an error; `headers` are the answer's, `now`
    /// the wall-clock time an HTTP-date `Retry-After` is read against.
    pub(crate) fn answer(
        error: Error,
        headers: &HeaderMap,
        now: SystemTime,
        policy: &RetryPolicy,
    ) -> Failure {
        Failure {
            retryable: is_retryable_answer(&error),
            throttled: is_throttle(&error),
            server_wait: server_wait(headers, now).map(|w| w.min(policy.max_retry_after())),
            error,
        }
    }
}

/// How many attempts a call made, the last one included, and how many of
/// them failed other than by throttling (those have the smaller allowance).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Attempts {
    pub(crate) made: u32,
    pub(crate) failed: u32,
}

impl Attempts {
    /// Counts the attempt that just failed with `failure`.
    pub(crate) fn count(&mut self, failure: &Failure) {
        if !failure.throttled {
            self.failed += 1;
        }
    }
}

/// What [`classify`] needs besides the failure and the counts: the policy,
/// whether the request may be sent again, whether the client's limiter
/// adapts to throttling, the call's time left (`None`: no deadline) and a
/// jitter draw in `[0, 1]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Facts<'p> {
    pub(crate) policy: &'p RetryPolicy,
    pub(crate) repeatable: bool,
    pub(crate) adaptive: bool,
    pub(crate) left: Option<Duration>,
    pub(crate) jitter: f64,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Fail the call with this attempt's error.
    Stop(Stop),
    /// Try again once `after` has passed.
    Retry { kind: RetryKind, after: Duration },
}

/// Why a call stops after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The failure is not worth another attempt (an API error, a 4xx, a
    /// body cut short after the answer began, ...).
    Final,
    /// The request is not safe to send twice.
    NotRepeatable,
    /// The policy's attempts are spent.
    Exhausted,
    /// The server asks for a wait that ends at or past the deadline.
    ServerWaitPastDeadline(Duration),
    /// The back-off before another attempt ends at or past the deadline.
    NoTimeLeft(Duration),
}

/// Why a call tries again, which says who waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryKind {
    /// The server asked for a wait: the client's limiter holds every
    /// thread until it passes, and the wait counts as this call's time.
    ServerWait,
    /// The server throttled: the call pauses, and the limiter slows down.
    Throttled,
    /// A gateway status, or no answer: the call backs off.
    Transient,
}

/// The decision after a failed attempt: a pure function of what the
/// attempt said, the counts and the facts of the call.
pub(crate) fn classify(failure: &Failure, attempts: Attempts, facts: Facts<'_>) -> Verdict {
    if !failure.retryable {
        return Verdict::Stop(Stop::Final);
    }
    if !facts.repeatable {
        return Verdict::Stop(Stop::NotRepeatable);
    }
    let policy = facts.policy;
    if attempts.failed >= policy.max_attempts() || attempts.made >= policy.max_throttled_attempts()
    {
        return Verdict::Stop(Stop::Exhausted);
    }
    let ends_in_time = |wait: Duration| facts.left.is_none_or(|left| wait < left);
    if let Some(wait) = failure.server_wait {
        // The server's wait is this call's time: no retry starts that
        // could not finish before the deadline.
        return if ends_in_time(wait) {
            Verdict::Retry {
                kind: RetryKind::ServerWait,
                after: wait,
            }
        } else {
            Verdict::Stop(Stop::ServerWaitPastDeadline(wait))
        };
    }
    let (kind, after) = if failure.throttled {
        // The limiter slows every thread down once it has cut; a short
        // growing pause of the call's own keeps it from spending its
        // throttled attempts before the limiter has decided, or has come
        // down to a quota that just fell (one dropping from 200/s to 4/s
        // lost users while the limiter, already cutting, still let them
        // retry far above it).
        let after = if facts.adaptive {
            let throttles = attempts.made - attempts.failed;
            throttled_pause(throttles, policy.max_backoff(), facts.jitter)
        } else {
            policy.backoff_with(attempts.made + 1, facts.jitter)
        };
        (RetryKind::Throttled, after)
    } else {
        let after = policy.backoff_with(attempts.made + 1, facts.jitter);
        (RetryKind::Transient, after)
    };
    if ends_in_time(after) {
        Verdict::Retry { kind, after }
    } else {
        Verdict::Stop(Stop::NoTimeLeft(after))
    }
}
