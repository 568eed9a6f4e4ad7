//! The pool's MFA settings (`get-global-mfa-settings`).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::FactorType;

/// The pool's MFA settings (`MFASettingsDto`, from
/// [`ManagementClient::get_global_mfa_settings`](crate::ManagementClient::get_global_mfa_settings)):
/// the factors the pool lets its users use. A factor a user has enabled
/// that the pool does not enable is never asked for at login. A factor
/// this crate does not know is kept as [`FactorType::Other`]. An answer
/// without `enabledFactors` (or with `null`) is not read as "none
/// enabled": it fails the call with [`Error::Decode`](crate::Error::Decode).
///
/// ```
/// use genauth_mfa::{FactorType, MfaSettings};
///
/// let settings: MfaSettings =
///     serde_json::from_str(r#"{"enabledFactors":["OTP","SMS","WEBAUTHN"]}"#)?;
/// assert!(settings.enables(&FactorType::Otp));
/// assert!(!settings.enables(&FactorType::Email));
/// assert_eq!(settings.enabled_factors[2], FactorType::Other("WEBAUTHN".into()));
/// assert!(serde_json::from_str::<MfaSettings>("{}").is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct MfaSettings {
    /// The factors the pool enables, in the server's order.
    #[serde(deserialize_with = "factors")]
    pub enabled_factors: Vec<FactorType>,
    /// Every other field, as the server sent it.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MfaSettings {
    /// Whether the pool enables `factor`.
    ///
    /// ```
    /// use genauth_mfa::{FactorType, MfaSettings};
    ///
    /// let settings: MfaSettings = serde_json::from_str(r#"{"enabledFactors":["face"]}"#)?;
    /// assert!(settings.enables(&FactorType::Face));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    #[must_use]
    pub fn enables(&self, factor: &FactorType) -> bool {
        self.enabled_factors.contains(factor)
    }
}

/// `enabledFactors`: a list (each item as text); `null` is refused.
fn factors<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<FactorType>, D::Error> {
    let list = Option::<Vec<Value>>::deserialize(d)?
        .ok_or_else(|| serde::de::Error::custom("enabledFactors is null"))?;
    Ok(list
        .into_iter()
        .filter_map(|v| match v {
            Value::Null => None,
            Value::String(s) => Some(FactorType::from(s.as_str())),
            other => Some(FactorType::Other(other.to_string())),
        })
        .collect())
}
