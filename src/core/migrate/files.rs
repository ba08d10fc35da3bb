//! A migrations folder: `<version>_<description>.sql`, reversible pairs `….up.sql` / `….down.sql`, and per-engine
//! variants `….<postgres|mysql|sqlite>[.up|.down].sql`, picked for the target's engine. Names, descriptions and
//! checksums follow sqlx (`sqlx migrate add`, `sqlx::migrate!`), so the two read the same folder the same way.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha384};

use super::MigrateError;
use crate::core::profile::Engine;

#[derive(Debug, Clone, PartialEq)]
pub struct SqlFile {
    pub path: PathBuf,
    pub sql: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Migration {
    pub version: i64,
    pub description: String,
    pub up: SqlFile,
    pub down: Option<SqlFile>,
    /// SHA-384 of the up SQL, as sqlx records it.
    pub checksum: Vec<u8>,
    /// The file starts with `-- no-transaction` (sqlx's opt-out): it runs outside a transaction.
    pub no_transaction: bool,
}

impl Migration {
    pub fn file_name(&self) -> String {
        self.up.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    }

    /// The file that runs in the given direction (the down file is empty when there is none).
    pub fn path(&self, down: bool) -> std::path::PathBuf {
        if down { self.down.as_ref().map(|d| d.path.clone()).unwrap_or_default() } else { self.up.path.clone() }
    }
}

/// The migrations of a folder that apply to one engine.
#[derive(Debug, Clone, Default)]
pub struct Folder {
    pub dir: PathBuf,
    /// Sorted by version.
    pub migrations: Vec<Migration>,
    /// Versions that exist only as other engines' variants: (version, description).
    pub other_engines: Vec<(i64, String)>,
    /// Entries named like migrations that are not files (a directory, a FIFO, a dangling symlink): skipped, with
    /// the reason, for the user to see.
    pub skipped: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Simple,
    Up,
    Down,
}

struct Named {
    version: i64,
    description: String,
    engine: Option<Engine>,
    direction: Direction,
}

/// Reads a file name; `None` for files that are not migrations (sqlx's rule: `<something>_<something>.sql`).
fn parse_name(name: &str) -> Option<Result<Named, String>> {
    let (head, rest) = name.split_once('_')?;
    let mut stem = rest.strip_suffix(".sql")?;
    let version = match head.parse::<i64>() {
        Ok(v) if v >= 0 => v,
        _ => {
            return Some(Err(format!(
                "{name}: the name must start with a version number, as in `0001_create_users.sql`"
            )));
        }
    };
    let mut direction = Direction::Simple;
    if let Some(s) = stem.strip_suffix(".up") {
        (stem, direction) = (s, Direction::Up);
    } else if let Some(s) = stem.strip_suffix(".down") {
        (stem, direction) = (s, Direction::Down);
    }
    let mut engine = None;
    for (suffix, e) in [(".postgres", Engine::Postgres), (".mysql", Engine::Mysql), (".sqlite", Engine::Sqlite)] {
        if let Some(s) = stem.strip_suffix(suffix) {
            (stem, engine) = (s, Some(e));
        }
    }
    if stem.is_empty() {
        return Some(Err(format!("{name}: the name needs a description after the version")));
    }
    Some(Ok(Named { version, description: stem.replace('_', " "), engine, direction }))
}

/// What a migration-named entry that is not a regular file is, in words.
fn not_a_file(path: &Path) -> &'static str {
    let Ok(meta) = std::fs::metadata(path) else { return "it is a symlink that leads nowhere" };
    if meta.is_dir() {
        return "it is a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if meta.file_type().is_fifo() {
            return "it is a FIFO (named pipe)";
        }
    }
    "it is not a regular file"
}

/// SHA-384 of a migration's SQL (sqlx's checksum).
pub fn checksum(sql: &str) -> Vec<u8> {
    Sha384::digest(sql.as_bytes()).to_vec()
}

