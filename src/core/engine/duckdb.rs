//! DuckDB files, read-only, through the `duckdb` command-line shell: DuckDB's C++ library takes about 40 minutes to
//! build on a small machine, so the default build does not link it. Every statement runs in a shell of its own
//! (`-readonly`, no init file, no extension downloads), its output read as JSON lines: one object per row, every
//! value text or null (the caller casts), so NUL, control characters and any non-ASCII survive.
//!
//! What reaches the shell: one statement, passed as the `-c` argument (never on standard input, where a line
//! starting with `.` would be a shell command). A statement that starts with `.`, holds a NUL (an argument cannot)
//! or is longer than one argument may be is refused before a process starts.
use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

use super::classify::{ConnectError, FailureClass};
use crate::core::profile::Profile;
use crate::core::query::QueryError;

/// How to install the shell, for messages.
pub const INSTALL_HINT: &str = "install it with `pip install duckdb-cli` (or download the CLI from duckdb.org), or \
                                set duckdb_cli = \"/path/to/duckdb\" in the profile";

/// Linux allows one argument up to 128 KiB; a statement must fit in one.
pub const MAX_STATEMENT: usize = 120_000;

/// Settings every shell starts with, before the file's SQL can run: no extension fetched or loaded, no file or
/// network reached but standard output (so a view or generated column cannot read `getenv()`, local files or
/// URLs, and `ATTACH`, `COPY … TO` and `EXPORT` cannot write), times in UTC, and the configuration locked so
/// no statement can undo any of it.
const PRELUDE: [&str; 6] = [
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET allowed_paths = ['/dev/stdout']",
    "SET enable_external_access = false",
    "SET TimeZone = 'UTC'",
    "SET lock_configuration = true",
];

/// The environment a shell keeps (everything else, passwords in variables included, is not passed on).
const KEPT_ENV: [&str; 6] = ["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "LC_CTYPE"];

/// One DuckDB file and the shell that reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duck {
    pub path: PathBuf,
    pub cli: PathBuf,
    /// `v1.5.6`, as `SELECT version()` says.
    pub version: String,
    /// DuckDB's worker threads (its default, all cores, when None). A bulk read sets one: it is one of several
    /// streams sharing the machine with the target, and DuckDB's threads spin while the reader drains the pipe
    /// (measured: a 1,000,000-row transfer 4.3 → 3.7 s, its peak memory 148 → 72 MB).
    pub threads: Option<u32>,
}

/// The shell a profile names (an absolute path, or a name looked up on PATH), or `duckdb` on PATH.
pub fn locate(p: &Profile) -> Result<PathBuf, ConnectError> {
    if let Some(cli) = &p.duckdb_cli {
        if cli.components().count() > 1 && !cli.is_absolute() {
            return Err(ConnectError::new(
                FailureClass::ToolMissing,
                format!("duckdb_cli {} is a relative path", cli.display()),
                "name the shell by an absolute path, or by its name alone to look it up on PATH",
            ));
        }
        if cli.components().count() > 1 {
            return if is_executable(cli) {
                Ok(cli.clone())
            } else {
                Err(ConnectError::new(
                    FailureClass::ToolMissing,
                    format!("the duckdb shell {} named in the profile is not an executable file", cli.display()),
                    INSTALL_HINT,
                ))
            };
        }
        return on_path(&cli.display().to_string()).ok_or_else(|| missing(&cli.display().to_string()));
    }
    on_path("duckdb").ok_or_else(|| missing("duckdb"))
}

fn missing(name: &str) -> ConnectError {
    ConnectError::new(FailureClass::ToolMissing, format!("{name} not found on PATH"), INSTALL_HINT)
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|c| is_executable(c))
}

/// Why a statement cannot be handed to the shell, if it cannot.
pub fn refuse(sql: &str) -> Option<String> {
    if sql.contains('\0') {
        return Some(
            "the statement holds a NUL character, which a command-line argument cannot carry (use chr(0))".into(),
        );
    }
    if sql.trim_start().starts_with('.') {
        return Some("a statement starting with `.` would be a duckdb shell command: dbconsole sends SQL only".into());
    }
    if sql.len() > MAX_STATEMENT {
        return Some(format!(
            "the statement is {} bytes; the duckdb shell takes at most {MAX_STATEMENT} in one argument",
            sql.len()
        ));
    }
    None
}

