//! The one blocking transport the clients send requests through, its error,
//! and the markers a request or response carries through it.
//!
//! A [`Transport`] only moves bytes: it takes an [`http::Request`] with the
//! whole body and returns the [`http::Response`] with the whole body, for
//! *every* status (a 401 or a 502 is a response, not an error). Status codes,
//! the GenAuth envelope, retries and tokens are the clients' business. Any
//! `Fn(Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError>`
//! closure is a transport, which makes fakes in unit tests one line long:
//!
//! ```
//! use genauth_mfa::{AuthenticationClient, http};
//!
//! let fake = |req: http::Request<Vec<u8>>| {
//!     assert_eq!(req.uri().path(), "/api/v3/list-enrolled-factors");
//!     Ok(http::Response::new(br#"{"statusCode":200,"message":"ok","data":[]}"#.to_vec()))
//! };
//! let client = AuthenticationClient::builder()
//!     .app_id("app")
//!     .app_host("https://my-app.genauth.ai")
//!     .access_token("token")
//!     .transport(fake)
//!     .build()?;
//! assert!(client.list_enrolled_factors().send()?.is_empty());
//! # Ok::<(), genauth_mfa::Error>(())
//! ```
//!
//! The default is [`UreqTransport`]: one `ureq` agent,
//! TLS verified, kept-alive connections reused across calls and threads.
//! `genauth_mfa_fake::FakeGenAuth` (crate `genauth-mfa-fake`) is an
//! in-process fake of the whole API.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use http::{Request, Response};
use serde::{Deserialize, Serialize};

mod ureq;

pub use self::ureq::{RootStore, UreqTransport, UreqTransportBuilder};

/// A blocking HTTP transport.
///
/// Implementations must return every HTTP status as `Ok(response)` with its
/// body, and keep `Err` for failures to get a complete response at all.
///
/// A transport of your own, for another HTTP stack or to record traffic:
///
/// ```
/// use genauth_mfa::{Transport, TransportError, TransportErrorKind, UreqTransport, http};
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// /// Counts the requests it passes on to the default transport.
/// struct Counting {
///     inner: UreqTransport,
///     sent: AtomicU64,
/// }
///
/// impl Transport for Counting {
///     fn send(
///         &self,
///         request: http::Request<Vec<u8>>,
///     ) -> Result<http::Response<Vec<u8>>, TransportError> {
///         self.sent.fetch_add(1, Ordering::Relaxed);
///         if request.uri().scheme_str() != Some("https") {
///             return Err(TransportError::new(TransportErrorKind::Request, "https only"));
///         }
///         self.inner.send(request)
///     }
/// }
/// let counting = Counting { inner: UreqTransport::new()?, sent: AtomicU64::new(0) };
/// # let _ = counting;
/// # Ok::<(), genauth_mfa::Error>(())
/// ```
pub trait Transport: Send + Sync + 'static {
    /// Sends `request` and returns the complete response.
    ///
    /// # Errors
    ///
    /// A [`TransportError`] when no complete response could be had: the
    /// connection failed, a deadline passed, the body was cut short. An HTTP
    /// error status is not an error here.
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError>;
}

impl<F> Transport for F
where
    F: Fn(Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> + Send + Sync + 'static,
{
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        self(request)
    }
}

/// Marks a request other than a `GET` as safe to send more than once. The
/// clients mark the management-token request this way; a transport may read
/// it (with the method) to decide whether a request that failed on a stale
/// kept-alive connection can be sent again on a new one.
///
/// ```
/// use genauth_mfa::{Repeatable, http};
///
/// let mut request = http::Request::post("https://api.genauth.ai/api/v3/x")
///     .body(b"{}".to_vec())
///     .unwrap();
/// request.extensions_mut().insert(Repeatable);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Repeatable;

/// The instant by which the whole call must be over: the clients put it in
/// the extensions of every request they send when a timeout is set. A
/// transport should give up by then ([`UreqTransport`]
/// does); the clients stop retrying and waiting at that instant either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Deadline(pub Instant);

/// What kind of failure a [`TransportError`] is. Its `Display` is a short
/// phrase ("could not connect"); [`as_str`](Self::as_str) a stable name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made: the host name did not resolve, or the
    /// connection was refused or failed. Nothing reached the server.
    Connect,
    /// The HTTP proxy could not be reached, or refused to open the tunnel.
    /// Nothing reached the server.
    Proxy,
    /// A connect, read or whole-call deadline passed.
    Timeout,
    /// The connection was closed or reset before any response arrived.
    ConnectionClosed,
    /// A response started but its body could not be read in full.
    Body,
    /// The response body is larger than the configured limit.
    BodyTooLarge,
    /// TLS failed: certificate not trusted, handshake error, bad PEM.
    Tls,
    /// The server's answer broke HTTP/1.1: too many or too large headers,
    /// conflicting content-length headers, a malformed status line. Not
    /// retried: the same server would answer the same way.
    Protocol,
    /// The request itself could not be sent as given (a bad URL, say).
    Request,
    /// The system refused this process a socket: out of file descriptors
    /// (too many open files: the process's limit, `ulimit -n`, or the
    /// system's). Nothing reached the server. Retried; if it lasts, make
    /// fewer calls at once (each holds a connection) or raise the limit.
    OutOfResources,
    /// Anything else.
    Other,
}

