//! The query editor's vim mode: off by default, switched by `V` in the results, the palette or settings.toml;
//! the mode shown in the editor's frame; run keys work in every mode; Esc from normal mode leaves the editor; `:`
//! opens the palette; the real binary under tmux with `vim = true`.
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use dbconsole::core::profile::{Profile, ProfileSet};
use dbconsole::tui::action::Action;
use dbconsole::tui::app::{App, ConnState, PaneId, Session};
use dbconsole::tui::effect::Effect;
use dbconsole::tui::panes::query::Focus;
use dbconsole::tui::panes::query::vim::Mode;
use dbconsole::tui::theme::Theme;

use crate::common::{Sandbox, Tmux, key, screen};

fn typed(app: &mut App, s: &str) {
    for c in s.chars() {
        let code = match c {
            '⎋' => KeyCode::Esc,
            '\n' => KeyCode::Enter,
            c => KeyCode::Char(c),
        };
        app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }
}

/// The statements a run effect among `fx` sends.
fn ran(fx: &[Effect]) -> Vec<String> {
    fx.iter()
        .find_map(|e| match e {
            Effect::RunQuery { statements, .. } => Some(statements.iter().map(|s| s.text.clone()).collect()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no run: {fx:?}"))
}

fn text(app: &App) -> String {
    app.query.buffer().area.lines().join("\n")
}

#[test]
fn vim_mode_in_the_query_editor() {
    let p = Profile::sqlite("x", "/x.db".into());
    let set = ProfileSet { profiles: vec![p.clone()], ..Default::default() };
    let mut app = App::new(Theme::default(), set, None);
    app.session = Some(Session { profile: p, state: ConnState::Connected("connected".into()) });
    app.pane = PaneId::Query;
    // Off by default: `dd` is text.
    typed(&mut app, "dd");
    assert_eq!(text(&app), "dd");
    assert!(app.query.vim.is_none());
    let frame = format!("{}", screen(&app, 80, 24).backend());
    assert!(!frame.contains("NORMAL") && !frame.contains("INSERT"), "{frame}");
    // V in the results switches it on; i goes back to the editor, in normal mode.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('V'));
    assert!(app.query.vim.is_some());
    assert!(app.message.as_ref().is_some_and(|m| m.1.starts_with("vim mode on")), "{:?}", app.message);
    key(&mut app, KeyCode::Char('i'));
    assert_eq!(app.query.focus, Focus::Editor);
    let frame = format!("{}", screen(&app, 80, 24).backend());
    assert!(frame.contains(" NORMAL "), "the mode in the editor's frame: {frame}");
    typed(&mut app, "ccselect 1;\nselect 2;⎋");
    assert_eq!(text(&app), "select 1;\nselect 2;");
    assert_eq!(app.query.vim.as_ref().unwrap().mode, Mode::Normal);
    // Counts and operators; the pending command in the frame.
    typed(&mut app, "gg2");
    let frame = format!("{}", screen(&app, 80, 24).backend());
    assert!(frame.contains(" NORMAL 2 "), "{frame}");
    typed(&mut app, "dd");
    assert_eq!(text(&app), "");
    typed(&mut app, "u");
    assert_eq!(text(&app), "select 1;\nselect 2;");
    // F5 runs from normal mode (the statement under the cursor); Ctrl-G too.
    typed(&mut app, "G");
    let fx = app.update(Action::Key(KeyEvent::new(KeyCode::F(5), KeyModifiers::NONE)));
    assert_eq!(ran(&fx), ["select 2"]);
    app.query.run = dbconsole::tui::panes::query::RunState::Idle;
    // A visual selection runs as drawn, its last character included (forwards and backwards); V runs lines.
    for (keys, expect) in [("0vf2", "select 2"), ("$v0", "select 2;"), ("ggVj", "select 1;\nselect 2;")] {
        typed(&mut app, &format!("G{keys}"));
        let fx = app.update(Action::Key(KeyEvent::new(KeyCode::Char('g'), KeyModifiers::CONTROL)));
        assert_eq!(ran(&fx).join("\n"), expect.replace(";\n", "\n").trim_end_matches(';'), "{keys}");
        app.query.run = dbconsole::tui::panes::query::RunState::Idle;
        typed(&mut app, "⎋");
    }
    // Visual mode shown; Esc back to normal; Esc again stays in the editor and says how to leave; Ctrl-W j leaves.
    typed(&mut app, "V");
    let frame = format!("{}", screen(&app, 80, 24).backend());
    assert!(frame.contains(" V-LINE "), "{frame}");
    typed(&mut app, "⎋");
    assert_eq!(app.query.focus, Focus::Editor);
    typed(&mut app, "⎋");
    assert_eq!(app.query.focus, Focus::Editor);
    assert!(app.message.as_ref().is_some_and(|m| m.1.contains("Ctrl-W j")), "{:?}", app.message);
    app.update(Action::Key(KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL)));
    typed(&mut app, "j");
    assert_eq!(app.query.focus, Focus::Grid);
    // The mode is not shown while the results have the keys.
    let frame = format!("{}", screen(&app, 80, 24).backend());
    assert!(!frame.contains(" NORMAL "), "{frame}");
    // In insert mode, Esc goes to normal mode, not out of the editor; `:` in normal mode opens the palette.
    key(&mut app, KeyCode::Char('i'));
    typed(&mut app, "A -- two⎋");
    assert_eq!(text(&app), "select 1;\nselect 2; -- two");
    assert_eq!(app.query.focus, Focus::Editor);
    typed(&mut app, ":");
    assert!(app.palette.is_some());
    key(&mut app, KeyCode::Esc);
    // `:2` goes to line 2; `:w` saves (asks for a file name: the tab has none), never "run all".
    typed(&mut app, ":2\n");
    assert_eq!(app.query.buffer().area.cursor(), tui_textarea::DataCursor(1, 0));
    let fx = {
        typed(&mut app, ":w");
        app.update(Action::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)))
    };
    assert!(!fx.iter().any(|e| matches!(e, Effect::RunQuery { .. })), "{fx:?}");
    assert!(
        matches!(app.query.prompt, Some(dbconsole::tui::panes::query::Prompt::SaveAs(_))),
        "{:?}",
        app.query.prompt.is_some()
    );
    key(&mut app, KeyCode::Esc);
    // `/` searches, n and N go on.
    typed(&mut app, "gg/select\n");
    assert_eq!(app.query.buffer().area.cursor(), tui_textarea::DataCursor(1, 0));
    typed(&mut app, "n");
    assert_eq!(app.query.buffer().area.cursor(), tui_textarea::DataCursor(0, 0));
    typed(&mut app, "N");
    assert_eq!(app.query.buffer().area.cursor(), tui_textarea::DataCursor(1, 0));
    // A search that finds nothing says so.
    typed(&mut app, "/zzz\n");
    assert!(app.message.as_ref().is_some_and(|m| m.1 == "not found in the editor: zzz"), "{:?}", app.message);
    // `?` searches back; then n goes back and N forward.
    typed(&mut app, "G$?select\n");
    assert_eq!(app.query.buffer().area.cursor(), tui_textarea::DataCursor(1, 0));
    typed(&mut app, "n");
    assert_eq!(app.query.buffer().area.cursor(), tui_textarea::DataCursor(0, 0));
    typed(&mut app, "N");
    assert_eq!(app.query.buffer().area.cursor(), tui_textarea::DataCursor(1, 0));
    // V again (from the results) switches it off: keys are text again.
    app.update(Action::Key(KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL)));
    typed(&mut app, "jV");
    assert!(app.query.vim.is_none());
    key(&mut app, KeyCode::Char('i'));
    typed(&mut app, "x");
    assert!(text(&app).contains('x'));
}

