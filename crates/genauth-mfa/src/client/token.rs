//! The management token: fetched with the access key through the common
//! call path, cached until shortly before it expires, and fetched by one
//! thread at a time, whose result (success or failure) every waiting thread
//! shares. A refused access key is remembered for a while, so a wrong key
//! costs a few token requests, not one per call.

use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use http::{HeaderName, HeaderValue};
use serde::Serialize;
use serde_json::Value;

use crate::call::caller::{Budget, Caller};
use crate::call::cancel::CancelToken;
use crate::call::endpoint::Endpoint;
use crate::client::settings::Secret;
use crate::error::{Error, Result};
use crate::transport::{TransportError, TransportErrorKind};

/// The token path.
pub(crate) const TOKEN_PATH: &str = "/api/v3/get-management-token";

/// The longest margin before expiry at which a token is fetched anew.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// How long a refused access key (or an unusable token answer) is
/// remembered: calls within it fail at once with the same error.
const REFUSAL_MEMORY: Duration = Duration::from_secs(10);

/// After a failed refresh, the next try waits this long (the old token
/// serves meanwhile).
const REFRESH_RETRY: Duration = Duration::from_secs(5);

/// A token fetched because a call was refused is not replaced because of
/// another refusal within this time: the key works but the calls are
/// refused, and fetching again would only loop.
const REFRESH_COOLDOWN: Duration = Duration::from_secs(10);

/// How often a thread waiting for another's token fetch looks at its
/// cancel token.
const CANCEL_SLICE: Duration = Duration::from_millis(50);

/// A management token ready to use: its headers and when to replace it.
pub(crate) struct ManagementToken {
    /// `authorization: Bearer <access_token>` (marked sensitive) and
    /// `x-<brand>-userpool-id: <scoped_userpool_id claim>`, built once.
    pub(crate) headers: [(HeaderName, HeaderValue); 2],
    /// When to fetch a new one (shortly before it expires).
    refresh_at: Instant,
    /// When it stops being usable: until then a failed refresh keeps it.
    expires_at: Instant,
    fetched_at: Instant,
    /// Fetched because a call with the previous token was refused.
    after_refusal: bool,
}

impl ManagementToken {
    /// The access token itself (the `authorization` header without
    /// `Bearer `), to keep it out of errors that quote the server.
    pub(crate) fn access_token(&self) -> String {
        let value = String::from_utf8_lossy(self.headers[0].1.as_bytes());
        value.strip_prefix("Bearer ").unwrap_or(&value).to_owned()
    }

    /// Whether a call refused as unauthenticated with this token should
    /// fetch a new one: not when this one replaced a refused token moments ago.
    pub(crate) fn may_refresh(&self) -> bool {
        !(self.after_refusal && self.fetched_at.elapsed() < REFRESH_COOLDOWN)
    }
}

impl fmt::Debug for ManagementToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagementToken")
            .field("authorization", &"***")
            .field("userpool_id", &self.headers[1].1)
            .field("refresh_at", &self.refresh_at)
            .finish()
    }
}

/// The cached token of one client, shared by its clones and threads.
#[derive(Default)]
pub(crate) struct TokenCache {
    /// The fast path: read on every call.
    current: RwLock<Option<Arc<ManagementToken>>>,
    fetch: Mutex<FetchState>,
    fetched: Condvar,
}

#[derive(Default)]
struct FetchState {
    /// A thread is fetching now.
    running: bool,
    /// How many fetches have ended.
    ended: u64,
    /// The error of the last fetch, if it failed.
    last_error: Option<Error>,
    /// Until when that error is the answer without asking again.
    refused_until: Option<Instant>,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("cached", &self.fresh().is_some())
            .finish()
    }
}

