//! A test double of the GenAuth API for testing code that uses this crate
//! (feature `test-util`, off by default).
//!
//! [`FakeGenAuth`] is an in-process [`Transport`]: give it to a client
//! builder's `.transport(..)` and the client talks to it instead of the
//! network. It plays the three MFA endpoints and the management-token
//! endpoint the way `API.md`'s wire contract says the service does (the same
//! envelope, HTTP 200 with the outcome in `statusCode`, the same headers
//! checked), so code tested against it behaves the same against the real
//! service. It can be told to fail as the service does, and it records every
//! request it gets.
//!
//! ```
//! use genauth_mfa::{ManagementClient, MfaStatus, UserIdType, UserMfaInfo};
//! use genauth_mfa::testing::FakeGenAuth;
//!
//! let fake = FakeGenAuth::new().with_user(
//!     "alice@example.com",
//!     UserIdType::Email,
//!     UserMfaInfo::new().sms(MfaStatus::Enabled),
//! );
//! let mgmt = ManagementClient::builder()
//!     .access_key_id("ak")
//!     .access_key_secret("sk")
//!     .transport(fake.clone())
//!     .build()?;
//! let info = mgmt
//!     .get_user_mfa_info("alice@example.com")
//!     .user_id_type(UserIdType::Email)
//!     .send()?;
//! assert!(info.sms.is_enabled());
//! assert_eq!(fake.requests().len(), 2); // the token request and the call
//! # Ok::<(), genauth_mfa::Error>(())
//! ```
//!
//! What the fake answers, beyond the wire contract (these are its own
//! choices where the vendor documents none): an unknown or missing access
//! token is `statusCode` 401, apiCode 2020; an unknown user is 404, apiCode
//! 2004; an unknown factor id is 404; a refused access key (see
//! [`FakeGenAuth::with_access_key`]) is 400, apiCode 1001; a throttled call
//! is `statusCode` 429 with no apiCode, as the vendor's error page shows.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use serde_json::{Value, json};

use crate::get_user_mfa_info::{UserIdType, UserMfaInfo};
use crate::model::{Factor, FactorProfile, FactorType};
use crate::transport::{Transport, TransportError, TransportErrorKind};

/// Which endpoint a [`Failure`] is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Route {
    /// `POST /api/v3/get-management-token`.
    Token,
    /// `GET /api/v3/get-factor`.
    GetFactor,
    /// `GET /api/v3/list-enrolled-factors`.
    ListEnrolledFactors,
    /// `GET /api/v3/get-user-mfa-info`.
    GetUserMfaInfo,
    /// Whichever request comes next.
    Any,
}

impl Route {
    fn of(method: &Method, path: &str) -> Option<Route> {
        let route = if path.ends_with("/api/v3/get-management-token") {
            Route::Token
        } else if path.ends_with("/api/v3/get-factor") {
            Route::GetFactor
        } else if path.ends_with("/api/v3/list-enrolled-factors") {
            Route::ListEnrolledFactors
        } else if path.ends_with("/api/v3/get-user-mfa-info") {
            Route::GetUserMfaInfo
        } else {
            return None;
        };
        let expected = if route == Route::Token {
            Method::POST
        } else {
            Method::GET
        };
        (*method == expected).then_some(route)
    }

    fn matches(self, other: Route) -> bool {
        self == Route::Any || self == other
    }
}

/// A way the real service fails, for [`FakeGenAuth::fail_next`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// An API error: HTTP 200 with this `statusCode`, `apiCode` and
    /// `message` in the envelope (and this `requestId`, or a made-up one).
    Api {
        /// The envelope's `statusCode`.
        status_code: i64,
        /// The envelope's `apiCode`.
        api_code: Option<i64>,
        /// The envelope's `message`.
        message: String,
        /// The envelope's `requestId`; `None` makes one up.
        request_id: Option<String>,
    },
    /// Throttling as the service does it: HTTP 200,
    /// `{"statusCode":429,"message":"..."}`, no apiCode, no `Retry-After`.
    Throttled,
    /// The credentials are refused once: `statusCode` 401, apiCode 2020.
    Unauthenticated,
    /// A bare HTTP answer with this status and body, as a gateway in front
    /// of the service sends (an HTML 502 page, say).
    Http {
        /// The HTTP status.
        status: u16,
        /// The body.
        body: Vec<u8>,
    },
    /// No answer at all: the transport fails with this kind.
    Transport(TransportErrorKind),
}

