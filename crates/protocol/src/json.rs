//! AWS JSON 1.0/1.1 bodies. Member names are the wire names in these protocols (the vendored
//! JSON models have no `locationName`), so an output `Value` is written as is, minus nulls.

use serde_json::Value;

use crate::model::{Model, ShapeId, ShapeKind};
use crate::ServiceError;

/// Writes `v` as compact JSON, leaving out object members whose value is `null`.
fn write_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Object(map) => {
            out.push(b'{');
            let mut first = true;
            for (k, val) in map {
                if val.is_null() {
                    continue;
                }
                if !first {
                    out.push(b',');
                }
                first = false;
                write_str(out, k);
                out.push(b':');
                write_value(out, val);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, it);
            }
            out.push(b']');
        }
        Value::String(s) => write_str(out, s),
        other => {
            // Numbers, booleans and null cannot fail to serialize.
            let _ = serde_json::to_writer(&mut *out, other);
        }
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    let _ = serde_json::to_writer(&mut *out, s);
}

/// The body of a successful JSON response: the output object, `{}` when there is none.
pub(crate) fn encode_output(output: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    match output {
        Value::Object(_) => write_value(&mut out, output),
        _ => out.extend_from_slice(b"{}"),
    }
    out
}

/// `{"__type":"...","message":"..."}`.
pub(crate) fn encode_error(type_: &str, message: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + message.len());
    out.extend_from_slice(b"{\"__type\":");
    write_str(&mut out, type_);
    out.extend_from_slice(b",\"message\":");
    write_str(&mut out, message);
    out.push(b'}');
    out
}

/// Checks a decoded JSON input against the model the way AWS's JSON front end does, so that
/// service crates can trust the types (`DelaySeconds` is a number, `Attributes` an object).
/// Unknown members are ignored, as AWS does; `null` stands for an absent member.
pub(crate) fn validate(model: &Model, shape: ShapeId, v: &Value) -> Result<(), ServiceError> {
    if v.is_null() {
        return Ok(());
    }
    let found = || match v {
        Value::String(_) => "STRING_VALUE",
        Value::Number(_) => "NUMBER_VALUE",
        Value::Bool(_) => "BOOLEAN_VALUE",
        _ => "VALUE",
    };
    let convert = |target: &str| {
        Err(ServiceError::new(
            "SerializationException",
            format!("{} can not be converted to {target}", found()),
        ))
    };
    match (&model.shapes[shape].kind, v) {
        (_, Value::Object(_))
            if !matches!(
                model.shapes[shape].kind,
                ShapeKind::Structure(_) | ShapeKind::Map(..)
            ) =>
        {
            Err(ServiceError::new(
                "SerializationException",
                "Start of structure or map found where not expected.",
            ))
        }
        (_, Value::Array(_)) if !matches!(model.shapes[shape].kind, ShapeKind::List(_)) => {
            Err(ServiceError::new(
                "SerializationException",
                "Start of list found where not expected",
            ))
        }
        (ShapeKind::Structure(members), Value::Object(obj)) => {
            // Walk the (few) members sent rather than hashing every model member.
            for (k, mv) in obj {
                if let Some(m) = members.iter().find(|m| m.name == *k) {
                    validate(model, m.target, mv)?;
                }
            }
            Ok(())
        }
        (ShapeKind::Map(_, val), Value::Object(obj)) => {
            for mv in obj.values() {
                validate(model, val.target, mv)?;
            }
            Ok(())
        }
        (ShapeKind::List(item), Value::Array(items)) => {
            for it in items {
                validate(model, item.target, it)?;
            }
            Ok(())
        }
        (ShapeKind::Structure(_) | ShapeKind::Map(..), _) => Err(ServiceError::new(
            "SerializationException",
            "Start of structure or map expected but found a scalar value.",
        )),
        (ShapeKind::List(_), _) => Err(ServiceError::new(
            "SerializationException",
            "Start of list expected but found a scalar value.",
        )),
        (ShapeKind::String | ShapeKind::Blob, Value::String(_)) => Ok(()),
        (ShapeKind::String, _) => convert("a String"),
        (ShapeKind::Blob, _) => convert("a Blob"),
        (ShapeKind::Integer, Value::Number(n))
            if n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()) =>
        {
            Ok(())
        }
        (ShapeKind::Integer, _) => convert("an Integer"),
        (ShapeKind::Long, Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(()),
        (ShapeKind::Long, _) => convert("a Long"),
        (ShapeKind::Float | ShapeKind::Double, Value::Number(_)) => Ok(()),
        (ShapeKind::Float, _) => convert("a Float"),
        (ShapeKind::Double, _) => convert("a Double"),
        (ShapeKind::Boolean, Value::Bool(_)) => Ok(()),
        (ShapeKind::Boolean, _) => convert("a Boolean"),
        (ShapeKind::Timestamp, Value::Number(_)) => Ok(()),
        (ShapeKind::Timestamp, Value::String(s)) if crate::timestamp::parse(s).is_some() => Ok(()),
        (ShapeKind::Timestamp, _) => convert("a Timestamp"),
    }
}
