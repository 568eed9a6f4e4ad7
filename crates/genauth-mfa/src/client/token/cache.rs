//! The cache of a client's management token: a fresh token read without
//! waiting; one thread fetches when none is, the others wait for it and
//! share its result; a refusal is remembered for [`REFUSAL_MEMORY`].

use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use super::{CANCEL_SLICE, ManagementToken, REFRESH_RETRY, REFUSAL_MEMORY};
use crate::call::cancel::CancelToken;
use crate::error::{Error, Result};
use crate::transport::{TransportError, TransportErrorKind};

/// The cached token of one client, shared by its clones and threads.
#[derive(Default)]
pub(crate) struct TokenCache {
    /// The fast path: read on every call.
    current: RwLock<Option<Arc<ManagementToken>>>,
    fetch: Mutex<FetchState>,
    fetched: Condvar,
}

#[derive(Default)]
struct FetchState {
    /// A thread is fetching now.
    running: bool,
    /// How many fetches have ended.
    ended: u64,
    /// The error of the last fetch, if it failed.
    last_error: Option<Error>,
    /// Until when that error is the answer without asking again.
    refused_until: Option<Instant>,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("cached", &self.fresh().is_some())
            .finish()
    }
}

impl TokenCache {
    /// The cached token if it is still fresh, or a new one from `fetch`.
    /// Of many threads that find no fresh token, one calls `fetch`; the
    /// others wait for it (each until its own `deadline`) and share its
    /// result, an error included. `after_refusal` says the caller's last
    /// token was refused.
    pub(crate) fn get(
        &self,
        deadline: Option<Instant>,
        cancel: Option<&CancelToken>,
        after_refusal: bool,
        fetch: impl FnOnce() -> Result<ManagementToken>,
    ) -> Result<Arc<ManagementToken>> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let mut state = self.lock();
        loop {
            if let Some(token) = self.fresh() {
                return Ok(token);
            }
            if let (Some(until), Some(err)) = (state.refused_until, &state.last_error) {
                if Instant::now() < until {
                    return Err(err.clone());
                }
            }
            if !state.running {
                state.running = true;
                drop(state);
                return self.fetch_or_keep(after_refusal, fetch);
            }
            // Another thread is fetching: a token that is still valid
            // serves meanwhile.
            if let Some(token) = self.usable() {
                return Ok(token);
            }
            // Another thread is fetching: wait for it to end, then share.
            let ended = state.ended;
            state = self.wait_for_fetch(state, deadline, cancel)?;
            if state.ended != ended {
                if let Some(err) = &state.last_error {
                    return match self.usable() {
                        Some(token) => Ok(token),
                        None => Err(err.clone()),
                    };
                }
            }
        }
    }

    /// Runs the fetch. A proactive refresh that failed leaves the token it
    /// was to replace, which still works until it expires: it is asked for
    /// again in a few seconds, not on every call.
    fn fetch_or_keep(
        &self,
        after_refusal: bool,
        fetch: impl FnOnce() -> Result<ManagementToken>,
    ) -> Result<Arc<ManagementToken>> {
        self.run_fetch(after_refusal, fetch)
            .or_else(|err| match self.usable() {
                Some(token) => {
                    log::debug!(
                        target: "genauth_mfa",
                        "refreshing the management token failed ({}); the current one is still valid",
                        err.report()
                    );
                    Ok(self.postpone(&token))
                }
                None => Err(err),
            })
    }

    /// Waits for the fetch another thread runs to end. The wait is sliced so
    /// that a cancelled call stops waiting within a slice (the token's own
    /// condition variable is not this one).
    fn wait_for_fetch<'a>(
        &'a self,
        mut state: MutexGuard<'a, FetchState>,
        deadline: Option<Instant>,
        cancel: Option<&CancelToken>,
    ) -> Result<MutexGuard<'a, FetchState>> {
        let ended = state.ended;
        while state.running && state.ended == ended {
            if cancel.is_some_and(CancelToken::is_cancelled) {
                return Err(Error::Cancelled);
            }
            let left = slice_left(deadline)?;
            state = self
                .fetched
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        Ok(state)
    }

    /// Runs `fetch` as the one fetching thread and publishes its result.
    fn run_fetch(
        &self,
        after_refusal: bool,
        fetch: impl FnOnce() -> Result<ManagementToken>,
    ) -> Result<Arc<ManagementToken>> {
        // Ends the fetch even if `fetch` panics, so no waiter waits forever.
        struct Ending<'a>(&'a TokenCache, Option<Error>);
        impl Drop for Ending<'_> {
            fn drop(&mut self) {
                let mut state = self.0.lock();
                state.running = false;
                state.ended += 1;
                state.refused_until = self
                    .1
                    .as_ref()
                    .filter(|e| is_refusal(e))
                    .map(|_| Instant::now() + REFUSAL_MEMORY);
                // A fetch stopped by its caller's cancel token says nothing
                // to the waiters (other clones may have other tokens): they
                // fetch again themselves.
                state.last_error = self.1.take().filter(|e| !matches!(e, Error::Cancelled));
                self.0.fetched.notify_all();
            }
        }
        let mut ending = Ending(self, None);
        match fetch() {
            Ok(mut token) => {
                token.after_refusal = after_refusal;
                let token = Arc::new(token);
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&token));
                Ok(token)
            }
            Err(err) => {
                ending.1 = Some(err.clone());
                Err(err)
            }
        }
    }

    /// Forgets `used` if it is still the cached token (another thread may
    /// already have replaced it, and its replacement is kept).
    pub(crate) fn invalidate(&self, used: &Arc<ManagementToken>) {
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, used)) {
            *current = None;
        }
    }

    /// The cached token if it has not expired, fresh or not.
    fn usable(&self) -> Option<Arc<ManagementToken>> {
        let current = self.current.read().unwrap_or_else(|p| p.into_inner());
        current
            .as_ref()
            .filter(|t| Instant::now() < t.expires_at)
            .map(Arc::clone)
    }

    /// Replaces `token` by a copy to be refreshed a little later.
    fn postpone(&self, token: &Arc<ManagementToken>) -> Arc<ManagementToken> {
        let later = Arc::new(ManagementToken {
            headers: token.headers.clone(),
            refresh_at: (Instant::now() + REFRESH_RETRY).min(token.expires_at),
            expires_at: token.expires_at,
            fetched_at: token.fetched_at,
            after_refusal: token.after_refusal,
        });
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, token)) {
            *current = Some(Arc::clone(&later));
        }
        later
    }

    fn fresh(&self) -> Option<Arc<ManagementToken>> {
        let current = self.current.read().unwrap_or_else(|p| p.into_inner());
        current
            .as_ref()
            .filter(|t| Instant::now() < t.refresh_at)
            .map(Arc::clone)
    }

    fn lock(&self) -> MutexGuard<'_, FetchState> {
        self.fetch.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A token fetch whose answer will be the same if asked again soon: the
