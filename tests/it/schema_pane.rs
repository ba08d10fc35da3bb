//! The schema pane: snapshots on TestBackend, pure update tests, and a tmux run of the real binary.
use std::time::Duration;

use crossterm::event::KeyCode;
use dbconsole::core::catalog::{self, Catalog};
use dbconsole::core::profile::{Profile, ProfileSet};
use dbconsole::tui::action::{Action, SchemaMsg};
use dbconsole::tui::app::App;
use dbconsole::tui::effect::Effect;
use dbconsole::tui::panes::schema::{Count, Load};
use dbconsole::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::catalog::{exec, sqlite_pool};
use crate::common::{key, screen};

const FIXTURE: &str = r#"
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "e-mail" TEXT UNIQUE);
CREATE TABLE "Order Items" (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  "select" TEXT DEFAULT 'x' COLLATE NOCASE,
  qty INTEGER CHECK (qty > 0)
);
CREATE INDEX items_customer ON "Order Items"(customer_id);
CREATE VIEW big_orders AS SELECT * FROM "Order Items" WHERE qty > 10;
"#;

async fn fixture_catalog() -> Catalog {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.db");
    let pool = sqlite_pool(&path).await;
    exec(&pool, FIXTURE).await;
    let c = catalog::introspect(&pool, "shop.db", None, |_| {}).await.unwrap();
    pool.close().await;
    c
}

fn app_with(c: Catalog) -> App {
    let set = ProfileSet { profiles: vec![Profile::sqlite("shop", "/data/shop.db".into())], ..Default::default() };
    let mut app = App::new(Theme::default(), set, None);
    app.schema.set_catalog("shop", c, Duration::from_millis(12));
    app.pane = dbconsole::tui::app::PaneId::Schema;
    app
}

fn text(t: &Terminal<TestBackend>) -> String {
    let b = t.backend().buffer();
    let mut s = String::new();
    for y in 0..b.area.height {
        for x in 0..b.area.width {
            s.push_str(b[(x, y)].symbol());
        }
        s.push('\n');
    }
    s
}

#[tokio::test]
async fn tree_details_and_ddl_snapshots() {
    let mut app = app_with(fixture_catalog().await);
    insta::assert_snapshot!("schema_tree_80x24", screen(&app, 80, 24).backend());
    // Down to "Order Items", expand, show keys and indexes.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Char('i'));
    insta::assert_snapshot!("schema_expanded_indexes_100x30", screen(&app, 100, 30).backend());
    key(&mut app, KeyCode::Char('f'));
    let s = text(&screen(&app, 100, 30));
    assert!(s.contains("(customer_id) → main.customers(id) on delete cascade"), "{s}");
    key(&mut app, KeyCode::Char('d'));
    let s = text(&screen(&app, 100, 30));
    assert!(s.contains("CREATE TABLE \"Order Items\""), "identifiers quoted in DDL: {s}");
    assert!(s.contains("\"select\" TEXT DEFAULT 'x' COLLATE NOCASE"), "{s}");
}

#[tokio::test]
async fn filter_narrows_and_keys_type_into_it() {
    let mut app = app_with(fixture_catalog().await);
    key(&mut app, KeyCode::Char('/'));
    for c in "oi".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    let names: Vec<String> = app
        .schema
        .rows
        .iter()
        .filter_map(|r| match r {
            dbconsole::tui::panes::schema::Row::Table(s, t) => {
                Some(app.schema.catalog.as_ref().unwrap().schemas[*s].tables[*t].name.clone())
            }
            _ => None,
        })
        .collect();
    assert_eq!(names, ["Order Items"], "fuzzy: o…i");
    // Digits and q are typed into the filter, not taken as pane switches or quit.
    assert!(key(&mut app, KeyCode::Char('q')).is_empty());
    key(&mut app, KeyCode::Char('2'));
    assert_eq!(app.schema.filter, "oiq2");
    assert_eq!(app.pane, dbconsole::tui::app::PaneId::Schema);
    assert!(app.schema.rows.is_empty());
    let s = text(&screen(&app, 80, 24));
    assert!(s.contains("nothing matches `oiq2`"), "{s}");
    key(&mut app, KeyCode::Esc);
    assert!(app.schema.filter.is_empty());
    assert_eq!(app.schema.rows.len(), 4, "schema + 3 objects");
}

