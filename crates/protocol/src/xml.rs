//! AWS Query responses: a `Value` keyed by member names rendered as XML, element names and
//! flattening taken from the model (the rules botocore's XML parser reads them back with).

use serde_json::Value;

use crate::model::{Member, Model, ShapeId, ShapeKind};
use crate::timestamp;

/// Appends `text` XML-escaped (`&`, `<`, `>`, `"`). Besides these, `\r` is written as `&#xD;`
/// as AWS does (a literal CR would be normalised to LF by any XML parser).
pub(crate) fn escape_into(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let rep: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            b'\r' => b"&#xD;",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(rep);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

fn open(out: &mut Vec<u8>, name: &str) {
    out.push(b'<');
    out.extend_from_slice(name.as_bytes());
    out.push(b'>');
}

fn close(out: &mut Vec<u8>, name: &str) {
    out.extend_from_slice(b"</");
    out.extend_from_slice(name.as_bytes());
    out.push(b'>');
}

/// Writes the members of structure `shape` found in `value` (no enclosing element).
pub(crate) fn write_structure_members(
    out: &mut Vec<u8>,
    model: &Model,
    shape: ShapeId,
    value: &Value,
) {
    let (ShapeKind::Structure(members), Some(obj)) = (&model.shapes[shape].kind, value.as_object())
    else {
        return;
    };
    for m in members {
        match obj.get(&m.name) {
            None | Some(Value::Null) => {}
            Some(v) => write_member(out, model, m, v),
        }
    }
}

fn write_member(out: &mut Vec<u8>, model: &Model, m: &Member, v: &Value) {
    match &model.shapes[m.target].kind {
        ShapeKind::List(item) if m.flattened => {
            if let Some(items) = v.as_array() {
                for it in items {
                    write_element(out, model, &m.wire_name, item.target, it);
                }
            }
        }
        ShapeKind::Map(k, val) if m.flattened => {
            if let Some(entries) = v.as_object() {
                for (key, ev) in entries {
                    open(out, &m.wire_name);
                    write_map_entry(out, model, k, val, key, ev);
                    close(out, &m.wire_name);
                }
            }
        }
        _ => write_element(out, model, &m.wire_name, m.target, v),
    }
}

fn write_map_entry(
    out: &mut Vec<u8>,
    model: &Model,
    k: &Member,
    val: &Member,
    key: &str,
    v: &Value,
) {
    open(out, &k.wire_name);
    escape_into(out, key);
    close(out, &k.wire_name);
    if !v.is_null() {
        write_element(out, model, &val.wire_name, val.target, v);
    }
}

/// Writes `<name>value</name>` for a value of shape `shape`.
fn write_element(out: &mut Vec<u8>, model: &Model, name: &str, shape: ShapeId, v: &Value) {
    open(out, name);
    match &model.shapes[shape].kind {
        ShapeKind::Structure(_) => write_structure_members(out, model, shape, v),
        ShapeKind::List(item) => {
            if let Some(items) = v.as_array() {
                for it in items {
                    write_element(out, model, &item.wire_name, item.target, it);
                }
            }
        }
        ShapeKind::Map(k, val) => {
            if let Some(entries) = v.as_object() {
                for (key, ev) in entries {
                    open(out, "entry");
                    write_map_entry(out, model, k, val, key, ev);
                    close(out, "entry");
                }
            }
        }
        ShapeKind::Timestamp => match v {
            Value::Number(n) => {
                let secs = n.as_f64().unwrap_or(0.0);
                out.extend_from_slice(timestamp::format_iso8601(secs).as_bytes());
            }
            other => write_scalar(out, other),
        },
        _ => write_scalar(out, v),
    }
    close(out, name);
}

fn write_scalar(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::String(s) => escape_into(out, s),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::Null => {}
        // A service handed an aggregate where the model has a scalar: render it as JSON text
        // rather than dropping it silently.
        other => escape_into(out, &other.to_string()),
    }
}
