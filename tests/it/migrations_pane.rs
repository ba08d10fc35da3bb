//! The migrations pane: snapshots on TestBackend, the update flow (plan → confirm → run → result), and the
//! guided flow in the real binary under tmux.
use std::path::Path;

use crossterm::event::KeyCode;
use dbconsole::core::engine::DbPool;
use dbconsole::core::migrate::{self, Event, Status};
use dbconsole::core::profile::{Profile, ProfileSet};
use dbconsole::tui::action::{Action, MigrationsMsg};
use dbconsole::tui::app::{App, ConnState, Dialog, Session};
use dbconsole::tui::effect::Effect;
use dbconsole::tui::panes::migrations::{Planned, RunKind, RunState};
use dbconsole::tui::theme::Theme;

use crate::catalog::{exec, sqlite_pool};
use crate::common::{key, screen, stderr, stdout};

pub(crate) fn write_folder(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("1_create_notes.sql"), "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n")
        .unwrap();
    std::fs::write(dir.join("2_add_title.up.sql"), "ALTER TABLE notes ADD COLUMN title TEXT NOT NULL;\n").unwrap();
    std::fs::write(dir.join("2_add_title.down.sql"), "ALTER TABLE notes DROP COLUMN title;\n").unwrap();
    std::fs::write(dir.join("3_drop_old.sql"), "DROP TABLE old_notes;\n").unwrap();
}

pub(crate) async fn planned(pool: &DbPool, dir: &Path) -> Planned {
    let folder = migrate::load(dir, pool.engine()).unwrap();
    let plan = migrate::status(pool, &folder).await.unwrap();
    let findings = migrate::lint_pending(pool, &folder, &plan).await.unwrap();
    let mut plan = plan;
    plan.dir = "/data/migrations".into(); // the snapshot does not show a temporary directory
    Planned { folder, plan, findings }
}

fn connected_app(profile: Profile) -> App {
    let set = ProfileSet { profiles: vec![profile.clone()], ..Default::default() };
    let mut app = App::new(Theme::default(), set, None);
    app.session = Some(Session { profile, state: ConnState::Connected("connected".into()) });
    app.pane = dbconsole::tui::app::PaneId::Migrations;
    app
}

#[tokio::test]
async fn plan_preview_confirm_progress_and_result() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("notes.db");
    let dir = tmp.path().join("migrations");
    write_folder(&dir);
    let pool = sqlite_pool(&db).await;
    exec(&pool, "CREATE TABLE old_notes (x INT); INSERT INTO old_notes VALUES (1);").await;
    // Migration 1 applied already, so 2 meets a table with rows.
    let folder = migrate::load(&dir, pool.engine()).unwrap();
    let mut quiet = |_e: Event| {};
    migrate::apply(&pool, &folder, &migrate::Options { up_to: Some(1), ..Default::default() }, &mut quiet)
        .await
        .unwrap();
    exec(&pool, "INSERT INTO notes (body) VALUES ('hello')").await;

    let mut profile = Profile::sqlite("notes", "/data/notes.db".into());
    profile.migrations = Some("/data/migrations".into());
    let mut app = connected_app(profile);
    app.migrations.load = dbconsole::tui::panes::migrations::Load::Loading(1);
    app.update(Action::Migrations(MigrationsMsg::Planned {
        job: 1,
        profile: "notes".into(),
        result: Ok(Box::new(planned(&pool, &dir).await)),
    }));
    // The first not-applied migration is selected; its lint finding and SQL are shown.
    let mut planned_state = app.migrations.planned.as_ref().unwrap().plan.entries.iter().map(|e| e.status);
    assert_eq!(planned_state.next(), Some(Status::Applied));
    assert_eq!(app.migrations.selected, 1);
    insta::assert_snapshot!("migrations_plan_80x24", screen(&app, 80, 24).backend());

    // Apply asks first, naming the profile and the count.
    let fx = key(&mut app, KeyCode::Char('a'));
    assert!(fx.is_empty());
    assert!(matches!(
        app.dialog,
        Some(Dialog::Confirm(dbconsole::tui::app::Confirm {
            target: dbconsole::tui::app::ConfirmTarget::Migrations { count: 2, kind: RunKind::Apply, .. },
            ..
        }))
    ));
    insta::assert_snapshot!("migrations_confirm_80x24", screen(&app, 80, 24).backend());
    let fx = key(&mut app, KeyCode::Char('y'));
    let job = match fx.as_slice() {
        [Effect::RunMigrations { job, kind: RunKind::Apply, .. }] => *job,
        other => panic!("{other:?}"),
    };
    // Progress from the run's events.
    app.update(Action::Migrations(MigrationsMsg::Event { job, event: Event::Locked }));
    app.update(Action::Migrations(MigrationsMsg::Event {
        job,
        event: Event::Start { version: 2, description: "add title".into(), index: 1, total: 2, statements: 1 },
    }));
    app.update(Action::Migrations(MigrationsMsg::Event {
        job,
        event: Event::Statement { version: 2, index: 1, total: 1, line: 1 },
    }));
    assert!(matches!(app.migrations.run, RunState::Running { index: 1, total: 2, .. }));
    insta::assert_snapshot!("migrations_running_80x24", screen(&app, 80, 24).backend());
    // Another key does not start a second run meanwhile.
    assert!(key(&mut app, KeyCode::Char('a')).is_empty() && app.dialog.is_none());

    // The real run's result (a NOT NULL column on a table with rows fails on SQLite), then a new plan.
    let folder = migrate::load(&dir, pool.engine()).unwrap();
    let report = migrate::apply(&pool, &folder, &migrate::Options::default(), &mut quiet).await.unwrap();
    assert!(report.failure.is_some());
    let fx = app.update(Action::Migrations(MigrationsMsg::Ran { job, result: Ok(Box::new(report)) }));
    assert!(matches!(fx.as_slice(), [Effect::PlanMigrations { .. }]), "re-plans after a run");
    let s = screen(&app, 80, 24);
    insta::assert_snapshot!("migrations_failed_80x24", s.backend());
    // Revert asks too; dry run does not.
    let fx = key(&mut app, KeyCode::Char('d'));
    assert!(matches!(fx.as_slice(), [Effect::RunMigrations { kind: RunKind::DryRun, .. }]));
    pool.close().await;
}

