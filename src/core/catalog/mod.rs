//! The catalog: one model of a database's schema for all three engines, read in bulk (one catalog query per kind
//! of object), DDL generated from it in each dialect, and comparison of two catalogs.
pub mod compare;
pub mod ddl;
pub mod describe;
pub mod diff;
pub mod duckdb;
pub mod model;
pub mod mysql;
pub mod postgres;
pub mod quote;
pub mod sqlite;
pub mod sqlite_create;
pub mod sqltext;

pub use model::*;

use crate::core::engine::DbPool;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("reading the catalog failed: {0}")]
    Query(#[from] sqlx::Error),
    #[error("reading the catalog failed: {0}")]
    Other(String),
}

/// Reports which kind of object is being read.
pub struct Progress<'a> {
    f: &'a mut (dyn FnMut(&str) + Send),
    last: std::time::Instant,
    previous: String,
}

impl Progress<'_> {
    pub fn stage(&mut self, name: &str) {
        let now = std::time::Instant::now();
        tracing::debug!(stage = %self.previous, ms = (now - self.last).as_secs_f64() * 1000.0, "catalog stage done");
        self.last = now;
        self.previous = name.to_string();
        (self.f)(name)
    }
}

/// Reads the catalog of the database behind `pool`. `database` names it in the result (a SQLite path, say).
/// `only_schema` limits MySQL to one database (the profile's); PostgreSQL and SQLite read every visible schema.
pub async fn introspect(
    pool: &DbPool,
    database: &str,
    only_schema: Option<&str>,
    mut on_stage: impl FnMut(&str) + Send,
) -> Result<Catalog, CatalogError> {
    let mut progress = Progress { f: &mut on_stage, last: std::time::Instant::now(), previous: "connect".into() };
    match pool {
        DbPool::Postgres(p) => {
            let mut conn = p.acquire().await?;
            postgres::introspect(&mut conn, &mut progress).await
        }
        DbPool::Mysql(p) => mysql::introspect(p, only_schema, &mut progress).await,
        DbPool::Sqlite(p) => {
            let mut conn = p.acquire().await?;
            sqlite::introspect(&mut conn, database, &mut progress).await
        }
        DbPool::Duckdb(d) => duckdb::introspect(d, &mut progress).await,
    }
}

/// The schemas and the names and kinds of their tables and views, without columns, keys or indexes: what the
/// schema pane lists first while `introspect` reads the rest (one quick query per engine).
pub async fn names(pool: &DbPool, database: &str, only_schema: Option<&str>) -> Result<Catalog, CatalogError> {
    match pool {
        DbPool::Postgres(p) => postgres::names(&mut *p.acquire().await?).await,
        DbPool::Mysql(p) => mysql::names(p, only_schema).await,
        DbPool::Sqlite(p) => sqlite::names(&mut *p.acquire().await?, database).await,
        DbPool::Duckdb(d) => duckdb::names(d).await,
    }
}

/// SQLite only: reads the catalog from the CREATE texts or from the pragmas alone (tests compare the two).
pub async fn introspect_sqlite(
    pool: &sqlx::SqlitePool,
    database: &str,
    reading: sqlite::Reading,
) -> Result<Catalog, CatalogError> {
    let mut silent = |_: &str| {};
    let mut progress = Progress { f: &mut silent, last: std::time::Instant::now(), previous: "connect".into() };
    let mut conn = pool.acquire().await?;
    sqlite::introspect_with(&mut conn, database, &mut progress, reading).await
}

/// The exact number of rows of `schema.table` (a full count: may take long on big tables; cancel by dropping).
pub async fn count_rows(pool: &DbPool, schema: &str, table: &str) -> Result<i64, sqlx::Error> {
    use sqlx::Row;
    let sql = format!("SELECT count(*) FROM {}", quote::qualified(pool.engine(), schema, table));
    let sql = sqlx::AssertSqlSafe(sql);
    match pool {
        DbPool::Postgres(p) => sqlx::query(sql).persistent(false).fetch_one(p).await?.try_get(0),
        DbPool::Mysql(p) => sqlx::query(sql).persistent(false).fetch_one(p).await?.try_get(0),
        DbPool::Sqlite(p) => sqlx::query(sql).persistent(false).fetch_one(p).await?.try_get(0),
        DbPool::Duckdb(d) => {
            let n = d.first(&sql.0).await.map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
            Ok(n.and_then(|v| v.parse().ok()).unwrap_or(0))
        }
    }
}

/// A profile's catalog as a schema to compare or copy: dbconsole's (and sqlx's) migration state table is not
/// part of it.
pub async fn read_schema(pool: &DbPool, profile: &crate::core::profile::Profile) -> Result<Catalog, CatalogError> {
    let mut c = introspect(pool, &profile.database_name(), profile.database.as_deref(), |_| {}).await?;
    for s in c.schemas.iter_mut() {
        s.tables.retain(|t| t.name != crate::core::migrate::state::TABLE);
    }
    Ok(c)
}
