//! Look and feel: keymap.toml (rebinding end to end, problems named with their line) and the command palette
//! (rendered, and driven in the real binary under tmux).
use std::time::Duration;

use crossterm::event::KeyCode;
use dbconsole::core::profile::{Origin, Profile, ProfileSet};
use dbconsole::tui::app::App;
use dbconsole::tui::theme::Theme;

use crate::common::*;

#[test]
fn a_keymap_file_rebinds_a_key_end_to_end_and_names_its_problems() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.config()).unwrap();
    std::fs::write(
        sb.config().join("keymap.toml"),
        "# my keys\n[profiles]\ntest = \"T\"\n\n[global]\nhelp = [\"?\", \"C-h\"]\nbogus = \"z\"\n",
    )
    .unwrap();
    let t = Tmux::start(&sb, "keymap", 100, 30);
    t.wait_for("connected");
    // The old key does nothing now; the new one tests.
    t.keys(&["t"]);
    std::thread::sleep(Duration::from_millis(700));
    assert!(!t.capture().contains("Connection test"), "{}", t.capture());
    t.keys(&["T"]);
    t.wait_for("Connection test: OK");
    // The help reads the live keymap: T for the test, C-h opens it.
    t.keys(&["C-h"]);
    t.wait_for("Keys —");
    t.keys(&["PageDown"]);
    let screen = t.wait_for("test the connection");
    let line = screen.lines().find(|l| l.contains("test the connection")).unwrap();
    assert!(line.trim_start_matches(['│', ' ']).starts_with("T "), "{line}");
    t.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    // The message log has the problem with its file and line.
    t.keys(&["L"]);
    let screen = t.wait_for("Messages");
    assert!(screen.contains("keymap.toml:7: [global] has no action `bogus`"), "{screen}");
}

#[test]
fn the_palette_runs_actions_opens_tables_and_connects_under_tmux() {
    let sb = Sandbox::new();
    let t = Tmux::start(&sb, "palette", 100, 30);
    t.wait_for("connected");
    // An action by its words, run as its key would.
    t.keys(&["C-p"]);
    t.wait_for("Palette —");
    t.text("test conn");
    let screen = t.wait_for("▶ action");
    assert!(screen.contains("test the connection"), "{screen}");
    t.keys(&["Enter"]);
    t.wait_for("Connection test: OK");
    // A table of the catalog: the schema pane, on that table.
    t.keys(&[":"]);
    t.wait_for("Palette —");
    t.text("ordit");
    t.wait_for("order_items");
    t.keys(&["Enter"]);
    let screen = t.wait_for("┌ Schema");
    assert!(screen.contains("order_items"), "{screen}");
    // Recently used first: the test action heads the list on the next opening.
    t.keys(&["C-p"]);
    let screen = t.wait_for("Palette —");
    let first = screen.lines().find(|l| l.contains('▶')).unwrap_or_default().to_string();
    assert!(first.contains("order_items"), "{screen}");
    t.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    // A statement run in the editor is in the palette at once (the history is read when it opens).
    t.keys(&["5"]);
    t.wait_for("Type SQL above");
    t.text("select 'from the palette' as x");
    t.keys(&["F5"]);
    t.wait_for("1 row");
    t.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    t.keys(&["C-p"]);
    t.wait_for("Palette —");
    t.text("from the pal");
    let screen = t.wait_for("▶ sql");
    assert!(screen.contains("select 'from the palette' as x"), "{screen}");
    t.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    t.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    t.keys(&["q"]);
    t.wait_for("DBCONSOLE-EXITED-0");
    drop(t);
    // The recent items are kept, owner-only, and head the palette at the next start.
    let kept = sb.data().join("palette-recent.json");
    assert_eq!(mode(&kept), 0o600);
    let ids: Vec<String> = serde_json::from_str(&std::fs::read_to_string(&kept).unwrap()).unwrap();
    assert!(ids[0].contains("order_items") && ids[1].contains("test"), "{ids:?}");
    let t = Tmux::start(&sb, "palette2", 100, 30);
    t.wait_for("connected");
    t.keys(&["C-p"]);
    let screen = t.wait_for("Palette —");
    let first = screen.lines().find(|l| l.contains('▶')).unwrap_or_default().to_string();
    assert!(first.contains("order_items"), "{screen}");
    t.keys(&["Escape"]);
    // A file that is not a list of strings is ignored (the palette still opens).
    drop(t);
    std::fs::write(&kept, "{\"not\": \"a list\"}").unwrap();
    let t = Tmux::start(&sb, "palette3", 100, 30);
    t.wait_for("connected");
    t.keys(&["C-p"]);
    t.wait_for("Palette —");
    t.keys(&["Escape"]);
}

