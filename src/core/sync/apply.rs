//! Applying changes to a side: each change becomes an upsert (insert, update) or a delete (delete; an update
//! that changes the key is a delete of the old key and an upsert of the new row), values converted with the
//! transfer's casts and written as the target's literals; runs of the same kind on the same table are one
//! statement. The whole batch, the link's new position and the removal of changes that lost a conflict are one
//! transaction on the target, its writes marked with the link as their origin so that the target's own capture
//! (two-way) does not send them back.
use std::collections::HashMap;

use serde_json::{Map, Value};

use super::capture::{ORIGIN, PG_ORIGIN_SETTING};
use super::log::{Change, decode, key_text};
use crate::core::catalog::quote::{ident, literal};
use crate::core::engine::DbPool;
use crate::core::profile::Engine;
use crate::core::transfer::convert::{Class, convert};
use crate::core::transfer::plan::{ColumnPlan, Plan, TablePlan};
use crate::core::transfer::typemap::Cast;

/// Whether a source column holds bytes (its captured text is hex).
pub fn is_binary(engine: Engine, source_type: &str) -> bool {
    let t = source_type.to_ascii_lowercase();
    match engine {
        Engine::Postgres | Engine::Duckdb => t == "bytea",
        Engine::Mysql => t.contains("blob") || t.contains("binary"),
        Engine::Sqlite => false,
    }
}

/// A value as a literal of the target.
fn value_literal(src: Engine, dst: Engine, col: &ColumnPlan, v: Option<&Value>) -> Result<String, String> {
    let (class, text) = decode(src, is_binary(src, &col.source_type), v);
    match convert(col.cast, class, &text, dst)? {
        None => Ok("NULL".into()),
        Some(s) if col.cast == Cast::Bytes && crate::core::transfer::key::is_hex_bytes(&s) => {
            Ok(crate::core::transfer::key::bytes_literal(dst, &s))
        }
        Some(s)
            if dst == Engine::Sqlite
                && matches!(class, Class::Int | Class::Real)
                && !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
                && s.parse::<f64>().is_ok() =>
        {
            Ok(s.into_owned())
        }
        // SQLite reads SQL text only up to a NUL: such text goes as its bytes, cast back to text.
        Some(s) if dst == Engine::Sqlite && s.contains('\0') => {
            let mut hex = String::with_capacity(s.len() * 2);
            crate::core::query::render::hex_into(&mut hex, s.as_bytes());
            Ok(format!("CAST(X'{}' AS TEXT)", hex.trim_start_matches("\\x")))
        }
        Some(s) => Ok(literal(dst, &s)),
    }
}

/// What one change does on the target.
#[derive(Debug)]
enum Op<'a> {
    Upsert(&'a Map<String, Value>),
    Delete(&'a Map<String, Value>),
}

/// One statement of a batch and the table it writes (for the error that names it).
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub table: String,
    pub sql: String,
}

/// A change that cannot be written: its table (paused) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    pub table: String,
    pub seq: i64,
    pub reason: String,
}

fn table_plan<'a>(plan: &'a Plan, tbl: &str) -> Option<&'a TablePlan> {
    plan.tables.iter().find(|t| t.source == tbl)
}

/// The key of a change's row (the source's key columns).
pub fn change_key(plan: &Plan, c: &Change) -> Option<String> {
    let t = table_plan(plan, &c.tbl)?;
    let row = c.new.as_ref().or(c.old.as_ref())?;
    Some(key_text(plan.source_engine, row, &t.key))
}

/// The old key when an update moved the row to another key.
pub fn moved_from(plan: &Plan, c: &Change) -> Option<String> {
    let t = table_plan(plan, &c.tbl)?;
    match (&c.old, &c.new) {
        (Some(o), Some(n)) => {
            let (a, b) = (key_text(plan.source_engine, o, &t.key), key_text(plan.source_engine, n, &t.key));
            (a != b).then_some(a)
        }
        _ => None,
    }
}

fn check_key(t: &TablePlan, row: &Map<String, Value>) -> Result<(), String> {
    match t.key.iter().find(|k| !row.contains_key(*k)) {
        Some(k) => Err(format!("key column {k} of {} is not in the captured row (renamed on the source?)", t.source)),
        None => Ok(()),
    }
}

/// The plan's columns a captured row holds (a row captured before a column was added lacks it: the upsert
/// leaves that column as the target has it).
fn present<'a>(t: &'a TablePlan, row: &Map<String, Value>) -> Vec<&'a ColumnPlan> {
    t.columns.iter().filter(|c| row.contains_key(&c.source)).collect()
}

