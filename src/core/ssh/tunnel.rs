//! The tunnels of this process: one per route and database address, shared by every pool, session, cancel and
//! transfer connection of the profiles that use it. Each has a Unix socket in a private directory; a connection to
//! it gets its own forwarded channel through the last hop. A hop that dropped (keepalives unanswered, sshd
//! restarted) is noticed when the next connection is opened, and the chain is built again with the answers given
//! earlier this session (accepted host keys, passphrases, passwords).
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use russh::client::Handle;
use tokio::net::UnixListener;

use super::connect::{self, Client, HopStep};
use super::plan::{self, HopPlan};
use super::{Route, SshEnv, SshError};
use crate::core::engine::{ConnectError, FailureClass};
use crate::core::profile::Profile;

/// What the status bar shows.
#[derive(Debug, Clone, PartialEq)]
pub enum TunnelState {
    Connecting,
    Up {
        hops: usize,
        since_secs: u64,
    },
    /// Dropped or failed; rebuilt when the next connection needs it.
    Down {
        error: String,
    },
}

impl TunnelState {
    pub fn label(&self) -> String {
        match self {
            TunnelState::Connecting => "ssh: connecting".into(),
            TunnelState::Up { hops, .. } => format!("ssh: up ({hops} hop{})", if *hops == 1 { "" } else { "s" }),
            TunnelState::Down { .. } => "ssh: down (reconnects on next query)".into(),
        }
    }
}

pub struct Tunnel {
    plans: Vec<HopPlan>,
    target: (String, u16),
    dir: PathBuf,
    socket: PathBuf,
    timeout: Duration,
    chain: tokio::sync::Mutex<Option<Vec<Handle<Client>>>>,
    state: Mutex<(TunnelState, Instant)>,
    /// The last refusal of a forwarded connection, for classifying the driver's bare "connection closed".
    last_forward_error: Mutex<Option<ConnectError>>,
    accept_task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

fn registry() -> std::sync::MutexGuard<'static, HashMap<String, Arc<Tunnel>>> {
    static R: OnceLock<Mutex<HashMap<String, Arc<Tunnel>>>> = OnceLock::new();
    R.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner())
}

/// The route a profile uses, or None for a direct connection.
pub fn route_of(p: &Profile) -> Option<&Route> {
    (!p.ssh.is_empty()).then_some(&p.ssh)
}

fn key_of(p: &Profile) -> String {
    format!(
        "{}|{}|{}",
        p.ssh.describe(),
        p.ssh.identity.as_ref().map(|i| i.display().to_string()).unwrap_or_default(),
        super::hostport(&p.host, p.port)
    )
}

/// The tunnel for a profile, built (or rebuilt) now so that failures show at once, classified; `on_step` sees each
/// hop's stages. With `probe_forward`, a forwarded connection to the database is opened and closed as a last step.
pub async fn ensure(
    p: &Profile,
    on_step: &mut (dyn FnMut(HopStep) + Send),
    probe_forward: bool,
) -> Result<Arc<Tunnel>, SshError> {
    let key = key_of(p);
    let existing = registry().get(&key).cloned();
    let t = match existing {
        Some(t) => t,
        None => {
            let plans = plan::plan(&p.ssh, &SshEnv::from_env())?;
            let t = Tunnel::create(plans, (p.host.clone(), p.port), Duration::from_secs(p.pool.connect_timeout_secs))?;
            registry().entry(key).or_insert(t).clone()
        }
    };
    t.chain_up(on_step).await?;
    if probe_forward {
        let s = Instant::now();
        let who = super::hostport(&t.target.0, t.target.1);
        let r = t.open_channel().await;
        let elapsed_ms = (s.elapsed().as_secs_f64() * 100_000.0).round() / 100.0;
        match r {
            Ok(ch) => {
                let _ = ch.close().await;
                on_step(HopStep {
                    name: "ssh_forward",
                    ok: true,
                    elapsed_ms,
                    detail: format!("the last hop forwards to {who}"),
                });
            }
            Err(e) => {
                on_step(HopStep { name: "ssh_forward", ok: false, elapsed_ms, detail: e.message.clone() });
                return Err(SshError::Failed(e));
            }
        }
    }
    Ok(t)
}

/// The tunnel's state for a profile, when it has one.
pub fn state_of(p: &Profile) -> Option<TunnelState> {
    let t = registry().get(&key_of(p)).cloned()?;
    let closed = t.chain.try_lock().ok().map(|g| g.as_ref().is_some_and(|c| c.iter().any(|h| h.is_closed())));
    let st = t.state.lock().unwrap_or_else(|e| e.into_inner()).clone();
    Some(match (st.0, closed) {
        (TunnelState::Up { .. }, Some(true)) => TunnelState::Down { error: "the SSH connection dropped".into() },
        (TunnelState::Up { hops, .. }, _) => TunnelState::Up { hops, since_secs: st.1.elapsed().as_secs() },
        (s, _) => s,
    })
}

