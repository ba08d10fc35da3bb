//! Reading a change log, and where a link is in it.
//!
//! A position is the highest sequence number applied plus the gaps below it: numbers a writer took but had not
//! committed when the log was read (PostgreSQL and MySQL hand out sequence numbers at insert time, so a
//! transaction that commits later can hold a lower one). Gaps are read again each round and applied when they
//! turn up; one is forgotten only when every transaction that could have held it has ended (PostgreSQL: the
//! oldest running transaction id has passed the newest one at the time the gap was seen; MySQL: no InnoDB
//! transaction started before it was seen is still running). SQLite has one writer at a time: no gaps.
use serde_json::{Map, Value};

use super::capture::{CHANGES, POSITIONS, READERS, table};
use crate::core::catalog::quote::literal;
use crate::core::engine::DbPool;
use crate::core::profile::Engine;
use crate::core::transfer::convert::Class;

/// One captured change.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub seq: i64,
    pub tbl: String,
    /// 'I', 'U' or 'D'.
    pub op: char,
    pub old: Option<Map<String, Value>>,
    pub new: Option<Map<String, Value>>,
    pub origin: Option<String>,
    /// Capture time, microseconds since the epoch.
    pub at: i64,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Position {
    pub high: i64,
    /// (sequence number, marker): PostgreSQL the newest transaction id when first seen, MySQL the server's
    /// epoch second.
    pub gaps: Vec<(i64, i64)>,
}

impl Position {
    pub fn gaps_text(&self) -> String {
        if self.gaps.is_empty() { String::new() } else { serde_json::to_string(&self.gaps).unwrap_or_default() }
    }
    pub fn parse(high: i64, gaps: &str) -> Position {
        Position {
            high,
            gaps: if gaps.trim().is_empty() { Vec::new() } else { serde_json::from_str(gaps).unwrap_or_default() },
        }
    }
    /// The lowest sequence number this position may still need.
    pub fn low(&self) -> i64 {
        self.gaps.iter().map(|g| g.0).chain([self.high + 1]).min().unwrap_or(self.high + 1)
    }
}

/// A JSON row from the log: an object, or (SQLite, wide tables) an array of objects.
pub fn parse_row(text: Option<&str>) -> Result<Option<Map<String, Value>>, String> {
    let Some(text) = text else { return Ok(None) };
    match serde_json::from_str::<Value>(text).map_err(|e| format!("change log row is not JSON: {e}"))? {
        Value::Object(m) => Ok(Some(m)),
        Value::Array(parts) => {
            let mut m = Map::new();
            for p in parts {
                if let Value::Object(o) = p {
                    m.extend(o);
                }
            }
            Ok(Some(m))
        }
        Value::Null => Ok(None),
        other => Err(format!("change log row is not an object: {other}")),
    }
}

/// A captured value as the transfer's converter takes it: storage class and text.
pub fn decode(src: Engine, binary: bool, v: Option<&Value>) -> (Class, String) {
    let s = match v {
        None | Some(Value::Null) => return (Class::Null, String::new()),
        Some(Value::String(s)) => s.as_str(),
        Some(other) => return (Class::Text, other.to_string()),
    };
    match src {
        Engine::Sqlite => {
            let mut it = s.chars();
            let tag = it.next();
            let rest = it.as_str();
            match tag {
                Some('i') => (Class::Int, rest.to_string()),
                Some('r') => (Class::Real, rest.to_string()),
                Some('b') => (Class::Blob, format!("\\x{}", rest.to_ascii_lowercase())),
                Some('t') => (Class::Text, rest.to_string()),
                _ => (Class::Text, s.to_string()),
            }
        }
        Engine::Mysql if binary => (Class::Blob, format!("\\x{}", s.to_ascii_lowercase())),
        Engine::Postgres if binary => (Class::Blob, s.to_string()),
        _ => (Class::Text, s.to_string()),
    }
}

