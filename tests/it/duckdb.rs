//! DuckDB files as a read-only source, read through the real `duckdb` shell (scripts/servers.sh installs it from
//! PyPI's duckdb-cli and exports DBC_TEST_DUCKDB): connection test and its diagnosis without a shell, schema,
//! queries, refusals, and a file covering every DuckDB type moved to PostgreSQL, MariaDB and SQLite and verified.
use std::time::Duration;

use crate::catalog::{new_my_db, new_pg_db, pg_pool};
use crate::common::*;

fn duckdb() -> String {
    env("DBC_TEST_DUCKDB")
}

/// Writes a DuckDB file with the shell itself.
fn make_duck(path: &std::path::Path, sql: &str) {
    let o = std::process::Command::new(duckdb()).arg("-no-init").arg(path).arg("-c").arg(sql).output().unwrap();
    assert!(o.status.success(), "duckdb: {}", String::from_utf8_lossy(&o.stderr));
}

/// Every type the issue names, hostile names, a sequence behind a key, an enum type, a view, a FK, an index.
const EVERY_TYPE: &str = r#"
CREATE TYPE mood AS ENUM ('sad', 'ok', 'it''s');
CREATE SEQUENCE item_ids START 100;
CREATE TABLE items (
  id BIGINT PRIMARY KEY DEFAULT nextval('item_ids'),
  uid UUID DEFAULT uuid(),
  doc JSON,
  seen TIMESTAMP DEFAULT current_timestamp,
  happened TIMESTAMPTZ,
  huge HUGEINT,
  ubig UBIGINT,
  tiny TINYINT,
  nums INTEGER[],
  words VARCHAR[],
  point STRUCT(x INTEGER, label VARCHAR),
  attrs MAP(VARCHAR, INTEGER),
  feel mood,
  price DECIMAL(38, 10),
  ratio DOUBLE,
  raw BLOB,
  ok BOOLEAN,
  day DATE,
  tod TIME,
  span INTERVAL,
  "Name ""q"", ü" VARCHAR NOT NULL CHECK (length("Name ""q"", ü") < 100),
  UNIQUE ("Name ""q"", ü")
);
CREATE INDEX items_seen ON items (seen);
CREATE TABLE "tags '; DROP TABLE items; --" (
  id INTEGER PRIMARY KEY,
  item_id BIGINT REFERENCES items (id),
  label VARCHAR
);
CREATE VIEW priced AS SELECT id, price FROM items WHERE price IS NOT NULL;
INSERT INTO items (doc, happened, huge, ubig, tiny, nums, words, point, attrs, feel, price, ratio, raw, ok, day, tod, span,
                   "Name ""q"", ü") VALUES
  ('{"a": [1, 2.5, "x"], "nested": {"k": null}}', '2024-01-02 03:04:05.123456+02',
   -170141183460469231731687303715884105727, 18446744073709551615, -128, [1, 2, NULL], ['a"b', 'ünï', NULL],
   {'x': 1, 'label': 'q"'}, MAP {'k': 1, 'é': 2}, 'it''s', 1234567890123456789012345678.0123456789, 1.5e300,
   '\x00\xFFab'::BLOB, true, '2024-02-29', '23:59:59.5', INTERVAL 1 DAY + INTERVAL 3 HOUR, 'tab	here ✓ ''; --'),
  (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '');
INSERT INTO items (doc, "Name ""q"", ü") SELECT '{"n": ' || i || '}', 'row ' || i FROM range(500) r(i);
INSERT INTO "tags '; DROP TABLE items; --" SELECT i, 100 + (i % 50), 'label ' || i FROM range(200) r(i);
"#;

