//! The profiles file (`profiles.toml` in the config dir): loading with line-numbered problems, and edits that keep
//! the user's comments and formatting (toml_edit), written owner-only and atomically.
//!
//! A file that does not parse as TOML is never written: the problem is shown and edits are refused until it is fixed.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::{Origin, Profile, RawProfile};
use crate::core::fsutil;

/// One problem found in the profiles file, with its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub profile: Option<String>,
    pub message: String,
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        if let Some(p) = &self.profile {
            write!(f, ": profile `{p}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Everything loaded from the profiles file.
#[derive(Debug, Clone, Default)]
pub struct ProfileSet {
    pub path: PathBuf,
    pub exists: bool,
    pub profiles: Vec<Profile>,
    pub problems: Vec<FileProblem>,
    /// The file is not valid TOML: nothing in it was loaded and it must not be written.
    pub broken: bool,
    pub default: Option<String>,
}

impl ProfileSet {
    pub fn get(&self, name: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    /// Names in the file, including those whose table has problems (so a new profile cannot shadow them).
    pub fn taken(&self, name: &str) -> bool {
        self.get(name).is_some() || self.problems.iter().any(|p| p.profile.as_deref() == Some(name))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TypedFile {
    #[serde(default)]
    default: Option<String>,
    #[serde(default)]
    profiles: BTreeMap<String, Spanned<RawProfile>>,
}

#[derive(Deserialize)]
struct LooseFile {
    #[serde(default)]
    default: Option<toml::Value>,
    #[serde(default)]
    profiles: BTreeMap<String, Spanned<toml::Value>>,
}

/// Where each line starts, so that a byte offset becomes a line and column by binary search: a file of 50,000
/// profiles is located in linear time, not by counting newlines from the top for each one.
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Lines { text, starts }
    }

    /// 1-based line and column (in bytes, as toml reports) of `offset`.
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|s| *s <= offset);
        (line, offset - self.starts[line - 1] + 1)
    }

    fn line(&self, offset: usize) -> usize {
        self.line_col(offset).0
    }

    /// The line of `field = …` inside the byte range of one profile's table, else the table's first line.
    fn field_line(&self, span: &std::ops::Range<usize>, field: &str) -> usize {
        let text = self.text;
        let start = span.start.min(text.len());
        let end = span.end.min(text.len());
        let mut offset = start;
        for line in text[start..end].split_inclusive('\n') {
            let t = line.trim_start();
            if let Some(rest) = t.strip_prefix(field)
                && rest.trim_start().starts_with('=')
            {
                return self.line(offset);
            }
            offset += line.len();
        }
        // The table header sits just before the span's start.
        self.line(start)
    }

    /// The line inside a profile's region that holds the first `quoted` word of a serde message (the unknown
    /// field, the bad variant, the out-of-range number), skipping the table header.
    fn locate(&self, span: &std::ops::Range<usize>, message: &str) -> Option<usize> {
        let text = self.text;
        let word = message.split('`').nth(1).filter(|w| !w.is_empty())?;
        let region = &text[span.start.min(text.len())..span.end.min(text.len())];
        let mut offset = span.start;
        for (i, line) in region.split_inclusive('\n').enumerate() {
            if i > 0 && !line.trim_start().starts_with('#') && line.contains(word) {
                return Some(self.line(offset));
            }
            offset += line.len();
        }
        None
    }
}

/// A profile's name, its byte range in the file, and the table read from it (or why it could not be read).
type Entry = (String, std::ops::Range<usize>, Result<RawProfile, String>);

/// Loads the profiles file. Never fails: problems are returned inside the set. Anything but a regular file (or a
/// symlink to one) in its place, such as a FIFO or a device, is refused without reading it.
pub fn load(path: &Path) -> ProfileSet {
    let mut set = ProfileSet { path: path.to_path_buf(), ..Default::default() };
    let text = match fsutil::read_regular(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return set,
        Err(e) => {
            set.exists = true;
            set.broken = true;
            set.problems.push(problem(path, None, None, None, format!("cannot read: {e}")));
            return set;
        }
    };
    set.exists = true;
    let lines = Lines::new(&text);
    let Some((entries, first_error)) = parse_entries(&mut set, &lines) else { return set };
    add_entries(&mut set, &lines, entries, first_error.as_ref());
    if let Some(fe) = first_error
        && !set.problems.iter().any(|p| p.line == fe.line)
    {
        set.problems.push(fe);
    }
    if let Some(d) = &set.default
        && set.get(d).is_none()
    {
        set.problems.push(problem(path, None, None, None, format!("`default = \"{d}\"` names no loaded profile")));
    }
    set.profiles.sort_by_key(|p| match p.origin {
        Origin::File { line } => line,
        _ => 0,
    });
    set
}

/// The profiles' tables, typed when the whole file reads cleanly, else each on its own (with the first typed error,
/// to place a profile's problem exactly). `None` when the file is not TOML at all (then `set` is marked broken).
fn parse_entries(set: &mut ProfileSet, lines: &Lines) -> Option<(Vec<Entry>, Option<FileProblem>)> {
    let path = set.path.clone();
    let typed_err = match toml::from_str::<TypedFile>(lines.text) {
        Ok(f) => {
            set.default = f.default;
            let entries = f.profiles.into_iter().map(|(name, sp)| (name, sp.span(), Ok(sp.into_inner()))).collect();
            return Some((entries, None));
        }
        Err(e) => e,
    };
    let (line, col) = typed_err.span().map(|s| lines.line_col(s.start)).unzip();
    let loose = match toml::from_str::<LooseFile>(lines.text) {
        Ok(l) => l,
        Err(e) => {
            let (line, col) = e.span().map(|s| lines.line_col(s.start)).unzip();
            set.broken = true;
            set.problems.push(problem(
                &path,
                line,
                col,
                None,
                format!(
                    "{} (the file is not valid TOML; nothing in it was loaded, and dbconsole will not write it until \
                     it is fixed)",
                    e.message().trim()
                ),
            ));
            return None;
        }
    };
    match loose.default {
        Some(toml::Value::String(s)) => set.default = Some(s),
        Some(_) => set.problems.push(problem(&path, line, col, None, "`default` must be a profile name".into())),
        None => {}
    }
    let first_error = problem(&path, line, col, None, typed_err.message().trim().to_string());
    let entries = loose
        .profiles
        .into_iter()
        .map(|(name, sp)| {
            let span = sp.span();
            (name, span, RawProfile::deserialize(sp.into_inner()).map_err(|e| e.message().trim().to_string()))
        })
        .collect();
    Some((entries, Some(first_error)))
}

/// Validates each entry into a profile, or a problem with its line.
fn add_entries(set: &mut ProfileSet, lines: &Lines, entries: Vec<Entry>, first_error: Option<&FileProblem>) {
    let path = set.path.clone();
    let owner_only = fsutil::is_owner_only(&path).unwrap_or(false);
    let file_mode = fsutil::mode(&path).unwrap_or(0);
    // A table's span may cover only its header: a profile's region runs to the start of the next one.
    let mut starts: Vec<usize> = entries.iter().map(|(_, s, _)| s.start).collect();
    starts.sort_unstable();
    for (name, span, raw) in entries {
        let next = starts.partition_point(|s| *s <= span.start);
        let end = starts.get(next).copied().unwrap_or(lines.text.len());
        let span = span.start..end.max(span.end);
        let header_line = lines.line(span.start);
        let raw = match raw {
            Ok(raw) => raw,
            Err(message) => {
                // Prefer the exact place the typed parse reported when it falls inside this profile.
                let (line, column) = match first_error {
                    Some(fe) if fe.line.is_some_and(|l| l > header_line && l < lines.line(span.end)) => {
                        (fe.line, fe.column)
                    }
                    _ => (Some(lines.locate(&span, &message).unwrap_or(header_line)), None),
                };
                set.problems.push(problem(&path, line, column, Some(&name), message));
                continue;
            }
        };
        if raw.has_plain_password() && !owner_only {
            let line = lines.field_line(&span, if raw.password.is_some() { "password" } else { "url" });
            set.problems.push(problem(
                &path,
                Some(line),
                None,
                Some(&name),
                format!(
                    "stores a plain-text password, but the file is readable by others (mode {file_mode:04o}); \
                     run `chmod 600 {}` or use password_source = \"ask\", \"env\", \"pgpass\", \"command\" or \"keyring\"",
                    path.display()
                ),
            ));
            continue;
        }
        match raw.into_profile(&name, Origin::File { line: header_line }) {
            Ok(p) => set.profiles.push(p),
            Err(fe) => {
                let line = lines.field_line(&span, fe.field);
                set.problems.push(problem(&path, Some(line), None, Some(&name), fe.to_string()));
            }
        }
    }
}

fn problem(
    path: &Path,
    line: Option<usize>,
    column: Option<usize>,
    profile: Option<&str>,
    message: String,
) -> FileProblem {
    FileProblem { path: path.to_path_buf(), line, column, profile: profile.map(str::to_string), message }
}

/// Errors from editing the profiles file.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("{path}: the file is not valid TOML ({message}); fix it by hand first — dbconsole will not overwrite it")]
    Broken { path: PathBuf, message: String },
    #[error("profile `{0}` already exists")]
    Exists(String),
    #[error("no profile named `{0}` in the profiles file")]
    Missing(String),
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

const HEADER: &str = "\
# dbconsole connection profiles. One [profiles.NAME] table per profile.
# Keys: engine (postgres | mysql | sqlite), url, or host/port/database/user (path for sqlite), environment
# (development | staging | production), read_only, password_source (ask | env | pgpass | command | keyring | mycnf |
# plain | none) with password_env / password_command / password, [profiles.NAME.tls] mode/root_cert/cert/key, and
# [profiles.NAME.pool] max_connections/min_connections/connect_timeout_secs/acquire_timeout_secs/idle_timeout_secs/
# max_lifetime_secs. This file is kept owner-only (0600).
";

fn read_doc(path: &Path) -> Result<toml_edit::DocumentMut, EditError> {
    let text = match fsutil::read_regular(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => return Err(EditError::Read { path: path.to_path_buf(), source }),
    };
    text.parse::<toml_edit::DocumentMut>()
        .map_err(|e| EditError::Broken { path: path.to_path_buf(), message: e.message().trim().to_string() })
}

fn write_doc(path: &Path, doc: &toml_edit::DocumentMut) -> Result<(), EditError> {
    let mut text = doc.to_string();
    if !path.exists() {
        text = format!("{HEADER}\n{text}");
    }
    fsutil::write_private(path, text.as_bytes()).map_err(|source| EditError::Io { path: path.to_path_buf(), source })
}

fn lock(path: &Path) -> Result<fsutil::FileLock, EditError> {
    fsutil::lock(path).map_err(|source| EditError::Io { path: path.to_path_buf(), source })
}

/// One read-modify-write under the file's lock, so that concurrent edits (two `dbconsole profile add`, the TUI and
/// the CLI) each see the other's result instead of overwriting it.
fn edit(
    path: &Path,
    change: impl FnOnce(&mut toml_edit::DocumentMut) -> Result<(), EditError>,
) -> Result<(), EditError> {
    let _lock = lock(path)?;
    let mut doc = read_doc(path)?;
    change(&mut doc)?;
    write_doc(path, &doc)
}

fn profile_table(p: &Profile) -> toml_edit::Table {
    let raw = RawProfile::from_profile(p);
    let text = toml::to_string(&raw).unwrap_or_default();
    let doc: toml_edit::DocumentMut = text.parse().unwrap_or_default();
    let mut t = doc.as_table().clone();
    t.set_implicit(false);
    t
}

/// Adds `profile`, or replaces the profile named `replacing` (which may be a different, old name: a rename).
/// Other tables, comments and formatting are kept as they are.
pub fn save_profile(path: &Path, profile: &Profile, replacing: Option<&str>) -> Result<(), EditError> {
    edit(path, |doc| put_profile(path, doc, profile, replacing))
}

fn put_profile(
    path: &Path,
    doc: &mut toml_edit::DocumentMut,
    profile: &Profile,
    replacing: Option<&str>,
) -> Result<(), EditError> {
    let profiles = doc.entry("profiles").or_insert_with(|| {
        let mut t = toml_edit::Table::new();
        t.set_implicit(true);
        toml_edit::Item::Table(t)
    });
    let Some(profiles) = profiles.as_table_mut() else {
        return Err(EditError::Broken { path: path.to_path_buf(), message: "`profiles` is not a table".into() });
    };
    let renaming = replacing.is_some_and(|old| old != profile.name);
    if (replacing.is_none() || renaming) && profiles.contains_key(&profile.name) {
        return Err(EditError::Exists(profile.name.clone()));
    }
    let mut table = profile_table(profile);
    if let Some(old) = replacing {
        match profiles.get(old).and_then(|i| i.as_table()) {
            Some(existing) => {
                // Keep the comment above the table header (its "decor").
                *table.decor_mut() = existing.decor().clone();
                if renaming {
                    profiles.remove(old);
                }
            }
            None => return Err(EditError::Missing(old.to_string())),
        }
    }
    profiles.insert(&profile.name, toml_edit::Item::Table(table));
    Ok(())
}

pub fn remove_profile(path: &Path, name: &str) -> Result<(), EditError> {
    edit(path, |doc| {
        let removed = doc.get_mut("profiles").and_then(|p| p.as_table_mut()).and_then(|p| p.remove(name));
        if removed.is_none() {
            return Err(EditError::Missing(name.to_string()));
        }
        if doc.get("default").and_then(|d| d.as_str()) == Some(name) {
            doc.remove("default");
        }
        Ok(())
    })
}

/// Creates the profiles file with the demo profile when there is no file at all (checked again under the lock: two
/// first starts at once make one file).
pub fn create_with(path: &Path, profile: &Profile) -> Result<(), EditError> {
    if path.exists() {
        return Ok(());
    }
    let _lock = lock(path)?;
    if path.exists() {
        return Ok(());
    }
    let mut doc = read_doc(path)?;
    put_profile(path, &mut doc, profile, None)?;
    write_doc(path, &doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated(n: usize) -> String {
        let mut text = String::with_capacity(n * 140);
        for i in 0..n {
            text.push_str(&format!(
                "[profiles.p{i}]\nengine = \"postgres\"\nhost = \"db{i}.example.com\"\nport = 5432\ndatabase = \"app\"\n\
                 user = \"u\"\npassword_source = \"none\"\n\n"
            ));
        }
        text
    }

    #[test]
    fn fifty_thousand_profiles_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("profiles.toml");
        let mut text = generated(50_000);
        // One bad profile at the end still gets its exact line.
        text.push_str("[profiles.last]\nengine = \"postgres\"\nport = 0\n");
        std::fs::write(&path, &text).unwrap();
        let started = std::time::Instant::now();
        let set = load(&path);
        eprintln!("50,000 profiles loaded in {:.2} s", started.elapsed().as_secs_f64());
        assert_eq!(set.profiles.len(), 50_000);
        assert_eq!(set.profiles[49_999].origin, Origin::File { line: 49_999 * 8 + 1 });
        assert_eq!(set.problems.len(), 1, "{:?}", set.problems);
        assert_eq!(set.problems[0].line, Some(50_000 * 8 + 3), "{}", set.problems[0]);
    }

    #[test]
    fn lines_and_columns() {
        let l = Lines::new("ab\ncd\n\ne");
        assert_eq!(l.line_col(0), (1, 1));
        assert_eq!(l.line_col(2), (1, 3));
        assert_eq!(l.line_col(3), (2, 1));
        assert_eq!(l.line_col(7), (4, 1));
        assert_eq!(l.line_col(99), (4, 2));
    }
}
