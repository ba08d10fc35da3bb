//! Expressions carried between dialects: CHECKs, index expressions and predicates, defaults and views, with
//! identifiers re-quoted for the target and only functions known to mean the same everywhere.
use super::pg_text::{pg_any_array, pg_casts};
use crate::core::catalog::quote;
use crate::core::profile::Engine;
use crate::core::sql::lex::{Tok, tokens};

/// Functions a CHECK, default, index expression or view may use and still mean the same on every engine.
const PORTABLE_FUNCTIONS: &[&str] = &[
    "lower", "upper", "length", "abs", "coalesce", "trim", "ltrim", "rtrim", "round", "nullif", "count", "sum", "avg",
    "min", "max", "substr", "replace", "cast",
];

/// Words that may stand before `(` without being a function call.
const KEYWORDS_BEFORE_PAREN: &[&str] = &[
    "in",
    "and",
    "or",
    "not",
    "exists",
    "on",
    "as",
    "from",
    "join",
    "where",
    "then",
    "else",
    "when",
    "select",
    "using",
    "any",
    "all",
    "between",
    "is",
    "like",
    "distinct",
    "union",
    "except",
    "intersect",
    "with",
];

/// Rewrites an expression for `dst`: identifiers re-quoted (so case and reserved words survive), MySQL's
/// double-quoted strings as standard strings. Functions outside a short portable list make it non-portable.
pub fn translate_expr(expr: &str, src: Engine, dst: Engine, columns: &[(String, String)]) -> Result<String, String> {
    translate_expr_typed(expr, src, dst, columns, &[], &[])
}

/// Text functions that PostgreSQL has for text only: a column of another type given to one (or to LIKE) is cast
/// to text, as SQLite and MySQL convert it silently (`length(code) >= 1` on a code mapped to integer).
const TEXT_FUNCTIONS: &[&str] = &[
    "length",
    "char_length",
    "character_length",
    "substr",
    "substring",
    "upper",
    "lower",
    "trim",
    "ltrim",
    "rtrim",
    "replace",
];

