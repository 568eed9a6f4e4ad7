//! The one call path every request takes: [`Caller::call`] builds the HTTP
//! request of an [`Endpoint`] once, waits for the client's limiter, sends a
//! clone of the request through the transport per attempt, decodes the
//! envelope, and retries by the rules of `retry.rs` until the call succeeds,
//! fails for good, or its whole-call timeout passes.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use http::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;

use crate::call::cancel::{self, CancelToken};
use crate::call::endpoint::Endpoint;
use crate::call::envelope::parse_response;
use crate::call::retry::{self, RetryPolicy};
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
}

impl Caller {
    /// A budget of the client's whole-call timeout, starting now.
    pub(crate) fn budget<'a>(&self, cancel: Option<&'a CancelToken>) -> Budget<'a> {
        Budget::new(self.timeout, cancel)
    }

    /// Sends `endpoint` with the client's headers and then `extra` (a
    /// management token), retrying what is safe to retry within `budget`,
    /// and decodes the envelope's `data` as `T`.
    pub(crate) fn call<T: DeserializeOwned>(
        &self,
        endpoint: &Endpoint<'_>,
        extra: &[(HeaderName, HeaderValue)],
        budget: &mut Budget<'_>,
    ) -> Result<T> {
        let request = endpoint.request(&self.base, &self.headers, extra)?;
        let what = endpoint.describe();
        let (max_attempts, max_throttled) = if endpoint.is_repeatable() {
            (
                self.retry.max_attempts(),
                self.retry.max_throttled_attempts(),
            )
        } else {
            (1, 1)
        };
        let mut attempt = 0;
        // Failures other than throttling: they have the smaller allowance.
        let mut failures = 0;
        // The wait this call's own last answer asked for (`Retry-After`):
        // part of its time, unlike queueing behind other calls.
        let mut own_pause = Duration::ZERO;
        loop {
            if budget.cancelled() {
                return Err(Error::Cancelled);
            }
            let Some((waited, sent)) = acquire(&self.limiter, budget.cancel) else {
                return Err(Error::Cancelled);
            };
            budget.extend(waited.saturating_sub(std::mem::take(&mut own_pause)));
            if budget.passed() {
                return Err(timed_out(attempt.max(1)));
            }
            attempt += 1;
            let mut this = request.clone();
            if let Some(deadline) = budget.deadline {
                this.extensions_mut().insert(Deadline(deadline));
            }
            let (err, server_wait) = match self.transport.send(this) {
                Err(e) => {
                    log::debug!(target: "genauth_mfa", "{what} (attempt {attempt}) -> {e}");
                    let retry = retry::retryable_error(e.kind());
                    (Error::from(e), retry.then_some(None))
                }
                Ok(response) => {
                    log::debug!(
                        target: "genauth_mfa",
                        "{what} (attempt {attempt}) -> {}",
                        response.status()
                    );
                    match parse_response(&response, endpoint.answer()) {
                        Ok(value) => {
                            self.limiter.on_answer(Instant::now(), sent, false);
                            return Ok(value);
                        }
                        Err(e) => {
                            let throttled = retry::is_throttle(&e);
                            self.limiter.on_answer(Instant::now(), sent, throttled);
                            let wait = retry::server_wait(response.headers(), SystemTime::now())
                                .map(|w| w.min(self.retry.max_retry_after()));
                            if let Some(wait) = wait {
                                self.limiter.pause_until(later(wait));
                            }
                            let retry = retry::is_retryable_answer(&e);
                            (e, retry.then_some(wait))
                        }
                    }
                }
            };
            let Some(server_wait) = server_wait else {
                return Err(err.with_attempts(attempt));
            };
            let throttled = retry::is_throttle(&err);
            if !throttled {
                failures += 1;
            }
            if failures >= max_attempts || attempt >= max_throttled {
                return Err(err.with_attempts(attempt));
            }
            // The server's wait holds the limiter (every thread of the
            // client); a throttle slowed the limiter down. Any other failure
            // backs off here, within the call's time.
            if let Some(wait) = server_wait {
                // The server's wait is this call's time: no retry starts
                // that could not finish before the deadline.
                if budget
                    .deadline
                    .is_some_and(|d| Instant::now().checked_add(wait).is_none_or(|at| at >= d))
                {
                    log::debug!(
                        target: "genauth_mfa",
                        "{what}: attempt {attempt} failed; the server asks for a wait of {wait:?}, past the deadline"
                    );
                    return Err(err.with_attempts(attempt));
                }
                own_pause = wait;
                continue;
            }
            let wait = if throttled && self.limiter.is_adaptive() {
                // The limiter slows every thread down once it has cut; a
                // short growing pause of the call's own keeps it from
                // spending its throttled attempts before the limiter has
                // decided, or has come down to a quota that just fell (one
                // dropping from 200/s to 4/s lost users while the limiter,
                // already cutting, still let them retry far above it).
                retry::throttled_pause(attempt - failures, self.retry.max_backoff())
            } else {
                self.retry.backoff(attempt + 1)
            };
            let next_start = Instant::now().checked_add(wait);
            if budget
                .deadline
                .is_some_and(|d| next_start.is_none_or(|at| at >= d))
            {
                log::debug!(
                    target: "genauth_mfa",
                    "{what}: attempt {attempt} failed; no time left for another before the deadline"
                );
                return Err(err.with_attempts(attempt));
            }
            log::debug!(target: "genauth_mfa", "{what}: attempt {attempt} failed; retrying in {wait:?}");
            if !cancel::sleep(wait, budget.cancel) {
                return Err(Error::Cancelled);
            }
        }
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
