//! Carrying out invocations: each target of each matched rule gets its (transformed) input,
//! in the background, never blocking `PutEvents`.
//!
//! Failures are handled as EventBridge documents ("Event retry policy and using dead-letter
//! queues"): a target that does not exist or refuses permission is not retried and the event
//! goes straight to the target's dead-letter queue; retriable failures are retried with
//! exponential back-off and jitter on the engine's clock until the target's RetryPolicy
//! (MaximumRetryAttempts, MaximumEventAgeInSeconds) runs out, then dead-lettered. A DLQ message
//! carries RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION (when
//! retries ran out) and RETRY_ATTEMPTS.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ferrybridge_engine::events::event::format_time;
use ferrybridge_engine::events::transform::{RenderContext, TargetInput, TransformError};
use ferrybridge_engine::events::{EventsEngine, Invocation, RecordedInvocation, TargetKind};
use ferrybridge_engine::reset::Resets;
use ferrybridge_engine::sqs::{MessageAttributeValue, NewMessage, SqsEngine};
use ferrybridge_sns::{FirstAttempt, Sns};
use tokio::sync::mpsc;

/// The `SenderId` of messages EventBridge puts into SQS queues.
pub const EVENTS_SENDER_ID: &str = "AIDAIEVENTBRIDGEFERRYB";

/// Number of delivery workers (and queues).
const SHARDS: usize = 4;

/// Invocations each worker's queue holds. Bounded so a flood of events cannot grow memory
/// without end: `PutEvents` first waits briefly for room ([`Dispatcher::wait_for_room`]), and
/// an invocation that still finds its queue full is shed: counted, logged, and dead-lettered
/// (`ERROR_CODE` `THROTTLING`) when its target has a DLQ, as an invocation that failed.
pub const JOB_QUEUE_CAPACITY: usize = 4096;

/// Invocations carried out on tasks of their own at once (API destination calls, retries
/// waiting for their next attempt), across all workers. A worker waits for a slot before it
/// starts another: slow or failing targets slow the workers down, which fills their queues.
pub const MAX_BACKGROUND_INVOCATIONS: usize = 8192;

/// How long `PutEvents` waits for room in full queues before handing its invocations on (the
/// same wait as SNS's `Publish`).
pub use ferrybridge_sns::delivery::ROOM_WAIT;

/// Why an invocation failed, as a DLQ message reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `ERROR_CODE` (AWS's codes: NO_RESOURCE, NO_PERMISSIONS, INVALID_PARAMETER, ...).
    pub code: &'static str,
    /// `ERROR_MESSAGE`.
    pub message: String,
    /// Whether trying again may help (throttling, time-outs, connection failures).
    pub retriable: bool,
    /// The least wait before the next attempt the target asked for (an HTTP `Retry-After`).
    pub retry_after_ms: Option<u64>,
}

impl Failure {
    pub fn permanent(code: &'static str, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            retriable: false,
            retry_after_ms: None,
        }
    }

    pub fn retriable(code: &'static str, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            retriable: true,
            retry_after_ms: None,
        }
    }

    /// The same failure, asking for at least `ms` before the next attempt.
    pub fn with_retry_after_ms(mut self, ms: u64) -> Self {
        self.retry_after_ms = Some(ms);
        self
    }
}

/// What the workers need.
pub(crate) struct Shared {
    pub engine: Arc<EventsEngine>,
    pub sqs: Arc<SqsEngine>,
    pub sns: Sns,
    /// The emulator's URL (links in SNS envelopes).
    pub base: Arc<str>,
    pub dispatcher: Dispatcher,
    /// API destination calls: the HTTP client, throttles, OAuth tokens.
    pub api: crate::api_call::ApiCalls,
}

/// One invocation queued for the workers.
pub(crate) struct Job {
    inv: Invocation,
    /// The reset generation when the event was taken in (see `ferrybridge_engine::reset`).
    generation: u64,
    /// Held until the first attempt was made, for calls that wait for it.
    first: Option<FirstAttempt>,
}

