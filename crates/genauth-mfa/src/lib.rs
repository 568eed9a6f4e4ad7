//! A blocking, sync-first SDK for the MFA endpoints of the GenAuth (formerly
//! Authing) V3 API: which MFA factors do my users have? No async runtime
//! anywhere: plain blocking calls over one shared [`ureq`](https://docs.rs/ureq)
//! agent, or over any [`Transport`] you plug in. The `genauth-mfa` tool
//! that audits a whole user pool with it is the crate `genauth-mfa-cli`.
//!
//! # The clients
//!
//! - [`AuthenticationClient`] acts as one signed-in user (their access
//!   token): [`get_factor`](AuthenticationClient::get_factor) and
//!   [`list_enrolled_factors`](AuthenticationClient::list_enrolled_factors).
//! - [`ManagementClient`] acts for the user pool (its access key):
//!   [`get_user_mfa_info`](ManagementClient::get_user_mfa_info) and
//!   [`list_users`](ManagementClient::list_users), and the pool's MFA
//!   policy: [`get_global_mfa_settings`](ManagementClient::get_global_mfa_settings)
//!   (the factors the pool enables), [`list_user_list`](ManagementClient::list_user_list)
//!   and [`list_ip_list`](ManagementClient::list_ip_list) (its bypass lists),
//!   [`list_role_members`](ManagementClient::list_role_members),
//!   [`list_organizations`](ManagementClient::list_organizations) and
//!   [`get_all_departments`](ManagementClient::get_all_departments). The management token is
//!   fetched, cached, shared and refreshed for you.
//! - The batch engine (`batch`) runs many users on N threads over one client.
//!
//! Each call is a builder that borrows the client: set what you need, then
//! `send()`. Clients are `Clone + Send + Sync` and cheap to clone (one
//! `Arc`): build one and share it between threads, which then share its
//! connections, its token and its limiter.
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
//! # Configuration
//!
//! Every setting has a builder method: the clients' on one
//! [`ClientBuilder`](builder::ClientBuilder) (shared setters written once,
//! each client's own in its scope), the HTTP transport's (proxy, root
//! certificates, connect timeout, body limit, idle connections) on
//! [`UreqTransport::builder()`], whose transport goes to
//! [`transport`](builder::ClientBuilder::transport). `from_env()` (or
//! `read_env()` on a builder, after which setters still win) reads these
//! variables, set and not empty:
//!
//! | variable | client | meaning |
//! |---|---|---|
//! | `GENAUTH_APP_ID` | authentication | the application id (required) |
//! | `GENAUTH_APP_HOST` | authentication | the application's domain, e.g. `https://my-app.genauth.ai` (required) |
//! | `GENAUTH_ACCESS_TOKEN` | authentication | the signed-in user's access token (required) |
//! | `GENAUTH_ACCESS_KEY_ID` | management | the user pool's access key id (required) |
//! | `GENAUTH_ACCESS_KEY_SECRET` | management | its secret (required; never logged or shown) |
//! | `GENAUTH_HOST` | management | the API host, default `https://api.genauth.ai` (or Authing's) |
//! | `GENAUTH_BRAND` | both | `genauth` (default) or `authing`: header prefix and default host |
//! | `GENAUTH_LANG` | both | `zh-CN` or `en-US`: the language of the server's messages |
//! | `GENAUTH_TENANT_ID` | both | the tenant of a multi-tenant pool |
//! | `GENAUTH_TIMEOUT` | both | the whole-call timeout in seconds (0.001 to 86400; default 30) |
//! | `GENAUTH_CA_FILE` | both | a PEM file of root certificates to trust in addition (a company CA); the transport the client builds, or [`UreqTransportBuilder::read_env`] |
//! | `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY` | both | the proxy for https requests; loopback hosts never use one |
//!
//! A value that cannot be used (a URL without `https://`, a port that is not
//! a port, an unknown brand, a timeout out of range) fails `build()` with an
//! [`Error::Config`] that names the variable: nothing falls back silently
//! to a default.
//!
//! # Errors
//!
//! Every failure is one [`Error`], whose variant says what to do:
//!
//! | variant | what happened | what to do |
//! |---|---|---|
//! | [`Error::Api`] | the server answered with its envelope and a `statusCode` other than 200 | look at [`api_code`](Error::api_code); quote [`request_id`](Error::request_id) to support |
//! | [`Error::Credentials`] | the server refused the access key (the token request) | fix the key: every call would fail the same way |
//! | [`Error::NotPermitted`] | the key's token was accepted, but a call was refused with a fresh one | grant the key's role the permission: every such call would fail the same way |
//! | [`Error::IncompleteListing`] | a listing ended without proof that it listed every user (pages that repeat, a count that moved or is missing) | treat the listing as partial; list again later |
//! | [`Error::Transport`] | no complete answer: DNS, connect, TLS, proxy, a cut connection | usually worth trying again later; [`TransportError::kind`] says which |
//! | [`Error::Timeout`] | the whole-call timeout passed | try again later, or allow more time |
//! | [`Error::Decode`] | something answered that is not the GenAuth API (an HTML gateway page, a redirect) | check the host URL and what is in front of it |
//! | [`Error::InvalidArgument`] | an argument was refused before anything was sent | fix the calling code |
//! | [`Error::Config`] | the client could not be built | fix the setting or variable it names |
//! | [`Error::Cancelled`] | the call's [`CancelToken`] was cancelled | nothing: you asked to stop |
//!
//! [`Error::report`] gives the error and its causes on one line, with the
//! server's text bounded and its control characters escaped.
//!
//! # Retries and throttling
//!
//! Calls that are safe to repeat (all of them but writes; the token request
//! is marked safe) are retried on connect failures, connections closed
//! before an answer, timeouts, and HTTP or envelope 429/502/503/504, up to
//! 3 attempts with jittered exponential backoff ([`RetryPolicy`]). A
//! `Retry-After` (or `RateLimit-Reset` with nothing remaining) holds every
//! thread of the client until it passes; it is part of the time of the call
//! that read it, which fails at once with that answer when its deadline
//! comes first.
//!
//! GenAuth publishes no quota; it answers `{"statusCode":429}` in an HTTP
//! 200 when a client sends too much. Every client therefore has an
//! **adaptive limiter**, shared by all its clones: dormant (free) until the
//! server throttles enough to tell, then a token bucket at the rate the
//! server was seen to accept, growing back along a CUBIC curve while
//! answers succeed (after the AWS SDKs' adaptive retry mode). It slows down
//! only when slowing down helps: a cut that does not lower the share of
//! throttled answers (a server that throttles the first request for each
//! id, or a share whatever the client sends) is undone. A throttled call is tried
//! again at that pace, up to
//! [`max_throttled_attempts`](RetryPolicy::max_throttled_attempts) (10).
//! Time spent queueing for the limiter does not count against a call's
//! timeout, so no call fails because others were ahead of it.
//! `adaptive_throttling(false)` on a builder turns it off;
//! `max_requests_per_second(n)` adds a fixed ceiling.
//!
//! # Features
//!
//! | feature | what it adds | dependencies it brings |
//! |---|---|---|
//! | (none) | the SDK | ureq (rustls, ring), serde, serde_json, thiserror, http, log and a few small crates |
//! | `platform-verifier` | [`RootStore::Platform`]: the operating system's trust store | rustls-platform-verifier |
//!
//! # Testing your code
//!
//! Any closure `Fn(http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError>`
//! is a [`Transport`], which makes a fake one line long:
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
//! let err = auth.get_factor("6229ffaxxxxxxxxcade3e3d9").send().unwrap_err();
//! assert_eq!(err.api_code(), Some(2003));
//! assert_eq!(err.request_id(), Some("r-1"));
//! # Ok::<(), genauth_mfa::Error>(())
//! ```
//!
//! The companion crate `genauth-mfa-fake` (`genauth_mfa_fake::FakeGenAuth`;
//! 0.3's `testing` module) plays the whole
//! API (users, factors, tokens, failures on demand), in process as a
//! transport or served over HTTP on 127.0.0.1 for tests that must go
//! through the real transport, or for programs in other languages.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api;
pub mod batch;
mod call;
mod client;
mod env;
mod error;
mod escape;
pub mod model;
pub mod transport;
mod url;

