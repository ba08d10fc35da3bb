//! Statements on a DuckDB file (see `engine::duckdb`): a query is described first (`DESCRIBE …` gives its columns
//! and DuckDB types), then run inside `COPY (…) TO '/dev/stdout' (FORMAT json)` with every column turned into
//! text by its type — blobs as `\x…` hex, lists, structs and maps as JSON — so each row arrives as one JSON object
//! of strings and nulls, in order. Statements DESCRIBE does not take (SHOW, PRAGMA, EXPLAIN, SET…) run as they
//! are, their JSON lines shown as text.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

use super::result::{Column, Kind, RowBuf};
use super::session::{Flow, Outcome, QueryError, Sink};
use crate::core::catalog::quote;
use crate::core::engine::duckdb::{Duck, Lines, parse_line, row_into};
use crate::core::profile::Engine;
use crate::core::sql::lex::{Tok, tokens};

/// How the results grid and exports treat a DuckDB type.
pub(crate) fn kind(t: &str) -> Kind {
    let u = t.trim().to_ascii_uppercase();
    if nested(&u) {
        return Kind::Json;
    }
    match u.as_str() {
        "TINYINT" | "SMALLINT" | "INTEGER" | "BIGINT" | "HUGEINT" | "UTINYINT" | "USMALLINT" | "UINTEGER"
        | "UBIGINT" | "UHUGEINT" | "FLOAT" | "DOUBLE" | "REAL" => Kind::Number,
        _ if u.starts_with("DECIMAL") => Kind::Number,
        "BOOLEAN" => Kind::Bool,
        "JSON" => Kind::Json,
        "BLOB" => Kind::Binary,
        "UUID" => Kind::Uuid,
        "VARCHAR" => Kind::Text,
        _ if u.starts_with("DATE") || u.starts_with("TIME") || u == "INTERVAL" => Kind::Temporal,
        _ => Kind::Other,
    }
}

fn nested(upper: &str) -> bool {
    upper.ends_with(']') || upper.starts_with("STRUCT") || upper.starts_with("MAP") || upper.starts_with("UNION")
}

/// The value of column `c` (of DuckDB type `t`) as text.
pub(crate) fn text_expr(c: &str, t: &str) -> String {
    let u = t.trim().to_ascii_uppercase();
    if u == "BLOB" {
        format!("'\\x' || lower(hex({c}))")
    } else if nested(&u) {
        format!("CAST(to_json({c}) AS VARCHAR)")
    } else {
        format!("CAST({c} AS VARCHAR)")
    }
}

/// The statement without what ends it (`;`, trailing spaces and comments), so it can sit in a subquery.
fn body(sql: &str) -> &str {
    let toks = tokens(sql, Engine::Duckdb);
    let end = toks
        .iter()
        .rev()
        .find(|t| !(matches!(t.kind, Tok::Space | Tok::Comment) || (t.kind == Tok::Punct && t.text(sql) == ";")))
        .map(|t| t.end)
        .unwrap_or(0);
    &sql[..end]
}

/// A query's columns as DESCRIBE gives them, or None when DESCRIBE does not take the statement.
async fn describe(duck: &Duck, body: &str) -> Option<Vec<(String, String)>> {
    let rows = duck.rows(&format!("DESCRIBE {body}\n")).await.ok()?;
    Some(
        rows.into_iter()
            .map(|r| {
                (r.first().cloned().flatten().unwrap_or_default(), r.get(1).cloned().flatten().unwrap_or_default())
            })
            .collect(),
    )
}

/// The statement that returns `body`'s rows as JSON objects of text (`c1`, `c2`, … in order).
pub(crate) fn wrapped(body: &str, types: &[String]) -> String {
    let names: Vec<String> = (1..=types.len()).map(|i| format!("c{i}")).collect();
    let exprs: Vec<String> = names
        .iter()
        .zip(types)
        .map(|(n, t)| format!("{} AS {n}", text_expr(&quote::ident(Engine::Duckdb, n), t)))
        .collect();
    format!(
        "COPY (SELECT {} FROM ({body}\n) AS dbc_q({})) TO '/dev/stdout' (FORMAT json)",
        exprs.join(", "),
        names.join(", ")
    )
}

/// Runs one statement, rows into `sink`. A cancel (the flag set, then a notify) kills the shell.
pub(super) async fn stream<S: Sink>(
    duck: &Duck,
    sql: &str,
    sink: &mut S,
    out: &mut Outcome,
    cancel: &(Arc<AtomicBool>, Arc<Notify>),
) -> Result<(), QueryError> {
    let body = body(sql);
    if body.trim().is_empty() {
        return Ok(());
    }
    let described = describe(duck, body).await;
    let mut lines = match &described {
        Some(cols) => {
            let types: Vec<String> = cols.iter().map(|c| c.1.clone()).collect();
            sink.columns(
                cols.iter()
                    .map(|(name, t)| Column { name: name.clone(), type_name: t.clone(), kind: kind(t) })
                    .collect(),
            );
            out.returned_rows = true;
            Lines::start(duck, &wrapped(body, &types))?
        }
        None => Lines::start(duck, body)?,
    };
    let mut buf = RowBuf::default();
    loop {
        if cancel.0.load(Ordering::SeqCst) {
            lines.kill().await;
            return Err(cancelled());
        }
        let line = tokio::select! {
            l = lines.next() => l?,
            _ = cancel.1.notified() => {
                lines.kill().await;
                return Err(cancelled());
            }
        };
        let Some(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        // The wrapped form is read without building JSON values; anything else (statements run as they are)
        // through serde_json.
        if described.is_none() || row_into(&line, &mut buf).is_none() {
            let (keys, values) = parse_line(&line)?;
            if !out.returned_rows {
                sink.columns(
                    keys.iter()
                        .map(|k| Column { name: k.clone(), type_name: String::new(), kind: Kind::Text })
                        .collect(),
                );
                out.returned_rows = true;
            }
            buf.clear();
            for v in &values {
                match v {
                    Some(s) => buf.push_str(s),
                    None => buf.push_null(),
                }
            }
        }
        out.rows += 1;
        if let Flow::Pause = sink.row(&buf)
            && !sink.more().await
        {
            out.stopped = true;
            lines.kill().await;
            break;
        }
    }
    Ok(())
}

fn cancelled() -> QueryError {
    let mut e = QueryError::other("cancelled: the duckdb shell running the statement was stopped");
    e.cancelled = true;
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_drops_the_end() {
        assert_eq!(body("SELECT 1; -- done\n"), "SELECT 1");
        assert_eq!(body("SELECT ';' /* x */ ;;"), "SELECT ';'");
        assert_eq!(body("  "), "");
    }

    #[test]
    fn text_by_type() {
        assert_eq!(text_expr("c", "BLOB"), "'\\x' || lower(hex(c))");
        assert!(text_expr("c", "INTEGER[]").contains("to_json"));
        assert!(text_expr("c", "STRUCT(a INTEGER)").contains("to_json"));
        assert_eq!(text_expr("c", "HUGEINT"), "CAST(c AS VARCHAR)");
        assert_eq!(kind("DECIMAL(18,4)"), Kind::Number);
        assert_eq!(kind("MAP(VARCHAR, INTEGER)"), Kind::Json);
        assert_eq!(kind("TIMESTAMP WITH TIME ZONE"), Kind::Temporal);
        let w = wrapped("SELECT 1 AS a, 2 AS a -- note", &["INTEGER".into(), "BLOB".into()]);
        assert!(w.contains("-- note\n) AS dbc_q(c1, c2)"), "{w}");
    }
}
