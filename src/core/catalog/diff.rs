//! Schema diff → migration: the statements that bring a `current` catalog to a `desired` one, in the current
//! database's dialect. PostgreSQL and MySQL change tables in place (columns, keys, checks, indexes, foreign keys);
//! SQLite, whose ALTER TABLE cannot change a column, rebuilds a changed table the way its documentation
//! prescribes (new table, copy, drop, rename, with foreign keys off — so the migration runs outside a
//! transaction and opens its own).
use std::collections::BTreeMap;

use super::ddl::{
    column_def, create_index, create_table, create_view, fk_clause, index_part, list, qualified, trigger,
};
use super::model::*;
use super::quote::ident;
use crate::core::profile::Engine;

#[derive(Debug, Clone, Default)]
pub struct DiffScript {
    pub statements: Vec<String>,
    /// What the script does not do, and why.
    pub notes: Vec<String>,
    /// The script must run outside a transaction (SQLite table rebuilds switch foreign keys off).
    pub no_transaction: bool,
}

impl DiffScript {
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }
    /// The migration file text.
    pub fn sql(&self, header: &str) -> String {
        let mut s = String::new();
        if self.no_transaction {
            s.push_str("-- no-transaction\n");
        }
        for line in header.lines() {
            s.push_str(&format!("-- {line}\n"));
        }
        for n in &self.notes {
            s.push_str(&format!("-- NOTE: {n}\n"));
        }
        for st in &self.statements {
            s.push_str(st);
            if !st.ends_with(';') {
                s.push(';');
            }
            s.push('\n');
        }
        s
    }
}

/// Pairs the schemas of two catalogs: by name, or — for two MySQL databases with one schema each — the one with
/// the other.
fn pair_schemas<'a>(desired: &'a Catalog, current: &'a Catalog) -> Vec<(Option<&'a Schema>, Option<&'a Schema>)> {
    if desired.schemas.len() == 1 && current.schemas.len() == 1 && desired.engine == Engine::Mysql {
        return vec![(Some(&desired.schemas[0]), Some(&current.schemas[0]))];
    }
    let mut out: Vec<(Option<&Schema>, Option<&Schema>)> = Vec::new();
    for d in &desired.schemas {
        out.push((Some(d), current.schemas.iter().find(|c| c.name == d.name)));
    }
    for c in &current.schemas {
        if !desired.schemas.iter().any(|d| d.name == c.name) {
            out.push((None, Some(c)));
        }
    }
    out
}

fn col_sig(c: &Column) -> String {
    format!(
        "{} {:?} {} {:?} {:?} {:?} {:?}",
        c.data_type.to_lowercase(),
        c.nullable,
        c.default.clone().unwrap_or_default(),
        c.identity,
        c.generated,
        c.collation,
        c.comment
    )
}

fn index_sig(i: &Index) -> String {
    format!("{:?} {} {:?} {:?}", i.parts, i.unique, i.predicate, i.method)
}

fn fk_sig(f: &ForeignKey) -> String {
    format!("{:?} {} {:?} {:?} {:?}", f.columns, f.referenced_table, f.referenced_columns, f.on_delete, f.on_update)
}

/// Columns that look renamed: gone from `c`, new in `d`, with the same type, nullability, default and the rest —
/// paired only when each side has exactly one match (anything less certain stays DROP + ADD, which the lint
/// flags as data loss).
fn renamed_columns(d: &Table, c: &Table) -> Vec<(String, String)> {
    let gone: Vec<&Column> = c.columns.iter().filter(|x| !d.columns.iter().any(|y| y.name == x.name)).collect();
    let new: Vec<&Column> = d.columns.iter().filter(|x| !c.columns.iter().any(|y| y.name == x.name)).collect();
    // Where each column stands: a rename keeps its place (a column dropped at one end and another added at the
    // other end, of the same common type, is more likely two changes than one rename).
    let pos = |t: &Table, name: &str| t.columns.iter().position(|c| c.name == name);
    let mut out = Vec::new();
    for g in &gone {
        let matches: Vec<&&Column> = new.iter().filter(|n| col_sig(n) == col_sig(g)).collect();
        if let [n] = matches.as_slice()
            && gone.iter().filter(|x| col_sig(x) == col_sig(n)).count() == 1
            && pos(c, &g.name) == pos(d, &n.name)
        {
            out.push((g.name.clone(), n.name.clone()));
        }
    }
    out
}

