//! The rest of issue #15: editor tabs that come back, messages that clear, the grid's position, search and sort,
//! several result sets, export that asks before overwriting, the table browser, the rename the diff detects.
use std::time::{Duration, Instant};

use crate::common::*;

/// In the demo's schema pane, selects `table` and presses `key` (Enter or b) on it.
fn open_in_browser(t: &Tmux, table: &str, key: &str) {
    t.wait_for("connected");
    t.keys(&["2"]);
    let screen = t.wait_for(table);
    let row = screen.lines().position(|l| l.contains(&format!("▸ {table}"))).unwrap_or(0);
    let first = screen.lines().position(|l| l.contains("▾ main")).unwrap_or(0);
    for _ in first..row {
        t.keys(&["Down"]);
    }
    t.keys(&[key]);
}

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
    // Read from the message log: the status line moves on to the connect message at once.
    t.wait_for("connected");
    t.keys(&["L"]);
    let screen = t.wait_for("not restored");
    assert!(screen.contains("line 2"), "{screen}");
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
    let export_to_existing = || {
        t.keys(&["x"]);
        t.wait_for("export as Csv");
        for _ in 0..12 {
            t.keys(&["BSpace"]);
        }
        t.text(out.to_str().unwrap());
        t.keys(&["Enter"]);
        t.wait_for("File exists");
    };
    export_to_existing();
    t.keys(&["n"]);
    t.wait_for("the file was kept");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");
    export_to_existing();
    t.keys(&["y"]);
    t.wait_for("exported 1 rows to");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "a\nfirst-set\n");
    t.keys(&["q"]);
    wait_exit(&t);
}

/// The browser's pages on each engine: keyset pages over a two-column key with hostile text (quotes, backslashes,
/// non-ASCII, control characters; NUL where the engine stores it) give every row exactly once, in the server's
/// own key order; a filter and a sort by another column (OFFSET pages) too.
#[tokio::test]
async fn the_browser_pages_every_row_once_on_each_engine() {
    use dbconsole::core::profile::Engine;
    use dbconsole::core::query::Session;
    use dbconsole::core::query::browse::{Bound, Browse};
    let dir = tempfile::tempdir().unwrap();
    let lite = crate::catalog::sqlite_pool(&dir.path().join("b.db")).await;
    let pg = crate::catalog::pg_pool(&crate::catalog::new_pg_db().await).await;
    let my_db = crate::catalog::new_my_db().await;
    let my = crate::catalog::my_pool(&my_db).await;
    let texts = ["it's", "a\\b", "é", "Z", "z", "x\ty", "", " ", "🙂", "a'; drop table t; --", "\u{1b}[2J"];
    for (engine, pool, schema) in
        [(Engine::Sqlite, &lite, "main"), (Engine::Postgres, &pg, "public"), (Engine::Mysql, &my, my_db.as_str())]
    {
        let q = |s: &str| dbconsole::core::catalog::quote::ident(engine, s);
        let lit = |s: &str| dbconsole::core::catalog::quote::literal(engine, s);
        let text_type = if engine == Engine::Mysql { "VARCHAR(40)" } else { "TEXT" };
        crate::catalog::exec(
            pool,
            &format!(
                "CREATE TABLE {} (a INT NOT NULL, {} {text_type} NOT NULL, v INT, PRIMARY KEY (a, {}))",
                q("br\"ws"),
                q("b`k"),
                q("b`k")
            ),
        )
        .await;
        let mut values = Vec::new();
        for a in 0..23 {
            for (i, t) in texts.iter().enumerate() {
                values.push(format!("({a}, {}, {})", lit(&format!("{t}{}", i % 3)), (a * 31 + i as i32) % 17));
            }
        }
        if engine != Engine::Postgres {
            values.push(format!(
                "(99, {}, 1)",
                if engine == Engine::Sqlite { "'n' || char(0) || 'ul'".into() } else { lit("n\0ul") }
            ));
        }
        crate::catalog::exec(pool, &format!("INSERT INTO {} VALUES {}", q("br\"ws"), values.join(", "))).await;
        let total = values.len();
        let mut s = Session::open(pool).await.unwrap();
        let expected = crate::query::collect(
            &mut s,
            &format!("SELECT a, {} FROM {} ORDER BY a, {}", q("b`k"), q("br\"ws"), q("b`k")),
        )
        .await;
        let key_of = |c: &crate::query::Collect, r: usize| {
            (c.rows.get(r, 0).map(str::to_string), c.rows.get(r, 1).map(str::to_string))
        };
        let expected: Vec<_> = (0..expected.rows.len()).map(|r| key_of(&expected, r)).collect();
        assert_eq!(expected.len(), total);

        let mut b = Browse {
            engine,
            schema: schema.to_string(),
            table: "br\"ws".into(),
            key: vec!["a".into(), "b`k".into()],
            filter: None,
            order: None,
            page_size: 40,
        };
        let page_through = |b: Browse, mut s: Session| async move {
            let mut seen = Vec::new();
            let mut bound = Bound::Start;
            let mut pages = 0;
            loop {
                let c = crate::query::collect(&mut s, &b.sql(&bound)).await;
                pages += 1;
                let n = c.rows.len();
                let ai = c.columns.iter().position(|x| x.name == "a").unwrap();
                let bi = c.columns.iter().position(|x| x.name == "b`k").unwrap();
                for r in 0..n {
                    seen.push((c.rows.get(r, ai).map(str::to_string), c.rows.get(r, bi).map(str::to_string)));
                }
                if n < b.page_size {
                    break;
                }
                let last: Vec<_> =
                    [ai, bi].iter().map(|&i| (c.rows.get(n - 1, i).map(str::to_string), c.columns[i].kind)).collect();
                bound = b.next_bound(&last, (pages * b.page_size) as u64);
                if b.order.is_none() {
                    assert!(matches!(bound, Bound::After(_)), "{engine}: keyset pages");
                }
                assert!(pages < 100, "{engine}: paging does not end");
            }
            (seen, s)
        };
        let (seen, s2) = page_through(b.clone(), s).await;
        assert_eq!(seen, expected, "{engine}: every row once, in key order");
        s = s2;
        // A filter, then a sort by another column (pages by OFFSET, the key making the order total).
        b.filter = Some("v < 9 AND a <> 3".into());
        let (seen, s2) = page_through(b.clone(), s).await;
        s = s2;
        let want = crate::query::collect(
            &mut s,
            &format!("SELECT a, {} FROM {} WHERE v < 9 AND a <> 3 ORDER BY a, {}", q("b`k"), q("br\"ws"), q("b`k")),
        )
        .await;
        let want: Vec<_> = (0..want.rows.len()).map(|r| key_of(&want, r)).collect();
        assert_eq!(seen, want, "{engine}: filtered");
        b.order = Some(("v".into(), true));
        let (mut seen, s2) = page_through(b.clone(), s).await;
        s = s2;
        assert_eq!(seen.len(), want.len(), "{engine}: sorted pages hold every filtered row");
        seen.sort();
        let mut w = want.clone();
        w.sort();
        assert_eq!(seen, w, "{engine}: no row twice when sorted by a column with ties");
        s.close().await;
    }
}

