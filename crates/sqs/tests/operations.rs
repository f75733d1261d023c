//! SQS operations called the way the server calls them: `Sqs::handle` with JSON input.

use std::sync::Arc;
use std::time::Duration;

use ferrybridge_engine::clock::ManualClock;
use ferrybridge_engine::sqs::SqsEngine;
use ferrybridge_protocol::{RequestContext, ServiceError};
use ferrybridge_sqs::Sqs;
use serde_json::{json, Value};

struct Fixture {
    sqs: Sqs,
    clock: Arc<ManualClock>,
    ctx: RequestContext,
}

fn fixture() -> Fixture {
    let clock = Arc::new(ManualClock::default());
    let engine = Arc::new(SqsEngine::new(clock.clone()));
    Fixture {
        sqs: Sqs::new(engine),
        clock,
        ctx: RequestContext {
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            host: "localhost:4566".into(),
            request_id: "req-1".into(),
            caller_arn: "arn:aws:iam::000000000000:root".into(),
            trace_header: None,
        },
    }
}

impl Fixture {
    async fn call(&self, op: &str, input: Value) -> Result<Value, ServiceError> {
        self.sqs.handle(&self.ctx, op, input).await
    }

    async fn ok(&self, op: &str, input: Value) -> Value {
        match self.call(op, input).await {
            Ok(v) => v,
            Err(e) => panic!("{op} failed: {e}"),
        }
    }

    async fn err(&self, op: &str, input: Value) -> ServiceError {
        match self.call(op, input).await {
            Ok(v) => panic!("{op} unexpectedly succeeded: {v}"),
            Err(e) => e,
        }
    }

    async fn queue(&self, name: &str) -> String {
        let out = self.ok("CreateQueue", json!({ "QueueName": name })).await;
        out["QueueUrl"].as_str().unwrap().to_string()
    }
}

#[tokio::test]
async fn create_get_list_delete_queue() {
    let f = fixture();
    let url = f.queue("orders").await;
    assert_eq!(url, "http://localhost:4566/000000000000/orders");
    let again = f
        .ok(
            "CreateQueue",
            json!({ "QueueName": "orders", "Attributes": {} }),
        )
        .await;
    assert_eq!(again["QueueUrl"], url);
    let got = f.ok("GetQueueUrl", json!({ "QueueName": "orders" })).await;
    assert_eq!(got["QueueUrl"], url);
    f.queue("payments").await;
    let list = f.ok("ListQueues", json!({})).await;
    assert_eq!(
        list,
        json!({ "QueueUrls": [url.clone(), "http://localhost:4566/000000000000/payments"] })
    );
    let list = f
        .ok("ListQueues", json!({ "QueueNamePrefix": "pay" }))
        .await;
    assert_eq!(list["QueueUrls"].as_array().unwrap().len(), 1);
    f.ok("DeleteQueue", json!({ "QueueUrl": url })).await;
    let e = f.err("GetQueueUrl", json!({ "QueueName": "orders" })).await;
    assert_eq!(e.code, "QueueDoesNotExist");
    assert_eq!(e.message, "The specified queue does not exist.");
    let e = f.err("CreateQueue", json!({ "QueueName": "orders" })).await;
    assert_eq!(e.code, "QueueDeletedRecently");
    f.clock.advance(Duration::from_secs(60));
    f.queue("orders").await;
    let list = f
        .ok("ListQueues", json!({ "QueueNamePrefix": "zzz" }))
        .await;
    assert_eq!(list, json!({}));
}

#[tokio::test]
async fn queue_addressed_by_any_host() {
    let f = fixture();
    f.queue("q").await;
    for url in [
        "http://127.0.0.1:4566/000000000000/q",
        "https://sqs.us-east-1.amazonaws.com/000000000000/q",
        "http://sqs.us-east-1.localhost.localstack.cloud:4566/000000000000/q",
    ] {
        f.ok(
            "SendMessage",
            json!({ "QueueUrl": url, "MessageBody": "x" }),
        )
        .await;
    }
    let e = f
        .err(
            "SendMessage",
            json!({ "QueueUrl": "http://sqs.eu-west-1.amazonaws.com/000000000000/q", "MessageBody": "x" }),
        )
        .await;
    assert_eq!(e.code, "QueueDoesNotExist");
}