fn upsert_sql(
    plan: &Plan,
    t: &TablePlan,
    columns: &[&ColumnPlan],
    rows: &[&Map<String, Value>],
) -> Result<String, String> {
    let dst = plan.target_engine;
    let src = plan.source_engine;
    let cols: Vec<String> = columns.iter().map(|c| ident(dst, &c.target)).collect();
    let mut values = Vec::with_capacity(rows.len());
    for row in rows {
        check_key(t, row)?;
        let mut vals = Vec::with_capacity(columns.len());
        for c in columns {
            vals.push(value_literal(src, dst, c, row.get(&c.source)).map_err(|e| format!("column {}: {e}", c.source))?);
        }
        values.push(format!("({})", vals.join(", ")));
    }
    let key_targets: Vec<&str> =
        t.key.iter().filter_map(|k| t.columns.iter().find(|c| &c.source == k).map(|c| c.target.as_str())).collect();
    let rest: Vec<&&ColumnPlan> = columns.iter().filter(|c| !key_targets.contains(&c.target.as_str())).collect();
    let name = crate::core::transfer::ddl::table_name(plan, t);
    let head = format!("INSERT INTO {name} ({}) VALUES {}", cols.join(", "), values.join(", "));
    Ok(match dst {
        Engine::Mysql => {
            let set: Vec<String> = if rest.is_empty() {
                key_targets.iter().take(1).map(|k| format!("{0} = {0}", ident(dst, k))).collect()
            } else {
                rest.iter().map(|c| format!("{0} = VALUES({0})", ident(dst, &c.target))).collect()
            };
            format!("{head} ON DUPLICATE KEY UPDATE {}", set.join(", "))
        }
        _ => {
            let keys: Vec<String> = key_targets.iter().map(|k| ident(dst, k)).collect();
            if rest.is_empty() {
                format!("{head} ON CONFLICT ({}) DO NOTHING", keys.join(", "))
            } else {
                let set: Vec<String> =
                    rest.iter().map(|c| format!("{0} = excluded.{0}", ident(dst, &c.target))).collect();
                format!("{head} ON CONFLICT ({}) DO UPDATE SET {}", keys.join(", "), set.join(", "))
            }
        }
    })
}

fn delete_sql(plan: &Plan, t: &TablePlan, rows: &[&Map<String, Value>]) -> Result<String, String> {
    let dst = plan.target_engine;
    let src = plan.source_engine;
    let keys: Vec<&ColumnPlan> = t.key.iter().filter_map(|k| t.columns.iter().find(|c| &c.source == k)).collect();
    if keys.is_empty() || keys.len() != t.key.len() {
        return Err(format!("{}: its key columns are not all in the plan", t.source));
    }
    let name = crate::core::transfer::ddl::table_name(plan, t);
    let mut conds = Vec::with_capacity(rows.len());
    for row in rows {
        let mut parts = Vec::with_capacity(keys.len());
        for c in &keys {
            let v = value_literal(src, dst, c, row.get(&c.source)).map_err(|e| format!("key {}: {e}", c.source))?;
            parts.push((ident(dst, &c.target), v));
        }
        conds.push(parts);
    }
    if keys.len() == 1 {
        let vals: Vec<String> = conds.iter().map(|p| p[0].1.clone()).collect();
        return Ok(format!("DELETE FROM {name} WHERE {} IN ({})", conds[0][0].0, vals.join(", ")));
    }
    let ors: Vec<String> = conds
        .iter()
        .map(|p| format!("({})", p.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join(" AND ")))
        .collect();
    Ok(format!("DELETE FROM {name} WHERE {}", ors.join(" OR ")))
}

/// Consecutive changes of one kind on one table: (table index, upsert, changes).
type Run<'a> = (usize, bool, Vec<(&'a Change, Op<'a>)>);
/// Rows that hold the same columns.
type Group<'a> = (Vec<&'a ColumnPlan>, Vec<&'a Map<String, Value>>);

