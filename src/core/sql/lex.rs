//! A SQL tokenizer for the editor and for statement analysis: words, quoted identifiers, strings (including
//! PostgreSQL E'…' and dollar quoting, MySQL backslash escapes), numbers, comments, punctuation. It never fails:
//! an unterminated string or comment runs to the end of the text, as the server would read it.
use crate::core::profile::Engine;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    Word,
    QuotedIdent,
    String,
    Number,
    Comment,
    Punct,
    Space,
    /// `$1`, `?`, `:name`.
    Param,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: Tok,
    /// Byte range in the text.
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn text<'a>(&self, s: &'a str) -> &'a str {
        &s[self.start..self.end]
    }
}

fn is_word_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// Tokenizes `s` for `engine`. Every token starts and ends on a character boundary, so slicing by a token never
/// panics, whatever the text holds (non-ASCII, a byte-order mark, control characters, NUL).
///
/// MySQL's executable comments (`/*! … */`, `/*!50003 … */`, MariaDB's `/*M! … */`) are code to the server: their
/// opener and closer are `Comment` tokens and what is between them is tokenized as SQL.
pub fn tokens(s: &str, engine: Engine) -> Vec<Token> {
    tokens_in(s, engine, false)
}

/// As `tokens`, under the other string rules a session can switch to: PostgreSQL with
/// `standard_conforming_strings = off` (a backslash escapes in every string), MySQL with `NO_BACKSLASH_ESCAPES`
/// and `ANSI_QUOTES` (no backslash escapes; `"` quotes names). A text that splits the same both ways cannot be
/// made to split differently on the server by a session setting.
pub fn tokens_in(s: &str, engine: Engine, other_rules: bool) -> Vec<Token> {
    let engine = engine.dialect();
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    let mut in_exec_comment = false;
    while i < s.len() {
        let start = i;
        let c = s[i..].chars().next().unwrap_or(' ');
        let next = |k: usize| b.get(k).copied().unwrap_or(0);
        let kind;
        if c.is_whitespace() || c == '\u{feff}' {
            while let Some(ch) = s[i..].chars().next().filter(|ch| ch.is_whitespace() || *ch == '\u{feff}') {
                i += ch.len_utf8();
            }
            kind = Tok::Space;
        } else if in_exec_comment && c == '*' && next(i + 1) == b'/' {
            in_exec_comment = false;
            i += 2;
            kind = Tok::Comment;
        } else if engine == Engine::Mysql && c == '/' && next(i + 1) == b'*' && exec_comment_opener(&s[i..]) > 0 {
            i += exec_comment_opener(&s[i..]);
            in_exec_comment = true;
            kind = Tok::Comment;
        } else if c == '-' && next(i + 1) == b'-' && dash_comment(engine, next(i + 2))
            || c == '#' && engine == Engine::Mysql
        {
            // PostgreSQL ends a `--` comment at a carriage return too (its lexer's non_newline is [^\n\r]).
            let end: &[char] = if engine == Engine::Postgres { &['\n', '\r'] } else { &['\n'] };
            i = s[i..].find(end).map_or(s.len(), |k| i + k);
            kind = Tok::Comment;
        } else if c == '/' && next(i + 1) == b'*' {
            i = block_comment_end(b, i, engine == Engine::Postgres);
            kind = Tok::Comment;
        } else if c == '\'' || (c == '"' && engine == Engine::Mysql && !other_rules) {
            let backslash = match engine {
                Engine::Mysql => !other_rules,
                Engine::Postgres | Engine::Duckdb => other_rules || e_prefixed(b, start),
                Engine::Sqlite => false,
            };
            i = super::split::skip_quoted(b, i, c as u8, backslash);
            kind = Tok::String;
        } else if c == '"' || c == '`' || (c == '[' && engine == Engine::Sqlite) {
            let close = if c == '[' { b']' } else { c as u8 };
            i += 1;
            while i < b.len() {
                if b[i] == close {
                    if close != b']' && next(i + 1) == close {
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
            kind = Tok::QuotedIdent;
        } else if c == '$' && engine == Engine::Postgres {
            // $1 parameter, or a $tag$ … $tag$ body.
            if next(i + 1).is_ascii_digit() {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                kind = Tok::Param;
            } else {
                let tag_end = s[i + 1..].find(|ch: char| !is_word(ch) || ch == '$').map(|k| i + 1 + k);
                match tag_end {
                    Some(te) if b[te] == b'$' => {
                        let tag = &s[i..=te];
                        i = s[te + 1..].find(tag).map_or(s.len(), |k| te + 1 + k + tag.len());
                        kind = Tok::String;
                    }
                    _ => {
                        i += 1;
                        kind = Tok::Punct;
                    }
                }
            }
        } else if c.is_ascii_digit() || (c == '.' && next(i + 1).is_ascii_digit()) {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_') {
                // 1e-5 / 1E+5
                if matches!(b[i], b'e' | b'E') && matches!(next(i + 1), b'+' | b'-') {
                    i += 1;
                }
                i += 1;
            }
            kind = Tok::Number;
        } else if is_word_start(c) {
            while let Some(ch) = s[i..].chars().next().filter(|ch| is_word(*ch)) {
                i += ch.len_utf8();
            }
            // E'…', X'…', N'…', B'…' prefixes belong to the string that follows.
            kind = Tok::Word;
        } else if c == '?'
            || (c == ':'
                && s[i + 1..].chars().next().is_some_and(is_word_start)
                && (start == 0 || b[start - 1] != b':'))
        {
            i += 1;
            while let Some(ch) = s[i..].chars().next().filter(|ch| is_word(*ch)) {
                i += ch.len_utf8();
            }
            kind = Tok::Param;
        } else {
            i += c.len_utf8();
            kind = Tok::Punct;
        }
        if i <= start {
            i = start + c.len_utf8();
        }
        let end = i.min(s.len());
        out.push(Token { kind, start, end });
        i = end;
    }
    out
}

/// `--` starts a comment everywhere but MySQL, where it must be followed by whitespace or a control character
/// (`--1` is minus minus one there).
fn dash_comment(engine: Engine, after: u8) -> bool {
    engine != Engine::Mysql || after == 0 || after <= b' '
}

/// Whether the quote at `start` has a lone `E`/`e` before it (PostgreSQL escape string).
fn e_prefixed(b: &[u8], start: usize) -> bool {
    start > 0
        && matches!(b[start - 1], b'e' | b'E')
        && (start == 1 || !(b[start - 2].is_ascii_alphanumeric() || b[start - 2] == b'_' || b[start - 2] >= 0x80))
}

/// The end of a block comment starting at `i` (`/*`); PostgreSQL nests them. An unterminated comment runs to the
/// end of the text.
fn block_comment_end(b: &[u8], mut i: usize, nests: bool) -> usize {
    let mut depth = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') && (depth == 0 || nests) {
            depth += 1;
            i += 2;
        } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

/// Length of a MySQL executable-comment opener at the start of `s` (`/*!`, `/*!50003`, `/*M!100100`), or 0.
pub(crate) fn exec_comment_opener(s: &str) -> usize {
    let b = s.as_bytes();
    let bang = match b {
        [b'/', b'*', b'!', ..] => 3,
        [b'/', b'*', b'M', b'!', ..] => 4,
        _ => return 0,
    };
    bang + b[bang..].iter().take_while(|c| c.is_ascii_digit()).count()
}

/// A NUL byte cannot be sent in SQL text (SQLite stops reading at it, PostgreSQL refuses it): its 1-based line
/// and column, to say where it is.
pub fn find_nul(s: &str) -> Option<(usize, usize)> {
    let at = s.find('\0')?;
    let line = 1 + s[..at].matches('\n').count();
    let col = 1 + s[..at].rsplit('\n').next().map_or(0, |l| l.chars().count());
    Some((line, col))
}

/// The statement's words outside parentheses, strings and comments, upper-cased (for classifying it).
pub fn top_level_words(s: &str, engine: Engine) -> Vec<String> {
    let mut depth = 0i32;
    let mut out = Vec::new();
    for t in tokens(s, engine) {
        match t.kind {
            Tok::Punct => match t.text(s) {
                "(" => depth += 1,
                ")" => depth -= 1,
                _ => {}
            },
            Tok::Word if depth == 0 => out.push(t.text(s).to_ascii_uppercase()),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str, e: Engine) -> Vec<(Tok, &str)> {
        tokens(s, e).into_iter().filter(|t| t.kind != Tok::Space).map(|t| (t.kind, t.text(s))).collect()
    }

    #[test]
    fn strings_comments_and_quotes() {
        let s = "SELECT 'it''s', \"a\"\"b\", $x$ ; $x$, E'\\'' -- c\n/* a /* b */ c */ 1.5e-3 $1";
        let k = kinds(s, Engine::Postgres);
        assert_eq!(
            k,
            vec![
                (Tok::Word, "SELECT"),
                (Tok::String, "'it''s'"),
                (Tok::Punct, ","),
                (Tok::QuotedIdent, "\"a\"\"b\""),
                (Tok::Punct, ","),
                (Tok::String, "$x$ ; $x$"),
                (Tok::Punct, ","),
                (Tok::Word, "E"),
                (Tok::String, "'\\''"),
                (Tok::Comment, "-- c"),
                (Tok::Comment, "/* a /* b */ c */"),
                (Tok::Number, "1.5e-3"),
                (Tok::Param, "$1"),
            ]
        );
        let k = kinds("select `a``b`, \"x\\\"y\" # c", Engine::Mysql);
        assert_eq!(k[1], (Tok::QuotedIdent, "`a``b`"));
        assert_eq!(k[3], (Tok::String, "\"x\\\"y\""));
        assert_eq!(k[4], (Tok::Comment, "# c"));
        let k = kinds("select [my col] from t where x = :name", Engine::Sqlite);
        assert_eq!(k[1], (Tok::QuotedIdent, "[my col]"));
        assert_eq!(k.last().unwrap(), &(Tok::Param, ":name"));
        // Unterminated: runs to the end, never panics.
        assert_eq!(kinds("select 'abc", Engine::Sqlite)[1], (Tok::String, "'abc"));
        assert_eq!(kinds("x /* never", Engine::Sqlite)[1], (Tok::Comment, "/* never"));
    }

    #[test]
    fn top_level() {
        let w = top_level_words("WITH d AS (DELETE FROM t WHERE x) SELECT * FROM d", Engine::Postgres);
        assert_eq!(w, vec!["WITH", "D", "AS", "SELECT", "FROM", "D"]);
    }
}
