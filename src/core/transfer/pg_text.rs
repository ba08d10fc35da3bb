//! PostgreSQL's catalog text read for other engines: the casts it writes on every literal (`'a'::text`), and the
//! `= ANY (ARRAY[…])` it writes for `IN (…)`. Token indexes only; `translate` re-emits the rest.
use crate::core::sql::lex::Tok;

/// `= ANY ( ARRAY [ … ] )` → `IN ( … )` and `<> ALL ( ARRAY [ … ] )` → `NOT IN ( … )`: the tokens to skip and the
/// ones to write instead (casts already skipped are not looked at).
pub(super) fn pg_any_array(
    expr: &str,
    toks: &[crate::core::sql::lex::Token],
    casts: &[usize],
) -> (Vec<usize>, Vec<(usize, &'static str)>) {
    let code: Vec<usize> = (0..toks.len())
        .filter(|&i| !matches!(toks[i].kind, Tok::Space | Tok::Comment) && !casts.contains(&i))
        .collect();
    let text = |k: usize| code.get(k).map_or(String::new(), |&i| toks[i].text(expr).to_ascii_uppercase());
    let (mut skip, mut replace) = (Vec::new(), Vec::new());
    let mut k = 0;
    while k < code.len() {
        // `=` or `<>` (or `!=`) as one or two punctuation tokens.
        let (op_len, not) = match (text(k).as_str(), text(k + 1).as_str()) {
            ("=", _) => (1, false),
            ("<", ">") | ("!", "=") => (2, true),
            ("<>", _) | ("!=", _) => (1, true),
            _ => (0, false),
        };
        let word = if not { "ALL" } else { "ANY" };
        if op_len > 0
            && text(k + op_len) == word
            && text(k + op_len + 1) == "("
            && text(k + op_len + 2) == "ARRAY"
            && text(k + op_len + 3) == "["
        {
            // Find the matching `]` then `)`.
            let mut j = k + op_len + 4;
            let mut depth = 0;
            while j < code.len() && !(depth == 0 && text(j) == "]") {
                match text(j).as_str() {
                    "[" | "(" => depth += 1,
                    "]" | ")" => depth -= 1,
                    _ => {}
                }
                j += 1;
            }
            if j + 1 < code.len() && text(j + 1) == ")" {
                replace.push((code[k], if not { "NOT IN" } else { "IN" }));
                for o in 1..op_len {
                    skip.push(code[k + o]);
                }
                skip.extend([code[k + op_len], code[k + op_len + 2], code[k + op_len + 3], code[j]]);
                k = j + 2;
                continue;
            }
        }
        k += 1;
    }
    (skip, replace)
}

/// Token indexes of PostgreSQL casts (`::text`, `::character varying(20)`, `::integer[]`), which the catalog
/// writes on every literal and mean nothing (or something else) elsewhere: the value's own type stands.
pub(super) fn pg_casts(expr: &str, toks: &[crate::core::sql::lex::Token]) -> Vec<usize> {
    const MORE: &[&str] = &["varying", "precision", "with", "without", "time", "zone"];
    let code: Vec<usize> = (0..toks.len()).filter(|&i| toks[i].kind != Tok::Space).collect();
    let text = |k: usize| code.get(k).map_or("", |&i| toks[i].text(expr));
    let kind = |k: usize| code.get(k).map(|&i| toks[i].kind);
    let mut out = Vec::new();
    let mut k = 0;
    while k < code.len() {
        let adjacent = code.get(k + 1).is_some_and(|&j| toks[j].start == toks[code[k]].end);
        if text(k) == ":" && text(k + 1) == ":" && adjacent && kind(k + 2) == Some(Tok::Word) {
            let start = k;
            k += 3;
            while kind(k) == Some(Tok::Word) && MORE.contains(&text(k).to_ascii_lowercase().as_str()) {
                k += 1;
            }
            if text(k) == "(" {
                while k < code.len() && text(k) != ")" {
                    k += 1;
                }
                k += 1;
            }
            // Array suffixes: `[]` or `[3]`, in pairs only (a lone `]` closes an ARRAY[…] the cast sat in).
            while text(k) == "[" {
                if text(k + 1) == "]" {
                    k += 2;
                } else if text(k + 2) == "]" && kind(k + 1) == Some(Tok::Number) {
                    k += 3;
                } else {
                    break;
                }
            }
            out.extend(code[start]..=code[(k - 1).min(code.len() - 1)]);
            continue;
        }
        k += 1;
    }
    out
}
