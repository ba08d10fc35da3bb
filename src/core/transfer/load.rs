//! Loading one table: the source is read in key order, in batches, on its own task (SQLite through its C API on a
//! blocking thread; PostgreSQL and MySQL through a query session), while the target writes the previous batch:
//! PostgreSQL through COPY FROM STDIN, MySQL through multi-row INSERTs, SQLite through prepared INSERTs, one
//! transaction per batch. Each batch is recorded as pending in the state store before it is committed and as
//! done after, so a run killed at any moment resumes with every row exactly once.
use std::borrow::Cow;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::convert::{Class, convert};
use super::plan::{OnError, Plan, TablePlan};
use super::{Event, TransferError};
use crate::core::catalog::quote;
use crate::core::engine::DbPool;
use crate::core::profile::Engine;
use crate::core::query::{Column, Flow, RowBuf, Rows, Session, Sink};
use crate::core::store::Store;

use super::key::on_target;
pub(crate) use super::key::{KeyValue, is_hex_bytes, key_of, parse_key, typed_key_of};
use super::target::{Payload, TargetConn, bytes_columns, write};

/// Where rows are read from.
#[derive(Clone)]
pub enum Source {
    /// A SQLite file, read through SQLite's C API.
    Sqlite(PathBuf),
    Pool(DbPool),
}

pub struct Batch {
    pub rows: Rows,
    pub classes: Vec<Class>,
}

impl Batch {
    pub(crate) fn new(width: usize) -> Batch {
        Batch { rows: Rows::new(width), classes: Vec::new() }
    }
    pub(crate) fn push(&mut self, row: &RowBuf, classes: &[Class]) {
        self.rows.push(row);
        self.classes.extend_from_slice(classes);
    }
    pub(crate) fn class(&self, r: usize, c: usize) -> Class {
        self.classes.get(r * self.rows.width() + c).copied().unwrap_or(Class::Text)
    }
}

/// The reject file, opened (append) at the first refused row.
pub struct Rejects {
    pub path: PathBuf,
    pub file: Option<std::fs::File>,
}

impl Rejects {
    pub(crate) fn write(&mut self, lines: &[String]) -> Result<(), String> {
        let e = |e: std::io::Error| format!("reject file {}: {e}", self.path.display());
        if self.file.is_none() {
            // Owner-only: refused rows are the database's data.
            let mut o = std::fs::OpenOptions::new();
            std::os::unix::fs::OpenOptionsExt::mode(o.create(true).append(true), 0o600);
            self.file = Some(o.open(&self.path).map_err(e)?);
        }
        if let Some(f) = self.file.as_mut() {
            for l in lines {
                writeln!(f, "{l}").map_err(|err| format!("reject file {}: {err}", self.path.display()))?;
            }
        }
        Ok(())
    }
}

pub struct Ctx {
    pub plan: Plan,
    pub source: Source,
    pub target: DbPool,
    pub store: Store,
    pub run: String,
    pub rejects: Arc<Mutex<Rejects>>,
    pub on_event: Arc<dyn Fn(Event) + Send + Sync>,
}

/// The SELECT that reads a table in key order, after `after` when resuming.
pub fn source_sql(plan: &Plan, t: &TablePlan, after: Option<&[KeyValue]>) -> String {
    let e = plan.source_engine;
    let cols: Vec<String> = t.columns.iter().map(|c| quote::ident(e, &c.source)).collect();
    let mut sql = format!("SELECT {} FROM {}", cols.join(", "), quote::qualified(e, &t.source_schema, &t.source));
    let mut conds = Vec::new();
    if !t.filter.trim().is_empty() {
        conds.push(format!("({})", t.filter));
    }
    if let Some(k) = after {
        let keys: Vec<String> = t.key.iter().map(|c| quote::ident(e, c)).collect();
        let mut vals: Vec<String> = k.iter().map(|v| v.literal(e)).collect();
        if e == Engine::Duckdb {
            // Every DuckDB value arrives as text: a row of literals must be cast to the key's own types to compare
            // with the key (DuckDB casts a lone literal itself, a row of them not).
            for (v, name) in vals.iter_mut().zip(&t.key) {
                if let Some(ty) = t.columns.iter().find(|c| &c.source == name).map(|c| c.source_type.as_str())
                    && plain_type(ty)
                    && *v != "NULL"
                {
                    *v = format!("CAST({v} AS {ty})");
                }
            }
        }
        conds.push(format!("({}) > ({})", keys.join(", "), vals.join(", ")));
    }
    if !conds.is_empty() {
        sql.push_str(&format!(" WHERE {}", conds.join(" AND ")));
    }
    if !t.key.is_empty() {
        let keys: Vec<String> = t.key.iter().map(|c| quote::ident(e, c)).collect();
        sql.push_str(&format!(" ORDER BY {}", keys.join(", ")));
    }
    sql
}

