//! Background work across a reset (`POST /_ferrybridge/reset`), on a manual clock: a message
//! move task and a scheduled rule that were running before the reset put nothing into the
//! queues of the same names created after it, and an HTTP/S notification being retried stops. (Reset under live load, the state endpoint,
//! start-up config and LocalStack endpoints are tested through boto3 in
//! tests/python/test_dropin.py.)

use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;
use aws_sdk_sqs::Client;
use ferrybridge_tests::http_endpoint::endpoint;
use ferrybridge_tests::{create_queue, Emulator};

async fn count(sqs: &Client, url: &str) -> u64 {
    // Give background tasks woken by the clock a moment to run.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .expect("attributes");
    attrs
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessages))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

async fn recreate(sqs: &Client) -> (String, String) {
    let dlq = create_queue(sqs, "dlq").await;
    let dest = create_queue(sqs, "dest").await;
    (dlq, dest)
}

#[tokio::test]
async fn a_move_task_running_at_the_reset_moves_nothing_into_the_new_queues() {
    let emu = Emulator::start_with_manual_clock().await;
    let sqs = emu.sqs();
    let (dlq, dest) = recreate(&sqs).await;
    let dlq_arn = "arn:aws:sqs:us-east-1:000000000000:dlq";
    let policy = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"1"}}"#);
    sqs.create_queue()
        .queue_name("src")
        .attributes(QueueAttributeName::RedrivePolicy, policy)
        .send()
        .await
        .expect("src");
    for i in 0..10 {
        sqs.send_message()
            .queue_url(&dlq)
            .message_body(format!("old-{i}"))
            .send()
            .await
            .expect("send");
    }
    sqs.start_message_move_task()
        .source_arn(dlq_arn)
        .destination_arn("arn:aws:sqs:us-east-1:000000000000:dest")
        .max_number_of_messages_per_second(1)
        .send()
        .await
        .expect("task");
    assert_eq!(
        count(&sqs, &dest).await,
        1,
        "the first message moves at once"
    );

    let answer = emu
        .admin_request_post("/_ferrybridge/reset?service=sqs")
        .await;
    assert_eq!(answer["reset"]["services"], serde_json::json!(["sqs"]));
    let (dlq, dest) = recreate(&sqs).await;
    sqs.send_message()
        .queue_url(&dlq)
        .message_body("new")
        .send()
        .await
        .expect("send");
    emu.advance(Duration::from_secs(30));
    assert_eq!(count(&sqs, &dest).await, 0, "the old task moved nothing");
    assert_eq!(
        count(&sqs, &dlq).await,
        1,
        "the new DLQ keeps its own message"
    );
}

#[tokio::test]
async fn a_scheduled_rule_reset_away_fires_no_more() {
    let emu = Emulator::start_with_manual_clock().await;
    let (sqs, events) = (emu.sqs(), emu.events());
    create_queue(&sqs, "ticks").await;
    events
        .put_rule()
        .name("tick")
        .schedule_expression("rate(1 minute)")
        .send()
        .await
        .expect("rule");
    events
        .put_targets()
        .rule("tick")
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("q")
                .arn("arn:aws:sqs:us-east-1:000000000000:ticks")
                .build()
                .expect("target"),
        )
        .send()
        .await
        .expect("targets");
    emu.advance(Duration::from_secs(61));
    let url = create_queue(&sqs, "ticks").await;
    assert!(
        count(&sqs, &url).await >= 1,
        "the schedule fires before the reset"
    );

    emu.admin_request_post("/_ferrybridge/reset").await;
    let url = create_queue(&sqs, "ticks").await;
    emu.advance(Duration::from_secs(300));
    assert_eq!(count(&sqs, &url).await, 0, "no tick after the reset");
    let state = emu.admin_get("/_ferrybridge/state").await;
    // Only the new queue is left: no bus, no rule.
    let region = &state["regions"][0];
    assert_eq!(region["events"]["buses"], serde_json::json!([]), "{state}");
    assert_eq!(region["sqs"]["queues"][0]["name"], "ticks", "{state}");
}

#[tokio::test]
async fn http_retries_of_a_notification_stop_at_a_reset() {
    let emu = Emulator::start_with_manual_clock().await;
    let sns = emu.sns();
    let topic = sns
        .create_topic()
        .name("web")
        .send()
        .await
        .expect("topic")
        .topic_arn
        .expect("arn");
    let mut ep = endpoint(500).await;
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("http")
        .endpoint(&ep.url)
        .send()
        .await
        .expect("subscribe");
    let confirmation = ep.next("SubscriptionConfirmation").await;
    let doc: serde_json::Value = serde_json::from_str(&confirmation.body).expect("json");
    sns.confirm_subscription()
        .topic_arn(&topic)
        .token(doc["Token"].as_str().expect("token"))
        .send()
        .await
        .expect("confirm");
    sns.publish()
        .topic_arn(&topic)
        .message("before")
        .send()
        .await
        .expect("publish");
    ep.next("Notification").await;
    // The endpoint answered 500: the default policy retries 3 times, 20 s apart. One retry
    // happens, then the reset ends the others.
    tokio::time::sleep(Duration::from_millis(200)).await;
    emu.advance(Duration::from_secs(21));
    ep.next("Notification").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    emu.admin_request_post("/_ferrybridge/reset?service=sns")
        .await;
    for _ in 0..5 {
        emu.advance(Duration::from_secs(60));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    ep.none("Notification", Duration::from_millis(300)).await;
}