/// The shell's error text as a query error: `Catalog Error: Table with name x does not exist!` → code `Catalog`.
pub fn error_from(stderr: &str) -> QueryError {
    let text = crate::core::text::escape_control(stderr.trim()).into_owned();
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("the duckdb shell failed").trim().to_string();
    let rest: Vec<&str> = lines.map(str::trim_end).filter(|l| !l.trim().is_empty()).collect();
    let (code, message) = match first.split_once(" Error: ") {
        Some((kind, msg)) if !kind.contains(' ') || kind.split(' ').count() <= 2 => {
            (Some(kind.to_string()), msg.to_string())
        }
        _ => (None, first),
    };
    let mut e = QueryError::other(message);
    e.code = code;
    if !rest.is_empty() {
        e.detail = Some(rest.join("\n"));
    }
    e
}

impl Duck {
    /// Finds the shell and opens the file once (`SELECT version()`), classifying what fails.
    pub async fn open(p: &Profile) -> Result<Duck, ConnectError> {
        let path = p.path.clone().unwrap_or_default();
        let shown = path.display().to_string();
        if !path.exists() {
            return Err(ConnectError::new(
                FailureClass::FileMissing,
                format!("DuckDB database file {shown} does not exist"),
                "check the path in the profile; dbconsole opens DuckDB files read-only and never creates one",
            ));
        }
        let cli = locate(p)?;
        let path = std::path::absolute(&path).unwrap_or(path);
        let mut duck = Duck { path, cli, version: String::new(), threads: None };
        // One shell: the version, and the macros stored in the file that take the names of DuckDB's own functions
        // (version(), to_json() — which COPY … (FORMAT json) calls —, duckdb_tables()…): they would run in place of
        // the built-ins, so such a file is not read.
        let opening = duck
            .rows(
                "SELECT system.main.version(), (SELECT string_agg(DISTINCT function_name, ', ' ORDER BY \
                 function_name) FROM system.main.duckdb_functions() WHERE database_name = current_database() AND \
                 function_name IN (SELECT function_name FROM system.main.duckdb_functions() WHERE database_name = \
                 'system'))",
            )
            .await;
        match opening {
            Ok(rows) => {
                let row = rows.into_iter().next().unwrap_or_default();
                duck.version = row.first().cloned().flatten().unwrap_or_default();
                if let Some(names) = row.get(1).cloned().flatten() {
                    return Err(ConnectError::new(
                        FailureClass::Other,
                        format!(
                            "{shown} defines macros named like DuckDB's own functions ({}): they would run in place of \
                             the built-ins when dbconsole reads the file, so it is not read",
                            crate::core::text::escape_control(&names)
                        ),
                        "open the file in duckdb yourself, look at those macros (SELECT * FROM duckdb_functions() WHERE \
                         NOT internal), and drop or rename them in a copy",
                    ));
                }
                Ok(duck)
            }
            Err(e) => {
                let m = e.message.clone();
                let lower = m.to_lowercase();
                Err(if lower.contains("not a valid duckdb database") || lower.contains("unable to open") {
                    ConnectError::new(
                        FailureClass::NotADatabase,
                        format!("{shown} is not a DuckDB database: {m}"),
                        "check the path; a file written by a newer DuckDB needs a shell of that version or newer",
                    )
                } else if lower.contains("permission denied") {
                    ConnectError::new(FailureClass::Permission, format!("{shown}: {m}"), "check the file's permissions")
                } else if lower.contains("could not set lock") || lower.contains("conflicting lock") {
                    ConnectError::new(
                        FailureClass::Locked,
                        format!("{shown}: {m}"),
                        "another process has the file open for writing: close it, then try again",
                    )
                } else {
                    ConnectError::new(FailureClass::Other, format!("{shown}: {m}"), "see the log file for details")
                })
            }
        }
    }

