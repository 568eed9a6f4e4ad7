//! Which proxy a request goes through: the proxy variables, an explicit
//! proxy URL, and `NO_PROXY`.

use crate::error::Error;

use super::UreqTransport;

/// Where the default transport sends its requests.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) enum ProxyChoice {
    /// The proxy variables, as curl and ureq read them.
    #[default]
    FromEnv,
    /// This proxy URL.
    Url(String),
    /// Straight to the server.
    None,
}

/// The proxy variables in the order they are looked up; the first one set
/// and not empty wins. `HTTP_PROXY` is used for https URLs too.
const PROXY_VARS: [&str; 6] = [
    "ALL_PROXY",
    "all_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
];

/// A proxy in use: the ureq agent that goes through it, how to name it in
/// an error (never with its credentials), and the hosts that bypass it.
#[derive(Clone)]
pub(super) struct Proxied {
    pub(super) agent: ureq::Agent,
    pub(super) shown: String,
    pub(super) no_proxy: Vec<String>,
}

/// The proxy named by the first proxy variable that is set and not empty;
/// one that is set but not UTF-8 is an error too (it is not silently skipped).
pub(super) fn proxy_from_env() -> Result<Option<(ureq::Proxy, String)>, Error> {
    for var in PROXY_VARS {
        match std::env::var(var) {
            Ok(value) if !value.trim().is_empty() => return proxy_from(&value, var).map(Some),
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(Error::config(format!("{var} is not valid UTF-8")));
            }
            _ => {}
        }
    }
    Ok(None)
}

/// The schemes a proxy URL may have (any case); none means `http`.
const PROXY_SCHEMES: [&str; 7] = [
    "http", "https", "socks", "socks4", "socks4a", "socks5", "socks5h",
];

/// A ureq proxy for `url`, and how to show it: `scheme://host:port (from
/// <origin>)`, never with credentials.
///
/// Checked here before ureq sees it, so that nothing reaches a panic or a
/// silent default in ureq: a known scheme, a host, no path, query or
/// fragment, and a port, when one is written, from 1 to 65535 (ureq would
/// use the scheme's default port for `:99999` or `:80a`).
pub(super) fn proxy_from(url: &str, origin: &str) -> Result<(ureq::Proxy, String), Error> {
    let raw = url.trim();
    let bad = |reason: &str| {
        Error::config(format!(
            "{origin} is not a usable proxy URL ({reason}), such as \
             http://proxy.example:3128 or socks5h://127.0.0.1:1080: {:?}",
            crate::url::redact_userinfo(raw)
        ))
    };
    let (scheme, rest) = match raw.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => ("http".to_owned(), raw),
    };
    if !PROXY_SCHEMES.contains(&scheme.as_str()) {
        return Err(bad(
            "the scheme must be http, https, socks4, socks4a, socks5 or socks5h",
        ));
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if !tail.is_empty() && tail != "/" {
        return Err(bad("a proxy URL takes no path, query or fragment"));
    }
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let (host, port) = split_host_port(host_port).map_err(bad)?;
    if host.is_empty() {
        return Err(bad("it names no host"));
    }
    if let Some(port) = port {
        checked_port(port).ok_or_else(|| bad("the port must be a number from 1 to 65535"))?;
    }
    let proxy =
        ureq::Proxy::new(&format!("{scheme}://{authority}")).map_err(|_| bad("not a valid URL"))?;
    // SOCKS5 sends each in one length byte (RFC 1929).
    let too_long = |s: Option<&str>| s.is_some_and(|s| s.len() > 255);
    if scheme.starts_with("socks") && (too_long(proxy.username()) || too_long(proxy.password())) {
        return Err(bad("a SOCKS user name or password is at most 255 bytes"));
    }
    let shown = format!(
        "{scheme}://{}:{} (from {origin})",
        proxy.host().to_ascii_lowercase(),
        proxy.port()
    );
    Ok((proxy, shown))
}

