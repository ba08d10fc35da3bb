//! What a statement does, read from its top-level words: whether it destroys or rewrites data or schema (the
//! editor asks first), whether it controls a transaction, and whether it returns rows.
use super::lex::top_level_words;
use crate::core::profile::Engine;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Danger {
    DeleteWithoutWhere,
    UpdateWithoutWhere,
    Drop,
    Truncate,
    Alter,
}

impl Danger {
    pub fn describe(self) -> &'static str {
        match self {
            Danger::DeleteWithoutWhere => "DELETE without WHERE removes every row of the table",
            Danger::UpdateWithoutWhere => "UPDATE without WHERE rewrites every row of the table",
            Danger::Drop => "DROP removes the object and everything in it",
            Danger::Truncate => "TRUNCATE removes every row of the table",
            Danger::Alter => "ALTER changes the schema (and may rewrite or lock the table)",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Txn {
    Begin,
    Commit,
    Rollback,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analysis {
    /// The statement's verb (`SELECT`, `DELETE`, `CREATE`…), upper case; empty for an empty statement.
    pub verb: String,
    pub danger: Option<Danger>,
    pub txn: Option<Txn>,
    /// A statement that returns rows even when none match (so its columns are worth describing).
    pub returns_rows: bool,
}

const DML: [&str; 6] = ["SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES"];

pub fn analyse(sql: &str, engine: Engine) -> Analysis {
    let engine = engine.dialect();
    let words = top_level_words(sql, engine);
    let first = words.first().cloned().unwrap_or_default();
    // WITH … <verb>, EXPLAIN [ANALYZE] <verb>: the verb is the first DML word at the top level.
    let (verb, rest): (String, &[String]) = if first == "WITH" || first == "EXPLAIN" {
        match words.iter().position(|w| DML.contains(&w.as_str())) {
            Some(k) => (words[k].clone(), &words[k..]),
            None => (first.clone(), &words[..]),
        }
    } else {
        (first.clone(), &words[..])
    };
    let explain_only = first == "EXPLAIN"
        && !words.iter().take_while(|w| !DML.contains(&w.as_str())).any(|w| w == "ANALYZE" || w == "ANALYSE");
    let has_where = rest.iter().any(|w| w == "WHERE");
    let danger = if explain_only || matches!(first.as_str(), "DESCRIBE" | "DESC" | "SHOW") {
        None
    } else {
        match verb.as_str() {
            "DELETE" if !has_where => Some(Danger::DeleteWithoutWhere),
            "UPDATE" if !has_where => Some(Danger::UpdateWithoutWhere),
            "DROP" => Some(Danger::Drop),
            "TRUNCATE" => Some(Danger::Truncate),
            "ALTER" | "RENAME" => Some(Danger::Alter),
            _ => None,
        }
    };
    let second = words.get(1).map(String::as_str).unwrap_or("");
    let txn = match first.as_str() {
        "BEGIN" if !(engine == Engine::Postgres && second == "ATOMIC") => Some(Txn::Begin),
        "START" if second == "TRANSACTION" => Some(Txn::Begin),
        "COMMIT" | "END" => Some(Txn::Commit),
        "ROLLBACK" | "ABORT" if !words.iter().any(|w| w == "TO") => Some(Txn::Rollback),
        _ => None,
    };
    let returns_rows =
        matches!(first.as_str(), "SELECT" | "VALUES" | "TABLE" | "SHOW" | "EXPLAIN" | "DESCRIBE" | "DESC" | "PRAGMA")
            || (first == "WITH" && verb == "SELECT")
            || words.iter().any(|w| w == "RETURNING");
    Analysis { verb, danger, txn, returns_rows }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Engine::*;

    #[test]
    fn dangers() {
        let d = |s: &str| analyse(s, Postgres).danger;
        assert_eq!(d("DELETE FROM t"), Some(Danger::DeleteWithoutWhere));
        assert_eq!(d("delete from t where id = 1"), None);
        assert_eq!(d("DELETE FROM t -- WHERE id = 1"), Some(Danger::DeleteWithoutWhere));
        assert_eq!(d("DELETE FROM t USING (SELECT 1 WHERE true) s"), Some(Danger::DeleteWithoutWhere));
        assert_eq!(d("UPDATE t SET a = 'WHERE'"), Some(Danger::UpdateWithoutWhere));
        assert_eq!(d("update t set a = 1 where b"), None);
        assert_eq!(d("WITH x AS (SELECT 1) DELETE FROM t"), Some(Danger::DeleteWithoutWhere));
        assert_eq!(d("WITH x AS (DELETE FROM t WHERE a) SELECT * FROM x"), None);
        assert_eq!(d("drop table t"), Some(Danger::Drop));
        assert_eq!(d("TRUNCATE t"), Some(Danger::Truncate));
        assert_eq!(d("ALTER TABLE t ADD c int"), Some(Danger::Alter));
        assert_eq!(d("EXPLAIN DELETE FROM t"), None);
        assert_eq!(d("EXPLAIN ANALYZE DELETE FROM t"), Some(Danger::DeleteWithoutWhere));
        assert_eq!(d("SELECT * FROM t"), None);
        assert_eq!(analyse("RENAME TABLE a TO b", Mysql).danger, Some(Danger::Alter));
    }

    #[test]
    fn transactions_and_rows() {
        assert_eq!(analyse("begin", Postgres).txn, Some(Txn::Begin));
        assert_eq!(analyse("START TRANSACTION READ ONLY", Mysql).txn, Some(Txn::Begin));
        assert_eq!(analyse("BEGIN IMMEDIATE", Sqlite).txn, Some(Txn::Begin));
        assert_eq!(analyse("commit", Sqlite).txn, Some(Txn::Commit));
        assert_eq!(analyse("ROLLBACK TO SAVEPOINT a", Postgres).txn, None);
        assert_eq!(analyse("rollback", Mysql).txn, Some(Txn::Rollback));
        assert!(analyse("select 1", Sqlite).returns_rows);
        assert!(analyse("WITH a AS (SELECT 1) SELECT * FROM a", Sqlite).returns_rows);
        assert!(analyse("DELETE FROM t WHERE x RETURNING id", Postgres).returns_rows);
        assert!(!analyse("INSERT INTO t VALUES (1)", Postgres).returns_rows);
    }
}

/// Session settings that hold a read-only session read-only.
const READ_ONLY_SETTINGS: &[&str] = &["DEFAULT_TRANSACTION_READ_ONLY", "TRANSACTION_READ_ONLY", "TX_READ_ONLY"];

/// What in `sql` would turn a read-only session read-write, if anything: `SET default_transaction_read_only`,
/// `BEGIN/START TRANSACTION … READ WRITE`, `SET [SESSION CHARACTERISTICS AS] TRANSACTION READ WRITE`, MySQL's
/// `SET SESSION TRANSACTION READ WRITE` and `@@transaction_read_only`/`@@tx_read_only`, PostgreSQL's
/// `set_config('…read_only…')`. Executable comments count (MySQL runs them). The session also checks after each
/// statement, for what text cannot show (a function that changes the setting).
pub fn turns_off_read_only(sql: &str, engine: Engine) -> Option<String> {
    let engine = engine.dialect();
    // Read under both string rules a session can have (see lex::tokens_in).
    read_only_switch(sql, engine, false).or_else(|| read_only_switch(sql, engine, true))
}

fn read_only_switch(sql: &str, engine: Engine, other_rules: bool) -> Option<String> {
    use super::lex::{Tok, tokens_in};
    let toks: Vec<_> = tokens_in(sql, engine, other_rules)
        .into_iter()
        .filter(|t| !matches!(t.kind, Tok::Space | Tok::Comment))
        .collect();
    let words: Vec<String> =
        toks.iter().filter(|t| t.kind == Tok::Word).map(|t| t.text(sql).to_ascii_uppercase()).collect();
    if let Some(w) = words.windows(2).find(|w| w[0] == "READ" && w[1] == "WRITE") {
        return Some(w.join(" "));
    }
    let first = words.first().map(String::as_str).unwrap_or("");
    if matches!(first, "SET" | "RESET")
        && let Some(s) = words.iter().find(|w| READ_ONLY_SETTINGS.contains(&w.as_str()))
    {
        return Some(format!("{first} {}", s.to_ascii_lowercase()));
    }
    let strings_name_it = toks
        .iter()
        .filter(|t| matches!(t.kind, Tok::String | Tok::QuotedIdent))
        .any(|t| t.text(sql).to_ascii_lowercase().contains("read_only"));
    if words.iter().any(|w| w == "SET_CONFIG") && strings_name_it {
        return Some("set_config(…read_only…)".into());
    }
    None
}

#[cfg(test)]
mod read_only_tests {
    use super::*;

    #[test]
    fn statements_that_switch_read_only_off() {
        let pg = [
            "SET default_transaction_read_only = off",
            "set session default_transaction_read_only to 0",
            "BEGIN READ WRITE",
            "begin isolation level serializable, read write",
            "START TRANSACTION READ WRITE",
            "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
            "SET TRANSACTION READ WRITE",
            "SET LOCAL transaction_read_only = off",
            "RESET default_transaction_read_only",
            "SELECT set_config('default_transaction_read_only', 'off', false)",
            "/* x */ SET default_transaction_read_only = off",
        ];
        for s in pg {
            assert!(turns_off_read_only(s, Engine::Postgres).is_some(), "{s}");
        }
        let my = [
            "SET SESSION TRANSACTION READ WRITE",
            "START TRANSACTION READ WRITE",
            "SET @@session.transaction_read_only = 0",
            "SET tx_read_only = OFF",
            "SET STATEMENT transaction_read_only = 0 FOR INSERT INTO t VALUES (1)",
            "/*!40101 SET SESSION TRANSACTION READ WRITE */",
        ];
        for s in my {
            assert!(turns_off_read_only(s, Engine::Mysql).is_some(), "{s}");
        }
        for s in [
            "SELECT 'read write' AS x",
            "SHOW transaction_read_only",
            "SELECT current_setting('transaction_read_only')",
            "BEGIN",
            "BEGIN READ ONLY",
            "-- SET default_transaction_read_only = off\nSELECT 1",
        ] {
            assert!(turns_off_read_only(s, Engine::Postgres).is_none(), "{s}");
        }
    }
}
