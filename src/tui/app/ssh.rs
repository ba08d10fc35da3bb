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
    /// For a host key: the answer Enter gives — 0 refuse (the default, so a stray Enter refuses), 1 accept once,
    /// 2 accept and save. Moved with ←/→ or Tab; no letter answers, so text typed elsewhere cannot accept a key.
    pub choice: usize,
}

/// The answers to an unknown host key, in the order ←/→ walks them.
pub const HOST_KEY_CHOICES: [&str; 3] = ["refuse", "accept once", "accept and save"];

impl SshDialog {
    pub fn paste(&mut self, text: &str) {
        if !matches!(self.ask, SshAsk::HostKey(_)) {
            self.input.expose_secret_mut().push_str(text);
        }
    }
}

impl App {
    pub(super) fn ask_ssh(&mut self, profile: String, purpose: Purpose, ask: SshAsk) {
        // Another question is open (a password, a confirmation): it is not replaced under the user's fingers; this
        // one is asked again when the job runs again.
        if self.dialog.is_some() {
            self.info(
                Level::Warn,
                format!("{profile}: the SSH route needs an answer; test or connect again to see it"),
            );
            return;
        }
        let input = SecretBox::new(Box::default());
        self.dialog = Some(Dialog::Ssh(SshDialog { profile, purpose, ask, input, note: None, choice: 0 }));
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
                KeyCode::Left | KeyCode::BackTab => {
                    d.choice = (d.choice + HOST_KEY_CHOICES.len() - 1) % HOST_KEY_CHOICES.len();
                    self.dialog = Some(Dialog::Ssh(d));
                    return vec![];
                }
                KeyCode::Right | KeyCode::Tab => {
                    d.choice = (d.choice + 1) % HOST_KEY_CHOICES.len();
                    self.dialog = Some(Dialog::Ssh(d));
                    return vec![];
                }
                KeyCode::Enter if d.choice > 0 => d.choice == 2,
                KeyCode::Enter | KeyCode::Esc => {
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
