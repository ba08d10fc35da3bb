//! The table data browser's SQL: one page of a table's rows, in primary-key order, paged by keyset (the next page
//! starts after the last key seen, so page 1,000 costs what page 1 costs: one index range scan); with a filter (a
//! WHERE expression, checked before it runs) and a sort by another column (paged by OFFSET then, said so).
//! Every name is quoted for the engine and every key value re-emitted as a literal of the engine's: nothing from
//! the table is pasted into the SQL as text.
use crate::core::catalog::quote;
use crate::core::profile::Engine;
use crate::core::query::Kind;
use crate::core::sql::lex::{Tok, tokens};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Browse {
    pub engine: Engine,
    pub schema: String,
    pub table: String,
    /// The primary key's columns, in order (empty: no key, pages by OFFSET).
    pub key: Vec<String>,
    /// A WHERE expression (checked by `check_filter`).
    pub filter: Option<String>,
    /// Sort by this column (descending when true) instead of the key.
    pub order: Option<(String, bool)>,
    pub page_size: usize,
}

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    Start,
    /// After this key (one value per key column, with whether it is a number).
    After(Vec<(String, bool)>),
    Offset(u64),
}

impl Browse {
    /// Whether pages go by key (not OFFSET).
    pub fn keyset(&self) -> bool {
        !self.key.is_empty() && self.order.is_none()
    }

    /// The SELECT for the page that starts at `bound`.
    pub fn sql(&self, bound: &Bound) -> String {
        let e = self.engine;
        let mut sql = format!("SELECT * FROM {}", quote::qualified(e, &self.schema, &self.table));
        let mut conds = Vec::new();
        if let Some(f) = self.filter.as_deref().filter(|f| !f.trim().is_empty()) {
            conds.push(format!("({})", f.trim()));
        }
        if let Bound::After(values) = bound
            && values.len() == self.key.len()
        {
            conds.push(after(e, &self.key, values));
        }
        if !conds.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conds.join(" AND "));
        }
        let key = |k: &String| quote::ident(e, k);
        let order: Vec<String> = match &self.order {
            Some((col, desc)) => {
                let dir = if *desc { " DESC" } else { "" };
                // NULLs where each engine puts them; the key after it makes the order total, so OFFSET pages
                // neither repeat nor skip rows.
                std::iter::once(format!("{}{dir}", quote::ident(e, col)))
                    .chain(self.key.iter().filter(|k| *k != col).map(key))
                    .collect()
            }
            None => self.key.iter().map(key).collect(),
        };
        if !order.is_empty() {
            sql.push_str(" ORDER BY ");
            sql.push_str(&order.join(", "));
        }
        sql.push_str(&format!(" LIMIT {}", self.page_size));
        if let Bound::Offset(n) = bound
            && *n > 0
        {
            sql.push_str(&format!(" OFFSET {n}"));
        }
        sql
    }

    /// Where the page after one that ended with `last` (the key columns' values of its last row, with their
    /// kinds) starts: after that key, or at `offset` when pages go by OFFSET or a key value cannot be written
    /// as a literal (NULL, binary).
    pub fn next_bound(&self, last: &[(Option<String>, Kind)], offset: u64) -> Bound {
        if !self.keyset() || last.len() != self.key.len() {
            return Bound::Offset(offset);
        }
        let mut values = Vec::new();
        for (v, kind) in last {
            match (v, kind) {
                (Some(v), Kind::Number) if is_number(v) => values.push((v.clone(), true)),
                (Some(v), Kind::Text | Kind::Number | Kind::Temporal | Kind::Uuid) => values.push((v.clone(), false)),
                _ => return Bound::Offset(offset),
            }
        }
        Bound::After(values)
    }
}

fn is_number(v: &str) -> bool {
    let t = v.trim();
    !t.is_empty()
        && t.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
        && t.bytes().next().is_some_and(|b| b.is_ascii_digit() || b == b'-')
        && t.parse::<f64>().is_ok()
}

/// A value as a literal of `e`: a number bare, text quoted (SQLite text holding NUL as a cast blob, since a
/// string literal cannot hold it).
fn value(e: Engine, v: &str, number: bool) -> String {
    if number && is_number(v) {
        return v.trim().to_string();
    }
    if e != Engine::Mysql && v.contains('\0') {
        if e == Engine::Sqlite {
            let hex: String = v.bytes().map(|b| format!("{b:02X}")).collect();
            return format!("CAST(X'{hex}' AS TEXT)");
        }
        // PostgreSQL text cannot hold NUL, so no key is equal to it: compare with what comes before.
        return quote::literal(e, &v.replace('\0', ""));
    }
    quote::literal(e, v)
}

