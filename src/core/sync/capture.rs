//! Change capture: the change log (`_dbconsole_changes`), the sync's bookkeeping tables and the triggers that
//! write each insert, update and delete of a synced table into the log, for every engine.
//!
//! A change row holds the table, the operation, the row before (`old`: updates and deletes) and after (`new`:
//! inserts and updates) as a JSON object of column → text, the origin (which link wrote it, NULL for anybody
//! else) and the capture time in microseconds since the epoch. Values are text as the transfer's loader reads
//! them: PostgreSQL's JSON text of each value, MySQL's value cast to utf8mb4 text (binary columns as hex),
//! SQLite's storage class as a one-letter prefix (`i`, `r`, `t`, `b` + hex) so that the target gets the same
//! value back.
use crate::core::catalog::quote::{ident, literal, qualified};
use crate::core::profile::Engine;

pub const CHANGES: &str = "_dbconsole_changes";
pub const POSITIONS: &str = "_dbconsole_sync_position";
pub const READERS: &str = "_dbconsole_sync_readers";
/// SQLite only: the origin of the writes of the transaction that holds a row here (the sync's own).
pub const ORIGIN: &str = "_dbconsole_origin";
/// PostgreSQL: the trigger function (one per schema) and the trigger's name on each table.
pub const PG_FUNCTION: &str = "_dbconsole_capture";
/// PostgreSQL: the session setting the sync sets (transaction-local) to name the link that writes.
pub const PG_ORIGIN_SETTING: &str = "dbconsole.origin";

/// Whether a name belongs to the sync (never synced itself, never shown as the user's).
pub fn is_own(name: &str) -> bool {
    name.starts_with("_dbconsole_")
}

/// One column the triggers write: its name and whether it holds bytes (MySQL: written as hex).
#[derive(Debug, Clone)]
pub struct CapturedColumn {
    pub name: String,
    pub binary: bool,
    /// MySQL BIT: written as its number.
    pub bit: bool,
}

/// Where the sync's tables live on one side: PostgreSQL's schema; empty for MySQL (the connection's database)
/// and SQLite.
pub fn table(engine: Engine, schema: &str, name: &str) -> String {
    match engine {
        Engine::Postgres => qualified(engine, schema, name),
        _ => ident(engine, name),
    }
}

