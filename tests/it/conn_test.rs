//! `dbconsole profile test` against real servers: success facts, and every failure class produced for real.
use std::time::Instant;

use serde_json::Value;

use crate::common::*;

fn pg_profile(name: &str, user: &str, database: &str, password_var: &str, tls: &str) -> String {
    format!(
        "[profiles.{name}]\nengine = \"postgres\"\nhost = \"127.0.0.1\"\nport = {}\ndatabase = \"{database}\"\nuser = \"{user}\"\n\
         password_source = \"env\"\npassword_env = \"{password_var}\"\n{tls}\n",
        pg_port()
    )
}

fn my_profile(name: &str, user: &str, database: &str, password_var: &str, extra: &str) -> String {
    format!(
        "[profiles.{name}]\nengine = \"mysql\"\nhost = \"127.0.0.1\"\nport = {}\ndatabase = \"{database}\"\nuser = \"{user}\"\n\
         password_source = \"env\"\npassword_env = \"{password_var}\"\n{extra}\n",
        my_port()
    )
}

/// Runs `profile test NAME --json`; returns the JSON and the exit code.
fn test_profile(sb: &Sandbox, name: &str, extra: &[&str]) -> (Value, i32) {
    let mut args = vec!["profile", "test", name, "--json"];
    args.extend_from_slice(extra);
    let out = sb.run(&args);
    let v = json(&out);
    (v, out.status.code().unwrap_or(-1))
}

fn assert_failed(v: &Value, code: i32, class: &str, exit: i32) {
    assert_eq!(v["ok"], false, "{v:#}");
    assert_eq!(v["class"], class, "{v:#}");
    assert_eq!(code, exit, "{v:#}");
    assert!(!v["message"].as_str().unwrap().is_empty());
    assert!(!v["hint"].as_str().unwrap().is_empty(), "a failure always says what to check: {v:#}");
    let steps = v["steps"].as_array().unwrap();
    if let Some(last) = steps.last() {
        assert_eq!(last["ok"], false, "the last step is the one that failed: {v:#}");
    }
}

fn step_names(v: &Value) -> Vec<String> {
    v["steps"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_string()).collect()
}

