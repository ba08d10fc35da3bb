//! Render snapshots of the frame and panes on ratatui's TestBackend: no terminal, no database.
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use dbconsole::core::engine::{FailureClass, StepReport, TestReport};
use dbconsole::core::profile::{Engine, Environment, Origin, PasswordSource, Profile, ProfileSet, file::FileProblem};
use dbconsole::tui::action::{Action, ProfilesMsg, SyncMsg};
use dbconsole::tui::app::App;
use dbconsole::tui::theme::Theme;

use crate::common::{key, screen};

pub(crate) fn fixture_set() -> ProfileSet {
    let mut demo = Profile::sqlite("demo", "/home/ada/.local/share/dbconsole/demo.sqlite".into());
    demo.origin = Origin::File { line: 8 };
    let mut prod = Profile::sqlite("prod", "".into());
    prod.engine = Engine::Postgres;
    prod.path = None;
    prod.host = "db.internal".into();
    prod.port = 5432;
    prod.database = Some("app".into());
    prod.user = Some("admin".into());
    prod.environment = Environment::Production;
    prod.password = PasswordSource::Env("PROD_PW".into());
    prod.origin = Origin::File { line: 12 };
    let mut shop = prod.clone();
    shop.name = "shop".into();
    shop.engine = Engine::Mysql;
    shop.port = 3306;
    shop.environment = Environment::Staging;
    shop.password = PasswordSource::Plain("x".to_string().into());
    shop.origin = Origin::File { line: 20 };
    ProfileSet {
        path: "/home/ada/.config/dbconsole/profiles.toml".into(),
        exists: true,
        profiles: vec![demo, prod, shop],
        problems: vec![],
        broken: false,
        default: None,
    }
}

#[test]
fn frame_and_profiles_pane_80x24() {
    let app = App::new(Theme::default(), fixture_set(), None);
    insta::assert_snapshot!("profiles_80x24", screen(&app, 80, 24).backend());
}

#[test]
fn failed_test_shows_diagnosis_and_production_warning() {
    let mut app = App::new(Theme::default(), fixture_set(), None);
    key(&mut app, KeyCode::Down);
    let report = TestReport {
        profile: "prod".into(),
        engine: Engine::Postgres,
        target: "admin@db.internal:5432/app".into(),
        ok: false,
        class: Some(FailureClass::Refused),
        message: "connection refused at db.internal:5432".into(),
        hint: "nothing accepts connections there: check that the server is running".into(),
        server_product: None,
        server_version: None,
        current_user: None,
        current_database: None,
        tls: None,
        latency_ms: None,
        extensions: vec![],
        role_can_write: None,
        role_privileges: None,
        steps: vec![
            StepReport { name: "resolve", ok: true, elapsed_ms: 1.2, detail: "10.0.0.5".into() },
            StepReport {
                name: "tcp",
                ok: false,
                elapsed_ms: 0.4,
                detail: "connection refused at db.internal:5432".into(),
            },
        ],
        total_ms: 1.6,
        direct: None,
        ssh_ask: None,
    };
    // Press t: the app asks for a test job; finish it with the report.
    let effects = app.update(Action::Key(KeyEvent::new(KeyCode::Char('t'), KeyModifiers::NONE)));
    let job = match &effects[..] {
        [dbconsole::tui::effect::Effect::TestProfile { job, profile, .. }] => {
            assert_eq!(profile.name, "prod");
            *job
        }
        other => panic!("{other:?}"),
    };
    app.update(Action::Profiles(ProfilesMsg::TestFinished { job, profile: "prod".into(), report: Box::new(report) }));
    insta::assert_snapshot!("profiles_test_failed", screen(&app, 100, 24).backend());
}

#[test]
fn stale_test_results_are_dropped() {
    let mut app = App::new(Theme::default(), fixture_set(), None);
    let first = app.update(Action::Key(KeyEvent::new(KeyCode::Char('t'), KeyModifiers::NONE)));
    let dbconsole::tui::effect::Effect::TestProfile { job: first_job, .. } = &first[0] else { panic!() };
    app.update(Action::Key(KeyEvent::new(KeyCode::Char('t'), KeyModifiers::NONE)));
    app.update(Action::Profiles(ProfilesMsg::TestStep {
        job: *first_job,
        profile: "demo".into(),
        step: StepReport { name: "file", ok: true, elapsed_ms: 0.1, detail: "stale".into() },
    }));
    assert!(app.profiles.tests["demo"].steps.is_empty(), "a step of a superseded test is ignored");
}

