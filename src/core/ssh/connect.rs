//! One SSH hop: reached directly (resolve, TCP) or through the hop before it (a direct-tcpip channel), the
//! handshake with its host key checked against known_hosts, then authentication as OpenSSH orders it: the agent's
//! keys, the key files, a password. Each stage is reported as a step with its time, for the connection test.
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use russh::client::{self, AuthResult, Handle, KeyboardInteractiveAuthResponse};
use russh::keys::{Algorithm, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use russh::{ChannelOpenFailure, MethodKind};
use secrecy::ExposeSecret;

use super::config::StrictHostKeyChecking;
use super::known_hosts::{self, KnownHosts, Presented, Verdict};
use super::plan::HopPlan;
use super::{SshError, UnknownKey, answers};
use crate::core::engine::{ConnectError, FailureClass};

/// A stage of building a hop, as the connection test shows it.
#[derive(Debug, Clone)]
pub struct HopStep {
    /// `ssh_resolve`, `ssh_tcp`, `ssh_handshake`, `ssh_auth`, `ssh_forward`.
    pub name: &'static str,
    pub ok: bool,
    pub elapsed_ms: f64,
    pub detail: String,
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 100_000.0).round() / 100.0
}

/// What the handler saw of the server key, kept for after the handshake.
#[derive(Default)]
struct Seen {
    outcome: Option<Result<String, SshError>>,
    server_id: Option<String>,
}

/// The russh client handler: checks the host key; the rest is russh's defaults.
pub struct Client {
    host: String,
    port: u16,
    /// The hop's known_hosts files, read once for the hop (key types to ask for, then the verdict).
    known_hosts: KnownHosts,
    strict: StrictHostKeyChecking,
    save_to: PathBuf,
    seen: Arc<Mutex<Seen>>,
}

fn now_unix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl Client {
    /// The verdict on a presented key: Ok(what to show) to go on, or the refusal.
    fn judge(&self, key: &PublicKeyOrCertificate) -> Result<String, SshError> {
        let kh = &self.known_hosts;
        for w in &kh.warnings {
            tracing::warn!("known_hosts {}:{}: {}", w.file.display(), w.line, w.message);
        }
        let (presented, plain) = match key {
            PublicKeyOrCertificate::PublicKey { key, .. } => (Presented::Key(key), key.clone()),
            PublicKeyOrCertificate::Certificate(c) => {
                (Presented::Certificate(c), PublicKey::from(c.public_key().clone()))
            }
        };
        let fp = known_hosts::fingerprint(&plain);
        let alg = plain.algorithm().to_string();
        let at = super::hostport(&self.host, self.port);
        let shown = |how: String| format!("{alg} {fp}: {how}");
        match kh.check(&self.host, self.port, &presented, now_unix()) {
            Verdict::Known { file, line } => Ok(shown(format!("known ({}:{line})", file.display()))),
            Verdict::CertTrusted { file, line } => {
                Ok(shown(format!("certificate signed by a trusted CA ({}:{line})", file.display())))
            }
            Verdict::Revoked { file, line } => Err(SshError::Failed(ConnectError::new(
                FailureClass::SshHostKeyRevoked,
                format!("the host key of {at} ({alg} {fp}) is REVOKED by {}:{line}", file.display()),
                "this key must not be trusted: tell the server's administrator; do not connect until the host has a \
                 new key",
            ))),
            Verdict::CertInvalid { reason } => Err(SshError::Failed(ConnectError::new(
                FailureClass::SshHostKeyRevoked,
                format!("the host certificate of {at} is not valid: {reason}"),
                "the host's certificate must be signed by a @cert-authority key in known_hosts, name this host, and \
                 be within its validity: tell the server's administrator",
            ))),
            Verdict::Changed { file, line, known_fingerprint } => Err(SshError::Failed(ConnectError::new(
                FailureClass::SshHostKeyChanged,
                format!(
                    "WARNING: THE HOST KEY OF {at} HAS CHANGED: it now presents {alg} {fp}, but {}:{line} has \
                     {known_fingerprint}",
                    file.display()
                ),
                format!(
                    "someone may be intercepting the connection (man-in-the-middle), or the host key was replaced: \
                     check with the server's administrator; if the change is expected, remove line {line} of {} \
                     (`ssh-keygen -R {}`) and connect again",
                    file.display(),
                    if self.port == 22 { self.host.clone() } else { format!("'[{}]:{}'", self.host, self.port) }
                ),
            ))),
            Verdict::Unknown => {
                if answers().is_accepted(&self.host, self.port, &plain) {
                    return Ok(shown("accepted for this session".into()));
                }
                let unknown = UnknownKey {
                    host: self.host.clone(),
                    port: self.port,
                    algorithm: alg.clone(),
                    fingerprint: fp.clone(),
                    save_to: self.save_to.clone(),
                    key: plain.clone(),
                };
                match self.strict {
                    StrictHostKeyChecking::No => {
                        tracing::warn!(host = %at, fingerprint = %fp, "unknown host key accepted: StrictHostKeyChecking no");
                        Ok(shown("not known; accepted (StrictHostKeyChecking no)".into()))
                    }
                    StrictHostKeyChecking::AcceptNew => match super::accept_host_key(&unknown, true) {
                        Ok(()) => Ok(shown(format!(
                            "new; saved to {} (StrictHostKeyChecking accept-new)",
                            self.save_to.display()
                        ))),
                        Err(e) => Err(SshError::Failed(ConnectError::new(FailureClass::Other, e, "check the file"))),
                    },
                    StrictHostKeyChecking::Yes => Err(SshError::Failed(ConnectError::new(
                        FailureClass::SshHostKeyUnknown,
                        format!("the host key of {at} ({alg} {fp}) is not known, and StrictHostKeyChecking is yes"),
                        "add the host's key to known_hosts after checking its fingerprint with the administrator",
                    ))),
                    StrictHostKeyChecking::Ask => Err(SshError::HostKeyUnknown(Box::new(unknown))),
                }
            }
        }
    }
}

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(&mut self, key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        let outcome = self.judge(key);
        let ok = outcome.is_ok();
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).outcome = Some(outcome);
        Ok(ok)
    }

    async fn kex_done(
        &mut self,
        _shared_secret: Option<&[u8]>,
        _names: &russh::Names,
        session: &mut client::Session,
    ) -> Result<(), Self::Error> {
        // The server's words: control characters (terminal escapes) are not passed on to the screen.
        let id: String =
            String::from_utf8_lossy(session.remote_sshid()).trim().chars().filter(|c| !c.is_control()).collect();
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).server_id = Some(id);
        Ok(())
    }
}