#[tokio::test]
async fn create_queue_validation() {
    let f = fixture();
    let e = f
        .err("CreateQueue", json!({ "QueueName": "bad name" }))
        .await;
    assert_eq!(e.code, "InvalidParameterValue");
    assert_eq!(
        e.message,
        "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
    );
    let e = f
        .err("CreateQueue", json!({ "QueueName": "x".repeat(81) }))
        .await;
    assert_eq!(e.code, "InvalidParameterValue");
    let e = f
        .err(
            "CreateQueue",
            json!({ "QueueName": "q", "Attributes": { "VisibilityTimeout": "43201" } }),
        )
        .await;
    assert_eq!(
        (e.code.as_ref(), e.message.as_str()),
        (
            "InvalidAttributeValue",
            "Invalid value for the parameter VisibilityTimeout."
        )
    );
    let e = f
        .err(
            "CreateQueue",
            json!({ "QueueName": "q", "Attributes": { "Colour": "blue" } }),
        )
        .await;
    assert_eq!(
        (e.code.as_ref(), e.message.as_str()),
        ("InvalidAttributeName", "Unknown Attribute Colour.")
    );
    for input in [json!({}), json!({ "QueueName": "" })] {
        let e = f.err("CreateQueue", input).await;
        assert_eq!(
            (e.code.as_ref(), e.message.as_str()),
            (
                "InvalidParameterValue",
                "Value for parameter QueueName is invalid. Reason: Must specify a queue name."
            )
        );
    }
    f.ok(
        "CreateQueue",
        json!({ "QueueName": "q", "Attributes": { "DelaySeconds": 5 }, "tags": { "team": "a" } }),
    )
    .await;
    let e = f
        .err(
            "CreateQueue",
            json!({ "QueueName": "q", "Attributes": { "DelaySeconds": "6" } }),
        )
        .await;
    assert_eq!(e.code, "QueueNameExists");
    assert_eq!(
        e.message,
        "A queue already exists with the same name and a different value for attribute DelaySeconds"
    );
}

#[tokio::test]
async fn queue_attributes() {
    let f = fixture();
    let url = f.queue("q").await;
    let e = f
        .err(
            "SetQueueAttributes",
            json!({ "QueueUrl": url, "Attributes": { "RedrivePolicy": "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:dlq\",\"maxReceiveCount\":3}" } }),
        )
        .await;
    assert_eq!(e.message, "Value {\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:dlq\",\"maxReceiveCount\":3} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.");
    f.queue("dlq").await;
    let out = f
        .ok(
            "GetQueueAttributes",
            json!({ "QueueUrl": url, "AttributeNames": ["All"] }),
        )
        .await;
    let a = &out["Attributes"];
    assert_eq!(a["QueueArn"], "arn:aws:sqs:us-east-1:000000000000:q");
    assert_eq!(a["ApproximateNumberOfMessages"], "0");
    assert_eq!(a["VisibilityTimeout"], "30");
    assert_eq!(a["SqsManagedSseEnabled"], "true");
    assert_eq!(a["CreatedTimestamp"], "1704067200");
    assert!(a.get("Policy").is_none());
    let none = f.ok("GetQueueAttributes", json!({ "QueueUrl": url })).await;
    assert_eq!(none, json!({}));
    let e = f
        .err(
            "GetQueueAttributes",
            json!({ "QueueUrl": url, "AttributeNames": ["Nope"] }),
        )
        .await;
    assert_eq!(
        (e.code.as_ref(), e.message.as_str()),
        ("InvalidAttributeName", "Unknown Attribute Nope.")
    );
    f.ok(
        "SetQueueAttributes",
        json!({ "QueueUrl": url, "Attributes": { "VisibilityTimeout": "45", "RedrivePolicy": "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:dlq\",\"maxReceiveCount\":\"3\"}" } }),
    )
    .await;
    let out = f
        .ok(
            "GetQueueAttributes",
            json!({ "QueueUrl": url, "AttributeNames": ["VisibilityTimeout", "RedrivePolicy"] }),
        )
        .await;
    assert_eq!(
        out,
        json!({ "Attributes": {
            "VisibilityTimeout": "45",
            "RedrivePolicy": "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:dlq\",\"maxReceiveCount\":3}"
        }})
    );
    let e = f
        .err(
            "SetQueueAttributes",
            json!({ "QueueUrl": url, "Attributes": { "Policy": "not json" } }),
        )
        .await;
    assert_eq!(e.code, "InvalidAttributeValue");
    let e = f
        .err(
            "SetQueueAttributes",
            json!({ "QueueUrl": url, "Attributes": { "ApproximateNumberOfMessages": "1" } }),
        )
        .await;
    assert_eq!(e.code, "InvalidAttributeName");
}

