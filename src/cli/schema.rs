//! `dbconsole schema PROFILE [--json] [--ddl] [--table NAME]`. The text listing escapes control characters in
//! names, types, defaults and comments (`\x1b`), so a catalog cannot drive the terminal; JSON escapes them itself
//! and DDL is SQL, meant for a file.
use clap::Args;

use crate::core::catalog::{self, Catalog, Schema, Table, ddl, describe};
use crate::core::paths::Paths;
use crate::core::profile::Engine;
use crate::core::text::escape_control;

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Profile name or connection URL.
    pub profile: String,
    /// Print the catalog as JSON (documented in docs/schema-json.md).
    #[arg(long)]
    pub json: bool,
    /// Print DDL in the engine's dialect instead.
    #[arg(long, conflicts_with = "json")]
    pub ddl: bool,
    /// Only this table or view (`name` or `schema.name`).
    #[arg(long)]
    pub table: Option<String>,
}

pub async fn run(paths: &Paths, args: SchemaArgs) -> i32 {
    let set = super::load_profiles(paths);
    let p = match super::resolve_target(&set, &args.profile) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return super::EXIT_USAGE;
        }
    };
    let pool = match super::connect(paths, &p).await {
        Ok(pool) => pool,
        Err(code) => return code,
    };
    let database = p.database_name();
    let result = catalog::introspect(&pool, &database, p.database.as_deref(), |_| {}).await;
    pool.close().await;
    let cat = match result {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    for w in &cat.warnings {
        eprintln!("warning: {}", escape_control(w));
    }
    match &args.table {
        Some(name) => {
            let Some((schema, table)) = cat.find_table(name) else {
                eprintln!("error: no table or view `{name}` in {}", cat.database);
                return super::EXIT_USAGE;
            };
            if args.json {
                let v = serde_json::json!({"engine": cat.engine, "schema": schema.name, "table": table,
                    "referenced_by": cat.referenced_by(&schema.name, &table.name).iter().map(|(s, t, fk)| serde_json::json!({"schema": s, "table": t, "foreign_key": fk})).collect::<Vec<_>>()});
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else if args.ddl {
                println!("{}", ddl::object_ddl(cat.engine, &schema.name, table));
            } else {
                print!("{}", escape_control(&describe_table(&cat, schema, table)));
            }
        }
        None => {
            if args.json {
                println!("{}", serde_json::to_string_pretty(&cat).unwrap_or_default());
            } else if args.ddl {
                println!("{}", ddl::catalog_ddl(&cat));
            } else {
                print!("{}", escape_control(&describe_catalog(&cat)));
            }
        }
    }
    0
}

pub fn describe_catalog(c: &Catalog) -> String {
    let mut s = format!(
        "{} {} · {} · {} schema(s), {} table(s) and view(s)\n",
        match c.engine {
            Engine::Postgres => "PostgreSQL",
            Engine::Mysql => "MySQL/MariaDB",
            Engine::Sqlite => "SQLite",
            Engine::Duckdb => "DuckDB",
        },
        c.server_version,
        c.database,
        c.schemas.len(),
        c.table_count()
    );
    for sc in &c.schemas {
        s.push_str(&format!("\nschema {}\n", sc.name));
        for t in &sc.tables {
            let mut facts = vec![format!("{} columns", t.columns.len())];
            if let Some(r) = t.row_estimate {
                facts.push(format!("~{r} rows"));
            }
            if let Some(b) = t.size_bytes {
                facts.push(describe::bytes(b));
            }
            s.push_str(&format!("  {:<18} {}  ({})\n", t.kind.as_str(), t.name, facts.join(", ")));
        }
        for e in &sc.enums {
            s.push_str(&format!("  {:<18} {} ({})\n", "enum", e.name, e.labels.join(", ")));
        }
        for q in &sc.sequences {
            s.push_str(&format!("  {:<18} {}\n", "sequence", q.name));
        }
        for f in &sc.functions {
            s.push_str(&format!("  {:<18} {}({})\n", f.kind, f.name, f.arguments));
        }
    }
    if !c.extensions.is_empty() {
        let e: Vec<_> = c.extensions.iter().map(|x| format!("{} {}", x.name, x.version)).collect();
        s.push_str(&format!("\nextensions: {}\n", e.join(", ")));
    }
    s
}

pub fn describe_table(c: &Catalog, schema: &Schema, t: &Table) -> String {
    let mut s = format!("{} {}.{}\n", t.kind.as_str(), schema.name, t.name);
    for col in &t.columns {
        let mut flags = if col.nullable { Vec::new() } else { vec!["not null".to_string()] };
        flags.extend(describe::column_extras(col));
        s.push_str(&format!("  {:<24} {:<28} {}\n", col.name, col.data_type, flags.join(", ")));
    }
    let mut lines = Vec::new();
    if let Some(pk) = &t.primary_key {
        lines.push(describe::key("primary key", pk));
    }
    lines.extend(t.unique_constraints.iter().map(|u| describe::key("unique", u)));
    lines.extend(t.indexes.iter().map(describe::index));
    lines.extend(t.foreign_keys.iter().map(|fk| format!("references {}", describe::references(fk))));
    lines.extend(
        c.referenced_by(&schema.name, &t.name)
            .iter()
            .map(|(rs, rt, fk)| format!("referenced by {}", describe::referenced_by(rs, rt, fk))),
    );
    lines.extend(t.checks.iter().map(describe::check));
    lines.extend(t.triggers.iter().map(describe::trigger));
    for l in lines {
        s.push_str(&l);
        s.push('\n');
    }
    s
}
