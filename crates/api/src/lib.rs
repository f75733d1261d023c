//! The typed operation boundary between the wire and the services.
//!
//! For each service, a module generated from its AWS model (`protocol-fixtures/models/`) by
//! `crates/codegen` holds one struct per structure shape its operations use (inputs, outputs and
//! what they contain, field per member, required members not optional), a trait with one method
//! per operation (`EventsApi::put_rule`), and `dispatch`, which converts the protocol layer's
//! decoded input into the operation's input type, calls the method and turns the typed output
//! back into the `Value` the codec encodes. An output member the model lacks cannot be written,
//! and a misspelled one does not compile.
//!
//! The generated modules are checked in (read them like any code) and verified by the codegen
//! crate's `generated_code_is_current` test. Conversion rules are in [`value`].
//!
//! This crate knows no engine, no HTTP and no wire format: it depends only on the protocol
//! crate's `ServiceError` and value conventions.

pub mod value;

pub mod events;
pub mod sns;
pub mod sqs;
pub mod sts;

pub use value::{Blob, ConversionError, Entries, FromValue, IntoValue, Timestamp};

/// Operations without output answer `()`, which the codec renders as no output.
impl IntoValue for () {
    fn into_value(self) -> serde_json::Value {
        serde_json::Value::Null
    }
}
