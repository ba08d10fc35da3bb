//! `dbconsole profile …` as a script would use it, and the first-run demo database.
use crate::common::*;

#[test]
fn first_run_creates_demo_profile_and_a_real_demo_database() {
    let sb = Sandbox::new();
    let out = sb.run(&["profile", "list", "--json"]);
    assert!(out.status.success());
    let v = json(&out);
    assert_eq!(v[0]["name"], "demo");
    assert_eq!(v[0]["engine"], "sqlite");
    let out = sb.run(&["profile", "test", "demo", "--json"]);
    let v = json(&out);
    assert_eq!(v["ok"], true, "{v:#}");
    // The demo has related tables with keys, indexes, a view and some thousands of rows.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        use sqlx::Row;
        let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(sb.data().join("demo.sqlite")).read_only(true);
        let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(&opts).await.unwrap();
        let kinds: Vec<(String, i64)> = sqlx::query("SELECT type, count(*) FROM sqlite_schema GROUP BY type ORDER BY type")
            .fetch_all(&mut c)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        assert!(kinds.iter().any(|(k, n)| k == "table" && *n >= 4), "{kinds:?}");
        assert!(kinds.iter().any(|(k, n)| k == "view" && *n >= 1), "{kinds:?}");
        assert!(kinds.iter().any(|(k, n)| k == "index" && *n >= 4), "{kinds:?}");
        let rows: i64 = sqlx::query("SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM orders) + (SELECT count(*) FROM order_items)")
            .fetch_one(&mut c)
            .await
            .unwrap()
            .get(0);
        assert!(rows > 5000, "{rows}");
        let fks: i64 = sqlx::query("SELECT count(*) FROM pragma_foreign_key_list('order_items')").fetch_one(&mut c).await.unwrap().get(0);
        assert_eq!(fks, 2);
        let bad: i64 = sqlx::query("SELECT count(*) FROM pragma_foreign_key_check").fetch_one(&mut c).await.unwrap().get(0);
        assert_eq!(bad, 0, "the demo data keeps its own foreign keys");
        let total: f64 = sqlx::query("SELECT sum(total) FROM order_totals").fetch_one(&mut c).await.unwrap().get(0);
        assert!(total > 0.0);
    });
}

