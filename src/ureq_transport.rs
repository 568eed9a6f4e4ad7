//! The default transport: one `ureq` agent, and everything that knows ureq.
//!
//! No ureq type appears in the crate's public API: this file is the only one
//! that names ureq, so moving to another ureq major (or another HTTP stack)
//! touches nothing else.
//!
//! **Why `ureq = "~3.5"`**: ureq 3.5 resolves the host before it looks for a
//! pooled connection, and when any timeout is set it resolves on a new thread
//! for every call, even on a kept-alive connection. The `CachingResolver`
//! below avoids that, and plugs in through ureq's `unversioned` API, which a
//! minor release may change: move the pin up deliberately, after a look here.

use std::fmt;
use std::io;
use std::time::{Duration, Instant};

use http::{Request, Response};

use crate::error::Error;
use crate::transport::{Deadline, Transport, TransportError, TransportErrorKind};

/// The longest duration handed to ureq, which adds durations to `Instant`s
/// (and would panic on overflow): longer ones mean "no limit" in practice.
const LONGEST: Duration = Duration::from_secs(365 * 24 * 3600);

/// A deadline closer than the agent's own timeout by more than this is
/// applied to the request itself; within it, the agent's timeout is close
/// enough and the request needs no configuration of its own.
const DEADLINE_SLACK: Duration = Duration::from_millis(5);

/// The default timeout of one request when the transport is used on its
/// own (the clients give it their whole-call timeout).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default connect timeout (DNS, TCP and TLS handshake).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The default limit on a response body.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 4 * 1024 * 1024;
/// How many idle kept-alive connections the default transport keeps per
/// host unless told otherwise: enough for a batch job of 64 threads.
pub const DEFAULT_IDLE_CONNECTIONS: usize = 64;

/// Bytes read from a connection at a time (ureq's default is 128 KiB); an
/// answer of this API is a few hundred bytes, and each kept connection holds
/// one such buffer.
const INPUT_BUFFER: usize = 16 * 1024;
/// Bytes written at a time (ureq's default is 128 KiB).
const OUTPUT_BUFFER: usize = 8 * 1024;
/// Response headers larger than this are a protocol error.
const MAX_RESPONSE_HEADER: usize = 8 * 1024;

/// Which certificate authorities the default transport trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum RootStore {
    /// Mozilla's roots, bundled in the binary (the `webpki-roots` set), plus
    /// any root you add. The default: the same on every machine, and works
    /// in minimal containers with no system certificates.
    #[default]
    Bundled,
    /// Only the roots you add (`add_root_certificate_pem`, `GENAUTH_CA_FILE`).
    AddedOnly,
    /// The operating system's trust store and verifier (where a company CA
    /// usually is already installed), through `rustls-platform-verifier`.
    /// Needs the crate feature `platform-verifier`; cannot be combined with
    /// added roots.
    Platform,
}

/// Where the default transport sends its requests.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
enum ProxyChoice {
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
struct Proxied {
    agent: ureq::Agent,
    shown: String,
    no_proxy: Vec<String>,
}

/// The default transport: one [`ureq`](https://docs.rs/ureq) agent, built
/// once and shared by every clone of the client and every thread.
///
/// - TLS is always verified: Mozilla's bundled roots plus the roots you add,
///   or per [`RootStore`].
/// - Keeps up to [`DEFAULT_IDLE_CONNECTIONS`] idle connections per host
///   (configurable), so that many threads on one client each keep theirs,
///   and reuses them for 15 s of idleness; each holds 24 KiB of buffers.
/// - Timeouts: [`DEFAULT_CONNECT_TIMEOUT`] to connect; a request ends by its
///   [`Deadline`], or after [`DEFAULT_TIMEOUT`] without one.
/// - Bodies over [`DEFAULT_MAX_RESPONSE_BYTES`] are refused with
///   [`TransportErrorKind::BodyTooLarge`].
/// - Redirects are not followed (the API never redirects; a 3xx comes back as is).
/// - Proxies: from `ALL_PROXY`, `HTTPS_PROXY` or `HTTP_PROXY` (first set
///   wins, upper case before lower), minus the hosts in `NO_PROXY`; or
///   [`proxy`](UreqTransportBuilder::proxy) / [`no_proxy`](UreqTransportBuilder::no_proxy).
///   Loopback hosts and plain `http://` requests never go through a proxy.
#[derive(Clone)]
pub struct UreqTransport {
    direct: ureq::Agent,
    proxied: Option<Proxied>,
    /// The agents' whole-request timeout.
    timeout: Duration,
    max_response_bytes: u64,
}

impl fmt::Debug for UreqTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UreqTransport")
            .field("proxy", &self.proxied.as_ref().map(|p| &p.shown))
            .field("timeout", &self.timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish_non_exhaustive()
    }
}

