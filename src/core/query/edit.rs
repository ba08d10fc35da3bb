//! Editing a result in place: when a result comes from one table with a primary key (every key column present),
//! cell updates, new rows and deletions are staged, shown as the SQL that will run, and applied in one transaction
//! (a savepoint inside a transaction the user opened) with bound parameters. Each change must touch exactly one
//! row, or everything is rolled back and the reason given (the row changed or is gone).
use super::result::{Column, Kind};
use crate::core::catalog::{Catalog, TableKind, quote};
use crate::core::profile::Engine;
use crate::core::sql::classify::analyse;
use crate::core::sql::lex::top_level_words;

/// The table a result can be edited in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub engine: Engine,
    pub schema: String,
    pub table: String,
    /// For each result column: the table column's name and declared type.
    pub columns: Vec<(String, String, Kind)>,
    /// Result column indices of the primary key.
    pub key: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Set result column `column` of the row with key values `key` (NULL is None).
    Update {
        key: Vec<Option<String>>,
        column: usize,
        value: Option<String>,
    },
    Delete {
        key: Vec<Option<String>>,
    },
    /// A new row: values for the result columns given (others take their defaults).
    Insert {
        values: Vec<(usize, Option<String>)>,
    },
}

/// Why a result cannot be edited, or the table it can be edited in.
pub fn target(sql: &str, engine: Engine, columns: &[Column], catalog: Option<&Catalog>) -> Result<Target, String> {
    let a = analyse(sql, engine);
    if a.verb != "SELECT" {
        return Err("only the result of a SELECT can be edited".into());
    }
    let words = top_level_words(sql, engine);
    for w in ["JOIN", "GROUP", "DISTINCT", "UNION", "INTERSECT", "EXCEPT", "HAVING", "WITH"] {
        if words.iter().any(|x| x == w) {
            return Err(format!("the result uses {w}: only a plain SELECT from one table can be edited"));
        }
    }
    let refs = crate::core::sql::refs::references(sql, engine);
    let [(_, schema, table)] = &refs[..] else {
        return Err("the result must come from exactly one table".into());
    };
    let cat = catalog.ok_or("the schema is not loaded yet (Schema pane): the primary key is not known")?;
    let (s, t) = cat
        .schemas
        .iter()
        .filter(|s| schema.as_ref().is_none_or(|x| x == &s.name))
        .flat_map(|s| s.tables.iter().map(move |t| (s, t)))
        .find(|(_, t)| &t.name == table || t.name.eq_ignore_ascii_case(table))
        .ok_or_else(|| format!("table {table} is not in the catalog (reload the schema pane)"))?;
    if t.kind != TableKind::Table {
        return Err(format!("{} is a {}, not a table", t.name, t.kind.as_str()));
    }
    let pk =
        t.primary_key.as_ref().ok_or_else(|| format!("{} has no primary key: rows cannot be told apart", t.name))?;
    let mut out = Vec::new();
    for c in columns {
        let tc = t.columns.iter().find(|x| x.name == c.name).ok_or_else(|| {
            format!("result column {} is not a column of {} (an expression or alias)", c.name, t.name)
        })?;
        out.push((tc.name.clone(), tc.data_type.clone(), c.kind));
    }
    let mut key = Vec::new();
    for k in &pk.columns {
        key.push(
            columns
                .iter()
                .position(|c| &c.name == k)
                .ok_or_else(|| format!("the primary key column {k} is not in the result"))?,
        );
    }
    Ok(Target { engine, schema: s.name.clone(), table: t.name.clone(), columns: out, key })
}

/// One statement of an edit: its SQL with placeholders, the values to bind, and a readable form with literals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub sql: String,
    pub binds: Vec<(Option<String>, Kind)>,
    pub shown: String,
}

impl Target {
    fn ident(&self, name: &str) -> String {
        quote::ident(self.engine, name)
    }
    fn qualified(&self) -> String {
        quote::qualified(self.engine, &self.schema, &self.table)
    }
    /// The placeholder for bind `n` (1-based) of a column of type `ty`.
    fn param(&self, n: usize, ty: &str, kind: Kind) -> String {
        match self.engine {
            Engine::Postgres => format!("CAST(${n}::text AS {ty})"),
            Engine::Mysql if kind == Kind::Binary => "UNHEX(?)".into(),
            _ => "?".into(),
        }
    }
    fn literal(&self, v: &Option<String>, kind: Kind) -> String {
        super::export::sql_literal(self.engine, kind, v.as_deref())
    }

    pub fn plan(&self, change: &Change) -> Planned {
        let mut binds = Vec::new();
        let mut shown_where = Vec::new();
        let mut where_ = Vec::new();
        let mut key_clause = |binds: &mut Vec<(Option<String>, Kind)>, key: &[Option<String>]| {
            for (i, col) in self.key.iter().enumerate() {
                let (name, ty, kind) = &self.columns[*col];
                let v = key.get(i).cloned().flatten();
                binds.push((v.clone(), *kind));
                where_.push(format!("{} = {}", self.ident(name), self.param(binds.len(), ty, *kind)));
                shown_where.push(format!("{} = {}", self.ident(name), self.literal(&v, *kind)));
            }
        };
        match change {
            Change::Update { key, column, value } => {
                let (name, ty, kind) = &self.columns[*column];
                binds.push((value.clone(), *kind));
                let set = format!("{} = {}", self.ident(name), self.param(1, ty, *kind));
                let shown_set = format!("{} = {}", self.ident(name), self.literal(value, *kind));
                key_clause(&mut binds, key);
                Planned {
                    sql: format!("UPDATE {} SET {set} WHERE {}", self.qualified(), where_.join(" AND ")),
                    binds,
                    shown: format!("UPDATE {} SET {shown_set} WHERE {};", self.qualified(), shown_where.join(" AND ")),
                }
            }
            Change::Delete { key } => {
                key_clause(&mut binds, key);
                Planned {
                    sql: format!("DELETE FROM {} WHERE {}", self.qualified(), where_.join(" AND ")),
                    binds,
                    shown: format!("DELETE FROM {} WHERE {};", self.qualified(), shown_where.join(" AND ")),
                }
            }
            Change::Insert { values } => {
                let mut cols = Vec::new();
                let mut params = Vec::new();
                let mut lits = Vec::new();
                for (c, v) in values {
                    let (name, ty, kind) = &self.columns[*c];
                    cols.push(self.ident(name));
                    binds.push((v.clone(), *kind));
                    params.push(self.param(binds.len(), ty, *kind));
                    lits.push(self.literal(v, *kind));
                }
                let (sql, shown) = if cols.is_empty() {
                    let d = match self.engine {
                        Engine::Mysql => "() VALUES ()",
                        _ => "DEFAULT VALUES",
                    };
                    (format!("INSERT INTO {} {d}", self.qualified()), format!("INSERT INTO {} {d};", self.qualified()))
                } else {
                    (
                        format!(
                            "INSERT INTO {} ({}) VALUES ({})",
                            self.qualified(),
                            cols.join(", "),
                            params.join(", ")
                        ),
                        format!("INSERT INTO {} ({}) VALUES ({});", self.qualified(), cols.join(", "), lits.join(", ")),
                    )
                };
                Planned { sql, binds, shown }
            }
        }
    }
}

/// Hex text as shown in the grid (`\x0a1b`) back to bytes.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    let h = s.strip_prefix("\\x")?;
    if h.len() % 2 != 0 {
        return None;
    }
    (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).ok()).collect()
}
