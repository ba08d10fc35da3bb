//! Applying, reverting and rehearsing migrations under a lock, one migration at a time, statement by statement
//! (so a failure names its statement and line), with the recorded state always matching what happened.
use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use super::MigrateError;
use super::files::{Folder, Migration};
pub use super::lock::lock_id;
use super::lock::{lock, unlock};
use super::plan::{Plan, Status, plan};
use super::state::{self, Conn};
use crate::core::profile::Engine;
use crate::core::sql::{Statement, split};

/// What a run reports while it works.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Another session holds the migration lock; this run waits for it.
    LockWaiting {
        holder: String,
    },
    Locked,
    Start {
        version: i64,
        description: String,
        index: usize,
        total: usize,
        statements: usize,
    },
    Statement {
        version: i64,
        index: usize,
        total: usize,
        line: usize,
    },
    Done {
        version: i64,
        ms: f64,
    },
    Note {
        message: String,
    },
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub dry_run: bool,
    /// Apply even though applied files changed (drift).
    pub allow_drift: bool,
    /// Apply pending versions older than the newest applied one.
    pub allow_out_of_order: bool,
    /// Stop after this version.
    pub up_to: Option<i64>,
}

/// Why a step failed, where, and what the database holds now.
#[derive(Debug, Clone, Serialize)]
pub struct StepFailure {
    pub version: i64,
    pub description: String,
    pub file: PathBuf,
    /// 1-based statement number within the file.
    pub statement_index: usize,
    pub statement: String,
    /// Script line of the error: the server's error position when it gives one, else the statement's first line.
    pub line: usize,
    /// SQLSTATE (PostgreSQL, SQLite extended code) or MySQL error number.
    pub code: Option<String>,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// What the database holds after the failure, in words.
    pub state: String,
}

impl std::fmt::Display for StepFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "migration {} ({}) failed", self.version, self.description)?;
        writeln!(f, "  at {}:{} (statement {})", self.file.display(), self.line, self.statement_index)?;
        let code = self.code.as_deref().map(|c| format!("[{c}] ")).unwrap_or_default();
        writeln!(f, "  error: {code}{}", self.message)?;
        if let Some(d) = &self.detail {
            writeln!(f, "  detail: {d}")?;
        }
        if let Some(h) = &self.hint {
            writeln!(f, "  hint: {h}")?;
        }
        let first_line = self.statement.lines().next().unwrap_or("");
        writeln!(f, "  statement: {first_line}{}", if self.statement.contains('\n') { " …" } else { "" })?;
        write!(f, "  state: {}", self.state)
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RunReport {
    pub dry_run: bool,
    /// (version, description, milliseconds) of each migration applied, reverted or rehearsed.
    pub done: Vec<(i64, String, f64)>,
    pub failure: Option<StepFailure>,
    pub notes: Vec<String>,
}

/// Applies the pending migrations of `folder` (or rehearses them with `dry_run`).
pub async fn apply(
    conn: &mut Conn,
    folder: &Folder,
    opts: &Options,
    on_event: &mut (dyn FnMut(Event) + Send),
) -> Result<RunReport, MigrateError> {
    lock(conn, on_event).await?;
    let result = apply_locked(conn, folder, opts, on_event).await;
    // A dry run on SQLite rolls the outer transaction back; a real run commits what succeeded.
    let commit = !opts.dry_run;
    let unlocked = unlock(conn, commit).await;
    let report = result?;
    unlocked?;
    Ok(report)
}

