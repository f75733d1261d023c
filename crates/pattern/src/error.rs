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
    /// The pattern is not a JSON object (an array, a scalar, or only white space).
    #[error("Filter is not an object")]
    NotAnObject,
    /// A field's value is a scalar; it must be a nested object or an array
    /// of match values. Holds the field name.
    #[error("\"{0}\" must be an object or an array")]
    MustBeObjectOrArray(String),
    /// A field's value is `{}`: an object with no fields matches nothing.
    #[error("Empty objects are not allowed")]
    EmptyObject,
    /// A field's value is `[]`: an empty list of match values matches nothing.
    #[error("Empty arrays are not allowed")]
    EmptyArray,
    /// An element of a field's value list is itself an array (or a number
    /// that cannot be read).
    #[error("Match value must be String, number, true, false, or null")]
    BadMatchValue,
    /// The value of `$or` is not an array.
    #[error("It must be an Array followed with $or.")]
    OrNotArray,
    /// An element of a `$or` array is not an object.
    #[error("Only JSON object is allowed in array of $or relationship.")]
    OrElementNotObject,
    /// A `$or` array has fewer than two branches.
    #[error("There must have at least 2 Objects in $or relationship.")]
    OrTooFewObjects,
    /// A branch of `$or` uses an operator name (`prefix`, `numeric`...) as
    /// a field name. Holds that name.
    #[error("{0} is Ruler reserved fieldName which cannot be used inside $or.")]
    ReservedInOr(String),
    /// A match expression is `{}`: no operator name.
    #[error("Match expression name not found")]
    MatchNameNotFound,
    /// A match expression (or an `equals-ignore-case` inside `prefix` /
    /// `suffix`) has more than one key.
    #[error("Only one key allowed in match expression")]
    OnlyOneKey,
    /// A match expression names an operator event-ruler does not know (or
    /// one the service does not accept). Holds the name.
    #[error("Unrecognized match type {0}")]
    UnrecognizedMatchType(String),
    /// `{op} match pattern must be a string` for exact, prefix, suffix,
    /// equals-ignore-case, wildcard, prefix/suffix (and cidr, which AWS
    /// reports as "prefix").
    #[error("{0} match pattern must be a string")]
    MustBeString(&'static str),
    /// `{"prefix": {}}`: the object form of `prefix` names no operator.
    #[error("Prefix expression name not found")]
    PrefixNameNotFound,
    /// The object form of `prefix` names something other than
    /// `equals-ignore-case`. Holds the name.
    #[error("Unsupported prefix pattern: {0}")]
    UnsupportedPrefix(String),
    /// `{"suffix": {}}`: the object form of `suffix` names no operator.
    #[error("Suffix expression name not found")]
    SuffixNameNotFound,
    /// The object form of `suffix` names something other than
    /// `equals-ignore-case`. Holds the name.
    #[error("Unsupported suffix pattern: {0}")]
    UnsupportedSuffix(String),
    /// The value of `numeric` is not an array.
    #[error("Value of numeric must be an array.")]
    NumericNotArray,
    /// The first element of a `numeric` array is not a string operator.
    /// Holds the element's JSON text.
    #[error("Invalid member in numeric match: {0}")]
    InvalidNumericMember(String),
    /// The first element of a `numeric` array is a string but not one of
    /// `=`, `<`, `<=`, `>`, `>=`. Holds it.
    #[error("Unrecognized numeric range operator: {0}")]
    UnrecognizedNumericOperator(String),
    /// `Value of {op} must be numeric`; `=` is spelled `equals`.
    #[error("Value of {0} must be numeric")]
    NotNumeric(String),
    /// A `numeric` array has elements after its single comparison, or a
    /// `numeric` / `anything-but` expression has more than one key.
    #[error("Too many elements in numeric expression")]
    TooManyNumericElements,
    /// The third element of a `>`/`>=` range is not a string operator.
    /// Holds the element's JSON text.
    #[error("Bad value in numeric range: {0}")]
    BadRangeValue(String),
    /// The upper-bound operator of a range is neither `<` nor `<=`. Holds it.
    #[error("Bad numeric range operator: {0}")]
    BadRangeOperator(String),
    /// A two-sided `numeric` range has more than four elements.
    #[error("Too many terms in numeric range expression")]
    TooManyRangeTerms,
    /// A two-sided `numeric` range whose lower bound is not below its upper
    /// bound.
    #[error("Bottom must be less than top")]
    BottomNotBelowTop,
    /// A `numeric` bound or an `anything-but` number outside ±5e9.
    #[error("Value must be between -5.0E9 and 5.0E9, inclusive")]
    NumberOutOfRange,
    /// `{"anything-but": {}}`: the object form names no operator.
    #[error("Anything-But expression name not found")]
    AnythingButNameNotFound,
    /// The object form of `anything-but` names an operator the service does
    /// not accept there (EventBridge accepts `prefix`, `suffix`,
    /// `equals-ignore-case` and `wildcard`; SNS only `prefix`). Holds the name.
    #[error("Unsupported anything-but pattern: {0}")]
    UnsupportedAnythingBut(String),
    /// The value of `anything-but` (or of its inner operator) is not an
    /// array, a string or a number.
    #[error("Value of anything-but must be an array or single string/number value.")]
    AnythingButBadValue,
    /// An `anything-but` value (or list member) is `null`, a boolean, an
    /// object or an array.
    #[error("Inside anything but list, start|null|boolean is not supported.")]
    AnythingButBadMember,
    /// An `anything-but` list mixes strings and numbers.
    #[error("Inside anything but list, either all values are number or string, mixed type is not supported")]
    AnythingButMixedTypes,
    /// An `anything-but` / `equals-ignore-case` value (or list member) is
    /// not a string.
    #[error(
        "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
    )]
    AnythingButIgnoreCaseBadMember,
    /// An `anything-but` `prefix` or `suffix` value is the empty string.
    #[error("Null prefix/suffix not allowed")]
    EmptyPrefixOrSuffix,
    /// The value of `exists` is not `true` or `false`.
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
    Invalid {
        /// What event-ruler objected to.
        reason: Reason,
        /// Jackson's `\n at [Source: ...]` suffix, possibly empty.
        location: String,
    },
    /// The pattern is longer than the service quota; AWS rejects this at the
    /// API layer as a `ValidationException`.
    #[error(
        "1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: \
         Member must have length less than or equal to {limit}"
    )]
    TooLong {
        /// The pattern's length in characters.
        length: usize,
        /// The quota it exceeded: [`DEFAULT_MAX_LENGTH`](crate::EventPattern::DEFAULT_MAX_LENGTH)
        /// unless raised.
        limit: usize,
    },
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
    /// The policy broke a rule of the filter-policy language or an SNS
    /// limit; the only way a policy fails.
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
