//! Issue #15's seams between panes, as pure update tests: state that follows the active profile (no plan,
//! catalog or result of the previous profile under the new name; a transaction asks first; a running job blocks
//! the switch), Ctrl-C that stops what runs before it quits, the schema refreshed after DDL and migrations, and
//! the details' scroll starting at the top of each table.
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use dbconsole::core::catalog;
use dbconsole::core::migrate;
use dbconsole::core::profile::{Profile, ProfileSet};
use dbconsole::core::query::TxnState;
use dbconsole::tui::action::{Action, MigrationsMsg, QueryMsg, SchemaMsg, StatementDone};
use dbconsole::tui::app::{App, ConfirmTarget, ConnState, Dialog, PaneId, Session};
use dbconsole::tui::effect::Effect;
use dbconsole::tui::panes::migrations::{RunKind, RunState};
use dbconsole::tui::theme::Theme;

use crate::catalog::{exec, sqlite_pool};
use crate::common::key;

fn two_profiles() -> App {
    let a = Profile::sqlite("alpha", "/data/alpha.db".into());
    let b = Profile::sqlite("beta", "/data/beta.db".into());
    let set = ProfileSet { profiles: vec![a.clone(), b], ..Default::default() };
    let mut app = App::new(Theme::default(), set, None);
    app.session = Some(Session { profile: a, state: ConnState::Connected("connected".into()) });
    app
}

async fn review(dir: &std::path::Path) -> migrate::Review {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("1_a.sql"), "CREATE TABLE a (i INT);").unwrap();
    std::fs::write(dir.join("2_b.sql"), "CREATE TABLE b (i INT);").unwrap();
    let pool = sqlite_pool(&dir.join("db.sqlite")).await;
    let folder = migrate::load(dir, pool.engine()).unwrap();
    let plan = migrate::status(&pool, &folder).await.unwrap();
    migrate::Review { folder, plan, findings: Vec::new() }
}

/// Selects `beta` in the profiles pane and presses Enter.
fn switch_to_beta(app: &mut App) -> Vec<Effect> {
    app.pane = PaneId::Profiles;
    app.profiles.selected = 1;
    key(app, KeyCode::Enter)
}

#[tokio::test]
async fn switching_profile_forgets_the_previous_profiles_plan_catalog_and_results() {
    let tmp = tempfile::tempdir().unwrap();
    let mut app = two_profiles();
    app.migrations.profile = Some("alpha".into());
    app.migrations.set_planned(review(&tmp.path().join("m")).await);
    let pool = sqlite_pool(&tmp.path().join("c.db")).await;
    exec(&pool, "CREATE TABLE t (i INT)").await;
    let c = catalog::introspect(&pool, "c.db", None, |_| {}).await.unwrap();
    app.schema.set_catalog("alpha", c, std::time::Duration::ZERO);
    app.query.notices.push(dbconsole::core::query::notices::Notice {
        level: "NOTICE".into(),
        code: None,
        message: "x".into(),
    });
    let effects = switch_to_beta(&mut app);
    assert!(effects.iter().any(|e| matches!(e, Effect::EndQuerySession)), "{effects:?}");
    assert!(effects.iter().any(|e| matches!(e, Effect::Connect { profile, .. } if profile.name == "beta")));
    assert!(app.migrations.planned.is_none(), "alpha's plan must not show under beta");
    assert!(app.schema.catalog.is_none(), "alpha's catalog must not show under beta");
    assert!(app.query.notices.is_empty());
    // A late result of alpha's plan job is dropped.
    let late = Action::Migrations(MigrationsMsg::Planned {
        job: 1,
        profile: "alpha".into(),
        result: Ok(Box::new(review(&tmp.path().join("m2")).await)),
    });
    app.update(late);
    assert!(app.migrations.planned.is_none());
    // Reconnecting the same profile keeps its state.
    let same = {
        app.profiles.selected = 1;
        key(&mut app, KeyCode::Enter)
    };
    assert!(!same.iter().any(|e| matches!(e, Effect::EndQuerySession)));
}