#[tokio::test]
async fn send_receive_delete_with_attributes_and_digests() {
    let f = fixture();
    let url = f.queue("q").await;
    let sent = f
        .ok(
            "SendMessage",
            json!({
                "QueueUrl": url,
                "MessageBody": "derp",
                "MessageAttributes": {
                    "timestamp": { "DataType": "Number", "StringValue": "1493147359900" }
                },
                "MessageSystemAttributes": {
                    "AWSTraceHeader": { "DataType": "String", "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793" }
                }
            }),
        )
        .await;
    assert_eq!(sent["MD5OfMessageBody"], "58fd9edd83341c29f1aebba81c31e257");
    assert_eq!(
        sent["MD5OfMessageAttributes"],
        "235c5c510d26fb653d073faed50ae77c"
    );
    assert!(sent["MD5OfMessageSystemAttributes"].is_string());
    assert_eq!(sent["MessageId"].as_str().unwrap().len(), 36);

    let out = f
        .ok(
            "ReceiveMessage",
            json!({
                "QueueUrl": url,
                "MessageSystemAttributeNames": ["All"],
                "MessageAttributeNames": ["All"],
                "MaxNumberOfMessages": 10
            }),
        )
        .await;
    let m = &out["Messages"][0];
    assert_eq!(m["Body"], "derp");
    assert_eq!(m["MessageId"], sent["MessageId"]);
    assert_eq!(m["MD5OfBody"], "58fd9edd83341c29f1aebba81c31e257");
    assert_eq!(
        m["MD5OfMessageAttributes"],
        "235c5c510d26fb653d073faed50ae77c"
    );
    assert_eq!(
        m["MessageAttributes"]["timestamp"],
        json!({ "StringValue": "1493147359900", "DataType": "Number" })
    );
    assert_eq!(m["Attributes"]["ApproximateReceiveCount"], "1");
    assert_eq!(m["Attributes"]["SenderId"], "000000000000");
    assert_eq!(m["Attributes"]["SentTimestamp"], "1704067200000");
    assert_eq!(
        m["Attributes"]["AWSTraceHeader"],
        "Root=1-5759e988-bd862e3fe1be46a994272793"
    );
    let handle = m["ReceiptHandle"].as_str().unwrap().to_string();
    f.ok(
        "DeleteMessage",
        json!({ "QueueUrl": url, "ReceiptHandle": handle }),
    )
    .await;
    let empty = f.ok("ReceiveMessage", json!({ "QueueUrl": url })).await;
    assert_eq!(empty, json!({}));
    let e = f
        .err(
            "DeleteMessage",
            json!({ "QueueUrl": url, "ReceiptHandle": "garbage" }),
        )
        .await;
    assert_eq!(e.code, "ReceiptHandleIsInvalid");
    assert_eq!(
        e.message,
        "The input receipt handle \"garbage\" is not a valid receipt handle."
    );
}

