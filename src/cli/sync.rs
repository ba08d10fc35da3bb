//! `dbconsole sync add|run|status|pause|resume|remove|conflicts|resolve`: live sync between two databases.
use std::io::{IsTerminal, Write};
use std::sync::Arc;

use clap::{Args, Subcommand};

use crate::core::paths::Paths;
use crate::core::store::Store;
use crate::core::sync::runner::{Progress, RunConfig, Runner, SideConfig};
use crate::core::sync::{self, Link, Policy, Side, SyncError, setup, state, status};
use crate::core::text::human_ms as fmt_ms;

/// A side could not be reached (`run --once`, `resolve`, `remove`): retry when it is back.
pub const EXIT_OFFLINE: i32 = 3;

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Create a link: shows what it creates on each side, asks (or --yes), installs capture, copies the tables.
    Add(AddArgs),
    /// Run a link: apply changes as they come (Ctrl-C or SIGTERM stop it after the current batch).
    Run {
        name: String,
        /// Catch up, then exit.
        #[arg(long)]
        once: bool,
        /// Changes read per direction and round.
        #[arg(long, default_value_t = 5000)]
        batch: usize,
    },
    /// State, pending changes each way, lag, applied, conflicts, errors: every link or one.
    Status {
        name: Option<String>,
        #[arg(long)]
        json: bool,
        /// Print again every second until Ctrl-C.
        #[arg(long)]
        watch: bool,
    },
    /// Stop applying (changes keep accumulating in the change logs).
    Pause { name: String },
    /// Apply again; also resumes tables paused by schema drift or a refused change (all, or --tables).
    Resume {
        name: String,
        #[arg(long, value_delimiter = ',')]
        tables: Vec<String>,
        /// Leave out the change each table stopped at (a value the target refused); logged as skipped.
        #[arg(long)]
        skip_failed: bool,
    },
    /// Remove a link: its triggers, change log and positions on both sides, and its records.
    Remove {
        name: String,
        #[arg(long)]
        yes: bool,
    },
    /// Conflicts of a two-way link: waiting ones (or --all, with how each was resolved).
    Conflicts {
        name: String,
        #[arg(long)]
        json: bool,
        #[arg(long)]
        all: bool,
    },
    /// Resolve a waiting conflict by taking one side's current row.
    Resolve {
        name: String,
        id: i64,
        #[arg(long, value_parser = ["source", "target"])]
        take: String,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    pub name: String,
    #[arg(long)]
    pub from: String,
    #[arg(long)]
    pub to: String,
    /// Only these tables (comma-separated; default every table with a primary key).
    #[arg(long, value_delimiter = ',')]
    pub tables: Vec<String>,
    /// Changes on the target come back to the source too.
    #[arg(long)]
    pub two_way: bool,
    /// Two-way: who wins a row changed on both sides.
    #[arg(long, default_value = "source_wins", value_parser = ["source_wins", "target_wins", "newest_wins", "manual"])]
    pub policy: String,
    /// PostgreSQL to PostgreSQL: capture with triggers instead of the servers' logical replication.
    #[arg(long)]
    pub triggers: bool,
    /// Only the rows of TABLE that match CONDITION (a WHERE on the source, as in a transfer plan): `TABLE=CONDITION`,
    /// repeatable. Rows that stop matching are removed from the target. One-way links.
    #[arg(long = "filter", value_name = "TABLE=CONDITION")]
    pub filters: Vec<String>,
    #[arg(long)]
    pub yes: bool,
}

/// Names and server messages can hold anything a database holds: control characters are shown escaped.
fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    crate::core::text::escape_control(s)
}

fn fail(e: SyncError) -> i32 {
    eprintln!("error: {}", esc(&e.to_string()));
    1
}

async fn open_store(paths: &Paths) -> Result<Store, i32> {
    Store::open(&paths.state_db()).await.map_err(|e| {
        eprintln!("error: {e}");
        1
    })
}

/// How a side is reached: the profile (or URL) and its password, asked once.
fn side_config(paths: &Paths, name: &str) -> Result<SideConfig, i32> {
    let set = super::load_profiles(paths);
    let profile = super::resolve_target(&set, name).map_err(|e| {
        eprintln!("error: {e}");
        super::EXIT_USAGE
    })?;
    for n in &profile.notes {
        eprintln!("note: {n}");
    }
    let (password, _) = super::password_for(&profile.session_profile()).map_err(|e| {
        eprintln!("error ({}): {}\n  check: {}", e.class.as_str(), e.message, e.hint);
        e.class.exit_code()
    })?;
    let label = if super::looks_like_url(name) {
        // The label is kept in the state store and shown: a URL without its password, and none with a password
        // in an option (sslpassword=…), which redacting the user part would leave in.
        let label = crate::core::profile::url::redact(name);
        if crate::core::profile::url::mask_password(&label) != label {
            eprintln!(
                "error: a URL with a password option cannot name a sync side: save it as a profile (`dbconsole profile add`)"
            );
            return Err(super::EXIT_USAGE);
        }
        label
    } else {
        name.to_string()
    };
    Ok(SideConfig { label, profile, password })
}

