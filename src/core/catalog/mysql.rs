//! MySQL and MariaDB introspection from information_schema: one query per kind of object. information_schema
//! shows only what the connected account has privileges on; what it hides is said in the warnings.
use std::collections::HashMap;

use sqlx::mysql::MySqlRow;
use sqlx::{MySqlPool, Row};

use super::model::*;
use super::{CatalogError, Progress};
use crate::core::profile::Engine;

/// information_schema text can arrive as VARCHAR or as binary, depending on server and version.
fn text(r: &MySqlRow, i: usize) -> Result<String, sqlx::Error> {
    Ok(opt(r, i)?.unwrap_or_default())
}

fn opt(r: &MySqlRow, i: usize) -> Result<Option<String>, sqlx::Error> {
    match r.try_get::<Option<String>, _>(i) {
        Ok(v) => Ok(v),
        Err(_) => Ok(r.try_get::<Option<Vec<u8>>, _>(i)?.map(|b| String::from_utf8_lossy(&b).into_owned())),
    }
}

fn int(r: &MySqlRow, i: usize) -> Result<Option<i64>, sqlx::Error> {
    if let Ok(v) = r.try_get::<Option<i64>, _>(i) {
        return Ok(v);
    }
    if let Ok(v) = r.try_get::<Option<u64>, _>(i) {
        return Ok(v.map(|x| x.min(i64::MAX as u64) as i64));
    }
    Ok(opt(r, i)?.and_then(|s| s.trim().parse().ok()))
}

const SYSTEM: &str = "('mysql', 'information_schema', 'performance_schema', 'sys')";

async fn fetch(pool: &MySqlPool, sql: String, bind: &Option<String>) -> Result<Vec<MySqlRow>, sqlx::Error> {
    let q = sqlx::query(sqlx::AssertSqlSafe(sql));
    let q = match bind {
        Some(s) => q.bind(s.clone()),
        None => q,
    };
    q.fetch_all(pool).await
}

