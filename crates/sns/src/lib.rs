//! Amazon SNS: one function per operation, plus the deliveries that publishing causes.
//!
//! [`Sns::handle`] takes an operation name and its decoded input (a JSON value keyed by the SNS
//! model's member names), validates it with AWS's messages, calls the engine, and answers with
//! the output shape or a [`ServiceError`] named by an SNS model error shape.
//!
//! Publishing never waits for deliveries: the engine picks the subscriptions a message goes to,
//! and the [`Deliverer`] hands them to [`DeliveryWorkers`], background tasks the server spawns.

mod access;
pub mod delivery;
pub mod delivery_policy;
pub mod envelope;
mod http;
pub mod http_delivery;
mod input;
mod mobile;
mod policies;
pub mod policy_gate;
mod publish;
pub mod signing;
mod subscriptions;
mod topics;

use std::sync::Arc;

use ferrybridge_engine::sns::SnsEngine;
use ferrybridge_engine::sqs::SqsEngine;
use ferrybridge_protocol::{RequestContext, ServiceError};
use serde_json::Value;

pub use delivery::{Deliverer, DeliveryWorkers, FirstAttempt, FirstAttemptDone, Origin};
pub use signing::Signer;

/// The SNS service: stateless, all state is in the engine.
#[derive(Debug, Clone)]
pub struct Sns {
    engine: Arc<SnsEngine>,
    deliverer: Deliverer,
    signer: Arc<Signer>,
    /// Shared with the delivery workers: set when the server serves TLS.
    https_cert: Arc<std::sync::OnceLock<envelope::HttpsCert>>,
    /// Whether Publish answers only after the first attempt of its deliveries into this
    /// emulator's queues (the default; `false` restores fully asynchronous deliveries).
    deterministic: bool,
    /// Whether topic policies are enforced on requests (`--no-cross-account-checks`).
    access_checks: bool,
    /// Deliveries into queues obey their policies (`--enforce-policies`) or warn.
    gate: Arc<policy_gate::PolicyGate>,
}

impl Sns {
    /// The service and its delivery workers (to be spawned on the server's runtime).
    /// Deliveries to SQS go into `sqs`'s queues.
    pub fn new(
        engine: Arc<SnsEngine>,
        sqs: Arc<SqsEngine>,
        signer: Arc<Signer>,
    ) -> (Sns, DeliveryWorkers) {
        let gate = Arc::new(policy_gate::PolicyGate::new(false));
        let shared = Arc::new(delivery::Shared::new(
            engine.clone(),
            sqs,
            signer.clone(),
            gate.clone(),
        ));
        let https_cert = shared.https_cert.clone();
        let (deliverer, workers) = delivery::channel(shared);
        (
            Sns {
                engine,
                deliverer,
                signer,
                https_cert,
                deterministic: true,
                access_checks: true,
                gate,
            },
            workers,
        )
    }

    /// With `on`, deliveries are all asynchronous: Publish answers before any is attempted.
    pub fn with_async_delivery(mut self, on: bool) -> Self {
        self.deterministic = !on;
        self
    }

    /// With `on` (the default), a caller of another account needs a grant in the topic's
    /// policy and an explicit `Deny` stops anyone (see [`access`]).
    pub fn with_access_checks(mut self, on: bool) -> Self {
        self.access_checks = on;
        self
    }

    /// With `on`, deliveries into SQS queues need the queue policy to allow
    /// `sns.amazonaws.com` (see [`policy_gate`]); off (the default) they only warn.
    pub fn with_enforced_policies(self, on: bool) -> Self {
        self.gate.set_enforce(on);
        self
    }

    /// The delivery gate (shared with the delivery workers).
    pub fn policy_gate(&self) -> &Arc<policy_gate::PolicyGate> {
        &self.gate
    }

    /// The server serves TLS (on the same port, or on the TLS-only `https_port`): signed
    /// messages from now on name an `https://` `SigningCertURL`, which AWS's validators require.
    pub fn serve_signing_cert_over_https(&self, https_port: Option<u16>) {
        let _ = self
            .https_cert
            .set(envelope::HttpsCert { port: https_port });
    }

