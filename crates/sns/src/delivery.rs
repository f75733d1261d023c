//! Delivering published messages, on background tasks the server runs.
//!
//! `Publish` hands a message's [`Delivery`]s to the [`Deliverer`] and returns: it never waits
//! for a delivery. The [`DeliveryWorkers`] (tokio tasks, one per shard of a
//! [`ferrybridge_delivery::Pool`]; a FIFO topic always maps to the same shard, so its messages
//! leave in order) sign envelopes, put messages into SQS queues, hand HTTP/S deliveries to
//! [`crate::http`] (retried per the delivery policy), and record what goes to endpoints the
//! emulator cannot reach (SMS, email, Lambda, Firehose, mobile push) with
//! [`SnsEngine::record`]. A message that cannot be delivered goes to the subscription's
//! dead-letter queue ([`crate::shared::dead_letter`]).
//!
//! The pool, its shedding, reset scoping and first-attempt tokens are the shared machinery of
//! `ferrybridge-delivery`; what a job is and where it goes is SNS's.

use std::collections::HashMap;
use std::sync::Arc;

use ferrybridge_delivery::{Pool, Route, Scoped, Slots, Workers};
use ferrybridge_engine::sns::{Delivery, Notification, Protocol, Recorded, Subscription, Topic};
use ferrybridge_engine::sqs::{MessageAttributeValue, NewMessage};

use crate::envelope::{self, SignatureFields};
use crate::shared::{admits_into_queue, dead_letter, topic_location, Shared};
use crate::signing::{MessageType, SignedFields};

pub use crate::shared::{OUTBOUND_BUDGET_BYTES, OUTBOUND_OVERHEAD, SNS_SENDER_ID};
pub use ferrybridge_delivery::pool::WorkerTask;
pub use ferrybridge_delivery::{FirstAttempt, FirstAttemptDone, ROOM_WAIT};

/// Most message attributes a raw delivery into SQS may carry.
const MAX_RAW_SQS_ATTRIBUTES: usize = 10;

/// Number of delivery shards (worker tasks).
const SHARDS: usize = 2;

/// Jobs (published messages, confirmation requests) each shard's queue holds. Bounded so a
/// flood of publishes cannot grow memory without end: when a queue is full, `Publish` first
/// waits briefly for room (see [`Deliverer::wait_for_room`]), and a job that still finds it
/// full is shed ([`shed`]: counted, logged, dead-lettered where the subscription has a DLQ).
pub const JOB_QUEUE_CAPACITY: usize = 1024;

/// Signed jobs (whose RSA signatures take milliseconds) a shard runs side by side; more wait
/// in the queue.
pub const CONCURRENT_SIGNED_JOBS: usize = 64;

/// Where a publish for another service (an EventBridge target) comes from: the reset
/// generation its event was taken in at, and the first-attempt token of the call waiting.
#[derive(Debug, Clone)]
pub struct Origin {
    pub generation: u64,
    pub first: Option<FirstAttempt>,
}

/// One job of the delivery pool (its reset generation and first-attempt token travel with it
/// in [`Scoped`]).
pub(crate) enum Job {
    /// The deliveries of one published message.
    Deliver {
        deliveries: Vec<Delivery>,
        base: Arc<str>,
    },
    /// Ask a new http/https/email subscription to confirm.
    Confirm {
        subscription: Arc<Subscription>,
        base: Arc<str>,
    },
    /// Tell an unsubscribed HTTP/S endpoint how to restore its subscription.
    Unsubscribed {
        subscription: Arc<Subscription>,
        token: String,
        base: Arc<str>,
    },
}

/// Hands deliveries to the background workers. Cheap to clone.
#[derive(Clone)]
pub struct Deliverer {
    pool: Pool<Job>,
}

impl std::fmt::Debug for Deliverer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deliverer").finish_non_exhaustive()
    }
}

impl Deliverer {
    /// Jobs shed so far because a delivery queue was full.
    pub fn shed_count(&self) -> u64 {
        self.pool.shed_count()
    }

    /// Back-pressure for the request path: waits (at most [`ROOM_WAIT`]) while a delivery
    /// queue is full.
    pub async fn wait_for_room(&self) {
        self.pool.wait_for_room().await;
    }

    /// A deliverer for one call that started at reset `generation`: its jobs carry `first`.
    pub fn scoped(&self, generation: u64, first: Option<FirstAttempt>) -> Deliverer {
        Deliverer {
            pool: self.pool.scoped(generation, first),
        }
    }

