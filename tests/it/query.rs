//! Running user SQL against the real engines: every type rendered as the server prints it, CSV/JSON exports that
//! load back to the same rows, server-side cancel, read-only profiles refused by the server, notices and warnings,
//! transaction state, the row cap, columns of an empty result, error positions.
use std::time::{Duration, Instant};

use dbconsole::core::engine::{DbPool, connect_pool};
use dbconsole::core::profile::url::parse_url;
use dbconsole::core::query::export::{Format, Writer};
use dbconsole::core::query::{Column, Flow, Kind, RowBuf, Rows, Session, Sink, TxnState};
use secrecy::SecretString;

use crate::catalog::{exec, my_pool, new_my_db, new_pg_db, pg_pool, sqlite_pool};
use crate::common::*;

/// Collects a result; pauses after `cap` rows and then reads on only if `more` is set.
#[derive(Default)]
pub struct Collect {
    pub columns: Vec<Column>,
    pub rows: Rows,
    pub cap: Option<usize>,
    pub more: bool,
}

impl Sink for Collect {
    fn columns(&mut self, columns: Vec<Column>) {
        self.rows = Rows::new(columns.len());
        self.columns = columns;
    }
    fn row(&mut self, row: &RowBuf) -> Flow {
        self.rows.push(row);
        if self.cap.is_some_and(|c| self.rows.len().is_multiple_of(c)) { Flow::Pause } else { Flow::Continue }
    }
    async fn more(&mut self) -> bool {
        self.more
    }
}

pub async fn collect(s: &mut Session, sql: &str) -> Collect {
    let mut c = Collect::default();
    s.run(sql, &mut c).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    c
}

fn column(c: &Collect, name: &str) -> usize {
    c.columns.iter().position(|x| x.name == name).unwrap_or_else(|| panic!("no column {name}"))
}

