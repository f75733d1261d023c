//! Archives: the events arriving on a bus that match an archive's pattern, kept for replays.
//!
//! As on AWS, an archive works through a rule EventBridge manages on the source bus,
//! `Events-Archive-<archive name>` (ManagedBy `prod.vhs.events.aws.internal`), whose pattern
//! is the archive's pattern plus `"replay-name": [{"exists": false}]`: replayed events are
//! never archived again. The rule is visible to `ListRules`/`DescribeRule` like any managed
//! rule; its one target stands for the archive. An event is archived while `PutEvents` routes
//! it, so an acknowledged event is in the archive before the call returns.
//!
//! Events older than the archive's `RetentionDays` (0 = forever) are dropped, by the engine's
//! clock, whenever the archive is read or written.

use std::collections::VecDeque;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use serde_json::{json, Value};

use super::error::EventsError;
use super::event::Event;
use super::target::{RetryPolicy, Target, TargetKind};
use super::transform::TargetInput;
use super::{EventsEngine, Page, PutRuleInput};

/// `ManagedBy` of the rules behind archives (what AWS shows for them).
pub const ARCHIVE_RULE_MANAGED_BY: &str = "prod.vhs.events.aws.internal";

const DAY_MS: u64 = 86_400_000;

/// The name of the managed rule that feeds archive `archive`.
pub fn archive_rule_name(archive: &str) -> String {
    format!("Events-Archive-{archive}")
}

/// The ARN of archive `name`.
pub fn archive_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:events:{region}:{account}:archive/{name}")
}

/// The filters of `ListArchives` and `ListReplays`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListFilter<'a> {
    pub name_prefix: Option<&'a str>,
    /// `EventSourceArn`: the bus of archives, the archive of replays.
    pub source_arn: Option<&'a str>,
    pub state: Option<&'a str>,
}

/// What `CreateArchive`/`UpdateArchive` set.
#[derive(Debug, Clone, Default)]
pub struct ArchiveSettings {
    pub description: Option<String>,
    /// The pattern as given (answered by `DescribeArchive`); `None` archives every event.
    pub event_pattern: Option<String>,
    /// `RetentionDays`: 0 keeps events forever.
    pub retention_days: u32,
    pub kms_key_identifier: Option<String>,
}

/// One archived event.
#[derive(Debug, Clone)]
pub struct ArchivedEvent {
    pub event: Arc<Event>,
    /// When it was archived (ms since the epoch, engine clock): retention counts from it.
    pub archived_ms: u64,
    /// The event's `time` (ms since the epoch): replays select and order by it.
    pub time_ms: u64,
    /// Its number in the archive (from 0, in the order events arrived; `--data-dir` journals
    /// it so that a checkpoint and the event's own record are not restored twice).
    pub seq: u64,
}

#[derive(Debug, Default)]
pub(crate) struct ArchiveEvents {
    pub(crate) events: VecDeque<ArchivedEvent>,
    pub(crate) size_bytes: u64,
    /// The `seq` of the next event.
    pub(crate) next_seq: u64,
}

/// One archive.
#[derive(Debug)]
pub struct Archive {
    pub name: String,
    pub arn: String,
    pub account_id: String,
    pub region: String,
    /// The ARN of the bus whose events are archived.
    pub event_source_arn: String,
    pub bus_name: String,
    pub created_ms: u64,
    /// A random id, told apart from an earlier archive of the same name in the journal
    /// (`--data-dir`): the events journaled for a deleted archive never reach a new one.
    pub(crate) uid: u64,
    pub(crate) settings: RwLock<ArchiveSettings>,
    pub(crate) events: Mutex<ArchiveEvents>,
}

/// What `DescribeArchive` and `ListArchives` show of an archive.
#[derive(Debug, Clone)]
pub struct ArchiveView {
    pub name: String,
    pub arn: String,
    pub event_source_arn: String,
    pub settings: ArchiveSettings,
    /// Always `ENABLED`: archives are ready as soon as they are created.
    pub state: &'static str,
    pub event_count: u64,
    pub size_bytes: u64,
    pub created_ms: u64,
}

impl Archive {
    pub fn settings(&self) -> ArchiveSettings {
        self.settings.read().clone()
    }