/// A captured row as the user reads it: column → plain text (bytes as `\x…` hex), or null.
pub fn display_row(src: Engine, row: &Map<String, Value>) -> String {
    let m: Map<String, Value> = row
        .iter()
        .map(|(k, v)| {
            let shown = match decode(src, false, Some(v)) {
                (Class::Null, _) => Value::Null,
                (_, t) => Value::String(t),
            };
            (k.clone(), shown)
        })
        .collect();
    Value::Object(m).to_string()
}

/// A change row's key, as the text of each key column (the same on every engine for the same value), for
/// matching the changes of two sides.
pub fn key_text(src: Engine, row: &Map<String, Value>, key: &[String]) -> String {
    let vals: Vec<Value> = key
        .iter()
        .map(|k| match decode(src, false, row.get(k)) {
            (Class::Null, _) => Value::Null,
            (_, t) => Value::String(t),
        })
        .collect();
    serde_json::to_string(&vals).unwrap_or_default()
}

macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            $crate::core::engine::DbPool::Postgres($p) => $body,
            $crate::core::engine::DbPool::Mysql($p) => $body,
            $crate::core::engine::DbPool::Sqlite($p) => $body,
            $crate::core::engine::DbPool::Duckdb(_) => Err($crate::core::engine::NotWritable.into()),
        }
    };
}
pub(crate) use on_pool;

fn err(e: sqlx::Error) -> String {
    crate::core::query::QueryError::from_sqlx(&e).to_string()
}

type Raw = (i64, String, String, Option<String>, Option<String>, Option<String>, i64);

/// Reads up to `limit` changes after `pos` (and the gaps), in sequence order, of the given tables (empty:
/// every table), with `seq <= upto` when given.
pub async fn read(
    pool: &DbPool,
    schema: &str,
    pos: &Position,
    tables: &[String],
    upto: Option<i64>,
    limit: usize,
) -> Result<Vec<Change>, String> {
    let e = pool.engine();
    let mut cond = format!("seq > {}", pos.high);
    if !pos.gaps.is_empty() {
        let g: Vec<String> = pos.gaps.iter().map(|g| g.0.to_string()).collect();
        cond = format!("({cond} OR seq IN ({}))", g.join(", "));
    }
    if let Some(u) = upto {
        cond.push_str(&format!(" AND seq <= {u}"));
    }
    if !tables.is_empty() {
        let t: Vec<String> = tables.iter().map(|t| literal(e, t)).collect();
        cond.push_str(&format!(" AND tbl IN ({})", t.join(", ")));
    }
    let sql = format!(
        "SELECT seq, tbl, op, old, new, origin, at FROM {} WHERE {cond} ORDER BY seq LIMIT {limit}",
        table(e, schema, CHANGES)
    );
    let rows: Vec<Raw> = on_pool!(pool, p => sqlx::query_as::<_, Raw>(sqlx::AssertSqlSafe(sql.clone())).persistent(false).fetch_all(p).await.map_err(err))?;
    let mut out = Vec::with_capacity(rows.len());
    for (seq, tbl, op, old, new, origin, at) in rows {
        out.push(Change {
            seq,
            tbl,
            op: op.chars().next().unwrap_or('?'),
            old: parse_row(old.as_deref())?,
            new: parse_row(new.as_deref())?,
            origin,
            at,
        });
    }
    Ok(out)
}

/// The marker a gap seen now carries, and whether a gap with a given marker can no longer be filled.
pub async fn gap_marker(pool: &DbPool) -> Result<i64, String> {
    match pool {
        DbPool::Postgres(p) => sqlx::query_scalar::<_, i64>("SELECT txid_snapshot_xmax(txid_current_snapshot())")
            .fetch_one(p)
            .await
            .map_err(err),
        DbPool::Mysql(p) => {
            sqlx::query_scalar::<_, i64>("SELECT CAST(UNIX_TIMESTAMP() AS SIGNED)").fetch_one(p).await.map_err(err)
        }
        DbPool::Sqlite(_) => Ok(0),
        DbPool::Duckdb(_) => Err(crate::core::engine::NotWritable.into()),
    }
}

