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
    // Views are asked for only when TABLES lists one (the VIEWS query opens every table too).
    let tables_then_views = async {
        let tables = fetch(pool, q_tables, &bind).await?;
        let views = if tables.iter().any(|r| text(r, 2).is_ok_and(|k| k == "VIEW")) {
            fetch(pool, q_views, &bind).await?
        } else {
            Vec::new()
        };
        Ok::<_, sqlx::Error>((tables, views))
    };
    let (r_schemas, r_tables_views, r_columns, r_stats, r_fks, r_checks, r_triggers, r_routines) = tokio::join!(
        fetch(pool, q_schemas, &bind),
        tables_then_views,
        fetch(pool, q_columns, &bind),
        fetch(pool, q_stats, &bind),
        foreign_keys(pool, only.as_deref(), FkSource::Dictionary { mariadb }),
        fetch(pool, q_checks, &bind),
        fetch(pool, q_triggers, &bind),
        fetch(pool, q_routines, &bind),
    );
    let (r_tables, r_views) = r_tables_views?;
    progress.stage("schemas");
    let mut schemas: Vec<Schema> = Vec::new();
    for r in r_schemas? {
        schemas.push(Schema { name: text(&r, 0)?, ..Default::default() });
    }
    let schema_pos: HashMap<String, usize> = schemas.iter().enumerate().map(|(i, s)| (s.name.clone(), i)).collect();

    progress.stage("tables");
    let mut pos: HashMap<(String, String), (usize, usize)> = HashMap::new();
    let mut sequences = 0;
    for r in r_tables {
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
    for fk in r_fks? {
        let Some(&(si, ti)) = pos.get(&(fk.schema, fk.table)) else { continue };
        schemas[si].tables[ti].foreign_keys.push(fk.key);
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
    for r in r_views {
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
    // By name, byte order: the order `names` lists them in (information_schema's collation is not Rust's).
    for s in &mut schemas {
        s.tables.sort_by(|a, b| a.name.cmp(&b.name));
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

/// One foreign key and the table that holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignKeyRecord {
    pub schema: String,
    pub table: String,
    pub key: ForeignKey,
}

/// Where foreign keys are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FkSource {
    /// InnoDB's own dictionary (information_schema.INNODB_SYS_FOREIGN[_COLS] on MariaDB, INNODB_FOREIGN[_COLS] on
    /// MySQL 8): two in-memory reads, ~70 ms for 10,000 keys. It needs the PROCESS privilege and stores names in
    /// the server's file-name encoding; when it is refused or a name is encoded, the information_schema views are
    /// read instead. The views are named differently on MariaDB and MySQL.
    Dictionary { mariadb: bool },
    /// KEY_COLUMN_USAGE and REFERENTIAL_CONSTRAINTS, which open every table (~1 s of server time for 10,000).
    InformationSchema,
}

/// The foreign keys of `only` (or of every non-system database), sorted by schema, table and name.
pub async fn foreign_keys(
    pool: &MySqlPool,
    only: Option<&str>,
    source: FkSource,
) -> Result<Vec<ForeignKeyRecord>, sqlx::Error> {
    if let FkSource::Dictionary { mariadb } = source
        && let Ok(Some(keys)) = dictionary_foreign_keys(pool, only, mariadb).await
    {
        return Ok(keys);
    }
    let bind = only.map(str::to_string);
    let filter = |col: &str| match only {
        Some(_) => format!("{col} = ?"),
        None => format!("{col} NOT IN {SYSTEM}"),
    };
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
    let (r_fks, r_rules) = tokio::join!(fetch(pool, q_fks, &bind), fetch(pool, q_rules, &bind));
    let mut rules: HashMap<(String, String, String), (String, String)> = HashMap::new();
    for r in r_rules? {
        rules.insert((text(&r, 0)?, text(&r, 1)?, text(&r, 2)?), (text(&r, 3)?, text(&r, 4)?));
    }
    let mut out: Vec<ForeignKeyRecord> = Vec::new();
    for r in r_fks? {
        let (schema, table, name) = (text(&r, 0)?, text(&r, 1)?, text(&r, 2)?);
        let same =
            out.last().is_some_and(|f| f.schema == schema && f.table == table && f.key.name.as_deref() == Some(&name));
        if !same {
            let rule = rules.get(&(schema.clone(), table.clone(), name.clone()));
            out.push(ForeignKeyRecord {
                schema,
                table,
                key: ForeignKey {
                    name: Some(name),
                    columns: Vec::new(),
                    referenced_schema: text(&r, 5)?,
                    referenced_table: text(&r, 6)?,
                    referenced_columns: Vec::new(),
                    on_update: rule.map(|r| FkAction::parse(&r.0)).unwrap_or(FkAction::NoAction),
                    on_delete: rule.map(|r| FkAction::parse(&r.1)).unwrap_or(FkAction::NoAction),
                },
            });
        }
        let fk = &mut out.last_mut().expect("pushed above").key;
        fk.columns.push(text(&r, 3)?);
        fk.referenced_columns.push(text(&r, 7)?);
    }
    out.sort_by(|a, b| (&a.schema, &a.table, &a.key.name).cmp(&(&b.schema, &b.table, &b.key.name)));
    Ok(out)
}

/// Foreign keys from InnoDB's dictionary; `None` when it cannot be read or holds an encoded name.
async fn dictionary_foreign_keys(
    pool: &MySqlPool,
    only: Option<&str>,
    mariadb: bool,
) -> Result<Option<Vec<ForeignKeyRecord>>, sqlx::Error> {
    let (keys_view, cols_view) = if mariadb {
        ("information_schema.INNODB_SYS_FOREIGN", "information_schema.INNODB_SYS_FOREIGN_COLS")
    } else {
        ("information_schema.INNODB_FOREIGN", "information_schema.INNODB_FOREIGN_COLS")
    };
    // IDs are `database/constraint`.
    let pattern = only.map(str::to_string);
    let filter = if pattern.is_some() { "WHERE SUBSTRING_INDEX(ID, '/', 1) = ?" } else { "" };
    let q_keys = format!(
        "SELECT CAST(ID AS CHAR), CAST(FOR_NAME AS CHAR), CAST(REF_NAME AS CHAR), TYPE FROM {keys_view} {filter}"
    );
    let q_cols = format!(
        "SELECT CAST(ID AS CHAR), CAST(FOR_COL_NAME AS CHAR), CAST(REF_COL_NAME AS CHAR), POS FROM {cols_view} {filter} \
         ORDER BY 1, 4"
    );
    let (keys, cols) = tokio::join!(fetch(pool, q_keys, &pattern), fetch(pool, q_cols, &pattern));
    let (Ok(keys), Ok(cols)) = (keys, cols) else { return Ok(None) };
    let split = |s: &str| s.split_once('/').map(|(a, b)| (a.to_string(), b.to_string()));
    let mut by_id: HashMap<String, ForeignKeyRecord> = HashMap::new();
    for r in &keys {
        let (id, for_name, ref_name) = (text(r, 0)?, text(r, 1)?, text(r, 2)?);
        if [&id, &for_name, &ref_name].iter().any(|n| n.contains('@')) {
            return Ok(None); // a name in the server's file-name encoding
        }
        let (Some((schema, name)), Some((_, table)), Some((ref_schema, ref_table))) =
            (split(&id), split(&for_name), split(&ref_name))
        else {
            return Ok(None);
        };
        if only.is_none() && SYSTEM.contains(&format!("'{schema}'")) {
            continue;
        }
        let flags = int(r, 3)?.unwrap_or(0);
        // dict0mem.h: DICT_FOREIGN_ON_DELETE_CASCADE 1, _SET_NULL 2, ON_UPDATE_CASCADE 4, _SET_NULL 8,
        // ON_DELETE_NO_ACTION 16, ON_UPDATE_NO_ACTION 32; none of a pair's bits means RESTRICT.
        let action = |cascade: i64, set_null: i64, no_action: i64| {
            if flags & cascade != 0 {
                FkAction::Cascade
            } else if flags & set_null != 0 {
                FkAction::SetNull
            } else if flags & no_action != 0 {
                FkAction::NoAction
            } else {
                FkAction::Restrict
            }
        };
        by_id.insert(
            id,
            ForeignKeyRecord {
                schema,
                table,
                key: ForeignKey {
                    name: Some(name),
                    columns: Vec::new(),
                    referenced_schema: ref_schema,
                    referenced_table: ref_table,
                    referenced_columns: Vec::new(),
                    on_delete: action(1, 2, 16),
                    on_update: action(4, 8, 32),
                },
            },
        );
    }
    for r in &cols {
        if let Some(fk) = by_id.get_mut(&text(r, 0)?) {
            fk.key.columns.push(text(r, 1)?);
            fk.key.referenced_columns.push(text(r, 2)?);
        }
    }
    let mut out: Vec<ForeignKeyRecord> = by_id.into_values().collect();
    out.sort_by(|a, b| (&a.schema, &a.table, &a.key.name).cmp(&(&b.schema, &b.table, &b.key.name)));
    Ok(Some(out))
}

/// Schemas and the names and kinds of their tables and views, nothing else (information_schema answers names
/// without opening every table's definition).
pub async fn names(pool: &MySqlPool, only_schema: Option<&str>) -> Result<Catalog, CatalogError> {
    let head = sqlx::query("SELECT CAST(VERSION() AS CHAR), CAST(DATABASE() AS CHAR)").fetch_one(pool).await?;
    let only = only_schema.map(str::to_string).or(opt(&head, 1)?);
    let filter = |col: &str| match &only {
        Some(_) => format!("{col} = ?"),
        None => format!("{col} NOT IN {SYSTEM}"),
    };
    let schema_rows = fetch(
        pool,
        format!("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE {} ORDER BY 1", filter("SCHEMA_NAME")),
        &only,
    )
    .await?;
    let mut schemas: Vec<Schema> = schema_rows
        .iter()
        .map(|r| Ok(Schema { name: text(r, 0)?, ..Default::default() }))
        .collect::<Result<_, sqlx::Error>>()?;
    // SHOW FULL TABLES reads the names and kinds from the data dictionary without opening each table's
    // definition: about a third of information_schema.TABLES's time on 10,000 tables.
    for s in &mut schemas {
        let sql =
            format!("SHOW FULL TABLES FROM {}", super::quote::ident(crate::core::profile::Engine::Mysql, &s.name));
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?;
        for r in &rows {
            let (name, kind) = (text(r, 0)?, text(r, 1)?);
            let kind = if kind == "VIEW" { TableKind::View } else { TableKind::Table };
            s.tables.push(Table::new(&name, kind));
        }
        s.tables.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(Catalog {
        engine: crate::core::profile::Engine::Mysql,
        server_version: text(&head, 0)?,
        database: only.unwrap_or_default(),
        schemas,
        extensions: Vec::new(),
        foreign_keys_enforced: None,
        warnings: Vec::new(),
    })
}
