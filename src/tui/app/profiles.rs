//! The profiles pane's part of `App::update`: its keys, connecting and testing, and its jobs' results.
use crossterm::event::KeyEvent;
use secrecy::SecretBox;

use super::dialog::{Confirm, ConfirmTarget, Dialog, Tone};
use super::{App, ConnState, Level, Session};
use crate::core::profile::{Origin, Profile};
use crate::tui::action::ProfilesMsg;
use crate::tui::effect::Effect;
use crate::tui::keymap::{self, Command, Scope};
use crate::tui::panes::profiles::TestState;
use crate::tui::panes::profiles::form::{FormMode, ProfileForm};

impl App {
    pub(super) fn connect_selected(&mut self) -> Vec<Effect> {
        let Some(p) = self.selected().cloned() else { return vec![] };
        self.connect(p)
    }

    pub(super) fn connect(&mut self, p: Profile) -> Vec<Effect> {
        let mut effects = Vec::new();
        if let Some(old) = self.session.as_ref().map(|s| s.profile.clone())
            && old.name != p.name
        {
            // Everything the panes hold belongs to the active profile: switching must not show (or apply) the old
            // profile's plan, catalog or results under the new name.
            if let Some(what) = self.busy() {
                self.info(Level::Warn, format!("{what} is running on `{}`: Esc stops it first", old.name));
                return vec![];
            }
            if self.query.txn != crate::core::query::TxnState::Idle {
                let question = format!("A transaction is open on `{}`. Switch to `{}`?", old.name, p.name);
                let c = Confirm::new(
                    "Transaction open",
                    question,
                    "switch (roll back)",
                    "stay",
                    ConfirmTarget::Switch { profile: Box::new(p) },
                )
                .line(Tone::Warn, "Switching closes its connection: the server rolls the transaction back.")
                .line(Tone::Dim, "To keep the changes, stay and run COMMIT first.");
                self.ask(c);
                return vec![];
            }
            self.forget_profile_state();
            effects.push(Effect::EndQuerySession);
        }
        effects.extend(self.open_profile(p));
        effects
    }

    /// Resets every pane's state that belongs to a profile.
    pub(super) fn forget_profile_state(&mut self) {
        self.schema = Default::default();
        self.migrations = Default::default();
        self.query.reset_for_profile();
    }

    /// What long job runs now, in words (a profile switch waits for it).
    pub(super) fn busy(&self) -> Option<&'static str> {
        if self.query.running().is_some() {
            Some("a query")
        } else if self.migrations.running() || self.migrations.diffing.is_some() {
            Some("a migration job")
        } else if self.migrations.transfer.busy() {
            Some("a transfer")
        } else {
            None
        }
    }

    fn open_profile(&mut self, p: Profile) -> Vec<Effect> {
        let job = self.job();
        let password = self.passwords.get(&p.name).cloned();
        self.session = Some(Session { profile: p.clone(), state: ConnState::Connecting(job) });
        vec![Effect::Connect { job, profile: Box::new(p), password }]
    }

    fn test_selected(&mut self) -> Vec<Effect> {
        let Some(p) = self.selected().cloned() else { return vec![] };
        self.test(p)
    }

    pub(super) fn test(&mut self, p: Profile) -> Vec<Effect> {
        let job = self.job();
        self.profiles.tests.insert(p.name.clone(), TestState { job, steps: Vec::new(), report: None });
        let password = self.passwords.get(&p.name).cloned();
        vec![Effect::TestProfile { job, profile: Box::new(p), password }]
    }

    pub(super) fn on_profiles(&mut self, msg: ProfilesMsg) -> Vec<Effect> {
        match msg {
            ProfilesMsg::TestStep { job, profile, step } => {
                if let Some(t) = self.profiles.tests.get_mut(&profile)
                    && t.job == job
                {
                    t.steps.push(step);
                }
            }
            ProfilesMsg::TestFinished { job, profile, report } => {
                let mut ask = None;
                if let Some(t) = self.profiles.tests.get_mut(&profile)
                    && t.job == job
                {
                    let level = if report.ok { Level::Info } else { Level::Error };
                    self.message = Some((level, format!("{profile}: {}", report.message)));
                    t.steps = report.steps.clone();
                    ask = report.ssh_ask.clone();
                    t.report = Some(*report);
                }
                if let Some(ask) = ask {
                    self.ask_ssh(profile, crate::tui::action::Purpose::Test, ask);
                }
            }
            ProfilesMsg::NeedSsh { profile, purpose, ask } => self.ask_ssh(profile, purpose, ask),
            ProfilesMsg::NeedPassword { profile, purpose, reason } => {
                self.dialog =
                    Some(Dialog::Password { profile, purpose, reason, input: SecretBox::new(Box::default()) });
            }
            ProfilesMsg::Connected { job, profile, result } => return self.on_connected(job, profile, result),
            ProfilesMsg::Loaded(set) => self.on_loaded(*set),
            ProfilesMsg::Saved { result } => match result {
                Ok(m) => self.info(Level::Info, m),
                Err(e) => self.info(Level::Error, e),
            },
            ProfilesMsg::Discovered(found) => self.on_discovered(found),
        }
        vec![]
    }

    fn on_connected(
        &mut self,
        job: u64,
        profile: String,
        result: Result<String, crate::core::engine::ConnectError>,
    ) -> Vec<Effect> {
        let Some(s) = &mut self.session else { return vec![] };
        if s.state != ConnState::Connecting(job) || s.profile.name != profile {
            return vec![];
        }
        match result {
            Ok(msg) => {
                self.message = Some((Level::Info, msg.clone()));
                s.state = ConnState::Connected(msg);
                let p = s.profile.clone();
                self.load_catalog(p)
            }
            Err(e) => {
                self.message = Some((Level::Error, format!("{}: {}", e.class.title(), e.message)));
                s.state = ConnState::Failed(e);
                // A typed password that failed is forgotten.
                self.passwords.remove(&profile);
                vec![]
            }
        }
    }

    fn on_loaded(&mut self, set: crate::core::profile::ProfileSet) {
        let selected_name = self.selected().map(|p| p.name.clone());
        self.set = set;
        let names: Vec<String> = self.set.profiles.iter().map(|p| p.name.clone()).collect();
        self.found.retain(|f| !names.contains(&f.name));
        let all_len = self.all().len();
        self.profiles.selected = selected_name
            .and_then(|n| self.all().iter().position(|p| p.name == n))
            .unwrap_or(self.profiles.selected.min(all_len.saturating_sub(1)));
        if !self.set.problems.is_empty() {
            self.note_problems();
        }
    }

    fn on_discovered(&mut self, found: Vec<crate::core::profile::import::Found>) {
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
    }

    pub(super) fn on_profiles_key(&mut self, key: KeyEvent) -> Vec<Effect> {
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
                    let question = format!("Delete profile `{}` from the profiles file?", p.name);
                    self.ask(Confirm::new(
                        "Delete profile",
                        question,
                        "delete",
                        "keep",
                        ConfirmTarget::DeleteProfile { name: p.name.clone() },
                    ));
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
}
