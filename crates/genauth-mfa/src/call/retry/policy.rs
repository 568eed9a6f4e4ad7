//! [`RetryPolicy`]: how many attempts a call makes and how long it waits
//! between them.

use std::time::Duration;

/// How calls are retried. The default makes 3 attempts in all.
///
/// ```
/// use std::time::Duration;
/// use genauth_mfa::RetryPolicy;
///
/// let patient = RetryPolicy::default()
///     .with_max_attempts(5)
///     .with_initial_backoff(Duration::from_millis(500))
///     .with_max_backoff(Duration::from_secs(10));
/// assert_eq!(patient.max_attempts(), 5);
/// assert_eq!(RetryPolicy::none().max_attempts(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
    max_throttled_attempts: u32,
}

impl Default for RetryPolicy {
    /// 3 attempts in all (10 for throttled answers); waits from 200 ms
    /// doubling up to 5 s; `Retry-After` honoured up to 30 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
            max_throttled_attempts: 10,
        }
    }
}

impl RetryPolicy {
    /// No retries: every call is attempted once, throttled or not.
    #[must_use]
    pub fn none() -> Self {
        RetryPolicy::default()
            .with_max_attempts(1)
            .with_max_throttled_attempts(1)
    }

    /// How many attempts in all, the first included (at least 1).
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before the second attempt; each later wait doubles it.
    #[must_use]
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest wait between two attempts (without `Retry-After`).
    #[must_use]
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The longest wait a server's `Retry-After` can ask for.
    #[must_use]
    pub fn with_max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// How many attempts in all a call may make while the server answers
    /// "throttled" (at least [`max_attempts`](Self::max_attempts)): those
    /// attempts go at the pace the adaptive limiter allows, within the
    /// whole-call timeout.
    #[must_use]
    pub fn with_max_throttled_attempts(mut self, attempts: u32) -> Self {
        self.max_throttled_attempts = attempts.max(1);
        self
    }

    /// How many attempts in all a call may make while it is throttled.
    #[must_use]
    pub fn max_throttled_attempts(&self) -> u32 {
        self.max_throttled_attempts.max(self.max_attempts)
    }

    /// How many attempts in all this policy makes at most.
    #[must_use]
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The wait before the second attempt.
    #[must_use]
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// The longest wait between two attempts (without `Retry-After`).
    #[must_use]
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// The longest wait a server's `Retry-After` can ask for.
    #[must_use]
    pub fn max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    /// The wait before attempt `next` (2, 3, ...): exponential, capped, with
    /// jitter drawn from `[half, full]` of the capped value.
    #[cfg(test)]
    pub(crate) fn backoff(&self, next: u32) -> Duration {
        self.backoff_with(next, jitter())
    }

    /// [`backoff`](Self::backoff) with the jitter drawn by the caller
    /// (`jitter` in `[0, 1]`: the share of the upper half added).
    pub(super) fn backoff_with(&self, next: u32, jitter: f64) -> Duration {
        let doublings = next.saturating_sub(2).min(20);
        let full = self
            .initial_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff);
        let half = full / 2;
        half + half.mul_f64(jitter)
    }
}

/// A jitter draw in `[0, 1)`. fastrand: a small, dependency-free, well-kept
/// generator; jitter needs no cryptographic strength.
pub(crate) fn jitter() -> f64 {
    fastrand::f64()
}
