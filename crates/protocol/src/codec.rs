//! The codec: HTTP request -> (service, operation, input `Value`), and output `Value` /
//! [`ServiceError`] -> HTTP response, for the protocol the client spoke.

use std::borrow::Cow;
use std::sync::OnceLock;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use crate::errors::common_error;
use crate::model::{Model, ShapeId, ShapeKind};
use crate::query::{self, ParamTree};
use crate::sigv4::{self, AuthError, Credentials};
use crate::{json, xml, ServiceError};

/// `X-Amz-Target`: the operation of a JSON-protocol request (a constant: see
/// [`crate::sigv4::X_AMZ_DATE`]).
const X_AMZ_TARGET: http::HeaderName = http::HeaderName::from_static("x-amz-target");

const SQS_JSON_MODEL: &str = include_str!("../../../protocol-fixtures/models/sqs-2012-11-05.json");
const SQS_QUERY_MODEL: &str =
    include_str!("../../../protocol-fixtures/models/sqs-query-2012-11-05.json");
const SQS_QUERY_ERRORS: &str =
    include_str!("../../../protocol-fixtures/models/sqs-query-errors.json");
const SNS_MODEL: &str = include_str!("../../../protocol-fixtures/models/sns-2010-03-31.json");
const EVENTS_MODEL: &str = include_str!("../../../protocol-fixtures/models/events-2015-10-07.json");
const STS_MODEL: &str = include_str!("../../../protocol-fixtures/models/sts-2011-06-15.json");

/// `x-amzn-RequestId`.
pub static X_AMZN_REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");
/// `x-amzn-query-error`: `<legacy code>;<Sender|Receiver>` on JSON errors of awsQueryCompatible services.
pub static X_AMZN_QUERY_ERROR: HeaderName = HeaderName::from_static("x-amzn-query-error");

/// The parts of an HTTP request the codec reads.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// HTTP method (`POST`; `GET` for Query parameters in the URL).
    pub method: &'a str,
    /// Path without the query string (`/`, `/000000000000/my-queue`).
    pub path: &'a str,
    /// Raw query string, without `?`.
    pub query: Option<&'a str>,
    /// All request headers (`Content-Type`, `X-Amz-Target`, `Authorization`...).
    pub headers: &'a HeaderMap,
    /// The whole request body: JSON, or a form for Query.
    pub body: &'a [u8],
}

/// The services ferrybridge speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceName {
    /// Amazon SQS (JSON 1.0 with awsQueryCompatible, and Query).
    Sqs,
    /// Amazon SNS (Query).
    Sns,
    /// Amazon EventBridge (JSON 1.1).
    Events,
    /// AWS STS (Query).
    Sts,
}

impl std::fmt::Display for ServiceName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.signing_name())
    }
}

impl ServiceName {
    /// The SigV4 signing name (`sqs`, `sns`, `events`, `sts`).
    pub fn signing_name(self) -> &'static str {
        match self {
            ServiceName::Sqs => "sqs",
            ServiceName::Sns => "sns",
            ServiceName::Events => "events",
            ServiceName::Sts => "sts",
        }
    }

    /// From a SigV4 signing name.
    pub fn from_signing_name(name: &str) -> Option<ServiceName> {
        match name {
            "sqs" => Some(ServiceName::Sqs),
            "sns" => Some(ServiceName::Sns),
            "events" => Some(ServiceName::Events),
            "sts" => Some(ServiceName::Sts),
            _ => None,
        }
    }
}

/// The wire protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WireProtocol {
    /// AWS JSON 1.0 (`application/x-amz-json-1.0`, `X-Amz-Target`): current SQS.
    AwsJson1_0,
    /// AWS JSON 1.1 (`application/x-amz-json-1.1`, `X-Amz-Target`): EventBridge.
    AwsJson1_1,
    /// AWS Query: form parameters in, XML out (SNS, STS, older SQS clients).
    AwsQuery,
    /// A Query request that asked for JSON (`Accept: application/json`): decoded as Query,
    /// answered with the JSON form of the Query response
    /// (`{"<Op>Response": {"<Op>Result": {...}, "ResponseMetadata": {...}}}`).
    AwsQueryJson,
}

