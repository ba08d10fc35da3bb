//! The questions an SSH route puts to the user, as a dialog: an unknown host key (its fingerprint shown; accepted
//! for this session, saved to known_hosts, or refused), a key's passphrase, a password. The answer is recorded in
//! the core's session answers (secrets in `secrecy` types, never on screen) and the job that asked runs again.
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use secrecy::{ExposeSecret, ExposeSecretMut, SecretBox, SecretString};

use super::{App, ConnState, Dialog, Level};
use crate::core::ssh::{self, SshAsk};
use crate::tui::action::Purpose;
use crate::tui::effect::Effect;

pub struct SshDialog {
    pub profile: String,
    pub purpose: Purpose,
    pub ask: SshAsk,
    /// What is typed for a passphrase or a password (never shown: one dot per character).
    pub input: SecretBox<String>,
    /// Said above the input after a wrong passphrase.
    pub note: Option<String>,
}

impl SshDialog {
    pub fn paste(&mut self, text: &str) {
        if !matches!(self.ask, SshAsk::HostKey(_)) {
            self.input.expose_secret_mut().push_str(text);
        }
    }
}

impl App {
    pub(super) fn ask_ssh(&mut self, profile: String, purpose: Purpose, ask: SshAsk) {
        self.dialog =
            Some(Dialog::Ssh(SshDialog { profile, purpose, ask, input: SecretBox::new(Box::default()), note: None }));
    }

    /// Runs again the job that asked.
    fn ssh_retry(&mut self, profile: &str, purpose: Purpose) -> Vec<Effect> {
        let Some(p) = self.all().into_iter().find(|p| p.name == profile).cloned() else { return vec![] };
        match purpose {
            Purpose::Test => self.test(p),
            Purpose::Connect => self.connect(p),
        }
    }

    fn ssh_refused(&mut self, d: &SshDialog, what: &str) {
        self.info(Level::Warn, format!("{}: {what}; not connected", d.profile));
        if let Some(s) = &mut self.session
            && s.profile.name == d.profile
            && matches!(s.state, ConnState::Connecting(_))
        {
            let e = match d.ask.clone() {
                SshAsk::HostKey(k) => ssh::SshError::HostKeyUnknown(k),
                SshAsk::Passphrase(file) => ssh::SshError::NeedPassphrase { file },
                SshAsk::Password(who) => ssh::SshError::NeedPassword { who, tried: Vec::new() },
            };
            s.state = ConnState::Failed(e.into_connect_error());
        }
    }

    pub(super) fn on_ssh_key(&mut self, key: KeyEvent, mut d: SshDialog) -> Vec<Effect> {
        if let SshAsk::HostKey(k) = &d.ask {
            let save = match key.code {
                KeyCode::Char('a') => false,
                KeyCode::Char('s') => true,
                KeyCode::Esc | KeyCode::Char('n') | KeyCode::Char('q') => {
                    self.ssh_refused(&d, "host key not accepted");
                    return vec![];
                }
                _ => {
                    self.dialog = Some(Dialog::Ssh(d));
                    return vec![];
                }
            };
            return match ssh::accept_host_key(k, save) {
                Ok(()) => {
                    let said = if save {
                        format!("host key of {} saved to {}", ssh::hostport(&k.host, k.port), k.save_to.display())
                    } else {
                        format!("host key of {} accepted for this session", ssh::hostport(&k.host, k.port))
                    };
                    self.info(Level::Info, said);
                    self.ssh_retry(&d.profile.clone(), d.purpose)
                }
                Err(e) => {
                    self.info(Level::Error, e);
                    vec![]
                }
            };
        }
        match key.code {
            KeyCode::Esc => {
                self.ssh_refused(&d, "nothing typed");
                vec![]
            }
            KeyCode::Enter => {
                let typed = SecretString::from(d.input.expose_secret().as_str());
                d.input.expose_secret_mut().clear();
                match &d.ask {
                    SshAsk::Passphrase(file) => {
                        if !ssh::connect::passphrase_opens(file, typed.expose_secret()) {
                            d.note = Some("that passphrase does not open the key: type it again".into());
                            self.dialog = Some(Dialog::Ssh(d));
                            return vec![];
                        }
                        ssh::answers().set_passphrase(file, typed);
                    }
                    SshAsk::Password(who) => ssh::answers().set_password(who, typed),
                    SshAsk::HostKey(_) => {}
                }
                self.ssh_retry(&d.profile.clone(), d.purpose)
            }
            KeyCode::Backspace => {
                d.input.expose_secret_mut().pop();
                self.dialog = Some(Dialog::Ssh(d));
                vec![]
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                d.input.expose_secret_mut().push(c);
                self.dialog = Some(Dialog::Ssh(d));
                vec![]
            }
            _ => {
                self.dialog = Some(Dialog::Ssh(d));
                vec![]
            }
        }
    }
}