    /// The shell, ready to run `sql` on the file (JSON lines out), killed if dropped.
    pub fn command(&self, sql: &str) -> Result<tokio::process::Command, QueryError> {
        if let Some(why) = refuse(sql) {
            return Err(QueryError::other(format!("refused: {why}; nothing was run")));
        }
        let mut c = tokio::process::Command::new(&self.cli);
        c.env_clear();
        for k in KEPT_ENV {
            if let Some(v) = std::env::var_os(k) {
                c.env(k, v);
            }
        }
        c.arg("-no-init").arg("-readonly").arg("-batch").arg("-bail");
        // Before the lock, which is last.
        for s in &PRELUDE[..PRELUDE.len() - 1] {
            c.arg("-cmd").arg(s);
        }
        if let Some(n) = self.threads {
            c.arg("-cmd").arg(format!("SET threads = {}", n.max(1)));
        }
        c.arg("-cmd").arg(PRELUDE[PRELUDE.len() - 1]);
        c.arg("-jsonlines");
        // An absolute path: a relative one starting with `-` would be read as an option.
        c.arg(&self.path).arg("-c").arg(sql);
        c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
        Ok(c)
    }

    /// The first value of the first row (None for no row or NULL): a count, a setting.
    pub async fn first(&self, sql: &str) -> Result<Option<String>, QueryError> {
        Ok(self.rows(sql).await?.into_iter().next().and_then(|r| r.into_iter().next().flatten()))
    }

    /// Runs one statement and returns its rows, every value as text (numbers and booleans as the shell wrote
    /// them; nested values as JSON). For the catalog and other small answers.
    pub async fn rows(&self, sql: &str) -> Result<Vec<Vec<Option<String>>>, QueryError> {
        let mut child = self.command(sql)?.spawn().map_err(|e| spawn_error(&self.cli, &e))?;
        let mut stdout = child.stdout.take().expect("piped");
        let mut stderr = child.stderr.take().expect("piped");
        let mut out = String::new();
        let mut err = String::new();
        let (a, b) = tokio::join!(stdout.read_to_string(&mut out), stderr.read_to_string(&mut err));
        a.and(b).map_err(|e| QueryError::other(format!("reading the duckdb shell: {e}")))?;
        let status = child.wait().await.map_err(|e| QueryError::other(format!("the duckdb shell: {e}")))?;
        check_exit(status, &err)?;
        out.lines().filter(|l| !l.trim().is_empty()).map(|l| parse_line(l).map(|(_, v)| v)).collect()
    }
}

/// The exit status decides (`-bail`: an error ends the shell with a failure); text on stderr after a success is
/// logged, not taken as an error.
fn check_exit(status: std::process::ExitStatus, err: &str) -> Result<(), QueryError> {
    if !status.success() {
        return Err(error_from(if err.trim().is_empty() { "the duckdb shell failed" } else { err }));
    }
    if !err.trim().is_empty() {
        tracing::warn!(stderr = %crate::core::text::escape_control(err.trim()), "the duckdb shell wrote to stderr");
    }
    Ok(())
}

pub(crate) fn spawn_error(cli: &Path, e: &std::io::Error) -> QueryError {
    QueryError::other(format!("could not start the duckdb shell {}: {e}; {INSTALL_HINT}", cli.display()))
}

/// One JSON-lines row: its keys and values in order, scalars as their text, nested values as JSON.
pub fn parse_line(line: &str) -> Result<(Vec<String>, Vec<Option<String>>), QueryError> {
    use serde::de::{Deserializer as _, MapAccess, Visitor};
    struct Row;
    impl<'de> Visitor<'de> for Row {
        type Value = (Vec<String>, Vec<Option<String>>);
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
            let (mut keys, mut values) = (Vec::new(), Vec::new());
            while let Some((k, v)) = m.next_entry::<String, serde_json::Value>()? {
                keys.push(k);
                values.push(match v {
                    serde_json::Value::Null => None,
                    serde_json::Value::String(s) => Some(s),
                    other => Some(other.to_string()),
                });
            }
            Ok((keys, values))
        }
    }
    let mut d = serde_json::Deserializer::from_str(line);
    d.deserialize_map(Row).map_err(|e| QueryError::other(format!("unreadable line from the duckdb shell: {e}")))
}

