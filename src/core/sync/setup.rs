//! Creating a link (what it creates on each side, shown before it is done; capture installed before the initial
//! copy so that nothing written during the copy is lost) and removing one.
use std::sync::Arc;

use super::capture::{self, CapturedColumn};
use super::log;
use super::{Link, Policy, Side, SyncError, state};
use crate::core::catalog::{Catalog, TableKind};
use crate::core::profile::Engine;
use crate::core::store::Store;
use crate::core::transfer::{self, Event, Existing, Mode, OnError, Plan, RunOptions};

/// What `sync add` will do, for the user to read before it is done.
#[derive(Debug, Clone)]
pub struct Setup {
    pub link: Link,
    /// (what, SQL) on the source, then on the target.
    pub on_source: Vec<(String, String)>,
    pub on_target: Vec<(String, String)>,
    /// Tables the initial copy creates and fills on the target.
    pub copy: Vec<String>,
    /// Tables already on the target: adopted if the transfer's verify finds them equal to the source.
    pub adopt: Vec<String>,
    /// What the user should know (why native replication is not used, …).
    pub notes: Vec<String>,
}

impl Setup {
    pub fn describe(&self) -> String {
        let l = &self.link;
        let mut s = format!(
            "sync link {}: {} {} {} ({}), tables: {}\n",
            l.name,
            l.source,
            if l.two_way { "<->" } else { "->" },
            l.target,
            if l.two_way {
                format!("two-way, conflicts: {}", l.policy.as_str())
            } else if l.native {
                "one-way, PostgreSQL logical replication".into()
            } else {
                "one-way".into()
            },
            l.tables.join(", ")
        );
        s.push_str(&format!("on {} (source):\n", l.source));
        for (what, _) in &self.on_source {
            s.push_str(&format!("  create {what}\n"));
        }
        s.push_str(&format!("on {} (target):\n", l.target));
        for (what, _) in &self.on_target {
            s.push_str(&format!("  create {what}\n"));
        }
        if !self.copy.is_empty() {
            s.push_str(&format!("  create and copy tables: {}\n", self.copy.join(", ")));
        }
        if !self.adopt.is_empty() {
            s.push_str(&format!("  adopt existing tables if they match the source: {}\n", self.adopt.join(", ")));
        }
        for t in self.link.plan_fwd.tables.iter().filter(|t| !t.filter.is_empty()) {
            s.push_str(&format!(
                "  rows of {} where {} (rows that stop matching leave the target)\n",
                t.source, t.filter
            ));
        }
        for n in &self.notes {
            s.push_str(&format!("note: {n}\n"));
        }
        s
    }
}

pub(super) fn captured_columns(plan: &Plan, tbl: &str, cat: &Catalog) -> Vec<CapturedColumn> {
    let Some(t) = plan.tables.iter().find(|t| t.source == tbl) else { return Vec::new() };
    let table = cat.schemas.iter().flat_map(|s| &s.tables).find(|x| x.name == tbl);
    t.columns
        .iter()
        .map(|c| {
            let ty = table
                .and_then(|x| x.columns.iter().find(|k| k.name == c.source))
                .map(|k| k.data_type.to_ascii_lowercase())
                .unwrap_or_else(|| c.source_type.to_ascii_lowercase());
            CapturedColumn {
                name: c.source.clone(),
                binary: super::apply::is_binary(plan.source_engine, &ty),
                bit: plan.source_engine == Engine::Mysql && ty.starts_with("bit"),
            }
        })
        .collect()
}

/// The tables a link may take from a catalog: base tables, not the sync's own or the migrations'.
fn candidate_tables(cat: &Catalog) -> Vec<&crate::core::catalog::Table> {
    cat.schemas
        .iter()
        .flat_map(|s| &s.tables)
        .filter(|t| t.kind == TableKind::Table)
        .filter(|t| !capture::is_own(&t.name) && t.name != crate::core::migrate::state::TABLE)
        .collect()
}

/// Reads the source and the target and says what the link will create. Nothing is written.
/// How a new link is asked for.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// Tables to sync (empty: every table with a primary key).
    pub tables: &'a [String],
    pub two_way: bool,
    pub policy: Policy,
    /// Where the initial copy writes rows the target refuses.
    pub rejects: &'a str,
    /// PostgreSQL to PostgreSQL: triggers rather than the servers' logical replication.
    pub triggers: bool,
    /// Row filters (table, a WHERE condition on the source): only the rows that match are copied and kept in
    /// step; a row that stops matching is removed from the target (one-way links).
    pub filters: &'a [(String, String)],
}

