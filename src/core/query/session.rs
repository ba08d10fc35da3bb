//! A query session: one connection of its own (so BEGIN … COMMIT spans runs), statements run one at a time with
//! their rows streamed to a sink as the server sends them, and a canceller that stops the running statement on the
//! server: `pg_cancel_backend` from another connection (PostgreSQL), `KILL QUERY` from another connection (MySQL),
//! a progress-handler interrupt (SQLite).
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use sqlx::{Column as _, Connection, Either, Executor, Statement as _, TypeInfo};

use super::notices::{self, Notice};
use super::render;
use super::result::{Column, Kind, RowBuf};
use crate::core::engine::DbPool;
use crate::core::profile::Engine;
use crate::core::sql::classify::{Txn, analyse};

/// A failed statement, as the server described it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct QueryError {
    /// SQLSTATE (PostgreSQL), error number (MySQL), result code (SQLite).
    pub code: Option<String>,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// 1-based character position in the statement (PostgreSQL).
    pub position: Option<usize>,
    /// The statement was stopped by a cancel.
    pub cancelled: bool,
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.code {
            Some(c) => write!(f, "ERROR {c}: {}", self.message)?,
            None => write!(f, "ERROR: {}", self.message)?,
        }
        if let Some(d) = &self.detail {
            write!(f, "\nDETAIL: {d}")?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\nHINT: {h}")?;
        }
        Ok(())
    }
}

impl QueryError {
    pub fn other(message: impl Into<String>) -> QueryError {
        QueryError { code: None, message: message.into(), detail: None, hint: None, position: None, cancelled: false }
    }

    pub fn from_sqlx(e: &sqlx::Error) -> QueryError {
        let (code, message, detail, hint, position) = crate::core::migrate::run::describe_error(e);
        let cancelled = matches!(code.as_deref(), Some("57014") | Some("1317") | Some("9"))
            || (code.as_deref() == Some("1927") && message.contains("killed"));
        QueryError { code, message, detail, hint, position, cancelled }
    }
}

/// Where a statement's rows go.
pub enum Flow {
    Continue,
    /// Stop reading until `Sink::more` says whether to go on (the row cap).
    Pause,
}

pub trait Sink: Send {
    /// A result begins (a statement can return several, e.g. a MySQL CALL).
    fn columns(&mut self, columns: Vec<Column>);
    fn row(&mut self, row: &RowBuf) -> Flow;
    /// After a pause: `true` reads on, `false` stops reading this statement (the rest is discarded).
    fn more(&mut self) -> impl Future<Output = bool> + Send;
}

/// What a finished statement reported.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Rows returned (read).
    pub rows: u64,
    pub affected: u64,
    pub elapsed: Duration,
    /// Reading stopped at the sink's request before the server finished.
    pub stopped: bool,
    pub notices: Vec<Notice>,
    /// Columns were announced (a row-returning statement).
    pub returned_rows: bool,
}

/// Whether the session's connection is inside an explicit transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnState {
    Idle,
    Open,
    /// PostgreSQL: an error aborted the transaction; only ROLLBACK is accepted.
    Failed,
}

enum Conn {
    Pg(sqlx::PgConnection),
    My(sqlx::MySqlConnection),
    Lite(sqlx::SqliteConnection),
    /// A DuckDB file: a shell per statement.
    Duck(Arc<crate::core::engine::duckdb::Duck>),
}

/// The server-side id of the session's connection is shared with the cancellers handed out, so a session that
/// reconnects (a read-only session that stopped being read-only) keeps them pointing at its connection.
#[derive(Clone)]
enum CancelTarget {
    Pg {
        pool: sqlx::PgPool,
        pid: Arc<AtomicI64>,
    },
    /// Behind a transaction pooler: the server process of the next statement is not known, and cancelling by
    /// process id could stop another client's statement.
    PgPooled {
        pool: sqlx::PgPool,
    },
    My {
        pool: sqlx::MySqlPool,
        id: Arc<AtomicI64>,
    },
    Lite {
        flag: Arc<AtomicBool>,
    },
    /// The running shell is killed.
    Duck {
        stop: (Arc<AtomicBool>, Arc<tokio::sync::Notify>),
    },
}

