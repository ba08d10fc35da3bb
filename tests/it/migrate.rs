//! Versioned migrations against the real engines: apply, re-run, failure in the middle, per-engine variants,
//! drift and missing files, revert, dry run, lint, two processes at once, and sqlx's own migrator on the same
//! database both ways.
use std::path::Path;
use std::process::Stdio;

use dbconsole::core::engine::DbPool;
use dbconsole::core::migrate::{self, Event, Options, Status};
use dbconsole::core::profile::Engine;

use crate::catalog::{exec, my_pool, new_my_db, new_pg_db, pg_pool, sqlite_pool};
use crate::common::*;

fn write(dir: &Path, name: &str, sql: &str) {
    std::fs::write(dir.join(name), sql).unwrap();
}

async fn exists(pool: &DbPool, table: &str) -> bool {
    use sqlx::Row;
    let n: i64 = match pool {
        DbPool::Postgres(p) => sqlx::query("SELECT count(*) FROM pg_tables WHERE tablename = $1")
            .bind(table)
            .fetch_one(p)
            .await
            .unwrap()
            .get(0),
        DbPool::Mysql(p) => sqlx::query(
            "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
        )
        .bind(table)
        .fetch_one(p)
        .await
        .unwrap()
        .get(0),
        DbPool::Sqlite(p) => sqlx::query("SELECT count(*) FROM sqlite_schema WHERE name = ?")
            .bind(table)
            .fetch_one(p)
            .await
            .unwrap()
            .get(0),
        DbPool::Duckdb(_) => unreachable!("no DuckDB in this test"),
    };
    n > 0
}

async fn fresh(engine: Engine, dir: &Path) -> (DbPool, String) {
    match engine {
        Engine::Postgres => {
            let db = new_pg_db().await;
            (pg_pool(&db).await, db)
        }
        Engine::Mysql => {
            let db = new_my_db().await;
            (my_pool(&db).await, db)
        }
        Engine::Sqlite => {
            let path = dir.join("target.db");
            (sqlite_pool(&path).await, path.display().to_string())
        }
        Engine::Duckdb => unreachable!("no DuckDB in this test"),
    }
}

fn statuses(p: &migrate::Plan) -> Vec<(i64, Status)> {
    p.entries.iter().map(|e| (e.version, e.status)).collect()
}

async fn apply(pool: &DbPool, dir: &Path, opts: Options) -> Result<migrate::RunReport, migrate::MigrateError> {
    let folder = migrate::load(dir, pool.engine()).unwrap();
    let mut events = |_e: Event| {};
    migrate::apply(pool, &folder, &opts, &mut events).await
}

async fn status(pool: &DbPool, dir: &Path) -> migrate::Plan {
    let folder = migrate::load(dir, pool.engine()).unwrap();
    migrate::status(pool, &folder).await.unwrap()
}