/// One row of the wrapped form (`{"c1":"text","c2":null,…}`: every value a string or null) straight into `out`,
/// without building JSON values. None when the line is not of that form (then [`parse_line`] reads it).
pub fn row_into(line: &str, out: &mut crate::core::query::RowBuf) -> Option<()> {
    out.clear();
    let b = line.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        return Some(());
    }
    loop {
        // The key: skipped (the columns are in order).
        if b.get(i) != Some(&b'"') {
            return None;
        }
        i = string_end(b, i + 1)?;
        i = skip_ws(b, i);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        match b.get(i) {
            Some(b'n') if b[i..].starts_with(b"null") => {
                out.push_null();
                i += 4;
            }
            Some(b'"') => {
                i = decode_string(line, i + 1, out.cell_text())?;
                out.end_cell();
            }
            _ => return None,
        }
        i = skip_ws(b, i);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => return (skip_ws(b, i + 1) == b.len()).then_some(()),
            _ => return None,
        }
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
        i += 1;
    }
    i
}

/// The index after the closing quote of a string whose content starts at `i`.
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    while i < b.len() {
        match b[i] {
            b'"' => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    None
}

/// Decodes a JSON string whose content starts at byte `i` into `out`; the index after its closing quote.
fn decode_string(s: &str, mut i: usize, out: &mut String) -> Option<usize> {
    let b = s.as_bytes();
    loop {
        // Plain runs are copied whole (they end on an ASCII byte, so on a character boundary).
        let start = i;
        while i < b.len() && b[i] != b'"' && b[i] != b'\\' && b[i] >= 0x20 {
            i += 1;
        }
        out.push_str(&s[start..i]);
        match b.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => {
                let c = match *b.get(i + 1)? {
                    b'"' => '"',
                    b'\\' => '\\',
                    b'/' => '/',
                    b'b' => '\u{8}',
                    b'f' => '\u{c}',
                    b'n' => '\n',
                    b'r' => '\r',
                    b't' => '\t',
                    b'u' => {
                        let hex = |at: usize| u32::from_str_radix(s.get(at..at + 4)?, 16).ok();
                        let hi = hex(i + 2)?;
                        i += 6;
                        let code = if (0xD800..0xDC00).contains(&hi) {
                            if b.get(i..i + 2)? != b"\\u" {
                                return None;
                            }
                            let lo = hex(i + 2)?;
                            if !(0xDC00..0xE000).contains(&lo) {
                                return None;
                            }
                            i += 6;
                            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                        } else {
                            hi
                        };
                        out.push(char::from_u32(code)?);
                        continue;
                    }
                    _ => return None,
                };
                out.push(c);
                i += 2;
            }
            // A raw control character: not JSON.
            _ => return None,
        }
    }
}

/// Reads a running shell's JSON lines one at a time.
pub struct Lines {
    pub child: tokio::process::Child,
    out: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    err: Option<tokio::task::JoinHandle<String>>,
}

