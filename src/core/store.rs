//! dbconsole's own state store: a SQLite file in the data directory (owner-only), its schema versioned by the
//! files in `migrations/` (embedded in the binary and applied with sqlx's migrator at open). Holds the query
//! history per profile.
use std::borrow::Cow;
use std::path::Path;

use sqlx::SqlitePool;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "query history", include_str!("../../migrations/0001_query_history.sql")),
    (2, "transfer checkpoints", include_str!("../../migrations/0002_transfer_checkpoints.sql")),
    (3, "sync", include_str!("../../migrations/0003_sync.sql")),
];

/// A table's checkpoint in a transfer run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checkpoint {
    pub rows_done: i64,
    pub rejected: i64,
    /// JSON array of the source key values the committed rows end at.
    pub last_key: Option<String>,
    /// A batch written but not yet known to be committed: the key of its last written row (to look for on the
    /// target), the source key it ends at, its rows and rejects.
    pub pending: Option<(String, String, i64, i64)>,
    pub done: bool,
    /// The table has a checkpoint row in this run (its load started).
    pub started: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("state store {path}: {source}")]
    Open { path: String, source: sqlx::Error },
    #[error("state store {path}: upgrading its schema: {source}")]
    Migrate { path: String, source: sqlx::migrate::MigrateError },
    #[error("state store: {0}")]
    Query(#[from] sqlx::Error),
    #[error("state store {path}: {source}")]
    Io { path: String, source: std::io::Error },
}

#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub id: i64,
    pub profile: String,
    pub sql: String,
    pub executed_at: String,
    pub elapsed_ms: f64,
    pub rows: Option<i64>,
    pub ok: bool,
    pub error: Option<String>,
}

impl Store {
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        let shown = path.display().to_string();
        if let Some(dir) = path.parent() {
            crate::core::fsutil::ensure_private_dir(dir)
                .map_err(|e| StoreError::Io { path: shown.clone(), source: e })?;
        }
        if !path.exists() {
            crate::core::fsutil::write_private(path, b"")
                .map_err(|e| StoreError::Io { path: shown.clone(), source: e })?;
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(std::time::Duration::from_secs(5));
        // The history holds the user's statements: sqlx must not log them (slow ones in full) on the way in.
        let opts = sqlx::ConnectOptions::disable_statement_logging(opts);
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(opts)
            .await
            .map_err(|e| StoreError::Open { path: shown.clone(), source: e })?;
        let migrator = Migrator {
            migrations: Cow::Owned(
                MIGRATIONS
                    .iter()
                    .map(|(v, d, sql)| {
                        Migration::new(
                            *v,
                            Cow::Borrowed(*d),
                            MigrationType::Simple,
                            sqlx::SqlSafeStr::into_sql_str(*sql),
                            false,
                        )
                    })
                    .collect(),
            ),
            ..Migrator::DEFAULT
        };
        migrator.run(&pool).await.map_err(|e| StoreError::Migrate { path: shown, source: e })?;
        Ok(Store { pool })
    }

