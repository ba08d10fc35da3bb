//! Live sync benchmark (issue #16): SQLite → local PostgreSQL, servers as users run them (fsync and
//! synchronous_commit on). Prints one table:
//! - the cost capture adds to a write on the source: the same inserts (one prepared statement, as an application
//!   writes) and updates into a table with the capture triggers and into one without, in transactions of 1,000;
//! - catch-up: CHANGES (default 1,000,000) changes queued while no runner ran, then applied: the rate;
//! - steady state: a writer as fast as it can go (transactions of 500) while the runner runs: changes applied per
//!   second, and whether it kept up;
//! - lag at 2,000 changes/s offered (100 every 50 ms) for 15 s: the time from capture to commit on the target,
//!   p50 / p99 / max.
//!
//!   scripts/bench.sh sync            (CHANGES=100000 for a quick run)
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dbconsole::core::engine::{DbPool, connect_pool};
use dbconsole::core::profile::Profile;
use dbconsole::core::profile::url::parse_url;
use dbconsole::core::store::Store;
use dbconsole::core::sync::runner::{Progress, RunConfig, Runner, SideConfig};
use dbconsole::core::sync::{self, Policy, setup};
use secrecy::SecretString;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run through scripts/bench.sh"))
}

async fn exec(pool: &DbPool, sql: &str) {
    let q = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()));
    match pool {
        DbPool::Postgres(p) => q.execute(p).await.map(|_| ()),
        DbPool::Mysql(p) => q.execute(p).await.map(|_| ()),
        DbPool::Sqlite(p) => q.execute(p).await.map(|_| ()),
        DbPool::Duckdb(_) => unreachable!("no DuckDB in this benchmark"),
    }
    .unwrap_or_else(|e| panic!("{e}: {}", &sql[..sql.len().min(200)]));
}

async fn count(pool: &DbPool, sql: &str) -> i64 {
    let q = || sqlx::AssertSqlSafe(sql.to_string());
    match pool {
        DbPool::Postgres(p) => sqlx::query_scalar::<_, i64>(q()).fetch_one(p).await,
        DbPool::Mysql(p) => sqlx::query_scalar::<_, i64>(q()).fetch_one(p).await,
        DbPool::Sqlite(p) => sqlx::query_scalar::<_, i64>(q()).fetch_one(p).await,
        DbPool::Duckdb(_) => unreachable!("no DuckDB in this benchmark"),
    }
    .unwrap()
}

/// `n` inserts from id `from`, `per` to a transaction, through one prepared statement (as an application
/// writes).
async fn write_rows(pool: &DbPool, table: &str, from: i64, n: i64, per: i64) {
    let DbPool::Sqlite(p) = pool else { unreachable!() };
    let sql = format!("INSERT INTO {table} VALUES (?, ?, ?, ?)");
    let mut i = from;
    while i < from + n {
        let mut tx = p.begin().await.unwrap();
        let end = (i + per).min(from + n);
        while i < end {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(i)
                .bind(i % 977)
                .bind((i % 10_000) as f64 + 0.25)
                .bind(format!("event {i}: payment received ✓"))
                .execute(&mut *tx)
                .await
                .unwrap();
            i += 1;
        }
        tx.commit().await.unwrap();
    }
}

fn pct(v: &mut [i64], p: f64) -> i64 {
    if v.is_empty() {
        return 0;
    }
    v.sort_unstable();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(run());
}

