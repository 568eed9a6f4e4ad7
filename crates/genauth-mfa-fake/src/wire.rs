//! The fake's wire handling: one request in, one answer out. The
//! in-process [`Transport`] and the [`FakeServer`](super::FakeServer) both
//! route every request through [`FakeGenAuth::answer`].

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use http::{Request, Response, StatusCode};
use serde_json::{Value, json};

use super::fake::{FakeGenAuth, State};
use super::policy::{ListKind, page_range};
use super::pool::derived_mfa;
use super::route::{Failure, RecordedRequest, Route};
use super::user::PoolUser;
use genauth_mfa::Factor;
use genauth_mfa::UserIdType;
use genauth_mfa::{Transport, TransportError, TransportErrorKind};

mod read;

pub(super) use read::decode_query;
use read::{flag, listing, page_query};

impl Transport for FakeGenAuth {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        self.answer(request)
            .map_err(|kind| TransportError::new(kind, "FakeGenAuth was told to fail"))
    }
}

impl FakeGenAuth {
    /// Records `request` and answers it; `Err`: a [`Failure::Transport`]
    /// said to give no answer.
    pub(super) fn answer(
        &self,
        request: Request<Vec<u8>>,
    ) -> Result<Response<Vec<u8>>, TransportErrorKind> {
        let mut state = self.lock();
        let recorded = record(request);
        if !state.not_recording {
            state.requests.push(recorded.clone());
        }
        let Some(route) = recorded.route else {
            // Not an endpoint: recorded, but counted for no route.
            return Ok(json_answer(
                StatusCode::NOT_FOUND,
                json!({"statusCode": 404, "message": "Not Found"}),
            ));
        };
        *state.counts.entry(route).or_insert(0) += 1;
        if let Some(failure) = state.failure_for(route) {
            return failure_answer(&mut state, failure);
        }
        let data = state.data(route, &recorded);
        Ok(state.envelope(data))
    }
}

/// The request as recorded: its route, its query decoded.
fn record(request: Request<Vec<u8>>) -> RecordedRequest {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let route = Route::of(&parts.method, &path);
    RecordedRequest {
        method: parts.method,
        path,
        query: decode_query(parts.uri.query().unwrap_or("")),
        headers: parts.headers,
        body,
        route,
    }
}

impl State {
    /// The failure told for `route`: the first one-off failure that matches
    /// (used up), else a lasting one.
    fn failure_for(&mut self, route: Route) -> Option<Failure> {
        let once = self
            .failures
            .iter()
            .position(|(r, _)| r.matches(route))
            .and_then(|i| self.failures.remove(i))
            .map(|(_, failure)| failure);
        once.or_else(|| {
            self.lasting_failures
                .iter()
                .find(|(r, _)| r.matches(route))
                .map(|(_, failure)| failure.clone())
        })
    }

    /// The envelope's `data` for a call to `route`, or the refusal.
    fn data(&mut self, route: Route, recorded: &RecordedRequest) -> Result<Value, Refusal> {
        match route {
            Route::Token => self.token(recorded),
            Route::GetFactor => self.factor(recorded),
            Route::ListEnrolledFactors => self.factors_of(recorded).map(|f| json!(f)),
            Route::GetUserMfaInfo => self.user_mfa_info(recorded),
            Route::ListUsers => self.list_users(recorded),
            Route::GetGlobalMfaSettings => self
                .check_management_token(recorded)
                .map(|()| json!({"enabledFactors": self.policy.enabled_factors})),
            Route::UserList => self.risk_list(recorded, ListKind::User),
            Route::IpList => self.risk_list(recorded, ListKind::Ip),
            Route::ListRoleMembers => self.role_members(recorded),
            Route::ListOrganizations => self.organizations(recorded),
            Route::GetAllDepartments => self.departments(recorded),
            Route::Any => Err((500, None, "unreachable")),
        }
    }

    /// One factor of the user, named by the `factorId` query.
    fn factor(&self, recorded: &RecordedRequest) -> Result<Value, Refusal> {
        let factors = self.factors_of(recorded)?;
        let id = recorded
            .query("factorId")
            .ok_or((400, None, "factorId is required"))?;
        factors
            .iter()
            .find(|f| f.factor_id == id)
            .map(|f| json!(f))
            .ok_or((404, None, "MFA factor not found"))
    }
}

