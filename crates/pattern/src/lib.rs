//! Event-pattern and filter-policy matching for ferrybridge.
//!
//! One engine serves EventBridge event patterns ([`EventPattern`]) and SNS
//! subscription filter policies ([`FilterPolicy`]); AWS runs the same
//! open-source matcher (event-ruler) behind both, and the AWS documentation
//! for both services is the specification here.
//!
//! * [`EventPattern::parse`] validates a pattern and reports errors with the
//!   text of `InvalidEventPatternException`.
//! * [`FilterPolicy::parse`] does the same for SNS, with its
//!   `InvalidParameter` texts and limits.
//! * [`Matcher`] holds many compiled patterns and returns every matching rule
//!   id in one pass over the event; adding or removing a rule does not
//!   rebuild the others, and the cost of matching follows the event rather
//!   than the number of rules.
//!
//! ```
//! use ferrybridge_pattern::EventPattern;
//!
//! let pattern = EventPattern::parse(r#"{"detail": {"state": [{"anything-but": "running"}]}}"#).unwrap();
//! assert!(pattern.matches_json(r#"{"detail": {"state": "stopped"}}"#).unwrap());
//! ```

#![deny(missing_docs)]

pub mod ast;
mod error;
mod event;
mod eventbridge;
mod hash;
mod index;
mod ip;
mod jackson;
mod matcher;
pub mod number;
mod parse;
mod paths;
pub mod reference;
mod sns;
mod wildcard;

pub use error::{EventError, PatternError, PolicyError, Reason};
pub use event::attributes_to_event;
pub use eventbridge::EventPattern;
pub use matcher::{Matcher, Pattern};
pub use parse::MAX_ALTERNATIVES;
pub use sns::{
    FilterPolicy, FilterPolicyScope, MAX_POLICY_BYTES, MAX_POLICY_COMBINATIONS, MAX_POLICY_KEYS,
};
