//! Type mapping between engines. Each source column gets a target type and a cast, chosen from its declared type
//! and — where the declaration does not settle it (SQLite accepts any value in any column; MySQL's tinyint(1),
//! zero dates and unsigned ranges) — from the values actually present (`Probe`). The reason for each choice is
//! kept, and lossy or unsupported conversions say so.
use serde::{Deserialize, Serialize};

use crate::core::catalog::{Column, TypeFamily};
use crate::core::profile::Engine;

/// How a source value becomes a target value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cast {
    /// The value's text as it is.
    AsIs,
    /// Any integer text; other text is rejected.
    Int,
    Float,
    Decimal,
    /// 0/1, t/f, true/false, yes/no (any case).
    Bool,
    /// A date and time in any common form (ISO 8601 with `T` or a space, fractions, `Z` or an offset); no offset
    /// is read as UTC. Unparsable values are rejected.
    Timestamptz,
    Timestamp,
    Date,
    /// Valid JSON, else rejected.
    Json,
    Uuid,
    /// Bytes (shown as `\x…` hex); text values are taken as their UTF-8 bytes.
    Bytes,
    /// Anything as text (blobs as hex).
    Text,
    /// MySQL zero dates (`0000-00-00…`) become NULL, counted in the report.
    ZeroDateNull,
    /// A time of day, as it is (compared by its value: `10:00:00.5` is `10:00:00.500000`).
    Time,
}

/// What the data in one column looks like (from one aggregate query per table).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    pub rows: i64,
    pub nulls: i64,
    pub ints: i64,
    pub reals: i64,
    pub texts: i64,
    pub blobs: i64,
    pub max_len: i64,
    pub min_int: Option<i64>,
    pub max_int: Option<i64>,
    /// Text values that do not parse as a date/time.
    pub bad_timestamps: i64,
    /// Text values that are a date only.
    pub dates_only: i64,
    pub bad_json: i64,
    /// Text values that start like a JSON object or array.
    pub json_like: i64,
    pub bad_uuid: i64,
    /// Values other than 0 and 1.
    pub not_bool: i64,
    pub zero_dates: i64,
    /// Values that hold a time zone or offset.
    pub with_zone: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub target_type: String,
    pub cast: Cast,
    pub reason: String,
    /// Set when values may change or be refused.
    pub lossy: Option<String>,
}

fn m(target_type: &str, cast: Cast, reason: impl Into<String>) -> Mapping {
    Mapping { target_type: target_type.to_string(), cast, reason: reason.into(), lossy: None }
}

fn lossy(mut x: Mapping, why: impl Into<String>) -> Mapping {
    x.lossy = Some(why.into());
    x
}

/// The declared-type affinity SQLite applies (its rules, in order).
pub fn sqlite_affinity(decl: &str) -> &'static str {
    let d = decl.to_ascii_uppercase();
    if d.contains("INT") {
        "INTEGER"
    } else if d.contains("CHAR") || d.contains("CLOB") || d.contains("TEXT") {
        "TEXT"
    } else if d.is_empty() || d.contains("BLOB") {
        "BLOB"
    } else if d.contains("REAL") || d.contains("FLOA") || d.contains("DOUB") {
        "REAL"
    } else {
        "NUMERIC"
    }
}

