//! Lint of pending migrations before they run: destructive changes, NOT NULL columns added to tables with rows,
//! type narrowing, PostgreSQL index builds and ALTERs that hold heavy locks on big tables, and MySQL's implicit
//! commits. Each finding names the file and line.
use std::collections::HashMap;
use std::path::PathBuf;

use serde::Serialize;

use super::files::Migration;
use crate::core::catalog::Catalog;
use crate::core::profile::Engine;
use crate::core::sql::{Statement, split};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Danger,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Danger => "DANGER",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub version: i64,
    pub file: PathBuf,
    pub line: usize,
    pub severity: Severity,
    /// A stable short name: drop-table, drop-column, truncate, delete-all, type-narrowing, type-change,
    /// not-null-without-default, index-without-concurrently, lock-heavy-alter, rename, mysql-implicit-commit.
    pub rule: &'static str,
    pub message: String,
}

/// What the lint knows of a table in the target database.
#[derive(Debug, Clone, Default)]
pub struct TableFacts {
    pub has_rows: bool,
    pub row_estimate: Option<i64>,
    /// lower-case column name → declared type
    pub columns: HashMap<String, String>,
}

/// Table facts by lower-case table name. Tables missing here are taken as new and empty.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub tables: HashMap<String, TableFacts>,
}

/// Tables at or above this many rows count as large for lock and index-build warnings.
pub const LARGE_TABLE_ROWS: i64 = 100_000;

impl Facts {
    /// Facts from a catalog; `has_rows` is filled in by the caller for the tables the lint asks about.
    pub fn from_catalog(catalog: &Catalog) -> Facts {
        let mut tables = HashMap::new();
        for s in &catalog.schemas {
            for t in &s.tables {
                let facts = TableFacts {
                    has_rows: t.row_estimate.is_some_and(|n| n > 0),
                    row_estimate: t.row_estimate,
                    columns: t.columns.iter().map(|c| (c.name.to_lowercase(), c.data_type.clone())).collect(),
                };
                tables.insert(t.name.to_lowercase(), facts);
            }
        }
        Facts { tables }
    }
    fn get(&self, table: &str) -> Option<&TableFacts> {
        self.tables.get(&last_part(table).to_lowercase())
    }
}

/// Tables whose row presence the lint needs to know (ADD COLUMN … NOT NULL and ALTERs on them).
pub fn tables_needing_rows(migrations: &[&Migration], engine: Engine) -> Vec<String> {
    let mut out = Vec::new();
    for m in migrations {
        for st in split(&m.up.sql, engine) {
            let w = words(&st.text, engine);
            if upper(&w, 0) == "ALTER" && upper(&w, 1) == "TABLE" {
                let name = table_after(&w, 2);
                if !name.is_empty() && !out.contains(&name) {
                    out.push(name);
                }
            }
        }
    }
    out
}

pub fn lint(migrations: &[&Migration], engine: Engine, facts: &Facts) -> Vec<Finding> {
    let mut out = Vec::new();
    for m in migrations {
        let mut ddl_lines = Vec::new();
        for st in split(&m.up.sql, engine) {
            lint_statement(m, &st, engine, facts, &mut out);
            let first = upper(&words(&st.text, engine), 0);
            if matches!(first.as_str(), "CREATE" | "ALTER" | "DROP" | "RENAME" | "TRUNCATE") {
                ddl_lines.push(st.line);
            }
        }
        if engine == Engine::Mysql && !ddl_lines.is_empty() {
            out.push(Finding {
                version: m.version,
                file: m.up.path.clone(),
                line: ddl_lines[0],
                severity: Severity::Warning,
                rule: "mysql-implicit-commit",
                message: format!(
                    "MySQL commits each DDL statement implicitly ({} here): if a later statement fails, the ones before \
                     it stay applied and cannot be rolled back — the migration is then recorded as failed",
                    ddl_lines.len()
                ),
            });
        }
    }
    out
}