#[test]
fn switching_with_a_transaction_open_asks_first_and_a_running_job_blocks_it() {
    let mut app = two_profiles();
    app.query.txn = TxnState::Open;
    assert!(switch_to_beta(&mut app).is_empty(), "nothing happens before the answer");
    assert!(matches!(&app.dialog, Some(Dialog::Confirm(c)) if matches!(c.target, ConfirmTarget::Switch { .. })));
    assert!(key(&mut app, KeyCode::Char('n')).is_empty());
    assert_eq!(app.session.as_ref().unwrap().profile.name, "alpha", "stayed");
    assert_eq!(app.query.txn, TxnState::Open, "the badge stays true");
    switch_to_beta(&mut app);
    let effects = key(&mut app, KeyCode::Char('y'));
    assert!(effects.iter().any(|e| matches!(e, Effect::EndQuerySession)), "{effects:?}");
    assert_eq!(app.query.txn, TxnState::Idle, "the transaction ended with the connection");
    assert_eq!(app.session.as_ref().unwrap().profile.name, "beta");

    let mut app = two_profiles();
    app.query.run =
        dbconsole::tui::panes::query::RunState::Running { job: 7, started: Instant::now(), index: 1, total: 1 };
    assert!(switch_to_beta(&mut app).is_empty());
    assert_eq!(app.session.as_ref().unwrap().profile.name, "alpha");
    assert!(app.message.as_ref().is_some_and(|(_, m)| m.contains("a query is running")), "{:?}", app.message);
}

fn ctrl_c(app: &mut App) -> Vec<Effect> {
    app.update(Action::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)))
}

#[test]
fn ctrl_c_stops_what_runs_before_it_quits() {
    let mut app = two_profiles();
    app.query.run =
        dbconsole::tui::panes::query::RunState::Running { job: 7, started: Instant::now(), index: 1, total: 1 };
    assert!(matches!(ctrl_c(&mut app).as_slice(), [Effect::CancelQuery]));
    app.query.run = dbconsole::tui::panes::query::RunState::Idle;
    app.migrations.run = RunState::Running {
        job: 9,
        kind: RunKind::Apply,
        index: 1,
        total: 2,
        current: String::new(),
        statement: (0, 0),
    };
    assert!(matches!(ctrl_c(&mut app).first(), Some(Effect::Cancel { job: 9 })));
    assert!(matches!(app.migrations.run, RunState::Failed { .. }));
    app.schema.counts.insert(("main".into(), "t".into()), dbconsole::tui::panes::schema::Count::Running(11));
    assert!(matches!(ctrl_c(&mut app).as_slice(), [Effect::Cancel { job: 11 }]));
    assert!(matches!(ctrl_c(&mut app).as_slice(), [Effect::Quit]), "nothing runs: quit");
}

#[tokio::test]
async fn ddl_in_the_editor_and_an_applied_migration_refresh_the_catalog() {
    let mut app = two_profiles();
    app.pane = PaneId::Query;
    app.query.run =
        dbconsole::tui::panes::query::RunState::Running { job: 5, started: Instant::now(), index: 1, total: 1 };
    let done = StatementDone { index: 1, verb: "CREATE".into(), outcome: Default::default() };
    app.update(Action::Query(QueryMsg::StatementDone { job: 5, done: Box::new(done) }));
    let effects = app.update(Action::Query(QueryMsg::Finished { job: 5, txn: TxnState::Idle }));
    assert!(effects.iter().any(|e| matches!(e, Effect::LoadCatalog { .. })), "{effects:?}");

    app.migrations.run = RunState::Running {
        job: 6,
        kind: RunKind::Apply,
        index: 1,
        total: 1,
        current: String::new(),
        statement: (0, 0),
    };
    let report = migrate::RunReport { done: vec![(1, "a".into(), 1.0)], ..Default::default() };
    let effects = app.update(Action::Migrations(MigrationsMsg::Ran { job: 6, result: Ok(Box::new(report)) }));
    assert!(effects.iter().any(|e| matches!(e, Effect::LoadCatalog { .. })), "{effects:?}");
    assert!(effects.iter().any(|e| matches!(e, Effect::PlanMigrations { .. })), "{effects:?}");
}

