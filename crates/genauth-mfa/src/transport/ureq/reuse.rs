//! Kept-alive connections that the server has dropped: which requests may
//! have gone out on a pooled connection, and may be sent again at once on a
//! new one when that connection turns out dead before any answer (what curl
//! and hyper do for requests that are safe to repeat).
//!
//! ureq does not say whether a request went out on a pooled connection, so
//! the transport remembers, per host, when an answer last came on a
//! connection that stayed open (ureq then pooled it): within ureq's idle age
//! of that, a request may go out on a pooled connection. A host that never
//! answered so, or not for that long, is only reached on new connections,
//! and a failure there is the server's (retried, if at all, by the retry
//! policy with its backoff). Counting connections instead would race with
//! ureq's pool (a connection goes back to it while another thread looks):
//! this errs on the safe side, where a server that resets every connection
//! right after a good answer costs one extra request per attempt.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use http::{Method, Request, Response};

use crate::transport::Repeatable;

/// At most this many hosts are remembered; past it, the list starts again.
const MAX_HOSTS: usize = 64;

/// Per host: when an answer last came on a connection ureq kept.
#[derive(Debug)]
pub(super) struct KeptAlive {
    hosts: Mutex<Vec<(Box<str>, Instant)>>,
    /// How long ureq keeps an idle connection.
    max_age: Duration,
}

impl KeptAlive {
    pub(super) fn new(max_age: Duration) -> KeptAlive {
        KeptAlive {
            hosts: Mutex::new(Vec::new()),
            max_age,
        }
    }

    /// Whether a request to `host` may take a pooled connection.
    pub(super) fn may_reuse(&self, host: &str) -> bool {
        let hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts
            .iter()
            .any(|(h, at)| &**h == host && at.elapsed() < self.max_age)
    }

    /// An answer from `host` came on a connection ureq keeps.
    pub(super) fn kept(&self, host: &str) {
        let now = Instant::now();
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        match hosts.iter_mut().find(|(h, _)| &**h == host) {
            Some((_, at)) => *at = now,
            None => {
                if hosts.len() >= MAX_HOSTS {
                    hosts.clear();
                }
                hosts.push((host.into(), now));
            }
        }
    }
}

/// Whether `request` is safe to send twice: an idempotent method, or marked
/// [`Repeatable`] (the management-token POST).
pub(super) fn repeatable<B>(request: &Request<B>) -> bool {
    matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE
    ) || request.extensions().get::<Repeatable>().is_some()
}

/// A copy of what ureq needs to send `request` again: method, URI, version,
/// headers and body (not the extensions, which only this transport reads).
pub(super) fn copy<B: Clone>(request: &Request<B>) -> Request<B> {
    let mut copy = Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    copy
}

/// Whether ureq puts the connection of this (fully read) answer back in its
/// pool: HTTP/1.1 without `connection: close`.
pub(super) fn keeps_alive<B>(response: &Response<B>) -> bool {
    response.version() == http::Version::HTTP_11
        && !response
            .headers()
            .get_all(http::header::CONNECTION)
            .iter()
            .any(|v| v.as_bytes().eq_ignore_ascii_case(b"close"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_may_have_pooled_connections_within_the_idle_age_of_its_last_kept_answer() {
        let kept = KeptAlive::new(Duration::from_secs(15));
        assert!(!kept.may_reuse("a:1"), "nothing was pooled yet");
        kept.kept("a:1");
        assert!(kept.may_reuse("a:1"));
        assert!(kept.may_reuse("a:1"));
        assert!(!kept.may_reuse("b:1"), "another host");
        let aged = KeptAlive::new(Duration::ZERO);
        aged.kept("a:1");
        assert!(!aged.may_reuse("a:1"), "older than ureq keeps them");
    }

    #[test]
    fn only_requests_safe_to_repeat_are_sent_again() {
        let get = Request::get("http://h/").body(()).unwrap();
        let post = Request::post("http://h/").body(()).unwrap();
        let mut marked = Request::post("http://h/").body(()).unwrap();
        marked.extensions_mut().insert(Repeatable);
        assert!(repeatable(&get) && repeatable(&marked));
        assert!(!repeatable(&post));
        let close = Response::builder()
            .header("connection", "Close")
            .body(())
            .unwrap();
        assert!(!keeps_alive(&close));
        assert!(keeps_alive(&Response::new(())));
    }
}
