//! Cross-engine data transfer: plan (type mapping from the catalog and the data), compatibility report, run
//! (tables in parallel, batched, checkpointed, resumable, bad rows to a reject file), verify (row counts and
//! checksums over a canonical form of the data on both sides).
pub mod check;
pub mod convert;
pub mod ddl;
pub mod key;
pub mod load;
mod pg_text;
pub mod plan;
pub mod probe;
pub mod script;
pub mod sqlite_raw;
pub mod target;
pub mod translate;
pub mod triggers;
pub mod typemap;
pub mod verify;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use sha2::Digest;

use crate::core::catalog::quote;
use crate::core::engine::DbPool;
use crate::core::profile::Engine;
use crate::core::store::Store;
pub use load::Source;
pub use plan::{Existing, Mode, OnError, Plan};

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("{0}")]
    Refused(String),
    #[error("reading the source: {0}")]
    Source(String),
    #[error("target: {0}")]
    Target(String),
    #[error("table {table}: {message} (the run can be resumed with --resume)")]
    Load { table: String, message: String },
    #[error("state store: {0}")]
    Store(String),
}

/// Progress, for gauges and `--json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Stage { stage: String },
    TableStart { table: String, total: u64 },
    Progress { table: String, rows: u64, total: u64, bytes: u64, read: u64 },
    TableDone { table: String, rows: u64, rejected: u64, seconds: f64 },
    Step { what: String, error: Option<String> },
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct TableReport {
    pub table: String,
    pub rows: u64,
    pub rejected: u64,
    pub seconds: f64,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RunReport {
    pub tables: Vec<TableReport>,
    /// Steps after the load (indexes, checks, keys, identities, views) that the target refused.
    pub failed_steps: Vec<(String, String)>,
    pub steps: usize,
    pub seconds: f64,
    pub rejects: String,
    pub resumed: bool,
}

/// Runs one statement on the target. Always exactly one: the text is split as the target reads it and refused
/// if it holds more, and it goes through the extended protocol (a prepared statement), which the servers refuse
/// to run several statements in.
pub(crate) async fn exec(pool: &DbPool, sql: &str) -> Result<(), String> {
    let n = crate::core::sql::split(sql, pool.engine()).len();
    if n != 1 {
        return Err(format!("refused: {n} statements where one was expected: {}", sql.escape_debug()));
    }
    macro_rules! q {
        () => {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).persistent(false)
        };
    }
    match pool {
        DbPool::Postgres(p) => q!().execute(p).await.map(|_| ()),
        DbPool::Mysql(p) => q!().execute(p).await.map(|_| ()),
        DbPool::Sqlite(p) => q!().execute(p).await.map(|_| ()),
        DbPool::Duckdb(_) => return Err(crate::core::engine::NotWritable.into()),
    }
    .map_err(|e| crate::core::query::QueryError::from_sqlx(&e).to_string())
}

pub(crate) async fn scalar(pool: &DbPool, sql: &str) -> Result<i64, String> {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    let e = |e: sqlx::Error| crate::core::query::QueryError::from_sqlx(&e).to_string();
    match pool {
        DbPool::Postgres(p) => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await.map_err(e),
        DbPool::Mysql(p) => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await.map_err(e),
        DbPool::Sqlite(p) => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await.map_err(e),
        DbPool::Duckdb(d) => d
            .first(&sql.0)
            .await
            .map_err(|e| e.to_string())?
            .and_then(|v| v.parse::<i64>().ok())
            .ok_or_else(|| format!("no number from: {}", sql.0)),
    }
}

