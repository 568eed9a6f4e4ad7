//! Unit tests of the management token: JWT claims, lifetime, the cache.

use std::sync::Arc;
use std::time::{Duration, Instant, UNIX_EPOCH};

use base64::Engine as _;
use http::{HeaderName, HeaderValue};

use super::cache::*;
use super::fetch::*;
use super::jwt::*;
use super::*;
use crate::error::Error;
use crate::transport::{TransportError, TransportErrorKind};
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
