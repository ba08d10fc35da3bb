//! Writing rows out: CSV (RFC 4180 with a header; NULL is an empty field, an empty string is `""`, as psql does),
//! JSON (an array of objects keyed by column name; numbers, booleans and JSON values as themselves), SQL INSERT
//! statements in the result's dialect, and an aligned text table. Rows are written as they come, so memory stays
//! flat whatever the row count.
use std::io::{self, Write};

use super::result::{Column, Kind};
use crate::core::catalog::quote;
use crate::core::profile::Engine;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
    Sql,
}

impl Format {
    pub fn parse(s: &str) -> Result<Format, String> {
        match s.to_ascii_lowercase().as_str() {
            "table" => Ok(Format::Table),
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "sql" | "insert" => Ok(Format::Sql),
            _ => Err(format!("unknown format `{s}` (table, csv, json, sql)")),
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            Format::Table => "txt",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Sql => "sql",
        }
    }
}

/// Rows kept to size the columns of a text table before the first line is printed.
const TABLE_SAMPLE: usize = 1000;

pub struct Writer<W: Write> {
    format: Format,
    out: W,
    engine: Engine,
    /// Target table for SQL INSERTs.
    table: String,
    columns: Vec<Column>,
    rows: u64,
    sample: Vec<Vec<Option<String>>>,
    widths: Vec<usize>,
    header_done: bool,
    scratch: String,
}

fn json_number(s: &str) -> bool {
    let t = s.strip_prefix('-').unwrap_or(s);
    let (int, rest) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    if int.is_empty() || (int.len() > 1 && int.starts_with('0')) {
        return false;
    }
    let rest = match rest.strip_prefix('.') {
        Some(r) => {
            let k = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
            if k == 0 {
                return false;
            }
            &r[k..]
        }
        None => rest,
    };
    if rest.is_empty() {
        return true;
    }
    let Some(e) = rest.strip_prefix(['e', 'E']) else { return false };
    let e = e.strip_prefix(['+', '-']).unwrap_or(e);
    !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
}

fn bool_text(s: &str) -> Option<bool> {
    match s {
        "t" | "true" | "1" => Some(true),
        "f" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// A cell as a JSON value.
pub fn json_value(out: &mut String, kind: Kind, cell: Option<&str>) {
    let Some(s) = cell else {
        out.push_str("null");
        return;
    };
    match kind {
        Kind::Number if json_number(s) => out.push_str(s),
        Kind::Bool if bool_text(s).is_some() => out.push_str(if bool_text(s) == Some(true) { "true" } else { "false" }),
        Kind::Json if serde_json::from_str::<serde::de::IgnoredAny>(s).is_ok() => out.push_str(s),
        _ => out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "null".into())),
    }
}

/// A cell as a SQL literal in `engine`'s dialect.
pub fn sql_literal(engine: Engine, kind: Kind, cell: Option<&str>) -> String {
    let Some(s) = cell else { return "NULL".into() };
    match kind {
        Kind::Number if json_number(s) => s.to_string(),
        Kind::Bool if engine == Engine::Postgres && bool_text(s).is_some() => {
            if bool_text(s) == Some(true) {
                "TRUE".into()
            } else {
                "FALSE".into()
            }
        }
        Kind::Bits => s.to_string(),
        Kind::Binary if engine != Engine::Postgres && s.starts_with("\\x") => format!("X'{}'", &s[2..]),
        _ => quote::literal(engine, s),
    }
}

