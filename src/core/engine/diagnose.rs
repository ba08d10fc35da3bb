//! The connection test: each step timed on its own, success facts (server, version, user, TLS, latency,
//! extensions), and on failure a classified diagnosis with what to check.
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde::Serialize;
use sqlx::{Connection, Row};

use super::classify::{self, ConnectError, FailureClass};
use super::probe;
use crate::core::profile::{Engine, Profile};

/// Median of five round trips of a trivial query.
macro_rules! latency {
    ($conn:expr) => {{
        let mut v = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            if sqlx::query("SELECT 1").persistent(false).execute(&mut $conn).await.is_err() {
                break;
            }
            v.push(t.elapsed());
        }
        v.sort();
        v.get(v.len() / 2).map(|d| ms(*d))
    }};
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StepReport {
    /// `resolve`, `tcp`, `tls`, `auth`, `query` (network engines) or `file`, `open`, `query` (SQLite).
    pub name: &'static str,
    pub ok: bool,
    pub elapsed_ms: f64,
    pub detail: String,
}

impl StepReport {
    pub fn title(&self) -> &'static str {
        match self.name {
            "resolve" => "name resolution",
            "tcp" => "TCP connect",
            "tls" => "TLS",
            "auth" => "authentication",
            "query" => "first query",
            "duckdb_cli" => "duckdb shell",
            "file" => "database file",
            "ssh_resolve" => "SSH name resolution",
            "ssh_tcp" => "SSH TCP connect",
            "ssh_handshake" => "SSH handshake",
            "ssh_auth" => "SSH authentication",
            "ssh_forward" => "SSH forwarding",
            "open" => "open database",
            other => other,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Extension {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TestReport {
    pub profile: String,
    pub engine: Engine,
    pub target: String,
    pub ok: bool,
    pub class: Option<FailureClass>,
    pub message: String,
    pub hint: String,
    pub server_product: Option<String>,
    pub server_version: Option<String>,
    pub current_user: Option<String>,
    pub current_database: Option<String>,
    pub tls: Option<bool>,
    pub latency_ms: Option<f64>,
    pub extensions: Vec<Extension>,
    /// Whether the role could write if the session let it (superuser, CREATE, INSERT/UPDATE/DELETE…), and why:
    /// a read-only profile is enforced per session, so a truly read-only setup also uses a role that cannot write.
    pub role_can_write: Option<bool>,
    pub role_privileges: Option<String>,
    pub steps: Vec<StepReport>,
    pub total_ms: f64,
    /// The direct connection's own test, when the profile has one beside a pooled URL.
    pub direct: Option<Box<TestReport>>,
    /// What an SSH hop needs the user to answer (an unknown host key, a passphrase, a password): the fronts ask,
    /// then test again.
    #[serde(skip)]
    pub ssh_ask: Option<crate::core::ssh::SshAsk>,
}

impl TestReport {
    fn new(p: &Profile) -> Self {
        TestReport {
            profile: p.name.clone(),
            engine: p.engine,
            target: p.target(),
            ok: false,
            class: None,
            message: String::new(),
            hint: String::new(),
            server_product: None,
            server_version: None,
            current_user: None,
            current_database: None,
            tls: None,
            latency_ms: None,
            extensions: Vec::new(),
            role_can_write: None,
            role_privileges: None,
            steps: Vec::new(),
            total_ms: 0.0,
            direct: None,
            ssh_ask: None,
        }
    }

    /// A report for a test that could not start (no password, say).
    pub fn failed_before(p: &Profile, e: ConnectError) -> Self {
        let mut r = TestReport::new(p);
        r.fail(e);
        r
    }

    fn fail(&mut self, e: ConnectError) {
        self.ok = false;
        self.class = Some(e.class);
        self.message = e.message;
        self.hint = e.hint;
    }

    /// Adds why no password was sent to an authentication failure's hint.
    pub fn with_auth_note(mut self, note: Option<String>) -> Self {
        if let Some(n) = note
            && self.class == Some(FailureClass::Auth)
        {
            self.hint = format!("{n}; {}", self.hint);
        }
        self
    }

    pub fn exit_code(&self) -> i32 {
        match self.class {
            None if self.ok => 0,
            None => 1,
            Some(c) => c.exit_code(),
        }
    }
}

struct Steps<'a, F: FnMut(&StepReport)> {
    report: &'a mut TestReport,
    on_step: F,
}

impl<F: FnMut(&StepReport)> Steps<'_, F> {
    fn record(&mut self, name: &'static str, start: Instant, ok: bool, detail: String) {
        let s = StepReport { name, ok, elapsed_ms: ms(start.elapsed()), detail };
        (self.on_step)(&s);
        self.report.steps.push(s);
    }

    /// Records the step's outcome; on failure also records the diagnosis and returns `None`.
    fn check<T>(
        &mut self,
        name: &'static str,
        start: Instant,
        r: Result<T, ConnectError>,
        ok_detail: impl FnOnce(&T) -> String,
    ) -> Option<T> {
        match r {
            Ok(v) => {
                let d = ok_detail(&v);
                self.record(name, start, true, d);
                Some(v)
            }
            Err(e) => {
                self.record(name, start, false, e.message.clone());
                self.report.fail(e);
                None
            }
        }
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 100.0).round() / 100.0
}

/// Runs the connection test. `on_step` sees each step as it finishes (the TUI shows them live).
/// Tests the profile step by step; a profile with a direct URL beside its pooled one has both tested, the direct
/// one's steps marked `direct ·`, and fails when either does.
pub async fn test_connection(
    p: &Profile,
    password: Option<&SecretString>,
    mut on_step: impl FnMut(&StepReport),
) -> TestReport {
    let mut report = test_one(p, password, &mut on_step).await;
    if let Some(d) = &p.direct {
        let pw = p.session_password(password);
        let direct = test_one(d, pw.as_ref(), &mut |s: &StepReport| {
            let mut s = s.clone();
            s.detail = format!("direct · {}", s.detail);
            on_step(&s);
        })
        .await;
        if report.ok && !direct.ok {
            report.ok = false;
            report.class = direct.class;
            report.message = format!("direct connection ({}): {}", d.target(), direct.message);
            report.hint = direct.hint.clone();
        } else if report.ok {
            report.message = format!("pooled: {} · direct ({}): {}", report.message, d.target(), direct.message);
        }
        report.total_ms += direct.total_ms;
        report.direct = Some(Box::new(direct));
    }
    report
}

async fn test_one(p: &Profile, password: Option<&SecretString>, on_step: impl FnMut(&StepReport)) -> TestReport {
    let started = Instant::now();
    let mut report = TestReport::new(p);
    {
        let mut steps = Steps { report: &mut report, on_step };
        match p.engine {
            Engine::Sqlite => test_sqlite(p, &mut steps).await,
            Engine::Duckdb => test_duckdb(p, &mut steps).await,
            _ => test_network(p, password, &mut steps).await,
        }
    }
    if report.class.is_none() {
        report.ok = true;
        report.message = format!(
            "connected to {} {} ({})",
            report.server_product.as_deref().unwrap_or("?"),
            report.server_version.as_deref().unwrap_or("?"),
            report.current_user.as_deref().or(report.current_database.as_deref()).unwrap_or("?")
        );
    }
    report.total_ms = ms(started.elapsed());
    tracing::info!(profile = %p.name, ok = report.ok, class = ?report.class, total_ms = report.total_ms, "connection test");
    report
}

async fn test_network<F: FnMut(&StepReport)>(p: &Profile, password: Option<&SecretString>, steps: &mut Steps<'_, F>) {
    let timeout = Duration::from_secs(p.pool.connect_timeout_secs);
    let mode = p.tls.effective_mode();
    let mut via = None;
    if !p.ssh.is_empty() {
        // Each hop's stages are steps of their own; then the database's, through the tunnel.
        let tunnel = {
            let mut seen: Vec<StepReport> = Vec::new();
            let r = crate::core::ssh::tunnel::ensure(
                p,
                &mut |s: crate::core::ssh::connect::HopStep| {
                    seen.push(StepReport { name: s.name, ok: s.ok, elapsed_ms: s.elapsed_ms, detail: s.detail });
                },
                true,
            )
            .await;
            for s in seen {
                (steps.on_step)(&s);
                steps.report.steps.push(s);
            }
            match r {
                Ok(t) => t,
                Err(e) => {
                    steps.report.ssh_ask = e.ask();
                    steps.report.fail(e.into_connect_error());
                    return;
                }
            }
        };
        via = Some(tunnel);
    }
    if let Some(tunnel) = &via {
        let t = Instant::now();
        let stream = tokio::net::UnixStream::connect(tunnel.socket_path()).await.map_err(|e| {
            ConnectError::new(
                FailureClass::Other,
                format!("the tunnel's local socket {} refused: {e}", tunnel.socket_path().display()),
                "a bug: please report it",
            )
        });
        let Some(mut stream) = steps.check("tcp", t, stream, |_| {
            format!("forwarded to {} through the tunnel", crate::core::ssh::hostport(&p.host, p.port))
        }) else {
            return;
        };
        let t = Instant::now();
        let greeting = greet(p, mode, timeout, &mut stream).await;
        drop(stream);
        let greeting = match greeting {
            Err(e) => Err(crate::core::ssh::tunnel::last_forward_error(p).unwrap_or(e)),
            Ok(g) if mode.requires_tls() && !g.tls_offered => Err(classify::tls_error(
                p,
                &format!("the server at {} does not support TLS, but tls mode is {}", p.target(), mode.as_str()),
            )),
            other => other,
        };
        let Some(greeting) = steps.check("tls", t, greeting, |g| tls_said(p, mode, g)) else { return };
        steps.report.server_version = greeting.server_version.clone();
    } else if !p.host.starts_with('/') {
        let t = Instant::now();
        let Some(addrs) = steps.check("resolve", t, probe::resolve(&p.host, p.port, timeout).await, |a| {
            a.iter().map(|a| a.ip().to_string()).collect::<Vec<_>>().join(", ")
        }) else {
            return;
        };
        let t = Instant::now();
        let Some((mut stream, addr)) =
            steps.check("tcp", t, probe::tcp_connect(&addrs, timeout, p).await, |(_, a)| format!("connected to {a}"))
        else {
            return;
        };
        let t = Instant::now();
        let greeting = greet(p, mode, timeout, &mut stream).await;
        drop(stream);
        let greeting = match greeting {
            Ok(g) if mode.requires_tls() && !g.tls_offered => Err(classify::tls_error(
                p,
                &format!("the server at {addr} does not support TLS, but tls mode is {}", mode.as_str()),
            )),
            other => other,
        };
        let Some(greeting) = steps.check("tls", t, greeting, |g| tls_said(p, mode, g)) else { return };
        steps.report.server_version = greeting.server_version.clone();
    }
    let t = Instant::now();
    match p.engine {
        Engine::Postgres => {
            let opts = super::pg_options(p, password, via.as_deref());
            let conn = match tokio::time::timeout(timeout, sqlx::PgConnection::connect_with(&opts)).await {
                Err(_) => Err(classify::timed_out(p, timeout)),
                Ok(r) => r.map_err(|e| classify::classify_sqlx(p, &e)),
            };
            let Some(mut conn) = steps.check("auth", t, conn, |_| "authenticated".to_string()) else { return };
            let t = Instant::now();
            let facts = pg_facts(&mut conn).await.map_err(|e| classify::classify_sqlx(p, &e));
            let Some(facts) = steps.check("query", t, facts, |_| "SELECT version() answered".into()) else { return };
            let r = &mut *steps.report;
            r.server_product = Some("PostgreSQL".into());
            r.server_version = Some(facts.0);
            r.current_user = Some(facts.1);
            r.current_database = Some(facts.2);
            r.tls = Some(facts.3);
            r.extensions = facts.4;
            if let Ok((can, why)) = pg_role_writes(&mut conn).await {
                r.role_can_write = Some(can);
                r.role_privileges = Some(why);
            }
            r.latency_ms = latency!(conn);
            let _ = conn.close().await;
        }
        _ => {
            let opts = super::mysql_options(p, password, via.as_deref());
            let conn = match tokio::time::timeout(timeout, sqlx::MySqlConnection::connect_with(&opts)).await {
                Err(_) => Err(classify::timed_out(p, timeout)),
                Ok(r) => r.map_err(|e| classify::classify_sqlx(p, &e)),
            };
            let Some(mut conn) = steps.check("auth", t, conn, |_| "authenticated".to_string()) else { return };
            let t = Instant::now();
            let facts = mysql_facts(&mut conn).await.map_err(|e| classify::classify_sqlx(p, &e));
            let Some(facts) = steps.check("query", t, facts, |_| "SELECT VERSION() answered".into()) else { return };
            let r = &mut *steps.report;
            r.server_product =
                Some(if facts.0.to_lowercase().contains("mariadb") { "MariaDB" } else { "MySQL" }.into());
            r.server_version = Some(facts.0);
            r.current_user = Some(facts.1);
            r.current_database = facts.2;
            r.tls = Some(facts.3);
            if let Ok((can, why)) = mysql_role_writes(&mut conn).await {
                r.role_can_write = Some(can);
                r.role_privileges = Some(why);
            }
            r.latency_ms = latency!(conn);
            let _ = conn.close().await;
        }
    }
}

/// What the server says before authentication (PostgreSQL's answer to SSLRequest, unless TLS is off; MySQL's
/// greeting), on a stream opened directly or through a tunnel.
async fn greet<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    p: &Profile,
    mode: crate::core::profile::TlsMode,
    timeout: Duration,
    stream: &mut S,
) -> Result<probe::Greeting, ConnectError> {
    match p.engine {
        Engine::Postgres if mode == crate::core::profile::TlsMode::Disable => Ok(probe::Greeting::default()),
        Engine::Postgres => probe::pg_probe(stream, timeout, p).await,
        _ => probe::mysql_probe(stream, timeout, p).await,
    }
}

