//! The background tasks the server spawns for EventBridge: the delivery workers (one per shard
//! of the [`Dispatcher`]'s pool), the scheduler of scheduled rules and the replayer. The top of
//! the delivery modules: it wires [`crate::delivery`], [`crate::api_call`],
//! [`crate::scheduler`] and [`crate::replayer`] to one [`Context`], and none of them imports it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use ferrybridge_delivery::{FirstAttempt, Scoped, Slots, Workers};
use ferrybridge_engine::events::{EventsEngine, Invocation, TargetKind};
use ferrybridge_engine::sqs::SqsEngine;
use ferrybridge_sns::Sns;

use crate::context::{ApiCalls, Context};
use crate::delivery;
use crate::dispatch::Dispatcher;

/// Invocations carried out on tasks of their own at once (API destination calls, retries
/// waiting for their next attempt), across all workers. A worker waits for a slot before it
/// starts another: slow or failing targets slow the workers down, which fills their queues.
pub const MAX_BACKGROUND_INVOCATIONS: usize = 8192;

/// The delivery workers, to be spawned on the server's runtime.
pub struct DeliveryWorkers {
    context: Arc<Context>,
    workers: Workers<Invocation>,
}

impl std::fmt::Debug for DeliveryWorkers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryWorkers").finish_non_exhaustive()
    }
}

impl DeliveryWorkers {
    /// The worker tasks, plus the scheduler of scheduled rules and the replayer.
    pub fn into_tasks(self) -> Vec<Pin<Box<dyn Future<Output = ()> + Send>>> {
        let background = Slots::new(MAX_BACKGROUND_INVOCATIONS);
        let context = self.context;
        let mut tasks = self.workers.into_tasks(|| {
            let (context, background) = (context.clone(), background.clone());
            move |job| work(context.clone(), background.clone(), job)
        });
        tasks.push(Box::pin(crate::scheduler::run(context.clone())));
        tasks.push(Box::pin(crate::replayer::run(context)));
        tasks
    }
}

/// The dispatcher and its workers, sharing one [`Context`].
pub(crate) fn channel(
    engine: Arc<EventsEngine>,
    sqs: Arc<SqsEngine>,
    sns: Sns,
    base: Arc<str>,
    api: ApiCalls,
) -> (Dispatcher, DeliveryWorkers) {
    let (dispatcher, workers) = Dispatcher::new(engine.resets().clone());
    let context = Arc::new(Context {
        engine,
        sqs,
        sns,
        base,
        dispatcher: dispatcher.clone(),
        api,
    });
    // Weak: the context holds the dispatcher.
    let shed_to = Arc::downgrade(&context);
    dispatcher.on_shed(move |job| {
        if let Some(context) = shed_to.upgrade() {
            delivery::shed(&context, job);
        }
    });
    (dispatcher, DeliveryWorkers { context, workers })
}

/// One invocation on its worker: dropped if a reset made it stale; an API destination call
/// on a task of its own; any other target attempted here, then retried on a task of its own
/// or dead-lettered.
async fn work(context: Arc<Context>, background: Slots, job: Scoped<Invocation>) {
    let Scoped {
        job: inv,
        generation,
        mut first,
    } = job;
    if context.stale(generation, &inv) {
        return;
    }
    if inv.target.kind == TargetKind::ApiDestination {
        // An HTTP call may take seconds and wait for its rate limit: never in the worker,
        // and never waited for by PutEvents.
        drop(first);
        background
            .spawn(crate::api_call::run(context, inv, generation))
            .await;
        return;
    }
    // `--data-dir`: what the first attempt stored is durable before the call waiting for it
    // answers (the journal ticket goes to its `FirstAttempt`). A failure that is not retried
    // goes to the target's DLQ within the first attempt, so that PutEvents' answer waits for
    // the dead-letter message too; retries stay asynchronous.
    let to_retry = FirstAttempt::run_sync(first.as_ref(), || {
        match delivery::deliver(&context, &inv, generation, first.as_ref()) {
            Ok(()) => None,
            Err(f) if f.retriable => Some(f),
            Err(f) => {
                delivery::dead_letter(&context, &inv, &f, 0, None, generation);
                None
            }
        }
    });
    if let Some(f) = to_retry {
        drop(first.take());
        background
            .spawn(delivery::retry(context, inv, f, generation))
            .await;
    }
    drop(first);
}
