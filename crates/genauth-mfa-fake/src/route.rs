//! What a test says to the fake and reads back from it: the endpoints
//! ([`Route`]), the ways they fail ([`Failure`]) and the requests received
//! ([`RecordedRequest`]).

use std::fmt;

use http::{HeaderMap, Method};

use genauth_mfa::TransportErrorKind;

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
    /// `POST /api/v3/list-users`.
    ListUsers,
    /// `GET /api/v3/get-global-mfa-settings`.
    GetGlobalMfaSettings,
    /// `GET /api/v3/user-list`.
    UserList,
    /// `GET /api/v3/ip-list`.
    IpList,
    /// `GET /api/v3/list-role-members`.
    ListRoleMembers,
    /// `GET /api/v3/list-organizations`.
    ListOrganizations,
    /// `GET /api/v3/get-all-departments`.
    GetAllDepartments,
    /// Whichever request comes next.
    Any,
}

impl Route {
    pub(super) fn of(method: &Method, path: &str) -> Option<Route> {
        let route = if path.ends_with("/api/v3/get-management-token") {
            Route::Token
        } else if path.ends_with("/api/v3/get-factor") {
            Route::GetFactor
        } else if path.ends_with("/api/v3/list-enrolled-factors") {
            Route::ListEnrolledFactors
        } else if path.ends_with("/api/v3/get-user-mfa-info") {
            Route::GetUserMfaInfo
        } else if path.ends_with("/api/v3/list-users") {
            Route::ListUsers
        } else if path.ends_with("/api/v3/get-global-mfa-settings") {
            Route::GetGlobalMfaSettings
        } else if path.ends_with("/api/v3/user-list") {
            Route::UserList
        } else if path.ends_with("/api/v3/ip-list") {
            Route::IpList
        } else if path.ends_with("/api/v3/list-role-members") {
            Route::ListRoleMembers
        } else if path.ends_with("/api/v3/list-organizations") {
            Route::ListOrganizations
        } else if path.ends_with("/api/v3/get-all-departments") {
            Route::GetAllDepartments
        } else {
            return None;
        };
        let expected = if matches!(route, Route::Token | Route::ListUsers) {
            Method::POST
        } else {
            Method::GET
        };
        (*method == expected).then_some(route)
    }

    pub(super) fn matches(self, other: Route) -> bool {
        self == Route::Any || self == other
    }
}

/// A way the real service fails, for [`FakeGenAuth::fail_next`](super::FakeGenAuth::fail_next)
/// and [`FakeGenAuth::fail_always`](super::FakeGenAuth::fail_always).
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
    ///
    /// Over a [`FakeServer`](super::FakeServer) the connection misbehaves
    /// instead: [`Timeout`](TransportErrorKind::Timeout) holds it open with
    /// no answer until the client gives up; [`Body`](TransportErrorKind::Body)
    /// sends a head and half a body, then closes;
    /// [`Protocol`](TransportErrorKind::Protocol) sends a status line that is
    /// not HTTP; every other kind closes the connection without a byte.
    Transport(TransportErrorKind),
}

impl Failure {
    /// An API error with this `statusCode`, `apiCode` and message.
    ///
    /// ```
    /// use genauth_mfa_fake::{Failure, FakeGenAuth, Route};
    ///
    /// let fake = FakeGenAuth::new();
    /// fake.fail_next(Route::GetUserMfaInfo, Failure::api(403, 2003, "forbidden"));
    /// ```
    #[must_use]
    pub fn api(status_code: i64, api_code: impl Into<Option<i64>>, message: &str) -> Failure {
        Failure::Api {
            status_code,
            api_code: api_code.into(),
            message: message.to_owned(),
            request_id: None,
        }
    }

    /// The same failure answering with this `requestId` (API errors only).
    #[must_use]
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
    pub(super) method: Method,
    pub(super) path: String,
    pub(super) query: Vec<(String, String)>,
    pub(super) headers: HeaderMap,
    pub(super) body: Vec<u8>,
    pub(super) route: Option<Route>,
}

impl RecordedRequest {
    /// The HTTP method.
    #[must_use]
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path, e.g. `/api/v3/get-user-mfa-info`.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The endpoint, if the path is one the fake plays.
    #[must_use]
    pub fn route(&self) -> Option<Route> {
        self.route
    }

    /// The decoded value of query parameter `name`, as the server reads it.
    #[must_use]
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every decoded query parameter, in order.
    #[must_use]
    pub fn query_pairs(&self) -> &[(String, String)] {
        &self.query
    }

    /// The value of header `name`, if it is present and text.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every header.
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body (JSON for the token request, empty for a GET).
    #[must_use]
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
