//! `dbconsole transfer plan|report|run|verify`: move a database between engines with a reviewed plan.
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use clap::{Args, Subcommand};

use crate::core::engine::DbPool;
use crate::core::paths::Paths;
use crate::core::profile::Profile;
use crate::core::transfer::{self, Event, Plan, RunOptions, Source, TransferError};

#[derive(Debug, Subcommand)]
pub enum TransferCommand {
    /// Read the source and print the plan (TOML, to edit) on stdout and the compatibility report on stderr.
    Plan(PlanArgs),
    /// The compatibility report of a plan file.
    Report { plan: String },
    /// Run a plan file (or plan and run --from/--to): tables, data, indexes, keys; asks first without --yes.
    Run(RunArgs),
    /// Row counts and checksums on both sides, with sample keys where they differ.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[arg(long)]
    pub from: String,
    #[arg(long)]
    pub to: String,
    /// Only these tables (comma-separated; `SCHEMA.TABLE` picks one schema's when several have that name).
    #[arg(long, value_delimiter = ',')]
    pub tables: Vec<String>,
    /// Target schema (PostgreSQL; default public).
    #[arg(long)]
    pub schema: Option<String>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// A plan file from `transfer plan`.
    pub plan: Option<String>,
    #[arg(long)]
    pub from: Option<String>,
    #[arg(long)]
    pub to: Option<String>,
    /// Write the transfer as a SQL script (DDL, data, post-load steps) instead of running it against a target.
    #[arg(long, value_name = "FILE", conflicts_with = "to")]
    pub to_file: Option<String>,
    /// The script's dialect (with --to-file; a plan file's own target engine otherwise).
    #[arg(long, value_parser = ["postgres", "mysql", "sqlite"], requires = "to_file")]
    pub dialect: Option<String>,
    #[arg(long, value_delimiter = ',')]
    pub tables: Vec<String>,
    #[arg(long)]
    pub schema: Option<String>,
    /// Do not ask (and overwrite an existing --to-file).
    #[arg(long)]
    pub yes: bool,
    /// Continue an interrupted run of the same plan.
    #[arg(long, conflicts_with = "restart")]
    pub resume: bool,
    /// Forget an earlier run of the same plan and start again.
    #[arg(long)]
    pub restart: bool,
    /// Tables loaded at once (overrides the plan).
    #[arg(long)]
    pub parallel: Option<usize>,
    /// Reject file (overrides the plan).
    #[arg(long)]
    pub rejects: Option<String>,
    /// Events as JSON lines on stdout instead of progress on stderr.
    #[arg(long)]
    pub json: bool,
    /// Verify after the load.
    #[arg(long)]
    pub verify: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    pub plan: Option<String>,
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    #[arg(long)]
    pub to: Option<String>,
    #[arg(long, value_delimiter = ',')]
    pub tables: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

pub(super) struct Side {
    pub(super) profile: Profile,
    pub(super) pool: DbPool,
    /// How the plan names this side: the profile's name, or the URL it was given as, without its password
    /// (asked again, or found in .pgpass, when the plan runs).
    pub(super) label: String,
}

/// A URL without its password; anything else as it is.
fn plan_label(name: &str) -> String {
    if super::looks_like_url(name) { crate::core::profile::url::redact(name) } else { name.to_string() }
}

pub(super) async fn open(paths: &Paths, name: &str) -> Result<Side, i32> {
    let set = super::load_profiles(paths);
    let profile = super::resolve_target(&set, name).map_err(|e| {
        eprintln!("error: {e}");
        super::EXIT_USAGE
    })?;
    // A transfer holds sessions (transactions per batch, server-side cursors): the direct connection if any.
    let pool = super::connect(paths, &profile.session_profile()).await?;
    Ok(Side { profile, pool, label: plan_label(name) })
}

pub(super) fn source_of(side: &Side) -> Source {
    transfer::source_for(&side.profile, &side.pool)
}

async fn build(from: &Side, to: &Side, tables: &[String], schema: Option<&str>) -> Result<Plan, TransferError> {
    transfer::plan_between(&from.profile, &from.pool, &to.profile, (&from.label, &to.label), tables, schema).await
}

/// A plan file and its text (for the lines of later problems).
pub(super) fn read_plan(path: &str) -> Result<(Plan, String), i32> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        eprintln!("error: cannot read {path}: {e}");
        super::EXIT_USAGE
    })?;
    let plan = Plan::from_toml(&text).map_err(|e| {
        eprintln!("error: {path}:\n{e}");
        super::EXIT_USAGE
    })?;
    Ok((plan, text))
}