/// The statements for a batch of changes in order. A change that cannot be written refuses its table: the
/// first such change per table is returned, and the table's other changes are left out of the statements.
pub fn build(plan: &Plan, changes: &[&Change]) -> (Vec<Statement>, Vec<Refused>) {
    let mut refused: Vec<Refused> = Vec::new();
    // (table index, is upsert, rows): runs of the same kind on the same table.
    let mut runs: Vec<Run> = Vec::new();
    for c in changes {
        let Some(ti) = plan.tables.iter().position(|t| t.source == c.tbl) else { continue };
        let mut ops = Vec::new();
        match (c.op, &c.old, &c.new) {
            ('I', _, Some(n)) => ops.push(Op::Upsert(n)),
            // A whole row logged again (after a schema change): no old image.
            ('U', None, Some(n)) => ops.push(Op::Upsert(n)),
            ('U', Some(o), Some(n)) => {
                if moved_from(plan, c).is_some() {
                    ops.push(Op::Delete(o));
                }
                ops.push(Op::Upsert(n));
            }
            ('D', Some(o), _) => ops.push(Op::Delete(o)),
            _ => {
                if !refused.iter().any(|r| r.table == c.tbl) {
                    refused.push(Refused {
                        table: c.tbl.clone(),
                        seq: c.seq,
                        reason: format!("change {} ({}) has no row image", c.seq, c.op),
                    });
                }
                continue;
            }
        }
        for op in ops {
            let up = matches!(op, Op::Upsert(_));
            match runs.last_mut() {
                Some((t, u, rows)) if *t == ti && *u == up && rows.len() < 1000 => rows.push((c, op)),
                _ => runs.push((ti, up, vec![(c, op)])),
            }
        }
    }
    let mut out = Vec::new();
    for (ti, up, rows) in runs {
        let t = &plan.tables[ti];
        if refused.iter().any(|r| r.table == t.source) {
            continue;
        }
        // The last image of each key (one statement cannot touch a row twice).
        let mut last: HashMap<String, usize> = HashMap::new();
        let maps: Vec<&Map<String, Value>> = rows
            .iter()
            .map(|(_, op)| match op {
                Op::Upsert(m) | Op::Delete(m) => *m,
            })
            .collect();
        for (i, m) in maps.iter().enumerate() {
            last.insert(key_text(plan.source_engine, m, &t.key), i);
        }
        let keep: Vec<&Map<String, Value>> = maps
            .iter()
            .enumerate()
            .filter(|(i, m)| last.get(&key_text(plan.source_engine, m, &t.key)) == Some(i))
            .map(|(_, m)| *m)
            .collect();
        let sqls: Vec<Result<String, String>> = if up {
            // One statement per set of columns the rows hold (all of them, but for rows captured before a
            // column was added).
            let mut groups: Vec<Group> = Vec::new();
            for m in &keep {
                let cols = present(t, m);
                match groups
                    .iter_mut()
                    .find(|g| g.0.len() == cols.len() && g.0.iter().zip(&cols).all(|(a, b)| std::ptr::eq(*a, *b)))
                {
                    Some(g) => g.1.push(m),
                    None => groups.push((cols, vec![m])),
                }
            }
            groups.iter().map(|(cols, rows)| upsert_sql(plan, t, cols, rows)).collect()
        } else {
            vec![delete_sql(plan, t, &keep)]
        };
        for sql in sqls {
            match sql {
                Ok(sql) => out.push(Statement { table: t.source.clone(), sql }),
                Err(reason) => {
                    let seq = rows.first().map_or(0, |(c, _)| c.seq);
                    refused.push(Refused { table: t.source.clone(), seq, reason });
                }
            }
        }
    }
    out.retain(|s| !refused.iter().any(|r| r.table == s.table));
    (out, refused)
}

/// Why a batch did not commit.
#[derive(Debug, Clone, PartialEq)]
pub enum ApplyError {
    /// The side cannot be reached (or the connection broke): retry later.
    Offline(String),
    /// A statement was refused: the table it writes, and the server's words.
    Statement { table: Option<String>, message: String },
}

impl std::fmt::Display for ApplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApplyError::Offline(m) => write!(f, "{m}"),
            ApplyError::Statement { table: Some(t), message } => write!(f, "{t}: {message}"),
            ApplyError::Statement { table: None, message } => write!(f, "{message}"),
        }
    }
}

/// Whether an error means the side is unreachable rather than that a statement was refused.
pub fn is_connection(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
        sqlx::Error::Protocol(_) | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => {
            let code = d.code().map(|c| c.to_string()).unwrap_or_default();
            code.starts_with("08")
                || code.starts_with("57P")
                || code == "53300"
                || d.message().contains("server has gone away")
        }
        _ => false,
    }
}

fn classify(table: Option<&str>, e: sqlx::Error) -> ApplyError {
    let message = crate::core::query::QueryError::from_sqlx(&e).to_string();
    if is_connection(&e) {
        ApplyError::Offline(message)
    } else {
        ApplyError::Statement { table: table.map(str::to_string), message }
    }
}

