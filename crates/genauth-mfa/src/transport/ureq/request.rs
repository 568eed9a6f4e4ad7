//! How one request goes to ureq: its head checked first, then sent within
//! what is left of its deadline, on a new connection when asked.

use std::time::Duration;

use http::{Request, Response};

use crate::transport::{TransportError, TransportErrorKind};

/// Bytes written at a time (ureq's default is 128 KiB). Each line of a
/// request head (the request line, each header) must fit in it whole, so
/// it also bounds a long access token or a long id in the query.
pub(super) const OUTPUT_BUFFER: usize = 16 * 1024;
/// Refuses a request with a head line ureq could not write (it would fail
/// with a protocol error, as if the server's answer were at fault): a
/// `Request` error naming the line, never its value.
pub(super) fn check_head(request: &Request<Vec<u8>>) -> Result<(), TransportError> {
    let too_long = |what: &str, len: usize| {
        Err(
            TransportError::from_kind(TransportErrorKind::Request).with_detail(format!(
                "(the {what} is too long: {len} bytes, where a line of a request head may \
                 hold at most {OUTPUT_BUFFER}; a very long access token or id?)"
            )),
        )
    };
    let path = request
        .uri()
        .path_and_query()
        .map_or(1, |pq| pq.as_str().len());
    // "GET " + path + " HTTP/1.1\r\n"
    let line = request.method().as_str().len() + path + 12;
    if line > OUTPUT_BUFFER {
        return too_long("request line", line);
    }
    for (name, value) in request.headers() {
        let len = name.as_str().len() + value.len() + 4;
        if len > OUTPUT_BUFFER {
            return too_long(&format!("`{name}` header"), len);
        }
    }
    Ok(())
}

/// Sends `request` through `agent`, within `timeout` if given, and on a
/// new connection if `fresh` (an idle age of zero makes ureq close, not
/// reuse, the pooled connections to that host).
pub(super) fn run(
    agent: &ureq::Agent,
    request: Request<Vec<u8>>,
    timeout: Option<Duration>,
    fresh: bool,
) -> Result<Response<ureq::Body>, ureq::Error> {
    let (parts, body) = request.into_parts();
    if body.is_empty() {
        // `()` sends no body and no content-length, as a GET should.
        run_with(agent, Request::from_parts(parts, ()), timeout, fresh)
    } else {
        run_with(agent, Request::from_parts(parts, body), timeout, fresh)
    }
}

fn run_with<B: ureq::AsSendBody>(
    agent: &ureq::Agent,
    request: Request<B>,
    timeout: Option<Duration>,
    fresh: bool,
) -> Result<Response<ureq::Body>, ureq::Error> {
    if timeout.is_none() && !fresh {
        return guarded(|| agent.run(request));
    }
    let mut config = agent.configure_request(request);
    if let Some(left) = timeout {
        config = config.timeout_global(Some(left));
    }
    if fresh {
        config = config.max_idle_age(Duration::ZERO);
    }
    let request = config.build();
    guarded(|| agent.run(request))
}

/// Runs `f`, a panic inside it becoming an error. ureq panics on purpose on
/// some inputs (a SOCKS proxy without its feature, checked here before), and
/// through `std::thread::spawn` when the system refuses it a thread (ureq
/// 3.5 starts one per call to resolve the host under a timeout): a process
/// at its thread limit should see failed calls, not a crash. (The default
/// panic hook still prints the panic on stderr.)
fn guarded<T>(f: impl FnOnce() -> Result<T, ureq::Error>) -> Result<T, ureq::Error> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_owned());
        Err(ureq::Error::Io(std::io::Error::other(format!(
            "ureq panicked: {what}"
        ))))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_ureq_is_an_error() {
        let err = guarded::<()>(|| panic!("failed to spawn thread")).unwrap_err();
        assert_eq!(err.to_string(), "io: ureq panicked: failed to spawn thread");
        assert!(guarded(|| Ok::<_, ureq::Error>(1)).is_ok());
    }
}
