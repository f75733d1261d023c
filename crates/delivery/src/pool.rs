//! The sharded, bounded worker pool: where jobs wait for a worker, and what happens when there
//! is no room.
//!
//! A [`Pool`] is the sending side (cheap to clone, one per service, scoped per call with
//! [`Pool::scoped`]); [`Workers`] is the receiving side, one task per shard, which the server
//! spawns. Each shard is a bounded queue drained in order by one worker, so jobs routed by the
//! same key ([`Route::Key`]) are handled in the order they were submitted.
//!
//! # Shedding policy
//!
//! Memory stays bounded: each shard holds at most `capacity` jobs. A request path first waits
//! while a queue is full ([`Pool::wait_for_room`], at most [`ROOM_WAIT`]), which slows a flood
//! of callers down to the workers' pace. A job that still finds its queue full is *shed*: it is
//! not queued, [`Pool::shed_count`] counts it, the first shed and every thousandth are logged,
//! and the service's shed callback ([`Pool::on_shed`]) gets it, to dead-letter it as a failed
//! delivery would be. Background producers that may wait as long as it takes (replays) use
//! [`Pool::submit_waiting`] and are never shed. A closed queue (the server is shutting down)
//! drops the job silently: there is nobody left to deliver to.

use std::future::Future;
use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ferrybridge_engine::reset::Resets;
use tokio::sync::mpsc;

use crate::first::FirstAttempt;

/// How long a request path waits for room in full delivery queues before handing its jobs on
/// anyway (they are then shed if the queues are still full).
pub const ROOM_WAIT: Duration = Duration::from_secs(2);

/// Back-pressure for a request path: waits (at most [`ROOM_WAIT`]) while one of `queues` is
/// full.
pub async fn wait_for_room_in<T>(queues: &[mpsc::Sender<T>]) {
    let deadline = tokio::time::Instant::now() + ROOM_WAIT;
    // Checked again after 2, 4, 8 ... 50 ms: many callers waiting must not spin.
    let mut pause = Duration::from_millis(2);
    while queues.iter().any(|q| q.capacity() == 0) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            break;
        }
        tokio::time::sleep(pause.min(left)).await;
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// Which shard a job goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    /// Always the same shard for the same key, so jobs with one key keep their order (a FIFO
    /// topic's messages, invocations of a FIFO queue target).
    Key(&'a str),
    /// The next shard in turn: jobs that need no order spread over every worker (and core).
    Any,
}

/// A job with the scope of the call that queued it.
#[derive(Debug)]
pub struct Scoped<J> {
    /// The service's job.
    pub job: J,
    /// The reset generation when the call started (see `ferrybridge_engine::reset`): a worker
    /// drops what a reset made stale since, and never delivers into something made after it.
    pub generation: u64,
    /// The first-attempt token of the call waiting for it, if one is.
    pub first: Option<FirstAttempt>,
}

type ShedCallback<J> = Box<dyn Fn(Scoped<J>) + Send + Sync>;

/// What every clone of a pool shares.
struct Queues<J> {
    /// The service's name, for the log.
    name: &'static str,
    senders: Vec<mpsc::Sender<Scoped<J>>>,
    capacity: usize,
    /// Round-robin position for [`Route::Any`].
    next: AtomicUsize,
    shed: AtomicU64,
    /// Set once (the service's state often needs the pool to exist first).
    on_shed: OnceLock<ShedCallback<J>>,
}

/// Hands jobs to the workers. Cheap to clone.
pub struct Pool<J> {
    queues: Arc<Queues<J>>,
    resets: Arc<Resets>,
    /// For one call: the reset generation when it started, and its first-attempt token.
    generation: Option<u64>,
    first: Option<FirstAttempt>,
}

impl<J> Clone for Pool<J> {
    fn clone(&self) -> Self {
        Pool {
            queues: self.queues.clone(),
            resets: self.resets.clone(),
            generation: self.generation,
            first: self.first.clone(),
        }
    }
}

impl<J> std::fmt::Debug for Pool<J> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("name", &self.queues.name)
            .field("shards", &self.queues.senders.len())
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

