//! Model-driven input validation, as AWS's JSON front ends (Coral) do it before an operation
//! runs: `required`, `min`/`max` (length of strings, lists and maps; value of numbers),
//! `pattern` (the whole string must match) and `enum`.
//!
//! The message is AWS's `ValidationException` text:
//!
//! ```text
//! 2 validation errors detected: Value 'my bus' at 'name' failed to satisfy constraint: Member
//! must satisfy regular expression pattern: [/\.\-_A-Za-z0-9]+; Value null at 'targets' failed to
//! satisfy constraint: Member must not be null
//! ```
//!
//! * paths are the member names with their first letter lowered (`EventBusName` ->
//!   `eventBusName`), joined by dots; a list element is `<list>.<1-based index>.member`
//!   (`targets.1.member.id`);
//! * values are rendered the way the Java service prints them: strings and numbers inside single
//!   quotes, a missing value as `null` without quotes, lists as `[a, b]`, maps as `{k=v}`,
//!   structures as `ShapeName(member=value, ...)` with lowerCamel member names; the value of a
//!   `sensitive` shape is left out (`Value at 'x' ...`);
//! * a map's keys (values) are checked together: one error per map, listing every constraint of
//!   the key (value) shape: `Map keys must satisfy constraint: [Member must have length less than
//!   or equal to 256, Member must have length greater than or equal to 1, ...]`;
//! * errors are listed in model member order, depth first; per value: length/value bounds,
//!   pattern, enum; EventBridge lists a string's pattern before its length (CreateConnection's
//!   `name`, recorded from AWS by LocalStack's `test_create_connection_validations`, issue 15;
//!   other Coral services vary); at most 10 are listed (and counted), as AWS does;
//! * `ConnectionOAuthHttpMethod` is matched without regard to case (AWS takes `put`).
//! * string lengths count Unicode code points.
//!
//! * map values that are structures/lists/maps are checked one by one at `<map>.<key>` (no AWS
//!   sample found for this path form; the events model has no such map).
//!
//! Patterns are Java regular expressions, translated to the `regex` crate's syntax (`\w`, `\d`,
//! `\s` and their negations are ASCII-only in Java, `.` excludes every line terminator) and
//! compiled once per service; a leading negative lookahead `(?!X)Y`, which the `regex` crate
//! lacks, becomes "no prefix matches X, and Y matches". A pattern that still does not compile is
//! not checked (none in the vendored SQS, SNS and EventBridge models).
//!
//! Valid input costs a walk over the value and a regex match per patterned string: nothing is
//! allocated unless a constraint fails.

use std::fmt::Write as _;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::{Number, Value};

use crate::codec::{Codec, ServiceName};
use crate::model::{Constraints, Model, ShapeId, ShapeKind};

/// AWS lists (and counts) at most this many validation errors.
const MAX_ERRORS: usize = 10;

/// Members the service's Java classes have beyond the public model, printed (as `null`) after
/// the model's members when a structure is rendered. From AWS's answer to 11 PutEvents entries
/// (LocalStack `test_put_events_exceed_limit_ten_entries`, recorded 2024-12-06).
const INTERNAL_MEMBERS: &[(&str, &[&str])] = &[(
    "PutEventsRequestEntry",
    &["kmsKeyIdentifier", "internalMetadata"],
)];

/// Checks `input` (decoded JSON keyed by model member names) against the operation's input
/// shape constraints: required, min/max length (strings, lists, maps), min/max value (numbers),
/// pattern (full-match regex), enum. Err = the full ValidationException message.
///
/// An unknown operation, or one without input, passes. Values of the wrong JSON type are not
/// checked here (decoding rejects them with `SerializationException`).
pub fn validate_input(
    service: ServiceName,
    operation: &str,
    input: &serde_json::Value,
) -> Result<(), String> {
    let validator = Validator::shared(service);
    let Some(shape) = validator
        .model
        .operations
        .get(operation)
        .and_then(|op| op.input)
    else {
        return Ok(());
    };
    let mut errors = Errors::default();
    validator.check_members(shape, input, None, &mut errors);
    errors.into_result()
}

