//! Failure classes of a connection attempt: what went wrong, said plainly, with what to check.
use std::time::Duration;

use serde::Serialize;

use crate::core::profile::{Engine, PasswordSource, Profile};

/// Why a connection failed. The `as_str` names are part of the `--json` output; the exit codes are the CLI's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    Dns,
    Refused,
    Timeout,
    Tls,
    Auth,
    DatabaseMissing,
    Permission,
    FileMissing,
    NotADatabase,
    Locked,
    Readonly,
    /// The first SSH hop (or a later one, through the one before) cannot be reached.
    SshUnreachable,
    SshHostKeyUnknown,
    SshHostKeyChanged,
    /// A `@revoked` known_hosts line names the key, or a host certificate is invalid.
    SshHostKeyRevoked,
    SshAuth,
    /// The last hop refuses to forward to the database (`AllowTcpForwarding no`, `PermitOpen`).
    SshForwardingRefused,
    /// A program the profile needs is not there (the `duckdb` shell for a DuckDB file).
    ToolMissing,
    Other,
}

impl FailureClass {
    pub const ALL: [FailureClass; 19] = [
        FailureClass::Dns,
        FailureClass::Refused,
        FailureClass::Timeout,
        FailureClass::Tls,
        FailureClass::Auth,
        FailureClass::DatabaseMissing,
        FailureClass::Permission,
        FailureClass::FileMissing,
        FailureClass::NotADatabase,
        FailureClass::Locked,
        FailureClass::Readonly,
        FailureClass::SshUnreachable,
        FailureClass::SshHostKeyUnknown,
        FailureClass::SshHostKeyChanged,
        FailureClass::SshHostKeyRevoked,
        FailureClass::SshAuth,
        FailureClass::SshForwardingRefused,
        FailureClass::ToolMissing,
        FailureClass::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FailureClass::Dns => "dns",
            FailureClass::Refused => "refused",
            FailureClass::Timeout => "timeout",
            FailureClass::Tls => "tls",
            FailureClass::Auth => "auth",
            FailureClass::DatabaseMissing => "database_missing",
            FailureClass::Permission => "permission",
            FailureClass::FileMissing => "file_missing",
            FailureClass::NotADatabase => "not_a_database",
            FailureClass::Locked => "locked",
            FailureClass::Readonly => "readonly",
            FailureClass::SshUnreachable => "ssh_unreachable",
            FailureClass::SshHostKeyUnknown => "ssh_host_key_unknown",
            FailureClass::SshHostKeyChanged => "ssh_host_key_changed",
            FailureClass::SshHostKeyRevoked => "ssh_host_key_revoked",
            FailureClass::SshAuth => "ssh_auth",
            FailureClass::SshForwardingRefused => "ssh_forwarding_refused",
            FailureClass::ToolMissing => "tool_missing",
            FailureClass::Other => "other",
        }
    }

    /// Exit code of `dbconsole profile test` for this class (0 is success, 2 is a usage error).
    pub fn exit_code(self) -> i32 {
        match self {
            FailureClass::Other => 1,
            FailureClass::Dns => 10,
            FailureClass::Refused => 11,
            FailureClass::Timeout => 12,
            FailureClass::Tls => 13,
            FailureClass::Auth => 14,
            FailureClass::DatabaseMissing => 15,
            FailureClass::Permission => 16,
            FailureClass::FileMissing => 17,
            FailureClass::NotADatabase => 18,
            FailureClass::Locked => 19,
            FailureClass::Readonly => 20,
            FailureClass::SshUnreachable => 21,
            FailureClass::SshHostKeyUnknown => 22,
            FailureClass::SshHostKeyChanged => 23,
            FailureClass::SshHostKeyRevoked => 24,
            FailureClass::SshAuth => 25,
            FailureClass::SshForwardingRefused => 26,
            FailureClass::ToolMissing => 27,
        }
    }

    /// A short title for the UI.
    pub fn title(self) -> &'static str {
        match self {
            FailureClass::Dns => "host not found",
            FailureClass::Refused => "connection refused",
            FailureClass::Timeout => "timed out",
            FailureClass::Tls => "TLS failed",
            FailureClass::Auth => "authentication failed",
            FailureClass::DatabaseMissing => "database does not exist",
            FailureClass::Permission => "permission denied",
            FailureClass::FileMissing => "file missing",
            FailureClass::NotADatabase => "not a database",
            FailureClass::Locked => "database locked",
            FailureClass::Readonly => "read-only",
            FailureClass::SshUnreachable => "SSH hop unreachable",
            FailureClass::SshHostKeyUnknown => "SSH host key unknown",
            FailureClass::SshHostKeyChanged => "SSH HOST KEY CHANGED",
            FailureClass::SshHostKeyRevoked => "SSH host key revoked",
            FailureClass::SshAuth => "SSH authentication failed",
            FailureClass::SshForwardingRefused => "SSH forwarding refused",
            FailureClass::ToolMissing => "program missing",
            FailureClass::Other => "failed",
        }
    }
}

