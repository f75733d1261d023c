//! Durable storage for `--data-dir`. See docs/persistence.md.

pub mod journal;
pub mod log;

pub use journal::{Durable, Fsync, OpenStats};
pub use log::StoreError;