/// Patterns of a service's model that do not compile, as `(shape name, pattern)`; their
/// checks are skipped.
#[cfg(test)]
pub(crate) fn uncompiled_patterns(service: ServiceName) -> Vec<(String, String)> {
    let v = Validator::shared(service);
    v.model
        .shapes
        .iter()
        .zip(&v.patterns)
        .filter_map(|(shape, re)| match (&shape.constraints.pattern, re) {
            (Some(p), None) => Some((shape.name.clone(), p.clone())),
            _ => None,
        })
        .collect()
}

/// One step of a path: a structure member, a list element or a map key.
#[derive(Clone, Copy)]
enum Seg<'a> {
    Member(&'a str),
    Index(usize),
    Key(&'a str),
}

/// A path as a chain of stack frames, so that nothing is built unless an error is reported.
#[derive(Clone, Copy)]
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

impl Path<'_> {
    fn write(&self, out: &mut String) {
        if let Some(parent) = self.parent {
            parent.write(out);
            out.push('.');
        }
        match self.seg {
            Seg::Member(name) => out.push_str(&crate::value::validation_name(name)),
            Seg::Index(i) => {
                let _ = write!(out, "{i}.member");
            }
            Seg::Key(key) => out.push_str(key),
        }
    }
}

/// The error messages collected so far (at most [`MAX_ERRORS`]).
#[derive(Default)]
struct Errors(Vec<String>);

impl Errors {
    fn full(&self) -> bool {
        self.0.len() >= MAX_ERRORS
    }

    /// Records `Value <value> at '<path>' failed to satisfy constraint: <constraint>`.
    /// `value` is `None` for a missing value, `Some(None)` for a sensitive one.
    fn push(&mut self, value: Option<Option<String>>, path: &Path, constraint: &str) {
        if self.full() {
            return;
        }
        let mut msg = String::from("Value ");
        match value {
            None => msg.push_str("null "),
            Some(None) => {}
            Some(Some(v)) => {
                msg.push('\'');
                msg.push_str(&v);
                msg.push_str("' ");
            }
        }
        msg.push_str("at '");
        path.write(&mut msg);
        msg.push_str("' failed to satisfy constraint: ");
        msg.push_str(constraint);
        self.0.push(msg);
    }

    fn into_result(self) -> Result<(), String> {
        match self.0.len() {
            0 => Ok(()),
            n => Err(format!(
                "{n} validation error{} detected: {}",
                if n == 1 { "" } else { "s" },
                self.0.join("; ")
            )),
        }
    }
}

/// A service model plus its compiled patterns (indexed by shape id).
struct Validator {
    model: &'static Model,
    patterns: Vec<Option<Pattern>>,
    /// A string breaking both its pattern and its length bounds is reported pattern first
    /// (EventBridge; STS, as AWS answered AssumeRoleWithSAML in aws-runas issue #80) or length
    /// first (the others).
    pattern_first: bool,
}

/// Enum shapes whose values AWS accepts in any letter case. `ConnectionOAuthHttpMethod`:
/// CreateConnection/UpdateConnection take `put` for `PUT` (issue 15, recorded on AWS), while
/// the API destination's `ApiDestinationHttpMethod` stays exact.
const CASE_INSENSITIVE_ENUMS: &[&str] = &["ConnectionOAuthHttpMethod"];