    /// Delivery jobs shed so far because a delivery queue was full (see
    /// [`delivery::JOB_QUEUE_CAPACITY`]).
    pub fn shed_deliveries(&self) -> u64 {
        self.deliverer.shed_count()
    }

    pub fn is_deterministic(&self) -> bool {
        self.deterministic
    }

    /// Runs one SNS operation; `Publish` and `PublishBatch` answer after the first attempt
    /// of their deliveries into this emulator's own queues (unless asynchronous delivery is
    /// on). A reset that comes while they run discards their deliveries.
    pub async fn call(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: Value,
        authenticated: bool,
    ) -> Result<Value, ServiceError> {
        if !matches!(operation, "Publish" | "PublishBatch") {
            return self.handle(ctx, operation, input, authenticated);
        }
        // Back-pressure: a flood of publishes waits briefly while the delivery queues are full.
        self.deliverer.wait_for_room().await;
        let generation = self.engine.resets().generation();
        let (first, done) = if self.deterministic {
            let (first, done) = FirstAttempt::new();
            (Some(first), Some(done))
        } else {
            (None, None)
        };
        let scoped = Sns {
            deliverer: self.deliverer.scoped(generation, first),
            ..self.clone()
        };
        let out = scoped.handle(ctx, operation, input, authenticated);
        drop(scoped);
        if let Some(done) = done {
            done.wait().await;
        }
        out
    }

    pub fn engine(&self) -> &Arc<SnsEngine> {
        &self.engine
    }

    pub fn signer(&self) -> &Arc<Signer> {
        &self.signer
    }

    /// Publishes `message` to the topic `topic_arn` for another AWS service (an EventBridge
    /// target), as a plain message without attributes; deliveries go to the workers. `base`
    /// is the emulator's URL, for the links in envelopes. Returns the message id.
    pub fn publish_for_service(
        &self,
        topic_arn: &str,
        message: String,
        message_group_id: Option<String>,
        message_deduplication_id: Option<String>,
        base: Arc<str>,
        origin: Origin,
    ) -> Result<String, ferrybridge_engine::sns::SnsError> {
        let Origin { generation, first } = origin;
        let region = ferrybridge_engine::arn::parse(topic_arn)
            .map(|a| a.region.to_owned())
            .unwrap_or_default();
        let topic = self.engine.topic(&region, topic_arn)?;
        if self.engine.reset_since(generation, topic_arn) {
            // A topic made after a reset that came after the event: nothing is published.
            return Ok(String::new());
        }
        let input = ferrybridge_engine::sns::PublishInput {
            message,
            subject: None,
            structure_json: false,
            attributes: Vec::new(),
            message_group_id,
            message_deduplication_id,
            trace_header: None,
        };
        let d = &self.deliverer.scoped(generation, first);
        let published = self.engine.publish(&topic, input, |deliveries| {
            d.dispatch(deliveries, base.clone())
        })?;
        Ok(published.message_id)
    }

