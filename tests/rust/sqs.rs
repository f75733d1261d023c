//! Amazon SQS standard queues through the real `aws-sdk-sqs` (AWS JSON 1.0 protocol).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::primitives::Blob;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
    MessageAttributeValue, MessageSystemAttributeName, MessageSystemAttributeNameForSends,
    MessageSystemAttributeValue, QueueAttributeName, SendMessageBatchRequestEntry,
};
use ferrybridge_tests::Emulator;
use md5::{Digest, Md5};

fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

fn length_prefixed(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    buf.extend_from_slice(bytes);
}

/// The error code an SDK call failed with (the SDK reads `x-amzn-query-error` for SQS).
fn code<T, E: ProvideErrorMetadata + std::fmt::Debug>(result: Result<T, E>) -> String {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(err) => err.code().unwrap_or_default().to_owned(),
    }
}

fn message<T, E: ProvideErrorMetadata + std::fmt::Debug>(result: Result<T, E>) -> String {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(err) => err.message().unwrap_or_default().to_owned(),
    }
}

async fn create(client: &aws_sdk_sqs::Client, name: &str) -> String {
    ferrybridge_tests::create_queue(client, name).await
}

#[tokio::test]
async fn create_get_list_delete_queue() {
    let emu = Emulator::start().await;
    let sqs = emu.sqs();
    let url = create(&sqs, "orders").await;
    assert_eq!(url, format!("{}/000000000000/orders", emu.endpoint_url()));

    // Creating again with the same attributes is idempotent.
    assert_eq!(create(&sqs, "orders").await, url);
    // With different attributes it is an error.
    let err = sqs
        .create_queue()
        .queue_name("orders")
        .attributes(QueueAttributeName::VisibilityTimeout, "60")
        .send()
        .await;
    assert_eq!(code(err), "QueueAlreadyExists");

    let got = sqs
        .get_queue_url()
        .queue_name("orders")
        .send()
        .await
        .unwrap();
    assert_eq!(got.queue_url.as_deref(), Some(url.as_str()));
    let missing = sqs.get_queue_url().queue_name("nope").send().await;
    assert_eq!(code(missing), "AWS.SimpleQueueService.NonExistentQueue");

    for name in ["orders-eu", "payments"] {
        create(&sqs, name).await;
    }
    let listed = sqs
        .list_queues()
        .queue_name_prefix("orders")
        .send()
        .await
        .unwrap();
    let mut urls = listed.queue_urls.unwrap_or_default();
    urls.sort();
    assert_eq!(
        urls,
        vec![
            url.clone(),
            format!("{}/000000000000/orders-eu", emu.endpoint_url())
        ]
    );

    // Paging with MaxResults / NextToken visits every queue once.
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = sqs
            .list_queues()
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        seen.extend(page.queue_urls.unwrap_or_default());
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    seen.sort();
    assert_eq!(seen.len(), 3);

    sqs.delete_queue().queue_url(&url).send().await.unwrap();
    let gone = sqs.get_queue_url().queue_name("orders").send().await;
    assert_eq!(code(gone), "AWS.SimpleQueueService.NonExistentQueue");
    let send_to_gone = sqs
        .send_message()
        .queue_url(&url)
        .message_body("x")
        .send()
        .await;
    assert_eq!(
        code(send_to_gone),
        "AWS.SimpleQueueService.NonExistentQueue"
    );
}

#[tokio::test]
async fn queue_names_and_attribute_limits_are_validated() {
    let emu = Emulator::start().await;
    let sqs = emu.sqs();
    for bad in ["has space", "x".repeat(81).as_str(), "bad!name", ""] {
        let result = sqs.create_queue().queue_name(bad).send().await;
        assert!(result.is_err(), "queue name {bad:?} must be refused");
    }
    let bad_attr = sqs
        .create_queue()
        .queue_name("q")
        .attributes(QueueAttributeName::DelaySeconds, "901")
        .send()
        .await;
    assert_eq!(code(bad_attr), "InvalidAttributeValue");
    let url = create(&sqs, "q").await;
    let bad_set = sqs
        .set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::VisibilityTimeout, "43201")
        .send()
        .await;
    assert_eq!(code(bad_set), "InvalidAttributeValue");
}

