//! The management client against a local mockito server: get-user-mfa-info
//! on the wire, and the management token's life (cache, refresh, threads).

use genauth_mfa_mocks::*;
use genauth_mfa_testkit::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use common::*;
use genauth_mfa::{
    Brand, Error, Lang, ManagementClient, MfaStatus, Transport, UreqTransport, UserIdType, http,
};
use mockito::{Matcher, Server};

fn mfa_mock(server: &mut Server, jwt: &str) -> mockito::Mock {
    server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(Matcher::Any)
        .match_header("authorization", format!("Bearer {jwt}").as_str())
        .with_body(SAMPLE_MFA_INFO)
}

#[test]
fn get_user_mfa_info_sends_exactly_the_documented_requests() {
    let mut server = Server::new();
    let token = mock_token(&mut server, T1)
        .match_header("x-genauth-sdk-version", genauth_mfa::SDK_VERSION)
        .match_header("user-agent", genauth_mfa::USER_AGENT)
        .expect(1)
        .create();
    let call = server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(Matcher::Exact(
            "userId=alice%40example.com&userIdType=email".into(),
        ))
        .match_header("authorization", format!("Bearer {T1}").as_str())
        .match_header("x-genauth-userpool-id", POOL)
        .match_header("x-genauth-sdk-version", genauth_mfa::SDK_VERSION)
        .match_header("user-agent", genauth_mfa::USER_AGENT)
        .match_header("x-genauth-lang", Matcher::Missing)
        .match_header("x-genauth-app-tenant-id", Matcher::Missing)
        .match_header("x-authing-userpool-id", Matcher::Missing)
        .match_header("content-length", Matcher::Missing)
        .match_body(Matcher::Exact(String::new()))
        .with_body(SAMPLE_MFA_INFO)
        .create();

    let info = mgmt_client(&server)
        .get_user_mfa_info("alice@example.com")
        .user_id_type(UserIdType::Email)
        .send()
        .unwrap();
    token.assert();
    call.assert();
    // The vendor sample sends JSON booleans where strings are documented.
    assert_eq!(info.totp, MfaStatus::Enabled);
    assert!(info.face.is_enabled() && info.sms.is_enabled() && info.email.is_enabled());
}

#[test]
fn documented_string_statuses_decode_too() {
    let mut server = Server::new();
    let _t = mock_token(&mut server, T1).create();
    let _m = server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(Matcher::Any)
        .with_body(
            r#"{"statusCode":200,"message":"ok","data":{"totpStatus":"enabled","faceMfaStatus":"disabled",
                "smsMfaStatus":"disabled","emailMfaStatus":"enabled","webauthnStatus":"enabled"}}"#,
        )
        .create();
    let info = mgmt_client(&server).get_user_mfa_info("u1").send().unwrap();
    assert_eq!(
        (info.totp, info.face, info.sms, info.email),
        (
            MfaStatus::Enabled,
            MfaStatus::Disabled,
            MfaStatus::Disabled,
            MfaStatus::Enabled
        )
    );
}

#[test]
fn no_user_id_type_means_no_query_parameter_and_every_type_is_sent_by_name() {
    let mut server = Server::new();
    let _t = mock_token(&mut server, T1).create();
    let client = mgmt_client(&server);
    let m = server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(Matcher::Exact("userId=6319a1504f3xxxxf214dd5b7".into()))
        .with_body(SAMPLE_MFA_INFO)
        .create();
    client
        .get_user_mfa_info("6319a1504f3xxxxf214dd5b7")
        .send()
        .unwrap();
    m.assert();
    m.remove();
    for t in UserIdType::ALL {
        let m = server
            .mock("GET", "/api/v3/get-user-mfa-info")
            .match_query(Matcher::Exact(format!(
                "userId=x&userIdType={}",
                t.as_str()
            )))
            .with_body(SAMPLE_MFA_INFO)
            .create();
        client
            .get_user_mfa_info("x")
            .user_id_type(t)
            .send()
            .unwrap();
        m.assert();
        m.remove();
    }
}

