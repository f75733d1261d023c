//! Wire formats of the AWS services ferrybridge emulates.
//!
//! This crate is the only place that knows AWS JSON 1.0/1.1 and AWS Query (form in, XML out).
//! It is driven by the AWS service models vendored under `protocol-fixtures/models/`: the same
//! model that tells an SDK how to encode a request tells us how to decode it, so adding an
//! operation never needs new wire code.
//!
//! The contract with the service crates is deliberately small:
//! * a decoded request is an operation name plus a [`serde_json::Value`] whose keys are the
//!   model's *member names* (`QueueUrl`, `Attributes`, `MessageAttributes`...), whatever the
//!   wire protocol was. Numbers are JSON numbers, booleans JSON booleans, blobs base64 strings,
//!   maps JSON objects, lists JSON arrays.
//! * a service answers with a `Value` of the same shape (keys = output member names) or a
//!   [`ServiceError`] naming the error by its model shape name (`QueueDoesNotExist`) or a common
//!   AWS error code (`InvalidParameterValue`, `MissingParameter`...).
//!
//! The codec renders both for the protocol the client spoke, with AWS's exact element names,
//! status codes, `x-amzn-RequestId` and, for awsQueryCompatible services, `x-amzn-query-error`.
//!
//! # Value conventions (both directions)
//! * structures are JSON objects keyed by member name; absent or `null` members are omitted;
//! * lists are arrays, maps are objects (`Attributes`, `MessageAttributes`, `Tags`);
//! * strings are strings; integers/longs are JSON integers; booleans are JSON booleans;
//! * blobs are **base64 strings** (as on the wire in every protocol): a service decodes
//!   `BinaryValue` with base64 and hands back base64;
//! * timestamps are epoch seconds (JSON number, fractional allowed); Query renders them as
//!   ISO 8601 (`2024-01-02T03:04:05.000Z`), JSON as numbers.
//!
//! # Decoding
//! * JSON (`X-Amz-Target: AmazonSQS.SendMessage` / `AWSEvents.PutEvents`): the body is taken as
//!   is (empty = `{}`) and type-checked against the model (`SerializationException` otherwise);
//!   unknown members pass through.
//! * Query (form body and/or query string): every member is decoded per the model (SQS: the
//!   botocore 1.31.62 Query model; SNS: the current one) and scalars converted to their type
//!   (`InvalidParameterValue` on failure). The service is taken from the SigV4 credential scope,
//!   else the `Version` parameter, else an `Action` only one service has, else a queue-URL path
//!   (`/123456789012/name`).
//! * A well-formed SigV4 signature becomes [`DecodedRequest::auth`]; a garbled one fails the
//!   request (`IncompleteSignature`); an absent one is `None` (the server decides).
//!
//! # Errors
//! [`Codec::encode_error`] finds the code among the model's error shapes (by shape name or Query
//! code; SQS codes/statuses per `protocol-fixtures/models/sqs-query-errors.json`), else in
//! [`errors::COMMON_ERRORS`], else renders it as given with status 400.
//!
//! ```
//! use ferrybridge_protocol::{Codec, HttpRequest, ServiceName, WireProtocol};
//! let codec = Codec::shared();
//! let headers = http::HeaderMap::new();
//! let req = HttpRequest {
//!     method: "POST",
//!     path: "/",
//!     query: None,
//!     headers: &headers,
//!     body: b"Action=GetQueueUrl&Version=2012-11-05&QueueName=q1",
//! };
//! let decoded = codec.decode(&req).unwrap();
//! assert_eq!(decoded.service, ServiceName::Sqs);
//! assert_eq!(decoded.operation, "GetQueueUrl");
//! assert_eq!(decoded.input, serde_json::json!({"QueueName": "q1"}));
//! let out = serde_json::json!({"QueueUrl": "http://localhost:4566/000000000000/q1"});
//! let resp = codec.encode_output(ServiceName::Sqs, WireProtocol::AwsQuery, "GetQueueUrl", &out, "rid");
//! assert!(resp.body_str().contains("<GetQueueUrlResult><QueueUrl>http://localhost:4566/000000000000/q1</QueueUrl></GetQueueUrlResult>"));
//! ```

#![deny(missing_docs)]

mod codec;
mod constraints;
pub mod context;
pub mod error;
pub mod errors;
mod json;
mod model;
mod query;
pub mod sigv4;
pub mod timestamp;
pub mod value;
mod xml;

#[cfg(test)]
mod sigv4_suite_tests;
#[cfg(test)]
mod tests;

pub use codec::{
    Codec, DecodeError, DecodedRequest, EncodedResponse, HttpRequest, ServiceName, WireProtocol,
    X_AMZN_QUERY_ERROR, X_AMZN_REQUEST_ID,
};
pub use constraints::validate_input;
pub use context::RequestContext;
pub use error::ServiceError;
