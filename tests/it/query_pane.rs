//! The query pane: snapshots on TestBackend, the update flow (run → stream → cap → more; confirmations for each
//! destructive kind; errors placed in the editor; quit with a transaction open), and the real binary under tmux
//! (type a query, run it, scroll, export, cancel).
use std::sync::{Arc, RwLock};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use dbconsole::core::profile::{Profile, ProfileSet};
use dbconsole::core::query::{Column, Kind, Outcome, QueryError, RowBuf, Rows, TxnState};
use dbconsole::tui::action::{Action, QueryMsg, StatementDone};
use dbconsole::tui::app::{App, ConnState, Dialog, Session};
use dbconsole::tui::effect::Effect;
use dbconsole::tui::theme::Theme;

use crate::common::*;

fn app_on(profile: Profile) -> App {
    let set = ProfileSet { profiles: vec![profile.clone()], ..Default::default() };
    let mut app = App::new(Theme::default(), set, None);
    app.session = Some(Session { profile, state: ConnState::Connected("connected".into()) });
    app.pane = dbconsole::tui::app::PaneId::Query;
    app
}

fn type_text(app: &mut App, s: &str) {
    for c in s.chars() {
        let code = if c == '\n' { KeyCode::Enter } else { KeyCode::Char(c) };
        app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }
}

fn run_job(effects: &[Effect]) -> Option<(u64, Vec<String>)> {
    effects.iter().find_map(|e| match e {
        Effect::RunQuery { job, statements, .. } => Some((*job, statements.iter().map(|s| s.text.clone()).collect())),
        _ => None,
    })
}

fn rows_of(data: &[[Option<&str>; 4]]) -> Arc<RwLock<Rows>> {
    let mut rows = Rows::new(4);
    let mut b = RowBuf::default();
    for r in data {
        b.clear();
        for c in r {
            match c {
                Some(s) => b.push_str(s),
                None => b.push_null(),
            }
        }
        rows.push(&b);
    }
    Arc::new(RwLock::new(rows))
}

fn columns() -> Vec<Column> {
    vec![
        Column { name: "id".into(), type_name: "INTEGER".into(), kind: Kind::Number },
        Column { name: "name".into(), type_name: "TEXT".into(), kind: Kind::Text },
        Column { name: "note".into(), type_name: "TEXT".into(), kind: Kind::Text },
        Column { name: "doc".into(), type_name: "JSON".into(), kind: Kind::Json },
    ]
}

#[test]
fn run_stream_and_render_a_result() {
    let mut app = app_on(Profile::sqlite("notes", "/data/notes.db".into()));
    type_text(&mut app, "select 2;\nselect * from notes");
    // The cursor is in the second statement: F5 runs only that one.
    let effects = app.update(Action::Key(KeyEvent::new(KeyCode::F(5), KeyModifiers::NONE)));
    let (job, texts) = run_job(&effects).expect("F5 runs");
    assert_eq!(texts, ["select * from notes"]);
    // Ctrl+G does the same; F6 runs both — but not while one runs.
    let again = app.update(Action::Key(KeyEvent::new(KeyCode::F(6), KeyModifiers::NONE)));
    assert!(run_job(&again).is_none(), "a second run while one is running");
    let rows = rows_of(&[
        [Some("1"), Some("Ada"), Some(""), Some("{\"tags\": [\"a\", \"b\"]}")],
        [Some("22"), Some("Grace"), None, None],
        [Some("333"), Some("a long name that is cut at the column width because it goes on"), Some("x\ny"), None],
    ]);
    app.update(Action::Query(QueryMsg::Statement { job, index: 1, total: 1 }));
    app.update(Action::Query(QueryMsg::Columns { job, columns: columns(), rows: rows.clone() }));
    app.update(Action::Query(QueryMsg::Rows { job }));
    app.update(Action::Query(QueryMsg::StatementDone {
        job,
        done: Box::new(StatementDone {
            index: 1,
            verb: "SELECT".into(),
            outcome: Outcome {
                rows: 3,
                returned_rows: true,
                elapsed: std::time::Duration::from_micros(1500),
                ..Default::default()
            },
        }),
    }));
    app.update(Action::Query(QueryMsg::Finished { job, txn: TxnState::Idle }));
    // Esc leaves the editor; j moves down; Enter opens the inspector with pretty JSON.
    key(&mut app, KeyCode::Esc);
    let t = screen(&app, 80, 24);
    insta::assert_snapshot!("query_result_80x24", t.backend());
    key(&mut app, KeyCode::Char('$'));
    key(&mut app, KeyCode::Enter);
    let t = screen(&app, 80, 24);
    let text = format!("{}", t.backend());
    assert!(text.contains("\"tags\": ["), "pretty JSON in the inspector:\n{text}");
    key(&mut app, KeyCode::Esc);
    // y copies the cell through OSC 52; Y the row as TSV with a header.
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('0'));
    let e = key(&mut app, KeyCode::Char('Y'));
    assert!(matches!(&e[..], [Effect::Copy(t)] if t == "id\tname\tnote\tdoc\n22\tGrace\t\t\n"), "{e:?}");
    // x → export prompt → Enter exports every row.
    key(&mut app, KeyCode::Char('x'));
    let e = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(&e[..], [Effect::Export { path, table, .. }] if path.ends_with("result.csv") && table == "\"notes\""),
        "{e:?}"
    );
}