/// The whole life of a migrations folder on one engine.
async fn lifecycle(engine: Engine) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("migrations");
    std::fs::create_dir(&dir).unwrap();
    let (pool, _db) = fresh(engine, tmp.path()).await;
    write(&dir, "1_first.sql", "CREATE TABLE t1 (id INT PRIMARY KEY);\nINSERT INTO t1 VALUES (1);\n");
    write(&dir, "2_second.up.sql", "CREATE TABLE t2 (id INT PRIMARY KEY);");
    write(&dir, "2_second.down.sql", "DROP TABLE t2;");
    // Migration 3 fails in its second statement, on line 4.
    write(
        &dir,
        "3_third.sql",
        "-- creates t3, then breaks\nCREATE TABLE t3 (id INT PRIMARY KEY);\n\nINSERT INTO no_such_table VALUES (1);\n",
    );
    write(&dir, "4_fourth.sql", "CREATE TABLE t4 (id INT);");
    write(&dir, "4_fourth.postgres.sql", "CREATE TABLE t4_pg (id INT);");
    write(&dir, "5_fifth.sql", "CREATE TABLE t5 (id INT);");
    write(&dir, "6_only_mysql.mysql.sql", "CREATE TABLE t6_my (id INT);");
    write(&dir, "README.md", "not a migration");

    let p = status(&pool, &dir).await;
    let expected_pending: Vec<i64> = if engine == Engine::Mysql { vec![1, 2, 3, 4, 5, 6] } else { vec![1, 2, 3, 4, 5] };
    assert_eq!(p.entries.iter().map(|e| e.version).collect::<Vec<_>>(), expected_pending);
    assert!(p.entries.iter().all(|e| e.status == Status::Pending));
    if engine != Engine::Mysql {
        assert_eq!(p.other_engines, vec![(6, "only mysql".to_string())]);
    }

    // Failure in the middle.
    let r = apply(&pool, &dir, Options::default()).await.unwrap();
    assert_eq!(r.done.iter().map(|d| d.0).collect::<Vec<_>>(), [1, 2]);
    let f = r.failure.expect("migration 3 fails");
    assert_eq!((f.version, f.statement_index, f.line), (3, 2, 4), "{f}");
    assert!(f.file.ends_with("3_third.sql"));
    assert!(f.code.is_some(), "the engine's error code is reported: {f}");
    assert!(f.message.to_lowercase().contains("no_such_table"), "{f}");
    assert!(exists(&pool, "t1").await && exists(&pool, "t2").await);
    assert!(!exists(&pool, "t4").await && !exists(&pool, "t5").await, "4 and 5 untouched");
    let p = status(&pool, &dir).await;
    if engine == Engine::Mysql {
        // The CREATE TABLE committed implicitly: the migration is recorded as failed, and says so.
        assert!(exists(&pool, "t3").await);
        assert!(f.state.contains("committed statements 1–1"), "{}", f.state);
        assert_eq!(statuses(&p)[2], (3, Status::Failed));
        let err = apply(&pool, &dir, Options::default()).await.unwrap_err();
        assert!(err.to_string().contains("recorded as failed"), "{err}");
        // Repair by hand, as the message says: drop what ran, delete the row.
        exec(&pool, "DROP TABLE t3; DELETE FROM _sqlx_migrations WHERE version = 3").await;
    } else {
        assert!(!exists(&pool, "t3").await, "migration 3 rolled back");
        assert!(f.state.contains("rolled back"), "{}", f.state);
        assert_eq!(statuses(&p)[..3], [(1, Status::Applied), (2, Status::Applied), (3, Status::Pending)]);
    }

    // Fixed: the rest applies; the engine's variant is the one that ran.
    write(&dir, "3_third.sql", "CREATE TABLE t3 (id INT PRIMARY KEY);\n");
    let r = apply(&pool, &dir, Options::default()).await.unwrap();
    assert!(r.failure.is_none(), "{:?}", r.failure);
    assert_eq!(r.done.first().map(|d| d.0), Some(3));
    assert_eq!(exists(&pool, "t4_pg").await, engine == Engine::Postgres);
    assert_eq!(exists(&pool, "t4").await, engine != Engine::Postgres);
    assert_eq!(exists(&pool, "t6_my").await, engine == Engine::Mysql);
    // Re-run: nothing to do.
    let r = apply(&pool, &dir, Options::default()).await.unwrap();
    assert!(r.done.is_empty() && r.failure.is_none());

    // Drift: an applied file edited refuses apply (naming the file) unless allowed.
    write(&dir, "1_first.sql", "CREATE TABLE t1 (id BIGINT PRIMARY KEY);\n");
    write(&dir, "7_seventh.sql", "CREATE TABLE t7 (id INT);");
    let p = status(&pool, &dir).await;
    assert_eq!(statuses(&p)[0], (1, Status::Drifted));
    let err = apply(&pool, &dir, Options::default()).await.unwrap_err();
    assert!(err.to_string().contains("1_first.sql"), "{err}");
    assert!(!exists(&pool, "t7").await);
    let r = apply(&pool, &dir, Options { allow_drift: true, ..Default::default() }).await.unwrap();
    assert_eq!(r.done.iter().map(|d| d.0).collect::<Vec<_>>(), [7]);

    // A missing file, and an out-of-order one.
    std::fs::remove_file(dir.join("5_fifth.sql")).unwrap();
    write(&dir, "0_zero.sql", "CREATE TABLE t0 (id INT);");
    let p = status(&pool, &dir).await;
    assert!(statuses(&p).contains(&(5, Status::Missing)));
    assert!(statuses(&p).contains(&(0, Status::OutOfOrder)));
    let err = apply(&pool, &dir, Options { allow_drift: true, ..Default::default() }).await.unwrap_err();
    assert!(err.to_string().contains("older than the newest applied"), "{err}");
    std::fs::remove_file(dir.join("0_zero.sql")).unwrap();

    // Revert: the newest (7) has no down file, so nothing is reverted and it says why.
    let folder = migrate::load(&dir, engine).unwrap();
    let mut ev = |_e: Event| {};
    let err = migrate::revert(&pool, &folder, 1, false, &mut ev).await.unwrap_err();
    assert!(err.to_string().contains("not reversible"), "{err}");
    pool.close().await;
}