/// A type name that can be written into SQL as it is: `INTEGER`, `DECIMAL(18,4)`, `TIMESTAMP WITH TIME ZONE`.
fn plain_type(t: &str) -> bool {
    let (name, params) = t.split_once('(').unwrap_or((t, ""));
    !name.trim().is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'_')
        && params.bytes().all(|b| b.is_ascii_digit() || matches!(b, b',' | b' ' | b')'))
}

/// Rows read through a session, sent on in batches of `size` (the channel's receiver writes them).
pub(crate) struct SessionSink {
    batch: Batch,
    /// Columns the session shows as hex (binary): their values are bytes.
    binary: Vec<bool>,
    width: usize,
    size: usize,
    tx: mpsc::Sender<Batch>,
}

/// Which of a result's columns the session shows as hex (binary): their values are bytes.
pub(crate) fn binary_columns(columns: &[Column]) -> Vec<bool> {
    columns.iter().map(|c| c.kind == crate::core::query::Kind::Binary).collect()
}

/// The storage class of each cell of a row read through a session.
pub(crate) fn classes_of(row: &RowBuf, binary: &[bool]) -> Vec<Class> {
    (0..row.len())
        .map(|i| match row.get(i) {
            None => Class::Null,
            Some(_) if binary.get(i) == Some(&true) => Class::Blob,
            Some(_) => Class::Text,
        })
        .collect()
}

/// The target's column list of a table: the plan's columns, then the extra ones, quoted for `dst`.
pub(crate) fn target_columns(t: &TablePlan, dst: Engine) -> Vec<String> {
    t.columns
        .iter()
        .map(|c| quote::ident(dst, &c.target))
        .chain(t.extra_columns.iter().map(|x| quote::ident(dst, &x.name)))
        .collect()
}

impl SessionSink {
    pub(crate) fn new(width: usize, size: usize, tx: mpsc::Sender<Batch>) -> SessionSink {
        SessionSink { batch: Batch::new(width), binary: Vec::new(), width, size, tx }
    }

    /// Sends what is left after the statement ended.
    pub(crate) async fn flush(&mut self) {
        if !self.batch.rows.is_empty() {
            let rest = std::mem::replace(&mut self.batch, Batch::new(self.width));
            let _ = self.tx.send(rest).await;
        }
    }
}

impl Sink for SessionSink {
    fn columns(&mut self, columns: Vec<Column>) {
        self.width = columns.len();
        self.binary = binary_columns(&columns);
        self.batch = Batch::new(self.width);
    }
    fn row(&mut self, row: &RowBuf) -> Flow {
        let classes = classes_of(row, &self.binary);
        self.batch.push(row, &classes);
        if self.batch.rows.len() >= self.size { Flow::Pause } else { Flow::Continue }
    }
    async fn more(&mut self) -> bool {
        let full = std::mem::replace(&mut self.batch, Batch::new(self.width));
        self.tx.send(full).await.is_ok()
    }
}

/// Reads the table's rows (after `after`, in key order) into batches on the channel.
pub(crate) fn spawn_reader(
    source: Source,
    sql: String,
    width: usize,
    size: usize,
) -> (mpsc::Receiver<Batch>, tokio::task::JoinHandle<Result<(), String>>) {
    let (tx, rx) = mpsc::channel::<Batch>(2);
    let handle = match source {
        Source::Sqlite(path) => tokio::task::spawn_blocking(move || {
            let db = super::sqlite_raw::RawDb::open_read_only(&path)?;
            sqlite_batches(&db, &sql, width, size, |b| tx.blocking_send(b).is_ok()).map(|_| ())
        }),
        Source::Pool(pool) => tokio::spawn(async move {
            let mut s = Session::open(&pool.for_bulk_read()).await.map_err(|e| e.to_string())?;
            let mut sink = SessionSink::new(width, size, tx.clone());
            let r = s.run(&sql, &mut sink).await.map_err(|e| e.to_string());
            if r.is_ok() {
                sink.flush().await;
            }
            s.close().await;
            r.map(|_| ())
        }),
    };
    (rx, handle)
}