#[test]
fn without_a_connection_the_pane_says_what_to_do() {
    let set = ProfileSet { profiles: vec![Profile::sqlite("x", "/x.db".into())], ..Default::default() };
    let mut app = App::new(Theme::default(), set, None);
    app.pane = dbconsole::tui::app::PaneId::Migrations;
    let fx = key(&mut app, KeyCode::Char('r'));
    assert!(fx.is_empty());
    let t = screen(&app, 80, 24);
    let text: String = t.backend().buffer().content().iter().map(|c| c.symbol()).collect();
    assert!(text.contains("No active profile"), "{text}");
}

#[test]
fn guided_apply_in_the_real_binary() {
    let sb = crate::common::Sandbox::new();
    let dir = sb.dir.path().join("migrations");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("1_create_notes.sql"), "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n")
        .unwrap();
    std::fs::write(dir.join("2_add_tags.sql"), "CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT);\n").unwrap();
    let db = sb.dir.path().join("notes.db");
    std::fs::write(&db, b"").unwrap();
    sb.write_profiles(&format!(
        "[profiles.notes]\nengine = \"sqlite\"\npath = \"{}\"\nmigrations = \"{}\"\n",
        db.display(),
        dir.display()
    ));
    let t = crate::common::Tmux::start(&sb, "migrations", 80, 24);
    t.wait_for("connected");
    t.keys(&["3"]);
    let s = t.wait_for("2 pending");
    assert!(s.contains("create notes") && s.contains("add tags"), "{s}");
    t.keys(&["a"]);
    t.wait_for("Apply 2 pending migration(s)");
    t.keys(&["y"]);
    let s = t.wait_for("apply: 2 migration(s) done");
    assert!(s.contains("2 applied"), "{s}");
    t.keys(&["q"]);
    t.wait_for("DBCONSOLE-EXITED-0");
    // The state is real: the CLI sees both applied.
    let o = sb.run(&["migrate", "status", "notes", "--json"]);
    let v = crate::common::json(&o);
    assert_eq!(v["entries"][1]["status"], "applied", "{v}");
}

