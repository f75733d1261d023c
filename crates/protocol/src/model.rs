//! An interpreter for botocore service models (`service-2.json`).
//!
//! A model is parsed once into flat tables: shapes live in a `Vec` and refer to each other by
//! index, every member already knows its wire name (the name botocore's Query serializer and
//! XML parser use for it), so decoding and encoding never look a string up in the raw JSON.

use std::collections::HashMap;

use serde_json::Value;

/// Index of a shape in [`Model::shapes`].
pub(crate) type ShapeId = usize;

/// The scalar and aggregate types a botocore shape can have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ShapeKind {
    Structure(Vec<Member>),
    List(Box<Member>),
    Map(Box<Member>, Box<Member>),
    String,
    Integer,
    Long,
    Boolean,
    Blob,
    Timestamp,
    Float,
    Double,
}

/// A shape: its kind plus the `flattened` flag, which may be set on the shape itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shape {
    pub name: String,
    pub kind: ShapeKind,
    pub flattened: bool,
    /// Shape-level `locationName` (e.g. SQS Query `TagMap` -> `Tag`); a reference's own wins.
    pub location_name: Option<String>,
    /// Input constraints (`min`/`max`/`pattern`/`enum`/`sensitive`), checked by
    /// [`crate::constraints::validate_input`].
    pub constraints: Constraints,
}

/// The constraint traits of a shape, as the model states them. `min`/`max` bound the length of
/// strings (in code points), lists and maps, and the value of numbers; they are kept as the
/// model's JSON numbers so messages render them exactly as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Constraints {
    pub min: Option<serde_json::Number>,
    pub max: Option<serde_json::Number>,
    /// A Java regular expression the whole string must match.
    pub pattern: Option<String>,
    /// Allowed values of an enum string (empty = not an enum).
    pub enum_values: Vec<String>,
    /// Values of sensitive shapes are left out of validation messages.
    pub sensitive: bool,
}

impl Constraints {
    fn parse(raw: &Value) -> Constraints {
        let number = |key: &str| match raw.get(key) {
            Some(Value::Number(n)) => Some(n.clone()),
            _ => None,
        };
        Constraints {
            min: number("min"),
            max: number("max"),
            pattern: str_field(raw, "pattern").map(str::to_string),
            enum_values: raw
                .get("enum")
                .and_then(Value::as_array)
                .map(|vs| {
                    vs.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            sensitive: bool_field(raw, "sensitive"),
        }
    }
}

/// A reference from a structure/list/map to a shape, with its serialization traits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    /// The member name (keys of decoded inputs / encoded outputs).
    pub name: String,
    pub target: ShapeId,
    /// `locationName` of the reference, if any.
    pub location_name: Option<String>,
    /// `flattened` of the reference or of the target shape.
    pub flattened: bool,
    /// The name on the wire (Query parameter component, XML element name). For a flattened
    /// list whose member has a `locationName`, that name (botocore `_member_key_name`).
    pub wire_name: String,
    /// Listed in the containing structure's `required` (always false for list/map members).
    pub required: bool,
}

/// One operation.
#[derive(Debug, Clone)]
pub(crate) struct Operation {
    pub name: String,
    pub input: Option<ShapeId>,
    pub output: Option<ShapeId>,
    pub result_wrapper: Option<String>,
    /// The operation is called without credentials (`"authtype": "none"`, Smithy
    /// `smithy.api#noAuth`): STS AssumeRoleWithWebIdentity / AssumeRoleWithSAML.
    pub no_auth: bool,
}

/// How an error shape (or a common error) looks on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ErrorInfo {
    /// Shape name, used as JSON `__type` suffix.
    pub shape: String,
    /// Code in Query responses and `x-amzn-query-error`.
    pub query_code: String,
    pub status: u16,
    pub sender_fault: bool,
    /// The wording the legacy Query front end uses instead of the service's own message
    /// (SQS's "…does not exist for this wsdl version."), from the overlay's `queryMessage`.
    pub query_message: Option<String>,
}

/// A parsed service model.
#[derive(Debug)]
pub(crate) struct Model {
    pub api_version: String,
    pub target_prefix: Option<String>,
    pub xml_namespace: Option<String>,
    pub query_compatible: bool,
    pub shapes: Vec<Shape>,
    pub operations: HashMap<String, Operation>,
    /// Error shapes by shape name.
    pub errors: HashMap<String, ErrorInfo>,
    /// Error shape name by Query code (`AWS.SimpleQueueService.NonExistentQueue` -> `QueueDoesNotExist`).
    pub errors_by_code: HashMap<String, String>,
}

