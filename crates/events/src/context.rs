//! What the delivery workers, the scheduler, the replayer and API destination calls share: the
//! bottom of the delivery modules. Everything that runs an invocation takes a [`Context`];
//! nothing here calls back up into them.
//!
//! Imports between the delivery modules go one way (checked by `scripts/module-cycles`):
//! `workers` (the top, which spawns everything) -> `api_call` -> `delivery` (one attempt,
//! retries, dead letters) -> `context`; `workers` -> `scheduler`, `replayer` -> `context`;
//! `context` -> `dispatch` (the queues) and `oauth` -> `http_request`; `failure` is a leaf.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ferrybridge_engine::events::{EventsEngine, Invocation};
use ferrybridge_engine::sqs::SqsEngine;
use ferrybridge_http::{HttpClient, Throttle};
use ferrybridge_sns::Sns;

use crate::dispatch::Dispatcher;
use crate::oauth::Authorizer;

/// What the workers need.
pub(crate) struct Context {
    pub engine: Arc<EventsEngine>,
    pub sqs: Arc<SqsEngine>,
    pub sns: Sns,
    /// The emulator's URL (links in SNS envelopes).
    pub base: Arc<str>,
    /// Invocations that cause invocations (event bus targets, schedules, replays) queue them
    /// here.
    pub dispatcher: Dispatcher,
    /// API destination calls: the HTTP client, throttles, OAuth tokens.
    pub api: ApiCalls,
}

impl Context {
    /// Whether the invocation's bus was reset after the event was taken in (at reset
    /// `generation`): the invocation is then dropped, not delivered or dead-lettered.
    pub(crate) fn stale(&self, generation: u64, inv: &Invocation) -> bool {
        self.engine
            .reset_since(generation, &inv.account_id, &inv.region)
    }
}

/// The HTTP side of API destinations: the client, each destination's throttle, OAuth tokens.
#[derive(Debug)]
pub struct ApiCalls {
    pub(crate) client: HttpClient,
    pub(crate) authorizer: Arc<Authorizer>,
    throttles: Mutex<HashMap<String, Arc<Throttle>>>,
}

impl ApiCalls {
    pub fn new(client: HttpClient, authorizer: Arc<Authorizer>) -> Self {
        ApiCalls {
            client,
            authorizer,
            throttles: Mutex::new(HashMap::new()),
        }
    }

    /// The throttle of an API destination (one per ARN, kept while the server runs).
    pub(crate) fn throttle(&self, destination_arn: &str) -> Arc<Throttle> {
        self.throttles
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(destination_arn.to_owned())
            .or_default()
            .clone()
    }
}
