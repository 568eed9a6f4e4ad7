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

/// The default whole-call timeout: connect, send, and read the whole answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default connect timeout (DNS, TCP and TLS handshake).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The default limit on a response body.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 4 * 1024 * 1024;
/// How many idle kept-alive connections the default transport keeps per host.
pub const IDLE_CONNECTIONS_PER_HOST: usize = 16;

/// The default transport: one [`ureq`](https://docs.rs/ureq) agent, built once and shared by every
/// clone of the client and every thread.
///
/// - TLS is always verified (Mozilla's roots, or the roots you add).
/// - Keeps up to [`IDLE_CONNECTIONS_PER_HOST`] idle connections per host
///   (so that many threads on one client each keep their connection) and
///   reuses them for 15 s of idleness.
/// - Timeouts: [`DEFAULT_TIMEOUT`] for the whole call,
///   [`DEFAULT_CONNECT_TIMEOUT`] to connect.
/// - Bodies over [`DEFAULT_MAX_RESPONSE_BYTES`] are refused with
///   [`TransportErrorKind::BodyTooLarge`].
/// - Redirects are not followed (the API never redirects; a 3xx comes back as is).
/// - Proxies are read from `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY`.
#[derive(Clone)]
pub struct UreqTransport {
    agent: ureq::Agent,
    /// The agent's whole-request timeout.
    timeout: Duration,
    max_response_bytes: u64,
}

impl fmt::Debug for UreqTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UreqTransport")
            .field("max_response_bytes", &self.max_response_bytes)
            .finish_non_exhaustive()
    }
}

impl UreqTransport {
    /// The default transport with default settings.
    pub fn new() -> Self {
        UreqTransportBuilder::default().agent(None)
    }

    /// Settings for the default transport.
    pub fn builder() -> UreqTransportBuilder {
        UreqTransportBuilder::default()
    }
}

impl Default for UreqTransport {
    fn default() -> Self {
        Self::new()
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
///     .timeout(Duration::from_secs(5))
///     .connect_timeout(Duration::from_secs(2))
///     .max_response_bytes(1024 * 1024)
///     .build()?;
/// let mgmt = ManagementClient::builder()
///     .access_key_id("ACCESS_KEY_ID")
///     .access_key_secret("ACCESS_KEY_SECRET")
///     .transport(transport)
///     .build()?;
/// # let _ = mgmt;
/// # Ok::<(), genauth_mfa::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct UreqTransportBuilder {
    timeout: Duration,
    connect_timeout: Duration,
    max_response_bytes: u64,
    user_agent: String,
    root_certificates_pem: Vec<Vec<u8>>,
}

impl Default for UreqTransportBuilder {
    fn default() -> Self {
        UreqTransportBuilder {
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            user_agent: crate::USER_AGENT.to_owned(),
            root_certificates_pem: Vec::new(),
        }
    }
}

impl UreqTransportBuilder {
    /// The deadline for a whole call: connect, send, and read the whole answer.
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

    /// Trusts the root certificate(s) in `pem` (one or more
    /// `-----BEGIN CERTIFICATE-----` blocks). Once any is added, only the
    /// added roots are trusted, not the bundled Mozilla roots.
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

    /// Builds the transport.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when a timeout or the body limit is zero, or a root
    /// certificate PEM holds no readable certificate.
    pub fn build(self) -> Result<UreqTransport, Error> {
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(Error::config("timeouts must be greater than zero"));
        }
        if self.max_response_bytes == 0 {
            return Err(Error::config(
                "max_response_bytes must be greater than zero",
            ));
        }
        let roots = if self.root_certificates_pem.is_empty() {
            None
        } else {
            Some(root_certificates(&self.root_certificates_pem)?)
        };
        Ok(self.agent(roots))
    }

    /// The transport for settings already checked.
    fn agent(self, roots: Option<Vec<ureq::tls::Certificate<'static>>>) -> UreqTransport {
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(roots) = roots {
            tls = tls.root_certs(ureq::tls::RootCerts::from(roots));
        }
        let config = ureq::Agent::config_builder()
            .tls_config(tls.build())
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(self.timeout.min(LONGEST)))
            .timeout_connect(Some(self.connect_timeout.min(LONGEST)))
            .max_idle_connections(IDLE_CONNECTIONS_PER_HOST.max(10))
            .max_idle_connections_per_host(IDLE_CONNECTIONS_PER_HOST)
            .user_agent(self.user_agent)
            .build();
        let agent = ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::new(),
            CachingResolver::default(),
        );
        UreqTransport {
            agent,
            timeout: self.timeout.min(LONGEST),
            max_response_bytes: self.max_response_bytes,
        }
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
        let (parts, body) = request.into_parts();
        let response = if body.is_empty() {
            // `()` sends no body and no content-length, as a GET should.
            self.run(Request::from_parts(parts, ()), left)
        } else {
            self.run(Request::from_parts(parts, body), left)
        }
        .map_err(|e| map_ureq_error(e, false))?;
        let (parts, mut body) = response.into_parts();
        let bytes = body
            .with_config()
            .limit(self.max_response_bytes)
            .read_to_vec()
            .map_err(|e| map_ureq_error(e, true))?;
        Ok(Response::from_parts(parts, bytes))
    }
}

impl UreqTransport {
    fn run<B: ureq::AsSendBody>(
        &self,
        request: Request<B>,
        timeout: Option<Duration>,
    ) -> Result<Response<ureq::Body>, ureq::Error> {
        match timeout {
            None => self.agent.run(request),
            Some(left) => {
                let request = self
                    .agent
                    .configure_request(request)
                    .timeout_global(Some(left))
                    .build();
                self.agent.run(request)
            }
        }
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

/// Maps a ureq error to ours; `in_body` says whether the response had started.
fn map_ureq_error(err: ureq::Error, in_body: bool) -> TransportError {
    use TransportErrorKind as K;
    let kind = match &err {
        ureq::Error::Timeout(_) => K::Timeout,
        ureq::Error::Protocol(_) | ureq::Error::LargeResponseHeader(..) => K::Protocol,
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => K::Connect,
        ureq::Error::BodyExceedsLimit(_) => K::BodyTooLarge,
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => K::Tls,
        ureq::Error::BadUri(_) | ureq::Error::Http(_) | ureq::Error::RequireHttpsOnly(_) => {
            K::Request
        }
        ureq::Error::Io(io) => match io.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => K::Timeout,
            io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound => K::Connect,
            _ if in_body => K::Body,
            // rustls reports a refused certificate or a failed handshake this way.
            io::ErrorKind::InvalidData => K::Tls,
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
        let err = UreqTransport::new().send(req).unwrap_err();
        assert_eq!(err.kind(), TransportErrorKind::Connect, "{err}");
    }
}
