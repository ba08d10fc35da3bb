//! Reading a SQLite database straight through SQLite's C API (the bundled library sqlx links), on the calling
//! thread: a transfer reads millions of rows, and one value at a time through sqlx's worker channel costs several
//! times what SQLite itself does. Read-only; values come with their storage class.
use std::ffi::{CStr, CString, c_int};
use std::ptr;

use libsqlite3_sys as ffi;

use super::convert::Class;
use crate::core::query::RowBuf;

pub struct RawDb(*mut ffi::sqlite3);

// SAFETY: the handle is used by one thread at a time (the owner); SQLite is built thread-safe.
unsafe impl Send for RawDb {}

impl Drop for RawDb {
    fn drop(&mut self) {
        // SAFETY: opened by `open`, closed once.
        unsafe { ffi::sqlite3_close(self.0) };
    }
}

fn errmsg(db: *mut ffi::sqlite3) -> String {
    // SAFETY: sqlite3_errmsg returns a valid C string for a valid handle.
    unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db)).to_string_lossy().into_owned() }
}

impl RawDb {
    pub fn open_read_only(path: &std::path::Path) -> Result<RawDb, String> {
        let c = CString::new(path.to_string_lossy().as_bytes()).map_err(|e| e.to_string())?;
        let mut db = ptr::null_mut();
        // SAFETY: valid C string and out pointer.
        let rc = unsafe { ffi::sqlite3_open_v2(c.as_ptr(), &mut db, ffi::SQLITE_OPEN_READONLY, ptr::null()) };
        if rc != ffi::SQLITE_OK {
            let m = if db.is_null() { format!("cannot open (code {rc})") } else { errmsg(db) };
            // SAFETY: a handle is returned even on failure and must be closed.
            unsafe { ffi::sqlite3_close(db) };
            return Err(format!("{}: {m}", path.display()));
        }
        // A double-quoted name that is no column must be an error, not SQLite's legacy fallback to a string
        // literal (a misspelt column in a plan would otherwise read as that text in every row).
        // SAFETY: valid handle; the option takes an int and a nullable int pointer.
        unsafe {
            ffi::sqlite3_db_config(
                db,
                ffi::SQLITE_DBCONFIG_DQS_DML,
                0 as std::ffi::c_int,
                ptr::null_mut::<std::ffi::c_int>(),
            )
        };
        Ok(RawDb(db))
    }

    /// Runs `sql` with text `binds`; calls `f` for each row with its cells (blobs as `\x` hex) and their classes.
    /// `f` returns false to stop.
    pub fn each(
        &self,
        sql: &str,
        binds: &[Option<String>],
        mut f: impl FnMut(&RowBuf, &[Class]) -> bool,
    ) -> Result<u64, String> {
        let c = CString::new(sql).map_err(|e| e.to_string())?;
        let mut st = ptr::null_mut();
        // SAFETY: valid handle, C string and out pointer.
        let rc = unsafe { ffi::sqlite3_prepare_v2(self.0, c.as_ptr(), -1, &mut st, ptr::null_mut()) };
        if rc != ffi::SQLITE_OK {
            return Err(errmsg(self.0));
        }
        struct Finalize(*mut ffi::sqlite3_stmt);
        impl Drop for Finalize {
            fn drop(&mut self) {
                // SAFETY: prepared above, finalized once.
                unsafe { ffi::sqlite3_finalize(self.0) };
            }
        }
        let _guard = Finalize(st);
        let bound: Vec<Option<CString>> =
            binds.iter().map(|b| b.as_ref().and_then(|s| CString::new(s.as_bytes()).ok())).collect();
        for (i, b) in bound.iter().enumerate() {
            // SAFETY: the strings outlive the statement's execution (SQLITE_STATIC is fine: `bound` lives on).
            unsafe {
                match b {
                    Some(s) => ffi::sqlite3_bind_text(st, (i + 1) as c_int, s.as_ptr(), -1, None),
                    None => ffi::sqlite3_bind_null(st, (i + 1) as c_int),
                };
            }
        }
        // SAFETY: valid statement.
        let n = unsafe { ffi::sqlite3_column_count(st) } as usize;
        let mut row = RowBuf::default();
        let mut classes = Vec::with_capacity(n);
        let mut count = 0u64;
        loop {
            // SAFETY: valid statement.
            let rc = unsafe { ffi::sqlite3_step(st) };
            if rc == ffi::SQLITE_DONE {
                break;
            }
            if rc != ffi::SQLITE_ROW {
                return Err(errmsg(self.0));
            }
            row.clear();
            classes.clear();
            for i in 0..n as c_int {
                // SAFETY: the statement has a row and `i` is a column of it.
                classes.push(unsafe { read_cell(st, i, &mut row) });
            }
            count += 1;
            if !f(&row, &classes) {
                break;
            }
        }
        Ok(count)
    }
}

/// Appends column `i` of the current row of `st` to `row` (integers and reals as text that reads back the same,
/// text as it is or as hex when it is not UTF-8, blobs as `\x` hex, NULL) and says its storage class.
///
/// # Safety
/// `st` is a valid statement positioned on a row (the last `sqlite3_step` returned `SQLITE_ROW`) and `i` is one
/// of its columns.
pub(crate) unsafe fn read_cell(st: *mut ffi::sqlite3_stmt, i: c_int, row: &mut RowBuf) -> Class {
    // SAFETY: as the caller promises.
    unsafe {
        match ffi::sqlite3_column_type(st, i) {
            ffi::SQLITE_INTEGER => {
                use std::fmt::Write;
                let _ = write!(row.cell_text(), "{}", ffi::sqlite3_column_int64(st, i));
                row.end_cell();
                Class::Int
            }
            ffi::SQLITE_FLOAT => {
                crate::core::query::render::format_real(row.cell_text(), ffi::sqlite3_column_double(st, i));
                row.end_cell();
                Class::Real
            }
            ffi::SQLITE_TEXT => {
                let p = ffi::sqlite3_column_text(st, i);
                let len = ffi::sqlite3_column_bytes(st, i) as usize;
                let bytes = if p.is_null() { &[][..] } else { std::slice::from_raw_parts(p, len) };
                match std::str::from_utf8(bytes) {
                    Ok(s) => {
                        row.push_str(s);
                        Class::Text
                    }
                    Err(_) => {
                        // Not UTF-8: carried as hex; a text target refuses it (reject file).
                        crate::core::query::render::hex_into(row.cell_text(), bytes);
                        row.end_cell();
                        Class::BadText
                    }
                }
            }
            ffi::SQLITE_BLOB => {
                let p = ffi::sqlite3_column_blob(st, i) as *const u8;
                let len = ffi::sqlite3_column_bytes(st, i) as usize;
                let bytes = if p.is_null() { &[][..] } else { std::slice::from_raw_parts(p, len) };
                crate::core::query::render::hex_into(row.cell_text(), bytes);
                row.end_cell();
                Class::Blob
            }
            _ => {
                row.push_null();
                Class::Null
            }
        }
    }
}