#[test]
fn palette_snapshot_80x24() {
    let mut demo = Profile::sqlite("demo", "/home/ada/.local/share/dbconsole/demo.sqlite".into());
    demo.origin = Origin::File { line: 1 };
    let set = ProfileSet {
        path: "/home/ada/.config/dbconsole/profiles.toml".into(),
        exists: true,
        profiles: vec![demo],
        problems: vec![],
        broken: false,
        default: None,
    };
    let mut app = App::new(Theme::default(), set, None);
    key(&mut app, KeyCode::Char(':'));
    for c in "te".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    insta::assert_snapshot!("palette_80x24", screen(&app, 80, 24).backend());
    let p = app.palette.as_ref().unwrap();
    assert!(p.chosen().is_some());
    key(&mut app, KeyCode::Esc);
    assert!(app.palette.is_none());
}

/// A mouse report as a terminal sends it (SGR: button, 1-based column and row; M press, m release).
fn click(t: &Tmux, column: u16, row: u16) {
    t.text(&format!("\u{1b}[<0;{};{}M", column + 1, row + 1));
    t.text(&format!("\u{1b}[<0;{};{}m", column + 1, row + 1));
}

#[test]
fn the_mouse_picks_panes_and_rows_and_the_wheel_scrolls() {
    let sb = Sandbox::new();
    let t = Tmux::start(&sb, "mouse", 100, 30);
    t.wait_for("connected");
    // dbconsole asked the terminal for mouse reports (SGR).
    assert_eq!(t.display("#{mouse_any_flag}#{mouse_sgr_flag}").trim(), "11");
    // The pane bar: " dbconsole " then " 1 Profiles ", " 2 Schema " …
    click(&t, 25, 0);
    let screen = t.wait_for("▸ customers");
    assert!(screen.contains("┌ Schema"), "{screen}");
    // A row of the tree: the line under customers.
    let row = screen.lines().position(|l| l.contains("▸ customers")).unwrap() as u16;
    click(&t, 6, row + 1);
    t.wait_for("table main.products");
    // The wheel moves the selection as ↓ would.
    t.text("\u{1b}[<65;6;8M");
    t.wait_for("table main.orders");
}

#[test]
fn settings_turn_the_mouse_off_and_name_their_problems() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.config()).unwrap();
    std::fs::write(sb.config().join("settings.toml"), "mouse = false\nshiny = true\n").unwrap();
    let t = Tmux::start(&sb, "nomouse", 100, 30);
    t.wait_for("connected");
    // No mouse reports asked for: the terminal's own selection works.
    assert_eq!(t.display("#{mouse_any_flag}").trim(), "0");
    t.keys(&["L"]);
    let screen = t.wait_for("Messages");
    assert!(screen.contains("settings.toml:2: unknown setting `shiny`"), "{screen}");
}

#[test]
fn the_message_log_scrolls_to_its_oldest_line() {
    let mut app = App::new(Theme::default(), ProfileSet::default(), None);
    for i in 0..40 {
        app.messages.push_back(("12:00:00".into(), dbconsole::tui::app::Level::Warn, format!("problem number {i:02}")));
    }
    key(&mut app, KeyCode::Char('L'));
    let top = format!("{}", screen(&app, 80, 24).backend());
    assert!(top.contains("problem number 39") && !top.contains("problem number 00"), "{top}");
    key(&mut app, KeyCode::End);
    let bottom = format!("{}", screen(&app, 80, 24).backend());
    assert!(bottom.contains("problem number 00") && !bottom.contains("problem number 39"), "{bottom}");
    key(&mut app, KeyCode::Home);
    assert!(format!("{}", screen(&app, 80, 24).backend()).contains("problem number 39"));
    key(&mut app, KeyCode::Esc);
    assert!(!app.log_open);
}

/// Drags under tmux in a wide terminal (SGR reports as the terminal writes them): the border between the schema
/// pane and the query pane moves with the mouse; a click in the query pane gives it the keys.
#[test]
fn the_border_between_two_panes_drags_under_tmux() {
    let sb = Sandbox::new();
    let t = Tmux::start(&sb, "drag", 160, 40);
    t.wait_for("connected");
    t.keys(&["5"]);
    let screen = t.wait_for("┌ Query");
    let line = screen.lines().nth(1).unwrap().to_string();
    let at = |line: &str, what: &str| line.find(what).map(|i| line[..i].chars().count());
    // 30% of 160: the schema pane is 48 wide, the query pane's box starts at column 48 (0-based).
    assert!(line.starts_with("┌ Schema"), "{screen}");
    assert_eq!(at(&line, "┌ Query"), Some(48), "{screen}");
    // Press on the border (1-based column 48), drag to 80, release.
    t.text("\u{1b}[<0;48;10M");
    t.text("\u{1b}[<32;60;10M");
    t.text("\u{1b}[<32;80;10M");
    t.text("\u{1b}[<0;80;10m");
    let start = std::time::Instant::now();
    loop {
        let s = t.capture();
        if at(s.lines().nth(1).unwrap_or(""), "┌ Query") == Some(80) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "the border did not move:\n{s}");
        std::thread::sleep(Duration::from_millis(50));
    }
    // A click in the schema pane gives it the keys: j moves its selection, the query pane stays beside it.
    click(&t, 10, 5);
    t.keys(&["j"]);
    let s = t.wait_for("table main.");
    assert!(at(s.lines().nth(1).unwrap(), "┌ Query") == Some(80), "{s}");
}