async fn run() {
    let changes: i64 = std::env::var("CHANGES").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let lite_path = dir.path().join("app.db");
    let pg_port = env("DBC_TEST_PG_PORT");
    let pw = env("DBC_TEST_PG_PASSWORD");
    let admin = connect_pool(
        &parse_url(&format!("postgres://dbc@127.0.0.1:{pg_port}/dbc")).unwrap(),
        Some(&SecretString::from(pw.clone())),
    )
    .await
    .unwrap();
    let db = format!("dbc_syncbench_{}", std::process::id());
    exec(&admin, &format!("CREATE DATABASE {db}")).await;
    std::fs::File::create(&lite_path).unwrap();
    let lite = Profile::sqlite("lite", lite_path.clone());
    let pg = parse_url(&format!("postgres://dbc@127.0.0.1:{pg_port}/{db}")).unwrap();
    let pgpw = Some(SecretString::from(pw.clone()));
    let a = sync::connect("lite", &lite, None).await.unwrap();
    let b = sync::connect("pg", &pg, pgpw.as_ref()).await.unwrap();
    let src = a.pool.clone();
    let dst = b.pool.clone();
    exec(
        &src,
        "PRAGMA journal_mode = WAL; \
         CREATE TABLE ev (id INTEGER PRIMARY KEY, account INTEGER NOT NULL, amount REAL NOT NULL, note TEXT);\
         CREATE TABLE plain (id INTEGER PRIMARY KEY, account INTEGER NOT NULL, amount REAL NOT NULL, note TEXT);",
    )
    .await;
    let store = Store::open(&dir.path().join("state.sqlite")).await.unwrap();
    let plan = setup::prepare(
        "bench",
        &a,
        &b,
        setup::Options {
            tables: &["ev".into()],
            two_way: false,
            policy: Policy::SourceWins,
            rejects: "/dev/null",
            triggers: false,
            filters: &[],
        },
    )
    .await
    .unwrap();
    setup::create(&plan, &a, &b, &store, Arc::new(|_| {})).await.unwrap();
    let link = sync::state::link(&store, "bench").await.unwrap().unwrap();
    let side = |label: &str, p: &Profile, pw: Option<SecretString>| SideConfig {
        label: label.into(),
        profile: p.clone(),
        password: pw,
    };

    // 1. What capture costs a write.
    let n = 100_000i64.min(changes);
    let t = Instant::now();
    write_rows(&src, "plain", 0, n, 1000).await;
    let plain_ins = t.elapsed().as_secs_f64();
    let t = Instant::now();
    write_rows(&src, "ev", 0, n, 1000).await;
    let cap_ins = t.elapsed().as_secs_f64();
    let upd = |table: &str| {
        (0..n / 1000)
            .map(|b| {
                format!("UPDATE {table} SET amount = amount + 1 WHERE id >= {} AND id < {};", b * 1000, (b + 1) * 1000)
            })
            .collect::<Vec<_>>()
    };
    let t = Instant::now();
    for s in upd("plain") {
        exec(&src, &s).await;
    }
    let plain_upd = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for s in upd("ev") {
        exec(&src, &s).await;
    }
    let cap_upd = t.elapsed().as_secs_f64();

    // 2. Catch-up: the rest of the backlog queued, then applied from cold.
    let t = Instant::now();
    write_rows(&src, "ev", n, changes - n, 5000).await;
    let queue_s = t.elapsed().as_secs_f64();
    let queued = count(&src, "SELECT count(*) FROM _dbconsole_changes").await;
    let (_stop_tx, stop) = tokio::sync::watch::channel(false);
    let mut runner = Runner::new(
        link.clone(),
        side("lite", &lite, None),
        side("pg", &pg, pgpw.clone()),
        store.clone(),
        RunConfig { once: true, ..RunConfig::default() },
    );
    let t = Instant::now();
    let s = runner.run(stop.clone(), Arc::new(|_| {})).await.unwrap();
    let catch_s = t.elapsed().as_secs_f64();
    let on_target = count(&dst, "SELECT count(*) FROM ev").await;
    assert_eq!(on_target, changes, "every row arrived");

    // 3. Steady state: a writer at full speed while the runner runs.
    let applied = Arc::new(Mutex::new(Vec::<i64>::new()));
    let start_runner = |cfg: RunConfig| {
        let (stop_tx, stop) = tokio::sync::watch::channel(false);
        let mut r =
            Runner::new(link.clone(), side("lite", &lite, None), side("pg", &pg, pgpw.clone()), store.clone(), cfg);
        let lat = applied.clone();
        let on: Arc<dyn Fn(Progress) + Send + Sync> = Arc::new(move |p| {
            if let Progress::Applied { latencies_ms, .. } = p
                && let Ok(mut v) = lat.lock()
            {
                v.extend(latencies_ms);
            }
        });
        let h = tokio::spawn(async move { r.run(stop, on).await });
        (stop_tx, h)
    };
    let (stop_tx, h) = start_runner(RunConfig::default());
    let base = changes;
    let steady_n = 200_000i64.min(changes);
    let t = Instant::now();
    write_rows(&src, "ev", base, steady_n, 500).await;
    let write_s = t.elapsed().as_secs_f64();
    while count(&dst, "SELECT count(*) FROM ev").await < base + steady_n {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let steady_s = t.elapsed().as_secs_f64();
    let _ = stop_tx.send(true);
    h.await.unwrap().unwrap();
    let mut steady_lat = std::mem::take(&mut *applied.lock().unwrap());

    // 4. Lag with 2,000 changes/s offered.
    let (stop_tx, h) = start_runner(RunConfig::default());
    let base = base + steady_n;
    let secs = 15i64;
    let t = Instant::now();
    for k in 0..(secs * 20) {
        let due = Duration::from_millis(50 * k as u64);
        if let Some(w) = due.checked_sub(t.elapsed()) {
            tokio::time::sleep(w).await;
        }
        write_rows(&src, "ev", base + k * 100, 100, 100).await;
    }
    let offered = (secs * 2000) as f64 / t.elapsed().as_secs_f64();
    while count(&dst, "SELECT count(*) FROM ev").await < base + secs * 2000 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop_tx.send(true);
    h.await.unwrap().unwrap();
    let mut lag = std::mem::take(&mut *applied.lock().unwrap());

    println!("\nsync benchmark: SQLite → PostgreSQL 15 on 127.0.0.1, fsync and synchronous_commit on");
    println!("{:<58} {:>16}", "measure", "result");
    println!("{:<58} {:>16}", "-".repeat(58), "-".repeat(16));
    println!(
        "{:<58} {:>16}",
        format!("insert {n} rows, 1,000 a txn: without capture / with"),
        format!("{:.2} / {:.2} s", plain_ins, cap_ins)
    );
    println!("{:<58} {:>16}", "  capture cost on an insert (ratio)", format!("{:.2}×", cap_ins / plain_ins));
    println!(
        "{:<58} {:>16}",
        format!("update {n} rows, 1,000 a statement: without / with"),
        format!("{:.2} / {:.2} s", plain_upd, cap_upd)
    );
    println!("{:<58} {:>16}", "  capture cost on an update (ratio)", format!("{:.2}×", cap_upd / plain_upd));
    println!(
        "{:<58} {:>16}",
        format!("queue {} more inserts (source, with capture)", changes - n),
        format!("{queue_s:.1} s")
    );
    println!("{:<58} {:>16}", format!("catch-up: {} queued changes applied", queued), format!("{catch_s:.1} s"));
    println!("{:<58} {:>16}", "  catch-up rate", format!("{:.0} changes/s", s.fwd as f64 / catch_s));
    println!(
        "{:<58} {:>16}",
        format!("steady state: {steady_n} inserts at full speed (writer {:.0}/s)", steady_n as f64 / write_s),
        format!("{:.0} changes/s", steady_n as f64 / steady_s)
    );
    println!(
        "{:<58} {:>16}",
        "  capture → target commit, p50 / p99",
        format!("{} / {} ms", pct(&mut steady_lat, 0.5), pct(&mut steady_lat, 0.99))
    );
    println!(
        "{:<58} {:>16}",
        format!("lag at {offered:.0} changes/s offered for {secs} s: p50"),
        format!("{} ms", pct(&mut lag, 0.5))
    );
    println!("{:<58} {:>16}", "  p99", format!("{} ms", pct(&mut lag, 0.99)));
    println!("{:<58} {:>16}", "  max", format!("{} ms", pct(&mut lag, 1.0)));
    println!("(Debezium's batched JDBC sink is published at about 2,300 rows/s.)");
    drop(a);
    drop(b);
    src.close().await;
    dst.close().await;
    exec(&admin, &format!("DROP DATABASE {db} WITH (FORCE)")).await;
}