/// Reads `dir` for `engine`. A missing folder is an error that names it; files that break the naming rules or
/// conflict (two files for one version, a down without its up) are errors that name the files.
pub fn load(dir: &Path, engine: Engine) -> Result<Folder, MigrateError> {
    let entries = std::fs::read_dir(dir).map_err(|e| MigrateError::Folder(dir.to_path_buf(), e.to_string()))?;
    // version → (file name, parsed, path)
    let mut by_version: BTreeMap<i64, Vec<(String, Named, PathBuf)>> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut skipped = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| MigrateError::Folder(dir.to_path_buf(), e.to_string()))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(parsed) = parse_name(&name) else { continue };
        if !path.is_file() {
            let why = format!("{}: skipped: named like a migration, but {}", path.display(), not_a_file(&path));
            tracing::warn!("{why}");
            skipped.push(why);
            continue;
        }
        match parsed {
            Err(p) => problems.push(p),
            Ok(n) => by_version.entry(n.version).or_default().push((name, n, path)),
        }
    }
    skipped.sort();
    let mut folder = Folder { dir: dir.to_path_buf(), skipped, ..Default::default() };
    for (version, files) in by_version {
        // This engine's variants if there are any, else the generic files.
        let mine: Vec<&(String, Named, PathBuf)> = files.iter().filter(|f| f.1.engine == Some(engine)).collect();
        let chosen =
            if mine.is_empty() { files.iter().filter(|f| f.1.engine.is_none()).collect::<Vec<_>>() } else { mine };
        if chosen.is_empty() {
            folder.other_engines.push((version, files[0].1.description.clone()));
            continue;
        }
        let pick = |d: Direction| chosen.iter().filter(|f| f.1.direction == d).collect::<Vec<_>>();
        let (simple, up, down) = (pick(Direction::Simple), pick(Direction::Up), pick(Direction::Down));
        let names = |v: &[&&(String, Named, PathBuf)]| v.iter().map(|f| f.0.as_str()).collect::<Vec<_>>().join(", ");
        if simple.len() + up.len() > 1 {
            let all: Vec<_> = simple.iter().chain(up.iter()).copied().collect();
            problems.push(format!("version {version} has more than one migration: {}", names(&all)));
            continue;
        }
        if down.len() > 1 {
            problems.push(format!("version {version} has more than one down migration: {}", names(&down)));
            continue;
        }
        let Some(main) = simple.first().or(up.first()) else {
            problems.push(format!("{}: a down migration without its up migration", names(&down)));
            continue;
        };
        if !simple.is_empty() && !down.is_empty() {
            problems.push(format!(
                "{}: a down migration belongs to a `.up.sql` file, not to {}",
                names(&down),
                names(&simple)
            ));
            continue;
        }
        let read =
            |p: &Path| std::fs::read_to_string(p).map_err(|e| MigrateError::Folder(p.to_path_buf(), e.to_string()));
        let sql = read(&main.2)?;
        let down = match down.first() {
            Some(d) => Some(SqlFile { path: d.2.clone(), sql: read(&d.2)? }),
            None => None,
        };
        folder.migrations.push(Migration {
            version,
            description: main.1.description.clone(),
            checksum: checksum(&sql),
            no_transaction: sql.starts_with("-- no-transaction"),
            up: SqlFile { path: main.2.clone(), sql },
            down,
        });
    }
    if !problems.is_empty() {
        return Err(MigrateError::Files(dir.to_path_buf(), problems));
    }
    Ok(folder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let n = parse_name("20240101120000_create_users.up.sql").unwrap().unwrap();
        assert_eq!((n.version, n.description.as_str(), n.direction), (20240101120000, "create users", Direction::Up));
        let n = parse_name("3_add_index.postgres.sql").unwrap().unwrap();
        assert_eq!((n.engine, n.description.as_str()), (Some(Engine::Postgres), "add index"));
        let n = parse_name("3_add_index.mysql.down.sql").unwrap().unwrap();
        assert_eq!((n.engine, n.direction), (Some(Engine::Mysql), Direction::Down));
        assert!(parse_name("README.md").is_none());
        assert!(parse_name("notes_on_things.sql").unwrap().is_err());
        assert!(parse_name("0003_.sql").unwrap().is_err());
    }

    #[test]
    fn entries_named_like_migrations_that_are_not_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("0002_real.sql"), "SELECT 1;").unwrap();
        std::fs::create_dir(dir.path().join("0001_x.sql")).unwrap();
        std::fs::create_dir(dir.path().join("notes")).unwrap();
        #[cfg(unix)]
        {
            let fifo = std::ffi::CString::new(dir.path().join("0003_pipe.sql").to_str().unwrap()).unwrap();
            // SAFETY: a valid NUL-terminated path.
            assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        }
        let folder = load(dir.path(), Engine::Sqlite).unwrap();
        assert_eq!(folder.migrations.len(), 1);
        assert_eq!(folder.skipped.len(), if cfg!(unix) { 2 } else { 1 }, "{:?}", folder.skipped);
        assert!(folder.skipped[0].contains("0001_x.sql: skipped: named like a migration, but it is a directory"));
        #[cfg(unix)]
        assert!(folder.skipped[1].contains("0003_pipe.sql: skipped: named like a migration, but it is a FIFO"));
    }

    #[test]
    fn checksum_is_sqlx_checksum() {
        // sqlx::migrate computes SHA-384 of the file text.
        assert_eq!(checksum("").len(), 48);
        assert_eq!(
            checksum("abc").iter().take(4).map(|b| format!("{b:02x}")).collect::<String>(),
            "cb00753f" // SHA-384("abc") starts cb00753f45a35e8b…
        );
    }
}
