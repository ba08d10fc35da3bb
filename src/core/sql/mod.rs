//! SQL text: splitting scripts into statements (shared by migrations and the query editor).
pub mod split;

pub use split::{Statement, split};
