//! Fuzz targets (proptest): every decoder a client reaches, fed arbitrary and mutated bodies,
//! headers, paths and query strings. A request may fail, but only with an AWS-shaped error in
//! the client's protocol (4xx, `__type` for JSON, `<ErrorResponse>` for Query); never a panic,
//! and always in bounded time.
//!
//! Each target runs [`CASES`] cases (a few seconds in all, as part of `cargo test`); set
//! `PROPTEST_CASES` for a longer soak. The seeds are real requests: the botocore captures in
//! `fixtures/` (SQS Query and JSON 1.0, SNS Query, EventBridge JSON 1.1) plus STS Query ones.

use std::time::{Duration, Instant};

use ferrybridge_protocol::{
    sigv4, validate_input, Codec, DecodeError, EncodedResponse, HttpRequest, ServiceError,
    ServiceName, WireProtocol,
};
use http::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;
use serde_json::Value;

/// Cases per target unless `PROPTEST_CASES` says otherwise.
const CASES: u32 = 300;

/// The most one request may take to decode (and validate, and render its error). Generous:
/// debug build, a loaded 2-core machine; a real blow-up (quadratic parsing of a 1 MiB body,
/// exponential backtracking) is far beyond it.
const BOUND: Duration = Duration::from_secs(2);

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(CASES);
    ProptestConfig {
        cases,
        // The seeds are fixed: nothing is gained by persisting failures next to the sources.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

const OLD_CAPTURE: &str = include_str!("../fixtures/botocore-1.31.62-requests.jsonl");
const NEW_CAPTURE: &str = include_str!("../fixtures/botocore-1.44.8-requests.jsonl");

/// A request as the codec sees it, owned.
#[derive(Debug, Clone)]
struct Req {
    method: String,
    path: String,
    query: Option<String>,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Req {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    fn set_header(&mut self, name: &str, value: Option<Vec<u8>>) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        if let Some(v) = value {
            self.headers.push((name.to_owned(), v));
        }
    }
}

/// The captured requests of one fixture file whose service/protocol `keep` selects.
fn captured(file: &str, keep: impl Fn(&Value) -> bool) -> Vec<Req> {
    file.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| serde_json::from_str::<Value>(line).expect("fixture line"))
        .filter(|v| keep(v))
        .map(|v| Req {
            method: v["method"].as_str().unwrap_or("POST").to_owned(),
            path: v["path"].as_str().unwrap_or("/").to_owned(),
            query: None,
            headers: v["headers"]
                .as_object()
                .map(|h| {
                    h.iter()
                        .map(|(k, val)| {
                            (
                                k.to_ascii_lowercase(),
                                val.as_str().unwrap_or("").as_bytes().to_vec(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
            body: v["body"].as_str().unwrap_or("").as_bytes().to_vec(),
        })
        .collect()
}

fn is_sqs_query(v: &Value) -> bool {
    v["body"]
        .as_str()
        .is_some_and(|b| b.contains("Version=2012-11-05"))
}

fn is_sns_query(v: &Value) -> bool {
    v["body"]
        .as_str()
        .is_some_and(|b| b.contains("Version=2010-03-31"))
}

fn target_starts(v: &Value, prefix: &str) -> bool {
    v["headers"]
        .as_object()
        .and_then(|h| {
            h.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-target"))
        })
        .and_then(|(_, t)| t.as_str())
        .is_some_and(|t| t.starts_with(prefix))
}

fn form(body: &str, signing_service: &str) -> Req {
    Req {
        method: "POST".into(),
        path: "/".into(),
        query: None,
        headers: vec![
            (
                "content-type".into(),
                b"application/x-www-form-urlencoded; charset=utf-8".to_vec(),
            ),
            ("x-amz-date".into(), b"20261127T100717Z".to_vec()),
            (
                "authorization".into(),
                format!(
                    "AWS4-HMAC-SHA256 Credential=123456789012/20261127/us-east-1/{signing_service}/aws4_request, \
                     SignedHeaders=content-type;host;x-amz-date, Signature=047e216b4b271987c1e6e29c1087ff52ae64a4035ed9a37e3c8d3e84f67d083f"
                )
                .into_bytes(),
            ),
        ],
        body: body.as_bytes().to_vec(),
    }
}

fn json(target: &str, content_type: &str, body: &str) -> Req {
    let mut r = form(body, "");
    r.set_header("content-type", Some(content_type.as_bytes().to_vec()));
    r.set_header("x-amz-target", Some(target.as_bytes().to_vec()));
    r.set_header("authorization", None);
    r
}

fn sqs_query_seeds() -> Vec<Req> {
    let mut seeds = captured(OLD_CAPTURE, is_sqs_query);
    seeds.push(form("Action=SendMessageBatch&Version=2012-11-05&QueueUrl=u&SendMessageBatchRequestEntry.1.Id=1&SendMessageBatchRequestEntry.1.MessageBody=a&SendMessageBatchRequestEntry.1.DelaySeconds=3&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=k&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=String&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=v", "sqs"));
    seeds.push(form("Action=SetQueueAttributes&Version=2012-11-05&QueueUrl=u&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=30&Attribute.2.Name=Policy&Attribute.2.Value=%7B%7D", "sqs"));
    assert!(seeds.len() > 5, "SQS Query seeds");
    seeds
}

fn sqs_json_seeds() -> Vec<Req> {
    let mut seeds = captured(NEW_CAPTURE, |v| target_starts(v, "AmazonSQS."));
    seeds.push(json(
        "AmazonSQS.SendMessageBatch",
        "application/x-amz-json-1.0",
        r#"{"QueueUrl":"u","Entries":[{"Id":"1","MessageBody":"a","DelaySeconds":3,"MessageAttributes":{"k":{"DataType":"Binary","BinaryValue":"AAE="}}}]}"#,
    ));
    assert!(seeds.len() > 5, "SQS JSON seeds");
    seeds
}

fn sns_seeds() -> Vec<Req> {
    let mut seeds = captured(OLD_CAPTURE, is_sns_query);
    seeds.push(form("Action=Publish&Version=2010-03-31&TopicArn=arn&Message=m&MessageAttributes.entry.1.Name=a&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=x", "sns"));
    seeds.push(form("Action=PublishBatch&Version=2010-03-31&TopicArn=arn&PublishBatchRequestEntries.member.1.Id=1&PublishBatchRequestEntries.member.1.Message=m&PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Name=n&PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.DataType=Number&PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.StringValue=1", "sns"));
    seeds.push(form("Action=Subscribe&Version=2010-03-31&TopicArn=t&Protocol=sqs&Endpoint=arn%3Aaws%3Asqs%3Aus-east-1%3A000000000000%3Aq&Attributes.entry.1.key=FilterPolicy&Attributes.entry.1.value=%7B%22a%22%3A%5B1%5D%7D&ReturnSubscriptionArn=true", "sns"));
    seeds.push(form("Action=CreateTopic&Version=2010-03-31&Name=t&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=d&Tags.member.1.Key=k&Tags.member.1.Value=v", "sns"));
    seeds
}

fn events_seeds() -> Vec<Req> {
    let ct = "application/x-amz-json-1.1";
    let mut seeds = captured(NEW_CAPTURE, |v| target_starts(v, "AWSEvents."));
    seeds.push(json(
        "AWSEvents.PutEvents",
        ct,
        r#"{"Entries":[{"Source":"app","DetailType":"t","Detail":"{\"a\":[1,{\"b\":null}]}","Resources":["arn:x"],"Time":1700000000.5}]}"#,
    ));
    seeds.push(json(
        "AWSEvents.PutRule",
        ct,
        r#"{"Name":"r","EventPattern":"{\"source\":[{\"prefix\":\"a\"}],\"detail\":{\"n\":[{\"numeric\":[\">\",0,\"<=\",5]}]}}","State":"ENABLED","Tags":[{"Key":"k","Value":"v"}]}"#,
    ));
    seeds.push(json(
        "AWSEvents.PutTargets",
        ct,
        r#"{"Rule":"r","Targets":[{"Id":"1","Arn":"arn:aws:sqs:us-east-1:000000000000:q","InputTransformer":{"InputPathsMap":{"s":"$.source"},"InputTemplate":"\"<s>\""},"RetryPolicy":{"MaximumRetryAttempts":3,"MaximumEventAgeInSeconds":60},"SqsParameters":{"MessageGroupId":"g"}}]}"#,
    ));
    seeds
}

fn sts_seeds() -> Vec<Req> {
    vec![
        form("Action=GetCallerIdentity&Version=2011-06-15", "sts"),
        form("Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fr&RoleSessionName=s&DurationSeconds=900&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2Fp&Tags.member.1.Key=k&Tags.member.1.Value=v&TransitiveTagKeys.member.1=k", "sts"),
        form("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fr&RoleSessionName=s&WebIdentityToken=eyJhbGciOiJub25lIn0.e30.", "sts"),
        form("Action=GetSessionToken&Version=2011-06-15&DurationSeconds=3600", "sts"),
        form("Action=GetFederationToken&Version=2011-06-15&Name=u&Policy=%7B%7D", "sts"),
    ]
}

/// Pieces that tend to break parsers: form and JSON syntax, escapes, huge and odd numbers,
/// list/map indexes, deep nesting, non-ASCII and control characters.
const TOKENS: &[&str] = &[
    "&",
    "=",
    "&&",
    "==",
    "%",
    "%2",
    "%zz",
    "%FF",
    "%00",
    "%C3%A9",
    "+",
    ".",
    "..",
    ".1",
    ".0",
    ".-1",
    ".99999999999999999999",
    ".4294967296",
    ".entry.",
    ".member.",
    ".Name",
    ".Value",
    ".key",
    ".value",
    "Action=",
    "Version=",
    "Attribute.1.Name=",
    "MessageAttribute.1.Value.",
    "{",
    "}",
    "[",
    "]",
    "\"",
    "\":",
    ",",
    ":",
    "null",
    "true",
    "false",
    "\\",
    "\\u",
    "\\ud800",
    "\\uDFFF",
    "1e400",
    "-1e400",
    "-0",
    "0x10",
    "NaN",
    "1.5",
    "99999999999999999999999",
    "-9223372036854775809",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    "{\"a\":{\"a\":{\"a\":{\"a\":",
    "\u{0}",
    "\u{7f}",
    "é",
    "\u{feff}",
    "\u{10ffff}",
    "\r\n",
    "\t",
    " ",
    "<",
    ">",
    "]]>",
];

/// One edit of a byte string.
#[derive(Debug, Clone)]
enum Edit {
    /// Replace the byte at (position modulo length) with this one.
    Set(usize, u8),
    /// Insert a token at a position.
    Insert(usize, usize),
    /// Insert arbitrary bytes at a position.
    Bytes(usize, Vec<u8>),
    /// Remove up to n bytes at a position.
    Remove(usize, usize),
    /// Cut at a position.
    Truncate(usize),
    /// Repeat a slice (position, length) a few times.
    Repeat(usize, usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Edit::Set(p, b)),
        4 => (any::<usize>(), 0..TOKENS.len()).prop_map(|(p, t)| Edit::Insert(p, t)),
        1 => (any::<usize>(), prop::collection::vec(any::<u8>(), 0..8)).prop_map(|(p, b)| Edit::Bytes(p, b)),
        2 => (any::<usize>(), 1usize..16).prop_map(|(p, n)| Edit::Remove(p, n)),
        1 => any::<usize>().prop_map(Edit::Truncate),
        1 => (any::<usize>(), 1usize..64, 2usize..64).prop_map(|(p, l, n)| Edit::Repeat(p, l, n)),
    ]
}

fn apply(bytes: &mut Vec<u8>, edits: &[Edit]) {
    for e in edits {
        let at = |p: usize, len: usize| if len == 0 { 0 } else { p % (len + 1) };
        match e {
            Edit::Set(p, b) => {
                if !bytes.is_empty() {
                    let i = p % bytes.len();
                    bytes[i] = *b;
                }
            }
            Edit::Insert(p, t) => {
                let i = at(*p, bytes.len());
                bytes.splice(i..i, TOKENS[*t].bytes());
            }
            Edit::Bytes(p, b) => {
                let i = at(*p, bytes.len());
                bytes.splice(i..i, b.iter().copied());
            }
            Edit::Remove(p, n) => {
                let i = at(*p, bytes.len());
                let end = (i + n).min(bytes.len());
                bytes.drain(i..end);
            }
            Edit::Truncate(p) => {
                let i = at(*p, bytes.len());
                bytes.truncate(i);
            }
            Edit::Repeat(p, l, n) => {
                let i = at(*p, bytes.len());
                let end = (i + l).min(bytes.len());
                let slice = bytes[i..end].to_vec();
                for _ in 0..*n {
                    bytes.splice(end..end, slice.iter().copied());
                }
            }
        }
    }
}

/// What to do to the request besides its body.
#[derive(Debug, Clone)]
struct Mutation {
    body: Vec<Edit>,
    /// Edits of one header's value (by index among: target, content type, authorization,
    /// x-amz-date), or its removal.
    header: Option<(usize, Option<Vec<Edit>>)>,
    path: Option<Vec<Edit>>,
    query: Option<Vec<Edit>>,
    method: Option<usize>,
    /// Replace the body by arbitrary bytes.
    random_body: Option<Vec<u8>>,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let edits = || prop::collection::vec(edit(), 0..6);
    (
        prop::collection::vec(edit(), 0..10),
        prop::option::of((0usize..4, prop::option::of(edits()))),
        prop::option::weighted(0.2, edits()),
        prop::option::weighted(0.2, edits()),
        prop::option::weighted(0.1, 0usize..4),
        prop::option::weighted(0.05, prop::collection::vec(any::<u8>(), 0..256)),
    )
        .prop_map(
            |(body, header, path, query, method, random_body)| Mutation {
                body,
                header,
                path,
                query,
                method,
                random_body,
            },
        )
}

const MUTABLE_HEADERS: [&str; 4] = [
    "x-amz-target",
    "content-type",
    "authorization",
    "x-amz-date",
];

fn mutate(seed: &Req, m: &Mutation) -> Req {
    let mut r = seed.clone();
    match &m.random_body {
        Some(b) => r.body = b.clone(),
        None => apply(&mut r.body, &m.body),
    }
    if let Some((i, edits)) = &m.header {
        let name = MUTABLE_HEADERS[*i];
        let value = edits.as_ref().map(|edits| {
            let mut v = r.header(name).unwrap_or(b"").to_vec();
            apply(&mut v, edits);
            v
        });
        r.set_header(name, value);
    }
    if let Some(edits) = &m.path {
        let mut p = r.path.clone().into_bytes();
        apply(&mut p, edits);
        r.path = String::from_utf8_lossy(&p).into_owned();
    }
    if let Some(edits) = &m.query {
        let mut q = r.query.clone().unwrap_or_default().into_bytes();
        apply(&mut q, edits);
        r.query = Some(String::from_utf8_lossy(&q).into_owned());
    }
    if let Some(i) = m.method {
        r.method = ["GET", "PUT", "DELETE", "POST"][i].to_owned();
    }
    r
}

/// A response is AWS-shaped: an error status and the protocol's error body.
fn assert_aws_error(resp: &EncodedResponse, protocol: WireProtocol, what: &str) {
    assert!(
        (400..600).contains(&resp.status),
        "{what}: status {}",
        resp.status
    );
    let body = resp.body_str();
    match protocol {
        WireProtocol::AwsJson1_0 | WireProtocol::AwsJson1_1 => {
            let v: Value = serde_json::from_str(body)
                .unwrap_or_else(|e| panic!("{what}: JSON error body ({e}): {body}"));
            assert!(v["__type"].is_string(), "{what}: no __type: {body}");
        }
        WireProtocol::AwsQuery => {
            // AWS's bare answer to a Query request without an action (validated against AWS).
            let unknown_operation = body == "<UnknownOperationException/>";
            assert!(
                unknown_operation || (body.contains("<ErrorResponse") && body.contains("<Code>")),
                "{what}: not a Query error: {body}"
            );
        }
        WireProtocol::AwsQueryJson => {
            assert!(
                serde_json::from_str::<Value>(body).is_ok(),
                "{what}: not JSON: {body}"
            );
        }
    }
}

/// Decodes one request as the server does; checks the outcome is an input or an AWS error.
fn check(r: &Req) {
    let mut headers = HeaderMap::new();
    for (name, value) in &r.headers {
        // What hyper would not accept never reaches the codec.
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value),
        ) {
            headers.append(n, v);
        }
    }
    let req = HttpRequest {
        method: &r.method,
        path: &r.path,
        query: r.query.as_deref(),
        headers: &headers,
        body: &r.body,
    };
    let codec = Codec::shared();
    let started = Instant::now();
    match codec.decode(&req) {
        Ok(decoded) => {
            // Constraint checks the services run next, and an error rendered for the request.
            let _ = validate_input(decoded.service, &decoded.operation, &decoded.input);
            let err = ServiceError::new("ValidationError", "fuzz");
            let resp = codec.encode_error(decoded.service, decoded.protocol, &err, "rid");
            assert_aws_error(&resp, decoded.protocol, "error for a decoded request");
        }
        Err(err @ DecodeError { .. }) => {
            let resp = codec.encode_decode_error(&err, "rid");
            let protocol = err
                .protocol
                .or(err.service.map(Codec::default_protocol))
                .unwrap_or(WireProtocol::AwsQuery);
            assert_aws_error(&resp, protocol, "decode error");
            assert!(
                resp.status < 500,
                "a request the client garbled is the client's fault: {} {}",
                err.error.code,
                err.error.message
            );
        }
    }
    let took = started.elapsed();
    assert!(took < BOUND, "decoding took {took:?}: {r:?}");
}

fn fuzz_seeds(seeds: Vec<Req>) -> impl Strategy<Value = Req> {
    (prop::sample::select(seeds), mutation()).prop_map(|(seed, m)| mutate(&seed, &m))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn sqs_json_1_0_decoding(r in fuzz_seeds(sqs_json_seeds())) {
        check(&r);
    }

    #[test]
    fn sqs_query_decoding(r in fuzz_seeds(sqs_query_seeds())) {
        check(&r);
    }

    #[test]
    fn sns_query_decoding(r in fuzz_seeds(sns_seeds())) {
        check(&r);
    }

    #[test]
    fn eventbridge_json_1_1_decoding(r in fuzz_seeds(events_seeds())) {
        check(&r);
    }

    #[test]
    fn sts_query_decoding(r in fuzz_seeds(sts_seeds())) {
        check(&r);
    }

    /// `X-Amz-Target` names of every operation of the JSON services with arbitrary bodies:
    /// the type checks against the model see every input shape.
    #[test]
    fn json_operations_with_arbitrary_bodies(
        op in 0usize..1000,
        events in any::<bool>(),
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64),
            arbitrary_json().prop_map(|v| v.to_string().into_bytes()),
        ],
    ) {
        let (service, prefix, ct) = if events {
            (ServiceName::Events, "AWSEvents", "application/x-amz-json-1.1")
        } else {
            (ServiceName::Sqs, "AmazonSQS", "application/x-amz-json-1.0")
        };
        let ops: Vec<&str> = Codec::shared().operations(service).collect();
        let op = ops[op % ops.len()];
        check(&json(&format!("{prefix}.{op}"), ct, &String::from_utf8_lossy(&body)));
    }

    /// SigV4 `Authorization` headers and presigned query strings, real ones mutated.
    #[test]
    fn sigv4_authorization_parsing(
        seed in prop::sample::select(AUTHORIZATIONS),
        edits in prop::collection::vec(edit(), 0..8),
        date in prop::option::of(prop::sample::select(&["20261127T100717Z", "", "garbage", "Thu, 27 Nov 2026 10:07:17 GMT"][..])),
        presigned in any::<bool>(),
    ) {
        let mut value = seed.as_bytes().to_vec();
        apply(&mut value, &edits);
        let value = String::from_utf8_lossy(&value).into_owned();
        let started = Instant::now();
        let outcome = if presigned {
            sigv4::parse_presigned(&value).map(|_| ())
        } else {
            sigv4::parse_authorization(&value, date).map(|_| ())
        };
        if let Err(e) = outcome {
            let err = e.to_service_error();
            prop_assert!(!err.code.is_empty());
        }
        // Through the request-level entry point too, as a header when hyper would take it.
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(http::header::AUTHORIZATION, v);
        }
        if let Some(d) = date.and_then(|d| HeaderValue::from_str(d).ok()) {
            headers.insert("x-amz-date", d);
        }
        let _ = sigv4::parse_request(&headers, Some(&value));
        prop_assert!(started.elapsed() < BOUND);
    }
}

