//! SQL text: splitting scripts into statements (shared by migrations and the query editor), tokens, and what a
//! statement does.
pub mod classify;
pub mod complete;
pub mod keywords;
pub mod lex;
pub mod literal;
pub mod refs;
pub mod split;
#[cfg(test)]
mod proptests;

pub use split::{Statement, split};
