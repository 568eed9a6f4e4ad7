//! Inline SVG charts: horizontal bars with their numbers written beside
//! them, and a line over time; each with a `<title>` and a `<desc>` that
//! says every number (the chart's text alternative, `role="img"`).

use std::fmt::Write as _;

use super::html::{attr, text};

/// One bar: its label, its length (of `max`), the number shown beside it,
/// and its colour class (`bar`, `bad`, `good`).
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub shown: String,
    pub class: &'static str,
}

const WIDTH: f64 = 760.0;
const LABEL: f64 = 230.0;
const NUMBER: f64 = 150.0;
const ROW: f64 = 26.0;

/// The first `n` characters of a label, `…` after a cut one.
fn short(label: &str, n: usize) -> String {
    if label.chars().count() <= n {
        label.to_owned()
    } else {
        let mut s: String = label.chars().take(n - 1).collect();
        s.push('…');
        s
    }
}

/// The opening of a chart: `<svg>` with its title and description.
fn open(out: &mut String, id: &str, height: f64, title: &str, desc: &str) {
    let _ = write!(
        out,
        "<figure><figcaption>{}</figcaption><svg role=\"img\" aria-labelledby=\"{id}-t {id}-d\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"{WIDTH}\" height=\"{height}\">\
         <title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        text(title),
        text(title),
        text(desc),
        id = attr(id),
    );
}

/// A horizontal bar chart; `max` is the length of a full bar (at least
/// the largest value).
pub fn bars(id: &str, title: &str, bars: &[Bar], max: f64) -> String {
    let desc = bars
        .iter()
        .map(|b| format!("{}: {}", b.label, b.shown))
        .collect::<Vec<_>>()
        .join("; ");
    let height = ROW * bars.len().max(1) as f64 + 8.0;
    let max = bars.iter().map(|b| b.value).fold(max, f64::max);
    let span = WIDTH - LABEL - NUMBER;
    let mut out = String::with_capacity(200 * bars.len() + 400);
    open(&mut out, id, height, title, &desc);
    for (i, bar) in bars.iter().enumerate() {
        let y = 4.0 + ROW * i as f64;
        let length = if max > 0.0 && bar.value.is_finite() {
            (bar.value.max(0.0) / max * span).max(if bar.value > 0.0 { 1.0 } else { 0.0 })
        } else {
            0.0
        };
        let _ = write!(
            out,
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{label}</text>\
             <rect class=\"{class}\" x=\"{LABEL}\" y=\"{ry}\" width=\"{length:.1}\" height=\"18\"/>\
             <text x=\"{nx:.1}\" y=\"{ty}\">{shown}</text>",
            lx = LABEL - 8.0,
            ty = y + 14.0,
            label = text(&short(&bar.label, 32)),
            class = attr(bar.class),
            ry = y + 1.0,
            nx = LABEL + length + 6.0,
            shown = text(&bar.shown),
        );
    }
    out.push_str("</svg></figure>\n");
    out
}

/// One run in the trend: its date, coverage and effective coverage
/// (shares, when known).
pub struct Point {
    pub label: String,
    pub coverage: Option<f64>,
    pub effective: Option<f64>,
}

/// The trend's text alternative: every run's figures.
fn trend_desc(points: &[Point]) -> String {
    let percent =
        |s: Option<f64>| s.map_or("unknown".to_owned(), |s| format!("{:.1} %", s * 100.0));
    points
        .iter()
        .map(|p| {
            format!(
                "{}: coverage {}, effective {}",
                p.label,
                percent(p.coverage),
                percent(p.effective)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A line through `coords` (`x,y`), each point marked.
fn polyline(out: &mut String, class: &str, coords: &[String]) {
    if coords.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<polyline class=\"{class}\" points=\"{}\"/>",
        coords.join(" ")
    );
    for c in coords {
        let (cx, cy) = c.split_once(',').unwrap_or(("0", "0"));
        let _ = write!(
            out,
            "<circle class=\"{class}\" cx=\"{cx}\" cy=\"{cy}\" r=\"3\"/>"
        );
    }
}

/// Coverage over time (0 to 100 %), one point per run, evenly spaced.
pub fn trend(id: &str, title: &str, points: &[Point]) -> String {
    let (height, top, bottom, left, right) = (240.0, 12.0, 208.0, 48.0, WIDTH - 16.0);
    let x = |i: usize| {
        if points.len() < 2 {
            (left + right) / 2.0
        } else {
            left + (right - left) * i as f64 / (points.len() - 1) as f64
        }
    };
    let y = |share: f64| bottom - (bottom - top) * share.clamp(0.0, 1.0);
    let desc = trend_desc(points);
    let mut out = String::with_capacity(120 * points.len() + 800);
    open(&mut out, id, height, title, &desc);
    for share in [0.0, 0.5, 1.0] {
        let _ = write!(
            out,
            "<line class=\"axis\" x1=\"{left}\" x2=\"{right}\" y1=\"{v:.1}\" y2=\"{v:.1}\"/>\
             <text x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\">{p} %</text>",
            v = y(share),
            tx = left - 6.0,
            ty = y(share) + 4.0,
            p = share * 100.0,
        );
    }
    for (class, pick) in [
        (
            "line",
            (|p: &Point| p.coverage) as fn(&Point) -> Option<f64>,
        ),
        ("line2", |p: &Point| p.effective),
    ] {
        let coords: Vec<String> = points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| pick(p).map(|s| format!("{:.1},{:.1}", x(i), y(s))))
            .collect();
        polyline(&mut out, class, &coords);
    }
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        let _ = write!(
            out,
            "<text x=\"{left}\" y=\"{ly}\">{}</text><text x=\"{right}\" y=\"{ly}\" \
             text-anchor=\"end\">{}</text>",
            text(&first.label),
            text(&last.label),
            ly = bottom + 22.0,
        );
    }
    out.push_str("</svg></figure>\n");
    out
}
