//! Live sync between two databases: links (two profiles, tables, one-way or two-way with a conflict policy),
//! capture by triggers into a change log on each captured side, apply in idempotent batches whose position is
//! stored on the target in the same transaction, conflicts, offline catch-up, schema drift, status.
//!
//! - `capture`: the change log, bookkeeping tables and triggers per engine.
//! - `log`: reading a change log; positions and gaps.
//! - `apply`: changes → the target's statements, run in one transaction with the position.
//! - `conflict`: settling a two-way round's conflicts by the policy.
//! - `filter`: row filters (selective sync).
//! - `resolve`: settling a parked conflict by one side's current row.
//! - `refresh`: a drifted table planned again after both sides match.
//! - `setup`: creating a link (capture before the initial copy, then the copy through the transfer core) and
//!   removing one.
//! - `runner`: the rounds (one-way, two-way with conflicts), retries with backoff, drift checks.
//! - `status`: what `sync status` and the pane show, read from both sides and the state store.
//! - `state`: the sync's records in the state store.
pub mod apply;
pub mod capture;
pub mod conflict;
pub mod filter;
pub mod log;
pub mod native;
#[cfg(test)]
mod proptests;
pub mod refresh;
pub mod resolve;
pub mod runner;
pub mod setup;
pub mod state;
pub mod status;

use secrecy::SecretString;

use crate::core::engine::DbPool;
use crate::core::profile::{Engine, Profile};
use crate::core::transfer::Plan;

/// How a two-way link settles a row changed on both sides since the last sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    SourceWins,
    TargetWins,
    NewestWins,
    Manual,
}

impl Policy {
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::SourceWins => "source_wins",
            Policy::TargetWins => "target_wins",
            Policy::NewestWins => "newest_wins",
            Policy::Manual => "manual",
        }
    }
    pub fn parse(s: &str) -> Option<Policy> {
        Some(match s {
            "source_wins" => Policy::SourceWins,
            "target_wins" => Policy::TargetWins,
            "newest_wins" => Policy::NewestWins,
            "manual" => Policy::Manual,
            _ => return None,
        })
    }
    pub const ALL: [Policy; 4] = [Policy::SourceWins, Policy::TargetWins, Policy::NewestWins, Policy::Manual];
}

/// A link between two profiles.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub name: String,
    /// Profile names (or URLs without their passwords).
    pub source: String,
    pub target: String,
    pub tables: Vec<String>,
    pub two_way: bool,
    pub policy: Policy,
    /// PostgreSQL → PostgreSQL through the servers' logical replication (no triggers, no runner).
    pub native: bool,
    /// creating, active, paused, error.
    pub state: String,
    /// Source → target (column casts, key, names on each side).
    pub plan_fwd: Plan,
    /// Target → source, for two-way links.
    pub plan_back: Option<Plan>,
    pub created_at: String,
}

impl Link {
    /// Where the sync's tables live on the source side (PostgreSQL: the tables' schema).
    pub fn source_schema(&self) -> String {
        match self.plan_fwd.source_engine {
            Engine::Postgres => {
                self.plan_fwd.tables.first().map(|t| t.source_schema.clone()).unwrap_or_else(|| "public".into())
            }
            _ => String::new(),
        }
    }
    pub fn target_schema(&self) -> String {
        match self.plan_fwd.target_engine {
            Engine::Postgres if self.plan_fwd.target_schema.is_empty() => "public".into(),
            Engine::Postgres => self.plan_fwd.target_schema.clone(),
            _ => String::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{0}")]
    Refused(String),
    #[error("{side}: {message}")]
    Side { side: String, message: String },
    #[error("no sync link named {0} (`dbconsole sync status` lists them)")]
    NoLink(String),
    #[error("state store: {0}")]
    Store(#[from] crate::core::store::StoreError),
}

/// One side of a link, connected.
#[derive(Clone)]
pub struct Side {
    pub label: String,
    pub profile: Profile,
    pub password: Option<SecretString>,
    pub pool: DbPool,
}

impl Side {
    pub fn engine(&self) -> Engine {
        self.pool.engine()
    }
    pub fn err(&self, message: impl std::fmt::Display) -> SyncError {
        SyncError::Side { side: self.label.clone(), message: message.to_string() }
    }
}

/// Connects a side for the sync (two connections: the runner reads one side while it writes the other).
pub async fn connect(label: &str, profile: &Profile, password: Option<&SecretString>) -> Result<Side, String> {
    if profile.engine == Engine::Duckdb {
        return Err(format!(
            "{label}: a DuckDB file cannot be a sync side (dbconsole reads DuckDB files only, and a sync writes \
             change-capture triggers on both sides); move it once with `dbconsole transfer`"
        ));
    }
    let mut p = profile.session_profile();
    p.pool.max_connections = 2;
    p.pool.min_connections = 0;
    // A side that went away is noticed within the connect timeout, not the pool's longer wait.
    p.pool.acquire_timeout_secs = p.pool.connect_timeout_secs;
    let pool = crate::core::engine::connect_pool(&p, password)
        .await
        .map_err(|e| format!("{} ({}): {}; check: {}", label, e.class.as_str(), e.message, e.hint))?;
    // Values and names are quoted for the servers' default string rules: a session that reads backslashes
    // differently would store them wrong (or let a value out of its quotes).
    let rules = match &pool {
        crate::core::engine::DbPool::Postgres(p) => {
            sqlx::query_scalar::<_, String>("SHOW standard_conforming_strings").fetch_one(p).await.map(|v| {
                (v != "on").then_some("standard_conforming_strings is off (set it on for the role or the database)")
            })
        }
        crate::core::engine::DbPool::Mysql(p) => {
            sqlx::query_scalar::<_, String>("SELECT @@SESSION.sql_mode").fetch_one(p).await.map(|m| {
                m.to_ascii_uppercase()
                    .contains("NO_BACKSLASH_ESCAPES")
                    .then_some("sql_mode has NO_BACKSLASH_ESCAPES (remove it from the server's or the user's sql_mode)")
            })
        }
        crate::core::engine::DbPool::Sqlite(_) => Ok(None),
        crate::core::engine::DbPool::Duckdb(_) => Err(sqlx::Error::from(crate::core::engine::NotWritable)),
    }
    .map_err(|e| format!("{label}: {e}"))?;
    if let Some(why) = rules {
        pool.close().await;
        return Err(format!("{label}: {why}; the sync's quoting needs the default"));
    }
    Ok(Side { label: label.to_string(), profile: profile.clone(), password: password.cloned(), pool })
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

pub fn now_iso() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The lock a runner holds while it runs a link (one runner per link: the TUI's or a `sync run`), beside the
/// state store.
pub fn runner_lock_path(state_db: &std::path::Path, name: &str) -> std::path::PathBuf {
    use sha2::Digest;
    let h = sha2::Sha256::digest(name.as_bytes());
    let hex: String = h.iter().take(8).map(|b| format!("{b:02x}")).collect();
    state_db.with_file_name(format!("sync-{hex}"))
}

/// Whether a runner (in any process) runs the link now.
pub fn runner_active(state_db: &std::path::Path, name: &str) -> bool {
    matches!(crate::core::fsutil::try_lock(&runner_lock_path(state_db, name)), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}
