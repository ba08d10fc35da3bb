//! Where dbconsole keeps its files: config (profiles, themes), data (demo database, state), logs.
use std::path::PathBuf;

/// Resolved locations. `DBCONSOLE_CONFIG_DIR` and `DBCONSOLE_DATA_DIR` override the platform defaults (tests and
/// portable installs use them).
#[derive(Debug, Clone)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
}

impl Paths {
    pub fn resolve() -> Self {
        let dirs = directories::ProjectDirs::from("", "", "dbconsole");
        let config_dir = std::env::var_os("DBCONSOLE_CONFIG_DIR")
            .map(PathBuf::from)
            .or_else(|| dirs.as_ref().map(|d| d.config_dir().to_path_buf()))
            .unwrap_or_else(|| PathBuf::from(".dbconsole/config"));
        let data_dir = std::env::var_os("DBCONSOLE_DATA_DIR")
            .map(PathBuf::from)
            .or_else(|| dirs.as_ref().map(|d| d.data_dir().to_path_buf()))
            .unwrap_or_else(|| PathBuf::from(".dbconsole/data"));
        Self { config_dir, data_dir }
    }

    pub fn profiles_file(&self) -> PathBuf {
        self.config_dir.join("profiles.toml")
    }

    pub fn demo_db(&self) -> PathBuf {
        self.data_dir.join("demo.sqlite")
    }

    /// dbconsole's own state store (query history; schema in `migrations/`).
    pub fn state_db(&self) -> PathBuf {
        self.data_dir.join("state.sqlite")
    }

    /// The query editor's tabs, kept between runs.
    pub fn drafts_file(&self) -> PathBuf {
        self.data_dir.join("editor-tabs.toml")
    }

    /// The command palette's recently used items (most recent first), kept between runs.
    pub fn palette_recent(&self) -> PathBuf {
        self.data_dir.join("palette-recent.json")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }

    /// Makes dbconsole's own config and data folders owner-only (0700) where they already exist with wider
    /// permissions; the ones it creates are made 0700 from the start.
    pub fn tighten_existing(&self) {
        for dir in [&self.config_dir, &self.data_dir] {
            if let Err(e) = crate::core::fsutil::tighten_private_dir(dir) {
                tracing::warn!(dir = %dir.display(), error = %e, "cannot make the folder owner-only");
            }
        }
    }
}