impl Failure {
    /// An API error with this `statusCode`, `apiCode` and message.
    pub fn api(status_code: i64, api_code: impl Into<Option<i64>>, message: &str) -> Failure {
        Failure::Api {
            status_code,
            api_code: api_code.into(),
            message: message.to_owned(),
            request_id: None,
        }
    }

    /// The same failure answering with this `requestId` (API errors only).
    pub fn with_request_id(self, id: &str) -> Failure {
        match self {
            Failure::Api {
                status_code,
                api_code,
                message,
                ..
            } => Failure::Api {
                status_code,
                api_code,
                message,
                request_id: Some(id.to_owned()),
            },
            other => other,
        }
    }
}

/// One request the fake received.
#[derive(Clone)]
pub struct RecordedRequest {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Vec<u8>,
    route: Option<Route>,
}

impl RecordedRequest {
    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path, e.g. `/api/v3/get-user-mfa-info`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The endpoint, if the path is one the fake plays.
    pub fn route(&self) -> Option<Route> {
        self.route
    }

    /// The decoded value of query parameter `name`, as the server reads it.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every decoded query parameter, in order.
    pub fn query_pairs(&self) -> &[(String, String)] {
        &self.query
    }

    /// The value of header `name`, if it is present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every header.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body (JSON for the token request, empty for a GET).
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

impl fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Authorization values and the token request's body hold secrets.
        let headers: Vec<_> = self
            .headers
            .iter()
            .map(|(k, v)| {
                let v = if k == http::header::AUTHORIZATION {
                    "***"
                } else {
                    v.to_str().unwrap_or("<bytes>")
                };
                (k.as_str(), v)
            })
            .collect();
        f.debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &headers)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

#[derive(Default)]
struct State {
    users: HashMap<(String, UserIdType), UserMfaInfo>,
    derive_unknown_users: bool,
    factors: HashMap<String, Vec<Factor>>,
    access_key: Option<(String, String)>,
    app_id: Option<String>,
    user_pool_id: String,
    token_lifetime: Duration,
    issued: Vec<String>,
    failures: VecDeque<(Route, Failure)>,
    requests: Vec<RecordedRequest>,
    not_recording: bool,
    answered: u64,
}

/// An in-process fake of the GenAuth API; see the [module docs](self).
///
/// Cheap to clone: clones share their users, factors, failures and
/// recorded requests, so keep one clone to configure and inspect while a
/// client owns another.
#[derive(Clone)]
pub struct FakeGenAuth {
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for FakeGenAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("FakeGenAuth")
            .field("users", &state.users.len())
            .field("access_tokens", &state.factors.len())
            .field("user_pool_id", &state.user_pool_id)
            .field("pending_failures", &state.failures.len())
            .field("requests", &state.requests.len())
            .finish()
    }
}

impl Default for FakeGenAuth {
    fn default() -> Self {
        FakeGenAuth::new()
    }
}

impl FakeGenAuth {
    /// The user pool id of the fake's management tokens unless
    /// [`with_user_pool_id`](Self::with_user_pool_id) says otherwise.
    pub const USER_POOL_ID: &'static str = "62e221f85f5ac5cc47037a0f";
    /// The app id the [`demo`](Self::demo) fake expects.
    pub const DEMO_APP_ID: &'static str = "demo-app";
    /// The user access token the [`demo`](Self::demo) fake knows.
    pub const DEMO_ACCESS_TOKEN: &'static str = "demo-user-access-token";
    /// The access key id the [`demo`](Self::demo) fake accepts.
    pub const DEMO_ACCESS_KEY_ID: &'static str = "demo-access-key-id";
    /// The access key secret the [`demo`](Self::demo) fake accepts.
    pub const DEMO_ACCESS_KEY_SECRET: &'static str = "demo-access-key-secret";

    /// A fake with no users and no factors that accepts any access key.
    pub fn new() -> FakeGenAuth {
        FakeGenAuth {
            state: Arc::new(Mutex::new(State {
                user_pool_id: Self::USER_POOL_ID.to_owned(),
                token_lifetime: Duration::from_secs(7200),
                ..State::default()
            })),
        }
    }

