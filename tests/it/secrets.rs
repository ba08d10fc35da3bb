//! No password in a log, a profile file it was not written in, the screen, or an error message.
use crate::common::*;

#[test]
fn passwords_never_reach_logs_files_or_output() {
    let sb = Sandbox::new();
    let pg_pw = env("DBC_TEST_PG_PASSWORD");
    let my_pw = env("DBC_TEST_MY_PASSWORD");
    let wrong = "wrong-pw-Zq81-never-print";
    // The command prints the wrong password without the password standing in the command itself.
    let wrong_b64 = "d3JvbmctcHctWnE4MS1uZXZlci1wcmludA==";
    let text = format!(
        "[profiles.pg]\nengine = \"postgres\"\nhost = \"127.0.0.1\"\nport = {pg}\ndatabase = \"dbc\"\nuser = \"dbc\"\npassword_source = \"env\"\npassword_env = \"DBC_TEST_PG_PASSWORD\"\n\n\
         [profiles.pgwrong]\nengine = \"postgres\"\nhost = \"127.0.0.1\"\nport = {pg}\nuser = \"dbc\"\npassword_source = \"command\"\npassword_command = \"echo {wrong_b64} | base64 -d\"\n\n\
         [profiles.my]\nengine = \"mysql\"\nhost = \"127.0.0.1\"\nport = {my}\nuser = \"dbc\"\npassword_source = \"env\"\npassword_env = \"DBC_TEST_MY_PASSWORD\"\n\n\
         [profiles.mywrong]\nengine = \"mysql\"\nhost = \"127.0.0.1\"\nport = {my}\nuser = \"dbc\"\npassword_source = \"command\"\npassword_command = \"echo {wrong_b64} | base64 -d\"\n",
        pg = pg_port(),
        my = my_port(),
    );
    sb.write_profiles(&text);
    let mut outputs = String::new();
    for (name, ok) in [("pg", true), ("pgwrong", false), ("my", true), ("mywrong", false)] {
        for extra in [&["--json"][..], &[][..]] {
            let mut args = vec!["--log-level", "trace", "profile", "test", name];
            args.extend_from_slice(extra);
            let out = sb.run(&args);
            assert_eq!(out.status.success(), ok, "{name}: {}{}", stdout(&out), stderr(&out));
            outputs.push_str(&stdout(&out));
            outputs.push_str(&stderr(&out));
        }
    }
    outputs.push_str(&stdout(&sb.run(&["profile", "show", "pg", "--json"])));
    outputs.push_str(&stdout(&sb.run(&["profile", "list", "--json"])));
    let logs = sb.logs();
    assert!(logs.contains("connection test"), "the log was written: {logs}");
    let file = std::fs::read_to_string(sb.profiles_file()).unwrap();
    for secret in [pg_pw.as_str(), my_pw.as_str()] {
        assert!(!logs.contains(secret), "password in the log");
        assert!(!outputs.contains(secret), "password in the output");
        assert!(!file.contains(secret), "password in the profiles file");
    }
    assert!(!logs.contains(wrong) && !outputs.contains(wrong), "a wrong password is not echoed either");
}

#[test]
fn a_stored_plain_password_is_never_shown() {
    let sb = Sandbox::new();
    sb.write_profiles("[profiles.p]\nengine = \"postgres\"\nhost = \"127.0.0.1\"\npassword = \"plain-Secret-771\"\n[profiles.u]\nurl = \"mysql://u:url-Secret-772@127.0.0.1/x\"\n");
    let mut all = String::new();
    for args in [
        &["profile", "list"][..],
        &["profile", "list", "--json"],
        &["profile", "show", "p"],
        &["profile", "show", "u", "--json"],
    ] {
        let out = sb.run(args);
        assert!(out.status.success());
        all.push_str(&stdout(&out));
        all.push_str(&stderr(&out));
    }
    assert!(all.contains("stored in file") || all.contains("stores_plain_password"), "{all}");
    assert!(!all.contains("plain-Secret-771") && !all.contains("url-Secret-772"), "{all}");
    assert!(!sb.logs().contains("Secret-77"));
}
