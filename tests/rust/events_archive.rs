//! EventBridge archives and replays through the real `aws-sdk-eventbridge`, with replayed
//! events read from queues with the real `aws-sdk-sqs`.
//!
//! Issue #7's story: events are archived as they arrive (only those matching the archive's
//! pattern), a time window of them is replayed into one rule after an outage, each replayed
//! event carrying `replay-name`; replays can be cancelled; archives forget events after their
//! retention period. Time is the emulator's manual clock.
//!
//! Expected values are AWS's: the EventBridge API reference and LocalStack's AWS-recorded
//! snapshots (tests/aws/services/events/test_archive_and_replay.snapshot.json): response
//! shapes, states, error codes and messages.

use std::time::{Duration, Instant};

use aws_sdk_eventbridge::config::retry::RetryConfig;
use aws_sdk_eventbridge::primitives::DateTime;
use aws_sdk_eventbridge::types::{
    ArchiveState, PutEventsRequestEntry, ReplayDestination, ReplayState,
};
use aws_sdk_eventbridge::Client as Events;
use ferrybridge_tests::Emulator;
use serde_json::{json, Value};

#[path = "events_support.rs"]
mod support;
use support::*;

/// 2024-01-01T00:00:00Z, where the manual clock starts.
const T0: i64 = 1_704_067_200;

/// An `OrderPlaced` entry on `bus` timed `secs` (epoch seconds) with order number `n`.
fn order(bus: &str, secs: i64, n: u32) -> PutEventsRequestEntry {
    PutEventsRequestEntry::builder()
        .event_bus_name(bus)
        .source("shop.orders")
        .detail_type("OrderPlaced")
        .time(DateTime::from_secs(secs))
        .detail(json!({ "order": n }).to_string())
        .build()
}

/// The envelope of `order(bus, secs, n)` with event id `id`, as a target receives it, with
/// `replay-name` right after `region` when replayed (where AWS puts it).
fn order_envelope(id: &str, secs: i64, n: u32, replay: Option<&str>) -> String {
    let time = format_epoch(secs);
    let mut text = envelope(
        id,
        "OrderPlaced",
        "shop.orders",
        "000000000000",
        &time,
        "us-east-1",
        &[],
        json!({ "order": n }),
    );
    if let Some(name) = replay {
        text = text.replace(
            ",\"resources\":",
            &format!(",\"replay-name\":\"{name}\",\"resources\":"),
        );
    }
    text
}

