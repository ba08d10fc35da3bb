//! PostgreSQL → PostgreSQL through PostgreSQL's own logical replication: a publication and a replication slot on
//! the source, a subscription on the target; the servers copy the rows and apply every change themselves, so there
//! is no trigger, no change log and no runner. Its status comes from `pg_stat_subscription`,
//! `pg_subscription_rel`, `pg_replication_slots` and `pg_stat_replication`.
//!
//! The slot is made before the subscription (`create_slot = false`): a subscription that makes its own slot in
//! the same cluster waits for itself. For the same reason removal detaches the slot from the subscription before
//! dropping it, then drops the slot on the source.
use super::{Link, Side, SyncError};
use crate::core::catalog::quote::{ident, literal, qualified};
use crate::core::engine::DbPool;
use crate::core::profile::TlsMode;
use crate::core::transfer;

/// The name of the publication, slot and subscription of a link: lowercase letters, digits and `_` (a slot's
/// rule), at most 63 characters, with a hash of the whole name so two links never share one.
pub fn object_name(link: &str) -> String {
    use sha2::Digest;
    let h = sha2::Sha256::digest(link.as_bytes());
    let clean: String =
        link.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).take(40).collect();
    format!("dbconsole_{clean}_{:02x}{:02x}{:02x}", h[0], h[1], h[2])
}

/// Whether a pair of sides can use native replication, and why not.
pub async fn usable(a: &Side, b: &Side) -> Result<(), String> {
    let (DbPool::Postgres(pa), DbPool::Postgres(pb)) = (&a.pool, &b.pool) else {
        return Err("both sides must be PostgreSQL".into());
    };
    let wal: String = sqlx::query_scalar("SHOW wal_level").fetch_one(pa).await.map_err(|e| e.to_string())?;
    if wal != "logical" {
        return Err(format!(
            "{} has wal_level = {wal} (logical replication needs `logical`: ALTER SYSTEM SET wal_level = logical, then \
             restart it)",
            a.label
        ));
    }
    let version: i64 = sqlx::query_scalar("SELECT current_setting('server_version_num')::bigint")
        .fetch_one(pb)
        .await
        .map_err(|e| e.to_string())?;
    if version < 140000 {
        return Err(format!("{} is PostgreSQL {}: native sync needs 14 or later", b.label, version / 10000));
    }
    Ok(())
}

/// A libpq connection string for the target server to reach the source with (values quoted as libpq reads them).
fn conninfo(a: &Side) -> String {
    let p = &a.profile.session_profile();
    let q = |v: &str| format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"));
    let mut parts =
        vec![format!("host={}", q(&p.host)), format!("port={}", p.port), format!("dbname={}", q(&p.database_name()))];
    if let Some(u) = &p.user {
        parts.push(format!("user={}", q(u)));
    }
    if let Some(pw) = &a.password {
        use secrecy::ExposeSecret;
        parts.push(format!("password={}", q(pw.expose_secret())));
    }
    let mode = match p.tls.effective_mode() {
        TlsMode::Disable => "disable",
        TlsMode::Allow => "allow",
        TlsMode::Prefer => "prefer",
        TlsMode::Require => "require",
        TlsMode::VerifyCa => "verify-ca",
        TlsMode::VerifyFull => "verify-full",
    };
    parts.push(format!("sslmode={mode}"));
    parts.join(" ")
}

/// What native setup creates, for the user to read first.
/// What is made on each side: (what, SQL) pairs (the SQL is made at creation; empty here).
pub type Steps = Vec<(String, String)>;

pub fn describe(link: &str, tables: &[String]) -> (Steps, Steps) {
    let n = object_name(link);
    (
        vec![
            (format!("publication {n} for {}", tables.join(", ")), String::new()),
            (format!("logical replication slot {n} (keeps WAL until the target has it)"), String::new()),
        ],
        vec![(
            format!(
                "subscription {n}: PostgreSQL copies the rows and applies every change itself (its connection \
                 string, with the source's password, is kept in pg_subscription, which only superusers read)"
            ),
            String::new(),
        )],
    )
}

async fn exec(side: &Side, sql: &str) -> Result<(), SyncError> {
    transfer::exec(&side.pool, sql).await.map_err(|e| side.err(e))
}

