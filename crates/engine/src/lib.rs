//! The domain of ferrybridge: AWS behaviour with no HTTP and no wire formats.
//!
//! * [`clock`]: where time comes from. Everything time-dependent (visibility timeouts, delays,
//!   retention, purge windows, long polling) reads a [`clock::Clock`], so tests drive time with
//!   a [`clock::ManualClock`].
//! * [`sqs`]: Amazon SQS queues and messages.
//! * [`sns`]: Amazon SNS topics, subscriptions and deliveries.
//! * [`sts`]: who a request's credentials are, and the temporary credentials STS issues.
//! * [`arn`]: splitting an ARN into its parts.
//! * [`policy`]: resource policies and the one evaluator that decides who may act on what.
//! * [`shutdown`]: the signal that ends long polls when the server stops.
//! * [`reset`]: resetting state, and the generation background work checks against resets.

pub mod arn;
pub mod clock;
pub mod events;
pub mod page;
pub mod persist;
pub mod policy;
pub mod reset;
pub mod scope;
pub mod shutdown;
pub mod sns;
pub mod sqs;
pub mod sts;
