//! `GET /api/v3/get-factor`: one enrolled MFA factor of the signed-in user,
//! and the [`Factor`] type both factor endpoints return.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::authentication::AuthenticationClient;
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};

/// An MFA factor enrolled by a user (the API's `FactorDto`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Factor {
    /// The factor's id, e.g. `6229ffaxxxxxxxxcade3e3d9`.
    #[serde(rename = "factorId")]
    pub factor_id: String,
    /// What kind of factor it is.
    #[serde(rename = "factorType")]
    pub factor_type: FactorType,
    /// The factor's details: phone number, email, ...
    #[serde(default, deserialize_with = "null_as_default")]
    pub profile: FactorProfile,
}

/// The kind of an MFA factor. Unknown kinds are kept in [`FactorType::Other`]
/// rather than failing the call. Matching is case-insensitive (`"sms"` is
/// [`FactorType::Sms`]); serializing writes the upper-case wire name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FactorType {
    /// A one-time code sent by SMS (`SMS`).
    Sms,
    /// A one-time code sent by email (`EMAIL`).
    Email,
    /// A time-based one-time password app (`OTP`).
    Otp,
    /// Face recognition (`FACE`).
    Face,
    /// A kind this version of the crate does not know, as the server sent it.
    Other(String),
}

impl FactorType {
    /// The wire name: `SMS`, `EMAIL`, `OTP`, `FACE`, or the unknown value as sent.
    pub fn as_str(&self) -> &str {
        match self {
            FactorType::Sms => "SMS",
            FactorType::Email => "EMAIL",
            FactorType::Otp => "OTP",
            FactorType::Face => "FACE",
            FactorType::Other(s) => s,
        }
    }
}

impl From<&str> for FactorType {
    fn from(s: &str) -> FactorType {
        match s.to_ascii_uppercase().as_str() {
            "SMS" => FactorType::Sms,
            "EMAIL" => FactorType::Email,
            "OTP" => FactorType::Otp,
            "FACE" => FactorType::Face,
            _ => FactorType::Other(s.to_owned()),
        }
    }
}

impl fmt::Display for FactorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for FactorType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FactorType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<FactorType, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Ok(FactorType::from(s.as_ref()))
    }
}

/// A factor's details. The known keys are typed; every other key the server
/// sends is kept in [`FactorProfile::other`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FactorProfile {
    /// The phone number of an SMS factor, e.g. `188xxxx8888`.
    #[serde(
        rename = "phoneNumber",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub phone_number: Option<String>,
    /// The phone country code of an SMS factor, e.g. `+86`.
    #[serde(
        rename = "phoneCountryCode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub phone_country_code: Option<String>,
    /// The address of an EMAIL factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Every other key of the profile, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `null` (or a missing key, with `#[serde(default)]`) becomes `T::default()`.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Fails with [`Error::InvalidArgument`] when an id is empty or only white space.
pub(crate) fn require_id(name: &'static str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid_argument(name, "must not be empty"));
    }
    Ok(())
}

/// A get-factor request; made by [`AuthenticationClient::get_factor`], sent by
/// [`GetFactor::send`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until .send() is called"]
pub struct GetFactor<'c> {
    client: &'c AuthenticationClient,
    factor_id: String,
    end_user_ip: Option<String>,
}

impl<'c> GetFactor<'c> {
    pub(crate) fn new(client: &'c AuthenticationClient, factor_id: String) -> Self {
        GetFactor {
            client,
            factor_id,
            end_user_ip: None,
        }
    }

    /// The IP address of the end user this call is made for (`x-real-ip`).
    pub fn end_user_ip(mut self, ip: impl Into<String>) -> Self {
        self.end_user_ip = Some(ip.into());
        self
    }

    /// Sends the request and returns the factor.
    ///
    /// Fails with [`Error::InvalidArgument`] before sending anything when the
    /// factor id is empty.
    pub fn send(self) -> Result<Factor> {
        require_id("factor_id", &self.factor_id)?;
        let endpoint = Endpoint::get("/api/v3/get-factor").query("factorId", &self.factor_id);
        self.client.execute(&endpoint, self.end_user_ip.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_factor_decodes() {
        let json = r#"{"factorId":"6229ffaxxxxxxxxcade3e3d9","factorType":"SMS",
            "profile":{"phoneNumber":"188xxxx8888","phoneCountryCode":"+86","carrier":"x"},"new":1}"#;
        let f: Factor = serde_json::from_str(json).unwrap();
        assert_eq!(f.factor_id, "6229ffaxxxxxxxxcade3e3d9");
        assert_eq!(f.factor_type, FactorType::Sms);
        assert_eq!(f.profile.phone_number.as_deref(), Some("188xxxx8888"));
        assert_eq!(f.profile.phone_country_code.as_deref(), Some("+86"));
        assert_eq!(f.profile.other.get("carrier"), Some(&Value::from("x")));
    }

    #[test]
    fn factor_types_keep_unknown_values_and_round_trip() {
        for (wire, ty) in [
            ("\"SMS\"", FactorType::Sms),
            ("\"email\"", FactorType::Email),
            ("\"OTP\"", FactorType::Otp),
            ("\"FACE\"", FactorType::Face),
            ("\"WEBAUTHN\"", FactorType::Other("WEBAUTHN".into())),
        ] {
            let parsed: FactorType = serde_json::from_str(wire).unwrap();
            assert_eq!(parsed, ty);
            let back: FactorType =
                serde_json::from_str(&serde_json::to_string(&ty).unwrap()).unwrap();
            assert_eq!(back, ty);
        }
    }

    #[test]
    fn missing_or_null_profile_is_empty() {
        let f: Factor =
            serde_json::from_str(r#"{"factorId":"a","factorType":"OTP","profile":null}"#).unwrap();
        assert_eq!(f.profile, FactorProfile::default());
        let f: Factor = serde_json::from_str(r#"{"factorId":"a","factorType":"OTP"}"#).unwrap();
        assert_eq!(f.profile, FactorProfile::default());
    }

    #[test]
    fn ids_must_not_be_blank() {
        assert!(require_id("factor_id", "").is_err());
        assert!(require_id("factor_id", " \t").is_err());
        assert!(require_id("factor_id", "a|email").is_ok());
    }
}