/// Whether `table` exists on the target, and how many rows it has.
pub async fn target_table(plan: &Plan, target: &DbPool, table: &str) -> Result<Option<i64>, String> {
    let e = plan.target_engine;
    let sql = match e {
        Engine::Postgres | Engine::Duckdb => format!(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = {} AND table_name = {}",
            quote::literal(e, &plan.target_schema),
            quote::literal(e, table)
        ),
        Engine::Mysql => format!(
            "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {}",
            quote::literal(e, table)
        ),
        Engine::Sqlite => {
            format!("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = {}", quote::literal(e, table))
        }
    };
    if scalar(target, &sql).await? == 0 {
        return Ok(None);
    }
    let n =
        scalar(target, &format!("SELECT count(*) FROM {}", quote::qualified(e, &plan.target_schema, table))).await?;
    Ok(Some(n))
}

/// The run's identity: a hash of the plan and of where source and target are (the same plan toward the same
/// databases resumes the same run; toward another database it is another run).
///
/// Settings that change how, not what, is written (tables at once, batch size, the reject file, what to do with a
/// bad row) are not part of it: `--resume --parallel 4` continues the same run.
pub fn run_id(plan: &Plan, places: &str) -> String {
    let mut what = plan.clone();
    what.parallel = 0;
    what.batch_rows = 0;
    what.rejects = String::new();
    what.on_error = OnError::Continue;
    let text = format!("{}\n{places}", what.to_toml().unwrap_or_default());
    let h = sha2::Sha256::digest(text.as_bytes());
    h.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

pub struct RunOptions {
    /// Continue an interrupted run of the same plan.
    pub resume: bool,
    /// Forget an earlier run of the same plan and start again.
    pub restart: bool,
    /// Where the source and target are (part of the run's identity), e.g. both profiles' targets.
    pub places: String,
}

/// Runs the plan: checks the target, creates the tables (schema_and_data), loads every table (in parallel,
/// `plan.parallel` at a time), then indexes, checks, foreign keys, identity positions and views.
pub async fn run(
    plan: &Plan,
    source: Source,
    target: &DbPool,
    store: &Store,
    opts: &RunOptions,
    on_event: Arc<dyn Fn(Event) + Send + Sync>,
) -> Result<RunReport, TransferError> {
    let started = Instant::now();
    let run = run_id(plan, &opts.places);
    let st = |e: crate::core::store::StoreError| TransferError::Store(e.to_string());
    let stage = store.transfer_stage(&run).await.map_err(st)?;
    let resuming = match (&stage, opts.resume, opts.restart) {
        (Some(s), false, false) if s != "done" => {
            return Err(TransferError::Refused(format!(
                "an interrupted run of this plan exists (stopped in its {s} stage): --resume continues it, --restart starts again"
            )));
        }
        (Some(s), _, false) if s == "done" => {
            // Ran to the end before. If the target no longer has any of its tables (the database was dropped and
            // made again), it simply runs; otherwise say so.
            let mut any = false;
            for t in &plan.tables {
                any |= target_table(plan, target, &t.target).await.map_err(TransferError::Target)?.is_some();
            }
            if any {
                return Err(TransferError::Refused(
                    "this plan already ran to the end and its tables are on the target: `transfer verify` checks \
                     them; --restart runs it again (with `existing` set to truncate or append)"
                        .into(),
                ));
            }
            false
        }
        (Some(_), true, _) => true,
        _ => false,
    };
    if let DbPool::Mysql(p) = target {
        // Values and literals are quoted with backslash escapes (quote::literal); a session that reads a
        // backslash as a plain character would store them doubled.
        let mode: String = sqlx::query_scalar("SELECT @@SESSION.sql_mode").fetch_one(p).await.unwrap_or_default();
        if mode.to_ascii_uppercase().contains("NO_BACKSLASH_ESCAPES") {
            return Err(TransferError::Refused(
                "the MySQL target's sql_mode has NO_BACKSLASH_ESCAPES, which the loader's quoting does not support; \
                 nothing was written (remove it from the server's or the user's sql_mode for the transfer)"
                    .into(),
            ));
        }
    }
    if !resuming {
        // Nothing is written until every table has been checked.
        let mut problems = Vec::new();
        for t in &plan.tables {
            let existing = target_table(plan, target, &t.target).await.map_err(TransferError::Target)?;
            match (plan.mode, existing, plan.existing) {
                (Mode::SchemaAndData, Some(_), Existing::Fail) => {
                    problems.push(format!("{} exists on the target (existing = \"fail\")", t.target))
                }
                (Mode::DataOnly, None, _) => {
                    problems.push(format!("{} does not exist on the target (mode = \"data_only\")", t.target))
                }
                (Mode::DataOnly, Some(n), Existing::Fail) if n > 0 => {
                    problems.push(format!("{} has {n} rows on the target (existing = \"fail\")", t.target))
                }
                _ => {}
            }
        }
        if !problems.is_empty() && opts.resume {
            return Err(TransferError::Refused(format!(
                "nothing was written: {}. --resume found no interrupted run of this plan toward these databases: the \
                 plan differs from the one that ran (its tables, columns, filters, mode or target), or that run ran \
                 to the end. Resume with the plan file the stopped run used; `existing = \"append\"` would add \
                 the rows it wrote a second time",
                problems.join("; ")
            )));
        }
        if !problems.is_empty() {
            return Err(TransferError::Refused(format!(
                "nothing was written: {}; if an earlier run of this plan stopped part-way, --resume continues it; \
                 otherwise set `existing` in the plan to \"truncate\" (empties the tables first) or \"append\" \
                 (adds to what is there: rows a stopped run wrote would be there twice)",
                problems.join("; ")
            )));
        }
        store.transfer_start(&run, &plan.to_toml().unwrap_or_default()).await.map_err(st)?;
    }
    on_event(Event::Stage { stage: "schema".into() });
    if plan.target_engine == Engine::Postgres && !plan.target_schema.is_empty() && plan.target_schema != "public" {
        exec(target, &format!("CREATE SCHEMA IF NOT EXISTS {}", quote::ident(Engine::Postgres, &plan.target_schema)))
            .await
            .map_err(TransferError::Target)?;
    }
    if plan.mode == Mode::SchemaAndData {
        for (ty, sql) in plan.types.iter().zip(ddl::types(plan)) {
            // A type already there (an earlier run, or made by hand) is used as it is.
            let there = scalar(
                target,
                &format!(
                    "SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typname = {} \
                     AND n.nspname = {}",
                    quote::literal(Engine::Postgres, &ty.name),
                    quote::literal(Engine::Postgres, &plan.target_schema)
                ),
            )
            .await
            .map_err(TransferError::Target)?;
            if there == 0 {
                exec(target, &sql)
                    .await
                    .map_err(|e| TransferError::Target(format!("creating type {}: {e}", ty.name)))?;
            }
        }
    }
    for t in &plan.tables {
        let exists = target_table(plan, target, &t.target).await.map_err(TransferError::Target)?;
        match (plan.mode, exists) {
            (Mode::SchemaAndData, None) => exec(target, &ddl::create_table(plan, t))
                .await
                .map_err(|e| TransferError::Target(format!("creating {}: {e}", t.target)))?,
            (_, Some(_)) if !resuming && plan.existing == Existing::Truncate => {
                load::clear_table(plan, t, target).await.map_err(TransferError::Target)?
            }
            _ => {}
        }
    }
    // The load: `parallel` tables at a time, biggest first.
    on_event(Event::Stage { stage: "load".into() });
    // The reject file is created at the first refused row (no empty files); its folder is checked now.
    let rejects_path = std::path::PathBuf::from(&plan.rejects);
    let folder = match rejects_path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    if !folder.is_dir() {
        return Err(TransferError::Refused(format!("reject file {}: no folder {}", plan.rejects, folder.display())));
    }
    let rejects = Arc::new(Mutex::new(load::Rejects { path: rejects_path, file: None }));
    let ctx = Arc::new(load::Ctx {
        plan: plan.clone(),
        source,
        target: target.clone(),
        store: store.clone(),
        run: run.clone(),
        rejects,
        on_event: on_event.clone(),
    });
    let mut order: Vec<usize> = (0..plan.tables.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(plan.tables[i].rows));
    let sem = Arc::new(tokio::sync::Semaphore::new(plan.parallel.max(1)));
    // A JoinSet: when this run is cancelled (its future dropped), the table loads stop with it.
    let mut tasks = tokio::task::JoinSet::new();
    let rank: Vec<usize> = order.clone();
    for i in order {
        let ctx = ctx.clone();
        let sem = sem.clone();
        tasks.spawn(async move {
            let _permit = sem.acquire_owned().await;
            let t = &ctx.plan.tables[i];
            (ctx.on_event)(Event::TableStart { table: t.source.clone(), total: t.rows.max(0) as u64 });
            let started = Instant::now();
            let r = load::load_table(&ctx, t).await;
            if let Ok((rows, rejected)) = &r {
                (ctx.on_event)(Event::TableDone {
                    table: t.source.clone(),
                    rows: *rows,
                    rejected: *rejected,
                    seconds: started.elapsed().as_secs_f64(),
                });
            }
            (i, r, started.elapsed())
        });
    }
    let mut report = RunReport { rejects: plan.rejects.clone(), resumed: resuming, ..Default::default() };
    let mut first_error = None;
    while let Some(task) = tasks.join_next().await {
        match task {
            Ok((i, Ok((rows, rejected)), d)) => report.tables.push(TableReport {
                table: plan.tables[i].source.clone(),
                rows,
                rejected,
                seconds: d.as_secs_f64(),
            }),
            Ok((_, Err(e), _)) => {
                first_error.get_or_insert(e);
            }
            Err(e) => {
                first_error.get_or_insert(TransferError::Target(e.to_string()));
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    report.tables.sort_by_key(|t| rank.iter().position(|&i| plan.tables[i].source == t.table));
    store.transfer_set_stage(&run, "after").await.map_err(st)?;
    on_event(Event::Stage { stage: "indexes and constraints".into() });
    let mut steps: Vec<(String, String)> = Vec::new();
    for t in &plan.tables {
        steps.extend(ddl::after_load(plan, t));
    }
    for t in &plan.tables {
        steps.extend(ddl::foreign_keys(plan, t));
    }
    steps.extend(ddl::views(plan));
    steps.extend(ddl::triggers(plan));
    report.steps = steps.len();
    for (what, sql) in steps {
        let r = exec(target, &sql).await;
        // On a resumed run a step may have been done already.
        let r = match r {
            Err(e)
                if resuming
                    && (e.contains("already exists")
                        || e.contains("Duplicate")
                        || e.contains("1061")
                        || e.contains("1826")) =>
            {
                Ok(())
            }
            other => other,
        };
        on_event(Event::Step { what: what.clone(), error: r.clone().err() });
        if let Err(e) = r {
            report.failed_steps.push((what, format!("{e}\n  {sql}")));
        }
    }
    store.transfer_set_stage(&run, "done").await.map_err(st)?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Reads the source catalog, probes its data, and builds the plan toward `dst`.
/// Where a profile's rows are read from: a SQLite file through SQLite's C API, others through their pool.
pub fn source_for(p: &crate::core::profile::Profile, pool: &DbPool) -> Source {
    match (&p.engine, &p.path) {
        (Engine::Sqlite, Some(path)) => Source::Sqlite(path.clone()),
        _ => Source::Pool(pool.clone()),
    }
}

/// The plan from `from` (read through `from_pool`) toward `to`'s engine; `labels` are how the plan names the two
/// sides (profile names, or URLs without their passwords). `schema`: the PostgreSQL target schema (default public).
pub async fn plan_between(
    from: &crate::core::profile::Profile,
    from_pool: &DbPool,
    to: &crate::core::profile::Profile,
    labels: (&str, &str),
    tables: &[String],
    schema: Option<&str>,
) -> Result<Plan, TransferError> {
    let target_schema = match to.engine {
        Engine::Postgres => schema.unwrap_or("public").to_string(),
        _ => String::new(),
    };
    make_plan(
        from_pool,
        &from.database_name(),
        from.only_schema(),
        labels.0,
        labels.1,
        to.engine,
        &target_schema,
        tables,
    )
    .await
}

/// Checks a plan read from a file against the source it will read: every table, column and key it names must be
/// there (see `check::check_against`).
pub async fn check_plan_source(
    plan: &Plan,
    text: Option<&str>,
    src_pool: &DbPool,
    src_database: &str,
    only_schema: Option<&str>,
) -> Result<(), TransferError> {
    let cat = crate::core::catalog::introspect(src_pool, src_database, only_schema, |_| {})
        .await
        .map_err(|e| TransferError::Source(e.to_string()))?;
    let problems = check::check_against(plan, &cat, text);
    if problems.is_empty() {
        return Ok(());
    }
    Err(TransferError::Refused(format!(
        "the plan does not match the source; nothing was written:\n{}",
        problems.join("\n")
    )))
}

#[allow(clippy::too_many_arguments)]
pub async fn make_plan(
    src_pool: &DbPool,
    src_database: &str,
    only_schema: Option<&str>,
    from: &str,
    to: &str,
    dst: Engine,
    target_schema: &str,
    tables: &[String],
) -> Result<Plan, TransferError> {
    if dst == Engine::Duckdb {
        return Err(TransferError::Refused(crate::core::engine::NotWritable::MESSAGE.into()));
    }
    let cat = crate::core::catalog::introspect(src_pool, src_database, only_schema, |_| {})
        .await
        .map_err(|e| TransferError::Source(e.to_string()))?;
    let mut cat = cat;
    for s in cat.schemas.iter_mut() {
        // dbconsole's own: the migrations table and the sync's change log and bookkeeping.
        s.tables
            .retain(|t| t.name != crate::core::migrate::state::TABLE && !crate::core::sync::capture::is_own(&t.name));
    }
    // `--tables` names a table, or `schema.table` to pick one schema's (a name may itself hold a dot: an exact
    // name matches first).
    let picks = |schema: &str, name: &str, n: &String| *n == name || *n == format!("{schema}.{name}");
    if let Some(missing) =
        tables.iter().find(|n| cat.schemas.iter().all(|s| s.tables.iter().all(|t| !picks(&s.name, &t.name, n))))
    {
        return Err(TransferError::Refused(format!("no table `{missing}` in the source")));
    }
    if !tables.is_empty() {
        for s in cat.schemas.iter_mut() {
            let schema = s.name.clone();
            s.tables.retain(|t| tables.iter().any(|n| picks(&schema, &t.name, n)));
        }
    }
    // The target has one namespace: the same name in two source schemas would load two tables into one.
    let mut seen: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for s in &cat.schemas {
        for t in &s.tables {
            seen.entry(t.name.as_str()).or_default().push(s.name.as_str());
        }
    }
    if let Some((name, schemas)) = seen.iter().find(|(_, v)| v.len() > 1) {
        return Err(TransferError::Refused(format!(
            "`{name}` is in schemas {} of the source, and they would all become one table `{name}` in the target: \
             transfer one schema at a time (--tables SCHEMA.TABLE,…) or rename one; nothing was written",
            schemas.join(", ")
        )));
    }
    let tables: &[String] = &[];
    // A SQLite file is read directly (one pass per table, values checked in Rust); servers aggregate themselves.
    let probes = match (cat.engine, src_database) {
        (Engine::Sqlite, path) if std::path::Path::new(path).is_file() => {
            probe::sqlite_scan_all(std::path::Path::new(path), &cat, tables).await
        }
        _ => probe::probe_all(src_pool, &cat, dst, tables).await,
    }
    .map_err(TransferError::Source)?;
    Ok(plan::build(&cat, &probes, from, to, dst, target_schema, tables))
}
