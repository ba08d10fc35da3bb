//! Writing batches to the target: PostgreSQL COPY, MySQL multi-row INSERTs, SQLite prepared INSERTs, each in a
//! sqlx transaction (rolled back if dropped unfinished: a cancelled run).
use super::plan::{Plan, TablePlan};
use crate::core::catalog::quote;
use crate::core::engine::DbPool;

/// The target's rows for one batch, in the form its loader takes.
pub(crate) enum Payload {
    Copy(Vec<u8>),
    Inserts(Vec<String>),
    Rows(Vec<Vec<Option<String>>>),
}

/// Which target columns (the plan's, then the extra ones) hold bytes.
pub(crate) fn bytes_columns(t: &TablePlan) -> Vec<bool> {
    t.columns
        .iter()
        .map(|c| c.cast == super::typemap::Cast::Bytes)
        .chain(t.extra_columns.iter().map(|_| false))
        .collect()
}

/// One batch in a transaction of its own.
pub(super) async fn write(plan: &Plan, t: &TablePlan, target: &DbPool, p: Payload) -> Result<(), String> {
    let mut conn = TargetConn::begin(target, &t.target).await?;
    let r = conn.write(plan, t, p).await;
    conn.end(r).await
}

/// A target connection inside a transaction that spans one batch or (a table without a key) the whole table.
/// sqlx's transaction: dropped unfinished (a cancelled run), it is rolled back before the connection is reused.
pub(super) enum TargetConn {
    Pg(sqlx::Transaction<'static, sqlx::Postgres>),
    My(sqlx::Transaction<'static, sqlx::MySql>),
    Lite(sqlx::Transaction<'static, sqlx::Sqlite>),
}

impl TargetConn {
    pub(super) async fn begin(target: &DbPool, table: &str) -> Result<TargetConn, String> {
        let e = |e: sqlx::Error| format!("{table}: {e}");
        Ok(match target {
            DbPool::Postgres(p) => {
                let mut c = p.acquire().await.map_err(e)?;
                // Date-times without an offset are UTC (the casts pass ISO text through as it is).
                sqlx::raw_sql("SET TIME ZONE 'UTC'").execute(&mut *c).await.map_err(e)?;
                // A load stopped mid-COPY (its task cancelled) ends on the server at once (PostgreSQL 14+).
                let _ = sqlx::raw_sql("SET client_connection_check_interval = '1s'").execute(&mut *c).await;
                TargetConn::Pg(sqlx::Transaction::begin(c, None).await.map_err(e)?)
            }
            DbPool::Mysql(p) => TargetConn::My(p.begin().await.map_err(e)?),
            DbPool::Sqlite(p) => {
                let mut c = p.acquire().await.map_err(e)?;
                // Outside the transaction: the pragma is a no-op inside one.
                sqlx::raw_sql("PRAGMA foreign_keys = OFF").execute(&mut *c).await.map_err(e)?;
                TargetConn::Lite(sqlx::Transaction::begin(c, None).await.map_err(e)?)
            }
            DbPool::Duckdb(_) => return Err(crate::core::engine::NotWritable.into()),
        })
    }

    /// Commits after a successful write; otherwise rolls back.
    pub(super) async fn end(self, r: Result<(), String>) -> Result<(), String> {
        let done = match (self, r.is_ok()) {
            (TargetConn::Pg(t), true) => t.commit().await,
            (TargetConn::My(t), true) => t.commit().await,
            (TargetConn::Lite(t), true) => t.commit().await,
            (TargetConn::Pg(t), false) => t.rollback().await,
            (TargetConn::My(t), false) => t.rollback().await,
            (TargetConn::Lite(t), false) => t.rollback().await,
        };
        match (r, done) {
            (Ok(()), Err(e)) => Err(format!("commit: {e}")),
            (r, _) => r,
        }
    }

    /// Rolls back after `message` and returns it.
    pub(super) async fn abort(self, message: String) -> String {
        match self.end(Err(message.clone())).await {
            Err(m) => m,
            Ok(()) => message,
        }
    }

    pub(super) async fn write(&mut self, plan: &Plan, t: &TablePlan, p: Payload) -> Result<(), String> {
        let dst_cols: Vec<String> = t
            .columns
            .iter()
            .map(|c| quote::ident(plan.target_engine, &c.target))
            .chain(t.extra_columns.iter().map(|x| quote::ident(plan.target_engine, &x.name)))
            .collect();
        let e = |e: sqlx::Error| format!("{}: {e}", t.target);
        match (self, p) {
            (TargetConn::Pg(conn), Payload::Copy(buf)) => {
                if buf.is_empty() {
                    return Ok(());
                }
                let sql = format!("COPY {} ({}) FROM STDIN", super::ddl::table_name(plan, t), dst_cols.join(", "));
                let mut copy = conn.copy_in_raw(&sql).await.map_err(e)?;
                copy.send(buf).await.map_err(e)?;
                copy.finish().await.map_err(e)?;
            }
            (TargetConn::My(conn), Payload::Inserts(stmts)) => {
                for s in stmts {
                    // One INSERT per call, its values quoted by quote::literal.
                    sqlx::raw_sql(sqlx::AssertSqlSafe(s)).execute(&mut **conn).await.map_err(e)?;
                }
            }
            (TargetConn::Lite(conn), Payload::Rows(rows)) => {
                let bytes = bytes_columns(t);
                // Numbers bound as numbers: SQLite's own reading of long decimal text is not always the nearest
                // double (1.5e+300 became 1.4999999999999998e300), Rust's is.
                let floats: Vec<bool> = t.columns.iter().map(|c| c.cast == super::typemap::Cast::Float).collect();
                let sql = format!(
                    "INSERT INTO {} ({}) VALUES ({})",
                    super::ddl::table_name(plan, t),
                    dst_cols.join(", "),
                    vec!["?"; dst_cols.len()].join(", ")
                );
                for row in rows {
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
                    for (i, v) in row.into_iter().enumerate() {
                        match v {
                            Some(s) if bytes[i] => {
                                q = q.bind(crate::core::query::edit::unhex(&s).unwrap_or_else(|| s.into_bytes()))
                            }
                            Some(s) if floats.get(i) == Some(&true) => match s.parse::<f64>() {
                                Ok(f) if f.is_finite() => q = q.bind(f),
                                _ => q = q.bind(s),
                            },
                            other => q = q.bind(other),
                        }
                    }
                    q.execute(&mut **conn).await.map_err(e)?;
                }
            }
            _ => return Err("internal: payload for another engine".into()),
        }
        Ok(())
    }
}
