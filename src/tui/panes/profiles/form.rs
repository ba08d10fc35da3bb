//! The profile form: add, edit or duplicate a profile, with validation as you type. Pure state: no I/O.
use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use secrecy::{ExposeSecret, SecretString};

pub use super::fields::Field;
use crate::core::profile::raw::{RawPool, RawTls};
use crate::core::profile::{
    Engine, Environment, Origin, PasswordKind, PasswordSource, PoolSettings, Profile, RawProfile, TlsMode, url,
    validate_name,
};
use crate::tui::keymap::{self, Command, Scope};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormMode {
    Add,
    Edit { original: String },
}

pub enum FormOutcome {
    Continue,
    Cancel,
    /// `create_file`: a SQLite file that is not there is made (empty, owner-only) before the profile is saved.
    Save {
        profile: Box<Profile>,
        replacing: Option<String>,
        create_file: bool,
    },
}

#[derive(Debug)]
pub struct ProfileForm {
    pub mode: FormMode,
    text: BTreeMap<Field, String>,
    pub engine: Engine,
    pub environment: Environment,
    pub read_only: bool,
    /// SQLite: create the file on save when it is missing.
    pub create_file: bool,
    pub password_kind: PasswordKind,
    pub tls_mode: Option<TlsMode>,
    /// A plain password the profile already stores (the user wrote it into the file); kept, never shown.
    keep_plain: Option<SecretString>,
    /// The profile's `direct_url` as the file holds it (its own password included, hence a secret): kept as it
    /// is through an edit or a copy (the form has no field for it; edit it in the file or with the CLI).
    keep_direct: Option<SecretString>,
    pool: PoolSettings,
    pub focus: usize,
    pub errors: BTreeMap<Field, String>,
    taken: Vec<String>,
}

impl ProfileForm {
    pub fn new(taken: Vec<String>) -> Self {
        let mut f = ProfileForm {
            mode: FormMode::Add,
            text: BTreeMap::new(),
            engine: Engine::Postgres,
            environment: Environment::Development,
            read_only: false,
            create_file: false,
            password_kind: PasswordKind::Ask,
            tls_mode: None,
            keep_plain: None,
            keep_direct: None,
            pool: PoolSettings::default(),
            focus: 0,
            errors: BTreeMap::new(),
            taken,
        };
        f.text.insert(Field::Host, "localhost".into());
        f.text.insert(Field::Port, "5432".into());
        f.text.insert(Field::MaxConnections, f.pool.max_connections.to_string());
        f.text.insert(Field::ConnectTimeout, f.pool.connect_timeout_secs.to_string());
        f.validate();
        f
    }

    /// A form filled from `p`. `mode` Add with a profile is "duplicate" (or "save an imported profile").
    pub fn from_profile(p: &Profile, mode: FormMode, taken: Vec<String>) -> Self {
        let mut f = ProfileForm::new(taken);
        f.mode = mode.clone();
        f.engine = p.engine;
        f.environment = p.environment;
        f.read_only = p.read_only;
        f.tls_mode = p.tls.mode;
        f.pool = p.pool.clone();
        f.keep_direct = crate::core::profile::raw::RawProfile::from_profile(p).direct_url.map(SecretString::from);
        f.text.clear();
        let name = match mode {
            FormMode::Edit { .. } => p.name.clone(),
            FormMode::Add if matches!(p.origin, Origin::Imported(_)) => p.name.clone(),
            FormMode::Add => format!("{}-copy", p.name),
        };
        let mut set = |k: Field, v: Option<String>| {
            if let Some(v) = v {
                f.text.insert(k, v);
            }
        };
        set(Field::Name, Some(name));
        if p.url.is_some() && p.origin != Origin::AdHoc {
            set(Field::Url, p.url.clone());
        } else if p.engine.is_file() {
            set(Field::Path, p.path.as_ref().map(|p| p.display().to_string()));
        } else {
            set(Field::Host, Some(p.host.clone()));
            set(Field::Port, Some(p.port.to_string()));
            set(Field::Database, p.database.clone());
            set(Field::User, p.user.clone());
        }
        set(Field::TlsRootCert, p.tls.root_cert.as_ref().map(|x| x.display().to_string()));
        set(Field::TlsCert, p.tls.client_cert.as_ref().map(|x| x.display().to_string()));
        set(Field::TlsKey, p.tls.client_key.as_ref().map(|x| x.display().to_string()));
        set(Field::MaxConnections, Some(p.pool.max_connections.to_string()));
        set(Field::ConnectTimeout, Some(p.pool.connect_timeout_secs.to_string()));
        if !p.ssh.is_empty() {
            set(Field::SshRoute, Some(p.ssh.hops.iter().map(|h| h.to_string()).collect::<Vec<_>>().join(", ")));
            set(Field::SshIdentity, p.ssh.identity.as_ref().map(|x| x.display().to_string()));
        }
        f.password_kind = p.password.kind();
        match &p.password {
            PasswordSource::Env(v) => set(Field::PasswordEnv, Some(v.clone())),
            PasswordSource::Command(c) => set(Field::PasswordCommand, Some(c.clone())),
            PasswordSource::Plain(pw) if p.origin != Origin::AdHoc => f.keep_plain = Some(pw.clone()),
            PasswordSource::Plain(_) => f.password_kind = PasswordKind::Ask,
            _ => {}
        }
        f.validate();
        f
    }