fn lint_statement(m: &Migration, st: &Statement, engine: Engine, facts: &Facts, out: &mut Vec<Finding>) {
    let w = words(&st.text, engine);
    let mut find = |severity, rule, message: String| {
        out.push(Finding { version: m.version, file: m.up.path.clone(), line: st.line, severity, rule, message });
    };
    let rows_note = |t: &str| match facts.get(t) {
        Some(f) if f.has_rows => match f.row_estimate {
            Some(n) if n > 0 => format!(" (about {n} rows)"),
            _ => " (it has rows)".into(),
        },
        Some(_) => " (empty now)".into(),
        None => String::new(),
    };
    let large = |t: &str| facts.get(t).and_then(|f| f.row_estimate).is_some_and(|n| n >= LARGE_TABLE_ROWS);
    let has_rows = |t: &str| facts.get(t).is_some_and(|f| f.has_rows);
    match (upper(&w, 0).as_str(), upper(&w, 1).as_str()) {
        ("DROP", "TABLE") => {
            let mut i = 2;
            if upper(&w, 2) == "IF" {
                i = 4;
            }
            let t = table_after(&w, i);
            find(
                Severity::Danger,
                "drop-table",
                format!("DROP TABLE {t} destroys the table and its data{}", rows_note(&t)),
            );
        }
        ("TRUNCATE", _) => {
            let i = if upper(&w, 1) == "TABLE" { 2 } else { 1 };
            let t = table_after(&w, i);
            find(Severity::Danger, "truncate", format!("TRUNCATE {t} deletes every row{}", rows_note(&t)));
        }
        ("DELETE", "FROM") if !w.iter().any(|x| x.eq_ignore_ascii_case("WHERE")) => {
            let t = table_after(&w, 2);
            find(Severity::Danger, "delete-all", format!("DELETE without WHERE empties {t}{}", rows_note(&t)));
        }
        ("UPDATE", _) if !w.iter().any(|x| x.eq_ignore_ascii_case("WHERE")) => {
            let t = table_after(&w, 1);
            find(
                Severity::Warning,
                "update-all",
                format!("UPDATE without WHERE rewrites every row of {t}{}", rows_note(&t)),
            );
        }
        ("RENAME", "TABLE") => {
            find(Severity::Warning, "rename", "RENAME TABLE breaks code that still uses the old name".into());
        }
        ("CREATE", _) => {
            let unique = upper(&w, 1) == "UNIQUE";
            let at = if unique { 2 } else { 1 };
            if engine == Engine::Postgres
                && upper(&w, at) == "INDEX"
                && upper(&w, at + 1) != "CONCURRENTLY"
                && let Some(on) = w.iter().position(|x| x.eq_ignore_ascii_case("ON"))
            {
                let mut i = on + 1;
                if upper(&w, i) == "ONLY" {
                    i += 1;
                }
                let t = table_after(&w, i);
                if large(&t) {
                    find(
                        Severity::Warning,
                        "index-without-concurrently",
                        format!(
                            "CREATE INDEX on {t}{} blocks every write to it while the index builds; use CREATE INDEX \
                                 CONCURRENTLY in a migration that starts with `-- no-transaction`",
                            rows_note(&t)
                        ),
                    );
                }
            }
        }
        ("ALTER", "TABLE") => {
            let mut i = 2;
            if upper(&w, i) == "IF" {
                i += 2;
            }
            if upper(&w, i) == "ONLY" {
                i += 1;
            }
            let t = table_after(&w, i);
            let clauses = split_clauses(&w[(i + 1).min(w.len())..]);
            let mut mysql_rebuild = false;
            for c in clauses {
                let c0 = upper(&c, 0);
                let c1 = upper(&c, 1);
                match (c0.as_str(), c1.as_str()) {
                    ("DROP", "COLUMN") => {
                        let col = ident_at(&c, if upper(&c, 2) == "IF" { 4 } else { 2 });
                        find(
                            Severity::Danger,
                            "drop-column",
                            format!("drops column {t}.{col} and its data{}", rows_note(&t)),
                        );
                        mysql_rebuild = true;
                    }
                    ("DROP", x)
                        if !matches!(
                            x,
                            "CONSTRAINT" | "INDEX" | "KEY" | "FOREIGN" | "PRIMARY" | "CHECK" | "DEFAULT" | "IF"
                        ) && engine != Engine::Postgres =>
                    {
                        let col = ident_at(&c, 1);
                        find(
                            Severity::Danger,
                            "drop-column",
                            format!("drops column {t}.{col} and its data{}", rows_note(&t)),
                        );
                        mysql_rebuild = true;
                    }
                    ("ADD", _)
                        if !matches!(
                            c1.as_str(),
                            "CONSTRAINT"
                                | "INDEX"
                                | "KEY"
                                | "UNIQUE"
                                | "PRIMARY"
                                | "FOREIGN"
                                | "CHECK"
                                | "FULLTEXT"
                                | "SPATIAL"
                        ) =>
                    {
                        let at = if c1 == "COLUMN" { 2 } else { 1 };
                        let at = if upper(&c, at) == "IF" { at + 3 } else { at };
                        let col = ident_at(&c, at);
                        let text = upper_all(&c);
                        let not_null = text.windows(2).any(|p| p[0] == "NOT" && p[1] == "NULL");
                        let default = text.iter().any(|x| x == "DEFAULT");
                        let generated = text.iter().any(|x| x == "GENERATED" || x == "AS" || x == "IDENTITY");
                        if not_null && !default && !generated && has_rows(&t) {
                            let effect = match engine {
                                Engine::Mysql => {
                                    "MySQL fills existing rows with the type's implicit default (0, '' …), which is rarely what you want"
                                }
                                _ => "it will fail: existing rows would be NULL",
                            };
                            find(
                                Severity::Danger,
                                "not-null-without-default",
                                format!(
                                    "adds NOT NULL column {t}.{col} without a DEFAULT to a table with rows: {effect}"
                                ),
                            );
                        } else if engine == Engine::Postgres && default && has_rows(&t) && volatile_default(&text) {
                            find(
                                Severity::Warning,
                                "lock-heavy-alter",
                                format!(
                                    "adds {t}.{col} with a volatile DEFAULT: PostgreSQL rewrites the whole table under an ACCESS EXCLUSIVE lock{}",
                                    rows_note(&t)
                                ),
                            );
                        }
                        mysql_rebuild = true;
                    }
                    ("ADD", _) => {
                        let text = upper_all(&c);
                        let validating = text.iter().any(|x| x == "FOREIGN" || x == "CHECK");
                        let not_valid = text.windows(2).any(|p| p[0] == "NOT" && p[1] == "VALID");
                        if engine == Engine::Postgres && validating && !not_valid && has_rows(&t) {
                            find(
                                Severity::Warning,
                                "lock-heavy-alter",
                                format!(
                                    "adds a constraint to {t}{} that is checked against every row while writes are blocked; \
                                     add it NOT VALID, then VALIDATE CONSTRAINT in a later migration",
                                    rows_note(&t)
                                ),
                            );
                        }
                    }
                    ("ALTER", _) | ("MODIFY", _) | ("CHANGE", _) => {
                        lint_type_change(&c, &t, engine, facts, &mut find, &rows_note);
                        let text = upper_all(&c);
                        if engine == Engine::Postgres
                            && text.windows(3).any(|p| p[0] == "SET" && p[1] == "NOT" && p[2] == "NULL")
                            && has_rows(&t)
                        {
                            find(
                                Severity::Warning,
                                "lock-heavy-alter",
                                format!(
                                    "SET NOT NULL scans all of {t}{} under an ACCESS EXCLUSIVE lock; a CHECK (col IS NOT NULL) \
                                     NOT VALID constraint validated first makes it instant",
                                    rows_note(&t)
                                ),
                            );
                        }
                        mysql_rebuild = true;
                    }
                    ("RENAME", _) => {
                        find(
                            Severity::Warning,
                            "rename",
                            format!("renames in {t}: code that uses the old name breaks"),
                        );
                    }
                    _ => {}
                }
            }
            if engine == Engine::Mysql && mysql_rebuild && large(&t) {
                find(
                    Severity::Warning,
                    "lock-heavy-alter",
                    format!(
                        "ALTER TABLE {t}{} may copy the whole table; add ALGORITHM=INPLACE, LOCK=NONE to fail fast \
                         instead of blocking writes",
                        rows_note(&t)
                    ),
                );
            }
        }
        _ => {}
    }
}