fn duck_profiles(sb: &Sandbox, duck: &std::path::Path, pg_db: &str, my_db: &str, lite: &std::path::Path) {
    sb.write_profiles(&format!(
        "[profiles.duck]\nengine = \"duckdb\"\npath = \"{}\"\nduckdb_cli = \"{}\"\n\n\
         [profiles.pg]\nengine = \"postgres\"\nhost = \"127.0.0.1\"\nport = {}\nuser = \"dbc\"\ndatabase = \"{pg_db}\"\n\
         password_source = \"env\"\npassword_env = \"DBC_TEST_PG_PASSWORD\"\n\n\
         [profiles.my]\nengine = \"mysql\"\nhost = \"127.0.0.1\"\nport = {}\nuser = \"dbc\"\ndatabase = \"{my_db}\"\n\
         password_source = \"env\"\npassword_env = \"DBC_TEST_MY_PASSWORD\"\n\n\
         [profiles.lite]\nengine = \"sqlite\"\npath = \"{}\"\n",
        duck.display(),
        duckdb(),
        pg_port(),
        my_port(),
        lite.display()
    ));
}

#[tokio::test]
async fn a_duckdb_file_of_every_type_moves_to_each_engine_and_verifies() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let duck = sb.data().join("analytics.duckdb");
    make_duck(&duck, EVERY_TYPE);
    let lite = sb.data().join("copy.db");
    std::fs::File::create(&lite).unwrap();
    let (pg_db, my_db) = (new_pg_db().await, new_my_db().await);
    duck_profiles(&sb, &duck, &pg_db, &my_db, &lite);
    let run = |args: &[&str]| sb.cmd().current_dir(sb.data()).args(args).output().unwrap();

    // The plan says what each DuckDB type becomes before anything is written.
    let plan = run(&["transfer", "plan", "--from", "duck", "--to", "pg"]);
    assert!(plan.status.success(), "{}", stderr(&plan));
    let report = stderr(&plan);
    for expected in [
        "huge HUGEINT → huge numeric(39)",
        "ubig UBIGINT → ubig numeric(20)",
        "seen TIMESTAMP → seen timestamptz",
        "nums INTEGER[] → nums jsonb",
        "attrs MAP(VARCHAR, INTEGER) → attrs jsonb",
        "price DECIMAL(38,10) → price numeric(38,10)",
        "tiny TINYINT → tiny smallint",
    ] {
        assert!(report.contains(expected), "missing `{expected}` in:\n{report}");
    }

    for target in ["pg", "my", "lite"] {
        let o = run(&["transfer", "run", "--from", "duck", "--to", target, "--yes"]);
        assert_eq!(o.status.code(), Some(0), "{target}: {}\n{}", stdout(&o), stderr(&o));
        let v = run(&["transfer", "verify", "--from", "duck", "--to", target]);
        let out = format!("{}{}", stdout(&v), stderr(&v));
        assert_eq!(v.status.code(), Some(0), "{target}: {out}");
        assert_eq!(out.matches("OK ").count(), 2, "{target}: {out}");
        assert!(out.contains("source 502 rows, target 502 rows"), "{target}: {out}");
        assert!(out.contains("source 200 rows, target 200 rows"), "{target}: {out}");
    }

    // PostgreSQL: the types, defaults, identity, CHECKs and values as a DBA would want them.
    let pg = pg_pool(&pg_db).await;
    let dbconsole::core::engine::DbPool::Postgres(p) = &pg else { unreachable!() };
    let types: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name::text, format_type(atttypid, atttypmod) FROM information_schema.columns c \
         JOIN pg_attribute a ON a.attrelid = 'items'::regclass AND a.attname = c.column_name \
         WHERE table_name = 'items' ORDER BY ordinal_position",
    )
    .fetch_all(p)
    .await
    .unwrap();
    let ty = |c: &str| types.iter().find(|x| x.0 == c).map(|x| x.1.clone()).unwrap_or_default();
    assert_eq!(ty("huge"), "numeric(39,0)");
    assert_eq!(ty("seen"), "timestamp with time zone");
    assert_eq!(ty("happened"), "timestamp with time zone");
    assert_eq!(ty("doc"), "jsonb");
    assert_eq!(ty("point"), "jsonb");
    assert_eq!(ty("uid"), "uuid");
    assert_eq!(ty("raw"), "bytea");
    assert_eq!(ty("span"), "interval");
    let (identity, uid_default): (String, Option<String>) = sqlx::query_as(
        "SELECT (SELECT is_identity FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'id')::text, \
         (SELECT column_default FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'uid')::text",
    )
    .fetch_one(p)
    .await
    .unwrap();
    assert_eq!(identity, "YES");
    assert_eq!(uid_default.as_deref(), Some("gen_random_uuid()"));
    // The identity continues past the copied keys; the enum's CHECK refuses other labels.
    sqlx::query("INSERT INTO items (\"Name \"\"q\"\", ü\") VALUES ('new')").execute(p).await.unwrap();
    let next: i64 = sqlx::query_scalar("SELECT max(id) FROM items").fetch_one(p).await.unwrap();
    assert!(next > 601, "{next}");
    let bad = sqlx::query("INSERT INTO items (feel, \"Name \"\"q\"\", ü\") VALUES ('angry', 'x')").execute(p).await;
    assert!(bad.is_err(), "the enum's values are checked");
    let row: (String, String, String, String, Vec<u8>, String) = sqlx::query_as(
        "SELECT huge::text, attrs::text, point::text, happened::text, raw, tod::text FROM items WHERE id = 100",
    )
    .fetch_one(p)
    .await
    .unwrap();
    assert_eq!(row.0, "-170141183460469231731687303715884105727");
    assert_eq!(row.1, r#"{"k": 1, "é": 2}"#);
    assert_eq!(row.2, r#"{"x": 1, "label": "q\""}"#);
    assert!(row.3.starts_with("2024-01-02 01:04:05.123456"), "{}", row.3);
    assert_eq!(row.4, vec![0, 0xff, b'a', b'b']);
    assert_eq!(row.5, "23:59:59.5");
    let view: i64 = sqlx::query_scalar("SELECT count(*) FROM priced").fetch_one(p).await.unwrap();
    assert_eq!(view, 1);
    pg.close().await;
}

#[tokio::test]
async fn a_value_the_target_cannot_hold_is_refused_and_the_run_says_so() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let duck = sb.data().join("nul.duckdb");
    // PostgreSQL text cannot hold NUL: that row goes to the reject file, the rest arrives, the exit says losses.
    make_duck(
        &duck,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, s VARCHAR); INSERT INTO t VALUES (1, 'a' || chr(0) || 'b'), (2, 'fine');",
    );
    let lite = sb.data().join("x.db");
    let (pg_db, my_db) = (new_pg_db().await, new_my_db().await);
    duck_profiles(&sb, &duck, &pg_db, &my_db, &lite);
    let o = sb
        .cmd()
        .current_dir(sb.data())
        .args(["transfer", "run", "--from", "duck", "--to", "pg", "--yes"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("finished with losses"), "{}", stderr(&o));
    let rejects = std::fs::read_to_string(sb.data().join("transfer-rejects.jsonl")).unwrap();
    assert!(rejects.contains("NUL") && rejects.contains("\"key\":[\"1\"]"), "{rejects}");
    // A DuckDB file is never a target, nor written.
    let o = sb
        .cmd()
        .current_dir(sb.data())
        .args(["transfer", "run", "--from", "pg", "--to", "duck", "--yes"])
        .output()
        .unwrap();
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("read-only source"), "{}", stderr(&o));
    let o = sb.run(&["dump", "duck"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("EXPORT DATABASE"), "{}", stderr(&o));
}

