use super::*;

fn decode(bytes: &[u8]) -> Result<String, String> {
    // Blocks of 5 bytes: code units straddle reads.
    let input: Box<dyn BufRead + Send> = Box::new(io::BufReader::with_capacity(
        5,
        io::Cursor::new(bytes.to_vec()),
    ));
    let mut text = Vec::new();
    decoded(input)?.read_to_end(&mut text).unwrap();
    Ok(String::from_utf8_lossy(&text).into_owned())
}

#[test]
fn utf16_is_decoded_and_utf32_or_unmarked_utf16_refused() {
    let utf16 = |text: &str, be: bool| -> Vec<u8> {
        std::iter::once(0xFEFF)
            .chain(text.encode_utf16())
            .flat_map(|u: u16| if be { u.to_be_bytes() } else { u.to_le_bytes() })
            .collect()
    };
    for be in [false, true] {
        assert_eq!(
            decode(&utf16("alice\r\n😀 bob\n", be)).unwrap(),
            "alice\r\n😀 bob\n"
        );
    }
    // A lone surrogate is not UTF-8: its line is reported as such.
    let mut lone = vec![0xFF, 0xFE];
    lone.extend([0x00, 0xD8, b'a', 0]);
    assert_eq!(decode(&lone).unwrap(), "\u{FFFD}a");
    let refused = |bytes: &[u8]| decode(bytes).err().unwrap_or_default();
    assert!(refused(&[0xFF, 0xFE, 0, 0, b'a', 0, 0, 0]).contains("UTF-32 LE"));
    assert!(refused(b"a\0b\0c\0\n\0").contains("UTF-16 LE without"));
    assert!(refused(b"\0a\0b\0c\0\n").contains("UTF-16 BE without"));
    assert!(refused(b"a\0\0\0b\0\0\0").contains("UTF-32 LE"));
    // UTF-8, an id with a NUL in it included, is read as it is, and
    // so is a file of NULs alone.
    assert_eq!(decode(b"alice\nb\0b\n").unwrap(), "alice\nb\0b\n");
    assert_eq!(decode(&[0; 9]).unwrap(), "\0".repeat(9));
}

fn items(bytes: &[u8]) -> Vec<Item> {
    // A tiny buffer, so that lines and CRLF pairs straddle reads.
    let reader = io::BufReader::with_capacity(3, bytes);
    Ids::new(reader, true).map(|i| i.unwrap()).collect()
}

fn ids(bytes: &[u8]) -> Vec<(u64, String)> {
    items(bytes)
        .into_iter()
        .filter_map(|i| match i {
            Item::Id { line, id } => Some((line, id)),
            Item::Bad { .. } => None,
        })
        .collect()
}

#[test]
fn every_line_end_and_a_bom() {
    let expected = vec![
        (1, "alice".to_owned()),
        (2, "bob".to_owned()),
        (4, "carol".to_owned()),
    ];
    for input in [
        &b"\xEF\xBB\xBFalice\nbob\n\ncarol\n"[..],
        b"alice\r\nbob\r\n\r\ncarol",
        b"alice\rbob\r\rcarol\r",
        b"\xEF\xBB\xBFalice\r\nbob\r\r\ncarol\n",
    ] {
        assert_eq!(ids(input), expected, "{:?}", String::from_utf8_lossy(input));
    }
}

#[test]
fn blanks_comments_and_spaces() {
    assert_eq!(
        ids(b"# header\n  alice  \n\t\n  # indented\n"),
        vec![(2, "alice".to_owned())]
    );
    assert!(ids(b"").is_empty());
    assert!(ids(b"\n\n\r\n").is_empty());
}

#[test]
fn bad_lines_are_items_with_their_number_and_reading_goes_on() {
    let mut input = b"alice\n\xff\xfe\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
    input.extend(b"\nbob\n");
    let got = items(&input);
    assert_eq!(
        got,
        vec![
            Item::Id {
                line: 1,
                id: "alice".into()
            },
            Item::Bad {
                line: 2,
                reason: "line 2 is not valid UTF-8".into()
            },
            Item::Bad {
                line: 3,
                reason: format!("line 3 is longer than {MAX_LINE} bytes")
            },
            Item::Id {
                line: 4,
                id: "bob".into()
            },
        ]
    );
}

#[test]
fn an_endless_line_is_bounded() {
    // 64 MiB of zeros with no line end: one bad item, memory bounded.
    let zeros = io::BufReader::new(io::repeat(0).take(64 << 20));
    let got: Vec<_> = Ids::new(zeros, true).map(|i| i.unwrap()).collect();
    assert_eq!(got.len(), 1);
    assert!(matches!(&got[0], Item::Bad { line: 1, .. }));
}

#[test]
fn counting_skips_what_reading_skips() {
    assert_eq!(count(&b"# h\na\n\nb\r\nc"[..], true).unwrap(), 3);
    assert_eq!(count(&b"# h\na\n\nb\r\nc"[..], false).unwrap(), 4);
}

#[test]
fn unicode_white_space_is_trimmed_and_comments_can_be_ids() {
    assert_eq!(
        ids("\u{a0}alice\u{3000}\n".as_bytes()),
        vec![(1, "alice".to_owned())]
    );
    let got: Vec<_> = Ids::new(&b"#tag\n  # x \n"[..], false)
        .map(|i| i.unwrap())
        .collect();
    assert_eq!(
        got,
        vec![
            Item::Id {
                line: 1,
                id: "#tag".into()
            },
            Item::Id {
                line: 2,
                id: "# x".into()
            },
        ]
    );
}
