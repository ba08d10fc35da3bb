//! The profiles file's representation of one profile, and its conversion to and from [`Profile`].
use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{
    Engine, Environment, FieldError, Origin, PasswordKind, PasswordSource, PoolSettings, Profile, TlsMode, TlsSettings,
};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawTls {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<TlsMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_cert: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawPool {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_connections: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_timeout_secs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acquire_timeout_secs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_timeout_secs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_lifetime_secs: Option<u64>,
}

/// One `[profiles.NAME]` table as written. Unknown keys are errors (a typo must not be ignored silently).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<Engine>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<Environment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_source: Option<PasswordKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_command: Option<String>,
    /// Plain-text password: only when the user writes it here, and only in an owner-only file.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "serialize_secret")]
    pub password: Option<SecretString>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<RawTls>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool: Option<RawPool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migrations: Option<String>,
    /// A direct connection beside a pooled `url` (Prisma's directUrl): sessions, locks, transfers go there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direct_url: Option<String>,
    /// SSH hops in order, `[user@]host[:port]` (hosts may be ~/.ssh/config aliases).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssh: Option<Vec<String>>,
    /// A key file tried first on every hop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssh_identity: Option<String>,
    /// DuckDB: the `duckdb` shell to run (default: `duckdb` on PATH).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duckdb_cli: Option<String>,
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl RawProfile {
    /// Validates and converts; every problem names its field.
    pub fn into_profile(self, name: &str, origin: Origin) -> Result<Profile, FieldError> {
        super::validate_name(name)?;
        let mut p = if let Some(url) = non_empty(&self.url) {
            for (field, set) in [
                ("host", self.host.is_some()),
                ("port", self.port.is_some()),
                ("database", self.database.is_some()),
                ("user", self.user.is_some()),
                ("path", self.path.is_some()),
            ] {
                if set {
                    return Err(FieldError::new(
                        field,
                        format!("`{field}` and `url` are both set: write the connection either as a URL or as fields"),
                    ));
                }
            }
            let parsed = super::url::parse_url(&url).map_err(|m| FieldError::new("url", m))?;
            if let Some(engine) = self.engine
                && engine != parsed.engine
            {
                return Err(FieldError::new(
                    "engine",
                    format!("engine is {engine} but the URL is a {} URL", parsed.engine),
                ));
            }
            parsed
        } else {
            let engine = self.engine.ok_or_else(|| {
                FieldError::new(
                    "engine",
                    "missing: set engine = \"postgres\", \"mysql\", \"sqlite\" or \"duckdb\" (or give a url)",
                )
            })?;
            let mut p = Profile::sqlite(name, PathBuf::new());
            p.engine = engine;
            p.path = None;
            match engine {
                Engine::Sqlite | Engine::Duckdb => {
                    let what = if engine == Engine::Sqlite { "SQLite" } else { "DuckDB" };
                    let path = non_empty(&self.path).ok_or_else(|| {
                        FieldError::new("path", format!("a {what} profile needs the database file's path"))
                    })?;
                    if path.contains('\0') {
                        return Err(FieldError::new("path", "a file path cannot hold a NUL character"));
                    }
                    p.path = Some(expand_home(&path));
                    for (field, set) in [
                        ("host", self.host.is_some()),
                        ("port", self.port.is_some()),
                        ("user", self.user.is_some()),
                        ("database", self.database.is_some()),
                    ] {
                        if set {
                            return Err(FieldError::new(field, format!("a {what} profile has no {field}")));
                        }
                    }
                }
                _ => {
                    if self.path.is_some() {
                        return Err(FieldError::new(
                            "path",
                            format!("`path` is for SQLite and DuckDB; a {engine} profile uses host"),
                        ));
                    }
                    let host = non_empty(&self.host).unwrap_or_else(|| "localhost".to_string());
                    validate_host(&host)?;
                    p.host = host;
                    p.port = self.port.unwrap_or(engine.default_port());
                    if p.port == 0 {
                        return Err(FieldError::new("port", "port must be between 1 and 65535"));
                    }
                    p.database = non_empty(&self.database);
                    p.user = non_empty(&self.user);
                }
            }
            p.password = PasswordSource::None;
            p
        };
        p.name = name.to_string();
        p.origin = origin;
        p.environment = self.environment.unwrap_or_default();
        p.read_only = self.read_only.unwrap_or(false);
        if let Some(cli) = non_empty(&self.duckdb_cli) {
            if p.engine != Engine::Duckdb {
                return Err(FieldError::new(
                    "duckdb_cli",
                    format!("`duckdb_cli` is for DuckDB profiles, not {}", p.engine),
                ));
            }
            let path = std::path::Path::new(&cli);
            if path.components().count() > 1 && !cli.starts_with('~') && !path.is_absolute() {
                return Err(FieldError::new(
                    "duckdb_cli",
                    format!(
                        "`{}`: name the shell by an absolute path, or by its name alone (looked up on PATH)",
                        cli.escape_debug()
                    ),
                ));
            }
            if cli.chars().any(char::is_control) {
                return Err(FieldError::new(
                    "duckdb_cli",
                    format!("`{}`: a program path cannot hold control characters", cli.escape_debug()),
                ));
            }
            p.duckdb_cli = Some(expand_home(&cli));
        }
        if p.engine == Engine::Duckdb {
            if self.read_only == Some(false) {
                return Err(FieldError::new(
                    "read_only",
                    "a DuckDB file is opened read-only (dbconsole reads DuckDB as a source): remove read_only = false",
                ));
            }
            p.read_only = true;
        }
        p.migrations = non_empty(&self.migrations).map(|s| expand_home(&s));
        if let Some(tls) = self.tls {
            if p.engine.is_file() {
                return Err(FieldError::new("tls", format!("a {} profile has no TLS settings", p.engine)));
            }
            p.tls = TlsSettings {
                mode: tls.mode.or(p.tls.mode),
                root_cert: non_empty(&tls.root_cert).map(|s| expand_home(&s)).or(p.tls.root_cert),
                client_cert: non_empty(&tls.cert).map(|s| expand_home(&s)).or(p.tls.client_cert),
                client_key: non_empty(&tls.key).map(|s| expand_home(&s)).or(p.tls.client_key),
            };
            if p.tls.client_cert.is_some() != p.tls.client_key.is_some() {
                return Err(FieldError::new("tls", "a client certificate needs both `cert` and `key`"));
            }
        }
        if let Some(pool) = self.pool {
            let d = PoolSettings::default();
            p.pool = PoolSettings {
                max_connections: pool.max_connections.unwrap_or(d.max_connections),
                min_connections: pool.min_connections.unwrap_or(d.min_connections),
                connect_timeout_secs: pool.connect_timeout_secs.unwrap_or(d.connect_timeout_secs),
                acquire_timeout_secs: pool.acquire_timeout_secs.unwrap_or(d.acquire_timeout_secs),
                idle_timeout_secs: pool.idle_timeout_secs.or(d.idle_timeout_secs).filter(|s| *s > 0),
                max_lifetime_secs: pool.max_lifetime_secs.or(d.max_lifetime_secs).filter(|s| *s > 0),
            };
            if p.pool.max_connections == 0 {
                return Err(FieldError::new("pool", "max_connections must be at least 1"));
            }
            if p.pool.min_connections > p.pool.max_connections {
                return Err(FieldError::new("pool", "min_connections is larger than max_connections"));
            }
            if p.pool.connect_timeout_secs == 0 {
                return Err(FieldError::new("pool", "connect_timeout_secs must be at least 1"));
            }
        }
        // Password source: explicit kind, else inferred from the fields present, else the URL's password.
        let url_password = match std::mem::replace(&mut p.password, PasswordSource::None) {
            PasswordSource::Plain(s) => Some(s),
            _ => None,
        };
        let kind = match self.password_source {
            Some(k) => k,
            None if self.password.is_some() || url_password.is_some() => PasswordKind::Plain,
            None if self.password_env.is_some() => PasswordKind::Env,
            None if self.password_command.is_some() => PasswordKind::Command,
            None if p.engine.is_file() => PasswordKind::None,
            None => PasswordKind::Ask,
        };
        p.password = match kind {
            PasswordKind::None => PasswordSource::None,
            PasswordKind::Ask => PasswordSource::Ask,
            PasswordKind::Pgpass => PasswordSource::Pgpass,
            PasswordKind::Keyring => PasswordSource::Keyring,
            PasswordKind::Mycnf => PasswordSource::MyCnf,
            PasswordKind::Env => PasswordSource::Env(non_empty(&self.password_env).ok_or_else(|| {
                FieldError::new("password_env", "password_source = \"env\" needs password_env = \"VARIABLE\"")
            })?),
            PasswordKind::Command => PasswordSource::Command(non_empty(&self.password_command).ok_or_else(|| {
                FieldError::new("password_command", "password_source = \"command\" needs password_command = \"…\"")
            })?),
            PasswordKind::Plain => PasswordSource::Plain(
                self.password
                    .or(url_password)
                    .ok_or_else(|| FieldError::new("password", "password_source = \"plain\" needs password = \"…\""))?,
            ),
        };
        if p.engine.is_file() && !matches!(p.password, PasswordSource::None) {
            return Err(FieldError::new("password_source", format!("a {} database file has no password", p.engine)));
        }
        p.ssh = route_from(self.ssh.as_deref().unwrap_or(&[]), non_empty(&self.ssh_identity).as_deref())?;
        if !p.ssh.is_empty() {
            if p.engine.is_file() {
                return Err(FieldError::new(
                    "ssh",
                    "a SQLite or DuckDB profile is a file on this machine: an SSH route does not apply (copy the file, or open it \
                     on the server)",
                ));
            }
            if p.host.starts_with('/') {
                return Err(FieldError::new(
                    "ssh",
                    "through SSH the host must be a name or address the last hop can reach, not a Unix socket path",
                ));
            }
        }
        if let Some(du) = non_empty(&self.direct_url) {
            let mut d = super::url::parse_url(&du).map_err(|m| FieldError::new("direct_url", m))?;
            if d.engine != p.engine || d.engine.is_file() {
                return Err(FieldError::new(
                    "direct_url",
                    format!(
                        "a {} URL beside a {} profile: the direct URL must reach the same server",
                        d.engine, p.engine
                    ),
                ));
            }
            d.name = p.name.clone();
            d.origin = p.origin.clone();
            d.environment = p.environment;
            d.read_only = p.read_only;
            d.migrations = p.migrations.clone();
            d.pool = p.pool.clone();
            d.ssh = p.ssh.clone();
            // Its own password when its URL holds one; else the profile's.
            if !matches!(d.password, PasswordSource::Plain(_)) {
                d.password = p.password.clone();
            }
            p.direct = Some(Box::new(d));
        }
        Ok(p)
    }

    /// The file form of a profile. A plain password is written back only because the user wrote it there.
    pub fn from_profile(p: &Profile) -> RawProfile {
        let mut r = RawProfile { engine: Some(p.engine), ..Default::default() };
        if let Some(url) = &p.url {
            r.url = Some(match &p.password {
                // The password came from the URL the user wrote: keep it there.
                PasswordSource::Plain(pw) => super::url::with_password(url, pw.expose_secret()),
                _ => url.clone(),
            });
        } else if p.engine.is_file() {
            r.path = p.path.as_ref().map(|p| p.display().to_string());
            r.duckdb_cli = p.duckdb_cli.as_ref().map(|c| c.display().to_string());
        } else {
            r.host = Some(p.host.clone());
            r.port = Some(p.port);
            r.database = p.database.clone();
            r.user = p.user.clone();
        }
        if p.environment != Environment::Development {
            r.environment = Some(p.environment);
        }
        if p.read_only && p.engine != Engine::Duckdb {
            r.read_only = Some(true);
        }
        r.migrations = p.migrations.as_ref().map(|m| m.display().to_string());
        if !p.ssh.is_empty() {
            r.ssh = Some(p.ssh.hops.iter().map(|h| h.to_string()).collect());
            r.ssh_identity = p.ssh.identity.as_ref().map(|i| i.display().to_string());
        }
        if let Some(d) = &p.direct {
            let url = d.url.clone().unwrap_or_default();
            r.direct_url = Some(match (&d.password, &p.password) {
                // A password that differs from the profile's came from the direct URL itself: keep it there.
                (PasswordSource::Plain(dp), PasswordSource::Plain(pp)) if dp.expose_secret() == pp.expose_secret() => {
                    url
                }
                (PasswordSource::Plain(dp), _) => super::url::with_password(&url, dp.expose_secret()),
                _ => url,
            });
        }
        let url_holds_password = p.url.is_some();
        match &p.password {
            PasswordSource::None if p.engine.is_file() => {}
            PasswordSource::Plain(pw) => {
                if !url_holds_password {
                    r.password_source = Some(PasswordKind::Plain);
                    r.password = Some(pw.clone());
                }
            }
            other => r.password_source = Some(other.kind()),
        }
        match &p.password {
            PasswordSource::Env(v) => r.password_env = Some(v.clone()),
            PasswordSource::Command(c) => r.password_command = Some(c.clone()),
            _ => {}
        }
        if p.tls != TlsSettings::default() && p.url.is_none() {
            r.tls = Some(RawTls {
                mode: p.tls.mode,
                root_cert: p.tls.root_cert.as_ref().map(|p| p.display().to_string()),
                cert: p.tls.client_cert.as_ref().map(|p| p.display().to_string()),
                key: p.tls.client_key.as_ref().map(|p| p.display().to_string()),
            });
        }
        if p.pool != PoolSettings::default() {
            let d = PoolSettings::default();
            let pick = |a: u64, b: u64| (a != b).then_some(a);
            r.pool = Some(RawPool {
                max_connections: (p.pool.max_connections != d.max_connections).then_some(p.pool.max_connections),
                min_connections: (p.pool.min_connections != d.min_connections).then_some(p.pool.min_connections),
                connect_timeout_secs: pick(p.pool.connect_timeout_secs, d.connect_timeout_secs),
                acquire_timeout_secs: pick(p.pool.acquire_timeout_secs, d.acquire_timeout_secs),
                idle_timeout_secs: (p.pool.idle_timeout_secs != d.idle_timeout_secs)
                    .then_some(p.pool.idle_timeout_secs.unwrap_or(0)),
                max_lifetime_secs: (p.pool.max_lifetime_secs != d.max_lifetime_secs)
                    .then_some(p.pool.max_lifetime_secs.unwrap_or(0)),
            });
        }
        r
    }

    /// True when this table holds a plain-text password (in `password` or inside the URL).
    pub fn has_plain_password(&self) -> bool {
        self.password.is_some()
            || self.url.as_deref().is_some_and(super::url::url_has_password)
            || self.direct_url.as_deref().is_some_and(super::url::url_has_password)
    }
}

/// `~/x` → `$HOME/x`.
/// An SSH route from the file's (or the command line's) hop strings; each bad hop is named.
pub fn route_from(hops: &[String], identity: Option<&str>) -> Result<crate::core::ssh::Route, FieldError> {
    let mut route = crate::core::ssh::Route::default();
    for (i, h) in hops.iter().enumerate() {
        let hop = crate::core::ssh::Hop::parse(h)
            .map_err(|m| FieldError::new("ssh", format!("hop {} `{}`: {m}", i + 1, h.escape_debug())))?;
        route.hops.push(hop);
    }
    if let Some(id) = identity {
        if route.hops.is_empty() {
            return Err(FieldError::new("ssh_identity", "ssh_identity is set but there is no ssh route"));
        }
        if id.chars().any(char::is_control) {
            return Err(FieldError::new(
                "ssh_identity",
                format!("`{}`: a key file's path cannot hold control characters", id.escape_debug()),
            ));
        }
        route.identity = Some(expand_home(id));
    }
    Ok(route)
}

pub fn expand_home(s: &str) -> PathBuf {
    if let Some(rest) = s.strip_prefix("~/")
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(rest);
    }
    PathBuf::from(s)
}

