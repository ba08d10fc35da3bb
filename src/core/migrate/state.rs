//! The applied state, kept in sqlx's `_sqlx_migrations` table (same columns, same DDL per engine), so a database
//! migrated by sqlx-cli or `sqlx::migrate!` shows its true state here and the other way round.
use sqlx::pool::PoolConnection;
use sqlx::{MySql, Postgres, Row, Sqlite};

use crate::core::engine::DbPool;
use crate::core::profile::Engine;

pub const TABLE: &str = "_sqlx_migrations";

/// One connection held for a whole run (locks belong to a session). A run that may be stopped holds its own
/// connection, out of the pool (`acquire_for_run`).
pub enum Conn {
    Postgres(PoolConnection<Postgres>),
    Mysql(PoolConnection<MySql>),
    Sqlite(PoolConnection<Sqlite>),
    OwnPostgres(sqlx::PgConnection),
    OwnMysql(sqlx::MySqlConnection),
    OwnSqlite(sqlx::SqliteConnection),
}

/// Runs the same code on whichever connection it is (`$c` is `&mut <engine>Connection`).
macro_rules! on {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            Conn::Postgres(x) => {
                let $c = &mut **x;
                $body
            }
            Conn::Mysql(x) => {
                let $c = &mut **x;
                $body
            }
            Conn::Sqlite(x) => {
                let $c = &mut **x;
                $body
            }
            Conn::OwnPostgres(x) => {
                let $c = &mut *x;
                $body
            }
            Conn::OwnMysql(x) => {
                let $c = &mut *x;
                $body
            }
            Conn::OwnSqlite(x) => {
                let $c = &mut *x;
                $body
            }
        }
    };
}

impl Conn {
    pub async fn acquire(pool: &DbPool) -> Result<Conn, sqlx::Error> {
        Ok(match pool {
            DbPool::Postgres(p) => Conn::Postgres(p.acquire().await?),
            DbPool::Mysql(p) => Conn::Mysql(p.acquire().await?),
            DbPool::Sqlite(p) => Conn::Sqlite(p.acquire().await?),
            DbPool::Duckdb(_) => return Err(crate::core::engine::NotWritable.into()),
        })
    }

    /// A connection for a run that may be stopped, taken out of the pool: when the run's task is cancelled it is
    /// dropped, its socket closes at once, and the server rolls back and releases the migration lock as after a
    /// kill (PostgreSQL 14+ also ends a statement still running: it checks every second that the client is there).
    /// A pooled connection would instead go back to the pool inside the transaction.
    pub async fn acquire_for_run(pool: &DbPool) -> Result<Conn, sqlx::Error> {
        Ok(match pool {
            DbPool::Postgres(p) => {
                let mut c = p.acquire().await?.detach();
                let _ = sqlx::raw_sql("SET client_connection_check_interval = '1s'").execute(&mut c).await;
                Conn::OwnPostgres(c)
            }
            DbPool::Mysql(p) => Conn::OwnMysql(p.acquire().await?.detach()),
            DbPool::Sqlite(p) => Conn::OwnSqlite(p.acquire().await?.detach()),
            DbPool::Duckdb(_) => return Err(crate::core::engine::NotWritable.into()),
        })
    }

    pub fn engine(&self) -> Engine {
        match self {
            Conn::Postgres(_) | Conn::OwnPostgres(_) => Engine::Postgres,
            Conn::Mysql(_) | Conn::OwnMysql(_) => Engine::Mysql,
            Conn::Sqlite(_) | Conn::OwnSqlite(_) => Engine::Sqlite,
        }
    }

    /// Runs one statement (or a script) as text.
    pub async fn execute(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        on!(self, c => sqlx::raw_sql(sql).execute(c).await.map(|_| ()))
    }

    /// The first column of the first row, as an integer (NULL and no row: None).
    pub async fn scalar_i64(&mut self, sql: &str) -> Result<Option<i64>, sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        on!(self, c => {
            let row = sqlx::query(sql).fetch_optional(c).await?;
            // Integer widths differ by engine and expression (int4 in PostgreSQL, unsigned in MySQL): try each.
            Ok(row.and_then(|r| {
                r.try_get::<Option<i64>, _>(0)
                    .or_else(|_| r.try_get::<Option<i32>, _>(0).map(|v| v.map(i64::from)))
                    .or_else(|_| r.try_get::<Option<i16>, _>(0).map(|v| v.map(i64::from)))
                    .or_else(|_| r.try_get::<Option<bool>, _>(0).map(|v| v.map(i64::from)))
                    .ok()
                    .flatten()
            }))
        })
    }

    /// The first column of the first row, as text.
    pub async fn scalar_text(&mut self, sql: &str) -> Result<Option<String>, sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        on!(self, c => {
            let row = sqlx::query(sql).fetch_optional(c).await?;
            Ok(row.and_then(|r| r.try_get::<Option<String>, _>(0).ok().flatten()))
        })
    }
}

/// A row of `_sqlx_migrations`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Applied {
    pub version: i64,
    pub description: String,
    pub installed_on: String,
    pub success: bool,
    #[serde(serialize_with = "hex")]
    pub checksum: Vec<u8>,
    /// Nanoseconds (-1 when sqlx could not record it).
    pub execution_time: i64,
}