pub async fn prepare(name: &str, a: &Side, b: &Side, o: Options<'_>) -> Result<Setup, SyncError> {
    let Options { tables, two_way, policy, rejects, triggers, filters } = o;
    if !filters.is_empty() && two_way {
        return Err(SyncError::Refused(
            "row filters are for one-way links (a row the target adds could not be held to the source's filter)".into(),
        ));
    }
    for (t, f) in filters {
        crate::core::query::browse::check_filter(f, a.engine())
            .map_err(|e| SyncError::Refused(format!("filter for {t}: {e}")))?;
    }
    if name.trim().is_empty() || name.len() > 100 || name.chars().any(|c| c.is_control()) {
        return Err(SyncError::Refused("a link name is 1 to 100 characters, without control characters".into()));
    }
    if a.engine() == Engine::Sqlite && b.engine() == Engine::Sqlite && a.profile.path == b.profile.path {
        return Err(SyncError::Refused("the source and the target are the same SQLite file".into()));
    }
    if a.profile.read_only || (b.profile.read_only) {
        return Err(SyncError::Refused(format!(
            "{} is read-only: a sync writes triggers and a change log on the source and rows on the target",
            if a.profile.read_only { &a.label } else { &b.label }
        )));
    }
    let cat = crate::core::catalog::introspect(&a.pool, &a.profile.database_name(), a.profile.only_schema(), |_| {})
        .await
        .map_err(|e| a.err(e))?;
    let candidates = candidate_tables(&cat);
    let chosen: Vec<&crate::core::catalog::Table> = if tables.is_empty() {
        candidates.clone()
    } else {
        let mut out = Vec::new();
        for t in tables {
            match candidates.iter().find(|c| &c.name == t) {
                Some(c) => out.push(*c),
                None => return Err(SyncError::Refused(format!("no table {t:?} in {}", a.label))),
            }
        }
        out
    };
    if chosen.is_empty() {
        return Err(SyncError::Refused(format!("{} has no tables to sync", a.label)));
    }
    let no_key: Vec<&str> = chosen
        .iter()
        .filter(|t| t.primary_key.as_ref().is_none_or(|k| k.columns.is_empty()))
        .map(|t| t.name.as_str())
        .collect();
    if !no_key.is_empty() {
        return Err(SyncError::Refused(format!(
            "a table without a primary key cannot be synced (a change could not name its row): {}; add a primary \
             key or leave the table out with --tables",
            no_key.join(", ")
        )));
    }
    let names: Vec<String> = chosen.iter().map(|t| t.name.clone()).collect();
    let mut plan = transfer::plan_between(&a.profile, &a.pool, &b.profile, (&a.label, &b.label), &names, None)
        .await
        .map_err(|e| a.err(e))?;
    plan.mode = Mode::SchemaAndData;
    plan.existing = Existing::Fail;
    plan.on_error = OnError::Stop;
    plan.rejects = rejects.to_string();
    for t in &plan.tables {
        let pk =
            chosen.iter().find(|c| c.name == t.source).and_then(|c| c.primary_key.as_ref()).map(|k| k.columns.clone());
        if pk.as_ref() != Some(&t.key) {
            return Err(SyncError::Refused(format!(
                "{}: its primary key cannot be used as the target's key ({})",
                t.source,
                t.notes.join("; ")
            )));
        }
    }
    for (t, f) in filters {
        match plan.tables.iter_mut().find(|x| &x.source == t) {
            Some(x) => x.filter = f.clone(),
            None => return Err(SyncError::Refused(format!("filter for {t}: the link has no such table"))),
        }
    }
    let mut copy = Vec::new();
    let mut adopt = Vec::new();
    for t in &plan.tables {
        match transfer::target_table(&plan, &b.pool, &t.target).await.map_err(|e| b.err(e))? {
            Some(_) => adopt.push(t.source.clone()),
            None => copy.push(t.source.clone()),
        }
    }
    let src_schema = plan.tables.first().map(|t| t.source_schema.clone()).unwrap_or_default();
    let src_schema = if a.engine() == Engine::Postgres { src_schema } else { String::new() };
    let tgt_schema = if b.engine() == Engine::Postgres { plan.target_schema.clone() } else { String::new() };
    let mut on_source = capture::log_ddl(a.engine(), &src_schema).map_err(SyncError::Refused)?;
    for t in &names {
        on_source.extend(capture::trigger_ddl(a.engine(), &src_schema, t, &captured_columns(&plan, t, &cat)));
    }
    let mut on_target = if two_way {
        capture::log_ddl(b.engine(), &tgt_schema).map_err(SyncError::Refused)?
    } else {
        capture::target_ddl(b.engine(), &tgt_schema).map_err(SyncError::Refused)?
    };
    if two_way {
        for t in &names {
            // The target's triggers are made once its tables are there (after the copy); columns as planned.
            let cols: Vec<CapturedColumn> = plan
                .tables
                .iter()
                .find(|x| &x.source == t)
                .map(|x| {
                    x.columns
                        .iter()
                        .map(|c| CapturedColumn {
                            name: c.target.clone(),
                            binary: super::apply::is_binary(b.engine(), &c.target_type),
                            bit: false,
                        })
                        .collect()
                })
                .unwrap_or_default();
            on_target.extend(capture::trigger_ddl(b.engine(), &tgt_schema, t, &cols));
        }
    }
    // Both ends PostgreSQL, one-way: the servers' own logical replication, unless triggers were asked for or the
    // servers cannot.
    let mut notes = Vec::new();
    let mut native = false;
    if !two_way && !triggers && filters.is_empty() && a.engine() == Engine::Postgres && b.engine() == Engine::Postgres {
        match super::native::usable(a, b).await {
            Ok(()) if !adopt.is_empty() => notes.push(format!(
                "trigger capture, not PostgreSQL's logical replication: {} already on {} (a subscription copies \
                 every row; triggers adopt a table equal to the source)",
                adopt.join(", "),
                b.label
            )),
            Ok(()) => native = true,
            Err(why) => notes.push(format!("trigger capture, not PostgreSQL's logical replication: {why}")),
        }
    }
    if native {
        let (src, dst) = super::native::describe(name, &names);
        on_source = src;
        on_target = dst;
        notes.push(format!(
            "{} connects to {} at {}:{} itself: that address must work from the target server",
            b.label,
            a.label,
            a.profile.session_profile().host,
            a.profile.session_profile().port
        ));
    }
    let link = Link {
        name: name.to_string(),
        source: a.label.clone(),
        target: b.label.clone(),
        tables: names,
        two_way,
        policy,
        native,
        state: "creating".into(),
        plan_fwd: plan,
        plan_back: None,
        created_at: String::new(),
    };
    Ok(Setup { link, on_source, on_target, copy, adopt, notes })
}

