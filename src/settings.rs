//! The settings both client builders share (their common setters, the
//! `GENAUTH_*` environment variables) and the call path they build.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderValue};

use crate::endpoint::header_value;

use crate::brand::{Brand, Lang};
use crate::call::Caller;
use crate::error::{Error, Result};
use crate::retry::RetryPolicy;
use crate::throttle::Limiter;
use crate::transport::Transport;
use crate::ureq_transport::UreqTransportBuilder;
use crate::url::BaseUrl;

/// The default whole-call timeout: token, attempts and waits included.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The builder setters both clients share; each builder has a
/// `common: CommonSettings` field. `$client` names the client in examples.
macro_rules! common_builder_methods {
    ($client:ident) => {
        /// The brand: GenAuth (the default) or Authing. It picks the header
        /// prefix and, for the management client, the default host.
        ///
        /// ```
        #[doc = concat!("let builder = genauth_mfa::", stringify!($client), "::builder()")]
        ///     .brand(genauth_mfa::Brand::Authing);
        /// # let _ = builder;
        /// ```
        #[must_use]
        pub fn brand(mut self, brand: $crate::Brand) -> Self {
            self.common.brand = brand;
            self
        }

        /// The language of the server's messages (`x-genauth-lang`); unset,
        /// no header is sent and the server picks.
        ///
        /// ```
        #[doc = concat!("let builder = genauth_mfa::", stringify!($client), "::builder()")]
        ///     .lang(genauth_mfa::Lang::EnUs);
        /// # let _ = builder;
        /// ```
        #[must_use]
        pub fn lang(mut self, lang: $crate::Lang) -> Self {
            self.common.lang = Some(lang);
            self
        }

        /// The tenant to act in (`x-genauth-app-tenant-id`), for multi-tenant pools.
        ///
        /// ```
        #[doc = concat!("let builder = genauth_mfa::", stringify!($client), "::builder()")]
        ///     .tenant_id("TENANT_ID");
        /// # let _ = builder;
        /// ```
        #[must_use]
        pub fn tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
            self.common.tenant_id = Some(tenant_id.into());
            self
        }

        /// Sends every request through `transport` instead of the default
        /// [`UreqTransport`](crate::UreqTransport). Any
        /// `Fn(http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError>`
        /// closure will do.
        ///
        /// ```
        /// use genauth_mfa::http;
        ///
        /// let offline = |_req: http::Request<Vec<u8>>| {
        ///     Ok(http::Response::new(br#"{"statusCode":503,"message":"down"}"#.to_vec()))
        /// };
        #[doc = concat!("let builder = genauth_mfa::", stringify!($client), "::builder()")]
        ///     .transport(offline);
        /// # let _ = builder;
        /// ```
        #[must_use]
        pub fn transport(mut self, transport: impl $crate::Transport) -> Self {
            self.common.transport = Some(std::sync::Arc::new(transport));
            self
        }

        /// The deadline for a whole call (default 30 s): the management
        /// token's fetch, every attempt and every wait between attempts
        /// included, whatever the transport. Any duration is accepted;
        /// one too long to represent means no deadline. Zero fails `build()`.
        ///
        /// ```
        #[doc = concat!("let builder = genauth_mfa::", stringify!($client), "::builder()")]
        ///     .timeout(std::time::Duration::from_secs(10));
        /// # let _ = builder;
        /// ```
        #[must_use]
        pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
            self.common.timeout = Some(timeout);
            self
        }

        /// At most `per_second` requests a second from this client, shared
        /// by all its clones and threads (off by default), so that a batch
        /// job stays under its quota. Retries and token requests count.
        /// Zero fails `build()`.
        ///
        /// ```
        #[doc = concat!("let builder = genauth_mfa::", stringify!($client), "::builder()")]
        ///     .max_requests_per_second(50);
        /// # let _ = builder;
        /// ```
        #[must_use]
        pub fn max_requests_per_second(mut self, per_second: u32) -> Self {
            self.common.rate_limit = Some(per_second);
            self
        }

        /// Adaptive throttling (on by default): once the server answers
        /// "throttled" (`statusCode` 429, or HTTP 429), every clone and
        /// thread of this client sends at the rate the server was found to
        /// accept, and probes back up as answers succeed; until then it
        /// costs nothing. `false` turns it off: throttled calls are then
        /// retried with backoff only, and
        /// [`max_requests_per_second`](Self::max_requests_per_second)
        /// remains as a fixed ceiling.
        ///
        /// ```
        #[doc = concat!("let builder = genauth_mfa::", stringify!($client), "::builder()")]
        ///     .adaptive_throttling(false)
        ///     .max_requests_per_second(20);
        /// # let _ = builder;
        /// ```
        #[must_use]
        pub fn adaptive_throttling(mut self, on: bool) -> Self {
            self.common.fixed_rate_only = !on;
            self
        }

        /// The deadline to connect (default 5 s) of the default transport.
        ///
        /// ```
        #[doc = concat!("let builder = genauth_mfa::", stringify!($client), "::builder()")]
        ///     .connect_timeout(std::time::Duration::from_secs(2));
        /// # let _ = builder;
        /// ```
        #[must_use]
        pub fn connect_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.common.tune(|t| t.connect_timeout(timeout));
            self
        }

        /// The largest response body the default transport accepts (default 4 MiB).
        ///
        /// ```
        #[doc = concat!("let builder = genauth_mfa::", stringify!($client), "::builder()")]
        ///     .max_response_bytes(1024 * 1024);
        /// # let _ = builder;
        /// ```
        #[must_use]
        pub fn max_response_bytes(mut self, limit: u64) -> Self {
            self.common.tune(|t| t.max_response_bytes(limit));
            self
        }

        /// How failed calls are retried (default: [`RetryPolicy::default`](crate::RetryPolicy),
        /// 3 attempts in all; [`RetryPolicy::none`](crate::RetryPolicy::none) turns
        /// retries off). Applies to your own transport too.
        ///
        /// ```
        /// use genauth_mfa::RetryPolicy;
        #[doc = concat!("let builder = genauth_mfa::", stringify!($client), "::builder()")]
        ///     .retry_policy(RetryPolicy::default().with_max_attempts(5));
        /// # let _ = builder;
        /// ```
        #[must_use]
        pub fn retry_policy(mut self, policy: $crate::RetryPolicy) -> Self {
            self.common.retry = policy;
            self
        }

        /// Trusts the root certificate(s) in `pem` for TLS, for a private
        /// deployment or a company network with its own CA, in addition to
        /// the bundled Mozilla roots (unless
        /// [`root_store`](Self::root_store) says otherwise).
        /// `GENAUTH_CA_FILE` does the same from the environment. There is no
        /// way to turn verification off. A PEM without a readable
        /// certificate fails `build()` with [`Error::Config`](crate::Error::Config).
        ///
        /// ```no_run
        #[doc = concat!("let builder = genauth_mfa::", stringify!($client), "::builder()")]
        ///     .add_root_certificate_pem(std::fs::read("/etc/company/ca.pem")?);
        /// # let _ = builder;
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        #[must_use]
        pub fn add_root_certificate_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
            self.common.tune(|t| t.add_root_certificate_pem(pem));
            self
        }

        /// Which certificate authorities the default transport trusts
        /// (default: the bundled Mozilla roots plus any added).
        ///
        /// ```
        /// # const COMPANY_CA_PEM: &[u8] = b"";
        #[doc = concat!("let builder = genauth_mfa::", stringify!($client), "::builder()")]
        ///     .root_store(genauth_mfa::RootStore::AddedOnly)
        ///     .add_root_certificate_pem(COMPANY_CA_PEM);
        /// # let _ = builder;
        /// ```
        #[must_use]
        pub fn root_store(mut self, store: $crate::RootStore) -> Self {
            self.common.tune(|t| t.root_store(store));
            self
        }

        /// Sends the default transport's https requests through this proxy
        /// (`http://[user:password@]host:port`) instead of the one the
        /// proxy variables name. Loopback hosts and plain `http://` requests
        /// never go through a proxy. The proxy's credentials never appear in
        /// an error or `Debug`.
        ///
        /// ```
        #[doc = concat!("let builder = genauth_mfa::", stringify!($client), "::builder()")]
        ///     .proxy("http://proxy.example.com:3128");
        /// # let _ = builder;
        /// ```
        #[must_use]
        pub fn proxy(mut self, url: impl Into<String>) -> Self {
            self.common.tune(|t| t.proxy(url));
            self
        }

        /// Sends the default transport's requests straight to the server,
        /// whatever the proxy variables say.
        ///
        /// ```
        #[doc = concat!("let builder = genauth_mfa::", stringify!($client), "::builder()")]
        ///     .no_proxy();
        /// # let _ = builder;
        /// ```
        #[must_use]
        pub fn no_proxy(mut self) -> Self {
            self.common.tune(|t| t.no_proxy());
            self
        }

        /// How many idle kept-alive connections the default transport keeps
        /// (default 64): the number of threads that share this client, so
        /// that each keeps its connection between calls.
        ///
        /// ```
        #[doc = concat!("let builder = genauth_mfa::", stringify!($client), "::builder()")]
        ///     .max_idle_connections(16); // 16 threads share the client
        /// # let _ = builder;
        /// ```
        #[must_use]
        pub fn max_idle_connections(mut self, per_host: usize) -> Self {
            self.common.tune(|t| t.max_idle_connections(per_host));
            self
        }

        /// Allows an `http://` base URL whose host is not loopback. Off by
        /// default, so that a token is never sent in clear by accident.
        ///
        /// ```
        #[doc = concat!("let builder = genauth_mfa::", stringify!($client), "::builder()")]
        ///     .allow_insecure_http(true); // a private deployment on plain http
        /// # let _ = builder;
        /// ```
        #[must_use]
        pub fn allow_insecure_http(mut self, allow: bool) -> Self {
            self.common.allow_insecure_http = allow;
            self
        }
    };
}
pub(crate) use common_builder_methods;