    /// Drops the events past the retention period.
    pub(crate) fn expire(&self, events: &mut ArchiveEvents, now_ms: u64) {
        let days = self.settings.read().retention_days;
        if days == 0 {
            return;
        }
        let cutoff = now_ms.saturating_sub(u64::from(days) * DAY_MS);
        while let Some(first) = events.events.front() {
            if first.archived_ms >= cutoff {
                break;
            }
            events.size_bytes -= first.event.json.len() as u64;
            events.events.pop_front();
        }
    }

    /// Archives `event`; with `journal` (`--data-dir`) its record is appended under the
    /// archive's lock (so an archive's records are in the order of its events), and the
    /// current request waits for it before it answers.
    fn add(&self, event: &Arc<Event>, now_ms: u64, journal: Option<&dyn crate::persist::Journal>) {
        let time_ms = event_time_ms(&event.json).unwrap_or(event.ingestion_ms);
        let mut events = self.events.lock();
        self.expire(&mut events, now_ms);
        events.size_bytes += event.json.len() as u64;
        let archived = ArchivedEvent {
            event: event.clone(),
            archived_ms: now_ms,
            time_ms,
            seq: events.next_seq,
        };
        events.next_seq += 1;
        if let Some(j) = journal {
            let mut buf = Vec::with_capacity(event.json.len() + 128);
            super::persist::frame_archived(&mut buf, self, &archived);
            crate::persist::append(j, &buf);
        }
        events.events.push_back(archived);
    }

    /// The archived events whose `time` is in `[start_ms, end_ms)`, ordered by it (events of
    /// the same time in the order they arrived).
    pub fn events_between(&self, start_ms: u64, end_ms: u64, now_ms: u64) -> Vec<ArchivedEvent> {
        let mut events = self.events.lock();
        self.expire(&mut events, now_ms);
        let mut selected: Vec<ArchivedEvent> = events
            .events
            .iter()
            .filter(|e| e.time_ms >= start_ms && e.time_ms < end_ms)
            .cloned()
            .collect();
        selected.sort_by_key(|e| e.time_ms);
        selected
    }

    fn view(&self, now_ms: u64) -> ArchiveView {
        let (event_count, size_bytes) = {
            let mut events = self.events.lock();
            self.expire(&mut events, now_ms);
            (events.events.len() as u64, events.size_bytes)
        };
        ArchiveView {
            name: self.name.clone(),
            arn: self.arn.clone(),
            event_source_arn: self.event_source_arn.clone(),
            settings: self.settings(),
            state: "ENABLED",
            event_count,
            size_bytes,
            created_ms: self.created_ms,
        }
    }
}

/// The `time` of an event from its envelope text (`"time":"2024-01-01T00:00:00Z"`, the first
/// `"time"` key: the envelope's come before `detail`, and a quote inside a string value is
/// always escaped, so the text cannot occur earlier).
pub fn event_time_ms(json: &str) -> Option<u64> {
    let start = json.find(",\"time\":\"")? + 9;
    let t = json.get(start..start + 20)?;
    let num = |range: std::ops::Range<usize>| t.get(range)?.parse::<u8>().ok();
    let year = t.get(0..4)?.parse::<i32>().ok()?;
    let month = time::Month::try_from(num(5..7)?).ok()?;
    let date = time::Date::from_calendar_date(year, month, num(8..10)?).ok()?;
    let at = date
        .with_hms(num(11..13)?, num(14..16)?, num(17..19)?)
        .ok()?;
    u64::try_from(at.assume_utc().unix_timestamp())
        .ok()
        .map(|s| s * 1000)
}

/// The pattern of an archive's managed rule: the archive's pattern (every event if none) and
/// no `replay-name`.
fn archive_rule_pattern(pattern: Option<&str>) -> Result<String, EventsError> {
    let mut pattern = match pattern.filter(|p| !p.trim().is_empty()) {
        None => serde_json::Map::new(),
        Some(text) => {
            // The pattern crate words the error as AWS does.
            ferrybridge_pattern::EventPattern::parse(text)
                .map_err(|e| EventsError::InvalidEventPattern(e.to_string()))?;
            match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(map)) => map,
                _ => {
                    return Err(EventsError::InvalidEventPattern(
                        "Event pattern is not valid. Reason: Filter is not an object".into(),
                    ))
                }
            }
        }
    };
    pattern.insert("replay-name".into(), json!([{ "exists": false }]));
    Ok(Value::Object(pattern).to_string())
}