/// A plan from a file must match the source it reads (tables, columns, keys).
pub(super) async fn check_source(file: Option<&(Plan, String)>, from: &Side) -> Result<(), i32> {
    let Some((plan, text)) = file else { return Ok(()) };
    let (database, schema) = (from.profile.database_name(), from.profile.only_schema());
    transfer::check_plan_source(plan, Some(text), &from.pool, &database, schema).await.map_err(fail)
}

pub async fn run(paths: &Paths, cmd: TransferCommand) -> i32 {
    match run_inner(paths, cmd).await {
        Ok(code) | Err(code) => code,
    }
}

async fn sides(paths: &Paths, plan: Option<&Plan>, from: Option<&str>, to: Option<&str>) -> Result<(Side, Side), i32> {
    let (f, t) = match (plan, from, to) {
        (Some(p), _, _) => (p.from.clone(), p.to.clone()),
        (None, Some(f), Some(t)) => (f.to_string(), t.to_string()),
        _ => {
            eprintln!("error: give a plan file, or --from and --to");
            return Err(super::EXIT_USAGE);
        }
    };
    Ok((open(paths, &f).await?, open(paths, &t).await?))
}

/// Per table: rows read, written and refused (the end of every run, losses or not).
fn summary_table(r: &transfer::RunReport) -> String {
    let w = r.tables.iter().map(|t| t.table.chars().count()).max().unwrap_or(5).max(5);
    let mut out = format!("{:<w$}  {:>10}  {:>10}  {:>8}\n", "table", "read", "written", "refused");
    for t in &r.tables {
        out.push_str(&format!("{:<w$}  {:>10}  {:>10}  {:>8}\n", t.table, t.rows + t.rejected, t.rows, t.rejected));
    }
    out
}

pub(super) fn fail(e: TransferError) -> i32 {
    eprintln!("error: {e}");
    match e {
        TransferError::Refused(_) => super::EXIT_USAGE,
        _ => 1,
    }
}

