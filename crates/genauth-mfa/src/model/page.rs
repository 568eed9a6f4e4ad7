//! One page of a listing of users as the server sends it.

use serde::{Deserialize, Deserializer, Serialize};

use super::lenient::lenient_int;
use super::user::User;

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct UserPage {
    /// How many users match, in all pages.
    #[serde(rename = "totalCount", default, deserialize_with = "count")]
    pub total_count: u64,
    /// This page's users.
    #[serde(rename = "list", default, deserialize_with = "null_as_empty")]
    pub users: Vec<User>,
}

fn count<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<u64, D::Error> {
    Ok(lenient_int(d)?
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0))
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<User>, D::Error> {
    Ok(Option::<Vec<User>>::deserialize(d)?.unwrap_or_default())
}