fn tls_said(p: &Profile, mode: crate::core::profile::TlsMode, g: &probe::Greeting) -> String {
    if p.engine == Engine::Postgres && mode == crate::core::profile::TlsMode::Disable {
        "not requested (tls mode disable)".to_string()
    } else if g.tls_offered {
        format!("server offers TLS; mode {}", mode.as_str())
    } else {
        format!("server does not offer TLS; mode {} continues without", mode.as_str())
    }
}

/// What the PostgreSQL role may write: superuser, CREATE on the database or a schema, or INSERT, UPDATE,
/// DELETE or TRUNCATE on a table or view.
async fn pg_role_writes(conn: &mut sqlx::PgConnection) -> Result<(bool, String), sqlx::Error> {
    let (superuser, create_db, schemas, tables): (bool, bool, i64, i64) = sqlx::query_as(
        "SELECT r.rolsuper, has_database_privilege(current_database(), 'CREATE'), \
           (SELECT count(*) FROM pg_namespace n WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
              AND n.nspname NOT LIKE 'pg\\_%' AND has_schema_privilege(n.oid, 'CREATE')), \
           (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
              WHERE c.relkind IN ('r', 'p', 'v', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
              AND n.nspname NOT LIKE 'pg\\_%' AND (has_table_privilege(c.oid, 'INSERT') \
              OR has_table_privilege(c.oid, 'UPDATE') OR has_table_privilege(c.oid, 'DELETE') \
              OR has_table_privilege(c.oid, 'TRUNCATE'))) \
         FROM pg_roles r WHERE r.rolname = current_user",
    )
    .persistent(false)
    .fetch_one(&mut *conn)
    .await?;
    if superuser {
        return Ok((true, "superuser".into()));
    }
    let mut what = Vec::new();
    if create_db {
        what.push("CREATE on the database".to_string());
    }
    if schemas > 0 {
        what.push(format!("CREATE in {schemas} schema(s)"));
    }
    if tables > 0 {
        what.push(format!("INSERT/UPDATE/DELETE/TRUNCATE on {tables} table(s)"));
    }
    Ok(if what.is_empty() { (false, "no write privilege".into()) } else { (true, what.join(", ")) })
}