#[test]
fn user_ids_reach_the_server_exactly_as_given() {
    let cases = [
        (
            "+86 188xxxx8888",
            UserIdType::Phone,
            "userId=%2B86%20188xxxx8888&userIdType=phone",
        ),
        (
            "alice@example.com",
            UserIdType::Email,
            "userId=alice%40example.com&userIdType=email",
        ),
        (
            "62f20932716fbcc10d966ee5:ou_8bae746eac07cd2564654140d2a9ac61",
            UserIdType::Identity,
            "userId=62f20932716fbcc10d966ee5%3Aou_8bae746eac07cd2564654140d2a9ac61&userIdType=identity",
        ),
        (
            "lark:ou_8b",
            UserIdType::SyncRelation,
            "userId=lark%3Aou_8b&userIdType=sync_relation",
        ),
        (
            "a b&c=d/é|x",
            UserIdType::Username,
            "userId=a%20b%26c%3Dd%2F%C3%A9%7Cx&userIdType=username",
        ),
        (
            "张三",
            UserIdType::Username,
            "userId=%E5%BC%A0%E4%B8%89&userIdType=username",
        ),
    ];
    let mut server = Server::new();
    let _t = mock_token(&mut server, T1).create();
    let client = mgmt_client(&server);
    for (input, t, wire) in cases {
        let m = server
            .mock("GET", "/api/v3/get-user-mfa-info")
            .match_query(Matcher::AllOf(vec![
                Matcher::Exact(wire.into()),
                Matcher::UrlEncoded("userId".into(), input.into()),
            ]))
            .with_body(SAMPLE_MFA_INFO)
            .create();
        client
            .get_user_mfa_info(input)
            .user_id_type(t)
            .send()
            .unwrap_or_else(|e| panic!("{input:?}: {e}"));
        m.assert();
        m.remove();
    }
}

#[test]
fn authing_brand_language_and_tenant_headers() {
    let mut server = Server::new();
    let token = server
        .mock("POST", "/api/v3/get-management-token")
        .match_header("x-authing-sdk-version", genauth_mfa::SDK_VERSION)
        .match_header("x-authing-lang", "zh-CN")
        .match_header("x-authing-app-tenant-id", "tenant-7")
        .with_body(token_body(T1, 7200))
        .create();
    let call = server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(Matcher::Any)
        .match_header("x-authing-userpool-id", POOL)
        .match_header("x-authing-lang", "zh-CN")
        .match_header("x-authing-app-tenant-id", "tenant-7")
        .match_header("x-authing-sdk-version", genauth_mfa::SDK_VERSION)
        .match_header("x-genauth-userpool-id", Matcher::Missing)
        .with_body(SAMPLE_MFA_INFO)
        .create();
    let client = ManagementClient::builder()
        .access_key_id(KEY_ID)
        .access_key_secret(KEY_SECRET)
        .host(server.url())
        .brand(Brand::Authing)
        .lang(Lang::ZhCn)
        .tenant_id("tenant-7")
        .build()
        .unwrap();
    client.get_user_mfa_info("u").send().unwrap();
    token.assert();
    call.assert();
}

#[test]
fn the_default_host_follows_the_brand() {
    for (brand, host) in [
        (Brand::GenAuth, "https://api.genauth.ai"),
        (Brand::Authing, "https://api.authing.cn"),
    ] {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let client = ManagementClient::builder()
            .access_key_id(KEY_ID)
            .access_key_secret(KEY_SECRET)
            .brand(brand)
            .transport(move |req: http::Request<Vec<u8>>| {
                log.lock().unwrap().push(req.uri().to_string());
                let body = if req.method() == http::Method::POST {
                    token_body(T1, 7200)
                } else {
                    SAMPLE_MFA_INFO.into()
                };
                Ok(http::Response::new(body.into_bytes()))
            })
            .build()
            .unwrap();
        client.get_user_mfa_info("u 1").send().unwrap();
        assert_eq!(
            *seen.lock().unwrap(),
            [
                format!("{host}/api/v3/get-management-token"),
                format!("{host}/api/v3/get-user-mfa-info?userId=u%201")
            ]
        );
    }
}

