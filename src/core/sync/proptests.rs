//! Property tests for the sync's text paths: whatever a change log row holds (any JSON, any text with quotes,
//! backslashes, control characters, NUL, non-ASCII; any table and column names), parsing never panics, and every
//! statement the apply builds is exactly one statement for its target with the value carried intact.
use proptest::prelude::*;
use serde_json::{Map, Value};

use super::apply::build;
use super::log::{Change, decode, key_text, parse_row};
use crate::core::profile::Engine;
use crate::core::transfer::plan::Plan;
use crate::core::transfer::typemap::Cast;

const ENGINES: [Engine; 3] = [Engine::Postgres, Engine::Mysql, Engine::Sqlite];

fn text() -> impl Strategy<Value = String> {
    let pieces =
        ["'", "''", "\"", "`", "\\", "\\'", ";", "--", "/*", "*/", "$$", "\0", "\u{1b}", "\n", "é", "漢", " ", "x"];
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(pieces.to_vec()).prop_map(str::to_string),
            any::<char>().prop_map(|c| c.to_string())
        ],
        0..12,
    )
    .prop_map(|v| v.concat())
}

fn plan(src: Engine, dst: Engine, table: &str, col: &str) -> Plan {
    super::apply::tests::one_table(src, dst, table, &[("id", Cast::Text, "text"), (col, Cast::Text, "text")])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn log_rows_parse_or_say_why_never_panic(s in text()) {
        let _ = parse_row(Some(&s));
        let v = Value::String(s.clone());
        for e in ENGINES {
            let _ = decode(e, true, Some(&v));
            let _ = decode(e, false, Some(&v));
        }
    }

    #[test]
    fn every_statement_is_one_statement_with_the_value_intact(
        table in text().prop_filter("a name", |s| !s.is_empty() && !s.contains('\0')),
        col in text().prop_filter("a name", |s| !s.is_empty() && s != "id" && !s.contains('\0')),
        key in text(),
        value in text(),
        src in prop::sample::select(ENGINES.to_vec()),
        dst in prop::sample::select(ENGINES.to_vec()),
    ) {
        let p = plan(src, dst, &table, &col);
        // The capture's encoding on each source: SQLite tags its text.
        let enc = |s: &str| if src == Engine::Sqlite { format!("t{s}") } else { s.to_string() };
        let mut row = Map::new();
        row.insert("id".into(), Value::String(enc(&key)));
        row.insert(col.clone(), Value::String(enc(&value)));
        let ins = Change { seq: 1, tbl: table.clone(), op: 'I', old: None, new: Some(row.clone()), origin: None, at: 0 };
        let del = Change { seq: 2, tbl: table.clone(), op: 'D', old: Some(row.clone()), new: None, origin: None, at: 0 };
        let (statements, refused) = build(&p, &[&ins, &del]);
        // Text with NUL cannot go to PostgreSQL: refused, with the reason, never sent.
        let nul = (key.contains('\0') || value.contains('\0')) && dst == Engine::Postgres;
        prop_assert_eq!(refused.is_empty(), !nul, "{:?}", refused);
        for s in &statements {
            let n = crate::core::sql::split(&s.sql, dst).len();
            prop_assert_eq!(n, 1, "{}", s.sql.escape_debug());
        }
        if !nul {
            prop_assert_eq!(statements.len(), 2);
            // The value is in the statement as the target's literal of it.
            let lit = if dst == Engine::Sqlite && value.contains('\0') {
                let hex: String = value.bytes().map(|b| format!("{b:02x}")).collect();
                format!("CAST(X'{hex}' AS TEXT)")
            } else {
                crate::core::catalog::quote::literal(dst, &value)
            };
            prop_assert!(statements[0].sql.contains(&lit), "{} lacks {}", statements[0].sql.escape_debug(), lit.escape_debug());
            prop_assert_eq!(key_text(src, &row, &["id".to_string()]), serde_json::to_string(&vec![key.clone()]).unwrap());
        }
    }
}