impl Validator {
    fn shared(service: ServiceName) -> &'static Validator {
        static SQS: OnceLock<Validator> = OnceLock::new();
        static SNS: OnceLock<Validator> = OnceLock::new();
        static EVENTS: OnceLock<Validator> = OnceLock::new();
        static STS: OnceLock<Validator> = OnceLock::new();
        let cell = match service {
            ServiceName::Sqs => &SQS,
            ServiceName::Sns => &SNS,
            ServiceName::Events => &EVENTS,
            ServiceName::Sts => &STS,
        };
        cell.get_or_init(|| Validator::new(service))
    }

    fn new(service: ServiceName) -> Validator {
        let model = Codec::shared().model(service, Codec::default_protocol(service));
        let patterns = model
            .shapes
            .iter()
            .map(|s| {
                s.constraints
                    .pattern
                    .as_deref()
                    .and_then(compile_java_regex)
            })
            .collect();
        Validator {
            model,
            patterns,
            pattern_first: matches!(service, ServiceName::Events | ServiceName::Sts),
        }
    }

    /// Checks the members of structure `shape` in `value` (an object; anything else is left to
    /// the decoder).
    fn check_members(
        &self,
        shape: ShapeId,
        value: &Value,
        parent: Option<&Path>,
        errors: &mut Errors,
    ) {
        let (ShapeKind::Structure(members), Value::Object(obj)) =
            (&self.model.shapes[shape].kind, value)
        else {
            return;
        };
        for m in members {
            if errors.full() {
                return;
            }
            let path = Path {
                parent,
                seg: Seg::Member(&m.name),
            };
            match member_value(obj, &m.name) {
                None | Some(Value::Null) => {
                    if m.required {
                        errors.push(None, &path, "Member must not be null");
                    }
                }
                Some(v) => self.check(m.target, v, &path, errors),
            }
        }
    }

    /// Checks one present value of shape `shape` found at `path`.
    fn check(&self, shape: ShapeId, value: &Value, path: &Path, errors: &mut Errors) {
        let c = &self.model.shapes[shape].constraints;
        match (&self.model.shapes[shape].kind, value) {
            (ShapeKind::Structure(_), Value::Object(_)) => {
                self.check_members(shape, value, Some(path), errors);
            }
            (ShapeKind::List(member), Value::Array(items)) => {
                if let Some(failed) = length_failure(c, items.len()) {
                    errors.push(Some(self.shown(shape, value)), path, &failed);
                }
                for (i, item) in items.iter().enumerate() {
                    if errors.full() {
                        return;
                    }
                    if item.is_null() {
                        continue;
                    }
                    let elem = Path {
                        parent: Some(path),
                        seg: Seg::Index(i + 1),
                    };
                    self.check(member.target, item, &elem, errors);
                }
            }
            (ShapeKind::Map(key, val), Value::Object(map)) => {
                if let Some(failed) = length_failure(c, map.len()) {
                    errors.push(Some(self.shown(shape, value)), path, &failed);
                }
                if map.keys().any(|k| self.string_fails(key.target, k)) {
                    let all = self.all_constraints(key.target);
                    errors.push(
                        Some(self.shown(shape, value)),
                        path,
                        &format!("Map keys must satisfy constraint: [{all}]"),
                    );
                }
                let value_kind = &self.model.shapes[val.target].kind;
                if matches!(
                    value_kind,
                    ShapeKind::Structure(_) | ShapeKind::List(_) | ShapeKind::Map(..)
                ) {
                    for (k, v) in map {
                        if errors.full() {
                            return;
                        }
                        if v.is_null() {
                            continue;
                        }
                        let entry = Path {
                            parent: Some(path),
                            seg: Seg::Key(k),
                        };
                        self.check(val.target, v, &entry, errors);
                    }
                } else if map
                    .values()
                    .any(|v| !v.is_null() && self.scalar_fails(val.target, v))
                {
                    let all = self.all_constraints(val.target);
                    errors.push(
                        Some(self.shown(shape, value)),
                        path,
                        &format!("Map value must satisfy constraint: [{all}]"),
                    );
                }
            }
            (ShapeKind::String, Value::String(s)) => {
                let length = (c.min.is_some() || c.max.is_some())
                    .then(|| length_failure(c, s.chars().count()))
                    .flatten();
                let pattern = self.patterns[shape]
                    .as_ref()
                    .filter(|re| !re.is_match(s))
                    .map(|_| {
                        let pattern = c.pattern.as_deref().unwrap_or_default();
                        format!("Member must satisfy regular expression pattern: {pattern}")
                    });
                let ordered = if self.pattern_first {
                    [pattern, length]
                } else {
                    [length, pattern]
                };
                for failed in ordered.into_iter().flatten() {
                    errors.push(Some(self.shown(shape, value)), path, &failed);
                }
                if !c.enum_values.is_empty() && !self.enum_matches(shape, s) {
                    errors.push(
                        Some(self.shown(shape, value)),
                        path,
                        &enum_constraint(&c.enum_values),
                    );
                }
            }
            (
                ShapeKind::Integer | ShapeKind::Long | ShapeKind::Float | ShapeKind::Double,
                Value::Number(n),
            ) => {
                if let Some(failed) = value_failure(c, n) {
                    errors.push(Some(self.shown(shape, value)), path, &failed);
                }
            }
            _ => {}
        }
    }

    /// Whether a scalar map value breaks any constraint of its shape.
    fn scalar_fails(&self, shape: ShapeId, value: &Value) -> bool {
        match value {
            Value::String(s) => self.string_fails(shape, s),
            Value::Number(n) => value_failure(&self.model.shapes[shape].constraints, n).is_some(),
            _ => false,
        }
    }

    /// Whether a string (a map key, a map value) breaks any constraint of its shape.
    fn string_fails(&self, shape: ShapeId, s: &str) -> bool {
        let c = &self.model.shapes[shape].constraints;
        self.patterns[shape]
            .as_ref()
            .is_some_and(|re| !re.is_match(s))
            || ((c.min.is_some() || c.max.is_some())
                && length_failure(c, s.chars().count()).is_some())
            || (!c.enum_values.is_empty() && !self.enum_matches(shape, s))
    }

    /// Whether `s` is one of the enum values of `shape` (case-insensitively for the shapes AWS
    /// was recorded accepting in any case).
    fn enum_matches(&self, shape: ShapeId, s: &str) -> bool {
        let model_shape = &self.model.shapes[shape];
        let values = &model_shape.constraints.enum_values;
        if CASE_INSENSITIVE_ENUMS.contains(&model_shape.name.as_str()) {
            values.iter().any(|e| e.eq_ignore_ascii_case(s))
        } else {
            values.iter().any(|e| e == s)
        }
    }

    /// Every constraint of a scalar shape, as AWS lists them inside `Map keys must satisfy
    /// constraint: [...]`: upper bound, lower bound, pattern, enum.
    fn all_constraints(&self, shape: ShapeId) -> String {
        let s = &self.model.shapes[shape];
        let c = &s.constraints;
        let what = match s.kind {
            ShapeKind::String | ShapeKind::List(_) | ShapeKind::Map(..) | ShapeKind::Blob => {
                "length"
            }
            _ => "value",
        };
        let mut parts = Vec::new();
        if let Some(max) = &c.max {
            parts.push(format!(
                "Member must have {what} less than or equal to {max}"
            ));
        }
        if let Some(min) = &c.min {
            parts.push(format!(
                "Member must have {what} greater than or equal to {min}"
            ));
        }
        if let Some(p) = &c.pattern {
            parts.push(format!(
                "Member must satisfy regular expression pattern: {p}"
            ));
        }
        if !c.enum_values.is_empty() {
            parts.push(enum_constraint(&c.enum_values));
        }
        parts.join(", ")
    }

    /// The rendering of a value in a message: `None` for a sensitive shape.
    fn shown(&self, shape: ShapeId, value: &Value) -> Option<String> {
        if self.model.shapes[shape].constraints.sensitive {
            return None;
        }
        let mut out = String::new();
        self.java(shape, value, &mut out);
        Some(out)
    }

    /// Writes `value` the way the Java service's `toString` prints it.
    fn java(&self, shape: ShapeId, value: &Value, out: &mut String) {
        let s = &self.model.shapes[shape];
        match (&s.kind, value) {
            (_, Value::Null) => out.push_str("null"),
            (_, Value::String(v)) => out.push_str(v),
            (_, Value::Bool(b)) => {
                let _ = write!(out, "{b}");
            }
            (ShapeKind::Timestamp, Value::Number(n)) => {
                java_date(n.as_f64().unwrap_or_default(), out);
            }
            (ShapeKind::Float | ShapeKind::Double, Value::Number(n)) => {
                java_double(n, out);
            }
            (_, Value::Number(n)) => {
                let _ = write!(out, "{n}");
            }
            (kind, Value::Array(items)) => {
                let item_shape = match kind {
                    ShapeKind::List(m) => Some(m.target),
                    _ => None,
                };
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    match item_shape {
                        Some(t) => self.java(t, item, out),
                        None => out.push_str(&item.to_string()),
                    }
                }
                out.push(']');
            }
            (ShapeKind::Structure(members), Value::Object(obj)) => {
                out.push_str(&s.name);
                out.push('(');
                for (i, m) in members.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    Path {
                        parent: None,
                        seg: Seg::Member(&m.name),
                    }
                    .write(out);
                    out.push('=');
                    match obj.get(&m.name) {
                        Some(v)
                            if !v.is_null()
                                && self.model.shapes[m.target].constraints.sensitive =>
                        {
                            out.push_str("*** Sensitive Data Redacted ***");
                        }
                        Some(v) => self.java(m.target, v, out),
                        None => out.push_str("null"),
                    }
                }
                let internal = INTERNAL_MEMBERS
                    .iter()
                    .find(|(shape, _)| *shape == s.name)
                    .map_or(&[][..], |(_, members)| *members);
                for name in internal {
                    if !members.is_empty() {
                        out.push_str(", ");
                    }
                    out.push_str(name);
                    out.push_str("=null");
                }
                out.push(')');
            }
            (ShapeKind::Map(_, val), Value::Object(map)) => {
                out.push('{');
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(k);
                    out.push('=');
                    self.java(val.target, v, out);
                }
                out.push('}');
            }
            (_, other) => out.push_str(&other.to_string()),
        }
    }
}

