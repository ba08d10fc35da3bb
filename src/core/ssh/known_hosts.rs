//! OpenSSH `known_hosts` files: parsing, host-key verdicts and appending new keys.
//!
//! The rules follow OpenSSH's `sshd(8)` "SSH_KNOWN_HOSTS FILE FORMAT" and `hostfile.c`:
//!
//! * A line is `[marker] patterns keytype base64 [comment]`; blank lines and `#` comments are skipped, and so are
//!   malformed lines (each with a [`Warning`]).
//! * Every line, `@revoked` ones included, applies only to hosts its pattern list matches (use `*` to revoke a key
//!   for every host). A matching `@revoked` line wins over everything else, wherever it sits in the files.
//! * Host names are compared case-insensitively; a non-default port is written and matched as `[host]:port`.
//! * A certificate is trusted when a matching `@cert-authority` line holds its signing key and the certificate is a
//!   valid host certificate naming the host. When that fails, the certificate's own key is checked like a plain key
//!   (OpenSSH retries the same way), so a host pinned by key keeps working.

use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use russh::keys::ssh_key::certificate::CertType;
use russh::keys::ssh_key::public::KeyData;
use russh::keys::{Algorithm, Certificate, HashAlg, PublicKey};
use sha1::Sha1;

/// The marker that may start a known_hosts line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// A plain host key line.
    None,
    /// `@cert-authority`: the key is a CA whose host certificates are trusted for the matching hosts.
    CertAuthority,
    /// `@revoked`: the key must never be accepted for the matching hosts.
    Revoked,
}

/// One valid line of a known_hosts file.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The file the line came from.
    pub file: PathBuf,
    /// The 1-based line number in that file.
    pub line: usize,
    /// The line's marker, if any.
    pub marker: Marker,
    /// The host pattern field exactly as written (comma-separated, possibly hashed).
    pub patterns: String,
    /// The key on the line (its comment is the rest of the line, if any).
    pub key: PublicKey,
}

/// A problem found while reading known_hosts files; the line (or file) was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The file concerned.
    pub file: PathBuf,
    /// The 1-based line number, or 0 when the whole file is concerned.
    pub line: usize,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
        }
    }
}

/// The entries of one or more known_hosts files, in file order, with the warnings met while reading them.
#[derive(Debug, Clone, Default)]
pub struct KnownHosts {
    /// Every valid line, in the order read.
    pub entries: Vec<Entry>,
    /// Skipped lines and unreadable files.
    pub warnings: Vec<Warning>,
}

/// What the server presented as its host key.
#[derive(Debug, Clone, Copy)]
pub enum Presented<'a> {
    /// A plain public key.
    Key(&'a PublicKey),
    /// A host certificate.
    Certificate(&'a Certificate),
}

/// The outcome of checking a presented host key against the known_hosts entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A plain line for this host holds exactly this key.
    Known {
        /// File of the matching line.
        file: PathBuf,
        /// 1-based line number of the matching line.
        line: usize,
    },
    /// Signed by a @cert-authority key that covers the host; principals and validity checked.
    CertTrusted {
        /// File of the @cert-authority line.
        file: PathBuf,
        /// 1-based line number of the @cert-authority line.
        line: usize,
    },
    /// A @revoked line lists this key (or the certificate's key, or the CA that signed it).
    Revoked {
        /// File of the @revoked line.
        file: PathBuf,
        /// 1-based line number of the @revoked line.
        line: usize,
    },
    /// The host is known with other key(s) of the same algorithm family and none matches: OpenSSH's "REMOTE HOST
    /// IDENTIFICATION HAS CHANGED". `known_fingerprint` is the SHA256 fingerprint of the first such known key.
    Changed {
        /// File of the first line with a different key of the same family.
        file: PathBuf,
        /// 1-based line number of that line.
        line: usize,
        /// SHA256 fingerprint of the key on that line.
        known_fingerprint: String,
    },
    /// A certificate that no trusted CA signed validly; the reason says why (expired, wrong principal, not a host
    /// certificate, CA not trusted, bad signature).
    CertInvalid {
        /// Why the certificate was refused.
        reason: String,
    },
    /// No line names this host for this key type.
    Unknown,
}

/// Length in bytes of a SHA-1 digest, which is also the salt length OpenSSH writes for hashed host names.
const SHA1_LEN: usize = 20;

impl KnownHosts {
    /// Reads each file in order; a missing file is no error (it is simply empty); an unreadable one is a Warning.
    pub fn load(files: &[PathBuf]) -> KnownHosts {
        let mut all = KnownHosts::default();
        for file in files {
            match fs::read(file) {
                Ok(bytes) => {
                    let parsed = KnownHosts::parse(&String::from_utf8_lossy(&bytes), file);
                    all.entries.extend(parsed.entries);
                    all.warnings.extend(parsed.warnings);
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    all.warnings.push(Warning { file: file.clone(), line: 0, message: format!("cannot read: {e}") })
                }
            }
        }
        all
    }

    /// Parses one file's text. Malformed lines are skipped with a Warning naming file:line (OpenSSH skips them too).
    pub fn parse(text: &str, file: &Path) -> KnownHosts {
        let mut out = KnownHosts::default();
        for (index, raw) in text.lines().enumerate() {
            let line = index.saturating_add(1);
            match parse_line(raw) {
                Ok(None) => {}
                Ok(Some((marker, patterns, key))) => {
                    out.entries.push(Entry { file: file.to_path_buf(), line, marker, patterns, key })
                }
                Err(message) => out.warnings.push(Warning { file: file.to_path_buf(), line, message }),
            }
        }
        out
    }

    /// The verdict for `presented` offered by `host` at `port`.
    ///
    /// `now_unix` is the time at which a certificate must be valid. A plain key whose key data is a certificate is
    /// checked as the certificate.
    pub fn check(&self, host: &str, port: u16, presented: &Presented<'_>, now_unix: u64) -> Verdict {
        let matching: Vec<&Entry> = self.matching(host, port).collect();
        match presented {
            Presented::Key(key) => match key.key_data().certificate() {
                Some(cert) => check_certificate(&matching, host, cert, now_unix),
                None => check_plain(&matching, key.key_data()),
            },
            Presented::Certificate(cert) => check_certificate(&matching, host, cert, now_unix),
        }
    }