impl TokenCache {
    /// The cached token if it is still fresh, or a new one from `fetch`.
    /// Of many threads that find no fresh token, one calls `fetch`; the
    /// others wait for it (each until its own `deadline`) and share its
    /// result, an error included. `after_refusal` says the caller's last
    /// token was refused.
    pub(crate) fn get(
        &self,
        deadline: Option<Instant>,
        cancel: Option<&CancelToken>,
        after_refusal: bool,
        fetch: impl FnOnce() -> Result<ManagementToken>,
    ) -> Result<Arc<ManagementToken>> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let mut state = self.lock();
        loop {
            if let Some(token) = self.fresh() {
                return Ok(token);
            }
            if let (Some(until), Some(err)) = (state.refused_until, &state.last_error) {
                if Instant::now() < until {
                    return Err(err.clone());
                }
            }
            if !state.running {
                state.running = true;
                drop(state);
                return self.run_fetch(after_refusal, fetch).or_else(|err| {
                    // A proactive refresh that failed: the token it was to
                    // replace still works until it expires. Ask again in a
                    // few seconds, not on every call.
                    match self.usable() {
                        Some(token) => {
                            log::debug!(
                                target: "genauth_mfa",
                                "refreshing the management token failed ({}); the current one is still valid",
                                err.report()
                            );
                            Ok(self.postpone(&token))
                        }
                        None => Err(err),
                    }
                });
            }
            // Another thread is fetching: a token that is still valid
            // serves meanwhile.
            if let Some(token) = self.usable() {
                return Ok(token);
            }
            // Another thread is fetching: wait for it to end, then share.
            // The wait is sliced so that a cancelled call stops waiting
            // within a slice (the token's own condition variable is not
            // this one).
            let ended = state.ended;
            while state.running && state.ended == ended {
                if cancel.is_some_and(CancelToken::is_cancelled) {
                    return Err(Error::Cancelled);
                }
                let left = match deadline {
                    None => CANCEL_SLICE,
                    Some(d) => match d.checked_duration_since(Instant::now()) {
                        Some(left) if !left.is_zero() => left.min(CANCEL_SLICE),
                        _ => return Err(waited_too_long()),
                    },
                };
                state = self
                    .fetched
                    .wait_timeout(state, left)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            if state.ended != ended {
                if let Some(err) = &state.last_error {
                    return match self.usable() {
                        Some(token) => Ok(token),
                        None => Err(err.clone()),
                    };
                }
            }
        }
    }

    /// Runs `fetch` as the one fetching thread and publishes its result.
    fn run_fetch(
        &self,
        after_refusal: bool,
        fetch: impl FnOnce() -> Result<ManagementToken>,
    ) -> Result<Arc<ManagementToken>> {
        // Ends the fetch even if `fetch` panics, so no waiter waits forever.
        struct Ending<'a>(&'a TokenCache, Option<Error>);
        impl Drop for Ending<'_> {
            fn drop(&mut self) {
                let mut state = self.0.lock();
                state.running = false;
                state.ended += 1;
                state.refused_until = self
                    .1
                    .as_ref()
                    .filter(|e| is_refusal(e))
                    .map(|_| Instant::now() + REFUSAL_MEMORY);
                // A fetch stopped by its caller's cancel token says nothing
                // to the waiters (other clones may have other tokens): they
                // fetch again themselves.
                state.last_error = self.1.take().filter(|e| !matches!(e, Error::Cancelled));
                self.0.fetched.notify_all();
            }
        }
        let mut ending = Ending(self, None);
        match fetch() {
            Ok(mut token) => {
                token.after_refusal = after_refusal;
                let token = Arc::new(token);
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&token));
                Ok(token)
            }
            Err(err) => {
                ending.1 = Some(err.clone());
                Err(err)
            }
        }
    }

    /// Forgets `used` if it is still the cached token (another thread may
    /// already have replaced it, and its replacement is kept).
    pub(crate) fn invalidate(&self, used: &Arc<ManagementToken>) {
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, used)) {
            *current = None;
        }
    }

    /// The cached token if it has not expired, fresh or not.
    fn usable(&self) -> Option<Arc<ManagementToken>> {
        let current = self.current.read().unwrap_or_else(|p| p.into_inner());
        current
            .as_ref()
            .filter(|t| Instant::now() < t.expires_at)
            .map(Arc::clone)
    }

    /// Replaces `token` by a copy to be refreshed a little later.
    fn postpone(&self, token: &Arc<ManagementToken>) -> Arc<ManagementToken> {
        let later = Arc::new(ManagementToken {
            headers: token.headers.clone(),
            refresh_at: (Instant::now() + REFRESH_RETRY).min(token.expires_at),
            expires_at: token.expires_at,
            fetched_at: token.fetched_at,
            after_refusal: token.after_refusal,
        });
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, token)) {
            *current = Some(Arc::clone(&later));
        }
        later
    }

    fn fresh(&self) -> Option<Arc<ManagementToken>> {
        let current = self.current.read().unwrap_or_else(|p| p.into_inner());
        current
            .as_ref()
            .filter(|t| Instant::now() < t.refresh_at)
            .map(Arc::clone)
    }

    fn lock(&self) -> MutexGuard<'_, FetchState> {
        self.fetch.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A token fetch whose answer will be the same if asked again soon: the
