//! One folder per pane: `mod.rs` holds its state and key handling (keys become a `Request` that `App` turns
//! into effects), `view.rs` draws it.
pub mod migrations;
pub mod profiles;
pub mod query;
pub mod schema;
pub mod sync;
