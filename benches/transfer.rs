//! Transfer benchmark (issue: cross-engine data migration): a 1,000,000-row SQLite database (three related tables,
//! mixed types, about 100 bytes a row, indexes and foreign keys) moved to PostgreSQL — schema, data, indexes and
//! keys — by dbconsole, by the floor (the servers' own tools: `sqlite3 -csv | psql \copy` per table in parallel,
//! then the same indexes and keys), and by pgloader, in the same run on the same server. Prints times, ratios,
//! peak resident memory, and what each left in PostgreSQL (NOT NULL columns, identities, column types).
//!
//!   scripts/bench.sh transfer          (ROWS=100000 for a quick run)
use std::process::{Command, Stdio};
use std::time::Instant;

use dbconsole::core::engine::{DbPool, connect_pool};
use dbconsole::core::profile::url::parse_url;
use secrecy::SecretString;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run through scripts/bench.sh"))
}

async fn pool_for(url: &str, pw: Option<String>) -> DbPool {
    connect_pool(&parse_url(url).unwrap(), pw.map(SecretString::from).as_ref()).await.unwrap()
}

async fn exec(pool: &DbPool, sql: &str) {
    let q = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()));
    match pool {
        DbPool::Postgres(p) => q.execute(p).await.map(|_| ()),
        DbPool::Mysql(p) => q.execute(p).await.map(|_| ()),
        DbPool::Sqlite(p) => q.execute(p).await.map(|_| ()),
        DbPool::Duckdb(_) => unreachable!("DuckDB files are written with the duckdb shell"),
    }
    .unwrap_or_else(|e| panic!("{e}: {sql}"));
}

/// Wall time and peak RSS (MB) of a child process (reaped by wait4, which also gives its rusage).
#[allow(clippy::zombie_processes)]
fn measure(cmd: &mut Command) -> (f64, f64, bool) {
    let t = Instant::now();
    let child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    (t.elapsed().as_secs_f64(), usage.ru_maxrss as f64 / 1024.0, ok)
}

const SCHEMA: &str = r#"
CREATE TABLE customers (
  id INTEGER PRIMARY KEY, uid TEXT NOT NULL, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE,
  created TEXT NOT NULL, active BOOLEAN NOT NULL DEFAULT 1
);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), created TEXT NOT NULL,
  total REAL NOT NULL, status TEXT NOT NULL CHECK (status IN ('new', 'paid', 'sent')), meta TEXT
);
CREATE TABLE items (
  order_id INTEGER NOT NULL REFERENCES orders(id), line INTEGER NOT NULL, sku TEXT NOT NULL, qty INTEGER NOT NULL,
  price NUMERIC NOT NULL, PRIMARY KEY (order_id, line)
);
CREATE INDEX orders_customer ON orders (customer_id);
CREATE INDEX orders_created ON orders (created);
CREATE INDEX items_sku ON items (sku);
"#;

async fn fidelity(pg: &DbPool) -> String {
    let DbPool::Postgres(p) = pg else { unreachable!() };
    let not_null: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND is_nullable = 'NO'",
    )
    .fetch_one(p)
    .await
    .unwrap_or(0);
    let identity: i64 = sqlx::query_scalar("SELECT count(*) FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND (is_identity = 'YES' OR column_default LIKE 'nextval%')").fetch_one(p).await.unwrap_or(0);
    let fks: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND contype = 'f'").fetch_one(p).await.unwrap_or(0);
    let checks: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND contype = 'c'").fetch_one(p).await.unwrap_or(0);
    let types: Vec<(String, String)> = sqlx::query_as("SELECT table_name || '.' || column_name, data_type FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND column_name IN ('uid', 'created', 'meta', 'active') ORDER BY 1").fetch_all(p).await.unwrap_or_default();
    let types: Vec<String> = types.iter().map(|(c, t)| format!("{c} {t}")).collect();
    format!("NOT NULL {not_null}, identity {identity}, FK {fks}, CHECK {checks}; {}", types.join(", "))
}

