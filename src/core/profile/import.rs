//! Finding connections users already have: DATABASE_URL, the PG* variables, pg_service.conf services and the
//! [client] section of ~/.my.cnf. Imported profiles never copy a password: they point at where it lives.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use secrecy::SecretString;

use super::{Engine, Origin, PasswordSource, Profile, TlsMode};

/// A profile found somewhere, or why one could not be made from what was found.
#[derive(Debug)]
pub struct Found {
    pub source: String,
    pub profile: Result<Profile, String>,
}

/// Everything importable, from the given environment (a map, so tests need not touch the process environment).
pub fn discover(env: &BTreeMap<String, String>) -> Vec<Found> {
    let mut out = Vec::new();
    // A pooled URL and the direct one beside it, as Prisma (directUrl) and Vercel/Supabase/Neon set them.
    for (pooled, direct, name) in [
        ("DATABASE_URL", "DIRECT_URL", "env-database-url"),
        ("POSTGRES_PRISMA_URL", "POSTGRES_URL_NON_POOLING", "env-postgres-prisma-url"),
    ] {
        let Some(url) = env.get(pooled).filter(|u| !u.trim().is_empty()) else { continue };
        let source = match env.get(direct) {
            Some(_) => format!("{pooled} + {direct}"),
            None => pooled.to_string(),
        };
        let profile = super::url::parse_url(url).and_then(|mut p| {
            if p.duckdb_cli.is_some() {
                // A variable in a project's .env must not choose a program dbconsole runs.
                return Err(format!(
                    "{pooled}: a duckdb: URL with cli= names a program to run; not imported (set duckdb_cli in the \
                     profiles file yourself)"
                ));
            }
            p.name = name.into();
            // The URL's password stays in the environment: read it from there at connect time.
            if matches!(p.password, PasswordSource::Plain(_)) {
                p.password = PasswordSource::Ask;
            }
            p.origin = Origin::Imported(source.clone());
            if let Some(du) = env.get(direct).filter(|u| !u.trim().is_empty()) {
                let mut d = super::url::parse_url(du).map_err(|e| format!("{direct}: {e}"))?;
                if d.engine != p.engine {
                    return Err(format!("{direct} is a {} URL and {pooled} a {} one", d.engine, p.engine));
                }
                d.name = p.name.clone();
                d.origin = p.origin.clone();
                d.password = p.password.clone();
                p.direct = Some(Box::new(d));
            }
            Ok(p)
        });
        out.push(Found { source, profile });
    }
    if ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE"].iter().any(|k| env.contains_key(*k)) {
        out.push(Found { source: "PG* environment variables".into(), profile: from_pg_env(env) });
    }
    let service_files = pg_service_files(env);
    for file in service_files {
        if let Ok(text) = std::fs::read_to_string(&file) {
            for (section, kv) in parse_ini(&text) {
                let source = format!("{} [{section}]", file.display());
                let profile = from_pg_params(&format!("pgservice-{}", sanitize(&section)), &kv, &source);
                out.push(Found { source, profile });
            }
        }
    }
    if let Some(path) = mycnf_path(env)
        && let Ok(text) = std::fs::read_to_string(&path)
    {
        let ini = parse_ini(&text);
        if let Some(client) = ini.get("client") {
            let source = format!("{} [client]", path.display());
            out.push(Found { source: source.clone(), profile: from_mycnf(client, &source) });
        }
    }
    out
}

/// The variables of a `.env` file (`KEY=value`, `export KEY=value`, single or double quotes, `#` comments), as
/// the apps that read it (dotenv) take them. Lines that are not assignments are skipped.
pub fn parse_dotenv(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else { continue };
        let k = k.trim();
        if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let v = v.trim();
        let value = if let Some(rest) = v.strip_prefix('"') {
            let inner = rest.rsplit_once('"').map_or(rest, |(a, _)| a);
            inner.replace("\\n", "\n").replace("\\\"", "\"")
        } else if let Some(rest) = v.strip_prefix('\'') {
            rest.rsplit_once('\'').map_or(rest, |(a, _)| a).to_string()
        } else {
            // An unquoted value ends at ` #` (a comment).
            v.split(" #").next().unwrap_or("").trim().to_string()
        };
        out.insert(k.to_string(), value);
    }
    out
}

fn sanitize(s: &str) -> String {
    s.chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect()
}

