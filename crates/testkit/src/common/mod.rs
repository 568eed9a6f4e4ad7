//! Helpers shared by the integration tests: fixed tokens, keys and answers.
//! (The clients aimed at a mockito server are in `genauth-mfa-mocks`.)
#![allow(dead_code)]

use genauth_mfa::{Error, TransportErrorKind};

/// The pool id both test tokens carry in `scoped_userpool_id`.
pub const POOL: &str = "62e221xxxxxxxxxxxxxxx0a1";
/// A JWT for `POOL` expiring in 2100; its payload's base64url holds `-` and `_`.
pub const T1: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzY29wZWRfdXNlcnBvb2xfaWQiOiI2MmUyMjF4eHh4eHh4eHh4eHh4eHgwYTEiLCJleHAiOjQxMDI0NDQ4MDAsImlhdCI6MTcwMDAwMDAwMCwibmFtZSI6IlQxIiwibm90ZSI6In5-fn4_PiJ9.c2lnbmF0dXJl";
/// A second such JWT (claim `name` differs).
pub const T2: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzY29wZWRfdXNlcnBvb2xfaWQiOiI2MmUyMjF4eHh4eHh4eHh4eHh4eHgwYTEiLCJleHAiOjQxMDI0NDQ4MDAsImlhdCI6MTcwMDAwMDAwMCwibmFtZSI6IlQyIiwibm90ZSI6In5-fn4_PiJ9.c2lnbmF0dXJl";

pub const ACCESS_TOKEN: &str = "user-access-token-3f9a";
pub const KEY_ID: &str = "ak-62e221";
pub const KEY_SECRET: &str = "sk-TOPSECRET-8c1d";

pub const SAMPLE_FACTOR: &str = r#"{"statusCode":200,"message":"Operation successful","requestId":"934108e5-9fbf-4d24-8da1-c330328abd6c","data":{"factorId":"6229ffaxxxxxxxxcade3e3d9","factorType":"SMS","profile":{"phoneNumber":"188xxxx8888","phoneCountryCode":"+86"}}}"#;
pub const SAMPLE_MFA_INFO: &str = r#"{"statusCode":200,"message":"Success","requestId":"934108e5-9fbf-4d24-8da1-c330328abd6c","data":{"totpStatus":true,"faceMfaStatus":true,"smsMfaStatus":true,"emailMfaStatus":true}}"#;

/// A `http://127.0.0.1:PORT` URL where nothing listens (the port was bound
/// and released), so a connection is refused.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

pub fn token_body(jwt: &str, expires_in: u64) -> String {
    format!(
        r#"{{"statusCode":200,"message":"ok","data":{{"access_token":"{jwt}","expires_in":{expires_in}}}}}"#
    )
}

/// The transport error's kind, for an error that has one.
pub fn transport_kind(err: &Error) -> Option<TransportErrorKind> {
    match err {
        Error::Transport { source, .. } | Error::Timeout { source, .. } => Some(source.kind()),
        _ => None,
    }
}
