//! Reading `GENAUTH_*` (and other) environment variables: a leaf that the
//! settings and the transport share.

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