fn from_pg_env(env: &BTreeMap<String, String>) -> Result<Profile, String> {
    let mut kv = BTreeMap::new();
    for (var, key) in [
        ("PGHOST", "host"),
        ("PGPORT", "port"),
        ("PGUSER", "user"),
        ("PGDATABASE", "dbname"),
        ("PGSSLMODE", "sslmode"),
        ("PGSSLROOTCERT", "sslrootcert"),
    ] {
        if let Some(v) = env.get(var) {
            kv.insert(key.to_string(), v.clone());
        }
    }
    let mut p = from_pg_params("env-pg", &kv, "PG* environment variables")?;
    if env.contains_key("PGPASSWORD") {
        p.password = PasswordSource::Env("PGPASSWORD".into());
    }
    Ok(p)
}

fn from_pg_params(name: &str, kv: &BTreeMap<String, String>, source: &str) -> Result<Profile, String> {
    let mut p = Profile::sqlite(name, PathBuf::new());
    p.engine = Engine::Postgres;
    p.path = None;
    p.origin = Origin::Imported(source.to_string());
    p.host = kv.get("host").or_else(|| kv.get("hostaddr")).cloned().unwrap_or_else(|| "localhost".into());
    p.port = match kv.get("port") {
        Some(v) => {
            v.parse().ok().filter(|p| *p > 0).ok_or_else(|| format!("port `{v}` is not a number from 1 to 65535"))?
        }
        None => 5432,
    };
    p.user = kv.get("user").cloned();
    p.database = kv.get("dbname").cloned();
    if let Some(m) = kv.get("sslmode") {
        p.tls.mode = Some(TlsMode::parse(m)?);
    }
    p.tls.root_cert = kv.get("sslrootcert").map(PathBuf::from);
    p.tls.client_cert = kv.get("sslcert").map(PathBuf::from);
    p.tls.client_key = kv.get("sslkey").map(PathBuf::from);
    p.password = PasswordSource::Pgpass;
    super::raw::validate_host(&p.host).map_err(|e| e.to_string())?;
    Ok(p)
}

fn from_mycnf(kv: &BTreeMap<String, String>, source: &str) -> Result<Profile, String> {
    let mut p = Profile::sqlite("mycnf-client", PathBuf::new());
    p.engine = Engine::Mysql;
    p.path = None;
    p.origin = Origin::Imported(source.to_string());
    p.host = kv.get("host").cloned().unwrap_or_else(|| "localhost".into());
    if let Some(sock) = kv.get("socket")
        && !kv.contains_key("host")
    {
        p.host = sock.clone();
    }
    p.port = match kv.get("port") {
        Some(v) => {
            v.parse().ok().filter(|p| *p > 0).ok_or_else(|| format!("port `{v}` is not a number from 1 to 65535"))?
        }
        None => 3306,
    };
    p.user = kv.get("user").cloned();
    p.database = kv.get("database").cloned();
    if let Some(m) = kv.get("ssl-mode") {
        p.tls.mode = Some(TlsMode::parse(m)?);
    }
    p.tls.root_cert = kv.get("ssl-ca").map(PathBuf::from);
    p.password = if kv.contains_key("password") { PasswordSource::MyCnf } else { PasswordSource::Ask };
    Ok(p)
}

fn pg_service_files(env: &BTreeMap<String, String>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Some(f) = env.get("PGSERVICEFILE") {
        files.push(PathBuf::from(f));
    } else if let Some(home) = env.get("HOME") {
        files.push(Path::new(home).join(".pg_service.conf"));
    }
    if let Some(d) = env.get("PGSYSCONFDIR") {
        files.push(Path::new(d).join("pg_service.conf"));
    }
    files
}

fn mycnf_path(env: &BTreeMap<String, String>) -> Option<PathBuf> {
    env.get("HOME").map(|h| Path::new(h).join(".my.cnf"))
}

/// The [client] password of ~/.my.cnf, read at connect time.
pub fn mycnf_password() -> Result<Option<SecretString>, String> {
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let Some(path) = mycnf_path(&env) else { return Ok(None) };
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(parse_ini(&text).get("client").and_then(|c| c.get("password")).map(|p| SecretString::from(p.clone())))
}

