//! What kind of error it is: one that every later call would meet, a
//! refusal for want of permission or plan, an unauthenticated call, and the
//! kind's short name.

use super::Error;

impl Error {
    /// `true` when every later call of this kind would fail the same way,
    /// whatever the user or the moment: a refused access key
    /// ([`Error::Credentials`]) or a key that may not make the call
    /// ([`Error::NotPermitted`]). A batch stops on it rather than fail
    /// each remaining user.
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, http};
    /// # let server = |req: http::Request<Vec<u8>>| Ok(http::Response::new(
    /// #     br#"{"statusCode":400,"apiCode":1001,"message":"accessKeySecret is invalid"}"#.to_vec()));
    /// # let mgmt = ManagementClient::builder().access_key_id("ak").access_key_secret("sk")
    /// #     .transport(server).build()?;
    /// let err = mgmt.get_user_mfa_info("u-1").send().unwrap_err();
    /// assert!(err.fails_every_call());
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn fails_every_call(&self) -> bool {
        matches!(self, Error::Credentials { .. } | Error::NotPermitted { .. })
    }

    /// `true` when the key may not read what the call asked for: the
    /// server refused it as forbidden (`statusCode` 403, in the envelope
    /// or as the HTTP status), or the pool's plan lacks the feature
    /// (`statusCode` 402, see [`needs_higher_plan`](Self::needs_higher_plan)),
    /// or a fresh token was refused too ([`Error::NotPermitted`]). No retry
    /// helps: report that part as unknown, or grant the key the permission.
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, http};
    /// # const JWT: &str = "eyJhbGciOiJub25lIn0.eyJzY29wZWRfdXNlcnBvb2xfaWQiOiJwb29sIn0.x";
    /// # let server = |req: http::Request<Vec<u8>>| Ok(http::Response::new(
    /// #     if req.uri().path() == "/api/v3/get-management-token" {
    /// #         format!(r#"{{"statusCode":200,"data":{{"access_token":"{JWT}","expires_in":7200}}}}"#)
    /// #     } else {
    /// #         r#"{"statusCode":403,"message":"no permission","requestId":"r-1"}"#.to_owned()
    /// #     }.into_bytes()));
    /// # let mgmt = ManagementClient::builder().access_key_id("ak").access_key_secret("sk")
    /// #     .transport(server).build()?;
    /// let err = mgmt.get_global_mfa_settings().send().unwrap_err();
    /// assert!(err.is_access_denied());
    /// assert!(!err.needs_higher_plan());
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn is_access_denied(&self) -> bool {
        match self {
            Error::NotPermitted { .. } => true,
            Error::Api {
                http_status,
                status_code,
                ..
            } => matches!(status_code, 402 | 403) || matches!(http_status, 402 | 403),
            _ => false,
        }
    }

    /// `true` when the server said the pool's plan lacks what the call
    /// asked for (`statusCode` 402, in the envelope or as the HTTP status):
    /// one of the cases of [`is_access_denied`](Self::is_access_denied).
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, http};
    /// # const JWT: &str = "eyJhbGciOiJub25lIn0.eyJzY29wZWRfdXNlcnBvb2xfaWQiOiJwb29sIn0.x";
    /// # let server = |req: http::Request<Vec<u8>>| Ok(http::Response::new(
    /// #     if req.uri().path() == "/api/v3/get-management-token" {
    /// #         format!(r#"{{"statusCode":200,"data":{{"access_token":"{JWT}","expires_in":7200}}}}"#)
    /// #     } else {
    /// #         r#"{"statusCode":402,"message":"upgrade your plan"}"#.to_owned()
    /// #     }.into_bytes()));
    /// # let mgmt = ManagementClient::builder().access_key_id("ak").access_key_secret("sk")
    /// #     .transport(server).build()?;
    /// let err = mgmt.get_global_mfa_settings().send().unwrap_err();
    /// assert!(err.needs_higher_plan() && err.is_access_denied());
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn needs_higher_plan(&self) -> bool {
        matches!(
            self,
            Error::Api {
                status_code: 402,
                ..
            } | Error::Api {
                http_status: 402,
                ..
            }
        )
    }

    /// `true` when the server said the credentials are not (or no longer) valid:
    /// HTTP 401 or an envelope `statusCode` of 401.
    #[must_use]
    pub fn is_unauthenticated(&self) -> bool {
        match self {
            Error::NotPermitted { source, .. } => source.is_unauthenticated(),
            _ => matches!(
                self,
                Error::Api {
                    http_status: 401,
                    ..
                } | Error::Api {
                    status_code: 401,
                    ..
                }
            ),
        }
    }

    /// A short stable name for the kind of error (`api`, `transport`,
    /// `timeout`, `decode`, `invalid_argument`, `config`, `credentials`,
    /// `not_permitted`, `incomplete_listing`, `cancelled`), handy for logs and
    /// metrics.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Api { .. } => "api",
            Error::Transport { .. } => "transport",
            Error::Timeout { .. } => "timeout",
            Error::Decode { .. } => "decode",
            Error::InvalidArgument { .. } => "invalid_argument",
            Error::Config { .. } => "config",
            Error::Credentials { .. } => "credentials",
            Error::NotPermitted { .. } => "not_permitted",
            Error::IncompleteListing { .. } => "incomplete_listing",
            Error::Cancelled => "cancelled",
        }
    }
}