impl<J: Send + 'static> Pool<J> {
    /// A pool of `shards` queues of `capacity` jobs each (both at least 1), and its workers.
    /// `name` names the service in the log; `resets` gives the current reset generation.
    pub fn new(
        name: &'static str,
        shards: usize,
        capacity: usize,
        resets: Arc<Resets>,
    ) -> (Pool<J>, Workers<J>) {
        let capacity = capacity.max(1);
        let (senders, receivers): (Vec<_>, Vec<_>) =
            (0..shards.max(1)).map(|_| mpsc::channel(capacity)).unzip();
        let pool = Pool {
            queues: Arc::new(Queues {
                name,
                senders,
                capacity,
                next: AtomicUsize::new(0),
                shed: AtomicU64::new(0),
                on_shed: OnceLock::new(),
            }),
            resets,
            generation: None,
            first: None,
        };
        (pool, Workers { receivers })
    }

    /// Sets what is done with a shed job (once; later calls are ignored and return `false`).
    /// It runs on the caller's task, with no lock of the pool held.
    pub fn on_shed(&self, shed: impl Fn(Scoped<J>) + Send + Sync + 'static) -> bool {
        self.queues.on_shed.set(Box::new(shed)).is_ok()
    }

    /// A pool handle for one call that started at reset `generation`: its jobs carry `first`.
    pub fn scoped(&self, generation: u64, first: Option<FirstAttempt>) -> Pool<J> {
        Pool {
            generation: Some(generation),
            first,
            ..self.clone()
        }
    }

    /// The generation this handle's jobs carry: the call's, or else the current one.
    pub fn generation(&self) -> u64 {
        self.generation.unwrap_or_else(|| self.current_generation())
    }

    /// The current reset generation: taken before reading what makes jobs.
    pub fn current_generation(&self) -> u64 {
        self.resets.generation()
    }

    /// The first-attempt token this handle's jobs carry.
    pub fn first(&self) -> Option<FirstAttempt> {
        self.first.clone()
    }

    /// The shard `route` picks.
    pub fn shard_for(&self, route: Route<'_>) -> usize {
        let shards = self.queues.senders.len();
        match route {
            Route::Key(key) => {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                key.hash(&mut h);
                (h.finish() as usize) % shards
            }
            Route::Any => self.queues.next.fetch_add(1, Ordering::Relaxed) % shards,
        }
    }

    /// Queues `job` with this handle's scope; shed if its queue is full.
    pub fn submit(&self, route: Route<'_>, job: J) {
        let job = Scoped {
            job,
            generation: self.generation(),
            first: self.first(),
        };
        self.submit_scoped(route, job);
    }

    /// Queues a job with the scope it carries; shed if its queue is full.
    pub fn submit_scoped(&self, route: Route<'_>, job: Scoped<J>) {
        self.submit_at(self.shard_for(route), job);
    }

    /// Queues a job into shard `shard` (from [`Pool::shard_for`], taken before the job's key
    /// moves with it); shed if its queue is full.
    pub fn submit_at(&self, shard: usize, job: Scoped<J>) {
        let shard = shard % self.shards();
        match self.queues.senders[shard].try_send(job) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(job)) => self.shed(job),
            // A closed queue means the server is shutting down: nothing left to deliver to.
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    /// Queues a job, waiting as long as its queue is full rather than shedding it: for
    /// background producers (replays). `false` when the workers are gone (shutting down).
    pub async fn submit_waiting(&self, route: Route<'_>, job: Scoped<J>) -> bool {
        self.submit_waiting_at(self.shard_for(route), job).await
    }

    /// [`Pool::submit_waiting`] into shard `shard`.
    pub async fn submit_waiting_at(&self, shard: usize, job: Scoped<J>) -> bool {
        let shard = shard % self.shards();
        self.queues.senders[shard].send(job).await.is_ok()
    }

    /// A job that found its queue full: counted, logged (the first and every thousandth), and
    /// handed to the shed callback.
    fn shed(&self, job: Scoped<J>) {
        let shed = self.queues.shed.fetch_add(1, Ordering::Relaxed) + 1;
        if shed == 1 || shed.is_multiple_of(1000) {
            tracing::warn!(
                shed,
                capacity = self.queues.capacity,
                "{} delivery queue full: jobs shed (dead-lettered where a DLQ is set)",
                self.queues.name
            );
        }
        if let Some(on_shed) = self.queues.on_shed.get() {
            on_shed(job);
        }
    }

    /// Jobs shed so far because a queue was full.
    pub fn shed_count(&self) -> u64 {
        self.queues.shed.load(Ordering::Relaxed)
    }

    /// Back-pressure for a request path: waits (at most [`ROOM_WAIT`]) while a queue is full.
    pub async fn wait_for_room(&self) {
        wait_for_room_in(&self.queues.senders).await;
    }

    /// The number of shards (and workers).
    pub fn shards(&self) -> usize {
        self.queues.senders.len()
    }

    /// The jobs each shard's queue holds.
    pub fn capacity(&self) -> usize {
        self.queues.capacity
    }
}

