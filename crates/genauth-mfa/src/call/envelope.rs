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
    let decode_error = |reason: String| decode_error(answer, http_status, reason, body);
    if response.status().is_redirection() {
        return Err(redirect_error(response));
    }
    let envelope = read_envelope(body, decode_error)?;
    let status_code = status_code(&envelope, response, decode_error)?;
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

/// The decode error for `reason`: the body is shown for a showable answer,
/// and neither the body nor the reason for a secret one.
fn decode_error(answer: Answer, http_status: u16, reason: String, body: &[u8]) -> Error {
    match answer {
        Answer::Showable => Error::decode(http_status, reason, body),
        Answer::Secret => Error::decode(
            http_status,
            "the answer to the token request is not as expected",
            b"",
        ),
    }
}

/// The error for a redirect, naming where it points. Redirects are not
/// followed: a credential must not go to a host the caller did not name, and
/// a POST would lose its body.
fn redirect_error(response: &Response<Vec<u8>>) -> Error {
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
    Error::decode(response.status().as_u16(), reason, b"")
}

/// The body read as an envelope, or the decode error saying why it is not one.
fn read_envelope(body: &[u8], decode_error: impl Fn(String) -> Error) -> Result<Envelope<'_>> {
    match serde_json::from_slice(body) {
        Ok(envelope) => Ok(envelope),
        Err(_) if body.iter().all(u8::is_ascii_whitespace) => Err(decode_error(
            "empty body where a GenAuth JSON envelope was expected".into(),
        )),
        Err(e) => Err(decode_error(format!("not a GenAuth JSON envelope ({e})"))),
    }
}

/// The answer's status: the envelope's `statusCode`, unless the HTTP status
/// is an error and the envelope says 200 or nothing, when the HTTP status wins.
fn status_code(
    envelope: &Envelope<'_>,
    response: &Response<Vec<u8>>,
    decode_error: impl Fn(String) -> Error,
) -> Result<i64> {
    let http_status = i64::from(response.status().as_u16());
    let http_ok = response.status().is_success();
    match envelope.status_code {
        Some(200) if !http_ok => Ok(http_status),
        Some(code) => Ok(code),
        None if !http_ok => Ok(http_status),
        None => Err(decode_error("the JSON has no statusCode".into())),
    }
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
mod tests;