const PG_TYPES: &str = r#"
CREATE TABLE types (
  id int PRIMARY KEY, i2 smallint, i8 bigint, num numeric(30,10), f4 real, f8 double precision,
  b boolean, t text, vc varchar(10), ch char(5), d date, tm time, tmz timetz, ts timestamp, tsz timestamptz,
  iv interval, j jsonb, u uuid, arr int[], tarr text[], by bytea, inet_ inet, mny money
);
INSERT INTO types VALUES
 (1, -32768, 9223372036854775807, 12345678901234567890.0123456789, 1.5, 0.1, true, 'it''s ✓', '', 'ab',
  '2024-02-29', '23:59:59.999999', '12:00+05:30', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05+02',
  '1 year 2 mons 3 days 04:05:06', '{"a": [1, 2.5, null], "b": "x\"y"}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  '{1,NULL,3}', '{"a b","c,d",NULL}', '\x00ff10', '192.168.0.1/24', 12.34),
 (2, NULL, NULL, NULL, 'NaN', '-Infinity', false, E'line1\nline2\ttab', NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, '[]', NULL, '{}', NULL, '\x', NULL, NULL);
"#;

#[tokio::test]
async fn postgres_types_render_as_the_server_prints_them_and_exports_load_back() {
    dbconsole::logging::init_notices_only();
    let db = new_pg_db().await;
    let pool = pg_pool(&db).await;
    exec(&pool, PG_TYPES).await;
    let mut s = Session::open(&pool).await.unwrap();
    let grid = collect(&mut s, "SELECT * FROM types ORDER BY id").await;
    assert_eq!(grid.rows.len(), 2);
    // Each cell equals the server's own text output for that value (NULL stays NULL, '' stays '').
    for (i, col) in grid.columns.iter().enumerate() {
        if col.name == "b" || col.name == "ch" {
            continue; // psql's t/f, while bool::text is true/false: checked below
        }
        let q = format!(
            "SELECT {}::text FROM types ORDER BY id",
            dbconsole::core::catalog::quote::ident(dbconsole::core::profile::Engine::Postgres, &col.name)
        );
        let text = collect(&mut s, &q).await;
        for r in 0..2 {
            assert_eq!(grid.rows.get(r, i), text.rows.get(r, 0), "column {} row {r}", col.name);
        }
    }
    let cell = |name: &str, r: usize| grid.rows.get(r, column(&grid, name));
    assert_eq!(cell("num", 0), Some("12345678901234567890.0123456789"));
    assert_eq!(cell("i8", 0), Some("9223372036854775807"));
    assert_eq!(cell("b", 0), Some("t"));
    assert_eq!(cell("ch", 0), Some("ab   "), "char(n) keeps its padding, as psql shows it");
    assert_eq!(cell("vc", 0), Some(""));
    assert_eq!(cell("vc", 1), None);
    assert_eq!(cell("by", 0), Some("\\x00ff10"));
    assert_eq!(cell("arr", 0), Some("{1,NULL,3}"));
    assert_eq!(cell("f4", 1), Some("NaN"));
    assert_eq!(grid.columns[column(&grid, "num")].kind, Kind::Number);
    assert_eq!(grid.columns[column(&grid, "j")].kind, Kind::Json);
    assert_eq!(grid.columns[column(&grid, "by")].kind, Kind::Binary);
    assert_eq!(grid.columns[column(&grid, "tsz")].kind, Kind::Temporal);

    // CSV loads back with COPY into an identical table: the same rows, value for value.
    let mut w = Writer::new(Format::Csv, Vec::new(), dbconsole::core::profile::Engine::Postgres, "types");
    w.begin(&grid.columns).unwrap();
    for r in 0..grid.rows.len() {
        w.row((0..grid.columns.len()).map(|c| grid.rows.get(r, c))).unwrap();
    }
    w.finish().unwrap();
    let csv = w.into_inner();
    let DbPool::Postgres(pg) = &pool else { unreachable!() };
    let mut conn = pg.acquire().await.unwrap();
    sqlx::raw_sql("CREATE TABLE from_csv (LIKE types); CREATE TABLE from_json (LIKE types)")
        .execute(&mut *conn)
        .await
        .unwrap();
    let mut copy = conn.copy_in_raw("COPY from_csv FROM STDIN (FORMAT csv, HEADER true)").await.unwrap();
    copy.send(csv).await.unwrap();
    assert_eq!(copy.finish().await.unwrap(), 2);
    // JSON loads back through json_populate_recordset.
    let mut w = Writer::new(Format::Json, Vec::new(), dbconsole::core::profile::Engine::Postgres, "types");
    w.begin(&grid.columns).unwrap();
    for r in 0..grid.rows.len() {
        w.row((0..grid.columns.len()).map(|c| grid.rows.get(r, c))).unwrap();
    }
    w.finish().unwrap();
    let json = String::from_utf8(w.into_inner()).unwrap();
    sqlx::query("INSERT INTO from_json SELECT * FROM json_populate_recordset(NULL::types, $1::json)")
        .bind(&json)
        .execute(&mut *conn)
        .await
        .unwrap();
    for t in ["from_csv", "from_json"] {
        let diff: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM ((SELECT * FROM types EXCEPT ALL SELECT * FROM {t}) UNION ALL (SELECT * FROM {t} EXCEPT ALL SELECT * FROM types)) d"
        )))
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(diff, 0, "{t} differs from the source table\n{json}");
    }
    drop(conn);
    s.close().await;
    pool.close().await;
}

