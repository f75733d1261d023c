//! AWS Query request decoding: `A.B.member.1=...` form parameters to a `Value` keyed by member
//! names, following the serialization rules of botocore's `QuerySerializer` in reverse.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};

use crate::model::{Member, Model, ShapeId, ShapeKind};
use crate::timestamp;
use crate::ServiceError;

/// Form parameters split on `.` into a tree: `Attribute.1.Name=x` becomes
/// `Attribute -> 1 -> Name = x`.
#[derive(Debug, Default)]
pub(crate) struct ParamTree {
    value: Option<String>,
    children: Vec<(String, ParamTree)>,
    /// Index over `children` once there are many (a hostile request may send thousands of
    /// parameters; linear lookups would make building the tree quadratic).
    index: Option<HashMap<String, usize>>,
}

/// No model nests deeper than this; longer keys cannot name a member and are ignored (which
/// also bounds the depth of the tree, hence of its recursive drop).
const MAX_KEY_PARTS: usize = 24;
const INDEX_THRESHOLD: usize = 16;

impl ParamTree {
    /// Builds the tree from decoded `(key, value)` pairs. A repeated key keeps its first value.
    pub(crate) fn build<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> ParamTree {
        let mut root = ParamTree::default();
        for (key, value) in pairs {
            if key.split('.').nth(MAX_KEY_PARTS).is_some() {
                continue;
            }
            let mut node = &mut root;
            for part in key.split('.') {
                let idx = match node.position(part) {
                    Some(i) => i,
                    None => node.push(part),
                };
                node = &mut node.children[idx].1;
            }
            if node.value.is_none() {
                node.value = Some(value.to_string());
            }
        }
        root
    }

    /// The value of a top-level parameter (`Action`, `Version`).
    pub(crate) fn top(&self, name: &str) -> Option<&str> {
        self.child(name).and_then(|n| n.value.as_deref())
    }

    fn position(&self, name: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(name).copied(),
            None => self.children.iter().position(|(k, _)| k == name),
        }
    }

    fn push(&mut self, name: &str) -> usize {
        let i = self.children.len();
        self.children.push((name.to_string(), ParamTree::default()));
        if let Some(index) = &mut self.index {
            index.insert(name.to_string(), i);
        } else if self.children.len() > INDEX_THRESHOLD {
            self.index = Some(
                self.children
                    .iter()
                    .enumerate()
                    .map(|(i, (k, _))| (k.clone(), i))
                    .collect(),
            );
        }
        i
    }

    fn child(&self, name: &str) -> Option<&ParamTree> {
        self.position(name).map(|i| &self.children[i].1)
    }

    /// Children named `1`, `2`, ... in numeric order.
    fn indexed(&self) -> Vec<(u64, &ParamTree)> {
        let mut items: Vec<(u64, &ParamTree)> = self
            .children
            .iter()
            .filter_map(|(k, n)| k.parse::<u64>().ok().map(|i| (i, n)))
            .collect();
        items.sort_by_key(|(i, _)| *i);
        items
    }
}

fn invalid_value(path: &str, value: &str) -> ServiceError {
    ServiceError::new(
        "InvalidParameterValue",
        format!("Value {value} for parameter {path} is invalid."),
    )
}

/// Decodes the input structure `shape` of an operation from the parameter tree.
pub(crate) fn decode_input(
    model: &Model,
    shape: ShapeId,
    params: &ParamTree,
) -> Result<Value, ServiceError> {
    decode_shape(model, shape, params, "")
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn decode_member(
    model: &Model,
    m: &Member,
    parent: &ParamTree,
    path: &str,
) -> Result<Option<Value>, ServiceError> {
    let Some(node) = parent.child(&m.wire_name) else {
        return Ok(None);
    };
    let path = join(path, &m.wire_name);
    match &model.shapes[m.target].kind {
        ShapeKind::List(item) if m.flattened => {
            decode_list_items(model, item, node, &path).map(Some)
        }
        ShapeKind::Map(k, v) if m.flattened => {
            decode_map_entries(model, k, v, node, &path).map(Some)
        }
        _ => decode_shape(model, m.target, node, &path).map(Some),
    }
}

fn decode_list_items(
    model: &Model,
    item: &Member,
    node: &ParamTree,
    path: &str,
) -> Result<Value, ServiceError> {
    let mut out = Vec::new();
    for (i, child) in node.indexed() {
        out.push(decode_shape(
            model,
            item.target,
            child,
            &format!("{path}.{i}"),
        )?);
    }
    Ok(Value::Array(out))
}

fn decode_map_entries(
    model: &Model,
    key: &Member,
    value: &Member,
    node: &ParamTree,
    path: &str,
) -> Result<Value, ServiceError> {
    let mut out = Map::new();
    for (i, entry) in node.indexed() {
        let Some(k) = entry.child(&key.wire_name).and_then(|n| n.value.as_deref()) else {
            continue;
        };
        let v = match entry.child(&value.wire_name) {
            Some(vn) => decode_shape(
                model,
                value.target,
                vn,
                &format!("{path}.{i}.{}", value.wire_name),
            )?,
            None => Value::Null,
        };
        out.insert(k.to_string(), v);
    }
    Ok(Value::Object(out))
}

fn decode_shape(
    model: &Model,
    shape: ShapeId,
    node: &ParamTree,
    path: &str,
) -> Result<Value, ServiceError> {
    let scalar = || node.value.as_deref().unwrap_or("");
    Ok(match &model.shapes[shape].kind {
        ShapeKind::Structure(members) => {
            let mut out = Map::new();
            for m in members {
                if let Some(v) = decode_member(model, m, node, path)? {
                    out.insert(m.name.clone(), v);
                }
            }
            Value::Object(out)
        }
        ShapeKind::List(item) => match node.child(&item.wire_name) {
            Some(items) => decode_list_items(model, item, items, &join(path, &item.wire_name))?,
            None => Value::Array(Vec::new()),
        },
        ShapeKind::Map(k, v) => match node.child("entry") {
            Some(entries) => decode_map_entries(model, k, v, entries, &join(path, "entry"))?,
            None => Value::Object(Map::new()),
        },
        ShapeKind::String | ShapeKind::Blob => Value::String(scalar().to_string()),
        ShapeKind::Integer => {
            let s = scalar();
            let n: i32 = s.trim().parse().map_err(|_| invalid_value(path, s))?;
            Value::Number(n.into())
        }
        ShapeKind::Long => {
            let s = scalar();
            let n: i64 = s.trim().parse().map_err(|_| invalid_value(path, s))?;
            Value::Number(n.into())
        }
        ShapeKind::Float | ShapeKind::Double => {
            let s = scalar();
            let f: f64 = s.trim().parse().map_err(|_| invalid_value(path, s))?;
            Value::Number(Number::from_f64(f).ok_or_else(|| invalid_value(path, s))?)
        }
        ShapeKind::Boolean => {
            let s = scalar();
            if s.eq_ignore_ascii_case("true") {
                Value::Bool(true)
            } else if s.eq_ignore_ascii_case("false") {
                Value::Bool(false)
            } else {
                return Err(invalid_value(path, s));
            }
        }
        ShapeKind::Timestamp => {
            let s = scalar();
            let secs = timestamp::parse(s).ok_or_else(|| invalid_value(path, s))?;
            timestamp::to_value(secs)
        }
    })
}
