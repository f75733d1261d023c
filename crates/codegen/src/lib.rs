//! Generates `crates/api`: one Rust struct per structure shape an operation reaches, and one trait
//! per service with one method per operation, from the botocore models vendored in
//! `protocol-fixtures/models/`.
//!
//! Why generated and checked in (as s3s does): the member names, which members are required and
//! which shapes exist are facts of the model, so typing them by hand is where a misspelled key
//! slips onto the wire. The output is ordinary Rust a reader can open; the test
//! `generated_code_is_current` regenerates it and fails when the checked-in files differ.
//!
//! The generator is deliberately small and deterministic: shapes and operations are emitted in
//! name order, every type mapping is in [`Generator::rust_type`].

use std::collections::BTreeSet;
use std::fmt::Write;

use serde_json::Value;

/// One service to generate.
#[derive(Debug, Clone, Copy)]
pub struct ServiceSpec {
    /// The module of `crates/api` (`sts` -> `crates/api/src/sts.rs`).
    pub module: &'static str,
    /// The model file under `protocol-fixtures/models/`.
    pub model_file: &'static str,
    /// The name of the service's trait (`StsApi`).
    pub trait_name: &'static str,
    /// Whether the trait's methods return futures (services whose operations may wait, e.g.
    /// SQS long polls) or answer directly.
    pub asynchronous: bool,
    /// Whether the service checks the required members of its inputs itself, in its own order
    /// and words (SQS: `MissingParameter` texts, and a batch entry without its `ReceiptHandle`
    /// fails alone rather than the whole request; SNS: `ValidationError` `Value null at
    /// 'topicArn'` after its own checks, e.g. the topic's existence). Then every member of a
    /// structure reachable from an operation's input is an `Option`; outputs keep the model's
    /// required members.
    pub checks_required_inputs: bool,
}

/// The services `crates/api` holds, in the order its `lib.rs` lists them.
pub const SERVICES: &[ServiceSpec] = &[
    ServiceSpec {
        module: "events",
        model_file: "events-2015-10-07.json",
        trait_name: "EventsApi",
        asynchronous: false,
        checks_required_inputs: false,
    },
    ServiceSpec {
        module: "sns",
        model_file: "sns-2010-03-31.json",
        trait_name: "SnsApi",
        asynchronous: true,
        checks_required_inputs: true,
    },
    ServiceSpec {
        module: "sqs",
        model_file: "sqs-2012-11-05.json",
        trait_name: "SqsApi",
        asynchronous: true,
        checks_required_inputs: true,
    },
    ServiceSpec {
        module: "sts",
        model_file: "sts-2011-06-15.json",
        trait_name: "StsApi",
        asynchronous: false,
        checks_required_inputs: false,
    },
];

/// Names the generated code uses from the runtime (`crates/api/src/value.rs`) or the standard
/// library; a model shape with one of these names gets a `Shape` suffix.
const RESERVED_TYPE_NAMES: &[&str] = &[
    "Blob",
    "Box",
    "ConversionError",
    "Entries",
    "FromValue",
    "IntoValue",
    "Option",
    "RequestContext",
    "Result",
    "ServiceError",
    "String",
    "Timestamp",
    "Value",
    "Vec",
];

/// Rust keywords: members named like one become raw identifiers.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where",
    "while", "yield", "abstract", "become", "do", "final", "macro", "override", "priv", "try",
    "typeof", "unsized", "virtual",
];

/// Errors of generation: the model has something the generator does not map.
#[derive(Debug)]
pub struct GenerateError(pub String);

impl std::fmt::Display for GenerateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GenerateError {}

/// The Rust source of `crates/api/src/<module>.rs` for one service, from its model's JSON.
pub fn generate(spec: &ServiceSpec, model: &Value) -> Result<String, GenerateError> {
    Generator::new(spec, model)?.render()
}

/// `AssumeRole` -> `assume_role`, `MD5OfMessageBody` -> `md5_of_message_body`,
/// `QueueURL` -> `queue_url`: a word boundary before an upper-case letter that follows a
/// lower-case letter or digit, or that starts a capitalised word after an acronym.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('_');
            }
        }
        if c == '-' || c == '.' {
            out.push('_');
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// A member's field name: snake case, keywords as raw identifiers.
fn field_name(member: &str) -> String {
    let snake = snake_case(member);
    if matches!(snake.as_str(), "self" | "super" | "crate") {
        format!("{snake}_")
    } else if KEYWORDS.contains(&snake.as_str()) {
        format!("r#{snake}")
    } else {
        snake
    }
}

struct Member {
    name: String,
    shape: String,
    required: bool,
}

struct Operation {
    name: String,
    input: Option<String>,
    output: Option<String>,
}

struct Generator<'a> {
    spec: &'a ServiceSpec,
    shapes: &'a serde_json::Map<String, Value>,
    operations: Vec<Operation>,
    /// Structure shapes reachable from an operation's input or output.
    structures: BTreeSet<String>,
    /// Structure shapes reachable from an operation's input.
    input_structures: BTreeSet<String>,
}

