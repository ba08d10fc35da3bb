//! Expressions carried between dialects: CHECKs, index expressions and predicates, defaults and views, with
//! identifiers re-quoted for the target and only functions known to mean the same everywhere.
use crate::core::catalog::quote;
use crate::core::profile::Engine;
use crate::core::sql::lex::{Tok, tokens};

/// Functions a CHECK, default, index expression or view may use and still mean the same on every engine.
const PORTABLE_FUNCTIONS: &[&str] = &[
    "lower", "upper", "length", "abs", "coalesce", "trim", "ltrim", "rtrim", "round", "nullif", "count", "sum", "avg",
    "min", "max", "substr", "replace", "cast",
];

/// Rewrites an expression for `dst`: identifiers re-quoted (so case and reserved words survive), MySQL's
/// double-quoted strings as standard strings. Functions outside a short portable list make it non-portable.
pub fn translate_expr(expr: &str, src: Engine, dst: Engine, columns: &[(String, String)]) -> Result<String, String> {
    translate_expr_typed(expr, src, dst, columns, &[])
}

/// As `translate_expr`; `booleans` are target columns that became boolean, so `col = 1` reads `col = TRUE`.
pub fn translate_expr_typed(
    expr: &str,
    src: Engine,
    dst: Engine,
    columns: &[(String, String)],
    booleans: &[String],
) -> Result<String, String> {
    let toks = tokens(expr, src);
    let mut out = String::new();
    // The last column named and the operator after it, for boolean literals.
    let mut last_bool = false;
    let mut after_eq = false;
    for (i, t) in toks.iter().enumerate() {
        if t.kind == Tok::Number && last_bool && after_eq && dst == Engine::Postgres {
            match t.text(expr) {
                "0" => {
                    out.push_str("FALSE");
                    continue;
                }
                "1" => {
                    out.push_str("TRUE");
                    continue;
                }
                _ => {}
            }
        }
        match t.kind {
            Tok::Space | Tok::Comment => {}
            Tok::Punct if matches!(t.text(expr), "=" | "<" | ">" | "!") => after_eq = true,
            Tok::Word | Tok::QuotedIdent => {
                let name = crate::core::sql::refs::unquote(t.text(expr));
                let target = columns.iter().find(|(s, _)| s.eq_ignore_ascii_case(&name)).map(|(_, t)| t.clone());
                last_bool = target.is_some_and(|x| booleans.contains(&x));
                after_eq = false;
            }
            _ => {
                last_bool = false;
                after_eq = false;
            }
        }
        let text = t.text(expr);
        let next_is_paren = toks[i + 1..].iter().find(|x| x.kind != Tok::Space).is_some_and(|x| x.text(expr) == "(");
        match t.kind {
            Tok::QuotedIdent => {
                let name = crate::core::sql::refs::unquote(text);
                let target = columns.iter().find(|(s, _)| *s == name).map_or(name.clone(), |(_, t)| t.clone());
                out.push_str(&quote::ident(dst, &target));
            }
            Tok::Word if next_is_paren => {
                let f = text.to_ascii_lowercase();
                if !PORTABLE_FUNCTIONS.contains(&f.as_str()) && !matches!(f.as_str(), "in" | "and" | "or" | "not") {
                    return Err(format!("uses {text}(), which may not exist or mean the same on {dst}"));
                }
                out.push_str(text);
            }
            Tok::Word => match columns.iter().find(|(s, _)| s.eq_ignore_ascii_case(text)) {
                Some((_, target)) => out.push_str(&quote::ident(dst, target)),
                None => out.push_str(text),
            },
            Tok::String if text.starts_with('"') => {
                out.push_str(&quote::literal(dst, &text[1..text.len() - 1].replace("\"\"", "\"")));
            }
            Tok::String if src == Engine::Mysql && text.contains('\\') => {
                return Err("a MySQL string with backslash escapes".into());
            }
            Tok::Param => return Err("has a parameter".into()),
            _ => out.push_str(text),
        }
    }
    Ok(out)
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
    ) || u.starts_with("CURRENT_TIMESTAMP(");
    if now {
        return Ok("CURRENT_TIMESTAMP".into());
    }
    let inner = t.strip_prefix('(').and_then(|x| x.strip_suffix(')')).unwrap_or(t);
    if inner.parse::<f64>().is_ok() || matches!(u.as_str(), "NULL" | "TRUE" | "FALSE") {
        return Ok(inner.to_string());
    }
    if inner.starts_with('\'') && inner.ends_with('\'') && inner.len() >= 2 {
        let body = &inner[1..inner.len() - 1];
        if src == Engine::Mysql && body.contains('\\') {
            return Err(format!("default {t}: backslash escapes"));
        }
        return Ok(quote::literal(dst, &body.replace("''", "'")));
    }
    // PostgreSQL writes 'text'::type.
    if let Some((lit, _)) = inner.split_once("::")
        && lit.starts_with('\'')
    {
        return default_for(lit, src, dst);
    }
    Err(format!("default {t} is an expression that may not mean the same on {dst}: dropped"))
}
