//! Identifier quoting, one function per dialect. Every identifier dbconsole writes into SQL goes through here.
use crate::core::profile::Engine;

/// Quotes an identifier: `"…"` with `"` doubled (PostgreSQL, SQLite) or `` `…` `` with `` ` `` doubled (MySQL).
pub fn ident(engine: Engine, name: &str) -> String {
    match engine {
        Engine::Mysql => format!("`{}`", name.replace('`', "``")),
        _ => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

/// `schema.name`, both quoted; SQLite's `main` schema is left out.
pub fn qualified(engine: Engine, schema: &str, name: &str) -> String {
    if schema.is_empty() || (engine == Engine::Sqlite && schema == "main") {
        ident(engine, name)
    } else {
        format!("{}.{}", ident(engine, schema), ident(engine, name))
    }
}

/// A string literal: `'…'` with `'` doubled (and `\` doubled for MySQL's default sql_mode).
pub fn literal(engine: Engine, s: &str) -> String {
    match engine {
        Engine::Mysql => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''").replace('\0', "\\0")),
        // A NUL cannot travel in the shell's argument: written as chr(0) between the parts.
        Engine::Duckdb if s.contains('\0') => {
            let parts: Vec<String> = s.split('\0').map(|p| format!("'{}'", p.replace('\'', "''"))).collect();
            format!("({})", parts.join(" || chr(0) || "))
        }
        _ => format!("'{}'", s.replace('\'', "''")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names() {
        assert_eq!(ident(Engine::Postgres, r#"we"ird name"#), r#""we""ird name""#);
        assert_eq!(ident(Engine::Mysql, "a`b"), "`a``b`");
        assert_eq!(ident(Engine::Sqlite, "select"), "\"select\"");
        assert_eq!(qualified(Engine::Sqlite, "main", "t"), "\"t\"");
        assert_eq!(qualified(Engine::Postgres, "Ünï", "Tâble"), "\"Ünï\".\"Tâble\"");
        assert_eq!(literal(Engine::Mysql, r"it's \x"), r"'it''s \\x'");
        assert_eq!(literal(Engine::Duckdb, "a\0b'c"), "('a' || chr(0) || 'b''c')");
        assert_eq!(literal(Engine::Duckdb, r"a\b"), r"'a\b'");
    }
}