/// Maps one column. `indexed` columns toward MySQL need a bounded VARCHAR rather than TEXT.
pub fn map(src: Engine, dst: Engine, col: &Column, p: &Probe, indexed: bool, in_pk: bool) -> Mapping {
    let decl = col.data_type.to_ascii_lowercase();
    let non_null = p.rows - p.nulls;
    // SQLite: the declaration is a hint; the values decide.
    if src == Engine::Sqlite {
        return map_sqlite(dst, col, &decl, p, non_null, indexed, in_pk);
    }
    if src == Engine::Duckdb
        && let Some(x) = map_duckdb(dst, col, p, indexed)
    {
        return x;
    }
    let f = col.type_family;
    // The same server engine (a dump, a copy): the declared type, values as they are (zero dates included).
    if src == dst {
        // Binary values arrive as `\x…` hex: written as bytes (MySQL X'…'), never as that text.
        // Integers as integers: an identity or AUTO_INCREMENT column stays one.
        let cast = match f {
            TypeFamily::Binary => Cast::Bytes,
            TypeFamily::Integer => Cast::Int,
            _ => Cast::AsIs,
        };
        return m(&col.data_type, cast, "same engine: the declared type");
    }
    if src == Engine::Mysql {
        if decl.starts_with("tinyint(1)") && p.not_bool == 0 {
            return to(dst, TypeFamily::Boolean, col, p, indexed)
                .with_reason("tinyint(1) holding only 0 and 1 → boolean");
        }
        if matches!(f, TypeFamily::Date | TypeFamily::Timestamp | TypeFamily::TimestampTz) && p.zero_dates > 0 {
            let mut x = to(dst, f, col, p, indexed);
            x.cast = Cast::ZeroDateNull;
            return lossy(
                x.with_reason(format!("{} → {}", col.data_type, "date/time")),
                format!("{} zero date(s) become NULL", p.zero_dates),
            );
        }
        if decl.contains("unsigned") && dst != Engine::Mysql {
            let wider = if decl.starts_with("bigint") {
                "numeric(20)"
            } else if decl.starts_with("int") || decl.starts_with("mediumint") {
                "bigint"
            } else {
                "integer"
            };
            return m(
                wider,
                if wider.starts_with("numeric") { Cast::Decimal } else { Cast::Int },
                format!("{} → {wider} (the next wider signed type holds every unsigned value)", col.data_type),
            );
        }
        if decl.starts_with("enum(") && dst == Engine::Postgres {
            return m("text", Cast::AsIs, format!("{} → text with a CHECK on its values", col.data_type));
        }
    }
    // Text on a server: what every value is (probed), as for SQLite.
    if f == TypeFamily::Text && src != dst && non_null > 0 && !decl.starts_with("enum") {
        let declared = &col.data_type;
        if p.bad_uuid == 0 {
            return to(dst, TypeFamily::Uuid, col, p, indexed).with_reason(format!("{declared}: every value a UUID"));
        }
        if p.bad_json == 0 && p.json_like == non_null {
            return to(dst, TypeFamily::Json, col, p, indexed)
                .with_reason(format!("{declared}: every value a JSON document"));
        }
        if p.bad_timestamps == 0 {
            if p.dates_only == non_null {
                return to(dst, TypeFamily::Date, col, p, indexed)
                    .with_reason(format!("{declared}: every value a date"));
            }
            return to(dst, TypeFamily::TimestampTz, col, p, indexed)
                .with_reason(format!("{declared}: every value a date and time (no offset read as UTC)"));
        }
    }
    to(dst, f, col, p, indexed).with_reason(format!("{} ({:?}) → by type family", col.data_type, f))
}

/// DuckDB types with no same-named family on the targets; None leaves a column to the families.
fn map_duckdb(dst: Engine, col: &Column, p: &Probe, indexed: bool) -> Option<Mapping> {
    let u = col.data_type.trim().to_ascii_uppercase();
    let declared = &col.data_type;
    if u.ends_with(']') || u.starts_with("STRUCT") || u.starts_with("MAP") || u.starts_with("UNION") {
        let mut x = to(dst, TypeFamily::Json, col, p, indexed);
        x.cast = Cast::Json;
        let t = x.target_type.clone();
        return Some(x.with_reason(format!("{declared} → {t} (lists as JSON arrays, structs and maps as objects)")));
    }
    let pick = |pg: &str, my: &str, lite: &str| match dst {
        Engine::Mysql => my.to_string(),
        Engine::Sqlite => lite.to_string(),
        _ => pg.to_string(),
    };
    let exact = |digits: u32| {
        let t = pick(&format!("numeric({digits})"), &format!("decimal({digits})"), "TEXT");
        m(&t, Cast::Decimal, format!("{declared} → {t} (every value exact)"))
    };
    Some(match u.as_str() {
        "HUGEINT" | "UHUGEINT" => exact(39),
        "UBIGINT" => exact(20),
        "UINTEGER" => {
            let t = pick("bigint", "int unsigned", "INTEGER");
            m(&t, Cast::Int, format!("{declared} → {t} (holds every unsigned value)"))
        }
        "USMALLINT" => {
            let t = pick("integer", "smallint unsigned", "INTEGER");
            m(&t, Cast::Int, format!("{declared} → {t} (holds every unsigned value)"))
        }
        "UTINYINT" | "TINYINT" => {
            let t = pick("smallint", if u == "TINYINT" { "tinyint" } else { "tinyint unsigned" }, "INTEGER");
            m(&t, Cast::Int, format!("{declared} → {t}"))
        }
        "TIMESTAMP" | "TIMESTAMP_S" | "TIMESTAMP_MS" | "TIMESTAMP_NS" | "DATETIME" => {
            let x = to(dst, TypeFamily::TimestampTz, col, p, indexed);
            let t = x.target_type.clone();
            let x = x.with_reason(format!("{declared} (no zone) → {t}, read as UTC"));
            if u == "TIMESTAMP_NS" { lossy(x, "nanoseconds are cut to microseconds") } else { x }
        }
        "TIME WITH TIME ZONE" if dst == Engine::Postgres => m("timetz", Cast::AsIs, format!("{declared} → timetz")),
        "BIT" => lossy(
            m(&pick("varbit", "longtext", "TEXT"), Cast::AsIs, format!("{declared} → bits as text of 0 and 1")),
            "kept as a string of 0 and 1 outside PostgreSQL",
        ),
        _ => return None,
    })
}

