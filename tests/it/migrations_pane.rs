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

fn write_folder(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("1_create_notes.sql"), "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n")
        .unwrap();
    std::fs::write(dir.join("2_add_title.up.sql"), "ALTER TABLE notes ADD COLUMN title TEXT NOT NULL;\n").unwrap();
    std::fs::write(dir.join("2_add_title.down.sql"), "ALTER TABLE notes DROP COLUMN title;\n").unwrap();
    std::fs::write(dir.join("3_drop_old.sql"), "DROP TABLE old_notes;\n").unwrap();
}

async fn planned(pool: &DbPool, dir: &Path) -> Planned {
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
    assert!(matches!(app.dialog, Some(Dialog::Confirm(dbconsole::tui::app::Confirm { target: dbconsole::tui::app::ConfirmTarget::Migrations { count: 2, kind: RunKind::Apply, .. }, .. }))));
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
    app.update(Action::Migrations(MigrationsMsg::Event { job, event: Event::Statement { version: 2, index: 1, total: 1, line: 1 } }));
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