#[tokio::test]
async fn queue_attributes_all_and_counters() {
    let emu = Emulator::start().await;
    let sqs = emu.sqs();
    let url = sqs
        .create_queue()
        .queue_name("attrs")
        .attributes(QueueAttributeName::VisibilityTimeout, "45")
        .attributes(QueueAttributeName::DelaySeconds, "0")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    sqs.send_message()
        .queue_url(&url)
        .message_body("a")
        .send()
        .await
        .unwrap();
    sqs.send_message()
        .queue_url(&url)
        .message_body("b")
        .send()
        .await
        .unwrap();
    sqs.send_message()
        .queue_url(&url)
        .message_body("later")
        .delay_seconds(600)
        .send()
        .await
        .unwrap();
    sqs.receive_message()
        .queue_url(&url)
        .max_number_of_messages(1)
        .send()
        .await
        .unwrap();

    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    let get = |name: QueueAttributeName| attrs.get(&name).cloned().unwrap_or_default();
    assert_eq!(get(QueueAttributeName::VisibilityTimeout), "45");
    assert_eq!(get(QueueAttributeName::ApproximateNumberOfMessages), "1");
    assert_eq!(
        get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        "1"
    );
    assert_eq!(
        get(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
        "1"
    );
    assert_eq!(
        get(QueueAttributeName::QueueArn),
        "arn:aws:sqs:us-east-1:000000000000:attrs"
    );
    assert_eq!(get(QueueAttributeName::MaximumMessageSize), "1048576");
    assert_eq!(get(QueueAttributeName::MessageRetentionPeriod), "345600");
    assert_eq!(get(QueueAttributeName::ReceiveMessageWaitTimeSeconds), "0");
    assert!(
        get(QueueAttributeName::CreatedTimestamp)
            .parse::<u64>()
            .unwrap()
            > 1_600_000_000
    );
    assert!(
        get(QueueAttributeName::LastModifiedTimestamp)
            .parse::<u64>()
            .unwrap()
            > 1_600_000_000
    );

    // Asking for one attribute returns just that one.
    let one = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(one.len(), 1);

    sqs.set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::MaximumMessageSize, "2048")
        .send()
        .await
        .unwrap();
    let too_big = sqs
        .send_message()
        .queue_url(&url)
        .message_body("x".repeat(2049))
        .send()
        .await;
    assert_eq!(code(too_big), "InvalidParameterValue");
}

