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

pub mod context;
pub mod error;

pub use context::RequestContext;
pub use error::ServiceError;