/// The refusal behind a failed forwarded connection of this profile, when one was seen.
pub fn last_forward_error(p: &Profile) -> Option<ConnectError> {
    let t = registry().get(&key_of(p)).cloned()?;
    t.last_forward_error.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// Closes every tunnel and removes their sockets (at exit).
pub fn shutdown() {
    let all: Vec<Arc<Tunnel>> = registry().drain().map(|(_, t)| t).collect();
    for t in all {
        if let Some(task) = t.accept_task.lock().unwrap_or_else(|e| e.into_inner()).take() {
            task.abort();
        }
        let _ = std::fs::remove_dir_all(&t.dir);
    }
}

/// A directory only this user can enter, for the tunnels' sockets; old ones of processes that are gone are removed.
fn socket_dir() -> Result<PathBuf, std::io::Error> {
    use std::os::unix::fs::MetadataExt;
    let uid = unsafe { libc::geteuid() };
    // XDG_RUNTIME_DIR only when it is ours and nobody else can write in it; else the temporary directory, where
    // the random name below (made with mkdir, which never follows or reuses an existing path) does the job.
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| std::fs::symlink_metadata(d).is_ok_and(|m| m.is_dir() && m.uid() == uid && m.mode() & 0o022 == 0))
        .unwrap_or_else(std::env::temp_dir);
    let pid = std::process::id();
    if let Ok(rd) = std::fs::read_dir(&base) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            // Ours (same owner), of a process that is gone.
            if let Some(rest) = name.strip_prefix("dbconsole-ssh-")
                && let Some(other) = rest.split('-').next().and_then(|p| p.parse::<i32>().ok())
                && other as u32 != pid
                && std::fs::symlink_metadata(e.path()).is_ok_and(|m| m.is_dir() && m.uid() == uid)
                && unsafe { libc::kill(other, 0) } != 0
                && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
            {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let mut last = None;
    for _ in 0..16 {
        let dir = base.join(format!("dbconsole-ssh-{pid}-{:016x}", random_u64()));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free directory name")))
}

/// 64 random bits from the kernel (a clock-and-counter mix if /dev/urandom cannot be read).
fn random_u64() -> u64 {
    use std::io::Read;
    let mut b = [0u8; 8];
    if std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b)).is_ok() {
        return u64::from_le_bytes(b);
    }
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
    t ^ N.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed).rotate_left(17)
}

use std::os::unix::fs::DirBuilderExt;

impl Tunnel {
    fn create(plans: Vec<HopPlan>, target: (String, u16), timeout: Duration) -> Result<Arc<Tunnel>, SshError> {
        let io = |e: std::io::Error| {
            SshError::Failed(ConnectError::new(
                FailureClass::Other,
                format!("cannot make the tunnel's local socket: {e}"),
                "check that the temporary directory (TMPDIR or XDG_RUNTIME_DIR) is writable",
            ))
        };
        let dir = socket_dir().map_err(io)?;
        // PostgreSQL's driver takes a directory and names the socket itself; MySQL's takes the full path.
        let socket = dir.join(format!(".s.PGSQL.{}", target.1));
        let listener = UnixListener::bind(&socket).map_err(io)?;
        let t = Arc::new(Tunnel {
            plans,
            target,
            dir,
            socket,
            timeout,
            chain: tokio::sync::Mutex::new(None),
            state: Mutex::new((TunnelState::Connecting, Instant::now())),
            last_forward_error: Mutex::new(None),
            accept_task: Mutex::new(None),
        });
        let weak = Arc::downgrade(&t);
        let task = tokio::spawn(accept_loop(listener, weak));
        *t.accept_task.lock().unwrap_or_else(|e| e.into_inner()) = Some(task);
        Ok(t)
    }

    /// The directory the driver's socket lives in (PostgreSQL's `host`-as-directory form).
    pub fn socket_dir(&self) -> &Path {
        &self.dir
    }

    /// The socket itself (MySQL's `socket`).
    pub fn socket_path(&self) -> &Path {
        &self.socket
    }