#[tokio::test]
async fn diff_from_the_pane_writes_a_migration_that_applies() {
    let sb = crate::common::Sandbox::new();
    let dir = sb.dir.path().join("migrations");
    std::fs::create_dir_all(&dir).unwrap();
    let (notes, reference) = (sb.dir.path().join("notes.db"), sb.dir.path().join("reference.db"));
    let (a, b) = (sqlite_pool(&notes).await, sqlite_pool(&reference).await);
    exec(&a, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); CREATE TABLE scratch (x INT);").await;
    exec(&b, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, title TEXT); CREATE INDEX notes_title ON notes (title);").await;
    a.close().await;
    b.close().await;
    sb.write_profiles(&format!(
        "[profiles.notes]\nengine = \"sqlite\"\npath = \"{}\"\nmigrations = \"{}\"\n\n[profiles.reference]\nengine = \"sqlite\"\npath = \"{}\"\n",
        notes.display(),
        dir.display(),
        reference.display()
    ));
    let t = crate::common::Tmux::start(&sb, "mdiff", 80, 24);
    t.wait_for("connected");
    t.keys(&["3"]);
    t.wait_for("No migration files");
    t.keys(&["D"]);
    t.wait_for("schema of");
    t.keys(&["Enter"]);
    let s = t.wait_for("1 pending");
    assert!(s.contains("match reference"), "{s}");
    assert!(s.contains("DANGER"), "the generated DROP TABLE is flagged: {s}");
    t.keys(&["a"]);
    t.wait_for("Apply 1 pending");
    t.keys(&["y"]);
    t.wait_for("apply: 1 migration(s) done");
    t.keys(&["q"]);
    t.wait_for("DBCONSOLE-EXITED-0");
    // The two schemas are the same now.
    let o = sb.run(&["migrate", "diff", "--from", "reference", "--to", "notes", "--print"]);
    assert!(stderr(&o).contains("no differences"), "{}{}", stdout(&o), stderr(&o));
}

/// The real effect runner, its files in `dir`.
fn runner_in(dir: &Path, tx: tokio::sync::mpsc::UnboundedSender<Action>) -> dbconsole::tui::effect::Runner {
    dbconsole::tui::effect::Runner::new(tx, dir.join("profiles.toml"), dir.join("demo.db"), dir.join("state.db"))
}

/// Runs `effects` through the real effect runner and feeds the actions that come back to the app, until `done`.
async fn drive(
    app: &mut App,
    runner: &dbconsole::tui::effect::Runner,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Action>,
    effects: Vec<Effect>,
    done: impl Fn(&App) -> bool,
) {
    for e in effects {
        runner.run(e);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !done(app) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let a = tokio::time::timeout(left, rx.recv()).await.expect("timed out waiting for the app").unwrap();
        for e in app.update(a) {
            runner.run(e);
        }
    }
}

async fn sleeping_backends(pool: &DbPool, db: &str) -> i64 {
    let DbPool::Postgres(p) = pool else { unreachable!() };
    // Not this query, nor an idle connection whose last query was this one.
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND state = 'active' \
         AND query LIKE '%pg_sleep(30)%' AND query NOT LIKE '%pg_stat_activity%'",
    )
    .bind(db)
    .fetch_one(p)
    .await
    .unwrap()
}

