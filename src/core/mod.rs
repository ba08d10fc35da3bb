//! The core: engines, profiles, diagnosis, the demo database. No UI code lives here (tests/architecture.rs).
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod catalog;
pub mod demo;
pub mod drafts;
pub mod engine;
pub mod fsutil;
pub mod migrate;
pub mod paths;
pub mod profile;
pub mod query;
pub mod sql;
pub mod ssh;
pub mod store;
pub mod sync;
pub mod text;
pub mod transfer;
