//! The query session's SQLite statements through SQLite's C API on the session's own connection (sqlx lends its
//! handle while `lock_handle` is held): one value at a time through sqlx's worker channel cost several times what
//! SQLite itself does (3.9× the sqlite3 shell on a 1M-row SELECT). Same connection, so transactions, temporary
//! tables, attached databases, the busy timeout and the cancel (progress handler) all hold; the cells are the
//! ones the sqlx path rendered (the transfer's `read_cell`).
use std::ffi::{CStr, c_char, c_int};
use std::ptr;

use libsqlite3_sys as ffi;

use super::render::sqlite_kind;
use super::{Column, Flow, Kind, Outcome, QueryError, RowBuf, Sink};
use crate::core::transfer::convert::Class;
use crate::core::transfer::sqlite_raw::read_cell;

/// The connection handle, carried across the awaits of a run while sqlx's lock is held (no other thread uses it
/// then).
struct Db(*mut ffi::sqlite3);
// SAFETY: only this task touches the handle while the lock guard lives.
unsafe impl Send for Db {}

struct Stmt(*mut ffi::sqlite3_stmt);
// SAFETY: as `Db`: used by one task, finalized before the lock is released.
unsafe impl Send for Stmt {}
impl Drop for Stmt {
    fn drop(&mut self) {
        // SAFETY: prepared once, finalized once.
        unsafe { ffi::sqlite3_finalize(self.0) };
    }
}

fn error(db: &Db) -> QueryError {
    // SAFETY: valid handle; errmsg returns a valid C string.
    let (code, message) = unsafe {
        (ffi::sqlite3_extended_errcode(db.0), CStr::from_ptr(ffi::sqlite3_errmsg(db.0)).to_string_lossy().into_owned())
    };
    let mut e = QueryError::other(message);
    e.code = Some(code.to_string());
    e.cancelled = code == ffi::SQLITE_INTERRUPT;
    e
}

/// Prepares the first statement of `rest`: it (none for only whitespace or a comment) and the bytes it took.
fn prepare(db: &Db, rest: &[u8]) -> Result<(Option<Stmt>, usize), QueryError> {
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

/// Rows read between yields to the runtime (the grid redraws meanwhile).
const YIELD_EVERY: u64 = 4096;

/// Runs `sql` (one statement, or several as sqlite3_exec would) on `conn`, streaming rows into `sink`.
pub(super) async fn stream<S: Sink>(
    conn: &mut sqlx::SqliteConnection,
    sql: &str,
    sink: &mut S,
    out: &mut Outcome,
) -> Result<(), QueryError> {
    let mut guard = conn.lock_handle().await.map_err(|e| QueryError::from_sqlx(&e))?;
    let db = Db(guard.as_raw_handle().as_ptr());
    let bytes = sql.as_bytes();
    let mut at = 0usize;
    let mut buf = RowBuf::default();
    while at < bytes.len() {
        let (st, used) = prepare(&db, &bytes[at..])?;
        at += used.max(1);
        let Some(st) = st else {
            continue; // only whitespace or a comment
        };
        // SAFETY: valid statement and handle.
        let (n, before) = unsafe { (ffi::sqlite3_column_count(st.0), ffi::sqlite3_total_changes64(db.0)) };
        let mut kinds: Vec<Option<Kind>> = (0..n)
            .map(|i| {
                // SAFETY: valid statement, column in range; the text lives until the statement is finalized.
                let d = unsafe { ffi::sqlite3_column_decltype(st.0, i) };
                (!d.is_null()).then(|| sqlite_kind(&unsafe { CStr::from_ptr(d) }.to_string_lossy()))
            })
            .collect();
        let names: Vec<(String, String)> = (0..n)
            .map(|i| {
                // SAFETY: as above.
                let name = unsafe { ffi::sqlite3_column_name(st.0, i) };
                let decl = unsafe { ffi::sqlite3_column_decltype(st.0, i) };
                let text = |p: *const c_char| {
                    if p.is_null() {
                        String::new()
                    } else {
                        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
                    }
                };
                (text(name), text(decl))
            })
            .collect();
        let announce = |kinds: &[Option<Kind>], sink: &mut S| {
            let cols = names
                .iter()
                .zip(kinds)
                .map(|((name, decl), k)| Column {
                    name: name.clone(),
                    type_name: decl.clone(),
                    kind: k.unwrap_or(Kind::Text),
                })
                .collect();
            sink.columns(cols);
        };
        let mut rows = 0u64;
        loop {
            // SAFETY: valid statement.
            let rc = unsafe { ffi::sqlite3_step(st.0) };
            if rc == ffi::SQLITE_DONE {
                break;
            }
            if rc != ffi::SQLITE_ROW {
                return Err(error(&db));
            }
            buf.clear();
            for i in 0..n {
                // SAFETY: the statement is on a row; `i` is a column.
                let class = unsafe { read_cell(st.0, i, &mut buf) };
                if rows == 0 && kinds[i as usize].is_none() {
                    // No declared type (an expression): the first value's class decides, as the sqlx path did.
                    kinds[i as usize] = Some(match class {
                        Class::Int | Class::Real => Kind::Number,
                        Class::Blob => Kind::Binary,
                        _ => Kind::Text,
                    });
                }
            }
            if rows == 0 {
                announce(&kinds, sink);
                out.returned_rows = true;
            }
            rows += 1;
            out.rows += 1;
            if let Flow::Pause = sink.row(&buf)
                && !sink.more().await
            {
                out.stopped = true;
                return Ok(());
            }
            if rows.is_multiple_of(YIELD_EVERY) {
                tokio::task::yield_now().await;
            }
        }
        if rows == 0 && n > 0 {
            // Columns of an empty result come from the statement itself.
            announce(&kinds, sink);
            out.returned_rows = true;
        }
        // SAFETY: valid handle.
        let after = unsafe { ffi::sqlite3_total_changes64(db.0) };
        if after != before {
            // Rows the statement itself changed (not its triggers'); nothing for a SELECT or DDL.
            // SAFETY: valid handle.
            out.affected += unsafe { ffi::sqlite3_changes64(db.0) } as u64;
        }
    }
    drop(guard);
    Ok(())
}
