//! The sync's records in dbconsole's state store: links, their tables' state, conflicts (every one, with how it
//! was resolved), events and samples for the pane's sparklines.
use sqlx::Row;

use super::{Link, Policy};
use crate::core::store::{Store, StoreError};
use crate::core::transfer::Plan;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TableState {
    pub table: String,
    pub paused: bool,
    pub error: Option<String>,
    pub error_at: Option<String>,
    pub applied: i64,
    pub last_apply_at: Option<String>,
    pub failed_seq: Option<i64>,
    pub skip_seq: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Conflict {
    pub id: i64,
    pub link: String,
    pub table: String,
    pub key: String,
    pub source_row: Option<String>,
    pub target_row: Option<String>,
    pub base_row: Option<String>,
    pub source_at: Option<i64>,
    pub target_at: Option<i64>,
    pub policy: String,
    pub detected_at: String,
    pub resolved_at: Option<String>,
    pub taken: Option<String>,
}

/// What the runner last said about a link.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RunnerState {
    pub applied_fwd: i64,
    pub applied_back: i64,
    pub last_apply_at: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    pub next_retry_at: Option<String>,
    /// live, catching_up, offline, error (the runner's view; `sync status` checks the sides itself).
    pub runner: Option<String>,
}

pub async fn add_link(store: &Store, link: &Link) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sync_link (name, source, target, tables, two_way, policy, state, plan_fwd, plan_back, native) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&link.name)
    .bind(&link.source)
    .bind(&link.target)
    .bind(serde_json::to_string(&link.tables).unwrap_or_default())
    .bind(link.two_way)
    .bind(link.policy.as_str())
    .bind(&link.state)
    .bind(link.plan_fwd.to_toml().unwrap_or_default())
    .bind(link.plan_back.as_ref().and_then(|p| p.to_toml().ok()))
    .bind(link.native)
    .execute(store.pool())
    .await?;
    for t in &link.tables {
        sqlx::query("INSERT OR REPLACE INTO sync_table (link, tbl) VALUES (?, ?)")
            .bind(&link.name)
            .bind(t)
            .execute(store.pool())
            .await?;
    }
    Ok(())
}

pub async fn set_plans(store: &Store, name: &str, fwd: &Plan, back: Option<&Plan>) -> Result<(), StoreError> {
    sqlx::query("UPDATE sync_link SET plan_fwd = ?, plan_back = COALESCE(?, plan_back) WHERE name = ?")
        .bind(fwd.to_toml().unwrap_or_default())
        .bind(back.and_then(|p| p.to_toml().ok()))
        .bind(name)
        .execute(store.pool())
        .await?;
    Ok(())
}

pub async fn set_plan_back(store: &Store, name: &str, plan: &Plan) -> Result<(), StoreError> {
    sqlx::query("UPDATE sync_link SET plan_back = ? WHERE name = ?")
        .bind(plan.to_toml().unwrap_or_default())
        .bind(name)
        .execute(store.pool())
        .await?;
    Ok(())
}

fn link_of(r: &sqlx::sqlite::SqliteRow) -> Result<Link, StoreError> {
    let bad = |what: &str, e: String| {
        StoreError::Query(sqlx::Error::Protocol(format!("sync link {}: {what}: {e}", r.get::<String, _>("name"))))
    };
    let tables: String = r.get("tables");
    let plan_back: Option<String> = r.get("plan_back");
    Ok(Link {
        name: r.get("name"),
        source: r.get("source"),
        target: r.get("target"),
        tables: serde_json::from_str(&tables).map_err(|e| bad("tables", e.to_string()))?,
        two_way: r.get("two_way"),
        policy: Policy::parse(&r.get::<String, _>("policy")).unwrap_or(Policy::SourceWins),
        native: r.get("native"),
        state: r.get("state"),
        plan_fwd: Plan::from_toml(&r.get::<String, _>("plan_fwd")).map_err(|e| bad("plan", e))?,
        plan_back: match plan_back {
            Some(t) if !t.is_empty() => Some(Plan::from_toml(&t).map_err(|e| bad("plan back", e))?),
            _ => None,
        },
        created_at: r.get("created_at"),
    })
}

