//! A blocking, sync-first SDK for the MFA endpoints of the GenAuth (formerly
//! Authing) V3 API. No async runtime anywhere: plain blocking calls over one
//! shared [`ureq`](https://docs.rs/ureq) agent, or over any [`Transport`] you
//! plug in.
//!
//! - [`AuthenticationClient`], acting as a signed-in user (their access token):
//!   [`get_factor`](AuthenticationClient::get_factor) and
//!   [`list_enrolled_factors`](AuthenticationClient::list_enrolled_factors).
//! - [`ManagementClient`], acting for the user pool (its access key):
//!   [`get_user_mfa_info`](ManagementClient::get_user_mfa_info).
//!
//! Every failure is one [`Error`], whose variants say what to do about it.
//!
//! ```no_run
//! use genauth_mfa::{AuthenticationClient, ManagementClient, UserIdType};
//!
//! // end-user side: the user's own access token
//! let auth = AuthenticationClient::builder()
//!     .app_id("APP_ID")
//!     .app_host("https://my-app.genauth.ai")
//!     .access_token("USER_ACCESS_TOKEN")
//!     .build()?;
//! let factors = auth.list_enrolled_factors().send()?;
//! println!("{} factors enrolled", factors.len());
//!
//! // server side: the user pool's access key; host defaults to https://api.genauth.ai
//! let mgmt = ManagementClient::builder()
//!     .access_key_id("ACCESS_KEY_ID")
//!     .access_key_secret("ACCESS_KEY_SECRET")
//!     .build()?;
//! let info = mgmt.get_user_mfa_info("alice@example.com")
//!     .user_id_type(UserIdType::Email)
//!     .send()?;
//! if !info.any_enabled() {
//!     println!("alice has no MFA factor");
//! }
//! # Ok::<(), genauth_mfa::Error>(())
//! ```
//!
//! The same calls run offline against any [`Transport`], a closure included:
//!
//! ```
//! use genauth_mfa::{AuthenticationClient, Error, http};
//!
//! let server = |_req: http::Request<Vec<u8>>| {
//!     let body = r#"{"statusCode":403,"apiCode":2003,"message":"token expired","requestId":"r-1"}"#;
//!     Ok(http::Response::new(body.as_bytes().to_vec()))
//! };
//! let auth = AuthenticationClient::builder()
//!     .app_id("APP_ID")
//!     .app_host("https://my-app.genauth.ai")
//!     .access_token("USER_ACCESS_TOKEN")
//!     .transport(server)
//!     .build()?;
//! match auth.get_factor("6229ffaxxxxxxxxcade3e3d9").send() {
//!     Err(Error::Api { api_code: Some(2003), request_id, .. }) => {
//!         assert_eq!(request_id.as_deref(), Some("r-1"));
//!     }
//!     other => panic!("unexpected: {other:?}"),
//! }
//! # Ok::<(), genauth_mfa::Error>(())
//! ```
//! # Layout
//!
//! One file per endpoint (`get_factor`, `list_enrolled_factors`,
//! `get_user_mfa_info`: its entry method, request builder and answer type),
//! the shared factor types in [`model`], the [`Transport`] trait in
//! [`transport`], the default ureq transport in [`ureq_transport`],
//! retries in [`retry`], and the error type in [`error`](Error).
//! With the `test-util` feature, `testing` holds an in-process fake of the
//! API for testing your own code.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod authentication;
mod brand;
mod call;
mod cancel;
mod endpoint;
mod envelope;
mod error;
pub mod get_factor;
pub mod get_user_mfa_info;
pub mod list_enrolled_factors;
mod management;
pub mod model;
pub mod retry;
mod settings;
#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod testing;
mod throttle;
mod token;
pub mod transport;
pub mod ureq_transport;
mod url;

pub use authentication::{AuthenticationClient, AuthenticationClientBuilder};
pub use brand::{Brand, Lang};
pub use cancel::CancelToken;
pub use error::{Error, Report, Result, SNIPPET_MAX_BYTES};
pub use get_factor::GetFactor;
pub use get_user_mfa_info::{GetUserMfaInfo, MfaStatus, UserIdType, UserMfaInfo};
pub use list_enrolled_factors::ListEnrolledFactors;
pub use management::{ManagementClient, ManagementClientBuilder};
pub use model::{Factor, FactorProfile, FactorType};
pub use retry::RetryPolicy;
pub use settings::DEFAULT_CALL_TIMEOUT;
pub use transport::{Deadline, Repeatable, Transport, TransportError, TransportErrorKind};
pub use ureq_transport::{RootStore, UreqTransport, UreqTransportBuilder};

/// The README's code blocks, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The `http` crate whose `Request`/`Response` a [`Transport`] moves.
pub use http;
/// The `serde_json` crate, whose `Map` and `Value` hold the keys of a
/// [`FactorProfile`] this crate does not know.
pub use serde_json;

/// What the `x-genauth-sdk-version` header says: `genauth-mfa:<version>`.
pub const SDK_VERSION: &str = concat!(env!("CARGO_PKG_NAME"), ":", env!("CARGO_PKG_VERSION"));

/// The `user-agent` of every request: `genauth-mfa/<version>`.
pub const USER_AGENT: &str = concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"));

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_shareable<T: Clone + Send + Sync + 'static>() {}

    #[test]
    fn clients_are_clone_send_sync() {
        assert_shareable::<AuthenticationClient>();
        assert_shareable::<ManagementClient>();
        assert_shareable::<UreqTransport>();
        fn assert_error<E: std::error::Error + Send + Sync + 'static>() {}
        assert_error::<Error>();
    }
}
