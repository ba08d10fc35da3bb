//! A route made concrete: each hop's real host, port, user, keys, known_hosts files and keepalive, from the
//! profile and ~/.ssh/config as OpenSSH reads it. A first hop whose config names a ProxyJump is reached through
//! that jump (and its own ProxyJump, and so on), so a setup that works with `ssh` works here unchanged.
use std::path::PathBuf;
use std::time::Duration;

use super::config::{self, HostSettings, SshConfig, StrictHostKeyChecking};
use super::{Hop, Route, SshEnv};
use crate::core::engine::{ConnectError, FailureClass};

/// One hop, ready to connect.
#[derive(Debug, Clone, PartialEq)]
pub struct HopPlan {
    /// As the user or the config named it.
    pub alias: String,
    pub host: String,
    pub port: u16,
    pub user: String,
    /// Key files to try, in order: the profile's `ssh_identity`, then IdentityFile lines, then OpenSSH's defaults
    /// that exist (when no IdentityFile is given).
    pub identity_files: Vec<PathBuf>,
    /// IdentitiesOnly: of the agent's keys, only those of the files above.
    pub identities_only: bool,
    pub known_hosts: Vec<PathBuf>,
    /// Where an accepted key is saved: the first user known_hosts file, else ~/.ssh/known_hosts (never a global
    /// file, never the current directory).
    pub save_to: PathBuf,
    pub strict: StrictHostKeyChecking,
    pub alive_interval: Option<Duration>,
    pub alive_max: usize,
    pub connect_timeout: Option<Duration>,
    /// The config's ProxyCommand for this host (refused for a hop reached directly: dbconsole runs no commands).
    pub proxy_command: Option<String>,
}

impl HopPlan {
    /// `user@host:port`.
    pub fn who(&self) -> String {
        format!("{}@{}", self.user, super::hostport(&self.host, self.port))
    }
}

/// Keepalive when the config sets none: a tunnel idling behind a NAT or a firewall must not be dropped silently.
const DEFAULT_ALIVE: Duration = Duration::from_secs(30);
const MAX_JUMPS: usize = 16;

fn config_error(e: impl std::fmt::Display) -> ConnectError {
    ConnectError::new(
        FailureClass::Other,
        format!("~/.ssh/config: {e}"),
        "fix that line; dbconsole reads the file as OpenSSH does",
    )
}

/// Resolves the route's hops.
pub fn plan(route: &Route, env: &SshEnv) -> Result<Vec<HopPlan>, ConnectError> {
    let cfg = SshConfig::load(&env.config_file(), &env.ssh_dir()).map_err(config_error)?;
    for w in &cfg.warnings {
        tracing::warn!("ssh config: {w}");
    }
    let mut out = Vec::new();
    // The profile's key file is tried first on every hop (config jumps included): one key for the whole route is
    // the common case, and a hop that refuses it goes on to its own keys.
    for (i, hop) in route.hops.iter().enumerate() {
        if i == 0 {
            jumps_before(&cfg, env, hop, &mut out, 0, &route.identity)?;
        }
        out.push(one(&cfg, env, hop, route.identity.clone())?);
    }
    if let Some(first) = out.first()
        && let Some(cmd) = &first.proxy_command
    {
        return Err(ConnectError::new(
            FailureClass::SshUnreachable,
            format!(
                "~/.ssh/config reaches `{}` with ProxyCommand `{}`, which dbconsole does not run",
                first.alias,
                cmd.escape_debug()
            ),
            "dbconsole runs no shell commands to connect: for jump hosts write ProxyJump (or list the hops in the \
             profile's ssh = [...]); `ssh -W` style commands are exactly what ProxyJump does",
        ));
    }
    Ok(out)
}

/// The hops a first hop's ProxyJump puts in front of it, recursively.
fn jumps_before(
    cfg: &SshConfig,
    env: &SshEnv,
    hop: &Hop,
    out: &mut Vec<HopPlan>,
    depth: usize,
    identity: &Option<PathBuf>,
) -> Result<(), ConnectError> {
    let s = cfg.resolve(&hop.host);
    let Some(pj) = s.proxy_jump.filter(|v| !v.eq_ignore_ascii_case("none")) else { return Ok(()) };
    if depth >= MAX_JUMPS {
        return Err(config_error(format!("ProxyJump of `{}` goes {MAX_JUMPS} deep: a loop?", hop.host)));
    }
    let jumps = config::parse_jumps(&pj).map_err(|m| config_error(format!("ProxyJump of `{}`: {m}", hop.host)))?;
    for (k, (user, host, port)) in jumps.into_iter().enumerate() {
        let j = Hop { user, host, port };
        if k == 0 {
            jumps_before(cfg, env, &j, out, depth + 1, identity)?;
        }
        out.push(one(cfg, env, &j, identity.clone())?);
    }
    Ok(())
}

