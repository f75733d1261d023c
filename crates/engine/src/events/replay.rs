//! Replays: archived events sent again to the rules of their bus.
//!
//! As AWS documents (StartReplay), a replay selects the archived events whose `time` is in
//! `[EventStartTime, EventEndTime)` and sends them one minute of event time after another,
//! each with a `replay-name` field added to its envelope (right after `region`, where AWS puts
//! it) so consumers can tell replayed events apart; they go to every rule of the destination
//! bus, or only to the rules in `FilterArns`. The rules that feed archives never match them.
//!
//! A replay goes STARTING -> RUNNING -> COMPLETED, or CANCELLING -> CANCELLED after
//! `CancelReplay`, or FAILED when its archive or bus disappears. The service's replayer task
//! drives it: [`REPLAY_START_DELAY_MS`] after `StartReplay` on the engine's clock (AWS takes a
//! while to start a replay; this also lets a test on a manual clock see and cancel a replay
//! that has not started), then one minute of events at a time, checking for cancellation in
//! between.

use std::sync::Arc;

use parking_lot::Mutex;

use super::archive::ListFilter;
use super::error::EventsError;
use super::event::{Event, Invocation};
use super::target::TargetKind;
use super::{EventsEngine, Page};

/// Most replays of one account and region that may be STARTING or RUNNING at once (an AWS
/// quota; a further StartReplay is refused with LimitExceededException).
pub const MAX_ACTIVE_REPLAYS: usize = 10;

/// How long after `StartReplay` a replay starts running (engine clock).
pub const REPLAY_START_DELAY_MS: u64 = 1_000;

const MINUTE_MS: u64 = 60_000;

/// `State` of a replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayState {
    Starting,
    Running,
    Cancelling,
    Completed,
    Cancelled,
    Failed,
}

impl ReplayState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplayState::Starting => "STARTING",
            ReplayState::Running => "RUNNING",
            ReplayState::Cancelling => "CANCELLING",
            ReplayState::Completed => "COMPLETED",
            ReplayState::Cancelled => "CANCELLED",
            ReplayState::Failed => "FAILED",
        }
    }

    pub(crate) fn is_finished(self) -> bool {
        matches!(
            self,
            ReplayState::Completed | ReplayState::Cancelled | ReplayState::Failed
        )
    }
}

/// What changes while a replay runs.
#[derive(Debug, Clone)]
pub struct ReplayProgress {
    pub state: ReplayState,
    pub state_reason: Option<String>,
    /// The `time` of the last event replayed.
    pub event_last_replayed_ms: Option<u64>,
    /// When the replay finished (completed, cancelled or failed).
    pub replay_end_ms: Option<u64>,
    /// `--data-dir`: the event time a restarted replay goes on from (the start of the minute
    /// it was replaying), and how many changes the progress has seen (the latest journaled
    /// progress wins at a restart).
    pub(crate) resume_ms: Option<u64>,
    pub(crate) version: u64,
}

/// What `StartReplay` asks for.
#[derive(Debug, Clone)]
pub struct ReplayRequest {
    pub name: String,
    pub description: Option<String>,
    /// The archive's ARN (`EventSourceArn`).
    pub event_source_arn: String,
    pub event_start_ms: u64,
    pub event_end_ms: u64,
    /// `Destination.Arn`: the archive's bus.
    pub destination_arn: String,
    /// `Destination.FilterArns`: only these rules get the events (all rules if empty).
    pub filter_arns: Vec<String>,
}

/// One replay.
#[derive(Debug)]
pub struct Replay {
    pub arn: String,
    pub account_id: String,
    pub region: String,
    pub request: ReplayRequest,
    pub replay_start_ms: u64,
    pub(crate) progress: Mutex<ReplayProgress>,
}

impl Replay {
    pub fn name(&self) -> &str {
        &self.request.name
    }

    pub fn progress(&self) -> ReplayProgress {
        self.progress.lock().clone()
    }

    pub(crate) fn finish(&self, state: ReplayState, reason: Option<String>, now_ms: u64) {
        let mut progress = self.progress.lock();
        progress.state = state;
        progress.state_reason = reason;
        progress.replay_end_ms = Some(now_ms);
    }
}

/// What one step of a replay did.
#[derive(Debug)]
pub enum ReplayStep {
    /// These invocations are to be carried out; more steps follow.
    Replayed(Vec<Invocation>),
    /// The replay ended (completed, cancelled or failed).
    Finished,
}

/// The ARN of replay `name`.
pub fn replay_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:events:{region}:{account}:replay/{name}")
}