impl WireProtocol {
    fn content_type(self) -> &'static str {
        match self {
            WireProtocol::AwsJson1_0 => "application/x-amz-json-1.0",
            WireProtocol::AwsJson1_1 => "application/x-amz-json-1.1",
            WireProtocol::AwsQuery => "text/xml",
            WireProtocol::AwsQueryJson => "application/json",
        }
    }

    /// Query on the request side (form parameters, the Query model).
    fn is_query(self) -> bool {
        matches!(self, WireProtocol::AwsQuery | WireProtocol::AwsQueryJson)
    }
}

/// A request the codec understood.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedRequest {
    /// The service the request is for.
    pub service: ServiceName,
    /// The protocol the client spoke; the response must use it too.
    pub protocol: WireProtocol,
    /// Operation name as in the model (`SendMessage`).
    pub operation: String,
    /// Input structure, keys = the model's member names.
    pub input: Value,
    /// SigV4 credentials, when the request was signed (well-formed). `None` when unsigned.
    pub auth: Option<Credentials>,
}

impl DecodedRequest {
    /// The account a long-term key names: a 12-digit access key, else `default`. The server
    /// applies the full rule (keys issued by STS act as their role's account) with
    /// `ferrybridge_engine::sts::StsEngine::identity`.
    pub fn account_id<'a>(&'a self, default: &'a str) -> &'a str {
        match &self.auth {
            Some(c) => c.account_id(default),
            None => default,
        }
    }

    /// The region of the SigV4 credential scope, else `default`.
    pub fn region<'a>(&'a self, default: &'a str) -> &'a str {
        match &self.auth {
            Some(c) => &c.region,
            None => default,
        }
    }
}

/// A request the codec could not decode, with what was learnt about it so the error can be
/// rendered in the client's protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The service, if it could be told before decoding failed.
    pub service: Option<ServiceName>,
    /// The protocol to render the error in, if it could be told.
    pub protocol: Option<WireProtocol>,
    /// What went wrong, as the AWS error the client receives.
    pub error: ServiceError,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for DecodeError {}

impl From<DecodeError> for ServiceError {
    fn from(e: DecodeError) -> ServiceError {
        e.error
    }
}

/// An HTTP response ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedResponse {
    /// HTTP status code.
    pub status: u16,
    /// `Content-Type`, `x-amzn-RequestId` and, where due, `x-amzn-query-error`.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The encoded output or error document.
    pub body: Bytes,
}

impl EncodedResponse {
    /// The body as text (tests, logs).
    pub fn body_str(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap_or("")
    }

    /// A header's value (tests, logs).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.as_str().eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.to_str().ok())
    }
}

/// The wire codec for SQS (JSON 1.0 and Query), SNS (Query), EventBridge (JSON 1.1) and STS
/// (Query).
///
/// Built once from the vendored models (a few milliseconds); share it behind an `Arc` or use
/// [`Codec::shared`]. It is `Send + Sync` and never mutates.
#[derive(Debug)]
pub struct Codec {
    sqs_json: Model,
    sqs_query: Model,
    sns: Model,
    events: Model,
    sts: Model,
}

impl Default for Codec {
    fn default() -> Self {
        Self::new()
    }
}

