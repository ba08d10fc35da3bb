//! SSH tunnels (issue #13) against real sshd instances on 127.0.0.1: each test starts its own, with temporary host
//! keys, as a bastion to the test PostgreSQL and MariaDB. scripts/servers.sh installs openssh-server and makes the
//! `dbcssh` account they log in as. All traffic stays on loopback.
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

/// An sshd of its own on a free loopback port; killed on drop.
pub struct Sshd {
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Option<Child>,
}

fn keygen(args: &[&str]) {
    let o = Command::new("ssh-keygen").args(args).output().expect("ssh-keygen (openssh-client) must be installed");
    assert!(o.status.success(), "ssh-keygen {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

fn free_port() -> u16 {
    closed_port()
}

impl Sshd {
    /// `extra` is appended to sshd_config (`AllowTcpForwarding no`, `HostCertificate …`).
    pub fn start(extra: &str) -> Sshd {
        let dir = tempfile::tempdir().unwrap();
        keygen(&["-q", "-t", "ed25519", "-N", "", "-f", dir.path().join("host_ed25519").to_str().unwrap()]);
        std::fs::write(dir.path().join("authorized_keys"), "").unwrap();
        let mut s = Sshd { port: free_port(), dir, child: None };
        s.write_config(extra);
        s.run();
        s
    }

    fn write_config(&self, extra: &str) {
        let d = self.dir.path();
        let cfg = format!(
            "Port {}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\nAuthorizedKeysFile {}\nStrictModes no\n\
             UsePAM no\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n\
             PermitRootLogin no\nAllowUsers {}\nLogLevel DEBUG1\nMaxStartups 100\n{extra}\n",
            self.port,
            d.join("host_ed25519").display(),
            d.join("sshd.pid").display(),
            d.join("authorized_keys").display(),
            env("DBC_TEST_SSH_USER"),
        );
        std::fs::write(d.join("sshd_config"), cfg).unwrap();
    }

    fn run(&mut self) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.dir.path().join("sshd.log")).unwrap();
        let child = Command::new(env("DBC_TEST_SSHD"))
            .args(["-D", "-e", "-f"])
            .arg(self.dir.path().join("sshd_config"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start sshd");
        self.child = Some(child);
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(start.elapsed() < Duration::from_secs(10), "sshd did not start: {}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    pub fn host_pub(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("host_ed25519.pub")).unwrap().trim().to_string()
    }

    /// The host key's SHA256 fingerprint as ssh-keygen prints it.
    pub fn fingerprint(&self) -> String {
        let o = Command::new("ssh-keygen").arg("-lf").arg(self.dir.path().join("host_ed25519.pub")).output().unwrap();
        String::from_utf8_lossy(&o.stdout).split_whitespace().nth(1).unwrap().to_string()
    }

    pub fn authorize(&self, pubkey: &str) {
        let f = self.dir.path().join("authorized_keys");
        let mut t = std::fs::read_to_string(&f).unwrap();
        t.push_str(pubkey.trim());
        t.push('\n');
        std::fs::write(f, t).unwrap();
    }

    /// Kills sshd and every session it holds (a dropped bastion): the per-connection processes are in sessions
    /// of their own (sshd calls setsid), so they are found as its descendants and killed first.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            for pid in descendants(c.id()) {
                unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn restart(&mut self) {
        self.kill();
        self.run();
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Every process below `pid`, from /proc.
fn descendants(pid: u32) -> Vec<u32> {
    let mut parent_of = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else { continue };
        // pid (comm) state ppid …; comm may hold spaces and parentheses: read after the last ')'.
        let Some(rest) = stat.rsplit_once(')').map(|x| x.1) else { continue };
        if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|x| x.parse::<u32>().ok()) {
            parent_of.push((p, ppid));
        }
    }
    let mut out = Vec::new();
    let mut frontier = vec![pid];
    while let Some(q) = frontier.pop() {
        for (p, pp) in &parent_of {
            if *pp == q && !out.contains(p) {
                out.push(*p);
                frontier.push(*p);
            }
        }
    }
    out
}

/// A user's side: a sandbox whose HOME has ~/.ssh with a key (authorized on the given sshds) and known_hosts.
struct User {
    sb: Sandbox,
}

impl User {
    fn new() -> User {
        let sb = Sandbox::new();
        let ssh = sb.dir.path().join(".ssh");
        std::fs::create_dir_all(&ssh).unwrap();
        set_mode(&ssh, 0o700);
        User { sb }
    }

    fn ssh_dir(&self) -> PathBuf {
        self.sb.dir.path().join(".ssh")
    }

    /// Makes a key (with a passphrase when given) and returns its path.
    fn key(&self, name: &str, passphrase: &str) -> PathBuf {
        let f = self.ssh_dir().join(name);
        keygen(&["-q", "-t", "ed25519", "-N", passphrase, "-f", f.to_str().unwrap()]);
        f
    }

    fn public(&self, key: &Path) -> String {
        std::fs::read_to_string(format!("{}.pub", key.display())).unwrap()
    }

    fn known(&self, line: &str) {
        let f = self.ssh_dir().join("known_hosts");
        let mut t = std::fs::read_to_string(&f).unwrap_or_default();
        t.push_str(line);
        t.push('\n');
        std::fs::write(f, t).unwrap();
    }

    fn trust(&self, d: &Sshd) {
        self.known(&format!("[127.0.0.1]:{} {}", d.port, d.host_pub()));
    }

    fn config(&self, text: &str) {
        std::fs::write(self.ssh_dir().join("config"), text).unwrap();
    }

    /// A shell line running dbconsole with `args` (and what follows) in this user's environment, for tmux.
    fn shell(&self, rest: &str) -> String {
        format!(
            "unset SSH_AUTH_SOCK; export HOME='{}' DBCONSOLE_CONFIG_DIR='{}' DBCONSOLE_DATA_DIR='{}'; '{}' {rest}",
            self.sb.dir.path().display(),
            self.sb.config().display(),
            self.sb.data().display(),
            env!("CARGO_BIN_EXE_dbconsole")
        )
    }

    fn cmd(&self) -> Command {
        let mut c = self.sb.cmd();
        c.env_remove("SSH_AUTH_SOCK");
        c
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        self.cmd().args(args).output().unwrap()
    }

    /// `profile test NAME --json`: the JSON and the exit code.
    fn test(&self, name: &str) -> (serde_json::Value, i32) {
        let o = self.run(&["profile", "test", name, "--json", "--timeout", "10"]);
        (json(&o), o.status.code().unwrap_or(-1))
    }
}

fn pg_via(name: &str, hops: &[String], extra: &str) -> String {
    let hops = hops.iter().map(|h| format!("\"{h}\"")).collect::<Vec<_>>().join(", ");
    format!(
        "[profiles.{name}]\nengine = \"postgres\"\nhost = \"127.0.0.1\"\nport = {}\ndatabase = \"dbc\"\nuser = \"dbc\"\n\
         password_source = \"env\"\npassword_env = \"DBC_TEST_PG_PASSWORD\"\nssh = [{hops}]\n{extra}\n",
        pg_port()
    )
}

fn my_via(name: &str, hops: &[String], extra: &str) -> String {
    let hops = hops.iter().map(|h| format!("\"{h}\"")).collect::<Vec<_>>().join(", ");
    format!(
        "[profiles.{name}]\nengine = \"mysql\"\nhost = \"127.0.0.1\"\nport = {}\ndatabase = \"dbc\"\nuser = \"dbc\"\n\
         password_source = \"env\"\npassword_env = \"DBC_TEST_MY_PASSWORD\"\nssh = [{hops}]\n{extra}\n",
        my_port()
    )
}

fn hop(d: &Sshd) -> String {
    format!("{}@127.0.0.1:{}", env("DBC_TEST_SSH_USER"), d.port)
}

fn steps(v: &serde_json::Value) -> Vec<(String, bool, String)> {
    v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (s["name"].as_str().unwrap().to_string(), s["ok"].as_bool().unwrap(), s["detail"].as_str().unwrap().into())
        })
        .collect()
}

/// Key file, one hop, both engines: every SSH stage is a step with its detail, then the database's through the
/// tunnel; queries run through it; the local end is a socket only the user can reach.
#[test]
fn one_hop_with_a_key_file_reaches_postgres_and_mariadb() {
    let d = Sshd::start("");
    let u = User::new();
    let key = u.key("id_ed25519", "");
    d.authorize(&u.public(&key));
    u.trust(&d);
    u.sb.write_profiles(&format!("{}{}", pg_via("pg", &[hop(&d)], ""), my_via("my", &[hop(&d)], "")));
    let (v, code) = u.test("pg");
    assert_eq!(code, 0, "{v:#}\n{}", d.log());
    let s = steps(&v);
    let names: Vec<&str> = s.iter().map(|x| x.0.as_str()).collect();
    assert_eq!(
        names,
        ["ssh_resolve", "ssh_tcp", "ssh_handshake", "ssh_auth", "ssh_forward", "tcp", "tls", "auth", "query"]
    );
    assert!(s[2].2.contains("OpenSSH") && s[2].2.contains(&d.fingerprint()) && s[2].2.contains("known"), "{:?}", s[2]);
    assert!(s[3].2.contains("publickey") && s[3].2.contains("id_ed25519"), "{:?}", s[3]);
    assert!(v["server_version"].as_str().unwrap().len() > 1);
    let (v, code) = u.test("my");
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["server_product"], "MariaDB");
    for (p, sql) in [("pg", "SELECT 40 + 2 AS answer"), ("my", "SELECT 40 + 2 AS answer")] {
        let o = u.run(&["query", p, "-e", sql, "--format", "csv"]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o), "answer\n42\n");
    }
    // sshd saw the forwarding to the database's port.
    assert!(d.log().contains(&format!("127.0.0.1 port {}", pg_port())), "{}", d.log());
}