/// Esc while a migration runs stops it from the pane: the job ends, the server rolls the migration back at once
/// (the statement in progress included), and the plan shows it pending again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_migration_is_cancelled_from_the_pane() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("migrations");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("1_slow.sql"), "CREATE TABLE slow_a (i int);\nSELECT pg_sleep(30);\n").unwrap();
    let db = crate::catalog::new_pg_db().await;
    let pool = crate::catalog::pg_pool(&db).await;
    let mut profile = dbconsole::core::profile::url::parse_url(&format!(
        "postgres://dbc@127.0.0.1:{}/{db}",
        crate::common::pg_port()
    ))
    .unwrap();
    profile.name = "pg".into();
    profile.migrations = Some(dir.clone());
    let mut app = connected_app(profile.clone());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let runner = runner_in(tmp.path(), tx);
    runner.pools.lock().unwrap().insert("pg".into(), pool.clone());
    let plan = key(&mut app, KeyCode::Char('r'));
    drive(&mut app, &runner, &mut rx, plan, |a| a.migrations.planned.is_some()).await;
    key(&mut app, KeyCode::Char('a'));
    let run = key(&mut app, KeyCode::Char('y'));
    let [Effect::RunMigrations { job, .. }] = run.as_slice() else { panic!("{run:?}") };
    let job = *job;
    for e in run {
        runner.run(e);
    }
    // Wait until the migration sleeps on the server.
    let started = std::time::Instant::now();
    while sleeping_backends(&pool, &db).await == 0 {
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "the migration never started");
        while let Ok(a) = rx.try_recv() {
            for e in app.update(a) {
                runner.run(e);
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(runner.running(job));
    let cancel = key(&mut app, KeyCode::Esc);
    assert!(matches!(cancel.first(), Some(Effect::Cancel { job: j }) if *j == job), "{cancel:?}");
    assert!(matches!(app.migrations.run, RunState::Failed { .. }), "the pane says it stopped");
    let stopped = std::time::Instant::now();
    drive(&mut app, &runner, &mut rx, cancel, |a| {
        matches!(a.migrations.load, dbconsole::tui::panes::migrations::Load::Ready)
    })
    .await;
    assert!(!runner.running(job), "the job ended");
    while sleeping_backends(&pool, &db).await > 0 {
        assert!(stopped.elapsed() < std::time::Duration::from_secs(10), "the server still runs the migration");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let planned = app.migrations.planned.as_ref().unwrap();
    assert_eq!(planned.plan.entries[0].status, Status::Pending, "rolled back, still pending");
    let DbPool::Postgres(p) = &pool else { unreachable!() };
    let n: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'slow_a'").fetch_one(p).await.unwrap();
    assert_eq!(n, 0, "the migration's table was rolled back");
}

/// Esc while a transfer loads stops it from the pane (the job ends); running the plan again resumes it, and every
/// row arrives exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_transfer_is_cancelled_from_the_pane_and_resumes() {
    use dbconsole::tui::panes::migrations::transfer::Stage;
    let tmp = tempfile::tempdir().unwrap();
    let lite = tmp.path().join("src.db");
    let src = sqlite_pool(&lite).await;
    exec(
        &src,
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n\
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)\n\
         INSERT INTO items SELECT i, 'item ' || i FROM n;",
    )
    .await;
    src.close().await;
    let db = crate::catalog::new_pg_db().await;
    let pg = crate::catalog::pg_pool(&db).await;
    let source = Profile::sqlite("lite", lite.clone());
    let mut target = dbconsole::core::profile::url::parse_url(&format!(
        "postgres://dbc@127.0.0.1:{}/{db}",
        crate::common::pg_port()
    ))
    .unwrap();
    target.name = "pg".into();
    let set = ProfileSet { profiles: vec![source.clone(), target.clone()], ..Default::default() };
    let mut app = App::new(Theme::default(), set, None);
    app.session = Some(Session { profile: source.clone(), state: ConnState::Connected("connected".into()) });
    app.pane = dbconsole::tui::app::PaneId::Migrations;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let runner = runner_in(tmp.path(), tx);
    let lite_pool = sqlite_pool(&lite).await;
    runner.pools.lock().unwrap().insert("lite".into(), lite_pool);
    runner.pools.lock().unwrap().insert("pg".into(), pg.clone());
    key(&mut app, KeyCode::Char('T'));
    let plan = key(&mut app, KeyCode::Enter);
    drive(&mut app, &runner, &mut rx, plan, |a| matches!(a.migrations.transfer.stage, Stage::Planned)).await;
    if let Some(p) = app.migrations.transfer.plan.as_mut() {
        p.batch_rows = 2000; // many batches to stop between
    }
    key(&mut app, KeyCode::Char('a'));
    let run = key(&mut app, KeyCode::Char('y'));
    let [Effect::RunTransfer { job, .. }] = run.as_slice() else { panic!("{run:?}") };
    let job = *job;
    drive(&mut app, &runner, &mut rx, run, |a| a.migrations.transfer.tables.iter().any(|t| t.1 >= 10_000)).await;
    let cancel = key(&mut app, KeyCode::Esc);
    assert!(matches!(cancel.as_slice(), [Effect::Cancel { job: j }] if *j == job), "{cancel:?}");
    for e in cancel {
        runner.run(e);
    }
    let stopped = std::time::Instant::now();
    while runner.running(job) {
        assert!(stopped.elapsed() < std::time::Duration::from_secs(5), "the transfer job still runs");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(matches!(app.migrations.transfer.stage, Stage::Ran(Err(_))), "the view says it stopped");
    let DbPool::Postgres(p) = &pg else { unreachable!() };
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let part: i64 = sqlx::query_scalar("SELECT count(*) FROM items").fetch_one(p).await.unwrap();
    assert!(part < 300_000, "it stopped part-way ({part} rows)");
    // Run it again: the same run resumes.
    key(&mut app, KeyCode::Char('a'));
    let again = key(&mut app, KeyCode::Char('y'));
    drive(&mut app, &runner, &mut rx, again, |a| matches!(a.migrations.transfer.stage, Stage::Ran(_))).await;
    assert!(matches!(app.migrations.transfer.stage, Stage::Ran(Ok(_))), "{:?}", app.migrations.transfer.stage);
    let (n, d): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT id) FROM items").fetch_one(p).await.unwrap();
    assert_eq!((n, d), (300_000, 300_000), "every row exactly once");
}