/// Gaps whose marker says every transaction that might hold them has ended (read before the changes).
pub async fn closed_gaps(pool: &DbPool, gaps: &[(i64, i64)]) -> Result<Vec<i64>, String> {
    if gaps.is_empty() {
        return Ok(Vec::new());
    }
    match pool {
        DbPool::Postgres(p) => {
            let xmin: i64 = sqlx::query_scalar("SELECT txid_snapshot_xmin(txid_current_snapshot())")
                .fetch_one(p)
                .await
                .map_err(err)?;
            Ok(gaps.iter().filter(|g| xmin >= g.1).map(|g| g.0).collect())
        }
        DbPool::Mysql(p) => {
            // INNODB_TRX.trx_started is in the server's system time zone, not the session's (sqlx sets +00:00):
            // read it with the session on SYSTEM, then put the session back.
            let mut c = p.acquire().await.map_err(err)?;
            sqlx::query("SET time_zone = 'SYSTEM'").execute(&mut *c).await.map_err(err)?;
            let oldest: Result<Option<i64>, _> = sqlx::query_scalar(
                "SELECT CAST(UNIX_TIMESTAMP(MIN(trx_started)) AS SIGNED) FROM information_schema.INNODB_TRX",
            )
            .fetch_one(&mut *c)
            .await;
            sqlx::query("SET time_zone = '+00:00'").execute(&mut *c).await.map_err(err)?;
            drop(c);
            let now: i64 =
                sqlx::query_scalar("SELECT CAST(UNIX_TIMESTAMP() AS SIGNED)").fetch_one(p).await.map_err(err)?;
            Ok(match oldest {
                // Nothing older than the gap still runs (a second's margin: trx_started has seconds).
                Ok(None) => gaps.iter().map(|g| g.0).collect(),
                Ok(Some(o)) => gaps.iter().filter(|g| o > g.1 + 1).map(|g| g.0).collect(),
                // Without the PROCESS privilege: five minutes.
                Err(_) => gaps.iter().filter(|g| now - g.1 > 300).map(|g| g.0).collect(),
            })
        }
        DbPool::Sqlite(_) => Ok(gaps.iter().map(|g| g.0).collect()),
        DbPool::Duckdb(_) => Err(crate::core::engine::NotWritable.into()),
    }
}

/// The position after reading `changes` from `pos`: the new high, earlier gaps not filled and not closed, and
/// the numbers skipped between the changes read (new gaps, with `marker`).
/// The most gaps a position tracks: past it the position stops advancing (the changes beyond wait for the
/// open transactions to end) rather than forget a number.
pub const MAX_GAPS: usize = 100_000;

/// Returns the new position and the highest sequence number it accepts: changes read above it are left for a
/// later round (they would need more gaps than a position tracks).
pub fn advance(pos: &Position, changes: &[Change], closed: &[i64], marker: i64, engine: Engine) -> (Position, i64) {
    let read: std::collections::HashSet<i64> = changes.iter().map(|c| c.seq).collect();
    let mut gaps: Vec<(i64, i64)> =
        pos.gaps.iter().filter(|g| !read.contains(&g.0) && !closed.contains(&g.0)).cloned().collect();
    let mut high = pos.high;
    for c in changes.iter().filter(|c| c.seq > pos.high) {
        if engine != Engine::Sqlite {
            let missing = (c.seq - high - 1).max(0) as usize;
            if gaps.len() + missing > MAX_GAPS {
                break;
            }
            gaps.extend(((high + 1)..c.seq).map(|m| (m, marker)));
        }
        high = high.max(c.seq);
    }
    (Position { high, gaps }, high)
}

