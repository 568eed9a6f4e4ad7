//! Base URLs checked once when a client is built, and the URL helpers the
//! transport shares: whether a host is loopback, and user info redacted.

use std::fmt;
use std::net::IpAddr;

use http::Uri;

use crate::error::{Error, Result};

/// A base URL checked once at build time: `scheme://authority[/prefix]` with
/// no trailing slash, query or fragment.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct BaseUrl(String);

impl BaseUrl {
    /// Checks `raw` for the setting `name`. `http://` is accepted only for a
    /// loopback host unless `allow_http`.
    pub(crate) fn parse(name: &'static str, raw: &str, allow_http: bool) -> Result<BaseUrl> {
        let trimmed = raw.trim().trim_end_matches('/');
        let shown = redact_userinfo(raw);
        let bad = |reason: &str| Error::invalid_argument(name, format!("{reason}: {shown:?}"));
        if trimmed.is_empty() {
            return Err(bad("a URL such as https://my-app.genauth.ai is required"));
        }
        // A request line is ASCII: non-ASCII characters of a path prefix go
        // percent-encoded, as the server decodes them back (a host is left
        // as written, and refused below if it is not ASCII).
        let path_at = trimmed
            .find("://")
            .and_then(|i| trimmed[i + 3..].find('/').map(|j| i + 3 + j))
            .unwrap_or(trimmed.len());
        let (head, path) = trimmed.split_at(path_at);
        let encoded = format!(
            "{head}{}",
            percent_encoding::utf8_percent_encode(path, percent_encoding::CONTROLS)
        );
        let trimmed = encoded.as_str();
        let uri: Uri = trimmed.parse().map_err(|_| bad("not a valid URL"))?;
        let host = uri
            .host()
            .ok_or_else(|| bad("not an absolute URL with a host"))?;
        if uri.query().is_some() || trimmed.contains('#') {
            return Err(bad("a base URL takes no query or fragment"));
        }
        if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
            return Err(bad("a base URL takes no user name or password"));
        }
        if let Some(authority) = uri.authority() {
            explicit_port(authority.as_str()).map_err(&bad)?;
        }
        match uri.scheme_str() {
            Some("https") => {}
            Some("http") if allow_http || is_loopback(host) => {}
            Some("http") => {
                return Err(bad(
                    "http:// would send credentials in clear; use https://, a loopback host, or allow_insecure_http(true)",
                ));
            }
            _ => {
                return Err(bad(
                    "the URL must start with https:// (or http:// for a loopback host such as 127.0.0.1)",
                ));
            }
        }
        Ok(BaseUrl(trimmed.to_owned()))
    }

    /// [`BaseUrl::parse`], but a value that came from the environment
    /// variable `var` is a configuration error naming that variable.
    pub(crate) fn parse_setting(
        name: &'static str,
        raw: &str,
        var: Option<&'static str>,
        allow_http: bool,
    ) -> Result<BaseUrl> {
        BaseUrl::parse(name, raw, allow_http).map_err(|err| match (var, err) {
            (Some(var), Error::InvalidArgument { reason, .. }) => {
                Error::config(format!("{var} is not a usable base URL: {reason}"))
            }
            (_, err) => err,
        })
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// `raw` with any user info (`user:password@`) of a URL replaced by `***@`,
/// for errors and `Debug`.
pub(crate) fn redact_userinfo(raw: &str) -> std::borrow::Cow<'_, str> {
    let after_scheme = raw.find("://").map_or(0, |i| i + 3);
    let authority_end = raw[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(raw.len(), |i| after_scheme + i);
    let head = &raw[after_scheme..authority_end];
    let at = head.rfind('@').or_else(|| {
        // A password holding an unencoded `/`, `?` or `#`
        // (`user:pa/ss@host`) ends the authority early: when what came
        // before looks like `user:` and an `@` follows, hide up to the last
        // `@` (at worst a port and a path are hidden too).
        (head.contains(':') && !head.starts_with('['))
            .then(|| raw[after_scheme..].rfind('@'))
            .flatten()
    });
    match at {
        Some(at) => format!("{}***{}", &raw[..after_scheme], &raw[after_scheme + at..]).into(),
        None => raw.into(),
    }
}

/// The port an authority (`host[:port]`, `[v6]:port`, `user@host:port`)
/// names, checked: `Ok(None)` without one, an error (never the default
/// port instead) when what follows the `:` is not a port from 1 to 65535.
pub(crate) fn explicit_port(authority: &str) -> Result<Option<u16>, &'static str> {
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let after_host = match host_port.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((_, rest)) => rest,
            None => return Err("an IPv6 address must be closed by ]"),
        },
        None => host_port.find(':').map_or("", |i| &host_port[i..]),
    };
    let Some(port) = after_host.strip_prefix(':') else {
        return if after_host.is_empty() {
            Ok(None)
        } else {
            Err("unexpected text after the host")
        };
    };
    match port.parse::<u16>() {
        Ok(0) | Err(_) if port.is_empty() => Err("the port after ':' is missing"),
        Ok(0) => Err("the port must be from 1 to 65535"),
        Ok(p) if port.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(p)),
        _ => Err("the port must be a number from 1 to 65535"),
    }
}

