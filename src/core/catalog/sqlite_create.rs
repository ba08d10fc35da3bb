//! Reads a SQLite CREATE TABLE statement the way SQLite's own parser does (parse.y: `columnlist`, `ccons`,
//! `tcons`; build.c: `sqlite3AddColumn`), so the catalog gets columns, keys, checks and foreign keys from the
//! text `sqlite_schema` already returned instead of calling three pragma functions per table — those calls are
//! most of the time a 10,000-table catalog takes. The reading reproduces what the pragmas report (declared type
//! as SQLite stores it, DEFAULT text, NOT NULL, primary key order, generated columns); a statement it does not
//! fully understand yields `None` and the caller asks the pragmas for that table.

/// One column as `pragma_table_xinfo` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedColumn {
    pub name: String,
    /// The declared type as SQLite stores it ("" when none).
    pub declared: String,
    pub not_null: bool,
    pub default: Option<String>,
    pub collation: Option<String>,
    /// The expression of a generated column, and whether it is STORED.
    pub generated: Option<(String, bool)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParsedForeignKey {
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub table: String,
    /// Empty when the clause names no columns (the parent's primary key is meant).
    pub referenced: Vec<String>,
    pub on_delete: String,
    pub on_update: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedTable {
    pub columns: Vec<ParsedColumn>,
    pub primary_key: Vec<String>,
    pub primary_key_name: Option<String>,
    pub autoincrement: bool,
    /// Whether any UNIQUE constraint (column or table) is declared.
    pub has_unique: bool,
    pub checks: Vec<(Option<String>, String)>,
    pub foreign_keys: Vec<ParsedForeignKey>,
    pub without_rowid: bool,
    pub strict: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Word,
    Quoted,
    Str,
    Blob,
    Num,
    Punct(char),
}

#[derive(Debug, Clone, Copy)]
struct Tok {
    kind: Kind,
    start: usize,
    end: usize,
}

fn tokenize(sql: &str) -> Option<Vec<Tok>> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let kind = match c {
            _ if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i = (i + 2).min(b.len());
                continue;
            }
            b'\'' | b'"' | b'`' => {
                i += 1;
                loop {
                    if i >= b.len() {
                        return None;
                    }
                    if b[i] == c {
                        if b.get(i + 1) == Some(&c) {
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    i += 1;
                }
                if c == b'\'' { Kind::Str } else { Kind::Quoted }
            }
            b'[' => {
                i += 1 + b[i + 1..].iter().position(|&x| x == b']')? + 1;
                Kind::Quoted
            }
            b'x' | b'X' if b.get(i + 1) == Some(&b'\'') => {
                i += 2 + b[i + 2..].iter().position(|&x| x == b'\'')? + 1;
                Kind::Blob
            }
            _ if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) => {
                while i < b.len() {
                    let d = b[i];
                    let exponent_sign = (d == b'+' || d == b'-') && matches!(b[i - 1], b'e' | b'E');
                    if d.is_ascii_alphanumeric() || d == b'.' || d == b'_' || exponent_sign {
                        i += 1;
                    } else {
                        break;
                    }
                }
                Kind::Num
            }
            _ if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80 => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80) {
                    i += 1;
                }
                Kind::Word
            }
            _ => {
                let ch = sql[i..].chars().next()?;
                i += ch.len_utf8();
                Kind::Punct(ch)
            }
        };
        out.push(Tok { kind, start, end: i });
    }
    Some(out)
}

/// Words that end a type name: SQLite's reserved keywords that can start a column constraint.
const TYPE_STOP: [&str; 10] =
    ["CONSTRAINT", "DEFAULT", "NULL", "NOT", "PRIMARY", "UNIQUE", "CHECK", "REFERENCES", "COLLATE", "AS"];
/// The standard type names SQLite stores in canonical upper case (build.c: sqlite3StdType).
const STD_TYPES: [&str; 6] = ["ANY", "BLOB", "INT", "INTEGER", "REAL", "TEXT"];

