//! EventBridge's `InvalidEventPatternException` messages, full text, as AWS
//! answered them: every recorded case in LocalStack's AWS-validated snapshot
//! `tests/aws/services/events/test_events_patterns.snapshot.json` (commit
//! 02df38cc, recorded 29-11-2024 and 05-12-2024; the "MessageRaw" field, or
//! "Message" for `test_invalid_json_event_pattern`). The requests send
//! `json.dumps(<EventPattern of event_pattern_templates/<name>.json5>)`; the
//! snapshot masks the partition and region, which are `aws` and `us-east-1`
//! in the templates.

use ferrybridge_pattern::EventPattern;

/// (test id in the snapshot, pattern sent, message AWS answered).
const RECORDED: &[(&str, &str, &str)] = &[
    (
        "test_event_pattern[int_nolist_EXC]",
        "{\"int\": 42}",
        "Event pattern is not valid. Reason: \"int\" must be an object or an array\n at [Source: (String)\"{\"int\": 42}\"; line: 1, column: 11]",
    ),
    (
        "test_event_pattern[content_numeric_operatorcasing_EXC]",
        "{\"detail\": {\"equal\": [{\"NUMERIC\": [\"=\", 5]}]}}",
        "Event pattern is not valid. Reason: Unrecognized match type NUMERIC\n at [Source: (String)\"{\"detail\": {\"equal\": [{\"NUMERIC\": [\"=\", 5]}]}}\"; line: 1, column: 36]",
    ),
    (
        "test_event_pattern[string_nolist_EXC]",
        "{\"string\": \"my-value\"}",
        "Event pattern is not valid. Reason: \"string\" must be an object or an array\n at [Source: (String)\"{\"string\": \"my-value\"}\"; line: 1, column: 13]",
    ),
    (
        "test_event_pattern[arrays_empty_EXC]",
        "{\"resources\": []}",
        "Event pattern is not valid. Reason: Empty arrays are not allowed\n at [Source: (String)\"{\"resources\": []}\"; line: 1, column: 17]",
    ),
    (
        "test_event_pattern[operator_case_sensitive_EXC]",
        "{\"my_key\": [{\"EXISTS\": true}]}",
        "Event pattern is not valid. Reason: Unrecognized match type EXISTS\n at [Source: (String)\"{\"my_key\": [{\"EXISTS\": true}]}\"; line: 1, column: 28]",
    ),
    (
        "test_event_pattern[content_numeric_EXC]",
        "{\"detail\": {\"c-count\": [{\"numeric\": [\">\", 0, \">\", 0]}]}}",
        "Event pattern is not valid. Reason: Bad numeric range operator: >\n at [Source: (String)\"{\"detail\": {\"c-count\": [{\"numeric\": [\">\", 0, \">\", 0]}]}}\"; line: 1, column: 49]",
    ),
    (
        "test_event_pattern[content_wildcard_complex_EXC]",
        "{\"EventBusArn\": [{\"wildcard\": \"*:*:*:*:*:event-bus/*\"}]}",
        "Event pattern is not valid. Reason: Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character",
    ),
    (
        "test_event_pattern[content_numeric_syntax_EXC]",
        "{\"detail\": {\"c-count\": [{\"numeric\": [\">\", 0, \"<\"]}]}}",
        "Event pattern is not valid. Reason: Value of < must be numeric\n at [Source: (String)\"{\"detail\": {\"c-count\": [{\"numeric\": [\">\", 0, \"<\"]}]}}\"; line: 1, column: 50]",
    ),
    (
        "test_event_pattern[content_wildcard_repeating_star_EXC]",
        "{\"EventBusArn\": [{\"wildcard\": \"arn:aws:events:us-east-1:**:event-bus/*\"}]}",
        "Event pattern is not valid. Reason: Consecutive wildcard characters at pos 26\n at [Source: (String)\"{\"EventBusArn\": [{\"wildcard\": \"arn:aws:events:us-east-1:**:event-bus/*\"}]}\"; line: 1, column: 72]",
    ),
    (
        "test_event_pattern[content_ignorecase_EXC]",
        "{\"detail-type\": [{\"equals-ignore-case\": [\"ec2 instance state-change notification\"]}]}",
        "Event pattern is not valid. Reason: equals-ignore-case match pattern must be a string\n at [Source: (String)\"{\"detail-type\": [{\"equals-ignore-case\": [\"ec2 instance state-change notification\"]}]}\"; line: 1, column: 42]",
    ),
    (
        "test_event_pattern[content_ip_address_EXC]",
        "{\"detail\": {\"sourceIPAddress\": [{\"cidr\": \"bad-filter\"}]}}",
        "Event pattern is not valid. Reason: Malformed CIDR, one '/' required",
    ),
    (
        "test_event_pattern[content_anything_but_ignorecase_EXC]",
        "{\"detail\": {\"state\": [{\"anything-but\": {\"equals-ignore-case\": 123}}]}}",
        "Event pattern is not valid. Reason: Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.\n at [Source: (String)\"{\"detail\": {\"state\": [{\"anything-but\": {\"equals-ignore-case\": 123}}]}}\"; line: 1, column: 66]",
    ),
    (
        "test_event_pattern[content_anything_but_ignorecase_list_EXC]",
        "{\"detail\": {\"state\": [{\"anything-but\": {\"equals-ignore-case\": [123, 456]}}]}}",
        "Event pattern is not valid. Reason: Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.\n at [Source: (String)\"{\"detail\": {\"state\": [{\"anything-but\": {\"equals-ignore-case\": [123, 456]}}]}}\"; line: 1, column: 67]\n at [Source: (String)\"{\"detail\": {\"state\": [{\"anything-but\": {\"equals-ignore-case\": [123, 456]}}]}}\"; line: 1, column: 67]",
    ),
    (
        "test_event_pattern[content_ignorecase_list_EXC]",
        "{\"detail-type\": [{\"equals-ignore-case\": {\"prefix\": \"ec2\"}}]}",
        "Event pattern is not valid. Reason: equals-ignore-case match pattern must be a string\n at [Source: (String)\"{\"detail-type\": [{\"equals-ignore-case\": {\"prefix\": \"ec2\"}}]}\"; line: 1, column: 42]",
    ),
    (
        "test_invalid_json_event_pattern[this is valid json but not a dict]",
        "this is valid json but not a dict",
        "Event pattern is not valid. Reason: Unrecognized token 'this': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: (String)\"this is valid json but not a dict\"; line: 1, column: 5]",
    ),
    (
        "test_invalid_json_event_pattern[{'bad': 'quotation'}]",
        "{'bad': 'quotation'}",
        "Event pattern is not valid. Reason: Unexpected character (''' (code 39)): was expecting double-quote to start field name\n at [Source: (String)\"{'bad': 'quotation'}\"; line: 1, column: 2]",
    ),
    (
        "test_invalid_json_event_pattern[{\"not\": closed mark\"]",
        "{\"not\": closed mark\"",
        "Event pattern is not valid. Reason: Unrecognized token 'closed': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: (String)\"{\"not\": closed mark\"\"; line: 1, column: 15]",
    ),
    (
        "test_invalid_json_event_pattern[[\"not\", \"a\", \"dict\", \"but valid json\"]]",
        "[\"not\", \"a\", \"dict\", \"but valid json\"]",
        "Event pattern is not valid. Reason: Filter is not an object\n at [Source: (String)\"[\"not\", \"a\", \"dict\", \"but valid json\"]\"; line: 1, column: 2]",
    ),
    (
        "test_event_pattern[content_wildcard_int_EXC]",
        "{\"EventBusArn\": [{\"wildcard\": 123}]}",
        "Event pattern is not valid. Reason: wildcard match pattern must be a string\n at [Source: (String)\"{\"EventBusArn\": [{\"wildcard\": 123}]}\"; line: 1, column: 34]",
    ),
    (
        "test_event_pattern[content_wildcard_list_EXC]",
        "{\"EventBusArn\": [{\"wildcard\": [\"arn:aws:events:us-east-1:**:event-bus/*\"]}]}",
        "Event pattern is not valid. Reason: wildcard match pattern must be a string\n at [Source: (String)\"{\"EventBusArn\": [{\"wildcard\": [\"arn:aws:events:us-east-1:**:event-bus/*\"]}]}\"; line: 1, column: 32]",
    ),
    (
        "test_event_pattern[content_anything_wildcard_list_type_EXC]",
        "{\"detail\": {\"state\": [{\"anything-but\": {\"wildcard\": [123, \"*/dir/*\"]}}]}}",
        "Event pattern is not valid. Reason: wildcard match pattern must be a string\n at [Source: (String)\"{\"detail\": {\"state\": [{\"anything-but\": {\"wildcard\": [123, \"*/dir/*\"]}}]}}\"; line: 1, column: 57]\n at [Source: (String)\"{\"detail\": {\"state\": [{\"anything-but\": {\"wildcard\": [123, \"*/dir/*\"]}}]}}\"; line: 1, column: 57]",
    ),
    (
        "test_event_pattern[content_anything_wildcard_type_EXC]",
        "{\"detail\": {\"FilePath\": [{\"anything-but\": {\"wildcard\": 123}}]}}",
        "Event pattern is not valid. Reason: wildcard match pattern must be a string\n at [Source: (String)\"{\"detail\": {\"FilePath\": [{\"anything-but\": {\"wildcard\": 123}}]}}\"; line: 1, column: 59]",
    ),
    (
        "test_event_pattern[content_anything_suffix_list_type_EXC]",
        "{\"detail\": {\"FileName\": [{\"anything-but\": {\"suffix\": [123, \".txt\"]}}]}}",
        "Event pattern is not valid. Reason: prefix/suffix match pattern must be a string\n at [Source: (String)\"{\"detail\": {\"FileName\": [{\"anything-but\": {\"suffix\": [123, \".txt\"]}}]}}\"; line: 1, column: 58]\n at [Source: (String)\"{\"detail\": {\"FileName\": [{\"anything-but\": {\"suffix\": [123, \".txt\"]}}]}}\"; line: 1, column: 58]",
    ),
    (
        "test_event_pattern[content_anything_suffix_int_EXC]",
        "{\"detail\": {\"FileName\": [{\"anything-but\": {\"suffix\": 123}}]}}",
        "Event pattern is not valid. Reason: prefix/suffix match pattern must be a string\n at [Source: (String)\"{\"detail\": {\"FileName\": [{\"anything-but\": {\"suffix\": 123}}]}}\"; line: 1, column: 57]",
    ),
    (
        "test_event_pattern[content_anything_prefix_list_type_EXC]",
        "{\"detail\": {\"state\": [{\"anything-but\": {\"prefix\": [123, \"test\"]}}]}}",
        "Event pattern is not valid. Reason: prefix/suffix match pattern must be a string\n at [Source: (String)\"{\"detail\": {\"state\": [{\"anything-but\": {\"prefix\": [123, \"test\"]}}]}}\"; line: 1, column: 55]\n at [Source: (String)\"{\"detail\": {\"state\": [{\"anything-but\": {\"prefix\": [123, \"test\"]}}]}}\"; line: 1, column: 55]",
    ),
    (
        "test_event_pattern[content_anything_prefix_int_EXC]",
        "{\"detail\": {\"state\": [{\"anything-but\": {\"prefix\": 123}}]}}",
        "Event pattern is not valid. Reason: prefix/suffix match pattern must be a string\n at [Source: (String)\"{\"detail\": {\"state\": [{\"anything-but\": {\"prefix\": 123}}]}}\"; line: 1, column: 54]",
    ),
    (
        "test_event_pattern[content_prefix_list_EXC]",
        "{\"time\": [{\"prefix\": [\"2022-07-13\"]}]}",
        "Event pattern is not valid. Reason: prefix match pattern must be a string\n at [Source: (String)\"{\"time\": [{\"prefix\": [\"2022-07-13\"]}]}\"; line: 1, column: 23]",
    ),
    (
        "test_event_pattern[content_prefix_int_EXC]",
        "{\"time\": [{\"prefix\": 123}]}",
        "Event pattern is not valid. Reason: prefix match pattern must be a string\n at [Source: (String)\"{\"time\": [{\"prefix\": 123}]}\"; line: 1, column: 25]",
    ),
    (
        "test_event_pattern[content_suffix_int_EXC]",
        "{\"FileName\": [{\"suffix\": 123}]}",
        "Event pattern is not valid. Reason: suffix match pattern must be a string\n at [Source: (String)\"{\"FileName\": [{\"suffix\": 123}]}\"; line: 1, column: 29]",
    ),
    (
        "test_event_pattern[content_suffix_list_EXC]",
        "{\"FileName\": [{\"suffix\": [\".png\"]}]}",
        "Event pattern is not valid. Reason: suffix match pattern must be a string\n at [Source: (String)\"{\"FileName\": [{\"suffix\": [\".png\"]}]}\"; line: 1, column: 27]",
    ),
    (
        "test_event_pattern[content_anything_prefix_ignorecase_EXC]",
        "{\"detail\": {\"FileName\": [{\"anything-but\": {\"prefix\": {\"equals-ignore-case\": \"file\"}}}]}}",
        "Event pattern is not valid. Reason: Value of anything-but must be an array or single string/number value.\n at [Source: (String)\"{\"detail\": {\"FileName\": [{\"anything-but\": {\"prefix\": {\"equals-ignore-case\": \"file\"}}}]}}\"; line: 1, column: 55]",
    ),
    (
        "test_event_pattern[content_anything_suffix_ignorecase_EXC]",
        "{\"detail\": {\"FileName\": [{\"anything-but\": {\"suffix\": {\"equals-ignore-case\": \".png\"}}}]}}",
        "Event pattern is not valid. Reason: Value of anything-but must be an array or single string/number value.\n at [Source: (String)\"{\"detail\": {\"FileName\": [{\"anything-but\": {\"suffix\": {\"equals-ignore-case\": \".png\"}}}]}}\"; line: 1, column: 55]",
    ),
    (
        "test_event_pattern[content_ip_address_bad_mask_EXC]",
        "{\"detail\": {\"sourceIPAddress\": [{\"cidr\": \"bad-/64filter\"}]}}",
        "Event pattern is not valid. Reason: Malformed CIDR, mask bits must be an integer",
    ),
    (
        "test_event_pattern[content_ip_address_bad_ip_EXC]",
        "{\"detail\": {\"sourceIPAddress\": [{\"cidr\": \"xx.11.xx/8\"}]}}",
        "Event pattern is not valid. Reason: Nonstandard IP address: xx.11.xx",
    ),
    (
        "test_event_pattern[content_ip_address_type_EXC]",
        "{\"detail\": {\"sourceIPAddress\": [{\"cidr\": [\"bad-type\"]}]}}",
        "Event pattern is not valid. Reason: prefix match pattern must be a string\n at [Source: (String)\"{\"detail\": {\"sourceIPAddress\": [{\"cidr\": [\"bad-type\"]}]}}\"; line: 1, column: 43]",
    ),
    (
        "test_event_pattern[content_ip_address_v6_bad_ip_EXC]",
        "{\"detail\": {\"sourceIPAddress\": [{\"cidr\": \"xxxx:db8:1234:1a00::/64\"}]}}",
        "Event pattern is not valid. Reason: Nonstandard IP address: xxxx:db8:1234:1a00::",
    ),
];