/// `c` as it is after the renames: the column and every key, index and foreign key naming it.
fn with_renames(c: &Table, renames: &[(String, String)]) -> Table {
    let mut t = c.clone();
    let to = |n: &mut String| {
        if let Some((_, new)) = renames.iter().find(|(old, _)| old == n) {
            *n = new.clone();
        }
    };
    t.columns.iter_mut().for_each(|x| to(&mut x.name));
    if let Some(pk) = &mut t.primary_key {
        pk.columns.iter_mut().for_each(to);
    }
    t.unique_constraints.iter_mut().for_each(|k| k.columns.iter_mut().for_each(to));
    t.indexes.iter_mut().for_each(|i| i.parts.iter_mut().filter_map(|p| p.column.as_mut()).for_each(to));
    t.foreign_keys.iter_mut().for_each(|f| f.columns.iter_mut().for_each(to));
    t
}

/// The statements that turn `current` into `desired`. Both catalogs must be of the engine the script is for.
pub fn migration(desired: &Catalog, current: &Catalog) -> DiffScript {
    let e = current.engine;
    let mut out = DiffScript::default();
    if desired.engine != current.engine {
        out.notes.push(format!(
            "the desired schema is {:?} and the target {:?}: types are copied as declared; review them",
            desired.engine, current.engine
        ));
    }
    // Phases, concatenated at the end in an order that applies.
    let mut drop_fks = Vec::new();
    let mut drop_views = Vec::new();
    let mut drop_tables = Vec::new();
    let mut create_tables = Vec::new();
    let mut alters = Vec::new();
    let mut rebuilds = Vec::new();
    let mut create_indexes = Vec::new();
    let mut add_fks = Vec::new();
    let mut create_views = Vec::new();
    let mut triggers = Vec::new();
    for (ds, cs) in pair_schemas(desired, current) {
        let schema = cs.or(ds).map(|s| s.name.clone()).unwrap_or_default();
        // A MySQL view's text names its own database: strip the desired one's name, not the target's.
        let view_schema =
            if e == Engine::Mysql { ds.map(|s| s.name.clone()).unwrap_or(schema.clone()) } else { schema.clone() };
        if let (Some(d), None) = (ds, cs)
            && e == Engine::Postgres
        {
            create_tables.push(format!("CREATE SCHEMA {}", ident(e, &d.name)));
        }
        let empty = Vec::new();
        let dt: BTreeMap<&str, &Table> =
            ds.map(|s| &s.tables).unwrap_or(&empty).iter().map(|t| (t.name.as_str(), t)).collect();
        let ct: BTreeMap<&str, &Table> =
            cs.map(|s| &s.tables).unwrap_or(&empty).iter().map(|t| (t.name.as_str(), t)).collect();
        let q = |name: &str| qualified(e, &schema, name);
        // Removed objects.
        for (name, c) in &ct {
            if dt.contains_key(name) && dt[name].kind == c.kind {
                continue;
            }
            if c.kind.is_view() {
                let kind = if c.kind == TableKind::MaterializedView { "MATERIALIZED VIEW" } else { "VIEW" };
                drop_views.push(format!("DROP {kind} {}", q(name)));
            } else {
                if e != Engine::Sqlite {
                    // Keys of other tables that point at it go first (they are gone from the desired schema too).
                    for (other, ot) in &ct {
                        for f in ot.foreign_keys.iter().filter(|f| f.referenced_table == *name && other != name) {
                            if let Some(n) = &f.name {
                                drop_fks.push(drop_fk(e, &q(other), n));
                            }
                        }
                    }
                }
                drop_tables.push(format!("DROP TABLE {}", q(name)));
            }
        }
        for (name, d) in &dt {
            match ct.get(name) {
                Some(c) if c.kind == d.kind => {
                    let renames = if d.kind.is_view() { Vec::new() } else { renamed_columns(d, c) };
                    let renamed;
                    let c = if renames.is_empty() {
                        *c
                    } else {
                        for (old, new) in &renames {
                            alters.push(format!(
                                "ALTER TABLE {} RENAME COLUMN {} TO {}",
                                q(name),
                                ident(e, old),
                                ident(e, new)
                            ));
                            out.notes.push(format!(
                                "{name}.{old} → {new} is written as a rename (same type and constraints, one column gone \
                                 and one new); if it is not one, replace it with DROP COLUMN + ADD COLUMN (the old \
                                 column's data is then lost)"
                            ));
                        }
                        renamed = with_renames(c, &renames);
                        &renamed
                    };
                    if d.kind.is_view() {
                        let same = normalize(d.definition.as_deref()) == normalize(c.definition.as_deref());
                        if !same {
                            drop_views.push(format!("DROP VIEW {}", q(name)));
                            create_views.push(create_view(e, &view_schema, d));
                        }
                        continue;
                    }
                    if e == Engine::Sqlite {
                        if sqlite_needs_rebuild(d, c) {
                            let lost: Vec<&str> = c
                                .columns
                                .iter()
                                .filter(|x| !d.columns.iter().any(|y| y.name == x.name))
                                .map(|x| x.name.as_str())
                                .collect();
                            if !lost.is_empty() {
                                out.notes
                                    .push(format!("{name} is rebuilt without {}: their data is lost", lost.join(", ")));
                            }
                            rebuilds.extend(sqlite_rebuild(&schema, d, c));
                        } else {
                            // Only added nullable (or defaulted) columns and index changes.
                            for col in d.columns.iter().filter(|x| !c.columns.iter().any(|y| y.name == x.name)) {
                                alters.push(format!(
                                    "ALTER TABLE {} ADD COLUMN {}",
                                    q(name),
                                    column_def(e, d, col, false)
                                ));
                            }
                            index_changes(e, &schema, d, c, &mut alters, &mut create_indexes);
                        }
                        continue;
                    }
                    alter_table(
                        e,
                        &schema,
                        d,
                        c,
                        &mut alters,
                        &mut drop_fks,
                        &mut add_fks,
                        &mut create_indexes,
                        &mut out.notes,
                    );
                }
                _ => {
                    if d.kind.is_view() {
                        create_views.push(create_view(e, &view_schema, d));
                        continue;
                    }
                    create_tables.push(create_table(e, &schema, d, false).trim_end_matches(';').to_string());
                    create_indexes.extend(d.indexes.iter().filter_map(|ix| create_index(e, &schema, d, ix)));
                    if e != Engine::Sqlite {
                        for f in &d.foreign_keys {
                            add_fks.push(format!("ALTER TABLE {} ADD {}", q(name), fk_clause(e, f)));
                        }
                    }
                    triggers.extend(d.triggers.iter().map(trigger));
                }
            }
        }
    }
    if !rebuilds.is_empty() {
        out.no_transaction = true;
        let mut body = vec!["PRAGMA foreign_keys = OFF".to_string(), "BEGIN".to_string()];
        body.append(&mut drop_views);
        body.append(&mut drop_tables);
        body.append(&mut create_tables);
        body.append(&mut alters);
        body.extend(rebuilds);
        body.append(&mut create_indexes);
        body.append(&mut create_views);
        body.append(&mut triggers);
        body.push("PRAGMA foreign_key_check".into());
        body.push("COMMIT".into());
        body.push("PRAGMA foreign_keys = ON".into());
        out.statements = body.into_iter().map(|s| s.trim_end_matches(';').to_string()).collect();
        return out;
    }
    for phase in
        [drop_fks, drop_views, drop_tables, create_tables, alters, create_indexes, add_fks, create_views, triggers]
    {
        out.statements.extend(phase.into_iter().map(|s| s.trim_end_matches(';').to_string()));
    }
    out
}

