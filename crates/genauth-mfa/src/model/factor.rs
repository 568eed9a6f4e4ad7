//! The data both factor endpoints return: [`Factor`], its [`FactorType`]
//! and its [`FactorProfile`].

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::lenient::null_as_default;

/// An MFA factor enrolled by a user (the API's `FactorDto`).
///
/// Build one for a test or an expected value with [`Factor::new`]:
///
/// ```
/// use genauth_mfa::{Factor, FactorProfile, FactorType};
///
/// let factor = Factor::new("f1", FactorType::Sms)
///     .with_profile(FactorProfile::new().with_phone("188xxxx8888", "+86"));
/// assert_eq!(factor.profile.phone_number.as_deref(), Some("188xxxx8888"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

impl Factor {
    /// A factor with this id and type and an empty profile.
    pub fn new(factor_id: impl Into<String>, factor_type: FactorType) -> Factor {
        Factor {
            factor_id: factor_id.into(),
            factor_type,
            profile: FactorProfile::default(),
        }
    }

    /// The same factor with `profile`.
    #[must_use]
    pub fn with_profile(mut self, profile: FactorProfile) -> Factor {
        self.profile = profile;
        self
    }
}

/// The kind of an MFA factor. Unknown kinds are kept in [`FactorType::Other`]
/// rather than failing the call. Reading is case-insensitive (`"sms"` is
/// [`FactorType::Sms`]); writing gives the upper-case wire name.
///
/// ```
/// use genauth_mfa::FactorType;
///
/// assert_eq!("sms".parse::<FactorType>(), Ok(FactorType::Sms));
/// assert_eq!(FactorType::Email.to_string(), "EMAIL");
/// assert_eq!("PASSKEY".parse::<FactorType>().unwrap().as_str(), "PASSKEY");
/// ```
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
    #[must_use]
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

impl FromStr for FactorType {
    type Err = Infallible;
    /// Never fails: an unknown kind is [`FactorType::Other`].
    fn from_str(s: &str) -> Result<FactorType, Infallible> {
        Ok(FactorType::from(s))
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

impl FactorProfile {
    /// An empty profile.
    #[must_use]
    pub fn new() -> FactorProfile {
        FactorProfile::default()
    }

    /// The same profile with an SMS factor's phone number and country code.
    #[must_use]
    pub fn with_phone(
        mut self,
        phone_number: impl Into<String>,
        phone_country_code: impl Into<String>,
    ) -> FactorProfile {
        self.phone_number = Some(phone_number.into());
        self.phone_country_code = Some(phone_country_code.into());
        self
    }

    /// The same profile with an EMAIL factor's address.
    #[must_use]
    pub fn with_email(mut self, email: impl Into<String>) -> FactorProfile {
        self.email = Some(email.into());
        self
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
            assert_eq!(ty.to_string().parse::<FactorType>(), Ok(ty));
        }
    }

    #[test]
    fn missing_or_null_profile_is_empty() {
        let f: Factor =
            serde_json::from_str(r#"{"factorId":"a","factorType":"OTP","profile":null}"#).unwrap();
        assert_eq!(f, Factor::new("a", FactorType::Otp));
        let f: Factor = serde_json::from_str(r#"{"factorId":"a","factorType":"OTP"}"#).unwrap();
        assert_eq!(f.profile, FactorProfile::new());
    }

    #[test]
    fn constructed_factors_serialize_like_the_wire() {
        let f = Factor::new("f2", FactorType::Email)
            .with_profile(FactorProfile::new().with_email("a@example.com"));
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            r#"{"factorId":"f2","factorType":"EMAIL","profile":{"email":"a@example.com"}}"#
        );
        let mut set = std::collections::HashSet::new();
        assert!(set.insert(f.clone()));
        assert!(!set.insert(f));
    }
}