/// `json` (an envelope's text) with `"replay-name"` added after `region`, where AWS puts it.
/// The first `,"resources":` is the envelope's: `detail` comes after it, and a quote inside a
/// string value is always escaped.
pub fn with_replay_name(json: &str, replay_name: &str) -> String {
    let name = serde_json::to_string(replay_name).unwrap_or_default();
    match json.find(",\"resources\":") {
        Some(at) => format!("{},\"replay-name\":{name}{}", &json[..at], &json[at..]),
        None => json.to_owned(),
    }
}

impl EventsEngine {
    /// `StartReplay`: checks the request as AWS does and queues the replay for the replayer.
    pub fn start_replay(
        &self,
        account: &str,
        region: &str,
        request: ReplayRequest,
    ) -> Result<Arc<Replay>, EventsError> {
        if request.event_end_ms <= request.event_start_ms {
            return Err(EventsError::validation(
                "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.",
            ));
        }
        let archive = self
            .archive_by_arn(&request.event_source_arn)
            .ok_or_else(|| {
                let name = request
                    .event_source_arn
                    .rsplit_once('/')
                    .map_or(request.event_source_arn.as_str(), |(_, n)| n);
                EventsError::validation(format!(
                    "Parameter EventSourceArn is not valid. Reason: Archive {name} does not exist."
                ))
            })?;
        if request.destination_arn != archive.event_source_arn {
            return Err(match self.bus_by_arn(&request.destination_arn) {
                Some(_) => EventsError::validation(
                    "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.",
                ),
                None => EventsError::bus_not_found(
                    request
                        .destination_arn
                        .rsplit_once('/')
                        .map_or(request.destination_arn.as_str(), |(_, n)| n),
                ),
            });
        }
        let store = self.region(account, region);
        let mut replays = store.replays.write();
        if replays.contains_key(&request.name) {
            return Err(EventsError::ResourceAlreadyExists(format!(
                "Replay {} already exists.",
                request.name
            )));
        }
        let active = replays
            .values()
            .filter(|r| {
                matches!(
                    r.progress().state,
                    ReplayState::Starting | ReplayState::Running
                )
            })
            .count();
        if active >= MAX_ACTIVE_REPLAYS {
            return Err(EventsError::LimitExceeded(
                "The requested resource exceeds the maximum number allowed.".into(),
            ));
        }
        let replay = Arc::new(Replay {
            arn: replay_arn(region, account, &request.name),
            account_id: account.to_owned(),
            region: region.to_owned(),
            replay_start_ms: self.now(),
            request,
            progress: Mutex::new(ReplayProgress {
                state: ReplayState::Starting,
                state_reason: None,
                event_last_replayed_ms: None,
                replay_end_ms: None,
                resume_ms: None,
                version: 0,
            }),
        });
        replays.insert(replay.request.name.clone(), replay.clone());
        drop(replays);
        self.pending_replays.lock().push(replay.clone());
        self.replays_changed.notify_one();
        Ok(replay)
    }

