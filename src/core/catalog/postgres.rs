//! PostgreSQL introspection from pg_catalog: one query per kind of object, for every visible user schema.
//! Deparsing functions (pg_get_indexdef and friends) cost ~100 µs a call, so they are called only where the model
//! cannot say the same thing itself: an index's own definition is kept only when it is not a plain btree index
//! over columns and expressions with default operator classes (its DDL is generated from the model otherwise).
use std::collections::HashMap;

use futures_util::TryStreamExt;
use sqlx::{PgConnection, Row};

use super::model::*;
use super::{CatalogError, Progress};
use crate::core::profile::Engine;

const USER_SCHEMAS: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

fn not_extension_member(class: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = '{class}'::regclass AND dep.objid = {oid} AND dep.deptype = 'e')"
    )
}

pub async fn introspect(conn: &mut PgConnection, progress: &mut Progress<'_>) -> Result<Catalog, CatalogError> {
    let head = sqlx::query("SELECT current_setting('server_version'), current_database()::text")
        .persistent(false)
        .fetch_one(&mut *conn)
        .await?;
    let mut warnings = Vec::new();

    progress.stage("schemas");
    let mut schemas: Vec<Schema> = Vec::new();
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT n.nspname::text, has_schema_privilege(n.oid, 'USAGE') FROM pg_namespace n WHERE {USER_SCHEMAS} \
         AND {} ORDER BY 1",
        not_extension_member("pg_namespace", "n.oid")
    )))
    .persistent(false)
    .fetch(&mut *conn);
    while let Some(r) = rows.try_next().await? {
        let name: String = r.try_get(0)?;
        if !r.try_get::<bool, _>(1)? {
            warnings.push(format!("schema `{name}`: no USAGE privilege, its objects may not be usable"));
        }
        schemas.push(Schema { name, ..Default::default() });
    }
    drop(rows);
    let schema_pos: HashMap<String, usize> = schemas.iter().enumerate().map(|(i, s)| (s.name.clone(), i)).collect();

    progress.stage("tables");
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT c.oid::int8, n.nspname::text, c.relname::text, c.relkind::text, c.reltuples::float8, \
           CASE WHEN c.relkind IN ('r', 'p', 'm') THEN (c.relpages::int8 + COALESCE(tc.relpages, 0) \
             + COALESCE((SELECT sum(ic.relpages) FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid \
                         WHERE x.indrelid = c.oid), 0))::int8 * current_setting('block_size')::int8 END, \
           d.description, \
           CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0 \
         LEFT JOIN pg_class tc ON tc.oid = c.reltoastrelid \
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition AND {USER_SCHEMAS} AND {} \
         ORDER BY 2, 3",
        not_extension_member("pg_class", "c.oid")
    )))
    .persistent(false)
    .fetch(&mut *conn);
    let mut rel: HashMap<i64, (usize, usize)> = HashMap::new();
    while let Some(r) = rows.try_next().await? {
        let oid: i64 = r.try_get(0)?;
        let schema: String = r.try_get(1)?;
        let Some(&si) = schema_pos.get(&schema) else { continue };
        let name: String = r.try_get(2)?;
        let kind = match r.try_get::<String, _>(3)?.as_str() {
            "v" => TableKind::View,
            "m" => TableKind::MaterializedView,
            "f" => TableKind::ForeignTable,
            _ => TableKind::Table,
        };
        let mut t = Table::new(&name, kind);
        let tuples: f64 = r.try_get(4)?;
        t.row_estimate = (tuples >= 0.0 && kind != TableKind::View).then_some(tuples as i64);
        t.size_bytes = r.try_get(5)?;
        t.comment = r.try_get(6)?;
        t.definition = r.try_get::<Option<String>, _>(7)?.map(|d| d.trim().trim_end_matches(';').to_string());
        let s = &mut schemas[si];
        s.tables.push(t);
        rel.insert(oid, (si, s.tables.len() - 1));
    }
    drop(rows);

    progress.stage("columns");
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT a.attrelid::int8, a.attnum::int4, a.attname::text, format_type(a.atttypid, a.atttypmod), t.typtype::text, \
           NOT a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text, \
           CASE WHEN a.attcollation <> t.typcollation THEN co.collname::text END, ds.description \
         FROM pg_attribute a \
         JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_type t ON t.oid = a.atttypid \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         LEFT JOIN pg_collation co ON co.oid = a.attcollation \
         LEFT JOIN pg_description ds ON ds.objoid = a.attrelid AND ds.classoid = 'pg_class'::regclass \
           AND ds.objsubid = a.attnum \
         WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {USER_SCHEMAS} \
         ORDER BY 1, 2"
    ))).persistent(false)
    .fetch(&mut *conn);
    let mut attname: HashMap<(i64, i16), String> = HashMap::new();
    while let Some(r) = rows.try_next().await? {
        let oid: i64 = r.try_get(0)?;
        let Some(&(si, ti)) = rel.get(&oid) else { continue };
        let num: i32 = r.try_get(1)?;
        let name: String = r.try_get(2)?;
        attname.insert((oid, num as i16), name.clone());
        let data_type: String = r.try_get(3)?;
        let typtype: String = r.try_get(4)?;
        let mut default: Option<String> = r.try_get(6)?;
        let identity_flag: String = r.try_get(7)?;
        let generated_flag: String = r.try_get(8)?;
        let mut identity = match identity_flag.as_str() {
            "a" => Some(Identity::Always),
            "d" => Some(Identity::ByDefault),
            _ => None,
        };
        if identity.is_none() && default.as_deref().is_some_and(|d| d.starts_with("nextval(")) {
            identity = Some(Identity::AutoIncrement);
        }
        let generated = if generated_flag == "s" { default.take() } else { None };
        let family = if typtype == "e" { TypeFamily::Enum } else { type_family(Engine::Postgres, &data_type) };
        schemas[si].tables[ti].columns.push(Column {
            name,
            position: num,
            data_type,
            type_family: family,
            nullable: r.try_get(5)?,
            default,
            identity,
            generated,
            collation: r.try_get(9)?,
            comment: r.try_get(10)?,
        });
    }
    drop(rows);

    progress.stage("constraints");
    let mut pending_fk_names: Vec<(usize, usize, usize, i64, Vec<i16>)> = Vec::new();
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT con.conrelid::int8, con.conname::text, con.contype::text, con.conkey, \
           fn.nspname::text, fc.relname::text, con.confkey, con.confrelid::int8, \
           con.confdeltype::text, con.confupdtype::text, \
           CASE WHEN con.contype = 'c' THEN pg_get_expr(con.conbin, con.conrelid) END \
         FROM pg_constraint con \
         JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_class fc ON fc.oid = con.confrelid LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace \
         WHERE con.contype IN ('p', 'u', 'f', 'c') AND {USER_SCHEMAS} ORDER BY 1, 2"
    )))
    .persistent(false)
    .fetch(&mut *conn);
    while let Some(r) = rows.try_next().await? {
        let oid: i64 = r.try_get(0)?;
        let Some(&(si, ti)) = rel.get(&oid) else { continue };
        let name: String = r.try_get(1)?;
        let kind: String = r.try_get(2)?;
        // Attribute numbers are mapped to names here, from the columns already read: a subquery per constraint
        // costs most of a second on 10,000 tables.
        let names = |rel: i64, nums: Option<Vec<i16>>| -> Vec<String> {
            nums.unwrap_or_default()
                .iter()
                .map(|n| attname.get(&(rel, *n)).cloned().unwrap_or_else(|| format!("#{n}")))
                .collect()
        };
        let columns = names(oid, r.try_get(3)?);
        let t = &mut schemas[si].tables[ti];
        match kind.as_str() {
            "p" => t.primary_key = Some(Key { name: Some(name), columns }),
            "u" => t.unique_constraints.push(Key { name: Some(name), columns }),
            "f" => {
                let confrelid: i64 = r.try_get(7)?;
                let mut referenced_columns = names(confrelid, r.try_get(6)?);
                if referenced_columns.iter().any(|c| c.starts_with('#')) {
                    // The referenced table is outside the schemas read: ask for its column names.
                    let nums: Vec<i16> = r.try_get::<Option<Vec<i16>>, _>(6)?.unwrap_or_default();
                    pending_fk_names.push((si, ti, t.foreign_keys.len(), confrelid, nums));
                    referenced_columns.clear();
                }
                t.foreign_keys.push(ForeignKey {
                    name: Some(name),
                    columns,
                    referenced_schema: r.try_get::<Option<String>, _>(4)?.unwrap_or_default(),
                    referenced_table: r.try_get::<Option<String>, _>(5)?.unwrap_or_default(),
                    referenced_columns,
                    on_delete: FkAction::parse(&r.try_get::<String, _>(8)?),
                    on_update: FkAction::parse(&r.try_get::<String, _>(9)?),
                })
            }
            _ => t.checks.push(Check {
                name: Some(name),
                expression: strip_outer_parens(&r.try_get::<Option<String>, _>(10)?.unwrap_or_default()),
            }),
        }
    }
    drop(rows);
    for (si, ti, k, rel, nums) in pending_fk_names {
        let mut cols = Vec::new();
        for n in nums {
            let name: String =
                sqlx::query("SELECT attname::text FROM pg_attribute WHERE attrelid = $1::oid AND attnum = $2")
                    .persistent(false)
                    .bind(rel)
                    .bind(n)
                    .fetch_one(&mut *conn)
                    .await?
                    .try_get(0)?;
            cols.push(name);
        }
        schemas[si].tables[ti].foreign_keys[k].referenced_columns = cols;
    }

    progress.stage("indexes");
    // Operator classes that are not their type's default: an index using one keeps its own definition.
    let special: std::collections::HashSet<i64> = sqlx::query("SELECT oid::int8 FROM pg_opclass WHERE NOT opcdefault")
        .persistent(false)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    let mut needs_definition: Vec<(i64, usize, usize, usize)> = Vec::new();
    let mut expression_parts: Vec<(i64, i32, usize, usize, usize, usize)> = Vec::new();
    progress.stage("index list");
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT i.indrelid::int8, ic.relname::text, i.indisunique, am.amname::text, \
           (am.amname <> 'btree' OR i.indnatts > i.indnkeyatts), \
           pg_get_expr(i.indpred, i.indrelid), \
           string_to_array(i.indkey::text, ' ')::int2[], string_to_array(i.indoption::text, ' ')::int2[], \
           NULL, \
           con.conindid IS NOT NULL, i.indnkeyatts::int4, i.indexrelid::int8, i.indclass::text \
         FROM pg_index i \
         JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am am ON am.oid = ic.relam \
         LEFT JOIN (SELECT DISTINCT conindid FROM pg_constraint WHERE contype IN ('p', 'u', 'x')) con \
           ON con.conindid = i.indexrelid \
         WHERE {USER_SCHEMAS} ORDER BY 1, 2"
    )))
    .persistent(false)
    .fetch(&mut *conn);
    while let Some(r) = rows.try_next().await? {
        let oid: i64 = r.try_get(0)?;
        let Some(&(si, ti)) = rel.get(&oid) else { continue };
        let keys: Vec<i16> = r.try_get(6)?;
        let options: Vec<i16> = r.try_get(7)?;
        let nkeys = r.try_get::<i32, _>(10)? as usize;
        // Expression parts are deparsed by a second query, for expression indexes only.
        let texts: Vec<String> = vec![String::new(); nkeys];
        let indexrelid: i64 = r.try_get(11)?;
        for (k, attnum) in keys.iter().take(nkeys).enumerate() {
            if *attnum == 0 {
                expression_parts.push((indexrelid, k as i32 + 1, si, ti, schemas[si].tables[ti].indexes.len(), k));
            }
        }
        let parts = texts
            .iter()
            .enumerate()
            .map(|(k, text)| {
                let attnum = keys.get(k).copied().unwrap_or(0);
                let column =
                    (attnum != 0).then(|| attname.get(&(oid, attnum)).cloned().unwrap_or_else(|| text.clone()));
                IndexPart {
                    expression: column.is_none().then(|| text.clone()),
                    column,
                    descending: options.get(k).is_some_and(|o| o & 1 != 0),
                    prefix_length: None,
                }
            })
            .collect();
        let constraint: bool = r.try_get(9)?;
        let unusual: bool = r.try_get(4)?;
        let classes: String = r.try_get(12)?;
        let special_class =
            classes.split_whitespace().filter_map(|c| c.parse::<i64>().ok()).any(|c| special.contains(&c));
        let t = &mut schemas[si].tables[ti];
        if !constraint && (unusual || special_class) {
            needs_definition.push((r.try_get(11)?, si, ti, t.indexes.len()));
        }
        t.indexes.push(Index {
            name: r.try_get(1)?,
            parts,
            unique: r.try_get(2)?,
            constraint,
            predicate: r.try_get::<Option<String>, _>(5)?.map(|p| strip_outer_parens(&p)),
            method: Some(r.try_get(3)?),
            definition: None,
        });
    }
    drop(rows);
    if !expression_parts.is_empty() {
        let oids: Vec<i64> = expression_parts.iter().map(|x| x.0).collect();
        let texts: HashMap<(i64, i32), String> = sqlx::query(
            "SELECT i.indexrelid::int8, k, pg_get_indexdef(i.indexrelid, k, true) \
             FROM pg_index i, generate_series(1, i.indnkeyatts) k WHERE i.indexrelid::int8 = ANY($1)",
        )
        .persistent(false)
        .bind(&oids)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok(((r.try_get(0)?, r.try_get(1)?), r.try_get(2)?)))
        .collect::<Result<_, sqlx::Error>>()?;
        for (oid, k, si, ti, ix, part) in expression_parts {
            if let Some(p) = schemas[si].tables[ti].indexes.get_mut(ix).and_then(|x| x.parts.get_mut(part)) {
                p.expression = texts.get(&(oid, k)).cloned();
            }
        }
    }
    progress.stage("index definitions");
    if !needs_definition.is_empty() {
        let oids: Vec<i64> = needs_definition.iter().map(|x| x.0).collect();
        let defs: HashMap<i64, String> = sqlx::query(
            "SELECT indexrelid::int8, pg_get_indexdef(indexrelid) FROM pg_index WHERE indexrelid::int8 = ANY($1)",
        )
        .persistent(false)
        .bind(&oids)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()?;
        for (oid, si, ti, k) in needs_definition {
            schemas[si].tables[ti].indexes[k].definition = defs.get(&oid).cloned();
        }
    }

    progress.stage("triggers");
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT t.tgrelid::int8, t.tgname::text, pg_get_triggerdef(t.oid, true), t.tgtype::int4 \
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE NOT t.tgisinternal AND {USER_SCHEMAS} ORDER BY 1, 2"
    )))
    .persistent(false)
    .fetch(&mut *conn);
    while let Some(r) = rows.try_next().await? {
        let oid: i64 = r.try_get(0)?;
        let Some(&(si, ti)) = rel.get(&oid) else { continue };
        let tgtype: i32 = r.try_get(3)?;
        let timing = if tgtype & 64 != 0 {
            "INSTEAD OF"
        } else if tgtype & 2 != 0 {
            "BEFORE"
        } else {
            "AFTER"
        };
        let events = [(4, "INSERT"), (8, "DELETE"), (16, "UPDATE"), (32, "TRUNCATE")]
            .iter()
            .filter(|(bit, _)| tgtype & bit != 0)
            .map(|(_, e)| e.to_string())
            .collect();
        schemas[si].tables[ti].triggers.push(Trigger {
            name: r.try_get(1)?,
            timing: timing.into(),
            events,
            definition: r.try_get(2)?,
        });
    }
    drop(rows);

    progress.stage("sequences");
    let rows = sqlx::query(
        "SELECT s.schemaname::text, s.sequencename::text, s.data_type::text, s.start_value, s.increment_by, s.min_value, \
           s.max_value, s.last_value, \
           (SELECT dc.relname::text || '.' || a.attname::text FROM pg_depend d \
              JOIN pg_class dc ON dc.oid = d.refobjid \
              JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
            WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i') LIMIT 1) \
         FROM pg_sequences s JOIN pg_namespace n ON n.nspname = s.schemaname \
         JOIN pg_class c ON c.relname = s.sequencename AND c.relnamespace = n.oid ORDER BY 1, 2",
    ).persistent(false)
    .fetch_all(&mut *conn)
    .await;
    match rows {
        Ok(rows) => {
            for r in rows {
                let schema: String = r.try_get(0)?;
                let Some(&si) = schema_pos.get(&schema) else { continue };
                schemas[si].sequences.push(Sequence {
                    name: r.try_get(1)?,
                    data_type: r.try_get(2)?,
                    start: r.try_get(3)?,
                    increment: r.try_get(4)?,
                    min: r.try_get(5)?,
                    max: r.try_get(6)?,
                    last_value: r.try_get(7)?,
                    owned_by: r.try_get(8)?,
                });
            }
        }
        Err(e) => warnings.push(format!("sequences could not be read: {e}")),
    }

    progress.stage("types and functions");
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT n.nspname::text, t.typname::text, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) \
         FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace \
         WHERE {USER_SCHEMAS} AND {} GROUP BY 1, 2 ORDER BY 1, 2",
        not_extension_member("pg_type", "t.oid")
    )))
    .persistent(false)
    .fetch(&mut *conn);
    while let Some(r) = rows.try_next().await? {
        let schema: String = r.try_get(0)?;
        if let Some(&si) = schema_pos.get(&schema) {
            schemas[si].enums.push(EnumType { name: r.try_get(1)?, labels: r.try_get(2)? });
        }
    }
    drop(rows);
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT n.nspname::text, p.proname::text, pg_get_function_identity_arguments(p.oid), \
           COALESCE(pg_get_function_result(p.oid), ''), l.lanname::text, p.prokind::text, \
           CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) END \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang \
         WHERE {USER_SCHEMAS} AND {} ORDER BY 1, 2, 3",
        not_extension_member("pg_proc", "p.oid")
    )))
    .persistent(false)
    .fetch(&mut *conn);
    while let Some(r) = rows.try_next().await? {
        let schema: String = r.try_get(0)?;
        if let Some(&si) = schema_pos.get(&schema) {
            let kind = match r.try_get::<String, _>(5)?.as_str() {
                "p" => "procedure",
                "a" => "aggregate",
                "w" => "window",
                _ => "function",
            };
            schemas[si].functions.push(Function {
                name: r.try_get(1)?,
                arguments: r.try_get(2)?,
                returns: r.try_get(3)?,
                language: r.try_get(4)?,
                kind: kind.into(),
                definition: r.try_get(6)?,
            });
        }
    }
    drop(rows);
    let extensions = sqlx::query(
        "SELECT e.extname::text, e.extversion, n.nspname::text FROM pg_extension e \
         JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY 1",
    )
    .persistent(false)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| Ok(Extension { name: r.try_get(0)?, version: r.try_get(1)?, schema: r.try_get(2)? }))
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    progress.stage("done");
    Ok(Catalog {
        engine: Engine::Postgres,
        server_version: head.try_get(0)?,
        database: head.try_get(1)?,
        schemas,
        extensions,
        foreign_keys_enforced: None,
        warnings,
    })
}