/// A classified failure: `message` says what happened, `hint` what to check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConnectError {
    pub class: FailureClass,
    pub message: String,
    pub hint: String,
}

impl ConnectError {
    pub fn new(class: FailureClass, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self { class, message: message.into(), hint: hint.into() }
    }
}

fn hostport(p: &Profile) -> String {
    if p.host.contains(':') { format!("[{}]:{}", p.host, p.port) } else { format!("{}:{}", p.host, p.port) }
}

pub fn refused(p: &Profile) -> ConnectError {
    ConnectError::new(
        FailureClass::Refused,
        format!("connection refused at {}", hostport(p)),
        format!(
            "nothing accepts connections there: check that the {} server is running, that the port is right (default {}), \
             that it listens on this address ({}), and that no firewall rejects the connection",
            p.engine,
            p.engine.default_port(),
            if p.engine == Engine::Postgres { "listen_addresses in postgresql.conf" } else { "bind-address in my.cnf" }
        ),
    )
}

pub fn timed_out(p: &Profile, after: Duration) -> ConnectError {
    ConnectError::new(
        FailureClass::Timeout,
        format!("no answer from {} within {} s", hostport(p), after.as_secs_f32()),
        "the server (or something in between: a firewall dropping packets, a proxy, an overloaded server) does not \
         answer: check the host and port, network routes and firewalls; raise pool.connect_timeout_secs for slow links",
    )
}

fn password_hint(p: &Profile) -> String {
    let src = p.describe_password();
    match p.engine {
        Engine::Postgres => format!(
            "check the user name and the password (source: {src}), and the authentication method for this user and \
             host in the server's pg_hba.conf"
        ),
        _ => format!(
            "check the user name and the password (source: {src}), and that the account exists for connections from \
             this host ('user'@'%' or 'user'@'this-host')"
        ),
    }
}

/// Classifies an error sqlx returned while connecting or running the first query.
pub fn classify_sqlx(p: &Profile, e: &sqlx::Error) -> ConnectError {
    match e {
        sqlx::Error::Io(io) => classify_io(p, io),
        sqlx::Error::Tls(inner) => tls_error(p, &inner.to_string()),
        sqlx::Error::PoolTimedOut => timed_out(p, Duration::from_secs(p.pool.connect_timeout_secs)),
        sqlx::Error::Configuration(inner) => {
            let msg = inner.to_string();
            if p.tls.root_cert.is_some() || p.tls.client_cert.is_some() || msg.to_lowercase().contains("cert") {
                tls_error(p, &msg)
            } else {
                ConnectError::new(
                    FailureClass::Other,
                    format!("configuration error: {msg}"),
                    "check the profile's settings",
                )
            }
        }
        sqlx::Error::Database(db) => match p.engine {
            Engine::Postgres => classify_pg(p, db.code().as_deref().unwrap_or(""), db.message()),
            Engine::Mysql => {
                let number = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>().map(|m| m.number()).unwrap_or(0);
                classify_mysql(p, number, db.message())
            }
            Engine::Sqlite => {
                let code: i32 = db.code().and_then(|c| c.parse().ok()).unwrap_or(0);
                classify_sqlite(p, code, db.message())
            }
            Engine::Duckdb => ConnectError::new(FailureClass::Other, db.message(), "see the log file for details"),
        },
        other => {
            let msg = other.to_string();
            if msg.contains("TLS") || msg.contains("SSL") || msg.contains("ssl") {
                tls_error(p, &msg)
            } else {
                ConnectError::new(FailureClass::Other, msg, "see the log file for details")
            }
        }
    }
}

