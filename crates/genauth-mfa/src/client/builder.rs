//! One builder for both clients, in ureq's `ConfigBuilder<Scope>` style:
//! [`ClientBuilder<S>`] holds the settings both clients share and writes
//! their setters once (below); its scope `S` holds what only one client
//! has, with the setters and `build()` of that client
//! ([`ManagementScope`] in `management.rs`, [`AuthenticationScope`] in
//! `authentication.rs`).
//!
//! The default transport's own settings (proxy, root certificates, connect
//! timeout, body limit, idle connections) are not here: they belong to
//! [`UreqTransport::builder()`](crate::UreqTransport::builder), whose
//! transport you then pass to [`transport`](ClientBuilder::transport). So
//! "tune the default transport and bring your own" cannot be written.

use std::sync::Arc;
use std::time::Duration;

use crate::call::retry::RetryPolicy;
use crate::client::brand::{Brand, Lang};
use crate::client::settings::CommonSettings;
use crate::transport::Transport;

pub use crate::client::authentication::AuthenticationScope;
pub use crate::client::management::ManagementScope;

/// Settings for a [`ManagementClient`](crate::ManagementClient):
/// `access_key_id` and `access_key_secret` are required.
pub type ManagementClientBuilder = ClientBuilder<ManagementScope>;

/// Settings for an [`AuthenticationClient`](crate::AuthenticationClient):
/// `app_id`, `app_host` and `access_token` are required.
pub type AuthenticationClientBuilder = ClientBuilder<AuthenticationScope>;

/// Settings for a client: the ones both clients share (the methods listed
/// here), and those of one client, in its scope `S`
/// ([`ManagementClientBuilder`] = `ClientBuilder<ManagementScope>`,
/// [`AuthenticationClientBuilder`] = `ClientBuilder<AuthenticationScope>`).
/// Made by [`ManagementClient::builder`](crate::ManagementClient::builder)
/// and [`AuthenticationClient::builder`](crate::AuthenticationClient::builder).
///
/// ```
/// use std::time::Duration;
/// use genauth_mfa::{Lang, ManagementClient};
///
/// let mgmt = ManagementClient::builder()
///     .access_key_id("ACCESS_KEY_ID") // the management scope's own
///     .access_key_secret("ACCESS_KEY_SECRET")
///     .lang(Lang::EnUs) // shared
///     .timeout(Duration::from_secs(10))
///     .build()?;
/// # let _ = mgmt;
/// # Ok::<(), genauth_mfa::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct ClientBuilder<S> {
    pub(crate) common: CommonSettings,
    pub(crate) scope: S,
}

impl<S> ClientBuilder<S> {
    /// The brand: GenAuth (the default) or Authing. It picks the header
    /// prefix and, for the management client, the default host.
    ///
    /// ```
    /// let builder = genauth_mfa::ManagementClient::builder()
    ///     .brand(genauth_mfa::Brand::Authing);
    /// # let _ = builder;
    /// ```
    #[must_use]
    pub fn brand(mut self, brand: Brand) -> Self {
        self.common.brand = brand;
        self
    }

    /// The language of the server's messages (`x-genauth-lang`); unset,
    /// no header is sent and the server picks.
    ///
    /// ```
    /// let builder = genauth_mfa::AuthenticationClient::builder()
    ///     .lang(genauth_mfa::Lang::EnUs);
    /// # let _ = builder;
    /// ```
    #[must_use]
    pub fn lang(mut self, lang: Lang) -> Self {
        self.common.lang = Some(lang);
        self
    }