/// Two sshd instances: the inner one reached only through the outer, named in ~/.ssh/config with Include and
/// ProxyJump, used unchanged; the profile names only the alias.
#[test]
fn two_hops_through_ssh_config_include_and_proxyjump() {
    let outer = Sshd::start("");
    let inner = Sshd::start("");
    let u = User::new();
    let key = u.key("id_bastion", "");
    outer.authorize(&u.public(&key));
    inner.authorize(&u.public(&key));
    u.trust(&outer);
    u.trust(&inner);
    std::fs::create_dir_all(u.ssh_dir().join("conf.d")).unwrap();
    std::fs::write(
        u.ssh_dir().join("conf.d/hosts.conf"),
        format!(
            "Host inner\n  HostName 127.0.0.1\n  Port {}\n  ProxyJump outer\n\nHost outer\n  HostName 127.0.0.1\n  Port {}\n",
            inner.port, outer.port
        ),
    )
    .unwrap();
    u.config(&format!(
        "Include conf.d/*.conf\n\nHost *\n  User {}\n  IdentityFile ~/.ssh/id_bastion\n  IdentitiesOnly yes\n",
        env("DBC_TEST_SSH_USER")
    ));
    u.sb.write_profiles(&pg_via("deep", &["inner".to_string()], ""));
    let (v, code) = u.test("deep");
    assert_eq!(code, 0, "{v:#}\nouter: {}\ninner: {}", outer.log(), inner.log());
    let s = steps(&v);
    let hop1: Vec<_> = s.iter().filter(|x| x.2.starts_with("hop 1 ")).collect();
    let hop2: Vec<_> = s.iter().filter(|x| x.2.starts_with("hop 2 ")).collect();
    assert_eq!(hop1.len(), 4, "{s:?}");
    assert!(hop1[0].2.contains(&format!(":{}", outer.port)), "{s:?}");
    assert_eq!(hop2.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), ["ssh_tcp", "ssh_handshake", "ssh_auth"]);
    assert!(hop2[0].2.contains(&format!("127.0.0.1:{}", inner.port)), "{s:?}");
    // The inner sshd saw its client come from the outer one's forwarding, on loopback.
    assert!(outer.log().contains(&format!("127.0.0.1 port {}", inner.port)), "{}", outer.log());
    let o = u.run(&["query", "deep", "-e", "SELECT 'through two hops' AS t", "--format", "csv"]);
    assert_eq!(stdout(&o), "t\nthrough two hops\n", "{}", stderr(&o));
}