/// A small INI reader for pg_service.conf and my.cnf: `[section]`, `key=value`, `#`/`;` comments, quoted values.
pub fn parse_ini(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut section: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') || line.starts_with('!') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = Some(name.trim().to_string());
            out.entry(name.trim().to_string()).or_default();
            continue;
        }
        let Some(sec) = &section else { continue };
        let (k, v) = line.split_once('=').unwrap_or((line, ""));
        let mut v = v.trim();
        if v.len() >= 2 && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\''))) {
            v = &v[1..v.len() - 1];
        }
        out.entry(sec.clone()).or_default().insert(k.trim().replace('_', "-"), v.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn database_url_and_pg_env() {
        let found = discover(&env(&[
            ("DATABASE_URL", "mysql://app:pw@127.0.0.1:3307/shop"),
            ("PGHOST", "127.0.0.1"),
            ("PGPORT", "6000"),
            ("PGUSER", "ann"),
            ("PGPASSWORD", "x"),
            ("PGSSLMODE", "require"),
        ]));
        let url = found[0].profile.as_ref().unwrap();
        assert_eq!((url.engine, url.port, url.database.as_deref()), (Engine::Mysql, 3307, Some("shop")));
        assert!(matches!(url.password, PasswordSource::Ask), "the URL's password is not copied");
        let pg = found[1].profile.as_ref().unwrap();
        assert_eq!((pg.host.as_str(), pg.port, pg.user.as_deref()), ("127.0.0.1", 6000, Some("ann")));
        assert_eq!(pg.tls.mode, Some(TlsMode::Require));
        assert!(matches!(&pg.password, PasswordSource::Env(v) if v == "PGPASSWORD"));
    }

    #[test]
    fn service_file_and_mycnf() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".pg_service.conf"),
            "# services\n[reporting]\nhost=10.0.0.5\nport=5433\ndbname=reports\nuser=rep\nsslmode=verify-full\n\n[bad]\nport=notaport\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join(".my.cnf"),
            "[client]\nuser = root\npassword = \"s3\"\nport=3307\n[mysqld]\nx=1\n",
        )
        .unwrap();
        let found = discover(&env(&[("HOME", dir.path().to_str().unwrap())]));
        let names: Vec<_> = found.iter().map(|f| f.profile.as_ref().map(|p| p.name.clone())).collect();
        assert_eq!(names.len(), 3, "{found:?}");
        let rep =
            found.iter().find_map(|f| f.profile.as_ref().ok().filter(|p| p.name == "pgservice-reporting")).unwrap();
        assert_eq!(
            (rep.port, rep.database.as_deref(), rep.tls.mode),
            (5433, Some("reports"), Some(TlsMode::VerifyFull))
        );
        let bad = found.iter().find(|f| f.source.ends_with("[bad]")).unwrap();
        assert!(bad.profile.as_ref().unwrap_err().contains("notaport"));
        let my = found.iter().find_map(|f| f.profile.as_ref().ok().filter(|p| p.name == "mycnf-client")).unwrap();
        assert_eq!((my.engine, my.port, my.user.as_deref()), (Engine::Mysql, 3307, Some("root")));
        assert!(matches!(my.password, PasswordSource::MyCnf));
    }

    #[test]
    fn pooled_and_direct_pairs_and_dotenv() {
        let text = "# app settings\n\u{feff}export DATABASE_URL=\"postgresql://u:s3cret@pool.example:6543/app?pgbouncer=true\"\n\
                    DIRECT_URL='postgresql://u:s3cret@db.example:5432/app' \n\
                    POSTGRES_PRISMA_URL=postgres://v@pooler:6543/v?pgbouncer=true # pooled\n\
                    POSTGRES_URL_NON_POOLING=postgres://v@direct:5432/v\n\
                    not an assignment\nBAD-KEY=x\nEMPTY=\n";
        let env = parse_dotenv(text);
        assert_eq!(env["DIRECT_URL"], "postgresql://u:s3cret@db.example:5432/app");
        assert_eq!(env["POSTGRES_PRISMA_URL"], "postgres://v@pooler:6543/v?pgbouncer=true");
        assert_eq!(env["EMPTY"], "");
        assert!(!env.contains_key("BAD-KEY"));
        let found = discover(&env);
        let a = found.iter().find(|f| f.source == "DATABASE_URL + DIRECT_URL").unwrap().profile.as_ref().unwrap();
        assert!(a.pooler && a.host == "pool.example" && a.port == 6543);
        let d = a.direct.as_ref().unwrap();
        assert_eq!((d.host.as_str(), d.port, d.pooler), ("db.example", 5432, false));
        assert!(
            matches!(a.password, PasswordSource::Ask) && matches!(d.password, PasswordSource::Ask),
            "no password copied"
        );
        let b = found.iter().find(|f| f.source.starts_with("POSTGRES_PRISMA_URL")).unwrap().profile.as_ref().unwrap();
        assert_eq!(b.direct.as_ref().unwrap().host, "direct");
        // A direct URL of another engine is refused, naming it.
        let env = BTreeMap::from([
            ("DATABASE_URL".to_string(), "postgres://a@h/db".to_string()),
            ("DIRECT_URL".to_string(), "mysql://a@h/db".to_string()),
        ]);
        let f = discover(&env);
        assert!(f[0].profile.as_ref().unwrap_err().contains("DIRECT_URL"), "{:?}", f[0].profile);
    }

    proptest::proptest! {
        #[test]
        fn dotenv_never_panics(s in "\\PC{0,200}") {
            let _ = parse_dotenv(&s);
        }
    }
}