    /// The tenant to act in (`x-genauth-app-tenant-id`), for multi-tenant pools.
    ///
    /// ```
    /// let builder = genauth_mfa::ManagementClient::builder()
    ///     .tenant_id("TENANT_ID");
    /// # let _ = builder;
    /// ```
    #[must_use]
    pub fn tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.common.tenant_id = Some(tenant_id.into());
        self
    }

    /// Sends every request through `transport` instead of the default
    /// [`UreqTransport`](crate::UreqTransport) the client builds itself.
    /// Any `Fn(http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError>`
    /// closure will do; so does a `UreqTransport` you configured, which is
    /// how the default transport is tuned (proxy, root certificates,
    /// connect timeout, body limit, idle connections). Calling it again
    /// replaces the transport. The client's [`timeout`](Self::timeout),
    /// [`retry_policy`](Self::retry_policy) and limits apply to any
    /// transport; `GENAUTH_CA_FILE`, read by `read_env`, applies only to
    /// the transport the client builds (a `UreqTransport` reads it with
    /// [`UreqTransportBuilder::read_env`](crate::UreqTransportBuilder::read_env)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use genauth_mfa::{ManagementClient, UreqTransport};
    ///
    /// let transport = UreqTransport::builder()
    ///     .proxy("http://proxy.example.com:3128")
    ///     .connect_timeout(Duration::from_secs(2))
    ///     .build()?;
    /// let mgmt = ManagementClient::builder()
    ///     .access_key_id("ACCESS_KEY_ID")
    ///     .access_key_secret("ACCESS_KEY_SECRET")
    ///     .transport(transport)
    ///     .build()?;
    /// # let _ = mgmt;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    ///
    /// ```
    /// use genauth_mfa::http;
    ///
    /// let offline = |_req: http::Request<Vec<u8>>| {
    ///     Ok(http::Response::new(br#"{"statusCode":503,"message":"down"}"#.to_vec()))
    /// };
    /// let builder = genauth_mfa::AuthenticationClient::builder().transport(offline);
    /// # let _ = builder;
    /// ```
    ///
    /// The default transport's settings are not the client builder's, so
    /// they cannot be given beside a transport of your own (which would
    /// not use them):
    ///
    /// ```compile_fail
    /// use std::time::Duration;
    /// use genauth_mfa::{ManagementClient, UreqTransport};
    ///
    /// let builder = ManagementClient::builder()
    ///     .transport(UreqTransport::new()?)
    ///     .connect_timeout(Duration::from_secs(2)); // no such method
    /// # let _ = builder;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    ///
    /// ```
    /// use std::time::Duration;
    /// use genauth_mfa::{ManagementClient, UreqTransport};
    ///
    /// let builder = ManagementClient::builder()
    ///     .transport(UreqTransport::builder().connect_timeout(Duration::from_secs(2)).build()?);
    /// # let _ = builder;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn transport(mut self, transport: impl Transport) -> Self {
        self.common.transport = Some(Arc::new(transport));
        self
    }

    /// The deadline for a whole call (default 30 s): the management
    /// token's fetch, every attempt and every wait between attempts
    /// included, whatever the transport. Any duration is accepted;
    /// one too long to represent means no deadline. Zero fails `build()`.
    ///
    /// ```
    /// let builder = genauth_mfa::ManagementClient::builder()
    ///     .timeout(std::time::Duration::from_secs(10));
    /// # let _ = builder;
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.common.timeout = Some(timeout);
        self
    }

    /// At most `per_second` requests a second from this client, shared
    /// by all its clones and threads (off by default), so that a batch
    /// job stays under its quota. Retries and token requests count.
    /// Zero fails `build()`.
    ///
    /// ```
    /// let builder = genauth_mfa::ManagementClient::builder()
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
    /// let builder = genauth_mfa::ManagementClient::builder()
    ///     .adaptive_throttling(false)
    ///     .max_requests_per_second(20);
    /// # let _ = builder;
    /// ```
    #[must_use]
    pub fn adaptive_throttling(mut self, on: bool) -> Self {
        self.common.fixed_rate_only = !on;
        self
    }

    /// How failed calls are retried (default: [`RetryPolicy::default`],
    /// 3 attempts in all; [`RetryPolicy::none`] turns retries off).
    /// Applies to your own transport too.
    ///
    /// ```
    /// use genauth_mfa::RetryPolicy;
    ///
    /// let builder = genauth_mfa::ManagementClient::builder()
    ///     .retry_policy(RetryPolicy::default().with_max_attempts(5));
    /// # let _ = builder;
    /// ```
    #[must_use]
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.common.retry = policy;
        self
    }

    /// Allows an `http://` base URL whose host is not loopback. Off by
    /// default, so that a token is never sent in clear by accident. The
    /// client's own rule, whatever the transport: it checks the host you
    /// give it before anything is sent.
    ///
    /// ```
    /// let builder = genauth_mfa::AuthenticationClient::builder()
    ///     .allow_insecure_http(true); // a private deployment on plain http
    /// # let _ = builder;
    /// ```
    #[must_use]
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.common.allow_insecure_http = allow;
        self
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn neither_a_builder_nor_its_scope_debugs_a_secret() {
        let m = crate::ManagementClient::builder()
            .access_key_id("id")
            .access_key_secret("s3cr3t")
            .host("https://u:hunter2@h.example");
        let a = crate::AuthenticationClient::builder()
            .app_id("app")
            .access_token("t0k3n")
            .app_host("https://u:hunter2@h.example");
        for shown in [
            format!("{m:?}"),
            format!("{:?}", m.scope),
            format!("{a:?}"),
            format!("{:?}", a.scope),
        ] {
            for secret in ["s3cr3t", "t0k3n", "hunter2"] {
                assert!(!shown.contains(secret), "{shown}");
            }
            assert!(shown.contains("h.example"), "{shown}");
        }
    }
}
