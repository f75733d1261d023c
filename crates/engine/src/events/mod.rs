//! Amazon EventBridge: event buses, rules, targets, and what a matched event becomes.
//!
//! * [`schedule`]: `rate(...)` and `cron(...)` schedule expressions and when they fire.
//! * [`transform`]: a target's `Input`, `InputPath` or `InputTransformer` applied to an event.

pub mod schedule;
pub mod transform;
