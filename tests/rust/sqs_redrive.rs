//! SQS FIFO queues, dead-letter queues and message move tasks through the real `aws-sdk-sqs`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::types::{
    MessageAttributeValue, MessageSystemAttributeName, QueueAttributeName,
    SendMessageBatchRequestEntry,
};
use aws_sdk_sqs::Client;
use ferrybridge_tests::Emulator;

/// `(code, message)` of a failed SDK call.
fn error<T, E: ProvideErrorMetadata + std::fmt::Debug>(result: Result<T, E>) -> (String, String) {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(err) => (
            err.code().unwrap_or_default().to_owned(),
            err.message().unwrap_or_default().to_owned(),
        ),
    }
}

async fn create(sqs: &Client, name: &str, attrs: &[(QueueAttributeName, String)]) -> String {
    let mut req = sqs.create_queue().queue_name(name);
    for (k, v) in attrs {
        req = req.attributes(k.clone(), v.clone());
    }
    req.send().await.expect("create queue").queue_url.unwrap()
}

/// One attribute of a queue, as GetQueueAttributes returns it.
async fn attribute(sqs: &Client, url: &str, name: QueueAttributeName) -> String {
    sqs.get_queue_attributes()
        .queue_url(url)
        .attribute_names(name.clone())
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&name]
        .clone()
}

async fn arn_of(sqs: &Client, url: &str) -> String {
    attribute(sqs, url, QueueAttributeName::QueueArn).await
}

fn redrive(dlq_arn: &str, max: u32) -> (QueueAttributeName, String) {
    (
        QueueAttributeName::RedrivePolicy,
        format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"{max}"}}"#),
    )
}

fn fifo() -> (QueueAttributeName, String) {
    (QueueAttributeName::FifoQueue, "true".into())
}

async fn count(sqs: &Client, url: &str) -> u64 {
    attribute(sqs, url, QueueAttributeName::ApproximateNumberOfMessages)
        .await
        .parse()
        .unwrap()
}

/// A consumer whose downstream is down: receives and lets the visibility timeout lapse.
async fn fail_to_process(sqs: &Client, url: &str) -> usize {
    sqs.receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .visibility_timeout(0)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default()
        .len()
}