    /// The pool, for the parts of the core that keep their own tables here (sync).
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub async fn add_history(
        &self,
        profile: &str,
        sql: &str,
        elapsed_ms: f64,
        rows: Option<i64>,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO query_history (profile, sql, elapsed_ms, rows, ok, error) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(profile)
            .bind(sql)
            .bind(elapsed_ms)
            .bind(rows)
            .bind(error.is_none())
            .bind(error)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The profile's history, newest first; `filter` keeps statements containing every word of it (any case).
    pub async fn history(&self, profile: &str, filter: &str, limit: i64) -> Result<Vec<HistoryEntry>, StoreError> {
        let mut sql = String::from(
            "SELECT id, profile, sql, executed_at, elapsed_ms, rows, ok, error FROM query_history WHERE profile = ?",
        );
        let words: Vec<String> =
            filter.split_whitespace().map(|w| format!("%{}%", w.replace(['%', '_'], ""))).collect();
        for _ in &words {
            sql.push_str(" AND sql LIKE ?");
        }
        sql.push_str(" ORDER BY id DESC LIMIT ?");
        let mut q = sqlx::query_as::<_, (i64, String, String, String, f64, Option<i64>, bool, Option<String>)>(
            sqlx::AssertSqlSafe(sql),
        )
        .bind(profile);
        for w in &words {
            q = q.bind(w);
        }
        let rows = q.bind(limit).fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|(id, profile, sql, executed_at, elapsed_ms, rows, ok, error)| HistoryEntry {
                id,
                profile,
                sql,
                executed_at,
                elapsed_ms,
                rows,
                ok,
                error,
            })
            .collect())
    }

    /// The run's stage (`load`, `after`, `done`), or None for a run never started.
    pub async fn transfer_stage(&self, run: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT stage FROM transfer_run WHERE run = ?")
            .bind(run)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn transfer_start(&self, run: &str, plan: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM transfer_checkpoint WHERE run = ?").bind(run).execute(&self.pool).await?;
        sqlx::query("INSERT OR REPLACE INTO transfer_run (run, plan, stage) VALUES (?, ?, 'load')")
            .bind(run)
            .bind(plan)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn transfer_set_stage(&self, run: &str, stage: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE transfer_run SET stage = ?, finished_at = CASE WHEN ? = 'done' THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') END WHERE run = ?")
            .bind(stage)
            .bind(stage)
            .bind(run)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn checkpoint(&self, run: &str, table: &str) -> Result<Checkpoint, StoreError> {
        type Row = (i64, i64, Option<String>, Option<String>, Option<String>, Option<i64>, Option<i64>, bool);
        let row: Option<Row> = sqlx::query_as(
            "SELECT rows_done, rejected, last_key, pending_probe, pending_key, pending_rows, pending_rejected, done FROM transfer_checkpoint WHERE run = ? AND table_name = ?",
        )
        .bind(run)
        .bind(table)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            None => Checkpoint::default(),
            Some((rows_done, rejected, last_key, probe, key, prows, prej, done)) => Checkpoint {
                rows_done,
                rejected,
                last_key,
                pending: match (probe, key) {
                    (Some(p), Some(k)) => Some((p, k, prows.unwrap_or(0), prej.unwrap_or(0))),
                    _ => None,
                },
                done,
                started: true,
            },
        })
    }

    /// Records a batch about to be committed on the target.
    pub async fn checkpoint_pending(
        &self,
        run: &str,
        table: &str,
        probe: &str,
        key: &str,
        rows: i64,
        rejected: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO transfer_checkpoint (run, table_name, pending_probe, pending_key, pending_rows, pending_rejected) VALUES (?, ?, ?, ?, ?, ?) \
             ON CONFLICT (run, table_name) DO UPDATE SET pending_probe = excluded.pending_probe, pending_key = excluded.pending_key, \
             pending_rows = excluded.pending_rows, pending_rejected = excluded.pending_rejected, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        )
        .bind(run)
        .bind(table)
        .bind(probe)
        .bind(key)
        .bind(rows)
        .bind(rejected)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records committed rows ending at `key` (clearing any pending batch).
    pub async fn checkpoint_commit(
        &self,
        run: &str,
        table: &str,
        key: Option<&str>,
        rows: i64,
        rejected: i64,
        done: bool,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO transfer_checkpoint (run, table_name, rows_done, rejected, last_key, done) VALUES (?, ?, ?, ?, ?, ?) \
             ON CONFLICT (run, table_name) DO UPDATE SET rows_done = transfer_checkpoint.rows_done + excluded.rows_done, \
             rejected = transfer_checkpoint.rejected + excluded.rejected, last_key = coalesce(excluded.last_key, transfer_checkpoint.last_key), \
             pending_probe = NULL, pending_key = NULL, pending_rows = NULL, pending_rejected = NULL, done = excluded.done, \
             updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        )
        .bind(run)
        .bind(table)
        .bind(rows)
        .bind(rejected)
        .bind(key)
        .bind(done)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets a table's progress (it is reloaded from the start).
    pub async fn checkpoint_reset(&self, run: &str, table: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM transfer_checkpoint WHERE run = ? AND table_name = ?")
            .bind(run)
            .bind(table)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}
