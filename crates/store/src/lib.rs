//! Durable storage for `--data-dir`. See docs/persistence.md.

pub mod log;