impl Lines {
    pub fn start(duck: &Duck, sql: &str) -> Result<Lines, QueryError> {
        let mut child = duck.command(sql)?.spawn().map_err(|e| spawn_error(&duck.cli, &e))?;
        let out = BufReader::with_capacity(1 << 16, child.stdout.take().expect("piped")).lines();
        let mut stderr = child.stderr.take().expect("piped");
        let err = tokio::spawn(async move {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s).await;
            s
        });
        Ok(Lines { child, out, err: Some(err) })
    }

    /// The next line, or None at the end (then the shell's exit is checked).
    pub async fn next(&mut self) -> Result<Option<String>, QueryError> {
        match self.out.next_line().await {
            Ok(Some(l)) => Ok(Some(l)),
            Ok(None) => {
                let status =
                    self.child.wait().await.map_err(|e| QueryError::other(format!("the duckdb shell: {e}")))?;
                let err = match self.err.take() {
                    Some(h) => h.await.unwrap_or_default(),
                    None => String::new(),
                };
                check_exit(status, &err)?;
                Ok(None)
            }
            Err(e) => Err(QueryError::other(format!("reading the duckdb shell: {e}"))),
        }
    }

    pub async fn kill(&mut self) {
        let _ = self.child.kill().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_order_nul_and_nesting() {
        let (k, v) = parse_line(r#"{"b":"x\u0000y","a":null,"n":12,"l":[1,null]}"#).unwrap();
        assert_eq!(k, ["b", "a", "n", "l"]);
        assert_eq!(v, [Some("x\0y".into()), None, Some("12".into()), Some("[1,null]".into())]);
        assert!(parse_line("not json").is_err());
        assert!(parse_line("[1,2]").is_err());
    }

    #[test]
    fn refused_statements() {
        assert!(refuse(".shell id").unwrap().contains("shell command"));
        assert!(refuse("  \n.read x").is_some());
        assert!(refuse("SELECT 'a\0b'").unwrap().contains("NUL"));
        assert!(refuse(&"x".repeat(MAX_STATEMENT + 1)).unwrap().contains("bytes"));
        assert!(refuse("SELECT '.x'").is_none());
    }

    #[test]
    fn errors_keep_their_kind() {
        let e = error_from("Catalog Error: Table with name nope does not exist!\nDid you mean \"a\"?\n\nLINE 1: x\n");
        assert_eq!(e.code.as_deref(), Some("Catalog"));
        assert!(e.message.contains("nope does not exist"), "{e:?}");
        assert!(e.detail.unwrap().contains("Did you mean"));
        let e = error_from("Invalid Input Error: Cannot execute statement of type \"CREATE\"");
        assert_eq!(e.code.as_deref(), Some("Invalid Input"));
        let e = error_from("\u{1b}[31msomething odd\u{1b}[0m");
        assert!(!e.message.contains('\u{1b}'));
    }

    #[test]
    fn fast_rows_agree_with_serde() {
        use crate::core::query::RowBuf;
        let mut r = RowBuf::default();
        let line = r#"{"c1":"a\"b\\c\u0000\u00e9\ud83d\ude00\n","c2":null, "c3" : "" }"#;
        row_into(line, &mut r).unwrap();
        let (_, v) = parse_line(line).unwrap();
        assert_eq!(r.len(), 3);
        for (i, x) in v.iter().enumerate() {
            assert_eq!(r.get(i), x.as_deref());
        }
        assert!(row_into(r#"{"c1":1}"#, &mut r).is_none(), "a number is not the wrapped form");
        assert!(row_into(r#"{"c1":"x"} trailing"#, &mut r).is_none());
        assert!(row_into(r#"{"c1":"\ud800"}"#, &mut r).is_none(), "a lone surrogate");
        row_into("{}", &mut r).unwrap();
        assert_eq!(r.len(), 0);
    }

    proptest::proptest! {
        #[test]
        fn fast_rows_match_serde_on_any_strings(v in proptest::collection::vec(proptest::option::of("\\PC{0,12}|[\\x00-\\x1f\"\\\\]{0,4}"), 0..5)) {
            use crate::core::query::RowBuf;
            let obj: serde_json::Map<String, serde_json::Value> = v
                .iter()
                .enumerate()
                .map(|(i, x)| (format!("c{}", i + 1), x.clone().map_or(serde_json::Value::Null, serde_json::Value::String)))
                .collect();
            let line = serde_json::Value::Object(obj).to_string();
            let mut r = RowBuf::default();
            proptest::prop_assert!(row_into(&line, &mut r).is_some(), "{}", line);
            let (_, parsed) = parse_line(&line).unwrap();
            for (i, x) in parsed.iter().enumerate() {
                proptest::prop_assert_eq!(r.get(i), x.as_deref());
            }
        }

        #[test]
        fn fast_rows_never_panic(s in "\\PC{0,80}") {
            let mut r = crate::core::query::RowBuf::default();
            let _ = row_into(&s, &mut r);
        }

        #[test]
        fn any_line_parses_or_errs(s in "\\PC{0,80}") {
            let _ = parse_line(&s);
            let _ = error_from(&s);
            let _ = refuse(&s);
        }
    }
}
