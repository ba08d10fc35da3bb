//! Files the query pane opens and saves, and the clipboard (OSC 52: the terminal's, so it works over SSH).
use std::path::PathBuf;

use super::Runner;
use crate::tui::action::{Action, QueryMsg};

pub(super) fn read(r: &Runner, path: PathBuf) {
    r.spawn_blocking(move |tx| {
        let result = std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|b| String::from_utf8(b).map_err(|_| "not UTF-8 text: not opened".to_string()));
        let _ = tx.send(Action::Query(QueryMsg::FileOpened { path, result }));
    });
}

pub(super) fn write(r: &Runner, tab: usize, path: PathBuf, text: String) {
    r.spawn_blocking(move |tx| {
        let mut body = text.clone();
        if !body.ends_with('\n') {
            body.push('\n');
        }
        let result = std::fs::write(&path, body).map_err(|e| e.to_string());
        let _ = tx.send(Action::Query(QueryMsg::FileSaved { tab, path, text, result }));
    });
}

pub(super) fn copy(text: String) {
    use std::io::Write;
    let mut out = std::io::stdout();
    let _ = crossterm::execute!(out, crossterm::clipboard::CopyToClipboard::to_clipboard_from(text));
    let _ = out.flush();
}

/// The palette's recent items as a JSON list, owner-only (they name profiles, tables and statements).
pub(super) fn save_recent(path: &std::path::Path, ids: &[String]) {
    // One save at a time: two in quick succession would share the temporary file.
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ONE.lock();
    let Ok(json) = serde_json::to_vec(ids) else { return };
    if let Err(e) = crate::core::fsutil::write_private(path, &json) {
        tracing::warn!(file = %path.display(), error = %e, "cannot keep the palette's recent items");
    }
}

/// The palette's recent items kept by an earlier run (none when the file is missing or not a list of strings).
pub fn load_recent(path: &std::path::Path) -> Vec<String> {
    crate::core::fsutil::read_regular(path)
        .ok()
        .and_then(|t| serde_json::from_str::<Vec<String>>(&t).ok())
        .unwrap_or_default()
        .into_iter()
        .take(50)
        .collect()
}