pub(crate) fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked() {
        let ok = |s| BaseUrl::parse("host", s, false).map(|b| b.as_str().to_owned());
        assert_eq!(
            ok("https://api.genauth.ai/").unwrap(),
            "https://api.genauth.ai"
        );
        assert_eq!(
            ok(" https://sso.example.com/genauth ").unwrap(),
            "https://sso.example.com/genauth"
        );
        assert_eq!(
            ok("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(ok("http://localhost:1").unwrap(), "http://localhost:1");
        assert_eq!(ok("http://[::1]:1").unwrap(), "http://[::1]:1");
        assert_eq!(
            ok("https://sso.example/ü").unwrap(),
            "https://sso.example/%C3%BC"
        );
        assert!(ok("https://例え.jp").is_err());
        for bad in [
            "",
            "api.genauth.ai",
            "ftp://api.genauth.ai",
            "http://api.genauth.ai",
            "https://api.genauth.ai?x=1",
            "https://api.genauth.ai#top",
            "https://user:pw@api.genauth.ai",
            "https://exa mple.com",
            "/relative",
        ] {
            let err = ok(bad).unwrap_err();
            assert!(
                matches!(err, Error::InvalidArgument { name: "host", .. }),
                "{bad}: {err}"
            );
        }
        assert!(BaseUrl::parse("host", "http://intranet.example", true).is_ok());
        // A port that is not a port is refused, never replaced by the default.
        for bad in [
            "http://127.0.0.1:99999",
            "https://api.genauth.ai:65536",
            "https://api.genauth.ai:44e",
            "https://api.genauth.ai:-1",
            "https://api.genauth.ai:",
            "https://api.genauth.ai:0",
            "http://[::1]:123456",
        ] {
            let err = ok(bad).unwrap_err();
            assert!(err.to_string().contains("port"), "{bad}: {err}");
        }
        assert_eq!(
            ok("https://h.example:8443").unwrap(),
            "https://h.example:8443"
        );
        // From the environment, the error names the variable.
        let err = BaseUrl::parse_setting(
            "host",
            "http://127.0.0.1:99999",
            Some("GENAUTH_HOST"),
            false,
        )
        .unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        assert!(err.to_string().contains("GENAUTH_HOST"), "{err}");
    }

    #[test]
    fn user_info_is_redacted() {
        assert_eq!(
            redact_userinfo("https://admin:pw@h.example/p@x"),
            "https://***@h.example/p@x"
        );
        assert_eq!(
            redact_userinfo("https://h.example/a@b"),
            "https://h.example/a@b"
        );
        assert_eq!(redact_userinfo("u:p@h"), "***@h");
        // A password holding an unencoded '/', '?' or '#'.
        assert_eq!(
            redact_userinfo("https://u:pa/ss@h.example"),
            "https://***@h.example"
        );
        assert_eq!(
            redact_userinfo("http://u:p?w#x@proxy:3128"),
            "http://***@proxy:3128"
        );
        assert_eq!(redact_userinfo("u:1/2@h"), "***@h");
        assert_eq!(
            redact_userinfo("https://[::1]:8/a@b"),
            "https://[::1]:8/a@b"
        );
        let err = BaseUrl::parse("host", "https://u:hunter2@h.example", false).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
