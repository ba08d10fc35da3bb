//! `dbconsole migrate status|plan|apply|revert PROFILE [--dir DIR] [--dry-run] [--yes] [--json]`.
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::core::migrate::{self, Event, Folder, MigrateError, Options, Plan, RunReport, Status};
use crate::core::paths::Paths;
use crate::core::profile::url::mask_password;
use crate::core::profile::{Environment, Profile};

/// A migration step failed (the report says where and what the database holds).
pub const EXIT_STEP_FAILED: i32 = 1;
/// The state refuses the run: a failed or drifted migration, an out-of-order version, nothing to revert with.
pub const EXIT_REFUSED: i32 = 3;

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Applied, pending, failed, drifted, missing and out-of-order migrations.
    Status(Common),
    /// Status, plus the lint findings and the SQL of each pending migration.
    Plan(Common),
    /// Apply pending migrations (asks first; `--yes` in scripts).
    Apply(ApplyArgs),
    /// Revert the last applied migrations with their `.down.sql` files.
    Revert(RevertArgs),
    /// Compare two live schemas and write the migration that brings --to to --from as a new file in --to's folder.
    Diff(DiffArgs),
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The schema wanted (profile name or URL).
    #[arg(long)]
    pub from: String,
    /// The database to change (profile name or URL); the migration is written in its dialect.
    #[arg(long)]
    pub to: String,
    /// Folder to write into (default: --to's migrations folder).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Description in the file name.
    #[arg(long, default_value = "schema diff")]
    pub name: String,
    /// Print the migration instead of writing a file.
    #[arg(long)]
    pub print: bool,
}

#[derive(Debug, Args)]
pub struct Common {
    /// Profile name or connection URL.
    pub profile: String,
    /// Migrations folder (default: the profile's `migrations`, else ./migrations).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub common: Common,
    /// Rehearse: PostgreSQL and SQLite run everything in a transaction that is rolled back; MySQL prepares each
    /// statement.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Apply although applied files changed since they ran.
    #[arg(long)]
    pub allow_drift: bool,
    /// Apply pending versions older than the newest applied one.
    #[arg(long)]
    pub allow_out_of_order: bool,
    /// Apply up to and including this version only.
    #[arg(long)]
    pub to: Option<i64>,
    /// SQLite: create the database file (owner-only) when it does not exist yet. Opening and testing never do.
    #[arg(long)]
    pub create: bool,
}

#[derive(Debug, Args)]
pub struct RevertArgs {
    #[command(flatten)]
    pub common: Common,
    /// How many of the last applied migrations to revert.
    #[arg(long, default_value_t = 1)]
    pub count: usize,
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub async fn run(paths: &Paths, cmd: MigrateCommand) -> i32 {
    if let MigrateCommand::Diff(d) = cmd {
        return diff(paths, d).await;
    }
    let common = match &cmd {
        MigrateCommand::Status(c) | MigrateCommand::Plan(c) => c,
        MigrateCommand::Apply(a) => &a.common,
        MigrateCommand::Revert(r) => &r.common,
        MigrateCommand::Diff(_) => unreachable!("handled above"),
    };
    let set = super::load_profiles(paths);
    let profile = match super::resolve_target(&set, &common.profile) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return super::EXIT_USAGE;
        }
    };
    let dir = migrate::folder_for(&profile, common.dir.as_deref());
    let folder = match migrate::load(&dir, profile.engine) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return super::EXIT_USAGE;
        }
    };
    for why in &folder.skipped {
        eprintln!("warning: {why}");
    }
    if let MigrateCommand::Apply(a) = &cmd
        && a.create
        && let Some(path) =
            profile.path.as_ref().filter(|p| profile.engine == crate::core::profile::Engine::Sqlite && !p.exists())
    {
        // A new, empty file, owner-only: SQLite makes it a database at the first write.
        match crate::core::fsutil::create_empty_private(path) {
            Ok(true) => eprintln!("created {}", path.display()),
            Ok(false) => {}
            Err(e) => {
                eprintln!("error: cannot create {}: {e}", path.display());
                return super::EXIT_USAGE;
            }
        }
    }
    // Migrations take a session-level lock: the direct connection when the profile has one (not a pooler).
    let pool = match super::connect(paths, &profile.session_profile()).await {
        Ok(p) => p,
        Err(code) => return code,
    };
    let code = match cmd {
        MigrateCommand::Status(c) => status(&pool, &profile, &folder, c.json, false).await,
        MigrateCommand::Plan(c) => status(&pool, &profile, &folder, c.json, true).await,
        MigrateCommand::Apply(a) => apply(&pool, &profile, &folder, a).await,
        MigrateCommand::Revert(r) => revert(&pool, &profile, &folder, r).await,
        MigrateCommand::Diff(_) => super::EXIT_USAGE,
    };
    pool.close().await;
    code
}