async fn connect(paths: &Paths, c: &SideConfig) -> Result<Side, i32> {
    let _ = crate::core::demo::ensure_for(&c.profile, &paths.demo_db()).await;
    sync::connect(&c.label, &c.profile, c.password.as_ref()).await.map_err(|e| {
        eprintln!("error: {e}");
        EXIT_OFFLINE
    })
}

async fn link_or_fail(store: &Store, name: &str) -> Result<Link, i32> {
    match state::link(store, name).await {
        Ok(Some(l)) => Ok(l),
        Ok(None) => Err(fail(SyncError::NoLink(name.to_string()))),
        Err(e) => Err(fail(e.into())),
    }
}

pub fn runner_lock_path(paths: &Paths, name: &str) -> std::path::PathBuf {
    sync::runner_lock_path(&paths.state_db(), name)
}

fn runner_active(paths: &Paths, name: &str) -> bool {
    sync::runner_active(&paths.state_db(), name)
}

fn ask(question: &str) -> bool {
    let mut err = std::io::stderr();
    let _ = write!(err, "{question} [y/N] ");
    let _ = err.flush();
    let mut line = String::new();
    if std::io::stdin().read_line(&mut line).is_err() {
        return false;
    }
    matches!(line.trim(), "y" | "Y" | "yes")
}

pub async fn run(paths: &Paths, cmd: SyncCommand) -> i32 {
    run_inner(paths, cmd).await.unwrap_or_else(|code| code)
}

