//! A local HTTP endpoint for SNS HTTP/S subscriptions: it records every request it receives
//! and answers each with a fixed status.

use std::collections::HashMap;
use std::time::Duration;

/// One request an HTTP endpoint of the test received.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Received {
    pub fn kind(&self) -> &str {
        self.headers
            .get("x-amz-sns-message-type")
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// A local HTTP endpoint answering every POST with `status`.
pub struct Endpoint {
    pub url: String,
    requests: tokio::sync::mpsc::UnboundedReceiver<Received>,
}

pub async fn endpoint(status: u16) -> Endpoint {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sns", listener.local_addr().unwrap());
    let (tx, requests) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                loop {
                    // One request at a time on a keep-alive connection.
                    let head_end = loop {
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i;
                        }
                        let mut chunk = [0u8; 4096];
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
                    let headers: HashMap<String, String> = head
                        .lines()
                        .skip(1)
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                        .collect();
                    let len: usize = headers
                        .get("content-length")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    while buf.len() < head_end + 4 + len {
                        let mut chunk = [0u8; 4096];
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let body = String::from_utf8_lossy(&buf[head_end + 4..head_end + 4 + len])
                        .into_owned();
                    buf.drain(..head_end + 4 + len);
                    let _ = tx.send(Received { headers, body });
                    let reply = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n");
                    if stream.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Endpoint { url, requests }
}

impl Endpoint {
    /// The next request of this message type (others are skipped), within 5 s.
    pub async fn next(&mut self, kind: &str) -> Received {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let r = tokio::time::timeout_at(deadline, self.requests.recv())
                .await
                .unwrap_or_else(|_| panic!("no {kind} request arrived"))
                .expect("endpoint running");
            if r.kind() == kind {
                return r;
            }
        }
    }

    /// No request of this type arrives within `wait`.
    pub async fn none(&mut self, kind: &str, wait: Duration) {
        let deadline = tokio::time::Instant::now() + wait;
        while let Ok(Some(r)) = tokio::time::timeout_at(deadline, self.requests.recv()).await {
            assert_ne!(r.kind(), kind, "unexpected {kind}: {r:?}");
        }
    }
}