#[test]
fn add_show_list_remove() {
    let sb = Sandbox::new();
    let out = sb.run(&[
        "profile",
        "add",
        "prod",
        "--engine",
        "postgres",
        "--host",
        "127.0.0.1",
        "--port",
        "5999",
        "--database",
        "app",
        "--user",
        "admin",
        "--environment",
        "production",
        "--password-source",
        "env",
        "--password-env",
        "PROD_PW",
        "--tls-mode",
        "verify-full",
        "--tls-root-cert",
        "/etc/ca.pem",
        "--max-connections",
        "3",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&sb.run(&["profile", "show", "prod", "--json"]));
    assert_eq!(v["port"], 5999);
    assert_eq!(v["environment"], "production");
    assert_eq!(v["password_source"], "env");
    assert_eq!(v["tls_mode"], "verify-full");
    assert_eq!(v["max_connections"], 3);
    let text = stdout(&sb.run(&["profile", "list"]));
    assert!(
        text.contains("prod") && text.contains("production") && text.contains("admin@127.0.0.1:5999/app"),
        "{text}"
    );
    // Duplicates, bad fields and URLs with passwords are refused with a clear message and exit 2.
    let dup = sb.run(&["profile", "add", "prod", "--engine", "sqlite", "--path", "/x.db"]);
    assert_eq!(dup.status.code(), Some(2));
    assert!(stderr(&dup).contains("already exists"), "{}", stderr(&dup));
    let nopath = sb.run(&["profile", "add", "lite", "--engine", "sqlite"]);
    assert_eq!(nopath.status.code(), Some(2));
    assert!(stderr(&nopath).contains("--path"), "{}", stderr(&nopath));
    let badurl = sb.run(&["profile", "add", "u", "--url", "oracle://x/y"]);
    assert_eq!(badurl.status.code(), Some(2));
    assert!(stderr(&badurl).contains("unknown URL scheme"), "{}", stderr(&badurl));
    let pwurl = sb.run(&["profile", "add", "u", "--url", "postgres://a:s3cr3t@h/db"]);
    assert_eq!(pwurl.status.code(), Some(2));
    assert!(!std::fs::read_to_string(sb.profiles_file()).unwrap().contains("s3cr3t"));
    let badname = sb.run(&["profile", "add", "a.b", "--engine", "sqlite", "--path", "/x.db"]);
    assert_eq!(badname.status.code(), Some(2));
    assert!(stderr(&badname).contains("not allowed"), "{}", stderr(&badname));
    let badport = sb.run(&["profile", "add", "p", "--engine", "postgres", "--port", "70000"]);
    assert_eq!(badport.status.code(), Some(2));
    // Remove.
    assert!(sb.run(&["profile", "remove", "prod"]).status.success());
    assert_eq!(sb.run(&["profile", "remove", "prod"]).status.code(), Some(2));
    assert_eq!(mode(&sb.profiles_file()), 0o600);
}

#[test]
fn malformed_file_is_reported_with_line_and_kept() {
    let sb = Sandbox::new();
    let text = "[profiles.a]\nengine = \"sqlite\"\npath = 12\n";
    sb.write_profiles(text);
    let out = sb.run(&["profile", "list"]);
    let err = stderr(&out);
    assert!(err.contains("profiles.toml:3") && err.contains("profile `a`"), "{err}");
    let out = sb.run(&["profile", "add", "b", "--engine", "sqlite", "--path", "/b.db"]);
    assert!(out.status.success(), "a field problem in one profile does not block others: {}", stderr(&out));
    let after = std::fs::read_to_string(sb.profiles_file()).unwrap();
    assert!(after.starts_with(text), "the user's text is kept as written: {after}");
    // A file that is not TOML at all is never written.
    let broken = "[profiles.a\nengine=";
    sb.write_profiles(broken);
    let out = sb.run(&["profile", "add", "c", "--engine", "sqlite", "--path", "/c.db"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not valid TOML"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(sb.profiles_file()).unwrap(), broken);
}

#[test]
fn import_finds_env_service_file_and_mycnf_and_writes_them() {
    let sb = Sandbox::new();
    std::fs::write(
        sb.dir.path().join(".pg_service.conf"),
        "[reports]\nhost=127.0.0.1\nport=5433\ndbname=reports\nuser=rep\n",
    )
    .unwrap();
    std::fs::write(sb.dir.path().join(".my.cnf"), "[client]\nuser=root\npassword=mycnf-secret-pw\nport=3307\n")
        .unwrap();
    let out = sb
        .cmd()
        .args(["profile", "import", "--write"])
        .env("DATABASE_URL", "postgres://app:url-secret-pw@127.0.0.1:5432/app")
        .env("PGHOST", "127.0.0.1")
        .env("PGUSER", "ann")
        .env("PGPASSWORD", "pg-env-secret-pw")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let s = stdout(&out);
    for name in ["env-database-url", "env-pg", "pgservice-reports", "mycnf-client"] {
        assert!(s.contains(&format!("added    {name}")), "{name}: {s}");
    }
    let file = std::fs::read_to_string(sb.profiles_file()).unwrap();
    for secret in ["url-secret-pw", "pg-env-secret-pw", "mycnf-secret-pw"] {
        assert!(!file.contains(secret), "imports never copy a password: {file}");
    }
    let v = json(&sb.run(&["profile", "show", "env-pg", "--json"]));
    assert_eq!(v["password_source"], "env");
    let v = json(&sb.run(&["profile", "show", "mycnf-client", "--json"]));
    assert_eq!(
        (v["engine"].as_str(), v["port"].as_u64(), v["password_source"].as_str()),
        (Some("mysql"), Some(3307), Some("mycnf"))
    );
    // Running it again adds nothing.
    let again = sb.cmd().args(["profile", "import", "--write"]).output().unwrap();
    assert!(stdout(&again).contains("exists"), "{}", stdout(&again));
}

#[test]
fn every_subcommand_takes_a_url() {
    let sb = Sandbox::new();
    let db = sb.dir.path().join("adhoc.db");
    std::fs::write(&db, b"").unwrap();
    let v = json(&sb.run(&["profile", "show", &format!("sqlite:{}", db.display()), "--json"]));
    assert_eq!(v["engine"], "sqlite");
    let out = sb.run(&["profile", "test", &format!("sqlite:{}", db.display())]);
    assert!(out.status.success(), "{}", stdout(&out));
    let bad = sb.run(&["profile", "test", "oracle://nope"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("unknown URL scheme"));
}

/// Shell completions (clap_complete) and the manual page (clap_mangen) come from the same command definition:
/// every subcommand is in them, and bash reads the script without a syntax error.
#[test]
fn completions_and_man_page() {
    let sb = Sandbox::new();
    let o = sb.run(&["completions", "bash"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let script = stdout(&o);
    for sub in ["profile", "schema", "migrate", "transfer", "sync", "query", "dump", "completions"] {
        assert!(script.contains(sub), "{sub} missing from the bash completions");
    }
    let f = sb.dir.path().join("dbconsole.bash");
    std::fs::write(&f, &script).unwrap();
    let check = std::process::Command::new("bash").arg("-n").arg(&f).output().unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
    for shell in ["zsh", "fish"] {
        assert!(sb.run(&["completions", shell]).status.success());
    }
    assert_eq!(sb.run(&["completions", "tcsh"]).status.code(), Some(2));
    let man = stdout(&sb.run(&["man"]));
    assert!(man.contains(".TH dbconsole 1") && man.contains("transfer") && man.contains("\\-\\-ssh"), "{man}");
}
