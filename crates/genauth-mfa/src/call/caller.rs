//! The one call path every request takes: [`Caller::call`] builds the HTTP
//! request of an [`Endpoint`] once, waits for the client's limiter, sends a
//! clone of the request through the transport per attempt, decodes the
//! envelope, and retries as [`retry::classify`] decides until the call
//! succeeds, fails for good, or its whole-call timeout passes.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use http::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;

use crate::call::cancel::{self, CancelToken};
use crate::call::endpoint::Endpoint;
use crate::call::envelope::parse_response;
use crate::call::retry::{self, Attempts, Facts, Failure, RetryKind, RetryPolicy, Stop, Verdict};
use crate::call::throttle::Limiter;
use crate::error::{Error, Result};
use crate::transport::{Deadline, Transport, TransportError, TransportErrorKind};
use crate::url::BaseUrl;

/// What a client sends every call through: its base URL and headers, the
/// transport, the retry policy, the whole-call timeout and the limiter.
/// Cheap to clone; clones share the transport and the limiter.
#[derive(Clone)]
pub(crate) struct Caller {
    pub(crate) base: BaseUrl,
    /// SDK identity, language, tenant (and a user's token): every call's.
    pub(crate) headers: HeaderMap,
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeout: Duration,
    pub(crate) limiter: Arc<Limiter>,
}

impl fmt::Debug for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caller")
            .field("base", &self.base)
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// One call's time: the whole-call deadline, moved later by the time the
/// call spent waiting for the limiter (queueing for a slot is not the
/// call's time: no call fails because others were ahead of it), and the
/// token that can stop it.
#[derive(Debug, Clone)]
pub(crate) struct Budget<'a> {
    deadline: Option<Instant>,
    cancel: Option<&'a CancelToken>,
}

impl<'a> Budget<'a> {
    /// `timeout` from now; none when it is too long to represent.
    pub(crate) fn new(timeout: Duration, cancel: Option<&'a CancelToken>) -> Self {
        Budget {
            deadline: Instant::now().checked_add(timeout),
            cancel,
        }
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    fn extend(&mut self, by: Duration) {
        if let Some(d) = self.deadline {
            self.deadline = d.checked_add(by);
        }
    }

    fn passed(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    fn cancelled(&self) -> bool {
        self.cancel.is_some_and(CancelToken::is_cancelled)
    }

    /// The time left before the deadline (zero once it passed); `None`
    /// without one.
    fn left(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }
}

impl Caller {
    /// A budget of the client's whole-call timeout, starting now.
    pub(crate) fn budget<'a>(&self, cancel: Option<&'a CancelToken>) -> Budget<'a> {
        Budget::new(self.timeout, cancel)
    }

    /// Sends `endpoint` with the client's headers and then `extra` (a
    /// management token), retrying what is safe to retry within `budget`,
    /// and decodes the envelope's `data` as `T`. Each round: acquire (the
    /// limiter), send, classify ([`retry::classify`]), wait.
    pub(crate) fn call<T: DeserializeOwned>(
        &self,
        endpoint: &Endpoint<'_>,
        extra: &[(HeaderName, HeaderValue)],
        budget: &mut Budget<'_>,
    ) -> Result<T> {
        let request = endpoint.request(&self.base, &self.headers, extra)?;
        let what = endpoint.describe();
        let mut attempts = Attempts::default();
        // The wait this call's own last answer asked for (`Retry-After`):
        // part of its time, unlike queueing behind other calls.
        let mut own_pause = Duration::ZERO;
        loop {
            let sent = self.acquire(budget, std::mem::take(&mut own_pause), attempts.made)?;
            attempts.made += 1;
            let failure = match self.send(endpoint, &request, budget, (sent, attempts.made)) {
                Ok(value) => return Ok(value),
                Err(failure) => failure,
            };
            attempts.count(&failure);
            let facts = Facts {
                policy: &self.retry,
                repeatable: endpoint.is_repeatable(),
                adaptive: self.limiter.is_adaptive(),
                left: budget.left(),
                jitter: retry::jitter(),
            };
            let attempt = attempts.made;
            match retry::classify(&failure, attempts, facts) {
                Verdict::Stop(why) => {
                    log_stop(&what, attempt, why);
                    return Err(failure.error.with_attempts(attempt));
                }
                // The limiter holds every thread of the client until then.
                Verdict::Retry {
                    kind: RetryKind::ServerWait,
                    after,
                } => own_pause = after,
                Verdict::Retry { after, .. } => {
                    log::debug!(target: "genauth_mfa", "{what}: attempt {attempt} failed; retrying in {after:?}");
                    if !cancel::sleep(after, budget.cancel) {
                        return Err(Error::Cancelled);
                    }
                }
            }
        }
    }

