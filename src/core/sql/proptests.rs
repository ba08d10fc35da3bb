//! Property tests for the tokenizer, splitter, classifier and table references: whatever the text (quotes left
//! open, comments, dollar quotes, delimiters, non-ASCII, a byte-order mark, control characters, NUL) they return,
//! never panic and never hang, and what they return is a faithful cut of the input.
use proptest::prelude::*;

use super::{classify, lex, refs, split};
use crate::core::profile::Engine;

const ENGINES: [Engine; 3] = [Engine::Postgres, Engine::Mysql, Engine::Sqlite];

/// Fragments that steer the scanners into every state, mixed with arbitrary characters.
fn fragment() -> impl Strategy<Value = String> {
    let pieces = [
        "'",
        "\"",
        "`",
        "$$",
        "$a$",
        "$1",
        ";",
        ";;",
        "/*",
        "*/",
        "/*!",
        "/*!50003 ",
        "/*M!100100 ",
        "--",
        "-- ",
        "#",
        "\n",
        " ",
        "\t",
        "é",
        "漢",
        "\u{feff}",
        "\0",
        "\u{1b}",
        "\\",
        "BEGIN",
        "END",
        "END IF",
        "CASE",
        "CREATE",
        "TRIGGER",
        "PROCEDURE",
        "FUNCTION",
        "\nDELIMITER $$\n",
        "\nDELIMITER ;\n",
        "\nDELIMITER é\n",
        "(",
        ")",
        "[",
        "]",
        "E'",
        "x",
        "1",
        "1e-5",
        ":name",
        "?",
        "SELECT ",
        "DELETE FROM t",
        "WHERE",
        "DROP",
    ];
    prop_oneof![
        proptest::sample::select(pieces.to_vec()).prop_map(str::to_string),
        any::<char>().prop_map(|c| c.to_string()),
    ]
}

fn script() -> impl Strategy<Value = String> {
    proptest::collection::vec(fragment(), 0..60).prop_map(|v| v.concat())
}

/// A statement that holds delimiters only where they cannot split: strings, quoted names, comments.
fn simple_statement() -> impl Strategy<Value = String> {
    let parts = [
        "SELECT 1",
        "'a;b'",
        "'it''s; é'",
        "\"x;y\"",
        "/* ; */",
        "é",
        "漢字",
        "CASE WHEN 1 THEN 2 END",
        "t.begin_at",
        "(1)",
        "'\u{1b}[2J'",
    ];
    proptest::collection::vec(proptest::sample::select(parts.to_vec()), 1..6)
        .prop_map(|v| format!("SELECT {}", v.join(" ")))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn tokens_cover_the_text_on_char_boundaries(s in script()) {
        for e in ENGINES {
            let toks = lex::tokens(&s, e);
            let mut at = 0;
            for t in &toks {
                prop_assert_eq!(t.start, at);
                prop_assert!(t.end > t.start);
                prop_assert!(s.is_char_boundary(t.start) && s.is_char_boundary(t.end));
                at = t.end;
            }
            prop_assert_eq!(at, s.len());
        }
    }

    #[test]
    fn split_returns_ordered_slices_of_the_script(s in script()) {
        for e in ENGINES {
            let mut last = 0;
            for st in split::split(&s, e) {
                prop_assert!(st.offset >= last);
                prop_assert!(s.is_char_boundary(st.offset));
                prop_assert_eq!(&s[st.offset..st.offset + st.text.len()], st.text.as_str());
                prop_assert!(!st.text.trim().is_empty());
                prop_assert_eq!(st.line, 1 + s[..st.offset].matches('\n').count());
                last = st.offset + st.text.len();
            }
        }
    }

    #[test]
    fn analysis_never_panics(s in script()) {
        for e in ENGINES {
            let _ = classify::analyse(&s, e);
            let _ = refs::references(&s, e);
            let _ = lex::top_level_words(&s, e);
            let _ = lex::find_nul(&s);
        }
    }

    #[test]
    fn statements_joined_by_delimiters_split_back(v in proptest::collection::vec(simple_statement(), 1..8)) {
        for e in ENGINES {
            let script = v.join(";\n");
            let got: Vec<String> = split::split(&script, e).into_iter().map(|s| s.text).collect();
            prop_assert_eq!(&got, &v);
            if e == Engine::Mysql {
                let custom = format!("DELIMITER $$\n{}$$\nDELIMITER ;\n", v.join("$$\n"));
                let got: Vec<String> = split::split(&custom, e).into_iter().map(|s| s.text).collect();
                prop_assert_eq!(&got, &v);
            }
        }
    }
}