/// Creates the tables on the target (from the plan), the publication and slot on the source, the subscription on
/// the target. Target tables must be new or empty: the subscription copies every row.
pub async fn create(link: &Link, a: &Side, b: &Side) -> Result<(), SyncError> {
    let plan = &link.plan_fwd;
    let n = object_name(&link.name);
    for t in &plan.tables {
        match transfer::target_table(plan, &b.pool, &t.target).await.map_err(|e| b.err(e))? {
            None => {
                exec(b, &transfer::ddl::create_table(plan, t)).await?;
                for (_, sql) in transfer::ddl::after_load(plan, t) {
                    exec(b, &sql).await?;
                }
            }
            Some(0) => {}
            Some(rows) => {
                return Err(SyncError::Refused(format!(
                    "{} has {rows} rows on {}: the subscription copies every row, so the table must be new or empty \
                     (empty it, or use --triggers, which adopts a table equal to the source)",
                    t.target, b.label
                )));
            }
        }
    }
    for t in &plan.tables {
        for (_, sql) in transfer::ddl::foreign_keys(plan, t) {
            exec(b, &sql).await?;
        }
    }
    let tables: Vec<String> = plan.tables.iter().map(|t| qualified(a.engine(), &t.source_schema, &t.source)).collect();
    exec(a, &format!("CREATE PUBLICATION {} FOR TABLE {}", ident(a.engine(), &n), tables.join(", "))).await?;
    let DbPool::Postgres(pa) = &a.pool else { return Err(a.err("not PostgreSQL")) };
    sqlx::query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')")
        .bind(&n)
        .execute(pa)
        .await
        .map_err(|e| a.err(crate::core::query::QueryError::from_sqlx(&e)))?;
    // The connection string holds the password: sent once, as a literal, never logged (sqlx's statement logging
    // is off on these pools).
    let sql = format!(
        "CREATE SUBSCRIPTION {} CONNECTION {} PUBLICATION {} WITH (create_slot = false, slot_name = {}, copy_data = true)",
        ident(b.engine(), &n),
        literal(b.engine(), &conninfo(a)),
        ident(b.engine(), &n),
        literal(b.engine(), &n)
    );
    // The statement holds the source's password: the server must not write it to its log (a failing statement is
    // logged by default, DDL with log_statement = ddl). Those settings are a superuser's, as CREATE SUBSCRIPTION
    // is before PostgreSQL 16.
    let DbPool::Postgres(pb) = &b.pool else { return Err(b.err("not PostgreSQL")) };
    let e = |e: sqlx::Error| {
        // The server's words may quote the statement: never the password.
        let m = crate::core::query::QueryError::from_sqlx(&e).to_string();
        b.err(format!("creating the subscription: {}", m.split(" CONNECTION ").next().unwrap_or("refused")))
    };
    let superuser: bool = sqlx::query_scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        .fetch_one(pb)
        .await
        .map_err(e)?;
    let mut tx = pb.begin().await.map_err(e)?;
    if superuser {
        sqlx::query("SET LOCAL log_statement = 'none'").execute(&mut *tx).await.map_err(e)?;
        sqlx::query("SET LOCAL log_min_error_statement = 'panic'").execute(&mut *tx).await.map_err(e)?;
    }
    sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false).execute(&mut *tx).await.map_err(e)?;
    tx.commit().await.map_err(e)
}

pub async fn set_enabled(link: &Link, b: &Side, enabled: bool) -> Result<(), SyncError> {
    let n = object_name(&link.name);
    exec(b, &format!("ALTER SUBSCRIPTION {} {}", ident(b.engine(), &n), if enabled { "ENABLE" } else { "DISABLE" }))
        .await
}

/// Removes the subscription (detached from its slot first), then the slot and the publication.
pub async fn remove(link: &Link, a: &Side, b: &Side) -> Result<Vec<String>, SyncError> {
    let n = object_name(&link.name);
    let mut done = Vec::new();
    let DbPool::Postgres(pb) = &b.pool else { return Err(b.err("not PostgreSQL")) };
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_subscription WHERE subname = $1)")
        .bind(&n)
        .fetch_one(pb)
        .await
        .map_err(|e| b.err(e))?;
    if exists {
        let sub = ident(b.engine(), &n);
        exec(b, &format!("ALTER SUBSCRIPTION {sub} DISABLE")).await?;
        exec(b, &format!("ALTER SUBSCRIPTION {sub} SET (slot_name = NONE)")).await?;
        exec(b, &format!("DROP SUBSCRIPTION {sub}")).await?;
        done.push(format!("{}: dropped subscription {n}", b.label));
    }
    let DbPool::Postgres(pa) = &a.pool else { return Err(a.err("not PostgreSQL")) };
    // The walsender may take a moment to let go of the slot after the subscription is disabled.
    for attempt in 0..50 {
        let r =
            sqlx::query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1")
                .bind(&n)
                .execute(pa)
                .await;
        match r {
            Ok(_) => break,
            Err(e) if attempt < 49 && e.to_string().contains("is active") => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await
            }
            Err(e) => return Err(a.err(format!("dropping replication slot {n}: {e}"))),
        }
    }
    done.push(format!("{}: dropped replication slot {n}", a.label));
    exec(a, &format!("DROP PUBLICATION IF EXISTS {}", ident(a.engine(), &n))).await?;
    done.push(format!("{}: dropped publication {n}", a.label));
    Ok(done)
}

