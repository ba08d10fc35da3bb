//! The transfer plan: what moves where, as which types, and what is not carried over (with the reason). Built from
//! the source catalog and a probe of the data; written as TOML a user edits (casts, renames, extra constant
//! columns, row filters, mode, what to do with existing tables) and read back for the run.
use serde::{Deserialize, Serialize};

use super::translate::{default_for, translate_expr_typed};
use super::typemap::{self, Cast, Probe};
use crate::core::catalog::quote;
use crate::core::catalog::{Catalog, Identity, Table, TableKind, TypeFamily};
use crate::core::profile::Engine;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Create the tables, load the data, then indexes, keys and constraints.
    SchemaAndData,
    /// Load into tables that exist already.
    DataOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Existing {
    /// Stop before anything is written when a target table exists (schema_and_data) or is not empty (data_only).
    Fail,
    Truncate,
    Append,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnError {
    /// Bad rows go to the reject file and the run goes on.
    Continue,
    /// The first bad row stops the run (resumable).
    Stop,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnPlan {
    pub source: String,
    pub target: String,
    pub source_type: String,
    pub target_type: String,
    pub cast: Cast,
    pub nullable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default)]
    pub identity: bool,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lossy: Option<String>,
}

/// A column the source does not have, filled with a constant (e.g. a tenant id when merging databases).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraColumn {
    pub name: String,
    pub target_type: String,
    pub value: String,
    /// Part of the target's primary key (and of every unique key).
    #[serde(default)]
    pub in_key: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexPart {
    /// A target column, or
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// an expression in the target's dialect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    #[serde(default)]
    pub descending: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexPlan {
    pub name: String,
    pub unique: bool,
    pub parts: Vec<IndexPart>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
    /// Set when the index is not created, with the reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForeignKeyPlan {
    pub name: String,
    pub columns: Vec<String>,
    pub references: String,
    pub referenced_columns: Vec<String>,
    pub on_delete: String,
    pub on_update: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckPlan {
    pub name: String,
    pub source_expression: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TablePlan {
    pub source_schema: String,
    pub source: String,
    pub target: String,
    pub rows: i64,
    /// A WHERE condition on the source (a gradual migration); empty: every row.
    #[serde(default)]
    pub filter: String,
    /// Source columns the rows are read in order of, for checkpoints (the primary key); empty: the table is
    /// reloaded whole on resume.
    #[serde(default)]
    pub key: Vec<String>,
    pub columns: Vec<ColumnPlan>,
    #[serde(default)]
    pub extra_columns: Vec<ExtraColumn>,
    /// Target primary key (target names).
    #[serde(default)]
    pub primary_key: Vec<String>,
    #[serde(default)]
    pub indexes: Vec<IndexPlan>,
    #[serde(default)]
    pub foreign_keys: Vec<ForeignKeyPlan>,
    #[serde(default)]
    pub checks: Vec<CheckPlan>,
    #[serde(default)]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewPlan {
    pub name: String,
    pub source_sql: String,
    /// The view translated for the target (tried after the tables; reported if the target refuses it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_sql: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotMigrated {
    pub kind: String,
    pub name: String,
    pub reason: String,
    pub sql: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub from: String,
    pub to: String,
    pub source_engine: Engine,
    pub target_engine: Engine,
    /// Target schema (PostgreSQL) — empty for MySQL (the profile's database) and SQLite.
    pub target_schema: String,
    pub mode: Mode,
    pub existing: Existing,
    pub on_error: OnError,
    /// Tables loaded at once.
    pub parallel: usize,
    /// Rows per committed batch (and checkpoint).
    pub batch_rows: usize,
    /// Where refused rows are written (JSON lines: table, key, column, reason, value).
    pub rejects: String,
    pub tables: Vec<TablePlan>,
    #[serde(default)]
    pub views: Vec<ViewPlan>,
    #[serde(default)]
    pub not_migrated: Vec<NotMigrated>,
    /// Rule triggers translated for the target (created after the data; reported if refused).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<TriggerPlan>,
    /// PostgreSQL → PostgreSQL: the enum types the planned columns use, made before the tables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<TypePlan>,
}

/// An enum type carried from PostgreSQL to PostgreSQL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypePlan {
    pub name: String,
    pub labels: Vec<String>,
}

/// A source trigger carried to the target: the statements that make it (a function, then the trigger).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerPlan {
    pub name: String,
    pub table: String,
    pub source_sql: String,
    pub target_sql: Vec<String>,
}

impl Plan {
    pub fn to_toml(&self) -> Result<String, String> {
        let body = toml::to_string(self).map_err(|e| e.to_string())?;
        Ok(format!(
            "# dbconsole transfer plan: {} → {}. Edit and run with `dbconsole transfer run FILE`.\n\
             # Per column: target, target_type and cast (as_is int float decimal bool timestamptz timestamp date json\n\
             # uuid bytes text zero_date_null time). Per table: target (rename), filter (a WHERE on the source),\n\
             # [[tables.extra_columns]] name/target_type/value/in_key. mode: schema_and_data | data_only;\n\
             # existing: fail | truncate | append; on_error: continue | stop.\n\n{body}",
            self.from, self.to
        ))
    }

    /// Reads a plan file: unknown keys are refused (a misspelt `filter` must not copy the whole table), and
    /// what it holds is checked (`check::check_plan`); every problem is reported with its line.
    pub fn from_toml(text: &str) -> Result<Plan, String> {
        let plan: Plan = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
        let problems = super::check::check_plan(&plan, Some(text));
        if !problems.is_empty() {
            return Err(problems.join("\n"));
        }
        Ok(plan)
    }
}

/// Builds the plan for every table of `cat` (or those in `only`), using the probes.
#[allow(clippy::too_many_arguments)]
pub fn build(
    cat: &Catalog,
    probes: &std::collections::HashMap<(String, String), (i64, Vec<Probe>)>,
    from: &str,
    to: &str,
    dst: Engine,
    target_schema: &str,
    only: &[String],
) -> Plan {
    let src = cat.engine;
    let mut plan = Plan {
        from: from.into(),
        to: to.into(),
        source_engine: src,
        target_engine: dst,
        target_schema: target_schema.into(),
        mode: Mode::SchemaAndData,
        existing: Existing::Fail,
        on_error: OnError::Continue,
        parallel: 2,
        batch_rows: 20_000,
        rejects: "transfer-rejects.jsonl".into(),
        tables: Vec::new(),
        views: Vec::new(),
        not_migrated: Vec::new(),
        triggers: Vec::new(),
        types: Vec::new(),
    };
    // Rule triggers (SQLite → PostgreSQL) wait for the tables' final column types; the rest are reported.
    let mut rule_triggers: Vec<(String, String, super::triggers::RuleTrigger)> = Vec::new();
    let wanted = |t: &Table| only.is_empty() || only.iter().any(|o| o == &t.name);
    for s in &cat.schemas {
        for t in s.tables.iter().filter(|t| wanted(t)) {
            for tr in &t.triggers {
                let reason = if src == Engine::Sqlite && dst == Engine::Postgres {
                    match super::triggers::parse(&tr.definition) {
                        Ok(rt) => {
                            rule_triggers.push((t.name.clone(), tr.definition.clone(), rt));
                            continue;
                        }
                        Err(e) => format!("not a rule trigger this translation carries: {e}"),
                    }
                } else {
                    "triggers are code in the source's dialect: not migrated (SQLite rule triggers — SELECT \
                     RAISE(…) WHERE … — are carried to PostgreSQL)"
                        .into()
                };
                plan.not_migrated.push(NotMigrated {
                    kind: "trigger".into(),
                    name: tr.name.clone(),
                    reason,
                    sql: tr.definition.clone(),
                });
            }
            if t.kind.is_view() {
                plan.views.push(ViewPlan {
                    name: t.name.clone(),
                    source_sql: t.definition.clone().unwrap_or_default(),
                    target_sql: None,
                    skip: None,
                });
                continue;
            }
            if t.kind != TableKind::Table {
                continue;
            }
            let key = (s.name.clone(), t.name.clone());
            let (rows, cols_probe) = probes.get(&key).cloned().unwrap_or_default();
            plan.tables.push(table_plan(src, dst, &s.name, t, rows, &cols_probe));
        }
    }
    // Views, with every table's columns known (names re-quoted, 0/1 against booleans as FALSE/TRUE).
    let names: Vec<(String, String)> =
        plan.tables.iter().flat_map(|t| t.columns.iter().map(|c| (c.source.clone(), c.target.clone()))).collect();
    let booleans: Vec<String> = plan
        .tables
        .iter()
        .flat_map(|t| t.columns.iter().filter(|c| c.cast == Cast::Bool).map(|c| c.target.clone()))
        .collect();
    for v in plan.views.iter_mut() {
        let sql = v.source_sql.clone();
        let select = super::translate::view_select(&sql, src).trim_end_matches([';', ' ', '\n']).to_string();
        match translate_expr_typed(&select, src, dst, &names, &booleans, &[]) {
            Ok(x) => v.target_sql = Some(x.trim_end_matches(';').to_string()),
            Err(e) => v.skip = Some(format!("not portable: {e}")),
        }
    }
    if src == Engine::Sqlite {
        unify_declared_types(&mut plan, dst);
    }
    for (table, sql, rt) in rule_triggers {
        let made = match plan.tables.iter().find(|t| t.source == table) {
            None => Err("its table is not transferred".to_string()),
            Some(tp) => {
                let names: Vec<(String, String)> =
                    tp.columns.iter().map(|c| (c.source.clone(), c.target.clone())).collect();
                let booleans: Vec<String> =
                    tp.columns.iter().filter(|c| c.cast == Cast::Bool).map(|c| c.target.clone()).collect();
                let non_text: Vec<String> =
                    tp.columns.iter().filter(|c| !is_text_type(&c.target_type)).map(|c| c.target.clone()).collect();
                let translate = |e: &str| translate_expr_typed(e, src, dst, &names, &booleans, &non_text);
                let column = |c: &str| names.iter().find(|(s, _)| s.eq_ignore_ascii_case(c)).map(|(_, t)| t.clone());
                super::triggers::to_postgres(&rt, &plan.target_schema, &tp.target, &column, &translate)
            }
        };
        match made {
            Ok(target_sql) => plan.triggers.push(TriggerPlan {
                name: rt.name.clone(),
                table: table.clone(),
                source_sql: sql,
                target_sql: target_sql.to_vec(),
            }),
            Err(e) => plan.not_migrated.push(NotMigrated {
                kind: "trigger".into(),
                name: rt.name.clone(),
                reason: format!("not translated: {e}"),
                sql,
            }),
        }
    }
    // A foreign key column takes the type of the column it references.
    let types: Vec<(String, String, String, Cast)> = plan
        .tables
        .iter()
        .flat_map(|t| {
            t.columns.iter().map(move |c| (t.source.clone(), c.source.clone(), c.target_type.clone(), c.cast))
        })
        .collect();
    for t in plan.tables.iter_mut() {
        let fks = t.foreign_keys.clone();
        for f in fks {
            let referenced = if f.referenced_columns.is_empty() {
                cat.find_table(&f.references)
                    .and_then(|(_, r)| r.primary_key.as_ref())
                    .map(|k| k.columns.clone())
                    .unwrap_or_default()
            } else {
                f.referenced_columns.clone()
            };
            for (col, rcol) in f.columns.iter().zip(referenced.iter()) {
                let Some((_, _, ty, cast)) = types.iter().find(|(tb, c, _, _)| *tb == f.references && c == rcol) else {
                    continue;
                };
                let Some(c) = t.columns.iter_mut().find(|c| &c.source == col) else { continue };
                if c.cast == Cast::Int && *cast == Cast::Int && &c.target_type != ty {
                    c.target_type = ty.clone();
                } else if *cast == Cast::Text && c.cast != Cast::Text {
                    // The referenced column holds text (its values are not all of one type): so does this one, or
                    // the key could not be created and joins would compare mixed types.
                    c.target_type = ty.clone();
                    c.cast = Cast::Text;
                    c.identity = false;
                    c.reason = format!("{} · text, as the column it references", c.reason);
                }
            }
        }
    }
    if src == Engine::Postgres && dst == Engine::Postgres {
        // Enum types the columns are declared with (as format_type writes them: `mood`, `"Mood"`, `app.mood`).
        for s in &cat.schemas {
            for e in &s.enums {
                let names =
                    [quote_if_needed(&e.name), format!("{}.{}", quote_if_needed(&s.name), quote_if_needed(&e.name))];
                let used = plan.tables.iter().flat_map(|t| &t.columns).any(|c| {
                    let t = c.target_type.trim_end_matches("[]");
                    names.iter().any(|n| n == t)
                });
                if used && !plan.types.iter().any(|x| x.name == e.name) {
                    plan.types.push(TypePlan { name: e.name.clone(), labels: e.labels.clone() });
                }
            }
        }
    }
    plan
}

/// A name as PostgreSQL's format_type writes it: bare when it is a plain lower-case word, else quoted.
fn quote_if_needed(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain { name.to_string() } else { quote::ident(Engine::Postgres, name) }
}

/// Declared type names that are SQL's own (or SQLite's usual spellings): columns sharing one of these are mapped
/// each from its own values. Any other declared name is the application's own type (`CODE`, `MONEY_CENTS`), and
/// every column declared with it gets one target type.
const STANDARD_DECLARED: &[&str] = &[
    "integer",
    "int",
    "bigint",
    "smallint",
    "tinyint",
    "mediumint",
    "int2",
    "int4",
    "int8",
    "unsigned",
    "text",
    "varchar",
    "char",
    "character",
    "nchar",
    "nvarchar",
    "varying",
    "native",
    "clob",
    "string",
    "real",
    "double",
    "float",
    "numeric",
    "decimal",
    "number",
    "boolean",
    "bool",
    "date",
    "datetime",
    "timestamp",
    "time",
    "blob",
    "json",
    "jsonb",
    "uuid",
    "bytea",
    "serial",
    "bigserial",
];

/// Columns that share an application-defined declared type across the database get one target type: the
/// narrowest that holds every one's values (integers of several widths → the widest; integers with reals or
/// decimals → those; anything mixed with text or other kinds → text). A view that UNIONs them and a join that
/// compares them then see one type.
fn unify_declared_types(plan: &mut Plan, dst: Engine) {
    let mut groups: std::collections::BTreeMap<String, Vec<(usize, usize)>> = Default::default();
    for (ti, t) in plan.tables.iter().enumerate() {
        for (ci, c) in t.columns.iter().enumerate() {
            let d = c.source_type.trim().to_ascii_lowercase();
            let first = d.split(|ch: char| ch == '(' || ch.is_whitespace()).next().unwrap_or("");
            if !first.is_empty() && !STANDARD_DECLARED.contains(&first) {
                groups.entry(d).or_default().push((ti, ci));
            }
        }
    }
    for members in groups.values().filter(|m| m.len() > 1) {
        let cols: Vec<&ColumnPlan> = members.iter().map(|(t, c)| &plan.tables[*t].columns[*c]).collect();
        if cols.iter().all(|c| c.target_type == cols[0].target_type && c.cast == cols[0].cast) {
            continue;
        }
        let only = |allowed: &[Cast]| cols.iter().all(|c| allowed.contains(&c.cast));
        let int_rank = |t: &str| match t.to_ascii_lowercase().as_str() {
            "smallint" | "int2" | "tinyint" => 1,
            "integer" | "int" | "int4" | "mediumint" => 2,
            "bigint" | "int8" => 3,
            _ => 0,
        };
        let pick = |cast: Cast| cols.iter().filter(|c| c.cast == cast).map(|c| c.target_type.clone()).next();
        let (ty, cast) = if only(&[Cast::Int, Cast::Bool]) {
            let widest = cols.iter().filter(|c| c.cast == Cast::Int).max_by_key(|c| int_rank(&c.target_type));
            (widest.map(|c| c.target_type.clone()).unwrap_or_else(|| cols[0].target_type.clone()), Cast::Int)
        } else if only(&[Cast::Int, Cast::Bool, Cast::Float]) {
            (pick(Cast::Float).unwrap_or_default(), Cast::Float)
        } else if only(&[Cast::Int, Cast::Bool, Cast::Decimal]) {
            (pick(Cast::Decimal).unwrap_or_default(), Cast::Decimal)
        } else {
            let text = match dst {
                Engine::Postgres | Engine::Duckdb => "text",
                Engine::Mysql => "longtext",
                Engine::Sqlite => "TEXT",
            };
            (pick(Cast::Text).unwrap_or_else(|| text.to_string()), Cast::Text)
        };
        let declared = cols[0].source_type.clone();
        let names: Vec<String> = members
            .iter()
            .map(|(t, c)| format!("{}.{}", plan.tables[*t].source, plan.tables[*t].columns[*c].source))
            .collect();
        for (t, c) in members {
            let col = &mut plan.tables[*t].columns[*c];
            if col.target_type != ty || col.cast != cast {
                col.reason = format!("{} · {UNIFIED} {declared} ({}): {ty}", col.reason, names.join(", "));
                col.target_type = ty.clone();
                col.cast = cast;
                if cast != Cast::Int {
                    col.identity = false;
                }
            }
        }
    }
}

/// A target type that holds text (text functions apply to it as they are).
fn is_text_type(t: &str) -> bool {
    let t = t.trim().to_ascii_lowercase();
    ["text", "citext", "name", "longtext", "mediumtext", "tinytext", "clob"].contains(&t.as_str())
        || ["varchar", "character", "char(", "char ", "nvarchar", "nchar"].iter().any(|p| t.starts_with(p))
        || t == "char"
}

fn table_plan(src: Engine, dst: Engine, schema: &str, t: &Table, rows: i64, probes: &[Probe]) -> TablePlan {
    let mut notes = Vec::new();
    let mut pk: Vec<String> = t.primary_key.as_ref().map(|k| k.columns.clone()).unwrap_or_default();
    // SQLite lets a rowid table's PRIMARY KEY hold NULLs (a documented legacy quirk). No other engine does: such a
    // key is carried as a UNIQUE constraint (NULLs allowed, each distinct), so every row arrives.
    let null_key: Vec<(String, i64)> = pk
        .iter()
        .filter_map(|k| {
            let i = t.columns.iter().position(|c| &c.name == k)?;
            let n = probes.get(i).map_or(0, |p| p.nulls);
            (n > 0).then(|| (k.clone(), n))
        })
        .collect();
    let nullable_key = if src == Engine::Sqlite && !null_key.is_empty() && !t.without_rowid {
        let which: Vec<String> = null_key.iter().map(|(k, n)| format!("{k}: {n} NULL(s)")).collect();
        notes.push(format!(
            "primary key ({}) holds NULLs in the source ({}), which SQLite allows and {dst} does not: carried as a \
             UNIQUE constraint instead, so those rows are kept (set primary_key to another key in the plan if \
             there is one); the table loads in one transaction",
            pk.join(", "),
            which.join(", ")
        ));
        std::mem::take(&mut pk)
    } else {
        Vec::new()
    };
    let indexed: Vec<&str> = t
        .indexes
        .iter()
        .flat_map(|i| i.parts.iter().filter_map(|p| p.column.as_deref()))
        .chain(pk.iter().map(String::as_str))
        .chain(t.unique_constraints.iter().flat_map(|k| k.columns.iter().map(String::as_str)))
        .chain(t.foreign_keys.iter().flat_map(|f| f.columns.iter().map(String::as_str)))
        .collect();
    let mut columns = Vec::new();
    let mut enum_checks = Vec::new();
    // MariaDB's JSON is LONGTEXT with a CHECK (json_valid(col)): a JSON column.
    let json_checked = |name: &str| {
        t.checks.iter().any(|k| {
            let e = k.expression.to_ascii_lowercase().replace(['`', '"', ' '], "");
            e == format!("json_valid({})", name.to_ascii_lowercase())
        })
    };
    for (i, c) in t.columns.iter().enumerate() {
        let mut c = c.clone();
        if src == Engine::Mysql && json_checked(&c.name) {
            c.type_family = TypeFamily::Json;
        }
        let c = &c;
        if c.generated.is_some() {
            notes.push(format!(
                "column {} is generated ({}) on the source: copied as plain values",
                c.name,
                c.generated.clone().unwrap_or_default()
            ));
        }
        let p = probes.get(i).cloned().unwrap_or_default();
        let in_pk = pk.contains(&c.name);
        let indexed_key = nullable_key.contains(&c.name);
        let mut mp =
            typemap::map(src, dst, c, &p, indexed.contains(&c.name.as_str()) || indexed_key, in_pk || indexed_key);
        let identity = matches!(
            c.identity,
            Some(Identity::Always | Identity::ByDefault | Identity::AutoIncrement | Identity::Rowid)
        ) && matches!(mp.cast, Cast::Int);
        if identity && dst == Engine::Postgres && src != dst && mp.target_type != "bigint" {
            mp.target_type = "bigint".into();
        }
        if identity && dst == Engine::Sqlite {
            mp.target_type = "INTEGER".into();
        }
        // A SQLite INTEGER PRIMARY KEY is NOT NULL whatever its declaration says.
        let nullable = c.nullable && !in_pk;
        let default = match &c.default {
            None => None,
            // The identity (or AUTO_INCREMENT) takes the sequence's place.
            Some(d) if identity && d.trim_start().to_ascii_lowercase().starts_with("nextval(") => None,
            Some(d) => match default_for(d, src, dst) {
                Ok(x) if mp.cast == Cast::Bool && dst == Engine::Postgres => match x.as_str() {
                    "0" | "'0'" | "FALSE" | "false" => Some("FALSE".into()),
                    "1" | "'1'" | "TRUE" | "true" => Some("TRUE".into()),
                    _ => {
                        notes.push(format!("column {}: default {x} is not a boolean: dropped", c.name));
                        None
                    }
                },
                Ok(x) => Some(x),
                Err(e) => {
                    notes.push(format!("column {}: {e}", c.name));
                    None
                }
            },
        };
        if let Some(coll) = &c.collation
            && src != dst
        {
            notes.push(format!(
                "column {}: collation {coll} is not carried over (the target's default applies)",
                c.name
            ));
        }
        let identity_note = if identity { " · identity (values kept, sequence set past the maximum)" } else { "" };
        columns.push(ColumnPlan {
            source: c.name.clone(),
            target: c.name.clone(),
            source_type: c.data_type.clone(),
            target_type: mp.target_type,
            cast: mp.cast,
            nullable,
            default,
            identity,
            reason: format!("{}{identity_note}", mp.reason),
            lossy: mp.lossy,
        });
        if c.type_family == TypeFamily::Enum
            && ((dst != Engine::Mysql && src == Engine::Mysql) || src == Engine::Duckdb)
        {
            // ENUM('a','b') → text with a CHECK on its values (decoded with the source's rules, quoted with the
            // target's).
            if let Ok(values) = super::translate::enum_values(&c.data_type, src) {
                let values: Vec<String> = values.iter().map(|v| quote::literal(dst, v)).collect();
                enum_checks.push(CheckPlan {
                    name: format!("{}_{}_enum", t.name, c.name),
                    source_expression: format!("{} {}", c.name, c.data_type),
                    expression: Some(format!("{} IN ({})", quote::ident(dst, &c.name), values.join(", "))),
                    skip: None,
                });
            }
        }
    }
    let names: Vec<(String, String)> = columns.iter().map(|c| (c.source.clone(), c.target.clone())).collect();
    let booleans: Vec<String> = columns.iter().filter(|c| c.cast == Cast::Bool).map(|c| c.target.clone()).collect();
    let non_text: Vec<String> =
        columns.iter().filter(|c| !is_text_type(&c.target_type)).map(|c| c.target.clone()).collect();
    let translate_expr = |e: &str, src: Engine, dst: Engine, names: &[(String, String)]| {
        translate_expr_typed(e, src, dst, names, &booleans, &non_text)
    };
    let mut indexes = Vec::new();
    if !nullable_key.is_empty() {
        indexes.push(IndexPlan {
            name: format!("{}_{}_key", t.name, nullable_key.join("_")),
            unique: true,
            parts: nullable_key
                .iter()
                .map(|c| IndexPart { column: Some(c.clone()), expression: None, descending: false })
                .collect(),
            predicate: None,
            skip: None,
        });
    }
    for k in &t.unique_constraints {
        indexes.push(IndexPlan {
            name: k.name.clone().unwrap_or_else(|| format!("{}_{}_key", t.name, k.columns.join("_"))),
            unique: true,
            parts: k
                .columns
                .iter()
                .map(|c| IndexPart { column: Some(c.clone()), expression: None, descending: false })
                .collect(),
            predicate: None,
            skip: None,
        });
    }
    for ix in t.indexes.iter().filter(|i| !i.constraint) {
        let mut parts = Vec::new();
        let mut skip = None;
        for p in &ix.parts {
            match (&p.column, &p.expression) {
                (Some(c), _) => {
                    parts.push(IndexPart { column: Some(c.clone()), expression: None, descending: p.descending })
                }
                (None, Some(e)) => match translate_expr(e, src, dst, &names) {
                    Ok(x) if dst != Engine::Mysql => {
                        parts.push(IndexPart { column: None, expression: Some(x), descending: p.descending })
                    }
                    Ok(_) => skip = Some("expression index: not created on MySQL".to_string()),
                    Err(e) => skip = Some(format!("expression not portable: {e}")),
                },
                _ => {}
            }
        }
        let predicate = match &ix.predicate {
            Some(p) if dst == Engine::Mysql => {
                skip = Some(format!("partial index (WHERE {p}): MySQL has none"));
                None
            }
            Some(p) => match translate_expr(p, src, dst, &names) {
                Ok(x) => Some(x),
                Err(e) => {
                    skip = Some(format!("predicate not portable: {e}"));
                    None
                }
            },
            None => None,
        };
        indexes.push(IndexPlan { name: ix.name.clone(), unique: ix.unique, parts, predicate, skip });
    }
    let foreign_keys = t
        .foreign_keys
        .iter()
        .enumerate()
        .map(|(i, f)| ForeignKeyPlan {
            name: f.name.clone().unwrap_or_else(|| format!("{}_fk{}", t.name, i + 1)),
            columns: f.columns.clone(),
            references: f.referenced_table.clone(),
            referenced_columns: if f.referenced_columns.is_empty() { Vec::new() } else { f.referenced_columns.clone() },
            on_delete: f.on_delete.sql().into(),
            on_update: f.on_update.sql().into(),
        })
        .collect();
    let checks = t
        .checks
        .iter()
        .filter(|c| {
            !(src == Engine::Mysql
                && t.columns
                    .iter()
                    .any(|col| json_checked(&col.name) && c.expression.to_ascii_lowercase().contains("json_valid")))
        })
        .enumerate()
        .map(|(i, c)| {
            let name = c.name.clone().unwrap_or_else(|| format!("{}_check{}", t.name, i + 1));
            match translate_expr(&c.expression, src, dst, &names) {
                Ok(x) => CheckPlan { name, source_expression: c.expression.clone(), expression: Some(x), skip: None },
                Err(e) => CheckPlan {
                    name,
                    source_expression: c.expression.clone(),
                    expression: None,
                    skip: Some(format!("not carried over: {e}")),
                },
            }
        })
        .collect();
    let mut checks: Vec<CheckPlan> = checks;
    checks.extend(enum_checks);
    if pk.is_empty() {
        notes.push("no primary key: an interrupted load of this table restarts it from the beginning".into());
    }
    if t.without_rowid {
        notes.push("WITHOUT ROWID table: its primary key is kept; the storage choice has no equivalent".into());
    }
    TablePlan {
        source_schema: schema.into(),
        source: t.name.clone(),
        target: t.name.clone(),
        rows,
        filter: String::new(),
        key: pk.clone(),
        columns,
        extra_columns: Vec::new(),
        primary_key: pk,
        indexes,
        foreign_keys,
        checks,
        notes,
    }
}

/// The compatibility report: every mapping, what is lossy or not carried over, row counts.
/// What the user should read before running: everything the plan changes or leaves out beyond a plain type
/// mapping — lossy columns, types unified across tables, keys carried another way, CHECKs rewritten for the
/// mapped types, indexes, checks, views and triggers not carried, and the notes.
pub fn warnings(plan: &Plan) -> Vec<String> {
    let mut w = Vec::new();
    for t in &plan.tables {
        for c in &t.columns {
            if let Some(l) = &c.lossy {
                w.push(format!("{}.{}: {l}", t.source, c.source));
            }
            if let Some(i) = c.reason.find(UNIFIED) {
                w.push(format!("{}.{}: {}", t.source, c.source, &c.reason[i..]));
            }
        }
        for k in &t.checks {
            match (&k.skip, &k.expression) {
                (Some(why), _) => w.push(format!("{}: check {} not carried: {why}", t.source, k.name)),
                (None, Some(x)) if x.contains("CAST(") && !k.source_expression.contains("CAST(") => {
                    w.push(format!("{}: check {} rewritten for the mapped types: {x}", t.source, k.name))
                }
                _ => {}
            }
        }
        for i in t.indexes.iter().filter(|i| i.skip.is_some()) {
            w.push(format!("{}: index {} not created: {}", t.source, i.name, i.skip.as_deref().unwrap_or("")));
        }
        for n in &t.notes {
            w.push(format!("{}: {n}", t.source));
        }
    }
    for v in plan.views.iter().filter(|v| v.skip.is_some()) {
        w.push(format!("view {} not carried: {}", v.name, v.skip.as_deref().unwrap_or("")));
    }
    for t in &plan.triggers {
        w.push(format!(
            "trigger {} on {}: translated to a PL/pgSQL function (check it enforces the same rule)",
            t.name, t.table
        ));
    }
    for n in &plan.not_migrated {
        w.push(format!("{} {} not carried: {}", n.kind, n.name, n.reason));
    }
    w
}

/// The words a unified column's reason carries (see `unify_declared_types`).
const UNIFIED: &str = "one type for every column declared";

pub fn report(plan: &Plan) -> String {
    let mut s = format!(
        "Transfer {} ({}) → {} ({}), {} table(s), {} row(s)\n",
        plan.from,
        plan.source_engine,
        plan.to,
        plan.target_engine,
        plan.tables.len(),
        plan.tables.iter().map(|t| t.rows).sum::<i64>()
    );
    let warnings = warnings(plan);
    if !warnings.is_empty() {
        s.push_str(&format!("\nWarnings ({}) — read these before running:\n", warnings.len()));
        for x in &warnings {
            s.push_str(&format!("  ! {}\n", x.replace('\n', " ")));
        }
    }
    for t in &plan.tables {
        s.push_str(&format!(
            "\n{} → {} ({} rows){}\n",
            t.source,
            t.target,
            t.rows,
            if t.filter.is_empty() { String::new() } else { format!(" WHERE {}", t.filter) }
        ));
        for c in &t.columns {
            let flag = if c.lossy.is_some() { "LOSSY " } else { "" };
            s.push_str(&format!(
                "  {flag}{} {} → {} {}{}  [{}]\n",
                c.source,
                if c.source_type.is_empty() { "(none)" } else { &c.source_type },
                c.target,
                c.target_type,
                if c.nullable { "" } else { " NOT NULL" },
                c.reason
            ));
            if let Some(l) = &c.lossy {
                s.push_str(&format!("      ! {l}\n"));
            }
        }
        for e in &t.extra_columns {
            s.push_str(&format!(
                "  + {} {} = {}{}\n",
                e.name,
                e.target_type,
                e.value,
                if e.in_key { " (in the key)" } else { "" }
            ));
        }
        for i in &t.indexes {
            if let Some(why) = &i.skip {
                s.push_str(&format!("  index {} NOT CREATED: {why}\n", i.name));
            }
        }
        for c in &t.checks {
            if let Some(why) = &c.skip {
                s.push_str(&format!("  check {} ({}) {why}\n", c.name, c.source_expression));
            }
        }
        for n in &t.notes {
            s.push_str(&format!("  note: {n}\n"));
        }
    }
    for v in &plan.views {
        match &v.skip {
            Some(why) => s.push_str(&format!("\nview {} NOT MIGRATED: {why}\n  {}\n", v.name, v.source_sql)),
            None => {
                s.push_str(&format!("\nview {}: translated (created after the tables; reported if refused)\n", v.name))
            }
        }
    }
    for t in &plan.triggers {
        s.push_str(&format!(
            "\ntrigger {} on {}: translated to a PL/pgSQL function and trigger (created after the data)\n",
            t.name, t.table
        ));
    }
    for n in &plan.not_migrated {
        s.push_str(&format!("\n{} {} NOT MIGRATED: {}\n  {}\n", n.kind, n.name, n.reason, n.sql));
    }
    // The DDL that will run, in order.
    s.push_str("\n-- DDL that will run");
    if plan.mode == Mode::DataOnly {
        s.push_str(" (data_only: the tables exist; only what follows the load)");
    }
    s.push_str(":\n");
    if plan.mode == Mode::SchemaAndData {
        for ty in super::ddl::types(plan) {
            s.push_str(&format!("{ty};\n"));
        }
        for t in &plan.tables {
            s.push_str(&format!("{};\n", super::ddl::create_table(plan, t)));
        }
    }
    s.push_str("-- after the data:\n");
    for t in &plan.tables {
        for (_, sql) in super::ddl::after_load(plan, t) {
            s.push_str(&format!("{sql};\n"));
        }
    }
    for t in &plan.tables {
        for (_, sql) in super::ddl::foreign_keys(plan, t) {
            s.push_str(&format!("{sql};\n"));
        }
    }
    for (_, sql) in super::ddl::views(plan) {
        s.push_str(&format!("{sql};\n"));
    }
    for (_, sql) in super::ddl::triggers(plan) {
        s.push_str(&format!("{sql};\n"));
    }
    s
}