/// Hands invocations to the background workers. Cheap to clone.
#[derive(Clone)]
pub struct Dispatcher {
    shards: Arc<Vec<mpsc::Sender<Job>>>,
    /// For shedding: the workers' shared state (set once it exists; weak, it holds us).
    shed_to: Arc<std::sync::OnceLock<std::sync::Weak<Shared>>>,
    shed_count: Arc<std::sync::atomic::AtomicU64>,
    next: Arc<AtomicUsize>,
    resets: Arc<Resets>,
    /// For one call: the reset generation when it started, and its first-attempt token.
    generation: Option<u64>,
    first: Option<FirstAttempt>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher").finish_non_exhaustive()
    }
}

impl Dispatcher {
    /// Queues invocations. Those for a FIFO queue keep their order (one worker per queue);
    /// the rest spread over all workers.
    pub fn dispatch(&self, invocations: Vec<Invocation>) {
        let generation = self.generation.unwrap_or_else(|| self.resets.generation());
        self.dispatch_with(generation, self.first.clone(), invocations);
    }

    /// The current reset generation: taken before reading the rules that make invocations.
    pub fn generation(&self) -> u64 {
        self.resets.generation()
    }

    /// A dispatcher for one call that started at reset `generation`: its jobs carry `first`.
    pub fn scoped(&self, generation: u64, first: Option<FirstAttempt>) -> Dispatcher {
        Dispatcher {
            generation: Some(generation),
            first,
            ..self.clone()
        }
    }

    /// Queues invocations made at reset `generation`, each holding `first`.
    pub(crate) fn dispatch_with(
        &self,
        generation: u64,
        first: Option<FirstAttempt>,
        invocations: Vec<Invocation>,
    ) {
        for inv in invocations {
            let shard = self.shard_for(&inv);
            let job = Job {
                inv,
                generation,
                first: first.clone(),
            };
            match self.shards[shard].try_send(job) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(job)) => self.shed(job),
                // A closed channel means the server is shutting down.
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
    }

    /// Queues invocations made at reset `generation`, waiting for room in full queues rather
    /// than shedding: for background producers (replays), which may wait as long as it takes.
    pub(crate) async fn dispatch_waiting(&self, generation: u64, invocations: Vec<Invocation>) {
        for inv in invocations {
            let shard = self.shard_for(&inv);
            let job = Job {
                inv,
                generation,
                first: None,
            };
            // A closed channel means the server is shutting down.
            if self.shards[shard].send(job).await.is_err() {
                return;
            }
        }
    }

    /// The worker an invocation goes to: those for a FIFO queue keep their order (one worker
    /// per queue); the rest spread over all workers.
    fn shard_for(&self, inv: &Invocation) -> usize {
        if inv.target.message_group_id.is_some() {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            inv.target.arn.hash(&mut h);
            (h.finish() as usize) % self.shards.len()
        } else {
            self.next.fetch_add(1, Ordering::Relaxed) % self.shards.len()
        }
    }

    /// An invocation that found its queue full: dropped, counted, logged, and dead-lettered
    /// as a failed invocation when its target has a DLQ.
    fn shed(&self, job: Job) {
        let shed = self.shed_count.fetch_add(1, Ordering::Relaxed) + 1;
        if shed == 1 || shed.is_multiple_of(1000) {
            tracing::warn!(
                shed,
                capacity = JOB_QUEUE_CAPACITY,
                "EventBridge delivery queue full: invocations shed (dead-lettered where a DLQ is set)"
            );
        }
        if let Some(shared) = self.shed_to.get().and_then(std::sync::Weak::upgrade) {
            let failure = Failure::retriable(
                "THROTTLING",
                "The emulator's EventBridge delivery queue is full; the invocation was shed.",
            );
            dead_letter(&shared, &job.inv, &failure, 0, None, job.generation);
        }
    }

