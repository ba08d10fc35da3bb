//! Splits a SQL script into statements the way each engine's own client does: a `;` inside a string, a quoted
//! identifier, a comment, a PostgreSQL dollar-quoted body, or a BEGIN … END body (triggers, procedures,
//! `BEGIN ATOMIC`) never splits, and the mysql client's `DELIMITER` command is understood.
use super::lex::{self, Tok, Token, tokens};
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
///
/// PostgreSQL follows psql: a `;` inside parentheses or inside the `BEGIN … END` body of `CREATE FUNCTION` /
/// `CREATE PROCEDURE` does not end the statement. MySQL follows the mysql client: `DELIMITER x` at the start of a
/// line changes the delimiter, which then ends a statement wherever it appears outside strings, quoted names and
/// comments (`END$$`); with the default `;`, routine and trigger bodies are kept whole as a convenience.
/// Executable comments (`/*!50003 … */`) are code, not comments. SQLite keeps `CREATE TRIGGER … BEGIN … END`.
pub fn split(script: &str, engine: Engine) -> Vec<Statement> {
    split_in(script, engine, false)
}

/// As `split`, under the other string rules a session can switch to (`lex::tokens_in`).
pub fn split_in(script: &str, engine: Engine, other_rules: bool) -> Vec<Statement> {
    let engine = engine.dialect();
    let mut out = Vec::new();
    let mut delimiter = ";".to_string();
    let mut pos = 0;
    while pos < script.len() {
        let (end, next_delimiter) = split_segment(script, pos, &delimiter, engine, other_rules, &mut out);
        pos = end;
        match next_delimiter {
            Some(d) => delimiter = d,
            None => break,
        }
    }
    out
}

/// Splits from `pos` until the end of the script or a `DELIMITER` command (MySQL), which ends the segment: the
/// position after the command's line and the new delimiter are returned, and the rest is tokenized again.
fn split_segment(
    script: &str,
    pos: usize,
    delimiter: &str,
    engine: Engine,
    other_rules: bool,
    out: &mut Vec<Statement>,
) -> (usize, Option<String>) {
    let text = &script[pos..];
    let toks = lex::tokens_in(text, engine, other_rules);
    let mut start = 0; // offset in `text` where the current statement began
    let mut blocks = Blocks::default();
    let mut idx = 0;
    while idx < toks.len() {
        let t = toks[idx];
        let word = t.text(text);
        let empty = text[start..t.start].trim().is_empty()
            || leading_comments(&text[start..t.start], engine) == t.start - start;
        if engine == Engine::Mysql
            && t.kind == Tok::Word
            && empty
            && word.eq_ignore_ascii_case("DELIMITER")
            && at_line_start(text, t.start)
        {
            let line_end = text[t.end..].find('\n').map_or(text.len(), |n| t.end + n);
            let new = text[t.end..line_end].trim();
            push(out, script, pos + start, pos + t.start, engine);
            let after = (line_end + 1).min(text.len());
            let d = if new.is_empty() { delimiter.to_string() } else { new.to_string() };
            return (pos + after, Some(d));
        }
        let custom = engine == Engine::Mysql && delimiter != ";";
        if custom {
            if let Some(at) = code_delimiter(text, &toks, idx, delimiter) {
                push(out, script, pos + start, pos + at, engine);
                start = at + delimiter.len();
                // Skip the tokens the delimiter covered.
                while idx < toks.len() && toks[idx].end <= start {
                    idx += 1;
                }
                if idx < toks.len() && toks[idx].start < start {
                    // The delimiter ended inside a token: the rest of that token opens the next statement.
                    idx += 1;
                }
                blocks = Blocks::default();
                continue;
            }
        } else {
            blocks.see(&toks, idx, text, engine);
            if t.kind == Tok::Punct && word == ";" && blocks.closed() {
                push(out, script, pos + start, pos + t.start, engine);
                start = t.end;
                blocks = Blocks::default();
            }
        }
        idx += 1;
    }
    push(out, script, pos + start, script.len(), engine);
    (script.len(), None)
}