proptest! {
    #![proptest_config(config())]

    /// `aws-chunked` bodies (chunked payload signing), well-formed ones mutated: decoding ends
    /// in the payload or an AWS error (`IncompleteSignature`...), never a panic, in bounded time.
    #[test]
    fn aws_chunked_decoding(
        // Chunks are not empty: a zero-size chunk ends the body.
        chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..48), 0..4),
        edits in prop::collection::vec(edit(), 0..8),
    ) {
        let mut body = Vec::new();
        for chunk in chunks.iter().chain(std::iter::once(&Vec::new())) {
            body.extend_from_slice(format!("{:x};chunk-signature={}\r\n", chunk.len(), "0".repeat(64)).as_bytes());
            body.extend_from_slice(chunk);
            body.extend_from_slice(b"\r\n");
        }
        let intact = edits.is_empty();
        apply(&mut body, &edits);
        let started = Instant::now();
        match sigv4::decode_aws_chunked_unverified(&body) {
            Ok(payload) => {
                if intact {
                    prop_assert_eq!(payload, chunks.concat());
                }
            }
            Err(e) => prop_assert!(!e.code.is_empty()),
        }
        prop_assert!(started.elapsed() < BOUND);
    }
}

const AUTHORIZATIONS: &[&str] = &[
    "AWS4-HMAC-SHA256 Credential=123456789012/20261127/us-east-1/sqs/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=047e216b4b271987c1e6e29c1087ff52ae64a4035ed9a37e3c8d3e84f67d083f",
    "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261127/eu-west-1/events/aws4_request,SignedHeaders=host;x-amz-date;x-amz-security-token;x-amz-target,Signature=00",
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=123456789012%2F20261127%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20261127T100717Z&X-Amz-SignedHeaders=host&X-Amz-Signature=abcdef",
    "AWS4-HMAC-SHA256 Credential=/,SignedHeaders=,Signature=",
];

