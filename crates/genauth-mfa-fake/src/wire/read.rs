//! Reading a request: its page and flags from the query, the list-users
//! body, and the query string itself.

use serde_json::{Value, json};

use super::Refusal;
use crate::pool::{Listing, StatusFilter};
use crate::route::RecordedRequest;

/// The `page` (from 1, default 1) and `limit` (1 to 50, default 10) query
/// parameters of a paginated GET, as the service reads them; anything else
/// is refused (400).
pub(super) fn page_query(request: &RecordedRequest) -> Result<(u64, u64), Refusal> {
    let number = |name, default, message| match request.query(name) {
        None => Ok(default),
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or((400, None, message)),
    };
    let page = number("page", 1, "page must be a whole number from 1")?;
    let limit = number("limit", 10, "limit must be a whole number from 1")?;
    if limit > 50 {
        return Err((400, None, "limit must not exceed 50"));
    }
    Ok((page, limit))
}

/// A boolean query parameter (absent: false); other text is refused.
pub(super) fn flag(request: &RecordedRequest, name: &str) -> Result<bool, Refusal> {
    match request.query(name) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err((400, None, "a flag must be true or false")),
    }
}

/// Reads a `list-users` body as the fake serves it: pagination (`page`
/// from 1, `limit` 1 to 50, default 10), `advancedFilter` on `status`
/// `EQUAL` only, `sort` on `createdAt` only; anything else it cannot honour
/// is refused (400) rather than ignored.
pub(super) fn listing(body: &[u8]) -> Result<Listing, Refusal> {
    let body = listing_body(body)?;
    let absent = |v: &Value| v.is_null() || v.as_str() == Some("");
    if !absent(&body["keywords"]) {
        return Err(refuse("FakeGenAuth does not search by keywords"));
    }
    if !(absent(&body["searchQuery"]) || body["searchQuery"] == json!({})) {
        return Err(refuse("FakeGenAuth does not support searchQuery"));
    }
    let options = &body["options"];
    let (page, limit) = pagination(&options["pagination"])?;
    let descending = descending(&options["sort"])?;
    let status = status_filter(&body["advancedFilter"])?;
    let with_department_ids = match &options["withDepartmentIds"] {
        Value::Null => false,
        Value::Bool(on) => *on,
        _ => return Err(refuse("withDepartmentIds must be a boolean")),
    };
    Ok(Listing {
        page,
        limit,
        status,
        descending,
        with_department_ids,
    })
}

/// A refusal of the listing's body (400).
fn refuse(message: &'static str) -> Refusal {
    (400, None, message)
}

/// The body as a JSON object; an empty body is an empty object.
fn listing_body(body: &[u8]) -> Result<Value, Refusal> {
    let body: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(body).map_err(|_| refuse("the body is not JSON"))?
    };
    if !body.is_object() {
        return Err(refuse("the body is not a JSON object"));
    }
    Ok(body)
}

/// `options.pagination`'s page (from 1, default 1) and limit (1 to 50,
/// default 10).
fn pagination(pagination: &Value) -> Result<(u64, u64), Refusal> {
    let number = |v: &Value, default: u64, message| match v {
        Value::Null => Ok(default),
        v => v.as_u64().filter(|n| *n >= 1).ok_or(refuse(message)),
    };
    let page = number(&pagination["page"], 1, "page must be a whole number from 1")?;
    let limit = number(
        &pagination["limit"],
        10,
        "limit must be a whole number from 1",
    )?;
    if limit > 50 {
        return Err(refuse("limit must not exceed 50"));
    }
    Ok((page, limit))
}

/// Whether `options.sort` asks for newest first: by `createdAt` only, the
/// first entry deciding; ascending when there is none.
fn descending(sort: &Value) -> Result<bool, Refusal> {
    let mut descending = None;
    for sort in entries(sort, "sort must be a list")? {
        let order = sort["order"].as_str().map(str::to_ascii_lowercase);
        let desc = match order.as_deref() {
            Some("asc") => false,
            Some("desc") => true,
            _ => return Err(refuse("sort order must be asc or desc")),
        };
        if sort["field"] != "createdAt" {
            return Err(refuse("FakeGenAuth sorts by createdAt only"));
        }
        descending.get_or_insert(desc);
    }
    Ok(descending.unwrap_or(false))
}

/// The users `advancedFilter` keeps: status EQUAL filters only, two that
/// disagree keeping nobody.
fn status_filter(filters: &Value) -> Result<StatusFilter, Refusal> {
    let mut status = StatusFilter::Any;
    for filter in entries(filters, "advancedFilter must be a list")? {
        let operator = filter["operator"].as_str().unwrap_or("");
        let (true, true, Some(value)) = (
            filter["field"] == "status",
            operator.eq_ignore_ascii_case("EQUAL"),
            filter["value"].as_str(),
        ) else {
            return Err(refuse("FakeGenAuth filters on status EQUAL only"));
        };
        status = match status {
            StatusFilter::Any => StatusFilter::Only(value.to_owned()),
            StatusFilter::Only(s) if s == value => StatusFilter::Only(s),
            _ => StatusFilter::Nobody,
        };
    }
    Ok(status)
}

/// The elements of a list that may be absent (`null`: none).
pub(super) fn entries<'a>(v: &'a Value, message: &'static str) -> Result<&'a [Value], Refusal> {
    match v {
        Value::Null => Ok(&[]),
        Value::Array(entries) => Ok(entries),
        _ => Err((400, None, message)),
    }
}

/// Decodes a query as a server does (`application/x-www-form-urlencoded`:
/// `%XX` is a byte, `+` a space).
pub(crate) fn decode_query(query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let spaced = s.replace('+', " ");
        percent_encoding::percent_decode_str(&spaced)
            .decode_utf8_lossy()
            .into_owned()
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}
