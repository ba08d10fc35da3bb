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
    app.query.notices.push(dbconsole::core::query::notices::Notice { level: "NOTICE".into(), code: None, message: "x".into() });
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
    app.query.run = dbconsole::tui::panes::query::RunState::Running { job: 7, started: Instant::now(), index: 1, total: 1 };
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
    app.query.run = dbconsole::tui::panes::query::RunState::Running { job: 7, started: Instant::now(), index: 1, total: 1 };
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
    app.query.run = dbconsole::tui::panes::query::RunState::Running { job: 5, started: Instant::now(), index: 1, total: 1 };
    let done = StatementDone { index: 1, verb: "CREATE".into(), outcome: Default::default() };
    app.update(Action::Query(QueryMsg::StatementDone { job: 5, done: Box::new(done) }));
    let effects = app.update(Action::Query(QueryMsg::Finished { job: 5, txn: TxnState::Idle }));
    assert!(effects.iter().any(|e| matches!(e, Effect::LoadCatalog { .. })), "{effects:?}");

    app.migrations.run =
        RunState::Running { job: 6, kind: RunKind::Apply, index: 1, total: 1, current: String::new(), statement: (0, 0) };
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