/// `ALTER [COLUMN] c [SET DATA] TYPE x` (PostgreSQL), `MODIFY [COLUMN] c x`, `CHANGE [COLUMN] old new x` (MySQL).
fn lint_type_change(
    c: &[String],
    t: &str,
    engine: Engine,
    facts: &Facts,
    find: &mut impl FnMut(Severity, &'static str, String),
    rows_note: &impl Fn(&str) -> String,
) {
    let c0 = upper(c, 0);
    let mut i = 1;
    if upper(c, i) == "COLUMN" {
        i += 1;
    }
    let col = ident_at(c, i);
    let new_type = match c0.as_str() {
        "ALTER" => {
            let Some(ty) = c.iter().position(|x| x.eq_ignore_ascii_case("TYPE")) else { return };
            type_text(&c[ty + 1..])
        }
        "MODIFY" => type_text(&c[(i + 1).min(c.len())..]),
        "CHANGE" => type_text(&c[(i + 2).min(c.len())..]),
        _ => return,
    };
    if new_type.is_empty() {
        return;
    }
    let old = facts.get(t).and_then(|f| f.columns.get(&col.to_lowercase())).cloned();
    let Some(old) = old else {
        if engine == Engine::Postgres && c0 == "ALTER" {
            find(Severity::Warning, "type-change", format!("changes the type of {t}.{col} to {new_type}"));
        }
        return;
    };
    if let Some(why) = narrowing(&old, &new_type) {
        find(
            Severity::Danger,
            "type-narrowing",
            format!("narrows {t}.{col} from {old} to {new_type}{}: {why}", rows_note(t)),
        );
    } else if !old.eq_ignore_ascii_case(&new_type)
        && engine == Engine::Postgres
        && facts.get(t).is_some_and(|f| f.has_rows)
    {
        find(
            Severity::Warning,
            "lock-heavy-alter",
            format!(
                "changes {t}.{col} from {old} to {new_type}: PostgreSQL may rewrite the table under an ACCESS EXCLUSIVE lock{}",
                rows_note(t)
            ),
        );
    }
}

/// Why going from type `old` to `new` can lose or refuse data, if it can.
pub fn narrowing(old: &str, new: &str) -> Option<String> {
    let (ob, oa) = base_and_args(old);
    let (nb, na) = base_and_args(new);
    let int_rank = |b: &str| match b {
        "tinyint" | "int1" => Some(1),
        "smallint" | "int2" => Some(2),
        "mediumint" | "int3" => Some(3),
        "int" | "integer" | "int4" | "serial" => Some(4),
        "bigint" | "int8" | "bigserial" => Some(8),
        _ => None,
    };
    let texty = |b: &str| matches!(b, "text" | "mediumtext" | "longtext" | "tinytext" | "clob");
    let sized = |b: &str| {
        matches!(b, "varchar" | "character varying" | "char" | "character" | "nvarchar" | "varbinary" | "binary")
    };
    if let (Some(o), Some(n)) = (int_rank(&ob), int_rank(&nb)) {
        return (n < o).then(|| format!("values above the range of {nb} are refused or cut"));
    }
    if sized(&ob) && sized(&nb) {
        if let (Some(o), Some(n)) = (oa.first(), na.first())
            && n < o
        {
            return Some(format!("text longer than {n} characters is refused or cut"));
        }
        return None;
    }
    if texty(&ob) && sized(&nb) {
        return Some(format!("text longer than {} characters is refused or cut", na.first().copied().unwrap_or(1)));
    }
    if matches!(ob.as_str(), "numeric" | "decimal") && matches!(nb.as_str(), "numeric" | "decimal") {
        let (op, os) = (oa.first().copied().unwrap_or(1000), oa.get(1).copied().unwrap_or(0));
        let (np, ns) = (na.first().copied().unwrap_or(1000), na.get(1).copied().unwrap_or(0));
        if ns < os || np - ns < op - os {
            return Some("digits are rounded away or values no longer fit".into());
        }
        return None;
    }
    let family = |b: &str| {
        if int_rank(b).is_some()
            || matches!(b, "numeric" | "decimal" | "real" | "double" | "float" | "double precision")
        {
            "number"
        } else if texty(b) || sized(b) {
            "text"
        } else {
            "other"
        }
    };
    if family(&ob) == "text" && family(&nb) == "number" {
        return Some("text that is not a number makes the change fail".into());
    }
    if matches!(ob.as_str(), "double" | "double precision" | "float8")
        && matches!(nb.as_str(), "real" | "float" | "float4")
    {
        return Some("double precision values lose digits".into());
    }
    if family(&ob) == "number" && (int_rank(&nb).is_some()) && int_rank(&ob).is_none() {
        return Some("fractions are rounded away".into());
    }
    None
}

fn base_and_args(t: &str) -> (String, Vec<i64>) {
    let lower = t.trim().to_lowercase();
    let (base, args) = match lower.find('(') {
        Some(p) => (
            lower[..p].trim().to_string(),
            lower[p + 1..].trim_end_matches(|c| c != ')').trim_end_matches(')').to_string(),
        ),
        None => (lower.clone(), String::new()),
    };
    let base = base.trim_end_matches(" unsigned").trim().to_string();
    let args = args.split(',').filter_map(|a| a.trim().parse().ok()).collect();
    (base, args)
}

fn volatile_default(text: &[String]) -> bool {
    let Some(d) = text.iter().position(|x| x == "DEFAULT") else { return false };
    text[d + 1..].iter().take(3).any(|x| {
        matches!(x.as_str(), "RANDOM" | "GEN_RANDOM_UUID" | "UUID_GENERATE_V4" | "CLOCK_TIMESTAMP" | "NEXTVAL")
    })
}

/// The type words after a column name, up to a constraint keyword.
fn type_text(w: &[String]) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for x in w {
        let u = x.to_ascii_uppercase();
        if depth == 0
            && (x == ","
                || matches!(
                    u.as_str(),
                    "NOT"
                        | "NULL"
                        | "DEFAULT"
                        | "USING"
                        | "COLLATE"
                        | "PRIMARY"
                        | "UNIQUE"
                        | "CHECK"
                        | "REFERENCES"
                        | "AFTER"
                        | "FIRST"
                        | "COMMENT"
                        | "AUTO_INCREMENT"
                        | "CHARACTER"
                        | "CHARSET"
                ))
        {
            break;
        }
        match x.as_str() {
            "(" => depth += 1,
            ")" => depth -= 1,
            _ => {}
        }
        let glue = x == "(" || x == ")" || x == "," || out.ends_with('(') || out.ends_with(',') || out.is_empty();
        if !glue {
            out.push(' ');
        }
        out.push_str(x);
    }
    out
}

