//! The authentication client against a local mockito server: what goes over
//! the wire and what comes back, for get-factor and list-enrolled-factors.

use genauth_mfa_mocks::*;
use genauth_mfa_testkit::common;

use common::*;
use genauth_mfa::{AuthenticationClient, Brand, Error, FactorType, Lang};
use mockito::{Matcher, Server};

#[test]
fn get_factor_sends_exactly_the_documented_request() {
    let mut server = Server::new();
    let mock = server
        .mock("GET", "/api/v3/get-factor")
        .match_query(Matcher::Exact("factorId=6229ffaxxxxxxxxcade3e3d9".into()))
        .match_header("authorization", ACCESS_TOKEN) // as given, no "Bearer "
        .match_header("x-genauth-app-id", "app-1")
        .match_header("x-genauth-request-from", "sdk")
        .match_header("x-genauth-sdk-version", genauth_mfa::SDK_VERSION)
        .match_header("user-agent", genauth_mfa::USER_AGENT)
        .match_header("x-genauth-lang", Matcher::Missing)
        .match_header("x-genauth-app-tenant-id", Matcher::Missing)
        .match_header("x-real-ip", Matcher::Missing)
        .match_header("x-authing-app-id", Matcher::Missing)
        .match_header("content-length", Matcher::Missing)
        .match_header("transfer-encoding", Matcher::Missing)
        .match_body(Matcher::Exact(String::new()))
        .with_body(SAMPLE_FACTOR)
        .create();

    let factor = auth_client(&server)
        .get_factor("6229ffaxxxxxxxxcade3e3d9")
        .send()
        .unwrap();
    mock.assert();
    assert_eq!(factor.factor_id, "6229ffaxxxxxxxxcade3e3d9");
    assert_eq!(factor.factor_type, FactorType::Sms);
    assert_eq!(factor.profile.phone_number.as_deref(), Some("188xxxx8888"));
    assert_eq!(factor.profile.phone_country_code.as_deref(), Some("+86"));
    assert_eq!(
        genauth_mfa::SDK_VERSION,
        concat!("genauth-mfa:", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn factor_ids_reach_the_server_exactly_as_given() {
    // (input, what the query must look like on the wire)
    let cases = [
        (
            "635391f4xxxxxx6bba26ed4|email",
            "factorId=635391f4xxxxxx6bba26ed4%7Cemail",
        ),
        ("a b&c=d/é", "factorId=a%20b%26c%3Dd%2F%C3%A9"),
        ("+86 188xxxx8888", "factorId=%2B86%20188xxxx8888"),
        ("alice@example.com", "factorId=alice%40example.com"),
        ("lark:ou_8bae746e", "factorId=lark%3Aou_8bae746e"),
        ("因子#1?%", "factorId=%E5%9B%A0%E5%AD%90%231%3F%25"),
    ];
    let mut server = Server::new();
    let client = auth_client(&server);
    for (input, wire) in cases {
        let mock = server
            .mock("GET", "/api/v3/get-factor")
            .match_query(Matcher::AllOf(vec![
                Matcher::Exact(wire.into()),
                Matcher::UrlEncoded("factorId".into(), input.into()),
            ]))
            .with_body(SAMPLE_FACTOR)
            .create();
        client
            .get_factor(input)
            .send()
            .unwrap_or_else(|e| panic!("{input:?}: {e}"));
        mock.assert();
        mock.remove();
    }
}

#[test]
fn list_enrolled_factors_sends_no_query_and_accepts_an_array() {
    let mut server = Server::new();
    let mock = server
        .mock("GET", "/api/v3/list-enrolled-factors")
        .match_query(Matcher::Missing)
        .match_header("authorization", ACCESS_TOKEN)
        .match_header("x-genauth-app-id", "app-1")
        .match_header("content-length", Matcher::Missing)
        .with_body(
            r#"{"statusCode":200,"message":"ok","requestId":"r","data":[
                {"factorId":"f1","factorType":"SMS","profile":{"phoneNumber":"188xxxx8888","phoneCountryCode":"+86"}},
                {"factorId":"f2","factorType":"EMAIL","profile":{"email":"a@example.com"}},
                {"factorId":"f3","factorType":"OTP","profile":{}},
                {"factorId":"f4","factorType":"FACE","profile":{"photo":"p.png"}},
                {"factorId":"f5","factorType":"PASSKEY","profile":{"label":"laptop"},"createdAt":"2026-01-01"}]}"#,
        )
        .create();
    let factors = auth_client(&server).list_enrolled_factors().send().unwrap();
    mock.assert();
    let types: Vec<_> = factors.iter().map(|f| f.factor_type.clone()).collect();
    assert_eq!(
        types,
        [
            FactorType::Sms,
            FactorType::Email,
            FactorType::Otp,
            FactorType::Face,
            FactorType::Other("PASSKEY".into())
        ]
    );
    assert_eq!(factors[1].profile.email.as_deref(), Some("a@example.com"));
    assert_eq!(factors[3].profile.other["photo"], "p.png");
}

#[test]
fn list_enrolled_factors_accepts_the_vendor_sample_single_object() {
    let mut server = Server::new();
    // The vendor's sample shows `data` as one object although it documents an array.
    let _m = server
        .mock("GET", "/api/v3/list-enrolled-factors")
        .with_body(SAMPLE_FACTOR)
        .create();
    let factors = auth_client(&server).list_enrolled_factors().send().unwrap();
    assert_eq!(factors.len(), 1);
    assert_eq!(factors[0].factor_id, "6229ffaxxxxxxxxcade3e3d9");

    let _m = server
        .mock("GET", "/api/v3/list-enrolled-factors")
        .with_body(r#"{"statusCode":200,"message":"ok","data":null}"#)
        .create();
    assert!(
        auth_client(&server)
            .list_enrolled_factors()
            .send()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn authing_brand_language_tenant_and_end_user_ip_headers() {
    let mut server = Server::new();
    let mock = server
        .mock("GET", "/api/v3/get-factor")
        .match_query(Matcher::Exact("factorId=f".into()))
        .match_header("x-authing-app-id", "app-1")
        .match_header("x-authing-request-from", "sdk")
        .match_header("x-authing-sdk-version", genauth_mfa::SDK_VERSION)
        .match_header("x-authing-lang", "en-US")
        .match_header("x-authing-app-tenant-id", "tenant-9")
        .match_header("x-real-ip", "203.0.113.7")
        .match_header("x-genauth-app-id", Matcher::Missing)
        .match_header("x-genauth-lang", Matcher::Missing)
        .with_body(SAMPLE_FACTOR)
        .create();
    let client = AuthenticationClient::builder()
        .app_id("app-1")
        .app_host(format!("{}/", server.url()))
        .access_token(ACCESS_TOKEN)
        .brand(Brand::Authing)
        .lang(Lang::EnUs)
        .tenant_id("tenant-9")
        .build()
        .unwrap();
    client
        .get_factor("f")
        .end_user_ip("203.0.113.7")
        .send()
        .unwrap();
    mock.assert();
}

#[test]
fn a_private_deployment_base_path_is_kept() {
    let mut server = Server::new();
    let mock = server
        .mock("GET", "/genauth/api/v3/list-enrolled-factors")
        .with_body(r#"{"statusCode":200,"data":[]}"#)
        .create();
    let client = AuthenticationClient::builder()
        .app_id("app-1")
        .app_host(format!("{}/genauth/", server.url()))
        .access_token(ACCESS_TOKEN)
        .build()
        .unwrap();
    client.list_enrolled_factors().send().unwrap();
    mock.assert();
}

#[test]
fn with_access_token_swaps_only_the_token() {
    let mut server = Server::new();
    let mock = server
        .mock("GET", "/api/v3/list-enrolled-factors")
        .match_header("authorization", "bob-token")
        .match_header("x-genauth-app-id", "app-1")
        .with_body(r#"{"statusCode":200,"data":[]}"#)
        .create();
    let alice = auth_client(&server);
    let bob = alice.with_access_token("bob-token").unwrap();
    bob.list_enrolled_factors().send().unwrap();
    mock.assert();
    assert!(matches!(
        alice.with_access_token(""),
        Err(Error::InvalidArgument {
            name: "access_token",
            ..
        })
    ));
}

#[test]
fn an_api_error_in_a_200_envelope_keeps_all_four_fields() {
    let mut server = Server::new();
    let _m = server
        .mock("GET", "/api/v3/get-factor")
        .match_query(Matcher::Any)
        .with_status(200)
        .with_body(r#"{"statusCode":404,"apiCode":1404,"message":"factor not found","requestId":"req-404"}"#)
        .create();
    let err = auth_client(&server)
        .get_factor("missing")
        .send()
        .unwrap_err();
    match &err {
        Error::Api {
            http_status,
            status_code,
            api_code,
            message,
            request_id,
            ..
        } => {
            assert_eq!(
                (*http_status, *status_code, *api_code),
                (200, 404, Some(1404))
            );
            assert_eq!(message, "factor not found");
            assert_eq!(request_id.as_deref(), Some("req-404"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.request_id(), Some("req-404"));
}

#[test]
fn an_api_error_with_an_http_error_status_is_the_same_error() {
    let mut server = Server::new();
    let _m = server
        .mock("GET", "/api/v3/list-enrolled-factors")
        .with_status(401)
        .with_body(
            r#"{"statusCode":401,"apiCode":2000,"message":"invalid token","requestId":"req-401"}"#,
        )
        .create();
    let err = auth_client(&server)
        .list_enrolled_factors()
        .send()
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Api {
                http_status: 401,
                status_code: 401,
                api_code: Some(2000),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_unauthenticated());
    assert!(!format!("{err} {err:?}").contains(ACCESS_TOKEN));
}

#[test]
fn an_empty_factor_id_is_refused_before_any_request() {
    let mut server = Server::new();
    let mock = server.mock("GET", Matcher::Any).expect(0).create();
    let client = auth_client(&server);
    for id in ["", "   "] {
        let err = client.get_factor(id).send().unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidArgument {
                    name: "factor_id",
                    ..
                }
            ),
            "{err:?}"
        );
    }
    let err = client
        .get_factor("f")
        .end_user_ip("1.2.3.4\r\nx: y")
        .send()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidArgument {
                name: "end_user_ip",
                ..
            }
        ),
        "{err:?}"
    );
    mock.assert();
}

#[test]
fn builder_reports_each_missing_or_bad_setting() {
    let full = || {
        AuthenticationClient::builder()
            .app_id("a")
            .app_host("https://h.genauth.ai")
            .access_token("t")
    };
    assert!(full().build().is_ok());
    let reason = |r: genauth_mfa::Result<AuthenticationClient>| r.unwrap_err().to_string();
    assert!(
        reason(
            AuthenticationClient::builder()
                .app_host("https://h")
                .access_token("t")
                .build()
        )
        .contains("GENAUTH_APP_ID")
    );
    assert!(
        reason(
            AuthenticationClient::builder()
                .app_id("a")
                .access_token("t")
                .build()
        )
        .contains("GENAUTH_APP_HOST")
    );
    assert!(
        reason(
            AuthenticationClient::builder()
                .app_id("a")
                .app_host("https://h")
                .build()
        )
        .contains("GENAUTH_ACCESS_TOKEN")
    );
    for host in [
        "my-app.genauth.ai",
        "http://my-app.genauth.ai",
        "https://h?x=1",
        "",
    ] {
        let err = full().app_host(host).build().unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidArgument {
                    name: "app_host",
                    ..
                }
            ),
            "{host}: {err}"
        );
    }
    assert!(
        full()
            .app_host("http://intranet.example")
            .allow_insecure_http(true)
            .build()
            .is_ok()
    );
    assert!(matches!(
        full().access_token("a\nb").build(),
        Err(Error::InvalidArgument {
            name: "access_token",
            ..
        })
    ));
    assert!(matches!(
        full().app_id("a\u{7f}").build(),
        Err(Error::InvalidArgument { name: "app_id", .. })
    ));
    assert!(matches!(
        full().timeout(std::time::Duration::ZERO).build(),
        Err(Error::Config { .. })
    ));
}

#[test]
fn debug_never_shows_the_access_token() {
    let builder = AuthenticationClient::builder()
        .app_id("a")
        .app_host("https://h.genauth.ai")
        .access_token(ACCESS_TOKEN);
    let client = builder.clone().build().unwrap();
    for text in [
        format!("{builder:?}"),
        format!("{client:?}"),
        format!("{client:#?}"),
    ] {
        assert!(!text.contains(ACCESS_TOKEN), "{text}");
        assert!(text.contains("***"), "{text}");
    }
}
