//! Property tests: ids arrive byte-for-byte, no answer makes the crate panic,
//! and no secret shows in `Debug` or an error.

use genauth_mfa_testkit::common;
use genauth_mfa_testkit::fault;

use std::sync::OnceLock;

use common::*;
use fault::{Fault, FaultServer};
use genauth_mfa::{
    AuthenticationClient, ManagementClient, RetryPolicy, TransportError, TransportErrorKind, http,
};
use proptest::prelude::*;
use serde_json::{Value, json};

/// One answer that serves every endpoint: unknown fields are ignored, so
/// the token fields and the MFA statuses can share one `data`.
fn universal_answer() -> String {
    json!({"statusCode": 200, "message": "ok", "data": {
        "access_token": T1, "expires_in": 7200,
        "factorId": "f", "factorType": "SMS", "profile": {},
        "totpStatus": true, "faceMfaStatus": false, "smsMfaStatus": "enabled", "emailMfaStatus": "disabled",
    }})
    .to_string()
}

fn server() -> &'static FaultServer {
    static SERVER: OnceLock<FaultServer> = OnceLock::new();
    SERVER.get_or_init(|| FaultServer::start(vec![], Fault::json(200, &universal_answer())))
}

/// The decoded value of `name` in the request line of `head`.
fn query_value(head: &str, name: &str) -> Option<Vec<u8>> {
    let target = head.lines().next()?.split(' ').nth(1)?;
    let query = target.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| percent_decode(v.as_bytes()))
    })
}

/// Decodes as servers decode a query (`application/x-www-form-urlencoded`):
/// `%XX` is a byte and `+` is a space.
fn percent_decode(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' && i + 2 < s.len() + 1 {
            if let (Some(h), Some(l)) = (
                s.get(i + 1).and_then(|&b| hex(b)),
                s.get(i + 2).and_then(|&b| hex(b)),
            ) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(if s[i] == b'+' { b' ' } else { s[i] });
        i += 1;
    }
    out
}

/// Finds the request whose decoded `name` equals `wanted` among those seen.
fn arrived(name: &str, wanted: &str) -> bool {
    server()
        .request_heads()
        .iter()
        .any(|head| query_value(head, name).as_deref() == Some(wanted.as_bytes()))
}

/// Any string, often made of the characters that break naive encoders.
fn non_blank_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[|+@ &:=/%?#;,'\"<>\\\\é张\u{1F600}\t\r\na-z0-9]{1,24}",
    ]
    .prop_filter("blank ids are refused before sending", |s| {
        !s.trim().is_empty()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_factor_id_reaches_the_server_byte_for_byte(id in non_blank_string()) {
        let client = AuthenticationClient::builder()
            .app_id("a").app_host(server().url()).access_token(ACCESS_TOKEN)
            .build().unwrap();
        client.get_factor(id.clone()).send().unwrap();
        prop_assert!(arrived("factorId", &id), "{:?} did not arrive intact", id);
    }

    #[test]
    fn any_user_id_reaches_the_server_byte_for_byte(id in non_blank_string()) {
        static CLIENT: OnceLock<ManagementClient> = OnceLock::new();
        let client = CLIENT.get_or_init(|| ManagementClient::builder()
            .access_key_id(KEY_ID).access_key_secret(KEY_SECRET).host(server().url())
            .build().unwrap());
        client.get_user_mfa_info(id.clone()).send().unwrap();
        prop_assert!(arrived("userId", &id), "{:?} did not arrive intact", id);
    }
}

/// A JSON value of any shape, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        any::<String>().prop_map(Value::from),
        prop_oneof![Just("SMS"), Just("enabled"), Just("disabled"), Just("")].prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("factorId".to_owned()),
                    Just("factorType".to_owned()),
                    Just("profile".to_owned()),
                    Just("totpStatus".to_owned()),
                    Just("smsMfaStatus".to_owned()),
                    Just("access_token".to_owned()),
                    Just("expires_in".to_owned()),
                    any::<String>(),
                ],
                inner,
                0..5,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Response bodies: raw bytes, or envelopes around any JSON.