    /// Queues the deliveries of one message.
    pub fn dispatch(&self, deliveries: Vec<Delivery>, base: Arc<str>) {
        let Some(first) = deliveries.first() else {
            return;
        };
        let fifo_topic = first
            .notification
            .sequence_number
            .is_some()
            .then(|| first.notification.topic_arn.clone());
        let route = match &fifo_topic {
            // A FIFO topic's messages all go through one worker, in order.
            Some(topic) => Route::Key(topic),
            // A standard topic's messages spread over every worker (and core).
            None => Route::Any,
        };
        self.pool.submit(route, Job::Deliver { deliveries, base });
    }

    /// Queues the `UnsubscribeConfirmation` of a deleted HTTP/S subscription.
    pub(crate) fn confirm_unsubscribe(
        &self,
        sub: Arc<Subscription>,
        token: String,
        base: Arc<str>,
    ) {
        let topic = sub.topic_arn.clone();
        self.pool.submit(
            Route::Key(&topic),
            Job::Unsubscribed {
                subscription: sub,
                token,
                base,
            },
        );
    }

    /// Queues the confirmation request of a new subscription.
    pub(crate) fn request_confirmation(
        &self,
        topic: &Topic,
        sub: &Arc<Subscription>,
        base: Arc<str>,
    ) {
        self.pool.submit(
            Route::Key(topic.arn()),
            Job::Confirm {
                subscription: sub.clone(),
                base,
            },
        );
    }
}

/// A job that found its queue full (the pool has counted and logged it): the deliveries of a
/// message fail as a delivery to an endpoint that refuses would (to the subscription's
/// dead-letter queue, if it has one, with the message itself as the body: signing here would
/// spend the CPU the backlog lacks).
fn shed(shared: &Shared, job: Scoped<Job>) {
    if let Job::Deliver { deliveries, .. } = job.job {
        for d in &deliveries {
            let n = &d.notification;
            dead_letter(
                shared,
                &d.subscription,
                n,
                n.message_for(d.subscription.protocol).to_owned(),
                Vec::new(),
                "Throttled",
                "The emulator's SNS delivery queue is full; the delivery was shed.",
            );
        }
    }
}

/// The background workers; the server spawns [`DeliveryWorkers::into_tasks`] on its runtime.
pub struct DeliveryWorkers {
    workers: Workers<Job>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for DeliveryWorkers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryWorkers").finish_non_exhaustive()
    }
}

pub(crate) fn channel(shared: Arc<Shared>) -> (Deliverer, DeliveryWorkers) {
    let (pool, workers) = Pool::new(
        "SNS",
        SHARDS,
        JOB_QUEUE_CAPACITY,
        shared.sns.resets().clone(),
    );
    let for_shed = shared.clone();
    pool.on_shed(move |job| shed(&for_shed, job));
    (Deliverer { pool }, DeliveryWorkers { workers, shared })
}

impl DeliveryWorkers {
    /// One future per shard; each runs until the [`Deliverer`] is dropped.
    pub fn into_tasks(self) -> Vec<WorkerTask> {
        let shared = self.shared;
        self.workers.into_tasks(|| {
            // At most CONCURRENT_SIGNED_JOBS signed jobs of this shard at once: the queue
            // holds the rest.
            let signing = Slots::new(CONCURRENT_SIGNED_JOBS);
            let shared = shared.clone();
            move |job| run(shared.clone(), signing.clone(), job)
        })
    }
}

/// Runs one job on its shard's worker. With `--data-dir` a first attempt's journal ticket goes
/// to the call's [`FirstAttempt`]: what it stored is durable before the call answers.
async fn run(shared: Arc<Shared>, signing: Slots, job: Scoped<Job>) {
    let Scoped {
        job,
        generation,
        first,
    } = job;
    match job {
        Job::Deliver { deliveries, base } => {
            // Signing takes milliseconds: a standard topic's signed deliveries run side by
            // side (their order is not guaranteed on AWS either). FIFO topics, never signed,
            // and raw deliveries stay in line, in order.
            let signed = deliveries.first().is_some_and(|d| {
                d.notification.sequence_number.is_none()
                    && deliveries.iter().any(|d| gets_envelope(&d.subscription))
            });
            if signed {
                signing
                    .spawn(async move {
                        FirstAttempt::run(
                            first.as_ref(),
                            deliver(shared, deliveries, base, generation),
                        )
                        .await;
                        drop(first);
                    })
                    .await;
            } else {
                FirstAttempt::run(
                    first.as_ref(),
                    deliver(shared, deliveries, base, generation),
                )
                .await;
                drop(first);
            }
        }
        Job::Confirm { subscription, base } => confirm(&shared, subscription, base).await,
        Job::Unsubscribed {
            subscription,
            token,
            base,
        } => confirm_unsubscribe(&shared, subscription, token, base).await,
    }
}

