//! dbconsole: a terminal administration console for PostgreSQL, MySQL/MariaDB and SQLite.
//!
//! `core` holds everything that talks to databases and files and has no UI code; `tui` and `cli` are two thin
//! fronts over it.
pub mod cli;
pub mod core;
pub mod logging;
pub mod tui;
