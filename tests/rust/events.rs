//! Amazon EventBridge through the real `aws-sdk-eventbridge` (AWS JSON 1.1), delivering into
//! queues read with the real `aws-sdk-sqs` and topics of the real `aws-sdk-sns`.
//!
//! The scenarios of issue #6: a central bus routing `OrderPlaced` events by content, a
//! gatekeeper bus per bounded context reached by bus-to-bus rules (same account, other accounts
//! with a resource policy, other regions), input transformers per consumer, dead-letter queues
//! so that nothing is lost, and scheduled rules on the emulator's manual clock.
//!
//! Expected values are AWS's: the EventBridge User Guide and API reference, and the answers AWS
//! gave in LocalStack's AWS-recorded snapshots (collected in /work/notes/events-aws-facts.md).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_eventbridge::primitives::DateTime;
use aws_sdk_eventbridge::types::{
    DeadLetterConfig, InputTransformer, PutEventsRequestEntry, RuleState, SqsParameters, Tag,
    Target,
};
use ferrybridge_tests::Emulator;
use serde_json::{json, Value};

#[path = "events_support.rs"]
mod support;
use support::*;

// ---- 1. routing by content -----------------------------------------------------------------

/// The issue's central bus: OrderPlaced events routed by content to one queue per consumer.
#[tokio::test]
async fn central_bus_routes_orders_by_content_to_exactly_the_matching_queues() {
    let emu = Emulator::start().await;
    let (events, sqs) = (emu.events(), emu.sqs());
    let bus_arn = create_bus(&events, "central").await;
    assert_eq!(
        bus_arn,
        "arn:aws:events:us-east-1:000000000000:event-bus/central"
    );
    let bus = Some("central");
    let consumers = [
        // Every order.
        (
            "all-orders",
            json!({"source": ["shop.orders"], "detail-type": ["OrderPlaced"]}),
        ),
        // Nested detail field, prefix.
        (
            "eu-orders",
            json!({"detail-type": ["OrderPlaced"], "detail": {"customer": {"country": [{"prefix": "EU-"}]}}}),
        ),
        // Numeric range.
        (
            "big-orders",
            json!({"detail-type": ["OrderPlaced"], "detail": {"total": [{"numeric": [">=", 1000]}]}}),
        ),
        // anything-but.
        (
            "express",
            json!({"detail-type": ["OrderPlaced"], "detail": {"shipping": [{"anything-but": ["standard", "economy"]}]}}),
        ),
        // exists (and a resources match).
        (
            "coupons",
            json!({"detail-type": ["OrderPlaced"], "resources": [{"prefix": "arn:shop:order/"}], "detail": {"coupon": [{"exists": true}]}}),
        ),
    ];
    let mut urls = HashMap::new();
    for (name, pattern) in &consumers {
        let (url, arn) = local_queue(&sqs, name).await;
        let rule_arn = rule(&events, bus, name, pattern.clone()).await;
        assert_eq!(
            rule_arn,
            format!("arn:aws:events:us-east-1:000000000000:rule/central/{name}")
        );
        put_targets(&events, bus, name, vec![target("q", &arn)]).await;
        urls.insert(*name, url);
    }

    // An EU express order of 1500 with a coupon: every consumer gets it.
    let detail1 = json!({"orderId": "o-1", "total": 1500, "shipping": "express", "coupon": "WINTER",
        "customer": {"id": "c-7", "country": "EU-DE"}});
    let id1 = put_one(
        &events,
        PutEventsRequestEntry::builder()
            .event_bus_name("central")
            .source("shop.orders")
            .detail_type("OrderPlaced")
            .resources("arn:shop:order/o-1")
            .time(DateTime::from_secs(1_700_000_000))
            .detail(detail1.to_string())
            .build(),
    )
    .await;
    let expected1 = envelope(
        &id1,
        "OrderPlaced",
        "shop.orders",
        DEFAULT_ACCOUNT,
        "2023-11-14T22:13:20Z",
        "us-east-1",
        &["arn:shop:order/o-1"],
        detail1,
    );
    for (name, _) in &consumers {
        // The same event, with the same id (the PutEvents EventId), in every queue.
        assert_eq!(one_body(&sqs, &urls[name]).await, expected1, "{name}");
    }

    // A small US standard order without coupon (Time not given: ingestion time).
    let before = time_now_secs();
    let detail2 = json!({"orderId": "o-2", "total": 20.5, "shipping": "standard",
        "customer": {"id": "c-8", "country": "US-NY"}});
    let id2 = put_one(
        &events,
        entry(bus, "shop.orders", "OrderPlaced", &detail2.to_string()),
    )
    .await;
    let body: Value = serde_json::from_str(&one_body(&sqs, &urls["all-orders"]).await).unwrap();
    assert_eq!(body["id"], id2.as_str());
    assert_eq!(body["resources"], json!([]));
    assert_eq!(body["detail"], detail2);
    let time = body["time"].as_str().unwrap();
    assert!(is_event_time(time), "{time}");
    let t = DateTime::from_str(
        time,
        aws_sdk_eventbridge::primitives::DateTimeFormat::DateTime,
    )
    .unwrap()
    .secs();
    assert!(t >= before - 1 && t <= time_now_secs() + 1, "{time}");

    // Another event type, even if its content would match: nobody.
    put_one(
        &events,
        entry(
            bus,
            "shop.orders",
            "OrderCancelled",
            &json!({"total": 5000, "shipping": "express", "coupon": "X", "customer": {"country": "EU-FR"}})
                .to_string(),
        ),
    )
    .await;
    // The same OrderPlaced on the default bus: not on the central bus's rules.
    put_one(
        &events,
        entry(
            None,
            "shop.orders",
            "OrderPlaced",
            &json!({"total": 5000}).to_string(),
        ),
    )
    .await;
    // Numeric 999.99 is not >= 1000; an "economy" shipping is excluded; a coupon of null exists.
    let detail3 = json!({"total": 999.99, "shipping": "economy", "coupon": null,
        "customer": {"country": "EU"}});
    let id3 = put_one(
        &events,
        PutEventsRequestEntry::builder()
            .event_bus_name("central")
            .source("shop.orders")
            .detail_type("OrderPlaced")
            .resources("arn:shop:order/o-3")
            .detail(detail3.to_string())
            .build(),
    )
    .await;
    let got: Value = serde_json::from_str(&one_body(&sqs, &urls["all-orders"]).await).unwrap();
    assert_eq!(got["id"], id3.as_str());
    let got: Value = serde_json::from_str(&one_body(&sqs, &urls["coupons"]).await).unwrap();
    assert_eq!(got["id"], id3.as_str());
    assert_all_empty(
        &sqs,
        &[&urls["eu-orders"], &urls["big-orders"], &urls["express"]],
    )
    .await;

    // A disabled rule receives nothing; enabled again, it does.
    events
        .disable_rule()
        .name("big-orders")
        .event_bus_name("central")
        .send()
        .await
        .unwrap();
    let big = json!({"total": 2000}).to_string();
    let id4 = put_one(&events, entry(bus, "shop.orders", "OrderPlaced", &big)).await;
    let got: Value = serde_json::from_str(&one_body(&sqs, &urls["all-orders"]).await).unwrap();
    assert_eq!(got["id"], id4.as_str());
    assert_all_empty(&sqs, &[&urls["big-orders"]]).await;
    events
        .enable_rule()
        .name("big-orders")
        .event_bus_name("central")
        .send()
        .await
        .unwrap();
    let id5 = put_one(&events, entry(bus, "shop.orders", "OrderPlaced", &big)).await;
    let got: Value = serde_json::from_str(&one_body(&sqs, &urls["big-orders"]).await).unwrap();
    assert_eq!(got["id"], id5.as_str());
}