/// What the MySQL account may write, from SHOW GRANTS: any privilege beyond reading.
async fn mysql_role_writes(conn: &mut sqlx::MySqlConnection) -> Result<(bool, String), sqlx::Error> {
    const READING: &[&str] =
        &["USAGE", "SELECT", "SHOW VIEW", "SHOW DATABASES", "PROCESS", "REPLICATION CLIENT", "EXECUTE", "LOCK TABLES"];
    let grants: Vec<String> = sqlx::query_scalar("SHOW GRANTS").persistent(false).fetch_all(&mut *conn).await?;
    let mut writes = Vec::new();
    for g in &grants {
        let Some(list) = g.strip_prefix("GRANT ").and_then(|r| r.split_once(" ON ")).map(|(l, _)| l) else { continue };
        for p in list.split(',').map(|p| p.trim().to_ascii_uppercase()) {
            let p = p.split('(').next().unwrap_or("").trim().to_string();
            if !READING.contains(&p.as_str()) && !writes.contains(&p) {
                writes.push(p);
            }
        }
    }
    Ok(if writes.is_empty() { (false, "no write privilege".into()) } else { (true, writes.join(", ")) })
}

type PgFacts = (String, String, String, bool, Vec<Extension>);

async fn pg_facts(conn: &mut sqlx::PgConnection) -> Result<PgFacts, sqlx::Error> {
    let row = sqlx::query(
        "SELECT current_setting('server_version'), current_user::text, current_database()::text, \
         COALESCE((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)",
    )
    .persistent(false)
    .fetch_one(&mut *conn)
    .await?;
    let ext = sqlx::query("SELECT extname::text, extversion FROM pg_extension ORDER BY 1")
        .persistent(false)
        .fetch_all(&mut *conn)
        .await?;
    let extensions = ext
        .iter()
        .map(|r| Ok(Extension { name: r.try_get(0)?, version: r.try_get(1)? }))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?, extensions))
}