async fn run_inner(paths: &Paths, cmd: SyncCommand) -> Result<i32, i32> {
    match cmd {
        SyncCommand::Add(a) => add(paths, a).await,
        SyncCommand::Run { name, once, batch } => run_link(paths, &name, once, batch).await,
        SyncCommand::Status { name, json, watch } => loop {
            let code = print_status(paths, name.as_deref(), json).await?;
            if !watch {
                return Ok(code);
            }
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                _ = tokio::signal::ctrl_c() => return Ok(code),
            }
        },
        SyncCommand::Pause { name } => {
            let store = open_store(paths).await?;
            let link = link_or_fail(&store, &name).await?;
            if link.native {
                let bc = side_config(paths, &link.target)?;
                let b = connect(paths, &bc).await?;
                sync::native::set_enabled(&link, &b, false).await.map_err(fail)?;
            }
            state::set_state(&store, &link.name, "paused").await.map_err(|e| fail(e.into()))?;
            state::event(&store, &link.name, "paused", "link paused").await.map_err(|e| fail(e.into()))?;
            eprintln!(
                "paused {}: changes keep accumulating in the change logs until `sync resume {}`",
                link.name, link.name
            );
            Ok(0)
        }
        SyncCommand::Resume { name, tables, skip_failed } => {
            let store = open_store(paths).await?;
            let link = link_or_fail(&store, &name).await?;
            if let Some(t) = tables.iter().find(|t| !link.tables.contains(t)) {
                eprintln!("error: link {} has no table {t:?}", link.name);
                return Err(super::EXIT_USAGE);
            }
            if link.state == "paused" {
                if link.native {
                    let bc = side_config(paths, &link.target)?;
                    let b = connect(paths, &bc).await?;
                    sync::native::set_enabled(&link, &b, true).await.map_err(fail)?;
                }
                state::set_state(&store, &link.name, "active").await.map_err(|e| fail(e.into()))?;
                state::event(&store, &link.name, "resumed", "link resumed").await.map_err(|e| fail(e.into()))?;
            } else if link.state != "active" {
                eprintln!(
                    "error: link {} is in state {}: it was not created completely; `sync remove {}` and add it again",
                    link.name, link.state, link.name
                );
                return Err(1);
            }
            // Tables paused by schema drift are planned again (the sides must match by now).
            let drifted: Vec<String> = state::tables(&store, &link.name)
                .await
                .map_err(|e| fail(e.into()))?
                .into_iter()
                .filter(|t| t.paused && (tables.is_empty() || tables.contains(&t.table)))
                .filter(|t| t.error.as_deref().is_some_and(|e| e.starts_with("schema drift")))
                .map(|t| t.table)
                .collect();
            if !drifted.is_empty() {
                let (ac, bc) = (side_config(paths, &link.source)?, side_config(paths, &link.target)?);
                let (a, b) = (connect(paths, &ac).await?, connect(paths, &bc).await?);
                let mut link = link.clone();
                for t in &drifted {
                    for d in sync::refresh::refresh_table(&mut link, &a, &b, &store, t).await.map_err(fail)? {
                        eprintln!("{}", esc(&d));
                    }
                }
            }
            let resumed =
                state::resume_tables(&store, &link.name, &tables, skip_failed).await.map_err(|e| fail(e.into()))?;
            if resumed.is_empty() {
                eprintln!("{} is active", link.name);
            } else {
                eprintln!(
                    "{} is active; resumed tables: {} (they catch up from where they stopped)",
                    link.name,
                    resumed.join(", ")
                );
            }
            Ok(0)
        }
        SyncCommand::Remove { name, yes } => {
            let store = open_store(paths).await?;
            let link = link_or_fail(&store, &name).await?;
            if runner_active(paths, &link.name) {
                eprintln!("error: a runner is running {} (a `sync run` or the TUI): stop it first", link.name);
                return Err(1);
            }
            if !yes {
                let q = format!(
                    "remove link {} ({} {} {}): drops its triggers and, where no other link uses them, the change log and the sync's tables; the synced tables and their rows stay. Go on?",
                    link.name,
                    link.source,
                    if link.two_way { "<->" } else { "->" },
                    link.target
                );
                if !std::io::stdin().is_terminal() {
                    eprintln!("not removed: {q} — run again with --yes");
                    return Ok(super::EXIT_USAGE);
                }
                if !ask(&q) {
                    eprintln!("not removed");
                    return Ok(1);
                }
            }
            let (ac, bc) = (side_config(paths, &link.source)?, side_config(paths, &link.target)?);
            let (a, b) = (connect(paths, &ac).await?, connect(paths, &bc).await?);
            let done = setup::remove(&link, &a, &b, &store).await.map_err(fail)?;
            for d in done {
                eprintln!("{}", esc(&d));
            }
            eprintln!("removed link {}", link.name);
            Ok(0)
        }
        SyncCommand::Conflicts { name, json, all } => {
            let store = open_store(paths).await?;
            let link = link_or_fail(&store, &name).await?;
            let list = state::conflicts(&store, &link.name, !all).await.map_err(|e| fail(e.into()))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list).unwrap_or_default());
            } else if list.is_empty() {
                eprintln!("no {}conflicts on {}", if all { "" } else { "waiting " }, link.name);
            } else {
                for c in &list {
                    println!(
                        "#{} {} key {} ({}){}\n  source: {}\n  target: {}\n  base:   {}",
                        c.id,
                        crate::core::text::escape_control(&c.table),
                        crate::core::text::escape_control(&c.key),
                        c.detected_at,
                        match (&c.resolved_at, &c.taken) {
                            (Some(at), Some(t)) => format!(" resolved {at}: took the {t} ({})", c.policy),
                            _ => " waiting".into(),
                        },
                        crate::core::text::escape_control(c.source_row.as_deref().unwrap_or("(unchanged)")),
                        crate::core::text::escape_control(c.target_row.as_deref().unwrap_or("(unchanged)")),
                        crate::core::text::escape_control(c.base_row.as_deref().unwrap_or("(none: inserted on both)")),
                    );
                }
            }
            Ok(0)
        }
        SyncCommand::Resolve { name, id, take } => {
            let store = open_store(paths).await?;
            let link = link_or_fail(&store, &name).await?;
            let (ac, bc) = (side_config(paths, &link.source)?, side_config(paths, &link.target)?);
            let (a, b) = (connect(paths, &ac).await?, connect(paths, &bc).await?);
            sync::resolve::resolve(&link, &a, &b, &store, id, take == "source").await.map_err(fail)?;
            eprintln!("conflict {id} resolved: took the {take}'s row");
            Ok(0)
        }
    }
}

