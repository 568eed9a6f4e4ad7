//! Bounded retries with backoff: the policy, the loop both clients run each
//! call in, and [`RetryTransport`], the same loop as a decorator around any
//! [`Transport`].
//!
//! Only requests that are safe to repeat are retried: `GET`s and requests
//! marked [`Repeatable`] (the management-token `POST`). They are retried on
//! a failure to connect, on a connection closed or reset before any
//! response, on a timeout, and on HTTP 429, 502, 503 and 504. Nothing else
//! is retried: not other 4xx, not an API error inside a 200 envelope, not a
//! body cut short after the response began.
//!
//! Waits grow exponentially from [`RetryPolicy::initial_backoff`] with random
//! jitter, up to [`RetryPolicy::max_backoff`]; a `Retry-After` header (seconds
//! or an HTTP date) is honoured up to [`RetryPolicy::max_retry_after`].
//!
//! Each attempt is logged through the `log` facade at debug level (target
//! `genauth_mfa`) with method, path (never the query, which holds user ids),
//! status, attempt number and elapsed time.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use http::{HeaderMap, Method, Request, Response};

use crate::transport::{
    Attempts, Deadline, Repeatable, Transport, TransportError, TransportErrorKind,
};

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
}

impl Default for RetryPolicy {
    /// 3 attempts in all; waits from 200 ms doubling up to 5 s; `Retry-After`
    /// honoured up to 30 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries: every call is attempted once.
    pub fn none() -> Self {
        RetryPolicy::default().with_max_attempts(1)
    }

    /// How many attempts in all, the first included (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before the second attempt; each later wait doubles it.
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest wait between two attempts (without `Retry-After`).
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The longest wait a server's `Retry-After` can ask for.
    pub fn with_max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// How many attempts in all this policy makes at most.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The wait before the second attempt.
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// The longest wait between two attempts (without `Retry-After`).
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// The longest wait a server's `Retry-After` can ask for.
    pub fn max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    /// The wait before attempt `next` (2, 3, ...): exponential, capped, with
    /// jitter drawn from `[half, full]` of the capped value.
    fn backoff(&self, next: u32) -> Duration {
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

/// What one attempt asks of the retry loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Return this outcome.
    Done,
    /// Try again if the policy allows, after the server's wait if it gave one.
    Retry(Option<Duration>),
}

/// Runs `attempt` (given the attempt number, from 1) until it is done, the
/// policy's attempts run out, or the next attempt could not start before
/// `deadline`; waits between attempts. Returns the last outcome and how many
/// attempts were made.
pub(crate) fn run<R>(
    policy: &RetryPolicy,
    deadline: Option<Instant>,
    what: &dyn std::fmt::Display,
    mut attempt: impl FnMut(u32) -> (R, Next),
) -> (R, u32) {
    let mut n = 1;
    loop {
        let (outcome, next) = attempt(n);
        let Next::Retry(server_wait) = next else {
            return (outcome, n);
        };
        if n >= policy.max_attempts {
            return (outcome, n);
        }
        let wait =
            server_wait.map_or_else(|| policy.backoff(n + 1), |w| w.min(policy.max_retry_after));
        let next_start = Instant::now().checked_add(wait);
        if deadline.is_some_and(|d| next_start.is_none_or(|at| at >= d)) {
            log::debug!(
                target: "genauth_mfa",
                "{what}: attempt {n} failed; no time left for another before the deadline"
            );
            return (outcome, n);
        }
        log::debug!(
            target: "genauth_mfa",
            "{what}: attempt {n}/{} failed; retrying in {wait:?}",
            policy.max_attempts
        );
        std::thread::sleep(wait);
        n += 1;
    }
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
    )
}

