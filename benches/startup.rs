//! Startup and idle benchmark of the real binary in a pseudo-terminal (80x24), on the demo database.
//!
//!   cargo bench --bench startup
//!
//! Prints a table: time from process spawn to the first drawn frame (the binary's --first-frame-exit reports the
//! time since its own `main`; the wall time adds exec, dynamic loading, terminal set-up and teardown), and what an
//! idle dbconsole does in 5 s: CPU time used and thread wake-ups (context switches), read from /proc.
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Pty {
    master: std::fs::File,
    slave: OwnedFd,
}

fn openpty(cols: u16, rows: u16) -> Pty {
    let mut master = 0;
    let mut slave = 0;
    let ws = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
    let rc = unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), &ws) };
    assert_eq!(rc, 0, "openpty failed");
    unsafe { Pty { master: std::fs::File::from_raw_fd(master), slave: OwnedFd::from_raw_fd(slave) } }
}

fn spawn_in_pty(args: &[&str], envs: &[(&str, String)]) -> (std::process::Child, std::fs::File) {
    let pty = openpty(80, 24);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dbconsole"));
    cmd.args(args)
        .stdin(Stdio::from(pty.slave.try_clone().unwrap()))
        .stdout(Stdio::from(pty.slave.try_clone().unwrap()))
        .stderr(Stdio::from(pty.slave));
    for (k, v) in envs {
        cmd.env(k, v);
    }
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(|| {
            libc::setsid();
            libc::ioctl(0, libc::TIOCSCTTY, 0);
            Ok(())
        });
    }
    let child = cmd.spawn().expect("spawn dbconsole");
    (child, pty.master)
}

fn drain(mut master: std::fs::File) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 8192];
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&all).into_owned()
    })
}

fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let p = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (p(0.0), p(0.5), p(0.9))
}

/// utime+stime in clock ticks, and voluntary+involuntary context switches summed over all threads.
fn proc_usage(pid: u32) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    let mut switches = 0;
    for t in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap().flatten() {
        let s = std::fs::read_to_string(t.path().join("status")).unwrap_or_default();
        for line in s.lines() {
            if line.starts_with("voluntary_ctxt_switches") || line.starts_with("nonvoluntary_ctxt_switches") {
                switches += line.split_whitespace().last().unwrap().parse::<u64>().unwrap();
            }
        }
    }
    (ticks, switches)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let envs = vec![
        ("DBCONSOLE_CONFIG_DIR", dir.path().join("config").display().to_string()),
        ("DBCONSOLE_DATA_DIR", dir.path().join("data").display().to_string()),
        ("TERM", "xterm-256color".to_string()),
    ];
    // First run creates the profiles file and the demo database; measure the steady state after it.
    let mut prep = Command::new(env!("CARGO_BIN_EXE_dbconsole"));
    prep.args(["profile", "test", "demo"]).stdout(Stdio::null());
    for (k, v) in &envs {
        prep.env(k, v);
    }
    assert!(prep.status().unwrap().success());

    let runs = 40;
    let mut wall = Vec::new();
    let mut internal = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let (mut child, master) = spawn_in_pty(&["--first-frame-exit"], &envs);
        let reader = drain(master);
        let status = child.wait().unwrap();
        wall.push(t.elapsed().as_secs_f64() * 1000.0);
        let out = reader.join().unwrap();
        assert!(status.success(), "{status}: {out}");
        let ms: f64 = out
            .split("first frame after ")
            .nth(1)
            .and_then(|s| s.split(" ms").next())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(|| panic!("no timing in output: {out:?}"));
        internal.push(ms);
    }
    let (wmin, wmed, wp90) = stats(wall);
    let (imin, imed, ip90) = stats(internal);

    // Idle: a running TUI connected to the demo database, left alone for 5 s.
    let (mut child, master) = spawn_in_pty(&[], &envs);
    let reader = drain(master.try_clone().unwrap());
    std::thread::sleep(Duration::from_millis(1500));
    let (t0, s0) = proc_usage(child.id());
    let idle = Duration::from_secs(5);
    std::thread::sleep(idle);
    let (t1, s1) = proc_usage(child.id());
    let threads = std::fs::read_dir(format!("/proc/{}/task", child.id())).unwrap().count();
    use std::io::Write;
    (&master).write_all(b"q").unwrap();
    let status = child.wait().unwrap();
    drop(master);
    let _ = reader.join();
    assert!(status.success());
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;

    println!();
    println!("dbconsole startup, 80x24 pseudo-terminal, demo SQLite database, {runs} runs");
    println!("| measure                                   |    min |  median |    p90 | target  |");
    println!("|-------------------------------------------|--------|---------|--------|---------|");
    println!("| main() → first frame drawn (ms)           | {imin:6.2} | {imed:7.2} | {ip90:6.2} | < 50 ms |");
    println!("| spawn → first frame → exit, wall (ms)     | {wmin:6.2} | {wmed:7.2} | {wp90:6.2} |         |");
    println!();
    println!("idle for {} s after start-up ({threads} threads)", idle.as_secs());
    println!("| measure                          | value |");
    println!("|----------------------------------|-------|");
    println!("| CPU time used (ms)               | {:5.0} |", (t1 - t0) as f64 * 1000.0 / hz);
    println!("| wake-ups (context switches)      | {:5} |", s1 - s0);
}
