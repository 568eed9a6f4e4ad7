//! A caching resolver: a call on a pooled connection resolves nothing.

use std::time::Duration;

/// How long a host's resolved addresses are reused.
const RESOLVE_TTL: Duration = Duration::from_secs(30);

/// ureq resolves the host before it looks for a pooled connection, and with
/// a timeout set it does so on a new thread: every call, even on a kept-alive
/// connection, paid a thread spawn (and, for a host name, a DNS lookup).
/// This resolver keeps each host's addresses for [`RESOLVE_TTL`], so a call
/// on a pooled connection resolves nothing, and a new connection still sees
/// DNS changes within that time.
#[derive(Debug, Default)]
pub(super) struct CachingResolver {
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
