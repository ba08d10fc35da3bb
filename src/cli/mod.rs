//! The command line: a thin front over `core`. Every subcommand that takes a PROFILE also takes a connection URL.
pub mod profile;

use clap::{Parser, Subcommand};

use crate::core::paths::Paths;
use crate::core::profile::{Profile, ProfileSet, looks_like_url};

/// Exit code for usage errors (unknown profile, bad arguments), as clap uses.
pub const EXIT_USAGE: i32 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "dbconsole",
    version,
    about = "Terminal administration console for PostgreSQL, MySQL/MariaDB and SQLite"
)]
pub struct Cli {
    /// A profile name or a connection URL (postgres://…, mysql://…, mariadb://…, sqlite:PATH) to open in the TUI.
    pub target: Option<String>,

    /// Log level for the log file in the data directory (error, warn, info, debug, trace).
    #[arg(long, global = true, env = "DBCONSOLE_LOG", default_value = "info")]
    pub log_level: String,

    /// Draw the first frame, print how long it took, and exit (used by the startup benchmark).
    #[arg(long, hide = true)]
    pub first_frame_exit: bool,

    #[command(subcommand)]
    pub command: Option<Commands>,
}

#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Manage and test connection profiles.
    Profile {
        #[command(subcommand)]
        command: profile::ProfileCommand,
    },
}

/// Loads the profiles file, creating it with the demo profile on the very first run.
pub fn load_profiles(paths: &Paths) -> ProfileSet {
    let file = paths.profiles_file();
    if !file.exists() && !paths.config_dir.join(".no-demo").exists() {
        let demo = crate::core::demo::profile(&paths.demo_db());
        if let Err(e) = crate::core::profile::file::create_with(&file, &demo) {
            tracing::warn!(error = %e, "could not create the profiles file");
        }
    }
    crate::core::profile::file::load(&file)
}

/// A profile by name, or an ad-hoc profile from a URL.
pub fn resolve_target(set: &ProfileSet, target: &str) -> Result<Profile, String> {
    if looks_like_url(target) {
        return crate::core::profile::url::parse_url(target).map_err(|e| format!("{target}: {e}"));
    }
    match set.get(target) {
        Some(p) => Ok(p.clone()),
        None => {
            if let Some(problem) = set.problems.iter().find(|p| p.profile.as_deref() == Some(target)) {
                return Err(format!("profile `{target}` cannot be used: {problem}"));
            }
            let names: Vec<_> = set.profiles.iter().map(|p| p.name.as_str()).collect();
            Err(format!(
                "no profile named `{target}` in {} (profiles: {})",
                set.path.display(),
                if names.is_empty() { "none".to_string() } else { names.join(", ") }
            ))
        }
    }
}
