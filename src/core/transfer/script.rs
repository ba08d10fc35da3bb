//! A transfer written as a SQL script instead of run against a live target (`transfer run --to-file`), and the
//! same in the source's own dialect as a dump (`dbconsole dump`): the DDL the live run would execute, the data
//! (COPY blocks for PostgreSQL, multi-row INSERTs for MySQL and SQLite), then the post-load steps (indexes,
//! checks, keys, identity positions, views, triggers), restorable with psql, mariadb and sqlite3.
//!
//! Everything is re-emitted: statements from the plan's DDL builders, values through the transfer's casts and the
//! target's literal rules (never text copied from the source). The source is read in one consistent snapshot
//! (PostgreSQL REPEATABLE READ, MySQL CONSISTENT SNAPSHOT, SQLite one read transaction). The file is written
//! owner-only beside its final name and renamed when complete, so a failed dump never looks like a finished one.
use std::io::Write;
use std::path::{Path, PathBuf};

use super::load::{Batch, Rejects, SessionSink, Source, prepare, source_sql, target_columns};
use super::plan::{Mode, Plan, TablePlan};
use super::target::{Payload, bytes_columns};
use super::{TransferError, ddl};
use crate::core::catalog::quote;
use crate::core::profile::Engine;
use crate::core::query::{Column, Flow, RowBuf, Session, Sink};

/// What a script holds.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ScriptReport {
    /// Per table: rows written, rows refused (in the reject file).
    pub tables: Vec<(String, u64, u64)>,
    /// Statements outside the data (DDL and post-load steps).
    pub statements: usize,
    pub rejects: String,
}

const ROWS_PER_INSERT: usize = 500;

/// The script being written: output, counts and the reject file.
struct Out {
    w: std::io::BufWriter<std::fs::File>,
    plan: Plan,
    rejects: Rejects,
    report: ScriptReport,
}

fn io(e: std::io::Error) -> String {
    format!("writing the script: {e}")
}

impl Out {
    fn statement(&mut self, sql: &str) -> Result<(), String> {
        self.report.statements += 1;
        writeln!(self.w, "{sql};").map_err(io)
    }

    fn begin_table(&mut self, t: &TablePlan) -> Result<(), String> {
        writeln!(self.w, "\n-- data: {}", t.target.replace(['\n', '\r'], " ")).map_err(io)?;
        if self.plan.target_engine == Engine::Postgres {
            let cols = target_columns(t, Engine::Postgres);
            writeln!(self.w, "COPY {} ({}) FROM stdin;", ddl::table_name(&self.plan, t), cols.join(", "))
                .map_err(io)?;
        }
        self.report.tables.push((t.target.clone(), 0, 0));
        Ok(())
    }

    fn end_table(&mut self) -> Result<(), String> {
        if self.plan.target_engine == Engine::Postgres {
            writeln!(self.w, "\\.").map_err(io)?;
        }
        Ok(())
    }

    fn batch(&mut self, t: &TablePlan, batch: &Batch) -> Result<(), String> {
        let p = prepare(&self.plan, t, batch)?;
        if !p.rejects.is_empty() {
            self.rejects.write(&p.rejects)?;
        }
        if let Some(last) = self.report.tables.last_mut() {
            last.1 += p.written as u64;
            last.2 += p.rejects.len() as u64;
        }
        match p.payload {
            Payload::Copy(bytes) => self.w.write_all(&bytes).map_err(io),
            Payload::Inserts(inserts) => {
                for i in inserts {
                    writeln!(self.w, "{i};").map_err(io)?;
                }
                Ok(())
            }
            Payload::Rows(rows) => self.sqlite_inserts(t, rows),
        }
    }