#[test]
fn row_cap_pauses_and_more_reads_on() {
    let mut app = app_on(Profile::sqlite("notes", "/data/notes.db".into()));
    type_text(&mut app, "select * from big");
    let (job, _) = run_job(&key(&mut app, KeyCode::F(5))).unwrap();
    app.update(Action::Query(QueryMsg::Columns {
        job,
        columns: columns(),
        rows: rows_of(&[[Some("1"), None, None, None]]),
    }));
    app.update(Action::Query(QueryMsg::Paused { job }));
    key(&mut app, KeyCode::Esc);
    let t = format!("{}", screen(&app, 100, 24).backend());
    assert!(t.contains("1 rows (row cap) · m fetches more"), "{t}");
    let e = key(&mut app, KeyCode::Char('m'));
    assert!(matches!(&e[..], [Effect::QueryMore(true)]), "{e:?}");
    // Running again while paused stops the paused one first.
    let e = key(&mut app, KeyCode::F(5));
    assert!(matches!(&e[..], [Effect::QueryMore(false), Effect::RunQuery { .. }]) || e.is_empty(), "{e:?}");
}

#[test]
fn every_destructive_kind_asks_first() {
    for sql in [
        "DELETE FROM notes",
        "update notes set body = ''",
        "DROP TABLE notes",
        "TRUNCATE notes",
        "ALTER TABLE notes ADD COLUMN x int",
    ] {
        let mut app = app_on(Profile::sqlite("notes", "/data/notes.db".into()));
        type_text(&mut app, sql);
        let e = key(&mut app, KeyCode::F(5));
        assert!(run_job(&e).is_none(), "{sql} ran without asking");
        let Some(Dialog::Confirm(dbconsole::tui::app::Confirm {
            target: dbconsole::tui::app::ConfirmTarget::Query { dangers, .. },
            ..
        })) = &app.dialog
        else {
            panic!("{sql}: no confirmation")
        };
        assert_eq!(dangers.len(), 1, "{sql}");
        let text = format!("{}", screen(&app, 100, 30).backend());
        assert!(text.contains("Destructive statement") && text.contains("line 1:"), "{text}");
        // n cancels; F5 and y runs.
        assert!(key(&mut app, KeyCode::Char('n')).is_empty());
        key(&mut app, KeyCode::F(5));
        let e = key(&mut app, KeyCode::Char('y'));
        assert_eq!(run_job(&e).map(|(_, t)| t), Some(vec![sql.to_string()]), "{sql}");
    }
    // Safe statements run at once.
    let mut app = app_on(Profile::sqlite("notes", "/data/notes.db".into()));
    type_text(&mut app, "DELETE FROM notes WHERE id = 3");
    assert!(run_job(&key(&mut app, KeyCode::F(5))).is_some());
}

