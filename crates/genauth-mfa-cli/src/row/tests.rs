use genauth_mfa::batch::Outcome;
use genauth_mfa::{MfaStatus, UserMfaInfo, needs_escape};

use super::csv::{Header, Splitter, csv_line, decode_id, encode_id, neutralise, unneutralise};
use super::*;

const MESSAGE_MAX_TEST: usize = 300;

fn row(format: Format, user_id: Option<&str>, outcome: &Outcome) -> String {
    Row::of(7, user_id, "user_id", None, outcome).line(format, &Header::of(Columns::File))
}

fn read_csv(header: &Header, line: &str) -> Option<Row> {
    header.read(
        &mut Splitter::default(),
        line.trim_end_matches('\n').as_bytes(),
    )
}

#[test]
fn formula_cells_are_neutralised_one_to_one() {
    let line = csv_line(&["=HYPERLINK(\"http://x\")", "@SUM(1,1)", "+86 1", "-1", "ok"]);
    assert_eq!(
        line,
        "\"'=HYPERLINK(\"\"http://x\"\")\",\"'@SUM(1,1)\",'+86 1,'-1,ok\n"
    );
    for id in ["=x", "'=x", "''=x", "'x", "x", "'", ""] {
        assert_eq!(unneutralise(&neutralise(id)), id, "{id:?}");
    }
    assert_ne!(neutralise("=x"), neutralise("'=x"));
}

#[test]
fn ids_are_encoded_one_to_one() {
    for id in [
        "plain",
        "a\tb",
        "nul\0x",
        "esc\u{1b}[31m",
        "back\\slash",
        "\\u{41}",
        "x\\\\u{y",
        "rlo\u{202e}",
        "\\",
    ] {
        let cell = encode_id(id);
        assert!(!cell.chars().any(needs_escape), "{cell:?}");
        assert_eq!(decode_id(&cell).as_deref(), Some(id), "{id:?} -> {cell:?}");
    }
    assert_eq!(encode_id("back\\slash"), "back\\slash");
    assert_eq!(encode_id("a\tb"), "a\\u{9}b");
}

#[test]
fn server_text_is_bounded_and_escaped() {
    let long = format!("\u{1b}[2J\x07\r{}", "x".repeat(1 << 20));
    let text = clean(&long, MESSAGE_MAX_TEST);
    assert!(
        text.starts_with("\\u{1b}[2J\\u{7}\\u{d}"),
        "{}",
        &text[..40]
    );
    assert!(text.len() < 400 && text.ends_with("more characters)"));
    let info = UserMfaInfo::new().totp(MfaStatus::Other("\u{1b}]0;pwned\u{7}".into()));
    let csv = row(Format::Csv, Some("u"), &Outcome::Answered(info));
    assert!(!csv.trim_end().chars().any(needs_escape), "{csv:?}");
}

#[test]
fn json_is_escaped_for_a_terminal_and_keeps_its_value() {
    let id = "a\u{202e}b\u{2028}c\u{9b}d\u{7f}e\u{1b}f";
    let text = json_escaped(serde_json::to_string(&serde_json::json!({ "id": id })).unwrap());
    assert!(!text.chars().any(needs_escape), "{text:?}");
    let back: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(back["id"], id);
    let jsonl = row(
        Format::Jsonl,
        Some(id),
        &Outcome::Answered(UserMfaInfo::new()),
    );
    assert!(!jsonl.trim_end().chars().any(needs_escape), "{jsonl:?}");
}

#[test]
fn rows_carry_any_enabled_and_errors() {
    let info = UserMfaInfo::new().sms(MfaStatus::Enabled);
    let csv = row(Format::Csv, Some("alice"), &Outcome::Answered(info.clone()));
    assert_eq!(
        csv,
        "alice,disabled,disabled,enabled,disabled,true,,,,,,user_id,,,\n"
    );
    let jsonl = row(Format::Jsonl, Some("alice"), &Outcome::Answered(info));
    let v: serde_json::Value = serde_json::from_str(&jsonl).unwrap();
    assert_eq!(v["anyEnabled"], true);
    assert_eq!(v["userIdType"], "user_id");
    let bad = row(
        Format::Jsonl,
        None,
        &Outcome::Unreadable("line 7 is not valid UTF-8".into()),
    );
    let v: serde_json::Value = serde_json::from_str(&bad).unwrap();
    assert_eq!(v["line"], 7);
    assert_eq!(v["error"]["kind"], "input");
    assert!(v.get("userIdType").is_none(), "{bad}");
}

