//! Which brand of the API to talk to, and the language of its messages.

use std::fmt;
use std::str::FromStr;

use http::HeaderName;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Which brand of the V3 API to talk to. Both serve the same API; they
/// differ in the default host and in the prefix of the custom headers.
/// Reads and writes `genauth` / `authing`.
///
/// ```
/// use genauth_mfa::Brand;
///
/// assert_eq!("Authing".parse::<Brand>()?, Brand::Authing);
/// assert_eq!(Brand::GenAuth.to_string(), "genauth");
/// # Ok::<(), genauth_mfa::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Brand {
    /// GenAuth: `https://api.genauth.ai`, `x-genauth-*` headers. The default.
    #[default]
    GenAuth,
    /// Authing: `https://api.authing.cn`, `x-authing-*` headers.
    Authing,
}

impl Brand {
    /// The brand's name: `genauth` or `authing`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Brand::GenAuth => "genauth",
            Brand::Authing => "authing",
        }
    }

    /// The brand's default management host.
    #[must_use]
    pub fn default_host(self) -> &'static str {
        match self {
            Brand::GenAuth => "https://api.genauth.ai",
            Brand::Authing => "https://api.authing.cn",
        }
    }

    /// The prefix of the brand's custom headers (`x-genauth-` or `x-authing-`).
    #[must_use]
    pub fn header_prefix(self) -> &'static str {
        match self {
            Brand::GenAuth => "x-genauth-",
            Brand::Authing => "x-authing-",
        }
    }

    /// The header `x-<brand>-<suffix>`.
    pub(crate) fn header(self, suffix: &str) -> HeaderName {
        HeaderName::from_bytes(format!("{}{suffix}", self.header_prefix()).as_bytes())
            .expect("brand header names are valid")
    }
}

impl fmt::Display for Brand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Brand {
    type Err = Error;
    /// `genauth` or `authing`, in any case.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for any other name.
    fn from_str(s: &str) -> Result<Brand> {
        match s.trim().to_ascii_lowercase().as_str() {
            "genauth" => Ok(Brand::GenAuth),
            "authing" => Ok(Brand::Authing),
            _ => Err(Error::config(format!(
                "unknown brand {s:?}: use genauth or authing"
            ))),
        }
    }
}

/// The language of the server's messages (`x-genauth-lang`). Reads and
/// writes `zh-CN` / `en-US`.
///
/// ```
/// use genauth_mfa::Lang;
///
/// assert_eq!("en_us".parse::<Lang>()?, Lang::EnUs);
/// assert_eq!(Lang::ZhCn.to_string(), "zh-CN");
/// # Ok::<(), genauth_mfa::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Lang {
    /// Simplified Chinese, `zh-CN`.
    #[serde(rename = "zh-CN")]
    ZhCn,
    /// English, `en-US`.
    #[serde(rename = "en-US")]
    EnUs,
}

impl Lang {
    /// The header value, `zh-CN` or `en-US`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::EnUs => "en-US",
        }
    }
}

impl FromStr for Lang {
    type Err = Error;
    /// `zh-CN` or `en-US` (case and `_`/`-` do not matter).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for any other language.
    fn from_str(s: &str) -> Result<Lang> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "zh-cn" => Ok(Lang::ZhCn),
            "en-us" => Ok(Lang::EnUs),
            _ => Err(Error::config(format!(
                "unknown language {s:?}: use zh-CN or en-US"
            ))),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brands_and_langs_parse() {
        assert_eq!("Authing".parse::<Brand>().unwrap(), Brand::Authing);
        assert_eq!("genauth".parse::<Brand>().unwrap(), Brand::GenAuth);
        assert!("okta".parse::<Brand>().is_err());
        assert_eq!("en_us".parse::<Lang>().unwrap(), Lang::EnUs);
        assert_eq!("zh-CN".parse::<Lang>().unwrap(), Lang::ZhCn);
        assert!("fr".parse::<Lang>().is_err());
        assert_eq!(Brand::Authing.header("app-id").as_str(), "x-authing-app-id");
        for brand in [Brand::GenAuth, Brand::Authing] {
            assert_eq!(brand.to_string().parse::<Brand>().unwrap(), brand);
            let json = serde_json::to_string(&brand).unwrap();
            assert_eq!(serde_json::from_str::<Brand>(&json).unwrap(), brand);
        }
        for lang in [Lang::ZhCn, Lang::EnUs] {
            assert_eq!(lang.to_string().parse::<Lang>().unwrap(), lang);
            let json = serde_json::to_string(&lang).unwrap();
            assert_eq!(json, format!("\"{lang}\""));
            assert_eq!(serde_json::from_str::<Lang>(&json).unwrap(), lang);
        }
    }
}
