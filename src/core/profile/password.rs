//! Turning a profile's password source into a password at connect time. Nothing here logs or prints a secret.
use secrecy::SecretString;

use super::{Engine, PasswordSource, Profile};

/// What the source gave.
#[derive(Debug)]
pub enum Resolved {
    Password(SecretString),
    /// Connect without a password (trust, peer, certificate authentication, SQLite). `note` says why, if notable.
    NoPassword {
        note: Option<String>,
    },
    /// The front end must ask the user (and may remember the answer in memory for the session).
    MustAsk {
        reason: String,
    },
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("environment variable {0} is not set (the profile reads its password from it)")]
    EnvMissing(String),
    #[error("password command `{command}` failed: {detail}")]
    Command { command: String, detail: String },
    #[error("{0}")]
    File(String),
}

/// Resolves the password source of `profile`. `remembered` is a password the user typed earlier in this session.
pub fn resolve(profile: &Profile, remembered: Option<&SecretString>) -> Result<Resolved, PasswordError> {
    if let Some(pw) = remembered {
        return Ok(Resolved::Password(pw.clone()));
    }
    // A URL typed on the command line without a password: as psql and mysql do, the client's environment
    // variable first (PGPASSWORD, MYSQL_PWD), then .pgpass, then ask. Saved profiles name their source instead.
    if profile.origin == super::Origin::AdHoc
        && matches!(profile.password, PasswordSource::Pgpass | PasswordSource::Ask)
    {
        let var = match profile.engine {
            super::Engine::Postgres => Some("PGPASSWORD"),
            super::Engine::Mysql => Some("MYSQL_PWD"),
            super::Engine::Sqlite | super::Engine::Duckdb => None,
        };
        if let Some(v) = var.and_then(|v| std::env::var(v).ok()).filter(|v| !v.is_empty()) {
            return Ok(Resolved::Password(SecretString::from(v)));
        }
    }
    match &profile.password {
        PasswordSource::None => Ok(Resolved::NoPassword { note: None }),
        PasswordSource::Plain(pw) => Ok(Resolved::Password(pw.clone())),
        PasswordSource::Ask => {
            Ok(Resolved::MustAsk { reason: "the profile asks for its password at connect time".into() })
        }
        PasswordSource::Env(var) => match std::env::var(var) {
            Ok(v) => Ok(Resolved::Password(SecretString::from(v))),
            Err(_) => Err(PasswordError::EnvMissing(var.clone())),
        },
        PasswordSource::Pgpass => {
            let user = profile.user.clone().unwrap_or_else(default_user);
            let db = profile.database.clone().unwrap_or_else(|| user.clone());
            match super::pgpass::lookup(&profile.host, profile.port, &db, &user) {
                Ok(Some(pw)) => Ok(Resolved::Password(pw)),
                // A URL typed without a password: as psql, look in .pgpass, then ask.
                Ok(None) if profile.origin == super::Origin::AdHoc => Ok(Resolved::MustAsk {
                    reason: format!("no password in the URL nor in .pgpass for {user}@{}", profile.host),
                }),
                Ok(None) => Ok(Resolved::NoPassword { note: Some("no matching line in ~/.pgpass".into()) }),
                Err(e) => Ok(Resolved::NoPassword { note: Some(e) }),
            }
        }
        PasswordSource::Command(cmd) => run_command(cmd).map(Resolved::Password),
        PasswordSource::Keyring => match keyring_lookup(&profile.name) {
            Ok(pw) => Ok(Resolved::Password(pw)),
            Err(why) => Ok(Resolved::MustAsk { reason: format!("OS keyring not usable ({why}); asking instead") }),
        },
        PasswordSource::MyCnf => match super::import::mycnf_password() {
            Ok(Some(pw)) => Ok(Resolved::Password(pw)),
            Ok(None) => Ok(Resolved::MustAsk { reason: "~/.my.cnf has no password in [client]".into() }),
            Err(e) => Err(PasswordError::File(e)),
        },
    }
}

pub fn default_user() -> String {
    std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "postgres".into())
}