fn hex<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&b.iter().map(|x| format!("{x:02x}")).collect::<String>())
}

/// sqlx's CREATE TABLE for each engine.
pub fn create_sql(engine: Engine) -> String {
    let (installed_on, checksum) = match engine {
        Engine::Postgres => ("TIMESTAMPTZ NOT NULL DEFAULT now()", "BYTEA"),
        _ => ("TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP", "BLOB"),
    };
    format!(
        "CREATE TABLE IF NOT EXISTS {TABLE} (\n    version BIGINT PRIMARY KEY,\n    description TEXT NOT NULL,\n    \
         installed_on {installed_on},\n    success BOOLEAN NOT NULL,\n    checksum {checksum} NOT NULL,\n    \
         execution_time BIGINT NOT NULL\n);"
    )
}

pub async fn table_exists(conn: &mut Conn) -> Result<bool, sqlx::Error> {
    let sql = match conn.engine() {
        Engine::Postgres | Engine::Duckdb => {
            format!("SELECT CASE WHEN to_regclass('{TABLE}') IS NULL THEN 0 ELSE 1 END")
        }
        Engine::Mysql => format!(
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{TABLE}'"
        ),
        Engine::Sqlite => format!("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = '{TABLE}'"),
    };
    Ok(conn.scalar_i64(&sql).await?.unwrap_or(0) > 0)
}

pub async fn ensure_table(conn: &mut Conn) -> Result<(), sqlx::Error> {
    let sql = create_sql(conn.engine());
    conn.execute(&sql).await
}

/// Every row, by version; empty when the table does not exist.
pub async fn applied(conn: &mut Conn) -> Result<Vec<Applied>, sqlx::Error> {
    if !table_exists(conn).await? {
        return Ok(Vec::new());
    }
    let installed = match conn.engine() {
        Engine::Postgres | Engine::Duckdb => "installed_on::text",
        Engine::Mysql => "CAST(installed_on AS CHAR)",
        Engine::Sqlite => "CAST(installed_on AS TEXT)",
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT version, description, {installed}, success, checksum, execution_time FROM {TABLE} ORDER BY version"
    ));
    on!(conn, c => {
        let rows = sqlx::query(sql).fetch_all(c).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(Applied {
                version: r.try_get(0)?,
                description: r.try_get(1)?,
                installed_on: r.try_get::<Option<String>, _>(2)?.unwrap_or_default(),
                success: r.try_get(3)?,
                checksum: r.try_get(4)?,
                execution_time: r.try_get(5)?,
            });
        }
        Ok(out)
    })
}

/// Records a migration (`success` false marks one that ran partly: sqlx calls it dirty).
pub async fn insert(
    conn: &mut Conn,
    version: i64,
    description: &str,
    success: bool,
    checksum: &[u8],
    nanos: i64,
) -> Result<(), sqlx::Error> {
    let p = placeholders(conn.engine(), 5);
    let sql = sqlx::AssertSqlSafe(format!(
        "INSERT INTO {TABLE} (version, description, success, checksum, execution_time) VALUES ({p})"
    ));
    on!(conn, c => sqlx::query(sql)
        .bind(version)
        .bind(description)
        .bind(success)
        .bind(checksum)
        .bind(nanos)
        .execute(c)
        .await
        .map(|_| ()))
}

/// The `execution_time` recorded while a `-- no-transaction` migration runs: -2 - (statements completed), so
/// that a run killed part-way says how far it got (sqlx itself writes -1 for "unknown").
pub fn progress(done: usize) -> i64 {
    -2 - done as i64
}

/// Statements completed, read back from a failed row's `execution_time` (see `progress`).
pub fn completed(execution_time: i64) -> Option<u64> {
    (execution_time <= -2).then(|| (-2 - execution_time) as u64)
}

pub async fn set_success(conn: &mut Conn, version: i64, success: bool, nanos: i64) -> Result<(), sqlx::Error> {
    let (a, b, v) = match conn.engine() {
        Engine::Postgres => ("$1", "$2", "$3"),
        _ => ("?", "?", "?"),
    };
    let sql =
        sqlx::AssertSqlSafe(format!("UPDATE {TABLE} SET success = {a}, execution_time = {b} WHERE version = {v}"));
    on!(conn, c => sqlx::query(sql).bind(success).bind(nanos).bind(version).execute(c).await.map(|_| ()))
}

pub async fn delete(conn: &mut Conn, version: i64) -> Result<(), sqlx::Error> {
    let p = placeholders(conn.engine(), 1);
    let sql = sqlx::AssertSqlSafe(format!("DELETE FROM {TABLE} WHERE version = {p}"));
    on!(conn, c => sqlx::query(sql).bind(version).execute(c).await.map(|_| ()))
}

fn placeholders(engine: Engine, n: usize) -> String {
    (1..=n)
        .map(|i| if engine == Engine::Postgres { format!("${i}") } else { "?".to_string() })
        .collect::<Vec<_>>()
        .join(", ")
}
