//! The profiles file: round trips, edits that keep comments, line-numbered problems, permissions.
use dbconsole::core::profile::file::{self, EditError};
use dbconsole::core::profile::{Engine, Environment, Origin, PasswordSource, TlsMode};

use crate::common::*;

const FULL: &str = r#"# my profiles
default = "prod"

# the production database
[profiles.prod]
engine = "postgres"
host = "db.internal"
port = 6432
database = "app"
user = "admin"
environment = "production"
read_only = true
password_source = "command"
password_command = "pass show prod-db"

[profiles.prod.tls]
mode = "verify-full"
root_cert = "/etc/ssl/corp-ca.pem"

[profiles.prod.pool]
max_connections = 3
connect_timeout_secs = 4

[profiles.shop]
url = "mariadb://shop@127.0.0.1:3307/shop?ssl-mode=required"
password_source = "env"
password_env = "SHOP_PW"

[profiles.local]
engine = "sqlite"
path = "/tmp/local.db"
"#;

#[test]
fn full_file_loads_every_field() {
    let sb = Sandbox::new();
    sb.write_profiles(FULL);
    let set = file::load(&sb.profiles_file());
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    assert_eq!(set.default.as_deref(), Some("prod"));
    let prod = set.get("prod").unwrap();
    assert_eq!((prod.engine, prod.host.as_str(), prod.port), (Engine::Postgres, "db.internal", 6432));
    assert_eq!((prod.database.as_deref(), prod.user.as_deref()), (Some("app"), Some("admin")));
    assert_eq!(prod.environment, Environment::Production);
    assert!(prod.read_only);
    assert!(matches!(&prod.password, PasswordSource::Command(c) if c == "pass show prod-db"));
    assert_eq!(prod.tls.mode, Some(TlsMode::VerifyFull));
    assert_eq!(prod.pool.max_connections, 3);
    assert_eq!(prod.pool.connect_timeout_secs, 4);
    assert_eq!(prod.origin, Origin::File { line: 5 });
    let shop = set.get("shop").unwrap();
    assert_eq!((shop.engine, shop.port, shop.tls.mode), (Engine::Mysql, 3307, Some(TlsMode::Require)));
    assert!(matches!(&shop.password, PasswordSource::Env(v) if v == "SHOP_PW"));
    assert_eq!(set.get("local").unwrap().path.as_deref(), Some(std::path::Path::new("/tmp/local.db")));
}

#[test]
fn edits_keep_comments_and_other_profiles_and_round_trip() {
    let sb = Sandbox::new();
    sb.write_profiles(FULL);
    let path = sb.profiles_file();
    let set = file::load(&path);
    let mut p = set.get("local").unwrap().clone();
    p.name = "local2".into();
    p.read_only = true;
    file::save_profile(&path, &p, Some("local")).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("# my profiles") && text.contains("# the production database"), "{text}");
    assert!(!text.contains("[profiles.local]"), "renamed: {text}");
    let again = file::load(&path);
    assert!(again.problems.is_empty(), "{:?}", again.problems);
    assert!(again.get("local2").unwrap().read_only);
    // Every profile survives a save → load round trip unchanged.
    for original in &set.profiles {
        let sb2 = Sandbox::new();
        file::save_profile(&sb2.profiles_file(), original, None).unwrap();
        let loaded = file::load(&sb2.profiles_file());
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        let back = loaded.get(&original.name).unwrap();
        assert_eq!(
            format!(
                "{:?}",
                (
                    back.engine,
                    &back.host,
                    back.port,
                    &back.database,
                    &back.user,
                    &back.path,
                    &back.tls,
                    &back.pool,
                    back.read_only,
                    back.environment,
                    back.password.describe()
                )
            ),
            format!(
                "{:?}",
                (
                    original.engine,
                    &original.host,
                    original.port,
                    &original.database,
                    &original.user,
                    &original.path,
                    &original.tls,
                    &original.pool,
                    original.read_only,
                    original.environment,
                    original.password.describe()
                )
            ),
        );
        assert_eq!(mode(&sb2.profiles_file()), 0o600);
    }
    // Adding an existing name is refused; removing a missing one says so.
    assert!(matches!(file::save_profile(&path, &p, None), Err(EditError::Exists(n)) if n == "local2"));
    assert!(matches!(file::remove_profile(&path, "ghost"), Err(EditError::Missing(_))));
    file::remove_profile(&path, "prod").unwrap();
    let after = file::load(&path);
    assert!(after.get("prod").is_none());
    assert_eq!(after.default, None, "the default pointing at a removed profile is removed too");
}