impl EventsEngine {
    /// `CreateArchive` on the bus with ARN `event_source_arn`.
    pub fn create_archive(
        &self,
        account: &str,
        region: &str,
        name: &str,
        event_source_arn: &str,
        settings: ArchiveSettings,
    ) -> Result<Arc<Archive>, EventsError> {
        let bus = self.bus_by_arn(event_source_arn).ok_or_else(|| {
            let name = event_source_arn
                .rsplit_once('/')
                .map_or(event_source_arn, |(_, n)| n);
            EventsError::bus_not_found(name)
        })?;
        let rule_pattern = archive_rule_pattern(settings.event_pattern.as_deref())?;
        let store = self.region(account, region);
        let exists =
            || EventsError::ResourceAlreadyExists(format!("Archive {name} already exists."));
        // The archive map is not held while the managed rule is put on the bus (another
        // resource); the name is checked again when the archive is inserted.
        if store.archives.read().contains_key(name) {
            return Err(exists());
        }
        let arn = archive_arn(region, account, name);
        let rule_name = archive_rule_name(name);
        let rule = self.put_managed_rule(
            account,
            &bus,
            PutRuleInput {
                name: rule_name.clone(),
                event_pattern: Some(rule_pattern),
                ..PutRuleInput::default()
            },
            ARCHIVE_RULE_MANAGED_BY,
        )?;
        let uuid = uuid::Uuid::new_v4();
        let template = json!({
            "archive-arn": format!("{arn}:{uuid}"),
            "event": "<aws.events.event.json>",
            "ingestion-time": "<aws.events.event.ingestion-time>",
        })
        .to_string()
        .replace("\"<aws.events.event.json>\"", "<aws.events.event.json>")
        .replace(
            "\"<aws.events.event.ingestion-time>\"",
            "<aws.events.event.ingestion-time>",
        );
        let target_arn = format!("arn:aws:events:{region}:::");
        *rule.targets.write() = vec![Arc::new(Target {
            id: rule_name.clone(),
            arn: target_arn.clone(),
            kind: TargetKind::Archive(arn.clone()),
            input: TargetInput::Event,
            retry_policy: RetryPolicy::default(),
            dead_letter_arn: None,
            message_group_id: None,
            description: json!({
                "Id": rule_name,
                "Arn": target_arn,
                "InputTransformer": {"InputPathsMap": {}, "InputTemplate": template},
            }),
        })];
        let archive = Arc::new(Archive {
            name: name.to_owned(),
            arn,
            account_id: account.to_owned(),
            region: region.to_owned(),
            event_source_arn: bus.arn.clone(),
            bus_name: bus.name.clone(),
            created_ms: self.now(),
            uid: rand::random(),
            settings: RwLock::new(settings),
            events: Mutex::new(ArchiveEvents::default()),
        });
        let mut archives = store.archives.write();
        if archives.contains_key(name) {
            return Err(exists());
        }
        archives.insert(name.to_owned(), archive.clone());
        Ok(archive)
    }