    /// Invocations shed so far because a delivery queue was full.
    pub fn shed_count(&self) -> u64 {
        self.shed_count.load(Ordering::Relaxed)
    }

    /// Back-pressure for the request path: waits (at most [`ROOM_WAIT`]) while a queue is full.
    pub async fn wait_for_room(&self) {
        ferrybridge_sns::delivery::wait_for_room_in(&self.shards).await;
    }
}

/// The delivery workers, to be spawned on the server's runtime.
pub struct DeliveryWorkers {
    shared: Arc<Shared>,
    receivers: Vec<mpsc::Receiver<Job>>,
}

impl DeliveryWorkers {
    /// The worker tasks, plus the scheduler of scheduled rules.
    pub fn into_tasks(
        self,
    ) -> Vec<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>> {
        let mut tasks: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>> =
            Vec::new();
        let background = Arc::new(tokio::sync::Semaphore::new(MAX_BACKGROUND_INVOCATIONS));
        for rx in self.receivers {
            tasks.push(Box::pin(work(self.shared.clone(), rx, background.clone())));
        }
        tasks.push(Box::pin(crate::scheduler::run(self.shared.clone())));
        tasks.push(Box::pin(crate::replayer::run(self.shared.clone())));
        tasks
    }
}

pub(crate) fn channel(
    engine: Arc<EventsEngine>,
    sqs: Arc<SqsEngine>,
    sns: Sns,
    base: Arc<str>,
    api: crate::api_call::ApiCalls,
) -> (Dispatcher, DeliveryWorkers) {
    let mut senders = Vec::with_capacity(SHARDS);
    let mut receivers = Vec::with_capacity(SHARDS);
    for _ in 0..SHARDS {
        let (tx, rx) = mpsc::channel(JOB_QUEUE_CAPACITY);
        senders.push(tx);
        receivers.push(rx);
    }
    let dispatcher = Dispatcher {
        shards: Arc::new(senders),
        shed_to: Arc::default(),
        shed_count: Arc::default(),
        next: Arc::new(AtomicUsize::new(0)),
        resets: engine.resets().clone(),
        generation: None,
        first: None,
    };
    let shared = Arc::new(Shared {
        engine,
        sqs,
        sns,
        base,
        dispatcher: dispatcher.clone(),
        api,
    });
    let _ = dispatcher.shed_to.set(Arc::downgrade(&shared));
    (dispatcher, DeliveryWorkers { shared, receivers })
}

/// Whether the invocation's bus was reset after the event was taken in.
pub(crate) fn stale(shared: &Shared, generation: u64, inv: &Invocation) -> bool {
    shared
        .engine
        .reset_since(generation, &inv.account_id, &inv.region)
}

async fn work(
    shared: Arc<Shared>,
    mut rx: mpsc::Receiver<Job>,
    background: Arc<tokio::sync::Semaphore>,
) {
    while let Some(Job {
        inv,
        generation,
        mut first,
    }) = rx.recv().await
    {
        if stale(&shared, generation, &inv) {
            continue;
        }
        if inv.target.kind == TargetKind::ApiDestination {
            // An HTTP call may take seconds and wait for its rate limit: never in the worker,
            // and never waited for by PutEvents.
            drop(first);
            let Ok(slot) = background.clone().acquire_owned().await else {
                return;
            };
            let shared = shared.clone();
            tokio::spawn(async move {
                crate::api_call::run(shared, inv, generation).await;
                drop(slot);
            });
            continue;
        }
        // `--data-dir`: what the first attempt stored is durable before the call waiting
        // for it answers (the ticket goes to its `FirstAttempt`).
        let delivered = match &first {
            Some(f) => {
                let (out, ticket) = ferrybridge_engine::persist::scope_sync(|| {
                    deliver(&shared, &inv, generation, Some(f))
                });
                f.note(ticket);
                out
            }
            None => deliver(&shared, &inv, generation, None),
        };
        match delivered {
            Ok(()) => {}
            Err(f) if f.retriable => {
                drop(first.take());
                let Ok(slot) = background.clone().acquire_owned().await else {
                    return;
                };
                let shared = shared.clone();
                tokio::spawn(async move {
                    retry(shared, inv, f, generation).await;
                    drop(slot);
                });
            }
            Err(f) => dead_letter(&shared, &inv, &f, 0, None, generation),
        }
        drop(first);
    }
}

