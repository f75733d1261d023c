//! Dead-letter queues, FIFO receive attempts and message move tasks, on a manual clock.

use std::sync::Arc;
use std::time::Duration;

use super::tests::{attrs, counts, key, msg, secs, setup, short};
use super::*;

fn arn(name: &str) -> String {
    key(name).arn()
}

fn redrive(dlq: &str, max: u32) -> String {
    format!(
        r#"{{"deadLetterTargetArn":"{}","maxReceiveCount":{max}}}"#,
        arn(dlq)
    )
}

fn fifo_msg(body: &str, group: &str) -> NewMessage {
    NewMessage {
        message_group_id: Some(group.into()),
        message_deduplication_id: Some(format!("{group}-{body}")),
        ..msg(body)
    }
}

/// Receives with a zero visibility timeout so the next receive sees the message again.
async fn receive_and_drop(q: &Queue) -> usize {
    q.receive(ReceiveOptions {
        visibility_timeout: Some(0),
        ..short(10)
    })
    .await
    .len()
}

#[tokio::test]
async fn message_moves_to_dlq_on_the_receive_after_max_receive_count() {
    let (clock, engine) = setup();
    let (dlq, _) = engine.create_queue(key("dlq"), &[], &[]).unwrap();
    let (q, _) = engine
        .create_queue(
            key("src"),
            &attrs(&[("RedrivePolicy", &redrive("dlq", 3))]),
            &[],
        )
        .unwrap();
    let sent_at = clock.now_millis();
    q.send(msg("order-1")).unwrap();
    clock.advance(secs(1));
    for _ in 0..3 {
        assert_eq!(receive_and_drop(&q).await, 1);
    }
    assert_eq!(counts(&dlq), (0, 0, 0));
    // The fourth attempt finds nothing: the message went to the DLQ instead.
    assert_eq!(receive_and_drop(&q).await, 0);
    assert_eq!(counts(&q), (0, 0, 0));
    let got = dlq.receive(short(10)).await;
    assert_eq!(got.len(), 1);
    let m = &got[0].message;
    assert_eq!(&*m.body, "order-1");
    assert_eq!(m.dead_letter_source_arn(), Some(arn("src").as_str()));
    // Standard queues keep the original enqueue time.
    assert_eq!(m.sent_ms, sent_at);
    assert_eq!(m.receive_count, 4);
}

#[tokio::test]
async fn fifo_dlq_restarts_enqueue_time_and_uses_message_id_as_dedup_id() {
    let (clock, engine) = setup();
    let fifo = [("FifoQueue", "true")];
    let (dlq, _) = engine
        .create_queue(key("dlq.fifo"), &attrs(&fifo), &[])
        .unwrap();
    let policy = redrive("dlq.fifo", 1);
    let (q, _) = engine
        .create_queue(
            key("src.fifo"),
            &attrs(&[("FifoQueue", "true"), ("RedrivePolicy", &policy)]),
            &[],
        )
        .unwrap();
    let first = q.send(fifo_msg("a", "g")).unwrap();
    q.send(fifo_msg("b", "g")).unwrap();
    clock.advance(secs(10));
    let got = q
        .receive(ReceiveOptions {
            visibility_timeout: Some(0),
            ..short(1)
        })
        .await;
    assert_eq!(&*got[0].message.body, "a");
    // "a" goes to the DLQ; the group moves on to "b".
    let got = q.receive(short(1)).await;
    assert_eq!(&*got[0].message.body, "b");
    let dead = dlq.receive(short(10)).await;
    assert_eq!(dead.len(), 1);
    let m = &dead[0].message;
    assert_eq!(m.message_id(), first.message_id);
    assert_eq!(m.sent_ms, clock.now_millis());
    let extra = m.extra.as_deref().unwrap();
    assert_eq!(
        extra.message_deduplication_id.as_deref(),
        Some(first.message_id.as_str())
    );
    assert_eq!(extra.message_group_id.as_deref(), Some("g"));
    assert!(extra.sequence_number.is_some());
}