impl UreqTransport {
    /// The default transport with default settings, or [`Error::Config`]
    /// when a proxy variable holds no usable proxy URL.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the proxy variable that cannot be used.
    pub fn new() -> Result<Self, Error> {
        UreqTransportBuilder::default().build()
    }

    /// Settings for the default transport.
    pub fn builder() -> UreqTransportBuilder {
        UreqTransportBuilder::default()
    }
}

/// Settings for [`UreqTransport`], for when you build the transport
/// yourself (to wrap it, or to share one between clients).
///
/// ```
/// use std::time::Duration;
/// use genauth_mfa::{ManagementClient, UreqTransport};
///
/// let transport = UreqTransport::builder()
///     .connect_timeout(Duration::from_secs(2))
///     .max_response_bytes(1024 * 1024)
///     .max_idle_connections(8)
///     .no_proxy()
///     .build()?;
/// let mgmt = ManagementClient::builder()
///     .access_key_id("ACCESS_KEY_ID")
///     .access_key_secret("ACCESS_KEY_SECRET")
///     .transport(transport)
///     .build()?;
/// # let _ = mgmt;
/// # Ok::<(), genauth_mfa::Error>(())
/// ```
#[derive(Clone)]
pub struct UreqTransportBuilder {
    timeout: Duration,
    connect_timeout: Duration,
    max_response_bytes: u64,
    max_idle_connections: usize,
    user_agent: String,
    root_certificates_pem: Vec<Vec<u8>>,
    root_store: RootStore,
    proxy: ProxyChoice,
}

impl fmt::Debug for UreqTransportBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proxy = match &self.proxy {
            ProxyChoice::Url(url) => Some(crate::url::redact_userinfo(url)),
            _ => None,
        };
        f.debug_struct("UreqTransportBuilder")
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("max_idle_connections", &self.max_idle_connections)
            .field("root_certificates", &self.root_certificates_pem.len())
            .field("root_store", &self.root_store)
            .field("proxy_url", &proxy)
            .field("no_proxy", &(self.proxy == ProxyChoice::None))
            .finish()
    }
}

impl Default for UreqTransportBuilder {
    fn default() -> Self {
        UreqTransportBuilder {
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_idle_connections: DEFAULT_IDLE_CONNECTIONS,
            user_agent: crate::USER_AGENT.to_owned(),
            root_certificates_pem: Vec::new(),
            root_store: RootStore::Bundled,
            proxy: ProxyChoice::FromEnv,
        }
    }
}

impl UreqTransportBuilder {
    /// The longest a request may take when it carries no [`Deadline`]
    /// (the clients always give one: their whole-call timeout).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The deadline to connect (DNS, TCP and TLS handshake).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The largest response body accepted, in bytes.
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// How many idle kept-alive connections to keep per host (default
    /// [`DEFAULT_IDLE_CONNECTIONS`]). Set it to the number of threads that
    /// share the client, so that each keeps its connection between calls.
    pub fn max_idle_connections(mut self, per_host: usize) -> Self {
        self.max_idle_connections = per_host;
        self
    }

