//! `dbconsole profile list|show|add|remove|test|import`.
use clap::{Args, Subcommand};
use serde_json::json;

use crate::core::engine::{self, TestReport};
use crate::core::paths::Paths;
use crate::core::profile::raw::{RawPool, RawTls};
use crate::core::profile::{self as prof, Engine, Environment, Origin, PasswordKind, Profile, RawProfile, TlsMode};
use std::io::IsTerminal;

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// List profiles (and any problems in the profiles file, on stderr).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one profile's settings. Never shows a password.
    Show {
        profile: String,
        #[arg(long)]
        json: bool,
    },
    /// Add a profile to the profiles file.
    Add(Box<AddArgs>),
    /// Remove a profile from the profiles file.
    Remove { profile: String },
    /// Test a connection step by step: name resolution, TCP, TLS, authentication, first query.
    /// Exit codes: 0 ok, 10 dns, 11 refused, 12 timeout, 13 tls, 14 auth, 15 database_missing, 16 permission,
    /// 17 file_missing, 18 not_a_database, 19 locked, 20 readonly, 1 other, 2 usage.
    Test {
        /// Profile name or connection URL.
        profile: String,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// Seconds to wait for each network step (default: the profile's connect timeout).
        #[arg(long)]
        timeout: Option<u64>,
    },
    /// Find connections you already have: DATABASE_URL, PG* variables, pg_service.conf, ~/.my.cnf [client].
    Import {
        /// Add what was found to the profiles file (names already taken are skipped).
        #[arg(long)]
        write: bool,
        /// Also read this .env file (an app's DATABASE_URL / DIRECT_URL, POSTGRES_PRISMA_URL /
        /// POSTGRES_URL_NON_POOLING); its values win over the environment's.
        #[arg(long, value_name = "FILE")]
        env_file: Option<std::path::PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    pub name: String,
    /// A connection URL instead of the separate fields (no password in it: use --password-source).
    #[arg(long)]
    pub url: Option<String>,
    /// A direct URL beside a pooled --url (Prisma's directUrl): migrations and transfers connect there.
    #[arg(long)]
    pub direct_url: Option<String>,
    #[arg(long, value_parser = ["postgres", "postgresql", "mysql", "mariadb", "sqlite", "duckdb"])]
    pub engine: Option<String>,
    #[arg(long)]
    pub host: Option<String>,
    #[arg(long)]
    pub port: Option<u16>,
    #[arg(long)]
    pub database: Option<String>,
    #[arg(long)]
    pub user: Option<String>,
    /// SQLite or DuckDB database file.
    #[arg(long)]
    pub path: Option<String>,
    /// DuckDB: the `duckdb` shell to run (default: `duckdb` on PATH).
    #[arg(long, value_name = "PROGRAM")]
    pub duckdb_cli: Option<String>,
    #[arg(long, value_parser = ["development", "staging", "production"])]
    pub environment: Option<String>,
    #[arg(long)]
    pub read_only: bool,
    /// ask, env, pgpass, command, keyring, mycnf or none.
    #[arg(long)]
    pub password_source: Option<String>,
    #[arg(long)]
    pub password_env: Option<String>,
    #[arg(long)]
    pub password_command: Option<String>,
    /// disable, allow, prefer, require, verify-ca or verify-full (MySQL's names are accepted too).
    #[arg(long)]
    pub tls_mode: Option<String>,
    #[arg(long)]
    pub tls_root_cert: Option<String>,
    #[arg(long)]
    pub tls_cert: Option<String>,
    #[arg(long)]
    pub tls_key: Option<String>,
    #[arg(long)]
    pub max_connections: Option<u32>,
    #[arg(long)]
    pub connect_timeout: Option<u64>,
    /// The profile's migrations folder (used by `dbconsole migrate`).
    #[arg(long)]
    pub migrations: Option<String>,
    /// An SSH hop `[user@]host[:port]` (a ~/.ssh/config alias works); repeat for more hops, in order.
    #[arg(long = "ssh", value_name = "HOP")]
    pub ssh: Vec<String>,
    /// A key file tried first on every hop.
    #[arg(long, value_name = "FILE")]
    pub ssh_identity: Option<String>,
}