struct Parser<'a> {
    sql: &'a str,
    toks: Vec<Tok>,
    at: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<Tok> {
        self.toks.get(self.at).copied()
    }
    fn text(&self, t: Tok) -> &'a str {
        &self.sql[t.start..t.end]
    }
    fn is_word(&self, kw: &str) -> bool {
        self.peek().is_some_and(|t| t.kind == Kind::Word && self.text(t).eq_ignore_ascii_case(kw))
    }
    fn is_punct(&self, c: char) -> bool {
        self.peek().is_some_and(|t| t.kind == Kind::Punct(c))
    }
    fn eat_word(&mut self, kw: &str) -> bool {
        let yes = self.is_word(kw);
        if yes {
            self.at += 1;
        }
        yes
    }
    fn expect_word(&mut self, kw: &str) -> Option<()> {
        self.eat_word(kw).then_some(())
    }
    fn eat_punct(&mut self, c: char) -> bool {
        let yes = self.is_punct(c);
        if yes {
            self.at += 1;
        }
        yes
    }
    /// A name: a bare word, a quoted identifier or a string.
    fn name(&mut self) -> Option<String> {
        let t = self.peek()?;
        match t.kind {
            Kind::Word | Kind::Quoted | Kind::Str => {
                self.at += 1;
                Some(dequote(self.text(t)))
            }
            _ => None,
        }
    }
    /// After `(`: skips to the matching `)` and returns the text between them, trimmed.
    fn balanced(&mut self) -> Option<&'a str> {
        let open = self.peek().filter(|t| t.kind == Kind::Punct('('))?;
        self.at += 1;
        let mut depth = 1;
        while let Some(t) = self.peek() {
            self.at += 1;
            match t.kind {
                Kind::Punct('(') => depth += 1,
                Kind::Punct(')') => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(self.sql[open.end..t.start].trim());
                    }
                }
                _ => {}
            }
        }
        None
    }
    /// `( name [COLLATE x] [ASC|DESC], … )` — the columns of a key or a foreign key.
    fn name_list(&mut self) -> Option<(Vec<String>, bool)> {
        let inner_start = self.at;
        let _ = self.balanced()?;
        let end = self.at - 1;
        let mut names = Vec::new();
        let mut autoinc = false;
        let mut expect_name = true;
        for t in &self.toks[inner_start + 1..end] {
            match t.kind {
                Kind::Punct(',') => expect_name = true,
                Kind::Word | Kind::Quoted | Kind::Str if expect_name => {
                    names.push(dequote(self.text(*t)));
                    expect_name = false;
                }
                Kind::Word => {
                    let w = self.text(*t).to_ascii_uppercase();
                    match w.as_str() {
                        "AUTOINCREMENT" => autoinc = true,
                        "ASC" | "DESC" | "COLLATE" => {}
                        _ if names.is_empty() => return None,
                        _ => {} // a collation name
                    }
                }
                Kind::Quoted | Kind::Str => {} // a quoted collation name
                _ => return None,              // an expression: let the pragmas answer
            }
        }
        Some((names, autoinc))
    }
    /// `ON CONFLICT resolution`, if present.
    fn on_conflict(&mut self) -> Option<()> {
        if self.eat_word("ON") {
            self.expect_word("CONFLICT")?;
            self.name()?;
        }
        Some(())
    }
    /// REFERENCES has been read: `table [(cols)] [ON DELETE|UPDATE action | MATCH name]* [[NOT] DEFERRABLE …]`.
    fn references(&mut self, name: Option<String>, columns: Vec<String>) -> Option<ParsedForeignKey> {
        let table = self.name()?;
        let referenced = if self.is_punct('(') { self.name_list()?.0 } else { Vec::new() };
        let mut fk = ParsedForeignKey {
            name,
            columns,
            table,
            referenced,
            on_delete: "NO ACTION".into(),
            on_update: "NO ACTION".into(),
        };
        loop {
            if self.eat_word("ON") {
                let delete = if self.eat_word("DELETE") {
                    true
                } else {
                    self.expect_word("UPDATE")?;
                    false
                };
                let action = if self.eat_word("SET") {
                    if self.eat_word("NULL") {
                        "SET NULL"
                    } else {
                        self.expect_word("DEFAULT")?;
                        "SET DEFAULT"
                    }
                } else if self.eat_word("CASCADE") {
                    "CASCADE"
                } else if self.eat_word("RESTRICT") {
                    "RESTRICT"
                } else {
                    self.expect_word("NO")?;
                    self.expect_word("ACTION")?;
                    "NO ACTION"
                };
                if delete {
                    fk.on_delete = action.into();
                } else {
                    fk.on_update = action.into();
                }
            } else if self.eat_word("MATCH") {
                self.name()?;
            } else if self.is_word("NOT") && self.toks.get(self.at + 1).is_some_and(|t| self.word_is(*t, "DEFERRABLE"))
            {
                self.at += 1;
            } else if self.eat_word("DEFERRABLE") {
                if self.eat_word("INITIALLY") && !self.eat_word("DEFERRED") {
                    self.expect_word("IMMEDIATE")?;
                }
            } else {
                return Some(fk);
            }
        }
    }
    fn word_is(&self, t: Tok, kw: &str) -> bool {
        t.kind == Kind::Word && self.text(t).eq_ignore_ascii_case(kw)
    }
}

