//! `dbconsole query PROFILE (-e SQL | -f FILE) [--format table|csv|json|sql]`: runs the statements one after another
//! and streams every row to stdout as it arrives (no row cap, flat memory). Notices and errors go to stderr. Stops
//! at the first failing statement. Ctrl-C cancels the running statement on the server.
use std::io::{BufWriter, Write};

use clap::Args;

use crate::core::paths::Paths;
use crate::core::query::export::{Format, Writer, table_name};
use crate::core::query::{Column, Flow, QueryError, RowBuf, Session, Sink};
use crate::core::sql::{Statement, split};
use crate::core::text::escape_control;

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Profile name or connection URL.
    pub profile: String,
    /// SQL to run (several statements separated by `;`).
    #[arg(short = 'e', long = "execute", conflicts_with = "file", required_unless_present = "file")]
    pub sql: Option<String>,
    /// A file of SQL to run (`-` reads standard input).
    #[arg(short = 'f', long)]
    pub file: Option<String>,
    /// Output format: table, csv, json, sql (INSERT statements).
    #[arg(long, default_value = "table", value_parser = Format::parse)]
    pub format: Format,
    /// Table name written into `--format sql` INSERT statements (quoted for the engine; `schema.name` is quoted per
    /// part).
    #[arg(long, default_value = "result")]
    pub table: String,
}

struct Out<W: Write + Send> {
    w: Writer<W>,
    failed: Option<std::io::Error>,
}

impl<W: Write + Send> Sink for Out<W> {
    fn columns(&mut self, columns: Vec<Column>) {
        if let Err(e) = self.w.begin(&columns) {
            self.failed.get_or_insert(e);
        }
    }
    fn row(&mut self, row: &RowBuf) -> Flow {
        if self.failed.is_some() {
            return Flow::Pause;
        }
        if let Err(e) = self.w.row((0..row.len()).map(|i| row.get(i))) {
            self.failed = Some(e);
            return Flow::Pause;
        }
        Flow::Continue
    }
    async fn more(&mut self) -> bool {
        // Paused only when stdout failed (a closed pipe): stop reading.
        false
    }
}

/// The error, with the statement's line in the script and, when the server gave a position, the line of the
/// statement with a caret under it (as psql shows it).
pub fn describe_failure(origin: &str, st: &Statement, e: &QueryError) -> String {
    let mut s = match e.position {
        Some(p) => format!("{origin}:{}: {e}", st.line_of_char(p)),
        None => format!("{origin}:{}: {e}", st.line),
    };
    if let Some(p) = e.position {
        let before: String = st.text.chars().take(p.saturating_sub(1)).collect();
        let line_start = before.rfind('\n').map_or(0, |k| k + 1);
        let col = before[line_start..].chars().count();
        let line = st.text[line_start..].lines().next().unwrap_or("");
        s.push_str(&format!("\n  {line}\n  {}^", " ".repeat(col)));
    }
    s
}

pub async fn run(paths: &Paths, args: QueryArgs) -> i32 {
    let (script, origin) = match (&args.sql, &args.file) {
        (Some(s), _) => (s.clone(), "-e".to_string()),
        (None, Some(f)) if f == "-" => {
            let mut s = String::new();
            if let Err(e) = std::io::Read::read_to_string(&mut std::io::stdin(), &mut s) {
                eprintln!("error: cannot read standard input: {e}");
                return super::EXIT_USAGE;
            }
            (s, "stdin".to_string())
        }
        (None, Some(f)) => match std::fs::read_to_string(f) {
            Ok(s) => (s, f.clone()),
            Err(e) => {
                eprintln!("error: cannot read {f}: {e}");
                return super::EXIT_USAGE;
            }
        },
        (None, None) => {
            eprintln!("error: give the SQL with -e or a file with -f");
            return super::EXIT_USAGE;
        }
    };
    let set = super::load_profiles(paths);
    let p = match super::resolve_target(&set, &args.profile) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return super::EXIT_USAGE;
        }
    };
    let statements = split(&script, p.engine);
    if statements.is_empty() {
        eprintln!("error: no SQL statement in {origin}");
        return super::EXIT_USAGE;
    }
    let pool = match super::connect(paths, &p).await {
        Ok(pool) => pool,
        Err(code) => return code,
    };
    let mut session = match Session::open(&pool).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            pool.close().await;
            return 1;
        }
    };
    let canceller = session.canceller();
    let table = table_name(p.engine, &args.table);
    let mut out = Out {
        w: Writer::new(args.format, BufWriter::with_capacity(1 << 16, std::io::stdout()), p.engine, &table),
        failed: None,
    };
    let mut code = 0;
    let mut interrupted = false;
    for st in &statements {
        let result = {
            let run = session.run(&st.text, &mut out);
            tokio::pin!(run);
            loop {
                tokio::select! {
                    r = &mut run => break r,
                    _ = tokio::signal::ctrl_c(), if !interrupted => {
                        interrupted = true;
                        if let Err(e) = canceller.cancel().await {
                            eprintln!("warning: could not cancel on the server: {e}");
                        }
                    }
                }
            }
        };
        match result {
            Ok(o) => {
                for n in &o.notices {
                    eprintln!("{}: {}", n.level, escape_control(&n.message));
                }
                if !o.returned_rows && args.format == Format::Table && out.failed.is_none() {
                    let verb = crate::core::sql::classify::analyse(&st.text, p.engine).verb;
                    let _ = out.w.finish();
                    let _ = writeln!(std::io::stdout(), "{verb} {}", o.affected);
                }
            }
            Err(e) => {
                let _ = out.w.finish();
                if e.cancelled && interrupted {
                    eprintln!("cancelled: {origin}:{}: the statement was stopped on the server", st.line);
                    code = 130;
                } else {
                    eprintln!("error: {}", escape_control(&describe_failure(&origin, st, &e)));
                    code = 1;
                }
                break;
            }
        }
        if let Some(e) = &out.failed {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("error: writing the output: {e}");
                code = 1;
            }
            break;
        }
        if interrupted {
            code = 130;
            break;
        }
    }
    if let Err(e) = out.w.finish()
        && out.failed.is_none()
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("error: writing the output: {e}");
        code = 1;
    }
    session.close().await;
    pool.close().await;
    code
}
