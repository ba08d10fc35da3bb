//! Connection URLs: `postgres://`, `postgresql://`, `mysql://`, `mariadb://`, `sqlite:PATH`, `duckdb:PATH`.
use std::path::PathBuf;

use secrecy::SecretString;

use super::{Engine, Origin, PasswordSource, Profile, TlsMode};

/// Parses a connection URL into an ad-hoc profile named `url`. The password, if any, becomes a
/// [`PasswordSource::Plain`] and is removed from the stored URL.
pub fn parse_url(input: &str) -> Result<Profile, String> {
    let input = input.trim();
    if let Some(rest) = input.strip_prefix("duckdb:") {
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if path.is_empty() {
            return Err("a duckdb: URL needs a file path, as in duckdb:/path/to/analytics.duckdb".into());
        }
        let path = percent_decode(path);
        if path.contains('\0') {
            return Err("a duckdb: URL's path cannot hold a NUL character".into());
        }
        let mut p = Profile::sqlite("url", super::raw::expand_home(&path));
        p.engine = Engine::Duckdb;
        p.read_only = true;
        p.origin = Origin::AdHoc;
        for (k, v) in query.split('&').filter(|s| !s.is_empty()).map(|kv| kv.split_once('=').unwrap_or((kv, ""))) {
            match k {
                "cli" if !v.is_empty() => {
                    let cli = super::raw::expand_home(&percent_decode(v));
                    if !cli.is_absolute() || cli.as_os_str().to_string_lossy().chars().any(char::is_control) {
                        return Err(format!("cli={v}: name the duckdb shell by an absolute path"));
                    }
                    p.duckdb_cli = Some(cli);
                }
                other => {
                    return Err(format!("unknown duckdb: URL option `{other}` (known: cli=PATH of the duckdb shell)"));
                }
            }
        }
        p.url = Some(input.to_string());
        return Ok(p);
    }
    if let Some(rest) = input.strip_prefix("sqlite:") {
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if path.is_empty() {
            return Err("a sqlite: URL needs a file path, as in sqlite:/path/to/app.db".into());
        }
        let mut p = Profile::sqlite("url", super::raw::expand_home(&percent_decode(path)));
        p.origin = Origin::AdHoc;
        for (k, v) in query.split('&').filter(|s| !s.is_empty()).map(|kv| kv.split_once('=').unwrap_or((kv, ""))) {
            match k {
                "mode" if v == "ro" => p.read_only = true,
                "mode" => {}
                other => return Err(format!("unknown sqlite: URL option `{other}` (known: mode=ro)")),
            }
        }
        p.url = Some(input.to_string());
        return Ok(p);
    }
    let parsed = url::Url::parse(input).map_err(|e| format!("not a valid connection URL: {e}"))?;
    // SQLAlchemy names the driver after a `+` (postgresql+psycopg2://, mysql+pymysql://).
    let engine = match parsed.scheme().split('+').next().unwrap_or("") {
        "postgres" | "postgresql" => Engine::Postgres,
        "mysql" | "mariadb" => Engine::Mysql,
        other => {
            return Err(format!(
                "unknown URL scheme `{other}:`: expected postgres://, postgresql://, mysql://, mariadb://, sqlite: or duckdb:"
            ));
        }
    };
    let mut p = Profile::sqlite("url", PathBuf::new());
    p.engine = engine;
    p.path = None;
    p.origin = Origin::AdHoc;
    p.host = match parsed.host() {
        Some(url::Host::Ipv6(a)) => a.to_string(),
        Some(h) => percent_decode(&h.to_string()),
        None => "localhost".to_string(),
    };
    p.port = parsed.port().unwrap_or(engine.default_port());
    if !parsed.username().is_empty() {
        p.user = Some(percent_decode(parsed.username()));
    }
    let db = parsed.path().trim_start_matches('/');
    if !db.is_empty() {
        p.database = Some(percent_decode(db));
    }
    p.password = match parsed.password() {
        Some(pw) => PasswordSource::Plain(SecretString::from(percent_decode(pw))),
        None if engine == Engine::Postgres => PasswordSource::Pgpass,
        None => PasswordSource::Ask,
    };
    for (k, v) in parsed.query_pairs() {
        match (engine, k.as_ref()) {
            (Engine::Postgres, "sslmode") | (Engine::Mysql, "ssl-mode" | "sslmode" | "ssl_mode") => {
                p.tls.mode = Some(TlsMode::parse(&v)?)
            }
            (Engine::Postgres, "sslrootcert") | (Engine::Mysql, "ssl-ca" | "ssl_ca") => {
                p.tls.root_cert = Some(PathBuf::from(v.as_ref()))
            }
            (Engine::Postgres, "sslcert") | (Engine::Mysql, "ssl-cert") => {
                p.tls.client_cert = Some(PathBuf::from(v.as_ref()))
            }
            (Engine::Postgres, "sslkey") | (Engine::Mysql, "ssl-key") => {
                p.tls.client_key = Some(PathBuf::from(v.as_ref()))
            }
            (Engine::Postgres, "host") => p.host = v.into_owned(),
            (Engine::Postgres, "port") => {
                p.port = v.parse().map_err(|_| format!("port `{v}` is not a number from 1 to 65535"))?
            }
            (Engine::Postgres, "user") => p.user = Some(v.into_owned()),
            (Engine::Postgres, "dbname") => p.database = Some(v.into_owned()),
            (_, "connect_timeout") => {
                p.pool.connect_timeout_secs = v.parse().map_err(|_| format!("connect_timeout `{v}` is not a number"))?
            }
            // Prisma's pool settings.
            (_, "connection_limit") => {
                p.pool.max_connections = v
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(format!("connection_limit `{v}` is not a number above 0"))?
            }
            (_, "pool_timeout") => {
                p.pool.acquire_timeout_secs = v.parse().map_err(|_| format!("pool_timeout `{v}` is not a number"))?
            }
            (Engine::Postgres, "schema" | "search_path" | "currentSchema") => {
                p.server_params.retain(|(k, _)| k != "search_path");
                p.server_params.push(("search_path".into(), server_value(&k, &v)?));
            }
            (Engine::Postgres, "pgbouncer") => p.pooler = matches!(v.as_ref(), "true" | "1" | "yes"),
            (_, "application_name" | "options" | "charset" | "collation" | "timezone") => {}
            (_, other) if OTHER_CLIENTS.contains(&other) => {
                p.notes.push(format!("URL option `{other}` matters only to other clients: ignored"))
            }
            // Go's pgx and lib/pq pass any other parameter to the server as a run-time setting; so does dbconsole.
            (Engine::Postgres, other) if is_setting_name(other) => {
                p.server_params.push((other.to_string(), server_value(other, &v)?))
            }
            (_, other) => return Err(format!("unknown {engine} URL option `{other}`")),
        }
    }
    if p.port == 0 {
        return Err("port must be between 1 and 65535".into());
    }
    p.url = Some(redact(input));
    Ok(p)
}

