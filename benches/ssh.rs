//! SSH tunnel benchmark (issue #13): the same queries direct and through a one-hop tunnel (an sshd of its own on
//! 127.0.0.1, key authentication), against PostgreSQL and MariaDB as users run them (fsync and synchronous_commit
//! on). Prints one table:
//! - round trip: `SELECT 1` on one connection, ROUNDS × 1,000 times, direct and tunnelled interleaved: median and
//!   p99, and what the tunnel adds;
//! - fetch: ROWS (default 1,000,000) rows of two columns streamed and counted, RUNS (default 3) runs each,
//!   interleaved: the best time of each, and the ratio.
//!
//!   scripts/bench.sh ssh          (needs root: it starts sshd; ROWS=200000 for a quick run)
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dbconsole::core::engine::{DbPool, connect_pool};
use dbconsole::core::profile::Profile;
use dbconsole::core::profile::url::parse_url;
use dbconsole::core::ssh::{Hop, Route};
use futures_util::TryStreamExt;
use secrecy::SecretString;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run through scripts/bench.sh (as root)"))
}

fn num(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn keygen(args: &[&str]) {
    let o = Command::new("ssh-keygen").args(args).output().expect("ssh-keygen");
    assert!(o.status.success(), "ssh-keygen: {}", String::from_utf8_lossy(&o.stderr));
}

struct Sshd(Child);

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An sshd on a free loopback port, the user's key authorized and its host key known; returns it and the port.
fn start_sshd(dir: &std::path::Path, home: &std::path::Path) -> (Sshd, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    keygen(&["-q", "-t", "ed25519", "-N", "", "-f", dir.join("host").to_str().unwrap()]);
    let ssh = home.join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    keygen(&["-q", "-t", "ed25519", "-N", "", "-f", ssh.join("id_ed25519").to_str().unwrap()]);
    std::fs::copy(ssh.join("id_ed25519.pub"), dir.join("authorized_keys")).unwrap();
    let host_pub = std::fs::read_to_string(dir.join("host.pub")).unwrap();
    std::fs::write(ssh.join("known_hosts"), format!("[127.0.0.1]:{port} {host_pub}")).unwrap();
    std::fs::write(
        dir.join("sshd_config"),
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\nAuthorizedKeysFile {}\nStrictModes no\n\
             UsePAM no\nPasswordAuthentication no\nAllowUsers {}\n",
            dir.join("host").display(),
            dir.join("sshd.pid").display(),
            dir.join("authorized_keys").display(),
            env("DBC_TEST_SSH_USER")
        ),
    )
    .unwrap();
    let child = Command::new(env("DBC_TEST_SSHD"))
        .args(["-D", "-e", "-f"])
        .arg(dir.join("sshd_config"))
        .stderr(Stdio::null())
        .spawn()
        .expect("sshd");
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(10), "sshd did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    (Sshd(child), port)
}

async fn select_one(pool: &DbPool) -> Duration {
    let t = Instant::now();
    match pool {
        DbPool::Postgres(p) => sqlx::query("SELECT 1").execute(p).await.map(|_| ()),
        DbPool::Mysql(p) => sqlx::query("SELECT 1").execute(p).await.map(|_| ()),
        DbPool::Sqlite(_) => unreachable!(),
        DbPool::Duckdb(_) => unreachable!("no DuckDB in this benchmark"),
    }
    .unwrap();
    t.elapsed()
}

async fn fetch(pool: &DbPool, rows: usize) -> Duration {
    let t = Instant::now();
    let n = match pool {
        DbPool::Postgres(p) => {
            let sql = format!("SELECT g, md5(g::text) FROM generate_series(1, {rows}) g");
            let mut s = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(p);
            let mut n = 0usize;
            while s.try_next().await.unwrap().is_some() {
                n += 1;
            }
            n
        }
        DbPool::Mysql(p) => {
            let sql = format!("SELECT seq, md5(seq) FROM seq_1_to_{rows}");
            let mut s = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(p);
            let mut n = 0usize;
            while s.try_next().await.unwrap().is_some() {
                n += 1;
            }
            n
        }
        DbPool::Sqlite(_) => unreachable!(),
        DbPool::Duckdb(_) => unreachable!("no DuckDB in this benchmark"),
    };
    assert_eq!(n, rows);
    t.elapsed()
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i].as_secs_f64() * 1000.0
}

