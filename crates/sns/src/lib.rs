//! Amazon SNS: one function per operation, plus the deliveries that publishing causes.
//!
//! [`Sns::handle`] takes an operation name and its decoded input (a JSON value keyed by the SNS
//! model's member names), converts it to the operation's typed input and runs the [`SnsApi`]
//! method, which validates it with AWS's messages, calls the engine, and answers with the typed
//! output or a [`ServiceError`] named by an SNS model error shape.
//!
//! Publishing never waits for deliveries: the engine picks the subscriptions a message goes to,
//! and the [`Deliverer`] hands them to [`DeliveryWorkers`], background tasks the server spawns.

mod access;
pub mod delivery;
pub mod envelope;
mod http;
pub mod http_delivery;
mod input;
mod mobile;
pub mod policy_gate;
mod publish;
mod shared;
pub mod signing;
mod subscriptions;
mod topics;

use std::sync::Arc;

use ferrybridge_api::sns::{self, SnsApi};
use ferrybridge_api::ConversionError;
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
        let shared = Arc::new(shared::Shared::new(
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
            return self.handle(ctx, operation, input, authenticated).await;
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
        let out = scoped.handle(ctx, operation, input, authenticated).await;
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

    /// Runs one SNS operation: converts the decoded input to the operation's typed input from
    /// [`ferrybridge_api::sns`] and runs the [`SnsApi`] method. `authenticated`: whether the
    /// request was signed (confirming a subscription by its SubscribeURL is not).
    pub async fn handle(
        &self,
        ctx: &RequestContext,
        operation: &str,
        mut input: Value,
        authenticated: bool,
    ) -> Result<Value, ServiceError> {
        if self.access_checks {
            access::check(&self.engine, ctx, operation, &input)?;
        }
        input::fill_valueless_entries(operation, &mut input);
        let call = Call {
            sns: self,
            authenticated,
        };
        sns::dispatch(&call, ctx, operation, &input)
            .await
            .unwrap_or_else(|| Err(invalid_action(operation)))
    }
}

fn invalid_action(operation: &str) -> ServiceError {
    ServiceError::new(
        "InvalidAction",
        format!("The action {operation} is not valid for this endpoint."),
    )
}

/// One SNS request: the service, and whether the request was signed.
struct Call<'a> {
    sns: &'a Sns,
    authenticated: bool,
}

