//! The first steps of a connection test, done by hand so each can be timed and blamed on its own: name
//! resolution, TCP connect, and what the server says first (PostgreSQL's answer to SSLRequest, MySQL's greeting).
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::classify::{ConnectError, FailureClass};

/// Resolves `host`. Names under `.invalid` are answered negatively at once, as RFC 6761 asks of resolver APIs,
/// without asking DNS.
pub async fn resolve(host: &str, port: u16, timeout: Duration) -> Result<Vec<SocketAddr>, ConnectError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let lower = bare.trim_end_matches('.').to_ascii_lowercase();
    let not_found = || {
        ConnectError::new(
            FailureClass::Dns,
            format!("host `{host}` not found"),
            "check the host name for typos, and this machine's DNS settings and /etc/hosts; try the IP address",
        )
    };
    if lower == "invalid" || lower.ends_with(".invalid") {
        return Err(not_found());
    }
    match tokio::time::timeout(timeout, tokio::net::lookup_host((bare, port))).await {
        Err(_) => Err(ConnectError::new(
            FailureClass::Dns,
            format!("looking up `{host}` took longer than {} s", timeout.as_secs_f32()),
            "the DNS server does not answer: check /etc/resolv.conf and the network",
        )),
        Ok(Err(_)) => Err(not_found()),
        Ok(Ok(addrs)) => {
            let v: Vec<_> = addrs.collect();
            if v.is_empty() { Err(not_found()) } else { Ok(v) }
        }
    }
}

/// Opens a TCP connection to the first address that accepts one.
pub async fn tcp_connect(
    addrs: &[SocketAddr],
    timeout: Duration,
    profile: &crate::core::profile::Profile,
) -> Result<(TcpStream, SocketAddr), ConnectError> {
    let mut last = None;
    for addr in addrs {
        match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => return Ok((s, *addr)),
            Ok(Err(e)) => last = Some(super::classify::classify_io(profile, &e)),
            Err(_) => last = Some(super::classify::timed_out(profile, timeout)),
        }
    }
    Err(last.unwrap_or_else(|| super::classify::refused(profile)))
}

/// What the server said before authentication.
#[derive(Debug, Clone, Default)]
pub struct Greeting {
    /// The server offers TLS.
    pub tls_offered: bool,
    /// MySQL's greeting names the server version.
    pub server_version: Option<String>,
}

fn no_answer(profile: &crate::core::profile::Profile, timeout: Duration, what: &str) -> ConnectError {
    ConnectError::new(
        FailureClass::Timeout,
        format!(
            "TCP connection to {}:{} opened, but no {what} came within {} s",
            profile.host,
            profile.port,
            timeout.as_secs_f32()
        ),
        format!(
            "something accepts connections on that port but does not speak the {} protocol, or the server is stalled: \
             check the port, and the server's load and log",
            profile.engine
        ),
    )
}

/// Sends PostgreSQL's SSLRequest and reads the one-byte answer ('S' or 'N').
pub async fn pg_probe<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    stream: &mut S,
    timeout: Duration,
    profile: &crate::core::profile::Profile,
) -> Result<Greeting, ConnectError> {
    const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
    let io = |e: std::io::Error| super::classify::classify_io(profile, &e);
    stream.write_all(&SSL_REQUEST).await.map_err(io)?;
    let mut b = [0u8; 1];
    match tokio::time::timeout(timeout, stream.read_exact(&mut b)).await {
        Err(_) => Err(no_answer(profile, timeout, "answer to the TLS request")),
        Ok(Err(e)) => Err(io(e)),
        Ok(Ok(_)) => match b[0] {
            b'S' => Ok(Greeting { tls_offered: true, server_version: None }),
            b'N' => Ok(Greeting { tls_offered: false, server_version: None }),
            b'E' => Err(ConnectError::new(
                FailureClass::Other,
                format!(
                    "{}:{} answered the TLS request with an error: a very old PostgreSQL?",
                    profile.host, profile.port
                ),
                "dbconsole supports PostgreSQL 9.6 and later",
            )),
            other => Err(ConnectError::new(
                FailureClass::Other,
                format!("{}:{} answered with byte 0x{other:02x}: not a PostgreSQL server", profile.host, profile.port),
                "check the port: is another service (MySQL, HTTP) listening there?",
            )),
        },
    }
}

