//! Migration planning benchmark: a folder of 1,000 migration files against a database where all 1,000 are
//! applied, on PostgreSQL, MariaDB and SQLite. Prints the time to plan (read and checksum the folder, read
//! `_sqlx_migrations`, compare) on an open pool, and the whole `dbconsole migrate status` process.
//!
//!   scripts/bench.sh migrate_plan
use std::process::{Command, Stdio};
use std::time::Instant;

use dbconsole::core::engine::{DbPool, connect_pool};
use dbconsole::core::migrate::{self, Options, Status};
use dbconsole::core::profile::url::parse_url;
use secrecy::SecretString;

const N: usize = 1000;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run through scripts/bench.sh"))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

async fn exec(pool: &DbPool, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match pool {
        DbPool::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        DbPool::Mysql(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        DbPool::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        DbPool::Duckdb(_) => unreachable!("no DuckDB in this benchmark"),
    }
    .expect("bench SQL");
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("migrations");
    std::fs::create_dir(&dir).unwrap();
    for i in 1..=N {
        // Realistic files: a table, an index, a comment; a reversible pair every tenth.
        let sql = format!(
            "-- migration {i}: the orders of region {i}\nCREATE TABLE region_{i} (\n  id INT PRIMARY KEY,\n  name VARCHAR(100) NOT NULL,\n  \
             created_at TIMESTAMP NULL\n);\nCREATE INDEX region_{i}_name ON region_{i} (name);\n"
        );
        if i % 10 == 0 {
            std::fs::write(dir.join(format!("{i:05}_create_region_{i}.up.sql")), sql).unwrap();
            std::fs::write(dir.join(format!("{i:05}_create_region_{i}.down.sql")), format!("DROP TABLE region_{i};\n"))
                .unwrap();
        } else {
            std::fs::write(dir.join(format!("{i:05}_create_region_{i}.sql")), sql).unwrap();
        }
    }
    let cfg = tmp.path().join("c");
    std::fs::create_dir(&cfg).unwrap();
    let (pg_port, my_port) = (env("DBC_TEST_PG_PORT"), env("DBC_TEST_MY_PORT"));
    let lite = tmp.path().join("plan.db");
    std::fs::write(&lite, b"").unwrap();
    let db = format!("dbc_plan_{}", std::process::id());
    std::fs::write(
        cfg.join("profiles.toml"),
        format!(
            "[profiles.pg]\nengine = \"postgres\"\nhost = \"127.0.0.1\"\nport = {pg_port}\ndatabase = \"{db}\"\nuser = \"dbc\"\n\
             password_source = \"env\"\npassword_env = \"DBC_TEST_PG_PASSWORD\"\n\n\
             [profiles.my]\nengine = \"mysql\"\nhost = \"127.0.0.1\"\nport = {my_port}\ndatabase = \"{db}\"\nuser = \"dbc\"\n\
             password_source = \"env\"\npassword_env = \"DBC_TEST_MY_PASSWORD\"\n\n\
             [profiles.lite]\nengine = \"sqlite\"\npath = \"{}\"\n",
            lite.display()
        ),
    )
    .unwrap();
    println!();
    println!("planning: {N} migration files, all {N} applied (median of 7 on an open pool; process: median of 5)");
    println!("| engine   | apply {N} (s) | plan (ms) | target (ms) | `dbconsole migrate status` process (ms) |");
    println!("|----------|----------------|-----------|-------------|------------------------------------------|");
    for (engine, profile, url, pw) in [
        ("sqlite", "lite", format!("sqlite:{}", lite.display()), None),
        ("postgres", "pg", format!("postgres://dbc@127.0.0.1:{pg_port}/{db}"), Some(env("DBC_TEST_PG_PASSWORD"))),
        ("mysql", "my", format!("mysql://dbc@127.0.0.1:{my_port}/{db}"), Some(env("DBC_TEST_MY_PASSWORD"))),
    ] {
        let secret = pw.map(SecretString::from);
        let pool = rt.block_on(async {
            if engine != "sqlite" {
                let admin = connect_pool(&parse_url(&url.replace(&format!("/{db}"), "/dbc")).unwrap(), secret.as_ref())
                    .await
                    .unwrap();
                exec(&admin, &format!("CREATE DATABASE {db}")).await;
                admin.close().await;
            }
            connect_pool(&parse_url(&url).unwrap(), secret.as_ref()).await.unwrap()
        });
        let engine_kind = pool.engine();
        let t = Instant::now();
        let folder = migrate::load(&dir, engine_kind).unwrap();
        let mut quiet = |_e: migrate::Event| {};
        let r = rt.block_on(migrate::apply(&pool, &folder, &Options::default(), &mut quiet)).unwrap();
        assert!(r.failure.is_none() && r.done.len() == N, "{:?}", r.failure);
        let applied_s = t.elapsed().as_secs_f64();
        let mut times = Vec::new();
        for _ in 0..7 {
            let t = Instant::now();
            let folder = migrate::load(&dir, engine_kind).unwrap();
            let plan = rt.block_on(migrate::status(&pool, &folder)).unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(plan.count(Status::Applied), N);
        }
        let mut process = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let s = Command::new(env!("CARGO_BIN_EXE_dbconsole"))
                .args(["migrate", "status", profile, "--dir", dir.to_str().unwrap()])
                .env("DBCONSOLE_CONFIG_DIR", &cfg)
                .env("DBCONSOLE_DATA_DIR", tmp.path().join("d"))
                .stdout(Stdio::null())
                .status()
                .unwrap();
            assert!(s.success());
            process.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        rt.block_on(pool.close());
        println!(
            "| {engine:<8} | {applied_s:>14.1} | {:>9.1} | {:>11} | {:>40.1} |",
            median(times),
            200,
            median(process)
        );
    }
}