#[test]
fn the_token_is_fetched_once_for_many_calls_and_clones() {
    let mut server = Server::new();
    let token = mock_token(&mut server, T1).expect(1).create();
    let calls = mfa_mock(&mut server, T1).expect(20).create();
    let client = mgmt_client(&server);
    for i in 0..10 {
        client
            .get_user_mfa_info(format!("user-{i}"))
            .send()
            .unwrap();
        client
            .clone()
            .get_user_mfa_info(format!("user-{i}"))
            .send()
            .unwrap();
    }
    token.assert();
    calls.assert();
}

#[test]
fn the_token_goes_through_the_users_transport() {
    let mut server = Server::new();
    let _t = mock_token(&mut server, T1).create();
    let _m = mfa_mock(&mut server, T1).create();
    let sent = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&sent);
    let inner = UreqTransport::new().unwrap();
    let client = ManagementClient::builder()
        .access_key_id(KEY_ID)
        .access_key_secret(KEY_SECRET)
        .host(server.url())
        .transport(move |req: http::Request<Vec<u8>>| {
            log.lock()
                .unwrap()
                .push(format!("{} {}", req.method(), req.uri().path()));
            inner.send(req)
        })
        .build()
        .unwrap();
    client.get_user_mfa_info("u").send().unwrap();
    client.get_user_mfa_info("u").send().unwrap();
    assert_eq!(
        *sent.lock().unwrap(),
        [
            "POST /api/v3/get-management-token",
            "GET /api/v3/get-user-mfa-info",
            "GET /api/v3/get-user-mfa-info"
        ]
    );
}

#[test]
fn an_http_401_refreshes_the_token_once_and_retries() {
    let mut server = Server::new();
    let t1 = mock_token(&mut server, T1).expect(1).create();
    let t2 = mock_token(&mut server, T2).expect(1).create();
    let refused = server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(Matcher::Any)
        .match_header("authorization", format!("Bearer {T1}").as_str())
        .with_status(401)
        .with_body(
            r#"{"statusCode":401,"apiCode":2001,"message":"token expired","requestId":"r1"}"#,
        )
        .expect(1)
        .create();
    let accepted = mfa_mock(&mut server, T2).expect(2).create();
    let client = mgmt_client(&server);
    let info = client.get_user_mfa_info("u").send().unwrap();
    assert!(info.totp.is_enabled());
    client.get_user_mfa_info("u").send().unwrap(); // T2 stays cached
    t1.assert();
    t2.assert();
    refused.assert();
    accepted.assert();
}

