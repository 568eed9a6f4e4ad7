//! The crate's one error type.
//!
//! Each variant says what a caller can do about it: an [`Error::Api`] is the
//! server's own answer (look at `api_code`, quote `request_id` to support), a
//! [`Error::Timeout`] or [`Error::Transport`] is worth retrying later, a
//! [`Error::Decode`] means something that is not the GenAuth API answered,
//! and [`Error::InvalidArgument`] / [`Error::Config`] are bugs in the calling
//! code that no retry will fix.

mod display;
mod kind;
mod make;
#[cfg(test)]
mod tests;

pub(crate) use display::MESSAGE_MAX_CHARS;
pub use display::Report;
use display::{AfterAttempts, ApiDisplay, BodyStart};

use crate::escape::Escaped;
use crate::transport::{TransportError, TransportErrorKind};

/// The most bytes of an unexpected response body kept in [`Error::Decode`].
pub const SNIPPET_MAX_BYTES: usize = 256;

/// Everything that can go wrong when talking to GenAuth.
///
/// The enum and each variant are `#[non_exhaustive]`: match with `..` so that
/// later fields (and variants) do not break your code.
///
/// ```
/// use genauth_mfa::Error;
///
/// fn advice(err: &Error) -> &'static str {
///     match err {
///         Error::Api { api_code: Some(_), .. } => "the server refused: see api_code",
///         Error::Api { .. } => "the server refused",
///         Error::Timeout { .. } | Error::Transport { .. } => "try again later",
///         Error::Decode { .. } => "something other than GenAuth answered",
///         Error::InvalidArgument { .. } | Error::Config { .. } => "fix the calling code",
///         Error::Credentials { .. } => "fix the access key",
///         Error::NotPermitted { .. } => "grant the key the permission",
///         Error::IncompleteListing { .. } => "the server's pages cannot be trusted",
///         Error::Cancelled => "you asked to stop",
///         _ => "unknown",
///     }
/// }
/// # let _ = advice;
/// ```
#[derive(Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The GenAuth API answered with its envelope and a `statusCode` other
    /// than 200, whatever the HTTP status was.
    #[error("GenAuth API error: {}", ApiDisplay { status_code: *.status_code, api_code: *.api_code, message, request_id: request_id.as_deref(), attempts: *.attempts })]
    #[non_exhaustive]
    Api {
        /// The HTTP status of the response (often 200 even for failures).
        http_status: u16,
        /// The envelope's `statusCode` (the HTTP status when the envelope had none).
        status_code: i64,
        /// The envelope's fine-grained `apiCode`, when the server sent one.
        api_code: Option<i64>,
        /// The envelope's `message`, in the configured language.
        message: String,
        /// The envelope's `requestId`: quote it when asking GenAuth support.
        request_id: Option<String>,
        /// How many attempts were made (more than 1 when a 429/502/503/504
        /// answer was retried).
        attempts: u32,
    },

    /// The request did not complete: DNS, connect, TLS, a reset connection, a
    /// body over the size limit. Usually worth retrying later. Its message is
    /// the transport error's; its [`source`](std::error::Error::source) is
    /// that error's cause.
    #[error(transparent)]
    #[non_exhaustive]
    Transport {
        /// What the transport reported.
        source: TransportError,
    },

    /// The request ran out of time (connect or whole call). Its message is
    /// the transport error's; its [`source`](std::error::Error::source) is
    /// that error's cause.
    #[error(transparent)]
    #[non_exhaustive]
    Timeout {
        /// What the transport reported.
        source: TransportError,
    },

    /// An answer came back that is not the GenAuth envelope this call expects:
    /// an HTML gateway page, an empty or truncated body, a missing field.
    #[error(
        "could not decode the response (HTTP {http_status}): {}{}{}",
        Escaped::new(reason, MESSAGE_MAX_CHARS),
        BodyStart(snippet),
        AfterAttempts(*.attempts)
    )]
    #[non_exhaustive]
    Decode {
        /// The HTTP status of the response.
        http_status: u16,
        /// Why it could not be decoded.
        reason: String,
        /// The start of the body, at most [`SNIPPET_MAX_BYTES`] bytes, lossily UTF-8.
        snippet: String,
        /// How many attempts were made (more than 1 when a 502/503/504
        /// answer was retried).
        attempts: u32,
    },

    /// An argument was refused before any request was sent.
    #[error("invalid argument `{name}`: {reason}")]
    #[non_exhaustive]
    InvalidArgument {
        /// The argument's name.
        name: &'static str,
        /// Why it was refused.
        reason: String,
    },

    /// The client could not be built from its configuration.
    #[error("configuration error: {reason}")]
    #[non_exhaustive]
    Config {
        /// What is wrong, naming the setting (and its environment variable).
        reason: String,
    },

    /// The server refused the access key: the management-token request
    /// was answered with a refusal (a wrong id or secret, a disabled key, a
    /// deleted user pool). No retry helps and every later call of this
    /// client would fail the same way: stop, and fix the key. The server's
    /// answer is the [`source`](std::error::Error::source); its status,
    /// apiCode and requestId are on the accessors.
    #[error("the access key was refused (the management-token request failed)")]
    #[non_exhaustive]
    Credentials {
        /// The token request's own error (an [`Error::Api`]).
        source: Box<Error>,
    },

    /// The access key's token was accepted, yet this call was refused as
    /// unauthenticated with a token fetched moments ago to replace a refused
    /// one: the key (its role) may not call this endpoint. No retry and no
    /// new token helps, and every later call of this endpoint would fail the
    /// same way: stop, and grant the key the permission. The server's
    /// answer is the [`source`](std::error::Error::source); its status,
    /// apiCode and requestId are on the accessors.
    #[error("the access key may not call {endpoint}: a freshly fetched token was refused too")]
    #[non_exhaustive]
    NotPermitted {
        /// The endpoint's name, e.g. `get-user-mfa-info`.
        endpoint: &'static str,
        /// The refusal (an [`Error::Api`], statusCode 401).
        source: Box<Error>,
    },

    /// A listing ([`ManagementClient::list_users`](crate::ManagementClient::list_users))
    /// ended without proof that it listed every user: its pages kept
    /// repeating users already listed (a server that ignores the page
    /// number), the distinct users listed do not match the server's
    /// `totalCount` (and a pool that changed while it was listed does not
    /// explain the difference), or the server sent no `totalCount` to
    /// compare them with. The users yielded before it are real; whether
    /// others exist is unknown. It is the listing's last item.
    #[error("the listing is incomplete: {reason}")]
    #[non_exhaustive]
    IncompleteListing {
        /// What the server's pages did, in words.
        reason: String,
        /// The distinct users listed.
        distinct: u64,
        /// The latest `totalCount` the server sent, if it sent one.
        total_count: Option<u64>,
    },

    /// The call was stopped through its [`CancelToken`](crate::CancelToken)
    /// before it completed (no answer, or the answer was not waited for).
    #[error("cancelled")]
    Cancelled,
}