/// Parses a CREATE TABLE statement as stored in `sqlite_schema`. `None` for anything else (CREATE VIRTUAL TABLE)
/// and for text this reader does not fully understand.
pub fn parse(sql: &str) -> Option<ParsedTable> {
    let toks = tokenize(sql)?;
    let mut p = Parser { sql, toks, at: 0 };
    p.expect_word("CREATE")?;
    let _ = p.eat_word("TEMP") || p.eat_word("TEMPORARY");
    p.expect_word("TABLE")?;
    if p.eat_word("IF") {
        p.expect_word("NOT")?;
        p.expect_word("EXISTS")?;
    }
    p.name()?;
    if p.eat_punct('.') {
        p.name()?;
    }
    if !p.eat_punct('(') {
        return None;
    }
    let mut t = ParsedTable::default();
    let mut in_constraints = false;
    loop {
        let head = p.peek()?;
        let head_kw = (head.kind == Kind::Word).then(|| p.text(head).to_ascii_uppercase());
        if in_constraints
            || head_kw
                .as_deref()
                .is_some_and(|k| matches!(k, "CONSTRAINT" | "PRIMARY" | "UNIQUE" | "CHECK" | "FOREIGN"))
        {
            in_constraints = true;
            table_constraint(&mut p, &mut t)?;
        } else {
            column(&mut p, &mut t)?;
        }
        if p.eat_punct(')') {
            break;
        }
        // Table constraints may follow each other without a comma.
        if !p.eat_punct(',') && !in_constraints {
            return None;
        }
    }
    // Table options: WITHOUT ROWID, STRICT, separated by commas.
    while let Some(tok) = p.peek() {
        if p.eat_word("WITHOUT") {
            p.expect_word("ROWID")?;
            t.without_rowid = true;
        } else if p.eat_word("STRICT") {
            t.strict = true;
        } else if tok.kind == Kind::Punct(',') || tok.kind == Kind::Punct(';') {
            p.at += 1;
        } else {
            return None;
        }
    }
    if t.without_rowid {
        // SQLite marks every primary-key column of a WITHOUT ROWID table NOT NULL.
        for c in t.columns.iter_mut().filter(|c| t.primary_key.contains(&c.name)) {
            c.not_null = true;
        }
    }
    Some(t)
}

fn column(p: &mut Parser<'_>, t: &mut ParsedTable) -> Option<()> {
    let name = p.name()?;
    // The type: words and quoted names up to a constraint keyword, then an optional `( n [, m] )`.
    let mut type_span: Option<(usize, usize)> = None;
    while let Some(tok) = p.peek() {
        let ok = match tok.kind {
            Kind::Word => !TYPE_STOP.iter().any(|k| p.text(tok).eq_ignore_ascii_case(k)),
            Kind::Quoted | Kind::Str => true,
            _ => false,
        };
        if !ok {
            break;
        }
        p.at += 1;
        type_span = Some((type_span.map_or(tok.start, |s| s.0), tok.end));
    }
    if type_span.is_some() && p.is_punct('(') {
        p.balanced()?;
        let close = p.toks[p.at - 1];
        type_span = type_span.map(|(s, _)| (s, close.end));
    }
    let declared = type_span.map(|(s, e)| declared_type(&p.sql[s..e])).unwrap_or_default();
    let mut c = ParsedColumn { name, declared, not_null: false, default: None, collation: None, generated: None };
    let mut constraint_name: Option<String> = None;
    loop {
        let tok = p.peek()?;
        if matches!(tok.kind, Kind::Punct(',') | Kind::Punct(')')) {
            break;
        }
        if p.eat_word("CONSTRAINT") {
            constraint_name = Some(p.name()?);
            continue;
        }
        let name = constraint_name.take();
        if p.eat_word("DEFAULT") {
            c.default = Some(default_value(p)?);
        } else if p.eat_word("NULL") {
            p.on_conflict()?;
        } else if p.eat_word("NOT") {
            p.expect_word("NULL")?;
            p.on_conflict()?;
            c.not_null = true;
        } else if p.eat_word("PRIMARY") {
            p.expect_word("KEY")?;
            let _ = p.eat_word("ASC") || p.eat_word("DESC");
            p.on_conflict()?;
            if p.eat_word("AUTOINCREMENT") {
                t.autoincrement = true;
            }
            if !t.primary_key.is_empty() {
                return None; // "has more than one primary key": SQLite would not have stored it
            }
            t.primary_key = vec![c.name.clone()];
            t.primary_key_name = name;
        } else if p.eat_word("UNIQUE") {
            p.on_conflict()?;
            t.has_unique = true;
        } else if p.eat_word("CHECK") {
            let expr = p.balanced()?;
            t.checks.push((name, expr.to_string()));
        } else if p.eat_word("REFERENCES") {
            let fk = p.references(name, vec![c.name.clone()])?;
            t.foreign_keys.push(fk);
        } else if p.eat_word("COLLATE") {
            c.collation = Some(p.name()?);
        } else if p.is_word("GENERATED") || p.is_word("AS") {
            if p.eat_word("GENERATED") {
                p.expect_word("ALWAYS")?;
            }
            p.expect_word("AS")?;
            let expr = p.balanced()?.to_string();
            let stored = if p.eat_word("STORED") {
                true
            } else {
                let _ = p.eat_word("VIRTUAL");
                false
            };
            c.generated = Some((expr, stored));
        } else {
            return None;
        }
    }
    t.columns.push(c);
    Some(())
}

