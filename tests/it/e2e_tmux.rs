//! End to end: the real binary in a real terminal (tmux): add a profile through the form, test it, read the verdict.
use crate::common::*;

#[test]
fn add_profile_through_the_form_test_it_and_read_the_verdict() {
    let sb = Sandbox::new();
    let t = Tmux::start(&sb, "form", 80, 24);
    t.wait_for("Profiles (1)");
    t.wait_for("connected");
    t.keys(&["a"]);
    t.wait_for("New profile");
    t.text("e2epg");
    t.keys(&["Tab", "Tab", "Tab"]); // engine (postgres), URL, host
    t.keys(&["C-u"]);
    t.text("127.0.0.1");
    t.keys(&["Tab", "C-u"]);
    t.text(&pg_port().to_string());
    t.keys(&["Tab"]);
    t.text("dbc");
    t.keys(&["Tab"]);
    t.text("dbc");
    t.keys(&["Tab", "Right", "Right"]); // environment: production
    t.keys(&["Tab", "Tab", "Right"]); // read-only stays no; password from: env
    t.wait_for("Env variable");
    t.keys(&["Tab"]);
    t.text("DBC_TEST_PG_PASSWORD");
    t.keys(&["F2"]);
    t.wait_for("saved profile `e2epg`");
    // The list is reloaded from the file right after the save message: wait for it.
    let screen = t.wait_for("PROD");
    assert!(screen.contains("e2epg") && screen.contains("PROD"), "{screen}");
    t.keys(&["j"]);
    t.wait_for("writes ask first");
    t.keys(&["t"]);
    let screen = t.wait_for("Connection test: OK");
    let screen = if screen.contains("PostgreSQL 15") { screen } else { t.wait_for("PostgreSQL 15") };
    assert!(screen.contains("authentication"), "{screen}");
    let file = std::fs::read_to_string(sb.profiles_file()).unwrap();
    assert!(file.contains("[profiles.e2epg]") && file.contains("password_env = \"DBC_TEST_PG_PASSWORD\""), "{file}");
    assert!(file.contains("environment = \"production\""), "{file}");
    assert!(!file.contains(&env("DBC_TEST_PG_PASSWORD")));

    // Copy it to a port where nothing listens, test, and read the diagnosis.
    t.keys(&["c"]);
    t.wait_for("e2epg-copy");
    for _ in 0..4 {
        t.keys(&["Tab"]);
    }
    t.keys(&["C-u"]);
    t.text(&closed_port().to_string());
    t.keys(&["F2"]);
    t.wait_for("saved profile `e2epg-copy`");
    t.keys(&["j", "t"]);
    let screen = t.wait_for("FAILED");
    assert!(screen.contains("connection refused"), "{screen}");
    assert!(screen.contains("Check:"), "{screen}");

    // Quit: the terminal is given back and the shell sees exit code 0.
    t.keys(&["q"]);
    let screen = t.wait_for("DBCONSOLE-EXITED-0");
    assert!(!screen.contains("Profiles ("), "the alternate screen is gone: {screen}");
}

#[test]
fn a_password_asked_for_is_typed_masked() {
    let sb = Sandbox::new();
    sb.write_profiles(&format!(
        "[profiles.ask]\nengine = \"mysql\"\nhost = \"127.0.0.1\"\nport = {}\ndatabase = \"dbc\"\nuser = \"dbc\"\npassword_source = \"ask\"\n",
        my_port()
    ));
    let t = Tmux::start(&sb, "password", 100, 30);
    // Start-up connects to the only profile, which asks for its password.
    t.wait_for("Password for ask");
    let pw = env("DBC_TEST_MY_PASSWORD");
    t.text(&pw);
    let screen = t.wait_for(&"•".repeat(pw.chars().count()));
    assert!(!screen.contains(&pw), "the password is never on screen: {screen}");
    t.keys(&["Enter"]);
    t.wait_for("connected to");
    // The typed password is remembered for the session: the test does not ask again.
    t.keys(&["t"]);
    let screen = t.wait_for("Connection test: OK");
    assert!(!screen.contains(&pw));
    t.keys(&["C-c"]);
    t.wait_for("DBCONSOLE-EXITED-0");
}
