//! Where a database stands against a migrations folder.
use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use super::files::{Folder, Migration};
use super::state::Applied;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Applied, and the file is unchanged.
    Applied,
    /// Not applied yet, newer than every applied version.
    Pending,
    /// Recorded with success = false: it ran partly (or a sqlx run died in it).
    Failed,
    /// Applied, but the file changed since (checksums differ).
    Drifted,
    /// Applied, but no file has this version any more.
    Missing,
    /// Not applied, and older than the newest applied version.
    OutOfOrder,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Applied => "applied",
            Status::Pending => "pending",
            Status::Failed => "FAILED",
            Status::Drifted => "DRIFTED",
            Status::Missing => "missing file",
            Status::OutOfOrder => "out of order",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub version: i64,
    pub description: String,
    pub status: Status,
    pub file: Option<PathBuf>,
    pub reversible: bool,
    pub installed_on: Option<String>,
    /// Milliseconds the migration took when applied.
    pub execution_ms: Option<f64>,
    /// A failed `-- no-transaction` migration: how many of its statements completed before it stopped.
    pub statements_completed: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub dir: PathBuf,
    pub entries: Vec<Entry>,
    /// Versions present only as other engines' variants.
    pub other_engines: Vec<(i64, String)>,
}

impl Plan {
    pub fn count(&self, s: Status) -> usize {
        self.entries.iter().filter(|e| e.status == s).count()
    }
    pub fn with(&self, s: Status) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |e| e.status == s)
    }
}

/// Compares the folder with the applied rows.
pub fn plan(folder: &Folder, applied: &[Applied]) -> Plan {
    let files: BTreeMap<i64, &Migration> = folder.migrations.iter().map(|m| (m.version, m)).collect();
    let rows: BTreeMap<i64, &Applied> = applied.iter().map(|a| (a.version, a)).collect();
    let newest_applied = applied.iter().filter(|a| a.success).map(|a| a.version).max();
    let mut versions: Vec<i64> = files.keys().chain(rows.keys()).copied().collect();
    versions.sort_unstable();
    versions.dedup();
    let mut entries = Vec::with_capacity(versions.len());
    for v in versions {
        let file = files.get(&v).copied();
        let row = rows.get(&v).copied();
        let status = match (file, row) {
            (_, Some(r)) if !r.success => Status::Failed,
            (None, Some(_)) => Status::Missing,
            (Some(f), Some(r)) if f.checksum != r.checksum => Status::Drifted,
            (Some(_), Some(_)) => Status::Applied,
            (Some(_), None) if newest_applied.is_some_and(|n| v < n) => Status::OutOfOrder,
            (Some(_), None) => Status::Pending,
            (None, None) => continue,
        };
        entries.push(Entry {
            version: v,
            description: file.map(|f| f.description.clone()).or(row.map(|r| r.description.clone())).unwrap_or_default(),
            status,
            file: file.map(|f| f.up.path.clone()),
            reversible: file.is_some_and(|f| f.down.is_some()),
            installed_on: row.map(|r| r.installed_on.clone()),
            execution_ms: row.filter(|r| r.execution_time >= 0).map(|r| r.execution_time as f64 / 1e6),
            statements_completed: row.filter(|r| !r.success).and_then(|r| super::state::completed(r.execution_time)),
        });
    }
    Plan { dir: folder.dir.clone(), entries, other_engines: folder.other_engines.clone() }
}
