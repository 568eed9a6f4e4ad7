//! The claims of the management token, a JWT read without verifying it
//! (the server verifies it): the user pool it is scoped to and its `exp`.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::Value;

/// A number of seconds sent as a JSON number or a numeric string (`"7200"`).
pub(super) fn lenient_seconds(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[derive(serde::Deserialize)]
pub(super) struct Claims {
    #[serde(default)]
    pub(super) scoped_userpool_id: Option<String>,
    /// A number, or a numeric string (`"1900000000"`) as some issuers send.
    #[serde(default, deserialize_with = "lenient_exp")]
    pub(super) exp: Option<f64>,
}

/// `exp` read as [`lenient_seconds`] reads `expires_in`; anything else is
/// no `exp` (the token may still live by `expires_in`).
fn lenient_exp<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<f64>, D::Error> {
    let value = <Option<Value> as serde::Deserialize>::deserialize(d)?;
    Ok(value.as_ref().and_then(lenient_seconds))
}

/// The payload claims of a JWT, not verified (the server verifies it).
pub(super) fn jwt_claims(token: &str) -> Option<Claims> {
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&base64url_decode(payload)?).ok()
}

/// Decodes base64url (RFC 4648 §5), padded or not, with the `base64` crate
/// ureq already brings; the standard alphabet (`+`, `/`) is accepted too,
/// as some issuers use it. `None` on anything else.
pub(super) fn base64url_decode(input: &str) -> Option<Vec<u8>> {
    const LENIENT: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
    URL_SAFE
        .decode(input)
        .or_else(|_| STANDARD.decode(input))
        .ok()
}