/// The fields of one message to sign, owned so they can move to a blocking thread.
struct SignRequest {
    kind: MessageType,
    message: String,
    message_id: String,
    subject: Option<String>,
    timestamp: String,
    topic_arn: String,
    token: Option<String>,
    subscribe_url: Option<String>,
}

/// Signs on a blocking thread (RSA takes milliseconds).
async fn sign_many(
    shared: &Arc<Shared>,
    requests: Vec<SignRequest>,
    version: String,
) -> Vec<String> {
    let signer = shared.signer.clone();
    let job = tokio::task::spawn_blocking(move || {
        requests
            .iter()
            .map(|r| {
                signer.sign(
                    &version,
                    &SignedFields {
                        kind: r.kind,
                        message: &r.message,
                        message_id: &r.message_id,
                        subject: r.subject.as_deref(),
                        subscribe_url: r.subscribe_url.as_deref(),
                        timestamp: &r.timestamp,
                        token: r.token.as_deref(),
                        topic_arn: &r.topic_arn,
                    },
                )
            })
            .collect::<Vec<String>>()
    });
    job.await.unwrap_or_default()
}

/// Whether a subscription receives the JSON envelope (and so needs a signature).
fn gets_envelope(sub: &Subscription) -> bool {
    match sub.protocol {
        Protocol::Sqs | Protocol::Http | Protocol::Https | Protocol::Firehose => {
            !sub.raw_message_delivery()
        }
        Protocol::EmailJson | Protocol::Lambda => true,
        Protocol::Email | Protocol::Sms | Protocol::Application => false,
    }
}

async fn deliver(shared: Arc<Shared>, deliveries: Vec<Delivery>, base: Arc<str>, generation: u64) {
    let shared = &shared;
    let Some(first) = deliveries.first() else {
        return;
    };
    let n = first.notification.clone();
    let ts = envelope::timestamp(n.timestamp_ms);
    // One signature per distinct message text (MessageStructure=json may differ by protocol).
    let mut signatures: HashMap<String, SignatureFields> = HashMap::new();
    if n.sequence_number.is_none() {
        let mut texts: Vec<String> = deliveries
            .iter()
            .filter(|d| gets_envelope(&d.subscription))
            .map(|d| n.message_for(d.subscription.protocol).to_owned())
            .collect();
        texts.sort();
        texts.dedup();
        if !texts.is_empty() {
            let requests = texts
                .iter()
                .map(|t| SignRequest {
                    kind: MessageType::Notification,
                    message: t.clone(),
                    message_id: n.message_id.clone(),
                    subject: n.subject.clone(),
                    timestamp: ts.clone(),
                    topic_arn: n.topic_arn.clone(),
                    token: None,
                    subscribe_url: None,
                })
                .collect();
            let sigs = sign_many(shared, requests, n.signature_version.clone()).await;
            let cert = shared.cert_url(&base);
            for (text, signature) in texts.into_iter().zip(sigs) {
                signatures.insert(
                    text,
                    SignatureFields {
                        version: n.signature_version.clone(),
                        signature,
                        cert_url: cert.clone(),
                    },
                );
            }
        }
    }
    for d in &deliveries {
        let sub = &d.subscription;
        if sub.is_deleted() || shared.sns.reset_since(generation, &sub.arn) {
            // Unsubscribed, or reset since the message was published: not delivered.
            continue;
        }
        let signature = signatures.get(n.message_for(sub.protocol));
        let body = || envelope::notification(&n, sub, &base, &ts, signature);
        match sub.protocol {
            Protocol::Sqs => deliver_sqs(shared, &n, sub, body, generation),
            Protocol::Http | Protocol::Https => {
                let payload = if sub.raw_message_delivery() {
                    n.message_for(sub.protocol).to_owned()
                } else {
                    body()
                };
                // Waits while the outbound budget is spent (slow endpoints): back-pressure.
                let cost = (payload.len() + OUTBOUND_OVERHEAD).min(OUTBOUND_BUDGET_BYTES) as u32;
                let Ok(permit) = shared.outbound.clone().acquire_many_owned(cost).await else {
                    continue;
                };
                crate::http::spawn_notification(
                    shared.clone(),
                    d.clone(),
                    payload,
                    generation,
                    permit,
                );
            }
            Protocol::Lambda => {
                let event = envelope::lambda_event(&n, sub, &base, &ts, signature);
                record(shared, &n, sub, event);
            }
            Protocol::Firehose => {
                let payload = if sub.raw_message_delivery() {
                    n.message_for(sub.protocol).to_owned()
                } else {
                    body()
                };
                record(shared, &n, sub, payload);
            }
            Protocol::EmailJson => record(shared, &n, sub, body()),
            Protocol::Email | Protocol::Sms => {
                record(shared, &n, sub, n.message_for(sub.protocol).to_owned())
            }
            Protocol::Application => {
                let text = application_message(&n, &sub.endpoint);
                record(shared, &n, sub, text)
            }
        }
    }
}

