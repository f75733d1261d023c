//! The process around the services: configuration that changes what clients see.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use ferrybridge_engine::clock::SystemClock;
use ferrybridge_server::{start_with_clock, Config};

/// POST an unsigned Query ListQueues; the status code and body.
fn unsigned_list_queues(addr: std::net::SocketAddr) -> (u16, String) {
    let body = "Action=ListQueues&Version=2012-11-05";
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("write request");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("read response");
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    (status, raw)
}

#[tokio::test]
async fn unsigned_requests_are_refused_unless_allowed() {
    let strict = start_with_clock(Config::ephemeral(), Arc::new(SystemClock))
        .await
        .expect("start");
    let addr = strict.addr;
    let (status, raw) = tokio::task::spawn_blocking(move || unsigned_list_queues(addr))
        .await
        .expect("request");
    assert_eq!(status, 403);
    assert!(
        raw.contains("<Code>MissingAuthenticationToken</Code>"),
        "{raw}"
    );

    let config = Config {
        allow_unsigned: true,
        ..Config::ephemeral()
    };
    let lenient = start_with_clock(config, Arc::new(SystemClock))
        .await
        .expect("start");
    let addr = lenient.addr;
    let (status, raw) = tokio::task::spawn_blocking(move || unsigned_list_queues(addr))
        .await
        .expect("request");
    assert_eq!(status, 200, "{raw}");
    assert!(raw.contains("<ListQueuesResponse"), "{raw}");
    strict.shutdown().await;
    lenient.shutdown().await;
}
