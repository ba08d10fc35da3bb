//! Schema jobs: the catalog of the connected profile, exact row counts.
use super::Runner;
use crate::core::profile::Profile;
use crate::tui::action::{Action, JobId, SchemaMsg};

pub(super) fn load(r: &Runner, job: JobId, profile: Profile) {
    let (tx, pool) = (r.tx.clone(), r.pool(&profile.name));
    r.spawn_job(job, async move {
        let started = std::time::Instant::now();
        let result = match pool {
            None => Err("not connected: connect the profile first".to_string()),
            Some(pool) => {
                let (db, only) = (profile.database_name(), profile.database.clone());
                // Names first: the tree lists them while columns, keys and indexes are read.
                if let Ok(names) = crate::core::catalog::names(&pool, &db, only.as_deref()).await {
                    let _ = tx.send(Action::Schema(SchemaMsg::Names {
                        job,
                        profile: profile.name.clone(),
                        catalog: Box::new(names),
                        elapsed: started.elapsed(),
                    }));
                }
                let tx2 = tx.clone();
                let stage = move |stage: &str| {
                    let _ = tx2.send(Action::Schema(SchemaMsg::Stage { job, stage: stage.to_string() }));
                };
                crate::core::catalog::introspect(&pool, &profile.database_name(), profile.database.as_deref(), stage)
                    .await
                    .map(Box::new)
                    .map_err(|e| e.to_string())
            }
        };
        let elapsed = started.elapsed();
        let _ = tx.send(Action::Schema(SchemaMsg::Loaded { job, profile: profile.name, result, elapsed }));
    });
}

pub(super) fn count(r: &Runner, job: JobId, profile: &str, schema: String, table: String) {
    let (tx, pool) = (r.tx.clone(), r.pool(profile));
    r.spawn_job(job, async move {
        let started = std::time::Instant::now();
        let result = match pool {
            None => Err("not connected".to_string()),
            Some(pool) => crate::core::catalog::count_rows(&pool, &schema, &table).await.map_err(|e| e.to_string()),
        };
        let result = result.map(|n| (n, started.elapsed().as_secs_f64() * 1000.0));
        let _ = tx.send(Action::Schema(SchemaMsg::RowCount { job, schema, table, result }));
    });
}