/// The message a platform endpoint gets: its platform's entry of a JSON message, else default.
fn application_message(n: &Notification, endpoint_arn: &str) -> String {
    let platform = endpoint_arn
        .split(":endpoint/")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or("");
    n.per_protocol
        .as_ref()
        .and_then(|m| m.get(platform))
        .cloned()
        .unwrap_or_else(|| n.message.clone())
}

fn record(shared: &Shared, n: &Notification, sub: &Subscription, message: String) {
    record_for(
        shared,
        sub,
        n.message_id.clone(),
        n.subject.clone(),
        message,
        n.attributes.clone(),
        n.timestamp_ms,
    );
}

/// Records what was sent to a subscription the emulator cannot deliver to.
fn record_for(
    shared: &Shared,
    sub: &Subscription,
    message_id: String,
    subject: Option<String>,
    message: String,
    attributes: Vec<(String, MessageAttributeValue)>,
    timestamp_ms: u64,
) {
    let (account_id, region) = topic_location(&sub.topic_arn);
    shared.sns.record(Recorded {
        account_id,
        region,
        protocol: sub.protocol.as_str().to_owned(),
        endpoint: sub.endpoint.clone(),
        topic_arn: Some(sub.topic_arn.clone()),
        subscription_arn: Some(sub.arn.clone()),
        message_id,
        subject,
        message,
        attributes,
        timestamp_ms,
    });
}

/// Puts the message into the subscribed queue: the envelope, or with raw delivery the message
/// with its attributes as SQS message attributes. A missing queue or a refused message goes to
/// the subscription's DLQ.
fn deliver_sqs(
    shared: &Shared,
    n: &Notification,
    sub: &Subscription,
    envelope: impl FnOnce() -> String,
    generation: u64,
) {
    let raw = sub.raw_message_delivery();
    let (body, attributes) = if raw {
        let attributes = if envelope::delivers_attributes(n) {
            n.attributes.clone()
        } else {
            Vec::new()
        };
        (n.message_for(Protocol::Sqs).to_owned(), attributes)
    } else {
        (envelope(), Vec::new())
    };
    if attributes.len() > MAX_RAW_SQS_ATTRIBUTES {
        // AWS: "discarded as client side errors" (to the DLQ if there is one).
        let message = format!(
            "Number of message attributes [{}] exceeds the allowed maximum [{MAX_RAW_SQS_ATTRIBUTES}].",
            attributes.len()
        );
        dead_letter(
            shared,
            sub,
            n,
            body,
            Vec::new(),
            "InvalidParameterValue",
            &message,
        );
        return;
    }
    let Some(queue) = shared.sqs.queue_by_arn(&sub.endpoint) else {
        dead_letter(
            shared,
            sub,
            n,
            body,
            attributes,
            "AWS.SimpleQueueService.NonExistentQueue",
            "The specified queue does not exist.",
        );
        return;
    };
    if shared.sqs.reset_since(generation, queue.key()) {
        // The queue found is a new one, made after a reset that came after the publish.
        return;
    }
    if !admits_into_queue(shared, sub, &queue, &[&sub.arn]) {
        // A client-side error (403): not retried, to the subscription's DLQ if it has one
        // (SNS Developer Guide, "Amazon SNS message delivery retries"); the subscription
        // stays. The wording is SQS's, as SNS's delivery status logs report it.
        let key = queue.key();
        let message = format!(
            "Access to the resource https://sqs.{}.amazonaws.com/{}/{} is denied.",
            key.region, key.account_id, key.name
        );
        dead_letter(shared, sub, n, body, attributes, "AccessDenied", &message);
        return;
    }
    let fifo = queue.is_fifo();
    let msg = NewMessage {
        body: body.clone(),
        attributes: attributes.clone(),
        sender_id: SNS_SENDER_ID.to_owned(),
        message_group_id: if fifo {
            n.message_group_id.clone()
        } else {
            None
        },
        message_deduplication_id: if fifo {
            n.message_deduplication_id.clone()
        } else {
            None
        },
        aws_trace_header: n.trace_header.clone(),
        ..NewMessage::default()
    };
    if let Err(err) = queue.send(msg) {
        let code = err.code.to_string();
        dead_letter(shared, sub, n, body, attributes, &code, &err.message);
    }
}

