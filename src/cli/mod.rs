//! The command line: a thin front over `core`. Every subcommand that takes a PROFILE also takes a connection URL.
pub mod dump;
pub mod migrate;
pub mod profile;
pub mod query;
pub mod schema;
pub mod sync;
pub mod transfer;

use std::io::IsTerminal;

use secrecy::SecretString;

use clap::{Parser, Subcommand};

use crate::core::engine::classify::{self, ConnectError};
use crate::core::engine::{self, DbPool};
use crate::core::paths::Paths;
use crate::core::profile::password::{self, Resolved};
use crate::core::profile::{Profile, ProfileSet, looks_like_url};

/// Exit code for usage errors (unknown profile, bad arguments), as clap uses.
pub const EXIT_USAGE: i32 = 2;
/// A transfer ran to its end but did not move everything: rows refused (in the rejects file) or objects the
/// target would not create. Never 0: nothing is lost without a non-zero exit.
pub const EXIT_LOSSES: i32 = 4;

#[derive(Debug, Parser)]
#[command(
    name = "dbconsole",
    version,
    about = "Terminal administration console for PostgreSQL, MySQL/MariaDB and SQLite"
)]
pub struct Cli {
    /// A profile name or a connection URL (postgres://…, mysql://…, mariadb://…, sqlite:PATH) to open in the TUI.
    pub target: Option<String>,

    /// Log level for the log file in the data directory (error, warn, info, debug, trace).
    #[arg(long, global = true, env = "DBCONSOLE_LOG", default_value = "info")]
    pub log_level: String,

    /// Rows the query pane reads before it pauses and offers to fetch more (0: no cap).
    #[arg(long, env = "DBCONSOLE_ROW_CAP", default_value_t = 10_000)]
    pub row_cap: usize,

    /// An SSH hop `[user@]host[:port]` for every connection URL given on the command line (repeat for more hops,
    /// in order; ~/.ssh/config aliases work). Profiles carry their own route (`ssh = [...]` in the file).
    #[arg(long = "ssh", value_name = "HOP", global = true)]
    pub ssh: Vec<String>,

    /// A key file tried first on every hop of --ssh.
    #[arg(long, value_name = "FILE", global = true)]
    pub ssh_identity: Option<String>,

    /// Draw the first frame, print how long it took, and exit (used by the startup benchmark).
    #[arg(long, hide = true)]
    pub first_frame_exit: bool,

    #[command(subcommand)]
    pub command: Option<Commands>,
}

#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Manage and test connection profiles.
    Profile {
        #[command(subcommand)]
        command: profile::ProfileCommand,
    },
    /// Inspect a database's schema: tables, views, columns, keys, indexes, foreign keys, triggers, DDL.
    Schema(schema::SchemaArgs),
    /// Versioned schema migrations (sqlx-compatible): status, plan with lint, apply, revert, dry run.
    Migrate {
        #[command(subcommand)]
        command: migrate::MigrateCommand,
    },
    /// Move a database between engines: plan (type mapping, report), run (parallel, resumable), verify.
    Transfer {
        #[command(subcommand)]
        command: transfer::TransferCommand,
    },
    /// The database as a SQL script in its own dialect (schema, data in one snapshot, indexes, keys, views):
    /// restorable with psql, mariadb or sqlite3.
    Dump(dump::DumpArgs),
    /// Live sync between two databases: add a link, run it, status, pause/resume, conflicts, remove.
    Sync {
        #[command(subcommand)]
        command: sync::SyncCommand,
    },
    /// Run SQL and stream the rows to stdout (table, csv, json or sql INSERTs); errors on stderr, exit 1.
    Query(query::QueryArgs),
    /// Print a shell completion script: `dbconsole completions bash > /etc/bash_completion.d/dbconsole`
    /// (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// Print the manual page (roff): `dbconsole man > dbconsole.1; man ./dbconsole.1`.
    Man,
}

/// `dbconsole completions SHELL`: the script on stdout.
pub fn completions(shell: clap_complete::Shell) -> i32 {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    // Into memory first: the generator panics on a closed stdout (`| head`).
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "dbconsole", &mut out);
    use std::io::Write;
    i32::from(std::io::stdout().write_all(&out).is_err())
}

/// `dbconsole man`: the manual page on stdout (options, subcommands, version).
pub fn man() -> i32 {
    let cmd = <Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    if let Err(e) = clap_mangen::Man::new(cmd).render(&mut out) {
        eprintln!("error: {e}");
        return 1;
    }
    use std::io::Write;
    i32::from(std::io::stdout().write_all(&out).is_err())
}