async fn run_inner(paths: &Paths, cmd: TransferCommand) -> Result<i32, i32> {
    match cmd {
        TransferCommand::Plan(a) => {
            let (from, to) = sides(paths, None, Some(&a.from), Some(&a.to)).await?;
            let plan = build(&from, &to, &a.tables, a.schema.as_deref()).await.map_err(fail)?;
            eprint!("{}", transfer::plan::report(&plan));
            println!(
                "{}",
                plan.to_toml().map_err(|e| {
                    eprintln!("error: {e}");
                    1
                })?
            );
            Ok(0)
        }
        TransferCommand::Report { plan } => {
            let (plan, _) = read_plan(&plan)?;
            print!("{}", transfer::plan::report(&plan));
            Ok(0)
        }
        TransferCommand::Run(a) if a.to_file.is_some() => super::dump::to_file(paths, a).await,
        TransferCommand::Run(a) => {
            let file_plan = match &a.plan {
                Some(p) => Some(read_plan(p)?),
                None => None,
            };
            let (from, to) = sides(paths, file_plan.as_ref().map(|f| &f.0), a.from.as_deref(), a.to.as_deref()).await?;
            check_source(file_plan.as_ref(), &from).await?;
            let mut plan = match file_plan {
                Some((p, _)) => p,
                None => build(&from, &to, &a.tables, a.schema.as_deref()).await.map_err(fail)?,
            };
            if let Some(n) = a.parallel {
                plan.parallel = n.max(1);
            }
            if let Some(r) = &a.rejects {
                plan.rejects = r.clone();
            }
            if !a.yes {
                eprint!("{}", transfer::plan::report(&plan));
                eprintln!(
                    "\nnot run: this writes to `{}` ({}); run again with --yes",
                    to.profile.name,
                    to.profile.target()
                );
                return Ok(super::EXIT_USAGE);
            }
            let store = crate::core::store::Store::open(&paths.state_db()).await.map_err(|e| {
                eprintln!("error: {e}");
                1
            })?;
            let json = a.json;
            let progress = Arc::new(Mutex::new(Progress::new(&plan)));
            let p2 = progress.clone();
            let on_event: Arc<dyn Fn(Event) + Send + Sync> = Arc::new(move |e: Event| {
                if json {
                    println!("{}", serde_json::to_string(&e).unwrap_or_default());
                } else if let Ok(mut p) = p2.lock() {
                    p.on(&e);
                }
            });
            let places = format!("{} → {}", from.profile.target(), to.profile.target());
            let opts = RunOptions { resume: a.resume, restart: a.restart, places };
            let started = Instant::now();
            let result = transfer::run(&plan, source_of(&from), &to.pool, &store, &opts, on_event).await;
            if let Ok(mut p) = progress.lock() {
                p.finish();
            }
            let report = result.map_err(fail)?;
            let rows: u64 = report.tables.iter().map(|t| t.rows).sum();
            let rejected: u64 = report.tables.iter().map(|t| t.rejected).sum();
            let losses = rejected > 0 || !report.failed_steps.is_empty();
            if json {
                let summary: Vec<_> = report
                    .tables
                    .iter()
                    .map(|t| serde_json::json!({"table": t.table, "read": t.rows + t.rejected, "written": t.rows, "refused": t.rejected}))
                    .collect();
                let not_created: Vec<_> =
                    report.failed_steps.iter().map(|(what, e)| serde_json::json!({"what": what, "error": e})).collect();
                println!(
                    "{}",
                    serde_json::json!({"event": "done", "losses": losses, "summary": summary, "not_created": not_created, "report": report})
                );
            } else {
                eprintln!(
                    "done: {rows} rows in {} table(s) in {:.1} s{}; {} step(s) after the load",
                    report.tables.len(),
                    started.elapsed().as_secs_f64(),
                    if report.resumed { " (resumed)" } else { "" },
                    report.steps
                );
                eprint!("{}", summary_table(&report));
                if rejected > 0 {
                    eprintln!("{rejected} row(s) refused: see {}", report.rejects);
                }
                for (what, e) in &report.failed_steps {
                    eprintln!("not created: {what}: {e}");
                }
                // What the plan said it would leave out (known before the run; not a loss of the run's own).
                for n in &plan.not_migrated {
                    eprintln!("not carried (as planned): {} {}: {}", n.kind, n.name, n.reason);
                }
                for v in plan.views.iter().filter(|v| v.skip.is_some()) {
                    eprintln!("not carried (as planned): view {}: {}", v.name, v.skip.as_deref().unwrap_or(""));
                }
                if losses {
                    eprintln!(
                        "finished with losses (exit {}): the target does not hold everything the source has",
                        super::EXIT_LOSSES
                    );
                }
            }
            let mut code = if losses { super::EXIT_LOSSES } else { 0 };
            if a.verify {
                let v = verify_print(&plan, &source_of(&from), &to.pool, json).await;
                if v != 0 {
                    code = v;
                }
            }
            from.pool.close().await;
            to.pool.close().await;
            store.close().await;
            Ok(code)
        }
        TransferCommand::Verify(a) => {
            let file_plan = match &a.plan {
                Some(p) => Some(read_plan(p)?),
                None => None,
            };
            let (from, to) = sides(paths, file_plan.as_ref().map(|f| &f.0), a.from.as_deref(), a.to.as_deref()).await?;
            check_source(file_plan.as_ref(), &from).await?;
            let plan = match file_plan {
                Some((p, _)) => p,
                None => build(&from, &to, &a.tables, None).await.map_err(fail)?,
            };
            Ok(verify_print(&plan, &source_of(&from), &to.pool, a.json).await)
        }
    }
}

