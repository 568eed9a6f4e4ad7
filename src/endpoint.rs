//! The one call path every request takes. An endpoint is plain data
//! (method, path, query, optional JSON body, whether it is safe to repeat);
//! [`Caller::call`] turns it into an HTTP request, sends it through the
//! transport with retries, and turns the response's GenAuth envelope into a
//! typed value or an [`Error`]. The clients only add their headers.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use crate::error::{Error, Result};
use crate::rate_limit::RateLimiter;
use crate::retry::{self, Next, RetryPolicy};
use crate::settings::header_value;
use crate::transport::{Deadline, Repeatable, Transport, TransportError, TransportErrorKind};
use crate::url::BaseUrl;

/// Everything but RFC 3986's unreserved characters is percent-encoded, so
/// the server decodes exactly the caller's string (`+` becomes `%2B`, a
/// space `%20`).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Whether an answer may be quoted in an error: the token answer holds a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    Showable,
    Secret,
}

/// Fails with [`Error::InvalidArgument`] when an id is empty or only white space.
pub(crate) fn require_id(name: &'static str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid_argument(name, "must not be empty"));
    }
    Ok(())
}

/// One API call as data.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint<'a> {
    method: Method,
    path: &'static str,
    query: Vec<(&'static str, &'a str)>,
    /// (header name, the argument it comes from, value)
    headers: Vec<(&'static str, &'static str, &'a str)>,
    body: Option<Vec<u8>>,
    repeatable: bool,
    answer: Answer,
}

impl<'a> Endpoint<'a> {
    /// A `GET` of `path` (safe to repeat).
    pub(crate) fn get(path: &'static str) -> Self {
        Endpoint {
            method: Method::GET,
            path,
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            repeatable: true,
            answer: Answer::Showable,
        }
    }

    /// A `POST` of `body` as JSON to `path` (not repeated unless marked).
    pub(crate) fn post_json(path: &'static str, body: &impl Serialize) -> Result<Self> {
        let body = serde_json::to_vec(body)
            .map_err(|e| Error::invalid_argument("body", format!("cannot encode: {e}")))?;
        Ok(Endpoint {
            method: Method::POST,
            path,
            query: Vec::new(),
            headers: Vec::new(),
            body: Some(body),
            repeatable: false,
            answer: Answer::Showable,
        })
    }

    /// Adds `name=value` to the query (the value is percent-encoded).
    pub(crate) fn query(mut self, name: &'static str, value: &'a str) -> Self {
        self.query.push((name, value));
        self
    }

    /// Adds a header whose value is the caller's `argument` (checked when
    /// the request is built, and refused under the argument's name).
    pub(crate) fn header(
        mut self,
        name: &'static str,
        argument: &'static str,
        value: &'a str,
    ) -> Self {
        self.headers.push((name, argument, value));
        self
    }

    /// Marks the call as safe to send more than once.
    pub(crate) fn repeatable(mut self) -> Self {
        self.repeatable = true;
        self
    }

    /// The answer holds a secret: an error never quotes its body.
    pub(crate) fn secret_answer(mut self) -> Self {
        self.answer = Answer::Secret;
        self
    }

    /// The HTTP request for this endpoint under `base`, carrying `headers`
    /// and then `extra` (a client's per-call headers, such as a token).
    fn request(
        &self,
        base: &BaseUrl,
        headers: &HeaderMap,
        extra: &[(HeaderName, HeaderValue)],
        deadline: Option<Instant>,
    ) -> Result<Request<Vec<u8>>> {
        let mut url = String::with_capacity(base.as_str().len() + self.path.len() + 64);
        url.push_str(base.as_str());
        url.push_str(self.path);
        for (i, (name, value)) in self.query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(name);
            url.push('=');
            url.extend(percent_encoding::utf8_percent_encode(value, QUERY_VALUE));
        }
        let mut request = Request::builder()
            .method(self.method.clone())
            .uri(url)
            .body(self.body.clone().unwrap_or_default())
            .map_err(|e| Error::invalid_argument("url", e.to_string()))?;
        let map = request.headers_mut();
        map.clone_from(headers);
        for (name, value) in extra {
            map.insert(name.clone(), value.clone());
        }
        for (name, argument, value) in &self.headers {
            map.insert(
                HeaderName::from_static(name),
                header_value(argument, value)?,
            );
        }
        if self.body.is_some() {
            map.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        if self.repeatable && self.method != Method::GET {
            request.extensions_mut().insert(Repeatable);
        }
        if let Some(deadline) = deadline {
            request.extensions_mut().insert(Deadline(deadline));
        }
        Ok(request)
    }
}