#[test]
fn recorded_aws_messages() {
    let mut failures = Vec::new();
    for (name, pattern, expected) in RECORDED {
        match EventPattern::parse(pattern) {
            Ok(_) => failures.push(format!("{name}: accepted")),
            Err(e) if e.to_string() != *expected => failures.push(format!(
                "{name}:\n  got      {e:?}\n  expected {expected:?}"
            )),
            Err(e) => assert_eq!(e.error_code(), "InvalidEventPatternException"),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        RECORDED.len(),
        failures.join("\n")
    );
}

/// Cases AWS has not been recorded answering; the texts and positions follow
/// jackson-core's parser sources (`ReaderBasedJsonParser`,
/// `ParserMinimalBase`, `JsonLocation`), as the recorded cases above do.
const DERIVED: &[(&str, &str, &str)] = &[
    (
        "object not closed",
        r#"{"a": ["b"]"#,
        "Event pattern is not valid. Reason: Unexpected end-of-input: expected close marker for Object (start marker at [Source: (String)\"{\"a\": [\"b\"]\"; line: 1, column: 1])\n at [Source: (String)\"{\"a\": [\"b\"]\"; line: 1, column: 12]",
    ),
    (
        "array not closed",
        r#"{"a": ["b""#,
        "Event pattern is not valid. Reason: Unexpected end-of-input: expected close marker for Array (start marker at [Source: (String)\"{\"a\": [\"b\"\"; line: 1, column: 7])\n at [Source: (String)\"{\"a\": [\"b\"\"; line: 1, column: 11]",
    ),
    (
        "string not closed",
        r#"{"a": ["b"#,
        "Event pattern is not valid. Reason: Unexpected end-of-input: was expecting closing quote for a string value\n at [Source: (String)\"{\"a\": [\"b\"; line: 1, column: 10]",
    ),
    (
        "field name not closed",
        r#"{"a"#,
        "Event pattern is not valid. Reason: Unexpected end-of-input in field name\n at [Source: (String)\"{\"a\"; line: 1, column: 4]",
    ),
    (
        "missing comma",
        r#"{"a": ["b"] "c": ["d"]}"#,
        "Event pattern is not valid. Reason: Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries\n at [Source: (String)\"{\"a\": [\"b\"] \"c\": [\"d\"]}\"; line: 1, column: 13]",
    ),
    (
        "missing colon",
        r#"{"a" ["b"]}"#,
        "Event pattern is not valid. Reason: Unexpected character ('[' (code 91)): was expecting a colon to separate field name and value\n at [Source: (String)\"{\"a\" [\"b\"]}\"; line: 1, column: 6]",
    ),
    (
        "trailing comma in an array",
        r#"{"a": ["b",]}"#,
        "Event pattern is not valid. Reason: Unexpected character (']' (code 93)): expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: (String)\"{\"a\": [\"b\",]}\"; line: 1, column: 12]",
    ),
    (
        "trailing comma in an object",
        r#"{"a": ["b"], }"#,
        "Event pattern is not valid. Reason: Unexpected character ('}' (code 125)): was expecting double-quote to start field name\n at [Source: (String)\"{\"a\": [\"b\"], }\"; line: 1, column: 14]",
    ),
    (
        "mismatched close",
        r#"{"a": ["b"}"#,
        "Event pattern is not valid. Reason: Unexpected close marker '}': expected ']' (for Array starting at [Source: (String)\"{\"a\": [\"b\"}\"; line: 1, column: 7])\n at [Source: (String)\"{\"a\": [\"b\"}\"; line: 1, column: 11]",
    ),
    (
        "misspelt literal",
        r#"{"a": [tru]}"#,
        "Event pattern is not valid. Reason: Unrecognized token 'tru': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: (String)\"{\"a\": [tru]}\"; line: 1, column: 11]",
    ),
    (
        "leading zero",
        r#"{"a": [01]}"#,
        "Event pattern is not valid. Reason: Invalid numeric value: Leading zeroes not allowed\n at [Source: (String)\"{\"a\": [01]}\"; line: 1, column: 9]",
    ),
    (
        "bad escape",
        r#"{"a": ["x\q"]}"#,
        "Event pattern is not valid. Reason: Unrecognized character escape 'q' (code 113)\n at [Source: (String)\"{\"a\": [\"x\\q\"]}\"; line: 1, column: 12]",
    ),
    (
        "lines count, columns restart",
        "{\n  \"a\": [\n    \"b\",\n    x\n  ]\n}",
        "Event pattern is not valid. Reason: Unrecognized token 'x': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: (String)\"{\n  \"a\": [\n    \"b\",\n    x\n  ]\n}\"; line: 4, column: 6]",
    ),
    (
        "rule error on a later line",
        "{\n  \"a\": \"b\"\n}",
        "Event pattern is not valid. Reason: \"a\" must be an object or an array\n at [Source: (String)\"{\n  \"a\": \"b\"\n}\"; line: 2, column: 9]",
    ),
    (
        "columns count UTF-16 units",
        "{\"\u{e9}\": [\"\u{1f600}\", x]}",
        "Event pattern is not valid. Reason: Unrecognized token 'x': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: (String)\"{\"\u{e9}\": [\"\u{1f600}\", x]}\"; line: 1, column: 15]",
    ),
    (
        "rule error before a syntax error: event-ruler compiles while it reads",
        r#"{"source": "aws.ec2",}"#,
        "Event pattern is not valid. Reason: \"source\" must be an object or an array\n at [Source: (String)\"{\"source\": \"aws.ec2\",}\"; line: 1, column: 13]",
    ),
    (
        "rule error at a string Jackson has not finished reading",
        r#"{"a": "b"#,
        "Event pattern is not valid. Reason: \"a\" must be an object or an array\n at [Source: (String)\"{\"a\": \"b\"; line: 1, column: 8]",
    ),
    (
        "error after the pattern, never read",
        r#"{"a": [{"cidr": "bad"}]} x"#,
        "Event pattern is not valid. Reason: Malformed CIDR, one '/' required",
    ),
    (
        "control characters in the source are shown escaped",
        "{\t\"a\": \"b\"}",
        "Event pattern is not valid. Reason: \"a\" must be an object or an array\n at [Source: (String)\"{\\u0009\"a\": \"b\"}\"; line: 1, column: 9]",
    ),
    (
        "empty text",
        "",
        "Event pattern is not valid. Reason: Filter is not an object\n at [Source: (String)\"\"; line: 1, column: 1]",
    ),
];

#[test]
fn jackson_derived_messages() {
    let mut failures = Vec::new();
    for (name, pattern, expected) in DERIVED {
        match EventPattern::parse(pattern) {
            Ok(_) => failures.push(format!("{name}: accepted")),
            Err(e) if e.to_string() != *expected => failures.push(format!(
                "{name}:\n  got      {e:?}\n  expected {expected:?}"
            )),
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Jackson shows the first 500 characters of the source, then how many it
/// left out (`ContentReference`, `[truncated N chars]`).
#[test]
fn long_sources_are_truncated_at_500_chars() {
    let pattern = format!(r#"{{"source": ["{}"], "x": 1}}"#, "a".repeat(600));
    let err = EventPattern::parse(&pattern).expect_err("rejected");
    let shown = &pattern[..500];
    let left_out = pattern.len() - 500;
    assert_eq!(
        err.to_string(),
        format!(
            "Event pattern is not valid. Reason: \"x\" must be an object or an array\n at \
             [Source: (String)\"{shown}\"[truncated {left_out} chars]; line: 1, column: {}]",
            // Just after the number, whose end Jackson finds at the final `}`.
            pattern.len()
        )
    );
}

/// Errors raised once parsing is over carry no location (recorded above for
/// `Rule is too complex` and the CIDR errors); SNS keeps its own wording.
#[test]
fn sns_policies_keep_their_wording() {
    use ferrybridge_pattern::{FilterPolicy, FilterPolicyScope};
    let err = FilterPolicy::parse(r#"{"a": "b"}"#, FilterPolicyScope::MessageAttributes)
        .expect_err("rejected");
    assert_eq!(
        err.to_string(),
        "Invalid parameter: FilterPolicy: \"a\" must be an object or an array"
    );
}
