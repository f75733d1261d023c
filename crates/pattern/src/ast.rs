//! The parsed form of a pattern, shared by EventBridge patterns and SNS
//! filter policies.
//!
//! A pattern is stored the way event-ruler stores it: `$or` is expanded away,
//! leaving a list of [`SubPattern`]s (the pattern matches if any of them
//! does), each a conjunction of [`FieldCondition`]s on flattened,
//! dot-separated field paths.

use std::borrow::Cow;

use crate::ip::{parse_ip, IpRange};
use crate::number::{Number, NumberKey};
use crate::wildcard::Wildcard;

/// A leaf value of an event: what field conditions are tested against.
#[derive(Debug, Clone, PartialEq)]
pub enum Leaf<'a> {
    /// A JSON string.
    Str(Cow<'a, str>),
    /// A JSON number.
    Num(Number),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// One comparison from a field's array of values.
#[derive(Debug, Clone, PartialEq)]
pub enum Operator {
    /// A string literal, or `{"exactly": "..."}`.
    ExactString(String),
    /// A number literal, compared by value.
    ExactNumber(NumberKey),
    /// `true` / `false`.
    ExactBool(bool),
    /// `null`: matches an explicit JSON null only, never a missing field.
    ExactNull,
    /// `{"prefix": ...}`; with `ignore_case` the text is stored lower-cased.
    Prefix {
        /// The prefix to look for.
        text: String,
        /// Compare case-insensitively (`equals-ignore-case` form).
        ignore_case: bool,
    },
    /// `{"suffix": ...}`; with `ignore_case` the text is stored lower-cased.
    Suffix {
        /// The suffix to look for.
        text: String,
        /// Compare case-insensitively (`equals-ignore-case` form).
        ignore_case: bool,
    },
    /// `{"equals-ignore-case": ...}`, stored lower-cased.
    EqualsIgnoreCase(String),
    /// `{"wildcard": ...}`.
    Wildcard(Wildcard),
    /// `{"numeric": [...]}` (and the `=` form).
    Numeric(NumericRange),
    /// `{"cidr": ...}`.
    Cidr(IpRange),
    /// `{"exists": bool}`. `false` is an absence test, decided per field path.
    Exists(bool),
    /// SNS `{"exists": true}`: a value that is neither `null` nor an empty
    /// string (SNS documents that the key "must have a non-null and
    /// non-empty value"; EventBridge counts `null` as a value).
    ExistsNonEmpty,
    /// `{"anything-but": ...}` in all its forms.
    AnythingBut(AnythingBut),
}

/// The excluded set of an `anything-but`.
#[derive(Debug, Clone, PartialEq)]
pub enum AnythingBut {
    /// Excluded strings; other strings and every non-string value match.
    Strings(Vec<String>),
    /// Excluded numbers (quantized); other numbers and non-numbers match.
    Numbers(Vec<i64>),
    /// `{"anything-but": {"prefix": ...}}`.
    Prefixes(Vec<String>),
    /// `{"anything-but": {"suffix": ...}}`.
    Suffixes(Vec<String>),
    /// `{"anything-but": {"equals-ignore-case": ...}}`, lower-cased.
    IgnoreCase(Vec<String>),
    /// `{"anything-but": {"wildcard": ...}}`.
    Wildcards(Vec<Wildcard>),
}

/// A numeric interval over quantized numbers; `None` bounds are unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumericRange {
    /// Lower bound and whether it is open (`>` rather than `>=`).
    pub low: Option<(i64, bool)>,
    /// Upper bound and whether it is open (`<` rather than `<=`).
    pub high: Option<(i64, bool)>,
}

impl NumericRange {
    /// True if the quantized value lies in the interval.
    pub fn contains(&self, q: i64) -> bool {
        let above = match self.low {
            None => true,
            Some((low, true)) => q > low,
            Some((low, false)) => q >= low,
        };
        let below = match self.high {
            None => true,
            Some((high, true)) => q < high,
            Some((high, false)) => q <= high,
        };
        above && below
    }
}

