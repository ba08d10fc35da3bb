//! Sync jobs: read every link's status, plan and create a link, pause, run once, run in the background while the
//! TUI is open (one runner per link: the lock is shared with `dbconsole sync run`), resolve a conflict, remove.
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use secrecy::SecretString;

use super::Runner;
use crate::core::profile::Profile;
use crate::core::profile::password::{self, Resolved};
use crate::core::store::Store;
use crate::core::sync::runner::{Progress, RunConfig, SideConfig};
use crate::core::sync::{self, Policy, Side, setup, state, status};
use crate::tui::action::{Action, JobId, SyncMsg};
use crate::tui::panes::sync::LinkView;

/// What a sync job needs to reach the sides: the profiles and the passwords typed in this session.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    pub profiles: Vec<Profile>,
    pub passwords: HashMap<String, SecretString>,
}

impl Reach {
    /// How a link's side (named by profile, or by URL) is reached.
    fn side(&self, label: &str) -> Result<SideConfig, String> {
        let profile = match self.profiles.iter().find(|p| p.name == label) {
            Some(p) => p.clone(),
            None if crate::core::profile::looks_like_url(label) => {
                crate::core::profile::url::parse_url(label).map_err(|e| format!("{label}: {e}"))?
            }
            None => {
                return Err(format!(
                    "no profile named {label} (the link names it; r in the profiles pane reads the profiles file again)"
                ));
            }
        };
        let password = match self.passwords.get(label) {
            Some(p) => Some(p.clone()),
            None => match password::resolve(&profile.session_profile(), None) {
                Ok(Resolved::Password(p)) => Some(p),
                Ok(Resolved::NoPassword { .. }) => None,
                Ok(Resolved::MustAsk { .. }) => {
                    return Err(format!("`{label}` needs a password: connect it once in the Profiles pane"));
                }
                Err(e) => return Err(format!("{label}: {e}")),
            },
        };
        Ok(SideConfig { label: label.to_string(), profile, password })
    }
}

async fn open_store(cell: &tokio::sync::OnceCell<Option<Store>>, path: &std::path::Path) -> Result<Store, String> {
    match cell.get_or_init(|| async { Store::open(path).await.ok() }).await.clone() {
        Some(s) => Ok(s),
        // Opened again for its reason.
        None => Err(Store::open(path)
            .await
            .err()
            .map_or_else(|| format!("the state store {} cannot be opened", path.display()), |e| e.to_string())),
    }
}

async fn connect(
    pools: &Arc<std::sync::Mutex<HashMap<String, crate::core::engine::DbPool>>>,
    c: &SideConfig,
) -> Result<Side, String> {
    let key = format!("sync:{}", c.label);
    if let Some(pool) = pools.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Ok(Side { label: c.label.clone(), profile: c.profile.clone(), password: c.password.clone(), pool });
    }
    let side = sync::connect(&c.label, &c.profile, c.password.as_ref()).await?;
    if let Ok(mut m) = pools.lock() {
        m.insert(key, side.pool.clone());
    }
    Ok(side)
}

/// Forgets a side's pool (it failed): the next use connects again.
fn forget(pools: &Arc<std::sync::Mutex<HashMap<String, crate::core::engine::DbPool>>>, label: &str) {
    if let Ok(mut m) = pools.lock() {
        m.remove(&format!("sync:{label}"));
    }
}

pub(super) fn refresh(r: &Runner, job: JobId, reach: Reach) {
    let (tx, pools) = (r.tx.clone(), r.pools.clone());
    let (store, state_db) = r.store();
    r.spawn_job(job, async move {
        let result = async {
            let store = open_store(&store, &state_db).await?;
            let links = state::links(&store).await.map_err(|e| e.to_string())?;
            let mut out = Vec::new();
            for link in links {
                let mut sides = Vec::new();
                for label in [&link.source, &link.target] {
                    let s = match reach.side(label) {
                        Ok(mut c) => {
                            c.profile.pool.connect_timeout_secs = c.profile.pool.connect_timeout_secs.min(5);
                            let r = connect(&pools, &c).await;
                            if r.is_err() {
                                forget(&pools, label);
                            }
                            r
                        }
                        Err(e) => Err(e),
                    };
                    sides.push(s);
                }
                let mut st = status::link_status(
                    &link,
                    sides[0].as_ref().map_err(|e| e.as_str()),
                    sides[1].as_ref().map_err(|e| e.as_str()),
                    &store,
                )
                .await
                .map_err(|e| e.to_string())?;
                for (i, s) in st.sides.iter().enumerate() {
                    if !s.reachable {
                        forget(&pools, if i == 0 { &link.source } else { &link.target });
                    }
                }
                if !link.native && !sync::runner_active(&state_db, &link.name) {
                    st.runner = None;
                }
                let samples = state::samples(&store, &link.name, sync::now_ms() - 600_000).await.unwrap_or_default();
                let conflicts = state::conflicts(&store, &link.name, true).await.unwrap_or_default();
                out.push(LinkView { status: st, samples, conflicts });
            }
            Ok(out)
        }
        .await;
        let _ = tx.send(Action::Sync(SyncMsg::Status { job, result }));
    });
}

