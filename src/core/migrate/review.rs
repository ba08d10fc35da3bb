//! The two migration workflows both fronts run: a review of a profile's folder (status and lint of what is
//! pending), and a schema diff written into the folder as the next migration.
use std::path::{Path, PathBuf};

use super::{Finding, Folder, MigrateError, Plan};
use crate::core::catalog::Catalog;
use crate::core::engine::DbPool;
use crate::core::profile::Profile;

/// Where a profile's database stands against its migrations folder.
#[derive(Debug, Clone)]
pub struct Review {
    pub folder: Folder,
    pub plan: Plan,
    pub findings: Vec<Finding>,
}

/// Reads the folder (`dir`, else the profile's), the applied state and the lint of pending migrations.
pub async fn review(pool: &DbPool, profile: &Profile, dir: Option<&Path>) -> Result<Review, MigrateError> {
    let dir = super::folder_for(profile, dir);
    let folder = super::load(&dir, profile.engine)?;
    let plan = super::status(pool, &folder).await?;
    let findings = super::lint_pending(pool, &folder, &plan).await?;
    Ok(Review { folder, plan, findings })
}

/// A migration written by `write_diff`.
#[derive(Debug, Clone)]
pub struct Written {
    pub path: PathBuf,
    pub version: i64,
    /// What the script could not do, in words.
    pub notes: Vec<String>,
}

/// Writes the migration that gives `current` (the database of `to`) the schema `desired` as the next numbered file
/// of the folder (`dir`, else `to`'s), in `to`'s dialect; None when the schemas are the same.
pub fn write_diff(
    desired: &Catalog,
    current: &Catalog,
    to: &Profile,
    dir: Option<&Path>,
    description: &str,
    header: &str,
) -> Result<Option<Written>, MigrateError> {
    let script = crate::core::catalog::diff::migration(desired, current);
    if script.is_empty() {
        return Ok(None);
    }
    let dir = super::folder_for(to, dir);
    let folder =
        if dir.exists() { super::load(&dir, to.engine)? } else { Folder { dir: dir.clone(), ..Default::default() } };
    let version = super::next_version(&folder);
    let path = super::write_new(&dir, version, description, &script.sql(header))?;
    Ok(Some(Written { path, version, notes: script.notes }))
}
