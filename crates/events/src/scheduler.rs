//! Scheduled rules: each enabled rule with a `rate(...)` or `cron(...)` schedule sends a
//! "Scheduled Event" to its targets whenever its schedule comes due on the engine's clock (a
//! test's virtual clock, or real time). Occurrences passed over by a jump of the clock each
//! fire (up to [`MAX_CATCH_UP`] per rule), with their own times.

use std::collections::HashMap;
use std::sync::Arc;

use ferrybridge_engine::events::Invocation;

use crate::context::Context;

/// Most occurrences of one rule fired at once after the clock jumped.
pub const MAX_CATCH_UP: usize = 1000;

/// Where a rule's schedule stands: the schedule it was computed for, and its next firing.
struct Due {
    expression: String,
    anchor_ms: u64,
    since_ms: u64,
    next_ms: Option<u64>,
}

pub(crate) async fn run(context: Arc<Context>) {
    let engine = context.engine.clone();
    let clock = engine.clock().clone();
    let mut due: HashMap<String, Due> = HashMap::new();
    loop {
        let now = clock.now_millis();
        // Taken before the rules are read: what a reset removes meanwhile does not fire.
        let generation = context.dispatcher.generation();
        let mut seen = std::collections::HashSet::new();
        let mut earliest: Option<u64> = None;
        for (bus, rule) in engine.scheduled_rules() {
            let config = rule.config();
            let Some(schedule) = config.schedule else {
                continue;
            };
            if !config.state.is_enabled() {
                continue;
            }
            seen.insert(rule.arn.clone());
            let entry = due.entry(rule.arn.clone()).or_insert_with(|| Due {
                expression: String::new(),
                anchor_ms: 0,
                since_ms: 0,
                next_ms: None,
            });
            if entry.expression != schedule.expression
                || entry.anchor_ms != schedule.anchor_ms
                || entry.since_ms != schedule.since_ms
            {
                // The first occurrence after the schedule came into force, however late this
                // task looks at it: occurrences a clock jump passed over still fire.
                entry.expression = schedule.expression.clone();
                entry.anchor_ms = schedule.anchor_ms;
                entry.since_ms = schedule.since_ms;
                entry.next_ms = schedule
                    .schedule
                    .next_fire_after(schedule.since_ms, schedule.anchor_ms);
            }
            let mut fired = 0;
            while let Some(at) = entry.next_ms.filter(|at| *at <= now) {
                if fired < MAX_CATCH_UP {
                    let event = engine.scheduled_event(&bus, &rule, at);
                    let invocations: Vec<Invocation> = rule
                        .targets()
                        .into_iter()
                        .map(|target| Invocation {
                            event: event.clone(),
                            rule: rule.clone(),
                            target,
                            account_id: bus.account_id.clone(),
                            region: bus.region.clone(),
                        })
                        .collect();
                    context
                        .dispatcher
                        .dispatch_with(generation, None, invocations);
                    fired += 1;
                }
                entry.next_ms = schedule.schedule.next_fire_after(at, schedule.anchor_ms);
            }
            if let Some(next) = entry.next_ms {
                earliest = Some(earliest.map_or(next, |e| e.min(next)));
            }
        }
        due.retain(|arn, _| seen.contains(arn));
        match earliest {
            Some(at) => {
                tokio::select! {
                    _ = clock.sleep_until(at) => {}
                    _ = engine.schedules_changed() => {}
                }
            }
            None => engine.schedules_changed().await,
        }
    }
}
