//! Versioned schema migrations: a folder of SQL files (sqlx's layout, plus per-engine variants), the applied
//! state in sqlx's `_sqlx_migrations` table, a plan with lint findings, and apply / revert / dry run under the
//! same lock sqlx takes.
pub mod files;
pub mod lint;
pub mod lock;
pub mod plan;
pub mod review;
pub mod run;
pub mod state;

use std::path::{Path, PathBuf};

pub use files::{Folder, Migration};
pub use lint::{Finding, Severity};
pub use plan::{Entry, Plan, Status};
pub use review::{Review, Written, review, write_diff};
pub use run::{Event, Options, RunReport, StepFailure};

use crate::core::catalog;
use crate::core::engine::DbPool;
use crate::core::profile::{Engine, Profile};
use state::Conn;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("migrations folder {0}: {1}")]
    Folder(PathBuf, String),
    #[error("migrations folder {}:\n  {}", .0.display(), .1.join("\n  "))]
    Files(PathBuf, Vec<String>),
    #[error("{0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Refused(String),
}

/// The migrations folder of a profile: `--dir`, else the profile's `migrations`, else `./migrations`.
pub fn folder_for(profile: &Profile, dir: Option<&Path>) -> PathBuf {
    dir.map(Path::to_path_buf).or_else(|| profile.migrations.clone()).unwrap_or_else(|| PathBuf::from("migrations"))
}

/// Reads the applied state (without creating the table) and compares it with the folder.
pub async fn status(pool: &DbPool, folder: &Folder) -> Result<Plan, MigrateError> {
    let mut conn = Conn::acquire(pool).await?;
    let applied = state::applied(&mut conn).await?;
    Ok(plan::plan(folder, &applied))
}

/// Lint findings for the migrations a run would apply, with facts (rows, column types) from the target.
pub async fn lint_pending(pool: &DbPool, folder: &Folder, p: &Plan) -> Result<Vec<Finding>, MigrateError> {
    let pending: Vec<&Migration> = folder
        .migrations
        .iter()
        .filter(|m| {
            p.entries.iter().any(|e| e.version == m.version && matches!(e.status, Status::Pending | Status::OutOfOrder))
        })
        .collect();
    if pending.is_empty() {
        return Ok(Vec::new());
    }
    let engine = pool.engine();
    let cat = catalog::introspect(pool, "", None, |_| {}).await.map_err(|e| match e {
        catalog::CatalogError::Query(q) => MigrateError::Db(q),
        catalog::CatalogError::Other(m) => MigrateError::Db(sqlx::Error::Protocol(m)),
    })?;
    let mut facts = lint::Facts::from_catalog(&cat);
    // Whether a table has rows decides several findings: ask the tables the pending SQL alters.
    let mut conn = Conn::acquire(pool).await?;
    for name in lint::tables_needing_rows(&pending, engine) {
        let key = name.rsplit('.').next().unwrap_or(&name).to_lowercase();
        let Some((schema, t)) = cat
            .schemas
            .iter()
            .flat_map(|s| s.tables.iter().map(move |t| (s.name.clone(), t)))
            .find(|(_, t)| t.name.to_lowercase() == key)
        else {
            continue;
        };
        let sql = format!("SELECT 1 FROM {} LIMIT 1", catalog::quote::qualified(engine, &schema, &t.name));
        let has = conn.scalar_i64(&sql).await?.is_some();
        if let Some(f) = facts.tables.get_mut(&key) {
            f.has_rows = has;
        }
    }
    Ok(lint::lint(&pending, engine, &facts))
}

/// Applies (or rehearses) pending migrations.
pub async fn apply(
    pool: &DbPool,
    folder: &Folder,
    opts: &Options,
    on_event: &mut (dyn FnMut(Event) + Send),
) -> Result<RunReport, MigrateError> {
    let mut conn = Conn::acquire_for_run(pool).await?;
    run::apply(&mut conn, folder, opts, on_event).await
}

/// Reverts the last `count` applied migrations.
pub async fn revert(
    pool: &DbPool,
    folder: &Folder,
    count: usize,
    dry_run: bool,
    on_event: &mut (dyn FnMut(Event) + Send),
) -> Result<RunReport, MigrateError> {
    let mut conn = Conn::acquire_for_run(pool).await?;
    run::revert(&mut conn, folder, count, dry_run, on_event).await
}

/// Loads a folder for `engine`.
pub fn load(dir: &Path, engine: Engine) -> Result<Folder, MigrateError> {
    files::load(dir, engine)
}

/// The version for a new migration file in `folder`: the next integer after the newest when the folder numbers
/// sequentially (1, 2, 3 …), else a UTC timestamp `YYYYMMDDHHMMSS` as `sqlx migrate add` makes.
pub fn next_version(folder: &Folder) -> i64 {
    let newest = folder.migrations.iter().map(|m| m.version).chain(folder.other_engines.iter().map(|o| o.0)).max();
    match newest {
        Some(v) if v < 1_000_000 => v + 1,
        newest => {
            let now =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            let stamp = timestamp(now as i64);
            newest.map_or(stamp, |v| stamp.max(v + 1))
        }
    }
}

/// `YYYYMMDDHHMMSS` of a Unix time (UTC), by the civil-from-days algorithm.
fn timestamp(secs: i64) -> i64 {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    ((y * 100 + m) * 100 + d) * 1_000_000 + (rem / 3600) * 10_000 + (rem % 3600 / 60) * 100 + rem % 60
}

/// Writes a new migration file `<version>_<description>.sql` (owner-readable, never overwriting).
pub fn write_new(dir: &Path, version: i64, description: &str, sql: &str) -> Result<PathBuf, MigrateError> {
    let slug: String = description
        .trim()
        .chars()
        .map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
        .collect::<String>()
        .split('_')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    let slug = if slug.is_empty() { "schema_diff".to_string() } else { slug };
    std::fs::create_dir_all(dir).map_err(|e| MigrateError::Folder(dir.to_path_buf(), e.to_string()))?;
    let path = dir.join(format!("{version}_{slug}.sql"));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| MigrateError::Folder(path.clone(), e.to_string()))?;
    std::io::Write::write_all(&mut f, sql.as_bytes()).map_err(|e| MigrateError::Folder(path.clone(), e.to_string()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps() {
        assert_eq!(super::timestamp(0), 19700101000000);
        assert_eq!(super::timestamp(1_700_000_000), 20231114221320);
    }
}