/// Runs a batch in one transaction: the origin mark, the statements, then `tail` (the position, removals),
/// then commit. Nothing is written unless all of it is.
pub async fn run(pool: &DbPool, link: &str, statements: &[Statement], tail: &[String]) -> Result<(), ApplyError> {
    let e = pool.engine();
    let (mark, unmark) = match e {
        Engine::Postgres | Engine::Duckdb => {
            (format!("SELECT set_config('{PG_ORIGIN_SETTING}', {}, true)", literal(e, link)), None)
        }
        Engine::Mysql => {
            (format!("SET @dbconsole_origin = {}", literal(e, link)), Some("SET @dbconsole_origin = NULL".to_string()))
        }
        Engine::Sqlite => (
            format!("INSERT INTO {} (origin) VALUES ({})", ident(e, ORIGIN), literal(e, link)),
            Some(format!("DELETE FROM {}", ident(e, ORIGIN))),
        ),
    };
    macro_rules! go {
        ($tx:expr) => {{
            let mut tx = $tx.map_err(|e| classify(None, e))?;
            let q = |s: &str| sqlx::query(sqlx::AssertSqlSafe(s.to_string())).persistent(false);
            q(&mark).execute(&mut *tx).await.map_err(|e| classify(None, e))?;
            for s in statements {
                q(&s.sql).execute(&mut *tx).await.map_err(|e| classify(Some(&s.table), e))?;
            }
            for s in tail {
                q(s).execute(&mut *tx).await.map_err(|e| classify(None, e))?;
            }
            if let Some(u) = &unmark {
                q(u).execute(&mut *tx).await.map_err(|e| classify(None, e))?;
            }
            tx.commit().await.map_err(|e| classify(None, e))
        }};
    }
    match pool {
        DbPool::Postgres(p) => go!(p.begin().await),
        DbPool::Mysql(p) => go!(p.begin().await),
        // IMMEDIATE: take the write lock at once (a deferred transaction that upgrades can fail busy at once).
        DbPool::Sqlite(p) => go!(p.begin_with("BEGIN IMMEDIATE").await),
        DbPool::Duckdb(_) => Err(classify(None, crate::core::engine::NotWritable.into())),
    }
}

