//! `GET /api/v3/get-user-mfa-info`: which MFA factors a user of the pool has
//! bound (management API).

use crate::call::endpoint::{Endpoint, require_id};
use crate::call::envelope::ObjectOnly;
use crate::client::management::ManagementClient;
use crate::error::{Error, Result};
use crate::model::mfa::{UserIdType, UserMfaInfo, WireInfo};

const PATH: &str = "/api/v3/get-user-mfa-info";

impl ManagementClient {
    /// Gets which MFA factors a user of the pool has bound
    /// (`GET /api/v3/get-user-mfa-info`). Nothing is sent until
    /// [`send`](GetUserMfaInfo::send).
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, UserIdType, http};
    /// # const JWT: &str = "eyJhbGciOiJub25lIn0.eyJzY29wZWRfdXNlcnBvb2xfaWQiOiJwb29sIn0.x";
    /// # let fake = |req: http::Request<Vec<u8>>| {
    /// #     let body = if req.uri().path() == "/api/v3/get-management-token" {
    /// #         format!(r#"{{"statusCode":200,"data":{{"access_token":"{JWT}","expires_in":7200}}}}"#)
    /// #     } else {
    /// #         assert_eq!(req.uri().query(), Some("userId=alice%40example.com&userIdType=email"));
    /// #         r#"{"statusCode":200,"data":{"totpStatus":false,"faceMfaStatus":false,
    /// #            "smsMfaStatus":true,"emailMfaStatus":"disabled"}}"#.to_owned()
    /// #     };
    /// #     Ok(http::Response::new(body.into_bytes()))
    /// # };
    /// # let mgmt = ManagementClient::builder().access_key_id("AK").access_key_secret("SK")
    /// #     .transport(fake).build()?;
    /// let info = mgmt.get_user_mfa_info("alice@example.com")
    ///     .user_id_type(UserIdType::Email)
    ///     .send()?;
    /// assert!(info.sms.is_enabled());
    /// assert!(!info.totp.is_enabled());
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn get_user_mfa_info(&self, user_id: impl Into<String>) -> GetUserMfaInfo<'_> {
        GetUserMfaInfo {
            client: self,
            user_id: user_id.into(),
            user_id_type: None,
        }
    }
}

/// A get-user-mfa-info request; made by [`ManagementClient::get_user_mfa_info`],
/// sent by [`GetUserMfaInfo::send`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until .send() is called"]
pub struct GetUserMfaInfo<'c> {
    client: &'c ManagementClient,
    user_id: String,
    user_id_type: Option<UserIdType>,
}

impl GetUserMfaInfo<'_> {
    /// How the server should read the user id. Unset, no `userIdType` is
    /// sent and the server reads it as [`UserIdType::UserId`].
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, UserIdType, http};
    /// # const JWT: &str = "eyJhbGciOiJub25lIn0.eyJzY29wZWRfdXNlcnBvb2xfaWQiOiJwb29sIn0.x";
    /// # let fake = |req: http::Request<Vec<u8>>| {
    /// #     let body = if req.uri().path() == "/api/v3/get-management-token" {
    /// #         format!(r#"{{"statusCode":200,"data":{{"access_token":"{JWT}","expires_in":7200}}}}"#)
    /// #     } else {
    /// #         r#"{"statusCode":200,"data":{"totpStatus":"enabled","faceMfaStatus":"disabled"}}"#.to_owned()
    /// #     };
    /// #     Ok(http::Response::new(body.into_bytes()))
    /// # };
    /// # let mgmt = ManagementClient::builder().access_key_id("AK").access_key_secret("SK")
    /// #     .transport(fake).build()?;
    /// let info = mgmt.get_user_mfa_info("+86 188xxxx8888").user_id_type(UserIdType::Phone).send()?;
    /// # let _ = info;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn user_id_type(mut self, user_id_type: UserIdType) -> Self {
        self.user_id_type = Some(user_id_type);
        self
    }

    /// Sends the request and returns the user's MFA statuses.
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, UserIdType, http};
    /// # const JWT: &str = "eyJhbGciOiJub25lIn0.eyJzY29wZWRfdXNlcnBvb2xfaWQiOiJwb29sIn0.x";
    /// # let fake = |req: http::Request<Vec<u8>>| {
    /// #     let body = if req.uri().path() == "/api/v3/get-management-token" {
    /// #         format!(r#"{{"statusCode":200,"data":{{"access_token":"{JWT}","expires_in":7200}}}}"#)
    /// #     } else {
    /// #         r#"{"statusCode":200,"data":{"totpStatus":"enabled","faceMfaStatus":"disabled"}}"#.to_owned()
    /// #     };
    /// #     Ok(http::Response::new(body.into_bytes()))
    /// # };
    /// # let mgmt = ManagementClient::builder().access_key_id("AK").access_key_secret("SK")
    /// #     .transport(fake).build()?;
    /// let info = mgmt.get_user_mfa_info("6319a1504f3xxxxf214dd5b7").send()?;
    /// assert!(info.totp.is_enabled());
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`], before anything is sent, when the user id
    /// is blank; otherwise any [`Error`] of a call, the management token's
    /// included (a refused access key is [`Error::Credentials`]).
    pub fn send(self) -> Result<UserMfaInfo> {
        require_id("user_id", &self.user_id)?;
        let mut endpoint = Endpoint::get(PATH).query("userId", &self.user_id);
        if let Some(t) = self.user_id_type {
            endpoint = endpoint.query("userIdType", t.as_str());
        }
        let ObjectOnly(wire) = self.client.send::<ObjectOnly<WireInfo>>(&endpoint)?;
        match wire {
            WireInfo {
                totp: None,
                face: None,
                sms: None,
                email: None,
            } => Err(Error::decode(
                200,
                "the answer holds none of totpStatus, faceMfaStatus, smsMfaStatus and emailMfaStatus",
                b"",
            )),
            WireInfo {
                totp,
                face,
                sms,
                email,
            } => Ok(UserMfaInfo {
                totp: totp.unwrap_or_default(),
                face: face.unwrap_or_default(),
                sms: sms.unwrap_or_default(),
                email: email.unwrap_or_default(),
            }),
        }
    }
}
