//! Every pane, in every shipped theme, at 60x20, 80x24, 120x40 and 200x60 (and the ends of the range, 60x20 and
//! 300x100): a snapshot of the text once per pane and size (the text must not depend on the theme) with, per
//! theme, the styles used and on how many cells; and a check of every frame that no box's border is broken by
//! text (nothing drawn over a border, no two boxes overlapping). Then the adaptive parts: side-by-side panes from
//! 140 columns, the editor/results split, clicks and drags that move borders.
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use dbconsole::core::profile::{Profile, ProfileSet};
use dbconsole::core::query::{Column, Kind, Outcome, RowBuf, Rows, TxnState};
use dbconsole::tui::action::{Action, QueryMsg, StatementDone, SyncMsg};
use dbconsole::tui::app::{App, ConnState, PaneId, Session};
use dbconsole::tui::panes::query::split::Split;
use dbconsole::tui::theme::Theme;
use ratatui::buffer::Buffer;

use crate::common::{key, screen};

const SIZES: [(u16, u16); 4] = [(60, 20), (80, 24), (120, 40), (200, 60)];
const THEMES: [&str; 4] = ["default", "light", "high-contrast", "mono"];

fn result_rows(n: usize) -> Arc<RwLock<Rows>> {
    let names = ["Ada Lovelace", "Grace Hopper", "Zoë Ødegård", "李小龙", "Edsger W. Dijkstra"];
    let mut rows = Rows::new(4);
    let mut b = RowBuf::default();
    for i in 0..n {
        b.clear();
        b.push_str(&(i + 1).to_string());
        b.push_str(names[i % names.len()]);
        if i % 4 == 3 {
            b.push_null();
        } else {
            b.push_str(&format!("customer{}@example.com", i + 1));
        }
        b.push_str(&format!("{}.{:02}", (i * 37) % 1000, i % 100));
        rows.push(&b);
    }
    Arc::new(RwLock::new(rows))
}

/// A query run and its result fed to the app as the session would (`text` in the editor, `n` rows).
fn feed_result(app: &mut App, text: &str, n: usize) {
    app.query.open_text(text, None);
    let fx = app.update(Action::Key(KeyEvent::new(KeyCode::F(5), KeyModifiers::NONE)));
    let job = fx
        .iter()
        .find_map(|e| match e {
            dbconsole::tui::effect::Effect::RunQuery { job, .. } => Some(*job),
            _ => None,
        })
        .unwrap_or_else(|| panic!("F5 runs: {fx:?} {:?} {:?}", app.message, app.query.focus));
    let columns = vec![
        Column { name: "id".into(), type_name: "INTEGER".into(), kind: Kind::Number },
        Column { name: "name".into(), type_name: "TEXT".into(), kind: Kind::Text },
        Column { name: "email".into(), type_name: "TEXT".into(), kind: Kind::Text },
        Column { name: "total".into(), type_name: "NUMERIC".into(), kind: Kind::Number },
    ];
    app.update(Action::Query(QueryMsg::Statement { job, index: 1, total: 1 }));
    app.update(Action::Query(QueryMsg::Columns { job, columns, rows: result_rows(n) }));
    app.update(Action::Query(QueryMsg::Rows { job }));
    let outcome = Outcome {
        rows: n as u64,
        returned_rows: true,
        elapsed: std::time::Duration::from_micros(2300),
        ..Default::default()
    };
    app.update(Action::Query(QueryMsg::StatementDone {
        job,
        done: Box::new(StatementDone { index: 1, verb: "SELECT".into(), outcome }),
    }));
    app.update(Action::Query(QueryMsg::Finished { job, txn: TxnState::Idle }));
}

