//! How the crate builds and amends its errors: a decode error with a
//! bounded snippet of the body, the attempts made, a secret the server
//! echoed scrubbed out.

use super::{Error, SNIPPET_MAX_BYTES};

impl Error {
    pub(crate) fn decode(http_status: u16, reason: impl Into<String>, body: &[u8]) -> Error {
        Error::Decode {
            http_status,
            reason: reason.into(),
            snippet: snippet(body),
            attempts: 1,
        }
    }

    /// The same error, saying that `n` attempts were made.
    pub(crate) fn with_attempts(mut self, n: u32) -> Error {
        match &mut self {
            Error::Api { attempts, .. } | Error::Decode { attempts, .. } => *attempts = n,
            Error::Transport { source } | Error::Timeout { source } => {
                *source = source.clone().with_attempts(n);
            }
            _ => {}
        }
        self
    }

    /// The same error with each occurrence of `secret` in the server's text
    /// (message, requestId, reason, snippet) replaced by `***`: a server
    /// may echo what it was sent. Secrets shorter than 6 bytes are left
    /// alone (replacing them would garble the text and hide nothing).
    pub(crate) fn redact(mut self, secret: &str) -> Error {
        if secret.len() < 6 {
            return self;
        }
        let scrub = |s: &mut String| {
            if s.contains(secret) {
                *s = s.replace(secret, "***");
            }
        };
        match &mut self {
            Error::Api {
                message,
                request_id,
                ..
            } => {
                scrub(message);
                if let Some(id) = request_id {
                    scrub(id);
                }
            }
            Error::Decode {
                reason, snippet, ..
            } => {
                scrub(reason);
                scrub(snippet);
            }
            Error::Credentials { source } | Error::NotPermitted { source, .. } => {
                **source = source.as_ref().clone().redact(secret);
            }
            _ => {}
        }
        self
    }

    pub(crate) fn invalid_argument(name: &'static str, reason: impl Into<String>) -> Error {
        Error::InvalidArgument {
            name,
            reason: reason.into(),
        }
    }

    pub(crate) fn config(reason: impl Into<String>) -> Error {
        Error::Config {
            reason: reason.into(),
        }
    }
}

/// The first [`SNIPPET_MAX_BYTES`] bytes of `body`, cut on a character
/// boundary, invalid UTF-8 replaced.
pub(super) fn snippet(body: &[u8]) -> String {
    let head = &body[..body.len().min(SNIPPET_MAX_BYTES)];
    let text = String::from_utf8_lossy(head);
    // A multi-byte character cut at the end shows as one U+FFFD: drop it.
    let text = if head.len() < body.len() {
        text.trim_end_matches('\u{FFFD}')
    } else {
        &text
    };
    text.trim().to_owned()
}