async fn exec_all(side: &Side, stmts: &[(String, String)]) -> Result<(), SyncError> {
    for (what, sql) in stmts {
        transfer::exec(&side.pool, sql).await.map_err(|e| side.err(format!("creating {what}: {e}")))?;
    }
    check_owner(side).await
}

/// PostgreSQL: the sync's tables made with IF NOT EXISTS must be this role's. Ones another role made first would
/// let that role read every captured row or feed the runner changes of its own.
async fn check_owner(side: &Side) -> Result<(), SyncError> {
    let crate::core::engine::DbPool::Postgres(p) = &side.pool else { return Ok(()) };
    let foreign: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.relname::text, pg_get_userbyid(c.relowner)::text FROM pg_class c \
         WHERE c.relname LIKE '\\_dbconsole\\_%' AND c.relkind = 'r' AND pg_has_role(c.relowner, 'USAGE') = false",
    )
    .fetch_all(p)
    .await
    .map_err(|e| side.err(e))?;
    match foreign.first() {
        None => Ok(()),
        Some((t, owner)) => Err(SyncError::Refused(format!(
            "{}: {t} belongs to role {owner}, not to this one: the sync does not use tables another role made \
             (drop it, or connect as {owner})",
            side.label
        ))),
    }
}

/// Creates the link: records it, installs capture on the source, copies (or adopts) the tables, then (two-way)
/// installs capture on the target and plans the way back. On failure the link stays recorded in state `error`
/// with the reason; `sync remove` takes away what was made.
pub async fn create(
    setup: &Setup,
    a: &Side,
    b: &Side,
    store: &Store,
    on_event: Arc<dyn Fn(Event) + Send + Sync>,
) -> Result<Link, SyncError> {
    if state::link(store, &setup.link.name).await?.is_some() {
        return Err(SyncError::Refused(format!("a sync link named {} exists", setup.link.name)));
    }
    state::add_link(store, &setup.link).await?;
    let r = create_inner(setup, a, b, store, on_event).await;
    match &r {
        Ok(_) => {
            state::set_state(store, &setup.link.name, "active").await?;
            state::event(store, &setup.link.name, "created", &setup.describe()).await?;
        }
        Err(e) => {
            state::set_state(store, &setup.link.name, "error").await?;
            state::record_error(store, &setup.link.name, &format!("creating the link: {e}"), None).await?;
        }
    }
    r?;
    state::link(store, &setup.link.name).await?.ok_or_else(|| SyncError::NoLink(setup.link.name.clone()))
}

