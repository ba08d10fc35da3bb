//! Effects: what `App::update` asks the outside world to do. This layer is the only code in the TUI that spawns
//! tasks or touches files and databases; results come back as Actions. Every job runs through `spawn_job`, which
//! keeps its abort handle until it ends, so `Effect::Cancel { job }` stops any of them. One file per job family:
//! profiles, catalog, migrations, transfer, query (and its session task), files.
mod catalog;
pub(crate) mod files;
mod migrations;
mod profiles;
mod query;
pub mod query_session;
pub mod sync;
mod transfer;

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use secrecy::SecretString;
use tokio::sync::mpsc::UnboundedSender;

use super::action::{Action, JobId};
use crate::core::engine::DbPool;
use crate::core::profile::Profile;
use crate::tui::panes::migrations::RunKind;

#[derive(Debug)]
pub enum Effect {
    TestProfile {
        job: JobId,
        profile: Box<Profile>,
        password: Option<SecretString>,
    },
    Connect {
        job: JobId,
        profile: Box<Profile>,
        password: Option<SecretString>,
    },
    SaveProfile {
        profile: Box<Profile>,
        replacing: Option<String>,
        /// SQLite: make the file (empty, owner-only) when it is not there.
        create_file: bool,
    },
    RemoveProfile {
        name: String,
    },
    ReloadProfiles,
    Discover,
    LoadCatalog {
        job: JobId,
        profile: Box<Profile>,
    },
    CountRows {
        job: JobId,
        profile: String,
        schema: String,
        table: String,
    },
    PlanMigrations {
        job: JobId,
        profile: Box<Profile>,
    },
    RunMigrations {
        job: JobId,
        profile: Box<Profile>,
        kind: RunKind,
        /// Apply only up to this version.
        up_to: Option<i64>,
    },
    /// Writes the migration that gives `to` the schema of `from`.
    DiffMigrations {
        job: JobId,
        from: Box<Profile>,
        from_password: Option<SecretString>,
        to: Box<Profile>,
    },
    /// Stops a running job (any kind).
    Cancel {
        job: JobId,
    },
    /// Runs statements on the profile's query session (opened on first use).
    RunQuery {
        job: JobId,
        profile: String,
        statements: Vec<crate::core::sql::Statement>,
        cap: usize,
    },
    /// Reads the active profile's catalog and data and builds the transfer plan toward `to`.
    PlanTransfer {
        job: JobId,
        from: Box<Profile>,
        to: Box<Profile>,
        to_password: Option<SecretString>,
    },
    RunTransfer {
        job: JobId,
        plan: Box<crate::core::transfer::Plan>,
        from: Box<Profile>,
        to: Box<Profile>,
        to_password: Option<SecretString>,
    },
    VerifyTransfer {
        job: JobId,
        plan: Box<crate::core::transfer::Plan>,
        from: Box<Profile>,
        to: Box<Profile>,
        to_password: Option<SecretString>,
    },
    /// Applies staged grid edits on the query session, in one transaction.
    ApplyEdits {
        job: JobId,
        profile: String,
        plans: Vec<crate::core::query::edit::Planned>,
    },
    /// Answers a paused result: read on (true) or stop (false).
    QueryMore(bool),
    CancelQuery,
    /// Ends the query session (its connection closes; an open transaction rolls back): the active profile changed.
    EndQuerySession,
    Export {
        columns: Vec<crate::core::query::Column>,
        rows: Arc<std::sync::RwLock<crate::core::query::Rows>>,
        format: crate::core::query::export::Format,
        path: PathBuf,
        engine: crate::core::profile::Engine,
        table: String,
        /// The path as typed (to ask again with) and whether an existing file may be replaced.
        typed: String,
        overwrite: bool,
    },
    /// Puts text on the clipboard through OSC 52 (the terminal's clipboard; works over SSH).
    Copy(String),
    /// Keep the palette's recently used items (most recent first) for the next start.
    SaveRecent(Vec<String>),
    LoadHistory {
        profile: String,
        filter: String,
    },
    ReadFile(PathBuf),
    WriteFile {
        tab: usize,
        path: PathBuf,
        text: String,
    },
    /// Reads every sync link's status (both sides and the state store).
    SyncRefresh {
        job: JobId,
        reach: sync::Reach,
    },
    /// Plans a new link from `from` to `to` and says what it will create.
    SyncPrepare {
        job: JobId,
        from: String,
        to: String,
        two_way: bool,
        policy: crate::core::sync::Policy,
        tables: Vec<String>,
        reach: sync::Reach,
    },
    SyncCreate {
        job: JobId,
        setup: Box<crate::core::sync::setup::Setup>,
        reach: sync::Reach,
    },
    SyncPause {
        job: JobId,
        name: String,
        pause: bool,
        reach: sync::Reach,
    },
    SyncRunOnce {
        job: JobId,
        name: String,
        reach: sync::Reach,
    },
    /// Starts or stops running a link in the background while the TUI is open.
    SyncBackground {
        name: String,
        start: bool,
        reach: sync::Reach,
    },
    SyncResolve {
        job: JobId,
        name: String,
        id: i64,
        take_source: bool,
        reach: sync::Reach,
    },
    SyncRemove {
        job: JobId,
        name: String,
        reach: sync::Reach,
    },
    Quit,
    /// Ctrl-Z: give the terminal back and stop (SIGTSTP), as psql, vim and less do; the screen returns on `fg`.
    /// Carried out by the TUI loop, which owns the terminal.
    Suspend,
}