/// server refused the key (a 4xx `statusCode` other than 429), or answered
/// something that is not a usable token (not a server error: a passing 500
/// must not fail every call for [`REFUSAL_MEMORY`]).
pub(super) fn is_refusal(err: &Error) -> bool {
    let client_side = |status: i64| (400..500).contains(&status) && status != 429;
    match err {
        Error::Api { status_code, .. } => client_side(*status_code),
        Error::Decode { http_status, .. } => {
            *http_status < 500
                && *http_status != 429
                && !crate::call::retry::is_retryable_answer(err)
        }
        _ => false,
    }
}

/// How long to wait in one slice: a slice, or less when the deadline is
/// nearer, or the error saying the deadline passed.
fn slice_left(deadline: Option<Instant>) -> Result<Duration> {
    match deadline {
        None => Ok(CANCEL_SLICE),
        Some(d) => match d.checked_duration_since(Instant::now()) {
            Some(left) if !left.is_zero() => Ok(left.min(CANCEL_SLICE)),
            _ => Err(waited_too_long()),
        },
    }
}

pub(super) fn waited_too_long() -> Error {
    Error::from(
        TransportError::from_kind(TransportErrorKind::Timeout).with_detail(
            "(the whole-call timeout passed while another thread fetched the management token)",
        ),
    )
}
