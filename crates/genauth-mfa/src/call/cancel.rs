//! Stopping calls that are waiting: a [`CancelToken`] shared by a batch's
//! threads wakes every call of a client that waits for a rate-limit slot or
//! between attempts, and refuses new calls.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// A switch that stops the calls of every client given it with
/// `with_cancel`. Cheap to clone; clones share the switch.
///
/// Once [`cancel`](Self::cancel) is called, calls that wait (for a slot of
/// the rate limit, or before another attempt) wake at once and fail with
/// [`Error::Cancelled`](crate::Error::Cancelled), and calls not yet started
/// fail the same way. A request already on the wire is not cut: it ends by
/// its answer or by its timeout.
///
/// ```
/// use genauth_mfa::{CancelToken, Error, ManagementClient, http};
///
/// let cancel = CancelToken::new();
/// let server = |_req: http::Request<Vec<u8>>| -> Result<_, genauth_mfa::TransportError> {
///     unreachable!("a cancelled client sends nothing")
/// };
/// let mgmt = ManagementClient::builder()
///     .access_key_id("KEY_ID")
///     .access_key_secret("KEY_SECRET")
///     .transport(server)
///     .build()?
///     .with_cancel(&cancel);
/// cancel.cancel(); // from a Ctrl-C handler, say
/// assert!(matches!(mgmt.get_user_mfa_info("u-1").send(), Err(Error::Cancelled)));
/// # Ok::<(), genauth_mfa::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct CancelToken {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    cancelled: AtomicBool,
    lock: Mutex<()>,
    woken: Condvar,
}

impl fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelToken")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

impl CancelToken {
    /// A switch not yet turned.
    ///
    /// ```
    /// let cancel = genauth_mfa::CancelToken::new();
    /// assert!(!cancel.is_cancelled());
    /// ```
    #[must_use]
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Stops every call that observes this token, now and from now on.
    ///
    /// ```
    /// let cancel = genauth_mfa::CancelToken::new();
    /// let clone = cancel.clone();
    /// clone.cancel();
    /// assert!(cancel.is_cancelled());
    /// ```
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        let _guard = self.inner.lock.lock().unwrap_or_else(|p| p.into_inner());
        self.inner.woken.notify_all();
    }

    /// Whether [`cancel`](Self::cancel) was called.
    ///
    /// ```
    /// assert!(!genauth_mfa::CancelToken::new().is_cancelled());
    /// ```
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// Sleeps until `until`, or less if the token is cancelled meanwhile.
    /// Returns `false` when it was cancelled.
    pub(crate) fn sleep_until(&self, until: Instant) -> bool {
        let mut guard = self.inner.lock.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if self.is_cancelled() {
                return false;
            }
            let Some(left) = until.checked_duration_since(Instant::now()) else {
                return true;
            };
            if left.is_zero() {
                return true;
            }
            guard = self
                .inner
                .woken
                .wait_timeout(guard, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

/// Sleeps for `wait`, waking early when `cancel` (if any) is cancelled;
/// `false` when it was.
pub(crate) fn sleep(wait: Duration, cancel: Option<&CancelToken>) -> bool {
    if wait.is_zero() {
        return cancel.is_none_or(|c| !c.is_cancelled());
    }
    match (cancel, Instant::now().checked_add(wait)) {
        (Some(cancel), Some(until)) => cancel.sleep_until(until),
        (None, _) | (Some(_), None) => {
            std::thread::sleep(wait.min(Duration::from_secs(3600)));
            cancel.is_none_or(|c| !c.is_cancelled())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sleeper_wakes_when_cancelled() {
        let cancel = CancelToken::new();
        let sleeper = {
            let cancel = cancel.clone();
            std::thread::spawn(move || {
                let started = Instant::now();
                let slept = sleep(Duration::from_secs(30), Some(&cancel));
                (slept, started.elapsed())
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        cancel.cancel();
        let (slept, took) = sleeper.join().unwrap();
        assert!(!slept);
        assert!(took < Duration::from_secs(10), "{took:?}");
        assert!(!sleep(Duration::ZERO, Some(&cancel)));
        assert!(sleep(Duration::from_millis(1), None));
    }
}