/// The browser in the real binary on the demo: Enter on a table opens its rows by key, `>`/`<` page, `f` filters
/// (a bad filter is refused before it runs), `O` sorts on the server, and a cell edited on page 2 is written.
#[test]
fn the_browser_in_the_real_binary() {
    let sb = Sandbox::new();
    let t = Tmux::start(&sb, "browse", 120, 30);
    open_in_browser(&t, "customers", "Enter");
    let screen = t.wait_for("customers · page 1 · row 1");
    assert!(screen.contains("customer1@example.com"), "{screen}");
    t.keys(&[">"]);
    let screen = t.wait_for("page 2 · row 201");
    assert!(screen.contains("customer201@example.com"), "{screen}");
    t.keys(&["G"]);
    t.wait_for("page 2 · row 400");
    t.keys(&[">"]);
    t.wait_for("page 3 · row 401");
    t.keys(&[">"]);
    t.wait_for("this is the last page");
    t.keys(&["<"]);
    t.wait_for("page 2 · row 201");
    t.keys(&["<"]);
    t.wait_for("page 1 · row 1");
    t.keys(&["f"]);
    t.wait_for("filter rows where");
    t.text("country = 'NL' or");
    t.keys(&["Enter"]);
    // The check lets it through (it is one condition); the server's error is shown.
    t.wait_for("syntax error");
    t.keys(&["f"]);
    t.wait_for("filter rows where");
    t.keys(&["C-u"]);
    t.text("country = 'NL'; delete from customers");
    t.keys(&["Enter"]);
    t.wait_for("filter not run");
    t.keys(&["C-u"]);
    t.text("country = 'NL'");
    t.keys(&["Enter"]);
    // The summary shows once the page is read (the rows show while it is).
    let screen = t.wait_for("SELECT · 100 rows");
    assert!(screen.contains("customer5@example.com") && !screen.contains("customer1@example.com"), "{screen}");
    t.keys(&["O"]);
    let screen = t.wait_for("by id");
    assert!(screen.contains("customer5@example.com"), "{screen}");
    t.keys(&["O"]);
    let screen = t.wait_for("by id desc");
    assert!(screen.contains("customer500@example.com"), "{screen}");
    // Edit on this page: c on the email column, W, y.
    t.keys(&["l", "l", "c", "C-u"]);
    t.text("changed@example.com");
    t.keys(&["Enter"]);
    t.wait_for("1 staged edit(s)");
    t.keys(&["W"]);
    t.wait_for("Apply");
    t.keys(&["y"]);
    t.wait_for("applied: 1 row(s) changed");
    t.keys(&["q"]);
    wait_exit(&t);
    let o = sb.run(&[
        "query",
        &format!("sqlite:{}", sb.data().join("demo.sqlite").display()),
        "-e",
        "select email from customers where id = 500",
        "--format",
        "csv",
    ]);
    assert_eq!(stdout(&o), "email\nchanged@example.com\n", "{}", stderr(&o));
}

