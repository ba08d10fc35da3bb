//! Running a link: rounds of read → decide → apply, each direction's batch one transaction on the side it
//! writes with the position read up to; retries with backoff while a side is away; drift checks that pause the
//! drifted table only.
//!
//! A two-way round reads both logs first. A row changed on both sides since the last round is a conflict,
//! settled by the policy (`manual` parks it). The winner's change is applied; the loser's changes are skipped on
//! the way out and marked as this link's own in its log in the transaction that writes the winner there, so that
//! a runner killed between the two transactions never sends a losing change later. While one side has more
//! waiting than a round reads, the other side's changes wait: a conflict is always seen with both sides' changes
//! in view.
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use tokio::sync::watch;

use super::apply::{self, ApplyError, Statement};
use super::log::{self, Change, Position};
use super::state;
use super::{Link, Side, SyncError};
use crate::core::profile::Profile;
use crate::core::store::Store;
use crate::core::transfer::Plan;

/// The longest a round may take before the runner gives up on it and reconnects.
pub const ROUND_TIMEOUT: Duration = Duration::from_secs(120);

/// How a side is reached (it is connected again after it went away).
#[derive(Clone)]
pub struct SideConfig {
    pub label: String,
    pub profile: Profile,
    pub password: Option<SecretString>,
}

#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Catch up, then stop.
    pub once: bool,
    /// Changes read per direction and round.
    pub batch: usize,
    /// Wait between rounds that found nothing.
    pub idle_poll: Duration,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig { once: false, batch: 5000, idle_poll: Duration::from_millis(100) }
    }
}

/// What the runner says as it goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// A round committed: changes applied each way, conflicts met, and for each applied change the time from its
    /// capture to the commit (ms).
    Applied {
        fwd: usize,
        back: usize,
        conflicts: usize,
        latencies_ms: Vec<i64>,
    },
    Offline {
        error: String,
        retry_in: Duration,
    },
    Paused {
        table: String,
        reason: String,
    },
    Error {
        error: String,
    },
    /// Caught up (nothing waiting) — `--once` stops here.
    Idle,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Summary {
    pub fwd: u64,
    pub back: u64,
    pub conflicts: u64,
    pub rounds: u64,
}

/// One direction of a link.
struct Dir<'a> {
    name: &'static str,
    from: &'a Side,
    to: &'a Side,
    from_schema: String,
    to_schema: String,
    plan: &'a Plan,
}

/// A direction's reading in one round.
struct Reading {
    main: Position,
    next: Position,
    changes: Vec<Change>,
    /// Per-table catch-up streams (tables resumed after a pause): table, position, next position, changes,
    /// caught up.
    catchups: Vec<(String, Position, Position, Vec<Change>, bool)>,
    /// The lowest number a paused table's own position still needs (kept from pruning).
    held_low: Option<i64>,
    full: bool,
}

enum RoundError {
    Offline(String),
    Pause(String, String),
    Other(String),
    Store(crate::core::store::StoreError),
}

impl From<crate::core::store::StoreError> for RoundError {
    fn from(e: crate::core::store::StoreError) -> Self {
        RoundError::Store(e)
    }
}

async fn alive(side: &Side) -> bool {
    log::ping(&side.pool).await.is_ok()
}

/// An error reading or writing: offline when a side does not answer a ping, else the error itself.
async fn judge(a: &Side, b: &Side, msg: String) -> RoundError {
    for s in [a, b] {
        if !alive(s).await {
            return RoundError::Offline(format!("{} cannot be reached: {msg}", s.label));
        }
    }
    // Both answer now, but the error itself says the connection was lost (the side came back meanwhile).
    if looks_offline(&msg) {
        return RoundError::Offline(msg);
    }
    RoundError::Other(msg)
}

/// An error not yet judged: offline when its words say so.
fn other(msg: String) -> RoundError {
    if looks_offline(&msg) { RoundError::Offline(msg) } else { RoundError::Other(msg) }
}

