//! The ferrybridge server: the process around the services.
//!
//! It owns the listener, turns each HTTP request into a decoded AWS operation with the
//! protocol codec, hands it to the service crate it belongs to, and renders the answer in
//! the protocol the client spoke. It also serves the admin API under `/_ferrybridge/`.
//! Business rules live in the engine and the service crates, never here.

mod admin;
mod admin_common;
mod admin_page;
mod app;
mod auth;
mod browser_guard;
pub mod config;
mod dispatch;
mod edges;
mod emulator;
mod events_admin;
pub mod health_check;
mod http_server;
mod idle;
pub mod init_hooks;
mod persistence;
mod sns_admin;
mod startup;
pub mod state;
mod state_doc;
mod state_doc_integrations;
mod state_doc_rehome;
pub mod tls;

pub use config::Config;
pub use emulator::{Emulator, EmulatorBuilder, EmulatorHandle};
pub use ferrybridge_engine::clock::{Clock, ManualClock, SystemClock};
/// What `--data-dir` appends records to and waits on; implemented by tests that wrap the real
/// one with [`EmulatorBuilder::wrap_journal`].
pub use ferrybridge_engine::persist::Journal;
pub use ferrybridge_engine::reset::{ResetScope, Service as ResetService};
pub use http_server::{start, start_with_clock, RunningServer};
