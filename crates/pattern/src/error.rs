//! Validation errors, worded the way AWS words them.
//!
//! EventBridge and SNS both validate patterns with event-ruler, so they share
//! one set of reasons ([`Reason`]); the services differ only in the envelope
//! around the reason ([`PatternError`] vs [`PolicyError`]).

use thiserror::Error;

/// Why a pattern or policy was rejected. `Display` gives AWS's exact text.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Reason {
    /// The text is not JSON: Jackson's message for EventBridge, serde_json's
    /// for SNS.
    #[error("{0}")]
    Json(String),
    #[error("Filter is not an object")]
    NotAnObject,
    #[error("\"{0}\" must be an object or an array")]
    MustBeObjectOrArray(String),
    #[error("Empty objects are not allowed")]
    EmptyObject,
    #[error("Empty arrays are not allowed")]
    EmptyArray,
    #[error("Match value must be String, number, true, false, or null")]
    BadMatchValue,
    #[error("It must be an Array followed with $or.")]
    OrNotArray,
    #[error("Only JSON object is allowed in array of $or relationship.")]
    OrElementNotObject,
    #[error("There must have at least 2 Objects in $or relationship.")]
    OrTooFewObjects,
    #[error("{0} is Ruler reserved fieldName which cannot be used inside $or.")]
    ReservedInOr(String),
    #[error("Match expression name not found")]
    MatchNameNotFound,
    #[error("Only one key allowed in match expression")]
    OnlyOneKey,
    #[error("Unrecognized match type {0}")]
    UnrecognizedMatchType(String),
    /// `{op} match pattern must be a string` for exact, prefix, suffix,
    /// equals-ignore-case, wildcard, prefix/suffix (and cidr, which AWS
    /// reports as "prefix").
    #[error("{0} match pattern must be a string")]
    MustBeString(&'static str),
    #[error("Prefix expression name not found")]
    PrefixNameNotFound,
    #[error("Unsupported prefix pattern: {0}")]
    UnsupportedPrefix(String),
    #[error("Suffix expression name not found")]
    SuffixNameNotFound,
    #[error("Unsupported suffix pattern: {0}")]
    UnsupportedSuffix(String),
    #[error("Value of numeric must be an array.")]
    NumericNotArray,
    #[error("Invalid member in numeric match: {0}")]
    InvalidNumericMember(String),
    #[error("Unrecognized numeric range operator: {0}")]
    UnrecognizedNumericOperator(String),
    /// `Value of {op} must be numeric`; `=` is spelled `equals`.
    #[error("Value of {0} must be numeric")]
    NotNumeric(String),
    #[error("Too many elements in numeric expression")]
    TooManyNumericElements,
    #[error("Bad value in numeric range: {0}")]
    BadRangeValue(String),
    #[error("Bad numeric range operator: {0}")]
    BadRangeOperator(String),
    #[error("Too many terms in numeric range expression")]
    TooManyRangeTerms,
    #[error("Bottom must be less than top")]
    BottomNotBelowTop,
    #[error("Value must be between -5.0E9 and 5.0E9, inclusive")]
    NumberOutOfRange,
    #[error("Anything-But expression name not found")]
    AnythingButNameNotFound,
    #[error("Unsupported anything-but pattern: {0}")]
    UnsupportedAnythingBut(String),
    #[error("Value of anything-but must be an array or single string/number value.")]
    AnythingButBadValue,
    #[error("Inside anything but list, start|null|boolean is not supported.")]
    AnythingButBadMember,
    #[error("Inside anything but list, either all values are number or string, mixed type is not supported")]
    AnythingButMixedTypes,
    #[error(
        "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
    )]
    AnythingButIgnoreCaseBadMember,
    #[error("Null prefix/suffix not allowed")]
    EmptyPrefixOrSuffix,
    #[error("exists match pattern must be either true or false.")]
    ExistsNotBoolean,
    /// A malformed `cidr` value (event-ruler's CIDR messages).
    #[error("{0}")]
    Cidr(String),
    /// A malformed `wildcard` value (event-ruler's wildcard messages).
    #[error("{0}")]
    Wildcard(String),
    /// The wildcards on one field leave too many prefixes active at once
    /// (event-ruler's machine complexity measure).
    #[error("Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character")]
    RuleTooComplex,
    /// `$or` expanded into more alternatives than we accept. This bound is
    /// ours: AWS documents no number.
    #[error("Event pattern is too complex: more than {0} alternatives after expanding $or")]
    TooManyAlternatives(usize),
    /// SNS: more than five keys.
    #[error("Filter policy can not have more than 5 keys")]
    TooManyKeys,
    /// SNS: more than 150 combinations.
    #[error("Filter policy is too complex")]
    TooComplex,
    /// SNS: nesting under `MessageAttributes` scope.
    #[error("Filter policy scope MessageAttributes does not support nested filter policy")]
    NestedAttributes,
    /// SNS: the policy is larger than 256 KB. The wording is ours.
    #[error("Filter policy is too large: {0} bytes exceeds the limit of 262144 bytes")]
    PolicyTooLarge(usize),
}

