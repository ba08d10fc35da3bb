//! Effects: what `App::update` asks the outside world to do. The runner is the only code that spawns tasks or
//! touches files and databases; results come back as Actions.
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use secrecy::SecretString;
use tokio::sync::mpsc::UnboundedSender;

use super::action::{Action, JobId, Purpose};
use crate::core::engine::{self, DbPool, TestReport, classify};
use crate::core::migrate;
use crate::core::profile::password::{self, Resolved};
use crate::core::profile::{self, Profile};
use crate::tui::panes::migrations::{Planned, RunKind};

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
        kind: crate::tui::panes::migrations::RunKind,
    },
    /// Writes the migration that gives `to` the schema of `from`.
    DiffMigrations {
        job: JobId,
        from: Box<Profile>,
        from_password: Option<SecretString>,
        to: Box<Profile>,
    },
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
    Export {
        columns: Vec<crate::core::query::Column>,
        rows: Arc<std::sync::RwLock<crate::core::query::Rows>>,
        format: crate::core::query::export::Format,
        path: PathBuf,
        engine: crate::core::profile::Engine,
        table: String,
    },
    /// Puts text on the clipboard through OSC 52 (the terminal's clipboard; works over SSH).
    Copy(String),
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
    Quit,
}

pub struct Runner {
    tx: UnboundedSender<Action>,
    profiles_file: PathBuf,
    demo_db: PathBuf,
    /// Open pools by profile name. The query, schema and migration panes will use them.
    pub pools: Arc<Mutex<HashMap<String, DbPool>>>,
    /// Running cancellable jobs.
    jobs: Arc<Mutex<HashMap<JobId, tokio::task::AbortHandle>>>,
    /// The query pane's session task.
    query: Mutex<Option<crate::tui::query_jobs::QueryHandle>>,
    /// dbconsole's state store (query history), opened on first use; None when it cannot be opened.
    store: Arc<tokio::sync::OnceCell<Option<crate::core::store::Store>>>,
    state_db: PathBuf,
}