    /// SQLite: multi-row INSERTs; bytes as X'…', text holding NUL as a cast blob (the shell reads a script as C
    /// text, so a NUL byte cannot appear in it).
    fn sqlite_inserts(&mut self, t: &TablePlan, rows: Vec<Vec<Option<String>>>) -> Result<(), String> {
        let d = Engine::Sqlite;
        let bytes = bytes_columns(t);
        let cols = target_columns(t, d);
        let head = format!("INSERT INTO {} ({}) VALUES\n", ddl::table_name(&self.plan, t), cols.join(", "));
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let mut s = head.clone();
            for (r, row) in chunk.iter().enumerate() {
                s.push_str(if r == 0 { "(" } else { ",\n(" });
                for (i, v) in row.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    match v {
                        None => s.push_str("NULL"),
                        Some(v) if bytes.get(i) == Some(&true) => {
                            let hex = match v.strip_prefix("\\x") {
                                Some(h) if super::load::is_hex_bytes(v) => h.to_string(),
                                _ => v.bytes().map(|b| format!("{b:02x}")).collect(),
                            };
                            s.push_str(&format!("X'{hex}'"));
                        }
                        Some(v) if v.contains('\0') => {
                            let hex: String = v.bytes().map(|b| format!("{b:02x}")).collect();
                            s.push_str(&format!("CAST(X'{hex}' AS TEXT)"));
                        }
                        Some(v) => s.push_str(&quote::literal(d, v)),
                    }
                }
                s.push(')');
            }
            writeln!(self.w, "{s};").map_err(io)?;
        }
        Ok(())
    }
}

/// The file the script is written to until it is complete.
fn partial(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".partial");
    PathBuf::from(p)
}

/// Writes the plan's transfer as a script in the plan's target dialect to `path`.
pub async fn write_script(plan: &Plan, source: Source, path: &Path) -> Result<ScriptReport, TransferError> {
    let fail = TransferError::Target;
    let tmp = partial(path);
    let file = {
        let mut o = std::fs::OpenOptions::new();
        std::os::unix::fs::OpenOptionsExt::mode(o.write(true).create(true).truncate(true), 0o600);
        o.open(&tmp).map_err(|e| fail(format!("{}: {e}", tmp.display())))?
    };
    let rejects = Rejects { path: PathBuf::from(&plan.rejects), file: None };
    let mut out = Out {
        w: std::io::BufWriter::with_capacity(1 << 20, file),
        plan: plan.clone(),
        rejects,
        report: ScriptReport { rejects: plan.rejects.clone(), ..Default::default() },
    };
    let r = write_all(&mut out, source).await;
    let r = r.and_then(|()| out.w.flush().map_err(io));
    match r {
        Ok(()) => {
            std::fs::rename(&tmp, path).map_err(|e| fail(format!("{}: {e}", path.display())))?;
            Ok(out.report)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(fail(e))
        }
    }
}

async fn write_all(out: &mut Out, source: Source) -> Result<(), String> {
    let plan = out.plan.clone();
    let d = plan.target_engine;
    writeln!(
        out.w,
        "-- dbconsole: {} → {} dialect ({} table(s)); restore with {}",
        plan.from.replace(['\n', '\r'], " "),
        d,
        plan.tables.len(),
        match d {
            Engine::Postgres | Engine::Duckdb => "psql -v ON_ERROR_STOP=1 -f FILE",
            Engine::Mysql => "mariadb DATABASE < FILE (or mysql)",
            Engine::Sqlite => "sqlite3 NEW.db < FILE",
        }
    )
    .map_err(io)?;
    match d {
        Engine::Postgres | Engine::Duckdb => {
            out.statement("SET client_encoding = 'UTF8'")?;
            out.statement("SET standard_conforming_strings = on")?;
            // Date-times without an offset are UTC, as in a live run.
            out.statement("SET TIME ZONE 'UTC'")?;
            if !plan.target_schema.is_empty() {
                out.statement(&format!("CREATE SCHEMA IF NOT EXISTS {}", quote::ident(d, &plan.target_schema)))?;
            }
        }
        Engine::Mysql => {
            out.statement("SET NAMES utf8mb4")?;
            // The literals below escape backslashes: the server must read them so; a dump of a database that holds
            // zero dates restores them.
            out.statement(
                "SET SESSION sql_mode = REPLACE(REPLACE(REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', ''), \
                 'NO_ZERO_DATE', ''), 'NO_ZERO_IN_DATE', '')",
            )?;
        }
        Engine::Sqlite => out.statement("PRAGMA foreign_keys = OFF")?,
    }
    if plan.mode == Mode::SchemaAndData {
        for ty in ddl::types(&plan) {
            out.statement(&ty)?;
        }
        for t in &plan.tables {
            out.statement(&ddl::create_table(&plan, t))?;
        }
    }
    if d == Engine::Sqlite {
        out.statement("BEGIN")?;
    }
    read_tables(out, &plan, source).await?;
    if d == Engine::Sqlite {
        out.statement("COMMIT")?;
    }
    writeln!(out.w, "\n-- after the data").map_err(io)?;
    let mut steps: Vec<(String, String)> = Vec::new();
    for t in &plan.tables {
        steps.extend(ddl::after_load(&plan, t));
    }
    for t in &plan.tables {
        steps.extend(ddl::foreign_keys(&plan, t));
    }
    steps.extend(ddl::views(&plan));
    steps.extend(ddl::triggers(&plan));
    for (_, sql) in steps {
        out.statement(&sql)?;
    }
    Ok(())
}

