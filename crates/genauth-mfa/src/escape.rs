//! Text a server chose, made safe to print or write: bounded in length and
//! with the characters that could break or forge a line (control
//! characters, line and paragraph separators, bidirectional overrides)
//! written as `\u{..}`. Errors, logs and the tool's rows all go through it.

use std::fmt;

/// Whether `c` is written escaped by [`Escaped`]: a control character
/// (`\n`, `\r`, ESC, BEL, NUL, ...), U+2028/U+2029, or a bidirectional mark
/// or override that could make a line read differently from its bytes.
///
/// ```
/// assert!(genauth_mfa::needs_escape('\u{1b}'));
/// assert!(genauth_mfa::needs_escape('\u{202e}'));
/// assert!(!genauth_mfa::needs_escape('é'));
/// ```
#[must_use]
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        // Line separators and Unicode's Bidi_Control set.
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Shows at most `max_chars` characters of `text`, those of
/// [`needs_escape`] as `\u{..}`, then how many characters were left out.
///
/// ```
/// use genauth_mfa::Escaped;
///
/// let shown = Escaped::new("bad\u{1b}[2Jnews, and more", 8).to_string();
/// assert_eq!(shown, "bad\\u{1b}[2Jn… (13 more characters)");
/// ```
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct Escaped<'a> {
    text: &'a str,
    max_chars: usize,
}

impl<'a> Escaped<'a> {
    /// `text`, to be shown with at most `max_chars` characters.
    ///
    /// ```
    /// assert_eq!(genauth_mfa::Escaped::new("a\nb", 10).to_string(), "a\\u{a}b");
    /// ```
    pub fn new(text: &'a str, max_chars: usize) -> Self {
        Escaped { text, max_chars }
    }
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut chars = self.text.chars();
        for c in chars.by_ref().take(self.max_chars) {
            if needs_escape(c) {
                write!(f, "{}", c.escape_unicode())?;
            } else {
                f.write_fmt(format_args!("{c}"))?;
            }
        }
        let rest = chars.count();
        if rest > 0 {
            write!(f, "… ({rest} more characters)")?;
        }
        Ok(())
    }
}