/// Whether an error's words are those of a lost or refused connection rather than of a refused statement.
fn looks_offline(msg: &str) -> bool {
    let m = msg.to_ascii_lowercase();
    [
        "pool timed out",
        "connection refused",
        "error communicating with database",
        "connection reset",
        "broken pipe",
        "terminating connection",
        "shutting down",
        "server closed the connection",
        "server has gone away",
        "lost connection",
        "unexpected eof",
        "database system is starting up",
    ]
    .iter()
    .any(|w| m.contains(w))
}

pub struct Runner {
    pub link: Link,
    a_cfg: SideConfig,
    b_cfg: SideConfig,
    a: Option<Side>,
    b: Option<Side>,
    store: Store,
    cfg: RunConfig,
    last_drift: Option<Instant>,
    last_reload: Option<Instant>,
    last_prune: Instant,
    /// What the runner last recorded it was doing.
    said: Option<String>,
    /// When each direction's reader mark was last written (for pruning; at most once a second).
    last_reader: [Option<Instant>; 2],
    /// Reader marks not yet written (written at the next due round, and when the runner stops).
    unwritten: [Option<i64>; 2],
    last_sample: Instant,
    applied_since_sample: i64,
    lag_since_sample: i64,
}

impl Runner {
    pub fn new(link: Link, a: SideConfig, b: SideConfig, store: Store, cfg: RunConfig) -> Runner {
        Runner {
            link,
            a_cfg: a,
            b_cfg: b,
            a: None,
            b: None,
            store,
            cfg,
            last_drift: None,
            last_reload: None,
            said: None,
            last_reader: [None, None],
            unwritten: [None, None],
            last_prune: Instant::now(),
            last_sample: Instant::now(),
            applied_since_sample: 0,
            lag_since_sample: 0,
        }
    }

    async fn ensure_sides(&mut self) -> Result<(), String> {
        if self.a.is_none() {
            let c = &self.a_cfg;
            self.a = Some(super::connect(&c.label, &c.profile, c.password.as_ref()).await?);
        }
        if self.b.is_none() {
            let c = &self.b_cfg;
            self.b = Some(super::connect(&c.label, &c.profile, c.password.as_ref()).await?);
        }
        Ok(())
    }

    async fn drop_sides(&mut self) {
        for s in [self.a.take(), self.b.take()].into_iter().flatten() {
            s.pool.close().await;
        }
    }