/// A link's position in one direction, as stored on the side it writes to; `tbl` empty: the main stream.
pub async fn load_position(
    pool: &DbPool,
    schema: &str,
    link: &str,
    dir: &str,
    tbl: &str,
) -> Result<Option<Position>, String> {
    let e = pool.engine();
    let sql = format!(
        "SELECT high, gaps FROM {} WHERE link = {} AND dir = {} AND tbl = {}",
        table(e, schema, POSITIONS),
        literal(e, link),
        literal(e, dir),
        literal(e, tbl)
    );
    let row: Option<(i64, String)> = on_pool!(pool, p => sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql.clone())).persistent(false).fetch_optional(p).await.map_err(err))?;
    Ok(row.map(|(h, g)| Position::parse(h, &g)))
}

/// Every position of a link in one direction: (tbl, position); tbl empty is the main stream.
pub async fn load_positions(
    pool: &DbPool,
    schema: &str,
    link: &str,
    dir: &str,
) -> Result<Vec<(String, Position)>, String> {
    let e = pool.engine();
    let sql = format!(
        "SELECT tbl, high, gaps FROM {} WHERE link = {} AND dir = {}",
        table(e, schema, POSITIONS),
        literal(e, link),
        literal(e, dir)
    );
    let rows: Vec<(String, i64, String)> = on_pool!(pool, p => sqlx::query_as::<_, (String, i64, String)>(sqlx::AssertSqlSafe(sql.clone())).persistent(false).fetch_all(p).await.map_err(err))?;
    Ok(rows.into_iter().map(|(t, h, g)| (t, Position::parse(h, &g))).collect())
}

/// The statement that stores a position (inside the apply's transaction).
pub fn store_position_sql(e: Engine, schema: &str, link: &str, dir: &str, tbl: &str, pos: &Position) -> String {
    let t = table(e, schema, POSITIONS);
    let vals = format!(
        "({}, {}, {}, {}, {})",
        literal(e, link),
        literal(e, dir),
        literal(e, tbl),
        pos.high,
        literal(e, &pos.gaps_text())
    );
    match e {
        Engine::Mysql => format!(
            "INSERT INTO {t} (link, dir, tbl, high, gaps) VALUES {vals} ON DUPLICATE KEY UPDATE high = VALUES(high), gaps = VALUES(gaps)"
        ),
        _ => format!(
            "INSERT INTO {t} (link, dir, tbl, high, gaps) VALUES {vals} ON CONFLICT (link, dir, tbl) DO UPDATE SET high = excluded.high, gaps = excluded.gaps"
        ),
    }
}

pub fn delete_position_sql(e: Engine, schema: &str, link: &str, dir: &str, tbl: &str) -> String {
    format!(
        "DELETE FROM {} WHERE link = {} AND dir = {} AND tbl = {}",
        table(e, schema, POSITIONS),
        literal(e, link),
        literal(e, dir),
        literal(e, tbl)
    )
}

/// Records (on the side whose log is read) how far a link has read it, for pruning.
pub async fn set_reader(
    pool: &DbPool,
    schema: &str,
    link: &str,
    dir: &str,
    tables: &[String],
    low: i64,
) -> Result<(), String> {
    let e = pool.engine();
    let t = table(e, schema, READERS);
    let tables = serde_json::to_string(tables).unwrap_or_default();
    let vals = format!("({}, {}, {}, {low})", literal(e, link), literal(e, dir), literal(e, &tables));
    let sql = match e {
        Engine::Mysql => format!(
            "INSERT INTO {t} (link, dir, tables, low) VALUES {vals} ON DUPLICATE KEY UPDATE tables = VALUES(tables), low = VALUES(low)"
        ),
        _ => format!(
            "INSERT INTO {t} (link, dir, tables, low) VALUES {vals} ON CONFLICT (link, dir) DO UPDATE SET tables = excluded.tables, low = excluded.low"
        ),
    };
    crate::core::transfer::exec(pool, &sql).await
}

