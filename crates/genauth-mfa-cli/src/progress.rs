//! The progress bar on a terminal's stderr (hidden otherwise).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar with done/total, rate and ETA when the total is known, a spinner
/// with done and rate otherwise.
pub fn bar(total: Option<u64>, stderr_terminal: bool) -> ProgressBar {
    if !stderr_terminal {
        return ProgressBar::hidden();
    }
    let (bar, template) = match total {
        Some(n) => (
            ProgressBar::new(n),
            "{bar:30} {pos}/{len} users, {rate}, ETA {eta}",
        ),
        None => (ProgressBar::no_length(), "{spinner} {pos} users, {rate}"),
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", state.per_sec());
            },
        ));
    }
    bar.set_draw_target(ProgressDrawTarget::stderr());
    bar
}