#[tokio::test]
async fn send_receive_delete_with_md5_and_attributes() {
    let emu = Emulator::start().await;
    let sqs = emu.sqs();
    let url = create(&sqs, "messages").await;
    let body = "hello, wörld 🎉";
    let sent = sqs
        .send_message()
        .queue_url(&url)
        .message_body(body)
        .message_attributes(
            "kind",
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value("order")
                .build()
                .unwrap(),
        )
        .message_attributes(
            "amount",
            MessageAttributeValue::builder()
                .data_type("Number")
                .string_value("12.5")
                .build()
                .unwrap(),
        )
        .message_attributes(
            "blob",
            MessageAttributeValue::builder()
                .data_type("Binary.gzip")
                .binary_value(Blob::new(vec![0u8, 1, 2, 255]))
                .build()
                .unwrap(),
        )
        .message_system_attributes(
            MessageSystemAttributeNameForSends::AwsTraceHeader,
            MessageSystemAttributeValue::builder()
                .data_type("String")
                .string_value("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        sent.md5_of_message_body.as_deref(),
        Some(md5_hex(body.as_bytes()).as_str())
    );
    assert!(sent.message_id.as_deref().is_some_and(|id| id.len() == 36));
    // MD5 of message attributes by AWS's algorithm: names sorted, each as length-prefixed
    // name, length-prefixed data type, a transport byte (1 string/number, 2 binary) and the
    // length-prefixed value.
    let mut buf = Vec::new();
    for (name, data_type, transport, value) in [
        ("amount", "Number", 1u8, b"12.5".as_slice()),
        ("blob", "Binary.gzip", 2, &[0, 1, 2, 255]),
        ("kind", "String", 1, b"order"),
    ] {
        length_prefixed(&mut buf, name.as_bytes());
        length_prefixed(&mut buf, data_type.as_bytes());
        buf.push(transport);
        length_prefixed(&mut buf, value);
    }
    assert_eq!(
        sent.md5_of_message_attributes.as_deref(),
        Some(md5_hex(&buf).as_str())
    );
    // The same algorithm over the system attributes.
    let mut system = Vec::new();
    length_prefixed(&mut system, b"AWSTraceHeader");
    length_prefixed(&mut system, b"String");
    system.push(1);
    length_prefixed(
        &mut system,
        b"Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
    );
    assert_eq!(
        sent.md5_of_message_system_attributes.as_deref(),
        Some(md5_hex(&system).as_str())
    );

    let received = sqs
        .receive_message()
        .queue_url(&url)
        .message_attribute_names("All")
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap();
    let messages = received.messages.unwrap();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m.body.as_deref(), Some(body));
    assert_eq!(m.message_id, sent.message_id);
    assert_eq!(
        m.md5_of_body.as_deref(),
        Some(md5_hex(body.as_bytes()).as_str())
    );
    assert_eq!(m.md5_of_message_attributes, sent.md5_of_message_attributes);
    let attrs = m.message_attributes.as_ref().unwrap();
    assert_eq!(attrs["kind"].string_value.as_deref(), Some("order"));
    assert_eq!(attrs["amount"].data_type, "Number");
    assert_eq!(
        attrs["blob"]
            .binary_value
            .as_ref()
            .map(|b| b.as_ref().to_vec()),
        Some(vec![0u8, 1, 2, 255])
    );
    let system = m.attributes.as_ref().unwrap();
    assert_eq!(
        system[&MessageSystemAttributeName::ApproximateReceiveCount],
        "1"
    );
    assert_eq!(
        system[&MessageSystemAttributeName::SenderId],
        "000000000000"
    );
    assert_eq!(
        system[&MessageSystemAttributeName::AwsTraceHeader],
        "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"
    );
    assert!(system.contains_key(&MessageSystemAttributeName::SentTimestamp));
    assert!(system.contains_key(&MessageSystemAttributeName::ApproximateFirstReceiveTimestamp));

    // Only the requested message attributes come back (by name; prefixes are in the boto3 suite).
    sqs.change_message_visibility()
        .queue_url(&url)
        .receipt_handle(m.receipt_handle.clone().unwrap())
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();
    let again = sqs
        .receive_message()
        .queue_url(&url)
        .message_attribute_names("kind")
        .send()
        .await
        .unwrap()
        .messages
        .unwrap();
    let only = again[0].message_attributes.as_ref().unwrap();
    assert_eq!(only.keys().collect::<Vec<_>>(), vec!["kind"]);

    sqs.delete_message()
        .queue_url(&url)
        .receipt_handle(again[0].receipt_handle.clone().unwrap())
        .send()
        .await
        .unwrap();
    let empty = sqs.receive_message().queue_url(&url).send().await.unwrap();
    assert!(empty.messages.unwrap_or_default().is_empty());

    let bad = sqs
        .delete_message()
        .queue_url(&url)
        .receipt_handle("garbage")
        .send()
        .await;
    assert_eq!(code(bad), "ReceiptHandleIsInvalid");
}

#[tokio::test]
async fn invalid_characters_and_attribute_errors() {
    let emu = Emulator::start().await;
    let sqs = emu.sqs();
    let url = create(&sqs, "strict").await;
    let bad_char = sqs
        .send_message()
        .queue_url(&url)
        .message_body("a\u{1}b")
        .send()
        .await;
    assert_eq!(code(bad_char), "InvalidMessageContents");
    let bad_max = sqs
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(11)
        .send()
        .await;
    assert_eq!(code(bad_max), "InvalidParameterValue");
    let no_value = sqs
        .send_message()
        .queue_url(&url)
        .message_body("x")
        .message_attributes(
            "a",
            MessageAttributeValue::builder()
                .data_type("String")
                .build()
                .unwrap(),
        )
        .send()
        .await;
    assert!(no_value.is_err());
    let unknown_attr = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::from("NoSuchAttribute"))
        .send()
        .await;
    assert_eq!(code(unknown_attr), "InvalidAttributeName");
}

