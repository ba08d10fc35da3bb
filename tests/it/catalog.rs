//! The catalog model read from real engines, field by field, with awkward identifiers; and the DDL round trip:
//! introspect → DDL → apply to an empty database → introspect → compare.
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

use dbconsole::core::catalog::{self, Catalog, FkAction, Identity, TableKind, TypeFamily, compare, ddl};
use dbconsole::core::engine::{DbPool, connect_pool};
use dbconsole::core::profile::url::parse_url;
use secrecy::SecretString;

use crate::common::*;

static N: AtomicU32 = AtomicU32::new(0);

fn unique(prefix: &str) -> String {
    format!("{prefix}_{}_{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst))
}

pub async fn pg_pool(db: &str) -> DbPool {
    let p = parse_url(&format!("postgres://dbc@127.0.0.1:{}/{db}", pg_port())).unwrap();
    connect_pool(&p, Some(&SecretString::from(env("DBC_TEST_PG_PASSWORD")))).await.unwrap()
}

pub async fn my_pool(db: &str) -> DbPool {
    let p = parse_url(&format!("mysql://dbc@127.0.0.1:{}/{db}", my_port())).unwrap();
    connect_pool(&p, Some(&SecretString::from(env("DBC_TEST_MY_PASSWORD")))).await.unwrap()
}

pub async fn exec(pool: &DbPool, sql: &str) {
    let r = match pool {
        DbPool::Postgres(p) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(p).await.map(|_| ()),
        DbPool::Mysql(p) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(p).await.map(|_| ()),
        DbPool::Sqlite(p) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(p).await.map(|_| ()),
        DbPool::Duckdb(_) => panic!("DuckDB files are written with the duckdb shell in tests"),
    };
    r.unwrap_or_else(|e| panic!("{e}\n--- SQL ---\n{sql}"));
}

/// A new, empty PostgreSQL database.
pub async fn new_pg_db() -> String {
    let name = unique("dbc_cat");
    let admin = pg_pool("dbc").await;
    exec(&admin, &format!("CREATE DATABASE {name}")).await;
    admin.close().await;
    name
}

pub async fn new_my_db() -> String {
    let name = unique("dbc_cat");
    let admin = my_pool("dbc").await;
    exec(&admin, &format!("CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")).await;
    admin.close().await;
    name
}

const PG_FIXTURE: &str = r#"
CREATE SCHEMA "Mixed Case";
CREATE TYPE "Mixed Case".mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE "Mixed Case"."Order" (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "select" text NOT NULL DEFAULT 'it''s',
  "naïve column" varchar(20) COLLATE "C",
  "we""ird" numeric(10,2) CHECK ("we""ird" >= 0),
  m "Mixed Case".mood,
  total numeric GENERATED ALWAYS AS ("we""ird" * 2) STORED,
  created timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT "uniq select" UNIQUE ("select", "naïve column")
);
COMMENT ON TABLE "Mixed Case"."Order" IS 'orders, with a quote: ''';
COMMENT ON COLUMN "Mixed Case"."Order"."select" IS 'a reserved word';
CREATE TABLE public.line (
  id serial PRIMARY KEY,
  order_id bigint NOT NULL REFERENCES "Mixed Case"."Order"(id) ON DELETE CASCADE ON UPDATE RESTRICT,
  sku text,
  qty int DEFAULT 1 CONSTRAINT qty_positive CHECK (qty > 0),
  tags text[],
  doc jsonb,
  uid uuid
);
CREATE UNIQUE INDEX line_lower_sku ON public.line (lower(sku) DESC) WHERE sku IS NOT NULL;
CREATE INDEX line_doc ON public.line USING gin (doc);
CREATE VIEW public.order_summary AS
  SELECT o.id, count(l.id) AS lines FROM "Mixed Case"."Order" o LEFT JOIN public.line l ON l.order_id = o.id GROUP BY o.id;
CREATE MATERIALIZED VIEW public.big_lines AS SELECT id, qty FROM public.line WHERE qty > 10;
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.qty := coalesce(NEW.qty, 1); RETURN NEW; END $$;
CREATE TRIGGER line_touch BEFORE INSERT OR UPDATE ON public.line FOR EACH ROW EXECUTE FUNCTION public.touch();
CREATE SEQUENCE public.standalone_seq START 100 INCREMENT 5;
"#;

#[tokio::test]
async fn postgres_catalog_field_by_field_and_ddl_round_trip() {
    let db = new_pg_db().await;
    let pool = pg_pool(&db).await;
    exec(&pool, PG_FIXTURE).await;
    let mut stages = Vec::new();
    let cat = catalog::introspect(&pool, &db, None, |s| stages.push(s.to_string())).await.unwrap();
    assert!(stages.len() >= 6 && stages.last().unwrap() == "done", "{stages:?}");
    assert_eq!(cat.database, db);
    assert!(cat.extensions.iter().any(|e| e.name == "plpgsql"));
    let names: Vec<_> = cat.schemas.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Mixed Case", "public"]);
    let mc = cat.schema("Mixed Case").unwrap();
    assert_eq!(mc.enums[0].name, "mood");
    assert_eq!(mc.enums[0].labels, ["sad", "ok", "happy"]);
    let (_, order) = cat.find_table("Mixed Case.Order").unwrap();
    assert_eq!(order.kind, TableKind::Table);
    assert_eq!(order.comment.as_deref(), Some("orders, with a quote: '"));
    let cols: Vec<_> = order.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(cols, ["id", "select", "naïve column", "we\"ird", "m", "total", "created"]);
    let id = order.column("id").unwrap();
    assert_eq!((id.data_type.as_str(), id.identity, id.nullable), ("bigint", Some(Identity::Always), false));
    let sel = order.column("select").unwrap();
    assert_eq!(sel.default.as_deref(), Some("'it''s'::text"));
    assert_eq!(sel.comment.as_deref(), Some("a reserved word"));
    assert!(!sel.nullable);
    let naive = order.column("naïve column").unwrap();
    assert_eq!((naive.data_type.as_str(), naive.collation.as_deref()), ("character varying(20)", Some("C")));
    assert_eq!(naive.type_family, TypeFamily::Text);
    assert_eq!(order.column("m").unwrap().type_family, TypeFamily::Enum);
    assert_eq!(order.column("we\"ird").unwrap().type_family, TypeFamily::Decimal);
    assert!(order.column("total").unwrap().generated.as_deref().unwrap().contains("we\"\"ird"));
    assert_eq!(order.column("created").unwrap().type_family, TypeFamily::TimestampTz);
    assert_eq!(order.primary_key.as_ref().unwrap().columns, ["id"]);
    assert_eq!(order.unique_constraints[0].name.as_deref(), Some("uniq select"));
    assert_eq!(order.unique_constraints[0].columns, ["select", "naïve column"]);
    assert_eq!(order.checks.len(), 1);
    assert!(order.checks[0].expression.contains("\"we\"\"ird\" >= "), "{:?}", order.checks);
    assert!(order.size_bytes.unwrap() > 0);

    let (_, line) = cat.find_table("line").unwrap();
    assert_eq!(line.column("id").unwrap().identity, Some(Identity::AutoIncrement), "serial");
    assert_eq!(line.column("tags").unwrap().type_family, TypeFamily::Array);
    assert_eq!(line.column("doc").unwrap().type_family, TypeFamily::Json);
    assert_eq!(line.column("uid").unwrap().type_family, TypeFamily::Uuid);
    let fk = &line.foreign_keys[0];
    assert_eq!((fk.referenced_schema.as_str(), fk.referenced_table.as_str()), ("Mixed Case", "Order"));
    assert_eq!(
        (fk.columns.clone(), fk.referenced_columns.clone()),
        (vec!["order_id".to_string()], vec!["id".to_string()])
    );
    assert_eq!((fk.on_delete, fk.on_update), (FkAction::Cascade, FkAction::Restrict));
    assert_eq!(line.checks[0].name.as_deref(), Some("qty_positive"));
    let lower = line.indexes.iter().find(|i| i.name == "line_lower_sku").unwrap();
    assert!(lower.unique && !lower.constraint);
    assert_eq!(lower.parts[0].column, None);
    assert_eq!(lower.parts[0].expression.as_deref(), Some("lower(sku)"));
    assert!(lower.parts[0].descending);
    assert_eq!(lower.predicate.as_deref(), Some("sku IS NOT NULL"));
    assert_eq!(line.indexes.iter().find(|i| i.name == "line_doc").unwrap().method.as_deref(), Some("gin"));
    assert!(line.indexes.iter().find(|i| i.name == "line_pkey").unwrap().constraint);
    assert_eq!(line.triggers[0].name, "line_touch");
    assert_eq!(
        (line.triggers[0].timing.as_str(), line.triggers[0].events.clone()),
        ("BEFORE", vec!["INSERT".to_string(), "UPDATE".to_string()])
    );
    let referenced = cat.referenced_by("Mixed Case", "Order");
    assert_eq!(referenced.len(), 1);
    assert_eq!(referenced[0].1, "line");

    let (_, view) = cat.find_table("order_summary").unwrap();
    assert_eq!(view.kind, TableKind::View);
    assert!(view.definition.as_deref().unwrap().contains("count(l.id)"));
    assert_eq!(view.columns.len(), 2);
    assert_eq!(cat.find_table("big_lines").unwrap().1.kind, TableKind::MaterializedView);
    let public = cat.schema("public").unwrap();
    let seq = public.sequences.iter().find(|s| s.name == "standalone_seq").unwrap();
    assert_eq!((seq.start, seq.increment, seq.owned_by.as_deref()), (100, 5, None));
    assert_eq!(public.sequences.iter().find(|s| s.name == "line_id_seq").unwrap().owned_by.as_deref(), Some("line.id"));
    assert!(public.functions.iter().any(|f| f.name == "touch" && f.language == "plpgsql"));

    // DDL round trip.
    let script = ddl::catalog_ddl(&cat);
    let db2 = new_pg_db().await;
    let pool2 = pg_pool(&db2).await;
    exec(&pool2, &script).await;
    let again = catalog::introspect(&pool2, &db2, None, |_| {}).await.unwrap();
    let diff = compare::differences(&cat, &again, &BTreeMap::new());
    assert!(diff.is_empty(), "differences after the round trip:\n{}\n--- DDL ---\n{script}", diff.join("\n"));
    // And the comparison does notice a change.
    exec(&pool2, "ALTER TABLE public.line ALTER COLUMN sku SET NOT NULL; DROP INDEX public.line_doc;").await;
    let changed = catalog::introspect(&pool2, &db2, None, |_| {}).await.unwrap();
    let diff = compare::differences(&cat, &changed, &BTreeMap::new());
    assert!(diff.iter().any(|d| d.contains("public.line: column: sku")), "{diff:?}");
    assert!(diff.iter().any(|d| d.contains("indexes")), "{diff:?}");
    pool.close().await;
    pool2.close().await;
}

const MY_FIXTURE: &str = r#"
CREATE TABLE `Order Items` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `select` varchar(50) NOT NULL DEFAULT 'it''s',
  `naïve` varchar(20) COLLATE utf8mb4_bin DEFAULT NULL,
  `we``ird` decimal(10,2) DEFAULT NULL CHECK (`we``ird` >= 0),
  `flag` tinyint(1) NOT NULL DEFAULT 0,
  `status` enum('new','paid') NOT NULL DEFAULT 'new',
  `doubled` decimal(11,2) GENERATED ALWAYS AS (`we``ird` * 2) VIRTUAL,
  `created` datetime NOT NULL DEFAULT current_timestamp(),
  PRIMARY KEY (`id`),
  UNIQUE KEY `uniq select` (`select`, `naïve`),
  KEY `prefix_idx` (`select`(10)),
  CONSTRAINT `flag_bool` CHECK (`flag` in (0,1))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='items, it''s';
CREATE TABLE `child` (
  `id` int NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `item_id` bigint unsigned NOT NULL,
  KEY `item_idx` (`item_id`),
  CONSTRAINT `child_item` FOREIGN KEY (`item_id`) REFERENCES `Order Items` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB;
CREATE TABLE `log` (`x` int) ENGINE=MyISAM;
CREATE VIEW `item_view` AS SELECT `id`, `select` FROM `Order Items`;
CREATE TRIGGER `child_bi` BEFORE INSERT ON `child` FOR EACH ROW SET NEW.item_id = NEW.item_id;
"#;

#[tokio::test]
async fn mariadb_catalog_field_by_field_and_ddl_round_trip() {
    let db = new_my_db().await;
    let pool = my_pool(&db).await;
    exec(&pool, MY_FIXTURE).await;
    let cat = catalog::introspect(&pool, &db, Some(&db), |_| {}).await.unwrap();
    assert_eq!(cat.schemas.len(), 1, "only the profile's database");
    assert_eq!(cat.schemas[0].name, db);
    let (_, t) = cat.find_table("Order Items").unwrap();
    assert_eq!(t.storage_engine.as_deref(), Some("InnoDB"));
    assert_eq!(t.collation.as_deref(), Some("utf8mb4_general_ci"));
    assert_eq!(t.comment.as_deref(), Some("items, it's"));
    let id = t.column("id").unwrap();
    assert_eq!(id.identity, Some(Identity::AutoIncrement));
    assert!(id.data_type.contains("unsigned"), "{}", id.data_type);
    assert_eq!(t.column("select").unwrap().default.as_deref(), Some("'it''s'"));
    assert_eq!(t.column("naïve").unwrap().collation.as_deref(), Some("utf8mb4_bin"));
    assert_eq!(t.column("naïve").unwrap().default, None);
    assert_eq!(t.column("flag").unwrap().type_family, TypeFamily::Boolean);
    assert_eq!(t.column("status").unwrap().type_family, TypeFamily::Enum);
    assert!(t.column("doubled").unwrap().generated.as_deref().unwrap().contains("we``ird"));
    assert_eq!(t.column("created").unwrap().default.as_deref(), Some("current_timestamp()"));
    assert_eq!(t.primary_key.as_ref().unwrap().columns, ["id"]);
    assert_eq!(t.unique_constraints[0].name.as_deref(), Some("uniq select"));
    assert_eq!(t.unique_constraints[0].columns, ["select", "naïve"]);
    let prefix = t.indexes.iter().find(|i| i.name == "prefix_idx").unwrap();
    assert_eq!(prefix.parts[0].prefix_length, Some(10));
    assert!(!prefix.constraint);
    let names: Vec<_> = t.checks.iter().map(|c| c.name.as_deref().unwrap()).collect();
    assert!(names.contains(&"flag_bool") && names.contains(&"we`ird"), "{names:?}");
    let (_, child) = cat.find_table("child").unwrap();
    let fk = &child.foreign_keys[0];
    assert_eq!(
        (fk.name.as_deref(), fk.referenced_table.as_str(), fk.on_delete),
        (Some("child_item"), "Order Items", FkAction::Cascade)
    );
    assert_eq!(child.triggers[0].name, "child_bi");
    assert_eq!(cat.find_table("log").unwrap().1.storage_engine.as_deref(), Some("MyISAM"));
    let (_, v) = cat.find_table("item_view").unwrap();
    assert_eq!(v.kind, TableKind::View);
    assert!(v.definition.as_deref().unwrap().contains("Order Items"));

    let script = ddl::catalog_ddl(&cat);
    let db2 = new_my_db().await;
    let pool2 = my_pool(&db2).await;
    exec(&pool2, &script).await;
    let again = catalog::introspect(&pool2, &db2, Some(&db2), |_| {}).await.unwrap();
    let rename = BTreeMap::from([(db.clone(), db2.clone())]);
    let diff = compare::differences(&cat, &again, &rename);
    assert!(diff.is_empty(), "differences after the round trip:\n{}\n--- DDL ---\n{script}", diff.join("\n"));
    pool.close().await;
    pool2.close().await;
}

const SQLITE_FIXTURE: &str = r#"
CREATE TABLE "Mixed Case" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT,
  "select" TEXT NOT NULL DEFAULT 'it''s' COLLATE NOCASE,
  "naïve col" VARCHAR(20) UNIQUE,
  "we""ird" NUMERIC CHECK ("we""ird" >= 0),
  untyped,
  total REAL GENERATED ALWAYS AS ("we""ird" * 2) VIRTUAL,
  CONSTRAINT "two words" CHECK (length("select") < 100)
);
CREATE TABLE child (
  a INTEGER NOT NULL,
  b TEXT NOT NULL,
  parent INTEGER REFERENCES "Mixed Case"(id) ON DELETE SET NULL,
  PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE TABLE strict_t (x INTEGER, y TEXT) STRICT;
CREATE INDEX child_expr ON child (lower(b) DESC, a) WHERE parent IS NOT NULL;
CREATE VIEW "a view" AS SELECT id, "select" FROM "Mixed Case";
CREATE TRIGGER child_ai AFTER INSERT ON child BEGIN UPDATE strict_t SET x = x + 1; END;
"#;

pub async fn sqlite_pool(path: &std::path::Path) -> DbPool {
    std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    let p = parse_url(&format!("sqlite:{}", path.display())).unwrap();
    connect_pool(&p, None).await.unwrap()
}

#[tokio::test]
async fn sqlite_catalog_field_by_field_and_ddl_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fixture.db");
    let pool = sqlite_pool(&path).await;
    exec(&pool, SQLITE_FIXTURE).await;
    let cat = catalog::introspect(&pool, "fixture.db", None, |_| {}).await.unwrap();
    assert_eq!(cat.foreign_keys_enforced, Some(true));
    let (_, t) = cat.find_table("Mixed Case").unwrap();
    assert_eq!(t.column("id").unwrap().identity, Some(Identity::AutoIncrement));
    let sel = t.column("select").unwrap();
    assert_eq!(
        (sel.default.as_deref(), sel.collation.as_deref(), sel.nullable),
        (Some("'it''s'"), Some("NOCASE"), false)
    );
    assert_eq!(t.column("naïve col").unwrap().type_family, TypeFamily::Text);
    assert_eq!(t.column("untyped").unwrap().data_type, "");
    assert_eq!(t.column("untyped").unwrap().type_family, TypeFamily::Binary);
    assert_eq!(t.column("total").unwrap().generated.as_deref(), Some("\"we\"\"ird\" * 2"));
    assert_eq!(t.unique_constraints.len(), 1);
    assert_eq!(t.unique_constraints[0].columns, ["naïve col"]);
    assert_eq!(t.checks.len(), 2);
    assert_eq!(t.checks[1].name.as_deref(), Some("two words"));
    let (_, child) = cat.find_table("child").unwrap();
    assert!(child.without_rowid);
    assert_eq!(child.primary_key.as_ref().unwrap().columns, ["a", "b"]);
    assert_eq!(child.foreign_keys[0].referenced_table, "Mixed Case");
    assert_eq!(child.foreign_keys[0].referenced_columns, ["id"]);
    assert_eq!(child.foreign_keys[0].on_delete, FkAction::SetNull);
    let ix = child.indexes.iter().find(|i| i.name == "child_expr").unwrap();
    assert_eq!(ix.parts[0].expression.as_deref(), Some("lower(b)"));
    assert!(ix.parts[0].descending);
    assert_eq!(ix.parts[1].column.as_deref(), Some("a"));
    assert_eq!(ix.predicate.as_deref(), Some("parent IS NOT NULL"));
    assert_eq!(child.triggers[0].name, "child_ai");
    assert_eq!(child.triggers[0].timing, "AFTER");
    assert!(cat.find_table("strict_t").unwrap().1.strict);
    assert_eq!(cat.find_table("a view").unwrap().1.kind, TableKind::View);

    let script = ddl::catalog_ddl(&cat);
    let path2 = dir.path().join("again.db");
    let pool2 = sqlite_pool(&path2).await;
    exec(&pool2, &script).await;
    let again = catalog::introspect(&pool2, "again.db", None, |_| {}).await.unwrap();
    let diff = compare::differences(&cat, &again, &BTreeMap::new());
    assert!(diff.is_empty(), "differences after the round trip:\n{}\n--- DDL ---\n{script}", diff.join("\n"));
}

#[tokio::test]
async fn catalog_sees_only_what_the_user_may_see() {
    // MariaDB: an account with no privileges on a database does not see its tables, and the catalog says so.
    let db = new_my_db().await;
    let pool = my_pool(&db).await;
    exec(&pool, "CREATE TABLE secret_t (x int)").await;
    pool.close().await;
    let p = parse_url(&format!("mysql://dbc_limited@127.0.0.1:{}", my_port())).unwrap();
    let limited = connect_pool(&p, Some(&SecretString::from(env("DBC_TEST_MY_LIMITED_PASSWORD")))).await.unwrap();
    let cat: Catalog = catalog::introspect(&limited, "", None, |_| {}).await.unwrap();
    assert!(cat.find_table("secret_t").is_none());
    assert!(cat.schemas.is_empty());
    assert!(!cat.warnings.is_empty(), "the catalog says it saw nothing");
}

/// Tables whose CREATE text stresses the SQLite text reader: every column and table constraint form, odd type
/// names, comments, constraints without commas, ALTER TABLE ADD COLUMN text, CREATE TABLE AS, a broken view.
const SQLITE_TRICKY: &str = r#"
CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT UNIQUE, x INT, y INT, UNIQUE (x, y));
CREATE TABLE "t[1]" (
  a numeric( 12 , 2 ) NOT NULL ON CONFLICT FAIL,   -- a comment, with (parens and 'quotes'
  b UNSIGNED   BIG INT DEFAULT (datetime( 'now' )),
  c "text" DEFAULT -1 /* block, comment */,
  d INT GENERATED ALWAYS AS (a+1) STORED,
  e DEFAULT +5 COLLATE nocase,
  [f g] [my type] default 'a''b',
  `h``i` text default CURRENT_TIMESTAMP,
  j blob default x'00ff',
  k,
  l VARCHAR(10) CONSTRAINT l_ref REFERENCES parent (code) ON UPDATE CASCADE ON DELETE SET DEFAULT DEFERRABLE INITIALLY DEFERRED,
  m TEXT NULL CHECK (m <> '') CONSTRAINT m_len CHECK (length(m) < 9),
  "ñame" DATETIME DEFAULT NULL,
  n GENERATED ALWAYS AS (k || 'x'),
  o REAL AS (a * 2) VIRTUAL,
  p INT REFERENCES parent MATCH FULL,
  CONSTRAINT pk_t PRIMARY KEY (a DESC, "f g" COLLATE binary) ON CONFLICT ROLLBACK
  CHECK (a > 0) CONSTRAINT two FOREIGN KEY (k, p) REFERENCES parent (x, y) NOT DEFERRABLE,
  FOREIGN KEY (k) REFERENCES "t[1]"
);
CREATE TABLE desc_pk (id INTEGER PRIMARY KEY DESC, v TEXT);
CREATE TABLE auto_t (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, v TEXT UNIQUE ON CONFLICT IGNORE);
CREATE TABLE wr (a TEXT, b INT, c ANY, PRIMARY KEY (b, a)) STRICT, WITHOUT ROWID;
CREATE TABLE "Quoted ""Name""" ('single' int, "x" "double precision", y character varying(20));
CREATE TABLE copy AS SELECT id, code, x * 2 AS twice FROM parent;
CREATE TABLE grows (a INT);
ALTER TABLE grows ADD COLUMN b TEXT DEFAULT 'new' NOT NULL;
ALTER TABLE grows ADD COLUMN c REFERENCES parent(id);
CREATE INDEX t1_expr ON "t[1]" (lower(c) DESC, k) WHERE k IS NOT NULL;
CREATE UNIQUE INDEX wr_c ON wr (c);
CREATE TABLE doomed (z INT);
CREATE VIEW broken AS SELECT z FROM doomed;
CREATE VIEW fine AS SELECT id, code FROM parent;
DROP TABLE doomed;
"#;

#[tokio::test]
async fn sqlite_text_reading_matches_the_pragmas() {
    use catalog::sqlite::Reading;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tricky.db");
    let pool = sqlite_pool(&path).await;
    exec(&pool, SQLITE_FIXTURE).await;
    // Foreign keys off while building (a key to a column added later), on again for the reads.
    exec(&pool, &format!("PRAGMA foreign_keys = OFF; {SQLITE_TRICKY} PRAGMA foreign_keys = ON;")).await;
    let DbPool::Sqlite(p) = &pool else { unreachable!() };
    let by_text = catalog::introspect_sqlite(p, "tricky.db", Reading::Text).await.unwrap();
    let by_pragma = catalog::introspect_sqlite(p, "tricky.db", Reading::Pragmas).await.unwrap();
    // The text reading also finds foreign-key constraint names, which the pragmas do not report.
    let t1 = by_text.find_table("t[1]").unwrap().1;
    let names: Vec<Option<&str>> = t1.foreign_keys.iter().map(|f| f.name.as_deref()).collect();
    assert_eq!(names, [Some("l_ref"), None, Some("two"), None]);
    let mut unnamed = by_text.clone();
    for t in unnamed.schemas.iter_mut().flat_map(|s| s.tables.iter_mut()) {
        for f in t.foreign_keys.iter_mut() {
            f.name = None;
        }
    }
    for (a, b) in unnamed.schemas[0].tables.iter().zip(&by_pragma.schemas[0].tables) {
        assert_eq!(a, b, "table {} read from its text differs from the pragmas", a.name);
    }
    assert_eq!(unnamed.schemas[0].tables.len(), by_pragma.schemas[0].tables.len());
    assert_eq!(unnamed.warnings, by_pragma.warnings);
    assert_eq!(unnamed, by_pragma);
    // Spot checks that the comparison is about something.
    assert_eq!(t1.column("a").unwrap().data_type, "numeric( 12 , 2 )");
    assert_eq!(t1.column("f g").unwrap().default.as_deref(), Some("'a''b'"));
    assert_eq!(t1.primary_key.as_ref().unwrap().name.as_deref(), Some("pk_t"));
    assert_eq!(t1.foreign_keys[0].on_delete, FkAction::SetDefault);
    assert_eq!(t1.foreign_keys[3].referenced_columns, ["a", "f g"]);
    let (_, grows) = by_text.find_table("grows").unwrap();
    assert_eq!(grows.columns.len(), 3);
    assert!(!grows.column("b").unwrap().nullable);
    assert_eq!(by_text.find_table("desc_pk").unwrap().1.indexes.len(), 1, "INTEGER PRIMARY KEY DESC is not the rowid");
    assert_eq!(by_text.find_table("parent").unwrap().1.unique_constraints.len(), 2);
    // The broken view is listed, with a warning instead of a failed catalog.
    assert!(by_text.find_table("broken").is_some());
    assert!(by_text.warnings.iter().any(|w| w.contains("broken")), "{:?}", by_text.warnings);
    assert!(by_text.find_table("fine").unwrap().1.columns.len() == 2);
}

#[tokio::test]
async fn mysql_foreign_keys_from_the_innodb_dictionary_match_information_schema() {
    use catalog::mysql::{FkSource, foreign_keys};
    let db = new_my_db().await;
    let other = new_my_db().await;
    let pool = my_pool(&db).await;
    exec(
        &pool,
        &format!(
            "CREATE TABLE {other}.remote (id INT PRIMARY KEY);
             CREATE TABLE p (a INT, b INT, PRIMARY KEY (a, b), UNIQUE KEY (b));
             CREATE TABLE c (
               id INT PRIMARY KEY, pa INT, pb INT, r INT, s INT, t INT,
               CONSTRAINT c_multi FOREIGN KEY (pa, pb) REFERENCES p (a, b) ON DELETE CASCADE ON UPDATE SET NULL,
               CONSTRAINT c_remote FOREIGN KEY (r) REFERENCES {other}.remote (id) ON DELETE NO ACTION ON UPDATE CASCADE,
               CONSTRAINT c_default FOREIGN KEY (s) REFERENCES p (b),
               CONSTRAINT c_setnull FOREIGN KEY (t) REFERENCES c (id) ON DELETE SET NULL ON UPDATE RESTRICT
             ) ENGINE=InnoDB;"
        ),
    )
    .await;
    let DbPool::Mysql(p) = &pool else { unreachable!() };
    let fast = foreign_keys(p, Some(&db), FkSource::Dictionary { mariadb: true }).await.unwrap();
    let slow = foreign_keys(p, Some(&db), FkSource::InformationSchema).await.unwrap();
    assert_eq!(fast.len(), 4, "{fast:#?}");
    assert_eq!(fast, slow);
    let by = |n: &str| &fast.iter().find(|f| f.key.name.as_deref() == Some(n)).unwrap().key;
    assert_eq!((by("c_multi").on_delete, by("c_multi").on_update), (FkAction::Cascade, FkAction::SetNull));
    assert_eq!(by("c_multi").referenced_columns, ["a", "b"]);
    assert_eq!(
        (by("c_remote").referenced_schema.as_str(), by("c_remote").on_update),
        (other.as_str(), FkAction::Cascade)
    );
    assert_eq!(by("c_default").on_delete, FkAction::Restrict);
    assert_eq!(by("c_setnull").on_delete, FkAction::SetNull);
    // A constraint whose name the dictionary stores encoded: the dictionary reading gives way, the answer is
    // the same.
    exec(&pool, "CREATE TABLE `odd tbl` (id INT PRIMARY KEY, x INT, CONSTRAINT `fk ñ` FOREIGN KEY (x) REFERENCES `odd tbl` (id))").await;
    let fast = foreign_keys(p, Some(&db), FkSource::Dictionary { mariadb: true }).await.unwrap();
    let slow = foreign_keys(p, Some(&db), FkSource::InformationSchema).await.unwrap();
    assert_eq!(fast, slow);
    assert!(fast.iter().any(|f| f.key.name.as_deref() == Some("fk ñ") && f.table == "odd tbl"));
    pool.close().await;
}
