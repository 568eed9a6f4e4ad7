//! Every retry rule in one place: the [`RetryPolicy`] (how many attempts,
//! how long to wait between them) and what is worth another attempt. The
//! one loop that applies them is `Caller::call` in `call.rs`.
//!
//! Only requests that are safe to repeat are retried: `GET`s and requests
//! marked [`Repeatable`](crate::Repeatable) (the management-token `POST`).
//! They are retried on a failure to connect, on a connection closed or
//! reset before any response, on a timeout, on HTTP 429, 502, 503 and 504,
//! and on the same statuses as the envelope's `statusCode` in an HTTP 200
//! answer (how GenAuth says "throttled"). Nothing else is retried: not
//! other 4xx, not another API error, not a body cut short after the
//! response began.
//!
//! Waits grow exponentially from [`RetryPolicy::initial_backoff`] with random
//! jitter, up to [`RetryPolicy::max_backoff`]; a `Retry-After` header (seconds
//! or an HTTP date), or a rate-limit header that says nothing is left, is
//! honoured up to [`RetryPolicy::max_retry_after`] and holds every thread of
//! the client, not only the call that read it.
//!
//! A throttled answer (429) is the adaptive limiter's business: it slows the
//! whole client down, and the throttled call is tried again at the slower
//! pace, up to [`RetryPolicy::max_throttled_attempts`] attempts in all, as
//! long as its whole-call timeout allows.

use std::time::{Duration, SystemTime};

use http::HeaderMap;

use crate::error::Error;
use crate::transport::TransportErrorKind;

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
    pub(crate) fn backoff(&self, next: u32) -> Duration {
        let doublings = next.saturating_sub(2).min(20);
        let full = self
            .initial_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff);
        let half = full / 2;
        // fastrand: a small, dependency-free, well-kept generator; jitter
        // needs no cryptographic strength.
        half + half.mul_f64(fastrand::f64())
    }
}

/// The pause before a throttled call's next attempt after its `n`th
/// throttle, besides the adaptive limiter's pace (it waits for evidence
/// before it cuts, and comes down to a quota that fell over several cuts):
/// none after the first (one throttle that
/// the retry clears costs nothing), then 5 ms, doubled each time,
/// jittered, at most `max`. Without it a call spent its throttled attempts
/// within milliseconds at a run's start, before the limiter could decide,
/// and failed (the throttle matrix's 4 x 50 cell lost a user in 2 of 3 runs).
pub(crate) fn throttled_pause(n: u32, max: Duration) -> Duration {
    if n <= 1 {
        return Duration::ZERO;
    }
    let full = Duration::from_millis(5)
        .saturating_mul(1 << (n - 2).min(20))
        .min(max);
    let half = full / 2;
    half + half.mul_f64(fastrand::f64())
}

/// Whether an HTTP status (or an envelope `statusCode`) is worth retrying.
pub(crate) fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// Whether a transport failure of a request that is safe to repeat is worth
/// retrying: nothing reached the server, or the connection went away before
/// any answer, or the answer did not come in time.
pub(crate) fn retryable_error(kind: TransportErrorKind) -> bool {
    matches!(
        kind,
        TransportErrorKind::Connect
            | TransportErrorKind::Proxy
            | TransportErrorKind::ConnectionClosed
            | TransportErrorKind::Timeout
            | TransportErrorKind::OutOfResources
    )
}

/// Whether an answer's error is worth another attempt: a throttling or
/// gateway status (429, 502, 503, 504) as the HTTP status or the envelope's
/// `statusCode`.
pub(crate) fn is_retryable_answer(err: &Error) -> bool {
    match err {
        Error::Api {
            http_status,
            status_code,
            ..
        } => {
            retryable_status(*http_status)
                || u16::try_from(*status_code).is_ok_and(retryable_status)
        }
        Error::Decode { http_status, .. } => retryable_status(*http_status),
        _ => false,
    }
}

/// Whether an answer's error says the client sends too much: 429 as the
/// HTTP status or the envelope's `statusCode`. (A 503 is retried but does
/// not slow the client down: GenAuth sends it for maintenance.)
pub(crate) fn is_throttle(err: &Error) -> bool {
    match err {
        Error::Api {
            http_status,
            status_code,
            ..
        } => *http_status == 429 || *status_code == 429,
        Error::Decode { http_status, .. } => *http_status == 429,
        _ => false,
    }
}

/// The wait a `Retry-After` header asks for: delay-seconds or an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    // httpdate: the three date formats RFC 9110 §5.6.7 requires a recipient
    // to accept (IMF-fixdate, RFC 850, asctime), with real calendar checks.
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The wait a server asks of every request: `Retry-After`, or else a
/// rate-limit header pair saying nothing is left until a reset
/// (`RateLimit-Remaining: 0` with `RateLimit-Reset`, or the `X-RateLimit-`
/// forms; the reset in seconds from now, or as a Unix time).
pub(crate) fn server_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(wait) = retry_after(headers, now) {
        return Some(wait);
    }
    let number =
        |name: &str| -> Option<u64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
    for prefix in ["ratelimit-", "x-ratelimit-"] {
        if number(&format!("{prefix}remaining")) != Some(0) {
            continue;
        }
        let reset = number(&format!("{prefix}reset"))?;
        let unix_now = now.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs();
        // A reset larger than a day from now reads as a Unix time.
        let seconds = if reset > 86_400 {
            reset.saturating_sub(unix_now)
        } else {
            reset
        };
        return Some(Duration::from_secs(seconds));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let p = RetryPolicy::default()
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_millis(350));
        for _ in 0..50 {
            let b2 = p.backoff(2);
            assert!(
                b2 >= Duration::from_millis(50) && b2 <= Duration::from_millis(100),
                "{b2:?}"
            );
            let b3 = p.backoff(3);
            assert!(
                b3 >= Duration::from_millis(100) && b3 <= Duration::from_millis(200),
                "{b3:?}"
            );
            let b9 = p.backoff(9);
            assert!(
                b9 >= Duration::from_millis(175) && b9 <= Duration::from_millis(350),
                "{b9:?}"
            );
        }
        assert!(p.backoff(u32::MAX) <= Duration::from_millis(350));
    }

    #[test]
    fn policy_getters_match_setters_and_it_is_copy() {
        let p = RetryPolicy::default()
            .with_max_attempts(0)
            .with_max_retry_after(Duration::from_secs(1));
        let q = p; // Copy
        assert_eq!(p.max_attempts(), 1);
        assert_eq!(q.max_retry_after(), Duration::from_secs(1));
        assert_eq!(q.initial_backoff(), Duration::from_millis(200));
        assert_eq!(q.max_backoff(), Duration::from_secs(5));
    }

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("retry-after", v.parse().unwrap());
        h
    }

    #[test]
    fn retry_after_reads_seconds_or_any_http_date() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_770);
        assert_eq!(
            retry_after(&headers("3"), now),
            Some(Duration::from_secs(3))
        );
        // The three formats RFC 9110 requires a recipient to accept.
        for date in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(
                retry_after(&headers(date), now),
                Some(Duration::from_secs(7)),
                "{date}"
            );
        }
        assert_eq!(
            retry_after(&headers("Sun, 06 Nov 1994 08:49:00 GMT"), now),
            Some(Duration::ZERO)
        );
        // Not a date: "31 Feb" does not roll over into March.
        for bad in ["soon", "Sat, 31 Feb 2024 00:00:00 GMT", ""] {
            assert_eq!(retry_after(&headers(bad), now), None, "{bad}");
        }
    }
}
