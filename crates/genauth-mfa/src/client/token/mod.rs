//! The management token: fetched with the access key through the common
//! call path, cached until shortly before it expires, and fetched by one
//! thread at a time, whose result (success or failure) every waiting thread
//! shares. A refused access key is remembered for a while, so a wrong key
//! costs a few token requests, not one per call.
//!
//! Here the token and the key; the cache in `cache.rs`, the token request
//! in `fetch.rs`, the reading of the JWT's claims in `jwt.rs`.

use std::fmt;
use std::time::{Duration, Instant};

use http::{HeaderName, HeaderValue};

use crate::client::settings::Secret;

mod cache;
mod fetch;
mod jwt;
#[cfg(test)]
mod tests;

pub(crate) use cache::TokenCache;
pub(crate) use fetch::fetch;

/// The token path.
pub(crate) const TOKEN_PATH: &str = "/api/v3/get-management-token";

/// The longest margin before expiry at which a token is fetched anew.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// How long a refused access key (or an unusable token answer) is
/// remembered: calls within it fail at once with the same error.
const REFUSAL_MEMORY: Duration = Duration::from_secs(10);

/// After a failed refresh, the next try waits this long (the old token
/// serves meanwhile).
const REFRESH_RETRY: Duration = Duration::from_secs(5);

/// A token fetched because a call was refused is not replaced because of
/// another refusal within this time: the key works but the calls are
/// refused, and fetching again would only loop.
const REFRESH_COOLDOWN: Duration = Duration::from_secs(10);

/// How often a thread waiting for another's token fetch looks at its
/// cancel token.
const CANCEL_SLICE: Duration = Duration::from_millis(50);

/// A management token ready to use: its headers and when to replace it.
pub(crate) struct ManagementToken {
    /// `authorization: Bearer <access_token>` (marked sensitive) and
    /// `x-<brand>-userpool-id: <scoped_userpool_id claim>`, built once.
    pub(crate) headers: [(HeaderName, HeaderValue); 2],
    /// When to fetch a new one (shortly before it expires).
    refresh_at: Instant,
    /// When it stops being usable: until then a failed refresh keeps it.
    expires_at: Instant,
    fetched_at: Instant,
    /// Fetched because a call with the previous token was refused.
    after_refusal: bool,
}

impl ManagementToken {
    /// The access token itself (the `authorization` header without
    /// `Bearer `), to keep it out of errors that quote the server.
    pub(crate) fn access_token(&self) -> String {
        let value = String::from_utf8_lossy(self.headers[0].1.as_bytes());
        value.strip_prefix("Bearer ").unwrap_or(&value).to_owned()
    }

    /// Whether a call refused as unauthenticated with this token should
    /// fetch a new one: not when this one replaced a refused token moments ago.
    pub(crate) fn may_refresh(&self) -> bool {
        !(self.after_refusal && self.fetched_at.elapsed() < REFRESH_COOLDOWN)
    }
}

impl fmt::Debug for ManagementToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagementToken")
            .field("authorization", &"***")
            .field("userpool_id", &self.headers[1].1)
            .field("refresh_at", &self.refresh_at)
            .finish()
    }
}

/// The access key a management client signs in with.
#[derive(Clone)]
pub(crate) struct AccessKey {
    pub(crate) id: String,
    pub(crate) secret: Secret,
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .field("secret", &self.secret)
            .finish()
    }
}