/// Loads the profiles file, creating it with the demo profile on the very first run.
pub fn load_profiles(paths: &Paths) -> ProfileSet {
    let file = paths.profiles_file();
    if !file.exists() && !paths.config_dir.join(".no-demo").exists() {
        let demo = crate::core::demo::profile(&paths.demo_db());
        if let Err(e) = crate::core::profile::file::create_with(&file, &demo) {
            tracing::warn!(error = %e, "could not create the profiles file");
        }
    }
    crate::core::profile::file::load(&file)
}

/// DuckDB's storage files carry `DUCK` at byte 8.
fn is_duckdb_file(path: &std::path::Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 12];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_ok() && &head[8..12] == b"DUCK"
}

/// A bare path to a SQLite file (`dbconsole app.db`, as sqlite3 and litecli take it) when no profile has that name:
/// an existing file, or a name ending in .db, .sqlite or .sqlite3; a DuckDB file (.duckdb, .ddb, or its header).
pub fn bare_sqlite_path(target: &str) -> Option<Profile> {
    let path = std::path::Path::new(target);
    let sqlite_name = path.extension().is_some_and(|e| matches!(e.to_str(), Some("db" | "sqlite" | "sqlite3")));
    if !(path.is_file() || sqlite_name) {
        return None;
    }
    // A DuckDB file (by its magic bytes, or its name when it is not there yet to say so).
    let duck_name = path.extension().is_some_and(|e| matches!(e.to_str(), Some("duckdb" | "ddb")));
    if duck_name || is_duckdb_file(path) {
        return crate::core::profile::url::parse_url(&format!("duckdb:{target}")).ok();
    }
    crate::core::profile::url::parse_url(&format!("sqlite:{target}")).ok()
}

/// The route `--ssh` gives every URL on the command line (set once by main).
static URL_ROUTE: std::sync::OnceLock<crate::core::ssh::Route> = std::sync::OnceLock::new();

/// Takes `--ssh` / `--ssh-identity`; an error names the bad hop.
pub fn set_url_route(hops: &[String], identity: Option<&str>) -> Result<(), String> {
    let route = crate::core::profile::raw::route_from(hops, identity)
        .map_err(|e| format!("--{}: {}", e.field.replace('_', "-"), e.message))?;
    let _ = URL_ROUTE.set(route);
    Ok(())
}

/// A profile by name, or an ad-hoc profile from a URL.
pub fn resolve_target(set: &ProfileSet, target: &str) -> Result<Profile, String> {
    let route = URL_ROUTE.get().filter(|r| !r.is_empty());
    if looks_like_url(target) {
        let shown = crate::core::profile::url::mask_password(target);
        let mut p = crate::core::profile::url::parse_url(target).map_err(|e| format!("{shown}: {e}"))?;
        // A SQLite file stays local (a transfer from a server behind the bastion to a local file, say).
        if let Some(r) = route.filter(|_| !p.engine.is_file()) {
            if p.host.starts_with('/') {
                return Err(format!("{shown}: --ssh needs a host the last hop can reach, not a Unix socket path"));
            }
            p.ssh = r.clone();
            if let Some(d) = p.direct.as_deref_mut() {
                d.ssh = r.clone();
            }
        }
        return Ok(p);
    }
    if route.is_some() {
        return Err(format!(
            "--ssh applies to connection URLs; profile `{target}` has its own route (`ssh = [...]` in the profiles file)"
        ));
    }
    if set.get(target).is_none()
        && let Some(p) = bare_sqlite_path(target)
    {
        return Ok(p);
    }
    match set.get(target) {
        Some(p) => Ok(p.clone()),
        None if target.contains('@') => Err(format!(
            "`{}` is neither a profile name nor a connection URL (URLs start with postgres://, mysql://, \
             mariadb:// or sqlite:)",
            crate::core::profile::url::mask_password(target)
        )),
        None => {
            if let Some(problem) = set.problems.iter().find(|p| p.profile.as_deref() == Some(target)) {
                return Err(format!("profile `{target}` cannot be used: {problem}"));
            }
            let names: Vec<_> = set.profiles.iter().map(|p| p.name.as_str()).collect();
            Err(format!(
                "no profile named `{target}` in {} (profiles: {})",
                set.path.display(),
                if names.is_empty() { "none".to_string() } else { names.join(", ") }
            ))
        }
    }
}

