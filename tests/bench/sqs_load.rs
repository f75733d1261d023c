//! Load generator for `scripts/bench-sqs`: drives a running ferrybridge with the real
//! aws-sdk-sqs and prints one JSON object of results on stdout.
//!
//! ```text
//! sqs-load <endpoint> sdk            # send / batch / drain at concurrency 1, 8, 32; latency
//! sqs-load <endpoint> fill <count>   # enqueue <count> 256-byte messages (batches of 10)
//! sqs-load <endpoint> fifo           # FIFO send / drain, 1 and 100 groups, concurrency 1, 8, 32
//! sqs-load <endpoint> move <count> <rate>
//!                                    # dead-letter <count> messages, redrive them at <rate>/s
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, QueueAttributeName, SendMessageBatchRequestEntry,
};
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
    let secs = bench_seconds();
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
            async move { receive_and_delete(&c, &u).await }
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

/// One ReceiveMessage(10) and a DeleteMessageBatch of what it got; the number of messages.
async fn receive_and_delete(c: &Client, u: &str) -> u64 {
    let got = c
        .receive_message()
        .queue_url(u)
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
        .queue_url(u)
        .set_entries(Some(entries))
        .send()
        .await
        .expect("delete batch");
    got.len() as u64
}

/// [`receive_and_delete`] from `concurrency` tasks until `target` messages were drained or
/// `limit` passed; returns messages per second and how many were drained.
async fn drain_count(
    client: &Client,
    url: &str,
    concurrency: usize,
    target: u64,
    limit: Duration,
) -> (f64, u64) {
    let drained = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + limit;
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (c, u, drained) = (client.clone(), url.to_owned(), drained.clone());
        tasks.push(tokio::spawn(async move {
            while drained.load(Ordering::Relaxed) < target && Instant::now() < deadline {
                match receive_and_delete(&c, &u).await {
                    // Every group with messages is held by another consumer (or all is done).
                    0 => tokio::task::yield_now().await,
                    n => {
                        drained.fetch_add(n, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("drain task");
    }
    let drained = drained.load(Ordering::Relaxed);
    (drained as f64 / started.elapsed().as_secs_f64(), drained)
}

async fn create_with(
    client: &Client,
    name: &str,
    attrs: &[(QueueAttributeName, String)],
) -> String {
    let mut req = client.create_queue().queue_name(name);
    for (k, v) in attrs {
        req = req.attributes(k.clone(), v.clone());
    }
    req.send()
        .await
        .expect("create queue")
        .queue_url
        .expect("queue url")
}

/// FIFO throughput: SendMessage spread over `groups` message groups (each message with its own
/// deduplication id), then Receive(10) + DeleteMessageBatch until everything sent is drained.
/// With one group only one consumer at a time can hold messages: that is FIFO's ordering.
async fn fifo(endpoint: &str) -> serde_json::Value {
    let client = client(endpoint);
    let secs = bench_seconds();
    let mut rows = serde_json::Map::new();
    for groups in [1u64, 100] {
        for concurrency in [1usize, 8, 32] {
            let url = create_with(
                &client,
                &format!("fifo-g{groups}-c{concurrency}.fifo"),
                &[(QueueAttributeName::FifoQueue, "true".into())],
            )
            .await;
            let next = Arc::new(AtomicU64::new(0));
            let (c, u, n) = (client.clone(), url.clone(), next.clone());
            let send = run_for(concurrency, secs, move || {
                let (c, u, n) = (c.clone(), u.clone(), n.clone());
                async move {
                    let i = n.fetch_add(1, Ordering::Relaxed);
                    c.send_message()
                        .queue_url(u)
                        .message_body("x".repeat(BODY_LEN))
                        .message_group_id(format!("group-{}", i % groups))
                        .message_deduplication_id(format!("m{i}"))
                        .send()
                        .await
                        .expect("fifo send");
                    1
                }
            })
            .await;
            let sent = next.load(Ordering::Relaxed);
            let (drain, drained) = drain_count(&client, &url, concurrency, sent, secs * 4).await;
            rows.insert(
                format!("g{groups}_c{concurrency}"),
                serde_json::json!({
                    "send_per_s": send,
                    "drain_msgs_per_s": drain,
                    "sent": sent,
                    "drained": drained,
                }),
            );
        }
    }
    serde_json::Value::Object(rows)
}

async fn arn_of(client: &Client, url: &str) -> String {
    client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue arn")
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .expect("QueueArn")
}

async fn visible(client: &Client, url: &str) -> u64 {
    client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .expect("queue attributes")
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::ApproximateNumberOfMessages))
        .and_then(|n| n.parse().ok())
        .expect("ApproximateNumberOfMessages")
}

/// A redrive of `count` messages: they are dead-lettered for real (RedrivePolicy with
/// maxReceiveCount 1: received once, moved to the DLQ on the next receive), then
/// StartMessageMoveTask moves them back to their source at `rate` per second. Timed from the
/// StartMessageMoveTask call to ListMessageMoveTasks first answering COMPLETED (polled every
/// 10 ms).
async fn move_task(endpoint: &str, count: u64, rate: i32) -> serde_json::Value {
    let client = client(endpoint);
    let dlq = queue(&client, "move-dlq").await;
    let dlq_arn = arn_of(&client, &dlq).await;
    let policy = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":1}}"#);
    let src = create_with(
        &client,
        "move-src",
        &[(QueueAttributeName::RedrivePolicy, policy)],
    )
    .await;
    for _ in 0..count.div_ceil(10) {
        client
            .send_message_batch()
            .queue_url(&src)
            .set_entries(Some(batch_entries(10)))
            .send()
            .await
            .expect("batch");
    }
    let total = count.div_ceil(10) * 10;
    // Receive everything once, handing it straight back; the next receive of a message moves
    // it to the DLQ.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let got = client
            .receive_message()
            .queue_url(&src)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .send()
            .await
            .expect("receive")
            .messages
            .unwrap_or_default();
        if got.is_empty() && visible(&client, &dlq).await == total {
            break;
        }
        assert!(Instant::now() < deadline, "messages were not dead-lettered");
    }

    let started = Instant::now();
    client
        .start_message_move_task()
        .source_arn(&dlq_arn)
        .max_number_of_messages_per_second(rate)
        .send()
        .await
        .expect("start move task");
    let task = loop {
        let tasks = client
            .list_message_move_tasks()
            .source_arn(&dlq_arn)
            .send()
            .await
            .expect("list move tasks")
            .results
            .unwrap_or_default();
        let task = tasks.into_iter().next().expect("the task is listed");
        if task.status.as_deref() != Some("RUNNING") {
            break task;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(task.status.as_deref(), Some("COMPLETED"), "{task:?}");
    assert_eq!(task.approximate_number_of_messages_moved, total as i64);
    assert_eq!(
        visible(&client, &src).await,
        total,
        "all back in the source"
    );
    assert_eq!(visible(&client, &dlq).await, 0);
    serde_json::json!({
        "messages": total,
        "rate": rate,
        "seconds": elapsed,
        "expected_seconds": total as f64 / f64::from(rate),
    })
}

fn bench_seconds() -> Duration {
    Duration::from_secs(
        std::env::var("BENCH_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(5),
    )
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
        eprintln!("usage: sqs-load <endpoint> sdk | fill <count> | fifo | move <count> <rate>");
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
        "fifo" => fifo(endpoint).await,
        "move" => {
            let count = args.get(3).and_then(|c| c.parse().ok()).unwrap_or(10_000);
            let rate = args.get(4).and_then(|r| r.parse().ok()).unwrap_or(500);
            move_task(endpoint, count, rate).await
        }
        other => {
            eprintln!("unknown mode {other}");
            std::process::exit(2);
        }
    };
    println!("{result}");
}