/// `obj[name]`: small objects (the usual request structure) are scanned, which beats hashing
/// the name.
fn member_value<'v>(obj: &'v serde_json::Map<String, Value>, name: &str) -> Option<&'v Value> {
    if obj.len() <= 8 {
        obj.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    } else {
        obj.get(name)
    }
}

/// `Member must have length ...` if `len` is outside the shape's bounds.
fn length_failure(c: &Constraints, len: usize) -> Option<String> {
    let len = len as f64;
    if let Some(max) = &c.max {
        if max.as_f64().is_some_and(|m| len > m) {
            return Some(format!(
                "Member must have length less than or equal to {max}"
            ));
        }
    }
    if let Some(min) = &c.min {
        if min.as_f64().is_some_and(|m| len < m) {
            return Some(format!(
                "Member must have length greater than or equal to {min}"
            ));
        }
    }
    None
}

/// `Member must have value ...` if `n` is outside the shape's bounds.
fn value_failure(c: &Constraints, n: &Number) -> Option<String> {
    let below = |bound: &Number| match (n.as_i64(), bound.as_i64()) {
        (Some(a), Some(b)) => a < b,
        _ => n.as_f64().zip(bound.as_f64()).is_some_and(|(a, b)| a < b),
    };
    let above = |bound: &Number| match (n.as_i64(), bound.as_i64()) {
        (Some(a), Some(b)) => a > b,
        _ => match (n.as_u64(), bound.as_i64()) {
            // Beyond i64: above any integer bound.
            (Some(_), Some(_)) => true,
            _ => n.as_f64().zip(bound.as_f64()).is_some_and(|(a, b)| a > b),
        },
    };
    if let Some(max) = &c.max {
        if above(max) {
            return Some(format!(
                "Member must have value less than or equal to {max}"
            ));
        }
    }
    if let Some(min) = &c.min {
        if below(min) {
            return Some(format!(
                "Member must have value greater than or equal to {min}"
            ));
        }
    }
    None
}