fn normalize(s: Option<&str>) -> String {
    s.unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" ").trim_end_matches(';').to_lowercase()
}

fn drop_fk(e: Engine, table: &str, name: &str) -> String {
    match e {
        Engine::Mysql => format!("ALTER TABLE {table} DROP FOREIGN KEY {}", ident(e, name)),
        _ => format!("ALTER TABLE {table} DROP CONSTRAINT {}", ident(e, name)),
    }
}

#[allow(clippy::too_many_arguments)]
fn alter_table(
    e: Engine,
    schema: &str,
    d: &Table,
    c: &Table,
    alters: &mut Vec<String>,
    drop_fks: &mut Vec<String>,
    add_fks: &mut Vec<String>,
    create_indexes: &mut Vec<String>,
    notes: &mut Vec<String>,
) {
    let t = qualified(e, schema, &d.name);
    let q = |s: &str| ident(e, s);
    // Foreign keys by name (unnamed ones by signature).
    let key = |f: &ForeignKey| f.name.clone().unwrap_or_else(|| fk_sig(f));
    for f in &c.foreign_keys {
        let same = d.foreign_keys.iter().any(|x| key(x) == key(f) && fk_sig(x) == fk_sig(f));
        if !same {
            match &f.name {
                Some(n) => drop_fks.push(drop_fk(e, &t, n)),
                None => notes.push(format!("{}: an unnamed foreign key cannot be dropped by name", d.name)),
            }
        }
    }
    for f in &d.foreign_keys {
        if !c.foreign_keys.iter().any(|x| key(x) == key(f) && fk_sig(x) == fk_sig(f)) {
            add_fks.push(format!("ALTER TABLE {t} ADD {}", fk_clause(e, f)));
        }
    }
    // Checks and unique constraints by name.
    for ch in &c.checks {
        if !d.checks.iter().any(|x| x.name == ch.name && x.expression == ch.expression)
            && let Some(n) = &ch.name
        {
            alters.push(format!("ALTER TABLE {t} DROP CONSTRAINT {}", q(n)));
        }
    }
    let uq_name = |u: &Key| u.name.clone().unwrap_or_default();
    for u in &c.unique_constraints {
        if !d.unique_constraints.iter().any(|x| uq_name(x) == uq_name(u) && x.columns == u.columns)
            && let Some(n) = &u.name
        {
            alters.push(match e {
                Engine::Mysql => format!("ALTER TABLE {t} DROP INDEX {}", q(n)),
                _ => format!("ALTER TABLE {t} DROP CONSTRAINT {}", q(n)),
            });
        }
    }
    // Plain indexes by name.
    for ix in c.indexes.iter().filter(|i| !i.constraint) {
        if !d.indexes.iter().any(|x| x.name == ix.name && !x.constraint && index_sig(x) == index_sig(ix)) {
            alters.push(match e {
                Engine::Mysql => format!("DROP INDEX {} ON {t}", q(&ix.name)),
                _ => format!("DROP INDEX {}", qualified(e, schema, &ix.name)),
            });
        }
    }
    // Primary key.
    if d.primary_key.as_ref().map(|k| &k.columns) != c.primary_key.as_ref().map(|k| &k.columns)
        && let Some(pk) = &c.primary_key
    {
        alters.push(match (e, &pk.name) {
            (Engine::Postgres, Some(n)) => format!("ALTER TABLE {t} DROP CONSTRAINT {}", q(n)),
            _ => format!("ALTER TABLE {t} DROP PRIMARY KEY"),
        });
    }
    // Columns.
    for col in c.columns.iter().filter(|x| !d.columns.iter().any(|y| y.name == x.name)) {
        alters.push(format!("ALTER TABLE {t} DROP COLUMN {}", q(&col.name)));
    }
    for col in &d.columns {
        match c.columns.iter().find(|x| x.name == col.name) {
            None => alters.push(format!("ALTER TABLE {t} ADD COLUMN {}", column_def(e, d, col, false))),
            Some(old) if col_sig(old) != col_sig(col) => match e {
                Engine::Mysql => alters.push(format!("ALTER TABLE {t} MODIFY COLUMN {}", column_def(e, d, col, false))),
                _ => {
                    let name = q(&col.name);
                    if !old.data_type.eq_ignore_ascii_case(&col.data_type) {
                        alters.push(format!(
                            "ALTER TABLE {t} ALTER COLUMN {name} TYPE {} USING {name}::{}",
                            col.data_type, col.data_type
                        ));
                    }
                    if old.default != col.default {
                        alters.push(match &col.default {
                            Some(dv) => format!("ALTER TABLE {t} ALTER COLUMN {name} SET DEFAULT {dv}"),
                            None => format!("ALTER TABLE {t} ALTER COLUMN {name} DROP DEFAULT"),
                        });
                    }
                    if old.nullable != col.nullable {
                        let op = if col.nullable { "DROP" } else { "SET" };
                        alters.push(format!("ALTER TABLE {t} ALTER COLUMN {name} {op} NOT NULL"));
                    }
                    if old.identity != col.identity || old.generated != col.generated || old.collation != col.collation
                    {
                        notes.push(format!(
                            "{}.{}: identity, generation or collation differs; not changed here",
                            d.name, col.name
                        ));
                    }
                }
            },
            Some(_) => {}
        }
    }
    if d.primary_key.as_ref().map(|k| &k.columns) != c.primary_key.as_ref().map(|k| &k.columns)
        && let Some(pk) = &d.primary_key
    {
        let name = match (e, &pk.name) {
            (Engine::Postgres, Some(n)) => format!("CONSTRAINT {} ", q(n)),
            _ => String::new(),
        };
        alters.push(format!("ALTER TABLE {t} ADD {name}PRIMARY KEY ({})", list(e, &pk.columns)));
    }
    for u in &d.unique_constraints {
        if !c.unique_constraints.iter().any(|x| uq_name(x) == uq_name(u) && x.columns == u.columns) {
            alters.push(match &u.name {
                Some(n) if e == Engine::Mysql => {
                    format!("ALTER TABLE {t} ADD UNIQUE KEY {} ({})", q(n), list(e, &u.columns))
                }
                Some(n) => format!("ALTER TABLE {t} ADD CONSTRAINT {} UNIQUE ({})", q(n), list(e, &u.columns)),
                None => format!("ALTER TABLE {t} ADD UNIQUE ({})", list(e, &u.columns)),
            });
        }
    }
    for ch in &d.checks {
        if !c.checks.iter().any(|x| x.name == ch.name && x.expression == ch.expression) {
            alters.push(match &ch.name {
                Some(n) => format!("ALTER TABLE {t} ADD CONSTRAINT {} CHECK ({})", q(n), ch.expression),
                None => format!("ALTER TABLE {t} ADD CHECK ({})", ch.expression),
            });
        }
    }
    for ix in d.indexes.iter().filter(|i| !i.constraint) {
        if !c.indexes.iter().any(|x| x.name == ix.name && !x.constraint && index_sig(x) == index_sig(ix)) {
            match e {
                Engine::Mysql => {
                    let kind = match ix.method.as_deref() {
                        Some("fulltext") => "FULLTEXT ",
                        Some("spatial") => "SPATIAL ",
                        _ if ix.unique => "UNIQUE ",
                        _ => "",
                    };
                    let parts = ix.parts.iter().map(|p| index_part(e, p)).collect::<Vec<_>>().join(", ");
                    create_indexes.push(format!("CREATE {kind}INDEX {} ON {t} ({parts})", q(&ix.name)));
                }
                _ => {
                    let mut ix = ix.clone();
                    ix.definition = None; // the other database's text may name another schema
                    create_indexes.extend(create_index(e, schema, d, &ix));
                }
            }
        }
    }
}

