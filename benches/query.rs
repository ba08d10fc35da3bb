//! Query results benchmark (issue: query editor and results grid).
//! 1. A 1,000,000-row × 8-column result fetched and held by dbconsole's query session (the row cap lifted), against
//!    the engine's own client doing the same on the same server in the same run: `psql -o /dev/null`, `mariadb
//!    --batch > /dev/null` (both hold the whole result before printing), `sqlite3 > /dev/null`. Each dbconsole run
//!    is a child process, so its peak resident memory (VmHWM) is its own.
//! 2. The table browser's pages of that table: page 1, page 1,000 and the last page by keyset (what the browser
//!    runs) beside the same pages by OFFSET.
//! 3. Drawing one 200×60 frame of the results grid over 1k, 100k and 1M rows.
//!
//!   scripts/bench.sh query
use std::process::{Command, Stdio};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use dbconsole::core::engine::{DbPool, connect_pool};
use dbconsole::core::profile::url::parse_url;
use dbconsole::core::query::{Column, Flow, Kind, RowBuf, Rows, Session, Sink};
use secrecy::SecretString;

const N: i64 = 1_000_000;
const SQL: &str = "SELECT * FROM bench_rows";

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run through scripts/bench.sh"))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

struct Hold {
    rows: Rows,
}

impl Sink for Hold {
    fn columns(&mut self, columns: Vec<Column>) {
        self.rows = Rows::new(columns.len());
    }
    fn row(&mut self, row: &RowBuf) -> Flow {
        self.rows.push(row);
        Flow::Continue
    }
    async fn more(&mut self) -> bool {
        true
    }
}

fn vm_hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.to_string()))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

async fn pool_for(url: &str, pw: Option<String>) -> DbPool {
    let p = parse_url(url).unwrap();
    connect_pool(&p, pw.map(SecretString::from).as_ref()).await.unwrap()
}

/// Child mode: fetch and hold the whole result, print `ms rows hwm_kb`.
fn child(url: &str, pw_var: &str) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let pw = if pw_var.is_empty() { None } else { Some(env(pw_var)) };
        let pool = pool_for(url, pw).await;
        let mut s = Session::open(&pool).await.unwrap();
        let mut hold = Hold { rows: Rows::default() };
        let t = Instant::now();
        s.run(SQL, &mut hold).await.unwrap();
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        println!("{ms:.1} {} {}", hold.rows.len(), vm_hwm_kb());
        std::mem::forget(hold); // the process ends: no need to free a million rows
    });
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

async fn count(pool: &DbPool) -> i64 {
    let q = "SELECT count(*) FROM bench_rows";
    match pool {
        DbPool::Postgres(p) => sqlx::query_scalar(q).fetch_one(p).await.unwrap_or(0),
        DbPool::Mysql(p) => sqlx::query_scalar(q).fetch_one(p).await.unwrap_or(0),
        DbPool::Sqlite(p) => sqlx::query_scalar(q).fetch_one(p).await.unwrap_or(0),
        DbPool::Duckdb(_) => unreachable!("no DuckDB in this benchmark"),
    }
}

fn timed(cmd: &mut Command) -> Option<f64> {
    let t = Instant::now();
    let ok = cmd.stdout(Stdio::null()).stderr(Stdio::null()).status().ok()?.success();
    ok.then(|| t.elapsed().as_secs_f64() * 1000.0)
}

