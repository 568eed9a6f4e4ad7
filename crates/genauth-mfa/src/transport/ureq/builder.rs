//! [`UreqTransportBuilder`]: the default transport's settings, and the
//! ureq agents they build.

use std::fmt;
use std::time::Duration;

use super::proxy::{Proxied, ProxyChoice, no_proxy_from_env, proxy_from, proxy_from_env};
use super::request::OUTPUT_BUFFER;
use super::tls::{self, RootStore, read_added_ca_file};
use super::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_IDLE_CONNECTIONS, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT,
    IDLE_AGE, INPUT_BUFFER, LONGEST, MAX_RESPONSE_HEADER, UreqTransport, reuse,
};
use crate::error::Error;

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
    /// The longest a request may take when it carries no [`Deadline`](crate::Deadline)
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
    /// [`TransportErrorKind::BodyTooLarge`](crate::TransportErrorKind::BodyTooLarge). Zero fails `build()`.
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

    /// [`add_root_certificate_pem`](Self::add_root_certificate_pem) with
    /// the PEM file at `path`, read as `GENAUTH_CA_FILE` is: a regular file
    /// of at most 4 MiB (a FIFO, a device or a directory is refused before
    /// it is opened) holding at least one certificate.
    ///
    /// ```no_run
    /// use genauth_mfa::UreqTransport;
    ///
    /// let transport = UreqTransport::builder()
    ///     .add_root_certificate_file("/etc/company/ca.pem")?
    ///     .build()?;
    /// # let _ = transport;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Config`](crate::Error::Config) naming the file and why.
    pub fn add_root_certificate_file(
        self,
        path: impl AsRef<std::path::Path>,
    ) -> Result<Self, Error> {
        let path = path.as_ref();
        let pem = read_added_ca_file("CA file", &path.display().to_string())?;
        Ok(self.add_root_certificate_pem(pem))
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

    pub(super) fn tls_config(&self) -> Result<(ureq::tls::TlsConfig, tls::Trust), Error> {
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