/// Retries a failed invocation of the kinds carried out in the workers.
async fn retry(shared: Arc<Shared>, inv: Invocation, failure: Failure, generation: u64) {
    let attempt = || std::future::ready(deliver(&shared, &inv, generation, None));
    settle(&shared, &inv, Err(failure), generation, attempt).await;
}

/// Ends an invocation whose first attempt gave `first`: done if it succeeded, dead-lettered at
/// once if it failed in a way that is not retried, otherwise `attempt`ed again per the
/// target's RetryPolicy ([`retry_until_done`]) and dead-lettered if that runs out.
pub(crate) async fn settle<F>(
    shared: &Shared,
    inv: &Invocation,
    first: Result<(), Failure>,
    generation: u64,
    attempt: impl FnMut() -> F,
) where
    F: std::future::Future<Output = Result<(), Failure>>,
{
    let failure = match first {
        Ok(()) => return,
        Err(f) if f.retriable => f,
        Err(f) => return dead_letter(shared, inv, &f, 0, None, generation),
    };
    let clock = shared.engine.clock().clone();
    let outcome = retry_until_done(
        &*clock,
        inv.target.retry_policy,
        inv.event.ingestion_ms,
        failure,
        attempt,
    )
    .await;
    if let Some(gave_up) = outcome {
        dead_letter(
            shared,
            inv,
            &gave_up.failure,
            gave_up.retries,
            gave_up.exhausted,
            generation,
        );
    }
}

/// How a retried invocation ended when it was not delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GaveUp {
    /// The last failure.
    pub failure: Failure,
    /// Retries made (the first attempt not counted): `RETRY_ATTEMPTS`.
    pub retries: u32,
    /// `EXHAUSTED_RETRY_CONDITION`: `MaximumRetryAttempts` or `MaximumEventAgeInSeconds`, or
    /// `None` when a retry failed in a way that is not retried.
    pub exhausted: Option<&'static str>,
}

/// Calls `attempt` again after `failure` (a retriable one), waiting [`backoff_ms`] on `clock`
/// between attempts, until it succeeds (`None`), fails in a way that is not retried, or the
/// policy runs out: `MaximumRetryAttempts` retries made, or the next retry would come later
/// than `MaximumEventAgeInSeconds` after the event was taken in (`ingestion_ms`).
pub async fn retry_until_done<F>(
    clock: &dyn ferrybridge_engine::clock::Clock,
    policy: ferrybridge_engine::events::RetryPolicy,
    ingestion_ms: u64,
    mut failure: Failure,
    mut attempt: impl FnMut() -> F,
) -> Option<GaveUp>
where
    F: std::future::Future<Output = Result<(), Failure>>,
{
    let deadline = ingestion_ms + u64::from(policy.maximum_event_age_seconds) * 1000;
    let mut retries = 0u32;
    loop {
        if retries >= policy.maximum_retry_attempts {
            return Some(GaveUp {
                failure,
                retries,
                exhausted: Some("MaximumRetryAttempts"),
            });
        }
        let wait = backoff_ms(retries).max(failure.retry_after_ms.unwrap_or(0));
        let at = clock.now_millis() + wait;
        if at > deadline {
            return Some(GaveUp {
                failure,
                retries,
                exhausted: Some("MaximumEventAgeInSeconds"),
            });
        }
        clock.sleep_until(at).await;
        retries += 1;
        match attempt().await {
            Ok(()) => return None,
            Err(f) if f.retriable => failure = f,
            Err(f) => {
                return Some(GaveUp {
                    failure: f,
                    retries,
                    exhausted: None,
                })
            }
        }
    }
}

