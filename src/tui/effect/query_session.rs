//! The query pane's background side: one session task per connected profile that owns the session's connection
//! and runs statements in order, streaming rows into a shared store and reporting as Actions; cancels go to the
//! server through the session's canceller from another task; exports stream to files off the UI thread.
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::core::engine::DbPool;
use crate::core::query::export::{Format, Writer};
use crate::core::query::{Canceller, Column, Flow, RowBuf, Rows, Session, Sink};
use crate::core::sql::Statement;
use crate::core::store::Store;
use crate::tui::action::{Action, JobId, QueryMsg, StatementDone};

pub enum Cmd {
    Run { job: JobId, statements: Vec<Statement>, cap: usize },
    Apply { job: JobId, plans: Vec<crate::core::query::edit::Planned> },
}

/// The running session task of one profile.
pub struct QueryHandle {
    pub profile: String,
    cmd: UnboundedSender<Cmd>,
    more: UnboundedSender<bool>,
    canceller: Arc<Mutex<Option<Canceller>>>,
}

impl QueryHandle {
    pub fn start(
        profile: String,
        pool: DbPool,
        tx: UnboundedSender<Action>,
        store: Arc<tokio::sync::OnceCell<Option<Store>>>,
        state_db: std::path::PathBuf,
    ) -> QueryHandle {
        let (cmd, cmd_rx) = unbounded_channel();
        let (more, more_rx) = unbounded_channel();
        let canceller = Arc::new(Mutex::new(None));
        let c2 = canceller.clone();
        let name = profile.clone();
        tokio::spawn(async move { session_task(name, pool, tx, cmd_rx, more_rx, c2, store, state_db).await });
        QueryHandle { profile, cmd, more, canceller }
    }

    pub fn run(&self, job: JobId, statements: Vec<Statement>, cap: usize) -> bool {
        self.cmd.send(Cmd::Run { job, statements, cap }).is_ok()
    }

    pub fn apply(&self, job: JobId, plans: Vec<crate::core::query::edit::Planned>) -> bool {
        self.cmd.send(Cmd::Apply { job, plans }).is_ok()
    }

    pub fn more(&self, more: bool) {
        let _ = self.more.send(more);
    }

    pub fn cancel(&self) {
        let c = self.canceller.lock().ok().and_then(|c| c.clone());
        // A paused statement is waiting on us, not on the server: tell it to stop reading.
        let _ = self.more.send(false);
        if let Some(c) = c {
            tokio::spawn(async move {
                if let Err(e) = c.cancel().await {
                    tracing::warn!("cancel failed: {e}");
                }
            });
        }
    }
}

struct TuiSink<'a> {
    job: JobId,
    tx: &'a UnboundedSender<Action>,
    rows: Option<Arc<RwLock<Rows>>>,
    cap: usize,
    count: usize,
    last: Instant,
    more: &'a mut UnboundedReceiver<bool>,
}

impl Sink for TuiSink<'_> {
    fn columns(&mut self, columns: Vec<Column>) {
        let rows = Arc::new(RwLock::new(Rows::new(columns.len())));
        self.rows = Some(rows.clone());
        self.count = 0;
        let _ = self.tx.send(Action::Query(QueryMsg::Columns { job: self.job, columns, rows }));
    }
    fn row(&mut self, row: &RowBuf) -> Flow {
        if let Some(r) = &self.rows
            && let Ok(mut r) = r.write()
        {
            r.push(row);
        }
        self.count += 1;
        if self.count.is_multiple_of(256) && self.last.elapsed() >= Duration::from_millis(50) {
            self.last = Instant::now();
            let _ = self.tx.send(Action::Query(QueryMsg::Rows { job: self.job }));
        }
        if self.cap > 0 && self.count.is_multiple_of(self.cap) {
            let _ = self.tx.send(Action::Query(QueryMsg::Paused { job: self.job }));
            return Flow::Pause;
        }
        Flow::Continue
    }
    async fn more(&mut self) -> bool {
        let go = self.more.recv().await.unwrap_or(false);
        if go {
            let _ = self.tx.send(Action::Query(QueryMsg::Resumed { job: self.job }));
        }
        go
    }
}