#[tokio::test]
async fn batches_report_per_entry_results() {
    let emu = Emulator::start().await;
    let sqs = emu.sqs();
    let url = create(&sqs, "batch").await;
    let entry = |id: &str, body: &str| {
        SendMessageBatchRequestEntry::builder()
            .id(id)
            .message_body(body)
            .build()
            .unwrap()
    };
    let sent = sqs
        .send_message_batch()
        .queue_url(&url)
        .entries(entry("a", "one"))
        .entries(entry("b", "two\u{0}"))
        .entries(entry("c", "three"))
        .send()
        .await
        .unwrap();
    let mut ok: Vec<_> = sent.successful.iter().map(|s| s.id.clone()).collect();
    ok.sort();
    assert_eq!(ok, vec!["a", "c"]);
    assert_eq!(sent.failed.len(), 1);
    assert_eq!(sent.failed[0].id, "b");
    assert!(sent.failed[0].sender_fault);
    assert_eq!(sent.failed[0].code, "InvalidMessageContents");
    for s in &sent.successful {
        let body = if s.id == "a" { "one" } else { "three" };
        assert_eq!(s.md5_of_message_body, md5_hex(body.as_bytes()));
    }

    let dup = sqs
        .send_message_batch()
        .queue_url(&url)
        .entries(entry("x", "1"))
        .entries(entry("x", "2"))
        .send()
        .await;
    assert_eq!(code(dup), "AWS.SimpleQueueService.BatchEntryIdsNotDistinct");
    let mut many = sqs.send_message_batch().queue_url(&url);
    for i in 0..11 {
        many = many.entries(entry(&format!("e{i}"), "x"));
    }
    assert_eq!(
        code(many.send().await),
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"
    );
    let empty = sqs.send_message_batch().queue_url(&url).send().await;
    assert!(empty.is_err());
    let too_long = sqs
        .send_message_batch()
        .queue_url(&url)
        .entries(entry("a", &"x".repeat(600 * 1024)))
        .entries(entry("b", &"y".repeat(600 * 1024)))
        .send()
        .await;
    assert_eq!(code(too_long), "AWS.SimpleQueueService.BatchRequestTooLong");

    let received = sqs
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap();
    assert_eq!(received.len(), 2);
    let mut vis = sqs.change_message_visibility_batch().queue_url(&url);
    for (i, m) in received.iter().enumerate() {
        vis = vis.entries(
            ChangeMessageVisibilityBatchRequestEntry::builder()
                .id(format!("v{i}"))
                .receipt_handle(m.receipt_handle.clone().unwrap())
                .visibility_timeout(100)
                .build()
                .unwrap(),
        );
    }
    let changed = vis.send().await.unwrap();
    assert_eq!(changed.successful.len(), 2);
    let mut del = sqs.delete_message_batch().queue_url(&url);
    for (i, m) in received.iter().enumerate() {
        del = del.entries(
            DeleteMessageBatchRequestEntry::builder()
                .id(format!("d{i}"))
                .receipt_handle(m.receipt_handle.clone().unwrap())
                .build()
                .unwrap(),
        );
    }
    del = del.entries(
        DeleteMessageBatchRequestEntry::builder()
            .id("bad")
            .receipt_handle("nonsense")
            .build()
            .unwrap(),
    );
    let deleted = del.send().await.unwrap();
    assert_eq!(deleted.successful.len(), 2);
    assert_eq!(deleted.failed.len(), 1);
    assert_eq!(deleted.failed[0].code, "ReceiptHandleIsInvalid");
}

