//! Live sync against real servers: one-way SQLite → PostgreSQL and MySQL → PostgreSQL, two-way SQLite ↔
//! PostgreSQL under each conflict policy, the runner killed with SIGKILL mid-stream (every change once), the
//! target unreachable and back (through a loopback proxy that is cut), schema drift pausing one table, and the
//! refusals.
use std::process::{Child, Stdio};
use std::time::Duration;

use dbconsole::core::engine::DbPool;

use crate::catalog::{exec, my_pool, new_my_db, new_pg_db, pg_pool, sqlite_pool};
use crate::common::*;

fn profiles(sb: &Sandbox, lite: &std::path::Path, pg_db: &str, pg_port: u16, my_db: &str) {
    sb.write_profiles(&format!(
        "[profiles.lite]\nengine = \"sqlite\"\npath = \"{}\"\n\n\
         [profiles.pg]\nengine = \"postgres\"\nhost = \"127.0.0.1\"\nport = {pg_port}\nuser = \"dbc\"\ndatabase = \"{pg_db}\"\n\
         password_source = \"env\"\npassword_env = \"DBC_TEST_PG_PASSWORD\"\n\n\
         [profiles.my]\nengine = \"mysql\"\nhost = \"127.0.0.1\"\nport = {}\nuser = \"dbc\"\ndatabase = \"{my_db}\"\n\
         password_source = \"env\"\npassword_env = \"DBC_TEST_MY_PASSWORD\"\n\n\
         [profiles.pg.pool]\nconnect_timeout_secs = 3\n",
        lite.display(),
        my_port()
    ));
}

/// One text value from a query (NULL as "NULL").
async fn text(pool: &DbPool, sql: &str) -> String {
    let q = sqlx::AssertSqlSafe(sql.to_string());
    let r: Option<String> = match pool {
        DbPool::Postgres(p) => sqlx::query_scalar(q).fetch_one(p).await,
        DbPool::Mysql(p) => sqlx::query_scalar(q).fetch_one(p).await,
        DbPool::Sqlite(p) => sqlx::query_scalar(q).fetch_one(p).await,
        DbPool::Duckdb(_) => unreachable!("no DuckDB in this test"),
    }
    .unwrap_or_else(|e| panic!("{e}\n{sql}"));
    r.unwrap_or_else(|| "NULL".into())
}