fn run_command(cmd: &str) -> Result<SecretString, PasswordError> {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| PasswordError::Command { command: cmd.into(), detail: e.to_string() })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err.lines().next().unwrap_or("").trim();
        return Err(PasswordError::Command {
            command: cmd.into(),
            detail: format!("{}{}", out.status, if first.is_empty() { String::new() } else { format!(": {first}") }),
        });
    }
    let text = String::from_utf8(out.stdout)
        .map_err(|_| PasswordError::Command { command: cmd.into(), detail: "output is not UTF-8".into() })?;
    let line = text.lines().next().unwrap_or("").to_string();
    if line.is_empty() {
        return Err(PasswordError::Command { command: cmd.into(), detail: "printed nothing".into() });
    }
    Ok(SecretString::from(line))
}

/// Looks a profile's password up in the OS keyring: the Secret Service through `secret-tool` on Linux and BSD, the
/// keychain through `security` on macOS. Either may be missing or have no service to talk to (a headless host, an
/// SSH session); the error says which, and the caller falls back to asking.
pub fn keyring_lookup(profile: &str) -> Result<SecretString, String> {
    keyring_lookup_with(std::env::var_os("DBUS_SESSION_BUS_ADDRESS").as_deref(), profile)
}

fn keyring_lookup_with(dbus: Option<&std::ffi::OsStr>, profile: &str) -> Result<SecretString, String> {
    let (prog, args): (&str, Vec<&str>) = if cfg!(target_os = "macos") {
        ("security", vec!["find-generic-password", "-s", "dbconsole", "-a", profile, "-w"])
    } else {
        if dbus.is_none() {
            return Err("no D-Bus session (headless host or SSH session)".into());
        }
        ("secret-tool", vec!["lookup", "service", "dbconsole", "profile", profile])
    };
    let mut cmd = std::process::Command::new(prog);
    if let Some(addr) = dbus {
        cmd.env("DBUS_SESSION_BUS_ADDRESS", addr);
    }
    let out = cmd
        .args(&args)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("{prog}: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().next().unwrap_or("");
    if !out.status.success() || line.is_empty() {
        return Err(format!("no entry for service dbconsole, profile {profile}"));
    }
    Ok(SecretString::from(line.to_string()))
}

/// True when the engine uses passwords at all.
pub fn engine_uses_password(engine: Engine) -> bool {
    engine != Engine::Sqlite
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn profile(source: PasswordSource) -> Profile {
        let mut p = Profile::sqlite("t", "/x".into());
        p.engine = Engine::Postgres;
        p.password = source;
        p
    }

    #[test]
    fn command_source_gives_first_line_and_reports_failure() {
        match resolve(&profile(PasswordSource::Command("printf 'abc\\nzzz'".into())), None).unwrap() {
            Resolved::Password(p) => assert_eq!(p.expose_secret(), "abc"),
            other => panic!("{other:?}"),
        }
        let err = resolve(&profile(PasswordSource::Command("echo oops >&2; exit 3".into())), None).unwrap_err();
        assert!(err.to_string().contains("exit status: 3: oops"), "{err}");
    }

    #[test]
    fn env_source_missing_variable_is_named() {
        let err = resolve(&profile(PasswordSource::Env("DBC_SURELY_UNSET_VAR".into())), None).unwrap_err();
        assert_eq!(err, PasswordError::EnvMissing("DBC_SURELY_UNSET_VAR".into()));
    }

    #[test]
    fn keyring_without_a_service_falls_back_instead_of_failing() {
        let e = keyring_lookup_with(None, "p").unwrap_err();
        assert!(e.contains("no D-Bus session"), "{e}");
        // A bus address that leads nowhere: secret-tool is missing or cannot reach it; either way an Err, not a panic.
        assert!(keyring_lookup_with(Some(std::ffi::OsStr::new("unix:path=/nonexistent/bus")), "p").is_err());
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
            assert!(matches!(resolve(&profile(PasswordSource::Keyring), None).unwrap(), Resolved::MustAsk { .. }));
        }
    }

    #[test]
    fn remembered_password_wins_and_ask_asks() {
        assert!(matches!(resolve(&profile(PasswordSource::Ask), None).unwrap(), Resolved::MustAsk { .. }));
        let pw = SecretString::from("typed");
        assert!(matches!(resolve(&profile(PasswordSource::Ask), Some(&pw)).unwrap(), Resolved::Password(_)));
    }
}