enum PasswordOutcome {
    Ready(Option<SecretString>),
    Asked,
    Failed(classify::ConnectError),
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
        }
    }

    /// Resolves the password off the UI thread (a password command may take a while).
    async fn password(
        tx: &UnboundedSender<Action>,
        profile: &Profile,
        remembered: Option<SecretString>,
        purpose: Purpose,
    ) -> PasswordOutcome {
        let p = profile.clone();
        let resolved = tokio::task::spawn_blocking(move || password::resolve(&p, remembered.as_ref())).await;
        match resolved {
            Ok(Ok(Resolved::Password(pw))) => PasswordOutcome::Ready(Some(pw)),
            Ok(Ok(Resolved::NoPassword { .. })) => PasswordOutcome::Ready(None),
            Ok(Ok(Resolved::MustAsk { reason })) => {
                let _ = tx.send(Action::NeedPassword { profile: profile.name.clone(), purpose, reason });
                PasswordOutcome::Asked
            }
            Ok(Err(e)) => PasswordOutcome::Failed(classify::password_unavailable(profile, &e.to_string())),
            Err(e) => PasswordOutcome::Failed(classify::password_unavailable(profile, &e.to_string())),
        }
    }

    /// Returns false when the app should quit.
    pub fn run(&self, effect: Effect) -> bool {
        let tx = self.tx.clone();
        match effect {
            Effect::Quit => return false,
            Effect::TestProfile { job, profile, password } => {
                let demo = self.demo_db.clone();
                tokio::spawn(async move {
                    let _ = crate::core::demo::ensure_for(&profile, &demo).await;
                    let name = profile.name.clone();
                    let report = match Self::password(&tx, &profile, password, Purpose::Test).await {
                        PasswordOutcome::Asked => return,
                        PasswordOutcome::Failed(e) => TestReport::failed_before(&profile, e),
                        PasswordOutcome::Ready(pw) => {
                            let tx2 = tx.clone();
                            let n2 = name.clone();
                            engine::test_connection(&profile, pw.as_ref(), move |step| {
                                let _ = tx2.send(Action::TestStep { job, profile: n2.clone(), step: step.clone() });
                            })
                            .await
                        }
                    };
                    let _ = tx.send(Action::TestFinished { job, profile: name, report: Box::new(report) });
                });
            }
            Effect::Connect { job, profile, password } => {
                let demo = self.demo_db.clone();
                let pools = self.pools.clone();
                tokio::spawn(async move {
                    let name = profile.name.clone();
                    if let Err(e) = crate::core::demo::ensure_for(&profile, &demo).await {
                        let err = classify::ConnectError::new(
                            classify::FailureClass::Other,
                            format!("cannot create the demo database at {}: {e}", demo.display()),
                            "check that the data directory is writable",
                        );
                        let _ = tx.send(Action::Connected { job, profile: name, result: Err(err) });
                        return;
                    }
                    let pw = match Self::password(&tx, &profile, password, Purpose::Connect).await {
                        PasswordOutcome::Asked => return,
                        PasswordOutcome::Failed(e) => {
                            let _ = tx.send(Action::Connected { job, profile: name, result: Err(e) });
                            return;
                        }
                        PasswordOutcome::Ready(pw) => pw,
                    };
                    let result = engine::connect_pool(&profile, pw.as_ref()).await;
                    let result = match result {
                        Ok(pool) => {
                            let engine = pool.engine();
                            if let Ok(mut map) = pools.lock()
                                && let Some(old) = map.insert(name.clone(), pool)
                            {
                                tokio::spawn(async move { old.close().await });
                            }
                            Ok(format!("connected to {} ({engine})", profile.target()))
                        }
                        Err(e) => Err(e),
                    };
                    let _ = tx.send(Action::Connected { job, profile: name, result });
                });
            }
            Effect::SaveProfile { profile, replacing } => {
                let path = self.profiles_file.clone();
                tokio::task::spawn_blocking(move || {
                    let result = profile::file::save_profile(&path, &profile, replacing.as_deref())
                        .map(|_| format!("saved profile `{}` to {}", profile.name, path.display()))
                        .map_err(|e| e.to_string());
                    let _ = tx.send(Action::Saved { result });
                    let _ = tx.send(Action::ProfilesLoaded(Box::new(profile::file::load(&path))));
                });
            }
            Effect::RemoveProfile { name } => {
                let path = self.profiles_file.clone();
                tokio::task::spawn_blocking(move || {
                    let result = profile::file::remove_profile(&path, &name)
                        .map(|_| format!("deleted profile `{name}`"))
                        .map_err(|e| e.to_string());
                    let _ = tx.send(Action::Saved { result });
                    let _ = tx.send(Action::ProfilesLoaded(Box::new(profile::file::load(&path))));
                });
            }
            Effect::ReloadProfiles => {
                let path = self.profiles_file.clone();
                tokio::task::spawn_blocking(move || {
                    let _ = tx.send(Action::ProfilesLoaded(Box::new(profile::file::load(&path))));
                });
            }
            Effect::LoadCatalog { job, profile } => {
                let pool = self.pools.lock().ok().and_then(|m| m.get(&profile.name).cloned());
                let jobs = self.jobs.clone();
                let handle = tokio::spawn(async move {
                    let started = std::time::Instant::now();
                    let name = profile.name.clone();
                    let result = match pool {
                        None => Err("not connected: connect the profile first".to_string()),
                        Some(pool) => {
                            let database = profile
                                .path
                                .as_ref()
                                .map(|p| p.display().to_string())
                                .or(profile.database.clone())
                                .unwrap_or_default();
                            let tx2 = tx.clone();
                            crate::core::catalog::introspect(
                                &pool,
                                &database,
                                profile.database.as_deref(),
                                move |stage| {
                                    let _ = tx2.send(Action::CatalogStage { job, stage: stage.to_string() });
                                },
                            )
                            .await
                            .map(Box::new)
                            .map_err(|e| e.to_string())
                        }
                    };
                    if let Ok(mut j) = jobs.lock() {
                        j.remove(&job);
                    }
                    let _ = tx.send(Action::CatalogLoaded { job, profile: name, result, elapsed: started.elapsed() });
                });
                if let Ok(mut j) = self.jobs.lock() {
                    j.insert(job, handle.abort_handle());
                }
            }
            Effect::CountRows { job, profile, schema, table } => {
                let pool = self.pools.lock().ok().and_then(|m| m.get(&profile).cloned());
                let jobs = self.jobs.clone();
                let handle = tokio::spawn(async move {
                    let started = std::time::Instant::now();
                    let result = match pool {
                        None => Err("not connected".to_string()),
                        Some(pool) => {
                            crate::core::catalog::count_rows(&pool, &schema, &table).await.map_err(|e| e.to_string())
                        }
                    };
                    if let Ok(mut j) = jobs.lock() {
                        j.remove(&job);
                    }
                    let result = result.map(|n| (n, started.elapsed().as_secs_f64() * 1000.0));
                    let _ = tx.send(Action::RowCount { job, schema, table, result });
                });
                if let Ok(mut j) = self.jobs.lock() {
                    j.insert(job, handle.abort_handle());
                }
            }
            Effect::PlanMigrations { job, profile } => {
                let pool = self.pools.lock().ok().and_then(|m| m.get(&profile.name).cloned());
                tokio::spawn(async move {
                    let name = profile.name.clone();
                    let result = async {
                        let pool = pool.ok_or("not connected: connect the profile first".to_string())?;
                        let dir = migrate::folder_for(&profile, None);
                        let folder = migrate::load(&dir, profile.engine).map_err(|e| e.to_string())?;
                        let plan = migrate::status(&pool, &folder).await.map_err(|e| e.to_string())?;
                        let findings = migrate::lint_pending(&pool, &folder, &plan).await.map_err(|e| e.to_string())?;
                        Ok::<_, String>(Box::new(Planned { folder, plan, findings }))
                    }
                    .await;
                    let _ = tx.send(Action::MigrationsPlanned { job, profile: name, result });
                });
            }
            Effect::RunMigrations { job, profile, kind } => {
                let pool = self.pools.lock().ok().and_then(|m| m.get(&profile.name).cloned());
                tokio::spawn(async move {
                    let tx2 = tx.clone();
                    let mut on_event = move |event: migrate::Event| {
                        let _ = tx2.send(Action::MigrationEvent { job, event });
                    };
                    let result = async {
                        let pool = pool.ok_or("not connected: connect the profile first".to_string())?;
                        let dir = migrate::folder_for(&profile, None);
                        let folder = migrate::load(&dir, profile.engine).map_err(|e| e.to_string())?;
                        let report = match kind {
                            RunKind::Apply | RunKind::DryRun => {
                                let opts = migrate::Options { dry_run: kind == RunKind::DryRun, ..Default::default() };
                                migrate::apply(&pool, &folder, &opts, &mut on_event).await
                            }
                            RunKind::Revert => migrate::revert(&pool, &folder, 1, false, &mut on_event).await,
                        };
                        report.map(Box::new).map_err(|e| e.to_string())
                    }
                    .await;
                    let _ = tx.send(Action::MigrationsRan { job, result });
                });
            }
            Effect::DiffMigrations { job, from, from_password, to } => {
                let pools = self.pools.lock().ok().map(|m| (m.get(&from.name).cloned(), m.get(&to.name).cloned()));
                tokio::spawn(async move {
                    let result = diff_into_folder(pools.unwrap_or((None, None)), from, from_password, to).await;
                    let _ = tx.send(Action::MigrationDiffWritten { job, result });
                });
            }
            Effect::Cancel { job } => {
                if let Some(h) = self.jobs.lock().ok().and_then(|mut j| j.remove(&job)) {
                    h.abort();
                }
            }
            Effect::RunQuery { job, profile, statements, cap } => {
                let pool = self.pools.lock().ok().and_then(|m| m.get(&profile).cloned());
                let Some(pool) = pool else {
                    let _ = tx.send(Action::QueryFailed {
                        job,
                        index: 0,
                        statement: None,
                        error: crate::core::query::QueryError::other("not connected: connect the profile first"),
                    });
                    let _ = tx.send(Action::QueryFinished { job, txn: crate::core::query::TxnState::Idle });
                    return true;
                };
                if let Ok(mut q) = self.query.lock() {
                    if q.as_ref().is_none_or(|h| h.profile != profile) {
                        *q = Some(crate::tui::query_jobs::QueryHandle::start(
                            profile,
                            pool,
                            tx.clone(),
                            self.store.clone(),
                            self.state_db.clone(),
                        ));
                    }
                    if let Some(h) = q.as_ref() {
                        h.run(job, statements, cap);
                    }
                }
            }
            Effect::PlanTransfer { job, from, to, to_password } => {
                let pools = self.pools.clone();
                tokio::spawn(async move {
                    let result = async {
                        let src = pool_of(&pools, &from, None).await?;
                        let dst = pool_of(&pools, &to, to_password).await?;
                        let schema = if to.engine == crate::core::profile::Engine::Postgres { "public" } else { "" };
                        let database = from
                            .path
                            .as_ref()
                            .map(|p| p.display().to_string())
                            .or(from.database.clone())
                            .unwrap_or_default();
                        let only =
                            from.database.as_deref().filter(|_| from.engine == crate::core::profile::Engine::Mysql);
                        drop(dst);
                        crate::core::transfer::make_plan(
                            &src,
                            &database,
                            only,
                            &from.name,
                            &to.name,
                            to.engine,
                            schema,
                            &[],
                        )
                        .await
                        .map(Box::new)
                        .map_err(|e| e.to_string())
                    }
                    .await;
                    let _ = tx.send(Action::TransferPlanned { job, result });
                });
            }
            Effect::RunTransfer { job, plan, from, to, to_password } => {
                let pools = self.pools.clone();
                let store = self.store.clone();
                let state_db = self.state_db.clone();
                tokio::spawn(async move {
                    let result = async {
                        let src = pool_of(&pools, &from, None).await?;
                        let dst = pool_of(&pools, &to, to_password).await?;
                        let store = store
                            .get_or_init(|| async { crate::core::store::Store::open(&state_db).await.ok() })
                            .await
                            .clone()
                            .ok_or_else(|| format!("the state store {} cannot be opened", state_db.display()))?;
                        let tx2 = tx.clone();
                        let on_event: Arc<dyn Fn(crate::core::transfer::Event) + Send + Sync> =
                            Arc::new(move |event| {
                                let _ = tx2.send(Action::TransferEvent { job, event });
                            });
                        let places = format!("{} → {}", from.target(), to.target());
                        let mut plan = plan;
                        if std::path::Path::new(&plan.rejects).is_relative()
                            && let Some(data) = state_db.parent()
                        {
                            plan.rejects = data.join(&plan.rejects).display().to_string();
                        }
                        let opts = crate::core::transfer::RunOptions { resume: true, restart: false, places };
                        crate::core::transfer::run(&plan, transfer_source(&from, &src), &dst, &store, &opts, on_event)
                            .await
                            .map(Box::new)
                            .map_err(|e| e.to_string())
                    }
                    .await;
                    let _ = tx.send(Action::TransferRan { job, result });
                });
            }
            Effect::VerifyTransfer { job, plan, from, to, to_password } => {
                let pools = self.pools.clone();
                tokio::spawn(async move {
                    let result = async {
                        let src = pool_of(&pools, &from, None).await?;
                        let dst = pool_of(&pools, &to, to_password).await?;
                        crate::core::transfer::verify::verify(&plan, &transfer_source(&from, &src), &dst).await
                    }
                    .await;
                    let _ = tx.send(Action::TransferVerified { job, result });
                });
            }
            Effect::ApplyEdits { job, profile, plans } => {
                let ok = self
                    .query
                    .lock()
                    .ok()
                    .and_then(|q| q.as_ref().filter(|h| h.profile == profile).map(|h| h.apply(job, plans)))
                    .unwrap_or(false);
                if !ok {
                    let e = crate::core::query::QueryError::other("the query session is gone: run the query again");
                    let _ = tx.send(Action::EditsApplied { job, result: Err((0, e)) });
                }
            }
            Effect::QueryMore(more) => {
                if let Some(h) = self.query.lock().ok().as_ref().and_then(|q| q.as_ref()) {
                    h.more(more);
                }
            }
            Effect::CancelQuery => {
                if let Some(h) = self.query.lock().ok().as_ref().and_then(|q| q.as_ref()) {
                    h.cancel();
                }
            }
            Effect::Export { columns, rows, format, path, engine, table } => {
                tokio::task::spawn_blocking(move || {
                    let result = crate::tui::query_jobs::export(columns, rows, format, path.clone(), engine, table)
                        .map(|n| (path, n));
                    let _ = tx.send(Action::Exported(result));
                });
            }
            Effect::Copy(text) => {
                use std::io::Write;
                let mut out = std::io::stdout();
                let _ = crossterm::execute!(out, crossterm::clipboard::CopyToClipboard::to_clipboard_from(text));
                let _ = out.flush();
            }
            Effect::LoadHistory { profile, filter } => {
                let store = self.store.clone();
                let state_db = self.state_db.clone();
                tokio::spawn(async move {
                    let store = store
                        .get_or_init(|| async { crate::core::store::Store::open(&state_db).await.ok() })
                        .await
                        .clone();
                    let result = match store {
                        Some(s) => s.history(&profile, &filter, 500).await.map_err(|e| e.to_string()),
                        None => Err(format!("the state store {} cannot be opened", state_db.display())),
                    };
                    let _ = tx.send(Action::HistoryLoaded(result));
                });
            }
            Effect::ReadFile(path) => {
                tokio::task::spawn_blocking(move || {
                    let result = std::fs::read(&path)
                        .map_err(|e| e.to_string())
                        .and_then(|b| String::from_utf8(b).map_err(|_| "not UTF-8 text: not opened".to_string()));
                    let _ = tx.send(Action::FileOpened { path, result });
                });
            }
            Effect::WriteFile { tab, path, text } => {
                tokio::task::spawn_blocking(move || {
                    let mut body = text.clone();
                    if !body.ends_with('\n') {
                        body.push('\n');
                    }
                    let result = std::fs::write(&path, body).map_err(|e| e.to_string());
                    let _ = tx.send(Action::FileSaved { tab, path, text, result });
                });
            }
            Effect::Discover => {
                tokio::task::spawn_blocking(move || {
                    let env = std::env::vars().collect();
                    let _ = tx.send(Action::Discovered(profile::import::discover(&env)));
                });
            }
        }
        true
    }
}