async fn verify_print(plan: &Plan, source: &Source, target: &DbPool, json: bool) -> i32 {
    match transfer::verify::verify(plan, source, target).await {
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
        Ok(checks) => {
            let ok = checks.iter().all(|c| c.ok);
            if json {
                println!("{}", serde_json::json!({"event": "verify", "ok": ok, "tables": checks}));
            } else {
                for c in &checks {
                    let rej = if c.source_rejected > 0 {
                        format!(" ({} refused by the casts)", c.source_rejected)
                    } else {
                        String::new()
                    };
                    println!(
                        "{} {}: source {} rows{rej}, target {} rows, checksum {} {}",
                        if c.ok { "OK  " } else { "DIFF" },
                        c.table,
                        c.source_rows,
                        c.target_rows,
                        c.source_checksum,
                        if c.ok { "=" } else { "≠" }
                    );
                    for (what, keys) in [
                        ("missing on the target", &c.missing),
                        ("only on the target", &c.extra),
                        ("different", &c.different),
                    ] {
                        if !keys.is_empty() {
                            println!("     {what}: {}", keys.join(" "));
                        }
                    }
                }
            }
            if ok { 0 } else { 1 }
        }
    }
}

/// Progress on stderr: one line per table, redrawn at most 5 times a second on a terminal; plain lines otherwise.
/// Progress on stderr: a bar per table and one overall (indicatif: redrawn in place, fitted to the terminal's
/// width, at most a few times a second); plain lines when stderr is not a terminal.
struct Progress {
    tty: bool,
    bytes: u64,
    multi: indicatif::MultiProgress,
    tables: Vec<(String, indicatif::ProgressBar)>,
    overall: indicatif::ProgressBar,
}

impl Progress {
    fn new(plan: &Plan) -> Progress {
        let tty = std::io::stderr().is_terminal();
        let target = if tty {
            indicatif::ProgressDrawTarget::stderr_with_hz(5)
        } else {
            indicatif::ProgressDrawTarget::hidden()
        };
        let multi = indicatif::MultiProgress::with_draw_target(target);
        let width = plan.tables.iter().map(|t| t.source.chars().count()).max().unwrap_or(5).clamp(5, 24);
        let style = indicatif::ProgressStyle::with_template(&format!(
            "{{prefix:<{width}.bold}} [{{wide_bar}}] {{percent:>3}}% {{human_pos}}/{{human_len}} rows  ETA {{eta}}"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("#>-");
        let tables = plan
            .tables
            .iter()
            .map(|t| {
                let bar = multi.add(indicatif::ProgressBar::new(t.rows.max(0) as u64));
                bar.set_style(style.clone());
                bar.set_prefix(t.source.clone());
                (t.source.clone(), bar)
            })
            .collect();
        let overall = multi.add(indicatif::ProgressBar::new(plan.tables.iter().map(|t| t.rows.max(0) as u64).sum()));
        overall.set_style(
            indicatif::ProgressStyle::with_template(&format!(
                "{{prefix:<{width}.bold}} {{human_pos}}/{{human_len}} rows, {{msg}}  ETA {{eta}}"
            ))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        overall.set_prefix("overall");
        Progress { tty, bytes: 0, multi, tables, overall }
    }

    fn on(&mut self, e: &Event) {
        match e {
            Event::Progress { table, rows, bytes, .. } => {
                self.bytes += bytes;
                if let Some((_, bar)) = self.tables.iter().find(|t| &t.0 == table) {
                    let before = bar.position();
                    bar.set_position(*rows);
                    self.overall.inc(rows.saturating_sub(before));
                }
                let secs = self.overall.elapsed().as_secs_f64().max(0.001);
                self.overall.set_message(format!(
                    "{:.1} MB read, {:.0} rows/s",
                    self.bytes as f64 / 1e6,
                    self.overall.position() as f64 / secs
                ));
            }
            Event::TableDone { table, rows, rejected, seconds } => {
                if let Some((_, bar)) = self.tables.iter().find(|t| &t.0 == table) {
                    let before = bar.position();
                    bar.set_position(before.max(*rows));
                    self.overall.inc(rows.saturating_sub(before));
                    bar.finish();
                }
                if !self.tty {
                    eprintln!(
                        "{table}: {rows} rows in {seconds:.1} s{}",
                        if *rejected > 0 { format!(", {rejected} refused") } else { String::new() }
                    );
                }
            }
            Event::Stage { stage } if !self.tty => eprintln!("stage: {stage}"),
            Event::Step { what, error: Some(e) } if !self.tty => {
                eprintln!("{what}: {e}");
            }
            Event::Step { what, error: Some(e) } => {
                let _ = self.multi.println(format!("{what}: {e}"));
            }
            _ => {}
        }
    }

    fn finish(&mut self) {
        self.overall.finish();
    }
}
