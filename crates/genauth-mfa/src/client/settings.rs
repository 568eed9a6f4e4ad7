//! The settings both client builders share (set by the shared setters in
//! `builder.rs` and the `GENAUTH_*` environment variables) and the call
//! path they build.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderValue};

use crate::env::{env_header_var, env_timeout, genauth_var};

use crate::call::endpoint::header_value;

use crate::call::caller::Caller;
use crate::call::retry::RetryPolicy;
use crate::call::throttle::Limiter;
use crate::client::brand::{Brand, Lang};
use crate::error::{Error, Result};
use crate::transport::Transport;
use crate::transport::UreqTransport;
use crate::url::BaseUrl;

/// The default whole-call timeout: token, attempts and waits included.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(30);

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
    /// `GENAUTH_CA_FILE`: read when the client builds its default transport.
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
            .field("ca_file", &self.ca_file)
            .field("retry", &self.retry)
            .finish()
    }
}

impl CommonSettings {
    /// Fills brand, language, tenant, CA file and timeout from
    /// `GENAUTH_BRAND`, `GENAUTH_LANG`, `GENAUTH_TENANT_ID`,
    /// `GENAUTH_CA_FILE` and `GENAUTH_TIMEOUT` where they are set; set but
    /// empty is an error.
    pub(crate) fn read_env(&mut self) -> Result<()> {
        if let Some(brand) = genauth_var("GENAUTH_BRAND", "genauth or authing")? {
            self.brand = brand.parse().map_err(|_| {
                Error::config(format!(
                    "GENAUTH_BRAND is {brand:?}: use genauth or authing"
                ))
            })?;
        }
        if let Some(lang) = genauth_var("GENAUTH_LANG", "zh-CN or en-US")? {
            let lang = lang.parse().map_err(|_| {
                Error::config(format!("GENAUTH_LANG is {lang:?}: use zh-CN or en-US"))
            })?;
            self.lang = Some(lang);
        }
        if let Some(tenant) = env_header_var("GENAUTH_TENANT_ID", "the tenant id")? {
            self.tenant_id = Some(tenant);
        }
        if let Some(path) = genauth_var("GENAUTH_CA_FILE", "the path of a PEM file")? {
            self.ca_file = Some(path);
        }
        if let Some(timeout) = env_timeout()? {
            self.timeout = Some(timeout);
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
            // shared with programs that use the default transport. A
            // UreqTransport built by the user reads it through its own
            // builder's `read_env`.
            Some(transport) => Arc::clone(transport),
            None => Arc::new(
                UreqTransport::builder()
                    .timeout(timeout)
                    .ca_file(self.ca_file.clone())
                    .build()?,
            ),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_debug() {
        assert_eq!(format!("{:?}", Secret::new("s3cr3t")), "\"***\"");
    }
}