/// What both clients send every call through: the transport, the retry
/// policy, the whole-call timeout and the rate limit. Cheap to clone; clones
/// share the rate limit.
#[derive(Clone)]
pub(crate) struct Caller {
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeout: Option<Duration>,
    pub(crate) limiter: Option<Arc<RateLimiter>>,
}

impl Caller {
    /// When a call starting now must be over; `None` without a timeout (or
    /// with one too long to represent).
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.timeout.and_then(|t| Instant::now().checked_add(t))
    }

    /// Sends `endpoint` under `base` with `headers` and `extra`, retrying
    /// what is safe to retry until `deadline`, and decodes the envelope's
    /// `data` as `T`.
    pub(crate) fn call<T: DeserializeOwned>(
        &self,
        base: &BaseUrl,
        headers: &HeaderMap,
        extra: &[(HeaderName, HeaderValue)],
        endpoint: &Endpoint<'_>,
        deadline: Option<Instant>,
    ) -> Result<T> {
        let policy = if endpoint.repeatable {
            self.retry
        } else {
            RetryPolicy::none()
        };
        let what = DisplayCall(&endpoint.method, endpoint.path);
        let (result, attempts) = retry::run(&policy, deadline, &what, |_| {
            let sent = self.attempt(base, headers, extra, endpoint, deadline);
            let response = match sent {
                Ok(response) => response,
                Err(e) => {
                    log::debug!(target: "genauth_mfa", "{what} -> {e}");
                    let next = match &e {
                        Error::Transport { source } | Error::Timeout { source }
                            if retry::retryable_error(source.kind()) =>
                        {
                            Next::Retry(None)
                        }
                        _ => Next::Done,
                    };
                    return (Err(e), next);
                }
            };
            log::debug!(target: "genauth_mfa", "{what} -> {}", response.status());
            let result = parse_response(&response, endpoint.answer);
            let next = match &result {
                // A throttling or gateway answer, by its HTTP status or by
                // the envelope's statusCode in an HTTP 200.
                Err(e) if e.is_retryable_answer() => {
                    Next::Retry(retry::retry_after(response.headers(), SystemTime::now()))
                }
                _ => Next::Done,
            };
            (result, next)
        });
        result.map_err(|e| e.with_attempts(attempts))
    }

    /// One attempt: a rate-limit slot, then the request through the transport.
    fn attempt(
        &self,
        base: &BaseUrl,
        headers: &HeaderMap,
        extra: &[(HeaderName, HeaderValue)],
        endpoint: &Endpoint<'_>,
        deadline: Option<Instant>,
    ) -> Result<Response<Vec<u8>>> {
        if let Some(limiter) = &self.limiter {
            limiter.acquire(deadline)?;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(Error::from(
                TransportError::from_kind(TransportErrorKind::Timeout)
                    .with_detail("(the whole-call timeout passed before this attempt)"),
            ));
        }
        let request = endpoint.request(base, headers, extra, deadline)?;
        Ok(self.transport.send(request)?)
    }
}

/// `GET /api/v3/...`, for logs: never the query, which holds user ids.
struct DisplayCall<'a>(&'a Method, &'static str);

impl std::fmt::Display for DisplayCall<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.0, self.1)
    }
}

/// The GenAuth response envelope; `data` is left raw until the status is known.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "statusCode", default, deserialize_with = "lenient_int")]
    status_code: Option<i64>,
    #[serde(default, borrow)]
    message: Option<Cow<'a, str>>,
    #[serde(rename = "apiCode", default, deserialize_with = "lenient_int")]
    api_code: Option<i64>,
    #[serde(rename = "requestId", default, borrow)]
    request_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
}