/// The wait before retry `n` (0-based): 1 s doubling up to 5 minutes, with jitter (between
/// half and all of it).
pub fn backoff_ms(n: u32) -> u64 {
    use rand::Rng as _;
    let full = 1000u64.saturating_mul(1u64 << n.min(20)).min(300_000);
    rand::thread_rng().gen_range(full / 2..=full)
}

/// One attempt at one invocation (queued at reset `generation`; `first`: the token of a call
/// waiting for first attempts, passed on to what this one causes in turn).
fn deliver(
    shared: &Shared,
    inv: &Invocation,
    generation: u64,
    first: Option<&FirstAttempt>,
) -> Result<(), Failure> {
    if stale(shared, generation, inv) {
        // Reset since the event was taken in: dropped.
        return Ok(());
    }
    let target = &inv.target;
    if target.kind == TargetKind::EventBus {
        // Bus targets receive the event itself; Input settings do not apply.
        let forwarded = shared
            .engine
            .forward_to_bus_by_rule(
                &target.arn,
                &inv.event,
                &inv.account_id,
                &inv.region,
                Some(&inv.rule.arn),
            )
            .map_err(|e| Failure::permanent(e.code(), e.to_string()))?;
        shared
            .dispatcher
            .dispatch_with(generation, first.cloned(), forwarded);
        return Ok(());
    }
    let Some(payload) = render(inv)? else {
        return Ok(());
    };
    match &target.kind {
        TargetKind::Sqs => send_to_queue(shared, inv, payload, generation),
        TargetKind::Sns => {
            topic_admits(shared, inv)?;
            shared
                .sns
                .publish_for_service(
                    &target.arn,
                    payload,
                    target.message_group_id.clone(),
                    target
                        .message_group_id
                        .as_ref()
                        .map(|_| inv.event.id.clone()),
                    shared.base.clone(),
                    ferrybridge_sns::Origin {
                        generation,
                        first: first.cloned(),
                    },
                )
                .map(|_| ())
                .map_err(|e| match e.code() {
                    "NotFoundException" => Failure::permanent(
                        "NO_RESOURCE",
                        format!("Topic {} does not exist.", target.arn),
                    ),
                    _ => Failure::permanent("INVALID_PARAMETER", e.message().to_owned()),
                })
        }
        // Carried out by `api_call::run` in a task of its own (see `work`), never here.
        TargetKind::ApiDestination => Ok(()),
        TargetKind::Recorded(service) => {
            shared.engine.record(RecordedInvocation {
                account_id: inv.account_id.clone(),
                region: inv.region.clone(),
                rule_arn: inv.rule.arn.clone(),
                target_id: target.id.clone(),
                target_arn: target.arn.clone(),
                service: service.clone(),
                event_id: inv.event.id.clone(),
                input: payload,
                target: target.description.clone(),
                timestamp_ms: shared.engine.clock().now_millis(),
            });
            Ok(())
        }
        // Bus targets were handled above; the engine archives events itself.
        TargetKind::EventBus | TargetKind::Archive(_) => Ok(()),
    }
}