fn frame_bench() {
    use dbconsole::core::profile::{Profile, ProfileSet};
    use dbconsole::tui::app::{App, ConnState, Session as S};
    use dbconsole::tui::panes::query::{Focus, ResultView};
    println!();
    println!("drawing a 200×60 frame of the query pane (grid of 8 columns), median and p99 of 300 frames");
    println!("| rows in the result | median (ms) | p99 (ms) | target (ms) |");
    println!("|--------------------|-------------|----------|-------------|");
    let columns: Vec<Column> = (0..8)
        .map(|i| Column {
            name: format!("column_{i}"),
            type_name: "text".into(),
            kind: if i % 2 == 0 { Kind::Number } else { Kind::Text },
        })
        .collect();
    for n in [1_000usize, 100_000, 1_000_000] {
        let mut rows = Rows::new(8);
        let mut b = RowBuf::default();
        for r in 0..n {
            b.clear();
            for c in 0..8 {
                if (r + c) % 13 == 0 {
                    b.push_null();
                } else {
                    b.push_str(&format!("value {r} {c}"));
                }
            }
            rows.push(&b);
        }
        let profile = Profile::sqlite("bench", "/tmp/bench.db".into());
        let set = ProfileSet { profiles: vec![profile.clone()], ..Default::default() };
        let mut app = App::new(dbconsole::tui::theme::Theme::default(), set, None);
        app.session = Some(S { profile, state: ConnState::Connected("connected".into()) });
        app.pane = dbconsole::tui::app::PaneId::Query;
        app.query.focus = Focus::Grid;
        let mut view = ResultView::new(columns.clone(), Arc::new(RwLock::new(rows)));
        view.measure();
        app.query.result = Some(view);
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(200, 60)).unwrap();
        let mut times = Vec::new();
        for i in 0..300usize {
            if let Some(v) = app.query.result.as_mut() {
                v.row = (i * 7919) % n;
                v.col = i % 8;
            }
            let t = Instant::now();
            term.draw(|f| dbconsole::tui::draw::draw(f, &app)).unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!("| {n:>18} | {:>11.2} | {:>8.2} | {:>11} |", times[150], times[296], 5);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1], args.get(i + 2).map(String::as_str).unwrap_or(""));
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (pg_port, my_port) = (env("DBC_TEST_PG_PORT"), env("DBC_TEST_MY_PORT"));
    let db = "dbc_bench_query";
    let lite = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench_query.sqlite");
    let engines = std::env::var("ENGINES").unwrap_or_else(|_| "postgres,mysql,sqlite".into());
    rt.block_on(async {
        // The same 1M × 8 table on each engine (kept between runs).
        if engines.contains("postgres") {
            let admin = pool_for(&format!("postgres://dbc@127.0.0.1:{pg_port}/dbc"), Some(env("DBC_TEST_PG_PASSWORD"))).await;
            let DbPool::Postgres(a) = &admin else { unreachable!() };
            let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)").bind(db).fetch_one(a).await.unwrap();
            if !exists {
                exec(&admin, &format!("CREATE DATABASE {db}")).await;
            }
            let pool = pool_for(&format!("postgres://dbc@127.0.0.1:{pg_port}/{db}"), Some(env("DBC_TEST_PG_PASSWORD"))).await;
            if count(&pool).await != N {
                exec(&pool, "DROP TABLE IF EXISTS bench_rows; CREATE TABLE bench_rows (id bigint PRIMARY KEY, n int, name text, amount numeric(12,2), created timestamptz, flag boolean, score float8, code uuid)").await;
                exec(&pool, &format!("INSERT INTO bench_rows SELECT g, g % 1000, 'name ' || left(md5(g::text), 16), (g % 100000) / 100.0, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second', g % 2 = 0, g / 7.0, md5(g::text)::uuid FROM generate_series(1, {N}) g")).await;
                exec(&pool, "VACUUM ANALYZE bench_rows").await;
            }
        }
        if engines.contains("mysql") {
            let admin = pool_for(&format!("mysql://dbc@127.0.0.1:{my_port}/dbc"), Some(env("DBC_TEST_MY_PASSWORD"))).await;
            exec(&admin, &format!("CREATE DATABASE IF NOT EXISTS {db}")).await;
            let pool = pool_for(&format!("mysql://dbc@127.0.0.1:{my_port}/{db}"), Some(env("DBC_TEST_MY_PASSWORD"))).await;
            if count(&pool).await != N {
                exec(&pool, "DROP TABLE IF EXISTS bench_rows; CREATE TABLE bench_rows (id bigint PRIMARY KEY, n int, name varchar(40), amount decimal(12,2), created datetime(6), flag boolean, score double, code char(36))").await;
                exec(&pool, &format!("INSERT INTO bench_rows SELECT seq, seq % 1000, CONCAT('name ', LEFT(MD5(seq), 16)), (seq % 100000) / 100.0, TIMESTAMP('2024-01-01') + INTERVAL seq SECOND, seq % 2 = 0, seq / 7.0, UUID() FROM seq_1_to_{N}")).await;
            }
        }
        if engines.contains("sqlite") {
            if !lite.exists() {
                std::fs::write(&lite, b"").unwrap();
            }
            let pool = pool_for(&format!("sqlite:{}", lite.display()), None).await;
            if count(&pool).await != N {
                exec(&pool, "DROP TABLE IF EXISTS bench_rows; CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, n INTEGER, name TEXT, amount NUMERIC, created TEXT, flag BOOLEAN, score REAL, code TEXT)").await;
                exec(&pool, &format!("WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {N}) INSERT INTO bench_rows SELECT i, i % 1000, 'name ' || substr(hex(randomblob(8)), 1, 16), (i % 100000) / 100.0, datetime('2024-01-01', '+' || i || ' seconds'), i % 2 = 0, i / 7.0, lower(hex(randomblob(16))) FROM g")).await;
            }
        }
    });
    let exe = std::env::current_exe().unwrap();
    println!();
    println!("fetch and hold {N} rows × 8 columns (`{SQL}`), median of 3, same server, interleaved runs");
    println!(
        "| engine   | reference tool                 | reference (ms) | dbconsole (ms) | ratio | target | dbconsole peak RSS (MB) | target (MB) |"
    );
    println!(
        "|----------|--------------------------------|----------------|----------------|-------|--------|-------------------------|-------------|"
    );
    for engine in ["postgres", "mysql", "sqlite"] {
        if !engines.contains(engine) {
            continue;
        }
        let (url, pw_var, tool): (String, &str, Box<dyn Fn() -> Command>) = match engine {
            "postgres" => (
                format!("postgres://dbc@127.0.0.1:{pg_port}/{db}"),
                "DBC_TEST_PG_PASSWORD",
                Box::new(|| {
                    let mut c = Command::new("psql");
                    c.env("PGPASSWORD", env("DBC_TEST_PG_PASSWORD")).args([
                        "-X",
                        "-h",
                        "127.0.0.1",
                        "-p",
                        &env("DBC_TEST_PG_PORT"),
                        "-U",
                        "dbc",
                        "-d",
                        db,
                        "-c",
                        SQL,
                        "-o",
                        "/dev/null",
                    ]);
                    c
                }),
            ),
            "mysql" => (
                format!("mysql://dbc@127.0.0.1:{my_port}/{db}"),
                "DBC_TEST_MY_PASSWORD",
                Box::new(|| {
                    let mut c = Command::new("mariadb");
                    c.env("MYSQL_PWD", env("DBC_TEST_MY_PASSWORD")).args([
                        "--no-defaults",
                        "-h",
                        "127.0.0.1",
                        "-P",
                        &env("DBC_TEST_MY_PORT"),
                        "-u",
                        "dbc",
                        "--batch",
                        "-e",
                        SQL,
                        db,
                    ]);
                    c
                }),
            ),
            _ => (
                format!("sqlite:{}", lite.display()),
                "",
                Box::new(|| {
                    let mut c = Command::new("sqlite3");
                    c.args([lite.to_str().unwrap(), SQL]);
                    c
                }),
            ),
        };
        let (mut refs, mut ours, mut hwm, mut rows) = (Vec::new(), Vec::new(), 0u64, 0u64);
        for _ in 0..3 {
            if let Some(ms) = timed(&mut tool()) {
                refs.push(ms);
            }
            let out = Command::new(&exe).args(["--child", &url, pw_var]).output().unwrap();
            let line = String::from_utf8_lossy(&out.stdout).to_string();
            let mut parts = line.split_whitespace();
            ours.push(parts.next().and_then(|x| x.parse().ok()).unwrap_or(f64::NAN));
            rows = parts.next().and_then(|x| x.parse().ok()).unwrap_or(0);
            hwm = hwm.max(parts.next().and_then(|x| x.parse().ok()).unwrap_or(0));
        }
        assert_eq!(rows, N as u64, "{engine}: dbconsole held {rows} rows");
        let ours = median(ours);
        let (tool_name, reference) = match engine {
            "postgres" => ("psql -o /dev/null", refs),
            "mysql" => ("mariadb --batch > /dev/null", refs),
            _ => ("sqlite3 > /dev/null", refs),
        };
        let (r, ratio) = if reference.is_empty() {
            ("not installed".to_string(), "-".to_string())
        } else {
            let m = median(reference);
            (format!("{m:.0}"), format!("{:.2}", ours / m))
        };
        println!(
            "| {engine:<8} | {tool_name:<30} | {r:>14} | {ours:>14.0} | {ratio:>5} | {:>6} | {:>23.1} | {:>11} |",
            "1.5",
            hwm as f64 / 1024.0,
            400
        );
    }
    rt.block_on(browse_pages(&lite, db, &engines));
    cli_stream(&lite, db, &engines);
    frame_bench();
}

