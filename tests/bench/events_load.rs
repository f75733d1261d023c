//! Load generator for scripts/bench-events, with the real aws-sdk-eventbridge and aws-sdk-sqs.
//!
//! Every benchmark bus holds <rules> rules; rule i has the pattern
//! `{"source": ["bench.app"], "detail-type": ["Order Placed"], "detail": {"shard": [i]}}` and
//! (unless `notargets`) one target, its own SQS queue `<bus>-q<i>`. An event whose detail has
//! `"shard": i` matches exactly rule i.
//!
//! events-load <endpoint> setup <bus> <rules> <targets|notargets>
//!     creates the bus, the rules, the queues and the targets; prints {"bus", "queue_urls"}.
//! events-load <endpoint> wait <bus> <rules> <expected> <timeout_s>
//!     polls ApproximateNumberOfMessages of the <rules> queues until they hold <expected>
//!     messages in all (or the timeout passes); prints {"delivered", "waited_s"}.
//! events-load <endpoint> latency <rules> <rate> <seconds>
//!     puts one event at a time, <rate> events/s spread over the rules, for <seconds>, while
//!     one long-polling consumer per queue receives them; each event carries its put time
//!     (taken just before PutEvents is sent) and the consumer compares it to its arrival.
//!     The first second is warm-up. Prints p50/p99/max in ms, events put and received, and
//!     p50/p99 of the PutEvents round trips (put_p50, put_p99).
//! events-load <endpoint> archive <bus>
//!     creates an archive of every event of the bus; prints {"archive_arn"}.
//! events-load <endpoint> replay <bus> <timeout_s>
//!     replays the whole archive of <bus> into its rules and waits until the replay has
//!     COMPLETED; prints {"events", "replay_s"} (the archive's EventCount and the time from
//!     StartReplay until DescribeReplay first showed COMPLETED).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_eventbridge::types::{PutEventsRequestEntry, Target};
use aws_sdk_sqs::types::QueueAttributeName;
use ferrybridge_tests::{events_client, sqs_client};
use serde_json::json;

const ACCOUNT: &str = "000000000000";
const REGION: &str = "us-east-1";

fn queue_name(bus: &str, i: usize) -> String {
    format!("{bus}-q{i}")
}