pub fn classify_io(p: &Profile, io: &std::io::Error) -> ConnectError {
    use std::io::ErrorKind as K;
    // rustls reports certificate and handshake problems through io::Error.
    let text = io.to_string();
    let lower = text.to_lowercase();
    if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") || lower.contains("alert")
    {
        return tls_error(p, &text);
    }
    match io.kind() {
        K::ConnectionRefused => refused(p),
        K::TimedOut | K::WouldBlock => timed_out(p, Duration::from_secs(p.pool.connect_timeout_secs)),
        K::NotFound if p.host.starts_with('/') => ConnectError::new(
            FailureClass::Refused,
            format!("no server socket at {} (port {})", p.host, p.port),
            "check that the server is running and the socket directory is right",
        ),
        K::UnexpectedEof | K::ConnectionReset | K::ConnectionAborted => ConnectError::new(
            FailureClass::Other,
            format!("{} closed the connection during the handshake: {io}", hostport(p)),
            "the server may refuse this client early (max connections reached, host blocked, TLS required or \
             unsupported): see the server's log",
        ),
        K::HostUnreachable | K::NetworkUnreachable => ConnectError::new(
            FailureClass::Timeout,
            format!("{} is unreachable: {io}", hostport(p)),
            "check network routes, VPN and firewalls",
        ),
        _ => ConnectError::new(
            FailureClass::Other,
            format!("I/O error talking to {}: {io}", hostport(p)),
            "see the log file",
        ),
    }
}

pub fn tls_error(p: &Profile, msg: &str) -> ConnectError {
    let lower = msg.to_lowercase();
    let hint = if lower.contains("unknownissuer")
        || lower.contains("unknown issuer")
        || lower.contains("caused by") && lower.contains("issuer")
    {
        match &p.tls.root_cert {
            Some(ca) => format!(
                "the server's certificate is not signed by the CA in {}: point tls.root_cert at the CA that signed it",
                ca.display()
            ),
            None => "the server's certificate is not signed by a CA this machine trusts: set tls.root_cert to the CA \
                     certificate that signed it"
                .to_string(),
        }
    } else if lower.contains("notvalidforname") || lower.contains("not valid for name") || lower.contains("hostname") {
        format!(
            "the certificate does not name `{}`: connect with a host name the certificate lists, or use tls mode \
             verify-ca to check the CA only",
            p.host
        )
    } else if lower.contains("expired") {
        "the server's certificate has expired: renew it on the server".to_string()
    } else if lower.contains("not support") || lower.contains("does not accept") {
        "the server does not offer TLS: enable it on the server (PostgreSQL ssl = on; MariaDB ssl-cert/ssl-key), or \
         lower tls.mode to prefer if an unencrypted connection is acceptable"
            .to_string()
    } else {
        "check tls.mode and the certificate files (root_cert, cert, key) in the profile, and the server's TLS settings"
            .to_string()
    };
    ConnectError::new(FailureClass::Tls, format!("TLS failed with {}: {msg}", hostport(p)), hint)
}

pub fn classify_pg(p: &Profile, code: &str, message: &str) -> ConnectError {
    let user = p.user.clone().unwrap_or_else(crate::core::profile::password::default_user);
    let db = p.database.clone().unwrap_or_else(|| user.clone());
    let msg = format!("PostgreSQL: {message} (SQLSTATE {code})");
    match code {
        "28P01" => ConnectError::new(FailureClass::Auth, msg, password_hint(p)),
        "28000" if message.contains("no encryption") => ConnectError::new(
            FailureClass::Tls,
            msg,
            "the server requires TLS for this user and host (a hostssl line in pg_hba.conf): set tls.mode = \"require\" \
             (or verify-full with root_cert)",
        ),
        "28000" if message.contains("role") && message.contains("does not exist") => ConnectError::new(
            FailureClass::Auth,
            msg,
            format!("role `{user}` does not exist on this server: check the user name, or CREATE ROLE it"),
        ),
        "28000" if message.contains("pg_hba.conf") => ConnectError::new(
            FailureClass::Permission,
            msg,
            "pg_hba.conf has no line that lets this user connect to this database from this host: add one on the server \
             and reload",
        ),
        "28000" => ConnectError::new(FailureClass::Auth, msg, password_hint(p)),
        "3D000" => ConnectError::new(
            FailureClass::DatabaseMissing,
            msg,
            format!("database `{db}` does not exist: check its name (psql -l lists them) or CREATE DATABASE it"),
        ),
        "42501" => ConnectError::new(
            FailureClass::Permission,
            msg,
            format!("`{user}` may not connect to `{db}`: GRANT CONNECT ON DATABASE to the role, or use another role"),
        ),
        "53300" => ConnectError::new(
            FailureClass::Other,
            msg,
            "the server has no free connection slots: close idle sessions or raise max_connections",
        ),
        "57P03" => {
            ConnectError::new(FailureClass::Other, msg, "the server is starting up, shutting down or in recovery")
        }
        _ => ConnectError::new(FailureClass::Other, msg, "see the server's log for details"),
    }
}