/// Splits an ALTER TABLE's actions at top-level commas.
fn split_clauses(w: &[String]) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new()];
    let mut depth = 0;
    for x in w {
        match x.as_str() {
            "(" => depth += 1,
            ")" => depth -= 1,
            "," if depth == 0 => {
                out.push(Vec::new());
                continue;
            }
            _ => {}
        }
        out.last_mut().expect("one clause at least").push(x.clone());
    }
    out.retain(|c| !c.is_empty());
    out
}

/// Words of a statement, read by the SQL tokenizer (`core::sql::lex`, so dollar quotes, quoted identifiers in
/// every engine's quoting, nested comments and executable comments are read as the server reads them):
/// identifiers unquoted, a qualified name joined into one word (`schema.table`, quoted or not), strings as `''`,
/// comments dropped, punctuation as itself.
fn words(sql: &str, engine: Engine) -> Vec<String> {
    use crate::core::sql::lex::{Tok, tokens};
    use crate::core::sql::refs::unquote;
    let toks: Vec<_> =
        tokens(sql, engine).into_iter().filter(|t| !matches!(t.kind, Tok::Space | Tok::Comment)).collect();
    let name = |t: &crate::core::sql::lex::Token| match t.kind {
        Tok::QuotedIdent => unquote(t.text(sql)),
        _ => t.text(sql).to_string(),
    };
    let is_name = |i: usize| toks.get(i).is_some_and(|t| matches!(t.kind, Tok::Word | Tok::QuotedIdent));
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        match toks[i].kind {
            Tok::String => out.push("''".to_string()),
            Tok::Word | Tok::QuotedIdent => {
                let mut n = name(&toks[i]);
                while toks.get(i + 1).is_some_and(|t| t.text(sql) == ".") && is_name(i + 2) {
                    n = format!("{n}.{}", name(&toks[i + 2]));
                    i += 2;
                }
                out.push(n);
            }
            _ => out.push(toks[i].text(sql).to_string()),
        }
        i += 1;
    }
    out
}

