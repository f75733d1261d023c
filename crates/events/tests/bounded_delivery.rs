//! The invocation queues are bounded: with the workers stalled (here: never spawned), PutEvents
//! fills them, then waits briefly for room ([`delivery::ROOM_WAIT`]) and sheds what still does
//! not fit — counted, and dead-lettered (`ERROR_CODE` `THROTTLING`) where the target has a
//! dead-letter queue. Memory never grows without end, and a deterministic PutEvents still
//! answers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrybridge_engine::clock::{Clock, SystemClock};
use ferrybridge_engine::events::EventsEngine;
use ferrybridge_engine::sns::SnsEngine;
use ferrybridge_engine::sqs::{QueueKey, SqsEngine};
use ferrybridge_events::{delivery, Events};
use ferrybridge_protocol::RequestContext;
use ferrybridge_sns::{Signer, Sns};
use serde_json::{json, Value};

const ACCOUNT: &str = "000000000000";
const REGION: &str = "us-east-1";
/// The number of delivery workers (`delivery::SHARDS`): their queues together hold this many
/// invocations times [`delivery::JOB_QUEUE_CAPACITY`].
const SHARDS: usize = 4;
/// Targets of the rule: each event makes this many invocations.
const TARGETS: usize = 4;
/// Entries per PutEvents.
const ENTRIES: usize = 8;

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

async fn call(events: &Events, operation: &str, input: Value) -> Value {
    events
        .call(&ctx(), operation, input)
        .await
        .unwrap_or_else(|e| panic!("{operation}: {} {}", e.code, e.message))
}

fn entries(n: usize) -> Value {
    let entries: Vec<Value> = (0..n)
        .map(|_| json!({"Source": "flood", "DetailType": "d", "Detail": "{}"}))
        .collect();
    json!({ "Entries": entries })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_invocation_queues_slow_put_events_down_then_shed_counted_and_dead_lettered() {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let sqs = Arc::new(SqsEngine::new(clock.clone()));
    let key = |name: &str| QueueKey::new(ACCOUNT, REGION, name);
    let (target, _) = sqs.create_queue(key("target"), &[], &[]).expect("queue");
    let (dlq, _) = sqs.create_queue(key("dlq"), &[], &[]).expect("dlq");
    let (sns, _sns_workers) = Sns::new(
        Arc::new(SnsEngine::new(clock.clone())),
        sqs.clone(),
        Signer::shared(),
    );
    // The workers are never spawned: nothing drains the invocation queues.
    let (events, workers) = Events::new(
        Arc::new(EventsEngine::new(clock.clone())),
        sqs.clone(),
        sns,
        Arc::from("http://localhost:4566"),
    );
    call(
        &events,
        "PutRule",
        json!({"Name": "flood", "EventPattern": r#"{"source": ["flood"]}"#}),
    )
    .await;
    let targets: Vec<Value> = (0..TARGETS)
        .map(|i| {
            json!({
                "Id": format!("t{i}"),
                "Arn": target.arn(),
                "DeadLetterConfig": {"Arn": dlq.arn()},
            })
        })
        .collect();
    let out = call(
        &events,
        "PutTargets",
        json!({"Rule": "flood", "Targets": targets}),
    )
    .await;
    assert_eq!(out["FailedEntryCount"], 0, "{out}");

    // Fill every queue (asynchronous PutEvents: nothing waits for the stalled workers).
    let fill = events.clone().with_async_delivery(true);
    let capacity = SHARDS * delivery::JOB_QUEUE_CAPACITY;
    assert_eq!(capacity % (TARGETS * ENTRIES), 0);
    for _ in 0..capacity / (TARGETS * ENTRIES) {
        let out = call(&fill, "PutEvents", entries(ENTRIES)).await;
        assert_eq!(out["FailedEntryCount"], 0, "{out}");
    }
    assert_eq!(events.shed_invocations(), 0, "the queues hold {capacity}");
    assert_eq!(dlq.counts().visible, 0);

    // Full: a deterministic PutEvents waits for room, then its invocations are shed; it still
    // answers, every entry accepted (as AWS does before invoking targets).
    let started = Instant::now();
    let out = call(&events, "PutEvents", entries(2)).await;
    let waited = started.elapsed();
    assert_eq!(out["FailedEntryCount"], 0, "{out}");
    assert!(
        waited >= delivery::ROOM_WAIT - Duration::from_millis(50),
        "PutEvents waited for room first: {waited:?}"
    );
    assert!(
        waited < delivery::ROOM_WAIT + Duration::from_secs(5),
        "and not much longer: {waited:?}"
    );
    let shed = 2 * TARGETS as u64;
    assert_eq!(
        events.shed_invocations(),
        shed,
        "each shed invocation is counted"
    );
    // Shed invocations went to their target's dead-letter queue, as failed invocations.
    assert_eq!(dlq.counts().visible, shed);
    assert_eq!(target.counts().visible, 0, "the workers never ran");

    // Room appears (the workers start): a waiting PutEvents goes on at once, nothing more is
    // shed, and the deterministic PutEvents answers once its invocations were made.
    let started = Instant::now();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        for task in workers.into_tasks() {
            tokio::spawn(task);
        }
    });
    let out = call(&events, "PutEvents", entries(1)).await;
    assert_eq!(out["FailedEntryCount"], 0, "{out}");
    let waited = started.elapsed();
    assert!(waited < delivery::ROOM_WAIT, "{waited:?}");
    assert_eq!(events.shed_invocations(), shed);
    // Its invocations were made (behind their workers' backlogs); the rest of the backlog follows.
    let all = (capacity + TARGETS) as u64;
    let deadline = Instant::now() + Duration::from_secs(10);
    while target.counts().visible < all && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(target.counts().visible, all, "all delivered");
}