#[tokio::test]
async fn count_cancel_query_and_stale_loads() {
    let mut app = app_with(fixture_catalog().await);
    key(&mut app, KeyCode::Down);
    let effects = key(&mut app, KeyCode::Char('n'));
    let [Effect::CountRows { job, schema, table, .. }] = &effects[..] else { panic!("{effects:?}") };
    assert_eq!((schema.as_str(), table.as_str()), ("main", "customers"));
    let job = *job;
    let effects = key(&mut app, KeyCode::Esc);
    assert!(matches!(effects[..], [Effect::Cancel { job: j }] if j == job), "{effects:?}");
    // A count that arrives after its cancel is dropped.
    app.update(Action::Schema(SchemaMsg::RowCount {
        job,
        schema: "main".into(),
        table: "customers".into(),
        result: Ok((5, 1.0)),
    }));
    assert!(!app.schema.counts.contains_key(&("main".to_string(), "customers".to_string())));
    // A finished count is shown.
    let effects = key(&mut app, KeyCode::Char('n'));
    let [Effect::CountRows { job, .. }] = &effects[..] else { panic!() };
    app.update(Action::Schema(SchemaMsg::RowCount {
        job: *job,
        schema: "main".into(),
        table: "customers".into(),
        result: Ok((1234567, 3.0)),
    }));
    assert_eq!(
        app.schema.counts[&("main".to_string(), "customers".to_string())],
        Count::Done { rows: 1234567, ms: 3.0 }
    );
    assert!(text(&screen(&app, 100, 24)).contains("1,234,567 rows exactly"));
    // `s` prepares a SELECT for the query pane.
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.pane, dbconsole::tui::app::PaneId::Query);
    assert_eq!(app.query.buffer().text(), "SELECT \"id\", \"name\", \"e-mail\"\nFROM \"customers\"\nLIMIT 100;");
    // A catalog load that was superseded is dropped; a failed one says so and offers a retry.
    app.pane = dbconsole::tui::app::PaneId::Schema;
    app.schema.load = Load::Loading { job: 77, stage: "columns".into() };
    app.update(Action::Schema(SchemaMsg::Loaded {
        job: 76,
        profile: "shop".into(),
        result: Err("stale".into()),
        elapsed: Duration::ZERO,
    }));
    assert!(matches!(app.schema.load, Load::Loading { job: 77, .. }));
    app.update(Action::Schema(SchemaMsg::Stage { job: 77, stage: "indexes".into() }));
    assert!(text(&screen(&app, 100, 24)).contains("Reading the catalog… indexes"));
    app.update(Action::Schema(SchemaMsg::Loaded {
        job: 77,
        profile: "shop".into(),
        result: Err("error communicating with database: connection reset".into()),
        elapsed: Duration::ZERO,
    }));
    let s = text(&screen(&app, 120, 24));
    assert!(
        s.contains("Could not read the catalog: error communicating with database") && s.contains("r retry"),
        "{s}"
    );
    assert!(app.schema.catalog.is_some(), "the last catalog stays visible");
    // r with no connected session reconnects (the catalog follows the connection).
    let effects = key(&mut app, KeyCode::Char('r'));
    assert!(effects.is_empty(), "no session at all: a message, no effect: {effects:?}");
}

#[tokio::test]
async fn refresh_after_drop_removes_the_table_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.db");
    let pool = sqlite_pool(&path).await;
    exec(&pool, FIXTURE).await;
    let c = catalog::introspect(&pool, "shop.db", None, |_| {}).await.unwrap();
    let mut app = app_with(c);
    // Select the view (last row), then drop it and refresh.
    key(&mut app, KeyCode::Char('G'));
    assert_eq!(app.schema.selected_table_name().unwrap().1, "big_orders");
    exec(&pool, "DROP VIEW big_orders").await;
    let c = catalog::introspect(&pool, "shop.db", None, |_| {}).await.unwrap();
    app.schema.set_catalog("shop", c, Duration::from_millis(3));
    assert!(app.schema.catalog.as_ref().unwrap().find_table("big_orders").is_none());
    assert!(app.schema.selected < app.schema.rows.len());
    assert!(matches!(app.schema.load, Load::Loaded { .. }));
    pool.close().await;
}

#[test]
fn filter_to_a_table_in_the_real_binary_and_read_its_columns() {
    let sb = crate::common::Sandbox::new();
    let t = crate::common::Tmux::start(&sb, "schema", 80, 24);
    t.wait_for("connected");
    t.keys(&["2"]);
    t.wait_for("main (5)");
    t.keys(&["/"]);
    t.text("ordit");
    t.wait_for("1 match");
    t.keys(&["Enter", "l"]);
    let screen = t.wait_for("unit_price_cents");
    assert!(screen.contains("order_items"), "{screen}");
    for col in ["order_id", "product_id", "quantity"] {
        assert!(screen.contains(col), "{col}: {screen}");
    }
    t.keys(&["q"]);
    t.wait_for("DBCONSOLE-EXITED-0");
}
