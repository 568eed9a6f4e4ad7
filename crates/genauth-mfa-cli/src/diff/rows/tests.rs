use super::*;
use genauth_mfa::batch::Outcome;
use genauth_mfa::{Error, MfaStatus, UserMfaInfo};

use crate::row::csv::{self, Group, csv_line};
use crate::row::{Columns, Format};

fn read(text: &str) -> Result<Vec<Row>, String> {
    let mut rows = Rows::new(text.as_bytes(), "f".into());
    let mut all = Vec::new();
    while let Some(row) = rows.next_row()? {
        all.push(row);
    }
    Ok(all)
}

/// Every outcome as the audit writes it, read back the same from
/// both formats.
#[test]
fn the_audits_own_rows_read_back_alike_from_both_formats() {
    let info = UserMfaInfo::new()
        .totp(MfaStatus::Enabled)
        .face(MfaStatus::Other("=odd\u{1b}".into()));
    let outcomes = [
        (Some("=alice"), Outcome::Answered(info)),
        (Some("tab\there"), Outcome::Failed(Error::Cancelled)),
        (None, Outcome::Unreadable("not UTF-8".into())),
    ];
    let header = Header::of(Columns::File);
    let mut texts = [String::new(), header.line_of_names()];
    for (i, format) in [Format::Jsonl, Format::Csv].into_iter().enumerate() {
        for (id, outcome) in &outcomes {
            let row = audit::Row::of(3, *id, "user_id", None, outcome);
            texts[i] += &row.line(format, &header);
        }
    }
    let jsonl = read(&texts[0]).unwrap();
    assert_eq!(jsonl, read(&texts[1]).unwrap());
    let Row::User(id, State::Answered(f)) = &jsonl[0] else {
        panic!("{:?}", jsonl[0]);
    };
    assert_eq!(id, "=alice");
    assert_eq!(f.face_mfa_status, "=odd\\u{1b}");
    assert!(f.any_enabled);
    let Row::User(id, State::Failed { error }) = &jsonl[1] else {
        panic!("{:?}", jsonl[1]);
    };
    assert_eq!(id, "tab\there");
    assert_eq!(error.kind, Error::Cancelled.kind());
    assert_eq!(
        (error.status_code, error.request_id.as_deref()),
        (None, None)
    );
    assert_eq!(jsonl[2], Row::NoUser);
}

#[test]
fn api_errors_read_back_alike_from_both_formats() {
    let jsonl = r#"{"userId":"b","error":{"kind":"api","statusCode":404,"apiCode":2004,"message":"user, not \"found\"","requestId":"r-1"}}"#;
    let csv = format!(
        "{}b,,,,,,api,404,2004,\"user, not \"\"found\"\"\",r-1\n",
        csv_line(&csv::names(Group::Required).collect::<Vec<_>>())
    );
    let rows = read(jsonl).unwrap();
    assert_eq!(rows, read(&csv).unwrap());
    let Row::User(_, State::Failed { error }) = &rows[0] else {
        panic!("{rows:?}");
    };
    assert_eq!(
        (error.status_code, error.api_code, error.message.as_str()),
        (Some(404), Some(2004), "user, not \"found\"")
    );
}

#[test]
fn csv_columns_are_found_by_name() {
    let text = "email,user_id,totp,face,sms,any_enabled,error_kind,status_code,api_code,\
                message,request_id,username\n\
                disabled,bob,enabled,disabled,disabled,true,,,,,,Bob\n";
    let rows = read(text).unwrap();
    let Row::User(id, State::Answered(f)) = &rows[0] else {
        panic!("{rows:?}");
    };
    assert_eq!((id.as_str(), &*f.totp_status), ("bob", "enabled"));
}

#[test]
fn anything_else_is_refused_with_its_line() {
    let header = csv_line(&csv::names(Group::Required).collect::<Vec<_>>());
    for (text, line) in [
        ("alice\nbob\n".to_owned(), 1),
        ("{\"a\":1}\n".to_owned(), 1),
        (format!("{header}bob,enabled\n"), 2),
        (format!("{header}bob,enabled,d,d,d,maybe,,,,,\n"), 2),
        (format!("{header},enabled,d,d,d,true,,,,,\n"), 2),
        (format!("{header}bob,,,,,,api,x,,m,\n"), 2),
        ("{\"userId\":\"a\",\"anyEnabled\":true}\n".to_owned(), 1),
        (
            "{\"line\":1,\"error\":{\"kind\":\"input\",\"statusCode\":null,\"apiCode\":null,\
             \"message\":\"\",\"requestId\":null}}\nnot json\n"
                .to_owned(),
            2,
        ),
        (format!("{}\n", "x".repeat(70_000)), 1),
    ] {
        let err = read(&text).unwrap_err();
        assert!(err.contains(&format!("line {line}")), "{err} for {text:?}");
    }
    assert_eq!(read("").unwrap(), []);
    // Saved again by a spreadsheet: a BOM, CRLF line ends.
    let saved_again = format!("\u{feff}{header}bob,enabled,disabled,disabled,disabled,true,,,,,\n")
        .replace('\n', "\r\n");
    assert_eq!(read(&saved_again).unwrap().len(), 1);
    assert_eq!(read(&header).unwrap(), []);
}