async fn add(paths: &Paths, a: AddArgs) -> Result<i32, i32> {
    let policy = Policy::parse(&a.policy).unwrap_or(Policy::SourceWins);
    if !a.two_way && a.policy != "source_wins" {
        eprintln!("error: --policy is for two-way links (--two-way)");
        return Err(super::EXIT_USAGE);
    }
    let store = open_store(paths).await?;
    if let Ok(Some(_)) = state::link(&store, &a.name).await {
        eprintln!("error: a sync link named {} exists (`sync remove {}` first)", a.name, a.name);
        return Err(1);
    }
    let (ac, bc) = (side_config(paths, &a.from)?, side_config(paths, &a.to)?);
    let (src, dst) = (connect(paths, &ac).await?, connect(paths, &bc).await?);
    let rejects = paths.state_db().with_file_name(format!("sync-{}-rejects.jsonl", sanitize(&a.name)));
    let rejects = rejects.to_string_lossy();
    let mut filters = Vec::new();
    for f in &a.filters {
        match f.split_once('=') {
            Some((t, c)) if !t.trim().is_empty() && !c.trim().is_empty() => {
                filters.push((t.trim().to_string(), c.trim().to_string()))
            }
            _ => {
                eprintln!(
                    "error: --filter {f:?}: write it as TABLE=CONDITION (e.g. --filter \"notes=project = 'alpha'\")"
                );
                return Err(super::EXIT_USAGE);
            }
        }
    }
    let opts = setup::Options {
        tables: &a.tables,
        two_way: a.two_way,
        policy,
        rejects: &rejects,
        triggers: a.triggers,
        filters: &filters,
    };
    let plan = setup::prepare(&a.name, &src, &dst, opts).await.map_err(fail)?;
    for line in plan.describe().lines() {
        eprintln!("{}", esc(line));
    }
    if !a.yes {
        if !std::io::stdin().is_terminal() {
            eprintln!("not created: run again with --yes");
            return Ok(super::EXIT_USAGE);
        }
        if !ask("create it?") {
            eprintln!("not created");
            return Ok(1);
        }
    }
    let on_event: Arc<dyn Fn(crate::core::transfer::Event) + Send + Sync> = Arc::new(|e| {
        if let crate::core::transfer::Event::TableDone { table, rows, .. } = e {
            eprintln!("  copied {}: {rows} rows", esc(&table));
        }
    });
    let link = setup::create(&plan, &src, &dst, &store, on_event).await.map_err(|e| {
        eprintln!(
            "error: {e}\n  the link is recorded in state error; `dbconsole sync remove {}` takes away what was made",
            a.name
        );
        1
    })?;
    eprintln!(
        "created link {} ({} tables); `dbconsole sync run {}` applies changes",
        link.name,
        link.tables.len(),
        link.name
    );
    Ok(0)
}

fn sanitize(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

async fn run_link(paths: &Paths, name: &str, once: bool, batch: usize) -> Result<i32, i32> {
    let store = open_store(paths).await?;
    let link = link_or_fail(&store, name).await?;
    if link.native {
        eprintln!(
            "{}: PostgreSQL's logical replication applies this link itself (subscription {}); `dbconsole sync status {}` shows it",
            link.name,
            sync::native::object_name(&link.name),
            link.name
        );
        return Ok(0);
    }
    let _lock = match crate::core::fsutil::try_lock(&runner_lock_path(paths, &link.name)) {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
            eprintln!("error: another runner is running {} (a `sync run` or the TUI)", link.name);
            return Err(1);
        }
        Err(e) => {
            eprintln!("error: runner lock: {e}");
            return Err(1);
        }
    };
    let (ac, bc) = (side_config(paths, &link.source)?, side_config(paths, &link.target)?);
    let (tx, rx) = tokio::sync::watch::channel(false);
    // Ctrl-C and SIGTERM stop the runner between batches (the current one commits or rolls back).
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut term = signal(SignalKind::terminate()).ok();
            let mut int = signal(SignalKind::interrupt()).ok();
            tokio::select! {
                _ = async { if let Some(t) = term.as_mut() { t.recv().await; } else { std::future::pending::<()>().await } } => {}
                _ = async { if let Some(i) = int.as_mut() { i.recv().await; } else { std::future::pending::<()>().await } } => {}
            }
        }
        let _ = tx.send(true);
    });
    let quiet = once;
    let on: Arc<dyn Fn(Progress) + Send + Sync> = Arc::new(move |p| match p {
        Progress::Applied { fwd, back, conflicts, .. } if !quiet => {
            eprintln!(
                "applied {fwd} →{}{}",
                if back > 0 { format!(", {back} ←") } else { String::new() },
                if conflicts > 0 { format!(", {conflicts} conflict(s)") } else { String::new() }
            );
        }
        Progress::Offline { error, retry_in } => {
            eprintln!("offline: {}; retrying in {} s", esc(&error), retry_in.as_secs())
        }
        Progress::Paused { table, reason } => eprintln!("paused table {}: {}", esc(&table), esc(&reason)),
        Progress::Error { error } => eprintln!("error: {}", esc(&error)),
        _ => {}
    });
    let cfg = RunConfig { once, batch: batch.max(1), ..RunConfig::default() };
    let mut runner = Runner::new(link.clone(), ac, bc, store.clone(), cfg);
    eprintln!(
        "running {} ({} {} {}){}",
        link.name,
        link.source,
        if link.two_way { "<->" } else { "->" },
        link.target,
        if once { ", until caught up" } else { "; Ctrl-C stops" }
    );
    match runner.run(rx, on).await {
        Ok(s) => {
            eprintln!(
                "stopped: applied {} →, {} ←, {} conflict(s) in {} round(s)",
                s.fwd, s.back, s.conflicts, s.rounds
            );
            Ok(0)
        }
        Err(SyncError::Side { message, .. }) => {
            eprintln!("error: {}", esc(&message));
            Err(EXIT_OFFLINE)
        }
        Err(e) => Err(fail(e)),
    }
}