fn shape_ref(v: &Value) -> Option<String> {
    v.get("shape").and_then(Value::as_str).map(str::to_string)
}

impl<'a> Generator<'a> {
    fn new(spec: &'a ServiceSpec, model: &'a Value) -> Result<Self, GenerateError> {
        let shapes = model
            .get("shapes")
            .and_then(Value::as_object)
            .ok_or_else(|| GenerateError(format!("{}: no shapes", spec.model_file)))?;
        let ops = model
            .get("operations")
            .and_then(Value::as_object)
            .ok_or_else(|| GenerateError(format!("{}: no operations", spec.model_file)))?;
        let mut operations: Vec<Operation> = ops
            .iter()
            .map(|(name, op)| Operation {
                name: name.clone(),
                input: op.get("input").and_then(shape_ref),
                output: op.get("output").and_then(shape_ref),
            })
            .collect();
        operations.sort_by(|a, b| a.name.cmp(&b.name));
        let mut generator = Generator {
            spec,
            shapes,
            operations,
            structures: BTreeSet::new(),
            input_structures: BTreeSet::new(),
        };
        let inputs: Vec<String> = generator
            .operations
            .iter()
            .filter_map(|op| op.input.clone())
            .collect();
        for root in inputs {
            generator.reach(&root)?;
        }
        generator.input_structures = generator.structures.clone();
        let outputs: Vec<String> = generator
            .operations
            .iter()
            .filter_map(|op| op.output.clone())
            .collect();
        for root in outputs {
            generator.reach(&root)?;
        }
        Ok(generator)
    }

