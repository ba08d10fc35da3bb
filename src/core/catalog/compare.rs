//! Structural comparison of two catalogs: what a re-created schema must match. Volatile facts (row estimates,
//! sizes, versions, comments on engines that lose them) are ignored; schema names can be mapped.
use std::collections::BTreeMap;

use super::model::*;

/// The differences between `a` and `b`, one line each; empty when they are equivalent. `rename` maps a schema
/// name of `a` to its name in `b` (a MySQL database copied under another name, say).
pub fn differences(a: &Catalog, b: &Catalog, rename: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    let map = |s: &str| rename.get(s).cloned().unwrap_or_else(|| s.to_string());
    let bs: BTreeMap<&str, &Schema> = b.schemas.iter().map(|s| (s.name.as_str(), s)).collect();
    for sa in &a.schemas {
        let name = map(&sa.name);
        let Some(sb) = bs.get(name.as_str()) else {
            out.push(format!("schema {name}: missing"));
            continue;
        };
        let tb: BTreeMap<&str, &Table> = sb.tables.iter().map(|t| (t.name.as_str(), t)).collect();
        for ta in &sa.tables {
            let Some(t2) = tb.get(ta.name.as_str()) else {
                out.push(format!("{name}.{}: missing", ta.name));
                continue;
            };
            table(&mut out, &format!("{name}.{}", ta.name), ta, t2, &map);
        }
        for tb in &sb.tables {
            if !sa.tables.iter().any(|t| t.name == tb.name) {
                out.push(format!("{name}.{}: not in the original", tb.name));
            }
        }
        let ea: Vec<_> = sa.enums.iter().map(|e| (&e.name, &e.labels)).collect();
        let eb: Vec<_> = sb.enums.iter().map(|e| (&e.name, &e.labels)).collect();
        if ea != eb {
            out.push(format!("schema {name}: enum types differ: {ea:?} vs {eb:?}"));
        }
    }
    out
}

fn table(out: &mut Vec<String>, at: &str, a: &Table, b: &Table, map: &dyn Fn(&str) -> String) {
    fn diff(out: &mut Vec<String>, at: &str, what: &str, x: String, y: String) {
        if x != y {
            out.push(format!("{at}: {what}: {x} vs {y}"));
        }
    }
    diff(out, at, "kind", format!("{:?}", a.kind), format!("{:?}", b.kind));
    let cols = |t: &Table| {
        t.columns
            .iter()
            .map(|c| {
                format!(
                    "{} {} {:?} null={} default={:?} identity={:?} generated={:?} collation={:?}",
                    c.name, c.data_type, c.type_family, c.nullable, c.default, c.identity, c.generated, c.collation
                )
            })
            .collect::<Vec<_>>()
    };
    let (ca, cb) = (cols(a), cols(b));
    if ca != cb {
        for (x, y) in ca.iter().zip(cb.iter()) {
            if x != y {
                out.push(format!("{at}: column: {x} vs {y}"));
            }
        }
        if ca.len() != cb.len() {
            out.push(format!("{at}: {} columns vs {}", ca.len(), cb.len()));
        }
    }
    diff(out, at, "primary key", format!("{:?}", a.primary_key), format!("{:?}", b.primary_key));
    let keys = |t: &Table| {
        let mut v: Vec<_> = t.unique_constraints.iter().map(|k| format!("{:?}", k)).collect();
        v.sort();
        v
    };
    diff(out, at, "unique constraints", format!("{:?}", keys(a)), format!("{:?}", keys(b)));
    let idx = |t: &Table| {
        let mut v: Vec<_> = t
            .indexes
            .iter()
            .map(|i| {
                format!(
                    "{} {:?} unique={} constraint={} where={:?} method={:?}",
                    i.name, i.parts, i.unique, i.constraint, i.predicate, i.method
                )
            })
            .collect();
        v.sort();
        v
    };
    diff(out, at, "indexes", format!("{:?}", idx(a)), format!("{:?}", idx(b)));
    let fks = |t: &Table, m: &dyn Fn(&str) -> String| {
        let mut v: Vec<_> = t
            .foreign_keys
            .iter()
            .map(|f| {
                format!(
                    "{:?} {:?} -> {}.{} {:?} delete={:?} update={:?}",
                    f.name,
                    f.columns,
                    m(&f.referenced_schema),
                    f.referenced_table,
                    f.referenced_columns,
                    f.on_delete,
                    f.on_update
                )
            })
            .collect();
        v.sort();
        v
    };
    let ident = |s: &str| s.to_string();
    diff(out, at, "foreign keys", format!("{:?}", fks(a, map)), format!("{:?}", fks(b, &ident)));
    let checks = |t: &Table| {
        let mut v: Vec<_> = t.checks.iter().map(|c| format!("{:?} {}", c.name, c.expression)).collect();
        v.sort();
        v
    };
    diff(out, at, "checks", format!("{:?}", checks(a)), format!("{:?}", checks(b)));
    let trig = |t: &Table| {
        let mut v: Vec<_> = t.triggers.iter().map(|x| format!("{} {} {:?}", x.name, x.timing, x.events)).collect();
        v.sort();
        v
    };
    diff(out, at, "triggers", format!("{:?}", trig(a)), format!("{:?}", trig(b)));
    diff(out, at, "without rowid", a.without_rowid.to_string(), b.without_rowid.to_string());
    diff(out, at, "strict", a.strict.to_string(), b.strict.to_string());
    diff(out, at, "storage engine", format!("{:?}", a.storage_engine), format!("{:?}", b.storage_engine));
}