    /// The replay named `name`.
    pub fn replay(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<Arc<Replay>, EventsError> {
        self.region(account, region)
            .replays
            .read()
            .get(name)
            .cloned()
            .ok_or_else(|| EventsError::ResourceNotFound(format!("Replay {name} does not exist.")))
    }

    /// `ListReplays`: by name, optionally only those with a name prefix, a state or an archive.
    pub fn list_replays(
        &self,
        account: &str,
        region: &str,
        filter: ListFilter<'_>,
        token: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Page<Arc<Replay>>, EventsError> {
        let ListFilter {
            name_prefix,
            source_arn: event_source_arn,
            state,
        } = filter;
        let all: Vec<Arc<Replay>> = self
            .region(account, region)
            .replays
            .read()
            .values()
            .filter(|r| name_prefix.is_none_or(|p| r.name().starts_with(p)))
            .filter(|r| event_source_arn.is_none_or(|a| r.request.event_source_arn == a))
            .filter(|r| state.is_none_or(|s| r.progress().state.as_str() == s))
            .cloned()
            .collect();
        super::page(all, token, limit)
    }

    /// `CancelReplay`: a replay that has not finished becomes CANCELLING (the replayer stops it
    /// before its next minute of events and marks it CANCELLED).
    pub fn cancel_replay(&self, replay: &Replay) -> Result<ReplayState, EventsError> {
        let mut progress = replay.progress.lock();
        match progress.state {
            ReplayState::Starting | ReplayState::Running => {
                progress.state = ReplayState::Cancelling;
                progress.version += 1;
                drop(progress);
                self.replays_changed.notify_one();
                Ok(ReplayState::Cancelling)
            }
            _ => Err(EventsError::IllegalStatus(format!(
                "Replay {} is not in a valid state for this operation.",
                replay.name()
            ))),
        }
    }

    /// Replays started and not yet handed to the replayer.
    pub fn take_pending_replays(&self) -> Vec<Arc<Replay>> {
        std::mem::take(&mut *self.pending_replays.lock())
    }

    /// Completes when a replay may have been started or cancelled.
    pub async fn replays_changed(&self) {
        self.replays_changed.notified().await
    }

    /// Where the replayer starts `replay`: its start time, or where it was at a restart.
    pub fn replay_resume_ms(&self, replay: &Replay) -> u64 {
        replay
            .progress
            .lock()
            .resume_ms
            .unwrap_or(replay.request.event_start_ms)
    }

    /// One step of `replay` from event time `from_ms` on: the archived events of the next
    /// minute of event time that has any (at most up to the end of the window), routed to the
    /// destination's rules. Returns the step and the event time the next step starts at.
    /// With `--data-dir` the progress is journaled (a restarted replay goes on from the
    /// minute being replayed).
    pub fn replay_step(&self, replay: &Replay, from_ms: u64) -> (ReplayStep, u64) {
        if replay.progress().state.is_finished() {
            return (ReplayStep::Finished, from_ms);
        }
        let out = self.replay_step_inner(replay, from_ms);
        {
            let mut progress = replay.progress.lock();
            progress.resume_ms = Some(from_ms);
            progress.version += 1;
            if let Some(j) = &self.journal {
                let mut buf = Vec::new();
                super::persist::frame_replay(&mut buf, replay, &progress);
                crate::persist::append(&**j, &buf);
            }
        }
        out
    }

    fn replay_step_inner(&self, replay: &Replay, from_ms: u64) -> (ReplayStep, u64) {
        let now = self.now();
        {
            let mut progress = replay.progress.lock();
            match progress.state {
                ReplayState::Cancelling => {
                    drop(progress);
                    replay.finish(ReplayState::Cancelled, None, now);
                    return (ReplayStep::Finished, from_ms);
                }
                state if state.is_finished() => return (ReplayStep::Finished, from_ms),
                ReplayState::Starting => progress.state = ReplayState::Running,
                _ => {}
            }
        }
        let request = &replay.request;
        let Some(archive) = self.archive_by_arn(&request.event_source_arn) else {
            replay.finish(
                ReplayState::Failed,
                Some("The archive of this replay was deleted.".into()),
                now,
            );
            return (ReplayStep::Finished, from_ms);
        };
        let Some(bus) = self.bus_by_arn(&request.destination_arn) else {
            replay.finish(
                ReplayState::Failed,
                Some("The destination event bus of this replay was deleted.".into()),
                now,
            );
            return (ReplayStep::Finished, from_ms);
        };
        let events = archive.events_between(from_ms, request.event_end_ms, now);
        let Some(first) = events.first() else {
            replay.finish(ReplayState::Completed, None, now);
            return (ReplayStep::Finished, request.event_end_ms);
        };
        // The minute of event time the first remaining event is in.
        let minute_end = (first.time_ms / MINUTE_MS + 1) * MINUTE_MS;
        let mut invocations = Vec::new();
        let mut last = None;
        for archived in events.iter().take_while(|e| e.time_ms < minute_end) {
            let original = &archived.event;
            let event = Arc::new(Event::from_json(
                with_replay_name(&original.json, request.name.as_str()),
                &original.id,
                &original.account,
                &original.region,
                now,
                original.trace_header.clone(),
                original.hops,
            ));
            for rule in bus.matching_rules(&event.json) {
                if !request.filter_arns.is_empty() && !request.filter_arns.contains(&rule.arn) {
                    continue;
                }
                for target in rule.targets() {
                    if matches!(target.kind, TargetKind::Archive(_)) {
                        continue;
                    }
                    invocations.push(Invocation {
                        event: event.clone(),
                        rule: rule.clone(),
                        target,
                        account_id: bus.account_id.clone(),
                        region: bus.region.clone(),
                    });
                }
            }
            last = Some(archived.time_ms);
        }
        if let Some(time) = last {
            replay.progress.lock().event_last_replayed_ms = Some(time);
        }
        (ReplayStep::Replayed(invocations), minute_end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_name_goes_after_region() {
        let json = r#"{"version":"0","id":"x","detail-type":"a","source":"b","account":"1","time":"2024-02-29T23:59:58Z","region":"r","resources":["q"],"detail":{"resources":1}}"#;
        assert_eq!(
            with_replay_name(json, "re\"play"),
            r#"{"version":"0","id":"x","detail-type":"a","source":"b","account":"1","time":"2024-02-29T23:59:58Z","region":"r","replay-name":"re\"play","resources":["q"],"detail":{"resources":1}}"#
        );
    }
}
