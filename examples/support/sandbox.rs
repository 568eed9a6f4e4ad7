//! A local stand-in for GenAuth on 127.0.0.1 (a mockito server) answering
//! the three MFA endpoints and the token request the way the real API does,
//! credentials checked. Any user id has MFA statuses derived from its bytes;
//! ids starting with `missing` are "user not found".

use std::sync::atomic::{AtomicU64, Ordering};

use mockito::{Matcher, Request, Server, ServerGuard};
use serde_json::{Value, json};

pub const APP_ID: &str = "sandbox-app";
pub const ACCESS_TOKEN: &str = "sandbox-user-access-token";
pub const ACCESS_KEY_ID: &str = "sandbox-access-key-id";
pub const ACCESS_KEY_SECRET: &str = "sandbox-access-key-secret";
pub const USER_POOL_ID: &str = "62e221f85f5ac5cc47037a0f";
/// A JWT (unsigned) for `USER_POOL_ID`, expiring in 2100.
pub const MANAGEMENT_TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzY29wZWRfdXNlcnBvb2xfaWQiOiI2MmUyMjFmODVmNWFjNWNjNDcwMzdhMGYiLCJleHAiOjQxMDI0NDQ4MDAsImlhdCI6MTc2MzkwMDAwMH0.c2FuZGJveA";

/// The running sandbox; it stops when dropped.
pub struct Sandbox {
    server: ServerGuard,
}

impl Sandbox {
    pub fn start() -> Sandbox {
        let mut server = Server::new();
        server
            .mock("POST", "/api/v3/get-management-token")
            .with_header("content-type", "application/json")
            .with_body_from_request(token)
            .create();
        server
            .mock("GET", "/api/v3/list-enrolled-factors")
            .with_header("content-type", "application/json")
            .with_body_from_request(|req| authenticated_user(req, || Ok(json!(factors()))))
            .create();
        server
            .mock("GET", "/api/v3/get-factor")
            .match_query(Matcher::Any)
            .with_header("content-type", "application/json")
            .with_body_from_request(|req| {
                authenticated_user(req, || {
                    let id = query_value(req, "factorId").unwrap_or_default();
                    factors()
                        .into_iter()
                        .find(|f| f["factorId"] == id.as_str())
                        .ok_or((404, 1404, "MFA factor not found"))
                })
            })
            .create();
        server
            .mock("GET", "/api/v3/get-user-mfa-info")
            .match_query(Matcher::Any)
            .with_header("content-type", "application/json")
            .with_body_from_request(user_mfa_info)
            .create();
        Sandbox { server }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }
}

fn factors() -> Vec<Value> {
    vec![
        json!({"factorId": "6229ffaxxxxxxxxcade3e3d9", "factorType": "SMS",
               "profile": {"phoneNumber": "188xxxx8888", "phoneCountryCode": "+86"}}),
        json!({"factorId": "635391f4xxxxxx6bba26ed4|email", "factorType": "EMAIL",
               "profile": {"email": "alice@example.com"}}),
        json!({"factorId": "635391f4xxxxxx6bba26ed5", "factorType": "OTP", "profile": {}}),
    ]
}

static REQUESTS: AtomicU64 = AtomicU64::new(0);

fn envelope(result: Result<Value, (i64, i64, &str)>) -> Vec<u8> {
    let n = REQUESTS.fetch_add(1, Ordering::Relaxed);
    let request_id = format!("934108e5-9fbf-4d24-8da1-{n:012x}");
    let body = match result {
        Ok(data) => json!({"statusCode": 200, "message": "Operation successful",
                           "requestId": request_id, "data": data}),
        Err((status, api_code, message)) => json!({"statusCode": status, "apiCode": api_code,
                                                  "message": message, "requestId": request_id}),
    };
    body.to_string().into_bytes()
}

fn header<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    req.header(name).first().and_then(|v| v.to_str().ok())
}

fn authenticated_user(
    req: &Request,
    answer: impl FnOnce() -> Result<Value, (i64, i64, &'static str)>,
) -> Vec<u8> {
    let brand_app_id = header(req, "x-genauth-app-id").or(header(req, "x-authing-app-id"));
    if header(req, "authorization") != Some(ACCESS_TOKEN) || brand_app_id != Some(APP_ID) {
        return envelope(Err((401, 2000, "invalid access token or app id")));
    }
    envelope(answer())
}

fn token(req: &Request) -> Vec<u8> {
    let body: Value = req
        .body()
        .ok()
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or_default();
    if body["accessKeyId"] != ACCESS_KEY_ID || body["accessKeySecret"] != ACCESS_KEY_SECRET {
        return envelope(Err((
            400,
            1001,
            "accessKeyId or accessKeySecret is invalid",
        )));
    }
    envelope(Ok(
        json!({"access_token": MANAGEMENT_TOKEN, "expires_in": 7200}),
    ))
}

fn user_mfa_info(req: &Request) -> Vec<u8> {
    let bearer = format!("Bearer {MANAGEMENT_TOKEN}");
    let pool = header(req, "x-genauth-userpool-id").or(header(req, "x-authing-userpool-id"));
    if header(req, "authorization") != Some(bearer.as_str()) || pool != Some(USER_POOL_ID) {
        return envelope(Err((401, 2000, "invalid management token")));
    }
    let Some(user_id) = query_value(req, "userId") else {
        return envelope(Err((400, 1000, "userId is required")));
    };
    if user_id.starts_with("missing") {
        return envelope(Err((404, 2004, "user not found")));
    }
    // FNV-1a of the id picks which factors are bound: stable across runs.
    let hash = user_id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let status = |bit: u32| {
        if (hash >> bit) & 3 == 0 {
            "enabled"
        } else {
            "disabled"
        }
    };
    envelope(Ok(
        json!({"totpStatus": status(8), "faceMfaStatus": status(16),
                       "smsMfaStatus": status(24), "emailMfaStatus": status(32)}),
    ))
}

/// The decoded value of `name` in the request's query.
fn query_value(req: &Request, name: &str) -> Option<String> {
    let query = req.path_and_query().split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' => match (
                bytes.get(i + 1).and_then(|&b| hex(b)),
                bytes.get(i + 2).and_then(|&b| hex(b)),
            ) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
