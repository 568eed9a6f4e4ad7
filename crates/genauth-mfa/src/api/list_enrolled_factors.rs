//! `GET /api/v3/list-enrolled-factors`: every MFA factor the signed-in user
//! has enrolled.

use serde::{Deserialize, Deserializer};

use crate::call::endpoint::Endpoint;
use crate::client::authentication::AuthenticationClient;
use crate::error::Result;
use crate::model::Factor;

const PATH: &str = "/api/v3/list-enrolled-factors";

impl AuthenticationClient {
    /// Lists every factor the user has enrolled
    /// (`GET /api/v3/list-enrolled-factors`). Nothing is sent until
    /// [`send`](ListEnrolledFactors::send).
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
        ListEnrolledFactors {
            client: self,
            end_user_ip: None,
        }
    }
}

/// A list-enrolled-factors request; made by
/// [`AuthenticationClient::list_enrolled_factors`], sent by
/// [`ListEnrolledFactors::send`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until .send() is called"]
pub struct ListEnrolledFactors<'c> {
    client: &'c AuthenticationClient,
    end_user_ip: Option<String>,
}

impl ListEnrolledFactors<'_> {
    /// The IP address of the end user this call is made for (`x-real-ip`).
    ///
    /// ```
    /// # use genauth_mfa::{AuthenticationClient, http};
    /// # let fake = |_req: http::Request<Vec<u8>>| Ok(http::Response::new(
    /// #     br#"{"statusCode":200,"data":[]}"#.to_vec()));
    /// # let auth = AuthenticationClient::builder().app_id("APP_ID").app_host("https://my-app.genauth.ai")
    /// #     .access_token("USER_ACCESS_TOKEN").transport(fake).build()?;
    /// let factors = auth.list_enrolled_factors().end_user_ip("203.0.113.7").send()?;
    /// # let _ = factors;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn end_user_ip(mut self, ip: impl Into<String>) -> Self {
        self.end_user_ip = Some(ip.into());
        self
    }

    /// Sends the request and returns the factors (empty when there are none).
    ///
    /// ```
    /// # use genauth_mfa::{AuthenticationClient, http};
    /// # let fake = |_req: http::Request<Vec<u8>>| Ok(http::Response::new(
    /// #     br#"{"statusCode":200,"data":[]}"#.to_vec()));
    /// # let auth = AuthenticationClient::builder().app_id("APP_ID").app_host("https://my-app.genauth.ai")
    /// #     .access_token("USER_ACCESS_TOKEN").transport(fake).build()?;
    /// for factor in auth.list_enrolled_factors().send()? {
    ///     println!("{}", factor.factor_type);
    /// }
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument), before
    /// anything is sent, when the end-user IP holds characters a header
    /// cannot carry; otherwise any [`Error`](crate::Error) of a call.
    pub fn send(self) -> Result<Vec<Factor>> {
        let mut endpoint = Endpoint::get(PATH);
        if let Some(ip) = &self.end_user_ip {
            endpoint = endpoint.header("x-real-ip", "end_user_ip", ip);
        }
        let FactorList(factors) = self.client.send(&endpoint)?;
        Ok(factors)
    }
}

/// The `data` of the answer: documented as an array, shown in the vendor's
/// sample as a single object; `null` or absent means none.
struct FactorList(Vec<Factor>);

impl<'de> Deserialize<'de> for FactorList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<FactorList, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            Many(Vec<Factor>),
            One(Factor),
            None(()),
        }
        Ok(FactorList(match OneOrMany::deserialize(deserializer)? {
            OneOrMany::Many(v) => v,
            OneOrMany::One(f) => vec![f],
            OneOrMany::None(()) => Vec::new(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FactorType;

    fn parse(json: &str) -> Result<Vec<Factor>, serde_json::Error> {
        serde_json::from_str::<FactorList>(json).map(|l| l.0)
    }

    #[test]
    fn accepts_an_array_a_single_object_or_null() {
        let one = r#"{"factorId":"a","factorType":"SMS","profile":{}}"#;
        assert_eq!(parse(&format!("[{one},{one}]")).unwrap().len(), 2);
        let single = parse(one).unwrap();
        assert_eq!(single.len(), 1);
        assert_eq!(single[0].factor_type, FactorType::Sms);
        assert!(parse("[]").unwrap().is_empty());
        assert!(parse("null").unwrap().is_empty());
        assert!(parse("\"nope\"").is_err());
        assert!(parse(r#"[{"factorType":"SMS"}]"#).is_err());
    }
}