#[tokio::test]
async fn visibility_timeout_delay_and_retention_follow_the_clock() {
    let emu = Emulator::start_with_manual_clock().await;
    let sqs = emu.sqs();
    let url = sqs
        .create_queue()
        .queue_name("timed")
        .attributes(QueueAttributeName::VisibilityTimeout, "30")
        .attributes(QueueAttributeName::MessageRetentionPeriod, "120")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    sqs.send_message()
        .queue_url(&url)
        .message_body("m")
        .send()
        .await
        .unwrap();
    let first = sqs
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap();
    assert_eq!(first.len(), 1);
    let invisible = sqs.receive_message().queue_url(&url).send().await.unwrap();
    assert!(invisible.messages.unwrap_or_default().is_empty());

    emu.advance(Duration::from_secs(31));
    let second = sqs
        .receive_message()
        .queue_url(&url)
        .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(
        second[0].attributes.as_ref().unwrap()
            [&MessageSystemAttributeName::ApproximateReceiveCount],
        "2"
    );
    // The first receipt handle is stale now: changing visibility with it fails as on AWS.
    let stale = sqs
        .change_message_visibility()
        .queue_url(&url)
        .receipt_handle(first[0].receipt_handle.clone().unwrap())
        .visibility_timeout(10)
        .send()
        .await;
    assert!(stale.is_err());

    sqs.delete_message()
        .queue_url(&url)
        .receipt_handle(second[0].receipt_handle.clone().unwrap())
        .send()
        .await
        .unwrap();

    // Delay: invisible until DelaySeconds have passed.
    sqs.send_message()
        .queue_url(&url)
        .message_body("d")
        .delay_seconds(60)
        .send()
        .await
        .unwrap();
    let none = sqs.receive_message().queue_url(&url).send().await.unwrap();
    assert!(none.messages.unwrap_or_default().is_empty());
    emu.advance(Duration::from_secs(61));
    let delayed = sqs
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap();
    assert_eq!(delayed[0].body.as_deref(), Some("d"));

    // Retention: after MessageRetentionPeriod every message is gone.
    emu.advance(Duration::from_secs(121));
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attrs[&QueueAttributeName::ApproximateNumberOfMessages], "0");
    assert_eq!(
        attrs[&QueueAttributeName::ApproximateNumberOfMessagesNotVisible],
        "0"
    );
}

#[tokio::test]
async fn change_visibility_with_an_expired_handle_is_accepted() {
    let emu = Emulator::start_with_manual_clock().await;
    let sqs = emu.sqs();
    let url = create(&sqs, "inflight").await;
    sqs.send_message()
        .queue_url(&url)
        .message_body("m")
        .send()
        .await
        .unwrap();
    let got = sqs
        .receive_message()
        .queue_url(&url)
        .visibility_timeout(5)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap();
    emu.advance(Duration::from_secs(6));
    // AWS answers OK to a handle whose visibility timeout expired (nobody received the message
    // since) and leaves the message visible.
    sqs.change_message_visibility()
        .queue_url(&url)
        .receipt_handle(got[0].receipt_handle.clone().unwrap())
        .visibility_timeout(10)
        .send()
        .await
        .unwrap();
    let again = sqs
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap();
    assert_eq!(again[0].message_id, got[0].message_id);
}

#[tokio::test]
async fn long_polling_wakes_when_a_message_arrives_and_times_out_otherwise() {
    let emu = Emulator::start().await;
    let sqs = emu.sqs();
    let url = create(&sqs, "poll").await;

    let started = Instant::now();
    let empty = sqs
        .receive_message()
        .queue_url(&url)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    assert!(empty.messages.unwrap_or_default().is_empty());
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(950),
        "returned after {waited:?}"
    );

    let sender = sqs.clone();
    let send_url = url.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        sender
            .send_message()
            .queue_url(send_url)
            .message_body("wake")
            .send()
            .await
            .unwrap();
    });
    let started = Instant::now();
    let got = sqs
        .receive_message()
        .queue_url(&url)
        .wait_time_seconds(10)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap();
    assert_eq!(got[0].body.as_deref(), Some("wake"));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "long poll did not wake at once"
    );
}