/// The statements that create the change log and the bookkeeping tables on a side (each one statement; all
/// `IF NOT EXISTS`, so a side shared by several links gets them once).
pub fn log_ddl(engine: Engine, schema: &str) -> Result<Vec<(String, String)>, String> {
    let changes = table(engine, schema, CHANGES);
    let positions = table(engine, schema, POSITIONS);
    let readers = table(engine, schema, READERS);
    let mut out = Vec::new();
    match engine {
        Engine::Postgres | Engine::Duckdb => {
            out.push((
                format!("table {CHANGES} (the change log)"),
                format!(
                    "CREATE TABLE IF NOT EXISTS {changes} (seq bigserial PRIMARY KEY, tbl text NOT NULL, op text NOT NULL, \
                     old text, new text, origin text, at bigint NOT NULL)"
                ),
            ));
            out.push((
                format!("index on {CHANGES} (tbl, seq)"),
                format!("CREATE INDEX IF NOT EXISTS \"_dbconsole_changes_tbl\" ON {changes} (tbl, seq)"),
            ));
            out.push((
                format!("table {POSITIONS} (what each link applied here)"),
                format!(
                    "CREATE TABLE IF NOT EXISTS {positions} (link text NOT NULL, dir text NOT NULL, tbl text NOT NULL, \
                     high bigint NOT NULL, gaps text NOT NULL DEFAULT '', PRIMARY KEY (link, dir, tbl))"
                ),
            ));
            out.push((
                format!("table {READERS} (which links read this change log)"),
                format!(
                    "CREATE TABLE IF NOT EXISTS {readers} (link text NOT NULL, dir text NOT NULL, tables text NOT NULL, \
                     low bigint NOT NULL DEFAULT 0, PRIMARY KEY (link, dir))"
                ),
            ));
            if schema.contains('$') {
                return Err(format!("schema {schema:?}: a name with `$` is not supported for capture"));
            }
            let row =
                |r: &str| format!("(SELECT jsonb_object_agg(key, value) FROM jsonb_each_text(to_jsonb({r})))::text");
            out.push((
                format!("function {PG_FUNCTION}() (the capture trigger's)"),
                format!(
                    "CREATE OR REPLACE FUNCTION {f}() RETURNS trigger LANGUAGE plpgsql \
                     SET search_path = pg_catalog, pg_temp AS $dbc$\n\
                     DECLARE o text := NULLIF(current_setting('{PG_ORIGIN_SETTING}', true), '');\n\
                     t bigint := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;\n\
                     BEGIN\n\
                     IF TG_OP = 'INSERT' THEN\n\
                       INSERT INTO {changes} (tbl, op, old, new, origin, at) VALUES (TG_TABLE_NAME, 'I', NULL, {n}, o, t);\n\
                     ELSIF TG_OP = 'UPDATE' THEN\n\
                       INSERT INTO {changes} (tbl, op, old, new, origin, at) VALUES (TG_TABLE_NAME, 'U', {o}, {n}, o, t);\n\
                     ELSE\n\
                       INSERT INTO {changes} (tbl, op, old, new, origin, at) VALUES (TG_TABLE_NAME, 'D', {o}, NULL, o, t);\n\
                     END IF;\n\
                     RETURN NULL;\n\
                     END $dbc$",
                    f = table(engine, schema, PG_FUNCTION),
                    n = row("NEW"),
                    o = row("OLD"),
                ),
            ));
        }
        Engine::Mysql => {
            out.push((
                format!("table {CHANGES} (the change log)"),
                format!(
                    "CREATE TABLE IF NOT EXISTS {changes} (seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, \
                     tbl VARCHAR(255) NOT NULL, op CHAR(1) NOT NULL, old LONGTEXT, new LONGTEXT, origin VARCHAR(255), \
                     at BIGINT NOT NULL, KEY `_dbconsole_changes_tbl` (tbl, seq)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 \
                     COLLATE=utf8mb4_bin"
                ),
            ));
            out.push((
                format!("table {POSITIONS} (what each link applied here)"),
                format!(
                    "CREATE TABLE IF NOT EXISTS {positions} (link VARCHAR(190) NOT NULL, dir VARCHAR(8) NOT NULL, \
                     tbl VARCHAR(190) NOT NULL, high BIGINT NOT NULL, gaps LONGTEXT NOT NULL, PRIMARY KEY (link, dir, tbl)) \
                     ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
                ),
            ));
            out.push((
                format!("table {READERS} (which links read this change log)"),
                format!(
                    "CREATE TABLE IF NOT EXISTS {readers} (link VARCHAR(190) NOT NULL, dir VARCHAR(8) NOT NULL, \
                     tables LONGTEXT NOT NULL, low BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (link, dir)) ENGINE=InnoDB \
                     DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
                ),
            ));
        }
        Engine::Sqlite => {
            out.push((
                format!("table {CHANGES} (the change log)"),
                format!(
                    "CREATE TABLE IF NOT EXISTS {changes} (seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, \
                     op TEXT NOT NULL, old TEXT, new TEXT, origin TEXT, at INTEGER NOT NULL)"
                ),
            ));
            out.push((
                format!("index on {CHANGES} (tbl, seq)"),
                format!("CREATE INDEX IF NOT EXISTS \"_dbconsole_changes_tbl\" ON {changes} (tbl, seq)"),
            ));
            out.push((
                format!("table {POSITIONS} (what each link applied here)"),
                format!(
                    "CREATE TABLE IF NOT EXISTS {positions} (link TEXT NOT NULL, dir TEXT NOT NULL, tbl TEXT NOT NULL, \
                     high INTEGER NOT NULL, gaps TEXT NOT NULL DEFAULT '', PRIMARY KEY (link, dir, tbl))"
                ),
            ));
            out.push((
                format!("table {READERS} (which links read this change log)"),
                format!(
                    "CREATE TABLE IF NOT EXISTS {readers} (link TEXT NOT NULL, dir TEXT NOT NULL, tables TEXT NOT NULL, \
                     low INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (link, dir))"
                ),
            ));
            out.push((
                format!("table {ORIGIN} (marks the sync's own writes)"),
                format!("CREATE TABLE IF NOT EXISTS {} (origin TEXT)", ident(engine, ORIGIN)),
            ));
        }
    }
    Ok(out)
}

/// The bookkeeping a target needs even when it captures nothing (one-way): where each link is.
pub fn target_ddl(engine: Engine, schema: &str) -> Result<Vec<(String, String)>, String> {
    Ok(log_ddl(engine, schema)?
        .into_iter()
        .filter(|(what, _)| what.contains(POSITIONS) || what.contains(ORIGIN))
        .collect())
}

