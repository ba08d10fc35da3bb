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

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map(|i| before.len() - i).unwrap_or(before.len() + 1);
    (line, col)
}

/// The line of `field = …` inside the byte range of one profile's table, else the table's first line.
fn field_line(text: &str, span: &std::ops::Range<usize>, field: &str) -> usize {
    let start = span.start.min(text.len());
    let end = span.end.min(text.len());
    let mut offset = start;
    for line in text[start..end].split_inclusive('\n') {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix(field)
            && rest.trim_start().starts_with('=')
        {
            return line_col(text, offset).0;
        }
        offset += line.len();
    }
    // The table header sits just before the span's start.
    line_col(text, start).0
}

/// Loads the profiles file. Never fails: problems are returned inside the set.
pub fn load(path: &Path) -> ProfileSet {
    let mut set = ProfileSet { path: path.to_path_buf(), ..Default::default() };
    let text = match std::fs::read_to_string(path) {
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
    let owner_only = fsutil::is_owner_only(path).unwrap_or(false);
    let file_mode = fsutil::mode(path).unwrap_or(0);
    let mut first_error: Option<FileProblem> = None;
    let entries: Vec<(String, std::ops::Range<usize>, Result<RawProfile, String>)> = match toml::from_str::<TypedFile>(
        &text,
    ) {
        Ok(f) => {
            set.default = f.default;
            f.profiles
                .into_iter()
                .map(|(name, sp)| {
                    let span = sp.span();
                    (name, span, Ok(sp.into_inner()))
                })
                .collect()
        }
        Err(typed_err) => {
            let (line, col) = typed_err.span().map(|s| line_col(&text, s.start)).unzip();
            match toml::from_str::<LooseFile>(&text) {
                Err(e) => {
                    let (line, col) = e.span().map(|s| line_col(&text, s.start)).unzip();
                    set.broken = true;
                    set.problems.push(problem(
                            path,
                            line,
                            col,
                            None,
                            format!("{} (the file is not valid TOML; nothing in it was loaded, and dbconsole will not write it until it is fixed)", e.message().trim()),
                        ));
                    return set;
                }
                Ok(loose) => {
                    if let Some(d) = loose.default {
                        match d {
                            toml::Value::String(s) => set.default = Some(s),
                            _ => set.problems.push(problem(
                                path,
                                line,
                                col,
                                None,
                                "`default` must be a profile name".into(),
                            )),
                        }
                    }
                    first_error = Some(problem(path, line, col, None, typed_err.message().trim().to_string()));
                    loose
                        .profiles
                        .into_iter()
                        .map(|(name, sp)| {
                            let span = sp.span();
                            let r =
                                RawProfile::deserialize(sp.into_inner()).map_err(|e| e.message().trim().to_string());
                            (name, span, r)
                        })
                        .collect()
                }
            }
        }
    };
    // A table's span may cover only its header: a profile's region runs to the start of the next one.
    let mut starts: Vec<usize> = entries.iter().map(|(_, s, _)| s.start).collect();
    starts.sort_unstable();
    for (name, span, raw) in entries {
        let end = starts.iter().copied().find(|s| *s > span.start).unwrap_or(text.len());
        let span = span.start..end.max(span.end);
        let header_line = line_col(&text, span.start).0;
        match raw {
            Err(message) => {
                // Prefer the exact place the typed parse reported when it falls inside this profile.
                let (line, column) = match &first_error {
                    Some(fe) if fe.line.is_some_and(|l| l > header_line && l < line_col(&text, span.end).0) => {
                        (fe.line, fe.column)
                    }
                    _ => (Some(locate(&text, &span, &message).unwrap_or(header_line)), None),
                };
                set.problems.push(problem(path, line, column, Some(&name), message));
            }
            Ok(raw) => {
                if raw.has_plain_password() && !owner_only {
                    let line = field_line(&text, &span, if raw.password.is_some() { "password" } else { "url" });
                    set.problems.push(problem(
                        path,
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
                        let line = field_line(&text, &span, fe.field);
                        set.problems.push(problem(path, Some(line), None, Some(&name), fe.to_string()));
                    }
                }
            }
        }
    }
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

/// The line inside a profile's region that holds the first `quoted` word of a serde message (the unknown field,
/// the bad variant, the out-of-range number), skipping the table header.
fn locate(text: &str, span: &std::ops::Range<usize>, message: &str) -> Option<usize> {
    let word = message.split('`').nth(1).filter(|w| !w.is_empty())?;
    let region = &text[span.start.min(text.len())..span.end.min(text.len())];
    let mut offset = span.start;
    for (i, line) in region.split_inclusive('\n').enumerate() {
        if i > 0 && !line.trim_start().starts_with('#') && line.contains(word) {
            return Some(line_col(text, offset).0);
        }
        offset += line.len();
    }
    None
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
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => return Err(EditError::Io { path: path.to_path_buf(), source }),
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
    let mut doc = read_doc(path)?;
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
    write_doc(path, &doc)
}

pub fn remove_profile(path: &Path, name: &str) -> Result<(), EditError> {
    let mut doc = read_doc(path)?;
    let removed = doc.get_mut("profiles").and_then(|p| p.as_table_mut()).and_then(|p| p.remove(name));
    if removed.is_none() {
        return Err(EditError::Missing(name.to_string()));
    }
    if doc.get("default").and_then(|d| d.as_str()) == Some(name) {
        doc.remove("default");
    }
    write_doc(path, &doc)
}

/// Creates the profiles file with the demo profile when there is no file at all.
pub fn create_with(path: &Path, profile: &Profile) -> Result<(), EditError> {
    if path.exists() {
        return Ok(());
    }
    save_profile(path, profile, None)
}