async fn print_status(paths: &Paths, name: Option<&str>, json: bool) -> Result<i32, i32> {
    let store = open_store(paths).await?;
    let links = match name {
        Some(n) => vec![link_or_fail(&store, n).await?],
        None => state::links(&store).await.map_err(|e| fail(e.into()))?,
    };
    let mut out = Vec::new();
    for link in &links {
        let mut sides = Vec::new();
        for label in [&link.source, &link.target] {
            let r = match side_config(paths, label) {
                Ok(mut c) => {
                    c.profile.pool.connect_timeout_secs = c.profile.pool.connect_timeout_secs.min(3);
                    sync::connect(&c.label, &c.profile, c.password.as_ref()).await
                }
                Err(_) => Err(format!("{label}: no such profile")),
            };
            sides.push(r);
        }
        let st = status::link_status(
            link,
            sides[0].as_ref().map_err(|e| e.as_str()),
            sides[1].as_ref().map_err(|e| e.as_str()),
            &store,
        )
        .await
        .map_err(fail)?;
        for s in sides.into_iter().flatten() {
            s.pool.close().await;
        }
        let mut st = st;
        if !link.native && !runner_active(paths, &link.name) {
            st.runner = None;
        }
        out.push(st);
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        return Ok(0);
    }
    if out.is_empty() {
        eprintln!("no sync links (`dbconsole sync add NAME --from A --to B`)");
    }
    for s in &out {
        println!(
            "{} ({} {} {}): {}  pending {}{}  lag {}  applied {}  conflicts waiting {}  runner {}",
            s.name,
            s.source,
            if s.two_way { "<->" } else { "->" },
            s.target,
            s.state,
            s.pending.fwd,
            if s.two_way { format!(" / {} back", s.pending.back) } else { String::new() },
            fmt_ms(s.lag_ms),
            s.applied_total,
            s.conflicts_waiting,
            s.runner.as_deref().unwrap_or("none"),
        );
        for t in &s.tables {
            println!(
                "  {:<24} {:<12} pending {}{}  lag {}  applied {}{}",
                crate::core::text::escape_control(&t.table),
                t.state,
                t.pending.fwd,
                if s.two_way { format!(" / {}", t.pending.back) } else { String::new() },
                fmt_ms(t.lag_ms),
                t.applied_total,
                t.last_error
                    .as_ref()
                    .map(|e| format!("\n    {}", crate::core::text::escape_control(e)))
                    .unwrap_or_default()
            );
        }
        if let Some(n) = &s.native {
            println!("  {}", n.summary());
        }
        for side in &s.sides {
            if !side.reachable {
                println!(
                    "  {} unreachable: {}",
                    crate::core::text::escape_control(&side.label),
                    crate::core::text::escape_control(side.error.as_deref().unwrap_or(""))
                );
            } else if let (Some(rows), Some(age)) = (side.log_rows, side.log_oldest_age_ms)
                && rows > 0
            {
                println!("  {} change log: {rows} rows, oldest {}", side.label, fmt_ms(age));
            }
        }
        if let Some(e) = &s.last_error {
            println!(
                "  last error{}: {}",
                s.last_error_at.as_ref().map(|t| format!(" ({t})")).unwrap_or_default(),
                crate::core::text::escape_control(e)
            );
        }
        if let Some(n) = &s.next_retry_at {
            println!("  next retry: {n}");
        }
    }
    Ok(0)
}