/// A trigger's name on a MySQL or SQLite table: `_dbconsole_i_<table>` (MySQL's 64-character limit: the name is
/// shortened with a hash of the whole).
pub fn trigger_name(engine: Engine, op: char, tbl: &str) -> String {
    let name = format!("_dbconsole_{op}_{tbl}");
    // Hashed whenever the table's name is longer than the part kept, so that no plain name can equal another
    // table's hashed one.
    if engine == Engine::Mysql && tbl.chars().count() > 36 {
        use sha2::Digest;
        let h = sha2::Sha256::digest(tbl.as_bytes());
        let short: String = tbl.chars().take(36).collect();
        format!("_dbconsole_{op}_{short}_{:02x}{:02x}{:02x}{:02x}", h[0], h[1], h[2], h[3])
    } else {
        name
    }
}

/// The text expression of one column of `alias` (NEW or OLD, or a table alias in a SELECT).
fn column_expr(engine: Engine, alias: &str, c: &CapturedColumn) -> String {
    let v = format!("{alias}.{}", ident(engine, &c.name));
    match engine {
        Engine::Mysql if c.binary => format!("HEX({v})"),
        Engine::Mysql if c.bit => format!("CAST({v} + 0 AS CHAR)"),
        Engine::Mysql => format!("CAST({v} AS CHAR CHARACTER SET utf8mb4)"),
        _ => format!(
            "CASE typeof({v}) WHEN 'integer' THEN 'i' || {v} WHEN 'real' THEN 'r' || printf('%!.17g', {v}) \
             WHEN 'text' THEN 't' || {v} WHEN 'blob' THEN 'b' || hex({v}) END"
        ),
    }
}

/// A row of `alias` as JSON text: an object of column → text (SQLite: over 60 columns, an array of objects, as
/// its functions take at most 127 arguments).
pub fn row_json(engine: Engine, alias: &str, columns: &[CapturedColumn]) -> String {
    if engine == Engine::Postgres {
        return format!("(SELECT jsonb_object_agg(key, value) FROM jsonb_each_text(to_jsonb({alias})))::text");
    }
    let f = if engine == Engine::Mysql { "JSON_OBJECT" } else { "json_object" };
    let object = |cols: &[CapturedColumn]| {
        let parts: Vec<String> =
            cols.iter().map(|c| format!("{}, {}", literal(engine, &c.name), column_expr(engine, alias, c))).collect();
        format!("{f}({})", parts.join(", "))
    };
    if engine == Engine::Sqlite && columns.len() > 60 {
        let chunks: Vec<String> = columns.chunks(60).map(object).collect();
        return format!("json_array({})", chunks.join(", "));
    }
    object(columns)
}

fn now_us(engine: Engine) -> &'static str {
    match engine {
        Engine::Postgres | Engine::Duckdb => "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint",
        Engine::Mysql => "CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS SIGNED)",
        Engine::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)",
    }
}

/// The statements that start capturing one table (each one statement).
pub fn trigger_ddl(engine: Engine, schema: &str, tbl: &str, columns: &[CapturedColumn]) -> Vec<(String, String)> {
    let target = match engine {
        Engine::Postgres => qualified(engine, schema, tbl),
        _ => ident(engine, tbl),
    };
    if engine == Engine::Postgres {
        return vec![(
            format!("trigger {PG_FUNCTION} on {tbl}"),
            format!(
                "CREATE OR REPLACE TRIGGER {} AFTER INSERT OR UPDATE OR DELETE ON {target} FOR EACH ROW EXECUTE FUNCTION {}()",
                ident(engine, PG_FUNCTION),
                table(engine, schema, PG_FUNCTION)
            ),
        )];
    }
    let changes = table(engine, schema, CHANGES);
    let origin = match engine {
        Engine::Mysql => "@dbconsole_origin".to_string(),
        _ => format!("(SELECT origin FROM {} LIMIT 1)", ident(engine, ORIGIN)),
    };
    let name = literal(engine, tbl);
    let now = now_us(engine);
    let new = row_json(engine, "NEW", columns);
    let old = row_json(engine, "OLD", columns);
    let mut out = Vec::new();
    for (op, event, o, n) in [
        ('i', "INSERT", "NULL".to_string(), new.clone()),
        ('u', "UPDATE", old.clone(), new),
        ('d', "DELETE", old, "NULL".into()),
    ] {
        let insert = format!(
            "INSERT INTO {changes} (tbl, op, old, new, origin, at) VALUES ({name}, '{}', {o}, {n}, {origin}, {now})",
            op.to_ascii_uppercase()
        );
        let trig = ident(engine, &trigger_name(engine, op, tbl));
        let sql = match engine {
            // A table another link captures already has them (the same log): IF NOT EXISTS keeps them.
            Engine::Mysql => {
                format!("CREATE TRIGGER IF NOT EXISTS {trig} AFTER {event} ON {target} FOR EACH ROW {insert}")
            }
            _ => format!("CREATE TRIGGER IF NOT EXISTS {trig} AFTER {event} ON {target} BEGIN {insert}; END"),
        };
        out.push((format!("trigger {} on {tbl}", trigger_name(engine, op, tbl)), sql));
    }
    out
}