fn main() {
    let home = tempfile::tempdir().unwrap();
    let sshd_dir = tempfile::tempdir().unwrap();
    // Before any thread starts: the SSH code reads ~/.ssh from HOME.
    unsafe { std::env::set_var("HOME", home.path()) };
    unsafe { std::env::remove_var("SSH_AUTH_SOCK") };
    let (_sshd, port) = start_sshd(sshd_dir.path(), home.path());
    let rounds = num("ROUNDS", 5);
    let rows = num("ROWS", 1_000_000);
    let runs = num("RUNS", 3);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async move {
        let hop = Hop::parse(&format!("{}@127.0.0.1:{port}", env("DBC_TEST_SSH_USER"))).unwrap();
        let route = Route { hops: vec![hop], identity: None };
        println!("SSH tunnel benchmark: one hop (sshd on 127.0.0.1:{port}), servers with default durability");
        println!(
            "{:<10} {:>12} {:>12} {:>12} {:>12} {:>10} {:>14} {:>14} {:>7}",
            "engine", "rt p50 dir", "rt p50 ssh", "rt p99 dir", "rt p99 ssh", "added", "fetch direct", "fetch ssh", "ratio"
        );
        for (engine, url, pw) in [
            ("postgres", format!("postgres://dbc@127.0.0.1:{}/dbc?sslmode=disable", env("DBC_TEST_PG_PORT")), "DBC_TEST_PG_PASSWORD"),
            ("mariadb", format!("mysql://dbc@127.0.0.1:{}/dbc?ssl-mode=disabled", env("DBC_TEST_MY_PORT")), "DBC_TEST_MY_PASSWORD"),
        ] {
            let mut direct: Profile = parse_url(&url).unwrap();
            direct.pool.max_connections = 1;
            let mut via = direct.clone();
            via.ssh = route.clone();
            let pw = SecretString::from(env(pw));
            let a = connect_pool(&direct, Some(&pw)).await.unwrap();
            let b = connect_pool(&via, Some(&pw)).await.unwrap();
            for _ in 0..200 {
                select_one(&a).await;
                select_one(&b).await;
            }
            let (mut da, mut db) = (Vec::new(), Vec::new());
            for _ in 0..rounds {
                for _ in 0..1000 {
                    da.push(select_one(&a).await);
                }
                for _ in 0..1000 {
                    db.push(select_one(&b).await);
                }
            }
            let (a50, b50, a99, b99) = (pct(&mut da, 0.5), pct(&mut db, 0.5), pct(&mut da, 0.99), pct(&mut db, 0.99));
            let (mut fa, mut fb) = (Vec::new(), Vec::new());
            for _ in 0..runs {
                fa.push(fetch(&a, rows).await);
                fb.push(fetch(&b, rows).await);
            }
            let best = |v: &[Duration]| v.iter().min().unwrap().as_secs_f64();
            println!(
                "{engine:<10} {:>9.3} ms {:>9.3} ms {:>9.3} ms {:>9.3} ms {:>7.3} ms {:>11.0} ms {:>11.0} ms {:>6.2}×",
                a50,
                b50,
                a99,
                b99,
                b50 - a50,
                best(&fa) * 1000.0,
                best(&fb) * 1000.0,
                best(&fb) / best(&fa)
            );
            a.close().await;
            b.close().await;
        }
        println!("(rt: SELECT 1 round trip; fetch: {rows} rows × 2 columns streamed, best of {runs}; added = p50 ssh − p50 direct)");
        dbconsole::core::ssh::tunnel::shutdown();
    });
}