    /// Trusts the root certificate(s) in `pem` (one or more
    /// `-----BEGIN CERTIFICATE-----` blocks), in addition to the bundled
    /// roots unless [`root_store`](Self::root_store) says
    /// [`RootStore::AddedOnly`].
    ///
    /// ```no_run
    /// use genauth_mfa::UreqTransport;
    ///
    /// let pem = std::fs::read("/etc/company/ca.pem").expect("the company CA");
    /// let transport = UreqTransport::builder()
    ///     .add_root_certificate_pem(pem)
    ///     .build()?;
    /// # let _ = transport;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn add_root_certificate_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.root_certificates_pem.push(pem.as_ref().to_vec());
        self
    }

    /// Which certificate authorities to trust (default [`RootStore::Bundled`]).
    pub fn root_store(mut self, store: RootStore) -> Self {
        self.root_store = store;
        self
    }

    /// Sends every https request to a host that is not loopback through
    /// this proxy (`http://[user:password@]host:port`), whatever the
    /// environment says. Its credentials never appear in an error or `Debug`.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = ProxyChoice::Url(url.into());
        self
    }

    /// Goes straight to the server, whatever the proxy variables say.
    pub fn no_proxy(mut self) -> Self {
        self.proxy = ProxyChoice::None;
        self
    }

    /// Builds the transport.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when a timeout, the body limit or the idle
    /// connections is zero; a root certificate PEM holds no readable
    /// certificate; the root store cannot be had as asked; or the proxy URL
    /// (given, or from a proxy variable, which the error names) is unusable.
    pub fn build(self) -> Result<UreqTransport, Error> {
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(Error::config("timeouts must be greater than zero"));
        }
        if self.max_response_bytes == 0 {
            return Err(Error::config(
                "max_response_bytes must be greater than zero",
            ));
        }
        let tls = self.tls_config()?;
        let proxy = match &self.proxy {
            ProxyChoice::None => None,
            ProxyChoice::Url(url) => Some(proxy_from(url, "the proxy setting")?),
            ProxyChoice::FromEnv => proxy_from_env()?,
        };
        let direct = self.agent(tls.clone(), None);
        let proxied = proxy.map(|(proxy, shown)| Proxied {
            agent: self.agent(tls, Some(proxy)),
            shown,
            no_proxy: if self.proxy == ProxyChoice::FromEnv {
                no_proxy_from_env()
            } else {
                Vec::new()
            },
        });
        Ok(UreqTransport {
            direct,
            proxied,
            timeout: self.timeout.min(LONGEST),
            max_response_bytes: self.max_response_bytes,
        })
    }

    fn tls_config(&self) -> Result<ureq::tls::TlsConfig, Error> {
        let added = root_certificates(&self.root_certificates_pem)?;
        let roots = match (self.root_store, added.is_empty()) {
            (RootStore::Bundled, true) => ureq::tls::RootCerts::WebPki,
            (RootStore::Bundled, false) => {
                // The bundle as certificates (webpki-root-certs, the DER
                // twin of the webpki-roots set ureq uses) plus the added ones.
                let mut all: Vec<ureq::tls::Certificate<'static>> =
                    webpki_root_certs::TLS_SERVER_ROOT_CERTS
                        .iter()
                        .map(|der| ureq::tls::Certificate::from_der(der.as_ref()))
                        .collect();
                all.extend(added);
                ureq::tls::RootCerts::from(all)
            }
            (RootStore::AddedOnly, false) => ureq::tls::RootCerts::from(added),
            (RootStore::AddedOnly, true) => {
                return Err(Error::config(
                    "RootStore::AddedOnly needs at least one root certificate",
                ));
            }
            (RootStore::Platform, true) => platform_roots()?,
            (RootStore::Platform, false) => {
                return Err(Error::config(
                    "RootStore::Platform cannot be combined with added root certificates: \
                     add the CA to the system's trust store, or use RootStore::Bundled",
                ));
            }
        };
        Ok(ureq::tls::TlsConfig::builder().root_certs(roots).build())
    }

    /// An agent with these settings, going through `proxy` if given.
    fn agent(&self, tls: ureq::tls::TlsConfig, proxy: Option<ureq::Proxy>) -> ureq::Agent {
        let idle = self.max_idle_connections.max(1);
        let config = ureq::Agent::config_builder()
            .tls_config(tls)
            .proxy(proxy)
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(self.timeout.min(LONGEST)))
            .timeout_connect(Some(self.connect_timeout.min(LONGEST)))
            .max_idle_connections(idle.saturating_mul(4))
            .max_idle_connections_per_host(idle)
            .input_buffer_size(INPUT_BUFFER)
            .output_buffer_size(OUTPUT_BUFFER)
            .max_response_header_size(MAX_RESPONSE_HEADER)
            .user_agent(self.user_agent.clone())
            .build();
        ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::new(),
            CachingResolver::default(),
        )
    }
}

#[cfg(feature = "platform-verifier")]
fn platform_roots() -> Result<ureq::tls::RootCerts, Error> {
    Ok(ureq::tls::RootCerts::PlatformVerifier)
}

#[cfg(not(feature = "platform-verifier"))]
fn platform_roots() -> Result<ureq::tls::RootCerts, Error> {
    Err(Error::config(
        "RootStore::Platform needs the crate feature `platform-verifier`",
    ))
}

/// The proxy named by the first proxy variable that is set and not empty.
fn proxy_from_env() -> Result<Option<(ureq::Proxy, String)>, Error> {
    for var in PROXY_VARS {
        if let Some(value) = std::env::var(var).ok().filter(|v| !v.trim().is_empty()) {
            return proxy_from(value.trim(), var).map(Some);
        }
    }
    Ok(None)
}

