//! The delivery machinery SNS and EventBridge share.
//!
//! Both services answer a request (`Publish`, `PutEvents`) before the deliveries it causes are
//! done, and both deliver the same way:
//!
//! * [`Pool`]: jobs go into a fixed number of bounded queues (shards), each drained in order by
//!   one worker task ([`Workers`]). Jobs with the same key ([`Route::Key`]: a FIFO topic, a FIFO
//!   queue target) always go to the same shard, so they leave in order; the rest spread over
//!   every shard ([`Route::Any`]). A job that finds its queue full is *shed*: counted, logged,
//!   and handed to the service's shed callback, which dead-letters it. A request path first
//!   waits a little for room ([`Pool::wait_for_room`], at most [`ROOM_WAIT`]), so a burst slows
//!   callers down before anything is shed.
//! * Reset scoping: every job carries the reset generation of the call that queued it
//!   ([`Scoped`]), so work queued before a reset never reaches anything made after it.
//! * [`FirstAttempt`]: a call may wait until the first attempt of each of its deliveries was
//!   made (the emulator's deterministic mode); jobs hold the token, the call waits for the last
//!   one to be dropped.
//! * [`retry`]: failed deliveries are retried on the emulator's [`Clock`] (so a test's manual
//!   clock drives them) per a [`retry::Schedule`] (EventBridge's exponential back-off, SNS's
//!   delivery-policy phases), and what gives up is handed back to the service (its
//!   dead-letter queue) through a callback.
//! * [`Slots`]: side tasks (slow HTTP calls, retries waiting) spawned at most `n` at once.
//!
//! It knows nothing of SNS or EventBridge: the job type, where a job goes, what shedding and
//! giving up do are the services' business.
//!
//! [`Clock`]: ferrybridge_engine::clock::Clock

pub mod first;
pub mod pool;
pub mod retry;

pub use first::{FirstAttempt, FirstAttemptDone};
pub use pool::{wait_for_room_in, Pool, Route, Scoped, Slots, Workers, ROOM_WAIT};
