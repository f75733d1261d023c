//! Errors of the SQS domain, named by the SQS model's error shapes or AWS's common codes.

use std::borrow::Cow;

/// An SQS error: `code` is an SQS model error shape (`QueueDoesNotExist`) or a common AWS
/// error code (`InvalidParameterValue`); `message` is AWS's text for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsError {
    pub code: Cow<'static, str>,
    pub message: String,
}

impl SqsError {
    pub fn new(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn queue_does_not_exist() -> Self {
        Self::new("QueueDoesNotExist", "The specified queue does not exist.")
    }

    pub fn invalid_parameter_value(message: impl Into<String>) -> Self {
        Self::new("InvalidParameterValue", message)
    }

    /// `Invalid value for the parameter {name}.` (InvalidAttributeValue).
    pub fn invalid_attribute_value(name: &str) -> Self {
        Self::new(
            "InvalidAttributeValue",
            format!("Invalid value for the parameter {name}."),
        )
    }

    /// `Unknown Attribute {name}.` (InvalidAttributeName).
    pub fn unknown_attribute(name: &str) -> Self {
        Self::new("InvalidAttributeName", format!("Unknown Attribute {name}."))
    }

    pub fn receipt_handle_is_invalid(handle: &str) -> Self {
        Self::new(
            "ReceiptHandleIsInvalid",
            format!("The input receipt handle \"{handle}\" is not a valid receipt handle."),
        )
    }
}

impl std::fmt::Display for SqsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for SqsError {}