    pub fn title(&self) -> String {
        match &self.mode {
            FormMode::Add => "New profile".into(),
            FormMode::Edit { original } => format!("Edit profile `{original}`"),
        }
    }

    pub fn value(&self, field: Field) -> String {
        match field {
            Field::Engine => self.engine.as_str().into(),
            Field::Environment => self.environment.as_str().into(),
            Field::ReadOnly => if self.read_only { "yes" } else { "no" }.into(),
            Field::CreateFile => {
                if self.create_file { "[x] if missing (empty, owner-only)" } else { "[ ] no: it must exist" }.into()
            }
            Field::PasswordSource => {
                if self.password_kind == PasswordKind::Plain {
                    "plain (stored in the file; kept as is)".into()
                } else {
                    self.password_kind.as_str().into()
                }
            }
            Field::TlsMode => self.tls_mode.map(|m| m.as_str()).unwrap_or("default (prefer)").into(),
            Field::Save => String::new(),
            f => self.text.get(&f).cloned().unwrap_or_default(),
        }
    }

    fn has_url(&self) -> bool {
        self.text.get(&Field::Url).is_some_and(|u| !u.trim().is_empty())
    }

    /// The fields that apply to the current engine and choices, in order.
    pub fn visible(&self) -> Vec<Field> {
        let mut v = vec![Field::Name, Field::Engine];
        if self.engine == Engine::Duckdb {
            // Read-only always: nothing to create, nothing to switch.
            v.extend([Field::Path, Field::Environment]);
        } else if self.engine.is_file() {
            v.extend([Field::Path, Field::CreateFile, Field::Environment, Field::ReadOnly]);
            // Shown only to say it does not apply, when a route was written before the engine became SQLite.
            if self.t(Field::SshRoute).is_some() {
                v.push(Field::SshRoute);
            }
        } else {
            v.push(Field::Url);
            if !self.has_url() {
                v.extend([Field::Host, Field::Port, Field::Database, Field::User]);
            }
            v.extend([Field::Environment, Field::ReadOnly, Field::PasswordSource]);
            match self.password_kind {
                PasswordKind::Env => v.push(Field::PasswordEnv),
                PasswordKind::Command => v.push(Field::PasswordCommand),
                _ => {}
            }
            if !self.has_url() {
                v.extend([Field::TlsMode, Field::TlsRootCert, Field::TlsCert, Field::TlsKey]);
            }
            v.extend([Field::SshRoute, Field::SshIdentity]);
        }
        v.extend([Field::MaxConnections, Field::ConnectTimeout, Field::Save]);
        v
    }

    pub fn focused(&self) -> Field {
        let v = self.visible();
        v[self.focus.min(v.len() - 1)]
    }

    fn cycle(&mut self, forward: bool) {
        fn step<T: Copy + PartialEq>(all: &[T], cur: T, forward: bool) -> T {
            let i = all.iter().position(|x| *x == cur).unwrap_or(0);
            let n = all.len();
            all[if forward { (i + 1) % n } else { (i + n - 1) % n }]
        }
        match self.focused() {
            Field::Engine => {
                let old = self.engine;
                // SQLite stays one step left of PostgreSQL (the first), as before DuckDB came.
                self.engine =
                    step(&[Engine::Postgres, Engine::Mysql, Engine::Duckdb, Engine::Sqlite], self.engine, forward);
                // Follow the engine's default port when the port was the old default.
                if self.text.get(&Field::Port).map(|s| s.as_str()) == Some(old.default_port().to_string().as_str())
                    && !self.engine.is_file()
                {
                    self.text.insert(Field::Port, self.engine.default_port().to_string());
                }
                if self.engine.is_file() {
                    self.password_kind = PasswordKind::None;
                } else if self.password_kind == PasswordKind::None {
                    self.password_kind = PasswordKind::Ask;
                }
            }
            Field::Environment => self.environment = step(&Environment::ALL, self.environment, forward),
            Field::ReadOnly => self.read_only = !self.read_only,
            Field::CreateFile => self.create_file = !self.create_file,
            Field::PasswordSource => {
                // A plain password is never chosen here: only kept when the user wrote one into the file.
                let sources: Vec<PasswordKind> =
                    PasswordKind::ALL.into_iter().filter(|k| *k != PasswordKind::Plain).collect();
                self.password_kind = step(&sources, self.password_kind, forward);
                self.keep_plain = None;
            }
            Field::TlsMode => {
                let all: Vec<Option<TlsMode>> =
                    std::iter::once(None).chain(TlsMode::ALL.iter().copied().map(Some)).collect();
                self.tls_mode = step(&all, self.tls_mode, forward);
            }
            _ => {}
        }
    }