/// server refused the key (a 4xx `statusCode` other than 429), or answered
/// something that is not a usable token (not a server error: a passing 500
/// must not fail every call for [`REFUSAL_MEMORY`]).
fn is_refusal(err: &Error) -> bool {
    let client_side = |status: i64| (400..500).contains(&status) && status != 429;
    match err {
        Error::Api { status_code, .. } => client_side(*status_code),
        Error::Decode { http_status, .. } => {
            *http_status < 500
                && *http_status != 429
                && !crate::call::retry::is_retryable_answer(err)
        }
        _ => false,
    }
}

fn waited_too_long() -> Error {
    Error::from(
        TransportError::from_kind(TransportErrorKind::Timeout).with_detail(
            "(the whole-call timeout passed while another thread fetched the management token)",
        ),
    )
}

/// The access key a management client signs in with.
#[derive(Clone)]
pub(crate) struct AccessKey {
    pub(crate) id: String,
    pub(crate) secret: Secret,
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .field("secret", &self.secret)
            .finish()
    }
}

/// Asks the server for a new token, through the same call path as every
/// other request (marked safe to repeat; its answer is never quoted).
/// `userpool_header` is the brand's `x-<brand>-userpool-id`.
pub(crate) fn fetch(
    caller: &Caller,
    key: &AccessKey,
    userpool_header: &HeaderName,
    budget: &mut Budget<'_>,
) -> Result<ManagementToken> {
    #[derive(Serialize)]
    struct TokenRequest<'a> {
        #[serde(rename = "accessKeyId")]
        access_key_id: &'a str,
        #[serde(rename = "accessKeySecret")]
        access_key_secret: &'a str,
    }
    let endpoint = Endpoint::post_json(
        TOKEN_PATH,
        &TokenRequest {
            access_key_id: &key.id,
            access_key_secret: key.secret.expose(),
        },
    )?
    .repeatable()
    .secret_answer();
    let fetched_at = Instant::now();
    // Read field by field, so that a field of an unexpected type is named
    // (and the token itself is never quoted).
    let data: Value = caller
        .call(&endpoint, &[], budget)
        .map_err(|e| e.redact(key.secret.expose()))?;
    let bad_token = |reason: &str| Error::decode(200, format!("management token: {reason}"), b"");
    let access_token = data
        .get("access_token")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_token("the answer has no access_token string"))?;
    let raw_expires_in = data.get("expires_in").filter(|v| !v.is_null());
    let expires_in = raw_expires_in.and_then(lenient_seconds);
    let claims =
        jwt_claims(access_token).ok_or_else(|| bad_token("not a JWT with a JSON payload"))?;
    let userpool_id = claims
        .scoped_userpool_id
        .filter(|id| !id.is_empty())
        .ok_or_else(|| bad_token("the JWT carries no scoped_userpool_id claim"))?;
    let lifetime = lifetime(expires_in, claims.exp, SystemTime::now()).ok_or_else(|| {
        if raw_expires_in.is_some() && expires_in.is_none() {
            bad_token("expires_in is not a number of seconds, and the JWT has no usable exp")
        } else {
            bad_token("neither expires_in nor the JWT's exp says when it expires")
        }
    })?;
    let mut authorization = HeaderValue::from_str(&format!("Bearer {access_token}"))
        .map_err(|_| bad_token("the token holds characters a header cannot carry"))?;
    authorization.set_sensitive(true);
    let userpool_id = HeaderValue::from_str(&userpool_id)
        .map_err(|_| bad_token("the user pool id is not a valid header"))?;
    Ok(ManagementToken {
        headers: [
            (http::header::AUTHORIZATION, authorization),
            (userpool_header.clone(), userpool_id),
        ],
        refresh_at: fetched_at + lifetime.saturating_sub(REFRESH_MARGIN.min(lifetime / 2)),
        expires_at: fetched_at + lifetime,
        fetched_at,
        after_refusal: false,
    })
}

