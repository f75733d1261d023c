//! Helpers shared by the EventBridge end-to-end tests (aws-sdk-eventbridge + aws-sdk-sqs).
#![allow(dead_code)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_eventbridge::error::ProvideErrorMetadata;
use aws_sdk_eventbridge::primitives::DateTime;
use aws_sdk_eventbridge::types::{PutEventsRequestEntry, Target};
use aws_sdk_eventbridge::Client as Events;
use aws_sdk_sqs::types::Message;
use aws_sdk_sqs::Client as Sqs;
use serde_json::{json, Value};

pub const DEFAULT_ACCOUNT: &str = "000000000000";

/// `code: message` of a failed SDK call.
pub fn error<T, E: ProvideErrorMetadata + std::fmt::Debug>(result: Result<T, E>) -> String {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(err) => format!(
            "{}: {}",
            err.code().unwrap_or_default(),
            err.message().unwrap_or_default()
        ),
    }
}

/// A standard queue in `region` of `account`: its URL and ARN.
pub async fn queue(sqs: &Sqs, account: &str, region: &str, name: &str) -> (String, String) {
    let url = ferrybridge_tests::create_queue(sqs, name).await;
    (url, format!("arn:aws:sqs:{region}:{account}:{name}"))
}

/// A queue of the default account in us-east-1.
pub async fn local_queue(sqs: &Sqs, name: &str) -> (String, String) {
    queue(sqs, DEFAULT_ACCOUNT, "us-east-1", name).await
}

/// Receives until `n` messages arrived (or 5 s passed), deleting them. Polls without long
/// polling, so that it also works on a manual clock (which long polls would wait on).
pub async fn receive(sqs: &Sqs, url: &str, n: usize) -> Vec<Message> {
    receive_within(sqs, url, n, Duration::from_secs(5)).await
}

/// Receives until `n` messages arrived (or `wait` passed), deleting them.
pub async fn receive_within(sqs: &Sqs, url: &str, n: usize, wait: Duration) -> Vec<Message> {
    let deadline = Instant::now() + wait;
    let mut got = Vec::new();
    while got.len() < n && Instant::now() < deadline {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .message_attribute_names("All")
            .send()
            .await
            .expect("receive");
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for m in messages {
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle.clone().unwrap_or_default())
                .send()
                .await
                .expect("delete");
            got.push(m);
        }
    }
    got
}

/// The bodies of exactly `n` messages (fails if fewer or more arrive).
pub async fn bodies(sqs: &Sqs, url: &str, n: usize) -> Vec<String> {
    let got = receive(sqs, url, n).await;
    let bodies: Vec<String> = got.into_iter().filter_map(|m| m.body).collect();
    assert_eq!(bodies.len(), n, "{url}: {bodies:?}");
    bodies
}

/// The one message that arrives in `url`.
pub async fn one_body(sqs: &Sqs, url: &str) -> String {
    bodies(sqs, url, 1).await.remove(0)
}

/// Deliveries are asynchronous: give the workers a moment (the deliveries this follows were
/// dispatched together with those already seen), then check that none of `urls` got anything.
pub async fn assert_all_empty(sqs: &Sqs, urls: &[&str]) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    for url in urls {
        let out = sqs
            .receive_message()
            .queue_url(*url)
            .max_number_of_messages(10)
            .send()
            .await
            .expect("receive");
        let got: Vec<String> = out
            .messages
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| m.body)
            .collect();
        assert!(got.is_empty(), "{url} should be empty, got {got:?}");
    }
}

/// A PutEvents entry on `bus` (None = the default bus).
pub fn entry(
    bus: Option<&str>,
    source: &str,
    detail_type: &str,
    detail: &str,
) -> PutEventsRequestEntry {
    PutEventsRequestEntry::builder()
        .set_event_bus_name(bus.map(str::to_owned))
        .source(source)
        .detail_type(detail_type)
        .detail(detail)
        .build()
}

/// Puts one entry; its EventId.
pub async fn put_one(events: &Events, entry: PutEventsRequestEntry) -> String {
    let out = events
        .put_events()
        .entries(entry)
        .send()
        .await
        .expect("put events");
    assert_eq!(out.failed_entry_count, 0, "{out:?}");
    out.entries.unwrap_or_default()[0]
        .event_id
        .clone()
        .expect("event id")
}

/// Puts an `OrderPlaced` event from `shop.orders` with `detail`, timed 2024-01-01T00:00:00Z,
/// on the default bus of `events`' account (us-east-1): its EventId and the envelope a target
/// receives for it.
pub async fn put_order(events: &Events, account: &str, detail: &Value) -> (String, String) {
    let id = put_one(
        events,
        PutEventsRequestEntry::builder()
            .source("shop.orders")
            .detail_type("OrderPlaced")
            .time(DateTime::from_secs(1_704_067_200))
            .detail(detail.to_string())
            .build(),
    )
    .await;
    let expected = envelope(
        &id,
        "OrderPlaced",
        "shop.orders",
        account,
        "2024-01-01T00:00:00Z",
        "us-east-1",
        &[],
        detail.clone(),
    );
    (id, expected)
}

/// The compact JSON envelope EventBridge delivers, in AWS's field order.
#[allow(clippy::too_many_arguments)]
pub fn envelope(
    id: &str,
    detail_type: &str,
    source: &str,
    account: &str,
    time: &str,
    region: &str,
    resources: &[&str],
    detail: Value,
) -> String {
    json!({
        "version": "0",
        "id": id,
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": time,
        "region": region,
        "resources": resources,
        "detail": detail,
    })
    .to_string()
}

pub async fn create_bus(events: &Events, name: &str) -> String {
    events
        .create_event_bus()
        .name(name)
        .send()
        .await
        .expect("create bus")
        .event_bus_arn
        .expect("bus arn")
}

/// A rule with `pattern` on `bus` (None = default); its ARN.
pub async fn rule(events: &Events, bus: Option<&str>, name: &str, pattern: Value) -> String {
    events
        .put_rule()
        .name(name)
        .set_event_bus_name(bus.map(str::to_owned))
        .event_pattern(pattern.to_string())
        .send()
        .await
        .expect("put rule")
        .rule_arn
        .expect("rule arn")
}

pub fn target(id: &str, arn: &str) -> Target {
    Target::builder().id(id).arn(arn).build().expect("target")
}

pub async fn put_targets(events: &Events, bus: Option<&str>, rule: &str, targets: Vec<Target>) {
    let out = events
        .put_targets()
        .rule(rule)
        .set_event_bus_name(bus.map(str::to_owned))
        .set_targets(Some(targets))
        .send()
        .await
        .expect("put targets");
    assert_eq!(out.failed_entry_count, 0, "{out:?}");
}

pub fn attrs(m: &Message) -> HashMap<String, String> {
    m.message_attributes
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            assert_eq!(v.data_type, "String", "{k}");
            (k, v.string_value.unwrap_or_default())
        })
        .collect()
}

/// `2024-01-01T00:00:00Z` style: whole seconds, UTC.
pub fn is_event_time(s: &str) -> bool {
    regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
        .unwrap()
        .is_match(s)
}
