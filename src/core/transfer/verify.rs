//! Verification: for every table, the row count and an order-independent checksum over a canonical form of each
//! row, computed on both sides — the source's values put through the plan's casts, the target's values as the
//! target returns them — then normalised per type (numbers, booleans, instants in UTC, JSON with sorted keys,
//! UUIDs and hex in lower case). When they differ, the rows are matched by key to list samples.
use std::collections::HashMap;

use super::convert::parse_timestamp;
use super::load::{self, Source};
use super::plan::{Plan, TablePlan};
use super::typemap::Cast;
use crate::core::catalog::quote;
use crate::core::engine::DbPool;
use crate::core::query::{Column, Flow, RowBuf, Session, Sink};

const CRC: crc::Crc<u64> = crc::Crc::<u64>::new(&crc::CRC_64_XZ);

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct TableCheck {
    pub table: String,
    pub source_rows: u64,
    /// Source rows the casts refuse (they are in the reject file, not on the target).
    pub source_rejected: u64,
    pub target_rows: u64,
    pub source_checksum: String,
    pub target_checksum: String,
    pub ok: bool,
    /// Sample keys: missing on the target, only on the target, different.
    pub missing: Vec<String>,
    pub extra: Vec<String>,
    pub different: Vec<String>,
}

fn canon_json(v: &serde_json::Value, out: &mut String) {
    match v {
        serde_json::Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).unwrap_or_default());
                out.push(':');
                canon_json(&m[k.as_str()], out);
            }
            out.push('}');
        }
        serde_json::Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canon_json(x, out);
            }
            out.push(']');
        }
        serde_json::Value::Number(n) => {
            out.push_str(&n.as_f64().map(|f| f.to_string()).unwrap_or_else(|| n.to_string()))
        }
        other => out.push_str(&other.to_string()),
    }
}

fn canon_decimal(s: &str) -> String {
    let t = s.trim().trim_start_matches('+');
    let t = if t.contains('.') { t.trim_end_matches('0').trim_end_matches('.') } else { t };
    if t == "-0" || t.is_empty() { "0".into() } else { t.to_string() }
}

/// `HH:MM:SS[.fraction][zone]` with the fraction's trailing zeros (and a bare dot) dropped.
fn canon_time(v: &str) -> String {
    let t = v.trim();
    let Some(dot) = t.find('.') else { return t.to_string() };
    let digits = t[dot + 1..].bytes().take_while(u8::is_ascii_digit).count();
    let (frac, rest) = t[dot + 1..].split_at(digits);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() { format!("{}{rest}", &t[..dot]) } else { format!("{}.{frac}{rest}", &t[..dot]) }
}

/// A value in a form both sides agree on.
pub fn canonical(cast: Cast, v: &str) -> String {
    match cast {
        Cast::Int => v.trim().parse::<i128>().map(|n| n.to_string()).unwrap_or_else(|_| v.to_string()),
        Cast::Float => v.trim().parse::<f64>().map(|f| f.to_string()).unwrap_or_else(|_| v.to_string()),
        Cast::Decimal => canon_decimal(v),
        Cast::Bool => match v.trim().to_ascii_lowercase().as_str() {
            "1" | "t" | "true" | "yes" | "y" | "on" => "t".into(),
            _ => "f".into(),
        },
        Cast::Timestamptz | Cast::Timestamp | Cast::ZeroDateNull => {
            parse_timestamp(v).map(|d| d.format("%Y-%m-%d %H:%M:%S%.6f").to_string()).unwrap_or_else(|| v.to_string())
        }
        Cast::Date => v.get(..10).unwrap_or(v).to_string(),
        Cast::Json => match serde_json::from_str::<serde_json::Value>(v) {
            Ok(j) => {
                let mut s = String::new();
                canon_json(&j, &mut s);
                s
            }
            Err(_) => v.to_string(),
        },
        Cast::Uuid | Cast::Bytes => v.to_ascii_lowercase(),
        Cast::Time => canon_time(v),
        Cast::AsIs | Cast::Text => v.to_string(),
    }
}

#[derive(Default)]
struct Digest {
    rows: u64,
    sum: u64,
    xor: u64,
    /// key → row hash (second pass only).
    by_key: Option<HashMap<String, u64>>,
}

impl Digest {
    fn add(&mut self, key: String, cells: &[Option<String>]) {
        let mut d = CRC.digest();
        for c in cells {
            match c {
                None => d.update(b"\x00"),
                Some(s) => d.update(s.as_bytes()),
            }
            d.update(b"\x1f");
        }
        let h = d.finalize();
        self.rows += 1;
        self.sum = self.sum.wrapping_add(h);
        self.xor ^= h.rotate_left((h % 64) as u32);
        if let Some(m) = &mut self.by_key {
            m.insert(key, h);
        }
    }
    fn checksum(&self) -> String {
        format!("{:016x}{:016x}", self.sum, self.xor)
    }
}