/// Where a custom delimiter (MySQL) starts in the run of code tokens beginning at `idx`, if it starts in token
/// `idx` (it may run on into the next tokens: `//`, `$$`, `;;`).
fn code_delimiter(text: &str, toks: &[Token], idx: usize, delimiter: &str) -> Option<usize> {
    let is_code = |t: &Token| !matches!(t.kind, Tok::String | Tok::QuotedIdent | Tok::Comment);
    let t = toks[idx];
    if !is_code(&t) {
        return None;
    }
    // A start in this token whose delimiter covers code tokens only (it may run on into the next ones).
    (t.start..t.end).filter(|&k| text.is_char_boundary(k)).find(|&k| {
        let end = k + delimiter.len();
        text[k..].starts_with(delimiter) && toks[idx..].iter().take_while(|x| x.start < end).all(is_code)
    })
}

fn at_line_start(text: &str, at: usize) -> bool {
    text[..at].rsplit('\n').next().is_some_and(|l| l.trim().is_empty())
}

/// Nesting that a `;` must not end: parentheses (PostgreSQL, as psql) and the BEGIN … END bodies of routines and
/// triggers.
#[derive(Default)]
struct Blocks {
    parens: i32,
    depth: i32,
    words: Vec<String>,
    /// The word after END (END IF, END CASE …) belongs to it.
    after_end: bool,
}

impl Blocks {
    fn closed(&self) -> bool {
        self.depth <= 0 && self.parens <= 0
    }

    /// A routine or trigger definition, by the grammar's first words: PostgreSQL `CREATE [OR REPLACE]
    /// FUNCTION|PROCEDURE` (psql's rule), SQLite `CREATE [TEMP|TEMPORARY] TRIGGER`, MySQL `CREATE [OR REPLACE]
    /// [DEFINER = …] [AGGREGATE] FUNCTION|PROCEDURE|TRIGGER|EVENT`. A table or column that is merely named
    /// `function` or `begin` is not one.
    fn routine(&self, engine: Engine) -> bool {
        let w: Vec<&str> = self.words.iter().map(String::as_str).collect();
        if w.first() != Some(&"CREATE") {
            return false;
        }
        let at = |i: usize, kinds: &[&str]| w.get(i).is_some_and(|x| kinds.contains(x));
        match engine {
            Engine::Postgres | Engine::Duckdb => {
                let kinds = ["FUNCTION", "PROCEDURE"];
                at(1, &kinds) || (w.get(1..3) == Some(&["OR", "REPLACE"][..]) && at(3, &kinds))
            }
            Engine::Sqlite => at(1, &["TRIGGER"]) || (at(1, &["TEMP", "TEMPORARY"]) && at(2, &["TRIGGER"])),
            Engine::Mysql => {
                let kinds = ["FUNCTION", "PROCEDURE", "TRIGGER", "EVENT"];
                let Some(k) = w.iter().position(|x| kinds.contains(x)) else { return false };
                // Before the kind: OR REPLACE, a DEFINER clause (its user as words), AGGREGATE — never an object
                // keyword, and no parenthesis.
                let objects = ["TABLE", "VIEW", "INDEX", "DATABASE", "SCHEMA", "USER", "ROLE", "SERVER", "TABLESPACE"];
                let before = &w[1..k];
                before.iter().all(|x| !objects.contains(x) && *x != "(")
                    && (before.is_empty() || before.iter().any(|x| matches!(*x, "OR" | "DEFINER" | "AGGREGATE")))
            }
        }
    }

