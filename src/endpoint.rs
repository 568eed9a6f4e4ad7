//! The one generic piece every endpoint goes through: an endpoint is plain
//! data (method, path, query); this module turns it into an HTTP request and
//! turns the response's GenAuth envelope into a typed value or an [`Error`].

use std::borrow::Cow;

use http::{HeaderMap, Method, Request, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::config::BaseUrl;
use crate::error::{Error, Result};
use crate::retry::Attempts;

/// One API call as data.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint<'a> {
    pub(crate) method: Method,
    pub(crate) path: &'static str,
    pub(crate) query: Vec<(&'static str, &'a str)>,
    pub(crate) body: Vec<u8>,
}

impl<'a> Endpoint<'a> {
    pub(crate) fn get(path: &'static str) -> Self {
        Endpoint {
            method: Method::GET,
            path,
            query: Vec::new(),
            body: Vec::new(),
        }
    }

    pub(crate) fn query(mut self, name: &'static str, value: &'a str) -> Self {
        self.query.push((name, value));
        self
    }

    /// The HTTP request for this endpoint under `base`, carrying `headers`.
    pub(crate) fn request(&self, base: &BaseUrl, headers: HeaderMap) -> Result<Request<Vec<u8>>> {
        let mut url = String::with_capacity(base.as_str().len() + self.path.len() + 64);
        url.push_str(base.as_str());
        url.push_str(self.path);
        for (i, (name, value)) in self.query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(name);
            url.push('=');
            percent_encode_into(value, &mut url);
        }
        let mut request = Request::builder()
            .method(self.method.clone())
            .uri(url)
            .body(self.body.clone())
            .map_err(|e| Error::invalid_argument("url", e.to_string()))?;
        *request.headers_mut() = headers;
        Ok(request)
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so the
/// server decodes exactly `value` (a space becomes `%20`, `+` becomes `%2B`).
pub(crate) fn percent_encode_into(value: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in value.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xF)] as char);
        }
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

/// Whether a body may be shown in an error: the token answer holds a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Body {
    Showable,
    Secret,
}

/// Turns a response into the envelope's `data` as `T`, or the matching error:
/// [`Error::Api`] for a `statusCode` other than 200 (or an HTTP error status
/// with an envelope), [`Error::Decode`] for anything that is not an envelope.
pub(crate) fn parse_response<T: DeserializeOwned>(
    response: &Response<Vec<u8>>,
    body_kind: Body,
) -> Result<T> {
    let http_status = response.status().as_u16();
    let body = response.body().as_slice();
    let attempts = response.extensions().get::<Attempts>().map_or(1, |a| a.0);
    let decode_error = |reason: String| match body_kind {
        Body::Showable => Error::decode(http_status, reason, body, attempts),
        Body::Secret => Error::decode(
            http_status,
            "the answer to the token request is not as expected",
            b"",
            attempts,
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
            attempts,
        });
    }
    let data = envelope.data.map_or("null", RawValue::get);
    serde_json::from_str(data).map_err(|e| decode_error(format!("unexpected `data` ({e})")))
}

/// An integer sent as a JSON number or a numeric string; anything else is `None`.
fn lenient_int<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Lenient<'a> {
        Int(i64),
        Float(f64),
        #[serde(borrow)]
        Str(Cow<'a, str>),
        Other(serde::de::IgnoredAny),
    }
    Ok(match Lenient::deserialize(deserializer)? {
        Lenient::Int(i) => Some(i),
        Lenient::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(f as i64),
        Lenient::Str(s) => s.trim().parse().ok(),
        _ => None,
    })
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

    fn encode(s: &str) -> String {
        let mut out = String::new();
        percent_encode_into(s, &mut out);
        out
    }

    #[test]
    fn percent_encoding_keeps_only_unreserved() {
        assert_eq!(
            encode("635391f4xxxxxx6bba26ed4|email"),
            "635391f4xxxxxx6bba26ed4%7Cemail"
        );
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(encode("+86 188xxxx8888"), "%2B86%20188xxxx8888");
        assert_eq!(encode("alice@example.com"), "alice%40example.com");
        assert_eq!(encode("lark:ou_8b-a.c~"), "lark%3Aou_8b-a.c~");
        assert_eq!(encode(""), "");
    }

    #[test]
    fn success_yields_data() {
        let v: Vec<u32> = parse_response(
            &response(200, r#"{"statusCode":200,"data":[1,2],"extra":{}}"#),
            Body::Showable,
        )
        .unwrap();
        assert_eq!(v, [1, 2]);
    }

    #[test]
    fn api_errors_come_with_every_field_whatever_the_http_status() {
        for http in [200, 400, 403, 500] {
            let body = r#"{"statusCode":403,"message":"no","apiCode":"2003","requestId":"r1"}"#;
            let err = parse_response::<()>(&response(http, body), Body::Showable).unwrap_err();
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
            Body::Showable,
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
        let err = parse_response::<()>(&response(503, r#"{"statusCode":200}"#), Body::Showable)
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
            let err = parse_response::<()>(&response(status, body), Body::Showable).unwrap_err();
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
        let err = parse_response::<T>(&response(200, body), Body::Secret).unwrap_err();
        assert!(!format!("{err} {err:?}").contains("SECRET"), "{err:?}");
    }

    #[test]
    fn wrongly_typed_data_is_a_decode_error() {
        let err = parse_response::<Vec<u32>>(
            &response(200, r#"{"statusCode":200,"data":"x"}"#),
            Body::Showable,
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