/// Options of other clients' URLs (Prisma, JDBC, libpq, drivers) that mean nothing to dbconsole.
const OTHER_CLIENTS: &[&str] = &[
    "socket_timeout",
    "sslaccept",
    "sslidentity",
    "sslpassword",
    "statement_cache_size",
    "target_session_attrs",
    "gssencmode",
    "channel_binding",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "prepareThreshold",
    "sslnegotiation",
    "sslmode_disable_fallback",
    "loginTimeout",
    "ApplicationName",
    "ssl",
    "pool",
    "max_idle_connection_lifetime",
    "sslfactory",
];

/// A PostgreSQL run-time parameter name (`work_mem`, `plan_cache_mode`, `myapp.tenant`).
fn is_setting_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
}

/// A setting's value as the server will get it: printable text only.
fn server_value(name: &str, v: &str) -> Result<String, String> {
    if v.is_empty() || v.chars().any(char::is_control) {
        return Err(format!("URL option `{name}` needs a printable value"));
    }
    Ok(v.to_string())
}

/// The URL with its password removed (`postgres://u@h/db`).
pub fn redact(input: &str) -> String {
    match url::Url::parse(input) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(None);
            u.to_string()
        }
        Ok(_) => input.to_string(),
        Err(_) => "(unparsable URL)".to_string(),
    }
}

/// A URL (or something typed as one, parsable or not) safe to show in a message or a log: the password of a
/// `user:password@` part and the value of any `password=` option become `***`. Use it wherever a URL the user
/// gave is formatted into text.
pub fn mask_password(input: &str) -> String {
    let scheme_end = match input.find("://") {
        Some(i) => i + 3,
        None if input.starts_with("sqlite:") || input.starts_with("duckdb:") => return mask_options(input),
        // No scheme: perhaps `user:password@host/db` typed without one.
        None => 0,
    };
    let rest = &input[scheme_end..];
    let masked = match (userinfo_end(rest), rest.find(':')) {
        (Some(at), Some(colon)) if colon < at => {
            format!("{}{}:***{}", &input[..scheme_end], &rest[..colon], &rest[at..])
        }
        _ => input.to_string(),
    };
    mask_options(&masked)
}

/// Where the `user:password` part of a URL (after its `scheme://`) ends: the last `@` before the options, so a
/// password holding `@`, `/` or `:` is covered; failing that (a password holding `?` or `#`), the last `@` at all.
/// A URL with an `@` only in its options may be masked more than needed, never less.
fn userinfo_end(rest: &str) -> Option<usize> {
    let options_at = rest.find(['?', '#']).unwrap_or(rest.len());
    rest[..options_at].rfind('@').or_else(|| rest.rfind('@'))
}

/// `password=…` (also `sslpassword`, any case) in a URL's options, up to the next `&` or `#`.
fn mask_options(input: &str) -> String {
    let Some(q) = input.find('?') else { return input.to_string() };
    let (head, options) = input.split_at(q + 1);
    let masked: Vec<String> = options
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if k.to_ascii_lowercase().contains("password") => format!("{k}=***"),
            _ => kv.to_string(),
        })
        .collect();
    format!("{head}{}", masked.join("&"))
}

