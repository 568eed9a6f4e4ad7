//! The setters both client builders share, written once as a macro that
//! each builder invokes (`common_builder_methods!(ManagementClient)`); each
//! builder has a `common: CommonSettings` field they set.

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
        /// "throttled" (`statusCode` 429, or HTTP 429) enough to tell,
        /// every clone and thread of this client sends at the rate the
        /// server was found to accept, and probes back up as answers
        /// succeed; a slowdown that does not lower the share of throttled
        /// answers is undone. Until then it costs nothing. `false` turns it off: throttled calls are then
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