fn one(cfg: &SshConfig, env: &SshEnv, hop: &Hop, identity: Option<PathBuf>) -> Result<HopPlan, ConnectError> {
    let s: HostSettings = cfg.resolve(&hop.host);
    let host = s.host_name.clone().unwrap_or_else(|| hop.host.clone());
    let port = hop.port.or(s.port).unwrap_or(22);
    let user = hop.user.clone().or(s.user.clone()).unwrap_or_else(|| env.local_user.clone());
    let exp = |v: &str| {
        config::expand(v, &hop.host, &host, port, &user, &env.local_user, &env.home)
            .map_err(|m| config_error(format!("`{v}`: {m}")))
    };
    let mut identity_files: Vec<PathBuf> = identity.into_iter().collect();
    for f in &s.identity_files {
        identity_files.push(PathBuf::from(exp(f)?));
    }
    if s.identity_files.is_empty() {
        for name in ["id_ed25519", "id_ecdsa", "id_rsa"] {
            let f = env.ssh_dir().join(name);
            if f.is_file() && !identity_files.contains(&f) {
                identity_files.push(f);
            }
        }
    }
    if let Some((k, v)) = s.unsupported.first() {
        return Err(ConnectError::new(
            FailureClass::Other,
            format!(
                "~/.ssh/config sets {k} `{}` for `{}`, which dbconsole does not implement",
                v.escape_debug(),
                hop.host
            ),
            "dbconsole refuses rather than check host keys with less than the config asks: remove it for this host, \
             or reach the server with OpenSSH's own tools",
        ));
    }
    let mut known_hosts = Vec::new();
    if s.user_known_hosts_files.is_empty() {
        known_hosts.push(env.ssh_dir().join("known_hosts"));
        known_hosts.push(env.ssh_dir().join("known_hosts2"));
    } else {
        for f in &s.user_known_hosts_files {
            if f.eq_ignore_ascii_case("none") {
                continue;
            }
            known_hosts.push(PathBuf::from(exp(f)?));
        }
    }
    let user_count = known_hosts.len();
    if s.global_known_hosts_files.is_empty() {
        known_hosts.push(PathBuf::from("/etc/ssh/ssh_known_hosts"));
        known_hosts.push(PathBuf::from("/etc/ssh/ssh_known_hosts2"));
    } else {
        for f in &s.global_known_hosts_files {
            if !f.eq_ignore_ascii_case("none") {
                known_hosts.push(PathBuf::from(exp(f)?));
            }
        }
    }
    let save_to = known_hosts[..user_count].first().cloned().unwrap_or_else(|| env.ssh_dir().join("known_hosts"));
    let alive = match s.server_alive_interval {
        Some(0) => None,
        Some(n) => Some(Duration::from_secs(n)),
        None => Some(DEFAULT_ALIVE),
    };
    Ok(HopPlan {
        alias: hop.host.clone(),
        host,
        port,
        user,
        identity_files,
        identities_only: s.identities_only.unwrap_or(false),
        known_hosts,
        save_to,
        strict: s.strict_host_key_checking.unwrap_or(StrictHostKeyChecking::Ask),
        alive_interval: alive,
        alive_max: s.server_alive_count_max.unwrap_or(3) as usize,
        connect_timeout: s.connect_timeout.filter(|n| *n > 0).map(Duration::from_secs),
        proxy_command: s
            .proxy_command
            .filter(|c| !c.eq_ignore_ascii_case("none") && s.proxy_jump.as_deref().is_none_or(|j| j == "none")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_with(config: &str) -> (tempfile::TempDir, SshEnv) {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".ssh")).unwrap();
        std::fs::write(home.path().join(".ssh/config"), config).unwrap();
        let env = SshEnv { home: home.path().to_path_buf(), local_user: "me".into() };
        (home, env)
    }

    fn route(hops: &[&str]) -> Route {
        Route { hops: hops.iter().map(|h| Hop::parse(h).unwrap()).collect(), identity: None }
    }

    #[test]
    fn defaults_without_config() {
        let (home, env) = env_with("");
        std::fs::write(home.path().join(".ssh/id_rsa"), "x").unwrap();
        let p = plan(&route(&["bastion"]), &env).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].host.as_str(), p[0].port, p[0].user.as_str()), ("bastion", 22, "me"));
        assert_eq!(p[0].identity_files, vec![home.path().join(".ssh/id_rsa")]);
        assert_eq!(p[0].known_hosts[0], home.path().join(".ssh/known_hosts"));
        assert_eq!(p[0].alive_interval, Some(DEFAULT_ALIVE));
        assert_eq!(p[0].strict, StrictHostKeyChecking::Ask);
        assert_eq!(p[0].who(), "me@bastion:22");
    }

    #[test]
    fn config_settings_and_the_profile_win_in_order() {
        let (home, env) = env_with(
            "Host db-*\n  User ops\n  Port 2200\n  IdentityFile ~/.ssh/ops_%r\n  ServerAliveInterval 0\n\
             UserKnownHostsFile ~/.ssh/kh_one ~/.ssh/kh_two\n  StrictHostKeyChecking yes\n\
             Host *\n  User fallback\n  HostName %h.example.net\n",
        );
        let mut r = route(&["admin@db-eu:2222"]);
        r.identity = Some(home.path().join("mine"));
        let p = plan(&r, &env).unwrap();
        let h = &p[0];
        assert_eq!((h.host.as_str(), h.port, h.user.as_str()), ("db-eu.example.net", 2222, "admin"));
        assert_eq!(h.identity_files, vec![home.path().join("mine"), home.path().join(".ssh/ops_admin")]);
        assert_eq!(h.known_hosts[..2], [home.path().join(".ssh/kh_one"), home.path().join(".ssh/kh_two")]);
        assert_eq!(h.alive_interval, None);
        assert_eq!(h.strict, StrictHostKeyChecking::Yes);
        let p = plan(&route(&["db-us"]), &env).unwrap();
        assert_eq!((p[0].user.as_str(), p[0].port), ("ops", 2200));
    }

    #[test]
    fn a_first_hops_proxyjump_goes_in_front_recursively_and_later_hops_keep_their_own() {
        let (_home, env) = env_with(
            "Host inner\n  HostName 10.0.0.5\n  ProxyJump middle\nHost middle\n  ProxyJump jump@edge:2022\n\
             Host second\n  ProxyJump nowhere\n",
        );
        let p = plan(&route(&["inner", "second"]), &env).unwrap();
        let who: Vec<String> = p.iter().map(|h| h.who()).collect();
        assert_eq!(who, ["jump@edge:2022", "me@middle:22", "me@10.0.0.5:22", "me@second:22"]);
    }

    #[test]
    fn a_proxyjump_loop_is_an_error_not_a_hang() {
        let (_home, env) = env_with("Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n");
        let e = plan(&route(&["a"]), &env).unwrap_err();
        assert!(e.message.contains("loop"), "{}", e.message);
    }

    #[test]
    fn a_proxycommand_is_refused_not_run() {
        let (home, env) = env_with("Host old\n  ProxyCommand touch /tmp/should-not-exist-%h; ssh -W %h:%p gw\n");
        let e = plan(&route(&["old"]), &env).unwrap_err();
        assert!(e.message.contains("ProxyCommand") && e.hint.contains("ProxyJump"), "{}", e.message);
        let _ = home;
        // Reached through an explicit earlier hop, its ProxyCommand does not apply (as with ssh -J).
        assert!(plan(&route(&["gw", "old"]), &env).is_ok());
    }

    #[test]
    fn host_key_keywords_it_does_not_implement_are_refused_and_keys_are_saved_to_a_user_file() {
        let (home, env) =
            env_with("Host krl\n  RevokedHostKeys ~/.ssh/revoked.krl\nHost nofile\n  UserKnownHostsFile none\n");
        let e = plan(&route(&["krl"]), &env).unwrap_err();
        assert!(e.message.contains("RevokedHostKeys"), "{}", e.message);
        let p = plan(&route(&["nofile"]), &env).unwrap();
        assert_eq!(p[0].save_to, home.path().join(".ssh/known_hosts"));
        assert!(p[0].known_hosts.iter().all(|f| f.starts_with("/etc/ssh")), "{:?}", p[0].known_hosts);
    }

    #[test]
    fn a_bad_config_line_is_named() {
        let (_home, env) = env_with("Host x\n  Port many\n");
        let e = plan(&route(&["x"]), &env).unwrap_err();
        assert!(e.message.contains(":2") && e.message.contains("Port"), "{}", e.message);
    }
}
