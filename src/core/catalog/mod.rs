//! The catalog: one model of a database's schema for all three engines, read in bulk (one catalog query per kind
//! of object), DDL generated from it in each dialect, and comparison of two catalogs.
pub mod compare;
pub mod ddl;
pub mod model;
pub mod mysql;
pub mod postgres;
pub mod quote;
pub mod sqlite;
pub mod sqltext;

pub use model::*;

use crate::core::engine::DbPool;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("reading the catalog failed: {0}")]
    Query(#[from] sqlx::Error),
}

/// Reports which kind of object is being read.
pub struct Progress<'a> {
    f: &'a mut (dyn FnMut(&str) + Send),
}

impl Progress<'_> {
    pub fn stage(&mut self, name: &str) {
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
    let mut progress = Progress { f: &mut on_stage };
    match pool {
        DbPool::Postgres(p) => {
            let mut conn = p.acquire().await?;
            postgres::introspect(&mut conn, &mut progress).await
        }
        DbPool::Mysql(p) => {
            let mut conn = p.acquire().await?;
            mysql::introspect(&mut conn, only_schema, &mut progress).await
        }
        DbPool::Sqlite(p) => {
            let mut conn = p.acquire().await?;
            sqlite::introspect(&mut conn, database, &mut progress).await
        }
    }
}
