//! The token request: the access key sent through the common call path,
//! the answer read field by field into a [`ManagementToken`] and its
//! lifetime.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::{HeaderName, HeaderValue};
use serde::Serialize;
use serde_json::Value;

use super::jwt::{jwt_claims, lenient_seconds};
use super::{AccessKey, ManagementToken, REFRESH_MARGIN, TOKEN_PATH};
use crate::call::caller::{Budget, Caller};
use crate::call::endpoint::Endpoint;
use crate::error::{Error, Result};

/// Asks the server for a new token, through the same call path as every
/// other request (marked safe to repeat; its answer is never quoted).
/// `userpool_header` is the brand's `x-<brand>-userpool-id`.
pub(crate) fn fetch(
    caller: &Caller,
    key: &AccessKey,
    userpool_header: &HeaderName,
    budget: &mut Budget<'_>,
) -> Result<ManagementToken> {
    let endpoint = token_endpoint(key)?;
    let fetched_at = Instant::now();
    // Read field by field, so that a field of an unexpected type is named
    // (and the token itself is never quoted).
    let data: Value = caller
        .call(&endpoint, &[], budget)
        .map_err(|e| e.redact(key.secret.expose()))?;
    let access_token = data
        .get("access_token")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_token("the answer has no access_token string"))?;
    let claims =
        jwt_claims(access_token).ok_or_else(|| bad_token("not a JWT with a JSON payload"))?;
    let userpool_id = claims
        .scoped_userpool_id
        .filter(|id| !id.is_empty())
        .ok_or_else(|| bad_token("the JWT carries no scoped_userpool_id claim"))?;
    let lifetime = token_lifetime(&data, claims.exp)?;
    Ok(ManagementToken {
        headers: token_headers(access_token, &userpool_id, userpool_header)?,
        refresh_at: fetched_at + lifetime.saturating_sub(REFRESH_MARGIN.min(lifetime / 2)),
        expires_at: fetched_at + lifetime,
        fetched_at,
        after_refusal: false,
    })
}

/// The token request: the access key, posted as JSON, safe to repeat, its
/// answer never quoted.
fn token_endpoint(key: &AccessKey) -> Result<Endpoint<'_>> {
    #[derive(Serialize)]
    struct TokenRequest<'a> {
        #[serde(rename = "accessKeyId")]
        access_key_id: &'a str,
        #[serde(rename = "accessKeySecret")]
        access_key_secret: &'a str,
    }
    Ok(Endpoint::post_json(
        TOKEN_PATH,
        &TokenRequest {
            access_key_id: &key.id,
            access_key_secret: key.secret.expose(),
        },
    )?
    .repeatable()
    .secret_answer())
}

/// The decode error for a token answer that is not as expected.
fn bad_token(reason: &str) -> Error {
    Error::decode(200, format!("management token: {reason}"), b"")
}

/// How long the token lives, from the answer's `expires_in` or else the
/// JWT's `exp`, or the error saying why neither serves.
fn token_lifetime(data: &Value, exp: Option<f64>) -> Result<Duration> {
    let raw_expires_in = data.get("expires_in").filter(|v| !v.is_null());
    let expires_in = raw_expires_in.and_then(lenient_seconds);
    lifetime(expires_in, exp, SystemTime::now()).ok_or_else(|| {
        if raw_expires_in.is_some() && expires_in.is_none() {
            bad_token("expires_in is not a number of seconds, and the JWT has no usable exp")
        } else {
            bad_token("neither expires_in nor the JWT's exp says when it expires")
        }
    })
}

/// The headers every call then carries: the bearer token (marked sensitive)
/// and the user pool id.
fn token_headers(
    access_token: &str,
    userpool_id: &str,
    userpool_header: &HeaderName,
) -> Result<[(HeaderName, HeaderValue); 2]> {
    let mut authorization = HeaderValue::from_str(&format!("Bearer {access_token}"))
        .map_err(|_| bad_token("the token holds characters a header cannot carry"))?;
    authorization.set_sensitive(true);
    let userpool_id = HeaderValue::from_str(userpool_id)
        .map_err(|_| bad_token("the user pool id is not a valid header"))?;
    Ok([
        (http::header::AUTHORIZATION, authorization),
        (userpool_header.clone(), userpool_id),
    ])
}

/// How long a token lives: the sooner of `expires_in` and the JWT's `exp`.
/// An `exp` that this machine's clock puts in the past or within
/// [`CLOCK_SKEW`] is taken for clock skew and ignored when `expires_in` is
/// known, so a skewed clock cannot make every call fetch a token; a token
/// with only such an `exp` lives [`CLOCK_SKEW`] (the server refuses it if
/// it really expired, and then it is fetched again).
pub(super) fn lifetime(
    expires_in: Option<f64>,
    exp: Option<f64>,
    now: SystemTime,
) -> Option<Duration> {
    let seconds = |s: f64| (s.is_finite() && s > 0.0).then(|| Duration::from_secs_f64(s.min(1e9)));
    let from_expires_in = expires_in.and_then(seconds);
    let now = now
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    let from_exp = exp
        .filter(|exp| exp.is_finite())
        .map(|exp| seconds(exp - now).filter(|left| *left > CLOCK_SKEW));
    match (from_expires_in, from_exp) {
        (Some(a), Some(Some(b))) => Some(a.min(b)),
        (Some(a), _) => Some(a),
        (None, Some(b)) => Some(b.unwrap_or(CLOCK_SKEW)),
        (None, None) => None,
    }
}

/// How far this machine's clock may be off the server's before a JWT's
/// `exp` is believed over `expires_in`.
pub(super) const CLOCK_SKEW: Duration = Duration::from_secs(30);
