//! The table of CSV columns ([`COLUMNS`]): each [`Row`] field's cell and
//! back.

use std::borrow::Cow;

use super::cell::{decode_id, encode_id, read_yes_no, yes_no};
use super::{Column, Group};
use crate::row::model::{ErrorCell, Row};

fn text(t: &Option<String>) -> Cow<'_, str> {
    Cow::Borrowed(t.as_deref().unwrap_or_default())
}

fn profile(t: &Option<Option<String>>) -> Cow<'_, str> {
    Cow::Borrowed(t.as_ref().and_then(Option::as_deref).unwrap_or_default())
}

fn some(cell: &str) -> Option<String> {
    Some(cell).filter(|c| !c.is_empty()).map(str::to_owned)
}

fn error(row: &mut Row) -> &mut ErrorCell {
    row.error.get_or_insert_with(ErrorCell::default)
}

fn number(cell: &str) -> Result<Option<i64>, ()> {
    match cell {
        "" => Ok(None),
        n => n.parse().map(Some).map_err(|_| ()),
    }
}

fn error_number(row: &Row, get: fn(&ErrorCell) -> Option<i64>) -> Cow<'_, str> {
    let n = row.error.as_ref().and_then(get);
    n.map_or(Cow::Borrowed(""), |n| Cow::Owned(n.to_string()))
}

/// Every column this tool writes, in the order of a new output. A new
/// column is one entry here (and its field in [`Row`]).
pub static COLUMNS: [Column; 23] = [
    Column {
        name: "user_id",
        group: Group::Required,
        get: |r| r.user_id.as_deref().map(encode_id).unwrap_or_default(),
        set: |r, c| {
            r.user_id = match c {
                "" => None,
                c => Some(decode_id(c).ok_or(())?.into_owned()),
            };
            Ok(())
        },
    },
    Column {
        name: "totp",
        group: Group::Required,
        get: |r| text(&r.totp_status),
        set: |r, c| {
            r.totp_status = Some(c.to_owned());
            Ok(())
        },
    },
    Column {
        name: "face",
        group: Group::Required,
        get: |r| text(&r.face_mfa_status),
        set: |r, c| {
            r.face_mfa_status = Some(c.to_owned());
            Ok(())
        },
    },
    Column {
        name: "sms",
        group: Group::Required,
        get: |r| text(&r.sms_mfa_status),
        set: |r, c| {
            r.sms_mfa_status = Some(c.to_owned());
            Ok(())
        },
    },
    Column {
        name: "email",
        group: Group::Required,
        get: |r| text(&r.email_mfa_status),
        set: |r, c| {
            r.email_mfa_status = Some(c.to_owned());
            Ok(())
        },
    },
    Column {
        name: "any_enabled",
        group: Group::Required,
        get: |r| {
            Cow::Borrowed(
                r.any_enabled
                    .map_or("", |a| if a { "true" } else { "false" }),
            )
        },
        set: |r, c| {
            r.any_enabled = match c {
                "" => None,
                "true" => Some(true),
                "false" => Some(false),
                _ => return Err(()),
            };
            Ok(())
        },
    },
    Column {
        name: "error_kind",
        group: Group::Required,
        get: |r| Cow::Borrowed(r.error.as_ref().map_or("", |e| e.kind.as_str())),
        set: |r, c| {
            error(r).kind = c.to_owned();
            Ok(())
        },
    },
    Column {
        name: "status_code",
        group: Group::Required,
        get: |r| error_number(r, |e| e.status_code),
        set: |r, c| {
            error(r).status_code = number(c)?;
            Ok(())
        },
    },
    Column {
        name: "api_code",
        group: Group::Required,
        get: |r| error_number(r, |e| e.api_code),
        set: |r, c| {
            error(r).api_code = number(c)?;
            Ok(())
        },
    },
    Column {
        name: "message",
        group: Group::Required,
        get: |r| Cow::Borrowed(r.error.as_ref().map_or("", |e| e.message.as_str())),
        set: |r, c| {
            error(r).message = c.to_owned();
            Ok(())
        },
    },
    Column {
        name: "request_id",
        group: Group::Required,
        get: |r| text(r.error.as_ref().map_or(&None, |e| &e.request_id)),
        set: |r, c| {
            error(r).request_id = some(c);
            Ok(())
        },
    },
    Column {
        name: "username",
        group: Group::Pool,
        get: |r| profile(&r.username),
        set: |r, c| {
            r.username = Some(some(c));
            Ok(())
        },
    },
    Column {
        name: "user_email",
        group: Group::Pool,
        get: |r| profile(&r.user_email),
        set: |r, c| {
            r.user_email = Some(some(c));
            Ok(())
        },
    },
    Column {
        name: "phone",
        group: Group::Pool,
        get: |r| profile(&r.phone),
        set: |r, c| {
            r.phone = Some(some(c));
            Ok(())
        },
    },
    Column {
        name: "user_status",
        group: Group::Pool,
        get: |r| profile(&r.user_status),
        set: |r, c| {
            r.user_status = Some(some(c));
            Ok(())
        },
    },
    Column {
        name: "last_login",
        group: Group::Pool,
        get: |r| profile(&r.last_login),
        set: |r, c| {
            r.last_login = Some(some(c));
            Ok(())
        },
    },
    Column {
        name: "last_mfa_time",
        group: Group::Pool,
        get: |r| profile(&r.last_mfa_time),
        set: |r, c| {
            r.last_mfa_time = Some(some(c));
            Ok(())
        },
    },
    Column {
        name: "user_id_type",
        group: Group::Added,
        get: |r| text(&r.user_id_type),
        set: |r, c| {
            r.user_id_type = some(c);
            Ok(())
        },
    },
    Column {
        name: "effective_mfa",
        group: Group::Added,
        get: |r| yes_no(r.effective_mfa),
        set: |r, c| {
            r.effective_mfa = Some(read_yes_no(c)?);
            Ok(())
        },
    },
    Column {
        name: "skip_mfa",
        group: Group::Added,
        get: |r| yes_no(r.skip_mfa),
        set: |r, c| {
            r.skip_mfa = Some(read_yes_no(c)?);
            Ok(())
        },
    },
    Column {
        name: "admin",
        group: Group::Added,
        get: |r| yes_no(r.admin),
        set: |r, c| {
            r.admin = Some(read_yes_no(c)?);
            Ok(())
        },
    },
    Column {
        name: "exemption_expires",
        group: Group::Exemptions,
        get: |r| profile(&r.exemption_expires),
        set: |r, c| {
            r.exemption_expires = Some(some(c));
            Ok(())
        },
    },
    Column {
        name: "departments",
        group: Group::Departments,
        get: |r| match r.departments.as_ref().and_then(Option::as_ref) {
            Some(paths) => Cow::Owned(paths.join("; ")),
            None => Cow::Borrowed(""),
        },
        set: |r, c| {
            r.departments = Some(some(c).map(|c| c.split("; ").map(str::to_owned).collect()));
            Ok(())
        },
    },
];
