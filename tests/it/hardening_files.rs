//! Issue #11, files and exposure: concurrent and symlinked profile edits, a FIFO in place of the profiles file,
//! passwords kept out of messages, logs and the server's environment, owner-only folders and logs, terminal-safe
//! output, the TUI restoring the terminal on SIGINT/SIGQUIT, and the migrations folder's odd entries.
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

/// Runs `cmd`, failing the test (and killing it) when it has not finished within `secs`.
fn run_within(mut cmd: Command, secs: u64) -> Output {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("run dbconsole");
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("dbconsole was still running after {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo {}", path.display());
}

fn pg_profile(sb: &Sandbox, name: &str, password: &str) {
    sb.write_profiles(&format!(
        "[profiles.{name}]\nengine = \"postgres\"\nhost = \"127.0.0.1\"\nport = {}\nuser = \"dbc\"\ndatabase = \"dbc\"\n\
         {password}\n",
        pg_port()
    ));
}

/// True when the text holds a control character other than a line break.
fn has_raw_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && c != '\n')
}

#[test]
fn twenty_concurrent_profile_adds_all_land() {
    let sb = Sandbox::new();
    let children: Vec<_> = (0..20)
        .map(|i| {
            let path = format!("/p{i}.db");
            let args = ["profile", "add", &format!("p{i}"), "--engine", "sqlite", "--path", &path];
            sb.cmd().args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let set = dbconsole::core::profile::file::load(&sb.profiles_file());
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    for i in 0..20 {
        assert!(set.get(&format!("p{i}")).is_some(), "p{i} was lost: {:?}", set.profiles.len());
    }
    assert_eq!(set.profiles.len(), 21, "20 added and the demo profile, made once");
    assert_eq!(mode(&sb.config().join("profiles.toml.lock")), 0o600);
}

#[test]
fn a_symlinked_profiles_file_is_edited_through_the_link() {
    let sb = Sandbox::new();
    let dotfiles = sb.dir.path().join("dotfiles");
    std::fs::create_dir_all(&dotfiles).unwrap();
    std::fs::create_dir_all(sb.config()).unwrap();
    let real = dotfiles.join("profiles.toml");
    std::fs::write(&real, "# mine\n[profiles.kept]\nengine = \"sqlite\"\npath = \"/kept.db\"\n").unwrap();
    set_mode(&real, 0o600);
    std::os::unix::fs::symlink("../dotfiles/profiles.toml", sb.profiles_file()).unwrap();
    for args in [
        &["profile", "add", "new", "--engine", "sqlite", "--path", "/new.db"][..],
        &["profile", "add", "gone", "--engine", "sqlite", "--path", "/gone.db"],
        &["profile", "remove", "gone"],
    ] {
        let o = sb.run(args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }
    let link = std::fs::symlink_metadata(sb.profiles_file()).unwrap();
    assert!(link.file_type().is_symlink(), "the symlink was replaced by a regular file");
    let text = std::fs::read_to_string(&real).unwrap();
    assert!(text.starts_with("# mine\n[profiles.kept]") && text.contains("[profiles.new]"), "{text}");
    assert!(!text.contains("gone"), "{text}");
    assert_eq!(mode(&real), 0o600);
}

#[test]
fn a_fifo_or_a_device_in_place_of_the_profiles_file_is_refused() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.config()).unwrap();
    mkfifo(&sb.profiles_file());
    for args in [&["profile", "list"][..], &["profile", "add", "x", "--engine", "sqlite", "--path", "/x.db"]] {
        let mut cmd = sb.cmd();
        cmd.args(args);
        let o = run_within(cmd, 20);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("it is a FIFO (named pipe), not a regular file"), "{args:?}: {}", stderr(&o));
    }
    let meta = std::fs::symlink_metadata(sb.profiles_file()).unwrap();
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type()), "the FIFO was replaced");
    // A symlink to a device is refused the same way (and /dev/zero is never read).
    std::fs::remove_file(sb.profiles_file()).unwrap();
    std::os::unix::fs::symlink("/dev/zero", sb.profiles_file()).unwrap();
    let mut cmd = sb.cmd();
    cmd.args(["profile", "list"]);
    let o = run_within(cmd, 20);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("it is a device, not a regular file"), "{}", stderr(&o));
}

#[test]
fn a_url_password_never_appears_in_an_error() {
    let sb = Sandbox::new();
    let url = "postgres://u:SECRET-4471@127.0.0.1/db?bo-gus=1";
    for args in [
        &["profile", "show", url][..],
        &["profile", "test", url],
        &["query", url, "-e", "select 1"],
        &["schema", url],
        &["migrate", "status", url],
        &["transfer", "plan", "--from", url, "--to", "demo"],
        &[url],
    ] {
        let o = sb.run(args);
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {all}");
        assert!(all.contains("postgres://u:***@127.0.0.1/db?bo-gus=1: unknown postgres URL option"), "{args:?}: {all}");
        assert!(!all.contains("SECRET-4471"), "{args:?}: {all}");
    }
    assert!(!sb.logs().contains("SECRET-4471"));
}