#[test]
fn postgres_success_with_verified_tls_reports_server_facts() {
    let sb = Sandbox::new();
    let tls = format!("[profiles.pg.tls]\nmode = \"verify-full\"\nroot_cert = \"{}\"\n", env("DBC_TEST_CA"));
    sb.write_profiles(&pg_profile("pg", "dbc", "dbc", "DBC_TEST_PG_PASSWORD", &tls));
    let (v, code) = test_profile(&sb, "pg", &[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["ok"], true);
    assert!(v["class"].is_null());
    assert_eq!(v["server_product"], "PostgreSQL");
    assert!(v["server_version"].as_str().unwrap().starts_with("15"), "{v:#}");
    assert_eq!(v["current_user"], "dbc");
    assert_eq!(v["current_database"], "dbc");
    assert_eq!(v["tls"], true);
    assert!(v["latency_ms"].as_f64().unwrap() > 0.0);
    assert!(v["extensions"].as_array().unwrap().iter().any(|e| e["name"] == "plpgsql"), "{v:#}");
    assert_eq!(step_names(&v), ["resolve", "tcp", "tls", "auth", "query"]);
    for s in v["steps"].as_array().unwrap() {
        assert_eq!(s["ok"], true);
        assert!(s["elapsed_ms"].as_f64().unwrap() >= 0.0);
    }
}

#[test]
fn postgres_by_host_name_and_text_output() {
    let sb = Sandbox::new();
    let mut text = pg_profile("pg", "dbc", "dbc", "DBC_TEST_PG_PASSWORD", "");
    text = text.replace("127.0.0.1", "localhost");
    sb.write_profiles(&text);
    let out = sb.run(&["profile", "test", "pg"]);
    let s = stdout(&out);
    assert!(out.status.success(), "{s}{}", stderr(&out));
    assert!(s.contains("name resolution") && s.contains("TCP connect") && s.contains("authentication"), "{s}");
    assert!(s.contains("OK: connected to PostgreSQL 15"), "{s}");
    assert!(s.contains("extensions plpgsql"), "{s}");
}

#[test]
fn postgres_wrong_password_is_auth() {
    let sb = Sandbox::new();
    sb.write_profiles(&pg_profile("pg", "dbc", "dbc", "DBC_TEST_MY_PASSWORD", ""));
    let (v, code) = test_profile(&sb, "pg", &[]);
    assert_failed(&v, code, "auth", 14);
    assert!(v["message"].as_str().unwrap().contains("28P01"), "{v:#}");
    assert_eq!(step_names(&v), ["resolve", "tcp", "tls", "auth"]);
}

#[test]
fn postgres_missing_role_is_auth_and_says_so() {
    let sb = Sandbox::new();
    sb.write_profiles(&pg_profile("pg", "nobody_here", "dbc", "DBC_TEST_PG_PASSWORD", ""));
    let (v, code) = test_profile(&sb, "pg", &[]);
    assert_failed(&v, code, "auth", 14);
}

#[test]
fn postgres_missing_database() {
    let sb = Sandbox::new();
    sb.write_profiles(&pg_profile("pg", "dbc", "no_such_db", "DBC_TEST_PG_PASSWORD", ""));
    let (v, code) = test_profile(&sb, "pg", &[]);
    assert_failed(&v, code, "database_missing", 15);
    assert!(v["hint"].as_str().unwrap().contains("no_such_db"), "{v:#}");
}

#[test]
fn postgres_no_connect_privilege_is_permission() {
    let sb = Sandbox::new();
    sb.write_profiles(&pg_profile("pg", "dbc_limited", "dbc_restricted", "DBC_TEST_PG_LIMITED_PASSWORD", ""));
    let (v, code) = test_profile(&sb, "pg", &[]);
    assert_failed(&v, code, "permission", 16);
}

#[test]
fn postgres_tls_required_by_server() {
    // pg_hba.conf rejects this role without TLS (hostnossl … reject), and the profile disables TLS.
    let sb = Sandbox::new();
    sb.write_profiles(&pg_profile(
        "pg",
        "dbc_tls_only",
        "dbc",
        "DBC_TEST_PG_TLS_PASSWORD",
        "[profiles.pg.tls]\nmode = \"disable\"\n",
    ));
    let (v, code) = test_profile(&sb, "pg", &[]);
    assert_failed(&v, code, "tls", 13);
    assert!(v["hint"].as_str().unwrap().contains("require"), "{v:#}");
    // The same role with TLS gets in.
    let sb = Sandbox::new();
    sb.write_profiles(&pg_profile(
        "pg",
        "dbc_tls_only",
        "dbc",
        "DBC_TEST_PG_TLS_PASSWORD",
        "[profiles.pg.tls]\nmode = \"require\"\n",
    ));
    let (v, code) = test_profile(&sb, "pg", &[]);
    assert_eq!((code, v["tls"].clone()), (0, Value::Bool(true)), "{v:#}");
}

#[test]
fn postgres_certificate_from_unknown_ca_is_tls() {
    let sb = Sandbox::new();
    let tls = format!("[profiles.pg.tls]\nmode = \"verify-full\"\nroot_cert = \"{}\"\n", env("DBC_TEST_OTHER_CA"));
    sb.write_profiles(&pg_profile("pg", "dbc", "dbc", "DBC_TEST_PG_PASSWORD", &tls));
    let (v, code) = test_profile(&sb, "pg", &[]);
    assert_failed(&v, code, "tls", 13);
    assert!(v["hint"].as_str().unwrap().contains("CA"), "{v:#}");
}

#[test]
fn refused_names_host_and_port() {
    let sb = Sandbox::new();
    let port = closed_port();
    let (v, code) = test_profile(&sb, &format!("postgres://dbc@127.0.0.1:{port}/dbc"), &[]);
    assert_failed(&v, code, "refused", 11);
    assert!(v["message"].as_str().unwrap().contains(&format!("127.0.0.1:{port}")), "{v:#}");
    assert_eq!(step_names(&v), ["resolve", "tcp"]);
    let (v, code) = test_profile(&sb, &format!("mysql://dbc@127.0.0.1:{port}/dbc"), &[]);
    assert_failed(&v, code, "refused", 11);
}

#[test]
fn silent_server_times_out_for_both_network_engines() {
    let l = SilentListener::start();
    let sb = Sandbox::new();
    for url in [format!("postgres://dbc@127.0.0.1:{}/dbc", l.port), format!("mysql://dbc@127.0.0.1:{}/dbc", l.port)] {
        let t = Instant::now();
        let (v, code) = test_profile(&sb, &url, &["--timeout", "1"]);
        assert_failed(&v, code, "timeout", 12);
        assert_eq!(step_names(&v), ["resolve", "tcp", "tls"], "TCP connected; the server never spoke");
        // The timeout is honoured (a generous bound: this checks behaviour, not speed).
        assert!(t.elapsed().as_secs() < 15, "took {:?}", t.elapsed());
    }
}

#[test]
fn unknown_host_is_dns_without_leaving_the_machine() {
    // `.invalid` names are answered negatively by dbconsole itself (RFC 6761): no DNS query is sent.
    let sb = Sandbox::new();
    let (v, code) = test_profile(&sb, "postgres://dbc@db.example.invalid/dbc", &[]);
    assert_failed(&v, code, "dns", 10);
    assert!(v["message"].as_str().unwrap().contains("db.example.invalid"));
}

#[test]
fn mariadb_success() {
    let sb = Sandbox::new();
    sb.write_profiles(&my_profile("my", "dbc", "dbc", "DBC_TEST_MY_PASSWORD", ""));
    let (v, code) = test_profile(&sb, "my", &[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["server_product"], "MariaDB");
    assert!(v["server_version"].as_str().unwrap().contains("MariaDB"));
    assert_eq!(v["current_database"], "dbc");
    assert!(v["current_user"].as_str().unwrap().starts_with("dbc@"), "{v:#}");
    assert_eq!(v["tls"], false);
    assert_eq!(step_names(&v), ["resolve", "tcp", "tls", "auth", "query"]);
}

#[test]
fn mariadb_failure_classes() {
    let sb = Sandbox::new();
    let text = [
        my_profile("wrongpw", "dbc", "dbc", "DBC_TEST_PG_PASSWORD", ""),
        my_profile("nodb", "dbc", "no_such_db", "DBC_TEST_MY_PASSWORD", ""),
        my_profile("noperm", "dbc_limited", "dbc", "DBC_TEST_MY_LIMITED_PASSWORD", ""),
        my_profile("needtls", "dbc", "dbc", "DBC_TEST_MY_PASSWORD", "[profiles.needtls.tls]\nmode = \"required\"\n"),
    ]
    .join("\n");
    sb.write_profiles(&text);
    let (v, code) = test_profile(&sb, "wrongpw", &[]);
    assert_failed(&v, code, "auth", 14);
    assert!(v["message"].as_str().unwrap().contains("1045"), "{v:#}");
    let (v, code) = test_profile(&sb, "nodb", &[]);
    assert_failed(&v, code, "database_missing", 15);
    let (v, code) = test_profile(&sb, "noperm", &[]);
    assert_failed(&v, code, "permission", 16);
    // This MariaDB has no TLS: a profile that requires it is refused before any password is sent.
    let (v, code) = test_profile(&sb, "needtls", &[]);
    assert_failed(&v, code, "tls", 13);
    assert_eq!(step_names(&v), ["resolve", "tcp", "tls"]);
}

#[test]
fn password_asked_without_a_terminal_fails_clearly() {
    let sb = Sandbox::new();
    let text = format!(
        "[profiles.ask]\nengine = \"postgres\"\nhost = \"127.0.0.1\"\nport = {}\nuser = \"dbc\"\npassword_source = \"ask\"\n",
        pg_port()
    );
    sb.write_profiles(&text);
    let (v, code) = test_profile(&sb, "ask", &[]);
    assert_failed(&v, code, "auth", 14);
    assert_eq!(step_names(&v), ["resolve", "tcp", "tls", "auth"], "the network steps still ran");
    assert!(v["hint"].as_str().unwrap().contains("no terminal to ask on"), "{v:#}");
}

fn sqlite_profile(name: &str, path: &std::path::Path, read_only: bool) -> String {
    format!("[profiles.{name}]\nengine = \"sqlite\"\npath = \"{}\"\nread_only = {read_only}\n", path.display())
}

#[test]
fn sqlite_classes() {
    let sb = Sandbox::new();
    let missing = sb.dir.path().join("missing.db");
    let garbage = sb.dir.path().join("garbage.db");
    std::fs::write(&garbage, b"this is not a database, just some text that is long enough").unwrap();
    let ro = sb.dir.path().join("ro.db");
    let good = sb.dir.path().join("good.db");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        for p in [&ro, &good] {
            let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(p).create_if_missing(true);
            let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(&opts).await.unwrap();
            sqlx::raw_sql("CREATE TABLE t(x); INSERT INTO t VALUES (1);").execute(&mut c).await.unwrap();
        }
    });
    set_mode(&ro, 0o444);
    sb.write_profiles(
        &[
            sqlite_profile("missing", &missing, false),
            sqlite_profile("garbage", &garbage, false),
            sqlite_profile("ro", &ro, false),
            sqlite_profile("ro_ok", &ro, true),
            sqlite_profile("good", &good, false),
        ]
        .join("\n"),
    );
    let (v, code) = test_profile(&sb, "missing", &[]);
    assert_failed(&v, code, "file_missing", 17);
    assert!(!missing.exists(), "testing never creates the file");
    let (v, code) = test_profile(&sb, "garbage", &[]);
    assert_failed(&v, code, "not_a_database", 18);
    let (v, code) = test_profile(&sb, "ro", &[]);
    assert_failed(&v, code, "readonly", 20);
    let (v, code) = test_profile(&sb, "ro_ok", &[]);
    assert_eq!(code, 0, "a read-only profile opens a read-only file: {v:#}");
    let (v, code) = test_profile(&sb, "good", &[]);
    assert_eq!((code, v["server_product"].as_str()), (0, Some("SQLite")), "{v:#}");
    assert_eq!(step_names(&v), ["file", "open", "query"]);

    // Locked: another connection holds an exclusive lock while we test.
    rt.block_on(async {
        let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(&good);
        let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(&opts).await.unwrap();
        sqlx::query("BEGIN EXCLUSIVE").execute(&mut c).await.unwrap();
        sqlx::query("INSERT INTO t VALUES (2)").execute(&mut c).await.unwrap();
        let (v, code) = test_profile(&sb, "good", &["--timeout", "1"]);
        assert_failed(&v, code, "locked", 19);
        sqlx::query("ROLLBACK").execute(&mut c).await.unwrap();
    });
    let (_, code) = test_profile(&sb, "good", &[]);
    assert_eq!(code, 0, "the lock is gone, the database is fine again");
}

