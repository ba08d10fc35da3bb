//! DuckDB introspection through the shell: `duckdb_tables()`, `duckdb_views()`, `duckdb_columns()`,
//! `duckdb_constraints()`, `duckdb_indexes()`, `duckdb_sequences()` and `duckdb_types()`, one statement (one shell)
//! per kind of object, all limited to the file's own database (not `system` or `temp`).
use std::collections::BTreeMap;

use super::model::*;
use super::{CatalogError, Progress};
use crate::core::engine::duckdb::Duck;
use crate::core::profile::Engine;
use crate::core::sql::lex::{Tok, tokens};

type Rows = Vec<Vec<Option<String>>>;

async fn rows(duck: &Duck, sql: &str) -> Result<Rows, CatalogError> {
    duck.rows(sql).await.map_err(|e| CatalogError::Other(e.to_string()))
}

fn s(r: &[Option<String>], i: usize) -> String {
    r.get(i).cloned().flatten().unwrap_or_default()
}

fn opt(r: &[Option<String>], i: usize) -> Option<String> {
    r.get(i).cloned().flatten().filter(|x| !x.is_empty())
}

fn list(r: &[Option<String>], i: usize) -> Vec<String> {
    r.get(i).cloned().flatten().and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default()
}

const OWN: &str = "database_name = current_database()";

/// The type family of a DuckDB type as `duckdb_columns()` writes it.
pub fn family(data_type: &str) -> TypeFamily {
    use TypeFamily as F;
    let t = data_type.trim().to_ascii_uppercase();
    if t.ends_with(']') {
        return F::Array;
    }
    if t.starts_with("STRUCT") || t.starts_with("MAP") || t.starts_with("UNION") || t == "JSON" {
        return F::Json;
    }
    if t.starts_with("ENUM") {
        return F::Enum;
    }
    if t.starts_with("DECIMAL") || t.starts_with("NUMERIC") || matches!(t.as_str(), "HUGEINT" | "UHUGEINT" | "UBIGINT")
    {
        return F::Decimal;
    }
    match t.as_str() {
        "TINYINT" | "SMALLINT" | "INTEGER" | "BIGINT" | "UTINYINT" | "USMALLINT" | "UINTEGER" => F::Integer,
        "FLOAT" | "DOUBLE" | "REAL" => F::Float,
        "BOOLEAN" => F::Boolean,
        "VARCHAR" => F::Text,
        "BLOB" => F::Binary,
        "DATE" => F::Date,
        "TIME" | "TIME WITH TIME ZONE" | "TIME_NS" => F::Time,
        "TIMESTAMP" | "TIMESTAMP_S" | "TIMESTAMP_MS" | "TIMESTAMP_NS" => F::Timestamp,
        "TIMESTAMP WITH TIME ZONE" => F::TimestampTz,
        "INTERVAL" => F::Interval,
        "UUID" => F::Uuid,
        _ if t.starts_with("VARCHAR") => F::Text,
        _ => F::Other,
    }
}

/// The parts of `CREATE [UNIQUE] INDEX name ON table (part, …)`: plain columns by name, anything else as an
/// expression.
pub fn index_parts(sql: &str) -> Vec<IndexPart> {
    let toks: Vec<_> =
        tokens(sql, Engine::Duckdb).into_iter().filter(|t| !matches!(t.kind, Tok::Space | Tok::Comment)).collect();
    let Some(on) = toks.iter().position(|t| t.kind == Tok::Word && t.text(sql).eq_ignore_ascii_case("ON")) else {
        return Vec::new();
    };
    let Some(open) = toks.iter().skip(on).position(|t| t.text(sql) == "(").map(|i| i + on) else {
        return Vec::new();
    };
    let mut parts: Vec<Vec<(Tok, &str)>> = vec![Vec::new()];
    let mut depth = 0;
    for t in &toks[open + 1..] {
        let x = t.text(sql);
        match x {
            "(" => depth += 1,
            ")" if depth == 0 => break,
            ")" => depth -= 1,
            "," if depth == 0 => {
                parts.push(Vec::new());
                continue;
            }
            _ => {}
        }
        if let Some(p) = parts.last_mut() {
            p.push((t.kind, x));
        }
    }
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(|p| {
            let order = |w: &str| w.eq_ignore_ascii_case("ASC") || w.eq_ignore_ascii_case("DESC");
            let descending = p.last().is_some_and(|(_, w)| w.eq_ignore_ascii_case("DESC"));
            let core: Vec<(Tok, &str)> = p.iter().copied().filter(|(k, w)| !(*k == Tok::Word && order(w))).collect();
            let single = match core.as_slice() {
                [(Tok::Word, w)] => Some(w.to_string()),
                [(Tok::QuotedIdent, q)] if q.len() >= 2 => Some(q[1..q.len() - 1].replace("\"\"", "\"")),
                _ => None,
            };
            let text = core.iter().map(|(_, w)| *w).collect::<Vec<_>>().join(" ");
            match single {
                Some(name) => IndexPart { column: Some(name), expression: None, descending, prefix_length: None },
                None => IndexPart { column: None, expression: Some(text), descending, prefix_length: None },
            }
        })
        .collect()
}

