//! Looking at the data before mapping it: one aggregate query per table counts each column's storage classes
//! (SQLite) and, for columns whose values are all text, whether every value is a UUID, JSON or a date/time;
//! MySQL's tinyint(1) ranges and zero dates; row counts everywhere.
use std::collections::HashMap;

use super::typemap::Probe;
use crate::core::catalog::{Catalog, Table, TableKind, TypeFamily, quote};
use crate::core::engine::DbPool;
use crate::core::profile::Engine;

async fn row_of_ints(pool: &DbPool, sql: &str) -> Result<Vec<Option<i64>>, String> {
    use sqlx::Row;
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    let e = |e: sqlx::Error| format!("{e}");
    macro_rules! ints {
        ($row:expr) => {{
            let row = $row;
            (0..row.len()).map(|i| row.try_get::<Option<i64>, _>(i).ok().flatten()).collect()
        }};
    }
    Ok(match pool {
        DbPool::Postgres(p) => ints!(sqlx::query(sql).fetch_one(p).await.map_err(e)?),
        DbPool::Mysql(p) => ints!(sqlx::query(sql).fetch_one(p).await.map_err(e)?),
        DbPool::Sqlite(p) => ints!(sqlx::query(sql).fetch_one(p).await.map_err(e)?),
        DbPool::Duckdb(d) => {
            let rows = d.rows(&sql.0).await.map_err(|e| e.to_string())?;
            rows.into_iter().next().unwrap_or_default().into_iter().map(|v| v.and_then(|s| s.parse().ok())).collect()
        }
    })
}

const UUID_RE: &str = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
const TS_RE: &str =
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?$";

const UUID_GLOB: &str = "[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]";

async fn sqlite_table(pool: &DbPool, schema: &str, t: &Table) -> Result<(i64, Vec<Probe>), String> {
    let e = Engine::Sqlite;
    let from = quote::qualified(e, schema, &t.name);
    // 1: storage classes, lengths, integer range.
    let mut exprs = vec!["count(*)".to_string()];
    for c in &t.columns {
        let q = quote::ident(e, &c.name);
        exprs.extend([
            format!("sum(typeof({q}) = 'null')"),
            format!("sum(typeof({q}) = 'integer')"),
            format!("sum(typeof({q}) = 'real')"),
            format!("sum(typeof({q}) = 'text')"),
            format!("sum(typeof({q}) = 'blob')"),
            format!("max(length({q}))"),
            format!("min(CASE WHEN typeof({q}) = 'integer' THEN {q} END)"),
            format!("max(CASE WHEN typeof({q}) = 'integer' THEN {q} END)"),
            format!("sum(typeof({q}) = 'integer' AND {q} NOT IN (0, 1))"),
        ]);
    }
    let v = row_of_ints(pool, &format!("SELECT {} FROM {from}", exprs.join(", "))).await?;
    let rows = v.first().copied().flatten().unwrap_or(0);
    let mut probes = Vec::new();
    for i in 0..t.columns.len() {
        let g = |k: usize| v.get(1 + i * 9 + k).copied().flatten();
        probes.push(Probe {
            rows,
            nulls: g(0).unwrap_or(0),
            ints: g(1).unwrap_or(0),
            reals: g(2).unwrap_or(0),
            texts: g(3).unwrap_or(0),
            blobs: g(4).unwrap_or(0),
            max_len: g(5).unwrap_or(0),
            min_int: g(6),
            max_int: g(7),
            not_bool: g(8).unwrap_or(0),
            ..Default::default()
        });
    }
    // 2: for columns whose values are all text, what the text is.
    let text_cols: Vec<usize> =
        (0..t.columns.len()).filter(|&i| probes[i].texts > 0 && probes[i].texts == rows - probes[i].nulls).collect();
    if !text_cols.is_empty() {
        let mut exprs = Vec::new();
        for &i in &text_cols {
            let q = quote::ident(e, &t.columns[i].name);
            exprs.extend([
                format!("sum(NOT (length({q}) = 36 AND {q} GLOB '{UUID_GLOB}'))"),
                format!("sum(NOT json_valid({q}))"),
                format!("sum(substr({q}, 1, 1) IN ('{{', '['))"),
                format!(
                    "sum(NOT ({q} GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]*' AND datetime({q}) IS NOT NULL))"
                ),
                format!("sum(length({q}) = 10 AND {q} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')"),
                format!("sum({q} GLOB '*[+-][0-9][0-9]:[0-9][0-9]' OR {q} GLOB '*Z')"),
            ]);
        }
        let w = row_of_ints(pool, &format!("SELECT {} FROM {from} WHERE 1", exprs.join(", "))).await?;
        for (k, &i) in text_cols.iter().enumerate() {
            let g = |j: usize| w.get(k * 6 + j).copied().flatten().unwrap_or(0);
            let p = &mut probes[i];
            p.bad_uuid = g(0);
            p.bad_json = g(1);
            p.json_like = g(2);
            p.bad_timestamps = g(3);
            p.dates_only = g(4);
            p.with_zone = g(5);
        }
    }
    Ok((rows, probes))
}