/// The statement that takes changes that lost a conflict out of this link's way in a side's own log: they are
/// marked as the link's own writes, which the link never sends (other links reading the same log still see
/// them; the log keeps its highest number, see `log::prune`).
pub fn drop_changes_sql(e: Engine, schema: &str, link: &str, seqs: &[i64]) -> Option<String> {
    if seqs.is_empty() {
        return None;
    }
    let s: Vec<String> = seqs.iter().map(|x| x.to_string()).collect();
    Some(format!(
        "UPDATE {} SET origin = {} WHERE seq IN ({})",
        super::capture::table(e, schema, super::capture::CHANGES),
        literal(e, link),
        s.join(", ")
    ))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::core::transfer::plan::{Existing, Mode, OnError};

    /// A one-table plan keyed on `id` (shared with the property tests).
    pub(in crate::core::sync) fn one_table(src: Engine, dst: Engine, table: &str, cols: &[(&str, Cast, &str)]) -> Plan {
        let col = |(n, cast, ty): &(&str, Cast, &str)| ColumnPlan {
            source: n.to_string(),
            target: n.to_string(),
            source_type: ty.to_string(),
            target_type: ty.to_string(),
            cast: *cast,
            nullable: true,
            default: None,
            identity: false,
            reason: String::new(),
            lossy: None,
        };
        Plan {
            from: "a".into(),
            to: "b".into(),
            source_engine: src,
            target_engine: dst,
            target_schema: if dst == Engine::Postgres { "public".into() } else { String::new() },
            mode: Mode::SchemaAndData,
            existing: Existing::Fail,
            on_error: OnError::Stop,
            parallel: 1,
            batch_rows: 1,
            rejects: String::new(),
            tables: vec![TablePlan {
                source_schema: String::new(),
                source: table.into(),
                target: table.into(),
                rows: 0,
                filter: String::new(),
                key: vec!["id".into()],
                columns: cols.iter().map(col).collect(),
                extra_columns: vec![],
                primary_key: vec!["id".into()],
                indexes: vec![],
                foreign_keys: vec![],
                checks: vec![],
                notes: vec![],
            }],
            views: vec![],
            not_migrated: vec![],
            triggers: vec![],
            types: vec![],
        }
    }

    fn plan(src: Engine, dst: Engine) -> Plan {
        one_table(
            src,
            dst,
            "t'x",
            &[("id", Cast::Int, "integer"), ("note", Cast::Text, "text"), ("b", Cast::Bytes, "blob")],
        )
    }

    fn change(seq: i64, op: char, old: Option<&str>, new: Option<&str>) -> Change {
        let p = |s: Option<&str>| s.map(|s| serde_json::from_str::<Map<String, Value>>(s).unwrap());
        Change { seq, tbl: "t'x".into(), op, old: p(old), new: p(new), origin: None, at: 0 }
    }

    #[test]
    fn batches_become_one_statement_per_run_with_hostile_values() {
        let p = plan(Engine::Sqlite, Engine::Postgres);
        let a = change(1, 'I', None, Some(r#"{"id":"i1","note":"t'; DROP TABLE x; --\u0001é","b":"b00FF"}"#));
        let b =
            change(2, 'U', Some(r#"{"id":"i1","note":"tx","b":null}"#), Some(r#"{"id":"i1","note":"ty","b":null}"#));
        let h = change(3, 'I', None, Some(r#"{"id":"i3","note":"t'; DROP TABLE x; --\u0001é","b":null}"#));
        let c = change(4, 'D', Some(r#"{"id":"i2","note":"tx","b":null}"#), None);
        let (st, refused) = build(&p, &[&a, &b, &h, &c]);
        assert!(refused.is_empty(), "{refused:?}");
        assert_eq!(st.len(), 2, "{st:?}");
        // The key written twice in one run: its last image only; the hostile text one quoted literal.
        assert!(st[0].sql.contains("('1', 'y', NULL)"), "{}", st[0].sql);
        assert!(st[0].sql.contains("('3', '''; DROP TABLE x; --\u{1}é', NULL)"), "{}", st[0].sql);
        assert!(st[0].sql.contains("ON CONFLICT (\"id\") DO UPDATE SET"));
        assert_eq!(st[1].sql, "DELETE FROM \"public\".\"t'x\" WHERE \"id\" IN ('2')");
        for s in &st {
            assert_eq!(crate::core::sql::split(&s.sql, Engine::Postgres).len(), 1);
        }
    }

    #[test]
    fn key_changes_delete_the_old_key_and_bad_values_refuse_the_table() {
        let p = plan(Engine::Sqlite, Engine::Mysql);
        let moved =
            change(5, 'U', Some(r#"{"id":"i1","note":"t","b":null}"#), Some(r#"{"id":"i9","note":"t","b":"bAB"}"#));
        let (st, _) = build(&p, &[&moved]);
        assert!(st[0].sql.starts_with("DELETE FROM `t'x` WHERE `id` IN ('1')"), "{}", st[0].sql);
        assert!(st[1].sql.contains("X'ab'") && st[1].sql.contains("ON DUPLICATE KEY UPDATE"), "{}", st[1].sql);
        let bad = change(6, 'I', None, Some(r#"{"id":"tnot a number","note":"t","b":null}"#));
        let (st, refused) = build(&p, &[&bad]);
        assert!(st.is_empty());
        assert_eq!(refused[0].seq, 6);
        assert!(refused[0].reason.contains("not an integer"), "{}", refused[0].reason);
        // A row captured before a column was added: that column is left as the target has it.
        let older = change(7, 'I', None, Some(r#"{"id":"i3","note":"told"}"#));
        let newer = change(8, 'I', None, Some(r#"{"id":"i4","note":"tnew","b":null}"#));
        let (st, refused) = build(&p, &[&older, &newer]);
        assert!(refused.is_empty(), "{refused:?}");
        assert!(st[0].sql.starts_with("INSERT INTO `t'x` (`id`, `note`) VALUES ('3', 'old')"), "{}", st[0].sql);
        assert!(
            st[1].sql.starts_with("INSERT INTO `t'x` (`id`, `note`, `b`) VALUES ('4', 'new', NULL)"),
            "{}",
            st[1].sql
        );
        let keyless = change(9, 'I', None, Some(r#"{"note":"t"}"#));
        let (_, refused) = build(&p, &[&keyless]);
        assert!(refused[0].reason.contains("key column id of t'x is not in the captured row"), "{:?}", refused);
    }

    #[test]
    fn sqlite_targets_keep_numbers_numbers() {
        let p = plan(Engine::Postgres, Engine::Sqlite);
        let a = change(1, 'I', None, Some(r#"{"id":"1","note":null,"b":null}"#));
        let (st, _) = build(&p, &[&a]);
        assert!(st[0].sql.contains("VALUES ('1', NULL, NULL)"), "text from PostgreSQL is text: {}", st[0].sql);
        let p = plan(Engine::Sqlite, Engine::Sqlite);
        let (st, _) = build(&p, &[&change(1, 'I', None, Some(r#"{"id":"i1","note":"r2.5","b":null}"#))]);
        assert!(st[0].sql.contains("VALUES (1, 2.5, NULL)"), "{}", st[0].sql);
    }
}