/// Authentication by the agent: ssh-agent started here holds the only key; no key file is on disk.
#[test]
fn agent_authentication() {
    let d = Sshd::start("");
    let u = User::new();
    let key = u.key("agent_only", "");
    d.authorize(&u.public(&key));
    u.trust(&d);
    let sock = u.sb.dir.path().join("agent.sock");
    let agent = Command::new("ssh-agent").args(["-D", "-a"]).arg(&sock).stdout(Stdio::null()).spawn().unwrap();
    struct Kill(Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _agent = Kill(agent);
    let start = Instant::now();
    while !sock.exists() {
        assert!(start.elapsed() < Duration::from_secs(5));
        std::thread::sleep(Duration::from_millis(20));
    }
    let added = Command::new("ssh-add").arg(&key).env("SSH_AUTH_SOCK", &sock).output().unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    std::fs::remove_file(&key).unwrap();
    u.sb.write_profiles(&pg_via("pg", &[hop(&d)], ""));
    // Without the agent: no key at all.
    let (v, code) = u.test("pg");
    assert_eq!((code, v["class"].as_str()), (25, Some("ssh_auth")), "{v:#}");
    let o = u.cmd().env("SSH_AUTH_SOCK", &sock).args(["profile", "test", "pg", "--json"]).output().unwrap();
    let v = json(&o);
    assert_eq!(o.status.code(), Some(0), "{v:#}");
    let auth = steps(&v).into_iter().find(|s| s.0 == "ssh_auth").unwrap();
    assert!(auth.2.contains("ssh-agent"), "{auth:?}");
}

/// Unknown, changed and revoked host keys; a wildcard entry and a hashed one; StrictHostKeyChecking no.
#[test]
fn host_keys_unknown_changed_revoked_wildcard_hashed() {
    let d = Sshd::start("");
    let u = User::new();
    let key = u.key("id_ed25519", "");
    d.authorize(&u.public(&key));
    u.sb.write_profiles(&pg_via("pg", &[hop(&d)], ""));
    let kh = u.ssh_dir().join("known_hosts");

    // Unknown: refused without a terminal, with the fingerprint ssh-keygen prints, and where it would be saved.
    let (v, code) = u.test("pg");
    assert_eq!((code, v["class"].as_str()), (22, Some("ssh_host_key_unknown")), "{v:#}");
    assert!(v["message"].as_str().unwrap().contains(&d.fingerprint()), "{v:#}");
    assert!(v["hint"].as_str().unwrap().contains("known_hosts"), "{v:#}");
    assert!(!kh.exists(), "nothing is written without the user's yes");

    // Changed: another key for the same host, the line named.
    let other = Sshd::start("");
    u.known("# a comment line");
    u.known(&format!("[127.0.0.1]:{} {}", d.port, other.host_pub()));
    let (v, code) = u.test("pg");
    assert_eq!((code, v["class"].as_str()), (23, Some("ssh_host_key_changed")), "{v:#}");
    let m = v["message"].as_str().unwrap();
    assert!(
        m.contains("CHANGED") && m.contains(&format!("{}:2", kh.display())) && m.contains(&other.fingerprint()),
        "{m}"
    );

    // A wildcard entry that covers the host.
    std::fs::write(&kh, format!("[127.0.0.?]:{} {}\n", d.port, d.host_pub())).unwrap();
    assert_eq!(u.test("pg").1, 0);
    // A negated pattern excludes it again: unknown.
    std::fs::write(&kh, format!("[127.0.0.*]:{p},![127.0.0.1]:{p} {}\n", d.host_pub(), p = d.port)).unwrap();
    assert_eq!(u.test("pg").1, 22);

    // Hashed by ssh-keygen -H.
    std::fs::write(&kh, format!("[127.0.0.1]:{} {}\n", d.port, d.host_pub())).unwrap();
    keygen(&["-q", "-H", "-f", kh.to_str().unwrap()]);
    assert!(std::fs::read_to_string(&kh).unwrap().starts_with("|1|"));
    assert_eq!(u.test("pg").1, 0);

    // Revoked wins over a known line.
    u.known(&format!("@revoked * {}", d.host_pub()));
    let (v, code) = u.test("pg");
    assert_eq!((code, v["class"].as_str()), (24, Some("ssh_host_key_revoked")), "{v:#}");
    assert!(v["message"].as_str().unwrap().contains("REVOKED"), "{v:#}");

    // StrictHostKeyChecking no in ~/.ssh/config: an unknown key is taken (and logged), a revoked one still not.
    std::fs::write(&kh, "").unwrap();
    u.config("Host 127.0.0.1\n  StrictHostKeyChecking no\n");
    assert_eq!(u.test("pg").1, 0);
    // accept-new saves it, in a file it creates owner-only.
    std::fs::remove_file(&kh).unwrap();
    u.config("Host 127.0.0.1\n  StrictHostKeyChecking accept-new\n");
    assert_eq!(u.test("pg").1, 0);
    assert!(std::fs::read_to_string(&kh).unwrap().contains(&d.host_pub()[12..40]), "saved");
    assert_eq!(mode(&kh), 0o600);
}

/// A host certificate signed by a CA that a `@cert-authority` line trusts; one not naming the host is refused.
#[test]
fn host_certificate_and_cert_authority() {
    let ca_dir = tempfile::tempdir().unwrap();
    let ca = ca_dir.path().join("ca");
    keygen(&["-q", "-t", "ed25519", "-N", "", "-f", ca.to_str().unwrap()]);
    let mut d = Sshd::start("");
    let host_pub = d.dir.path().join("host_ed25519.pub");
    let sign = |principals: &str| {
        keygen(&[
            "-q",
            "-s",
            ca.to_str().unwrap(),
            "-I",
            "test host",
            "-h",
            "-n",
            principals,
            "-V",
            "-5m:+1d",
            host_pub.to_str().unwrap(),
        ]);
    };
    sign("127.0.0.1,db-bastion");
    d.write_config(&format!("HostCertificate {}", d.dir.path().join("host_ed25519-cert.pub").display()));
    d.restart();
    let u = User::new();
    let key = u.key("id_ed25519", "");
    d.authorize(&u.public(&key));
    let ca_pub = std::fs::read_to_string(ca.with_extension("pub")).unwrap();
    u.known(&format!("@cert-authority [127.0.0.1]:* {}", ca_pub.trim()));
    u.sb.write_profiles(&pg_via("pg", &[hop(&d)], ""));
    let (v, code) = u.test("pg");
    assert_eq!(code, 0, "{v:#}\n{}", d.log());
    let hs = steps(&v).into_iter().find(|s| s.0 == "ssh_handshake").unwrap();
    assert!(hs.2.contains("certificate signed by a trusted CA"), "{hs:?}");
    // A certificate that names other hosts only.
    sign("someone-else.example");
    d.restart();
    let (v, code) = u.test("pg");
    assert_eq!((code, v["class"].as_str()), (24, Some("ssh_host_key_revoked")), "{v:#}");
    assert!(v["message"].as_str().unwrap().contains("not valid"), "{v:#}");
}

/// Wrong key, forwarding refused, database port closed behind the bastion, bastion down: each its class.
#[test]
fn failures_are_classified() {
    let d = Sshd::start("AllowTcpForwarding no");
    let u = User::new();
    let key = u.key("id_ed25519", "");
    u.trust(&d);
    u.sb.write_profiles(&pg_via("pg", &[hop(&d)], ""));
    // The key is not authorized: refused, with what was tried.
    let (v, code) = u.test("pg");
    assert_eq!((code, v["class"].as_str()), (25, Some("ssh_auth")), "{v:#}");
    let m = v["message"].as_str().unwrap();
    assert!(m.contains("id_ed25519") && m.contains("publickey"), "{m}");
    d.authorize(&u.public(&key));
    let (v, code) = u.test("pg");
    assert_eq!((code, v["class"].as_str()), (26, Some("ssh_forwarding_refused")), "{v:#}");
    assert!(v["hint"].as_str().unwrap().contains("AllowTcpForwarding"), "{v:#}");
    let fwd = steps(&v).into_iter().find(|s| s.0 == "ssh_forward").unwrap();
    assert!(!fwd.1);

    let open = Sshd::start("");
    open.authorize(&u.public(&key));
    u.trust(&open);
    let closed = closed_port();
    u.sb.write_profiles(
        &pg_via("pg", &[hop(&open)], "").replace(&format!("port = {}", pg_port()), &format!("port = {closed}")),
    );
    let (v, code) = u.test("pg");
    assert_eq!((code, v["class"].as_str()), (11, Some("refused")), "{v:#}");
    assert!(v["message"].as_str().unwrap().contains(&format!("127.0.0.1:{closed}")), "{v:#}");

    let gone = closed_port();
    u.sb.write_profiles(&pg_via("pg", &[format!("{}@127.0.0.1:{gone}", env("DBC_TEST_SSH_USER"))], ""));
    let (v, code) = u.test("pg");
    assert_eq!((code, v["class"].as_str()), (21, Some("ssh_unreachable")), "{v:#}");
    assert!(v["message"].as_str().unwrap().contains("refused"), "{v:#}");

    // A SQLite profile with a route is refused where it is written.
    u.sb.write_profiles("[profiles.lite]\nengine = \"sqlite\"\npath = \"/tmp/x.db\"\nssh = [\"bastion\"]\n");
    let o = u.run(&["profile", "test", "lite"]);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("SQLite") && stderr(&o).contains("SSH"), "{}", stderr(&o));
}