pub fn classify_mysql(p: &Profile, number: u16, message: &str) -> ConnectError {
    let msg = format!("MySQL: {message} (error {number})");
    let db = p.database.clone().unwrap_or_default();
    match number {
        1045 | 1251 | 2059 | 1698 => ConnectError::new(FailureClass::Auth, msg, password_hint(p)),
        1049 => ConnectError::new(
            FailureClass::DatabaseMissing,
            msg,
            format!("database `{db}` does not exist: check its name (SHOW DATABASES) or CREATE DATABASE it"),
        ),
        1044 | 1142 | 1227 => ConnectError::new(
            FailureClass::Permission,
            msg,
            format!("the account has no privileges on `{db}`: GRANT them, or use another account"),
        ),
        1130 | 1129 => ConnectError::new(
            FailureClass::Permission,
            msg,
            "the server does not allow this account from this host: create the account for this host or '%'",
        ),
        3159 => ConnectError::new(
            FailureClass::Tls,
            msg,
            "the server requires TLS (require_secure_transport): set tls.mode = \"require\"",
        ),
        1040 => {
            ConnectError::new(FailureClass::Other, msg, "the server has no free connections: raise max_connections")
        }
        _ => ConnectError::new(FailureClass::Other, msg, "see the server's error log for details"),
    }
}

pub fn classify_sqlite(p: &Profile, code: i32, message: &str) -> ConnectError {
    let path = p.path.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
    let msg = format!("SQLite: {message} (code {code}) on {path}");
    match code & 0xff {
        5 | 6 => ConnectError::new(
            FailureClass::Locked,
            msg,
            "another connection holds a lock on the database: finish or close it, then try again",
        ),
        8 => ConnectError::new(
            FailureClass::Readonly,
            msg,
            "the file or its directory is not writable (SQLite writes a journal beside the file): fix the permissions, \
             or set read_only = true on the profile",
        ),
        26 => not_a_database(&path, message),
        11 => {
            ConnectError::new(FailureClass::NotADatabase, msg, "the database file is corrupt: restore it from a backup")
        }
        14 => {
            if p.path.as_ref().is_some_and(|p| !p.exists()) {
                file_missing(&path)
            } else {
                ConnectError::new(
                    FailureClass::Permission,
                    msg,
                    "the file cannot be opened: check its permissions and those of its directory",
                )
            }
        }
        23 | 3 => ConnectError::new(FailureClass::Permission, msg, "check the file's permissions"),
        _ => ConnectError::new(FailureClass::Other, msg, "see the log file for details"),
    }
}

pub fn file_missing(path: &str) -> ConnectError {
    ConnectError::new(
        FailureClass::FileMissing,
        format!("SQLite database file {path} does not exist"),
        "check the path in the profile; dbconsole never creates a database file when opening or testing a profile \
         (`dbconsole migrate apply --create` makes a new one)",
    )
}

pub fn not_a_database(path: &str, detail: &str) -> ConnectError {
    ConnectError::new(
        FailureClass::NotADatabase,
        format!("{path} is not an SQLite database: {detail}"),
        "the file is not an SQLite 3 database, or is encrypted or corrupt: check the path, or restore it from a backup",
    )
}

/// A password source that could not give a password.
pub fn password_unavailable(p: &Profile, why: &str) -> ConnectError {
    let hint = match &p.password {
        PasswordSource::Env(v) => {
            format!("export {v}=… before starting dbconsole, or change the profile's password_source")
        }
        PasswordSource::Command(_) => "run the password command by hand to see why it fails".to_string(),
        _ => "change the profile's password_source, or run interactively to be asked".to_string(),
    };
    ConnectError::new(FailureClass::Auth, format!("no password for profile `{}`: {why}", p.name), hint)
}