pub async fn introspect(duck: &Duck, progress: &mut Progress<'_>) -> Result<Catalog, CatalogError> {
    let mut schemas: BTreeMap<String, Schema> = BTreeMap::new();
    progress.stage("tables");
    for r in rows(
        duck,
        &format!(
            "SELECT schema_name, table_name, estimated_size, comment FROM duckdb_tables() WHERE {OWN} AND NOT internal \
             AND NOT temporary ORDER BY schema_name, table_name"
        ),
    )
    .await?
    {
        let mut t = Table::new(&s(&r, 1), TableKind::Table);
        t.row_estimate = opt(&r, 2).and_then(|x| x.parse().ok());
        t.comment = opt(&r, 3);
        schema(&mut schemas, &s(&r, 0)).tables.push(t);
    }
    progress.stage("views");
    for r in rows(
        duck,
        &format!(
            "SELECT schema_name, view_name, sql, comment FROM duckdb_views() WHERE {OWN} AND NOT internal AND NOT \
             temporary ORDER BY schema_name, view_name"
        ),
    )
    .await?
    {
        let mut t = Table::new(&s(&r, 1), TableKind::View);
        t.definition = opt(&r, 2);
        t.comment = opt(&r, 3);
        schema(&mut schemas, &s(&r, 0)).tables.push(t);
    }
    progress.stage("columns");
    for r in rows(
        duck,
        &format!(
            "SELECT schema_name, table_name, column_name, column_index, data_type, is_nullable, column_default, \
             comment FROM duckdb_columns() WHERE {OWN} AND NOT internal ORDER BY schema_name, table_name, column_index"
        ),
    )
    .await?
    {
        let Some(t) = table(&mut schemas, &s(&r, 0), &s(&r, 1)) else { continue };
        let data_type = s(&r, 4);
        let default = opt(&r, 6);
        // A sequence behind the default: an identity on targets that have one.
        let identity = default
            .as_deref()
            .filter(|d| d.trim_start().to_ascii_lowercase().starts_with("nextval("))
            .map(|_| Identity::AutoIncrement);
        t.columns.push(Column {
            name: s(&r, 2),
            position: s(&r, 3).parse().unwrap_or(0),
            type_family: family(&data_type),
            data_type,
            nullable: s(&r, 5) != "false",
            default,
            identity,
            generated: None,
            collation: None,
            comment: opt(&r, 7),
        });
    }
    progress.stage("constraints");
    for r in rows(
        duck,
        &format!(
            "SELECT schema_name, table_name, constraint_type, constraint_name, constraint_column_names, expression, \
             referenced_table, referenced_column_names FROM duckdb_constraints() WHERE {OWN} \
             ORDER BY schema_name, table_name, constraint_index"
        ),
    )
    .await?
    {
        let sname = s(&r, 0);
        let Some(t) = table(&mut schemas, &sname, &s(&r, 1)) else { continue };
        let name = opt(&r, 3);
        let columns = list(&r, 4);
        match s(&r, 2).as_str() {
            "PRIMARY KEY" => t.primary_key = Some(Key { name, columns }),
            "UNIQUE" => t.unique_constraints.push(Key { name, columns }),
            "CHECK" => {
                if let Some(e) = opt(&r, 5) {
                    t.checks.push(Check { name, expression: e });
                }
            }
            "FOREIGN KEY" => t.foreign_keys.push(ForeignKey {
                name,
                columns,
                referenced_schema: sname.clone(),
                referenced_table: s(&r, 6),
                referenced_columns: list(&r, 7),
                on_delete: FkAction::NoAction,
                on_update: FkAction::NoAction,
            }),
            _ => {}
        }
    }
    progress.stage("indexes");
    for r in rows(
        duck,
        &format!(
            "SELECT schema_name, table_name, index_name, is_unique, sql FROM duckdb_indexes() WHERE {OWN} \
             ORDER BY schema_name, table_name, index_name"
        ),
    )
    .await?
    {
        let Some(t) = table(&mut schemas, &s(&r, 0), &s(&r, 1)) else { continue };
        let sql = s(&r, 4);
        t.indexes.push(Index {
            name: s(&r, 2),
            parts: index_parts(&sql),
            unique: s(&r, 3) == "true",
            constraint: false,
            predicate: None,
            method: None,
            definition: Some(sql),
        });
    }
    progress.stage("sequences");
    for r in rows(
        duck,
        &format!(
            "SELECT schema_name, sequence_name, start_value, increment_by, min_value, max_value, last_value FROM \
             duckdb_sequences() WHERE {OWN} AND NOT temporary ORDER BY schema_name, sequence_name"
        ),
    )
    .await?
    {
        let n = |i: usize| s(&r, i).parse::<i64>().unwrap_or(0);
        schema(&mut schemas, &s(&r, 0)).sequences.push(Sequence {
            name: s(&r, 1),
            data_type: "bigint".into(),
            start: n(2),
            increment: n(3),
            min: n(4),
            max: n(5),
            last_value: opt(&r, 6).and_then(|x| x.parse().ok()),
            owned_by: None,
        });
    }
    progress.stage("types");
    for r in rows(
        duck,
        &format!(
            "SELECT schema_name, type_name, labels FROM duckdb_types() WHERE {OWN} AND NOT internal AND \
             logical_type = 'ENUM' ORDER BY schema_name, type_name"
        ),
    )
    .await?
    {
        schema(&mut schemas, &s(&r, 0)).enums.push(EnumType { name: s(&r, 1), labels: list(&r, 2) });
    }
    Ok(catalog(duck, schemas))
}