    /// Runs until `stop` says so (or, with `once`, until nothing is waiting). Returns what was applied.
    pub async fn run(
        &mut self,
        mut stop: watch::Receiver<bool>,
        on: Arc<dyn Fn(Progress) + Send + Sync>,
    ) -> Result<Summary, SyncError> {
        let mut summary = Summary::default();
        let mut backoff = Duration::from_secs(1);
        let name = self.link.name.clone();
        self.say(Some("starting")).await?;
        loop {
            if *stop.borrow() {
                break;
            }
            // The link as stored (state; plans made again by `sync resume` after a schema change), once a second.
            if self.last_reload.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                self.last_reload = Some(Instant::now());
                match state::link(&self.store, &name).await? {
                    Some(l) => self.link = l,
                    None => return Err(SyncError::NoLink(name)),
                }
            }
            if self.link.state != "active" {
                self.say(Some("paused")).await?;
                if self.cfg.once {
                    return Err(SyncError::Refused(format!(
                        "link {name} is {}: `sync resume {name}` first",
                        self.link.state
                    )));
                }
                if sleep_or_stop(&mut stop, Duration::from_millis(500)).await {
                    break;
                }
                continue;
            }
            let r = match self.ensure_sides().await {
                Err(e) => Err(RoundError::Offline(e)),
                // A round that hangs (a network that drops packets without a reset) counts as the side gone:
                // its transaction is dropped unfinished, which the server rolls back.
                Ok(()) => match tokio::time::timeout(ROUND_TIMEOUT, self.round()).await {
                    Ok(r) => r,
                    Err(_) => Err(RoundError::Offline(format!(
                        "no answer within {} s (a side stopped answering mid-round)",
                        ROUND_TIMEOUT.as_secs()
                    ))),
                },
            };
            match r {
                Ok((fwd, back, conflicts, latencies, more)) => {
                    backoff = Duration::from_secs(1);
                    summary.rounds += 1;
                    summary.fwd += fwd as u64;
                    summary.back += back as u64;
                    summary.conflicts += conflicts as u64;
                    let busy = fwd + back + conflicts > 0;
                    if busy {
                        self.applied_since_sample += (fwd + back) as i64;
                        self.lag_since_sample = self.lag_since_sample.max(latencies.iter().copied().max().unwrap_or(0));
                        on(Progress::Applied { fwd, back, conflicts, latencies_ms: latencies });
                    }
                    self.say(Some(if more { "catching_up" } else { "live" })).await?;
                    self.maybe_sample().await?;
                    if !more {
                        if !busy {
                            on(Progress::Idle);
                        }
                        if self.cfg.once {
                            break;
                        }
                        if sleep_or_stop(&mut stop, self.cfg.idle_poll).await {
                            break;
                        }
                    }
                }
                Err(RoundError::Pause(table, reason)) => {
                    on(Progress::Paused { table: table.clone(), reason: reason.clone() });
                }
                Err(RoundError::Offline(e)) => {
                    self.drop_sides().await;
                    self.failed("offline", &e, backoff).await?;
                    on(Progress::Offline { error: e.clone(), retry_in: backoff });
                    if self.cfg.once {
                        return Err(SyncError::Side { side: "sync".into(), message: e });
                    }
                    if sleep_or_stop(&mut stop, backoff).await {
                        break;
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
                Err(RoundError::Other(e)) => {
                    self.failed("error", &e, backoff).await?;
                    on(Progress::Error { error: e.clone() });
                    if self.cfg.once {
                        return Err(SyncError::Refused(e));
                    }
                    if sleep_or_stop(&mut stop, backoff).await {
                        break;
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
                Err(RoundError::Store(e)) => return Err(e.into()),
            }
        }
        self.say(None).await?;
        self.prune().await;
        self.drop_sides().await;
        Ok(summary)
    }

    /// Records a failed round: the error, when the next attempt is, and what the runner is doing now.
    async fn failed(&mut self, what: &'static str, error: &str, retry_in: Duration) -> Result<(), SyncError> {
        let next = chrono::Utc::now() + chrono::Duration::from_std(retry_in).unwrap_or_default();
        let next = next.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        state::record_error(&self.store, &self.link.name, error, Some(&next)).await?;
        self.say(Some(what)).await
    }

    /// Records what the runner is doing, when it changed (a write to the state store costs an fsync).
    async fn say(&mut self, what: Option<&str>) -> Result<(), SyncError> {
        if self.said.as_deref() != what || what.is_none() {
            self.said = what.map(str::to_string);
            state::set_runner(&self.store, &self.link.name, what).await?;
        }
        Ok(())
    }

    /// Writes the reader marks still unwritten, then deletes from each log what every reader is past.
    async fn prune(&self) {
        let (Some(a), Some(b)) = (&self.a, &self.b) else { return };
        for (i, d) in self.dirs(a, b).into_iter().enumerate() {
            if let Some(low) = self.unwritten[i]
                && let Err(e) =
                    log::set_reader(&d.from.pool, &d.from_schema, &self.link.name, d.name, &self.link.tables, low).await
            {
                tracing::warn!("sync {}: marking {}'s change log: {e}", self.link.name, d.from.label);
            }
            if let Err(e) = log::prune(&d.from.pool, &d.from_schema).await {
                tracing::warn!("sync {}: pruning {}'s change log: {e}", self.link.name, d.from.label);
            }
        }
    }

    async fn maybe_sample(&mut self) -> Result<(), SyncError> {
        if self.last_sample.elapsed() >= Duration::from_secs(2) {
            state::sample(
                &self.store,
                &self.link.name,
                super::now_ms(),
                self.applied_since_sample,
                self.lag_since_sample,
            )
            .await?;
            self.applied_since_sample = 0;
            self.lag_since_sample = 0;
            self.last_sample = Instant::now();
        }
        Ok(())
    }

    /// Pauses a table in both directions: its own position starts where the main stream is now, so that it
    /// picks up from there when resumed.
    async fn pause(&self, table: &str, reason: &str, failed_seq: Option<i64>) -> Result<(), RoundError> {
        let (Some(a), Some(b)) = (&self.a, &self.b) else { return Ok(()) };
        for d in self.dirs(a, b) {
            let main = log::load_position(&d.to.pool, &d.to_schema, &self.link.name, d.name, "")
                .await
                .map_err(other)?
                .unwrap_or_default();
            let own =
                log::load_position(&d.to.pool, &d.to_schema, &self.link.name, d.name, table).await.map_err(other)?;
            if own.is_none() {
                let sql = log::store_position_sql(d.to.engine(), &d.to_schema, &self.link.name, d.name, table, &main);
                crate::core::transfer::exec(&d.to.pool, &sql).await.map_err(other)?;
            }
        }
        state::pause_table(&self.store, &self.link.name, table, Some(reason), failed_seq).await?;
        Ok(())
    }

    fn dirs<'a>(&'a self, a: &'a Side, b: &'a Side) -> Vec<Dir<'a>> {
        let (sa, sb) = (self.link.source_schema(), self.link.target_schema());
        let mut v = vec![Dir {
            name: "fwd",
            from: a,
            to: b,
            from_schema: sa.clone(),
            to_schema: sb.clone(),
            plan: &self.link.plan_fwd,
        }];
        if self.link.two_way
            && let Some(back) = &self.link.plan_back
        {
            v.push(Dir { name: "back", from: b, to: a, from_schema: sb, to_schema: sa, plan: back });
        }
        v
    }

    /// Compares each active table's columns on both sides with the plan; a difference pauses that table.
    async fn check_drift(&self, paused: &HashSet<String>) -> Result<(), RoundError> {
        let (Some(a), Some(b)) = (&self.a, &self.b) else { return Ok(()) };
        let (sa, sb) = (self.link.source_schema(), self.link.target_schema());
        for t in &self.link.plan_fwd.tables {
            if paused.contains(&t.source) {
                continue;
            }
            let mut problems = Vec::new();
            for (side, schema, name, want) in [
                (a, &sa, &t.source, t.columns.iter().map(|c| c.source.clone()).collect::<Vec<_>>()),
                (b, &sb, &t.target, t.columns.iter().map(|c| c.target.clone()).collect::<Vec<_>>()),
            ] {
                let have = match log::table_columns(&side.pool, schema, name).await {
                    Ok(h) => h,
                    Err(e) => return Err(judge(a, b, e).await),
                };
                if have.is_empty() {
                    problems.push(format!("table {name} is gone on {} (dropped or renamed?)", side.label));
                    continue;
                }
                for c in have.iter().filter(|c| !want.contains(c)) {
                    problems.push(format!("column {c} was added on {} only", side.label));
                }
                for c in want.iter().filter(|c| !have.contains(c)) {
                    problems.push(format!("column {c} is gone on {} (dropped or renamed?)", side.label));
                }
            }
            if !problems.is_empty() {
                let reason = format!(
                    "schema drift: {}; this table is paused, the others go on; make both sides match, then `dbconsole sync resume {}`",
                    problems.join("; "),
                    self.link.name
                );
                self.pause(&t.source, &reason, None).await?;
                return Err(RoundError::Pause(t.source.clone(), reason));
            }
        }
        Ok(())
    }

    async fn read_dir(&self, d: &Dir<'_>, active: &HashSet<String>) -> Result<Reading, String> {
        let positions = log::load_positions(&d.to.pool, &d.to_schema, &self.link.name, d.name).await?;
        let main = positions.iter().find(|(t, _)| t.is_empty()).map(|(_, p)| p.clone()).ok_or_else(|| {
            format!(
                "{} has no position for link {} ({}): the link was removed there; `sync remove` and add it again",
                d.to.label, self.link.name, d.name
            )
        })?;
        let closed = log::closed_gaps(&d.from.pool, &main.gaps).await?;
        let changes = log::read(&d.from.pool, &d.from_schema, &main, &[], None, self.cfg.batch).await?;
        let full = changes.len() >= self.cfg.batch;
        let (mut next, mut upto) = log::advance(&main, &changes, &closed, 0, d.from.engine());
        if next.gaps.iter().any(|g| !main.gaps.iter().any(|m| m.0 == g.0)) {
            // New gaps: mark them with what tells when they can no longer be filled.
            let marker = log::gap_marker(&d.from.pool).await?;
            (next, upto) = log::advance(&main, &changes, &closed, marker, d.from.engine());
        }
        // Changes past what the position can take wait for a later round.
        let mut changes = changes;
        let cut = changes.len();
        changes.retain(|c| c.seq <= upto || c.seq <= main.high);
        let full = full || changes.len() < cut;

        let mut catchups = Vec::new();
        let held_low =
            positions.iter().filter(|(t, _)| !t.is_empty() && !active.contains(t)).map(|(_, p)| p.low()).min();
        for (t, pos) in positions.iter().filter(|(t, _)| !t.is_empty()) {
            if !active.contains(t) {
                continue;
            }
            let ch =
                log::read(&d.from.pool, &d.from_schema, pos, std::slice::from_ref(t), Some(next.high), self.cfg.batch)
                    .await?;
            let done = ch.len() < self.cfg.batch;
            let read: HashSet<i64> = ch.iter().map(|c| c.seq).collect();
            let high = if done { next.high } else { ch.last().map_or(pos.high, |c| c.seq) };
            let mut gaps: Vec<(i64, i64)> = pos
                .gaps
                .iter()
                .chain(next.gaps.iter().filter(|g| g.0 > pos.high && g.0 <= high))
                .filter(|g| !read.contains(&g.0) && !closed.contains(&g.0))
                .cloned()
                .collect();
            gaps.sort();
            gaps.dedup_by_key(|g| g.0);
            catchups.push((t.clone(), pos.clone(), Position { high, gaps }, ch, done));
        }
        Ok(Reading { main, next, changes, catchups, held_low, full })
    }

    /// One round. Returns (applied forward, applied back, conflicts, latencies, more waiting).
    async fn round(&mut self) -> Result<(usize, usize, usize, Vec<i64>, bool), RoundError> {
        let (Some(a), Some(b)) = (self.a.clone(), self.b.clone()) else {
            return Err(RoundError::Offline("not connected".into()));
        };
        let tables = state::tables(&self.store, &self.link.name).await?;
        let paused: HashSet<String> = tables.iter().filter(|t| t.paused).map(|t| t.table.clone()).collect();
        // Changes the user chose to skip (refused by the target; `sync resume --skip-failed`).
        let skips: Vec<(String, i64)> =
            tables.iter().filter_map(|t| t.skip_seq.map(|s| (t.table.clone(), s))).collect();
        if self.last_drift.is_none_or(|t| t.elapsed() >= Duration::from_secs(5)) {
            self.last_drift = Some(Instant::now());
            self.check_drift(&paused).await?;
        }
        let active: HashSet<String> = self.link.tables.iter().filter(|t| !paused.contains(*t)).cloned().collect();
        let prune_now = self.last_prune.elapsed() >= Duration::from_secs(5);
        let reader_due: [bool; 2] =
            [0, 1].map(|i| prune_now || self.last_reader[i].is_none_or(|t| t.elapsed() >= Duration::from_secs(1)));
        let mut unmarked: Vec<(usize, i64)> = Vec::new();
        if prune_now {
            self.last_prune = Instant::now();
        }
        let dirs = self.dirs(&a, &b);
        let mut readings = Vec::new();
        for d in &dirs {
            match self.read_dir(d, &active).await {
                Ok(r) => readings.push(r),
                Err(e) => return Err(judge(&a, &b, e).await),
            }
        }
        let link = self.link.name.clone();
        // The changes each direction applies: active tables not catching up, not written by this link.
        let relevant: Vec<Vec<&Change>> = readings
            .iter()
            .map(|r| {
                let catching: HashSet<&str> = r.catchups.iter().map(|c| c.0.as_str()).collect();
                r.changes
                    .iter()
                    .filter(|c| active.contains(&c.tbl) && !catching.contains(c.tbl.as_str()))
                    .filter(|c| c.origin.as_deref() != Some(link.as_str()))
                    .collect()
            })
            .collect();
        // Conflicts (two-way): keys changed on both sides, and keys with a conflict waiting.
        let mut found = super::conflict::Settlement::none(dirs.len());
        if dirs.len() == 2 {
            let waiting: HashSet<(String, String)> =
                state::conflicts(&self.store, &link, true).await?.into_iter().map(|c| (c.table, c.key)).collect();
            found = super::conflict::settle([dirs[0].plan, dirs[1].plan], self.link.policy, &relevant, &waiting);
            // Parked conflicts are recorded before the changes leave the logs.
            for c in found.settled.iter().filter(|c| c.taken.is_none()) {
                state::record_conflict(&self.store, &link, c.clone()).await?;
            }
        }
        let super::conflict::Settlement { skip, marks: remove_own, settled, count: conflicts } = found;
        let mut applied = vec![0usize; dirs.len()];
        // Where this link is in each log it read (for pruning), kept on the side the log is on.
        let mut marks: Vec<(usize, i64)> = Vec::new();
        let mut per_table: HashMap<String, i64> = HashMap::new();
        let mut latencies = Vec::new();
        let mut more = false;
        // Two-way: a side with more waiting than one read goes first; the other side's changes wait (its read is
        // complete, so every conflict with them is seen) until the backlog is through.
        let defer: Vec<bool> =
            (0..dirs.len()).map(|j| dirs.len() == 2 && readings[1 - j].full && !readings[j].full).collect();
        for (i, d) in dirs.iter().enumerate() {
            let r = &readings[i];
            if defer[i] {
                more = true;
                continue;
            }
            let mut batch: Vec<&Change> =
                relevant[i].iter().enumerate().filter(|(j, _)| !skip[i].contains(j)).map(|(_, c)| *c).collect();
            let mut tail = vec![log::store_position_sql(d.to.engine(), &d.to_schema, &link, d.name, "", &r.next)];
            for (t, _, next, ch, done) in &r.catchups {
                batch.extend(ch.iter().filter(|c| c.origin.as_deref() != Some(link.as_str())));
                tail.push(if *done {
                    log::delete_position_sql(d.to.engine(), &d.to_schema, &link, d.name, t)
                } else {
                    log::store_position_sql(d.to.engine(), &d.to_schema, &link, d.name, t, next)
                });
                more |= !done;
            }
            batch.sort_by_key(|c| c.seq);
            let sign = if i == 0 { 1 } else { -1 };
            let skipped: Vec<(String, i64)> = skips
                .iter()
                .filter(|(t, s)| batch.iter().any(|c| &c.tbl == t && c.seq * sign == *s))
                .cloned()
                .collect();
            batch.retain(|c| !skipped.iter().any(|(t, s)| &c.tbl == t && c.seq * sign == *s));
            if let Some(sql) = apply::drop_changes_sql(d.to.engine(), &d.to_schema, &link, &remove_own[i]) {
                tail.push(sql);
            }
            let nothing_new = r.next == r.main && r.catchups.iter().all(|c| c.1 == c.2 && !c.4);
            if batch.is_empty() && remove_own[i].is_empty() && nothing_new {
                continue;
            }
            // Row filters (one-way): a change to a row that does not match now becomes its removal.
            let filtered: Vec<Change>;
            let batch: Vec<&Change> = if i == 0 && d.plan.tables.iter().any(|t| !t.filter.is_empty()) {
                filtered = match super::filter::apply_filters(&d.from.pool, d.plan, &batch).await {
                    Ok(f) => f,
                    Err(e) => return Err(judge(&a, &b, format!("{}: row filter: {e}", d.from.label)).await),
                };
                filtered.iter().collect()
            } else {
                batch
            };
            let (statements, refused): (Vec<Statement>, _) = apply::build(d.plan, &batch);
            if let Some(r) = refused.first() {
                let reason = format!("change {} cannot be written to {}: {}", r.seq, d.to.label, r.reason);
                // The way back's changes are recorded negative (each log has its own numbers).
                self.pause(&r.table, &reason, Some(if i == 0 { r.seq } else { -r.seq })).await?;
                return Err(RoundError::Pause(r.table.clone(), reason));
            }
            match apply::run(&d.to.pool, &link, &statements, &tail).await {
                Ok(()) => {}
                Err(ApplyError::Offline(e)) => return Err(RoundError::Offline(format!("{}: {e}", d.to.label))),
                Err(ApplyError::Statement { table: Some(t), message }) => {
                    let reason = format!("{} refused a change: {message}", d.to.label);
                    self.pause(&t, &reason, None).await?;
                    return Err(RoundError::Pause(t, reason));
                }
                Err(ApplyError::Statement { table: None, message }) => {
                    return Err(judge(&a, &b, format!("{}: {message}", d.to.label)).await);
                }
            }
            let now_us = super::now_ms() * 1000;
            for c in &batch {
                latencies.push((now_us - c.at).max(0) / 1000);
                *per_table.entry(c.tbl.clone()).or_default() += 1;
            }
            applied[i] = batch.len();
            for (t, s) in &skipped {
                state::skipped(&self.store, &link, t, *s).await?;
            }
            more |= r.full;
            // Where this link is in the log it read (for pruning), kept on the side the log is on.
            let low = r
                .catchups
                .iter()
                .filter(|c| !c.4)
                .map(|c| c.2.low())
                .chain(r.held_low)
                .chain([r.next.low()])
                .min()
                .unwrap_or(r.next.low());
            marks.push((i, low));
        }
        let mut marked = Vec::new();
        for (i, low) in marks {
            if reader_due[i] {
                let d = &dirs[i];
                log::set_reader(&d.from.pool, &d.from_schema, &link, d.name, &self.link.tables, low)
                    .await
                    .map_err(other)?;
                marked.push(i);
            } else {
                unmarked.push((i, low));
            }
        }
        for c in settled.into_iter().filter(|c| c.taken.is_some()) {
            state::record_conflict(&self.store, &link, c).await?;
        }
        let per: Vec<(String, i64)> = per_table.into_iter().collect();
        if applied.iter().sum::<usize>() > 0 {
            state::record_apply(
                &self.store,
                &link,
                applied[0] as i64,
                applied.get(1).copied().unwrap_or(0) as i64,
                &per,
            )
            .await?;
        }
        if prune_now {
            for d in &dirs {
                if let Err(e) = log::prune(&d.from.pool, &d.from_schema).await {
                    tracing::warn!("sync {link}: pruning {}'s change log: {e}", d.from.label);
                }
            }
        }
        let (fwd, back) = (applied[0], applied.get(1).copied().unwrap_or(0));
        drop(dirs);
        for i in marked {
            self.last_reader[i] = Some(Instant::now());
            self.unwritten[i] = None;
        }
        for (i, low) in unmarked {
            self.unwritten[i] = Some(low);
        }
        Ok((fwd, back, conflicts, latencies, more))
    }
}

/// Sleeps, or returns true at once when asked to stop.
async fn sleep_or_stop(stop: &mut watch::Receiver<bool>, d: Duration) -> bool {
    if *stop.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => *stop.borrow(),
        r = stop.changed() => r.is_err() || *stop.borrow(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_connections_are_told_from_refused_statements() {
        for m in [
            "pool timed out while waiting for an open connection",
            "error communicating with database: Connection refused (os error 111)",
            "FATAL 57P01: terminating connection due to administrator command",
            "2006: MySQL server has gone away",
        ] {
            assert!(looks_offline(m), "{m}");
            assert!(matches!(other(m.to_string()), RoundError::Offline(_)));
        }
        for m in ["ERROR 23505: duplicate key value violates unique constraint", "column \"x\" does not exist"] {
            assert!(!looks_offline(m), "{m}");
        }
    }
}
