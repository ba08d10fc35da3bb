//! Engines: connection options built from profiles, pools, and the classified connection test.
pub mod classify;
pub mod diagnose;
pub mod duckdb;
pub mod open;
pub mod probe;

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions, MySqlSslMode};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use crate::core::profile::{Engine, Profile, TlsMode};
use crate::core::ssh;

pub use classify::{ConnectError, FailureClass};
pub use diagnose::{StepReport, TestReport, test_connection};

/// The options for a profile's PostgreSQL connections. `via` is the local socket of the profile's SSH tunnel: the
/// driver connects there, and still checks the server's certificate against the profile's host.
pub fn pg_options(p: &Profile, password: Option<&SecretString>, via: Option<&ssh::tunnel::Tunnel>) -> PgConnectOptions {
    let mut o = PgConnectOptions::new_without_pgpass().application_name("dbconsole");
    o = if p.host.starts_with('/') { o.socket(&p.host) } else { o.host(&p.host) };
    if let Some(t) = via {
        o = o.socket(t.socket_dir());
    }
    o = o.port(p.port);
    let user = p.user.clone().unwrap_or_else(crate::core::profile::password::default_user);
    o = o.username(&user);
    o = o.database(p.database.as_deref().unwrap_or(&user));
    // Always set, empty when there is none (what sqlx sends then anyway): the options start from the environment,
    // and PGPASSWORD must not go to a server the profile's password source does not say so for.
    o = o.password(password.map_or("", |pw| pw.expose_secret()));
    o = o.ssl_mode(match p.tls.effective_mode() {
        TlsMode::Disable => PgSslMode::Disable,
        TlsMode::Allow => PgSslMode::Allow,
        TlsMode::Prefer => PgSslMode::Prefer,
        TlsMode::Require => PgSslMode::Require,
        TlsMode::VerifyCa => PgSslMode::VerifyCa,
        TlsMode::VerifyFull => PgSslMode::VerifyFull,
    });
    if let Some(c) = &p.tls.root_cert {
        o = o.ssl_root_cert(c);
    }
    if let (Some(c), Some(k)) = (&p.tls.client_cert, &p.tls.client_key) {
        o = o.ssl_client_cert(c).ssl_client_key(k);
    }
    if p.read_only {
        // Enforced by the server, not only by the UI.
        o = o.options([("default_transaction_read_only", "on")]);
    }
    if !p.server_params.is_empty() {
        o = o.options(p.server_params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    }
    if p.pooler {
        // A transaction pooler hands each transaction to any server connection: named prepared statements from
        // an earlier one are not there (dbconsole's own queries use unnamed ones), and the server process a
        // statement runs in is not known (the query session knows it by this name).
        o = o.statement_cache_capacity(0).application_name(POOLED_APPLICATION_NAME);
    }
    // sqlx logs slow statements in full, literals and all (a password in ALTER ROLE, say): never.
    sqlx::ConnectOptions::disable_statement_logging(o)
}

/// The options for a profile's MySQL connections; `via` as for [`pg_options`].
pub fn mysql_options(
    p: &Profile,
    password: Option<&SecretString>,
    via: Option<&ssh::tunnel::Tunnel>,
) -> MySqlConnectOptions {
    let mut o = MySqlConnectOptions::new();
    o = if p.host.starts_with('/') { o.socket(&p.host) } else { o.host(&p.host) };
    if let Some(t) = via {
        o = o.socket(t.socket_path());
    }
    o = o.port(p.port);
    let user = p.user.clone().unwrap_or_else(crate::core::profile::password::default_user);
    o = o.username(&user);
    if let Some(db) = &p.database {
        o = o.database(db);
    }
    if let Some(pw) = password {
        o = o.password(pw.expose_secret());
    }
    o = o.ssl_mode(match p.tls.effective_mode() {
        TlsMode::Disable => MySqlSslMode::Disabled,
        TlsMode::Allow | TlsMode::Prefer => MySqlSslMode::Preferred,
        TlsMode::Require => MySqlSslMode::Required,
        TlsMode::VerifyCa => MySqlSslMode::VerifyCa,
        TlsMode::VerifyFull => MySqlSslMode::VerifyIdentity,
    });
    if let Some(c) = &p.tls.root_cert {
        o = o.ssl_ca(c);
    }
    if let (Some(c), Some(k)) = (&p.tls.client_cert, &p.tls.client_key) {
        o = o.ssl_client_cert(c).ssl_client_key(k);
    }
    sqlx::ConnectOptions::disable_statement_logging(o)
}

pub fn sqlite_options(p: &Profile) -> SqliteConnectOptions {
    let path = p.path.clone().unwrap_or_default();
    let o = SqliteConnectOptions::new()
        .filename(path)
        .read_only(p.read_only)
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(p.pool.connect_timeout_secs.min(5)));
    sqlx::ConnectOptions::disable_statement_logging(o)
}

/// What a write path (migrations, sync, a transfer target) answers for a DuckDB file, which dbconsole only reads.
/// Converts into the error type of whichever path met it.
#[derive(Debug, Clone, Copy)]
pub struct NotWritable;

impl NotWritable {
    pub const MESSAGE: &'static str =
        "a DuckDB file is a read-only source here: transfer from it to PostgreSQL, MySQL or SQLite instead";
}

