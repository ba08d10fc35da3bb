//! Catalog benchmark: 10,000 tables × 10 columns, each with an index and a foreign key, in PostgreSQL, MariaDB and
//! SQLite. Prints how long dbconsole takes to read the whole catalog (and its resident memory doing so) beside the
//! engines' own catalog readers, and how long one filter keystroke takes to redraw the schema pane.
//!
//!   scripts/bench.sh catalog        (starts the servers; TABLES=2000 for a quicker run)
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dbconsole::core::catalog;
use dbconsole::core::engine::{DbPool, connect_pool};
use dbconsole::core::profile::url::parse_url;
use secrecy::SecretString;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run through scripts/bench.sh"))
}

async fn exec(pool: &DbPool, sql: String) {
    let sql = sqlx::AssertSqlSafe(sql);
    let r = match pool {
        DbPool::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        DbPool::Mysql(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        DbPool::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        DbPool::Duckdb(_) => unreachable!("no DuckDB in this benchmark"),
    };
    r.expect("bench DDL");
}

fn ddl(engine: &str, i: usize) -> String {
    let parent = if i == 0 { 0 } else { i - 1 };
    match engine {
        "mysql" => format!(
            "CREATE TABLE t_{i:05} (id bigint PRIMARY KEY, parent_id bigint, c1 varchar(100), c2 int, c3 decimal(12,2), \
             c4 datetime, c5 tinyint(1), c6 json, c7 varchar(40), c8 date, KEY t_{i:05}_c1 (c1), \
             CONSTRAINT t_{i:05}_fk FOREIGN KEY (parent_id) REFERENCES t_{parent:05}(id)) ENGINE=InnoDB;"
        ),
        _ => format!(
            "CREATE TABLE t_{i:05} (id bigint PRIMARY KEY, parent_id bigint REFERENCES t_{parent:05}(id), c1 text, c2 integer, \
             c3 numeric(12,2), c4 timestamp, c5 boolean, c6 text, c7 varchar(40), c8 date); \
             CREATE INDEX t_{i:05}_c1 ON t_{i:05} (c1);"
        ),
    }
}

async fn build(pool: &DbPool, engine: &str, tables: usize) -> Duration {
    let t = Instant::now();
    let batch = 250;
    for start in (0..tables).step_by(batch) {
        let mut sql = String::new();
        if engine != "mysql" {
            sql.push_str("BEGIN;");
        }
        for i in start..(start + batch).min(tables) {
            sql.push_str(&ddl(engine, i));
        }
        if engine != "mysql" {
            sql.push_str("COMMIT;");
        }
        exec(pool, sql).await;
    }
    t.elapsed()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// Runs a command under GNU time (a forked child's own rusage would count this bench's memory, copied at fork)
/// with its output discarded; returns wall time and the command's peak resident memory (MB).
fn run_measured(cmd: &mut Command) -> (f64, f64) {
    if std::path::Path::new("/usr/bin/time").exists() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let mut timed = Command::new("/usr/bin/time");
        timed.arg("-f").arg("%M").arg("-o").arg(file.path()).arg(cmd.get_program()).args(cmd.get_args());
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => timed.env(k, v),
                None => timed.env_remove(k),
            };
        }
        let t = Instant::now();
        let status = timed.stdout(Stdio::null()).stderr(Stdio::null()).status().expect("spawn");
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        assert!(status.success(), "{cmd:?} failed");
        let kb: f64 = std::fs::read_to_string(file.path()).unwrap().trim().lines().last().unwrap().parse().unwrap();
        return (ms, kb / 1024.0);
    }
    // Without GNU time: wall time only.
    let t = Instant::now();
    let status = cmd.stdout(Stdio::null()).stderr(Stdio::null()).status().expect("spawn");
    assert!(status.success(), "{cmd:?} failed");
    (t.elapsed().as_secs_f64() * 1000.0, f64::NAN)
}

struct Row {
    engine: &'static str,
    build_s: f64,
    load_ms: f64,
    names_ms: f64,
    rss_mb: f64,
    target_ms: f64,
    reference: Vec<(String, f64)>,
}