/// What the target receives for the invocation's event: `None` when an `InputPath` selects
/// nothing in it (nothing is sent).
pub(crate) fn render(inv: &Invocation) -> Result<Option<String>, Failure> {
    let rendered = match &inv.target.input {
        // The whole event or a constant: no need to decode the event.
        TargetInput::Event => Ok(inv.event.json.clone()),
        TargetInput::Constant(text) => Ok(text.clone()),
        input => input.render(&RenderContext {
            event: inv.event.envelope(),
            event_json: &inv.event.json,
            rule_arn: &inv.rule.arn,
            rule_name: &inv.rule.name,
            ingestion_time: &format_time(inv.event.ingestion_ms),
        }),
    };
    match rendered {
        Ok(payload) => Ok(Some(payload)),
        Err(TransformError::NothingSelected { .. }) => Ok(None),
        // What the target service answers for a too-large message, reported as EventBridge
        // reports a target's refusal of a parameter (ERROR_CODE INVALID_PARAMETER; codes:
        // EventBridge user guide, "Using dead-letter queues to process undelivered events").
        Err(TransformError::TooLarge { limit }) => {
            let message = match inv.target.kind {
                // source: SQS SendMessage's InvalidParameterValue for a long body.
                TargetKind::Sqs => format!(
                    "One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes."
                ),
                // source: SNS Publish's InvalidParameter for a long message.
                TargetKind::Sns => "Invalid parameter: Message too long".to_owned(),
                _ => format!(
                    "The input for target {} is larger than {limit} bytes, the most the target service accepts.",
                    inv.target.id
                ),
            };
            tracing::debug!(target = %inv.target.arn, limit, "EventBridge target input too large");
            Err(Failure::permanent("INVALID_PARAMETER", message))
        }
        Err(e) => Err(Failure::permanent("INVALID_JSON", e.to_string())),
    }
}

fn send_to_queue(
    shared: &Shared,
    inv: &Invocation,
    body: String,
    generation: u64,
) -> Result<(), Failure> {
    let target = &inv.target;
    let Some(queue) = shared.sqs.queue_by_arn(&target.arn) else {
        return Err(Failure::permanent(
            "NO_RESOURCE",
            format!(
                "Failed to send message to SQS queue {}: the queue does not exist.",
                target.arn
            ),
        ));
    };
    if shared.sqs.reset_since(generation, queue.key()) {
        // A queue made after a reset that came after the event: not delivered.
        return Ok(());
    }
    let policy = queue.access_policy();
    admits(
        shared,
        inv,
        policy.as_deref(),
        "sqs:SendMessage",
        queue.arn(),
        &queue.key().account_id,
        "",
    )?;
    let fifo = queue.is_fifo();
    queue
        .send(NewMessage {
            body,
            attributes: Vec::new(),
            aws_trace_header: inv.event.trace_header.clone(),
            delay_seconds: None,
            sender_id: EVENTS_SENDER_ID.to_owned(),
            message_group_id: if fifo {
                target.message_group_id.clone()
            } else {
                None
            },
            message_deduplication_id: if fifo && !queue.attributes().content_based_deduplication {
                Some(inv.event.id.clone())
            } else {
                None
            },
        })
        .map(|_| ())
        .map_err(|e| Failure::permanent("INVALID_PARAMETER", e.to_string()))
}

/// Whether the target's resource policy lets `events.amazonaws.com` do `action` for the
/// invocation's rule (`aws:SourceArn` the rule, `aws:SourceAccount` its account): refused
/// with NO_PERMISSIONS (not retried, to the DLQ) under `--enforce-policies`, else a warning
/// once per rule target (see [`ferrybridge_sns::policy_gate`]; `suffix` tells the target's
/// dead-letter queue apart from the target).
fn admits(
    shared: &Shared,
    inv: &Invocation,
    policy: Option<&ferrybridge_engine::policy::Policy>,
    action: &str,
    resource: &str,
    owner: &str,
    suffix: &str,
) -> Result<(), Failure> {
    let key = format!("{}#{}{suffix}", inv.rule.arn, inv.target.id);
    shared
        .sns
        .policy_gate()
        .admit(
            policy,
            &ferrybridge_sns::policy_gate::Delivery {
                service: "events.amazonaws.com",
                action,
                resource,
                owner,
                source_arn: &inv.rule.arn,
                source_account: &inv.account_id,
                key: &key,
            },
        )
        .map_err(|_| {
            Failure::permanent(
                "NO_PERMISSIONS",
                format!(
                    "EventBridge is not authorized to perform: {action} on resource: {resource}: its resource-based policy does not allow events.amazonaws.com."
                ),
            )
        })
}

