//! Resets of the emulator's state (`POST /_ferrybridge/reset`) and the generation that
//! background work checks, so that nothing queued before a reset lands after it.
//!
//! Every piece of background work (an SNS delivery, an EventBridge invocation, a retry, a move
//! task, a replay) remembers the [`Resets::generation`] current when its call started. A reset
//! first makes the engines drop their state, then is [`Resets::record`]ed, then answers.
//! Before acting, and again after it has looked up the resource it acts on (a queue found by
//! ARN may be one created after the reset), the work asks [`Resets::since`] whether a reset
//! covering that resource happened after its call started, and if so discards itself. Work
//! that looked the resource up before the state was dropped holds the old resource, which is
//! no longer reachable: whatever it writes there is never seen. A resource created after the
//! reset answered is found only after the reset was recorded, so the check after the lookup
//! always sees it. (Recording after dropping matters: a call that read the generation between
//! the two still routed through the old state, and is discarded.)
//!
//! The check is one atomic load when no reset happened since; the history of resets (their
//! scope) is kept for the last [`HISTORY`] resets, and work older than that is discarded.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

/// Resets remembered for the scope check; older pending work is discarded.
pub const HISTORY: usize = 1024;

/// A service whose state can be reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Sqs,
    Sns,
    Events,
    Sts,
}

impl Service {
    pub const ALL: [Service; 4] = [Service::Sqs, Service::Sns, Service::Events, Service::Sts];

    /// `sqs`, `sns`, `events` or `sts` (also accepted: `eventbridge`).
    pub fn parse(name: &str) -> Option<Service> {
        match name.to_ascii_lowercase().as_str() {
            "sqs" => Some(Service::Sqs),
            "sns" => Some(Service::Sns),
            "events" | "eventbridge" => Some(Service::Events),
            "sts" => Some(Service::Sts),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Service::Sqs => "sqs",
            Service::Sns => "sns",
            Service::Events => "events",
            Service::Sts => "sts",
        }
    }
}

/// What a reset covers: every service, account and region unless narrowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResetScope {
    pub service: Option<Service>,
    pub account: Option<String>,
    pub region: Option<String>,
}

impl ResetScope {
    /// Everything.
    pub fn all() -> Self {
        Self::default()
    }

    /// Whether this reset covers `service`'s state.
    pub fn covers_service(&self, service: Service) -> bool {
        self.service.is_none_or(|s| s == service)
    }

    /// Whether this reset covers the (`account`, `region`) of a service's state.
    pub fn covers_location(&self, account: &str, region: &str) -> bool {
        self.account.as_deref().is_none_or(|a| a == account)
            && self.region.as_deref().is_none_or(|r| r == region)
    }

    pub fn covers(&self, service: Service, account: &str, region: &str) -> bool {
        self.covers_service(service) && self.covers_location(account, region)
    }
}

/// The reset generation and the recent resets' scopes. One per server, shared by its engines.
#[derive(Debug, Default)]
pub struct Resets {
    generation: AtomicU64,
    history: Mutex<VecDeque<(u64, ResetScope)>>,
}

impl Resets {
    pub fn new() -> Self {
        Self::default()
    }

    /// The current generation: remember it with the work being queued.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Records a reset (before the engines drop their state); returns its generation.
    pub fn record(&self, scope: ResetScope) -> u64 {
        let mut history = self.history.lock();
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        history.push_back((generation, scope));
        while history.len() > HISTORY {
            history.pop_front();
        }
        generation
    }

    /// Whether a reset covering `service` in `account`/`region` happened after `generation`.
    pub fn since(&self, generation: u64, service: Service, account: &str, region: &str) -> bool {
        if self.generation.load(Ordering::SeqCst) == generation {
            return false;
        }
        let history = self.history.lock();
        if history
            .front()
            .is_some_and(|(oldest, _)| *oldest > generation + 1)
        {
            // Older than the history: resets we no longer know the scope of came after it.
            return true;
        }
        history
            .iter()
            .any(|(g, scope)| *g > generation && scope.covers(service, account, region))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_is_stale_only_for_the_resets_that_cover_it() {
        let resets = Resets::new();
        let before = resets.generation();
        assert!(!resets.since(before, Service::Sqs, "111111111111", "us-east-1"));
        resets.record(ResetScope {
            service: Some(Service::Sns),
            account: Some("111111111111".into()),
            region: None,
        });
        assert!(resets.since(before, Service::Sns, "111111111111", "eu-west-1"));
        assert!(!resets.since(before, Service::Sqs, "111111111111", "us-east-1"));
        assert!(!resets.since(before, Service::Sns, "222222222222", "us-east-1"));
        let after = resets.generation();
        assert!(!resets.since(after, Service::Sns, "111111111111", "eu-west-1"));
        resets.record(ResetScope::all());
        assert!(resets.since(after, Service::Events, "222222222222", "us-east-1"));
    }

    #[test]
    fn work_older_than_the_history_is_stale() {
        let resets = Resets::new();
        let before = resets.generation();
        for _ in 0..HISTORY + 1 {
            resets.record(ResetScope {
                service: Some(Service::Sts),
                account: None,
                region: None,
            });
        }
        assert!(resets.since(before, Service::Sqs, "000000000000", "us-east-1"));
    }
}
