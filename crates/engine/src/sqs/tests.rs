//! Engine behaviour over time, driven by a [`ManualClock`].

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::clock::ManualClock;

pub(super) fn setup() -> (Arc<ManualClock>, SqsEngine) {
    let clock = Arc::new(ManualClock::default());
    let engine = SqsEngine::new(clock.clone());
    (clock, engine)
}

pub(super) fn key(name: &str) -> QueueKey {
    QueueKey::new("000000000000", "us-east-1", name)
}

pub(super) fn attrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(super) fn msg(body: &str) -> NewMessage {
    NewMessage {
        body: body.to_string(),
        sender_id: "000000000000".to_string(),
        ..Default::default()
    }
}

pub(super) fn short(max: usize) -> ReceiveOptions {
    ReceiveOptions {
        max_messages: max,
        visibility_timeout: None,
        wait_seconds: Some(0),
        attempt_id: None,
    }
}

pub(super) fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

pub(super) fn counts(q: &Queue) -> (u64, u64, u64) {
    let c = q.counts();
    (c.visible, c.in_flight, c.delayed)
}

#[tokio::test]
async fn visibility_timeout_expiry_makes_message_visible_again() {
    let (clock, engine) = setup();
    let (q, created) = engine.create_queue(key("q"), &[], &[]).unwrap();
    assert!(created);
    q.send(msg("hello")).unwrap();
    let first = q.receive(short(10)).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].message.receive_count, 1);
    assert_eq!(counts(&q), (0, 1, 0));
    assert!(q.receive(short(10)).await.is_empty());
    clock.advance(secs(29));
    assert!(q.receive(short(10)).await.is_empty());
    clock.advance(secs(1));
    assert_eq!(counts(&q), (1, 0, 0));
    let second = q.receive(short(10)).await;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].message.receive_count, 2);
    assert_eq!(
        second[0].message.first_receive_ms,
        first[0].message.received_ms
    );
    assert_ne!(first[0].receipt_handle, second[0].receipt_handle);
    // The stale handle deletes nothing but succeeds.
    q.delete_message(&first[0].receipt_handle).unwrap();
    assert_eq!(counts(&q), (0, 1, 0));
    q.delete_message(&second[0].receipt_handle).unwrap();
    assert_eq!(counts(&q), (0, 0, 0));
    // Deleting again with a genuine handle succeeds, as on AWS.
    q.delete_message(&second[0].receipt_handle).unwrap();
}

#[tokio::test]
async fn receive_visibility_timeout_overrides_queue_default() {
    let (clock, engine) = setup();
    let (q, _) = engine
        .create_queue(key("q"), &attrs(&[("VisibilityTimeout", "100")]), &[])
        .unwrap();
    q.send(msg("a")).unwrap();
    let got = q
        .receive(ReceiveOptions {
            visibility_timeout: Some(5),
            ..short(1)
        })
        .await;
    assert_eq!(got.len(), 1);
    clock.advance(secs(5));
    assert_eq!(q.receive(short(1)).await.len(), 1);
    clock.advance(secs(99));
    assert!(q.receive(short(1)).await.is_empty());
    clock.advance(secs(1));
    assert_eq!(q.receive(short(1)).await.len(), 1);
}

#[tokio::test]
async fn delays_per_queue_and_per_message() {
    let (clock, engine) = setup();
    let (q, _) = engine
        .create_queue(key("q"), &attrs(&[("DelaySeconds", "10")]), &[])
        .unwrap();
    q.send(msg("queue-delay")).unwrap();
    q.send(NewMessage {
        delay_seconds: Some(0),
        ..msg("no-delay")
    })
    .unwrap();
    q.send(NewMessage {
        delay_seconds: Some(20),
        ..msg("long-delay")
    })
    .unwrap();
    assert_eq!(counts(&q), (1, 0, 2));
    let got = q.receive(short(10)).await;
    assert_eq!(&*got[0].message.body, "no-delay");
    clock.advance(secs(10));
    assert_eq!(counts(&q), (1, 1, 1));
    let got = q.receive(short(10)).await;
    assert_eq!(&*got[0].message.body, "queue-delay");
    clock.advance(secs(10));
    let got = q.receive(short(10)).await;
    // The first message's visibility (30 s) has not expired yet.
    assert_eq!(got.len(), 1);
    assert_eq!(&*got[0].message.body, "long-delay");
}

