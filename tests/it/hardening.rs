//! Issue #11's reproductions, each kept as a test: SQL carried between dialects cannot break out of its literal
//! (every source → target pair, hostile literals, comments and names), the tokenizer and splitter on non-ASCII,
//! a byte-order mark, NUL, nested comments, MySQL delimiters and executable comments, and transfer resume and
//! plan checking (an untyped SQLite key, a keyless appended table, a BLOB key, resume with other settings, a
//! misspelt column or key, a plan made from URLs).
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use dbconsole::core::engine::DbPool;

use crate::catalog::{exec, my_pool, new_my_db, new_pg_db, pg_pool, sqlite_pool};
use crate::common::*;

fn profiles(sb: &Sandbox, lite: &Path, lite2: &Path, pg_db: &str, my_db: &str) {
    sb.write_profiles(&format!(
        "[profiles.lite]\nengine = \"sqlite\"\npath = \"{}\"\n\n[profiles.lite2]\nengine = \"sqlite\"\npath = \"{}\"\n\n\
         [profiles.pg]\nengine = \"postgres\"\nhost = \"127.0.0.1\"\nport = {}\nuser = \"dbc\"\ndatabase = \"{pg_db}\"\n\
         password_source = \"env\"\npassword_env = \"DBC_TEST_PG_PASSWORD\"\n\n\
         [profiles.my]\nengine = \"mysql\"\nhost = \"127.0.0.1\"\nport = {}\nuser = \"dbc\"\ndatabase = \"{my_db}\"\n\
         password_source = \"env\"\npassword_env = \"DBC_TEST_MY_PASSWORD\"\n",
        lite.display(),
        lite2.display(),
        pg_port(),
        my_port()
    ));
}

async fn scalar(pool: &DbPool, sql: &str) -> Option<String> {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match pool {
        DbPool::Postgres(p) => sqlx::query_scalar::<_, Option<String>>(sql).fetch_one(p).await.ok().flatten(),
        DbPool::Mysql(p) => sqlx::query_scalar::<_, Option<String>>(sql).fetch_one(p).await.ok().flatten(),
        DbPool::Sqlite(p) => sqlx::query_scalar::<_, Option<String>>(sql).fetch_one(p).await.ok().flatten(),
        DbPool::Duckdb(_) => unreachable!("no DuckDB in this test"),
    }
}

async fn count(pool: &DbPool, sql: &str) -> i64 {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match pool {
        DbPool::Postgres(p) => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await.unwrap(),
        DbPool::Mysql(p) => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await.unwrap(),
        DbPool::Sqlite(p) => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await.unwrap(),
        DbPool::Duckdb(_) => unreachable!("no DuckDB in this test"),
    }
}

const HOSTILE_SQLITE: &str = r#"
CREATE TABLE t (
  id INTEGER PRIMARY KEY,
  a TEXT CHECK (a <> '\' OR a = '); DROP TABLE victim; -- '),
  "we""ird`name" TEXT DEFAULT 'it''s \ ; DROP TABLE victim; --'
);
INSERT INTO t (id, a) VALUES (1, 'x'), (2, 'y');
CREATE VIEW v AS SELECT '\' AS a, '; DROP TABLE victim; -- ' AS b, 'é漢' AS c FROM t WHERE id = 1;
CREATE VIEW w AS SELECT id /*!, 42 AS who */ FROM t;
CREATE INDEX t_part ON t (a) WHERE a <> '\' AND a <> '''; DROP TABLE victim; --';
"#;

const HOSTILE_PG: &str = r#"
CREATE TABLE t (
  id int PRIMARY KEY,
  a text CHECK (a <> '\' OR a = '); DROP TABLE victim; -- '),
  "we""ird`name" text DEFAULT E'it''s \\ ; DROP TABLE victim; --'
);
INSERT INTO t (id, a) VALUES (1, 'x'), (2, 'y');
CREATE VIEW v AS SELECT '\' AS a, $q$; DROP TABLE victim; -- $q$ AS b, 'é漢' AS c FROM t WHERE id = 1;
CREATE VIEW w AS SELECT id /*!, 42 AS who */ FROM t;
"#;

const HOSTILE_MY: &str = r#"
CREATE TABLE t (
  id INT PRIMARY KEY,
  a VARCHAR(60),
  e ENUM('a\\b', 'it''s', 'x);y') NULL,
  `we"ird``name` VARCHAR(60) DEFAULT 'it''s \\ ; DROP TABLE victim; --',
  CONSTRAINT c1 CHECK (a <> '\\' OR a = '); DROP TABLE victim; -- ')
);
INSERT INTO t (id, a, e) VALUES (1, 'x', 'a\\b'), (2, 'y', 'it''s');
CREATE VIEW v AS SELECT '\\' AS a, '; DROP TABLE victim; -- ' AS b, 'é漢' AS c FROM t WHERE id = 1;
"#;