#[test]
fn errors_are_placed_in_the_editor_and_quit_warns_with_a_transaction_open() {
    let mut p = Profile::sqlite("pg", "/x".into());
    p.engine = dbconsole::core::profile::Engine::Postgres;
    let mut app = app_on(p);
    type_text(&mut app, "begin;\nselect 1,\n  nope from t;");
    let (job, texts) = run_job(&key(&mut app, KeyCode::F(6))).unwrap();
    assert_eq!(texts.len(), 2);
    app.update(Action::Query(QueryMsg::StatementDone {
        job,
        done: Box::new(StatementDone { index: 1, verb: "BEGIN".into(), outcome: Outcome::default() }),
    }));
    let st =
        dbconsole::core::sql::split("begin;\nselect 1,\n  nope from t;", dbconsole::core::profile::Engine::Postgres)[1]
            .clone();
    let error = QueryError {
        code: Some("42703".into()),
        message: "column \"nope\" does not exist".into(),
        detail: None,
        hint: Some("Perhaps you meant to reference the column \"t.note\".".into()),
        position: Some(13),
        cancelled: false,
    };
    app.update(Action::Query(QueryMsg::Failed { job, index: 2, statement: Some(st), error }));
    app.update(Action::Query(QueryMsg::Finished { job, txn: TxnState::Failed }));
    let e = app.query.error.as_ref().unwrap();
    assert_eq!(e.at, Some((0, 2, 2)), "row 3, column 3 of the buffer: `nope`");
    assert_eq!(e.line, 3);
    let t = screen(&app, 80, 24);
    insta::assert_snapshot!("query_error_80x24", t.backend());
    // q in the editor is text; from the results, q asks because the transaction is open.
    key(&mut app, KeyCode::Esc);
    assert!(key(&mut app, KeyCode::Char('q')).is_empty());
    assert!(matches!(
        app.dialog,
        Some(Dialog::Confirm(dbconsole::tui::app::Confirm { target: dbconsole::tui::app::ConfirmTarget::Quit, .. }))
    ));
    assert!(key(&mut app, KeyCode::Char('n')).is_empty());
    assert!(matches!(&key(&mut app, KeyCode::Char('q'))[..], []));
    assert!(matches!(&key(&mut app, KeyCode::Char('y'))[..], [Effect::Quit]));
}

#[test]
fn query_pane_in_the_real_binary_run_scroll_export_cancel() {
    let sb = Sandbox::new();
    let out = sb.data().join("out.csv");
    let t = Tmux::start(&sb, "query", 100, 30);
    t.wait_for("connected");
    t.keys(&["5"]);
    t.wait_for("Type SQL above");
    t.text("select id, name, email from customers order by id");
    t.keys(&["F5"]);
    t.wait_for("SELECT · 500 rows");
    // Scroll to the last row (keys sent apart: ESC followed at once by a key reads as Alt+key).
    t.keys(&["Escape"]);
    t.wait_for("i editor ·");
    t.keys(&["G"]);
    let screen = t.wait_for("customer500@example.com");
    assert!(!screen.contains("customer1@example.com"), "scrolled: {screen}");
    // Export to a CSV file.
    t.keys(&["x"]);
    t.wait_for("export as Csv");
    for _ in 0..10 {
        t.keys(&["BSpace"]);
    }
    t.text(&out.display().to_string());
    t.keys(&["Enter"]);
    t.wait_for("exported 500 rows");
    let csv = std::fs::read_to_string(&out).unwrap();
    assert_eq!(csv.lines().count(), 501, "header + 500 rows");
    assert!(csv.starts_with("id,name,email\n1,"), "{csv}");
    // A statement that never ends on its own: Esc cancels it on the server and the session goes on.
    t.keys(&["i", "C-a"]);
    for _ in 0..60 {
        t.keys(&["Delete"]);
    }
    t.text("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c");
    t.keys(&["F5"]);
    t.wait_for("running statement 1/1");
    t.keys(&["Escape"]);
    t.wait_for("query cancelled on the server");
    t.wait_for("ERROR");
    t.keys(&["C-a", "C-k"]);
    t.text("select 'still here'");
    t.keys(&["F5"]);
    t.wait_for("still here");
    // History remembers what ran, per profile.
    t.keys(&["Escape"]);
    t.wait_for("i editor ·");
    t.keys(&["H"]);
    t.wait_for("History (newest first)");
    let h = t.wait_for("order by id");
    assert!(h.contains("select 'still here'") && h.contains("order by id"), "{h}");
    t.keys(&["Escape"]);
    std::thread::sleep(std::time::Duration::from_millis(200));
    t.keys(&["q"]);
    t.wait_for("DBCONSOLE-EXITED-0");
}