/// A number of seconds sent as a JSON number or a numeric string (`"7200"`).
fn lenient_seconds(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// How long a token lives: the sooner of `expires_in` and the JWT's `exp`.
/// An `exp` that this machine's clock puts in the past or within
/// [`CLOCK_SKEW`] is taken for clock skew and ignored when `expires_in` is
/// known, so a skewed clock cannot make every call fetch a token; a token
/// with only such an `exp` lives [`CLOCK_SKEW`] (the server refuses it if
/// it really expired, and then it is fetched again).
fn lifetime(expires_in: Option<f64>, exp: Option<f64>, now: SystemTime) -> Option<Duration> {
    let seconds = |s: f64| (s.is_finite() && s > 0.0).then(|| Duration::from_secs_f64(s.min(1e9)));
    let from_expires_in = expires_in.and_then(seconds);
    let now = now
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    let from_exp = exp
        .filter(|exp| exp.is_finite())
        .map(|exp| seconds(exp - now).filter(|left| *left > CLOCK_SKEW));
    match (from_expires_in, from_exp) {
        (Some(a), Some(Some(b))) => Some(a.min(b)),
        (Some(a), _) => Some(a),
        (None, Some(b)) => Some(b.unwrap_or(CLOCK_SKEW)),
        (None, None) => None,
    }
}

/// How far this machine's clock may be off the server's before a JWT's
/// `exp` is believed over `expires_in`.
const CLOCK_SKEW: Duration = Duration::from_secs(30);

#[derive(serde::Deserialize)]
struct Claims {
    #[serde(default)]
    scoped_userpool_id: Option<String>,
    /// A number, or a numeric string (`"1900000000"`) as some issuers send.
    #[serde(default, deserialize_with = "lenient_exp")]
    exp: Option<f64>,
}

/// `exp` read as [`lenient_seconds`] reads `expires_in`; anything else is
/// no `exp` (the token may still live by `expires_in`).
fn lenient_exp<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<f64>, D::Error> {
    let value = <Option<Value> as serde::Deserialize>::deserialize(d)?;
    Ok(value.as_ref().and_then(lenient_seconds))
}

/// The payload claims of a JWT, not verified (the server verifies it).
fn jwt_claims(token: &str) -> Option<Claims> {
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&base64url_decode(payload)?).ok()
}