/// All operators on one field path; any one of them may match.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldCondition {
    /// Dot-joined path of the field, e.g. `detail.state`.
    pub path: String,
    /// The alternatives from the pattern's value array.
    pub operators: Vec<Operator>,
}

impl FieldCondition {
    /// True if the condition also holds when the field is missing
    /// (it contains `{"exists": false}`).
    pub fn allows_absence(&self) -> bool {
        self.operators.contains(&Operator::Exists(false))
    }

    /// True if some operator matches the leaf value.
    pub fn matches_leaf(&self, leaf: &Leaf<'_>) -> bool {
        self.operators.iter().any(|op| op.matches(leaf))
    }
}

/// A conjunction of field conditions with distinct paths.
pub type SubPattern = Vec<FieldCondition>;

impl Operator {
    /// Direct evaluation against one leaf value.
    ///
    /// The compiled matcher indexes the exact, prefix, suffix and
    /// equals-ignore-case operators and calls this only for the rest; the
    /// reference interpreter calls it for everything.
    pub fn matches(&self, leaf: &Leaf<'_>) -> bool {
        match (self, leaf) {
            (Operator::ExactString(s), Leaf::Str(v)) => s == v,
            (Operator::ExactNumber(k), Leaf::Num(n)) => *k == n.key(),
            (Operator::ExactBool(b), Leaf::Bool(v)) => b == v,
            (Operator::ExactNull, Leaf::Null) => true,
            (
                Operator::Prefix {
                    text,
                    ignore_case: false,
                },
                Leaf::Str(v),
            ) => v.starts_with(text.as_str()),
            (
                Operator::Prefix {
                    text,
                    ignore_case: true,
                },
                Leaf::Str(v),
            ) => v.to_lowercase().starts_with(text.as_str()),
            (
                Operator::Suffix {
                    text,
                    ignore_case: false,
                },
                Leaf::Str(v),
            ) => v.ends_with(text.as_str()),
            (
                Operator::Suffix {
                    text,
                    ignore_case: true,
                },
                Leaf::Str(v),
            ) => v.to_lowercase().ends_with(text.as_str()),
            (Operator::EqualsIgnoreCase(text), Leaf::Str(v)) => v.to_lowercase() == *text,
            (Operator::Wildcard(w), Leaf::Str(v)) => w.matches(v),
            (Operator::Numeric(range), Leaf::Num(n)) => {
                n.quantized().is_some_and(|q| range.contains(q))
            }
            (Operator::Cidr(range), Leaf::Str(v)) => {
                parse_ip(v).is_some_and(|ip| range.contains(ip))
            }
            (Operator::Exists(exists), _) => *exists,
            (Operator::ExistsNonEmpty, Leaf::Null) => false,
            (Operator::ExistsNonEmpty, Leaf::Str(v)) => !v.is_empty(),
            (Operator::ExistsNonEmpty, _) => true,
            (Operator::AnythingBut(excluded), leaf) => !excluded.excludes(leaf),
            _ => false,
        }
    }
}

impl AnythingBut {
    /// True if the leaf is in the excluded set (so `anything-but` fails).
    fn excludes(&self, leaf: &Leaf<'_>) -> bool {
        match (self, leaf) {
            (AnythingBut::Strings(set), Leaf::Str(v)) => set.iter().any(|s| s == v),
            (AnythingBut::Numbers(set), Leaf::Num(n)) => {
                n.quantized().is_some_and(|q| set.contains(&q))
            }
            (AnythingBut::Prefixes(set), Leaf::Str(v)) => {
                set.iter().any(|p| v.starts_with(p.as_str()))
            }
            (AnythingBut::Suffixes(set), Leaf::Str(v)) => {
                set.iter().any(|s| v.ends_with(s.as_str()))
            }
            (AnythingBut::IgnoreCase(set), Leaf::Str(v)) => {
                let lower = v.to_lowercase();
                set.contains(&lower)
            }
            (AnythingBut::Wildcards(set), Leaf::Str(v)) => set.iter().any(|w| w.matches(v)),
            _ => false,
        }
    }
}