    /// Runs one SNS operation. `authenticated`: whether the request was signed (confirming a
    /// subscription by its SubscribeURL is not).
    pub fn handle(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: Value,
        authenticated: bool,
    ) -> Result<Value, ServiceError> {
        let e = &self.engine;
        let d = &self.deliverer;
        let i = &input;
        if self.access_checks {
            access::check(e, ctx, operation, i)?;
        }
        match operation {
            "CreateTopic" => topics::create_topic(e, ctx, i),
            "DeleteTopic" => topics::delete_topic(e, ctx, i),
            "ListTopics" => topics::list_topics(e, ctx, i),
            "GetTopicAttributes" => topics::get_topic_attributes(e, ctx, i),
            "SetTopicAttributes" => topics::set_topic_attributes(e, ctx, i),
            "AddPermission" => topics::add_permission(e, ctx, i),
            "RemovePermission" => topics::remove_permission(e, ctx, i),
            "TagResource" => topics::tag_resource(e, ctx, i),
            "UntagResource" => topics::untag_resource(e, ctx, i),
            "ListTagsForResource" => topics::list_tags_for_resource(e, ctx, i),
            "GetDataProtectionPolicy" => topics::get_data_protection_policy(e, ctx, i),
            "PutDataProtectionPolicy" => topics::put_data_protection_policy(e, ctx, i),
            "Subscribe" => subscriptions::subscribe(e, d, ctx, i),
            "ConfirmSubscription" => subscriptions::confirm_subscription(e, ctx, i, authenticated),
            "Unsubscribe" => subscriptions::unsubscribe(e, d, ctx, i),
            "ListSubscriptions" => subscriptions::list_subscriptions(e, ctx, i),
            "ListSubscriptionsByTopic" => subscriptions::list_subscriptions_by_topic(e, ctx, i),
            "GetSubscriptionAttributes" => subscriptions::get_subscription_attributes(e, ctx, i),
            "SetSubscriptionAttributes" => subscriptions::set_subscription_attributes(e, ctx, i),
            "Publish" => publish::publish(e, d, ctx, i),
            "PublishBatch" => publish::publish_batch(e, d, ctx, i),
            "CreatePlatformApplication" => mobile::create_platform_application(e, ctx, i),
            "GetPlatformApplicationAttributes" => {
                mobile::get_platform_application_attributes(e, ctx, i)
            }
            "SetPlatformApplicationAttributes" => {
                mobile::set_platform_application_attributes(e, ctx, i)
            }
            "DeletePlatformApplication" => mobile::delete_platform_application(e, ctx, i),
            "ListPlatformApplications" => mobile::list_platform_applications(e, ctx, i),
            "CreatePlatformEndpoint" => mobile::create_platform_endpoint(e, ctx, i),
            "GetEndpointAttributes" => mobile::get_endpoint_attributes(e, ctx, i),
            "SetEndpointAttributes" => mobile::set_endpoint_attributes(e, ctx, i),
            "DeleteEndpoint" => mobile::delete_endpoint(e, ctx, i),
            "ListEndpointsByPlatformApplication" => {
                mobile::list_endpoints_by_platform_application(e, ctx, i)
            }
            "SetSMSAttributes" => mobile::set_sms_attributes(e, ctx, i),
            "GetSMSAttributes" => mobile::get_sms_attributes(e, ctx, i),
            "CheckIfPhoneNumberIsOptedOut" => mobile::check_if_phone_number_is_opted_out(e, ctx, i),
            "ListPhoneNumbersOptedOut" => mobile::list_phone_numbers_opted_out(e, ctx, i),
            "OptInPhoneNumber" => mobile::opt_in_phone_number(e, ctx, i),
            "GetSMSSandboxAccountStatus" => mobile::get_sms_sandbox_account_status(e, ctx, i),
            "CreateSMSSandboxPhoneNumber" => mobile::create_sms_sandbox_phone_number(e, ctx, i),
            "VerifySMSSandboxPhoneNumber" => mobile::verify_sms_sandbox_phone_number(e, ctx, i),
            "DeleteSMSSandboxPhoneNumber" => mobile::delete_sms_sandbox_phone_number(e, ctx, i),
            "ListSMSSandboxPhoneNumbers" => mobile::list_sms_sandbox_phone_numbers(e, ctx, i),
            "ListOriginationNumbers" => mobile::list_origination_numbers(e, ctx, i),
            other => Err(ServiceError::new(
                "InvalidAction",
                format!("The action {other} is not valid for this endpoint."),
            )),
        }
    }
}

/// `{}`: the output of operations without output members.
pub(crate) fn empty() -> Value {
    Value::Object(serde_json::Map::new())
}

/// `out` with the pagination token `next` under `key` (`NextToken`, `nextToken`), if any.
pub(crate) fn with_next(mut out: Value, key: &str, next: Option<String>) -> Value {
    if let Some(n) = next {
        out[key] = Value::String(n);
    }
    out
}