/// `((a > 0))` → `(a > 0)` → `a > 0`: one layer of parentheses that wraps the whole expression.
pub fn strip_outer_parens(s: &str) -> String {
    let t = s.trim();
    if t.starts_with('(') && t.ends_with(')') {
        let inner = &t[1..t.len() - 1];
        let mut depth = 0;
        for (_, c, d) in super::sqltext::scan(inner) {
            let _ = c;
            depth = d;
            if d < 0 {
                return t.to_string();
            }
        }
        if depth == 0 {
            return inner.trim().to_string();
        }
    }
    t.to_string()
}

/// Schemas and the names and kinds of their tables and views, nothing else: one quick query, so a large catalog
/// lists at once while the full read goes on.
pub async fn names(conn: &mut PgConnection) -> Result<Catalog, CatalogError> {
    let head = sqlx::query("SELECT current_setting('server_version'), current_database()::text")
        .persistent(false)
        .fetch_one(&mut *conn)
        .await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT n.nspname::text, c.relname::text, c.relkind::text FROM pg_namespace n \
         LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f') \
           AND NOT c.relispartition AND {} \
         WHERE {USER_SCHEMAS} AND {} ORDER BY 1, 2",
        not_extension_member("pg_class", "c.oid"),
        not_extension_member("pg_namespace", "n.oid")
    )))
    .persistent(false)
    .fetch_all(&mut *conn)
    .await?;
    let mut schemas: Vec<Schema> = Vec::new();
    for r in rows {
        let schema: String = r.try_get(0)?;
        if schemas.last().is_none_or(|s| s.name != schema) {
            schemas.push(Schema { name: schema, ..Default::default() });
        }
        let (Some(name), Some(kind)) = (r.try_get::<Option<String>, _>(1)?, r.try_get::<Option<String>, _>(2)?) else {
            continue;
        };
        let kind = match kind.as_str() {
            "v" => TableKind::View,
            "m" => TableKind::MaterializedView,
            "f" => TableKind::ForeignTable,
            _ => TableKind::Table,
        };
        if let Some(s) = schemas.last_mut() {
            s.tables.push(Table::new(&name, kind));
        }
    }
    Ok(Catalog {
        engine: crate::core::profile::Engine::Postgres,
        server_version: head.try_get(0)?,
        database: head.try_get(1)?,
        schemas,
        extensions: Vec::new(),
        foreign_keys_enforced: None,
        warnings: Vec::new(),
    })
}