/// Why a model could not be loaded (only ever a bug in the vendored files).
#[derive(Debug, thiserror::Error)]
#[error("invalid service model: {0}")]
pub(crate) struct ModelError(String);

fn err(msg: impl Into<String>) -> ModelError {
    ModelError(msg.into())
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn bool_field(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

impl Model {
    /// Parses a botocore model. `error_overlay`, if given, is a JSON object
    /// `{ShapeName: {code, httpStatusCode, senderFault, queryMessage?}}` that completes the
    /// model's `error` traits (botocore's JSON models of awsQueryCompatible services do not
    /// carry them); `queryMessage` replaces the message on the Query wire only.
    pub(crate) fn parse(text: &str, error_overlay: Option<&str>) -> Result<Model, ModelError> {
        let root: Value = serde_json::from_str(text).map_err(|e| err(e.to_string()))?;
        let overlay: Value = match error_overlay {
            Some(t) => serde_json::from_str(t).map_err(|e| err(e.to_string()))?,
            None => Value::Null,
        };
        let meta = root.get("metadata").ok_or_else(|| err("no metadata"))?;
        match str_field(meta, "protocol") {
            Some("json" | "query") => {}
            other => return Err(err(format!("unsupported protocol {other:?}"))),
        }
        let raw_shapes = root
            .get("shapes")
            .and_then(Value::as_object)
            .ok_or_else(|| err("no shapes"))?;

        let ids: HashMap<&str, ShapeId> = raw_shapes
            .keys()
            .enumerate()
            .map(|(i, k)| (k.as_str(), i))
            .collect();
        let lookup = |name: &str| -> Result<ShapeId, ModelError> {
            ids.get(name)
                .copied()
                .ok_or_else(|| err(format!("unknown shape {name}")))
        };

        // First pass: kinds, flattened flags; members without wire names.
        let mut shapes = Vec::with_capacity(raw_shapes.len());
        for (name, raw) in raw_shapes {
            let member_ref = |member_name: &str, r: &Value| -> Result<Member, ModelError> {
                let target =
                    lookup(str_field(r, "shape").ok_or_else(|| err("member without shape"))?)?;
                Ok(Member {
                    name: member_name.to_string(),
                    target,
                    location_name: str_field(r, "locationName").map(str::to_string),
                    flattened: bool_field(r, "flattened"),
                    wire_name: String::new(),
                    required: false,
                })
            };
            let kind = match str_field(raw, "type") {
                Some("structure") => {
                    let mut members = Vec::new();
                    let required: Vec<&str> = raw
                        .get("required")
                        .and_then(Value::as_array)
                        .map(|r| r.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    if let Some(ms) = raw.get("members").and_then(Value::as_object) {
                        for (mname, mref) in ms {
                            let mut member = member_ref(mname, mref)?;
                            member.required = required.contains(&mname.as_str());
                            members.push(member);
                        }
                    }
                    ShapeKind::Structure(members)
                }
                Some("list") => {
                    let m = raw
                        .get("member")
                        .ok_or_else(|| err("list without member"))?;
                    ShapeKind::List(Box::new(member_ref("member", m)?))
                }
                Some("map") => {
                    let k = raw.get("key").ok_or_else(|| err("map without key"))?;
                    let v = raw.get("value").ok_or_else(|| err("map without value"))?;
                    ShapeKind::Map(
                        Box::new(member_ref("key", k)?),
                        Box::new(member_ref("value", v)?),
                    )
                }
                Some("string") => ShapeKind::String,
                Some("integer") => ShapeKind::Integer,
                Some("long") => ShapeKind::Long,
                Some("boolean") => ShapeKind::Boolean,
                Some("blob") => ShapeKind::Blob,
                Some("timestamp") => ShapeKind::Timestamp,
                Some("float") => ShapeKind::Float,
                Some("double") => ShapeKind::Double,
                other => return Err(err(format!("shape {name}: unsupported type {other:?}"))),
            };
            shapes.push(Shape {
                name: name.clone(),
                kind,
                flattened: bool_field(raw, "flattened"),
                location_name: str_field(raw, "locationName").map(str::to_string),
                constraints: Constraints::parse(raw),
            });
        }

        // Second pass: effective flattened flag, locationName and wire names (botocore merges
        // the target shape's serialization traits under the reference's).
        let shapes_kinds: Vec<Option<ShapeId>> = shapes
            .iter()
            .map(|s| match &s.kind {
                ShapeKind::List(m) => Some(m.target),
                _ => None,
            })
            .collect();
        let snapshot: Vec<(bool, Option<String>, Option<String>)> = shapes
            .iter()
            .map(|s| {
                let list_member_name = match &s.kind {
                    ShapeKind::List(m) => m.location_name.clone(),
                    _ => None,
                };
                (s.flattened, s.location_name.clone(), list_member_name)
            })
            .collect();
        let finish = |m: &mut Member, default_wire: &str| {
            let (shape_flat, shape_name, list_member_name) = &snapshot[m.target];
            m.flattened |= *shape_flat;
            if m.location_name.is_none() {
                m.location_name.clone_from(shape_name);
            }
            let list_member_name = list_member_name.clone().or_else(|| {
                // The list member's own target shape may carry the name.
                match &shapes_kinds[m.target] {
                    Some(item_target) => snapshot[*item_target].1.clone(),
                    None => None,
                }
            });
            m.wire_name = match (m.flattened, list_member_name) {
                (true, Some(n)) => n,
                _ => m
                    .location_name
                    .clone()
                    .unwrap_or_else(|| default_wire.to_string()),
            };
        };
        for shape in &mut shapes {
            match &mut shape.kind {
                ShapeKind::Structure(members) => {
                    for m in members {
                        let default = m.name.clone();
                        finish(m, &default);
                    }
                }
                ShapeKind::List(m) => finish(m, "member"),
                ShapeKind::Map(k, v) => {
                    finish(k, "key");
                    finish(v, "value");
                }
                _ => {}
            }
        }

        let mut operations = HashMap::new();
        if let Some(ops) = root.get("operations").and_then(Value::as_object) {
            for (name, raw) in ops {
                let input = match raw.get("input").and_then(|i| str_field(i, "shape")) {
                    Some(s) => Some(lookup(s)?),
                    None => None,
                };
                let output = match raw.get("output").and_then(|o| str_field(o, "shape")) {
                    Some(s) => Some(lookup(s)?),
                    None => None,
                };
                let result_wrapper = raw
                    .get("output")
                    .and_then(|o| str_field(o, "resultWrapper"))
                    .map(str::to_string);
                let no_auth = str_field(raw, "authtype") == Some("none")
                    || raw
                        .get("auth")
                        .and_then(Value::as_array)
                        .is_some_and(|a| a.iter().any(|v| v == "smithy.api#noAuth"));
                operations.insert(
                    name.clone(),
                    Operation {
                        name: name.clone(),
                        input,
                        output,
                        result_wrapper,
                        no_auth,
                    },
                );
            }
        }

        let mut errors = HashMap::new();
        let mut errors_by_code = HashMap::new();
        for (name, raw) in raw_shapes {
            if !bool_field(raw, "exception") {
                continue;
            }
            let trait_ = overlay.get(name).or_else(|| raw.get("error"));
            let fault = bool_field(raw, "fault");
            let code = trait_
                .and_then(|t| str_field(t, "code"))
                .unwrap_or(name)
                .to_string();
            let status = trait_
                .and_then(|t| t.get("httpStatusCode"))
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok())
                .unwrap_or(if fault { 500 } else { 400 });
            let sender_fault = trait_
                .and_then(|t| t.get("senderFault"))
                .and_then(Value::as_bool)
                .unwrap_or(!fault);
            let query_message = trait_
                .and_then(|t| str_field(t, "queryMessage"))
                .map(str::to_string);
            errors_by_code.insert(code.clone(), name.clone());
            errors.insert(
                name.clone(),
                ErrorInfo {
                    shape: name.clone(),
                    query_code: code,
                    status,
                    sender_fault,
                    query_message,
                },
            );
        }

        Ok(Model {
            api_version: str_field(meta, "apiVersion")
                .unwrap_or_default()
                .to_string(),
            target_prefix: str_field(meta, "targetPrefix").map(str::to_string),
            xml_namespace: str_field(meta, "xmlNamespace").map(str::to_string),
            query_compatible: meta.get("awsQueryCompatible").is_some(),
            shapes,
            operations,
            errors,
            errors_by_code,
        })
    }

    /// Looks up an error by shape name or by its Query code.
    pub(crate) fn error(&self, code: &str) -> Option<&ErrorInfo> {
        self.errors.get(code).or_else(|| {
            self.errors_by_code
                .get(code)
                .and_then(|shape| self.errors.get(shape))
        })
    }
}
