//! Validation messages, pinned to texts AWS answered (see the module docs for sources).

use std::time::Instant;

use serde_json::{json, Value};

use super::{compile_java_regex, uncompiled_patterns, validate_input};
use crate::ServiceName;

fn events(op: &str, input: Value) -> Result<(), String> {
    validate_input(ServiceName::Events, op, &input)
}

const BUS_PATTERN: &str = r"[/\.\-_A-Za-z0-9]+";
const RULE_PATTERN: &str = r"[\.\-_A-Za-z0-9]+";

#[test]
fn valid_requests_pass() {
    assert_eq!(events("CreateEventBus", json!({"Name": "orders"})), Ok(()));
    assert_eq!(
        events(
            "PutRule",
            json!({"Name": "r1", "EventPattern": "{}", "State": "ENABLED", "EventBusName": "orders"})
        ),
        Ok(())
    );
    assert_eq!(
        events(
            "PutTargets",
            json!({"Rule": "r1", "Targets": [{"Id": "t-1", "Arn": "arn:aws:sqs:us-east-1:000000000000:q",
                "InputTransformer": {"InputPathsMap": {"src": "$.source"}, "InputTemplate": "<src>"},
                "RetryPolicy": {"MaximumRetryAttempts": 185}}]})
        ),
        Ok(())
    );
    assert_eq!(
        events(
            "PutEvents",
            json!({"Entries": [{"Source": "s", "DetailType": "d", "Detail": "{}", "Time": 1.7e9}]})
        ),
        Ok(())
    );
    assert_eq!(events("ListRules", json!({"Limit": 100})), Ok(()));
    assert_eq!(events("ListRules", json!({})), Ok(()));
    // Unknown operations and values of the wrong type are someone else's business.
    assert_eq!(events("NoSuchOperation", json!({"Name": ""})), Ok(()));
    assert_eq!(events("ListRules", json!({"Limit": "x"})), Ok(()));
}

#[test]
fn create_event_bus_name_pattern() {
    assert_eq!(
        events("CreateEventBus", json!({"Name": "my bus"})),
        Err(format!(
            "1 validation error detected: Value 'my bus' at 'name' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: {BUS_PATTERN}"
        ))
    );
}

#[test]
fn create_event_bus_missing_name() {
    assert_eq!(
        events("CreateEventBus", json!({})),
        Err(
            "1 validation error detected: Value null at 'name' failed to satisfy constraint: \
             Member must not be null"
                .to_string()
        )
    );
    // An explicit JSON null is a missing value too.
    assert_eq!(
        events("CreateEventBus", json!({"Name": null})),
        events("CreateEventBus", json!({}))
    );
}

#[test]
fn empty_string_breaks_pattern_then_length() {
    assert_eq!(
        events("CreateEventBus", json!({"Name": ""})),
        Err(format!(
            "2 validation errors detected: Value '' at 'name' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: {BUS_PATTERN}; Value '' at 'name' \
             failed to satisfy constraint: Member must have length greater than or equal to 1"
        ))
    );
}

/// AWS's answer as recorded by LocalStack (`test_create_connection_validations`): the pattern
/// violation of `name` comes before its length violation (issue 15).
#[test]
fn create_connection_three_errors_as_recorded_from_aws() {
    let name = "This should fail with two errors 123467890123412341234123412341234";
    assert_eq!(
        events(
            "CreateConnection",
            json!({"Name": name, "AuthorizationType": "INVALID",
                   "AuthParameters": {"BasicAuthParameters": {"Username": "u", "Password": "p"}}})
        ),
        Err(format!(
            "3 validation errors detected: Value '{name}' at 'name' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: {RULE_PATTERN}; Value '{name}' at \
             'name' failed to satisfy constraint: Member must have length less than or equal to \
             64; Value 'INVALID' at 'authorizationType' failed to satisfy \
             constraint: Member must satisfy enum value set: [BASIC, OAUTH_CLIENT_CREDENTIALS, \
             API_KEY]"
        ))
    );
}