    /// The fake the examples' sandbox and `genauth-mfa --sandbox` use: app
    /// [`DEMO_APP_ID`](Self::DEMO_APP_ID), one user access token
    /// ([`DEMO_ACCESS_TOKEN`](Self::DEMO_ACCESS_TOKEN)) with an SMS, an
    /// EMAIL and an OTP factor, the access key
    /// [`DEMO_ACCESS_KEY_ID`](Self::DEMO_ACCESS_KEY_ID) /
    /// [`DEMO_ACCESS_KEY_SECRET`](Self::DEMO_ACCESS_KEY_SECRET), and every
    /// user id known, with MFA statuses derived from the id's bytes (the
    /// same every run), except ids starting with `missing`: not found.
    pub fn demo() -> FakeGenAuth {
        let fake = FakeGenAuth::new()
            .with_app_id(Self::DEMO_APP_ID)
            .with_access_key(Self::DEMO_ACCESS_KEY_ID, Self::DEMO_ACCESS_KEY_SECRET)
            .with_factors(
                Self::DEMO_ACCESS_TOKEN,
                vec![
                    Factor::new("6229ffaxxxxxxxxcade3e3d9", FactorType::Sms)
                        .with_profile(FactorProfile::new().with_phone("188xxxx8888", "+86")),
                    Factor::new("635391f4xxxxxx6bba26ed4|email", FactorType::Email)
                        .with_profile(FactorProfile::new().with_email("alice@example.com")),
                    Factor::new("635391f4xxxxxx6bba26ed5", FactorType::Otp),
                ],
            );
        fake.lock().derive_unknown_users = true;
        fake
    }

    /// Knows the user `id` read as `id_type`, with these MFA statuses. A
    /// call that sends no `userIdType` reads the id as
    /// [`UserIdType::UserId`], as the service does.
    pub fn with_user(self, id: &str, id_type: UserIdType, info: UserMfaInfo) -> FakeGenAuth {
        self.lock().users.insert((id.to_owned(), id_type), info);
        self
    }

    /// Knows the user access token `access_token`, whose user has enrolled
    /// `factors`.
    pub fn with_factors(self, access_token: &str, factors: Vec<Factor>) -> FakeGenAuth {
        self.lock().factors.insert(access_token.to_owned(), factors);
        self
    }

    /// Accepts only this access key at the token endpoint (by default any
    /// non-empty key is accepted).
    pub fn with_access_key(self, id: &str, secret: &str) -> FakeGenAuth {
        self.lock().access_key = Some((id.to_owned(), secret.to_owned()));
        self
    }

    /// Expects this app id on authentication calls (by default any app id
    /// is accepted, but one must be sent).
    pub fn with_app_id(self, app_id: &str) -> FakeGenAuth {
        self.lock().app_id = Some(app_id.to_owned());
        self
    }

    /// Puts this user pool id in the management tokens and expects it back.
    pub fn with_user_pool_id(self, id: &str) -> FakeGenAuth {
        self.lock().user_pool_id = id.to_owned();
        self
    }

    /// Gives management tokens this lifetime (`expires_in` and the JWT's
    /// `exp`; default 2 hours).
    pub fn with_token_lifetime(self, lifetime: Duration) -> FakeGenAuth {
        self.lock().token_lifetime = lifetime;
        self
    }

    /// Whether to keep every request for [`requests`](Self::requests) (on by
    /// default). Turn it off for a long run, whose requests would otherwise
    /// all stay in memory.
    pub fn record_requests(self, on: bool) -> FakeGenAuth {
        self.lock().not_recording = !on;
        self
    }

