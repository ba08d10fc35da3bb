//! Resolving a parked conflict: the chosen side's current row (or its absence) is written to the other side as the
//! link's own write, and the resolution is logged.
use super::apply;
use super::log::{self, Change};
use super::{Link, Side, SyncError, state};
use crate::core::profile::Engine;
use crate::core::store::Store;

/// Resolves a parked conflict: the chosen side's current row (or its absence) is written to the other side,
/// marked as the link's own write so it is not sent back.
pub async fn resolve(
    link: &Link,
    a: &Side,
    b: &Side,
    store: &Store,
    id: i64,
    take_source: bool,
) -> Result<(), SyncError> {
    let c = state::conflict(store, &link.name, id).await?.ok_or_else(|| {
        SyncError::Refused(format!("link {} has no conflict {id} (`sync conflicts {}`)", link.name, link.name))
    })?;
    if c.resolved_at.is_some() {
        return Err(SyncError::Refused(format!(
            "conflict {id} was resolved at {} (took the {})",
            c.resolved_at.unwrap_or_default(),
            c.taken.unwrap_or_default()
        )));
    }
    let back = link.plan_back.as_ref().ok_or_else(|| SyncError::Refused("a one-way link has no conflicts".into()))?;
    let (from, to, plan, from_schema) =
        if take_source { (a, b, &link.plan_fwd, link.source_schema()) } else { (b, a, back, link.target_schema()) };
    let t = plan
        .tables
        .iter()
        .find(|t| t.source == c.table)
        .ok_or_else(|| SyncError::Refused(format!("table {} is no longer in the link", c.table)))?;
    let keys: Vec<Option<String>> = serde_json::from_str(&c.key).unwrap_or_default();
    let e = from.engine();
    let cols: Vec<super::capture::CapturedColumn> = t
        .columns
        .iter()
        .map(|col| super::capture::CapturedColumn {
            name: col.source.clone(),
            binary: apply::is_binary(e, &col.source_type),
            bit: e == Engine::Mysql && col.source_type.to_ascii_lowercase().starts_with("bit"),
        })
        .collect();
    let conds: Vec<String> = t
        .key
        .iter()
        .zip(&keys)
        .map(|(k, v)| match v {
            Some(v) => {
                format!("{} = {}", crate::core::catalog::quote::ident(e, k), crate::core::catalog::quote::literal(e, v))
            }
            None => format!("{} IS NULL", crate::core::catalog::quote::ident(e, k)),
        })
        .collect();
    let table = match e {
        Engine::Postgres => crate::core::catalog::quote::qualified(e, &from_schema, &t.source),
        _ => crate::core::catalog::quote::ident(e, &t.source),
    };
    let sql =
        format!("SELECT {} FROM {table} AS r WHERE {}", super::capture::row_json(e, "r", &cols), conds.join(" AND "));
    let row: Option<String> =
        log::on_pool!(&from.pool, p => sqlx::query_scalar::<_, Option<String>>(sqlx::AssertSqlSafe(sql.clone())).fetch_optional(p).await)
            .map_err(|er| from.err(crate::core::query::QueryError::from_sqlx(&er)))?
            .flatten();
    let change = match row {
        Some(text) => Change {
            seq: 0,
            tbl: c.table.clone(),
            op: 'I',
            old: None,
            new: log::parse_row(Some(&text)).map_err(|er| from.err(er))?,
            origin: None,
            at: 0,
        },
        None => {
            // Gone on the chosen side: delete it on the other. The key in the chosen side's own encoding.
            let mut m = serde_json::Map::new();
            for (k, v) in t.key.iter().zip(&keys) {
                let v = v.as_ref().map(|s| if e == Engine::Sqlite { format!("t{s}") } else { s.clone() });
                m.insert(k.clone(), v.map_or(serde_json::Value::Null, serde_json::Value::String));
            }
            Change { seq: 0, tbl: c.table.clone(), op: 'D', old: Some(m), new: None, origin: None, at: 0 }
        }
    };
    let (statements, refused) = apply::build(plan, &[&change]);
    if let Some(r) = refused.first() {
        return Err(to.err(format!("cannot write the chosen version: {}", r.reason)));
    }
    apply::run(&to.pool, &link.name, &statements, &[]).await.map_err(|er| to.err(er))?;
    state::resolve_conflict(store, &link.name, id, if take_source { "source" } else { "target" }).await?;
    Ok(())
}
