//! The one blocking transport the clients send requests through.
//!
//! A [`Transport`] only moves bytes: it takes an [`http::Request`] with the
//! whole body and returns the [`http::Response`] with the whole body, for
//! *every* status (a 401 or a 502 is a response, not an error). Status codes,
//! the GenAuth envelope and retries of unauthenticated calls are the clients'
//! business. Any `Fn(Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError>`
//! closure is a transport, which makes fakes in unit tests one line long:
//!
//! ```
//! use genauth_mfa::{AuthenticationClient, http};
//!
//! let fake = |req: http::Request<Vec<u8>>| {
//!     assert_eq!(req.uri().path(), "/api/v3/list-enrolled-factors");
//!     Ok(http::Response::new(br#"{"statusCode":200,"message":"ok","data":[]}"#.to_vec()))
//! };
//! let client = AuthenticationClient::builder()
//!     .app_id("app")
//!     .app_host("https://my-app.genauth.ai")
//!     .access_token("token")
//!     .transport(fake)
//!     .build()?;
//! assert!(client.list_enrolled_factors().send()?.is_empty());
//! # Ok::<(), genauth_mfa::Error>(())
//! ```
//!
//! The default is [`UreqTransport`]: one `ureq` agent, TLS verified, kept-alive
//! connections reused across calls and threads.

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::time::Duration;

use http::{Request, Response};

/// A blocking HTTP transport.
///
/// Implementations must return every HTTP status as `Ok(response)` with its
/// body, and keep `Err` for failures to get a complete response at all.
pub trait Transport: Send + Sync + 'static {
    /// Sends `request` and returns the complete response.
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError>;
}

impl<F> Transport for F
where
    F: Fn(Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> + Send + Sync + 'static,
{
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        self(request)
    }
}

/// What kind of failure a [`TransportError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made: the host name did not resolve, or the
    /// connection was refused or failed. Nothing reached the server.
    Connect,
    /// A connect, read or whole-call deadline passed.
    Timeout,
    /// The connection was closed or reset before any response arrived.
    ConnectionClosed,
    /// A response started but its body could not be read in full.
    Body,
    /// The response body is larger than the configured limit.
    BodyTooLarge,
    /// TLS failed: certificate not trusted, handshake error, bad PEM.
    Tls,
    /// The request itself could not be sent as given (a bad URL, say).
    Request,
    /// Anything else.
    Other,
}

impl TransportErrorKind {
    fn describe(self) -> &'static str {
        match self {
            TransportErrorKind::Connect => "could not connect",
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::ConnectionClosed => "connection closed before a response",
            TransportErrorKind::Body => "response body could not be read",
            TransportErrorKind::BodyTooLarge => "response body over the size limit",
            TransportErrorKind::Tls => "TLS error",
            TransportErrorKind::Request => "request could not be sent",
            TransportErrorKind::Other => "transport failure",
        }
    }
}

/// A failure to get a complete HTTP response.
pub struct TransportError {
    kind: TransportErrorKind,
    source: Option<Box<dyn StdError + Send + Sync>>,
    attempts: u32,
}

impl TransportError {
    /// A transport error of `kind` caused by `source`.
    pub fn new(
        kind: TransportErrorKind,
        source: impl Into<Box<dyn StdError + Send + Sync>>,
    ) -> Self {
        TransportError {
            kind,
            source: Some(source.into()),
            attempts: 1,
        }
    }

    /// A transport error of `kind` with no further detail.
    pub fn from_kind(kind: TransportErrorKind) -> Self {
        TransportError {
            kind,
            source: None,
            attempts: 1,
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// How many attempts were made before giving up (1 without retries).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.describe())?;
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        crate::error::after_attempts(f, self.attempts)
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportError")
            .field("kind", &self.kind)
            .field("source", &self.source)
            .field("attempts", &self.attempts)
            .finish()
    }
}

impl StdError for TransportError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

/// The default whole-call timeout: connect, send, and read the whole answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default connect timeout (DNS, TCP and TLS handshake).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The default limit on a response body.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 4 * 1024 * 1024;
/// How many idle kept-alive connections the default transport keeps per host.
pub const IDLE_CONNECTIONS_PER_HOST: usize = 16;

/// The default transport: one [`ureq`] agent, built once and shared by every
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
        UreqTransportBuilder::default()
            .build()
            .expect("the default transport settings are valid")
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

/// Settings for [`UreqTransport`].
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
    pub fn add_root_certificate_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.root_certificates_pem.push(pem.as_ref().to_vec());
        self
    }

    /// Builds the transport.
    pub fn build(self) -> Result<UreqTransport, crate::Error> {
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(crate::Error::config("timeouts must be greater than zero"));
        }
        if self.max_response_bytes == 0 {
            return Err(crate::Error::config(
                "max_response_bytes must be greater than zero",
            ));
        }
        let mut tls = ureq::tls::TlsConfig::builder();
        if !self.root_certificates_pem.is_empty() {
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&root_certificates(
                &self.root_certificates_pem,
            )?));
        }
        let config = ureq::Agent::config_builder()
            .tls_config(tls.build())
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(self.timeout))
            .timeout_connect(Some(self.connect_timeout))
            .max_idle_connections(IDLE_CONNECTIONS_PER_HOST.max(10))
            .max_idle_connections_per_host(IDLE_CONNECTIONS_PER_HOST)
            .user_agent(self.user_agent)
            .build();
        let agent = ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::new(),
            CachingResolver::default(),
        );
        Ok(UreqTransport {
            agent,
            max_response_bytes: self.max_response_bytes,
        })
    }
}

impl Transport for UreqTransport {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        let (parts, body) = request.into_parts();
        let response = if body.is_empty() {
            // `()` sends no body and no content-length, as a GET should.
            self.agent.run(Request::from_parts(parts, ()))
        } else {
            self.agent.run(Request::from_parts(parts, body))
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
fn root_certificates(
    pems: &[Vec<u8>],
) -> Result<Vec<ureq::tls::Certificate<'static>>, crate::Error> {
    let mut certs = Vec::new();
    for pem in pems {
        let before = certs.len();
        for item in ureq::tls::parse_pem(pem) {
            match item {
                Ok(ureq::tls::PemItem::Certificate(cert)) => certs.push(cert),
                Ok(_) => {
                    return Err(crate::Error::config(
                        "a root certificate PEM holds something other than certificates",
                    ));
                }
                Err(e) => {
                    return Err(crate::Error::config(format!(
                        "unreadable root certificate PEM: {e}"
                    )));
                }
            }
        }
        if certs.len() == before {
            return Err(crate::Error::config(
                "a root certificate PEM holds no certificate",
            ));
        }
    }
    Ok(certs)
}

/// Maps a ureq error to ours; `in_body` says whether the response had started.
fn map_ureq_error(err: ureq::Error, in_body: bool) -> TransportError {
    use TransportErrorKind as K;
    let kind = match &err {
        ureq::Error::Timeout(_) => K::Timeout,
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
        ureq::Error::Protocol(_) => K::ConnectionClosed,
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
            assert!(matches!(err, crate::Error::Config { .. }), "{err:?}");
        }
    }

    #[test]
    fn closures_are_transports() {
        let t: Box<dyn Transport> = Box::new(|_req: Request<Vec<u8>>| {
            Err(TransportError::from_kind(TransportErrorKind::Connect))
        });
        let err = t.send(Request::new(Vec::new())).unwrap_err();
        assert_eq!(err.kind(), TransportErrorKind::Connect);
        assert_eq!(err.to_string(), "could not connect");
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
