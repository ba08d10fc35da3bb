//! Query jobs: statements on the profile's session task (opened on first use), staged edits, paging answers,
//! server-side cancel, exports and the history.
use std::path::PathBuf;
use std::sync::Arc;

use super::Runner;
use super::query_session::{self, QueryHandle};
use crate::core::query::{Column, QueryError, Rows, TxnState};
use crate::tui::action::{Action, JobId, QueryMsg};

pub(super) fn run(r: &Runner, job: JobId, profile: String, statements: Vec<crate::core::sql::Statement>, cap: usize) {
    let Some(pool) = r.pool(&profile) else {
        let error = QueryError::other("not connected: connect the profile first");
        let _ = r.tx.send(Action::Query(QueryMsg::Failed { job, index: 0, statement: None, error }));
        let _ = r.tx.send(Action::Query(QueryMsg::Finished { job, txn: TxnState::Idle }));
        return;
    };
    if let Ok(mut q) = r.query.lock() {
        if q.as_ref().is_none_or(|h| h.profile != profile) {
            let (store, state_db) = r.store();
            *q = Some(QueryHandle::start(profile, pool, r.tx.clone(), store, state_db));
        }
        if let Some(h) = q.as_ref() {
            h.run(job, statements, cap);
        }
    }
}

pub(super) fn apply_edits(r: &Runner, job: JobId, profile: &str, plans: Vec<crate::core::query::edit::Planned>) {
    let sent = r
        .query
        .lock()
        .ok()
        .and_then(|q| q.as_ref().filter(|h| h.profile == profile).map(|h| h.apply(job, plans)))
        .unwrap_or(false);
    if !sent {
        let e = QueryError::other("the query session is gone: run the query again");
        let _ = r.tx.send(Action::Query(QueryMsg::EditsApplied { job, result: Err((0, e)) }));
    }
}

pub(super) fn more(r: &Runner, more: bool) {
    if let Some(h) = r.query.lock().ok().as_ref().and_then(|q| q.as_ref()) {
        h.more(more);
    }
}

pub(super) fn cancel(r: &Runner) {
    if let Some(h) = r.query.lock().ok().as_ref().and_then(|q| q.as_ref()) {
        h.cancel();
    }
}

pub(super) fn end(r: &Runner) {
    if let Ok(mut q) = r.query.lock() {
        // Dropping the handle closes the session task's channel: it ends, and its connection with it.
        *q = None;
    }
}

pub(super) struct ExportJob {
    pub columns: Vec<Column>,
    pub rows: Arc<std::sync::RwLock<Rows>>,
    pub format: crate::core::query::export::Format,
    pub path: PathBuf,
    pub engine: crate::core::profile::Engine,
    pub table: String,
    pub typed: String,
    pub overwrite: bool,
}

pub(super) fn export(r: &Runner, job: ExportJob) {
    r.spawn_blocking(move |tx| {
        let ExportJob { columns, rows, format, path, engine, table, typed, overwrite } = job;
        let msg = match query_session::export(columns, rows, format, path.clone(), engine, table, overwrite) {
            Ok(n) => QueryMsg::Exported(Ok((path, n))),
            Err(query_session::ExportError::Exists) => QueryMsg::ExportExists { path, typed, format },
            Err(query_session::ExportError::Failed(e)) => QueryMsg::Exported(Err(e)),
        };
        let _ = tx.send(Action::Query(msg));
    });
}

pub(super) fn history(r: &Runner, profile: String, filter: String) {
    let (tx, (store, state_db)) = (r.tx.clone(), r.store());
    tokio::spawn(async move {
        let store = store.get_or_init(|| async { crate::core::store::Store::open(&state_db).await.ok() }).await.clone();
        let result = match store {
            Some(s) => s.history(&profile, &filter, 500).await.map_err(|e| e.to_string()),
            None => Err(format!("the state store {} cannot be opened", state_db.display())),
        };
        let _ = tx.send(Action::Query(QueryMsg::HistoryLoaded(result)));
    });
}
