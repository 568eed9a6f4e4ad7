//! The end-user client: calls made with a signed-in user's access token.
//! Its endpoints are in `api/get_factor.rs` and `api/list_enrolled_factors.rs`.

use std::fmt;
use std::sync::Arc;

use http::HeaderValue;
use serde::de::DeserializeOwned;

use crate::call::caller::Caller;
use crate::call::cancel::CancelToken;
use crate::call::endpoint::{Endpoint, header_value};
use crate::client::builder::{AuthenticationClientBuilder, ClientBuilder};
use crate::client::settings::{CommonSettings, Secret};
use crate::env::{env_header_var, env_url, missing};
use crate::error::{Error, Result};
use crate::url::{BaseUrl, redact_userinfo};

/// A client for the authentication API, acting as one signed-in user.
///
/// Cheap to clone (one `Arc`), `Send + Sync`: share one client across threads.
///
/// ```no_run
/// use genauth_mfa::AuthenticationClient;
///
/// let auth = AuthenticationClient::builder()
///     .app_id("APP_ID")
///     .app_host("https://my-app.genauth.ai")
///     .access_token("USER_ACCESS_TOKEN")
///     .build()?;
/// for factor in auth.list_enrolled_factors().send()? {
///     println!("{} {}", factor.factor_type, factor.factor_id);
/// }
/// # Ok::<(), genauth_mfa::Error>(())
/// ```
#[derive(Clone)]
pub struct AuthenticationClient {
    inner: Arc<Inner>,
    cancel: Option<CancelToken>,
}

struct Inner {
    app_id: String,
    common: CommonSettings,
    /// Its headers hold the access token (sensitive).
    caller: Caller,
}

impl fmt::Debug for AuthenticationClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticationClient")
            .field("app_id", &self.inner.app_id)
            .field("app_host", &self.inner.caller.base)
            .field("brand", &self.inner.common.brand)
            .field("lang", &self.inner.common.lang)
            .field("tenant_id", &self.inner.common.tenant_id)
            .field("access_token", &"***")
            .finish_non_exhaustive()
    }
}

impl AuthenticationClient {
    /// Settings for a new client.
    ///
    /// ```
    /// let auth = genauth_mfa::AuthenticationClient::builder()
    ///     .app_id("APP_ID")
    ///     .app_host("https://my-app.genauth.ai")
    ///     .access_token("USER_ACCESS_TOKEN")
    ///     .build()?;
    /// # let _ = auth;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn builder() -> AuthenticationClientBuilder {
        AuthenticationClientBuilder::default()
    }

    /// A client configured from `GENAUTH_APP_ID`, `GENAUTH_APP_HOST`,
    /// `GENAUTH_ACCESS_TOKEN` and the optional variables that
    /// [`read_env`](AuthenticationClientBuilder::read_env) lists.
    ///
    /// ```no_run
    /// // GENAUTH_APP_ID, GENAUTH_APP_HOST and GENAUTH_ACCESS_TOKEN set
    /// let auth = genauth_mfa::AuthenticationClient::from_env()?;
    /// # let _ = auth;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the variable that is missing or unreadable.
    pub fn from_env() -> Result<Self> {
        Self::builder().read_env()?.build()
    }

    /// The same client (same transport and connections) acting with another
    /// user's access token.
    ///
    /// ```
    /// # use genauth_mfa::AuthenticationClient;
    /// let alice = AuthenticationClient::builder()
    ///     .app_id("APP_ID")
    ///     .app_host("https://my-app.genauth.ai")
    ///     .access_token("ALICE_TOKEN")
    ///     .build()?;
    /// let bob = alice.with_access_token("BOB_TOKEN")?;
    /// # let _ = bob;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when the token is blank or holds characters
    /// a header cannot carry.
    pub fn with_access_token(&self, access_token: impl Into<String>) -> Result<Self> {
        let mut caller = self.inner.caller.clone();
        caller.headers.insert(
            http::header::AUTHORIZATION,
            authorization(&access_token.into())?,
        );
        Ok(AuthenticationClient {
            inner: Arc::new(Inner {
                app_id: self.inner.app_id.clone(),
                common: self.inner.common.clone(),
                caller,
            }),
            cancel: self.cancel.clone(),
        })
    }

    /// The same client (sharing everything with this one), whose calls stop
    /// when `cancel` is cancelled: they fail with
    /// [`Error::Cancelled`](crate::Error::Cancelled) instead of waiting for a
    /// rate-limit slot or another attempt.
    ///
    /// ```
    /// use genauth_mfa::{AuthenticationClient, CancelToken, Error};
    ///
    /// let cancel = CancelToken::new();
    /// let auth = AuthenticationClient::builder()
    ///     .app_id("APP_ID")
    ///     .app_host("https://my-app.genauth.ai")
    ///     .access_token("USER_ACCESS_TOKEN")
    ///     .build()?
    ///     .with_cancel(&cancel);
    /// cancel.cancel();
    /// assert!(matches!(auth.list_enrolled_factors().send(), Err(Error::Cancelled)));
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn with_cancel(&self, cancel: &CancelToken) -> Self {
        AuthenticationClient {
            inner: Arc::clone(&self.inner),
            cancel: Some(cancel.clone()),
        }
    }

    /// Sends `endpoint` with this client's headers and decodes its `data`.
    pub(crate) fn send<T: DeserializeOwned>(&self, endpoint: &Endpoint<'_>) -> Result<T> {
        let caller = &self.inner.caller;
        caller
            .call(endpoint, &[], &mut caller.budget(self.cancel.as_ref()))
            .map_err(|e| match caller.headers.get(http::header::AUTHORIZATION) {
                // A server may echo the token it was sent: never in the error.
                Some(token) => e.redact(&String::from_utf8_lossy(token.as_bytes())),
                None => e,
            })
    }
}