/// The migrations `apply` would run, in order, after checking what refuses a run.
pub fn to_apply<'f>(folder: &'f Folder, p: &Plan, opts: &Options) -> Result<Vec<&'f Migration>, MigrateError> {
    let failed: Vec<String> = p.with(Status::Failed).map(|e| format!("{} ({})", e.version, e.description)).collect();
    if !failed.is_empty() {
        return Err(MigrateError::Refused(format!(
            "migration {} is recorded as failed (success = false): it ran partly. Finish or undo by hand what it \
             changed, then delete its row from _sqlx_migrations (DELETE FROM _sqlx_migrations WHERE version = …) \
             and run `dbconsole migrate apply` again",
            failed.join(", ")
        )));
    }
    let drifted: Vec<String> = p
        .with(Status::Drifted)
        .map(|e| format!("{} ({})", e.version, e.file.as_ref().map(|f| f.display().to_string()).unwrap_or_default()))
        .collect();
    if !drifted.is_empty() && !opts.allow_drift {
        return Err(MigrateError::Refused(format!(
            "applied migration files changed since they ran (checksums differ): {}. Restore them, or pass \
             --allow-drift to apply anyway",
            drifted.join(", ")
        )));
    }
    let out_of_order: Vec<String> = p.with(Status::OutOfOrder).map(|e| e.version.to_string()).collect();
    if !out_of_order.is_empty() && !opts.allow_out_of_order {
        return Err(MigrateError::Refused(format!(
            "pending version(s) {} are older than the newest applied one; renumber them, or pass \
             --allow-out-of-order",
            out_of_order.join(", ")
        )));
    }
    let wanted: Vec<i64> = p
        .entries
        .iter()
        .filter(|e| matches!(e.status, Status::Pending | Status::OutOfOrder))
        .filter(|e| opts.up_to.is_none_or(|u| e.version <= u))
        .map(|e| e.version)
        .collect();
    Ok(folder.migrations.iter().filter(|m| wanted.contains(&m.version)).collect())
}

async fn apply_locked(
    conn: &mut Conn,
    folder: &Folder,
    opts: &Options,
    on_event: &mut (dyn FnMut(Event) + Send),
) -> Result<RunReport, MigrateError> {
    let engine = conn.engine();
    let applied = state::applied(conn).await?;
    let p = plan(folder, &applied);
    let todo = to_apply(folder, &p, opts)?;
    let mut report = RunReport { dry_run: opts.dry_run, ..Default::default() };
    if todo.is_empty() {
        return Ok(report);
    }
    if opts.dry_run {
        return dry_run(conn, &todo, on_event, report).await;
    }
    state::ensure_table(conn).await?;
    let total = todo.len();
    for (n, m) in todo.into_iter().enumerate() {
        let statements = split(&m.up.sql, engine);
        on_event(start(m, n + 1, total, statements.len()));
        let t = Instant::now();
        let outcome = match engine {
            Engine::Mysql => run_mysql(conn, m, &statements, Direction::Up, on_event).await?,
            _ => run_transactional(conn, m, &statements, Direction::Up, on_event).await?,
        };
        if let Some(f) = outcome {
            report.failure = Some(f);
            return Ok(report);
        }
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        on_event(Event::Done { version: m.version, ms });
        report.done.push((m.version, m.description.clone(), ms));
    }
    Ok(report)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Up,
    Down,
}

fn start(m: &Migration, index: usize, total: usize, statements: usize) -> Event {
    Event::Start { version: m.version, description: m.description.clone(), index, total, statements }
}

/// Runs `statements`; on failure returns the index of the failing statement and its error. With `record`, the
/// number completed is written after each statement (for `-- no-transaction` files, whose statements stay applied
/// when a later one fails or the run is killed).
async fn run_statements(
    conn: &mut Conn,
    version: i64,
    statements: &[Statement],
    on_event: &mut (dyn FnMut(Event) + Send),
    record: bool,
) -> Option<(usize, sqlx::Error)> {
    for (i, st) in statements.iter().enumerate() {
        on_event(Event::Statement { version, index: i + 1, total: statements.len(), line: st.line });
        if let Err(e) = conn.execute(&st.text).await {
            return Some((i, e));
        }
        if record && let Err(e) = state::set_success(conn, version, false, state::progress(i + 1)).await {
            return Some((i + 1, e));
        }
    }
    None
}