/// An app with something in every pane: profiles, the demo database's catalog with a table open, a migrations
/// plan, two sync links, a query result.
async fn fixture(dir: &std::path::Path) -> App {
    let db = dir.join("demo.sqlite");
    dbconsole::core::demo::ensure(&db).await.unwrap();
    let mut set = crate::tui_snapshots::fixture_set();
    let mut demo = set.profiles[0].clone();
    demo.migrations = Some("/home/ada/app/migrations".into());
    set.profiles[0] = demo.clone();
    let mut app = App::new(Theme::default(), set, None);
    app.session = Some(Session { profile: demo, state: ConnState::Connected("connected".into()) });

    app.pane = PaneId::Query;
    feed_result(
        &mut app,
        "SELECT c.id, c.name, c.email, sum(o.total) AS total\n  FROM customers c JOIN orders o ON o.customer_id = c.id\n GROUP BY c.id\n ORDER BY total DESC;",
        40,
    );
    key(&mut app, KeyCode::Esc);
    let pool = crate::catalog::sqlite_pool(&db).await;
    let mut cat = dbconsole::core::catalog::introspect(&pool, "demo.sqlite", None, |_| {}).await.unwrap();
    cat.database = "/home/ada/.local/share/dbconsole/demo.sqlite".into();
    app.schema.set_catalog("demo", cat, std::time::Duration::from_millis(4));
    app.pane = PaneId::Schema;
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Right);

    let mig = dir.join("migrations");
    crate::migrations_pane::write_folder(&mig);
    crate::catalog::exec(&pool, "CREATE TABLE old_notes (x INT)").await;
    let planned = crate::migrations_pane::planned(&pool, &mig).await;
    app.migrations.load = dbconsole::tui::panes::migrations::Load::Loading(1);
    app.update(Action::Migrations(dbconsole::tui::action::MigrationsMsg::Planned {
        job: 1,
        profile: "demo".into(),
        result: Ok(Box::new(planned)),
    }));
    pool.close().await;

    let fx = key(&mut app, KeyCode::Char('4'));
    let Some(dbconsole::tui::effect::Effect::SyncRefresh { job, .. }) = fx.first() else { panic!("{fx:?}") };
    let mut other = crate::tui_snapshots::link_view();
    other.status.name = "shop-pg".into();
    other.status.state = "offline".into();
    app.update(Action::Sync(SyncMsg::Status { job: *job, result: Ok(vec![crate::tui_snapshots::link_view(), other]) }));

    app.pane = PaneId::Profiles;
    app
}

fn text_of(buf: &Buffer) -> String {
    let a = buf.area;
    let mut out = String::new();
    for y in 0..a.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..a.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let s = buf[(x, y)].symbol();
            skip = ratatui::text::Span::raw(s).width().saturating_sub(1);
            line.push_str(s);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The styles a frame uses, each with how many cells have it and where the first one is.
fn styles_of(buf: &Buffer) -> String {
    let mut seen: BTreeMap<String, (usize, u16, u16)> = BTreeMap::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let c = &buf[(x, y)];
            let k = format!("fg {:?} bg {:?} {:?}", c.fg, c.bg, c.modifier);
            let e = seen.entry(k).or_insert((0, x, y));
            e.0 += 1;
        }
    }
    seen.into_iter().map(|(k, (n, x, y))| format!("  {k}: {n} cells, first at {x},{y}\n")).collect()
}

/// Every box in the frame is whole: from each top-left corner, the left edge runs down to a bottom-left corner
/// and the right edge (from the top-right corner on the same row) down to a bottom-right one on the same row.
/// Text drawn over a border, or a box over another, breaks one of these walks.
fn boxes_whole(buf: &Buffer, skip: &[(u16, u16)]) -> Result<usize, String> {
    let a = buf.area;
    let sym = |x: u16, y: u16| buf[(x, y)].symbol().to_string();
    let mut boxes = 0;
    for y in 0..a.height {
        for x in 0..a.width {
            if !matches!(sym(x, y).as_str(), "┌" | "╭" | "┏" | "╔") || skip.contains(&(x, y)) {
                continue;
            }
            boxes += 1;
            let Some(xr) = (x + 1..a.width).find(|&xr| matches!(sym(xr, y).as_str(), "┐" | "╮" | "┓" | "╗"))
            else {
                return Err(format!("box at {x},{y}: no top-right corner on its row"));
            };
            let mut yb = y + 1;
            while yb < a.height && matches!(sym(x, yb).as_str(), "│" | "┃" | "║" | "├") {
                yb += 1;
            }
            if yb >= a.height || !matches!(sym(x, yb).as_str(), "└" | "╰" | "┗" | "╚") {
                return Err(format!(
                    "box at {x},{y}: left border broken at {x},{yb} by {:?}",
                    sym(x, yb.min(a.height - 1))
                ));
            }
            for yy in y + 1..yb {
                if !matches!(sym(xr, yy).as_str(), "│" | "┃" | "║" | "┤") {
                    return Err(format!("box at {x},{y}: right border broken at {xr},{yy} by {:?}", sym(xr, yy)));
                }
            }
            if !matches!(sym(xr, yb).as_str(), "┘" | "╯" | "┛" | "╝") {
                return Err(format!("box at {x},{y}: no bottom-right corner at {xr},{yb}"));
            }
        }
    }
    Ok(boxes)
}