pub use api::get_all_departments::GetAllDepartments;
pub use api::get_factor::GetFactor;
pub use api::get_global_mfa_settings::GetGlobalMfaSettings;
pub use api::get_user_mfa_info::GetUserMfaInfo;
pub use api::list_enrolled_factors::ListEnrolledFactors;
pub use api::list_ip_list::ListIpList;
pub use api::list_organizations::ListOrganizations;
pub use api::list_role_members::ListRoleMembers;
pub use api::list_user_list::ListUserList;
pub use api::list_users::{ListUsers, MAX_PAGE_SIZE, SortField, SortOrder, Users};
pub use api::pages::{
    Entries, MAX_GROWTH_SLACK, MAX_LIST_PAGE_SIZE, MAX_STALE_PAGES, MAX_UNCOUNTED_USERS,
};
pub use call::cancel::CancelToken;
pub use call::retry::RetryPolicy;
pub use client::authentication::AuthenticationClient;
pub use client::brand::{Brand, Lang};
pub use client::builder;
pub use client::builder::{AuthenticationClientBuilder, ManagementClientBuilder};
pub use client::management::ManagementClient;
pub use client::settings::DEFAULT_CALL_TIMEOUT;
pub use error::{Error, Report, Result, SNIPPET_MAX_BYTES};
pub use escape::{Escaped, needs_escape};
pub use model::{
    Department, Factor, FactorProfile, FactorType, IpListEntry, IpListType, LimitKind, MfaSettings,
    MfaStatus, Organization, User, UserIdType, UserListEntry, UserListType, UserMfaInfo, UserPage,
    UserStatus, civil_from_days, iso8601_utc,
};
pub use transport::{
    Deadline, Repeatable, RootStore, Transport, TransportError, TransportErrorKind, UreqTransport,
    UreqTransportBuilder,
};

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