fn authorization(access_token: &str) -> Result<HeaderValue> {
    if access_token.trim().is_empty() {
        return Err(Error::invalid_argument("access_token", "must not be empty"));
    }
    let mut value = header_value("access_token", access_token)?;
    value.set_sensitive(true);
    Ok(value)
}

/// What only an [`AuthenticationClient`]'s builder holds: the application
/// and the user's access token. [`AuthenticationClientBuilder`] is
/// `ClientBuilder<AuthenticationScope>`; its setters are on [`ClientBuilder`].
#[derive(Clone, Default)]
pub struct AuthenticationScope {
    app_id: Option<String>,
    app_host: Option<String>,
    /// `GENAUTH_APP_HOST` when `app_host` came from it.
    app_host_var: Option<&'static str>,
    access_token: Option<Secret>,
}

impl fmt::Debug for AuthenticationScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticationScope")
            .field("app_id", &self.app_id)
            .field("app_host", &self.app_host.as_deref().map(redact_userinfo))
            .field("access_token", &self.access_token)
            .finish()
    }
}

impl fmt::Debug for ClientBuilder<AuthenticationScope> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scope = &self.scope;
        f.debug_struct("AuthenticationClientBuilder")
            .field("app_id", &scope.app_id)
            .field("app_host", &scope.app_host.as_deref().map(redact_userinfo))
            .field("access_token", &scope.access_token)
            .field("common", &self.common)
            .finish()
    }
}