fn request_id_value(request_id: &str) -> HeaderValue {
    HeaderValue::from_str(request_id).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// Query clients may POST to the queue URL itself (`/<account>/<name>`) instead of sending
/// the `QueueUrl` parameter, as the AWS SDK for Java 1.x and presigned URLs do: fill the
/// member in from the request's `Host` and path when the operation has one and it is absent.
fn address_queue_by_path(model: &Model, shape: ShapeId, req: &HttpRequest, input: &mut Value) {
    let ShapeKind::Structure(members) = &model.shapes[shape].kind else {
        return;
    };
    let Value::Object(map) = input else { return };
    if map.contains_key("QueueUrl")
        || !members.iter().any(|m| m.name == "QueueUrl")
        || !is_sqs_queue_path(req.path)
    {
        return;
    }
    let Some(host) = req
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
    else {
        return;
    };
    map.insert(
        "QueueUrl".into(),
        Value::String(format!("http://{host}{}", req.path)),
    );
}

/// A queue URL's path: `/<account>/<name>`, or the path style that carries the region,
/// `/queue/<region>/<account>/<name>`.
/// The caller's credentials: none is fine here (some operations are unsigned, and whether a
/// signature is required is the server's decision), a malformed `Authorization` fails the
/// request in the protocol already chosen for it.
fn credentials(auth: Result<Credentials, AuthError>) -> Result<Option<Credentials>, ServiceError> {
    match auth {
        Ok(c) => Ok(Some(c)),
        Err(AuthError::Missing) => Ok(None),
        Err(AuthError::Invalid(e)) => Err(e),
    }
}

fn is_sqs_queue_path(path: &str) -> bool {
    let path = path.trim_start_matches('/');
    let path = match path.strip_prefix("queue/") {
        Some(rest) => match rest.split_once('/') {
            Some((region, rest)) if !region.is_empty() => rest,
            _ => return false,
        },
        None => path,
    };
    let mut parts = path.splitn(2, '/');
    match (parts.next(), parts.next()) {
        (Some(account), Some(name)) => {
            account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && !name.is_empty()
                && !name.contains('/')
        }
        _ => false,
    }
}

/// Whether the client asked for a JSON answer to a Query request.
fn accepts_json(req: &HttpRequest) -> bool {
    req.headers
        .get_all(http::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
        })
}

/// The code of an operation nobody recognises.
const UNKNOWN_OPERATION: &str = "UnknownOperationException";

/// The `<Op>Result` of a Query response in its JSON form: every member of the output shape,
/// `null` when absent (as AWS writes it), keyed by the model's member names.
fn query_json_result(model: &Model, shape: ShapeId, output: &Value) -> Value {
    let mut result = serde_json::Map::new();
    if let ShapeKind::Structure(members) = &model.shapes[shape].kind {
        for m in members {
            let v = output.get(m.name.as_str()).cloned().unwrap_or(Value::Null);
            result.insert(m.name.clone(), v);
        }
    }
    Value::Object(result)
}

/// How an error looks for one service.
struct Resolved<'a> {
    /// JSON `__type`.
    json_type: Cow<'a, str>,
    /// Query code / `x-amzn-query-error` code.
    query_code: Cow<'a, str>,
    status: u16,
    sender_fault: bool,
    /// Fixed Query-wire wording for this error, if the legacy front end has one.
    query_message: Option<&'a str>,
}

impl Codec {
    /// Parses the vendored models. Panics only if the vendored files are broken, which the
    /// crate's tests rule out.
    pub fn new() -> Self {
        let load = |text: &str, overlay: Option<&str>| match Model::parse(text, overlay) {
            Ok(m) => m,
            Err(e) => panic!("vendored model is broken: {e}"),
        };
        Codec {
            sqs_json: load(SQS_JSON_MODEL, Some(SQS_QUERY_ERRORS)),
            sqs_query: load(SQS_QUERY_MODEL, Some(SQS_QUERY_ERRORS)),
            sns: load(SNS_MODEL, None),
            events: load(EVENTS_MODEL, None),
            sts: load(STS_MODEL, None),
        }
    }

