//! One integration-test binary (one link, one shared target) with a module per area. Tests that need a server
//! read its address from the DBC_TEST_* variables that scripts/test.sh exports, and fail when they are missing.
mod architecture;
mod catalog;
mod common;
mod conn_test;
mod duckdb;
mod e2e_tmux;
mod everyday;
mod everyday_more;
mod hardening;
mod hardening_files;
mod layouts;
mod look_and_feel;
mod migrate;
mod migrations_pane;
mod profiles_cli;
mod profiles_file;
mod query;
mod query_cli;
mod query_pane;
mod schema_pane;
mod secrets;
mod ssh;
mod sync;
mod transfer;
mod tui_snapshots;
mod vim;