/// A string that must not be shown: `Debug` prints `"***"`.
#[derive(Clone, Default)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

/// The settings both client builders share, and the pieces they build.
#[derive(Clone, Default)]
pub(crate) struct CommonSettings {
    pub(crate) brand: Brand,
    pub(crate) lang: Option<Lang>,
    pub(crate) tenant_id: Option<String>,
    pub(crate) allow_insecure_http: bool,
    pub(crate) transport: Option<Arc<dyn Transport>>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) rate_limit: Option<u32>,
    /// Adaptive throttling turned off.
    pub(crate) fixed_rate_only: bool,
    /// The settings of the default transport, kept in its own builder.
    pub(crate) default_transport: UreqTransportBuilder,
    /// A setter of the default transport was called.
    pub(crate) tuned_default_transport: bool,
    /// `GENAUTH_CA_FILE`: read when the client is built.
    pub(crate) ca_file: Option<String>,
    pub(crate) retry: RetryPolicy,
}

impl fmt::Debug for CommonSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommonSettings")
            .field("brand", &self.brand)
            .field("lang", &self.lang)
            .field("tenant_id", &self.tenant_id)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("custom_transport", &self.transport.is_some())
            .field("timeout", &self.timeout)
            .field("rate_limit", &self.rate_limit)
            .field("adaptive_throttling", &!self.fixed_rate_only)
            .field("default_transport", &self.default_transport)
            .field("ca_file", &self.ca_file)
            .field("retry", &self.retry)
            .finish()
    }
}

