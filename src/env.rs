//! Reading `GENAUTH_*` (and other) environment variables: a leaf that the
//! settings and the transport share.

use http::HeaderValue;

use crate::error::{Error, Result};

/// A base URL from `name`: `None` when unset; set but blank is a
/// configuration error, so that an empty `GENAUTH_HOST` never silently
/// means the public service.
pub(crate) fn env_url(name: &'static str) -> Result<Option<String>> {
    match std::env::var(name) {
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Error::config(format!("{name} is not valid UTF-8")))
        }
        Ok(v) if v.trim().is_empty() => Err(Error::config(format!(
            "{name} is set but empty: unset it, or set it to a URL such as https://api.genauth.ai"
        ))),
        Ok(v) => Ok(Some(v)),
    }
}

/// An environment variable's value, `None` when unset, empty or not UTF-8.
pub(crate) fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A required setting that is missing.
pub(crate) fn missing(setting: &str, env: &str) -> Error {
    Error::config(format!(
        "{setting} is required: call .{setting}(..) or set {env}"
    ))
}

/// [`env_var`] for a value sent in a header: one that a header cannot
/// carry (a line break, a control character) is a configuration error
/// naming the variable, never quoting it (it may be a token).
pub(crate) fn env_header_var(name: &'static str) -> Result<Option<String>> {
    match env_var(name) {
        Some(value) if HeaderValue::from_str(&value).is_err() => Err(Error::config(format!(
            "{name} holds characters an HTTP header cannot carry (a line break or another control character)"
        ))),
        value => Ok(value),
    }
}
