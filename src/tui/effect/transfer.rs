//! Transfer jobs: plan toward another profile, run (checkpointed: a cancelled run resumes where it stopped), verify.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use secrecy::SecretString;

use super::Runner;
use crate::core::engine::DbPool;
use crate::core::engine::open::{self, OpenError};
use crate::core::profile::Profile;
use crate::core::transfer;
use crate::tui::action::{Action, JobId, TransferMsg};

/// The open pool of a profile, or a new one (its password resolved, or the one typed in this session).
pub(super) async fn pool_of(
    pools: &Arc<Mutex<HashMap<String, DbPool>>>,
    p: &Profile,
    password: Option<SecretString>,
) -> Result<DbPool, String> {
    if let Some(pool) = pools.lock().ok().and_then(|m| m.get(&p.name).cloned()) {
        return Ok(pool);
    }
    let pool = open::open(p, password).await.map_err(|e| match e {
        OpenError::MustAsk { .. } => {
            format!("`{}` needs a password: connect it once in the Profiles pane, then try again", p.name)
        }
        OpenError::Failed(e) => e.message,
    })?;
    if let Ok(mut m) = pools.lock() {
        m.insert(p.name.clone(), pool.clone());
    }
    Ok(pool)
}

/// The pools of a transfer's two sides (the source's password was typed when it was connected).
async fn endpoints(
    pools: &Arc<Mutex<HashMap<String, DbPool>>>,
    from: &Profile,
    to: &Profile,
    to_password: Option<SecretString>,
) -> Result<(DbPool, DbPool), String> {
    // Both sides' direct connections when they have one: a transfer holds sessions.
    Ok((
        pool_of(pools, &from.session_profile(), from.session_password(None)).await?,
        pool_of(pools, &to.session_profile(), to.session_password(to_password.as_ref())).await?,
    ))
}

pub(super) fn plan(r: &Runner, job: JobId, from: Profile, to: Profile, to_password: Option<SecretString>) {
    let (tx, pools) = (r.tx.clone(), r.pools.clone());
    r.spawn_job(job, async move {
        let result = async {
            // The target is opened now too, so that a wrong password shows before the plan is read.
            let (src, _) = endpoints(&pools, &from, &to, to_password).await?;
            transfer::plan_between(&from, &src, &to, (&from.name, &to.name), &[], None)
                .await
                .map(Box::new)
                .map_err(|e| e.to_string())
        }
        .await;
        let _ = tx.send(Action::Transfer(TransferMsg::Planned { job, result }));
    });
}

pub(super) fn run(
    r: &Runner,
    job: JobId,
    mut plan: transfer::Plan,
    from: Profile,
    to: Profile,
    to_password: Option<SecretString>,
) {
    let (tx, pools) = (r.tx.clone(), r.pools.clone());
    let (store, state_db) = r.store();
    r.spawn_job(job, async move {
        let result = async {
            let (src, dst) = endpoints(&pools, &from, &to, to_password).await?;
            let store = store
                .get_or_init(|| async { crate::core::store::Store::open(&state_db).await.ok() })
                .await
                .clone()
                .ok_or_else(|| format!("the state store {} cannot be opened", state_db.display()))?;
            let tx2 = tx.clone();
            let on_event: Arc<dyn Fn(transfer::Event) + Send + Sync> = Arc::new(move |event| {
                let _ = tx2.send(Action::Transfer(TransferMsg::Event { job, event }));
            });
            if std::path::Path::new(&plan.rejects).is_relative()
                && let Some(data) = state_db.parent()
            {
                plan.rejects = data.join(&plan.rejects).display().to_string();
            }
            let places = format!("{} → {}", from.target(), to.target());
            let opts = transfer::RunOptions { resume: true, restart: false, places };
            transfer::run(&plan, transfer::source_for(&from, &src), &dst, &store, &opts, on_event)
                .await
                .map(Box::new)
                .map_err(|e| e.to_string())
        }
        .await;
        let _ = tx.send(Action::Transfer(TransferMsg::Ran { job, result }));
    });
}

pub(super) fn verify(
    r: &Runner,
    job: JobId,
    plan: transfer::Plan,
    from: Profile,
    to: Profile,
    to_password: Option<SecretString>,
) {
    let (tx, pools) = (r.tx.clone(), r.pools.clone());
    r.spawn_job(job, async move {
        let result = async {
            let (src, dst) = endpoints(&pools, &from, &to, to_password).await?;
            transfer::verify::verify(&plan, &transfer::source_for(&from, &src), &dst).await
        }
        .await;
        let _ = tx.send(Action::Transfer(TransferMsg::Verified { job, result }));
    });
}