impl CommonSettings {
    /// Applies a setting to the default transport.
    pub(crate) fn tune(&mut self, set: impl FnOnce(UreqTransportBuilder) -> UreqTransportBuilder) {
        self.default_transport = set(std::mem::take(&mut self.default_transport));
        self.tuned_default_transport = true;
    }

    /// Fills brand, language and tenant from `GENAUTH_BRAND`, `GENAUTH_LANG`
    /// and `GENAUTH_TENANT_ID` where they are set and not empty.
    pub(crate) fn read_env(&mut self) -> Result<()> {
        if let Some(brand) = env_var("GENAUTH_BRAND") {
            self.brand = brand.parse().map_err(|_| {
                Error::config(format!(
                    "GENAUTH_BRAND is {brand:?}: use genauth or authing"
                ))
            })?;
        }
        if let Some(lang) = env_var("GENAUTH_LANG") {
            let lang = lang.parse().map_err(|_| {
                Error::config(format!("GENAUTH_LANG is {lang:?}: use zh-CN or en-US"))
            })?;
            self.lang = Some(lang);
        }
        if let Some(tenant) = env_header_var("GENAUTH_TENANT_ID")? {
            self.tenant_id = Some(tenant);
        }
        if let Some(path) = env_var("GENAUTH_CA_FILE") {
            self.ca_file = Some(path);
        }
        if let Some(timeout) = env_var("GENAUTH_TIMEOUT") {
            self.timeout = Some(parse_seconds(&timeout).ok_or_else(|| {
                Error::config(format!(
                    "GENAUTH_TIMEOUT is {timeout:?}: use a number of seconds from {MIN_TIMEOUT_SECS} to {MAX_TIMEOUT_SECS}"
                ))
            })?);
        }
        Ok(())
    }

