//! Bounded retries with backoff, as a [`Transport`] that wraps any other.
//!
//! Only requests that are safe to repeat are retried: `GET`s and the
//! management-token `POST`. They are retried on a failure to connect, on a
//! connection closed or reset before any response, on HTTP 429, 502, 503
//! and 504, and (`GET` only) on a timeout. Nothing else is retried: not
//! other 4xx, not an API error inside a 200 envelope, not a body cut short
//! after the response began.
//!
//! Waits grow exponentially from [`RetryPolicy::initial_backoff`] with random
//! jitter, up to [`RetryPolicy::max_backoff`]; a `Retry-After` header (seconds
//! or an HTTP date) is honoured up to [`RetryPolicy::max_retry_after`].
//!
//! Each attempt is logged through the `log` facade at debug level (target
//! `genauth_mfa`) with method, path (never the query, which holds user ids),
//! status, attempt number and elapsed time.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::{Method, Request, Response, StatusCode};

use crate::transport::{Transport, TransportError, TransportErrorKind};

/// How calls are retried. The default makes 3 attempts in all.
///
/// ```
/// use std::time::Duration;
/// use genauth_mfa::RetryPolicy;
///
/// let patient = RetryPolicy::default()
///     .max_attempts(5)
///     .initial_backoff(Duration::from_millis(500))
///     .max_backoff(Duration::from_secs(10));
/// assert_eq!(patient.attempts(), 5);
/// assert_eq!(RetryPolicy::none().attempts(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
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
        RetryPolicy::default().max_attempts(1)
    }

    /// How many attempts in all, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before the second attempt; each later wait doubles it.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest wait between two attempts (without `Retry-After`).
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The longest wait a server's `Retry-After` can ask for.
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// How many attempts in all this policy makes at most.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
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
        half + half.mul_f64(random_unit())
    }
}

/// Marks a request other than a `GET` as safe to repeat.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Repeatable;

/// How many attempts produced a response; put in its extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Attempts(pub(crate) u32);

/// A [`Transport`] that retries another per a [`RetryPolicy`]. Both clients
/// wrap their transport (the default or yours) in one; use it directly to
/// give your own code the same behaviour.
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
        Self::from_arc(Arc::new(inner), policy)
    }

    pub(crate) fn from_arc(inner: Arc<dyn Transport>, policy: RetryPolicy) -> Self {
        RetryTransport { inner, policy }
    }
}

impl Transport for RetryTransport {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        let is_get = request.method() == Method::GET;
        let max = if is_get || request.extensions().get::<Repeatable>().is_some() {
            self.policy.max_attempts
        } else {
            1
        };
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let mut request = Some(request);
        for attempt in 1..=max {
            let this = if attempt == max {
                request.take().expect("the last attempt takes the request")
            } else {
                request
                    .clone()
                    .expect("the request is kept until the last attempt")
            };
            let started = Instant::now();
            let result = self.inner.send(this);
            let elapsed = started.elapsed();
            let wait = match &result {
                Ok(response) => {
                    log::debug!(target: "genauth_mfa", "{method} {path} -> {} (attempt {attempt}/{max}, {elapsed:?})", response.status());
                    retryable_status(response.status()).then(|| {
                        retry_after(response, SystemTime::now())
                            .map(|d| d.min(self.policy.max_retry_after))
                            .unwrap_or_else(|| self.policy.backoff(attempt + 1))
                    })
                }
                Err(err) => {
                    log::debug!(target: "genauth_mfa", "{method} {path} -> {err} (attempt {attempt}/{max}, {elapsed:?})");
                    retryable_error(err.kind(), is_get).then(|| self.policy.backoff(attempt + 1))
                }
            };
            match wait {
                Some(wait) if attempt < max => {
                    log::debug!(target: "genauth_mfa", "{method} {path}: retrying in {wait:?}");
                    std::thread::sleep(wait);
                }
                _ => {
                    return match result {
                        Ok(mut response) => {
                            response.extensions_mut().insert(Attempts(attempt));
                            Ok(response)
                        }
                        Err(err) => Err(err.with_attempts(attempt)),
                    };
                }
            }
        }
        unreachable!("the loop returns on its last attempt")
    }
}

fn retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}

fn retryable_error(kind: TransportErrorKind, is_get: bool) -> bool {
    match kind {
        TransportErrorKind::Connect | TransportErrorKind::ConnectionClosed => true,
        TransportErrorKind::Timeout => is_get,
        _ => false,
    }
}

/// The wait a `Retry-After` header asks for: delay-seconds or an HTTP date.
fn retry_after(response: &Response<Vec<u8>>, now: SystemTime) -> Option<Duration> {
    let value = response
        .headers()
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parses an IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 §5.6.7).
fn parse_http_date(s: &str) -> Option<SystemTime> {
    let (_weekday, rest) = s.split_once(", ")?;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m == month)? as i64 + 1;
    let day: i64 = day.parse().ok()?;
    let year: i64 = year.parse().ok()?;
    let hms: Vec<i64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, sec] = hms.as_slice() else {
        return None;
    };
    if !(1..=31).contains(&day)
        || !(0..24).contains(h)
        || !(0..60).contains(m)
        || !(0..61).contains(sec)
    {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + m * 60 + sec;
    u64::try_from(secs)
        .ok()
        .map(|s| UNIX_EPOCH + Duration::from_secs(s))
}

/// A random number in `[0, 1)`, from the standard library's randomly keyed hasher.
fn random_unit() -> f64 {
    let bits = RandomState::new().hash_one(Instant::now());
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let p = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(350));
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
    fn http_dates_parse() {
        let t = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(t.duration_since(UNIX_EPOCH).unwrap().as_secs(), 784_111_777);
        let t = parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT").unwrap();
        assert_eq!(
            t.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            1_709_164_800
        );
        for bad in [
            "",
            "Sun, 06 Nov 1994 08:49:37",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "tomorrow",
        ] {
            assert!(parse_http_date(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn retry_after_reads_seconds_or_a_date() {
        let resp = |v: &str| {
            Response::builder()
                .header("retry-after", v)
                .body(Vec::new())
                .unwrap()
        };
        let now = UNIX_EPOCH + Duration::from_secs(784_111_770);
        assert_eq!(retry_after(&resp("3"), now), Some(Duration::from_secs(3)));
        assert_eq!(
            retry_after(&resp("Sun, 06 Nov 1994 08:49:37 GMT"), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(&resp("Sun, 06 Nov 1994 08:49:00 GMT"), now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&resp("soon"), now), None);
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
            .initial_backoff(Duration::from_millis(1))
            .max_backoff(Duration::from_millis(2))
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
        let mut token_post = post();
        token_post.extensions_mut().insert(Repeatable);
        let cases: Vec<(Request<Vec<u8>>, K, usize)> = vec![
            (get(), K::Connect, 3),
            (get(), K::ConnectionClosed, 3),
            (get(), K::Timeout, 3),
            (get(), K::Body, 1),
            (get(), K::BodyTooLarge, 1),
            (get(), K::Tls, 1),
            (token_post.clone(), K::Connect, 3),
            (token_post.clone(), K::ConnectionClosed, 3),
            (token_post, K::Timeout, 1),
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
    fn a_non_repeatable_post_is_sent_once_even_on_503() {
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
        let policy = fast().max_retry_after(Duration::from_millis(20));
        let started = Instant::now();
        let response = RetryTransport::new(t, policy).send(get()).unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the one-hour Retry-After was capped"
        );
    }
}
