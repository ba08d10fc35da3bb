//! Running user SQL: sessions with server-side cancel, rows streamed and rendered as text, results held compactly,
//! notices, export.
pub mod browse;
pub(crate) mod duck;
pub mod edit;
pub mod export;
pub mod notices;
pub mod render;
pub mod result;
pub mod session;
mod sqlite_fast;

pub use result::{Column, Kind, RowBuf, Rows};
pub use session::{Canceller, Flow, Outcome, QueryError, Session, Sink, TxnState};
