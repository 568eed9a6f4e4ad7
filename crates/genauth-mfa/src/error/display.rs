//! How an [`Error`] shows: its `Debug` (server text bounded, as in
//! `Display`), [`Report`] (the error and its causes on one line), and the
//! pieces its `Display` is made of.

use std::fmt;

use super::{Error, SNIPPET_MAX_BYTES};
use crate::escape::Escaped;
use crate::transport::after_attempts;

/// Like a derived `Debug`, but the server's text (message, requestId,
/// reason) is bounded as in `Display`: `{:?}` is what `unwrap()`,
/// `expect()` and `fn main() -> Result<(), Error>` print.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api {
                http_status,
                status_code,
                api_code,
                message,
                request_id,
                attempts,
            } => debug_api(
                f,
                *http_status,
                *status_code,
                *api_code,
                message,
                request_id.as_deref(),
                *attempts,
            ),
            Error::Transport { source } => {
                f.debug_struct("Transport").field("source", source).finish()
            }
            Error::Timeout { source } => f.debug_struct("Timeout").field("source", source).finish(),
            Error::Decode {
                http_status,
                reason,
                snippet,
                attempts,
            } => debug_decode(f, *http_status, reason, snippet, *attempts),
            Error::InvalidArgument { name, reason } => f
                .debug_struct("InvalidArgument")
                .field("name", name)
                .field("reason", reason)
                .finish(),
            Error::Config { reason } => f.debug_struct("Config").field("reason", reason).finish(),
            Error::Credentials { source } => f
                .debug_struct("Credentials")
                .field("source", source)
                .finish(),
            Error::NotPermitted { endpoint, source } => f
                .debug_struct("NotPermitted")
                .field("endpoint", endpoint)
                .field("source", source)
                .finish(),
            Error::IncompleteListing {
                reason,
                distinct,
                total_count,
            } => f
                .debug_struct("IncompleteListing")
                .field("reason", reason)
                .field("distinct", distinct)
                .field("total_count", total_count)
                .finish(),
            Error::Cancelled => f.write_str("Cancelled"),
        }
    }
}

/// [`Error::Api`]'s `Debug`: the message and requestId bounded.
fn debug_api(
    f: &mut fmt::Formatter<'_>,
    http_status: u16,
    status_code: i64,
    api_code: Option<i64>,
    message: &str,
    request_id: Option<&str>,
    attempts: u32,
) -> fmt::Result {
    f.debug_struct("Api")
        .field("http_status", &http_status)
        .field("status_code", &status_code)
        .field("api_code", &api_code)
        .field("message", &DebugBounded(message, MESSAGE_MAX_CHARS))
        .field("request_id", &request_id.map(|id| DebugBounded(id, 80)))
        .field("attempts", &attempts)
        .finish()
}

/// [`Error::Decode`]'s `Debug`: the reason and the snippet bounded.
fn debug_decode(
    f: &mut fmt::Formatter<'_>,
    http_status: u16,
    reason: &str,
    snippet: &str,
    attempts: u32,
) -> fmt::Result {
    f.debug_struct("Decode")
        .field("http_status", &http_status)
        .field("reason", &DebugBounded(reason, MESSAGE_MAX_CHARS))
        .field("snippet", &DebugBounded(snippet, SNIPPET_MAX_BYTES))
        .field("attempts", &attempts)
        .finish()
}

/// `Debug` of at most `.1` characters of `.0` (escaped as `Debug` escapes
/// a string), then how many more there were.
struct DebugBounded<'a>(&'a str, usize);

impl fmt::Debug for DebugBounded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = self
            .0
            .char_indices()
            .nth(self.1)
            .map_or(self.0.len(), |(i, _)| i);
        fmt::Debug::fmt(&self.0[..end], f)?;
        let rest = self.0[end..].chars().count();
        if rest > 0 {
            write!(f, "… ({rest} more characters)")?;
        }
        Ok(())
    }
}

/// The most characters of a server's text shown in an error message; the
/// error's field keeps all of it.
pub(crate) const MESSAGE_MAX_CHARS: usize = 300;

/// An error and its causes on one line; see [`Error::report`].
#[derive(Debug, Clone, Copy)]
pub struct Report<'a>(pub(super) &'a Error);

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = std::error::Error::source(self.0);
        // Bounded: a cycle in a foreign error's chain cannot loop forever.
        for _ in 0..16 {
            let Some(err) = cause else { break };
            let text = err.to_string();
            write!(f, ": {}", Escaped::new(&text, MESSAGE_MAX_CHARS))?;
            cause = err.source();
        }
        Ok(())
    }
}

/// `; body starts: "..."` when there is a body to quote.
pub(super) struct BodyStart<'a>(pub(super) &'a str);

impl fmt::Display for BodyStart<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return Ok(());
        }
        write!(f, "; body starts: {:?}", self.0)
    }
}

pub(super) struct AfterAttempts(pub(super) u32);

impl fmt::Display for AfterAttempts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        after_attempts(f, self.0)
    }
}

pub(super) struct ApiDisplay<'a> {
    pub(super) status_code: i64,
    pub(super) api_code: Option<i64>,
    pub(super) message: &'a str,
    pub(super) request_id: Option<&'a str>,
    pub(super) attempts: u32,
}

impl fmt::Display for ApiDisplay<'_> {
    /// `message (statusCode N, apiCode C, requestId R)`; without a message
    /// (none, or only whitespace) the codes alone, unbracketed: never an
    /// empty text or a double space.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = self.message.trim();
        if !message.is_empty() {
            write!(f, "{} (", Escaped::new(message, MESSAGE_MAX_CHARS))?;
        }
        write!(f, "statusCode {}", self.status_code)?;
        if let Some(code) = self.api_code {
            write!(f, ", apiCode {code}")?;
        }
        if let Some(id) = self.request_id.map(str::trim).filter(|id| !id.is_empty()) {
            write!(f, ", requestId {}", Escaped::new(id, 80))?;
        }
        if !message.is_empty() {
            f.write_str(")")?;
        }
        after_attempts(f, self.attempts)
    }
}