/// settings.toml `vim = true` under tmux: the editor starts in normal mode, the mode is on screen, editing with
/// operators and F5 runs the result.
#[test]
fn vim_mode_from_settings_under_tmux() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.config()).unwrap();
    std::fs::write(sb.config().join("settings.toml"), "vim = true\n").unwrap();
    let t = Tmux::start(&sb, "vim", 100, 30);
    t.wait_for("connected");
    t.keys(&["5"]);
    t.wait_for("NORMAL");
    t.text("i");
    t.wait_for("INSERT");
    t.text("select 41 + 1 AS answer; select 'drop me'");
    std::thread::sleep(std::time::Duration::from_millis(200));
    t.keys(&["Escape"]);
    t.wait_for("NORMAL");
    // F; l d$: back to the first statement's semicolon, one right, delete to the end of the line.
    std::thread::sleep(std::time::Duration::from_millis(200));
    t.text("F;ld$");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let s = t.capture();
    assert!(s.contains("select 41 + 1 AS answer;") && !s.contains("drop me"), "{s}");
    t.keys(&["F5"]);
    let s = t.wait_for("answer");
    let s = if s.contains("42") { s } else { t.wait_for("42") };
    assert!(s.contains("SELECT · 1 row ·"), "{s}");
    t.keys(&["Escape"]);
    std::thread::sleep(std::time::Duration::from_millis(200));
    t.text("q");
}

/// Ctrl-P opens the palette from inside the editor (without vim mode too), and a global action chosen there runs
/// as itself: its key (`2`) is not typed into the editor.
#[test]
fn the_palette_opens_in_the_editor_and_its_global_actions_are_not_typed() {
    let mut app = App::new(Theme::default(), ProfileSet::default(), None);
    app.pane = PaneId::Query;
    typed(&mut app, "select 1");
    app.update(Action::Key(KeyEvent::new(KeyCode::Char('p'), KeyModifiers::CONTROL)));
    assert!(app.palette.is_some());
    typed(&mut app, "pane 2");
    let frame = format!("{}", screen(&app, 80, 24).backend());
    assert!(frame.contains("schema pane"), "{frame}");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.pane, PaneId::Schema);
    assert_eq!(text(&app), "select 1");
}

/// Without vim mode: Ctrl-F searches the editor (any case, wrapping), F3 goes on to the next match.
#[test]
fn ctrl_f_and_f3_search_the_editor() {
    let mut app = App::new(Theme::default(), ProfileSet::default(), None);
    app.pane = PaneId::Query;
    app.query.open_text("select 1;\nSELECT 2;\n-- select ü", None);
    app.update(Action::Key(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE)));
    app.update(Action::Key(KeyEvent::new(KeyCode::Char('f'), KeyModifiers::CONTROL)));
    typed(&mut app, "select\n");
    assert_eq!(app.query.buffer().area.cursor(), tui_textarea::DataCursor(2, 3), "after the cursor, any case");
    let f3 = || KeyEvent::new(KeyCode::F(3), KeyModifiers::NONE);
    app.update(Action::Key(f3()));
    assert_eq!(app.query.buffer().area.cursor(), tui_textarea::DataCursor(0, 0), "wrapped to the first");
    app.update(Action::Key(f3()));
    assert_eq!(app.query.buffer().area.cursor(), tui_textarea::DataCursor(1, 0));
    app.update(Action::Key(KeyEvent::new(KeyCode::Char('f'), KeyModifiers::CONTROL)));
    typed(&mut app, "nowhere\n");
    assert_eq!(app.query.buffer().area.cursor(), tui_textarea::DataCursor(1, 0));
    assert!(
        app.message.as_ref().is_some_and(|m| m.1.contains("not found in the editor: nowhere")),
        "{:?}",
        app.message
    );
}