#[tokio::test]
async fn the_details_start_at_the_top_of_each_table() {
    let tmp = tempfile::tempdir().unwrap();
    let pool = sqlite_pool(&tmp.path().join("c.db")).await;
    exec(&pool, "CREATE TABLE a (i INT); CREATE TABLE b (j INT);").await;
    let c = catalog::introspect(&pool, "c.db", None, |_| {}).await.unwrap();
    let mut app = two_profiles();
    app.pane = PaneId::Schema;
    app.update(Action::Schema(SchemaMsg::Loaded {
        job: 0,
        profile: "alpha".into(),
        result: Ok(Box::new(c.clone())),
        elapsed: std::time::Duration::ZERO,
    }));
    app.schema.set_catalog("alpha", c.clone(), std::time::Duration::ZERO);
    app.schema.detail_scroll = 15;
    let before = app.schema.selected_table();
    key(&mut app, KeyCode::Down);
    assert_ne!(app.schema.selected_table(), before, "another table is selected");
    assert_eq!(app.schema.detail_scroll, 0, "its details start at the top");
    // Another profile's catalog starts at the first row.
    app.schema.selected = 1;
    app.schema.set_catalog("beta", c, std::time::Duration::ZERO);
    assert_eq!((app.schema.selected, app.schema.detail_scroll), (0, 0));
}