/// How far a link had read a log when it last applied (None: no record).
pub async fn reader_low(pool: &DbPool, schema: &str, link: &str, dir: &str) -> Result<Option<i64>, String> {
    let e = pool.engine();
    let sql = format!(
        "SELECT low FROM {} WHERE link = {} AND dir = {}",
        table(e, schema, READERS),
        literal(e, link),
        literal(e, dir)
    );
    on_pool!(pool, p => sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.clone())).persistent(false).fetch_optional(p).await.map_err(err))
}

/// Deletes the changes every reader of this log is past.
pub async fn prune(pool: &DbPool, schema: &str) -> Result<(), String> {
    let e = pool.engine();
    // The highest row always stays: MySQL before 8 and MariaDB before 10.2.4 restart AUTO_INCREMENT at MAX + 1
    // after a restart, so an empty log could hand out numbers a position is already past. Bounds read first
    // (MySQL cannot read the table it deletes from in a subquery).
    let low = crate::core::transfer::scalar(
        pool,
        &format!("SELECT COALESCE(MIN(low), 0) FROM {}", table(e, schema, READERS)),
    )
    .await?;
    let max = max_seq(pool, schema).await?;
    let sql = format!("DELETE FROM {} WHERE seq < {}", table(e, schema, CHANGES), low.min(max));
    crate::core::transfer::exec(pool, &sql).await
}

/// Changes waiting in a log after a position (not counting those written by `origin`), and the capture time of
/// the oldest, per table.
pub async fn pending(
    pool: &DbPool,
    schema: &str,
    pos: &Position,
    tables: &[String],
    skip_origin: Option<&str>,
) -> Result<Vec<(String, i64, i64)>, String> {
    let e = pool.engine();
    let mut cond = format!("seq > {}", pos.high);
    if !pos.gaps.is_empty() {
        let g: Vec<String> = pos.gaps.iter().map(|g| g.0.to_string()).collect();
        cond = format!("({cond} OR seq IN ({}))", g.join(", "));
    }
    if !tables.is_empty() {
        let t: Vec<String> = tables.iter().map(|t| literal(e, t)).collect();
        cond.push_str(&format!(" AND tbl IN ({})", t.join(", ")));
    }
    if let Some(o) = skip_origin {
        cond.push_str(&format!(" AND (origin IS NULL OR origin <> {})", literal(e, o)));
    }
    let sql = format!("SELECT tbl, COUNT(*), MIN(at) FROM {} WHERE {cond} GROUP BY tbl", table(e, schema, CHANGES));
    on_pool!(pool, p => sqlx::query_as::<_, (String, i64, i64)>(sqlx::AssertSqlSafe(sql.clone())).persistent(false).fetch_all(p).await.map_err(err))
}

/// The change log's size on a side: rows, and the capture time of the oldest.
pub async fn log_size(pool: &DbPool, schema: &str) -> Result<(i64, Option<i64>), String> {
    let e = pool.engine();
    let sql = format!("SELECT COUNT(*), MIN(at) FROM {}", table(e, schema, CHANGES));
    on_pool!(pool, p => sqlx::query_as::<_, (i64, Option<i64>)>(sqlx::AssertSqlSafe(sql.clone())).persistent(false).fetch_one(p).await.map_err(err))
}

/// Columns of a table on a side (empty: the table is not there).
pub async fn table_columns(pool: &DbPool, schema: &str, table: &str) -> Result<Vec<String>, String> {
    let e = pool.engine();
    let lit = |s: &str| crate::core::catalog::quote::literal(e, s);
    let sql = match e {
        Engine::Postgres | Engine::Duckdb => format!(
            "SELECT column_name::text FROM information_schema.columns WHERE table_schema = {} AND table_name = {} ORDER BY ordinal_position",
            lit(schema),
            lit(table)
        ),
        Engine::Mysql => format!(
            "SELECT CAST(COLUMN_NAME AS CHAR) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {} ORDER BY ORDINAL_POSITION",
            lit(table)
        ),
        Engine::Sqlite => format!("SELECT name FROM pragma_table_xinfo({}) WHERE hidden IN (0, 2, 3)", lit(table)),
    };
    on_pool!(pool, p => sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql.clone())).fetch_all(p).await)
        .map_err(|e| crate::core::query::QueryError::from_sqlx(&e).to_string())
}