/// A worker task, as the server spawns it.
pub type WorkerTask = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// The receiving side of a [`Pool`]: one worker per shard.
pub struct Workers<J> {
    receivers: Vec<mpsc::Receiver<Scoped<J>>>,
}

impl<J> std::fmt::Debug for Workers<J> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers")
            .field("shards", &self.receivers.len())
            .finish()
    }
}

impl<J: Send + 'static> Workers<J> {
    /// One task per shard. Each gets its own handler from `make` (per-shard state, such as its
    /// own [`Slots`]) and awaits it on each job in turn, so a shard's jobs are handled in
    /// order; a handler that needs no order spawns its slow part. A task ends when every
    /// [`Pool`] handle is dropped and its queue is drained.
    pub fn into_tasks<M, H, F>(self, mut make: M) -> Vec<WorkerTask>
    where
        M: FnMut() -> H,
        H: FnMut(Scoped<J>) -> F + Send + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        self.receivers
            .into_iter()
            .map(|mut rx| {
                let mut handle = make();
                Box::pin(async move {
                    while let Some(job) = rx.recv().await {
                        handle(job).await;
                    }
                }) as WorkerTask
            })
            .collect()
    }
}

/// At most `n` side tasks at once: slow work (an HTTP call, a retry waiting for its next
/// attempt, RSA signing) leaves the worker, but a worker waits for a free slot before it
/// starts another, so slow targets slow the workers down, which fills their queues (and then
/// slows down or sheds the callers) instead of growing the number of tasks. Cheap to clone;
/// clones share the slots.
#[derive(Debug, Clone)]
pub struct Slots(Arc<tokio::sync::Semaphore>);

impl Slots {
    /// `n` slots.
    pub fn new(n: usize) -> Self {
        Slots(Arc::new(tokio::sync::Semaphore::new(n)))
    }