async fn source_digest(plan: &Plan, t: &TablePlan, source: &Source, keep: bool) -> Result<(Digest, u64), String> {
    let sql = load::source_sql(plan, t, None);
    let (mut rx, reader) = load::spawn_reader(source.clone(), sql, t.columns.len(), 10_000);
    let mut d = Digest { by_key: keep.then(HashMap::new), ..Default::default() };
    let mut rejected = 0;
    while let Some(batch) = rx.recv().await {
        for r in 0..batch.rows.len() {
            match load::convert_row(t, plan.target_engine, &batch, r) {
                Ok(values) => {
                    let cells: Vec<Option<String>> = t
                        .columns
                        .iter()
                        .zip(values.iter())
                        .map(|(c, v)| v.as_ref().map(|s| canonical(c.cast, s)))
                        .collect();
                    let key = serde_json::to_string(&load::key_of(t, &batch, r)).unwrap_or_default();
                    d.add(key, &cells);
                }
                Err(_) => rejected += 1,
            }
        }
    }
    reader.await.map_err(|e| e.to_string())??;
    Ok((d, rejected))
}

struct TargetSink<'a> {
    t: &'a TablePlan,
    d: &'a mut Digest,
    key_idx: Vec<usize>,
}

impl Sink for TargetSink<'_> {
    fn columns(&mut self, _c: Vec<Column>) {}
    fn row(&mut self, row: &RowBuf) -> Flow {
        let cells: Vec<Option<String>> =
            self.t.columns.iter().enumerate().map(|(i, c)| row.get(i).map(|s| canonical(c.cast, s))).collect();
        let key = if self.d.by_key.is_some() {
            // The key as the source wrote it: map the target value back through the canonical form.
            let k: Vec<Option<String>> = self.key_idx.iter().map(|&i| row.get(i).map(str::to_string)).collect();
            serde_json::to_string(&k).unwrap_or_default()
        } else {
            String::new()
        };
        self.d.add(key, &cells);
        Flow::Continue
    }
    async fn more(&mut self) -> bool {
        true
    }
}

async fn target_digest(plan: &Plan, t: &TablePlan, target: &DbPool, keep: bool) -> Result<Digest, String> {
    let e = plan.target_engine;
    let cols: Vec<String> = t.columns.iter().map(|c| quote::ident(e, &c.target)).collect();
    let mut sql = format!("SELECT {} FROM {}", cols.join(", "), super::ddl::table_name(plan, t));
    let conds: Vec<String> = t
        .extra_columns
        .iter()
        .map(|x| format!("{} = {}", quote::ident(e, &x.name), quote::literal(e, &x.value)))
        .collect();
    if !conds.is_empty() {
        sql.push_str(&format!(" WHERE {}", conds.join(" AND ")));
    }
    let key_idx: Vec<usize> = t.key.iter().filter_map(|k| t.columns.iter().position(|c| &c.source == k)).collect();
    let mut d = Digest { by_key: keep.then(HashMap::new), ..Default::default() };
    let mut s = Session::open(target).await.map_err(|e| e.to_string())?;
    let r = s.run(&sql, &mut TargetSink { t, d: &mut d, key_idx }).await;
    s.close().await;
    r.map_err(|e| e.to_string())?;
    Ok(d)
}

pub async fn verify_table(plan: &Plan, t: &TablePlan, source: &Source, target: &DbPool) -> Result<TableCheck, String> {
    let (src, rejected) = source_digest(plan, t, source, false).await?;
    let dst = target_digest(plan, t, target, false).await?;
    let mut check = TableCheck {
        table: t.source.clone(),
        source_rows: src.rows + rejected,
        source_rejected: rejected,
        target_rows: dst.rows,
        source_checksum: src.checksum(),
        target_checksum: dst.checksum(),
        ok: src.rows == dst.rows && src.sum == dst.sum && src.xor == dst.xor,
        ..Default::default()
    };
    if !check.ok && !t.key.is_empty() {
        // Second pass: match rows by key for samples.
        let (src, _) = source_digest(plan, t, source, true).await?;
        let dst = target_digest(plan, t, target, true).await?;
        let (s, d) = (src.by_key.unwrap_or_default(), dst.by_key.unwrap_or_default());
        let canon_key = |k: &str| -> String {
            let v: Vec<Option<String>> = serde_json::from_str(k).unwrap_or_default();
            let casts: Vec<Cast> =
                t.key.iter().filter_map(|k| t.columns.iter().find(|c| &c.source == k).map(|c| c.cast)).collect();
            let c: Vec<Option<String>> =
                v.iter().zip(casts).map(|(x, c)| x.as_ref().map(|x| canonical(c, x))).collect();
            serde_json::to_string(&c).unwrap_or_default()
        };
        let d: HashMap<String, u64> = d.into_iter().map(|(k, h)| (canon_key(&k), h)).collect();
        let s: HashMap<String, u64> = s.into_iter().map(|(k, h)| (canon_key(&k), h)).collect();
        for (k, h) in &s {
            match d.get(k) {
                None if check.missing.len() < 10 => check.missing.push(k.clone()),
                Some(x) if x != h && check.different.len() < 10 => check.different.push(k.clone()),
                _ => {}
            }
        }
        for k in d.keys() {
            if !s.contains_key(k) && check.extra.len() < 10 {
                check.extra.push(k.clone());
            }
        }
        check.missing.sort();
        check.extra.sort();
        check.different.sort();
    }
    Ok(check)
}

pub async fn verify(plan: &Plan, source: &Source, target: &DbPool) -> Result<Vec<TableCheck>, String> {
    let mut out = Vec::new();
    for t in &plan.tables {
        out.push(verify_table(plan, t, source, target).await.map_err(|e| format!("{}: {e}", t.source))?);
    }
    Ok(out)
}
