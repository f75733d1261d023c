//! Conversion errors name the full path of the member at fault (the paths are built only
//! when a conversion fails: see `FromValue`).

use ferrybridge_api::events::PutTargetsRequest;
use ferrybridge_api::{ConversionError, Entries, FromValue};
use serde_json::{json, Value};

fn member_of<T: FromValue + std::fmt::Debug>(value: Value) -> (String, bool) {
    match T::from_value(&value, "").unwrap_err() {
        ConversionError::Missing { member } => (member, true),
        ConversionError::Invalid { member, .. } => (member, false),
    }
}

#[test]
fn errors_name_the_full_path_of_nested_members() {
    let ok = json!({"Rule": "r", "Targets": [{"Id": "a", "Arn": "x"}]});
    let input = PutTargetsRequest::from_value(&ok, "").unwrap();
    assert_eq!(input.targets[0].arn, "x");
    assert_eq!(
        member_of::<PutTargetsRequest>(json!({"Targets": []})),
        ("Rule".to_string(), true)
    );
    assert_eq!(
        member_of::<PutTargetsRequest>(
            json!({"Rule": "r", "Targets": [{"Id": "a", "Arn": "x"}, {"Id": "b"}]})
        ),
        ("Targets.1.Arn".to_string(), true)
    );
    let retry = json!({"Rule": "r", "Targets": [{"Id": "a", "Arn": "x",
        "RetryPolicy": {"MaximumRetryAttempts": "many"}}]});
    assert_eq!(
        member_of::<PutTargetsRequest>(retry),
        (
            "Targets.0.RetryPolicy.MaximumRetryAttempts".to_string(),
            false
        )
    );
    // A lone structure counts as a one-element list.
    assert_eq!(
        member_of::<PutTargetsRequest>(json!({"Rule": "r", "Targets": {"Id": "a"}})),
        ("Targets.0.Arn".to_string(), true)
    );
    assert_eq!(
        member_of::<PutTargetsRequest>(json!({"Rule": ["r"]})),
        ("Rule".to_string(), false)
    );
    assert_eq!(
        member_of::<Entries<i64>>(json!({"a": 1, "b": "x"})),
        ("b".to_string(), false)
    );
    assert_eq!(
        member_of::<Vec<i64>>(json!([1, "x"])),
        ("1".to_string(), false)
    );
}