/// Reads `sql` through SQLite's C API in batches of `size` rows, each handed to `send` (false: the receiver is
/// gone, stop). Returns whether every batch was taken.
pub(crate) fn sqlite_batches(
    db: &super::sqlite_raw::RawDb,
    sql: &str,
    width: usize,
    size: usize,
    mut send: impl FnMut(Batch) -> bool,
) -> Result<bool, String> {
    let mut batch = Batch::new(width);
    let mut open = true;
    db.each(sql, &[], |row, classes| {
        batch.push(row, classes);
        if batch.rows.len() >= size {
            open = send(std::mem::replace(&mut batch, Batch::new(width)));
        }
        open
    })?;
    Ok(open && (batch.rows.is_empty() || send(batch)))
}

/// PostgreSQL COPY text format: backslash, tab, newline and carriage return escaped; NULL is `\N`.
fn copy_escape(out: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

/// A row converted for the target, or the column and reason it is refused.
pub(crate) fn convert_row<'a>(
    t: &'a TablePlan,
    dst: Engine,
    batch: &'a Batch,
    r: usize,
) -> Result<Vec<Option<Cow<'a, str>>>, (usize, String)> {
    let mut out = Vec::with_capacity(t.columns.len() + t.extra_columns.len());
    for (c, col) in t.columns.iter().enumerate() {
        let class = batch.class(r, c);
        let v = batch.rows.get(r, c).unwrap_or("");
        let class = if batch.rows.get(r, c).is_none() { Class::Null } else { class };
        match convert(col.cast, class, v, dst) {
            Ok(x) => {
                if x.is_none() && !col.nullable {
                    return Err((c, "NULL in a NOT NULL column".into()));
                }
                out.push(x)
            }
            Err(e) => return Err((c, e)),
        }
    }
    for x in &t.extra_columns {
        out.push(Some(Cow::Borrowed(x.value.as_str())));
    }
    Ok(out)
}

pub(crate) struct Prepared {
    pub(crate) payload: Payload,
    pub(crate) written: usize,
    pub(crate) rejects: Vec<String>,
    /// Key (source values) of the last row written, and of the last row read.
    last_written: Option<Vec<KeyValue>>,
    last_read: Option<Vec<KeyValue>>,
}

pub(crate) fn prepare(plan: &Plan, t: &TablePlan, batch: &Batch) -> Result<Prepared, String> {
    let dst = plan.target_engine;
    let n = batch.rows.len();
    let mut rejects = Vec::new();
    let mut written = 0;
    let mut last_written = None;
    let cols = target_columns(t, dst);
    let bytes_kind = bytes_columns(t);
    let mut copy = Vec::with_capacity(batch.rows.bytes() + n * 16);
    let mut inserts: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut rows: Vec<Vec<Option<String>>> = Vec::new();
    let head = format!("INSERT INTO {} ({}) VALUES ", super::ddl::table_name(plan, t), cols.join(", "));
    for r in 0..n {
        let values = match convert_row(t, dst, batch, r) {
            Ok(v) => v,
            Err((c, reason)) => {
                let rec = serde_json::json!({
                    "table": t.source,
                    "key": key_of(t, batch, r),
                    "column": t.columns.get(c).map(|x| x.source.clone()),
                    "reason": reason,
                    "value": batch.rows.get(r, c),
                });
                rejects.push(rec.to_string());
                if plan.on_error == OnError::Stop {
                    return Err(format!(
                        "{}: row {:?}: column {}: {reason}",
                        t.source,
                        key_of(t, batch, r),
                        t.columns.get(c).map_or("", |x| x.source.as_str())
                    ));
                }
                continue;
            }
        };
        written += 1;
        last_written = Some(r);
        match dst {
            Engine::Postgres | Engine::Duckdb => {
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        copy.push(b'\t');
                    }
                    match v {
                        None => copy.extend_from_slice(b"\\N"),
                        Some(s) => copy_escape(&mut copy, s),
                    }
                }
                copy.push(b'\n');
            }
            Engine::Mysql => {
                if current.is_empty() {
                    current.push_str(&head);
                } else {
                    current.push(',');
                }
                current.push('(');
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        current.push(',');
                    }
                    match v {
                        None => current.push_str("NULL"),
                        Some(s) if bytes_kind[i] && is_hex_bytes(s) => {
                            current.push_str("X'");
                            current.push_str(&s[2..]);
                            current.push('\'');
                        }
                        Some(s) => current.push_str(&quote::literal(Engine::Mysql, s)),
                    }
                }
                current.push(')');
                if current.len() > 4 << 20 {
                    inserts.push(std::mem::take(&mut current));
                }
            }
            Engine::Sqlite => rows.push(values.into_iter().map(|v| v.map(Cow::into_owned)).collect()),
        }
    }
    if !current.is_empty() {
        inserts.push(current);
    }
    let payload = match dst {
        Engine::Postgres | Engine::Duckdb => Payload::Copy(copy),
        Engine::Mysql => Payload::Inserts(inserts),
        Engine::Sqlite => Payload::Rows(rows),
    };
    Ok(Prepared {
        payload,
        written,
        rejects,
        last_written: last_written.map(|r| typed_key_of(t, batch, r)),
        last_read: if n > 0 { Some(typed_key_of(t, batch, n - 1)) } else { None },
    })
}