#[tokio::test]
async fn grid_edits_are_staged_previewed_confirmed_and_refused_where_they_cannot_apply() {
    use dbconsole::core::query::edit::Change;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    let pool = crate::catalog::sqlite_pool(&path).await;
    crate::catalog::exec(
        &pool,
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, name TEXT, note TEXT, doc JSON); CREATE TABLE nokey (x int);",
    )
    .await;
    let cat = dbconsole::core::catalog::introspect(&pool, "", None, |_| {}).await.unwrap();
    let mut app = app_on(Profile::sqlite("notes", path.clone()));
    app.schema.set_catalog("notes", cat, std::time::Duration::ZERO);
    type_text(&mut app, "select * from notes");
    let (job, _) = run_job(&key(&mut app, KeyCode::F(5))).unwrap();
    app.update(Action::Query(QueryMsg::Columns {
        job,
        columns: columns(),
        rows: rows_of(&[[Some("1"), Some("Ada"), None, None], [Some("2"), Some("Bob"), None, None]]),
    }));
    app.update(Action::Query(QueryMsg::Finished { job, txn: TxnState::Idle }));
    assert!(matches!(app.query.edit, Some(Ok(_))), "{:?}", app.query.edit);
    key(&mut app, KeyCode::Esc);
    // c on (row 1, name): type a value, Enter stages it; the grid shows it.
    key(&mut app, KeyCode::Char('l'));
    key(&mut app, KeyCode::Char('c'));
    app.update(Action::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)));
    type_text(&mut app, "Ada L.");
    key(&mut app, KeyCode::Enter);
    // d on row 2 stages a delete; a adds a row (id: default, then name, note NULL via Ctrl+N, doc default).
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('d'));
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "Cy");
    key(&mut app, KeyCode::Enter);
    app.update(Action::Key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL)));
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.query.staged,
        vec![
            Change::Update { key: vec![Some("1".into())], column: 1, value: Some("Ada L.".into()) },
            Change::Delete { key: vec![Some("2".into())] },
            Change::Insert { values: vec![(1, Some("Cy".into())), (2, None)] },
        ]
    );
    let t = format!("{}", screen(&app, 80, 24).backend());
    assert!(t.contains("Ada L.") && t.contains("3 staged edit(s)"), "{t}");
    // p shows the SQL; W asks; y applies on the session.
    key(&mut app, KeyCode::Char('p'));
    let t = format!("{}", screen(&app, 100, 30).backend());
    assert!(t.contains("UPDATE \"notes\" SET \"name\" = 'Ada L.' WHERE \"id\" = 1;"), "{t}");
    assert!(t.contains("INSERT INTO \"notes\" (\"name\", \"note\") VALUES ('Cy', NULL);"), "{t}");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('W'));
    assert!(matches!(
        app.dialog,
        Some(Dialog::Confirm(dbconsole::tui::app::Confirm {
            target: dbconsole::tui::app::ConfirmTarget::Edits { .. },
            ..
        }))
    ));
    let e = key(&mut app, KeyCode::Char('y'));
    let Some(Effect::ApplyEdits { job: apply, plans, .. }) = e.first() else { panic!("{e:?}") };
    assert_eq!(plans.len(), 3);
    // A failure keeps the staged edits and says nothing was applied; success re-reads the result.
    app.update(Action::Query(QueryMsg::EditsApplied {
        job: *apply,
        result: Err((2, QueryError::other("NOT NULL constraint failed"))),
    }));
    assert_eq!(app.query.staged.len(), 3);
    assert!(app.message.as_ref().unwrap().1.contains("nothing applied"));
    key(&mut app, KeyCode::Char('W'));
    let e = key(&mut app, KeyCode::Char('y'));
    let Some(Effect::ApplyEdits { job: apply, .. }) = e.first() else { panic!("{e:?}") };
    let e = app.update(Action::Query(QueryMsg::EditsApplied { job: *apply, result: Ok(3) }));
    assert!(run_job(&e).is_some_and(|(_, t)| t == ["select * from notes"]), "{e:?}");
    assert!(app.query.staged.is_empty());
    // A result without a primary key cannot be edited, and says why.
    let (job, _) = run_job(&e).unwrap();
    app.query.run_statements =
        dbconsole::core::sql::split("select x from nokey", dbconsole::core::profile::Engine::Sqlite);
    app.update(Action::Query(QueryMsg::Columns {
        job,
        columns: vec![Column { name: "x".into(), type_name: "INT".into(), kind: Kind::Number }],
        rows: Arc::new(RwLock::new(Rows::new(1))),
    }));
    app.update(Action::Query(QueryMsg::Finished { job, txn: TxnState::Idle }));
    key(&mut app, KeyCode::Char('a'));
    assert!(app.message.as_ref().unwrap().1.contains("nokey has no primary key"), "{:?}", app.message);
    pool.close().await;
}