impl From<NotWritable> for String {
    fn from(_: NotWritable) -> String {
        NotWritable::MESSAGE.to_string()
    }
}

impl From<NotWritable> for sqlx::Error {
    fn from(_: NotWritable) -> sqlx::Error {
        sqlx::Error::Configuration(NotWritable::MESSAGE.into())
    }
}

/// The application name of connections made through a transaction pooler.
pub const POOLED_APPLICATION_NAME: &str = "dbconsole (pooled)";

/// A pool to one database.
#[derive(Debug, Clone)]
pub enum DbPool {
    Postgres(sqlx::PgPool),
    Mysql(sqlx::MySqlPool),
    Sqlite(sqlx::SqlitePool),
    /// A DuckDB file, read through its shell (no pool: a process per statement).
    Duckdb(std::sync::Arc<duckdb::Duck>),
}

impl DbPool {
    pub fn engine(&self) -> Engine {
        match self {
            DbPool::Postgres(_) => Engine::Postgres,
            DbPool::Mysql(_) => Engine::Mysql,
            DbPool::Sqlite(_) => Engine::Sqlite,
            DbPool::Duckdb(_) => Engine::Duckdb,
        }
    }

    /// The pool a bulk read (a transfer's tables, a dump, verify) goes through: a DuckDB file read with one worker
    /// thread per stream; others as they are.
    pub fn for_bulk_read(&self) -> DbPool {
        match self {
            DbPool::Duckdb(d) => {
                DbPool::Duckdb(std::sync::Arc::new(duckdb::Duck { threads: Some(1), ..(**d).clone() }))
            }
            other => other.clone(),
        }
    }

    pub async fn close(&self) {
        match self {
            DbPool::Postgres(p) => p.close().await,
            DbPool::Mysql(p) => p.close().await,
            DbPool::Sqlite(p) => p.close().await,
            DbPool::Duckdb(_) => {}
        }
    }
}

/// The tunnel a profile's connections go through, built now (None without a route). A hop that needs an answer
/// (host key, passphrase, password) fails here classified: the fronts ask before, through
/// [`ssh::tunnel::ensure`].
pub async fn tunnel_for(p: &Profile) -> Result<Option<std::sync::Arc<ssh::tunnel::Tunnel>>, ConnectError> {
    if p.ssh.is_empty() {
        return Ok(None);
    }
    ssh::tunnel::ensure(p, &mut |_| {}, false).await.map(Some).map_err(ssh::SshError::into_connect_error)
}

/// Opens a pool with the profile's settings; the first connection is made now, so failures show at once.
/// A read-only profile is read-only on the server: PostgreSQL `default_transaction_read_only`, MySQL
/// `SET SESSION TRANSACTION READ ONLY`, SQLite opened read-only.
pub async fn connect_pool(p: &Profile, password: Option<&SecretString>) -> Result<DbPool, ConnectError> {
    if p.engine == Engine::Duckdb {
        let timeout = Duration::from_secs(p.pool.connect_timeout_secs.max(10));
        return match tokio::time::timeout(timeout, duckdb::Duck::open(p)).await {
            Ok(r) => r.map(|d| DbPool::Duckdb(std::sync::Arc::new(d))),
            Err(_) => Err(classify::timed_out(p, timeout)),
        };
    }
    let via = tunnel_for(p).await?;
    let via = via.as_deref();
    let s = &p.pool;
    let connect_timeout = Duration::from_secs(s.connect_timeout_secs);
    macro_rules! opts {
        ($o:expr) => {
            $o.max_connections(s.max_connections)
                .min_connections(s.min_connections)
                .acquire_timeout(Duration::from_secs(s.acquire_timeout_secs.max(s.connect_timeout_secs)))
                .idle_timeout(s.idle_timeout_secs.map(Duration::from_secs))
                .max_lifetime(s.max_lifetime_secs.map(Duration::from_secs))
        };
    }
    let fut = async {
        Ok::<_, sqlx::Error>(match p.engine {
            Engine::Postgres => {
                DbPool::Postgres(opts!(PgPoolOptions::new()).connect_with(pg_options(p, password, via)).await?)
            }
            Engine::Mysql => {
                let read_only = p.read_only;
                DbPool::Mysql(
                    opts!(MySqlPoolOptions::new())
                        .after_connect(move |conn, _meta| {
                            Box::pin(async move {
                                if read_only {
                                    sqlx::query("SET SESSION TRANSACTION READ ONLY").execute(conn).await?;
                                }
                                Ok(())
                            })
                        })
                        .connect_with(mysql_options(p, password, via))
                        .await?,
                )
            }
            Engine::Sqlite => DbPool::Sqlite(opts!(SqlitePoolOptions::new()).connect_with(sqlite_options(p)).await?),
            Engine::Duckdb => unreachable!("opened above"),
        })
    };
    match tokio::time::timeout(connect_timeout, fut).await {
        Ok(Ok(pool)) => Ok(pool),
        Ok(Err(e)) => {
            Err(via.and_then(|_| ssh::tunnel::last_forward_error(p)).unwrap_or_else(|| classify::classify_sqlx(p, &e)))
        }
        Err(_) => Err(classify::timed_out(p, connect_timeout)),
    }
}