trait Reason {
    fn with_reason(self, r: impl Into<String>) -> Mapping;
}
impl Reason for Mapping {
    fn with_reason(mut self, r: impl Into<String>) -> Mapping {
        self.reason = r.into();
        self
    }
}

fn varchar_for(p: &Probe) -> String {
    // Toward MySQL an indexed text column needs a length: the longest value, rounded up, at least 64.
    let n = (p.max_len.max(1) as f64 * 1.25).ceil() as i64;
    format!("varchar({})", n.clamp(64, 768))
}

/// The target type of a type family.
fn to(dst: Engine, f: TypeFamily, col: &Column, p: &Probe, indexed: bool) -> Mapping {
    use TypeFamily as F;
    let decl = col.data_type.to_ascii_lowercase();
    let keep_params = |base: &str| -> String {
        match (decl.find('('), decl.rfind(')')) {
            (Some(a), Some(b)) if b > a => format!("{base}{}", &decl[a..=b]),
            _ => base.to_string(),
        }
    };
    match dst {
        Engine::Postgres | Engine::Duckdb => match f {
            F::Integer => {
                let t = if decl.starts_with("bigint") || decl.starts_with("int8") {
                    "bigint"
                } else if decl.starts_with("smallint") || decl.starts_with("tinyint") {
                    "smallint"
                } else if p.max_int.unwrap_or(0) > i32::MAX as i64 || p.min_int.unwrap_or(0) < i32::MIN as i64 {
                    "bigint"
                } else {
                    "integer"
                };
                m(t, Cast::Int, "")
            }
            F::Decimal => m(&keep_params("numeric"), Cast::Decimal, ""),
            F::Float => m(
                if decl.starts_with("float") && !decl.contains("double") { "real" } else { "double precision" },
                Cast::Float,
                "",
            ),
            F::Boolean => m("boolean", Cast::Bool, ""),
            F::Text => m(
                if decl.starts_with("varchar") || decl.starts_with("character varying") { &decl } else { "text" },
                Cast::AsIs,
                "",
            ),
            F::Binary => m("bytea", Cast::Bytes, ""),
            F::Date => m("date", Cast::Date, ""),
            F::Time => m("time", Cast::Time, ""),
            F::Timestamp => m("timestamp", Cast::Timestamp, ""),
            F::TimestampTz => m("timestamptz", Cast::Timestamptz, ""),
            F::Interval => m("interval", Cast::AsIs, ""),
            F::Json => m("jsonb", Cast::Json, ""),
            F::Uuid => m("uuid", Cast::Uuid, ""),
            F::Enum => m("text", Cast::AsIs, ""),
            F::Array => m(&col.data_type, Cast::AsIs, ""),
            F::Network => m(&col.data_type, Cast::AsIs, ""),
            F::Geometry | F::Other => lossy(
                m("text", Cast::Text, ""),
                format!("{} has no PostgreSQL equivalent: kept as text", col.data_type),
            ),
        },
        Engine::Mysql => match f {
            F::Integer => m(
                if decl.starts_with("smallint") {
                    "smallint"
                } else if decl.starts_with("int") && !decl.starts_with("int8") || decl.starts_with("integer") {
                    "int"
                } else {
                    "bigint"
                },
                Cast::Int,
                "",
            ),
            F::Decimal => m(&keep_params("decimal"), Cast::Decimal, ""),
            F::Float => m("double", Cast::Float, ""),
            F::Boolean => m("boolean", Cast::Bool, ""),
            F::Text if indexed => m(&varchar_for(p), Cast::AsIs, ""),
            F::Text | F::Enum | F::Interval | F::Network | F::Array => m("longtext", Cast::Text, ""),
            F::Binary => m(if indexed { "varbinary(255)" } else { "longblob" }, Cast::Bytes, ""),
            F::Date => m("date", Cast::Date, ""),
            F::Time => m("time(6)", Cast::Time, ""),
            F::Timestamp => m("datetime(6)", Cast::Timestamp, ""),
            F::TimestampTz => lossy(m("datetime(6)", Cast::Timestamp, ""), "MySQL keeps no offset: stored as UTC"),
            F::Json => m("json", Cast::Json, ""),
            F::Uuid => m("char(36)", Cast::Uuid, ""),
            F::Geometry | F::Other => lossy(m("longtext", Cast::Text, ""), format!("{} kept as text", col.data_type)),
        },
        Engine::Sqlite => match f {
            F::Integer => m("INTEGER", Cast::Int, ""),
            F::Decimal => {
                // SQLite's NUMERIC keeps about 15 significant digits: wider decimals stay exact as text.
                let precision = decl.split(['(', ',', ')']).nth(1).and_then(|p| p.trim().parse::<u32>().ok());
                match precision {
                    Some(p) if p <= 15 => m("NUMERIC", Cast::Decimal, ""),
                    _ => m("TEXT", Cast::Decimal, "").with_reason("decimal wider than 15 digits: exact as text"),
                }
            }
            F::Float => m("REAL", Cast::Float, ""),
            F::Boolean => m("BOOLEAN", Cast::Bool, ""),
            F::Binary => m("BLOB", Cast::Bytes, ""),
            F::Date => m("DATE", Cast::Date, ""),
            F::Timestamp | F::TimestampTz => m("TIMESTAMP", Cast::AsIs, ""),
            F::Json => m("JSON", Cast::Json, ""),
            _ => m("TEXT", Cast::Text, ""),
        },
    }
}