/// A connected, authenticated hop.
pub struct Connected {
    pub handle: Handle<Client>,
    pub server_id: String,
}

fn unreachable(plan: &HopPlan, what: String, hint: &str) -> SshError {
    SshError::Failed(ConnectError::new(FailureClass::SshUnreachable, what, format!("{hint} ({})", plan.who())))
}

/// Connects `plan`, directly or through `via`, and authenticates. `on_step` sees each stage.
pub async fn connect_hop(
    plan: &HopPlan,
    index: usize,
    via: Option<&Handle<Client>>,
    timeout: Duration,
    on_step: &mut (dyn FnMut(HopStep) + Send),
) -> Result<Connected, SshError> {
    let label = format!("hop {} {}", index + 1, plan.who());
    let timeout = plan.connect_timeout.unwrap_or(timeout);
    let mut step = |name: &'static str, t: Instant, r: Result<String, String>| {
        let (ok, detail) = match r {
            Ok(d) => (true, d),
            Err(d) => (false, d),
        };
        on_step(HopStep { name, ok, elapsed_ms: ms(t.elapsed()), detail: format!("{label}: {detail}") });
    };
    let seen = Arc::new(Mutex::new(Seen::default()));
    let kh = KnownHosts::load(&plan.known_hosts);
    let mut preferred = russh::Preferred::DEFAULT.clone();
    let known_algs = kh.algorithms_for(&plan.host, plan.port);
    if !known_algs.is_empty() {
        // Ask for a key type known_hosts has for this host first, as OpenSSH does: a host with an Ed25519 and an
        // RSA key, known by its RSA key, must not look changed.
        let is_rsa = |a: &Algorithm| matches!(a, Algorithm::Rsa { .. });
        let mut order: Vec<Algorithm> = Vec::new();
        for a in &known_algs {
            if is_rsa(a) {
                for r in preferred.key.iter().filter(|k| is_rsa(k)) {
                    if !order.contains(r) {
                        order.push(r.clone());
                    }
                }
            } else if !order.contains(a) {
                order.push(a.clone());
            }
        }
        for a in preferred.key.iter() {
            if !order.contains(a) {
                order.push(a.clone());
            }
        }
        preferred.key = order.into();
    }
    if kh.has_cert_authority_for(&plan.host, plan.port) {
        // Ask for a host certificate: a CA line covers this host.
        preferred.host_key_certificates = preferred.key.clone();
    }
    let config = Arc::new(client::Config {
        keepalive_interval: plan.alive_interval,
        keepalive_max: plan.alive_max,
        inactivity_timeout: None,
        nodelay: true,
        preferred,
        ..Default::default()
    });
    let handler = Client {
        host: plan.host.clone(),
        port: plan.port,
        known_hosts: kh,
        strict: plan.strict,
        save_to: plan.save_to.clone(),
        seen: seen.clone(),
    };
    let hs = Instant::now();
    let connecting = match via {
        None => {
            let t = Instant::now();
            let addrs = match crate::core::engine::probe::resolve(&plan.host, plan.port, timeout).await {
                Ok(a) => {
                    step("ssh_resolve", t, Ok(a.iter().map(|a| a.ip().to_string()).collect::<Vec<_>>().join(", ")));
                    a
                }
                Err(e) => {
                    step("ssh_resolve", t, Err(e.message.clone()));
                    return Err(unreachable(
                        plan,
                        e.message,
                        "check the SSH host name in the profile or ~/.ssh/config",
                    ));
                }
            };
            let t = Instant::now();
            let mut last = String::new();
            let mut stream = None;
            for a in &addrs {
                match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(a)).await {
                    Ok(Ok(s)) => {
                        stream = Some((s, *a));
                        break;
                    }
                    Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                        last = format!("connection refused at {a}")
                    }
                    Ok(Err(e)) => last = format!("{a}: {e}"),
                    Err(_) => last = format!("no answer from {a} within {} s", timeout.as_secs_f32()),
                }
            }
            let Some((s, a)) = stream else {
                step("ssh_tcp", t, Err(last.clone()));
                return Err(unreachable(
                    plan,
                    format!("SSH server {}: {last}", super::hostport(&plan.host, plan.port)),
                    "check that sshd runs there and listens on that port, and that no firewall is in the way",
                ));
            };
            let _ = s.set_nodelay(true);
            step("ssh_tcp", t, Ok(format!("connected to {a}")));
            let hs_start = Instant::now();
            let r = tokio::time::timeout(timeout, client::connect_stream(config, s, handler)).await;
            (r, hs_start)
        }
        Some(prev) => {
            let t = Instant::now();
            let ch = match tokio::time::timeout(
                timeout,
                prev.channel_open_direct_tcpip(plan.host.clone(), u32::from(plan.port), "127.0.0.1", 0),
            )
            .await
            {
                Ok(Ok(ch)) => ch,
                Ok(Err(e)) => {
                    let (class, why) = channel_failure(&e);
                    let msg = format!("the hop before could not open a connection to {}: {why}", plan.who());
                    step("ssh_tcp", t, Err(msg.clone()));
                    return Err(SshError::Failed(ConnectError::new(
                        class,
                        msg,
                        "check the host and port of this hop as the hop before sees them, and that the hop before \
                         allows TCP forwarding (AllowTcpForwarding)",
                    )));
                }
                Err(_) => {
                    step("ssh_tcp", t, Err("no answer".into()));
                    return Err(unreachable(
                        plan,
                        format!("opening a channel to {} timed out", plan.who()),
                        "check the hop before",
                    ));
                }
            };
            step("ssh_tcp", t, Ok("reached through the hop before".into()));
            let hs_start = Instant::now();
            let r = tokio::time::timeout(timeout, client::connect_stream(config, ch.into_stream(), handler)).await;
            (r, hs_start)
        }
    };
    let _ = hs;
    let (result, hs_start) = connecting;
    let (outcome, server_id) = {
        let mut s = seen.lock().unwrap_or_else(|e| e.into_inner());
        (s.outcome.take(), s.server_id.take().unwrap_or_default())
    };
    let mut handle = match result {
        Err(_) => {
            step("ssh_handshake", hs_start, Err("no SSH handshake".into()));
            return Err(unreachable(
                plan,
                format!(
                    "{} accepted the connection but no SSH handshake came within {} s",
                    plan.who(),
                    timeout.as_secs()
                ),
                "is that port an SSH server?",
            ));
        }
        Ok(Err(e)) => {
            if let Some(Err(refusal)) = outcome {
                let d = match &refusal {
                    SshError::Failed(c) => c.message.clone(),
                    SshError::HostKeyUnknown(k) => format!("host key {} {} not known", k.algorithm, k.fingerprint),
                    _ => "refused".into(),
                };
                step("ssh_handshake", hs_start, Err(d));
                return Err(refusal);
            }
            step("ssh_handshake", hs_start, Err(e.to_string()));
            return Err(unreachable(
                plan,
                format!("SSH handshake with {} failed: {e}", plan.who()),
                "check that it is an SSH server",
            ));
        }
        Ok(Ok(h)) => h,
    };
    let key_said = match outcome {
        Some(Ok(s)) => s,
        _ => String::new(),
    };
    step("ssh_handshake", hs_start, Ok(format!("{server_id}; host key {key_said}")));
    let t = Instant::now();
    match authenticate(&mut handle, plan).await {
        Ok(how) => step("ssh_auth", t, Ok(how)),
        Err(e) => {
            let d = match &e {
                SshError::Failed(c) => c.message.clone(),
                SshError::NeedPassphrase { file } => format!("the key {} needs its passphrase", file.display()),
                SshError::NeedPassword { .. } => "a password is needed".into(),
                SshError::HostKeyUnknown(_) => String::new(),
            };
            step("ssh_auth", t, Err(d));
            return Err(e);
        }
    }
    Ok(Connected { handle, server_id })
}