/// The `Result` of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The `requestId` the server gave, when it gave one: quote it when
    /// asking GenAuth support.
    ///
    /// ```
    /// # use genauth_mfa::{AuthenticationClient, http};
    /// # let server = |_req: http::Request<Vec<u8>>| Ok(http::Response::new(
    /// #     br#"{"statusCode":404,"apiCode":2004,"message":"no such factor","requestId":"r-9"}"#.to_vec()));
    /// # let auth = AuthenticationClient::builder().app_id("a").app_host("https://a.genauth.ai")
    /// #     .access_token("t").transport(server).build()?;
    /// let err = auth.get_factor("f-1").send().unwrap_err();
    /// assert_eq!(err.status_code(), Some(404));
    /// assert_eq!(err.api_code(), Some(2004));
    /// assert_eq!(err.request_id(), Some("r-9"));
    /// assert_eq!(err.http_status(), Some(200));
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api { request_id, .. } => request_id.as_deref(),
            Error::Credentials { source } | Error::NotPermitted { source, .. } => {
                source.request_id()
            }
            _ => None,
        }
    }

    /// The envelope's `statusCode` of the server's refusal ([`Error::Api`],
    /// or the token request's behind [`Error::Credentials`]).
    ///
    /// See [`request_id`](Self::request_id) for an example.
    #[must_use]
    pub fn status_code(&self) -> Option<i64> {
        match self {
            Error::Api { status_code, .. } => Some(*status_code),
            Error::Credentials { source } | Error::NotPermitted { source, .. } => {
                source.status_code()
            }
            _ => None,
        }
    }

    /// The envelope's fine-grained `apiCode`, when the server sent one
    /// (2004: user not found, 2020: not signed in, ...).
    ///
    /// See [`request_id`](Self::request_id) for an example.
    #[must_use]
    pub fn api_code(&self) -> Option<i64> {
        match self {
            Error::Api { api_code, .. } => *api_code,
            Error::Credentials { source } | Error::NotPermitted { source, .. } => source.api_code(),
            _ => None,
        }
    }

    /// The HTTP status of the response that caused this error, if a response came.
    ///
    /// See [`request_id`](Self::request_id) for an example.
    #[must_use]
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Api { http_status, .. } | Error::Decode { http_status, .. } => {
                Some(*http_status)
            }
            Error::Credentials { source } | Error::NotPermitted { source, .. } => {
                source.http_status()
            }
            _ => None,
        }
    }

    /// How many attempts were made before this error: 0 when nothing was
    /// sent (invalid argument, configuration), 1 without retries.
    #[must_use]
    pub fn attempts(&self) -> u32 {
        match self {
            Error::Api { attempts, .. } | Error::Decode { attempts, .. } => *attempts,
            Error::Transport { source, .. } | Error::Timeout { source, .. } => source.attempts(),
            Error::Credentials { source } | Error::NotPermitted { source, .. } => source.attempts(),
            Error::InvalidArgument { .. } | Error::Config { .. } | Error::Cancelled => 0,
            Error::IncompleteListing { .. } => 1,
        }
    }

    /// This error and each of its causes, joined by `": "`, for a log line
    /// or a message to a person. Text that came from the server is bounded
    /// and its control characters escaped, so one line stays one line.
    ///
    /// ```
    /// use genauth_mfa::{Error, TransportError, TransportErrorKind};
    ///
    /// let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
    /// let err = Error::from(TransportError::new(TransportErrorKind::Connect, io));
    /// assert_eq!(err.report().to_string(), "could not connect: refused");
    /// ```
    #[must_use]
    pub fn report(&self) -> Report<'_> {
        Report(self)
    }
}

impl From<TransportError> for Error {
    fn from(source: TransportError) -> Error {
        match source.kind() {
            TransportErrorKind::Timeout => Error::Timeout { source },
            _ => Error::Transport { source },
        }
    }
}
