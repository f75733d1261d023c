//! Amazon SNS through the real `aws-sdk-sns` (AWS Query protocol), delivering into queues read
//! with the real `aws-sdk-sqs`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_sns::error::ProvideErrorMetadata;
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry, Tag};
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use ferrybridge_tests::http_endpoint::endpoint;
use ferrybridge_tests::Emulator;
use serde_json::Value;

/// The Query error code an SDK call failed with.
fn code<T, E: ProvideErrorMetadata + std::fmt::Debug>(result: Result<T, E>) -> String {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(err) => err.code().unwrap_or_default().to_owned(),
    }
}

/// `code: message` of a failed call.
fn error<T, E: ProvideErrorMetadata + std::fmt::Debug>(result: Result<T, E>) -> String {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(err) => format!(
            "{}: {}",
            err.code().unwrap_or_default(),
            err.message().unwrap_or_default()
        ),
    }
}

async fn topic(sns: &aws_sdk_sns::Client, name: &str) -> String {
    sns.create_topic()
        .name(name)
        .send()
        .await
        .expect("create topic")
        .topic_arn
        .expect("topic arn")
}

/// A queue and its ARN.
async fn queue(sqs: &aws_sdk_sqs::Client, name: &str) -> (String, String) {
    let url = ferrybridge_tests::create_queue(sqs, name).await;
    (url, format!("arn:aws:sqs:us-east-1:000000000000:{name}"))
}

async fn subscribe_queue(
    sns: &aws_sdk_sns::Client,
    topic_arn: &str,
    queue_arn: &str,
    attributes: &[(&str, &str)],
) -> String {
    let mut req = sns
        .subscribe()
        .topic_arn(topic_arn)
        .protocol("sqs")
        .endpoint(queue_arn);
    for (k, v) in attributes {
        req = req.attributes(*k, *v);
    }
    req.send()
        .await
        .expect("subscribe")
        .subscription_arn
        .expect("subscription arn")
}

/// A message attribute of `data_type` holding the text `v`.
fn typed_attr(data_type: &str, v: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type(data_type)
        .string_value(v)
        .build()
        .expect("attribute")
}

fn string_attr(v: &str) -> MessageAttributeValue {
    typed_attr("String", v)
}

fn number_attr(v: &str) -> MessageAttributeValue {
    typed_attr("Number", v)
}