#[tokio::test]
async fn purge_tags_and_permissions() {
    let emu = Emulator::start().await;
    let sqs = emu.sqs();
    let url = sqs
        .create_queue()
        .queue_name("misc")
        .tags("team", "payments")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    sqs.send_message()
        .queue_url(&url)
        .message_body("x")
        .send()
        .await
        .unwrap();
    sqs.purge_queue().queue_url(&url).send().await.unwrap();
    let again = sqs.purge_queue().queue_url(&url).send().await;
    assert_eq!(code(again), "AWS.SimpleQueueService.PurgeQueueInProgress");
    let empty = sqs.receive_message().queue_url(&url).send().await.unwrap();
    assert!(empty.messages.unwrap_or_default().is_empty());

    sqs.tag_queue()
        .queue_url(&url)
        .tags("env", "dev")
        .send()
        .await
        .unwrap();
    let tags = sqs
        .list_queue_tags()
        .queue_url(&url)
        .send()
        .await
        .unwrap()
        .tags
        .unwrap();
    assert_eq!(
        tags,
        HashMap::from([
            ("team".to_owned(), "payments".to_owned()),
            ("env".to_owned(), "dev".to_owned())
        ])
    );
    sqs.untag_queue()
        .queue_url(&url)
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let tags = sqs
        .list_queue_tags()
        .queue_url(&url)
        .send()
        .await
        .unwrap()
        .tags
        .unwrap();
    assert_eq!(tags.len(), 1);

    sqs.add_permission()
        .queue_url(&url)
        .label("send-from-partner")
        .aws_account_ids("111122223333")
        .actions("SendMessage")
        .send()
        .await
        .unwrap();
    let policy = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::Policy)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()
        .remove(&QueueAttributeName::Policy)
        .unwrap();
    let policy: serde_json::Value = serde_json::from_str(&policy).unwrap();
    assert_eq!(policy["Version"], "2008-10-17");
    let statement = &policy["Statement"][0];
    assert_eq!(statement["Sid"], "send-from-partner");
    assert_eq!(statement["Effect"], "Allow");
    assert_eq!(
        statement["Resource"],
        "arn:aws:sqs:us-east-1:000000000000:misc"
    );
    let dup = sqs
        .add_permission()
        .queue_url(&url)
        .label("send-from-partner")
        .aws_account_ids("111122223333")
        .actions("SendMessage")
        .send()
        .await;
    assert_eq!(code(dup), "InvalidParameterValue");
    sqs.remove_permission()
        .queue_url(&url)
        .label("send-from-partner")
        .send()
        .await
        .unwrap();
    let unknown = sqs
        .remove_permission()
        .queue_url(&url)
        .label("send-from-partner")
        .send()
        .await;
    assert_eq!(code(unknown), "InvalidParameterValue");
}