/// The class and words for a refused channel.
pub fn channel_failure(e: &russh::Error) -> (FailureClass, String) {
    match e {
        russh::Error::ChannelOpenFailure(ChannelOpenFailure::AdministrativelyProhibited) => (
            FailureClass::SshForwardingRefused,
            "forwarding refused by the SSH server (administratively prohibited)".into(),
        ),
        russh::Error::ChannelOpenFailure(ChannelOpenFailure::ConnectFailed) => {
            (FailureClass::Refused, "the SSH server could not connect there (refused or unreachable)".into())
        }
        russh::Error::ChannelOpenFailure(ChannelOpenFailure::Other { reason, .. }) => {
            (FailureClass::SshForwardingRefused, format!("refused: {}", reason.escape_debug()))
        }
        russh::Error::ChannelOpenFailure(other) => (FailureClass::SshForwardingRefused, format!("refused: {other:?}")),
        other => (FailureClass::SshUnreachable, format!("the SSH connection failed: {other}")),
    }
}

fn methods(m: &[MethodKind]) -> String {
    m.iter().map(<&str>::from).collect::<Vec<_>>().join(", ")
}

/// Public keys that sit beside the key files (`FILE.pub`), for IdentitiesOnly.
fn file_public_keys(files: &[PathBuf]) -> Vec<PublicKey> {
    files
        .iter()
        .filter_map(|f| {
            let mut p = f.clone().into_os_string();
            p.push(".pub");
            russh::keys::load_public_key(PathBuf::from(p)).ok()
        })
        .collect()
}