/// `host[:port]` or `[v6][:port]` as the host and the port as written
/// (`Some("")` for a trailing colon).
fn split_host_port(host_port: &str) -> Result<(&str, Option<&str>), &'static str> {
    let (host, after) = if host_port.starts_with('[') {
        let close = host_port
            .find(']')
            .ok_or("an IPv6 address lacks its closing ']'")?;
        host_port.split_at(close + 1)
    } else {
        match host_port.find(':') {
            Some(colon) => host_port.split_at(colon),
            None => (host_port, ""),
        }
    };
    match after.strip_prefix(':') {
        Some(port) => Ok((host, Some(port))),
        None if after.is_empty() => Ok((host, None)),
        None => Err("unexpected text after the host"),
    }
}

/// A port as written in a URL: ASCII digits only, 1 to 65535.
pub(crate) fn checked_port(port: &str) -> Option<u16> {
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    port.parse::<u16>().ok().filter(|&p| p != 0)
}

/// The hosts in `NO_PROXY` (or `no_proxy`), lower case, without ports.
pub(super) fn no_proxy_from_env() -> Vec<String> {
    let value = std::env::var("NO_PROXY")
        .or_else(|_| std::env::var("no_proxy"))
        .unwrap_or_default();
    value
        .split(',')
        .map(|entry| {
            let entry = entry.trim().to_ascii_lowercase();
            // "host:port" and "[v6]:port": the port does not matter here.
            match entry.rsplit_once(':') {
                Some((host, port))
                    if port.chars().all(|c| c.is_ascii_digit()) && !host.is_empty() =>
                {
                    host.trim_start_matches('[')
                        .trim_end_matches(']')
                        .to_owned()
                }
                _ => entry
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_owned(),
            }
        })
        .filter(|entry| !entry.is_empty())
        .collect()
}

