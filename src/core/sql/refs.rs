//! The tables a statement names (FROM, JOIN, UPDATE, INTO), with their aliases: for completion and for telling
//! whether a result can be edited.
use super::lex::{Tok, tokens};
use crate::core::profile::Engine;

/// Tables the statement names, with their aliases: (alias or name, schema, table).
pub fn references(sql: &str, engine: Engine) -> Vec<(String, Option<String>, String)> {
    let toks: Vec<_> =
        tokens(sql, engine).into_iter().filter(|t| !matches!(t.kind, Tok::Space | Tok::Comment)).collect();
    let word = |i: usize| toks.get(i).map(|t| unquote(t.text(sql)));
    let is_ident = |i: usize| toks.get(i).is_some_and(|t| matches!(t.kind, Tok::Word | Tok::QuotedIdent));
    let mut out = Vec::new();
    let mut i = 0;
    // Inside a FROM list, where `, name` is one more table (not in ORDER BY a, b).
    let mut in_list = false;
    while i < toks.len() {
        let w = toks[i].text(sql).to_ascii_uppercase();
        if w != "," && (is_keyword(&w) || w == "(" || w == ")") {
            in_list = false;
        }
        if matches!(w.as_str(), "FROM" | "JOIN" | "UPDATE" | "INTO") || (w == "," && in_list) {
            let mut j = i + 1;
            if !is_ident(j) {
                i += 1;
                continue;
            }
            let mut schema = None;
            let mut table = word(j).unwrap_or_default();
            if toks.get(j + 1).is_some_and(|t| t.text(sql) == ".") && is_ident(j + 2) {
                schema = Some(table);
                table = word(j + 2).unwrap_or_default();
                j += 2;
            }
            j += 1;
            if toks.get(j).is_some_and(|t| t.text(sql).eq_ignore_ascii_case("AS")) {
                j += 1;
            }
            let alias = match toks.get(j) {
                Some(t) if matches!(t.kind, Tok::Word | Tok::QuotedIdent) && !is_keyword(t.text(sql)) => {
                    j += 1;
                    unquote(t.text(sql))
                }
                _ => table.clone(),
            };
            out.push((alias, schema, table));
            in_list = w == "FROM" || w == ",";
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

fn is_keyword(w: &str) -> bool {
    let u = w.to_ascii_uppercase();
    matches!(
        u.as_str(),
        "WHERE"
            | "JOIN"
            | "LEFT"
            | "RIGHT"
            | "INNER"
            | "FULL"
            | "CROSS"
            | "ON"
            | "USING"
            | "GROUP"
            | "ORDER"
            | "LIMIT"
            | "SET"
            | "VALUES"
            | "NATURAL"
            | "OUTER"
            | "HAVING"
            | "UNION"
            | "RETURNING"
            | "WINDOW"
    )
}

/// The name a quoted identifier stands for (`"a""b"` → `a"b`, `` `x` `` → `x`, `[y]` → `y`); an unterminated one
/// (the tokenizer runs it to the end of the text) keeps everything after its opening quote.
pub fn unquote(s: &str) -> String {
    let Some(open) = s.chars().next().filter(|c| matches!(c, '"' | '`' | '[')) else {
        return s.to_string();
    };
    let close = if open == '[' { ']' } else { open };
    let body = &s[1..];
    let body = if !body.is_empty() && body.ends_with(close) && !(open != '[' && is_doubled_tail(body, close)) {
        &body[..body.len() - 1]
    } else {
        body
    };
    if open == '[' { body.to_string() } else { body.replace(&format!("{close}{close}"), &close.to_string()) }
}

/// Whether `body` ends in a doubled quote that is an escaped quote, not the closing one (`a""` of `"a""`).
fn is_doubled_tail(body: &str, close: char) -> bool {
    body.chars().rev().take_while(|&c| c == close).count() % 2 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_aliases() {
        let r = references(
            "select * from public.orders o, users join \"Line Items\" AS li on li.o = o.id order by o.a, li",
            Engine::Postgres,
        );
        assert_eq!(
            r,
            vec![
                ("o".into(), Some("public".into()), "orders".into()),
                ("users".into(), None, "users".into()),
                ("li".into(), None, "Line Items".into()),
            ]
        );
        let r = references("UPDATE t SET a = 1 WHERE b", Engine::Mysql);
        assert_eq!(r, vec![("t".into(), None, "t".into())]);
    }
}