fn main() {
    let engines = std::env::var("ENGINES").unwrap_or_else(|_| "sqlite,mysql".into());
    if engines.contains("sqlite") {
        sqlite_section();
    }
    if engines.contains("mysql") {
        mysql_section();
    }
    if engines.contains("duckdb") {
        duckdb_section();
    }
}

/// What the floor runs, from dbconsole's own plan so both build the same tables: per table its name, CREATE TABLE
/// and column list; then the indexes, checks and foreign keys after the data.
async fn floor_ddl(source_url: &str, database: &str) -> (Vec<(String, String, String)>, Vec<String>) {
    use dbconsole::core::transfer::ddl;
    let src = pool_for(source_url, None).await;
    let plan = dbconsole::core::transfer::make_plan(
        &src,
        database,
        None,
        "source",
        "pg",
        dbconsole::core::profile::Engine::Postgres,
        "public",
        &[],
    )
    .await
    .unwrap();
    src.close().await;
    let tables = plan
        .tables
        .iter()
        .map(|t| {
            let cols: Vec<String> = t.columns.iter().map(|c| format!("\"{}\"", c.source)).collect();
            (t.source.clone(), ddl::create_table(&plan, t), cols.join(", "))
        })
        .collect();
    let mut after: Vec<String> = plan.tables.iter().flat_map(|t| ddl::after_load(&plan, t)).map(|(_, s)| s).collect();
    after.extend(plan.tables.iter().flat_map(|t| ddl::foreign_keys(&plan, t)).map(|(_, s)| s));
    (tables, after)
}