pub async fn links(store: &Store) -> Result<Vec<Link>, StoreError> {
    let rows = sqlx::query("SELECT * FROM sync_link ORDER BY name").fetch_all(store.pool()).await?;
    rows.iter().map(link_of).collect()
}

pub async fn link(store: &Store, name: &str) -> Result<Option<Link>, StoreError> {
    let row = sqlx::query("SELECT * FROM sync_link WHERE name = ?").bind(name).fetch_optional(store.pool()).await?;
    row.as_ref().map(link_of).transpose()
}

pub async fn set_state(store: &Store, name: &str, state: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE sync_link SET state = ? WHERE name = ?").bind(state).bind(name).execute(store.pool()).await?;
    Ok(())
}

pub async fn remove_link(store: &Store, name: &str) -> Result<(), StoreError> {
    for sql in [
        "DELETE FROM sync_link WHERE name = ?",
        "DELETE FROM sync_table WHERE link = ?",
        "DELETE FROM sync_sample WHERE link = ?",
    ] {
        sqlx::query(sql).bind(name).execute(store.pool()).await?;
    }
    event(store, name, "removed", "link removed").await
}

pub async fn runner_state(store: &Store, name: &str) -> Result<RunnerState, StoreError> {
    let r = sqlx::query(
        "SELECT applied_fwd, applied_back, last_apply_at, last_error, last_error_at, next_retry_at, runner \
         FROM sync_link WHERE name = ?",
    )
    .bind(name)
    .fetch_optional(store.pool())
    .await?;
    Ok(r.map(|r| RunnerState {
        applied_fwd: r.get(0),
        applied_back: r.get(1),
        last_apply_at: r.get(2),
        last_error: r.get(3),
        last_error_at: r.get(4),
        next_retry_at: r.get(5),
        runner: r.get(6),
    })
    .unwrap_or_default())
}

/// After a committed batch: counts, time, and the runner's view.
pub async fn record_apply(
    store: &Store,
    name: &str,
    fwd: i64,
    back: i64,
    per_table: &[(String, i64)],
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE sync_link SET applied_fwd = applied_fwd + ?, applied_back = applied_back + ?, \
         last_apply_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), next_retry_at = NULL WHERE name = ?",
    )
    .bind(fwd)
    .bind(back)
    .bind(name)
    .execute(store.pool())
    .await?;
    for (t, n) in per_table {
        sqlx::query(
            "UPDATE sync_table SET applied = applied + ?, last_apply_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
             WHERE link = ? AND tbl = ?",
        )
        .bind(n)
        .bind(name)
        .bind(t)
        .execute(store.pool())
        .await?;
    }
    Ok(())
}

pub async fn set_runner(store: &Store, name: &str, runner: Option<&str>) -> Result<(), StoreError> {
    sqlx::query("UPDATE sync_link SET runner = ? WHERE name = ?").bind(runner).bind(name).execute(store.pool()).await?;
    Ok(())
}

pub async fn record_error(
    store: &Store,
    name: &str,
    error: &str,
    next_retry_at: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE sync_link SET last_error = ?, last_error_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), next_retry_at = ? \
         WHERE name = ?",
    )
    .bind(error)
    .bind(next_retry_at)
    .bind(name)
    .execute(store.pool())
    .await?;
    Ok(())
}

pub async fn tables(store: &Store, name: &str) -> Result<Vec<TableState>, StoreError> {
    let rows = sqlx::query(
        "SELECT tbl, paused, error, error_at, applied, failed_seq, skip_seq, last_apply_at FROM sync_table WHERE link = ? \
         ORDER BY tbl",
    )
        .bind(name)
        .fetch_all(store.pool())
        .await?;
    Ok(rows
        .iter()
        .map(|r| TableState {
            table: r.get(0),
            paused: r.get(1),
            error: r.get(2),
            error_at: r.get(3),
            applied: r.get(4),
            failed_seq: r.get(5),
            skip_seq: r.get(6),
            last_apply_at: r.get(7),
        })
        .collect())
}