/// One method per SNS operation, each in the module of its resource.
impl SnsApi for Call<'_> {
    type Context = RequestContext;

    fn unsupported(&self, operation: &'static str) -> ServiceError {
        invalid_action(operation)
    }

    fn conversion_error(&self, _operation: &'static str, error: ConversionError) -> ServiceError {
        input::conversion_error(error)
    }

    async fn add_permission(
        &self,
        ctx: &RequestContext,
        input: sns::AddPermissionInput,
    ) -> Result<(), ServiceError> {
        topics::add_permission(&self.sns.engine, ctx, input)
    }

    async fn check_if_phone_number_is_opted_out(
        &self,
        ctx: &RequestContext,
        input: sns::CheckIfPhoneNumberIsOptedOutInput,
    ) -> Result<sns::CheckIfPhoneNumberIsOptedOutResponse, ServiceError> {
        mobile::check_if_phone_number_is_opted_out(&self.sns.engine, ctx, input)
    }

    async fn confirm_subscription(
        &self,
        ctx: &RequestContext,
        input: sns::ConfirmSubscriptionInput,
    ) -> Result<sns::ConfirmSubscriptionResponse, ServiceError> {
        subscriptions::confirm_subscription(&self.sns.engine, ctx, input, self.authenticated)
    }

    async fn create_platform_application(
        &self,
        ctx: &RequestContext,
        input: sns::CreatePlatformApplicationInput,
    ) -> Result<sns::CreatePlatformApplicationResponse, ServiceError> {
        mobile::create_platform_application(&self.sns.engine, ctx, input)
    }

    async fn create_platform_endpoint(
        &self,
        ctx: &RequestContext,
        input: sns::CreatePlatformEndpointInput,
    ) -> Result<sns::CreateEndpointResponse, ServiceError> {
        mobile::create_platform_endpoint(&self.sns.engine, ctx, input)
    }

    async fn create_sms_sandbox_phone_number(
        &self,
        ctx: &RequestContext,
        input: sns::CreateSMSSandboxPhoneNumberInput,
    ) -> Result<sns::CreateSMSSandboxPhoneNumberResult, ServiceError> {
        mobile::create_sms_sandbox_phone_number(&self.sns.engine, ctx, input)
    }

    async fn create_topic(
        &self,
        ctx: &RequestContext,
        input: sns::CreateTopicInput,
    ) -> Result<sns::CreateTopicResponse, ServiceError> {
        topics::create_topic(&self.sns.engine, ctx, input)
    }

    async fn delete_endpoint(
        &self,
        ctx: &RequestContext,
        input: sns::DeleteEndpointInput,
    ) -> Result<(), ServiceError> {
        mobile::delete_endpoint(&self.sns.engine, ctx, input)
    }

    async fn delete_platform_application(
        &self,
        ctx: &RequestContext,
        input: sns::DeletePlatformApplicationInput,
    ) -> Result<(), ServiceError> {
        mobile::delete_platform_application(&self.sns.engine, ctx, input)
    }

    async fn delete_sms_sandbox_phone_number(
        &self,
        ctx: &RequestContext,
        input: sns::DeleteSMSSandboxPhoneNumberInput,
    ) -> Result<sns::DeleteSMSSandboxPhoneNumberResult, ServiceError> {
        mobile::delete_sms_sandbox_phone_number(&self.sns.engine, ctx, input)
    }

    async fn delete_topic(
        &self,
        ctx: &RequestContext,
        input: sns::DeleteTopicInput,
    ) -> Result<(), ServiceError> {
        topics::delete_topic(&self.sns.engine, ctx, input)
    }

    async fn get_data_protection_policy(
        &self,
        ctx: &RequestContext,
        input: sns::GetDataProtectionPolicyInput,
    ) -> Result<sns::GetDataProtectionPolicyResponse, ServiceError> {
        topics::get_data_protection_policy(&self.sns.engine, ctx, input)
    }

    async fn get_endpoint_attributes(
        &self,
        ctx: &RequestContext,
        input: sns::GetEndpointAttributesInput,
    ) -> Result<sns::GetEndpointAttributesResponse, ServiceError> {
        mobile::get_endpoint_attributes(&self.sns.engine, ctx, input)
    }

    async fn get_sms_attributes(
        &self,
        ctx: &RequestContext,
        input: sns::GetSMSAttributesInput,
    ) -> Result<sns::GetSMSAttributesResponse, ServiceError> {
        mobile::get_sms_attributes(&self.sns.engine, ctx, input)
    }

    async fn get_sms_sandbox_account_status(
        &self,
        ctx: &RequestContext,
        input: sns::GetSMSSandboxAccountStatusInput,
    ) -> Result<sns::GetSMSSandboxAccountStatusResult, ServiceError> {
        mobile::get_sms_sandbox_account_status(&self.sns.engine, ctx, input)
    }

    async fn get_subscription_attributes(
        &self,
        ctx: &RequestContext,
        input: sns::GetSubscriptionAttributesInput,
    ) -> Result<sns::GetSubscriptionAttributesResponse, ServiceError> {
        subscriptions::get_subscription_attributes(&self.sns.engine, ctx, input)
    }

    async fn get_topic_attributes(
        &self,
        ctx: &RequestContext,
        input: sns::GetTopicAttributesInput,
    ) -> Result<sns::GetTopicAttributesResponse, ServiceError> {
        topics::get_topic_attributes(&self.sns.engine, ctx, input)
    }

    async fn list_origination_numbers(
        &self,
        ctx: &RequestContext,
        input: sns::ListOriginationNumbersRequest,
    ) -> Result<sns::ListOriginationNumbersResult, ServiceError> {
        mobile::list_origination_numbers(&self.sns.engine, ctx, input)
    }

    async fn list_phone_numbers_opted_out(
        &self,
        ctx: &RequestContext,
        input: sns::ListPhoneNumbersOptedOutInput,
    ) -> Result<sns::ListPhoneNumbersOptedOutResponse, ServiceError> {
        mobile::list_phone_numbers_opted_out(&self.sns.engine, ctx, input)
    }

    async fn list_platform_applications(
        &self,
        ctx: &RequestContext,
        input: sns::ListPlatformApplicationsInput,
    ) -> Result<sns::ListPlatformApplicationsResponse, ServiceError> {
        mobile::list_platform_applications(&self.sns.engine, ctx, input)
    }

    async fn list_sms_sandbox_phone_numbers(
        &self,
        ctx: &RequestContext,
        input: sns::ListSMSSandboxPhoneNumbersInput,
    ) -> Result<sns::ListSMSSandboxPhoneNumbersResult, ServiceError> {
        mobile::list_sms_sandbox_phone_numbers(&self.sns.engine, ctx, input)
    }

    async fn list_subscriptions(
        &self,
        ctx: &RequestContext,
        input: sns::ListSubscriptionsInput,
    ) -> Result<sns::ListSubscriptionsResponse, ServiceError> {
        subscriptions::list_subscriptions(&self.sns.engine, ctx, input)
    }

    async fn list_subscriptions_by_topic(
        &self,
        ctx: &RequestContext,
        input: sns::ListSubscriptionsByTopicInput,
    ) -> Result<sns::ListSubscriptionsByTopicResponse, ServiceError> {
        subscriptions::list_subscriptions_by_topic(&self.sns.engine, ctx, input)
    }

    async fn list_tags_for_resource(
        &self,
        ctx: &RequestContext,
        input: sns::ListTagsForResourceRequest,
    ) -> Result<sns::ListTagsForResourceResponse, ServiceError> {
        topics::list_tags_for_resource(&self.sns.engine, ctx, input)
    }

    async fn list_topics(
        &self,
        ctx: &RequestContext,
        input: sns::ListTopicsInput,
    ) -> Result<sns::ListTopicsResponse, ServiceError> {
        topics::list_topics(&self.sns.engine, ctx, input)
    }

    async fn opt_in_phone_number(
        &self,
        ctx: &RequestContext,
        input: sns::OptInPhoneNumberInput,
    ) -> Result<sns::OptInPhoneNumberResponse, ServiceError> {
        mobile::opt_in_phone_number(&self.sns.engine, ctx, input)
    }

    async fn publish(
        &self,
        ctx: &RequestContext,
        input: sns::PublishInput,
    ) -> Result<sns::PublishResponse, ServiceError> {
        publish::publish(&self.sns.engine, &self.sns.deliverer, ctx, input)
    }

    async fn publish_batch(
        &self,
        ctx: &RequestContext,
        input: sns::PublishBatchInput,
    ) -> Result<sns::PublishBatchResponse, ServiceError> {
        publish::publish_batch(&self.sns.engine, &self.sns.deliverer, ctx, input)
    }

    async fn put_data_protection_policy(
        &self,
        ctx: &RequestContext,
        input: sns::PutDataProtectionPolicyInput,
    ) -> Result<(), ServiceError> {
        topics::put_data_protection_policy(&self.sns.engine, ctx, input)
    }

    async fn remove_permission(
        &self,
        ctx: &RequestContext,
        input: sns::RemovePermissionInput,
    ) -> Result<(), ServiceError> {
        topics::remove_permission(&self.sns.engine, ctx, input)
    }

    async fn set_endpoint_attributes(
        &self,
        ctx: &RequestContext,
        input: sns::SetEndpointAttributesInput,
    ) -> Result<(), ServiceError> {
        mobile::set_endpoint_attributes(&self.sns.engine, ctx, input)
    }

    async fn set_platform_application_attributes(
        &self,
        ctx: &RequestContext,
        input: sns::SetPlatformApplicationAttributesInput,
    ) -> Result<(), ServiceError> {
        mobile::set_platform_application_attributes(&self.sns.engine, ctx, input)
    }

    async fn set_sms_attributes(
        &self,
        ctx: &RequestContext,
        input: sns::SetSMSAttributesInput,
    ) -> Result<sns::SetSMSAttributesResponse, ServiceError> {
        mobile::set_sms_attributes(&self.sns.engine, ctx, input)
    }

    async fn set_subscription_attributes(
        &self,
        ctx: &RequestContext,
        input: sns::SetSubscriptionAttributesInput,
    ) -> Result<(), ServiceError> {
        subscriptions::set_subscription_attributes(&self.sns.engine, ctx, input)
    }

    async fn set_topic_attributes(
        &self,
        ctx: &RequestContext,
        input: sns::SetTopicAttributesInput,
    ) -> Result<(), ServiceError> {
        topics::set_topic_attributes(&self.sns.engine, ctx, input)
    }

    async fn subscribe(
        &self,
        ctx: &RequestContext,
        input: sns::SubscribeInput,
    ) -> Result<sns::SubscribeResponse, ServiceError> {
        subscriptions::subscribe(&self.sns.engine, &self.sns.deliverer, ctx, input)
    }

    async fn tag_resource(
        &self,
        ctx: &RequestContext,
        input: sns::TagResourceRequest,
    ) -> Result<sns::TagResourceResponse, ServiceError> {
        topics::tag_resource(&self.sns.engine, ctx, input)
    }

    async fn unsubscribe(
        &self,
        ctx: &RequestContext,
        input: sns::UnsubscribeInput,
    ) -> Result<(), ServiceError> {
        subscriptions::unsubscribe(&self.sns.engine, &self.sns.deliverer, ctx, input)
    }

    async fn untag_resource(
        &self,
        ctx: &RequestContext,
        input: sns::UntagResourceRequest,
    ) -> Result<sns::UntagResourceResponse, ServiceError> {
        topics::untag_resource(&self.sns.engine, ctx, input)
    }

    async fn verify_sms_sandbox_phone_number(
        &self,
        ctx: &RequestContext,
        input: sns::VerifySMSSandboxPhoneNumberInput,
    ) -> Result<sns::VerifySMSSandboxPhoneNumberResult, ServiceError> {
        mobile::verify_sms_sandbox_phone_number(&self.sns.engine, ctx, input)
    }

    async fn get_platform_application_attributes(
        &self,
        ctx: &RequestContext,
        input: sns::GetPlatformApplicationAttributesInput,
    ) -> Result<sns::GetPlatformApplicationAttributesResponse, ServiceError> {
        mobile::get_platform_application_attributes(&self.sns.engine, ctx, input)
    }

    async fn list_endpoints_by_platform_application(
        &self,
        ctx: &RequestContext,
        input: sns::ListEndpointsByPlatformApplicationInput,
    ) -> Result<sns::ListEndpointsByPlatformApplicationResponse, ServiceError> {
        mobile::list_endpoints_by_platform_application(&self.sns.engine, ctx, input)
    }
}