async fn server_table(
    pool: &DbPool,
    engine: Engine,
    schema: &str,
    t: &Table,
    dst: Engine,
) -> Result<(i64, Vec<Probe>), String> {
    let from = quote::qualified(engine, schema, &t.name);
    let mut exprs = vec!["count(*)".to_string()];
    let mut slots: Vec<(usize, &'static str)> = Vec::new();
    for (i, c) in t.columns.iter().enumerate() {
        let q = quote::ident(engine, &c.name);
        let d = c.data_type.to_ascii_lowercase();
        exprs.push(format!("count(*) - count({q})"));
        slots.push((i, "nulls"));
        let sum_if = |cond: String| format!("sum(CASE WHEN {cond} THEN 1 ELSE 0 END)");
        let re = |pattern: &str| match engine {
            Engine::Mysql => format!("{q} REGEXP '{pattern}'"),
            _ => format!("{q} ~ '{pattern}'"),
        };
        if engine == Engine::Mysql && d.starts_with("tinyint(1)") {
            exprs.push(sum_if(format!("{q} NOT IN (0, 1)")));
            slots.push((i, "not_bool"));
        }
        // Text that may hold UUIDs, dates and times, or JSON documents: checked on every value (the shape by a
        // regular expression; a value out of range is refused at load, to the reject file).
        if c.type_family == TypeFamily::Text && !d.starts_with("enum") {
            // Cheap tests first: OR and AND stop at the first that decides, so the regular expressions (and
            // JSON_VALID) only run on values of a plausible length and first character — most text (names, notes,
            // e-mail addresses) never reaches them. A UUID is 36 characters; a date or date-time 10 to 32, starting
            // with a digit.
            let len = match engine {
                Engine::Mysql => format!("char_length({q})"),
                _ => format!("length({q})"),
            };
            let ts_shape = format!("{len} BETWEEN 10 AND 32 AND LEFT({q}, 1) BETWEEN '0' AND '9'");
            exprs.push(sum_if(format!("{q} IS NOT NULL AND ({len} <> 36 OR NOT ({}))", re(UUID_RE))));
            slots.push((i, "bad_uuid"));
            exprs.push(sum_if(format!("{q} IS NOT NULL AND (NOT ({ts_shape}) OR NOT ({}))", re(TS_RE))));
            slots.push((i, "bad_timestamps"));
            exprs.push(sum_if(format!("{len} = 10 AND {}", re("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))));
            slots.push((i, "dates_only"));
            exprs.push(sum_if(format!("{ts_shape} AND {}", re("(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"))));
            slots.push((i, "with_zone"));
            if engine == Engine::Mysql {
                exprs.push(sum_if(format!(
                    "{q} IS NOT NULL AND (LEFT({q}, 1) NOT IN ('{{', '[') OR NOT JSON_VALID({q}))"
                )));
                slots.push((i, "bad_json"));
                exprs.push(sum_if(format!("LEFT({q}, 1) IN ('{{', '[')")));
                slots.push((i, "json_like"));
            }
        }
        if engine == Engine::Mysql
            && matches!(c.type_family, TypeFamily::Date | TypeFamily::Timestamp | TypeFamily::TimestampTz)
        {
            exprs.push(sum_if(format!("CAST({q} AS CHAR) LIKE '0000-00-00%'")));
            slots.push((i, "zero_dates"));
        }
        if c.type_family == TypeFamily::Text && dst == Engine::Mysql {
            exprs.push(format!("max({}({q}))", if engine == Engine::Mysql { "char_length" } else { "length" }));
            slots.push((i, "max_len"));
        }
    }
    // MySQL's SUM() is DECIMAL: every value as a signed integer.
    let exprs: Vec<String> = match engine {
        Engine::Mysql => exprs.iter().map(|x| format!("CAST({x} AS SIGNED)")).collect(),
        _ => exprs.iter().map(|x| format!("CAST({x} AS bigint)")).collect(),
    };
    // One scan, or a few for a table so wide that its statement would not fit one (the duckdb shell takes a
    // statement as one command-line argument): each scan repeats count(*) first.
    let limit = crate::core::engine::duckdb::MAX_STATEMENT - from.len() - 64;
    let mut v: Vec<Option<i64>> = Vec::new();
    let mut chunk: Vec<&str> = vec![&exprs[0]];
    let mut len = 0;
    for (i, x) in exprs.iter().enumerate().skip(1) {
        chunk.push(x);
        len += x.len() + 2;
        let last = i + 1 == exprs.len();
        let next_too_long = exprs.get(i + 1).is_some_and(|n| len + n.len() + 2 > limit);
        if last || next_too_long {
            let got = row_of_ints(pool, &format!("SELECT {} FROM {from}", chunk.join(", "))).await?;
            if v.is_empty() {
                v = got;
            } else {
                v.extend(got.into_iter().skip(1));
            }
            chunk = vec![&exprs[0]];
            len = 0;
        }
    }
    if v.is_empty() {
        v = row_of_ints(pool, &format!("SELECT {} FROM {from}", exprs[0])).await?;
    }
    let rows = v.first().copied().flatten().unwrap_or(0);
    let mut probes =
        vec![
            Probe { rows, texts: rows, bad_uuid: rows, bad_json: rows, bad_timestamps: rows, ..Default::default() };
            t.columns.len()
        ];
    for (k, (i, what)) in slots.iter().enumerate() {
        let x = v.get(k + 1).copied().flatten().unwrap_or(0);
        let p = &mut probes[*i];
        match *what {
            "nulls" => p.nulls = x,
            "not_bool" => p.not_bool = x,
            "zero_dates" => p.zero_dates = x,
            "bad_uuid" => p.bad_uuid = x,
            "bad_timestamps" => p.bad_timestamps = x,
            "dates_only" => p.dates_only = x,
            "with_zone" => p.with_zone = x,
            "bad_json" => p.bad_json = x,
            "json_like" => p.json_like = x,
            _ => p.max_len = x,
        }
    }
    Ok((rows, probes))
}

/// Probes every table of the catalog (or those named).
pub async fn probe_all(
    pool: &DbPool,
    cat: &Catalog,
    dst: Engine,
    only: &[String],
) -> Result<HashMap<(String, String), (i64, Vec<Probe>)>, String> {
    // Tables are probed two at a time (each probe is one scan, CPU-bound in the server or in SQLite). Owned
    // values in the futures, so this can run inside a spawned task.
    use futures_util::StreamExt;
    let engine = cat.engine;
    let jobs: Vec<(String, Table)> = cat
        .schemas
        .iter()
        .flat_map(|s| s.tables.iter().map(move |t| (s.name.clone(), t.clone())))
        .filter(|(_, t)| t.kind == TableKind::Table && (only.is_empty() || only.contains(&t.name)))
        .collect();
    let futures: Vec<_> = jobs
        .into_iter()
        .map(|(schema, t)| {
            let pool = pool.clone();
            async move {
                let r = match engine {
                    Engine::Sqlite => sqlite_table(&pool, &schema, &t).await,
                    e => server_table(&pool, e, &schema, &t, dst).await,
                };
                (schema, t.name.clone(), r)
            }
        })
        .collect();
    let results: Vec<_> = futures_util::stream::iter(futures).buffer_unordered(2).collect().await;
    let mut out = HashMap::new();
    for (schema, table, r) in results {
        out.insert((schema, table.clone()), r.map_err(|e| format!("{table}: {e}"))?);
    }
    Ok(out)
}

/// Probes a SQLite table in one read through SQLite's C API, checking values in Rust with the same parsers the
/// load uses; a check stops for a column as soon as one value rules its type out.
pub fn sqlite_scan(path: &std::path::Path, schema: &str, t: &Table) -> Result<(i64, Vec<Probe>), String> {
    use super::convert::{Class, parse_timestamp};
    let e = Engine::Sqlite;
    let db = super::sqlite_raw::RawDb::open_read_only(path)?;
    let cols: Vec<String> = t.columns.iter().map(|c| quote::ident(e, &c.name)).collect();
    let sql = format!("SELECT {} FROM {}", cols.join(", "), quote::qualified(e, schema, &t.name));
    let n = t.columns.len();
    let mut p = vec![Probe::default(); n];
    let json_declared: Vec<bool> =
        t.columns.iter().map(|c| c.data_type.to_ascii_lowercase().contains("json")).collect();
    let is_uuid = |s: &str| {
        let b = s.as_bytes();
        b.len() == 36
            && b.iter()
                .enumerate()
                .all(|(i, c)| if [8, 13, 18, 23].contains(&i) { *c == b'-' } else { c.is_ascii_hexdigit() })
    };
    let date_only = |s: &str| {
        let b = s.as_bytes();
        b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    };
    let rows = db.each(&sql, &[], |row, classes| {
        for i in 0..n {
            let q = &mut p[i];
            match classes[i] {
                Class::Null => q.nulls += 1,
                Class::Int => {
                    q.ints += 1;
                    let v: i64 = row.get(i).and_then(|s| s.parse().ok()).unwrap_or(0);
                    q.min_int = Some(q.min_int.map_or(v, |m| m.min(v)));
                    q.max_int = Some(q.max_int.map_or(v, |m| m.max(v)));
                    if v != 0 && v != 1 {
                        q.not_bool += 1;
                    }
                }
                Class::Real => {
                    q.reals += 1;
                    q.not_bool += 1;
                }
                Class::Blob => {
                    q.blobs += 1;
                    q.not_bool += 1;
                }
                // Stored as TEXT though not UTF-8: a text column (the load refuses the value, to the reject file).
                Class::BadText => {
                    q.texts += 1;
                    q.not_bool += 1;
                    q.bad_uuid = 1;
                    q.bad_json = 1;
                    q.bad_timestamps = 1;
                }
                Class::Text => {
                    q.texts += 1;
                    q.not_bool += 1;
                    let s = row.get(i).unwrap_or("");
                    q.max_len = q.max_len.max(s.chars().count() as i64);
                    if q.bad_uuid == 0 && !is_uuid(s) {
                        q.bad_uuid = 1;
                    }
                    let like = s.starts_with('{') || s.starts_with('[');
                    if like {
                        q.json_like += 1;
                    }
                    // JSON is checked only while it can still be the column's type.
                    if q.bad_json == 0 {
                        if (json_declared[i] || q.json_like == q.texts)
                            && serde_json::from_str::<serde::de::IgnoredAny>(s).is_ok()
                        {
                        } else {
                            q.bad_json = 1;
                        }
                    }
                    if q.bad_timestamps == 0 {
                        let b = s.as_bytes();
                        let shaped = b.len() >= 10 && b[4] == b'-' && b[..4].iter().all(u8::is_ascii_digit);
                        if !shaped || parse_timestamp(s).is_none() {
                            q.bad_timestamps = 1;
                        } else {
                            if date_only(s) {
                                q.dates_only += 1;
                            }
                            if s.ends_with('Z')
                                || s.len() > 6
                                    && matches!(s.as_bytes()[s.len() - 6], b'+' | b'-')
                                    && s.as_bytes()[s.len() - 3] == b':'
                            {
                                q.with_zone += 1;
                            }
                        }
                    }
                }
            }
        }
        true
    })?;
    for q in &mut p {
        q.rows = rows as i64;
    }
    Ok((rows as i64, p))
}

/// Probes every table of a SQLite file, two tables at a time on blocking threads.
pub async fn sqlite_scan_all(
    path: &std::path::Path,
    cat: &Catalog,
    only: &[String],
) -> Result<HashMap<(String, String), (i64, Vec<Probe>)>, String> {
    use futures_util::StreamExt;
    let jobs: Vec<(String, Table)> = cat
        .schemas
        .iter()
        .flat_map(|s| s.tables.iter().map(move |t| (s.name.clone(), t.clone())))
        .filter(|(_, t)| t.kind == TableKind::Table && (only.is_empty() || only.contains(&t.name)))
        .collect();
    let futures: Vec<_> = jobs
        .into_iter()
        .map(|(schema, t)| {
            let path = path.to_path_buf();
            async move {
                let name = t.name.clone();
                let r = tokio::task::spawn_blocking(move || sqlite_scan(&path, &schema, &t).map(|r| (schema, r)))
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|x| x);
                (name, r)
            }
        })
        .collect();
    let results: Vec<_> = futures_util::stream::iter(futures).buffer_unordered(2).collect().await;
    let mut out = HashMap::new();
    for (table, r) in results {
        let (schema, r) = r.map_err(|e| format!("{table}: {e}"))?;
        out.insert((schema, table), r);
    }
    Ok(out)
}