/// Whether `request` may be sent more than once.
pub(crate) fn is_repeatable<B>(request: &Request<B>) -> bool {
    request.method() == Method::GET || request.extensions().get::<Repeatable>().is_some()
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

/// A [`Transport`] that retries another per a [`RetryPolicy`], by the rules
/// at the top of this module, and never waits past a request's
/// [`Deadline`]. The clients run the same loop themselves
/// (where they can also see a throttling answer inside the envelope); use
/// this to give your own code that calls a transport directly the same
/// behaviour. Mark a `POST` that is safe to repeat with [`Repeatable`]; the
/// response carries the [`Attempts`] it took, an error
/// [`TransportError::attempts`].
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use genauth_mfa::{Attempts, RetryPolicy, RetryTransport, Transport, http};
///
/// let calls = AtomicU32::new(0);
/// let flaky = move |_req: http::Request<Vec<u8>>| {
///     let status = if calls.fetch_add(1, Ordering::SeqCst) == 0 { 503 } else { 200 };
///     Ok(http::Response::builder().status(status).body(Vec::new()).unwrap())
/// };
/// let policy = RetryPolicy::default().with_initial_backoff(std::time::Duration::from_millis(1));
/// let transport = RetryTransport::new(flaky, policy);
/// let response = transport.send(http::Request::get("https://example.com/").body(Vec::new()).unwrap())?;
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.extensions().get::<Attempts>(), Some(&Attempts(2)));
/// # Ok::<(), genauth_mfa::TransportError>(())
/// ```
pub struct RetryTransport {
    inner: Arc<dyn Transport>,
    policy: RetryPolicy,
}

impl std::fmt::Debug for RetryTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetryTransport")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl RetryTransport {
    /// Retries `inner` per `policy`.
    pub fn new(inner: impl Transport, policy: RetryPolicy) -> Self {
        RetryTransport {
            inner: Arc::new(inner),
            policy,
        }
    }
}

