//! ureq's errors as [`TransportError`]s: the kind, and what to say about it.

use std::io;

use crate::transport::{TransportError, TransportErrorKind};

use super::proxy::Proxied;
use super::tls::{Trust, tls_error};

/// Maps an error before the response: through a proxy, a failure to
/// connect is the proxy's and names it.
pub(super) fn map_connect_error(
    err: ureq::Error,
    proxy: Option<&Proxied>,
    trust: &Trust,
) -> TransportError {
    if let Some(p) = proxy.filter(|p| p.shown.starts_with("socks") && socks_refusal(&err)) {
        return TransportError::new(TransportErrorKind::Proxy, err).with_detail(p.shown.clone());
    }
    let mapped = map_ureq_error(err, false, trust);
    match proxy {
        Some(p) if mapped.kind() == TransportErrorKind::Connect => mapped
            .with_kind(TransportErrorKind::Proxy)
            .with_detail(p.shown.clone()),
        _ => mapped,
    }
}

/// Whether a SOCKS handshake failed: ureq reports the proxy's refusal (a
/// failed login, "connection not allowed", "host unreachable") and a
/// malformed reply as an I/O error of these kinds, not from rustls.
fn socks_refusal(err: &ureq::Error) -> bool {
    matches!(err, ureq::Error::Io(io) if matches!(
        io.kind(),
        io::ErrorKind::Other
            | io::ErrorKind::PermissionDenied
            | io::ErrorKind::InvalidInput
            | io::ErrorKind::InvalidData
    ) && !io.get_ref().is_some_and(|e| e.is::<rustls::Error>()))
}

/// Whether the connection was closed or reset (before any answer, when
/// the answer had not started): what a kept-alive connection the server
/// dropped looks like.
pub(super) fn closed_before_answer(err: &ureq::Error) -> bool {
    matches!(err, ureq::Error::Io(io) if matches!(
        io.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
    ))
}

/// Maps a ureq error to ours; `in_body` says whether the response had started.
pub(super) fn map_ureq_error(err: ureq::Error, in_body: bool, trust: &Trust) -> TransportError {
    use TransportErrorKind as K;
    let kind = match &err {
        ureq::Error::Timeout(_) => K::Timeout,
        ureq::Error::Protocol(_) | ureq::Error::LargeResponseHeader(..) => K::Protocol,
        ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::ConnectProxyFailed(_) => K::Connect,
        ureq::Error::BodyExceedsLimit(_) => K::BodyTooLarge,
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => {
            return tls_error(err, trust);
        }
        ureq::Error::BadUri(_) | ureq::Error::Http(_) | ureq::Error::RequireHttpsOnly(_) => {
            K::Request
        }
        ureq::Error::Io(io) => match io.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => K::Timeout,
            io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound => K::Connect,
            _ if in_body => K::Body,
            // rustls reports a refused certificate or a failed handshake this way.
            io::ErrorKind::InvalidData => return tls_error(err, trust),
            _ if closed_before_answer(&err) => K::ConnectionClosed,
            // Unreachable hosts and networks: nothing reached the server.
            io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::NetworkDown
            | io::ErrorKind::AddrNotAvailable => K::Connect,
            // std reports a failed getaddrinfo only in its message.
            _ if io
                .to_string()
                .starts_with("failed to lookup address information") =>
            {
                return TransportError::new(K::Connect, err)
                    .with_detail("(the host name did not resolve)");
            }
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
    use crate::transport::Transport;
    use crate::ureq_transport::UreqTransport;
    use http::Request;

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
