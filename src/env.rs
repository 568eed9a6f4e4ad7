//! Reading `GENAUTH_*` (and other) environment variables: a leaf that the
//! settings and the transport share.

use http::HeaderValue;

use crate::error::{Error, Result};

/// A `GENAUTH_*` variable: `None` when unset. Set but blank, or not
/// UTF-8, is a configuration error naming it, for every variable alike: an
/// empty `GENAUTH_HOST` must never silently mean the public service, nor
/// an empty `GENAUTH_CA_FILE` no company CA. `what` says what to set it to.
pub(crate) fn genauth_var(name: &'static str, what: &str) -> Result<Option<String>> {
    match std::env::var(name) {
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Error::config(format!("{name} is not valid UTF-8")))
        }
        Ok(v) if v.trim().is_empty() => Err(Error::config(format!(
            "{name} is set but empty: unset it, or set it to {what}"
        ))),
        Ok(v) => Ok(Some(v)),
    }
}

/// A base URL from `name` ([`genauth_var`]).
pub(crate) fn env_url(name: &'static str) -> Result<Option<String>> {
    genauth_var(name, "a URL such as https://api.genauth.ai")
}

/// A variable that is not ours (`SSL_CERT_FILE`): `None` when unset, empty
/// or not UTF-8, as other programs read it.
pub(crate) fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A required setting that is missing.
pub(crate) fn missing(setting: &str, env: &str) -> Error {
    Error::config(format!(
        "{setting} is required: call .{setting}(..) or set {env}"
    ))
}

/// [`genauth_var`] for a value sent in a header: one that a header cannot
/// carry (a line break, a control character) is a configuration error
/// naming the variable, never quoting it (it may be a token).
pub(crate) fn env_header_var(name: &'static str, what: &str) -> Result<Option<String>> {
    match genauth_var(name, what)? {
        Some(value) if HeaderValue::from_str(&value).is_err() => Err(Error::config(format!(
            "{name} holds characters an HTTP header cannot carry (a line break or another control character)"
        ))),
        value => Ok(value),
    }
}
