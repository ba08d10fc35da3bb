//! `dbconsole query`: every format against real engines, errors with the server's code and a caret under the
//! position, exit codes, files and stdin, and a big result streamed to a closed pipe.
use std::io::Read;
use std::process::Stdio;

use crate::common::*;

fn pg_profile(sb: &Sandbox) {
    sb.write_profiles(&format!(
        "[profiles.pg]\nengine = \"postgres\"\nhost = \"127.0.0.1\"\nport = {}\nuser = \"dbc\"\ndatabase = \"dbc\"\n\
         password_source = \"env\"\npassword_env = \"DBC_TEST_PG_PASSWORD\"\n\n\
         [profiles.my]\nengine = \"mysql\"\nhost = \"127.0.0.1\"\nport = {}\nuser = \"dbc\"\ndatabase = \"dbc\"\n\
         password_source = \"env\"\npassword_env = \"DBC_TEST_MY_PASSWORD\"\n",
        pg_port(),
        my_port()
    ));
}

#[test]
fn formats_on_each_engine() {
    let sb = Sandbox::new();
    pg_profile(&sb);
    let sql = "SELECT 1 AS n, 'a,b' AS s, NULL AS z, '' AS e, 2.50 AS d";
    for profile in ["pg", "my"] {
        let o = sb.run(&["query", profile, "-e", sql, "--format", "csv"]);
        assert!(o.status.success(), "{profile}: {}", stderr(&o));
        assert_eq!(stdout(&o), "n,s,z,e,d\n1,\"a,b\",,\"\",2.50\n", "{profile}");
        let o = sb.run(&["query", profile, "-e", sql, "--format", "json"]);
        let v = json(&o);
        assert_eq!(v, serde_json::json!([{"n": 1, "s": "a,b", "z": null, "e": "", "d": 2.50}]), "{profile}");
        let o = sb.run(&["query", profile, "-e", sql]);
        assert_eq!(
            stdout(&o),
            " n | s   | z | e | d\n---+-----+---+---+------\n 1 | a,b |   |   | 2.50\n(1 row)\n",
            "{profile}"
        );
    }
    // The demo SQLite database, several statements, a command tag for the one that returns no rows.
    let sb = Sandbox::new();
    let o = sb.run(&[
        "query",
        "demo",
        "-e",
        "select count(*) as n from customers; update customers set name = name where id < 4",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), " n\n-----\n 500\n(1 row)\nUPDATE 3\n");
    // SQL INSERTs name the table given.
    let o = sb.run(&[
        "query",
        "demo",
        "-e",
        "select id, name from customers where id = 1",
        "--format",
        "sql",
        "--table",
        "people",
    ]);
    assert_eq!(stdout(&o), "INSERT INTO \"people\" (\"id\", \"name\") VALUES (1, 'Grace Lovelace');\n");
}

#[test]
fn errors_codes_files_and_stdin() {
    let sb = Sandbox::new();
    pg_profile(&sb);
    let file = sb.data().join("script.sql");
    std::fs::create_dir_all(sb.data()).unwrap();
    std::fs::write(&file, "select 1;\n\nselect 2,\n       nope;\nselect 3;\n").unwrap();
    let o = sb.run(&["query", "pg", "-f", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("script.sql:4: ERROR 42703: column \"nope\" does not exist"), "{err}");
    assert!(err.contains("\n         nope\n         ^"), "caret under the position:\n{err}");
    assert!(stdout(&o).contains("(1 row)") && !stdout(&o).contains(" 3\n"), "stops at the first error: {}", stdout(&o));
    let o = sb.run(&["query", "my", "-e", "selec 1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("ERROR 1064"), "{}", stderr(&o));
    // Usage errors: no SQL, a missing file, an unknown format.
    let sb = Sandbox::new(); // no profiles file: the demo profile
    assert_eq!(sb.run(&["query", "demo", "-f", "/nonexistent.sql"]).status.code(), Some(2));
    assert_eq!(sb.run(&["query", "demo", "-e", "  ;  "]).status.code(), Some(2));
    assert_eq!(sb.run(&["query", "demo", "-e", "select 1", "--format", "xml"]).status.code(), Some(2));
    // Standard input.
    let mut child = sb
        .cmd()
        .args(["query", "demo", "-f", "-", "--format", "csv"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"select 40 + 2 as answer;").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "answer\n42\n");
}

#[test]
fn a_big_result_streams_and_a_closed_pipe_ends_it() {
    let sb = Sandbox::new();
    pg_profile(&sb);
    // 3 million rows: the reader takes the first lines and closes the pipe; dbconsole stops at once, exit 0.
    let mut child = sb
        .cmd()
        .args(["query", "pg", "-e", "select g, md5(g::text) from generate_series(1, 3000000) g", "--format", "csv"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    out.read_exact(&mut first).unwrap();
    assert!(first.starts_with(b"g,md5\n1,"), "{}", String::from_utf8_lossy(&first));
    drop(out);
    let t = std::time::Instant::now();
    let status = child.wait().unwrap();
    assert!(t.elapsed() < std::time::Duration::from_secs(10), "took {:?} after the pipe closed", t.elapsed());
    assert_eq!(status.code(), Some(0));
}