/// A ureq proxy for `url`, and how to show it: `scheme://host:port (from
/// <origin>)`, never with credentials.
fn proxy_from(url: &str, origin: &str) -> Result<(ureq::Proxy, String), Error> {
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
fn no_proxy_from_env() -> Vec<String> {
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
fn no_proxy_matches(no_proxy: &[String], host: &str) -> bool {
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
    fn proxy_for(&self, uri: &http::Uri) -> Option<&Proxied> {
        let proxied = self.proxied.as_ref()?;
        let host = uri.host()?;
        let exempt = uri.scheme_str() != Some("https")
            || crate::url::is_loopback(host)
            || no_proxy_matches(&proxied.no_proxy, host);
        (!exempt).then_some(proxied)
    }
}

impl Transport for UreqTransport {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        // A request whose whole-call deadline is nearer than the agent's own
        // timeout gets what is left of it as its timeout.
        let left = match request.extensions().get::<Deadline>() {
            None => None,
            Some(Deadline(at)) => match at.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => {
                    (left + DEADLINE_SLACK < self.timeout).then_some(left)
                }
                _ => {
                    return Err(TransportError::from_kind(TransportErrorKind::Timeout)
                        .with_detail("(the whole-call timeout passed before this attempt)"));
                }
            },
        };
        let proxy = self.proxy_for(request.uri());
        let agent = proxy.map_or(&self.direct, |p| &p.agent);
        let (parts, body) = request.into_parts();
        let response = if body.is_empty() {
            // `()` sends no body and no content-length, as a GET should.
            run(agent, Request::from_parts(parts, ()), left)
        } else {
            run(agent, Request::from_parts(parts, body), left)
        }
        .map_err(|e| map_connect_error(e, proxy))?;
        let (parts, mut body) = response.into_parts();
        let bytes = body
            .with_config()
            .limit(self.max_response_bytes)
            .read_to_vec()
            .map_err(|e| map_ureq_error(e, true))?;
        Ok(Response::from_parts(parts, bytes))
    }
}

fn run<B: ureq::AsSendBody>(
    agent: &ureq::Agent,
    request: Request<B>,
    timeout: Option<Duration>,
) -> Result<Response<ureq::Body>, ureq::Error> {
    match timeout {
        None => agent.run(request),
        Some(left) => {
            let request = agent
                .configure_request(request)
                .timeout_global(Some(left))
                .build();
            agent.run(request)
        }
    }
}

/// Maps an error before the response: through a proxy, a failure to
/// connect is the proxy's and names it.
fn map_connect_error(err: ureq::Error, proxy: Option<&Proxied>) -> TransportError {
    let mapped = map_ureq_error(err, false);
    match proxy {
        Some(p) if mapped.kind() == TransportErrorKind::Connect => mapped
            .with_kind(TransportErrorKind::Proxy)
            .with_detail(p.shown.clone()),
        _ => mapped,
    }
}

/// How long a host's resolved addresses are reused.
const RESOLVE_TTL: Duration = Duration::from_secs(30);

/// ureq resolves the host before it looks for a pooled connection, and with
/// a timeout set it does so on a new thread: every call, even on a kept-alive
/// connection, paid a thread spawn (and, for a host name, a DNS lookup).
/// This resolver keeps each host's addresses for [`RESOLVE_TTL`], so a call
/// on a pooled connection resolves nothing, and a new connection still sees
/// DNS changes within that time.
#[derive(Debug, Default)]
struct CachingResolver {
    inner: ureq::unversioned::resolver::DefaultResolver,
    cache:
        std::sync::RwLock<std::collections::HashMap<String, (std::time::Instant, ResolvedAddrs)>>,
}

type ResolvedAddrs = ureq::unversioned::resolver::ResolvedSocketAddrs;

impl ureq::unversioned::resolver::Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ResolvedAddrs, ureq::Error> {
        let key = uri.authority().map_or("", |a| a.as_str());
        {
            let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
            if let Some((at, addrs)) = cache.get(key) {
                if at.elapsed() < RESOLVE_TTL {
                    return Ok(addrs.clone());
                }
            }
        }
        let addrs = self.inner.resolve(uri, config, timeout)?;
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= 64 {
            cache.retain(|_, (at, _)| at.elapsed() < RESOLVE_TTL);
        }
        cache.insert(key.to_owned(), (std::time::Instant::now(), addrs.clone()));
        Ok(addrs)
    }
}

/// The certificates in the PEM blocks; a block that is not a certificate, or
/// none at all, is a configuration error.
fn root_certificates(pems: &[Vec<u8>]) -> Result<Vec<ureq::tls::Certificate<'static>>, Error> {
    // (Each PEM given must hold at least one certificate.)
    let mut certs = Vec::new();
    for pem in pems {
        let before = certs.len();
        for item in ureq::tls::parse_pem(pem) {
            match item {
                Ok(ureq::tls::PemItem::Certificate(cert)) => certs.push(cert),
                Ok(_) => {
                    return Err(Error::config(
                        "a root certificate PEM holds something other than certificates",
                    ));
                }
                Err(e) => {
                    return Err(Error::config(format!(
                        "unreadable root certificate PEM: {e}"
                    )));
                }
            }
        }
        if certs.len() == before {
            return Err(Error::config("a root certificate PEM holds no certificate"));
        }
    }
    Ok(certs)
}