/// What the job families share.
pub struct Runner {
    tx: UnboundedSender<Action>,
    profiles_file: PathBuf,
    demo_db: PathBuf,
    /// Open pools by profile name.
    pub pools: Arc<Mutex<HashMap<String, DbPool>>>,
    /// Running jobs' abort handles.
    jobs: Arc<Mutex<HashMap<JobId, tokio::task::AbortHandle>>>,
    /// The query pane's session task.
    query: Mutex<Option<query_session::QueryHandle>>,
    /// dbconsole's state store (history, checkpoints), opened on first use; None when it cannot be opened.
    store: Arc<tokio::sync::OnceCell<Option<crate::core::store::Store>>>,
    state_db: PathBuf,
    /// Sync links run in the background here: the sender stops each.
    sync_runners: Arc<Mutex<HashMap<String, tokio::sync::watch::Sender<bool>>>>,
}

impl Runner {
    pub fn new(tx: UnboundedSender<Action>, profiles_file: PathBuf, demo_db: PathBuf, state_db: PathBuf) -> Self {
        Runner {
            tx,
            profiles_file,
            demo_db,
            state_db,
            query: Mutex::new(None),
            store: Arc::new(tokio::sync::OnceCell::new()),
            pools: Arc::new(Mutex::new(HashMap::new())),
            jobs: Arc::new(Mutex::new(HashMap::new())),
            sync_runners: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Runs `fut` as job `job`: its abort handle is kept until it ends, so `Effect::Cancel` can stop it.
    fn spawn_job(&self, job: JobId, fut: impl Future<Output = ()> + Send + 'static) {
        let jobs = self.jobs.clone();
        // Held while spawning: the job cannot remove itself before it is registered.
        let Ok(mut registry) = self.jobs.lock() else { return };
        let handle = tokio::spawn(async move {
            fut.await;
            if let Ok(mut j) = jobs.lock() {
                j.remove(&job);
            }
        });
        registry.insert(job, handle.abort_handle());
    }

    /// A short task that is not a job (saving a file, reading the profiles): nothing to cancel.
    fn spawn_blocking(&self, f: impl FnOnce(UnboundedSender<Action>) + Send + 'static) {
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || f(tx));
    }

    fn pool(&self, profile: &str) -> Option<DbPool> {
        self.pools.lock().ok().and_then(|m| m.get(profile).cloned())
    }

    /// The pool for work that needs a session of its own: the direct connection's when the profile has one
    /// (opened beside the pooled one at connect), else the profile's.
    fn session_pool(&self, profile: &crate::core::profile::Profile) -> Option<DbPool> {
        self.pool(&profile.session_profile().name)
    }

    fn store(&self) -> (Arc<tokio::sync::OnceCell<Option<crate::core::store::Store>>>, PathBuf) {
        (self.store.clone(), self.state_db.clone())
    }

    /// Stops every link run in the background here (they finish or roll back their batch).
    pub fn stop_sync_runners(&self) {
        if let Ok(mut m) = self.sync_runners.lock() {
            for (_, stop) in m.drain() {
                let _ = stop.send(true);
            }
        }
    }

    /// Whether a job is still running (tests).
    pub fn running(&self, job: JobId) -> bool {
        self.jobs.lock().is_ok_and(|j| j.contains_key(&job))
    }

    /// Returns false when the app should quit.
    pub fn run(&self, effect: Effect) -> bool {
        use Effect as E;
        match effect {
            E::Quit => return false,
            E::Suspend => {}
            E::Cancel { job } => {
                if let Some(h) = self.jobs.lock().ok().and_then(|mut j| j.remove(&job)) {
                    h.abort();
                }
            }
            E::TestProfile { job, profile, password } => profiles::test(self, job, *profile, password),
            E::Connect { job, profile, password } => profiles::connect(self, job, *profile, password),
            E::SaveProfile { profile, replacing, create_file } => {
                profiles::save(self, *profile, replacing, create_file)
            }
            E::RemoveProfile { name } => profiles::remove(self, name),
            E::ReloadProfiles => profiles::reload(self),
            E::Discover => profiles::discover(self),
            E::LoadCatalog { job, profile } => catalog::load(self, job, *profile),
            E::CountRows { job, profile, schema, table } => catalog::count(self, job, &profile, schema, table),
            E::PlanMigrations { job, profile } => migrations::plan(self, job, *profile),
            E::RunMigrations { job, profile, kind, up_to } => migrations::run(self, job, *profile, kind, up_to),
            E::DiffMigrations { job, from, from_password, to } => {
                migrations::diff(self, job, *from, from_password, *to)
            }
            E::PlanTransfer { job, from, to, to_password } => transfer::plan(self, job, *from, *to, to_password),
            E::RunTransfer { job, plan, from, to, to_password } => {
                transfer::run(self, job, *plan, *from, *to, to_password)
            }
            E::VerifyTransfer { job, plan, from, to, to_password } => {
                transfer::verify(self, job, *plan, *from, *to, to_password)
            }
            E::RunQuery { job, profile, statements, cap } => query::run(self, job, profile, statements, cap),
            E::ApplyEdits { job, profile, plans } => query::apply_edits(self, job, &profile, plans),
            E::QueryMore(more) => query::more(self, more),
            E::CancelQuery => query::cancel(self),
            E::EndQuerySession => query::end(self),
            E::Export { columns, rows, format, path, engine, table, typed, overwrite } => {
                query::export(self, query::ExportJob { columns, rows, format, path, engine, table, typed, overwrite })
            }
            E::Copy(text) => files::copy(text),
            E::SaveRecent(ids) => {
                let path = self.state_db.with_file_name("palette-recent.json");
                self.spawn_blocking(move |_| files::save_recent(&path, &ids));
            }
            E::LoadHistory { profile, filter } => query::history(self, profile, filter),
            E::ReadFile(path) => files::read(self, path),
            E::WriteFile { tab, path, text } => files::write(self, tab, path, text),
            E::SyncRefresh { job, reach } => sync::refresh(self, job, reach),
            E::SyncPrepare { job, from, to, two_way, policy, tables, reach } => {
                sync::prepare(self, job, sync::NewLink { from, to, two_way, policy, tables }, reach)
            }
            E::SyncCreate { job, setup, reach } => sync::create(self, job, *setup, reach),
            E::SyncPause { job, name, pause, reach } => sync::pause(self, job, name, pause, reach),
            E::SyncRunOnce { job, name, reach } => sync::run_once(self, job, name, reach),
            E::SyncBackground { name, start, reach } => sync::background(self, name, start, reach),
            E::SyncResolve { job, name, id, take_source, reach } => {
                sync::resolve(self, job, name, id, take_source, reach)
            }
            E::SyncRemove { job, name, reach } => sync::remove(self, job, name, reach),
        }
        true
    }
}

/// Why a job that needs the profile's (session) connection cannot run.
fn not_connected(p: &crate::core::profile::Profile) -> String {
    match &p.direct {
        Some(d) => format!(
            "the direct connection ({}) is not open: it failed when {} was connected (see the message log, L); \
             connect the profile again",
            d.target(),
            p.name
        ),
        None => "not connected: connect the profile first".to_string(),
    }
}
