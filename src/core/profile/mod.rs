//! Connection profiles: the model, the profiles file, connection URLs, password sources and imports.
pub mod file;
pub mod import;
pub mod password;
pub mod pgpass;
pub mod raw;
pub mod url;

use std::path::PathBuf;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

pub use file::{FileProblem, ProfileSet};
pub use raw::RawProfile;

/// The database engine a profile talks to. `mysql` covers MariaDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    #[serde(alias = "postgresql", alias = "pg")]
    Postgres,
    #[serde(alias = "mariadb")]
    Mysql,
    #[serde(alias = "sqlite3")]
    Sqlite,
    /// A DuckDB file, read-only, read through the `duckdb` command-line shell.
    Duckdb,
}

impl Engine {
    pub const ALL: [Engine; 4] = [Engine::Postgres, Engine::Mysql, Engine::Sqlite, Engine::Duckdb];
    /// The engines dbconsole writes to (DuckDB files are a source only).
    pub const WRITABLE: [Engine; 3] = [Engine::Postgres, Engine::Mysql, Engine::Sqlite];

    /// The SQL dialect its text is read in: DuckDB's is PostgreSQL's (quotes, dollar quoting, E'' strings).
    pub fn dialect(self) -> Engine {
        match self {
            Engine::Duckdb => Engine::Postgres,
            e => e,
        }
    }

    /// A database in a file on this machine (no host, port, user, password, TLS or SSH).
    pub fn is_file(self) -> bool {
        matches!(self, Engine::Sqlite | Engine::Duckdb)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
            Engine::Sqlite => "sqlite",
            Engine::Duckdb => "duckdb",
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            Engine::Postgres => 5432,
            Engine::Mysql => 3306,
            Engine::Sqlite | Engine::Duckdb => 0,
        }
    }

    pub fn parse(s: &str) -> Result<Engine, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" | "pg" => Ok(Engine::Postgres),
            "mysql" | "mariadb" => Ok(Engine::Mysql),
            "sqlite" | "sqlite3" => Ok(Engine::Sqlite),
            "duckdb" => Ok(Engine::Duckdb),
            other => {
                Err(format!("unknown engine `{other}`: expected postgres, mysql (also for MariaDB), sqlite or duckdb"))
            }
        }
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a profile's database lives. Production is drawn in a warning colour and asks before every write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    #[serde(alias = "dev")]
    Development,
    Staging,
    #[serde(alias = "prod")]
    Production,
}

impl Environment {
    pub const ALL: [Environment; 3] = [Environment::Development, Environment::Staging, Environment::Production];

    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Staging => "staging",
            Environment::Production => "production",
        }
    }
}

/// TLS mode, in PostgreSQL's sslmode words; MySQL's ssl-mode words are accepted as aliases and mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    #[serde(alias = "disabled")]
    Disable,
    Allow,
    #[serde(alias = "preferred")]
    Prefer,
    #[serde(alias = "required")]
    Require,
    #[serde(alias = "verify_ca")]
    VerifyCa,
    #[serde(alias = "verify_identity", alias = "verify-identity")]
    VerifyFull,
}

impl TlsMode {
    pub const ALL: [TlsMode; 6] =
        [TlsMode::Disable, TlsMode::Allow, TlsMode::Prefer, TlsMode::Require, TlsMode::VerifyCa, TlsMode::VerifyFull];

    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::Disable => "disable",
            TlsMode::Allow => "allow",
            TlsMode::Prefer => "prefer",
            TlsMode::Require => "require",
            TlsMode::VerifyCa => "verify-ca",
            TlsMode::VerifyFull => "verify-full",
        }
    }

    pub fn parse(s: &str) -> Result<TlsMode, String> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "disable" | "disabled" => Ok(TlsMode::Disable),
            "allow" => Ok(TlsMode::Allow),
            "prefer" | "preferred" => Ok(TlsMode::Prefer),
            "require" | "required" => Ok(TlsMode::Require),
            "verify-ca" => Ok(TlsMode::VerifyCa),
            "verify-full" | "verify-identity" => Ok(TlsMode::VerifyFull),
            other => Err(format!(
                "unknown TLS mode `{other}`: expected disable, allow, prefer, require, verify-ca or verify-full"
            )),
        }
    }

    /// True when a connection without TLS must be refused.
    pub fn requires_tls(self) -> bool {
        matches!(self, TlsMode::Require | TlsMode::VerifyCa | TlsMode::VerifyFull)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    pub mode: Option<TlsMode>,
    /// CA certificate(s) to trust (PostgreSQL sslrootcert, MySQL ssl-ca).
    pub root_cert: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
}

impl TlsSettings {
    pub fn effective_mode(&self) -> TlsMode {
        self.mode.unwrap_or(TlsMode::Prefer)
    }
}

/// Pool settings; every field has a default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub min_connections: u32,
    pub connect_timeout_secs: u64,
    pub acquire_timeout_secs: u64,
    pub idle_timeout_secs: Option<u64>,
    pub max_lifetime_secs: Option<u64>,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 5,
            min_connections: 0,
            connect_timeout_secs: 10,
            acquire_timeout_secs: 30,
            idle_timeout_secs: Some(600),
            max_lifetime_secs: Some(1800),
        }
    }
}

