//! Why an invocation failed: what a dead-letter message reports, and whether the retry driver
//! tries again.

/// Why an invocation failed, as a DLQ message reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `ERROR_CODE` (AWS's codes: NO_RESOURCE, NO_PERMISSIONS, INVALID_PARAMETER, ...).
    pub code: &'static str,
    /// `ERROR_MESSAGE`.
    pub message: String,
    /// Whether trying again may help (throttling, time-outs, connection failures).
    pub retriable: bool,
    /// The least wait before the next attempt the target asked for (an HTTP `Retry-After`).
    pub retry_after_ms: Option<u64>,
}

impl Failure {
    pub fn permanent(code: &'static str, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            retriable: false,
            retry_after_ms: None,
        }
    }

    pub fn retriable(code: &'static str, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            retriable: true,
            retry_after_ms: None,
        }
    }

    /// The same failure, asking for at least `ms` before the next attempt.
    pub fn with_retry_after_ms(mut self, ms: u64) -> Self {
        self.retry_after_ms = Some(ms);
        self
    }
}

impl ferrybridge_delivery::retry::Failure for Failure {
    fn retriable(&self) -> bool {
        self.retriable
    }

    fn retry_after_ms(&self) -> Option<u64> {
        self.retry_after_ms
    }
}
