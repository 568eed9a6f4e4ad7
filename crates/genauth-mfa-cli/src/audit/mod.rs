//! `genauth-mfa audit`: input parsing and output formatting around the
//! library's batch engine (`genauth_mfa::batch`), which runs the users on N
//! threads and hands each result here as it completes.
//!
//! The users come from a file of ids (or stdin), or with `--all-users`
//! from the pool's listing, fetched ahead on a thread of its own
//! ([`crate::listing`]) while the workers ask for the users listed so far.
//! Rows go into one buffered output, flushed at least every 50 ms. Each
//! user is asked once per run (duplicates are counted); with `--resume` the
//! users with a final row in the output are skipped. Both take one 128-bit
//! key per distinct id: the only memory that grows with the input (with
//! `--all-users`, only the resumed users' keys: the listing says which
//! users it listed before). The first Ctrl-C (or
//! SIGTERM, SIGHUP) stops handing out users, lets the calls in flight
//! finish, and prints the summary (exit 130). A closed stdout or a full
//! disk ends the run with a message (exit 1).

mod ask;
mod copies;
mod end;
mod feed;
mod options;
mod run;

pub use options::AuditOptions;
pub use run::run;
