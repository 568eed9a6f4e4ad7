//! The GenAuth response envelope: `{"statusCode", "message", "apiCode",
//! "requestId", "data"}` turned into the `data` a call expects, or the
//! [`Error`] it stands for.

use std::borrow::Cow;

use http::Response;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::error::{Error, Result};
use crate::escape::Escaped;
use crate::model::lenient::lenient_int;

/// Whether an answer may be quoted in an error: the token answer holds a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    Showable,
    Secret,
}

/// The GenAuth response envelope; `data` is left raw until the status is known.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "statusCode", default, deserialize_with = "lenient_int")]
    status_code: Option<i64>,
    #[serde(default, borrow, deserialize_with = "lenient_text")]
    message: Option<Cow<'a, str>>,
    #[serde(rename = "apiCode", default, deserialize_with = "lenient_int")]
    api_code: Option<i64>,
    #[serde(
        rename = "requestId",
        default,
        borrow,
        deserialize_with = "lenient_text"
    )]
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
    // A UTF-8 byte order mark, which some gateways put first: RFC 8259
    // §8.1 lets a parser ignore it (serde_json does not).
    let body = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
    let decode_error = |reason: String| match answer {
        Answer::Showable => Error::decode(http_status, reason, body),
        Answer::Secret => Error::decode(
            http_status,
            "the answer to the token request is not as expected",
            b"",
        ),
    };
    if response.status().is_redirection() {
        // Redirects are not followed: a credential must not go to a host
        // the caller did not name, and a POST would lose its body.
        let to = response
            .headers()
            .get(http::header::LOCATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let reason = match to {
            Some(to) => format!(
                "the server redirects to {to:?}, and redirects are not followed: \
                 set the host (GENAUTH_HOST / GENAUTH_APP_HOST) to the URL it points to"
            ),
            None => "the server answered with a redirect, which is not followed: \
                     check the host URL"
                .to_owned(),
        };
        return Err(Error::decode(http_status, reason, b""));
    }
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
    if let Some(id) = &envelope.request_id {
        log::debug!(target: "genauth_mfa", "requestId {}", Escaped::new(id, 80));
    }
    let data = envelope.data.map_or("null", RawValue::get);
    serde_json::from_str(data).map_err(|e| decode_error(format!("unexpected `data` ({e})")))
}

/// `T` read only from a JSON object. serde's derived structs also read an
/// array of their fields in order, so `data: []` would read as a struct of
/// defaults (a user with no MFA factor, an empty page): data of the wrong
/// type is a decode error instead.
pub(crate) struct ObjectOnly<T>(pub(crate) T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{MapAccess, Visitor, value::MapAccessDeserializer};
        struct Object<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Object<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_map(Object(std::marker::PhantomData))
            .map(ObjectOnly)
    }
}

/// A text sent as a JSON string (or a number, kept as written); anything
/// else (an object of translations, an array, `null`) is `None`, so that a
/// `message` or `requestId` of an odd type does not cost the envelope its
/// `statusCode`.
fn lenient_text<'de: 'a, 'a, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Cow<'a, str>>, D::Error> {
    use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
    struct Lenient;
    impl<'de> Visitor<'de> for Lenient {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string")
        }
        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Borrowed(v)))
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_owned())))
        }
        fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v)))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_string())))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_string())))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_string())))
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
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
    fn a_redirect_says_where_it_points_and_that_it_is_not_followed() {
        let mut redirect = response(301, "");
        redirect.headers_mut().insert(
            http::header::LOCATION,
            http::HeaderValue::from_static("https://api.genauth.ai/api/v3/get-factor"),
        );
        let err = parse_response::<()>(&redirect, Answer::Showable).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("https://api.genauth.ai/api/v3/get-factor"),
            "{text}"
        );
        assert!(text.contains("not followed"), "{text}");
        assert!(!text.contains("body starts: \"\""), "{text}");
        let err = parse_response::<()>(&response(302, ""), Answer::Showable).unwrap_err();
        assert!(err.to_string().contains("redirect"), "{err}");
    }

    #[test]
    fn object_only_refuses_arrays() {
        #[derive(Debug, Default, Deserialize)]
        struct S {
            #[serde(default)]
            #[allow(dead_code)]
            a: bool,
        }
        for body in [
            r#"{"statusCode":200,"data":[]}"#,
            r#"{"statusCode":200,"data":[true]}"#,
        ] {
            let err = parse_response::<ObjectOnly<S>>(&response(200, body), Answer::Showable)
                .map(|o| o.0)
                .unwrap_err();
            assert!(err.to_string().contains("a JSON object"), "{err}");
        }
        let ok = parse_response::<ObjectOnly<S>>(
            &response(200, r#"{"statusCode":200,"data":{"a":true}}"#),
            Answer::Showable,
        )
        .unwrap();
        assert!(ok.0.a);
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