/// The URL with `password` put back into it.
pub fn with_password(input: &str, password: &str) -> String {
    match url::Url::parse(input) {
        Ok(mut u) => {
            let _ = u.set_password(Some(password));
            u.to_string()
        }
        Err(_) => input.to_string(),
    }
}

pub fn url_has_password(input: &str) -> bool {
    url::Url::parse(input).map(|u| u.password().is_some()).unwrap_or(false)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn postgres_url_with_password_is_split() {
        let p = parse_url("postgres://alice:s%40cret@db.example.com:6543/app?sslmode=verify-full").unwrap();
        assert_eq!(p.engine, Engine::Postgres);
        assert_eq!(p.host, "db.example.com");
        assert_eq!(p.port, 6543);
        assert_eq!(p.user.as_deref(), Some("alice"));
        assert_eq!(p.database.as_deref(), Some("app"));
        assert_eq!(p.tls.mode, Some(TlsMode::VerifyFull));
        match &p.password {
            PasswordSource::Plain(s) => assert_eq!(s.expose_secret(), "s@cret"),
            other => panic!("{other:?}"),
        }
        assert!(!p.url.as_deref().unwrap().contains("cret"), "{:?}", p.url);
    }

    #[test]
    fn mysql_and_mariadb_and_sqlite() {
        assert_eq!(parse_url("mariadb://root@127.0.0.1/x").unwrap().engine, Engine::Mysql);
        assert_eq!(parse_url("mysql://root@127.0.0.1").unwrap().port, 3306);
        let s = parse_url("sqlite:/tmp/a b.db?mode=ro").unwrap();
        assert_eq!(s.path.as_deref(), Some(std::path::Path::new("/tmp/a b.db")));
        assert!(s.read_only);
        assert_eq!(parse_url("sqlite:///var/x.db").unwrap().path.unwrap(), PathBuf::from("/var/x.db"));
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        assert!(parse_url("oracle://x/y").unwrap_err().contains("unknown URL scheme `oracle:`"));
        assert!(parse_url("postgres://h:99999/db").unwrap_err().contains("not a valid connection URL"));
        assert!(parse_url("postgres://h/db?sslmode=sometimes").unwrap_err().contains("unknown TLS mode"));
        assert!(parse_url("sqlite:").unwrap_err().contains("needs a file path"));
        assert!(parse_url("postgres://h/db?frob-nicate=1").unwrap_err().contains("frob-nicate"));
        assert!(parse_url("mysql://h/db?frobnicate=1").unwrap_err().contains("frobnicate"));
        assert!(parse_url("postgres://h/db?search_path=%0a").unwrap_err().contains("printable"));
    }

    #[test]
    fn urls_apps_already_have() {
        let p = parse_url(
            "postgresql://u:pw@h:5432/db?pgbouncer=true&connect_timeout=15&connection_limit=3&pool_timeout=7&schema=s",
        )
        .unwrap();
        assert!(p.pooler);
        assert_eq!((p.pool.connect_timeout_secs, p.pool.max_connections, p.pool.acquire_timeout_secs), (15, 3, 7));
        assert_eq!(p.server_params, [("search_path".to_string(), "s".to_string())]);
        let p = parse_url("postgresql://h/db?search_path=family_tree&work_mem=64MB&sslaccept=strict").unwrap();
        assert_eq!(p.server_params.len(), 2);
        assert_eq!(p.notes.len(), 1);
        assert_eq!(parse_url("postgresql+asyncpg://h/db").unwrap().engine, Engine::Postgres);
        assert_eq!(parse_url("mysql+pymysql://h/db").unwrap().engine, Engine::Mysql);
    }

    #[test]
    fn mask_password_hides_every_form_of_password() {
        let cases = [
            ("postgres://u:SECRET@h/db?bogus=1", "postgres://u:***@h/db?bogus=1"),
            ("mysql://root:SE@CR:ET@127.0.0.1:3306/x", "mysql://root:***@127.0.0.1:3306/x"),
            ("postgres://u:SE/CRET@h/db", "postgres://u:***@h/db"),
            ("postgres://u@h/db?sslmode=require&password=SECRET", "postgres://u@h/db?sslmode=require&password=***"),
            ("postgres://h:5432/db", "postgres://h:5432/db"),
            ("sqlite:/tmp/a.db?mode=ro", "sqlite:/tmp/a.db?mode=ro"),
            ("postgres://u:SECRET@h:notaport/db", "postgres://u:***@h:notaport/db"),
            ("postgres://u:SE?CR#ET@h/db", "postgres://u:***@h/db"),
            ("u:SECRET@h/db", "u:***@h/db"),
            ("prod", "prod"),
        ];
        for (input, shown) in cases {
            assert_eq!(mask_password(input), shown, "{input}");
        }
    }

    #[test]
    fn redact_removes_only_the_password() {
        assert_eq!(redact("postgres://u:pw@h:1/d"), "postgres://u@h:1/d");
        assert_eq!(with_password("postgres://u@h:1/d", "p w"), "postgres://u:p%20w@h:1/d");
    }
}