/// `(k1 > v1) OR (k1 = v1 AND k2 > v2) OR …`: rows after the key, written out so every engine uses the key's
/// index (MySQL does not always for a row-value comparison).
fn after(e: Engine, key: &[String], values: &[(String, bool)]) -> String {
    let mut ors = Vec::new();
    for i in 0..key.len() {
        let mut ands: Vec<String> =
            (0..i).map(|j| format!("{} = {}", quote::ident(e, &key[j]), value(e, &values[j].0, values[j].1))).collect();
        ands.push(format!("{} > {}", quote::ident(e, &key[i]), value(e, &values[i].0, values[i].1)));
        ors.push(format!("({})", ands.join(" AND ")));
    }
    format!("({})", ors.join(" OR "))
}

/// A filter must be one expression to go after WHERE: balanced parentheses, no `;`, no comment, no parameter,
/// and none of the words that would end the WHERE (UNION, ORDER BY, LIMIT …) outside parentheses.
pub fn check_filter(filter: &str, engine: Engine) -> Result<(), String> {
    if filter.contains('\0') {
        return Err("the filter holds a NUL character".into());
    }
    let mut depth = 0i64;
    for t in tokens(filter, engine) {
        let text = t.text(filter);
        match t.kind {
            Tok::Comment => return Err("the filter holds a comment: write only the condition".into()),
            Tok::Param => return Err(format!("the filter holds a parameter ({text}): write the value itself")),
            Tok::Punct if text == ";" => return Err("the filter holds `;`: it must be one condition".into()),
            Tok::Punct if text == "(" => depth += 1,
            Tok::Punct if text == ")" => {
                depth -= 1;
                if depth < 0 {
                    return Err("the filter closes a parenthesis it did not open".into());
                }
            }
            Tok::Word if depth == 0 => {
                let w = text.to_ascii_uppercase();
                let ends = [
                    "UNION",
                    "INTERSECT",
                    "EXCEPT",
                    "ORDER",
                    "GROUP",
                    "HAVING",
                    "LIMIT",
                    "OFFSET",
                    "FETCH",
                    "INTO",
                    "WINDOW",
                    "RETURNING",
                ];
                if ends.contains(&w.as_str()) {
                    return Err(format!("the filter holds {w}: write only the condition (sort with O)"));
                }
            }
            _ => {}
        }
    }
    if depth > 0 {
        return Err("the filter leaves a parenthesis open".into());
    }
    // Every string, quoted name and comment must end inside the filter, under both string rules a session can be
    // in (a backslash escape in MySQL or PostgreSQL E'' strings, or none): the `)` written after it must come out
    // as that `)` and nothing else, or the rest of the SELECT (and the next page's key, which is table data)
    // would be read as part of a string.
    let probe = format!("({filter}\n)");
    for other_rules in [false, true] {
        let toks = crate::core::sql::lex::tokens_in(&probe, engine, other_rules);
        let last = toks.iter().rev().find(|t| t.kind != Tok::Space);
        let closes = last.is_some_and(|t| t.kind == Tok::Punct && t.start == probe.len() - 1);
        if !closes {
            return Err("the filter has a quote or comment that is not closed".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(engine: Engine, key: &[&str]) -> Browse {
        Browse {
            engine,
            schema: "public".into(),
            table: "t\"x".into(),
            key: key.iter().map(|s| s.to_string()).collect(),
            filter: None,
            order: None,
            page_size: 100,
        }
    }

    #[test]
    fn keyset_pages_quote_names_and_values() {
        let p = b(Engine::Postgres, &["a", "b\"c"]);
        assert_eq!(p.sql(&Bound::Start), r#"SELECT * FROM "public"."t""x" ORDER BY "a", "b""c" LIMIT 100"#);
        let next = p.next_bound(&[(Some("7".into()), Kind::Number), (Some("it's ✓".into()), Kind::Text)], 100);
        assert_eq!(
            p.sql(&next),
            r#"SELECT * FROM "public"."t""x" WHERE (("a" > 7) OR ("a" = 7 AND "b""c" > 'it''s ✓')) ORDER BY "a", "b""c" LIMIT 100"#
        );
        let m = b(Engine::Mysql, &["k"]);
        let next = m.next_bound(&[(Some("a\\'b".into()), Kind::Text)], 100);
        assert_eq!(m.sql(&next), r#"SELECT * FROM `public`.`t"x` WHERE ((`k` > 'a\\''b')) ORDER BY `k` LIMIT 100"#);
        let s = b(Engine::Sqlite, &["k"]);
        let next = s.next_bound(&[(Some("a\0b".into()), Kind::Text)], 100);
        assert!(s.sql(&next).contains("CAST(X'610062' AS TEXT)"), "{}", s.sql(&next));
    }

    #[test]
    fn offset_when_sorted_keyless_or_key_not_writable() {
        let mut p = b(Engine::Postgres, &["id"]);
        p.order = Some(("name".into(), true));
        p.filter = Some(" price > 10 ".into());
        let next = p.next_bound(&[(Some("1".into()), Kind::Number)], 200);
        assert_eq!(next, Bound::Offset(200));
        assert_eq!(
            p.sql(&next),
            r#"SELECT * FROM "public"."t""x" WHERE (price > 10) ORDER BY "name" DESC, "id" LIMIT 100 OFFSET 200"#
        );
        let k = b(Engine::Postgres, &[]);
        assert_eq!(k.next_bound(&[], 100), Bound::Offset(100));
        let bin = b(Engine::Postgres, &["k"]);
        assert_eq!(bin.next_bound(&[(Some("\\x00".into()), Kind::Binary)], 100), Bound::Offset(100));
        assert_eq!(bin.next_bound(&[(None, Kind::Text)], 100), Bound::Offset(100));
        // A "number" that is not one is quoted.
        let n = bin.next_bound(&[(Some("1; drop".into()), Kind::Number)], 100);
        assert!(bin.sql(&n).contains("'1; drop'"), "{}", bin.sql(&n));
    }

    #[test]
    fn filters_are_one_condition() {
        for ok in ["price > 10", "name = 'a;b' AND x IS DISTINCT FROM y", "substring(x FROM 1 FOR 2) = 'ab'", "é = 'ü'"]
        {
            assert_eq!(check_filter(ok, Engine::Postgres), Ok(()), "{ok}");
        }
        for bad in [
            "1=1; drop table t",
            "1=1 -- x",
            "1=1 /* x */",
            "x = $1",
            "1=1) OR (1=1",
            "(1=1",
            "1=1 UNION SELECT * FROM secrets",
            "1=1 ORDER BY 2",
            "name = 'open",
            "a\0b",
        ] {
            assert!(check_filter(bad, Engine::Postgres).is_err(), "{bad}");
        }
        assert!(check_filter("x = ?", Engine::Mysql).is_err());
        // A quote closed only under one string rule, or not at all, is refused under every engine's rules.
        for (bad, e) in [
            ("abc'", Engine::Sqlite),
            ("name = 'abc\\'", Engine::Mysql),
            ("name = E'abc\\'", Engine::Postgres),
            ("x = $a$ y$", Engine::Postgres),
            ("\"open = 1", Engine::Postgres),
            ("`open = 1", Engine::Mysql),
        ] {
            assert!(check_filter(bad, e).is_err(), "{bad} on {e}");
        }
        // A backslash escape reads differently under NO_BACKSLASH_ESCAPES: refused; a doubled quote reads the same.
        assert!(check_filter("x = 'a\\'; drop' ", Engine::Mysql).is_err(), "ambiguous under the other string rules");
        assert!(check_filter("x = 'it''s ✓'", Engine::Mysql).is_ok());
    }

    proptest::proptest! {
        #[test]
        fn any_filter_is_checked_without_panic(s in "\\PC{0,40}") {
            for e in [Engine::Postgres, Engine::Mysql, Engine::Sqlite] {
                let _ = check_filter(&s, e);
            }
        }

        #[test]
        fn any_key_value_stays_one_literal(v in "\\PC{0,30}", number: bool) {
            for e in [Engine::Postgres, Engine::Mysql, Engine::Sqlite] {
                let p = b(e, &["k"]);
                let kind = if number { Kind::Number } else { Kind::Text };
                let sql = p.sql(&p.next_bound(&[(Some(v.clone()), kind)], 100));
                let toks = tokens(&sql, e);
                proptest::prop_assert!(!toks.iter().any(|t| t.kind == Tok::Comment || (t.kind == Tok::Punct && t.text(&sql) == ";")), "{}", sql);
            }
        }
    }
}
