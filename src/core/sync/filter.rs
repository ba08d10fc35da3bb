//! Row filters (selective sync, one-way links): before a batch is applied, the source is asked which of its rows
//! match each table's filter now; a change to a row that does not becomes the row's removal from the target.
use std::collections::{HashMap, HashSet};

use super::apply;
use super::log::{self, Change};
use crate::core::engine::DbPool;
use crate::core::profile::Engine;
use crate::core::transfer::Plan;

/// The keys among `keys` whose rows match the table's filter on the source now, written as the capture writes
/// them (so that a key compares equal whatever its type).
async fn matching(
    pool: &DbPool,
    t: &crate::core::transfer::plan::TablePlan,
    keys: &[Vec<Option<String>>],
) -> Result<HashSet<String>, String> {
    use crate::core::catalog::quote::{ident, literal, qualified};
    let e = pool.engine();
    let mut out = HashSet::new();
    let key_cols: Vec<super::capture::CapturedColumn> = t
        .key
        .iter()
        .map(|k| {
            let ty = t
                .columns
                .iter()
                .find(|c| &c.source == k)
                .map(|c| c.source_type.to_ascii_lowercase())
                .unwrap_or_default();
            super::capture::CapturedColumn {
                name: k.clone(),
                binary: apply::is_binary(e, &ty),
                bit: e == Engine::Mysql && ty.starts_with("bit"),
            }
        })
        .collect();
    let table = match e {
        Engine::Postgres => qualified(e, &t.source_schema, &t.source),
        _ => ident(e, &t.source),
    };
    for chunk in keys.chunks(500) {
        let conds: Vec<String> = chunk
            .iter()
            .map(|k| {
                let parts: Vec<String> = t
                    .key
                    .iter()
                    .zip(k)
                    .map(|(c, v)| match v {
                        Some(v) => format!("r.{} = {}", ident(e, c), literal(e, v)),
                        None => format!("r.{} IS NULL", ident(e, c)),
                    })
                    .collect();
                format!("({})", parts.join(" AND "))
            })
            .collect();
        let sql = format!(
            "SELECT {} FROM {table} AS r WHERE ({}) AND ({})",
            super::capture::row_json(e, "r", &key_cols),
            t.filter,
            conds.join(" OR ")
        );
        let rows: Vec<Option<String>> = log::on_pool!(pool, p => sqlx::query_scalar::<_, Option<String>>(
            sqlx::AssertSqlSafe(sql.clone())
        )
        .persistent(false)
        .fetch_all(p)
        .await)
        .map_err(|e| crate::core::query::QueryError::from_sqlx(&e).to_string())?;
        for row in rows.into_iter().flatten() {
            if let Some(m) = log::parse_row(Some(&row))? {
                out.insert(log::key_text(e, &m, &t.key));
            }
        }
    }
    Ok(out)
}

/// A batch with each table's row filter applied: a change whose row matches the filter now goes as it is; one
/// whose row does not (or no longer exists) becomes the row's removal from the target, so the target holds
/// exactly the rows that match.
pub async fn apply_filters(pool: &DbPool, plan: &Plan, batch: &[&Change]) -> Result<Vec<Change>, String> {
    let src = plan.source_engine;
    let mut allowed: HashMap<String, HashSet<String>> = HashMap::new();
    for t in plan.tables.iter().filter(|t| !t.filter.is_empty()) {
        let mut keys: Vec<Vec<Option<String>>> = Vec::new();
        let mut seen = HashSet::new();
        for c in batch.iter().filter(|c| c.tbl == t.source) {
            if let Some(row) = &c.new {
                let k = log::key_text(src, row, &t.key);
                if seen.insert(k.clone()) {
                    let parsed: Vec<Option<String>> = serde_json::from_str(&k).unwrap_or_default();
                    keys.push(parsed);
                }
            }
        }
        allowed.insert(t.source.clone(), matching(pool, t, &keys).await?);
    }
    let mut out = Vec::with_capacity(batch.len());
    for c in batch {
        let Some(ok) = allowed.get(&c.tbl) else {
            out.push((*c).clone());
            continue;
        };
        let key = plan.tables.iter().find(|t| t.source == c.tbl).map(|t| &t.key);
        let (Some(key), Some(new)) = (key, &c.new) else {
            out.push((*c).clone());
            continue;
        };
        if ok.contains(&log::key_text(src, new, key)) {
            out.push((*c).clone());
            continue;
        }
        // Not (or no longer) matching: the old key (when it moved) and the new one leave the target.
        if let (Some(old), Some(_)) = (&c.old, apply::moved_from(plan, c)) {
            out.push(Change { op: 'D', old: Some(old.clone()), new: None, ..(*c).clone() });
        }
        out.push(Change { op: 'D', old: Some(new.clone()), new: None, ..(*c).clone() });
    }
    Ok(out)
}
