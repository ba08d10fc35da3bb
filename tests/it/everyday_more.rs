//! The rest of issue #15: editor tabs that come back, messages that clear, the grid's position, search and sort,
//! several result sets, export that asks before overwriting, the table browser, the rename the diff detects.
use std::time::{Duration, Instant};

use crate::common::*;

fn wait_exit(t: &Tmux) -> String {
    let started = Instant::now();
    loop {
        let screen = t.capture();
        if let Some(i) = screen.find("DBCONSOLE-EXITED-") {
            return screen[i..].lines().next().unwrap_or_default().to_string();
        }
        assert!(started.elapsed() < Duration::from_secs(15), "did not exit: {screen}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The editor's tabs (untitled text and a file's unsaved changes) come back at the next start; quitting with a
/// file's changes unsaved asks first and writes no file.
#[test]
fn editor_tabs_come_back_and_quit_asks_for_unsaved_files() {
    let sb = Sandbox::new();
    let file = sb.dir.path().join("a.sql");
    std::fs::write(&file, "select 1").unwrap();
    let t = Tmux::start(&sb, "tabs1", 100, 30);
    t.wait_for("Profiles (1)");
    t.keys(&["5"]);
    t.wait_for("untitled");
    t.text("select 'kept ✓ é'");
    t.keys(&["Escape", "o"]);
    t.wait_for("open file");
    t.text(file.to_str().unwrap());
    t.keys(&["Enter"]);
    t.wait_for("opened");
    t.keys(&["C-e"]);
    t.text(" -- edited");
    t.keys(&["Escape", "q"]);
    let screen = t.wait_for("Unsaved changes");
    assert!(screen.contains("a.sql has changes not saved") && screen.contains("comes back"), "{screen}");
    assert!(screen.contains("y quit") && screen.contains("Esc stay"), "the keys show: {screen}");
    t.keys(&["n"]);
    std::thread::sleep(Duration::from_millis(200));
    assert!(!t.capture().contains("DBCONSOLE-EXITED"), "stay means stay");
    t.keys(&["q"]);
    t.wait_for("Unsaved changes");
    t.keys(&["y"]);
    assert_eq!(wait_exit(&t), "DBCONSOLE-EXITED-0");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "select 1", "the file is not written");
    let drafts = sb.data().join("editor-tabs.toml");
    assert_eq!(mode(&drafts), 0o600);

    let t = Tmux::start(&sb, "tabs2", 100, 30);
    t.wait_for("Profiles (1)");
    t.keys(&["5"]);
    let screen = t.wait_for("select 1 -- edited");
    assert!(screen.contains("a.sql*"), "still unsaved: {screen}");
    t.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(150)); // Esc and `[` in one read would be a CSI sequence
    t.keys(&["["]);
    t.wait_for("select 'kept ✓ é'");
    t.keys(&["q"]);
    t.wait_for("Unsaved changes");
    t.keys(&["y"]);
    assert_eq!(wait_exit(&t), "DBCONSOLE-EXITED-0");
}

/// A drafts file that is not valid TOML is set aside (not overwritten) and the start says where it went.
#[test]
fn a_broken_drafts_file_is_set_aside() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    std::fs::write(sb.data().join("editor-tabs.toml"), "[[tab]]\ntext = 'x\n").unwrap();
    let t = Tmux::start(&sb, "tabsbroken", 120, 30);
    t.wait_for("not restored");
    t.keys(&["L"]);
    t.wait_for("line 2");
    t.keys(&["Escape", "q"]);
    assert_eq!(wait_exit(&t), "DBCONSOLE-EXITED-0");
    let aside: Vec<_> = std::fs::read_dir(sb.data())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("broken"))
        .collect();
    assert_eq!(aside.len(), 1);
}

/// In the real binary on the demo database: a failed statement's message goes when the next one succeeds; the grid
/// shows the row position, sorts by a column, finds text; a script's result sets each get a tab; export asks
/// before writing over a file.
#[test]
fn grid_position_sort_search_result_sets_and_export_overwrite() {
    let sb = Sandbox::new();
    let out = sb.dir.path().join("out.csv");
    std::fs::write(&out, "keep me").unwrap();
    let t = Tmux::start(&sb, "grid", 120, 30);
    t.wait_for("connected");
    t.keys(&["5"]);
    t.wait_for("Type SQL above");
    t.text("select nope from customers");
    t.keys(&["F5"]);
    t.wait_for("no such column");
    t.keys(&["C-a", "C-k"]);
    t.text("select id, email from customers order by id");
    t.keys(&["F5"]);
    let screen = t.wait_for("row 1 / 500");
    assert!(!screen.contains("no such column"), "the earlier error left the status line: {screen}");
    t.keys(&["Escape"]);
    t.wait_for("i editor ·");
    // Sort by id, descending (twice O), then search.
    t.keys(&["O"]);
    t.wait_for("id▲");
    t.keys(&["O"]);
    let screen = t.wait_for("id▼");
    let first = screen.lines().skip_while(|l| !l.contains("id▼")).nth(1);
    assert!(first.is_some_and(|l| l.contains("500")), "descending starts at 500: {screen}");
    t.keys(&["/"]);
    t.wait_for("find in the results");
    t.text("CUSTOMER42@");
    t.keys(&["Enter"]);
    let screen = t.wait_for("row 459 / 500");
    assert!(screen.contains("customer42@example.com"), "{screen}");
    t.keys(&["/"]);
    t.text("zzz-not-there");
    t.keys(&["Enter"]);
    t.wait_for("is not in the results");
    // A script with two result sets: each one stays, `<` and `>` switch.
    t.keys(&["i", "C-a", "C-k"]);
    t.text("select 'first'||'-set' as a; select 'second'||'-set' as b, 2 as c");
    t.keys(&["F6"]);
    let screen = t.wait_for("result 2 of 2");
    assert!(screen.contains("second-set"), "{screen}");
    t.keys(&["Escape"]);
    t.wait_for("i editor ·");
    t.keys(&["<"]);
    let screen = t.wait_for("result 1 of 2");
    assert!(screen.contains("first-set") && !screen.contains("second-set"), "{screen}");
    // Export over an existing file: asked; no keeps it, yes replaces it.
    t.keys(&["x"]);
    t.wait_for("export as Csv");
    for _ in 0..12 {
        t.keys(&["BSpace"]);
    }
    t.text(out.to_str().unwrap());
    t.keys(&["Enter"]);
    t.wait_for("File exists");
    t.keys(&["n"]);
    t.wait_for("the file was kept");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");
    t.keys(&["x"]);
    t.wait_for("export as Csv");
    for _ in 0..12 {
        t.keys(&["BSpace"]);
    }
    t.text(out.to_str().unwrap());
    t.keys(&["Enter"]);
    t.wait_for("File exists");
    t.keys(&["y"]);
    t.wait_for("exported 1 rows to");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "a\nfirst-set\n");
    t.keys(&["q"]);
    wait_exit(&t);
}