const MY_TYPES: &str = r#"
CREATE TABLE types (
  id int PRIMARY KEY, ti tinyint, tb tinyint(1), tu tinyint unsigned, bu bigint unsigned, dec_ decimal(30,10),
  f float, dbl double, bt bit(5), vc varchar(20), vb varbinary(8), bl blob, tx text, d date, dt datetime(6),
  ts timestamp NULL, tm time(3), y year, e enum('small','large'), st set('a','b'), j json, vcb varchar(10) COLLATE utf8mb4_bin
);
INSERT INTO types VALUES
 (1, -128, 1, 255, 18446744073709551615, 12345678901234567890.0123456789, 1.5, 0.1, b'00101', 'it''s ✓', x'00ff10', x'cafe',
  'x\\y', '2024-02-29', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05', '-838:59:59.000', 2024, 'large', 'a,b',
  '{"a": [1, 2.5, null]}', 'Bin'),
 (2, NULL, 0, NULL, 0, NULL, NULL, NULL, b'0', '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '', 'null', NULL);
"#;

#[tokio::test]
async fn mysql_types_render_faithfully() {
    let db = new_my_db().await;
    let pool = my_pool(&db).await;
    exec(&pool, MY_TYPES).await;
    let mut s = Session::open(&pool).await.unwrap();
    let g = collect(&mut s, "SELECT * FROM types ORDER BY id").await;
    let cell = |name: &str, r: usize| g.rows.get(r, column(&g, name)).map(str::to_string);
    // Text columns equal CAST(… AS CHAR); binary ones are the hex of the bytes.
    for name in
        ["ti", "tb", "tu", "bu", "dec_", "f", "dbl", "vc", "tx", "d", "dt", "ts", "tm", "y", "e", "st", "j", "vcb"]
    {
        let t = collect(&mut s, &format!("SELECT CAST(`{name}` AS CHAR) FROM types ORDER BY id")).await;
        for r in 0..2 {
            assert_eq!(cell(name, r).as_deref(), t.rows.get(r, 0), "column {name} row {r}");
        }
    }
    assert_eq!(cell("bu", 0).as_deref(), Some("18446744073709551615"));
    assert_eq!(cell("dec_", 0).as_deref(), Some("12345678901234567890.0123456789"));
    assert_eq!(cell("vb", 0).as_deref(), Some("\\x00ff10"));
    assert_eq!(cell("bl", 0).as_deref(), Some("\\xcafe"));
    assert_eq!(cell("bt", 0).as_deref(), Some("b'101'"));
    assert_eq!(cell("bt", 1).as_deref(), Some("b'0'"));
    assert_eq!(cell("vc", 1).as_deref(), Some(""));
    assert_eq!(cell("vb", 1), None);
    assert_eq!(cell("vcb", 0).as_deref(), Some("Bin"), "a _bin collation is text, not bytes");
    assert_eq!(cell("tx", 0).as_deref(), Some("x\\y"));
    assert_eq!(g.columns[column(&g, "bu")].kind, Kind::Number);
    assert_eq!(g.columns[column(&g, "tb")].kind, Kind::Bool);
    // JSON export: unsigned and decimal digits kept exactly; bit and binary as text.
    let mut w = Writer::new(Format::Json, Vec::new(), dbconsole::core::profile::Engine::Mysql, "types");
    w.begin(&g.columns).unwrap();
    for r in 0..g.rows.len() {
        w.row((0..g.columns.len()).map(|c| g.rows.get(r, c))).unwrap();
    }
    w.finish().unwrap();
    let json = String::from_utf8(w.into_inner()).unwrap();
    assert!(json.contains("\"bu\": 18446744073709551615"), "{json}");
    assert!(json.contains("\"dec_\": 12345678901234567890.0123456789"), "{json}");
    assert!(json.contains("\"tb\": true"), "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["vb"], "\\x00ff10");
    assert_eq!(v[1]["vb"], serde_json::Value::Null);
    // SQL INSERT export runs on the server and reproduces the rows.
    let mut w = Writer::new(Format::Sql, Vec::new(), dbconsole::core::profile::Engine::Mysql, "copy_t");
    w.begin(&g.columns).unwrap();
    for r in 0..g.rows.len() {
        w.row((0..g.columns.len()).map(|c| g.rows.get(r, c))).unwrap();
    }
    w.finish().unwrap();
    exec(&pool, "CREATE TABLE copy_t LIKE types").await;
    exec(&pool, &String::from_utf8(w.into_inner()).unwrap()).await;
    let same = collect(&mut s, "SELECT count(*) FROM types t JOIN copy_t c USING (id) WHERE t.bu <=> c.bu AND t.vb <=> c.vb AND t.bl <=> c.bl AND t.bt <=> c.bt AND t.dec_ <=> c.dec_ AND t.dt <=> c.dt AND t.j <=> c.j AND t.tx <=> c.tx AND t.vc <=> c.vc").await;
    assert_eq!(same.rows.get(0, 0), Some("2"));
    s.close().await;
    pool.close().await;
}

#[tokio::test]
async fn sqlite_values_render_by_storage_class() {
    let dir = tempfile::tempdir().unwrap();
    let pool = sqlite_pool(&dir.path().join("t.db")).await;
    exec(&pool, "CREATE TABLE t (a, b REAL, c BLOB); INSERT INTO t VALUES (1, 3.0, x'00ff'), ('1', 0.1, ''), (NULL, 1e300, NULL), (2.5, -0.0, 'text in blob'), (x'ff', 7, 1);").await;
    let mut s = Session::open(&pool).await.unwrap();
    let g = collect(&mut s, "SELECT a, b, c, typeof(a) FROM t ORDER BY rowid").await;
    let rows: Vec<Vec<Option<String>>> = (0..g.rows.len()).map(|r| g.rows.row(r)).collect();
    let o = |s: &str| Some(s.to_string());
    assert_eq!(rows[0], vec![o("1"), o("3.0"), o("\\x00ff"), o("integer")]);
    assert_eq!(rows[1], vec![o("1"), o("0.1"), o(""), o("text")]);
    assert_eq!(rows[2], vec![None, o("1e300"), None, o("null")]);
    assert_eq!(rows[3], vec![o("2.5"), o("0.0"), o("text in blob"), o("real")]);
    assert_eq!(rows[4], vec![o("\\xff"), o("7.0"), o("1"), o("blob")]);
    s.close().await;
    pool.close().await;
}

async fn cancel_within_a_second(pool: &DbPool, long: &str, expect_error: bool) {
    let mut s = Session::open(pool).await.unwrap();
    let canceller = s.canceller();
    let long = long.to_string();
    let l2 = long.clone();
    let task = tokio::spawn(async move {
        let mut c = Collect::default();
        let r = s.run(&l2, &mut c).await;
        (s, r)
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    if task.is_finished() {
        let (_, r) = task.await.unwrap();
        panic!("{long:?} finished before the cancel: {r:?}");
    }
    let t = Instant::now();
    canceller.cancel().await.unwrap();
    let (mut s, r) = tokio::time::timeout(Duration::from_secs(5), task).await.expect("cancel took over 5 s").unwrap();
    let took = t.elapsed();
    assert!(took < Duration::from_secs(1), "cancel took {took:?}");
    if expect_error {
        let e = r.expect_err("a cancelled statement fails");
        assert!(e.cancelled, "{e:?}");
    }
    // The session's connection is still usable.
    let c = collect(&mut s, "SELECT 41 + 1").await;
    assert_eq!(c.rows.get(0, 0), Some("42"));
    s.close().await;
}

#[tokio::test]
async fn cancel_stops_the_statement_on_each_server() {
    let pg = pg_pool("dbc").await;
    cancel_within_a_second(&pg, "SELECT pg_sleep(30)", true).await;
    pg.close().await;
    let my = my_pool("dbc").await;
    // SLEEP() returns 1 when killed; a long recursive query fails with "Query execution was interrupted".
    cancel_within_a_second(&my, "SELECT SLEEP(30)", false).await;
    cancel_within_a_second(&my, "SELECT sum(a.seq * b.seq) FROM seq_1_to_100000 a, seq_1_to_100000 b", true).await;
    my.close().await;
    let dir = tempfile::tempdir().unwrap();
    let lite = sqlite_pool(&dir.path().join("c.db")).await;
    cancel_within_a_second(
        &lite,
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
        true,
    )
    .await;
    lite.close().await;
}

#[tokio::test]
async fn read_only_profiles_are_refused_by_the_server() {
    let db = new_pg_db().await;
    let mut p = parse_url(&format!("postgres://dbc@127.0.0.1:{}/{db}", pg_port())).unwrap();
    p.read_only = true;
    let pool = connect_pool(&p, Some(&SecretString::from(env("DBC_TEST_PG_PASSWORD")))).await.unwrap();
    let mut s = Session::open(&pool).await.unwrap();
    let e = s.run("CREATE TABLE x (a int)", &mut Collect::default()).await.unwrap_err();
    assert_eq!(e.code.as_deref(), Some("25006"), "{e}");
    assert!(e.message.contains("read-only transaction"), "{e}");
    // Not even inside an explicit transaction the user opens.
    s.run("BEGIN", &mut Collect::default()).await.unwrap();
    let e = s.run("CREATE TABLE x (a int)", &mut Collect::default()).await.unwrap_err();
    assert_eq!(e.code.as_deref(), Some("25006"));
    s.run("ROLLBACK", &mut Collect::default()).await.unwrap();
    s.close().await;
    pool.close().await;

    let db = new_my_db().await;
    let rw = my_pool(&db).await;
    exec(&rw, "CREATE TABLE t (a int)").await;
    rw.close().await;
    let mut p = parse_url(&format!("mysql://dbc@127.0.0.1:{}/{db}", my_port())).unwrap();
    p.read_only = true;
    let pool = connect_pool(&p, Some(&SecretString::from(env("DBC_TEST_MY_PASSWORD")))).await.unwrap();
    let mut s = Session::open(&pool).await.unwrap();
    let e = s.run("INSERT INTO t VALUES (1)", &mut Collect::default()).await.unwrap_err();
    assert_eq!(e.code.as_deref(), Some("1792"), "{e}");
    s.close().await;
    pool.close().await;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ro.db");
    let rw = sqlite_pool(&path).await;
    exec(&rw, "CREATE TABLE t (a int)").await;
    rw.close().await;
    let mut p = parse_url(&format!("sqlite:{}", path.display())).unwrap();
    p.read_only = true;
    let pool = connect_pool(&p, None).await.unwrap();
    let mut s = Session::open(&pool).await.unwrap();
    let e = s.run("INSERT INTO t VALUES (1)", &mut Collect::default()).await.unwrap_err();
    assert!(e.message.contains("readonly"), "{e}");
    s.close().await;
    pool.close().await;
}

#[tokio::test]
async fn notices_warnings_transactions_caps_and_empty_results() {
    dbconsole::logging::init_notices_only();
    let pg = pg_pool("dbc").await;
    let mut s = Session::open(&pg).await.unwrap();
    let o = s
        .run("DO $$ BEGIN RAISE NOTICE 'hello %', 42; RAISE WARNING 'careful'; END $$", &mut Collect::default())
        .await
        .unwrap();
    let texts: Vec<String> = o.notices.iter().map(|n| format!("{}: {}", n.level, n.message)).collect();
    assert_eq!(texts, ["NOTICE: hello 42", "WARNING: careful"]);
    assert_eq!(s.transaction_state().await, TxnState::Idle);
    s.run("BEGIN", &mut Collect::default()).await.unwrap();
    assert_eq!(s.transaction_state().await, TxnState::Open);
    assert!(s.run("SELECT 1/0", &mut Collect::default()).await.is_err());
    assert_eq!(s.transaction_state().await, TxnState::Failed);
    s.run("ROLLBACK", &mut Collect::default()).await.unwrap();
    assert_eq!(s.transaction_state().await, TxnState::Idle);
    // The cap: reading pauses at 100 rows; declining more stops the statement on the server at once.
    let t = Instant::now();
    let mut c = Collect { cap: Some(100), ..Collect::default() };
    let o = s.run("SELECT g, repeat('x', 100) FROM generate_series(1, 20000000) g", &mut c).await.unwrap();
    assert!(o.stopped);
    assert_eq!(c.rows.len(), 100);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    // … and taking more reads on to the next pause.
    let mut c = Collect { cap: Some(1000), more: true, ..Collect::default() };
    let o = s.run("SELECT g FROM generate_series(1, 2500) g", &mut c).await.unwrap();
    assert!(!o.stopped);
    assert_eq!(c.rows.len(), 2500);
    // No rows, but the columns are known.
    let c = collect(&mut s, "SELECT 1 AS one, 'x'::text AS two WHERE false").await;
    assert_eq!(c.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["one", "two"]);
    assert_eq!(c.rows.len(), 0);
    // An error carries its SQLSTATE, message and position.
    let e = s.run("SELECT 1,\n  nope", &mut Collect::default()).await.unwrap_err();
    assert_eq!(e.code.as_deref(), Some("42703"));
    assert_eq!(e.position, Some(13));
    s.close().await;
    pg.close().await;

    let my = my_pool("dbc").await;
    let mut s = Session::open(&my).await.unwrap();
    let o = s.run("SELECT CAST('12abc' AS SIGNED)", &mut Collect::default()).await.unwrap();
    assert_eq!(o.notices.len(), 1, "{:?}", o.notices);
    assert_eq!(o.notices[0].code.as_deref(), Some("1292"));
    assert_eq!(o.notices[0].level, "Warning");
    s.run("START TRANSACTION", &mut Collect::default()).await.unwrap();
    assert_eq!(s.transaction_state().await, TxnState::Open);
    s.run("COMMIT", &mut Collect::default()).await.unwrap();
    assert_eq!(s.transaction_state().await, TxnState::Idle);
    let e = s.run("SELEC 1", &mut Collect::default()).await.unwrap_err();
    assert_eq!(e.code.as_deref(), Some("1064"));
    s.close().await;
    my.close().await;

    let dir = tempfile::tempdir().unwrap();
    let lite = sqlite_pool(&dir.path().join("n.db")).await;
    let mut s = Session::open(&lite).await.unwrap();
    s.run("CREATE TABLE t (a)", &mut Collect::default()).await.unwrap();
    s.run("BEGIN", &mut Collect::default()).await.unwrap();
    assert_eq!(s.transaction_state().await, TxnState::Open);
    let o = s.run("INSERT INTO t VALUES (1), (2)", &mut Collect::default()).await.unwrap();
    assert_eq!(o.affected, 2);
    s.run("ROLLBACK", &mut Collect::default()).await.unwrap();
    assert_eq!(s.transaction_state().await, TxnState::Idle);
    let c = collect(&mut s, "SELECT a AS only_col FROM t").await;
    assert_eq!(c.columns.len(), 1);
    assert_eq!(c.rows.len(), 0);
    s.close().await;
    lite.close().await;
}

async fn edits_on(pool: &DbPool, engine: dbconsole::core::profile::Engine, ddl: &str, other: &DbPool) {
    use dbconsole::core::query::edit::{Change, target};
    exec(pool, ddl).await;
    exec(pool, "INSERT INTO items (a, b, val, data) VALUES (1, 'x', 'one', NULL), (1, 'y', 'two', NULL), (2, 'x', 'three', NULL)").await;
    let cat = dbconsole::core::catalog::introspect(pool, "", None, |_| {}).await.unwrap();
    let mut s = Session::open(pool).await.unwrap();
    let sql = "SELECT a, b, val, data FROM items ORDER BY a, b";
    let g = collect(&mut s, sql).await;
    let t = target(sql, engine, &g.columns, Some(&cat)).unwrap_or_else(|e| panic!("{engine}: {e}"));
    assert_eq!(t.key, vec![0, 1]);
    // Not editable: a join, an expression, no key.
    let c2 = collect(&mut s, "SELECT a, upper(val) AS v FROM items").await;
    assert!(
        target("SELECT a, upper(val) AS v FROM items", engine, &c2.columns, Some(&cat))
            .unwrap_err()
            .contains("not a column")
    );
    assert!(
        target("SELECT i.a FROM items i JOIN items j ON i.a = j.a", engine, &c2.columns, Some(&cat))
            .unwrap_err()
            .contains("JOIN")
    );

    let key = |a: &str, b: &str| vec![Some(a.to_string()), Some(b.to_string())];
    let changes = [
        Change::Update { key: key("1", "x"), column: 2, value: Some("it's new".into()) },
        Change::Update { key: key("1", "y"), column: 3, value: Some("\\x00ff".into()) },
        Change::Delete { key: key("2", "x") },
        Change::Insert { values: vec![(0, Some("3".into())), (1, Some("z".into())), (2, None)] },
    ];
    let plans: Vec<_> = changes.iter().map(|c| t.plan(c)).collect();
    assert!(plans[0].shown.contains("'it''s new'"), "{}", plans[0].shown);
    assert_eq!(s.apply_edits(&plans).await.unwrap(), 4, "{engine}");
    let after = collect(&mut s, "SELECT a, b, val FROM items ORDER BY a, b").await;
    let rows: Vec<_> = (0..after.rows.len()).map(|r| after.rows.row(r)).collect();
    let o = |x: &str| Some(x.to_string());
    assert_eq!(
        rows,
        vec![vec![o("1"), o("x"), o("it's new")], vec![o("1"), o("y"), o("two")], vec![o("3"), o("z"), None]],
        "{engine}"
    );
    let bytes = collect(&mut s, "SELECT data FROM items WHERE b = 'y'").await;
    assert_eq!(bytes.rows.get(0, 0), Some("\\x00ff"), "{engine}: bytes round-trip");
    // Another session deletes a row; an edit of it fails and the batch's earlier edit is rolled back too.
    exec(other, "DELETE FROM items WHERE b = 'z'").await;
    let plans = vec![
        t.plan(&Change::Update { key: key("1", "x"), column: 2, value: Some("should not stay".into()) }),
        t.plan(&Change::Update { key: key("3", "z"), column: 2, value: Some("gone".into()) }),
    ];
    let (i, e) = s.apply_edits(&plans).await.unwrap_err();
    assert_eq!(i, 1);
    assert!(e.message.contains("0 rows matched"), "{e}");
    let v = collect(&mut s, "SELECT val FROM items WHERE a = 1 AND b = 'x'").await;
    assert_eq!(v.rows.get(0, 0), Some("it's new"), "{engine}: rolled back");
    assert_eq!(s.transaction_state().await, TxnState::Idle);
    // Inside the user's own transaction: a savepoint, and the transaction stays open (and can be rolled back).
    s.run("BEGIN", &mut Collect::default()).await.unwrap();
    s.apply_edits(&[t.plan(&Change::Delete { key: key("1", "y") })]).await.unwrap();
    assert_eq!(s.transaction_state().await, TxnState::Open, "{engine}");
    s.run("ROLLBACK", &mut Collect::default()).await.unwrap();
    let n = collect(&mut s, "SELECT count(*) FROM items").await;
    assert_eq!(n.rows.get(0, 0), Some("2"), "{engine}");
    s.close().await;
}

#[tokio::test]
async fn grid_edits_apply_in_one_transaction_on_each_engine() {
    let db = new_pg_db().await;
    let pg = pg_pool(&db).await;
    let pg2 = pg_pool(&db).await;
    edits_on(
        &pg,
        dbconsole::core::profile::Engine::Postgres,
        "CREATE TABLE items (a int, b text, val text, data bytea, PRIMARY KEY (a, b))",
        &pg2,
    )
    .await;
    let db = new_my_db().await;
    let my = my_pool(&db).await;
    let my2 = my_pool(&db).await;
    edits_on(
        &my,
        dbconsole::core::profile::Engine::Mysql,
        "CREATE TABLE items (a int, b varchar(10), val text, data varbinary(10), PRIMARY KEY (a, b))",
        &my2,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let lite = sqlite_pool(&dir.path().join("e.db")).await;
    edits_on(
        &lite,
        dbconsole::core::profile::Engine::Sqlite,
        "CREATE TABLE items (a INTEGER, b TEXT, val TEXT, data BLOB, PRIMARY KEY (a, b))",
        &lite,
    )
    .await;
}
