//! Errors of the SNS domain, one variant per SNS model error shape a client can cause.

/// An SNS error. [`SnsError::code`] is the SNS model's error shape name (the protocol layer
/// finds its Query code and HTTP status in the model); the payload is AWS's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnsError {
    /// `InvalidParameter` (400).
    InvalidParameter(String),
    /// `ParameterValueInvalid` (400): message attribute problems.
    InvalidParameterValue(String),
    /// `NotFound` (404).
    NotFound(String),
    /// `ResourceNotFound` (404): tagging a resource that does not exist.
    ResourceNotFound(String),
    /// `AuthorizationError` (403).
    AuthorizationError(String),
    /// `TagLimitExceeded` (400).
    TagLimitExceeded(String),
    /// `EndpointDisabled` (400).
    EndpointDisabled(String),
    /// `BatchEntryIdsNotDistinct` (400).
    BatchEntryIdsNotDistinct(String),
    /// `BatchRequestTooLong` (400).
    BatchRequestTooLong(String),
    /// `EmptyBatchRequest` (400).
    EmptyBatchRequest(String),
    /// `InvalidBatchEntryId` (400).
    InvalidBatchEntryId(String),
    /// `TooManyEntriesInBatchRequest` (400).
    TooManyEntriesInBatchRequest(String),
    /// `ValidationError` (400), AWS's request-layer constraint check.
    Validation(String),
    /// `OptedOut` (400).
    OptedOut(String),
    /// `VerificationException` (400).
    Verification(String),
}

impl SnsError {
    /// The SNS model error shape (or common error code) this error is sent as.
    pub fn code(&self) -> &'static str {
        match self {
            SnsError::InvalidParameter(_) => "InvalidParameterException",
            SnsError::InvalidParameterValue(_) => "InvalidParameterValueException",
            SnsError::NotFound(_) => "NotFoundException",
            SnsError::ResourceNotFound(_) => "ResourceNotFoundException",
            SnsError::AuthorizationError(_) => "AuthorizationErrorException",
            SnsError::TagLimitExceeded(_) => "TagLimitExceededException",
            SnsError::EndpointDisabled(_) => "EndpointDisabledException",
            SnsError::BatchEntryIdsNotDistinct(_) => "BatchEntryIdsNotDistinctException",
            SnsError::BatchRequestTooLong(_) => "BatchRequestTooLongException",
            SnsError::EmptyBatchRequest(_) => "EmptyBatchRequestException",
            SnsError::InvalidBatchEntryId(_) => "InvalidBatchEntryIdException",
            SnsError::TooManyEntriesInBatchRequest(_) => "TooManyEntriesInBatchRequestException",
            SnsError::Validation(_) => "ValidationError",
            SnsError::OptedOut(_) => "OptedOutException",
            SnsError::Verification(_) => "VerificationException",
        }
    }

    /// AWS's message.
    pub fn message(&self) -> &str {
        match self {
            SnsError::InvalidParameter(m)
            | SnsError::InvalidParameterValue(m)
            | SnsError::NotFound(m)
            | SnsError::ResourceNotFound(m)
            | SnsError::AuthorizationError(m)
            | SnsError::TagLimitExceeded(m)
            | SnsError::EndpointDisabled(m)
            | SnsError::BatchEntryIdsNotDistinct(m)
            | SnsError::BatchRequestTooLong(m)
            | SnsError::EmptyBatchRequest(m)
            | SnsError::InvalidBatchEntryId(m)
            | SnsError::TooManyEntriesInBatchRequest(m)
            | SnsError::Validation(m)
            | SnsError::OptedOut(m)
            | SnsError::Verification(m) => m,
        }
    }

    /// `InvalidParameter` with `Invalid parameter: {what}`.
    pub fn invalid(what: impl std::fmt::Display) -> Self {
        SnsError::InvalidParameter(format!("Invalid parameter: {what}"))
    }

    pub fn topic_not_found() -> Self {
        SnsError::NotFound("Topic does not exist".into())
    }

    pub fn subscription_not_found() -> Self {
        SnsError::NotFound("Subscription does not exist".into())
    }
}

impl std::fmt::Display for SnsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for SnsError {}
