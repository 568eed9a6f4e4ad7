//! Reading `GENAUTH_*` (and other) environment variables: a leaf that the
//! settings and the transport share.

use std::time::Duration;

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

/// `GENAUTH_TIMEOUT`, a number of seconds from a millisecond to a day:
/// the clients' whole-call timeout, and the timeout of the transport they
/// build (which `UreqTransportBuilder::read_env` gives a transport you build).
pub(crate) fn env_timeout() -> Result<Option<Duration>> {
    let Some(timeout) = genauth_var("GENAUTH_TIMEOUT", "a number of seconds")? else {
        return Ok(None);
    };
    parse_seconds(&timeout).map(Some).ok_or_else(|| {
        Error::config(format!(
            "GENAUTH_TIMEOUT is {timeout:?}: use a number of seconds from {MIN_TIMEOUT_SECS} to {MAX_TIMEOUT_SECS}"
        ))
    })
}

/// The bounds of `GENAUTH_TIMEOUT`, in seconds: a millisecond to a day.
const MIN_TIMEOUT_SECS: f64 = 0.001;
const MAX_TIMEOUT_SECS: f64 = 86_400.0;

/// A number of seconds within the bounds of `GENAUTH_TIMEOUT`.
fn parse_seconds(s: &str) -> Option<Duration> {
    let secs: f64 = s.trim().parse().ok()?;
    (MIN_TIMEOUT_SECS..=MAX_TIMEOUT_SECS)
        .contains(&secs)
        .then(|| Duration::from_secs_f64(secs))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_as_positive_seconds() {
        assert_eq!(parse_seconds("2.5"), Some(Duration::from_millis(2500)));
        assert_eq!(parse_seconds(" 30 "), Some(Duration::from_secs(30)));
        assert_eq!(parse_seconds("0.001"), Some(Duration::from_millis(1)));
        assert_eq!(parse_seconds("86400"), Some(Duration::from_secs(86_400)));
        for bad in ["0", "-1", "NaN", "inf", "ten", "", "1e9", "1e-10", "86401"] {
            assert_eq!(parse_seconds(bad), None, "{bad}");
        }
    }
}