fn csv_field(out: &mut String, cell: Option<&str>) {
    let Some(s) = cell else { return };
    if s.is_empty() || s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

fn display_width(s: &str) -> usize {
    s.chars().count()
}

impl<W: Write> Writer<W> {
    pub fn new(format: Format, out: W, engine: Engine, table: &str) -> Writer<W> {
        Writer {
            format,
            out,
            engine,
            table: table.to_string(),
            columns: Vec::new(),
            rows: 0,
            sample: Vec::new(),
            widths: Vec::new(),
            header_done: false,
            scratch: String::new(),
        }
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// A new result begins (its rows follow). A previous result is finished first.
    pub fn begin(&mut self, columns: &[Column]) -> io::Result<()> {
        if !self.columns.is_empty() || self.header_done {
            self.end_result()?;
            if matches!(self.format, Format::Table | Format::Csv) {
                writeln!(self.out)?;
            }
        }
        self.columns = columns.to_vec();
        self.rows = 0;
        self.header_done = false;
        self.widths = columns.iter().map(|c| display_width(&c.name)).collect();
        match self.format {
            Format::Csv => {
                self.scratch.clear();
                for (i, c) in columns.iter().enumerate() {
                    if i > 0 {
                        self.scratch.push(',');
                    }
                    csv_field(&mut self.scratch, Some(&c.name));
                }
                writeln!(self.out, "{}", self.scratch)?;
                self.header_done = true;
            }
            Format::Json => {
                self.out.write_all(b"[")?;
                self.header_done = true;
            }
            Format::Sql | Format::Table => {}
        }
        Ok(())
    }

    pub fn row<'a>(&mut self, cells: impl Iterator<Item = Option<&'a str>>) -> io::Result<()> {
        let s = &mut self.scratch;
        s.clear();
        match self.format {
            Format::Csv => {
                for (i, c) in cells.enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    csv_field(s, c);
                }
                s.push('\n');
            }
            Format::Json => {
                s.push_str(if self.rows == 0 { "\n{" } else { ",\n{" });
                for (i, c) in cells.enumerate() {
                    let Some(col) = self.columns.get(i) else { break };
                    if i > 0 {
                        s.push_str(", ");
                    }
                    s.push_str(&serde_json::to_string(&col.name).unwrap_or_default());
                    s.push_str(": ");
                    json_value(s, col.kind, c);
                }
                s.push('}');
            }
            Format::Sql => {
                let cols: Vec<String> = self.columns.iter().map(|c| quote::ident(self.engine, &c.name)).collect();
                s.push_str(&format!("INSERT INTO {} ({}) VALUES (", self.table, cols.join(", ")));
                for (i, c) in cells.enumerate() {
                    let kind = self.columns.get(i).map_or(Kind::Text, |c| c.kind);
                    if i > 0 {
                        s.push_str(", ");
                    }
                    s.push_str(&sql_literal(self.engine, kind, c));
                }
                s.push_str(");\n");
            }
            Format::Table => {
                let row: Vec<Option<String>> = cells.map(|c| c.map(str::to_string)).collect();
                if !self.header_done {
                    for (w, c) in self.widths.iter_mut().zip(&row) {
                        *w = (*w).max(c.as_deref().map_or(0, table_width));
                    }
                    self.sample.push(row);
                    self.rows += 1;
                    if self.sample.len() >= TABLE_SAMPLE {
                        self.flush_sample()?;
                    }
                    return Ok(());
                }
                self.table_line(&row);
            }
        }
        self.rows += 1;
        self.out.write_all(self.scratch.as_bytes())
    }

    fn table_line(&mut self, row: &[Option<String>]) {
        let s = &mut self.scratch;
        s.clear();
        for (i, w) in self.widths.iter().enumerate() {
            if i > 0 {
                s.push_str(" | ");
            } else {
                s.push(' ');
            }
            let text = row.get(i).and_then(|c| c.as_deref()).map(table_cell).unwrap_or_default();
            let pad = w.saturating_sub(display_width(&text));
            let right = self.columns.get(i).is_some_and(|c| c.kind.right_aligned());
            if right {
                s.extend(std::iter::repeat_n(' ', pad));
                s.push_str(&text);
            } else {
                s.push_str(&text);
                if i + 1 < self.widths.len() {
                    s.extend(std::iter::repeat_n(' ', pad));
                }
            }
        }
        s.push('\n');
    }

    fn flush_sample(&mut self) -> io::Result<()> {
        let header: Vec<Option<String>> = self.columns.iter().map(|c| Some(c.name.clone())).collect();
        let kinds: Vec<Kind> = self.columns.iter().map(|c| c.kind).collect();
        // The header is centred-left regardless of alignment.
        for c in &mut self.columns {
            c.kind = Kind::Text;
        }
        self.table_line(&header);
        for (i, c) in self.columns.iter_mut().enumerate() {
            c.kind = kinds[i];
        }
        self.scratch.push_str(self.widths.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("+").trim_end());
        self.scratch.push('\n');
        self.out.write_all(self.scratch.as_bytes())?;
        let sample = std::mem::take(&mut self.sample);
        for r in &sample {
            self.table_line(r);
            self.out.write_all(self.scratch.as_bytes())?;
        }
        self.header_done = true;
        Ok(())
    }

    fn end_result(&mut self) -> io::Result<()> {
        match self.format {
            Format::Json => {
                self.out.write_all(if self.rows == 0 { b"]\n" } else { b"\n]\n" })?;
            }
            Format::Table => {
                if !self.header_done {
                    self.flush_sample()?;
                }
                writeln!(self.out, "({} row{})", self.rows, if self.rows == 1 { "" } else { "s" })?;
            }
            _ => {}
        }
        self.columns.clear();
        self.header_done = false;
        Ok(())
    }

    /// Ends the last result and flushes.
    pub fn finish(&mut self) -> io::Result<()> {
        if !self.columns.is_empty() || self.header_done {
            self.end_result()?;
        }
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

fn table_width(s: &str) -> usize {
    display_width(&table_cell(s))
}

/// A cell on one line of a text table: newlines and tabs shown as `↵` and `→`, other control characters escaped
/// (`\x1b`), so a value cannot drive the terminal the table is printed on.
fn table_cell(s: &str) -> String {
    crate::core::text::one_line(s).into_owned()
}

/// The table name for SQL INSERTs, quoted for `engine`: `name`, or `schema.name` with each part quoted.
pub fn table_name(engine: Engine, name: &str) -> String {
    match name.split_once('.') {
        Some((schema, table)) if !schema.is_empty() && !table.is_empty() => quote::qualified(engine, schema, table),
        _ => quote::ident(engine, name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols() -> Vec<Column> {
        vec![
            Column { name: "id".into(), type_name: "int4".into(), kind: Kind::Number },
            Column { name: "na\"me".into(), type_name: "text".into(), kind: Kind::Text },
            Column { name: "ok".into(), type_name: "bool".into(), kind: Kind::Bool },
            Column { name: "doc".into(), type_name: "jsonb".into(), kind: Kind::Json },
        ]
    }

    fn write(format: Format, rows: &[[Option<&str>; 4]]) -> String {
        let mut w = Writer::new(format, Vec::new(), Engine::Postgres, "\"t\"");
        w.begin(&cols()).unwrap();
        for r in rows {
            w.row(r.iter().copied()).unwrap();
        }
        w.finish().unwrap();
        String::from_utf8(w.into_inner()).unwrap()
    }

    #[test]
    fn csv_json_sql() {
        let rows = [
            [Some("1"), Some(""), Some("t"), Some("{\"a\": [1, 2]}")],
            [Some("-2.5e3"), None, None, Some("x,\"y\"\nz")],
        ];
        assert_eq!(
            write(Format::Csv, &rows),
            "id,\"na\"\"me\",ok,doc\n1,\"\",t,\"{\"\"a\"\": [1, 2]}\"\n-2.5e3,,,\"x,\"\"y\"\"\nz\"\n"
        );
        let j = write(Format::Json, &rows);
        let v: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(v[0]["id"], serde_json::json!(1));
        assert_eq!(v[0]["na\"me"], serde_json::json!(""));
        assert_eq!(v[0]["ok"], serde_json::json!(true));
        assert_eq!(v[0]["doc"]["a"][1], serde_json::json!(2));
        assert_eq!(v[1]["id"], serde_json::json!(-2500.0));
        assert!(v[1]["na\"me"].is_null());
        assert_eq!(v[1]["doc"], serde_json::json!("x,\"y\"\nz"));
        let s = write(Format::Sql, &rows[..1]);
        assert_eq!(
            s,
            "INSERT INTO \"t\" (\"id\", \"na\"\"me\", \"ok\", \"doc\") VALUES (1, '', TRUE, '{\"a\": [1, 2]}');\n"
        );
        assert_eq!(write(Format::Json, &[]), "[]\n");
    }

    #[test]
    fn table() {
        let t = write(Format::Table, &[[Some("10"), Some("a\nb"), None, Some("{}")]]);
        assert_eq!(t, " id | na\"me | ok | doc\n----+-------+----+-----\n 10 | a↵b   |    | {}\n(1 row)\n");
    }

    #[test]
    fn table_cells_cannot_drive_the_terminal() {
        let t = write(Format::Table, &[[Some("1"), Some("\u{1b}[2J\u{7}x\0y\rz é 漢"), None, None]]);
        assert!(t.contains(" \\x1b[2J\\x07x\\x00y\\x0dz é 漢 "), "{t}");
        assert!(!t.chars().any(|c| c.is_control() && c != '\n'), "{t:?}");
    }

    #[test]
    fn table_names_are_quoted() {
        assert_eq!(table_name(Engine::Postgres, "result"), "\"result\"");
        assert_eq!(table_name(Engine::Postgres, "x; DROP TABLE t"), "\"x; DROP TABLE t\"");
        assert_eq!(table_name(Engine::Mysql, "app.or`ders"), "`app`.`or``ders`");
        assert_eq!(table_name(Engine::Sqlite, "a\"b"), "\"a\"\"b\"");
        assert_eq!(table_name(Engine::Postgres, ".x"), "\".x\"");
    }

    #[test]
    fn numbers() {
        for ok in ["0", "-1", "1.5", "1e10", "2.5E-3"] {
            assert!(json_number(ok), "{ok}");
        }
        for bad in ["", "01", "1.", ".5", "NaN", "Infinity", "$1.00", "1e", "--1"] {
            assert!(!json_number(bad), "{bad}");
        }
        assert_eq!(sql_literal(Engine::Mysql, Kind::Binary, Some("\\x00ff")), "X'00ff'");
        assert_eq!(sql_literal(Engine::Mysql, Kind::Text, Some("a\\'b")), "'a\\\\''b'");
    }
}