fn link_name(from: &str, to: &str, taken: &[String]) -> String {
    let base: String = format!("{from}-{to}")
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .take(60)
        .collect();
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

/// What a new link is asked to be.
pub struct NewLink {
    pub from: String,
    pub to: String,
    pub two_way: bool,
    pub policy: Policy,
    /// Only these tables (empty: every table with a primary key).
    pub tables: Vec<String>,
}

pub(super) fn prepare(r: &Runner, job: JobId, new: NewLink, reach: Reach) {
    let NewLink { from, to, two_way, policy, tables } = new;
    let (tx, pools) = (r.tx.clone(), r.pools.clone());
    let (store, state_db) = r.store();
    r.spawn_job(job, async move {
        let result = async {
            let store = open_store(&store, &state_db).await?;
            let taken: Vec<String> =
                state::links(&store).await.map_err(|e| e.to_string())?.into_iter().map(|l| l.name).collect();
            let (a, b) = (connect(&pools, &reach.side(&from)?).await?, connect(&pools, &reach.side(&to)?).await?);
            let name = link_name(&from, &to, &taken);
            let rejects = state_db.with_file_name(format!("sync-{name}-rejects.jsonl"));
            let rejects = rejects.to_string_lossy();
            let opts =
                setup::Options { tables: &tables, two_way, policy, rejects: &rejects, triggers: false, filters: &[] };
            setup::prepare(&name, &a, &b, opts).await.map(Box::new).map_err(|e| e.to_string())
        }
        .await;
        let _ = tx.send(Action::Sync(SyncMsg::Prepared { job, result }));
    });
}

pub(super) fn create(r: &Runner, job: JobId, setup: setup::Setup, reach: Reach) {
    let (tx, pools) = (r.tx.clone(), r.pools.clone());
    let (store, state_db) = r.store();
    r.spawn_job(job, async move {
        let result = async {
            let store = open_store(&store, &state_db).await?;
            let a = connect(&pools, &reach.side(&setup.link.source)?).await?;
            let b = connect(&pools, &reach.side(&setup.link.target)?).await?;
            let link = setup::create(&setup, &a, &b, &store, Arc::new(|_| {}))
                .await
                .map_err(|e| format!("{e} — the link is recorded in state error; x removes what was made"))?;
            Ok(format!(
                "created link {} ({} tables): o runs it once, b in the background",
                link.name,
                link.tables.len()
            ))
        }
        .await;
        let _ = tx.send(Action::Sync(SyncMsg::Done { job, result }));
    });
}

pub(super) fn pause(r: &Runner, job: JobId, name: String, pause: bool, reach: Reach) {
    let (tx, pools) = (r.tx.clone(), r.pools.clone());
    let (store, state_db) = r.store();
    r.spawn_job(job, async move {
        let result = async {
            let store = open_store(&store, &state_db).await?;
            let e = |e: crate::core::store::StoreError| e.to_string();
            let link = state::link(&store, &name).await.map_err(e)?.ok_or_else(|| format!("no link {name}"))?;
            if link.native {
                let b = connect(&pools, &reach.side(&link.target)?).await?;
                sync::native::set_enabled(&link, &b, !pause).await.map_err(|e| e.to_string())?;
            }
            if pause {
                state::set_state(&store, &name, "paused").await.map_err(e)?;
                state::event(&store, &name, "paused", "link paused").await.map_err(e)?;
                Ok(format!("{name} paused: changes wait in the change logs"))
            } else {
                state::set_state(&store, &name, "active").await.map_err(e)?;
                let tables = state::resume_tables(&store, &name, &[], false).await.map_err(e)?;
                state::event(&store, &name, "resumed", "link resumed").await.map_err(e)?;
                Ok(if tables.is_empty() {
                    format!("{name} resumed")
                } else {
                    format!("{name} resumed, with its paused tables: {} (a table paused by a schema change: `dbconsole sync resume {name}` plans it again)", tables.join(", "))
                })
            }
        }
        .await;
        let _ = tx.send(Action::Sync(SyncMsg::Done { job, result }));
    });
}

/// Runs a link until it has caught up (or, in the background, until stopped).
async fn run_link(
    store: Store,
    state_db: std::path::PathBuf,
    name: String,
    reach: Reach,
    cfg: RunConfig,
    stop: tokio::sync::watch::Receiver<bool>,
    tx: tokio::sync::mpsc::UnboundedSender<Action>,
) -> Result<sync::runner::Summary, String> {
    let link = state::link(&store, &name).await.map_err(|e| e.to_string())?.ok_or_else(|| format!("no link {name}"))?;
    if link.native {
        return Err(format!("{name}: PostgreSQL's logical replication applies it itself; nothing to run"));
    }
    let _lock = match crate::core::fsutil::try_lock(&sync::runner_lock_path(&state_db, &name)) {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
            return Err(format!("another runner runs {name} (a `dbconsole sync run`)"));
        }
        Err(e) => return Err(format!("runner lock: {e}")),
    };
    let (a, b) = (reach.side(&link.source)?, reach.side(&link.target)?);
    let last = Arc::new(AtomicI64::new(0));
    let n2 = name.clone();
    // At most four redraws a second, whatever the runner does.
    let on: Arc<dyn Fn(Progress) + Send + Sync> = Arc::new(move |p| {
        let note = match &p {
            Progress::Offline { error, retry_in } => {
                Some(format!("{n2} offline: {error}; retrying in {} s", retry_in.as_secs()))
            }
            Progress::Paused { table, reason } => Some(format!("{n2}: table {table} paused: {reason}")),
            Progress::Error { error } => Some(format!("{n2}: {error}")),
            _ => None,
        };
        let now = sync::now_ms();
        if note.is_some() || now - last.load(Ordering::Relaxed) >= 250 {
            last.store(now, Ordering::Relaxed);
            let _ = tx.send(Action::Sync(SyncMsg::Progress { name: n2.clone(), note }));
        }
    });
    let mut runner = sync::runner::Runner::new(link, a, b, store, cfg);
    runner.run(stop, on).await.map_err(|e| e.to_string())
}