#[tokio::test]
async fn lifecycle_postgres() {
    lifecycle(Engine::Postgres).await;
}

#[tokio::test]
async fn lifecycle_mysql() {
    lifecycle(Engine::Mysql).await;
}

#[tokio::test]
async fn lifecycle_sqlite() {
    lifecycle(Engine::Sqlite).await;
}

/// Revert and dry run on each engine.
async fn revert_and_dry_run(engine: Engine) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    std::fs::create_dir(&dir).unwrap();
    let (pool, _db) = fresh(engine, tmp.path()).await;
    write(&dir, "1_a.up.sql", "CREATE TABLE a (id INT);");
    write(&dir, "1_a.down.sql", "DROP TABLE a;");
    write(&dir, "2_b.up.sql", "CREATE TABLE b (id INT);\nINSERT INTO b VALUES (1);");
    write(&dir, "2_b.down.sql", "DROP TABLE b;");
    // Dry run: reports, changes nothing (not even the state table).
    let r = apply(&pool, &dir, Options { dry_run: true, ..Default::default() }).await.unwrap();
    assert!(r.dry_run && r.failure.is_none(), "{:?}", r.failure);
    assert_eq!(r.done.len(), 2);
    assert!(!exists(&pool, "a").await && !exists(&pool, "_sqlx_migrations").await);
    if engine == Engine::Mysql {
        assert!(r.notes.iter().any(|n| n.contains("prepared")), "{:?}", r.notes);
    }
    // A dry run finds the broken statement.
    write(&dir, "3_c.sql", "CREATE TABLE c (id INT);\nCREATE TABLEE oops (x INT);");
    let r = apply(&pool, &dir, Options { dry_run: true, ..Default::default() }).await.unwrap();
    let f = r.failure.expect("dry run reports the syntax error");
    assert_eq!((f.version, f.line), (3, 2), "{f}");
    assert!(!exists(&pool, "a").await && !exists(&pool, "c").await);
    std::fs::remove_file(dir.join("3_c.sql")).unwrap();

    let r = apply(&pool, &dir, Options::default()).await.unwrap();
    assert_eq!(r.done.len(), 2);
    let folder = migrate::load(&dir, engine).unwrap();
    let mut ev = |_e: Event| {};
    let r = migrate::revert(&pool, &folder, 2, false, &mut ev).await.unwrap();
    assert_eq!(r.done.iter().map(|d| d.0).collect::<Vec<_>>(), [2, 1]);
    assert!(!exists(&pool, "a").await && !exists(&pool, "b").await);
    assert!(status(&pool, &dir).await.entries.iter().all(|e| e.status == Status::Pending));
    pool.close().await;
}

#[tokio::test]
async fn revert_and_dry_run_postgres() {
    revert_and_dry_run(Engine::Postgres).await;
}

#[tokio::test]
async fn revert_and_dry_run_mysql() {
    revert_and_dry_run(Engine::Mysql).await;
}

#[tokio::test]
async fn revert_and_dry_run_sqlite() {
    revert_and_dry_run(Engine::Sqlite).await;
}

async fn sqlx_run(m: &sqlx::migrate::Migrator, pool: &DbPool) {
    match pool {
        DbPool::Postgres(p) => m.run(p).await.unwrap(),
        DbPool::Mysql(p) => m.run(p).await.unwrap(),
        DbPool::Sqlite(p) => m.run(p).await.unwrap(),
        DbPool::Duckdb(_) => unreachable!("no DuckDB in this test"),
    }
}