    /// A process-wide codec, built on first use.
    pub fn shared() -> &'static Codec {
        static CODEC: OnceLock<Codec> = OnceLock::new();
        CODEC.get_or_init(Codec::new)
    }

    pub(crate) fn model(&self, service: ServiceName, protocol: WireProtocol) -> &Model {
        match (service, protocol) {
            (ServiceName::Sqs, WireProtocol::AwsQuery | WireProtocol::AwsQueryJson) => {
                &self.sqs_query
            }
            (ServiceName::Sqs, _) => &self.sqs_json,
            (ServiceName::Sns, _) => &self.sns,
            (ServiceName::Events, _) => &self.events,
            (ServiceName::Sts, _) => &self.sts,
        }
    }

    /// The protocol a service's current model speaks.
    pub fn default_protocol(service: ServiceName) -> WireProtocol {
        match service {
            ServiceName::Sqs => WireProtocol::AwsJson1_0,
            ServiceName::Sns => WireProtocol::AwsQuery,
            ServiceName::Events => WireProtocol::AwsJson1_1,
            ServiceName::Sts => WireProtocol::AwsQuery,
        }
    }

    /// Names of a service's operations (from its current model).
    pub fn operations(&self, service: ServiceName) -> impl Iterator<Item = &str> {
        self.model(service, Self::default_protocol(service))
            .operations
            .keys()
            .map(String::as_str)
    }

    /// Whether the model lets `operation` be called without credentials (`authtype: none`):
    /// STS `AssumeRoleWithWebIdentity` and `AssumeRoleWithSAML`, which SDKs send unsigned.
    pub fn allows_unsigned(&self, service: ServiceName, operation: &str) -> bool {
        self.model(service, Self::default_protocol(service))
            .operations
            .get(operation)
            .is_some_and(|op| op.no_auth)
    }

    /// Decodes a request: which service and operation, and its input keyed by member names.
    pub fn decode(&self, req: &HttpRequest) -> Result<DecodedRequest, DecodeError> {
        let auth = sigv4::parse_request(req.headers, req.query);
        let auth_service = auth
            .as_ref()
            .ok()
            .and_then(|c| ServiceName::from_signing_name(&c.service));
        let target = req.headers.get(X_AMZ_TARGET).and_then(|v| v.to_str().ok());
        let content_type = req
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let json_ct = content_type.starts_with("application/x-amz-json");
        if target.is_some() || json_ct {
            self.decode_json(req, target, content_type, auth, auth_service)
        } else {
            self.decode_query(req, content_type, auth, auth_service)
        }
    }

    fn decode_json(
        &self,
        req: &HttpRequest,
        target: Option<&str>,
        content_type: &str,
        auth: Result<Credentials, AuthError>,
        auth_service: Option<ServiceName>,
    ) -> Result<DecodedRequest, DecodeError> {
        let (prefix, op) = target
            .and_then(|t| t.split_once('.'))
            .unwrap_or((target.unwrap_or(""), ""));
        let service = [ServiceName::Sqs, ServiceName::Events]
            .into_iter()
            .find(|s| {
                self.model(*s, Self::default_protocol(*s))
                    .target_prefix
                    .as_deref()
                    == Some(prefix)
            })
            .or(auth_service.filter(|s| !matches!(s, ServiceName::Sns | ServiceName::Sts)));
        let protocol = match service {
            Some(s) => Self::default_protocol(s),
            None if content_type.starts_with("application/x-amz-json-1.1") => {
                WireProtocol::AwsJson1_1
            }
            None => WireProtocol::AwsJson1_0,
        };
        let fail = |error: ServiceError| DecodeError {
            service,
            protocol: Some(protocol),
            error,
        };
        let auth = credentials(auth).map_err(fail)?;
        let unknown = || {
            fail(ServiceError::new(
                UNKNOWN_OPERATION,
                "The requested operation is not recognized by the service.",
            ))
        };
        let service = service.ok_or_else(unknown)?;
        let model = self.model(service, protocol);
        let operation = model.operations.get(op).ok_or_else(unknown)?;
        let input = if req.body.iter().all(u8::is_ascii_whitespace) {
            Value::Object(serde_json::Map::new())
        } else {
            match serde_json::from_slice::<Value>(req.body) {
                Ok(v @ Value::Object(_)) => v,
                Ok(_) => {
                    return Err(fail(ServiceError::new(
                        "SerializationException",
                        "Start of structure or map found where not expected.",
                    )))
                }
                Err(_) => {
                    return Err(fail(ServiceError::new(
                        "SerializationException",
                        "The request body could not be parsed as JSON.",
                    )))
                }
            }
        };
        if let Some(shape) = operation.input {
            json::validate(model, shape, &input).map_err(fail)?;
        }
        Ok(DecodedRequest {
            service,
            protocol,
            operation: operation.name.clone(),
            input,
            auth,
        })
    }

    fn decode_query(
        &self,
        req: &HttpRequest,
        content_type: &str,
        auth: Result<Credentials, AuthError>,
        auth_service: Option<ServiceName>,
    ) -> Result<DecodedRequest, DecodeError> {
        let mut pairs: Vec<(Cow<str>, Cow<str>)> = Vec::new();
        if let Some(q) = req.query {
            pairs.extend(form_urlencoded::parse(q.as_bytes()));
        }
        let form_body = content_type.is_empty()
            || content_type.starts_with("application/x-www-form-urlencoded");
        if form_body && !req.body.is_empty() {
            pairs.extend(form_urlencoded::parse(req.body));
        }
        let tree = ParamTree::build(pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref())));
        let action = tree.top("Action");
        let version = tree.top("Version");

        let query_models = [
            (ServiceName::Sqs, &self.sqs_query),
            (ServiceName::Sns, &self.sns),
            (ServiceName::Sts, &self.sts),
        ];
        let service = auth_service
            .filter(|s| *s != ServiceName::Events)
            .or_else(|| {
                query_models
                    .iter()
                    .find(|(_, m)| Some(m.api_version.as_str()) == version)
                    .map(|(s, _)| *s)
            })
            .or_else(|| {
                let action = action?;
                let mut hits = query_models
                    .iter()
                    .filter(|(_, m)| m.operations.contains_key(action));
                match (hits.next(), hits.next()) {
                    (Some((s, _)), None) => Some(*s),
                    _ => None,
                }
            })
            .or_else(|| is_sqs_queue_path(req.path).then_some(ServiceName::Sqs));
        // SQS only: the JSON form of the SNS Query responses is not established.
        let protocol = if accepts_json(req) && service != Some(ServiceName::Sns) {
            WireProtocol::AwsQueryJson
        } else {
            WireProtocol::AwsQuery
        };
        let fail = |error: ServiceError| DecodeError {
            service,
            protocol: Some(protocol),
            error,
        };
        let auth = credentials(auth).map_err(fail)?;
        let queue_path = is_sqs_queue_path(req.path);
        let Some(action) = action else {
            // A GET (or a call to a queue URL) without an action: AWS answers 404 with a bare
            // `<UnknownOperationException/>` (validated against AWS in LocalStack's
            // `TestSqsQueryApi::test_get_queue_without_action_returns_unknown_operation`).
            if req.method.eq_ignore_ascii_case("GET") || queue_path {
                return Err(fail(ServiceError::new(
                    UNKNOWN_OPERATION,
                    "The requested operation is not recognized by the service.",
                )));
            }
            return Err(fail(ServiceError::new(
                "MissingAction",
                "The request must contain the parameter Action.",
            )));
        };
        let invalid_action = || {
            let wording = if service == Some(ServiceName::Sns) {
                "web service"
            } else {
                "endpoint"
            };
            fail(ServiceError::new(
                "InvalidAction",
                format!("The action {action} is not valid for this {wording}."),
            ))
        };
        let Some(service) = service else {
            return Err(invalid_action());
        };
        // A queue URL is the endpoint of that queue's actions only: AWS refuses the actions
        // that do not act on one queue there (LocalStack's AWS-validated query API handler).
        if service == ServiceName::Sqs
            && queue_path
            && matches!(action, "CreateQueue" | "ListQueues")
        {
            return Err(invalid_action());
        }
        let model = self.model(service, WireProtocol::AwsQuery);
        let Some(operation) = model.operations.get(action) else {
            return Err(invalid_action());
        };
        let mut input = match operation.input {
            Some(shape) => query::decode_input(model, shape, &tree).map_err(fail)?,
            None => Value::Object(serde_json::Map::new()),
        };
        if service == ServiceName::Sqs {
            if let Some(shape) = operation.input {
                address_queue_by_path(model, shape, req, &mut input);
            }
        }
        Ok(DecodedRequest {
            service,
            protocol,
            operation: operation.name.clone(),
            input,
            auth,
        })
    }

    /// Renders an operation's output. `output` is keyed by the output shape's member names
    /// (see the crate docs for value conventions); `Null` means "no output".
    pub fn encode_output(
        &self,
        service: ServiceName,
        protocol: WireProtocol,
        operation: &str,
        output: &Value,
        request_id: &str,
    ) -> EncodedResponse {
        let body = match protocol {
            WireProtocol::AwsJson1_0 | WireProtocol::AwsJson1_1 => json::encode_output(output),
            WireProtocol::AwsQueryJson => {
                let model = self.model(service, protocol);
                let result = model.operations.get(operation).and_then(|op| {
                    let shape = op.output?;
                    let wrapper = match &op.result_wrapper {
                        Some(w) => w.clone(),
                        None => format!("{operation}Result"),
                    };
                    Some((wrapper, query_json_result(model, shape, output)))
                });
                let mut response = serde_json::Map::new();
                if let Some((wrapper, result)) = result {
                    response.insert(wrapper, result);
                }
                response.insert(
                    "ResponseMetadata".into(),
                    serde_json::json!({ "RequestId": request_id }),
                );
                let mut doc = serde_json::Map::new();
                doc.insert(format!("{operation}Response"), Value::Object(response));
                serde_json::to_vec(&Value::Object(doc)).unwrap_or_default()
            }
            WireProtocol::AwsQuery => {
                let model = self.model(service, protocol);
                let mut out = Vec::with_capacity(512);
                if service == ServiceName::Sqs {
                    out.extend_from_slice(b"<?xml version=\"1.0\"?>");
                }
                out.push(b'<');
                out.extend_from_slice(operation.as_bytes());
                out.extend_from_slice(b"Response xmlns=\"");
                xml::escape_into(&mut out, model.xml_namespace.as_deref().unwrap_or(""));
                out.extend_from_slice(b"\">");
                if let Some(op) = model.operations.get(operation) {
                    if let Some(shape) = op.output {
                        let wrapper: Cow<str> = match &op.result_wrapper {
                            Some(w) => Cow::Borrowed(w),
                            None => Cow::Owned(format!("{operation}Result")),
                        };
                        out.push(b'<');
                        out.extend_from_slice(wrapper.as_bytes());
                        out.push(b'>');
                        let start = out.len();
                        xml::write_structure_members(&mut out, model, shape, output);
                        if out.len() == start && service == ServiceName::Sqs {
                            // An empty result is one empty element on SQS, as AWS writes it
                            // (`<ReceiveMessageResult/>`).
                            out.pop();
                            out.extend_from_slice(b"/>");
                        } else {
                            out.extend_from_slice(b"</");
                            out.extend_from_slice(wrapper.as_bytes());
                            out.push(b'>');
                        }
                    }
                }
                out.extend_from_slice(b"<ResponseMetadata><RequestId>");
                xml::escape_into(&mut out, request_id);
                out.extend_from_slice(b"</RequestId></ResponseMetadata></");
                out.extend_from_slice(operation.as_bytes());
                out.extend_from_slice(b"Response>");
                out
            }
        };
        EncodedResponse {
            status: 200,
            headers: vec![
                (
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static(protocol.content_type()),
                ),
                (X_AMZN_REQUEST_ID.clone(), request_id_value(request_id)),
            ],
            body: Bytes::from(body),
        }
    }

    fn resolve<'a>(&'a self, service: Option<ServiceName>, code: &'a str) -> Resolved<'a> {
        let model = service.map(|s| self.model(s, Self::default_protocol(s)));
        let namespace = match service {
            Some(ServiceName::Sqs) => Some("com.amazonaws.sqs#"),
            _ => None,
        };
        if let Some(info) = model.and_then(|m| m.error(code)) {
            return Resolved {
                json_type: match namespace {
                    Some(ns) => Cow::Owned(format!("{ns}{}", info.shape)),
                    None => Cow::Borrowed(info.shape.as_str()),
                },
                query_code: Cow::Borrowed(info.query_code.as_str()),
                status: info.status,
                sender_fault: info.sender_fault,
                query_message: info.query_message.as_deref(),
            };
        }
        let common = common_error(code);
        let json_type = match (namespace, common) {
            (Some(_), Some(c)) if c.coral => Cow::Owned(format!("com.amazon.coral.service#{code}")),
            (Some(ns), _) => Cow::Owned(format!(
                "{ns}{}",
                common.and_then(|c| c.json_name).unwrap_or(code)
            )),
            (None, _) => Cow::Borrowed(code),
        };
        Resolved {
            json_type,
            query_code: Cow::Borrowed(code),
            status: common.map_or(400, |c| c.status),
            sender_fault: common.is_none_or(|c| c.sender_fault),
            query_message: None,
        }
    }

    /// Renders a [`ServiceError`] for the client's protocol. `err.code` is a model error shape
    /// name (`QueueDoesNotExist`), a model Query code (`AWS.SimpleQueueService.NonExistentQueue`)
    /// or a common error code (`InvalidParameterValue`); anything else is rendered as given
    /// with status 400.
    pub fn encode_error(
        &self,
        service: ServiceName,
        protocol: WireProtocol,
        err: &ServiceError,
        request_id: &str,
    ) -> EncodedResponse {
        self.encode_error_inner(Some(service), protocol, err, request_id)
    }

    /// Renders a [`DecodeError`] in whatever protocol could be recognised (Query if none).
    pub fn encode_decode_error(&self, err: &DecodeError, request_id: &str) -> EncodedResponse {
        let protocol = err
            .protocol
            .or(err.service.map(Self::default_protocol))
            .unwrap_or(WireProtocol::AwsQuery);
        // A Query request nobody could place is answered as SQS, the service most Query
        // clients talk to.
        let service = match (err.service, protocol.is_query()) {
            (None, true) => Some(ServiceName::Sqs),
            (s, _) => s,
        };
        self.encode_error_inner(service, protocol, &err.error, request_id)
    }

    fn encode_error_inner(
        &self,
        service: Option<ServiceName>,
        protocol: WireProtocol,
        err: &ServiceError,
        request_id: &str,
    ) -> EncodedResponse {
        let r = self.resolve(service, &err.code);
        let fault = if r.sender_fault { "Sender" } else { "Receiver" };
        let mut headers = vec![
            (
                http::header::CONTENT_TYPE,
                HeaderValue::from_static(protocol.content_type()),
            ),
            (X_AMZN_REQUEST_ID.clone(), request_id_value(request_id)),
        ];
        if protocol.is_query() && err.code == UNKNOWN_OPERATION {
            return EncodedResponse {
                status: 404,
                headers: vec![
                    (
                        http::header::CONTENT_TYPE,
                        HeaderValue::from_static("text/xml"),
                    ),
                    (X_AMZN_REQUEST_ID.clone(), request_id_value(request_id)),
                ],
                body: Bytes::from_static(b"<UnknownOperationException/>"),
            };
        }
        let body = match protocol {
            WireProtocol::AwsQueryJson => {
                let error = serde_json::json!({
                    "ErrorResponse": {
                        "Error": {
                            "Type": fault,
                            "Code": r.query_code,
                            "Message": err.query_message.as_deref().or(r.query_message).unwrap_or(&err.message),
                        },
                        "RequestId": request_id,
                    }
                });
                serde_json::to_vec(&error).unwrap_or_default()
            }
            WireProtocol::AwsJson1_0 | WireProtocol::AwsJson1_1 => {
                let query_compatible = service
                    .map(|s| self.model(s, protocol).query_compatible)
                    .unwrap_or(false);
                if query_compatible {
                    if let Ok(v) = HeaderValue::from_str(&format!("{};{fault}", r.query_code)) {
                        headers.push((X_AMZN_QUERY_ERROR.clone(), v));
                    }
                }
                json::encode_error(&r.json_type, &err.message)
            }
            WireProtocol::AwsQuery => {
                let sqs = service == Some(ServiceName::Sqs);
                let ns = service
                    .and_then(|s| self.model(s, protocol).xml_namespace.as_deref())
                    .unwrap_or("");
                let mut out = Vec::with_capacity(256);
                if sqs {
                    out.extend_from_slice(b"<?xml version=\"1.0\"?>");
                }
                out.extend_from_slice(b"<ErrorResponse xmlns=\"");
                xml::escape_into(&mut out, ns);
                out.extend_from_slice(b"\"><Error><Type>");
                out.extend_from_slice(fault.as_bytes());
                out.extend_from_slice(b"</Type><Code>");
                xml::escape_into(&mut out, &r.query_code);
                out.extend_from_slice(b"</Code><Message>");
                xml::escape_into(
                    &mut out,
                    err.query_message
                        .as_deref()
                        .or(r.query_message)
                        .unwrap_or(&err.message),
                );
                out.extend_from_slice(b"</Message>");
                if sqs {
                    out.extend_from_slice(b"<Detail/>");
                }
                out.extend_from_slice(b"</Error><RequestId>");
                xml::escape_into(&mut out, request_id);
                out.extend_from_slice(b"</RequestId></ErrorResponse>");
                out
            }
        };
        EncodedResponse {
            status: r.status,
            headers,
            body: Bytes::from(body),
        }
    }

    /// The model used for a service and protocol (tests).
    #[cfg(test)]
    pub(crate) fn model_for(&self, service: ServiceName, protocol: WireProtocol) -> &Model {
        self.model(service, protocol)
    }
}