/// A signed `SubscriptionConfirmation` or `UnsubscribeConfirmation` document and its id.
async fn confirmation_document(
    shared: &Arc<Shared>,
    sub: &Subscription,
    kind: MessageType,
    token: &str,
    base: &str,
) -> (String, String) {
    let message_id = uuid::Uuid::new_v4().to_string();
    let ts = envelope::timestamp(shared.sns.clock().now_millis());
    let message = match kind {
        MessageType::UnsubscribeConfirmation => format!(
            "You have chosen to deactivate subscription {}.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.",
            sub.arn
        ),
        _ => format!(
            "You have chosen to subscribe to the topic {}.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
            sub.topic_arn
        ),
    };
    let url = envelope::subscribe_url(base, &sub.topic_arn, token);
    let version = shared
        .sns
        .topic_of(sub)
        .map(|t| t.attributes().signature_version().to_owned())
        .unwrap_or_else(|| "1".into());
    let sig = sign_many(
        shared,
        vec![SignRequest {
            kind,
            message: message.clone(),
            message_id: message_id.clone(),
            subject: None,
            timestamp: ts.clone(),
            topic_arn: sub.topic_arn.clone(),
            token: Some(token.to_owned()),
            subscribe_url: Some(url.clone()),
        }],
        version.clone(),
    )
    .await
    .pop()
    .unwrap_or_default();
    let signature = SignatureFields {
        version,
        signature: sig,
        cert_url: shared.cert_url(base),
    };
    let doc = envelope::confirmation(
        kind,
        &message_id,
        token,
        &sub.topic_arn,
        &message,
        &url,
        &ts,
        &signature,
    );
    (doc, message_id)
}

/// POSTs the `UnsubscribeConfirmation` of a deleted HTTP/S subscription.
async fn confirm_unsubscribe(
    shared: &Arc<Shared>,
    sub: Arc<Subscription>,
    token: String,
    base: Arc<str>,
) {
    let (doc, message_id) = confirmation_document(
        shared,
        &sub,
        MessageType::UnsubscribeConfirmation,
        &token,
        &base,
    )
    .await;
    crate::http::spawn_confirmation(
        shared.clone(),
        sub,
        MessageType::UnsubscribeConfirmation,
        doc,
        message_id,
    );
}

/// The confirmation request of a new subscription: a signed `SubscriptionConfirmation` POST to
/// http/https endpoints, a recorded email (with the SubscribeURL) for email and email-json.
async fn confirm(shared: &Arc<Shared>, sub: Arc<Subscription>, base: Arc<str>) {
    let (doc, message_id) = confirmation_document(
        shared,
        &sub,
        MessageType::SubscriptionConfirmation,
        &sub.token,
        &base,
    )
    .await;
    let url = envelope::subscribe_url(&base, &sub.topic_arn, &sub.token);
    match sub.protocol {
        Protocol::Http | Protocol::Https => {
            crate::http::spawn_confirmation(
                shared.clone(),
                sub,
                MessageType::SubscriptionConfirmation,
                doc,
                message_id,
            );
        }
        _ => {
            let text = if sub.protocol == Protocol::EmailJson {
                doc
            } else {
                format!(
                    "You have chosen to subscribe to the topic: \n{}\n\nTo confirm this subscription, click or visit the link below (If this was in error no action is necessary): \nConfirm subscription: {url}",
                    sub.topic_arn
                )
            };
            record_for(
                shared,
                &sub,
                message_id,
                Some("AWS Notification - Subscription Confirmation".into()),
                text,
                Vec::new(),
                shared.sns.clock().now_millis(),
            );
        }
    }
}
