//! The default transport: one `ureq` agent, and everything that knows ureq.
//!
//! No ureq type appears in the crate's public API: this directory is the
//! only place that names ureq, so moving to another ureq major (or another
//! HTTP stack) touches nothing else.
//!
//! Only ureq's versioned API is used (nothing under `ureq::unversioned`, which
//! a minor release may change), so `ureq = "3.5"` lets a project that needs
//! a newer ureq 3.x resolve one. The price: ureq 3.5 resolves the host
//! before it looks for a pooled connection, and, with a timeout set (the
//! whole-call deadline always is), on a new thread for every call. 0.2 kept
//! each host's addresses in a resolver plugged in through `unversioned`;
//! BENCHMARKS.md says what dropping it cost.

mod builder;
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

pub use builder::UreqTransportBuilder;
use errors::{closed_before_answer, map_connect_error, map_ureq_error};
use proxy::Proxied;
use request::{check_head, run};
pub use tls::RootStore;

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
/// The most bytes set aside for a body before it is read, by its
/// `Content-Length` (a larger body grows its buffer as it arrives).
const PREALLOCATE_AT_MOST: u64 = 16 * 1024 * 1024;
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
        // Room for the announced length at once (within the limit, and at
        // most PREALLOCATE_AT_MOST, whatever a server announces): a body
        // read into a growing vector doubles its capacity, so a 1.3 MiB
        // answer would hold 2 MiB at its peak.
        let announced = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0)
            .min(self.max_response_bytes)
            .min(PREALLOCATE_AT_MOST);
        let mut bytes = Vec::with_capacity(usize::try_from(announced).unwrap_or(0));
        // ureq's `read_to_vec`, with the capacity above: its reader's
        // errors carry the ureq error they stand for (the limit included).
        std::io::Read::read_to_end(
            &mut body.with_config().limit(self.max_response_bytes).reader(),
            &mut bytes,
        )
        .map_err(|e| map_ureq_error(ureq::Error::from(e), true, &self.trust))?;
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