/// An EventBridge pattern was rejected (`PutRule`, `TestEventPattern`,
/// `CreateArchive`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PatternError {
    /// `InvalidEventPatternException`. `location` is what Jackson appends
    /// to event-ruler's message: `\n at [Source: (String)"..."; line: 1,
    /// column: N]` (twice for errors event-ruler catches and raises again,
    /// empty for errors raised once parsing is over).
    #[error("Event pattern is not valid. Reason: {reason}{location}")]
    Invalid { reason: Reason, location: String },
    /// The pattern is longer than the service quota; AWS rejects this at the
    /// API layer as a `ValidationException`.
    #[error(
        "1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: \
         Member must have length less than or equal to {limit}"
    )]
    TooLong { length: usize, limit: usize },
}

impl PatternError {
    /// The AWS error code to send with this error.
    pub fn error_code(&self) -> &'static str {
        match self {
            PatternError::Invalid { .. } => "InvalidEventPatternException",
            PatternError::TooLong { .. } => "ValidationException",
        }
    }

    /// The reason, for `Invalid` errors.
    pub fn reason(&self) -> Option<&Reason> {
        match self {
            PatternError::Invalid { reason, .. } => Some(reason),
            PatternError::TooLong { .. } => None,
        }
    }
}

/// An SNS filter policy was rejected: error code `InvalidParameter`.
///
/// `Display` gives the `SetSubscriptionAttributes` wording
/// ("Invalid parameter: FilterPolicy: ..."); `Subscribe` wraps the same text
/// differently, see [`PolicyError::subscribe_message`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PolicyError {
    #[error("Invalid parameter: {}", policy_detail(.0))]
    Invalid(Reason),
}

fn policy_detail(reason: &Reason) -> String {
    match reason {
        Reason::NestedAttributes => reason.to_string(),
        other => format!("FilterPolicy: {other}"),
    }
}

impl PolicyError {
    /// The AWS error code to send with this error.
    pub fn error_code(&self) -> &'static str {
        "InvalidParameter"
    }

    /// The reason the policy was rejected.
    pub fn reason(&self) -> &Reason {
        match self {
            PolicyError::Invalid(reason) => reason,
        }
    }

    /// The message as `Subscribe` words it, where the policy arrives among
    /// the subscription attributes.
    pub fn subscribe_message(&self) -> String {
        format!(
            "Invalid parameter: Attributes Reason: {}",
            policy_detail(self.reason())
        )
    }
}

/// An event given to the matcher was not valid JSON.
#[derive(Debug, Error)]
#[error("Event is not valid JSON: {0}")]
pub struct EventError(#[from] pub(crate) serde_json::Error);
