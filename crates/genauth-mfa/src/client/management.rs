//! The server-side client: calls made with the user pool's access key. Its
//! endpoints are in `api/get_user_mfa_info.rs` and `api/list_users.rs`;
//! its token in `token.rs`.

use std::fmt;
use std::sync::Arc;

use http::HeaderName;
use serde::de::DeserializeOwned;

use crate::call::caller::{Budget, Caller};
use crate::call::cancel::CancelToken;
use crate::call::endpoint::Endpoint;
use crate::client::builder::{ClientBuilder, ManagementClientBuilder};
use crate::client::settings::{CommonSettings, Secret};
use crate::client::token::{self, AccessKey, ManagementToken, TokenCache};
use crate::env::{env_url, genauth_var, missing};
use crate::error::{Error, Result};
use crate::url::{BaseUrl, redact_userinfo};

/// A client for the management API, signed in with a user pool's access key.
///
/// The management token is fetched on the first call, cached until shortly
/// before it expires and shared by every clone and thread of this client;
/// when a call is refused as unauthenticated the token is fetched again once.
/// Cheap to clone (one `Arc`), `Send + Sync`.
///
/// ```no_run
/// use genauth_mfa::{ManagementClient, UserIdType};
///
/// let mgmt = ManagementClient::builder()
///     .access_key_id("ACCESS_KEY_ID")
///     .access_key_secret("ACCESS_KEY_SECRET")
///     .build()?;
/// let info = mgmt.get_user_mfa_info("alice@example.com")
///     .user_id_type(UserIdType::Email)
///     .send()?;
/// println!("SMS MFA enabled: {}", info.sms.is_enabled());
/// # Ok::<(), genauth_mfa::Error>(())
/// ```
#[derive(Clone)]
pub struct ManagementClient {
    inner: Arc<Inner>,
    cancel: Option<CancelToken>,
}

struct Inner {
    common: CommonSettings,
    key: AccessKey,
    /// `x-<brand>-userpool-id`, named once.
    userpool_header: HeaderName,
    caller: Caller,
    token: TokenCache,
}

impl fmt::Debug for ManagementClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagementClient")
            .field("host", &self.inner.caller.base)
            .field("access_key", &self.inner.key)
            .field("brand", &self.inner.common.brand)
            .field("lang", &self.inner.common.lang)
            .field("tenant_id", &self.inner.common.tenant_id)
            .field("token", &self.inner.token)
            .finish_non_exhaustive()
    }
}

