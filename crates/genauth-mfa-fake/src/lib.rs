//! A fake of the GenAuth API for testing code that uses the `genauth-mfa`
//! crate (0.3's `genauth_mfa::testing`), in process or served over loopback
//! HTTP.
//!
//! [`FakeGenAuth`] is an in-process [`Transport`](genauth_mfa::Transport): give
//! it to a client builder's `.transport(..)` and the client talks to it
//! instead of the network. [`FakeGenAuth::serve`] serves the same fake over
//! HTTP/1.1 on 127.0.0.1 (a [`FakeServer`]), for the client's real
//! transport or for programs in any language. It plays the management-token
//! endpoint, the three MFA endpoints, `list-users` and the reads of the
//! pool's MFA policy (see below) the way the service
//! does (the same envelope, HTTP 200 with the outcome in `statusCode`, the
//! same headers checked), so code tested against it behaves the same against
//! the real service. It can be told to fail as the service does, and it
//! records every request it gets.
//!
//! ```
//! use genauth_mfa::{ManagementClient, MfaStatus, UserIdType, UserMfaInfo};
//! use genauth_mfa_fake::FakeGenAuth;
//!
//! let fake = FakeGenAuth::new().with_user(
//!     "alice@example.com",
//!     UserIdType::Email,
//!     UserMfaInfo::new().sms(MfaStatus::Enabled),
//! );
//! let mgmt = ManagementClient::builder()
//!     .access_key_id("ak")
//!     .access_key_secret("sk")
//!     .transport(fake.clone())
//!     .build()?;
//! let info = mgmt
//!     .get_user_mfa_info("alice@example.com")
//!     .user_id_type(UserIdType::Email)
//!     .send()?;
//! assert!(info.sms.is_enabled());
//! assert_eq!(fake.requests().len(), 2); // the token request and the call
//! # Ok::<(), genauth_mfa::Error>(())
//! ```
//!
//! # The user pool
//!
//! `POST /api/v3/list-users` lists the fake's pool: users added with
//! [`FakeGenAuth::with_pool_user`] ([`PoolUser`]) and generated ones
//! ([`FakeGenAuth::with_generated_pool`]; the [`demo`](FakeGenAuth::demo)
//! fake has [`DEMO_POOL_SIZE`](FakeGenAuth::DEMO_POOL_SIZE)). Every pool
//! user is also known to `get-user-mfa-info` by its `userId`, so an audit
//! of the whole pool works. The fake follows the service's rules: the
//! management token is required; `options.pagination.page` counts from 1,
//! `limit` defaults to 10 and over 50 is refused (`statusCode` 400); a page
//! past the end is an empty `list` with the `totalCount`; `data` is
//! `{"totalCount": N, "list": [UserDto, ...]}`. Of the filters and sorts it
//! honours `advancedFilter` on `status` with `EQUAL` and `sort` on
//! `createdAt` (`asc`, the default, or `desc`); it refuses (400, saying so)
//! every other filter, sort, `keywords` and `searchQuery` rather than
//! ignore them and answer users a test did not ask for. To test code that
//! must notice a pool changing while it is listed,
//! [`FakeGenAuth::add_pool_user`], [`FakeGenAuth::remove_pool_user`] and
//! [`FakeGenAuth::change_pool_after_page`] change it between pages. To
//! test code that must not trust the pages,
//! [`FakeGenAuth::with_paging`] makes them lie ([`Paging`]): short pages,
//! the page number ignored, no `totalCount`, repeated or missing users, a
//! count that does not match.
//!
//! # The pool's MFA policy, bypass lists, roles and departments
//!
//! The fake also plays the management reads an audit of the pool's policy
//! needs, with the same token check, failures and paging rules as
//! `list-users` (`page` from 1, `limit` 1 to 50, default 10, more refused
//! with 400, a page past the end an empty `list`; `data` is
//! `{"totalCount": N, "list": [...]}`):
//! - `GET /api/v3/get-global-mfa-settings`: `{"enabledFactors": [...]}`,
//!   all four factors unless [`FakeGenAuth::with_enabled_factors`] says
//!   otherwise;
//! - `GET /api/v3/user-list?userListType=WHITE|BLACK` and
//!   `GET /api/v3/ip-list?ipType=WHITE|BLACK`: the entries added with
//!   [`FakeGenAuth::with_list_entry`] ([`ListEntry`]);
//! - `GET /api/v3/list-role-members?code=..&namespace=..`: the `UserDto`s
//!   of a role's members ([`FakeGenAuth::with_role`]); an unknown role is
//!   `statusCode` 404;
//! - `GET /api/v3/list-organizations` and
//!   `GET /api/v3/get-all-departments?organizationCode=..`: the
//!   organisations and departments of [`FakeGenAuth::with_organization`]
//!   ([`Organization`]; `totalCount` of the departments can be a boolean
//!   or absent, as the vendor's DTO allows);
//! - `list-users` with `options.withDepartmentIds: true` adds each user's
//!   `departmentIds` ([`FakeGenAuth::with_user_departments`]).
//!
//! A key that may not read one of these is
//! [`FakeGenAuth::fail_always`] with a 403 (or 402) [`Failure::api`].
//!
//! ```
//! use genauth_mfa_fake::{Failure, FakeGenAuth, ListEntry, Organization, Route};
//!
//! let fake = FakeGenAuth::new()
//!     .with_generated_pool(10)
//!     .with_enabled_factors(["OTP", "SMS"])
//!     .with_list_entry(ListEntry::white_user("user-000001").limit("SKIP_MFA"))
//!     .with_role("admin", "default", ["user-000002"])
//!     .with_organization(Organization::new("acme", "Acme").department("eng", "Engineering", None))
//!     .with_user_departments("user-000002", ["eng"]);
//! fake.fail_always(Route::IpList, Failure::api(403, None, "no permission"));
//! # let _ = fake;
//! ```
//!
//! # Answers the vendor does not document
//!
//! These are the fake's own choices: an unknown or missing access token is
//! `statusCode` 401, apiCode 2020; an unknown user is 404, apiCode 2004; an
//! unknown factor id is 404; an unknown role, organisation or department
//! is 404 with no apiCode; a refused access key (see
//! [`FakeGenAuth::with_access_key`]) is 400, apiCode 1001; a throttled call
//! is `statusCode` 429 with no apiCode, as the vendor's error page shows; a
//! path it does not play is HTTP 404.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod fake;
mod head;
mod http1;
mod paging;
mod policy;
mod pool;
mod route;
mod server;
mod user;
mod wire;

pub use fake::FakeGenAuth;
pub use paging::{Paging, PoolChange};
pub use policy::{ListEntry, Organization};
pub use route::{Failure, RecordedRequest, Route};
pub use server::FakeServer;
pub use user::PoolUser;

#[cfg(test)]
mod tests;

/// The README's code blocks, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