/// Reads every table in one snapshot and writes its rows.
async fn read_tables(out: &mut Out, plan: &Plan, source: Source) -> Result<(), String> {
    let size = plan.batch_rows.clamp(100, 20_000);
    match source {
        Source::Pool(pool) => {
            let mut s = Session::open(&pool.for_bulk_read()).await.map_err(|e| e.to_string())?;
            let begin = match pool.engine() {
                Engine::Postgres => Some("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
                Engine::Mysql => Some("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"),
                Engine::Sqlite => Some("BEGIN"),
                // A shell per statement, each opening the file read-only: no writer can hold the file meanwhile
                // (DuckDB lets one process write, and only when no other has the file open).
                Engine::Duckdb => None,
            };
            let mut none = NoRows;
            if let Some(begin) = begin {
                s.run(begin, &mut none).await.map_err(|e| e.to_string())?;
            }
            for t in &plan.tables {
                out.begin_table(t)?;
                // The session reads while this writes: batches pass on a channel, at most two held.
                let (tx, mut rx) = tokio::sync::mpsc::channel::<Batch>(2);
                let mut sink = SessionSink::new(t.columns.len(), size, tx);
                let read = async {
                    let r = s.run(&source_sql(plan, t, None), &mut sink).await.map_err(|e| e.to_string());
                    if r.is_ok() {
                        sink.flush().await;
                    }
                    drop(sink);
                    r
                };
                let write = async {
                    while let Some(b) = rx.recv().await {
                        // A failed write stops the reading too (the receiver goes, so the session's sends fail).
                        out.batch(t, &b)?;
                    }
                    Ok::<(), String>(())
                };
                let (r, w) = tokio::join!(read, write);
                w?;
                r?;
                out.end_table()?;
            }
            let _ = s.run("COMMIT", &mut none).await;
            s.close().await;
            Ok(())
        }
        Source::Sqlite(path) => {
            // One read transaction on one connection, on a blocking thread; batches go back over a channel.
            let (tx, mut rx) = tokio::sync::mpsc::channel::<(usize, Option<Batch>)>(2);
            let tables: Vec<(String, usize)> =
                plan.tables.iter().map(|t| (source_sql(plan, t, None), t.columns.len())).collect();
            let reader = tokio::task::spawn_blocking(move || -> Result<(), String> {
                let db = super::sqlite_raw::RawDb::open_read_only(&path)?;
                db.each("BEGIN", &[], |_, _| true)?;
                for (i, (sql, width)) in tables.into_iter().enumerate() {
                    let sent = super::load::sqlite_batches(&db, &sql, width, size, |b| {
                        tx.blocking_send((i, Some(b))).is_ok()
                    })?;
                    if !sent || tx.blocking_send((i, None)).is_err() {
                        return Ok(());
                    }
                }
                let _ = db.each("COMMIT", &[], |_, _| true);
                Ok(())
            });
            let mut current = None;
            while let Some((i, batch)) = rx.recv().await {
                let t = &plan.tables[i];
                if current != Some(i) {
                    out.begin_table(t)?;
                    current = Some(i);
                }
                match batch {
                    Some(b) => out.batch(t, &b)?,
                    None => out.end_table()?,
                }
            }
            // A table with no rows sends only its end.
            reader.await.map_err(|e| e.to_string())??;
            Ok(())
        }
    }
}

/// A sink for statements without rows (BEGIN, COMMIT).
struct NoRows;

impl Sink for NoRows {
    fn columns(&mut self, _: Vec<Column>) {}
    fn row(&mut self, _: &RowBuf) -> Flow {
        Flow::Continue
    }
    async fn more(&mut self) -> bool {
        true
    }
}