/// Whether a stopped load can resume after the last key it committed: not when the key holds a NULL (a comparison
/// with NULL selects nothing, so the rows after it would be skipped), nor when it is a single-precision float on a
/// server (its text does not compare equal to itself there, so the last row would be read twice). Such tables load
/// in one transaction, as tables without a key do.
async fn resumable_key(ctx: &Ctx, t: &TablePlan) -> Result<bool, String> {
    let plan = &ctx.plan;
    let float = |c: &&super::plan::ColumnPlan| {
        let ty = c.source_type.to_ascii_lowercase();
        plan.source_engine != Engine::Sqlite && (ty.starts_with("float") || ty == "real" || ty.starts_with("double"))
    };
    if t.columns.iter().filter(|c| t.key.contains(&c.source)).any(|c| float(&c)) {
        return Ok(false);
    }
    let e = plan.source_engine;
    let nulls: Vec<String> = t.key.iter().map(|k| format!("{} IS NULL", quote::ident(e, k))).collect();
    let sql = format!(
        "SELECT count(*) FROM (SELECT 1 AS one FROM {} WHERE {} LIMIT 1) AS x",
        quote::qualified(e, &t.source_schema, &t.source),
        nulls.join(" OR ")
    );
    let found = match &ctx.source {
        Source::Sqlite(path) => {
            let path = path.clone();
            tokio::task::spawn_blocking(move || {
                let db = super::sqlite_raw::RawDb::open_read_only(&path)?;
                let mut any = false;
                db.each(&sql, &[], |row, _| {
                    any = row.get(0).is_some_and(|v| v != "0");
                    false
                })?;
                Ok::<_, String>(any)
            })
            .await
            .map_err(|e| e.to_string())??
        }
        Source::Pool(pool) => super::scalar(pool, &sql).await? > 0,
    };
    Ok(!found)
}