    /// Key algorithms known for this host, in file order, deduplicated (used to ask the server for a key type we
    /// know). Only plain (unmarked) lines count.
    pub fn algorithms_for(&self, host: &str, port: u16) -> Vec<Algorithm> {
        let mut algorithms: Vec<Algorithm> = Vec::new();
        for entry in self.matching(host, port).filter(|e| e.marker == Marker::None) {
            let algorithm = entry.key.algorithm();
            if !algorithms.contains(&algorithm) {
                algorithms.push(algorithm);
            }
        }
        algorithms
    }

    /// True when a @cert-authority line covers this host.
    pub fn has_cert_authority_for(&self, host: &str, port: u16) -> bool {
        self.matching(host, port).any(|e| e.marker == Marker::CertAuthority)
    }

    /// The entries whose pattern list matches `host` at `port`, in file order.
    fn matching<'a>(&'a self, host: &'a str, port: u16) -> impl Iterator<Item = &'a Entry> + 'a {
        self.entries.iter().filter(move |e| patterns_match(&e.patterns, host, port))
    }
}

/// Checks a plain key against the entries already known to match the host.
fn check_plain(matching: &[&Entry], key: &KeyData) -> Verdict {
    if let Some(e) = matching.iter().find(|e| e.marker == Marker::Revoked && e.key.key_data() == key) {
        return Verdict::Revoked { file: e.file.clone(), line: e.line };
    }
    let plain = || matching.iter().filter(|e| e.marker == Marker::None);
    if let Some(e) = plain().find(|e| e.key.key_data() == key) {
        return Verdict::Known { file: e.file.clone(), line: e.line };
    }
    let wanted = family(&key.algorithm());
    if let Some(e) = plain().find(|e| family(&e.key.algorithm()) == wanted) {
        return Verdict::Changed { file: e.file.clone(), line: e.line, known_fingerprint: fingerprint(&e.key) };
    }
    Verdict::Unknown
}

/// Checks a host certificate against the entries already known to match the host.
///
/// Order: a @revoked line for the certificate's key or its CA wins; then a matching @cert-authority line with a
/// valid certificate gives `CertTrusted`; otherwise the certificate's own key is checked as a plain key. When that
/// finds nothing better than `Changed`/`Unknown` and a @cert-authority line covers the host, the certificate's
/// problem is reported as `CertInvalid` (it is the more precise diagnosis).
fn check_certificate(matching: &[&Entry], host: &str, cert: &Certificate, now_unix: u64) -> Verdict {
    let inner = cert.public_key();
    let ca = cert.signature_key();
    let revoked =
        matching.iter().find(|e| e.marker == Marker::Revoked && (e.key.key_data() == inner || e.key.key_data() == ca));
    if let Some(e) = revoked {
        return Verdict::Revoked { file: e.file.clone(), line: e.line };
    }
    let mut reason = None;
    let authorities: Vec<&&Entry> = matching.iter().filter(|e| e.marker == Marker::CertAuthority).collect();
    if !authorities.is_empty() {
        match authorities.iter().find(|e| e.key.key_data() == ca) {
            Some(e) => match validate_host_certificate(cert, host, &e.key, now_unix) {
                Ok(()) => return Verdict::CertTrusted { file: e.file.clone(), line: e.line },
                Err(why) => reason = Some(why),
            },
            None => {
                reason = Some(format!(
                    "certificate signed by CA {} which is not trusted for this host",
                    ca.fingerprint(HashAlg::Sha256)
                ))
            }
        }
    }
    match (check_plain(matching, inner), reason) {
        (verdict @ Verdict::Known { .. }, _) => verdict,
        (_, Some(reason)) => Verdict::CertInvalid { reason },
        (verdict, None) => verdict,
    }
}

/// Checks that `cert`, signed by `ca`, is a currently valid host certificate for `host`.
fn validate_host_certificate(cert: &Certificate, host: &str, ca: &PublicKey, now_unix: u64) -> Result<(), String> {
    if cert.cert_type() != CertType::Host {
        return Err("not a host certificate (it is a user certificate)".to_string());
    }
    if cert.verify_signature().is_err() {
        return Err("bad signature on certificate".to_string());
    }
    if now_unix < cert.valid_after() {
        return Err("certificate is not yet valid".to_string());
    }
    if now_unix >= cert.valid_before() {
        return Err("certificate has expired".to_string());
    }
    let principals = cert.valid_principals();
    if principals.is_empty() {
        return Err("certificate names no host".to_string());
    }
    if !principals.iter().any(|p| p.eq_ignore_ascii_case(host)) {
        return Err(format!("certificate is not valid for host `{host}` (it names {})", principals.join(", ")));
    }
    let ca_fingerprint = ca.fingerprint(HashAlg::Sha256);
    cert.validate_at(now_unix, [&ca_fingerprint]).map_err(|e| format!("certificate validation failed: {e}"))
}

/// The algorithm family used to decide "changed": RSA variants are one family, everything else is its own.
fn family(algorithm: &Algorithm) -> Algorithm {
    match algorithm {
        Algorithm::Rsa { .. } => Algorithm::Rsa { hash: None },
        other => other.clone(),
    }
}

