//! SQLite introspection: sqlite_schema plus the pragma table-valued functions, one query per kind of object.
use std::collections::HashMap;

use sqlx::{Row, SqliteConnection};

use super::model::*;
use super::sqltext;
use super::{CatalogError, Progress};
use crate::core::profile::Engine;

/// Runs `select` (a list of expressions) over `from` and returns its rows, aggregated by SQLite into one JSON
/// array: one row crosses sqlx's worker-thread channel instead of 100,000 (ten times faster, and flat memory).
async fn json_rows<T: serde::de::DeserializeOwned>(
    conn: &mut SqliteConnection,
    select: &str,
    from: &str,
) -> Result<Vec<T>, CatalogError> {
    let sql = format!("SELECT json_group_array(json_array({select})) FROM {from}");
    let text: String = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *conn).await?.try_get(0)?;
    serde_json::from_str(&text).map_err(|e| CatalogError::Query(sqlx::Error::Decode(Box::new(e))))
}

pub async fn introspect(
    conn: &mut SqliteConnection,
    database: &str,
    progress: &mut Progress<'_>,
) -> Result<Catalog, CatalogError> {
    let version: String = sqlx::query("SELECT sqlite_version()").fetch_one(&mut *conn).await?.try_get(0)?;
    let fk_on: i64 = sqlx::query("PRAGMA foreign_keys").fetch_one(&mut *conn).await?.try_get(0)?;
    let mut warnings = Vec::new();

    progress.stage("tables");
    let objects: Vec<(String, String, String, Option<String>)> =
        json_rows(conn, "type, name, tbl_name, sql", "sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
            .await?;
    let mut tables: Vec<Table> = Vec::new();
    let mut index_sql: HashMap<String, String> = HashMap::new();
    let mut table_sql: HashMap<String, String> = HashMap::new();
    let mut triggers: Vec<(String, Trigger)> = Vec::new();
    for (kind, name, tbl, sql) in objects {
        match kind.as_str() {
            "table" => {
                if sql.as_deref().is_some_and(|s| s.trim_start().to_ascii_uppercase().starts_with("CREATE VIRTUAL")) {
                    warnings.push(format!("virtual table `{name}` is listed without its internals"));
                }
                table_sql.insert(name.clone(), sql.unwrap_or_default());
                tables.push(Table::new(&name, TableKind::Table));
            }
            "view" => {
                let mut t = Table::new(&name, TableKind::View);
                t.definition = sql.as_deref().and_then(view_body).map(str::to_string);
                tables.push(t);
            }
            "index" => {
                if let Some(s) = sql {
                    index_sql.insert(name, s);
                }
            }
            "trigger" => {
                let sql = sql.unwrap_or_default();
                let upper = sql.to_ascii_uppercase();
                let timing = if upper.contains("INSTEAD OF") {
                    "INSTEAD OF"
                } else if sqltext::find_keyword(&sql, "BEFORE", 0).is_empty() {
                    "AFTER"
                } else {
                    "BEFORE"
                };
                let events = ["INSERT", "UPDATE", "DELETE"]
                    .iter()
                    .filter(|e| {
                        sqltext::find_keyword(&sql, e, 0)
                            .first()
                            .is_some_and(|at| sqltext::find_keyword(&sql, "BEGIN", 0).first().is_none_or(|b| at < b))
                    })
                    .map(|e| e.to_string())
                    .collect();
                triggers.push((tbl, Trigger { name, timing: timing.into(), events, definition: sql }));
            }
            _ => {}
        }
    }
    let pos: HashMap<String, usize> = tables.iter().enumerate().map(|(i, t)| (t.name.clone(), i)).collect();

    // WITHOUT ROWID and STRICT (pragma_table_list, SQLite 3.37+).
    match sqlx::query("SELECT name, wr, strict FROM pragma_table_list WHERE schema = 'main'")
        .fetch_all(&mut *conn)
        .await
    {
        Ok(rows) => {
            for r in rows {
                let name: String = r.try_get(0)?;
                if let Some(&i) = pos.get(&name) {
                    tables[i].without_rowid = r.try_get::<i64, _>(1)? != 0;
                    tables[i].strict = r.try_get::<i64, _>(2)? != 0;
                }
            }
        }
        Err(_) => warnings.push("this SQLite is older than 3.37: WITHOUT ROWID and STRICT are not shown".into()),
    }

    progress.stage("columns");
    type ColRow = (String, i64, String, Option<String>, i64, Option<String>, i64, i64);
    let cols: Vec<ColRow> = json_rows(
        conn,
        "m.name, p.cid, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk, p.hidden",
        "sqlite_schema m JOIN pragma_table_xinfo(m.name) p \
         WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    )
    .await?;
    let mut pk_cols: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    for (table, cid, name, declared, notnull, default, pk, hidden) in cols {
        let Some(&i) = pos.get(&table) else { continue };
        let declared = declared.unwrap_or_default();
        if hidden == 1 {
            continue; // a virtual table's hidden column
        }
        if pk > 0 {
            pk_cols.entry(table.clone()).or_default().push((pk, name.clone()));
        }
        tables[i].columns.push(Column {
            name,
            position: cid as i32 + 1,
            type_family: type_family(Engine::Sqlite, &declared),
            data_type: declared,
            nullable: notnull == 0,
            default,
            identity: None,
            generated: (hidden == 2 || hidden == 3).then(String::new),
            collation: None,
            comment: None,
        });
    }
    for t in tables.iter_mut() {
        if let Some(mut pk) = pk_cols.remove(&t.name) {
            pk.sort();
            let columns: Vec<String> = pk.into_iter().map(|(_, n)| n).collect();
            let sql = table_sql.get(&t.name).cloned().unwrap_or_default();
            if columns.len() == 1
                && !t.without_rowid
                && let Some(c) = t.columns.iter_mut().find(|c| c.name == columns[0])
                && c.data_type.eq_ignore_ascii_case("INTEGER")
            {
                c.identity = Some(if sqltext::find_keyword(&sql, "AUTOINCREMENT", 1).is_empty() {
                    Identity::Rowid
                } else {
                    Identity::AutoIncrement
                });
            }
            let name = pk_constraint_name(&sql);
            t.primary_key = Some(Key { name, columns });
        }
        if let Some(sql) = table_sql.get(&t.name) {
            // Parsing the CREATE text is only needed when it holds what the pragmas do not give.
            let upper = sql.to_ascii_uppercase();
            if upper.contains("CHECK") {
                for (name, expression) in sqltext::checks(sql) {
                    t.checks.push(Check { name, expression });
                }
            }
            if !(upper.contains("COLLATE") || t.columns.iter().any(|c| c.generated.is_some())) {
                continue;
            }
            for (col, collation, generated) in sqltext::column_facts(sql) {
                if let Some(c) = t.columns.iter_mut().find(|c| c.name == col) {
                    c.collation = collation;
                    if c.generated.is_some() {
                        c.generated = generated.or(Some(String::new()));
                    }
                }
            }
        }
    }

    progress.stage("indexes");
    // The index list is cheap; pragma_index_xinfo is not (it costs most of the catalog read on 10,000 tables).
    // Parts come from the CREATE INDEX text for explicit indexes and from the primary key for its automatic
    // index; pragma_index_xinfo is asked only for the automatic indexes of UNIQUE constraints.
    type ListRow = (String, String, i64, String);
    let list: Vec<ListRow> = json_rows(
        conn,
        "m.name, il.name, il.\"unique\", il.origin",
        "sqlite_schema m JOIN pragma_index_list(m.name) il WHERE m.type = 'table'",
    )
    .await?;
    let mut unique_parts: HashMap<String, Vec<IndexPart>> = HashMap::new();
    if list.iter().any(|r| r.3 == "u") {
        type XRow = (String, Option<String>, i64);
        let xinfo: Vec<XRow> = json_rows(
            conn,
            "il.name, ii.name, ii.\"desc\"",
            "sqlite_schema m JOIN pragma_index_list(m.name) il JOIN pragma_index_xinfo(il.name) ii \
             WHERE m.type = 'table' AND il.origin = 'u' AND ii.key = 1",
        )
        .await?;
        for (index, column, desc) in xinfo {
            unique_parts.entry(index).or_default().push(IndexPart {
                column,
                expression: None,
                descending: desc != 0,
                prefix_length: None,
            });
        }
    }
    let mut origins: HashMap<String, String> = HashMap::new();
    for (table, name, unique, origin) in list {
        let Some(&i) = pos.get(&table) else { continue };
        let t = &mut tables[i];
        let sql = index_sql.get(&name).cloned();
        let (texts, predicate) = sql.as_deref().map(sqltext::index_parts).unwrap_or_default();
        let parts = match origin.as_str() {
            "pk" => t
                .primary_key
                .as_ref()
                .map(|k| {
                    k.columns
                        .iter()
                        .map(|c| IndexPart {
                            column: Some(c.clone()),
                            expression: None,
                            descending: false,
                            prefix_length: None,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            "u" => unique_parts.remove(&name).unwrap_or_default(),
            _ => texts.iter().map(|text| part_from_text(text, &t.columns)).collect(),
        };
        origins.insert(name.clone(), origin.clone());
        t.indexes.push(Index {
            name,
            parts,
            unique: unique != 0,
            constraint: origin != "c",
            predicate,
            method: None,
            definition: sql,
        });
    }
    for t in tables.iter_mut() {
        // UNIQUE constraints are the indexes SQLite made for them.
        let uniques: Vec<Key> = t
            .indexes
            .iter()
            .filter(|x| origins.get(&x.name).is_some_and(|o| o == "u"))
            .map(|x| Key { name: None, columns: x.parts.iter().filter_map(|p| p.column.clone()).collect() })
            .collect();
        t.unique_constraints = uniques;
    }

    progress.stage("foreign keys");
    type FkRow = (String, i64, i64, String, String, Option<String>, String, String);
    let fks: Vec<FkRow> = json_rows(
        conn,
        "m.name, fk.id, fk.seq, fk.\"table\", fk.\"from\", fk.\"to\", fk.on_update, fk.on_delete",
        "sqlite_schema m JOIN pragma_foreign_key_list(m.name) fk WHERE m.type = 'table'",
    )
    .await?;
    let mut fk_ids: HashMap<(String, i64), usize> = HashMap::new();
    for (table, id, _seq, target, from, to, on_update, on_delete) in fks {
        let Some(&i) = pos.get(&table) else { continue };
        let t = &mut tables[i];
        let k = *fk_ids.entry((table.clone(), id)).or_insert_with(|| {
            t.foreign_keys.push(ForeignKey {
                name: None,
                columns: Vec::new(),
                referenced_schema: "main".into(),
                referenced_table: target.clone(),
                referenced_columns: Vec::new(),
                on_delete: FkAction::parse(&on_delete),
                on_update: FkAction::parse(&on_update),
            });
            t.foreign_keys.len() - 1
        });
        t.foreign_keys[k].columns.push(from);
        if let Some(to) = to {
            t.foreign_keys[k].referenced_columns.push(to);
        }
    }
    // A foreign key that names no columns refers to the parent's primary key.
    let pks: HashMap<String, Vec<String>> =
        tables.iter().filter_map(|t| t.primary_key.as_ref().map(|k| (t.name.clone(), k.columns.clone()))).collect();
    for t in tables.iter_mut() {
        for fk in t.foreign_keys.iter_mut() {
            if fk.referenced_columns.is_empty() {
                fk.referenced_columns = pks.get(&fk.referenced_table).cloned().unwrap_or_default();
            }
        }
    }

    for (tbl, trig) in triggers {
        if let Some(&i) = pos.get(&tbl) {
            tables[i].triggers.push(trig);
        }
    }

    progress.stage("statistics");
    if let Ok(rows) = sqlx::query("SELECT tbl, stat FROM sqlite_stat1").fetch_all(&mut *conn).await {
        for r in rows {
            let tbl: String = r.try_get(0)?;
            let stat: String = r.try_get(1)?;
            if let (Some(&i), Some(n)) =
                (pos.get(&tbl), stat.split_whitespace().next().and_then(|s| s.parse::<i64>().ok()))
            {
                let e = tables[i].row_estimate.get_or_insert(0);
                *e = (*e).max(n);
            }
        }
    }
    // Sizes come from dbstat, which reads every page: done in bulk only for databases up to 20,000 pages.
    let pages: i64 = sqlx::query("PRAGMA page_count").fetch_one(&mut *conn).await?.try_get(0)?;
    if pages > 20_000 {
        warnings.push(format!("table sizes are not read for a database of {pages} pages (dbstat reads every page)"));
    } else if let Ok(rows) =
        sqlx::query("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetch_all(&mut *conn).await
    {
        let sizes: HashMap<String, i64> =
            rows.iter().filter_map(|r| Some((r.try_get::<String, _>(0).ok()?, r.try_get::<i64, _>(1).ok()?))).collect();
        for t in tables.iter_mut().filter(|t| t.kind == TableKind::Table) {
            let own = sizes.get(&t.name).copied().unwrap_or(0);
            // pragma_index_list lists the automatic indexes (sqlite_autoindex_…) too.
            let idx: i64 = t.indexes.iter().filter_map(|x| sizes.get(&x.name)).sum();
            t.size_bytes = Some(own + idx);
        }
    }
    progress.stage("done");
    Ok(Catalog {
        engine: Engine::Sqlite,
        server_version: version,
        database: database.to_string(),
        schemas: vec![Schema { name: "main".into(), tables, ..Default::default() }],
        extensions: Vec::new(),
        foreign_keys_enforced: Some(fk_on != 0),
        warnings,
    })
}

/// One part of a CREATE INDEX list: a column when it is just a column's name, else an expression.
fn part_from_text(text: &str, columns: &[Column]) -> IndexPart {
    let descending = sqltext::find_keyword(text, "DESC", 0).last().is_some_and(|at| text[at + 4..].trim().is_empty());
    let stripped = sqltext::strip_order(text);
    let single = !stripped.contains('(')
        && (stripped.starts_with(['"', '`', '['])
            || stripped.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '$'));
    let name = sqltext::unquote(&stripped);
    match columns.iter().find(|c| single && c.name.eq_ignore_ascii_case(&name)) {
        Some(c) => IndexPart { column: Some(c.name.clone()), expression: None, descending, prefix_length: None },
        None => IndexPart { column: None, expression: Some(stripped), descending, prefix_length: None },
    }
}

/// `CONSTRAINT name PRIMARY KEY` in a CREATE TABLE.
fn pk_constraint_name(sql: &str) -> Option<String> {
    let (items, _) = sqltext::paren_items(sql)?;
    for item in items {
        if let Some(at) = sqltext::find_keyword(item, "PRIMARY", 0).first() {
            let before = item[..*at].trim_end();
            if let Some(c) = sqltext::find_keyword(before, "CONSTRAINT", 0).last() {
                return Some(sqltext::unquote(before[c + "CONSTRAINT".len()..].trim()));
            }
        }
    }
    None
}

/// The SELECT of a CREATE VIEW statement.
fn view_body(sql: &str) -> Option<&str> {
    let at = *sqltext::find_keyword(sql, "AS", 0).first()?;
    Some(sql[at + 2..].trim().trim_end_matches(';').trim())
}