#[test]
fn put_rule_name_too_long_and_bad_state() {
    let long = "a".repeat(65);
    assert_eq!(
        events("PutRule", json!({"Name": long, "State": "ON"})),
        Err(format!(
            "2 validation errors detected: Value '{long}' at 'name' failed to satisfy constraint: \
             Member must have length less than or equal to 64; Value 'ON' at 'state' failed to \
             satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, \
             ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]"
        ))
    );
    // 64 code points is the limit whatever their UTF-8 size.
    let name = "a".repeat(64);
    assert_eq!(events("PutRule", json!({"Name": name})), Ok(()));
}

#[test]
fn length_counts_code_points() {
    let desc = "é".repeat(512);
    assert_eq!(
        events("PutRule", json!({"Name": "r", "Description": desc})),
        Ok(())
    );
    let desc = "😀".repeat(513);
    let err = events("PutRule", json!({"Name": "r", "Description": desc})).unwrap_err();
    assert!(
        err.ends_with("at 'description' failed to satisfy constraint: Member must have length less than or equal to 512"),
        "{err}"
    );
}

#[test]
fn put_targets_rule_arn_and_missing_targets() {
    let arn = "arn:aws:events:eu-west-1:000000000000:rule/Test";
    assert_eq!(
        events("PutTargets", json!({"Rule": arn})),
        Err(format!(
            "2 validation errors detected: Value '{arn}' at 'rule' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: {RULE_PATTERN}; Value null at \
             'targets' failed to satisfy constraint: Member must not be null"
        ))
    );
}

