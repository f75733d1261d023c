//! The replayer: runs each started replay in its own task, on the engine's clock —
//! [`REPLAY_START_DELAY_MS`] after StartReplay, then one minute of event time after another,
//! handing the invocations to the delivery workers like those of `PutEvents`.

use std::sync::Arc;

use ferrybridge_engine::events::replay::{Replay, ReplayStep, REPLAY_START_DELAY_MS};

use crate::context::Context;

pub(crate) async fn run(context: Arc<Context>) {
    let engine = context.engine.clone();
    loop {
        for replay in engine.take_pending_replays() {
            tokio::spawn(replay_one(context.clone(), replay));
        }
        engine.replays_changed().await;
    }
}

async fn replay_one(context: Arc<Context>, replay: Arc<Replay>) {
    let engine = context.engine.clone();
    let clock = engine.clock().clone();
    let generation = context.dispatcher.generation();
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
                context
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
