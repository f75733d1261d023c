//! Handing invocations to the delivery workers: EventBridge's use of the shared
//! [`ferrybridge_delivery::Pool`]. An invocation of a FIFO queue target (one with a message
//! group) always goes to the same worker, so those keep their order; the rest spread over all
//! workers.

use ferrybridge_delivery::{FirstAttempt, Pool, Route, Scoped, Workers};
use ferrybridge_engine::events::Invocation;
use ferrybridge_engine::reset::Resets;
use std::sync::Arc;

pub use ferrybridge_delivery::ROOM_WAIT;

/// Number of delivery workers (and queues).
const SHARDS: usize = 4;

/// Invocations each worker's queue holds. Bounded so a flood of events cannot grow memory
/// without end: `PutEvents` first waits briefly for room ([`Dispatcher::wait_for_room`], at
/// most [`ROOM_WAIT`], the same wait as SNS's `Publish`), and an invocation that still finds
/// its queue full is shed: counted, logged, and dead-lettered (`ERROR_CODE` `THROTTLING`) when
/// its target has a DLQ, as an invocation that failed.
pub const JOB_QUEUE_CAPACITY: usize = 4096;

/// Hands invocations to the background workers. Cheap to clone.
#[derive(Clone)]
pub struct Dispatcher {
    pool: Pool<Invocation>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher").finish_non_exhaustive()
    }
}

impl Dispatcher {
    /// The dispatcher and the receiving side its workers drain.
    pub(crate) fn new(resets: Arc<Resets>) -> (Dispatcher, Workers<Invocation>) {
        let (pool, workers) = Pool::new("EventBridge", SHARDS, JOB_QUEUE_CAPACITY, resets);
        (Dispatcher { pool }, workers)
    }

    /// Sets what becomes of a shed invocation (once).
    pub(crate) fn on_shed(&self, shed: impl Fn(Scoped<Invocation>) + Send + Sync + 'static) {
        self.pool.on_shed(shed);
    }

    /// Queues invocations. Those for a FIFO queue keep their order (one worker per queue);
    /// the rest spread over all workers.
    pub fn dispatch(&self, invocations: Vec<Invocation>) {
        self.dispatch_with(self.pool.generation(), self.pool.first(), invocations);
    }

    /// The current reset generation: taken before reading the rules that make invocations.
    pub fn generation(&self) -> u64 {
        self.pool.current_generation()
    }

    /// A dispatcher for one call that started at reset `generation`: its jobs carry `first`.
    pub fn scoped(&self, generation: u64, first: Option<FirstAttempt>) -> Dispatcher {
        Dispatcher {
            pool: self.pool.scoped(generation, first),
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
            let job = Scoped {
                job: inv,
                generation,
                first: first.clone(),
            };
            self.pool.submit_at(shard, job);
        }
    }

    /// Queues invocations made at reset `generation`, waiting for room in full queues rather
    /// than shedding: for background producers (replays), which may wait as long as it takes.
    pub(crate) async fn dispatch_waiting(&self, generation: u64, invocations: Vec<Invocation>) {
        for inv in invocations {
            let shard = self.shard_for(&inv);
            let job = Scoped {
                job: inv,
                generation,
                first: None,
            };
            // A closed queue means the server is shutting down.
            if !self.pool.submit_waiting_at(shard, job).await {
                return;
            }
        }
    }

    /// The worker an invocation goes to: those for a FIFO queue keep their order (one worker
    /// per queue); the rest spread over all workers.
    fn shard_for(&self, inv: &Invocation) -> usize {
        if inv.target.message_group_id.is_some() {
            self.pool.shard_for(Route::Key(&inv.target.arn))
        } else {
            self.pool.shard_for(Route::Any)
        }
    }

    /// Invocations shed so far because a delivery queue was full.
    pub fn shed_count(&self) -> u64 {
        self.pool.shed_count()
    }

    /// Back-pressure for the request path: waits (at most [`ROOM_WAIT`]) while a queue is full.
    pub async fn wait_for_room(&self) {
        self.pool.wait_for_room().await;
    }
}
