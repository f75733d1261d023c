//! Converting between the protocol layer's decoded `Value`s and the generated types.
//!
//! The conversions are as tolerant as AWS's own parsers (and the hand-written readers they
//! replace): absent and `null` are the same, a number may arrive as a string and a string as a
//! number, a lone scalar counts as a one-element list. What cannot be converted becomes a
//! [`ConversionError`] naming the member and the value, so each service can answer with its own
//! AWS text (`MissingParameter` for SQS, `ValidationError` for STS...).

use serde_json::{Map, Number, Value};

/// A member that is missing or cannot be converted to its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConversionError {
    /// A required member is absent (or `null`).
    Missing {
        /// The member's path from the input, dot-separated (`Entries.0.Id`).
        member: String,
    },
    /// A member has a value its type cannot hold.
    Invalid {
        /// The member's path from the input, dot-separated.
        member: String,
        /// The value as text (scalars as given, aggregates as JSON).
        value: String,
        /// What the type needed: `a string`, `an integer`, `a boolean`, `a list`...
        expected: &'static str,
    },
}

impl ConversionError {
    /// The error of a member nested at `prefix`: its path is put under `prefix`.
    fn under(mut self, prefix: &str) -> ConversionError {
        let (ConversionError::Missing { member } | ConversionError::Invalid { member, .. }) =
            &mut self;
        *member = if member.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}.{member}")
        };
        self
    }

    /// The member's path (`QueueUrl`, `Entries.0.Id`).
    pub fn member(&self) -> &str {
        match self {
            ConversionError::Missing { member } | ConversionError::Invalid { member, .. } => member,
        }
    }
}

impl std::fmt::Display for ConversionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConversionError::Missing { member } => write!(f, "{member} is required"),
            ConversionError::Invalid {
                member,
                value,
                expected,
            } => write!(f, "{member}: {value} is not {expected}"),
        }
    }
}

impl std::error::Error for ConversionError {}

/// A type the protocol layer's decoded `Value` converts into.
///
/// Member paths are built only for errors: the helpers here convert each member with an empty
/// `path` and put an error's path under the member's name on the way out, so converting a
/// request allocates no path strings (every member of every request passes here).
pub trait FromValue: Sized {
    /// Converts `value`, found at `path` (for errors; the helpers pass `""` and add the
    /// member's name to an error's path).
    fn from_value(value: &Value, path: &str) -> Result<Self, ConversionError>;
}

/// A type that converts into the `Value` the protocol layer encodes.
pub trait IntoValue {
    /// The value, keyed by the model's member names.
    fn into_value(self) -> Value;
}

/// A blob member: its base64 text, as on the wire in every protocol.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blob(pub String);

/// A timestamp member: seconds since the Unix epoch (fractions allowed).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timestamp(pub f64);

/// The path of member `name` under `path`. A top-level member's path is its name, borrowed:
/// every member of every request comes here, and only errors read the path.
fn join<'a>(path: &str, name: &'a str) -> std::borrow::Cow<'a, str> {
    if path.is_empty() {
        std::borrow::Cow::Borrowed(name)
    } else {
        std::borrow::Cow::Owned(format!("{path}.{name}"))
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn invalid(path: &str, value: &Value, expected: &'static str) -> ConversionError {
    ConversionError::Invalid {
        member: path.to_string(),
        value: text(value),
        expected,
    }
}

/// The members of a structure; `null` counts as an empty structure.
pub fn object<'a>(
    value: &'a Value,
    path: &str,
) -> Result<Option<&'a Map<String, Value>>, ConversionError> {
    match value {
        Value::Object(fields) => Ok(Some(fields)),
        Value::Null => Ok(None),
        other => Err(invalid(path, other, "a structure")),
    }
}

fn present<'a>(fields: Option<&'a Map<String, Value>>, name: &str) -> Option<&'a Value> {
    fields.and_then(|f| f.get(name)).filter(|v| !v.is_null())
}

/// A required member.
pub fn required<T: FromValue>(
    fields: Option<&Map<String, Value>>,
    path: &str,
    name: &str,
) -> Result<T, ConversionError> {
    match present(fields, name) {
        Some(v) => T::from_value(v, "").map_err(|e| e.under(&join(path, name))),
        None => Err(ConversionError::Missing {
            member: join(path, name).into_owned(),
        }),
    }
}

/// An optional member: absent and `null` are `None`.
pub fn optional<T: FromValue>(
    fields: Option<&Map<String, Value>>,
    path: &str,
    name: &str,
) -> Result<Option<T>, ConversionError> {
    match present(fields, name) {
        Some(v) => T::from_value(v, "")
            .map(Some)
            .map_err(|e| e.under(&join(path, name))),
        None => Ok(None),
    }
}

/// Sets a member.
pub fn put<T: IntoValue>(fields: &mut Map<String, Value>, name: &str, value: T) {
    fields.insert(name.to_string(), value.into_value());
}

