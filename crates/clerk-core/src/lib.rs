//! clerk-core: a sans-IO engine for Clerk's Frontend API.
#![forbid(unsafe_code)]

pub mod config;
pub mod encoding;
pub mod secret;
pub mod wire;