/// Stops the session's running statement from anywhere (another task).
#[derive(Clone)]
pub struct Canceller(CancelTarget);

impl Canceller {
    pub async fn cancel(&self) -> Result<(), QueryError> {
        match &self.0 {
            CancelTarget::Pg { pool, pid } => {
                sqlx::query("SELECT pg_cancel_backend($1)")
                    .persistent(false)
                    .bind(pid.load(Ordering::SeqCst) as i32)
                    .execute(pool)
                    .await
                    .map_err(|e| QueryError::from_sqlx(&e))?;
            }
            CancelTarget::My { pool, id } => {
                sqlx::query(sqlx::AssertSqlSafe(format!("KILL QUERY {}", id.load(Ordering::SeqCst))))
                    .persistent(false)
                    .execute(pool)
                    .await
                    .map_err(|e| QueryError::from_sqlx(&e))?;
            }
            CancelTarget::Lite { flag } => flag.store(true, Ordering::SeqCst),
            CancelTarget::Duck { stop } => {
                stop.0.store(true, Ordering::SeqCst);
                stop.1.notify_waiters();
            }
            CancelTarget::PgPooled { .. } => {
                return Err(QueryError::other(
                    "not cancelled: behind a transaction pooler the statement's server process is not known, and \
                     cancelling by process id could stop another client's statement; it runs to its end (use the \
                     profile's direct_url for long statements)",
                ));
            }
        }
        Ok(())
    }
}

pub struct Session {
    /// MySQL: a START TRANSACTION/BEGIN ran and no COMMIT, ROLLBACK or implicitly committing statement since
    /// (the server's @@in_transaction only turns on at the first statement that touches a table).
    mysql_begun: bool,
    conn: Conn,
    canceller: Canceller,
    engine: Engine,
    /// The profile is read-only: statements that would switch that off are refused, and the session checks
    /// after each statement that it still is (reconnecting if not).
    read_only: bool,
    /// When the last statement ended: a connection idle for [`IDLE_CHECK`] is pinged before the next one.
    last_used: Instant,
    /// The last statement failed without an answer from the server (connection lost?): check before the next.
    suspect: bool,
}

/// A session connection idle this long is checked (one round trip) before the next statement, and opened again
/// if it dropped meanwhile (server restart, network, an SSH tunnel rebuilt). The statement is then not sent, and
/// the user is told why: its transaction and session settings are gone. A statement is never sent twice.
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// The session's transaction access mode (MariaDB before 11.1 and MySQL 5.7 call it tx_read_only). Read with
/// SHOW, which answers for either name without an error a later SHOW WARNINGS would report.
async fn mysql_read_only(c: &mut sqlx::MySqlConnection) -> bool {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SHOW SESSION VARIABLES WHERE Variable_name IN ('transaction_read_only', 'tx_read_only')")
            .persistent(false)
            .fetch_all(&mut *c)
            .await
            .unwrap_or_default();
    rows.iter().any(|(_, v)| v.eq_ignore_ascii_case("ON") || v == "1")
}

fn err(e: sqlx::Error) -> QueryError {
    QueryError::from_sqlx(&e)
}

