//! What SNS's delivery workers share, and the dead-letter hand-off every kind of delivery ends
//! in: the bottom of the delivery modules ([`crate::delivery`] queues and runs jobs,
//! [`crate::http`] runs HTTP/S deliveries; both take a [`Shared`] and neither imports the
//! other's callers).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ferrybridge_engine::sns::{Notification, SnsEngine, Subscription};
use ferrybridge_engine::sqs::{MessageAttributeValue, NewMessage, Queue, SqsEngine};
use ferrybridge_http::{HttpClient, Throttle};

use crate::envelope;
use crate::signing::Signer;

/// The `SenderId` SQS reports for messages SNS delivered.
pub const SNS_SENDER_ID: &str = "AIDAIT2UOQQY3AUEKVGXU";

/// Bytes of HTTP/S deliveries in flight (being sent, or waiting to be retried) at once, across
/// all subscriptions: each costs its payload plus [`OUTBOUND_OVERHEAD`]. A slow or failing
/// endpoint holds its deliveries' share until they end; when the budget is spent the workers
/// wait, their queues fill up and publishing is slowed, then shed — memory stays bounded.
pub const OUTBOUND_BUDGET_BYTES: usize = 64 * 1024 * 1024;

/// What an HTTP/S delivery costs in the outbound budget on top of its payload (its task,
/// headers, retry state): at most 16,384 small deliveries are in flight at once.
pub const OUTBOUND_OVERHEAD: usize = 4096;

/// What the delivery workers share (and the HTTP/S deliveries they spawn).
pub(crate) struct Shared {
    pub(crate) sns: Arc<SnsEngine>,
    pub(crate) sqs: Arc<SqsEngine>,
    pub(crate) signer: Arc<Signer>,
    pub(crate) http: HttpClient,
    /// Per-subscription throttles (`maxReceivesPerSecond`).
    throttles: Mutex<HashMap<String, Arc<Throttle>>>,
    /// Queue policies: enforced or warned about.
    pub(crate) gate: Arc<crate::policy_gate::PolicyGate>,
    /// The outbound budget ([`OUTBOUND_BUDGET_BYTES`]), in bytes.
    pub(crate) outbound: Arc<tokio::sync::Semaphore>,
    /// Set once when the server serves TLS: `SigningCertURL`s are then `https://`.
    pub(crate) https_cert: Arc<std::sync::OnceLock<envelope::HttpsCert>>,
}

impl Shared {
    pub(crate) fn new(
        sns: Arc<SnsEngine>,
        sqs: Arc<SqsEngine>,
        signer: Arc<Signer>,
        gate: Arc<crate::policy_gate::PolicyGate>,
    ) -> Self {
        Shared {
            sns,
            sqs,
            signer,
            http: HttpClient::new(),
            throttles: Mutex::new(HashMap::new()),
            gate,
            https_cert: Arc::default(),
            outbound: Arc::new(tokio::sync::Semaphore::new(OUTBOUND_BUDGET_BYTES)),
        }
    }

    /// The `SigningCertURL` of messages whose links are based on `base`.
    pub(crate) fn cert_url(&self, base: &str) -> String {
        envelope::signing_cert_url(base, self.https_cert.get().copied())
    }

    /// The throttle of a subscription (one per subscription ARN, kept while the server runs).
    pub(crate) fn throttle(&self, subscription_arn: &str) -> Arc<Throttle> {
        let mut all = self.throttles.lock().unwrap_or_else(|e| e.into_inner());
        all.entry(subscription_arn.to_owned())
            .or_insert_with(|| Arc::new(Throttle::new()))
            .clone()
    }
}

/// The account and region of a topic ARN.
pub(crate) fn topic_location(topic_arn: &str) -> (String, String) {
    ferrybridge_engine::sns::arn::parse(topic_arn)
        .map(|a| (a.account.to_owned(), a.region.to_owned()))
        .unwrap_or_default()
}

/// Sends an undeliverable message to the subscription's dead-letter queue, with AWS's
/// `RequestID`, `ErrorCode` and `ErrorMessage` attributes. Returns whether it got there.
/// Whether `queue`'s policy lets SNS send `sub`'s messages into it (refused only with
/// `--enforce-policies`; otherwise a warning, once per `key`: see [`crate::policy_gate`]).
pub(crate) fn admits_into_queue(
    shared: &Shared,
    sub: &Subscription,
    queue: &Queue,
    key: &[&str],
) -> bool {
    let (topic_account, _) = topic_location(&sub.topic_arn);
    let policy = queue.access_policy();
    let delivery = crate::policy_gate::Delivery {
        service: "sns.amazonaws.com",
        action: "sqs:SendMessage",
        resource: queue.arn(),
        owner: &queue.key().account_id,
        source_arn: &sub.topic_arn,
        source_account: &topic_account,
        key,
    };
    shared.gate.admit(policy.as_deref(), &delivery).is_ok()
}

pub(crate) fn dead_letter(
    shared: &Shared,
    sub: &Subscription,
    n: &Notification,
    body: String,
    mut attributes: Vec<(String, MessageAttributeValue)>,
    error_code: &str,
    error_message: &str,
) -> bool {
    if sub.is_deleted() {
        // Reset or unsubscribed meanwhile.
        return false;
    }
    let Some(dlq_arn) = sub.dead_letter_target_arn() else {
        tracing::debug!(
            subscription = %sub.arn,
            message_id = %n.message_id,
            error_code,
            error_message,
            "SNS delivery failed and the subscription has no dead-letter queue: message dropped"
        );
        return false;
    };
    let Some(queue) = shared.sqs.queue_by_arn(&dlq_arn) else {
        tracing::debug!(
            subscription = %sub.arn,
            message_id = %n.message_id,
            dead_letter_queue = %dlq_arn,
            "SNS delivery failed and the dead-letter queue does not exist: message dropped"
        );
        return false;
    };
    // The DLQ's policy must let SNS send too (SNS Developer Guide, "Configuring an Amazon SNS
    // dead-letter queue for a subscription"); otherwise the message is lost.
    if !admits_into_queue(shared, sub, &queue, &[&sub.arn, "#dlq"]) {
        tracing::debug!(subscription = %sub.arn, dead_letter_queue = %dlq_arn, "the dead-letter queue's policy refuses SNS: message dropped");
        return false;
    }
    attributes.retain(|(k, _)| k != "RequestID" && k != "ErrorCode" && k != "ErrorMessage");
    attributes.push((
        "RequestID".into(),
        MessageAttributeValue::string("String", uuid::Uuid::new_v4().to_string()),
    ));
    attributes.push((
        "ErrorCode".into(),
        MessageAttributeValue::string("String", error_code),
    ));
    attributes.push((
        "ErrorMessage".into(),
        MessageAttributeValue::string("String", error_message),
    ));
    let fifo = queue.is_fifo();
    queue
        .send(NewMessage {
            body,
            attributes,
            sender_id: SNS_SENDER_ID.to_owned(),
            message_group_id: if fifo {
                Some(
                    n.message_group_id
                        .clone()
                        .unwrap_or_else(|| "sns-dlq".into()),
                )
            } else {
                None
            },
            message_deduplication_id: if fifo {
                Some(
                    n.message_deduplication_id
                        .clone()
                        .unwrap_or_else(|| n.message_id.clone()),
                )
            } else {
                None
            },
            ..NewMessage::default()
        })
        .is_ok()
}
