//! One page of a listing as the server sends it.

use serde::{Deserialize, Deserializer, Serialize};

use super::lenient::{lenient_count, lenient_int};
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

/// A page as the server sent it, before a missing `totalCount` reads as 0:
/// each part `None` when absent (a `null` list is an empty one).
#[derive(Deserialize)]
pub(crate) struct WirePage {
    #[serde(rename = "totalCount", default, deserialize_with = "lenient_count")]
    pub(crate) total_count: Option<u64>,
    #[serde(rename = "list", default, deserialize_with = "present_list")]
    pub(crate) users: Option<Vec<User>>,
}

fn present_list<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Vec<User>>, D::Error> {
    null_as_empty(d).map(Some)
}

fn count<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<u64, D::Error> {
    Ok(lenient_int(d)?
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0))
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<User>, D::Error> {
    Ok(Option::<Vec<User>>::deserialize(d)?.unwrap_or_default())
}