/// Enum value sets AWS was recorded listing in an order other than the model's (its service
/// keeps them in its own order): when a model enum holds exactly these values, AWS's order is
/// printed. `ApiDestinationHttpMethod`: LocalStack's AWS-validated snapshot
/// test_create_api_destination_invalid_parameters.
const AWS_ENUM_ORDERS: &[&[&str]] =
    &[&["HEAD", "POST", "PATCH", "DELETE", "PUT", "GET", "OPTIONS"]];

fn enum_constraint(values: &[String]) -> String {
    let recorded = AWS_ENUM_ORDERS.iter().find(|order| {
        order.len() == values.len() && order.iter().all(|v| values.iter().any(|m| m == v))
    });
    let listed = match recorded {
        Some(order) => order.join(", "),
        None => values.join(", "),
    };
    format!("Member must satisfy enum value set: [{listed}]")
}

/// Java's `Double.toString` for the common cases (`1.0`, `0.5`); exponents are left as Rust
/// prints them.
fn java_double(n: &Number, out: &mut String) {
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 1e7 => {
            let _ = write!(out, "{f:.1}");
        }
        Some(f) => {
            let _ = write!(out, "{f}");
        }
        None => {
            let _ = write!(out, "{n}");
        }
    }
}

/// Java's `Date.toString` in UTC: `Mon Jan 01 00:00:00 UTC 2024`.
fn java_date(epoch_secs: f64, out: &mut String) {
    const FORMAT: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
        "[weekday repr:short] [month repr:short] [day] [hour]:[minute]:[second] UTC [year]"
    );
    if let Some(text) =
        crate::timestamp::utc(epoch_secs.floor() as i64).and_then(|at| at.format(FORMAT).ok())
    {
        out.push_str(&text);
    }
}