pub(super) fn run_once(r: &Runner, job: JobId, name: String, reach: Reach) {
    let tx = r.tx.clone();
    let (store, state_db) = r.store();
    r.spawn_job(job, async move {
        let result = async {
            let store = open_store(&store, &state_db).await?;
            let (_keep, stop) = tokio::sync::watch::channel(false);
            let cfg = RunConfig { once: true, ..RunConfig::default() };
            let s = run_link(store, state_db, name.clone(), reach, cfg, stop, tx.clone()).await?;
            Ok(format!("{name}: applied {} →, {} ←, {} conflict(s)", s.fwd, s.back, s.conflicts))
        }
        .await;
        let _ = tx.send(Action::Sync(SyncMsg::Done { job, result }));
    });
}

/// Starts or stops running a link in the background of the TUI.
pub(super) fn background(r: &Runner, name: String, start: bool, reach: Reach) {
    let Ok(mut running) = r.sync_runners.lock() else { return };
    if !start {
        if let Some(stop) = running.remove(&name) {
            // It finishes (or rolls back) its batch, then says it stopped.
            let _ = stop.send(true);
        }
        return;
    }
    if running.contains_key(&name) {
        return;
    }
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    running.insert(name.clone(), stop_tx);
    let tx = r.tx.clone();
    let (store, state_db) = r.store();
    let registry = r.sync_runners.clone();
    tokio::spawn(async move {
        let result = async {
            let store = open_store(&store, &state_db).await?;
            // Idle, it looks for changes twice a second.
            let cfg = RunConfig { idle_poll: std::time::Duration::from_millis(500), ..RunConfig::default() };
            run_link(store, state_db, name.clone(), reach, cfg, stop, tx.clone()).await
        }
        .await;
        if let Ok(mut m) = registry.lock() {
            m.remove(&name);
        }
        let _ = tx.send(Action::Sync(SyncMsg::Stopped { name, error: result.err() }));
    });
}

pub(super) fn resolve(r: &Runner, job: JobId, name: String, id: i64, take_source: bool, reach: Reach) {
    let (tx, pools) = (r.tx.clone(), r.pools.clone());
    let (store, state_db) = r.store();
    r.spawn_job(job, async move {
        let result = async {
            let store = open_store(&store, &state_db).await?;
            let link = state::link(&store, &name)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no link {name}"))?;
            let a = connect(&pools, &reach.side(&link.source)?).await?;
            let b = connect(&pools, &reach.side(&link.target)?).await?;
            sync::resolve::resolve(&link, &a, &b, &store, id, take_source).await.map_err(|e| e.to_string())?;
            Ok(format!("conflict {id} resolved: took the {}'s row", if take_source { "source" } else { "target" }))
        }
        .await;
        let _ = tx.send(Action::Sync(SyncMsg::Done { job, result }));
    });
}

pub(super) fn remove(r: &Runner, job: JobId, name: String, reach: Reach) {
    let (tx, pools) = (r.tx.clone(), r.pools.clone());
    let (store, state_db) = r.store();
    r.spawn_job(job, async move {
        let result = async {
            let store = open_store(&store, &state_db).await?;
            if sync::runner_active(&state_db, &name) {
                return Err(format!("a runner runs {name}: stop it first (b here, or the `dbconsole sync run`)"));
            }
            let link = state::link(&store, &name)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no link {name}"))?;
            let a = connect(&pools, &reach.side(&link.source)?).await?;
            let b = connect(&pools, &reach.side(&link.target)?).await?;
            let done = setup::remove(&link, &a, &b, &store).await.map_err(|e| e.to_string())?;
            Ok(format!("removed link {name}: {}", done.join("; ")))
        }
        .await;
        let _ = tx.send(Action::Sync(SyncMsg::Done { job, result }));
    });
}