impl Transport for RetryTransport {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        let policy = if is_repeatable(&request) {
            self.policy
        } else {
            RetryPolicy::none()
        };
        let what = format!("{} {}", request.method(), request.uri().path());
        let deadline = request.extensions().get::<Deadline>().map(|d| d.0);
        let max = policy.max_attempts;
        let mut request = Some(request);
        let (result, attempts) = run(&policy, deadline, &what, |n| {
            let this = if n >= max {
                request.take()
            } else {
                request.clone()
            };
            let Some(this) = this else {
                // Unreachable: the last attempt is the only one that takes it.
                return (
                    Err(TransportError::new(
                        TransportErrorKind::Other,
                        "no request left to send",
                    )),
                    Next::Done,
                );
            };
            let result = self.inner.send(this);
            let next = match &result {
                Ok(response) if retryable_status(response.status().as_u16()) => {
                    Next::Retry(retry_after(response.headers(), SystemTime::now()))
                }
                Err(err) if retryable_error(err.kind()) => Next::Retry(None),
                _ => Next::Done,
            };
            (result, next)
        });
        match result {
            Ok(mut response) => {
                response.extensions_mut().insert(Attempts(attempts));
                Ok(response)
            }
            Err(err) => Err(err.with_attempts(attempts)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
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

    /// A transport answering from a script, recording what it was sent.
    fn scripted(
        script: Vec<Result<u16, TransportErrorKind>>,
    ) -> (impl Transport, Arc<Mutex<Vec<String>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let script = Mutex::new(script.into_iter());
        let transport = move |req: Request<Vec<u8>>| {
            log.lock()
                .unwrap()
                .push(format!("{} {}", req.method(), req.uri()));
            match script.lock().unwrap().next().expect("script long enough") {
                Ok(status) => Ok(Response::builder().status(status).body(Vec::new()).unwrap()),
                Err(kind) => Err(TransportError::from_kind(kind)),
            }
        };
        (transport, seen)
    }

    fn fast() -> RetryPolicy {
        RetryPolicy::default()
            .with_initial_backoff(Duration::from_millis(1))
            .with_max_backoff(Duration::from_millis(2))
    }

    fn get() -> Request<Vec<u8>> {
        Request::get("http://127.0.0.1/api/v3/x?userId=u")
            .body(Vec::new())
            .unwrap()
    }

    #[test]
    fn retryable_statuses_are_retried_until_success() {
        for status in [429, 502, 503, 504] {
            let (t, seen) = scripted(vec![Ok(status), Ok(status), Ok(200)]);
            let response = RetryTransport::new(t, fast()).send(get()).unwrap();
            assert_eq!(response.status(), 200);
            assert_eq!(response.extensions().get::<Attempts>(), Some(&Attempts(3)));
            assert_eq!(seen.lock().unwrap().len(), 3);
        }
    }

    #[test]
    fn the_last_answer_comes_back_after_the_last_attempt() {
        let (t, seen) = scripted(vec![Ok(503), Ok(503), Ok(503), Ok(200)]);
        let response = RetryTransport::new(t, fast()).send(get()).unwrap();
        assert_eq!(response.status(), 503);
        assert_eq!(response.extensions().get::<Attempts>(), Some(&Attempts(3)));
        assert_eq!(seen.lock().unwrap().len(), 3);
    }

    #[test]
    fn other_statuses_are_not_retried() {
        for status in [200, 400, 401, 403, 404, 500, 501] {
            let (t, seen) = scripted(vec![Ok(status), Ok(200)]);
            let response = RetryTransport::new(t, fast()).send(get()).unwrap();
            assert_eq!(response.status(), status);
            assert_eq!(seen.lock().unwrap().len(), 1, "{status}");
        }
    }

    #[test]
    fn errors_are_retried_by_kind_and_method() {
        use TransportErrorKind as K;
        let post = || {
            Request::post("http://127.0.0.1/p")
                .body(b"{}".to_vec())
                .unwrap()
        };
        let mut marked_post = post();
        marked_post.extensions_mut().insert(Repeatable);
        let cases: Vec<(Request<Vec<u8>>, K, usize)> = vec![
            (get(), K::Connect, 3),
            (get(), K::ConnectionClosed, 3),
            (get(), K::Timeout, 3),
            (get(), K::Body, 1),
            (get(), K::BodyTooLarge, 1),
            (get(), K::Tls, 1),
            (marked_post.clone(), K::Connect, 3),
            (marked_post.clone(), K::ConnectionClosed, 3),
            (marked_post, K::Timeout, 3),
            (post(), K::Connect, 1),
        ];
        for (request, kind, attempts) in cases {
            let label = format!("{} {kind:?}", request.method());
            let (t, seen) = scripted(vec![Err(kind), Err(kind), Err(kind), Err(kind)]);
            let err = RetryTransport::new(t, fast()).send(request).unwrap_err();
            assert_eq!(err.kind(), kind);
            assert_eq!(seen.lock().unwrap().len(), attempts, "{label}");
            assert_eq!(err.attempts(), attempts as u32, "{label}");
        }
    }

    #[test]
    fn a_post_not_marked_repeatable_is_sent_once_even_on_503() {
        let (t, seen) = scripted(vec![Ok(503), Ok(200)]);
        let post = Request::post("http://127.0.0.1/p")
            .body(Vec::new())
            .unwrap();
        assert_eq!(
            RetryTransport::new(t, fast()).send(post).unwrap().status(),
            503
        );
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    #[test]
    fn none_makes_one_attempt() {
        let (t, seen) = scripted(vec![Err(TransportErrorKind::Connect), Ok(200)]);
        let err = RetryTransport::new(t, RetryPolicy::none())
            .send(get())
            .unwrap_err();
        assert_eq!(err.attempts(), 1);
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    #[test]
    fn retry_after_is_capped() {
        let seen = Arc::new(Mutex::new(0));
        let count = Arc::clone(&seen);
        let t = move |_req: Request<Vec<u8>>| {
            let mut n = count.lock().unwrap();
            *n += 1;
            let status = if *n == 1 { 429 } else { 200 };
            Ok(Response::builder()
                .status(status)
                .header("retry-after", "3600")
                .body(Vec::new())
                .unwrap())
        };
        let policy = fast().with_max_retry_after(Duration::from_millis(20));
        let started = Instant::now();
        let response = RetryTransport::new(t, policy).send(get()).unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the one-hour Retry-After was capped"
        );
    }
}