async fn create_inner(
    setup: &Setup,
    a: &Side,
    b: &Side,
    store: &Store,
    on_event: Arc<dyn Fn(Event) + Send + Sync>,
) -> Result<(), SyncError> {
    let link = &setup.link;
    if link.native {
        return super::native::create(link, a, b).await;
    }
    let (sa, sb) = (link.source_schema(), link.target_schema());
    // The log first, then where it ends, then the triggers: every change after that point is in the log.
    let (log_part, triggers): (Vec<_>, Vec<_>) =
        setup.on_source.iter().cloned().partition(|(what, _)| !what.starts_with("trigger "));
    exec_all(a, &log_part).await?;
    let start = log::max_seq(&a.pool, &sa).await.map_err(|e| a.err(e))?;
    exec_all(a, &triggers).await?;
    let (tlog, ttriggers): (Vec<_>, Vec<_>) =
        setup.on_target.iter().cloned().partition(|(what, _)| !what.starts_with("trigger "));
    exec_all(b, &tlog).await?;
    transfer::exec(
        &b.pool,
        &log::store_position_sql(b.engine(), &sb, &link.name, "fwd", "", &log::Position { high: start, gaps: vec![] }),
    )
    .await
    .map_err(|e| b.err(e))?;
    log::set_reader(&a.pool, &sa, &link.name, "fwd", &link.tables, start + 1).await.map_err(|e| a.err(e))?;
    // Tables already on the target must equal the source (the changes since `start` are applied after).
    let source = transfer::source_for(&a.profile, &a.pool);
    for name in &setup.adopt {
        let Some(t) = link.plan_fwd.tables.iter().find(|t| &t.source == name) else { continue };
        let check = transfer::verify::verify_table(&link.plan_fwd, t, &source, &b.pool).await.map_err(|e| b.err(e))?;
        if !check.ok {
            return Err(SyncError::Refused(format!(
                "{name} exists on {} and differs from the source ({} rows there, {} here; keys missing there: {}): \
                 drop it there (the link copies it) or make it match, then add the link again",
                b.label,
                check.target_rows,
                check.source_rows,
                if check.missing.is_empty() { "none".into() } else { check.missing.join(", ") }
            )));
        }
    }
    if !setup.copy.is_empty() {
        let mut plan = link.plan_fwd.clone();
        plan.tables.retain(|t| setup.copy.contains(&t.source));
        plan.views.clear();
        let opts = RunOptions {
            resume: false,
            restart: true,
            places: format!("sync {} {} {}", link.name, link.source, link.target),
        };
        let report = transfer::run(&plan, source.clone(), &b.pool, store, &opts, on_event)
            .await
            .map_err(|e| b.err(format!("initial copy: {e}")))?;
        let rejected: u64 = report.tables.iter().map(|t| t.rejected).sum();
        if rejected > 0 {
            return Err(SyncError::Refused(format!(
                "initial copy: {rejected} rows refused by the target (in {}); the link is not started",
                plan.rejects
            )));
        }
    }
    if link.two_way {
        // The target's log was made with the target's bookkeeping above; its triggers now that its tables exist.
        let start_b = log::max_seq(&b.pool, &sb).await.map_err(|e| b.err(e))?;
        exec_all(b, &ttriggers).await?;
        let mut back =
            transfer::plan_between(&b.profile, &b.pool, &a.profile, (&b.label, &a.label), &link.tables, Some(&sa))
                .await
                .map_err(|e| b.err(e))?;
        back.on_error = OnError::Stop;
        state::set_plan_back(store, &link.name, &back).await?;
        // The source needs the positions table for the way back (it is in its log DDL).
        transfer::exec(
            &a.pool,
            &log::store_position_sql(
                a.engine(),
                &sa,
                &link.name,
                "back",
                "",
                &log::Position { high: start_b, gaps: vec![] },
            ),
        )
        .await
        .map_err(|e| a.err(e))?;
        log::set_reader(&b.pool, &sb, &link.name, "back", &link.tables, start_b + 1).await.map_err(|e| b.err(e))?;
    }
    Ok(())
}

