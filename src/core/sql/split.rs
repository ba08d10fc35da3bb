//! Splits a SQL script into statements the way each engine's own client does: a `;` inside a string, a quoted
//! identifier, a comment, a PostgreSQL dollar-quoted body, or a BEGIN … END body (triggers, procedures,
//! `BEGIN ATOMIC`) never splits, and the mysql client's `DELIMITER` command is understood.
use crate::core::profile::Engine;

/// One statement of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The statement text without its terminating delimiter, trimmed.
    pub text: String,
    /// 1-based line of the statement's first character in the script.
    pub line: usize,
    /// Byte offset of the statement's first character in the script.
    pub offset: usize,
}

impl Statement {
    /// The 1-based script line of a 1-based character position inside this statement (PostgreSQL reports error
    /// positions this way).
    pub fn line_of_char(&self, position: usize) -> usize {
        let upto: String = self.text.chars().take(position.saturating_sub(1)).collect();
        self.line + upto.matches('\n').count()
    }
}

/// Splits `script` into statements for `engine`. Empty statements (only comments or whitespace) are dropped.
pub fn split(script: &str, engine: Engine) -> Vec<Statement> {
    let b = script.as_bytes();
    let mut out = Vec::new();
    let mut delimiter = ";".to_string();
    let mut start = 0; // byte where the current statement began
    let mut i = 0;
    let mut depth = 0i32; // BEGIN/CASE … END nesting
    let mut words: Vec<String> = Vec::new(); // the statement's first few words, upper case
    let mut line_start = true;
    while i < b.len() {
        let c = b[i];
        // The mysql client's DELIMITER command, at the start of a line.
        if engine == Engine::Mysql && line_start && script[i..].trim_start_matches([' ', '\t']).len() >= 10 {
            let rest = script[i..].trim_start_matches([' ', '\t']);
            if rest[..10].eq_ignore_ascii_case("DELIMITER ") && script[start..i].trim().is_empty() {
                let line_end = rest.find('\n').map_or(rest.len(), |n| n);
                let new = rest[10..line_end].trim();
                if !new.is_empty() {
                    delimiter = new.to_string();
                }
                i += (script.len() - i - rest.len()) + line_end;
                start = i;
                continue;
            }
        }
        line_start = c == b'\n';
        match c {
            b'\'' => i = skip_quoted(b, i, b'\'', engine == Engine::Mysql),
            b'"' => i = skip_quoted(b, i, b'"', engine == Engine::Mysql),
            b'`' if engine != Engine::Postgres => i = skip_quoted(b, i, b'`', false),
            b'[' if engine == Engine::Sqlite => {
                i = b[i..].iter().position(|&x| x == b']').map_or(b.len(), |p| i + p + 1);
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i = b[i..].iter().position(|&x| x == b'\n').map_or(b.len(), |p| i + p);
            }
            b'#' if engine == Engine::Mysql => {
                i = b[i..].iter().position(|&x| x == b'\n').map_or(b.len(), |p| i + p);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                // PostgreSQL nests block comments.
                let mut nest = 1;
                i += 2;
                while i < b.len() && nest > 0 {
                    if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        nest -= 1;
                        i += 2;
                    } else if engine == Engine::Postgres && b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        nest += 1;
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
            }
            b'$' if engine == Engine::Postgres && !prev_is_word(b, i) => {
                // $tag$ … $tag$ (not $1, a parameter).
                let tag_end = b[i + 1..].iter().position(|&x| !(x.is_ascii_alphanumeric() || x == b'_' || x >= 0x80));
                match tag_end.map(|p| i + 1 + p) {
                    Some(e) if b[e] == b'$' && !b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                        let tag = &script[i..=e];
                        i = script[e + 1..].find(tag).map_or(b.len(), |p| e + 1 + p + tag.len());
                    }
                    _ => i += 1,
                }
            }
            _ if c.is_ascii_alphabetic() || c == b'_' => {
                let s = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$') {
                    i += 1;
                }
                if prev_is_word(b, s) {
                    continue;
                }
                let w = script[s..i].to_ascii_uppercase();
                let creating = words.first().is_some_and(|f| f == "CREATE");
                match w.as_str() {
                    "BEGIN" if depth > 0 || creating => depth += 1,
                    "CASE" => depth += 1,
                    "END" if depth > 0 => {
                        // END IF / END LOOP / END WHILE / END REPEAT close blocks that were not counted;
                        // END CASE closes a counted CASE. The word after END is consumed with it.
                        let next = next_word(script, i);
                        if matches!(next.as_str(), "IF" | "LOOP" | "WHILE" | "REPEAT" | "CASE") {
                            let at = i + (script[i..].len() - script[i..].trim_start().len());
                            i = at + next.len();
                        }
                        if next != "IF" && next != "LOOP" && next != "WHILE" && next != "REPEAT" {
                            depth -= 1;
                        }
                    }
                    _ => {}
                }
                if words.len() < 4 {
                    words.push(w.clone());
                }
                continue;
            }
            _ if depth == 0 && script[i..].starts_with(delimiter.as_str()) => {
                push(&mut out, script, start, i);
                i += delimiter.len();
                start = i;
                words.clear();
                continue;
            }
            _ => i += 1,
        }
    }
    push(&mut out, script, start, b.len());
    out
}

fn prev_is_word(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b'$' || b[i - 1] >= 0x80)
}

