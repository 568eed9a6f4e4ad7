//! Test-only (not published): the test helpers that need mockito or run
//! the built tool (assert_cmd), apart from `genauth-mfa-testkit` so that
//! the library's dev-dependencies (which its examples build with) have
//! neither. Used by the tool's tests and by the testkit's own tests. Moved
//! from `tests/common/mod.rs` and `tests/cli_support/mod.rs`.

use std::path::PathBuf;
use std::process::Command;

use genauth_mfa::{AuthenticationClient, ManagementClient};
use genauth_mfa_testkit::common::*;
use mockito::{Matcher, Mock, Server};

pub fn auth_client(server: &Server) -> AuthenticationClient {
    AuthenticationClient::builder()
        .app_id("app-1")
        .app_host(server.url())
        .access_token(ACCESS_TOKEN)
        .build()
        .unwrap()
}

pub fn mgmt_client(server: &Server) -> ManagementClient {
    ManagementClient::builder()
        .access_key_id(KEY_ID)
        .access_key_secret(KEY_SECRET)
        .host(server.url())
        .build()
        .unwrap()
}

/// The token endpoint answering `jwt`, checking the request it gets.
pub fn mock_token(server: &mut Server, jwt: &str) -> Mock {
    server
        .mock("POST", "/api/v3/get-management-token")
        .match_header("content-type", "application/json")
        .match_header("authorization", Matcher::Missing)
        .match_body(Matcher::Json(serde_json::json!({
            "accessKeyId": KEY_ID,
            "accessKeySecret": KEY_SECRET,
        })))
        .with_header("content-type", "application/json")
        .with_body(token_body(jwt, 7200))
}

/// The built tool; `GENAUTH_MFA_TEST_BIN` runs these tests against another
/// build of it (an older one, to see a test fail before its fix).
pub fn binary() -> PathBuf {
    std::env::var_os("GENAUTH_MFA_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| assert_cmd::cargo::cargo_bin("genauth-mfa"))
}

pub fn tool() -> Command {
    let mut command = Command::new(binary());
    // Nothing from the developer's environment: only what a test sets.
    command.env_clear();
    command
}

/// The tool with credentials for `server`.
pub fn against(server: &mockito::Server) -> Command {
    against_url(&server.url())
}

/// The tool with credentials for the server at `url`.
pub fn against_url(url: &str) -> Command {
    let mut command = tool();
    command
        .env("GENAUTH_ACCESS_KEY_ID", KEY_ID)
        .env("GENAUTH_ACCESS_KEY_SECRET", KEY_SECRET)
        .env("GENAUTH_HOST", url);
    command
}

/// Every user has MFA statuses, except `missing-*` ids (404) and `nomfa*`.
pub fn mock_users(server: &mut mockito::Server) -> (Mock, Mock) {
    let token = mock_token(server, T1).expect(1).create();
    let users = server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(Matcher::Any)
        .with_body_from_request(|req| {
            let q = req.path_and_query();
            let body = if q.contains("userId=missing") {
                r#"{"statusCode":404,"apiCode":2004,"message":"user not found","requestId":"r-404"}"#
            } else if q.contains("userId=nomfa") {
                r#"{"statusCode":200,"data":{"totpStatus":false,"faceMfaStatus":false,"smsMfaStatus":"disabled","emailMfaStatus":"disabled"}}"#
            } else {
                r#"{"statusCode":200,"data":{"totpStatus":true,"faceMfaStatus":false,"smsMfaStatus":"enabled","emailMfaStatus":"disabled"}}"#
            };
            body.as_bytes().to_vec()
        })
        .create();
    (token, users)
}
