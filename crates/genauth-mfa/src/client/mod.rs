//! The two clients and what builds them: the one generic builder, the
//! settings both clients share, the brand and language, and the management
//! token.

pub(crate) mod authentication;
pub(crate) mod brand;
pub mod builder;
pub(crate) mod management;
pub(crate) mod settings;
pub(crate) mod token;