#[tokio::test]
async fn redrive_allow_policy_is_enforced() {
    let (_clock, engine) = setup();
    engine
        .create_queue(
            key("deny"),
            &attrs(&[("RedriveAllowPolicy", r#"{"redrivePermission":"denyAll"}"#)]),
            &[],
        )
        .unwrap();
    let by_queue = format!(
        r#"{{"redrivePermission":"byQueue","sourceQueueArns":["{}"]}}"#,
        arn("allowed")
    );
    engine
        .create_queue(
            key("picky"),
            &attrs(&[("RedriveAllowPolicy", &by_queue)]),
            &[],
        )
        .unwrap();
    let err = engine
        .create_queue(
            key("a"),
            &attrs(&[("RedrivePolicy", &redrive("deny", 2))]),
            &[],
        )
        .unwrap_err();
    assert_eq!(err.code, "InvalidParameterValue");
    assert!(
        err.message.contains("RedriveAllowPolicy"),
        "{}",
        err.message
    );
    assert!(engine
        .create_queue(
            key("other"),
            &attrs(&[("RedrivePolicy", &redrive("picky", 2))]),
            &[]
        )
        .is_err());
    assert!(engine
        .create_queue(
            key("allowed"),
            &attrs(&[("RedrivePolicy", &redrive("picky", 2))]),
            &[]
        )
        .is_ok());
}

#[tokio::test]
async fn a_dlq_whose_allow_policy_changed_to_deny_takes_no_more_messages() {
    let (_clock, engine) = setup();
    let (dlq, _) = engine.create_queue(key("dlq"), &[], &[]).unwrap();
    let (q, _) = engine
        .create_queue(
            key("src"),
            &attrs(&[("RedrivePolicy", &redrive("dlq", 1))]),
            &[],
        )
        .unwrap();
    engine
        .set_queue_attributes(
            &dlq,
            [("RedriveAllowPolicy", r#"{"redrivePermission":"denyAll"}"#)],
        )
        .unwrap();
    q.send(msg("m")).unwrap();
    assert_eq!(receive_and_drop(&q).await, 1);
    assert_eq!(
        receive_and_drop(&q).await,
        1,
        "not moved to a DLQ that denies it"
    );
    assert_eq!(counts(&dlq), (0, 0, 0));
}

#[tokio::test]
async fn a_deleted_dlq_leaves_messages_in_the_source() {
    let (_clock, engine) = setup();
    engine.create_queue(key("dlq"), &[], &[]).unwrap();
    let (q, _) = engine
        .create_queue(
            key("src"),
            &attrs(&[("RedrivePolicy", &redrive("dlq", 1))]),
            &[],
        )
        .unwrap();
    q.send(msg("m")).unwrap();
    assert_eq!(receive_and_drop(&q).await, 1);
    engine.delete_queue(&key("dlq")).unwrap();
    assert_eq!(receive_and_drop(&q).await, 1);
    assert_eq!(receive_and_drop(&q).await, 1);
}

#[tokio::test]
async fn fifo_receive_attempt_id_returns_the_same_batch() {
    let (clock, engine) = setup();
    let (q, _) = engine
        .create_queue(key("q.fifo"), &attrs(&[("FifoQueue", "true")]), &[])
        .unwrap();
    for body in ["1", "2", "3"] {
        q.send(fifo_msg(body, "g")).unwrap();
    }
    let opts = ReceiveOptions {
        attempt_id: Some("attempt-1".into()),
        max_messages: 2,
        ..short(2)
    };
    let first = q.receive(opts.clone()).await;
    assert_eq!(first.len(), 2);
    clock.advance(secs(5));
    let again = q.receive(opts.clone()).await;
    let handles = |v: &[ReceivedMessage]| {
        v.iter()
            .map(|r| r.receipt_handle.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(handles(&again), handles(&first));
    // A different attempt id is a new receive: the group is locked, nothing comes back.
    let other = q
        .receive(ReceiveOptions {
            attempt_id: Some("attempt-2".into()),
            ..short(2)
        })
        .await;
    assert!(other.is_empty());
    // The retry at 5 s restarted the 30-second visibility timeout: at 32 s the messages are
    // still in flight (without the restart they would be visible again from 30 s).
    clock.advance(secs(27));
    let still_locked = q
        .receive(ReceiveOptions {
            attempt_id: Some("attempt-3".into()),
            ..short(2)
        })
        .await;
    assert!(still_locked.is_empty());
    // Once a message was deleted, the attempt is over.
    q.delete_message(&first[0].receipt_handle).unwrap();
    q.delete_message(&first[1].receipt_handle).unwrap();
    let after = q.receive(opts).await;
    assert_eq!(after.len(), 1);
    assert_eq!(&*after[0].message.body, "3");
}

/// A DLQ holding `n` messages that came from `src`.
async fn dlq_with(engine: &SqsEngine, n: usize) -> (Arc<Queue>, Arc<Queue>) {
    let (dlq, _) = engine.create_queue(key("dlq"), &[], &[]).unwrap();
    let (src, _) = engine
        .create_queue(
            key("src"),
            &attrs(&[("RedrivePolicy", &redrive("dlq", 1))]),
            &[],
        )
        .unwrap();
    for i in 0..n {
        src.send(NewMessage {
            attributes: vec![(
                "n".into(),
                MessageAttributeValue::string("Number", i.to_string()),
            )],
            ..msg(&format!("m{i}"))
        })
        .unwrap();
    }
    for _ in 0..n.div_ceil(10) {
        receive_and_drop(&src).await;
    }
    while receive_and_drop(&src).await > 0 {}
    assert_eq!(counts(&dlq).0, n as u64);
    (dlq, src)
}

async fn settle_tasks() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test]
async fn move_task_redrives_to_the_original_source_at_its_rate() {
    let (clock, engine) = setup();
    let engine = Arc::new(engine);
    let (dlq, src) = dlq_with(&engine, 5).await;
    let old = dlq.receive(short(1)).await;
    let old_id = old[0].message.message_id();
    dlq.change_visibility(&old[0].receipt_handle, 0).unwrap();
    clock.advance(secs(10));
    let task = engine.start_message_move_task(&dlq, None, Some(2)).unwrap();
    assert_eq!(task.to_move, 5);
    let err = engine
        .start_message_move_task(&dlq, None, None)
        .unwrap_err();
    assert!(err.message.contains("Only one active task"));
    let runner = {
        let (engine, task) = (engine.clone(), task.clone());
        tokio::spawn(async move { engine.run_message_move_task(task).await })
    };
    settle_tasks().await;
    assert_eq!(task.progress().moved, 1, "the first message moves at once");
    clock.advance(Duration::from_millis(500));
    settle_tasks().await;
    assert_eq!(task.progress().moved, 2);
    clock.advance(secs(1));
    settle_tasks().await;
    assert_eq!(task.progress().moved, 4);
    clock.advance(Duration::from_millis(500));
    runner.await.unwrap();
    let p = task.progress();
    assert_eq!((p.status, p.moved), (MoveTaskStatus::Completed, 5));
    assert_eq!(counts(&dlq), (0, 0, 0));
    let back = src.receive(short(10)).await;
    assert_eq!(back.len(), 5);
    for r in &back {
        assert_eq!(
            r.message.receive_count, 1,
            "a redriven message is a new message"
        );
        assert_ne!(r.message.message_id(), old_id);
        assert_eq!(r.message.attributes().len(), 1);
        assert!(r.message.sent_ms >= task.started_ms, "retention restarts");
        assert!(r.message.dead_letter_source_arn().is_none());
    }
}

#[tokio::test]
async fn cancelled_move_task_stops_and_a_missing_destination_fails_it() {
    let (clock, engine) = setup();
    let engine = Arc::new(engine);
    let (dlq, _src) = dlq_with(&engine, 4).await;
    let task = engine.start_message_move_task(&dlq, None, Some(1)).unwrap();
    let runner = {
        let (engine, task) = (engine.clone(), task.clone());
        tokio::spawn(async move { engine.run_message_move_task(task).await })
    };
    settle_tasks().await;
    assert_eq!(engine.cancel_message_move_task(&task.handle()).unwrap(), 1);
    runner.await.unwrap();
    assert_eq!(task.progress().status, MoveTaskStatus::Cancelled);
    assert_eq!(counts(&dlq).0, 3);
    let err = engine.cancel_message_move_task(&task.handle()).unwrap_err();
    assert_eq!(err.code, "InvalidParameterValue");
    assert_eq!(
        engine
            .cancel_message_move_task("not-a-handle")
            .unwrap_err()
            .message,
        "Value for parameter TaskHandle is invalid."
    );

    engine.delete_queue(&key("src")).unwrap();
    let task = engine.start_message_move_task(&dlq, None, Some(1));
    // The DLQ is no longer anyone's DLQ once its only source is gone.
    assert!(task.is_err());
    clock.advance(secs(61));
    let (_src, _) = engine
        .create_queue(
            key("src"),
            &attrs(&[("RedrivePolicy", &redrive("dlq", 1))]),
            &[],
        )
        .unwrap();
    let (dest, _) = engine.create_queue(key("dest"), &[], &[]).unwrap();
    let task = engine
        .start_message_move_task(&dlq, Some(&arn("dest")), Some(1))
        .unwrap();
    let runner = {
        let (engine, task) = (engine.clone(), task.clone());
        tokio::spawn(async move { engine.run_message_move_task(task).await })
    };
    settle_tasks().await;
    engine.delete_queue(&key("dest")).unwrap();
    clock.advance(secs(1));
    runner.await.unwrap();
    let p = task.progress();
    assert_eq!(p.status, MoveTaskStatus::Failed);
    assert_eq!(
        p.failure_reason.as_deref(),
        Some(move_task::NON_EXISTENT_QUEUE)
    );
    assert_eq!(p.moved, 1);
    assert_eq!(dest.counts().visible, 1);
    assert_eq!(
        counts(&dlq).0,
        2,
        "the message that could not move stays in the DLQ"
    );
    assert_eq!(engine.list_message_move_tasks(dlq.arn(), 10).len(), 2);
}

#[tokio::test]
async fn a_queue_can_be_its_own_dead_letter_queue_and_keeps_its_messages_receivable() {
    let (_clock, engine) = setup();
    let (q, _) = engine.create_queue(key("self"), &[], &[]).unwrap();
    // Checked with no lock of the queue held: this call once deadlocked on the queue's own
    // attribute lock.
    engine
        .set_queue_attributes(&q, [("RedrivePolicy", redrive("self", 2).as_str())])
        .unwrap();
    assert!(q.attributes().redrive_policy.is_some());
    q.send(msg("poison")).unwrap();
    for _ in 0..5 {
        assert_eq!(receive_and_drop(&q).await, 1);
    }
    assert_eq!(counts(&q), (1, 0, 0));
}

#[tokio::test]
async fn two_queues_can_be_each_others_dead_letter_queue() {
    let (_clock, engine) = setup();
    let (a, _) = engine.create_queue(key("a"), &[], &[]).unwrap();
    let (b, _) = engine.create_queue(key("b"), &[], &[]).unwrap();
    engine
        .set_queue_attributes(&a, [("RedrivePolicy", redrive("b", 1).as_str())])
        .unwrap();
    engine
        .set_queue_attributes(&b, [("RedrivePolicy", redrive("a", 1).as_str())])
        .unwrap();
    a.send(msg("m")).unwrap();
    assert_eq!(receive_and_drop(&a).await, 1);
    // Over A's limit: the next receive on A moves it to B, where it is kept (not lost).
    assert_eq!(receive_and_drop(&a).await, 0);
    assert_eq!(counts(&a), (0, 0, 0));
    assert_eq!(counts(&b), (1, 0, 0));
}