/// A round trip to the side (an error when it does not answer).
pub async fn ping(pool: &DbPool) -> Result<(), String> {
    let sql = match pool.engine() {
        Engine::Postgres => "SELECT CAST(1 AS bigint)",
        _ => "SELECT 1",
    };
    crate::core::transfer::scalar(pool, sql).await.map(|_| ())
}

pub async fn max_seq(pool: &DbPool, schema: &str) -> Result<i64, String> {
    let e = pool.engine();
    crate::core::transfer::scalar(pool, &format!("SELECT COALESCE(MAX(seq), 0) FROM {}", table(e, schema, CHANGES)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(seq: i64) -> Change {
        Change { seq, tbl: "t".into(), op: 'I', old: None, new: None, origin: None, at: 0 }
    }

    #[test]
    fn gaps_are_kept_until_filled_or_closed() {
        let p = Position { high: 10, gaps: vec![] };
        let (q, _) = advance(&p, &[ch(11), ch(14)], &[], 7, Engine::Postgres);
        assert_eq!(q.high, 14);
        assert_eq!(q.gaps, vec![(12, 7), (13, 7)]);
        assert_eq!(q.low(), 12);
        let (r, _) = advance(&q, &[ch(12), ch(15)], &[13], 9, Engine::Postgres);
        assert_eq!(r, Position { high: 15, gaps: vec![] });
        // SQLite: one writer at a time, never a gap.
        assert!(advance(&p, &[ch(20)], &[], 0, Engine::Sqlite).0.gaps.is_empty());
        // More open numbers than a position tracks: it stops before them, it never forgets one.
        let (s, upto) = advance(&p, &[ch(11), ch(13 + MAX_GAPS as i64)], &[], 1, Engine::Mysql);
        assert_eq!((s.high, upto, s.gaps.len()), (11, 11, 0));
        assert_eq!(Position::parse(3, &q.gaps_text()), Position { high: 3, gaps: q.gaps.clone() });
    }

    #[test]
    fn decodes_each_engines_text() {
        let v = |s: &str| Value::String(s.into());
        assert_eq!(decode(Engine::Sqlite, false, Some(&v("i42"))), (Class::Int, "42".into()));
        assert_eq!(decode(Engine::Sqlite, false, Some(&v("r0.10000000000000001"))).0, Class::Real);
        assert_eq!(decode(Engine::Sqlite, false, Some(&v("bA0FF"))), (Class::Blob, "\\xa0ff".into()));
        assert_eq!(decode(Engine::Sqlite, false, Some(&v("tnul\0é"))), (Class::Text, "nul\0é".into()));
        assert_eq!(decode(Engine::Mysql, true, Some(&v("00FF"))), (Class::Blob, "\\x00ff".into()));
        assert_eq!(decode(Engine::Postgres, false, None).0, Class::Null);
        let mut row = Map::new();
        row.insert("id".into(), v("i7"));
        let mut row2 = Map::new();
        row2.insert("id".into(), v("7"));
        assert_eq!(key_text(Engine::Sqlite, &row, &["id".into()]), key_text(Engine::Postgres, &row2, &["id".into()]));
    }

    #[test]
    fn rows_parse_or_say_why() {
        assert!(parse_row(Some("[{\"a\":\"1\"},{\"b\":null}]")).unwrap().unwrap().contains_key("b"));
        assert!(parse_row(Some("nope")).is_err());
        assert!(parse_row(Some("3")).is_err());
        assert_eq!(parse_row(None).unwrap(), None);
    }
}