async fn setup(endpoint: &str, bus: &str, rules: usize, targets: bool) -> Vec<String> {
    let events = events_client(endpoint, "test", REGION);
    let sqs = sqs_client(endpoint, "test", REGION);
    events
        .create_event_bus()
        .name(bus)
        .send()
        .await
        .expect("create bus");
    let mut queue_urls = Vec::new();
    for i in 0..rules {
        let rule = format!("{bus}-r{i}");
        let pattern = json!({
            "source": ["bench.app"],
            "detail-type": ["Order Placed"],
            "detail": {"shard": [i]},
        });
        events
            .put_rule()
            .name(&rule)
            .event_bus_name(bus)
            .event_pattern(pattern.to_string())
            .send()
            .await
            .expect("put rule");
        if !targets {
            continue;
        }
        let qname = queue_name(bus, i);
        queue_urls.push(ferrybridge_tests::create_queue(&sqs, &qname).await);
        let target = Target::builder()
            .id("queue")
            .arn(format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{qname}"))
            .build()
            .expect("target");
        let out = events
            .put_targets()
            .rule(&rule)
            .event_bus_name(bus)
            .targets(target)
            .send()
            .await
            .expect("put targets");
        assert_eq!(out.failed_entry_count, 0, "target accepted");
    }
    queue_urls
}

async fn queued(sqs: &aws_sdk_sqs::Client, url: &str) -> u64 {
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .expect("attributes")
        .attributes
        .unwrap_or_default();
    attrs
        .get(&QueueAttributeName::ApproximateNumberOfMessages)
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
}

async fn total_messages(sqs: &aws_sdk_sqs::Client, urls: &Arc<Vec<String>>) -> u64 {
    // 8 concurrent readers: 1,000 queues are counted in well under a second.
    let mut tasks = Vec::new();
    for part in 0..8 {
        let (sqs, urls) = (sqs.clone(), urls.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            for url in urls.iter().skip(part).step_by(8) {
                n += queued(&sqs, url).await;
            }
            n
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("counter");
    }
    total
}

async fn wait(
    endpoint: &str,
    bus: &str,
    rules: usize,
    expected: u64,
    timeout_s: u64,
) -> serde_json::Value {
    let sqs = sqs_client(endpoint, "test", REGION);
    let base = endpoint.trim_end_matches('/');
    let urls: Arc<Vec<String>> = Arc::new(
        (0..rules)
            .map(|i| format!("{base}/{ACCOUNT}/{}", queue_name(bus, i)))
            .collect(),
    );
    let started = Instant::now();
    let limit = started + Duration::from_secs(timeout_s);
    let mut delivered = total_messages(&sqs, &urls).await;
    while delivered < expected && Instant::now() < limit {
        tokio::time::sleep(Duration::from_millis(20)).await;
        delivered = total_messages(&sqs, &urls).await;
    }
    json!({"delivered": delivered, "waited_s": started.elapsed().as_secs_f64()})
}

fn epoch_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The put time (µs since the epoch) a delivered event carries in `detail.sent_us`.
fn sent_us(body: &str) -> Option<u64> {
    let event: serde_json::Value = serde_json::from_str(body).ok()?;
    event["detail"]["sent_us"].as_u64()
}

async fn latency(endpoint: &str, rules: usize, rate: u64, seconds: u64) -> serde_json::Value {
    let bus = format!("lat-{rules}");
    let urls = setup(endpoint, &bus, rules, true).await;
    let events = events_client(endpoint, "test", REGION);
    let sqs = sqs_client(endpoint, "test", REGION);
    let samples = Arc::new(Mutex::new(Vec::<f64>::new()));
    // Samples count from the second second of putting on (set before the first put).
    let warm_until_us = Arc::new(std::sync::atomic::AtomicU64::new(u64::MAX));
    let received = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut consumers = Vec::new();
    for url in urls {
        let (sqs, samples, received, stop, warm_until_us) = (
            sqs.clone(),
            samples.clone(),
            received.clone(),
            stop.clone(),
            warm_until_us.clone(),
        );
        consumers.push(tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let out = sqs
                    .receive_message()
                    .queue_url(&url)
                    .max_number_of_messages(10)
                    .wait_time_seconds(1)
                    // Never seen again: no DeleteMessage traffic in the measurement.
                    .visibility_timeout(43_200)
                    .send()
                    .await
                    .expect("receive");
                let now = epoch_us();
                for m in out.messages.unwrap_or_default() {
                    received.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(sent) = m.body.as_deref().and_then(sent_us) else {
                        continue;
                    };
                    if sent >= warm_until_us.load(std::sync::atomic::Ordering::Relaxed) {
                        let ms = now.saturating_sub(sent) as f64 / 1000.0;
                        samples.lock().expect("samples").push(ms);
                    }
                }
            }
        }));
    }
    // Let every long poll reach the server.
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Each millisecond, rate/1000 events (the remainder spread), one PutEvents call each,
    // each on its own task so a slow answer does not slow the rate.
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let total = rate * seconds;
    warm_until_us.store(epoch_us() + 1_000_000, std::sync::atomic::Ordering::Relaxed);
    let begin = Instant::now();
    let mut put = 0u64;
    let mut puts = Vec::new();
    // PutEvents round trips (ms): tells a slow server answer from a slow delivery.
    let round_trips = Arc::new(Mutex::new(Vec::<f64>::with_capacity(total as usize)));
    while put < total {
        tick.tick().await;
        let due = (begin.elapsed().as_micros() as u64 * rate / 1_000_000).min(total);
        while put < due {
            let shard = (put as usize) % rules;
            let events = events.clone();
            let bus = bus.clone();
            let round_trips = round_trips.clone();
            puts.push(tokio::spawn(async move {
                let sent = epoch_us();
                let detail = json!({"shard": shard, "sent_us": sent, "payload": "x".repeat(200)});
                let entry = PutEventsRequestEntry::builder()
                    .event_bus_name(bus)
                    .source("bench.app")
                    .detail_type("Order Placed")
                    .detail(detail.to_string())
                    .build();
                let out = events
                    .put_events()
                    .entries(entry)
                    .send()
                    .await
                    .expect("put events");
                assert_eq!(out.failed_entry_count, 0, "event accepted");
                let ms = epoch_us().saturating_sub(sent) as f64 / 1000.0;
                round_trips.lock().expect("round trips").push(ms);
            }));
            put += 1;
        }
        if puts.len() > 10_000 {
            for p in puts.drain(..) {
                p.await.expect("put");
            }
        }
    }
    for p in puts {
        p.await.expect("put");
    }
    let put_secs = begin.elapsed().as_secs_f64();
    let drain_limit = Instant::now() + Duration::from_secs(10);
    while received.load(std::sync::atomic::Ordering::Relaxed) < total
        && Instant::now() < drain_limit
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for c in consumers {
        c.await.expect("consumer");
    }
    let mut samples = std::mem::take(&mut *samples.lock().expect("samples"));
    samples.sort_by(|a, b| a.total_cmp(b));
    let mut round_trips = std::mem::take(&mut *round_trips.lock().expect("round trips"));
    round_trips.sort_by(|a, b| a.total_cmp(b));
    json!({
        "put": total,
        "put_per_s": total as f64 / put_secs,
        "received": received.load(std::sync::atomic::Ordering::Relaxed),
        "samples": samples.len(),
        "p50": percentile(&samples, 0.5),
        "p99": percentile(&samples, 0.99),
        "max": samples.last().copied().unwrap_or(f64::NAN),
        "put_p50": percentile(&round_trips, 0.5),
        "put_p99": percentile(&round_trips, 0.99),
    })
}

