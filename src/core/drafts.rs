//! The query editor's tabs kept between runs: each tab's text (saved to its file or not), its file, its cursor,
//! and which tab was active. Written owner-only to the data folder when dbconsole ends (quit, a signal, a closed
//! SSH session), read at the next start. A file that cannot be read is set aside, never overwritten.
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drafts {
    #[serde(default)]
    pub active: usize,
    #[serde(default, rename = "tab")]
    pub tabs: Vec<Draft>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    /// The file the tab was opened from or saved to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// The text in the editor (which may differ from the file's).
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub row: usize,
    #[serde(default)]
    pub col: usize,
}

/// What reading the drafts file found.
#[derive(Debug)]
pub enum Loaded {
    None,
    Drafts(Drafts),
    /// The file could not be read: why (with its line), and where it was moved so that nothing is lost.
    SetAside {
        why: String,
        moved_to: Option<PathBuf>,
    },
}

/// Reads the drafts file. A file that is not valid is moved aside (`<name>.broken-<unix time>`) and reported.
pub fn load(path: &Path) -> Loaded {
    let text = match crate::core::fsutil::read_regular(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded::None,
        // Unreadable (permissions, not UTF-8, not a file): moved aside too when it can be, else left alone and
        // the caller does not write over it.
        Err(e) => return Loaded::SetAside { why: format!("{}: {e}", path.display()), moved_to: set_aside(path) },
    };
    match toml::from_str::<Drafts>(&text) {
        Ok(mut d) => {
            d.tabs.retain(|t| !(t.text.is_empty() && t.path.is_none()));
            d.active = d.active.min(d.tabs.len().saturating_sub(1));
            Loaded::Drafts(d)
        }
        Err(e) => {
            let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            let what = e.message().to_string();
            let why = match line {
                Some(l) => format!("{} line {l}: {what}", path.display()),
                None => format!("{}: {what}", path.display()),
            };
            Loaded::SetAside { why, moved_to: set_aside(path) }
        }
    }
}

/// Moves a file that cannot be read to `<name>.broken-<unix time>`; where it went, if it could.
fn set_aside(path: &Path) -> Option<PathBuf> {
    let secs =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
    let aside = path.with_extension(format!("toml.broken-{secs}"));
    std::fs::rename(path, &aside).ok().map(|_| aside)
}

/// The one dbconsole that keeps the editor tabs (an exclusive lock held for the whole run): a second one open at
/// the same time neither restores nor writes them, so the last to quit does not wipe the other's tabs.
pub fn own(path: &Path) -> Option<crate::core::fsutil::FileLock> {
    crate::core::fsutil::try_lock(path).ok()
}

/// Writes the drafts (mode 0600, replaced atomically). No tab with text: the file is removed.
pub fn save(path: &Path, drafts: &Drafts) -> std::io::Result<()> {
    if drafts.tabs.iter().all(|t| t.text.is_empty() && t.path.is_none()) {
        return match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
    }
    let text = toml::to_string(drafts).map_err(std::io::Error::other)?;
    crate::core::fsutil::write_private(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_every_character() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("editor-tabs.toml");
        let hostile = "select 'é\u{0}\u{1b}[2J\"\"\"\t''' -- ✓\r\n;\n\u{7f}";
        let d = Drafts {
            active: 1,
            tabs: vec![
                Draft { path: None, text: hostile.into(), row: 1, col: 2 },
                Draft { path: Some(dir.path().join("a b.sql")), text: "select 2".into(), row: 0, col: 8 },
            ],
        };
        save(&path, &d).unwrap();
        assert!(crate::core::fsutil::is_owner_only(&path).unwrap());
        match load(&path) {
            Loaded::Drafts(back) => assert_eq!(back, d),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn broken_file_is_set_aside_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("editor-tabs.toml");
        std::fs::write(&path, "active = 0\n\n[[tab]]\ntext = \"unterminated\n").unwrap();
        match load(&path) {
            Loaded::SetAside { why, moved_to: Some(to) } => {
                assert!(why.contains("line 4"), "{why}");
                assert!(!path.exists());
                assert!(std::fs::read_to_string(to).unwrap().contains("unterminated"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn empty_tabs_remove_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("editor-tabs.toml");
        std::fs::write(&path, "").unwrap();
        save(&path, &Drafts { active: 0, tabs: vec![Draft::default()] }).unwrap();
        assert!(!path.exists());
        assert!(matches!(load(&path), Loaded::None));
    }
}