#[test]
fn an_envelope_401_in_a_200_refreshes_the_token_too() {
    let mut server = Server::new();
    let t1 = mock_token(&mut server, T1).expect(1).create();
    let t2 = mock_token(&mut server, T2).expect(1).create();
    let refused = server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(Matcher::Any)
        .match_header("authorization", format!("Bearer {T1}").as_str())
        .with_body(r#"{"statusCode":401,"message":"unauthenticated","requestId":"r1"}"#)
        .expect(1)
        .create();
    let accepted = mfa_mock(&mut server, T2).expect(1).create();
    mgmt_client(&server).get_user_mfa_info("u").send().unwrap();
    t1.assert();
    t2.assert();
    refused.assert();
    accepted.assert();
}

#[test]
fn a_second_401_is_returned_after_exactly_one_refresh() {
    let mut server = Server::new();
    let tokens = mock_token(&mut server, T1).expect(2).create();
    let refused = server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(Matcher::Any)
        .with_status(401)
        .with_body(r#"{"statusCode":401,"apiCode":2001,"message":"no access","requestId":"r2"}"#)
        .expect(2)
        .create();
    let err = mgmt_client(&server)
        .get_user_mfa_info("u")
        .send()
        .unwrap_err();
    // 0.4: a refusal with the fresh token says the key may not make the
    // call; the server's answer is its source, unchanged.
    let Error::NotPermitted { source, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(
        matches!(
            source.as_ref(),
            Error::Api {
                status_code: 401,
                api_code: Some(2001),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.request_id(), Some("r2"));
    tokens.assert();
    refused.assert();
}

#[test]
fn a_403_does_not_refresh_the_token() {
    let mut server = Server::new();
    let tokens = mock_token(&mut server, T1).expect(1).create();
    let refused = server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(Matcher::Any)
        .with_status(403)
        .with_body(r#"{"statusCode":403,"apiCode":2003,"message":"forbidden"}"#)
        .expect(1)
        .create();
    let err = mgmt_client(&server)
        .get_user_mfa_info("u")
        .send()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Api {
                http_status: 403,
                status_code: 403,
                ..
            }
        ),
        "{err:?}"
    );
    tokens.assert();
    refused.assert();
}

#[test]
fn sixteen_threads_starting_at_once_cause_one_token_request() {
    let mut server = Server::new();
    let token = server
        .mock("POST", "/api/v3/get-management-token")
        .with_chunked_body(|w| {
            // A slow token answer keeps every thread waiting on the one fetch.
            std::thread::sleep(Duration::from_millis(300));
            w.write_all(token_body(T1, 7200).as_bytes())
        })
        .expect(1)
        .create();
    let calls = mfa_mock(&mut server, T1).expect(16).create();
    let client = mgmt_client(&server);
    let start = Arc::new(Barrier::new(16));
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let (client, start) = (client.clone(), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                client.get_user_mfa_info(format!("user-{i}")).send()
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap().unwrap();
    }
    token.assert();
    calls.assert();
}

#[test]
fn an_expiring_token_is_fetched_again() {
    let mut server = Server::new();
    // expires_in 1 s: replaced after half of it.
    let tokens = server
        .mock("POST", "/api/v3/get-management-token")
        .with_body(token_body(T1, 1))
        .expect(2)
        .create();
    let _calls = mfa_mock(&mut server, T1).create();
    let client = mgmt_client(&server);
    client.get_user_mfa_info("u").send().unwrap();
    client.get_user_mfa_info("u").send().unwrap();
    std::thread::sleep(Duration::from_millis(700));
    client.get_user_mfa_info("u").send().unwrap();
    tokens.assert();
}

#[test]
fn a_refused_access_key_is_a_credentials_error_without_the_secret() {
    let mut server = Server::new();
    let _t = server
        .mock("POST", "/api/v3/get-management-token")
        .with_status(200)
        .with_body(r#"{"statusCode":400,"apiCode":1001,"message":"accessKeySecret is invalid","requestId":"r-key"}"#)
        .create();
    let calls = server.mock("GET", Matcher::Any).expect(0).create();
    let client = mgmt_client(&server);
    let err = client.get_user_mfa_info("u").send().unwrap_err();
    assert!(matches!(&err, Error::Credentials { .. }), "{err:?}");
    assert_eq!(
        (err.status_code(), err.api_code(), err.request_id()),
        (Some(400), Some(1001), Some("r-key"))
    );
    assert!(
        err.report()
            .to_string()
            .contains("accessKeySecret is invalid"),
        "{}",
        err.report()
    );
    for text in [format!("{err}"), format!("{err:?}"), format!("{client:?}")] {
        assert!(!text.contains(KEY_SECRET), "{text}");
    }
    calls.assert();
}

#[test]
fn a_token_that_is_not_a_usable_jwt_is_a_decode_error_without_the_token() {
    for access_token in ["opaque-secret-token", "a.eyJzdWIiOiJ4In0.c"] {
        let mut server = Server::new();
        let _t = server
            .mock("POST", "/api/v3/get-management-token")
            .with_body(token_body(access_token, 7200))
            .create();
        let err = mgmt_client(&server)
            .get_user_mfa_info("u")
            .send()
            .unwrap_err();
        assert!(
            matches!(
                &err,
                Error::Decode {
                    http_status: 200,
                    ..
                }
            ),
            "{err:?}"
        );
        let text = format!("{err} {err:?}");
        assert!(!text.contains(access_token), "{text}");
    }
}

#[test]
fn an_empty_user_id_is_refused_before_any_request() {
    let mut server = Server::new();
    let any_get = server.mock("GET", Matcher::Any).expect(0).create();
    let any_post = server.mock("POST", Matcher::Any).expect(0).create();
    let client = mgmt_client(&server);
    for id in ["", " "] {
        let err = client.get_user_mfa_info(id).send().unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidArgument {
                    name: "user_id",
                    ..
                }
            ),
            "{err:?}"
        );
    }
    any_get.assert();
    any_post.assert();
}

#[test]
fn builder_reports_each_missing_or_bad_setting() {
    let reason = |r: genauth_mfa::Result<ManagementClient>| r.unwrap_err().to_string();
    assert!(
        reason(ManagementClient::builder().access_key_secret("s").build())
            .contains("GENAUTH_ACCESS_KEY_ID")
    );
    assert!(
        reason(ManagementClient::builder().access_key_id("i").build())
            .contains("GENAUTH_ACCESS_KEY_SECRET")
    );
    let err = ManagementClient::builder()
        .access_key_id("i")
        .access_key_secret("s")
        .host("api.example")
        .build();
    assert!(matches!(
        err,
        Err(Error::InvalidArgument { name: "host", .. })
    ));
    // The whole-call timeout applies to any transport. The default
    // transport's own settings are not methods of the client builder, so
    // they cannot be given with a transport of one's own: the compile_fail
    // example of `ClientBuilder::transport` checks that
    // `.transport(..).connect_timeout(..)` does not compile.
    let fake = |_req: http::Request<Vec<u8>>| Ok(http::Response::new(Vec::new()));
    let with_fake = || {
        ManagementClient::builder()
            .access_key_id("i")
            .access_key_secret("s")
            .transport(fake)
    };
    assert!(with_fake().timeout(Duration::from_secs(1)).build().is_ok());
}

#[test]
fn debug_never_shows_the_secret_or_the_token() {
    let mut server = Server::new();
    let _t = mock_token(&mut server, T1).create();
    let _m = mfa_mock(&mut server, T1).create();
    let builder = ManagementClient::builder()
        .access_key_id(KEY_ID)
        .access_key_secret(KEY_SECRET)
        .host(server.url());
    let client = builder.clone().build().unwrap();
    client.get_user_mfa_info("u").send().unwrap(); // a token is cached now
    for text in [
        format!("{builder:?}"),
        format!("{client:?}"),
        format!("{client:#?}"),
    ] {
        assert!(!text.contains(KEY_SECRET), "{text}");
        assert!(!text.contains(&T1[40..]), "{text}");
        assert!(text.contains(KEY_ID), "{text}");
    }
}

#[test]
fn calls_from_many_threads_share_one_client() {
    let mut server = Server::new();
    let token = mock_token(&mut server, T1).expect(1).create();
    let calls = mfa_mock(&mut server, T1).expect(8 * 25).create();
    let client = mgmt_client(&server);
    let done = Arc::new(AtomicUsize::new(0));
    std::thread::scope(|s| {
        for t in 0..8 {
            let (client, done) = (&client, &done);
            s.spawn(move || {
                for i in 0..25 {
                    client
                        .get_user_mfa_info(format!("u{t}-{i}"))
                        .send()
                        .unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    assert_eq!(done.load(Ordering::Relaxed), 200);
    token.assert();
    calls.assert();
}