fn check(app: &App, w: u16, h: u16, what: &str) -> Buffer {
    check_with(app, w, h, what, false)
}

/// As `check`; with `overlay`, the panes' own boxes (those on the panes' first row, partly under the overlay) are
/// not walked.
fn check_with(app: &App, w: u16, h: u16, what: &str, overlay: bool) -> Buffer {
    let t = screen(app, w, h);
    let buf = t.backend().buffer().clone();
    let skip: Vec<(u16, u16)> =
        if overlay { (0..w).map(|x| (x, app.screen.borrow().body.y)).collect() } else { vec![] };
    match boxes_whole(&buf, &skip) {
        Ok(n) => assert!(n >= 1, "{what} at {w}x{h}: no box drawn\n{}", text_of(&buf)),
        Err(e) => panic!("{what} at {w}x{h}: {e}\n{}", text_of(&buf)),
    }
    buf
}

#[tokio::test]
async fn every_pane_in_every_theme_at_every_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = fixture(dir.path()).await;
    for pane in PaneId::ALL {
        app.pane = pane;
        app.layout.work = PaneId::Query;
        for (w, h) in SIZES {
            let mut text: Option<String> = None;
            let mut snap = String::new();
            for name in THEMES {
                app.theme = Theme::built_in(name).unwrap();
                let buf = check(&app, w, h, &format!("{} in {name}", pane.title()));
                let t = text_of(&buf);
                match &text {
                    None => {
                        snap.push_str(&t);
                        text = Some(t);
                    }
                    Some(first) => {
                        assert_eq!(first, &t, "{} at {w}x{h}: the text changes with the theme {name}", pane.title())
                    }
                }
                snap.push_str(&format!("\n[{name}]\n{}", styles_of(&buf)));
            }
            insta::assert_snapshot!(format!("layout_{}_{w}x{h}", pane.title().to_lowercase()), snap);
        }
        // The ends of the supported range: whole boxes, no panic.
        for (w, h) in [(60, 20), (300, 100), (139, 30), (140, 30)] {
            check(&app, w, h, pane.title());
        }
    }
    // The overlays over a pane: help, palette, message log, the profile form.
    app.theme = Theme::default();
    app.pane = PaneId::Profiles;
    for (w, h) in SIZES {
        app.help = true;
        check_with(&app, w, h, "the help", true);
        app.help = false;
        app.update(Action::Key(KeyEvent::new(KeyCode::Char('p'), KeyModifiers::CONTROL)));
        check_with(&app, w, h, "the palette", true);
        key(&mut app, KeyCode::Esc);
    }
}

