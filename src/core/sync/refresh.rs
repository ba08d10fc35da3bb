//! After a schema change made on both sides (a table paused by drift): the table planned again, its capture
//! triggers made again with the columns it has now, its rows sent whole.
use super::capture::{self, CapturedColumn};
use super::setup::captured_columns;
use super::{Link, Side, SyncError, log, state};
use crate::core::profile::Engine;
use crate::core::store::Store;
use crate::core::transfer;

/// Runs statements in one transaction where the engine's DDL is transactional (PostgreSQL, SQLite: a trigger
/// replaced this way misses no write); MySQL commits each DDL statement itself.
async fn exec_together(side: &Side, stmts: &[String]) -> Result<(), SyncError> {
    macro_rules! tx {
        ($tx:expr) => {{
            let mut tx = $tx.await.map_err(|e| side.err(crate::core::query::QueryError::from_sqlx(&e)))?;
            for s in stmts {
                if crate::core::sql::split(s, side.engine()).len() != 1 {
                    return Err(side.err(format!("refused: not one statement: {}", s.escape_debug())));
                }
                sqlx::query(sqlx::AssertSqlSafe(s.clone()))
                    .persistent(false)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| side.err(crate::core::query::QueryError::from_sqlx(&e)))?;
            }
            tx.commit().await.map_err(|e| side.err(crate::core::query::QueryError::from_sqlx(&e)))
        }};
    }
    match &side.pool {
        crate::core::engine::DbPool::Postgres(p) => tx!(p.begin()),
        crate::core::engine::DbPool::Sqlite(p) => tx!(p.begin_with("BEGIN IMMEDIATE")),
        crate::core::engine::DbPool::Mysql(_) => {
            for s in stmts {
                transfer::exec(&side.pool, s).await.map_err(|e| side.err(e))?;
            }
            Ok(())
        }
        crate::core::engine::DbPool::Duckdb(_) => Err(side.err(crate::core::engine::NotWritable::MESSAGE)),
    }
}

/// After a schema change made on both sides (a table paused by drift): plans the table again from the source,
/// checks that the other side now has the same columns, and replaces the capture triggers (SQLite and MySQL
/// name the columns). Returns what was done.
pub async fn refresh_table(
    link: &mut Link,
    a: &Side,
    b: &Side,
    store: &Store,
    table: &str,
) -> Result<Vec<String>, SyncError> {
    let mut done = Vec::new();
    let (sa, sb) = (link.source_schema(), link.target_schema());
    let mut fwd = transfer::plan_between(
        &a.profile,
        &a.pool,
        &b.profile,
        (&a.label, &b.label),
        &[table.to_string()],
        Some(&sb).filter(|s| !s.is_empty()).map(|s| s.as_str()),
    )
    .await
    .map_err(|e| a.err(e))?;
    let Some(new_t) = fwd.tables.pop() else {
        return Err(SyncError::Refused(format!("{table} is not on {} any more", a.label)));
    };
    let have = log::table_columns(&b.pool, &sb, &new_t.target).await.map_err(|e| b.err(e))?;
    let want: Vec<&str> = new_t.columns.iter().map(|c| c.target.as_str()).collect();
    let missing: Vec<String> = new_t
        .columns
        .iter()
        .filter(|c| !have.contains(&c.target))
        .map(|c| format!("{} ({})", c.target, c.target_type))
        .collect();
    let extra: Vec<&String> = have.iter().filter(|c| !want.contains(&c.as_str())).collect();
    if !missing.is_empty() || !extra.is_empty() {
        let mut why = Vec::new();
        if !missing.is_empty() {
            why.push(format!("not on {}: {}", b.label, missing.join(", ")));
        }
        if !extra.is_empty() {
            why.push(format!(
                "only on {}: {}",
                b.label,
                extra.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        return Err(SyncError::Refused(format!(
            "{table} still differs between the sides ({}); make them match first",
            why.join("; ")
        )));
    }
    let Some(slot) = link.plan_fwd.tables.iter_mut().find(|t| t.source == table) else {
        return Err(SyncError::Refused(format!("link {} has no table {table}", link.name)));
    };
    let cat = crate::core::catalog::introspect(&a.pool, &a.profile.database_name(), a.profile.only_schema(), |_| {})
        .await
        .map_err(|e| a.err(e))?;
    *slot = new_t;
    if a.engine() != Engine::Postgres {
        let mut stmts = capture::drop_trigger_ddl(a.engine(), &sa, table);
        let cols = captured_columns(&link.plan_fwd, table, &cat);
        stmts.extend(capture::trigger_ddl(a.engine(), &sa, table, &cols).into_iter().map(|x| x.1));
        // Changes captured before held the old columns only: every row goes again, whole.
        stmts.push(capture::log_every_row(a.engine(), &sa, table, &cols));
        exec_together(a, &stmts).await?;
        done.push(format!(
            "{}: capture triggers of {table} made again with its columns now; its rows are sent again whole",
            a.label
        ));
    }
    if link.two_way {
        let mut back = transfer::plan_between(
            &b.profile,
            &b.pool,
            &a.profile,
            (&b.label, &a.label),
            &[table.to_string()],
            Some(&sa).filter(|s| !s.is_empty()).map(|s| s.as_str()),
        )
        .await
        .map_err(|e| b.err(e))?;
        if let (Some(new_b), Some(plan_back)) = (back.tables.pop(), link.plan_back.as_mut()) {
            if b.engine() != Engine::Postgres {
                let cols: Vec<CapturedColumn> = new_b
                    .columns
                    .iter()
                    .map(|c| CapturedColumn {
                        name: c.source.clone(),
                        binary: super::apply::is_binary(b.engine(), &c.source_type),
                        bit: false,
                    })
                    .collect();
                let mut stmts = capture::drop_trigger_ddl(b.engine(), &sb, table);
                stmts.extend(capture::trigger_ddl(b.engine(), &sb, table, &cols).into_iter().map(|x| x.1));
                exec_together(b, &stmts).await?;
                done.push(format!("{}: capture triggers of {table} made again with its columns now", b.label));
            }
            if let Some(slot) = plan_back.tables.iter_mut().find(|t| t.source == table) {
                *slot = new_b;
            }
        }
    }
    state::set_plans(store, &link.name, &link.plan_fwd, link.plan_back.as_ref()).await?;
    done.push(format!(
        "{table}: planned again ({} columns)",
        link.plan_fwd.tables.iter().find(|t| t.source == table).map_or(0, |t| t.columns.len())
    ));
    Ok(done)
}