fn table_constraint(p: &mut Parser<'_>, t: &mut ParsedTable) -> Option<()> {
    let mut name = None;
    if p.eat_word("CONSTRAINT") {
        name = Some(p.name()?);
    }
    if p.eat_word("PRIMARY") {
        p.expect_word("KEY")?;
        let (cols, autoinc) = p.name_list()?;
        p.on_conflict()?;
        if !t.primary_key.is_empty() {
            return None;
        }
        t.primary_key = cols;
        t.primary_key_name = name;
        t.autoincrement |= autoinc;
    } else if p.eat_word("UNIQUE") {
        p.name_list()?;
        p.on_conflict()?;
        t.has_unique = true;
    } else if p.eat_word("CHECK") {
        let expr = p.balanced()?;
        t.checks.push((name, expr.to_string()));
        p.on_conflict()?;
    } else if p.eat_word("FOREIGN") {
        p.expect_word("KEY")?;
        let (cols, _) = p.name_list()?;
        p.expect_word("REFERENCES")?;
        let fk = p.references(name, cols)?;
        t.foreign_keys.push(fk);
    } else {
        return None;
    }
    Some(())
}

/// The text after DEFAULT as SQLite keeps it: `( expr )` without the parentheses, a signed number with its
/// sign, or the single literal or name.
fn default_value(p: &mut Parser<'_>) -> Option<String> {
    if p.is_punct('(') {
        return Some(p.balanced()?.to_string());
    }
    let first = p.peek()?;
    p.at += 1;
    let last = if matches!(first.kind, Kind::Punct('+') | Kind::Punct('-')) {
        let n = p.peek()?;
        p.at += 1;
        n
    } else {
        first
    };
    if matches!(last.kind, Kind::Punct(_)) {
        return None;
    }
    Some(p.sql[first.start..last.end].to_string())
}

/// build.c `sqlite3AddColumn`: a trailing "GENERATED ALWAYS" read as part of the type is dropped, a quoted
/// type loses its quotes, and the standard names (INT, INTEGER, REAL, TEXT, BLOB, ANY) are stored in upper case.
fn declared_type(span: &str) -> String {
    let mut s = span;
    let ends_with = |s: &str, w: &str| s.len() >= w.len() && s[s.len() - w.len()..].eq_ignore_ascii_case(w);
    if s.len() >= 16 && ends_with(s, "always") {
        s = s[..s.len() - 6].trim_end();
        if s.len() >= 9 && ends_with(s, "generated") {
            s = s[..s.len() - 9].trim_end();
        }
    }
    if s.len() >= 3 {
        let b = s.as_bytes();
        let quote = matches!(b[0], b'"' | b'\'' | b'`' | b'[');
        if quote && !b[1..b.len() - 1].iter().any(|c| matches!(c, b'"' | b'\'' | b'`' | b'[' | b']')) {
            s = &s[1..s.len() - 1];
        }
        if let Some(std) = STD_TYPES.iter().find(|t| s.eq_ignore_ascii_case(t)) {
            return (*std).to_string();
        }
    }
    s.to_string()
}