#[tokio::test]
async fn two_panes_side_by_side_from_140_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = fixture(dir.path()).await;
    app.pane = PaneId::Query;
    app.layout.work = PaneId::Query;
    let text = text_of(&screen(&app, 200, 60).backend().buffer().clone());
    let first = text.lines().nth(1).unwrap();
    assert!(first.starts_with("┌ Schema") && first.contains("┌ Query"), "{text}");
    // The schema tree's selected table and its columns are on screen beside the result.
    assert!(text.contains("customers") && text.contains("Ada Lovelace"), "{text}");
    // At 120 columns, the query pane alone.
    let narrow = text_of(&screen(&app, 120, 40).backend().buffer().clone());
    assert!(narrow.lines().nth(1).unwrap().starts_with("┌ Query"), "{narrow}");
    // Keys go to the pane in front: 2 moves them to the schema pane, the query pane stays beside it, and the
    // pane bar shows both (the one without the keys underlined).
    key(&mut app, KeyCode::Char('2'));
    assert_eq!(app.pane, PaneId::Schema);
    let t = screen(&app, 200, 60);
    let text = text_of(t.backend().buffer());
    assert!(text.lines().nth(1).unwrap().contains("┌ Query"), "{text}");
    let buf = t.backend().buffer();
    let bar = text.lines().next().unwrap();
    let x = bar.find("5 Query").unwrap() as u16;
    assert!(buf[(x, 0)].modifier.contains(ratatui::style::Modifier::UNDERLINED), "{bar}");
    // A click in the query pane gives it the keys; the schema pane stays on the left.
    let click = |app: &mut App, kind, x, y| {
        app.update(Action::Mouse(MouseEvent { kind, column: x, row: y, modifiers: KeyModifiers::NONE }))
    };
    click(&mut app, MouseEventKind::Down(MouseButton::Left), 150, 30);
    assert_eq!(app.pane, PaneId::Query);
    // Dragging the border between them: from column 59 to 90.
    let divider = app.screen.borrow().divider().unwrap();
    assert_eq!(divider, (59, 60));
    click(&mut app, MouseEventKind::Down(MouseButton::Left), 59, 20);
    click(&mut app, MouseEventKind::Drag(MouseButton::Left), 75, 20);
    click(&mut app, MouseEventKind::Drag(MouseButton::Left), 90, 21);
    click(&mut app, MouseEventKind::Up(MouseButton::Left), 90, 21);
    let t = screen(&app, 200, 60);
    assert_eq!(app.screen.borrow().divider(), Some((90, 91)));
    check(&app, 200, 60, "after the drag");
    let text = text_of(t.backend().buffer());
    let at = |line: &str, what: &str| line.find(what).map(|i| line[..i].chars().count());
    assert_eq!(at(text.lines().nth(1).unwrap(), "┌ Query"), Some(91), "{text}");
    // A drag past the limits stops at them (the right pane keeps 70 columns).
    click(&mut app, MouseEventKind::Down(MouseButton::Left), 90, 20);
    click(&mut app, MouseEventKind::Drag(MouseButton::Left), 199, 20);
    screen(&app, 200, 60);
    assert_eq!(app.screen.borrow().divider(), Some((129, 130)));
    // A release outside the window never arrives: the next press ends the drag, so a later drag elsewhere (a
    // selection, another pane) does not move the border.
    click(&mut app, MouseEventKind::Down(MouseButton::Left), 129, 20);
    click(&mut app, MouseEventKind::Drag(MouseButton::Left), 100, 20);
    click(&mut app, MouseEventKind::Down(MouseButton::Left), 150, 30);
    click(&mut app, MouseEventKind::Drag(MouseButton::Left), 60, 30);
    screen(&app, 200, 60);
    assert_eq!(app.screen.borrow().divider(), Some((100, 101)));
    click(&mut app, MouseEventKind::Down(MouseButton::Left), 100, 20);
    click(&mut app, MouseEventKind::Drag(MouseButton::Left), 129, 20);
    click(&mut app, MouseEventKind::Up(MouseButton::Left), 129, 20);
    screen(&app, 200, 60);
    assert_eq!(app.screen.borrow().divider(), Some((129, 130)));
    // Moving the mouse without a button does nothing.
    click(&mut app, MouseEventKind::Moved, 20, 20);
    screen(&app, 200, 60);
    assert_eq!(app.screen.borrow().divider(), Some((129, 130)));
    // Profiles show alone, however wide.
    key(&mut app, KeyCode::Esc);
    app.pane = PaneId::Profiles;
    let text = text_of(&screen(&app, 200, 60).backend().buffer().clone());
    assert!(!text.contains("┌ Schema"), "{text}");
}

