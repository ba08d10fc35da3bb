//! Profile jobs: connection test, connect (the pool is kept for the other panes), save, delete, reload, import.
use secrecy::SecretString;

use super::Runner;
use crate::core::engine::classify::{ConnectError, FailureClass};
use crate::core::engine::open::{self, OpenError};
use crate::core::engine::{self, TestReport};
use crate::core::profile::{self, Profile};
use crate::tui::action::{Action, JobId, ProfilesMsg, Purpose};

/// `Err(None)`: a password must be asked (the dialog was requested); `Err(Some(e))`: it cannot be had.
async fn password(
    tx: &tokio::sync::mpsc::UnboundedSender<Action>,
    profile: &Profile,
    remembered: Option<SecretString>,
    purpose: Purpose,
) -> Result<Option<SecretString>, Option<ConnectError>> {
    match open::resolve_password(profile, remembered).await {
        Ok(pw) => Ok(pw),
        Err(OpenError::MustAsk { reason }) => {
            let _ =
                tx.send(Action::Profiles(ProfilesMsg::NeedPassword { profile: profile.name.clone(), purpose, reason }));
            Err(None)
        }
        Err(OpenError::Failed(e)) => Err(Some(e)),
    }
}

pub(super) fn test(r: &Runner, job: JobId, profile: Profile, remembered: Option<SecretString>) {
    let (tx, demo) = (r.tx.clone(), r.demo_db.clone());
    r.spawn_job(job, async move {
        let _ = crate::core::demo::ensure_for(&profile, &demo).await;
        let name = profile.name.clone();
        let report = match password(&tx, &profile, remembered, Purpose::Test).await {
            Err(None) => return,
            Err(Some(e)) => TestReport::failed_before(&profile, e),
            Ok(pw) => {
                let (tx2, n2) = (tx.clone(), name.clone());
                engine::test_connection(&profile, pw.as_ref(), move |step| {
                    let step = step.clone();
                    let _ = tx2.send(Action::Profiles(ProfilesMsg::TestStep { job, profile: n2.clone(), step }));
                })
                .await
            }
        };
        let _ = tx.send(Action::Profiles(ProfilesMsg::TestFinished { job, profile: name, report: Box::new(report) }));
    });
}

pub(super) fn connect(r: &Runner, job: JobId, profile: Profile, remembered: Option<SecretString>) {
    let (tx, demo, pools) = (r.tx.clone(), r.demo_db.clone(), r.pools.clone());
    r.spawn_job(job, async move {
        let name = profile.name.clone();
        let send = |result| {
            let _ = tx.send(Action::Profiles(ProfilesMsg::Connected { job, profile: name.clone(), result }));
        };
        if let Err(e) = crate::core::demo::ensure_for(&profile, &demo).await {
            return send(Err(ConnectError::new(
                FailureClass::Other,
                format!("cannot create the demo database at {}: {e}", demo.display()),
                "check that the data directory is writable",
            )));
        }
        // The SSH route first: a hop's question (host key, passphrase, password) goes to a dialog, then this runs
        // again.
        if !profile.ssh.is_empty()
            && let Err(e) = crate::core::ssh::tunnel::ensure(&profile, &mut |_| {}, false).await
        {
            match e.ask() {
                Some(ask) => {
                    let _ = tx.send(Action::Profiles(ProfilesMsg::NeedSsh {
                        profile: name.clone(),
                        purpose: Purpose::Connect,
                        ask,
                    }));
                    return;
                }
                None => return send(Err(e.into_connect_error())),
            }
        }
        let pw = match password(&tx, &profile, remembered, Purpose::Connect).await {
            Err(None) => return,
            Err(Some(e)) => return send(Err(e)),
            Ok(pw) => pw,
        };
        let keep = |key: String, pool: crate::core::engine::DbPool| {
            if let Ok(mut map) = pools.lock()
                && let Some(old) = map.insert(key, pool)
            {
                tokio::spawn(async move { old.close().await });
            }
        };
        let result = match engine::connect_pool(&profile, pw.as_ref()).await {
            Err(e) => Err(e),
            Ok(pool) => {
                let engine = pool.engine();
                keep(name.clone(), pool);
                let mut said = format!("connected to {} ({engine})", profile.shown_target());
                // The direct connection beside a pooled URL: opened now, with the same password unless its URL
                // has its own, for migrations and transfers.
                if profile.direct.is_some() {
                    let direct = profile.session_profile();
                    let dpw = profile.session_password(pw.as_ref());
                    match engine::connect_pool(&direct, dpw.as_ref()).await {
                        Ok(dpool) => {
                            keep(direct.name.clone(), dpool);
                            said.push_str(&format!(" · direct {}", direct.target()));
                        }
                        Err(e) => said.push_str(&format!(
                            " · the direct connection ({}) failed: {}; migrations and transfers wait for it",
                            direct.target(),
                            e.message
                        )),
                    }
                }
                Ok(said)
            }
        };
        send(result);
    });
}

pub(super) fn save(r: &Runner, profile: Profile, replacing: Option<String>, create_file: bool) {
    let path = r.profiles_file.clone();
    r.spawn_blocking(move |tx| {
        let created = match profile.path.as_deref().filter(|_| create_file) {
            Some(db) => crate::core::fsutil::create_empty_private(db).map_err(|e| format!("{}: {e}", db.display())),
            None => Ok(false),
        };
        let result = created.and_then(|made| {
            profile::file::save_profile(&path, &profile, replacing.as_deref())
                .map(|_| {
                    let made = profile
                        .path
                        .as_ref()
                        .filter(|_| made)
                        .map_or(String::new(), |p| format!(" and created {} (owner-only)", p.display()));
                    format!("saved profile `{}` to {}{made}", profile.name, path.display())
                })
                .map_err(|e| e.to_string())
        });
        let _ = tx.send(Action::Profiles(ProfilesMsg::Saved { result }));
        let _ = tx.send(Action::Profiles(ProfilesMsg::Loaded(Box::new(profile::file::load(&path)))));
    });
}

pub(super) fn remove(r: &Runner, name: String) {
    let path = r.profiles_file.clone();
    r.spawn_blocking(move |tx| {
        let result = profile::file::remove_profile(&path, &name)
            .map(|_| format!("deleted profile `{name}`"))
            .map_err(|e| e.to_string());
        let _ = tx.send(Action::Profiles(ProfilesMsg::Saved { result }));
        let _ = tx.send(Action::Profiles(ProfilesMsg::Loaded(Box::new(profile::file::load(&path)))));
    });
}

pub(super) fn reload(r: &Runner) {
    let path = r.profiles_file.clone();
    r.spawn_blocking(move |tx| {
        let _ = tx.send(Action::Profiles(ProfilesMsg::Loaded(Box::new(profile::file::load(&path)))));
    });
}

pub(super) fn discover(r: &Runner) {
    r.spawn_blocking(move |tx| {
        let env = std::env::vars().collect();
        let _ = tx.send(Action::Profiles(ProfilesMsg::Discovered(profile::import::discover(&env))));
    });
}
