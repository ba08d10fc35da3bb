//! SSH routes to databases behind bastions: a profile's hops (`ssh = ["user@bastion:22", "user@inner:22"]`),
//! resolved through ~/.ssh/config, connected in-process with russh, host keys checked against known_hosts with
//! OpenSSH's rules, and a local forwarding endpoint every connection of the profile goes through.
//!
//! The local end is a Unix socket in a directory only this user can enter, not a TCP port: no other local user can
//! ride the tunnel, and the database driver keeps the profile's host name for TLS (`verify-full` checks the
//! certificate against the database host, never against the tunnel's end).
pub mod config;
pub mod connect;
pub mod known_hosts;
pub mod plan;
pub mod tunnel;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use secrecy::SecretString;

use crate::core::engine::{ConnectError, FailureClass};

/// One hop as the user wrote it: `[user@]host[:port]`; the host may be an alias of ~/.ssh/config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

impl Hop {
    pub fn parse(s: &str) -> Result<Hop, String> {
        let (user, host, port) = config::parse_hop(s)?;
        Ok(Hop { user, host, port })
    }
}

impl std::fmt::Display for Hop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(u) = &self.user {
            write!(f, "{u}@")?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(&self.host)?;
        }
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        Ok(())
    }
}

/// A profile's SSH route: the hops in order, and a key file to try first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Route {
    pub hops: Vec<Hop>,
    pub identity: Option<PathBuf>,
}

impl Route {
    pub fn is_empty(&self) -> bool {
        self.hops.is_empty()
    }

    /// `user@bastion:22 → user@inner:22`.
    pub fn describe(&self) -> String {
        self.hops.iter().map(|h| h.to_string()).collect::<Vec<_>>().join(" → ")
    }
}

/// Where SSH's files are: the user's ~/.ssh (config, known_hosts, default keys). From `HOME`, as OpenSSH's
/// fallback does.
#[derive(Debug, Clone)]
pub struct SshEnv {
    pub home: PathBuf,
    pub local_user: String,
}

impl SshEnv {
    pub fn from_env() -> SshEnv {
        let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/"));
        SshEnv { home, local_user: crate::core::profile::password::default_user() }
    }

    pub fn ssh_dir(&self) -> PathBuf {
        self.home.join(".ssh")
    }

    pub fn config_file(&self) -> PathBuf {
        self.ssh_dir().join("config")
    }
}

/// Why a route could not be built. Some ask for an answer (a host key to accept, a passphrase, a password): the
/// fronts ask, record it in [`answers`], and try again.
#[derive(Debug, Clone)]
pub enum SshError {
    /// Failed for good, classified.
    Failed(ConnectError),
    /// The hop's host key is in no known_hosts file: show it, accept it (once, or saved), or refuse.
    HostKeyUnknown(Box<UnknownKey>),
    /// The key file is encrypted: its passphrase is needed.
    NeedPassphrase { file: PathBuf },
    /// The server takes a password for this `user@host:port`; `tried` names the keys it refused first.
    NeedPassword { who: String, tried: Vec<String> },
}

/// What a front must ask the user before the route can be built.
#[derive(Debug, Clone, PartialEq)]
pub enum SshAsk {
    HostKey(Box<UnknownKey>),
    Passphrase(PathBuf),
    Password(String),
}

/// An unknown host key, with what is needed to trust it.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownKey {
    pub host: String,
    pub port: u16,
    pub algorithm: String,
    pub fingerprint: String,
    /// The known_hosts file it would be saved to.
    pub save_to: PathBuf,
    pub key: russh::keys::PublicKey,
}

impl SshError {
    /// The question to put to the user, when this error is one.
    pub fn ask(&self) -> Option<SshAsk> {
        match self {
            SshError::Failed(_) => None,
            SshError::HostKeyUnknown(k) => Some(SshAsk::HostKey(k.clone())),
            SshError::NeedPassphrase { file } => Some(SshAsk::Passphrase(file.clone())),
            SshError::NeedPassword { who, .. } => Some(SshAsk::Password(who.clone())),
        }
    }