#[test]
fn unknown_profile_is_a_usage_error() {
    let sb = Sandbox::new();
    let out = sb.run(&["profile", "test", "nope", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no profile named `nope`"), "{}", stderr(&out));
}

#[tokio::test]
async fn library_test_reports_steps_live_and_pool_connects() {
    use dbconsole::core::engine;
    use dbconsole::core::profile::{PasswordSource, url::parse_url};
    use secrecy::SecretString;
    let mut p = parse_url(&format!("postgres://dbc@127.0.0.1:{}/dbc?sslmode=require", pg_port())).unwrap();
    let pw = SecretString::from(env("DBC_TEST_PG_PASSWORD"));
    p.password = PasswordSource::None;
    let mut seen = Vec::new();
    let report = engine::test_connection(&p, Some(&pw), |s| seen.push(s.name)).await;
    assert!(report.ok, "{report:?}");
    assert_eq!(seen, ["resolve", "tcp", "tls", "auth", "query"]);
    // A read-only profile is read-only on the server.
    p.read_only = true;
    let pool = engine::connect_pool(&p, Some(&pw)).await.unwrap();
    let engine::DbPool::Postgres(pg) = &pool else { panic!("postgres pool") };
    let err = sqlx::query("CREATE TEMP TABLE t(x int)").execute(pg).await;
    let err = err.unwrap_err().into_database_error().unwrap();
    assert_eq!(err.code().as_deref(), Some("25006"), "read_only_sql_transaction: {err}");
    pool.close().await;

    let mut m = parse_url(&format!("mysql://dbc@127.0.0.1:{}/dbc", my_port())).unwrap();
    let mpw = SecretString::from(env("DBC_TEST_MY_PASSWORD"));
    let pool = engine::connect_pool(&m, Some(&mpw)).await.unwrap();
    let engine::DbPool::Mysql(my) = &pool else { panic!("mysql pool") };
    sqlx::query("CREATE TABLE IF NOT EXISTS ro_probe(x int)").execute(my).await.unwrap();
    pool.close().await;
    m.read_only = true;
    let pool = engine::connect_pool(&m, Some(&mpw)).await.unwrap();
    let engine::DbPool::Mysql(my) = &pool else { panic!("mysql pool") };
    let err = sqlx::query("INSERT INTO ro_probe VALUES (1)").execute(my).await.unwrap_err();
    assert!(err.to_string().contains("READ ONLY"), "{err}");
    pool.close().await;
}