#[test]
fn form_with_errors_and_help_overlay() {
    let mut app = App::new(Theme::default(), fixture_set(), None);
    key(&mut app, KeyCode::Char('a'));
    for c in "prod".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    insta::assert_snapshot!("form_duplicate_name", screen(&app, 80, 24).backend());
    key(&mut app, KeyCode::Esc);
    assert!(app.form.is_none());
    key(&mut app, KeyCode::Char('?'));
    insta::assert_snapshot!("help", screen(&app, 80, 40).backend());
}

#[test]
fn placeholder_panes_say_what_they_will_hold_and_schema_asks_for_a_connection() {
    let mut app = App::new(Theme::default(), fixture_set(), None);
    key(&mut app, KeyCode::Char('2'));
    let t = screen(&app, 80, 24);
    let text = format!("{:?}", t.backend().buffer());
    assert!(text.contains("Connect a profile first"), "the schema pane says what it needs: {text}");
    key(&mut app, KeyCode::Tab);
    let text = format!("{:?}", screen(&app, 80, 24).backend().buffer());
    assert!(text.contains("No active profile"), "the migrations pane says what it needs: {text}");
    let effects = key(&mut app, KeyCode::Tab);
    let job = match effects.as_slice() {
        [dbconsole::tui::effect::Effect::SyncRefresh { job, .. }] => *job,
        other => panic!("entering the sync pane reads the status: {other:?}"),
    };
    let text = format!("{:?}", screen(&app, 80, 24).backend().buffer());
    assert!(text.contains("reading the links"), "{text}");
    app.update(Action::Sync(SyncMsg::Status { job, result: Ok(vec![]) }));
    insta::assert_snapshot!("sync_empty", screen(&app, 80, 24).backend());
}