/// Connection strings apps already have: Prisma's pooled URL (pgbouncer, connect_timeout, connection_limit,
/// pool_timeout, schema), Go's run-time parameters (search_path, statement_timeout), SQLAlchemy's `+driver`
/// schemes, other clients' options noted and ignored, a malformed option refused with the password masked, and a
/// bare SQLite path.
#[test]
fn urls_that_apps_already_have() {
    use crate::common::*;
    let sb = Sandbox::new();
    let (pg, my) = (env("DBC_TEST_PG_PASSWORD"), env("DBC_TEST_MY_PASSWORD"));
    let base = format!("postgresql://dbc:{pg}@127.0.0.1:{}/dbc", pg_port());
    let prisma = format!("{base}?pgbouncer=true&connect_timeout=15&connection_limit=3&pool_timeout=5&schema=app_s");
    let o = sb.run(&["query", &prisma, "-e", "SHOW search_path", "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "search_path\napp_s\n");
    let go = format!("{base}?search_path=family_tree&statement_timeout=5000&sslaccept=strict");
    let o = sb.run(&[
        "query",
        &go,
        "-e",
        "SELECT current_setting('statement_timeout') AS t, current_setting('search_path') AS p",
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "t,p\n5s,family_tree\n");
    assert!(stderr(&o).contains("sslaccept") && stderr(&o).contains("ignored"), "{}", stderr(&o));
    let sqlalchemy = base.replacen("postgresql://", "postgresql+psycopg2://", 1);
    assert!(sb.run(&["query", &sqlalchemy, "-e", "SELECT 1"]).status.success());
    let pymysql = format!("mysql+pymysql://dbc:{my}@127.0.0.1:{}/dbc?charset=utf8mb4", my_port());
    let o = sb.run(&["query", &pymysql, "-e", "SELECT 1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bad = format!("{base}?not-a-setting=1");
    let o = sb.run(&["query", &bad, "-e", "SELECT 1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("`not-a-setting`") && !stderr(&o).contains(&pg), "{}", stderr(&o));
    // A bare path is a SQLite file (there is no profile of that name).
    std::fs::create_dir_all(sb.data()).unwrap();
    let file = sb.data().join("app.db");
    std::fs::write(&file, b"").unwrap();
    let o = sb.run(&["query", file.to_str().unwrap(), "-e", "SELECT 41 + 1 AS n", "--format", "csv"]);
    assert_eq!(stdout(&o), "n\n42\n", "{}", stderr(&o));
}

/// A PostgreSQL URL without a password looks in .pgpass and, when nothing is there, asks (as psql does) instead of
/// connecting without one.
#[test]
fn a_url_without_a_password_asks_when_pgpass_has_none() {
    use dbconsole::core::profile::password::{Resolved, resolve};
    let home = tempfile::tempdir().unwrap();
    // SAFETY: tests in this binary do not read HOME/PGPASSFILE concurrently with this one's change... they do run
    // in parallel, so point PGPASSFILE (which wins over HOME) at an empty file instead of touching HOME.
    let empty = home.path().join("pgpass");
    std::fs::write(&empty, "").unwrap();
    crate::common::set_mode(&empty, 0o600);
    let p = dbconsole::core::profile::url::parse_url("postgres://nobody@127.0.0.1:5999/x").unwrap();
    let r = with_pgpassfile(&empty, || resolve(&p, None).unwrap());
    assert!(matches!(r, Resolved::MustAsk { .. }), "{r:?}");
}

fn with_pgpassfile<T>(path: &std::path::Path, f: impl FnOnce() -> T) -> T {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _g = LOCK.lock().unwrap();
    let old = std::env::var_os("PGPASSFILE");
    // SAFETY: serialized by LOCK; no other test reads PGPASSFILE.
    unsafe { std::env::set_var("PGPASSFILE", path) };
    let r = f();
    match old {
        // SAFETY: as above.
        Some(v) => unsafe { std::env::set_var("PGPASSFILE", v) },
        None => unsafe { std::env::remove_var("PGPASSFILE") },
    }
    r
}

/// Enter never means yes for destructive work, and on a production profile its name must be typed, as the CLI
/// asks.
#[test]
fn confirmations_want_a_yes_and_production_wants_its_name() {
    let mut app = two_profiles();
    app.pane = PaneId::Query;
    app.query.tabs[0].area.insert_str("DROP TABLE t");
    key(&mut app, KeyCode::F(5));
    assert!(matches!(app.dialog, Some(Dialog::Confirm(_))));
    assert!(key(&mut app, KeyCode::Enter).is_empty(), "Enter does not confirm");
    assert!(matches!(app.dialog, Some(Dialog::Confirm(_))), "still asking");
    assert!(key(&mut app, KeyCode::Char('y')).iter().any(|e| matches!(e, Effect::RunQuery { .. })));

    let mut prod = Profile::sqlite("prod", "/data/prod.db".into());
    prod.environment = dbconsole::core::profile::Environment::Production;
    let set = ProfileSet { profiles: vec![prod.clone()], ..Default::default() };
    let mut app = App::new(Theme::default(), set, None);
    app.session = Some(Session { profile: prod, state: ConnState::Connected("connected".into()) });
    app.pane = PaneId::Query;
    app.query.tabs[0].area.insert_str("DELETE FROM t");
    let asked = key(&mut app, KeyCode::F(5));
    assert!(asked.is_empty() && matches!(app.dialog, Some(Dialog::Confirm(_))), "{asked:?}");
    let y = key(&mut app, KeyCode::Char('y'));
    assert!(y.is_empty(), "y alone does not confirm on production: {y:?}");
    for c in "pro".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    assert!(key(&mut app, KeyCode::Enter).is_empty(), "a wrong name does not confirm");
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Backspace); // the `y` typed first
    for c in "prod".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    assert!(key(&mut app, KeyCode::Enter).iter().any(|e| matches!(e, Effect::RunQuery { .. })));
}

/// Bracketed paste is text: into the editor as it is (a tab stays a tab), and never keys elsewhere; Esc and a key
/// that arrive in one read (Alt-key) are both read; the help stops at its end.
#[test]
fn paste_esc_key_and_help_paging() {
    let mut app = two_profiles();
    app.pane = PaneId::Query;
    let e = app.update(Action::Paste("SELECT\t1;\r\nSELECT 2".into()));
    assert!(e.is_empty());
    assert_eq!(app.query.tabs[0].area.lines().join("\n"), "SELECT\t1;\nSELECT 2");
    assert!(app.query.completion.is_none(), "a pasted tab does not complete");
    // In the profiles pane a paste of "dq" neither deletes nor quits.
    app.pane = PaneId::Profiles;
    assert!(app.update(Action::Paste("dq".into())).is_empty());
    assert!(app.dialog.is_none());
    // Esc then 2 in one read arrives as Alt-2: both keys act (Esc does nothing here, 2 goes to the schema pane).
    app.update(Action::Key(KeyEvent::new(KeyCode::Char('2'), KeyModifiers::ALT)));
    assert_eq!(app.pane, PaneId::Schema);
    // The help scrolls to its end and no further.
    app.update(Action::Key(KeyEvent::new(KeyCode::Char('?'), KeyModifiers::NONE)));
    assert!(app.help);
    key(&mut app, KeyCode::End);
    let end = app.help_scroll;
    key(&mut app, KeyCode::PageDown);
    key(&mut app, KeyCode::Down);
    assert_eq!(app.help_scroll, end, "stops at its end");
    assert!(end > 0 && end < 200, "{end}");
    key(&mut app, KeyCode::Home);
    assert_eq!(app.help_scroll, 0);
}

/// A transfer run again onto a target that still holds its tables says it already ran; onto a target whose tables
/// are gone (the database made again) it simply runs.
#[tokio::test]
async fn a_transfer_runs_again_onto_a_recreated_target() {
    use crate::common::*;
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let lite = sb.data().join("src.db");
    let pool = sqlite_pool(&lite).await;
    exec(&pool, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b');").await;
    pool.close().await;
    let pg_db = crate::catalog::new_pg_db().await;
    sb.write_profiles(&format!(
        "[profiles.lite]\nengine = \"sqlite\"\npath = \"{}\"\n\n[profiles.pg]\nengine = \"postgres\"\nhost = \"127.0.0.1\"\n\
         port = {}\nuser = \"dbc\"\ndatabase = \"{pg_db}\"\npassword_source = \"env\"\npassword_env = \"DBC_TEST_PG_PASSWORD\"\n",
        lite.display(),
        pg_port()
    ));
    let run = ["transfer", "run", "--from", "lite", "--to", "pg", "--yes"];
    assert!(sb.run(&run).status.success());
    let o = sb.run(&run);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already ran to the end"), "{}", stderr(&o));
    let pg = crate::catalog::pg_pool(&pg_db).await;
    exec(&pg, "DROP TABLE t").await;
    let o = sb.run(&run);
    assert!(o.status.success(), "{}", stderr(&o));
    let dbconsole::core::engine::DbPool::Postgres(p) = &pg else { unreachable!() };
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM t").fetch_one(p).await.unwrap();
    assert_eq!(n, 2);
}

/// `A` applies up to the selected migration; the confirmation names what a revert undoes.
#[tokio::test]
async fn apply_up_to_the_selected_version_and_a_revert_named() {
    let tmp = tempfile::tempdir().unwrap();
    let mut app = two_profiles();
    app.pane = PaneId::Migrations;
    app.migrations.profile = Some("alpha".into());
    app.migrations.set_planned(review(&tmp.path().join("m")).await);
    app.migrations.selected = 0;
    key(&mut app, KeyCode::Char('A'));
    let Some(Dialog::Confirm(c)) = &app.dialog else { panic!("no confirmation") };
    assert!(c.lines[0].1.contains("Apply 1 pending migration(s), up to 1"), "{}", c.lines[0].1);
    let effects = key(&mut app, KeyCode::Char('y'));
    assert!(
        matches!(effects.as_slice(), [Effect::RunMigrations { kind: RunKind::Apply, up_to: Some(1), .. }]),
        "{effects:?}"
    );
}

/// Ctrl-Z gives the terminal back and stops dbconsole (as psql, vim and less do); `fg` brings its screen back. Run
/// from an interactive bash, whose job control is what a user has.
#[test]
fn ctrl_z_suspends_and_fg_brings_it_back() {
    use crate::common::*;
    let sb = Sandbox::new();
    // The pane runs an interactive bash (the rest of the usual command is a comment); dbconsole is typed into it.
    let t = Tmux::start_with(&sb, "suspend", 80, 24, "exec bash --norc --noprofile -i # ");
    std::thread::sleep(std::time::Duration::from_millis(300));
    t.text(&format!(
        "DBCONSOLE_CONFIG_DIR='{}' DBCONSOLE_DATA_DIR='{}' '{}'",
        sb.config().display(),
        sb.data().display(),
        env!("CARGO_BIN_EXE_dbconsole")
    ));
    t.keys(&["Enter"]);
    t.wait_for("Profiles (1)");
    t.keys(&["C-z"]);
    let screen = t.wait_for("Stopped");
    assert_eq!(t.display("#{alternate_on}"), "0", "the terminal is given back: {screen}");
    t.text("fg");
    t.keys(&["Enter"]);
    let started = Instant::now();
    while t.display("#{alternate_on}") != "1" {
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "the TUI did not come back: {}", t.capture());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    t.wait_for("Profiles (1)");
    t.keys(&["q"]);
    let started = Instant::now();
    while t.display("#{alternate_on}") != "0" {
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "did not quit");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    t.text("echo FINISHED-$?");
    t.keys(&["Enter"]);
    t.wait_for("FINISHED-0");
}

/// `migrate apply` cannot work on a SQLite file that does not exist: it says so and how (`--create`), and with
/// `--create` it makes the file (owner-only) and applies; opening and testing still never create one.
#[test]
fn migrate_apply_create_makes_a_new_sqlite_file() {
    use crate::common::*;
    let sb = Sandbox::new();
    let dir = sb.dir.path().join("m");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("1_t.sql"), "CREATE TABLE t (id INTEGER PRIMARY KEY);\n").unwrap();
    let file = sb.dir.path().join("new.db");
    let url = format!("sqlite:{}", file.display());
    let o = sb.run(&["migrate", "apply", &url, "--dir", dir.to_str().unwrap(), "--yes"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--create") && !file.exists(), "{}", stderr(&o));
    assert!(!sb.run(&["profile", "test", &url]).status.success());
    assert!(!file.exists(), "testing never creates it");
    let o = sb.run(&["migrate", "apply", &url, "--dir", dir.to_str().unwrap(), "--yes", "--create"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(mode(&file), 0o600);
    let o = sb.run(&["query", &url, "-e", "SELECT count(*) AS n FROM t", "--format", "csv"]);
    assert_eq!(stdout(&o), "n\n0\n", "{}", stderr(&o));
}

/// At 80 columns a long message is cut with an ellipsis and the help hint stays; `L` opens the last messages with
/// their time.
#[test]
fn status_line_ellipsis_and_message_log() {
    let mut app = two_profiles();
    app.message = Some((dbconsole::tui::app::Level::Error, format!("first problem {}", "x".repeat(100))));
    app.update(Action::Tick);
    app.message = Some((dbconsole::tui::app::Level::Info, "second message".into()));
    app.update(Action::Tick);
    app.message = Some((dbconsole::tui::app::Level::Warn, format!("a very long warning {}", "word ".repeat(30))));
    app.update(Action::Tick);
    let t = crate::common::screen(&app, 80, 24);
    let last = (0..80).map(|x| t.backend().buffer()[(x, 23)].symbol().to_string()).collect::<String>();
    assert!(last.contains("… ") && last.trim_end().ends_with("F1 help"), "{last:?}");
    key(&mut app, KeyCode::Char('L'));
    assert!(app.log_open);
    let text = format!("{}", crate::common::screen(&app, 80, 24).backend());
    assert!(text.contains("second message") && text.contains("first problem"), "{text}");
    key(&mut app, KeyCode::Esc);
    assert!(!app.log_open);
}