/// The schema diff writes a column rename as RENAME COLUMN when it is certain (one column gone and one new with
/// the same type and constraints), keeping the data and the index on it; when it is not (two of a kind), it stays
/// DROP + ADD and the lint flags the data loss. On each engine.
#[tokio::test]
async fn the_diff_writes_a_likely_rename_as_rename_column() {
    use dbconsole::core::catalog::{self, diff};
    use dbconsole::core::engine::DbPool;
    use dbconsole::core::migrate;
    use dbconsole::core::profile::Engine;
    use sqlx::Row;
    let tmp = tempfile::tempdir().unwrap();
    for engine in [Engine::Sqlite, Engine::Postgres, Engine::Mysql] {
        let (desired_pool, desired_db, current_pool, current_db) = match engine {
            Engine::Sqlite => {
                let (a, b) = (tmp.path().join("a.db"), tmp.path().join("b.db"));
                (
                    crate::catalog::sqlite_pool(&a).await,
                    a.display().to_string(),
                    crate::catalog::sqlite_pool(&b).await,
                    b.display().to_string(),
                )
            }
            Engine::Postgres => {
                let (a, b) = (crate::catalog::new_pg_db().await, crate::catalog::new_pg_db().await);
                (crate::catalog::pg_pool(&a).await, a, crate::catalog::pg_pool(&b).await, b)
            }
            Engine::Mysql => {
                let (a, b) = (crate::catalog::new_my_db().await, crate::catalog::new_my_db().await);
                (crate::catalog::my_pool(&a).await, a, crate::catalog::my_pool(&b).await, b)
            }
            Engine::Duckdb => unreachable!("no DuckDB in this test"),
        };
        crate::catalog::exec(
            &current_pool,
            "CREATE TABLE people (id INT PRIMARY KEY, email VARCHAR(80) NOT NULL, a INT, b INT);
             CREATE INDEX people_email ON people (email);
             INSERT INTO people VALUES (1, 'ada@example.com', 1, 2), (2, 'é@example.com', 3, 4);",
        )
        .await;
        crate::catalog::exec(
            &desired_pool,
            "CREATE TABLE people (id INT PRIMARY KEY, mail VARCHAR(80) NOT NULL, c INT, d INT);
             CREATE INDEX people_email ON people (mail);",
        )
        .await;
        let only = |db: &str| if engine == Engine::Mysql { Some(db.to_string()) } else { None };
        let desired =
            catalog::introspect(&desired_pool, &desired_db, only(&desired_db).as_deref(), |_| {}).await.unwrap();
        let current =
            catalog::introspect(&current_pool, &current_db, only(&current_db).as_deref(), |_| {}).await.unwrap();
        let script = diff::migration(&desired, &current);
        let sql = script.sql("test");
        assert!(sql.to_uppercase().contains("RENAME COLUMN") && sql.contains("mail"), "{engine}: {sql}");
        assert!(sql.contains("NOTE: people.email → mail is written as a rename"), "{engine}: {sql}");
        assert!(!sql.contains("DROP COLUMN \"email\"") && !sql.contains("DROP COLUMN `email`"), "{engine}: {sql}");
        let dir = tmp.path().join(format!("m-{engine}"));
        migrate::write_new(&dir, 1, "schema diff", &sql).unwrap();
        let folder = migrate::load(&dir, engine).unwrap();
        let plan = migrate::status(&current_pool, &folder).await.unwrap();
        let findings = migrate::lint_pending(&current_pool, &folder, &plan).await.unwrap();
        let rules: Vec<&str> = findings.iter().map(|f| f.rule).collect();
        // Two of a kind (a, b gone; c, d new) is not read as renames: dropped, which the lint (or, for a SQLite
        // rebuild, a note) says loses data.
        if engine == Engine::Sqlite {
            assert!(sql.contains("NOTE: people is rebuilt without a, b: their data is lost"), "{sql}");
        } else {
            assert!(rules.contains(&"drop-column"), "{engine}: {rules:?}\n{sql}");
        }
        let mut events = |_e: migrate::Event| {};
        let r = migrate::apply(&current_pool, &folder, &migrate::Options::default(), &mut events).await.unwrap();
        assert!(r.failure.is_none(), "{engine}: {:?}\n{sql}", r.failure);
        let q = "SELECT mail FROM people ORDER BY id";
        let mails: Vec<String> = match &current_pool {
            DbPool::Postgres(p) => sqlx::query(q).fetch_all(p).await.unwrap().iter().map(|r| r.get(0)).collect(),
            DbPool::Mysql(p) => sqlx::query(q).fetch_all(p).await.unwrap().iter().map(|r| r.get(0)).collect(),
            DbPool::Sqlite(p) => sqlx::query(q).fetch_all(p).await.unwrap().iter().map(|r| r.get(0)).collect(),
            DbPool::Duckdb(_) => unreachable!("no DuckDB in this test"),
        };
        assert_eq!(mails, ["ada@example.com", "é@example.com"], "{engine}: the renamed column kept its data");
        desired_pool.close().await;
        current_pool.close().await;
    }
}

