//! A link's status, read from both sides (what waits in each change log after the link's position, its age,
//! the log's size, round-trip time) and from the state store (what the runner applied, errors, conflicts).
use std::collections::HashMap;
use std::time::Instant;

use super::log::{self, Position};
use super::{Link, Side, state};
use crate::core::store::Store;

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Pending {
    /// Source → target.
    pub fwd: i64,
    /// Target → source (two-way).
    pub back: i64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TableStatus {
    pub table: String,
    pub state: String,
    pub pending: Pending,
    pub lag_ms: i64,
    pub applied_total: i64,
    pub conflicts_waiting: i64,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    pub last_apply_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SideStatus {
    pub label: String,
    pub reachable: bool,
    pub error: Option<String>,
    pub round_trip_ms: Option<f64>,
    /// Rows in this side's change log (all links), and the age of the oldest.
    pub log_rows: Option<i64>,
    pub log_oldest_age_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LinkStatus {
    pub name: String,
    pub source: String,
    pub target: String,
    pub two_way: bool,
    pub policy: String,
    /// live, catching_up, offline, paused, error.
    pub state: String,
    pub pending: Pending,
    pub lag_ms: i64,
    pub applied_total: i64,
    pub conflicts_waiting: i64,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    pub last_apply_at: Option<String>,
    pub next_retry_at: Option<String>,
    /// What the runner says it is doing (none: no runner).
    pub runner: Option<String>,
    /// Changes applied per second over the last minute (from the runner's samples).
    pub throughput: f64,
    pub tables: Vec<TableStatus>,
    pub sides: Vec<SideStatus>,
    /// PostgreSQL → PostgreSQL through logical replication: what the servers say (slot, subscription, tables).
    pub native: Option<super::native::NativeStatus>,
}

/// A lag above this (with changes waiting) is "catching up" rather than "live".
pub const LIVE_LAG_MS: i64 = 5_000;

async fn side_status(side: Option<&Side>, label: &str, error: Option<&str>, schema: &str) -> SideStatus {
    let Some(side) = side else {
        return SideStatus {
            label: label.into(),
            reachable: false,
            error: error.map(str::to_string),
            round_trip_ms: None,
            log_rows: None,
            log_oldest_age_ms: None,
        };
    };
    let t = Instant::now();
    let ok = log::ping(&side.pool).await;
    let rtt = t.elapsed().as_secs_f64() * 1000.0;
    let size = log::log_size(&side.pool, schema).await.ok();
    let now_us = super::now_ms() * 1000;
    SideStatus {
        label: label.into(),
        reachable: ok.is_ok(),
        error: ok.err(),
        round_trip_ms: Some(rtt),
        log_rows: size.map(|s| s.0),
        log_oldest_age_ms: size.and_then(|s| s.1).map(|at| ((now_us - at) / 1000).max(0)),
    }
}

/// Pending changes per table in one direction: (count, oldest capture time).
async fn pending_dir(
    from: &Side,
    from_schema: &str,
    to: &Side,
    to_schema: &str,
    link: &Link,
    dir: &str,
) -> Result<HashMap<String, (i64, i64)>, String> {
    let positions = log::load_positions(&to.pool, to_schema, &link.name, dir).await?;
    let main = positions.iter().find(|(t, _)| t.is_empty()).map(|(_, p)| p.clone()).unwrap_or_default();
    let own: HashMap<&str, &Position> =
        positions.iter().filter(|(t, _)| !t.is_empty()).map(|(t, p)| (t.as_str(), p)).collect();
    let shared: Vec<String> = link.tables.iter().filter(|t| !own.contains_key(t.as_str())).cloned().collect();
    let mut out = HashMap::new();
    if !shared.is_empty() {
        for (t, n, at) in log::pending(&from.pool, from_schema, &main, &shared, Some(&link.name)).await? {
            out.insert(t, (n, at));
        }
    }
    for (t, p) in own {
        for (t, n, at) in log::pending(&from.pool, from_schema, p, &[t.to_string()], Some(&link.name)).await? {
            out.insert(t, (n, at));
        }
    }
    Ok(out)
}

/// The status of a link. `a`, `b`: the sides if they could be connected (else the connection error).
pub async fn link_status(
    link: &Link,
    a: Result<&Side, &str>,
    b: Result<&Side, &str>,
    store: &Store,
) -> Result<LinkStatus, super::SyncError> {
    if link.native {
        return native_status(link, a, b, store).await;
    }
    let runner = state::runner_state(store, &link.name).await?;
    let tables = state::tables(store, &link.name).await?;
    let waiting = state::conflicts(store, &link.name, true).await?;
    let (sa, sb) = (link.source_schema(), link.target_schema());
    let sides = vec![
        side_status(a.ok(), &link.source, a.err(), &sa).await,
        side_status(b.ok(), &link.target, b.err(), &sb).await,
    ];
    let mut fwd = HashMap::new();
    let mut back = HashMap::new();
    let mut read_error = None;
    if let (Ok(a), Ok(b)) = (a, b) {
        match pending_dir(a, &sa, b, &sb, link, "fwd").await {
            Ok(m) => fwd = m,
            Err(e) => read_error = Some(e),
        }
        if link.two_way {
            match pending_dir(b, &sb, a, &sa, link, "back").await {
                Ok(m) => back = m,
                Err(e) => read_error = Some(e),
            }
        }
    } else if let Ok(a) = a {
        // The target is away: what waits on the source is still known, from where the link last said it had
        // read to (its position itself is on the target).
        let low = log::reader_low(&a.pool, &sa, &link.name, "fwd").await.ok().flatten().unwrap_or(0);
        let from = Position { high: low - 1, gaps: Vec::new() };
        if let Ok(rows) = log::pending(&a.pool, &sa, &from, &link.tables, Some(&link.name)).await {
            fwd = rows.into_iter().map(|(t, n, at)| (t, (n, at))).collect();
        }
    }
    let now_us = super::now_ms() * 1000;
    let lag = |m: &HashMap<String, (i64, i64)>, t: Option<&str>| -> i64 {
        m.iter()
            .filter(|(k, _)| t.is_none_or(|t| t == k.as_str()))
            .map(|(_, (_, at))| ((now_us - at) / 1000).max(0))
            .max()
            .unwrap_or(0)
    };
    let reachable = sides.iter().all(|s| s.reachable);
    let mut table_status = Vec::new();
    for t in &link.tables {
        let st = tables.iter().find(|x| &x.table == t);
        let pending = Pending { fwd: fwd.get(t).map_or(0, |x| x.0), back: back.get(t).map_or(0, |x| x.0) };
        let lag_ms = lag(&fwd, Some(t)).max(lag(&back, Some(t)));
        let state = match st {
            Some(s) if s.paused && s.error.is_some() => "error",
            Some(s) if s.paused => "paused",
            _ if link.state == "paused" => "paused",
            _ if !reachable => "offline",
            _ if pending.fwd + pending.back > 0 && lag_ms > LIVE_LAG_MS => "catching_up",
            _ => "live",
        };
        table_status.push(TableStatus {
            table: t.clone(),
            state: state.into(),
            pending,
            lag_ms,
            applied_total: st.map_or(0, |s| s.applied),
            conflicts_waiting: waiting.iter().filter(|c| &c.table == t).count() as i64,
            last_error: st.and_then(|s| s.error.clone()),
            last_error_at: st.and_then(|s| s.error_at.clone()),
            last_apply_at: st.and_then(|s| s.last_apply_at.clone()),
        });
    }
    let pending = Pending { fwd: fwd.values().map(|x| x.0).sum(), back: back.values().map(|x| x.0).sum() };
    let lag_ms = lag(&fwd, None).max(lag(&back, None));
    let state = if link.state == "paused" {
        "paused"
    } else if link.state != "active" || table_status.iter().any(|t| t.state == "error") || read_error.is_some() {
        "error"
    } else if !reachable || runner.runner.as_deref() == Some("offline") {
        "offline"
    } else if pending.fwd + pending.back > 0
        && (lag_ms > LIVE_LAG_MS || runner.runner.as_deref() == Some("catching_up"))
    {
        "catching_up"
    } else {
        "live"
    };
    let samples = state::samples(store, &link.name, super::now_ms() - 60_000).await?;
    let span = samples.first().map(|s| (super::now_ms() - s.0).max(2_000)).unwrap_or(60_000);
    let throughput = samples.iter().map(|s| s.1).sum::<i64>() as f64 / (span as f64 / 1000.0);
    let last_error = read_error
        .or(runner.last_error.clone())
        .or_else(|| table_status.iter().find_map(|t| t.last_error.as_ref().map(|e| format!("{}: {e}", t.table))));
    Ok(LinkStatus {
        name: link.name.clone(),
        source: link.source.clone(),
        target: link.target.clone(),
        two_way: link.two_way,
        policy: link.policy.as_str().into(),
        state: state.into(),
        pending,
        lag_ms,
        applied_total: runner.applied_fwd + runner.applied_back,
        conflicts_waiting: waiting.len() as i64,
        last_error,
        last_error_at: runner.last_error_at.clone(),
        last_apply_at: runner.last_apply_at.clone(),
        next_retry_at: runner.next_retry_at.clone(),
        runner: runner.runner.clone(),
        throughput,
        tables: table_status,
        sides,
        native: None,
    })
}

/// A native link's status: from the subscription, its tables' states and the slot.
async fn native_status(
    link: &Link,
    a: Result<&Side, &str>,
    b: Result<&Side, &str>,
    store: &Store,
) -> Result<LinkStatus, super::SyncError> {
    let (sa, sb) = (link.source_schema(), link.target_schema());
    let sides = vec![
        side_status(a.ok(), &link.source, a.err(), &sa).await,
        side_status(b.ok(), &link.target, b.err(), &sb).await,
    ];
    let reachable = sides.iter().all(|s| s.reachable);
    let (st, error) = match super::native::status(link, a.ok(), b.ok()).await {
        Ok(st) => (st, None),
        Err(e) => (Default::default(), Some(e)),
    };
    let lag_ms = st.replay_lag_ms.map(|x| x as i64).unwrap_or(0).max(if st.slot_lag_bytes.unwrap_or(0) > 0 {
        st.last_message_age_ms.unwrap_or(0)
    } else {
        0
    });
    let copying = st.tables.iter().any(|(_, s)| s != "r" && s != "s");
    let state = if link.state == "paused" || (reachable && !st.enabled && error.is_none()) {
        "paused"
    } else if link.state != "active" || error.is_some() {
        "error"
    } else if !reachable || st.slot_active == Some(false) {
        "offline"
    } else if copying || lag_ms > LIVE_LAG_MS {
        "catching_up"
    } else {
        "live"
    };
    let tables = link
        .tables
        .iter()
        .map(|t| {
            let sub = st.tables.iter().find(|(n, _)| n == t).map(|(_, s)| s.as_str());
            TableStatus {
                table: t.clone(),
                state: match sub {
                    _ if state == "paused" || state == "offline" => state.to_string(),
                    Some("r") | Some("s") => "live".into(),
                    Some(_) => "catching_up".into(),
                    None if reachable => "error".into(),
                    None => "offline".into(),
                },
                pending: Pending::default(),
                lag_ms,
                applied_total: 0,
                conflicts_waiting: 0,
                last_error: (sub.is_none() && reachable).then(|| "not in the subscription".to_string()),
                last_error_at: None,
                last_apply_at: None,
            }
        })
        .collect();
    let runner = state::runner_state(store, &link.name).await?;
    Ok(LinkStatus {
        name: link.name.clone(),
        source: link.source.clone(),
        target: link.target.clone(),
        two_way: false,
        policy: link.policy.as_str().into(),
        state: state.into(),
        pending: Pending::default(),
        lag_ms,
        applied_total: 0,
        conflicts_waiting: 0,
        last_error: error.or(runner.last_error),
        last_error_at: runner.last_error_at,
        last_apply_at: None,
        next_retry_at: None,
        runner: Some("postgresql".into()),
        throughput: 0.0,
        tables,
        sides,
        native: Some(st),
    })
}