/// `2024-01-01T00:01:00Z` for epoch seconds in 2024-01-01 (all these tests need).
fn format_epoch(secs: i64) -> String {
    let s = secs - T0;
    assert!((0..86_400).contains(&s), "2024-01-01 only");
    format!(
        "2024-01-01T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// A rule `name` on the `orders` bus for every `shop.orders` event, targeting queue `queue_arn`;
/// the rule's ARN.
async fn orders_rule(events: &Events, name: &str, queue_arn: &str) -> String {
    let arn = rule(
        events,
        Some("orders"),
        name,
        json!({ "source": ["shop.orders"] }),
    )
    .await;
    put_targets(events, Some("orders"), name, vec![target("q", queue_arn)]).await;
    arn
}

/// An archive of every event of the bus `bus_arn`; its ARN.
async fn archive_all(events: &Events, name: &str, bus_arn: &str) -> String {
    events
        .create_archive()
        .archive_name(name)
        .event_source_arn(bus_arn)
        .send()
        .await
        .expect("create archive")
        .archive_arn
        .expect("archive arn")
}

/// Polls DescribeReplay until the replay reaches `state` (5 s at most).
async fn wait_for_replay(events: &Events, name: &str, state: ReplayState) -> Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let out = events
            .describe_replay()
            .replay_name(name)
            .send()
            .await
            .expect("describe replay");
        if out.state.as_ref() == Some(&state) {
            return json!({
                "arn": out.replay_arn,
                "last": out.event_last_replayed_time.map(|t| t.secs()),
                "end": out.replay_end_time.map(|t| t.secs()),
                "start": out.replay_start_time.map(|t| t.secs()),
                "reason": out.state_reason,
            });
        }
        assert!(
            Instant::now() < deadline,
            "replay {name} is {:?}, not {state:?}",
            out.state
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_archive_keeps_the_events_matching_its_pattern_through_a_managed_rule() {
    let emulator = Emulator::start_with_manual_clock().await;
    let events = emulator.events();
    let bus_arn = create_bus(&events, "orders").await;

    let created = events
        .create_archive()
        .archive_name("orders-archive")
        .event_source_arn(&bus_arn)
        .description("all orders")
        .event_pattern(json!({ "detail-type": ["OrderPlaced"] }).to_string())
        .retention_days(7)
        .send()
        .await
        .expect("create archive");
    assert_eq!(
        created.archive_arn.as_deref(),
        Some("arn:aws:events:us-east-1:000000000000:archive/orders-archive")
    );
    assert_eq!(created.state, Some(ArchiveState::Enabled));
    assert_eq!(created.creation_time.map(|t| t.secs()), Some(T0));

    // AWS's managed rule for the archive: visible, managed, never matching replayed events.
    let rule = events
        .describe_rule()
        .name("Events-Archive-orders-archive")
        .event_bus_name("orders")
        .send()
        .await
        .expect("the archive's rule");
    assert_eq!(
        rule.managed_by.as_deref(),
        Some("prod.vhs.events.aws.internal")
    );
    let pattern: Value = serde_json::from_str(rule.event_pattern.as_deref().unwrap()).unwrap();
    assert_eq!(
        pattern,
        json!({ "detail-type": ["OrderPlaced"], "replay-name": [{ "exists": false }] })
    );
    let deleted = events
        .delete_rule()
        .name("Events-Archive-orders-archive")
        .event_bus_name("orders")
        .send()
        .await;
    assert_eq!(
        error(deleted).split(':').next(),
        Some("ManagedRuleException")
    );

    // Three orders match, two other events do not.
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(put_one(&events, order("orders", T0 + 60 * i64::from(n), n)).await);
    }
    for n in 0..2 {
        put_one(
            &events,
            PutEventsRequestEntry::builder()
                .event_bus_name("orders")
                .source("shop.orders")
                .detail_type("OrderShipped")
                .detail(json!({ "order": n }).to_string())
                .build(),
        )
        .await;
    }
    let expected_size: usize = ids
        .iter()
        .enumerate()
        .map(|(n, id)| order_envelope(id, T0 + 60 * n as i64, n as u32, None).len())
        .sum();

    let described = events
        .describe_archive()
        .archive_name("orders-archive")
        .send()
        .await
        .expect("describe archive");
    assert_eq!(described.event_count, 3);
    assert_eq!(described.size_bytes, expected_size as i64);
    assert_eq!(described.retention_days, Some(7));
    assert_eq!(described.description.as_deref(), Some("all orders"));
    assert_eq!(
        described.event_source_arn.as_deref(),
        Some(bus_arn.as_str())
    );
    assert_eq!(
        described.event_pattern.as_deref(),
        Some(r#"{"detail-type":["OrderPlaced"]}"#)
    );
    assert_eq!(described.state, Some(ArchiveState::Enabled));

    // A new pattern applies to the events that come after it.
    events
        .update_archive()
        .archive_name("orders-archive")
        .event_pattern(json!({ "detail-type": ["OrderShipped"] }).to_string())
        .description("shipments")
        .send()
        .await
        .expect("update archive");
    put_one(&events, order("orders", T0, 9)).await;
    put_one(
        &events,
        PutEventsRequestEntry::builder()
            .event_bus_name("orders")
            .source("shop.orders")
            .detail_type("OrderShipped")
            .detail("{}")
            .build(),
    )
    .await;
    let listed = events
        .list_archives()
        .name_prefix("orders")
        .send()
        .await
        .expect("list archives")
        .archives
        .unwrap_or_default();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].event_count, 4);
    assert_eq!(listed[0].archive_name.as_deref(), Some("orders-archive"));
    assert_eq!(listed[0].retention_days, Some(7));

    // Deleting the archive removes its rule.
    events
        .delete_archive()
        .archive_name("orders-archive")
        .send()
        .await
        .expect("delete archive");
    let rules = events
        .list_rules()
        .event_bus_name("orders")
        .send()
        .await
        .expect("list rules")
        .rules
        .unwrap_or_default();
    assert!(rules.is_empty(), "{rules:?}");
}

#[tokio::test]
async fn a_time_window_is_replayed_into_one_rule_with_replay_name() {
    let emulator = Emulator::start_with_manual_clock().await;
    let events = emulator.events();
    let sqs = emulator.sqs();
    let bus_arn = create_bus(&events, "orders").await;
    let (billing_url, billing_arn) = local_queue(&sqs, "billing").await;
    let (audit_url, audit_arn) = local_queue(&sqs, "audit").await;
    let billing_rule = orders_rule(&events, "billing", &billing_arn).await;
    orders_rule(&events, "audit", &audit_arn).await;
    let archive_arn = archive_all(&events, "orders-archive", &bus_arn).await;

    // Orders at 00:00:00, 00:01:00, 00:01:30, 00:02:00 and 00:05:00.
    let times = [T0, T0 + 60, T0 + 90, T0 + 120, T0 + 300];
    let mut ids = Vec::new();
    for (n, secs) in times.iter().enumerate() {
        ids.push(put_one(&events, order("orders", *secs, n as u32)).await);
    }
    assert_eq!(bodies(&sqs, &billing_url, 5).await.len(), 5);
    assert_eq!(bodies(&sqs, &audit_url, 5).await.len(), 5);

    // Replay [00:01:00, 00:03:00) into the billing rule only.
    let started = events
        .start_replay()
        .replay_name("billing-outage")
        .description("billing was down")
        .event_source_arn(&archive_arn)
        .event_start_time(DateTime::from_secs(T0 + 60))
        .event_end_time(DateTime::from_secs(T0 + 180))
        .destination(
            ReplayDestination::builder()
                .arn(&bus_arn)
                .filter_arns(&billing_rule)
                .build()
                .expect("destination"),
        )
        .send()
        .await
        .expect("start replay");
    assert_eq!(started.state, Some(ReplayState::Starting));
    assert_eq!(
        started.replay_arn.as_deref(),
        Some("arn:aws:events:us-east-1:000000000000:replay/billing-outage")
    );
    let starting = events
        .describe_replay()
        .replay_name("billing-outage")
        .send()
        .await
        .expect("describe replay");
    assert_eq!(starting.state, Some(ReplayState::Starting));
    assert_eq!(starting.event_last_replayed_time, None);
    assert_eq!(starting.replay_end_time, None);

    emulator.advance(Duration::from_secs(1));
    let done = wait_for_replay(&events, "billing-outage", ReplayState::Completed).await;
    assert_eq!(
        done["last"],
        json!(T0 + 120),
        "the last replayed event's time"
    );
    assert_eq!(done["start"], json!(T0));
    assert_eq!(done["end"], json!(T0 + 1));

    let replayed = bodies(&sqs, &billing_url, 3).await;
    let expected: Vec<String> = [1usize, 2, 3]
        .iter()
        .map(|&n| order_envelope(&ids[n], times[n], n as u32, Some("billing-outage")))
        .collect();
    assert_eq!(replayed, expected, "in event-time order, with replay-name");
    assert_all_empty(&sqs, &[&audit_url, &billing_url]).await;

    // Replayed events are not archived again.
    let archive = events
        .describe_archive()
        .archive_name("orders-archive")
        .send()
        .await
        .expect("describe archive");
    assert_eq!(archive.event_count, 5);

    let described = events
        .describe_replay()
        .replay_name("billing-outage")
        .send()
        .await
        .expect("describe replay");
    assert_eq!(described.description.as_deref(), Some("billing was down"));
    assert_eq!(
        described.event_source_arn.as_deref(),
        Some(archive_arn.as_str())
    );
    let destination = described.destination.expect("destination");
    assert_eq!(destination.arn, bus_arn);
    assert_eq!(destination.filter_arns, Some(vec![billing_rule.clone()]));
    assert_eq!(described.event_start_time.map(|t| t.secs()), Some(T0 + 60));
    assert_eq!(described.event_end_time.map(|t| t.secs()), Some(T0 + 180));

    // Without FilterArns every rule gets the replayed events.
    events
        .start_replay()
        .replay_name("everyone")
        .event_source_arn(&archive_arn)
        .event_start_time(DateTime::from_secs(T0 + 300))
        .event_end_time(DateTime::from_secs(T0 + 301))
        .destination(ReplayDestination::builder().arn(&bus_arn).build().unwrap())
        .send()
        .await
        .expect("start replay");
    emulator.advance(Duration::from_secs(1));
    wait_for_replay(&events, "everyone", ReplayState::Completed).await;
    let everyone = order_envelope(&ids[4], times[4], 4, Some("everyone"));
    assert_eq!(one_body(&sqs, &billing_url).await, everyone);
    assert_eq!(one_body(&sqs, &audit_url).await, everyone);

    // ListReplays: filters by prefix, state and archive.
    let list = |prefix: Option<&str>, state: Option<ReplayState>| {
        events
            .list_replays()
            .set_name_prefix(prefix.map(str::to_owned))
            .set_state(state)
            .event_source_arn(&archive_arn)
            .send()
    };
    let names = |out: aws_sdk_eventbridge::operation::list_replays::ListReplaysOutput| {
        out.replays
            .unwrap_or_default()
            .into_iter()
            .map(|r| r.replay_name.unwrap_or_default())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(list(None, None).await.unwrap()),
        ["billing-outage", "everyone"]
    );
    assert_eq!(
        names(list(Some("bill"), None).await.unwrap()),
        ["billing-outage"]
    );
    assert!(names(list(None, Some(ReplayState::Running)).await.unwrap()).is_empty());
    let page = events
        .list_replays()
        .limit(1)
        .send()
        .await
        .expect("list replays");
    assert_eq!(names(page.clone()), ["billing-outage"]);
    let next = events
        .list_replays()
        .limit(1)
        .next_token(page.next_token.expect("a next page"))
        .send()
        .await
        .expect("list replays");
    assert_eq!(names(next.clone()), ["everyone"]);
    assert_eq!(next.next_token, None);
}

#[tokio::test]
async fn a_replay_can_be_cancelled_before_it_finishes() {
    let emulator = Emulator::start_with_manual_clock().await;
    let events = emulator.events();
    let sqs = emulator.sqs();
    let bus_arn = create_bus(&events, "orders").await;
    let (url, queue_arn) = local_queue(&sqs, "orders").await;
    orders_rule(&events, "all", &queue_arn).await;
    let archive_arn = archive_all(&events, "a", &bus_arn).await;
    put_one(&events, order("orders", T0, 1)).await;
    one_body(&sqs, &url).await;

    events
        .start_replay()
        .replay_name("r")
        .event_source_arn(&archive_arn)
        .event_start_time(DateTime::from_secs(T0 - 3600))
        .event_end_time(DateTime::from_secs(T0 + 3600))
        .destination(ReplayDestination::builder().arn(&bus_arn).build().unwrap())
        .send()
        .await
        .expect("start replay");
    let cancelled = events
        .cancel_replay()
        .replay_name("r")
        .send()
        .await
        .expect("cancel replay");
    assert_eq!(cancelled.state, Some(ReplayState::Cancelling));
    assert_eq!(
        cancelled.replay_arn.as_deref(),
        Some("arn:aws:events:us-east-1:000000000000:replay/r")
    );
    // As AWS recorded: CANCELLING, no end time yet.
    let cancelling = events
        .describe_replay()
        .replay_name("r")
        .send()
        .await
        .unwrap();
    assert_eq!(cancelling.state, Some(ReplayState::Cancelling));
    assert_eq!(cancelling.replay_end_time, None);

    emulator.advance(Duration::from_secs(1));
    let done = wait_for_replay(&events, "r", ReplayState::Cancelled).await;
    assert_eq!(done["last"], Value::Null, "nothing was replayed");
    assert_eq!(done["end"], json!(T0 + 1));
    assert_all_empty(&sqs, &[&url]).await;

    let again = events.cancel_replay().replay_name("r").send().await;
    assert_eq!(
        error(again),
        "IllegalStatusException: Replay r is not in a valid state for this operation."
    );
}

#[tokio::test]
async fn archived_events_expire_after_the_retention_period() {
    let emulator = Emulator::start_with_manual_clock().await;
    let events = emulator.events();
    let default_bus = "arn:aws:events:us-east-1:000000000000:event-bus/default";
    for (name, days) in [("one-day", Some(1)), ("forever", None)] {
        events
            .create_archive()
            .archive_name(name)
            .event_source_arn(default_bus)
            .set_retention_days(days)
            .send()
            .await
            .expect("create archive");
    }
    put_one(&events, order("default", T0, 1)).await;
    emulator.advance(Duration::from_secs(12 * 3600));
    put_one(&events, order("default", T0, 2)).await;
    let count = |name: &'static str| {
        let events = events.clone();
        async move {
            let out = events
                .describe_archive()
                .archive_name(name)
                .send()
                .await
                .expect("describe archive");
            (out.event_count, out.retention_days)
        }
    };
    assert_eq!(count("one-day").await, (2, Some(1)));
    assert_eq!(count("forever").await, (2, Some(0)));

    // A day after the first event it is gone from the one-day archive; the second follows
    // twelve hours later.
    emulator.advance(Duration::from_secs(12 * 3600 + 1));
    assert_eq!(count("one-day").await, (1, Some(1)));
    emulator.advance(Duration::from_secs(12 * 3600));
    assert_eq!(count("one-day").await, (0, Some(1)));
    let listed = events
        .list_archives()
        .event_source_arn(default_bus)
        .send()
        .await
        .expect("list archives")
        .archives
        .unwrap_or_default();
    let sizes: Vec<(String, i64, i64)> = listed
        .into_iter()
        .map(|a| {
            (
                a.archive_name.unwrap_or_default(),
                a.event_count,
                a.size_bytes,
            )
        })
        .collect();
    assert_eq!(sizes[1].0, "one-day");
    assert_eq!((sizes[1].1, sizes[1].2), (0, 0));
    assert_eq!(sizes[0].0, "forever");
    assert_eq!(sizes[0].1, 2);
}

