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
        // Closed by the proxy or by the server behind it: from here the two
        // look alike, and the proxy is the machine to name.
        Some(p) if mapped.kind() == TransportErrorKind::ConnectionClosed => {
            mapped.with_detail(format!("(through {})", p.shown))
        }
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
        ureq::Error::Io(io) if out_of_descriptors(io) => K::OutOfResources,
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

/// Whether the system refused a socket for want of file descriptors (or
/// buffer space): EMFILE, ENFILE, ENOBUFS and Windows' WSAEMFILE and
/// WSAENOBUFS. std has no `ErrorKind` of its own for them.
fn out_of_descriptors(io: &io::Error) -> bool {
    let Some(code) = io.raw_os_error() else {
        return false;
    };
    if cfg!(windows) {
        matches!(code, 10024 | 10055)
    } else if cfg!(any(target_os = "linux", target_os = "android")) {
        matches!(code, 23 | 24 | 105)
    } else if cfg!(unix) {
        // EMFILE and ENFILE are 24 and 23 on every Unix; ENOBUFS is 55 on
        // the BSDs and macOS.
        matches!(code, 23 | 24 | 55)
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::Transport;
    use crate::transport::UreqTransport;
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

    #[cfg(unix)]
    #[test]
    fn out_of_descriptors_is_its_own_kind() {
        let trust = Trust::default();
        for code in [23, 24] {
            let err = ureq::Error::Io(io::Error::from_raw_os_error(code));
            let mapped = map_ureq_error(err, false, &trust);
            assert_eq!(mapped.kind(), TransportErrorKind::OutOfResources);
            assert!(mapped.to_string().contains("ulimit -n"), "{mapped}");
        }
        let err = ureq::Error::Io(io::Error::from_raw_os_error(111));
        assert_ne!(
            map_ureq_error(err, false, &trust).kind(),
            TransportErrorKind::OutOfResources
        );
    }
}
