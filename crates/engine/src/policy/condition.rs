//! The `Condition` block: operators, keys and values (IAM User Guide,
//! `reference_policies_elements_condition_operators.html`).
//!
//! Several operators in a block, and several keys under one operator, must all hold (AND);
//! several values of one key: any may match (OR), and for negated operators (`StringNotEquals`,
//! `ArnNotLike`...) none may match. A key missing from the request: positive operators do not
//! hold, negated ones do, `...IfExists` operators hold, `Null: true` holds.

use serde_json::Value;

use super::matching::{arn_like, glob};
use super::{strings, PolicyError, Principal, Request};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    ArnLike,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    Null,
    /// An operator the emulator does not evaluate (`IpAddress`, `BinaryEquals`...): it never
    /// holds.
    Unsupported,
}

/// One key of one operator with its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    op: Op,
    /// `StringNotEquals` is `StringEquals` negated, `ArnNotLike` `ArnLike` negated...
    negated: bool,
    if_exists: bool,
    /// `ForAllValues:` (holds when the key is missing).
    for_all: bool,
    /// Lower-cased key name.
    key: String,
    values: Vec<String>,
}

fn parse_op(name: &str) -> (Op, bool) {
    use Op::*;
    match name {
        "StringEquals" => (StringEquals, false),
        "StringNotEquals" => (StringEquals, true),
        "StringEqualsIgnoreCase" => (StringEqualsIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => (StringEqualsIgnoreCase, true),
        "StringLike" => (StringLike, false),
        "StringNotLike" => (StringLike, true),
        // ArnEquals takes wildcards as ArnLike does.
        "ArnEquals" | "ArnLike" => (ArnLike, false),
        "ArnNotEquals" | "ArnNotLike" => (ArnLike, true),
        "NumericEquals" => (NumericEquals, false),
        "NumericNotEquals" => (NumericEquals, true),
        "NumericLessThan" => (NumericLessThan, false),
        "NumericLessThanEquals" => (NumericLessThanEquals, false),
        "NumericGreaterThan" => (NumericGreaterThan, false),
        "NumericGreaterThanEquals" => (NumericGreaterThanEquals, false),
        "DateEquals" => (DateEquals, false),
        "DateNotEquals" => (DateEquals, true),
        "DateLessThan" => (DateLessThan, false),
        "DateLessThanEquals" => (DateLessThanEquals, false),
        "DateGreaterThan" => (DateGreaterThan, false),
        "DateGreaterThanEquals" => (DateGreaterThanEquals, false),
        "Bool" => (Bool, false),
        "Null" => (Null, false),
        _ => (Unsupported, false),
    }
}

/// Parses a `Condition` element.
pub(crate) fn parse_block(value: &Value) -> Result<Vec<Condition>, PolicyError> {
    let Value::Object(ops) = value else {
        return Err(PolicyError("Condition must be an object".into()));
    };
    let mut out = Vec::new();
    for (name, keys) in ops {
        let (set, bare) = match name.split_once(':') {
            Some((set, rest)) => (Some(set), rest),
            None => (None, name.as_str()),
        };
        let (bare, if_exists) = match bare.strip_suffix("IfExists") {
            Some(b) => (b, true),
            None => (bare, false),
        };
        let (op, negated) = parse_op(bare);
        let Value::Object(keys) = keys else {
            return Err(PolicyError(format!("Condition {name} must be an object")));
        };
        for (key, values) in keys {
            out.push(Condition {
                op,
                negated,
                if_exists,
                for_all: set == Some("ForAllValues"),
                key: key.to_ascii_lowercase(),
                values: strings(values)?,
            });
        }
    }
    Ok(out)
}

/// The condition keys of one request (names compared without case). Borrowed from the
/// request: building it allocates one small vector, nothing per key.
pub(crate) struct Context<'a> {
    keys: Vec<(&'a str, &'a str)>,
    req: &'a Request<'a>,
}

/// Organization keys: the emulator has no AWS Organizations, so conditions on them hold.
const IGNORED_KEYS: &[&str] = &[
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:resourceorgid",
    "aws:resourceorgpaths",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
];

