//! Dialogs: one confirmation that carries what a yes does (its target), drawn and answered in one place, and the
//! password prompt.
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use secrecy::{ExposeSecret, ExposeSecretMut, SecretBox, SecretString};

use super::{App, ConnState, Level};
use crate::core::profile::{Environment, Profile};
use crate::tui::action::Purpose;
use crate::tui::effect::Effect;
use crate::tui::keymap::{self, Command, Scope};
use crate::tui::panes::migrations::RunKind;

pub enum Dialog {
    Confirm(Confirm),
    Password {
        profile: String,
        purpose: Purpose,
        reason: String,
        input: SecretBox<String>,
    },
    /// A question of the profile's SSH route (src/tui/app/ssh.rs).
    Ssh(super::ssh::SshDialog),
}

/// How a line of a confirmation reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Text,
    Warn,
    Danger,
    Dim,
}

/// A question, its answers' words, and what a yes does.
pub struct Confirm {
    pub title: String,
    pub lines: Vec<(Tone, String)>,
    pub yes: &'static str,
    pub no: &'static str,
    /// Said when the answer is no.
    pub on_no: Option<String>,
    pub target: ConfirmTarget,
    /// A production profile: its name must be typed (then Enter), as the CLI asks; `y` alone does not do.
    pub typed: Option<Typed>,
}

/// The name to type, and what has been typed.
pub struct Typed {
    pub expected: String,
    pub input: String,
}

/// What a confirmed dialog does.
pub enum ConfirmTarget {
    DeleteProfile {
        name: String,
    },
    Migrations {
        profile: Box<Profile>,
        kind: RunKind,
        count: usize,
        up_to: Option<i64>,
    },
    /// Destructive statements in a query run: each with its line and what it does.
    Query {
        profile: Box<Profile>,
        statements: Vec<crate::core::sql::Statement>,
        scope: crate::tui::panes::query::RunScope,
        dangers: Vec<(usize, String)>,
    },
    /// Quit with a transaction open in the query pane.
    Quit,
    Transfer {
        to: Box<Profile>,
    },
    /// Apply staged grid edits.
    Edits {
        profile: Box<Profile>,
        plans: Vec<crate::core::query::edit::Planned>,
    },
    /// Export the shown result over an existing file.
    Export {
        format: crate::core::query::export::Format,
        path: String,
    },
    /// Make another profile the active one, ending the open transaction.
    Switch {
        profile: Box<Profile>,
    },
    /// Remove a sync link.
    SyncRemove {
        name: String,
    },
}

impl Confirm {
    pub fn new(title: &str, question: String, yes: &'static str, no: &'static str, target: ConfirmTarget) -> Confirm {
        Confirm {
            title: format!(" {title} "),
            lines: vec![(Tone::Text, question)],
            yes,
            no,
            on_no: None,
            target,
            typed: None,
        }
    }

    pub fn line(mut self, tone: Tone, text: impl Into<String>) -> Confirm {
        self.lines.push((tone, text.into()));
        self
    }

    /// On a production profile: a warning line, and its name must be typed to go on.
    pub fn production(mut self, p: &Profile) -> Confirm {
        if p.environment != Environment::Production {
            return self;
        }
        self.typed = Some(Typed { expected: p.name.clone(), input: String::new() });
        self.line(Tone::Danger, "This is a PRODUCTION profile.")
    }

    pub fn on_no(mut self, message: impl Into<String>) -> Confirm {
        self.on_no = Some(message.into());
        self
    }
}

impl App {
    pub(super) fn ask(&mut self, c: Confirm) {
        self.dialog = Some(Dialog::Confirm(c));
    }

    pub(super) fn on_dialog_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        match self.dialog.take() {
            None => vec![],
            Some(Dialog::Confirm(c)) if c.typed.is_some() => self.on_typed_key(key, c),
            Some(Dialog::Confirm(c)) => match keymap::lookup(Scope::Dialog, &key) {
                Some(Command::Confirm) => self.confirmed(c.target),
                Some(Command::Deny) => {
                    if let Some(m) = c.on_no {
                        self.info(Level::Info, m);
                    }
                    vec![]
                }
                _ => {
                    self.dialog = Some(Dialog::Confirm(c));
                    vec![]
                }
            },
            Some(Dialog::Password { profile, purpose, reason, input }) => {
                self.on_password_key(key, profile, purpose, reason, input)
            }
            Some(Dialog::Ssh(d)) => self.on_ssh_key(key, d),
        }
    }

    /// A production confirmation: the profile's name typed, then Enter; Esc cancels.
    fn on_typed_key(&mut self, key: KeyEvent, mut c: Confirm) -> Vec<Effect> {
        let Some(t) = c.typed.as_mut() else { return vec![] };
        match key.code {
            KeyCode::Esc => {
                if let Some(m) = c.on_no {
                    self.info(Level::Info, m);
                }
                return vec![];
            }
            KeyCode::Enter if t.input == t.expected => return self.confirmed(c.target),
            KeyCode::Enter => self.info(Level::Warn, format!("type `{}` exactly to go on (Esc cancels)", t.expected)),
            KeyCode::Backspace => {
                t.input.pop();
            }
            KeyCode::Char(ch) if !key.modifiers.contains(KeyModifiers::CONTROL) => t.input.push(ch),
            _ => {}
        }
        self.dialog = Some(Dialog::Confirm(c));
        vec![]
    }

    fn confirmed(&mut self, target: ConfirmTarget) -> Vec<Effect> {
        match target {
            ConfirmTarget::DeleteProfile { name } => vec![Effect::RemoveProfile { name }],
            ConfirmTarget::Migrations { profile, kind, up_to, .. } => self.start_migrations(*profile, kind, up_to),
            ConfirmTarget::Query { profile, statements, scope, .. } => self.start_query(&profile, statements, scope),
            ConfirmTarget::Quit => vec![Effect::Quit],
            ConfirmTarget::Export { format, path } => self.export(format, path, true),
            ConfirmTarget::Transfer { to } => self.transfer_run(to),
            ConfirmTarget::SyncRemove { name } => self.sync_remove(name),
            ConfirmTarget::Switch { profile } => {
                self.query.txn = crate::core::query::TxnState::Idle;
                self.connect(*profile)
            }
            ConfirmTarget::Edits { profile, plans } => {
                let job = self.job();
                self.query.applying = Some(job);
                vec![Effect::ApplyEdits { job, profile: profile.name.clone(), plans }]
            }
        }
    }

    fn on_password_key(
        &mut self,
        key: KeyEvent,
        profile: String,
        purpose: Purpose,
        reason: String,
        mut input: SecretBox<String>,
    ) -> Vec<Effect> {
        match key.code {
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
        }
    }
}
