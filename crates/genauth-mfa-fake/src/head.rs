//! The request head, as the fake's server reads it: parsed by `httparse`,
//! then what it says about the body (its framing, `100-continue`) and the
//! connection (keep-alive), refusing what is ambiguous or too large.

use http::header::{CONNECTION, CONTENT_LENGTH, EXPECT, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, Uri, Version};

/// The most a request head (request line and headers) may take.
pub(super) const MAX_HEAD_BYTES: usize = 16 * 1024;
/// The most headers a request may have.
const MAX_HEADERS: usize = 64;
/// The most a request body may take, chunked or not.
pub(super) const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Why a request gets no answer from the fake: the server answers this
/// status itself and closes the connection.
#[derive(Debug)]
pub(super) struct Refusal(pub(super) StatusCode, pub(super) &'static str);

/// A body over [`MAX_BODY_BYTES`].
pub(super) fn too_large() -> Refusal {
    Refusal(
        StatusCode::PAYLOAD_TOO_LARGE,
        "the request body is too large",
    )
}

/// The request head at the start of `buf` and its length, once complete.
pub(super) fn parse_head(buf: &[u8]) -> Result<Option<(Request<()>, usize)>, Refusal> {
    let bad = |why| Refusal(StatusCode::BAD_REQUEST, why);
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    let len = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Refusal(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "too many request headers",
            ));
        }
        Err(_) => return Err(bad("a malformed request head")),
    };
    let method = Method::from_bytes(parsed.method.unwrap_or("").as_bytes())
        .map_err(|_| bad("a malformed method"))?;
    let uri: Uri = parsed
        .path
        .unwrap_or("")
        .parse()
        .map_err(|_| bad("a malformed request target"))?;
    let version = match parsed.version {
        Some(0) => Version::HTTP_10,
        _ => Version::HTTP_11,
    };
    let mut map = HeaderMap::with_capacity(parsed.headers.len());
    for header in parsed.headers.iter() {
        let name = HeaderName::from_bytes(header.name.as_bytes())
            .map_err(|_| bad("a malformed header name"))?;
        let value =
            HeaderValue::from_bytes(header.value).map_err(|_| bad("a malformed header value"))?;
        map.append(name, value);
    }
    let mut request = Request::new(());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.version_mut() = version;
    *request.headers_mut() = map;
    Ok(Some((request, len)))
}

#[derive(Debug, PartialEq)]
pub(super) enum Framing {
    Length(usize),
    Chunked,
}

/// How the body is delimited (RFC 9112 section 6), refusing the ambiguous.
pub(super) fn framing(headers: &HeaderMap) -> Result<Framing, Refusal> {
    let bad = |why| Refusal(StatusCode::BAD_REQUEST, why);
    let codings = list(headers, &TRANSFER_ENCODING);
    let lengths = list(headers, &CONTENT_LENGTH);
    if !codings.is_empty() {
        if !lengths.is_empty() {
            return Err(bad("both transfer-encoding and content-length"));
        }
        return match codings.as_slice() {
            [only] if only.eq_ignore_ascii_case("chunked") => Ok(Framing::Chunked),
            _ => Err(Refusal(
                StatusCode::NOT_IMPLEMENTED,
                "only the chunked transfer coding is supported",
            )),
        };
    }
    let mut length = None;
    for value in lengths {
        let n: usize = value
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| value.parse().ok())
            .flatten()
            .ok_or(bad("a malformed content-length"))?;
        if length.replace(n).is_some_and(|before| before != n) {
            return Err(bad("conflicting content-length headers"));
        }
    }
    match length.unwrap_or(0) {
        n if n > MAX_BODY_BYTES => Err(too_large()),
        n => Ok(Framing::Length(n)),
    }
}

/// The comma-separated elements of every `name` header.
fn list<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Vec<&'a str> {
    headers
        .get_all(name)
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("\u{0}").split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

pub(super) fn keep_alive(request: &Request<()>) -> bool {
    let tokens = list(request.headers(), &CONNECTION);
    let has = |word: &str| tokens.iter().any(|t| t.eq_ignore_ascii_case(word));
    match request.version() {
        Version::HTTP_10 => has("keep-alive"),
        _ => !has("close"),
    }
}

/// Whether the client waits for `100 Continue` before its body.
pub(super) fn expects_continue(request: &Request<()>) -> Result<bool, Refusal> {
    match request.headers().get(EXPECT) {
        None => Ok(false),
        Some(v) if v.as_bytes().eq_ignore_ascii_case(b"100-continue") => {
            Ok(request.version() == Version::HTTP_11)
        }
        Some(_) => Err(Refusal(
            StatusCode::EXPECTATION_FAILED,
            "unknown expectation",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        map
    }

    #[test]
    fn bodies_are_framed_by_one_length_or_chunks_and_nothing_ambiguous() {
        let framed = |pairs: &[(&str, &str)]| framing(&headers(pairs)).map_err(|r| r.0);
        assert_eq!(framed(&[]), Ok(Framing::Length(0)));
        assert_eq!(
            framed(&[("content-length", "5"), ("content-length", "5")]),
            Ok(Framing::Length(5))
        );
        assert_eq!(
            framed(&[("transfer-encoding", "Chunked")]),
            Ok(Framing::Chunked)
        );
        for bad in [
            &[("content-length", "5"), ("content-length", "6")][..],
            &[("content-length", "+5")],
            &[("content-length", "99999999999999999999999")],
            &[("content-length", "5"), ("transfer-encoding", "chunked")],
        ] {
            assert_eq!(framed(bad), Err(StatusCode::BAD_REQUEST), "{bad:?}");
        }
        assert_eq!(
            framed(&[("transfer-encoding", "gzip, chunked")]),
            Err(StatusCode::NOT_IMPLEMENTED)
        );
        assert_eq!(
            framed(&[("content-length", "1048577")]),
            Err(StatusCode::PAYLOAD_TOO_LARGE)
        );
    }

    #[test]
    fn heads_parse_or_are_refused() {
        let (request, len) = parse_head(b"GET /a?b=c HTTP/1.0\r\nHost: x\r\n\r\nrest")
            .unwrap()
            .unwrap();
        assert_eq!((request.uri().query(), len), (Some("b=c"), 32));
        assert!(!keep_alive(&request));
        assert!(
            parse_head(b"GET / HTTP/1.1\r\nHost: x\r\n")
                .unwrap()
                .is_none()
        );
        assert!(parse_head(b"\x00\x01garbage\r\n\r\n").is_err());
        let many: String = (0..100).map(|i| format!("h{i}: v\r\n")).collect();
        let refusal = parse_head(format!("GET / HTTP/1.1\r\n{many}\r\n").as_bytes()).unwrap_err();
        assert_eq!(refusal.0, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    }
}
