//! `GET /api/v3/get-global-mfa-settings`: the factors the pool enables
//! (management API).

use crate::call::endpoint::Endpoint;
use crate::client::management::ManagementClient;
use crate::error::Result;
use crate::model::MfaSettings;

const PATH: &str = "/api/v3/get-global-mfa-settings";

impl ManagementClient {
    /// Reads the pool's MFA settings (`GET /api/v3/get-global-mfa-settings`):
    /// the factors the pool lets its users use. Nothing is sent until
    /// [`send`](GetGlobalMfaSettings::send).
    ///
    /// ```
    /// use genauth_mfa::{FactorType, ManagementClient};
    /// use genauth_mfa_fake::FakeGenAuth;
    ///
    /// let fake = FakeGenAuth::new().with_enabled_factors(["OTP", "SMS"]);
    /// let mgmt = ManagementClient::builder()
    ///     .access_key_id("ak")
    ///     .access_key_secret("sk")
    ///     .transport(fake)
    ///     .build()?;
    /// let settings = mgmt.get_global_mfa_settings().send()?;
    /// assert_eq!(settings.enabled_factors, [FactorType::Otp, FactorType::Sms]);
    /// assert!(!settings.enables(&FactorType::Email));
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn get_global_mfa_settings(&self) -> GetGlobalMfaSettings<'_> {
        GetGlobalMfaSettings { client: self }
    }
}

/// A get-global-mfa-settings request; made by
/// [`ManagementClient::get_global_mfa_settings`], sent by
/// [`GetGlobalMfaSettings::send`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until .send() is called"]
pub struct GetGlobalMfaSettings<'c> {
    client: &'c ManagementClient,
}

impl GetGlobalMfaSettings<'_> {
    /// Sends the request (a read, retried as any call is) and returns the
    /// pool's settings.
    ///
    /// ```
    /// # use genauth_mfa::ManagementClient;
    /// # use genauth_mfa_fake::FakeGenAuth;
    /// # let mgmt = ManagementClient::builder().access_key_id("ak").access_key_secret("sk")
    /// #     .transport(FakeGenAuth::new()).build()?;
    /// let settings = mgmt.get_global_mfa_settings().send()?;
    /// for factor in &settings.enabled_factors {
    ///     println!("the pool enables {factor}");
    /// }
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Any [`Error`](crate::Error) of a call; a key that may not read the
    /// settings, or a plan without the feature, is an
    /// [`Error::Api`](crate::Error::Api) for which
    /// [`is_access_denied`](crate::Error::is_access_denied) is `true`. An
    /// answer without `enabledFactors` is an
    /// [`Error::Decode`](crate::Error::Decode), never "no factor enabled".
    pub fn send(self) -> Result<MfaSettings> {
        self.client.send(&Endpoint::get(PATH))
    }
}