fn next_word(script: &str, from: usize) -> String {
    script[from..]
        .trim_start()
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("")
        .to_ascii_uppercase()
}

/// Skips a quoted run starting at `i` (the quote); a doubled quote stays inside, and so does a backslash-escaped
/// one when `backslash` (MySQL strings).
pub(crate) fn skip_quoted(b: &[u8], mut i: usize, q: u8, backslash: bool) -> usize {
    i += 1;
    while i < b.len() {
        if backslash && b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    b.len()
}

fn push(out: &mut Vec<Statement>, script: &str, start: usize, end: usize) {
    // Leading comments are not part of the statement (its line is where its SQL starts).
    let raw = &script[start..end];
    let skip = leading_comments(raw);
    let text = raw[skip..].trim();
    if text.is_empty() {
        return;
    }
    let offset = start + skip;
    let line = 1 + script[..offset].matches('\n').count();
    out.push(Statement { text: text.to_string(), line, offset });
}

/// Bytes of whitespace and comments at the start of `text`.
fn leading_comments(text: &str) -> usize {
    let mut s = text;
    loop {
        s = s.trim_start();
        if s.starts_with("--") || s.starts_with('#') {
            s = s.find('\n').map_or("", |n| &s[n..]);
        } else if s.starts_with("/*") {
            s = s.find("*/").map_or("", |n| &s[n + 2..]);
        } else {
            return text.len() - s.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(script: &str, engine: Engine) -> Vec<String> {
        split(script, engine).into_iter().map(|s| s.text).collect()
    }

    #[test]
    fn strings_identifiers_and_comments_hold_semicolons() {
        let s = "SELECT 'a;b', \"c;d\" FROM t; -- x; y\nSELECT 2 /* ; */;\n\n  SELECT 3";
        let st = split(s, Engine::Postgres);
        assert_eq!(
            st.iter().map(|s| s.text.as_str()).collect::<Vec<_>>(),
            ["SELECT 'a;b', \"c;d\" FROM t", "SELECT 2 /* ; */", "SELECT 3"]
        );
        assert_eq!((st[0].line, st[1].line, st[2].line), (1, 2, 4));
        assert_eq!(texts("SELECT 'it''s; fine'; SELECT 1", Engine::Sqlite).len(), 2);
        assert_eq!(texts(r"SELECT 'a\';b'; SELECT 1", Engine::Mysql), [r"SELECT 'a\';b'", "SELECT 1"]);
        assert_eq!(texts("SELECT `a;b` FROM t; # c;\nSELECT 1", Engine::Mysql).len(), 2);
        assert_eq!(texts("SELECT [a;b] FROM t; SELECT 1", Engine::Sqlite).len(), 2);
        assert_eq!(texts("/* a /* nested; */ still; */ SELECT 1; SELECT 2", Engine::Postgres).len(), 2);
        assert!(texts("-- only a comment;\n", Engine::Postgres).is_empty());
        assert!(texts("  ;; -- c\n", Engine::Postgres).is_empty());
    }

    #[test]
    fn dollar_quotes_and_bodies() {
        let s = "CREATE FUNCTION f() RETURNS int AS $body$ BEGIN; RETURN 1; END; $body$ LANGUAGE plpgsql;\n\
                 DO $$ BEGIN PERFORM 1; END $$; SELECT $1; SELECT a$b FROM t;";
        assert_eq!(texts(s, Engine::Postgres).len(), 4);
        let atomic = "CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT 3;";
        assert_eq!(texts(atomic, Engine::Postgres).len(), 2);
        let trig = "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET x = CASE WHEN 1 THEN 2 ELSE 3 END; \
                    DELETE FROM c; END; INSERT INTO a VALUES (1);";
        assert_eq!(texts(trig, Engine::Sqlite).len(), 2);
        let proc = "CREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; END IF; WHILE 0 DO SELECT 2; END WHILE; \
                    CASE WHEN 1 THEN SELECT 3; END CASE; END; SELECT 4;";
        assert_eq!(texts(proc, Engine::Mysql).len(), 2);
        // BEGIN as a transaction statement is not a block.
        assert_eq!(texts("BEGIN; INSERT INTO t VALUES (1); COMMIT;", Engine::Sqlite).len(), 3);
        assert_eq!(texts("SELECT CASE WHEN a THEN 1 END FROM t; SELECT 2", Engine::Postgres).len(), 2);
        // A column named like a keyword does not open a block.
        assert_eq!(texts("SELECT begin_at, end_at FROM t; SELECT 2", Engine::Postgres).len(), 2);
    }

    #[test]
    fn mysql_delimiter_command() {
        let s = "DELIMITER //\nCREATE PROCEDURE p() SELECT 1; SELECT 2//\nDELIMITER ;\nSELECT 3;";
        let st = split(s, Engine::Mysql);
        assert_eq!(
            st.iter().map(|s| s.text.as_str()).collect::<Vec<_>>(),
            ["CREATE PROCEDURE p() SELECT 1; SELECT 2", "SELECT 3"]
        );
        assert_eq!((st[0].line, st[1].line), (2, 4));
    }

    #[test]
    fn error_positions_map_to_script_lines() {
        let st = split("\n\nSELECT 1;\nSELECT\n  nope\nFROM t;", Engine::Postgres);
        assert_eq!(st[1].line, 4);
        assert_eq!(st[1].line_of_char(10), 5);
    }
}