fn time_now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// One event matching two rules, each with two targets: four deliveries of the same event.
#[tokio::test]
async fn an_event_matching_several_rules_reaches_every_target_once() {
    let emu = Emulator::start().await;
    let (events, sqs) = (emu.events(), emu.sqs());
    let (q1, a1) = local_queue(&sqs, "q1").await;
    let (q2, a2) = local_queue(&sqs, "q2").await;
    rule(&events, None, "r1", json!({"source": ["app"]})).await;
    rule(&events, None, "r2", json!({"detail": {"n": [1]}})).await;
    put_targets(
        &events,
        None,
        "r1",
        vec![target("a", &a1), target("b", &a2)],
    )
    .await;
    put_targets(
        &events,
        None,
        "r2",
        vec![target("a", &a1), target("b", &a2)],
    )
    .await;
    let id = put_one(&events, entry(None, "app", "T", r#"{"n":1}"#)).await;
    for url in [&q1, &q2] {
        for body in bodies(&sqs, url, 2).await {
            let v: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v["id"], id.as_str());
        }
    }
    assert_all_empty(&sqs, &[&q1, &q2]).await;
}

// ---- 2. SNS topic target --------------------------------------------------------------------

#[tokio::test]
async fn sns_topic_target_publishes_the_compact_event_json() {
    let emu = Emulator::start().await;
    let (events, sqs, sns) = (emu.events(), emu.sqs(), emu.sns());
    let topic = sns
        .create_topic()
        .name("orders")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let (raw_url, raw_arn) = local_queue(&sqs, "raw").await;
    let (env_url, env_arn) = local_queue(&sqs, "enveloped").await;
    for (arn, raw) in [(&raw_arn, "true"), (&env_arn, "false")] {
        sns.subscribe()
            .topic_arn(&topic)
            .protocol("sqs")
            .endpoint(arn)
            .attributes("RawMessageDelivery", raw)
            .send()
            .await
            .unwrap();
    }
    rule(
        &events,
        None,
        "to-topic",
        json!({"source": ["shop.orders"]}),
    )
    .await;
    put_targets(&events, None, "to-topic", vec![target("topic", &topic)]).await;
    let detail = json!({"command": "update-account", "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"}});
    let (_, expected) = put_order(&events, DEFAULT_ACCOUNT, &detail).await;
    // Compact: no spaces after ':' or ','.
    assert!(expected.starts_with(r#"{"version":"0","id":""#));
    assert_eq!(one_body(&sqs, &raw_url).await, expected);
    let notification: Value = serde_json::from_str(&one_body(&sqs, &env_url).await).unwrap();
    assert_eq!(notification["Type"], "Notification");
    assert_eq!(notification["TopicArn"], topic.as_str());
    assert_eq!(notification["Message"], expected.as_str());
    assert!(notification.get("Subject").is_none(), "{notification}");
}

// ---- 3. bus to bus --------------------------------------------------------------------------

/// Central bus -> the billing context's gatekeeper bus -> its queue, in one account.
#[tokio::test]
async fn central_bus_forwards_to_a_gatekeeper_bus_in_the_same_account() {
    let emu = Emulator::start().await;
    let (events, sqs) = (emu.events(), emu.sqs());
    create_bus(&events, "central").await;
    let billing_arn = create_bus(&events, "billing").await;
    rule(
        &events,
        Some("central"),
        "to-billing",
        json!({"detail-type": ["OrderPlaced"]}),
    )
    .await;
    put_targets(
        &events,
        Some("central"),
        "to-billing",
        vec![target("billing-bus", &billing_arn)],
    )
    .await;
    // The gatekeeper admits only what billing cares about.
    let (url, arn) = local_queue(&sqs, "billing-invoices").await;
    rule(
        &events,
        Some("billing"),
        "invoice",
        json!({"detail": {"total": [{"numeric": [">", 0]}]}}),
    )
    .await;
    put_targets(&events, Some("billing"), "invoice", vec![target("q", &arn)]).await;

    let detail = json!({"orderId": "o-1", "total": 42});
    let id = put_one(
        &events,
        PutEventsRequestEntry::builder()
            .event_bus_name("central")
            .source("shop.orders")
            .detail_type("OrderPlaced")
            .time(DateTime::from_secs(1_704_067_200))
            .resources("arn:shop:order/o-1")
            .detail(detail.to_string())
            .build(),
    )
    .await;
    // The envelope is unchanged by the hop, id included.
    assert_eq!(
        one_body(&sqs, &url).await,
        envelope(
            &id,
            "OrderPlaced",
            "shop.orders",
            DEFAULT_ACCOUNT,
            "2024-01-01T00:00:00Z",
            "us-east-1",
            &["arn:shop:order/o-1"],
            detail
        )
    );
    // Filtered out at the gatekeeper.
    put_one(
        &events,
        entry(
            Some("central"),
            "shop.orders",
            "OrderPlaced",
            r#"{"total":0}"#,
        ),
    )
    .await;
    assert_all_empty(&sqs, &[&url]).await;
}

const SENDER: &str = "111111111111";
const RECEIVER: &str = "222222222222";
const STRANGER: &str = "333333333333";

/// Cross-account: the receiving bus's policy decides. With PutPermission(Principal = sender)
/// the event is delivered (same id, sender's account); a bus without permission refuses it and
/// the target's DLQ gets it with ERROR_CODE NO_PERMISSIONS.
#[tokio::test]
async fn cross_account_forwarding_needs_the_receiving_bus_permission() {
    let emu = Emulator::start().await;
    let sender = emu.events_as(SENDER, "us-east-1");
    let sender_sqs = emu.sqs_as(SENDER, "us-east-1");
    let receiver = emu.events_as(RECEIVER, "us-east-1");
    let receiver_sqs = emu.sqs_as(RECEIVER, "us-east-1");
    let stranger = emu.events_as(STRANGER, "us-east-1");
    let stranger_sqs = emu.sqs_as(STRANGER, "us-east-1");

    // Receiver: billing bus admitting the sender account, rule -> its queue.
    let billing_arn = create_bus(&receiver, "billing").await;
    assert_eq!(
        billing_arn,
        format!("arn:aws:events:us-east-1:{RECEIVER}:event-bus/billing")
    );
    receiver
        .put_permission()
        .event_bus_name("billing")
        .action("events:PutEvents")
        .principal(SENDER)
        .statement_id("allow-sender")
        .send()
        .await
        .unwrap();
    let (r_url, r_arn) = queue(&receiver_sqs, RECEIVER, "us-east-1", "invoices").await;
    rule(
        &receiver,
        Some("billing"),
        "all",
        json!({"source": ["shop.orders"]}),
    )
    .await;
    put_targets(&receiver, Some("billing"), "all", vec![target("q", &r_arn)]).await;

    // Stranger: a bus without any policy, rule -> its queue.
    let closed_arn = create_bus(&stranger, "closed").await;
    let (s_url, s_arn) = queue(&stranger_sqs, STRANGER, "us-east-1", "never").await;
    rule(
        &stranger,
        Some("closed"),
        "all",
        json!({"source": ["shop.orders"]}),
    )
    .await;
    put_targets(&stranger, Some("closed"), "all", vec![target("q", &s_arn)]).await;

    // Sender: default-bus rule with both buses as targets, a DLQ on each.
    let (dlq_url, dlq_arn) = queue(&sender_sqs, SENDER, "us-east-1", "forward-dlq").await;
    let rule_arn = rule(&sender, None, "fan-out", json!({"source": ["shop.orders"]})).await;
    let role = format!("arn:aws:iam::{SENDER}:role/events-forwarder");
    let dlq = DeadLetterConfig::builder().arn(&dlq_arn).build();
    put_targets(
        &sender,
        None,
        "fan-out",
        vec![
            Target::builder()
                .id("billing")
                .arn(&billing_arn)
                .role_arn(&role)
                .dead_letter_config(dlq.clone())
                .build()
                .unwrap(),
            Target::builder()
                .id("closed")
                .arn(&closed_arn)
                .role_arn(&role)
                .dead_letter_config(dlq)
                .build()
                .unwrap(),
        ],
    )
    .await;

    let detail = json!({"orderId": "o-9"});
    let (_, expected) = put_order(&sender, SENDER, &detail).await;
    // Delivered across accounts: same id, the sender's account.
    assert_eq!(one_body(&receiver_sqs, &r_url).await, expected);
    // Refused by the closed bus: in the sender's DLQ.
    let dead = receive(&sender_sqs, &dlq_url, 1).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body.as_deref(), Some(expected.as_str()));
    let a = attrs(&dead[0]);
    assert_eq!(a["ERROR_CODE"], "NO_PERMISSIONS");
    assert_eq!(a["RULE_ARN"], rule_arn);
    assert_eq!(a["TARGET_ARN"], closed_arn);
    assert_eq!(a["RETRY_ATTEMPTS"], "0");
    assert!(!a["ERROR_MESSAGE"].is_empty());
    assert!(!a.contains_key("EXHAUSTED_RETRY_CONDITION"), "{a:?}");
    assert_all_empty(&stranger_sqs, &[&s_url]).await;
    assert_all_empty(&sender_sqs, &[&dlq_url]).await;

    // Once the receiver removes the permission, the sender's events no longer get in.
    receiver
        .remove_permission()
        .event_bus_name("billing")
        .statement_id("allow-sender")
        .send()
        .await
        .unwrap();
    put_one(&sender, entry(None, "shop.orders", "OrderPlaced", "{}")).await;
    let dead = receive(&sender_sqs, &dlq_url, 2).await;
    let codes: Vec<(String, String)> = dead
        .iter()
        .map(|m| {
            let a = attrs(m);
            (a["TARGET_ARN"].clone(), a["ERROR_CODE"].clone())
        })
        .collect();
    assert_eq!(codes.len(), 2, "{codes:?}");
    assert!(codes.contains(&(billing_arn.clone(), "NO_PERMISSIONS".into())));
    assert!(codes.contains(&(closed_arn.clone(), "NO_PERMISSIONS".into())));
    assert_all_empty(&receiver_sqs, &[&r_url]).await;
}

/// Cross-region (same account): the forwarded event gets a new id; account and region stay the
/// sender's.
#[tokio::test]
async fn cross_region_forwarding_assigns_a_new_id_and_keeps_account_and_region() {
    let emu = Emulator::start().await;
    let us = emu.events_as(SENDER, "us-east-1");
    let eu = emu.events_as(SENDER, "eu-west-1");
    let us_sqs = emu.sqs_as(SENDER, "us-east-1");
    let eu_sqs = emu.sqs_as(SENDER, "eu-west-1");
    let regional = create_bus(&eu, "regional").await;
    assert_eq!(
        regional,
        format!("arn:aws:events:eu-west-1:{SENDER}:event-bus/regional")
    );
    let (eu_url, eu_arn) = queue(&eu_sqs, SENDER, "eu-west-1", "eu-orders").await;
    rule(
        &eu,
        Some("regional"),
        "all",
        json!({"source": ["shop.orders"]}),
    )
    .await;
    put_targets(&eu, Some("regional"), "all", vec![target("q", &eu_arn)]).await;
    let (us_url, us_arn) = queue(&us_sqs, SENDER, "us-east-1", "us-orders").await;
    rule(&us, None, "to-eu", json!({"source": ["shop.orders"]})).await;
    put_targets(
        &us,
        None,
        "to-eu",
        vec![
            Target::builder()
                .id("eu")
                .arn(&regional)
                .role_arn(format!("arn:aws:iam::{SENDER}:role/forwarder"))
                .build()
                .unwrap(),
            target("local", &us_arn),
        ],
    )
    .await;
    let id = put_one(&us, entry(None, "shop.orders", "OrderPlaced", r#"{"n":1}"#)).await;
    let local: Value = serde_json::from_str(&one_body(&us_sqs, &us_url).await).unwrap();
    let remote: Value = serde_json::from_str(&one_body(&eu_sqs, &eu_url).await).unwrap();
    assert_eq!(local["id"], id.as_str());
    assert_ne!(remote["id"], id.as_str());
    assert!(remote["id"].as_str().is_some_and(|s| s.len() == 36));
    assert_eq!(remote["account"], SENDER);
    assert_eq!(remote["region"], "us-east-1");
    let mut same = remote.clone();
    same["id"] = local["id"].clone();
    assert_eq!(same, local);
}

// ---- 4. FIFO queue target -------------------------------------------------------------------

#[tokio::test]
async fn fifo_queue_target_keeps_the_order_of_50_events() {
    let emu = Emulator::start().await;
    let (events, sqs) = (emu.events(), emu.sqs());
    let url = sqs
        .create_queue()
        .queue_name("ledger.fifo")
        .attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let arn = "arn:aws:sqs:us-east-1:000000000000:ledger.fifo";
    rule(&events, None, "ledger", json!({"source": ["shop.orders"]})).await;
    // A FIFO target needs SqsParameters.
    assert_eq!(
        error(
            events
                .put_targets()
                .rule("ledger")
                .targets(target("t1", arn))
                .send()
                .await
        ),
        "ValidationException: Parameter(s) SqsParameters must be specified for target: t1."
    );
    put_targets(
        &events,
        None,
        "ledger",
        vec![Target::builder()
            .id("t1")
            .arn(arn)
            .sqs_parameters(SqsParameters::builder().message_group_id("orders").build())
            .build()
            .unwrap()],
    )
    .await;
    let mut ids = Vec::new();
    for batch in 0..5 {
        let mut req = events.put_events();
        for i in 0..10 {
            let seq = batch * 10 + i;
            req = req.entries(entry(
                None,
                "shop.orders",
                "OrderPlaced",
                &json!({ "seq": seq }).to_string(),
            ));
        }
        let out = req.send().await.unwrap();
        assert_eq!(out.failed_entry_count, 0);
        ids.extend(
            out.entries
                .unwrap()
                .into_iter()
                .map(|e| e.event_id.unwrap()),
        );
    }
    let got = receive(&sqs, &url, 50).await;
    let seqs: Vec<i64> = got
        .iter()
        .map(|m| {
            let v: Value = serde_json::from_str(m.body.as_deref().unwrap()).unwrap();
            v["detail"]["seq"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(seqs, (0..50).collect::<Vec<i64>>());
    let got_ids: Vec<String> = got
        .iter()
        .map(|m| {
            let v: Value = serde_json::from_str(m.body.as_deref().unwrap()).unwrap();
            v["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(got_ids, ids);
}

// ---- 5. Input, InputPath, InputTransformer --------------------------------------------------

/// The EC2 "instance state change" examples of "Amazon EventBridge input transformation",
/// one consumer (queue) per shape.
#[tokio::test]
async fn input_input_path_and_input_transformers_shape_what_each_consumer_gets() {
    let emu = Emulator::start().await;
    let (events, sqs) = (emu.events(), emu.sqs());
    let rule_arn = rule(
        &events,
        None,
        "ec2",
        json!({"detail-type": ["EC2 Instance State-change Notification"]}),
    )
    .await;
    let names = [
        "constant", "path", "string", "quoted", "json", "mixed", "reserved", "plain",
    ];
    let mut q = HashMap::new();
    for n in names {
        q.insert(n, local_queue(&sqs, n).await);
    }
    let paths = [
        ("timestamp", "$.time"),
        ("instance", "$.detail.instance-id"),
        ("state", "$.detail.state"),
        ("resource", "$.resources[0]"),
    ];
    let transformer = |template: &str| {
        let mut b = InputTransformer::builder().input_template(template);
        for (k, v) in paths {
            b = b.input_paths_map(k, v);
        }
        b.build().unwrap()
    };
    let with = |id: &str,
                f: &dyn Fn(
        aws_sdk_eventbridge::types::builders::TargetBuilder,
    ) -> aws_sdk_eventbridge::types::builders::TargetBuilder| {
        f(Target::builder().id(id).arn(&q[id].1)).build().unwrap()
    };
    let first = vec![
        with("constant", &|b| b.input(r#"{"fixed":true,"n":[1,2]}"#)),
        with("path", &|b| b.input_path("$.detail")),
        with("string", &|b| {
            b.input_transformer(transformer(r#""instance <instance> is in <state>""#))
        }),
        with("quoted", &|b| {
            b.input_transformer(transformer(r#""instance \"<instance>\" is in <state>""#))
        }),
        with("json", &|b| {
            b.input_transformer(transformer(
                "{\n  \"instance\" : <instance>,\n  \"state\": <state>\n}",
            ))
        }),
    ];
    put_targets(&events, None, "ec2", first).await;
    // A rule has at most 5 targets: the rest on a second rule with the same pattern.
    let rule2_arn = rule(
        &events,
        None,
        "ec2-more",
        json!({"detail-type": ["EC2 Instance State-change Notification"]}),
    )
    .await;
    let second = vec![
        with("mixed", &|b| {
            b.input_transformer(transformer(
                "{\n  \"instance\" : <instance>,\n  \"state\": [ 9, <state>, true ],\n  \"Transformed\" : \"Yes\"\n}\n",
            ))
        }),
        with("reserved", &|b| {
            b.input_transformer(transformer(
                "{\"resource\": <resource>, \"ruleArn\": <aws.events.rule-arn>, \"ruleName\": <aws.events.rule-name>, \"original\": <aws.events.event.json>}",
            ))
        }),
        with("plain", &|b| {
            b.input_transformer(transformer("<instance> is in state <state>"))
        }),
    ];
    put_targets(&events, None, "ec2-more", second).await;

    let detail = json!({"instance-id": "i-0123456789", "state": "RUNNING"});
    let resource = "arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111";
    let id = put_one(
        &events,
        PutEventsRequestEntry::builder()
            .source("my.ec2")
            .detail_type("EC2 Instance State-change Notification")
            .resources(resource)
            .time(DateTime::from_secs(1_447_277_394))
            .detail(detail.to_string())
            .build(),
    )
    .await;
    let event = envelope(
        &id,
        "EC2 Instance State-change Notification",
        "my.ec2",
        DEFAULT_ACCOUNT,
        "2015-11-11T21:29:54Z",
        "us-east-1",
        &[resource],
        detail,
    );
    let body = |n: &'static str| {
        let sqs = sqs.clone();
        let url = q[n].0.clone();
        async move { one_body(&sqs, &url).await }
    };
    assert_eq!(body("constant").await, r#"{"fixed":true,"n":[1,2]}"#);
    assert_eq!(
        body("path").await,
        r#"{"instance-id":"i-0123456789","state":"RUNNING"}"#
    );
    assert_eq!(
        body("string").await,
        r#""instance i-0123456789 is in RUNNING""#
    );
    assert_eq!(
        body("quoted").await,
        r#""instance \"i-0123456789\" is in RUNNING""#
    );
    assert_eq!(
        body("json").await,
        r#"{"instance":"i-0123456789","state":"RUNNING"}"#
    );
    assert_eq!(
        body("mixed").await,
        r#"{"instance":"i-0123456789","state":[9,"RUNNING",true],"Transformed":"Yes"}"#
    );
    assert_eq!(body("plain").await, "i-0123456789 is in state RUNNING");
    let reserved: Value = serde_json::from_str(&body("reserved").await).unwrap();
    assert_eq!(reserved["resource"], resource);
    assert_eq!(reserved["ruleArn"], rule2_arn.as_str());
    assert_ne!(rule2_arn, rule_arn);
    assert_eq!(reserved["ruleName"], "ec2-more");
    assert_eq!(reserved["original"].to_string(), event);

    // PutTargets refuses what cannot be rendered (AWS-recorded messages).
    let bad = Target::builder()
        .id("t1")
        .arn(&q["constant"].1)
        .input_transformer(
            InputTransformer::builder()
                .input_paths_map("instance", "$.detail.instance-id")
                .input_template(r#""<instance> <notdefinedkey>""#)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    assert_eq!(
        error(events.put_targets().rule("ec2").targets(bad).send().await),
        "ValidationException: InputTemplate for target t1 contains invalid placeholder notdefinedkey."
    );
    let both = Target::builder()
        .id("t1")
        .arn(&q["constant"].1)
        .input_path("$.detail")
        .input_transformer(transformer("<instance>"))
        .build()
        .unwrap();
    assert_eq!(
        error(events.put_targets().rule("ec2").targets(both).send().await),
        "ValidationException: Only one of Input, InputPath, or InputTransformer must be provided for target t1."
    );
}

// ---- 6. dead-letter queues ------------------------------------------------------------------

/// A target that does not exist is not retried: the event goes straight to the target's DLQ,
/// with EventBridge's message attributes.
#[tokio::test]
async fn a_missing_target_sends_the_event_to_the_dead_letter_queue() {
    let emu = Emulator::start().await;
    let (events, sqs) = (emu.events(), emu.sqs());
    let (dlq_url, dlq_arn) = local_queue(&sqs, "orders-dlq").await;
    let rule_arn = rule(&events, None, "lost", json!({"source": ["shop.orders"]})).await;
    let gone_queue = "arn:aws:sqs:us-east-1:000000000000:does-not-exist";
    let gone_topic = "arn:aws:sns:us-east-1:000000000000:no-such-topic";
    let dlq = DeadLetterConfig::builder().arn(&dlq_arn).build();
    put_targets(
        &events,
        None,
        "lost",
        vec![
            Target::builder()
                .id("queue")
                .arn(gone_queue)
                .dead_letter_config(dlq.clone())
                .build()
                .unwrap(),
            Target::builder()
                .id("topic")
                .arn(gone_topic)
                .input_path("$.detail")
                .dead_letter_config(dlq)
                .build()
                .unwrap(),
        ],
    )
    .await;
    let detail = json!({"orderId": "o-13"});
    // Delivery failures are invisible to PutEvents (AWS-recorded).
    let (_, expected) = put_order(&events, DEFAULT_ACCOUNT, &detail).await;
    let dead = receive(&sqs, &dlq_url, 2).await;
    assert_eq!(dead.len(), 2);
    let mut by_target = HashMap::new();
    for m in &dead {
        // The body is the event itself, not the target's transformed input.
        assert_eq!(m.body.as_deref(), Some(expected.as_str()));
        let a = attrs(m);
        by_target.insert(a["TARGET_ARN"].clone(), a);
    }
    for arn in [gone_queue, gone_topic] {
        let a = &by_target[arn];
        assert_eq!(a["RULE_ARN"], rule_arn);
        assert_eq!(a["ERROR_CODE"], "NO_RESOURCE");
        assert_eq!(a["RETRY_ATTEMPTS"], "0");
        assert!(!a["ERROR_MESSAGE"].is_empty());
        let mut keys: Vec<&str> = a.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "ERROR_CODE",
                "ERROR_MESSAGE",
                "RETRY_ATTEMPTS",
                "RULE_ARN",
                "TARGET_ARN"
            ]
        );
    }
    assert_all_empty(&sqs, &[&dlq_url]).await;
}

// ---- 7. scheduled rules ---------------------------------------------------------------------

/// The scheduler notices a new or changed schedule in a background task; its first firing
/// counts from when the schedule came into force, so a clock jump before the task looked loses
/// nothing (a_clock_jump_right_after_put_rule_fires_the_first_occurrence). A short pause still
/// lets a disable or delete reach it before the clock moves on.
async fn let_scheduler_see_changes() {
    tokio::time::sleep(Duration::from_millis(100)).await;
}

fn scheduled_event(body: &str, rule_arn: &str, time: &str, region: &str, account: &str) {
    let v: Value = serde_json::from_str(body).unwrap();
    let id = v["id"].as_str().expect("id");
    assert_eq!(
        body,
        envelope(
            id,
            "Scheduled Event",
            "aws.events",
            account,
            time,
            region,
            &[rule_arn],
            json!({})
        )
    );
}

#[tokio::test]
async fn rate_and_cron_rules_fire_on_the_manual_clock() {
    // The manual clock starts at 2024-01-01T00:00:00Z.
    let emu = Emulator::start_with_manual_clock().await;
    let (events, sqs) = (emu.events(), emu.sqs());
    let (rate_url, rate_q) = local_queue(&sqs, "every-5").await;
    let (cron_url, cron_q) = local_queue(&sqs, "quarters").await;
    let rate_arn = events
        .put_rule()
        .name("every-5")
        .schedule_expression("rate(5 minutes)")
        .send()
        .await
        .unwrap()
        .rule_arn
        .unwrap();
    put_targets(&events, None, "every-5", vec![target("q", &rate_q)]).await;
    let cron_arn = events
        .put_rule()
        .name("quarters")
        .schedule_expression("cron(0/15 * * * ? *)")
        .send()
        .await
        .unwrap()
        .rule_arn
        .unwrap();
    put_targets(&events, None, "quarters", vec![target("q", &cron_q)]).await;
    let d = events
        .describe_rule()
        .name("quarters")
        .send()
        .await
        .unwrap();
    assert_eq!(d.schedule_expression(), Some("cron(0/15 * * * ? *)"));
    assert_eq!(d.event_bus_name(), Some("default"));
    assert!(d.event_pattern().is_none());
    let listed = events.list_rules().send().await.unwrap();
    let listed: Vec<(Option<&str>, Option<&str>)> = listed
        .rules()
        .iter()
        .map(|r| (r.name(), r.schedule_expression()))
        .collect();
    assert_eq!(
        listed,
        [
            (Some("every-5"), Some("rate(5 minutes)")),
            (Some("quarters"), Some("cron(0/15 * * * ? *)"))
        ]
    );
    let_scheduler_see_changes().await;
    assert_all_empty(&sqs, &[&rate_url, &cron_url]).await;

    emu.advance(Duration::from_secs(5 * 60));
    let body = one_body(&sqs, &rate_url).await;
    scheduled_event(
        &body,
        &rate_arn,
        "2024-01-01T00:05:00Z",
        "us-east-1",
        DEFAULT_ACCOUNT,
    );
    emu.advance(Duration::from_secs(5 * 60));
    let body = one_body(&sqs, &rate_url).await;
    scheduled_event(
        &body,
        &rate_arn,
        "2024-01-01T00:10:00Z",
        "us-east-1",
        DEFAULT_ACCOUNT,
    );
    assert_all_empty(&sqs, &[&cron_url]).await;

    // 00:15: both fire.
    emu.advance(Duration::from_secs(5 * 60));
    let body = one_body(&sqs, &cron_url).await;
    scheduled_event(
        &body,
        &cron_arn,
        "2024-01-01T00:15:00Z",
        "us-east-1",
        DEFAULT_ACCOUNT,
    );
    let body = one_body(&sqs, &rate_url).await;
    scheduled_event(
        &body,
        &rate_arn,
        "2024-01-01T00:15:00Z",
        "us-east-1",
        DEFAULT_ACCOUNT,
    );

    // A jump of 30 minutes (to 00:45): every passed occurrence fires, each with its own time.
    emu.advance(Duration::from_secs(30 * 60));
    let mut times: Vec<String> = bodies(&sqs, &rate_url, 6)
        .await
        .iter()
        .map(|b| {
            serde_json::from_str::<Value>(b).unwrap()["time"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    times.sort();
    assert_eq!(
        times,
        ["00:20", "00:25", "00:30", "00:35", "00:40", "00:45"]
            .map(|t| format!("2024-01-01T{t}:00Z"))
    );
    let mut times: Vec<String> = bodies(&sqs, &cron_url, 2)
        .await
        .iter()
        .map(|b| {
            serde_json::from_str::<Value>(b).unwrap()["time"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    times.sort();
    assert_eq!(times, ["2024-01-01T00:30:00Z", "2024-01-01T00:45:00Z"]);

    // Disabled: nothing at 00:50, 00:55, 01:00.
    for name in ["every-5", "quarters"] {
        events.disable_rule().name(name).send().await.unwrap();
    }
    let_scheduler_see_changes().await;
    emu.advance(Duration::from_secs(15 * 60));
    assert_all_empty(&sqs, &[&rate_url, &cron_url]).await;

    // Enabled again at 01:00: the cron rule fires at 01:15.
    events.enable_rule().name("quarters").send().await.unwrap();
    let_scheduler_see_changes().await;
    emu.advance(Duration::from_secs(15 * 60));
    let body = one_body(&sqs, &cron_url).await;
    scheduled_event(
        &body,
        &cron_arn,
        "2024-01-01T01:15:00Z",
        "us-east-1",
        DEFAULT_ACCOUNT,
    );

    // RemoveTargets + DeleteRule: gone for good.
    events
        .remove_targets()
        .rule("quarters")
        .ids("q")
        .send()
        .await
        .unwrap();
    events.delete_rule().name("quarters").send().await.unwrap();
    assert_eq!(
        error(events.describe_rule().name("quarters").send().await),
        "ResourceNotFoundException: Rule quarters does not exist on EventBus default."
    );
    // A new rule of that name with another target starts from scratch at 01:15.
    let (new_url, new_q) = local_queue(&sqs, "new-quarters").await;
    events
        .put_rule()
        .name("quarters")
        .schedule_expression("rate(10 minutes)")
        .send()
        .await
        .unwrap();
    put_targets(&events, None, "quarters", vec![target("q", &new_q)]).await;
    let_scheduler_see_changes().await;
    emu.advance(Duration::from_secs(15 * 60));
    // 01:30 is a quarter hour, but the cron schedule is gone: only 01:25 of the new rate.
    let body = one_body(&sqs, &new_url).await;
    scheduled_event(
        &body,
        &cron_arn,
        "2024-01-01T01:25:00Z",
        "us-east-1",
        DEFAULT_ACCOUNT,
    );
    assert_all_empty(&sqs, &[&cron_url, &rate_url, &new_url]).await;
}

/// A scheduled rule in another account and region carries that account and region.
#[tokio::test]
async fn scheduled_events_carry_the_rule_account_and_region() {
    let emu = Emulator::start_with_manual_clock().await;
    let events = emu.events_as(SENDER, "eu-west-1");
    let sqs = emu.sqs_as(SENDER, "eu-west-1");
    let (url, arn) = queue(&sqs, SENDER, "eu-west-1", "minutely").await;
    let rule_arn = events
        .put_rule()
        .name("minutely")
        .schedule_expression("rate(1 minute)")
        .send()
        .await
        .unwrap()
        .rule_arn
        .unwrap();
    assert_eq!(
        rule_arn,
        format!("arn:aws:events:eu-west-1:{SENDER}:rule/minutely")
    );
    // A target Input replaces the Scheduled Event.
    put_targets(
        &events,
        None,
        "minutely",
        vec![Target::builder()
            .id("q")
            .arn(&arn)
            .input(r#"{"custom-value":"somecustominput"}"#)
            .build()
            .unwrap()],
    )
    .await;
    let (url2, arn2) = queue(&sqs, SENDER, "eu-west-1", "minutely-raw").await;
    put_targets(&events, None, "minutely", vec![target("raw", &arn2)]).await;
    let_scheduler_see_changes().await;
    emu.advance(Duration::from_secs(60));
    assert_eq!(
        one_body(&sqs, &url).await,
        r#"{"custom-value":"somecustominput"}"#
    );
    let body = one_body(&sqs, &url2).await;
    scheduled_event(
        &body,
        &rule_arn,
        "2024-01-01T00:01:00Z",
        "eu-west-1",
        SENDER,
    );
}

// ---- 8. recorded invocations ----------------------------------------------------------------

#[tokio::test]
async fn targets_the_emulator_does_not_run_are_recorded_with_their_input() {
    let emu = Emulator::start().await;
    let events = emu.events();
    let rule_arn = rule(
        &events,
        None,
        "services",
        json!({"source": ["shop.orders"]}),
    )
    .await;
    let lambda = "arn:aws:lambda:us-east-1:000000000000:function:bill";
    let states = "arn:aws:states:us-east-1:000000000000:stateMachine:fulfil";
    let kinesis = "arn:aws:kinesis:us-east-1:000000000000:stream/analytics";
    let role = "arn:aws:iam::000000000000:role/events";
    put_targets(
        &events,
        None,
        "services",
        vec![
            Target::builder()
                .id("lambda")
                .arn(lambda)
                .input_transformer(
                    InputTransformer::builder()
                        .input_paths_map("order", "$.detail.orderId")
                        .input_template(r#"{"order": <order>, "rule": <aws.events.rule-name>}"#)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
            Target::builder()
                .id("sfn")
                .arn(states)
                .role_arn(role)
                .input_path("$.detail")
                .build()
                .unwrap(),
            Target::builder()
                .id("stream")
                .arn(kinesis)
                .role_arn(role)
                .build()
                .unwrap(),
        ],
    )
    .await;
    let detail = json!({"orderId": "o-5", "total": 3});
    let (id, expected) = put_order(&events, DEFAULT_ACCOUNT, &detail).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let list = loop {
        let got = emu.admin_get("/_ferrybridge/events/invocations").await;
        let list = got["invocations"].as_array().cloned().unwrap_or_default();
        if list.len() >= 3 || Instant::now() > deadline {
            break list;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(list.len(), 3, "{list:?}");
    let by_id: HashMap<&str, &Value> = list
        .iter()
        .map(|i| (i["targetId"].as_str().unwrap(), i))
        .collect();
    for (tid, arn, service) in [
        ("lambda", lambda, "lambda"),
        ("sfn", states, "states"),
        ("stream", kinesis, "kinesis"),
    ] {
        let inv = by_id[tid];
        assert_eq!(inv["targetArn"], arn);
        assert_eq!(inv["service"], service);
        assert_eq!(inv["ruleArn"], rule_arn.as_str());
        assert_eq!(inv["eventId"], id.as_str());
        assert_eq!(inv["accountId"], DEFAULT_ACCOUNT);
        assert_eq!(inv["region"], "us-east-1");
        assert_eq!(inv["target"]["Id"], tid);
    }
    assert_eq!(
        by_id["lambda"]["input"],
        r#"{"order":"o-5","rule":"services"}"#
    );
    assert_eq!(by_id["sfn"]["input"], r#"{"orderId":"o-5","total":3}"#);
    assert_eq!(by_id["stream"]["input"], expected.as_str());
    // Filtered by target ARN.
    let only = emu
        .admin_get(&format!(
            "/_ferrybridge/events/invocations?targetArn={}",
            form_urlencoded::byte_serialize(lambda.as_bytes()).collect::<String>()
        ))
        .await;
    assert_eq!(only["invocations"].as_array().unwrap().len(), 1);
    assert_eq!(only["invocations"][0]["targetId"], "lambda");
    // DELETE clears.
    let cleared = emu.admin_delete("/_ferrybridge/events/invocations").await;
    assert_eq!(cleared["cleared"], 3);
    let after = emu.admin_get("/_ferrybridge/events/invocations").await;
    assert_eq!(after["invocations"], json!([]));
}

// ---- 9. API surface -------------------------------------------------------------------------

#[tokio::test]
async fn event_buses_create_describe_list_update_delete() {
    let emu = Emulator::start().await;
    let (events, sqs) = (emu.events(), emu.sqs());
    let (_, dlq_arn) = local_queue(&sqs, "bus-dlq").await;
    let out = events
        .create_event_bus()
        .name("orders")
        .description("All orders")
        .dead_letter_config(DeadLetterConfig::builder().arn(&dlq_arn).build())
        .tags(Tag::builder().key("team").value("shop").build().unwrap())
        .send()
        .await
        .unwrap();
    let arn = "arn:aws:events:us-east-1:000000000000:event-bus/orders";
    assert_eq!(out.event_bus_arn.as_deref(), Some(arn));
    assert_eq!(
        error(events.create_event_bus().name("orders").send().await),
        "ResourceAlreadyExistsException: Event bus orders already exists."
    );
    let d = events
        .describe_event_bus()
        .name("orders")
        .send()
        .await
        .unwrap();
    assert_eq!(d.name(), Some("orders"));
    assert_eq!(d.arn(), Some(arn));
    assert_eq!(d.description(), Some("All orders"));
    assert_eq!(
        d.dead_letter_config().and_then(|c| c.arn()),
        Some(dlq_arn.as_str())
    );
    assert!(d.policy().is_none());
    let created = d.creation_time().expect("CreationTime").secs();
    assert!((created - time_now_secs()).abs() < 5);
    assert!(d.last_modified_time().is_some());
    // By ARN too.
    let by_arn = events.describe_event_bus().name(arn).send().await.unwrap();
    assert_eq!(by_arn.name(), Some("orders"));
    let tags = events
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap()
        .tags
        .unwrap();
    assert_eq!(
        tags.iter()
            .map(|t| (t.key(), t.value()))
            .collect::<Vec<_>>(),
        [("team", "shop")]
    );

    // RemovePermission without any policy: AWS-recorded message.
    assert_eq!(
        error(
            events
                .remove_permission()
                .event_bus_name("orders")
                .statement_id("s1")
                .send()
                .await
        ),
        "ResourceNotFoundException: Statement with the provided id does not exist."
    );
    // The default bus: described without a name, tagged by ARN.
    let default = events.describe_event_bus().send().await.unwrap();
    assert_eq!(default.name(), Some("default"));
    let default_arn = "arn:aws:events:us-east-1:000000000000:event-bus/default";
    assert_eq!(default.arn(), Some(default_arn));
    events
        .tag_resource()
        .resource_arn(default_arn)
        .tags(Tag::builder().key("tag1").value("value1").build().unwrap())
        .send()
        .await
        .unwrap();
    let tags = events
        .list_tags_for_resource()
        .resource_arn(default_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 1);
    assert_eq!(
        error(
            events
                .list_tags_for_resource()
                .resource_arn("arn:aws:events:us-east-1:000000000000:event-bus/nope")
                .send()
                .await
        ),
        "ResourceNotFoundException: Event bus nope does not exist."
    );

    // Policy through PutPermission: AWS's statement shape.
    events
        .put_permission()
        .event_bus_name("orders")
        .action("events:PutEvents")
        .principal("123456789012")
        .statement_id("s1")
        .send()
        .await
        .unwrap();
    let d = events
        .describe_event_bus()
        .name("orders")
        .send()
        .await
        .unwrap();
    let policy: Value = serde_json::from_str(d.policy().expect("Policy")).unwrap();
    assert_eq!(
        policy,
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "s1", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "events:PutEvents",
            "Resource": arn}]})
    );
    assert_eq!(
        error(
            events
                .remove_permission()
                .event_bus_name("orders")
                .statement_id("nope")
                .send()
                .await
        ),
        "ResourceNotFoundException: Statement with the provided id does not exist."
    );
    events
        .remove_permission()
        .event_bus_name("orders")
        .remove_all_permissions(true)
        .send()
        .await
        .unwrap();
    let d = events
        .describe_event_bus()
        .name("orders")
        .send()
        .await
        .unwrap();
    assert!(d.policy().is_none());

    events
        .update_event_bus()
        .name("orders")
        .description("Every order")
        .send()
        .await
        .unwrap();
    let d = events
        .describe_event_bus()
        .name("orders")
        .send()
        .await
        .unwrap();
    assert_eq!(d.description(), Some("Every order"));

    // Listing: prefix and paging.
    for n in ["orders-eu", "orders-us", "payments"] {
        create_bus(&events, n).await;
    }
    let page1 = events
        .list_event_buses()
        .name_prefix("orders")
        .limit(2)
        .send()
        .await
        .unwrap();
    let mut names: Vec<String> = page1
        .event_buses()
        .iter()
        .filter_map(|b| b.name().map(str::to_owned))
        .collect();
    assert_eq!(names.len(), 2);
    let token = page1.next_token().expect("NextToken").to_owned();
    let page2 = events
        .list_event_buses()
        .name_prefix("orders")
        .limit(2)
        .next_token(token)
        .send()
        .await
        .unwrap();
    assert!(page2.next_token().is_none());
    names.extend(
        page2
            .event_buses()
            .iter()
            .filter_map(|b| b.name().map(str::to_owned)),
    );
    names.sort();
    assert_eq!(names, ["orders", "orders-eu", "orders-us"]);
    let all = events.list_event_buses().send().await.unwrap();
    let mut all: Vec<&str> = all.event_buses().iter().filter_map(|b| b.name()).collect();
    all.sort_unstable();
    assert_eq!(
        all,
        ["default", "orders", "orders-eu", "orders-us", "payments"]
    );

    // Deleting.
    events
        .delete_event_bus()
        .name("orders-eu")
        .send()
        .await
        .unwrap();
    assert_eq!(
        error(events.describe_event_bus().name("orders-eu").send().await),
        "ResourceNotFoundException: Event bus orders-eu does not exist."
    );
    // A missing bus deletes silently (AWS-recorded); the default bus cannot be deleted.
    events
        .delete_event_bus()
        .name("orders-eu")
        .send()
        .await
        .unwrap();
    assert_eq!(
        error(events.delete_event_bus().name("default").send().await),
        "ValidationException: Cannot delete event bus default."
    );
    // A recreated bus does not keep its old tags.
    events
        .delete_event_bus()
        .name("orders")
        .send()
        .await
        .unwrap();
    create_bus(&events, "orders").await;
    let tags = events
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    assert!(tags.tags().is_empty());
}

#[tokio::test]
async fn rules_put_describe_update_list_and_delete() {
    let emu = Emulator::start().await;
    let (events, sqs) = (emu.events(), emu.sqs());
    create_bus(&events, "shop").await;
    let (_, q) = local_queue(&sqs, "rules-q").await;
    let pattern = json!({"source": ["shop.orders"]});
    let arn = events
        .put_rule()
        .name("orders")
        .event_bus_name("shop")
        .event_pattern(pattern.to_string())
        .description("order events")
        .tags(Tag::builder().key("k").value("v").build().unwrap())
        .send()
        .await
        .unwrap()
        .rule_arn
        .unwrap();
    assert_eq!(
        arn,
        "arn:aws:events:us-east-1:000000000000:rule/shop/orders"
    );
    let d = events
        .describe_rule()
        .name("orders")
        .event_bus_name("shop")
        .send()
        .await
        .unwrap();
    assert_eq!(d.name(), Some("orders"));
    assert_eq!(d.arn(), Some(arn.as_str()));
    assert_eq!(d.event_bus_name(), Some("shop"));
    assert_eq!(d.created_by(), Some(DEFAULT_ACCOUNT));
    assert_eq!(d.description(), Some("order events"));
    assert_eq!(d.state(), Some(&RuleState::Enabled));
    assert_eq!(
        serde_json::from_str::<Value>(d.event_pattern().unwrap()).unwrap(),
        pattern
    );
    assert!(d.schedule_expression().is_none());
    // Not on the default bus.
    assert_eq!(
        error(events.describe_rule().name("orders").send().await),
        "ResourceNotFoundException: Rule orders does not exist on EventBus default."
    );

    put_targets(&events, Some("shop"), "orders", vec![target("q", &q)]).await;
    // PutRule again updates in place: same ARN, targets kept, new pattern and state.
    let again = events
        .put_rule()
        .name("orders")
        .event_bus_name("shop")
        .event_pattern(r#"{"source":["shop.payments"]}"#)
        .state(RuleState::Disabled)
        .send()
        .await
        .unwrap();
    assert_eq!(again.rule_arn.as_deref(), Some(arn.as_str()));
    let d = events
        .describe_rule()
        .name("orders")
        .event_bus_name("shop")
        .send()
        .await
        .unwrap();
    assert_eq!(d.state(), Some(&RuleState::Disabled));
    assert_eq!(d.event_pattern(), Some(r#"{"source":["shop.payments"]}"#));
    let targets = events
        .list_targets_by_rule()
        .rule("orders")
        .event_bus_name("shop")
        .send()
        .await
        .unwrap();
    assert_eq!(targets.targets().len(), 1);
    assert_eq!(targets.targets()[0].arn(), q);

    // Listing with a prefix and paging.
    for n in ["orders-eu", "orders-us", "payments"] {
        rule(&events, Some("shop"), n, pattern.clone()).await;
    }
    let page1 = events
        .list_rules()
        .event_bus_name("shop")
        .name_prefix("orders")
        .limit(2)
        .send()
        .await
        .unwrap();
    assert_eq!(page1.rules().len(), 2);
    let page2 = events
        .list_rules()
        .event_bus_name("shop")
        .name_prefix("orders")
        .limit(2)
        .next_token(page1.next_token().expect("NextToken"))
        .send()
        .await
        .unwrap();
    assert!(page2.next_token().is_none());
    let mut names: Vec<&str> = page1
        .rules()
        .iter()
        .chain(page2.rules())
        .filter_map(|r| r.name())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["orders", "orders-eu", "orders-us"]);
    let listed = page1
        .rules()
        .iter()
        .chain(page2.rules())
        .find(|r| r.name() == Some("orders"))
        .unwrap();
    assert_eq!(listed.event_bus_name(), Some("shop"));
    assert_eq!(listed.arn(), Some(arn.as_str()));
    assert_eq!(listed.state(), Some(&RuleState::Disabled));

    // ListRuleNamesByTarget.
    put_targets(&events, Some("shop"), "payments", vec![target("q", &q)]).await;
    let mut by_target = events
        .list_rule_names_by_target()
        .target_arn(&q)
        .event_bus_name("shop")
        .send()
        .await
        .unwrap()
        .rule_names
        .unwrap_or_default();
    by_target.sort();
    assert_eq!(by_target, ["orders", "payments"]);
    let none = events
        .list_rule_names_by_target()
        .target_arn(&q)
        .send()
        .await
        .unwrap();
    assert!(none.rule_names().is_empty());

    // Tags on the rule ARN.
    events
        .tag_resource()
        .resource_arn(&arn)
        .tags(Tag::builder().key("env").value("test").build().unwrap())
        .send()
        .await
        .unwrap();
    events
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("k")
        .tag_keys("never-there")
        .send()
        .await
        .unwrap();
    let tags = events
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags.tags()
            .iter()
            .map(|t| (t.key(), t.value()))
            .collect::<Vec<_>>(),
        [("env", "test")]
    );

    // DeleteRule refuses while targets remain.
    assert_eq!(
        error(
            events
                .delete_rule()
                .name("orders")
                .event_bus_name("shop")
                .send()
                .await
        ),
        "ValidationException: Rule can't be deleted since it has targets."
    );
    events
        .remove_targets()
        .rule("orders")
        .event_bus_name("shop")
        .ids("q")
        .send()
        .await
        .unwrap();
    events
        .delete_rule()
        .name("orders")
        .event_bus_name("shop")
        .send()
        .await
        .unwrap();
    assert_eq!(
        error(
            events
                .list_tags_for_resource()
                .resource_arn(&arn)
                .send()
                .await
        ),
        "ResourceNotFoundException: Rule orders does not exist on EventBus shop."
    );
    // Schedules only on the default bus; a rule needs a pattern or a schedule.
    assert_eq!(
        error(
            events
                .put_rule()
                .name("tick")
                .event_bus_name("shop")
                .schedule_expression("rate(5 minutes)")
                .send()
                .await
        ),
        "ValidationException: ScheduleExpression is supported only on the default event bus."
    );
    assert_eq!(
        error(
            events
                .put_rule()
                .name("tick")
                .schedule_expression("rate(1 minutes)")
                .send()
                .await
        ),
        "ValidationException: Parameter ScheduleExpression is not valid."
    );
}

#[tokio::test]
async fn targets_limit_removal_and_paging() {
    let emu = Emulator::start().await;
    let (events, sqs) = (emu.events(), emu.sqs());
    let (_, q) = local_queue(&sqs, "t-q").await;
    rule(&events, None, "r", json!({"source": ["x"]})).await;
    let five: Vec<Target> = (0..5).map(|i| target(&format!("t{i}"), &q)).collect();
    put_targets(&events, None, "r", five).await;
    assert_eq!(
        error(
            events
                .put_targets()
                .rule("r")
                .targets(target("t5", &q))
                .send()
                .await
        ),
        "LimitExceededException: The requested resource exceeds the maximum number allowed."
    );
    // Replacing an existing id does not count as a new target.
    put_targets(&events, None, "r", vec![target("t0", &q)]).await;

    let page1 = events
        .list_targets_by_rule()
        .rule("r")
        .limit(3)
        .send()
        .await
        .unwrap();
    let page2 = events
        .list_targets_by_rule()
        .rule("r")
        .limit(3)
        .next_token(page1.next_token().expect("NextToken"))
        .send()
        .await
        .unwrap();
    assert!(page2.next_token().is_none());
    let ids: Vec<&str> = page1
        .targets()
        .iter()
        .chain(page2.targets())
        .map(|t| t.id())
        .collect();
    assert_eq!(ids, ["t0", "t1", "t2", "t3", "t4"]);

    let out = events
        .remove_targets()
        .rule("r")
        .ids("t1")
        .ids("ghost")
        .send()
        .await
        .unwrap();
    assert_eq!(out.failed_entry_count, 1);
    let failed = &out.failed_entries()[0];
    assert_eq!(failed.target_id(), Some("ghost"));
    assert_eq!(failed.error_code(), Some("ResourceNotFoundException"));
    let left = events
        .list_targets_by_rule()
        .rule("r")
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = left.targets().iter().map(|t| t.id()).collect();
    assert_eq!(ids, ["t0", "t2", "t3", "t4"]);
    // Target ids are checked against the model (AWS-recorded message).
    assert_eq!(
        error(
            events
                .put_targets()
                .rule("r")
                .targets(target("!@#$@!#$", &q))
                .send()
                .await
        ),
        r"ValidationException: 1 validation error detected: Value '!@#$@!#$' at 'targets.1.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_A-Za-z0-9]+"
    );
    assert_eq!(
        error(
            events
                .put_targets()
                .rule("missing")
                .targets(target("t", &q))
                .send()
                .await
        ),
        "ResourceNotFoundException: Rule missing does not exist on EventBus default."
    );
}

#[tokio::test]
async fn test_event_pattern_answers_and_errors() {
    let emu = Emulator::start().await;
    let events = emu.events();
    let event = json!({"id": "1", "account": "123456789012", "source": "shop.orders",
        "time": "2024-01-01T00:00:00Z", "region": "us-east-1", "resources": [],
        "detail-type": "OrderPlaced", "detail": {"total": 1500, "customer": {"country": "EU-DE"}}})
    .to_string();
    let test = |pattern: Value| {
        let events = events.clone();
        let event = event.clone();
        async move {
            events
                .test_event_pattern()
                .event_pattern(pattern.to_string())
                .event(event)
                .send()
                .await
                .unwrap()
                .result
        }
    };
    assert!(test(json!({"detail": {"total": [{"numeric": [">", 1000]}]}})).await);
    assert!(test(json!({"detail": {"customer": {"country": [{"prefix": "EU-"}]}}})).await);
    assert!(!test(json!({"detail": {"total": [{"numeric": ["<", 1000]}]}})).await);
    assert!(!test(json!({"source": [{"anything-but": "shop.orders"}]})).await);
    assert!(test(json!({"detail": {"coupon": [{"exists": false}]}})).await);
    assert!(
        test(json!({"$or": [{"source": ["other"]}, {"detail-type": [{"suffix": "Placed"}]}]}))
            .await
    );
    assert!(test(json!({"source": [{"wildcard": "shop.*"}]})).await);
    assert!(test(json!({"detail-type": [{"equals-ignore-case": "orderplaced"}]})).await);
    assert!(!test(json!({"detail": {"customer": {"country": [{"prefix": "US-"}]}}})).await);
    assert!(!test(json!({"detail": {"total": [{"exists": false}]}})).await);

    // AWS-recorded messages.
    let bad = events
        .test_event_pattern()
        .event_pattern(r#"{"int": 42}"#)
        .event(&event)
        .send()
        .await;
    assert_eq!(
        error(bad),
        "InvalidEventPatternException: Event pattern is not valid. Reason: \"int\" must be an object or an array\n at [Source: (String)\"{\"int\": 42}\"; line: 1, column: 11]"
    );
    let bad = events
        .test_event_pattern()
        .event_pattern(r#"{"resources": []}"#)
        .event(&event)
        .send()
        .await;
    assert!(error(bad).starts_with(
        "InvalidEventPatternException: Event pattern is not valid. Reason: Empty arrays are not allowed"
    ));
    let bad = events
        .test_event_pattern()
        .event_pattern(r#"{"source": ["x"]}"#)
        .event(r#"{"testEvent": "value"}"#)
        .send()
        .await;
    assert_eq!(
        error(bad),
        "ValidationException: Parameter Event is not valid."
    );
    // The same pattern check guards PutRule.
    let bad = events
        .put_rule()
        .name("bad")
        .event_pattern(r#"{"int": 42}"#)
        .send()
        .await;
    assert!(error(bad).starts_with(
        "InvalidEventPatternException: Event pattern is not valid. Reason: \"int\" must be an object or an array"
    ));
}

#[tokio::test]
async fn put_events_per_entry_errors_and_limits() {
    let emu = Emulator::start().await;
    let events = emu.events();
    let ok = entry(None, "shop", "T", "{}");
    let entries = vec![
        PutEventsRequestEntry::builder()
            .detail_type("T")
            .detail("{}")
            .build(),
        PutEventsRequestEntry::builder()
            .source("shop")
            .detail_type("")
            .detail("{}")
            .build(),
        ok.clone(),
        PutEventsRequestEntry::builder()
            .source("shop")
            .detail_type("T")
            .build(),
        entry(None, "shop", "T", "NotJSON"),
        entry(None, "shop", "T", "[]"),
        entry(None, "shop", "T", "{{}"),
        entry(None, "shop", "T", "\"NotJSON\""),
        // A bus that does not exist: accepted and dropped (AWS-recorded).
        entry(Some("nowhere"), "shop", "T", "{}"),
    ];
    let out = events
        .put_events()
        .set_entries(Some(entries))
        .send()
        .await
        .unwrap();
    let got: Vec<(Option<&str>, Option<&str>, bool)> = out
        .entries()
        .iter()
        .map(|e| (e.error_code(), e.error_message(), e.event_id().is_some()))
        .collect();
    let source = "Parameter Source is not valid. Reason: Source is a required argument.";
    let dt = "Parameter DetailType is not valid. Reason: DetailType is a required argument.";
    let detail = "Parameter Detail is not valid. Reason: Detail is a required argument.";
    let malformed = (Some("MalformedDetail"), Some("Detail is malformed."), false);
    assert_eq!(
        got,
        [
            (Some("InvalidArgument"), Some(source), false),
            (Some("InvalidArgument"), Some(dt), false),
            (None, None, true),
            (Some("InvalidArgument"), Some(detail), false),
            malformed,
            malformed,
            malformed,
            malformed,
            (None, None, true),
        ]
    );
    assert_eq!(out.failed_entry_count, 7);
    // EventIds are UUID-shaped.
    let id = out.entries()[2].event_id().unwrap();
    assert!(
        regex::Regex::new(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
            .unwrap()
            .is_match(id),
        "{id}"
    );

    // 256 KB: the recorded request (a 262144-byte Detail) is refused whole.
    // Python's json.dumps({"payload": ["p" * (256 * 1024 - 17)]}), as the recorded test sent it.
    let big = format!(r#"{{"payload": ["{}"]}}"#, "p".repeat(256 * 1024 - 17));
    assert_eq!(big.len(), 256 * 1024);
    assert_eq!(
        error(
            events
                .put_events()
                .entries(entry(None, "shop", "T", &big))
                .send()
                .await
        ),
        "ValidationException: Total size of the entries in the request is over the limit."
    );
    // Under the limit is fine.
    let fine = json!({"payload": "p".repeat(200 * 1024)}).to_string();
    put_one(&events, entry(None, "shop", "T", &fine)).await;

    // At most 10 entries.
    let eleven = events
        .put_events()
        .set_entries(Some(vec![ok; 11]))
        .send()
        .await;
    let e = error(eleven);
    assert!(
        e.starts_with("ValidationException: 1 validation error detected: Value '[PutEventsRequestEntry(")
            && e.ends_with(
                "' at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10"
            ),
        "{e}"
    );
}

/// Requests are checked against the model first, with Coral's messages.
#[tokio::test]
async fn model_validation_errors_name_the_member_and_the_constraint() {
    let emu = Emulator::start().await;
    let events = emu.events();
    assert_eq!(
        error(events.create_event_bus().name("bad name!").send().await),
        r"ValidationException: 1 validation error detected: Value 'bad name!' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [/\.\-_A-Za-z0-9]+"
    );
    let long = "r".repeat(65);
    assert_eq!(
        error(
            events
                .put_rule()
                .name(&long)
                .event_pattern(r#"{"source":["x"]}"#)
                .send()
                .await
        ),
        format!("ValidationException: 1 validation error detected: Value '{long}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 64")
    );
    let e = error(events.list_rules().limit(0).send().await);
    assert_eq!(
        e,
        "ValidationException: 1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
    );
    // A nested member: the path names the list position (1-based) and the member.
    events
        .put_rule()
        .name("r")
        .event_pattern(r#"{"source":["x"]}"#)
        .send()
        .await
        .unwrap();
    let retry = |attempts: i32| {
        Target::builder()
            .id("t")
            .arn("arn:aws:sqs:us-east-1:000000000000:q")
            .retry_policy(
                aws_sdk_eventbridge::types::RetryPolicy::builder()
                    .maximum_retry_attempts(attempts)
                    .build(),
            )
            .build()
            .unwrap()
    };
    assert_eq!(
        error(events.put_targets().rule("r").targets(retry(186)).send().await),
        "ValidationException: 1 validation error detected: Value '186' at 'targets.1.member.retryPolicy.maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 185"
    );
    events
        .put_targets()
        .rule("r")
        .targets(retry(185))
        .send()
        .await
        .unwrap();
    // PutEvents needs at least one entry.
    assert_eq!(
        error(events.put_events().set_entries(Some(vec![])).send().await),
        "ValidationException: 1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
}

/// A rate rule counts from its creation: a clock jump right after PutRule/PutTargets fires the
/// first occurrence (EventBridge: a rate schedule "starts when the rule is created").
#[tokio::test]
async fn a_clock_jump_right_after_put_rule_fires_the_first_occurrence() {
    let emu = Emulator::start_with_manual_clock().await;
    let (events, sqs) = (emu.events(), emu.sqs());
    let (url, q) = local_queue(&sqs, "jump").await;
    let rule_arn = events
        .put_rule()
        .name("jump")
        .schedule_expression("rate(5 minutes)")
        .send()
        .await
        .unwrap()
        .rule_arn
        .unwrap();
    put_targets(&events, None, "jump", vec![target("q", &q)]).await;
    // No pause for the background scheduler: the jump is taken as soon as PutTargets answers.
    emu.advance(Duration::from_secs(5 * 60));
    let body = one_body(&sqs, &url).await;
    scheduled_event(
        &body,
        &rule_arn,
        "2024-01-01T00:05:00Z",
        "us-east-1",
        DEFAULT_ACCOUNT,
    );
}

/// "If a receiver account sets up a rule that sends events received from a sender account on to
/// a third account, these events are not sent to the third account." (EventBridge User Guide,
/// "Sending and receiving events between AWS accounts").
#[tokio::test]
async fn events_received_from_another_account_are_not_sent_on_to_a_third_account() {
    let emu = Emulator::start().await;
    let sender = emu.events_as(SENDER, "us-east-1");
    let receiver = emu.events_as(RECEIVER, "us-east-1");
    let receiver_sqs = emu.sqs_as(RECEIVER, "us-east-1");
    let third = emu.events_as(STRANGER, "us-east-1");
    let third_sqs = emu.sqs_as(STRANGER, "us-east-1");

    let third_bus = create_bus(&third, "third").await;
    // The third account would accept events from both others.
    for principal in [SENDER, RECEIVER] {
        third
            .put_permission()
            .event_bus_name("third")
            .action("events:PutEvents")
            .principal(principal)
            .statement_id(format!("allow-{principal}"))
            .send()
            .await
            .unwrap();
    }
    let (third_url, third_q) = queue(&third_sqs, STRANGER, "us-east-1", "third-q").await;
    rule(
        &third,
        Some("third"),
        "all",
        json!({"source": ["shop.orders"]}),
    )
    .await;
    put_targets(&third, Some("third"), "all", vec![target("q", &third_q)]).await;

    let middle = create_bus(&receiver, "middle").await;
    receiver
        .put_permission()
        .event_bus_name("middle")
        .action("events:PutEvents")
        .principal(SENDER)
        .statement_id("allow-sender")
        .send()
        .await
        .unwrap();
    let (middle_url, middle_q) = queue(&receiver_sqs, RECEIVER, "us-east-1", "middle-q").await;
    let (dlq_url, dlq_arn) = queue(&receiver_sqs, RECEIVER, "us-east-1", "middle-dlq").await;
    rule(
        &receiver,
        Some("middle"),
        "all",
        json!({"source": ["shop.orders"]}),
    )
    .await;
    let onward = Target::builder()
        .id("onward")
        .arn(&third_bus)
        .dead_letter_config(DeadLetterConfig::builder().arn(&dlq_arn).build())
        .build()
        .unwrap();
    put_targets(
        &receiver,
        Some("middle"),
        "all",
        vec![target("q", &middle_q), onward],
    )
    .await;

    rule(&sender, None, "out", json!({"source": ["shop.orders"]})).await;
    put_targets(&sender, None, "out", vec![target("middle", &middle)]).await;
    let id = put_one(&sender, entry(None, "shop.orders", "OrderPlaced", "{}")).await;
    let got: Value = serde_json::from_str(&one_body(&receiver_sqs, &middle_url).await).unwrap();
    assert_eq!(got["id"], id.as_str());
    assert_eq!(got["account"], SENDER);
    assert_all_empty(&third_sqs, &[&third_url]).await;
    // The refused hop lands in the onward target's DLQ with AWS's error code.
    let dead = receive(&receiver_sqs, &dlq_url, 1).await;
    assert_eq!(dead.len(), 1);
    let a = attrs(&dead[0]);
    assert_eq!(a["ERROR_CODE"], "THIRD_ACCOUNT_HOP_DETECTED");
    assert_eq!(a["TARGET_ARN"], third_bus);
    assert_eq!(a["RETRY_ATTEMPTS"], "0");
    let body: Value = serde_json::from_str(dead[0].body().unwrap_or_default()).unwrap();
    assert_eq!(body["id"], id.as_str());

    // The receiver's own events do reach the third account (one hop).
    let own = put_one(
        &receiver,
        entry(Some("middle"), "shop.orders", "OrderPlaced", "{}"),
    )
    .await;
    let got: Value = serde_json::from_str(&one_body(&third_sqs, &third_url).await).unwrap();
    assert_eq!(got["id"], own.as_str());
    assert_eq!(got["account"], RECEIVER);
    assert_all_empty(&receiver_sqs, &[&dlq_url]).await;
}

/// An event forwarded into another region is not sent on into a third one: the refused hop is
/// dead-lettered with THIRD_REGION_HOP_DETECTED (EventBridge's DLQ error codes).
#[tokio::test]
async fn events_received_from_another_region_are_not_sent_on_to_a_third_region() {
    let emu = Emulator::start().await;
    let us = emu.events_as(SENDER, "us-east-1");
    let eu = emu.events_as(SENDER, "eu-west-1");
    let ap = emu.events_as(SENDER, "ap-south-1");
    let eu_sqs = emu.sqs_as(SENDER, "eu-west-1");
    let ap_sqs = emu.sqs_as(SENDER, "ap-south-1");

    let far = create_bus(&ap, "far").await;
    let (far_url, far_q) = queue(&ap_sqs, SENDER, "ap-south-1", "far-q").await;
    rule(&ap, Some("far"), "all", json!({"source": ["shop.orders"]})).await;
    put_targets(&ap, Some("far"), "all", vec![target("q", &far_q)]).await;

    let regional = create_bus(&eu, "regional").await;
    let (dlq_url, dlq_arn) = queue(&eu_sqs, SENDER, "eu-west-1", "regional-dlq").await;
    rule(
        &eu,
        Some("regional"),
        "all",
        json!({"source": ["shop.orders"]}),
    )
    .await;
    let onward = Target::builder()
        .id("onward")
        .arn(&far)
        .dead_letter_config(DeadLetterConfig::builder().arn(&dlq_arn).build())
        .build()
        .unwrap();
    put_targets(&eu, Some("regional"), "all", vec![onward]).await;

    rule(&us, None, "out", json!({"source": ["shop.orders"]})).await;
    put_targets(&us, None, "out", vec![target("eu", &regional)]).await;
    put_one(&us, entry(None, "shop.orders", "OrderPlaced", "{}")).await;

    let dead = receive(&eu_sqs, &dlq_url, 1).await;
    assert_eq!(dead.len(), 1);
    let a = attrs(&dead[0]);
    assert_eq!(a["ERROR_CODE"], "THIRD_REGION_HOP_DETECTED");
    assert_eq!(a["TARGET_ARN"], far);
    assert_all_empty(&ap_sqs, &[&far_url]).await;

    // Put in eu-west-1 itself, the event makes its one hop to ap-south-1.
    put_one(
        &eu,
        entry(Some("regional"), "shop.orders", "OrderPlaced", "{}"),
    )
    .await;
    let got: Value = serde_json::from_str(&one_body(&ap_sqs, &far_url).await).unwrap();
    assert_eq!(got["region"], "eu-west-1");
}

/// "EventBridge can't route events received from a sender event bus to a third event bus."
/// (EventBridge User Guide, "Sending events between event buses in the same account and
/// Region", eb-bus-to-bus; re:Post "EventBridge max eventbuses on event path": "An event can
/// traverse from a bus to a different bus only once.")
#[tokio::test]
async fn an_event_forwarded_from_another_bus_is_not_sent_on_to_a_third_bus() {
    let emu = Emulator::start().await;
    let (events, sqs) = (emu.events(), emu.sqs());
    let gatekeeper = create_bus(&events, "gatekeeper").await;
    let third = create_bus(&events, "third").await;
    let (gate_url, gate_q) = local_queue(&sqs, "gate-q").await;
    let (third_url, third_q) = local_queue(&sqs, "third-q").await;
    rule(&events, None, "out", json!({"source": ["shop.orders"]})).await;
    put_targets(&events, None, "out", vec![target("bus", &gatekeeper)]).await;
    rule(
        &events,
        Some("gatekeeper"),
        "on",
        json!({"source": ["shop.orders"]}),
    )
    .await;
    put_targets(
        &events,
        Some("gatekeeper"),
        "on",
        vec![target("q", &gate_q), target("bus", &third)],
    )
    .await;
    rule(
        &events,
        Some("third"),
        "all",
        json!({"source": ["shop.orders"]}),
    )
    .await;
    put_targets(&events, Some("third"), "all", vec![target("q", &third_q)]).await;
    let id = put_one(&events, entry(None, "shop.orders", "OrderPlaced", "{}")).await;
    let got: Value = serde_json::from_str(&one_body(&sqs, &gate_url).await).unwrap();
    assert_eq!(got["id"], id.as_str());
    assert_all_empty(&sqs, &[&third_url]).await;
}

/// A whole resource policy (PutPermission with Policy): an Allow for everyone with a Deny for one
/// account. PutEvents may name the bus by ARN.
#[tokio::test]
async fn a_bus_policy_with_allow_and_deny_statements_decides_per_sender_account() {
    let emu = Emulator::start().await;
    let receiver = emu.events_as(RECEIVER, "us-east-1");
    let receiver_sqs = emu.sqs_as(RECEIVER, "us-east-1");
    let bus = create_bus(&receiver, "shared").await;
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "everyone", "Effect": "Allow", "Principal": "*", "Action": "events:PutEvents", "Resource": bus},
        {"Sid": "not-them", "Effect": "Deny", "Principal": {"AWS": format!("arn:aws:iam::{STRANGER}:root")},
         "Action": "events:PutEvents", "Resource": bus}
    ]});
    receiver
        .put_permission()
        .event_bus_name("shared")
        .policy(policy.to_string())
        .send()
        .await
        .unwrap();
    // Stored verbatim (AWS-recorded for a Policy given whole).
    let d = receiver
        .describe_event_bus()
        .name("shared")
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(d.policy().unwrap()).unwrap(),
        policy
    );
    let (url, q) = queue(&receiver_sqs, RECEIVER, "us-east-1", "shared-q").await;
    rule(
        &receiver,
        Some("shared"),
        "all",
        json!({"source": ["shop.orders"]}),
    )
    .await;
    put_targets(&receiver, Some("shared"), "all", vec![target("q", &q)]).await;

    let mut dlqs = Vec::new();
    for account in [SENDER, STRANGER] {
        let events = emu.events_as(account, "us-east-1");
        let sqs = emu.sqs_as(account, "us-east-1");
        let (dlq_url, dlq_arn) = queue(&sqs, account, "us-east-1", "dlq").await;
        rule(&events, None, "out", json!({"source": ["shop.orders"]})).await;
        put_targets(
            &events,
            None,
            "out",
            vec![Target::builder()
                .id("shared")
                .arn(&bus)
                .dead_letter_config(DeadLetterConfig::builder().arn(dlq_arn).build())
                .build()
                .unwrap()],
        )
        .await;
        let id = put_one(
            &events,
            entry(
                Some(&format!(
                    "arn:aws:events:us-east-1:{account}:event-bus/default"
                )),
                "shop.orders",
                "OrderPlaced",
                "{}",
            ),
        )
        .await;
        dlqs.push((sqs, dlq_url, id));
    }
    // The allowed sender's event arrives; the denied one's is in its DLQ.
    let got: Value = serde_json::from_str(&one_body(&receiver_sqs, &url).await).unwrap();
    assert_eq!(got["id"], dlqs[0].2.as_str());
    assert_eq!(got["account"], SENDER);
    let (sqs, dlq_url, id) = &dlqs[1];
    let dead = receive(sqs, dlq_url, 1).await;
    assert_eq!(dead.len(), 1);
    let body: Value = serde_json::from_str(dead[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(body["id"], id.as_str());
    assert_eq!(attrs(&dead[0])["ERROR_CODE"], "NO_PERMISSIONS");
    assert_all_empty(&dlqs[0].0, &[&dlqs[0].1]).await;
    assert_all_empty(&receiver_sqs, &[&url]).await;
}

/// `Time` with a fraction of a second comes out in whole seconds; a TraceHeader reaches the
/// SQS target as the AWSTraceHeader system attribute.
#[tokio::test]
async fn event_time_is_whole_seconds_and_the_trace_header_reaches_the_queue() {
    let emu = Emulator::start().await;
    let (events, sqs) = (emu.events(), emu.sqs());
    let (url, q) = local_queue(&sqs, "traced").await;
    rule(&events, None, "all", json!({"source": ["shop.orders"]})).await;
    put_targets(&events, None, "all", vec![target("q", &q)]).await;
    let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    put_one(
        &events,
        PutEventsRequestEntry::builder()
            .source("shop.orders")
            .detail_type("OrderPlaced")
            .detail("{}")
            .time(DateTime::from_secs_and_nanos(1_700_000_000, 750_000_000))
            .trace_header(trace)
            .build(),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let message = loop {
        let out = sqs
            .receive_message()
            .queue_url(&url)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .send()
            .await
            .unwrap();
        if let Some(m) = out.messages.unwrap_or_default().pop() {
            break m;
        }
        assert!(Instant::now() < deadline, "nothing delivered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let body: Value = serde_json::from_str(message.body.as_deref().unwrap()).unwrap();
    assert_eq!(body["time"], "2023-11-14T22:13:20Z");
    let system = message.attributes.unwrap_or_default();
    assert_eq!(
        system
            .get(&aws_sdk_sqs::types::MessageSystemAttributeName::AwsTraceHeader)
            .map(String::as_str),
        Some(trace)
    );
}

/// A rule an AWS service created for the account (`ManagedBy`, made here through the admin
/// API) cannot be changed, only deleted or stripped of targets with `Force`.
#[tokio::test]
async fn managed_rules_can_only_be_removed_with_force() {
    let emu = Emulator::start().await;
    let events = emu.events();
    let pattern = "%7B%22source%22%3A%5B%22aws.s3%22%5D%7D"; // {"source":["aws.s3"]}
    let created = emu
        .admin_request_post(&format!(
            "/_ferrybridge/events/managed-rules?name=s3-watch&managedBy=sns.amazonaws.com&eventPattern={pattern}"
        ))
        .await;
    let arn = created["ruleArn"].as_str().expect("ruleArn");
    assert_eq!(arn, "arn:aws:events:us-east-1:000000000000:rule/s3-watch");
    let described = events
        .describe_rule()
        .name("s3-watch")
        .send()
        .await
        .unwrap();
    assert_eq!(described.managed_by(), Some("sns.amazonaws.com"));
    assert_eq!(described.event_pattern(), Some(r#"{"source":["aws.s3"]}"#));

    let code = |e: String| e.split(':').next().unwrap_or_default().to_owned();
    let refused = "ManagedRuleException";
    assert_eq!(
        code(error(events.disable_rule().name("s3-watch").send().await)),
        refused
    );
    assert_eq!(
        code(error(
            events
                .put_rule()
                .name("s3-watch")
                .event_pattern(r#"{"source":["x"]}"#)
                .send()
                .await
        )),
        refused
    );
    assert_eq!(
        code(error(
            events
                .put_targets()
                .rule("s3-watch")
                .targets(target("q", "arn:aws:sqs:us-east-1:000000000000:q"))
                .send()
                .await
        )),
        refused
    );
    assert_eq!(
        code(error(
            events
                .tag_resource()
                .resource_arn(arn)
                .tags(Tag::builder().key("k").value("v").build().unwrap())
                .send()
                .await
        )),
        refused
    );
    assert_eq!(
        code(error(events.delete_rule().name("s3-watch").send().await)),
        refused
    );
    events
        .delete_rule()
        .name("s3-watch")
        .force(true)
        .send()
        .await
        .expect("deleted with Force");
    assert_eq!(
        error(events.describe_rule().name("s3-watch").send().await),
        "ResourceNotFoundException: Rule s3-watch does not exist on EventBus default."
    );
}

/// A rule disabled over several occurrences does not fire them when enabled again: its
/// schedule counts from the enabling.
#[tokio::test]
async fn a_re_enabled_schedule_does_not_fire_what_it_missed() {
    let emu = Emulator::start_with_manual_clock().await;
    let (events, sqs) = (emu.events(), emu.sqs());
    let (url, arn) = local_queue(&sqs, "ticks").await;
    events
        .put_rule()
        .name("tick")
        .schedule_expression("rate(1 minute)")
        .send()
        .await
        .unwrap();
    put_targets(&events, None, "tick", vec![target("q", &arn)]).await;
    let_scheduler_see_changes().await;
    emu.advance(Duration::from_secs(60));
    assert_eq!(bodies(&sqs, &url, 1).await.len(), 1);
    sqs.purge_queue().queue_url(&url).send().await.unwrap();
    events.disable_rule().name("tick").send().await.unwrap();
    let_scheduler_see_changes().await;
    emu.advance(Duration::from_secs(600));
    let_scheduler_see_changes().await;
    events.enable_rule().name("tick").send().await.unwrap();
    let_scheduler_see_changes().await;
    assert_all_empty(&sqs, &[&url]).await;
    // The rate still counts from the rule's creation: next at 12:00 past the start.
    emu.advance(Duration::from_secs(60));
    let got = bodies(&sqs, &url, 1).await;
    assert_eq!(got.len(), 1);
    let v: Value = serde_json::from_str(&got[0]).unwrap();
    assert_eq!(v["time"], "2024-01-01T00:12:00Z");
    assert_all_empty(&sqs, &[&url]).await;
}

/// Targets EventBridge reaches only through an IAM role are refused without a `RoleArn`, as AWS
/// refuses them ("RoleArn is required for target <arn>.", quoted by AWS users for Step
/// Functions, CodeBuild, CodePipeline and API destinations); resource-policy targets are not.
#[tokio::test]
async fn targets_reached_only_through_a_role_need_a_role_arn() {
    let emu = Emulator::start().await;
    let events = emu.events();
    rule(&events, None, "r", json!({"source": ["x"]})).await;
    let role_only = [
        "arn:aws:states:us-east-1:000000000000:stateMachine:flow",
        "arn:aws:kinesis:us-east-1:000000000000:stream/s",
        "arn:aws:firehose:us-east-1:000000000000:deliverystream/d",
        "arn:aws:codebuild:us-east-1:000000000000:project/p",
        "arn:aws:codepipeline:us-east-1:000000000000:pipeline",
        "arn:aws:ecs:us-east-1:000000000000:cluster/c",
        "arn:aws:batch:us-east-1:000000000000:job-queue/q",
    ];
    for arn in role_only {
        let refused = events
            .put_targets()
            .rule("r")
            .targets(target("t", arn))
            .send()
            .await;
        assert_eq!(
            error(refused),
            format!("ValidationException: RoleArn is required for target {arn}.")
        );
        let with_role = Target::builder()
            .id("t")
            .arn(arn)
            .role_arn("arn:aws:iam::000000000000:role/events")
            .build()
            .unwrap();
        put_targets(&events, None, "r", vec![with_role]).await;
    }
    put_targets(
        &events,
        None,
        "r",
        vec![
            target("fn", "arn:aws:lambda:us-east-1:000000000000:function:f"),
            target("q", "arn:aws:sqs:us-east-1:000000000000:q"),
        ],
    )
    .await;
}
