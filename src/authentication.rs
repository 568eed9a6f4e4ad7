//! The end-user client: calls made with a signed-in user's access token.

use std::fmt;
use std::sync::Arc;

use http::{HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;

use crate::config::{BaseUrl, CommonSettings, Secret, env_var, header_value, missing};
use crate::endpoint::{Body, Endpoint, parse_response};
use crate::error::Result;
use crate::get_factor::GetFactor;
use crate::list_enrolled_factors::ListEnrolledFactors;
use crate::transport::Transport;

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
}

struct Inner {
    app_id: String,
    base: BaseUrl,
    common: CommonSettings,
    /// Every header of every call, the access token among them (sensitive).
    headers: HeaderMap,
    transport: Arc<dyn Transport>,
}

impl fmt::Debug for AuthenticationClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticationClient")
            .field("app_id", &self.inner.app_id)
            .field("app_host", &self.inner.base)
            .field("brand", &self.inner.common.brand)
            .field("lang", &self.inner.common.lang)
            .field("tenant_id", &self.inner.common.tenant_id)
            .field("access_token", &"***")
            .finish_non_exhaustive()
    }
}

impl AuthenticationClient {
    /// Settings for a new client.
    pub fn builder() -> AuthenticationClientBuilder {
        AuthenticationClientBuilder::default()
    }

    /// A client configured from `GENAUTH_APP_ID`, `GENAUTH_APP_HOST`,
    /// `GENAUTH_ACCESS_TOKEN` and the optional `GENAUTH_BRAND`,
    /// `GENAUTH_LANG` and `GENAUTH_TENANT_ID`.
    pub fn from_env() -> Result<Self> {
        Self::builder().read_env()?.build()
    }

    /// The same client (same transport and connections) acting with another
    /// user's access token; the token is checked before use.
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
    pub fn with_access_token(&self, access_token: impl Into<String>) -> Result<Self> {
        let mut headers = self.inner.headers.clone();
        headers.insert(
            http::header::AUTHORIZATION,
            authorization(&access_token.into())?,
        );
        Ok(AuthenticationClient {
            inner: Arc::new(Inner {
                app_id: self.inner.app_id.clone(),
                base: self.inner.base.clone(),
                common: self.inner.common.clone(),
                headers,
                transport: Arc::clone(&self.inner.transport),
            }),
        })
    }

    /// Gets one of the user's enrolled factors by its id
    /// (`GET /api/v3/get-factor`).
    ///
    /// ```
    /// # use genauth_mfa::{AuthenticationClient, FactorType, http};
    /// # let fake = |req: http::Request<Vec<u8>>| {
    /// #     assert_eq!(req.uri().query(), Some("factorId=6229ffaxxxxxxxxcade3e3d9"));
    /// #     Ok(http::Response::new(br#"{"statusCode":200,"message":"ok","data":
    /// #       {"factorId":"6229ffaxxxxxxxxcade3e3d9","factorType":"SMS",
    /// #        "profile":{"phoneNumber":"188xxxx8888","phoneCountryCode":"+86"}}}"#.to_vec()))
    /// # };
    /// # let auth = AuthenticationClient::builder().app_id("APP_ID")
    /// #     .app_host("https://my-app.genauth.ai").access_token("TOKEN").transport(fake).build()?;
    /// let factor = auth.get_factor("6229ffaxxxxxxxxcade3e3d9").send()?;
    /// assert_eq!(factor.factor_type, FactorType::Sms);
    /// assert_eq!(factor.profile.phone_number.as_deref(), Some("188xxxx8888"));
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn get_factor(&self, factor_id: impl Into<String>) -> GetFactor<'_> {
        GetFactor::new(self, factor_id.into())
    }

    /// Lists every factor the user has enrolled
    /// (`GET /api/v3/list-enrolled-factors`).
    ///
    /// ```
    /// # use genauth_mfa::{AuthenticationClient, FactorType, http};
    /// # let fake = |_req: http::Request<Vec<u8>>| {
    /// #     Ok(http::Response::new(br#"{"statusCode":200,"message":"ok","data":[
    /// #       {"factorId":"f1","factorType":"OTP","profile":{}},
    /// #       {"factorId":"f2","factorType":"EMAIL","profile":{"email":"a@example.com"}}]}"#.to_vec()))
    /// # };
    /// # let auth = AuthenticationClient::builder().app_id("APP_ID")
    /// #     .app_host("https://my-app.genauth.ai").access_token("TOKEN").transport(fake).build()?;
    /// let factors = auth.list_enrolled_factors().send()?;
    /// let kinds: Vec<_> = factors.iter().map(|f| f.factor_type.as_str()).collect();
    /// assert_eq!(kinds, ["OTP", "EMAIL"]);
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn list_enrolled_factors(&self) -> ListEnrolledFactors<'_> {
        ListEnrolledFactors::new(self)
    }

    /// Sends `endpoint` with this client's headers and decodes its `data`.
    pub(crate) fn execute<T: DeserializeOwned>(
        &self,
        endpoint: &Endpoint<'_>,
        end_user_ip: Option<&str>,
    ) -> Result<T> {
        let mut headers = self.inner.headers.clone();
        if let Some(ip) = end_user_ip {
            headers.insert("x-real-ip", header_value("end_user_ip", ip)?);
        }
        let request = endpoint.request(&self.inner.base, headers)?;
        let response = self.inner.transport.send(request)?;
        parse_response(&response, Body::Showable)
    }
}