    /// The archive named `name` in `account`/`region`.
    pub fn archive(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<Arc<Archive>, EventsError> {
        self.region(account, region)
            .archives
            .read()
            .get(name)
            .cloned()
            .ok_or_else(|| EventsError::ResourceNotFound(format!("Archive {name} does not exist.")))
    }

    /// The archive with ARN `arn`, if it exists.
    pub fn archive_by_arn(&self, arn: &str) -> Option<Arc<Archive>> {
        let (account, region, name) = super::events_resource(arn, "archive/")?;
        self.region(account, region)
            .archives
            .read()
            .get(name)
            .cloned()
    }

    /// `DescribeArchive`.
    pub fn describe_archive(&self, archive: &Archive) -> ArchiveView {
        archive.view(self.now())
    }

    /// `UpdateArchive`: the given settings replace the archive's (`None` leaves one as it
    /// is); a new pattern changes what the archive's rule matches from now on.
    pub fn update_archive(
        &self,
        archive: &Archive,
        description: Option<String>,
        event_pattern: Option<String>,
        retention_days: Option<u32>,
        kms_key_identifier: Option<String>,
    ) -> Result<ArchiveView, EventsError> {
        if let Some(pattern) = &event_pattern {
            let rule_pattern = archive_rule_pattern(Some(pattern))?;
            if let Some(bus) = self.bus_by_arn(&archive.event_source_arn) {
                let rule = bus
                    .rules
                    .read()
                    .by_name
                    .get(&archive_rule_name(&archive.name))
                    .cloned();
                if let Some(rule) = rule {
                    let parsed = ferrybridge_pattern::EventPattern::parse(&rule_pattern)
                        .map_err(|e| EventsError::InvalidEventPattern(e.to_string()))?;
                    rule.config.write().event_pattern = Some((rule_pattern, Arc::new(parsed)));
                    super::reindex(&mut bus.rules.write(), &rule);
                }
            }
        }
        {
            let mut settings = archive.settings.write();
            if description.is_some() {
                settings.description = description;
            }
            if event_pattern.is_some() {
                settings.event_pattern = event_pattern;
            }
            if let Some(days) = retention_days {
                settings.retention_days = days;
            }
            if kms_key_identifier.is_some() {
                settings.kms_key_identifier = kms_key_identifier;
            }
        }
        Ok(archive.view(self.now()))
    }

    /// `DeleteArchive`: the archive, its events and its managed rule go.
    pub fn delete_archive(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<(), EventsError> {
        let archive = self
            .region(account, region)
            .archives
            .write()
            .remove(name)
            .ok_or_else(|| {
                EventsError::ResourceNotFound(format!("Archive {name} does not exist."))
            })?;
        if let Some(bus) = self.bus_by_arn(&archive.event_source_arn) {
            let mut rules = bus.rules.write();
            let rule_name = archive_rule_name(name);
            if rules.by_name.remove(&rule_name).is_some() {
                rules.matcher.remove(&Arc::from(rule_name.as_str()));
            }
        }
        Ok(())
    }

    /// `ListArchives`: by name, optionally only those with a name prefix, a source bus or a
    /// state.
    pub fn list_archives(
        &self,
        account: &str,
        region: &str,
        filter: ListFilter<'_>,
        token: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Page<ArchiveView>, EventsError> {
        let ListFilter {
            name_prefix,
            source_arn: event_source_arn,
            state,
        } = filter;
        if let Some(source) = event_source_arn {
            self.bus_by_arn(source).ok_or_else(|| {
                EventsError::bus_not_found(source.rsplit_once('/').map_or(source, |(_, n)| n))
            })?;
        }
        let now = self.now();
        let all: Vec<ArchiveView> = self
            .region(account, region)
            .archives
            .read()
            .values()
            .filter(|a| name_prefix.is_none_or(|p| a.name.starts_with(p)))
            .filter(|a| event_source_arn.is_none_or(|s| a.event_source_arn == s))
            .map(|a| a.view(now))
            .filter(|a| state.is_none_or(|s| a.state == s))
            .collect();
        super::page(all, token, limit)
    }

    /// Puts `event` into the archive with ARN `archive_arn` (what the archive's managed rule
    /// does with the events it matches).
    pub(crate) fn archive_event(&self, archive_arn: &str, event: &Arc<Event>) {
        if let Some(archive) = self.archive_by_arn(archive_arn) {
            archive.add(event, self.now(), self.journal.as_deref());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_envelope_time() {
        let json = r#"{"version":"0","id":"x","detail-type":"a","source":"b","account":"1","time":"2024-02-29T23:59:58Z","region":"r","resources":[],"detail":{"time":"no"}}"#;
        assert_eq!(event_time_ms(json), Some(1_709_251_198_000));
        assert_eq!(event_time_ms("{}"), None);
    }

    #[test]
    fn the_rule_pattern_excludes_replayed_events() {
        assert_eq!(
            archive_rule_pattern(None).unwrap(),
            r#"{"replay-name":[{"exists":false}]}"#
        );
        assert_eq!(
            archive_rule_pattern(Some(r#"{"source":["a"]}"#)).unwrap(),
            r#"{"source":["a"],"replay-name":[{"exists":false}]}"#
        );
        assert!(matches!(
            archive_rule_pattern(Some("{")),
            Err(EventsError::InvalidEventPattern(_))
        ));
    }
}
