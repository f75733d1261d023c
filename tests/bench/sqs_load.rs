//! Load generator for `scripts/bench-sqs`: drives a running ferrybridge with the real
//! aws-sdk-sqs and prints one JSON object of results on stdout.
//!
//! ```text
//! sqs-load <endpoint> sdk            # send / batch / drain at concurrency 1, 8, 32; latency
//! sqs-load <endpoint> fill <count>   # enqueue <count> 256-byte messages (batches of 10)
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, SendMessageBatchRequestEntry};
use aws_sdk_sqs::Client;

const BODY_LEN: usize = 256;

fn client(endpoint: &str) -> Client {
    ferrybridge_tests::sqs_client(endpoint, "test", "us-east-1")
}

async fn queue(client: &Client, name: &str) -> String {
    ferrybridge_tests::create_queue(client, name).await
}

fn batch_entries(n: usize) -> Vec<SendMessageBatchRequestEntry> {
    (0..n)
        .map(|i| {
            SendMessageBatchRequestEntry::builder()
                .id(format!("m{i}"))
                .message_body("x".repeat(BODY_LEN))
                .build()
                .expect("entry")
        })
        .collect()
}

/// Run `op` from `concurrency` tasks for `duration`; returns operations per second.
async fn run_for<F, Fut>(concurrency: usize, duration: Duration, op: F) -> f64
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = u64> + Send,
{
    let op = Arc::new(op);
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let op = op.clone();
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let n = op().await;
                done.fetch_add(n, Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        task.await.expect("load task");
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

async fn sdk(endpoint: &str) -> serde_json::Value {
    let client = client(endpoint);
    let secs = Duration::from_secs(
        std::env::var("BENCH_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(5),
    );
    let mut rows = serde_json::Map::new();
    for concurrency in [1usize, 8, 32] {
        let url = queue(&client, &format!("sdk-{concurrency}")).await;
        let (c, u) = (client.clone(), url.clone());
        let send = run_for(concurrency, secs, move || {
            let (c, u) = (c.clone(), u.clone());
            async move {
                c.send_message()
                    .queue_url(u)
                    .message_body("x".repeat(BODY_LEN))
                    .send()
                    .await
                    .expect("send");
                1
            }
        })
        .await;
        let (c, u) = (client.clone(), url.clone());
        let batch = run_for(concurrency, secs, move || {
            let (c, u) = (c.clone(), u.clone());
            async move {
                c.send_message_batch()
                    .queue_url(u)
                    .set_entries(Some(batch_entries(10)))
                    .send()
                    .await
                    .expect("batch");
                10
            }
        })
        .await;
        let (c, u) = (client.clone(), url.clone());
        let drain = run_for(concurrency, secs, move || {
            let (c, u) = (c.clone(), u.clone());
            async move {
                let got = c
                    .receive_message()
                    .queue_url(&u)
                    .max_number_of_messages(10)
                    .send()
                    .await
                    .expect("receive")
                    .messages
                    .unwrap_or_default();
                if got.is_empty() {
                    return 0;
                }
                let entries = got
                    .iter()
                    .enumerate()
                    .map(|(i, m)| {
                        DeleteMessageBatchRequestEntry::builder()
                            .id(format!("d{i}"))
                            .receipt_handle(m.receipt_handle.clone().unwrap_or_default())
                            .build()
                            .expect("entry")
                    })
                    .collect();
                c.delete_message_batch()
                    .queue_url(&u)
                    .set_entries(Some(entries))
                    .send()
                    .await
                    .expect("delete batch");
                got.len() as u64
            }
        })
        .await;
        rows.insert(
            format!("c{concurrency}"),
            serde_json::json!({"send_per_s": send, "batch_msgs_per_s": batch, "drain_msgs_per_s": drain}),
        );
    }

    // Latency from SendMessage to the long-polling receiver getting it.
    let url = queue(&client, "sdk-latency").await;
    let receiver = client.clone();
    let mut samples = Vec::new();
    for _ in 0..300 {
        let (r, u) = (receiver.clone(), url.clone());
        let waiting = tokio::spawn(async move {
            let got = r
                .receive_message()
                .queue_url(&u)
                .wait_time_seconds(5)
                .send()
                .await
                .expect("receive");
            (Instant::now(), got.messages.unwrap_or_default())
        });
        tokio::time::sleep(Duration::from_millis(2)).await;
        let sent_at = Instant::now();
        client
            .send_message()
            .queue_url(&url)
            .message_body("ping")
            .send()
            .await
            .expect("send");
        let (received_at, messages) = waiting.await.expect("receiver");
        let Some(m) = messages.first() else { continue };
        samples.push(received_at.duration_since(sent_at).as_secs_f64() * 1000.0);
        client
            .delete_message()
            .queue_url(&url)
            .receipt_handle(m.receipt_handle.clone().unwrap_or_default())
            .send()
            .await
            .expect("delete");
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p) as usize];
    rows.insert(
        "latency_ms".into(),
        serde_json::json!({"p50": pct(0.5), "p99": pct(0.99), "samples": samples.len()}),
    );
    serde_json::Value::Object(rows)
}

async fn fill(endpoint: &str, count: u64) -> serde_json::Value {
    let client = client(endpoint);
    let url = queue(&client, "fill").await;
    let batches = count.div_ceil(10);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let (c, u, next) = (client.clone(), url.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < batches {
                c.send_message_batch()
                    .queue_url(&u)
                    .set_entries(Some(batch_entries(10)))
                    .send()
                    .await
                    .expect("batch");
            }
        }));
    }
    for task in tasks {
        task.await.expect("fill task");
    }
    serde_json::json!({"messages": batches * 10, "seconds": started.elapsed().as_secs_f64()})
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(endpoint), Some(mode)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: sqs-load <endpoint> sdk | fill <count>");
        std::process::exit(2);
    };
    let result = match mode.as_str() {
        "sdk" => sdk(endpoint).await,
        "fill" => {
            let count = args
                .get(3)
                .and_then(|c| c.parse().ok())
                .unwrap_or(1_000_000);
            fill(endpoint, count).await
        }
        other => {
            eprintln!("unknown mode {other}");
            std::process::exit(2);
        }
    };
    println!("{result}");
}