/// A host is a DNS name, an IPv4/IPv6 literal, or a Unix socket path.
pub fn validate_host(host: &str) -> Result<(), FieldError> {
    if host.starts_with('/') {
        return Ok(());
    }
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    if h.len() > 253 {
        return Err(FieldError::new("host", "host name longer than 253 characters"));
    }
    for label in h.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(FieldError::new(
                "host",
                format!("`{host}` is not a valid host name (empty or over-long label)"),
            ));
        }
        if let Some(c) = label.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_')) {
            return Err(FieldError::new("host", format!("`{c}` is not allowed in a host name")));
        }
    }
    Ok(())
}

/// Writes a plain password back into the file it came from (and nowhere else).
fn serialize_secret<S: serde::Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(pw) => s.serialize_str(pw.expose_secret()),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn raw(url: &str, direct: &str) -> RawProfile {
        RawProfile { url: Some(url.into()), direct_url: Some(direct.into()), ..Default::default() }
    }

    #[test]
    fn direct_url_round_trips_its_own_password_only() {
        // The direct URL's own password stays with it; none is added where the user wrote none.
        let p = raw("postgres://pool@pooler:6543/app?pgbouncer=true", "postgres://owner:dir%20pw@db:5432/app")
            .into_profile("app", Origin::File { line: 1 })
            .unwrap();
        let d = p.direct.as_ref().unwrap();
        assert!(p.pooler && !d.pooler);
        assert!(matches!(&d.password, PasswordSource::Plain(s) if s.expose_secret() == "dir pw"));
        assert!(matches!(p.password, PasswordSource::Ask));
        // Its own password wins over the one typed for the pooled URL; without one, the typed one is used.
        let typed = secrecy::SecretString::from("typed");
        assert_eq!(p.session_password(Some(&typed)).unwrap().expose_secret(), "dir pw");
        let back = RawProfile::from_profile(&p);
        assert!(back.direct_url.as_deref().unwrap().contains("owner:dir%20pw@db:5432"), "{:?}", back.direct_url);
        assert_eq!(back.url.as_deref(), Some("postgres://pool@pooler:6543/app?pgbouncer=true"));
        // The same plain password in both: written once, in the url.
        let p = raw("postgres://u:same@pooler/app", "postgres://u@db/app")
            .into_profile("app", Origin::File { line: 1 })
            .unwrap();
        let back = RawProfile::from_profile(&p);
        assert!(back.url.as_deref().unwrap().contains("u:same@"));
        assert_eq!(back.direct_url.as_deref(), Some("postgres://u@db/app"));
        assert_eq!(p.session_password(None).unwrap().expose_secret(), "same");
        let plain = raw("postgres://u@pooler/app", "postgres://u@db/app")
            .into_profile("app", Origin::File { line: 1 })
            .unwrap();
        assert_eq!(plain.session_password(Some(&typed)).unwrap().expose_secret(), "typed");
        assert_eq!(p.session_profile().name, "app (direct)");
        assert!(crate::core::profile::validate_name("app (direct)").is_err(), "no profile can take its pool");
        // A direct URL of another engine, or a SQLite one, is refused naming the field.
        for bad in ["mysql://u@db/app", "sqlite:/tmp/x.db", "postgres://u@db:99999/app"] {
            let e = raw("postgres://u@pooler/app", bad).into_profile("app", Origin::File { line: 1 }).unwrap_err();
            assert_eq!(e.field, "direct_url", "{bad}: {e}");
        }
    }
}
