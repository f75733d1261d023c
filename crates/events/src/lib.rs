//! Amazon EventBridge: one function per operation, plus the deliveries and schedules that
//! events cause.
//!
//! [`Events::handle`] takes an operation name and its decoded input (a JSON value keyed by the
//! EventBridge model's member names), checks it against the model's constraints, converts it to
//! the operation's typed input from [`ferrybridge_api::events`] and runs the [`EventsApi`]
//! method, which calls the engine and answers with the typed output or a [`ServiceError`] named
//! by an EventBridge model error shape.
//!
//! `PutEvents` never waits for deliveries: the engine matches events to rules, and the
//! [`Dispatcher`] hands the resulting invocations to [`DeliveryWorkers`], background tasks the
//! server spawns (they also run the scheduler of scheduled rules).
//!
//! Targets on API destinations make real HTTP calls ([`api_call`]), each in a task of its own,
//! authorized by their connection (Basic, API key, or an OAuth token from [`oauth`]).

mod access;
pub mod api_call;
mod api_destinations;
mod archives;
mod buses;
mod connections;
mod context;
pub mod delivery;
mod dispatch;
mod failure;
mod http_request;
mod input;
pub mod oauth;
mod put_events;
mod replayer;
mod replays;
mod rules;
mod scheduler;
mod targets;
mod workers;

use std::sync::Arc;

use ferrybridge_api::events::{self, EventsApi};
use ferrybridge_api::ConversionError;
use ferrybridge_engine::events::EventsEngine;
use ferrybridge_engine::sqs::SqsEngine;
use ferrybridge_protocol::{RequestContext, ServiceError, ServiceName};
use ferrybridge_sns::Sns;
use serde_json::Value;

