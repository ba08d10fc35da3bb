//! Just enough SQL reading for what SQLite keeps only as text: CHECK constraints, column collations and
//! generated expressions in CREATE TABLE, expression parts and WHERE in CREATE INDEX. Quotes, comments and
//! nesting are respected, so a comma or keyword inside them never splits.

/// Byte ranges of top-level items, split at commas, of the first parenthesised list in `sql`, and the end of it.
pub fn paren_items(sql: &str) -> Option<(Vec<&str>, usize)> {
    let open = scan(sql).find(|(_, c, depth)| *c == '(' && *depth == 1)?.0;
    let mut items = Vec::new();
    let mut start = open + 1;
    for (i, c, depth) in scan(sql).skip_while(|(i, _, _)| *i <= open) {
        match (c, depth) {
            (',', 1) => {
                items.push(sql[start..i].trim());
                start = i + 1;
            }
            (')', 0) => {
                items.push(sql[start..i].trim());
                return Some((items, i + 1));
            }
            _ => {}
        }
    }
    None
}

/// Walks `sql` yielding (byte offset, char, paren depth after the char) for characters outside strings, quoted
/// identifiers and comments.
pub fn scan(sql: &str) -> impl Iterator<Item = (usize, char, i32)> + '_ {
    let mut chars = sql.char_indices().peekable();
    let mut depth = 0;
    std::iter::from_fn(move || {
        loop {
            let (i, c) = chars.next()?;
            match c {
                '\'' | '"' | '`' | '[' => {
                    let close = if c == '[' { ']' } else { c };
                    while let Some((_, d)) = chars.next() {
                        if d == close {
                            if close != ']' && chars.peek().map(|x| x.1) == Some(close) {
                                chars.next();
                                continue;
                            }
                            break;
                        }
                    }
                    continue;
                }
                '-' if chars.peek().map(|x| x.1) == Some('-') => {
                    for (_, d) in chars.by_ref() {
                        if d == '\n' {
                            break;
                        }
                    }
                    continue;
                }
                '/' if chars.peek().map(|x| x.1) == Some('*') => {
                    chars.next();
                    let mut prev = ' ';
                    for (_, d) in chars.by_ref() {
                        if prev == '*' && d == '/' {
                            break;
                        }
                        prev = d;
                    }
                    continue;
                }
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            return Some((i, c, depth));
        }
    })
}

/// Offsets of `keyword` (case-insensitive, whole word) at paren depth `at_depth`, outside quotes and comments.
pub fn find_keyword(sql: &str, keyword: &str, at_depth: i32) -> Vec<usize> {
    let kw = keyword.to_ascii_uppercase();
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut prev_word = true;
    for (i, c, depth) in scan(sql) {
        let word_char = c.is_alphanumeric() || c == '_';
        if word_char && !prev_word {
            // a word starts here
        }
        if word_char && prev_word_boundary(bytes, i) && depth == at_depth {
            let end = i + kw.len();
            if end <= sql.len()
                && sql.is_char_boundary(end)
                && sql[i..end].eq_ignore_ascii_case(&kw)
                && !bytes.get(end).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
            {
                out.push(i);
            }
        }
        prev_word = word_char;
    }
    out
}

fn prev_word_boundary(bytes: &[u8], i: usize) -> bool {
    i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_' || bytes[i - 1] >= 0x80)
}

/// The balanced `( … )` starting at or after `from`: returns the inside text.
pub fn parenthesised_after(sql: &str, from: usize) -> Option<&str> {
    let rest = &sql[from..];
    let (items, end) = paren_items(rest)?;
    let _ = items;
    let open = rest.find('(')?;
    Some(rest[open + 1..end - 1].trim())
}

/// CHECK constraints of a CREATE TABLE statement: (constraint name, expression).
pub fn checks(create_table: &str) -> Vec<(Option<String>, String)> {
    let Some((items, _)) = paren_items(create_table) else { return vec![] };
    let mut out = Vec::new();
    for item in items {
        for at in find_keyword(item, "CHECK", 0) {
            let Some(expr) = parenthesised_after(item, at) else { continue };
            // `CONSTRAINT name CHECK`: the name is the word before CHECK, when CONSTRAINT precedes it.
            let before = item[..at].trim_end();
            // (Only when nothing but that name lies between them: `CONSTRAINT pk PRIMARY KEY (a) CHECK (…)`
            // names the key, not the check.)
            let name = find_keyword(before, "CONSTRAINT", 0)
                .last()
                .map(|c| before[c + "CONSTRAINT".len()..].trim())
                .filter(|rest| scan(rest).all(|(_, ch, _)| !ch.is_whitespace() && ch != '(' && ch != ')'))
                .map(unquote);
            out.push((name.filter(|n| !n.is_empty()), expr.to_string()));
        }
    }
    out
}