pub async fn pause_table(
    store: &Store,
    name: &str,
    table: &str,
    error: Option<&str>,
    failed_seq: Option<i64>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE sync_table SET paused = 1, error = ?, failed_seq = ?, error_at = CASE WHEN ? IS NULL THEN error_at ELSE \
         strftime('%Y-%m-%dT%H:%M:%fZ', 'now') END WHERE link = ? AND tbl = ?",
    )
    .bind(error)
    .bind(failed_seq)
    .bind(error)
    .bind(name)
    .bind(table)
    .execute(store.pool())
    .await?;
    event(store, name, "paused", &format!("{table}: {}", error.unwrap_or("paused"))).await
}

/// Clears the pause (and error) of the given tables, or of every table; with `skip_failed`, the change each
/// stopped at is left out when it catches up.
pub async fn resume_tables(
    store: &Store,
    name: &str,
    only: &[String],
    skip_failed: bool,
) -> Result<Vec<String>, StoreError> {
    let all = tables(store, name).await?;
    let mut done = Vec::new();
    for t in all.iter().filter(|t| t.paused && (only.is_empty() || only.contains(&t.table))) {
        sqlx::query(
            "UPDATE sync_table SET paused = 0, error = NULL, skip_seq = CASE WHEN ? THEN failed_seq ELSE NULL END, \
             failed_seq = NULL WHERE link = ? AND tbl = ?",
        )
        .bind(skip_failed)
        .bind(name)
        .bind(&t.table)
        .execute(store.pool())
        .await?;
        done.push(match (skip_failed, t.failed_seq) {
            (true, Some(seq)) => format!("{} (skipping change {})", t.table, seq.abs()),
            _ => t.table.clone(),
        });
    }
    if !done.is_empty() {
        event(store, name, "resumed", &done.join(", ")).await?;
    }
    Ok(done)
}

/// After the skipped change's batch committed.
pub async fn skipped(store: &Store, name: &str, table: &str, seq: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE sync_table SET skip_seq = NULL WHERE link = ? AND tbl = ? AND skip_seq = ?")
        .bind(name)
        .bind(table)
        .bind(seq)
        .execute(store.pool())
        .await?;
    event(store, name, "skipped", &format!("{table}: change {} was skipped at the user's request", seq.abs())).await
}

pub async fn event(store: &Store, name: &str, kind: &str, detail: &str) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO sync_event (link, kind, detail) VALUES (?, ?, ?)")
        .bind(name)
        .bind(kind)
        .bind(detail)
        .execute(store.pool())
        .await?;
    Ok(())
}

pub async fn events(store: &Store, name: &str, limit: i64) -> Result<Vec<(String, String, String)>, StoreError> {
    let rows = sqlx::query("SELECT at, kind, detail FROM sync_event WHERE link = ? ORDER BY id DESC LIMIT ?")
        .bind(name)
        .bind(limit)
        .fetch_all(store.pool())
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
}

#[derive(Debug, Clone)]
pub struct NewConflict {
    pub table: String,
    pub key: String,
    pub source_row: Option<String>,
    pub target_row: Option<String>,
    pub base_row: Option<String>,
    pub source_at: Option<i64>,
    pub target_at: Option<i64>,
    pub policy: Policy,
    /// "source" or "target" when the policy settled it; None: parked (manual).
    pub taken: Option<&'static str>,
}