fn fail(e: MigrateError) -> i32 {
    eprintln!("error: {e}");
    match e {
        MigrateError::Refused(_) => EXIT_REFUSED,
        MigrateError::Files(..) | MigrateError::Folder(..) => super::EXIT_USAGE,
        MigrateError::Db(_) => 1,
    }
}

async fn status(pool: &crate::core::engine::DbPool, p: &Profile, folder: &Folder, json: bool, with_lint: bool) -> i32 {
    let plan = match migrate::status(pool, folder).await {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let findings = if with_lint {
        match migrate::lint_pending(pool, folder, &plan).await {
            Ok(f) => f,
            Err(e) => return fail(e),
        }
    } else {
        Vec::new()
    };
    if json {
        let pending_sql: Vec<serde_json::Value> = if with_lint {
            folder
                .migrations
                .iter()
                .filter(|m| plan.entries.iter().any(|e| e.version == m.version && is_todo(e.status)))
                .map(|m| serde_json::json!({"version": m.version, "file": m.up.path, "sql": m.up.sql}))
                .collect()
        } else {
            Vec::new()
        };
        let v = serde_json::json!({
            "profile": p.name, "engine": p.engine, "dir": plan.dir, "entries": plan.entries,
            "other_engines": plan.other_engines.iter().map(|(v, d)| serde_json::json!({"version": v, "description": d})).collect::<Vec<_>>(),
            "findings": findings, "pending_sql": pending_sql,
        });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return 0;
    }
    print_plan(p, &plan);
    if with_lint {
        if findings.is_empty() && plan.entries.iter().any(|e| is_todo(e.status)) {
            println!("\nlint: no findings");
        } else if !findings.is_empty() {
            println!("\nlint:");
            for f in &findings {
                println!("  {:<7} {}:{}  [{}] {}", f.severity.label(), f.file.display(), f.line, f.rule, f.message);
            }
        }
        for m in &folder.migrations {
            if plan.entries.iter().any(|e| e.version == m.version && is_todo(e.status)) {
                println!(
                    "\n-- {} ({}){}",
                    m.file_name(),
                    m.description,
                    if m.no_transaction { " — no transaction" } else { "" }
                );
                println!("{}", m.up.sql.trim_end());
            }
        }
    }
    0
}

fn is_todo(s: Status) -> bool {
    matches!(s, Status::Pending | Status::OutOfOrder)
}

fn print_plan(p: &Profile, plan: &Plan) {
    println!("{} ({}) — migrations in {}", p.name, p.target(), plan.dir.display());
    if plan.entries.is_empty() {
        println!("  no migrations");
    }
    for e in &plan.entries {
        let when = match (&e.installed_on, e.execution_ms) {
            (Some(on), Some(ms)) => format!("  {on} ({ms:.1} ms)"),
            (Some(on), None) => format!("  {on}"),
            _ => String::new(),
        };
        let rev = if e.reversible { " ↺" } else { "" };
        let part = match e.statements_completed {
            Some(0) => " (stopped before its first statement completed)".to_string(),
            Some(n) => format!(" (stopped part-way: statements 1–{n} ran and stay applied)"),
            None => String::new(),
        };
        println!("  {:>14}  {:<12} {}{rev}{when}{part}", e.version, e.status.label(), e.description);
    }
    for (v, d) in &plan.other_engines {
        println!("  {v:>14}  {:<12} {d} (only for other engines)", "-");
    }
    let n = |s| plan.count(s);
    println!(
        "{} applied, {} pending, {} failed, {} drifted, {} missing, {} out of order",
        n(Status::Applied),
        n(Status::Pending),
        n(Status::Failed),
        n(Status::Drifted),
        n(Status::Missing),
        n(Status::OutOfOrder)
    );
    for e in plan.with(Status::Drifted) {
        let file = e.file.as_ref().map(|f| f.display().to_string()).unwrap_or_default();
        println!("  drift: {file} changed since version {} was applied", e.version);
    }
}

/// Asks on the terminal; production profiles must type the profile's name.
fn confirm(p: &Profile, what: &str) -> bool {
    let mut err = std::io::stderr();
    let production = p.environment == Environment::Production;
    if production {
        let _ = write!(err, "{what} on PRODUCTION profile `{}`. Type the profile name to go on: ", p.name);
    } else {
        let _ = write!(err, "{what} on `{}` ({})? [y/N] ", p.name, p.target());
    }
    let _ = err.flush();
    let mut line = String::new();
    if std::io::stdin().read_line(&mut line).is_err() {
        return false;
    }
    let answer = line.trim();
    if production { answer == p.name } else { matches!(answer, "y" | "Y" | "yes") }
}

fn progress(json: bool) -> impl FnMut(Event) + Send {
    move |e: Event| {
        if json {
            println!("{}", serde_json::to_string(&e).unwrap_or_default());
            return;
        }
        match e {
            Event::LockWaiting { holder } => eprintln!("waiting for the migration lock, held by {holder}"),
            Event::Locked => {}
            Event::Start { version, description, index, total, statements } => {
                eprint!("[{index}/{total}] {version} {description} ({statements} statement(s)) … ")
            }
            Event::Statement { .. } => {}
            Event::Done { ms, .. } => eprintln!("ok ({ms:.1} ms)"),
            Event::Note { message } => eprintln!("note: {message}"),
        }
    }
}

fn finish(report: RunReport, json: bool, verb: &str) -> i32 {
    if json {
        println!("{}", serde_json::json!({"event": "result", "report": report}));
    } else {
        for n in &report.notes {
            eprintln!("note: {n}");
        }
        if let Some(f) = &report.failure {
            eprintln!("FAILED\n{f}");
        } else if report.done.is_empty() {
            eprintln!("nothing to {verb}: the database is up to date");
        } else {
            let dry = if report.dry_run { " (dry run: nothing was changed)" } else { "" };
            eprintln!("{verb}: {} migration(s){dry}", report.done.len());
        }
    }
    if report.failure.is_some() { EXIT_STEP_FAILED } else { 0 }
}

async fn apply(pool: &crate::core::engine::DbPool, p: &Profile, folder: &Folder, a: ApplyArgs) -> i32 {
    let json = a.common.json;
    let opts = Options {
        dry_run: a.dry_run,
        allow_drift: a.allow_drift,
        allow_out_of_order: a.allow_out_of_order,
        up_to: a.to,
    };
    if !a.dry_run && !a.yes {
        // Show what would run and ask; never guess on a non-interactive stdin.
        let plan = match migrate::status(pool, folder).await {
            Ok(x) => x,
            Err(e) => return fail(e),
        };
        let todo = match migrate::run::to_apply(folder, &plan, &opts) {
            Ok(t) => t,
            Err(e) => return fail(e),
        };
        if todo.is_empty() {
            eprintln!("nothing to apply: the database is up to date");
            return 0;
        }
        if !std::io::stdin().is_terminal() {
            eprintln!(
                "error: refusing to apply {} migration(s) without --yes: stdin is not a terminal, so nobody can confirm",
                todo.len()
            );
            return super::EXIT_USAGE;
        }
        print_plan(p, &plan);
        if let Ok(findings) = migrate::lint_pending(pool, folder, &plan).await {
            for f in &findings {
                eprintln!("  {:<7} {}:{}  [{}] {}", f.severity.label(), f.file.display(), f.line, f.rule, f.message);
            }
        }
        if !confirm(p, &format!("Apply {} migration(s)", todo.len())) {
            eprintln!("not applied");
            return super::EXIT_USAGE;
        }
    }
    let mut on_event = progress(json);
    match migrate::apply(pool, folder, &opts, &mut on_event).await {
        Ok(r) => finish(r, json, "applied"),
        Err(e) => fail(e),
    }
}

async fn revert(pool: &crate::core::engine::DbPool, p: &Profile, folder: &Folder, r: RevertArgs) -> i32 {
    let json = r.common.json;
    if !r.dry_run && !r.yes {
        if !std::io::stdin().is_terminal() {
            eprintln!("error: refusing to revert without --yes: stdin is not a terminal, so nobody can confirm");
            return super::EXIT_USAGE;
        }
        if !confirm(p, &format!("Revert the last {} migration(s)", r.count)) {
            eprintln!("not reverted");
            return super::EXIT_USAGE;
        }
    }
    let mut on_event = progress(json);
    match migrate::revert(pool, folder, r.count, r.dry_run, &mut on_event).await {
        Ok(rep) => finish(rep, json, "reverted"),
        Err(e) => fail(e),
    }
}

async fn read_catalog(
    paths: &Paths,
    target: &str,
) -> Result<(Profile, crate::core::engine::DbPool, crate::core::catalog::Catalog), i32> {
    let set = super::load_profiles(paths);
    let p = super::resolve_target(&set, target).map_err(|e| {
        eprintln!("error: {e}");
        super::EXIT_USAGE
    })?;
    let pool = super::connect(paths, &p).await?;
    match crate::core::catalog::read_schema(&pool, &p).await {
        Ok(c) => Ok((p, pool, c)),
        Err(e) => {
            eprintln!("error: {e}");
            Err(1)
        }
    }
}

async fn diff(paths: &Paths, d: DiffArgs) -> i32 {
    let (_, from_pool, desired) = match read_catalog(paths, &d.from).await {
        Ok(x) => x,
        Err(code) => return code,
    };
    from_pool.close().await;
    let (to, pool, current) = match read_catalog(paths, &d.to).await {
        Ok(x) => x,
        Err(code) => return code,
    };
    let header =
        format!("{} → {}: generated by `dbconsole migrate diff`", mask_password(&d.from), mask_password(&d.to));
    if d.print {
        let script = crate::core::catalog::diff::migration(&desired, &current);
        if !script.is_empty() {
            print!("{}", script.sql(&header));
        } else {
            eprintln!("no differences: {} already has the schema of {}", mask_password(&d.to), mask_password(&d.from));
        }
        pool.close().await;
        return 0;
    }
    let written = match migrate::write_diff(&desired, &current, &to, d.dir.as_deref(), &d.name, &header) {
        Ok(Some(w)) => w,
        Ok(None) => {
            eprintln!("no differences: {} already has the schema of {}", mask_password(&d.to), mask_password(&d.from));
            pool.close().await;
            return 0;
        }
        Err(e) => return fail(e),
    };
    let (path, version, dir) = (&written.path, written.version, migrate::folder_for(&to, d.dir.as_deref()));
    println!("{}", path.display());
    for n in &written.notes {
        eprintln!("note: {n}");
    }
    // Lint the new file against the target.
    if let Ok(folder) = migrate::load(&dir, to.engine)
        && let Ok(plan) = migrate::status(&pool, &folder).await
        && let Ok(findings) = migrate::lint_pending(&pool, &folder, &plan).await
    {
        for f in findings.iter().filter(|f| f.version == version) {
            eprintln!("  {:<7} {}:{}  [{}] {}", f.severity.label(), f.file.display(), f.line, f.rule, f.message);
        }
    }
    pool.close().await;
    0
}