/// Runs a profile subcommand; returns the exit code.
pub async fn run(paths: &Paths, cmd: ProfileCommand) -> i32 {
    let set = super::load_profiles(paths);
    match cmd {
        ProfileCommand::List { json } => {
            for p in &set.problems {
                eprintln!("warning: {p}");
            }
            if json {
                let v: Vec<_> = set.profiles.iter().map(profile_json).collect();
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else if set.profiles.is_empty() {
                println!("no profiles in {}", set.path.display());
            } else {
                println!("{:<20} {:<8} {:<12} {:<40} PASSWORD", "NAME", "ENGINE", "ENVIRONMENT", "TARGET");
                for p in &set.profiles {
                    let mut pw = p.password.kind().as_str().to_string();
                    if p.stores_plain_password() {
                        pw.push_str(" (stored in file)");
                    }
                    println!(
                        "{:<20} {:<8} {:<12} {:<40} {pw}",
                        p.name,
                        p.engine.as_str(),
                        p.environment.as_str(),
                        p.target()
                    );
                }
            }
            if set.broken { 1 } else { 0 }
        }
        ProfileCommand::Show { profile, json } => match super::resolve_target(&set, &profile) {
            Err(e) => usage(&e),
            Ok(p) => {
                if json {
                    println!("{}", serde_json::to_string_pretty(&profile_json(&p)).unwrap_or_default());
                } else {
                    let v = profile_json(&p);
                    if let Some(obj) = v.as_object() {
                        for (k, v) in obj {
                            if !v.is_null() {
                                println!("{k:<18} {}", v.to_string().trim_matches('"'));
                            }
                        }
                    }
                }
                0
            }
        },
        ProfileCommand::Remove { profile } => match prof::file::remove_profile(&set.path, &profile) {
            Ok(()) => {
                println!("removed profile `{profile}` from {}", set.path.display());
                0
            }
            Err(e @ prof::file::EditError::Missing(_)) => usage(&e.to_string()),
            Err(e) => {
                eprintln!("error: {e}");
                1
            }
        },
        ProfileCommand::Add(args) => add(&set, *args),
        ProfileCommand::Import { write, env_file, json } => import(&set, write, env_file.as_deref(), json),
        ProfileCommand::Test { profile, json, timeout } => {
            let mut p = match super::resolve_target(&set, &profile) {
                Ok(p) => p,
                Err(e) => return usage(&e),
            };
            if let Some(t) = timeout {
                p.pool.connect_timeout_secs = t.max(1);
            }
            let _ = crate::core::demo::ensure_for(&p, &paths.demo_db()).await;
            let report = match super::password_for(&p) {
                Err(e) => TestReport::failed_before(&p, e),
                Ok((pw, note)) => {
                    let quiet = json;
                    let mut attempts = 0;
                    loop {
                        let report = engine::test_connection(&p, pw.as_ref(), |s| {
                            if !quiet {
                                let mark = if s.ok { "ok  " } else { "FAIL" };
                                println!("  {mark} {:<20} {:>9.1} ms  {}", s.title(), s.elapsed_ms, s.detail);
                            }
                        })
                        .await
                        .with_auth_note(note.clone());
                        // An SSH hop's question (unknown host key, passphrase, password): asked on a terminal, then
                        // the test runs again.
                        attempts += 1;
                        match &report.ssh_ask {
                            Some(ask) if attempts < 6 && !json && std::io::stdin().is_terminal() => {
                                match super::ask_on_terminal(ask) {
                                    Ok(()) => println!("  testing again…"),
                                    Err(e) => {
                                        eprintln!("  {e}");
                                        break report;
                                    }
                                }
                            }
                            _ => break report,
                        }
                    }
                }
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&report_json(&report)).unwrap_or_default());
            } else {
                print_report(&report);
            }
            report.exit_code()
        }
    }
}

