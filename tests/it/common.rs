use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A server setting from scripts/test.sh. A missing one fails the test: a test never skips silently.
pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests through scripts/test.sh, which starts PostgreSQL and MariaDB")
    })
}

pub fn pg_port() -> u16 {
    env("DBC_TEST_PG_PORT").parse().expect("port")
}

pub fn my_port() -> u16 {
    env("DBC_TEST_MY_PORT").parse().expect("port")
}

/// An isolated config and data directory for one test.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox { dir: tempfile::tempdir().expect("tempdir") }
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn profiles_file(&self) -> PathBuf {
        self.config().join("profiles.toml")
    }

    /// Writes the profiles file (owner-only, as dbconsole would).
    pub fn write_profiles(&self, text: &str) {
        std::fs::create_dir_all(self.config()).unwrap();
        std::fs::write(self.profiles_file(), text).unwrap();
        set_mode(&self.profiles_file(), 0o600);
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_dbconsole"));
        c.env("DBCONSOLE_CONFIG_DIR", self.config())
            .env("DBCONSOLE_DATA_DIR", self.data())
            .env_remove("DATABASE_URL")
            .env("HOME", self.dir.path())
            .stdin(std::process::Stdio::null());
        for (k, _) in std::env::vars() {
            if k.starts_with("PG") {
                c.env_remove(k);
            }
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run dbconsole")
    }

    /// Every log line written so far.
    pub fn logs(&self) -> String {
        let mut all = String::new();
        if let Ok(rd) = std::fs::read_dir(self.data().join("logs")) {
            for e in rd.flatten() {
                all.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
            }
        }
        all
    }
}

pub fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

pub fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", stdout(o), stderr(o)))
}

/// A TCP listener on 127.0.0.1 that accepts connections and never answers: the way to provoke a timeout
/// without sending traffic anywhere but loopback.
pub struct SilentListener {
    pub port: u16,
}

impl SilentListener {
    pub fn start() -> SilentListener {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for s in l.incoming().flatten() {
                held.push(s);
            }
        });
        SilentListener { port }
    }
}

/// A port on 127.0.0.1 with nothing listening (bound, then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// The real binary in a tmux session of its own (its own server socket), killed on drop.
pub struct Tmux {
    socket: String,
    session: &'static str,
}

impl Tmux {
    pub fn start(sb: &Sandbox, name: &str, width: u16, height: u16) -> Tmux {
        Tmux::start_with(sb, name, width, height, "")
    }

    /// As `start`, with shell commands before dbconsole's (`set -m; ` gives it job control, as an interactive
    /// shell would).
    pub fn start_with(sb: &Sandbox, name: &str, width: u16, height: u16, before: &str) -> Tmux {
        let t = Tmux { socket: format!("dbc-e2e-{}-{name}", std::process::id()), session: "e2e" };
        let cmd = format!(
            "{before}DBCONSOLE_CONFIG_DIR='{}' DBCONSOLE_DATA_DIR='{}' '{}'; echo DBCONSOLE-EXITED-$?; sleep 30",
            sb.config().display(),
            sb.data().display(),
            env!("CARGO_BIN_EXE_dbconsole")
        );
        let ok = Command::new("tmux")
            .args([
                "-L",
                &t.socket,
                "new-session",
                "-d",
                "-s",
                t.session,
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
                &cmd,
            ])
            .status()
            .expect("tmux must be installed (scripts/test.sh installs it)");
        assert!(ok.success());
        t
    }

    /// Any shell command line in a tmux session of its own (the caller sets what environment it needs).
    pub fn start_raw(name: &str, width: u16, height: u16, cmd: &str) -> Tmux {
        let t = Tmux { socket: format!("dbc-e2e-{}-{name}", std::process::id()), session: "e2e" };
        let (w, h) = (width.to_string(), height.to_string());
        let args = ["-L", &t.socket, "new-session", "-d", "-s", t.session, "-x", &w, "-y", &h, cmd];
        assert!(Command::new("tmux").args(args).status().expect("tmux").success());
        t
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["-L", &self.socket, "send-keys", "-t", self.session];
        args.extend_from_slice(keys);
        assert!(Command::new("tmux").args(&args).status().unwrap().success());
    }

    pub fn text(&self, s: &str) {
        assert!(
            Command::new("tmux")
                .args(["-L", &self.socket, "send-keys", "-t", self.session, "-l", "--", s])
                .status()
                .unwrap()
                .success()
        );
    }

    pub fn capture(&self) -> String {
        let out =
            Command::new("tmux").args(["-L", &self.socket, "capture-pane", "-t", self.session, "-p"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The screen with its colours and attributes as escape sequences (`capture-pane -e`).
    pub fn capture_escaped(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-e", "-t", self.session, "-p"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A tmux format of the pane, as `display -p` prints it (`#{pane_pid}`, `#{alternate_on}`, `#{cursor_flag}`).
    pub fn display(&self, format: &str) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "display", "-p", "-t", self.session, format])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The screen once it shows `marker` and has settled (two captures alike, so a frame caught half drawn on a
    /// busy machine is not what the test reads).
    pub fn wait_for(&self, marker: &str) -> String {
        let start = Instant::now();
        loop {
            let mut screen = self.capture();
            if screen.contains(marker) {
                for _ in 0..20 {
                    std::thread::sleep(Duration::from_millis(25));
                    let again = self.capture();
                    if again == screen {
                        break;
                    }
                    screen = again;
                }
                if screen.contains(marker) {
                    return screen;
                }
            }
            assert!(start.elapsed() < Duration::from_secs(20), "`{marker}` never appeared; the screen:\n{screen}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.socket, "kill-server"]).status();
    }
}

/// A key press on the app (no modifiers); the effects it asks for.
pub fn key(app: &mut dbconsole::tui::app::App, code: crossterm::event::KeyCode) -> Vec<dbconsole::tui::effect::Effect> {
    use crossterm::event::{KeyEvent, KeyModifiers};
    app.update(dbconsole::tui::action::Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// The app drawn on a `w`×`h` TestBackend.
pub fn screen(app: &dbconsole::tui::app::App, w: u16, h: u16) -> ratatui::Terminal<ratatui::backend::TestBackend> {
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    t.draw(|f| dbconsole::tui::draw::draw(f, app)).unwrap();
    t
}
