//! Measures resident memory for N queued messages of 256 bytes (default 1,000,000).
//!
//! `cargo run --release -p ferrybridge-engine --example sqs_memory [N]`

use std::sync::Arc;

use ferrybridge_engine::clock::SystemClock;
use ferrybridge_engine::sqs::{NewMessage, QueueKey, SqsEngine};

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let engine = SqsEngine::new(Arc::new(SystemClock));
    let (queue, _) = engine
        .create_queue(QueueKey::new("000000000000", "us-east-1", "mem"), &[], &[])
        .expect("queue");
    let before = rss_mb();
    let body = "x".repeat(256);
    let start = std::time::Instant::now();
    for _ in 0..n {
        queue
            .send(NewMessage {
                body: body.clone(),
                sender_id: "000000000000".into(),
                ..Default::default()
            })
            .expect("send");
    }
    let elapsed = start.elapsed();
    let after = rss_mb();
    println!(
        "messages={n} rss_before={before:.1}MB rss_after={after:.1}MB per_message={:.0}B send_rate={:.0}/s",
        (after - before) * 1024.0 * 1024.0 / n as f64,
        n as f64 / elapsed.as_secs_f64()
    );
}
