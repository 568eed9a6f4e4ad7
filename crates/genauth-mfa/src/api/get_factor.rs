//! `GET /api/v3/get-factor`: one enrolled MFA factor of the signed-in user.

use crate::call::endpoint::{Endpoint, require_id};
use crate::client::authentication::AuthenticationClient;
use crate::error::Result;
use crate::model::Factor;

const PATH: &str = "/api/v3/get-factor";

impl AuthenticationClient {
    /// Gets one of the user's enrolled factors by its id
    /// (`GET /api/v3/get-factor`). Nothing is sent until
    /// [`send`](GetFactor::send).
    ///
    /// ```
    /// # use genauth_mfa::{AuthenticationClient, FactorType, http};
    /// # let fake = |req: http::Request<Vec<u8>>| {
    /// #     assert_eq!(req.uri().query(), Some("factorId=6229ffaxxxxxxxxcade3e3d9"));
    /// #     Ok(http::Response::new(br#"{"statusCode":200,"message":"ok","data":
    /// #       {"factorId":"6229ffaxxxxxxxxcade3e3d9","factorType":"SMS",
    /// #        "profile":{"phoneNumber":"188xxxx8888","phoneCountryCode":"+86"}}}"#.to_vec()))
    /// # };
    /// # let auth = AuthenticationClient::builder().app_id("APP_ID")
    /// #     .app_host("https://my-app.genauth.ai").access_token("TOKEN").transport(fake).build()?;
    /// let factor = auth.get_factor("6229ffaxxxxxxxxcade3e3d9").send()?;
    /// assert_eq!(factor.factor_type, FactorType::Sms);
    /// assert_eq!(factor.profile.phone_number.as_deref(), Some("188xxxx8888"));
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn get_factor(&self, factor_id: impl Into<String>) -> GetFactor<'_> {
        GetFactor {
            client: self,
            factor_id: factor_id.into(),
            end_user_ip: None,
        }
    }
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

impl GetFactor<'_> {
    /// The IP address of the end user this call is made for (`x-real-ip`).
    ///
    /// ```
    /// # use genauth_mfa::{AuthenticationClient, http};
    /// # let fake = |_req: http::Request<Vec<u8>>| Ok(http::Response::new(
    /// #     br#"{"statusCode":200,"data":{"factorId":"f-1","factorType":"SMS","profile":{}}}"#.to_vec()));
    /// # let auth = AuthenticationClient::builder().app_id("APP_ID").app_host("https://my-app.genauth.ai")
    /// #     .access_token("USER_ACCESS_TOKEN").transport(fake).build()?;
    /// let factor = auth.get_factor("f-1").end_user_ip("203.0.113.7").send()?;
    /// # let _ = factor;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn end_user_ip(mut self, ip: impl Into<String>) -> Self {
        self.end_user_ip = Some(ip.into());
        self
    }

    /// Sends the request and returns the factor.
    ///
    /// ```
    /// # use genauth_mfa::{AuthenticationClient, http};
    /// # let fake = |_req: http::Request<Vec<u8>>| Ok(http::Response::new(
    /// #     br#"{"statusCode":200,"data":{"factorId":"f-1","factorType":"SMS","profile":{}}}"#.to_vec()));
    /// # let auth = AuthenticationClient::builder().app_id("APP_ID").app_host("https://my-app.genauth.ai")
    /// #     .access_token("USER_ACCESS_TOKEN").transport(fake).build()?;
    /// let factor = auth.get_factor("f-1").send()?;
    /// println!("{} {}", factor.factor_type, factor.factor_id);
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument), before
    /// anything is sent, when the factor id is blank or the end-user IP holds
    /// characters a header cannot carry; otherwise any [`Error`](crate::Error)
    /// of a call: the server's refusal, a transport failure, a timeout, an
    /// answer that is not the API's.
    pub fn send(self) -> Result<Factor> {
        require_id("factor_id", &self.factor_id)?;
        let mut endpoint = Endpoint::get(PATH).query("factorId", &self.factor_id);
        if let Some(ip) = &self.end_user_ip {
            endpoint = endpoint.header("x-real-ip", "end_user_ip", ip);
        }
        self.client.send(&endpoint)
    }
}
