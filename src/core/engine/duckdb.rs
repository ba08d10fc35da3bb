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

/// Settings every shell starts with: no extension is fetched from the network, times are shown in UTC.
const PRELUDE: [&str; 2] = ["SET autoinstall_known_extensions = false", "SET TimeZone = 'UTC'"];

/// One DuckDB file and the shell that reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duck {
    pub path: PathBuf,
    pub cli: PathBuf,
    /// `v1.5.6`, as `SELECT version()` says.
    pub version: String,
}

/// The shell a profile names, or `duckdb` on PATH.
pub fn locate(p: &Profile) -> Result<PathBuf, ConnectError> {
    if let Some(cli) = &p.duckdb_cli {
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
        let mut duck = Duck { path, cli, version: String::new() };
        match duck.rows("SELECT version()").await {
            Ok(rows) => {
                duck.version = rows.first().and_then(|r| r.first().cloned().flatten()).unwrap_or_default();
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
                } else if lower.contains("lock") {
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
        c.arg("-no-init").arg("-readonly").arg("-batch").arg("-bail");
        for s in PRELUDE {
            c.arg("-cmd").arg(s);
        }
        c.arg("-jsonlines");
        // An absolute path: a relative one starting with `-` would be read as an option.
        c.arg(&self.path).arg("-c").arg(sql);
        c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
        Ok(c)
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
        if !status.success() || !err.trim().is_empty() {
            return Err(error_from(if err.trim().is_empty() { "the duckdb shell failed" } else { &err }));
        }
        out.lines().filter(|l| !l.trim().is_empty()).map(|l| parse_line(l).map(|(_, v)| v)).collect()
    }
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
                if !status.success() || !err.trim().is_empty() {
                    return Err(error_from(if err.trim().is_empty() { "the duckdb shell failed" } else { &err }));
                }
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

    proptest::proptest! {
        #[test]
        fn any_line_parses_or_errs(s in "\\PC{0,80}") {
            let _ = parse_line(&s);
            let _ = error_from(&s);
            let _ = refuse(&s);
        }
    }
}
