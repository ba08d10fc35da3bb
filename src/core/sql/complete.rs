//! Completion in the editor: keywords, schemas, tables and columns from the catalog the schema pane read, and the
//! aliases the current statement defines (`o.` offers the columns of the table `o` stands for).
use crate::core::catalog::Catalog;
use crate::core::profile::Engine;
use crate::core::sql::refs::{references, unquote};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub text: String,
    pub kind: &'static str,
}

/// Candidates for the word before byte offset `cursor` of `sql`; returns how many characters of it are typed.
pub fn complete(sql: &str, cursor: usize, engine: Engine, catalog: Option<&Catalog>) -> (usize, Vec<Item>) {
    let before = &sql[..cursor.min(sql.len())];
    let typed: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let head = &before[..before.len() - typed.len()];
    let qualifier = head.strip_suffix('.').map(|h| {
        let q: String = h
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '"' || *c == '`')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        unquote(&q)
    });
    let refs = references(sql, engine);
    let lower = typed.to_lowercase();
    let matches = |name: &str| name.to_lowercase().starts_with(&lower);
    let mut items: Vec<Item> = Vec::new();
    let push = |text: &str, kind: &'static str, items: &mut Vec<Item>| {
        if matches(text) && !items.iter().any(|i| i.text == text) {
            items.push(Item { text: text.to_string(), kind });
        }
    };
    let find_table = |schema: Option<&str>, name: &str| {
        catalog.and_then(|c| {
            c.schemas
                .iter()
                .filter(|s| schema.is_none_or(|x| x.eq_ignore_ascii_case(&s.name)))
                .flat_map(|s| s.tables.iter())
                .find(|t| t.name.eq_ignore_ascii_case(name))
        })
    };
    if let Some(q) = qualifier {
        // alias. / table. → columns; schema. → tables
        let target = refs.iter().find(|(a, _, _)| a.eq_ignore_ascii_case(&q));
        let table = match target {
            Some((_, s, t)) => find_table(s.as_deref(), t),
            None => find_table(None, &q),
        };
        if let Some(t) = table {
            for c in &t.columns {
                push(&c.name, "column", &mut items);
            }
        } else if let Some(s) = catalog.and_then(|c| c.schemas.iter().find(|s| s.name.eq_ignore_ascii_case(&q))) {
            for t in &s.tables {
                push(&t.name, "table", &mut items);
            }
        }
        return (typed.chars().count(), items);
    }
    for (alias, s, t) in &refs {
        if let Some(table) = find_table(s.as_deref(), t) {
            for c in &table.columns {
                push(&c.name, "column", &mut items);
            }
        }
        if alias != t {
            push(alias, "alias", &mut items);
        }
    }
    if let Some(c) = catalog {
        for s in &c.schemas {
            for t in &s.tables {
                push(&t.name, "table", &mut items);
            }
        }
        for s in &c.schemas {
            push(&s.name, "schema", &mut items);
        }
    }
    let upper = typed.chars().next().is_none_or(|c| c.is_uppercase());
    for k in super::keywords::PHRASES {
        let k = if upper { k.to_string() } else { k.to_lowercase() };
        push(&k, "keyword", &mut items);
    }
    if !typed.is_empty() {
        items.retain(|i| !i.text.eq_ignore_ascii_case(&typed) || i.kind != "keyword");
    }
    items.truncate(50);
    (typed.chars().count(), items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_without_a_catalog() {
        let (typed, items) = complete("sel", 3, Engine::Sqlite, None);
        assert_eq!(typed, 3);
        assert_eq!(items[0].text, "select");
        let (_, items) = complete("SELECT * FR", 11, Engine::Sqlite, None);
        assert_eq!(items[0].text, "FROM");
    }
}