/// Decodes base64url (RFC 4648 §5), padded or not, with the `base64` crate
/// ureq already brings; the standard alphabet (`+`, `/`) is accepted too,
/// as some issuers use it. `None` on anything else.
fn base64url_decode(input: &str) -> Option<Vec<u8>> {
    const LENIENT: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
    URL_SAFE
        .decode(input)
        .or_else(|_| STANDARD.decode(input))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A JWT-shaped (unsigned) token with these claims.
    fn unsigned_jwt(claims: &serde_json::Value) -> String {
        let encode = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        format!(
            "{}.{}.sig",
            encode(br#"{"alg":"none","typ":"JWT"}"#),
            encode(claims.to_string().as_bytes())
        )
    }

    #[test]
    fn base64url_round_trips_and_handles_the_url_alphabet() {
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 250) as u8).collect();
            let claims = serde_json::json!({ "b": bytes });
            let token = unsigned_jwt(&claims);
            let payload = token.split('.').nth(1).unwrap();
            let decoded = base64url_decode(payload).unwrap();
            assert_eq!(decoded, claims.to_string().into_bytes());
        }
        // "~~~" encodes as fn5- in base64url; "???" as Pz8_: both break a plain decoder.
        assert_eq!(base64url_decode("fn5-").unwrap(), b"~~~");
        assert_eq!(base64url_decode("Pz8_").unwrap(), b"???");
        assert_eq!(base64url_decode("Pz8/").unwrap(), b"???");
        assert_eq!(base64url_decode("YQ==").unwrap(), b"a");
        assert_eq!(base64url_decode("YQ").unwrap(), b"a");
        assert!(base64url_decode("Y").is_none());
        assert!(base64url_decode("a*bc").is_none());
    }

    #[test]
    fn claims_come_from_the_payload() {
        let token = unsigned_jwt(
            &serde_json::json!({"scoped_userpool_id": "pool-1", "exp": 1_900_000_000, "sub": "~~~???"}),
        );
        let claims = jwt_claims(&token).unwrap();
        assert_eq!(claims.scoped_userpool_id.as_deref(), Some("pool-1"));
        assert_eq!(claims.exp, Some(1_900_000_000.0));
        let token =
            unsigned_jwt(&serde_json::json!({"scoped_userpool_id": "p", "exp": " 1900000000 "}));
        assert_eq!(jwt_claims(&token).unwrap().exp, Some(1_900_000_000.0));
        let token = unsigned_jwt(&serde_json::json!({"scoped_userpool_id": "p", "exp": "soon"}));
        assert_eq!(jwt_claims(&token).unwrap().exp, None);
        assert!(jwt_claims("not-a-jwt").is_none());
        assert!(jwt_claims("a.!!!.c").is_none());
    }

    #[test]
    fn lifetime_is_the_sooner_of_expires_in_and_exp() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let secs = |s| Some(Duration::from_secs(s));
        assert_eq!(
            lifetime(Some(7200.0), Some(1_000_000.0 + 60.0), now),
            secs(60)
        );
        assert_eq!(
            lifetime(Some(7200.0), Some(1_000_000.0 + 9000.0), now),
            secs(7200)
        );
        assert_eq!(lifetime(None, Some(1_000_000.0 + 100.0), now), secs(100));
        assert_eq!(lifetime(Some(7200.0), None, now), secs(7200));
        // exp in the past by our clock, or within the skew: trust expires_in
        assert_eq!(lifetime(Some(7200.0), Some(10.0), now), secs(7200));
        assert_eq!(
            lifetime(Some(7200.0), Some(1_000_000.0 + 1.0), now),
            secs(7200)
        );
        // only such an exp: a floor, not a refusal
        assert_eq!(lifetime(None, Some(10.0), now), Some(CLOCK_SKEW));
        assert_eq!(lifetime(None, Some(1_000_001.0), now), Some(CLOCK_SKEW));
        assert_eq!(lifetime(None, None, now), None);
        assert_eq!(lifetime(Some(-1.0), None, now), None);
        assert_eq!(lifetime(Some(f64::NAN), None, now), None);
    }

    fn token(valid_for: Duration) -> ManagementToken {
        ManagementToken {
            headers: [
                (
                    http::header::AUTHORIZATION,
                    HeaderValue::from_static("Bearer t"),
                ),
                (
                    HeaderName::from_static("x-genauth-userpool-id"),
                    HeaderValue::from_static("p"),
                ),
            ],
            refresh_at: Instant::now() + valid_for,
            expires_at: Instant::now() + valid_for,
            fetched_at: Instant::now(),
            after_refusal: false,
        }
    }

    #[test]
    fn cache_reuses_a_fresh_token_and_refetches_a_stale_one() {
        let cache = TokenCache::default();
        let fetches = AtomicUsize::new(0);
        let fetch = |d| {
            fetches.fetch_add(1, Ordering::SeqCst);
            Ok(token(d))
        };
        let a = cache
            .get(None, None, false, || fetch(Duration::from_secs(60)))
            .unwrap();
        let b = cache
            .get(None, None, false, || fetch(Duration::from_secs(60)))
            .unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        cache.invalidate(&a);
        let c = cache
            .get(None, None, false, || fetch(Duration::ZERO))
            .unwrap();
        assert!(!Arc::ptr_eq(&a, &c));
        // c is already stale: the next get fetches again
        let _ = cache
            .get(None, None, false, || fetch(Duration::from_secs(60)))
            .unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn invalidating_an_old_token_keeps_its_replacement() {
        let cache = TokenCache::default();
        let old = cache
            .get(None, None, false, || Ok(token(Duration::from_secs(60))))
            .unwrap();
        cache.invalidate(&old);
        let new = cache
            .get(None, None, false, || Ok(token(Duration::from_secs(60))))
            .unwrap();
        cache.invalidate(&old); // a slow thread still holding `old`
        let again = cache
            .get(None, None, false, || panic!("must not fetch"))
            .unwrap();
        assert!(Arc::ptr_eq(&new, &again));
    }

    #[test]
    fn only_refusals_and_unusable_answers_are_refusals() {
        let api = |http_status, status_code| Error::Api {
            http_status,
            status_code,
            api_code: None,
            message: String::new(),
            request_id: None,
            attempts: 1,
        };
        assert!(is_refusal(&api(200, 400)));
        assert!(is_refusal(&api(401, 401)));
        assert!(is_refusal(&api(200, 403)));
        assert!(!is_refusal(&api(200, 429)));
        assert!(!is_refusal(&api(200, 500)));
        assert!(!is_refusal(&api(500, 500)));
        assert!(!is_refusal(&api(200, 503)));
        assert!(is_refusal(&Error::decode(200, "not a JWT", b"")));
        assert!(is_refusal(&Error::decode(404, "html", b"")));
        assert!(!is_refusal(&Error::decode(500, "html", b"")));
        assert!(!is_refusal(&Error::decode(502, "html", b"")));
    }

    #[test]
    fn a_refusal_is_remembered_but_a_transport_failure_is_not() {
        let cache = TokenCache::default();
        let refused = || {
            Err(Error::Api {
                http_status: 200,
                status_code: 400,
                api_code: Some(1001),
                message: "bad key".into(),
                request_id: None,
                attempts: 1,
            })
        };
        assert!(cache.get(None, None, false, refused).is_err());
        let err = cache
            .get(None, None, false, || panic!("a refusal is remembered"))
            .unwrap_err();
        assert_eq!(err.kind(), "api");
        let cache = TokenCache::default();
        let down = || {
            Err(Error::from(TransportError::from_kind(
                TransportErrorKind::Connect,
            )))
        };
        assert!(cache.get(None, None, false, down).is_err());
        assert!(
            cache
                .get(None, None, false, || Ok(token(Duration::from_secs(60))))
                .is_ok()
        );
    }

    #[test]
    fn waiting_threads_share_the_fetch_result_and_respect_their_deadline() {
        let cache = Arc::new(TokenCache::default());
        let fetches = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (cache, fetches) = (Arc::clone(&cache), Arc::clone(&fetches));
                std::thread::spawn(move || {
                    cache.get(None, None, false, || {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(200));
                        Err(Error::from(TransportError::from_kind(
                            TransportErrorKind::Timeout,
                        )))
                    })
                })
            })
            .collect();
        for h in handles {
            assert!(h.join().unwrap().is_err());
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        // A waiter gives up at its own deadline.
        let slow = Arc::clone(&cache);
        let fetcher = std::thread::spawn(move || {
            slow.get(None, None, false, || {
                std::thread::sleep(Duration::from_millis(500));
                Ok(token(Duration::from_secs(60)))
            })
        });
        std::thread::sleep(Duration::from_millis(50));
        let started = Instant::now();
        let soon = Instant::now() + Duration::from_millis(100);
        let err = cache
            .get(Some(soon), None, false, || panic!("one fetch at a time"))
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_millis(400));
        assert_eq!(err.kind(), "timeout");
        assert!(fetcher.join().unwrap().is_ok());
    }

    #[test]
    fn a_token_fetched_after_a_refusal_is_not_refreshed_again_at_once() {
        let cache = TokenCache::default();
        let first = cache
            .get(None, None, false, || Ok(token(Duration::from_secs(60))))
            .unwrap();
        assert!(first.may_refresh());
        cache.invalidate(&first);
        let second = cache
            .get(None, None, true, || Ok(token(Duration::from_secs(60))))
            .unwrap();
        assert!(!second.may_refresh());
    }

    #[test]
    fn a_failed_refresh_keeps_the_token_until_it_expires() {
        let cache = TokenCache::default();
        let mut stale = token(Duration::ZERO);
        stale.expires_at = Instant::now() + Duration::from_secs(60);
        let stale = cache.get(None, None, false, || Ok(stale)).unwrap();
        let down = || {
            Err(Error::from(TransportError::from_kind(
                TransportErrorKind::Connect,
            )))
        };
        let kept = cache.get(None, None, false, down).unwrap();
        assert_eq!(kept.headers, stale.headers);
        // And the next call does not ask again at once.
        let again = cache
            .get(None, None, false, || panic!("postponed"))
            .unwrap();
        assert_eq!(again.headers, stale.headers);
    }

    #[test]
    fn a_failed_fetch_caches_nothing() {
        let cache = TokenCache::default();
        assert!(
            cache
                .get(None, None, false, || Err(Error::from(
                    TransportError::from_kind(TransportErrorKind::Connect)
                )))
                .is_err()
        );
        assert!(
            cache
                .get(None, None, false, || Ok(token(Duration::from_secs(60))))
                .is_ok()
        );
    }
}