#[allow(clippy::too_many_arguments)]
async fn session_task(
    profile: String,
    pool: DbPool,
    tx: UnboundedSender<Action>,
    mut cmds: UnboundedReceiver<Cmd>,
    mut more: UnboundedReceiver<bool>,
    canceller: Arc<Mutex<Option<Canceller>>>,
    store: Arc<tokio::sync::OnceCell<Option<Store>>>,
    state_db: std::path::PathBuf,
) {
    let mut session: Option<Session> = None;
    while let Some(cmd) = cmds.recv().await {
        let (job, statements, cap) = match cmd {
            Cmd::Run { job, statements, cap } => (job, statements, cap),
            Cmd::Apply { job, plans } => {
                let result = match session.as_mut() {
                    Some(s) => s.apply_edits(&plans).await,
                    None => Err((0, crate::core::query::QueryError::other("no session: run the query again"))),
                };
                let _ = tx.send(Action::Query(QueryMsg::EditsApplied { job, result }));
                continue;
            }
        };
        // Stale "more" answers from an earlier run.
        while more.try_recv().is_ok() {}
        if session.is_none() {
            match Session::open(&pool).await {
                Ok(s) => {
                    if let Ok(mut c) = canceller.lock() {
                        *c = Some(s.canceller());
                    }
                    session = Some(s);
                }
                Err(e) => {
                    let _ = tx.send(Action::Query(QueryMsg::Failed { job, index: 0, statement: None, error: e }));
                    let _ = tx.send(Action::Query(QueryMsg::Finished { job, txn: crate::core::query::TxnState::Idle }));
                    continue;
                }
            }
        }
        let Some(s) = session.as_mut() else { continue };
        let store = store
            .get_or_init(|| async {
                match Store::open(&state_db).await {
                    Ok(s) => Some(s),
                    Err(e) => {
                        tracing::warn!("query history is off: {e}");
                        None
                    }
                }
            })
            .await
            .clone();
        let total = statements.len();
        for (i, st) in statements.iter().enumerate() {
            let _ = tx.send(Action::Query(QueryMsg::Statement { job, index: i + 1, total }));
            let mut sink = TuiSink { job, tx: &tx, rows: None, cap, count: 0, last: Instant::now(), more: &mut more };
            let result = s.run(&st.text, &mut sink).await;
            let _ = tx.send(Action::Query(QueryMsg::Rows { job }));
            match result {
                Ok(o) => {
                    if let Some(store) = &store {
                        let _ = store
                            .add_history(
                                &profile,
                                &st.text,
                                o.elapsed.as_secs_f64() * 1000.0,
                                Some(o.rows.max(o.affected) as i64),
                                None,
                            )
                            .await;
                    }
                    let verb = crate::core::sql::classify::analyse(&st.text, s.engine()).verb;
                    let _ = tx.send(Action::Query(QueryMsg::StatementDone {
                        job,
                        done: Box::new(StatementDone { index: i + 1, verb, outcome: o }),
                    }));
                }
                Err(e) => {
                    if let Some(store) = &store {
                        let _ = store.add_history(&profile, &st.text, 0.0, None, Some(&e.to_string())).await;
                    }
                    let _ = tx.send(Action::Query(QueryMsg::Failed {
                        job,
                        index: i + 1,
                        statement: Some(st.clone()),
                        error: e,
                    }));
                    break;
                }
            }
        }
        // A lost connection is replaced on the next run.
        if s.ping().await.is_err() {
            if let Some(old) = session.take() {
                old.close().await;
            }
            let _ = tx.send(Action::Query(QueryMsg::Finished { job, txn: crate::core::query::TxnState::Idle }));
            continue;
        }
        let txn = s.transaction_state().await;
        let _ = tx.send(Action::Query(QueryMsg::Finished { job, txn }));
    }
    if let Some(s) = session {
        s.close().await;
    }
}

/// Writes every row of a result to `path` in `format`, reading the shared rows a chunk at a time.
/// Why an export did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportError {
    /// The file is there and `overwrite` was not given.
    Exists,
    Failed(String),
}

pub fn export(
    columns: Vec<Column>,
    rows: Arc<RwLock<Rows>>,
    format: Format,
    path: std::path::PathBuf,
    engine: crate::core::profile::Engine,
    table: String,
    overwrite: bool,
) -> Result<u64, ExportError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true);
    if overwrite {
        opts.create(true).truncate(true);
    } else {
        // Never over a file that is there: the app asks first, then comes back with `overwrite`.
        opts.create_new(true);
    }
    let file = opts.open(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => ExportError::Exists,
        _ => ExportError::Failed(format!("{}: {e}", path.display())),
    })?;
    let mut w = Writer::new(format, std::io::BufWriter::with_capacity(1 << 16, file), engine, &table);
    let io = |e: std::io::Error| ExportError::Failed(format!("{}: {e}", path.display()));
    w.begin(&columns).map_err(io)?;
    let mut done = 0;
    loop {
        let Ok(r) = rows.read() else { break };
        let end = (done + 4096).min(r.len());
        for row in done..end {
            w.row((0..columns.len()).map(|c| r.get(row, c))).map_err(io)?;
        }
        if end == done {
            break;
        }
        done = end;
    }
    w.finish().map_err(io)?;
    Ok(done as u64)
}
