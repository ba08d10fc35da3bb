//! The profile form's tests.
use super::*;

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

fn type_text(f: &mut ProfileForm, s: &str) {
    for c in s.chars() {
        f.handle_key(&key(KeyCode::Char(c)));
    }
}

#[test]
fn validates_as_you_type_and_saves() {
    let mut f = ProfileForm::new(vec!["prod".into()]);
    assert!(f.errors.contains_key(&Field::Name), "empty name is an error at once");
    type_text(&mut f, "prod");
    assert!(f.errors[&Field::Name].contains("already exists"));
    type_text(&mut f, "2");
    assert!(!f.errors.contains_key(&Field::Name));
    // Engine → mysql moves the default port along.
    f.handle_key(&key(KeyCode::Tab));
    f.handle_key(&key(KeyCode::Right));
    assert_eq!(f.engine, Engine::Mysql);
    assert_eq!(f.value(Field::Port), "3306");
    // Port out of range.
    while f.focused() != Field::Port {
        f.handle_key(&key(KeyCode::Tab));
    }
    f.handle_key(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    type_text(&mut f, "70000");
    assert!(f.errors[&Field::Port].contains("out of range"));
    f.handle_key(&key(KeyCode::Backspace));
    assert!(!f.errors.contains_key(&Field::Port));
    match f.handle_key(&key(KeyCode::F(2))) {
        FormOutcome::Save { profile, replacing, create_file } => {
            assert_eq!(profile.name, "prod2");
            assert_eq!(profile.port, 7000);
            assert_eq!(profile.engine, Engine::Mysql);
            assert!(replacing.is_none());
            assert!(!create_file, "only for SQLite");
        }
        _ => panic!("expected save"),
    }
}

#[test]
fn sqlite_needs_a_path_and_bad_host_is_named() {
    let mut f = ProfileForm::new(vec![]);
    type_text(&mut f, "x");
    f.handle_key(&key(KeyCode::Tab));
    f.handle_key(&key(KeyCode::Left));
    assert_eq!(f.engine, Engine::Sqlite);
    assert!(f.errors[&Field::Path].contains("required"));
    f.handle_key(&key(KeyCode::Right));
    f.handle_key(&key(KeyCode::Tab));
    f.handle_key(&key(KeyCode::Tab));
    assert_eq!(f.focused(), Field::Host);
    type_text(&mut f, " bad");
    assert!(f.errors[&Field::Host].contains("not allowed"), "{:?}", f.errors);
    assert!(matches!(f.handle_key(&key(KeyCode::F(2))), FormOutcome::Continue));
    assert_eq!(f.focused(), Field::Host, "saving jumps to the first problem");
}

#[test]
fn url_with_password_is_refused() {
    let mut f = ProfileForm::new(vec![]);
    type_text(&mut f, "u");
    f.handle_key(&key(KeyCode::Tab));
    f.handle_key(&key(KeyCode::Tab));
    assert_eq!(f.focused(), Field::Url);
    type_text(&mut f, "postgres://a:secret@h/db");
    assert!(f.errors[&Field::Url].contains("remove the password"));
}

#[test]
fn editing_keeps_the_direct_url_and_its_own_password() {
    use secrecy::ExposeSecret;
    let raw = crate::core::profile::raw::RawProfile {
        url: Some("postgres://pool@pooler:6543/app?pgbouncer=true".into()),
        direct_url: Some("postgres://owner:own%20pw@db:5432/app".into()),
        password_source: Some(PasswordKind::Env),
        password_env: Some("APP_PW".into()),
        ..Default::default()
    };
    let p = raw.into_profile("app", Origin::File { line: 1 }).unwrap();
    let mut f = ProfileForm::from_profile(&p, FormMode::Edit { original: "app".into() }, vec!["app".into()]);
    match f.handle_key(&key(KeyCode::F(2))) {
        FormOutcome::Save { profile, .. } => {
            let d = profile.direct.as_ref().expect("the direct URL survives an edit");
            assert_eq!(d.target(), "owner@db:5432/app");
            assert!(
                matches!(&d.password, crate::core::profile::PasswordSource::Plain(s) if s.expose_secret() == "own pw")
            );
        }
        _ => panic!("expected save"),
    }
}