    /// The call path of a client under `base`: its headers, the user's
    /// transport or a new [`UreqTransport`](crate::UreqTransport), the
    /// retry policy, the whole-call timeout and the limiter.
    pub(crate) fn build_caller(&self, base: BaseUrl) -> Result<Caller> {
        let timeout = self.timeout.unwrap_or(DEFAULT_CALL_TIMEOUT);
        if timeout.is_zero() {
            return Err(Error::config("timeout must be greater than zero"));
        }
        if self.rate_limit == Some(0) {
            return Err(Error::config(
                "max_requests_per_second must be greater than zero",
            ));
        }
        let limiter = Arc::new(Limiter::new(!self.fixed_rate_only, self.rate_limit));
        let transport: Arc<dyn Transport> = match &self.transport {
            // GENAUTH_CA_FILE is not an error here: the environment may be
            // shared with programs that use the default transport.
            Some(_) if self.tuned_default_transport => {
                return Err(Error::config(
                    "connect_timeout, max_response_bytes, max_idle_connections, root \
                     certificates, root_store and proxy configure the default transport; \
                     set them on your own transport instead",
                ));
            }
            Some(transport) => Arc::clone(transport),
            None => {
                let mut builder = self.default_transport.clone().timeout(timeout);
                if let Some(path) = &self.ca_file {
                    let pem = crate::ureq_transport::read_added_ca_file("GENAUTH_CA_FILE", path)?;
                    builder = builder.add_root_certificate_pem(pem);
                }
                Arc::new(builder.build()?)
            }
        };
        Ok(Caller {
            base,
            headers: self.base_headers()?,
            transport,
            retry: self.retry,
            timeout,
            limiter,
        })
    }

    /// Headers every call of either client carries: SDK identity, language, tenant.
    fn base_headers(&self) -> Result<HeaderMap> {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::USER_AGENT,
            HeaderValue::from_static(crate::USER_AGENT),
        );
        headers.insert(
            self.brand.header("sdk-version"),
            HeaderValue::from_static(crate::SDK_VERSION),
        );
        if let Some(lang) = self.lang {
            headers.insert(
                self.brand.header("lang"),
                HeaderValue::from_static(lang.as_str()),
            );
        }
        if let Some(tenant) = &self.tenant_id {
            if tenant.trim().is_empty() {
                return Err(Error::invalid_argument("tenant_id", "must not be blank"));
            }
            headers.insert(
                self.brand.header("app-tenant-id"),
                header_value("tenant_id", tenant)?,
            );
        }
        Ok(headers)
    }
}

/// The bounds of `GENAUTH_TIMEOUT`, in seconds: a millisecond to a day.
const MIN_TIMEOUT_SECS: f64 = 0.001;
const MAX_TIMEOUT_SECS: f64 = 86_400.0;

/// A number of seconds within the bounds of `GENAUTH_TIMEOUT`.
fn parse_seconds(s: &str) -> Option<Duration> {
    let secs: f64 = s.trim().parse().ok()?;
    (MIN_TIMEOUT_SECS..=MAX_TIMEOUT_SECS)
        .contains(&secs)
        .then(|| Duration::from_secs_f64(secs))
}

/// A base URL from `name`: `None` when unset; set but blank is a
/// configuration error, so that an empty `GENAUTH_HOST` never silently
/// means the public service.
pub(crate) fn env_url(name: &'static str) -> Result<Option<String>> {
    match std::env::var(name) {
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Error::config(format!("{name} is not valid UTF-8")))
        }
        Ok(v) if v.trim().is_empty() => Err(Error::config(format!(
            "{name} is set but empty: unset it, or set it to a URL such as https://api.genauth.ai"
        ))),
        Ok(v) => Ok(Some(v)),
    }
}

/// An environment variable's value, `None` when unset, empty or not UTF-8.
pub(crate) fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// [`env_var`] for a value sent in a header: one that a header cannot
/// carry (a line break, a control character) is a configuration error
/// naming the variable, never quoting it (it may be a token).
pub(crate) fn env_header_var(name: &'static str) -> Result<Option<String>> {
    match env_var(name) {
        Some(value) if HeaderValue::from_str(&value).is_err() => Err(Error::config(format!(
            "{name} holds characters an HTTP header cannot carry (a line break or another control character)"
        ))),
        value => Ok(value),
    }
}

/// A required setting that is missing.
pub(crate) fn missing(setting: &str, env: &str) -> Error {
    Error::config(format!(
        "{setting} is required: call .{setting}(..) or set {env}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_as_positive_seconds() {
        assert_eq!(parse_seconds("2.5"), Some(Duration::from_millis(2500)));
        assert_eq!(parse_seconds(" 30 "), Some(Duration::from_secs(30)));
        assert_eq!(parse_seconds("0.001"), Some(Duration::from_millis(1)));
        assert_eq!(parse_seconds("86400"), Some(Duration::from_secs(86_400)));
        for bad in ["0", "-1", "NaN", "inf", "ten", "", "1e9", "1e-10", "86401"] {
            assert_eq!(parse_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn secrets_do_not_debug() {
        assert_eq!(format!("{:?}", Secret::new("s3cr3t")), "\"***\"");
    }
}
