//! The default transport: one `ureq` agent, and everything that knows ureq.
//!
//! No ureq type appears in the crate's public API: this directory is the
//! only place that names ureq, so moving to another ureq major (or another
//! HTTP stack) touches nothing else. `mod.rs` is the transport and its
//! builder; `request.rs` how one request goes to ureq; `reuse.rs` which
//! requests may have gone out on a pooled connection; `tls.rs` the trusted
//! roots and certificate errors; `proxy.rs` the proxy variables and
//! `NO_PROXY`; `errors.rs` how a ureq error maps to a [`TransportError`].
//!
//! Only ureq's versioned API is used (nothing under `ureq::unversioned`, which
//! a minor release may change), so `ureq = "3.5"` lets a project that needs
//! a newer ureq 3.x resolve one. The price: ureq 3.5 resolves the host
//! before it looks for a pooled connection, and, with a timeout set (the
//! whole-call deadline always is), on a new thread for every call. 0.2 kept
//! each host's addresses in a resolver plugged in through `unversioned`;
//! BENCHMARKS.md says what dropping it cost.

mod errors;
mod proxy;
mod request;
mod reuse;
mod tls;

use std::fmt;
use std::time::{Duration, Instant};

use http::{Request, Response};

use crate::error::Error;
use crate::transport::{Deadline, Transport, TransportError, TransportErrorKind};

use errors::{closed_before_answer, map_connect_error, map_ureq_error};
use proxy::{Proxied, ProxyChoice, no_proxy_from_env, proxy_from, proxy_from_env};
use request::{OUTPUT_BUFFER, check_head, run};
pub use tls::RootStore;
pub(crate) use tls::read_added_ca_file;

/// The longest duration handed to ureq, which adds durations to `Instant`s
/// (and would panic on overflow): longer ones mean "no limit" in practice.
const LONGEST: Duration = Duration::from_secs(365 * 24 * 3600);

/// A deadline closer than the agent's own timeout by more than this is
/// applied to the request itself; within it, the agent's timeout is close
/// enough and the request needs no configuration of its own.
const DEADLINE_SLACK: Duration = Duration::from_millis(5);

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const DEFAULT_MAX_RESPONSE_BYTES: u64 = 4 * 1024 * 1024;
const DEFAULT_IDLE_CONNECTIONS: usize = 64;

/// Bytes read from a connection at a time (ureq's default is 128 KiB); an
/// answer of this API is a few hundred bytes, and each kept connection holds
/// one such buffer.
const INPUT_BUFFER: usize = 16 * 1024;
/// How long ureq keeps an idle connection (its default, set explicitly so
/// that the reuse bookkeeping agrees with it).
const IDLE_AGE: Duration = Duration::from_secs(15);
/// Response headers larger than this are a protocol error.
const MAX_RESPONSE_HEADER: usize = 8 * 1024;

/// The default transport: one [`ureq`](https://docs.rs/ureq) agent, built
/// once and shared by every clone of the client and every thread.
///
/// - TLS is always verified: Mozilla's bundled roots plus the roots you add,
///   or per [`RootStore`].
/// - Keeps up to [`DEFAULT_IDLE_CONNECTIONS`](UreqTransport::DEFAULT_IDLE_CONNECTIONS) idle connections per host
///   (configurable), so that many threads on one client each keep theirs,
///   and reuses them for 15 s of idleness; each holds 32 KiB of buffers.
/// - Timeouts: [`DEFAULT_CONNECT_TIMEOUT`](UreqTransport::DEFAULT_CONNECT_TIMEOUT) to connect; a request ends by its
///   [`Deadline`], or after [`DEFAULT_TIMEOUT`](UreqTransport::DEFAULT_TIMEOUT) without one.
/// - Bodies over [`DEFAULT_MAX_RESPONSE_BYTES`](UreqTransport::DEFAULT_MAX_RESPONSE_BYTES) are refused with
///   [`TransportErrorKind::BodyTooLarge`].
/// - Redirects are not followed (the API never redirects; a 3xx comes back as is).
/// - Proxies: from `ALL_PROXY`, `HTTPS_PROXY` or `HTTP_PROXY` (first set
///   wins, upper case before lower), minus the hosts in `NO_PROXY`; or
///   [`proxy`](UreqTransportBuilder::proxy) / [`no_proxy`](UreqTransportBuilder::no_proxy).
///   Loopback hosts and plain `http://` requests never go through a proxy.
///   HTTP CONNECT and SOCKS4/4a/5/5h proxies are supported.
#[derive(Clone)]
pub struct UreqTransport {
    direct: ureq::Agent,
    proxied: Option<Proxied>,
    /// The agents' whole-request timeout.
    timeout: Duration,
    max_response_bytes: u64,
    /// What the agents trust, for the hints of certificate errors.
    trust: tls::Trust,
    /// Which hosts may have idle pooled connections (shared by clones, as
    /// the agents' pools are).
    kept_alive: std::sync::Arc<reuse::KeptAlive>,
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
    /// The default timeout of one request when the transport is used on its
    /// own (the clients give it their whole-call timeout).
    pub const DEFAULT_TIMEOUT: Duration = DEFAULT_TIMEOUT;
    /// The default connect timeout (DNS, TCP and TLS handshake).
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = DEFAULT_CONNECT_TIMEOUT;
    /// The default limit on a response body.
    pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = DEFAULT_MAX_RESPONSE_BYTES;
    /// How many idle kept-alive connections the default transport keeps per
    /// host unless told otherwise: enough for a batch job of 64 threads.
    pub const DEFAULT_IDLE_CONNECTIONS: usize = DEFAULT_IDLE_CONNECTIONS;

