//! dbconsole's own state store: a SQLite file in the data directory (owner-only), its schema versioned by the
//! files in `migrations/` (embedded in the binary and applied with sqlx's migrator at open). Holds the query
//! history per profile.
use std::borrow::Cow;
use std::path::Path;

use sqlx::SqlitePool;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

const MIGRATIONS: &[(i64, &str, &str)] =
    &[(1, "query history", include_str!("../../migrations/0001_query_history.sql"))];

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

    pub async fn close(&self) {
        self.pool.close().await;
    }
}