#[tokio::test]
async fn the_results_get_the_room_once_a_query_ran_and_a_key_toggles() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = fixture(dir.path()).await;
    app.pane = PaneId::Query;
    let rows_shown = |app: &App, w: u16, h: u16| {
        let text = text_of(&screen(app, w, h).backend().buffer().clone());
        text.lines().filter(|l| l.contains("@example.com") || l.contains("NULL")).count()
    };
    // 120x40, a four-line query: the editor keeps five lines, the grid shows 27 rows (33 rows for both).
    assert_eq!(app.query.editor_area.get().height, 0, "not drawn yet");
    assert_eq!(rows_shown(&app, 120, 40), 27);
    assert_eq!(app.query.editor_area.get().height, 5);
    // z: the editor large (the results keep a header and three rows), again: the results large (the editor three
    // lines), again: automatic.
    key(&mut app, KeyCode::Char('z'));
    assert_eq!(app.query.split, Split::Editor);
    assert_eq!(rows_shown(&app, 120, 40), 3);
    assert!(app.message.as_ref().is_some_and(|m| m.1.contains("editor large")), "{:?}", app.message);
    key(&mut app, KeyCode::Char('z'));
    assert_eq!(app.query.split, Split::Results);
    assert_eq!(rows_shown(&app, 120, 40), 29);
    key(&mut app, KeyCode::Char('z'));
    assert_eq!(app.query.split, Split::Auto);
    // In the editor, Ctrl-O does the same.
    key(&mut app, KeyCode::Char('i'));
    let before = app.query.buffer().area.lines().join("\n");
    app.update(Action::Key(KeyEvent::new(KeyCode::Char('o'), KeyModifiers::CONTROL)));
    assert_eq!(app.query.split, Split::Editor);
    assert_eq!(app.query.buffer().area.lines().join("\n"), before, "the key is not typed");
    app.query.split = Split::Auto;
    // Dragging the line under the editor (the run status line) down by 10 rows.
    screen(&app, 120, 40);
    let line = app.query.editor_area.get().bottom();
    let mouse = |app: &mut App, kind, x, y| {
        app.update(Action::Mouse(MouseEvent { kind, column: x, row: y, modifiers: KeyModifiers::NONE }))
    };
    mouse(&mut app, MouseEventKind::Down(MouseButton::Left), 40, line);
    mouse(&mut app, MouseEventKind::Drag(MouseButton::Left), 40, line + 10);
    mouse(&mut app, MouseEventKind::Up(MouseButton::Left), 40, line + 10);
    assert_eq!(app.query.split, Split::Rows(15));
    assert_eq!(rows_shown(&app, 120, 40), 17, "{}", text_of(screen(&app, 120, 40).backend().buffer()));
    // A click on a grid row selects it (the grid gets the keys); a click in the editor puts the cursor there.
    let grid = app.query.grid_area.get();
    mouse(&mut app, MouseEventKind::Down(MouseButton::Left), grid.x + 5, grid.y + 3);
    assert_eq!(app.query.result.as_ref().unwrap().row, 2);
    assert_eq!(app.query.focus, dbconsole::tui::panes::query::Focus::Grid);
    let ed = app.query.editor_area.get();
    mouse(&mut app, MouseEventKind::Down(MouseButton::Left), ed.x + 2 + 7, ed.y + 1);
    assert_eq!(app.query.focus, dbconsole::tui::panes::query::Focus::Editor);
    assert_eq!(app.query.buffer().area.cursor(), tui_textarea::DataCursor(1, 7));
    // Before any result, the editor has three fifths.
    let mut fresh = App::new(
        Theme::default(),
        ProfileSet { profiles: vec![Profile::sqlite("x", "/x.db".into())], ..Default::default() },
        None,
    );
    fresh.pane = PaneId::Query;
    screen(&fresh, 120, 40);
    assert_eq!(fresh.query.editor_area.get().height, 19);
}