pub async fn introspect(
    pool: &MySqlPool,
    only_schema: Option<&str>,
    progress: &mut Progress<'_>,
) -> Result<Catalog, CatalogError> {
    let head = sqlx::query("SELECT CAST(VERSION() AS CHAR), CAST(DATABASE() AS CHAR)").fetch_one(pool).await?;
    let version = text(&head, 0)?;
    let mariadb = version.to_lowercase().contains("mariadb");
    let current = opt(&head, 1)?;
    let only = only_schema.map(str::to_string).or(current.clone());
    let mut warnings = Vec::new();
    // Every query filters on its schema column with the same condition and the same bind.
    let filter = |col: &str| match &only {
        Some(_) => format!("{col} = ?"),
        None => format!("{col} NOT IN {SYSTEM}"),
    };

    // information_schema makes the server open every table's definition for each query; the queries are
    // independent, so they run at once on the pool's connections.
    let bind = only.clone();
    let expr_col = if mariadb { "NULL" } else { "EXPRESSION" };
    let q_schemas =
        format!("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE {} ORDER BY 1", filter("SCHEMA_NAME"));
    let q_tables = format!(
        "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_ROWS, DATA_LENGTH + INDEX_LENGTH, TABLE_COLLATION, \
           TABLE_COMMENT FROM information_schema.TABLES WHERE {} ORDER BY 1, 2",
        filter("TABLE_SCHEMA")
    );
    let q_columns = format!(
        "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, IS_NULLABLE, DATA_TYPE, \
           COLUMN_TYPE, COLLATION_NAME, EXTRA, COLUMN_COMMENT, GENERATION_EXPRESSION \
         FROM information_schema.COLUMNS WHERE {} ORDER BY 1, 2, 4",
        filter("TABLE_SCHEMA")
    );
    let q_stats = format!(
        "SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, COLLATION, SUB_PART, \
           INDEX_TYPE, {expr_col} FROM information_schema.STATISTICS WHERE {} ORDER BY 1, 2, 3, 5",
        filter("TABLE_SCHEMA")
    );
    // Two queries joined here: MariaDB joins these two information_schema tables very slowly (seconds for
    // 10,000 tables).
    let q_fks = format!(
        "SELECT k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.ORDINAL_POSITION, \
           k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME \
         FROM information_schema.KEY_COLUMN_USAGE k \
         WHERE k.REFERENCED_TABLE_NAME IS NOT NULL AND {} ORDER BY 1, 2, 3, 5",
        filter("k.TABLE_SCHEMA")
    );
    let q_rules = format!(
        "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE \
         FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE {}",
        filter("CONSTRAINT_SCHEMA")
    );
    let q_checks_maria = format!(
        "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS \
             WHERE {} ORDER BY 1, 2, 3",
        filter("CONSTRAINT_SCHEMA")
    );
    let q_checks_mysql = format!(
        "SELECT tc.TABLE_SCHEMA, tc.TABLE_NAME, tc.CONSTRAINT_NAME, cc.CHECK_CLAUSE \
             FROM information_schema.TABLE_CONSTRAINTS tc JOIN information_schema.CHECK_CONSTRAINTS cc \
               ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME \
             WHERE tc.CONSTRAINT_TYPE = 'CHECK' AND {} ORDER BY 1, 2, 3",
        filter("tc.TABLE_SCHEMA")
    );
    let q_views = format!(
        "SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE {}",
        filter("TABLE_SCHEMA")
    );
    let q_triggers = format!(
        "SELECT TRIGGER_SCHEMA, EVENT_OBJECT_TABLE, TRIGGER_NAME, ACTION_TIMING, EVENT_MANIPULATION, ACTION_STATEMENT \
         FROM information_schema.TRIGGERS WHERE {} ORDER BY 1, 2, 3",
        filter("TRIGGER_SCHEMA")
    );
    let q_routines = format!(
        "SELECT ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE, DTD_IDENTIFIER FROM information_schema.ROUTINES \
         WHERE {} ORDER BY 1, 2",
        filter("ROUTINE_SCHEMA")
    );
    let q_checks = if mariadb { q_checks_maria } else { q_checks_mysql };
    progress.stage("reading information_schema");
    let (r_schemas, r_tables, r_columns, r_stats, r_fks, r_rules, r_checks, r_views, r_triggers, r_routines) = tokio::join!(
        fetch(pool, q_schemas, &bind),
        fetch(pool, q_tables, &bind),
        fetch(pool, q_columns, &bind),
        fetch(pool, q_stats, &bind),
        fetch(pool, q_fks, &bind),
        fetch(pool, q_rules, &bind),
        fetch(pool, q_checks, &bind),
        fetch(pool, q_views, &bind),
        fetch(pool, q_triggers, &bind),
        fetch(pool, q_routines, &bind),
    );
    progress.stage("schemas");
    let mut schemas: Vec<Schema> = Vec::new();
    for r in r_schemas? {
        schemas.push(Schema { name: text(&r, 0)?, ..Default::default() });
    }
    let schema_pos: HashMap<String, usize> = schemas.iter().enumerate().map(|(i, s)| (s.name.clone(), i)).collect();

    progress.stage("tables");
    let mut pos: HashMap<(String, String), (usize, usize)> = HashMap::new();
    let mut sequences = 0;
    for r in r_tables? {
        let schema = text(&r, 0)?;
        let Some(&si) = schema_pos.get(&schema) else { continue };
        let name = text(&r, 1)?;
        let kind = match text(&r, 2)?.as_str() {
            "VIEW" => TableKind::View,
            "SEQUENCE" => {
                sequences += 1;
                continue;
            }
            _ => TableKind::Table,
        };
        let mut t = Table::new(&name, kind);
        if kind == TableKind::Table {
            t.storage_engine = opt(&r, 3)?;
            t.row_estimate = int(&r, 4)?;
            t.size_bytes = int(&r, 5)?;
            t.collation = opt(&r, 6)?;
        }
        // MySQL shows "VIEW" as the comment of every view.
        let is_view_marker = |c: &String| kind == TableKind::View && c == "VIEW";
        t.comment = opt(&r, 7)?.filter(|c| !c.is_empty() && !is_view_marker(c));
        schemas[si].tables.push(t);
        pos.insert((schema, name), (si, schemas[si].tables.len() - 1));
    }
    if sequences > 0 {
        warnings.push(format!("{sequences} MariaDB sequence(s) are not listed"));
    }

    progress.stage("columns");
    for r in r_columns? {
        let Some(&(si, ti)) = pos.get(&(text(&r, 0)?, text(&r, 1)?)) else { continue };
        let data_type = text(&r, 6)?.to_lowercase();
        let column_type = text(&r, 7)?;
        let extra = text(&r, 9)?.to_lowercase();
        let generation = opt(&r, 11)?.filter(|g| !g.is_empty());
        let raw_default = opt(&r, 4)?;
        let default = if generation.is_some() {
            None
        } else if mariadb {
            // MariaDB shows defaults as SQL: quoted literals, expressions, and NULL as the word NULL.
            raw_default.filter(|d| d != "NULL")
        } else {
            raw_default.map(|d| {
                if extra.contains("default_generated") {
                    if d.to_lowercase().starts_with("current_timestamp") { d } else { format!("({d})") }
                } else if matches!(
                    data_type.as_str(),
                    "tinyint" | "smallint" | "mediumint" | "int" | "bigint" | "decimal" | "float" | "double" | "bit"
                ) {
                    d
                } else {
                    super::quote::literal(Engine::Mysql, &d)
                }
            })
        };
        let table_collation = schemas[si].tables[ti].collation.clone();
        let collation = opt(&r, 8)?.filter(|c| Some(c) != table_collation.as_ref());
        let position = int(&r, 3)?.unwrap_or(0) as i32;
        schemas[si].tables[ti].columns.push(Column {
            name: text(&r, 2)?,
            position,
            type_family: type_family(Engine::Mysql, &column_type),
            data_type: column_type,
            nullable: text(&r, 5)? == "YES",
            default,
            identity: extra.contains("auto_increment").then_some(Identity::AutoIncrement),
            generated: generation,
            collation,
            comment: opt(&r, 10)?.filter(|c| !c.is_empty()),
        });
    }

    progress.stage("indexes");
    for r in r_stats? {
        let Some(&(si, ti)) = pos.get(&(text(&r, 0)?, text(&r, 1)?)) else { continue };
        let name = text(&r, 2)?;
        let t = &mut schemas[si].tables[ti];
        if t.indexes.last().is_none_or(|x| x.name != name) {
            let unique = int(&r, 3)?.unwrap_or(1) == 0;
            t.indexes.push(Index {
                name: name.clone(),
                parts: Vec::new(),
                unique,
                constraint: name == "PRIMARY" || unique,
                predicate: None,
                method: opt(&r, 8)?.map(|m| m.to_lowercase()),
                definition: None,
            });
        }
        let ix = t.indexes.last_mut().expect("pushed above");
        let column = opt(&r, 5)?;
        ix.parts.push(IndexPart {
            expression: if column.is_none() { opt(&r, 9)? } else { None },
            column,
            descending: opt(&r, 6)?.as_deref() == Some("D"),
            prefix_length: int(&r, 7)?,
        });
    }
    for s in schemas.iter_mut() {
        for t in s.tables.iter_mut() {
            for ix in &t.indexes {
                let columns: Vec<String> = ix.parts.iter().filter_map(|p| p.column.clone()).collect();
                if ix.name == "PRIMARY" {
                    t.primary_key = Some(Key { name: None, columns });
                } else if ix.unique && columns.len() == ix.parts.len() {
                    t.unique_constraints.push(Key { name: Some(ix.name.clone()), columns });
                }
            }
        }
    }

    progress.stage("foreign keys");
    let mut rules: HashMap<(String, String, String), (String, String)> = HashMap::new();
    for r in r_rules? {
        rules.insert((text(&r, 0)?, text(&r, 1)?, text(&r, 2)?), (text(&r, 3)?, text(&r, 4)?));
    }
    for r in r_fks? {
        let Some(&(si, ti)) = pos.get(&(text(&r, 0)?, text(&r, 1)?)) else { continue };
        let name = text(&r, 2)?;
        let t = &mut schemas[si].tables[ti];
        if t.foreign_keys.last().is_none_or(|f| f.name.as_deref() != Some(&name)) {
            let rule = rules.get(&(text(&r, 0)?, text(&r, 1)?, name.clone()));
            t.foreign_keys.push(ForeignKey {
                name: Some(name),
                columns: Vec::new(),
                referenced_schema: text(&r, 5)?,
                referenced_table: text(&r, 6)?,
                referenced_columns: Vec::new(),
                on_update: rule.map(|r| FkAction::parse(&r.0)).unwrap_or(FkAction::NoAction),
                on_delete: rule.map(|r| FkAction::parse(&r.1)).unwrap_or(FkAction::NoAction),
            });
        }
        let fk = t.foreign_keys.last_mut().expect("pushed above");
        fk.columns.push(text(&r, 3)?);
        fk.referenced_columns.push(text(&r, 7)?);
    }

    progress.stage("checks");
    match r_checks {
        Ok(rows) => {
            for r in rows {
                let Some(&(si, ti)) = pos.get(&(text(&r, 0)?, text(&r, 1)?)) else { continue };
                schemas[si].tables[ti].checks.push(Check {
                    name: Some(text(&r, 2)?),
                    expression: super::postgres::strip_outer_parens(&text(&r, 3)?),
                });
            }
        }
        Err(e) => warnings.push(format!("CHECK constraints could not be read (MySQL before 8.0.16?): {e}")),
    }

    progress.stage("views and triggers");
    let mut hidden_views = Vec::new();
    for r in r_views? {
        let key = (text(&r, 0)?, text(&r, 1)?);
        let Some(&(si, ti)) = pos.get(&key) else { continue };
        match opt(&r, 2)?.filter(|d| !d.is_empty()) {
            Some(d) => schemas[si].tables[ti].definition = Some(d),
            None => hidden_views.push(key.1),
        }
    }
    if !hidden_views.is_empty() {
        warnings.push(format!(
            "the definition of {} view(s) is hidden (SHOW VIEW privilege needed): {}",
            hidden_views.len(),
            hidden_views.join(", ")
        ));
    }
    for r in r_triggers? {
        let Some(&(si, ti)) = pos.get(&(text(&r, 0)?, text(&r, 1)?)) else { continue };
        let (name, timing, event, body) = (text(&r, 2)?, text(&r, 3)?, text(&r, 4)?, text(&r, 5)?);
        let table = schemas[si].tables[ti].name.clone();
        let definition = format!(
            "CREATE TRIGGER {} {timing} {event} ON {} FOR EACH ROW {body}",
            super::quote::ident(Engine::Mysql, &name),
            super::quote::ident(Engine::Mysql, &table)
        );
        schemas[si].tables[ti].triggers.push(Trigger { name, timing, events: vec![event], definition });
    }

    progress.stage("routines");
    for r in r_routines? {
        let Some(&si) = schema_pos.get(&text(&r, 0)?) else { continue };
        schemas[si].functions.push(Function {
            name: text(&r, 1)?,
            arguments: String::new(),
            returns: opt(&r, 3)?.unwrap_or_default(),
            language: "SQL".into(),
            kind: text(&r, 2)?.to_lowercase(),
            definition: None,
        });
    }
    if schemas.is_empty() {
        warnings.push("no database is visible to this account (or none was selected)".into());
    }
    progress.stage("done");
    Ok(Catalog {
        engine: Engine::Mysql,
        server_version: version,
        database: only.unwrap_or_default(),
        schemas,
        extensions: Vec::new(),
        foreign_keys_enforced: None,
        warnings,
    })
}