impl ManagementClient {
    /// Settings for a new client.
    ///
    /// ```
    /// let mgmt = genauth_mfa::ManagementClient::builder()
    ///     .access_key_id("ACCESS_KEY_ID")
    ///     .access_key_secret("ACCESS_KEY_SECRET")
    ///     .build()?;
    /// # let _ = mgmt;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn builder() -> ManagementClientBuilder {
        ManagementClientBuilder::default()
    }

    /// A client configured from `GENAUTH_ACCESS_KEY_ID`,
    /// `GENAUTH_ACCESS_KEY_SECRET` and the optional variables that
    /// [`read_env`](ManagementClientBuilder::read_env) lists.
    ///
    /// ```no_run
    /// // GENAUTH_ACCESS_KEY_ID and GENAUTH_ACCESS_KEY_SECRET set
    /// let mgmt = genauth_mfa::ManagementClient::from_env()?;
    /// # let _ = mgmt;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the variable that is
    /// missing or unreadable.
    pub fn from_env() -> Result<Self> {
        Self::builder().read_env()?.build()
    }

    /// Fetches the management token now, or finds a fresh one cached: a
    /// check of the access key before a batch starts, so that a refused key
    /// stops the batch before any user is queried. Calls do this by
    /// themselves; you never need to.
    ///
    /// ```no_run
    /// # use genauth_mfa::ManagementClient;
    /// let mgmt = ManagementClient::from_env()?;
    /// mgmt.authenticate()?; // a wrong secret fails here, once
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The token request's error: [`Error::Api`](crate::Error::Api) when
    /// the server refuses the key, or any transport error or timeout.
    pub fn authenticate(&self) -> Result<()> {
        let mut budget = self.inner.caller.budget(self.cancel.as_ref());
        self.token(&mut budget, false).map(|_| ())
    }

    /// The same client (sharing token, connections and limiter with this
    /// one), whose calls stop when `cancel` is cancelled: they fail with
    /// [`Error::Cancelled`] instead of waiting for a rate-limit slot or
    /// another attempt. The batch engine's cancellation works this way.
    ///
    /// ```
    /// use genauth_mfa::{CancelToken, Error, ManagementClient};
    ///
    /// let cancel = CancelToken::new();
    /// let mgmt = ManagementClient::builder()
    ///     .access_key_id("ACCESS_KEY_ID")
    ///     .access_key_secret("ACCESS_KEY_SECRET")
    ///     .build()?
    ///     .with_cancel(&cancel);
    /// cancel.cancel();
    /// assert!(matches!(mgmt.authenticate(), Err(Error::Cancelled)));
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn with_cancel(&self, cancel: &CancelToken) -> Self {
        ManagementClient {
            inner: Arc::clone(&self.inner),
            cancel: Some(cancel.clone()),
        }
    }

    /// Sends `endpoint` with the management token, fetching the token again
    /// once if the call is refused as unauthenticated (unless that token
    /// itself replaced a refused one moments ago). The whole call, token
    /// included, is bounded by the client's timeout.
    pub(crate) fn send<T: DeserializeOwned>(&self, endpoint: &Endpoint<'_>) -> Result<T> {
        let caller = &self.inner.caller;
        let mut budget = caller.budget(self.cancel.as_ref());
        let token = self.token(&mut budget, false)?;
        // A server may echo the token it was sent: never in the error.
        let call = |token: &ManagementToken, budget: &mut Budget<'_>| {
            caller
                .call(endpoint, &token.headers, budget)
                .map_err(|e| e.redact(&token.access_token()))
        };
        match call(&token, &mut budget) {
            Err(err) if err.is_unauthenticated() && token.may_refresh() => {
                self.inner.token.invalidate(&token);
                let token = self.token(&mut budget, true)?;
                call(&token, &mut budget).map_err(|err| not_permitted(endpoint, err))
            }
            // This token replaced a refused one moments ago: refused again.
            Err(err) if err.is_unauthenticated() => Err(not_permitted(endpoint, err)),
            result => result,
        }
    }

    /// The cached token or a new one. A refusal of the access key becomes
    /// [`Error::Credentials`].
    fn token(&self, budget: &mut Budget<'_>, after_refusal: bool) -> Result<Arc<ManagementToken>> {
        let inner = &*self.inner;
        let deadline = budget.deadline();
        inner
            .token
            .get(deadline, self.cancel.as_ref(), after_refusal, || {
                token::fetch(&inner.caller, &inner.key, &inner.userpool_header, budget)
            })
            .map_err(|err| match err {
                Error::Api { status_code, .. }
                    if (400..500).contains(&status_code) && status_code != 429 =>
                {
                    Error::Credentials {
                        source: Box::new(err),
                    }
                }
                other => other,
            })
    }
}

/// A call refused as unauthenticated with a token fetched to replace a
/// refused one: the key is valid, the call is not allowed to it.
fn not_permitted(endpoint: &Endpoint<'_>, err: Error) -> Error {
    if err.is_unauthenticated() {
        Error::NotPermitted {
            endpoint: endpoint.name(),
            source: Box::new(err),
        }
    } else {
        err
    }
}

/// What only a [`ManagementClient`]'s builder holds: the access key and
/// the host. [`ManagementClientBuilder`] is `ClientBuilder<ManagementScope>`;
/// its setters are on [`ClientBuilder`].
#[derive(Clone, Default)]
pub struct ManagementScope {
    access_key_id: Option<String>,
    access_key_secret: Option<Secret>,
    host: Option<String>,
    /// `GENAUTH_HOST` when `host` came from it.
    host_var: Option<&'static str>,
}

impl fmt::Debug for ManagementScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagementScope")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &self.access_key_secret)
            .field("host", &self.host.as_deref().map(redact_userinfo))
            .finish()
    }
}

impl fmt::Debug for ClientBuilder<ManagementScope> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scope = &self.scope;
        f.debug_struct("ManagementClientBuilder")
            .field("access_key_id", &scope.access_key_id)
            .field("access_key_secret", &scope.access_key_secret)
            .field("host", &scope.host.as_deref().map(redact_userinfo))
            .field("common", &self.common)
            .finish()
    }
}

