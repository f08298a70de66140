//! A tiny HTTP/1.1 client (std only) with retries, and per-test port allocation.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

/// A response: status code and body (lossy UTF-8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
}

fn find_subslice(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One attempt: connect, send `GET path`, read the response. The client closes first once
/// it has `Content-Length` bytes, so the server side of the connection does not enter
/// TIME_WAIT.
fn attempt(port: u16, path: &str, io_timeout: Duration) -> std::io::Result<HttpResponse> {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, io_timeout)?;
    stream.set_read_timeout(Some(io_timeout))?;
    stream.set_write_timeout(Some(io_timeout))?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes())?;

    let bad = |msg: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, msg.to_string());
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        if let Some(i) = find_subslice(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(bad("connection closed before the end of the headers"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).into_owned();
    let status: u16 = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("malformed status line"))?;
    let content_length: Option<usize> = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        if k.trim().eq_ignore_ascii_case("content-length") {
            v.trim().parse().ok()
        } else {
            None
        }
    });
    let mut body = buf[header_end..].to_vec();
    match content_length {
        Some(len) => {
            while body.len() < len {
                let n = stream.read(&mut chunk)?;
                if n == 0 {
                    return Err(bad("connection closed before the end of the body"));
                }
                body.extend_from_slice(&chunk[..n]);
            }
            body.truncate(len);
        }
        None => {
            stream.read_to_end(&mut body)?;
        }
    }
    drop(stream);
    Ok(HttpResponse {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// `GET http://127.0.0.1:<port><path>`, retrying connection and read errors every 200 ms
/// until `timeout`. Returns the first complete response, whatever its status.
pub fn http_request(port: u16, path: &str, timeout: Duration) -> Option<HttpResponse> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let io_timeout = left.clamp(Duration::from_millis(200), Duration::from_secs(5));
        if let Ok(resp) = attempt(port, path, io_timeout) {
            return Some(resp);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Like [`http_request`], but returns the body only for a 200 response (`None` otherwise).
pub fn http_get(port: u16, path: &str, timeout: Duration) -> Option<String> {
    http_request(port, path, timeout)
        .filter(|r| r.status == 200)
        .map(|r| r.body)
}

static NEXT_PORT: AtomicU16 = AtomicU16::new(0);

/// A free TCP port on 127.0.0.1, distinct for every call in this process. Ports come from
/// a per-process block (`20000 + (pid % 600) * 20`, or `$SVCPACK_TEST_PORT_BASE`) so
/// concurrent test processes rarely meet; each candidate is checked by binding it.
pub fn next_port() -> u16 {
    let base: u16 = std::env::var("SVCPACK_TEST_PORT_BASE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| 20000 + (std::process::id() % 600) as u16 * 20);
    for _ in 0..2000 {
        let offset = NEXT_PORT.fetch_add(1, Ordering::SeqCst);
        let port = base.wrapping_add(offset);
        if port < 1024 {
            continue;
        }
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free TCP port found from {base}");
}