async fn sqlx_undo(m: &sqlx::migrate::Migrator, pool: &DbPool, target: i64) {
    match pool {
        DbPool::Postgres(p) => m.undo(p, target).await.unwrap(),
        DbPool::Mysql(p) => m.undo(p, target).await.unwrap(),
        DbPool::Sqlite(p) => m.undo(p, target).await.unwrap(),
        DbPool::Duckdb(_) => unreachable!("no DuckDB in this test"),
    }
}

/// sqlx's own migrator and dbconsole read and write the same state, both ways.
async fn sqlx_interop(engine: Engine) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    std::fs::create_dir(&dir).unwrap();
    let (pool, _db) = fresh(engine, tmp.path()).await;
    write(&dir, "20240101000000_create_users.sql", "CREATE TABLE users (id INT PRIMARY KEY, name TEXT);\n");
    write(&dir, "20240102000000_add_posts.up.sql", "CREATE TABLE posts (id INT PRIMARY KEY);\n");
    write(&dir, "20240102000000_add_posts.down.sql", "DROP TABLE posts;\n");
    // sqlx applies; dbconsole sees both applied, checksums equal.
    let migrator = sqlx::migrate::Migrator::new(dir.as_path()).await.unwrap();
    sqlx_run(&migrator, &pool).await;
    let p = status(&pool, &dir).await;
    assert_eq!(statuses(&p), [(20240101000000, Status::Applied), (20240102000000, Status::Applied)]);
    assert_eq!(p.entries[0].description, "create users");
    // dbconsole applies the next; sqlx accepts the state it finds (it validates checksums) and has nothing to do.
    write(&dir, "20240103000000_add_tags.sql", "CREATE TABLE tags (id INT PRIMARY KEY);\n");
    let r = apply(&pool, &dir, Options::default()).await.unwrap();
    assert_eq!(r.done.len(), 1);
    let migrator = sqlx::migrate::Migrator::new(dir.as_path()).await.unwrap();
    sqlx_run(&migrator, &pool).await;
    // sqlx reverts what dbconsole applied, down to the first; dbconsole sees it pending.
    sqlx_undo(&migrator, &pool, 20240101000000).await;
    // (sqlx cannot undo 3, which has no down file, so 2 is now older than the newest applied: out of order.)
    let p = status(&pool, &dir).await;
    assert_eq!(statuses(&p)[1], (20240102000000, Status::OutOfOrder));
    assert!(!exists(&pool, "posts").await && exists(&pool, "tags").await);
    pool.close().await;
}

#[tokio::test]
async fn sqlx_interop_postgres() {
    sqlx_interop(Engine::Postgres).await;
}

#[tokio::test]
async fn sqlx_interop_mysql() {
    sqlx_interop(Engine::Mysql).await;
}

#[tokio::test]
async fn sqlx_interop_sqlite() {
    sqlx_interop(Engine::Sqlite).await;
}

fn profiles_for(engine: Engine, db: &str) -> String {
    match engine {
        Engine::Postgres => format!(
            "[profiles.t]\nengine = \"postgres\"\nhost = \"127.0.0.1\"\nport = {}\ndatabase = \"{db}\"\nuser = \"dbc\"\n\
             password_source = \"env\"\npassword_env = \"DBC_TEST_PG_PASSWORD\"\n",
            pg_port()
        ),
        Engine::Mysql => format!(
            "[profiles.t]\nengine = \"mysql\"\nhost = \"127.0.0.1\"\nport = {}\ndatabase = \"{db}\"\nuser = \"dbc\"\n\
             password_source = \"env\"\npassword_env = \"DBC_TEST_MY_PASSWORD\"\n",
            my_port()
        ),
        Engine::Sqlite => format!("[profiles.t]\nengine = \"sqlite\"\npath = \"{db}\"\n"),
        Engine::Duckdb => unreachable!("no DuckDB in this test"),
    }
}