fn map_sqlite(dst: Engine, col: &Column, decl: &str, p: &Probe, non_null: i64, indexed: bool, in_pk: bool) -> Mapping {
    let aff = sqlite_affinity(decl);
    let all = |n: i64| non_null > 0 && n == non_null;
    let declared = if col.data_type.is_empty() { "no declared type".to_string() } else { col.data_type.clone() };
    let fam = |f: TypeFamily| to(dst, f, col, p, indexed);
    // Every value decides first; the declared type breaks ties.
    if non_null == 0 {
        let f = match aff {
            "INTEGER" => TypeFamily::Integer,
            "REAL" => TypeFamily::Float,
            "NUMERIC" => TypeFamily::Decimal,
            "BLOB" if !col.data_type.is_empty() => TypeFamily::Binary,
            _ => TypeFamily::Text,
        };
        return fam(f).with_reason(format!("{declared}: no values; by SQLite's {aff} affinity"));
    }
    if all(p.ints) {
        if (decl.contains("bool")) && p.not_bool == 0 {
            return fam(TypeFamily::Boolean).with_reason(format!("{declared} holding only 0 and 1 → boolean"));
        }
        if decl.contains("bool") {
            return fam(TypeFamily::Integer).with_reason(format!("{declared} but values other than 0/1 → integer"));
        }
        let mut x = fam(TypeFamily::Integer);
        if dst == Engine::Postgres {
            x.target_type =
                if in_pk || p.max_int.unwrap_or(0) > i32::MAX as i64 || p.min_int.unwrap_or(0) < i32::MIN as i64 {
                    "bigint".into()
                } else {
                    "integer".into()
                };
        }
        return x.with_reason(format!("{declared}: every value an integer"));
    }
    if all(p.ints + p.reals) {
        if aff == "NUMERIC" && decl.contains("dec") || decl.contains("numeric") {
            return fam(TypeFamily::Decimal).with_reason(format!("{declared}: numbers, declared decimal"));
        }
        return fam(TypeFamily::Float).with_reason(format!("{declared}: every value a number"));
    }
    if all(p.blobs) {
        return fam(TypeFamily::Binary).with_reason(format!("{declared}: every value a blob"));
    }
    if all(p.texts) {
        if p.bad_uuid == 0 {
            return fam(TypeFamily::Uuid).with_reason(format!("{declared}: every value a UUID"));
        }
        if p.bad_json == 0 && (p.json_like == non_null || decl.contains("json")) {
            return fam(TypeFamily::Json).with_reason(format!("{declared}: every value valid JSON"));
        }
        if p.bad_timestamps == 0 {
            if p.dates_only == non_null {
                return fam(TypeFamily::Date).with_reason(format!("{declared}: every value a date"));
            }
            let why = if p.with_zone == non_null {
                "every value a date and time with an offset".to_string()
            } else if p.with_zone == 0 {
                "every value a date and time without an offset (read as UTC)".to_string()
            } else {
                "every value a date and time (those without an offset read as UTC)".to_string()
            };
            return fam(TypeFamily::TimestampTz).with_reason(format!("{declared}: {why}"));
        }
        let x = fam(TypeFamily::Text).with_reason(format!("{declared}: text"));
        return x;
    }
    // Mixed storage classes: the widest type that holds them all.
    if p.blobs > 0 {
        let mut x = fam(TypeFamily::Binary);
        x.cast = Cast::Bytes;
        return lossy(
            x.with_reason(format!("{declared}: mixed values including blobs → bytes")),
            "non-blob values stored as their text bytes",
        );
    }
    let mut x = fam(TypeFamily::Text);
    x.cast = Cast::Text;
    lossy(
        x.with_reason(format!(
            "{declared}: mixed values ({} integer, {} real, {} text) → text",
            p.ints, p.reals, p.texts
        )),
        "numbers become their text",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(t: &str) -> Column {
        Column {
            name: "c".into(),
            position: 1,
            data_type: t.into(),
            type_family: TypeFamily::Text,
            nullable: true,
            default: None,
            identity: None,
            generated: None,
            collation: None,
            comment: None,
        }
    }

    #[test]
    fn sqlite_by_values() {
        let p = |f: fn(&mut Probe)| {
            let mut p = Probe {
                rows: 10,
                texts: 10,
                bad_timestamps: 10,
                bad_json: 10,
                bad_uuid: 10,
                not_bool: 10,
                ..Default::default()
            };
            f(&mut p);
            p
        };
        let s = |decl: &str, pr: &Probe| map(Engine::Sqlite, Engine::Postgres, &col(decl), pr, false, false);
        assert_eq!(s("TEXT", &p(|p| p.bad_uuid = 0)).target_type, "uuid");
        assert_eq!(
            s(
                "TEXT",
                &p(|p| {
                    p.bad_json = 0;
                    p.json_like = 10
                })
            )
            .target_type,
            "jsonb"
        );
        assert_eq!(s("TEXT", &p(|p| p.bad_timestamps = 0)).target_type, "timestamptz");
        assert_eq!(
            s(
                "TEXT",
                &p(|p| {
                    p.bad_timestamps = 0;
                    p.dates_only = 10
                })
            )
            .target_type,
            "date"
        );
        assert_eq!(s("TEXT", &p(|p| p.bad_timestamps = 1)).target_type, "text");
        let ints = Probe { rows: 10, ints: 10, not_bool: 0, max_int: Some(1), min_int: Some(0), ..Default::default() };
        assert_eq!(s("BOOLEAN", &ints).target_type, "boolean");
        assert_eq!(s("whatever", &ints).target_type, "integer");
        let mixed = Probe { rows: 10, ints: 5, texts: 5, ..Default::default() };
        let x = s("INTEGER", &mixed);
        assert_eq!(x.target_type, "text");
        assert!(x.lossy.is_some() && x.reason.contains("mixed"), "{x:?}");
        assert_eq!(sqlite_affinity("VARCHAR(10)"), "TEXT");
        assert_eq!(sqlite_affinity("FLOATING POINT"), "INTEGER"); // "POINT" has INT
        assert_eq!(sqlite_affinity(""), "BLOB");
        assert_eq!(sqlite_affinity("DATETIME"), "NUMERIC");
    }

    #[test]
    fn mysql_rules() {
        let mut c = col("tinyint(1)");
        c.type_family = TypeFamily::Integer;
        let zero_one = Probe { rows: 3, not_bool: 0, ..Default::default() };
        assert_eq!(map(Engine::Mysql, Engine::Postgres, &c, &zero_one, false, false).target_type, "boolean");
        let mut u = col("bigint unsigned");
        u.type_family = TypeFamily::Integer;
        assert_eq!(
            map(Engine::Mysql, Engine::Postgres, &u, &Probe::default(), false, false).target_type,
            "numeric(20)"
        );
        let mut d = col("datetime");
        d.type_family = TypeFamily::Timestamp;
        let z = map(Engine::Mysql, Engine::Postgres, &d, &Probe { zero_dates: 2, ..Default::default() }, false, false);
        assert_eq!(z.cast, Cast::ZeroDateNull);
        assert!(z.lossy.unwrap().contains("2 zero date"));
        let t = col("text");
        let x = map(Engine::Postgres, Engine::Mysql, &t, &Probe { max_len: 100, ..Default::default() }, true, false);
        assert_eq!(x.target_type, "varchar(125)");
    }
}