/// Checks that `pem` holds readable certificates and nothing else, as
/// `add_root_certificate_pem` needs.
pub(crate) fn check_root_certificate_pem(pem: &[u8]) -> Result<(), Error> {
    root_certificates(&[pem.to_vec()]).map(drop)
}

/// A TLS failure; one about the certificate says how to trust a private CA.
fn tls_error(err: ureq::Error) -> TransportError {
    let about_certificate = err.to_string().to_ascii_lowercase().contains("certificate");
    let tls = TransportError::new(TransportErrorKind::Tls, err);
    if about_certificate {
        tls.with_detail(
            "(the server's certificate is not trusted: for a private or company CA, \
             set GENAUTH_CA_FILE to its PEM file or call add_root_certificate_pem)",
        )
    } else {
        tls
    }
}

/// Maps a ureq error to ours; `in_body` says whether the response had started.
fn map_ureq_error(err: ureq::Error, in_body: bool) -> TransportError {
    use TransportErrorKind as K;
    let kind = match &err {
        ureq::Error::Timeout(_) => K::Timeout,
        ureq::Error::Protocol(_) | ureq::Error::LargeResponseHeader(..) => K::Protocol,
        ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::ConnectProxyFailed(_) => K::Connect,
        ureq::Error::BodyExceedsLimit(_) => K::BodyTooLarge,
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => {
            return tls_error(err);
        }
        ureq::Error::BadUri(_) | ureq::Error::Http(_) | ureq::Error::RequireHttpsOnly(_) => {
            K::Request
        }
        ureq::Error::Io(io) => match io.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => K::Timeout,
            io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound => K::Connect,
            _ if in_body => K::Body,
            // rustls reports a refused certificate or a failed handshake this way.
            io::ErrorKind::InvalidData => return tls_error(err),
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof => K::ConnectionClosed,
            _ => K::Other,
        },
        _ if in_body => K::Body,
        _ => K::Other,
    };
    TransportError::new(kind, err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_timeouts_and_limits_are_refused() {
        assert!(
            UreqTransport::builder()
                .timeout(Duration::ZERO)
                .build()
                .is_err()
        );
        assert!(
            UreqTransport::builder()
                .max_response_bytes(0)
                .build()
                .is_err()
        );
        assert!(UreqTransport::builder().build().is_ok());
    }

    #[test]
    fn bad_root_certificates_are_configuration_errors() {
        for pem in [
            &b""[..],
            b"not a pem",
            b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
        ] {
            let err = UreqTransport::builder()
                .add_root_certificate_pem(pem)
                .build()
                .unwrap_err();
            assert!(matches!(err, Error::Config { .. }), "{err:?}");
        }
    }

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
    fn added_roots_are_trusted_in_addition_to_the_bundle_unless_told_otherwise() {
        const CA: &[u8] = include_bytes!("../tests/data/test-ca.pem");
        let bundled = UreqTransport::builder()
            .add_root_certificate_pem(CA)
            .tls_config()
            .unwrap();
        let only = UreqTransport::builder()
            .add_root_certificate_pem(CA)
            .root_store(RootStore::AddedOnly)
            .tls_config()
            .unwrap();
        let count = |tls: &ureq::tls::TlsConfig| match tls.root_certs() {
            ureq::tls::RootCerts::Specific(certs) => certs.len(),
            _ => 0,
        };
        assert!(count(&bundled) > 100, "{}", count(&bundled));
        assert_eq!(count(&only), 1);
        assert!(
            UreqTransport::builder()
                .root_store(RootStore::AddedOnly)
                .build()
                .is_err()
        );
        assert!(
            UreqTransport::builder()
                .add_root_certificate_pem(CA)
                .root_store(RootStore::Platform)
                .build()
                .is_err()
        );
    }

    #[test]
    fn connection_refused_is_a_connect_error() {
        // Bind then drop a listener: the port is (almost certainly) closed now.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let req = Request::get(format!("http://127.0.0.1:{port}/"))
            .body(Vec::new())
            .unwrap();
        let err = UreqTransport::builder()
            .no_proxy()
            .build()
            .unwrap()
            .send(req)
            .unwrap_err();
        assert_eq!(err.kind(), TransportErrorKind::Connect, "{err}");
    }
}