/// Resolves the password, asking on the terminal when the profile says so and there is one. Without a terminal
/// dbconsole goes on without a password (the network steps still tell something), and the returned note explains
/// an authentication failure.
pub fn password_for(p: &Profile) -> Result<(Option<SecretString>, Option<String>), ConnectError> {
    match password::resolve(p, None) {
        Ok(Resolved::Password(pw)) => Ok((Some(pw), None)),
        Ok(Resolved::NoPassword { note }) => Ok((None, note.map(|n| format!("no password was sent: {n}")))),
        Ok(Resolved::MustAsk { reason }) => {
            if std::io::stdin().is_terminal() {
                match rpassword::prompt_password(format!("Password for {} ({}): ", p.name, p.target())) {
                    Ok(pw) => Ok((Some(SecretString::from(pw)), None)),
                    Err(e) => Err(classify::password_unavailable(p, &format!("cannot read the password: {e}"))),
                }
            } else {
                Ok((
                    None,
                    Some(format!(
                        "no password was sent: {reason}, and there is no terminal to ask on (scripts: set password_source \
                         to env, pgpass or command)"
                    )),
                ))
            }
        }
        Err(e) => Err(classify::password_unavailable(p, &e.to_string())),
    }
}

/// Builds the profile's SSH tunnel first, asking on the terminal what a hop needs (an unknown host key, a key's
/// passphrase, a password); without a terminal the question becomes a classified failure. Err is the exit code,
/// the error already printed.
pub async fn ssh_ready(p: &Profile) -> Result<(), i32> {
    if p.ssh.is_empty() {
        return Ok(());
    }
    for _ in 0..8 {
        match crate::core::ssh::tunnel::ensure(p, &mut |_| {}, false).await {
            Ok(_) => return Ok(()),
            Err(e) => match e.ask() {
                Some(ask) if std::io::stdin().is_terminal() => {
                    if let Err(msg) = ask_on_terminal(&ask) {
                        let e = e.into_connect_error();
                        eprintln!("error ({}): {}\n  {msg}", e.class.as_str(), e.message);
                        return Err(e.class.exit_code());
                    }
                }
                _ => {
                    let e = e.into_connect_error();
                    eprintln!("error ({}): {}\n  check: {}", e.class.as_str(), e.message, e.hint);
                    return Err(e.class.exit_code());
                }
            },
        }
    }
    Err(1)
}

/// Puts an SSH question to the user on the terminal and records the answer. Err when refused.
pub fn ask_on_terminal(ask: &crate::core::ssh::SshAsk) -> Result<(), String> {
    use crate::core::ssh::{self, SshAsk};
    match ask {
        SshAsk::HostKey(k) => {
            eprintln!(
                "The authenticity of host {} can't be established.\n{} key fingerprint is {}.",
                ssh::hostport(&k.host, k.port),
                k.algorithm,
                k.fingerprint
            );
            // Whole words, as OpenSSH asks: a stray key press does not trust a host.
            eprint!(
                "Accept it? Type `yes` for this run, `save` to also add it to {}, anything else refuses: ",
                k.save_to.display()
            );
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map_err(|e| e.to_string())?;
            match line.trim().to_ascii_lowercase().as_str() {
                "yes" => ssh::accept_host_key(k, false),
                "save" => ssh::accept_host_key(k, true),
                _ => Err("host key not accepted".into()),
            }
        }
        SshAsk::Passphrase(file) => {
            let pass = rpassword::prompt_password(format!("Passphrase for {}: ", file.display()))
                .map_err(|e| format!("cannot read the passphrase: {e}"))?;
            if !ssh::connect::passphrase_opens(file, &pass) {
                return Err(format!("that passphrase does not open {}", file.display()));
            }
            ssh::answers().set_passphrase(file, SecretString::from(pass));
            Ok(())
        }
        SshAsk::Password(who) => {
            let pw = rpassword::prompt_password(format!("SSH password for {who}: "))
                .map_err(|e| format!("cannot read the password: {e}"))?;
            ssh::answers().set_password(who, SecretString::from(pw));
            Ok(())
        }
    }
}

/// Connects a one-connection pool for a subcommand; on failure prints the classified error and returns the exit
/// code to use.
pub async fn connect(paths: &Paths, p: &Profile) -> Result<DbPool, i32> {
    for n in &p.notes {
        eprintln!("note: {n}");
    }
    let _ = crate::core::demo::ensure_for(p, &paths.demo_db()).await;
    let (pw, note) = match password_for(p) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error ({}): {}\n  check: {}", e.class.as_str(), e.message, e.hint);
            return Err(e.class.exit_code());
        }
    };
    ssh_ready(p).await?;
    let mut p = p.clone();
    // A few connections: catalog reads run their independent queries at once.
    p.pool.max_connections = p.pool.max_connections.min(4);
    p.pool.min_connections = 0;
    match engine::connect_pool(&p, pw.as_ref()).await {
        Ok(pool) => Ok(pool),
        Err(e) => {
            let hint = match (&note, e.class) {
                (Some(n), crate::core::engine::FailureClass::Auth) => format!("{n}; {}", e.hint),
                _ => e.hint.clone(),
            };
            eprintln!("error ({}): {}\n  check: {hint}", e.class.as_str(), e.message);
            Err(e.class.exit_code())
        }
    }
}
