//! The one call path every request takes: an endpoint as data, the limiter,
//! the transport, the envelope, and the retry rules, with cancellation and
//! the call's budget.

pub(crate) mod caller;
pub(crate) mod cancel;
pub(crate) mod endpoint;
pub(crate) mod envelope;
pub(crate) mod retry;
pub(crate) mod throttle;