#[tokio::test]
async fn explain_keys_produce_plans_each_server_accepts() {
    use dbconsole::core::profile::Engine;
    use dbconsole::core::query::Session;
    let dir = tempfile::tempdir().unwrap();
    let lite = crate::catalog::sqlite_pool(&dir.path().join("x.db")).await;
    let pg = crate::catalog::pg_pool("dbc").await;
    let my = crate::catalog::my_pool("dbc").await;
    for (engine, pool, expect_explain, expect_analyze) in [
        (Engine::Postgres, &pg, "EXPLAIN select 1", "EXPLAIN (ANALYZE, BUFFERS) select 1"),
        (Engine::Mysql, &my, "EXPLAIN select 1", "EXPLAIN ANALYZE select 1"),
        (Engine::Sqlite, &lite, "EXPLAIN QUERY PLAN select 1", "EXPLAIN QUERY PLAN select 1"),
    ] {
        let mut p = Profile::sqlite("x", "/x".into());
        p.engine = engine;
        let mut app = app_on(p);
        if engine == Engine::Mysql {
            // MariaDB's own form, chosen from the server version the catalog read.
            let cat = dbconsole::core::catalog::introspect(pool, "dbc", Some("dbc"), |_| {}).await.unwrap();
            app.schema.set_catalog("x", cat, std::time::Duration::ZERO);
        }
        type_text(&mut app, "select 1");
        let (_, e) = run_job(&key(&mut app, KeyCode::F(7))).unwrap();
        assert_eq!(e, [expect_explain]);
        app.query.run = dbconsole::tui::panes::query::RunState::Idle;
        let (_, a) = run_job(&key(&mut app, KeyCode::F(8))).unwrap();
        let mariadb = app.schema.catalog.as_ref().is_some_and(|c| c.server_version.contains("MariaDB"));
        if mariadb {
            assert_eq!(a, ["ANALYZE select 1"], "MariaDB's ANALYZE statement");
        } else {
            assert_eq!(a, [expect_analyze]);
        }
        let mut s = Session::open(pool).await.unwrap();
        for sql in [e[0].clone(), a[0].clone()] {
            let c = crate::query::collect(&mut s, &sql).await;
            assert!(!c.rows.is_empty(), "{engine}: {sql} gave no plan");
        }
        s.close().await;
    }
    // SQLite's plan rows become the shell's tree.
    let mut app = app_on(Profile::sqlite("x", "/x".into()));
    type_text(&mut app, "select * from a join b");
    let (job, _) = run_job(&key(&mut app, KeyCode::F(7))).unwrap();
    let cols = ["id", "parent", "notused", "detail"]
        .map(|n| Column { name: n.into(), type_name: String::new(), kind: Kind::Text })
        .to_vec();
    let rows = rows_of(&[
        [Some("2"), Some("0"), Some("0"), Some("SCAN a")],
        [Some("5"), Some("0"), Some("0"), Some("SEARCH b")],
        [Some("7"), Some("5"), Some("0"), Some("USING INDEX")],
    ]);
    app.update(Action::Query(QueryMsg::Columns { job, columns: cols, rows }));
    app.update(Action::Query(QueryMsg::Finished { job, txn: TxnState::Idle }));
    let r = app.query.result.as_ref().unwrap();
    let lines: Vec<_> = (0..r.len()).map(|i| r.cell(i, 0).unwrap()).collect();
    assert_eq!(lines, ["|--SCAN a", "`--SEARCH b", "   `--USING INDEX"]);
    pg.close().await;
    my.close().await;
}