#[test]
fn toml_syntax_error_names_line_and_file_is_never_written() {
    let sb = Sandbox::new();
    let text = "[profiles.a]\nengine = \"sqlite\"\npath = \"/x.db\"\n\n[profiles.b\nengine = \"postgres\"\n";
    sb.write_profiles(text);
    let path = sb.profiles_file();
    let set = file::load(&path);
    assert!(set.broken);
    assert!(set.profiles.is_empty());
    let p = &set.problems[0];
    assert_eq!(p.line, Some(5), "{p}");
    assert!(p.to_string().starts_with(&format!("{}:5:", path.display())), "{p}");
    let demo = dbconsole::core::profile::Profile::sqlite("new", "/y.db".into());
    assert!(matches!(file::save_profile(&path, &demo, None), Err(EditError::Broken { .. })));
    assert!(matches!(file::remove_profile(&path, "a"), Err(EditError::Broken { .. })));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "the file is untouched");
}

#[test]
fn field_problems_name_the_line_and_other_profiles_still_load() {
    let sb = Sandbox::new();
    let text = r#"[profiles.good]
engine = "sqlite"
path = "/ok.db"

[profiles.oracle]
engine = "oracle"
host = "x"

[profiles.bigport]
engine = "postgres"
port = 70000

[profiles.badurl]
url = "postgres://h:notaport/db"

[profiles.nopath]
engine = "sqlite"

[profiles.typo]
engine = "postgres"
hots = "x"

[profiles.both]
url = "postgres://h/db"
host = "y"
"#;
    sb.write_profiles(text);
    let set = file::load(&sb.profiles_file());
    assert!(!set.broken);
    assert_eq!(set.profiles.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["good"]);
    let find = |name: &str| {
        set.problems
            .iter()
            .find(|p| p.profile.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("{name}: {:?}", set.problems))
    };
    let o = find("oracle");
    assert!(o.message.contains("unknown variant `oracle`"), "{o}");
    assert_eq!(o.line, Some(6), "{o}");
    let b = find("bigport");
    assert!(b.message.contains("70000") || b.message.contains("u16") || b.message.contains("range"), "{b}");
    let u = find("badurl");
    assert!(u.message.contains("url") && u.message.contains("not a valid connection URL"), "{u}");
    assert_eq!(u.line, Some(14), "{u}");
    let n = find("nopath");
    assert!(n.message.contains("path"), "{n}");
    let t = find("typo");
    assert!(t.message.contains("hots"), "{t}");
    let both = find("both");
    assert!(both.message.contains("both set"), "{both}");
    assert_eq!(both.line, Some(25), "{both}");
    assert!(set.taken("oracle"), "a broken profile's name is still taken");
}

#[test]
fn plain_password_needs_an_owner_only_file() {
    let sb = Sandbox::new();
    let text = "[profiles.p]\nengine = \"postgres\"\nhost = \"h\"\npassword = \"hunter2-plain\"\n\n[profiles.u]\nurl = \"postgres://a:urlpw@h/db\"\n";
    sb.write_profiles(text);
    let set = file::load(&sb.profiles_file());
    assert!(set.get("p").unwrap().stores_plain_password());
    assert!(set.get("u").unwrap().stores_plain_password());
    assert!(!set.get("u").unwrap().url.as_deref().unwrap().contains("urlpw"), "the URL in memory has no password");
    set_mode(&sb.profiles_file(), 0o644);
    let set = file::load(&sb.profiles_file());
    assert!(set.profiles.is_empty());
    assert_eq!(set.problems.len(), 2, "{:?}", set.problems);
    for p in &set.problems {
        assert!(p.message.contains("readable by others (mode 0644)") && p.message.contains("chmod 600"), "{p}");
        assert!(!p.message.contains("hunter2") && !p.message.contains("urlpw"));
    }
    assert_eq!(set.problems[0].line, Some(4));
}

#[test]
fn created_files_and_directories_are_owner_only() {
    let sb = Sandbox::new();
    let out = sb.run(&["profile", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&sb.profiles_file()), 0o600);
    assert_eq!(mode(&sb.config()), 0o700);
    assert_eq!(mode(&sb.data().join("logs")), 0o700);
    let out = sb.run(&["profile", "test", "demo"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(mode(&sb.data().join("demo.sqlite")), 0o600);
    assert_eq!(mode(&sb.data()), 0o700);
}