async fn archive(endpoint: &str, bus: &str) -> serde_json::Value {
    let events = events_client(endpoint, "test", REGION);
    let out = events
        .create_archive()
        .archive_name(format!("{bus}-archive"))
        .event_source_arn(format!("arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{bus}"))
        .send()
        .await
        .expect("create archive");
    json!({ "archive_arn": out.archive_arn })
}

async fn replay(endpoint: &str, bus: &str, timeout_s: u64) -> serde_json::Value {
    use aws_sdk_eventbridge::primitives::DateTime;
    use aws_sdk_eventbridge::types::{ReplayDestination, ReplayState};
    let events = events_client(endpoint, "test", REGION);
    let archive = events
        .describe_archive()
        .archive_name(format!("{bus}-archive"))
        .send()
        .await
        .expect("describe archive");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64;
    let started = Instant::now();
    events
        .start_replay()
        .replay_name(format!("{bus}-replay"))
        .event_source_arn(archive.archive_arn.unwrap_or_default())
        .event_start_time(DateTime::from_secs(now - 86_400))
        .event_end_time(DateTime::from_secs(now + 3_600))
        .destination(
            ReplayDestination::builder()
                .arn(format!("arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{bus}"))
                .build()
                .expect("destination"),
        )
        .send()
        .await
        .expect("start replay");
    loop {
        let state = events
            .describe_replay()
            .replay_name(format!("{bus}-replay"))
            .send()
            .await
            .expect("describe replay")
            .state;
        if state == Some(ReplayState::Completed) || started.elapsed().as_secs() > timeout_s {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    json!({ "events": archive.event_count, "replay_s": started.elapsed().as_secs_f64() })
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: events-load <endpoint> setup|wait|latency ...";
    let endpoint = args.get(1).expect(usage);
    let arg = |i: usize| args.get(i).expect(usage).clone();
    let num = |i: usize| arg(i).parse::<u64>().expect(usage);
    let out = match arg(2).as_str() {
        "setup" => {
            let bus = arg(3);
            let urls = setup(endpoint, &bus, num(4) as usize, arg(5) == "targets").await;
            json!({"bus": bus, "queue_urls": urls})
        }
        "wait" => wait(endpoint, &arg(3), num(4) as usize, num(5), num(6)).await,
        "latency" => latency(endpoint, num(3) as usize, num(4), num(5)).await,
        "archive" => archive(endpoint, &arg(3)).await,
        "replay" => replay(endpoint, &arg(3), num(4)).await,
        _ => panic!("{usage}"),
    };
    println!("{out}");
}