    fn see(&mut self, toks: &[Token], idx: usize, text: &str, engine: Engine) {
        let t = toks[idx];
        match t.kind {
            Tok::Punct if t.text(text) == "(" => {
                self.parens += i32::from(engine == Engine::Postgres);
                if self.words.len() < 8 {
                    self.words.push("(".into());
                }
            }
            Tok::Punct if engine == Engine::Postgres && t.text(text) == ")" => self.parens -= 1,
            Tok::Word if std::mem::take(&mut self.after_end) => {}
            Tok::Word => {
                let w = t.text(text).to_ascii_uppercase();
                let routine = self.routine(engine);
                match w.as_str() {
                    "BEGIN" if routine => self.depth += 1,
                    "CASE" if routine && self.depth > 0 => self.depth += 1,
                    "END" if self.depth > 0 => {
                        // END IF / END LOOP / END WHILE / END REPEAT close blocks that were not counted.
                        let next = toks[idx + 1..]
                            .iter()
                            .find(|x| !matches!(x.kind, Tok::Space | Tok::Comment))
                            .map(|x| x.text(text).to_ascii_uppercase())
                            .unwrap_or_default();
                        if !matches!(next.as_str(), "IF" | "LOOP" | "WHILE" | "REPEAT") {
                            self.depth -= 1;
                        }
                        self.after_end = matches!(next.as_str(), "IF" | "LOOP" | "WHILE" | "REPEAT" | "CASE");
                    }
                    _ => {}
                }
                if self.words.len() < 8 && !self.words.iter().any(|x| x == "(") {
                    self.words.push(w);
                }
            }
            Tok::Space | Tok::Comment => {}
            _ => self.after_end = false,
        }
    }
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

fn push(out: &mut Vec<Statement>, script: &str, start: usize, end: usize, engine: Engine) {
    // Leading comments are not part of the statement (its line is where its SQL starts).
    let raw = &script[start..end];
    let skip = leading_comments(raw, engine);
    let text = raw[skip..].trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if text.is_empty() {
        return;
    }
    let offset = start
        + skip
        + (raw[skip..].len() - raw[skip..].trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}').len());
    let line = 1 + script[..offset].matches('\n').count();
    out.push(Statement { text: text.to_string(), line, offset });
}

/// Bytes of whitespace and comments at the start of `text` (a MySQL executable comment is code, not skipped).
fn is_exec_comment_part(t: &str) -> bool {
    lex::exec_comment_opener(t) > 0 || t == "*/"
}

fn leading_comments(text: &str, engine: Engine) -> usize {
    tokens(text, engine)
        .into_iter()
        .take_while(|t| {
            t.kind == Tok::Space
                || (t.kind == Tok::Comment && !(engine == Engine::Mysql && is_exec_comment_part(t.text(text))))
        })
        .last()
        .map_or(0, |t| t.end)
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

    #[test]
    fn non_ascii_bom_and_control_characters_never_panic() {
        for e in [Engine::Postgres, Engine::Mysql, Engine::Sqlite] {
            assert_eq!(texts("SELECT 1 AS é; SELECT 'aé'", e), ["SELECT 1 AS é", "SELECT 'aé'"]);
            assert_eq!(texts("\u{feff}SELECT 1;\u{feff}", e), ["SELECT 1"]);
            assert_eq!(texts("SELECT 漢字 FROM ｔ; SELECT \u{1}\u{7}", e).len(), 2);
            assert_eq!(texts("SELECT 1;\0", e), ["SELECT 1", "\0"]);
            // Non-ASCII right before a delimiter, and a multi-byte delimiter.
            assert_eq!(texts("SELECT é;SELECT ü", e).len(), 2);
        }
        assert_eq!(texts("DELIMITER é\nSELECT 1é SELECT 2é\n", Engine::Mysql), ["SELECT 1", "SELECT 2"]);
        assert_eq!(texts("DELIMITER ;\nSELECTé", Engine::Mysql), ["SELECTé"]);
        assert_eq!(texts("DELIMITERé;", Engine::Mysql), ["DELIMITERé"]);
    }

    #[test]
    fn postgres_nested_comments_are_not_sent() {
        assert_eq!(texts("/* a /* b */ c */ SELECT 1; SELECT 2", Engine::Postgres), ["SELECT 1", "SELECT 2"]);
        // psql keeps a `;` inside parentheses in the statement.
        assert_eq!(texts("SELECT (1; 2); SELECT 3", Engine::Postgres), ["SELECT (1; 2)", "SELECT 3"]);
    }

    #[test]
    fn mysql_custom_delimiters_end_words() {
        let s = "DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END$$\nDELIMITER ;\nSELECT 3;";
        assert_eq!(texts(s, Engine::Mysql), ["CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END", "SELECT 3"]);
        let s = "delimiter ;;\nSELECT 1;;SELECT 'a;;b';;\nDELIMITER ;\n";
        assert_eq!(texts(s, Engine::Mysql), ["SELECT 1", "SELECT 'a;;b'"]);
        // MySQL reads `--1` as minus minus one, not a comment.
        assert_eq!(texts("SELECT 1 --1;\nSELECT 2", Engine::Mysql), ["SELECT 1 --1", "SELECT 2"]);
        assert_eq!(texts("SELECT 1 -- c;\nSELECT 2", Engine::Mysql), ["SELECT 1 -- c;\nSELECT 2"]);
    }

    #[test]
    fn names_that_look_like_routines_do_not_hold_statements_together() {
        let pg = "CREATE TABLE function (begin int);\nDROP TABLE victim;\nSELECT 1 AS x;";
        assert_eq!(texts(pg, Engine::Postgres).len(), 3);
        let my = "CREATE TABLE event (begin int); DROP TABLE victim; SELECT 1 AS x";
        assert_eq!(texts(my, Engine::Mysql).len(), 3);
        let lite = "CREATE TABLE trigger_log (begin TEXT); DROP TABLE victim;";
        assert_eq!(texts(lite, Engine::Sqlite).len(), 2);
        let definer = "CREATE DEFINER=`root`@`%` PROCEDURE p() BEGIN SELECT 1; SELECT 2; END; SELECT 3;";
        assert_eq!(texts(definer, Engine::Mysql).len(), 2);
        let temp = "CREATE TEMP TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END; SELECT 2;";
        assert_eq!(texts(temp, Engine::Sqlite).len(), 2);
        let pg_or = "CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC SELECT 1; END; SELECT 2;";
        assert_eq!(texts(pg_or, Engine::Postgres).len(), 2);
    }

    #[test]
    fn postgres_comments_end_at_a_carriage_return() {
        assert_eq!(
            texts("SELECT 1 -- c\r; DROP TABLE victim", Engine::Postgres),
            ["SELECT 1 -- c", "DROP TABLE victim"]
        );
        assert_eq!(texts("SELECT 1; -- note\r; DROP TABLE victim;", Engine::Postgres).len(), 2);
    }

    #[test]
    fn mysql_executable_comments_are_statements() {
        let dump = "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n\
                    /*!40101 SET NAMES utf8mb4 */;\n/*M!100616 SET NOTE_VERBOSITY=0 */;\n\
                    DELIMITER ;;\n\
                    /*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER t BEFORE INSERT ON a \
                    FOR EACH ROW BEGIN\n  SET NEW.x = 1;\n  SET NEW.y = 2;\nEND */;;\nDELIMITER ;\n\
                    /*!40000 ALTER TABLE `a` ENABLE KEYS */;";
        let st = texts(dump, Engine::Mysql);
        assert_eq!(st.len(), 5, "{st:?}");
        assert_eq!(st[1], "/*!40101 SET NAMES utf8mb4 */");
        assert!(st[3].starts_with("/*!50003 CREATE*/") && st[3].ends_with("END */"), "{}", st[3]);
        // On the other engines it is an ordinary comment.
        assert!(texts("/*!40101 SET NAMES utf8mb4 */;", Engine::Postgres).is_empty());
    }
}
