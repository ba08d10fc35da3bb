//! The core never depends on the UI.
use std::path::Path;

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn core_has_no_ui_dependencies() {
    let mut files = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src/core"), &mut files);
    assert!(files.len() > 10, "found {} core files", files.len());
    for f in files {
        let s = std::fs::read_to_string(&f).unwrap();
        for banned in ["ratatui", "crossterm", "tui_textarea", "crate::tui", "crate::cli"] {
            assert!(!s.contains(banned), "{} mentions {banned}", f.display());
        }
    }
}
