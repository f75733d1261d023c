//! Errors a service reports to a client.

use std::borrow::Cow;

/// An AWS error as a service crate reports it; the codec decides how it looks on the wire.
///
/// `code` is either the name of an error shape of the service model (`QueueDoesNotExist`,
/// `InvalidAttributeName`...) or one of AWS's common error codes (`InvalidParameterValue`,
/// `MissingParameter`, `InvalidAction`, `AccessDenied`, `InternalFailure`...). The codec looks
/// the code up in the model to find the HTTP status, sender/receiver fault and, for Query and
/// awsQueryCompatible JSON, the legacy code (`AWS.SimpleQueueService.NonExistentQueue`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// A model error shape name or a common AWS error code (see above).
    pub code: Cow<'static, str>,
    /// The human-readable message, AWS's wording where it is known.
    pub message: String,
    /// The wording over the Query protocol when AWS's legacy front end words this error
    /// differently from its JSON one (SQS access denials: `Access to the resource <url> is
    /// denied.` over Query, an IAM-style `User: ... is not authorized ...` over JSON).
    pub query_message: Option<String>,
}

impl ServiceError {
    /// An error with `code` and `message`.
    pub fn new(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            query_message: None,
        }
    }

    /// This error, worded `message` over the Query protocol.
    pub fn with_query_message(mut self, message: impl Into<String>) -> Self {
        self.query_message = Some(message.into());
        self
    }
}

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ServiceError {}