/// Hostile literals, comments and names in CHECKs, defaults, index predicates, enum values and views, moved
/// through every source → target pair: the victim table on the target survives, and where a view is created
/// its values are the source's, byte for byte.
#[tokio::test]
async fn hostile_sql_never_escapes_its_literal_on_any_target() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let lite = sb.data().join("hostile.db");
    let lite2 = sb.data().join("target.db");
    for (source, fixture) in [("lite", HOSTILE_SQLITE), ("pg", HOSTILE_PG), ("my", HOSTILE_MY)] {
        for target in ["lite", "pg", "my"].into_iter().filter(|t| *t != source) {
            let what = format!("{source} → {target}");
            let (pg_db, my_db) = (new_pg_db().await, new_my_db().await);
            let _ = std::fs::remove_file(&lite);
            let _ = std::fs::remove_file(&lite2);
            let (lite_pool, pg, my) = (sqlite_pool(&lite).await, pg_pool(&pg_db).await, my_pool(&my_db).await);
            let src_pool = match source {
                "lite" => &lite_pool,
                "pg" => &pg,
                _ => &my,
            };
            exec(src_pool, fixture).await;
            let target_name = if target == "lite" { "lite2" } else { target };
            let tgt_pool = match target {
                "lite" => sqlite_pool(&lite2).await,
                "pg" => pg_pool(&pg_db).await,
                _ => my_pool(&my_db).await,
            };
            exec(&tgt_pool, "CREATE TABLE victim (id INT)").await;
            profiles(&sb, &lite, &lite2, &pg_db, &my_db);
            let o = sb.run(&["transfer", "run", "--from", source, "--to", target_name, "--yes"]);
            let log = format!("{what}:\n{}{}", stdout(&o), stderr(&o));
            let victim = match target {
                "pg" => "SELECT count(*) FROM pg_tables WHERE tablename = 'victim'",
                "my" => {
                    "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'victim'"
                }
                _ => "SELECT count(*) FROM sqlite_schema WHERE name = 'victim'",
            };
            assert_eq!(count(&tgt_pool, victim).await, 1, "the victim table was dropped: {log}");
            let rows = scalar(&tgt_pool, "SELECT CAST(count(*) AS CHAR(10)) FROM t").await;
            assert_eq!(rows.as_deref().map(str::trim), Some("2"), "{log}");
            // Where the target took the view, it says exactly what the source's does.
            if let Some(a) = scalar(&tgt_pool, "SELECT a FROM v").await {
                assert_eq!(a, "\\", "{log}");
                assert_eq!(
                    scalar(&tgt_pool, "SELECT b FROM v").await.as_deref(),
                    Some("; DROP TABLE victim; -- "),
                    "{log}"
                );
                assert_eq!(scalar(&tgt_pool, "SELECT c FROM v").await.as_deref(), Some("é漢"), "{log}");
            }
            // The executable-comment view gains no column on MySQL.
            let who = scalar(&tgt_pool, "SELECT CAST(who AS CHAR) FROM w").await;
            assert_eq!(who, None, "{log}");
            // MySQL ENUM values (with a backslash and a quote) became a CHECK PostgreSQL accepts.
            if (source, target) == ("my", "pg") {
                let checks = "SELECT count(*) FROM pg_constraint WHERE conname LIKE '%enum%' AND contype = 'c'";
                assert_eq!(count(&tgt_pool, checks).await, 1, "{log}");
                let bad = "INSERT INTO t (id, e) VALUES (9, 'nope')";
                assert!(scalar(&tgt_pool, &format!("{bad} RETURNING 'inserted'")).await.is_none(), "{log}");
            }
            // A SQLite source's view is always portable: it must have been created.
            if source == "lite" {
                assert!(scalar(&tgt_pool, "SELECT a FROM v").await.is_some(), "view v missing: {log}");
            }
            for p in [lite_pool, pg, my, tgt_pool] {
                p.close().await;
            }
        }
    }
}

