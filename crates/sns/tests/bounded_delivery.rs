//! The delivery queues are bounded: with the workers stalled (here: never spawned), publishing
//! fills them, then waits briefly for room ([`delivery::ROOM_WAIT`]) and sheds what still does
//! not fit — counted, and dead-lettered where the subscription has a dead-letter queue. Memory
//! never grows without end, and a deterministic Publish still answers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrybridge_engine::clock::{Clock, SystemClock};
use ferrybridge_engine::sns::SnsEngine;
use ferrybridge_engine::sqs::{QueueKey, SqsEngine};
use ferrybridge_protocol::RequestContext;
use ferrybridge_sns::{delivery, Signer, Sns};
use serde_json::{json, Value};

const ACCOUNT: &str = "000000000000";
const REGION: &str = "us-east-1";
/// The number of delivery shards (`delivery::SHARDS`): their queues together hold this many
/// jobs times [`delivery::JOB_QUEUE_CAPACITY`].
const SHARDS: usize = 2;

fn ctx() -> RequestContext {
    RequestContext {
        account_id: ACCOUNT.into(),
        region: REGION.into(),
        host: "localhost:4566".into(),
        request_id: "r".into(),
        caller_arn: format!("arn:aws:iam::{ACCOUNT}:root"),
        trace_header: None,
    }
}

async fn call(sns: &Sns, operation: &str, input: Value) -> Value {
    sns.call(&ctx(), operation, input, true)
        .await
        .unwrap_or_else(|e| panic!("{operation}: {} {}", e.code, e.message))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_delivery_queues_slow_publish_down_then_shed_counted_and_dead_lettered() {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let sqs = Arc::new(SqsEngine::new(clock.clone()));
    let key = |name: &str| QueueKey::new(ACCOUNT, REGION, name);
    let (target, _) = sqs.create_queue(key("target"), &[], &[]).expect("queue");
    let (dlq, _) = sqs.create_queue(key("dlq"), &[], &[]).expect("dlq");
    // The workers are never spawned: nothing drains the delivery queues.
    let (sns, workers) = Sns::new(
        Arc::new(SnsEngine::new(clock.clone())),
        sqs.clone(),
        Signer::shared(),
    );
    assert!(sns.is_deterministic());
    let topic = call(&sns, "CreateTopic", json!({"Name": "flood"})).await["TopicArn"]
        .as_str()
        .expect("TopicArn")
        .to_owned();
    call(
        &sns,
        "Subscribe",
        json!({
            "TopicArn": topic,
            "Protocol": "sqs",
            "Endpoint": target.arn(),
            "Attributes": {
                "RedrivePolicy": json!({"deadLetterTargetArn": dlq.arn()}).to_string(),
            },
        }),
    )
    .await;

    // Fill every queue (asynchronous publishes: nothing waits for the stalled workers).
    let fill = sns.clone().with_async_delivery(true);
    let capacity = SHARDS * delivery::JOB_QUEUE_CAPACITY;
    for i in 0..capacity {
        call(
            &fill,
            "Publish",
            json!({"TopicArn": topic, "Message": format!("m{i}")}),
        )
        .await;
    }
    assert_eq!(sns.shed_deliveries(), 0, "the queues hold {capacity} jobs");
    assert_eq!(dlq.counts().visible, 0);

    // Full: a deterministic PublishBatch waits for room, then its messages are shed; it still
    // answers (their first attempt will never come), with every entry successful, as AWS
    // answers before delivering.
    let started = Instant::now();
    let entries: Vec<Value> = (0..10)
        .map(|i| json!({"Id": format!("e{i}"), "Message": format!("shed {i}")}))
        .collect();
    let out = call(
        &sns,
        "PublishBatch",
        json!({"TopicArn": topic, "PublishBatchRequestEntries": entries}),
    )
    .await;
    let waited = started.elapsed();
    assert_eq!(
        out["Successful"].as_array().map(Vec::len),
        Some(10),
        "{out}"
    );
    assert!(
        waited >= delivery::ROOM_WAIT - Duration::from_millis(50),
        "Publish waited for room first: {waited:?}"
    );
    assert!(
        waited < delivery::ROOM_WAIT + Duration::from_secs(5),
        "and not much longer: {waited:?}"
    );
    assert_eq!(sns.shed_deliveries(), 10, "each shed message is counted");
    // Shed deliveries went to the subscription's dead-letter queue, with the reason.
    assert_eq!(dlq.counts().visible, 10);
    assert_eq!(
        target.counts().visible,
        0,
        "nothing was delivered: the workers never ran"
    );

    // Room appears (the workers start): a waiting Publish goes on at once, nothing is shed, and
    // the deterministic Publish answers once its message is in the queue (behind its shard's
    // backlog); the rest of the backlog follows.
    let started = Instant::now();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        for task in workers.into_tasks() {
            tokio::spawn(task);
        }
    });
    call(
        &sns,
        "Publish",
        json!({"TopicArn": topic, "Message": "after"}),
    )
    .await;
    let waited = started.elapsed();
    assert!(waited < delivery::ROOM_WAIT, "{waited:?}");
    assert_eq!(sns.shed_deliveries(), 10);
    // Its own shard's backlog is delivered (the other shard's may still be draining).
    assert!(target.counts().visible > capacity as u64 / 2);
    let deadline = Instant::now() + Duration::from_secs(10);
    while target.counts().visible < capacity as u64 + 1 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        target.counts().visible,
        capacity as u64 + 1,
        "all delivered"
    );
}