/// Parses one line: `Ok(None)` for blank and comment lines, `Err(reason)` for malformed ones.
fn parse_line(raw: &str) -> Result<Option<(Marker, String, PublicKey)>, String> {
    let is_blank = |c: char| c == ' ' || c == '\t';
    let line = raw.trim_start_matches(is_blank);
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let mut fields = line.split(is_blank).filter(|f| !f.is_empty());
    let mut first = fields.next().ok_or("empty line")?;
    let marker = if first.starts_with('@') {
        let marker = match first {
            "@cert-authority" => Marker::CertAuthority,
            "@revoked" => Marker::Revoked,
            other => return Err(format!("unknown marker `{}`", printable(other))),
        };
        first = fields.next().ok_or("missing host patterns after marker")?;
        marker
    } else {
        Marker::None
    };
    let patterns = first;
    if patterns.starts_with('|') && parse_hashed(patterns).is_none() {
        return Err("bad hashed host entry (expected |1|salt|hash)".to_string());
    }
    let key_type = fields.next().ok_or("missing key type")?;
    let key_text = fields.next().ok_or("missing key data")?;
    let comment = fields.collect::<Vec<_>>().join(" ");
    let mut key = PublicKey::from_openssh(&format!("{key_type} {key_text}"))
        .map_err(|e| format!("invalid `{}` key: {e}", printable(key_type)))?;
    if key.key_data().is_certificate() {
        return Err("a certificate where a key was expected".to_string());
    }
    key.set_comment(comment);
    Ok(Some((marker, patterns.to_string(), key)))
}

/// Shortens and escapes text from a file so that it can be shown in a warning.
fn printable(text: &str) -> String {
    text.chars().take(40).flat_map(char::escape_debug).collect()
}

/// Splits a hashed host entry `|1|salt|hash` into its decoded salt and hash (both 20 bytes, as OpenSSH requires).
fn parse_hashed(entry: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    let rest = entry.strip_prefix("|1|")?;
    let (salt, hash) = rest.split_once('|')?;
    let salt = BASE64.decode(salt).ok()?;
    let hash = BASE64.decode(hash).ok()?;
    (salt.len() == SHA1_LEN && hash.len() == SHA1_LEN).then_some((salt, hash))
}

/// The string OpenSSH matches and hashes for a host: `host` on port 22, `[host]:port` otherwise.
fn host_port_string(host: &str, port: u16) -> String {
    if port == 22 { host.to_string() } else { format!("[{host}]:{port}") }
}

/// Does a comma-separated pattern list (as in a known_hosts host field) match `host` at `port`? Implements: exact
/// names (case-insensitive), `[host]:port` entries (port 22 is written plain), wildcards `*` and `?`, negation
/// `!pattern` (a matching negated pattern makes the whole list NOT match, whatever else matches), and hashed entries
/// `|1|base64salt|base64hmac` (HMAC-SHA1 keyed by the salt over the host string, that string being `host` when
/// port == 22 else `[host]:port`).
///
/// The host is lowercased (ASCII) before hashing, as `ssh` does before looking it up.
pub fn patterns_match(patterns: &str, host: &str, port: u16) -> bool {
    let target = host_port_string(&host.to_ascii_lowercase(), port);
    let mut positive = false;
    for item in patterns.split(',') {
        let (negated, pattern) = match item.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, item),
        };
        let matched =
            if pattern.starts_with('|') { hashed_matches(pattern, &target) } else { wildcard_match(pattern, &target) };
        if matched {
            if negated {
                return false;
            }
            positive = true;
        }
    }
    positive
}

/// Does the hashed entry `|1|salt|hash` stand for `target`?
fn hashed_matches(entry: &str, target: &str) -> bool {
    let Some((salt, hash)) = parse_hashed(entry) else {
        return false;
    };
    let Ok(mut mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(&salt) else {
        return false;
    };
    mac.update(target.as_bytes());
    mac.verify_slice(&hash).is_ok()
}

/// Glob match as in ssh_config's Host lines, ASCII case-insensitive.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    super::config::wildcard_match(pattern, text, true)
}

