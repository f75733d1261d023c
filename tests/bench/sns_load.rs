//! Load generator for scripts/bench-sns, with the real aws-sdk-sns and aws-sdk-sqs.
//!
//! sns-load <endpoint> setup <topic> <queues> <raw|envelope>
//!     creates a topic and <queues> queues, each subscribed with a filter policy
//!     (`{"kind": ["order"]}`); prints {"topic_arn", "queue_urls"}.
//! sns-load <endpoint> latency <queues> <raw|envelope> <iterations>
//!     publish -> long-poll receive on the last subscribed queue; prints p50/p99 in ms.
//! sns-load <endpoint> throughput <queues> <raw|envelope> <seconds> <concurrency>
//!     Publish for <seconds> at <concurrency>, then waits until every queue holds every
//!     message; prints publishes/s and deliveries/s (into SQS, all queues counted).

use std::time::{Duration, Instant};

use aws_sdk_sns::types::MessageAttributeValue;
use aws_sdk_sqs::types::QueueAttributeName;
use ferrybridge_tests::{sns_client, sqs_client};
use serde_json::json;

struct Setup {
    topic_arn: String,
    queue_urls: Vec<String>,
}

async fn setup(endpoint: &str, name: &str, queues: usize, raw: bool) -> Setup {
    let sns = sns_client(endpoint, "test", "us-east-1");
    let sqs = sqs_client(endpoint, "test", "us-east-1");
    let topic_arn = sns
        .create_topic()
        .name(name)
        .send()
        .await
        .expect("topic")
        .topic_arn
        .expect("arn");
    let mut queue_urls = Vec::new();
    for i in 0..queues {
        let qname = format!("{name}-q{i}");
        let url = ferrybridge_tests::create_queue(&sqs, &qname).await;
        sns.subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(format!("arn:aws:sqs:us-east-1:000000000000:{qname}"))
            .attributes("FilterPolicy", r#"{"kind": ["order"]}"#)
            .attributes("RawMessageDelivery", raw.to_string())
            .send()
            .await
            .expect("subscribe");
        queue_urls.push(url);
    }
    Setup {
        topic_arn,
        queue_urls,
    }
}

fn order_attribute() -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value("order")
        .build()
        .expect("attribute")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn latency(endpoint: &str, queues: usize, raw: bool, iterations: usize) -> serde_json::Value {
    let s = setup(endpoint, &format!("lat-{queues}-{raw}"), queues, raw).await;
    let sns = sns_client(endpoint, "test", "us-east-1");
    let sqs = sqs_client(endpoint, "test", "us-east-1");
    let last = s.queue_urls.last().expect("a queue").clone();
    let mut samples = Vec::with_capacity(iterations);
    for i in 0..iterations + 20 {
        let receiver = {
            let (sqs, url) = (sqs.clone(), last.clone());
            tokio::spawn(async move {
                sqs.receive_message()
                    .queue_url(&url)
                    .wait_time_seconds(10)
                    .send()
                    .await
                    .expect("receive")
            })
        };
        // Let the long poll reach the server first.
        tokio::time::sleep(Duration::from_millis(2)).await;
        let started = Instant::now();
        sns.publish()
            .topic_arn(&s.topic_arn)
            .message("latency probe")
            .message_attributes("kind", order_attribute())
            .send()
            .await
            .expect("publish");
        let got = receiver.await.expect("receiver");
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        let m = got.messages.unwrap_or_default();
        assert_eq!(m.len(), 1, "the probe arrived");
        sqs.delete_message()
            .queue_url(&last)
            .receipt_handle(m[0].receipt_handle.clone().unwrap_or_default())
            .send()
            .await
            .expect("delete");
        if i >= 20 {
            samples.push(elapsed); // the first 20 warm up connections
        }
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    json!({"p50": percentile(&samples, 0.5), "p99": percentile(&samples, 0.99)})
}

async fn total_messages(sqs: &aws_sdk_sqs::Client, urls: &[String]) -> u64 {
    let mut total = 0;
    for url in urls {
        let attrs = sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .expect("attributes")
            .attributes
            .unwrap_or_default();
        total += attrs
            .get(&QueueAttributeName::ApproximateNumberOfMessages)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
    }
    total
}

async fn throughput(
    endpoint: &str,
    queues: usize,
    raw: bool,
    seconds: u64,
    concurrency: usize,
) -> serde_json::Value {
    let s = setup(endpoint, &format!("tp-{queues}-{raw}"), queues, raw).await;
    let sns = sns_client(endpoint, "test", "us-east-1");
    let sqs = sqs_client(endpoint, "test", "us-east-1");
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (sns, topic) = (sns.clone(), s.topic_arn.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                sns.publish()
                    .topic_arn(&topic)
                    .message("x".repeat(256))
                    .message_attributes("kind", order_attribute())
                    .send()
                    .await
                    .expect("publish");
                n += 1;
            }
            n
        }));
    }
    let mut published = 0;
    for t in tasks {
        published += t.await.expect("publisher");
    }
    let publish_secs = started.elapsed().as_secs_f64();
    let expected = published * queues as u64;
    let wait_limit = Instant::now() + Duration::from_secs(120);
    while total_messages(&sqs, &s.queue_urls).await < expected && Instant::now() < wait_limit {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let delivered = total_messages(&sqs, &s.queue_urls).await;
    let all_secs = started.elapsed().as_secs_f64();
    json!({
        "published": published,
        "publish_per_s": published as f64 / publish_secs,
        "delivered": delivered,
        "deliveries_per_s": delivered as f64 / all_secs,
        "drain_lag_s": all_secs - publish_secs,
    })
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: sns-load <endpoint> setup|latency|throughput ...";
    let endpoint = args.get(1).expect(usage);
    let arg = |i: usize| args.get(i).expect(usage).clone();
    let out = match arg(2).as_str() {
        "setup" => {
            let s = setup(
                endpoint,
                &arg(3),
                arg(4).parse().expect("queues"),
                arg(5) == "raw",
            )
            .await;
            json!({"topic_arn": s.topic_arn, "queue_urls": s.queue_urls})
        }
        "latency" => {
            latency(
                endpoint,
                arg(3).parse().expect("queues"),
                arg(4) == "raw",
                arg(5).parse().expect("iterations"),
            )
            .await
        }
        "throughput" => {
            throughput(
                endpoint,
                arg(3).parse().expect("queues"),
                arg(4) == "raw",
                arg(5).parse().expect("seconds"),
                arg(6).parse().expect("concurrency"),
            )
            .await
        }
        _ => panic!("{usage}"),
    };
    println!("{out}");
}