/// The authentication client's own settings, and `build()`.
impl ClientBuilder<AuthenticationScope> {
    /// The application's id (`x-genauth-app-id`).
    ///
    /// ```
    /// let auth = genauth_mfa::AuthenticationClient::builder()
    ///     .app_id("APP_ID")
    ///     .app_host("https://my-app.genauth.ai")
    ///     .access_token("USER_ACCESS_TOKEN")
    ///     .build()?;
    /// # let _ = auth;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.scope.app_id = Some(app_id.into());
        self
    }

    /// The application's own domain, e.g. `https://my-app.genauth.ai`, with
    /// a path prefix if your deployment has one.
    ///
    /// ```
    /// let auth = genauth_mfa::AuthenticationClient::builder()
    ///     .app_id("APP_ID")
    ///     .app_host("https://my-app.genauth.ai")
    ///     .access_token("USER_ACCESS_TOKEN")
    ///     .build()?;
    /// # let _ = auth;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn app_host(mut self, app_host: impl Into<String>) -> Self {
        self.scope.app_host = Some(app_host.into());
        self.scope.app_host_var = None;
        self
    }

    /// The signed-in user's access token, sent as given in `authorization`.
    ///
    /// ```
    /// let auth = genauth_mfa::AuthenticationClient::builder()
    ///     .app_id("APP_ID")
    ///     .app_host("https://my-app.genauth.ai")
    ///     .access_token("USER_ACCESS_TOKEN")
    ///     .build()?;
    /// # let _ = auth;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn access_token(mut self, access_token: impl Into<String>) -> Self {
        self.scope.access_token = Some(Secret::new(access_token));
        self
    }

    /// Takes every setting whose `GENAUTH_*` variable is set and not empty:
    /// `GENAUTH_APP_ID`, `GENAUTH_APP_HOST`, `GENAUTH_ACCESS_TOKEN`,
    /// `GENAUTH_BRAND`, `GENAUTH_LANG`, `GENAUTH_TENANT_ID`,
    /// `GENAUTH_TIMEOUT`, and `GENAUTH_CA_FILE` for the transport the client
    /// builds itself (a transport passed to
    /// [`transport`](ClientBuilder::transport) reads it with
    /// [`UreqTransportBuilder::read_env`](crate::UreqTransportBuilder::read_env)).
    /// Setters called after this one win.
    ///
    /// ```no_run
    /// use genauth_mfa::{AuthenticationClient, Lang};
    ///
    /// // Everything from the environment, but always English messages.
    /// let auth = AuthenticationClient::builder()
    ///     .read_env()?
    ///     .lang(Lang::EnUs)
    ///     .build()?;
    /// # let _ = auth;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the variable whose value cannot be read (a
    /// brand, language or timeout), or that is set but empty (any of them).
    pub fn read_env(mut self) -> Result<Self> {
        self.scope.app_id = env_header_var("GENAUTH_APP_ID", "the app id")?.or(self.scope.app_id);
        if let Some(host) = env_url("GENAUTH_APP_HOST")? {
            self.scope.app_host = Some(host);
            self.scope.app_host_var = Some("GENAUTH_APP_HOST");
        }
        self.scope.access_token =
            env_header_var("GENAUTH_ACCESS_TOKEN", "the user's access token")?
                .map(Secret::new)
                .or(self.scope.access_token);
        self.common.read_env()?;
        Ok(self)
    }

    /// Checks the settings and builds the client. Nothing is sent.
    ///
    /// ```
    /// use genauth_mfa::{AuthenticationClient, Error};
    ///
    /// let err = AuthenticationClient::builder().app_id("APP_ID").build().unwrap_err();
    /// assert!(matches!(err, Error::Config { .. })); // app_host is missing
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when a required setting is missing (naming its
    /// variable), a setting from the environment is unusable, or settings
    /// contradict each other; [`Error::InvalidArgument`] when a value given
    /// to a setter is unusable (not a URL, characters a header cannot carry).
    pub fn build(self) -> Result<AuthenticationClient> {
        let app_id = self
            .scope
            .app_id
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| missing("app_id", "GENAUTH_APP_ID"))?;
        let app_host = self
            .scope
            .app_host
            .ok_or_else(|| missing("app_host", "GENAUTH_APP_HOST"))?;
        let access_token = self
            .scope
            .access_token
            .ok_or_else(|| missing("access_token", "GENAUTH_ACCESS_TOKEN"))?;
        let base = BaseUrl::parse_setting(
            "app_host",
            &app_host,
            self.scope.app_host_var,
            self.common.allow_insecure_http,
        )?;
        let brand = self.common.brand;
        let mut caller = self.common.build_caller(base)?;
        let headers = &mut caller.headers;
        headers.insert(brand.header("app-id"), header_value("app_id", &app_id)?);
        headers.insert(
            brand.header("request-from"),
            HeaderValue::from_static("sdk"),
        );
        headers.insert(
            http::header::AUTHORIZATION,
            authorization(access_token.expose())?,
        );
        Ok(AuthenticationClient {
            inner: Arc::new(Inner {
                app_id,
                common: self.common,
                caller,
            }),
            cancel: None,
        })
    }
}
