//! Every retry rule in one place: the [`RetryPolicy`] (how many attempts,
//! how long to wait between them), what is worth another attempt, and the
//! decision itself as a value: [`classify`] turns what one failed attempt
//! said ([`Failure`]), how many attempts were made and the policy into a
//! [`Verdict`], reading no clock and sleeping never. The one loop that acts
//! on it is `Caller::call` in `caller.rs`.
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

mod policy;
mod verdict;

pub use policy::RetryPolicy;
pub(crate) use policy::jitter;
pub(crate) use verdict::{Attempts, Facts, Failure, RetryKind, Stop, Verdict, classify};

/// The pause before a throttled call's next attempt after its `n`th
/// throttle, besides the adaptive limiter's pace (it waits for evidence
/// before it cuts, and comes down to a quota that fell over several cuts):
/// none after the first (one throttle that
/// the retry clears costs nothing), then 20 ms, doubled each time,
/// jittered, at most `max`: about 4 s over the default 10 attempts.
/// Without it a call spent its throttled attempts within milliseconds at a
/// run's start, before the limiter could decide, and failed (the throttle
/// matrix's 4 x 50 cell lost a user in 2 of 3 runs); from 5 ms (1 s in
/// all) a quota falling from 200 to 4 a second still lost a user in one
/// run of 6 to 10, before the limiter had come down to it.
/// (`jitter` in `[0, 1]`, as for [`RetryPolicy::backoff`].)
pub(super) fn throttled_pause(n: u32, max: Duration, jitter: f64) -> Duration {
    if n <= 1 {
        return Duration::ZERO;
    }
    let full = Duration::from_millis(20)
        .saturating_mul(1 << (n - 2).min(20))
        .min(max);
    let half = full / 2;
    half + half.mul_f64(jitter)
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
mod tests;