/// The profile form's "Create file" for SQLite: off, a missing file stays missing; on, saving makes it (empty,
/// owner-only) and the profile connects.
#[test]
fn the_form_creates_a_new_sqlite_file_when_asked() {
    let sb = Sandbox::new();
    let db = sb.dir.path().join("new ✓.db");
    let t = Tmux::start(&sb, "createfile", 220, 30);
    t.wait_for("connected");
    t.keys(&["a"]);
    t.wait_for("New profile");
    t.text("newlite");
    t.keys(&["Tab", "Left"]);
    t.wait_for("SQLite file");
    t.keys(&["Tab"]);
    t.text(db.to_str().unwrap());
    t.keys(&["Tab"]);
    t.wait_for("[ ] no: it must exist");
    t.keys(&["Right"]);
    t.wait_for("[x] if missing");
    t.keys(&["F2"]);
    let screen = t.wait_for("saved profile `newlite`");
    assert!(screen.contains("and created"), "{screen}");
    assert_eq!(mode(&db), 0o600);
    assert_eq!(std::fs::metadata(&db).unwrap().len(), 0);
    t.wait_for("newlite");
    t.keys(&["q"]);
    wait_exit(&t);
    let o = sb.run(&["profile", "test", "newlite"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
}

/// The names the schema pane lists first are the full catalog's, in the same order, on each engine; in the pane
/// they show at once (details say the rest is being read; browsing waits for the key), and the full catalog
/// replaces them keeping the selected table.
#[tokio::test]
async fn names_first_then_the_full_catalog() {
    use dbconsole::core::catalog;
    use dbconsole::core::profile::{Engine, Profile, ProfileSet};
    use dbconsole::tui::action::{Action, SchemaMsg};
    use dbconsole::tui::app::{App, ConnState, PaneId, Session};
    let tmp = tempfile::tempdir().unwrap();
    let lite = crate::catalog::sqlite_pool(&tmp.path().join("n.db")).await;
    let pg_db = crate::catalog::new_pg_db().await;
    let pg = crate::catalog::pg_pool(&pg_db).await;
    let my_db = crate::catalog::new_my_db().await;
    let my = crate::catalog::my_pool(&my_db).await;
    let ddl = "CREATE TABLE zeta (id INT PRIMARY KEY); CREATE TABLE \"Ünï code\" (id INT); CREATE TABLE alpha (id INT); \
               CREATE VIEW v_alpha AS SELECT id FROM alpha;";
    for (engine, pool, db) in
        [(Engine::Sqlite, &lite, "n.db"), (Engine::Postgres, &pg, pg_db.as_str()), (Engine::Mysql, &my, my_db.as_str())]
    {
        let ddl = if engine == Engine::Mysql { ddl.replace('"', "`") } else { ddl.to_string() };
        crate::catalog::exec(pool, &ddl).await;
        if engine == Engine::Postgres {
            crate::catalog::exec(pool, "CREATE SCHEMA empty_one").await;
        }
        let names = catalog::names(pool, db, Some(db)).await.unwrap();
        let full = catalog::introspect(pool, db, Some(db), |_| {}).await.unwrap();
        let shape = |c: &catalog::Catalog| {
            c.schemas
                .iter()
                .map(|s| (s.name.clone(), s.tables.iter().map(|t| (t.name.clone(), t.kind)).collect::<Vec<_>>()))
                .collect::<Vec<_>>()
        };
        assert_eq!(shape(&names), shape(&full), "{engine}");
        assert!(names.schemas.iter().flat_map(|s| &s.tables).all(|t| t.columns.is_empty()));
        assert_eq!(names.table_count(), 4, "{engine}");
    }
    // In the pane.
    let p = Profile::sqlite("n", tmp.path().join("n.db"));
    let set = ProfileSet { profiles: vec![p.clone()], ..Default::default() };
    let mut app = App::new(dbconsole::tui::theme::Theme::default(), set, None);
    app.session = Some(Session { profile: p.clone(), state: ConnState::Connected("connected".into()) });
    app.pane = PaneId::Schema;
    key(&mut app, crossterm::event::KeyCode::Char('r'));
    let dbconsole::tui::panes::schema::Load::Loading { job, .. } = app.schema.load else { panic!("not loading") };
    let names = catalog::names(&lite, "n.db", None).await.unwrap();
    app.update(Action::Schema(SchemaMsg::Names {
        job,
        profile: "n".into(),
        catalog: Box::new(names),
        elapsed: std::time::Duration::from_millis(3),
    }));
    key(&mut app, crossterm::event::KeyCode::Down);
    key(&mut app, crossterm::event::KeyCode::Down);
    let text = format!("{}", screen(&app, 100, 24).backend());
    assert!(text.contains("4 table(s)/view(s) listed in 3 ms") && text.contains("being read"), "{text}");
    let selected = app.schema.selected_table_name();
    assert!(key(&mut app, crossterm::event::KeyCode::Enter).is_empty(), "browsing waits for the primary key");
    assert!(app.message.as_ref().unwrap().1.contains("still being read"));
    let full = catalog::introspect(&lite, "n.db", None, |_| {}).await.unwrap();
    app.update(Action::Schema(SchemaMsg::Loaded {
        job,
        profile: "n".into(),
        result: Ok(Box::new(full)),
        elapsed: std::time::Duration::from_millis(9),
    }));
    assert_eq!(app.schema.selected_table_name(), selected, "the same table stays selected");
    let text = format!("{}", screen(&app, 100, 24).backend());
    assert!(!text.contains("indexes are being read") && text.contains("name type null"), "{text}");
    lite.close().await;
    pg.close().await;
    my.close().await;
}

/// A URL typed without a password takes PGPASSWORD / MYSQL_PWD from the environment, as psql and mysql do (then
/// .pgpass, then asks); a saved profile does not (its password source says where its password is).
#[test]
fn a_url_without_a_password_takes_the_clients_environment_variable() {
    let sb = Sandbox::new();
    let pg = format!("postgres://dbc@127.0.0.1:{}/dbc", pg_port());
    let my = format!("mysql://dbc@127.0.0.1:{}/dbc", my_port());
    for (url, var, pw) in
        [(&pg, "PGPASSWORD", env("DBC_TEST_PG_PASSWORD")), (&my, "MYSQL_PWD", env("DBC_TEST_MY_PASSWORD"))]
    {
        let o =
            sb.cmd().env(var, &pw).args(["query", url, "-e", "SELECT 1 AS one", "--format", "csv"]).output().unwrap();
        assert_eq!(stdout(&o), "one\n1\n", "{var}: {}", stderr(&o));
        let o = sb.cmd().env(var, "wrong").args(["query", url, "-e", "SELECT 1"]).output().unwrap();
        assert!(!o.status.success() && !stderr(&o).contains("wrong"), "{}", stderr(&o));
    }
    sb.write_profiles(&format!(
        "[profiles.saved]\nengine = \"postgres\"\nhost = \"127.0.0.1\"\nport = {}\ndatabase = \"dbc\"\nuser = \"dbc\"\npassword_source = \"pgpass\"\n",
        pg_port()
    ));
    let o = sb
        .cmd()
        .env("PGPASSWORD", env("DBC_TEST_PG_PASSWORD"))
        .args(["query", "saved", "-e", "SELECT 1"])
        .output()
        .unwrap();
    assert!(!o.status.success(), "a saved pgpass profile does not read PGPASSWORD: {}", stdout(&o));
}

/// A profile with a pooled URL (a real PgBouncer in transaction mode, as Prisma/Supabase set it up) and a direct
/// one: queries go through the pooler, migrations (advisory lock) and the connection test's second part go
/// direct; both are tested and named; a wrong direct password fails the test naming the direct connection; an
/// app's .env imports as such a profile without copying a password.
#[test]
fn pooled_and_direct_urls_through_a_real_pgbouncer() {
    let sb = Sandbox::new();
    let (pgb, pg) = (env("DBC_TEST_PGB_PORT"), pg_port());
    // A database of its own (the migration's history lives in it).
    let db = tokio::runtime::Runtime::new().unwrap().block_on(crate::catalog::new_pg_db());
    let profiles = |direct_pw: &str| {
        format!(
            "[profiles.app]\nurl = \"postgresql://dbc_pool@127.0.0.1:{pgb}/{db}?pgbouncer=true&connect_timeout=15\"\n\
             password_source = \"env\"\npassword_env = \"DBC_TEST_PGB_PASSWORD\"\n\
             direct_url = \"postgresql://dbc:{direct_pw}@127.0.0.1:{pg}/{db}\"\n"
        )
    };
    sb.write_profiles(&profiles(&env("DBC_TEST_PG_PASSWORD")));
    let run = |args: &[&str]| {
        sb.cmd().env("DBC_TEST_PGB_PASSWORD", env("DBC_TEST_PGB_PASSWORD")).args(args).output().unwrap()
    };
    let o = run(&["query", "app", "-e", "SELECT current_user AS u; SELECT 2 AS two", "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("dbc_pool") && stdout(&o).contains("two\n2"),
        "queries go through the pooler: {}",
        stdout(&o)
    );
    let dir = sb.dir.path().join("m");
    std::fs::create_dir_all(&dir).unwrap();
    let table = format!("who_{}", std::process::id());
    std::fs::write(dir.join("1_who.sql"), format!("CREATE TABLE {table} AS SELECT current_user::text AS u;\n"))
        .unwrap();
    let o = run(&["migrate", "apply", "app", "--dir", dir.to_str().unwrap(), "--yes"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let direct = format!("postgres://dbc@127.0.0.1:{pg}/{db}");
    let o = sb
        .cmd()
        .env("PGPASSWORD", env("DBC_TEST_PG_PASSWORD"))
        .args(["query", &direct, "-e", &format!("SELECT u FROM {table}"), "--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "u\ndbc\n", "the migration ran on the direct connection: {}", stderr(&o));
    let o = sb
        .cmd()
        .env("PGPASSWORD", env("DBC_TEST_PG_PASSWORD"))
        .args([
            "query",
            &direct,
            "-e",
            "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory'",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "n\n0\n", "no advisory lock left behind");
    // The connection test tests both and says which is which.
    let o = run(&["profile", "test", "app", "--json"]);
    let j = json(&o);
    assert_eq!(j["ok"], true, "{j}");
    assert_eq!(j["current_user"], "dbc_pool");
    assert_eq!(j["direct"]["current_user"], "dbc");
    assert_eq!(j["direct"]["ok"], true);
    let o = run(&["profile", "test", "app"]);
    let text = stdout(&o);
    assert!(text.contains("pooled") && text.contains("direct ") && text.contains(&format!("127.0.0.1:{pg}")), "{text}");
    // A wrong direct password: the test fails, naming the direct connection.
    sb.write_profiles(&profiles("wrong-password"));
    let o = run(&["profile", "test", "app", "--json"]);
    let j = json(&o);
    assert_eq!(j["ok"], false);
    assert_eq!(j["class"], "auth", "{j}");
    assert!(j["message"].as_str().unwrap().starts_with("direct connection"), "{j}");
    assert!(!o.status.success());
    // An app's .env, imported.
    let envf = sb.dir.path().join(".env");
    std::fs::write(
        &envf,
        format!(
            "DATABASE_URL=\"postgresql://dbc_pool:{}@127.0.0.1:{pgb}/dbc?pgbouncer=true\"\nDIRECT_URL=\"postgresql://dbc:{}@127.0.0.1:{pg}/dbc\"\n",
            env("DBC_TEST_PGB_PASSWORD"),
            env("DBC_TEST_PG_PASSWORD")
        ),
    )
    .unwrap();
    std::fs::remove_file(sb.profiles_file()).unwrap();
    let o = sb.run(&["profile", "import", "--env-file", envf.to_str().unwrap(), "--write"]);
    assert!(o.status.success() && stdout(&o).contains("DATABASE_URL + DIRECT_URL"), "{}{}", stdout(&o), stderr(&o));
    let file = std::fs::read_to_string(sb.profiles_file()).unwrap();
    assert!(file.contains(&format!("direct_url = \"postgresql://dbc@127.0.0.1:{pg}/dbc\"")), "{file}");
    assert!(!file.contains(&env("DBC_TEST_PG_PASSWORD")) && !file.contains(&env("DBC_TEST_PGB_PASSWORD")), "{file}");
}

/// `dbconsole URL` opens on the schema pane with the tables listed (a plain `dbconsole` opens on the profiles).
#[test]
fn a_url_opens_on_its_tables() {
    let sb = Sandbox::new();
    let dir = sb.dir.path().join("m");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("1_t.sql"),
        "CREATE TABLE invoices (id INTEGER PRIMARY KEY);\nCREATE TABLE \"Ünï\" (x TEXT);\n",
    )
    .unwrap();
    let file = sb.dir.path().join("app.db");
    let url = format!("sqlite:{}", file.display());
    assert!(sb.run(&["migrate", "apply", &url, "--dir", dir.to_str().unwrap(), "--yes", "--create"]).status.success());
    let t = Tmux::start_with(&sb, "urlopen", 100, 30, "exec bash --norc --noprofile -i # ");
    std::thread::sleep(Duration::from_millis(300));
    t.text(&format!(
        "DBCONSOLE_CONFIG_DIR='{}' DBCONSOLE_DATA_DIR='{}' '{}' '{}'",
        sb.config().display(),
        sb.data().display(),
        env!("CARGO_BIN_EXE_dbconsole"),
        file.display()
    ));
    t.keys(&["Enter"]);
    let screen = t.wait_for("invoices");
    assert!(screen.contains("┌ Schema") && screen.contains("Ünï"), "{screen}");
    t.keys(&["q"]);
    // Typed only once dbconsole is gone: while it runs, it would read the text as keys.
    let start = Instant::now();
    while t.capture().contains("┌ Schema") {
        assert!(start.elapsed() < Duration::from_secs(10), "dbconsole did not quit");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(200));
    t.text("echo FINISHED-$?");
    t.keys(&["Enter"]);
    t.wait_for("FINISHED-0");
}

/// In the TUI, a pooled + direct profile opens both at connect; the migrations pane applies on the direct one.
#[test]
fn the_tui_applies_migrations_on_the_direct_connection() {
    let sb = Sandbox::new();
    let (pgb, pg) = (env("DBC_TEST_PGB_PORT"), pg_port());
    let db = tokio::runtime::Runtime::new().unwrap().block_on(crate::catalog::new_pg_db());
    let dir = sb.dir.path().join("m");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("1_who.sql"), "CREATE TABLE who AS SELECT current_user::text AS u;\n").unwrap();
    sb.write_profiles(&format!(
        "[profiles.app]\nurl = \"postgresql://dbc_pool@127.0.0.1:{pgb}/{db}?pgbouncer=true\"\n\
         password_source = \"env\"\npassword_env = \"DBC_TEST_PGB_PASSWORD\"\n\
         direct_url = \"postgresql://dbc:{}@127.0.0.1:{pg}/{db}\"\nmigrations = \"{}\"\n",
        env("DBC_TEST_PG_PASSWORD"),
        dir.display()
    ));
    let t = Tmux::start(&sb, "directtui", 140, 30);
    t.wait_for(&format!("direct dbc@127.0.0.1:{pg}"));
    t.keys(&["3"]);
    t.wait_for("1 pending");
    t.keys(&["a"]);
    t.wait_for("Apply 1 pending");
    t.keys(&["y"]);
    t.wait_for("apply: 1 migration(s) done");
    t.keys(&["q"]);
    wait_exit(&t);
    let direct = format!("postgres://dbc@127.0.0.1:{pg}/{db}");
    let o = sb
        .cmd()
        .env("PGPASSWORD", env("DBC_TEST_PG_PASSWORD"))
        .args(["query", &direct, "-e", "SELECT u FROM who", "--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "u\ndbc\n", "{}", stderr(&o));
}

/// Two dbconsoles at once: the first keeps the editor tabs, the second says it does not and asks before its
/// untitled text is lost; the first one's tabs survive whichever quits last.
#[test]
fn a_second_dbconsole_does_not_wipe_the_first_ones_tabs() {
    let sb = Sandbox::new();
    let a = Tmux::start(&sb, "drafts-a", 100, 30);
    a.wait_for("Profiles (1)");
    a.keys(&["5"]);
    a.wait_for("untitled");
    a.text("select 'kept by A'");
    let b = Tmux::start(&sb, "drafts-b", 120, 30);
    b.wait_for("connected");
    b.keys(&["L"]);
    b.wait_for("another dbconsole keeps the editor tabs");
    b.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(150));
    b.keys(&["5"]);
    b.wait_for("untitled");
    b.text("select 'typed in B'");
    b.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(150));
    b.keys(&["q"]);
    let screen = b.wait_for("Unsaved changes");
    assert!(screen.contains("untitled"), "{screen}");
    b.keys(&["y"]);
    assert_eq!(wait_exit(&b), "DBCONSOLE-EXITED-0");
    a.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(150));
    a.keys(&["q"]);
    assert_eq!(wait_exit(&a), "DBCONSOLE-EXITED-0");
    let drafts = std::fs::read_to_string(sb.data().join("editor-tabs.toml")).unwrap();
    assert!(drafts.contains("kept by A") && !drafts.contains("typed in B"), "{drafts}");
}

/// The browser on a table of exactly one page: `>` finds the next page empty, says so and stays on the last one;
/// a browse with staged edits in the query pane is refused before anything changes.
#[test]
fn the_browser_stays_on_a_full_last_page() {
    let sb = Sandbox::new();
    let t = Tmux::start(&sb, "browse-last", 120, 30);
    open_in_browser(&t, "products", "b");
    t.wait_for("products · page 1 · row 1");
    t.keys(&[">"]);
    let screen = t.wait_for("that was the last page");
    let screen = if screen.contains("products · page 1") { screen } else { t.wait_for("products · page 1") };
    assert!(screen.contains("SELECT · 200 rows"), "{screen}");
    // Stage an edit, then try to browse another table.
    t.keys(&["l", "c", "C-u"]);
    t.text("SKU-changed");
    t.keys(&["Enter"]);
    t.wait_for("1 staged edit(s)");
    t.keys(&["2"]);
    t.keys(&["Up", "b"]);
    t.wait_for("apply (W) or undo (u) the staged edits");
    t.keys(&["5"]);
    // The staged edit is still there (waited for: a capture can catch the frame half drawn).
    let screen = t.wait_for("1 staged edit(s)");
    assert!(screen.contains("products · page 1"), "{screen}");
    t.keys(&["u", "q"]);
    wait_exit(&t);
}

/// A long SQLite statement whose run is dropped part-way (a job aborted): the reader is interrupted and waited for
/// before sqlx gets its connection back, and the pool goes on working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_sqlite_run_gives_its_connection_back_intact() {
    use dbconsole::core::query::Session;
    let dir = tempfile::tempdir().unwrap();
    let pool = crate::catalog::sqlite_pool(&dir.path().join("d.db")).await;
    for _ in 0..3 {
        let p = pool.clone();
        let job = tokio::spawn(async move {
            let mut s = Session::open(&p).await.unwrap();
            let mut c = crate::query::Collect::default();
            let _ = s
                .run("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c", &mut c)
                .await;
        });
        tokio::time::sleep(Duration::from_millis(150)).await;
        job.abort();
        let _ = job.await;
        let mut s = Session::open(&pool).await.unwrap();
        let c = crate::query::collect(&mut s, "SELECT 41 + 1 AS n").await;
        assert_eq!(c.rows.get(0, 0), Some("42"));
        s.close().await;
    }
    pool.close().await;
}

/// A SQLite CHECK written against 0/1 on a column that becomes boolean on PostgreSQL is rewritten (TRUE/FALSE)
/// and created; the run exits 0 with every row.
#[tokio::test]
async fn a_check_on_a_column_that_becomes_boolean_is_rewritten() {
    let sb = Sandbox::new();
    let lite = sb.dir.path().join("b.db");
    let pool = crate::catalog::sqlite_pool(&lite).await;
    crate::catalog::exec(
        &pool,
        "CREATE TABLE b (id INTEGER PRIMARY KEY, flag BOOLEAN NOT NULL CHECK (flag IN (0, 1)), n INTEGER CHECK (n IN (0, 1, 2)));
         INSERT INTO b VALUES (1, 1, 2), (2, 0, 0);",
    )
    .await;
    pool.close().await;
    let db = crate::catalog::new_pg_db().await;
    let to = format!("postgres://dbc@127.0.0.1:{}/{db}", pg_port());
    let from = format!("sqlite:{}", lite.display());
    let o = sb
        .cmd()
        .current_dir(sb.dir.path())
        .env("PGPASSWORD", env("DBC_TEST_PG_PASSWORD"))
        .args(["transfer", "run", "--from", &from, "--to", &to, "--yes", "--verify"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(!stderr(&o).contains("not created"), "{}", stderr(&o));
    let o = sb
        .cmd()
        .env("PGPASSWORD", env("DBC_TEST_PG_PASSWORD"))
        .args([
            "query",
            &to,
            "-e",
            "SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE contype = 'c' ORDER BY 1",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    let text = stdout(&o);
    assert!(text.contains("flag = ANY (ARRAY[false, true])") || text.contains("flag IN (false, true)"), "{text}");
    assert!(text.contains("n = ANY (ARRAY[0, 1, 2])"), "{text}");
}

/// Under NO_COLOR (the monochrome theme) what Enter acts on still shows: the selected profile, the selected
/// table and the active pane are in reverse video, and nothing has a colour.
#[tokio::test]
async fn no_color_still_shows_the_selection() {
    use dbconsole::core::profile::{Profile, ProfileSet};
    use dbconsole::tui::app::{App, ConnState, PaneId, Session};
    use ratatui::style::Modifier;
    let a = Profile::sqlite("alpha", "/data/alpha.db".into());
    let b = Profile::sqlite("beta", "/data/beta.db".into());
    let set = ProfileSet { profiles: vec![a.clone(), b], ..Default::default() };
    let mut app = App::new(dbconsole::tui::theme::Theme::mono(), set, None);
    app.session = Some(Session { profile: a, state: ConnState::Connected("connected".into()) });
    app.profiles.selected = 1;
    let reversed_cells = |t: &ratatui::Terminal<ratatui::backend::TestBackend>, text: &str| {
        let buf = t.backend().buffer();
        let area = buf.area;
        (0..area.height).any(|y| {
            let line: String = (0..area.width).map(|x| buf[(x, y)].symbol().to_string()).collect();
            line.find(text).is_some_and(|i| {
                let x = line[..i].chars().count() as u16;
                buf[(x, y)].modifier.contains(Modifier::REVERSED)
            })
        })
    };
    let t = screen(&app, 80, 24);
    assert!(reversed_cells(&t, "beta lite"), "the selected profile: {}", t.backend());
    assert!(!reversed_cells(&t, "alpha lite"), "{}", t.backend());
    assert!(reversed_cells(&t, "1 Profiles"), "the active pane: {}", t.backend());
    let colours = t
        .backend()
        .buffer()
        .content()
        .iter()
        .filter(|c| c.fg != ratatui::style::Color::Reset || c.bg != ratatui::style::Color::Reset)
        .count();
    assert_eq!(colours, 0, "no colour under NO_COLOR");
    // The schema tree.
    let dir = tempfile::tempdir().unwrap();
    let pool = crate::catalog::sqlite_pool(&dir.path().join("m.db")).await;
    crate::catalog::exec(&pool, "CREATE TABLE first_t (id INT); CREATE TABLE second_t (id INT);").await;
    let cat = dbconsole::core::catalog::introspect(&pool, "m.db", None, |_| {}).await.unwrap();
    app.schema.set_catalog("alpha", cat, std::time::Duration::ZERO);
    app.pane = PaneId::Schema;
    key(&mut app, crossterm::event::KeyCode::Down);
    key(&mut app, crossterm::event::KeyCode::Down);
    let t = screen(&app, 80, 24);
    assert!(reversed_cells(&t, "second_t") || reversed_cells(&t, "▸ second_t"), "the selected table: {}", t.backend());
    assert!(reversed_cells(&t, "2 Schema"));
    pool.close().await;
}

/// Every run key has a letter that every terminal sends (after Esc, in the results): r, R, e, E as F5–F8.
#[test]
fn run_keys_without_function_keys() {
    use dbconsole::core::profile::{Profile, ProfileSet};
    use dbconsole::tui::app::{App, ConnState, PaneId, Session};
    use dbconsole::tui::effect::Effect;
    let p = Profile::sqlite("x", "/x.db".into());
    let set = ProfileSet { profiles: vec![p.clone()], ..Default::default() };
    let mut app = App::new(dbconsole::tui::theme::Theme::default(), set, None);
    app.session = Some(Session { profile: p, state: ConnState::Connected("connected".into()) });
    app.pane = PaneId::Query;
    app.query.open_text("select 1;\nselect 2", None);
    key(&mut app, crossterm::event::KeyCode::Esc);
    for (k, expect) in
        [('r', vec!["select 2"]), ('R', vec!["select 1", "select 2"]), ('e', vec!["EXPLAIN QUERY PLAN select 2"])]
    {
        app.query.run = dbconsole::tui::panes::query::RunState::Idle;
        let fx = key(&mut app, crossterm::event::KeyCode::Char(k));
        let texts: Vec<String> = fx
            .iter()
            .find_map(|e| match e {
                Effect::RunQuery { statements, .. } => Some(statements.iter().map(|s| s.text.clone()).collect()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{k}: {fx:?}"));
        assert_eq!(texts, expect, "{k}");
    }
}

/// The pane bar never cuts a label: at 64 columns and more everything, at 60 without the name, narrower the
/// active pane's title and the others' numbers.
#[test]
fn the_pane_bar_fits_narrow_terminals() {
    use dbconsole::core::profile::ProfileSet;
    use dbconsole::tui::app::{App, PaneId};
    let mut app = App::new(dbconsole::tui::theme::Theme::default(), ProfileSet::default(), None);
    app.pane = PaneId::Query;
    let top = |w: u16| {
        let t = screen(&app, w, 20);
        (0..w).map(|x| t.backend().buffer()[(x, 0)].symbol().to_string()).collect::<String>()
    };
    assert!(top(80).starts_with(" dbconsole  1 Profiles"), "{}", top(80));
    let t60 = top(60);
    assert!(!t60.contains("dbconsole") && t60.contains("5 Query") && t60.contains("3 Migrations"), "{t60}");
    let t40 = top(40);
    assert!(t40.contains("5 Query") && t40.contains(" 1  2  3  4 "), "{t40}");
}

/// Themes end to end in the real binary: DBCONSOLE_THEME=light draws the selection white on blue; a theme of the
/// user's own in the config dir (24-bit colours) is degraded to the 256-colour palette on a 256-colour terminal;
/// a broken theme.toml starts on the built-in theme and says which file and line.
#[test]
fn themes_chosen_by_name_degraded_to_the_terminal_and_broken_files_named() {
    let sb = Sandbox::new();
    let run = |name: &str, env: &str| {
        let t = Tmux::start_with(&sb, name, 80, 24, &format!("export TERM=screen-256color COLORTERM= {env}; "));
        t.wait_for("Profiles");
        std::thread::sleep(std::time::Duration::from_millis(300));
        let s = t.capture_escaped();
        t.keys(&["q"]);
        s
    };
    let light = run("light", "DBCONSOLE_THEME=light");
    // The selected profile white on blue (tmux reports palette colours as indexes: 15 white, 4 blue).
    assert!(light.contains("\u{1b}[38;5;15m\u{1b}[48;5;4m● demo"), "{light:?}");
    std::fs::create_dir_all(sb.config().join("themes")).unwrap();
    std::fs::write(
        sb.config().join("themes/sunset.toml"),
        "base = \"dark\"\nselected = { fg = \"#000000\", bg = \"#ff8700\" }\n",
    )
    .unwrap();
    let own = run("own", "DBCONSOLE_THEME=sunset");
    // #ff8700 is index 208 of the 256-colour palette; no 24-bit sequence is sent to a 256-colour terminal.
    assert!(own.contains("48;5;208"), "{own:?}");
    assert!(!own.contains("48;2;"), "{own:?}");
    std::fs::write(sb.config().join("theme.toml"), "# mine\nselected = { fg = \"not-a-colour\" }\n").unwrap();
    let t = Tmux::start_with(&sb, "broken", 100, 24, "");
    t.wait_for("Profiles");
    // In the message log (L): the connection's own message comes after it on the status bar.
    t.keys(&["L"]);
    let s = t.wait_for("theme.toml");
    assert!(s.contains("line 2") && s.contains("not-a-colour"), "{s}");
    // L closes the log (Esc followed at once by another key would read as Alt+key).
    t.keys(&["L"]);
    let start = Instant::now();
    while t.capture().contains("Messages — newest first") {
        assert!(start.elapsed() < Duration::from_secs(10), "the message log did not close");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Ctrl-T switches live.
    t.keys(&["C-t"]);
    t.wait_for("theme: light");
    t.keys(&["C-t"]);
    t.wait_for("theme: high-contrast");
    t.keys(&["q"]);
}
