//! Quiet by default: no log line from the crate or its dependencies unless
//! `-v` or `RUST_LOG` asks; whatever is asked, `ureq_proto` and `ureq`
//! never log above DEBUG (at TRACE they dump the raw wire bytes, tokens
//! included).

use log::{Level, LevelFilter, Log, Metadata, Record};

/// The targets held at DEBUG at most.
const CAPPED: [&str; 2] = ["ureq_proto", "ureq"];

/// `-v`: the crate's debug lines, and what `RUST_LOG` says on top.
pub fn init(verbose: bool) {
    let rust_log = std::env::var("RUST_LOG").unwrap_or_default();
    if rust_log.trim().is_empty() && !verbose {
        return; // no logger: every log macro is a no-op
    }
    let mut builder = env_logger::Builder::new();
    builder.filter_level(LevelFilter::Off);
    if verbose {
        builder.filter_module("genauth_mfa", LevelFilter::Debug);
    }
    // After -v, so that what RUST_LOG names for genauth_mfa wins.
    builder.parse_filters(&rust_log);
    builder.target(env_logger::Target::Stderr);
    let inner = builder.build();
    let max = inner.filter();
    if log::set_boxed_logger(Box::new(Capped(inner))).is_ok() {
        log::set_max_level(max);
    }
}

/// env_logger's logger, with [`CAPPED`] targets dropped above DEBUG.
struct Capped(env_logger::Logger);

fn capped(target: &str, level: Level) -> bool {
    level > Level::Debug
        && CAPPED
            .iter()
            .any(|c| target == *c || target.strip_prefix(c).is_some_and(|r| r.starts_with("::")))
}

impl Log for Capped {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        !capped(metadata.target(), metadata.level()) && self.0.enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        if !capped(record.target(), record.level()) {
            self.0.log(record);
        }
    }

    fn flush(&self) {
        self.0.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ureq_and_ureq_proto_are_capped_at_debug() {
        assert!(capped("ureq_proto::client", Level::Trace));
        assert!(capped("ureq", Level::Trace));
        assert!(capped("ureq::unversioned::resolver", Level::Trace));
        assert!(!capped("ureq_proto::client", Level::Debug));
        assert!(!capped("ureqx", Level::Trace));
        assert!(!capped("genauth_mfa", Level::Trace));
    }
}
