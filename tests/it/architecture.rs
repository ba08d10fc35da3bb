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

fn files_under(rel: &str) -> Vec<(std::path::PathBuf, String)> {
    let mut files = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join(rel), &mut files);
    assert!(!files.is_empty(), "no files under {rel}");
    files.into_iter().map(|f| (f.clone(), std::fs::read_to_string(&f).unwrap())).collect()
}

/// The two fronts are thin and separate: the CLI never imports the TUI, nor the TUI the CLI.
#[test]
fn the_fronts_do_not_import_each_other() {
    for (f, s) in files_under("src/cli") {
        assert!(!s.contains("crate::tui") && !s.contains("super::super::tui"), "{} imports the TUI", f.display());
    }
    for (f, s) in files_under("src/tui") {
        assert!(!s.contains("crate::cli"), "{} imports the CLI", f.display());
    }
}

/// In the TUI only the effect layer starts tasks (so every job has an id and can be cancelled), and no file
/// outgrows one job (500 lines).
#[test]
fn only_the_effect_layer_spawns_and_tui_files_stay_small() {
    for (f, s) in files_under("src/tui") {
        let in_effect = f.components().any(|c| c.as_os_str() == "effect");
        if !in_effect {
            for spawn in ["tokio::spawn", "spawn_blocking", "thread::spawn", "task::spawn"] {
                assert!(!s.contains(spawn), "{} spawns ({spawn}) outside the effect layer", f.display());
            }
        }
        let lines = s.lines().count();
        assert!(lines <= 500, "{} has {lines} lines (split it by job)", f.display());
    }
}
