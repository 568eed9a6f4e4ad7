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

/// The proxy named by the first proxy variable that is set and not empty.
pub(super) fn proxy_from_env() -> Result<Option<(ureq::Proxy, String)>, Error> {
    for var in PROXY_VARS {
        if let Some(value) = std::env::var(var).ok().filter(|v| !v.trim().is_empty()) {
            return proxy_from(value.trim(), var).map(Some);
        }
    }
    Ok(None)
}

/// A ureq proxy for `url`, and how to show it: `scheme://host:port (from
/// <origin>)`, never with credentials.
pub(super) fn proxy_from(url: &str, origin: &str) -> Result<(ureq::Proxy, String), Error> {
    let proxy = ureq::Proxy::new(url).map_err(|_| {
        Error::config(format!(
            "{origin} is not a proxy URL such as http://proxy.example:3128: {:?}",
            crate::url::redact_userinfo(url)
        ))
    })?;
    let scheme = url.split_once("://").map_or("http", |(s, _)| s);
    let shown = format!(
        "{scheme}://{}:{} (from {origin})",
        proxy.host(),
        proxy.port()
    );
    Ok((proxy, shown))
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
}