/// Where the password comes from. A plain password is only ever one the user wrote into the profiles file or URL.
#[derive(Debug, Clone)]
pub enum PasswordSource {
    /// No password (SQLite, trust or peer authentication, client certificates).
    None,
    /// Asked at connect time, kept only in memory.
    Ask,
    /// Read from this environment variable at connect time.
    Env(String),
    /// Looked up in ~/.pgpass (or PGPASSFILE) by host, port, database and user.
    Pgpass,
    /// The first line this shell command prints.
    Command(String),
    /// The OS keyring (Secret Service via `secret-tool`, or the macOS keychain); falls back to asking.
    Keyring,
    /// The `password` of the [client] section of ~/.my.cnf.
    MyCnf,
    /// Written by the user in the profiles file (accepted only when that file is owner-only) or in a URL given on
    /// the command line (used for that run only).
    Plain(SecretString),
}

impl PasswordSource {
    pub fn kind(&self) -> PasswordKind {
        match self {
            PasswordSource::None => PasswordKind::None,
            PasswordSource::Ask => PasswordKind::Ask,
            PasswordSource::Env(_) => PasswordKind::Env,
            PasswordSource::Pgpass => PasswordKind::Pgpass,
            PasswordSource::Command(_) => PasswordKind::Command,
            PasswordSource::Keyring => PasswordKind::Keyring,
            PasswordSource::MyCnf => PasswordKind::Mycnf,
            PasswordSource::Plain(_) => PasswordKind::Plain,
        }
    }

    /// A one-line description that never contains the secret itself.
    pub fn describe(&self) -> String {
        match self {
            PasswordSource::None => "none".into(),
            PasswordSource::Ask => "asked at connect time".into(),
            PasswordSource::Env(v) => format!("environment variable {v}"),
            PasswordSource::Pgpass => "~/.pgpass".into(),
            PasswordSource::Command(c) => format!("command `{c}`"),
            PasswordSource::Keyring => "OS keyring (falls back to asking)".into(),
            PasswordSource::MyCnf => "~/.my.cnf [client]".into(),
            PasswordSource::Plain(_) => "written in the profile's URL or password field (plain text)".into(),
        }
    }
}

/// The names of password sources as written in the profiles file (`password_source = "env"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PasswordKind {
    None,
    Ask,
    Env,
    Pgpass,
    Command,
    Keyring,
    Mycnf,
    Plain,
}

impl PasswordKind {
    pub const ALL: [PasswordKind; 8] = [
        PasswordKind::Ask,
        PasswordKind::Env,
        PasswordKind::Pgpass,
        PasswordKind::Command,
        PasswordKind::Keyring,
        PasswordKind::Mycnf,
        PasswordKind::None,
        PasswordKind::Plain,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PasswordKind::None => "none",
            PasswordKind::Ask => "ask",
            PasswordKind::Env => "env",
            PasswordKind::Pgpass => "pgpass",
            PasswordKind::Command => "command",
            PasswordKind::Keyring => "keyring",
            PasswordKind::Mycnf => "mycnf",
            PasswordKind::Plain => "plain",
        }
    }
}

/// Where a profile came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The profiles file, with the line of its table header.
    File { line: usize },
    /// Built in: the demo database.
    Demo,
    /// A connection URL given on the command line.
    AdHoc,
    /// Found in the environment or a client's config file, not saved yet.
    Imported(String),
}

/// A validated connection profile.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub engine: Engine,
    /// Host name, IP address, or a Unix socket directory/path (starts with `/`). Empty for SQLite.
    pub host: String,
    pub port: u16,
    pub database: Option<String>,
    pub user: Option<String>,
    /// SQLite database file.
    pub path: Option<PathBuf>,
    /// The URL the profile was written as, with any password removed.
    pub url: Option<String>,
    pub tls: TlsSettings,
    pub pool: PoolSettings,
    pub read_only: bool,
    pub environment: Environment,
    pub password: PasswordSource,
    pub origin: Origin,
    /// The profile's migrations folder (`migrations = "…"`; relative paths are taken from the current directory).
    pub migrations: Option<PathBuf>,
    /// PostgreSQL run-time parameters sent at connect (`search_path` from a URL's `schema=`/`search_path=`, and any
    /// other parameter a URL names, as Go's pgx passes them).
    pub server_params: Vec<(String, String)>,
    /// Behind a transaction-mode pooler (PgBouncer; a URL's `pgbouncer=true`): no prepared-statement cache.
    pub pooler: bool,
    /// URL options that only matter to another client, ignored (said once when the profile is used).
    pub notes: Vec<String>,
    /// The direct connection beside a pooled `url` (Prisma's `directUrl`; `direct_url` in the file): what needs a
    /// session of its own — migrations (advisory locks), transfers, sync — connects here; queries and the schema
    /// pane use the pooled one.
    pub direct: Option<Box<Profile>>,
    /// The SSH route to the server (`ssh = ["user@bastion:22", …]`, `ssh_identity`); empty for a direct connection.
    /// The host and port above are then as the last hop sees them.
    pub ssh: crate::core::ssh::Route,
    /// DuckDB: the `duckdb` shell to run (`duckdb_cli`; default: `duckdb` on PATH).
    pub duckdb_cli: Option<PathBuf>,
}

