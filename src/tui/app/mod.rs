//! The app's state and `update`: Action in, state changed, Effects out. Never awaits, never does I/O. `update`
//! routes: keys to the focused pane (or the dialog, form or help on top), job results to the pane they belong to,
//! each pane's part in its own file here.
mod dialog;
mod migrations;
mod mouse;
mod palette;
mod pane;
mod profiles;
mod query;
mod results;
mod schema;
mod ssh;
mod sync;
mod transfer;

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use secrecy::SecretString;

pub use dialog::{Confirm, ConfirmTarget, Dialog, Tone};
pub use pane::PaneId;
pub use ssh::{HOST_KEY_CHOICES, SshDialog};

use super::action::{Action, JobId};
use super::effect::Effect;
use super::keymap::{self, Command, Scope};
use super::panes::migrations::{self as migrations_pane, MigrationsPane};
use super::panes::profiles::ProfilesPane;
use super::panes::profiles::form::{FormOutcome, ProfileForm};
use super::panes::query::QueryPane;
use super::panes::schema::SchemaPane;
use super::panes::sync::SyncPane;
use super::theme::Theme;
use crate::core::engine::ConnectError;
use crate::core::profile::{Origin, Profile, ProfileSet};

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

pub struct App {
    pub theme: Theme,
    pub pane: PaneId,
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
    pub sync: SyncPane,
    pub query: QueryPane,
    pub message: Option<(Level, String)>,
    /// The last messages with their time (newest last), for the message log (`L`).
    pub messages: std::collections::VecDeque<(String, Level, String)>,
    /// The message log is open.
    pub log_open: bool,
    /// Lines scrolled in the message log.
    pub log_scroll: u16,
    /// The command palette, while open.
    pub palette: Option<crate::tui::widgets::palette::Palette>,
    /// Palette items used recently, most recent first.
    pub recent: Vec<String>,
    /// Where each pane's label was drawn in the pane bar (columns from, to): for clicks.
    pub tab_ranges: std::cell::RefCell<Vec<(u16, u16, PaneId)>>,
    /// The panes' places in the last frame (for clicks and drags), and what the user changed about them.
    pub screen: std::cell::RefCell<crate::tui::layout::Screen>,
    pub layout: crate::tui::layout::LayoutState,
    /// Passwords typed in this session, in memory only.
    passwords: HashMap<String, SecretString>,
    next_job: JobId,
}