/// An identifier or string without its quotes.
fn dequote(s: &str) -> String {
    let b = s.as_bytes();
    if b.len() < 2 {
        return s.to_string();
    }
    match b[0] {
        b'"' => s[1..s.len() - 1].replace("\"\"", "\""),
        b'`' => s[1..s.len() - 1].replace("``", "`"),
        b'\'' => s[1..s.len() - 1].replace("''", "'"),
        b'[' => s[1..s.len() - 1].to_string(),
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_types_defaults() {
        let t = parse(
            r#"CREATE TABLE a(x numeric( 12 , 2 ) NOT NULL, y UNSIGNED   BIG INT DEFAULT (datetime( 'now' )),
            z "text" DEFAULT -1, w INT GENERATED ALWAYS AS (x+1) STORED, v DEFAULT +5 COLLATE nocase,
            u [my type] default 'a''b', t text default CURRENT_TIMESTAMP, s blob default x'00ff', r,
            q int primary key desc unique, p int unique)"#,
        )
        .unwrap();
        let got: Vec<(&str, &str, bool, Option<&str>)> = t
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.declared.as_str(), c.not_null, c.default.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("x", "numeric( 12 , 2 )", true, None),
                ("y", "UNSIGNED   BIG INT", false, Some("datetime( 'now' )")),
                ("z", "TEXT", false, Some("-1")),
                ("w", "INT", false, None),
                ("v", "", false, Some("+5")),
                ("u", "my type", false, Some("'a''b'")),
                ("t", "TEXT", false, Some("CURRENT_TIMESTAMP")),
                ("s", "BLOB", false, Some("x'00ff'")),
                ("r", "", false, None),
                ("q", "INT", false, None),
                ("p", "INT", false, None),
            ]
        );
        assert_eq!(t.columns[3].generated, Some(("x+1".into(), true)));
        assert_eq!(t.columns[4].collation.as_deref(), Some("nocase"));
        assert_eq!(t.primary_key, ["q"]);
        assert!(t.has_unique);
    }

    #[test]
    fn table_constraints_and_foreign_keys() {
        let t = parse(
            r#"CREATE TABLE b(k int, l text, primary key(l,k), unique(k) on conflict replace,
            foreign key (k) references a on delete cascade,
            constraint fkn foreign key(l,k) references "a"(x,y) on update set null match full deferrable initially deferred
            CHECK (k > 0)) without rowid"#,
        )
        .unwrap();
        assert_eq!(t.primary_key, ["l", "k"]);
        assert!(t.without_rowid && t.columns.iter().all(|c| c.not_null));
        assert_eq!(t.foreign_keys.len(), 2);
        assert_eq!((t.foreign_keys[0].referenced.len(), t.foreign_keys[0].on_delete.as_str()), (0, "CASCADE"));
        let f = &t.foreign_keys[1];
        assert_eq!((f.name.as_deref(), f.table.as_str(), f.on_update.as_str()), (Some("fkn"), "a", "SET NULL"));
        assert_eq!(f.referenced, ["x", "y"]);
        assert_eq!(t.checks, vec![(None, "k > 0".to_string())]);
    }

    #[test]
    fn what_it_does_not_read_falls_back() {
        assert!(parse("CREATE VIRTUAL TABLE f USING fts5(a, b)").is_none());
        assert!(parse("CREATE TABLE t (a int, b int, UNIQUE (a + b))").is_none(), "expression in a key");
        assert!(
            parse("CREATE TABLE t (a int SOMETHING NEW)").is_some_and(|t| t.columns[0].declared == "int SOMETHING NEW")
        );
        assert!(parse("CREATE TABLE t (a int NOT DEFERRABLE)").is_none());
        assert!(parse("CREATE TABLE t (a 'it''s' -- c\n, b)").is_some());
    }

    #[test]
    fn generated_always_is_not_part_of_the_type() {
        let t =
            parse("CREATE TABLE g (a INTEGER, b GENERATED ALWAYS AS (a * 2), c TEXT GENERATED ALWAYS AS (a) VIRTUAL)")
                .unwrap();
        assert_eq!(t.columns[1].declared, "");
        assert_eq!(t.columns[2].declared, "TEXT");
        assert_eq!(t.columns[2].generated, Some(("a".into(), false)));
    }
}