    /// The next request for `route` fails with `failure` (each failure is
    /// used once, in the order given).
    pub fn fail_next(&self, route: Route, failure: Failure) {
        self.lock().failures.push_back((route, failure));
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// How many of the requests received so far were for `route`
    /// ([`Route::Any`]: all of them).
    pub fn count(&self, route: Route) -> usize {
        self.lock()
            .requests
            .iter()
            .filter(|r| r.route.is_some_and(|got| route.matches(got)))
            .count()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    /// Forgets the management tokens issued so far, as when they expire:
    /// calls made with them are refused as unauthenticated.
    pub fn revoke_tokens(&self) {
        self.lock().issued.clear();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A test that panicked while holding the lock leaves usable data.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Transport for FakeGenAuth {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        let mut state = self.lock();
        let (parts, body) = request.into_parts();
        let path = parts.uri.path().to_owned();
        let route = Route::of(&parts.method, &path);
        let recorded = RecordedRequest {
            method: parts.method,
            path,
            query: decode_query(parts.uri.query().unwrap_or("")),
            headers: parts.headers,
            body,
            route,
        };
        if !state.not_recording {
            state.requests.push(recorded.clone());
        }
        let Some(route) = route else {
            return Ok(answer(
                StatusCode::NOT_FOUND,
                json!({"statusCode": 404, "message": "Not Found"}),
            ));
        };
        let failure = state
            .failures
            .iter()
            .position(|(r, _)| r.matches(route))
            .and_then(|i| state.failures.remove(i))
            .map(|(_, failure)| failure);
        if let Some(failure) = failure {
            return failure_answer(&mut state, failure);
        }
        let data = match route {
            Route::Token => state.token(&recorded),
            Route::GetFactor | Route::ListEnrolledFactors => {
                state.factors_of(&recorded).and_then(|factors| {
                    if route == Route::ListEnrolledFactors {
                        return Ok(json!(factors));
                    }
                    let id =
                        recorded
                            .query("factorId")
                            .ok_or((400, None, "factorId is required"))?;
                    factors
                        .iter()
                        .find(|f| f.factor_id == id)
                        .map(|f| json!(f))
                        .ok_or((404, None, "MFA factor not found"))
                })
            }
            Route::GetUserMfaInfo => state.user_mfa_info(&recorded),
            Route::Any => Err((500, None, "unreachable")),
        };
        Ok(state.envelope(data))
    }
}

type Refusal = (i64, Option<i64>, &'static str);

impl State {
    fn request_id(&mut self) -> String {
        self.answered += 1;
        format!("fake-request-{:08}", self.answered)
    }

    /// HTTP 200 with the envelope of `data` or of the refusal.
    fn envelope(&mut self, data: Result<Value, Refusal>) -> Response<Vec<u8>> {
        let request_id = self.request_id();
        let body = match data {
            Ok(data) => json!({"statusCode": 200, "message": "Operation successful",
                               "requestId": request_id, "data": data}),
            Err((status_code, api_code, message)) => {
                let mut body = json!({"statusCode": status_code, "message": message,
                                      "requestId": request_id});
                if let Some(code) = api_code {
                    body["apiCode"] = json!(code);
                }
                body
            }
        };
        answer(StatusCode::OK, body)
    }

    fn token(&mut self, request: &RecordedRequest) -> Result<Value, Refusal> {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let id = body["accessKeyId"].as_str().unwrap_or("");
        let secret = body["accessKeySecret"].as_str().unwrap_or("");
        let accepted = match &self.access_key {
            Some((want_id, want_secret)) => id == want_id && secret == want_secret,
            None => !id.is_empty() && !secret.is_empty(),
        };
        if !accepted {
            return Err((400, Some(1001), "accessKeyId or accessKeySecret is invalid"));
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let lifetime = self.token_lifetime.as_secs();
        let claims = json!({"scoped_userpool_id": self.user_pool_id, "iat": now,
                            "exp": now + lifetime, "jti": self.issued.len() + 1});
        let encode = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let token = format!(
            "{}.{}.{}",
            encode(br#"{"alg":"HS256","typ":"JWT"}"#),
            encode(claims.to_string().as_bytes()),
            encode(b"fake-signature")
        );
        self.issued.push(token.clone());
        Ok(json!({"access_token": token, "expires_in": lifetime}))
    }

    fn factors_of(&self, request: &RecordedRequest) -> Result<Vec<Factor>, Refusal> {
        let app_id = request
            .header("x-genauth-app-id")
            .or(request.header("x-authing-app-id"));
        match (app_id, &self.app_id) {
            (None, _) => return Err((400, None, "the app id header is missing")),
            (Some(got), Some(want)) if got != want => {
                return Err((400, None, "unknown app id"));
            }
            _ => {}
        }
        request
            .header("authorization")
            .and_then(|token| self.factors.get(token))
            .cloned()
            .ok_or((401, Some(2020), "not logged in: invalid access token"))
    }

    fn user_mfa_info(&self, request: &RecordedRequest) -> Result<Value, Refusal> {
        let bearer = request
            .header("authorization")
            .and_then(|v| v.strip_prefix("Bearer "));
        let pool = request
            .header("x-genauth-userpool-id")
            .or(request.header("x-authing-userpool-id"));
        let known = bearer.is_some_and(|t| self.issued.iter().any(|i| i == t));
        if !known || pool != Some(self.user_pool_id.as_str()) {
            return Err((401, Some(2020), "not logged in: invalid management token"));
        }
        let id = request.query("userId").filter(|id| !id.is_empty()).ok_or((
            400,
            None,
            "userId is required",
        ))?;
        let id_type = match request.query("userIdType") {
            None => UserIdType::UserId,
            Some(t) => t.parse().map_err(|_| (400, None, "unknown userIdType"))?,
        };
        if let Some(info) = self.users.get(&(id.to_owned(), id_type)) {
            return Ok(json!(info));
        }
        if self.derive_unknown_users && !id.starts_with("missing") {
            return Ok(json!(derived_user(id)));
        }
        Err((404, Some(2004), "user not found"))
    }
}

/// Statuses picked by an FNV-1a hash of the id: stable across runs.
fn derived_user(id: &str) -> UserMfaInfo {
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let bit = |shift: u32| (hash >> shift) & 3 == 0;
    UserMfaInfo::new()
        .totp(bit(8))
        .face(bit(16))
        .sms(bit(24))
        .email(bit(32))
}

fn failure_answer(
    state: &mut State,
    failure: Failure,
) -> Result<Response<Vec<u8>>, TransportError> {
    Ok(match failure {
        Failure::Api {
            status_code,
            api_code,
            message,
            request_id,
        } => {
            let request_id = request_id.unwrap_or_else(|| state.request_id());
            let mut body =
                json!({"statusCode": status_code, "message": message, "requestId": request_id});
            if let Some(code) = api_code {
                body["apiCode"] = json!(code);
            }
            answer(StatusCode::OK, body)
        }
        Failure::Throttled => answer(
            StatusCode::OK,
            json!({"statusCode": 429, "message": "您的请求已超过最大数量限制，请稍后重试"}),
        ),
        Failure::Unauthenticated => {
            state.envelope(Err((401, Some(2020), "not logged in: token expired")))
        }
        Failure::Http { status, body } => {
            let mut response = Response::new(body);
            *response.status_mut() =
                StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            response
        }
        Failure::Transport(kind) => {
            return Err(TransportError::new(kind, "FakeGenAuth was told to fail"));
        }
    })
}

fn answer(status: StatusCode, body: Value) -> Response<Vec<u8>> {
    let mut response = Response::new(body.to_string().into_bytes());
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

/// Decodes a query as a server does (`application/x-www-form-urlencoded`:
/// `%XX` is a byte, `+` a space).
fn decode_query(query: &str) -> Vec<(String, String)> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuthenticationClient, Error, ManagementClient, MfaStatus, RetryPolicy};

    fn mgmt(fake: &FakeGenAuth) -> ManagementClient {
        ManagementClient::builder()
            .access_key_id("ak")
            .access_key_secret("sk")
            .transport(fake.clone())
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap()
    }

    #[test]
    fn users_are_found_by_id_and_type_and_the_default_type_is_user_id() {
        let fake = FakeGenAuth::new()
            .with_user("u1", UserIdType::UserId, UserMfaInfo::new().totp(true))
            .with_user("a@x", UserIdType::Email, UserMfaInfo::new().email(true));
        let mgmt = mgmt(&fake);
        assert!(
            mgmt.get_user_mfa_info("u1")
                .send()
                .unwrap()
                .totp
                .is_enabled()
        );
        let info = mgmt
            .get_user_mfa_info("a@x")
            .user_id_type(UserIdType::Email)
            .send()
            .unwrap();
        assert_eq!(info, UserMfaInfo::new().email(MfaStatus::Enabled));
        let err = mgmt.get_user_mfa_info("a@x").send().unwrap_err();
        assert!(
            matches!(
                err,
                Error::Api {
                    status_code: 404,
                    api_code: Some(2004),
                    ..
                }
            ),
            "{err:?}"
        );
        let requests = fake.requests();
        assert_eq!(requests.len(), 4);
        assert_eq!(requests[0].route(), Some(Route::Token));
        assert_eq!(requests[2].query("userIdType"), Some("email"));
        assert_eq!(requests[2].query("userId"), Some("a@x"));
    }

    #[test]
    fn failures_are_used_once_in_order_and_per_route() {
        let fake = FakeGenAuth::new().with_user("u", UserIdType::UserId, UserMfaInfo::new());
        let mgmt = mgmt(&fake);
        fake.fail_next(Route::GetUserMfaInfo, Failure::Throttled);
        fake.fail_next(
            Route::GetUserMfaInfo,
            Failure::api(403, 2003, "forbidden").with_request_id("r-403"),
        );
        let err = mgmt.get_user_mfa_info("u").send().unwrap_err();
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
        let err = mgmt.get_user_mfa_info("u").send().unwrap_err();
        assert_eq!(err.request_id(), Some("r-403"));
        mgmt.get_user_mfa_info("u").send().unwrap();
        fake.fail_next(
            Route::Any,
            Failure::Transport(TransportErrorKind::ConnectionClosed),
        );
        let err = mgmt.get_user_mfa_info("u").send().unwrap_err();
        assert_eq!(err.kind(), "transport");
    }

    #[test]
    fn a_401_once_makes_the_client_fetch_a_new_token() {
        let fake = FakeGenAuth::new().with_user("u", UserIdType::UserId, UserMfaInfo::new());
        let mgmt = mgmt(&fake);
        mgmt.get_user_mfa_info("u").send().unwrap();
        fake.fail_next(Route::GetUserMfaInfo, Failure::Unauthenticated);
        mgmt.get_user_mfa_info("u").send().unwrap();
        assert_eq!(fake.count(Route::Token), 2);
    }

    #[test]
    fn a_wrong_access_key_is_refused() {
        let fake = FakeGenAuth::new().with_access_key("ak", "right");
        let err = mgmt(&fake).get_user_mfa_info("u").send().unwrap_err();
        assert!(matches!(err, Error::Credentials { .. }), "{err:?}");
        assert_eq!(err.api_code(), Some(1001));
        assert_eq!(fake.requests().len(), 1);
    }

    #[test]
    fn factors_belong_to_an_access_token_and_the_app_id_is_checked() {
        let fake = FakeGenAuth::demo();
        let auth = |token: &str, app: &str| {
            AuthenticationClient::builder()
                .app_id(app)
                .app_host("https://my-app.genauth.ai")
                .access_token(token)
                .transport(fake.clone())
                .build()
                .unwrap()
        };
        let alice = auth(FakeGenAuth::DEMO_ACCESS_TOKEN, FakeGenAuth::DEMO_APP_ID);
        let factors = alice.list_enrolled_factors().send().unwrap();
        assert_eq!(factors.len(), 3);
        let f = alice
            .get_factor("635391f4xxxxxx6bba26ed4|email")
            .send()
            .unwrap();
        assert_eq!(f.factor_type, FactorType::Email);
        assert!(alice.get_factor("nope").send().is_err());
        let err = auth("stolen", FakeGenAuth::DEMO_APP_ID)
            .list_enrolled_factors()
            .send()
            .unwrap_err();
        assert!(err.is_unauthenticated(), "{err:?}");
        assert!(
            auth(FakeGenAuth::DEMO_ACCESS_TOKEN, "other-app")
                .list_enrolled_factors()
                .send()
                .is_err()
        );
        let last = fake.requests().pop().unwrap();
        assert!(!format!("{last:?}").contains(FakeGenAuth::DEMO_ACCESS_TOKEN));
    }

    #[test]
    fn the_demo_knows_every_user_but_the_missing_ones() {
        let fake = FakeGenAuth::demo();
        let mgmt = ManagementClient::builder()
            .access_key_id(FakeGenAuth::DEMO_ACCESS_KEY_ID)
            .access_key_secret(FakeGenAuth::DEMO_ACCESS_KEY_SECRET)
            .transport(fake)
            .build()
            .unwrap();
        let a = mgmt.get_user_mfa_info("bob@example.com").send().unwrap();
        let b = mgmt.get_user_mfa_info("bob@example.com").send().unwrap();
        assert_eq!(a, b);
        assert!(mgmt.get_user_mfa_info("missing-carol").send().is_err());
    }

    #[test]
    fn queries_decode_as_a_server_reads_them() {
        assert_eq!(
            decode_query("userId=a%20b%2Bc+d&x"),
            [
                ("userId".into(), "a b+c d".into()),
                ("x".into(), String::new())
            ]
        );
    }
}