    /// The default transport with default settings, or [`Error::Config`]
    /// when a proxy variable holds no usable proxy URL.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the proxy variable that cannot be used.
    pub fn new() -> Result<Self, Error> {
        UreqTransportBuilder::default().build()
    }

    /// Settings for the default transport, to build one yourself and pass
    /// it to a client's [`transport`](crate::builder::ClientBuilder::transport).
    ///
    /// ```
    /// let transport = genauth_mfa::UreqTransport::builder()
    ///     .max_idle_connections(8)
    ///     .build()?;
    /// # let _ = transport;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
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
    /// `GENAUTH_CA_FILE` (from [`read_env`](Self::read_env)): read at `build()`.
    ca_file: Option<String>,
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
            .field("ca_file", &self.ca_file)
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
            ca_file: None,
        }
    }
}

impl UreqTransportBuilder {
    /// The longest a request may take when it carries no [`Deadline`]
    /// (default [`DEFAULT_TIMEOUT`](UreqTransport::DEFAULT_TIMEOUT)). A
    /// request that carries one (every request of the clients: their
    /// whole-call timeout) ends by its deadline instead, nearer or further.
    /// Zero fails `build()`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let transport = genauth_mfa::UreqTransport::builder()
    ///     .timeout(Duration::from_secs(10))
    ///     .build()?;
    /// # let _ = transport;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The deadline to connect: DNS, TCP and TLS handshake (default
    /// [`DEFAULT_CONNECT_TIMEOUT`](UreqTransport::DEFAULT_CONNECT_TIMEOUT)).
    /// Zero fails `build()`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let transport = genauth_mfa::UreqTransport::builder()
    ///     .connect_timeout(Duration::from_secs(2))
    ///     .build()?;
    /// # let _ = transport;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The largest response body accepted, in bytes (default
    /// [`DEFAULT_MAX_RESPONSE_BYTES`](UreqTransport::DEFAULT_MAX_RESPONSE_BYTES),
    /// 4 MiB); a larger one fails with
    /// [`TransportErrorKind::BodyTooLarge`]. Zero fails `build()`.
    ///
    /// ```
    /// let transport = genauth_mfa::UreqTransport::builder()
    ///     .max_response_bytes(1024 * 1024)
    ///     .build()?;
    /// # let _ = transport;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// How many idle kept-alive connections to keep per host (default
    /// [`DEFAULT_IDLE_CONNECTIONS`](UreqTransport::DEFAULT_IDLE_CONNECTIONS)).
    /// Set it to the number of threads that share the client, so that each
    /// keeps its connection between calls.
    ///
    /// ```
    /// let threads = 16;
    /// let transport = genauth_mfa::UreqTransport::builder()
    ///     .max_idle_connections(threads) // one kept connection per thread
    ///     .build()?;
    /// # let _ = transport;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn max_idle_connections(mut self, per_host: usize) -> Self {
        self.max_idle_connections = per_host;
        self
    }

    /// Trusts the root certificate(s) in `pem` (one or more
    /// `-----BEGIN CERTIFICATE-----` blocks), for a private deployment or a
    /// company network with its own CA, in addition to the bundled roots
    /// unless [`root_store`](Self::root_store) says
    /// [`RootStore::AddedOnly`]. There is no way to turn verification off.
    /// A PEM without a readable certificate fails `build()` with
    /// [`Error::Config`].
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
    #[must_use]
    pub fn add_root_certificate_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.root_certificates_pem.push(pem.as_ref().to_vec());
        self
    }

    /// Which certificate authorities to trust (default [`RootStore::Bundled`]).
    ///
    /// ```no_run
    /// use genauth_mfa::{RootStore, UreqTransport};
    ///
    /// // The company CA only, not the public roots.
    /// let transport = UreqTransport::builder()
    ///     .root_store(RootStore::AddedOnly)
    ///     .add_root_certificate_pem(std::fs::read("/etc/company/ca.pem")?)
    ///     .build()?;
    /// # let _ = transport;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn root_store(mut self, store: RootStore) -> Self {
        self.root_store = store;
        self
    }

    /// Sends every https request to a host that is not loopback through
    /// this proxy, whatever the environment says: an HTTP CONNECT proxy
    /// (`http://[user:password@]host:port`, or `https://`) or a SOCKS proxy
    /// (`socks4://`, `socks4a://`, `socks5://`, `socks5h://`; the `h` and
    /// `a` forms let the proxy resolve the host name). A port, when given,
    /// must be 1 to 65535, or `build()` fails. Loopback hosts and plain
    /// `http://` requests never go through a proxy. Its credentials never
    /// appear in an error or `Debug`.
    ///
    /// ```
    /// let transport = genauth_mfa::UreqTransport::builder()
    ///     .proxy("http://proxy.example.com:3128")
    ///     .build()?;
    /// # let _ = transport;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = ProxyChoice::Url(url.into());
        self
    }

    /// Goes straight to the server, whatever the proxy variables say.
    ///
    /// ```
    /// let transport = genauth_mfa::UreqTransport::builder().no_proxy().build()?;
    /// # let _ = transport;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn no_proxy(mut self) -> Self {
        self.proxy = ProxyChoice::None;
        self
    }

    /// Takes what the clients' `read_env` gives the transport they build
    /// themselves, so that a transport you build and pass to
    /// [`transport`](crate::builder::ClientBuilder::transport) behaves as
    /// theirs would: `GENAUTH_CA_FILE` (the PEM file of root certificates
    /// it names is trusted as
    /// [`add_root_certificate_pem`](Self::add_root_certificate_pem) would,
    /// read and checked by `build()`) and `GENAUTH_TIMEOUT` (as
    /// [`timeout`](Self::timeout): the longest one attempt may take; the
    /// client bounds the whole call). Setters called after this one win.
    /// (The proxy variables and `SSL_CERT_FILE` / `SSL_CERT_DIR` are read
    /// by `build()` in any case, unless [`proxy`](Self::proxy),
    /// [`no_proxy`](Self::no_proxy) or [`root_store`](Self::root_store)
    /// say otherwise.)
    ///
    /// ```no_run
    /// use genauth_mfa::{ManagementClient, UreqTransport};
    ///
    /// let threads = 16;
    /// let transport = UreqTransport::builder()
    ///     .read_env()? // GENAUTH_CA_FILE and GENAUTH_TIMEOUT, as the client's own
    ///     .max_idle_connections(threads)
    ///     .build()?;
    /// let mgmt = ManagementClient::builder().read_env()?.transport(transport).build()?;
    /// # let _ = mgmt;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when either variable is set but empty, or
    /// `GENAUTH_TIMEOUT` is not a number of seconds from 0.001 to 86400.
    pub fn read_env(mut self) -> Result<Self, Error> {
        if let Some(path) = crate::env::genauth_var("GENAUTH_CA_FILE", "the path of a PEM file")? {
            self.ca_file = Some(path);
        }
        if let Some(timeout) = crate::env::env_timeout()? {
            self.timeout = timeout;
        }
        Ok(self)
    }

    /// Trusts the roots in the PEM file at `path` (the client's
    /// `GENAUTH_CA_FILE`), read by `build()`.
    pub(crate) fn ca_file(mut self, path: Option<String>) -> Self {
        self.ca_file = path;
        self
    }

    /// Builds the transport.
    ///
    /// ```
    /// let transport = genauth_mfa::UreqTransport::builder().build()?;
    /// # let _ = transport;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when a timeout or the body limit is zero; a root
    /// certificate PEM holds no readable certificate; the `GENAUTH_CA_FILE`
    /// file cannot be read or holds none; the root store cannot be had as
    /// asked; or the proxy URL (given, or from a proxy variable, which the
    /// error names) is unusable.
    pub fn build(mut self) -> Result<UreqTransport, Error> {
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(Error::config("timeouts must be greater than zero"));
        }
        if self.max_response_bytes == 0 {
            return Err(Error::config(
                "max_response_bytes must be greater than zero",
            ));
        }
        if let Some(path) = self.ca_file.take() {
            let pem = read_added_ca_file("GENAUTH_CA_FILE", &path)?;
            self.root_certificates_pem.push(pem);
        }
        let (tls, trust) = self.tls_config()?;
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
            trust,
            kept_alive: std::sync::Arc::new(reuse::KeptAlive::new(IDLE_AGE)),
        })
    }

    fn tls_config(&self) -> Result<(ureq::tls::TlsConfig, tls::Trust), Error> {
        tls::tls_config(self.root_store, &self.root_certificates_pem)
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
            .max_idle_age(IDLE_AGE)
            .input_buffer_size(INPUT_BUFFER)
            .output_buffer_size(OUTPUT_BUFFER)
            .max_response_header_size(MAX_RESPONSE_HEADER)
            .user_agent(self.user_agent.clone())
            .build();
        ureq::Agent::new_with_config(config)
    }
}