/// Turns a response into the envelope's `data` as `T`, or the matching error:
/// [`Error::Api`] for a `statusCode` other than 200 (or an HTTP error status
/// with an envelope), [`Error::Decode`] for anything that is not an envelope.
pub(crate) fn parse_response<T: DeserializeOwned>(
    response: &Response<Vec<u8>>,
    answer: Answer,
) -> Result<T> {
    let http_status = response.status().as_u16();
    let body = response.body().as_slice();
    let decode_error = |reason: String| match answer {
        Answer::Showable => Error::decode(http_status, reason, body),
        Answer::Secret => Error::decode(
            http_status,
            "the answer to the token request is not as expected",
            b"",
        ),
    };
    let envelope: Envelope<'_> = match serde_json::from_slice(body) {
        Ok(envelope) => envelope,
        Err(_) if body.iter().all(u8::is_ascii_whitespace) => {
            return Err(decode_error(
                "empty body where a GenAuth JSON envelope was expected".into(),
            ));
        }
        Err(e) => return Err(decode_error(format!("not a GenAuth JSON envelope ({e})"))),
    };
    let http_ok = response.status().is_success();
    let status_code = match envelope.status_code {
        Some(200) if !http_ok => i64::from(http_status),
        Some(code) => code,
        None if !http_ok => i64::from(http_status),
        None => return Err(decode_error("the JSON has no statusCode".into())),
    };
    if status_code != 200 {
        return Err(Error::Api {
            http_status,
            status_code,
            api_code: envelope.api_code,
            message: envelope.message.map(Cow::into_owned).unwrap_or_default(),
            request_id: envelope.request_id.map(Cow::into_owned),
            attempts: 1,
        });
    }
    let data = envelope.data.map_or("null", RawValue::get);
    serde_json::from_str(data).map_err(|e| decode_error(format!("unexpected `data` ({e})")))
}