/// A SQLite source is read through SQLite's C API; others through their pool.
fn transfer_source(p: &Profile, pool: &DbPool) -> crate::core::transfer::Source {
    match (&p.engine, &p.path) {
        (crate::core::profile::Engine::Sqlite, Some(path)) => crate::core::transfer::Source::Sqlite(path.clone()),
        _ => crate::core::transfer::Source::Pool(pool.clone()),
    }
}

/// The open pool of a profile, or a new one (its password resolved, or the one typed in this session).
async fn pool_of(
    pools: &Arc<Mutex<HashMap<String, DbPool>>>,
    p: &Profile,
    password: Option<SecretString>,
) -> Result<DbPool, String> {
    if let Some(pool) = pools.lock().ok().and_then(|m| m.get(&p.name).cloned()) {
        return Ok(pool);
    }
    let prof = p.clone();
    let resolved = tokio::task::spawn_blocking(move || password::resolve(&prof, password.as_ref()))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let pw = match resolved {
        Resolved::Password(pw) => Some(pw),
        Resolved::NoPassword { .. } => None,
        Resolved::MustAsk { .. } => {
            return Err(format!("`{}` needs a password: connect it once in the Profiles pane, then try again", p.name));
        }
    };
    let pool = engine::connect_pool(p, pw.as_ref()).await.map_err(|e| e.message)?;
    if let Ok(mut m) = pools.lock() {
        m.insert(p.name.clone(), pool.clone());
    }
    Ok(pool)
}