    fn set_state(&self, s: TunnelState) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = (s, Instant::now());
    }

    /// Builds the chain of hops unless it is up.
    async fn chain_up(&self, on_step: &mut (dyn FnMut(HopStep) + Send)) -> Result<(), SshError> {
        let mut g = self.chain.lock().await;
        if let Some(c) = g.as_ref()
            && !c.iter().any(|h| h.is_closed())
        {
            return Ok(());
        }
        if g.is_some() {
            tracing::info!(route = %self.describe(), "SSH tunnel dropped; building it again");
        }
        *g = None;
        self.set_state(TunnelState::Connecting);
        let mut handles: Vec<Handle<Client>> = Vec::new();
        for (i, plan) in self.plans.iter().enumerate() {
            match connect::connect_hop(plan, i, handles.last(), self.timeout, on_step).await {
                Ok(c) => {
                    tracing::info!(hop = i + 1, who = %plan.who(), server = %c.server_id, "SSH hop up");
                    handles.push(c.handle);
                }
                Err(e) => {
                    let msg = match &e {
                        SshError::Failed(c) => c.message.clone(),
                        other => other.clone().into_connect_error().message,
                    };
                    self.set_state(TunnelState::Down { error: msg });
                    return Err(e);
                }
            }
        }
        *g = Some(handles);
        self.set_state(TunnelState::Up { hops: self.plans.len(), since_secs: 0 });
        Ok(())
    }

    fn describe(&self) -> String {
        self.plans.iter().map(|p| p.who()).collect::<Vec<_>>().join(" → ")
    }

    /// A forwarded channel to the database, the chain rebuilt first when it dropped.
    async fn open_channel(&self) -> Result<russh::Channel<russh::client::Msg>, ConnectError> {
        for attempt in 0..2 {
            self.chain_up(&mut |_| {}).await.map_err(SshError::into_connect_error)?;
            let g = self.chain.lock().await;
            let Some(last) = g.as_ref().and_then(|c| c.last()) else { continue };
            let r = tokio::time::timeout(
                self.timeout,
                last.channel_open_direct_tcpip(self.target.0.clone(), u32::from(self.target.1), "127.0.0.1", 0),
            )
            .await;
            match r {
                Ok(Ok(ch)) => return Ok(ch),
                Ok(Err(russh::Error::ChannelOpenFailure(f))) => {
                    let (class, why) = connect::channel_failure(&russh::Error::ChannelOpenFailure(f));
                    let who = super::hostport(&self.target.0, self.target.1);
                    let hint = if class == FailureClass::SshForwardingRefused {
                        "the last SSH hop does not allow forwarding: its sshd_config needs AllowTcpForwarding yes \
                         (and PermitOpen, if set, must list the database's host:port)"
                            .to_string()
                    } else {
                        format!(
                            "check that the database listens on {who} as the last hop ({}) sees it: the host in the \
                             profile is resolved and reached from there",
                            self.plans.last().map(|p| p.who()).unwrap_or_default()
                        )
                    };
                    return Err(ConnectError::new(class, format!("forwarding to {who}: {why}"), hint));
                }
                Ok(Err(e)) if attempt == 0 => {
                    tracing::info!("SSH channel failed ({e}); rebuilding the tunnel");
                    drop(g);
                    *self.chain.lock().await = None;
                }
                Ok(Err(e)) => {
                    return Err(ConnectError::new(
                        FailureClass::SshUnreachable,
                        format!("the SSH tunnel failed: {e}"),
                        "check the hops",
                    ));
                }
                Err(_) => {
                    // A stalled session: built again by the next connection rather than after the keepalives.
                    drop(g);
                    *self.chain.lock().await = None;
                    return Err(ConnectError::new(
                        FailureClass::SshUnreachable,
                        format!(
                            "the last SSH hop did not answer a forwarding request within {} s",
                            self.timeout.as_secs()
                        ),
                        "the SSH connection may be stalled: check the network to the bastion",
                    ));
                }
            }
        }
        Err(ConnectError::new(FailureClass::SshUnreachable, "the SSH tunnel could not be rebuilt", "check the hops"))
    }
}

async fn accept_loop(listener: UnixListener, tunnel: Weak<Tunnel>) {
    loop {
        let accepted = listener.accept().await;
        let Some(t) = tunnel.upgrade() else { return };
        // An accept error (out of file descriptors under a parallel transfer, an aborted connection) is passing:
        // the listener stays, after a pause.
        let mut local = match accepted {
            Ok((local, _)) => local,
            Err(e) => {
                tracing::warn!("SSH tunnel: accepting a local connection failed: {e}");
                drop(t);
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        tokio::spawn(async move {
            match t.open_channel().await {
                Ok(ch) => {
                    *t.last_forward_error.lock().unwrap_or_else(|e| e.into_inner()) = None;
                    let mut remote = ch.into_stream();
                    let _ =
                        tokio::io::copy_bidirectional_with_sizes(&mut local, &mut remote, 64 * 1024, 64 * 1024).await;
                }
                Err(e) => {
                    tracing::warn!("SSH tunnel: {}", e.message);
                    if matches!(e.class, FailureClass::SshUnreachable | FailureClass::SshAuth) {
                        t.set_state(TunnelState::Down { error: e.message.clone() });
                    }
                    *t.last_forward_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn socket_dirs_are_private_unpredictable_and_never_reused() {
        let a = socket_dir().unwrap();
        let b = socket_dir().unwrap();
        assert_ne!(a, b);
        for d in [&a, &b] {
            let m = std::fs::metadata(d).unwrap();
            assert_eq!(m.permissions().mode() & 0o777, 0o700);
            let name = d.file_name().unwrap().to_string_lossy().to_string();
            let suffix = name.rsplit('-').next().unwrap();
            assert_eq!(suffix.len(), 16, "{name}");
        }
        let _ = std::fs::remove_dir_all(&a);
        let _ = std::fs::remove_dir_all(&b);
    }
}
