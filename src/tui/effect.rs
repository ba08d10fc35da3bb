//! Effects: what `App::update` asks the outside world to do. The runner is the only code that spawns tasks or
//! touches files and databases; results come back as Actions.
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use secrecy::SecretString;
use tokio::sync::mpsc::UnboundedSender;

use super::action::{Action, JobId, Purpose};
use crate::core::engine::{self, DbPool, TestReport, classify};
use crate::core::profile::password::{self, Resolved};
use crate::core::profile::{self, Profile};

#[derive(Debug)]
pub enum Effect {
    TestProfile { job: JobId, profile: Box<Profile>, password: Option<SecretString> },
    Connect { job: JobId, profile: Box<Profile>, password: Option<SecretString> },
    SaveProfile { profile: Box<Profile>, replacing: Option<String> },
    RemoveProfile { name: String },
    ReloadProfiles,
    Discover,
    Quit,
}

pub struct Runner {
    tx: UnboundedSender<Action>,
    profiles_file: PathBuf,
    demo_db: PathBuf,
    /// Open pools by profile name. The query, schema and migration panes will use them.
    pub pools: Arc<Mutex<HashMap<String, DbPool>>>,
}

enum PasswordOutcome {
    Ready(Option<SecretString>),
    Asked,
    Failed(classify::ConnectError),
}

impl Runner {
    pub fn new(tx: UnboundedSender<Action>, profiles_file: PathBuf, demo_db: PathBuf) -> Self {
        Runner { tx, profiles_file, demo_db, pools: Arc::new(Mutex::new(HashMap::new())) }
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
                    if profile.path.as_deref() == Some(demo.as_path()) {
                        let _ = crate::core::demo::ensure(&demo).await;
                    }
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
                    if profile.path.as_deref() == Some(demo.as_path())
                        && let Err(e) = crate::core::demo::ensure(&demo).await
                    {
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