/// Takes a link away: its triggers where no other link captures the table, its positions, the change log and
/// bookkeeping tables where no link uses them any more, and its records in the state store.
pub async fn remove(link: &Link, a: &Side, b: &Side, store: &Store) -> Result<Vec<String>, SyncError> {
    if link.native {
        let done = super::native::remove(link, a, b).await?;
        state::remove_link(store, &link.name).await?;
        return Ok(done);
    }
    let mut done = Vec::new();
    let (sa, sb) = (link.source_schema(), link.target_schema());
    unhook(a, &sa, link, "fwd", &mut done).await?;
    forget_positions(b, &sb, link, &mut done).await?;
    if link.two_way {
        unhook(b, &sb, link, "back", &mut done).await?;
        forget_positions(a, &sa, link, &mut done).await?;
    }
    tidy(a, &sa, &mut done).await?;
    tidy(b, &sb, &mut done).await?;
    state::remove_link(store, &link.name).await?;
    Ok(done)
}

async fn count(side: &Side, sql: &str) -> Option<i64> {
    transfer::scalar(&side.pool, sql).await.ok()
}

/// Removes the link as a reader of `side`'s log, and the triggers no other reader needs.
async fn unhook(side: &Side, schema: &str, link: &Link, dir: &str, done: &mut Vec<String>) -> Result<(), SyncError> {
    let e = side.engine();
    let readers = capture::table(e, schema, capture::READERS);
    let lit = |s: &str| crate::core::catalog::quote::literal(e, s);
    let exists = count(side, &format!("SELECT COUNT(*) FROM {readers}")).await.is_some();
    let mut still: Vec<String> = Vec::new();
    if exists {
        transfer::exec(
            &side.pool,
            &format!("DELETE FROM {readers} WHERE link = {} AND dir = {}", lit(&link.name), lit(dir)),
        )
        .await
        .map_err(|er| side.err(er))?;
        let sql = format!("SELECT tables FROM {readers}");
        let rows: Vec<String> = log::on_pool!(&side.pool, p => sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql.clone())).fetch_all(p).await)
            .map_err(|er| side.err(er))?;
        for r in rows {
            still.extend(serde_json::from_str::<Vec<String>>(&r).unwrap_or_default());
        }
    }
    for t in &link.tables {
        if still.contains(t) {
            continue;
        }
        for sql in capture::drop_trigger_ddl(e, schema, t) {
            transfer::exec(&side.pool, &sql).await.map_err(|er| side.err(er))?;
        }
        done.push(format!("{}: dropped the capture triggers of {t}", side.label));
    }
    Ok(())
}

async fn forget_positions(side: &Side, schema: &str, link: &Link, done: &mut Vec<String>) -> Result<(), SyncError> {
    let e = side.engine();
    let positions = capture::table(e, schema, capture::POSITIONS);
    if count(side, &format!("SELECT COUNT(*) FROM {positions}")).await.is_none() {
        return Ok(());
    }
    transfer::exec(
        &side.pool,
        &format!("DELETE FROM {positions} WHERE link = {}", crate::core::catalog::quote::literal(e, &link.name)),
    )
    .await
    .map_err(|er| side.err(er))?;
    done.push(format!("{}: removed the link's positions", side.label));
    Ok(())
}

/// Drops the change log and bookkeeping from a side no link uses any more.
async fn tidy(side: &Side, schema: &str, done: &mut Vec<String>) -> Result<(), SyncError> {
    let e = side.engine();
    let readers = count(side, &format!("SELECT COUNT(*) FROM {}", capture::table(e, schema, capture::READERS))).await;
    let positions =
        count(side, &format!("SELECT COUNT(*) FROM {}", capture::table(e, schema, capture::POSITIONS))).await;
    if readers.unwrap_or(0) > 0 || positions.unwrap_or(0) > 0 || (readers.is_none() && positions.is_none()) {
        return Ok(());
    }
    for sql in capture::drop_log_ddl(e, schema) {
        transfer::exec(&side.pool, &sql).await.map_err(|er| side.err(er))?;
    }
    done.push(format!("{}: dropped the change log and the sync's tables", side.label));
    Ok(())
}