#[tokio::test]
async fn receive_filters_attributes() {
    let f = fixture();
    let url = f.queue("q").await;
    f.ok(
        "SendMessage",
        json!({
            "QueueUrl": url,
            "MessageBody": "b",
            "MessageAttributes": {
                "a.one": { "DataType": "String", "StringValue": "1" },
                "a.two": { "DataType": "Binary.raw", "BinaryValue": "AgME" },
                "other": { "DataType": "Number.int", "StringValue": "7" }
            }
        }),
    )
    .await;
    let out = f
        .ok(
            "ReceiveMessage",
            json!({ "QueueUrl": url, "MessageAttributeNames": ["a.*"], "AttributeNames": ["SentTimestamp"], "VisibilityTimeout": 0 }),
        )
        .await;
    let m = &out["Messages"][0];
    let names: Vec<&String> = m["MessageAttributes"].as_object().unwrap().keys().collect();
    assert_eq!(names, vec!["a.one", "a.two"]);
    assert_eq!(
        m["MessageAttributes"]["a.two"],
        json!({ "BinaryValue": "AgME", "DataType": "Binary.raw" })
    );
    assert_eq!(m["Attributes"].as_object().unwrap().len(), 1);
    let out = f
        .ok(
            "ReceiveMessage",
            json!({ "QueueUrl": url, "VisibilityTimeout": 0 }),
        )
        .await;
    let m = &out["Messages"][0];
    assert!(m.get("MessageAttributes").is_none());
    assert!(m.get("MD5OfMessageAttributes").is_none());
    assert!(m.get("Attributes").is_none());
}

#[tokio::test]
async fn send_message_validation() {
    let f = fixture();
    let url = f.queue("q").await;
    let e = f
        .err("SendMessage", json!({ "QueueUrl": url, "MessageBody": "" }))
        .await;
    assert_eq!(
        (e.code.as_ref(), e.message.as_str()),
        (
            "MissingParameter",
            "The request must contain the parameter MessageBody."
        )
    );
    let e = f
        .err(
            "SendMessage",
            json!({ "QueueUrl": url, "MessageBody": "bad\u{0}char" }),
        )
        .await;
    assert_eq!(e.code, "InvalidMessageContents");
    assert_eq!(e.message, "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF");
    let e = f
        .err(
            "SendMessage",
            json!({ "QueueUrl": url, "MessageBody": "x", "DelaySeconds": 901 }),
        )
        .await;
    assert_eq!(
        e.message,
        "Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900."
    );
    let too_many: serde_json::Map<String, Value> = (0..11)
        .map(|i| {
            (
                format!("a{i}"),
                json!({ "DataType": "String", "StringValue": "v" }),
            )
        })
        .collect();
    let e = f
        .err(
            "SendMessage",
            json!({ "QueueUrl": url, "MessageBody": "x", "MessageAttributes": too_many }),
        )
        .await;
    assert_eq!(
        e.message,
        "Number of message attributes [11] exceeds the allowed maximum [10]."
    );
    let e = f
        .err(
            "SendMessage",
            json!({ "QueueUrl": url, "MessageBody": "x", "MessageAttributes": { "a": { "DataType": "Text", "StringValue": "v" } } }),
        )
        .await;
    assert_eq!(e.code, "InvalidParameterValue");
    let e = f
        .err(
            "SendMessage",
            json!({ "QueueUrl": url, "MessageBody": "x", "MessageAttributes": { "AWS.x": { "DataType": "String", "StringValue": "v" } } }),
        )
        .await;
    assert_eq!(e.code, "InvalidParameterValue");
    let e = f
        .err(
            "SendMessage",
            json!({ "QueueUrl": url, "MessageBody": "x", "MessageAttributes": { "n": { "DataType": "Number", "StringValue": "abc" } } }),
        )
        .await;
    assert_eq!(e.code, "InvalidParameterValue");
    let e = f
        .err(
            "SendMessage",
            json!({ "QueueUrl": url, "MessageBody": "x".repeat(1_048_577) }),
        )
        .await;
    assert_eq!(
        e.message,
        "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes."
    );
    // A number arriving as a string is fine.
    f.ok(
        "SendMessage",
        json!({ "QueueUrl": url, "MessageBody": "x", "DelaySeconds": "5" }),
    )
    .await;
}