/// PostgreSQL and SQLite: the migration and its bookkeeping in one transaction (a savepoint inside SQLite's
/// run-long transaction); `-- no-transaction` files run bare, and a failure part-way is recorded as failed.
async fn run_transactional(
    conn: &mut Conn,
    m: &Migration,
    statements: &[Statement],
    dir: Direction,
    on_event: &mut (dyn FnMut(Event) + Send),
) -> Result<Option<StepFailure>, MigrateError> {
    let sqlite = conn.engine() == Engine::Sqlite;
    let file = m.path(dir == Direction::Down);
    let t = Instant::now();
    if m.no_transaction && dir == Direction::Up {
        if sqlite {
            conn.execute("COMMIT").await?; // VACUUM and friends cannot run inside a transaction
        }
        // Recorded as started before anything runs: a run killed part-way leaves the row at success = false, so
        // status shows the migration as failed (with how many statements completed), never as pending.
        state::insert(conn, m.version, &m.description, false, &m.checksum, state::progress(0)).await?;
        let failed = run_statements(conn, m.version, statements, on_event, true).await;
        let result = match failed {
            None => {
                state::set_success(conn, m.version, true, t.elapsed().as_nanos() as i64).await?;
                None
            }
            Some((i, e)) => {
                let state = if i == 0 {
                    state::delete(conn, m.version).await?;
                    "nothing was changed (the first statement failed); the migration is still pending".to_string()
                } else {
                    format!(
                        "statements 1–{i} ran outside a transaction and stay applied; the migration is recorded as \
                         failed (success = false) until you repair it"
                    )
                };
                Some(failure(m, file, statements, i, &e, state))
            }
        };
        if sqlite {
            conn.execute("BEGIN IMMEDIATE").await?;
        }
        return Ok(result);
    }
    let (begin, commit, rollback) = if sqlite {
        ("SAVEPOINT dbc_migration", "RELEASE dbc_migration", "ROLLBACK TO dbc_migration; RELEASE dbc_migration")
    } else {
        ("BEGIN", "COMMIT", "ROLLBACK")
    };
    conn.execute(begin).await?;
    if let Some((i, e)) = run_statements(conn, m.version, statements, on_event, false).await {
        conn.execute(rollback).await?;
        let state = match dir {
            Direction::Up => "rolled back: the database is as it was before this migration, which is still pending",
            Direction::Down => "rolled back: the migration is still applied",
        };
        return Ok(Some(failure(m, file, statements, i, &e, state.into())));
    }
    let nanos = t.elapsed().as_nanos() as i64;
    match dir {
        Direction::Up => state::insert(conn, m.version, &m.description, true, &m.checksum, nanos).await?,
        Direction::Down => state::delete(conn, m.version).await?,
    }
    conn.execute(commit).await?;
    Ok(None)
}

/// MySQL commits DDL implicitly, so like sqlx the row is written first with success = false and set to true at
/// the end. After a failure, whether anything stayed is read back rather than assumed.
async fn run_mysql(
    conn: &mut Conn,
    m: &Migration,
    statements: &[Statement],
    dir: Direction,
    on_event: &mut (dyn FnMut(Event) + Send),
) -> Result<Option<StepFailure>, MigrateError> {
    let file = m.path(dir == Direction::Down);
    let t = Instant::now();
    conn.execute("BEGIN").await?;
    match dir {
        Direction::Up => state::insert(conn, m.version, &m.description, false, &m.checksum, -1).await?,
        Direction::Down => state::set_success(conn, m.version, false, -1).await?,
    }
    if let Some((i, e)) = run_statements(conn, m.version, statements, on_event, false).await {
        conn.execute("ROLLBACK").await?;
        // Without an implicit commit the ROLLBACK undid everything, the bookkeeping row included.
        let row = state::applied(conn).await?.into_iter().find(|a| a.version == m.version);
        let state = match (dir, row) {
            (Direction::Up, None) => "rolled back: nothing was changed; the migration is still pending".to_string(),
            (Direction::Up, Some(_)) => format!(
                "MySQL committed statements 1–{i} implicitly (DDL cannot be rolled back): they stay applied, and the \
                 migration is recorded as failed (success = false) until you repair it"
            ),
            (Direction::Down, Some(r)) if r.success => "rolled back: the migration is still applied".to_string(),
            (Direction::Down, _) => format!(
                "MySQL committed statements 1–{i} of the down migration implicitly; the migration is recorded as \
                 failed (success = false) until you repair it"
            ),
        };
        return Ok(Some(failure(m, file, statements, i, &e, state)));
    }
    match dir {
        Direction::Up => state::set_success(conn, m.version, true, t.elapsed().as_nanos() as i64).await?,
        Direction::Down => state::delete(conn, m.version).await?,
    }
    conn.execute("COMMIT").await?;
    Ok(None)
}

