//! SQL scripts instead of a live target: `transfer run --to-file` (toward any dialect) and `dump` (in the
//! source's own), both over the core's script writer.
use std::time::Instant;

use clap::Args;

use super::transfer::{RunArgs, Side, check_source, fail, open, read_plan, source_of};
use crate::core::paths::Paths;
use crate::core::profile::Engine;
use crate::core::transfer::{self, Plan};

/// `transfer run --to-file`: the plan (from a file, or made toward `--dialect`) written as a script.
pub(super) async fn to_file(paths: &Paths, a: RunArgs) -> Result<i32, i32> {
    let path = a.to_file.clone().unwrap_or_default();
    let file_plan = match &a.plan {
        Some(p) => Some(read_plan(p)?),
        None => None,
    };
    let from_name = match (&file_plan, &a.from) {
        (Some((p, _)), _) => p.from.clone(),
        (None, Some(f)) => f.clone(),
        (None, None) => {
            eprintln!("error: give a plan file, or --from with --to-file and --dialect");
            return Err(super::EXIT_USAGE);
        }
    };
    let from = open(paths, &from_name).await?;
    check_source(file_plan.as_ref(), &from).await?;
    let plan = match file_plan {
        Some((p, _)) => {
            if let Some(d) = &a.dialect
                && p.target_engine.as_str() != Engine::parse(d).map(|e| e.as_str()).unwrap_or("")
            {
                eprintln!("error: the plan is for {}, not --dialect {d}", p.target_engine);
                return Err(super::EXIT_USAGE);
            }
            p
        }
        None => {
            let Some(dialect) = a.dialect.as_deref().and_then(|d| Engine::parse(d).ok()) else {
                eprintln!("error: --to-file needs --dialect postgres|mysql|sqlite");
                return Err(super::EXIT_USAGE);
            };
            script_plan(&from, dialect, &path, &a.tables, a.schema.as_deref()).await?
        }
    };
    write_script_file(&from, plan, &path, a.yes, a.json).await
}

/// The plan for a script in `dialect` from `from`.
async fn script_plan(
    from: &Side,
    dialect: Engine,
    path: &str,
    tables: &[String],
    schema: Option<&str>,
) -> Result<Plan, i32> {
    let target_schema =
        if dialect == Engine::Postgres { schema.unwrap_or("public").to_string() } else { String::new() };
    let db = from.profile.database_name();
    let label = format!("file:{path}");
    transfer::make_plan(
        &from.pool,
        &db,
        from.profile.only_schema(),
        &from.label,
        &label,
        dialect,
        &target_schema,
        tables,
    )
    .await
    .map_err(fail)
}

/// Writes `plan` as a script to `path` ("-": standard output), says what it holds; 4 when rows were refused.
async fn write_script_file(from: &Side, plan: Plan, path: &str, overwrite: bool, json: bool) -> Result<i32, i32> {
    let to_stdout = path == "-";
    let file = if to_stdout {
        let dir = std::env::temp_dir();
        dir.join(format!("dbconsole-dump-{}.sql", std::process::id()))
    } else {
        std::path::PathBuf::from(path)
    };
    if !to_stdout && file.exists() && !overwrite {
        eprintln!("error: {path} exists: --yes overwrites it");
        return Err(super::EXIT_USAGE);
    }
    let started = Instant::now();
    let report = transfer::script::write_script(&plan, source_of(from), &file).await.map_err(fail)?;
    if to_stdout {
        let copied = std::fs::File::open(&file).and_then(|mut f| std::io::copy(&mut f, &mut std::io::stdout().lock()));
        let _ = std::fs::remove_file(&file);
        if let Err(e) = copied {
            eprintln!("error: writing the script to standard output: {e}");
            return Err(1);
        }
    }
    let refused: u64 = report.tables.iter().map(|t| t.2).sum();
    if json {
        eprintln!("{}", serde_json::json!({"event": "done", "losses": refused > 0, "report": report}));
    } else {
        let rows: u64 = report.tables.iter().map(|t| t.1).sum();
        eprintln!(
            "wrote {} ({} dialect): {rows} rows in {} table(s), {} statements, in {:.1} s",
            if to_stdout { "standard output" } else { path },
            plan.target_engine,
            report.tables.len(),
            report.statements,
            started.elapsed().as_secs_f64()
        );
        for n in &plan.not_migrated {
            eprintln!("not carried (as planned): {} {}: {}", n.kind, n.name, n.reason);
        }
        if refused > 0 {
            eprintln!(
                "finished with losses (exit {}): {refused} row(s) refused, see {}",
                super::EXIT_LOSSES,
                report.rejects
            );
        }
    }
    from.pool.close().await;
    Ok(if refused > 0 { super::EXIT_LOSSES } else { 0 })
}

/// `dbconsole dump PROFILE`: the database as a script in its own dialect, read in one snapshot.
pub async fn dump(paths: &Paths, a: DumpArgs) -> i32 {
    let r = async {
        let from = open(paths, &a.profile).await?;
        if from.profile.engine == Engine::Duckdb {
            eprintln!(
                "error: dbconsole writes no DuckDB dialect: for a copy in DuckDB's own form use `duckdb FILE -c \"EXPORT \
                 DATABASE 'DIR'\"`; for a script another engine restores, `dbconsole transfer run --from {} --to-file \
                 FILE --dialect postgres|mysql|sqlite`",
                a.profile
            );
            return Err(2);
        }
        let output = a.output.clone().unwrap_or_else(|| "-".into());
        let plan = script_plan(&from, from.profile.engine, &output, &a.tables, a.schema.as_deref()).await?;
        write_script_file(&from, plan, &output, a.yes, false).await
    }
    .await;
    match r {
        Ok(c) | Err(c) => c,
    }
}

#[derive(Debug, Args)]
pub struct DumpArgs {
    /// Profile name or connection URL.
    pub profile: String,
    /// The file to write (owner-only; written beside it and renamed when complete); standard output without.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<String>,
    /// Only these tables (comma-separated; `SCHEMA.TABLE` picks one schema's).
    #[arg(long, value_delimiter = ',')]
    pub tables: Vec<String>,
    /// The schema the tables are made in when restored (PostgreSQL; default public).
    #[arg(long)]
    pub schema: Option<String>,
    /// Overwrite an existing file.
    #[arg(long)]
    pub yes: bool,
}