/// What the servers say about a native link.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct NativeStatus {
    pub subscription: String,
    pub enabled: bool,
    /// Per table: i (initialising), d (copying), f/s (synchronising), r (ready).
    pub tables: Vec<(String, String)>,
    pub slot_active: Option<bool>,
    /// WAL the slot holds back on the source (bytes): what a forgotten slot costs in disk.
    pub slot_retained_bytes: Option<i64>,
    /// WAL the target has not confirmed yet (bytes).
    pub slot_lag_bytes: Option<i64>,
    /// pg_stat_replication's replay lag (ms), when the walsender reports one.
    pub replay_lag_ms: Option<f64>,
    /// Time since the subscription last heard from the source (ms).
    pub last_message_age_ms: Option<i64>,
}

impl NativeStatus {
    /// One line for the CLI and the pane.
    pub fn summary(&self) -> String {
        use crate::core::text::{human_bytes, human_ms};
        format!(
            "logical replication: subscription {} ({}), slot {}, WAL held {}, unconfirmed {}{}",
            self.subscription,
            if self.enabled { "enabled" } else { "disabled" },
            match self.slot_active {
                Some(true) => "active",
                Some(false) => "inactive",
                None => "missing",
            },
            human_bytes(self.slot_retained_bytes.unwrap_or(0)),
            human_bytes(self.slot_lag_bytes.unwrap_or(0)),
            self.replay_lag_ms.map(|l| format!(", replay lag {}", human_ms(l as i64))).unwrap_or_default()
        )
    }
}

pub async fn status(link: &Link, a: Option<&Side>, b: Option<&Side>) -> Result<NativeStatus, String> {
    let n = object_name(&link.name);
    let mut st = NativeStatus { subscription: n.clone(), ..Default::default() };
    if let Some(DbPool::Postgres(pb)) = b.map(|s| &s.pool) {
        st.enabled = sqlx::query_scalar("SELECT subenabled FROM pg_subscription WHERE subname = $1")
            .bind(&n)
            .fetch_optional(pb)
            .await
            .map_err(|e| e.to_string())?
            .unwrap_or(false);
        st.tables = sqlx::query_as(
            "SELECT c.relname::text, r.srsubstate::text FROM pg_subscription_rel r JOIN pg_class c ON c.oid = r.srrelid \
             JOIN pg_subscription s ON s.oid = r.srsubid WHERE s.subname = $1 ORDER BY 1",
        )
        .bind(&n)
        .fetch_all(pb)
        .await
        .map_err(|e| e.to_string())?;
        st.last_message_age_ms = sqlx::query_scalar(
            "SELECT (extract(epoch FROM now() - max(last_msg_receipt_time)) * 1000)::bigint FROM pg_stat_subscription \
             WHERE subname = $1",
        )
        .bind(&n)
        .fetch_one(pb)
        .await
        .map_err(|e| e.to_string())?;
    }
    if let Some(DbPool::Postgres(pa)) = a.map(|s| &s.pool) {
        let slot: Option<(bool, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT active, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint, \
             pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint FROM pg_replication_slots WHERE slot_name = $1",
        )
        .bind(&n)
        .fetch_optional(pa)
        .await
        .map_err(|e| e.to_string())?;
        if let Some((active, retained, lag)) = slot {
            st.slot_active = Some(active);
            st.slot_retained_bytes = retained;
            st.slot_lag_bytes = lag;
        }
        st.replay_lag_ms = sqlx::query_scalar(
            "SELECT (extract(epoch FROM replay_lag) * 1000)::float8 FROM pg_stat_replication WHERE application_name = $1",
        )
        .bind(&n)
        .fetch_optional(pa)
        .await
        .map_err(|e| e.to_string())?
        .flatten();
    }
    Ok(st)
}