    /// The classified form, for a front that cannot ask (no terminal, a background reconnect).
    pub fn into_connect_error(self) -> ConnectError {
        match self {
            SshError::Failed(e) => e,
            SshError::HostKeyUnknown(k) => ConnectError::new(
                FailureClass::SshHostKeyUnknown,
                format!(
                    "the host key of {} is not known: {} {}",
                    hostport(&k.host, k.port),
                    k.algorithm,
                    k.fingerprint
                ),
                format!(
                    "check the fingerprint with the server's administrator, then accept it when dbconsole asks (run the \
                     command from a terminal, or in the TUI) — it can be saved to {}",
                    k.save_to.display()
                ),
            ),
            SshError::NeedPassphrase { file } => ConnectError::new(
                FailureClass::SshAuth,
                format!("the key {} is encrypted and no passphrase was given", file.display()),
                "run from a terminal to type it, or add the key to ssh-agent (`ssh-add`)",
            ),
            SshError::NeedPassword { who, tried } => ConnectError::new(
                FailureClass::SshAuth,
                format!(
                    "{who} {}asks for a password, and there is no terminal to ask on",
                    if tried.is_empty() {
                        "found no key to try (agent, key files) and ".to_string()
                    } else {
                        format!("refused the keys tried ({}; method publickey) and ", tried.join(", "))
                    }
                ),
                "run from a terminal to type it, or use a key (ssh-agent, or ssh_identity in the profile)",
            ),
        }
    }
}

impl From<ConnectError> for SshError {
    fn from(e: ConnectError) -> Self {
        SshError::Failed(e)
    }
}

pub fn hostport(host: &str, port: u16) -> String {
    if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") }
}

/// What the user answered this session: host keys accepted (without saving), passphrases and passwords typed.
/// Kept in memory only, secrets in `secrecy` types; used again when a dropped tunnel is rebuilt.
#[derive(Default)]
pub struct Answers {
    accepted: Vec<(String, u16, russh::keys::PublicKey)>,
    passphrases: HashMap<PathBuf, SecretString>,
    passwords: HashMap<String, SecretString>,
}

impl Answers {
    pub fn accept_key(&mut self, host: &str, port: u16, key: russh::keys::PublicKey) {
        self.accepted.push((host.to_ascii_lowercase(), port, key));
    }

    pub fn is_accepted(&self, host: &str, port: u16, key: &russh::keys::PublicKey) -> bool {
        let host = host.to_ascii_lowercase();
        self.accepted.iter().any(|(h, p, k)| *h == host && *p == port && k.key_data() == key.key_data())
    }

    pub fn set_passphrase(&mut self, file: &Path, pass: SecretString) {
        self.passphrases.insert(file.to_path_buf(), pass);
    }

    pub fn passphrase(&self, file: &Path) -> Option<SecretString> {
        self.passphrases.get(file).cloned()
    }

    pub fn forget_passphrase(&mut self, file: &Path) {
        self.passphrases.remove(file);
    }

    pub fn set_password(&mut self, who: &str, pw: SecretString) {
        self.passwords.insert(who.to_string(), pw);
    }

    pub fn password(&self, who: &str) -> Option<SecretString> {
        self.passwords.get(who).cloned()
    }

    pub fn forget_password(&mut self, who: &str) {
        self.passwords.remove(who);
    }
}

/// This process's answers.
pub fn answers() -> std::sync::MutexGuard<'static, Answers> {
    static A: OnceLock<Mutex<Answers>> = OnceLock::new();
    A.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner())
}

/// Accepts an unknown host key: for this session, and also saved to its known_hosts file when `save`.
pub fn accept_host_key(k: &UnknownKey, save: bool) -> Result<(), String> {
    answers().accept_key(&k.host, k.port, k.key.clone());
    if save {
        known_hosts::append(&k.save_to, &k.host, k.port, &k.key)
            .map_err(|e| format!("could not save the key to {}: {e}", k.save_to.display()))?;
        tracing::info!(host = %k.host, port = k.port, file = %k.save_to.display(), "host key saved");
    }
    Ok(())
}
