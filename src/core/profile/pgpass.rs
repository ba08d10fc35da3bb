//! ~/.pgpass (or PGPASSFILE) lookups, with libpq's rules: `host:port:database:user:password`, `*` matches
//! anything, `\:` and `\\` escape, and a file readable by others is ignored.
use std::path::PathBuf;

use secrecy::SecretString;

pub fn default_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PGPASSFILE") {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pgpass"))
}

fn split_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next()
                    && let Some(last) = fields.last_mut()
                {
                    last.push(n);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            _ => {
                if let Some(last) = fields.last_mut() {
                    last.push(c)
                }
            }
        }
    }
    fields
}

/// Finds the password for a connection in pgpass-formatted `text`.
pub fn lookup_in(text: &str, host: &str, port: u16, database: &str, user: &str) -> Option<SecretString> {
    let host = if host.starts_with('/') { "localhost" } else { host };
    let port = port.to_string();
    for line in text.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f = split_fields(line);
        if f.len() != 5 {
            continue;
        }
        let m = |pat: &str, v: &str| pat == "*" || pat == v;
        if m(&f[0], host) && m(&f[1], &port) && m(&f[2], database) && m(&f[3], user) {
            return Some(SecretString::from(f[4].clone()));
        }
    }
    None
}

/// Looks the connection up in the user's pgpass file. `Err` explains why the file was not used.
pub fn lookup(host: &str, port: u16, database: &str, user: &str) -> Result<Option<SecretString>, String> {
    let Some(path) = default_path() else { return Ok(None) };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    if !crate::core::fsutil::is_owner_only(&path).unwrap_or(true) {
        return Err(format!("{} is readable by others and is ignored, as libpq does: chmod 600 it", path.display()));
    }
    Ok(lookup_in(&text, host, port, database, user))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn matches_with_wildcards_and_escapes() {
        let text = "# comment\ndb.example.com:5432:app:alice:pw\\:with\\\\colon\n*:*:*:bob:bobpw\n";
        assert_eq!(lookup_in(text, "db.example.com", 5432, "app", "alice").unwrap().expose_secret(), "pw:with\\colon");
        assert_eq!(lookup_in(text, "other", 1, "x", "bob").unwrap().expose_secret(), "bobpw");
        assert!(lookup_in(text, "db.example.com", 5433, "app", "alice").is_none());
        assert_eq!(lookup_in("localhost:5432:*:u:p", "/run/postgresql", 5432, "d", "u").unwrap().expose_secret(), "p");
    }
}