/// Index-only changes of a SQLite table (drop changed/removed, create changed/new).
fn index_changes(e: Engine, schema: &str, d: &Table, c: &Table, alters: &mut Vec<String>, creates: &mut Vec<String>) {
    for ix in c.indexes.iter().filter(|i| !i.constraint) {
        if !d.indexes.iter().any(|x| x.name == ix.name && index_sig(x) == index_sig(ix)) {
            alters.push(format!("DROP INDEX {}", qualified(e, schema, &ix.name)));
        }
    }
    for ix in d.indexes.iter().filter(|i| !i.constraint) {
        if !c.indexes.iter().any(|x| x.name == ix.name && index_sig(x) == index_sig(ix)) {
            creates.extend(create_index(e, schema, d, ix));
        }
    }
}

/// SQLite can add a nullable or defaulted column in place; anything else means a rebuild.
fn sqlite_needs_rebuild(d: &Table, c: &Table) -> bool {
    for old in &c.columns {
        match d.columns.iter().find(|x| x.name == old.name) {
            None => return true,
            Some(new) if col_sig(new) != col_sig(old) => return true,
            _ => {}
        }
    }
    let kept: Vec<&str> =
        d.columns.iter().map(|x| x.name.as_str()).filter(|n| c.columns.iter().any(|y| y.name == *n)).collect();
    let order: Vec<&str> = c.columns.iter().map(|x| x.name.as_str()).collect();
    if kept != order {
        return true; // columns reordered
    }
    for new in d.columns.iter().filter(|x| !c.columns.iter().any(|y| y.name == x.name)) {
        if (!new.nullable && new.default.is_none()) || new.generated.is_some() {
            return true;
        }
    }
    let fks = |t: &Table| t.foreign_keys.iter().map(fk_sig).collect::<Vec<_>>();
    d.primary_key.as_ref().map(|k| &k.columns) != c.primary_key.as_ref().map(|k| &k.columns)
        || fks(d) != fks(c)
        || d.checks.iter().map(|x| &x.expression).collect::<Vec<_>>()
            != c.checks.iter().map(|x| &x.expression).collect::<Vec<_>>()
        || d.unique_constraints.iter().map(|k| &k.columns).collect::<Vec<_>>()
            != c.unique_constraints.iter().map(|k| &k.columns).collect::<Vec<_>>()
        || d.without_rowid != c.without_rowid
        || d.strict != c.strict
}

