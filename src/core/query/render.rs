//! A database row as text, the way each engine's own client shows it. PostgreSQL and MySQL rows come from the
//! simple/text protocol, so the cell text is the server's own output (numeric precision, time zones, arrays,
//! intervals exactly as psql prints them); bytes that are not text are shown as hex. SQLite values carry their own
//! storage class and are formatted from it.
use std::fmt::Write as _;

use sqlx::{Column as _, Decode, Row, TypeInfo, ValueRef};

use super::result::{Column, Kind, RowBuf};

/// `\x` followed by lower-case hex, as PostgreSQL prints bytea.
pub fn hex_into(out: &mut String, bytes: &[u8]) {
    out.reserve(2 + bytes.len() * 2);
    out.push_str("\\x");
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
}

pub(crate) fn pg_kind(name: &str) -> Kind {
    let n = name.to_ascii_lowercase();
    if n.starts_with('_') || n.ends_with("[]") {
        return Kind::Array;
    }
    match n.as_str() {
        "int2" | "int4" | "int8" | "smallint" | "integer" | "bigint" | "numeric" | "float4" | "float8" | "real"
        | "double precision" | "oid" | "money" => Kind::Number,
        "bool" | "boolean" => Kind::Bool,
        "json" | "jsonb" => Kind::Json,
        "bytea" => Kind::Binary,
        "date" | "time" | "timetz" | "timestamp" | "timestamptz" | "interval" => Kind::Temporal,
        "uuid" => Kind::Uuid,
        "text" | "varchar" | "bpchar" | "char" | "name" | "citext" => Kind::Text,
        _ => Kind::Other,
    }
}

pub(crate) fn mysql_kind(name: &str) -> Kind {
    match name {
        "TINYINT" | "SMALLINT" | "INT" | "MEDIUMINT" | "BIGINT" | "TINYINT UNSIGNED" | "SMALLINT UNSIGNED"
        | "INT UNSIGNED" | "MEDIUMINT UNSIGNED" | "BIGINT UNSIGNED" | "FLOAT" | "DOUBLE" | "DECIMAL" | "YEAR" => {
            Kind::Number
        }
        "BOOLEAN" => Kind::Bool,
        "JSON" => Kind::Json,
        "BINARY" | "VARBINARY" | "TINYBLOB" | "BLOB" | "MEDIUMBLOB" | "LONGBLOB" | "GEOMETRY" => Kind::Binary,
        "BIT" => Kind::Bits,
        "DATE" | "TIME" | "DATETIME" | "TIMESTAMP" => Kind::Temporal,
        "NULL" => Kind::Other,
        _ => Kind::Text,
    }
}

/// SQLite's declared-type affinity, for alignment and export only (the values decide what is shown).
pub(crate) fn sqlite_kind(decl: &str) -> Kind {
    let d = decl.to_ascii_uppercase();
    if d.contains("INT")
        || d.contains("REAL")
        || d.contains("FLOA")
        || d.contains("DOUB")
        || d.contains("NUMERIC")
        || d.contains("DECIMAL")
    {
        Kind::Number
    } else if d.contains("BOOL") {
        Kind::Bool
    } else if d.contains("JSON") {
        Kind::Json
    } else if d.contains("BLOB") {
        Kind::Binary
    } else if d.contains("DATE") || d.contains("TIME") {
        Kind::Temporal
    } else if d.contains("UUID") {
        Kind::Uuid
    } else {
        Kind::Text
    }
}

pub fn pg_columns(row: &sqlx::postgres::PgRow) -> Vec<Column> {
    row.columns()
        .iter()
        .map(|c| {
            let t = c.type_info().name().to_string();
            Column { name: c.name().to_string(), kind: pg_kind(&t), type_name: t }
        })
        .collect()
}

pub fn pg_row(row: &sqlx::postgres::PgRow, out: &mut RowBuf) {
    out.clear();
    for i in 0..row.len() {
        let Ok(v) = row.try_get_raw(i) else {
            out.push_null();
            continue;
        };
        if v.is_null() {
            out.push_null();
            continue;
        }
        match v.as_bytes() {
            Ok(b) => match std::str::from_utf8(b) {
                // Simple-protocol values are the server's text output; binary-format values do not occur there.
                Ok(s) if v.format() == sqlx::postgres::PgValueFormat::Text => out.push_str(s),
                _ => {
                    hex_into(out.cell_text(), b);
                    out.end_cell();
                }
            },
            Err(_) => out.push_null(),
        }
    }
}

/// MySQL marks every column with a `_bin` collation as BINARY (so sqlx names a `utf8mb4_bin` VARCHAR or a
/// MariaDB JSON column `VARBINARY`/`LONGBLOB`); only the binary character set (collation 63) holds bytes.
/// sqlx keeps the collation private, and its Debug output is the one place it shows.
pub(crate) fn mysql_type(t: &sqlx::mysql::MySqlTypeInfo) -> (String, Kind) {
    let name = t.name();
    let kind = mysql_kind(name);
    if kind == Kind::Binary && name != "GEOMETRY" && !format!("{t:?}").contains("Collation(63)") {
        let text = match name {
            "BINARY" => "CHAR",
            "VARBINARY" => "VARCHAR",
            "TINYBLOB" => "TINYTEXT",
            "BLOB" => "TEXT",
            "MEDIUMBLOB" => "MEDIUMTEXT",
            _ => "LONGTEXT",
        };
        return (text.to_string(), Kind::Text);
    }
    (name.to_string(), kind)
}