impl Profile {
    /// What the catalog reads: the SQLite file's path, or the database name (empty when the profile names none).
    pub fn database_name(&self) -> String {
        self.path.as_ref().map(|x| x.display().to_string()).or(self.database.clone()).unwrap_or_default()
    }

    /// The one schema a MySQL profile's database is (other engines: every schema).
    pub fn only_schema(&self) -> Option<&str> {
        self.database.as_deref().filter(|_| self.engine == Engine::Mysql)
    }

    /// A short "where": `user@host:port/db` or the SQLite path.
    pub fn target(&self) -> String {
        match self.engine {
            Engine::Sqlite | Engine::Duckdb => self.path.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
            _ => {
                let user = self.user.as_deref().map(|u| format!("{u}@")).unwrap_or_default();
                let db = self.database.as_deref().map(|d| format!("/{d}")).unwrap_or_default();
                if self.host.starts_with('/') {
                    format!("{user}[{}]{db}", self.host)
                } else if self.host.contains(':') {
                    format!("{user}[{}]:{}{db}", self.host, self.port)
                } else {
                    format!("{user}{}:{}{db}", self.host, self.port)
                }
            }
        }
    }

    /// `target()` for the screen: a file under the home directory as `~/…`.
    pub fn shown_target(&self) -> String {
        crate::core::text::tilde(&self.target()).into_owned()
    }

    /// True when the profiles file holds this profile's password in plain text (a password in a URL given on the
    /// command line is used for that run and stored nowhere).
    pub fn stores_plain_password(&self) -> bool {
        matches!(self.password, PasswordSource::Plain(_)) && matches!(self.origin, Origin::File { .. })
    }

    /// Where the password comes from, in words that never contain it, saying where a plain one was written.
    pub fn describe_password(&self) -> String {
        match (&self.password, &self.origin) {
            (PasswordSource::Plain(_), Origin::File { .. }) => "stored in the profiles file (plain text)".into(),
            (PasswordSource::Plain(_), Origin::AdHoc) => {
                "from the URL given on the command line (not stored anywhere)".into()
            }
            (source, _) => source.describe(),
        }
    }

    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }

    /// A new SQLite profile for `path`.
    pub fn sqlite(name: &str, path: PathBuf) -> Profile {
        Profile {
            name: name.to_string(),
            engine: Engine::Sqlite,
            host: String::new(),
            port: 0,
            database: None,
            user: None,
            path: Some(path),
            url: None,
            tls: TlsSettings::default(),
            pool: PoolSettings::default(),
            read_only: false,
            environment: Environment::Development,
            password: PasswordSource::None,
            origin: Origin::Demo,
            migrations: None,
            server_params: Vec::new(),
            pooler: false,
            notes: Vec::new(),
            direct: None,
            ssh: Default::default(),
            duckdb_cli: None,
        }
    }

    /// The password for `session_profile()`: the direct URL's own when it holds one, else `given` (the one typed or
    /// resolved for this profile).
    pub fn session_password(&self, given: Option<&secrecy::SecretString>) -> Option<secrecy::SecretString> {
        match self.direct.as_deref().map(|d| &d.password) {
            Some(PasswordSource::Plain(pw)) => Some(pw.clone()),
            _ => given.cloned(),
        }
    }

    /// The profile to use for work that needs a session of its own (migrations, transfers, sync): the direct
    /// connection when there is one (named `NAME (direct)`, which no profile can be named, so that its pool is
    /// kept apart), else this one.
    pub fn session_profile(&self) -> Profile {
        match &self.direct {
            Some(d) => {
                let mut d = (**d).clone();
                d.name = format!("{} (direct)", self.name);
                d
            }
            None => self.clone(),
        }
    }
}

/// A problem with one field of a profile, for the form and the CLI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self { field, message: message.into() }
    }
}

/// Checks a profile name: non-empty, printable, no dots or brackets (it becomes a TOML table key and a CLI word).
pub fn validate_name(name: &str) -> Result<(), FieldError> {
    if name.trim().is_empty() {
        return Err(FieldError::new("name", "a name is required"));
    }
    if name.len() > 64 {
        return Err(FieldError::new("name", "at most 64 characters"));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_'))) {
        return Err(FieldError::new("name", format!("`{c}` is not allowed: use letters, digits, - and _")));
    }
    if name.contains("://") || name.starts_with("sqlite:") {
        return Err(FieldError::new("name", "looks like a URL"));
    }
    Ok(())
}

/// True when `s` is a connection URL rather than a profile name.
pub fn looks_like_url(s: &str) -> bool {
    s.contains("://") || s.starts_with("sqlite:") || s.starts_with("duckdb:")
}