    /// Waits for the limiter's permission and moves the deadline later by
    /// the time spent queueing (less `own_pause`, the wait this call's last
    /// answer asked for, which is the call's own time): when the request
    /// may go, or why the call ends before attempt `made + 1`.
    fn acquire(&self, budget: &mut Budget<'_>, own_pause: Duration, made: u32) -> Result<Instant> {
        if budget.cancelled() {
            return Err(Error::Cancelled);
        }
        let Some((waited, sent)) = acquire(&self.limiter, budget.cancel) else {
            return Err(Error::Cancelled);
        };
        budget.extend(waited.saturating_sub(own_pause));
        if budget.passed() {
            return Err(timed_out(made.max(1)));
        }
        Ok(sent)
    }

    /// Attempt `attempt`: sends a copy of `request` (the limiter let it go
    /// at `sent`) and decodes the answer; tells the limiter what the server
    /// said (a throttle, a wait it asked of everyone).
    fn send<T: DeserializeOwned>(
        &self,
        endpoint: &Endpoint<'_>,
        request: &http::Request<Vec<u8>>,
        budget: &Budget<'_>,
        (sent, attempt): (Instant, u32),
    ) -> std::result::Result<T, Failure> {
        let what = endpoint.describe();
        let mut this = request.clone();
        if let Some(deadline) = budget.deadline {
            this.extensions_mut().insert(Deadline(deadline));
        }
        let response = match self.transport.send(this) {
            Ok(response) => response,
            Err(e) => {
                log::debug!(target: "genauth_mfa", "{what} (attempt {attempt}) -> {e}");
                return Err(Failure::transport(e));
            }
        };
        log::debug!(
            target: "genauth_mfa",
            "{what} (attempt {attempt}) -> {}",
            response.status()
        );
        let failure = match parse_response(&response, endpoint.answer()) {
            Ok(value) => {
                self.limiter.on_answer(Instant::now(), sent, false);
                return Ok(value);
            }
            Err(e) => Failure::answer(e, response.headers(), SystemTime::now(), &self.retry),
        };
        self.limiter
            .on_answer(Instant::now(), sent, failure.throttled);
        if let Some(wait) = failure.server_wait {
            self.limiter.pause_until(later(wait));
        }
        Err(failure)
    }
}

/// Logs why a call stops retrying, where the reason is not its error alone.
fn log_stop(what: &impl fmt::Display, attempt: u32, why: Stop) {
    match why {
        Stop::ServerWaitPastDeadline(wait) => log::debug!(
            target: "genauth_mfa",
            "{what}: attempt {attempt} failed; the server asks for a wait of {wait:?}, past the deadline"
        ),
        Stop::NoTimeLeft(_) => log::debug!(
            target: "genauth_mfa",
            "{what}: attempt {attempt} failed; no time left for another before the deadline"
        ),
        Stop::Final | Stop::NotRepeatable | Stop::Exhausted => {}
    }
}

/// Waits for the limiter's permission: how long it waited and when the
/// request may go, or `None` when `cancel` was cancelled meanwhile. The
/// limiter decides; the clock is read and the waiting done here.
fn acquire(limiter: &Limiter, cancel: Option<&CancelToken>) -> Option<(Duration, Instant)> {
    let started = Instant::now();
    let mut turn = None;
    loop {
        if cancel.is_some_and(CancelToken::is_cancelled) {
            return None;
        }
        let now = Instant::now();
        match limiter.permit(now, turn) {
            Ok(()) => return Some((now.saturating_duration_since(started), now)),
            Err(wait) => {
                if !cancel::sleep(wait.until.saturating_duration_since(now), cancel) {
                    return None;
                }
                turn = Some(wait.turn);
            }
        }
    }
}

/// `wait` from now, or as far as an `Instant` goes: a server may ask for
/// any `Retry-After` and a policy may allow it (`Instant + Duration` panics
/// past what an `Instant` holds).
fn later(wait: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(wait)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(now)
}

/// The whole-call timeout passed before another attempt could start.
fn timed_out(attempts: u32) -> Error {
    Error::from(
        TransportError::from_kind(TransportErrorKind::Timeout)
            .with_detail("(the whole-call timeout passed before this attempt)")
            .with_attempts(attempts),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancelled_wait_returns_at_once() {
        // One request a second: the second would wait a second.
        let limiter = Limiter::new(false, Some(1));
        assert!(acquire(&limiter, None).is_some());
        let cancel = CancelToken::new();
        cancel.cancel();
        assert_eq!(acquire(&limiter, Some(&cancel)), None);
    }
}
