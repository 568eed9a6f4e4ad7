//! The page's HTML: one escaping function for text and one for attribute
//! values (every value from the server or a file goes through one of
//! them), the embedded summary, and the page around the sections.
//!
//! The page asks for nothing: no script runs (the summary's `<script>` is
//! a data block), no URL is named, and its Content-Security-Policy says so
//! (`default-src 'none'`; only inline styles), so it works offline and
//! from an e-mail.

use std::fmt::Write as _;

use genauth_mfa::needs_escape;

/// The most characters of one value shown (a department's name, a
/// status): the rest is cut with `…`.
const MAX_TEXT: usize = 300;

/// `value` as HTML text (element content, SVG `<text>` included): `&`,
/// `<`, `>`, quotes as references; control, line-separator and
/// bidirectional characters as `\u{..}`, visible; at most [`MAX_TEXT`]
/// characters.
pub fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for (i, c) in value.chars().enumerate() {
        if i == MAX_TEXT {
            out.push('…');
            break;
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// `value` for an attribute written in double quotes (`id="..."`): as
/// [`text`], and a backtick and `=` as references too, so that no value
/// ends the attribute or starts another, whatever quotes a reader expects.
pub fn attr(value: &str) -> String {
    text(value).replace('`', "&#96;").replace('=', "&#61;")
}

/// JSON text for a `<script type="application/json">` block: `<`, `>`,
/// `&` and U+2028/U+2029 (and what else [`needs_escape`] names) as
/// `\u003c`-style escapes, which JSON reads back as the same characters
/// and which no HTML parser takes for the end of the block. `json` must be
/// serde_json's output: those characters then only occur inside strings.
pub fn script_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        match c {
            '<' | '>' | '&' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c if c > '\u{1f}' && needs_escape(c) => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// The Content-Security-Policy of the page: nothing from anywhere; the
/// inline `<style>` only.
pub const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/// The page's styles: light and dark schemes, print, tables that break
/// between rows only. Colours pass WCAG AA on their background (text
/// 4.5:1, bars 3:1).
const STYLE: &str = r#"
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1b1b1b; --muted: #4a4a4a;
  --line: #c8c8c8; --bar: #1f5fa8; --bad: #b3261e; --good: #1e6b35; --warn-bg: #fff4d6;
  --card: #f3f5f8; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #121417; --fg: #e9e9e9; --muted: #b8b8b8; --line: #4a4f57;
    --bar: #79aef0; --bad: #ff8a80; --good: #7ed69a; --warn-bg: #3a2f10; --card: #1d2127; }
}
body { background: var(--bg); color: var(--fg); font: 15px/1.45 system-ui, sans-serif;
  margin: 0 auto; max-width: 1200px; padding: 1rem 1.5rem; }
h1 { font-size: 1.6rem; margin: .2rem 0; } h2 { font-size: 1.25rem; margin-top: 2rem;
  border-bottom: 1px solid var(--line); }
.muted { color: var(--muted); }
dl.cards { display: flex; flex-wrap: wrap; gap: .75rem; margin: 1rem 0; }
dl.cards div { background: var(--card); border-radius: 6px; padding: .6rem .9rem; min-width: 10rem; }
dl.cards dt { color: var(--muted); font-size: .85rem; } dl.cards dd { margin: 0; font-size: 1.35rem; font-weight: 600; }
.bad { color: var(--bad); } .good { color: var(--good); }
.warn { background: var(--warn-bg); border-left: 4px solid var(--bad); padding: .5rem .9rem; margin: .5rem 0; }
table { border-collapse: collapse; margin: .5rem 0 1rem; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: .25rem .5rem; text-align: left;
  vertical-align: top; overflow-wrap: anywhere; }
th { background: var(--card); } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0; } figcaption { font-weight: 600; }
svg { max-width: 100%; height: auto; display: block; margin: .3rem 0; }
svg text { fill: var(--fg); font: 13px system-ui, sans-serif; }
svg .bar { fill: var(--bar); } svg .bad { fill: var(--bad); } svg .good { fill: var(--good); }
svg .axis { stroke: var(--line); } svg .line { stroke: var(--bar); fill: none; stroke-width: 2; }
svg .line2 { stroke: var(--good); fill: none; stroke-width: 2; stroke-dasharray: 6 3; }
@media print {
  :root { color-scheme: light; --bg: #fff; --fg: #000; --card: #eee; }
  body { max-width: none; padding: 0; font-size: 11pt; }
  h2 { break-after: avoid; } tr, svg, .warn, dl.cards div { break-inside: avoid; }
  thead { display: table-header-group; }
}
"#;

/// The whole page around `body` (its sections), with the summary
/// embedded; `title` and `summary_json` are escaped here.
pub fn page(title: &str, body: &str, summary_json: &str) -> String {
    let mut out = String::with_capacity(body.len() + summary_json.len() + 4096);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
        attr(CSP)
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<meta name=\"referrer\" content=\"no-referrer\">\n");
    let _ = writeln!(out, "<title>{}</title>", text(title));
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");
    out.push_str(body);
    out.push_str(
        "<h2 id=\"summary-json\">The summary this page was made from</h2>\n<p>Embedded below \
         as JSON (<code>script#genauth-mfa-summary</code>), for tools that read reports.</p>\n",
    );
    let _ = writeln!(
        out,
        "<script type=\"application/json\" id=\"genauth-mfa-summary\">{}</script>",
        script_json(summary_json)
    );
    out.push_str("</body>\n</html>\n");
    out
}

/// A table: a caption, header cells (`n` in a name's first character for
/// a number column: `#Users`), and rows of cells already escaped.
pub fn table(caption: &str, header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::with_capacity(rows.len() * 120 + 256);
    let _ = write!(
        out,
        "<table>\n<caption>{}</caption>\n<thead><tr>",
        text(caption)
    );
    let numeric: Vec<bool> = header.iter().map(|h| h.starts_with('#')).collect();
    for h in header {
        let (class, name) = match h.strip_prefix('#') {
            Some(name) => (" class=\"n\"", name),
            None => ("", *h),
        };
        let _ = write!(out, "<th scope=\"col\"{class}>{}</th>", text(name));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let tag = if i == 0 { "th scope=\"row\"" } else { "td" };
            let end = if i == 0 { "th" } else { "td" };
            let class = if numeric.get(i) == Some(&true) {
                " class=\"n\""
            } else {
                ""
            };
            let _ = write!(out, "<{tag}{class}>{cell}</{end}>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_attributes_hold_no_markup() {
        assert_eq!(
            text("<img src=x onerror=alert(1)>"),
            "&lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(
            text("\"'><svg onload=x>"),
            "&quot;&#39;&gt;&lt;svg onload=x&gt;"
        );
        assert_eq!(text("a\u{2028}b\u{202e}"), "a\\u{2028}b\\u{202e}");
        assert_eq!(attr("a=`b`"), "a&#61;&#96;b&#96;");
        assert_eq!(text(&"x".repeat(400)).chars().count(), MAX_TEXT + 1);
    }

    #[test]
    fn embedded_json_cannot_close_its_script() {
        let value =
            serde_json::json!({"name": "</script><script>alert(1)</script>&\u{2028}\u{2029}"});
        let json = serde_json::to_string(&value).unwrap();
        let embedded = script_json(&json);
        assert!(!embedded.contains('<') && !embedded.contains('>') && !embedded.contains('&'));
        assert!(!embedded.contains('\u{2028}') && !embedded.contains('\u{2029}'));
        let back: serde_json::Value = serde_json::from_str(&embedded).unwrap();
        assert_eq!(back, value);
    }
}