/// The first word (identifier) of `s`, unquoted.
pub fn first_ident(s: &str) -> String {
    let s = s.trim_start();
    let mut end = 0;
    for (i, c, _) in scan(s) {
        if c.is_whitespace() || c == '(' || c == ',' {
            end = i;
            break;
        }
        end = i + c.len_utf8();
    }
    // A quoted first word is skipped by `scan`; find its end by hand.
    if let Some(q) = s.chars().next().filter(|c| matches!(c, '"' | '`' | '[')) {
        let close = if q == '[' { ']' } else { q };
        let mut prev_close = false;
        for (i, c) in s.char_indices().skip(1) {
            if c == close {
                if close != ']' && s[i + 1..].starts_with(close) && !prev_close {
                    prev_close = true;
                    continue;
                }
                if prev_close {
                    prev_close = false;
                    continue;
                }
                return unquote(&s[..=i]);
            }
            prev_close = false;
        }
    }
    unquote(&s[..end])
}

pub fn unquote(s: &str) -> String {
    let s = s.trim();
    let mut chars = s.chars();
    match (chars.next(), s.chars().last()) {
        (Some('"'), Some('"')) if s.len() >= 2 => s[1..s.len() - 1].replace("\"\"", "\""),
        (Some('`'), Some('`')) if s.len() >= 2 => s[1..s.len() - 1].replace("``", "`"),
        (Some('['), Some(']')) if s.len() >= 2 => s[1..s.len() - 1].to_string(),
        (Some('\''), Some('\'')) if s.len() >= 2 => s[1..s.len() - 1].replace("''", "'"),
        _ => s.split_whitespace().next().unwrap_or("").to_string(),
    }
}

/// Per-column facts from a CREATE TABLE: name → (collation, generated expression).
pub fn column_facts(create_table: &str) -> Vec<(String, Option<String>, Option<String>)> {
    let Some((items, _)) = paren_items(create_table) else { return vec![] };
    let mut out = Vec::new();
    for item in items {
        let head = item.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        if matches!(head.as_str(), "CONSTRAINT" | "PRIMARY" | "UNIQUE" | "CHECK" | "FOREIGN") {
            continue;
        }
        let name = first_ident(item);
        let collation = find_keyword(item, "COLLATE", 0).first().map(|at| first_ident(&item[at + 7..]));
        let generated =
            find_keyword(item, "AS", 0).first().and_then(|at| parenthesised_after(item, *at)).map(str::to_string);
        out.push((name, collation, generated));
    }
    out
}

/// A CREATE INDEX statement's parts (texts of the parenthesised list) and its WHERE.
pub fn index_parts(create_index: &str) -> (Vec<String>, Option<String>) {
    let Some((items, end)) = paren_items(create_index) else { return (vec![], None) };
    let parts = items.iter().map(|s| s.to_string()).collect();
    let rest = &create_index[end..];
    let predicate =
        find_keyword(rest, "WHERE", 0).first().map(|at| rest[at + 5..].trim().trim_end_matches(';').trim().to_string());
    (parts, predicate)
}

/// Strips a trailing ASC/DESC and COLLATE from an index part.
pub fn strip_order(part: &str) -> String {
    let mut s = part.trim().to_string();
    for kw in ["DESC", "ASC"] {
        if let Some(at) = find_keyword(&s, kw, 0).last().copied()
            && s[at + kw.len()..].trim().is_empty()
        {
            s = s[..at].trim().to_string();
        }
    }
    if let Some(at) = find_keyword(&s, "COLLATE", 0).last().copied() {
        s = s[..at].trim().to_string();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_collations_generated() {
        let sql = r#"CREATE TABLE "we""ird" (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            "na,me" TEXT COLLATE NOCASE CHECK (length("na,me") > 0), -- a comment, with (parens
            qty INT CONSTRAINT qty_pos CHECK (qty > 0 AND (qty < 1000)),
            total REAL GENERATED ALWAYS AS (qty * 2.5) STORED,
            note TEXT DEFAULT 'it''s, (fine)',
            CONSTRAINT "two words" CHECK (qty <> 13)
        )"#;
        let c = checks(sql);
        assert_eq!(c.len(), 3, "{c:?}");
        assert_eq!(c[0], (None, r#"length("na,me") > 0"#.to_string()));
        assert_eq!(c[1], (Some("qty_pos".into()), "qty > 0 AND (qty < 1000)".into()));
        assert_eq!(c[2], (Some("two words".into()), "qty <> 13".into()));
        let f = column_facts(sql);
        assert_eq!(f[1].0, "na,me");
        assert_eq!(f[1].1.as_deref(), Some("NOCASE"));
        assert_eq!(f[3].2.as_deref(), Some("qty * 2.5"));
        assert_eq!(f[4].0, "note");
        assert_eq!(f.len(), 5);
    }

    #[test]
    fn index_sql() {
        let (parts, pred) = index_parts(
            "CREATE UNIQUE INDEX i ON t (lower(name) DESC, \"b,c\" COLLATE NOCASE) WHERE deleted_at IS NULL",
        );
        assert_eq!(parts, vec!["lower(name) DESC", "\"b,c\" COLLATE NOCASE"]);
        assert_eq!(pred.as_deref(), Some("deleted_at IS NULL"));
        assert_eq!(strip_order(&parts[0]), "lower(name)");
        assert_eq!(strip_order(&parts[1]), "\"b,c\"");
    }
}