fn status(sb: &Sandbox, name: &str) -> serde_json::Value {
    let o = sb.run(&["sync", "status", name, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    json(&o)[0].clone()
}

fn ok(o: &std::process::Output) -> String {
    assert!(o.status.success(), "exit {:?}\n{}\n{}", o.status.code(), stdout(o), stderr(o));
    format!("{}{}", stdout(o), stderr(o))
}

const APP: &str = r#"
CREATE TABLE "we'ird ""items""" (
  id INTEGER PRIMARY KEY,
  "näme" TEXT NOT NULL,
  qty REAL,
  data BLOB,
  added TEXT
);
CREATE TABLE tags (a TEXT NOT NULL, b INTEGER NOT NULL, note TEXT, PRIMARY KEY (a, b));
INSERT INTO "we'ird ""items""" VALUES (1, 'one', 1.5, x'00ff', '2024-01-02 03:04:05'), (2, 'it''s', NULL, NULL, NULL);
INSERT INTO tags VALUES ('x', 1, 'first'), ('y', 2, NULL);
"#;

#[tokio::test]
async fn sqlite_to_postgres_one_way_carries_every_kind_of_change() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let lite = sb.data().join("app.db");
    let src = sqlite_pool(&lite).await;
    exec(&src, APP).await;
    let pg_db = new_pg_db().await;
    profiles(&sb, &lite, &pg_db, pg_port(), "dbc");

    // Without --yes and without a terminal: shown, not created.
    let o = sb.run(&["sync", "add", "l", "--from", "lite", "--to", "pg"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let shown = stderr(&o);
    for want in [
        "create table _dbconsole_changes",
        "create trigger _dbconsole_i_we'ird \"items\"",
        "create and copy tables: we'ird \"items\", tags",
    ] {
        assert!(shown.contains(want), "missing {want:?} in\n{shown}");
    }
    assert_eq!(text(&src, "SELECT CAST(count(*) AS TEXT) FROM sqlite_schema WHERE name LIKE '_dbconsole%'").await, "0");
    ok(&sb.run(&["sync", "add", "l", "--from", "lite", "--to", "pg", "--yes"]));

    // Every kind of change, hostile text included.
    exec(
        &src,
        "INSERT INTO \"we'ird \"\"items\"\"\" VALUES (3, 'ünï''; DROP TABLE tags; --\u{1}\t', 0.1, x'01', '2024-05-06T07:08:09Z');\n\
         UPDATE \"we'ird \"\"items\"\"\" SET \"näme\" = 'ONE', data = x'deadbeef' WHERE id = 1;\n\
         DELETE FROM \"we'ird \"\"items\"\"\" WHERE id = 2;\n\
         UPDATE \"we'ird \"\"items\"\"\" SET id = 30 WHERE id = 3;\n\
         INSERT INTO tags VALUES ('z', 3, 'zed'); UPDATE tags SET b = 20 WHERE a = 'y'; DELETE FROM tags WHERE a = 'x';",
    )
    .await;
    let st = status(&sb, "l");
    assert_eq!(st["pending"]["fwd"], 7, "{st}");
    ok(&sb.run(&["sync", "run", "l", "--once"]));

    let pg = pg_pool(&pg_db).await;
    assert_eq!(
        text(&pg, "SELECT string_agg(id || ':' || \"näme\" || ':' || coalesce(qty::text, '-') || ':' || coalesce(encode(data, 'hex'), '-'), ' | ' ORDER BY id) FROM \"we'ird \"\"items\"\"\"").await,
        "1:ONE:1.5:deadbeef | 30:ünï'; DROP TABLE tags; --\u{1}\t:0.1:01"
    );
    assert_eq!(
        text(&pg, "SELECT string_agg(a || b || coalesce(note, '-'), ',' ORDER BY a) FROM tags").await,
        "y20-,z3zed"
    );
    // The transfer's verify agrees, table by table.
    let v = ok(&sb.run(&["transfer", "verify", "--from", "lite", "--to", "pg"]));
    assert_eq!(v.matches("OK  ").count(), 2, "{v}");

    let st = status(&sb, "l");
    assert_eq!(st["state"], "live", "{st}");
    assert_eq!(st["pending"]["fwd"], 0);
    assert_eq!(st["applied_total"], 7);
    assert_eq!(st["conflicts_waiting"], 0);
    assert!(st["last_apply_at"].is_string());
    let t = st["tables"].as_array().unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(t.iter().map(|t| t["applied_total"].as_i64().unwrap()).sum::<i64>(), 7);
    // Applied changes leave the log, but for the highest (it keeps the numbering from restarting lower).
    assert_eq!(text(&src, "SELECT CAST(count(*) AS TEXT) FROM _dbconsole_changes").await, "1");

    // Pause: changes wait (and are counted), resume: they go.
    ok(&sb.run(&["sync", "pause", "l"]));
    exec(&src, "INSERT INTO tags VALUES ('p', 9, 'paused')").await;
    let o = sb.run(&["sync", "run", "l", "--once"]);
    assert!(!o.status.success() && stderr(&o).contains("sync resume l"), "{}", stderr(&o));
    let st = status(&sb, "l");
    assert_eq!((st["state"].as_str(), st["pending"]["fwd"].as_i64()), (Some("paused"), Some(1)), "{st}");
    ok(&sb.run(&["sync", "resume", "l"]));
    ok(&sb.run(&["sync", "run", "l", "--once"]));
    assert_eq!(text(&pg, "SELECT note FROM tags WHERE a = 'p'").await, "paused");

    // Remove: triggers and the sync's tables go on both sides, the data stays.
    ok(&sb.run(&["sync", "remove", "l", "--yes"]));
    assert_eq!(text(&src, "SELECT CAST(count(*) AS TEXT) FROM sqlite_schema WHERE name LIKE '_dbconsole%'").await, "0");
    assert_eq!(text(&pg, "SELECT count(*)::text FROM pg_tables WHERE tablename LIKE '\\_dbconsole%'").await, "0");
    assert_eq!(text(&pg, "SELECT count(*)::text FROM tags").await, "3");
    let o = sb.run(&["sync", "status", "l"]);
    assert!(!o.status.success() && stderr(&o).contains("no sync link named l"), "{}", stderr(&o));
}

#[tokio::test]
async fn refusals_name_the_problem_and_write_nothing() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let lite = sb.data().join("app.db");
    let src = sqlite_pool(&lite).await;
    exec(&src, "CREATE TABLE keyed (id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE loose (v TEXT);").await;
    let pg_db = new_pg_db().await;
    profiles(&sb, &lite, &pg_db, pg_port(), "dbc");
    let o = sb.run(&["sync", "add", "l", "--from", "lite", "--to", "pg", "--yes"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("a table without a primary key cannot be synced") && stderr(&o).contains("loose"),
        "{}",
        stderr(&o)
    );
    let o = sb.run(&["sync", "add", "l", "--from", "lite", "--to", "pg", "--tables", "nope", "--yes"]);
    assert!(stderr(&o).contains("no table \"nope\""), "{}", stderr(&o));
    let o = sb.run(&["sync", "add", "l", "--from", "lite", "--to", "pg", "--policy", "manual", "--yes"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(text(&src, "SELECT CAST(count(*) AS TEXT) FROM sqlite_schema WHERE name LIKE '_dbconsole%'").await, "0");
    let o = sb.run(&["sync", "run", "ghost", "--once"]);
    assert!(stderr(&o).contains("no sync link named ghost"), "{}", stderr(&o));
    // A target table that differs from the source is not adopted.
    let pg = pg_pool(&pg_db).await;
    exec(&pg, "CREATE TABLE keyed (id bigint PRIMARY KEY, v text); INSERT INTO keyed VALUES (99, 'other');").await;
    exec(&src, "INSERT INTO keyed VALUES (1, 'one')").await;
    let o = sb.run(&["sync", "add", "l", "--from", "lite", "--to", "pg", "--tables", "keyed", "--yes"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("keyed exists on pg and differs from the source"), "{}", stderr(&o));
    let st = status(&sb, "l");
    assert_eq!(st["state"], "error", "{st}");
    ok(&sb.run(&["sync", "remove", "l", "--yes"]));
    assert_eq!(text(&src, "SELECT CAST(count(*) AS TEXT) FROM sqlite_schema WHERE name LIKE '_dbconsole%'").await, "0");
    // Made equal, it is adopted.
    exec(&pg, "DELETE FROM keyed; INSERT INTO keyed VALUES (1, 'one');").await;
    let out = ok(&sb.run(&["sync", "add", "l", "--from", "lite", "--to", "pg", "--tables", "keyed", "--yes"]));
    assert!(out.contains("adopt existing tables if they match the source: keyed"), "{out}");
}

#[tokio::test]
async fn mysql_to_postgres_one_way_and_a_refused_value_pauses_only_its_table() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let my_db = new_my_db().await;
    let my = my_pool(&my_db).await;
    exec(
        &my,
        "CREATE TABLE orders (id BIGINT PRIMARY KEY, amount DECIMAL(12,2) NOT NULL, at DATETIME(3), raw VARBINARY(16), flag BIT(1), note TEXT) ENGINE=InnoDB;\n\
         CREATE TABLE order_lines (o BIGINT NOT NULL, n INT NOT NULL, what VARCHAR(50), PRIMARY KEY (o, n)) ENGINE=InnoDB;\n\
         INSERT INTO orders VALUES (1, 10.50, '2024-01-01 10:00:00.123', 0x00ff, b'1', 'first');",
    )
    .await;
    let pg_db = new_pg_db().await;
    profiles(&sb, &sb.data().join("unused.db"), &pg_db, pg_port(), &my_db);
    ok(&sb.run(&["sync", "add", "m", "--from", "my", "--to", "pg", "--yes"]));
    exec(
        &my,
        "INSERT INTO orders VALUES (2, 99999999.99, NULL, 0x41, b'0', 'ünï \\\\ ''q''');\n\
         UPDATE orders SET amount = 11.25, raw = 0xdeadbeef WHERE id = 1;\n\
         INSERT INTO order_lines VALUES (1, 1, 'a'), (1, 2, 'b');\n\
         UPDATE order_lines SET n = 3 WHERE o = 1 AND n = 2;\n\
         DELETE FROM order_lines WHERE o = 1 AND n = 1;",
    )
    .await;
    ok(&sb.run(&["sync", "run", "m", "--once"]));
    let pg = pg_pool(&pg_db).await;
    assert_eq!(
        text(&pg, "SELECT string_agg(id || ':' || amount || ':' || coalesce(encode(raw, 'hex'), '-') || ':' || coalesce(note, '-'), ' | ' ORDER BY id) FROM orders").await,
        "1:11.25:deadbeef:first | 2:99999999.99:41:ünï \\ 'q'"
    );
    assert_eq!(text(&pg, "SELECT string_agg(o || '/' || n || what, ',') FROM order_lines").await, "1/3b");
    let v = ok(&sb.run(&["transfer", "verify", "--from", "my", "--to", "pg"]));
    assert_eq!(v.matches("OK  ").count(), 2, "{v}");

    // A NUL in text cannot go to PostgreSQL: that table pauses with the change named; the other goes on.
    exec(&my, "INSERT INTO orders VALUES (3, 1, NULL, NULL, b'0', CONCAT('a', CHAR(0), 'b')); INSERT INTO order_lines VALUES (2, 1, 'after');").await;
    ok(&sb.run(&["sync", "run", "m", "--once"]));
    assert_eq!(text(&pg, "SELECT what FROM order_lines WHERE o = 2").await, "after");
    let st = status(&sb, "m");
    assert_eq!(st["state"], "error", "{st}");
    let orders = st["tables"].as_array().unwrap().iter().find(|t| t["table"] == "orders").unwrap().clone();
    assert_eq!(orders["state"], "error");
    let e = orders["last_error"].as_str().unwrap();
    assert!(e.contains("NUL") && e.contains("note"), "{e}");
    assert_eq!(orders["pending"]["fwd"], 1, "{orders}");
    // Resumed as it is, the refused change is first in line again: the table pauses again.
    ok(&sb.run(&["sync", "resume", "m"]));
    ok(&sb.run(&["sync", "run", "m", "--once"]));
    let st = status(&sb, "m");
    let orders = st["tables"].as_array().unwrap().iter().find(|t| t["table"] == "orders").unwrap().clone();
    assert_eq!(orders["state"], "error", "{orders}");
    // Fixed at the source and resumed skipping the refused change: the fix (an update of that row) lands.
    exec(&my, "UPDATE orders SET note = 'fixed' WHERE id = 3").await;
    let out = ok(&sb.run(&["sync", "resume", "m", "--skip-failed"]));
    assert!(out.contains("orders (skipping change"), "{out}");
    ok(&sb.run(&["sync", "run", "m", "--once"]));
    assert_eq!(text(&pg, "SELECT note FROM orders WHERE id = 3").await, "fixed");
    let st = status(&sb, "m");
    assert_eq!(st["state"], "live", "{st}");
    let v = ok(&sb.run(&["transfer", "verify", "--from", "my", "--to", "pg"]));
    assert_eq!(v.matches("OK  ").count(), 2, "{v}");
}

/// A two-way link between a SQLite copy and PostgreSQL where both sides edit the same rows, under `policy`.
/// Returns the sandbox, the pools and the link's name.
async fn two_way(policy: &str) -> (Sandbox, DbPool, DbPool) {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let lite = sb.data().join("local.db");
    let src = sqlite_pool(&lite).await;
    exec(&src, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, n INTEGER); INSERT INTO notes VALUES (1, 'one', 1), (2, 'two', 2), (3, 'three', 3), (4, 'four', 4);").await;
    let pg_db = new_pg_db().await;
    profiles(&sb, &lite, &pg_db, pg_port(), "dbc");
    ok(&sb.run(&["sync", "add", "t", "--from", "lite", "--to", "pg", "--two-way", "--policy", policy, "--yes"]));
    let pg = pg_pool(&pg_db).await;
    (sb, src, pg)
}

async fn both(src: &DbPool, pg: &DbPool) -> (String, String) {
    let q = "SELECT group_concat(id || ':' || body, ',') FROM (SELECT * FROM notes ORDER BY id)";
    let a = text(src, q).await;
    let b = text(pg, "SELECT string_agg(id || ':' || body, ',' ORDER BY id) FROM notes").await;
    (a, b)
}

#[tokio::test]
async fn two_way_changes_flow_both_ways_and_never_echo() {
    let (sb, src, pg) = two_way("source_wins").await;
    exec(&src, "INSERT INTO notes VALUES (10, 'local new', 0); UPDATE notes SET body = 'local edit' WHERE id = 1;")
        .await;
    exec(&pg, "INSERT INTO notes VALUES (20, 'central new', 0); DELETE FROM notes WHERE id = 2; UPDATE notes SET id = 40 WHERE id = 4;").await;
    let out = ok(&sb.run(&["sync", "run", "t", "--once"]));
    assert!(out.contains("applied 2 →, 3 ←, 0 conflict(s)"), "{out}");
    let (a, b) = both(&src, &pg).await;
    assert_eq!(a, "1:local edit,3:three,10:local new,20:central new,40:four");
    assert_eq!(a, b);
    // What the sync wrote is not sent back: a second run has nothing to do.
    let out = ok(&sb.run(&["sync", "run", "t", "--once"]));
    assert!(out.contains("applied 0 →, 0 ←"), "{out}");
    let st = status(&sb, "t");
    assert_eq!((st["pending"]["fwd"].as_i64(), st["pending"]["back"].as_i64()), (Some(0), Some(0)), "{st}");
    assert_eq!(st["applied_total"], 5);
}

#[tokio::test]
async fn conflicts_are_settled_by_each_policy() {
    for (policy, want) in [
        ("source_wins", "1:local,2:two,3:three,4:four"),
        ("target_wins", "1:central,2:two,3:three,4:four"),
        // The central edit is made last.
        ("newest_wins", "1:central,2:two,3:three,4:four"),
    ] {
        let (sb, src, pg) = two_way(policy).await;
        exec(&src, "UPDATE notes SET body = 'local' WHERE id = 1").await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        exec(&pg, "UPDATE notes SET body = 'central' WHERE id = 1").await;
        let out = ok(&sb.run(&["sync", "run", "t", "--once"]));
        assert!(out.contains("1 conflict(s)"), "{policy}: {out}");
        let (a, b) = both(&src, &pg).await;
        assert_eq!(a, want, "{policy}");
        assert_eq!(a, b, "{policy}");
        // Logged with how it was settled.
        let o = sb.run(&["sync", "conflicts", "t", "--all", "--json"]);
        let list = json(&o);
        assert_eq!(list.as_array().unwrap().len(), 1, "{policy}: {list}");
        let taken = if want.contains("local") { "source" } else { "target" };
        assert_eq!(list[0]["taken"], taken, "{policy}: {list}");
        assert_eq!(list[0]["policy"], policy);
        assert!(list[0]["resolved_at"].is_string());
        assert_eq!(status(&sb, "t")["conflicts_waiting"], 0);
    }
}

#[tokio::test]
async fn manual_conflicts_wait_with_both_versions_and_the_base_until_resolved() {
    let (sb, src, pg) = two_way("manual").await;
    exec(&src, "UPDATE notes SET body = 'local ✓' WHERE id = 1; UPDATE notes SET body = 'only local' WHERE id = 3;")
        .await;
    exec(&pg, "UPDATE notes SET body = 'central ✓' WHERE id = 1; DELETE FROM notes WHERE id = 2;").await;
    exec(&src, "UPDATE notes SET body = 'local again' WHERE id = 2;").await;
    ok(&sb.run(&["sync", "run", "t", "--once"]));
    // Rows without conflict went; 1 (both edited) and 2 (edited here, deleted there) wait.
    let (a, b) = both(&src, &pg).await;
    assert_eq!(a, "1:local ✓,2:local again,3:only local,4:four");
    assert_eq!(b, "1:central ✓,3:only local,4:four");
    let list = json(&sb.run(&["sync", "conflicts", "t", "--json"]));
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    let c1 = list.iter().find(|c| c["key"] == "[\"1\"]").unwrap();
    assert!(c1["source_row"].as_str().unwrap().contains("local ✓"), "{c1}");
    assert!(c1["target_row"].as_str().unwrap().contains("central ✓"), "{c1}");
    assert!(c1["base_row"].as_str().unwrap().contains("\"one\""), "{c1}");
    let c2 = list.iter().find(|c| c["key"] == "[\"2\"]").unwrap();
    assert_eq!(c2["target_row"], "null", "deleted there: {c2}");
    assert_eq!(status(&sb, "t")["conflicts_waiting"], 2);
    // Further edits of a waiting row join its conflict instead of going through.
    exec(&pg, "UPDATE notes SET body = 'central ✓✓' WHERE id = 1").await;
    ok(&sb.run(&["sync", "run", "t", "--once"]));
    let (a, _) = both(&src, &pg).await;
    assert!(a.starts_with("1:local ✓,"), "{a}");
    let list = json(&sb.run(&["sync", "conflicts", "t", "--json"]));
    let c1 = list.as_array().unwrap().iter().find(|c| c["key"] == "[\"1\"]").unwrap().clone();
    assert!(c1["target_row"].as_str().unwrap().contains("central ✓✓"), "{c1}");
    let (id1, id2) = (c1["id"].as_i64().unwrap().to_string(), c2["id"].as_i64().unwrap().to_string());
    ok(&sb.run(&["sync", "resolve", "t", &id1, "--take", "target"]));
    ok(&sb.run(&["sync", "resolve", "t", &id2, "--take", "source"]));
    let o = sb.run(&["sync", "resolve", "t", &id2, "--take", "source"]);
    assert!(!o.status.success() && stderr(&o).contains("was resolved"), "{}", stderr(&o));
    ok(&sb.run(&["sync", "run", "t", "--once"]));
    let (a, b) = both(&src, &pg).await;
    assert_eq!(a, "1:central ✓✓,2:local again,3:only local,4:four");
    assert_eq!(a, b);
    assert_eq!(status(&sb, "t")["conflicts_waiting"], 0);
    let all = json(&sb.run(&["sync", "conflicts", "t", "--all", "--json"]));
    assert!(all.as_array().unwrap().iter().all(|c| c["resolved_at"].is_string()), "{all}");
}

#[tokio::test]
async fn schema_drift_pauses_only_the_drifted_table_until_both_sides_match() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let lite = sb.data().join("app.db");
    let src = sqlite_pool(&lite).await;
    exec(&src, "CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE b (id INTEGER PRIMARY KEY, v TEXT);")
        .await;
    let pg_db = new_pg_db().await;
    profiles(&sb, &lite, &pg_db, pg_port(), "dbc");
    ok(&sb.run(&["sync", "add", "d", "--from", "lite", "--to", "pg", "--yes"]));
    let pg = pg_pool(&pg_db).await;
    exec(
        &src,
        "ALTER TABLE a ADD COLUMN extra TEXT; INSERT INTO a VALUES (1, 'x', 'e1'); INSERT INTO b VALUES (1, 'y');",
    )
    .await;
    ok(&sb.run(&["sync", "run", "d", "--once"]));
    assert_eq!(text(&pg, "SELECT v FROM b WHERE id = 1").await, "y", "the other table goes on");
    assert_eq!(text(&pg, "SELECT count(*)::text FROM a").await, "0");
    let st = status(&sb, "d");
    let a = st["tables"].as_array().unwrap().iter().find(|t| t["table"] == "a").unwrap().clone();
    assert_eq!(a["state"], "error", "{a}");
    let e = a["last_error"].as_str().unwrap();
    assert!(e.contains("schema drift: column extra was added on lite only") && e.contains("sync resume d"), "{e}");
    assert_eq!(a["pending"]["fwd"], 1);
    // Resumed before the target has the column: refused, still paused.
    let o = sb.run(&["sync", "resume", "d"]);
    assert!(!o.status.success() && stderr(&o).contains("not on pg: extra"), "{}", stderr(&o));
    exec(&pg, "ALTER TABLE a ADD COLUMN extra text").await;
    exec(&src, "INSERT INTO a VALUES (2, 'z', 'e2'); INSERT INTO b VALUES (2, 'w');").await;
    let out = ok(&sb.run(&["sync", "resume", "d"]));
    assert!(out.contains("capture triggers of a made again") && out.contains("resumed tables: a"), "{out}");
    exec(&src, "UPDATE a SET extra = 'e1!' WHERE id = 1").await;
    ok(&sb.run(&["sync", "run", "d", "--once"]));
    assert_eq!(
        text(&pg, "SELECT string_agg(id || v || coalesce(extra, '-'), ',' ORDER BY id) FROM a").await,
        "1xe1!,2ze2"
    );
    assert_eq!(text(&pg, "SELECT count(*)::text FROM b").await, "2");
    assert_eq!(status(&sb, "d")["state"], "live");
    let v = ok(&sb.run(&["transfer", "verify", "--from", "lite", "--to", "pg"]));
    assert_eq!(v.matches("OK  ").count(), 2, "{v}");
}

fn start_runner(sb: &Sandbox, name: &str, batch: &str) -> Child {
    sb.cmd().args(["sync", "run", name, "--batch", batch]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap()
}

/// A small deterministic generator (no dependency, same trials every run).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runner_killed_at_random_points_applies_every_change_exactly_once() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let lite = sb.data().join("app.db");
    let src = sqlite_pool(&lite).await;
    exec(&src, "CREATE TABLE acct (id INTEGER PRIMARY KEY, v INTEGER NOT NULL, note TEXT);").await;
    let pg_db = new_pg_db().await;
    profiles(&sb, &lite, &pg_db, pg_port(), "dbc");
    ok(&sb.run(&["sync", "add", "k", "--from", "lite", "--to", "pg", "--yes"]));
    let pg = pg_pool(&pg_db).await;
    // Every write the sync makes on the target is recorded: a change applied twice shows as a (id, v) seen twice.
    exec(
        &pg,
        "CREATE TABLE audit (id bigint, v bigint);\n\
         CREATE FUNCTION audit_acct() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit VALUES (NEW.id, NEW.v); RETURN NULL; END $$;\n\
         CREATE TRIGGER audit_acct AFTER INSERT OR UPDATE ON acct FOR EACH ROW EXECUTE FUNCTION audit_acct();",
    )
    .await;
    let mut rng = Lcg(20261202);
    let mut next_id = 0u64;
    for trial in 0..12 {
        let mut runner = start_runner(&sb, "k", "25");
        // Writes while the runner runs: new rows, updates (v + 1 each time), deletes.
        let writes = 5 + rng.next(10);
        for _ in 0..writes {
            let mut sql = String::from("BEGIN;");
            for _ in 0..(1 + rng.next(30)) {
                match rng.next(6) {
                    0 | 1 => {
                        next_id += 1;
                        sql.push_str(&format!("INSERT INTO acct VALUES ({next_id}, 0, 'trial {trial} ü');"));
                    }
                    2..=4 if next_id > 0 => {
                        sql.push_str(&format!("UPDATE acct SET v = v + 1 WHERE id = {};", 1 + rng.next(next_id)));
                    }
                    _ if next_id > 0 => {
                        sql.push_str(&format!("DELETE FROM acct WHERE id = {};", 1 + rng.next(next_id)))
                    }
                    _ => {}
                }
            }
            sql.push_str("COMMIT;");
            exec(&src, &sql).await;
            tokio::time::sleep(Duration::from_millis(rng.next(40))).await;
        }
        tokio::time::sleep(Duration::from_millis(rng.next(300))).await;
        runner.kill().unwrap();
        runner.wait().unwrap();
    }
    ok(&sb.run(&["sync", "run", "k", "--once"]));
    let v = ok(&sb.run(&["transfer", "verify", "--from", "lite", "--to", "pg", "--tables", "acct"]));
    assert!(v.starts_with("OK") && v.contains("acct: source"), "{v}");
    assert_eq!(
        text(&pg, "SELECT count(*)::text FROM (SELECT id, v FROM audit GROUP BY id, v HAVING count(*) > 1) d").await,
        "0"
    );
    let applied: i64 = text(&pg, "SELECT count(*)::text FROM audit").await.parse().unwrap();
    assert!(applied > 100, "{applied} writes applied");
    assert!(text(&pg, "SELECT count(*)::text FROM acct").await.parse::<i64>().unwrap() > 50);
    let st = status(&sb, "k");
    assert_eq!((st["state"].as_str(), st["pending"]["fwd"].as_i64()), (Some("live"), Some(0)), "{st}");
}

/// A loopback TCP proxy to PostgreSQL that can be cut (listener closed, connections shut) and restored on the
/// same port: the target going away and coming back, as a network outage looks to the runner.
struct Proxy {
    port: u16,
    target: u16,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    conns: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    fn start(target: u16) -> Proxy {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut p = Proxy {
            port: l.local_addr().unwrap().port(),
            target,
            up: Default::default(),
            conns: Default::default(),
            thread: None,
        };
        p.serve(l);
        p
    }

    fn serve(&mut self, l: std::net::TcpListener) {
        use std::sync::atomic::Ordering;
        self.up.store(true, Ordering::SeqCst);
        l.set_nonblocking(true).unwrap();
        let (up, conns, target) = (self.up.clone(), self.conns.clone(), self.target);
        self.thread = Some(std::thread::spawn(move || {
            while up.load(Ordering::SeqCst) {
                match l.accept() {
                    Ok((c, _)) => {
                        c.set_nonblocking(false).unwrap();
                        let Ok(s) = std::net::TcpStream::connect(("127.0.0.1", target)) else { continue };
                        for (mut from, mut to) in [
                            (c.try_clone().unwrap(), s.try_clone().unwrap()),
                            (s.try_clone().unwrap(), c.try_clone().unwrap()),
                        ] {
                            std::thread::spawn(move || {
                                let _ = std::io::copy(&mut from, &mut to);
                                let _ = to.shutdown(std::net::Shutdown::Both);
                            });
                        }
                        conns.lock().unwrap().extend([c, s]);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        }));
    }

    fn cut(&mut self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        for c in self.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
    }

    fn restore(&mut self) {
        let l = (0..200)
            .find_map(|_| {
                std::net::TcpListener::bind(("127.0.0.1", self.port)).ok().or_else(|| {
                    std::thread::sleep(Duration::from_millis(50));
                    None
                })
            })
            .expect("bind the proxy's port again");
        self.serve(l);
    }
}

async fn wait_until<F: std::future::Future<Output = bool>>(what: &str, secs: u64, mut f: impl FnMut() -> F) {
    let start = std::time::Instant::now();
    while !f().await {
        assert!(start.elapsed() < Duration::from_secs(secs), "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_target_going_away_mid_stream_is_caught_up_with_nothing_lost() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let lite = sb.data().join("app.db");
    let src = sqlite_pool(&lite).await;
    exec(&src, "CREATE TABLE ev (id INTEGER PRIMARY KEY, what TEXT NOT NULL);").await;
    let pg_db = new_pg_db().await;
    let mut proxy = Proxy::start(pg_port());
    profiles(&sb, &lite, &pg_db, proxy.port, "dbc");
    ok(&sb.run(&["sync", "add", "o", "--from", "lite", "--to", "pg", "--yes"]));
    let pg = pg_pool(&pg_db).await;
    let log = std::fs::File::create(sb.data().join("runner.log")).unwrap();
    let mut runner = sb.cmd().args(["sync", "run", "o"]).stdout(Stdio::null()).stderr(log).spawn().unwrap();
    let count = |pg: DbPool| async move { text(&pg, "SELECT count(*)::text FROM ev").await.parse::<i64>().unwrap() };
    let fill = |from: i64, to: i64| {
        (from..to).map(|i| format!("INSERT INTO ev VALUES ({i}, 'event {i} ✓');")).collect::<String>()
    };
    exec(&src, &format!("BEGIN;{}COMMIT;", fill(0, 100))).await;
    wait_until("the first 100 rows", 30, || {
        let pg = pg.clone();
        async move { count(pg).await == 100 }
    })
    .await;

    proxy.cut();
    for k in 0..4 {
        exec(&src, &format!("BEGIN;{}COMMIT;", fill(100 + k * 50, 150 + k * 50))).await;
    }
    wait_until("the runner to say offline", 30, || async {
        let st = status(&sb, "o");
        st["state"] == "offline" && st["runner"] == "offline"
    })
    .await;
    let st = status(&sb, "o");
    assert_eq!(st["pending"]["fwd"], 200, "{st}");
    assert!(st["next_retry_at"].is_string(), "{st}");
    assert!(st["last_error"].as_str().unwrap().contains("pg"), "{st}");
    let pg_side = st["sides"].as_array().unwrap().iter().find(|s| s["label"] == "pg").unwrap().clone();
    assert_eq!(pg_side["reachable"], false, "{pg_side}");
    let lite_side = st["sides"].as_array().unwrap().iter().find(|s| s["label"] == "lite").unwrap().clone();
    assert!(lite_side["log_rows"].as_i64().unwrap() >= 200, "a growing change log is shown: {lite_side}");
    assert_eq!(count(pg.clone()).await, 100);

    proxy.restore();
    wait_until("the catch-up", 60, || {
        let pg = pg.clone();
        async move { count(pg).await == 300 }
    })
    .await;
    // SIGTERM: the runner stops cleanly.
    std::process::Command::new("kill").args(["-TERM", &runner.id().to_string()]).status().unwrap();
    let code = runner.wait().unwrap();
    let said = std::fs::read_to_string(sb.data().join("runner.log")).unwrap();
    assert!(code.success(), "{code:?}\n{said}");
    assert!(
        said.contains("offline: pg") && said.contains("retrying in") && said.contains("stopped: applied 300"),
        "{said}"
    );
    let v = ok(&sb.run(&["transfer", "verify", "--from", "lite", "--to", "pg"]));
    assert!(v.starts_with("OK"), "{v}");
    assert_eq!(status(&sb, "o")["state"], "live");
    proxy.cut();
}

/// The pane end to end in a real terminal: add a two-way link with keys, watch it go live, run it once, resolve
/// the conflict it finds, run it in the background, quit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sync_pane_adds_a_link_runs_it_and_resolves_a_conflict_under_tmux() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let lite = sb.data().join("tasks.db");
    let src = sqlite_pool(&lite).await;
    exec(&src, "CREATE TABLE tasks (id INTEGER PRIMARY KEY, title TEXT NOT NULL); INSERT INTO tasks VALUES (1, 'write'), (2, 'test'); CREATE TABLE scratch (id INTEGER PRIMARY KEY, junk TEXT);").await;
    let pg_db = new_pg_db().await;
    profiles(&sb, &lite, &pg_db, pg_port(), "dbc");
    let t = Tmux::start(&sb, "sync", 80, 24);
    t.wait_for("Profiles");
    t.keys(&["4"]);
    t.wait_for("No sync links yet");
    t.keys(&["a"]);
    t.wait_for("Sync from (source)");
    t.keys(&["Enter"]);
    t.wait_for("Sync lite to (target)");
    t.keys(&["Enter"]);
    t.wait_for("New link lite → pg");
    t.keys(&["Space", "Right", "Right", "Right"]);
    t.wait_for("◀ manual ▶");
    t.keys(&["Enter"]);
    let screen = t.wait_for("What the link will create");
    assert!(screen.contains("create trigger _dbconsole_i_tasks on tasks"), "{screen}");
    assert!(screen.contains("[x] scratch") && screen.contains("[x] tasks"), "{screen}");
    // Leave scratch out: the link is planned again for tasks alone.
    t.keys(&["Down", "Space"]);
    t.wait_for("[ ] scratch");
    t.wait_for("Enter plan again");
    t.keys(&["Enter"]);
    let screen = t.wait_for("tables (1 of 2)");
    assert!(!screen.contains("_dbconsole_i_scratch") && screen.contains("Enter create it"), "{screen}");
    t.keys(&["Enter"]);
    t.wait_for("created link lite-pg");
    t.wait_for("lite ⇄ pg two-way, manual");
    let pg = pg_pool(&pg_db).await;
    assert_eq!(text(&pg, "SELECT string_agg(title, ',' ORDER BY id) FROM tasks").await, "write,test");

    exec(&src, "UPDATE tasks SET title = 'write it' WHERE id = 1").await;
    exec(&pg, "UPDATE tasks SET title = 'write that' WHERE id = 1; INSERT INTO tasks VALUES (3, 'ship');").await;
    t.keys(&["o"]);
    t.wait_for("lite-pg: applied 0 →, 1 ←, 1 conflict(s)");
    t.keys(&["c"]);
    let screen = t.wait_for("Conflicts of lite-pg (1 waiting)");
    let base = screen.split("base (the row before both changes):").nth(1).unwrap_or_default();
    assert!(screen.contains("title: write it") && screen.contains("title: write that"), "{screen}");
    assert!(base.contains("title: write ") && !base.contains("write it"), "{screen}");
    t.keys(&["s"]);
    t.wait_for("conflict 1 resolved: took the source's row");
    assert_eq!(text(&pg, "SELECT string_agg(title, ',' ORDER BY id) FROM tasks").await, "write it,test,ship");
    assert_eq!(
        text(&src, "SELECT group_concat(title, ',') FROM (SELECT title FROM tasks ORDER BY id)").await,
        "write it,test,ship"
    );

    // In the background: a change made now arrives without a key.
    t.keys(&["b"]);
    t.wait_for("runner: here");
    exec(&src, "INSERT INTO tasks VALUES (4, 'celebrate ✓')").await;
    wait_until("the background runner", 30, || {
        let pg = pg.clone();
        async move { text(&pg, "SELECT count(*)::text FROM tasks").await == "4" }
    })
    .await;
    t.keys(&["q"]);
    t.wait_for("DBCONSOLE-EXITED-0");
}

/// PostgreSQL → PostgreSQL: the servers' own logical replication (publication, slot, subscription), its status
/// from the replication views, pause and resume as the subscription's, and removal leaving no slot behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_to_postgres_uses_native_logical_replication() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let (src_db, dst_db) = (new_pg_db().await, new_pg_db().await);
    let profile = |name: &str, db: &str| {
        format!(
            "[profiles.{name}]\nengine = \"postgres\"\nhost = \"127.0.0.1\"\nport = {}\nuser = \"dbc\"\ndatabase = \"{db}\"\n\
             password_source = \"env\"\npassword_env = \"DBC_TEST_PG_PASSWORD\"\n\n",
            pg_port()
        )
    };
    sb.write_profiles(&format!("{}{}", profile("pga", &src_db), profile("pgb", &dst_db)));
    let a = pg_pool(&src_db).await;
    let b = pg_pool(&dst_db).await;
    exec(
        &a,
        "CREATE TABLE acct (id bigint PRIMARY KEY, owner text NOT NULL, balance numeric(12,2)); \
         INSERT INTO acct SELECT i, 'owner ' || i || ' ✓', i * 1.5 FROM generate_series(1, 100) i;",
    )
    .await;
    let out = ok(&sb.run(&["sync", "add", "n", "--from", "pga", "--to", "pgb", "--yes"]));
    assert!(out.contains("PostgreSQL logical replication") && out.contains("replication slot"), "{out}");
    let agg = "SELECT coalesce(string_agg(id || ':' || owner || ':' || coalesce(balance::text, '-'), ',' ORDER BY id), '') FROM acct";
    let same = |a: DbPool, b: DbPool| async move { text(&a, agg).await == text(&b, agg).await };
    wait_until("the initial copy", 60, || same(a.clone(), b.clone())).await;
    exec(&a, "INSERT INTO acct VALUES (101, 'new', 1); UPDATE acct SET balance = NULL WHERE id = 5; DELETE FROM acct WHERE id = 7; UPDATE acct SET id = 700 WHERE id = 8;").await;
    wait_until("the changes", 60, || same(a.clone(), b.clone())).await;
    wait_until("status live", 60, || async {
        let st = status(&sb, "n");
        st["state"] == "live"
    })
    .await;
    let st = status(&sb, "n");
    let native = &st["native"];
    assert_eq!(native["enabled"], true, "{st}");
    assert_eq!(native["slot_active"], true, "{st}");
    assert!(native["slot_retained_bytes"].as_i64().is_some(), "{st}");
    assert_eq!(native["tables"][0][1], "r", "{st}");
    let o = sb.run(&["sync", "run", "n", "--once"]);
    assert!(o.status.success() && stderr(&o).contains("applies this link itself"), "{}", stderr(&o));
    // Paused: the subscription is disabled, changes wait in the slot; resumed, they arrive.
    ok(&sb.run(&["sync", "pause", "n"]));
    assert_eq!(status(&sb, "n")["state"], "paused");
    exec(&a, "INSERT INTO acct VALUES (102, 'while paused', 2)").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(text(&b, "SELECT count(*)::text FROM acct WHERE id = 102").await, "0");
    ok(&sb.run(&["sync", "resume", "n"]));
    wait_until("the change made while paused", 60, || same(a.clone(), b.clone())).await;
    // Removed: no subscription, slot or publication is left (a forgotten slot fills the disk).
    let out = ok(&sb.run(&["sync", "remove", "n", "--yes"]));
    assert!(out.contains("dropped replication slot"), "{out}");
    let name = dbconsole::core::sync::native::object_name("n");
    assert_eq!(
        text(&a, &format!("SELECT count(*)::text FROM pg_replication_slots WHERE slot_name = '{name}'")).await,
        "0"
    );
    assert_eq!(text(&a, &format!("SELECT count(*)::text FROM pg_publication WHERE pubname = '{name}'")).await, "0");
    assert_eq!(text(&b, &format!("SELECT count(*)::text FROM pg_subscription WHERE subname = '{name}'")).await, "0");
    // --triggers: the same pair with trigger capture instead.
    exec(&b, "DROP TABLE acct").await;
    let out = ok(&sb.run(&["sync", "add", "t", "--from", "pga", "--to", "pgb", "--triggers", "--yes"]));
    assert!(out.contains("create trigger _dbconsole_capture on acct"), "{out}");
    exec(&a, "UPDATE acct SET owner = 'by trigger' WHERE id = 1").await;
    ok(&sb.run(&["sync", "run", "t", "--once"]));
    assert_eq!(text(&b, "SELECT owner FROM acct WHERE id = 1").await, "by trigger");
}

/// Selective sync: a row filter per table; the copy holds the matching rows only, rows that start matching arrive,
/// rows that stop matching leave.
#[tokio::test]
async fn a_row_filter_keeps_exactly_the_matching_rows_on_the_target() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let lite = sb.data().join("app.db");
    let src = sqlite_pool(&lite).await;
    exec(
        &src,
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, project TEXT NOT NULL, body TEXT);\
         INSERT INTO notes VALUES (1, 'alpha', 'a1'), (2, 'beta', 'b2'), (3, 'alpha', 'a3');",
    )
    .await;
    let pg_db = new_pg_db().await;
    profiles(&sb, &lite, &pg_db, pg_port(), "dbc");
    let o = sb.run(&["sync", "add", "f", "--from", "lite", "--to", "pg", "--filter", "notes", "--yes"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o =
        sb.run(&["sync", "add", "f", "--from", "lite", "--to", "pg", "--filter", "notes=1; DROP TABLE notes", "--yes"]);
    assert!(!o.status.success() && stderr(&o).contains("filter for notes"), "{}", stderr(&o));
    let o = sb.run(&[
        "sync",
        "add",
        "f",
        "--from",
        "lite",
        "--to",
        "pg",
        "--two-way",
        "--filter",
        "notes=project = 'alpha'",
        "--yes",
    ]);
    assert!(!o.status.success() && stderr(&o).contains("one-way"), "{}", stderr(&o));
    let out = ok(&sb.run(&[
        "sync",
        "add",
        "f",
        "--from",
        "lite",
        "--to",
        "pg",
        "--filter",
        "notes=project = 'alpha'",
        "--yes",
    ]));
    assert!(out.contains("rows of notes where project = 'alpha'"), "{out}");
    let pg = pg_pool(&pg_db).await;
    let rows = "SELECT coalesce(string_agg(id || project || coalesce(body, '-'), ',' ORDER BY id), '') FROM notes";
    assert_eq!(text(&pg, rows).await, "1alphaa1,3alphaa3");
    exec(
        &src,
        "INSERT INTO notes VALUES (4, 'beta', 'b4'), (5, 'alpha', 'a5');\
         UPDATE notes SET project = 'beta' WHERE id = 1;\
         UPDATE notes SET project = 'alpha', body = 'moved in' WHERE id = 2;\
         UPDATE notes SET body = 'still beta' WHERE id = 4;\
         DELETE FROM notes WHERE id = 3;",
    )
    .await;
    ok(&sb.run(&["sync", "run", "f", "--once"]));
    assert_eq!(text(&pg, rows).await, "2alphamoved in,5alphaa5");
    // A matching row whose key changes: the old key leaves, the new one arrives.
    exec(&src, "UPDATE notes SET id = 50 WHERE id = 5").await;
    ok(&sb.run(&["sync", "run", "f", "--once"]));
    assert_eq!(text(&pg, rows).await, "2alphamoved in,50alphaa5");
}

/// Teams: two local copies linked two-way to one central database. A change from one copy reaches the other
/// through the centre and never comes back to its origin; two members editing the same row meet as a conflict at
/// the centre.
#[tokio::test]
async fn two_copies_of_a_team_meet_at_the_centre_without_echoes() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let (ana, bo) = (sb.data().join("ana.db"), sb.data().join("bo.db"));
    let schema = "CREATE TABLE items (id INTEGER PRIMARY KEY, title TEXT NOT NULL);";
    let pa = sqlite_pool(&ana).await;
    exec(&pa, &format!("{schema} INSERT INTO items VALUES (1, 'shared'), (2, 'second');")).await;
    let pg_db = new_pg_db().await;
    sb.write_profiles(&format!(
        "[profiles.ana]\nengine = \"sqlite\"\npath = \"{}\"\n\n[profiles.bo]\nengine = \"sqlite\"\npath = \"{}\"\n\n\
         [profiles.centre]\nengine = \"postgres\"\nhost = \"127.0.0.1\"\nport = {}\nuser = \"dbc\"\ndatabase = \"{pg_db}\"\n\
         password_source = \"env\"\npassword_env = \"DBC_TEST_PG_PASSWORD\"\n",
        ana.display(),
        bo.display(),
        pg_port()
    ));
    // Ana's copy makes the centre; Bo starts from an empty copy of the same table, filled from the centre.
    ok(&sb.run(&["sync", "add", "ana", "--from", "ana", "--to", "centre", "--two-way", "--policy", "manual", "--yes"]));
    let pb = sqlite_pool(&bo).await;
    exec(&pb, schema).await;
    let pg = pg_pool(&pg_db).await;
    exec(&pb, "INSERT INTO items VALUES (1, 'shared'), (2, 'second');").await;
    ok(&sb.run(&["sync", "add", "bo", "--from", "bo", "--to", "centre", "--two-way", "--policy", "manual", "--yes"]));
    let rows = "SELECT group_concat(id || ':' || title, ',') FROM (SELECT * FROM items ORDER BY id)";
    // Ana adds a row: centre, then Bo.
    exec(&pa, "INSERT INTO items VALUES (3, 'from ana ✓')").await;
    ok(&sb.run(&["sync", "run", "ana", "--once"]));
    ok(&sb.run(&["sync", "run", "bo", "--once"]));
    assert_eq!(text(&pb, rows).await, "1:shared,2:second,3:from ana ✓");
    // Nothing comes back to Ana: her link has nothing to do, and her log holds no echo.
    let out = ok(&sb.run(&["sync", "run", "ana", "--once"]));
    assert!(out.contains("applied 0 →, 0 ←"), "{out}");
    let out = ok(&sb.run(&["sync", "run", "bo", "--once"]));
    assert!(out.contains("applied 0 →, 0 ←"), "{out}");
    assert_eq!(
        text(&pa, "SELECT CAST(count(*) AS TEXT) FROM _dbconsole_changes WHERE origin IS NULL AND seq < (SELECT max(seq) FROM _dbconsole_changes)").await,
        "0"
    );
    // Both edit row 1: Ana's edit reaches the centre first; Bo's meets it there.
    exec(&pa, "UPDATE items SET title = 'ana says' WHERE id = 1").await;
    exec(&pb, "UPDATE items SET title = 'bo says' WHERE id = 1").await;
    ok(&sb.run(&["sync", "run", "ana", "--once"]));
    assert_eq!(text(&pg, "SELECT title FROM items WHERE id = 1").await, "ana says");
    let out = ok(&sb.run(&["sync", "run", "bo", "--once"]));
    assert!(out.contains("1 conflict(s)"), "{out}");
    let list = json(&sb.run(&["sync", "conflicts", "bo", "--json"]));
    let c = &list[0];
    assert!(
        c["source_row"].as_str().unwrap().contains("bo says") && c["target_row"].as_str().unwrap().contains("ana says"),
        "{list}"
    );
    // Bo takes the centre's (Ana's) version; everyone agrees.
    ok(&sb.run(&["sync", "resolve", "bo", &c["id"].to_string(), "--take", "target"]));
    ok(&sb.run(&["sync", "run", "ana", "--once"]));
    ok(&sb.run(&["sync", "run", "bo", "--once"]));
    let want = "1:ana says,2:second,3:from ana ✓";
    assert_eq!(text(&pa, rows).await, want);
    assert_eq!(text(&pb, rows).await, want);
    assert_eq!(text(&pg, "SELECT string_agg(id || ':' || title, ',' ORDER BY id) FROM items").await, want);
}

/// The target's server ends the runner's connections mid-stream (as a restart does: SQLSTATE 57P01): the runner
/// reconnects and catches up, every row once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_ended_by_the_server_are_made_again_with_nothing_lost() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let lite = sb.data().join("app.db");
    let src = sqlite_pool(&lite).await;
    exec(&src, "CREATE TABLE ev (id INTEGER PRIMARY KEY, what TEXT NOT NULL);").await;
    let pg_db = new_pg_db().await;
    profiles(&sb, &lite, &pg_db, pg_port(), "dbc");
    ok(&sb.run(&["sync", "add", "r", "--from", "lite", "--to", "pg", "--yes"]));
    let pg = pg_pool(&pg_db).await;
    let admin = pg_pool("dbc").await;
    let mut runner = start_runner(&sb, "r", "50");
    for round in 0..6 {
        let sql: String =
            (0..100).map(|i| format!("INSERT INTO ev VALUES ({}, 'r{round} ✓');", round * 100 + i)).collect();
        exec(&src, &format!("BEGIN;{sql}COMMIT;")).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
        let _ = text(
            &admin,
            &format!(
                "SELECT count(pg_terminate_backend(pid))::text FROM pg_stat_activity WHERE datname = '{pg_db}' AND pid <> pg_backend_pid()"
            ),
        )
        .await;
    }
    let pg2 = pg_pool(&pg_db).await;
    wait_until("the catch-up after the disconnections", 60, || {
        let pg = pg2.clone();
        async move { text(&pg, "SELECT count(*)::text FROM ev").await == "600" }
    })
    .await;
    runner.kill().unwrap();
    runner.wait().unwrap();
    let v = ok(&sb.run(&["transfer", "verify", "--from", "lite", "--to", "pg"]));
    assert!(v.starts_with("OK"), "{v}");
    drop(pg);
}

/// A PostgreSQL server of the test's own (on 127.0.0.1, trust auth), to stop and start while a link runs.
struct OwnPg {
    dir: std::path::PathBuf,
    port: u16,
    bin: std::path::PathBuf,
}

impl OwnPg {
    fn run_as_postgres(args: &[&str]) -> std::process::Output {
        let root = unsafe { libc::geteuid() } == 0;
        let mut c = if root {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]);
            c.args(args);
            c
        } else {
            let mut c = std::process::Command::new(args[0]);
            c.args(&args[1..]);
            c
        };
        c.stdin(Stdio::null()).output().unwrap()
    }

    fn start() -> OwnPg {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL binaries (scripts/test.sh installs them)")
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .find(|p| p.join("initdb").exists())
            .expect("initdb");
        let dir = std::env::temp_dir().join(format!("dbc-ownpg-{}-{}", std::process::id(), sync_unique()));
        std::fs::create_dir_all(&dir).unwrap();
        let _ = std::process::Command::new("chown").args(["postgres", dir.to_str().unwrap()]).status();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let data = dir.join("data");
        let o = Self::run_as_postgres(&[
            bin.join("initdb").to_str().unwrap(),
            "-D",
            data.to_str().unwrap(),
            "-U",
            "postgres",
            "--no-sync",
            "--auth=trust",
            "-E",
            "UTF8",
        ]);
        assert!(o.status.success(), "initdb: {}", String::from_utf8_lossy(&o.stderr));
        let pg = OwnPg { dir, port, bin };
        pg.pg_ctl("start");
        pg
    }

    fn pg_ctl(&self, what: &str) {
        let data = self.dir.join("data");
        let log = self.dir.join("pg.log");
        let opts = format!("-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off", self.port, self.dir.display());
        let mut args = vec![
            self.bin.join("pg_ctl").to_str().unwrap().to_string(),
            "-D".into(),
            data.to_str().unwrap().into(),
            "-w".into(),
        ];
        match what {
            "start" => args.extend(["-l".into(), log.to_str().unwrap().into(), "-o".into(), opts, "start".into()]),
            _ => args.extend(["-m".into(), "fast".into(), "stop".into()]),
        }
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = Self::run_as_postgres(&a);
        assert!(
            o.status.success(),
            "pg_ctl {what}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

impl Drop for OwnPg {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = Self::run_as_postgres(&[
            self.bin.join("pg_ctl").to_str().unwrap(),
            "-D",
            data.to_str().unwrap(),
            "-m",
            "immediate",
            "stop",
        ]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn sync_unique() -> u64 {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
}

/// The target server stopped while the source keeps writing, then started: the runner says offline with the
/// backlog, retries, and catches up with every row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_target_server_stopped_and_started_again_is_caught_up() {
    let own = OwnPg::start();
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data()).unwrap();
    let lite = sb.data().join("app.db");
    let src = sqlite_pool(&lite).await;
    exec(&src, "CREATE TABLE ev (id INTEGER PRIMARY KEY, what TEXT NOT NULL);").await;
    sb.write_profiles(&format!(
        "[profiles.lite]\nengine = \"sqlite\"\npath = \"{}\"\n\n[profiles.own]\nengine = \"postgres\"\nhost = \"127.0.0.1\"\n\
         port = {}\nuser = \"postgres\"\ndatabase = \"postgres\"\npassword_source = \"none\"\n\n[profiles.own.pool]\nconnect_timeout_secs = 3\n",
        lite.display(),
        own.port
    ));
    ok(&sb.run(&["sync", "add", "s", "--from", "lite", "--to", "own", "--yes"]));
    let log = std::fs::File::create(sb.data().join("runner.log")).unwrap();
    let mut runner = sb.cmd().args(["sync", "run", "s"]).stdout(Stdio::null()).stderr(log).spawn().unwrap();
    let fill = |from: i64, to: i64| {
        (from..to).map(|i| format!("INSERT INTO ev VALUES ({i}, 'event {i}');")).collect::<String>()
    };
    let target = || async {
        let p =
            dbconsole::core::profile::url::parse_url(&format!("postgres://postgres@127.0.0.1:{}/postgres", own.port))
                .unwrap();
        dbconsole::core::engine::connect_pool(&p, None).await.ok()
    };
    exec(&src, &format!("BEGIN;{}COMMIT;", fill(0, 100))).await;
    wait_until("the first rows", 30, || async {
        match target().await {
            Some(pg) => text(&pg, "SELECT count(*)::text FROM ev").await == "100",
            None => false,
        }
    })
    .await;
    own.pg_ctl("stop");
    for k in 0..5 {
        exec(&src, &format!("BEGIN;{}COMMIT;", fill(100 + k * 40, 140 + k * 40))).await;
    }
    wait_until("offline", 30, || async {
        let st = status(&sb, "s");
        st["state"] == "offline" && st["pending"]["fwd"] == 200
    })
    .await;
    own.pg_ctl("start");
    wait_until("the catch-up", 90, || async {
        match target().await {
            Some(pg) => text(&pg, "SELECT count(*)::text FROM ev").await == "300",
            None => false,
        }
    })
    .await;
    std::process::Command::new("kill").args(["-TERM", &runner.id().to_string()]).status().unwrap();
    assert!(runner.wait().unwrap().success());
    let said = std::fs::read_to_string(sb.data().join("runner.log")).unwrap();
    assert!(said.contains("offline: ") && said.contains("retrying in"), "{said}");
    let v = ok(&sb.run(&["transfer", "verify", "--from", "lite", "--to", "own"]));
    assert!(v.starts_with("OK"), "{v}");
}