/// A table without a key cannot be resumed part-way (no row can be told from another), and deleting what a
/// stopped load wrote would also delete rows that were there before (`existing = "append"`). So it loads in one
/// transaction: a stopped load leaves nothing. The rows the target should hold after the commit are recorded as
/// pending first, so a run killed between the commit and the checkpoint knows, on resume, that it landed.
async fn load_keyless(
    ctx: &Ctx,
    t: &TablePlan,
    cp: crate::core::store::Checkpoint,
) -> Result<(u64, u64), TransferError> {
    let plan = &ctx.plan;
    let err = |m: String| TransferError::Load { table: t.source.clone(), message: m };
    let store_err =
        |e: crate::core::store::StoreError| TransferError::Load { table: t.source.clone(), message: e.to_string() };
    let count_sql = format!("SELECT count(*) FROM {}", super::ddl::table_name(plan, t));
    if let Some((probe, _, rows, rejected)) = &cp.pending {
        let expected = serde_json::from_str::<serde_json::Value>(probe).ok().and_then(|v| v["rows_on_target"].as_i64());
        let now = super::scalar(&ctx.target, &count_sql).await.map_err(err)?;
        if expected == Some(now) {
            ctx.store.checkpoint_commit(&ctx.run, &t.source, None, *rows, *rejected, true).await.map_err(store_err)?;
            return Ok((*rows as u64, *rejected as u64));
        }
    }
    // Whatever an earlier attempt did was rolled back with its transaction.
    ctx.store.checkpoint_reset(&ctx.run, &t.source).await.map_err(store_err)?;
    ctx.store.checkpoint_commit(&ctx.run, &t.source, None, 0, 0, false).await.map_err(store_err)?;
    let before = super::scalar(&ctx.target, &count_sql).await.map_err(err)?;
    let (mut rx, reader) =
        spawn_reader(ctx.source.clone(), source_sql(plan, t, None), t.columns.len(), plan.batch_rows.max(1));
    let mut conn = TargetConn::begin(&ctx.target, &t.target).await.map_err(err)?;
    let (mut written, mut rejects) = (0u64, Vec::new());
    while let Some(batch) = rx.recv().await {
        let (read, bytes) = (batch.rows.len() as u64, batch.rows.bytes() as u64);
        let (plan2, t2) = (plan.clone(), t.clone());
        let prepared = match tokio::task::spawn_blocking(move || prepare(&plan2, &t2, &batch)).await {
            Ok(Ok(p)) => p,
            Ok(Err(m)) => return Err(err(conn.abort(m).await)),
            Err(j) => return Err(err(conn.abort(j.to_string()).await)),
        };
        if let Err(m) = conn.write(plan, t, prepared.payload).await {
            return Err(err(conn.abort(m).await));
        }
        written += prepared.written as u64;
        rejects.extend(prepared.rejects);
        (ctx.on_event)(Event::Progress {
            table: t.source.clone(),
            rows: written,
            total: t.rows.max(0) as u64,
            bytes,
            read,
        });
    }
    let read_result = match reader.await {
        Ok(r) => r,
        Err(j) => Err(j.to_string()),
    };
    if let Err(m) = read_result {
        return Err(err(conn.abort(format!("reading the source: {m}")).await));
    }
    let rejected = rejects.len() as i64;
    let probe = serde_json::json!({ "rows_on_target": before + written as i64 }).to_string();
    ctx.store.checkpoint_pending(&ctx.run, &t.source, &probe, "", written as i64, rejected).await.map_err(store_err)?;
    conn.end(Ok(())).await.map_err(err)?;
    if !rejects.is_empty() {
        ctx.rejects.lock().map_err(|e| err(e.to_string()))?.write(&rejects).map_err(err)?;
    }
    ctx.store.checkpoint_commit(&ctx.run, &t.source, None, written as i64, rejected, true).await.map_err(store_err)?;
    Ok((written, rejected as u64))
}

/// Deletes what a table's earlier, unfinished load left (this source's rows: its extra-column values).
pub async fn clear_table(plan: &Plan, t: &TablePlan, target: &DbPool) -> Result<(), String> {
    let dst = plan.target_engine;
    let conds: Vec<String> = t
        .extra_columns
        .iter()
        .filter(|x| x.in_key)
        .map(|x| format!("{} = {}", quote::ident(dst, &x.name), quote::literal(dst, &x.value)))
        .collect();
    let mut sql = format!("DELETE FROM {}", super::ddl::table_name(plan, t));
    if !conds.is_empty() {
        sql.push_str(&format!(" WHERE {}", conds.join(" AND ")));
    }
    super::exec(target, &sql).await
}