/// The table browser's page of 200 rows at page 1, 1,000 and 5,000 (the last) of the 1M-row table: by keyset (the
/// browser) and by OFFSET (what a LIMIT/OFFSET pager does), median of 5, in one run.
async fn browse_pages(lite: &std::path::Path, db: &str, engines: &str) {
    use dbconsole::core::profile::Engine;
    use dbconsole::core::query::browse::{Bound, Browse};
    println!();
    println!("table browser: one page of 200 rows of the {N}-row table, median of 5 (ms)");
    println!(
        "| engine   | page 1 | page 1,000 keyset | page 1,000 OFFSET | page 5,000 keyset | page 5,000 OFFSET | keyset 5,000 / page 1 |"
    );
    println!(
        "|----------|--------|-------------------|-------------------|-------------------|-------------------|-----------------------|"
    );
    for (engine, e) in [("postgres", Engine::Postgres), ("mysql", Engine::Mysql), ("sqlite", Engine::Sqlite)] {
        if !engines.contains(engine) {
            continue;
        }
        let (url, pw) = match e {
            Engine::Postgres => (
                format!("postgres://dbc@127.0.0.1:{}/{db}", env("DBC_TEST_PG_PORT")),
                Some(env("DBC_TEST_PG_PASSWORD")),
            ),
            Engine::Mysql => {
                (format!("mysql://dbc@127.0.0.1:{}/{db}", env("DBC_TEST_MY_PORT")), Some(env("DBC_TEST_MY_PASSWORD")))
            }
            Engine::Sqlite => (format!("sqlite:{}", lite.display()), None),
            Engine::Duckdb => unreachable!("no DuckDB in this benchmark"),
        };
        let pool = pool_for(&url, pw).await;
        let mut s = Session::open(&pool).await.unwrap();
        let b = Browse {
            engine: e,
            schema: if e == Engine::Mysql {
                db.to_string()
            } else if e == Engine::Sqlite {
                "main".into()
            } else {
                "public".into()
            },
            table: "bench_rows".into(),
            key: vec!["id".into()],
            filter: None,
            order: None,
            page_size: 200,
        };
        let mut time = async |bound: Bound| {
            let mut v = Vec::new();
            for _ in 0..5 {
                let mut hold = Hold { rows: Rows::default() };
                let t = Instant::now();
                s.run(&b.sql(&bound), &mut hold).await.unwrap();
                v.push(t.elapsed().as_secs_f64() * 1000.0);
                assert_eq!(hold.rows.len(), 200);
            }
            median(v)
        };
        let after = |page: i64| Bound::After(vec![(((page - 1) * 200).to_string(), true)]);
        let first = time(Bound::Start).await;
        let k1000 = time(after(1000)).await;
        let o1000 = time(Bound::Offset(999 * 200)).await;
        let k5000 = time(after(5000)).await;
        let o5000 = time(Bound::Offset(4999 * 200)).await;
        println!(
            "| {engine:<8} | {first:>6.2} | {k1000:>17.2} | {o1000:>17.2} | {k5000:>17.2} | {o5000:>17.2} | {:>21.2} |",
            k5000 / first
        );
        s.close().await;
    }
}