/// Arbitrary JSON values, a few levels deep.
fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    prop::sample::select(
                        &[
                            "QueueUrl",
                            "QueueName",
                            "Entries",
                            "Attributes",
                            "MessageAttributes",
                            "MessageBody",
                            "Id",
                            "Name",
                            "EventPattern",
                            "Targets",
                            "Tags",
                            "Detail",
                            "Source",
                            "DataType",
                            "StringValue",
                            "BinaryValue",
                            "MaxNumberOfMessages",
                            "Rule",
                            "Arn",
                            "Input",
                            "InputTransformer",
                            "RetryPolicy",
                            "Limit",
                        ][..]
                    )
                    .prop_map(str::to_owned),
                    ".{0,6}",
                ],
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Large inputs stay linear: the whole fuzz budget must not hide a quadratic path that only
/// shows on big bodies. One big request per codec, decoded within the bound.
#[test]
fn large_bodies_decode_in_bounded_time() {
    let many_attrs: String = (1..=5000)
        .map(|i| format!("&Attribute.{i}.Name=n{i}&Attribute.{i}.Value=v"))
        .collect();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let huge_index = "&MessageAttribute.18446744073709551615.Name=a&MessageAttribute.18446744073709551616.Value.DataType=String";
    let cases = [
        form(
            &format!("Action=SetQueueAttributes&Version=2012-11-05&QueueUrl=u{many_attrs}"),
            "sqs",
        ),
        form(
            &format!("Action=SendMessage&Version=2012-11-05&QueueUrl=u&MessageBody=m{huge_index}"),
            "sqs",
        ),
        form(
            &format!(
                "Action=Publish&Version=2010-03-31&TopicArn=t&Message={}",
                "%41".repeat(300_000)
            ),
            "sns",
        ),
        json(
            "AmazonSQS.SendMessage",
            "application/x-amz-json-1.0",
            &format!(r#"{{"QueueUrl":"u","MessageBody":{deep}}}"#),
        ),
        json(
            "AWSEvents.PutEvents",
            "application/x-amz-json-1.1",
            &format!(r#"{{"Entries":{deep}}}"#),
        ),
        json(
            "AWSEvents.PutEvents",
            "application/x-amz-json-1.1",
            &format!(
                r#"{{"Entries":[{}]}}"#,
                vec![r#"{"Source":"s"}"#; 20_000].join(",")
            ),
        ),
    ];
    for r in &cases {
        check(r);
    }
}
