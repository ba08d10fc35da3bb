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