/// The SQL a user types, on every engine: non-ASCII outside quotes, a byte-order mark, a NUL byte (refused at
/// once instead of spinning), PostgreSQL's nested comments, MySQL's `DELIMITER $$ … END$$`.
#[test]
fn non_ascii_bom_nul_and_comments_through_dbconsole_query() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    std::fs::write(sb.data().join("x.db"), b"").unwrap();
    profiles(&sb, &sb.data().join("x.db"), &sb.data().join("y.db"), "dbc", "dbc");
    for p in ["lite", "pg", "my"] {
        let o = sb.run(&["query", p, "-e", "SELECT 1 AS é; SELECT 'aé' AS ü", "--format", "csv"]);
        assert!(o.status.success(), "{p}: {}", stderr(&o));
        assert_eq!(stdout(&o), "é\n1\n\nü\naé\n", "{p}");
        let o = sb.run(&["query", p, "-e", "\u{feff}SELECT 2 AS n", "--format", "csv"]);
        assert_eq!(stdout(&o), "n\n2\n", "{p}: {}", stderr(&o));
        // NUL: refused before anything is sent, within a moment.
        let started = Instant::now();
        let mut child = sb
            .cmd()
            .args(["query", p, "-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b"SELECT 1;\0").unwrap();
        let out = wait_or_kill(child, Duration::from_secs(20));
        assert!(started.elapsed() < Duration::from_secs(20), "{p}: NUL made it hang");
        assert!(!out.status.success(), "{p}");
        assert!(stderr(&out).contains("NUL"), "{p}: {}", stderr(&out));
    }
    let o = sb.run(&["query", "pg", "-e", "/* a /* b */ c */ SELECT 3 AS n", "--format", "csv"]);
    assert_eq!(stdout(&o), "n\n3\n", "{}", stderr(&o));
}

fn wait_or_kill(mut child: Child, limit: Duration) -> std::process::Output {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            child.kill().unwrap();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Migrations the way dumps write them: MySQL's executable comments run (they are not skipped while the
/// migration is recorded as applied), `DELIMITER $$` with `END$$`, PostgreSQL's nested comments.
#[tokio::test]
async fn dump_style_migrations_run_every_statement() {
    let sb = Sandbox::new();
    let dir = sb.dir.path().join("m");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(sb.data()).unwrap();
    let (pg_db, my_db) = (new_pg_db().await, new_my_db().await);
    profiles(&sb, &sb.data().join("x.db"), &sb.data().join("y.db"), &pg_db, &my_db);
    std::fs::write(
        dir.join("1_dump.mysql.sql"),
        "/*!40101 SET NAMES utf8mb4 */;\n/*!50000 CREATE TABLE xc (id INT) */;\n\
         DELIMITER $$\nCREATE PROCEDURE p() BEGIN INSERT INTO xc VALUES (1); INSERT INTO xc VALUES (2); END$$\n\
         DELIMITER ;\nCALL p();\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("1_dump.postgres.sql"),
        "/* a /* b; */ c; */ CREATE TABLE xc (id int);\nINSERT INTO xc VALUES (1), (2);\n",
    )
    .unwrap();
    for p in ["my", "pg"] {
        let o = sb.run(&["migrate", "apply", p, "--dir", dir.to_str().unwrap(), "--yes"]);
        assert!(o.status.success(), "{p}: {}{}", stdout(&o), stderr(&o));
    }
    assert_eq!(count(&my_pool(&my_db).await, "SELECT count(*) FROM xc").await, 2);
    assert_eq!(count(&pg_pool(&pg_db).await, "SELECT count(*) FROM xc").await, 2);
}

/// Starts `transfer run` with JSON events and kills it (SIGKILL) once `rows` rows are reported loaded.
fn run_and_kill_after(sb: &Sandbox, args: &[&str], rows: u64) -> bool {
    let mut child = sb
        .cmd()
        .current_dir(sb.data())
        .args(args)
        .arg("--json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = std::io::BufReader::new(child.stdout.take().unwrap());
    for line in out.lines() {
        let Ok(line) = line else { break };
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if v["event"] == "progress" && v["rows"].as_u64().unwrap_or(0) >= rows {
            child.kill().unwrap();
            let _ = child.wait();
            return true;
        }
    }
    let _ = child.wait();
    false
}

fn plan_with(sb: &Sandbox, from: &str, to: &str, edit: impl Fn(String) -> String) -> std::path::PathBuf {
    let o = sb.run(&["transfer", "plan", "--from", from, "--to", to]);
    assert!(o.status.success(), "{}", stderr(&o));
    let path = sb.data().join(format!("plan-{from}-{to}.toml"));
    std::fs::write(&path, edit(stdout(&o))).unwrap();
    path
}

/// A SQLite key column with no declared type holds integers that sort as numbers: a resume must continue after
/// the last one as a number (it compared them with text and loaded nothing more). A BLOB key resumes by bytes.
#[tokio::test]
async fn untyped_and_blob_keys_resume_with_every_row_once() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let lite = sb.data().join("keys.db");
    let pool = sqlite_pool(&lite).await;
    exec(
        &pool,
        "CREATE TABLE k (id PRIMARY KEY, v TEXT);\n\
         CREATE TABLE b (k BLOB PRIMARY KEY, v TEXT);\n\
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000)\n\
         INSERT INTO k SELECT i, 'row ' || i FROM n;\n\
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)\n\
         INSERT INTO b SELECT unhex(printf('00%08x27', i)), 'row ' || i FROM n;",
    )
    .await;
    pool.close().await;
    for target in ["pg", "my"] {
        let (pg_db, my_db) = (new_pg_db().await, new_my_db().await);
        profiles(&sb, &lite, &sb.data().join("unused.db"), &pg_db, &my_db);
        let plan = plan_with(&sb, "lite", target, |t| {
            t.replace("batch_rows = 20000", "batch_rows = 500").replace("parallel = 2", "parallel = 1")
        });
        let args = ["transfer", "run", plan.to_str().unwrap(), "--yes"];
        assert!(run_and_kill_after(&sb, &args, 2000), "{target}: the run ended before it could be killed");
        // Resumed with other settings that do not change what is written: the same run continues.
        let elsewhere = sb.data().join("elsewhere.jsonl");
        let o =
            sb.run(&[&args[..], &["--resume", "--parallel", "2", "--rejects", elsewhere.to_str().unwrap()]].concat());
        assert!(o.status.success(), "{target}: {}", stderr(&o));
        assert!(!elsewhere.exists(), "{target}: no row is refused");
        let tgt = if target == "pg" { pg_pool(&pg_db).await } else { my_pool(&my_db).await };
        let distinct = if target == "pg" { "count(DISTINCT t.*)" } else { "count(DISTINCT t.id, t.v)" };
        assert_eq!(count(&tgt, "SELECT count(*) FROM k").await, 60000, "{target}");
        assert_eq!(count(&tgt, &format!("SELECT {distinct} FROM k t")).await, 60000, "{target}");
        assert_eq!(count(&tgt, "SELECT count(*) FROM b").await, 30000, "{target}");
        assert_eq!(count(&tgt, "SELECT count(DISTINCT k) FROM b").await, 30000, "{target}");
        let o = sb.run(&["transfer", "verify", plan.to_str().unwrap()]);
        assert!(o.status.success(), "{target}: {}{}", stdout(&o), stderr(&o));
        tgt.close().await;
    }
}

/// A keyless table appended to an existing one: a load killed part-way and resumed leaves the rows that were
/// there before, and adds the source's rows exactly once (it used to DELETE everything on resume).
#[tokio::test]
async fn a_keyless_appended_table_keeps_its_rows_through_kill_and_resume() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let lite = sb.data().join("log.db");
    let pool = sqlite_pool(&lite).await;
    exec(
        &pool,
        "CREATE TABLE logbook (at TEXT, line TEXT);\n\
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40000)\n\
         INSERT INTO logbook SELECT '2024-01-01', 'line ' || i FROM n;",
    )
    .await;
    pool.close().await;
    let pg_db = new_pg_db().await;
    let pg = pg_pool(&pg_db).await;
    exec(
        &pg,
        "CREATE TABLE logbook (at text, line text); INSERT INTO logbook VALUES ('old', 'kept 1'), ('old', 'kept 2');",
    )
    .await;
    profiles(&sb, &lite, &sb.data().join("unused.db"), &pg_db, "dbc");
    let plan = plan_with(&sb, "lite", "pg", |t| {
        t.replace("mode = \"schema_and_data\"", "mode = \"data_only\"")
            .replace("existing = \"fail\"", "existing = \"append\"")
            .replace("batch_rows = 20000", "batch_rows = 500")
            .replace("cast = \"date\"", "cast = \"text\"")
            .replace("target_type = \"date\"", "target_type = \"text\"")
    });
    let args = ["transfer", "run", plan.to_str().unwrap(), "--yes"];
    assert!(run_and_kill_after(&sb, &args, 5000), "the run ended before it could be killed");
    let o = sb.run(&[&args[..], &["--resume"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(count(&pg, "SELECT count(*) FROM logbook WHERE at = 'old'").await, 2, "rows that were there survive");
    assert_eq!(count(&pg, "SELECT count(*) FROM logbook").await, 40002);
    assert_eq!(count(&pg, "SELECT count(DISTINCT line) FROM logbook").await, 40002);
    pg.close().await;
}

/// A plan file is checked before anything is written: a misspelt column (it became a constant in every row),
/// a misspelt key (the filter was ignored), batch_rows = 0; each named with its line.
#[tokio::test]
async fn plan_mistakes_are_refused_with_their_line() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let lite = sb.data().join("people.db");
    let pool = sqlite_pool(&lite).await;
    exec(
        &pool,
        "CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT); INSERT INTO people VALUES (1, 'a@x'), (2, 'b@x');",
    )
    .await;
    pool.close().await;
    let pg_db = new_pg_db().await;
    profiles(&sb, &lite, &sb.data().join("unused.db"), &pg_db, "dbc");
    let good = plan_with(&sb, "lite", "pg", |t| t);
    let text = std::fs::read_to_string(&good).unwrap();
    let line_of = |text: &str, needle: &str| 1 + text[..text.find(needle).unwrap()].matches('\n').count();
    let cases = [
        ("source = \"email\"", "source = \"emial\"", "emial"),
        ("filter = \"\"", "fliter = \"id > 1\"", "fliter"),
        ("batch_rows = 20000", "batch_rows = 0", "batch_rows"),
        ("target_type = \"text\"", "target_type = \"text); DROP TABLE victim; --\"", "target_type"),
        ("key = [\"id\"]", "key = [\"email\"]", "not the source's primary key"),
    ];
    for (from, to, word) in cases {
        assert!(text.contains(from), "{from} not in the plan:\n{text}");
        let bad = text.replacen(from, to, 1);
        let line = line_of(&bad, to);
        let path = sb.data().join("bad.toml");
        std::fs::write(&path, &bad).unwrap();
        let o = sb.run(&["transfer", "run", path.to_str().unwrap(), "--yes"]);
        assert_eq!(o.status.code(), Some(2), "{word}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains(word) && err.contains(&format!("line {line}")), "{word} (line {line}): {err}");
        let o = sb.run(&["transfer", "verify", path.to_str().unwrap()]);
        assert!(!o.status.success(), "verify must refuse it too: {word}");
    }
    let pg = pg_pool(&pg_db).await;
    assert_eq!(count(&pg, "SELECT count(*) FROM pg_tables WHERE tablename = 'people'").await, 0, "nothing written");
    pg.close().await;
}

/// A plan made from URLs names them (without the password) so it can run later; the password comes from
/// .pgpass then, as for any URL.
#[test]
fn a_plan_made_from_urls_runs_later() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let lite = sb.data().join("u.db");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pg_db = rt.block_on(async {
        let pool = sqlite_pool(&lite).await;
        exec(&pool, "CREATE TABLE u (id INTEGER PRIMARY KEY, n TEXT); INSERT INTO u VALUES (1, 'one');").await;
        pool.close().await;
        new_pg_db().await
    });
    let secret = env("DBC_TEST_PG_PASSWORD");
    let url = format!("postgres://dbc:{secret}@127.0.0.1:{}/{pg_db}", pg_port());
    let o = sb.run(&["transfer", "plan", "--from", &format!("sqlite:{}", lite.display()), "--to", &url]);
    assert!(o.status.success(), "{}", stderr(&o));
    let plan = stdout(&o);
    assert!(!plan.contains(&secret), "the plan holds the password");
    assert!(plan.contains(&format!("to = \"postgres://dbc@127.0.0.1:{}/{pg_db}\"", pg_port())), "{plan}");
    let path = sb.data().join("url-plan.toml");
    std::fs::write(&path, plan).unwrap();
    let pgpass = sb.dir.path().join(".pgpass");
    std::fs::write(&pgpass, format!("127.0.0.1:{}:*:dbc:{secret}\n", pg_port())).unwrap();
    set_mode(&pgpass, 0o600);
    let o = sb.run(&["transfer", "run", path.to_str().unwrap(), "--yes"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// A read-only profile stays read-only for the whole session: statements that switch it off are refused before
/// they are sent, and one that gets round the check (a function an admin wrote) leaves the session reconnected
/// read-only, so the next write is refused by the server.
#[tokio::test]
async fn read_only_sessions_cannot_be_switched_read_write() {
    use dbconsole::core::engine::connect_pool;
    use dbconsole::core::profile::url::parse_url;
    use dbconsole::core::query::Session;
    use secrecy::SecretString;
    let (pg_db, my_db) = (new_pg_db().await, new_my_db().await);
    let admin_pg = pg_pool(&pg_db).await;
    exec(&admin_pg, "CREATE FUNCTION flip() RETURNS text LANGUAGE sql AS $$ SELECT set_config('default_transaction_read_only', 'off', false) $$").await;
    let admin_my = my_pool(&my_db).await;
    exec(&admin_my, "CREATE PROCEDURE flip() SET SESSION TRANSACTION READ WRITE").await;
    for (url, pw, db) in [
        (format!("postgres://dbc@127.0.0.1:{}/{pg_db}", pg_port()), "DBC_TEST_PG_PASSWORD", &admin_pg),
        (format!("mysql://dbc@127.0.0.1:{}/{my_db}", my_port()), "DBC_TEST_MY_PASSWORD", &admin_my),
    ] {
        let mut p = parse_url(&url).unwrap();
        p.read_only = true;
        let pool = connect_pool(&p, Some(&SecretString::from(env(pw)))).await.unwrap();
        let mut s = Session::open(&pool).await.unwrap();
        let mut sink = crate::query::Collect::default();
        let switches: &[&str] = if p.engine == dbconsole::core::profile::Engine::Postgres {
            &[
                "SET default_transaction_read_only = off",
                "BEGIN READ WRITE",
                "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
                "SELECT set_config('default_transaction_read_only', 'off', false)",
            ]
        } else {
            &["SET SESSION TRANSACTION READ WRITE", "START TRANSACTION READ WRITE", "SET @@SESSION.tx_read_only = 0"]
        };
        for sql in switches {
            let e = s.run(sql, &mut sink).await.expect_err(sql);
            assert!(e.message.contains("read-only"), "{sql}: {e}");
            let e = s.run("CREATE TABLE w (i INT)", &mut sink).await.expect_err("still read-only");
            assert!(!e.message.contains("refused: this profile"), "the server refuses it: {e}");
        }
        // Round the textual check: the session notices, reconnects, and stays read-only.
        let call = if p.engine == dbconsole::core::profile::Engine::Postgres { "SELECT flip()" } else { "CALL flip()" };
        let e = s.run(call, &mut sink).await.expect_err(call);
        assert!(e.message.contains("no longer read-only"), "{e}");
        assert!(s.run("CREATE TABLE w (i INT)", &mut sink).await.is_err(), "{url}: read-write after the flip");
        let tables = if p.engine == dbconsole::core::profile::Engine::Postgres {
            "SELECT CAST(count(*) AS CHAR(5)) FROM information_schema.tables WHERE table_name = 'w'"
        } else {
            "SELECT CAST(count(*) AS CHAR(5)) FROM information_schema.tables WHERE table_name = 'w' AND table_schema = DATABASE()"
        };
        assert_eq!(scalar(db, tables).await.as_deref().map(str::trim), Some("0"));
        s.close().await;
        pool.close().await;
    }
}

/// The connection test says whether the role itself can write, so a truly read-only setup can be chosen.
#[test]
fn the_connection_test_says_whether_the_role_can_write() {
    let sb = Sandbox::new();
    let cases = [
        (format!("postgres://dbc@127.0.0.1:{}/dbc", pg_port()), "PGPASSWORD", env("DBC_TEST_PG_PASSWORD"), true),
        (
            format!("postgres://dbc_limited@127.0.0.1:{}/dbc", pg_port()),
            "PGPASSWORD",
            env("DBC_TEST_PG_LIMITED_PASSWORD"),
            false,
        ),
        (format!("mysql://dbc@127.0.0.1:{}/dbc", my_port()), "MYSQL_PWD", env("DBC_TEST_MY_PASSWORD"), true),
        (
            format!("mysql://dbc_limited@127.0.0.1:{}", my_port()),
            "MYSQL_PWD",
            env("DBC_TEST_MY_LIMITED_PASSWORD"),
            false,
        ),
    ];
    for (url, var, pw, writes) in cases {
        let secret_url = url.replacen("@", &format!(":{}@", pw), 1);
        let _ = var;
        let o = sb.run(&["profile", "test", &secret_url, "--json"]);
        let v = json(&o);
        assert_eq!(v["ok"], true, "{url}: {v}");
        assert_eq!(v["role_can_write"], writes, "{url}: {v}");
        assert!(v["role_privileges"].as_str().is_some_and(|s| !s.is_empty()), "{url}: {v}");
    }
}

/// A `-- no-transaction` PostgreSQL migration killed part-way is recorded as failed with how far it got, never
/// left pending with its first statements silently applied; re-applying refuses until it is repaired.
#[tokio::test]
async fn a_killed_no_transaction_migration_is_recorded_as_failed() {
    let sb = Sandbox::new();
    let dir = sb.dir.path().join("m");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(sb.data()).unwrap();
    let pg_db = new_pg_db().await;
    profiles(&sb, &sb.data().join("x.db"), &sb.data().join("y.db"), &pg_db, "dbc");
    std::fs::write(
        dir.join("1_concurrently.sql"),
        "-- no-transaction\nCREATE TABLE a (i int);\nSELECT pg_sleep(60);\nCREATE TABLE b (i int);\n",
    )
    .unwrap();
    let mut child = sb
        .cmd()
        .args(["migrate", "apply", "pg", "--dir", dir.to_str().unwrap(), "--yes"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pg = pg_pool(&pg_db).await;
    let started = Instant::now();
    while count(&pg, "SELECT count(*) FROM pg_tables WHERE tablename = 'a'").await == 0 {
        assert!(started.elapsed() < Duration::from_secs(20), "the migration never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    let _ = child.wait();
    // The killed run's backend still sleeps, holding the migration lock: end it, as the server would on timeout.
    exec(&pg, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()").await;
    let o = sb.run(&["migrate", "status", "pg", "--dir", dir.to_str().unwrap(), "--json"]);
    let v = json(&o);
    let e = &v["entries"][0];
    assert_eq!(e["status"], "failed", "{v}");
    assert_eq!(e["statements_completed"], 1, "{v}");
    let o = sb.run(&["migrate", "status", "pg", "--dir", dir.to_str().unwrap()]);
    assert!(stdout(&o).contains("statements 1–1 ran"), "{}", stdout(&o));
    let o = sb.run(&["migrate", "apply", "pg", "--dir", dir.to_str().unwrap(), "--yes"]);
    assert_eq!(o.status.code(), Some(3), "refused by the state: {}{}", stdout(&o), stderr(&o));
    assert_eq!(count(&pg, "SELECT count(*) FROM pg_tables WHERE tablename = 'b'").await, 0);
    pg.close().await;
}

/// Statements as a client sends them, normalized (comments and spacing dropped, a trailing `;` removed) so that
/// ours and the client's compare token by token.
fn normalized(sql: &str, engine: dbconsole::core::profile::Engine) -> String {
    use dbconsole::core::sql::lex::{Tok, tokens};
    let words: Vec<&str> = tokens(sql, engine)
        .into_iter()
        .filter(|t| !matches!(t.kind, Tok::Space | Tok::Comment))
        .map(|t| t.text(sql))
        .collect();
    let mut s = words.join(" ");
    while s.ends_with(';') {
        s.pop();
        s = s.trim_end().to_string();
    }
    s
}

const PG_CORPUS: &str = "SELECT 1; -- a comment; with a semicolon\n\
/* a /* nested; */ still; */ SELECT $$x;y$$ AS \"é;\";\n\
SELECT (1;\n2);\n\
SELECT E'it\\'s; fine', 'plain\\', 'two''; quotes';\n\
DO $d$ BEGIN PERFORM 1; END $d$;\n\
CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n\
CREATE TABLE \"we;ird\" (\"a;b\" int, begin_at int, end_at int);\n\
SELECT begin_at, end_at FROM \"we;ird\"; SELECT 'é漢' AS ü;\n\
SELECT CASE WHEN true THEN 1 ELSE 2 END;\n\
SELECT 1 -- trailing\n\
;\n\
SELECT $1$not a tag$1$;\n";

const MY_CORPUS: &str = "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n\
/*!40101 SET NAMES utf8mb4 */;\n\
SELECT 'a\\';b', \"x\\\";y\" # comment; here\n;\n\
SELECT 1 --1\n;\n\
SELECT 2 -- comment;\n;\n\
CREATE TABLE `we;ird` (`a``b` INT, x INT);\n\
DELIMITER ;;\n\
/*!50003 CREATE*/ /*!50017 DEFINER=CURRENT_USER*/ /*!50003 TRIGGER tr BEFORE INSERT ON `we;ird` FOR EACH ROW BEGIN\n\
  SET NEW.x = 1;\n  SET NEW.x = NEW.x + 1;\nEND */;;\n\
DELIMITER ;\n\
DELIMITER $$\n\
CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 'é;漢'; END$$\n\
DELIMITER ;\n\
SELECT 'é漢' AS `ü`;\n";

/// The splitter agrees with the engines' own clients on scripts with every awkward construct: psql (its query
/// log) for PostgreSQL, the mariadb client (its verbose echo) for MySQL dumps.
#[tokio::test]
async fn splitting_agrees_with_psql_and_the_mariadb_client() {
    use dbconsole::core::profile::Engine;
    use dbconsole::core::sql::split;
    let dir = tempfile::tempdir().unwrap();
    let (pg_db, my_db) = (new_pg_db().await, new_my_db().await);
    // psql: each query it sends, between its log markers.
    let file = dir.path().join("pg.sql");
    std::fs::write(&file, PG_CORPUS).unwrap();
    let log = dir.path().join("psql.log");
    let o = std::process::Command::new("psql")
        .args(["-X", "-q", "-h", "127.0.0.1", "-p", &pg_port().to_string(), "-U", "dbc", "-d", &pg_db])
        .args(["-o", "/dev/null", "-L", log.to_str().unwrap(), "-f", file.to_str().unwrap()])
        .env("PGPASSWORD", env("DBC_TEST_PG_PASSWORD"))
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&log).unwrap_or_else(|_| panic!("no psql log: {}", stderr(&o)));
    let psql: Vec<String> = text
        .split("********* QUERY **********\n")
        .skip(1)
        .map(|q| normalized(q.split("\n**************************\n").next().unwrap(), Engine::Postgres))
        .collect();
    let ours: Vec<String> =
        split(PG_CORPUS, Engine::Postgres).iter().map(|s| normalized(&s.text, Engine::Postgres)).collect();
    assert_eq!(psql.len(), 12, "{text}");
    assert_eq!(ours, psql);
    // The mariadb client: each statement it sends, echoed between dashes with -vvv.
    let o = std::process::Command::new("mariadb")
        .args(["--no-defaults", "-h127.0.0.1", &format!("-P{}", my_port()), "-udbc", "-vvv", "--force", &my_db])
        .env("MYSQL_PWD", env("DBC_TEST_MY_PASSWORD"))
        .stdin(
            std::fs::File::open({
                let f = dir.path().join("my.sql");
                std::fs::write(&f, MY_CORPUS).unwrap();
                f
            })
            .unwrap(),
        )
        .output()
        .unwrap();
    let echo = stdout(&o);
    let mut client = Vec::new();
    let mut inside: Option<String> = None;
    for line in echo.lines() {
        match (&mut inside, line == "--------------") {
            (None, true) => inside = Some(String::new()),
            (Some(q), true) => {
                client.push(normalized(q, Engine::Mysql));
                inside = None;
            }
            (Some(q), false) => {
                q.push_str(line);
                q.push('\n');
            }
            (None, false) => {}
        }
    }
    let ours: Vec<String> =
        split(MY_CORPUS, Engine::Mysql).iter().map(|s| normalized(&s.text, Engine::Mysql)).collect();
    assert_eq!(client.len(), 9, "{echo}");
    assert_eq!(ours, client, "mariadb said:\n{echo}\n{}", stderr(&o));
}

/// Keys a resume cannot continue after — NULLs in a SQLite key, a MySQL FLOAT key — load in one transaction; a
/// key of mixed integers and text mapped to text resumes; each killed and resumed with every row exactly once.
#[tokio::test]
async fn awkward_keys_are_killed_and_resumed_with_every_row_once() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let lite = sb.data().join("awkward.db");
    let pool = sqlite_pool(&lite).await;
    exec(
        &pool,
        "CREATE TABLE nk (id TEXT PRIMARY KEY, v TEXT);\n\
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)\n\
         INSERT INTO nk SELECT CASE WHEN i % 2 = 0 THEN NULL ELSE printf('k%06d', i) END, 'v' || i FROM n;\n\
         CREATE TABLE mixed (id PRIMARY KEY, v TEXT);\n\
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40000)\n\
         INSERT INTO mixed SELECT CASE WHEN i % 3 = 0 THEN 'text' || i ELSE i END, 'v' || i FROM n;",
    )
    .await;
    pool.close().await;
    let my_db = new_my_db().await;
    let my = my_pool(&my_db).await;
    exec(&my, "CREATE TABLE fk (id FLOAT PRIMARY KEY, v VARCHAR(10))").await;
    exec(&my, "SET SESSION max_recursive_iterations = 100000; INSERT INTO fk WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000) SELECT i + 0.1, 'v' FROM n").await;
    my.close().await;
    for (source, table, rows) in [("lite", "nk", 20000i64), ("lite", "mixed", 40000), ("my", "fk", 60000)] {
        let pg_db = new_pg_db().await;
        profiles(&sb, &lite, &sb.data().join("unused.db"), &pg_db, &my_db);
        // One table per run.
        let only = sb.data().join(format!("only-{table}.toml"));
        let o = sb.run(&["transfer", "plan", "--from", source, "--to", "pg", "--tables", table]);
        assert!(o.status.success(), "{table}: {}", stderr(&o));
        if table == "nk" {
            assert!(
                stderr(&o).contains("holds NULLs in the source (id: 10000 NULL(s))"),
                "the plan warns: {}",
                stderr(&o)
            );
        }
        std::fs::write(&only, stdout(&o).replace("batch_rows = 20000", "batch_rows = 500")).unwrap();
        let rejects = sb.data().join(format!("rejects-{table}.jsonl"));
        let args = ["transfer", "run", only.to_str().unwrap(), "--yes", "--rejects", rejects.to_str().unwrap()];
        run_and_kill_after(&sb, &args, 1000);
        let o = sb.run(&[&args[..], &["--resume"]].concat());
        assert!(o.status.success(), "{table}: {}", stderr(&o));
        let pg = pg_pool(&pg_db).await;
        let all = count(&pg, &format!("SELECT count(*) FROM {table}")).await;
        let distinct = count(&pg, &format!("SELECT count(DISTINCT id) FROM {table}")).await;
        if table == "nk" {
            // Half the SQLite keys are NULL (SQLite allows it): the key becomes a UNIQUE constraint on PostgreSQL
            // and every row arrives, the NULL-keyed ones included.
            let nulls = count(&pg, "SELECT count(*) FROM nk WHERE id IS NULL").await;
            assert_eq!((all, distinct, nulls), (20000, 10000, 10000), "nk: every row exactly once");
            let unique =
                count(&pg, "SELECT count(*) FROM pg_indexes WHERE tablename = 'nk' AND indexdef LIKE 'CREATE UNIQUE%'")
                    .await;
            assert_eq!(unique, 1, "the key is kept as a UNIQUE constraint");
        } else {
            assert_eq!((all, distinct), (rows, rows), "{table}: every row exactly once");
        }
        pg.close().await;
    }
}

/// Read-only sessions cannot be written to through a text the server splits differently: a `--` comment PostgreSQL
/// ends at a carriage return, `standard_conforming_strings = off`, MySQL's NO_BACKSLASH_ESCAPES.
#[tokio::test]
async fn read_only_holds_against_texts_the_server_splits_differently() {
    let (pg_db, my_db) = (new_pg_db().await, new_my_db().await);
    let (pg, my) = (pg_pool(&pg_db).await, my_pool(&my_db).await);
    exec(&pg, "CREATE TABLE victim (i int)").await;
    exec(&my, "CREATE TABLE victim (i int)").await;
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    sb.write_profiles(&format!(
        "[profiles.pgro]\nengine = \"postgres\"\nhost = \"127.0.0.1\"\nport = {}\nuser = \"dbc\"\ndatabase = \"{pg_db}\"\n\
         read_only = true\npassword_source = \"env\"\npassword_env = \"DBC_TEST_PG_PASSWORD\"\n\n\
         [profiles.myro]\nengine = \"mysql\"\nhost = \"127.0.0.1\"\nport = {}\nuser = \"dbc\"\ndatabase = \"{my_db}\"\n\
         read_only = true\npassword_source = \"env\"\npassword_env = \"DBC_TEST_MY_PASSWORD\"\n",
        pg_port(),
        my_port()
    ));
    let pg_attempts = [
        "SELECT 1 AS a -- c\r; SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE; COMMIT; INSERT INTO victim VALUES (42)",
        "SET standard_conforming_strings = off;\nSELECT 'a\\''; SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE; COMMIT; INSERT INTO victim VALUES (77); SELECT 'x' AS y;",
    ];
    for sql in pg_attempts {
        let _ = sb.run(&["query", "pgro", "-e", sql]);
    }
    let my_attempt = "SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'; SELECT 'a\\' AS q; SET SESSION TRANSACTION READ WRITE; INSERT INTO victim VALUES (7); -- '";
    let _ = sb.run(&["query", "myro", "-e", my_attempt]);
    assert_eq!(count(&pg, "SELECT count(*) FROM victim").await, 0, "PostgreSQL read-only session was written to");
    assert_eq!(count(&my, "SELECT count(*) FROM victim").await, 0, "MariaDB read-only session was written to");
}