/// [`admits`] for an SNS topic target (a missing topic is left to the publish: NO_RESOURCE).
fn topic_admits(shared: &Shared, inv: &Invocation) -> Result<(), Failure> {
    let arn = &inv.target.arn;
    let Some(region) = ferrybridge_engine::arn::parse(arn).map(|a| a.region.to_owned()) else {
        return Ok(());
    };
    let Ok(topic) = shared.sns.engine().topic(&region, arn) else {
        return Ok(());
    };
    let policy = topic.access_policy();
    admits(
        shared,
        inv,
        policy.as_deref(),
        "sns:Publish",
        topic.arn(),
        topic.account_id(),
        "",
    )
}

/// Sends a failed invocation's event to the target's dead-letter queue, if it has one that
/// exists (otherwise the event is dropped, as on AWS).
pub(crate) fn dead_letter(
    shared: &Shared,
    inv: &Invocation,
    failure: &Failure,
    retries: u32,
    exhausted: Option<&str>,
    generation: u64,
) {
    if stale(shared, generation, inv) {
        return;
    }
    let target = &inv.target;
    let Some(dlq_arn) = &target.dead_letter_arn else {
        tracing::debug!(target = %target.arn, code = failure.code, "EventBridge delivery failed; no DLQ: event dropped");
        return;
    };
    let Some(queue) = shared.sqs.queue_by_arn(dlq_arn) else {
        tracing::debug!(dlq = %dlq_arn, "EventBridge DLQ does not exist: event dropped");
        return;
    };
    if shared.sqs.reset_since(generation, queue.key()) {
        return;
    }
    // The DLQ's policy must let EventBridge send too (EventBridge User Guide, "Granting
    // permissions to the dead-letter queue"); otherwise the event is dropped.
    let policy = queue.access_policy();
    let owner = &queue.key().account_id;
    let action = "sqs:SendMessage";
    if admits(
        shared,
        inv,
        policy.as_deref(),
        action,
        queue.arn(),
        owner,
        "#dlq",
    )
    .is_err()
    {
        tracing::debug!(dlq = %dlq_arn, "EventBridge DLQ policy refuses EventBridge: event dropped");
        return;
    }
    let s = |v: &str| MessageAttributeValue::string("String", v);
    let mut attributes = vec![
        ("RULE_ARN".to_owned(), s(&inv.rule.arn)),
        ("TARGET_ARN".to_owned(), s(&target.arn)),
        ("ERROR_CODE".to_owned(), s(failure.code)),
        ("ERROR_MESSAGE".to_owned(), s(&failure.message)),
        ("RETRY_ATTEMPTS".to_owned(), s(&retries.to_string())),
    ];
    if let Some(condition) = exhausted {
        attributes.push(("EXHAUSTED_RETRY_CONDITION".to_owned(), s(condition)));
    }
    let fifo = queue.is_fifo();
    let result = queue.send(NewMessage {
        body: inv.event.json.clone(),
        attributes,
        aws_trace_header: inv.event.trace_header.clone(),
        delay_seconds: None,
        sender_id: EVENTS_SENDER_ID.to_owned(),
        message_group_id: fifo.then(|| target.id.clone()),
        message_deduplication_id: fifo.then(|| format!("{}-{}", inv.event.id, target.id)),
    });
    if let Err(e) = result {
        tracing::debug!(dlq = %dlq_arn, error = %e, "EventBridge DLQ refused the event: dropped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrybridge_engine::clock::{Clock, ManualClock};
    use ferrybridge_engine::events::RetryPolicy;
    use std::time::Duration;

    fn throttled() -> Failure {
        Failure::retriable("THROTTLING", "Rate exceeded")
    }

    /// Drives `retry_until_done` by advancing the manual clock a second at a time until it
    /// finishes; returns the outcome, the attempts made and the virtual time taken.
    async fn run(
        policy: RetryPolicy,
        mut results: Vec<Result<(), Failure>>,
    ) -> (Option<GaveUp>, usize, u64) {
        let clock = Arc::new(ManualClock::default());
        let start = clock.now_millis();
        let attempts = Arc::new(std::sync::Mutex::new(0usize));
        let counter = attempts.clone();
        let task_clock = clock.clone();
        let task = tokio::spawn(async move {
            retry_until_done(&*task_clock, policy, start, throttled(), move || {
                *counter.lock().expect("lock") += 1;
                std::future::ready(if results.is_empty() {
                    Err(throttled())
                } else {
                    results.remove(0)
                })
            })
            .await
        });
        for _ in 0..200_000 {
            if task.is_finished() {
                break;
            }
            tokio::task::yield_now().await;
            clock.advance(Duration::from_secs(1));
        }
        let outcome = task.await.expect("no panic");
        let made = *attempts.lock().expect("lock");
        (outcome, made, clock.now_millis() - start)
    }

    #[tokio::test]
    async fn retries_until_the_target_takes_the_event() {
        let policy = RetryPolicy::default();
        let (outcome, attempts, _) = run(policy, vec![Err(throttled()), Ok(())]).await;
        assert_eq!(outcome, None);
        assert_eq!(attempts, 2);
    }

    #[tokio::test]
    async fn gives_up_after_maximum_retry_attempts() {
        let policy = RetryPolicy {
            maximum_retry_attempts: 3,
            maximum_event_age_seconds: 86_400,
        };
        let (outcome, attempts, _) = run(policy, Vec::new()).await;
        assert_eq!(attempts, 3);
        assert_eq!(
            outcome,
            Some(GaveUp {
                failure: throttled(),
                retries: 3,
                exhausted: Some("MaximumRetryAttempts"),
            })
        );
    }

    #[tokio::test]
    async fn zero_retry_attempts_means_straight_to_the_dlq() {
        let policy = RetryPolicy {
            maximum_retry_attempts: 0,
            maximum_event_age_seconds: 86_400,
        };
        let (outcome, attempts, _) = run(policy, Vec::new()).await;
        assert_eq!(attempts, 0);
        assert_eq!(outcome.map(|g| g.retries), Some(0));
    }

    #[tokio::test]
    async fn gives_up_when_the_event_is_too_old() {
        let policy = RetryPolicy {
            maximum_retry_attempts: 185,
            maximum_event_age_seconds: 60,
        };
        let (outcome, attempts, elapsed) = run(policy, Vec::new()).await;
        let gave_up = outcome.expect("gave up");
        assert_eq!(gave_up.exhausted, Some("MaximumEventAgeInSeconds"));
        assert!(
            elapsed <= 60_000,
            "no retry after the event's maximum age: {elapsed} ms"
        );
        // Back-off doubles from about a second: 1+2+4+8+16 s fit in a minute, a sixth does not
        // always; with jitter there are between 5 and 7 retries.
        assert!((5..=7).contains(&attempts), "{attempts} retries");
    }

    #[tokio::test]
    async fn a_failure_that_is_not_retried_ends_the_retries() {
        let policy = RetryPolicy::default();
        let gone = Failure::permanent("NO_RESOURCE", "gone");
        let (outcome, attempts, _) = run(policy, vec![Err(gone.clone())]).await;
        assert_eq!(attempts, 1);
        assert_eq!(
            outcome,
            Some(GaveUp {
                failure: gone,
                retries: 1,
                exhausted: None,
            })
        );
    }

    #[test]
    fn back_off_doubles_with_jitter_up_to_five_minutes() {
        for n in 0..30 {
            let full = (1000u64 << n.min(20)).min(300_000);
            let wait = backoff_ms(n);
            assert!(wait >= full / 2 && wait <= full, "retry {n}: {wait} ms");
        }
    }
}
