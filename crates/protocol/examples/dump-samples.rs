//! Writes sample responses of the codec (JSON lines) so they can be fed to botocore's response
//! parsers (crates/protocol/fixtures/capture/parse.py):
//! `cargo run -p ferrybridge-protocol --example dump-samples -- /tmp/s.jsonl`.

use ferrybridge_protocol::{Codec, ServiceError, ServiceName, WireProtocol};
use serde_json::{json, Value};

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: dump-samples <output.jsonl>");
    let msg = json!({"Messages": [{"MessageId": "m1", "ReceiptHandle": "rh", "MD5OfBody": "md5",
        "Body": "<a & \"b\">\r\n\t'ü'", "Attributes": {"SenderId": "000000000000", "ApproximateReceiveCount": "1"},
        "MD5OfMessageAttributes": "md5a",
        "MessageAttributes": {"s": {"StringValue": "x", "DataType": "String"}, "b": {"BinaryValue": "AAE=", "DataType": "Binary"},
            "l": {"StringListValues": ["p", "q"], "DataType": "String"}}}]});
    let batch = json!({"Successful": [{"Id": "1", "MessageId": "m1", "MD5OfMessageBody": "x"}],
        "Failed": [{"Id": "2", "SenderFault": true, "Code": "InvalidParameterValue", "Message": "bad"}]});
    let cases: Vec<(ServiceName, WireProtocol, &str, Value)> = vec![
        (
            ServiceName::Sqs,
            WireProtocol::AwsQuery,
            "ReceiveMessage",
            msg.clone(),
        ),
        (
            ServiceName::Sqs,
            WireProtocol::AwsJson1_0,
            "ReceiveMessage",
            msg,
        ),
        (
            ServiceName::Sqs,
            WireProtocol::AwsQuery,
            "SendMessageBatch",
            batch.clone(),
        ),
        (
            ServiceName::Sqs,
            WireProtocol::AwsJson1_0,
            "SendMessageBatch",
            batch,
        ),
        (
            ServiceName::Sqs,
            WireProtocol::AwsQuery,
            "GetQueueAttributes",
            json!({"Attributes": {"VisibilityTimeout": "30"}}),
        ),
        (
            ServiceName::Sqs,
            WireProtocol::AwsQuery,
            "ListQueues",
            json!({"QueueUrls": ["a", "b"]}),
        ),
        (
            ServiceName::Sqs,
            WireProtocol::AwsQuery,
            "ListQueueTags",
            json!({"Tags": {"k": "v"}}),
        ),
        (
            ServiceName::Sqs,
            WireProtocol::AwsQuery,
            "ListMessageMoveTasks",
            json!({"Results": [{"TaskHandle": "t", "StartedTimestamp": 1704164645000_i64, "ApproximateNumberOfMessagesMoved": 3}]}),
        ),
        (
            ServiceName::Sqs,
            WireProtocol::AwsQuery,
            "DeleteQueue",
            Value::Null,
        ),
        (
            ServiceName::Sns,
            WireProtocol::AwsQuery,
            "ListTopics",
            json!({"Topics": [{"TopicArn": "arn:a"}], "NextToken": "n"}),
        ),
        (
            ServiceName::Sns,
            WireProtocol::AwsQuery,
            "GetTopicAttributes",
            json!({"Attributes": {"TopicArn": "arn:a"}}),
        ),
        (
            ServiceName::Sns,
            WireProtocol::AwsQuery,
            "ListTagsForResource",
            json!({"Tags": [{"Key": "k", "Value": "v"}]}),
        ),
        (
            ServiceName::Sns,
            WireProtocol::AwsQuery,
            "PublishBatch",
            json!({"Successful": [{"Id": "1", "MessageId": "m"}], "Failed": [{"Id": "2", "Code": "c", "SenderFault": false}]}),
        ),
        (
            ServiceName::Events,
            WireProtocol::AwsJson1_1,
            "PutEvents",
            json!({"FailedEntryCount": 0, "Entries": [{"EventId": "e"}]}),
        ),
    ];
    let mut lines = String::new();
    for (s, p, op, v) in cases {
        let r = Codec::shared().encode_output(s, p, op, &v, "req-1");
        lines.push_str(&json!({"service": format!("{s:?}"), "protocol": format!("{p:?}"), "op": op, "status": r.status,
            "headers": r.headers.iter().map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string())).collect::<std::collections::BTreeMap<_, _>>(),
            "body": r.body_str()}).to_string());
        lines.push('\n');
    }
    let errs: Vec<(ServiceName, WireProtocol, &'static str)> = vec![
        (
            ServiceName::Sqs,
            WireProtocol::AwsQuery,
            "QueueDoesNotExist",
        ),
        (
            ServiceName::Sqs,
            WireProtocol::AwsJson1_0,
            "QueueDoesNotExist",
        ),
        (
            ServiceName::Sqs,
            WireProtocol::AwsJson1_0,
            "InvalidParameterValue",
        ),
        (
            ServiceName::Sqs,
            WireProtocol::AwsQuery,
            "InvalidParameterValue",
        ),
        (
            ServiceName::Sns,
            WireProtocol::AwsQuery,
            "NotFoundException",
        ),
        (
            ServiceName::Events,
            WireProtocol::AwsJson1_1,
            "ResourceNotFoundException",
        ),
    ];
    for (s, p, code) in errs {
        let r = Codec::shared().encode_error(s, p, &ServiceError::new(code, "it failed"), "req-1");
        lines.push_str(&json!({"service": format!("{s:?}"), "protocol": format!("{p:?}"), "op": "ERROR", "status": r.status,
            "headers": r.headers.iter().map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string())).collect::<std::collections::BTreeMap<_, _>>(),
            "body": r.body_str()}).to_string());
        lines.push('\n');
    }
    std::fs::write(path, lines).expect("write samples");
}