fn main() {
    let tables: usize = std::env::var("TABLES").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let bin = env!("CARGO_BIN_EXE_dbconsole");
    let dir = tempfile::tempdir().unwrap();
    let cfg = |c: &mut Command| {
        c.env("DBCONSOLE_CONFIG_DIR", dir.path().join("c")).env("DBCONSOLE_DATA_DIR", dir.path().join("d"));
    };
    let (pg_port, my_port) = (env("DBC_TEST_PG_PORT"), env("DBC_TEST_MY_PORT"));
    let (pg_pw, my_pw) = (env("DBC_TEST_PG_PASSWORD"), env("DBC_TEST_MY_PASSWORD"));
    // Fixed names: a second run on the same servers reuses the databases it built.
    let db = format!("dbc_bench_{tables}");
    let pg_url = format!("postgres://dbc@127.0.0.1:{pg_port}/{db}");
    let my_url = format!("mysql://dbc@127.0.0.1:{my_port}/{db}");
    let lite_path = std::env::temp_dir().join(format!("dbc_bench_{tables}.db"));
    let lite_url = format!("sqlite:{}", lite_path.display());
    if !lite_path.exists() {
        std::fs::write(&lite_path, b"").unwrap();
    }

    // ENGINES=sqlite,postgres limits the run to some engines (the keystroke part needs postgres).
    let only = std::env::var("ENGINES").unwrap_or_else(|_| "sqlite,postgres,mysql".into());
    let mut rows = Vec::new();
    let mut pg_catalog = None;
    for (engine, url, pw, target) in [
        ("sqlite", lite_url.clone(), None, 500.0),
        ("postgres", pg_url.clone(), Some(pg_pw.clone()), 1500.0),
        ("mysql", my_url.clone(), Some(my_pw.clone()), 1500.0),
    ] {
        if !only.split(',').any(|e| e.trim() == engine) {
            continue;
        }
        let profile = parse_url(&url).unwrap();
        let secret = pw.as_ref().map(|p| SecretString::from(p.clone()));
        let (pool, build_s) = rt.block_on(async {
            if engine != "sqlite" {
                let admin_url = url.replace(&format!("/{db}"), "/dbc");
                let admin = connect_pool(&parse_url(&admin_url).unwrap(), secret.as_ref()).await.unwrap();
                let exists = match &admin {
                    DbPool::Postgres(p) => sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
                        .bind(&db)
                        .fetch_optional(p)
                        .await
                        .unwrap()
                        .is_some(),
                    DbPool::Mysql(p) => sqlx::query("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?")
                        .bind(&db)
                        .fetch_optional(p)
                        .await
                        .unwrap()
                        .is_some(),
                    DbPool::Sqlite(_) => false,
                    DbPool::Duckdb(_) => unreachable!("no DuckDB in this benchmark"),
                };
                if !exists {
                    exec(&admin, format!("CREATE DATABASE {db}")).await;
                }
                admin.close().await;
            }
            let pool = connect_pool(&profile, secret.as_ref()).await.unwrap();
            let have = catalog::introspect(&pool, &db, Some(&db), |_| {}).await.unwrap().table_count();
            if have == tables {
                eprintln!("{engine}: reusing the {tables} tables built before");
                return (pool, f64::NAN);
            }
            assert_eq!(have, 0, "{engine}: {db} holds {have} tables, not {tables}: drop it first");
            eprintln!("building {tables} tables in {engine}…");
            let built = build(&pool, engine, tables).await;
            (pool, built.as_secs_f64())
        });
        // What the schema pane lists first: the names alone (target: within 200 ms of connecting).
        let mut names = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            let c = rt.block_on(catalog::names(&pool, &db, Some(&db))).unwrap();
            names.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(c.table_count(), tables);
        }
        let names_ms = median(names);
        let mut times = Vec::new();
        let mut last = None;
        for _ in 0..3 {
            let t = Instant::now();
            let c = rt.block_on(catalog::introspect(&pool, &db, Some(&db), |_| {})).unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(c.table_count(), tables);
            last = Some(c);
        }
        let c = last.unwrap();
        assert!(c.schemas.iter().flat_map(|s| &s.tables).all(|t| t.columns.len() == 10 && t.foreign_keys.len() == 1));
        if engine == "postgres" {
            pg_catalog = Some(c);
        }
        rt.block_on(pool.close());
        // Resident memory of the real binary reading the same catalog.
        let mut cmd = Command::new(bin);
        cmd.args(["schema", &url]);
        cfg(&mut cmd);
        match engine {
            "postgres" => cmd.env("PGPASSWORD", &pg_pw),
            _ => &mut cmd,
        };
        let (_, rss) = if engine == "mysql" {
            // A URL-only MySQL profile asks for its password; give it through a profiles file instead.
            let text = format!(
                "[profiles.bench]\nengine = \"mysql\"\nhost = \"127.0.0.1\"\nport = {my_port}\ndatabase = \"{db}\"\nuser = \"dbc\"\npassword_source = \"env\"\npassword_env = \"DBC_TEST_MY_PASSWORD\"\n"
            );
            std::fs::create_dir_all(dir.path().join("c")).unwrap();
            std::fs::write(dir.path().join("c/profiles.toml"), text).unwrap();
            let mut c2 = Command::new(bin);
            c2.args(["schema", "bench"]);
            cfg(&mut c2);
            run_measured(&mut c2)
        } else {
            run_measured(&mut cmd)
        };
        let mut reference = Vec::new();
        let skip_reference = std::env::var_os("SKIP_REFERENCE").is_some();
        match engine {
            _ if skip_reference => {}
            "postgres" => {
                let conn = format!("host=127.0.0.1 port={pg_port} user=dbc dbname={db}");
                for (label, args) in [("psql -c '\\d+'", vec!["-c", "\\d+"]), ("pg_dump --schema-only", vec![])] {
                    let prog = if args.is_empty() { "pg_dump" } else { "psql" };
                    let mut c = Command::new(prog);
                    if prog == "psql" {
                        c.args(["-X", "-q", "-d", &conn]).args(&args);
                    } else {
                        c.args(["--schema-only", "-d", &conn]);
                    }
                    c.env("PGPASSWORD", &pg_pw);
                    if Command::new(prog).arg("--version").output().is_ok() {
                        reference.push((label.to_string(), run_measured(&mut c).0));
                    }
                }
            }
            "mysql" => {
                let mut c = Command::new("mariadb-dump");
                c.args([
                    "--no-defaults",
                    "-h127.0.0.1",
                    &format!("-P{my_port}"),
                    "-udbc",
                    &format!("-p{my_pw}"),
                    "--no-data",
                    &db,
                ]);
                if Command::new("mariadb-dump").arg("--version").output().is_ok() {
                    reference.push(("mariadb-dump --no-data".into(), run_measured(&mut c).0));
                }
            }
            _ => {
                let mut c = Command::new("sqlite3");
                c.arg(&lite_path).arg(".schema");
                if Command::new("sqlite3").arg("--version").output().is_ok() {
                    reference.push(("sqlite3 .schema".into(), run_measured(&mut c).0));
                }
            }
        }
        rows.push(Row { engine, build_s, load_ms: median(times), names_ms, rss_mb: rss, target_ms: target, reference });
    }

    print_catalog_table(tables, &rows);
    // Filter keystrokes on the PostgreSQL catalog: update + full redraw of a 120x40 frame.
    let Some(c) = pg_catalog else { return };
    let set = dbconsole::core::profile::ProfileSet::default();
    let mut app = dbconsole::tui::app::App::new(dbconsole::tui::theme::Theme::default(), set, None);
    app.schema.set_catalog("bench", c, Duration::from_millis(1));
    app.pane = dbconsole::tui::app::PaneId::Schema;
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let press = |app: &mut dbconsole::tui::app::App, code: KeyCode| {
        app.update(dbconsole::tui::action::Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    };
    // Five rounds of typing "t_0999" and erasing it: each keystroke's update and full redraw, timed.
    let mut type_and_erase = |app: &mut dbconsole::tui::app::App| -> Vec<f64> {
        let mut keys = Vec::new();
        for _ in 0..5 {
            let typed = "t_0999".chars().map(KeyCode::Char);
            for code in typed.chain(std::iter::repeat_n(KeyCode::Backspace, 6)) {
                let t = Instant::now();
                press(app, code);
                term.draw(|f| dbconsole::tui::draw::draw(f, app)).unwrap();
                keys.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
        keys
    };
    let report = |what: &str, keys: Vec<f64>, target: u32| {
        let mut sorted = keys.clone();
        sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let p99 = sorted[(sorted.len() as f64 * 0.99) as usize - 1];
        println!();
        println!("{what}, {} keystrokes", keys.len());
        println!("| median (ms) | p99 (ms) | max (ms) | target (ms) |");
        println!("|-------------|----------|----------|-------------|");
        println!(
            "| {:>11.2} | {:>8.2} | {:>8.2} | {:>11} |",
            median(keys.clone()),
            p99,
            sorted.last().unwrap(),
            target
        );
    };
    press(&mut app, KeyCode::Char('/'));
    let keys = type_and_erase(&mut app);
    report(&format!("schema pane filter keystroke (update + redraw 120x40) on {tables} tables"), keys, 16);
    // The command palette over the same catalog (its tables, the actions, the profiles).
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char(':'));
    assert!(app.palette.is_some(), "the palette opens");
    let keys = type_and_erase(&mut app);
    let items = app.palette.as_ref().map_or(0, |p| p.items.len());
    report(&format!("command palette search (update + redraw 120x40) over {items} items"), keys, 50);
}

fn print_catalog_table(tables: usize, rows: &[Row]) {
    println!();
    println!(
        "catalog of {tables} tables × 10 columns, one index and one foreign key each (dbconsole: median of 3 reads on an open pool; reference tools: one run each, whole process)"
    );
    println!(
        "| engine   | build (s) | names listed (ms) | target (ms) | dbconsole read (ms) | target (ms) | dbconsole RSS (MB) | reference reader (ms)"
    );
    println!(
        "|----------|-----------|-------------------|-------------|---------------------|-------------|--------------------|----------------------"
    );
    for r in rows {
        let refs: Vec<String> = r.reference.iter().map(|(l, ms)| format!("{l}: {ms:.0}")).collect();
        println!(
            "| {:<8} | {:>9.1} | {:>17.1} | {:>11} | {:>19.0} | {:>11.0} | {:>18.1} | {}",
            r.engine,
            r.build_s,
            r.names_ms,
            200,
            r.load_ms,
            r.target_ms,
            r.rss_mb,
            refs.join(", ")
        );
    }
}