fn failure(
    m: &Migration,
    file: PathBuf,
    statements: &[Statement],
    i: usize,
    e: &sqlx::Error,
    state: String,
) -> StepFailure {
    let st = &statements[i];
    let (code, message, detail, hint, position) = describe_error(e);
    StepFailure {
        version: m.version,
        description: m.description.clone(),
        file,
        statement_index: i + 1,
        statement: st.text.clone(),
        line: position.map_or(st.line, |p| st.line_of_char(p)),
        code,
        message,
        detail,
        hint,
        state,
    }
}

/// (code, message, detail, hint, 1-based character position in the statement) of a database error.
pub fn describe_error(e: &sqlx::Error) -> (Option<String>, String, Option<String>, Option<String>, Option<usize>) {
    let Some(d) = e.as_database_error() else { return (None, e.to_string(), None, None, None) };
    if let Some(pg) = d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        let pos = match pg.position() {
            Some(sqlx::postgres::PgErrorPosition::Original(p)) => Some(p),
            _ => None,
        };
        return (
            Some(pg.code().to_string()),
            pg.message().to_string(),
            pg.detail().map(str::to_string),
            pg.hint().map(str::to_string),
            pos,
        );
    }
    if let Some(my) = d.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        return (Some(my.number().to_string()), my.message().to_string(), None, None, None);
    }
    (d.code().map(|c| c.to_string()), d.message().to_string(), None, None, None)
}

/// Rehearsal. PostgreSQL and SQLite run every pending migration inside one transaction that is rolled back;
/// MySQL cannot roll DDL back, so each statement is only prepared (syntax and, for DML, names are checked).
async fn dry_run(
    conn: &mut Conn,
    todo: &[&Migration],
    on_event: &mut (dyn FnMut(Event) + Send),
    mut report: RunReport,
) -> Result<RunReport, MigrateError> {
    let engine = conn.engine();
    let total = todo.len();
    if engine == Engine::Mysql {
        report.notes.push(
            "MySQL commits DDL implicitly, so nothing can be rehearsed and rolled back: each statement was prepared \
             on the server instead, which checks its syntax (and the names a DML statement uses) without running it"
                .into(),
        );
        for (n, m) in todo.iter().enumerate() {
            let statements = split(&m.up.sql, engine);
            on_event(start(m, n + 1, total, statements.len()));
            let t = Instant::now();
            for (i, st) in statements.iter().enumerate() {
                on_event(Event::Statement { version: m.version, index: i + 1, total: statements.len(), line: st.line });
                let quoted = crate::core::catalog::quote::literal(Engine::Mysql, &st.text);
                match conn.execute(&format!("PREPARE dbc_dry_run FROM {quoted}")).await {
                    Ok(()) => {
                        let _ = conn.execute("DEALLOCATE PREPARE dbc_dry_run").await;
                    }
                    Err(e) => {
                        let number = e
                            .as_database_error()
                            .and_then(|d| d.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>())
                            .map(|d| d.number());
                        match number {
                            // ER_UNSUPPORTED_PS: the statement cannot be prepared, so it cannot be checked here.
                            Some(1295) => report.notes.push(format!(
                                "{}:{}: not checked (MySQL cannot prepare this kind of statement)",
                                m.file_name(),
                                st.line
                            )),
                            // A table or column an earlier pending statement creates.
                            Some(1146) | Some(1054) if n > 0 || i > 0 => report.notes.push(format!(
                                "{}:{}: refers to something that does not exist yet (an earlier step may create it): {}",
                                m.file_name(),
                                st.line,
                                e.as_database_error().map(|d| d.message().to_string()).unwrap_or_default()
                            )),
                            _ => {
                                report.failure = Some(failure(
                                    m,
                                    m.up.path.clone(),
                                    &statements,
                                    i,
                                    &e,
                                    "dry run: nothing was changed".into(),
                                ));
                                return Ok(report);
                            }
                        }
                    }
                }
            }
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            on_event(Event::Done { version: m.version, ms });
            report.done.push((m.version, m.description.clone(), ms));
        }
        return Ok(report);
    }
    // PostgreSQL: one transaction; SQLite: already inside the run's IMMEDIATE transaction.
    if engine == Engine::Postgres {
        conn.execute("BEGIN").await?;
    }
    state::ensure_table(conn).await?;
    for (n, m) in todo.iter().enumerate() {
        let statements = split(&m.up.sql, engine);
        on_event(start(m, n + 1, total, statements.len()));
        if m.no_transaction {
            report.notes.push(format!(
                "{}: not rehearsed — it runs outside a transaction (`-- no-transaction`), so it cannot be rolled back",
                m.file_name()
            ));
            continue;
        }
        let t = Instant::now();
        if let Some((i, e)) = run_statements(conn, m.version, &statements, on_event, false).await {
            if engine == Engine::Postgres {
                conn.execute("ROLLBACK").await?;
            }
            report.failure =
                Some(failure(m, m.up.path.clone(), &statements, i, &e, "dry run: nothing was changed".into()));
            return Ok(report);
        }
        state::insert(conn, m.version, &m.description, true, &m.checksum, t.elapsed().as_nanos() as i64).await?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        on_event(Event::Done { version: m.version, ms });
        report.done.push((m.version, m.description.clone(), ms));
    }
    if engine == Engine::Postgres {
        conn.execute("ROLLBACK").await?;
    }
    Ok(report)
}