#[tokio::test]
async fn archive_and_replay_errors_are_aws_s() {
    let emulator = Emulator::start_with_manual_clock().await;
    let events = emulator.events();
    let bus_arn = create_bus(&events, "orders").await;
    let other_bus = create_bus(&events, "other").await;
    let missing_bus = "arn:aws:events:us-east-1:000000000000:event-bus/missing";

    let create = |name: &str, source: &str| {
        events
            .create_archive()
            .archive_name(name)
            .event_source_arn(source)
            .send()
    };
    assert_eq!(
        error(create("a", missing_bus).await),
        "ResourceNotFoundException: Event bus missing does not exist."
    );
    let archive_arn = create("a", &bus_arn).await.unwrap().archive_arn.unwrap();
    assert_eq!(
        error(create("a", &bus_arn).await),
        "ResourceAlreadyExistsException: Archive a already exists."
    );
    let bad_pattern = events
        .create_archive()
        .archive_name("b")
        .event_source_arn(&bus_arn)
        .event_pattern("{\"source\": \"x\"}")
        .send()
        .await;
    assert!(
        error(bad_pattern).starts_with("InvalidEventPatternException: "),
        "a pattern is checked as PutRule checks it"
    );
    assert_eq!(
        error(events.describe_archive().archive_name("nope").send().await),
        "ResourceNotFoundException: Archive nope does not exist."
    );
    assert_eq!(
        error(events.delete_archive().archive_name("nope").send().await),
        "ResourceNotFoundException: Archive nope does not exist."
    );
    assert_eq!(
        error(
            events
                .list_archives()
                .event_source_arn(missing_bus)
                .send()
                .await
        ),
        "ResourceNotFoundException: Event bus missing does not exist."
    );
    // AWS answers an update of a missing archive with an internal error (recorded); without
    // retries here, the SDK would retry it.
    let update = events
        .update_archive()
        .archive_name("nope")
        .customize()
        .config_override(
            aws_sdk_eventbridge::config::Builder::default().retry_config(RetryConfig::disabled()),
        )
        .send()
        .await;
    assert_eq!(
        error(update),
        "InternalException: Service encountered unexpected problem. Please try again."
    );

    let start = |name: &str, archive: &str, dest: &str, from: i64, to: i64| {
        events
            .start_replay()
            .replay_name(name)
            .event_source_arn(archive)
            .event_start_time(DateTime::from_secs(from))
            .event_end_time(DateTime::from_secs(to))
            .destination(ReplayDestination::builder().arn(dest).build().unwrap())
            .send()
    };
    assert_eq!(
        error(start("r", &archive_arn, &bus_arn, T0, T0).await),
        "ValidationException: Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime."
    );
    assert_eq!(
        error(start("r", &archive_arn, &bus_arn, T0 + 10, T0).await),
        "ValidationException: Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime."
    );
    let missing_archive = "arn:aws:events:us-east-1:000000000000:archive/gone";
    assert_eq!(
        error(start("r", missing_archive, &bus_arn, T0 - 10, T0).await),
        "ValidationException: Parameter EventSourceArn is not valid. Reason: Archive gone does not exist."
    );
    assert_eq!(
        error(start("r", &archive_arn, missing_bus, T0 - 10, T0).await),
        "ResourceNotFoundException: Event bus missing does not exist."
    );
    assert_eq!(
        error(start("r", &archive_arn, &other_bus, T0 - 10, T0).await),
        "ValidationException: Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted."
    );
    start("r", &archive_arn, &bus_arn, T0 - 10, T0)
        .await
        .expect("start replay");
    assert_eq!(
        error(start("r", &archive_arn, &bus_arn, T0 - 10, T0).await),
        "ResourceAlreadyExistsException: Replay r already exists."
    );
    assert_eq!(
        error(events.describe_replay().replay_name("nope").send().await),
        "ResourceNotFoundException: Replay nope does not exist."
    );
    assert_eq!(
        error(events.cancel_replay().replay_name("nope").send().await),
        "ResourceNotFoundException: Replay nope does not exist."
    );
    // At most ten replays may be starting or running at once (recorded).
    for n in 1..10 {
        start(&format!("r{n}"), &archive_arn, &bus_arn, T0 - 10, T0)
            .await
            .expect("start replay");
    }
    assert_eq!(
        error(start("r10", &archive_arn, &bus_arn, T0 - 10, T0).await),
        "LimitExceededException: The requested resource exceeds the maximum number allowed."
    );
    // A replay whose archive is deleted before it runs fails.
    events
        .delete_archive()
        .archive_name("a")
        .send()
        .await
        .expect("delete archive");
    emulator.advance(Duration::from_secs(1));
    let failed = wait_for_replay(&events, "r", ReplayState::Failed).await;
    assert_eq!(
        failed["reason"],
        json!("The archive of this replay was deleted.")
    );
    // So does one whose bus is deleted first.
    let other_archive = archive_all(&events, "b", &other_bus).await;
    start("r-bus", &other_archive, &other_bus, T0 - 10, T0)
        .await
        .expect("start replay");
    events
        .delete_event_bus()
        .name("other")
        .send()
        .await
        .expect("delete bus");
    emulator.advance(Duration::from_secs(1));
    let failed = wait_for_replay(&events, "r-bus", ReplayState::Failed).await;
    assert_eq!(
        failed["reason"],
        json!("The destination event bus of this replay was deleted.")
    );
}