/// Loads one table from its checkpoint on; returns (rows written, rows rejected) by this call.
pub async fn load_table(ctx: &Ctx, t: &TablePlan) -> Result<(u64, u64), TransferError> {
    let plan = &ctx.plan;
    let err = |m: String| TransferError::Load { table: t.source.clone(), message: m };
    let mut cp = ctx.store.checkpoint(&ctx.run, &t.source).await.map_err(|e| err(e.to_string()))?;
    if cp.done {
        return Ok((0, 0));
    }
    if t.key.is_empty() || !resumable_key(ctx, t).await.map_err(err)? {
        return load_keyless(ctx, t, cp).await;
    }
    // A batch recorded as pending either landed (its last written row is on the target) or did not.
    if let Some((probe, key, rows, rejected)) = cp.pending.clone() {
        let probe = parse_key(&probe).unwrap_or_default();
        let landed = on_target(plan, t, &ctx.target, &probe).await.map_err(err)?;
        let key_value = if landed { Some(key.as_str()) } else { None };
        let (r, j) = if landed { (rows, rejected) } else { (0, 0) };
        ctx.store
            .checkpoint_commit(&ctx.run, &t.source, key_value, r, j, false)
            .await
            .map_err(|e| err(e.to_string()))?;
        cp = ctx.store.checkpoint(&ctx.run, &t.source).await.map_err(|e| err(e.to_string()))?;
    }
    let after: Option<Vec<KeyValue>> = cp.last_key.as_deref().and_then(parse_key);
    let sql = source_sql(plan, t, after.as_deref());
    let (mut rx, reader) = spawn_reader(ctx.source.clone(), sql, t.columns.len(), plan.batch_rows.max(1));
    let (mut total, mut total_rejected) = (0u64, 0u64);
    let mut done_before = cp.rows_done as u64;
    // Pipelined: the next batch is converted while the previous one is written; one write in flight, so the
    // state store holds at most one pending batch per table.
    struct InFlight {
        handle: tokio::task::JoinHandle<Result<(), String>>,
        last_read: Option<String>,
        written: u64,
        rejected: i64,
        rejects: Vec<String>,
        bytes: u64,
        read: u64,
    }
    let finish = |f: InFlight| async move {
        f.handle.await.map_err(|e| e.to_string())??;
        ctx.store
            .checkpoint_commit(&ctx.run, &t.source, f.last_read.as_deref(), f.written as i64, f.rejected, false)
            .await
            .map_err(|e| e.to_string())?;
        if !f.rejects.is_empty() {
            ctx.rejects.lock().map_err(|e| e.to_string())?.write(&f.rejects)?;
        }
        Ok::<_, String>((f.written, f.rejected as u64, f.bytes, f.read))
    };
    let mut inflight: Option<InFlight> = None;
    let mut report = |written: u64, rejected: u64, bytes: u64, read: u64, total: &mut u64, total_rejected: &mut u64| {
        *total += written;
        *total_rejected += rejected;
        done_before += written;
        (ctx.on_event)(Event::Progress {
            table: t.source.clone(),
            rows: done_before,
            total: t.rows.max(0) as u64,
            bytes,
            read,
        });
    };
    while let Some(batch) = rx.recv().await {
        let read = batch.rows.len() as u64;
        let bytes = batch.rows.bytes() as u64;
        let plan2 = plan.clone();
        let t2 = t.clone();
        let prepared = tokio::task::spawn_blocking(move || prepare(&plan2, &t2, &batch))
            .await
            .map_err(|e| err(e.to_string()))?
            .map_err(err)?;
        if let Some(f) = inflight.take() {
            let (w, j, b, r) = finish(f).await.map_err(err)?;
            report(w, j, b, r, &mut total, &mut total_rejected);
        }
        let last_read = prepared.last_read.clone().map(|k| serde_json::to_string(&k).unwrap_or_default());
        let rejected = prepared.rejects.len() as i64;
        if let (Some(probe), Some(key)) = (&prepared.last_written, &last_read)
            && !t.key.is_empty()
        {
            let probe = serde_json::to_string(probe).unwrap_or_default();
            ctx.store
                .checkpoint_pending(&ctx.run, &t.source, &probe, key, prepared.written as i64, rejected)
                .await
                .map_err(|e| err(e.to_string()))?;
        }
        let (plan3, t3, target) = (plan.clone(), t.clone(), ctx.target.clone());
        let payload = prepared.payload;
        inflight = Some(InFlight {
            handle: tokio::spawn(async move { write(&plan3, &t3, &target, payload).await }),
            last_read,
            written: prepared.written as u64,
            rejected,
            rejects: prepared.rejects,
            bytes,
            read,
        });
    }
    if let Some(f) = inflight.take() {
        let (w, j, b, r) = finish(f).await.map_err(err)?;
        report(w, j, b, r, &mut total, &mut total_rejected);
    }
    match reader.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(err(format!("reading the source: {e}"))),
        Err(e) => return Err(err(format!("reading the source: {e}"))),
    }
    ctx.store.checkpoint_commit(&ctx.run, &t.source, None, 0, 0, true).await.map_err(|e| err(e.to_string()))?;
    Ok((total, total_rejected))
}