pub use dispatch::Dispatcher;
pub use workers::DeliveryWorkers;

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
    /// Whether bus policies are enforced on requests (`--no-cross-account-checks`).
    access_checks: bool,
    /// Whether Create/UpdateConnection start fetching an OAuth token in the background (off
    /// where nothing may call out: a state document checked on scratch engines, an offline
    /// import into a data directory; such a connection stays `AUTHORIZING` until a call
    /// through it fetches the token).
    background_authorization: bool,
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
        let api = context::ApiCalls::new(client, authorizer.clone());
        let (dispatcher, workers) = workers::channel(engine.clone(), sqs, sns, base, api);
        (
            Events {
                engine,
                dispatcher,
                deterministic: true,
                authorizer,
                access_checks: true,
                background_authorization: true,
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
            let (first, done) = ferrybridge_delivery::FirstAttempt::new();
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

    /// With `on` (the default), rules and targets on another account's bus need a grant in
    /// its policy (see [`access`]); off, any caller may manage any bus's rules. `PutEvents`
    /// into another account's bus always follows the bus policy, as before.
    pub fn with_access_checks(mut self, on: bool) -> Self {
        self.access_checks = on;
        self
    }

    /// With `on` (the default), `CreateConnection` and `UpdateConnection` of an OAuth
    /// connection start authorizing it in the background, as on AWS; off, no token is fetched
    /// until an API destination call needs one.
    pub fn with_background_authorization(mut self, on: bool) -> Self {
        self.background_authorization = on;
        self
    }

    /// Invocations shed so far because a delivery queue was full (see
    /// [`delivery::JOB_QUEUE_CAPACITY`]).
    pub fn shed_invocations(&self) -> u64 {
        self.dispatcher.shed_count()
    }

    pub fn engine(&self) -> &Arc<EventsEngine> {
        &self.engine
    }

    /// Runs one EventBridge operation: the model's constraints first (`ValidationException`
    /// with AWS's texts: required members, lengths, ranges, patterns, enums), then the typed
    /// operation ([`EventsApi`]).
    pub fn handle(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: Value,
    ) -> Result<Value, ServiceError> {
        if let Err(message) =
            ferrybridge_protocol::validate_input(ServiceName::Events, operation, &input)
        {
            return Err(ServiceError::new("ValidationException", message));
        }
        if self.access_checks {
            access::check(&self.engine, ctx, operation, &input)?;
        }
        events::dispatch(self, ctx, operation, &input)
            .unwrap_or_else(|| Err(unknown_operation(operation)))
    }
}

fn unknown_operation(operation: &str) -> ServiceError {
    ServiceError::new(
        "UnknownOperationException",
        format!("The operation {operation} is not supported by ferrybridge yet."),
    )
}

/// One method per EventBridge operation, each in the module of its resource.
impl EventsApi for Events {
    type Context = RequestContext;

    fn unsupported(&self, operation: &'static str) -> ServiceError {
        unknown_operation(operation)
    }

    /// Reached only for what the model's constraints let through (they report a missing
    /// member first); answered in their words.
    fn conversion_error(&self, _operation: &'static str, error: ConversionError) -> ServiceError {
        let member = ferrybridge_protocol::value::validation_name(error.member());
        match error {
            ConversionError::Missing { .. } => input::validation(format!(
                "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
            )),
            ConversionError::Invalid { .. } => ServiceError::new("SerializationException", ""),
        }
    }

    fn create_event_bus(
        &self,
        ctx: &RequestContext,
        input: events::CreateEventBusRequest,
    ) -> Result<events::CreateEventBusResponse, ServiceError> {
        buses::create_event_bus(&self.engine, ctx, input)
    }

    fn describe_event_bus(
        &self,
        ctx: &RequestContext,
        input: events::DescribeEventBusRequest,
    ) -> Result<events::DescribeEventBusResponse, ServiceError> {
        buses::describe_event_bus(&self.engine, ctx, input)
    }

    fn update_event_bus(
        &self,
        ctx: &RequestContext,
        input: events::UpdateEventBusRequest,
    ) -> Result<events::UpdateEventBusResponse, ServiceError> {
        buses::update_event_bus(&self.engine, ctx, input)
    }

    fn delete_event_bus(
        &self,
        ctx: &RequestContext,
        input: events::DeleteEventBusRequest,
    ) -> Result<(), ServiceError> {
        buses::delete_event_bus(&self.engine, ctx, input)
    }

    fn list_event_buses(
        &self,
        ctx: &RequestContext,
        input: events::ListEventBusesRequest,
    ) -> Result<events::ListEventBusesResponse, ServiceError> {
        buses::list_event_buses(&self.engine, ctx, input)
    }

    fn put_permission(
        &self,
        ctx: &RequestContext,
        input: events::PutPermissionRequest,
    ) -> Result<(), ServiceError> {
        buses::put_permission(&self.engine, ctx, input)
    }

    fn remove_permission(
        &self,
        ctx: &RequestContext,
        input: events::RemovePermissionRequest,
    ) -> Result<(), ServiceError> {
        buses::remove_permission(&self.engine, ctx, input)
    }

    fn tag_resource(
        &self,
        _ctx: &RequestContext,
        input: events::TagResourceRequest,
    ) -> Result<events::TagResourceResponse, ServiceError> {
        buses::tag_resource(&self.engine, input)
    }

    fn untag_resource(
        &self,
        _ctx: &RequestContext,
        input: events::UntagResourceRequest,
    ) -> Result<events::UntagResourceResponse, ServiceError> {
        buses::untag_resource(&self.engine, input)
    }

    fn list_tags_for_resource(
        &self,
        _ctx: &RequestContext,
        input: events::ListTagsForResourceRequest,
    ) -> Result<events::ListTagsForResourceResponse, ServiceError> {
        buses::list_tags_for_resource(&self.engine, input)
    }

    fn put_rule(
        &self,
        ctx: &RequestContext,
        input: events::PutRuleRequest,
    ) -> Result<events::PutRuleResponse, ServiceError> {
        rules::put_rule(&self.engine, ctx, input)
    }

    fn describe_rule(
        &self,
        ctx: &RequestContext,
        input: events::DescribeRuleRequest,
    ) -> Result<events::DescribeRuleResponse, ServiceError> {
        rules::describe_rule(&self.engine, ctx, input)
    }

    fn list_rules(
        &self,
        ctx: &RequestContext,
        input: events::ListRulesRequest,
    ) -> Result<events::ListRulesResponse, ServiceError> {
        rules::list_rules(&self.engine, ctx, input)
    }

    fn enable_rule(
        &self,
        ctx: &RequestContext,
        input: events::EnableRuleRequest,
    ) -> Result<(), ServiceError> {
        rules::enable_rule(&self.engine, ctx, input)
    }

    fn disable_rule(
        &self,
        ctx: &RequestContext,
        input: events::DisableRuleRequest,
    ) -> Result<(), ServiceError> {
        rules::disable_rule(&self.engine, ctx, input)
    }

    fn delete_rule(
        &self,
        ctx: &RequestContext,
        input: events::DeleteRuleRequest,
    ) -> Result<(), ServiceError> {
        rules::delete_rule(&self.engine, ctx, input)
    }

    fn list_rule_names_by_target(
        &self,
        ctx: &RequestContext,
        input: events::ListRuleNamesByTargetRequest,
    ) -> Result<events::ListRuleNamesByTargetResponse, ServiceError> {
        rules::list_rule_names_by_target(&self.engine, ctx, input)
    }

    fn test_event_pattern(
        &self,
        _ctx: &RequestContext,
        input: events::TestEventPatternRequest,
    ) -> Result<events::TestEventPatternResponse, ServiceError> {
        rules::test_event_pattern(input)
    }

    fn put_targets(
        &self,
        ctx: &RequestContext,
        input: events::PutTargetsRequest,
    ) -> Result<events::PutTargetsResponse, ServiceError> {
        targets::put_targets(&self.engine, ctx, input)
    }

    fn remove_targets(
        &self,
        ctx: &RequestContext,
        input: events::RemoveTargetsRequest,
    ) -> Result<events::RemoveTargetsResponse, ServiceError> {
        targets::remove_targets(&self.engine, ctx, input)
    }

    fn list_targets_by_rule(
        &self,
        ctx: &RequestContext,
        input: events::ListTargetsByRuleRequest,
    ) -> Result<events::ListTargetsByRuleResponse, ServiceError> {
        targets::list_targets_by_rule(&self.engine, ctx, input)
    }

    fn put_events(
        &self,
        ctx: &RequestContext,
        input: events::PutEventsRequest,
    ) -> Result<events::PutEventsResponse, ServiceError> {
        put_events::put_events(&self.engine, &self.dispatcher, ctx, input)
    }

    fn create_connection(
        &self,
        ctx: &RequestContext,
        input: events::CreateConnectionRequest,
    ) -> Result<events::CreateConnectionResponse, ServiceError> {
        connections::create_connection(
            &self.engine,
            self.background_authorization.then_some(&self.authorizer),
            ctx,
            input,
        )
    }

    fn describe_connection(
        &self,
        ctx: &RequestContext,
        input: events::DescribeConnectionRequest,
    ) -> Result<events::DescribeConnectionResponse, ServiceError> {
        connections::describe_connection(&self.engine, ctx, input)
    }

    fn update_connection(
        &self,
        ctx: &RequestContext,
        input: events::UpdateConnectionRequest,
    ) -> Result<events::UpdateConnectionResponse, ServiceError> {
        connections::update_connection(
            &self.engine,
            self.background_authorization.then_some(&self.authorizer),
            ctx,
            input,
        )
    }

    fn delete_connection(
        &self,
        ctx: &RequestContext,
        input: events::DeleteConnectionRequest,
    ) -> Result<events::DeleteConnectionResponse, ServiceError> {
        connections::delete_connection(&self.engine, ctx, input)
    }

    fn list_connections(
        &self,
        ctx: &RequestContext,
        input: events::ListConnectionsRequest,
    ) -> Result<events::ListConnectionsResponse, ServiceError> {
        connections::list_connections(&self.engine, ctx, input)
    }

    fn deauthorize_connection(
        &self,
        ctx: &RequestContext,
        input: events::DeauthorizeConnectionRequest,
    ) -> Result<events::DeauthorizeConnectionResponse, ServiceError> {
        connections::deauthorize_connection(&self.engine, ctx, input)
    }

    fn create_api_destination(
        &self,
        ctx: &RequestContext,
        input: events::CreateApiDestinationRequest,
    ) -> Result<events::CreateApiDestinationResponse, ServiceError> {
        api_destinations::create_api_destination(&self.engine, ctx, input)
    }

    fn describe_api_destination(
        &self,
        ctx: &RequestContext,
        input: events::DescribeApiDestinationRequest,
    ) -> Result<events::DescribeApiDestinationResponse, ServiceError> {
        api_destinations::describe_api_destination(&self.engine, ctx, input)
    }

    fn update_api_destination(
        &self,
        ctx: &RequestContext,
        input: events::UpdateApiDestinationRequest,
    ) -> Result<events::UpdateApiDestinationResponse, ServiceError> {
        api_destinations::update_api_destination(&self.engine, ctx, input)
    }

    fn delete_api_destination(
        &self,
        ctx: &RequestContext,
        input: events::DeleteApiDestinationRequest,
    ) -> Result<events::DeleteApiDestinationResponse, ServiceError> {
        api_destinations::delete_api_destination(&self.engine, ctx, input)
    }

    fn list_api_destinations(
        &self,
        ctx: &RequestContext,
        input: events::ListApiDestinationsRequest,
    ) -> Result<events::ListApiDestinationsResponse, ServiceError> {
        api_destinations::list_api_destinations(&self.engine, ctx, input)
    }

    fn create_archive(
        &self,
        ctx: &RequestContext,
        input: events::CreateArchiveRequest,
    ) -> Result<events::CreateArchiveResponse, ServiceError> {
        archives::create_archive(&self.engine, ctx, input)
    }

    fn describe_archive(
        &self,
        ctx: &RequestContext,
        input: events::DescribeArchiveRequest,
    ) -> Result<events::DescribeArchiveResponse, ServiceError> {
        archives::describe_archive(&self.engine, ctx, input)
    }

    fn update_archive(
        &self,
        ctx: &RequestContext,
        input: events::UpdateArchiveRequest,
    ) -> Result<events::UpdateArchiveResponse, ServiceError> {
        archives::update_archive(&self.engine, ctx, input)
    }

    fn delete_archive(
        &self,
        ctx: &RequestContext,
        input: events::DeleteArchiveRequest,
    ) -> Result<events::DeleteArchiveResponse, ServiceError> {
        archives::delete_archive(&self.engine, ctx, input)
    }

    fn list_archives(
        &self,
        ctx: &RequestContext,
        input: events::ListArchivesRequest,
    ) -> Result<events::ListArchivesResponse, ServiceError> {
        archives::list_archives(&self.engine, ctx, input)
    }

    fn start_replay(
        &self,
        ctx: &RequestContext,
        input: events::StartReplayRequest,
    ) -> Result<events::StartReplayResponse, ServiceError> {
        replays::start_replay(&self.engine, ctx, input)
    }

    fn describe_replay(
        &self,
        ctx: &RequestContext,
        input: events::DescribeReplayRequest,
    ) -> Result<events::DescribeReplayResponse, ServiceError> {
        replays::describe_replay(&self.engine, ctx, input)
    }

    fn list_replays(
        &self,
        ctx: &RequestContext,
        input: events::ListReplaysRequest,
    ) -> Result<events::ListReplaysResponse, ServiceError> {
        replays::list_replays(&self.engine, ctx, input)
    }

    fn cancel_replay(
        &self,
        ctx: &RequestContext,
        input: events::CancelReplayRequest,
    ) -> Result<events::CancelReplayResponse, ServiceError> {
        replays::cancel_replay(&self.engine, ctx, input)
    }
}
