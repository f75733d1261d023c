//! FIFO message-group visibility and ordering, FIFO receipts and purges, driven by a
//! [`ManualClock`]. The scenarios are the ones LocalStack recorded against AWS in
//! `tests/aws/services/sqs/test_sqs.py` (test names given with each test).

use super::tests::{attrs, bodies, counts, fifo_msg, key, msg, secs, setup, short};
use std::sync::Arc;
use std::time::Duration;

use super::*;

fn fifo(engine: &SqsEngine, visibility: &str) -> Arc<Queue> {
    engine
        .create_queue(
            key("q.fifo"),
            &attrs(&[
                ("FifoQueue", "true"),
                ("ContentBasedDeduplication", "true"),
                ("VisibilityTimeout", visibility),
            ]),
            &[],
        )
        .unwrap()
        .0
}

fn send_all(q: &Queue, messages: &[(&str, &str)]) {
    for (body, group) in messages {
        q.send(fifo_msg(body, group, None)).unwrap();
    }
}

fn with_visibility(max: usize, visibility: u32) -> ReceiveOptions {
    ReceiveOptions {
        visibility_timeout: Some(visibility),
        ..short(max)
    }
}

/// `test_fifo_receive_message_with_zero_visibility_timeout`: a receive returns a group's
/// messages in order before the next group; groups that just came back go behind groups
/// that were waiting.
#[tokio::test]
async fn zero_visibility_receives_order_groups_as_aws() {
    let (clock, engine) = setup();
    let q = fifo(&engine, "30");
    send_all(
        &q,
        &[
            ("g1-m1", "g1"),
            ("g2-m1", "g2"),
            ("g2-m2", "g2"),
            ("g3-m1", "g3"),
            ("g1-m2", "g1"),
        ],
    );
    let got = q.receive(with_visibility(3, 0)).await;
    assert_eq!(bodies(&got), ["g1-m1", "g1-m2", "g2-m1"]);
    // Even in the same millisecond, the groups that came back go behind group 3.
    let got = q.receive(with_visibility(10, 0)).await;
    assert_eq!(bodies(&got), ["g3-m1", "g1-m1", "g1-m2", "g2-m1", "g2-m2"]);
    // Later, the same with a clock that moved.
    let q2 = engine
        .create_queue(
            key("q2.fifo"),
            &attrs(&[("FifoQueue", "true"), ("ContentBasedDeduplication", "true")]),
            &[],
        )
        .unwrap()
        .0;
    for (body, group) in [
        ("a1", "a"),
        ("b1", "b"),
        ("b2", "b"),
        ("c1", "c"),
        ("a2", "a"),
    ] {
        q2.send(fifo_msg(body, group, None)).unwrap();
        clock.advance(Duration::from_millis(3));
    }
    assert_eq!(
        bodies(&q2.receive(with_visibility(3, 0)).await),
        ["a1", "a2", "b1"]
    );
    clock.advance(Duration::from_millis(3));
    assert_eq!(
        bodies(&q2.receive(with_visibility(10, 0)).await),
        ["c1", "a1", "a2", "b1", "b2"]
    );
}

/// `test_fifo_message_group_visibility_after_terminate_visibility_timeout`: changing one
/// message's visibility to 0 unlocks its group for its visible messages only.
#[tokio::test]
async fn terminating_one_message_unlocks_its_group_for_visible_messages() {
    let (clock, engine) = setup();
    let q = fifo(&engine, "30");
    send_all(&q, &[("g1-m1", "g1"), ("g1-m2", "g1"), ("g2-m1", "g2")]);
    let got = q.receive(short(2)).await;
    assert_eq!(bodies(&got), ["g1-m1", "g1-m2"]);
    clock.advance(Duration::from_millis(10));
    q.change_visibility(&got[0].receipt_handle, 0).unwrap();
    let again = q.receive(short(3)).await;
    assert_eq!(bodies(&again), ["g2-m1", "g1-m1"]);
    assert_eq!(counts(&q), (0, 3, 0));
    // g1-m2 is still in flight under its first receipt, which can still delete it.
    q.delete_message(&got[1].receipt_handle).unwrap();
    // The group was locked again by the last receive (g1-m1 is in flight).
    assert!(q.receive(short(10)).await.is_empty());
}

/// `test_fifo_message_group_visibility_after_change_message_visibility`: a shortened timeout
/// unlocks the group when it ends; an extended one keeps it locked for the extension.
#[tokio::test]
async fn changed_timeouts_decide_when_the_group_unlocks() {
    let (clock, engine) = setup();
    let q = fifo(&engine, "30");
    send_all(&q, &[("g1-m1", "g1"), ("g1-m2", "g1"), ("g2-m1", "g2")]);
    let got = q.receive(short(2)).await;
    q.change_visibility(&got[0].receipt_handle, 1).unwrap();
    clock.advance(secs(2));
    let again = q.receive(short(3)).await;
    assert_eq!(bodies(&again), ["g2-m1", "g1-m1"]);

    // Extending every in-flight message of a group keeps it locked past the old timeout.
    let (clock, engine) = setup();
    let q = fifo(&engine, "30");
    send_all(&q, &[("a", "g1"), ("b", "g1")]);
    let got = q.receive(short(1)).await;
    q.change_visibility(&got[0].receipt_handle, 60).unwrap();
    clock.advance(secs(59));
    assert!(q.receive(short(10)).await.is_empty());
    clock.advance(secs(1));
    assert_eq!(bodies(&q.receive(short(10)).await), ["a", "b"]);
}

