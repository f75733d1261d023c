//! Amazon EventBridge: one function per operation, plus the deliveries and schedules that
//! events cause.
//!
//! [`Events::handle`] takes an operation name and its decoded input (a JSON value keyed by the
//! EventBridge model's member names), calls the engine, and answers with the output shape or a
//! [`ServiceError`] named by an EventBridge model error shape.
//!
//! `PutEvents` never waits for deliveries: the engine matches events to rules, and the
//! [`Dispatcher`] hands the resulting invocations to [`DeliveryWorkers`], background tasks the
//! server spawns (they also run the scheduler of scheduled rules).
//!
//! Targets on API destinations make real HTTP calls ([`api_call`]), each in a task of its own,
//! authorized by their connection (Basic, API key, or an OAuth token from [`oauth`]).

pub mod api_call;
mod api_destinations;
mod archives;
mod buses;
mod connections;
pub mod delivery;
mod input;
pub mod oauth;
mod put_events;
mod replayer;
mod replays;
mod rules;
mod scheduler;
mod targets;

use std::sync::Arc;

use ferrybridge_engine::events::EventsEngine;
use ferrybridge_engine::sqs::SqsEngine;
use ferrybridge_protocol::{RequestContext, ServiceError, ServiceName};
use ferrybridge_sns::Sns;
use serde_json::Value;

pub use delivery::{DeliveryWorkers, Dispatcher};

/// The EventBridge service: stateless, all state is in the engine.
#[derive(Debug, Clone)]
pub struct Events {
    engine: Arc<EventsEngine>,
    dispatcher: Dispatcher,
    /// Whether PutEvents answers only after the first attempt of its invocations of this
    /// emulator's queues, topics and buses (the default; `false`: fully asynchronous).
    deterministic: bool,
    /// OAuth tokens of connections (shared with the API destination calls).
    authorizer: Arc<oauth::Authorizer>,
}

impl Events {
    /// The service and its workers (to be spawned on the server's runtime). Targets that are
    /// queues go into `sqs`'s queues, topics into `sns`'s topics; `base` is the emulator's URL.
    pub fn new(
        engine: Arc<EventsEngine>,
        sqs: Arc<SqsEngine>,
        sns: Sns,
        base: Arc<str>,
    ) -> (Events, DeliveryWorkers) {
        // One outbound HTTP client: OAuth token requests and API destination calls.
        let client = ferrybridge_http::HttpClient::new();
        let authorizer = Arc::new(oauth::Authorizer::new(engine.clone(), client.clone()));
        let api = api_call::ApiCalls::new(client, authorizer.clone());
        let (dispatcher, workers) = delivery::channel(engine.clone(), sqs, sns, base, api);
        (
            Events {
                engine,
                dispatcher,
                deterministic: true,
                authorizer,
            },
            workers,
        )
    }

    /// With `on`, deliveries are all asynchronous: PutEvents answers before any is attempted.
    pub fn with_async_delivery(mut self, on: bool) -> Self {
        self.deterministic = !on;
        self
    }

    /// Runs one EventBridge operation; `PutEvents` answers after the first attempt of its
    /// invocations of SQS queues, SNS topics (and their queue subscriptions) and event buses
    /// of this emulator (unless asynchronous delivery is on). Retries, API destinations and
    /// recorded targets stay asynchronous. A reset that comes meanwhile discards them.
    pub async fn call(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: Value,
    ) -> Result<Value, ServiceError> {
        if operation != "PutEvents" {
            return self.handle(ctx, operation, input);
        }
        // Back-pressure: a flood of events waits briefly while the delivery queues are full.
        self.dispatcher.wait_for_room().await;
        let generation = self.dispatcher.generation();
        let (first, done) = if self.deterministic {
            let (first, done) = ferrybridge_sns::FirstAttempt::new();
            (Some(first), Some(done))
        } else {
            (None, None)
        };
        let scoped = Events {
            dispatcher: self.dispatcher.scoped(generation, first),
            ..self.clone()
        };
        let out = scoped.handle(ctx, operation, input);
        drop(scoped);
        if let Some(done) = done {
            done.wait().await;
        }
        out
    }

    /// Invocations shed so far because a delivery queue was full (see
    /// [`delivery::JOB_QUEUE_CAPACITY`]).
    pub fn shed_invocations(&self) -> u64 {
        self.dispatcher.shed_count()
    }

