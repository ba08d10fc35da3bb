//! The query session's SQLite statements through SQLite's C API on the session's own connection (sqlx lends its
//! handle while `lock_handle` is held): one value at a time through sqlx's worker channel cost several times what
//! SQLite itself does (3.9× the sqlite3 shell on a 1M-row SELECT). Same connection, so transactions, temporary
//! tables, attached databases, the busy timeout and the cancel (progress handler) all hold; the cells are the
//! ones the sqlx path rendered (the transfer's `read_cell`).
//!
//! The statement steps on a blocking thread (a long `sqlite3_step` must not hold up the runtime, where the
//! cancel runs) and hands rows over in batches. The handle never outlives sqlx's lock: whatever ends the run —
//! its end, a stop at the row cap, the future dropped — the blocking side is interrupted (`sqlite3_interrupt`)
//! and waited for before the lock is released.
use std::ffi::{CStr, c_char, c_int};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use libsqlite3_sys as ffi;

use super::render::sqlite_kind;
use super::{Column, Flow, Kind, Outcome, QueryError, RowBuf, Sink};
use crate::core::transfer::convert::Class;
use crate::core::transfer::sqlite_raw::read_cell;

/// The connection handle, used by the blocking thread while the async side holds sqlx's lock.
#[derive(Clone, Copy)]
struct Db(*mut ffi::sqlite3);
// SAFETY: one thread steps at a time (the blocking one); `sqlite3_interrupt` is safe from any thread.
unsafe impl Send for Db {}

struct Stmt(*mut ffi::sqlite3_stmt);
impl Drop for Stmt {
    fn drop(&mut self) {
        // SAFETY: prepared once, finalized once.
        unsafe { ffi::sqlite3_finalize(self.0) };
    }
}

fn error(db: Db) -> QueryError {
    // SAFETY: valid handle; errmsg returns a valid C string.
    let (code, message) = unsafe {
        (ffi::sqlite3_extended_errcode(db.0), CStr::from_ptr(ffi::sqlite3_errmsg(db.0)).to_string_lossy().into_owned())
    };
    let mut e = QueryError::other(message);
    e.code = Some(code.to_string());
    e.cancelled = code == ffi::SQLITE_INTERRUPT;
    e
}

/// Rows per batch handed to the async side.
const BATCH_ROWS: usize = 512;

/// Rows of one batch, packed: the cells' text and ends of every row back to back.
#[derive(Default)]
struct Batch {
    text: String,
    ends: Vec<u32>,
    /// Where each row's text and ends stop.
    rows: Vec<(usize, usize)>,
}

impl Batch {
    fn push(&mut self, row: &RowBuf) {
        self.text.push_str(&row.text);
        self.ends.extend_from_slice(&row.ends);
        self.rows.push((self.text.len(), self.ends.len()));
    }
    fn row_into(&self, i: usize, out: &mut RowBuf) {
        let (t0, e0) = if i == 0 { (0, 0) } else { self.rows[i - 1] };
        let (t1, e1) = self.rows[i];
        out.clear();
        out.text.push_str(&self.text[t0..t1]);
        out.ends.extend_from_slice(&self.ends[e0..e1]);
    }
}

enum Msg {
    Columns(Vec<Column>),
    Rows(Batch),
    /// The end: rows the statements changed, or why they stopped.
    Done(Result<u64, QueryError>),
}

/// Set by the blocking side when it no longer touches the handle.
type Finished = Arc<(Mutex<bool>, Condvar)>;

/// Interrupts the blocking side and waits for it, when the run ends any way at all (dropped included), so the
/// handle is never used after sqlx's lock is released. Declared after the lock guard: dropped before it.
/// It owns the receiving end: closing it first lets a blocking side waiting to send go on to its end.
struct Join {
    db: Db,
    finished: Finished,
    rx: Option<tokio::sync::mpsc::Receiver<Msg>>,
    /// Tells the blocking side to stop before its next statement or row (an interrupt between statements is
    /// forgotten by SQLite).
    stop: Arc<AtomicBool>,
}