/// An integer sent as a JSON number or a numeric string; anything else is `None`.
pub(crate) fn lenient_int<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
    // A visitor rather than an untagged enum, which would buffer the value.
    struct Lenient;
    impl<'de> Visitor<'de> for Lenient {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an integer")
        }
        fn visit_i64<E>(self, v: i64) -> Result<Option<i64>, E> {
            Ok(Some(v))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Option<i64>, E> {
            Ok(i64::try_from(v).ok())
        }
        fn visit_f64<E>(self, f: f64) -> Result<Option<i64>, E> {
            Ok((f.fract() == 0.0 && f.abs() < 1e15).then_some(f as i64))
        }
        fn visit_str<E>(self, s: &str) -> Result<Option<i64>, E> {
            Ok(s.trim().parse().ok())
        }
        fn visit_bool<E>(self, _: bool) -> Result<Option<i64>, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Option<i64>, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Option<i64>, E> {
            Ok(None)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<i64>, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<i64>, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    deserializer.deserialize_any(Lenient)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> Response<Vec<u8>> {
        Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    fn query_of(value: &str) -> String {
        let base = BaseUrl::parse("host", "https://h.example", false).unwrap();
        let request = Endpoint::get("/p")
            .query("v", value)
            .request(&base, &HeaderMap::new(), &[], None)
            .unwrap();
        request
            .uri()
            .query()
            .unwrap()
            .trim_start_matches("v=")
            .to_owned()
    }

    #[test]
    fn percent_encoding_keeps_only_unreserved() {
        assert_eq!(
            query_of("635391f4xxxxxx6bba26ed4|email"),
            "635391f4xxxxxx6bba26ed4%7Cemail"
        );
        assert_eq!(query_of("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(query_of("+86 188xxxx8888"), "%2B86%20188xxxx8888");
        assert_eq!(query_of("alice@example.com"), "alice%40example.com");
        assert_eq!(query_of("lark:ou_8b-a.c~"), "lark%3Aou_8b-a.c~");
        assert_eq!(query_of(""), "");
    }

    #[test]
    fn a_post_carries_json_and_a_repeatable_mark() {
        let base = BaseUrl::parse("host", "https://h.example/prefix", false).unwrap();
        let request = Endpoint::post_json("/p", &serde_json::json!({"a": 1}))
            .unwrap()
            .repeatable()
            .request(&base, &HeaderMap::new(), &[], None)
            .unwrap();
        assert_eq!(request.uri().to_string(), "https://h.example/prefix/p");
        assert_eq!(request.body(), br#"{"a":1}"#);
        assert_eq!(request.headers()["content-type"], "application/json");
        assert!(request.extensions().get::<Repeatable>().is_some());
        let get = Endpoint::get("/g")
            .request(&base, &HeaderMap::new(), &[], None)
            .unwrap();
        assert!(get.body().is_empty());
        assert!(get.headers().get("content-type").is_none());
    }

    #[test]
    fn ids_must_not_be_blank() {
        assert!(require_id("factor_id", "").is_err());
        assert!(require_id("factor_id", " \t").is_err());
        assert!(require_id("factor_id", "a|email").is_ok());
    }

    #[test]
    fn status_codes_are_read_leniently_and_odd_shapes_skipped() {
        for body in [
            r#"{"statusCode":200,"apiCode":{"a":[1,{"b":null}]},"data":[7]}"#,
            r#"{"statusCode":200.0,"apiCode":[1,2],"data":[7]}"#,
            r#"{"statusCode":" 200 ","apiCode":true,"data":[7]}"#,
        ] {
            let v: Vec<u32> = parse_response(&response(200, body), Answer::Showable).unwrap();
            assert_eq!(v, [7], "{body}");
        }
        let err = parse_response::<()>(
            &response(
                200,
                r#"{"statusCode":"429","apiCode":18446744073709551615}"#,
            ),
            Answer::Showable,
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Api {
                    status_code: 429,
                    api_code: None,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn success_yields_data() {
        let v: Vec<u32> = parse_response(
            &response(200, r#"{"statusCode":200,"data":[1,2],"extra":{}}"#),
            Answer::Showable,
        )
        .unwrap();
        assert_eq!(v, [1, 2]);
    }

    #[test]
    fn api_errors_come_with_every_field_whatever_the_http_status() {
        for http in [200, 400, 403, 500] {
            let body = r#"{"statusCode":403,"message":"no","apiCode":"2003","requestId":"r1"}"#;
            let err = parse_response::<()>(&response(http, body), Answer::Showable).unwrap_err();
            match err {
                Error::Api {
                    http_status,
                    status_code: 403,
                    api_code: Some(2003),
                    message,
                    request_id,
                    ..
                } => {
                    assert_eq!(http_status, http);
                    assert_eq!(message, "no");
                    assert_eq!(request_id.as_deref(), Some("r1"));
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn http_error_with_a_json_body_but_no_status_code_is_an_api_error() {
        let err = parse_response::<()>(
            &response(401, r#"{"message":"Unauthorized"}"#),
            Answer::Showable,
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Api {
                    status_code: 401,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.is_unauthenticated());
        // An envelope claiming success on an error status is still an error.
        let err = parse_response::<()>(&response(503, r#"{"statusCode":200}"#), Answer::Showable)
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Api {
                    status_code: 503,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn non_envelopes_are_decode_errors_with_a_bounded_snippet() {
        let html = format!(
            "<html><body>502 Bad Gateway{}</body></html>",
            "x".repeat(5000)
        );
        for (status, body) in [
            (502, html.as_str()),
            (200, ""),
            (200, "   "),
            (200, r#"{"statusCode":200,"da"#),
            (200, "[]"),
            (200, "{}"),
        ] {
            let err = parse_response::<()>(&response(status, body), Answer::Showable).unwrap_err();
            match &err {
                Error::Decode {
                    http_status,
                    snippet,
                    ..
                } => {
                    assert_eq!(*http_status, status);
                    assert!(snippet.len() <= crate::error::SNIPPET_MAX_BYTES);
                    assert!(body.trim().starts_with(snippet.as_str()), "{snippet:?}");
                }
                other => panic!("{body:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn secret_bodies_never_reach_the_error() {
        let body = r#"{"statusCode":200,"data":{"access_token":"eyJSECRET","expires_in":"soon"}}"#;
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct T {
            access_token: String,
            expires_in: u64,
        }
        let err = parse_response::<T>(&response(200, body), Answer::Secret).unwrap_err();
        assert!(!format!("{err} {err:?}").contains("SECRET"), "{err:?}");
    }

    #[test]
    fn wrongly_typed_data_is_a_decode_error() {
        let err = parse_response::<Vec<u32>>(
            &response(200, r#"{"statusCode":200,"data":"x"}"#),
            Answer::Showable,
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Decode {
                    http_status: 200,
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
