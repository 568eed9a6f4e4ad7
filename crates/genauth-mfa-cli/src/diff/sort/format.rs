//! The run files' format: each entry as its fields in order.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};

use super::{Entry, Side};
use crate::diff::rows::{ErrorCell, Factors, State, status};

// The run format: each entry as its fields in order; a string is its length
// (u32, little-endian) and bytes, an optional number a 0/1 byte and an i64;
// an answer's effectiveMfa and skipMfa one byte after its tag.

fn put_str(out: &mut impl Write, s: &str) -> io::Result<()> {
    let len = u32::try_from(s.len()).map_err(|_| io::Error::other("a cell over 4 GiB"))?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(s.as_bytes())
}

fn put_number(out: &mut impl Write, n: Option<i64>) -> io::Result<()> {
    match n {
        None => out.write_all(&[0]),
        Some(n) => {
            out.write_all(&[1])?;
            out.write_all(&n.to_le_bytes())
        }
    }
}

pub(super) fn write_entry(out: &mut impl Write, entry: &Entry) -> io::Result<()> {
    put_str(out, &entry.id)?;
    out.write_all(&entry.seq.to_le_bytes())?;
    match &entry.state {
        State::Answered(f) => {
            let tag = match (entry.side, f.any_enabled) {
                (Side::Old, false) => 0,
                (Side::Old, true) => 1,
                (Side::New, false) => 2,
                (Side::New, true) => 3,
            };
            out.write_all(&[tag, yes_no(f.effective_mfa) * 3 + yes_no(f.skip_mfa)])?;
            for s in [
                &f.totp_status,
                &f.face_mfa_status,
                &f.sms_mfa_status,
                &f.email_mfa_status,
            ] {
                put_str(out, s)?;
            }
        }
        State::Failed { error } => {
            out.write_all(&[if entry.side == Side::Old { 4 } else { 5 }])?;
            put_str(out, &error.kind)?;
            put_number(out, error.status_code)?;
            put_number(out, error.api_code)?;
            put_str(out, &error.message)?;
            match &error.request_id {
                None => out.write_all(&[0])?,
                Some(r) => {
                    out.write_all(&[1])?;
                    put_str(out, r)?;
                }
            }
        }
    }
    Ok(())
}

/// An optional yes/no as 0 (unknown), 1 (no) or 2 (yes).
fn yes_no(value: Option<bool>) -> u8 {
    value.map_or(0, |v| 1 + u8::from(v))
}

fn read_yes_no(n: u8) -> Option<bool> {
    (n > 0).then_some(n == 2)
}

fn bytes<const N: usize>(input: &mut impl Read) -> io::Result<[u8; N]> {
    let mut b = [0; N];
    input.read_exact(&mut b)?;
    Ok(b)
}

fn get_str(input: &mut impl Read) -> io::Result<String> {
    let len = u32::from_le_bytes(bytes(input)?) as usize;
    let mut b = vec![0; len];
    input.read_exact(&mut b)?;
    String::from_utf8(b).map_err(|_| io::Error::other("a temporary file was changed"))
}

fn get_number(input: &mut impl Read) -> io::Result<Option<i64>> {
    Ok(match bytes::<1>(input)?[0] {
        0 => None,
        _ => Some(i64::from_le_bytes(bytes(input)?)),
    })
}

/// The next entry of a run, `None` at its end.
pub(super) fn read_entry(input: &mut BufReader<File>) -> io::Result<Option<Entry>> {
    use std::io::BufRead;
    if input.fill_buf()?.is_empty() {
        return Ok(None);
    }
    let id = get_str(input)?;
    let seq = u64::from_le_bytes(bytes(input)?);
    let tag = bytes::<1>(input)?[0];
    let side = match tag {
        0 | 1 | 4 => Side::Old,
        2 | 3 | 5 => Side::New,
        _ => return Err(io::Error::other("a temporary file was changed")),
    };
    let state = if tag < 4 {
        let known = bytes::<1>(input)?[0];
        if known >= 9 {
            return Err(io::Error::other("a temporary file was changed"));
        }
        let mut s = || get_str(input).map(|s| status(&s));
        State::Answered(Factors {
            totp_status: s()?,
            face_mfa_status: s()?,
            sms_mfa_status: s()?,
            email_mfa_status: s()?,
            any_enabled: tag % 2 == 1,
            effective_mfa: read_yes_no(known / 3),
            skip_mfa: read_yes_no(known % 3),
        })
    } else {
        State::Failed {
            error: ErrorCell {
                kind: get_str(input)?,
                status_code: get_number(input)?,
                api_code: get_number(input)?,
                message: get_str(input)?,
                request_id: match bytes::<1>(input)?[0] {
                    0 => None,
                    _ => Some(get_str(input)?),
                },
            },
        }
    };
    Ok(Some(Entry {
        id,
        side,
        seq,
        state,
    }))
}