fn upper(w: &[String], i: usize) -> String {
    w.get(i).map(|x| x.to_ascii_uppercase()).unwrap_or_default()
}

fn upper_all(w: &[String]) -> Vec<String> {
    w.iter().map(|x| x.to_ascii_uppercase()).collect()
}

fn ident_at(w: &[String], i: usize) -> String {
    w.get(i).cloned().unwrap_or_default()
}

/// The table name at `i`, with a following `.name` joined (quoted parts are separate words).
fn table_after(w: &[String], i: usize) -> String {
    let mut name = ident_at(w, i);
    if w.get(i + 1).is_some_and(|x| x == ".") {
        name = format!("{name}.{}", ident_at(w, i + 2));
    }
    name
}

fn last_part(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrowing_rules() {
        assert!(narrowing("varchar(100)", "varchar(20)").is_some());
        assert!(narrowing("varchar(20)", "varchar(100)").is_none());
        assert!(narrowing("bigint", "integer").is_some());
        assert!(narrowing("int", "bigint").is_none());
        assert!(narrowing("text", "varchar(50)").is_some());
        assert!(narrowing("numeric(12,2)", "numeric(10,2)").is_some());
        assert!(narrowing("numeric(12,2)", "numeric(14,2)").is_none());
        assert!(narrowing("text", "integer").is_some());
        assert!(narrowing("double precision", "real").is_some());
        assert!(narrowing("int(10) unsigned", "smallint").is_some());
    }

    #[test]
    fn words_and_types() {
        let w = words("ALTER TABLE \"Odd Name\" ALTER COLUMN c TYPE varchar(20) USING c::varchar", Engine::Postgres);
        assert_eq!(w[2], "Odd Name");
        let clauses = split_clauses(&w[3..]);
        assert_eq!(type_text(&clauses[0][4..]), "varchar(20)");
        assert_eq!(type_text(&words("numeric(12, 2) NOT NULL", Engine::Postgres)), "numeric(12,2)");
    }
}