    fn shape(&self, name: &str) -> Result<&'a Value, GenerateError> {
        self.shapes
            .get(name)
            .ok_or_else(|| GenerateError(format!("{}: unknown shape {name}", self.spec.model_file)))
    }

    fn kind(&self, name: &str) -> Result<&'a str, GenerateError> {
        self.shape(name)?
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                GenerateError(format!(
                    "{}: shape {name} has no type",
                    self.spec.model_file
                ))
            })
    }

    /// Marks every structure reachable from `name`.
    fn reach(&mut self, name: &str) -> Result<(), GenerateError> {
        let shape = self.shape(name)?;
        match self.kind(name)? {
            "structure" => {
                if !self.structures.insert(name.to_string()) {
                    return Ok(());
                }
                for member in self.members(name)? {
                    self.reach(&member.shape)?;
                }
            }
            "list" => {
                if let Some(item) = shape.get("member").and_then(shape_ref) {
                    self.reach(&item)?;
                }
            }
            "map" => {
                if let Some(value) = shape.get("value").and_then(shape_ref) {
                    self.reach(&value)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn members(&self, structure: &str) -> Result<Vec<Member>, GenerateError> {
        let shape = self.shape(structure)?;
        let required: BTreeSet<&str> = shape
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let Some(members) = shape.get("members").and_then(Value::as_object) else {
            return Ok(Vec::new());
        };
        members
            .iter()
            .map(|(name, m)| {
                Ok(Member {
                    name: name.clone(),
                    shape: shape_ref(m).ok_or_else(|| {
                        GenerateError(format!("{structure}.{name}: member without a shape"))
                    })?,
                    required: required.contains(name.as_str())
                        && !(self.spec.checks_required_inputs
                            && self.input_structures.contains(structure)),
                })
            })
            .collect()
    }

    fn type_name(&self, shape: &str) -> String {
        if RESERVED_TYPE_NAMES.contains(&shape) {
            format!("{shape}Shape")
        } else {
            shape.to_string()
        }
    }

    /// The Rust type of a member of shape `name` (the value conventions of
    /// `ferrybridge_protocol`: blobs are base64 text, timestamps epoch seconds).
    fn rust_type(&self, name: &str) -> Result<String, GenerateError> {
        let shape = self.shape(name)?;
        Ok(match self.kind(name)? {
            "structure" => self.type_name(name),
            "list" => {
                let item = shape
                    .get("member")
                    .and_then(shape_ref)
                    .ok_or_else(|| GenerateError(format!("list {name} has no member")))?;
                format!("Vec<{}>", self.rust_type(&item)?)
            }
            "map" => {
                let key = shape
                    .get("key")
                    .and_then(shape_ref)
                    .ok_or_else(|| GenerateError(format!("map {name} has no key")))?;
                if self.kind(&key)? != "string" {
                    return Err(GenerateError(format!(
                        "map {name}: key {key} is not a string"
                    )));
                }
                let value = shape
                    .get("value")
                    .and_then(shape_ref)
                    .ok_or_else(|| GenerateError(format!("map {name} has no value")))?;
                format!("Entries<{}>", self.rust_type(&value)?)
            }
            "string" => "String".into(),
            "blob" => "Blob".into(),
            "integer" => "i32".into(),
            "long" => "i64".into(),
            "boolean" => "bool".into(),
            "float" | "double" => "f64".into(),
            "timestamp" => "Timestamp".into(),
            other => {
                return Err(GenerateError(format!(
                    "shape {name}: type {other} is not mapped"
                )))
            }
        })
    }

    fn render(&self) -> Result<String, GenerateError> {
        let mut out = String::new();
        let spec = self.spec;
        let _ = writeln!(
            out,
            "//! Typed operations of `protocol-fixtures/models/{}`.\n//!\n//! @generated by \
             `cargo run -p ferrybridge-codegen`: do not edit; change the generator or the model \
             and regenerate.\n",
            spec.model_file
        );
        out.push_str(
            "#![allow(clippy::all, clippy::pedantic, missing_docs, non_snake_case, unused_imports)]\n\n",
        );
        out.push_str("use crate::value::{object, optional, put, put_opt, required};\n");
        out.push_str("use crate::value::{Blob, ConversionError, Entries, FromValue, IntoValue, Timestamp};\n");
        out.push_str("use ferrybridge_protocol::ServiceError;\nuse serde_json::{Map, Value};\n\n");

        self.render_operations(&mut out)?;
        for name in &self.structures {
            self.render_structure(&mut out, name)?;
        }
        Ok(out)
    }

    fn render_structure(&self, out: &mut String, name: &str) -> Result<(), GenerateError> {
        let ty = self.type_name(name);
        let members = self.members(name)?;
        let _ = writeln!(out, "/// The model's `{name}` structure.");
        out.push_str("#[derive(Debug, Clone, Default, PartialEq)]\n");
        let _ = writeln!(out, "pub struct {ty} {{");
        let mut fields = Vec::with_capacity(members.len());
        for m in &members {
            let rust = self.rust_type(&m.shape)?;
            let field = field_name(&m.name);
            let recursive = self.kind(&m.shape)? == "structure" && m.shape == name;
            let rust = if recursive {
                format!("Box<{rust}>")
            } else {
                rust
            };
            let _ = writeln!(
                out,
                "    /// `{}`{}.",
                m.name,
                if m.required { " (required)" } else { "" }
            );
            if m.required {
                let _ = writeln!(out, "    pub {field}: {rust},");
            } else {
                let _ = writeln!(out, "    pub {field}: Option<{rust}>,");
            }
            fields.push((field, m));
        }
        out.push_str("}\n\n");

        let _ = writeln!(out, "impl FromValue for {ty} {{");
        out.push_str(
            "    fn from_value(value: &Value, path: &str) -> Result<Self, ConversionError> {\n",
        );
        if fields.is_empty() {
            out.push_str("        object(value, path)?;\n        Ok(Self {})\n    }\n}\n\n");
        } else {
            out.push_str("        let fields = object(value, path)?;\n        Ok(Self {\n");
            for (field, m) in &fields {
                let getter = if m.required { "required" } else { "optional" };
                let _ = writeln!(
                    out,
                    "            {field}: {getter}(fields, path, \"{}\")?,",
                    m.name
                );
            }
            out.push_str("        })\n    }\n}\n\n");
        }

        let _ = writeln!(out, "impl IntoValue for {ty} {{");
        out.push_str("    fn into_value(self) -> Value {\n");
        if fields.is_empty() {
            out.push_str("        Value::Object(Map::new())\n    }\n}\n\n");
        } else {
            out.push_str("        let mut fields = Map::new();\n");
            for (field, m) in &fields {
                let setter = if m.required { "put" } else { "put_opt" };
                let _ = writeln!(
                    out,
                    "        {setter}(&mut fields, \"{}\", self.{field});",
                    m.name
                );
            }
            out.push_str("        Value::Object(fields)\n    }\n}\n\n");
        }
        Ok(())
    }

    fn render_operations(&self, out: &mut String) -> Result<(), GenerateError> {
        let spec = self.spec;
        out.push_str("/// Every operation of the model, in name order.\npub const OPERATIONS: &[&str] = &[\n");
        for op in &self.operations {
            let _ = writeln!(out, "    \"{}\",", op.name);
        }
        out.push_str("];\n\n");

        let _ = writeln!(
            out,
            "/// One method per operation of the model. A method not implemented answers \
             [`{}::unsupported`]'s error.",
            spec.trait_name
        );
        let bound = if spec.asynchronous { ": Sync" } else { "" };
        let _ = writeln!(out, "pub trait {}{bound} {{", spec.trait_name);
        out.push_str(
            "    /// What an operation runs with besides its input: the request's context and \
             whatever else the service resolved for it.\n    type Context: ?Sized + Sync;\n\n",
        );
        out.push_str(
            "    /// The error for an operation this implementation does not support.\n    fn \
             unsupported(&self, operation: &'static str) -> ServiceError;\n\n",
        );
        out.push_str(
            "    /// AWS's error for an input member that is missing or cannot be converted.\n    \
             fn conversion_error(&self, operation: &'static str, error: ConversionError) -> \
             ServiceError;\n",
        );
        for op in &self.operations {
            let input = match &op.input {
                Some(shape) => format!(", input: {}", self.type_name(shape)),
                None => String::new(),
            };
            let output = match &op.output {
                Some(shape) => self.type_name(shape),
                None => "()".into(),
            };
            let method = field_name(&op.name);
            let _ = writeln!(out, "\n    /// `{}`.", op.name);
            if spec.asynchronous {
                let unused = if op.input.is_some() {
                    "        let _ = input;\n"
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "    fn {method}(\n        &self,\n        ctx: &Self::Context{input},\n    ) -> \
                     impl std::future::Future<Output = Result<{output}, ServiceError>> + Send {{\n        \
                     let _ = ctx;\n{unused}        let error = self.unsupported(\"{}\");\n        \
                     async move {{ Err(error) }}\n    }}",
                    op.name
                );
            } else {
                let unused = if op.input.is_some() {
                    "        let _ = input;\n"
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "    fn {method}(\n        &self,\n        ctx: &Self::Context{input},\n    ) -> \
                     Result<{output}, ServiceError> {{\n        let _ = ctx;\n{unused}        \
                     Err(self.unsupported(\"{}\"))\n    }}",
                    op.name
                );
            }
        }
        out.push_str("}\n\n");

        let (asyncness, awaiting) = if spec.asynchronous {
            ("async ", ".await")
        } else {
            ("", "")
        };
        let _ = writeln!(
            out,
            "/// Runs `operation` on `api`: converts the decoded input to the operation's input \
             type, calls its method and converts the output back (`None`: no such operation).\n\
             pub {asyncness}fn dispatch<A: {} + ?Sized>(\n    api: &A,\n    ctx: &A::Context,\n    \
             operation: &str,\n    input: &Value,\n) -> Option<Result<Value, ServiceError>> {{\n    \
             Some(match operation {{",
            spec.trait_name
        );
        for op in &self.operations {
            let method = field_name(&op.name);
            let call = match &op.input {
                Some(shape) => format!(
                    "match {}::from_value(input, \"\") {{\n            Ok(input) => \
                     api.{method}(ctx, input){awaiting}.map(IntoValue::into_value),\n            \
                     Err(error) => Err(api.conversion_error(\"{}\", error)),\n        }}",
                    self.type_name(shape),
                    op.name
                ),
                None => format!("api.{method}(ctx){awaiting}.map(IntoValue::into_value)"),
            };
            let _ = writeln!(out, "        \"{}\" => {call},", op.name);
        }
        out.push_str("        _ => return None,\n    })\n}\n\n");
        Ok(())
    }
}

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// Where `spec`'s generated module goes, and its source, formatted as `rustfmt` formats it
/// (so the checked-in file is what `cargo fmt` leaves).
pub fn generate_file(
    root: &std::path::Path,
    spec: &ServiceSpec,
) -> Result<(std::path::PathBuf, String), GenerateError> {
    let model_path = root.join("protocol-fixtures/models").join(spec.model_file);
    let text = std::fs::read_to_string(&model_path)
        .map_err(|e| GenerateError(format!("{}: {e}", model_path.display())))?;
    let model: Value = serde_json::from_str(&text)
        .map_err(|e| GenerateError(format!("{}: {e}", model_path.display())))?;
    let source = rustfmt(&generate(spec, &model)?)?;
    Ok((
        root.join("crates/api/src")
            .join(format!("{}.rs", spec.module)),
        source,
    ))
}

/// Formats generated code with the toolchain's `rustfmt` (edition 2021).
fn rustfmt(source: &str) -> Result<String, GenerateError> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2021", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| GenerateError(format!("running rustfmt: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(source.as_bytes())
            .map_err(|e| GenerateError(format!("writing to rustfmt: {e}")))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| GenerateError(format!("rustfmt: {e}")))?;
    if !output.status.success() {
        return Err(GenerateError(format!(
            "rustfmt refused the generated code: {}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    String::from_utf8(output.stdout).map_err(|e| GenerateError(format!("rustfmt output: {e}")))
}