impl Join {
    fn is_finished(&self) -> bool {
        *self.finished.0.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// Asks the blocking side to stop now.
    fn stop(&mut self) {
        drop(self.rx.take());
        self.stop.store(true, Ordering::SeqCst);
        if !self.is_finished() {
            // SAFETY: sqlite3_interrupt may be called from any thread while the connection is open (it is: the
            // lock that keeps sqlx from closing it is held by the frame that owns this).
            unsafe { ffi::sqlite3_interrupt(self.db.0) };
        }
    }
}

/// Marks the blocking side finished however it ends (a panic included), so nothing waits for ever.
struct Finish {
    finished: Finished,
    done: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Finish {
    fn drop(&mut self) {
        let (m, c) = &*self.finished;
        *m.lock().unwrap_or_else(|e| e.into_inner()) = true;
        c.notify_all();
        if let Some(d) = self.done.take() {
            let _ = d.send(());
        }
    }
}

impl Drop for Join {
    fn drop(&mut self) {
        // Normally the run waited for the end already; this is for a run dropped part-way (a job aborted).
        self.stop();
        let (m, c) = &*self.finished;
        let mut done = m.lock().unwrap_or_else(|e| e.into_inner());
        if !*done {
            // SAFETY: sqlite3_interrupt may be called from any thread while the connection is open (it is: the
            // lock that keeps sqlx from closing it is still held).
            unsafe { ffi::sqlite3_interrupt(self.db.0) };
        }
        while !*done {
            done = c.wait(done).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Runs `sql` (one statement, or several as sqlite3_exec would) on `conn`, streaming rows into `sink`.
pub(super) async fn stream<S: Sink>(
    conn: &mut sqlx::SqliteConnection,
    sql: &str,
    sink: &mut S,
    out: &mut Outcome,
) -> Result<(), QueryError> {
    let mut guard = conn.lock_handle().await.map_err(|e| QueryError::from_sqlx(&e))?;
    let db = Db(guard.as_raw_handle().as_ptr());
    let (tx, rx) = tokio::sync::mpsc::channel::<Msg>(4);
    let finished: Finished = Arc::new((Mutex::new(false), Condvar::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let (f2, s2, text) = (finished.clone(), stop.clone(), sql.to_string());
    tokio::task::spawn_blocking(move || {
        let _finish = Finish { finished: f2, done: Some(done_tx) };
        let result = run(db, &text, &tx, &s2);
        let _ = tx.blocking_send(Msg::Done(result));
    });
    // Declared after `guard`: if this frame is dropped part-way, `join` (which waits) goes before the lock.
    let mut join = Join { db, finished, rx: Some(rx), stop };
    let mut buf = RowBuf::default();
    let mut result = Err(QueryError::other("the SQLite reader stopped before the end of the statement"));
    'recv: while let Some(msg) = match join.rx.as_mut() {
        Some(rx) => rx.recv().await,
        None => None,
    } {
        match msg {
            Msg::Columns(cols) => {
                sink.columns(cols);
                out.returned_rows = true;
            }
            Msg::Rows(batch) => {
                for i in 0..batch.rows.len() {
                    batch.row_into(i, &mut buf);
                    out.rows += 1;
                    if let Flow::Pause = sink.row(&buf)
                        && !sink.more().await
                    {
                        out.stopped = true;
                        break 'recv;
                    }
                }
            }
            Msg::Done(r) => {
                result = r.map(|n| out.affected += n);
                break;
            }
        }
    }
    if out.stopped {
        result = Ok(());
    }
    // Stopped or done: the blocking side ends (interrupted if it still runs), and is waited for without blocking
    // the runtime, before the lock goes.
    join.stop();
    let _ = done_rx.await;
    drop(join);
    drop(guard);
    result
}

/// Prepares the first statement of `rest`: it (none for only whitespace or a comment) and the bytes it took.
fn prepare(db: Db, rest: &[u8]) -> Result<(Option<Stmt>, usize), QueryError> {
    let mut st = ptr::null_mut();
    let mut tail: *const c_char = ptr::null();
    let len = c_int::try_from(rest.len()).map_err(|_| QueryError::other("the statement is over 2 GB"))?;
    // SAFETY: valid handle; `rest` is valid for `len` bytes; out pointers are valid.
    let rc = unsafe { ffi::sqlite3_prepare_v2(db.0, rest.as_ptr().cast(), len, &mut st, &mut tail) };
    if rc != ffi::SQLITE_OK {
        return Err(error(db));
    }
    let used = if tail.is_null() { rest.len() } else { (tail as usize).saturating_sub(rest.as_ptr() as usize) };
    Ok(((!st.is_null()).then_some(Stmt(st)), used))
}

fn text_of(p: *const c_char) -> String {
    // SAFETY: a NUL-terminated string from SQLite, valid until the statement is finalized (or null).
    if p.is_null() { String::new() } else { unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned() }
}

/// The blocking side: steps every statement of `sql`, sending columns and batches of rows; stops when the
/// receiver is gone. Returns the rows the statements themselves changed.
fn run(db: Db, sql: &str, tx: &tokio::sync::mpsc::Sender<Msg>, stop: &AtomicBool) -> Result<u64, QueryError> {
    let bytes = sql.as_bytes();
    let mut at = 0usize;
    let mut affected = 0u64;
    let mut row = RowBuf::default();
    while at < bytes.len() {
        if stop.load(Ordering::SeqCst) {
            return Ok(affected);
        }
        let (st, used) = prepare(db, &bytes[at..])?;
        at += used.max(1);
        let Some(st) = st else { continue };
        // SAFETY: valid statement and handle.
        let (n, before) = unsafe { (ffi::sqlite3_column_count(st.0), ffi::sqlite3_total_changes64(db.0)) };
        // SAFETY (both maps): valid statement, column in range.
        let decl: Vec<String> = (0..n).map(|i| text_of(unsafe { ffi::sqlite3_column_decltype(st.0, i) })).collect();
        let names: Vec<String> = (0..n).map(|i| text_of(unsafe { ffi::sqlite3_column_name(st.0, i) })).collect();
        let mut kinds: Vec<Option<Kind>> = decl.iter().map(|d| (!d.is_empty()).then(|| sqlite_kind(d))).collect();
        let columns = |kinds: &[Option<Kind>]| -> Vec<Column> {
            names
                .iter()
                .zip(&decl)
                .zip(kinds)
                .map(|((name, d), k)| Column {
                    name: name.clone(),
                    type_name: d.clone(),
                    kind: k.unwrap_or(Kind::Text),
                })
                .collect()
        };
        let mut batch = Batch::default();
        let mut rows = 0u64;
        loop {
            // SAFETY: valid statement.
            let rc = unsafe { ffi::sqlite3_step(st.0) };
            if rc == ffi::SQLITE_DONE {
                break;
            }
            if rc != ffi::SQLITE_ROW {
                return Err(error(db));
            }
            row.clear();
            for i in 0..n {
                // SAFETY: the statement is on a row; `i` is a column.
                let class = unsafe { read_cell(st.0, i, &mut row) };
                if rows == 0 && kinds[i as usize].is_none() {
                    // No declared type (an expression): the first value's class decides, as the sqlx path did.
                    kinds[i as usize] = Some(match class {
                        Class::Int | Class::Real => Kind::Number,
                        Class::Blob => Kind::Binary,
                        _ => Kind::Text,
                    });
                }
            }
            if rows == 0 && tx.blocking_send(Msg::Columns(columns(&kinds))).is_err() {
                return Ok(affected);
            }
            rows += 1;
            batch.push(&row);
            if batch.rows.len() >= BATCH_ROWS && tx.blocking_send(Msg::Rows(std::mem::take(&mut batch))).is_err() {
                return Ok(affected);
            }
        }
        if rows == 0 && n > 0 {
            // Columns of an empty result come from the statement itself.
            if tx.blocking_send(Msg::Columns(columns(&kinds))).is_err() {
                return Ok(affected);
            }
        }
        if !batch.rows.is_empty() && tx.blocking_send(Msg::Rows(batch)).is_err() {
            return Ok(affected);
        }
        // SAFETY: valid handle.
        let after = unsafe { ffi::sqlite3_total_changes64(db.0) };
        if after != before {
            // Rows the statement itself changed (not its triggers'); nothing for a SELECT or DDL.
            // SAFETY: valid handle.
            affected += unsafe { ffi::sqlite3_changes64(db.0) } as u64;
        }
    }
    Ok(affected)
}