/// NO_COLOR in the real binary under tmux: no colour is sent, and what Enter or a key acts on is in reverse video
/// in the profile list, the schema tree and the results grid.
#[test]
fn no_color_shows_the_selection_in_reverse_video_end_to_end() {
    use crate::common::{Sandbox, Tmux};
    let sb = Sandbox::new();
    let t = Tmux::start_with(&sb, "nocolor", 100, 30, "export NO_COLOR=1 TERM=screen-256color; ");
    t.wait_for("connected");
    // The line holding `text`, with its escape sequences.
    let line_of = |text: &str| -> String {
        let s = t.capture_escaped();
        s.lines().find(|l| l.contains(text)).unwrap_or_else(|| panic!("no `{text}` in {s:?}")).to_string()
    };
    let reversed_before = |line: &str, text: &str| {
        let i = line.find(text).unwrap();
        // Reverse video as the attribute sequences before the text leave it: 7 sets it, 0 (or none) and 27 reset.
        let mut on = false;
        for seq in line[..i].split("\u{1b}[").skip(1) {
            let Some(end) = seq.find('m') else { continue };
            for p in seq[..end].split(';') {
                match p {
                    "7" => on = true,
                    "" | "0" | "27" => on = false,
                    _ => {}
                }
            }
        }
        on
    };
    let all = t.capture_escaped();
    assert!(!all.contains("38;5;") && !all.contains("48;5;") && !all.contains("38;2;"), "a colour: {all:?}");
    let l = line_of("demo lite");
    assert!(reversed_before(&l, "demo lite"), "the selected profile: {l:?}");
    // The schema tree: the second table selected.
    t.keys(&["2"]);
    t.wait_for("customers");
    t.keys(&["Down"]);
    t.keys(&["Down"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let l = line_of("▸ products");
    assert!(reversed_before(&l, "▸ products"), "the selected table: {l:?}");
    let l = line_of("▸ customers");
    assert!(!reversed_before(&l, "▸ customers"), "only the selected one: {l:?}");
    // The grid: the second row selected, and its cells in reverse video.
    t.keys(&["5"]);
    std::thread::sleep(std::time::Duration::from_millis(200));
    t.text("select id, name from customers order by id limit 5");
    t.keys(&["F5"]);
    t.wait_for("5 rows");
    t.keys(&["Escape"]);
    std::thread::sleep(std::time::Duration::from_millis(200));
    t.keys(&["j"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let screen = t.capture();
    let name2 = screen
        .lines()
        .find(|l| l.trim_start_matches('│').trim_start().starts_with("2 "))
        .unwrap_or_else(|| panic!("{screen}"));
    let name2: String = name2.trim_start_matches('│').trim().trim_start_matches('2').trim().chars().take(6).collect();
    let l = line_of(&name2);
    assert!(reversed_before(&l, &name2), "the selected row: {l:?}");
    let all = t.capture_escaped();
    assert!(!all.contains("38;5;") && !all.contains("48;5;") && !all.contains("38;2;"), "a colour: {all:?}");
    t.keys(&["q"]);
}

/// Below the supported range too (a split tmux pane, a phone): every pane and overlay draws at any size from 1x1
/// without a panic.
#[tokio::test]
async fn any_size_draws_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = fixture(dir.path()).await;
    let sizes = [1u16, 2, 3, 4, 5, 7, 9, 12, 17, 24, 33, 47, 64, 99, 140, 300];
    for pane in PaneId::ALL {
        app.pane = pane;
        for &w in &sizes {
            for &h in &sizes[..13] {
                screen(&app, w, h);
                app.help = true;
                screen(&app, w, h);
                app.help = false;
            }
        }
    }
    // With the vim mode on and a visual selection, and with a dragged split at its extremes.
    app.pane = PaneId::Query;
    key(&mut app, KeyCode::Char('V'));
    key(&mut app, KeyCode::Char('i'));
    key(&mut app, KeyCode::Char('v'));
    for split in [Split::Rows(0), Split::Rows(u16::MAX), Split::Editor, Split::Results] {
        app.query.split = split;
        for &w in &sizes {
            for &h in &sizes[..13] {
                screen(&app, w, h);
            }
        }
    }
}

/// A narrow query pane on a production, read-only profile with a long name: the name is cut (with an ellipsis),
/// the PRODUCTION and read-only badges never.
#[test]
fn the_badges_stay_when_the_title_is_cut() {
    let mut p = Profile::sqlite("a-very-long-profile-name-for-the-reporting-replica", "/x.db".into());
    p.environment = dbconsole::core::profile::Environment::Production;
    p.read_only = true;
    let set = ProfileSet { profiles: vec![p.clone()], ..Default::default() };
    let mut app = App::new(Theme::default(), set, None);
    app.session = Some(Session { profile: p, state: ConnState::Connected("connected".into()) });
    app.pane = PaneId::Query;
    for w in [60, 70, 80] {
        let text = text_of(screen(&app, w, 24).backend().buffer());
        let title = text.lines().nth(1).unwrap();
        assert!(title.contains("PRODUCTION") && title.contains("read-only") && title.contains('…'), "{w}: {title}");
    }
}