/// Authenticates as OpenSSH orders it. Ok says which method worked and which were refused.
async fn authenticate(handle: &mut Handle<Client>, plan: &HopPlan) -> Result<String, SshError> {
    let user = plan.user.clone();
    let mut refused: Vec<String> = Vec::new();
    let mut server_methods: Vec<MethodKind> = Vec::new();
    let rsa_hash = handle.best_supported_rsa_hash().await.ok().flatten().flatten();
    let done = |how: String, refused: &[String]| {
        if refused.is_empty() { how } else { format!("{how}; refused first: {}", refused.join(", ")) }
    };
    let failed = |r: &AuthResult, server_methods: &mut Vec<MethodKind>| {
        if let AuthResult::Failure { remaining_methods, .. } = r {
            *server_methods = remaining_methods.to_vec();
        }
    };
    // 1. The agent's keys.
    if std::env::var_os("SSH_AUTH_SOCK").is_some() {
        match russh::keys::agent::client::AgentClient::connect_env().await {
            Ok(mut agent) => {
                let ids = agent.request_identities().await.unwrap_or_default();
                let only = plan.identities_only.then(|| file_public_keys(&plan.identity_files));
                for id in ids {
                    let russh::keys::agent::AgentIdentity::PublicKey { key, .. } = id else { continue };
                    if let Some(only) = &only
                        && !only.iter().any(|k| k.key_data() == key.key_data())
                    {
                        continue;
                    }
                    let fp = known_hosts::fingerprint(&key);
                    let hash = if key.algorithm().is_rsa() { rsa_hash } else { None };
                    match handle.authenticate_publickey_with(&user, key.clone(), hash, &mut agent).await {
                        Ok(AuthResult::Success) => {
                            return Ok(done(format!("publickey from ssh-agent ({} {fp})", key.algorithm()), &refused));
                        }
                        Ok(r) => {
                            failed(&r, &mut server_methods);
                            refused.push(format!("agent key {fp}"));
                        }
                        Err(e) => refused.push(format!("agent key {fp} ({e:?})")),
                    }
                }
            }
            Err(e) => tracing::info!("ssh-agent not used: {e}"),
        }
    }
    // 2. Key files.
    for f in &plan.identity_files {
        if !f.is_file() {
            continue;
        }
        let key = match load_key(f) {
            Ok(k) => k,
            Err(e) => {
                if matches!(e, SshError::NeedPassphrase { .. }) {
                    return Err(e);
                }
                refused.push(format!("{} (unreadable)", f.display()));
                continue;
            }
        };
        let hash = if key.algorithm().is_rsa() { rsa_hash } else { None };
        let k = PrivateKeyWithHashAlg::new(Arc::new(key), hash);
        match handle.authenticate_publickey(&user, k).await {
            Ok(AuthResult::Success) => return Ok(done(format!("publickey {}", f.display()), &refused)),
            Ok(r) => {
                failed(&r, &mut server_methods);
                refused.push(f.display().to_string());
            }
            Err(e) => refused.push(format!("{} ({e})", f.display())),
        }
    }
    // 3. A password, when the server takes one (directly or through keyboard-interactive).
    if server_methods.is_empty()
        && let Ok(r) = handle.authenticate_none(&user).await
    {
        if matches!(r, AuthResult::Success) {
            return Ok("none (the server asked for nothing)".into());
        }
        failed(&r, &mut server_methods);
    }
    let who = plan.who();
    let takes_password = server_methods.contains(&MethodKind::Password);
    let takes_kbd = server_methods.contains(&MethodKind::KeyboardInteractive);
    if takes_password || takes_kbd {
        let Some(pw) = answers().password(&who) else { return Err(SshError::NeedPassword { who, tried: refused }) };
        let ok = if takes_password {
            matches!(handle.authenticate_password(&user, pw.expose_secret()).await, Ok(AuthResult::Success))
        } else {
            keyboard_interactive(handle, &user, pw.expose_secret()).await
        };
        if ok {
            return Ok(done("password".into(), &refused));
        }
        answers().forget_password(&who);
        refused.push("password".into());
    }
    Err(SshError::Failed(ConnectError::new(
        FailureClass::SshAuth,
        format!(
            "{who} refused every key and password tried ({}); it accepts: {}",
            if refused.is_empty() { "no key was found".to_string() } else { refused.join(", ") },
            methods(&server_methods)
        ),
        "check the user name; load the right key into ssh-agent (`ssh-add`) or name it with ssh_identity / \
         --ssh-identity; make sure its public key is in the server's ~/.ssh/authorized_keys",
    )))
}

