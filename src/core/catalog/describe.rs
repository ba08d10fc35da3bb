//! One-line descriptions of catalog objects, shared by `dbconsole schema` and the schema pane so both say the
//! same thing the same way.
use super::model::*;

pub fn column_extras(c: &Column) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(d) = &c.default {
        v.push(format!("default {d}"));
    }
    if let Some(i) = c.identity {
        v.push(format!("{i:?}").to_lowercase());
    }
    if let Some(g) = &c.generated {
        v.push(format!("generated ({g})"));
    }
    if let Some(co) = &c.collation {
        v.push(format!("collate {co}"));
    }
    v
}

pub fn key(kind: &str, k: &Key) -> String {
    format!("{kind} {}({})", k.name.as_deref().map(|n| format!("{n} ")).unwrap_or_default(), k.columns.join(", "))
}

pub fn index(ix: &Index) -> String {
    let parts: Vec<String> = ix
        .parts
        .iter()
        .map(|p| {
            let mut s = p.column.clone().or(p.expression.clone()).unwrap_or_default();
            if let Some(n) = p.prefix_length {
                s.push_str(&format!("({n})"));
            }
            if p.descending {
                s.push_str(" desc");
            }
            s
        })
        .collect();
    format!(
        "index {}{} ({}){}{}{}",
        if ix.unique { "unique " } else { "" },
        ix.name,
        parts.join(", "),
        ix.method.as_deref().map(|m| format!(" using {m}")).unwrap_or_default(),
        ix.predicate.as_deref().map(|p| format!(" where {p}")).unwrap_or_default(),
        if ix.constraint { " (constraint)" } else { "" }
    )
}

pub fn references(fk: &ForeignKey) -> String {
    format!(
        "({}) → {}.{}({}) on delete {} on update {}",
        fk.columns.join(", "),
        fk.referenced_schema,
        fk.referenced_table,
        fk.referenced_columns.join(", "),
        fk.on_delete.sql().to_lowercase(),
        fk.on_update.sql().to_lowercase()
    )
}

pub fn referenced_by(schema: &str, table: &str, fk: &ForeignKey) -> String {
    format!("{schema}.{table}({}) → ({})", fk.columns.join(", "), fk.referenced_columns.join(", "))
}

pub fn check(c: &Check) -> String {
    format!("check {}({})", c.name.as_deref().map(|n| format!("{n} ")).unwrap_or_default(), c.expression)
}

pub fn trigger(t: &Trigger) -> String {
    format!("trigger {} {} {}", t.name, t.timing.to_lowercase(), t.events.join(" or ").to_lowercase())
}

/// 1234567 → "1,234,567".
pub fn count(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

pub fn bytes(n: i64) -> String {
    let f = n as f64;
    if f >= 1e9 {
        format!("{:.1} GB", f / 1e9)
    } else if f >= 1e6 {
        format!("{:.1} MB", f / 1e6)
    } else if f >= 1e3 {
        format!("{:.0} kB", f / 1e3)
    } else {
        format!("{n} B")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers() {
        assert_eq!(super::count(1234567), "1,234,567");
        assert_eq!(super::count(-1000), "-1,000");
        assert_eq!(super::bytes(274_000), "274 kB");
    }
}
