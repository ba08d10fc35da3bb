//! Logs go to a daily-rolling file in the data dir, never to the terminal the TUI draws on. The folder is 0700 and
//! every log file 0600, and sqlx's statement log (SQL with its literals) is off.
use std::io::Write;
use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::RollingFileAppender;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::core::fsutil;
use crate::core::query::notices;

const PREFIX: &str = "dbconsole.log";

/// Starts logging to `dir/dbconsole.log.YYYY-MM-DD`. Keep the guard alive until exit so the last lines are flushed.
pub fn init(dir: &Path, level: &str) -> anyhow::Result<WorkerGuard> {
    fsutil::ensure_private_dir(dir)?;
    fsutil::tighten_private_dir(dir)?;
    tighten_old_logs(dir);
    let mut files = PrivateFiles { dir: dir.to_path_buf(), day: String::new(), inner: None };
    files.create_today()?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix(PREFIX)
        .max_log_files(14)
        .build(dir)?;
    files.inner = Some(appender);
    let (writer, guard) = tracing_appender::non_blocking(files);
    let filter =
        EnvFilter::try_new(filter_directives(level)).unwrap_or_else(|_| EnvFilter::new(filter_directives("info")));
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(writer).with_ansi(false).with_filter(filter))
        .with(notices::NoticeLayer.with_filter(notices::filter()))
        .try_init()
        .ok();
    Ok(guard)
}

/// The user's level; sqlx only from warnings up, and never its statement log (`sqlx::query`), whatever the level:
/// the connect options turn it off too, this keeps it off for any connection made without them.
fn filter_directives(level: &str) -> String {
    format!("{level},sqlx=warn,sqlx::query=off")
}

/// Without a log file: only the layer that hands PostgreSQL notices to the running query.
pub fn init_notices_only() {
    tracing_subscriber::registry().with(notices::NoticeLayer.with_filter(notices::filter())).try_init().ok();
}

/// Log files left readable by others (by an older version) are made owner-only.
fn tighten_old_logs(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let private = fsutil::is_owner_only(&e.path()).unwrap_or(true);
        if e.file_name().to_string_lossy().starts_with(PREFIX) && !private {
            let _ = set_private(&e.path());
        }
    }
}

#[cfg(unix)]
fn set_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn set_private(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// The rolling appender, with each day's file made (0600) before the appender opens it: the appender creates its
/// files with the default mode, readable by everyone under the usual umask.
struct PrivateFiles {
    dir: PathBuf,
    /// The UTC day (the appender's clock) whose file is known to be private.
    day: String,
    inner: Option<RollingFileAppender>,
}

impl PrivateFiles {
    fn create_today(&mut self) -> std::io::Result<()> {
        let day = chrono::Utc::now().format("%Y-%m-%d").to_string();
        if day == self.day {
            return Ok(());
        }
        let path = self.dir.join(format!("{PREFIX}.{day}"));
        let mut opts = std::fs::OpenOptions::new();
        opts.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        opts.open(&path)?;
        // Also when the appender got there first (a write just across midnight).
        set_private(&path)?;
        self.day = day;
        Ok(())
    }
}

impl Write for PrivateFiles {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let _ = self.create_today();
        match &mut self.inner {
            Some(w) => w.write(buf),
            None => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.inner {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn each_day_file_is_created_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = PrivateFiles { dir: dir.path().to_path_buf(), day: String::new(), inner: None };
        files.write_all(b"x").unwrap();
        let day = chrono::Utc::now().format("%Y-%m-%d").to_string();
        assert_eq!(fsutil::mode(&dir.path().join(format!("{PREFIX}.{day}"))).unwrap(), 0o600);
    }
}
