//! The migration lock: sqlx's, so dbconsole and sqlx-cli exclude each other. PostgreSQL advisory lock and MySQL
//! GET_LOCK (the waiter reports who holds it), SQLite's write lock (an IMMEDIATE transaction for the whole run).

use super::MigrateError;
use super::run::Event;
use super::state::Conn;
use crate::core::profile::Engine;

/// sqlx's lock id: 0x3d32ad9e × CRC-32(database name), so dbconsole and sqlx exclude each other.
pub fn lock_id(database: &str) -> i64 {
    const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
    0x3d32ad9e * (CRC.checksum(database.as_bytes()) as i64)
}

/// Takes the migration lock for the connection's database, reporting who holds it while waiting.
pub(super) async fn lock(conn: &mut Conn, on_event: &mut (dyn FnMut(Event) + Send)) -> Result<(), MigrateError> {
    match conn.engine() {
        Engine::Postgres | Engine::Duckdb => {
            let id = lock_id(&conn.scalar_text("SELECT current_database()").await?.unwrap_or_default());
            let got =
                conn.scalar_i64(&format!("SELECT CASE WHEN pg_try_advisory_lock({id}) THEN 1 ELSE 0 END")).await?;
            if got != Some(1) {
                // A bigint advisory key is stored as classid (high 32 bits) and objid (low 32 bits).
                let (hi, lo) = ((id >> 32) as u32, id as u32);
                let holder = conn
                    .scalar_text(&format!(
                        "SELECT format('pid %s, user %s, application %L, client %s, since %s', a.pid, a.usename, \
                           a.application_name, coalesce(host(a.client_addr), 'local'), \
                           date_trunc('second', a.backend_start)) \
                         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                         WHERE l.locktype = 'advisory' AND l.granted AND l.classid = {hi} AND l.objid = {lo} \
                           AND l.objsubid = 1 LIMIT 1"
                    ))
                    .await?
                    .unwrap_or_else(|| "another session (not visible to this role)".into());
                on_event(Event::LockWaiting { holder });
                conn.execute(&format!("SELECT pg_advisory_lock({id})")).await?;
            }
        }
        Engine::Mysql => {
            let db = conn.scalar_text("SELECT CAST(DATABASE() AS CHAR)").await?.unwrap_or_default();
            let name = format!("{:x}", lock_id(&db));
            let got = conn.scalar_i64(&format!("SELECT GET_LOCK('{name}', 0)")).await?;
            if got != Some(1) {
                let holder_id = conn.scalar_i64(&format!("SELECT IS_USED_LOCK('{name}')")).await?;
                let holder = match holder_id {
                    Some(id) => conn
                        .scalar_text(&format!(
                            "SELECT CONCAT('connection ', ID, ', user ', USER, ', from ', HOST, ', for ', TIME, ' s') \
                             FROM information_schema.PROCESSLIST WHERE ID = {id}"
                        ))
                        .await?
                        .unwrap_or_else(|| format!("connection {id}")),
                    None => "another connection".into(),
                };
                on_event(Event::LockWaiting { holder });
                conn.scalar_i64(&format!("SELECT GET_LOCK('{name}', 31536000)")).await?;
            }
        }
        Engine::Sqlite => {
            // The whole run is one IMMEDIATE transaction (each migration a savepoint in it): SQLite's write lock
            // is the migration lock. Its holder cannot be named; waiting is retried past the busy timeout.
            // Try at once (busy_timeout 0) so a wait is reported as it starts, then wait in steps.
            let original = conn.scalar_i64("PRAGMA busy_timeout").await?.unwrap_or(5000);
            conn.execute("PRAGMA busy_timeout = 0").await?;
            let mut told = false;
            let result = loop {
                match conn.execute("BEGIN IMMEDIATE").await {
                    Ok(()) => break Ok(()),
                    Err(e) if is_busy(&e) => {
                        if !told {
                            on_event(Event::LockWaiting {
                                holder: "another connection holds this database's write lock (a migration run or an \
                                         open write transaction; SQLite does not say which)"
                                    .into(),
                            });
                            told = true;
                            conn.execute("PRAGMA busy_timeout = 1000").await?;
                        }
                    }
                    Err(e) => break Err(e),
                }
            };
            conn.execute(&format!("PRAGMA busy_timeout = {original}")).await?;
            result?;
        }
    }
    on_event(Event::Locked);
    Ok(())
}

fn is_busy(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| {
        let m = d.message().to_lowercase();
        m.contains("database is locked") || m.contains("busy")
    })
}

pub(super) async fn unlock(conn: &mut Conn, committed: bool) -> Result<(), sqlx::Error> {
    match conn.engine() {
        Engine::Postgres | Engine::Duckdb => {
            let id = lock_id(&conn.scalar_text("SELECT current_database()").await?.unwrap_or_default());
            conn.execute(&format!("SELECT pg_advisory_unlock({id})")).await
        }
        Engine::Mysql => {
            let db = conn.scalar_text("SELECT CAST(DATABASE() AS CHAR)").await?.unwrap_or_default();
            conn.scalar_i64(&format!("SELECT RELEASE_LOCK('{:x}')", lock_id(&db))).await.map(|_| ())
        }
        Engine::Sqlite => conn.execute(if committed { "COMMIT" } else { "ROLLBACK" }).await,
    }
}
