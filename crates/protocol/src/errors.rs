//! AWS's common error codes: those any service may answer with and that are not in its model.

/// How a common error is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommonError {
    /// The Query error code (`InvalidParameterValue`, `AccessDenied`...).
    pub code: &'static str,
    /// HTTP status AWS answers with.
    pub status: u16,
    /// `Sender` (client) or `Receiver` (server) fault.
    pub sender_fault: bool,
    /// Raised by the AWS request layer ("coral") rather than the service: in JSON its
    /// `__type` is namespaced `com.amazon.coral.service#` instead of the service's namespace.
    pub coral: bool,
    /// The name in a JSON `__type` when it differs from the Query code: over JSON, SQS calls
    /// `InvalidParameterValue` `InvalidParameterValueException` and `MissingParameter`
    /// `MissingRequiredParameterException` (botocore reports them as `QueryErrorCode` in
    /// responses recorded against AWS), while `x-amzn-query-error` keeps the Query code.
    pub json_name: Option<&'static str>,
}

const fn e(code: &'static str, status: u16, sender_fault: bool, coral: bool) -> CommonError {
    CommonError {
        code,
        status,
        sender_fault,
        coral,
        json_name: None,
    }
}

const fn renamed_in_json(code: &'static str, json_name: &'static str) -> CommonError {
    CommonError {
        code,
        status: 400,
        sender_fault: true,
        coral: false,
        json_name: Some(json_name),
    }
}

/// The table (AWS "Common Errors" pages of the SQS/SNS/EventBridge API references, plus the
/// JSON-protocol names of the request-layer errors). The signature errors (SigV4 verification,
/// `crates/server/src/auth.rs`): Query services answer `InvalidClientTokenId`,
/// `SignatureDoesNotMatch` (also for a date outside the 15-minute window), `ExpiredToken` (403)
/// and `IncompleteSignature`, `RequestExpired` (400); JSON services (EventBridge) name them
/// `UnrecognizedClientException`, `InvalidSignatureException`, `ExpiredTokenException`,
/// `IncompleteSignatureException`, all 400 as the request layer of JSON services answers.
pub const COMMON_ERRORS: &[CommonError] = &[
    e("AccessDenied", 403, true, false),
    e("AccessDeniedException", 400, true, true),
    e("ExpiredToken", 403, true, true),
    e("ExpiredTokenException", 400, true, true),
    e("IncompleteSignature", 400, true, true),
    e("IncompleteSignatureException", 400, true, true),
    e("InternalError", 500, false, false),
    e("InternalFailure", 500, false, true),
    e("InvalidAction", 400, true, false),
    e("InvalidClientTokenId", 403, true, true),
    e("InvalidParameterCombination", 400, true, false),
    renamed_in_json("InvalidParameterValue", "InvalidParameterValueException"),
    e("InvalidQueryParameter", 400, true, false),
    e("InvalidSignatureException", 400, true, true),
    e("MalformedQueryString", 404, true, false),
    e("MissingAction", 400, true, false),
    e("MissingAuthenticationToken", 403, true, true),
    e("MissingAuthenticationTokenException", 403, true, true),
    renamed_in_json("MissingParameter", "MissingRequiredParameterException"),
    e("NotAuthorized", 400, true, false),
    e("OptInRequired", 403, true, false),
    e("RequestExpired", 400, true, true),
    e("SerializationException", 400, true, true),
    e("ServiceUnavailable", 503, false, true),
    e("SignatureDoesNotMatch", 403, true, true),
    e("Throttling", 400, true, false),
    e("ThrottlingException", 400, true, true),
    e("UnknownOperationException", 400, true, true),
    e("UnrecognizedClientException", 400, true, true),
    e("ValidationError", 400, true, false),
    e("ValidationException", 400, true, false),
];

/// Looks a common error code up.
pub fn common_error(code: &str) -> Option<&'static CommonError> {
    COMMON_ERRORS.iter().find(|c| c.code == code)
}