/// The story of the issue: three orders fail three times, land in the DLQ, and once the
/// payment system is back a move task at 1 message/second brings them home to be processed.
#[tokio::test]
async fn redrive_story_payment_system_down_then_back() {
    let emu = Emulator::start().await;
    let sqs = emu.sqs();
    let dlq = create(&sqs, "orders-dlq", &[]).await;
    let dlq_arn = arn_of(&sqs, &dlq).await;
    let orders = create(&sqs, "orders", &[redrive(&dlq_arn, 3)]).await;
    let orders_arn = arn_of(&sqs, &orders).await;
    for i in 1..=3 {
        sqs.send_message()
            .queue_url(&orders)
            .message_body(format!(r#"{{"order":{i}}}"#))
            .message_attributes(
                "customer",
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(format!("c-{i}"))
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    // Three failed attempts each; the fourth receive moves them to the DLQ.
    for _ in 0..3 {
        assert_eq!(fail_to_process(&sqs, &orders).await, 3);
    }
    assert_eq!(fail_to_process(&sqs, &orders).await, 0);
    assert_eq!(count(&sqs, &orders).await, 0);
    let dead = sqs
        .receive_message()
        .queue_url(&dlq)
        .max_number_of_messages(10)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .visibility_timeout(0)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap();
    assert_eq!(dead.len(), 3);
    let dead_ids: Vec<String> = dead.iter().map(|m| m.message_id.clone().unwrap()).collect();
    for m in &dead {
        let attrs = m.attributes.as_ref().unwrap();
        assert_eq!(
            attrs[&MessageSystemAttributeName::DeadLetterQueueSourceArn],
            orders_arn
        );
        assert_eq!(
            attrs[&MessageSystemAttributeName::ApproximateReceiveCount],
            "4"
        );
    }
    let sources = sqs
        .list_dead_letter_source_queues()
        .queue_url(&dlq)
        .send()
        .await
        .unwrap();
    assert_eq!(sources.queue_urls, vec![orders.clone()]);

    // The payment system is back: redrive at one message per second.
    let started = Instant::now();
    let task = sqs
        .start_message_move_task()
        .source_arn(&dlq_arn)
        .max_number_of_messages_per_second(1)
        .send()
        .await
        .unwrap();
    let handle = task.task_handle.unwrap();
    let running = sqs
        .list_message_move_tasks()
        .source_arn(&dlq_arn)
        .send()
        .await
        .unwrap();
    let entry = &running.results()[0];
    assert_eq!(entry.status(), Some("RUNNING"));
    assert_eq!(entry.task_handle(), Some(handle.as_str()));
    assert_eq!(entry.approximate_number_of_messages_to_move(), Some(3));
    assert_eq!(entry.max_number_of_messages_per_second(), Some(1));
    assert_eq!(entry.destination_arn(), None);

    let mut processed = Vec::new();
    let mut arrivals = Vec::new();
    while processed.len() < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "redrive too slow"
        );
        let got = sqs
            .receive_message()
            .queue_url(&orders)
            .wait_time_seconds(1)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default();
        for m in got {
            arrivals.push(started.elapsed());
            let attrs = m.attributes.as_ref().unwrap();
            assert_eq!(
                attrs[&MessageSystemAttributeName::ApproximateReceiveCount],
                "1"
            );
            assert!(!attrs.contains_key(&MessageSystemAttributeName::DeadLetterQueueSourceArn));
            assert!(
                !dead_ids.contains(m.message_id.as_ref().unwrap()),
                "a new message id"
            );
            let customer = m.message_attributes.as_ref().unwrap()["customer"]
                .string_value
                .clone()
                .unwrap();
            sqs.delete_message()
                .queue_url(&orders)
                .receipt_handle(m.receipt_handle.unwrap())
                .send()
                .await
                .unwrap();
            processed.push((m.body.unwrap(), customer));
        }
    }
    processed.sort();
    assert_eq!(
        processed,
        (1..=3)
            .map(|i| (format!(r#"{{"order":{i}}}"#), format!("c-{i}")))
            .collect::<Vec<_>>()
    );
    // One per second: the first at once, the third about two seconds later.
    let spread = arrivals[2] - arrivals[0];
    assert!(
        spread >= Duration::from_millis(1700) && spread <= Duration::from_millis(3500),
        "arrivals {arrivals:?}"
    );
    assert_eq!(count(&sqs, &dlq).await, 0);
    let done = sqs
        .list_message_move_tasks()
        .source_arn(&dlq_arn)
        .send()
        .await
        .unwrap();
    let entry = &done.results()[0];
    assert_eq!(entry.status(), Some("COMPLETED"));
    assert_eq!(entry.approximate_number_of_messages_moved(), 3);
    assert_eq!(entry.task_handle(), None);
}

#[tokio::test]
async fn fifo_order_per_group_with_concurrent_consumers() {
    let emu = Emulator::start().await;
    let sqs = emu.sqs();
    let url = create(
        &sqs,
        "ordered.fifo",
        &[
            fifo(),
            (QueueAttributeName::ContentBasedDeduplication, "true".into()),
        ],
    )
    .await;
    const GROUPS: usize = 20;
    const PER_GROUP: usize = 25;
    // Batches of 10 entries interleave the groups; order within each batch must hold.
    let mut entries = Vec::new();
    for i in 0..PER_GROUP {
        for g in 0..GROUPS {
            entries.push((g, i));
        }
    }
    for chunk in entries.chunks(10) {
        let mut req = sqs.send_message_batch().queue_url(&url);
        for (n, (g, i)) in chunk.iter().enumerate() {
            req = req.entries(
                SendMessageBatchRequestEntry::builder()
                    .id(format!("e{n}"))
                    .message_body(format!("{g}:{i}"))
                    .message_group_id(format!("g{g}"))
                    .build()
                    .unwrap(),
            );
        }
        let out = req.send().await.unwrap();
        assert!(out.failed.is_empty());
    }
    let seen: Arc<Mutex<HashMap<usize, Vec<usize>>>> = Arc::default();
    let mut consumers = Vec::new();
    for _ in 0..4 {
        let (sqs, url, seen) = (sqs.clone(), url.clone(), seen.clone());
        consumers.push(tokio::spawn(async move {
            let mut empty = 0;
            while empty < 3 {
                let got = sqs
                    .receive_message()
                    .queue_url(&url)
                    .max_number_of_messages(10)
                    .visibility_timeout(30)
                    .send()
                    .await
                    .unwrap()
                    .messages
                    .unwrap_or_default();
                if got.is_empty() {
                    empty += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
                empty = 0;
                for m in got {
                    let body = m.body.unwrap();
                    let (g, i) = body.split_once(':').unwrap();
                    // Record before deleting: the group stays locked until the delete.
                    seen.lock()
                        .unwrap()
                        .entry(g.parse().unwrap())
                        .or_default()
                        .push(i.parse().unwrap());
                    sqs.delete_message()
                        .queue_url(&url)
                        .receipt_handle(m.receipt_handle.unwrap())
                        .send()
                        .await
                        .unwrap();
                }
            }
        }));
    }
    for c in consumers {
        c.await.unwrap();
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), GROUPS);
    for (g, order) in seen.iter() {
        assert_eq!(order, &(0..PER_GROUP).collect::<Vec<_>>(), "group {g}");
    }
}

#[tokio::test]
async fn fifo_deduplication_window_and_sequence_numbers() {
    let emu = Emulator::start_with_manual_clock().await;
    let sqs = emu.sqs();
    let url = create(&sqs, "dedup.fifo", &[fifo()]).await;
    let send = |dedup: &'static str, body: &'static str| {
        sqs.send_message()
            .queue_url(&url)
            .message_body(body)
            .message_group_id("g")
            .message_deduplication_id(dedup)
            .send()
    };
    let first = send("d1", "one").await.unwrap();
    let seq1 = first.sequence_number.clone().unwrap();
    assert_eq!(seq1.len(), 20);
    emu.advance(Duration::from_secs(299));
    let dup = send("d1", "one again").await.unwrap();
    assert_eq!(dup.message_id, first.message_id);
    assert_eq!(dup.sequence_number.as_deref(), Some(seq1.as_str()));
    assert_eq!(count(&sqs, &url).await, 1);
    let second = send("d2", "two").await.unwrap();
    let seq2 = second.sequence_number.unwrap();
    assert_eq!(seq2.len(), 20);
    assert!(seq2 > seq1);
    // The window is five minutes from the first send.
    emu.advance(Duration::from_secs(2));
    let third = send("d1", "one, later").await.unwrap();
    assert_ne!(third.message_id, first.message_id);
    assert_eq!(count(&sqs, &url).await, 3);

    let cbd = create(
        &sqs,
        "content.fifo",
        &[
            fifo(),
            (QueueAttributeName::ContentBasedDeduplication, "true".into()),
        ],
    )
    .await;
    let a = sqs
        .send_message()
        .queue_url(&cbd)
        .message_body("same")
        .message_group_id("g")
        .send()
        .await
        .unwrap();
    let b = sqs
        .send_message()
        .queue_url(&cbd)
        .message_body("same")
        .message_group_id("other")
        .send()
        .await
        .unwrap();
    assert_eq!(
        a.message_id, b.message_id,
        "queue-scoped dedup by body hash"
    );
    let got = sqs
        .receive_message()
        .queue_url(&cbd)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap();
    let attrs = got[0].attributes.as_ref().unwrap();
    // SHA-256 of the body, hex.
    assert_eq!(
        attrs[&MessageSystemAttributeName::MessageDeduplicationId],
        "0967115f2813a3541eaef77de9d9d5773f1c0c04314b0bbfe4ff3b3b1c55b5d5"
    );
    assert_eq!(attrs[&MessageSystemAttributeName::MessageGroupId], "g");
}

#[tokio::test]
async fn dead_letter_queues_on_a_manual_clock() {
    let emu = Emulator::start_with_manual_clock().await;
    let sqs = emu.sqs();
    let dlq = create(&sqs, "dlq.fifo", &[fifo()]).await;
    let dlq_arn = arn_of(&sqs, &dlq).await;
    let src = create(
        &sqs,
        "src.fifo",
        &[
            fifo(),
            redrive(&dlq_arn, 2),
            (QueueAttributeName::VisibilityTimeout, "30".into()),
        ],
    )
    .await;
    let src_arn = arn_of(&sqs, &src).await;
    let sent = sqs
        .send_message()
        .queue_url(&src)
        .message_body("poison")
        .message_group_id("g")
        .message_deduplication_id("d")
        .send()
        .await
        .unwrap();
    for _ in 0..2 {
        let got = sqs.receive_message().queue_url(&src).send().await.unwrap();
        assert_eq!(got.messages.unwrap().len(), 1);
        emu.advance(Duration::from_secs(31));
    }
    let got = sqs.receive_message().queue_url(&src).send().await.unwrap();
    assert!(got.messages.unwrap_or_default().is_empty());
    let dead = sqs
        .receive_message()
        .queue_url(&dlq)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap();
    let m = &dead[0];
    assert_eq!(m.message_id, sent.message_id);
    let attrs = m.attributes.as_ref().unwrap();
    assert_eq!(
        attrs[&MessageSystemAttributeName::DeadLetterQueueSourceArn],
        src_arn
    );
    assert_eq!(
        attrs[&MessageSystemAttributeName::MessageDeduplicationId],
        sent.message_id.clone().unwrap(),
        "a FIFO message's deduplication id becomes its message id in the DLQ"
    );
    assert_eq!(attrs[&MessageSystemAttributeName::MessageGroupId], "g");
}

#[tokio::test]
async fn move_task_rate_and_cancel_on_a_manual_clock() {
    let emu = Emulator::start_with_manual_clock().await;
    let sqs = emu.sqs();
    let dlq = create(&sqs, "dlq", &[]).await;
    let dlq_arn = arn_of(&sqs, &dlq).await;
    create(&sqs, "src", &[redrive(&dlq_arn, 1)]).await;
    let dest = create(&sqs, "dest", &[]).await;
    let dest_arn = arn_of(&sqs, &dest).await;
    for i in 0..10 {
        sqs.send_message()
            .queue_url(&dlq)
            .message_body(format!("m{i}"))
            .send()
            .await
            .unwrap();
    }
    let handle = sqs
        .start_message_move_task()
        .source_arn(&dlq_arn)
        .destination_arn(&dest_arn)
        .max_number_of_messages_per_second(2)
        .send()
        .await
        .unwrap()
        .task_handle
        .unwrap();
    let again = sqs
        .start_message_move_task()
        .source_arn(&dlq_arn)
        .send()
        .await;
    assert_eq!(
        error(again),
        (
            "InvalidParameterValue".into(),
            "There is already a task running. Only one active task is allowed for a source queue arn at a given time.".into()
        )
    );
    let moved = || async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        count(&sqs, &dest).await
    };
    assert_eq!(moved().await, 1);
    emu.advance(Duration::from_millis(1000));
    assert_eq!(moved().await, 3);
    emu.advance(Duration::from_millis(500));
    assert_eq!(moved().await, 4);
    let cancelled = sqs
        .cancel_message_move_task()
        .task_handle(&handle)
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.approximate_number_of_messages_moved, 4);
    emu.advance(Duration::from_secs(10));
    assert_eq!(moved().await, 4, "nothing moves after the cancel");
    let listed = sqs
        .list_message_move_tasks()
        .source_arn(&dlq_arn)
        .max_results(10)
        .send()
        .await
        .unwrap();
    let entry = &listed.results()[0];
    assert_eq!(entry.status(), Some("CANCELLED"));
    assert_eq!(entry.approximate_number_of_messages_moved(), 4);
    assert_eq!(entry.approximate_number_of_messages_to_move(), Some(10));
    assert_eq!(entry.destination_arn(), Some(dest_arn.as_str()));
    assert_eq!(count(&sqs, &dlq).await, 6);
    let again = sqs
        .cancel_message_move_task()
        .task_handle(&handle)
        .send()
        .await;
    assert_eq!(error(again).0, "InvalidParameterValue");
}

#[tokio::test]
async fn receive_request_attempt_id_and_fair_standard_queues() {
    let emu = Emulator::start().await;
    let sqs = emu.sqs();
    let url = create(&sqs, "attempts.fifo", &[fifo()]).await;
    for (i, body) in ["a", "b", "c"].iter().enumerate() {
        sqs.send_message()
            .queue_url(&url)
            .message_body(*body)
            .message_group_id("g")
            .message_deduplication_id(format!("d{i}"))
            .send()
            .await
            .unwrap();
    }
    let receive = |attempt: &'static str| {
        sqs.receive_message()
            .queue_url(&url)
            .max_number_of_messages(2)
            .receive_request_attempt_id(attempt)
            .send()
    };
    let first = receive("try-1").await.unwrap().messages.unwrap();
    let retry = receive("try-1").await.unwrap().messages.unwrap();
    let handles = |v: &[aws_sdk_sqs::types::Message]| {
        v.iter()
            .map(|m| m.receipt_handle.clone().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(first.len(), 2);
    assert_eq!(handles(&retry), handles(&first));
    assert!(receive("try-2")
        .await
        .unwrap()
        .messages
        .unwrap_or_default()
        .is_empty());
    let bad = sqs
        .receive_message()
        .queue_url(&url)
        .receive_request_attempt_id("no spaces allowed")
        .send()
        .await;
    assert_eq!(error(bad).0, "InvalidParameterValue");

    // Standard queues accept MessageGroupId (fair queues) and return it.
    let std_url = create(&sqs, "fair", &[]).await;
    sqs.send_message()
        .queue_url(&std_url)
        .message_body("tenant message")
        .message_group_id("tenant-7")
        .send()
        .await
        .unwrap();
    let got = sqs
        .receive_message()
        .queue_url(&std_url)
        .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap();
    assert_eq!(
        got[0].attributes.as_ref().unwrap()[&MessageSystemAttributeName::MessageGroupId],
        "tenant-7"
    );
}

#[tokio::test]
async fn fifo_dlq_and_move_task_validation_errors() {
    let emu = Emulator::start().await;
    let sqs = emu.sqs();
    let invalid = |m: &str| ("InvalidParameterValue".to_string(), m.to_string());
    assert_eq!(
        error(
            sqs.create_queue()
                .queue_name("no-suffix")
                .attributes(QueueAttributeName::FifoQueue, "true")
                .send()
                .await
        ),
        invalid("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
    );
    let fifo_url = create(&sqs, "strict.fifo", &[fifo()]).await;
    assert_eq!(
        error(
            sqs.send_message()
                .queue_url(&fifo_url)
                .message_body("x")
                .message_deduplication_id("d")
                .send()
                .await
        ),
        (
            "MissingParameter".to_string(),
            "The request must contain the parameter MessageGroupId.".to_string()
        )
    );
    assert_eq!(
        error(
            sqs.send_message()
                .queue_url(&fifo_url)
                .message_body("x")
                .message_group_id("g")
                .send()
                .await
        ),
        invalid("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
    );
    assert_eq!(
        error(
            sqs.send_message()
                .queue_url(&fifo_url)
                .message_body("x")
                .message_group_id("g")
                .message_deduplication_id("d")
                .delay_seconds(5)
                .send()
                .await
        ),
        invalid("Value 5 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.")
    );

    let dlq = create(&sqs, "plain-dlq", &[]).await;
    let dlq_arn = arn_of(&sqs, &dlq).await;
    let policy = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":1001}}"#);
    let (code, message) = error(
        sqs.create_queue()
            .queue_name("too-many")
            .attributes(QueueAttributeName::RedrivePolicy, &policy)
            .send()
            .await,
    );
    assert_eq!(code, "InvalidParameterValue");
    assert!(message.contains("maxReceiveCount"), "{message}");
    let (code, message) = error(
        sqs.create_queue()
            .queue_name("mixed.fifo")
            .attributes(QueueAttributeName::FifoQueue, "true")
            .attributes(QueueAttributeName::RedrivePolicy, redrive(&dlq_arn, 3).1)
            .send()
            .await,
    );
    assert_eq!(code, "InvalidParameterValue");
    assert!(
        message.ends_with("Reason: Dead-letter queue must be same type of queue as the source.")
    );
    let missing = dlq_arn.replace("plain-dlq", "nowhere");
    let (_, message) = error(
        sqs.create_queue()
            .queue_name("orphan")
            .attributes(QueueAttributeName::RedrivePolicy, redrive(&missing, 3).1)
            .send()
            .await,
    );
    assert!(message.ends_with("Reason: Dead letter target does not exist."));

    sqs.set_queue_attributes()
        .queue_url(&dlq)
        .attributes(
            QueueAttributeName::RedriveAllowPolicy,
            r#"{"redrivePermission":"denyAll"}"#,
        )
        .send()
        .await
        .unwrap();
    let (code, message) = error(
        sqs.create_queue()
            .queue_name("refused")
            .attributes(QueueAttributeName::RedrivePolicy, redrive(&dlq_arn, 3).1)
            .send()
            .await,
    );
    assert_eq!(code, "InvalidParameterValue");
    assert!(message.contains("RedriveAllowPolicy"), "{message}");

    assert_eq!(
        error(
            sqs.start_message_move_task()
                .source_arn(&dlq_arn)
                .send()
                .await
        ),
        invalid("Source queue must be configured as a Dead Letter Queue.")
    );
    assert_eq!(
        error(
            sqs.start_message_move_task()
                .source_arn(&missing)
                .send()
                .await
        ),
        (
            "ResourceNotFoundException".to_string(),
            "The resource that you specified for the SourceArn parameter doesn't exist."
                .to_string()
        )
    );
    sqs.set_queue_attributes()
        .queue_url(&dlq)
        .attributes(QueueAttributeName::RedriveAllowPolicy, "")
        .send()
        .await
        .unwrap();
    create(&sqs, "source", &[redrive(&dlq_arn, 3)]).await;
    assert_eq!(
        error(
            sqs.start_message_move_task()
                .source_arn(&dlq_arn)
                .destination_arn(&missing)
                .send()
                .await
        ),
        (
            "ResourceNotFoundException".to_string(),
            "The resource that you specified for the DestinationArn parameter doesn't exist."
                .to_string()
        )
    );
    assert_eq!(
        error(
            sqs.start_message_move_task()
                .source_arn(&dlq_arn)
                .max_number_of_messages_per_second(501)
                .send()
                .await
        )
        .0,
        "InvalidParameterValue"
    );
    assert_eq!(
        error(
            sqs.cancel_message_move_task()
                .task_handle("garbage")
                .send()
                .await
        ),
        invalid("Value for parameter TaskHandle is invalid.")
    );
}

#[tokio::test]
async fn dead_letter_source_queues_page_and_a_denying_dlq_takes_nothing() {
    let emu = Emulator::start().await;
    let sqs = emu.sqs();
    let dlq = create(&sqs, "shared-dlq", &[]).await;
    let dlq_arn = arn_of(&sqs, &dlq).await;
    let mut sources = Vec::new();
    for name in ["src-a", "src-b", "src-c"] {
        sources.push(create(&sqs, name, &[redrive(&dlq_arn, 1)]).await);
    }
    let page = sqs
        .list_dead_letter_source_queues()
        .queue_url(&dlq)
        .max_results(2)
        .send()
        .await
        .unwrap();
    assert_eq!(page.queue_urls, sources[..2].to_vec());
    let token = page.next_token.expect("a second page");
    let rest = sqs
        .list_dead_letter_source_queues()
        .queue_url(&dlq)
        .max_results(2)
        .next_token(token)
        .send()
        .await
        .unwrap();
    assert_eq!(rest.queue_urls, sources[2..].to_vec());
    assert_eq!(rest.next_token, None);

    // The DLQ now refuses every source: messages past maxReceiveCount stay where they are.
    sqs.set_queue_attributes()
        .queue_url(&dlq)
        .attributes(
            QueueAttributeName::RedriveAllowPolicy,
            r#"{"redrivePermission":"denyAll"}"#,
        )
        .send()
        .await
        .unwrap();
    sqs.send_message()
        .queue_url(&sources[0])
        .message_body("stays")
        .send()
        .await
        .unwrap();
    assert_eq!(fail_to_process(&sqs, &sources[0]).await, 1);
    assert_eq!(fail_to_process(&sqs, &sources[0]).await, 1);
    assert_eq!(count(&sqs, &dlq).await, 0);
}
