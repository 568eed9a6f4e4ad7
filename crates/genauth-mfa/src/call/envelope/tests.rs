use super::*;

fn response(status: u16, body: &str) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .body(body.as_bytes().to_vec())
        .unwrap()
}

#[test]
fn status_codes_are_read_leniently_and_odd_shapes_skipped() {
    for body in [
        r#"{"statusCode":200,"apiCode":{"a":[1,{"b":null}]},"data":[7]}"#,
        r#"{"statusCode":200.0,"apiCode":[1,2],"data":[7]}"#,
        r#"{"statusCode":" 200 ","apiCode":true,"data":[7]}"#,
    ] {
        let v: Vec<u32> = parse_response(&response(200, body), Answer::Showable).unwrap();
        assert_eq!(v, [7], "{body}");
    }
    let err = parse_response::<()>(
        &response(
            200,
            r#"{"statusCode":"429","apiCode":18446744073709551615}"#,
        ),
        Answer::Showable,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Api {
                status_code: 429,
                api_code: None,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn success_yields_data() {
    let v: Vec<u32> = parse_response(
        &response(200, r#"{"statusCode":200,"data":[1,2],"extra":{}}"#),
        Answer::Showable,
    )
    .unwrap();
    assert_eq!(v, [1, 2]);
}

#[test]
fn api_errors_come_with_every_field_whatever_the_http_status() {
    for http in [200, 400, 403, 500] {
        let body = r#"{"statusCode":403,"message":"no","apiCode":"2003","requestId":"r1"}"#;
        let err = parse_response::<()>(&response(http, body), Answer::Showable).unwrap_err();
        match err {
            Error::Api {
                http_status,
                status_code: 403,
                api_code: Some(2003),
                message,
                request_id,
                ..
            } => {
                assert_eq!(http_status, http);
                assert_eq!(message, "no");
                assert_eq!(request_id.as_deref(), Some("r1"));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn http_error_with_a_json_body_but_no_status_code_is_an_api_error() {
    let err = parse_response::<()>(
        &response(401, r#"{"message":"Unauthorized"}"#),
        Answer::Showable,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Api {
                status_code: 401,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_unauthenticated());
    // An envelope claiming success on an error status is still an error.
    let err = parse_response::<()>(&response(503, r#"{"statusCode":200}"#), Answer::Showable)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Api {
                status_code: 503,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn non_envelopes_are_decode_errors_with_a_bounded_snippet() {
    let html = format!(
        "<html><body>502 Bad Gateway{}</body></html>",
        "x".repeat(5000)
    );
    for (status, body) in [
        (502, html.as_str()),
        (200, ""),
        (200, "   "),
        (200, r#"{"statusCode":200,"da"#),
        (200, "[]"),
        (200, "{}"),
    ] {
        let err = parse_response::<()>(&response(status, body), Answer::Showable).unwrap_err();
        match &err {
            Error::Decode {
                http_status,
                snippet,
                ..
            } => {
                assert_eq!(*http_status, status);
                assert!(snippet.len() <= crate::error::SNIPPET_MAX_BYTES);
                assert!(body.trim().starts_with(snippet.as_str()), "{snippet:?}");
            }
            other => panic!("{body:?}: {other:?}"),
        }
    }
}

#[test]
fn secret_bodies_never_reach_the_error() {
    let body = r#"{"statusCode":200,"data":{"access_token":"eyJSECRET","expires_in":"soon"}}"#;
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct T {
        access_token: String,
        expires_in: u64,
    }
    let err = parse_response::<T>(&response(200, body), Answer::Secret).unwrap_err();
    assert!(!format!("{err} {err:?}").contains("SECRET"), "{err:?}");
}

#[test]
fn a_redirect_says_where_it_points_and_that_it_is_not_followed() {
    let mut redirect = response(301, "");
    redirect.headers_mut().insert(
        http::header::LOCATION,
        http::HeaderValue::from_static("https://api.genauth.ai/api/v3/get-factor"),
    );
    let err = parse_response::<()>(&redirect, Answer::Showable).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("https://api.genauth.ai/api/v3/get-factor"),
        "{text}"
    );
    assert!(text.contains("not followed"), "{text}");
    assert!(!text.contains("body starts: \"\""), "{text}");
    let err = parse_response::<()>(&response(302, ""), Answer::Showable).unwrap_err();
    assert!(err.to_string().contains("redirect"), "{err}");
}

#[test]
fn object_only_refuses_arrays() {
    #[derive(Debug, Default, Deserialize)]
    struct S {
        #[serde(default)]
        #[allow(dead_code)]
        a: bool,
    }
    for body in [
        r#"{"statusCode":200,"data":[]}"#,
        r#"{"statusCode":200,"data":[true]}"#,
    ] {
        let err = parse_response::<ObjectOnly<S>>(&response(200, body), Answer::Showable)
            .map(|o| o.0)
            .unwrap_err();
        assert!(err.to_string().contains("a JSON object"), "{err}");
    }
    let ok = parse_response::<ObjectOnly<S>>(
        &response(200, r#"{"statusCode":200,"data":{"a":true}}"#),
        Answer::Showable,
    )
    .unwrap();
    assert!(ok.0.a);
}

#[test]
fn wrongly_typed_data_is_a_decode_error() {
    let err = parse_response::<Vec<u32>>(
        &response(200, r#"{"statusCode":200,"data":"x"}"#),
        Answer::Showable,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Decode {
                http_status: 200,
                ..
            }
        ),
        "{err:?}"
    );
}
