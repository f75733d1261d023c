//! `ferrybridge health`: ask a running emulator whether it is healthy, with no tool but the
//! binary itself (a `FROM scratch` image has no curl for its `HEALTHCHECK`).

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The longest answer read from the health endpoint (it is a few hundred bytes).
const MAX_ANSWER: u64 = 64 * 1024;

/// Where a listener on `host` is reached from the same machine: the loopback address of the
/// same family when it listens on every address (`0.0.0.0`, `::`), else `host` itself.
pub fn reachable(host: IpAddr, port: u16) -> SocketAddr {
    let ip = match host {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other,
    };
    SocketAddr::new(ip, port)
}

/// One `GET /_ferrybridge/health` with `timeout` for connecting and for the answer; `Ok(body)`
/// when the emulator answered 200 and reports itself running.
pub fn check(addr: SocketAddr, timeout: Duration) -> Result<String, String> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .map_err(|err| format!("cannot connect to {addr}: {err}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|err| format!("cannot set a time-out: {err}"))?;
    let request = format!(
        "GET /_ferrybridge/health HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\n\
         User-Agent: ferrybridge-health/{}\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|err| format!("cannot send to {addr}: {err}"))?;
    let mut answer = Vec::new();
    stream
        .take(MAX_ANSWER)
        .read_to_end(&mut answer)
        .map_err(|err| format!("no answer from {addr}: {err}"))?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status_line = head.lines().next().unwrap_or_default();
    let status = status_line.split_whitespace().nth(1).unwrap_or_default();
    if status != "200" {
        return Err(format!("{addr} answered {status_line:?}: {body}"));
    }
    let running = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("status").and_then(|s| s.as_str()).map(str::to_owned));
    match running.as_deref() {
        Some("running") => Ok(body.trim().to_owned()),
        _ => Err(format!("{addr} is not running: {body}")),
    }
}

/// [`check`] again every 100 ms until it succeeds or `wait` has passed (`wait` zero: once).
pub fn check_until(addr: SocketAddr, timeout: Duration, wait: Duration) -> Result<String, String> {
    let deadline = Instant::now() + wait;
    loop {
        match check(addr, timeout) {
            Ok(body) => return Ok(body),
            Err(err) if Instant::now() >= deadline => return Err(err),
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}