/// Reads MySQL's initial handshake packet: server version and whether it offers TLS (CLIENT_SSL).
pub async fn mysql_probe<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    stream: &mut S,
    timeout: Duration,
    profile: &crate::core::profile::Profile,
) -> Result<Greeting, ConnectError> {
    let io = |e: std::io::Error| super::classify::classify_io(profile, &e);
    let read = async {
        let mut header = [0u8; 4];
        stream.read_exact(&mut header).await?;
        let len = u32::from_le_bytes([header[0], header[1], header[2], 0]) as usize;
        let mut payload = vec![0u8; len.min(1 << 16)];
        stream.read_exact(&mut payload).await?;
        Ok::<_, std::io::Error>(payload)
    };
    let payload = match tokio::time::timeout(timeout, read).await {
        Err(_) => return Err(no_answer(profile, timeout, "server greeting")),
        Ok(Err(e)) => return Err(io(e)),
        Ok(Ok(p)) => p,
    };
    parse_mysql_greeting(&payload).map_err(|(number, msg)| {
        if number == 0 {
            ConnectError::new(
                FailureClass::Other,
                format!("{}:{} sent something that is not a MySQL greeting: {msg}", profile.host, profile.port),
                "check the port: is another service listening there?",
            )
        } else {
            super::classify::classify_mysql(profile, number, &msg)
        }
    })
}

/// Parses a protocol-10 handshake. An error packet gives `Err((error number, message))`.
pub fn parse_mysql_greeting(payload: &[u8]) -> Result<Greeting, (u16, String)> {
    match payload.first() {
        Some(0xff) if payload.len() >= 3 => {
            let number = u16::from_le_bytes([payload[1], payload[2]]);
            let msg = String::from_utf8_lossy(&payload[3..]).trim_start_matches('#').to_string();
            Err((number, msg))
        }
        Some(10) => {
            let rest = &payload[1..];
            let nul = rest.iter().position(|b| *b == 0).ok_or((0, "unterminated version".to_string()))?;
            let version = String::from_utf8_lossy(&rest[..nul]).to_string();
            // After the version: connection id (4), auth data (8), filler (1), capability flags low (2).
            let caps_at = nul + 1 + 4 + 8 + 1;
            let caps = rest.get(caps_at..caps_at + 2).map(|b| u16::from_le_bytes([b[0], b[1]])).unwrap_or(0);
            Ok(Greeting { tls_offered: caps & 0x0800 != 0, server_version: Some(version) })
        }
        Some(v) => Err((0, format!("protocol version {v}"))),
        None => Err((0, "empty packet".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greeting_parse() {
        let mut p = vec![10u8];
        p.extend_from_slice(b"10.11.6-MariaDB\0");
        p.extend_from_slice(&[1, 0, 0, 0]);
        p.extend_from_slice(&[0; 8]);
        p.push(0);
        p.extend_from_slice(&(0x0800u16 | 0x0200).to_le_bytes());
        let g = parse_mysql_greeting(&p).unwrap();
        assert!(g.tls_offered);
        assert_eq!(g.server_version.as_deref(), Some("10.11.6-MariaDB"));
        let mut e = vec![0xffu8];
        e.extend_from_slice(&1129u16.to_le_bytes());
        e.extend_from_slice(b"Host '1.2.3.4' is blocked");
        assert_eq!(parse_mysql_greeting(&e).unwrap_err().0, 1129);
    }

    #[tokio::test]
    async fn invalid_names_fail_without_asking_dns() {
        let e = resolve("db.example.invalid", 5432, Duration::from_secs(1)).await.unwrap_err();
        assert_eq!(e.class, FailureClass::Dns);
        assert!(e.message.contains("db.example.invalid"));
    }
}
