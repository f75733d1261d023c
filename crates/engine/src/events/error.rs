//! Errors of the EventBridge domain, one variant per EventBridge model error shape a client
//! can cause.

/// An EventBridge error. [`EventsError::code`] is the model's error shape name (the protocol
/// layer finds its HTTP status in the model); the payload is AWS's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventsError {
    /// `ResourceNotFoundException` (400).
    #[error("{0}")]
    ResourceNotFound(String),
    /// `ResourceAlreadyExistsException` (400).
    #[error("{0}")]
    ResourceAlreadyExists(String),
    /// `ValidationException` (400).
    #[error("{0}")]
    Validation(String),
    /// `InvalidEventPatternException` (400).
    #[error("{0}")]
    InvalidEventPattern(String),
    /// `LimitExceededException` (400).
    #[error("{0}")]
    LimitExceeded(String),
    /// `ManagedRuleException` (400): a rule created by an AWS service.
    #[error("{0}")]
    ManagedRule(String),
    /// `IllegalStatusException` (400).
    #[error("{0}")]
    IllegalStatus(String),
    /// `AccessDeniedException` (400).
    #[error("{0}")]
    AccessDenied(String),
    /// `InternalException` (500): what AWS answers in a few cases of bad input (recorded:
    /// `UpdateArchive` of an archive that does not exist).
    #[error("{0}")]
    Internal(String),
}

impl EventsError {
    /// The EventBridge model error shape this error is sent as.
    pub fn code(&self) -> &'static str {
        match self {
            EventsError::ResourceNotFound(_) => "ResourceNotFoundException",
            EventsError::ResourceAlreadyExists(_) => "ResourceAlreadyExistsException",
            EventsError::Validation(_) => "ValidationException",
            EventsError::InvalidEventPattern(_) => "InvalidEventPatternException",
            EventsError::LimitExceeded(_) => "LimitExceededException",
            EventsError::ManagedRule(_) => "ManagedRuleException",
            EventsError::IllegalStatus(_) => "IllegalStatusException",
            EventsError::AccessDenied(_) => "AccessDeniedException",
            EventsError::Internal(_) => "InternalException",
        }
    }

    /// AWS's message.
    pub fn message(&self) -> &str {
        match self {
            EventsError::ResourceNotFound(m)
            | EventsError::ResourceAlreadyExists(m)
            | EventsError::Validation(m)
            | EventsError::InvalidEventPattern(m)
            | EventsError::LimitExceeded(m)
            | EventsError::ManagedRule(m)
            | EventsError::IllegalStatus(m)
            | EventsError::AccessDenied(m)
            | EventsError::Internal(m) => m,
        }
    }

    pub(crate) fn validation(message: impl Into<String>) -> Self {
        EventsError::Validation(message.into())
    }

    pub(crate) fn bus_not_found(name: &str) -> Self {
        EventsError::ResourceNotFound(format!("Event bus {name} does not exist."))
    }

    pub(crate) fn rule_not_found(rule: &str, bus: &str) -> Self {
        EventsError::ResourceNotFound(format!("Rule {rule} does not exist on EventBus {bus}."))
    }
}