/// A statement that logs every row of a table as it is now (an update with no old image): after its capture
/// triggers were made again with new columns, the rows changed meanwhile are sent whole.
pub fn log_every_row(engine: Engine, schema: &str, tbl: &str, columns: &[CapturedColumn]) -> String {
    let source = match engine {
        Engine::Postgres => qualified(engine, schema, tbl),
        _ => ident(engine, tbl),
    };
    format!(
        "INSERT INTO {} (tbl, op, old, new, origin, at) SELECT {}, 'U', NULL, {}, NULL, {} FROM {source} AS r",
        table(engine, schema, CHANGES),
        literal(engine, tbl),
        row_json(engine, "r", columns),
        now_us(engine)
    )
}

/// The statements that stop capturing one table.
pub fn drop_trigger_ddl(engine: Engine, schema: &str, tbl: &str) -> Vec<String> {
    match engine {
        Engine::Postgres => {
            vec![format!("DROP TRIGGER IF EXISTS {} ON {}", ident(engine, PG_FUNCTION), qualified(engine, schema, tbl))]
        }
        _ => ['i', 'u', 'd']
            .iter()
            .map(|op| format!("DROP TRIGGER IF EXISTS {}", ident(engine, &trigger_name(engine, *op, tbl))))
            .collect(),
    }
}

/// The statements that remove the change log and the bookkeeping from a side no link uses any more.
pub fn drop_log_ddl(engine: Engine, schema: &str) -> Vec<String> {
    let mut out: Vec<String> = [CHANGES, READERS, POSITIONS]
        .iter()
        .map(|t| format!("DROP TABLE IF EXISTS {}", table(engine, schema, t)))
        .collect();
    match engine {
        Engine::Postgres | Engine::Duckdb => {
            out.push(format!("DROP FUNCTION IF EXISTS {}()", table(engine, schema, PG_FUNCTION)))
        }
        Engine::Sqlite => out.push(format!("DROP TABLE IF EXISTS {}", ident(engine, ORIGIN))),
        Engine::Mysql => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_are_quoted_everywhere() {
        let cols = vec![CapturedColumn { name: "we\"ird'`\n".into(), binary: false, bit: false }];
        for e in [Engine::Sqlite, Engine::Mysql, Engine::Postgres] {
            for (_, sql) in trigger_ddl(e, "public", "t'\"`;x", &cols) {
                assert_eq!(crate::core::sql::split(&sql, e).len(), 1, "{e:?}: {sql}");
            }
            for (_, sql) in log_ddl(e, "public").unwrap() {
                assert_eq!(crate::core::sql::split(&sql, e).len(), 1, "{e:?}: {sql}");
            }
        }
        assert!(log_ddl(Engine::Postgres, "a$dbc$b").is_err());
    }

    #[test]
    fn long_mysql_trigger_names_fit() {
        let t = "x".repeat(64);
        let n = trigger_name(Engine::Mysql, 'i', &t);
        assert!(n.chars().count() <= 64, "{n}");
        assert_ne!(n, trigger_name(Engine::Mysql, 'i', &"x".repeat(63)));
        // A table named like another's hashed trigger name does not get the same trigger name.
        let crafted = n.trim_start_matches("_dbconsole_i_").to_string();
        assert_ne!(trigger_name(Engine::Mysql, 'i', &crafted), n);
    }

    #[test]
    fn wide_sqlite_rows_are_chunked() {
        let cols: Vec<CapturedColumn> =
            (0..130).map(|i| CapturedColumn { name: format!("c{i}"), binary: false, bit: false }).collect();
        let j = row_json(Engine::Sqlite, "NEW", &cols);
        assert!(j.starts_with("json_array(json_object("));
        assert_eq!(j.matches("json_object(").count(), 3);
    }
}