/// As `translate_expr`; `booleans` are target columns that became boolean, so `col = 1` reads `col = TRUE`;
/// `non_text` are target columns of a type other than text, cast to text where PostgreSQL wants text (see
/// [`TEXT_FUNCTIONS`]).
///
/// The expression is re-emitted token by token, never copied as text: string literals are decoded with the
/// source's rules and quoted with the target's, identifiers re-quoted, comments dropped, and only punctuation
/// that means the same on the target is kept. The result is checked by tokenizing it as the target reads it:
/// one statement, no comment, no parameter.
pub fn translate_expr_typed(
    expr: &str,
    src: Engine,
    dst: Engine,
    columns: &[(String, String)],
    booleans: &[String],
    non_text: &[String],
) -> Result<String, String> {
    let toks = tokens(expr, src);
    let code_at = |j: usize| {
        let t: &crate::core::sql::lex::Token = &toks[j];
        !matches!(t.kind, Tok::Space | Tok::Comment)
    };
    // A column token that PostgreSQL needs as text: the only argument before `,`/`)` of a text function, or
    // followed by LIKE.
    let wants_text = |i: usize| {
        if dst != Engine::Postgres {
            return false;
        }
        let before: Vec<String> =
            (0..i).rev().filter(|j| code_at(*j)).take(2).map(|j| toks[j].text(expr).to_ascii_lowercase()).collect();
        let after = (i + 1..toks.len()).find(|j| code_at(*j)).map(|j| toks[j].text(expr).to_ascii_lowercase());
        let in_call = before.first().is_some_and(|b| b == "(")
            && before.get(1).is_some_and(|f| TEXT_FUNCTIONS.contains(&f.as_str()))
            && after.as_deref().is_some_and(|a| a == ")" || a == ",");
        in_call || after.as_deref().is_some_and(|a| a == "like" || a == "ilike")
    };
    let emit_column = |out: &mut String, i: usize, target: &str| {
        let q = quote::ident(dst, target);
        if non_text.iter().any(|n| n == target) && wants_text(i) {
            push(out, &format!("CAST({q} AS text)"));
        } else {
            push(out, &q);
        }
    };
    let mut skip = if src == Engine::Postgres && dst != Engine::Postgres { pg_casts(expr, &toks) } else { Vec::new() };
    // PostgreSQL writes `x IN ('a', 'b')` back as `x = ANY (ARRAY['a', 'b'])` (and NOT IN as `<> ALL (…)`): other
    // engines have no arrays, so it goes back to IN.
    let mut replace: Vec<(usize, &'static str)> = Vec::new();
    if src == Engine::Postgres && dst != Engine::Postgres {
        let (more_skip, more_replace) = pg_any_array(expr, &toks, &skip);
        skip.extend(more_skip);
        replace.extend(more_replace);
    }
    let mut out = String::new();
    // The last column named and the operator after it, for boolean literals.
    let mut last_bool = false;
    let mut after_eq = false;
    // Inside `boolcol IN (…)` (or NOT IN): 0 and 1 are FALSE and TRUE too.
    let mut bool_list = false;
    let mut bool_in = false;
    let mut prefix: Option<String> = None; // E / X / N / B before a string
    for (i, t) in toks.iter().enumerate() {
        if let Some((_, r)) = replace.iter().find(|(j, _)| *j == i) {
            push(&mut out, r);
            continue;
        }
        if skip.contains(&i) {
            continue;
        }
        let text = t.text(expr);
        if t.kind == Tok::Number
            && ((last_bool && after_eq) || bool_list)
            && dst == Engine::Postgres
            && matches!(text, "0" | "1")
        {
            push(&mut out, if text == "0" { "FALSE" } else { "TRUE" });
            continue;
        }
        match t.kind {
            Tok::Space | Tok::Comment => {}
            Tok::Word if text.eq_ignore_ascii_case("IN") && last_bool => bool_in = true,
            Tok::Word if text.eq_ignore_ascii_case("NOT") && last_bool => {}
            Tok::Punct if text == "(" && bool_in => {
                bool_list = true;
                bool_in = false;
            }
            Tok::Punct if text == ")" && bool_list => {
                bool_list = false;
                last_bool = false;
            }
            Tok::Punct if text == "," && bool_list => {}
            Tok::Punct if matches!(text, "=" | "<" | ">" | "!") => after_eq = true,
            Tok::Word | Tok::QuotedIdent => {
                let name = crate::core::sql::refs::unquote(text);
                let target = columns.iter().find(|(s, _)| s.eq_ignore_ascii_case(&name)).map(|(_, t)| t.clone());
                last_bool = target.is_some_and(|x| booleans.contains(&x));
                after_eq = false;
            }
            Tok::Number if bool_list => {}
            _ => {
                last_bool = false;
                after_eq = false;
                bool_in = false;
            }
        }
        // A call is a name followed by `(`, whatever is between (spaces, comments), and whether the name is
        // quoted or qualified: each is checked, never let through as a plain name.
        let code = |x: &&crate::core::sql::lex::Token| !matches!(x.kind, Tok::Space | Tok::Comment);
        let next_is_paren = toks[i + 1..].iter().find(code).is_some_and(|x| x.text(expr) == "(");
        let qualified = toks[..i].iter().rev().find(code).is_some_and(|x| x.text(expr) == ".");
        let joined = |x: &str| toks.get(i + 1).is_some_and(|n| n.start == t.end && n.text(expr) == x);
        let string_follows = toks.get(i + 1).is_some_and(|x| x.kind == Tok::String && x.start == t.end);
        match t.kind {
            Tok::Space | Tok::Comment => {
                if src == Engine::Mysql && crate::core::sql::lex::exec_comment_opener(text) > 0 {
                    return Err("a MySQL executable comment (/*! … */)".into());
                }
                push(&mut out, " ");
            }
            Tok::QuotedIdent if next_is_paren => {
                return Err(format!("calls {text}(), a quoted name, which is not carried as a function"));
            }
            Tok::QuotedIdent => {
                let name = crate::core::sql::refs::unquote(text);
                if name.contains('\0') {
                    return Err("an identifier with a NUL character".into());
                }
                let target = columns.iter().find(|(s, _)| *s == name).map_or(name.clone(), |(_, t)| t.clone());
                emit_column(&mut out, i, &target);
            }
            Tok::Word if string_follows && matches!(text, "E" | "e" | "X" | "x" | "N" | "n" | "B" | "b") => {
                prefix = Some(text.to_ascii_uppercase());
            }
            Tok::Word if next_is_paren => {
                let f = text.to_ascii_lowercase();
                if qualified {
                    return Err(format!("calls {text}() through a schema, which is not carried"));
                }
                if !PORTABLE_FUNCTIONS.contains(&f.as_str()) && !KEYWORDS_BEFORE_PAREN.contains(&f.as_str()) {
                    return Err(format!("uses {text}(), which may not exist or mean the same on {dst}"));
                }
                push(&mut out, text);
            }
            Tok::Word => match columns.iter().find(|(s, _)| s.eq_ignore_ascii_case(text)) {
                Some((_, target)) => emit_column(&mut out, i, target),
                None => push(&mut out, text),
            },
            Tok::String if src == Engine::Sqlite && text.starts_with('"') => {
                push(&mut out, &quote::literal(dst, &text[1..text.len() - 1].replace("\"\"", "\"")));
            }
            Tok::String => {
                let p = prefix.take();
                let escapes = src == Engine::Postgres && p.as_deref() == Some("E");
                let value = crate::core::sql::literal::decode(text, src, escapes)?;
                push(&mut out, &literal(dst, p.as_deref(), &value)?);
            }
            Tok::Number => push(&mut out, text),
            Tok::Punct => {
                let doubled = (text == "|" && joined("|")) || (text == "&" && joined("&"));
                push(&mut out, portable_punct(text, src, dst, doubled)?)
            }
            Tok::Param => return Err("has a parameter".into()),
        }
    }
    let out = out.trim().to_string();
    check_one_expression(&out, dst)?;
    Ok(out)
}

/// A decoded string value as a literal of `dst`; `prefix` is the source's X'…' (blob) or B'…' (bits) marker.
fn literal(dst: Engine, prefix: Option<&str>, value: &str) -> Result<String, String> {
    match prefix {
        Some("X") => {
            if !value.bytes().all(|b| b.is_ascii_hexdigit()) || value.len() % 2 == 1 {
                return Err("a malformed X'…' literal".into());
            }
            Ok(if dst == Engine::Postgres { format!("'\\x{value}'::bytea") } else { format!("X'{value}'") })
        }
        Some("B") => {
            if !value.bytes().all(|b| b == b'0' || b == b'1') {
                return Err("a malformed B'…' literal".into());
            }
            Ok(format!("B'{value}'"))
        }
        _ if value.contains('\0') && dst != Engine::Mysql => {
            Err(format!("a string with a NUL character, which {dst} text cannot hold"))
        }
        _ => Ok(quote::literal(dst, value)),
    }
}

/// Punctuation that means the same on both engines; anything else (`;`, `#`, `@`, a backslash, braces, a bracket
/// on SQLite, where it quotes a name) is refused, and so are operators that mean something else across the pair:
/// `/` (MySQL divides integers into decimals), `||` (OR in MySQL, concatenation elsewhere), `^` (power, XOR, or
/// nothing), `~` (a regular-expression match in PostgreSQL), `&&`.
fn portable_punct(p: &str, src: Engine, dst: Engine, doubled: bool) -> Result<&str, String> {
    let mysql_edge = (src == Engine::Mysql) != (dst == Engine::Mysql);
    let refuse = |why: &str| Err(format!("`{}` {why} on {dst}", p.escape_default()));
    match p {
        "/" if mysql_edge => refuse("divides differently"),
        "|" if doubled && mysql_edge => refuse("(||) means something else"),
        "&" if doubled && src != dst => refuse("(&&) means something else"),
        "^" | "~" if src != dst => refuse("means something else"),
        "(" | ")" | "," | "." | "+" | "-" | "*" | "/" | "%" | "<" | ">" | "=" | "!" | "|" | "&" | "~" | "^" | ":" => {
            Ok(p)
        }
        "[" | "]" if dst != Engine::Sqlite => Ok(p),
        _ => Err(format!("the character `{}`, which is not carried to {dst}", p.escape_default())),
    }
}

/// Appends a token, with a space where two tokens would otherwise run together into a comment (`-` `-`,
/// `/` `*`) or the end of one (`*` `/`).
fn push(out: &mut String, text: &str) {
    if text == " " {
        if !out.ends_with(' ') && !out.is_empty() {
            out.push(' ');
        }
        return;
    }
    let joins = |a: char, b: char| matches!((a, b), ('-', '-') | ('/', '*') | ('*', '/'));
    if let (Some(a), Some(b)) = (out.chars().last(), text.chars().next())
        && joins(a, b)
    {
        out.push(' ');
    }
    out.push_str(text);
}

/// The translated text read back as `dst` reads it: one expression, no comment, no parameter, no `;`.
pub(crate) fn check_one_expression(sql: &str, dst: Engine) -> Result<(), String> {
    for t in tokens(sql, dst) {
        let bad = match t.kind {
            Tok::Comment => Some("a comment"),
            Tok::Param => Some("a parameter"),
            Tok::Punct if t.text(sql) == ";" => Some("a statement separator"),
            _ => None,
        };
        if let Some(what) = bad {
            return Err(format!("the translation would hold {what} on {dst}"));
        }
    }
    Ok(())
}

pub(crate) fn default_for(d: &str, src: Engine, dst: Engine) -> Result<String, String> {
    let t = d.trim();
    let u = t.to_ascii_uppercase();
    let now = matches!(
        u.as_str(),
        "CURRENT_TIMESTAMP"
            | "NOW()"
            | "CURRENT_TIMESTAMP()"
            | "(DATETIME('NOW'))"
            | "DATETIME('NOW')"
            | "(CURRENT_TIMESTAMP)"
    ) || (u.starts_with("CURRENT_TIMESTAMP(")
        && u[18..].trim_end_matches(')').bytes().all(|b| b.is_ascii_digit()));
    if now {
        return Ok("CURRENT_TIMESTAMP".into());
    }
    // A random UUID (DuckDB uuid()/gen_random_uuid()/uuidv4(), PostgreSQL gen_random_uuid(), MySQL uuid()).
    // `uuid()` and `(uuid())` alike: outer parentheses off, then the call's own `(`.
    if matches!(u.trim_start_matches('(').trim_end_matches(')'), "UUID(" | "GEN_RANDOM_UUID(" | "UUIDV4(") {
        return match dst {
            Engine::Postgres => Ok("gen_random_uuid()".into()),
            Engine::Mysql => Ok("(uuid())".into()),
            _ => Err(format!("default {t}: SQLite has no UUID function: dropped (give values on insert)")),
        };
    }
    let inner = t.strip_prefix('(').and_then(|x| x.strip_suffix(')')).unwrap_or(t);
    let numeric = !inner.is_empty()
        && inner.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
        && inner.parse::<f64>().is_ok();
    if numeric || matches!(inner.to_ascii_uppercase().as_str(), "NULL" | "TRUE" | "FALSE") {
        return Ok(inner.to_string());
    }
    // A string literal, possibly E'…' or with a PostgreSQL cast ('text'::type), decoded and re-quoted.
    let toks: Vec<_> =
        tokens(inner, src).into_iter().filter(|x| !matches!(x.kind, Tok::Space | Tok::Comment)).collect();
    let (escapes, lit) = match toks.as_slice() {
        [s, rest @ ..] if s.kind == Tok::String && is_cast(inner, rest) => (false, s),
        [e, s, rest @ ..]
            if e.text(inner).eq_ignore_ascii_case("e") && s.kind == Tok::String && is_cast(inner, rest) =>
        {
            (src.dialect() == Engine::Postgres, s)
        }
        _ => return Err(format!("default {t} is an expression that may not mean the same on {dst}: dropped")),
    };
    let value =
        crate::core::sql::literal::decode(lit.text(inner), src, escapes).map_err(|e| format!("default {t}: {e}"))?;
    literal(dst, None, &value).map_err(|e| format!("default {t}: {e}"))
}

/// Nothing, or a PostgreSQL cast to a plain type name (`::text`, `::character varying`).
fn is_cast(text: &str, rest: &[crate::core::sql::lex::Token]) -> bool {
    match rest {
        [] => true,
        [a, b, names @ ..] => {
            a.text(text) == ":" && b.text(text) == ":" && !names.is_empty() && names.iter().all(|n| n.kind == Tok::Word)
        }
        _ => false,
    }
}

/// The values of a MySQL `enum('a','b')` / `set(…)` column type, decoded.
pub fn mysql_enum_values(column_type: &str) -> Result<Vec<String>, String> {
    enum_values(column_type, Engine::Mysql)
}

/// The values of an `ENUM('a', 'b')` column type as `engine` writes it, decoded.
pub fn enum_values(column_type: &str, engine: Engine) -> Result<Vec<String>, String> {
    let (Some(a), Some(b)) = (column_type.find('('), column_type.rfind(')')) else {
        return Err(format!("no value list in {column_type}"));
    };
    let list = &column_type[a + 1..b];
    let mut out = Vec::new();
    for t in tokens(list, engine) {
        match t.kind {
            Tok::String => out.push(crate::core::sql::literal::decode(t.text(list), engine, false)?),
            Tok::Space => {}
            Tok::Punct if t.text(list) == "," => {}
            _ => return Err(format!("unexpected `{}` in {column_type}", t.text(list))),
        }
    }
    Ok(out)
}

/// The query of a view: after the first top-level `AS` of `CREATE VIEW name [(columns)] AS …` (a name that holds
/// " AS " is a quoted token and does not count), or the whole text when it is already a query.
pub(crate) fn view_select(sql: &str, engine: Engine) -> String {
    let toks = tokens(sql, engine);
    let mut words = toks.iter().filter(|t| t.kind == Tok::Word);
    if !words.next().is_some_and(|w| w.text(sql).eq_ignore_ascii_case("CREATE")) {
        return sql.trim().to_string();
    }
    let mut depth = 0;
    for t in &toks {
        match (t.kind, t.text(sql)) {
            (Tok::Punct, "(") => depth += 1,
            (Tok::Punct, ")") => depth -= 1,
            (Tok::Word, w) if depth == 0 && w.eq_ignore_ascii_case("AS") => return sql[t.end..].trim().to_string(),
            _ => {}
        }
    }
    sql.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tr(e: &str, src: Engine, dst: Engine) -> Result<String, String> {
        translate_expr(e, src, dst, &[("a".into(), "a".into())])
    }

    #[test]
    fn literals_are_requoted_for_the_target() {
        let sqlite = r"a <> '\' OR a = '); DROP TABLE victim; -- '";
        assert_eq!(
            tr(sqlite, Engine::Sqlite, Engine::Mysql).unwrap(),
            r"`a` <> '\\' OR `a` = '); DROP TABLE victim; -- '"
        );
        assert_eq!(tr(r"a = E'it''s \\'", Engine::Postgres, Engine::Sqlite).unwrap(), r#""a" = 'it''s \'"#);
        assert_eq!(tr(r"a = 'x\'' OR 1", Engine::Mysql, Engine::Postgres).unwrap(), r#""a" = 'x''' OR 1"#);
        assert_eq!(tr("a = $q$;'$q$", Engine::Postgres, Engine::Mysql).unwrap(), "`a` = ';'''");
    }

    #[test]
    fn comments_separators_and_foreign_punctuation_never_reach_the_target() {
        assert_eq!(tr("id /*!, 42 AS who */ + 1", Engine::Sqlite, Engine::Mysql).unwrap(), "id + 1");
        assert!(tr("id /*!, 42 AS who */", Engine::Mysql, Engine::Postgres).is_err(), "MySQL code in a comment");
        assert_eq!(tr("a --1", Engine::Mysql, Engine::Postgres).unwrap(), r#""a" - -1"#);
        assert!(tr("1; DROP TABLE victim", Engine::Sqlite, Engine::Mysql).is_err());
        assert!(tr("a # 1", Engine::Postgres, Engine::Mysql).is_err());
        assert!(tr("a[1]", Engine::Postgres, Engine::Sqlite).is_err());
        assert!(tr("@x", Engine::Mysql, Engine::Postgres).is_err());
        assert!(tr(r"a = 'x\0'", Engine::Mysql, Engine::Postgres).is_err(), "NUL in PostgreSQL text");
    }

    #[test]
    fn postgres_casts_are_dropped_elsewhere() {
        let e = r"(a)::text <> '\'::character varying(20)";
        assert_eq!(tr(e, Engine::Postgres, Engine::Sqlite).unwrap(), r#"("a") <> '\'"#);
        assert_eq!(tr("a::integer[] IS NULL", Engine::Postgres, Engine::Mysql).unwrap(), "`a` IS NULL");
        assert_eq!(tr("a::text", Engine::Postgres, Engine::Postgres).unwrap(), r#""a"::text"#);
    }

    #[test]
    fn postgres_any_array_goes_back_to_in() {
        let e = "(a = ANY (ARRAY['s'::text, 'm'::text, 'it''s'::text]))";
        assert_eq!(tr(e, Engine::Postgres, Engine::Mysql).unwrap(), "(`a` IN ('s', 'm', 'it''s'))");
        assert_eq!(tr(e, Engine::Postgres, Engine::Sqlite).unwrap(), r#"("a" IN ('s', 'm', 'it''s'))"#);
        let n = "(a <> ALL (ARRAY[1, 2]))";
        assert_eq!(tr(n, Engine::Postgres, Engine::Mysql).unwrap(), "(`a` NOT IN (1, 2))");
        // Left alone on PostgreSQL; a cast's `[]` suffix is still dropped, but a `]` closing ARRAY[…] is not.
        assert!(tr(e, Engine::Postgres, Engine::Postgres).unwrap().contains("ARRAY"));
        assert_eq!(tr("a::integer[] IS NULL", Engine::Postgres, Engine::Sqlite).unwrap(), r#""a" IS NULL"#);
    }

    #[test]
    fn checks_on_columns_that_became_boolean_use_true_and_false() {
        let cols = [("flag".to_string(), "flag".to_string()), ("n".to_string(), "n".to_string())];
        let b = ["flag".to_string()];
        let t = |e: &str| translate_expr_typed(e, Engine::Sqlite, Engine::Postgres, &cols, &b, &[]).unwrap();
        assert_eq!(t("flag IN (0, 1)"), r#""flag" IN (FALSE, TRUE)"#);
        assert_eq!(t("flag NOT IN (1) AND n IN (0, 1)"), r#""flag" NOT IN (TRUE) AND "n" IN (0, 1)"#);
        assert_eq!(t("flag = 1 OR n = 1"), r#""flag" = TRUE OR "n" = 1"#);
    }

    #[test]
    fn defaults_and_enum_values_are_decoded() {
        assert_eq!(default_for(r"'it''s \\'", Engine::Mysql, Engine::Postgres).unwrap(), r"'it''s \'");
        assert_eq!(default_for(r"E'a\\b'::text", Engine::Postgres, Engine::Mysql).unwrap(), r"'a\\b'");
        assert!(default_for("'a' || (SELECT 1)", Engine::Sqlite, Engine::Mysql).is_err());
        assert_eq!(mysql_enum_values(r"enum('a\\b','it''s','x);y')").unwrap(), [r"a\b", "it's", "x);y"]);
    }
}

#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;
    use crate::core::sql::literal::decode;

    const ENGINES: [Engine; 3] = [Engine::Postgres, Engine::Mysql, Engine::Sqlite];

    fn hostile() -> impl Strategy<Value = String> {
        let pieces = [
            "'",
            "\\",
            "\"",
            "`",
            ";",
            "--",
            "/*",
            "*/",
            "/*!",
            "#",
            "$$",
            "\n",
            "\r",
            "é",
            "漢",
            "\u{1b}[2J",
            "DROP TABLE victim",
            "E'",
            "\u{7}",
            "\u{feff}",
        ];
        proptest::collection::vec(
            prop_oneof![proptest::sample::select(pieces.to_vec()).prop_map(str::to_string), "[ -~]{0,3}"],
            0..12,
        )
        .prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        /// Any value, written as a literal of one engine, arrives on every other as one literal holding the same
        /// value, in one expression with no comment.
        #[test]
        fn a_literal_keeps_its_value_on_every_target(v in hostile(), name in hostile()) {
            for src in ENGINES {
                for dst in ENGINES {
                    let expr = format!("{} = {} OR {} <> 1",
                        quote::ident(src, &name), quote::literal(src, &v), quote::ident(src, &name));
                    let out = translate_expr(&expr, src, dst, &[]).unwrap_or_else(|e| panic!("{src}→{dst} {expr:?}: {e}"));
                    check_one_expression(&out, dst).unwrap();
                    let toks = tokens(&out, dst);
                    let strings: Vec<_> = toks.iter().filter(|t| t.kind == Tok::String).collect();
                    prop_assert_eq!(strings.len(), 1, "{}→{}: {:?} → {:?}", src, dst, expr, out);
                    prop_assert_eq!(decode(strings[0].text(&out), dst, false).unwrap(), v.clone());
                    let idents: Vec<_> = toks.iter().filter(|t| t.kind == Tok::QuotedIdent).collect();
                    prop_assert_eq!(idents.len(), 2);
                    prop_assert_eq!(crate::core::sql::refs::unquote(idents[0].text(&out)), name.clone());
                }
            }
        }
    }
}

#[cfg(test)]
mod calls {
    use super::*;

    #[test]
    fn every_call_is_checked_however_it_is_written() {
        for e in [r#""lo_import"('/etc/hostname') IS NOT NULL"#, "lo_import/**/('/etc/hosts')", "[lo_import]('/x')"] {
            assert!(translate_expr(e, Engine::Sqlite, Engine::Postgres, &[]).is_err(), "{e}");
        }
        assert!(translate_expr("load_file/**/('/etc/passwd')", Engine::Sqlite, Engine::Mysql, &[]).is_err());
        assert!(translate_expr("pg_catalog.lower(a)", Engine::Postgres, Engine::Sqlite, &[]).is_err());
        assert!(translate_expr(r#"pg_catalog."f"(a)"#, Engine::Postgres, Engine::Sqlite, &[]).is_err());
        assert_eq!(translate_expr("lower /* x */ (a)", Engine::Sqlite, Engine::Postgres, &[]).unwrap(), "lower (a)");
        assert!(translate_expr("a IN (1, 2) AND NOT (b)", Engine::Sqlite, Engine::Postgres, &[]).is_ok());
    }

    #[test]
    fn operators_that_mean_something_else_are_refused() {
        assert!(translate_expr("n / 2", Engine::Sqlite, Engine::Mysql, &[]).is_err());
        assert!(translate_expr("n / 2", Engine::Mysql, Engine::Postgres, &[]).is_err());
        assert!(translate_expr("n / 2", Engine::Sqlite, Engine::Postgres, &[]).is_ok());
        assert!(translate_expr("a || b", Engine::Postgres, Engine::Mysql, &[]).is_err());
        assert!(translate_expr("a || b", Engine::Postgres, Engine::Sqlite, &[]).is_ok());
        assert!(translate_expr("a | b", Engine::Postgres, Engine::Mysql, &[]).is_ok());
        assert!(translate_expr("a ^ 2", Engine::Postgres, Engine::Mysql, &[]).is_err());
        assert!(translate_expr("a ~ 'x'", Engine::Postgres, Engine::Sqlite, &[]).is_err());
    }

    #[test]
    fn non_text_columns_are_cast_where_postgresql_wants_text() {
        let cols = vec![("code".to_string(), "code".to_string()), ("name".to_string(), "name".to_string())];
        let non_text = vec!["code".to_string()];
        let t = |e: &str, dst| translate_expr_typed(e, Engine::Sqlite, dst, &cols, &[], &non_text).unwrap();
        assert_eq!(t("length(code) >= 1", Engine::Postgres), r#"length(CAST("code" AS text)) >= 1"#);
        assert_eq!(t("substr(code, 1, 2) = 'AB'", Engine::Postgres), r#"substr(CAST("code" AS text), 1, 2) = 'AB'"#);
        assert_eq!(t("code LIKE 'A%'", Engine::Postgres), r#"CAST("code" AS text) LIKE 'A%'"#);
        // Text columns, other functions, and other targets are left as they are.
        assert_eq!(t("length(name) > 0", Engine::Postgres), r#"length("name") > 0"#);
        assert_eq!(t("abs(code) < 5", Engine::Postgres), r#"abs("code") < 5"#);
        assert_eq!(t("length(code + 1) > 0", Engine::Postgres), r#"length("code" + 1) > 0"#);
        assert_eq!(t("length(code) >= 1", Engine::Mysql), "length(`code`) >= 1");
    }
}