fn any_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        (
            any_json(),
            prop_oneof![
                Just(json!(200)),
                any::<i64>().prop_map(Value::from),
                any_json()
            ],
            any_json()
        )
            .prop_map(|(data, status, api_code)| {
                json!({"statusCode": status, "apiCode": api_code, "message": data.clone(),
                       "requestId": data.clone(), "data": data})
                .to_string()
                .into_bytes()
            }),
    ]
}

/// Clients whose every request gets `status` and `body`.
fn clients_answering(status: u16, body: Vec<u8>) -> (AuthenticationClient, ManagementClient) {
    let transport = move |_req: http::Request<Vec<u8>>| {
        http::Response::builder()
            .status(status)
            .body(body.clone())
            .map_err(|e| TransportError::new(TransportErrorKind::Other, e))
    };
    let auth = AuthenticationClient::builder()
        .app_id("a")
        .app_host("https://h.genauth.ai")
        .access_token(ACCESS_TOKEN)
        .transport(transport.clone())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let mgmt = ManagementClient::builder()
        .access_key_id(KEY_ID)
        .access_key_secret(KEY_SECRET)
        .transport(transport)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    (auth, mgmt)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn any_answer_gives_ok_or_err_never_a_panic(status in 100u16..600, body in any_body()) {
        let (auth, mgmt) = clients_answering(status, body);
        let _ = auth.get_factor("f").send();
        let _ = auth.list_enrolled_factors().send();
        let _ = mgmt.get_user_mfa_info("u").send();
        if let Err(e) = mgmt.get_user_mfa_info("u").send() {
            // Errors are displayable and bounded, whatever came back.
            let text = e.to_string();
            prop_assert!(text.len() < 4096, "{} bytes", text.len());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn secrets_never_show_in_debug_or_errors(
        token in "[A-Za-z0-9_.-]{16,48}",
        secret in "[A-Za-z0-9_-]{16,48}",
        mgmt_token in "[A-Za-z0-9_-]{16,48}",
        expires_in in prop_oneof![Just(json!("soon")), Just(json!(null)), Just(json!(-5)), Just(json!(7200))],
    ) {
        // The token endpoint answers with `mgmt_token`: not a JWT, or with a
        // bad `expires_in`; either way the call fails.
        let answer = json!({"statusCode": 200, "data": {"access_token": mgmt_token, "expires_in": expires_in}});
        let transport = move |req: http::Request<Vec<u8>>| {
            let body = if req.method() == http::Method::POST { answer.to_string() }
                else { r#"{"statusCode":401,"message":"unauthenticated"}"#.to_owned() };
            Ok(http::Response::new(body.into_bytes()))
        };
        let auth_builder = AuthenticationClient::builder()
            .app_id("a").app_host("https://h.genauth.ai").access_token(token.clone())
            .transport(transport.clone());
        let mgmt_builder = ManagementClient::builder()
            .access_key_id("ak").access_key_secret(secret.clone()).transport(transport);
        let auth = auth_builder.clone().build().unwrap();
        let mgmt = mgmt_builder.clone().build().unwrap();
        let auth_err = auth.list_enrolled_factors().send().unwrap_err();
        let mgmt_err = mgmt.get_user_mfa_info("u").send().unwrap_err();
        let texts = [
            format!("{auth_builder:?}"), format!("{mgmt_builder:?}"),
            format!("{auth:?}"), format!("{mgmt:#?}"),
            format!("{auth_err} {auth_err:?}"), format!("{mgmt_err} {mgmt_err:?}"),
        ];
        for text in &texts {
            prop_assert!(!text.contains(&token), "access token in {}", text);
            prop_assert!(!text.contains(&secret), "key secret in {}", text);
            prop_assert!(!text.contains(&mgmt_token), "management token in {}", text);
        }
    }
}