/// SHA256 fingerprint as OpenSSH prints it (`SHA256:...`).
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// Appends a line for host:port (`[host]:port` unless port 22) with `key` to `file`, creating its directory with mode
/// 0700 and the file with mode 0600 when missing (never changing an existing file's mode); returns the 1-based line
/// number written. Ends the previous content with a newline first if it lacks one.
///
/// The host is written in lowercase (as OpenSSH does) and the key without its comment. A host that could not be read
/// back as a single plain name (empty, or containing whitespace, `,`, `*`, `?`, or starting with `!`, `|`, `@`, `#`)
/// is refused with `InvalidInput`.
pub fn append(file: &Path, host: &str, port: u16, key: &PublicKey) -> io::Result<usize> {
    let bad_char = |c: char| c.is_whitespace() || c.is_control() || matches!(c, ',' | '*' | '?');
    if host.is_empty() || host.chars().any(bad_char) || host.starts_with(['!', '|', '@', '#']) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("cannot record host name {host:?}")));
    }
    if key.key_data().is_certificate() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "cannot record a certificate as a host key"));
    }
    let mut bare = key.clone();
    bare.set_comment("");
    let key_text = bare.to_openssh().map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;

    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
    }
    let mut options = fs::OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut handle = options.open(file)?;
    let mut existing = Vec::new();
    handle.read_to_end(&mut existing)?;

    let mut out = String::new();
    let mut lines = existing.iter().filter(|&&b| b == b'\n').count();
    if existing.last().is_some_and(|&b| b != b'\n') {
        out.push('\n');
        lines += 1;
    }
    out.push_str(&host_port_string(&host.to_ascii_lowercase(), port));
    out.push(' ');
    out.push_str(key_text.trim_end());
    out.push('\n');
    handle.write_all(out.as_bytes())?;
    handle.flush()?;
    Ok(lines + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Keys and certificates made with ssh-keygen (OpenSSH) for these tests:
    //   ssh-keygen -t ed25519 -f ca; ssh-keygen -t ed25519 -f host; ... other, ecd (-t ecdsa), rsa, rsa2 (-t rsa)
    const CA: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIbpOYJi7deGlHtW9Prtf04C7soOEs2Yyf1Jd06pkcAd ca@test";
    const HOST: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGDHrqbQJPldu5jMzbUTLaawWdx8hRfrjA3cOygSfg8z host@test";
    const OTHER: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFNrSk/bbgHWEFdO/uU72TBKTyrK+ZfGg+Ymsu5OBBZw other@test";
    const ECDSA: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBIGGUfcqkw10mFy+ZLTG0\
qbzwm0QINflxX0rkcDjOzUX6Z0ux5qN0KtBE3exumjwRBRgAEkTMJRn7hGiDJcZqZo= ecdsa@test";
    const RSA: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC3NBPEZvemMDg66eiu/ad43mZ+WyDMidey6PT17TmYix9Z/+UujZyOpEop\
SuxAfCTPCT6CpL5ercgzXrRLWF1v3/ACKSWiXySrlUUh/U4bsopZRlb7XMtdtzKypGCCh2uGgWOILnyBcFBmzaFNa2oUS1/d6Ui8p4svPWat1HcYZw== \
rsa@test";
    const RSA2: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDeVMbYnvSaOA7sup24czKDGiAImTwo9m2Bw/u80wRw65mXiR3GVVQ8x\
UoqNTk5lAfmPfi+RFHvYSKMYfRCLpd1akBve3GMBEJwBGVNUVezNd4ArvKa7PP/EoF35RAWkGEwoc4FsmLehkdDreinexSccFABzOMh+LSPdZB64J\
ThiQ== rsa2@test";

    // `ssh-keygen -s ca -I good -h -n host.example,127.0.0.1 -V -1d:+3650d host.pub`
    const CERT_GOOD: &str = "ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIK\
/alDOa93oIZ+2plF+EvECmppWY2aQk+HGvawnqFtHGAAAAIGDHrqbQJPldu5jMzbUTLaawWdx8hRfrjA3cOygSfg8zAAAAAAAAAAAAAAACAAAABGdvb2\
QAAAAdAAAADGhvc3QuZXhhbXBsZQAAAAkxMjcuMC4wLjEAAAAAaw5Q8AAAAAB926VwAAAAAAAAAAAAAAAAAAAAMwAAAAtzc2gtZWQyNTUxOQAAACCG6T\
mCYu3XhpR7VvT67X9OAu7KDhLNmMn9SXdOqZHAHQAAAFMAAAALc3NoLWVkMjU1MTkAAABA5fDK+7rh+aOgzy89oavnizmyryqOkaeqOnEy7Z1mACid+W\
QFt/48d/8oB8BVK2Z3WpTWHBSnkvLc2B/Zl3b/Cw== host@test";
    // Same, `-I expired -V 20200101:20200102`.
    const CERT_EXPIRED: &str = "ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAA\
ICD3VS7l+fdlqrkcxWRWspI541TAwaknieWJxDFrBi1WAAAAIGDHrqbQJPldu5jMzbUTLaawWdx8hRfrjA3cOygSfg8zAAAAAAAAAAAAAAACAAAAB2V4c\
GlyZWQAAAAdAAAADGhvc3QuZXhhbXBsZQAAAAkxMjcuMC4wLjEAAAAAXgvhAAAAAABeDTKAAAAAAAAAAAAAAAAAAAAAMwAAAAtzc2gtZWQyNTUxOQAAAC\
CG6TmCYu3XhpR7VvT67X9OAu7KDhLNmMn9SXdOqZHAHQAAAFMAAAALc3NoLWVkMjU1MTkAAABAqN/ewXytjWp0UH1Wo03d8GZXrpi9rsd707zsfRKc4CM\
RfmxhKqQymDdazjVuOcx4r73gdaaWiQ2o1+dxKm9CDw== host@test";
    // Same without `-h`: a user certificate.
    const CERT_USER: &str = "ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIK\
cM81N630aK1wBzvRRMJzHk3+6wK0e7y5DRKUp9z0VzAAAAIGDHrqbQJPldu5jMzbUTLaawWdx8hRfrjA3cOygSfg8zAAAAAAAAAAAAAAABAAAABHVzZX\
IAAAAdAAAADGhvc3QuZXhhbXBsZQAAAAkxMjcuMC4wLjEAAAAAaw5Q8AAAAAB926VwAAAAAAAAAIIAAAAVcGVybWl0LVgxMS1mb3J3YXJkaW5nAAAAAA\
AAABdwZXJtaXQtYWdlbnQtZm9yd2FyZGluZwAAAAAAAAAWcGVybWl0LXBvcnQtZm9yd2FyZGluZwAAAAAAAAAKcGVybWl0LXB0eQAAAAAAAAAOcGVybW\
l0LXVzZXItcmMAAAAAAAAAAAAAADMAAAALc3NoLWVkMjU1MTkAAAAghuk5gmLt14aUe1b0+u1/TgLuyg4SzZjJ/Ul3TqmRwB0AAABTAAAAC3NzaC1lZD\
I1NTE5AAAAQPLuJIJgjBLzqUYTM5BBeW08RXlG1v6ersWa9hBpdULz4DurVakPDO8AlqoIvA4M+od11OD3aVTwk9Q6t20uHQU= host@test";
    // Same with `-h -n other.example`: a principal list not naming host.example.
    const CERT_WRONG_NAME: &str = "ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAA\
AAIMaJ7OtSbKcHFur7sBNpgPxnOk8QU8WfaxEdiZB8v+CJAAAAIGDHrqbQJPldu5jMzbUTLaawWdx8hRfrjA3cOygSfg8zAAAAAAAAAAAAAAACAAAABX\
dyb25nAAAAEQAAAA1vdGhlci5leGFtcGxlAAAAAGsOUPAAAAAAfdulcAAAAAAAAAAAAAAAAAAAADMAAAALc3NoLWVkMjU1MTkAAAAghuk5gmLt14aUe1\
b0+u1/TgLuyg4SzZjJ/Ul3TqmRwB0AAABTAAAAC3NzaC1lZDI1NTE5AAAAQDppMo9GJTc6aZcnaV8nP9z/x1X1kzYRMglAgDgV/Je+kWozkxgRPeZvFw\
6TYSha2KHgQdjMi2AWUGcG3iW4wQw= host@test";
    // Same with `-h` and no `-n`: no principals at all.
    const CERT_NO_NAMES: &str = "ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAA\
IFO8iC4ZgI2A/vF2Ny4du5MjQ4qRmqudDIm1ueA993U1AAAAIGDHrqbQJPldu5jMzbUTLaawWdx8hRfrjA3cOygSfg8zAAAAAAAAAAAAAAACAAAAB25vc\
HJpbmMAAAAAAAAAAGsOUPQAAAAAfduldAAAAAAAAAAAAAAAAAAAADMAAAALc3NoLWVkMjU1MTkAAAAghuk5gmLt14aUe1b0+u1/TgLuyg4SzZjJ/Ul3Tq\
mRwB0AAABTAAAAC3NzaC1lZDI1NTE5AAAAQCOCo3IM5u5ww5V7FqCFiyKcUZoj4GmXnoTNX2xEawLzw9J81B2apiCtwXuu1aEHEi/3tiGy9hs85Y/R8Q\
blDA4= host@test";
    // `ssh-keygen -s other -I otherca -h -n host.example`: signed by a CA nobody trusts.
    const CERT_OTHER_CA: &str = "ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAA\
IF7bfOa8z7KoeClykiC+9CtUqt8bXs8zWecgVKYDc8bpAAAAIGDHrqbQJPldu5jMzbUTLaawWdx8hRfrjA3cOygSfg8zAAAAAAAAAAAAAAACAAAAB290a\
GVyY2EAAAAQAAAADGhvc3QuZXhhbXBsZQAAAABrDlD0AAAAAH3bpXQAAAAAAAAAAAAAAAAAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIFNrSk/bbgHWEFdO/u\
U72TBKTyrK+ZfGg+Ymsu5OBBZwAAAAUwAAAAtzc2gtZWQyNTUxOQAAAEClcjpQY7qgKOllzhsbIgtGR06TWdE3oMWt8Ih7Ny/pMeGx3Jr/pKsXQw91wm\
ue327xpAshV85E70CY59VCGdEE host@test";

    // `ssh-keygen -H` over lines for host.example, [host.example]:2222 and [::1]:2222, all with HOST's key; each
    // output line was this host field followed by HOST's key type and data.
    const HASHED_BY_SSH_KEYGEN: [&str; 3] = [
        "|1|DOygc/+k33AVYJTzvVTgFYX3O1Y=|4TOkWiz86l1xcE8pvf5tGIXrVLg=",
        "|1|ChUbNFI0tNfNl6vSWKix6Gsdp2c=|7+SIXI2K8Sq1MU0WyTTdOvUVY40=",
        "|1|o35RvqUMIpbXBaKK9Olalw9wgwY=|HMJep04vaPju46WSU4b4mlC3lcs=",
    ];

    fn key(text: &str) -> PublicKey {
        PublicKey::from_openssh(text).expect("fixture key parses")
    }

    fn cert(text: &str) -> Certificate {
        Certificate::from_openssh(text).expect("fixture certificate parses")
    }

    /// A time inside the validity window of the fixtures made with `-V -1d:+3650d`.
    fn now_for(c: &Certificate) -> u64 {
        c.valid_after() + 86_400
    }

    fn file() -> PathBuf {
        PathBuf::from("/test/known_hosts")
    }

    fn kh(text: &str) -> KnownHosts {
        KnownHosts::parse(text, &file())
    }

    fn bare(text: &str) -> String {
        text.split(' ').take(2).collect::<Vec<_>>().join(" ")
    }

    fn check_key(k: &KnownHosts, host: &str, port: u16, presented: &str) -> Verdict {
        k.check(host, port, &Presented::Key(&key(presented)), 0)
    }

    fn known(line: usize) -> Verdict {
        Verdict::Known { file: file(), line }
    }

    #[test]
    fn fingerprint_matches_ssh_keygen() {
        assert_eq!(fingerprint(&key(HOST)), "SHA256:gnoITnCYzyIjWu0ytUr2jgAlTRZpGvj6FOGQenyLKXY");
        assert_eq!(fingerprint(&key(RSA)), "SHA256:JmgHDj+aiBVsSsWQEOBe/V1JvS+x5Yhalt3Q8GpnH7s");
        assert_eq!(fingerprint(&key(ECDSA)), "SHA256:KkBwCCYKHj8C5ZVpvk6gSsvYHqjiEo6U5oKV4Eaye2E");
    }

    #[test]
    fn exact_name_case_insensitive_and_port_rules() {
        let k = kh(&format!("# comment\n\nHost.Example {}\n[db.example]:2222 {}\n", bare(HOST), bare(OTHER)));
        assert!(k.warnings.is_empty(), "{:?}", k.warnings);
        assert_eq!(check_key(&k, "host.example", 22, HOST), known(3));
        assert_eq!(check_key(&k, "HOST.EXAMPLE", 22, HOST), known(3));
        assert_eq!(check_key(&k, "host.example", 2222, HOST), Verdict::Unknown);
        assert_eq!(check_key(&k, "db.example", 2222, OTHER), known(4));
        assert_eq!(check_key(&k, "db.example", 22, OTHER), Verdict::Unknown);
        assert_eq!(check_key(&k, "host.example2", 22, HOST), Verdict::Unknown);
    }

    #[test]
    fn port_22_is_written_plain() {
        assert!(patterns_match("example.org", "example.org", 22));
        assert!(!patterns_match("[example.org]:22", "example.org", 22));
        assert!(patterns_match("[example.org]:2200", "example.org", 2200));
        assert!(!patterns_match("example.org", "example.org", 2200));
    }

    #[test]
    fn wildcards() {
        assert!(patterns_match("*.example.com", "a.example.com", 22));
        assert!(patterns_match("*.example.com", "A.B.Example.COM", 22));
        assert!(!patterns_match("*.example.com", "example.com", 22));
        assert!(patterns_match("192.168.1.?", "192.168.1.7", 22));
        assert!(!patterns_match("192.168.1.?", "192.168.1.17", 22));
        assert!(patterns_match("[*.example.com]:2222", "x.example.com", 2222));
        assert!(!patterns_match("*.example.com", "x.example.com", 2222));
        assert!(patterns_match("*", "anything", 22));
        assert!(patterns_match("a*b*c", "aXXbYYc", 22));
        assert!(!patterns_match("a*b*c", "aXXbYY", 22));
    }

    #[test]
    fn negation_excludes_whatever_else_matches() {
        let list = "*.example.com,!bad.example.com";
        assert!(patterns_match(list, "good.example.com", 22));
        assert!(!patterns_match(list, "bad.example.com", 22));
        assert!(!patterns_match(list, "BAD.example.com", 22));
        assert!(!patterns_match("!bad.example.com,bad.example.com", "bad.example.com", 22));
        assert!(!patterns_match("!bad.example.com", "other.example.com", 22), "negation alone never matches");
        let k = kh(&format!("{list} {}\n", bare(HOST)));
        assert_eq!(check_key(&k, "good.example.com", 22, HOST), known(1));
        assert_eq!(check_key(&k, "bad.example.com", 22, HOST), Verdict::Unknown);
    }

    #[test]
    fn ipv6_literals() {
        let k = kh(&format!("[::1]:2222 {}\n::1 {}\n", bare(HOST), bare(OTHER)));
        assert!(k.warnings.is_empty(), "{:?}", k.warnings);
        assert_eq!(check_key(&k, "::1", 2222, HOST), known(1));
        assert_eq!(check_key(&k, "::1", 22, OTHER), known(2));
    }

    #[test]
    fn hashed_lines_from_ssh_keygen() {
        let text: String = HASHED_BY_SSH_KEYGEN.iter().map(|h| format!("{h} {}\n", bare(HOST))).collect();
        let k = kh(&text);
        assert!(k.warnings.is_empty(), "{:?}", k.warnings);
        assert_eq!(check_key(&k, "host.example", 22, HOST), known(1));
        assert_eq!(check_key(&k, "Host.Example", 22, HOST), known(1));
        assert_eq!(check_key(&k, "host.example", 2222, HOST), known(2));
        assert_eq!(check_key(&k, "::1", 2222, HOST), known(3));
        assert_eq!(check_key(&k, "host.example", 2223, HOST), Verdict::Unknown);
        assert_eq!(check_key(&k, "other.example", 22, HOST), Verdict::Unknown);
    }

    #[test]
    fn hashed_line_computed_here() {
        let salt: Vec<u8> = (1..=20).collect();
        let hashed = |target: &str| {
            let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(&salt).expect("any key length");
            mac.update(target.as_bytes());
            format!("|1|{}|{}", BASE64.encode(&salt), BASE64.encode(mac.finalize().into_bytes()))
        };
        let plain = hashed("db.internal");
        let with_port = hashed("[db.internal]:5022");
        assert!(patterns_match(&plain, "db.internal", 22));
        assert!(patterns_match(&plain, "DB.internal", 22));
        assert!(!patterns_match(&plain, "db.internal", 5022));
        assert!(patterns_match(&with_port, "db.internal", 5022));
        assert!(!patterns_match(&with_port, "db.internal", 22));
        assert!(!patterns_match(&format!("{plain},!db.internal"), "db.internal", 22));
        let k = kh(&format!("{with_port} {}\n", bare(HOST)));
        assert_eq!(check_key(&k, "db.internal", 5022, HOST), known(1));
    }

    #[test]
    fn malformed_lines_are_skipped_with_warnings() {
        let text = format!(
            "host.example\nhost.example ssh-ed25519\n@bogus host.example {h}\nhost.example ssh-ed25519 AAAAnotbase64!\n\
             |1|short|short {h}\nhost.example ssh-rsa {b}\nok.example {h}\n@revoked\nh {c}\n",
            h = bare(HOST),
            b = HOST.split(' ').nth(1).unwrap_or_default(),
            c = CERT_GOOD,
        );
        let k = kh(&text);
        assert_eq!(k.entries.len(), 1);
        assert_eq!(k.entries.first().map(|e| e.line), Some(7));
        let lines: Vec<usize> = k.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, vec![1, 2, 3, 4, 5, 6, 8, 9]);
        let shown = k.warnings.first().map(ToString::to_string).unwrap_or_default();
        assert!(shown.starts_with("/test/known_hosts:1: "), "{shown}");
        assert!(k.warnings.iter().any(|w| w.message.contains("unknown marker `@bogus`")));
    }

    #[test]
    fn markers_and_comments_are_parsed() {
        let k = kh(&format!("@cert-authority *.example {CA}\n@revoked * {OTHER}\nh.example {HOST}\n"));
        let markers: Vec<Marker> = k.entries.iter().map(|e| e.marker).collect();
        assert_eq!(markers, vec![Marker::CertAuthority, Marker::Revoked, Marker::None]);
        assert_eq!(k.entries.first().map(|e| e.patterns.as_str()), Some("*.example"));
        assert_eq!(k.entries.get(2).map(|e| e.key.comment().to_string()), Some("host@test".to_string()));
    }

    #[test]
    fn changed_names_the_first_differing_line() {
        let k = kh(&format!("other.example {}\nhost.example {}\nhost.example {}\n", bare(HOST), bare(OTHER), bare(CA)));
        assert_eq!(
            check_key(&k, "host.example", 22, HOST),
            Verdict::Changed { file: file(), line: 2, known_fingerprint: fingerprint(&key(OTHER)) }
        );
        // A matching key anywhere among the host's lines wins over the differing ones.
        assert_eq!(check_key(&k, "host.example", 22, CA), known(3));
    }

    #[test]
    fn rsa_variants_are_one_family_and_other_algorithms_are_unknown() {
        let k = kh(&format!("h.example {}\nh.example {}\n", bare(ECDSA), bare(RSA)));
        assert!(matches!(check_key(&k, "h.example", 22, RSA2), Verdict::Changed { line: 2, .. }));
        assert_eq!(check_key(&k, "h.example", 22, HOST), Verdict::Unknown);
        assert_eq!(check_key(&k, "h.example", 22, RSA), known(2));
        let algorithms = k.algorithms_for("H.example", 22);
        assert_eq!(algorithms, vec![key(ECDSA).algorithm(), key(RSA).algorithm()]);
        assert!(k.algorithms_for("nobody.example", 22).is_empty());
    }

    #[test]
    fn algorithms_are_deduplicated_in_file_order() {
        let k =
            kh(&format!("h {}\nh {}\nh {}\n@cert-authority h {}\n", bare(HOST), bare(RSA), bare(OTHER), bare(ECDSA)));
        assert_eq!(k.algorithms_for("h", 22), vec![Algorithm::Ed25519, key(RSA).algorithm()]);
    }

    #[test]
    fn revoked_wins_over_known_wherever_it_is() {
        let after = kh(&format!("host.example {}\n@revoked * {}\n", bare(HOST), bare(HOST)));
        assert_eq!(check_key(&after, "host.example", 22, HOST), Verdict::Revoked { file: file(), line: 2 });
        let before = kh(&format!("@revoked host.example {}\nhost.example {}\n", bare(HOST), bare(HOST)));
        assert_eq!(check_key(&before, "host.example", 22, HOST), Verdict::Revoked { file: file(), line: 1 });
        // A @revoked line only covers the hosts its patterns match (OpenSSH's hostfile.c does the same).
        let elsewhere = kh(&format!("@revoked other.example {}\nhost.example {}\n", bare(HOST), bare(HOST)));
        assert_eq!(check_key(&elsewhere, "host.example", 22, HOST), known(2));
    }

    fn ca_file() -> KnownHosts {
        kh(&format!("@cert-authority *.example,127.0.0.1 {CA}\n"))
    }

    fn check_cert(k: &KnownHosts, host: &str, text: &str) -> Verdict {
        let c = cert(text);
        k.check(host, 22, &Presented::Certificate(&c), now_for(&cert(CERT_GOOD)))
    }

    fn reason(v: Verdict) -> String {
        match v {
            Verdict::CertInvalid { reason } => reason,
            other => panic!("expected CertInvalid, got {other:?}"),
        }
    }

    #[test]
    fn certificate_signed_by_trusted_ca() {
        let k = ca_file();
        assert!(k.has_cert_authority_for("host.example", 22));
        assert!(!k.has_cert_authority_for("host.other", 22));
        assert_eq!(check_cert(&k, "host.example", CERT_GOOD), Verdict::CertTrusted { file: file(), line: 1 });
        assert_eq!(check_cert(&k, "HOST.example", CERT_GOOD), Verdict::CertTrusted { file: file(), line: 1 });
        assert_eq!(check_cert(&k, "127.0.0.1", CERT_GOOD), Verdict::CertTrusted { file: file(), line: 1 });
        // The same certificate as a key blob is checked as a certificate too.
        let as_key = PublicKey::new(KeyData::Certificate(Box::new(cert(CERT_GOOD))), "");
        let now = now_for(&cert(CERT_GOOD));
        assert!(matches!(k.check("host.example", 22, &Presented::Key(&as_key), now), Verdict::CertTrusted { .. }));
    }

    #[test]
    fn certificate_refusals_say_why() {
        let k = ca_file();
        assert!(reason(check_cert(&k, "host.example", CERT_EXPIRED)).contains("expired"));
        assert!(reason(check_cert(&k, "host.example", CERT_USER)).contains("not a host certificate"));
        assert!(reason(check_cert(&k, "host.example", CERT_WRONG_NAME)).contains("not valid for host `host.example`"));
        assert_eq!(reason(check_cert(&k, "host.example", CERT_NO_NAMES)), "certificate names no host");
        assert!(reason(check_cert(&k, "host.example", CERT_OTHER_CA)).contains("not trusted"));
        // Covered by the CA line, but not a principal of the certificate.
        assert!(reason(check_cert(&k, "db.example", CERT_GOOD)).contains("not valid for host"));
        let early = cert(CERT_GOOD).valid_after() - 1;
        let c = cert(CERT_GOOD);
        let v = k.check("host.example", 22, &Presented::Certificate(&c), early);
        assert!(reason(v).contains("not yet valid"));
    }

    #[test]
    fn certificate_with_bad_signature() {
        let mut bytes = cert(CERT_GOOD).to_bytes().expect("encodes");
        if let Some(last) = bytes.last_mut() {
            *last ^= 0x01;
        }
        let tampered = Certificate::from_bytes(&bytes).expect("still decodes");
        let v = ca_file().check("host.example", 22, &Presented::Certificate(&tampered), now_for(&tampered));
        assert!(reason(v).contains("bad signature"));
    }

    #[test]
    fn revoked_certificate_key_or_ca() {
        let ca_revoked = kh(&format!("@cert-authority *.example {CA}\n@revoked * {CA}\n"));
        assert_eq!(check_cert(&ca_revoked, "host.example", CERT_GOOD), Verdict::Revoked { file: file(), line: 2 });
        let key_revoked = kh(&format!("@revoked * {HOST}\n@cert-authority *.example {CA}\n"));
        assert_eq!(check_cert(&key_revoked, "host.example", CERT_GOOD), Verdict::Revoked { file: file(), line: 1 });
    }

    #[test]
    fn certificate_without_cert_authority_falls_back_to_its_key() {
        let pinned = kh(&format!("host.example {}\n", bare(HOST)));
        assert_eq!(check_cert(&pinned, "host.example", CERT_GOOD), known(1));
        // Even an expired certificate: OpenSSH drops the certificate and checks the plain key.
        assert_eq!(check_cert(&pinned, "host.example", CERT_EXPIRED), known(1));
        let changed = kh(&format!("host.example {}\n", bare(OTHER)));
        assert!(matches!(check_cert(&changed, "host.example", CERT_GOOD), Verdict::Changed { line: 1, .. }));
        assert_eq!(check_cert(&kh(""), "host.example", CERT_GOOD), Verdict::Unknown);
    }

    #[test]
    fn load_skips_missing_and_warns_on_unreadable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = dir.path().join("a");
        fs::write(&a, format!("h1 {}\n", bare(HOST))).expect("write");
        let missing = dir.path().join("missing");
        let unreadable = dir.path().to_path_buf(); // a directory cannot be read as a file
        let b = dir.path().join("b");
        fs::write(&b, format!("\nh2 {}", bare(OTHER))).expect("write");
        let k = KnownHosts::load(&[a.clone(), missing, unreadable.clone(), b.clone()]);
        let places: Vec<(PathBuf, usize)> = k.entries.iter().map(|e| (e.file.clone(), e.line)).collect();
        assert_eq!(places, vec![(a, 1), (b, 2)]);
        assert_eq!(k.warnings.len(), 1);
        assert_eq!(k.warnings.first().map(|w| (w.file.clone(), w.line)), Some((unreadable, 0)));
    }

    #[cfg(unix)]
    #[test]
    fn append_creates_private_dir_and_file_and_reads_back() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let ssh_dir = dir.path().join("home/.ssh");
        let path = ssh_dir.join("known_hosts");
        let host_key = key(HOST);
        assert_eq!(append(&path, "Host.Example", 22, &host_key).expect("append"), 1);
        assert_eq!(append(&path, "::1", 2222, &key(OTHER)).expect("append"), 2);
        let mode = |p: &Path| fs::metadata(p).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
        assert_eq!(mode(&ssh_dir), 0o700);
        assert_eq!(mode(&path), 0o600);
        let text = fs::read_to_string(&path).expect("read");
        assert_eq!(text, format!("host.example {}\n[::1]:2222 {}\n", bare(HOST), bare(OTHER)));
        let k = KnownHosts::load(std::slice::from_ref(&path));
        assert!(k.warnings.is_empty());
        let v = k.check("host.example", 22, &Presented::Key(&host_key), 0);
        assert_eq!(v, Verdict::Known { file: path.clone(), line: 1 });
        assert_eq!(
            k.check("::1", 2222, &Presented::Key(&key(OTHER)), 0),
            Verdict::Known { file: path.clone(), line: 2 }
        );
    }

    #[cfg(unix)]
    #[test]
    fn append_keeps_mode_and_adds_missing_newline() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("known_hosts");
        fs::write(&path, "# one\n# two").expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        assert_eq!(append(&path, "h.example", 2200, &key(HOST)).expect("append"), 3);
        let text = fs::read_to_string(&path).expect("read");
        assert_eq!(text, format!("# one\n# two\n[h.example]:2200 {}\n", bare(HOST)));
        let mode = fs::metadata(&path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
        assert_eq!(mode, 0o644);
    }

    #[test]
    fn append_refuses_unwritable_host_names() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("known_hosts");
        for bad in ["", "a b", "a,b", "*.x", "!x", "|1|x", "@x", "a\nb"] {
            let err = append(&path, bad, 22, &key(HOST)).expect_err(bad);
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        }
        assert!(!path.exists());
    }

    proptest! {
        #[test]
        fn parse_never_panics(text in "(?s).{0,2000}") {
            let k = kh(&text);
            let _ = k.check("host.example", 22, &Presented::Key(&key(HOST)), 0);
            let _ = k.algorithms_for("host.example", 2222);
        }

        #[test]
        fn parse_never_panics_on_line_shaped_input(
            marker in prop::sample::select(vec!["", "@revoked ", "@cert-authority ", "@x "]),
            hosts in "[\\x00-\\x7f\u{80}-\u{10ffff}]{0,60}",
            kind in prop::sample::select(vec!["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "x"]),
            data in "[A-Za-z0-9+/=\\x00\\t]{0,200}",
        ) {
            let k = kh(&format!("{marker}{hosts} {kind} {data} c\n"));
            let _ = k.check("h", 22, &Presented::Key(&key(HOST)), 0);
        }

        #[test]
        fn patterns_match_never_panics(patterns in "(?s).{0,300}", host in "(?s).{0,100}", port: u16) {
            let _ = patterns_match(&patterns, &host, port);
        }

        #[test]
        fn hashed_shaped_patterns_never_panic(salt in "[A-Za-z0-9+/=|]{0,40}", hash in "[A-Za-z0-9+/=|]{0,40}") {
            let _ = patterns_match(&format!("|1|{salt}|{hash}"), "h", 22);
        }

        #[test]
        fn literal_names_match_themselves(host in "[a-z0-9][a-z0-9.-]{0,40}", port in 1u16..) {
            let field = host_port_string(&host, port);
            prop_assert!(patterns_match(&field, &host.to_ascii_uppercase(), port));
            let excluded = format!("{field},!{field}");
            prop_assert!(!patterns_match(&excluded, &host, port));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn append_then_check_is_known(
            names in prop::collection::vec(
                prop_oneof!["[a-zA-Z0-9][a-zA-Z0-9.-]{0,30}", "[0-9a-f]{1,4}(:[0-9a-f]{0,4}){2,5}"],
                1..4,
            ),
            ports in prop::collection::vec(1u16.., 4),
        ) {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("sub/known_hosts");
            let host_key = key(HOST);
            for (i, (name, port)) in names.iter().zip(ports.iter().cycle()).enumerate() {
                let line = append(&path, name, *port, &host_key).expect("append");
                prop_assert_eq!(line, i + 1);
                let k = KnownHosts::load(std::slice::from_ref(&path));
                prop_assert!(k.warnings.is_empty());
                let v = k.check(name, *port, &Presented::Key(&host_key), 0);
                prop_assert!(matches!(v, Verdict::Known { .. }), "{:?}", v);
                let found = k.check(name, *port, &Presented::Key(&key(OTHER)), 0);
                prop_assert!(matches!(found, Verdict::Changed { .. }), "{:?}", found);
            }
        }
    }
}