pub(crate) fn link_view() -> dbconsole::tui::panes::sync::LinkView {
    use dbconsole::core::sync::state::Conflict;
    use dbconsole::core::sync::status::{LinkStatus, Pending, SideStatus, TableStatus};
    let table = |name: &str, state: &str, fwd: i64, back: i64, error: Option<&str>| TableStatus {
        table: name.into(),
        state: state.into(),
        pending: Pending { fwd, back },
        lag_ms: if fwd + back > 0 { 2_300 } else { 0 },
        applied_total: 1_204,
        conflicts_waiting: if name == "notes" { 1 } else { 0 },
        last_error: error.map(str::to_string),
        last_error_at: error.map(|_| "2026-12-02T09:14:03.120Z".to_string()),
        last_apply_at: Some("2026-12-02T09:15:40.002Z".to_string()),
    };
    let side = |label: &str, reachable: bool| SideStatus {
        label: label.into(),
        reachable,
        error: (!reachable).then(|| "pg (refused): nothing listens at 127.0.0.1:5432".to_string()),
        round_trip_ms: reachable.then_some(0.4),
        log_rows: reachable.then_some(37),
        log_oldest_age_ms: reachable.then_some(65_000),
    };
    dbconsole::tui::panes::sync::LinkView {
        status: LinkStatus {
            name: "laptop-central".into(),
            source: "laptop".into(),
            target: "central".into(),
            two_way: true,
            policy: "manual".into(),
            state: "error".into(),
            pending: Pending { fwd: 37, back: 2 },
            lag_ms: 2_300,
            applied_total: 3_612,
            conflicts_waiting: 1,
            last_error: Some("tags: schema drift: column color was added on laptop only".into()),
            last_error_at: Some("2026-12-02T09:14:03.120Z".into()),
            last_apply_at: Some("2026-12-02T09:15:40.002Z".into()),
            next_retry_at: None,
            runner: Some("live".into()),
            throughput: 41.5,
            tables: vec![
                table("notes", "live", 37, 2, None),
                table("tags", "error", 0, 0, Some("schema drift: column color was added on laptop only")),
            ],
            sides: vec![side("laptop", true), side("central", true)],
            native: None,
        },
        samples: (0..60).map(|i| (i * 2_000, (i * 7) % 50, (i * 131) % 900)).collect(),
        conflicts: vec![Conflict {
            id: 7,
            link: "laptop-central".into(),
            table: "notes".into(),
            key: "[\"42\"]".into(),
            source_row: Some(r#"{"body":"buy milk ✓","id":"42"}"#.into()),
            target_row: Some(r#"{"body":"buy oat milk","id":"42"}"#.into()),
            base_row: Some(r#"{"body":"buy milk","id":"42"}"#.into()),
            source_at: Some(1),
            target_at: Some(2),
            policy: "manual".into(),
            detected_at: "2026-12-02T09:15:39.950Z".into(),
            resolved_at: None,
            taken: None,
        }],
    }
}

#[test]
fn sync_pane_shows_links_tables_sides_and_the_conflict_queue_at_80x24() {
    let mut app = App::new(Theme::default(), fixture_set(), None);
    let effects = key(&mut app, KeyCode::Char('4'));
    let Some(dbconsole::tui::effect::Effect::SyncRefresh { job, .. }) = effects.first() else { panic!("{effects:?}") };
    let mut other = link_view();
    other.status.name = "shop-pg".into();
    other.status.state = "offline".into();
    other.status.two_way = false;
    other.status.sides[1] = other.status.sides[1].clone();
    app.update(Action::Sync(SyncMsg::Status { job: *job, result: Ok(vec![link_view(), other]) }));
    insta::assert_snapshot!("sync_links_80x24", screen(&app, 80, 24).backend());
    // The conflict queue: both versions side by side, what each changed standing out, the base below.
    key(&mut app, KeyCode::Char('c'));
    insta::assert_snapshot!("sync_conflicts_80x24", screen(&app, 80, 24).backend());
    let effects = key(&mut app, KeyCode::Char('t'));
    let [dbconsole::tui::effect::Effect::SyncResolve { id: 7, take_source: false, job, .. }] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    // While it runs, nothing else starts on the link.
    key(&mut app, KeyCode::Esc);
    assert!(key(&mut app, KeyCode::Char('o')).is_empty());
    app.update(Action::Sync(SyncMsg::Done { job: *job, result: Ok("conflict 7 resolved".into()) }));
    // x asks before removing.
    let effects = key(&mut app, KeyCode::Char('x'));
    assert!(effects.is_empty());
    let text = format!("{:?}", screen(&app, 80, 24).backend().buffer());
    assert!(text.contains("Remove link laptop-central?"), "{text}");
}

#[test]
fn file_problems_are_shown() {
    let mut set = fixture_set();
    set.problems.push(FileProblem {
        path: "/home/ada/.config/dbconsole/profiles.toml".into(),
        line: Some(31),
        column: None,
        profile: Some("broken".into()),
        message: "engine: unknown variant `oracle`".into(),
    });
    let app = App::new(Theme::default(), set, None);
    let t = screen(&app, 100, 24);
    let text = format!("{:?}", t.backend().buffer());
    assert!(text.contains("profiles.toml:31: profile `broken`"), "{text}");
    assert!(text.contains("1 problem"), "{text}");
}

#[test]
fn ctrl_c_stops_a_running_sync_job_instead_of_quitting() {
    let mut app = App::new(Theme::default(), fixture_set(), None);
    let effects = key(&mut app, KeyCode::Char('4'));
    let Some(dbconsole::tui::effect::Effect::SyncRefresh { job, .. }) = effects.first() else { panic!("{effects:?}") };
    app.update(Action::Sync(SyncMsg::Status { job: *job, result: Ok(vec![link_view()]) }));
    let effects = key(&mut app, KeyCode::Char('o'));
    let [dbconsole::tui::effect::Effect::SyncRunOnce { job, .. }] = effects.as_slice() else { panic!("{effects:?}") };
    let job = *job;
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    let effects = app.update(Action::Key(ctrl_c));
    assert!(
        matches!(effects.as_slice(), [dbconsole::tui::effect::Effect::Cancel { job: j }] if *j == job),
        "{effects:?}"
    );
    let text = format!("{:?}", screen(&app, 80, 24).backend().buffer());
    assert!(text.contains("running laptop-central once: stopped"), "{text}");
    // Nothing runs any more: the next Ctrl-C quits.
    let effects = app.update(Action::Key(ctrl_c));
    assert!(effects.iter().any(|e| matches!(e, dbconsole::tui::effect::Effect::Quit)), "{effects:?}");
}

/// A connection test that stopped at an unknown SSH host key: the dialog shows the fingerprint and where `s` saves
/// it; `s` saves it (owner-only file) and runs the test again. A passphrase typed in the next dialog shows as dots.
#[test]
fn ssh_host_key_and_passphrase_dialogs_80x24() {
    use dbconsole::core::ssh::{SshAsk, UnknownKey, known_hosts};
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(Theme::default(), fixture_set(), None);
    key(&mut app, KeyCode::Down);
    let effects = app.update(Action::Key(KeyEvent::new(KeyCode::Char('t'), KeyModifiers::NONE)));
    let [dbconsole::tui::effect::Effect::TestProfile { job, .. }] = &effects[..] else { panic!("{effects:?}") };
    let pk = russh::keys::PublicKey::from_openssh(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK6KjFua9MtBG/hrwWBrGaoh/b52XkMlHAgmF/WEz1Ng",
    )
    .unwrap();
    let fingerprint = known_hosts::fingerprint(&pk);
    assert_eq!(fingerprint, "SHA256:P287hZ0YyDKzMWfSKcOeqq+jomUVFGR0/S0g/D/P0OU", "as ssh-keygen -lf prints it");
    let unknown = UnknownKey {
        host: "bastion.example.com".into(),
        port: 2222,
        algorithm: "ssh-ed25519".into(),
        fingerprint,
        save_to: "/home/ada/.ssh/known_hosts".into(),
        key: pk,
    };
    let save_to = dir.path().join(".ssh/known_hosts");
    let mut elsewhere = unknown.clone();
    elsewhere.save_to = save_to.clone();
    let report = TestReport {
        ok: false,
        class: Some(FailureClass::SshHostKeyUnknown),
        message: "the host key of bastion.example.com:2222 is not known".into(),
        ssh_ask: Some(SshAsk::HostKey(Box::new(unknown))),
        ..TestReport::failed_before(
            &fixture_set().profiles[1],
            dbconsole::core::engine::ConnectError::new(FailureClass::Other, "", ""),
        )
    };
    app.update(Action::Profiles(ProfilesMsg::TestFinished {
        job: *job,
        profile: "prod".into(),
        report: Box::new(report),
    }));
    insta::assert_snapshot!("ssh_host_key_dialog_80x24", screen(&app, 80, 24).backend());
    // Letters answer nothing (text typed elsewhere cannot accept a key); Enter on the default refuses.
    for c in "yes save accept".chars() {
        assert!(key(&mut app, KeyCode::Char(c)).is_empty());
    }
    assert!(app.dialog.is_some());
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    assert!(app.dialog.is_none() && !save_to.exists());
    app.update(Action::Profiles(ProfilesMsg::NeedSsh {
        profile: "prod".into(),
        purpose: dbconsole::tui::action::Purpose::Test,
        ask: SshAsk::HostKey(Box::new(elsewhere)),
    }));
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    let effects = key(&mut app, KeyCode::Enter);
    assert!(matches!(&effects[..], [dbconsole::tui::effect::Effect::TestProfile { .. }]), "{effects:?}");
    let saved = std::fs::read_to_string(&save_to).unwrap();
    assert!(saved.starts_with("[bastion.example.com]:2222 ssh-ed25519 AAAAC3Nza"), "{saved}");
    assert_eq!(crate::common::mode(&save_to), 0o600);
    assert!(app.dialog.is_none());
    // A passphrase: typed, shown as dots only.
    app.update(Action::Profiles(ProfilesMsg::NeedSsh {
        profile: "prod".into(),
        purpose: dbconsole::tui::action::Purpose::Connect,
        ask: SshAsk::Passphrase("/home/ada/.ssh/id_prod".into()),
    }));
    for c in "hunter2".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    let shown = format!("{:?}", screen(&app, 80, 24).backend());
    assert!(!shown.contains("hunter2") && shown.contains("•••••••"), "{shown}");
    insta::assert_snapshot!("ssh_passphrase_dialog_80x24", screen(&app, 80, 24).backend());
    // Esc: nothing kept.
    key(&mut app, KeyCode::Esc);
    assert!(app.dialog.is_none());
    assert!(dbconsole::core::ssh::answers().passphrase(std::path::Path::new("/home/ada/.ssh/id_prod")).is_none());
}

/// The profile form has the SSH route and key fields for a server profile; a SQLite profile with a route says it
/// does not apply.
#[test]
fn profile_form_ssh_fields() {
    use dbconsole::core::ssh::{Hop, Route};
    let mut set = fixture_set();
    set.profiles[1].ssh = Route {
        hops: vec![Hop::parse("ada@bastion.example.com:22").unwrap(), Hop::parse("ada@10.0.0.7").unwrap()],
        identity: Some("/home/ada/.ssh/id_prod".into()),
    };
    let mut app = App::new(Theme::default(), set, None);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('e'));
    let form = app.form.as_mut().expect("edit form");
    let fields = form.visible();
    use dbconsole::tui::panes::profiles::fields::Field;
    assert!(fields.contains(&Field::SshRoute) && fields.contains(&Field::SshIdentity));
    assert_eq!(form.value(Field::SshRoute), "ada@bastion.example.com:22, ada@10.0.0.7");
    assert!(form.validate().is_some_and(|p| p.ssh.hops.len() == 2));
    form.focus = fields.iter().position(|f| *f == Field::SshRoute).unwrap();
    for _ in 0..60 {
        key(&mut app, KeyCode::Backspace);
    }
    for c in "ada@:22".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    let form = app.form.as_mut().unwrap();
    assert!(form.validate().is_none());
    assert!(form.errors[&Field::SshRoute].contains("hop 1"), "{:?}", form.errors);
    insta::assert_snapshot!("form_ssh_fields_80x24", screen(&app, 80, 24).backend());
}