/// Reads both schemas and writes the migration that gives `to` the schema of `from` into `to`'s folder.
async fn diff_into_folder(
    pools: (Option<DbPool>, Option<DbPool>),
    from: Box<Profile>,
    from_password: Option<SecretString>,
    to: Box<Profile>,
) -> Result<Option<(PathBuf, Vec<String>)>, String> {
    let (from_pool, to_pool) = pools;
    let to_pool = to_pool.ok_or("not connected: connect the profile first".to_string())?;
    let from_pool = match from_pool {
        Some(p) => p,
        None => {
            let f = from.clone();
            let resolved = tokio::task::spawn_blocking(move || password::resolve(&f, from_password.as_ref()))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
            let pw = match resolved {
                Resolved::Password(pw) => Some(pw),
                Resolved::NoPassword { .. } => None,
                Resolved::MustAsk { .. } => {
                    return Err(format!(
                        "`{}` needs a password: connect it once in the Profiles pane, then diff again",
                        from.name
                    ));
                }
            };
            engine::connect_pool(&from, pw.as_ref()).await.map_err(|e| e.message)?
        }
    };
    async fn read(pool: DbPool, p: &Profile) -> Result<crate::core::catalog::Catalog, String> {
        let database = p.path.as_ref().map(|x| x.display().to_string()).or(p.database.clone()).unwrap_or_default();
        let mut c = crate::core::catalog::introspect(&pool, &database, p.database.as_deref(), |_| {})
            .await
            .map_err(|e| e.to_string())?;
        for s in c.schemas.iter_mut() {
            s.tables.retain(|t| t.name != migrate::state::TABLE);
        }
        Ok(c)
    }
    let desired = read(from_pool, &from).await?;
    let current = read(to_pool, &to).await?;
    let script = crate::core::catalog::diff::migration(&desired, &current);
    if script.is_empty() {
        return Ok(None);
    }
    let dir = migrate::folder_for(&to, None);
    let folder = if dir.exists() {
        migrate::load(&dir, to.engine).map_err(|e| e.to_string())?
    } else {
        migrate::Folder { dir: dir.clone(), ..Default::default() }
    };
    let version = migrate::next_version(&folder);
    let header = format!("{} → {}: generated by dbconsole's migrations pane", from.name, to.name);
    let path = migrate::write_new(&dir, version, &format!("match {}", from.name), &script.sql(&header))
        .map_err(|e| e.to_string())?;
    Ok(Some((path, script.notes)))
}