/// Whether `host` is exempt by a `NO_PROXY` list, as curl reads one: `*`
/// is every host; `example.com`, `.example.com` and `*.example.com` are that
/// domain and its subdomains.
pub(super) fn no_proxy_matches(no_proxy: &[String], host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    no_proxy.iter().any(|entry| {
        let domain = entry.trim_start_matches('*').trim_start_matches('.');
        entry == "*"
            || host.eq_ignore_ascii_case(domain)
            || (host.len() > domain.len()
                && host[host.len() - domain.len()..].eq_ignore_ascii_case(domain)
                && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
    })
}

impl UreqTransport {
    /// The proxy a request to `uri` goes through, if any: never for a plain
    /// `http://` request (its bytes, credentials included, would cross the
    /// proxy in clear), a loopback host, or a host `NO_PROXY` exempts.
    pub(super) fn proxy_for(&self, uri: &http::Uri) -> Option<&Proxied> {
        let proxied = self.proxied.as_ref()?;
        let host = uri.host()?;
        let exempt = uri.scheme_str() != Some("https")
            || crate::url::is_loopback(host)
            || no_proxy_matches(&proxied.no_proxy, host);
        (!exempt).then_some(proxied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> http::Uri {
        s.parse().unwrap()
    }

    #[test]
    fn only_https_to_a_host_that_is_not_loopback_goes_through_a_proxy() {
        let t = UreqTransport::builder()
            .proxy("http://user:pw@127.0.0.1:9")
            .build()
            .unwrap();
        assert!(t.proxy_for(&uri("https://api.genauth.ai/x")).is_some());
        for direct in [
            "http://api.genauth.ai/x",
            "http://intranet.example/x",
            "https://127.0.0.1:8443/x",
            "https://127.8.9.10/x",
            "https://localhost:1/x",
            "https://[::1]:1/x",
        ] {
            assert!(t.proxy_for(&uri(direct)).is_none(), "{direct}");
        }
        let shown = format!("{t:?}");
        assert!(
            shown.contains("http://127.0.0.1:9 (from the proxy setting)"),
            "{shown}"
        );
        assert!(!shown.contains("pw"), "{shown}");
        let none = UreqTransport::builder().no_proxy().build().unwrap();
        assert!(none.proxy_for(&uri("https://api.genauth.ai/x")).is_none());
    }

    #[test]
    fn no_proxy_entries_match_as_curl_reads_them() {
        let list = [
            "genauth.internal",
            ".corp.example",
            "*.lab.example",
            "10.1.2.3",
        ]
        .map(String::from);
        for host in [
            "genauth.internal",
            "api.genauth.internal",
            "x.corp.example",
            "corp.example",
            "a.b.lab.example",
            "10.1.2.3",
            "GENAUTH.INTERNAL",
        ] {
            assert!(no_proxy_matches(&list, host), "{host}");
        }
        for host in [
            "genauth.internal.evil",
            "xcorp.example",
            "api.genauth.ai",
            "10.1.2.30",
        ] {
            assert!(!no_proxy_matches(&list, host), "{host}");
        }
        assert!(no_proxy_matches(&["*".into()], "anything.example"));
    }

    #[test]
    fn a_bad_proxy_url_is_a_configuration_error_without_its_password() {
        let err = UreqTransport::builder()
            .proxy("ftp://u:hunter2@proxy")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn a_proxy_url_with_a_bad_port_is_a_configuration_error_naming_its_origin() {
        for bad in [
            "http://127.0.0.1:99999",
            "http://127.0.0.1:80a",
            "http://127.0.0.1:0",
            "http://127.0.0.1:",
            "http://127.0.0.1:+80",
            "http://127.0.0.1:-1",
            "http://127.0.0.1:\u{ff18}\u{ff10}",
            "socks5://u:pw@127.0.0.1:65536",
            "http://[::1]:99999",
            "http://[::1]:",
            "127.0.0.1:99999",
        ] {
            let err = proxy_from(bad, "HTTPS_PROXY").err();
            let shown = err.as_ref().map(ToString::to_string).unwrap_or_default();
            assert!(
                matches!(err, Some(Error::Config { .. })) && shown.contains("HTTPS_PROXY"),
                "{bad}: {err:?}"
            );
            assert!(shown.contains("port"), "{bad}: {shown}");
            assert!(!shown.contains(":pw@"), "{shown}");
        }
    }

    #[test]
    fn proxy_urls_are_read_as_curl_reads_them_and_shown_without_credentials() {
        for (url, shown) in [
            ("http://127.0.0.1:3128", "http://127.0.0.1:3128"),
            ("HTTP://Proxy.Example:3128/", "http://proxy.example:3128"),
            ("proxy.example:8080", "http://proxy.example:8080"),
            ("proxy.example", "http://proxy.example:80"),
            ("https://proxy.example", "https://proxy.example:443"),
            ("socks5://u:p@127.0.0.1:7890", "socks5://127.0.0.1:7890"),
            ("SOCKS5H://127.0.0.1", "socks5h://127.0.0.1:1080"),
            ("socks4a://127.0.0.1:1", "socks4a://127.0.0.1:1"),
            ("socks://127.0.0.1:1", "socks://127.0.0.1:1"),
            ("http://[::1]:3128", "http://[::1]:3128"),
            ("http://127.0.0.1:080", "http://127.0.0.1:80"),
        ] {
            let (_, got) = proxy_from(url, "ALL_PROXY").unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(got, format!("{shown} (from ALL_PROXY)"), "{url}");
        }
    }

    #[test]
    fn no_proxy_url_input_panics_and_unusable_ones_are_configuration_errors() {
        for bad in [
            "",
            " ",
            "ftp://proxy.example:21",
            "socks6://127.0.0.1:1",
            "http://",
            "http://:3128",
            "http://u:p@",
            "http://u:p@:1",
            "http://[",
            "http://[::1",
            "http://a:b:c",
            "http://127.0.0.1:1/path",
            "http://127.0.0.1:1?x=1",
            "http://127.0.0.1:1#f",
            "@",
            "://",
            "http:/127.0.0.1:1",
            "\0",
            "http://\u{e9}.example:1",
            "http://exa mple:1",
            "/relative",
        ] {
            let err = proxy_from(bad, "the proxy setting").err();
            assert!(
                matches!(err, Some(Error::Config { .. })),
                "{bad:?}: {err:?}"
            );
        }
    }
}