#[test]
fn put_targets_nested_list_members() {
    let bad_id = "arn:aws:sqs:us-east-1:000000000000:q";
    assert_eq!(
        events(
            "PutTargets",
            json!({"Rule": "r", "Targets": [
                {"Id": "ok", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"},
                {"Id": bad_id, "Arn": "arn:aws:sqs:us-east-1:000000000000:q"},
                {"Id": "x"},
                {"Id": "y", "Arn": "arn:aws:sqs:us-east-1:000000000000:q",
                 "RetryPolicy": {"MaximumRetryAttempts": 186, "MaximumEventAgeInSeconds": 59}}
            ]})
        ),
        Err(format!(
            "4 validation errors detected: \
             Value '{bad_id}' at 'targets.2.member.id' failed to satisfy constraint: Member must \
             satisfy regular expression pattern: {RULE_PATTERN}; \
             Value null at 'targets.3.member.arn' failed to satisfy constraint: Member must not be \
             null; \
             Value '186' at 'targets.4.member.retryPolicy.maximumRetryAttempts' failed to satisfy \
             constraint: Member must have value less than or equal to 185; \
             Value '59' at 'targets.4.member.retryPolicy.maximumEventAgeInSeconds' failed to \
             satisfy constraint: Member must have value greater than or equal to 60"
        ))
    );
}

#[test]
fn put_targets_input_paths_map_keys() {
    let err = events(
        "PutTargets",
        json!({"Rule": "r", "Targets": [{"Id": "t", "Arn": "arn:aws:sqs:us-east-1:000000000000:q",
            "InputTransformer": {"InputPathsMap": {"ok": "$.a", "bad key": "$.b"}, "InputTemplate": "x"}}]}),
    )
    .unwrap_err();
    assert_eq!(
        err,
        "1 validation error detected: Value '{ok=$.a, bad key=$.b}' at \
         'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy constraint: Map keys \
         must satisfy constraint: [Member must have length less than or equal to 256, Member must \
         have length greater than or equal to 1, Member must satisfy regular expression pattern: \
         [A-Za-z0-9\\_\\-]+]"
    );
}

#[test]
fn put_events_too_many_entries() {
    let entry = json!({"Source": "s", "DetailType": "d", "Detail": "{\"a\":1}"});
    let entries: Vec<Value> = (0..11).map(|_| entry.clone()).collect();
    let one = "PutEventsRequestEntry(time=null, source=s, resources=null, detailType=d, \
               detail={\"a\":1}, eventBusName=null, traceHeader=null, kmsKeyIdentifier=null, \
               internalMetadata=null)";
    let rendered = [one; 11].join(", ");
    assert_eq!(
        events("PutEvents", json!({"Entries": entries})),
        Err(format!(
            "1 validation error detected: Value '[{rendered}]' at 'entries' failed to satisfy \
             constraint: Member must have length less than or equal to 10"
        ))
    );
}

/// AWS's answer as recorded by LocalStack (`test_put_events_exceed_limit_ten_entries`).
#[test]
fn put_events_eleven_entries_as_recorded_from_aws() {
    let detail =
        r#"{"command": "update-account", "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"}}"#;
    let entry = json!({"Source": "core.update-account-command",
                       "DetailType": "core.update-account-command",
                       "Detail": detail, "EventBusName": "my-bus"});
    let entries: Vec<Value> = (0..11).map(|_| entry.clone()).collect();
    let one = format!(
        "PutEventsRequestEntry(time=null, source=core.update-account-command, resources=null, \
         detailType=core.update-account-command, detail={detail}, eventBusName=my-bus, \
         traceHeader=null, kmsKeyIdentifier=null, internalMetadata=null)"
    );
    let rendered = vec![one; 11].join(", ");
    assert_eq!(
        events("PutEvents", json!({"Entries": entries})),
        Err(format!(
            "1 validation error detected: Value '[{rendered}]' at 'entries' failed to satisfy \
             constraint: Member must have length less than or equal to 10"
        ))
    );
}

#[test]
fn put_events_empty_and_nested_entry() {
    assert_eq!(
        events("PutEvents", json!({"Entries": []})),
        Err(
            "1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: \
             Member must have length greater than or equal to 1"
                .to_string()
        )
    );
    assert_eq!(
        events(
            "PutEvents",
            json!({"Entries": [{"Source": "s", "Time": 0, "Resources": ["a", "b"],
                                "EventBusName": "bad bus"}]})
        ),
        Err(
            "1 validation error detected: Value 'bad bus' at 'entries.1.member.eventBusName' failed \
             to satisfy constraint: Member must satisfy regular expression pattern: \
             (arn:aws[\\w-]*:events:[a-z]+-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[\\.\\-_A-Za-z0-9]+"
                .to_string()
        )
    );
}

#[test]
fn timestamps_render_as_java_dates() {
    let entry = json!({"Source": "s", "Time": 1_704_067_200});
    let entries: Vec<Value> = (0..11).map(|_| entry.clone()).collect();
    let err = events("PutEvents", json!({"Entries": entries})).unwrap_err();
    assert!(
        err.contains("PutEventsRequestEntry(time=Mon Jan 01 00:00:00 UTC 2024, source=s,"),
        "{err}"
    );
}

#[test]
fn list_rules_limit_bounds() {
    assert_eq!(
        events("ListRules", json!({"Limit": 0})),
        Err(
            "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: \
             Member must have value greater than or equal to 1"
                .to_string()
        )
    );
    assert_eq!(
        events("ListRules", json!({"Limit": 101})),
        Err(
            "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: \
             Member must have value less than or equal to 100"
                .to_string()
        )
    );
}

#[test]
fn sensitive_values_are_not_echoed() {
    let err = events(
        "CreateConnection",
        json!({"Name": "c", "AuthorizationType": "API_KEY",
               "AuthParameters": {"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": ""}}}),
    )
    .unwrap_err();
    assert!(
        err.contains(
            "Value at 'authParameters.apiKeyAuthParameters.apiKeyValue' failed to satisfy constraint"
        ),
        "{err}"
    );
}

#[test]
fn at_most_ten_errors_are_listed() {
    let targets: Vec<Value> = (0..15).map(|_| json!({"Id": "bad id"})).collect();
    let err = events("PutTargets", json!({"Rule": "r", "Targets": targets})).unwrap_err();
    assert!(err.starts_with("10 validation errors detected: "), "{err}");
    assert_eq!(err.matches("failed to satisfy constraint").count(), 10);
    assert!(err.contains("'targets.5.member.arn'"), "{err}");
    assert!(!err.contains("'targets.6.member"), "{err}");
}