/// TLS through the tunnel: verify-full checks the server certificate against the profile's host name with the
/// test CA; another CA is refused.
#[test]
fn tls_verify_full_through_the_tunnel() {
    let d = Sshd::start("");
    let u = User::new();
    let key = u.key("id_ed25519", "");
    d.authorize(&u.public(&key));
    u.trust(&d);
    let tls = |ca: &str| format!("[profiles.pg.tls]\nmode = \"verify-full\"\nroot_cert = \"{}\"\n", env(ca));
    u.sb.write_profiles(
        &pg_via("pg", &[hop(&d)], &tls("DBC_TEST_CA")).replace("host = \"127.0.0.1\"", "host = \"localhost\""),
    );
    let (v, code) = u.test("pg");
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["tls"], true);
    u.sb.write_profiles(
        &pg_via("pg", &[hop(&d)], &tls("DBC_TEST_OTHER_CA")).replace("host = \"127.0.0.1\"", "host = \"localhost\""),
    );
    let (v, code) = u.test("pg");
    assert_eq!((code, v["class"].as_str()), (13, Some("tls")), "{v:#}");
}

/// `--ssh` on a URL, repeatable; `profile add --ssh … --ssh-identity` writes the route to the file.
#[test]
fn url_flag_and_profile_add() {
    let d = Sshd::start("");
    let u = User::new();
    let key = u.key("custom_key", "");
    d.authorize(&u.public(&key));
    u.trust(&d);
    let url = format!("postgres://dbc@127.0.0.1:{}/dbc", pg_port());
    let o = u
        .cmd()
        .args(["query", &url.replace("dbc@", &format!("dbc:{}@", env("DBC_TEST_PG_PASSWORD"))), "-e", "SELECT 7 AS n"])
        .args(["--format", "csv", "--ssh", &hop(&d), "--ssh-identity"])
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "n\n7\n", "{}", stderr(&o));
    let o =
        u.run(&["profile", "add", "viassh", "--url", &url, "--ssh", &hop(&d), "--ssh-identity", key.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(u.sb.profiles_file()).unwrap();
    assert!(text.contains(&format!("ssh = [\"{}\"]", hop(&d))) && text.contains("ssh_identity"), "{text}");
    let o = u.run(&["profile", "add", "bad", "--url", &url, "--ssh", "user@:22"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--ssh"), "{}", stderr(&o));
    // Hostile hops and key paths are refused where they are written, named.
    for (hop, identity) in [("u@h; DROP TABLE x", "k"), ("u@/*!50000 x*/", "k"), ("u@h", "/tmp/k\u{1}")] {
        let o = u.run(&["profile", "add", "bad", "--url", &url, "--ssh", hop, "--ssh-identity", identity]);
        assert_eq!(o.status.code(), Some(2), "{hop} {identity:?}: {}", stderr(&o));
    }
    u.sb.write_profiles("[profiles.nul]\nengine = \"postgres\"\nssh = [\"u@h\\u0000x\"]\n");
    let o = u.run(&["profile", "list"]);
    assert!(stderr(&o).contains("profiles.toml:3") && stderr(&o).contains("invalid host"), "{}", stderr(&o));
}

/// Interactive: an unknown host key shown with its fingerprint and saved on `s`; a key's passphrase and the
/// password asked on the terminal (never echoed); the second run needs no answer.
#[test]
fn terminal_asks_for_host_key_passphrase_and_password() {
    let d = Sshd::start("PubkeyAuthentication yes");
    let u = User::new();
    let key = u.key("id_ed25519", "correct horse");
    d.authorize(&u.public(&key));
    u.sb.write_profiles(&pg_via("pg", &[hop(&d)], ""));
    let run = u.shell("profile test pg; echo TEST-EXIT-$?; sleep 30");
    let t = Tmux::start_raw("sshask", 120, 30, &run);
    let s = t.wait_for("Accept it?");
    assert!(s.contains(&d.fingerprint()), "{s}");
    t.text("save");
    t.keys(&["Enter"]);
    t.wait_for("Passphrase for");
    t.text("correct horse");
    t.keys(&["Enter"]);
    let s = t.wait_for("TEST-EXIT-");
    assert!(s.contains("TEST-EXIT-0"), "{s}");
    assert!(!s.contains("correct horse"), "the passphrase is never echoed");
    let kh = std::fs::read_to_string(u.ssh_dir().join("known_hosts")).unwrap();
    assert!(kh.contains(&format!("[127.0.0.1]:{}", d.port)), "{kh}");
    drop(t);

    // Password authentication: no key the server takes.
    std::fs::remove_file(&key).unwrap();
    let t = Tmux::start_raw("sshpw", 120, 30, &run);
    t.wait_for("SSH password for");
    t.text(&env("DBC_TEST_SSH_PASSWORD"));
    t.keys(&["Enter"]);
    let s = t.wait_for("TEST-EXIT-");
    assert!(s.contains("TEST-EXIT-0") && s.contains("password"), "{s}");
    // Without a terminal the same profile fails as ssh_auth, saying why.
    let (v, code) = u.test("pg");
    assert_eq!((code, v["class"].as_str()), (25, Some("ssh_auth")), "{v:#}");
    assert!(v["message"].as_str().unwrap().contains("password"), "{v:#}");
}

/// The TUI: connecting asks for the unknown host key in a dialog, the status bar shows the tunnel; sshd killed
/// mid-session and started again: the next query finds the connection gone, connects again through a rebuilt
/// tunnel and says so without sending the statement; the one after runs.
#[test]
fn tui_dialog_status_and_reconnect_after_the_bastion_restarts() {
    let mut d = Sshd::start("ClientAliveInterval 0");
    let u = User::new();
    let key = u.key("id_ed25519", "");
    d.authorize(&u.public(&key));
    u.sb.write_profiles(&pg_via("pg", &[hop(&d)], ""));
    let t = Tmux::start_raw("sshtui", 100, 30, &u.shell("pg; echo DBCONSOLE-EXITED-$?; sleep 30"));
    let s = t.wait_for("Unknown SSH host key");
    assert!(s.contains(&d.fingerprint()) && s.contains("accept once"), "{s}");
    // A letter answers nothing; → then Enter accepts once.
    t.keys(&["a"]);
    t.keys(&["Right"]);
    t.keys(&["Enter"]);
    let s = t.wait_for("ssh: up");
    assert!(s.contains("connected"), "{s}");
    t.keys(&["5"]);
    t.wait_for("Type SQL above");
    t.text("select 'first' || 'run' as r");
    t.keys(&["F5"]);
    t.wait_for("firstrun");
    d.restart();
    // A while idle, as a user would be when the bastion restarts.
    std::thread::sleep(Duration::from_millis(1500));
    // The accepted key is remembered for the session; the dropped hop is rebuilt by the next query. On a loaded
    // machine the old sshd's end of the connection may take a moment to go: wait until the status bar (drawn on
    // each key) says the tunnel is down.
    t.keys(&["Escape"]);
    t.wait_for("i editor ·");
    let start = std::time::Instant::now();
    while !t.capture().contains("ssh: down") && start.elapsed() < Duration::from_secs(15) {
        std::thread::sleep(Duration::from_millis(300));
        t.keys(&["Down"]);
    }
    t.keys(&["i", "C-a", "C-k"]);
    t.text("select 'second' || 'run' as r");
    t.keys(&["F5"]);
    // The dropped connection is noticed before anything is sent, and said; the next run goes through.
    t.wait_for("the connection had dropped");
    t.keys(&["F5"]);
    let s = t.wait_for("secondrun");
    assert!(s.contains("ssh: up"), "{s}");
    assert!(!s.contains("not connected"), "{s}");
    // Server-side cancel goes through the tunnel too, on a forwarded connection of its own.
    t.keys(&["C-a", "C-k"]);
    t.text("select pg_sleep(60)");
    t.keys(&["F5"]);
    t.wait_for("running statement 1/1");
    t.keys(&["Escape"]);
    t.wait_for("query cancelled on the server");
    t.keys(&["C-a", "C-k"]);
    t.text("select 'after' || 'cancel' as r");
    t.keys(&["F5"]);
    t.wait_for("aftercancel");
}

/// A transfer reads through the tunnel with its parallel connections: a PostgreSQL table behind the bastion to a
/// local SQLite file, verified.
#[test]
fn transfer_through_the_tunnel() {
    let d = Sshd::start("");
    let u = User::new();
    let key = u.key("id_ed25519", "");
    d.authorize(&u.public(&key));
    u.trust(&d);
    let admin = format!("postgres://dbc:{}@127.0.0.1:{}/dbc", env("DBC_TEST_PG_PASSWORD"), pg_port());
    let schema = format!("ssh_xfer_{}", std::process::id());
    let o = u.run(&[
        "query",
        &admin,
        "-e",
        &format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; \
             CREATE TABLE {schema}.t (id int PRIMARY KEY, name text); \
             INSERT INTO {schema}.t SELECT g, 'név ' || g FROM generate_series(1, 5000) g"
        ),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let url = admin.clone();
    let target = u.sb.dir.path().join("copy.db");
    std::fs::write(&target, "").unwrap();
    let o = u
        .cmd()
        .args(["transfer", "run", "--from", &url, "--to", &format!("sqlite:{}", target.display())])
        .args(["--tables", &format!("{schema}.t"), "--yes", "--verify"])
        .args(["--ssh", &hop(&d)])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let o = u.run(&[
        "query",
        &format!("sqlite:{}", target.display()),
        "-e",
        "SELECT count(*) AS n, max(name) AS m FROM t",
        "--format",
        "csv",
    ]);
    assert_eq!(stdout(&o), "n,m\n5000,név 999\n", "{}", stderr(&o));
    let _ = u.run(&["query", &admin, "-e", &format!("DROP SCHEMA {schema} CASCADE")]);
    // More than one forwarded connection was opened for it.
    assert!(d.log().matches(&format!("port {}", pg_port())).count() >= 2, "{}", d.log());
}