/// SQLite's 12-step table change: create the new shape under a temporary name, copy the columns both have,
/// drop the old table, rename, re-create indexes and triggers.
fn sqlite_rebuild(schema: &str, d: &Table, c: &Table) -> Vec<String> {
    let e = Engine::Sqlite;
    let tmp_name = format!("{}__dbc_new", d.name);
    let mut tmp = d.clone();
    tmp.name = tmp_name.clone();
    let common: Vec<String> = d
        .columns
        .iter()
        .filter(|x| x.generated.is_none() && c.columns.iter().any(|y| y.name == x.name))
        .map(|x| x.name.clone())
        .collect();
    let mut out = vec![create_table(e, schema, &tmp, true).trim_end_matches(';').to_string()];
    out.push(format!(
        "INSERT INTO {} ({}) SELECT {} FROM {}",
        qualified(e, schema, &tmp_name),
        list(e, &common),
        list(e, &common),
        qualified(e, schema, &c.name)
    ));
    out.push(format!("DROP TABLE {}", qualified(e, schema, &c.name)));
    out.push(format!("ALTER TABLE {} RENAME TO {}", qualified(e, schema, &tmp_name), ident(e, &d.name)));
    for ix in d.indexes.iter().filter(|i| !i.constraint) {
        out.extend(create_index(e, schema, d, ix));
    }
    out.extend(d.triggers.iter().map(trigger));
    out
}