#[test]
fn java_regex_translation() {
    let re = compile_java_regex(r"[\w+=,.@-]+").expect("compiles");
    assert!(re.is_match("a_b+c=d,e.f@g-h"));
    // Java's \w is ASCII only, and the match is a full match.
    assert!(!re.is_match("é"));
    assert!(!re.is_match("a b"));
    let re = compile_java_regex(r"\d{3}").expect("compiles");
    assert!(re.is_match("123"));
    assert!(!re.is_match("1234"));
    assert!(!re.is_match("١٢٣"));
    let re = compile_java_regex(r"[^\s]+").expect("compiles");
    assert!(re.is_match("abc"));
    assert!(!re.is_match("a c"));
    let re = compile_java_regex(r"[\u0009\u000A\u000D\u0020-\u00FF]+").expect("compiles");
    assert!(re.is_match("a\tb"));
    assert!(compile_java_regex(r"a(").is_none());
    // Java's `.` stops at every line terminator.
    let re = compile_java_regex(".*").expect("compiles");
    assert!(re.is_match("any thing"));
    assert!(!re.is_match("a\u{2028}b"));
    assert!(!re.is_match("a\rb"));
    // A leading negative lookahead (events `PathParameter`: not blank).
    let re = compile_java_regex(r"^(?!\s*$).+").expect("compiles");
    assert!(re.is_match(" a "));
    assert!(!re.is_match("   "));
    assert!(!re.is_match(""));
}

#[test]
fn every_events_pattern_compiles() {
    let failed = uncompiled_patterns(ServiceName::Events);
    assert!(
        failed.is_empty(),
        "patterns that do not compile: {failed:?}"
    );
    for service in [ServiceName::Sqs, ServiceName::Sns] {
        let failed = uncompiled_patterns(service);
        assert!(failed.is_empty(), "{service:?}: {failed:?}");
    }
}

#[test]
fn valid_put_events_is_fast() {
    let entries: Vec<Value> = (0..10)
        .map(|i| {
            json!({"Source": "com.example", "DetailType": "order", "Detail": "{\"id\":1}",
                   "EventBusName": "orders", "Resources": [format!("arn:aws:s3:::b{i}")]})
        })
        .collect();
    let input = json!({"Entries": entries});
    assert_eq!(events("PutEvents", input.clone()), Ok(()));
    let n = 20_000;
    let start = Instant::now();
    for _ in 0..n {
        assert!(validate_input(ServiceName::Events, "PutEvents", &input).is_ok());
    }
    let per_call = start.elapsed() / n;
    eprintln!("PutEvents (10 entries) validation: {per_call:?} per request");
    // Debug build, shared machine: generous, but catches anything quadratic or allocating per byte.
    assert!(per_call.as_micros() < 500, "{per_call:?}");
}

#[test]
fn blank_path_parameter_is_refused() {
    let target = |value: &str| {
        json!({"Rule": "r", "Targets": [{"Id": "t", "Arn": "arn:aws:sqs:us-east-1:000000000000:q",
            "HttpParameters": {"PathParameterValues": ["ok", value]}}]})
    };
    assert_eq!(events("PutTargets", target("x")), Ok(()));
    assert_eq!(
        events("PutTargets", target("  ")),
        Err("1 validation error detected: Value '  ' at \
             'targets.1.member.httpParameters.pathParameterValues.2.member' failed to satisfy \
             constraint: Member must satisfy regular expression pattern: ^(?!\\s*$).+"
            .to_string())
    );
}

#[test]
fn create_api_destination_invalid_arn_and_method_as_aws_recorded() {
    // LocalStack's AWS-validated snapshot test_create_api_destination_invalid_parameters: the
    // endpoint 'invalid-endpoint' matches the model pattern; the method enum is listed in
    // AWS's order, not the model's.
    assert_eq!(
        events(
            "CreateApiDestination",
            json!({"Name": "d", "ConnectionArn": "invalid-connection-arn",
                   "InvocationEndpoint": "invalid-endpoint", "HttpMethod": "INVALID_METHOD"})
        ),
        Err("2 validation errors detected: Value 'invalid-connection-arn' at 'connectionArn' \
             failed to satisfy constraint: Member must satisfy regular expression pattern: \
             ^arn:aws([a-z]|\\-)*:events:([a-z]|\\d|\\-)*:([0-9]{12})?:connection\\/[\\.\\-_A-Za-z0-9]+\\/[\\-A-Za-z0-9]+$; \
             Value 'INVALID_METHOD' at 'httpMethod' failed to satisfy constraint: Member must \
             satisfy enum value set: [HEAD, POST, PATCH, DELETE, PUT, GET, OPTIONS]"
            .to_owned())
    );
}