fn med(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

const MY_SCHEMA: &str = r#"
CREATE TABLE customers (
  id INT AUTO_INCREMENT PRIMARY KEY, uid CHAR(36) NOT NULL, name VARCHAR(100) NOT NULL, email VARCHAR(100) NOT NULL UNIQUE,
  created DATETIME NOT NULL, active TINYINT(1) NOT NULL DEFAULT 1
) ENGINE=InnoDB;
CREATE TABLE orders (
  id INT AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL, created DATETIME NOT NULL, total DOUBLE NOT NULL,
  status ENUM('new', 'paid', 'sent') NOT NULL, meta JSON, KEY orders_customer (customer_id), KEY orders_created (created),
  CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB;
CREATE TABLE items (
  order_id INT NOT NULL, line INT NOT NULL, sku VARCHAR(20) NOT NULL, qty INT NOT NULL, price DECIMAL(10,2) NOT NULL,
  PRIMARY KEY (order_id, line), KEY items_sku (sku), CONSTRAINT items_order_fk FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE=InnoDB;
"#;

/// MySQL (MariaDB) → PostgreSQL, measured the same way: floor `mariadb --batch | psql \copy` per table in
/// parallel, then the same indexes and keys; dbconsole; pgloader.
fn mysql_section() {
    let rows: i64 = std::env::var("ROWS").ok().and_then(|r| r.parse().ok()).unwrap_or(1_000_000);
    let (n_c, n_o) = (rows / 10, rows * 4 / 10);
    let n_i = rows - n_c - n_o;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (pg_port, my_port) = (env("DBC_TEST_PG_PORT"), env("DBC_TEST_MY_PORT"));
    let (pw, my_pw) = (env("DBC_TEST_PG_PASSWORD"), env("DBC_TEST_MY_PASSWORD"));
    let my_db = format!("dbc_bench_xfer_{rows}");
    rt.block_on(async {
        let admin = pool_for(&format!("mysql://dbc@127.0.0.1:{my_port}/dbc"), Some(my_pw.clone())).await;
        exec(&admin, &format!("CREATE DATABASE IF NOT EXISTS {my_db}")).await;
        admin.close().await;
        let pool = pool_for(&format!("mysql://dbc@127.0.0.1:{my_port}/{my_db}"), Some(my_pw.clone())).await;
        let DbPool::Mysql(p) = &pool else { unreachable!() };
        let have: i64 = sqlx::query_scalar("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'items'").fetch_one(p).await.unwrap();
        if have == 0 {
            exec(&pool, MY_SCHEMA).await;
            exec(&pool, &format!("INSERT INTO customers SELECT seq, UUID(), CONCAT('Customer ', seq), CONCAT('c', seq, '@example.com'), TIMESTAMP('2020-01-01') + INTERVAL seq * 37 MINUTE, seq % 3 > 0 FROM seq_1_to_{n_c}")).await;
            exec(&pool, &format!("INSERT INTO orders SELECT seq, 1 + (seq * 7) % {n_c}, TIMESTAMP('2021-01-01') + INTERVAL seq MINUTE, (seq % 10000) / 100.0, ELT(1 + seq % 3, 'new', 'paid', 'sent'), IF(seq % 4 = 0, NULL, CONCAT('{{\"channel\": \"web\", \"n\": ', seq % 100, '}}')) FROM seq_1_to_{n_o}")).await;
            exec(&pool, &format!("INSERT INTO items SELECT 1 + (seq - 1) DIV 2, (seq - 1) % 2, CONCAT('SKU-', seq % 5000), 1 + seq % 7, (seq % 2000) / 100.0 FROM seq_1_to_{n_i}")).await;
        }
        pool.close().await;
    });
    println!();
    println!(
        "MySQL (MariaDB) → PostgreSQL: {rows} rows ({n_c} customers, {n_o} orders, {n_i} items), schema + data + indexes + keys"
    );
    let psql = |db: &str, sql: &str| {
        Command::new("psql")
            .env("PGPASSWORD", &pw)
            .args(["-X", "-q", "-h", "127.0.0.1", "-p", &pg_port, "-U", "dbc", "-d", db, "-c", sql])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success()
    };
    let fresh = |db: &str| {
        psql("dbc", &format!("DROP DATABASE IF EXISTS {db}"));
        psql("dbc", &format!("CREATE DATABASE {db}"));
    };
    let cfg = tempfile::tempdir().unwrap();
    std::fs::write(
        cfg.path().join("profiles.toml"),
        format!(
            "[profiles.my]\nengine = \"mysql\"\nhost = \"127.0.0.1\"\nport = {my_port}\nuser = \"dbc\"\ndatabase = \"{my_db}\"\npassword_source = \"env\"\npassword_env = \"DBC_TEST_MY_PASSWORD\"\n\n[profiles.pg]\nengine = \"postgres\"\nhost = \"127.0.0.1\"\nport = {pg_port}\nuser = \"dbc\"\ndatabase = \"dbc_bench_ours\"\npassword_source = \"env\"\npassword_env = \"DBC_TEST_PG_PASSWORD\"\n"
        ),
    )
    .unwrap();
    let plan = rt.block_on(async {
        let src = pool_for(&format!("mysql://dbc@127.0.0.1:{my_port}/{my_db}"), Some(my_pw.clone())).await;
        let p = dbconsole::core::transfer::make_plan(
            &src,
            &my_db,
            Some(&my_db),
            "my",
            "pg",
            dbconsole::core::profile::Engine::Postgres,
            "public",
            &[],
        )
        .await
        .unwrap();
        src.close().await;
        p
    });
    let tables: Vec<(String, String, String)> = plan
        .tables
        .iter()
        .map(|t| {
            let cols: Vec<String> = t.columns.iter().map(|c| format!("`{}`", c.source)).collect();
            (t.source.clone(), dbconsole::core::transfer::ddl::create_table(&plan, t), cols.join(", "))
        })
        .collect();
    let mut after: Vec<String> =
        plan.tables.iter().flat_map(|t| dbconsole::core::transfer::ddl::after_load(&plan, t)).map(|(_, s)| s).collect();
    after.extend(
        plan.tables.iter().flat_map(|t| dbconsole::core::transfer::ddl::foreign_keys(&plan, t)).map(|(_, s)| s),
    );
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_dbconsole"));
    let runs = std::env::var("RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(2);
    let (mut floor_t, mut ours_t, mut pgl_t) = (Vec::new(), Vec::new(), Vec::new());
    let (mut ours_rss, mut pgl_rss) = (0f64, 0f64);
    let mut fid: Vec<String> = vec![String::new(); 3];
    for run in 0..runs {
        fresh("dbc_bench_floor");
        let t = Instant::now();
        for (_, ddl, _) in &tables {
            assert!(psql("dbc_bench_floor", ddl), "{ddl}");
        }
        let children: Vec<_> = tables
            .iter()
            .map(|(name, _, cols)| {
                let pipeline = format!(
                    "MYSQL_PWD='{my_pw}' mariadb --no-defaults -h 127.0.0.1 -P {my_port} -u dbc --batch --skip-column-names -e 'SELECT {cols} FROM `{name}`' {my_db} | PGPASSWORD='{pw}' PGOPTIONS='-c TimeZone=UTC' psql -X -q -h 127.0.0.1 -p {pg_port} -U dbc -d dbc_bench_floor -c \"\\copy \\\"{name}\\\" FROM STDIN WITH (NULL 'NULL')\""
                );
                Command::new("bash").args(["-c", &pipeline]).spawn().unwrap()
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success(), "floor pipeline failed");
        }
        for sql in &after {
            psql("dbc_bench_floor", sql);
        }
        floor_t.push(t.elapsed().as_secs_f64());
        fresh("dbc_bench_ours");
        let (secs, rss, ok) = measure(
            Command::new(exe)
                .env("DBCONSOLE_CONFIG_DIR", cfg.path())
                .env("DBCONSOLE_DATA_DIR", cfg.path())
                .current_dir(cfg.path())
                .args(["transfer", "run", "--from", "my", "--to", "pg", "--yes", "--restart"]),
        );
        assert!(ok, "dbconsole transfer failed");
        ours_t.push(secs);
        ours_rss = ours_rss.max(rss);
        fresh("dbc_bench_pgloader");
        let (secs, rss, ok) = measure(Command::new("pgloader").args([
            "--no-ssl-cert-verification",
            &format!("mysql://dbc:{my_pw}@127.0.0.1:{my_port}/{my_db}"),
            &format!("postgresql://dbc:{pw}@127.0.0.1:{pg_port}/dbc_bench_pgloader"),
        ]));
        if ok {
            pgl_t.push(secs);
            pgl_rss = pgl_rss.max(rss);
        }
        if run == runs - 1 {
            rt.block_on(async {
                for (i, db) in ["dbc_bench_floor", "dbc_bench_ours", "dbc_bench_pgloader"].iter().enumerate() {
                    let p = pool_for(&format!("postgres://dbc@127.0.0.1:{pg_port}/{db}"), Some(pw.clone())).await;
                    fid[i] = fidelity(&p).await;
                    p.close().await;
                }
            });
        }
    }
    let floor = med(floor_t.clone());
    println!("| tool | time (s, median of {runs}) | × floor | peak RSS (MB) | what PostgreSQL got |");
    println!("|------|------|------|------|------|");
    for (name, times, rss, f) in [
        ("floor (mariadb --batch | psql \\copy, parallel)", floor_t, f64::NAN, &fid[0]),
        ("dbconsole transfer run", ours_t, ours_rss, &fid[1]),
        ("pgloader", pgl_t, pgl_rss, &fid[2]),
    ] {
        let m = med(times);
        println!(
            "| {name} | {m:.2} | {:.2} | {} | {f} |",
            m / floor,
            if rss.is_nan() { "-".to_string() } else { format!("{rss:.0}") }
        );
    }
}

fn sqlite_section() {
    let rows: i64 = std::env::var("ROWS").ok().and_then(|r| r.parse().ok()).unwrap_or(1_000_000);
    let (n_c, n_o) = (rows / 10, rows * 4 / 10);
    let n_i = rows - n_c - n_o;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench_transfer");
    std::fs::create_dir_all(&dir).unwrap();
    let lite = dir.join(format!("source_{rows}.sqlite"));
    let pg_port = env("DBC_TEST_PG_PORT");
    let pw = env("DBC_TEST_PG_PASSWORD");
    rt.block_on(async {
        if !lite.exists() {
            std::fs::write(&lite, b"").unwrap();
            let pool = pool_for(&format!("sqlite:{}", lite.display()), None).await;
            exec(&pool, SCHEMA).await;
            exec(&pool, &format!("WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {n_c}) INSERT INTO customers SELECT i, lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-8' || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))), 'Customer ' || i, 'c' || i || '@example.com', datetime('2020-01-01', '+' || (i * 37) || ' minutes'), i % 3 > 0 FROM g")).await;
            exec(&pool, &format!("WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {n_o}) INSERT INTO orders SELECT i, 1 + (i * 7) % {n_c}, datetime('2021-01-01', '+' || i || ' minutes'), (i % 10000) / 100.0, CASE i % 3 WHEN 0 THEN 'new' WHEN 1 THEN 'paid' ELSE 'sent' END, CASE WHEN i % 4 = 0 THEN NULL ELSE '{{\"channel\": \"web\", \"n\": ' || (i % 100) || '}}' END FROM g")).await;
            exec(&pool, &format!("WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i < {n_i} - 1) INSERT INTO items SELECT 1 + i / 2, i % 2, 'SKU-' || (i % 5000), 1 + i % 7, (i % 2000) / 100.0 FROM g")).await;
            exec(&pool, "ANALYZE").await;
            pool.close().await;
        }
    });
    let size = std::fs::metadata(&lite).map(|m| m.len()).unwrap_or(0);
    println!();
    println!(
        "SQLite → PostgreSQL: {rows} rows ({n_c} customers, {n_o} orders, {n_i} items; {:.0} MB file), schema + data + indexes + keys",
        size as f64 / 1e6
    );
    let admin = |sql: &str| {
        let st = Command::new("psql")
            .env("PGPASSWORD", &pw)
            .args(["-X", "-q", "-h", "127.0.0.1", "-p", &pg_port, "-U", "dbc", "-d", "dbc", "-c", sql])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success(), "{sql}");
    };
    let fresh = |db: &str| {
        admin(&format!("DROP DATABASE IF EXISTS {db}"));
        admin(&format!("CREATE DATABASE {db}"));
    };
    // The plan (and the DDL the floor uses, so both build the same tables).
    let cfg = tempfile::tempdir().unwrap();
    let write_profiles = |db: &str| {
        std::fs::write(
            cfg.path().join("profiles.toml"),
            format!(
                "[profiles.lite]\nengine = \"sqlite\"\npath = \"{}\"\n\n[profiles.pg]\nengine = \"postgres\"\nhost = \"127.0.0.1\"\nport = {pg_port}\nuser = \"dbc\"\ndatabase = \"{db}\"\npassword_source = \"env\"\npassword_env = \"DBC_TEST_PG_PASSWORD\"\n",
                lite.display()
            ),
        )
        .unwrap();
    };
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_dbconsole"));
    let dbc = |args: &[&str]| {
        let mut c = Command::new(exe);
        c.env("DBCONSOLE_CONFIG_DIR", cfg.path())
            .env("DBCONSOLE_DATA_DIR", cfg.path())
            .current_dir(cfg.path())
            .args(args);
        c
    };
    let (floor_tables, after) =
        rt.block_on(floor_ddl(&format!("sqlite:{}", lite.display()), &lite.display().to_string()));

    let mut results: Vec<(String, Vec<f64>, f64, String)> = Vec::new();
    let runs = std::env::var("RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(2);
    let (mut floor_t, mut ours_t, mut pgl_t) = (Vec::new(), Vec::new(), Vec::new());
    let (mut ours_rss, mut pgl_rss) = (0f64, 0f64);
    let (mut fid_ours, mut fid_pgl, mut fid_floor) = (String::new(), String::new(), String::new());
    for run in 0..runs {
        // Floor: the tools of the two engines, every table at once, then the same indexes and keys.
        fresh("dbc_bench_floor");
        let t = Instant::now();
        for (_, ddl, _) in &floor_tables {
            let st = Command::new("psql")
                .env("PGPASSWORD", &pw)
                .args(["-X", "-q", "-h", "127.0.0.1", "-p", &pg_port, "-U", "dbc", "-d", "dbc_bench_floor", "-c", ddl])
                .status()
                .unwrap();
            assert!(st.success());
        }
        let children: Vec<_> = floor_tables
            .iter()
            .map(|(name, _, cols)| {
                let pipeline = format!(
                    "sqlite3 -csv '{}' 'SELECT {cols} FROM \"{name}\"' | PGPASSWORD='{pw}' psql -X -q -h 127.0.0.1 -p {pg_port} -U dbc -d dbc_bench_floor -c '\\copy \"{name}\" FROM STDIN CSV'",
                    lite.display(),
                    cols = cols.replace('"', "\\\"").replace("\\\"", "\"")
                );
                Command::new("bash").args(["-c", &pipeline]).spawn().unwrap()
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success());
        }
        for sql in &after {
            let _ = Command::new("psql")
                .env("PGPASSWORD", &pw)
                .args(["-X", "-q", "-h", "127.0.0.1", "-p", &pg_port, "-U", "dbc", "-d", "dbc_bench_floor", "-c", sql])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        floor_t.push(t.elapsed().as_secs_f64());
        // dbconsole.
        fresh("dbc_bench_ours");
        write_profiles("dbc_bench_ours");
        let (secs, rss, ok) =
            measure(&mut dbc(&["transfer", "run", "--from", "lite", "--to", "pg", "--yes", "--restart"]));
        assert!(ok, "dbconsole transfer failed");
        ours_t.push(secs);
        ours_rss = ours_rss.max(rss);
        // pgloader.
        fresh("dbc_bench_pgloader");
        let (secs, rss, ok) = measure(Command::new("pgloader").args([
            "--no-ssl-cert-verification",
            &format!("sqlite://{}", lite.display()),
            &format!("postgresql://dbc:{pw}@127.0.0.1:{pg_port}/dbc_bench_pgloader"),
        ]));
        if ok {
            pgl_t.push(secs);
            pgl_rss = pgl_rss.max(rss);
        }
        if run == runs - 1 {
            rt.block_on(async {
                for (db, out) in [
                    ("dbc_bench_ours", &mut fid_ours),
                    ("dbc_bench_pgloader", &mut fid_pgl),
                    ("dbc_bench_floor", &mut fid_floor),
                ] {
                    let p = pool_for(&format!("postgres://dbc@127.0.0.1:{pg_port}/{db}"), Some(pw.clone())).await;
                    *out = fidelity(&p).await;
                    p.close().await;
                }
            });
        }
    }
    let floor = med(floor_t.clone());
    results.push(("floor (sqlite3 -csv | psql \\copy, parallel)".into(), floor_t, f64::NAN, fid_floor));
    results.push(("dbconsole transfer run".into(), ours_t, ours_rss, fid_ours));
    results.push(("pgloader".into(), pgl_t, pgl_rss, fid_pgl));
    println!("| tool | time (s, median of {runs}) | × floor | peak RSS (MB) | what PostgreSQL got |");
    println!("|------|------|------|------|------|");
    for (name, times, rss, fid) in results {
        let m = med(times);
        println!(
            "| {name} | {m:.2} | {:.2} | {} | {fid} |",
            m / floor,
            if rss.is_nan() { "-".to_string() } else { format!("{rss:.0}") }
        );
    }
    println!(
        "targets: dbconsole ≤ 1.1 × floor on a durable server, clearly faster than pgloader, under 100 MB resident"
    );
}

/// DuckDB → PostgreSQL, the same three tables in a DuckDB file (DuckDB types: TIMESTAMP, UUID, JSON, DECIMAL):
/// floor `duckdb -csv | psql \copy` per table in parallel, then the same indexes and keys; dbconsole (which reads
/// through the same shell). pgloader has no DuckDB source.
fn duckdb_section() {
    let rows: i64 = std::env::var("ROWS").ok().and_then(|r| r.parse().ok()).unwrap_or(1_000_000);
    let (n_c, n_o) = (rows / 10, rows * 4 / 10);
    let n_i = rows - n_c - n_o;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let cli = env("DBC_TEST_DUCKDB");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench_transfer");
    std::fs::create_dir_all(&dir).unwrap();
    let duck = dir.join(format!("source_{rows}.duckdb"));
    let (pg_port, pw) = (env("DBC_TEST_PG_PORT"), env("DBC_TEST_PG_PASSWORD"));
    if !duck.exists() {
        let sql = format!(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, uid UUID NOT NULL, name VARCHAR NOT NULL, email VARCHAR NOT NULL UNIQUE, created TIMESTAMP NOT NULL, active BOOLEAN NOT NULL DEFAULT true);
             CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), created TIMESTAMP NOT NULL, total DOUBLE NOT NULL, status VARCHAR NOT NULL CHECK (status IN ('new', 'paid', 'sent')), meta JSON);
             CREATE TABLE items (order_id INTEGER NOT NULL REFERENCES orders(id), line INTEGER NOT NULL, sku VARCHAR NOT NULL, qty INTEGER NOT NULL, price DECIMAL(10,2) NOT NULL, PRIMARY KEY (order_id, line));
             INSERT INTO customers SELECT i, uuid(), 'Customer ' || i, 'c' || i || '@example.com', TIMESTAMP '2020-01-01' + to_minutes(i * 37), i % 3 > 0 FROM range(1, {n_c} + 1) r(i);
             INSERT INTO orders SELECT i, 1 + (i * 7) % {n_c}, TIMESTAMP '2021-01-01' + to_minutes(i), (i % 10000) / 100.0, CASE i % 3 WHEN 0 THEN 'new' WHEN 1 THEN 'paid' ELSE 'sent' END, CASE WHEN i % 4 = 0 THEN NULL ELSE '{{\"channel\": \"web\", \"n\": ' || (i % 100) || '}}' END FROM range(1, {n_o} + 1) r(i);
             INSERT INTO items SELECT 1 + i // 2, i % 2, 'SKU-' || (i % 5000), 1 + i % 7, (i % 2000) / 100.0 FROM range(0, {n_i}) r(i);
             CREATE INDEX orders_customer ON orders (customer_id); CREATE INDEX orders_created ON orders (created); CREATE INDEX items_sku ON items (sku);"
        );
        let st = Command::new(&cli).arg("-no-init").arg(&duck).arg("-c").arg(&sql).status().unwrap();
        assert!(st.success(), "making the DuckDB source");
    }
    let size = std::fs::metadata(&duck).map(|m| m.len()).unwrap_or(0);
    println!();
    println!(
        "DuckDB → PostgreSQL: {rows} rows ({n_c} customers, {n_o} orders, {n_i} items; {:.0} MB file), schema + data + indexes + keys",
        size as f64 / 1e6
    );
    let admin = |sql: &str| {
        let st = Command::new("psql")
            .env("PGPASSWORD", &pw)
            .args(["-X", "-q", "-h", "127.0.0.1", "-p", &pg_port, "-U", "dbc", "-d", "dbc", "-c", sql])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success(), "{sql}");
    };
    let fresh = |db: &str| {
        admin(&format!("DROP DATABASE IF EXISTS {db}"));
        admin(&format!("CREATE DATABASE {db}"));
    };
    let cfg = tempfile::tempdir().unwrap();
    std::fs::write(
        cfg.path().join("profiles.toml"),
        format!(
            "[profiles.duck]\nengine = \"duckdb\"\npath = \"{}\"\nduckdb_cli = \"{cli}\"\n\n[profiles.pg]\nengine = \"postgres\"\nhost = \"127.0.0.1\"\nport = {pg_port}\nuser = \"dbc\"\ndatabase = \"dbc_bench_ours\"\npassword_source = \"env\"\npassword_env = \"DBC_TEST_PG_PASSWORD\"\n",
            duck.display()
        ),
    )
    .unwrap();
    let (floor_tables, after) =
        rt.block_on(floor_ddl(&format!("duckdb:{}?cli={cli}", duck.display()), &duck.display().to_string()));
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_dbconsole"));
    let runs = std::env::var("RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(2);
    let (mut floor_t, mut ours_t, mut ours_rss) = (Vec::new(), Vec::new(), 0f64);
    let (mut fid_floor, mut fid_ours) = (String::new(), String::new());
    let psql = |db: &str, sql: &str| {
        Command::new("psql")
            .env("PGPASSWORD", &pw)
            .args(["-X", "-q", "-h", "127.0.0.1", "-p", &pg_port, "-U", "dbc", "-d", db, "-c", sql])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success()
    };
    for run in 0..runs {
        fresh("dbc_bench_floor");
        let t = Instant::now();
        for (_, ddl, _) in &floor_tables {
            assert!(psql("dbc_bench_floor", ddl), "{ddl}");
        }
        let children: Vec<_> = floor_tables
            .iter()
            .map(|(name, _, cols)| {
                let pipeline = format!(
                    "'{cli}' -no-init -readonly -csv -noheader -nullvalue '' '{}' -c 'SELECT {cols} FROM \"{name}\"' | PGPASSWORD='{pw}' PGOPTIONS='-c TimeZone=UTC' psql -X -q -h 127.0.0.1 -p {pg_port} -U dbc -d dbc_bench_floor -c '\\copy \"{name}\" FROM STDIN CSV'",
                    duck.display()
                );
                Command::new("bash").args(["-c", &pipeline]).spawn().unwrap()
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success(), "floor pipeline failed");
        }
        for sql in &after {
            psql("dbc_bench_floor", sql);
        }
        floor_t.push(t.elapsed().as_secs_f64());
        fresh("dbc_bench_ours");
        let (secs, rss, ok) = measure(
            Command::new(exe)
                .env("DBCONSOLE_CONFIG_DIR", cfg.path())
                .env("DBCONSOLE_DATA_DIR", cfg.path())
                .current_dir(cfg.path())
                .args(["transfer", "run", "--from", "duck", "--to", "pg", "--yes", "--restart"]),
        );
        assert!(ok, "dbconsole transfer failed");
        ours_t.push(secs);
        ours_rss = ours_rss.max(rss);
        if run == runs - 1 {
            rt.block_on(async {
                for (db, out) in [("dbc_bench_ours", &mut fid_ours), ("dbc_bench_floor", &mut fid_floor)] {
                    let p = pool_for(&format!("postgres://dbc@127.0.0.1:{pg_port}/{db}"), Some(pw.clone())).await;
                    *out = fidelity(&p).await;
                    p.close().await;
                }
            });
        }
    }
    let floor = med(floor_t.clone());
    println!("| tool | time (s, median of {runs}) | × floor | peak RSS (MB) | what PostgreSQL got |");
    println!("|------|------|------|------|------|");
    println!("| floor (duckdb -csv \\| psql \\copy, parallel) | {floor:.2} | 1.00 | - | {fid_floor} |");
    let m = med(ours_t);
    println!("| dbconsole transfer run | {m:.2} | {:.2} | {ours_rss:.0} | {fid_ours} |", m / floor);
    println!("target: dbconsole ≤ 1.1 × floor, under 100 MB resident");
}