impl<'a> Context<'a> {
    pub(crate) fn new(req: &'a Request<'a>) -> Self {
        let mut keys: Vec<(&'a str, &'a str)> = Vec::with_capacity(req.context.len() + 6);
        keys.extend(req.context.iter().copied());
        let mut derived = |k: &'static str, v: &'a str| {
            if !keys.iter().any(|(have, _)| have.eq_ignore_ascii_case(k)) {
                keys.push((k, v));
            }
        };
        derived("aws:securetransport", "true");
        match req.principal {
            Principal::Aws { account, arn } => {
                derived("aws:principalaccount", account);
                derived("aws:principalarn", arn);
                derived("aws:principalisawsservice", "false");
                // The legacy key of SNS's default topic policy: the account of the caller.
                derived("aws:sourceowner", account);
                let kind = if arn.ends_with(":root") {
                    "Account"
                } else if arn.contains(":assumed-role/") {
                    "AssumedRole"
                } else if arn.contains(":federated-user/") {
                    "FederatedUser"
                } else {
                    "User"
                };
                derived("aws:principaltype", kind);
            }
            Principal::Service(name) => {
                derived("aws:principalisawsservice", "true");
                derived("aws:principalservicename", name);
                // No aws:SourceOwner for services: the default SNS topic policy (AWS "*" on
                // condition AWS:SourceOwner) does not let EventBridge publish, as on AWS.
            }
        }
        Context { keys, req }
    }

    /// The value of `key` (lower-cased).
    fn get(&self, key: &str) -> Option<&'a str> {
        self.keys
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| *v)
    }

    /// Replaces policy variables (`${aws:PrincipalAccount}`, `${*}`, `${?}`, `${$}`) in a
    /// condition value; an unknown variable is left as written (it then matches nothing).
    fn substitute(&self, value: &str) -> String {
        if !value.contains("${") {
            return value.to_owned();
        }
        let mut out = String::with_capacity(value.len());
        let mut rest = value;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                return out;
            };
            let name = &after[..end];
            match name {
                "*" => out.push('*'),
                "?" => out.push('?'),
                "$" => out.push('$'),
                _ => match self.get(&name.to_ascii_lowercase()) {
                    Some(v) => out.push_str(v),
                    None => out.push_str(&rest[start..start + 2 + end + 1]),
                },
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }
}

fn number(s: &str) -> Option<f64> {
    s.trim().parse().ok()
}

fn date(s: &str) -> Option<i128> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<i64>() {
        return Some(i128::from(secs) * 1_000_000_000);
    }
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp_nanos())
        .or_else(|| {
            let date =
                time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
                    .ok()?;
            Some(date.midnight().assume_utc().unix_timestamp_nanos())
        })
}

impl Condition {
    pub(crate) fn holds(&self, ctx: &Context<'_>) -> bool {
        if IGNORED_KEYS.contains(&self.key.as_str()) {
            return true;
        }
        let actual = ctx.get(&self.key);
        if self.op == Op::Null {
            let want_absent = self.values.iter().any(|v| v.eq_ignore_ascii_case("true"));
            return actual.is_none() == want_absent;
        }
        let Some(actual) = actual else {
            return self.if_exists || self.negated || self.for_all;
        };
        let any = self.values.iter().any(|v| {
            let want = ctx.substitute(v);
            self.matches(&want, actual, ctx.req)
        });
        any != self.negated
    }

    fn matches(&self, want: &str, actual: &str, _req: &Request<'_>) -> bool {
        match self.op {
            Op::StringEquals => want == actual,
            Op::StringEqualsIgnoreCase => want.eq_ignore_ascii_case(actual),
            Op::StringLike => glob(want, actual),
            Op::ArnLike => arn_like(want, actual),
            Op::Bool => want.eq_ignore_ascii_case(actual),
            Op::NumericEquals
            | Op::NumericLessThan
            | Op::NumericLessThanEquals
            | Op::NumericGreaterThan
            | Op::NumericGreaterThanEquals => {
                let (Some(a), Some(w)) = (number(actual), number(want)) else {
                    return false;
                };
                match self.op {
                    Op::NumericEquals => a == w,
                    Op::NumericLessThan => a < w,
                    Op::NumericLessThanEquals => a <= w,
                    Op::NumericGreaterThan => a > w,
                    _ => a >= w,
                }
            }
            Op::DateEquals
            | Op::DateLessThan
            | Op::DateLessThanEquals
            | Op::DateGreaterThan
            | Op::DateGreaterThanEquals => {
                let (Some(a), Some(w)) = (date(actual), date(want)) else {
                    return false;
                };
                match self.op {
                    Op::DateEquals => a == w,
                    Op::DateLessThan => a < w,
                    Op::DateLessThanEquals => a <= w,
                    Op::DateGreaterThan => a > w,
                    _ => a >= w,
                }
            }
            Op::Null | Op::Unsupported => false,
        }
    }
}