/// The management client's own settings, and `build()`.
impl ClientBuilder<ManagementScope> {
    /// The user pool's access key id.
    ///
    /// ```
    /// let mgmt = genauth_mfa::ManagementClient::builder()
    ///     .access_key_id("ACCESS_KEY_ID")
    ///     .access_key_secret("ACCESS_KEY_SECRET")
    ///     .build()?;
    /// # let _ = mgmt;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn access_key_id(mut self, access_key_id: impl Into<String>) -> Self {
        self.scope.access_key_id = Some(access_key_id.into());
        self
    }

    /// The user pool's access key secret. Sent only in the token request's
    /// body; never in a URL, a header, a log, `Debug` output or an error.
    ///
    /// ```
    /// let mgmt = genauth_mfa::ManagementClient::builder()
    ///     .access_key_id("ACCESS_KEY_ID")
    ///     .access_key_secret("ACCESS_KEY_SECRET")
    ///     .build()?;
    /// # let _ = mgmt;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn access_key_secret(mut self, access_key_secret: impl Into<String>) -> Self {
        self.scope.access_key_secret = Some(Secret::new(access_key_secret));
        self
    }

    /// The API's base URL; defaults to the brand's host
    /// (`https://api.genauth.ai` or `https://api.authing.cn`). Set it for a
    /// private deployment, with a path prefix if it has one.
    ///
    /// ```
    /// use genauth_mfa::ManagementClient;
    ///
    /// let mgmt = ManagementClient::builder()
    ///     .access_key_id("ACCESS_KEY_ID")
    ///     .access_key_secret("ACCESS_KEY_SECRET")
    ///     .host("https://sso.example.com/genauth")
    ///     .build()?;
    /// # let _ = mgmt;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.scope.host = Some(host.into());
        self.scope.host_var = None;
        self
    }

    /// Takes every setting whose `GENAUTH_*` variable is set and not empty:
    /// `GENAUTH_ACCESS_KEY_ID`, `GENAUTH_ACCESS_KEY_SECRET`, `GENAUTH_HOST`,
    /// `GENAUTH_BRAND`, `GENAUTH_LANG`, `GENAUTH_TENANT_ID`,
    /// `GENAUTH_TIMEOUT`, and `GENAUTH_CA_FILE` for the transport the client
    /// builds itself (a transport passed to
    /// [`transport`](ClientBuilder::transport) reads it with
    /// [`UreqTransportBuilder::read_env`](crate::UreqTransportBuilder::read_env)).
    /// Setters called after this one win.
    ///
    /// ```no_run
    /// use genauth_mfa::ManagementClient;
    ///
    /// // Keys from the environment, host fixed by the program.
    /// let mgmt = ManagementClient::builder()
    ///     .read_env()?
    ///     .host("https://genauth.internal.example")
    ///     .build()?;
    /// # let _ = mgmt;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the variable whose
    /// value cannot be read (a brand, language or timeout), or that is set
    /// but empty (any of them).
    pub fn read_env(mut self) -> Result<Self> {
        self.scope.access_key_id =
            genauth_var("GENAUTH_ACCESS_KEY_ID", "the access key id")?.or(self.scope.access_key_id);
        self.scope.access_key_secret =
            genauth_var("GENAUTH_ACCESS_KEY_SECRET", "the access key secret")?
                .map(Secret::new)
                .or(self.scope.access_key_secret);
        if let Some(host) = env_url("GENAUTH_HOST")? {
            self.scope.host = Some(host);
            self.scope.host_var = Some("GENAUTH_HOST");
        }
        self.common.read_env()?;
        Ok(self)
    }

    /// Checks the settings and builds the client. Nothing is sent: the token
    /// is fetched on the first call.
    ///
    /// ```
    /// use genauth_mfa::{Error, ManagementClient};
    ///
    /// let err = ManagementClient::builder().access_key_id("ACCESS_KEY_ID").build().unwrap_err();
    /// assert!(err.to_string().contains("GENAUTH_ACCESS_KEY_SECRET"));
    /// assert!(matches!(err, Error::Config { .. }));
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when a required setting is
    /// missing (naming its variable), a setting from the environment is
    /// unusable, or settings contradict each other;
    /// [`Error::InvalidArgument`] when a value
    /// given to a setter is unusable.
    pub fn build(self) -> Result<ManagementClient> {
        let id = self
            .scope
            .access_key_id
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| missing("access_key_id", "GENAUTH_ACCESS_KEY_ID"))?;
        let secret = self
            .scope
            .access_key_secret
            .filter(|s| !s.expose().trim().is_empty())
            .ok_or_else(|| missing("access_key_secret", "GENAUTH_ACCESS_KEY_SECRET"))?;
        let host = self
            .scope
            .host
            .as_deref()
            .unwrap_or(self.common.brand.default_host());
        let base = BaseUrl::parse_setting(
            "host",
            host,
            self.scope.host_var,
            self.common.allow_insecure_http,
        )?;
        let caller = self.common.build_caller(base)?;
        let userpool_header = self.common.brand.header("userpool-id");
        Ok(ManagementClient {
            inner: Arc::new(Inner {
                userpool_header,
                common: self.common,
                key: AccessKey { id, secret },
                caller,
                token: TokenCache::default(),
            }),
            cancel: None,
        })
    }
}