impl App {
    pub fn new(theme: Theme, set: ProfileSet, adhoc: Option<Profile>) -> Self {
        let mut app = App {
            theme,
            pane: PaneId::Profiles,
            set,
            adhoc,
            found: Vec::new(),
            profiles: ProfilesPane::default(),
            session: None,
            form: None,
            dialog: None,
            help: false,
            help_scroll: 0,
            messages: std::collections::VecDeque::new(),
            log_open: false,
            log_scroll: 0,
            palette: None,
            recent: Vec::new(),
            tab_ranges: std::cell::RefCell::new(Vec::new()),
            screen: std::cell::RefCell::new(crate::tui::layout::screen(
                ratatui::layout::Rect::new(0, 0, 80, 24),
                PaneId::Profiles,
                &Default::default(),
            )),
            layout: Default::default(),
            schema: SchemaPane::default(),
            migrations: MigrationsPane::default(),
            sync: SyncPane::default(),
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
        // What start-up said (a theme or drafts problem) stays in the log after the connect message replaces it.
        self.keep_message();
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
        // `dbconsole URL` and `dbconsole PROFILE` open on the schema pane: the tables list as soon as their names
        // are read. A plain `dbconsole` opens on the profiles.
        if chosen.is_some() && (profile.is_some() || self.adhoc.is_some()) {
            self.pane = PaneId::Schema;
        }
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

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let effects = self.route(action);
        if matches!(self.pane, PaneId::Query | PaneId::Migrations | PaneId::Sync) {
            self.layout.work = self.pane;
        }
        self.keep_message();
        effects
    }

    /// Keeps the status line's message in the log when it changed (at most 200, each with its time).
    fn keep_message(&mut self) {
        let Some((level, text)) = &self.message else { return };
        if self.messages.back().is_some_and(|(_, _, t)| t == text) {
            return;
        }
        let time = chrono::Local::now().format("%H:%M:%S").to_string();
        self.messages.push_back((time, *level, text.clone()));
        if self.messages.len() > 200 {
            self.messages.pop_front();
        }
    }

    fn route(&mut self, action: Action) -> Vec<Effect> {
        match action {
            // A terminal sends Esc then a key as Alt-key when both arrive in one read: no binding uses Alt, so it
            // is read as the two keys it was.
            Action::Key(key)
                if key.modifiers == KeyModifiers::ALT
                    && matches!(key.code, KeyCode::Char(_))
                    && !keymap::binds_alt(key.code) =>
            {
                let mut effects = self.on_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
                effects.extend(self.on_key(KeyEvent::new(key.code, KeyModifiers::NONE)));
                effects
            }
            Action::Key(key) => self.on_key(key),
            Action::Paste(text) => self.on_paste(text),
            Action::Mouse(m) => self.on_mouse(m),
            Action::Tick => self.sync_tick(),
            Action::Profiles(m) => self.on_profiles(m),
            Action::Schema(m) => self.on_schema(m),
            Action::Migrations(m) => self.on_migrations(m),
            Action::Transfer(m) => self.on_transfer(m),
            Action::Query(m) => self.on_query(m),
            Action::Sync(m) => self.on_sync(m),
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) && self.dialog.is_none() {
            return self.interrupt();
        }
        if key.code == KeyCode::Char('z') && key.modifiers.contains(KeyModifiers::CONTROL) {
            return vec![Effect::Suspend];
        }
        if self.log_open {
            // The drawing keeps the last page in view, however far this goes.
            match overlay_key(&key, Command::Messages, 'L', self.log_scroll) {
                Some(scroll) => self.log_scroll = scroll,
                None => self.log_open = false,
            }
            return vec![];
        }
        if self.help {
            match overlay_key(&key, Command::Help, '?', self.help_scroll) {
                // It stops at its end (the drawing keeps the last page in view).
                Some(scroll) => {
                    self.help_scroll = scroll.min(super::widgets::popup::help_len(self.pane).saturating_sub(1))
                }
                None => {
                    self.help = false;
                    self.help_scroll = 0;
                }
            }
            return vec![];
        }
        if self.dialog.is_some() {
            return self.on_dialog_key(key);
        }
        if self.palette.is_some() {
            return self.on_palette_key(key);
        }
        if let Some(form) = &mut self.form {
            return match form.handle_key(&key) {
                FormOutcome::Continue => vec![],
                FormOutcome::Cancel => {
                    self.form = None;
                    vec![]
                }
                FormOutcome::Save { profile, replacing, create_file } => {
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
                    vec![Effect::SaveProfile { profile, replacing, create_file }]
                }
            };
        }
        // In the query editor (and its prompts) keys are text; F1 still opens the help.
        if self.pane == PaneId::Query && self.query.captures_keys() {
            if key.code == KeyCode::F(1) {
                self.help = true;
                return vec![];
            }
            let req = self.query.handle_key(&key);
            return self.query_request(req);
        }
        // While the schema filter is being typed, every printable key is part of it.
        if self.pane == PaneId::Schema && self.schema.filtering {
            let req = self.schema.handle_key(&key);
            return self.schema_request(req);
        }
        if let Some(cmd) = keymap::lookup(Scope::Global, &key) {
            return self.global(cmd);
        }
        match self.pane {
            PaneId::Profiles => self.on_profiles_key(key),
            PaneId::Schema => {
                let req = self.schema.handle_key(&key);
                self.schema_request(req)
            }
            PaneId::Migrations => {
                let req = self.migrations.handle_key(&key);
                self.migrations_request(req)
            }
            PaneId::Query => {
                let req = self.query.handle_key(&key);
                self.query_request(req)
            }
            PaneId::Sync => {
                let req = self.sync.handle_key(&key);
                self.sync_request(req)
            }
        }
    }

    /// A global action (a key, or the palette's choice while the editor would take the key as text).
    pub(super) fn global(&mut self, cmd: Command) -> Vec<Effect> {
        match cmd {
            Command::Quit => return self.quit(),
            Command::Help => self.help = true,
            Command::Messages => {
                self.log_open = true;
                self.log_scroll = 0;
            }
            Command::Palette => return self.open_palette(),
            Command::NextTheme => {
                let (name, theme) = super::theme::next_built_in(&self.theme);
                self.theme = theme;
                self.info(Level::Info, format!("theme: {name} (theme.toml's base and roles apply at start)"));
            }
            Command::NextPane => self.pane = self.pane.next(),
            Command::PrevPane => self.pane = self.pane.prev(),
            Command::GoPane(i) => self.pane = PaneId::from_index(i),
            _ => {}
        }
        self.entered_pane()
    }

    /// What entering the pane in view reads: the sync links' status; the migrations plan the first time.
    pub(super) fn entered_pane(&mut self) -> Vec<Effect> {
        if self.pane == PaneId::Sync {
            return self.sync_refresh();
        }
        if self.pane == PaneId::Migrations && matches!(self.migrations.load, migrations_pane::Load::Idle) {
            return self.migrations_request(migrations_pane::Request::Plan);
        }
        vec![]
    }

    /// Ctrl-C: stops what runs (the query on the server, a migration run, a transfer, a catalog read or row count);
    /// with nothing running, quits as `q` does (asking first with a transaction open).
    fn interrupt(&mut self) -> Vec<Effect> {
        use crate::tui::panes::migrations::transfer::{Request as T, Stage};
        use crate::tui::panes::migrations::{Request as M, RunState};
        if self.query.running().is_some() {
            return self.query_request(crate::tui::panes::query::Request::Cancel);
        }
        if matches!(self.migrations.run, RunState::Running { .. }) {
            return self.migrations_request(M::Cancel);
        }
        if let Some(effects) = self.sync_interrupt() {
            return effects;
        }
        if let Stage::Planning(j) | Stage::Running(j) | Stage::Verifying(j) = self.migrations.transfer.stage {
            return self.migrations_request(M::Transfer(T::Cancel(j)));
        }
        let counting: Vec<JobId> = self
            .schema
            .counts
            .values()
            .filter_map(|c| match c {
                super::panes::schema::Count::Running(j) => Some(*j),
                _ => None,
            })
            .collect();
        if let Some(&job) = counting.first() {
            self.schema.counts.retain(|_, c| !matches!(c, super::panes::schema::Count::Running(j) if *j == job));
            return self.schema_request(super::panes::schema::Request::Cancel(job));
        }
        self.quit()
    }

    /// Pasted text (bracketed paste) is text where text goes — the editor, the form, the password, a filter — and
    /// never runs single-key commands elsewhere.
    fn on_paste(&mut self, text: String) -> Vec<Effect> {
        let printable = |t: &str| t.chars().filter(|c| !c.is_control()).collect::<String>();
        if let Some(Dialog::Password { input, .. }) = &mut self.dialog {
            use secrecy::ExposeSecretMut;
            input.expose_secret_mut().push_str(&printable(&text));
            return vec![];
        }
        if let Some(Dialog::Ssh(d)) = &mut self.dialog {
            d.paste(&printable(&text));
            return vec![];
        }
        if let Some(Dialog::Confirm(c)) = &mut self.dialog {
            if let Some(t) = c.typed.as_mut() {
                t.input.push_str(&printable(&text));
            }
            return vec![];
        }
        if let Some(form) = &mut self.form {
            for ch in printable(&text).chars() {
                form.handle_key(&KeyEvent::new(KeyCode::Char(ch), KeyModifiers::NONE));
            }
            return vec![];
        }
        if self.help {
            return vec![];
        }
        match self.pane {
            PaneId::Query
                if self.query.captures_keys() || self.query.focus == crate::tui::panes::query::Focus::Editor =>
            {
                self.query.paste(&text);
            }
            PaneId::Schema if self.schema.filtering => {
                self.schema.filter.push_str(&printable(&text));
                self.schema.rebuild();
            }
            _ => self.info(Level::Info, "paste ignored: nothing here takes text (the query editor does)"),
        }
        vec![]
    }

    /// How often the loop should wake without an event: while a query runs (its elapsed time) and while the sync
    /// pane is on screen (its status); otherwise never.
    pub fn tick_every(&self) -> Option<std::time::Duration> {
        if self.query.running().is_some() {
            Some(std::time::Duration::from_millis(250))
        } else if self.pane == PaneId::Sync && self.dialog.is_none() {
            Some(std::time::Duration::from_secs(1))
        } else {
            None
        }
    }

    fn connected_profile(&self) -> Option<Profile> {
        self.session.as_ref().filter(|s| matches!(s.state, ConnState::Connected(_))).map(|s| s.profile.clone())
    }
}

/// A key in a scrolled overlay (the help, the message log): None closes it (Esc, q, its own key `own` or its
/// rebound one), else the scroll it moves to.
fn overlay_key(key: &KeyEvent, close: Command, own: char, scroll: u16) -> Option<u16> {
    if keymap::lookup(Scope::Global, key) == Some(close) {
        return None;
    }
    Some(match key.code {
        KeyCode::Esc | KeyCode::Char('q') => return None,
        KeyCode::Char(c) if c == own => return None,
        KeyCode::Down | KeyCode::Char('j') => scroll.saturating_add(1),
        KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
        KeyCode::PageDown | KeyCode::Char(' ') => scroll.saturating_add(10),
        KeyCode::PageUp => scroll.saturating_sub(10),
        KeyCode::Home | KeyCode::Char('g') => 0,
        KeyCode::End | KeyCode::Char('G') => u16::MAX,
        _ => scroll,
    })
}
