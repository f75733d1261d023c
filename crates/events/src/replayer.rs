//! The replayer: runs each started replay in its own task, on the engine's clock —
//! [`REPLAY_START_DELAY_MS`] after StartReplay, then one minute of event time after another,
//! handing the invocations to the delivery workers like those of `PutEvents`.

use std::sync::Arc;

use ferrybridge_engine::events::replay::{Replay, ReplayStep, REPLAY_START_DELAY_MS};

use crate::delivery::Shared;

pub(crate) async fn run(shared: Arc<Shared>) {
    let engine = shared.engine.clone();
    loop {
        for replay in engine.take_pending_replays() {
            tokio::spawn(replay_one(shared.clone(), replay));
        }
        engine.replays_changed().await;
    }
}

async fn replay_one(shared: Arc<Shared>, replay: Arc<Replay>) {
    let engine = shared.engine.clone();
    let clock = engine.clock().clone();
    let generation = shared.dispatcher.generation();
    clock
        .sleep_until(replay.replay_start_ms + REPLAY_START_DELAY_MS)
        .await;
    // A replay restored at a restart goes on where it was (`--data-dir`).
    let mut from = engine.replay_resume_ms(&replay);
    loop {
        if engine.reset_since(generation, &replay.account_id, &replay.region) {
            // Reset: the replay is gone (marked cancelled by the reset).
            return;
        }
        match engine.replay_step(&replay, from) {
            (ReplayStep::Replayed(invocations), next) => {
                // Waits while the delivery queues are full: a replay is never shed.
                shared
                    .dispatcher
                    .dispatch_waiting(generation, invocations)
                    .await;
                from = next;
                // Let other tasks (deliveries, CancelReplay) in between minutes.
                tokio::task::yield_now().await;
            }
            (ReplayStep::Finished, _) => return,
        }
    }
}