fn usage(msg: &str) -> i32 {
    eprintln!("error: {msg}");
    super::EXIT_USAGE
}

fn print_report(r: &TestReport) {
    if let Some(d) = &r.direct {
        println!("  pooled     {}", r.target);
        println!("  direct     {} (migrations, transfers, sync)", d.target);
    }
    if r.ok {
        println!("OK: {}", r.message);
        if let Some(db) = &r.current_database {
            println!("  database   {db}");
        }
        if let Some(tls) = r.tls {
            println!("  tls        {}", if tls { "in use" } else { "not in use" });
        }
        if let Some(l) = r.latency_ms {
            println!("  round trip {l:.2} ms");
        }
        if let (Some(can), Some(why)) = (r.role_can_write, &r.role_privileges) {
            let note = if can {
                " (read_only on a profile holds dbconsole's sessions; only a role without these cannot write at all)"
            } else {
                ""
            };
            println!("  role writes {}: {why}{note}", if can { "yes" } else { "no" });
        }
        if !r.extensions.is_empty() {
            let e: Vec<_> = r.extensions.iter().map(|e| format!("{} {}", e.name, e.version)).collect();
            println!("  extensions {}", e.join(", "));
        }
    } else {
        let class = r.class.map(|c| c.as_str()).unwrap_or("other");
        println!("FAILED ({class}): {}", r.message);
        if !r.hint.is_empty() {
            println!("  check: {}", r.hint);
        }
    }
}

pub fn report_json(r: &TestReport) -> serde_json::Value {
    json!({
        "ok": r.ok,
        "profile": r.profile,
        "engine": r.engine,
        "target": r.target,
        "class": r.class.map(|c| c.as_str()),
        "message": r.message,
        "hint": r.hint,
        "server_product": r.server_product,
        "server_version": r.server_version,
        "current_user": r.current_user,
        "current_database": r.current_database,
        "tls": r.tls,
        "latency_ms": r.latency_ms,
        "extensions": r.extensions,
        "role_can_write": r.role_can_write,
        "role_privileges": r.role_privileges,
        "steps": r.steps,
        "total_ms": r.total_ms,
        "exit_code": r.exit_code(),
        "direct": r.direct.as_deref().map(report_json),
    })
}

fn profile_json(p: &Profile) -> serde_json::Value {
    json!({
        "name": p.name,
        "engine": p.engine,
        "target": p.target(),
        "url": p.url,
        "host": (!p.engine.is_file()).then_some(&p.host),
        "port": (!p.engine.is_file()).then_some(p.port),
        "database": p.database,
        "user": p.user,
        "path": p.path,
        "environment": p.environment,
        "read_only": p.read_only,
        "password_source": p.password.kind(),
        "password": p.describe_password(),
        "stores_plain_password": p.stores_plain_password(),
        "tls_mode": (!p.engine.is_file()).then(|| p.tls.effective_mode()),
        "tls_root_cert": p.tls.root_cert,
        "max_connections": p.pool.max_connections,
        "connect_timeout_secs": p.pool.connect_timeout_secs,
        "line": match p.origin { Origin::File { line } => Some(line), _ => None },
    })
}

