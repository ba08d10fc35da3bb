//! Resume keys: the last key a committed batch ends at, stored with the class it was read as, written back as a
//! literal of the side it goes to, and looked for on the target to settle a batch a run left pending.
use super::convert::{Class, convert};
use super::load::Batch;
use super::plan::{Plan, TablePlan};
use crate::core::catalog::quote;
use crate::core::engine::DbPool;
use crate::core::profile::Engine;

/// `\x` followed by an even number of hex digits: bytes as the loaders write them.
pub(crate) fn is_hex_bytes(s: &str) -> bool {
    s.strip_prefix("\\x").is_some_and(|h| h.len() % 2 == 0 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A key value with the class it was read as, so that a resume compares it as the source stores it (an integer
/// key against a number, not against text; a blob against bytes).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyValue {
    Null,
    Int(String),
    Real(String),
    Text(String),
    /// `\x` hex.
    Blob(String),
}

impl KeyValue {
    fn class(&self) -> Class {
        match self {
            KeyValue::Null => Class::Null,
            KeyValue::Int(_) => Class::Int,
            KeyValue::Real(_) => Class::Real,
            KeyValue::Text(_) => Class::Text,
            KeyValue::Blob(_) => Class::Blob,
        }
    }

    fn text(&self) -> &str {
        match self {
            KeyValue::Null => "",
            KeyValue::Int(v) | KeyValue::Real(v) | KeyValue::Text(v) | KeyValue::Blob(v) => v,
        }
    }

    /// The value as a literal of `engine`, for the side it was read from.
    pub(crate) fn literal(&self, engine: Engine) -> String {
        match self {
            KeyValue::Null => "NULL".into(),
            KeyValue::Int(v) | KeyValue::Real(v) if is_number(v) => v.clone(),
            KeyValue::Blob(v) if is_hex_bytes(v) => bytes_literal(engine, v),
            other => quote::literal(engine, other.text()),
        }
    }
}

/// A number as SQL writes it (digits, one sign, a point, an exponent): safe to write bare.
fn is_number(v: &str) -> bool {
    !v.is_empty()
        && v.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        && v.parse::<f64>().is_ok()
}

/// A target column type that holds numbers (a number is compared with it bare; with text, as text).
fn numeric_type(t: &str) -> bool {
    let t = t.to_ascii_lowercase();
    ["int", "numeric", "decimal", "real", "double", "float", "serial", "number"].iter().any(|n| t.contains(n))
}

/// `\x…` bytes as a literal of `engine`.
pub(crate) fn bytes_literal(engine: Engine, hex: &str) -> String {
    match engine {
        Engine::Postgres => format!("'{hex}'::bytea"),
        // DuckDB reads X'…' as text: from_hex gives the bytes.
        Engine::Duckdb => format!("from_hex('{}')", &hex[2..]),
        _ => format!("X'{}'", &hex[2..]),
    }
}

/// A stored key: the typed form, or the plain strings earlier versions wrote (read as text).
pub fn parse_key(json: &str) -> Option<Vec<KeyValue>> {
    let v: Vec<serde_json::Value> = serde_json::from_str(json).ok()?;
    v.into_iter()
        .map(|x| match x {
            serde_json::Value::Null => Some(KeyValue::Null),
            serde_json::Value::String(s) => Some(KeyValue::Text(s)),
            other => serde_json::from_value(other).ok(),
        })
        .collect()
}

pub(crate) fn typed_key_of(t: &TablePlan, batch: &Batch, r: usize) -> Vec<KeyValue> {
    t.key
        .iter()
        .map(|k| {
            let Some(i) = t.columns.iter().position(|c| &c.source == k) else { return KeyValue::Null };
            match (batch.rows.get(r, i), batch.class(r, i)) {
                (None, _) | (_, Class::Null) => KeyValue::Null,
                (Some(v), Class::Int) => KeyValue::Int(v.to_string()),
                (Some(v), Class::Real) => KeyValue::Real(v.to_string()),
                (Some(v), Class::Blob | Class::BadText) => KeyValue::Blob(v.to_string()),
                (Some(v), Class::Text) => KeyValue::Text(v.to_string()),
            }
        })
        .collect()
}

pub(crate) fn key_of(t: &TablePlan, batch: &Batch, r: usize) -> Vec<Option<String>> {
    t.key
        .iter()
        .map(|k| t.columns.iter().position(|c| &c.source == k).and_then(|i| batch.rows.get(r, i)).map(str::to_string))
        .collect()
}

/// Whether the row with these key values (source values, converted) is on the target.
pub(super) async fn on_target(plan: &Plan, t: &TablePlan, target: &DbPool, key: &[KeyValue]) -> Result<bool, String> {
    let dst = plan.target_engine;
    let mut conds = Vec::new();
    for (k, v) in t.key.iter().zip(key) {
        let Some(col) = t.columns.iter().find(|c| &c.source == k) else { continue };
        let name = quote::ident(dst, &col.target);
        // Converted as the load converted it, then written as the target stores it.
        let conv = match convert(col.cast, v.class(), v.text(), dst) {
            Ok(Some(c)) => c.into_owned(),
            Ok(None) => {
                conds.push(format!("{name} IS NULL"));
                continue;
            }
            Err(_) => v.text().to_string(),
        };
        let lit = match v {
            _ if is_hex_bytes(&conv) && (col.cast == super::typemap::Cast::Bytes || v.class() == Class::Blob) => {
                bytes_literal(dst, &conv)
            }
            KeyValue::Int(_) | KeyValue::Real(_) if is_number(&conv) && numeric_type(&col.target_type) => conv,
            _ => quote::literal(dst, &conv),
        };
        conds.push(format!("{name} = {lit}"));
    }
    for x in t.extra_columns.iter().filter(|x| x.in_key) {
        conds.push(format!("{} = {}", quote::ident(dst, &x.name), quote::literal(dst, &x.value)));
    }
    let sql = format!("SELECT count(*) FROM {} WHERE {}", super::ddl::table_name(plan, t), conds.join(" AND "));
    let n: i64 = super::scalar(target, &sql).await?;
    Ok(n > 0)
}
