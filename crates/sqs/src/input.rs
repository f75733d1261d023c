//! What the operations share to read their typed inputs. SQS checks required members itself
//! (the generated SQS inputs have every member optional, see `ferrybridge-codegen`), in the
//! order and words AWS uses: `MissingParameter` for an absent member, `InvalidParameterValue`
//! for a value out of range.

use ferrybridge_api::ConversionError;
use ferrybridge_engine::sqs::SqsError;
use ferrybridge_protocol::ServiceError;

/// The engine's error as the protocol layer's.
pub(crate) fn service_error(e: SqsError) -> ServiceError {
    ServiceError::new(e.code, e.message)
}

pub(crate) fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::new("InvalidParameterValue", message)
}

pub(crate) fn missing(name: &str) -> ServiceError {
    ServiceError::new(
        "MissingParameter",
        format!("The request must contain the parameter {name}."),
    )
}

/// A member SQS requires: absent is `MissingParameter`.
pub(crate) fn required<T>(value: Option<T>, name: &str) -> Result<T, ServiceError> {
    value.ok_or_else(|| missing(name))
}

/// AWS's words for a member whose value has the wrong type: an integer names the member alone
/// (`Value abc for parameter DelaySeconds is invalid. Reason: Must be an integer.`), anything
/// else by its path (`Value for parameter Attributes.Policy is invalid.`).
pub(crate) fn conversion_error(error: ConversionError) -> ServiceError {
    match error {
        ConversionError::Missing { member } => missing(&member),
        ConversionError::Invalid {
            member,
            value,
            expected: "an integer",
        } => {
            let name = member.rsplit('.').next().unwrap_or(&member);
            invalid(format!(
                "Value {value} for parameter {name} is invalid. Reason: Must be an integer."
            ))
        }
        ConversionError::Invalid { member, .. } => {
            invalid(format!("Value for parameter {member} is invalid."))
        }
    }
}

/// An integer member that must lie in `min..=max`, with AWS's
/// `Value {v} for parameter {name} is invalid. Reason: {reason}` message.
pub(crate) fn int_in_range(
    value: Option<i32>,
    name: &str,
    min: i64,
    max: i64,
    reason: &str,
) -> Result<Option<i64>, ServiceError> {
    match value.map(i64::from) {
        Some(v) if v < min || v > max => Err(invalid(format!(
            "Value {v} for parameter {name} is invalid. Reason: {reason}"
        ))),
        other => Ok(other),
    }
}
