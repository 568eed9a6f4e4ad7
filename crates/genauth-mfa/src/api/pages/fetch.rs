//! One page of a paginated listing: its request sent and its `data` read.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::call::endpoint::Endpoint;
use crate::call::envelope::ObjectOnly;
use crate::client::management::ManagementClient;
use crate::error::{Error, Result};
use crate::model::lenient::lenient_count;

/// A page as the server sent it: each part `None` when absent (a `null`
/// list is an empty one).
#[derive(Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
pub(crate) struct WirePage<T> {
    #[serde(rename = "totalCount", default, deserialize_with = "lenient_count")]
    pub(crate) total_count: Option<u64>,
    #[serde(rename = "list", default, deserialize_with = "present_list")]
    pub(crate) list: Option<Vec<T>>,
}

fn present_list<'de, D, T>(d: D) -> std::result::Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    Ok(Some(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default()))
}

/// A page read: its items, and its count when it had a readable one.
pub(crate) struct FetchedPage<T> {
    pub(crate) total_count: Option<u64>,
    pub(crate) list: Vec<T>,
}

/// Sends one page's request and reads its `data`; an answer that holds
/// neither `list` nor `totalCount` is a decode error (it must not read as
/// an empty list).
pub(crate) fn fetch_page<T: DeserializeOwned>(
    client: &ManagementClient,
    endpoint: &Endpoint<'_>,
) -> Result<FetchedPage<T>> {
    match client.send::<ObjectOnly<WirePage<T>>>(endpoint)?.0 {
        WirePage {
            total_count: None,
            list: None,
        } => Err(Error::decode(
            200,
            "the answer holds neither list nor totalCount",
            b"",
        )),
        WirePage { total_count, list } => Ok(FetchedPage {
            total_count,
            list: list.unwrap_or_default(),
        }),
    }
}