#[test]
fn connection_test_schema_and_queries_through_the_shell() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let duck = sb.data().join("app.duckdb");
    make_duck(&duck, EVERY_TYPE);
    let lite = sb.data().join("x.db");
    sb.write_profiles(&format!(
        "[profiles.duck]\nengine = \"duckdb\"\npath = \"{}\"\nduckdb_cli = \"{}\"\n\n\
         [profiles.noshell]\nengine = \"duckdb\"\npath = \"{}\"\nduckdb_cli = \"/nonexistent/duckdb\"\n\n\
         [profiles.lite]\nengine = \"sqlite\"\npath = \"{}\"\n",
        duck.display(),
        duckdb(),
        duck.display(),
        lite.display()
    ));

    let o = sb.run(&["profile", "test", "duck"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("duckdb shell") && out.contains("opened read-only with DuckDB v"), "{out}");
    // No shell: a diagnosis that names what is missing and how to install it, with its own exit code.
    let o = sb.run(&["profile", "test", "noshell"]);
    assert_eq!(o.status.code(), Some(27), "{}", stdout(&o));
    assert!(stdout(&o).contains("tool_missing") && stdout(&o).contains("pip install duckdb-cli"), "{}", stdout(&o));
    let o = sb
        .cmd()
        .env("PATH", "/nonexistent")
        .args(["profile", "test", &format!("duckdb:{}", duck.display())])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(27), "{}", stdout(&o));
    assert!(stdout(&o).contains("duckdb not found on PATH"), "{}", stdout(&o));
    // Not a DuckDB file.
    let o = sb.run(&["profile", "test", &format!("duckdb:{}?cli={}", lite.display(), duckdb())]);
    std::fs::write(&lite, b"hello").unwrap();
    let o2 = sb.run(&["profile", "test", &format!("duckdb:{}?cli={}", lite.display(), duckdb())]);
    assert_ne!(o.status.code(), Some(0));
    assert_eq!(o2.status.code(), Some(18), "{}", stdout(&o2));

    // Schema: tables with hostile names, the enum, the sequence, keys and the index.
    let o = sb.run(&["schema", "duck", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j = json(&o);
    assert_eq!(j["engine"], "duckdb");
    let tables: Vec<String> =
        j["schemas"][0]["tables"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_string()).collect();
    assert!(tables.contains(&"tags '; DROP TABLE items; --".to_string()), "{tables:?}");
    let items = j["schemas"][0]["tables"].as_array().unwrap().iter().find(|t| t["name"] == "items").unwrap();
    assert_eq!(items["primary_key"]["columns"][0], "id");
    assert_eq!(items["indexes"][0]["parts"][0]["column"], "seen");
    assert!(items["columns"].as_array().unwrap().iter().any(|c| c["name"] == "Name \"q\", ü"));
    assert_eq!(j["schemas"][0]["enums"][0]["labels"][2], "it's");
    let tags = j["schemas"][0]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] != "items" && t["kind"] == "table")
        .unwrap();
    assert_eq!(tags["foreign_keys"][0]["referenced_table"], "items");

    // Queries: typed columns, blobs as hex, nested values as JSON, NUL and control characters intact in JSON.
    let o = sb.run(&[
        "query",
        "duck",
        "--format",
        "json",
        "-e",
        "SELECT raw, nums, attrs, huge, 'x' || chr(0) || chr(27) AS odd, 1 AS a, 2 AS a FROM items WHERE id = 100",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(rows[0]["raw"], "\\x00ff6162");
    assert_eq!(rows[0]["nums"], serde_json::json!([1, 2, null]));
    assert_eq!(rows[0]["attrs"], serde_json::json!({"k": 1, "é": 2}));
    assert_eq!(rows[0]["odd"], "x\u{0}\u{1b}");
    // Statements DESCRIBE does not take still run; errors come back with DuckDB's kind.
    let o = sb.run(&["query", "duck", "-e", "SHOW TABLES"]);
    assert!(o.status.success() && stdout(&o).contains("items"), "{}", stderr(&o));
    let o = sb.run(&["query", "duck", "-e", "SELECT * FROM nope"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("Catalog") && stderr(&o).contains("nope"), "{}", stderr(&o));
    // Read-only, enforced by DuckDB itself; shell commands and NUL never reach the shell.
    let o = sb.run(&["query", "duck", "-e", "DELETE FROM items"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("read-only"), "{}", stderr(&o));
    let o = sb.run(&["query", "duck", "-e", ".shell touch pwned"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!sb.data().join("pwned").exists() && !std::path::Path::new("pwned").exists());
    let o = sb.run(&["query", "duck", "-e", "SELECT count(*) FROM items"]);
    assert!(stdout(&o).contains("502"), "{}", stdout(&o));
    // A bare path to a DuckDB file is known by its header; the shell comes from PATH.
    let dir = std::path::Path::new(&duckdb()).parent().unwrap().display().to_string();
    let bare = sb
        .cmd()
        .env("PATH", format!("{dir}:/usr/bin:/bin"))
        .args(["query", duck.to_str().unwrap(), "-e", "SELECT 41 + 1 AS answer"])
        .output()
        .unwrap();
    assert!(bare.status.success() && stdout(&bare).contains("42"), "{}{}", stdout(&bare), stderr(&bare));
}

#[test]
fn the_tui_opens_a_duckdb_file_and_runs_a_query() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let duck = sb.data().join("tui.duckdb");
    make_duck(
        &duck,
        "CREATE TABLE \"Ünï events\" (id INTEGER PRIMARY KEY, kind VARCHAR); INSERT INTO \"Ünï events\" VALUES (1, 'open'), (2, 'close');",
    );
    let t = Tmux::start_with(&sb, "duckdb", 120, 30, "exec bash --norc --noprofile -i # ");
    std::thread::sleep(Duration::from_millis(300));
    t.text(&format!(
        "DBCONSOLE_CONFIG_DIR='{}' DBCONSOLE_DATA_DIR='{}' '{}' 'duckdb:{}?cli={}'",
        sb.config().display(),
        sb.data().display(),
        env!("CARGO_BIN_EXE_dbconsole"),
        duck.display(),
        duckdb()
    ));
    t.keys(&["Enter"]);
    let screen = t.wait_for("Ünï events");
    assert!(screen.contains("┌ Schema"), "{screen}");
    t.keys(&["5"]);
    t.wait_for("Type SQL above");
    t.text("SELECT kind, id * 21 AS doubled FROM \"Ünï events\" ORDER BY id");
    t.keys(&["F5"]);
    let screen = t.wait_for("close");
    assert!(screen.contains("42") && screen.contains("open"), "{screen}");
    // A statement that runs long: Esc stops its shell, and the session goes on.
    t.keys(&["i", "C-a", "C-k"]);
    t.text("SELECT sum(i * i) FROM range(10000000000000) r(i)");
    t.keys(&["F5"]);
    t.wait_for("running statement 1/1");
    t.keys(&["Escape"]);
    t.wait_for("cancelled");
    t.keys(&["C-a", "C-k"]);
    t.text("SELECT 'still here' AS s");
    t.keys(&["F5"]);
    t.wait_for("still here");
}

#[test]
fn a_hostile_file_reaches_no_environment_no_file_and_cannot_write() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let duck = sb.data().join("hostile.duckdb");
    make_duck(
        &duck,
        "CREATE TABLE g (id INTEGER, secret VARCHAR GENERATED ALWAYS AS (getenv('DBC_TEST_PG_PASSWORD'))); \
         INSERT INTO g (id) VALUES (1); \
         CREATE VIEW leak AS SELECT * FROM read_text('/etc/hostname');",
    );
    let url = format!("duckdb:{}?cli={}", duck.display(), duckdb());
    let q = |sql: &str| sb.cmd().current_dir(sb.data()).args(["query", &url, "-e", sql]).output().unwrap();
    // A generated column and a view that read the environment and a local file: refused by the shell's settings.
    for sql in ["SELECT secret FROM g", "SELECT * FROM leak", "SELECT getenv('HOME')"] {
        let o = q(sql);
        assert_eq!(o.status.code(), Some(1), "{sql}: {}", stdout(&o));
        assert!(!stdout(&o).contains(&env("DBC_TEST_PG_PASSWORD")), "{sql}");
        assert!(stderr(&o).contains("disabled") || stderr(&o).contains("Permission"), "{sql}: {}", stderr(&o));
    }
    // No way to write: a second attachment read-write, COPY to a file, EXPORT, or switching the settings back.
    let other = sb.data().join("other.duckdb");
    for sql in [
        format!("ATTACH '{}' AS m (READ_WRITE)", other.display()),
        "COPY (SELECT 1) TO 'out.csv'".to_string(),
        "EXPORT DATABASE 'dumpdir'".to_string(),
        "SET enable_external_access = true".to_string(),
        "SET lock_configuration = false".to_string(),
    ] {
        let o = q(&sql);
        assert_eq!(o.status.code(), Some(1), "{sql}: {}", stdout(&o));
    }
    assert!(!other.exists() && !sb.data().join("out.csv").exists() && !sb.data().join("dumpdir").exists());
    // A file whose macros take the names of DuckDB's own functions is not read at all.
    let shadow = sb.data().join("shadow.duckdb");
    make_duck(&shadow, "CREATE TABLE t (x INTEGER); CREATE MACRO to_json(x) AS '{\"c1\":\"forged\"}';");
    let o = sb.run(&["profile", "test", &format!("duckdb:{}?cli={}", shadow.display(), duckdb())]);
    assert_ne!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("macros named like DuckDB's own functions (to_json)"), "{}", stdout(&o));
    // The program run is named by an absolute path, never chosen by an imported variable.
    let o = sb.run(&["profile", "test", &format!("duckdb:{}?cli=tools/duckdb", duck.display())]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("absolute path"), "{}", stderr(&o));
    std::fs::write(sb.data().join(".env"), format!("DATABASE_URL=duckdb:{}?cli=/bin/sh\n", duck.display())).unwrap();
    let o =
        sb.cmd().current_dir(sb.data()).args(["profile", "import", "--write", "--env-file", ".env"]).output().unwrap();
    let text = format!("{}{}", stdout(&o), stderr(&o));
    assert!(text.contains("not imported"), "{text}");
    assert!(!std::fs::read_to_string(sb.profiles_file()).unwrap_or_default().contains("/bin/sh"));
}

struct Count(u64);
impl dbconsole::core::query::Sink for Count {
    fn columns(&mut self, _: Vec<dbconsole::core::query::Column>) {}
    fn row(&mut self, _: &dbconsole::core::query::RowBuf) -> dbconsole::core::query::Flow {
        self.0 += 1;
        dbconsole::core::query::Flow::Continue
    }
    async fn more(&mut self) -> bool {
        true
    }
}

#[tokio::test]
async fn resuming_after_a_composite_blob_or_nul_key_reads_exactly_the_rest() {
    use dbconsole::core::transfer::key::KeyValue;
    let dir = tempfile::tempdir().unwrap();
    let duck = dir.path().join("keys.duckdb");
    make_duck(
        &duck,
        "CREATE TABLE grid (a INTEGER, b INTEGER, v VARCHAR, PRIMARY KEY (a, b)); \
         INSERT INTO grid SELECT x, y, 'v' FROM range(10) r(x), range(10) s(y); \
         CREATE TABLE bytes (k BLOB PRIMARY KEY, n INTEGER); \
         INSERT INTO bytes SELECT ('A' || i::VARCHAR)::BLOB, i FROM range(100) r(i); \
         CREATE TABLE words (k VARCHAR PRIMARY KEY); \
         INSERT INTO words VALUES ('a'), ('a' || chr(0) || 'b'), ('a' || chr(0) || 'c'), ('b');",
    );
    let p = dbconsole::core::profile::url::parse_url(&format!("duckdb:{}?cli={}", duck.display(), duckdb())).unwrap();
    let pool = dbconsole::core::engine::connect_pool(&p, None).await.unwrap();
    let plan = dbconsole::core::transfer::make_plan(
        &pool,
        &duck.display().to_string(),
        None,
        "d",
        "x",
        dbconsole::core::profile::Engine::Postgres,
        "public",
        &[],
    )
    .await
    .unwrap();
    let count_after = |table: &str, after: Vec<KeyValue>| {
        let t = plan.tables.iter().find(|t| t.source == table).unwrap().clone();
        let sql = dbconsole::core::transfer::load::source_sql(&plan, &t, Some(&after));
        let pool = pool.clone();
        async move {
            let mut s = dbconsole::core::query::Session::open(&pool).await.unwrap();
            let mut c = Count(0);
            s.run(&sql, &mut c).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
            c.0
        }
    };
    // (a, b) > (5, 5): the 4 rows of a = 5 after b = 5 and the 40 of a > 5.
    assert_eq!(count_after("grid", vec![KeyValue::Int("5".into()), KeyValue::Int("5".into())]).await, 44);
    // Bytes compare as bytes: 'A0' < 'A1' < 'A10' < … ; after 'A0' come the other 99.
    assert_eq!(count_after("bytes", vec![KeyValue::Blob("\\x4130".into())]).await, 99);
    // A key holding NUL is written with chr(0), not refused.
    assert_eq!(count_after("words", vec![KeyValue::Text("a\0b".into())]).await, 2);
}