impl TransportErrorKind {
    /// A stable snake_case name: `connect`, `proxy`, `timeout`,
    /// `connection_closed`, `body`, `body_too_large`, `tls`, `protocol`,
    /// `request`, `out_of_resources`, `other`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            TransportErrorKind::Connect => "connect",
            TransportErrorKind::Proxy => "proxy",
            TransportErrorKind::Protocol => "protocol",
            TransportErrorKind::Timeout => "timeout",
            TransportErrorKind::ConnectionClosed => "connection_closed",
            TransportErrorKind::Body => "body",
            TransportErrorKind::BodyTooLarge => "body_too_large",
            TransportErrorKind::Tls => "tls",
            TransportErrorKind::Request => "request",
            TransportErrorKind::OutOfResources => "out_of_resources",
            TransportErrorKind::Other => "other",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            TransportErrorKind::Connect => "could not connect",
            TransportErrorKind::Proxy => "could not get through the proxy",
            TransportErrorKind::Protocol => "the answer is not valid HTTP/1.1",
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::ConnectionClosed => "connection closed before a response",
            TransportErrorKind::Body => "response body could not be read",
            TransportErrorKind::BodyTooLarge => "response body over the size limit",
            TransportErrorKind::Tls => "TLS error",
            TransportErrorKind::Request => "request could not be sent",
            TransportErrorKind::OutOfResources => {
                "no socket: out of file descriptors (ulimit -n); make fewer calls at once"
            }
            TransportErrorKind::Other => "transport failure",
        }
    }
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// A failure to get a complete HTTP response.
///
/// Its `Display` says what happened ("could not connect (after 3
/// attempts)"); the underlying cause, if any, is its
/// [`source`](std::error::Error::source). Cheap to clone.
///
/// ```
/// use genauth_mfa::{TransportError, TransportErrorKind};
///
/// let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
/// let err = TransportError::new(TransportErrorKind::Connect, io);
/// assert_eq!(err.kind(), TransportErrorKind::Connect);
/// assert_eq!(err.to_string(), "could not connect");
/// assert_eq!(std::error::Error::source(&err).unwrap().to_string(), "refused");
/// ```
#[derive(Clone)]
pub struct TransportError {
    kind: TransportErrorKind,
    /// What the kind alone does not say: which proxy, what to do about a
    /// certificate. Never a secret.
    detail: Option<Arc<str>>,
    source: Option<Arc<dyn StdError + Send + Sync>>,
    attempts: u32,
}

impl TransportError {
    /// A transport error of `kind` caused by `source` (any error, or a
    /// message: `&str` and `String` convert).
    pub fn new(
        kind: TransportErrorKind,
        source: impl Into<Box<dyn StdError + Send + Sync>>,
    ) -> Self {
        TransportError {
            kind,
            detail: None,
            source: Some(Arc::from(source.into())),
            attempts: 1,
        }
    }

    /// A transport error of `kind` with no further detail.
    #[must_use]
    pub fn from_kind(kind: TransportErrorKind) -> Self {
        TransportError {
            kind,
            detail: None,
            source: None,
            attempts: 1,
        }
    }

    /// What kind of failure this is.
    #[must_use]
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// How many attempts were made before giving up (1 without retries).
    #[must_use]
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The same error, saying that `attempts` attempts were made.
    #[must_use]
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    /// The same error as another kind (a connect failure that was the
    /// proxy's, say).
    pub(crate) fn with_kind(mut self, kind: TransportErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// The same error with `detail` after the kind in its message: what the
    /// kind alone does not say ("http://proxy:3128 (from HTTPS_PROXY)").
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(Arc::from(detail.into()));
        self
    }

    /// The detail given with [`with_detail`](Self::with_detail).
    #[must_use]
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.describe())?;
        if let Some(detail) = &self.detail {
            write!(f, " {detail}")?;
        }
        after_attempts(f, self.attempts)
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportError")
            .field("kind", &self.kind)
            .field("detail", &self.detail)
            .field("source", &self.source)
            .field("attempts", &self.attempts)
            .finish()
    }
}

impl StdError for TransportError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

/// Writes " (after N attempts)" when there was more than one.
pub(crate) fn after_attempts(f: &mut fmt::Formatter<'_>, attempts: u32) -> fmt::Result {
    if attempts > 1 {
        write!(f, " (after {attempts} attempts)")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closures_are_transports() {
        let t: Box<dyn Transport> = Box::new(|_req: Request<Vec<u8>>| {
            Err(TransportError::from_kind(TransportErrorKind::Connect))
        });
        let err = t.send(Request::new(Vec::new())).unwrap_err();
        assert_eq!(err.kind(), TransportErrorKind::Connect);
        assert_eq!(err.to_string(), "could not connect");
    }

    #[test]
    fn display_says_its_own_part_and_the_cause_comes_from_source() {
        let err = TransportError::new(TransportErrorKind::Connect, "io: refused").with_attempts(3);
        assert_eq!(err.to_string(), "could not connect (after 3 attempts)");
        assert_eq!(err.source().unwrap().to_string(), "io: refused");
        let copy = err.clone();
        assert_eq!(copy.attempts(), 3);
    }

    #[test]
    fn kinds_have_stable_names_and_serialize_as_them() {
        for kind in [
            TransportErrorKind::Connect,
            TransportErrorKind::Proxy,
            TransportErrorKind::Timeout,
            TransportErrorKind::ConnectionClosed,
            TransportErrorKind::Body,
            TransportErrorKind::BodyTooLarge,
            TransportErrorKind::Tls,
            TransportErrorKind::Protocol,
            TransportErrorKind::Request,
            TransportErrorKind::Other,
        ] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(
                serde_json::from_str::<TransportErrorKind>(&json).unwrap(),
                kind
            );
            assert!(!kind.to_string().is_empty());
        }
    }
}