async fn keyboard_interactive(handle: &mut Handle<Client>, user: &str, pw: &str) -> bool {
    let mut r = handle.authenticate_keyboard_interactive_start(user, None::<String>).await;
    for _ in 0..4 {
        match r {
            Ok(KeyboardInteractiveAuthResponse::Success) => return true,
            Ok(KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. }) => {
                let answers = prompts.iter().map(|_| pw.to_string()).collect();
                r = handle.authenticate_keyboard_interactive_respond(answers).await;
            }
            _ => return false,
        }
    }
    false
}

/// Loads a private key, with its passphrase from this session's answers when it is encrypted.
fn load_key(f: &Path) -> Result<russh::keys::PrivateKey, SshError> {
    match russh::keys::load_secret_key(f, None) {
        Ok(k) => Ok(k),
        Err(russh::keys::Error::KeyIsEncrypted) => {
            let Some(pass) = answers().passphrase(f) else {
                return Err(SshError::NeedPassphrase { file: f.to_path_buf() });
            };
            match russh::keys::load_secret_key(f, Some(pass.expose_secret())) {
                Ok(k) => Ok(k),
                Err(_) => {
                    answers().forget_passphrase(f);
                    Err(SshError::Failed(ConnectError::new(
                        FailureClass::SshAuth,
                        format!("the passphrase for {} is wrong", f.display()),
                        "type it again",
                    )))
                }
            }
        }
        Err(e) => Err(SshError::Failed(ConnectError::new(
            FailureClass::SshAuth,
            format!("cannot read the key {}: {e}", f.display()),
            "check the file",
        ))),
    }
}

/// Is an encrypted key's passphrase right? (The fronts check what was typed before trying again.)
pub fn passphrase_opens(f: &Path, pass: &str) -> bool {
    russh::keys::load_secret_key(f, Some(pass)).is_ok()
}