/// A compiled model pattern.
#[derive(Debug)]
pub(crate) enum Pattern {
    /// The pattern as a full-match regex.
    Full(Regex),
    /// `(?!X)Y` (negative lookahead at the start, which the `regex` crate lacks): the string
    /// must not start with a match of `X` and must fully match `Y`.
    NotThen(Regex, Regex),
}

impl Pattern {
    pub(crate) fn is_match(&self, s: &str) -> bool {
        match self {
            Pattern::Full(re) => re.is_match(s),
            Pattern::NotThen(not, then) => !not.is_match(s) && then.is_match(s),
        }
    }
}

/// Compiles a Java regular expression for full matches. `None` if it cannot be expressed.
pub(crate) fn compile_java_regex(pattern: &str) -> Option<Pattern> {
    let body = pattern.strip_prefix('^').unwrap_or(pattern);
    if let Some(rest) = body.strip_prefix("(?!") {
        let close = group_end(rest)?;
        let not = build(&format!("^(?:{})", translate(&rest[..close])?))?;
        let then = build(&format!("^(?:{})$", translate(&rest[close + 1..])?))?;
        return Some(Pattern::NotThen(not, then));
    }
    build(&format!("^(?:{})$", translate(pattern)?)).map(Pattern::Full)
}

fn build(re: &str) -> Option<Regex> {
    regex::RegexBuilder::new(re)
        .size_limit(1 << 24)
        .build()
        .ok()
}

/// The index of the `)` closing a group whose body starts `s`.
fn group_end(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_class = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '[' => in_class = true,
            ']' => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return Some(i),
            },
            _ => {}
        }
    }
    None
}

/// Rewrites Java regex syntax whose meaning differs in the `regex` crate: `\w \d \s` and
/// their negations are ASCII-only in Java (POSIX classes here), and `.` excludes every line
/// terminator, not just `\n`.
fn translate(pattern: &str) -> Option<String> {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut in_class = 0usize;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let next = chars.next()?;
                let posix = match next {
                    'w' => Some(("word", false)),
                    'W' => Some(("word", true)),
                    'd' => Some(("digit", false)),
                    'D' => Some(("digit", true)),
                    's' => Some(("space", false)),
                    'S' => Some(("space", true)),
                    _ => None,
                };
                match posix {
                    Some((class, negated)) => {
                        let neg = if negated { "^" } else { "" };
                        if in_class > 0 {
                            let _ = write!(out, "[:{neg}{class}:]");
                        } else {
                            let _ = write!(out, "[{neg}[:{class}:]]");
                        }
                    }
                    None => {
                        out.push('\\');
                        out.push(next);
                    }
                }
            }
            '[' => {
                in_class += 1;
                out.push('[');
                // A `]` right after the opening bracket (or `^`) is a literal in Java too.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            ']' if in_class > 0 => {
                in_class -= 1;
                out.push(']');
            }
            '.' if in_class == 0 => out.push_str("[^\\n\\r\\x{85}\\x{2028}\\x{2029}]"),
            _ => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
#[path = "constraints_tests.rs"]
mod tests;