/// Rows with odd text in every cell: commas, quotes, a line end, non-ASCII,
/// formula starts, escapes.
fn odd_rows() -> Vec<Row> {
    let odd = "=cmd|' /C calc'!A0, \"quoted\"\nnext 中文 'x";
    let answered = Row {
        user_id: Some(format!("{odd}\t\\u{{41}}")),
        user_id_type: Some("email".into()),
        totp_status: Some(clean(odd, 80)),
        face_mfa_status: Some("disabled".into()),
        sms_mfa_status: Some("@SUM(1,1)".into()),
        email_mfa_status: Some(String::new()),
        any_enabled: Some(true),
        username: Some(Some(clean(odd, 80))),
        user_email: Some(Some("+86,a@example.com".into())),
        phone: Some(None),
        user_status: Some(Some("Activated".into())),
        last_login: Some(Some("-1".into())),
        last_mfa_time: Some(None),
        effective_mfa: Some(Some(false)),
        skip_mfa: Some(Some(true)),
        admin: Some(None),
        ..Row::default()
    };
    let failed = Row {
        user_id: Some("ü,\"b\"".into()),
        user_id_type: Some("user_id".into()),
        error: Some(ErrorCell {
            kind: "api".into(),
            status_code: Some(404),
            api_code: Some(-2004),
            message: clean(odd, 300),
            request_id: Some("=r,1".into()),
        }),
        username: Some(None),
        user_email: Some(None),
        phone: Some(Some("'+1".into())),
        user_status: Some(None),
        last_login: Some(None),
        last_mfa_time: Some(None),
        effective_mfa: Some(None),
        skip_mfa: Some(Some(false)),
        admin: Some(Some(true)),
        ..Row::default()
    };
    let no_user = Row {
        error: Some(ErrorCell {
            kind: "input".into(),
            message: "line 3, \"bad\"".into(),
            ..ErrorCell::default()
        }),
        username: Some(None),
        user_email: Some(None),
        phone: Some(None),
        user_status: Some(None),
        last_login: Some(None),
        last_mfa_time: Some(None),
        ..Row::default()
    };
    vec![answered, failed, no_user]
}

#[test]
fn jsonl_rows_round_trip() {
    for mut row in odd_rows() {
        row.line = row.user_id.is_none().then_some(3);
        let line = row.to_jsonl();
        assert_eq!(line.matches('\n').count(), 1, "{line:?}");
        assert_eq!(Row::from_jsonl(line.trim_end().as_bytes()), Some(row));
    }
    // A file audit's row has no profile fields, and reads back without.
    let plain = Row::answered("a", Some("user_id"), &UserMfaInfo::new());
    let line = plain.to_jsonl();
    assert!(!line.contains("username"), "{line}");
    assert_eq!(Row::from_jsonl(line.as_bytes()), Some(plain));
}

#[test]
fn csv_rows_round_trip() {
    let header = Header::of(Columns::Pool);
    for row in odd_rows() {
        let line = header.line(&row);
        assert_eq!(line.matches('\n').count(), 1, "{line:?}");
        assert_eq!(read_csv(&header, &line), Some(row));
    }
}

#[test]
fn csv_is_read_by_header_names() {
    let header = "request_id,email,note,user_id_type,user_id,totp,face,sms,any_enabled,\
                  error_kind,status_code,api_code,message";
    let (mut splitter, row_line) = (
        Splitter::default(),
        ",disabled,hello,email,bob,enabled,disabled,disabled,true,,,,",
    );
    let header = Header::parse(&mut splitter, header.as_bytes()).unwrap();
    assert!(!header.has("username") && header.has("user_id_type"));
    let row = read_csv(&header, row_line).unwrap();
    assert_eq!(row.user_id.as_deref(), Some("bob"));
    assert_eq!(row.user_id_type.as_deref(), Some("email"));
    assert_eq!(row.totp_status.as_deref(), Some("enabled"));
    assert_eq!(row.any_enabled, Some(true));
    assert_eq!(row.error, None);
    // Rows appended to it keep its order, the unknown column empty.
    assert_eq!(
        header.line(&row),
        format!("{row_line}\n").replace("hello", "")
    );
    let missing = Header::parse(&mut splitter, b"user_id,totp,face,sms,email,any_enabled");
    assert_eq!(missing.err(), Some(Some("error_kind")));
}