/// Sets a member when it has a value.
pub fn put_opt<T: IntoValue>(fields: &mut Map<String, Value>, name: &str, value: Option<T>) {
    if let Some(value) = value {
        put(fields, name, value);
    }
}

impl FromValue for String {
    fn from_value(value: &Value, path: &str) -> Result<Self, ConversionError> {
        match value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(invalid(path, other, "a string")),
        }
    }
}

impl IntoValue for String {
    fn into_value(self) -> Value {
        Value::String(self)
    }
}

impl FromValue for i64 {
    fn from_value(value: &Value, path: &str) -> Result<Self, ConversionError> {
        let parsed = match value {
            Value::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
                    .map(|f| f as i64)
            }),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        parsed.ok_or_else(|| invalid(path, value, "an integer"))
    }
}

impl IntoValue for i64 {
    fn into_value(self) -> Value {
        Value::Number(self.into())
    }
}

impl FromValue for i32 {
    fn from_value(value: &Value, path: &str) -> Result<Self, ConversionError> {
        i64::from_value(value, path)
            .ok()
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| invalid(path, value, "an integer"))
    }
}

impl IntoValue for i32 {
    fn into_value(self) -> Value {
        Value::Number(self.into())
    }
}

impl FromValue for f64 {
    fn from_value(value: &Value, path: &str) -> Result<Self, ConversionError> {
        let parsed = match value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
            _ => None,
        };
        parsed.ok_or_else(|| invalid(path, value, "a number"))
    }
}

impl IntoValue for f64 {
    fn into_value(self) -> Value {
        Number::from_f64(self).map_or(Value::Null, Value::Number)
    }
}

impl FromValue for bool {
    fn from_value(value: &Value, path: &str) -> Result<Self, ConversionError> {
        match value {
            Value::Bool(b) => Ok(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
            other => Err(invalid(path, other, "a boolean")),
        }
    }
}

impl IntoValue for bool {
    fn into_value(self) -> Value {
        Value::Bool(self)
    }
}

impl FromValue for Blob {
    fn from_value(value: &Value, path: &str) -> Result<Self, ConversionError> {
        String::from_value(value, path).map(Blob)
    }
}

impl IntoValue for Blob {
    fn into_value(self) -> Value {
        Value::String(self.0)
    }
}

impl FromValue for Timestamp {
    fn from_value(value: &Value, path: &str) -> Result<Self, ConversionError> {
        let parsed = match value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => ferrybridge_protocol::timestamp::parse(s),
            _ => None,
        };
        parsed
            .map(Timestamp)
            .ok_or_else(|| invalid(path, value, "a timestamp"))
    }
}

impl IntoValue for Timestamp {
    /// Always a float: JSON 1.1 answers `1640995200.0` for a whole second, as AWS's JSON
    /// services do (and the Query protocols format it as ISO 8601 from any number).
    fn into_value(self) -> Value {
        Number::from_f64(self.0).map_or(Value::Null, Value::Number)
    }
}

/// Lists: a lone scalar or structure counts as a one-element list.
impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(value: &Value, path: &str) -> Result<Self, ConversionError> {
        match value {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .filter(|(_, item)| !item.is_null())
                .map(|(i, item)| {
                    T::from_value(item, "").map_err(|e| e.under(&join(path, &i.to_string())))
                })
                .collect(),
            other => T::from_value(other, "")
                .map(|one| vec![one])
                .map_err(|e| e.under(&join(path, "0"))),
        }
    }
}

impl<T: IntoValue> IntoValue for Vec<T> {
    fn into_value(self) -> Value {
        Value::Array(self.into_iter().map(IntoValue::into_value).collect())
    }
}

/// A map member: its entries in the order given (the order of a JSON object or of Query's
/// `entry.N`), which some answers echo.
#[derive(Debug, Clone, PartialEq)]
pub struct Entries<T>(pub Vec<(String, T)>);

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<T> std::ops::Deref for Entries<T> {
    type Target = Vec<(String, T)>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<T> std::ops::DerefMut for Entries<T> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl<T> FromIterator<(String, T)> for Entries<T> {
    fn from_iter<I: IntoIterator<Item = (String, T)>>(iter: I) -> Self {
        Entries(iter.into_iter().collect())
    }
}

impl<T> IntoIterator for Entries<T> {
    type Item = (String, T);
    type IntoIter = std::vec::IntoIter<(String, T)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<T> Entries<T> {
    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&T> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// Entries whose value is `null` are left out.
impl<T: FromValue> FromValue for Entries<T> {
    fn from_value(value: &Value, path: &str) -> Result<Self, ConversionError> {
        match value {
            Value::Object(entries) => entries
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| {
                    let item = T::from_value(v, "").map_err(|e| e.under(&join(path, k)))?;
                    Ok((k.clone(), item))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Entries),
            other => Err(invalid(path, other, "a map")),
        }
    }
}

impl<T: IntoValue> IntoValue for Entries<T> {
    fn into_value(self) -> Value {
        Value::Object(
            self.0
                .into_iter()
                .map(|(k, v)| (k, v.into_value()))
                .collect(),
        )
    }
}