async fn mysql_facts(conn: &mut sqlx::MySqlConnection) -> Result<(String, String, Option<String>, bool), sqlx::Error> {
    let row = sqlx::query("SELECT CAST(VERSION() AS CHAR), CAST(CURRENT_USER() AS CHAR), CAST(DATABASE() AS CHAR)")
        .persistent(false)
        .fetch_one(&mut *conn)
        .await?;
    let ssl =
        sqlx::query("SHOW SESSION STATUS LIKE 'Ssl_version'").persistent(false).fetch_optional(&mut *conn).await?;
    let tls = match ssl {
        Some(r) => !r.try_get::<String, _>(1).unwrap_or_default().is_empty(),
        None => false,
    };
    Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, tls))
}

async fn test_sqlite<F: FnMut(&StepReport)>(p: &Profile, steps: &mut Steps<'_, F>) {
    let path = p.path.clone().unwrap_or_default();
    let shown = path.display().to_string();
    let t = Instant::now();
    let file = check_sqlite_file(p, &path);
    let Some(_) = steps.check("file", t, file, |size| format!("{shown} ({size} bytes)")) else { return };
    let t = Instant::now();
    let opts = super::sqlite_options(p);
    let conn = sqlx::SqliteConnection::connect_with(&opts).await.map_err(|e| classify::classify_sqlx(p, &e));
    let Some(mut conn) = steps
        .check("open", t, conn, |_| if p.read_only { "opened read-only".into() } else { "opened read-write".into() })
    else {
        return;
    };
    let t = Instant::now();
    let facts = sqlite_facts(&mut conn, p.read_only).await.map_err(|e| classify::classify_sqlx(p, &e));
    let Some((version, tables)) = steps.check("query", t, facts, |(_, n)| format!("{n} schema objects")) else {
        return;
    };
    let r = &mut *steps.report;
    r.server_product = Some("SQLite".into());
    r.server_version = Some(version);
    r.current_database = Some(shown);
    let _ = tables;
    r.latency_ms = latency!(conn);
    let _ = conn.close().await;
}

