use super::*;
use std::io::BufReader;

#[test]
fn final_rows_are_done_and_others_are_asked_again() {
    let rows = concat!(
        r#"{"userId":"a","totpStatus":"enabled","faceMfaStatus":"disabled","smsMfaStatus":"disabled","emailMfaStatus":"disabled","anyEnabled":true}"#,
        "\n",
        r#"{"userId":"b","userIdType":"user_id","error":{"kind":"api","statusCode":404,"apiCode":2004,"message":"not found","requestId":null}}"#,
        "\n",
        r#"{"userId":"c","error":{"kind":"transport","statusCode":null,"apiCode":null,"message":"reset","requestId":null}}"#,
        "\n",
        r#"{"userId":"d","error":{"kind":"api","statusCode":429,"apiCode":null,"message":"slow down","requestId":null}}"#,
        "\n",
        r#"{"line":5,"error":{"kind":"input","statusCode":null,"apiCode":null,"message":"x","requestId":null}}"#,
        "\n",
        r#"{"userId":"e","anyE"#,
    );
    let (earlier, complete) = read(
        rows.as_bytes(),
        Format::Jsonl,
        (Columns::File, &[]),
        "user_id",
    )
    .unwrap();
    let k = |id: &str| earlier.done.get(&earlier.keys.key(id)).copied();
    assert_eq!(
        [k("a"), k("b"), k("c"), k("d"), k("e")],
        [
            Some(Seen::Answered(Factors::TOTP, None)),
            Some(Seen::Failed),
            None,
            None,
            None
        ]
    );
    assert_eq!(complete as usize, rows.rfind('\n').unwrap() + 1);
}

#[test]
fn anything_else_is_refused() {
    let header = Header::of(Columns::File).line_of_names();
    for (bytes, format) in [
        (&b"alice\nbob\n"[..], Format::Jsonl),
        (b"alice\nbob", Format::Jsonl),
        (b"\x7fELF\x02\x01\x01\0\0\0\n\0\0", Format::Jsonl),
        (header.as_bytes(), Format::Jsonl),
        (b"{\"userId\":\"a\",\"anyEnabled\":true}\n", Format::Csv),
        (b"alice\n", Format::Csv),
    ] {
        assert!(
            read(bytes, format, (Columns::File, &[]), "user_id").is_err(),
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    let err = read(
        header.as_bytes(),
        Format::Jsonl,
        (Columns::File, &[]),
        "user_id",
    )
    .err()
    .unwrap_or_default();
    assert!(err.contains("--format csv"), "{err}");
}

#[test]
fn csv_rows_read_back_the_ids_written() {
    use genauth_mfa::UserMfaInfo;
    use genauth_mfa::batch::Outcome;
    let header = Header::of(Columns::File);
    let mut text = header.line_of_names();
    for id in ["=x", "'=x", "tab\there", "plain"] {
        let outcome = Outcome::Answered(UserMfaInfo::new());
        text += &Row::of(1, Some(id), "user_id", None, &outcome).line(Format::Csv, &header);
    }
    let (earlier, _) = read(
        text.as_bytes(),
        Format::Csv,
        (Columns::File, &[]),
        "user_id",
    )
    .unwrap();
    for id in ["=x", "'=x", "tab\there", "plain"] {
        assert_eq!(
            earlier.done.get(&earlier.keys.key(id)),
            Some(&Seen::Answered(Factors::default(), None)),
            "{id:?}"
        );
    }
    assert_eq!(earlier.done.len(), 4);
}

#[test]
fn rows_are_read_as_a_stream() {
    // 200,000 rows produced on the fly: nothing needs the whole file.
    struct Rows(u64, Vec<u8>);
    impl Read for Rows {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.1.is_empty() && self.0 < 200_000 {
                self.1 = format!("{{\"userId\":\"user-{}\",\"anyEnabled\":false}}\n", self.0)
                    .into_bytes();
                self.0 += 1;
            }
            let n = self.1.len().min(buf.len());
            buf[..n].copy_from_slice(&self.1[..n]);
            self.1.drain(..n);
            Ok(n)
        }
    }
    let (earlier, _) = read(
        BufReader::new(Rows(0, Vec::new())),
        Format::Jsonl,
        (Columns::File, &[]),
        "user_id",
    )
    .unwrap();
    assert_eq!(earlier.done.len(), 200_000);
}

#[test]
fn a_csv_header_takes_the_rows_of_this_run_only_when_it_has_their_columns() {
    let file = Header::of(Columns::File);
    assert!(check_columns(&file, Columns::File, &[]).is_ok());
    let err = check_columns(&file, Columns::File, &[Group::Departments]).unwrap_err();
    assert!(err.contains("no column departments"), "{err}");
    let with = file.clone().with(Group::Exemptions);
    assert!(check_columns(&with, Columns::File, &[Group::Exemptions]).is_ok());
    let err = check_columns(&with, Columns::File, &[]).unwrap_err();
    assert!(err.contains("no --exemptions"), "{err}");
    // A departments column without --by department: its cells say unknown.
    let with = file.with(Group::Departments);
    assert!(check_columns(&with, Columns::File, &[]).is_ok());
    let old = "user_id,totp,face,sms,email,any_enabled,error_kind,status_code,api_code,message,request_id";
    let old = Header::parse(&mut Splitter::default(), old.as_bytes())
        .ok()
        .unwrap();
    let err = check_columns(&old, Columns::File, &[]).unwrap_err();
    assert!(
        err.contains("no columns user_id_type, effective_mfa, skip_mfa, admin"),
        "{err}"
    );
}

#[test]
fn a_csv_header_without_a_column_is_refused_before_the_rows() {
    let mut text = Header::of(Columns::File).line_of_names();
    text.push_str("this line is no row\n");
    let err = read(
        text.as_bytes(),
        Format::Csv,
        (Columns::File, &[Group::Exemptions]),
        "user_id",
    )
    .err()
    .unwrap_or_default();
    assert!(err.contains("no column exemption_expires"), "{err}");
}

#[test]
fn a_rows_status_is_kept_bounded_and_null_as_unknown() {
    let long = "x".repeat(10_000);
    let rows = format!(
        "{{\"userId\":\"a\",\"totpStatus\":\"enabled\",\"faceMfaStatus\":\"disabled\",\"smsMfaStatus\":\"disabled\",\"emailMfaStatus\":\"disabled\",\"anyEnabled\":true,\"status\":\"{long}\"}}\n\
         {{\"userId\":\"b\",\"totpStatus\":\"enabled\",\"faceMfaStatus\":\"disabled\",\"smsMfaStatus\":\"disabled\",\"emailMfaStatus\":\"disabled\",\"anyEnabled\":true,\"status\":null}}\n"
    );
    let (earlier, _) = read(
        rows.as_bytes(),
        Format::Jsonl,
        (Columns::File, &[]),
        "user_id",
    )
    .unwrap();
    assert_eq!(earlier.statuses.len(), 2);
    assert!(
        earlier.statuses[0].chars().count() < 120,
        "{}",
        earlier.statuses[0]
    );
    assert_eq!(earlier.statuses[1], UNKNOWN_STATUS);
}
