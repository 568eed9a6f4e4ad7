//! Opening the audit's input and output, with the checks that keep a
//! user's file safe: the input is opened first, and an output that is the
//! input (the same device and inode, however it is named: a symlink, a hard
//! link, `./x`, stdin or stdout redirected) is refused before anything is
//! truncated.

mod checks;
mod input;
mod output;
mod summary;

pub use input::{Source, open_input};
pub(crate) use output::check_stdout;
pub use output::{Sink, plan_output};
pub(crate) use summary::{absolute, resolve_symlinks};
pub use summary::{check_replaced, check_summary, write_replacing, write_temp};