/// Two `dbconsole migrate apply` processes at once: one waits for the other's lock (and says who holds it), the
/// slow migration runs once, and the state table holds each version once.
async fn two_processes(engine: Engine) {
    let sb = Sandbox::new();
    let dir = sb.dir.path().join("m");
    std::fs::create_dir(&dir).unwrap();
    let (pool, db) = fresh(engine, sb.dir.path()).await;
    sb.write_profiles(&profiles_for(engine, &db));
    let slow = match engine {
        Engine::Postgres => "SELECT pg_sleep(2);",
        Engine::Mysql => "SELECT SLEEP(2);",
        // A recursive count that keeps SQLite busy for a while.
        Engine::Sqlite => {
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT count(*) FROM c;"
        }
        Engine::Duckdb => unreachable!("no DuckDB in this test"),
    };
    write(&dir, "1_slow.sql", &format!("CREATE TABLE runs (n INT);\nINSERT INTO runs VALUES (1);\n{slow}\n"));
    write(&dir, "2_next.sql", "INSERT INTO runs VALUES (2);");
    let spawn = || {
        sb.cmd()
            .args(["migrate", "apply", "t", "--dir", dir.to_str().unwrap(), "--yes", "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut first = spawn();
    // Start the second once the first holds the lock (its first JSON event says so).
    let mut out = std::io::BufReader::new(first.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    assert!(line.contains("\"locked\""), "{line}");
    let second = spawn();
    let (a, b) = (first.wait_with_output().unwrap(), second.wait_with_output().unwrap());
    assert!(a.status.success(), "{}", stderr(&a));
    assert!(b.status.success(), "{}", stderr(&b));
    let b_out = stdout(&b);
    assert!(b_out.contains("\"lock_waiting\""), "the second run says it waits: {b_out}");
    if engine == Engine::Postgres {
        assert!(b_out.contains("pid"), "and who holds the lock: {b_out}");
    }
    if engine == Engine::Mysql {
        assert!(b_out.contains("connection"), "and who holds the lock: {b_out}");
    }
    use sqlx::Row;
    let runs: i64 = match &pool {
        DbPool::Postgres(p) => sqlx::query("SELECT count(*) FROM runs").fetch_one(p).await.unwrap().get(0),
        DbPool::Mysql(p) => sqlx::query("SELECT count(*) FROM runs").fetch_one(p).await.unwrap().get(0),
        DbPool::Sqlite(p) => sqlx::query("SELECT count(*) FROM runs").fetch_one(p).await.unwrap().get(0),
        DbPool::Duckdb(_) => unreachable!("no DuckDB in this test"),
    };
    assert_eq!(runs, 2, "each migration ran once");
    let p = status(&pool, &dir).await;
    assert_eq!(statuses(&p), [(1, Status::Applied), (2, Status::Applied)]);
    pool.close().await;
}

#[tokio::test]
async fn two_processes_postgres() {
    two_processes(Engine::Postgres).await;
}

#[tokio::test]
async fn two_processes_mysql() {
    two_processes(Engine::Mysql).await;
}

#[tokio::test]
async fn two_processes_sqlite() {
    two_processes(Engine::Sqlite).await;
}

#[tokio::test]
async fn lint_finds_risky_changes_with_file_and_line() {
    let db = new_pg_db().await;
    let pool = pg_pool(&db).await;
    exec(
        &pool,
        "CREATE TABLE big (id bigint PRIMARY KEY, name varchar(100), amount numeric(12,2), note text);
         INSERT INTO big SELECT g, 'n' || g, g, 'x' FROM generate_series(1, 120000) g;
         CREATE TABLE small (id int PRIMARY KEY, code text);
         INSERT INTO small VALUES (1, 'a');
         CREATE TABLE empty_t (id int);
         ANALYZE;",
    )
    .await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        dir,
        "1_risky.sql",
        "DROP TABLE empty_t;\n\
         ALTER TABLE small DROP COLUMN code;\n\
         TRUNCATE small;\n\
         ALTER TABLE big ALTER COLUMN name TYPE varchar(20);\n\
         ALTER TABLE big ADD COLUMN must int NOT NULL;\n\
         CREATE INDEX big_name ON big (name);\n\
         ALTER TABLE big ALTER COLUMN note SET NOT NULL;\n\
         ALTER TABLE big ADD CONSTRAINT amount_pos CHECK (amount > 0);\n\
         ALTER TABLE big ALTER COLUMN amount TYPE numeric(14,2);\n\
         DELETE FROM small;\n\
         CREATE INDEX CONCURRENTLY big_note ON big (note);\n\
         ALTER TABLE empty_t ADD COLUMN fine int NOT NULL;\n",
    );
    let folder = migrate::load(dir, Engine::Postgres).unwrap();
    let p = migrate::status(&pool, &folder).await.unwrap();
    let findings = migrate::lint_pending(&pool, &folder, &p).await.unwrap();
    let got: Vec<(usize, &str)> = findings.iter().map(|f| (f.line, f.rule)).collect();
    for expected in [
        (1, "drop-table"),
        (2, "drop-column"),
        (3, "truncate"),
        (4, "type-narrowing"),
        (5, "not-null-without-default"),
        (6, "index-without-concurrently"),
        (7, "lock-heavy-alter"),
        (8, "lock-heavy-alter"),
        (9, "lock-heavy-alter"),
        (10, "delete-all"),
    ] {
        assert!(got.contains(&expected), "missing {expected:?} in {got:#?}");
    }
    assert!(!got.iter().any(|(l, _)| *l == 11 || *l == 12), "no finding for safe statements: {got:#?}");
    assert!(!got.contains(&(9, "type-narrowing")), "widening is not narrowing");
    let narrowing = findings.iter().find(|f| f.rule == "type-narrowing").unwrap();
    assert!(narrowing.message.contains("(100)") && narrowing.message.contains("120000"), "{}", narrowing.message);
    pool.close().await;

    // MySQL: DDL commits implicitly.
    let mdb = new_my_db().await;
    let mpool = my_pool(&mdb).await;
    let mdir = tmp.path().join("my");
    std::fs::create_dir(&mdir).unwrap();
    write(&mdir, "1_t.sql", "INSERT INTO nowhere VALUES (1);\nCREATE TABLE t (id INT);\n");
    let folder = migrate::load(&mdir, Engine::Mysql).unwrap();
    let p = migrate::status(&mpool, &folder).await.unwrap();
    let findings = migrate::lint_pending(&mpool, &folder, &p).await.unwrap();
    assert!(findings.iter().any(|f| f.rule == "mysql-implicit-commit" && f.line == 2), "{findings:#?}");
    mpool.close().await;
}

#[tokio::test]
async fn cli_refuses_without_yes_reports_json_and_exit_codes() {
    let sb = Sandbox::new();
    let dir = sb.dir.path().join("m");
    std::fs::create_dir(&dir).unwrap();
    let db = sb.dir.path().join("app.db");
    std::fs::write(&db, b"").unwrap();
    sb.write_profiles(&format!(
        "[profiles.app]\nengine = \"sqlite\"\npath = \"{}\"\nmigrations = \"{}\"\n",
        db.display(),
        dir.display()
    ));
    write(&dir, "1_users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY);\n");
    // stdin is not a terminal and there is no --yes: refused, nothing applied.
    let o = sb.run(&["migrate", "apply", "app"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("without --yes"), "{}", stderr(&o));
    let o = sb.run(&["migrate", "status", "app", "--json"]);
    assert_eq!(json(&o)["entries"][0]["status"], "pending");
    // The profile's folder is used without --dir.
    let o = sb.run(&["migrate", "apply", "app", "--yes"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = sb.run(&["migrate", "status", "app", "--json"]);
    assert_eq!(json(&o)["entries"][0]["status"], "applied");
    // A failing migration: exit 1, the file and line on stderr.
    write(&dir, "2_bad.sql", "\nSELECT nope FROM users;\n");
    let o = sb.run(&["migrate", "apply", "app", "--yes"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("2_bad.sql:2"), "{}", stderr(&o));
    // Drift: exit 3, naming the file.
    std::fs::remove_file(dir.join("2_bad.sql")).unwrap();
    write(&dir, "1_users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY, x TEXT);\n");
    let o = sb.run(&["migrate", "apply", "app", "--yes"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("1_users.sql"), "{}", stderr(&o));
    // A folder with conflicting files: usage error naming them.
    write(&dir, "3_a.sql", "SELECT 1;");
    write(&dir, "3_b.sql", "SELECT 2;");
    let o = sb.run(&["migrate", "status", "app"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("3_a.sql") && stderr(&o).contains("3_b.sql"), "{}", stderr(&o));
    let o = sb.run(&["migrate", "status", "app", "--dir", "/nonexistent/dir"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent/dir"), "{}", stderr(&o));
}

const DESIRED: &str = "
CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(200), created DATE);
CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL, total NUMERIC(12,2) DEFAULT 0,
  CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id),
  CONSTRAINT total_pos CHECK (total >= 0));
CREATE INDEX orders_total ON orders (total);
CREATE TABLE tags (id INT PRIMARY KEY, label VARCHAR(50));
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
";

const CURRENT: &str = "
CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(50), legacy VARCHAR(10));
CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL, total NUMERIC(12,2));
CREATE INDEX orders_old ON orders (customer_id);
CREATE TABLE obsolete (x INT);
INSERT INTO customers (id, name) VALUES (1, 'ann');
INSERT INTO orders (id, customer_id, total) VALUES (10, 1, 5);
CREATE VIEW big_orders AS SELECT id FROM orders;
";

/// Diff of two fixture schemas → a migration that, applied, makes them equal (and keeps the rows).
async fn diff_round_trip(engine: Engine) {
    use dbconsole::core::catalog::{self, compare, diff};
    let tmp = tempfile::tempdir().unwrap();
    let (desired_pool, desired_db, current_pool, current_db) = match engine {
        Engine::Sqlite => {
            let (a, b) = (tmp.path().join("a.db"), tmp.path().join("b.db"));
            (sqlite_pool(&a).await, a.display().to_string(), sqlite_pool(&b).await, b.display().to_string())
        }
        _ => {
            let (a, b) = fresh_pair(engine).await;
            let pa = if engine == Engine::Postgres { pg_pool(&a).await } else { my_pool(&a).await };
            let pb = if engine == Engine::Postgres { pg_pool(&b).await } else { my_pool(&b).await };
            (pa, a, pb, b)
        }
    };
    exec(&desired_pool, DESIRED).await;
    exec(&current_pool, CURRENT).await;
    let only = |db: &str| if engine == Engine::Mysql { Some(db.to_string()) } else { None };
    let read = |pool: DbPool, db: String| async move {
        let mut c = catalog::introspect(&pool, &db, only(&db).as_deref(), |_| {}).await.unwrap();
        for s in c.schemas.iter_mut() {
            s.tables.retain(|t| t.name != "_sqlx_migrations");
        }
        c
    };
    let desired = read(desired_pool.clone(), desired_db.clone()).await;
    let current = read(current_pool.clone(), current_db.clone()).await;
    let script = diff::migration(&desired, &current);
    assert!(!script.is_empty());
    let dir = tmp.path().join("m");
    let path = migrate::write_new(&dir, 1, "schema diff", &script.sql("test")).unwrap();
    let sql = std::fs::read_to_string(&path).unwrap();
    let r = apply(&current_pool, &dir, Options::default()).await.unwrap();
    assert!(r.failure.is_none(), "{}\n--- migration ---\n{sql}", r.failure.unwrap());
    let after = read(current_pool.clone(), current_db.clone()).await;
    let rename = std::collections::BTreeMap::from([(desired.schemas[0].name.clone(), after.schemas[0].name.clone())]);
    let left = compare::differences(&desired, &after, &rename);
    assert!(left.is_empty(), "still different:\n{}\n--- migration ---\n{sql}", left.join("\n"));
    // The rows that both shapes hold survived.
    use sqlx::Row;
    let n: i64 = match &current_pool {
        DbPool::Postgres(p) => sqlx::query("SELECT count(*) FROM orders").fetch_one(p).await.unwrap().get(0),
        DbPool::Mysql(p) => sqlx::query("SELECT count(*) FROM orders").fetch_one(p).await.unwrap().get(0),
        DbPool::Sqlite(p) => sqlx::query("SELECT count(*) FROM orders").fetch_one(p).await.unwrap().get(0),
        DbPool::Duckdb(_) => unreachable!("no DuckDB in this test"),
    };
    assert_eq!(n, 1, "{sql}");
    assert!(sql.contains("DROP TABLE") && sql.contains("obsolete"), "{sql}");
    if std::env::var_os("SHOW_DIFF").is_some() {
        eprintln!("{sql}");
    }
    desired_pool.close().await;
    current_pool.close().await;
}

async fn fresh_pair(engine: Engine) -> (String, String) {
    match engine {
        Engine::Postgres => (new_pg_db().await, new_pg_db().await),
        _ => (new_my_db().await, new_my_db().await),
    }
}

#[tokio::test]
async fn diff_round_trip_postgres() {
    diff_round_trip(Engine::Postgres).await;
}

#[tokio::test]
async fn diff_round_trip_mysql() {
    diff_round_trip(Engine::Mysql).await;
}

#[tokio::test]
async fn diff_round_trip_sqlite() {
    diff_round_trip(Engine::Sqlite).await;
}

#[tokio::test]
async fn cli_diff_writes_a_numbered_migration_with_lint() {
    let sb = Sandbox::new();
    let (a, b) = (sb.dir.path().join("a.db"), sb.dir.path().join("b.db"));
    let (pa, pb) = (sqlite_pool(&a).await, sqlite_pool(&b).await);
    exec(&pa, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');").await;
    exec(&pb, "CREATE TABLE t (id INTEGER PRIMARY KEY); CREATE TABLE gone (x INT); INSERT INTO gone VALUES (1);").await;
    pa.close().await;
    pb.close().await;
    let dir = sb.dir.path().join("mig");
    std::fs::create_dir(&dir).unwrap();
    write(&dir, "1_init.sql", "SELECT 1;");
    let (from, to) = (format!("sqlite:{}", a.display()), format!("sqlite:{}", b.display()));
    let o = sb.run(&[
        "migrate",
        "diff",
        "--from",
        &from,
        "--to",
        &to,
        "--dir",
        dir.to_str().unwrap(),
        "--name",
        "sync with a",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let written = stdout(&o).trim().to_string();
    assert!(written.ends_with("2_sync_with_a.sql"), "{written}");
    let sql = std::fs::read_to_string(&written).unwrap();
    assert!(sql.contains("DROP TABLE \"gone\"") || sql.contains("DROP TABLE gone"), "{sql}");
    assert!(stderr(&o).contains("drop-table"), "the lint flags the drop: {}", stderr(&o));
    // Same schemas: nothing written.
    let o = sb.run(&["migrate", "diff", "--from", &from, "--to", &from, "--dir", dir.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("no differences"), "{}", stderr(&o));
}

/// The lint reads quoted names as the schema diff writes them, in each engine's quoting: `"public"."customers"`
/// on PostgreSQL and SQLite, backticks on MySQL, mixed with unquoted forms.
#[tokio::test]
async fn lint_reads_quoted_names_in_every_engine() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            Engine::Postgres,
            "ALTER TABLE \"public\".\"customers\" DROP COLUMN \"email\";\nALTER TABLE public.\"customers\" ALTER COLUMN \"name\" TYPE varchar(10);\nDROP TABLE \"public\".customers;\n",
        ),
        (
            Engine::Mysql,
            "ALTER TABLE `customers` DROP COLUMN `email`;\nALTER TABLE `customers` MODIFY `name` VARCHAR(10);\nDROP TABLE `customers`;\n",
        ),
        (Engine::Sqlite, "ALTER TABLE \"customers\" DROP COLUMN \"email\";\nDROP TABLE [customers];\n"),
    ];
    for (engine, sql) in cases {
        let (pool, _db) = fresh(engine, tmp.path()).await;
        exec(&pool, "CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(100), email VARCHAR(100))").await;
        exec(&pool, "INSERT INTO customers VALUES (1, 'a', 'b')").await;
        let dir = tmp.path().join(format!("lint-{engine}"));
        std::fs::create_dir_all(&dir).unwrap();
        write(&dir, "1_quoted.sql", sql);
        let folder = migrate::load(&dir, engine).unwrap();
        let p = migrate::status(&pool, &folder).await.unwrap();
        let findings = migrate::lint_pending(&pool, &folder, &p).await.unwrap();
        let got: Vec<(usize, &str)> = findings.iter().map(|f| (f.line, f.rule)).collect();
        assert!(got.contains(&(1, "drop-column")), "{engine}: {got:?}");
        let last = sql.lines().count();
        assert!(got.contains(&(last, "drop-table")), "{engine}: {got:?}");
        if engine != Engine::Sqlite {
            assert!(got.contains(&(2, "type-narrowing")), "{engine}: {got:?}");
        }
        let _ = std::fs::remove_file(tmp.path().join("target.db"));
        pool.close().await;
    }
}