/// A DuckDB file: the file, the shell (found, its version), then the file opened read-only and a query.
async fn test_duckdb<F: FnMut(&StepReport)>(p: &Profile, steps: &mut Steps<'_, F>) {
    let path = p.path.clone().unwrap_or_default();
    let shown = path.display().to_string();
    let t = Instant::now();
    let file = match std::fs::metadata(&path) {
        Ok(m) if m.is_file() => Ok(m.len()),
        Ok(_) => Err(ConnectError::new(
            FailureClass::NotADatabase,
            format!("{shown} is a directory or a special file, not a DuckDB database"),
            "check the path in the profile",
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ConnectError::new(
            FailureClass::FileMissing,
            format!("DuckDB database file {shown} does not exist"),
            "check the path in the profile; dbconsole opens DuckDB files read-only and never creates one",
        )),
        Err(e) => Err(ConnectError::new(
            FailureClass::Permission,
            format!("cannot read {shown}: {e}"),
            "check the permissions of the file and of its directories",
        )),
    };
    let Some(_) = steps.check("file", t, file, |size| format!("{shown} ({size} bytes)")) else { return };
    let t = Instant::now();
    let cli = super::duckdb::locate(p);
    let Some(cli) = steps.check("duckdb_cli", t, cli, |c| c.display().to_string()) else { return };
    let t = Instant::now();
    let duck = super::duckdb::Duck::open(p).await;
    let Some(duck) = steps.check("open", t, duck, |d| format!("opened read-only with DuckDB {}", d.version)) else {
        return;
    };
    let t = Instant::now();
    let count = duck
        .first("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND NOT internal")
        .await
        .map_err(|e| ConnectError::new(FailureClass::Other, e.to_string(), "see the log file for details"));
    let shell = cli.display();
    if steps.check("query", t, count, |n| format!("{} table(s) · shell {shell}", n.as_deref().unwrap_or("0"))).is_none()
    {
        return;
    }
    let r = &mut *steps.report;
    r.server_product = Some("DuckDB".into());
    r.server_version = Some(duck.version.clone());
    r.current_database = Some(shown);
}

/// Checks the file before SQLite sees it: it exists, is a file, has SQLite's header, and is writable when the
/// profile wants to write. Returns its size.
fn check_sqlite_file(p: &Profile, path: &std::path::Path) -> Result<u64, ConnectError> {
    let shown = path.display().to_string();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(classify::file_missing(&shown)),
        Err(e) => {
            return Err(ConnectError::new(
                FailureClass::Permission,
                format!("cannot read {shown}: {e}"),
                "check the permissions of the file and of its directories",
            ));
        }
    };
    if !meta.is_file() {
        return Err(classify::not_a_database(&shown, "it is a directory or a special file"));
    }
    if meta.len() > 0 {
        let mut header = [0u8; 16];
        use std::io::Read;
        let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut header)).map_err(|e| {
            ConnectError::new(
                FailureClass::Permission,
                format!("cannot read {shown}: {e}"),
                "check the file's permissions",
            )
        })?;
        if n < 16 || &header != b"SQLite format 3\0" {
            return Err(classify::not_a_database(&shown, "the file does not start with the SQLite 3 header"));
        }
    }
    if !p.read_only && meta.permissions().readonly() {
        return Err(ConnectError::new(
            FailureClass::Readonly,
            format!(
                "{shown} is read-only (mode {:04o}) but the profile opens it for writing",
                crate::core::fsutil::mode(path).unwrap_or(0)
            ),
            "make the file writable, or set read_only = true on the profile",
        ));
    }
    Ok(meta.len())
}

async fn sqlite_facts(conn: &mut sqlx::SqliteConnection, read_only: bool) -> Result<(String, i64), sqlx::Error> {
    let row = sqlx::query("SELECT sqlite_version(), (SELECT count(*) FROM sqlite_schema)")
        .persistent(false)
        .fetch_one(&mut *conn)
        .await?;
    if !read_only {
        // Take (and give back) the write lock: a database another process holds locked, or a file that cannot be
        // written, shows here rather than at the user's first write.
        sqlx::query("BEGIN IMMEDIATE").persistent(false).execute(&mut *conn).await?;
        sqlx::query("ROLLBACK").persistent(false).execute(&mut *conn).await?;
    }
    Ok((row.try_get(0)?, row.try_get(1)?))
}