#[tokio::test]
async fn retention_period_expires_messages() {
    let (clock, engine) = setup();
    let (q, _) = engine
        .create_queue(key("q"), &attrs(&[("MessageRetentionPeriod", "60")]), &[])
        .unwrap();
    q.send(msg("old")).unwrap();
    clock.advance(secs(30));
    q.send(msg("new")).unwrap();
    clock.advance(secs(30));
    assert_eq!(counts(&q), (1, 0, 0));
    let got = q.receive(short(10)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(&*got[0].message.body, "new");
    clock.advance(secs(31));
    assert_eq!(counts(&q), (0, 0, 0));
}

#[tokio::test]
async fn purge_clears_everything_once_per_minute() {
    let (clock, engine) = setup();
    let (q, _) = engine.create_queue(key("q"), &[], &[]).unwrap();
    for i in 0..5 {
        q.send(NewMessage {
            delay_seconds: Some(i * 2),
            ..msg("x")
        })
        .unwrap();
    }
    q.receive(short(1)).await;
    assert_eq!(counts(&q), (0, 1, 4));
    q.purge().unwrap();
    assert_eq!(counts(&q), (0, 0, 0));
    let err = q.purge().unwrap_err();
    assert_eq!(err.code, "PurgeQueueInProgress");
    assert_eq!(
        err.message,
        "Only one PurgeQueue operation on q is allowed every 60 seconds."
    );
    clock.advance(secs(59));
    assert!(q.purge().is_err());
    clock.advance(secs(1));
    q.purge().unwrap();
}

#[tokio::test]
async fn receipt_handles_are_validated() {
    let (_clock, engine) = setup();
    let (q, _) = engine.create_queue(key("q"), &[], &[]).unwrap();
    let (other, _) = engine.create_queue(key("other"), &[], &[]).unwrap();
    q.send(msg("x")).unwrap();
    let got = q.receive(short(1)).await;
    let handle = &got[0].receipt_handle;
    let err = q.delete_message("not-a-handle").unwrap_err();
    assert_eq!(err.code, "ReceiptHandleIsInvalid");
    assert_eq!(
        err.message,
        "The input receipt handle \"not-a-handle\" is not a valid receipt handle."
    );
    assert_eq!(
        other.delete_message(handle).unwrap_err().code,
        "ReceiptHandleIsInvalid"
    );
    assert_eq!(
        q.change_visibility("AQEBzzz", 10).unwrap_err().code,
        "ReceiptHandleIsInvalid"
    );
    q.delete_message(handle).unwrap();
}

#[tokio::test]
async fn change_visibility_rules() {
    let (clock, engine) = setup();
    let (q, _) = engine.create_queue(key("q"), &[], &[]).unwrap();
    q.send(msg("x")).unwrap();
    let got = q.receive(short(1)).await;
    let h = got[0].receipt_handle.clone();
    q.change_visibility(&h, 100).unwrap();
    clock.advance(secs(99));
    assert_eq!(counts(&q), (0, 1, 0));
    clock.advance(secs(1));
    assert_eq!(counts(&q), (1, 0, 0));
    // The handle expired without another receive: accepted, and the message stays visible.
    q.change_visibility(&h, 10).unwrap();
    assert_eq!(counts(&q), (1, 0, 0));
    // Receive again and make it visible at once with 0.
    let got = q.receive(short(1)).await;
    let h2 = got[0].receipt_handle.clone();
    q.change_visibility(&h2, 0).unwrap();
    assert_eq!(counts(&q), (1, 0, 0));
    // 12-hour limit counts from the receive.
    let got = q.receive(short(1)).await;
    let h3 = got[0].receipt_handle.clone();
    clock.advance(secs(20));
    q.change_visibility(&h3, 43_180).unwrap();
    let err = q.change_visibility(&h3, 43_181).unwrap_err();
    assert_eq!(err.code, "InvalidParameterValue");
    assert!(
        err.message.contains("Total VisibilityTimeout"),
        "{}",
        err.message
    );
    q.delete_message(&h3).unwrap();
    let err = q.change_visibility(&h3, 10).unwrap_err();
    assert_eq!(err.code, "InvalidParameterValue");
    assert!(err.message.contains("Message does not exist"));
}

#[tokio::test]
async fn long_poll_wakes_on_send() {
    let (_clock, engine) = setup();
    let (q, _) = engine.create_queue(key("q"), &[], &[]).unwrap();
    let waiter = {
        let q = q.clone();
        tokio::spawn(async move {
            q.receive(ReceiveOptions {
                wait_seconds: Some(20),
                ..short(1)
            })
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(!waiter.is_finished());
    q.send(msg("wake")).unwrap();
    let got = tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("woken at once")
        .unwrap();
    assert_eq!(&*got[0].message.body, "wake");
}

#[tokio::test]
async fn long_poll_wakes_when_delay_or_visibility_ends_and_times_out() {
    let (clock, engine) = setup();
    let (q, _) = engine
        .create_queue(
            key("q"),
            &attrs(&[("ReceiveMessageWaitTimeSeconds", "20")]),
            &[],
        )
        .unwrap();
    q.send(NewMessage {
        delay_seconds: Some(5),
        ..msg("delayed")
    })
    .unwrap();
    let waiter = {
        let q = q.clone();
        tokio::spawn(async move { q.receive(short(1)).await.len() })
    };
    let waiter_default_wait = {
        let q = q.clone();
        tokio::spawn(async move { q.receive(ReceiveOptions::default()).await.len() })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    // short(1) has wait 0: it returned empty at once.
    assert_eq!(waiter.await.unwrap(), 0);
    assert!(!waiter_default_wait.is_finished());
    clock.advance(secs(5));
    let n = tokio::time::timeout(Duration::from_secs(5), waiter_default_wait)
        .await
        .expect("woken by the delay's end")
        .unwrap();
    assert_eq!(n, 1);
    // Nothing visible: a long poll returns empty when its wait time is over.
    let waiter = {
        let q = q.clone();
        tokio::spawn(async move { q.receive(ReceiveOptions::default()).await.len() })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    clock.advance(secs(19));
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(!waiter.is_finished());
    clock.advance(secs(1));
    let n = tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("timed out on the clock")
        .unwrap();
    // Visibility of the received message (30 s) has not expired at t+25.
    assert_eq!(n, 0);
}

#[tokio::test]
async fn create_queue_idempotency_and_deleted_recently() {
    let (clock, engine) = setup();
    let a = attrs(&[("VisibilityTimeout", "60")]);
    let (q1, created) = engine.create_queue(key("q"), &a, &[]).unwrap();
    assert!(created);
    let (q2, created) = engine.create_queue(key("q"), &a, &[]).unwrap();
    assert!(!created);
    assert!(Arc::ptr_eq(&q1, &q2));
    engine.create_queue(key("q"), &[], &[]).unwrap();
    let err = engine
        .create_queue(key("q"), &attrs(&[("VisibilityTimeout", "61")]), &[])
        .unwrap_err();
    assert_eq!(err.code, "QueueNameExists");
    assert_eq!(
        err.message,
        "A queue already exists with the same name and a different value for attribute VisibilityTimeout"
    );
    engine.delete_queue(&key("q")).unwrap();
    assert_eq!(
        engine.queue(&key("q")).unwrap_err().code,
        "QueueDoesNotExist"
    );
    assert_eq!(
        engine.delete_queue(&key("q")).unwrap_err().code,
        "QueueDoesNotExist"
    );
    clock.advance(secs(59));
    assert_eq!(
        engine.create_queue(key("q"), &[], &[]).unwrap_err().code,
        "QueueDeletedRecently"
    );
    clock.advance(secs(1));
    engine.create_queue(key("q"), &[], &[]).unwrap();
    // An old receipt handle of the deleted incarnation is invalid on the new queue.
    q1.send(msg("x")).unwrap();
    let h = q1.receive(short(1)).await.remove(0).receipt_handle;
    let q3 = engine.queue(&key("q")).unwrap();
    assert_eq!(
        q3.delete_message(&h).unwrap_err().code,
        "ReceiptHandleIsInvalid"
    );
}

#[tokio::test]
async fn attributes_and_counts() {
    let (clock, engine) = setup();
    let (q, _) = engine.create_queue(key("q"), &[], &[]).unwrap();
    let all = q.get_attributes(&["All"]).unwrap();
    let get = |name: &str| all.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(
        get("QueueArn").unwrap(),
        "arn:aws:sqs:us-east-1:000000000000:q"
    );
    assert_eq!(get("VisibilityTimeout").unwrap(), "30");
    assert_eq!(get("MaximumMessageSize").unwrap(), "1048576");
    assert_eq!(get("MessageRetentionPeriod").unwrap(), "345600");
    assert_eq!(get("SqsManagedSseEnabled").unwrap(), "true");
    assert_eq!(get("CreatedTimestamp").unwrap(), "1704067200");
    assert_eq!(get("Policy"), None);
    clock.advance(secs(10));
    q.set_attributes([("DelaySeconds", "5")]).unwrap();
    let v = q
        .get_attributes(&["LastModifiedTimestamp", "DelaySeconds"])
        .unwrap();
    assert_eq!(
        v,
        vec![
            (
                "LastModifiedTimestamp".to_string(),
                "1704067210".to_string()
            ),
            ("DelaySeconds".to_string(), "5".to_string())
        ]
    );
    assert_eq!(
        q.get_attributes(&["Bogus"]).unwrap_err().message,
        "Unknown Attribute Bogus."
    );
}

#[tokio::test]
async fn message_size_limit_counts_attributes() {
    let (_clock, engine) = setup();
    let (q, _) = engine
        .create_queue(key("q"), &attrs(&[("MaximumMessageSize", "1024")]), &[])
        .unwrap();
    q.send(msg(&"x".repeat(1024))).unwrap();
    let err = q
        .send(NewMessage {
            attributes: vec![("a".into(), MessageAttributeValue::string("String", "b"))],
            ..msg(&"x".repeat(1020))
        })
        .unwrap_err();
    assert_eq!(
        err.message,
        "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes."
    );
}

#[tokio::test]
async fn permissions_build_a_policy() {
    let (_clock, engine) = setup();
    let (q, _) = engine.create_queue(key("q"), &[], &[]).unwrap();
    q.add_permission("l1", &["111111111111".into()], &["SendMessage".into()])
        .unwrap();
    let err = q
        .add_permission("l1", &["111111111111".into()], &["SendMessage".into()])
        .unwrap_err();
    assert_eq!(
        err.message,
        "Value l1 for parameter Label is invalid. Reason: Already exists."
    );
    let policy: serde_json::Value = serde_json::from_str(&q.attributes().policy.unwrap()).unwrap();
    assert_eq!(
        policy["Id"],
        "arn:aws:sqs:us-east-1:000000000000:q/SQSDefaultPolicy"
    );
    assert_eq!(policy["Statement"][0]["Sid"], "l1");
    assert_eq!(
        policy["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::111111111111:root"
    );
    assert!(q.remove_permission("nope").is_err());
    q.remove_permission("l1").unwrap();
    assert!(q.attributes().policy.is_none());
}

#[test]
fn per_message_footprint_is_small() {
    // The fixed part of a stored message, excluding its body allocation.
    assert!(
        std::mem::size_of::<Message>() <= 112,
        "{}",
        std::mem::size_of::<Message>()
    );
}

pub(super) fn fifo_msg(body: &str, group: &str, dedup: Option<&str>) -> NewMessage {
    NewMessage {
        message_group_id: Some(group.to_string()),
        message_deduplication_id: dedup.map(str::to_string),
        ..msg(body)
    }
}

pub(super) fn bodies(got: &[ReceivedMessage]) -> Vec<String> {
    got.iter().map(|r| r.message.body.to_string()).collect()
}

#[test]
fn fifo_queue_names_and_attributes() {
    let (_clock, engine) = setup();
    let fifo = attrs(&[("FifoQueue", "true")]);
    assert_eq!(
        engine
            .create_queue(key("q"), &fifo, &[])
            .unwrap_err()
            .message,
        INVALID_FIFO_QUEUE_NAME_MESSAGE
    );
    assert_eq!(
        engine
            .create_queue(key("q.fifo"), &[], &[])
            .unwrap_err()
            .message,
        INVALID_QUEUE_NAME_MESSAGE
    );
    assert_eq!(
        engine
            .create_queue(
                key("q"),
                &attrs(&[("ContentBasedDeduplication", "true")]),
                &[]
            )
            .unwrap_err()
            .code,
        "InvalidAttributeName"
    );
    let (q, _) = engine
        .create_queue(
            key("q.fifo"),
            &attrs(&[("FifoQueue", "true"), ("ContentBasedDeduplication", "true")]),
            &[],
        )
        .unwrap();
    let all = q.get_attributes(&["All"]).unwrap();
    let get = |n: &str| all.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    assert_eq!(get("FifoQueue"), Some("true"));
    assert_eq!(get("ContentBasedDeduplication"), Some("true"));
    assert_eq!(get("DeduplicationScope"), Some("queue"));
    assert_eq!(get("FifoThroughputLimit"), Some("perQueue"));
    // Idempotent re-create.
    engine
        .create_queue(
            key("q.fifo"),
            &attrs(&[("FifoQueue", "true"), ("ContentBasedDeduplication", "true")]),
            &[],
        )
        .unwrap();
}

#[tokio::test]
async fn fifo_send_rules_and_deduplication() {
    let (clock, engine) = setup();
    let (q, _) = engine
        .create_queue(key("q.fifo"), &attrs(&[("FifoQueue", "true")]), &[])
        .unwrap();
    assert_eq!(q.send(msg("x")).unwrap_err().code, "MissingParameter");
    assert_eq!(
        q.send(fifo_msg("x", "g", None)).unwrap_err().message,
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
    );
    assert_eq!(
        q.send(NewMessage {
            delay_seconds: Some(1),
            ..fifo_msg("x", "g", Some("d"))
        })
        .unwrap_err()
        .code,
        "InvalidParameterValue"
    );
    let first = q.send(fifo_msg("a", "g", Some("d1"))).unwrap();
    let dup = q.send(fifo_msg("a-again", "g", Some("d1"))).unwrap();
    assert_eq!(first.message_id, dup.message_id);
    assert_eq!(first.sequence_number, dup.sequence_number);
    let second = q.send(fifo_msg("b", "g", Some("d2"))).unwrap();
    assert!(second.sequence_number > first.sequence_number);
    assert_eq!(first.sequence_number.as_ref().map(String::len), Some(20));
    assert_eq!(counts(&q), (2, 0, 0));
    clock.advance(secs(300));
    q.send(fifo_msg("a-later", "g", Some("d1"))).unwrap();
    assert_eq!(counts(&q), (3, 0, 0));
    // Standard queues refuse a deduplication id.
    let (std_q, _) = engine.create_queue(key("std"), &[], &[]).unwrap();
    assert_eq!(
        std_q
            .send(NewMessage {
                message_deduplication_id: Some("d".into()),
                ..msg("x")
            })
            .unwrap_err()
            .message,
        "Value d for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is not valid for this queue type."
    );
}

#[tokio::test]
async fn fifo_groups_are_ordered_and_locked_while_in_flight() {
    let (clock, engine) = setup();
    let (q, _) = engine
        .create_queue(
            key("q.fifo"),
            &attrs(&[("FifoQueue", "true"), ("ContentBasedDeduplication", "true")]),
            &[],
        )
        .unwrap();
    for b in ["a1", "a2", "a3"] {
        q.send(fifo_msg(b, "A", None)).unwrap();
    }
    for b in ["b1", "b2"] {
        q.send(fifo_msg(b, "B", None)).unwrap();
    }
    let got = q.receive(short(2)).await;
    assert_eq!(bodies(&got), vec!["a1", "a2"]);
    // Group A is locked while a1/a2 are in flight: only B is delivered.
    let got_b = q.receive(short(10)).await;
    assert_eq!(bodies(&got_b), vec!["b1", "b2"]);
    assert!(q.receive(short(10)).await.is_empty());
    q.delete_message(&got[0].receipt_handle).unwrap();
    assert!(q.receive(short(10)).await.is_empty());
    // a2's visibility expires: it comes back before a3. b1's has expired too: on a FIFO
    // queue its receipt can no longer delete it.
    clock.advance(secs(30));
    let err = q.delete_message(&got_b[0].receipt_handle).unwrap_err();
    assert_eq!(err.code, "InvalidParameterValue");
    let again = q.receive(short(10)).await;
    assert_eq!(bodies(&again), vec!["a2", "a3", "b1", "b2"]);
    assert_eq!(again[0].message.receive_count, 2);
}

#[test]
fn a_reset_drops_the_queues_in_scope_and_frees_their_names() {
    let (_clock, engine) = setup();
    let other = QueueKey::new("111111111111", "us-east-1", "q");
    let (old, _) = engine.create_queue(key("q"), &[], &[]).unwrap();
    engine.create_queue(other.clone(), &[], &[]).unwrap();
    old.send(msg("before")).unwrap();
    let generation = engine.resets().generation();

    assert_eq!(engine.reset(Some("000000000000"), None), 1);
    engine.resets().record(crate::reset::ResetScope {
        service: Some(crate::reset::Service::Sqs),
        account: Some("000000000000".into()),
        region: None,
    });
    assert!(old.is_deleted());
    assert!(engine.queue(&key("q")).is_err());
    assert!(engine.queue(&other).is_ok());
    assert!(engine.reset_since(generation, &key("q")));
    assert!(!engine.reset_since(generation, &other));
    // No QueueDeletedRecently: the name is free at once, and the new queue is empty.
    let (new, created) = engine.create_queue(key("q"), &[], &[]).unwrap();
    assert!(created);
    assert_eq!(new.counts().visible, 0);
    assert!(!engine.reset_since(engine.resets().generation(), &key("q")));
}
