//! String literals as each engine reads them, so that a value moving between dialects is decoded with the
//! source's rules and re-quoted with the target's (never copied as text: a MySQL backslash or a PostgreSQL E''
//! escape means something else elsewhere).
use crate::core::profile::Engine;

/// The value of the string literal `token` (a `Tok::String`) as `engine` reads it; `escapes` is true for a
/// PostgreSQL `E'…'` string (the `E` is not part of the token).
pub fn decode(token: &str, engine: Engine, escapes: bool) -> Result<String, String> {
    let engine = engine.dialect();
    if token.starts_with('$') {
        return decode_dollar(token);
    }
    let q = token.chars().next().filter(|c| matches!(c, '\'' | '"')).ok_or("not a string literal")?;
    let backslash = engine == Engine::Mysql || escapes;
    let body = &token[1..];
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && backslash {
            let Some(e) = chars.next() else { break };
            if engine == Engine::Mysql {
                mysql_escape(e, &mut out);
            } else {
                pg_escape(e, &mut chars, &mut out)?;
            }
        } else if c == q {
            if chars.peek() == Some(&q) {
                chars.next();
                out.push(q);
            } else if chars.peek().is_none() {
                return Ok(out);
            } else {
                return Err("a string literal followed by more text".into());
            }
        } else {
            out.push(c);
        }
    }
    Err("an unterminated string literal".into())
}

fn decode_dollar(token: &str) -> Result<String, String> {
    let tag_end = token[1..].find('$').ok_or("an unterminated dollar-quoted string")? + 2;
    let tag = &token[..tag_end];
    if token.len() < 2 * tag_end || !token.ends_with(tag) {
        return Err("an unterminated dollar-quoted string".into());
    }
    Ok(token[tag_end..token.len() - tag_end].to_string())
}

/// MySQL's escapes; `\%` and `\_` keep their backslash (they are LIKE escapes), an unknown escape is the
/// character itself.
fn mysql_escape(e: char, out: &mut String) {
    match e {
        '0' => out.push('\0'),
        'b' => out.push('\u{8}'),
        'n' => out.push('\n'),
        'r' => out.push('\r'),
        't' => out.push('\t'),
        'Z' => out.push('\u{1a}'),
        '%' | '_' => {
            out.push('\\');
            out.push(e);
        }
        other => out.push(other),
    }
}

/// PostgreSQL's E'' escapes: \b \f \n \r \t, octal \o \oo \ooo, hex \xh \xhh, \uXXXX, \UXXXXXXXX.
fn pg_escape(e: char, chars: &mut std::iter::Peekable<std::str::Chars<'_>>, out: &mut String) -> Result<(), String> {
    let mut digits = |first: Option<char>, radix: u32, max: usize| {
        let mut v: u32 = first.and_then(|c| c.to_digit(radix)).unwrap_or(0);
        let mut n = usize::from(first.is_some());
        while n < max && chars.peek().is_some_and(|c| c.is_digit(radix)) {
            v = v * radix + chars.next().and_then(|c| c.to_digit(radix)).unwrap_or(0);
            n += 1;
        }
        (v, n)
    };
    let code = match e {
        'b' => 8,
        'f' => 12,
        'n' => 10,
        'r' => 13,
        't' => 9,
        '0'..='7' => digits(Some(e), 8, 3).0,
        'x' => match digits(None, 16, 2) {
            (_, 0) => 'x' as u32,
            (v, _) => v,
        },
        'u' | 'U' => {
            let want = if e == 'u' { 4 } else { 8 };
            match digits(None, 16, want) {
                (v, n) if n == want => v,
                _ => return Err(format!("an invalid \\{e} escape")),
            }
        }
        other => other as u32,
    };
    out.push(
        char::from_u32(code).ok_or_else(|| format!("an escape for code point {code:#x}, which is not a character"))?,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_engine_reads_its_own_escapes() {
        assert_eq!(decode(r"'a\'", Engine::Sqlite, false).unwrap(), r"a\");
        assert_eq!(decode("'it''s'", Engine::Postgres, false).unwrap(), "it's");
        assert_eq!(decode(r"'a\'b\\c\0'", Engine::Mysql, false).unwrap(), "a'b\\c\0");
        assert_eq!(decode(r#""x\"y""#, Engine::Mysql, false).unwrap(), "x\"y");
        assert_eq!(decode(r"'\%\_'", Engine::Mysql, false).unwrap(), r"\%\_");
        assert_eq!(decode(r"'\x41\101\u00e9\n'", Engine::Postgres, true).unwrap(), "AAé\n");
        assert_eq!(decode("$t$a'b$$c$t$", Engine::Postgres, false).unwrap(), "a'b$$c");
        assert!(decode(r"'a\'", Engine::Mysql, false).is_err(), "unterminated under MySQL's rules");
        assert!(decode("'a' || 'b'", Engine::Sqlite, false).is_err());
        assert!(decode(r"'\uD800'", Engine::Postgres, true).is_err());
    }
}
