//! The demo database: a small shop in SQLite, made on first start so a newcomer sees real schema and data.
use std::path::Path;

use sqlx::Connection;
use sqlx::sqlite::SqliteConnectOptions;

use super::profile::Profile;

const DEMO_SQL: &str = r#"
PRAGMA foreign_keys = ON;
BEGIN;
CREATE TABLE customers (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL UNIQUE,
    country     TEXT NOT NULL DEFAULT 'NL',
    created_at  TEXT NOT NULL
);
CREATE TABLE products (
    id           INTEGER PRIMARY KEY,
    sku          TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    category     TEXT NOT NULL,
    price_cents  INTEGER NOT NULL CHECK (price_cents >= 0),
    attributes   TEXT -- JSON
);
CREATE TABLE orders (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    ordered_at   TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('new', 'paid', 'shipped', 'cancelled'))
);
CREATE TABLE order_items (
    order_id          INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    product_id        INTEGER NOT NULL REFERENCES products(id),
    quantity          INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_cents  INTEGER NOT NULL,
    PRIMARY KEY (order_id, product_id)
) WITHOUT ROWID;
CREATE INDEX orders_customer_idx ON orders(customer_id);
CREATE INDEX orders_ordered_at_idx ON orders(ordered_at);
CREATE INDEX order_items_product_idx ON order_items(product_id);
CREATE INDEX orders_open_idx ON orders(ordered_at) WHERE status IN ('new', 'paid');
CREATE VIEW order_totals AS
    SELECT o.id AS order_id, c.name AS customer, o.ordered_at, o.status,
           SUM(i.quantity * i.unit_price_cents) / 100.0 AS total
    FROM orders o
    JOIN customers c ON c.id = o.customer_id
    JOIN order_items i ON i.order_id = o.id
    GROUP BY o.id;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
INSERT INTO customers (id, name, email, country, created_at)
SELECT i,
       (ARRAY_FIRST) ,
       'customer' || i || '@example.com',
       CASE i % 5 WHEN 0 THEN 'NL' WHEN 1 THEN 'DE' WHEN 2 THEN 'FR' WHEN 3 THEN 'US' ELSE 'JP' END,
       strftime('%Y-%m-%d %H:%M:%S', '2024-01-01', '+' || (i * 17) || ' hours')
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
INSERT INTO products (id, sku, name, category, price_cents, attributes)
SELECT i,
       printf('SKU-%05d', i),
       CASE i % 4 WHEN 0 THEN 'Widget' WHEN 1 THEN 'Gadget' WHEN 2 THEN 'Gizmo' ELSE 'Doohickey' END || ' ' || i,
       CASE i % 3 WHEN 0 THEN 'tools' WHEN 1 THEN 'toys' ELSE 'garden' END,
       100 + (i * 379) % 9900,
       json_object('colour', CASE i % 3 WHEN 0 THEN 'red' WHEN 1 THEN 'green' ELSE 'blue' END, 'weight_g', 50 + i)
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
INSERT INTO orders (id, customer_id, ordered_at, status)
SELECT i,
       1 + (i * 7919) % 500,
       strftime('%Y-%m-%d %H:%M:%S', '2025-01-01', '+' || (i * 173) || ' minutes'),
       CASE i % 10 WHEN 0 THEN 'cancelled' WHEN 1 THEN 'new' WHEN 2 THEN 'paid' ELSE 'shipped' END
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000),
     k(j) AS (VALUES (0), (1), (2))
INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents)
SELECT i, 1 + (i * 31 + j * 67) % 200, 1 + (i + j) % 4, p.price_cents
FROM n CROSS JOIN k JOIN products p ON p.id = 1 + (i * 31 + j * 67) % 200
WHERE j < 1 + i % 3;
COMMIT;
ANALYZE;
"#;

const FIRST: [&str; 10] =
    ["Ada", "Grace", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Niklaus", "Radia"];
const LAST: [&str; 10] =
    ["Lovelace", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton", "Wirth", "Perlman"];

fn name_expr() -> String {
    let first = FIRST.iter().enumerate().map(|(k, v)| format!("WHEN {k} THEN '{v}'")).collect::<Vec<_>>().join(" ");
    let last = LAST.iter().enumerate().map(|(k, v)| format!("WHEN {k} THEN '{v}'")).collect::<Vec<_>>().join(" ");
    format!("(CASE i % 10 {first} END) || ' ' || (CASE (i / 10) % 10 {last} END)")
}

/// Creates the demo database at `path` unless it exists. Built in a temporary file and renamed into place, so an
/// interrupted first start never leaves half a database.
pub async fn ensure(path: &Path) -> Result<bool, sqlx::Error> {
    if path.exists() {
        return Ok(false);
    }
    if let Some(dir) = path.parent() {
        super::fsutil::ensure_private_dir(dir)?;
    }
    let tmp = path.with_extension(format!("creating-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let result = async {
        let opts = SqliteConnectOptions::new().filename(&tmp).create_if_missing(true);
        let opts = sqlx::ConnectOptions::disable_statement_logging(opts);
        let mut conn = sqlx::SqliteConnection::connect_with(&opts).await?;
        let sql = DEMO_SQL.replace("(ARRAY_FIRST)", &name_expr());
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await?;
        conn.close().await?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
        }
        std::fs::rename(&tmp, path)?;
        Ok::<_, sqlx::Error>(())
    }
    .await;
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|_| true)
}

/// Makes the demo database when `p` is the profile that points at it (`demo_path`) and it does not exist yet.
pub async fn ensure_for(p: &Profile, demo_path: &Path) -> Result<(), sqlx::Error> {
    if p.path.as_deref() == Some(demo_path) {
        ensure(demo_path).await?;
    }
    Ok(())
}

/// The profile of the demo database.
pub fn profile(path: &Path) -> Profile {
    Profile::sqlite("demo", path.to_path_buf())
}
