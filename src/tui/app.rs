//! The app's state and `update`: Action in, state changed, Effects out. Never awaits, never does I/O.
mod query;
mod transfer;

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use secrecy::{ExposeSecret, ExposeSecretMut, SecretBox, SecretString};

use super::action::{Action, JobId, Purpose};
use super::effect::Effect;
use super::keymap::{self, Command, Scope};
use super::panes::migrations::{self as migrations_pane, MigrationsPane};
use super::panes::profiles::{ProfilesPane, TestState};
use super::panes::query::QueryPane;
use super::panes::schema::{self as schema_pane, SchemaPane};
use super::theme::Theme;
use super::widgets::form::{FormMode, FormOutcome, ProfileForm};
use crate::core::engine::ConnectError;
use crate::core::profile::{Origin, Profile, ProfileSet};

pub const PANES: [&str; 5] = ["Profiles", "Schema", "Migrations", "Sync", "Query"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnState {
    Connecting(JobId),
    Connected(String),
    Failed(ConnectError),
}

#[derive(Debug, Clone)]
pub struct Session {
    pub profile: Profile,
    pub state: ConnState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

pub enum Dialog {
    ConfirmDelete {
        name: String,
    },
    /// Apply or revert migrations on `profile` (production profiles are named in red).
    ConfirmMigrations {
        profile: Box<Profile>,
        kind: migrations_pane::RunKind,
        count: usize,
    },
    /// Destructive statements in a query run: each with its line and what it does.
    ConfirmQuery {
        profile: Box<Profile>,
        statements: Vec<crate::core::sql::Statement>,
        scope: crate::tui::panes::query::RunScope,
        dangers: Vec<(usize, String)>,
    },
    /// Quit with a transaction open in the query pane.
    ConfirmQuit,
    /// Run a transfer plan into `to`.
    ConfirmTransfer {
        to: Box<Profile>,
    },
    /// Apply staged grid edits: the SQL that will run.
    ConfirmEdits {
        profile: Box<Profile>,
        plans: Vec<crate::core::query::edit::Planned>,
    },
    Password {
        profile: String,
        purpose: Purpose,
        reason: String,
        input: SecretBox<String>,
    },
}

pub struct App {
    pub theme: Theme,
    pub pane: usize,
    pub set: ProfileSet,
    /// A profile given as a URL on the command line (not saved).
    pub adhoc: Option<Profile>,
    /// Profiles found by import, not saved yet.
    pub found: Vec<Profile>,
    pub profiles: ProfilesPane,
    pub session: Option<Session>,
    pub form: Option<ProfileForm>,
    pub dialog: Option<Dialog>,
    pub help: bool,
    pub help_scroll: u16,
    pub schema: SchemaPane,
    pub migrations: MigrationsPane,
    pub query: QueryPane,
    pub message: Option<(Level, String)>,
    /// Passwords typed in this session, in memory only.
    passwords: HashMap<String, SecretString>,
    next_job: JobId,
}

impl App {
    pub fn new(theme: Theme, set: ProfileSet, adhoc: Option<Profile>) -> Self {
        let mut app = App {
            theme,
            pane: 0,
            set,
            adhoc,
            found: Vec::new(),
            profiles: ProfilesPane::default(),
            session: None,
            form: None,
            dialog: None,
            help: false,
            help_scroll: 0,
            schema: SchemaPane::default(),
            migrations: MigrationsPane::default(),
            query: QueryPane::default(),
            message: None,
            passwords: HashMap::new(),
            next_job: 1,
        };
        app.note_problems();
        app
    }

    fn note_problems(&mut self) {
        if let Some(p) = self.set.problems.first() {
            let more = if self.set.problems.len() > 1 {
                format!(" (+{} more)", self.set.problems.len() - 1)
            } else {
                String::new()
            };
            self.message = Some((Level::Error, format!("{p}{more}")));
        }
    }

    /// The effects to run at start: connect to the startup profile.
    pub fn start(&mut self, profile: Option<&str>) -> Vec<Effect> {
        let chosen = match profile {
            Some(name) => self.all().into_iter().position(|p| p.name == name),
            None => {
                let default = self.set.default.clone();
                let all = self.all();
                if self.adhoc.is_some() {
                    Some(0)
                } else {
                    default
                        .and_then(|d| all.iter().position(|p| p.name == d))
                        .or_else(|| all.iter().position(|p| p.origin == Origin::Demo || p.name == "demo"))
                        .or(if all.is_empty() { None } else { Some(0) })
                }
            }
        };
        match chosen {
            Some(i) => {
                self.profiles.selected = i;
                self.connect_selected()
            }
            None => Vec::new(),
        }
    }

    /// Every profile the pane lists: the ad-hoc URL, the file's, and imported ones.
    pub fn all(&self) -> Vec<&Profile> {
        self.adhoc.iter().chain(self.set.profiles.iter()).chain(self.found.iter()).collect()
    }

    pub fn selected(&self) -> Option<&Profile> {
        self.all().get(self.profiles.selected).copied()
    }

    fn job(&mut self) -> JobId {
        self.next_job += 1;
        self.next_job
    }

    fn taken_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.set.profiles.iter().map(|p| p.name.clone()).collect();
        v.extend(self.set.problems.iter().filter_map(|p| p.profile.clone()));
        v
    }

    fn info(&mut self, level: Level, msg: impl Into<String>) {
        self.message = Some((level, msg.into()));
    }

    fn connect_selected(&mut self) -> Vec<Effect> {
        let Some(p) = self.selected().cloned() else { return vec![] };
        self.connect(p)
    }

    fn connect(&mut self, p: Profile) -> Vec<Effect> {
        let job = self.job();
        let password = self.passwords.get(&p.name).cloned();
        self.session = Some(Session { profile: p.clone(), state: ConnState::Connecting(job) });
        vec![Effect::Connect { job, profile: Box::new(p), password }]
    }

    fn test_selected(&mut self) -> Vec<Effect> {
        let Some(p) = self.selected().cloned() else { return vec![] };
        self.test(p)
    }

    fn test(&mut self, p: Profile) -> Vec<Effect> {
        let job = self.job();
        self.profiles.tests.insert(p.name.clone(), TestState { job, steps: Vec::new(), report: None });
        let password = self.passwords.get(&p.name).cloned();
        vec![Effect::TestProfile { job, profile: Box::new(p), password }]
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        if action.is_query() {
            return self.on_query_action(action);
        }
        match action {
            Action::Key(key) => self.on_key(key),
            Action::Resize => vec![],
            Action::TestStep { job, profile, step } => {
                if let Some(t) = self.profiles.tests.get_mut(&profile)
                    && t.job == job
                {
                    t.steps.push(step);
                }
                vec![]
            }
            Action::TestFinished { job, profile, report } => {
                if let Some(t) = self.profiles.tests.get_mut(&profile)
                    && t.job == job
                {
                    if report.ok {
                        self.message = Some((Level::Info, format!("{profile}: {}", report.message)));
                    } else {
                        self.message = Some((Level::Error, format!("{profile}: {}", report.message)));
                    }
                    t.steps = report.steps.clone();
                    t.report = Some(*report);
                }
                vec![]
            }
            Action::NeedPassword { profile, purpose, reason } => {
                self.dialog =
                    Some(Dialog::Password { profile, purpose, reason, input: SecretBox::new(Box::default()) });
                vec![]
            }
            Action::Connected { job, profile, result } => {
                if let Some(s) = &mut self.session
                    && s.state == ConnState::Connecting(job)
                    && s.profile.name == profile
                {
                    match result {
                        Ok(msg) => {
                            self.message = Some((Level::Info, msg.clone()));
                            s.state = ConnState::Connected(msg);
                            let p = s.profile.clone();
                            return self.load_catalog(p);
                        }
                        Err(e) => {
                            self.message = Some((Level::Error, format!("{}: {}", e.class.title(), e.message)));
                            s.state = ConnState::Failed(e);
                            // A typed password that failed is forgotten.
                            self.passwords.remove(&profile);
                        }
                    }
                }
                vec![]
            }
            Action::ProfilesLoaded(set) => {
                let selected_name = self.selected().map(|p| p.name.clone());
                self.set = *set;
                let names: Vec<String> = self.set.profiles.iter().map(|p| p.name.clone()).collect();
                self.found.retain(|f| !names.contains(&f.name));
                let all_len = self.all().len();
                self.profiles.selected = selected_name
                    .and_then(|n| self.all().iter().position(|p| p.name == n))
                    .unwrap_or(self.profiles.selected.min(all_len.saturating_sub(1)));
                if !self.set.problems.is_empty() {
                    self.note_problems();
                }
                vec![]
            }
            Action::Saved { result } => {
                match result {
                    Ok(m) => self.info(Level::Info, m),
                    Err(e) => self.info(Level::Error, e),
                }
                vec![]
            }
            Action::CatalogStage { job, stage } => {
                if let schema_pane::Load::Loading { job: j, stage: st } = &mut self.schema.load
                    && *j == job
                {
                    *st = stage;
                }
                vec![]
            }
            Action::CatalogLoaded { job, profile, result, elapsed } => {
                if !matches!(self.schema.load, schema_pane::Load::Loading { job: j, .. } if j == job) {
                    return vec![]; // superseded
                }
                match result {
                    Ok(c) => self.schema.set_catalog(&profile, *c, elapsed),
                    Err(e) => self.schema.load = schema_pane::Load::Failed { message: e },
                }
                vec![]
            }
            Action::RowCount { job, schema, table, result } => {
                let key = (schema, table);
                if matches!(self.schema.counts.get(&key), Some(schema_pane::Count::Running(j)) if *j == job) {
                    let v = match result {
                        Ok((rows, ms)) => schema_pane::Count::Done { rows, ms },
                        Err(e) => schema_pane::Count::Failed(e),
                    };
                    self.schema.counts.insert(key, v);
                }
                vec![]
            }
            Action::MigrationsPlanned { job, profile, result } => {
                if !matches!(self.migrations.load, migrations_pane::Load::Loading(j) if j == job) {
                    return vec![];
                }
                self.migrations.profile = Some(profile);
                match result {
                    Ok(p) => self.migrations.set_planned(*p),
                    Err(e) => self.migrations.load = migrations_pane::Load::Failed(e),
                }
                vec![]
            }
            Action::MigrationEvent { job, event } => {
                self.migrations.on_event(job, event);
                vec![]
            }
            Action::MigrationsRan { job, result } => {
                let migrations_pane::RunState::Running { job: j, kind, .. } = self.migrations.run else {
                    return vec![];
                };
                if j != job {
                    return vec![];
                }
                match result {
                    Ok(report) => {
                        let (level, msg) = match &report.failure {
                            Some(f) => (Level::Error, format!("migration {} failed: {}", f.version, f.message)),
                            None => (Level::Info, format!("{}: {} migration(s) done", kind.verb(), report.done.len())),
                        };
                        self.info(level, msg);
                        self.migrations.run = migrations_pane::RunState::Finished { kind, report };
                    }
                    Err(message) => {
                        self.info(Level::Error, format!("{}: {message}", kind.verb()));
                        self.migrations.run = migrations_pane::RunState::Failed { kind, message };
                    }
                }
                // The state changed: plan again (the run's result stays on screen).
                self.migrations_request(migrations_pane::Request::Plan)
            }
            a @ (Action::TransferPlanned { .. }
            | Action::TransferEvent { .. }
            | Action::TransferRan { .. }
            | Action::TransferVerified { .. }) => self.on_transfer_action(a),
            Action::MigrationDiffWritten { job, result } => {
                if self.migrations.diffing != Some(job) {
                    return vec![];
                }
                self.migrations.diffing = None;
                match result {
                    Ok(None) => self.info(Level::Info, "diff: no differences — nothing written"),
                    Ok(Some((path, notes))) => {
                        let extra = notes.first().map(|n| format!(" (note: {n})")).unwrap_or_default();
                        self.info(
                            Level::Info,
                            format!("diff: wrote {} — review it, then apply{extra}", path.display()),
                        );
                        return self.migrations_request(migrations_pane::Request::Plan);
                    }
                    Err(e) => self.info(Level::Error, format!("diff: {e}")),
                }
                vec![]
            }
            // Handled by on_query_action.
            Action::QueryColumns { .. }
            | Action::QueryRows { .. }
            | Action::QueryPaused { .. }
            | Action::QueryResumed { .. }
            | Action::QueryStatement { .. }
            | Action::QueryStatementDone { .. }
            | Action::QueryFailed { .. }
            | Action::QueryFinished { .. }
            | Action::HistoryLoaded(_)
            | Action::EditsApplied { .. }
            | Action::Exported(_)
            | Action::FileOpened { .. }
            | Action::FileSaved { .. } => vec![],
            Action::Discovered(found) => {
                let taken = self.taken_names();
                let mut added = 0;
                let mut problems = Vec::new();
                for f in found {
                    match f.profile {
                        Ok(p) if !taken.contains(&p.name) && !self.found.iter().any(|x| x.name == p.name) => {
                            self.found.push(p);
                            added += 1;
                        }
                        Ok(_) => {}
                        Err(e) => problems.push(format!("{}: {e}", f.source)),
                    }
                }
                let level = if problems.is_empty() { Level::Info } else { Level::Warn };
                let mut msg = format!(
                    "import: {added} new profile(s) found; select one and press {} to save it",
                    keymap::hint(Scope::Profiles, Command::Edit)
                );
                if let Some(p) = problems.first() {
                    msg.push_str(&format!("; skipped {p}"));
                }
                self.info(level, msg);
                vec![]
            }
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) && self.dialog.is_none() {
            return self.quit();
        }
        if self.help {
            match key.code {
                KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q') => {
                    self.help = false;
                    self.help_scroll = 0;
                }
                KeyCode::Down | KeyCode::Char('j') => self.help_scroll = self.help_scroll.saturating_add(1),
                KeyCode::Up | KeyCode::Char('k') => self.help_scroll = self.help_scroll.saturating_sub(1),
                _ => {}
            }
            return vec![];
        }
        if self.dialog.is_some() {
            return self.on_dialog_key(key);
        }
        if let Some(form) = &mut self.form {
            return match form.handle_key(&key) {
                FormOutcome::Continue => vec![],
                FormOutcome::Cancel => {
                    self.form = None;
                    vec![]
                }
                FormOutcome::Save { profile, replacing } => {
                    if self.set.broken {
                        // Not TOML, or not a regular file (a FIFO, a device): the problem says which.
                        let why = self.set.problems.first().map_or_else(String::new, |p| format!(": {}", p.message));
                        self.info(
                            Level::Error,
                            format!("the profiles file cannot be edited{why}; nothing was written"),
                        );
                        return vec![];
                    }
                    self.form = None;
                    let name = profile.name.clone();
                    self.found.retain(|f| f.name != name);
                    vec![Effect::SaveProfile { profile, replacing }]
                }
            };
        }
        // In the query editor (and its prompts) keys are text; F1 still opens the help.
        if self.pane == 4 && self.query.captures_keys() {
            if key.code == KeyCode::F(1) {
                self.help = true;
                return vec![];
            }
            let req = self.query.handle_key(&key);
            return self.query_request(req);
        }
        // While the schema filter is being typed, every printable key is part of it.
        if self.pane == 1 && self.schema.filtering {
            let req = self.schema.handle_key(&key);
            return self.schema_request(req);
        }
        if let Some(cmd) = keymap::lookup(Scope::Global, &key) {
            match cmd {
                Command::Quit => return self.quit(),
                Command::Help => self.help = true,
                Command::NextPane => self.pane = (self.pane + 1) % PANES.len(),
                Command::PrevPane => self.pane = (self.pane + PANES.len() - 1) % PANES.len(),
                Command::GoPane(i) => self.pane = i,
                _ => {}
            }
            // Entering the migrations pane plans the active profile's migrations the first time.
            if self.pane == 2 && matches!(self.migrations.load, migrations_pane::Load::Idle) {
                return self.migrations_request(migrations_pane::Request::Plan);
            }
            return vec![];
        }
        match self.pane {
            0 => self.on_profiles_key(key),
            1 => {
                let req = self.schema.handle_key(&key);
                self.schema_request(req)
            }
            2 => {
                let req = self.migrations.handle_key(&key);
                self.migrations_request(req)
            }
            4 => {
                let req = self.query.handle_key(&key);
                self.query_request(req)
            }
            _ => vec![],
        }
    }

    fn connected_profile(&self) -> Option<Profile> {
        self.session.as_ref().filter(|s| matches!(s.state, ConnState::Connected(_))).map(|s| s.profile.clone())
    }

    fn migrations_request(&mut self, req: migrations_pane::Request) -> Vec<Effect> {
        use migrations_pane::{Request as R, RunKind};
        let Some(p) = self.connected_profile() else {
            if req != R::None {
                self.info(Level::Warn, "no connected profile: connect one in the Profiles pane first");
            }
            return vec![];
        };
        match req {
            R::None => vec![],
            R::Plan => {
                let job = self.job();
                self.migrations.load = migrations_pane::Load::Loading(job);
                vec![Effect::PlanMigrations { job, profile: Box::new(p) }]
            }
            R::Run(RunKind::DryRun) => self.start_migrations(p, RunKind::DryRun),
            R::ChooseTransfer => self.transfer_choose(&p),
            R::Transfer(t) => self.transfer_request(p, t),
            R::ChooseDiff => {
                let names: Vec<String> =
                    self.all().iter().filter(|x| x.name != p.name).map(|x| x.name.clone()).collect();
                self.migrations.chooser = Some((names, 0));
                vec![]
            }
            R::Diff(i) => {
                let Some((names, _)) = self.migrations.chooser.take() else { return vec![] };
                let Some(from) = names.get(i).and_then(|n| self.all().into_iter().find(|x| &x.name == n)).cloned()
                else {
                    return vec![];
                };
                let job = self.job();
                self.migrations.diffing = Some(job);
                self.info(Level::Info, format!("diff: reading the schemas of {} and {}…", from.name, p.name));
                let from_password = self.passwords.get(&from.name).cloned();
                vec![Effect::DiffMigrations { job, from: Box::new(from), from_password, to: Box::new(p) }]
            }
            R::Run(kind) => {
                let count = match kind {
                    RunKind::Apply => self.migrations.pending(),
                    _ => 1,
                };
                if kind == RunKind::Apply && count == 0 {
                    self.info(Level::Info, "nothing to apply: every migration is applied");
                    return vec![];
                }
                self.dialog = Some(Dialog::ConfirmMigrations { profile: Box::new(p), kind, count });
                vec![]
            }
        }
    }

    fn start_migrations(&mut self, p: Profile, kind: migrations_pane::RunKind) -> Vec<Effect> {
        let job = self.job();
        self.migrations.log.clear();
        self.migrations.run = migrations_pane::RunState::Running {
            job,
            kind,
            index: 0,
            total: 0,
            current: String::new(),
            statement: (0, 0),
        };
        vec![Effect::RunMigrations { job, profile: Box::new(p), kind }]
    }

    /// Starts reading the catalog of `p` (already connected) in the background.
    fn load_catalog(&mut self, p: Profile) -> Vec<Effect> {
        let job = self.job();
        if let schema_pane::Load::Loading { job: old, .. } = self.schema.load {
            self.schema.load = schema_pane::Load::Loading { job, stage: "starting".into() };
            return vec![Effect::Cancel { job: old }, Effect::LoadCatalog { job, profile: Box::new(p) }];
        }
        self.schema.load = schema_pane::Load::Loading { job, stage: "starting".into() };
        vec![Effect::LoadCatalog { job, profile: Box::new(p) }]
    }

    fn schema_request(&mut self, req: schema_pane::Request) -> Vec<Effect> {
        use schema_pane::Request as R;
        match req {
            R::None => vec![],
            R::Reload => match &self.session {
                Some(s) if matches!(s.state, ConnState::Connected(_)) => {
                    let p = s.profile.clone();
                    self.load_catalog(p)
                }
                Some(s) => {
                    // Not connected (or the connection failed): connect again; the catalog follows.
                    let p = s.profile.clone();
                    self.connect(p)
                }
                None => {
                    self.info(Level::Warn, "no active profile: connect one in the Profiles pane");
                    vec![]
                }
            },
            R::Count { schema, table } => {
                let Some(profile) = self.schema.profile.clone() else { return vec![] };
                let job = self.job();
                self.schema.counts.insert((schema.clone(), table.clone()), schema_pane::Count::Running(job));
                vec![Effect::CountRows { job, profile, schema, table }]
            }
            R::Cancel(job) => {
                self.info(Level::Info, "row count cancelled");
                vec![Effect::Cancel { job }]
            }
            R::Query(sql) => {
                self.query.open_text(&sql, None);
                self.pane = 4;
                vec![]
            }
        }
    }

    fn on_profiles_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let n = self.all().len();
        match keymap::lookup(Scope::Profiles, &key) {
            Some(Command::Down) if n > 0 => self.profiles.selected = (self.profiles.selected + 1).min(n - 1),
            Some(Command::Up) => self.profiles.selected = self.profiles.selected.saturating_sub(1),
            Some(Command::Connect) => return self.connect_selected(),
            Some(Command::Test) => return self.test_selected(),
            Some(Command::Add) => self.form = Some(ProfileForm::new(self.taken_names())),
            Some(Command::Edit) => {
                if let Some(p) = self.selected().cloned() {
                    let mode = match p.origin {
                        Origin::File { .. } => FormMode::Edit { original: p.name.clone() },
                        _ => FormMode::Add,
                    };
                    self.form = Some(ProfileForm::from_profile(&p, mode, self.taken_names()));
                }
            }
            Some(Command::Duplicate) => {
                if let Some(p) = self.selected().cloned() {
                    self.form = Some(ProfileForm::from_profile(&p, FormMode::Add, self.taken_names()));
                }
            }
            Some(Command::Delete) => match self.selected().cloned() {
                Some(p) if matches!(p.origin, Origin::File { .. }) => {
                    self.dialog = Some(Dialog::ConfirmDelete { name: p.name.clone() })
                }
                Some(p) if matches!(p.origin, Origin::Imported(_)) => {
                    self.found.retain(|f| f.name != p.name);
                    self.profiles.selected = self.profiles.selected.min(self.all().len().saturating_sub(1));
                }
                Some(_) => self.info(Level::Warn, "this profile is not in the profiles file"),
                None => {}
            },
            Some(Command::Import) => return vec![Effect::Discover],
            Some(Command::Reload) => return vec![Effect::ReloadProfiles],
            _ => {}
        }
        vec![]
    }

    fn on_dialog_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(dialog) = self.dialog.take() else { return vec![] };
        match dialog {
            Dialog::ConfirmQuery { profile, statements, scope, dangers } => match keymap::lookup(Scope::Dialog, &key) {
                Some(Command::Confirm) => self.start_query(&profile, statements, scope),
                Some(Command::Deny) => {
                    self.info(Level::Info, "not run");
                    vec![]
                }
                _ => {
                    self.dialog = Some(Dialog::ConfirmQuery { profile, statements, scope, dangers });
                    vec![]
                }
            },
            Dialog::ConfirmEdits { profile, plans } => match keymap::lookup(Scope::Dialog, &key) {
                Some(Command::Confirm) => {
                    let job = self.job();
                    self.query.applying = Some(job);
                    vec![Effect::ApplyEdits { job, profile: profile.name.clone(), plans }]
                }
                Some(Command::Deny) => vec![],
                _ => {
                    self.dialog = Some(Dialog::ConfirmEdits { profile, plans });
                    vec![]
                }
            },
            Dialog::ConfirmTransfer { to } => match keymap::lookup(Scope::Dialog, &key) {
                Some(Command::Confirm) => self.transfer_run(to),
                Some(Command::Deny) => vec![],
                _ => {
                    self.dialog = Some(Dialog::ConfirmTransfer { to });
                    vec![]
                }
            },
            Dialog::ConfirmQuit => match keymap::lookup(Scope::Dialog, &key) {
                Some(Command::Confirm) => vec![Effect::Quit],
                Some(Command::Deny) => vec![],
                _ => {
                    self.dialog = Some(Dialog::ConfirmQuit);
                    vec![]
                }
            },
            Dialog::ConfirmMigrations { profile, kind, count } => match keymap::lookup(Scope::Dialog, &key) {
                Some(Command::Confirm) => self.start_migrations(*profile, kind),
                Some(Command::Deny) => {
                    self.info(Level::Info, format!("{}: not started", kind.verb()));
                    vec![]
                }
                _ => {
                    self.dialog = Some(Dialog::ConfirmMigrations { profile, kind, count });
                    vec![]
                }
            },
            Dialog::ConfirmDelete { name } => match keymap::lookup(Scope::Dialog, &key) {
                Some(Command::Confirm) => vec![Effect::RemoveProfile { name }],
                Some(Command::Deny) => vec![],
                _ => {
                    self.dialog = Some(Dialog::ConfirmDelete { name });
                    vec![]
                }
            },
            Dialog::Password { profile, purpose, reason, mut input } => match key.code {
                KeyCode::Esc => {
                    self.info(Level::Warn, format!("{profile}: no password given; not connected"));
                    if let Some(s) = &mut self.session
                        && s.profile.name == profile
                        && matches!(s.state, ConnState::Connecting(_))
                    {
                        s.state = ConnState::Failed(crate::core::engine::classify::password_unavailable(
                            &s.profile,
                            "no password was given",
                        ));
                    }
                    if purpose == Purpose::Test {
                        self.profiles.tests.remove(&profile);
                    }
                    vec![]
                }
                KeyCode::Enter => {
                    let pw = SecretString::from(input.expose_secret().as_str());
                    input.expose_secret_mut().clear();
                    self.passwords.insert(profile.clone(), pw);
                    let Some(p) = self.all().into_iter().find(|p| p.name == profile).cloned() else { return vec![] };
                    match purpose {
                        Purpose::Test => self.test(p),
                        Purpose::Connect => self.connect(p),
                    }
                }
                KeyCode::Backspace => {
                    input.expose_secret_mut().pop();
                    self.dialog = Some(Dialog::Password { profile, purpose, reason, input });
                    vec![]
                }
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    input.expose_secret_mut().push(c);
                    self.dialog = Some(Dialog::Password { profile, purpose, reason, input });
                    vec![]
                }
                _ => {
                    self.dialog = Some(Dialog::Password { profile, purpose, reason, input });
                    vec![]
                }
            },
        }
    }
}
