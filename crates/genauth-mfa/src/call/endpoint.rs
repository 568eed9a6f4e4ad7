//! An API call as plain data: method, path, query, headers from arguments,
//! an optional JSON body, whether it is safe to repeat, whether its answer
//! may be quoted. Each endpoint file builds one; `caller.rs` sends it.

use http::{HeaderMap, HeaderName, HeaderValue, Method, Request};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use serde::Serialize;

use crate::call::envelope::Answer;
use crate::error::{Error, Result};
use crate::transport::Repeatable;
use crate::url::BaseUrl;

/// A header value from user input, refused (not panicking) when it holds
/// characters a header cannot carry.
pub(crate) fn header_value(name: &'static str, value: &str) -> Result<HeaderValue> {
    HeaderValue::from_str(value)
        .map_err(|_| Error::invalid_argument(name, "holds characters an HTTP header cannot carry"))
}

/// Everything but RFC 3986's unreserved characters is percent-encoded, so
/// the server decodes exactly the caller's string (`+` becomes `%2B`, a
/// space `%20`).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

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
    /// Built once per call; each attempt sends a clone.
    pub(crate) fn request(
        &self,
        base: &BaseUrl,
        headers: &HeaderMap,
        extra: &[(HeaderName, HeaderValue)],
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
        Ok(request)
    }

    /// Whether the call may be sent more than once.
    pub(crate) fn is_repeatable(&self) -> bool {
        self.repeatable
    }

    /// Whether the answer may be quoted in an error.
    pub(crate) fn answer(&self) -> Answer {
        self.answer
    }

    /// The endpoint's name: the last segment of its path
    /// (`get-user-mfa-info`).
    pub(crate) fn name(&self) -> &'static str {
        self.path.rsplit('/').next().unwrap_or(self.path)
    }

    /// `GET /api/v3/...`, for logs: never the query, which holds user ids.
    pub(crate) fn describe(&self) -> Described<'_> {
        Described(&self.method, self.path)
    }
}

/// An endpoint's method and path, shown without allocating.
pub(crate) struct Described<'a>(&'a Method, &'static str);

impl std::fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.0, self.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query_of(value: &str) -> String {
        let base = BaseUrl::parse("host", "https://h.example", false).unwrap();
        let request = Endpoint::get("/p")
            .query("v", value)
            .request(&base, &HeaderMap::new(), &[])
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
            .request(&base, &HeaderMap::new(), &[])
            .unwrap();
        assert_eq!(request.uri().to_string(), "https://h.example/prefix/p");
        assert_eq!(request.body(), br#"{"a":1}"#);
        assert_eq!(request.headers()["content-type"], "application/json");
        assert!(request.extensions().get::<Repeatable>().is_some());
        let get = Endpoint::get("/g")
            .request(&base, &HeaderMap::new(), &[])
            .unwrap();
        assert!(get.body().is_empty());
        assert!(get.headers().get("content-type").is_none());
    }

    #[test]
    fn header_values_refuse_control_characters() {
        assert!(header_value("tenant_id", "t\r\nx: y").is_err());
        assert!(header_value("tenant_id", "tenant-1").is_ok());
    }

    #[test]
    fn ids_must_not_be_blank() {
        assert!(require_id("factor_id", "").is_err());
        assert!(require_id("factor_id", " \t").is_err());
        assert!(require_id("factor_id", "a|email").is_ok());
    }
}