/// `test_fifo_receive_message_visibility_timeout_shared_in_group`: a group is locked while
/// any message received from it is in flight, and after expiry the waiting group comes first.
#[tokio::test]
async fn expired_groups_go_behind_waiting_groups() {
    let (clock, engine) = setup();
    let q = fifo(&engine, "1");
    send_all(
        &q,
        &[
            ("g1-m1", "g1"),
            ("g1-m2", "g1"),
            ("g1-m3", "g1"),
            ("g1-m4", "g1"),
            ("g2-m1", "g2"),
            ("g3-m1", "g3"),
        ],
    );
    clock.advance(Duration::from_millis(5));
    assert_eq!(bodies(&q.receive(short(2)).await), ["g1-m1", "g1-m2"]);
    clock.advance(Duration::from_millis(5));
    assert_eq!(bodies(&q.receive(short(1)).await), ["g2-m1"]);
    clock.advance(secs(2));
    let got = q.receive(with_visibility(10, 0)).await;
    assert_eq!(
        bodies(&got),
        ["g3-m1", "g1-m1", "g1-m2", "g1-m3", "g1-m4", "g2-m1"]
    );
}

/// `test_fifo_message_group_visibility_after_delete` and `..._after_partial_delete`: the
/// group unlocks when its last in-flight message is deleted, and is ordered by its first
/// visible message (sent before the third group's).
#[tokio::test]
async fn deleting_every_received_message_unlocks_the_group() {
    let (clock, engine) = setup();
    let q = fifo(&engine, "30");
    send_all(
        &q,
        &[
            ("g1-m1", "g1"),
            ("g2-m1", "g2"),
            ("g1-m2", "g1"),
            ("g2-m2", "g2"),
            ("g1-m2", "g1"), // a duplicate (content-based deduplication)
            ("g1-m3", "g1"),
            ("g1-m4", "g1"),
            ("g3-m1", "g3"),
        ],
    );
    clock.advance(Duration::from_millis(5));
    let got = q.receive(short(2)).await;
    assert_eq!(bodies(&got), ["g1-m1", "g1-m2"]);
    q.delete_message(&got[0].receipt_handle).unwrap();
    // Partial delete: group 1 stays locked.
    let partial: Vec<String> = bodies(&q.receive(with_visibility(10, 0)).await);
    assert_eq!(partial, ["g2-m1", "g2-m2", "g3-m1"]);
    q.delete_message(&got[1].receipt_handle).unwrap();
    clock.advance(Duration::from_millis(5));
    let rest = q.receive(short(10)).await;
    assert_eq!(
        bodies(&rest),
        ["g1-m3", "g1-m4", "g2-m1", "g2-m2", "g3-m1"],
        "g1's first visible message was sent before g2's returned and g3's"
    );
}

/// `test_fifo_delete_message_with_expired_receipt_handle`; AWS words the error
/// "Value <handle> for parameter ReceiptHandle is invalid. Reason: The receipt handle has
/// expired." (AWS knowledge center, "ReceiptHandle" errors).
#[tokio::test]
async fn fifo_receipts_expire_with_their_visibility_timeout() {
    let (clock, engine) = setup();
    let q = fifo(&engine, "1");
    send_all(&q, &[("g1-m1", "1")]);
    let first = q.receive(short(1)).await;
    clock.advance(secs(2));
    let err = q.delete_message(&first[0].receipt_handle).unwrap_err();
    assert_eq!(err.code, "InvalidParameterValue");
    assert_eq!(
        err.message,
        format!(
            "Value {} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.",
            first[0].receipt_handle
        )
    );
    assert_eq!(counts(&q), (1, 0, 0));
    // Received again: the old receipt still cannot delete, the new one can.
    let second = q.receive(short(1)).await;
    assert!(q.delete_message(&first[0].receipt_handle).is_err());
    q.delete_message(&second[0].receipt_handle).unwrap();
    // Gone: a genuine receipt of a deleted message is no error.
    q.delete_message(&first[0].receipt_handle).unwrap();
    assert_eq!(counts(&q), (0, 0, 0));
}

/// `test_terminate_visibility_timeout_after_receive`: on a standard queue a receipt of an
/// earlier receive still changes the visibility of the message's current receive.
#[tokio::test]
async fn an_older_receipt_terminates_the_current_visibility_on_standard_queues() {
    let (_clock, engine) = setup();
    let (q, _) = engine.create_queue(key("q"), &[], &[]).unwrap();
    q.send(msg("test")).unwrap();
    let first = q.receive(with_visibility(1, 0)).await;
    let second = q.receive(with_visibility(1, 3)).await;
    assert_eq!(second.len(), 1);
    assert_eq!(counts(&q), (0, 1, 0));
    // Extending with the old receipt is refused; terminating is accepted.
    assert!(q.change_visibility(&first[0].receipt_handle, 10).is_err());
    assert_eq!(counts(&q), (0, 1, 0));
    q.change_visibility(&first[0].receipt_handle, 0).unwrap();
    assert_eq!(counts(&q), (1, 0, 0));
    assert_eq!(q.receive(short(1)).await.len(), 1);
}

/// PurgeQueue forgets a FIFO queue's deduplication ids: the same id right after is stored.
#[tokio::test]
async fn purge_clears_the_deduplication_cache() {
    let (_clock, engine) = setup();
    let q = fifo(&engine, "30");
    let first = q.send(fifo_msg("a", "g", Some("d"))).unwrap();
    assert_eq!(
        q.send(fifo_msg("a", "g", Some("d"))).unwrap().message_id,
        first.message_id
    );
    q.purge().unwrap();
    let again = q.send(fifo_msg("a", "g", Some("d"))).unwrap();
    assert_ne!(again.message_id, first.message_id);
    assert!(again.sequence_number > first.sequence_number);
    assert_eq!(bodies(&q.receive(short(10)).await), ["a"]);
}
