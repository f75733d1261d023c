//! Rough per-request cost of the codec (not a test): `cargo run --release -p ferrybridge-protocol
//! --example codec_bench`. Prints a table of nanoseconds per call.

use std::hint::black_box;
use std::time::Instant;

use ferrybridge_protocol::{Codec, HttpRequest, ServiceError, ServiceName, WireProtocol};
use http::{HeaderMap, HeaderValue};
use serde_json::json;

fn time(name: &str, iters: u32, mut f: impl FnMut()) {
    for _ in 0..iters / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    let ns = start.elapsed().as_nanos() / u128::from(iters);
    println!("| {name:<44} | {ns:>8} |");
}

fn main() {
    let start = Instant::now();
    let codec = Codec::new();
    println!("model parse (4 models): {:?}", start.elapsed());
    println!("| operation                                    | ns/call  |");
    println!("|----------------------------------------------|----------|");

    let mut json_headers = HeaderMap::new();
    json_headers.insert(
        "x-amz-target",
        HeaderValue::from_static("AmazonSQS.SendMessage"),
    );
    json_headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    json_headers.insert("x-amz-date", HeaderValue::from_static("20240101T000000Z"));
    json_headers.insert("authorization", HeaderValue::from_static(
        "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sqs/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
    let json_body = br#"{"QueueUrl":"http://localhost:4566/000000000000/bench","MessageBody":"hello world, this is a benchmark message","MessageAttributes":{"a":{"DataType":"String","StringValue":"x"}}}"#;
    time("decode JSON SendMessage (signed)", 200_000, || {
        let r = codec.decode(&HttpRequest {
            method: "POST",
            path: "/",
            query: None,
            headers: &json_headers,
            body: json_body,
        });
        black_box(r.is_ok());
    });
    let form_headers = HeaderMap::new();
    let form_body = b"Action=SendMessage&Version=2012-11-05&QueueUrl=http%3A%2F%2Flocalhost%3A4566%2F000000000000%2Fbench&MessageBody=hello+world&MessageAttribute.1.Name=a&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=x";
    time("decode Query SendMessage", 200_000, || {
        let r = codec.decode(&HttpRequest {
            method: "POST",
            path: "/",
            query: None,
            headers: &form_headers,
            body: form_body,
        });
        black_box(r.is_ok());
    });
    let out = json!({"MD5OfMessageBody": "5eb63bbbe01eeed093cb22bb8f5acdc3", "MessageId": "0b8a9f0e-7c3e-4c53-9a57-2f8d7c4e3a11"});
    time("encode JSON SendMessage output", 200_000, || {
        black_box(codec.encode_output(
            ServiceName::Sqs,
            WireProtocol::AwsJson1_0,
            "SendMessage",
            &out,
            "0b8a9f0e-7c3e-4c53-9a57-2f8d7c4e3a11",
        ));
    });
    time("encode Query SendMessage output", 200_000, || {
        black_box(codec.encode_output(
            ServiceName::Sqs,
            WireProtocol::AwsQuery,
            "SendMessage",
            &out,
            "0b8a9f0e-7c3e-4c53-9a57-2f8d7c4e3a11",
        ));
    });
    let msgs: Vec<_> = (0..10).map(|i| json!({"MessageId": format!("m{i}"), "ReceiptHandle": "rh".repeat(40), "MD5OfBody": "x", "Body": "hello world",
        "Attributes": {"SentTimestamp": "1704164645000", "ApproximateReceiveCount": "1"}})).collect();
    let recv = json!({ "Messages": msgs });
    time("encode Query ReceiveMessage (10 msgs)", 50_000, || {
        black_box(codec.encode_output(
            ServiceName::Sqs,
            WireProtocol::AwsQuery,
            "ReceiveMessage",
            &recv,
            "rid",
        ));
    });
    time("encode JSON ReceiveMessage (10 msgs)", 50_000, || {
        black_box(codec.encode_output(
            ServiceName::Sqs,
            WireProtocol::AwsJson1_0,
            "ReceiveMessage",
            &recv,
            "rid",
        ));
    });
    let e = ServiceError::new("QueueDoesNotExist", "The specified queue does not exist.");
    time("encode JSON error", 200_000, || {
        black_box(codec.encode_error(ServiceName::Sqs, WireProtocol::AwsJson1_0, &e, "rid"));
    });
}