    pub fn engine(&self) -> &Arc<EventsEngine> {
        &self.engine
    }

    /// Runs one EventBridge operation.
    pub fn handle(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: Value,
    ) -> Result<Value, ServiceError> {
        // Every request is checked against the model first (required members, lengths,
        // ranges, patterns, enums), with AWS's ValidationException texts.
        if let Err(message) =
            ferrybridge_protocol::validate_input(ServiceName::Events, operation, &input)
        {
            return Err(ServiceError::new("ValidationException", message));
        }
        let e = &*self.engine;
        let i = &input;
        match operation {
            "CreateEventBus" => buses::create_event_bus(e, ctx, i),
            "DescribeEventBus" => buses::describe_event_bus(e, ctx, i),
            "UpdateEventBus" => buses::update_event_bus(e, ctx, i),
            "DeleteEventBus" => buses::delete_event_bus(e, ctx, i),
            "ListEventBuses" => buses::list_event_buses(e, ctx, i),
            "PutPermission" => buses::put_permission(e, ctx, i),
            "RemovePermission" => buses::remove_permission(e, ctx, i),
            "TagResource" => buses::tag_resource(e, ctx, i),
            "UntagResource" => buses::untag_resource(e, ctx, i),
            "ListTagsForResource" => buses::list_tags_for_resource(e, ctx, i),
            "PutRule" => rules::put_rule(e, ctx, i),
            "DescribeRule" => rules::describe_rule(e, ctx, i),
            "ListRules" => rules::list_rules(e, ctx, i),
            "EnableRule" => rules::enable_rule(e, ctx, i),
            "DisableRule" => rules::disable_rule(e, ctx, i),
            "DeleteRule" => rules::delete_rule(e, ctx, i),
            "ListRuleNamesByTarget" => rules::list_rule_names_by_target(e, ctx, i),
            "TestEventPattern" => rules::test_event_pattern(e, ctx, i),
            "PutTargets" => targets::put_targets(e, ctx, i),
            "RemoveTargets" => targets::remove_targets(e, ctx, i),
            "ListTargetsByRule" => targets::list_targets_by_rule(e, ctx, i),
            "PutEvents" => put_events::put_events(e, &self.dispatcher, ctx, i),
            "CreateConnection" => connections::create_connection(e, &self.authorizer, ctx, i),
            "DescribeConnection" => connections::describe_connection(e, ctx, i),
            "UpdateConnection" => connections::update_connection(e, &self.authorizer, ctx, i),
            "DeleteConnection" => connections::delete_connection(e, ctx, i),
            "ListConnections" => connections::list_connections(e, ctx, i),
            "DeauthorizeConnection" => connections::deauthorize_connection(e, ctx, i),
            "CreateApiDestination" => api_destinations::create_api_destination(e, ctx, i),
            "DescribeApiDestination" => api_destinations::describe_api_destination(e, ctx, i),
            "UpdateApiDestination" => api_destinations::update_api_destination(e, ctx, i),
            "DeleteApiDestination" => api_destinations::delete_api_destination(e, ctx, i),
            "ListApiDestinations" => api_destinations::list_api_destinations(e, ctx, i),
            "CreateArchive" => archives::create_archive(e, ctx, i),
            "DescribeArchive" => archives::describe_archive(e, ctx, i),
            "UpdateArchive" => archives::update_archive(e, ctx, i),
            "DeleteArchive" => archives::delete_archive(e, ctx, i),
            "ListArchives" => archives::list_archives(e, ctx, i),
            "StartReplay" => replays::start_replay(e, ctx, i),
            "DescribeReplay" => replays::describe_replay(e, ctx, i),
            "ListReplays" => replays::list_replays(e, ctx, i),
            "CancelReplay" => replays::cancel_replay(e, ctx, i),
            other => Err(ServiceError::new(
                "UnknownOperationException",
                format!("The operation {other} is not supported by ferrybridge yet."),
            )),
        }
    }
}

/// `{}`: the output of operations without output members.
pub(crate) fn empty() -> Value {
    Value::Object(serde_json::Map::new())
}

/// `out` with `NextToken` if there is a next page.
pub(crate) fn with_next(mut out: Value, next: Option<String>) -> Value {
    if let Some(n) = next {
        out["NextToken"] = Value::String(n);
    }
    out
}