/// Reverts the last `count` applied migrations, newest first. Every one of them must have a down file.
pub async fn revert(
    conn: &mut Conn,
    folder: &Folder,
    count: usize,
    dry_run: bool,
    on_event: &mut (dyn FnMut(Event) + Send),
) -> Result<RunReport, MigrateError> {
    lock(conn, on_event).await?;
    let result = revert_locked(conn, folder, count, dry_run, on_event).await;
    let unlocked = unlock(conn, !dry_run).await;
    let report = result?;
    unlocked?;
    Ok(report)
}

async fn revert_locked(
    conn: &mut Conn,
    folder: &Folder,
    count: usize,
    dry_run: bool,
    on_event: &mut (dyn FnMut(Event) + Send),
) -> Result<RunReport, MigrateError> {
    let engine = conn.engine();
    let applied = state::applied(conn).await?;
    if let Some(f) = applied.iter().find(|a| !a.success) {
        return Err(MigrateError::Refused(format!(
            "migration {} ({}) is recorded as failed; repair it before reverting",
            f.version, f.description
        )));
    }
    let last: Vec<i64> = applied.iter().rev().take(count).map(|a| a.version).collect();
    let mut todo = Vec::new();
    for v in &last {
        match folder.migrations.iter().find(|m| m.version == *v) {
            Some(m) if m.down.is_some() => todo.push(m),
            Some(m) => {
                return Err(MigrateError::Refused(format!(
                    "migration {v} ({}) is not reversible: there is no {v}_….down.sql beside {}",
                    m.description,
                    m.file_name()
                )));
            }
            None => {
                return Err(MigrateError::Refused(format!("migration {v} is applied but its files are missing")));
            }
        }
    }
    let mut report = RunReport { dry_run, ..Default::default() };
    let total = todo.len();
    if dry_run && engine == Engine::Postgres {
        conn.execute("BEGIN").await?;
    }
    if dry_run && engine == Engine::Mysql {
        report.notes.push("MySQL cannot rehearse DDL: a dry-run revert only lists what would run".into());
        for m in &todo {
            report.done.push((m.version, m.description.clone(), 0.0));
        }
        return Ok(report);
    }
    for (n, m) in todo.into_iter().enumerate() {
        let down = m.down.as_ref().map(|d| d.sql.as_str()).unwrap_or_default();
        let statements = split(down, engine);
        on_event(start(m, n + 1, total, statements.len()));
        let t = Instant::now();
        let outcome = match (engine, dry_run) {
            (Engine::Mysql, _) => run_mysql(conn, m, &statements, Direction::Down, on_event).await?,
            (_, false) => run_transactional(conn, m, &statements, Direction::Down, on_event).await?,
            (_, true) => run_statements(conn, m.version, &statements, on_event, false)
                .await
                .map(|(i, e)| failure(m, m.path(true), &statements, i, &e, "dry run: nothing was changed".into())),
        };
        if let Some(f) = outcome {
            if dry_run && engine == Engine::Postgres {
                conn.execute("ROLLBACK").await?;
            }
            report.failure = Some(f);
            return Ok(report);
        }
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        on_event(Event::Done { version: m.version, ms });
        report.done.push((m.version, m.description.clone(), ms));
    }
    if dry_run && engine == Engine::Postgres {
        conn.execute("ROLLBACK").await?;
    }
    Ok(report)
}