pub fn mysql_columns(row: &sqlx::mysql::MySqlRow) -> Vec<Column> {
    row.columns()
        .iter()
        .map(|c| {
            let (type_name, kind) = mysql_type(c.type_info());
            Column { name: c.name().to_string(), kind, type_name }
        })
        .collect()
}

pub fn mysql_row(row: &sqlx::mysql::MySqlRow, kinds: &[Kind], out: &mut RowBuf) {
    out.clear();
    for i in 0..row.len() {
        let Ok(v) = row.try_get_raw(i) else {
            out.push_null();
            continue;
        };
        if v.is_null() {
            out.push_null();
            continue;
        }
        let Ok(b) = <&[u8] as Decode<sqlx::MySql>>::decode(v) else {
            out.push_null();
            continue;
        };
        match kinds.get(i) {
            Some(Kind::Binary) => hex_into(out.cell_text(), b),
            Some(Kind::Bits) => {
                // The text protocol sends BIT(n) as its bytes, big-endian: show it as MySQL's b'…' literal.
                let t = out.cell_text();
                t.push_str("b'");
                let mut bits = String::new();
                for byte in b {
                    let _ = write!(bits, "{byte:08b}");
                }
                let trimmed = bits.trim_start_matches('0');
                t.push_str(if trimmed.is_empty() { "0" } else { trimmed });
                t.push('\'');
            }
            _ => match std::str::from_utf8(b) {
                Ok(s) => out.cell_text().push_str(s),
                Err(_) => hex_into(out.cell_text(), b),
            },
        }
        out.end_cell();
    }
}

/// Columns with a declared type take its affinity; an expression column (no declared type) takes the storage
/// class of its first value, so `count(*)` aligns as a number.
pub fn sqlite_columns(row: &sqlx::sqlite::SqliteRow) -> Vec<Column> {
    row.columns()
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let t = c.type_info();
            let declared = !t.is_null() && !matches!(t.name(), "NULL");
            let t = if declared { t.name().to_string() } else { String::new() };
            let kind = if declared {
                sqlite_kind(&t)
            } else {
                match row.try_get_raw(i).map(|v| v.type_info().name().to_string()).as_deref() {
                    Ok("INTEGER") | Ok("REAL") => Kind::Number,
                    Ok("BLOB") => Kind::Binary,
                    _ => Kind::Text,
                }
            };
            Column { name: c.name().to_string(), kind, type_name: t }
        })
        .collect()
}

/// A REAL as text that reads back to the same double: shortest round-trip digits, `.0` on whole numbers (so 3.0
/// is not mistaken for the integer 3), exponent form for very large or small magnitudes.
pub fn format_real(out: &mut String, f: f64) {
    if !f.is_finite() {
        out.push_str(if f.is_nan() {
            "NaN"
        } else if f > 0.0 {
            "Inf"
        } else {
            "-Inf"
        });
        return;
    }
    let a = f.abs();
    if a != 0.0 && !(1e-5..1e16).contains(&a) {
        let _ = write!(out, "{f:e}");
    } else {
        let start = out.len();
        let _ = write!(out, "{f}");
        if !out[start..].contains(['.', 'e']) {
            out.push_str(".0");
        }
    }
}

pub fn sqlite_row(row: &sqlx::sqlite::SqliteRow, out: &mut RowBuf) {
    out.clear();
    for i in 0..row.len() {
        let Ok(v) = row.try_get_raw(i) else {
            out.push_null();
            continue;
        };
        if v.is_null() {
            out.push_null();
            continue;
        }
        let class = v.type_info().name().to_string();
        match class.as_str() {
            "INTEGER" => {
                let n = <i64 as Decode<sqlx::Sqlite>>::decode(v).unwrap_or_default();
                let _ = write!(out.cell_text(), "{n}");
            }
            "REAL" => format_real(out.cell_text(), <f64 as Decode<sqlx::Sqlite>>::decode(v).unwrap_or_default()),
            "BLOB" => {
                let b = <&[u8] as Decode<sqlx::Sqlite>>::decode(v).unwrap_or_default();
                hex_into(out.cell_text(), b);
            }
            _ => {
                // TEXT; a value that is not valid UTF-8 is shown as hex rather than dropped.
                if let Ok(b) = <&[u8] as Decode<sqlx::Sqlite>>::decode(v) {
                    match std::str::from_utf8(b) {
                        Ok(s) => out.cell_text().push_str(s),
                        Err(_) => hex_into(out.cell_text(), b),
                    }
                }
            }
        }
        out.end_cell();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reals_read_back_exactly() {
        for f in [0.1, 3.0, -2.5, 1e20, 1.5e-7, 123456.789, f64::MAX, 0.0] {
            let mut s = String::new();
            format_real(&mut s, f);
            assert_eq!(s.parse::<f64>().unwrap(), f, "{s}");
        }
        let mut s = String::new();
        format_real(&mut s, 3.0);
        assert_eq!(s, "3.0");
    }

    #[test]
    fn hex() {
        let mut s = String::new();
        hex_into(&mut s, &[0, 0xab, 0x10]);
        assert_eq!(s, "\\x00ab10");
    }
}