fn add(set: &prof::ProfileSet, a: AddArgs) -> i32 {
    if set.broken {
        eprintln!("error: {} cannot be edited until it is fixed by hand (nothing was written):", set.path.display());
        for p in &set.problems {
            eprintln!("  {p}");
        }
        return 1;
    }
    if set.taken(&a.name) {
        return usage(&format!("profile `{}` already exists in {}", a.name, set.path.display()));
    }
    if let Some(u) = a.url.as_ref().into_iter().chain(a.direct_url.as_ref()).find(|u| prof::url::url_has_password(u))
        && !u.is_empty()
    {
        return usage(
            "the URL contains a password; dbconsole does not write a password given on the command line into the \
             profiles file (it would also be visible in the process list): remove it and use --password-source \
             ask, env (--password-env VAR), pgpass, command (--password-command CMD) or keyring",
        );
    }
    let parse_err = |field: &str, e: String| usage(&format!("--{field}: {e}"));
    let engine = match a.engine.as_deref().map(Engine::parse).transpose() {
        Ok(e) => e,
        Err(e) => return parse_err("engine", e),
    };
    let tls_mode = match a.tls_mode.as_deref().map(TlsMode::parse).transpose() {
        Ok(m) => m,
        Err(e) => return parse_err("tls-mode", e),
    };
    let password_source = match a.password_source.as_deref() {
        None => None,
        Some(s) => match PasswordKind::ALL.iter().find(|k| k.as_str() == s && **k != PasswordKind::Plain) {
            Some(k) => Some(*k),
            None => {
                return parse_err(
                    "password-source",
                    format!("`{s}`: expected ask, env, pgpass, command, keyring, mycnf or none"),
                );
            }
        },
    };
    let environment = match a.environment.as_deref() {
        Some("staging") => Some(Environment::Staging),
        Some("production") => Some(Environment::Production),
        _ => None,
    };
    let tls = RawTls { mode: tls_mode, root_cert: a.tls_root_cert, cert: a.tls_cert, key: a.tls_key };
    let pool =
        RawPool { max_connections: a.max_connections, connect_timeout_secs: a.connect_timeout, ..Default::default() };
    let raw = RawProfile {
        engine: engine.or_else(|| a.url.as_deref().and_then(|u| prof::url::parse_url(u).ok()).map(|p| p.engine)),
        url: a.url,
        host: a.host,
        port: a.port,
        database: a.database,
        user: a.user,
        path: a.path,
        duckdb_cli: a.duckdb_cli,
        environment,
        read_only: a.read_only.then_some(true),
        password_source,
        password_env: a.password_env,
        password_command: a.password_command,
        password: None,
        tls: (tls != RawTls::default()).then_some(tls),
        pool: (pool != RawPool::default()).then_some(pool),
        migrations: a.migrations,
        direct_url: a.direct_url,
        ssh: (!a.ssh.is_empty()).then_some(a.ssh),
        ssh_identity: a.ssh_identity,
    };
    let profile = match raw.into_profile(&a.name, Origin::File { line: 0 }) {
        Ok(p) => p,
        Err(e) => return usage(&format!("--{}: {}", e.field.replace('_', "-"), e.message)),
    };
    match prof::file::save_profile(&set.path, &profile, None) {
        Ok(()) => {
            println!("added profile `{}` ({}) to {}", profile.name, profile.target(), set.path.display());
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

fn import(set: &prof::ProfileSet, write: bool, env_file: Option<&std::path::Path>, json: bool) -> i32 {
    let mut env: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    if let Some(f) = env_file {
        match crate::core::fsutil::read_regular(f) {
            Ok(text) => env.extend(prof::import::parse_dotenv(&text)),
            Err(e) => return usage(&format!("--env-file {}: {e}", f.display())),
        }
    }
    let found = prof::import::discover(&env);
    let mut out = Vec::new();
    let mut code = 0;
    for f in found {
        match f.profile {
            Err(e) => {
                eprintln!("not imported: {}: {e}", f.source);
                out.push(json!({"source": f.source, "error": e}));
            }
            Ok(p) => {
                let taken = set.taken(&p.name);
                let mut status = if taken { "exists" } else { "found" };
                if write && !taken {
                    match prof::file::save_profile(&set.path, &p, None) {
                        Ok(()) => status = "added",
                        Err(e) => {
                            eprintln!("error: {e}");
                            code = 1;
                        }
                    }
                }
                if !json {
                    println!(
                        "{:<8} {:<22} {:<8} {:<36} from {}",
                        status,
                        p.name,
                        p.engine.as_str(),
                        p.target(),
                        f.source
                    );
                }
                out.push(json!({"source": f.source, "status": status, "profile": profile_json(&p)}));
            }
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else if out.is_empty() {
        println!("nothing found (DATABASE_URL, PG* variables, ~/.pg_service.conf, ~/.my.cnf)");
    } else if !write {
        println!("(run with --write to add them to {})", set.path.display());
    }
    code
}
