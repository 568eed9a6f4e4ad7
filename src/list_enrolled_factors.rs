//! `GET /api/v3/list-enrolled-factors`: every MFA factor the signed-in user
//! has enrolled.

use serde::{Deserialize, Deserializer};

use crate::authentication::AuthenticationClient;
use crate::endpoint::Endpoint;
use crate::error::Result;
use crate::get_factor::Factor;

/// A list-enrolled-factors request; made by
/// [`AuthenticationClient::list_enrolled_factors`], sent by
/// [`ListEnrolledFactors::send`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until .send() is called"]
pub struct ListEnrolledFactors<'c> {
    client: &'c AuthenticationClient,
    end_user_ip: Option<String>,
}

impl<'c> ListEnrolledFactors<'c> {
    pub(crate) fn new(client: &'c AuthenticationClient) -> Self {
        ListEnrolledFactors {
            client,
            end_user_ip: None,
        }
    }

    /// The IP address of the end user this call is made for (`x-real-ip`).
    pub fn end_user_ip(mut self, ip: impl Into<String>) -> Self {
        self.end_user_ip = Some(ip.into());
        self
    }

    /// Sends the request and returns the factors (empty when there are none).
    pub fn send(self) -> Result<Vec<Factor>> {
        let endpoint = Endpoint::get("/api/v3/list-enrolled-factors");
        let FactorList(factors) = self
            .client
            .execute(&endpoint, self.end_user_ip.as_deref())?;
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
    use crate::get_factor::FactorType;

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