fn catalog(duck: &Duck, schemas: BTreeMap<String, Schema>) -> Catalog {
    Catalog {
        engine: Engine::Duckdb,
        server_version: duck.version.clone(),
        database: duck.path.display().to_string(),
        schemas: schemas.into_values().collect(),
        extensions: Vec::new(),
        foreign_keys_enforced: Some(true),
        warnings: Vec::new(),
    }
}

fn schema<'a>(schemas: &'a mut BTreeMap<String, Schema>, name: &str) -> &'a mut Schema {
    schemas.entry(name.to_string()).or_insert_with(|| Schema { name: name.to_string(), ..Default::default() })
}

fn table<'a>(schemas: &'a mut BTreeMap<String, Schema>, s: &str, t: &str) -> Option<&'a mut Table> {
    schemas.get_mut(s)?.tables.iter_mut().find(|x| x.name == t)
}

/// Schemas and the names of their tables and views (the schema pane's first, quick list).
pub async fn names(duck: &Duck) -> Result<Catalog, CatalogError> {
    let mut schemas: BTreeMap<String, Schema> = BTreeMap::new();
    for r in rows(
        duck,
        &format!(
            "SELECT schema_name, table_name, 'table' FROM duckdb_tables() WHERE {OWN} AND NOT internal AND NOT temporary \
             UNION ALL SELECT schema_name, view_name, 'view' FROM duckdb_views() WHERE {OWN} AND NOT internal AND NOT \
             temporary ORDER BY 1, 2"
        ),
    )
    .await?
    {
        let kind = if s(&r, 2) == "view" { TableKind::View } else { TableKind::Table };
        schema(&mut schemas, &s(&r, 0)).tables.push(Table::new(&s(&r, 1), kind));
    }
    Ok(catalog(duck, schemas))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families() {
        assert_eq!(family("INTEGER[]"), TypeFamily::Array);
        assert_eq!(family("INTEGER[3]"), TypeFamily::Array);
        assert_eq!(family("STRUCT(x INTEGER, y VARCHAR)"), TypeFamily::Json);
        assert_eq!(family("MAP(VARCHAR, INTEGER)"), TypeFamily::Json);
        assert_eq!(family("ENUM('a', 'b')"), TypeFamily::Enum);
        assert_eq!(family("HUGEINT"), TypeFamily::Decimal);
        assert_eq!(family("DECIMAL(18,4)"), TypeFamily::Decimal);
        assert_eq!(family("TIMESTAMP WITH TIME ZONE"), TypeFamily::TimestampTz);
        assert_eq!(family("TIMESTAMP_NS"), TypeFamily::Timestamp);
        assert_eq!(family("GEOMETRY"), TypeFamily::Other);
    }

    #[test]
    fn index_parts_by_tokens() {
        let p = index_parts(r#"CREATE UNIQUE INDEX "ix""1" ON "sch é"."t,""x"("ü", ((k + 1)), b DESC);"#);
        assert_eq!(p.len(), 3, "{p:?}");
        assert_eq!(p[0].column.as_deref(), Some("ü"));
        assert_eq!(p[1].expression.as_deref(), Some("( ( k + 1 ) )"));
        assert!(p[2].descending && p[2].column.as_deref() == Some("b"));
        assert!(index_parts("garbage").is_empty());
    }

    proptest::proptest! {
        #[test]
        fn index_parts_never_panic(s in "\\PC{0,60}") {
            let _ = index_parts(&s);
            let _ = family(&s);
        }
    }
}