/// `dbconsole query … --format csv > /dev/null`: the whole result streamed, peak RSS of that process (flat).
fn cli_stream(lite: &std::path::Path, db: &str, engines: &str) {
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_dbconsole"));
    let cfg = tempfile::tempdir().unwrap();
    std::fs::write(
        cfg.path().join("profiles.toml"),
        format!(
            "[profiles.pg]\nengine = \"postgres\"\nhost = \"127.0.0.1\"\nport = {}\ndatabase = \"{db}\"\nuser = \"dbc\"\n\
             password_source = \"env\"\npassword_env = \"DBC_TEST_PG_PASSWORD\"\n\n\
             [profiles.my]\nengine = \"mysql\"\nhost = \"127.0.0.1\"\nport = {}\ndatabase = \"{db}\"\nuser = \"dbc\"\n\
             password_source = \"env\"\npassword_env = \"DBC_TEST_MY_PASSWORD\"\n\n\
             [profiles.lite]\nengine = \"sqlite\"\npath = \"{}\"\n",
            env("DBC_TEST_PG_PORT"),
            env("DBC_TEST_MY_PORT"),
            lite.display()
        ),
    )
    .unwrap();
    println!();
    println!("`dbconsole query PROFILE -e '{SQL}' --format csv > /dev/null` (streams; no row cap)");
    println!("| engine   | time (ms) | peak RSS (MB) |");
    println!("|----------|-----------|---------------|");
    for (engine, profile) in [("postgres", "pg"), ("mysql", "my"), ("sqlite", "lite")] {
        if !engines.contains(engine) {
            continue;
        }
        let t = Instant::now();
        let mut child = Command::new(exe)
            .env("DBCONSOLE_CONFIG_DIR", cfg.path())
            .env("DBCONSOLE_DATA_DIR", cfg.path())
            .args(["query", profile, "-e", SQL, "--format", "csv"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id() as libc::pid_t;
        let mut status = 0;
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // wait4 gives this child's own peak RSS.
        unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        let _ = child.try_wait();
        println!(
            "| {engine:<8} | {:>9.0} | {:>13.1} |",
            t.elapsed().as_secs_f64() * 1000.0,
            usage.ru_maxrss as f64 / 1024.0
        );
    }
}