#[tokio::test]
async fn state_is_per_account_and_region() {
    let emu = Emulator::start().await;
    let default = emu.sqs();
    let other_account = emu.sqs_as("111122223333", "us-east-1");
    let other_region = emu.sqs_as("test", "eu-west-1");
    create(&default, "shared-name").await;
    let url = create(&other_account, "shared-name").await;
    assert!(url.ends_with("/111122223333/shared-name"), "{url}");
    create(&other_region, "shared-name").await;
    let arn = other_region
        .get_queue_attributes()
        .queue_url(format!("{}/000000000000/shared-name", emu.endpoint_url()))
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()
        .remove(&QueueAttributeName::QueueArn)
        .unwrap();
    assert_eq!(arn, "arn:aws:sqs:eu-west-1:000000000000:shared-name");
    let eu_only = other_region
        .list_queues()
        .send()
        .await
        .unwrap()
        .queue_urls
        .unwrap_or_default();
    assert_eq!(eu_only.len(), 1);
    // GetQueueUrl of another account's queue: hidden without a grant in its policy, as on AWS.
    let hidden = default
        .get_queue_url()
        .queue_name("shared-name")
        .queue_owner_aws_account_id("111122223333")
        .send()
        .await;
    assert_eq!(code(hidden), "AWS.SimpleQueueService.NonExistentQueue");
    other_account
        .add_permission()
        .queue_url(&url)
        .label("lookup")
        .aws_account_ids("000000000000")
        .actions("GetQueueUrl")
        .send()
        .await
        .unwrap();
    let theirs = default
        .get_queue_url()
        .queue_name("shared-name")
        .queue_owner_aws_account_id("111122223333")
        .send()
        .await
        .unwrap();
    assert!(theirs.queue_url.unwrap().contains("/111122223333/"));
    // A queue URL with another host still addresses the same queue.
    let aws_style = "https://sqs.us-east-1.amazonaws.com/000000000000/shared-name";
    default
        .send_message()
        .queue_url(aws_style)
        .message_body("x")
        .send()
        .await
        .unwrap();
    let got = default
        .receive_message()
        .queue_url(format!("{}/000000000000/shared-name", emu.endpoint_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(got.messages.unwrap().len(), 1);
}

#[tokio::test]
async fn unknown_queue_error_message() {
    let emu = Emulator::start().await;
    let sqs = emu.sqs();
    let result = sqs
        .send_message()
        .queue_url(format!("{}/000000000000/missing", emu.endpoint_url()))
        .message_body("x")
        .send()
        .await;
    assert_eq!(message(result), "The specified queue does not exist.");
}

#[tokio::test]
async fn dead_letter_source_queues_and_move_task_errors() {
    let emu = Emulator::start().await;
    let sqs = emu.sqs();
    let dlq = create(&sqs, "dead-letters").await;
    let dlq_arn = "arn:aws:sqs:us-east-1:000000000000:dead-letters";
    let redrive = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"3"}}"#);
    let mut sources = Vec::new();
    for name in ["src-a", "src-b", "src-c"] {
        let url = sqs
            .create_queue()
            .queue_name(name)
            .attributes(QueueAttributeName::RedrivePolicy, &redrive)
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        sources.push(url);
    }
    // Paging visits every source queue once.
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = sqs
            .list_dead_letter_source_queues()
            .queue_url(&dlq)
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        seen.extend(page.queue_urls);
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    seen.sort();
    assert_eq!(seen, sources);

    // A redrive policy pointing at a queue that does not exist is refused.
    let bad = sqs
        .create_queue()
        .queue_name("src-bad")
        .attributes(
            QueueAttributeName::RedrivePolicy,
            r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:nowhere","maxReceiveCount":3}"#,
        )
        .send()
        .await;
    assert!(bad.is_err());
    let out_of_range = sqs
        .create_queue()
        .queue_name("src-bad")
        .attributes(
            QueueAttributeName::RedrivePolicy,
            format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":1001}}"#),
        )
        .send()
        .await;
    assert_eq!(code(out_of_range), "InvalidParameterValue");

    // Move tasks: a source that is not a dead-letter queue is refused; unknown tasks are not found.
    let not_dlq = sqs
        .start_message_move_task()
        .source_arn("arn:aws:sqs:us-east-1:000000000000:src-a")
        .send()
        .await;
    assert_eq!(
        message(not_dlq),
        "Source queue must be configured as a Dead Letter Queue."
    );
    let garbled = sqs
        .cancel_message_move_task()
        .task_handle("no-such-task")
        .send()
        .await;
    assert_eq!(
        message(garbled),
        "Value for parameter TaskHandle is invalid."
    );
    // A well-formed handle (base64 JSON naming the queue and the task) of no task.
    use base64::Engine as _;
    let handle = base64::engine::general_purpose::STANDARD
        .encode(format!(r#"{{"taskId":"nope","sourceArn":"{dlq_arn}"}}"#));
    let unknown = sqs
        .cancel_message_move_task()
        .task_handle(handle)
        .send()
        .await;
    assert_eq!(code(unknown), "ResourceNotFoundException");
    let none = sqs
        .list_message_move_tasks()
        .source_arn(dlq_arn)
        .send()
        .await
        .unwrap();
    assert!(none.results.unwrap_or_default().is_empty());
}