impl Session {
    /// A connection of the session's own, taken from (and detached from) the profile's pool; the pool's other
    /// connections carry the cancels.
    pub async fn open(pool: &DbPool) -> Result<Session, QueryError> {
        Ok(match pool {
            DbPool::Postgres(p) => {
                let mut c = p.acquire().await.map_err(err)?.detach();
                let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
                    .persistent(false)
                    .fetch_one(&mut c)
                    .await
                    .map_err(err)?;
                // A read-only profile's pool starts every connection with default_transaction_read_only = on.
                let read_only =
                    p.connect_options().get_options().is_some_and(|o| o.contains("default_transaction_read_only"));
                let pooled =
                    p.connect_options().get_application_name() == Some(crate::core::engine::POOLED_APPLICATION_NAME);
                Session {
                    mysql_begun: false,
                    conn: Conn::Pg(c),
                    canceller: Canceller(if pooled {
                        CancelTarget::PgPooled { pool: p.clone() }
                    } else {
                        CancelTarget::Pg { pool: p.clone(), pid: Arc::new(AtomicI64::new(pid.into())) }
                    }),
                    engine: Engine::Postgres,
                    read_only,
                    last_used: Instant::now(),
                    suspect: false,
                }
            }
            DbPool::Mysql(p) => {
                let mut c = p.acquire().await.map_err(err)?.detach();
                let id: u64 = sqlx::query_scalar("SELECT CONNECTION_ID()")
                    .persistent(false)
                    .fetch_one(&mut c)
                    .await
                    .map_err(err)?;
                // A read-only profile's pool sets SESSION TRANSACTION READ ONLY on every connection.
                let read_only = mysql_read_only(&mut c).await;
                Session {
                    mysql_begun: false,
                    conn: Conn::My(c),
                    canceller: Canceller(CancelTarget::My { pool: p.clone(), id: Arc::new(AtomicI64::new(id as i64)) }),
                    engine: Engine::Mysql,
                    read_only,
                    last_used: Instant::now(),
                    suspect: false,
                }
            }
            DbPool::Sqlite(p) => {
                let mut c = p.acquire().await.map_err(err)?.detach();
                let flag = Arc::new(AtomicBool::new(false));
                let f = flag.clone();
                // Checked every 1,000 virtual-machine steps: a set flag interrupts the statement.
                c.lock_handle().await.map_err(err)?.set_progress_handler(1000, move || !f.load(Ordering::Relaxed));
                Session {
                    mysql_begun: false,
                    conn: Conn::Lite(c),
                    canceller: Canceller(CancelTarget::Lite { flag }),
                    engine: Engine::Sqlite,
                    read_only: false,
                    last_used: Instant::now(),
                    suspect: false,
                }
            }
            DbPool::Duckdb(d) => Session {
                mysql_begun: false,
                conn: Conn::Duck(d.clone()),
                canceller: Canceller(CancelTarget::Duck {
                    stop: (Arc::new(AtomicBool::new(false)), Arc::new(tokio::sync::Notify::new())),
                }),
                engine: Engine::Duckdb,
                // Read-only three times over: the shell opens the file `-readonly`, its configuration is locked
                // with file access off (no ATTACH … READ_WRITE, no COPY … TO), and the session's own checks.
                read_only: true,
                last_used: Instant::now(),
                suspect: false,
            },
        })
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Holds the session to the profile's `read_only` (SQLite opens the file read-only, which nothing in SQL
    /// can undo; the servers need watching).
    pub fn set_read_only(&mut self, read_only: bool) {
        self.read_only = read_only;
    }

    /// After a statement on a read-only session: the server must still say read-only. If a statement got round
    /// the refusal (a function that changes the setting, say), the connection is replaced by a fresh read-only
    /// one from the pool — inside an open transaction, that ends it — and the caller is told.
    async fn still_read_only(&mut self) -> Result<(), QueryError> {
        let ok = match &mut self.conn {
            Conn::Pg(c) => {
                let r = sqlx::raw_sql(
                    "SELECT current_setting('default_transaction_read_only') = 'on' \
                     AND current_setting('transaction_read_only') = 'on'",
                )
                .fetch_one(&mut *c)
                .await;
                match r {
                    Ok(row) => sqlx::Row::try_get_raw(&row, 0).ok().and_then(|v| v.as_str().ok()) == Some("t"),
                    // A failed transaction answers nothing until ROLLBACK, and cannot write either.
                    Err(e) if QueryError::from_sqlx(&e).code.as_deref() == Some("25P02") => true,
                    Err(_) => false,
                }
            }
            Conn::My(c) => mysql_read_only(c).await,
            Conn::Lite(_) | Conn::Duck(_) => true,
        };
        if ok {
            return Ok(());
        }
        self.reconnect().await?;
        Err(QueryError::other(
            "this profile is read-only, and the session was no longer read-only after that statement: dbconsole \
             closed the connection and opened a new read-only one (an open transaction was ended)",
        ))
    }

    /// A read-only session sends exactly one statement per call: a text that splits into several under either
    /// string rule a session can switch to (`standard_conforming_strings`, `NO_BACKSLASH_ESCAPES`,
    /// `ANSI_QUOTES`) is refused, so no setting can smuggle a second statement past the read-only check.
    fn read_only_check(&self, sql: &str) -> Result<(), QueryError> {
        use crate::core::sql::split::split_in;
        for other_rules in [false, true] {
            if split_in(sql, self.engine, other_rules).len() > 1 {
                return Err(QueryError::other(
                    "refused: this profile is read-only, and this text holds more than one statement under some \
                     session settings (string escapes, quoting); nothing was sent — run the statements one by one",
                ));
            }
        }
        Ok(())
    }

    async fn reconnect(&mut self) -> Result<(), QueryError> {
        match (&mut self.conn, &self.canceller.0) {
            // Behind a pooler there is no process id to keep: only the connection is replaced.
            (Conn::Pg(c), CancelTarget::PgPooled { pool }) => {
                let fresh = pool.acquire().await.map_err(err)?.detach();
                let old = std::mem::replace(c, fresh);
                let _ = old.close().await;
            }
            (Conn::Pg(c), CancelTarget::Pg { pool, pid }) => {
                let mut fresh = pool.acquire().await.map_err(err)?.detach();
                let id: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
                    .persistent(false)
                    .fetch_one(&mut fresh)
                    .await
                    .map_err(err)?;
                let old = std::mem::replace(c, fresh);
                let _ = old.close().await;
                pid.store(id.into(), Ordering::SeqCst);
            }
            (Conn::My(c), CancelTarget::My { pool, id }) => {
                let mut fresh = pool.acquire().await.map_err(err)?.detach();
                let n: u64 = sqlx::query_scalar("SELECT CONNECTION_ID()")
                    .persistent(false)
                    .fetch_one(&mut fresh)
                    .await
                    .map_err(err)?;
                let old = std::mem::replace(c, fresh);
                let _ = old.close().await;
                id.store(n as i64, Ordering::SeqCst);
                self.mysql_begun = false;
            }
            _ => {}
        }
        Ok(())
    }

    pub fn canceller(&self) -> Canceller {
        self.canceller.clone()
    }

    /// Runs one statement, streaming its rows into `sink`.
    pub async fn run<S: Sink>(&mut self, sql: &str, sink: &mut S) -> Result<Outcome, QueryError> {
        if let Some((line, col)) = crate::core::sql::lex::find_nul(sql) {
            return Err(QueryError::other(format!(
                "the statement holds a NUL byte (line {line}, column {col}), which SQL text cannot carry: \
                 nothing was sent (write it as a bound value, chr(0) or CHAR(0), or remove it)"
            )));
        }
        if self.read_only {
            self.read_only_check(sql)?;
        }
        if self.read_only
            && let Some(what) = crate::core::sql::classify::turns_off_read_only(sql, self.engine)
        {
            return Err(QueryError::other(format!(
                "refused: this profile is read-only, and `{what}` would make the session read-write; nothing was \
                 sent (use a profile without read_only to write)"
            )));
        }
        if let CancelTarget::Lite { flag } = &self.canceller.0 {
            flag.store(false, Ordering::SeqCst);
        }
        if let CancelTarget::Duck { stop } = &self.canceller.0 {
            stop.0.store(false, Ordering::SeqCst);
        }
        let check = self.suspect || self.last_used.elapsed() >= IDLE_CHECK;
        if !self.engine.is_file() && check && self.ping().await.is_err() {
            // Connected again, but this statement is not sent: on the new connection an open transaction and the
            // session's settings (SET, SET ROLE, USE) are gone, and the statement might mean something else there.
            tracing::info!("the session's connection dropped while idle; reconnecting");
            self.reconnect().await?;
            self.mysql_begun = false;
            self.suspect = false;
            self.last_used = Instant::now();
            return Err(QueryError::other(
                "the connection had dropped (server restart, network, SSH tunnel) and dbconsole connected again; \
                 nothing was sent: a transaction that was open and session settings (SET, SET ROLE, USE) are gone — \
                 run the statement again if it still applies",
            ));
        }
        let collected = notices::Collector::default();
        let started = Instant::now();
        let result = notices::collect(collected.clone(), self.stream(sql, sink)).await;
        self.last_used = Instant::now();
        self.suspect = matches!(&result, Err(e) if e.code.is_none() && !e.cancelled);
        if self.engine == Engine::Mysql {
            let a = analyse(sql, self.engine);
            match a.txn {
                Some(Txn::Begin) => self.mysql_begun = result.is_ok(),
                Some(_) => self.mysql_begun = false,
                // Statements that commit implicitly.
                None if matches!(
                    a.verb.as_str(),
                    "CREATE" | "ALTER" | "DROP" | "RENAME" | "TRUNCATE" | "LOCK" | "UNLOCK" | "GRANT" | "REVOKE"
                ) =>
                {
                    self.mysql_begun = false
                }
                None => {}
            }
        }
        if self.read_only {
            self.still_read_only().await?;
        }
        let mut out = result?;
        out.elapsed = started.elapsed();
        if let Ok(mut n) = collected.lock() {
            out.notices.splice(0..0, n.drain(..));
        }
        if !out.returned_rows && analyse(sql, self.engine).returns_rows {
            // No row came, so no column list either: ask the server to describe the statement.
            if let Ok(cols) = self.describe(sql).await
                && !cols.is_empty()
            {
                sink.columns(cols);
                out.returned_rows = true;
            }
        }
        if let Conn::My(c) = &mut self.conn
            && !out.stopped
        {
            let rows: Vec<(String, u32, String)> =
                sqlx::query_as("SHOW WARNINGS").persistent(false).fetch_all(&mut *c).await.unwrap_or_default();
            out.notices.extend(rows.into_iter().map(|(level, code, message)| Notice {
                level,
                code: Some(code.to_string()),
                message,
            }));
        }
        Ok(out)
    }

    async fn stream<S: Sink>(&mut self, sql: &str, sink: &mut S) -> Result<Outcome, QueryError> {
        let mut out = Outcome::default();
        let mut buf = RowBuf::default();
        let q = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()));
        macro_rules! pump {
            ($conn:expr, $cols:expr, $row:expr) => {{
                let mut stream = q.fetch_many(&mut *$conn);
                let mut announced = false;
                let mut kinds: Vec<Kind> = Vec::new();
                loop {
                    match stream.try_next().await {
                        Ok(Some(Either::Left(done))) => {
                            out.affected += done.rows_affected();
                            announced = false;
                        }
                        Ok(Some(Either::Right(row))) => {
                            if !announced {
                                let cols: Vec<Column> = $cols(&row);
                                kinds = cols.iter().map(|c| c.kind).collect();
                                sink.columns(cols);
                                announced = true;
                                out.returned_rows = true;
                            }
                            $row(&row, &kinds, &mut buf);
                            out.rows += 1;
                            if let Flow::Pause = sink.row(&buf) {
                                if !sink.more().await {
                                    out.stopped = true;
                                    break;
                                }
                            }
                        }
                        Ok(None) => break,
                        Err(e) => return Err(err(e)),
                    }
                }
            }};
        }
        match &mut self.conn {
            Conn::Pg(c) => pump!(c, render::pg_columns, |r, _k: &[Kind], b| render::pg_row(r, b)),
            Conn::My(c) => pump!(c, render::mysql_columns, render::mysql_row),
            Conn::Lite(c) => super::sqlite_fast::stream(c, sql, sink, &mut out).await?,
            Conn::Duck(d) => {
                let CancelTarget::Duck { stop } = &self.canceller.0 else {
                    unreachable!("a DuckDB session's canceller")
                };
                super::duck::stream(d, sql, sink, &mut out, stop).await?;
                let a = analyse(sql, Engine::Duckdb);
                if a.txn.is_some() || matches!(a.verb.as_str(), "SET" | "RESET" | "USE" | "ATTACH" | "LOAD" | "PRAGMA")
                {
                    out.notices.push(Notice {
                        level: "NOTICE".into(),
                        code: None,
                        message: "each DuckDB statement runs in a read-only duckdb shell of its own: settings, \
                                  transactions and attachments do not carry over to the next statement"
                            .into(),
                    });
                }
                return Ok(out);
            }
        }
        if out.stopped {
            // The rest of the result is not wanted: stop it on the server rather than drain it.
            let _ = self.canceller.cancel().await;
            let _ = self.ping().await;
        }
        Ok(out)
    }

    async fn describe(&mut self, sql: &str) -> Result<Vec<Column>, QueryError> {
        if matches!(self.canceller.0, CancelTarget::PgPooled { .. }) {
            // sqlx prepares a named statement to describe one, which a transaction pooler would leave on some
            // other client's server connection: an empty result shows without its column names instead.
            return Ok(Vec::new());
        }
        macro_rules! cols {
            ($d:expr, $kind:path) => {
                $d.columns()
                    .iter()
                    .map(|c| {
                        let t = c.type_info().name().to_string();
                        Column { name: c.name().to_string(), kind: $kind(&t), type_name: t }
                    })
                    .collect()
            };
        }
        Ok(match &mut self.conn {
            Conn::Duck(_) => Vec::new(),
            Conn::Pg(c) => cols!(
                c.prepare(sqlx::SqlSafeStr::into_sql_str(sqlx::AssertSqlSafe(sql))).await.map_err(err)?,
                render::pg_kind
            ),
            Conn::My(c) => {
                cols!(
                    c.prepare(sqlx::SqlSafeStr::into_sql_str(sqlx::AssertSqlSafe(sql))).await.map_err(err)?,
                    render::mysql_kind
                )
            }
            Conn::Lite(c) => {
                cols!(
                    c.prepare(sqlx::SqlSafeStr::into_sql_str(sqlx::AssertSqlSafe(sql))).await.map_err(err)?,
                    render::sqlite_kind
                )
            }
        })
    }

    /// Checks the connection is alive (after a cancel, a dropped stream or an error).
    pub async fn ping(&mut self) -> Result<(), QueryError> {
        match &mut self.conn {
            Conn::Pg(c) => c.ping().await,
            Conn::My(c) => c.ping().await,
            Conn::Lite(c) => c.ping().await,
            Conn::Duck(_) => Ok(()),
        }
        .map_err(err)
    }

    /// Asks the server whether an explicit transaction is open on this session.
    pub async fn transaction_state(&mut self) -> TxnState {
        match &mut self.conn {
            // now() is the transaction's start; a separate statement inside a block starts later.
            // Simple protocol: outside a block the implicit transaction starts with the statement (equal times).
            Conn::Pg(c) => match sqlx::raw_sql("SELECT now() <> statement_timestamp()").fetch_one(&mut *c).await {
                Ok(row) if sqlx::Row::try_get_raw(&row, 0).ok().and_then(|v| v.as_str().ok()) == Some("t") => {
                    TxnState::Open
                }
                Ok(_) => TxnState::Idle,
                Err(e) if QueryError::from_sqlx(&e).code.as_deref() == Some("25P02") => TxnState::Failed,
                Err(_) => TxnState::Idle,
            },
            Conn::My(c) => {
                match sqlx::query_scalar::<_, i64>("SELECT @@in_transaction").persistent(false).fetch_one(&mut *c).await
                {
                    Ok(1) => TxnState::Open,
                    _ if self.mysql_begun => TxnState::Open,
                    _ => TxnState::Idle,
                }
            }
            Conn::Lite(c) => match c.lock_handle().await {
                Ok(mut h) => {
                    // SAFETY: the handle is locked for us and valid for the call.
                    let autocommit = unsafe { libsqlite3_sys::sqlite3_get_autocommit(h.as_raw_handle().as_ptr()) };
                    if autocommit == 0 { TxnState::Open } else { TxnState::Idle }
                }
                Err(_) => TxnState::Idle,
            },
            Conn::Duck(_) => TxnState::Idle,
        }
    }

    /// Applies staged edits (`edit::Target::plan`) in one transaction — a savepoint when the user has one open —
    /// with bound values. Every statement must change exactly one row; otherwise all is rolled back. Returns the
    /// rows changed, or the failing statement's index and error.
    pub async fn apply_edits(&mut self, plans: &[super::edit::Planned]) -> Result<u64, (usize, QueryError)> {
        let in_txn = self.transaction_state().await != TxnState::Idle;
        let (begin, commit, rollback) = if in_txn {
            ("SAVEPOINT dbc_edit", "RELEASE SAVEPOINT dbc_edit", "ROLLBACK TO SAVEPOINT dbc_edit")
        } else {
            ("BEGIN", "COMMIT", "ROLLBACK")
        };
        self.exec_plain(begin).await.map_err(|e| (0, e))?;
        let mut total = 0;
        for (i, p) in plans.iter().enumerate() {
            let r = self.exec_bound(p).await;
            let failure = match r {
                Ok(1) => {
                    total += 1;
                    continue;
                }
                Ok(n) => QueryError::other(format!(
                    "{n} rows matched instead of 1: the row was changed or deleted since it was read; nothing was applied"
                )),
                Err(e) => e,
            };
            let _ = self.exec_plain(rollback).await;
            return Err((i, failure));
        }
        if let Err(e) = self.exec_plain(commit).await {
            let _ = self.exec_plain(rollback).await;
            return Err((plans.len(), e));
        }
        if !in_txn && self.engine == Engine::Mysql {
            self.mysql_begun = false;
        }
        Ok(total)
    }

    async fn exec_plain(&mut self, sql: &'static str) -> Result<(), QueryError> {
        match &mut self.conn {
            Conn::Pg(c) => sqlx::raw_sql(sql).execute(&mut *c).await.map(|_| ()),
            Conn::My(c) => sqlx::raw_sql(sql).execute(&mut *c).await.map(|_| ()),
            Conn::Lite(c) => sqlx::raw_sql(sql).execute(&mut *c).await.map(|_| ()),
            Conn::Duck(_) => return Err(QueryError::other(crate::core::engine::NotWritable::MESSAGE)),
        }
        .map_err(err)
    }

    async fn exec_bound(&mut self, p: &super::edit::Planned) -> Result<u64, QueryError> {
        let sql = sqlx::AssertSqlSafe(p.sql.clone());
        match &mut self.conn {
            Conn::Duck(_) => Err(sqlx::Error::from(crate::core::engine::NotWritable)),
            Conn::Pg(c) => {
                let mut q = sqlx::query(sql).persistent(false);
                for (v, _) in &p.binds {
                    q = q.bind(v.clone());
                }
                q.execute(&mut *c).await.map(|r| r.rows_affected())
            }
            Conn::My(c) => {
                let mut q = sqlx::query(sql).persistent(false);
                for (v, kind) in &p.binds {
                    match (kind, v) {
                        (Kind::Binary, Some(h)) => q = q.bind(h.strip_prefix("\\x").unwrap_or(h).to_string()),
                        _ => q = q.bind(v.clone()),
                    }
                }
                q.execute(&mut *c).await.map(|r| r.rows_affected())
            }
            Conn::Lite(c) => {
                let mut q = sqlx::query(sql).persistent(false);
                for (v, kind) in &p.binds {
                    match (kind, v.as_deref().and_then(super::edit::unhex)) {
                        (Kind::Binary, Some(bytes)) => q = q.bind(bytes),
                        _ => q = q.bind(v.clone()),
                    }
                }
                q.execute(&mut *c).await.map(|r| r.rows_affected())
            }
        }
        .map_err(err)
    }

    pub async fn close(self) {
        let _ = match self.conn {
            Conn::Pg(c) => c.close().await,
            Conn::My(c) => c.close().await,
            Conn::Lite(c) => c.close().await,
            Conn::Duck(_) => Ok(()),
        };
    }
}