/// A refused call: `statusCode`, `apiCode` and message of the envelope.
pub(super) type Refusal = (i64, Option<i64>, &'static str);

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
        json_answer(StatusCode::OK, body)
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
                            "exp": now.saturating_add(lifetime), "jti": self.issued.len() + 1});
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

    /// Refuses a management call without a token this fake issued and its
    /// user pool id.
    fn check_management_token(&self, request: &RecordedRequest) -> Result<(), Refusal> {
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
        Ok(())
    }

    fn user_mfa_info(&self, request: &RecordedRequest) -> Result<Value, Refusal> {
        self.check_management_token(request)?;
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
        if let Some(info) = self.pool.mfa_of(id, id_type) {
            return Ok(json!(info));
        }
        if self.derive_unknown_users && !id.starts_with("missing") {
            return Ok(json!(derived_mfa(id)));
        }
        Err((404, Some(2004), "user not found"))
    }

    fn list_users(&mut self, request: &RecordedRequest) -> Result<Value, Refusal> {
        self.check_management_token(request)?;
        let listing = listing(request.body())?;
        Ok(self.pool.list(&listing))
    }

    /// `user-list` (`userListType`) or `ip-list` (`ipType`): one page of
    /// the entries of that type.
    fn risk_list(&self, request: &RecordedRequest, kind: ListKind) -> Result<Value, Refusal> {
        self.check_management_token(request)?;
        let (page, limit) = page_query(request)?;
        let (name, message) = match kind {
            ListKind::User => ("userListType", "userListType must be WHITE or BLACK"),
            ListKind::Ip => ("ipType", "ipType must be WHITE or BLACK"),
        };
        let list_type = request
            .query(name)
            .filter(|t| matches!(*t, "WHITE" | "BLACK"))
            .ok_or((400, None, message))?;
        Ok(self.policy.list(kind, list_type, page, limit))
    }

    /// `list-role-members`: one page of the `UserDto`s of the role's
    /// members; an unknown role is 404.
    fn role_members(&self, request: &RecordedRequest) -> Result<Value, Refusal> {
        self.check_management_token(request)?;
        let (page, limit) = page_query(request)?;
        let code = request.query("code").filter(|c| !c.is_empty()).ok_or((
            400,
            None,
            "code is required",
        ))?;
        let namespace = request
            .query("namespace")
            .filter(|n| !n.is_empty())
            .unwrap_or("default");
        let with_department_ids = flag(request, "withDepartmentIds")?;
        let members = self
            .policy
            .roles
            .get(&(namespace.to_owned(), code.to_owned()))
            .ok_or((404, None, "role not found in this namespace"))?;
        let range = page_range(members.len(), page, limit);
        let list: Vec<Value> = members[range]
            .iter()
            .map(|id| {
                self.pool
                    .dto_of(id, with_department_ids)
                    .unwrap_or_else(|| outside_the_pool(id))
            })
            .collect();
        Ok(json!({"totalCount": members.len(), "list": list}))
    }

    /// `list-organizations`: one page of the organisations, or all of them
    /// with `fetchAll=true`.
    fn organizations(&self, request: &RecordedRequest) -> Result<Value, Refusal> {
        self.check_management_token(request)?;
        let (page, limit) = page_query(request)?;
        let fetch_all = flag(request, "fetchAll")?;
        let sizes = self.pool.department_sizes();
        let members = |id: &str| sizes.get(id).copied().unwrap_or(0);
        Ok(self.policy.organizations(page, limit, fetch_all, &members))
    }

    /// `get-all-departments`: every department of one organisation (below
    /// `departmentId`, `root` by default), in one answer.
    fn departments(&self, request: &RecordedRequest) -> Result<Value, Refusal> {
        self.check_management_token(request)?;
        let code = request
            .query("organizationCode")
            .filter(|c| !c.is_empty())
            .ok_or((400, None, "organizationCode is required"))?;
        if !matches!(
            request.query("departmentIdType"),
            None | Some("department_id")
        ) {
            return Err((
                400,
                None,
                "FakeGenAuth knows departmentIdType department_id only",
            ));
        }
        flag(request, "withCustomData")?;
        let from = request.query("departmentId").unwrap_or("root");
        let sizes = self.pool.department_sizes();
        let members = |id: &str| sizes.get(id).copied().unwrap_or(0);
        self.policy
            .departments(code, from, &members)
            .map_err(|no_organization| {
                if no_organization {
                    (404, None, "organization not found")
                } else {
                    (404, None, "department not found")
                }
            })
    }
}

/// The `UserDto` of a role member the pool does not hold: its `userId`,
/// a fixed `createdAt`, `Activated`.
fn outside_the_pool(user_id: &str) -> Value {
    PoolUser::new(user_id)
        .created_at("2024-01-01T00:00:00.000Z")
        .to_json()
}

fn failure_answer(
    state: &mut State,
    failure: Failure,
) -> Result<Response<Vec<u8>>, TransportErrorKind> {
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
            json_answer(StatusCode::OK, body)
        }
        Failure::Throttled => json_answer(
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
        Failure::Transport(kind) => return Err(kind),
    })
}

fn json_answer(status: StatusCode, body: Value) -> Response<Vec<u8>> {
    let mut response = Response::new(body.to_string().into_bytes());
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}
