//! SNS subscription filter policies.

use serde_json::{Map, Value};

use crate::ast::SubPattern;
use crate::error::{PolicyError, Reason};
use crate::event::attributes_to_event;
use crate::matcher::{Matcher, Pattern};
use crate::parse::{parse_value, Dialect};

/// Largest policy SNS accepts, in bytes.
pub const MAX_POLICY_BYTES: usize = 256 * 1024;
/// Most keys a policy may have (parent keys only, for nested policies).
pub const MAX_POLICY_KEYS: usize = 5;
/// Most value combinations a policy may expand to.
pub const MAX_POLICY_COMBINATIONS: usize = 150;

/// What a subscription's filter policy is applied to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FilterPolicyScope {
    /// Message attributes (the default): flat policies only.
    #[default]
    MessageAttributes,
    /// The message body, which must be a JSON object: nesting allowed.
    MessageBody,
}

impl FilterPolicyScope {
    /// Parses the `FilterPolicyScope` attribute value.
    pub fn from_attribute(value: &str) -> Option<FilterPolicyScope> {
        match value {
            "MessageAttributes" => Some(FilterPolicyScope::MessageAttributes),
            "MessageBody" => Some(FilterPolicyScope::MessageBody),
            _ => None,
        }
    }

    /// The attribute spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FilterPolicyScope::MessageAttributes => "MessageAttributes",
            FilterPolicyScope::MessageBody => "MessageBody",
        }
    }
}

/// A validated, compiled SNS filter policy.
#[derive(Debug, Clone)]
pub struct FilterPolicy {
    scope: FilterPolicyScope,
    alternatives: Vec<SubPattern>,
    compiled: Matcher<()>,
}

impl FilterPolicy {
    /// Parses and validates a policy with SNS's rules and messages.
    pub fn parse(text: &str, scope: FilterPolicyScope) -> Result<FilterPolicy, PolicyError> {
        let invalid = PolicyError::Invalid;
        if text.len() > MAX_POLICY_BYTES {
            return Err(invalid(Reason::PolicyTooLarge(text.len())));
        }
        let value: Value =
            serde_json::from_str(text).map_err(|e| invalid(Reason::Json(e.to_string())))?;
        if let Value::Object(policy) = &value {
            if policy.len() > MAX_POLICY_KEYS {
                return Err(invalid(Reason::TooManyKeys));
            }
            let combinations = shape(policy, scope, 1, 1).map_err(invalid)?;
            if combinations > MAX_POLICY_COMBINATIONS {
                return Err(invalid(Reason::TooComplex));
            }
        }
        let alternatives = parse_value(&value, Dialect::Sns).map_err(invalid)?;
        let mut compiled = Matcher::new();
        compiled.add((), &alternatives);
        Ok(FilterPolicy {
            scope,
            alternatives,
            compiled,
        })
    }

    /// The scope the policy was validated for.
    pub fn scope(&self) -> FilterPolicyScope {
        self.scope
    }

    /// Matches message attributes given as `(name, data type, string value)`.
    ///
    /// `String` values are strings, `Number` values are compared as numbers,
    /// `String.Array` values are decoded as a JSON array whose elements are
    /// matched individually; `Binary` attributes are ignored. A message
    /// without (non-binary) attributes matches no policy, as SNS documents
    /// for `exists: false`.
    pub fn matches_attributes<K, T, V>(
        &self,
        attributes: impl IntoIterator<Item = (K, T, V)>,
    ) -> bool
    where
        K: AsRef<str>,
        T: AsRef<str>,
        V: AsRef<str>,
    {
        let event = attributes_to_event(attributes);
        // SNS: "An empty set of attributes results in the filter not
        // matching", even for `exists: false`.
        let has_attributes = matches!(&event, Value::Object(map) if !map.is_empty());
        has_attributes && !self.compiled.matching(&event).is_empty()
    }

    /// Matches a message body. A body that is not a JSON object matches
    /// only policies that can be satisfied by absence.
    pub fn matches_body(&self, body: &str) -> bool {
        match serde_json::from_str::<Value>(body) {
            Ok(value) => !self.compiled.matching(&value).is_empty(),
            Err(_) => !self.compiled.matching(&Value::Null).is_empty(),
        }
    }

    /// Matches according to the policy's scope.
    pub fn matches_message<K, T, V>(
        &self,
        body: &str,
        attributes: impl IntoIterator<Item = (K, T, V)>,
    ) -> bool
    where
        K: AsRef<str>,
        T: AsRef<str>,
        V: AsRef<str>,
    {
        match self.scope {
            FilterPolicyScope::MessageAttributes => self.matches_attributes(attributes),
            FilterPolicyScope::MessageBody => self.matches_body(body),
        }
    }
}

impl Pattern for FilterPolicy {
    fn alternatives(&self) -> &[SubPattern] {
        &self.alternatives
    }
}

/// Checks the policy's shape the way SNS does before looking at operators,
/// and returns its complexity: the product over value arrays of their
/// length times their nesting depth, with `$or` branches adding up.
///
/// The order of checks follows SNS: inside-out, so an empty array deep down
/// is reported before the nesting that `MessageAttributes` forbids.
fn shape(
    policy: &Map<String, Value>,
    scope: FilterPolicyScope,
    depth: usize,
    mut total: usize,
) -> Result<usize, Reason> {
    for (key, value) in policy {
        match value {
            Value::Object(child) => total = shape(child, scope, depth + 1, total)?,
            Value::Array(values) if values.is_empty() => return Err(Reason::EmptyArray),
            Value::Array(branches) if key == "$or" => {
                let mut sum = 0usize;
                for branch in branches {
                    // Non-object branches are reported by the operator parser.
                    if let Value::Object(branch) = branch {
                        sum = sum.saturating_add(shape(branch, scope, depth, total)?);
                    }
                }
                total = sum;
            }
            Value::Array(values) => {
                total = total.saturating_mul(values.len()).saturating_mul(depth)
            }
            _ => return Err(Reason::MustBeObjectOrArray(key.clone())),
        }
    }
    if scope == FilterPolicyScope::MessageAttributes && depth > 1 {
        return Err(Reason::NestedAttributes);
    }
    Ok(total)
}
