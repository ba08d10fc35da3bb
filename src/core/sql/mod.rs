//! SQL text: splitting scripts into statements (shared by migrations and the query editor), tokens, and what a
//! statement does.
pub mod classify;
pub mod complete;
pub mod keywords;
pub mod lex;
pub mod literal;
#[cfg(test)]
mod proptests;
pub mod refs;
pub mod split;

pub use split::{Statement, split};
