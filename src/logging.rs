//! Logs go to a daily-rolling file in the data dir, never to the terminal the TUI draws on.
use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::core::query::notices;

/// Starts logging to `dir/dbconsole.log.YYYY-MM-DD`. Keep the guard alive until exit so the last lines are flushed.
pub fn init(dir: &Path, level: &str) -> anyhow::Result<WorkerGuard> {
    crate::core::fsutil::ensure_private_dir(dir)?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("dbconsole.log")
        .max_log_files(14)
        .build(dir)?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_new(format!("{level},sqlx=warn")).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(writer).with_ansi(false).with_filter(filter))
        .with(notices::NoticeLayer.with_filter(notices::filter()))
        .try_init()
        .ok();
    Ok(guard)
}

/// Without a log file: only the layer that hands PostgreSQL notices to the running query.
pub fn init_notices_only() {
    tracing_subscriber::registry().with(notices::NoticeLayer.with_filter(notices::filter())).try_init().ok();
}
