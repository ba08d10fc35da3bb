//! A plan file read back is checked before anything runs: every key known (serde refuses the others, with the
//! line), numbers in range, every piece of SQL a single expression in its dialect, and every table and column it
//! names present in the source — a misspelt column must stop the run, not become a constant.
use super::plan::Plan;
use super::translate::check_one_expression;
use crate::core::catalog::Catalog;
use crate::core::profile::Engine;

/// Problems a plan has on its own (no database needed), each with the line of the plan file it is on.
pub fn check_plan(plan: &Plan, text: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    if !(1..=1_000_000).contains(&plan.batch_rows) {
        let msg = format!("batch_rows = {}: must be from 1 to 1000000", plan.batch_rows);
        out.push(at(text, &[Seg::Key("batch_rows")], msg));
    }
    if !(1..=64).contains(&plan.parallel) {
        out.push(at(text, &[Seg::Key("parallel")], format!("parallel = {}: must be from 1 to 64", plan.parallel)));
    }
    // Every piece of SQL the plan carries: (where, dialect, what, text).
    let (src, dst) = (plan.source_engine, plan.target_engine);
    let mut sql: Vec<(Vec<Seg>, Engine, String, &str)> = Vec::new();
    for (ti, t) in plan.tables.iter().enumerate() {
        let tp = |rest: &[Seg<'static>]| [&[Seg::Key("tables"), Seg::Index(ti)][..], rest].concat();
        let of = |what: &str| format!("{what} of table {}", t.source);
        if !t.filter.trim().is_empty() {
            sql.push((tp(&[Seg::Key("filter")]), src, of("filter"), &t.filter));
        }
        for (ci, c) in t.columns.iter().enumerate() {
            let col = |k| tp(&[Seg::Key("columns"), Seg::Index(ci), Seg::Key(k)]);
            sql.push((col("target_type"), dst, of("target_type"), &c.target_type));
            if let Some(d) = &c.default {
                sql.push((col("default"), dst, of("default"), d));
            }
            if c.target.is_empty() || c.source.is_empty() {
                out.push(at(text, &col("target"), of("an empty column name")));
            }
        }
        for (xi, x) in t.extra_columns.iter().enumerate() {
            let path = tp(&[Seg::Key("extra_columns"), Seg::Index(xi), Seg::Key("target_type")]);
            sql.push((path, dst, of("target_type"), &x.target_type));
        }
        for (ki, k) in t.checks.iter().enumerate() {
            if let Some(x) = &k.expression {
                sql.push((tp(&[Seg::Key("checks"), Seg::Index(ki), Seg::Key("expression")]), dst, of("check"), x));
            }
        }
        for (ii, ix) in t.indexes.iter().enumerate() {
            if let Some(p) = &ix.predicate {
                let path = tp(&[Seg::Key("indexes"), Seg::Index(ii), Seg::Key("predicate")]);
                sql.push((path, dst, of("index predicate"), p));
            }
            for (pi, part) in ix.parts.iter().enumerate() {
                if let Some(x) = &part.expression {
                    let path = tp(&[
                        Seg::Key("indexes"),
                        Seg::Index(ii),
                        Seg::Key("parts"),
                        Seg::Index(pi),
                        Seg::Key("expression"),
                    ]);
                    sql.push((path, dst, of("index expression"), x));
                }
            }
        }
    }
    for (vi, v) in plan.views.iter().enumerate() {
        if let Some(x) = &v.target_sql {
            sql.push((
                vec![Seg::Key("views"), Seg::Index(vi), Seg::Key("target_sql")],
                dst,
                format!("view {}", v.name),
                x,
            ));
        }
    }
    for (path, engine, what, expr) in sql {
        if let Err(e) = check_one_expression(expr, engine) {
            out.push(at(text, &path, format!("{what}: {e}")));
        }
    }
    out
}

/// Problems of a plan against the source's catalog: tables, columns and keys it names that the source lacks.
pub fn check_against(plan: &Plan, cat: &Catalog, text: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    for (ti, t) in plan.tables.iter().enumerate() {
        let found = cat
            .schemas
            .iter()
            .filter(|s| t.source_schema.is_empty() || s.name == t.source_schema || cat.engine == Engine::Sqlite)
            .flat_map(|s| s.tables.iter())
            .find(|x| x.name == t.source);
        let Some(table) = found else {
            out.push(at(
                text,
                &[Seg::Key("tables"), Seg::Index(ti), Seg::Key("source")],
                format!("table `{}` is not in the source", t.source),
            ));
            continue;
        };
        let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        for (ci, c) in t.columns.iter().enumerate() {
            if !names.contains(&c.source.as_str()) {
                out.push(at(
                    text,
                    &[Seg::Key("tables"), Seg::Index(ti), Seg::Key("columns"), Seg::Index(ci), Seg::Key("source")],
                    format!(
                        "`{}` is not a column of {} in the source (its columns: {})",
                        c.source,
                        t.source,
                        names.join(", ")
                    ),
                ));
            }
        }
        for k in &t.key {
            if !t.columns.iter().any(|c| &c.source == k) {
                out.push(at(
                    text,
                    &[Seg::Key("tables"), Seg::Index(ti), Seg::Key("key")],
                    format!("key column `{k}` of {} is not one of the plan's columns", t.source),
                ));
            }
        }
        if !t.key.is_empty() && !is_unique_key(table, &t.key) {
            out.push(at(
                text,
                &[Seg::Key("tables"), Seg::Index(ti), Seg::Key("key")],
                format!(
                    "key {:?} of {} is not the source's primary key or a unique key: rows sharing a value would be \
                     skipped when a stopped run resumes (leave key = [] to load the table in one transaction)",
                    t.key, t.source
                ),
            ));
        }
    }
    out
}

/// Whether `key` (as a set) is the table's primary key, a unique constraint, or a unique index without a predicate.
fn is_unique_key(table: &crate::core::catalog::Table, key: &[String]) -> bool {
    let same = |cols: &[String]| cols.len() == key.len() && key.iter().all(|k| cols.contains(k));
    table.primary_key.as_ref().is_some_and(|k| same(&k.columns))
        || table.unique_constraints.iter().any(|k| same(&k.columns))
        || table.indexes.iter().any(|ix| {
            ix.unique && ix.predicate.is_none() && {
                let cols: Vec<String> = ix.parts.iter().filter_map(|p| p.column.clone()).collect();
                cols.len() == ix.parts.len() && same(&cols)
            }
        })
}

/// A step of a path into the plan file.
#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// `message`, prefixed with the line of `path` in the plan file when the text is known.
fn at(text: Option<&str>, path: &[Seg], message: String) -> String {
    match text.and_then(|t| line_of(t, path)) {
        Some(line) => format!("line {line}: {message}"),
        None => message,
    }
}

fn line_of(text: &str, path: &[Seg]) -> Option<usize> {
    let doc = toml_edit::Document::parse(text).ok()?;
    let mut table: &toml_edit::Table = doc.as_table();
    let mut span = None;
    let mut pending: Option<&toml_edit::Item> = None;
    for seg in path {
        match (seg, pending.take()) {
            (Seg::Key(k), None) => {
                let item = table.get(k)?;
                span = item.span().or(span);
                match item {
                    toml_edit::Item::Table(t) => table = t,
                    other => pending = Some(other),
                }
            }
            (Seg::Index(i), Some(toml_edit::Item::ArrayOfTables(a))) => {
                table = a.get(*i)?;
                span = table.span().or(span);
            }
            (Seg::Index(i), Some(other)) => {
                span = other.as_array().and_then(|a| a.get(*i)).and_then(|v| v.span()).or(span);
            }
            _ => return None,
        }
    }
    let span = span?;
    Some(1 + text[..span.start].matches('\n').count())
}
