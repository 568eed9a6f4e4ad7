//! A pool entry's id, `createdAt`, status and `UserDto`, made from a
//! generated user's index or read from a custom user.

use std::cmp::Ordering;

use serde_json::{Value, json};

use super::{EPOCH, Entry, STEP};
use genauth_mfa::UserMfaInfo;

/// The id of generated user `i`: `user-000000`, `user-000001`, ...
pub(super) fn generated_id(i: u32) -> String {
    format!("user-{i:06}")
}

pub(super) fn generated_created(i: u32) -> u64 {
    EPOCH + STEP * u64::from(i)
}

/// Generated user `i`'s status: `Suspended` when `i % 20 == 7`,
/// `Deactivated` when `i % 20 == 13`, else `Activated`.
pub(super) fn generated_status(i: u32) -> &'static str {
    match i % 20 {
        7 => "Suspended",
        13 => "Deactivated",
        _ => "Activated",
    }
}

pub(super) fn status_of(entry: &Entry) -> &str {
    match entry {
        Entry::Generated(i) => generated_status(*i),
        Entry::Custom(user) => user.status_text(),
    }
}

/// Orders by `createdAt`, then `userId`.
pub(super) fn compare(a: &Entry, b: &Entry) -> Ordering {
    match (a, b) {
        (Entry::Generated(a), Entry::Generated(b)) => a.cmp(b),
        _ => key(a).cmp(&key(b)),
    }
}

pub(super) fn id_of(entry: &Entry) -> String {
    match entry {
        Entry::Generated(i) => generated_id(*i),
        Entry::Custom(user) => user.user_id.clone(),
    }
}

pub(super) fn key(entry: &Entry) -> (String, String) {
    match entry {
        Entry::Generated(i) => (iso8601(generated_created(*i)), generated_id(*i)),
        Entry::Custom(user) => (user.created().to_owned(), user.user_id.clone()),
    }
}

pub(super) fn dto(entry: &Entry) -> Value {
    let i = match entry {
        Entry::Custom(user) => return user.to_json(),
        Entry::Generated(i) => *i,
    };
    let id = generated_id(i);
    let created = generated_created(i);
    let mfa = derived_mfa(&id);
    let last_login = (i % 4 != 0).then(|| iso8601(created + 86_400 + u64::from(i % 97) * 3600));
    // Only a user who has logged in and has a factor did MFA.
    let last_mfa = (last_login.is_some() && mfa.any_enabled())
        .then(|| iso8601(created + 86_400 + u64::from(i % 89) * 3600));
    json!({
        "userId": id,
        "createdAt": iso8601(created),
        "updatedAt": iso8601(created + 3600),
        "status": generated_status(i),
        "username": format!("user{i:06}"),
        "email": format!("{id}@example.com"),
        "phone": format!("188{i:08}"),
        "phoneCountryCode": "+86",
        "externalId": (i % 3 == 0).then(|| format!("ext-{i:06}")),
        "name": Value::Null,
        "loginsCount": if i % 4 == 0 { 0 } else { 1 + i % 37 },
        "lastLogin": last_login,
        "lastMfaTime": last_mfa,
        "userSourceType": "register",
    })
}

/// Statuses picked by an FNV-1a hash of the id: the same every run.
pub(crate) fn derived_mfa(id: &str) -> UserMfaInfo {
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

/// `secs` after the Unix epoch as `YYYY-MM-DDTHH:MM:SS.000Z`.
pub(super) fn iso8601(secs: u64) -> String {
    genauth_mfa::iso8601_utc(secs, Some(0))
}