    fn move_focus(&mut self, forward: bool) {
        let n = self.visible().len();
        self.focus = if forward { (self.focus + 1) % n } else { (self.focus + n - 1) % n };
    }

    pub fn handle_key(&mut self, key: &KeyEvent) -> FormOutcome {
        let field = self.focused();
        let command = keymap::lookup(Scope::Form, key);
        match command {
            Some(Command::Cancel) => return FormOutcome::Cancel,
            Some(Command::NextField) => self.move_focus(true),
            Some(Command::PrevField) => self.move_focus(false),
            Some(Command::CycleNext) => self.cycle(true),
            Some(Command::CyclePrev) => self.cycle(false),
            Some(Command::Save) if key.code == KeyCode::Enter && field != Field::Save => self.move_focus(true),
            Some(Command::Save) => return self.try_save(),
            _ => match key.code {
                KeyCode::Char(' ') if !field.is_text() => self.cycle(true),
                KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) && field.is_text() => {
                    self.text.insert(field, String::new());
                }
                KeyCode::Char(c) if field.is_text() && !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    self.text.entry(field).or_default().push(c);
                }
                KeyCode::Backspace if field.is_text() => {
                    self.text.entry(field).or_default().pop();
                }
                _ => {}
            },
        }
        // Keep the focus on the same field when the visible set changes.
        let v = self.visible();
        if let Some(i) = v.iter().position(|f| *f == self.focused()) {
            self.focus = i;
        }
        self.validate();
        FormOutcome::Continue
    }

    fn try_save(&mut self) -> FormOutcome {
        match self.validate() {
            Some(profile) => FormOutcome::Save {
                profile: Box::new(profile),
                replacing: match &self.mode {
                    FormMode::Edit { original } => Some(original.clone()),
                    FormMode::Add => None,
                },
                create_file: self.create_file && self.engine == Engine::Sqlite,
            },
            None => {
                // Jump to the first field with a problem.
                let v = self.visible();
                if let Some(i) = v.iter().position(|f| self.errors.contains_key(f)) {
                    self.focus = i;
                }
                FormOutcome::Continue
            }
        }
    }

    fn t(&self, f: Field) -> Option<String> {
        self.text.get(&f).map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
    }

    fn number<T: std::str::FromStr>(&mut self, f: Field, what: &str) -> Option<T> {
        let s = self.t(f)?;
        match s.parse::<T>() {
            Ok(n) => Some(n),
            Err(_) => {
                self.errors.insert(f, format!("{what}: `{s}` is not a number"));
                None
            }
        }
    }

    /// Checks every field; fills `errors` and returns the profile when there are none.
    pub fn validate(&mut self) -> Option<Profile> {
        self.errors.clear();
        let name = self.t(Field::Name).unwrap_or_default();
        if let Err(e) = validate_name(&name) {
            self.errors.insert(Field::Name, e.message);
        } else {
            let is_own = matches!(&self.mode, FormMode::Edit { original } if *original == name);
            if !is_own && self.taken.contains(&name) {
                self.errors.insert(Field::Name, format!("a profile named `{name}` already exists"));
            }
        }
        let mut raw = RawProfile { engine: Some(self.engine), ..Default::default() };
        let visible = self.visible();
        if self.engine.is_file() {
            raw.path = self.t(Field::Path);
            if raw.path.is_none() {
                self.errors.insert(Field::Path, "the database file's path is required".into());
            }
        } else if let Some(u) = self.t(Field::Url) {
            if url::url_has_password(&u) && self.keep_plain.is_none() {
                self.errors.insert(
                    Field::Url,
                    "remove the password from the URL: choose where it comes from under `Password from`".into(),
                );
            }
            raw.url = Some(match &self.keep_plain {
                Some(pw) if !url::url_has_password(&u) => url::with_password(&u, pw.expose_secret()),
                _ => u,
            });
        } else {
            raw.host = self.t(Field::Host);
            match self.t(Field::Port) {
                None => {
                    self.errors.insert(Field::Port, "the port is required".into());
                }
                Some(p) => match p.parse::<u32>() {
                    Ok(n) if (1..=65535).contains(&n) => raw.port = Some(n as u16),
                    Ok(_) => {
                        self.errors.insert(Field::Port, format!("port {p} is out of range: 1 to 65535"));
                    }
                    Err(_) => {
                        self.errors.insert(Field::Port, format!("`{p}` is not a port number"));
                    }
                },
            }
            raw.database = self.t(Field::Database);
            raw.user = self.t(Field::User);
        }
        if self.environment != Environment::Development {
            raw.environment = Some(self.environment);
        }
        raw.read_only = self.read_only.then_some(true);
        if !self.engine.is_file() {
            raw.password_source = Some(self.password_kind);
            if visible.contains(&Field::PasswordEnv) {
                raw.password_env = self.t(Field::PasswordEnv);
            }
            if visible.contains(&Field::PasswordCommand) {
                raw.password_command = self.t(Field::PasswordCommand);
            }
            if self.password_kind == PasswordKind::Plain && raw.url.is_none() {
                raw.password = self.keep_plain.clone();
            }
            if self.password_kind == PasswordKind::Plain && raw.url.is_some() {
                raw.password_source = None;
            }
            if !self.has_url() {
                let tls = RawTls {
                    mode: self.tls_mode,
                    root_cert: self.t(Field::TlsRootCert),
                    cert: self.t(Field::TlsCert),
                    key: self.t(Field::TlsKey),
                };
                if tls != RawTls::default() {
                    raw.tls = Some(tls);
                }
            }
        }
        if let Some(route) = self.t(Field::SshRoute) {
            if self.engine.is_file() {
                self.errors.insert(
                    Field::SshRoute,
                    "a SQLite profile is a file on this machine: the SSH route does not apply (clear this field)"
                        .into(),
                );
            }
            raw.ssh = Some(route.split(',').map(|h| h.trim().to_string()).filter(|h| !h.is_empty()).collect());
            raw.ssh_identity = self.t(Field::SshIdentity);
        } else if self.t(Field::SshIdentity).is_some() && !self.engine.is_file() {
            self.errors.insert(Field::SshRoute, "a key file is set: name the SSH hop(s) it is for".into());
        }
        let max: Option<u32> = self.number(Field::MaxConnections, "max connections");
        let timeout: Option<u64> = self.number(Field::ConnectTimeout, "timeout");
        let d = PoolSettings::default();
        let pool = RawPool {
            max_connections: max.filter(|m| *m != d.max_connections),
            connect_timeout_secs: timeout.filter(|t| *t != d.connect_timeout_secs),
            min_connections: (self.pool.min_connections != d.min_connections).then_some(self.pool.min_connections),
            acquire_timeout_secs: (self.pool.acquire_timeout_secs != d.acquire_timeout_secs)
                .then_some(self.pool.acquire_timeout_secs),
            idle_timeout_secs: (self.pool.idle_timeout_secs != d.idle_timeout_secs)
                .then_some(self.pool.idle_timeout_secs.unwrap_or(0)),
            max_lifetime_secs: (self.pool.max_lifetime_secs != d.max_lifetime_secs)
                .then_some(self.pool.max_lifetime_secs.unwrap_or(0)),
        };
        if pool != RawPool::default() {
            raw.pool = Some(pool);
        }
        if !self.errors.is_empty() {
            return None;
        }
        if !self.engine.is_file() {
            raw.direct_url = self.keep_direct.as_ref().map(|d| d.expose_secret().to_string());
        }
        match raw.into_profile(&name, Origin::File { line: 0 }) {
            Ok(p) => Some(p),
            Err(e) => {
                let field = match e.field {
                    "host" => Field::Host,
                    "port" => Field::Port,
                    "url" => Field::Url,
                    "path" => Field::Path,
                    "password_env" => Field::PasswordEnv,
                    "password_command" => Field::PasswordCommand,
                    "tls" => Field::TlsCert,
                    "pool" => Field::MaxConnections,
                    "engine" => Field::Engine,
                    "name" => Field::Name,
                    "ssh" => Field::SshRoute,
                    "ssh_identity" => Field::SshIdentity,
                    _ => Field::PasswordSource,
                };
                self.errors.insert(field, e.message);
                None
            }
        }
    }
}

#[cfg(test)]
#[path = "form_tests.rs"]
mod tests;