/// Records a conflict. A parked one on a key that already has a conflict waiting updates that one (the newest
/// versions of each side, the first base).
pub async fn record_conflict(store: &Store, link: &str, c: NewConflict) -> Result<i64, StoreError> {
    if c.taken.is_none() {
        let open: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM sync_conflict WHERE link = ? AND resolved_at IS NULL AND tbl = ? AND key = ?",
        )
        .bind(link)
        .bind(&c.table)
        .bind(&c.key)
        .fetch_optional(store.pool())
        .await?;
        if let Some(id) = open {
            sqlx::query(
                "UPDATE sync_conflict SET source_row = COALESCE(?, source_row), source_at = COALESCE(?, source_at), \
                 target_row = COALESCE(?, target_row), target_at = COALESCE(?, target_at) WHERE id = ?",
            )
            .bind(&c.source_row)
            .bind(c.source_at)
            .bind(&c.target_row)
            .bind(c.target_at)
            .bind(id)
            .execute(store.pool())
            .await?;
            return Ok(id);
        }
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO sync_conflict (link, tbl, key, source_row, target_row, base_row, source_at, target_at, policy, \
         resolved_at, taken) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, CASE WHEN ? IS NULL THEN NULL ELSE \
         strftime('%Y-%m-%dT%H:%M:%fZ', 'now') END, ?) RETURNING id",
    )
    .bind(link)
    .bind(c.table)
    .bind(c.key)
    .bind(&c.source_row)
    .bind(&c.target_row)
    .bind(&c.base_row)
    .bind(c.source_at)
    .bind(c.target_at)
    .bind(c.policy.as_str())
    .bind(c.taken)
    .bind(c.taken)
    .fetch_one(store.pool())
    .await?;
    Ok(id)
}

fn conflict_of(r: &sqlx::sqlite::SqliteRow) -> Conflict {
    Conflict {
        id: r.get("id"),
        link: r.get("link"),
        table: r.get("tbl"),
        key: r.get("key"),
        source_row: r.get("source_row"),
        target_row: r.get("target_row"),
        base_row: r.get("base_row"),
        source_at: r.get("source_at"),
        target_at: r.get("target_at"),
        policy: r.get("policy"),
        detected_at: r.get("detected_at"),
        resolved_at: r.get("resolved_at"),
        taken: r.get("taken"),
    }
}

/// Conflicts of a link: waiting ones only, or all (newest first).
pub async fn conflicts(store: &Store, link: &str, waiting_only: bool) -> Result<Vec<Conflict>, StoreError> {
    let sql = if waiting_only {
        "SELECT * FROM sync_conflict WHERE link = ? AND resolved_at IS NULL ORDER BY id"
    } else {
        "SELECT * FROM sync_conflict WHERE link = ? ORDER BY id DESC"
    };
    let rows = sqlx::query(sql).bind(link).fetch_all(store.pool()).await?;
    Ok(rows.iter().map(conflict_of).collect())
}

pub async fn conflict(store: &Store, link: &str, id: i64) -> Result<Option<Conflict>, StoreError> {
    let r = sqlx::query("SELECT * FROM sync_conflict WHERE link = ? AND id = ?")
        .bind(link)
        .bind(id)
        .fetch_optional(store.pool())
        .await?;
    Ok(r.as_ref().map(conflict_of))
}

pub async fn resolve_conflict(store: &Store, link: &str, id: i64, taken: &str) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE sync_conflict SET resolved_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), taken = ? WHERE link = ? AND id = ?",
    )
    .bind(taken)
    .bind(link)
    .bind(id)
    .execute(store.pool())
    .await?;
    event(store, link, "resolved", &format!("conflict {id}: took the {taken}'s version")).await
}

/// A sample for the sparklines (kept an hour).
pub async fn sample(store: &Store, link: &str, at_ms: i64, applied: i64, lag_ms: i64) -> Result<(), StoreError> {
    sqlx::query("INSERT OR REPLACE INTO sync_sample (link, at_ms, applied, lag_ms) VALUES (?, ?, ?, ?)")
        .bind(link)
        .bind(at_ms)
        .bind(applied)
        .bind(lag_ms)
        .execute(store.pool())
        .await?;
    sqlx::query("DELETE FROM sync_sample WHERE link = ? AND at_ms < ?")
        .bind(link)
        .bind(at_ms - 3_600_000)
        .execute(store.pool())
        .await?;
    Ok(())
}

pub async fn samples(store: &Store, link: &str, since_ms: i64) -> Result<Vec<(i64, i64, i64)>, StoreError> {
    let rows =
        sqlx::query("SELECT at_ms, applied, lag_ms FROM sync_sample WHERE link = ? AND at_ms >= ? ORDER BY at_ms")
            .bind(link)
            .bind(since_ms)
            .fetch_all(store.pool())
            .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
}
