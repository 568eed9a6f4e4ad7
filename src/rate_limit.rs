//! A client-wide limit on requests per second, shared by every clone and
//! thread of a client.
//!
//! Requests are spaced at least `1/N` s apart: each takes the next free slot
//! and sleeps until it, so no second holds more than N request starts and a
//! batch job stays under its quota instead of living on throttling answers.
//! Written here rather than taken from a crate: it is a dozen lines of std,
//! where the usual crate (`governor`) brings a dozen dependencies.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::transport::{TransportError, TransportErrorKind};

#[derive(Debug)]
pub(crate) struct RateLimiter {
    interval: Duration,
    /// The start of the next free slot.
    next: Mutex<Instant>,
}

impl RateLimiter {
    /// At most `per_second` requests a second (`per_second > 0`).
    pub(crate) fn new(per_second: u32) -> RateLimiter {
        RateLimiter {
            interval: Duration::from_secs(1) / per_second.max(1),
            next: Mutex::new(Instant::now()),
        }
    }

    pub(crate) fn per_second(&self) -> f64 {
        1.0 / self.interval.as_secs_f64()
    }

    /// Waits for this request's slot. A slot that would start after
    /// `deadline` is not taken: the call times out at once instead.
    pub(crate) fn acquire(&self, deadline: Option<Instant>) -> Result<()> {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = (*next).max(now);
            if deadline.is_some_and(|d| slot >= d) {
                return Err(Error::from(
                    TransportError::from_kind(TransportErrorKind::Timeout).with_detail(format!(
                        "(the rate limit of {:.0} requests a second left no slot before the deadline)",
                        self.per_second()
                    )),
                ));
            }
            *next = slot + self.interval;
            slot
        };
        let wait = slot.saturating_duration_since(Instant::now());
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_spaced_and_a_slot_past_the_deadline_is_refused() {
        let limiter = RateLimiter::new(100); // 10 ms apart
        let started = Instant::now();
        for _ in 0..5 {
            limiter.acquire(None).unwrap();
        }
        assert!(started.elapsed() >= Duration::from_millis(40));
        let soon = Instant::now() + Duration::from_millis(1);
        limiter.acquire(None).unwrap();
        let err = limiter.acquire(Some(soon)).unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
        assert!(err.to_string().contains("rate limit"), "{err}");
    }
}
