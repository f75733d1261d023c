//! SQS behaviour recorded against AWS (issue 15) through the real `aws-sdk-sqs` (AWS JSON 1.0):
//! FIFO group visibility and ordering, FIFO receipts, purges and trace headers. Sources are
//! named with each test (LocalStack's `tests/aws/services/sqs/test_sqs.py`, recorded on AWS).

use std::time::Duration;

use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use ferrybridge_tests::Emulator;

async fn fifo(sqs: &aws_sdk_sqs::Client, name: &str) -> String {
    sqs.create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "true")
        .send()
        .await
        .expect("create")
        .queue_url
        .expect("url")
}

async fn send(sqs: &aws_sdk_sqs::Client, url: &str, body: &str, group: &str) {
    sqs.send_message()
        .queue_url(url)
        .message_body(body)
        .message_group_id(group)
        .send()
        .await
        .expect("send");
}

async fn receive(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    max: i32,
    visibility: Option<i32>,
) -> Vec<aws_sdk_sqs::types::Message> {
    sqs.receive_message()
        .queue_url(url)
        .max_number_of_messages(max)
        .set_visibility_timeout(visibility)
        .send()
        .await
        .expect("receive")
        .messages
        .unwrap_or_default()
}

fn bodies(messages: &[aws_sdk_sqs::types::Message]) -> Vec<&str> {
    messages.iter().filter_map(|m| m.body()).collect()
}

/// source: `test_fifo_receive_message_with_zero_visibility_timeout` and
/// `test_fifo_message_group_visibility_after_terminate_visibility_timeout`.
#[tokio::test]
async fn fifo_groups_rotate_and_unlock_as_recorded_on_aws() {
    let emu = Emulator::start_with_manual_clock().await;
    let sqs = emu.sqs();
    let url = fifo(&sqs, "zero.fifo").await;
    for (body, group) in [
        ("g1-m1", "g1"),
        ("g2-m1", "g2"),
        ("g2-m2", "g2"),
        ("g3-m1", "g3"),
        ("g1-m2", "g1"),
    ] {
        send(&sqs, &url, body, group).await;
    }
    let first = receive(&sqs, &url, 3, Some(0)).await;
    assert_eq!(bodies(&first), ["g1-m1", "g1-m2", "g2-m1"]);
    let second = receive(&sqs, &url, 10, Some(0)).await;
    assert_eq!(
        bodies(&second),
        ["g3-m1", "g1-m1", "g1-m2", "g2-m1", "g2-m2"]
    );

    let url = fifo(&sqs, "terminate.fifo").await;
    for (body, group) in [("g1-m1", "g1"), ("g1-m2", "g1"), ("g2-m1", "g2")] {
        send(&sqs, &url, body, group).await;
    }
    let got = receive(&sqs, &url, 2, None).await;
    assert_eq!(bodies(&got), ["g1-m1", "g1-m2"]);
    emu.advance(Duration::from_millis(5));
    sqs.change_message_visibility()
        .queue_url(&url)
        .receipt_handle(got[0].receipt_handle().unwrap_or_default())
        .visibility_timeout(0)
        .send()
        .await
        .expect("terminate");
    let again = receive(&sqs, &url, 3, None).await;
    assert_eq!(bodies(&again), ["g2-m1", "g1-m1"]);
}

/// source: `test_fifo_delete_message_with_expired_receipt_handle`.
#[tokio::test]
async fn fifo_delete_with_an_expired_receipt_fails() {
    let emu = Emulator::start_with_manual_clock().await;
    let sqs = emu.sqs();
    let url = fifo(&sqs, "expired.fifo").await;
    send(&sqs, &url, "m", "g").await;
    let got = receive(&sqs, &url, 1, None).await;
    let handle = got[0].receipt_handle().unwrap_or_default().to_owned();
    emu.advance(Duration::from_secs(31));
    let err = sqs
        .delete_message()
        .queue_url(&url)
        .receipt_handle(&handle)
        .send()
        .await
        .expect_err("expired");
    assert_eq!(err.code(), Some("InvalidParameterValue"));
    assert_eq!(
        err.message(),
        Some(
            format!(
                "Value {handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired."
            )
            .as_str()
        )
    );
    assert_eq!(bodies(&receive(&sqs, &url, 1, None).await), ["m"]);
}

/// source: AWS X-Ray developer guide, "Amazon SQS and AWS X-Ray"; issue 15 item 4 (purge).
#[tokio::test]
async fn trace_header_and_purged_deduplication() {
    let emu = Emulator::start().await;
    let sqs = emu.sqs();
    let url = fifo(&sqs, "traced.fifo").await;
    let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1";
    sqs.send_message()
        .queue_url(&url)
        .message_body("a")
        .message_group_id("g")
        .customize()
        .mutate_request(move |req| {
            req.headers_mut().insert("X-Amzn-Trace-Id", trace);
        })
        .send()
        .await
        .expect("send");
    let got = sqs
        .receive_message()
        .queue_url(&url)
        .message_system_attribute_names(MessageSystemAttributeName::AwsTraceHeader)
        .send()
        .await
        .expect("receive")
        .messages
        .unwrap_or_default();
    assert_eq!(
        got[0]
            .attributes()
            .and_then(|a| a.get(&MessageSystemAttributeName::AwsTraceHeader))
            .map(String::as_str),
        Some(trace)
    );
    // The same body (content-based deduplication id) after a purge is a new message.
    sqs.purge_queue()
        .queue_url(&url)
        .send()
        .await
        .expect("purge");
    send(&sqs, &url, "a", "g").await;
    let again = receive(&sqs, &url, 10, None).await;
    assert_eq!(bodies(&again), ["a"]);
    assert_ne!(again[0].message_id(), got[0].message_id());
}