#[tokio::test]
async fn tabs_files_completion_and_history() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    let pool = crate::catalog::sqlite_pool(&path).await;
    crate::catalog::exec(&pool, "CREATE TABLE customers (id INTEGER PRIMARY KEY, full_name TEXT, email TEXT);").await;
    let cat = dbconsole::core::catalog::introspect(&pool, "", None, |_| {}).await.unwrap();
    pool.close().await;
    let mut app = app_on(Profile::sqlite("notes", path.clone()));
    app.schema.set_catalog("notes", cat, std::time::Duration::ZERO);
    // Completion: a table, then the columns of its alias.
    type_text(&mut app, "select * from cus");
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.query.buffer().text(), "select * from customers");
    type_text(&mut app, " c where c.f");
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.query.buffer().text(), "select * from customers c where c.full_name");
    type_text(&mut app, " = 'x' and c.");
    app.update(Action::Key(KeyEvent::new(KeyCode::Char(' '), KeyModifiers::CONTROL)));
    let items: Vec<String> = app.query.completion.as_ref().unwrap().items.iter().map(|i| i.text.clone()).collect();
    assert_eq!(items, ["id", "full_name", "email"]);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert!(app.query.buffer().text().ends_with("and c.full_name"));
    // Save as a file (Ctrl+S asks for a name), then the tab is clean and titled by the file.
    app.update(Action::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)));
    for _ in 0..20 {
        key(&mut app, KeyCode::Backspace);
    }
    let file = dir.path().join("q.sql");
    type_text(&mut app, file.to_str().unwrap());
    let e = key(&mut app, KeyCode::Enter);
    let Some(Effect::WriteFile { tab, path, text }) = e.into_iter().next() else { panic!("no WriteFile") };
    assert_eq!(path, file);
    app.update(Action::Query(QueryMsg::FileSaved { tab, path: path.clone(), text, result: Ok(()) }));
    assert_eq!(app.query.buffer().title(), "q.sql");
    // A new tab, open the file into it (o), tabs switch with [ and ].
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('t'));
    assert_eq!(app.query.tabs.len(), 2);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('o'));
    type_text(&mut app, file.to_str().unwrap());
    let e = key(&mut app, KeyCode::Enter);
    assert!(matches!(&e[..], [Effect::ReadFile(p)] if *p == file), "{e:?}");
    app.update(Action::Query(QueryMsg::FileOpened { path: file.clone(), result: Ok("select 1;\n".into()) }));
    assert_eq!(app.query.tabs.len(), 2, "opened into the empty tab");
    assert_eq!(app.query.buffer().text(), "select 1;");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('['));
    assert_eq!(app.query.tab, 0);
    key(&mut app, KeyCode::Char(']'));
    assert_eq!(app.query.tab, 1);
    // w closes a clean tab at once; a dirty one asks for a second w.
    key(&mut app, KeyCode::Char('['));
    key(&mut app, KeyCode::Char('i'));
    type_text(&mut app, " -- edited");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('w'));
    assert_eq!(app.query.tabs.len(), 2, "dirty: not closed on the first w");
    key(&mut app, KeyCode::Char('w'));
    assert_eq!(app.query.tabs.len(), 1);
    // History: H asks the store for this profile's statements; Enter opens the chosen one.
    let e = key(&mut app, KeyCode::Char('H'));
    assert!(
        matches!(&e[..], [Effect::LoadHistory { profile, filter }] if profile == "notes" && filter.is_empty()),
        "{e:?}"
    );
    let e = key(&mut app, KeyCode::Char('x'));
    assert!(matches!(&e[..], [Effect::LoadHistory { filter, .. }] if filter == "x"), "{e:?}");
    app.update(Action::Query(QueryMsg::HistoryLoaded(Ok(vec![dbconsole::core::store::HistoryEntry {
        id: 1,
        profile: "notes".into(),
        sql: "select x from t".into(),
        executed_at: "2026-11-25T10:00:00Z".into(),
        elapsed_ms: 1.0,
        rows: Some(1),
        ok: true,
        error: None,
    }]))));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.query.buffer().text(), "select x from t");
}