/// Receives until `n` messages arrived (or 5 s passed), deleting them.
async fn receive(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    n: usize,
) -> Vec<aws_sdk_sqs::types::Message> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut got = Vec::new();
    while got.len() < n && Instant::now() < deadline {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .expect("receive");
        for m in out.messages.unwrap_or_default() {
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

/// Asserts the queue stays empty for a moment (deliveries are asynchronous).
async fn assert_empty(sqs: &aws_sdk_sqs::Client, url: &str) {
    let out = sqs
        .receive_message()
        .queue_url(url)
        .wait_time_seconds(1)
        .send()
        .await
        .expect("receive");
    assert!(
        out.messages.unwrap_or_default().is_empty(),
        "{url} should be empty"
    );
}

fn body_json(m: &aws_sdk_sqs::types::Message) -> Value {
    serde_json::from_str(m.body.as_deref().unwrap_or("")).expect("envelope is JSON")
}

#[tokio::test]
async fn topics_attributes_listing_and_deletion() {
    let emu = Emulator::start().await;
    let sns = emu.sns();
    let arn = topic(&sns, "orders").await;
    assert_eq!(arn, "arn:aws:sns:us-east-1:000000000000:orders");
    // Idempotent for the same attributes.
    assert_eq!(topic(&sns, "orders").await, arn);

    let attrs = sns
        .get_topic_attributes()
        .topic_arn(&arn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attrs["TopicArn"], arn);
    assert_eq!(attrs["Owner"], "000000000000");
    assert_eq!(attrs["DisplayName"], "");
    assert_eq!(attrs["SubscriptionsConfirmed"], "0");
    assert_eq!(attrs["SubscriptionsPending"], "0");
    assert_eq!(attrs["SubscriptionsDeleted"], "0");
    assert!(!attrs.contains_key("FifoTopic"));
    let policy: Value = serde_json::from_str(&attrs["Policy"]).unwrap();
    assert_eq!(policy["Id"], "__default_policy_ID");
    assert_eq!(policy["Statement"][0]["Resource"], arn.as_str());
    assert_eq!(
        policy["Statement"][0]["Condition"]["StringEquals"]["AWS:SourceOwner"],
        "000000000000"
    );
    let edp: Value = serde_json::from_str(&attrs["EffectiveDeliveryPolicy"]).unwrap();
    assert_eq!(edp["http"]["defaultHealthyRetryPolicy"]["numRetries"], 3);

    sns.set_topic_attributes()
        .topic_arn(&arn)
        .attribute_name("DisplayName")
        .attribute_value("Orders")
        .send()
        .await
        .unwrap();
    let attrs = sns
        .get_topic_attributes()
        .topic_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(attrs.attributes.unwrap()["DisplayName"], "Orders");
    // Creating again with a different attribute value is refused.
    let again = sns
        .create_topic()
        .name("orders")
        .attributes("DisplayName", "Other")
        .send()
        .await;
    assert_eq!(
        error(again),
        "InvalidParameter: Invalid parameter: Attributes Reason: Topic already exists with different attributes"
    );
    assert_eq!(
        error(sns.create_topic().name("bad name").send().await),
        "InvalidParameter: Invalid parameter: Topic Name"
    );
    assert_eq!(
        error(
            sns.set_topic_attributes()
                .topic_arn(&arn)
                .attribute_name("Nope")
                .attribute_value("x")
                .send()
                .await
        ),
        "InvalidParameter: Invalid parameter: AttributeName"
    );
    let missing = sns
        .get_topic_attributes()
        .topic_arn("arn:aws:sns:us-east-1:000000000000:missing")
        .send()
        .await;
    assert_eq!(error(missing), "NotFound: Topic does not exist");
    assert_eq!(
        error(sns.get_topic_attributes().topic_arn("nonsense").send().await),
        "InvalidParameter: Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1"
    );

    // ListTopics pages by 100.
    for i in 0..120 {
        topic(&sns, &format!("t{i:03}")).await;
    }
    let first = sns.list_topics().send().await.unwrap();
    assert_eq!(first.topics.as_ref().unwrap().len(), 100);
    let token = first.next_token.expect("a second page");
    let second = sns.list_topics().next_token(token).send().await.unwrap();
    assert_eq!(second.topics.unwrap().len(), 21);
    assert!(second.next_token.is_none());

    sns.delete_topic().topic_arn(&arn).send().await.unwrap();
    // Deleting is idempotent.
    sns.delete_topic().topic_arn(&arn).send().await.unwrap();
    assert_eq!(
        code(sns.get_topic_attributes().topic_arn(&arn).send().await),
        "NotFound"
    );
}

#[tokio::test]
async fn fifo_topics_tags_and_permissions() {
    let emu = Emulator::start().await;
    let sns = emu.sns();
    let bad = sns
        .create_topic()
        .name("orders")
        .attributes("FifoTopic", "true")
        .send()
        .await;
    // source: AWS answers a FIFO topic without `.fifo` with the generic text
    // (awsdocs/aws-cloudformation-user-guide#860, cloudformation-coverage-roadmap#681).
    assert!(error(bad).contains("Invalid parameter: Topic Name"));
    let arn = sns
        .create_topic()
        .name("orders.fifo")
        .attributes("FifoTopic", "true")
        .attributes("ContentBasedDeduplication", "true")
        .tags(
            Tag::builder()
                .key("team")
                .value("payments")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let attrs = sns
        .get_topic_attributes()
        .topic_arn(&arn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attrs["FifoTopic"], "true");
    assert_eq!(attrs["ContentBasedDeduplication"], "true");
    let standard = topic(&sns, "plain").await;
    assert_eq!(
        code(
            sns.set_topic_attributes()
                .topic_arn(&standard)
                .attribute_name("ContentBasedDeduplication")
                .attribute_value("true")
                .send()
                .await
        ),
        "InvalidParameter"
    );

    // Tags.
    sns.tag_resource()
        .resource_arn(&arn)
        .tags(Tag::builder().key("env").value("test").build().unwrap())
        .send()
        .await
        .unwrap();
    let tags = sns
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap()
        .tags
        .unwrap();
    let tags: HashMap<_, _> = tags.iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(tags, HashMap::from([("team", "payments"), ("env", "test")]));
    sns.untag_resource()
        .resource_arn(&arn)
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let tags = sns
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags.unwrap().len(), 1);
    let missing = sns
        .list_tags_for_resource()
        .resource_arn("arn:aws:sns:us-east-1:000000000000:gone")
        .send()
        .await;
    assert_eq!(code(missing), "ResourceNotFound");
    let too_many = (0..51).fold(sns.tag_resource().resource_arn(&arn), |r, i| {
        r.tags(
            Tag::builder()
                .key(format!("k{i}"))
                .value("v")
                .build()
                .unwrap(),
        )
    });
    assert_eq!(code(too_many.send().await), "TagLimitExceeded");

    // Permissions become policy statements.
    sns.add_permission()
        .topic_arn(&standard)
        .label("cross")
        .aws_account_id("111122223333")
        .action_name("Publish")
        .send()
        .await
        .unwrap();
    let attrs = sns
        .get_topic_attributes()
        .topic_arn(&standard)
        .send()
        .await
        .unwrap();
    let policy: Value = serde_json::from_str(&attrs.attributes.unwrap()["Policy"]).unwrap();
    let statement = &policy["Statement"][1];
    assert_eq!(statement["Sid"], "cross");
    assert_eq!(
        statement["Principal"]["AWS"],
        "arn:aws:iam::111122223333:root"
    );
    assert_eq!(statement["Action"], "SNS:Publish");
    let dup = sns
        .add_permission()
        .topic_arn(&standard)
        .label("cross")
        .aws_account_id("111122223333")
        .action_name("Publish")
        .send()
        .await;
    assert_eq!(
        error(dup),
        "InvalidParameter: Invalid parameter: Statement already exists"
    );
    sns.remove_permission()
        .topic_arn(&standard)
        .label("cross")
        .send()
        .await
        .unwrap();
    let attrs = sns
        .get_topic_attributes()
        .topic_arn(&standard)
        .send()
        .await
        .unwrap();
    let policy: Value = serde_json::from_str(&attrs.attributes.unwrap()["Policy"]).unwrap();
    assert_eq!(policy["Statement"].as_array().unwrap().len(), 1);

    // Data protection policy is stored.
    sns.put_data_protection_policy()
        .resource_arn(&standard)
        .data_protection_policy(r#"{"Name":"p","Version":"2021-06-01","Statement":[]}"#)
        .send()
        .await
        .unwrap();
    let dpp = sns
        .get_data_protection_policy()
        .resource_arn(&standard)
        .send()
        .await
        .unwrap();
    assert!(dpp.data_protection_policy.unwrap().contains("2021-06-01"));
}

#[tokio::test]
async fn fan_out_with_filter_policies_in_both_scopes_and_raw_delivery() {
    let emu = Emulator::start().await;
    let (sns, sqs) = (emu.sns(), emu.sqs());
    let arn = topic(&sns, "orders").await;
    let (all_url, all_arn) = queue(&sqs, "all").await;
    let (eu_url, eu_arn) = queue(&sqs, "eu").await;
    let (big_url, big_arn) = queue(&sqs, "big").await;
    let (raw_url, raw_arn) = queue(&sqs, "raw").await;
    let all_sub = subscribe_queue(&sns, &arn, &all_arn, &[]).await;
    subscribe_queue(
        &sns,
        &arn,
        &eu_arn,
        &[(
            "FilterPolicy",
            r#"{"region": ["eu-west-1", {"prefix": "eu-"}]}"#,
        )],
    )
    .await;
    subscribe_queue(
        &sns,
        &arn,
        &big_arn,
        &[
            ("FilterPolicyScope", "MessageBody"),
            (
                "FilterPolicy",
                r#"{"order": {"total": [{"numeric": [">", 100]}]}}"#,
            ),
        ],
    )
    .await;
    subscribe_queue(
        &sns,
        &arn,
        &raw_arn,
        &[
            ("RawMessageDelivery", "true"),
            ("FilterPolicy", r#"{"amount": [{"numeric": [">=", 10]}]}"#),
        ],
    )
    .await;

    let publish = |body: &'static str, region: &'static str, amount: &'static str| {
        sns.publish()
            .topic_arn(&arn)
            .message(body)
            .subject("order placed")
            .message_attributes("region", string_attr(region))
            .message_attributes("amount", number_attr(amount))
            .send()
    };
    let m1 = publish(r#"{"order": {"total": 250}}"#, "eu-central-1", "5")
        .await
        .unwrap();
    publish(r#"{"order": {"total": 20}}"#, "us-east-1", "50")
        .await
        .unwrap();

    let all = receive(&sqs, &all_url, 2).await;
    assert_eq!(all.len(), 2);
    let eu = receive(&sqs, &eu_url, 1).await;
    assert_eq!(eu.len(), 1);
    assert_eq!(
        body_json(&eu[0])["MessageId"],
        m1.message_id.clone().unwrap().as_str()
    );
    let big = receive(&sqs, &big_url, 1).await;
    assert_eq!(big.len(), 1);
    assert_eq!(
        body_json(&big[0])["Message"],
        r#"{"order": {"total": 250}}"#
    );
    let raw = receive(&sqs, &raw_url, 1).await;
    assert_eq!(raw.len(), 1);
    assert_eq!(raw[0].body.as_deref(), Some(r#"{"order": {"total": 20}}"#));
    let attrs = raw[0].message_attributes.clone().unwrap();
    assert_eq!(attrs["amount"].data_type(), "Number");
    assert_eq!(attrs["amount"].string_value(), Some("50"));
    assert_eq!(attrs["region"].string_value(), Some("us-east-1"));
    for url in [&eu_url, &big_url, &raw_url] {
        assert_empty(&sqs, url).await;
    }

    // The envelope, field by field and in AWS's order.
    let first = all
        .iter()
        .find(|m| body_json(m)["MessageId"] == m1.message_id.clone().unwrap().as_str())
        .expect("first message delivered to the unfiltered queue");
    let text = first.body.clone().unwrap();
    assert!(
        text.starts_with("{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : \""),
        "{text}"
    );
    let envelope = body_json(first);
    let keys: Vec<&str> = envelope
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "Type",
            "MessageId",
            "TopicArn",
            "Subject",
            "Message",
            "Timestamp",
            "SignatureVersion",
            "Signature",
            "SigningCertURL",
            "UnsubscribeURL",
            "MessageAttributes"
        ]
    );
    assert_eq!(envelope["TopicArn"], arn.as_str());
    assert_eq!(envelope["Subject"], "order placed");
    assert_eq!(envelope["SignatureVersion"], "1");
    assert_eq!(
        envelope["UnsubscribeURL"],
        format!(
            "{}/?Action=Unsubscribe&SubscriptionArn={all_sub}",
            emu.endpoint_url()
        )
        .as_str()
    );
    assert_eq!(
        envelope["MessageAttributes"]["amount"],
        serde_json::json!({"Type": "Number", "Value": "5"})
    );
    let ts = envelope["Timestamp"].as_str().unwrap();
    assert!(regex_like_timestamp(ts), "{ts}");
    assert_eq!(
        first.attributes.as_ref().unwrap()[&MessageSystemAttributeName::SenderId],
        "AIDAIT2UOQQY3AUEKVGXU"
    );
    // The certificate is served where SigningCertURL points.
    let cert_url = envelope["SigningCertURL"].as_str().unwrap();
    let path = cert_url.trim_start_matches(&emu.endpoint_url());
    let (status, pem) = ferrybridge_tests::http_request(&emu.endpoint_url(), "GET", path).await;
    assert_eq!(status, 200);
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let signature = envelope["Signature"].as_str().unwrap();
    assert_eq!(signature.len(), 172, "a base64 RSA-1024 signature");

    // Unsubscribing through the UnsubscribeURL (a plain unsigned GET, as a mail client does).
    let unsubscribe = envelope["UnsubscribeURL"].as_str().unwrap();
    let (status, body) = ferrybridge_tests::http_request(
        &emu.endpoint_url(),
        "GET",
        unsubscribe.trim_start_matches(&emu.endpoint_url()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<UnsubscribeResponse"), "{body}");
    let attrs = sns
        .get_topic_attributes()
        .topic_arn(&arn)
        .send()
        .await
        .unwrap();
    let attrs = attrs.attributes.unwrap();
    assert_eq!(attrs["SubscriptionsConfirmed"], "3");
    assert_eq!(attrs["SubscriptionsDeleted"], "1");
    publish("{}", "eu-west-1", "1").await.unwrap();
    assert_eq!(receive(&sqs, &eu_url, 1).await.len(), 1);
    assert_empty(&sqs, &all_url).await;
}

fn regex_like_timestamp(ts: &str) -> bool {
    let b = ts.as_bytes();
    ts.len() == 24 && b[4] == b'-' && b[10] == b'T' && b[19] == b'.' && b[23] == b'Z'
}

#[tokio::test]
async fn message_structure_json_sends_each_protocol_its_message() {
    let emu = Emulator::start().await;
    let (sns, sqs) = (emu.sns(), emu.sqs());
    let arn = topic(&sns, "multi").await;
    let (url, qarn) = queue(&sqs, "q").await;
    let (raw_url, raw_arn) = queue(&sqs, "rawq").await;
    subscribe_queue(&sns, &arn, &qarn, &[]).await;
    subscribe_queue(&sns, &arn, &raw_arn, &[("RawMessageDelivery", "true")]).await;
    sns.subscribe()
        .topic_arn(&arn)
        .protocol("sms")
        .endpoint("+15550100")
        .send()
        .await
        .unwrap();
    sns.publish()
        .topic_arn(&arn)
        .message_structure("json")
        .message(r#"{"default": "hello", "sqs": "hello queue", "sms": "hi phone", "email": 5}"#)
        .message_attributes("k", string_attr("v"))
        .send()
        .await
        .unwrap();
    let got = receive(&sqs, &url, 1).await;
    let env = body_json(&got[0]);
    assert_eq!(env["Message"], "hello queue");
    // "Message attributes are sent only when the message structure is String, not JSON."
    assert!(env.get("MessageAttributes").is_none(), "{env}");
    let raw = receive(&sqs, &raw_url, 1).await;
    assert_eq!(raw[0].body.as_deref(), Some("hello queue"));
    assert!(raw[0].message_attributes.is_none());
    let sms = wait_for_recordings(&emu, "sms", 1).await;
    assert_eq!(sms[0]["message"], "hi phone");
    assert_eq!(sms[0]["endpoint"], "+15550100");

    for (message, expected) in [
        (
            "not json",
            "Invalid parameter: Message Structure - JSON message body failed to parse",
        ),
        (
            r#"{"sqs": "x"}"#,
            "Invalid parameter: Message Structure - No default entry in JSON message body",
        ),
    ] {
        let r = sns
            .publish()
            .topic_arn(&arn)
            .message_structure("json")
            .message(message)
            .send()
            .await;
        assert_eq!(error(r), format!("InvalidParameter: {expected}"));
    }
}

async fn wait_for_recordings(emu: &Emulator, protocol: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let got = emu
            .admin_get(&format!("/_ferrybridge/sns/messages?protocol={protocol}"))
            .await;
        let messages = got["messages"].as_array().cloned().unwrap_or_default();
        if messages.len() >= n || Instant::now() > deadline {
            return messages;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn fifo_topic_feeds_fifo_queue_in_order_with_deduplication() {
    let emu = Emulator::start().await;
    let (sns, sqs) = (emu.sns(), emu.sqs());
    let arn = sns
        .create_topic()
        .name("orders.fifo")
        .attributes("FifoTopic", "true")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let url = sqs
        .create_queue()
        .queue_name("orders.fifo")
        .attributes(QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let (std_url, std_arn) = queue(&sqs, "standard").await;
    subscribe_queue(
        &sns,
        &arn,
        "arn:aws:sqs:us-east-1:000000000000:orders.fifo",
        &[],
    )
    .await;
    subscribe_queue(&sns, &arn, &std_arn, &[("RawMessageDelivery", "true")]).await;

    // FIFO rules.
    let no_group = sns.publish().topic_arn(&arn).message("x").send().await;
    assert_eq!(
        error(no_group),
        "InvalidParameter: Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
    );
    let no_dedup = sns
        .publish()
        .topic_arn(&arn)
        .message("x")
        .message_group_id("g")
        .send()
        .await;
    assert_eq!(
        error(no_dedup),
        "InvalidParameter: Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
    );
    // HTTP cannot subscribe to a FIFO topic.
    let http = sns
        .subscribe()
        .topic_arn(&arn)
        .protocol("http")
        .endpoint("http://127.0.0.1:9/")
        .send()
        .await;
    assert_eq!(
        error(http),
        "InvalidParameter: Invalid parameter: Invalid protocol type: http"
    );

    // 4 groups published concurrently, 50 messages each in order within the group.
    let mut tasks = Vec::new();
    for g in 0..4 {
        let (sns, arn) = (sns.clone(), arn.clone());
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..50 {
                let out = sns
                    .publish()
                    .topic_arn(&arn)
                    .message(format!("g{g}-{i}"))
                    .message_group_id(format!("g{g}"))
                    .message_deduplication_id(format!("g{g}-{i}"))
                    .send()
                    .await
                    .unwrap();
                seqs.push(out.sequence_number.unwrap());
            }
            seqs
        }));
    }
    let mut all_seqs = Vec::new();
    for t in tasks {
        let seqs = t.await.unwrap();
        let mut sorted = seqs.clone();
        sorted.sort();
        assert_eq!(seqs, sorted, "sequence numbers grow within a group");
        all_seqs.extend(seqs);
    }
    all_seqs.sort();
    all_seqs.dedup();
    assert_eq!(all_seqs.len(), 200);
    assert_eq!(all_seqs[0].len(), 20);

    let got = receive(&sqs, &url, 200).await;
    assert_eq!(got.len(), 200);
    let mut per_group: HashMap<String, Vec<usize>> = HashMap::new();
    for m in &got {
        let env = body_json(m);
        assert!(
            env.get("Signature").is_none(),
            "FIFO notifications are not signed"
        );
        assert!(env["SequenceNumber"].is_string());
        let text = env["Message"].as_str().unwrap().to_owned();
        let (g, i) = text.split_once('-').unwrap();
        per_group
            .entry(g.to_owned())
            .or_default()
            .push(i.parse().unwrap());
        let attrs = m.attributes.as_ref().unwrap();
        assert_eq!(attrs[&MessageSystemAttributeName::MessageGroupId], g);
    }
    for (g, order) in per_group {
        assert_eq!(order, (0..50).collect::<Vec<_>>(), "group {g} in order");
    }
    assert_eq!(receive(&sqs, &std_url, 200).await.len(), 200);

    // Deduplication: the same id within five minutes answers the first message's id.
    let first = sns
        .publish()
        .topic_arn(&arn)
        .message("dup")
        .message_group_id("d")
        .message_deduplication_id("same")
        .send()
        .await
        .unwrap();
    let second = sns
        .publish()
        .topic_arn(&arn)
        .message("dup again")
        .message_group_id("d")
        .message_deduplication_id("same")
        .send()
        .await
        .unwrap();
    assert_eq!(first.message_id, second.message_id);
    assert_eq!(first.sequence_number, second.sequence_number);
    assert_eq!(receive(&sqs, &url, 1).await.len(), 1);
    assert_empty(&sqs, &url).await;
}

#[tokio::test]
async fn fifo_deduplication_window_is_five_minutes_on_the_clock() {
    let emu = Emulator::start_with_manual_clock().await;
    let (sns, sqs) = (emu.sns(), emu.sqs());
    let arn = sns
        .create_topic()
        .name("t.fifo")
        .attributes("FifoTopic", "true")
        .attributes("ContentBasedDeduplication", "true")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let url = sqs
        .create_queue()
        .queue_name("q.fifo")
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "true")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    subscribe_queue(
        &sns,
        &arn,
        "arn:aws:sqs:us-east-1:000000000000:q.fifo",
        &[("RawMessageDelivery", "true")],
    )
    .await;
    let publish = || {
        sns.publish()
            .topic_arn(&arn)
            .message("same body")
            .message_group_id("g")
            .send()
    };
    let a = publish().await.unwrap();
    emu.advance(Duration::from_secs(299));
    let b = publish().await.unwrap();
    assert_eq!(
        a.message_id, b.message_id,
        "content-based duplicate within 5 minutes"
    );
    emu.advance(Duration::from_secs(2));
    let c = publish().await.unwrap();
    assert_ne!(a.message_id, c.message_id, "a new message after the window");
    assert!(c.sequence_number > a.sequence_number);
    // The FIFO queue's own 5-minute window has passed too: both copies arrive.
    let got = receive(&sqs, &url, 2).await;
    assert_eq!(got.len(), 2);
}

#[tokio::test]
async fn publish_validation_errors() {
    let emu = Emulator::start().await;
    let sns = emu.sns();
    let arn = topic(&sns, "v").await;
    let with_attribute = |name: &'static str, value: MessageAttributeValue| {
        let publish = sns
            .publish()
            .topic_arn(&arn)
            .message("x")
            .message_attributes(name, value);
        async move { publish.send().await.map(|_| ()) }
    };
    let cases: Vec<(_, &str)> = vec![
        (
            sns.publish().message("x").send().await.map(|_| ()),
            "InvalidParameter: Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter",
        ),
        (
            sns.publish().topic_arn(&arn).message("").send().await.map(|_| ()),
            "InvalidParameter: Invalid parameter: Empty message",
        ),
        (
            sns.publish().topic_arn(&arn).message("x").subject("").send().await.map(|_| ()),
            "InvalidParameter: Invalid parameter: Subject",
        ),
        (
            sns.publish().topic_arn(&arn).message("x".repeat(262_145)).send().await.map(|_| ()),
            "InvalidParameter: Invalid parameter: Message too long",
        ),
        (
            sns.publish()
                .topic_arn("arn:aws:sns:us-east-1:000000000000:nope")
                .message("x")
                .send()
                .await
                .map(|_| ()),
            "NotFound: Topic does not exist",
        ),
        (
            sns.publish()
                .topic_arn(&arn)
                .message("x")
                .message_deduplication_id("d")
                .send()
                .await
                .map(|_| ()),
            "InvalidParameter: Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type",
        ),
        (
            with_attribute("n", number_attr("abc")).await,
            "ParameterValueInvalid: Could not cast message attribute 'n' value to number.",
        ),
        (
            with_attribute("t", typed_attr("Text", "v")).await,
            "ParameterValueInvalid: The message attribute 't' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.",
        ),
        (
            with_attribute(".a", string_attr("v")).await,
            "ParameterValueInvalid: Invalid message attribute name starting with character '.' was found.",
        ),
        (
            with_attribute("a..b", string_attr("v")).await,
            "ParameterValueInvalid: Message attribute name can not have successive '.' character.",
        ),
        (
            with_attribute("a b", string_attr("v")).await,
            "ParameterValueInvalid: Invalid non-alphanumeric character '#x20' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.",
        ),
        (
            with_attribute("s", typed_attr("String", "")).await,
            "ParameterValueInvalid: The message attribute 's' must contain non-empty message attribute value for message attribute type 'String'.",
        ),
        (
            sns.publish().phone_number("12ab").message("x").send().await.map(|_| ()),
            "InvalidParameter: Invalid parameter: PhoneNumber Reason: 12ab is not valid to publish to",
        ),
    ];
    for (result, expected) in cases {
        assert_eq!(error(result), expected);
    }
    // The 256 KiB limit counts attributes too; exactly at the limit is fine.
    sns.publish()
        .topic_arn(&arn)
        .message("x".repeat(262_144 - 8))
        .message_attributes("a", string_attr("b"))
        .send()
        .await
        .expect("exactly 256 KiB");
}

#[tokio::test]
async fn publish_batch_entries_and_limits() {
    let emu = Emulator::start().await;
    let (sns, sqs) = (emu.sns(), emu.sqs());
    let arn = topic(&sns, "batch").await;
    let (url, qarn) = queue(&sqs, "q").await;
    subscribe_queue(&sns, &arn, &qarn, &[("RawMessageDelivery", "true")]).await;
    let entry = |id: &str, msg: &str| {
        PublishBatchRequestEntry::builder()
            .id(id)
            .message(msg)
            .build()
            .unwrap()
    };
    let out = sns
        .publish_batch()
        .topic_arn(&arn)
        .publish_batch_request_entries(entry("a", "one"))
        .publish_batch_request_entries(entry("b", "two"))
        .publish_batch_request_entries(entry("c", ""))
        .send()
        .await
        .unwrap();
    let ok = out.successful.unwrap();
    assert_eq!(
        ok.iter().map(|e| e.id().unwrap()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    let failed = out.failed.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].id(), "c");
    assert_eq!(failed[0].code(), "InvalidParameter");
    assert_eq!(
        failed[0].message(),
        Some("Invalid parameter: Empty message")
    );
    assert!(failed[0].sender_fault());
    let mut bodies: Vec<String> = receive(&sqs, &url, 2)
        .await
        .into_iter()
        .map(|m| m.body.unwrap())
        .collect();
    bodies.sort();
    assert_eq!(bodies, ["one", "two"]);

    let eleven = (0..11).fold(sns.publish_batch().topic_arn(&arn), |r, i| {
        r.publish_batch_request_entries(entry(&format!("e{i}"), "m"))
    });
    assert_eq!(
        error(eleven.send().await),
        "TooManyEntriesInBatchRequest: The batch request contains more entries than permissible."
    );
    let dup = sns
        .publish_batch()
        .topic_arn(&arn)
        .publish_batch_request_entries(entry("x", "1"))
        .publish_batch_request_entries(entry("x", "2"))
        .send()
        .await;
    assert_eq!(
        error(dup),
        "BatchEntryIdsNotDistinct: Two or more batch entries in the request have the same Id."
    );
    let bad_id = sns
        .publish_batch()
        .topic_arn(&arn)
        .publish_batch_request_entries(entry("no spaces", "1"))
        .send()
        .await;
    assert_eq!(code(bad_id), "InvalidBatchEntryId");
    let long = sns
        .publish_batch()
        .topic_arn(&arn)
        .publish_batch_request_entries(entry("a", &"x".repeat(200_000)))
        .publish_batch_request_entries(entry("b", &"x".repeat(100_000)))
        .send()
        .await;
    assert_eq!(
        error(long),
        "BatchRequestTooLong: The length of all the messages put together is more than the limit."
    );
    let empty = sns
        .publish_batch()
        .topic_arn(&arn)
        .set_publish_batch_request_entries(Some(vec![]))
        .send()
        .await;
    assert_eq!(code(empty), "EmptyBatchRequest");
}

#[tokio::test]
async fn subscriptions_listing_attributes_and_confirmation_state() {
    let emu = Emulator::start().await;
    let (sns, sqs) = (emu.sns(), emu.sqs());
    let arn = topic(&sns, "subs").await;
    let (_, qarn) = queue(&sqs, "q").await;
    let sqs_sub = subscribe_queue(&sns, &arn, &qarn, &[]).await;
    assert!(sqs_sub.starts_with(&format!("{arn}:")));
    // Subscribing again is idempotent; with other attributes it is refused.
    assert_eq!(subscribe_queue(&sns, &arn, &qarn, &[]).await, sqs_sub);
    let different = sns
        .subscribe()
        .topic_arn(&arn)
        .protocol("sqs")
        .endpoint(&qarn)
        .attributes("RawMessageDelivery", "true")
        .send()
        .await;
    assert_eq!(
        error(different),
        "InvalidParameter: Invalid parameter: Attributes Reason: Subscription already exists with different attributes"
    );
    // Email waits for confirmation.
    let pending = sns
        .subscribe()
        .topic_arn(&arn)
        .protocol("email")
        .endpoint("ops@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(pending.subscription_arn(), Some("pending confirmation"));
    let with_arn = sns
        .subscribe()
        .topic_arn(&arn)
        .protocol("email-json")
        .endpoint("ops@example.com")
        .return_subscription_arn(true)
        .send()
        .await
        .unwrap()
        .subscription_arn
        .unwrap();
    let attrs = sns
        .get_subscription_attributes()
        .subscription_arn(&with_arn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attrs["PendingConfirmation"], "true");
    assert_eq!(attrs["Protocol"], "email-json");
    let topic_attrs = sns
        .get_topic_attributes()
        .topic_arn(&arn)
        .send()
        .await
        .unwrap();
    let topic_attrs = topic_attrs.attributes.unwrap();
    assert_eq!(topic_attrs["SubscriptionsConfirmed"], "1");
    assert_eq!(topic_attrs["SubscriptionsPending"], "2");

    // The confirmation email is recorded with its SubscribeURL; visiting it confirms.
    let mails = wait_for_recordings(&emu, "email-json", 1).await;
    let doc: Value = serde_json::from_str(mails[0]["message"].as_str().unwrap()).unwrap();
    assert_eq!(doc["Type"], "SubscriptionConfirmation");
    let url = doc["SubscribeURL"].as_str().unwrap();
    let (status, body) = ferrybridge_tests::http_request(
        &emu.endpoint_url(),
        "GET",
        url.trim_start_matches(&emu.endpoint_url()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&with_arn), "{body}");
    let attrs = sns
        .get_subscription_attributes()
        .subscription_arn(&with_arn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attrs["PendingConfirmation"], "false");
    assert_eq!(attrs["ConfirmationWasAuthenticated"], "false");
    let wrong_token = sns
        .confirm_subscription()
        .topic_arn(&arn)
        .token("0000")
        .send()
        .await;
    assert_eq!(
        error(wrong_token),
        "InvalidParameter: Invalid parameter: Token"
    );

    // Listings show pending subscriptions as "PendingConfirmation".
    let listed = sns
        .list_subscriptions_by_topic()
        .topic_arn(&arn)
        .send()
        .await
        .unwrap();
    let arns: Vec<&str> = listed
        .subscriptions()
        .iter()
        .map(|s| s.subscription_arn().unwrap())
        .collect();
    assert_eq!(
        arns,
        [sqs_sub.as_str(), "PendingConfirmation", with_arn.as_str()]
    );
    assert_eq!(
        sns.list_subscriptions()
            .send()
            .await
            .unwrap()
            .subscriptions()
            .len(),
        3
    );

    // Attributes.
    sns.set_subscription_attributes()
        .subscription_arn(&sqs_sub)
        .attribute_name("FilterPolicy")
        .attribute_value(r#"{"a": ["b"]}"#)
        .send()
        .await
        .unwrap();
    let attrs = sns
        .get_subscription_attributes()
        .subscription_arn(&sqs_sub)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attrs["FilterPolicy"], r#"{"a": ["b"]}"#);
    assert_eq!(attrs["FilterPolicyScope"], "MessageAttributes");
    assert_eq!(attrs["RawMessageDelivery"], "false");
    assert_eq!(attrs["Owner"], "000000000000");
    let set = |name: &'static str, value: &'static str| {
        sns.set_subscription_attributes()
            .subscription_arn(&sqs_sub)
            .attribute_name(name)
            .attribute_value(value)
            .send()
    };
    assert_eq!(
        error(set("FilterPolicyScope", "Body").await),
        "InvalidParameter: Invalid parameter: FilterPolicyScope: Invalid value [Body]. Please use either MessageBody or MessageAttributes"
    );
    assert_eq!(
        error(set("RawMessageDelivery", "yes").await),
        "InvalidParameter: Invalid parameter: RawMessageDelivery: Invalid value [yes]. Must be true or false."
    );
    assert_eq!(
        error(set("Bogus", "1").await),
        "InvalidParameter: Invalid parameter: AttributeName"
    );
    assert!(error(set("FilterPolicy", r#"{"a": "b"}"#).await)
        .starts_with("InvalidParameter: Invalid parameter: FilterPolicy: "));
    // A nested policy is only valid in the MessageBody scope.
    assert_eq!(
        error(set("FilterPolicy", r#"{"a": {"b": ["c"]}}"#).await),
        "InvalidParameter: Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"
    );
    set("FilterPolicyScope", "MessageBody").await.unwrap();
    set("FilterPolicy", r#"{"a": {"b": ["c"]}}"#).await.unwrap();
    let email_raw = sns
        .set_subscription_attributes()
        .subscription_arn(&with_arn)
        .attribute_name("RawMessageDelivery")
        .attribute_value("true")
        .send()
        .await;
    assert_eq!(
        error(email_raw),
        "InvalidParameter: Invalid parameter: Delivery protocol [email-json] does not support raw message delivery."
    );

    // Subscribe validation.
    let cases = [
        ("smoke", "x", "InvalidParameter: Invalid parameter: Amazon SNS does not support this protocol string: smoke"),
        ("sqs", "not-an-arn", "InvalidParameter: Invalid parameter: SQS endpoint ARN"),
        ("http", "https://example.com", "InvalidParameter: Invalid parameter: Endpoint must match the specified protocol"),
        ("sqs", "arn:aws:sqs:us-east-1:000000000000:q.fifo", "InvalidParameter: Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics"),
    ];
    for (protocol, endpoint, expected) in cases {
        let r = sns
            .subscribe()
            .topic_arn(&arn)
            .protocol(protocol)
            .endpoint(endpoint)
            .send()
            .await;
        assert_eq!(error(r), expected);
    }

    // Unsubscribe, idempotently; then the subscription is gone.
    sns.unsubscribe()
        .subscription_arn(&sqs_sub)
        .send()
        .await
        .unwrap();
    sns.unsubscribe()
        .subscription_arn(&sqs_sub)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error(
            sns.get_subscription_attributes()
                .subscription_arn(&sqs_sub)
                .send()
                .await
        ),
        "NotFound: Subscription does not exist"
    );
    // Deleting the topic deletes its subscriptions.
    sns.delete_topic().topic_arn(&arn).send().await.unwrap();
    assert_eq!(
        code(
            sns.get_subscription_attributes()
                .subscription_arn(&with_arn)
                .send()
                .await
        ),
        "NotFound"
    );
    assert!(sns
        .list_subscriptions()
        .send()
        .await
        .unwrap()
        .subscriptions()
        .is_empty());
}

#[tokio::test]
async fn undeliverable_sqs_messages_go_to_the_subscription_dlq() {
    let emu = Emulator::start().await;
    let (sns, sqs) = (emu.sns(), emu.sqs());
    let arn = topic(&sns, "t").await;
    let (dlq_url, dlq_arn) = queue(&sqs, "dlq").await;
    let (gone_url, gone_arn) = queue(&sqs, "gone").await;
    let policy = format!(r#"{{"deadLetterTargetArn": "{dlq_arn}"}}"#);
    let sub = subscribe_queue(&sns, &arn, &gone_arn, &[("RedrivePolicy", &policy)]).await;
    let attrs = sns
        .get_subscription_attributes()
        .subscription_arn(&sub)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attrs["RedrivePolicy"], policy);
    sqs.delete_queue()
        .queue_url(&gone_url)
        .send()
        .await
        .unwrap();
    let published = sns
        .publish()
        .topic_arn(&arn)
        .message("lost")
        .send()
        .await
        .unwrap();
    let got = receive(&sqs, &dlq_url, 1).await;
    assert_eq!(got.len(), 1);
    let env = body_json(&got[0]);
    assert_eq!(env["Message"], "lost");
    assert_eq!(env["MessageId"], published.message_id.unwrap().as_str());
    let attrs = got[0].message_attributes.clone().unwrap();
    assert_eq!(
        attrs["ErrorCode"].string_value(),
        Some("AWS.SimpleQueueService.NonExistentQueue")
    );
    assert!(attrs.contains_key("ErrorMessage"));
    assert!(attrs.contains_key("RequestID"));
    // A raw delivery into SQS carries at most 10 attributes; more is a client-side failure.
    let (_, raw_arn) = queue(&sqs, "raw").await;
    let raw_sub = subscribe_queue(
        &sns,
        &arn,
        &raw_arn,
        &[("RawMessageDelivery", "true"), ("RedrivePolicy", &policy)],
    )
    .await;
    sns.unsubscribe()
        .subscription_arn(&sub)
        .send()
        .await
        .unwrap();
    let eleven = (0..11).fold(sns.publish().topic_arn(&arn).message("crowded"), |r, i| {
        r.message_attributes(format!("a{i}"), string_attr("v"))
    });
    eleven.send().await.unwrap();
    let got = receive(&sqs, &dlq_url, 1).await;
    assert_eq!(got[0].body.as_deref(), Some("crowded"));
    let attrs = got[0].message_attributes.clone().unwrap();
    assert_eq!(
        attrs["ErrorMessage"].string_value(),
        Some("Number of message attributes [11] exceeds the allowed maximum [10].")
    );
    let bad = sns
        .set_subscription_attributes()
        .subscription_arn(&raw_sub)
        .attribute_name("RedrivePolicy")
        .attribute_value(r#"{"deadLetterTargetArn": "nope"}"#)
        .send()
        .await;
    assert_eq!(
        error(bad),
        "InvalidParameter: Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn"
    );
}

#[tokio::test]
async fn unreachable_endpoints_are_recorded_for_inspection() {
    let emu = Emulator::start().await;
    let sns = emu.sns();
    let arn = topic(&sns, "alerts").await;
    for (protocol, endpoint) in [
        ("sms", "+15550123"),
        ("lambda", "arn:aws:lambda:us-east-1:000000000000:function:f"),
        (
            "firehose",
            "arn:aws:firehose:us-east-1:000000000000:deliverystream/s",
        ),
    ] {
        let mut req = sns
            .subscribe()
            .topic_arn(&arn)
            .protocol(protocol)
            .endpoint(endpoint);
        if protocol == "firehose" {
            req = req.attributes("SubscriptionRoleArn", "arn:aws:iam::000000000000:role/r");
        }
        req.send().await.unwrap();
    }
    let out = sns
        .publish()
        .topic_arn(&arn)
        .message("disk full")
        .subject("alert")
        .message_attributes("severity", string_attr("high"))
        .send()
        .await
        .unwrap();
    sns.publish()
        .phone_number("+15550199")
        .message("direct")
        .send()
        .await
        .unwrap();
    let mut sms = wait_for_recordings(&emu, "sms", 2).await;
    assert_eq!(sms.len(), 2);
    // The direct SMS is recorded at once, the topic's on a delivery task: order by endpoint.
    sms.sort_by_key(|m| m["endpoint"].as_str().unwrap_or("").to_owned());
    assert_eq!(sms[0]["message"], "disk full");
    assert_eq!(
        sms[0]["messageId"],
        out.message_id.clone().unwrap().as_str()
    );
    assert_eq!(sms[0]["topicArn"], arn.as_str());
    assert_eq!(sms[0]["messageAttributes"]["severity"]["Value"], "high");
    assert_eq!(sms[1]["endpoint"], "+15550199");
    assert_eq!(sms[1]["message"], "direct");
    let lambda = wait_for_recordings(&emu, "lambda", 1).await;
    let event: Value = serde_json::from_str(lambda[0]["message"].as_str().unwrap()).unwrap();
    let record = &event["Records"][0];
    assert_eq!(record["EventSource"], "aws:sns");
    assert_eq!(record["Sns"]["Message"], "disk full");
    assert_eq!(record["Sns"]["Subject"], "alert");
    assert!(record["Sns"]["SigningCertUrl"].is_string());
    assert_eq!(
        record["Sns"]["MessageAttributes"]["severity"]["Type"],
        "String"
    );
    let firehose = wait_for_recordings(&emu, "firehose", 1).await;
    assert_eq!(firehose.len(), 1);

    let cleared = emu
        .admin_delete("/_ferrybridge/sns/messages?protocol=sms")
        .await;
    assert_eq!(cleared["cleared"], 2);
    assert!(wait_for_recordings(&emu, "sms", 0).await.is_empty());
    assert_eq!(wait_for_recordings(&emu, "lambda", 1).await.len(), 1);
}

#[tokio::test]
async fn mobile_push_and_sms_operations_keep_state() {
    let emu = Emulator::start().await;
    let sns = emu.sns();
    let app = sns
        .create_platform_application()
        .name("app")
        .platform("GCM")
        .attributes("PlatformCredential", "server-key")
        .send()
        .await
        .unwrap()
        .platform_application_arn
        .unwrap();
    assert_eq!(app, "arn:aws:sns:us-east-1:000000000000:app/GCM/app");
    let bad_platform = sns
        .create_platform_application()
        .name("app")
        .platform("PIGEON")
        .attributes("PlatformCredential", "k")
        .send()
        .await;
    assert_eq!(
        error(bad_platform),
        "InvalidParameter: Invalid parameter: Platform Reason: PIGEON is not supported"
    );
    let listed = sns.list_platform_applications().send().await.unwrap();
    assert_eq!(listed.platform_applications().len(), 1);
    let endpoint = sns
        .create_platform_endpoint()
        .platform_application_arn(&app)
        .token("device-token")
        .custom_user_data("user-1")
        .send()
        .await
        .unwrap()
        .endpoint_arn
        .unwrap();
    assert!(endpoint.starts_with("arn:aws:sns:us-east-1:000000000000:endpoint/GCM/app/"));
    // Same token, same attributes: the same endpoint.
    let again = sns
        .create_platform_endpoint()
        .platform_application_arn(&app)
        .token("device-token")
        .custom_user_data("user-1")
        .send()
        .await
        .unwrap();
    assert_eq!(again.endpoint_arn.unwrap(), endpoint);
    let attrs = sns
        .get_endpoint_attributes()
        .endpoint_arn(&endpoint)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attrs["Enabled"], "true");
    assert_eq!(attrs["Token"], "device-token");
    assert_eq!(attrs["CustomUserData"], "user-1");
    sns.publish()
        .target_arn(&endpoint)
        .message_structure("json")
        .message(r#"{"GCM": "{\"data\":{\"k\":\"v\"}}"}"#)
        .send()
        .await
        .unwrap();
    let pushed = wait_for_recordings(&emu, "application", 1).await;
    assert_eq!(pushed[0]["endpoint"], endpoint.as_str());
    assert_eq!(pushed[0]["message"], r#"{"data":{"k":"v"}}"#);
    sns.set_endpoint_attributes()
        .endpoint_arn(&endpoint)
        .attributes("Enabled", "false")
        .send()
        .await
        .unwrap();
    let disabled = sns
        .publish()
        .target_arn(&endpoint)
        .message("m")
        .send()
        .await;
    assert_eq!(error(disabled), "EndpointDisabled: Endpoint is disabled");
    let eps = sns
        .list_endpoints_by_platform_application()
        .platform_application_arn(&app)
        .send()
        .await
        .unwrap();
    assert_eq!(eps.endpoints().len(), 1);
    sns.delete_endpoint()
        .endpoint_arn(&endpoint)
        .send()
        .await
        .unwrap();
    sns.delete_platform_application()
        .platform_application_arn(&app)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error(
            sns.get_platform_application_attributes()
                .platform_application_arn(&app)
                .send()
                .await
        ),
        "NotFound: PlatformApplication does not exist"
    );

    // SMS settings and opt-outs.
    sns.set_sms_attributes()
        .attributes("DefaultSMSType", "Transactional")
        .send()
        .await
        .unwrap();
    let attrs = sns
        .get_sms_attributes()
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attrs["DefaultSMSType"], "Transactional");
    assert_eq!(attrs["MonthlySpendLimit"], "1");
    let bad = sns
        .set_sms_attributes()
        .attributes("DefaultSMSType", "Spam")
        .send()
        .await;
    assert_eq!(code(bad), "InvalidParameter");
    let opted = sns
        .check_if_phone_number_is_opted_out()
        .phone_number("+15550100")
        .send()
        .await
        .unwrap();
    assert!(!opted.is_opted_out);
    emu.admin_request_post("/_ferrybridge/sns/opt-out?phoneNumber=%2B15550100")
        .await;
    let opted = sns
        .check_if_phone_number_is_opted_out()
        .phone_number("+15550100")
        .send()
        .await
        .unwrap();
    assert!(opted.is_opted_out);
    let list = sns.list_phone_numbers_opted_out().send().await.unwrap();
    assert_eq!(list.phone_numbers(), ["+15550100"]);
    sns.opt_in_phone_number()
        .phone_number("+15550100")
        .send()
        .await
        .unwrap();
    assert!(sns
        .list_phone_numbers_opted_out()
        .send()
        .await
        .unwrap()
        .phone_numbers()
        .is_empty());

    // The SMS sandbox: the one-time password is "sent" (recorded) and verifies the number.
    sns.create_sms_sandbox_phone_number()
        .phone_number("+15550111")
        .send()
        .await
        .unwrap();
    let sms = wait_for_recordings(&emu, "sms", 1).await;
    let otp = sms[0]["message"]
        .as_str()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_owned();
    let wrong = sns
        .verify_sms_sandbox_phone_number()
        .phone_number("+15550111")
        .one_time_password("000000x")
        .send()
        .await;
    assert!(wrong.is_err());
    sns.verify_sms_sandbox_phone_number()
        .phone_number("+15550111")
        .one_time_password(otp)
        .send()
        .await
        .unwrap();
    let numbers = sns.list_sms_sandbox_phone_numbers().send().await.unwrap();
    assert_eq!(
        numbers.phone_numbers()[0].status().unwrap().as_str(),
        "Verified"
    );
}

#[tokio::test]
async fn cross_account_topic_delivers_to_another_accounts_queue() {
    let emu = Emulator::start().await;
    let owner = emu.sns_as("111111111111", "us-east-1");
    let other_sqs = emu.sqs_as("222222222222", "us-east-1");
    let other_sns = emu.sns_as("222222222222", "us-east-1");
    let arn = topic(&owner, "shared").await;
    let url = ferrybridge_tests::create_queue(&other_sqs, "inbox").await;
    // The default topic policy admits the owner account only: as on AWS, the other account
    // needs a grant to subscribe and publish.
    let refused = other_sns
        .publish()
        .topic_arn(&arn)
        .message("not yet")
        .send()
        .await;
    assert_eq!(
        error(refused),
        format!("AuthorizationError: User: arn:aws:iam::222222222222:root is not authorized to perform: SNS:Publish on resource: {arn} because no resource-based policy allows the SNS:Publish action")
    );
    owner
        .add_permission()
        .topic_arn(&arn)
        .label("other-account")
        .aws_account_id("222222222222")
        .action_name("Subscribe")
        .action_name("Publish")
        .send()
        .await
        .unwrap();
    other_sns
        .subscribe()
        .topic_arn(&arn)
        .protocol("sqs")
        .endpoint("arn:aws:sqs:us-east-1:222222222222:inbox")
        .send()
        .await
        .unwrap();
    other_sns
        .publish()
        .topic_arn(&arn)
        .message("hi")
        .send()
        .await
        .unwrap();
    let got = receive(&other_sqs, &url, 1).await;
    assert_eq!(body_json(&got[0])["TopicArn"], arn.as_str());
    // ListSubscriptions lists the requester's own subscriptions, on any account's topic.
    let mine = other_sns.list_subscriptions().send().await.unwrap();
    assert_eq!(mine.subscriptions()[0].topic_arn(), Some(arn.as_str()));
    assert_eq!(mine.subscriptions()[0].owner(), Some("222222222222"));
    assert!(owner
        .list_subscriptions()
        .send()
        .await
        .unwrap()
        .subscriptions()
        .is_empty());
    // Topics live in their region.
    let west = emu.sns_as("111111111111", "us-west-2");
    assert_eq!(
        error(west.publish().topic_arn(&arn).message("x").send().await),
        "InvalidParameter: Invalid parameter: TopicArn"
    );
}

#[tokio::test]
async fn http_subscription_is_confirmed_then_receives_notifications() {
    let emu = Emulator::start().await;
    let sns = emu.sns();
    let arn = topic(&sns, "web").await;
    let mut ep = endpoint(200).await;
    let pending = sns
        .subscribe()
        .topic_arn(&arn)
        .protocol("http")
        .endpoint(&ep.url)
        .send()
        .await
        .unwrap();
    assert_eq!(pending.subscription_arn(), Some("pending confirmation"));

    let confirmation = ep.next("SubscriptionConfirmation").await;
    assert_eq!(confirmation.headers["x-amz-sns-topic-arn"], arn);
    assert!(!confirmation
        .headers
        .contains_key("x-amz-sns-subscription-arn"));
    assert_eq!(
        confirmation.headers["user-agent"],
        "Amazon Simple Notification Service Agent"
    );
    assert!(confirmation
        .body
        .starts_with("{\n  \"Type\" : \"SubscriptionConfirmation\",\n"));
    let doc: Value = serde_json::from_str(&confirmation.body).unwrap();
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "Type",
            "MessageId",
            "Token",
            "TopicArn",
            "Message",
            "SubscribeURL",
            "Timestamp",
            "SignatureVersion",
            "Signature",
            "SigningCertURL"
        ]
    );
    assert_eq!(
        confirmation.headers["x-amz-sns-message-id"],
        doc["MessageId"].as_str().unwrap()
    );
    assert_eq!(doc["Token"].as_str().unwrap().len(), 288);
    assert_eq!(
        doc["Message"],
        format!("You have chosen to subscribe to the topic {arn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.").as_str()
    );
    // Nothing is delivered before the endpoint confirms.
    sns.publish()
        .topic_arn(&arn)
        .message("early")
        .send()
        .await
        .unwrap();
    ep.none("Notification", Duration::from_millis(300)).await;

    // Confirm with the token, as an SDK would.
    let confirmed = sns
        .confirm_subscription()
        .topic_arn(&arn)
        .token(doc["Token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .subscription_arn
        .unwrap();
    let attrs = sns
        .get_subscription_attributes()
        .subscription_arn(&confirmed)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attrs["PendingConfirmation"], "false");
    assert_eq!(attrs["ConfirmationWasAuthenticated"], "true");
    let effective: Value = serde_json::from_str(&attrs["EffectiveDeliveryPolicy"]).unwrap();
    assert_eq!(effective["healthyRetryPolicy"]["numRetries"], 3);

    let out = sns
        .publish()
        .topic_arn(&arn)
        .message("hello web")
        .subject("greeting")
        .message_attributes("k", string_attr("v"))
        .send()
        .await
        .unwrap();
    let n = ep.next("Notification").await;
    assert_eq!(
        n.headers["x-amz-sns-message-id"],
        out.message_id.clone().unwrap()
    );
    assert_eq!(n.headers["x-amz-sns-topic-arn"], arn);
    assert_eq!(n.headers["x-amz-sns-subscription-arn"], confirmed);
    assert_eq!(n.headers["content-type"], "text/plain; charset=UTF-8");
    let body: Value = serde_json::from_str(&n.body).unwrap();
    assert_eq!(body["Message"], "hello web");
    assert_eq!(body["Subject"], "greeting");
    assert_eq!(body["MessageAttributes"]["k"]["Value"], "v");

    // Raw delivery, and a request policy's Content-Type.
    sns.set_subscription_attributes()
        .subscription_arn(&confirmed)
        .attribute_name("RawMessageDelivery")
        .attribute_value("true")
        .send()
        .await
        .unwrap();
    sns.set_subscription_attributes()
        .subscription_arn(&confirmed)
        .attribute_name("DeliveryPolicy")
        .attribute_value(r#"{"requestPolicy": {"headerContentType": "application/json"}}"#)
        .send()
        .await
        .unwrap();
    sns.publish()
        .topic_arn(&arn)
        .message(r#"{"raw": true}"#)
        .send()
        .await
        .unwrap();
    let n = ep.next("Notification").await;
    assert_eq!(n.body, r#"{"raw": true}"#);
    assert_eq!(n.headers["x-amz-sns-rawdelivery"], "true");
    assert_eq!(n.headers["content-type"], "application/json");
    let bad_policy = sns
        .set_subscription_attributes()
        .subscription_arn(&confirmed)
        .attribute_name("DeliveryPolicy")
        .attribute_value(r#"{"healthyRetryPolicy": {"numRetries": 101, "minDelayTarget": 1, "maxDelayTarget": 1}}"#)
        .send()
        .await;
    assert!(error(bad_policy).starts_with("InvalidParameter: Invalid parameter: DeliveryPolicy: "));

    // Unsubscribing sends an UnsubscribeConfirmation whose SubscribeURL restores the subscription.
    sns.unsubscribe()
        .subscription_arn(&confirmed)
        .send()
        .await
        .unwrap();
    let bye = ep.next("UnsubscribeConfirmation").await;
    assert_eq!(bye.headers["x-amz-sns-subscription-arn"], confirmed);
    let doc: Value = serde_json::from_str(&bye.body).unwrap();
    assert_eq!(
        doc["Message"],
        format!("You have chosen to deactivate subscription {confirmed}.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.").as_str()
    );
    assert_eq!(
        code(
            sns.get_subscription_attributes()
                .subscription_arn(&confirmed)
                .send()
                .await
        ),
        "NotFound"
    );
    let url = doc["SubscribeURL"].as_str().unwrap();
    let (status, body) = ferrybridge_tests::http_request(
        &emu.endpoint_url(),
        "GET",
        url.trim_start_matches(&emu.endpoint_url()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&confirmed), "{body}");
    sns.publish()
        .topic_arn(&arn)
        .message("welcome back")
        .send()
        .await
        .unwrap();
    assert_eq!(ep.next("Notification").await.body, "welcome back");
}

#[tokio::test]
async fn http_retries_follow_the_delivery_policy_on_the_clock_then_reach_the_dlq() {
    let emu = Emulator::start_with_manual_clock().await;
    let (sns, sqs) = (emu.sns(), emu.sqs());
    let arn = topic(&sns, "flaky").await;
    let (dlq_url, dlq_arn) = queue(&sqs, "dlq").await;
    let mut ep = endpoint(503).await;
    let policy = r#"{"healthyRetryPolicy": {"minDelayTarget": 10, "maxDelayTarget": 10, "numRetries": 2, "numNoDelayRetries": 0, "numMinDelayRetries": 0, "numMaxDelayRetries": 0, "backoffFunction": "linear"}}"#;
    sns.subscribe()
        .topic_arn(&arn)
        .protocol("http")
        .endpoint(&ep.url)
        .attributes("DeliveryPolicy", policy)
        .attributes(
            "RedrivePolicy",
            format!(r#"{{"deadLetterTargetArn": "{dlq_arn}"}}"#),
        )
        .send()
        .await
        .unwrap();
    let confirmation = ep.next("SubscriptionConfirmation").await;
    let doc: Value = serde_json::from_str(&confirmation.body).unwrap();
    // The endpoint failed, but its owner confirms out of band through the SubscribeURL.
    let url = doc["SubscribeURL"].as_str().unwrap();
    let (status, _) = ferrybridge_tests::http_request(
        &emu.endpoint_url(),
        "GET",
        url.trim_start_matches(&emu.endpoint_url()),
    )
    .await;
    assert_eq!(status, 200);

    sns.publish()
        .topic_arn(&arn)
        .message("retry me")
        .send()
        .await
        .unwrap();
    ep.next("Notification").await;
    // The retries wait for the clock: nothing more until 10 s have passed.
    ep.none("Notification", Duration::from_millis(200)).await;
    emu.advance(Duration::from_secs(10));
    ep.next("Notification").await;
    ep.none("Notification", Duration::from_millis(200)).await;
    emu.advance(Duration::from_secs(10));
    let last = ep.next("Notification").await;
    assert_eq!(
        serde_json::from_str::<Value>(&last.body).unwrap()["Message"],
        "retry me"
    );
    emu.advance(Duration::from_secs(60));
    ep.none("Notification", Duration::from_millis(200)).await;

    // Three attempts failed: the message is in the DLQ, with the reason.
    let deadline = Instant::now() + Duration::from_secs(5);
    let message = loop {
        let out = sqs
            .receive_message()
            .queue_url(&dlq_url)
            .message_attribute_names("All")
            .send()
            .await
            .unwrap();
        if let Some(m) = out.messages.unwrap_or_default().into_iter().next() {
            break m;
        }
        assert!(Instant::now() < deadline, "nothing reached the DLQ");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(body_json(&message)["Message"], "retry me");
    let attrs = message.message_attributes.unwrap();
    assert_eq!(attrs["ErrorCode"].string_value(), Some("EndpointError"));
    assert!(attrs["ErrorMessage"]
        .string_value()
        .unwrap()
        .contains("503"));
}

/// source: LocalStack's AWS-validated SNS snapshots (test_create_subscriptions_with_attributes:
/// `SubscriptionPrincipal`; test_subscription_paging: an opaque base64 `NextToken`) and
/// test_subscribe_idempotency ("Subscription already exists with different attributes").
#[tokio::test]
async fn subscription_principal_idempotent_subscribe_and_opaque_tokens() {
    use base64::Engine as _;
    let emu = Emulator::start().await;
    let (sns, sqs) = (emu.sns(), emu.sqs());
    let arn = topic(&sns, "principal").await;
    let (_, queue_arn) = queue(&sqs, "principal-q").await;
    let sub = subscribe_queue(&sns, &arn, &queue_arn, &[("RawMessageDelivery", "true")]).await;
    let attrs = sns
        .get_subscription_attributes()
        .subscription_arn(&sub)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(
        attrs["SubscriptionPrincipal"],
        "arn:aws:iam::000000000000:root"
    );
    // The same endpoint with the same (or no) attributes is the same subscription.
    assert_eq!(subscribe_queue(&sns, &arn, &queue_arn, &[]).await, sub);
    let different = sns
        .subscribe()
        .topic_arn(&arn)
        .protocol("sqs")
        .endpoint(&queue_arn)
        .attributes("RawMessageDelivery", "false")
        .send()
        .await;
    assert_eq!(
        error(different),
        "InvalidParameter: Invalid parameter: Attributes Reason: Subscription already exists with different attributes"
    );

    for i in 0..101 {
        sns.subscribe()
            .topic_arn(&arn)
            .protocol("sms")
            .endpoint(format!("+1555010{i:04}"))
            .send()
            .await
            .unwrap();
    }
    let first = sns
        .list_subscriptions_by_topic()
        .topic_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(first.subscriptions.unwrap().len(), 100);
    let token = first.next_token.expect("a second page");
    assert!(token.parse::<u64>().is_err(), "{token}");
    assert!(base64::engine::general_purpose::STANDARD
        .decode(&token)
        .is_ok());
    let second = sns
        .list_subscriptions_by_topic()
        .topic_arn(&arn)
        .next_token(token)
        .send()
        .await
        .unwrap();
    assert_eq!(second.subscriptions.unwrap().len(), 2);
    assert!(second.next_token.is_none());
}
