//! Server text as rows show it: bounded, secrets hidden, escaped.

use std::fmt::Write as _;

use genauth_mfa::{Escaped, needs_escape};

/// At most `max` characters of server text, its secrets hidden
/// ([`crate::exit::redact`]), escaped and bounded by the library's own rule
/// ([`Escaped`]: what errors and logs use).
pub fn clean(text: &str, max: usize) -> String {
    // Secrets first, so that a cut never shows part of one.
    Escaped::new(&crate::exit::redact(text), max).to_string()
}

/// JSON text with the characters of [`needs_escape`] that serde_json
/// leaves as they are (DEL, C1 controls such as the 8-bit CSI U+009B, line
/// and paragraph separators, bidirectional overrides) written as `\uXXXX`:
/// the same JSON value, shown on a terminal as it is. They can only be in
/// strings (JSON's own syntax is ASCII), where such an escape is valid.
pub fn json_escaped(text: String) -> String {
    let raw = |c: char| c > '\u{1f}' && needs_escape(c);
    if !text.chars().any(raw) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if raw(c) {
            // Every such character is in the Basic Multilingual Plane.
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}