impl Transport for UreqTransport {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        let deadline = request.extensions().get::<Deadline>().map(|d| d.0);
        let left = self.time_left(deadline)?;
        check_head(&request)?;
        let proxy = self.proxy_for(request.uri());
        let agent = proxy.map_or(&self.direct, |p| &p.agent);
        let host = request.uri().authority().cloned();
        let host = host.as_ref().map_or("", |a| a.as_str());
        // A request safe to repeat is kept: if it went out on a pooled
        // connection that the server had dropped (closed before any answer,
        // and connections to this host were pooled: asked after the
        // failure, as another thread may have pooled one just before this
        // request took it), it goes again at once on a new connection,
        // without costing an attempt of the retry policy.
        let again = reuse::repeatable(&request).then(|| reuse::copy(&request));
        let response = match (run(agent, request, left, false), again) {
            (Err(e), Some(again))
                if closed_before_answer(&e) && self.kept_alive.may_reuse(host) =>
            {
                log::debug!(
                    target: "genauth_mfa",
                    "a kept-alive connection to {host} was closed by the server; sending again on a new one"
                );
                run(agent, again, self.time_left(deadline)?, true)
            }
            (result, _) => result,
        }
        .map_err(|e| {
            let e = map_connect_error(e, proxy, &self.trust);
            // Say which host could not be reached (a proxy's error names
            // the proxy instead).
            match e.kind() {
                TransportErrorKind::Connect | TransportErrorKind::Tls if proxy.is_none() => {
                    let detail = match e.detail() {
                        Some(detail) => format!("to {host} {detail}"),
                        None => format!("to {host}"),
                    };
                    e.with_detail(detail)
                }
                _ => e,
            }
        })?;
        // Noted before the body is read: ureq puts the connection back in its
        // pool at the end of the body, where another thread may take it at once.
        if reuse::keeps_alive(&response) {
            self.kept_alive.kept(host);
        }
        let (parts, mut body) = response.into_parts();
        let bytes = body
            .with_config()
            .limit(self.max_response_bytes)
            .read_to_vec()
            .map_err(|e| map_ureq_error(e, true, &self.trust))?;
        Ok(Response::from_parts(parts, bytes))
    }
}

impl UreqTransport {
    /// What is left of the whole-call deadline, when it is nearer than the
    /// agent's own timeout (the request then gets it as its timeout); an
    /// error when it has passed.
    fn time_left(&self, deadline: Option<Instant>) -> Result<Option<Duration>, TransportError> {
        match deadline.map(|at| at.checked_duration_since(Instant::now())) {
            None => Ok(None),
            Some(Some(left)) if !left.is_zero() => {
                Ok((left + DEADLINE_SLACK < self.timeout).then_some(left))
            }
            Some(_) => Err(TransportError::from_kind(TransportErrorKind::Timeout)
                .with_detail("(the whole-call timeout passed before this attempt)")),
        }
    }
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
}