fn authorization(access_token: &str) -> Result<HeaderValue> {
    if access_token.trim().is_empty() {
        return Err(crate::Error::invalid_argument(
            "access_token",
            "must not be empty",
        ));
    }
    let mut value = header_value("access_token", access_token)?;
    value.set_sensitive(true);
    Ok(value)
}

/// Settings for an [`AuthenticationClient`]; `app_id`, `app_host` and
/// `access_token` are required.
#[derive(Clone, Default)]
pub struct AuthenticationClientBuilder {
    app_id: Option<String>,
    app_host: Option<String>,
    access_token: Option<Secret>,
    common: CommonSettings,
}

impl fmt::Debug for AuthenticationClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticationClientBuilder")
            .field("app_id", &self.app_id)
            .field("app_host", &self.app_host)
            .field("access_token", &self.access_token)
            .field("common", &self.common)
            .finish()
    }
}

impl AuthenticationClientBuilder {
    /// The application's id (`x-genauth-app-id`).
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = Some(app_id.into());
        self
    }

    /// The application's own domain, e.g. `https://my-app.genauth.ai`.
    pub fn app_host(mut self, app_host: impl Into<String>) -> Self {
        self.app_host = Some(app_host.into());
        self
    }

    /// The signed-in user's access token, sent as given in `authorization`.
    pub fn access_token(mut self, access_token: impl Into<String>) -> Self {
        self.access_token = Some(Secret::new(access_token));
        self
    }

    common_builder_methods!();

    /// Takes every setting whose `GENAUTH_*` variable is set and not empty:
    /// `GENAUTH_APP_ID`, `GENAUTH_APP_HOST`, `GENAUTH_ACCESS_TOKEN`,
    /// `GENAUTH_BRAND`, `GENAUTH_LANG`, `GENAUTH_TENANT_ID`. Setters called
    /// after this one win. Fails on a brand or language it cannot read.
    pub fn read_env(mut self) -> Result<Self> {
        self.app_id = env_var("GENAUTH_APP_ID").or(self.app_id);
        self.app_host = env_var("GENAUTH_APP_HOST").or(self.app_host);
        self.access_token = env_var("GENAUTH_ACCESS_TOKEN")
            .map(Secret::new)
            .or(self.access_token);
        self.common.read_env()?;
        Ok(self)
    }

    /// Checks the settings and builds the client. Nothing is sent.
    pub fn build(self) -> Result<AuthenticationClient> {
        let app_id = self
            .app_id
            .ok_or_else(|| missing("app_id", "GENAUTH_APP_ID"))?;
        let app_host = self
            .app_host
            .ok_or_else(|| missing("app_host", "GENAUTH_APP_HOST"))?;
        let access_token = self
            .access_token
            .ok_or_else(|| missing("access_token", "GENAUTH_ACCESS_TOKEN"))?;
        let base = BaseUrl::parse("app_host", &app_host, self.common.allow_insecure_http)?;
        let brand = self.common.brand;
        let mut headers = self.common.base_headers()?;
        headers.insert(brand.header("app-id"), header_value("app_id", &app_id)?);
        headers.insert(
            brand.header("request-from"),
            HeaderValue::from_static("sdk"),
        );
        headers.insert(
            http::header::AUTHORIZATION,
            authorization(access_token.expose())?,
        );
        let transport = self.common.build_transport()?;
        Ok(AuthenticationClient {
            inner: Arc::new(Inner {
                app_id,
                base,
                common: self.common,
                headers,
                transport,
            }),
        })
    }
}