#[test]
fn a_slow_statement_and_its_literals_are_not_logged() {
    let sb = Sandbox::new();
    pg_profile(&sb, "pg", "password_source = \"env\"\npassword_env = \"DBC_TEST_PG_PASSWORD\"");
    let o = sb.run(&["query", "pg", "-e", "SELECT pg_sleep(1.2), 'LITERAL-SECRET-8812' AS s"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("LITERAL-SECRET-8812"));
    let logs: Vec<_> = std::fs::read_dir(sb.data().join("logs")).unwrap().flatten().collect();
    assert!(!logs.is_empty(), "a log file is written");
    let text = sb.logs();
    assert!(!text.contains("LITERAL-SECRET-8812") && !text.contains("pg_sleep"), "{text}");
}

#[test]
fn pgpassword_is_not_sent_for_a_profile_without_a_password() {
    let sb = Sandbox::new();
    pg_profile(&sb, "nopw", "password_source = \"none\"");
    let mut cmd = sb.cmd();
    cmd.args(["profile", "test", "nopw", "--json"]).env("PGPASSWORD", env("DBC_TEST_PG_PASSWORD"));
    let o = cmd.output().unwrap();
    let v = json(&o);
    assert_eq!(v["class"], "auth", "the server saw no password: {v}");
    assert_eq!(o.status.code(), Some(14));
}

#[test]
fn folders_and_log_files_are_owner_only() {
    let sb = Sandbox::new();
    let logs = sb.data().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::create_dir_all(sb.config()).unwrap();
    let old_log = logs.join("dbconsole.log.2020-01-01");
    std::fs::write(&old_log, "old\n").unwrap();
    for p in [&sb.config(), &sb.data(), &logs, &old_log] {
        set_mode(p, if p.is_dir() { 0o755 } else { 0o644 });
    }
    let o = sb.run(&["profile", "list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for dir in [sb.config(), sb.data(), logs.clone()] {
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    }
    for f in std::fs::read_dir(&logs).unwrap().flatten() {
        assert_eq!(mode(&f.path()), 0o600, "{}", f.path().display());
    }
    assert!(std::fs::read_dir(&logs).unwrap().count() >= 2, "today's log file was made");
    // Made from nothing: the same.
    let fresh = Sandbox::new();
    assert!(fresh.run(&["profile", "list"]).status.success());
    for dir in [fresh.config(), fresh.data(), fresh.data().join("logs")] {
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    }
    for f in std::fs::read_dir(fresh.data().join("logs")).unwrap().flatten() {
        assert_eq!(mode(&f.path()), 0o600, "{}", f.path().display());
    }
    assert_eq!(mode(&fresh.profiles_file()), 0o600);
}

#[test]
fn sql_output_quotes_the_table_name() {
    let sb = Sandbox::new();
    let sql = "select id from customers where id = 1";
    let o = sb.run(&["query", "demo", "-e", sql, "--format", "sql", "--table", "x; DROP TABLE customers; --"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "INSERT INTO \"x; DROP TABLE customers; --\" (\"id\") VALUES (1);\n");
    let o = sb.run(&["query", "demo", "-e", sql, "--format", "sql", "--table", "app.peo\"ple"]);
    assert_eq!(stdout(&o), "INSERT INTO \"app\".\"peo\"\"ple\" (\"id\") VALUES (1);\n");
}

#[test]
fn table_output_escapes_control_characters() {
    let sb = Sandbox::new();
    let sql = "select 'a' || char(27) || ']0;pwned' || char(7) || char(27) || '[2J' || char(0) || 'x' || char(13) \
               || 'y é 漢' as v, char(27) || '[31m' as \"c\"";
    let o = sb.run(&["query", "demo", "-e", sql]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(!has_raw_control(&out), "{out:?}");
    assert!(out.contains("a\\x1b]0;pwned\\x07\\x1b[2J\\x00x\\x0dy é 漢"), "{out}");
    assert!(out.contains("\\x1b[31m"), "{out}");
}

#[test]
fn schema_text_escapes_control_characters() {
    let sb = Sandbox::new();
    let db = sb.dir.path().join("evil.db");
    std::fs::write(&db, b"").unwrap();
    let url = format!("sqlite:{}", db.display());
    let table = "evil\u{1b}]0;pwned\u{7}";
    let create = format!("CREATE TABLE \"{table}\" (\"c\rol\" TEXT DEFAULT 'x\u{1b}[2J', \"é漢\" INT)");
    let o = sb.run(&["query", &url, "-e", &create]);
    assert!(o.status.success(), "{}", stderr(&o));
    for args in [&["schema", &url][..], &["schema", &url, "--table", table]] {
        let o = sb.run(args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        let out = stdout(&o);
        assert!(!has_raw_control(&out), "{args:?}: {out:?}");
        assert!(out.contains("evil\\x1b]0;pwned\\x07"), "{args:?}: {out}");
    }
    let out = stdout(&sb.run(&["schema", &url, "--table", table]));
    assert!(out.contains("c\\x0dol") && out.contains("x\\x1b[2J") && out.contains("é漢"), "{out}");
}

/// The dbconsole process under the pane's shell.
fn dbconsole_pid(t: &Tmux) -> i32 {
    let shell = t.display("#{pane_pid}");
    let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).unwrap();
    children.split_whitespace().next().expect("dbconsole runs under the pane's shell").parse().unwrap()
}

#[test]
fn sigint_and_sigquit_give_the_terminal_back() {
    for (name, signal) in [("int", libc::SIGINT), ("quit", libc::SIGQUIT)] {
        let sb = Sandbox::new();
        let t = Tmux::start(&sb, &format!("sig{name}"), 80, 24);
        t.wait_for("Profiles (1)");
        assert_eq!(t.display("#{alternate_on}"), "1", "the TUI is on the alternate screen");
        // SAFETY: sending a signal to a process this test started.
        assert_eq!(unsafe { libc::kill(dbconsole_pid(&t), signal) }, 0);
        let screen = t.wait_for("DBCONSOLE-EXITED-");
        assert!(screen.contains("DBCONSOLE-EXITED-0"), "SIG{name}: ended like `q`: {screen}");
        assert_eq!(t.display("#{alternate_on}"), "0", "SIG{name}: back from the alternate screen");
        assert_eq!(t.display("#{cursor_flag}"), "1", "SIG{name}: the cursor is shown");
        // Out of raw mode: the terminal echoes what is typed again (`sleep` is reading nothing).
        t.text("typed-after-exit");
        t.wait_for("typed-after-exit");
    }
}

#[test]
fn a_url_password_is_described_as_not_stored() {
    let sb = Sandbox::new();
    let url = "postgres://u:pw-5512@127.0.0.1/db";
    let o = sb.run(&["profile", "show", url]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("from the URL given on the command line (not stored anywhere)"), "{out}");
    assert!(!out.contains("profiles file") && !out.contains("pw-5512"), "{out}");
    let v = json(&sb.run(&["profile", "show", url, "--json"]));
    assert_eq!(v["stores_plain_password"], false, "{v}");
}

fn sqlite_with_migrations(sb: &Sandbox) -> (String, std::path::PathBuf) {
    let db = sb.dir.path().join("m.db");
    std::fs::write(&db, b"").unwrap();
    let dir = sb.dir.path().join("migrations");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("2_real.sql"), "CREATE TABLE t (id INT);\n").unwrap();
    (format!("sqlite:{}", db.display()), dir)
}

#[test]
fn a_failed_migration_gets_advice_that_exists() {
    let sb = Sandbox::new();
    let (url, dir) = sqlite_with_migrations(&sb);
    let failed = dbconsole::core::migrate::state::create_sql(dbconsole::core::profile::Engine::Sqlite)
        + "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
           VALUES (1, 'broke', 0, x'00', -1);";
    let o = sb.run(&["query", &url, "-e", &failed]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = sb.run(&["migrate", "apply", &url, "--dir", dir.to_str().unwrap(), "--yes"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("recorded as failed") && err.contains("DELETE FROM _sqlx_migrations"), "{err}");
    assert!(!err.contains("migrate resolve"), "{err}");
}

#[test]
fn a_directory_or_fifo_named_like_a_migration_is_warned_about() {
    let sb = Sandbox::new();
    let (url, dir) = sqlite_with_migrations(&sb);
    std::fs::create_dir(dir.join("0001_x.sql")).unwrap();
    mkfifo(&dir.join("0003_pipe.sql"));
    let mut cmd = sb.cmd();
    cmd.args(["migrate", "status", &url, "--dir", dir.to_str().unwrap()]);
    let o = run_within(cmd, 20);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("0001_x.sql: skipped: named like a migration, but it is a directory"), "{err}");
    assert!(err.contains("0003_pipe.sql: skipped: named like a migration, but it is a FIFO"), "{err}");
    assert!(stdout(&o).contains("real"), "{}", stdout(&o));
}