#[tokio::test]
async fn receive_message_validation() {
    let f = fixture();
    let url = f.queue("q").await;
    let e = f
        .err(
            "ReceiveMessage",
            json!({ "QueueUrl": url, "MaxNumberOfMessages": 11 }),
        )
        .await;
    assert_eq!(
        (e.code.as_ref(), e.message.as_str()),
        (
            "InvalidParameterValue",
            "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."
        )
    );
    let e = f
        .err(
            "ReceiveMessage",
            json!({ "QueueUrl": url, "MaxNumberOfMessages": 0 }),
        )
        .await;
    assert_eq!(e.code, "InvalidParameterValue");
    let e = f
        .err(
            "ReceiveMessage",
            json!({ "QueueUrl": url, "WaitTimeSeconds": 21 }),
        )
        .await;
    assert_eq!(
        e.message,
        "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided."
    );
    let e = f
        .err(
            "ReceiveMessage",
            json!({ "QueueUrl": "http://localhost:4566/000000000000/nope" }),
        )
        .await;
    assert_eq!(e.code, "QueueDoesNotExist");
}

#[tokio::test]
async fn send_message_batch_results_and_errors() {
    let f = fixture();
    let url = f.queue("q").await;
    let out = f
        .ok(
            "SendMessageBatch",
            json!({ "QueueUrl": url, "Entries": [
                { "Id": "ok-1", "MessageBody": "a" },
                { "Id": "bad", "MessageBody": "b", "DelaySeconds": 1000 },
                { "Id": "ok_2", "MessageBody": "c", "MessageAttributes": { "k": { "DataType": "String", "StringValue": "v" } } }
            ]}),
        )
        .await;
    let ok = out["Successful"].as_array().unwrap();
    assert_eq!(ok.len(), 2);
    assert_eq!(ok[0]["Id"], "ok-1");
    assert!(ok[1]["MD5OfMessageAttributes"].is_string());
    let failed = out["Failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["Id"], "bad");
    assert_eq!(failed[0]["SenderFault"], true);
    assert_eq!(failed[0]["Code"], "InvalidParameterValue");

    let e = f
        .err(
            "SendMessageBatch",
            json!({ "QueueUrl": url, "Entries": [] }),
        )
        .await;
    assert_eq!(
        (e.code.as_ref(), e.message.as_str()),
        (
            "EmptyBatchRequest",
            "There should be at least one SendMessageBatchRequestEntry in the request."
        )
    );
    let eleven: Vec<Value> = (0..11)
        .map(|i| json!({ "Id": format!("m{i}"), "MessageBody": "x" }))
        .collect();
    let e = f
        .err(
            "SendMessageBatch",
            json!({ "QueueUrl": url, "Entries": eleven }),
        )
        .await;
    assert_eq!(
        (e.code.as_ref(), e.message.as_str()),
        (
            "TooManyEntriesInBatchRequest",
            "Maximum number of entries per request are 10. You have sent 11."
        )
    );
    let e = f
        .err(
            "SendMessageBatch",
            json!({ "QueueUrl": url, "Entries": [{ "Id": "a", "MessageBody": "x" }, { "Id": "a", "MessageBody": "y" }] }),
        )
        .await;
    assert_eq!(
        (e.code.as_ref(), e.message.as_str()),
        ("BatchEntryIdsNotDistinct", "Id a repeated.")
    );
    let e = f
        .err(
            "SendMessageBatch",
            json!({ "QueueUrl": url, "Entries": [{ "Id": "a b", "MessageBody": "x" }] }),
        )
        .await;
    assert_eq!(e.code, "InvalidBatchEntryId");
    let big = "x".repeat(600_000);
    let e = f
        .err(
            "SendMessageBatch",
            json!({ "QueueUrl": url, "Entries": [{ "Id": "a", "MessageBody": big }, { "Id": "b", "MessageBody": big }] }),
        )
        .await;
    assert_eq!(
        (e.code.as_ref(), e.message.as_str()),
        (
            "BatchRequestTooLong",
            "Batch requests cannot be longer than 1048576 bytes. You have sent 1200000 bytes."
        )
    );
}

#[tokio::test]
async fn delete_and_visibility_batches() {
    let f = fixture();
    let url = f.queue("q").await;
    for i in 0..3 {
        f.ok(
            "SendMessage",
            json!({ "QueueUrl": url, "MessageBody": format!("m{i}") }),
        )
        .await;
    }
    let out = f
        .ok(
            "ReceiveMessage",
            json!({ "QueueUrl": url, "MaxNumberOfMessages": 10 }),
        )
        .await;
    let handles: Vec<String> = out["Messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["ReceiptHandle"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(handles.len(), 3);
    let out = f
        .ok(
            "ChangeMessageVisibilityBatch",
            json!({ "QueueUrl": url, "Entries": [
                { "Id": "a", "ReceiptHandle": handles[0], "VisibilityTimeout": 0 },
                { "Id": "b", "ReceiptHandle": "junk", "VisibilityTimeout": 10 }
            ]}),
        )
        .await;
    assert_eq!(out["Successful"], json!([{ "Id": "a" }]));
    assert_eq!(out["Failed"][0]["Code"], "ReceiptHandleIsInvalid");
    let attrs = f
        .ok(
            "GetQueueAttributes",
            json!({ "QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
        )
        .await;
    assert_eq!(
        attrs,
        json!({ "Attributes": { "ApproximateNumberOfMessages": "1", "ApproximateNumberOfMessagesNotVisible": "2" } })
    );
    let out = f
        .ok(
            "DeleteMessageBatch",
            json!({ "QueueUrl": url, "Entries": [
                { "Id": "x", "ReceiptHandle": handles[1] },
                { "Id": "y", "ReceiptHandle": handles[2] },
                { "Id": "z", "ReceiptHandle": "junk" }
            ]}),
        )
        .await;
    assert_eq!(out["Successful"], json!([{ "Id": "x" }, { "Id": "y" }]));
    assert_eq!(
        out["Failed"],
        json!([{ "Id": "z", "SenderFault": true, "Code": "ReceiptHandleIsInvalid", "Message": "The input receipt handle \"junk\" is not a valid receipt handle." }])
    );
    let e = f
        .err(
            "ChangeMessageVisibility",
            json!({ "QueueUrl": url, "ReceiptHandle": handles[1], "VisibilityTimeout": 43201 }),
        )
        .await;
    assert_eq!(e.code, "InvalidParameterValue");
    let e = f
        .err("DeleteMessageBatch", json!({ "QueueUrl": url }))
        .await;
    assert_eq!(e.code, "EmptyBatchRequest");
}

#[tokio::test]
async fn long_poll_through_handle() {
    let f = Arc::new(fixture());
    let url = f.queue("q").await;
    let waiter = {
        let f = f.clone();
        let url = url.clone();
        tokio::spawn(async move {
            f.ok(
                "ReceiveMessage",
                json!({ "QueueUrl": url, "WaitTimeSeconds": 20 }),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(!waiter.is_finished());
    f.ok(
        "SendMessage",
        json!({ "QueueUrl": url, "MessageBody": "hi" }),
    )
    .await;
    let out = tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out["Messages"][0]["Body"], "hi");
}

#[tokio::test]
async fn purge_tags_permissions() {
    let f = fixture();
    let url = f.queue("q").await;
    f.ok("PurgeQueue", json!({ "QueueUrl": url })).await;
    let e = f.err("PurgeQueue", json!({ "QueueUrl": url })).await;
    assert_eq!(
        (e.code.as_ref(), e.message.as_str()),
        (
            "PurgeQueueInProgress",
            "Only one PurgeQueue operation on q is allowed every 60 seconds."
        )
    );
    assert_eq!(
        f.ok("ListQueueTags", json!({ "QueueUrl": url })).await,
        json!({})
    );
    f.ok(
        "TagQueue",
        json!({ "QueueUrl": url, "Tags": { "a": "1", "b": "2" } }),
    )
    .await;
    f.ok("UntagQueue", json!({ "QueueUrl": url, "TagKeys": ["a"] }))
        .await;
    assert_eq!(
        f.ok("ListQueueTags", json!({ "QueueUrl": url })).await,
        json!({ "Tags": { "b": "2" } })
    );
    f.ok(
        "AddPermission",
        json!({ "QueueUrl": url, "Label": "p1", "AWSAccountIds": ["111111111111", "222222222222"], "Actions": ["SendMessage", "ReceiveMessage"] }),
    )
    .await;
    let e = f
        .err(
            "AddPermission",
            json!({ "QueueUrl": url, "Label": "p1", "AWSAccountIds": ["111111111111"], "Actions": ["SendMessage"] }),
        )
        .await;
    assert_eq!(e.code, "InvalidParameterValue");
    let e = f
        .err(
            "AddPermission",
            json!({ "QueueUrl": url, "Label": "p2", "AWSAccountIds": ["111111111111"], "Actions": ["Fly"] }),
        )
        .await;
    assert_eq!(e.code, "InvalidParameterValue");
    let out = f
        .ok(
            "GetQueueAttributes",
            json!({ "QueueUrl": url, "AttributeNames": ["Policy"] }),
        )
        .await;
    let policy: Value =
        serde_json::from_str(out["Attributes"]["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(policy["Statement"][0]["Sid"], "p1");
    assert_eq!(
        policy["Statement"][0]["Action"],
        json!(["SQS:SendMessage", "SQS:ReceiveMessage"])
    );
    assert_eq!(
        policy["Statement"][0]["Resource"],
        "arn:aws:sqs:us-east-1:000000000000:q"
    );
    let e = f
        .err(
            "RemovePermission",
            json!({ "QueueUrl": url, "Label": "zz" }),
        )
        .await;
    assert_eq!(e.code, "InvalidParameterValue");
    f.ok(
        "RemovePermission",
        json!({ "QueueUrl": url, "Label": "p1" }),
    )
    .await;
}

#[tokio::test]
async fn list_queues_pagination() {
    let f = fixture();
    for i in 0..5 {
        f.queue(&format!("q{i}")).await;
    }
    let page = f.ok("ListQueues", json!({ "MaxResults": 2 })).await;
    assert_eq!(page["QueueUrls"].as_array().unwrap().len(), 2);
    let token = page["NextToken"].as_str().unwrap().to_string();
    let page = f
        .ok("ListQueues", json!({ "MaxResults": 2, "NextToken": token }))
        .await;
    assert_eq!(
        page["QueueUrls"][0],
        "http://localhost:4566/000000000000/q2"
    );
    let token = page["NextToken"].as_str().unwrap().to_string();
    let page = f
        .ok("ListQueues", json!({ "MaxResults": 2, "NextToken": token }))
        .await;
    assert_eq!(page["QueueUrls"].as_array().unwrap().len(), 1);
    assert!(page.get("NextToken").is_none());
    let e = f.err("ListQueues", json!({ "MaxResults": 1001 })).await;
    assert_eq!(e.code, "InvalidParameterValue");
}

#[tokio::test]
async fn dead_letter_sources_and_move_tasks() {
    let f = fixture();
    let dlq = f.queue("dlq").await;
    let src = f.queue("src").await;
    let dlq_arn = "arn:aws:sqs:us-east-1:000000000000:dlq";
    let src_arn = "arn:aws:sqs:us-east-1:000000000000:src";
    let e = f
        .err("StartMessageMoveTask", json!({ "SourceArn": dlq_arn }))
        .await;
    assert_eq!(
        (e.code.as_ref(), e.message.as_str()),
        (
            "InvalidParameterValue",
            "Source queue must be configured as a Dead Letter Queue."
        )
    );
    let e = f
        .err(
            "StartMessageMoveTask",
            json!({ "SourceArn": "arn:aws:sqs:us-east-1:000000000000:none" }),
        )
        .await;
    assert_eq!(e.code, "ResourceNotFoundException");
    assert_eq!(
        f.ok("ListDeadLetterSourceQueues", json!({ "QueueUrl": dlq }))
            .await,
        json!({ "queueUrls": [] })
    );
    f.ok(
        "SetQueueAttributes",
        json!({ "QueueUrl": src, "Attributes": { "RedrivePolicy": format!("{{\"deadLetterTargetArn\":\"{dlq_arn}\",\"maxReceiveCount\":2}}") } }),
    )
    .await;
    assert_eq!(
        f.ok("ListDeadLetterSourceQueues", json!({ "QueueUrl": dlq }))
            .await,
        json!({ "queueUrls": [src] })
    );
    assert_eq!(
        f.ok("ListMessageMoveTasks", json!({ "SourceArn": src_arn }))
            .await,
        json!({ "Results": [] })
    );
    let e = f
        .err("CancelMessageMoveTask", json!({ "TaskHandle": "x" }))
        .await;
    assert_eq!(
        (e.code.as_ref(), e.message.as_str()),
        (
            "InvalidParameterValue",
            "Value for parameter TaskHandle is invalid."
        )
    );
    let started = f
        .ok(
            "StartMessageMoveTask",
            json!({ "SourceArn": dlq_arn, "MaxNumberOfMessagesPerSecond": 7 }),
        )
        .await;
    let handle = started["TaskHandle"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let listed = f
        .ok("ListMessageMoveTasks", json!({ "SourceArn": dlq_arn }))
        .await;
    let task = &listed["Results"][0];
    assert_eq!(
        task["Status"], "COMPLETED",
        "an empty DLQ completes at once"
    );
    assert_eq!(task["MaxNumberOfMessagesPerSecond"], 7);
    assert_eq!(task["ApproximateNumberOfMessagesToMove"], 0);
    assert!(task.get("TaskHandle").is_none());
    let e = f
        .err("CancelMessageMoveTask", json!({ "TaskHandle": handle }))
        .await;
    assert_eq!(e.code, "InvalidParameterValue");
}

#[tokio::test]
async fn unknown_operation() {
    let f = fixture();
    let e = f.err("Frobnicate", json!({})).await;
    assert_eq!(
        (e.code.as_ref(), e.message.as_str()),
        (
            "InvalidAction",
            "The action Frobnicate is not valid for this endpoint."
        )
    );
}

#[tokio::test]
async fn fifo_queue_end_to_end() {
    let f = fixture();
    let e = f
        .err(
            "CreateQueue",
            json!({ "QueueName": "jobs", "Attributes": { "FifoQueue": "true" } }),
        )
        .await;
    assert_eq!(e.code, "InvalidParameterValue");
    let url = f
        .ok(
            "CreateQueue",
            json!({ "QueueName": "jobs.fifo", "Attributes": { "FifoQueue": "true" } }),
        )
        .await["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(url, "http://localhost:4566/000000000000/jobs.fifo");
    let e = f
        .err(
            "SendMessage",
            json!({ "QueueUrl": url, "MessageBody": "x" }),
        )
        .await;
    assert_eq!(
        (e.code.as_ref(), e.message.as_str()),
        (
            "MissingParameter",
            "The request must contain the parameter MessageGroupId."
        )
    );
    let sent = f
        .ok(
            "SendMessage",
            json!({ "QueueUrl": url, "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "d" }),
        )
        .await;
    assert_eq!(sent["SequenceNumber"].as_str().unwrap().len(), 20);
    let out = f
        .ok(
            "ReceiveMessage",
            json!({ "QueueUrl": url, "MessageSystemAttributeNames": ["All"] }),
        )
        .await;
    let a = &out["Messages"][0]["Attributes"];
    assert_eq!(a["MessageGroupId"], "g");
    assert_eq!(a["MessageDeduplicationId"], "d");
    assert_eq!(a["SequenceNumber"], sent["SequenceNumber"]);
    let e = f
        .err(
            "SendMessage",
            json!({ "QueueUrl": url, "MessageBody": "x", "MessageGroupId": "g g", "MessageDeduplicationId": "d" }),
        )
        .await;
    assert_eq!(e.message, "Value g g for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.");
}