    /// Waits for a free slot, then runs `task` on a tokio task of its own, which holds the slot
    /// until `task` ends.
    pub async fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let Ok(slot) = self.0.clone().acquire_owned().await else {
            // Never closed.
            return;
        };
        tokio::spawn(async move {
            task.await;
            drop(slot);
        });
    }

    /// Slots free now.
    pub fn available(&self) -> usize {
        self.0.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrybridge_engine::reset::ResetScope;
    use std::sync::Mutex;

    fn pool<J: Send + 'static>(shards: usize, capacity: usize) -> (Pool<J>, Workers<J>) {
        Pool::new("Test", shards, capacity, Arc::new(Resets::new()))
    }

    #[tokio::test]
    async fn jobs_with_one_key_go_to_one_shard_in_order() {
        let (pool, workers) = pool::<(String, usize)>(4, 1000);
        // (shard, key, sequence) in the order the workers handled them.
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut shard = 0;
        let tasks = workers.into_tasks(|| {
            let (seen, me) = (seen.clone(), shard);
            shard += 1;
            move |job: Scoped<(String, usize)>| {
                seen.lock().expect("lock").push((me, job.job.0, job.job.1));
                std::future::ready(())
            }
        });
        let keys = ["fifo-a", "fifo-b", "fifo-c", "fifo-d", "fifo-e"];
        for i in 0..100 {
            for key in keys {
                pool.submit(Route::Key(key), (key.to_owned(), i));
            }
            pool.submit(Route::Any, ("any".to_owned(), i));
        }
        drop(pool);
        for task in tasks {
            task.await;
        }
        let seen = seen.lock().expect("lock");
        assert_eq!(seen.len(), 600);
        for key in keys {
            let mine: Vec<_> = seen.iter().filter(|(_, k, _)| k == key).collect();
            let shards: std::collections::HashSet<_> = mine.iter().map(|(s, _, _)| *s).collect();
            assert_eq!(shards.len(), 1, "{key} on one shard");
            let order: Vec<usize> = mine.iter().map(|(_, _, i)| *i).collect();
            assert_eq!(order, (0..100).collect::<Vec<_>>(), "{key} in order");
        }
        // Unkeyed jobs spread over every shard, in turn.
        let any: std::collections::HashSet<_> = seen
            .iter()
            .filter(|(_, k, _)| k == "any")
            .map(|(s, _, _)| *s)
            .collect();
        assert_eq!(any.len(), 4);
    }

    #[tokio::test]
    async fn a_full_queue_sheds_counted_jobs_to_the_callback() {
        let (pool, workers) = pool::<usize>(2, 3);
        let shed = Arc::new(Mutex::new(Vec::new()));
        let to = shed.clone();
        assert!(pool.on_shed(move |job| to.lock().expect("lock").push(job.job)));
        assert!(!pool.on_shed(|_| {}), "set once");
        // No worker runs: the two queues hold 3 jobs each.
        for i in 0..10 {
            pool.submit(Route::Any, i);
        }
        assert_eq!(pool.shed_count(), 4);
        assert_eq!(*shed.lock().expect("lock"), vec![6, 7, 8, 9]);
        // What was queued is all there, nothing more: the bound holds.
        let handled = Arc::new(Mutex::new(Vec::new()));
        let h = handled.clone();
        let tasks = workers.into_tasks(|| {
            let h = h.clone();
            move |job: Scoped<usize>| {
                h.lock().expect("lock").push(job.job);
                std::future::ready(())
            }
        });
        drop(pool);
        for task in tasks {
            task.await;
        }
        let mut handled = handled.lock().expect("lock").clone();
        handled.sort();
        assert_eq!(handled, vec![0, 1, 2, 3, 4, 5]);
    }

    #[tokio::test]
    async fn closed_queues_drop_jobs_without_shedding() {
        let (pool, workers) = pool::<usize>(2, 1);
        drop(workers);
        pool.submit(Route::Any, 1);
        assert_eq!(pool.shed_count(), 0);
        let job = Scoped {
            job: 2,
            generation: 0,
            first: None,
        };
        assert!(!pool.submit_waiting(Route::Any, job).await);
    }

    #[tokio::test]
    async fn a_full_queue_makes_callers_wait_until_there_is_room() {
        let (pool, workers) = pool::<usize>(1, 2);
        pool.submit(Route::Any, 1);
        let started = tokio::time::Instant::now();
        pool.wait_for_room().await;
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "room: no wait"
        );
        pool.submit(Route::Any, 2);
        // Full: a waiter waits until a worker takes a job.
        let waiter = pool.clone();
        let waiting = tokio::spawn(async move { waiter.wait_for_room().await });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!waiting.is_finished());
        let tasks = workers.into_tasks(|| |_job: Scoped<usize>| std::future::ready(()));
        let drain: Vec<_> = tasks.into_iter().map(tokio::spawn).collect();
        tokio::time::timeout(ROOM_WAIT, waiting)
            .await
            .expect("room before ROOM_WAIT ran out")
            .expect("no panic");
        drop(pool);
        for d in drain {
            d.await.expect("no panic");
        }
    }

    #[tokio::test]
    async fn jobs_carry_their_calls_generation_and_a_worker_cuts_off_stale_ones() {
        let resets = Arc::new(Resets::new());
        let (pool, workers) = Pool::<&'static str>::new("Test", 2, 10, resets.clone());
        let before = pool.current_generation();
        let (first, done) = FirstAttempt::new();
        let call = pool.scoped(before, Some(first));
        // A reset comes while the call runs.
        resets.record(ResetScope::all());
        call.submit(Route::Any, "queued by the call");
        pool.submit(Route::Any, "queued after the reset");
        drop(call);
        assert_eq!(pool.generation(), before + 1);
        let delivered = Arc::new(Mutex::new(Vec::new()));
        let d = delivered.clone();
        let current = resets.clone();
        let tasks = workers.into_tasks(|| {
            let (d, current) = (d.clone(), current.clone());
            move |job: Scoped<&'static str>| {
                // The service's cut-off: work from before the last reset is dropped.
                if job.generation == current.generation() {
                    d.lock().expect("lock").push(job.job);
                }
                // Dropping the job releases its first-attempt token.
                std::future::ready(())
            }
        });
        let running: Vec<_> = tasks.into_iter().map(tokio::spawn).collect();
        tokio::time::timeout(Duration::from_secs(5), done.wait())
            .await
            .expect("the call's wait ends once its job is handled");
        drop(pool);
        for r in running {
            r.await.expect("no panic");
        }
        assert_eq!(
            *delivered.lock().expect("lock"),
            vec!["queued after the reset"]
        );
    }

    #[tokio::test]
    async fn slots_bound_the_side_tasks() {
        let slots = Slots::new(2);
        let (release, hold) = tokio::sync::watch::channel(false);
        for _ in 0..2 {
            let mut hold = hold.clone();
            slots
                .spawn(async move {
                    let _ = hold.wait_for(|go| *go).await;
                })
                .await;
        }
        assert_eq!(slots.available(), 0);
        let third = slots.clone();
        let waiting = tokio::spawn(async move { third.spawn(async {}).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "a third waits for a slot");
        release.send_replace(true);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("a slot frees up")
            .expect("no panic");
    }
}
