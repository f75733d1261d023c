//! EventBridge state in the journal (`--data-dir`), as SNS's (see `crate::sns::persist`): an
//! image of every bus with its settings, policy and tags, and its rules with their pattern,
//! schedule, state, tags and targets, connections and API destinations, written after every change (`EVENTS_STATE`); replay keeps
//! the last one.
//!
//! Scheduled rules: instants missed while the server was stopped are **skipped**. A restored
//! schedule is in force from the restart (`since_ms` = the start), so its first occurrence is
//! the first one after the start; rate schedules keep counting from when they were set.
//!
//! Connections are in the image with their secrets (the journal files are 0600), without
//! their OAuth token (fetched again when first needed); API destinations too.
//!
//! Archives and replays: their definitions are in the image (with the rules archives
//! manage); each archived event is a record of its own (`EVENTS_ARCHIVED`, appended while
//! `PutEvents` routes it, so the call waits for it), naming its archive by a random id (the
//! events of a deleted archive never reach a new one of the same name) and its number in it (a
//! checkpoint rewrites the live events; restoring keeps one of each number). A replay's
//! progress is a record of its own too (`EVENTS_REPLAY`, after each minute of event time);
//! the latest progress wins, and a replay running at the restart goes on from the minute of
//! event time it was replaying.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::RwLock;
use serde_json::Value;

use std::collections::HashMap;

use parking_lot::Mutex;

use super::api_destination::{ApiDestination, ApiDestinationConfig};
use super::archive::{
    archive_arn, Archive, ArchiveEvents, ArchiveSettings, ArchivedEvent, ARCHIVE_RULE_MANAGED_BY,
};
use super::bus::{BusSettings, EventBus};
use super::connection::{
    Auth, Connection, ConnectionConfig, ConnectionState, ConnectionStatus, HttpParameters,
    OAuthSettings, Parameter,
};
use super::event::Event;
use super::replay::{replay_arn, Replay, ReplayProgress, ReplayRequest, ReplayState};
use super::rule::{Rule, RuleConfig, RuleSchedule, RuleState};
use super::schedule::Schedule;
use super::target::{RetryPolicy, Target, TargetKind};
use super::transform::TargetInput;
use super::{reindex, EventsEngine, Region};
use crate::persist::{self, kind, Dec, Enc};

fn map(e: &mut Enc, m: &BTreeMap<String, String>) {
    e.u32(m.len() as u32);
    for (k, v) in m {
        e.str(k).str(v);
    }
}

fn read_map(d: &mut Dec) -> Result<BTreeMap<String, String>, String> {
    let n = d.u32()?;
    let mut m = BTreeMap::new();
    for _ in 0..n {
        let k = d.str()?.to_string();
        m.insert(k, d.str()?.to_string());
    }
    Ok(m)
}

fn opt(d: &mut Dec) -> Result<Option<String>, String> {
    Ok(d.opt_str()?.map(str::to_string))
}

fn opt_json(d: &mut Dec) -> Result<Option<Value>, String> {
    opt(d)?
        .map(|t| serde_json::from_str(&t).map_err(|e| format!("bad JSON in record: {e}")))
        .transpose()
}

/// The name prefix of the rules archives manage (see `archive::archive_rule_name`).
const ARCHIVE_RULE_PREFIX: &str = "Events-Archive-";

fn opt_u64(e: &mut Enc, v: Option<u64>) {
    match v {
        Some(v) => e.u8(1).u64(v),
        None => e.u8(0),
    };
}

fn read_opt_u64(d: &mut Dec) -> Result<Option<u64>, String> {
    Ok(match d.u8()? {
        0 => None,
        _ => Some(d.u64()?),
    })
}

/// Frames the record of one archived event (see the module doc).
pub(crate) fn frame_archived(buf: &mut Vec<u8>, archive: &Archive, a: &ArchivedEvent) {
    let mut e = Enc(Vec::with_capacity(a.event.json.len() + 128));
    e.str(&archive.account_id)
        .str(&archive.region)
        .str(&archive.name)
        .u64(archive.uid)
        .u64(a.seq)
        .u64(a.archived_ms)
        .u64(a.time_ms)
        .u64(a.event.ingestion_ms)
        .u8(a.event.hops)
        .str(&a.event.id)
        .str(&a.event.account)
        .str(&a.event.region)
        .opt_str(a.event.trace_header.as_deref())
        .str(&a.event.json);
    persist::frame(buf, kind::EVENTS_ARCHIVED, &e.0);
}

fn encode_progress(e: &mut Enc, p: &ReplayProgress) {
    let state = REPLAY_STATES
        .iter()
        .position(|s| *s == p.state)
        .unwrap_or(0);
    e.u64(p.version)
        .u8(state as u8)
        .opt_str(p.state_reason.as_deref());
    opt_u64(e, p.event_last_replayed_ms);
    opt_u64(e, p.replay_end_ms);
    opt_u64(e, p.resume_ms);
}

fn decode_progress(d: &mut Dec) -> Result<ReplayProgress, String> {
    let version = d.u64()?;
    let state = *REPLAY_STATES
        .get(usize::from(d.u8()?))
        .ok_or("bad replay state")?;
    Ok(ReplayProgress {
        version,
        state,
        state_reason: opt(d)?,
        event_last_replayed_ms: read_opt_u64(d)?,
        replay_end_ms: read_opt_u64(d)?,
        resume_ms: read_opt_u64(d)?,
    })
}

const REPLAY_STATES: [ReplayState; 6] = [
    ReplayState::Starting,
    ReplayState::Running,
    ReplayState::Cancelling,
    ReplayState::Completed,
    ReplayState::Cancelled,
    ReplayState::Failed,
];

/// Frames the record of a replay's progress (see the module doc).
pub(crate) fn frame_replay(buf: &mut Vec<u8>, replay: &Replay, progress: &ReplayProgress) {
    let mut e = Enc::default();
    e.str(&replay.account_id)
        .str(&replay.region)
        .str(replay.name())
        .u64(replay.replay_start_ms);
    encode_progress(&mut e, progress);
    persist::frame(buf, kind::EVENTS_REPLAY, &e.0);
}

/// (account, region, name, id or start time): an archive or a replay in the journal.
type NamedId = (String, String, String, u64);

/// Archived-event and replay-progress records read at start, applied after the last image
/// (see [`EventsEngine::restore`]).
#[derive(Default)]
pub struct EventsReplay {
    /// The last whole image (written by earlier versions; pieces after it apply on top).
    image: Option<Vec<u8>>,
    /// The last record of each piece.
    pieces: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// Archived events by (account, region, archive, archive id), then by number.
    archived: HashMap<NamedId, BTreeMap<u64, Vec<u8>>>,
    /// The latest progress of each replay (account, region, name, start).
    replays: HashMap<NamedId, (u64, Vec<u8>)>,
}

impl EventsReplay {
    /// Takes one EventBridge record; `Ok(false)` for another service's.
    pub fn apply(&mut self, record_kind: u8, data: &[u8]) -> Result<bool, String> {
        match record_kind {
            kind::EVENTS_STATE => {
                self.image = Some(data.to_vec());
                self.pieces.clear();
            }
            kind::EVENTS_PIECE => {
                let (key, body) = persist::read_piece(data)?;
                self.pieces.insert(key, body);
            }
            kind::EVENTS_ARCHIVED => {
                let mut d = Dec(data);
                let key = read_archive_key(&mut d)?;
                let seq = d.u64()?;
                self.archived
                    .entry(key)
                    .or_default()
                    .insert(seq, d.0.to_vec());
            }
            kind::EVENTS_REPLAY => {
                let mut d = Dec(data);
                let key = read_archive_key(&mut d)?;
                let version = d.u64()?;
                let newer = self.replays.get(&key).is_none_or(|(v, _)| *v < version);
                if newer {
                    self.replays.insert(key, (version, data.to_vec()));
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Whether anything was read.
    pub fn is_empty(&self) -> bool {
        self.image.is_none()
            && self.pieces.is_empty()
            && self.archived.is_empty()
            && self.replays.is_empty()
    }
}

/// The key an archived event or a replay record starts with: (account, region, name, uid).
fn read_archive_key(d: &mut Dec) -> Result<NamedId, String> {
    Ok((
        d.str()?.to_owned(),
        d.str()?.to_owned(),
        d.str()?.to_owned(),
        d.u64()?,
    ))
}

fn decode_archived(d: &mut Dec, seq: u64) -> Result<ArchivedEvent, String> {
    let archived_ms = d.u64()?;
    let time_ms = d.u64()?;
    let ingestion_ms = d.u64()?;
    let hops = d.u8()?;
    let id = d.str()?.to_owned();
    let account = d.str()?.to_owned();
    let region = d.str()?.to_owned();
    let trace_header = opt(d)?;
    let json = d.str()?.to_owned();
    Ok(ArchivedEvent {
        event: Arc::new(Event::from_json(
            json,
            &id,
            &account,
            &region,
            ingestion_ms,
            trace_header,
            hops,
        )),
        archived_ms,
        time_ms,
        seq,
    })
}

fn encode_rule(e: &mut Enc, rule: &Rule) {
    // (The rules archives manage are kept like the others; their target is told apart by
    // its ManagedBy and name when restored.)
    let config = rule.config.read().clone();
    e.str(&rule.name)
        .str(&rule.created_by)
        .opt_str(rule.managed_by.as_deref())
        .opt_str(config.event_pattern.as_ref().map(|(t, _)| t.as_str()))
        .opt_str(config.schedule.as_ref().map(|s| s.expression.as_str()))
        .u64(config.schedule.as_ref().map_or(0, |s| s.anchor_ms))
        .str(config.state.as_str())
        .opt_str(config.description.as_deref())
        .opt_str(config.role_arn.as_deref());
    map(e, &rule.tags.read());
    let targets = rule.targets.read().clone();
    e.u32(targets.len() as u32);
    for t in targets {
        e.str(&t.id)
            .str(&t.arn)
            .u32(t.retry_policy.maximum_retry_attempts)
            .u32(t.retry_policy.maximum_event_age_seconds)
            .opt_str(t.dead_letter_arn.as_deref())
            .opt_str(t.message_group_id.as_deref())
            .str(&t.description.to_string());
    }
}

/// A target as `PutTargets` made it, from its journaled fields and description; `archive`:
/// the ARN of the archive whose managed rule this target is on.
fn decode_target(d: &mut Dec, archive: Option<&str>) -> Result<Target, String> {
    let id = d.str()?.to_string();
    let arn = d.str()?.to_string();
    let retry_policy = RetryPolicy {
        maximum_retry_attempts: d.u32()?,
        maximum_event_age_seconds: d.u32()?,
    };
    let dead_letter_arn = opt(d)?;
    let message_group_id = opt(d)?;
    let description: Value =
        serde_json::from_str(d.str()?).map_err(|e| format!("target {id}: {e}"))?;
    if let Some(archive) = archive {
        return Ok(Target {
            id,
            arn,
            kind: TargetKind::Archive(archive.to_owned()),
            input: TargetInput::Event,
            retry_policy,
            dead_letter_arn,
            message_group_id,
            description,
        });
    }
    let kind = TargetKind::of(&arn).ok_or_else(|| format!("target {id}: bad ARN {arn}"))?;
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let transformer = description.get("InputTransformer").map(|tr| {
        let paths: Vec<(String, String)> = tr
            .get("InputPathsMap")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        (paths, text(tr.get("InputTemplate")).unwrap_or_default())
    });
    let input = TargetInput::from_put_targets(
        &id,
        text(description.get("Input")).as_deref(),
        text(description.get("InputPath")).as_deref(),
        transformer
            .as_ref()
            .map(|(paths, template)| (paths.as_slice(), template.as_str())),
    )
    .map_err(|e| format!("target {id}: {e}"))?;
    Ok(Target {
        id,
        arn,
        kind,
        input,
        retry_policy,
        dead_letter_arn,
        message_group_id,
        description,
    })
}

const PIECE_BUS: u8 = 1;
const PIECE_REGION: u8 = 2;
const PIECE_RULE: u8 = 3;

fn encode_bus(e: &mut Enc, bus: &EventBus) {
    e.u64(bus.created_ms);
    let state = bus.state.read();
    let s = &state.settings;
    e.opt_str(s.description.as_deref())
        .opt_str(s.kms_key_identifier.as_deref())
        .opt_str(s.dead_letter_arn.as_deref())
        .opt_str(s.log_config.as_ref().map(Value::to_string).as_deref())
        .opt_str(s.event_source_name.as_deref())
        .opt_str(state.policy.as_ref().map(Value::to_string).as_deref())
        .u64(state.last_modified_ms);
    map(e, &state.tags);
}

fn decode_bus(d: &mut Dec, account: &str, region: &str, name: &str) -> Result<EventBus, String> {
    let created_ms = d.u64()?;
    let settings = BusSettings {
        description: opt(d)?,
        kms_key_identifier: opt(d)?,
        dead_letter_arn: opt(d)?,
        log_config: opt_json(d)?,
        event_source_name: opt(d)?,
    };
    let bus = EventBus::new(account, region, name, settings, created_ms);
    if let Some(policy) = opt_json(d)? {
        bus.set_policy(policy, created_ms);
    }
    let last_modified_ms = d.u64()?;
    let mut state = bus.state.write();
    state.last_modified_ms = last_modified_ms;
    state.tags = read_map(d)?;
    drop(state);
    Ok(bus)
}

/// A region's connections, API destinations, archives and replays.
fn encode_region(e: &mut Enc, r: &Region) {
    let connections: Vec<Arc<Connection>> = r
        .connectivity
        .connections
        .read()
        .values()
        .cloned()
        .collect();
    e.u32(connections.len() as u32);
    for c in connections {
        encode_connection(e, &c);
    }
    let destinations: Vec<Arc<ApiDestination>> = r
        .connectivity
        .api_destinations
        .read()
        .values()
        .cloned()
        .collect();
    e.u32(destinations.len() as u32);
    for a in destinations {
        let config = a.config();
        e.str(&a.name)
            .str(&a.arn)
            .u64(a.created_ms)
            .u64(a.last_modified_ms())
            .opt_str(config.description.as_deref())
            .str(&config.connection_arn)
            .str(&config.invocation_endpoint)
            .str(&config.http_method)
            .u32(config.invocation_rate_limit_per_second);
    }
    encode_archives_replays(e, r);
}

fn encode_archives_replays(e: &mut Enc, r: &Region) {
    let archives: Vec<Arc<Archive>> = r.archives.read().values().cloned().collect();
    e.u32(archives.len() as u32);
    for a in archives {
        let settings = a.settings();
        e.str(&a.name)
            .u64(a.uid)
            .str(&a.event_source_arn)
            .str(&a.bus_name)
            .u64(a.created_ms)
            .opt_str(settings.description.as_deref())
            .opt_str(settings.event_pattern.as_deref())
            .u32(settings.retention_days)
            .opt_str(settings.kms_key_identifier.as_deref());
    }
    let replays: Vec<Arc<Replay>> = r.replays.read().values().cloned().collect();
    e.u32(replays.len() as u32);
    for replay in replays {
        let q = &replay.request;
        e.str(&q.name)
            .opt_str(q.description.as_deref())
            .str(&q.event_source_arn)
            .u64(q.event_start_ms)
            .u64(q.event_end_ms)
            .str(&q.destination_arn)
            .u32(q.filter_arns.len() as u32);
        for f in &q.filter_arns {
            e.str(f);
        }
        e.u64(replay.replay_start_ms);
        let progress = replay.progress();
        encode_progress(e, &progress);
    }
}

/// Fills `r` with the connections, API destinations, archives and replays of a region piece.
fn decode_region(d: &mut Dec, r: &Region, account: &str, region: &str) -> Result<(), String> {
    let mut connections = BTreeMap::new();
    for _ in 0..d.u32()? {
        let c = decode_connection(d, account, region)?;
        connections.insert(c.name.clone(), Arc::new(c));
    }
    *r.connectivity.connections.write() = connections;
    let mut destinations = BTreeMap::new();
    for _ in 0..d.u32()? {
        let a = decode_api_destination(d, account, region)?;
        destinations.insert(a.name.clone(), Arc::new(a));
    }
    *r.connectivity.api_destinations.write() = destinations;
    decode_archives_replays(d, r, account, region)
}

fn decode_api_destination(
    d: &mut Dec,
    account: &str,
    region: &str,
) -> Result<ApiDestination, String> {
    let name = d.str()?.to_string();
    let arn = d.str()?.to_string();
    let created_ms = d.u64()?;
    let last_modified_ms = d.u64()?;
    let config = ApiDestinationConfig {
        description: opt(d)?,
        connection_arn: d.str()?.to_string(),
        invocation_endpoint: d.str()?.to_string(),
        http_method: d.str()?.to_string(),
        invocation_rate_limit_per_second: d.u32()?,
    };
    Ok(ApiDestination::restored(
        name,
        arn,
        account.to_owned(),
        region.to_owned(),
        created_ms,
        config,
        last_modified_ms,
    ))
}

fn decode_archives_replays(
    d: &mut Dec,
    r: &Region,
    account: &str,
    region: &str,
) -> Result<(), String> {
    let mut archives = BTreeMap::new();
    for _ in 0..d.u32()? {
        let name = d.str()?.to_string();
        let archive = Archive {
            arn: archive_arn(region, account, &name),
            uid: d.u64()?,
            event_source_arn: d.str()?.to_string(),
            bus_name: d.str()?.to_string(),
            created_ms: d.u64()?,
            settings: RwLock::new(ArchiveSettings {
                description: opt(d)?,
                event_pattern: opt(d)?,
                retention_days: d.u32()?,
                kms_key_identifier: opt(d)?,
            }),
            events: Mutex::new(ArchiveEvents::default()),
            account_id: account.to_owned(),
            region: region.to_owned(),
            name: name.clone(),
        };
        archives.insert(name, Arc::new(archive));
    }
    *r.archives.write() = archives;
    let mut replays = BTreeMap::new();
    for _ in 0..d.u32()? {
        let name = d.str()?.to_string();
        let description = opt(d)?;
        let event_source_arn = d.str()?.to_string();
        let event_start_ms = d.u64()?;
        let event_end_ms = d.u64()?;
        let destination_arn = d.str()?.to_string();
        let mut filter_arns = Vec::new();
        for _ in 0..d.u32()? {
            filter_arns.push(d.str()?.to_string());
        }
        let replay_start_ms = d.u64()?;
        let progress = decode_progress(d)?;
        let replay = Arc::new(Replay {
            arn: replay_arn(region, account, &name),
            account_id: account.to_owned(),
            region: region.to_owned(),
            request: ReplayRequest {
                name: name.clone(),
                description,
                event_source_arn,
                event_start_ms,
                event_end_ms,
                destination_arn,
                filter_arns,
            },
            replay_start_ms,
            progress: Mutex::new(progress),
        });
        replays.insert(name, replay);
    }
    *r.replays.write() = replays;
    Ok(())
}

impl EventsEngine {
    /// The state as pieces (see [`persist::Pieces`]): each bus, each rule with its targets,
    /// and per region its connections, API destinations, archives and replays.
    fn visit_pieces(&self, f: &mut dyn FnMut(&[u8], &[u8])) {
        let regions: Vec<((String, String), Arc<Region>)> = self
            .regions
            .read()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let (mut key, mut e) = (Enc::default(), Enc::default());
        for ((account, region), r) in regions {
            let buses: Vec<Arc<EventBus>> = r.buses.read().values().cloned().collect();
            for bus in buses {
                e.0.clear();
                encode_bus(&mut e, &bus);
                persist::piece_key_into(&mut key, PIECE_BUS, &[&account, &region, &bus.name]);
                f(&key.0, &e.0);
                for rule in bus.rules() {
                    e.0.clear();
                    encode_rule(&mut e, &rule);
                    persist::piece_key_into(
                        &mut key,
                        PIECE_RULE,
                        &[&account, &region, &bus.name, &rule.name],
                    );
                    f(&key.0, &e.0);
                }
            }
            e.0.clear();
            encode_region(&mut e, &r);
            persist::piece_key_into(&mut key, PIECE_REGION, &[&account, &region]);
            f(&key.0, &e.0);
        }
    }

    /// The state as pieces (see [`persist::Pieces`]).
    fn pieces(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        persist::collect_pieces(|f| self.visit_pieces(f))
    }

    /// Journals what changed in the buses, rules, targets, connections, API destinations,
    /// archives and replays since the last call (after a request changed state). A no-op
    /// without `--data-dir`.
    /// Lock order: see [`persist::journal_pieces`].
    pub fn journal_state(&self) {
        self.journal_pieces(false)
    }

    /// Journals the whole state (at a checkpoint).
    pub fn journal_checkpoint(&self) {
        self.journal_pieces(true)
    }

    fn journal_pieces(&self, full: bool) {
        persist::journal_pieces(
            self.journal.as_ref(),
            &self.journal_order,
            kind::EVENTS_PIECE,
            full,
            |f| self.visit_pieces(f),
        );
    }

    /// Replaces the buses, rules and targets with a journaled image; `Ok(false)` for another
    /// record kind.
    pub fn replay_record(&self, record_kind: u8, data: &[u8]) -> Result<bool, String> {
        if record_kind != kind::EVENTS_STATE {
            return Ok(false);
        }
        let now = self.now();
        let mut d = Dec(data);
        let mut regions = crate::scope::ScopeMap::default();
        for _ in 0..d.u32()? {
            let account = d.str()?.to_string();
            let region = d.str()?.to_string();
            let r = Region::default();
            for _ in 0..d.u32()? {
                let name = d.str()?.to_string();
                let created_ms = d.u64()?;
                let settings = BusSettings {
                    description: opt(&mut d)?,
                    kms_key_identifier: opt(&mut d)?,
                    dead_letter_arn: opt(&mut d)?,
                    log_config: opt_json(&mut d)?,
                    event_source_name: opt(&mut d)?,
                };
                let bus = Arc::new(EventBus::new(
                    &account, &region, &name, settings, created_ms,
                ));
                if let Some(policy) = opt_json(&mut d)? {
                    bus.set_policy(policy, created_ms);
                }
                let last_modified_ms = d.u64()?;
                {
                    let mut state = bus.state.write();
                    state.last_modified_ms = last_modified_ms;
                    state.tags = read_map(&mut d)?;
                }
                for _ in 0..d.u32()? {
                    let rule = decode_rule(&mut d, &bus, now)?;
                    let mut rules = bus.rules.write();
                    rules.by_name.insert(rule.name.clone(), rule.clone());
                    reindex(&mut rules, &rule);
                }
                r.buses.write().insert(name, bus);
            }
            for _ in 0..d.u32()? {
                let c = decode_connection(&mut d, &account, &region)?;
                r.connectivity
                    .connections
                    .write()
                    .insert(c.name.clone(), Arc::new(c));
            }
            for _ in 0..d.u32()? {
                let name = d.str()?.to_string();
                let arn = d.str()?.to_string();
                let created_ms = d.u64()?;
                let last_modified_ms = d.u64()?;
                let config = ApiDestinationConfig {
                    description: opt(&mut d)?,
                    connection_arn: d.str()?.to_string(),
                    invocation_endpoint: d.str()?.to_string(),
                    http_method: d.str()?.to_string(),
                    invocation_rate_limit_per_second: d.u32()?,
                };
                let a = ApiDestination::restored(
                    name.clone(),
                    arn,
                    account.clone(),
                    region.clone(),
                    created_ms,
                    config,
                    last_modified_ms,
                );
                r.connectivity
                    .api_destinations
                    .write()
                    .insert(name, Arc::new(a));
            }
            regions.insert((account, region), Arc::new(r));
        }
        *self.regions.write() = regions;
        self.schedules_changed.notify_waiters();
        Ok(true)
    }

    /// Applies the last record of each piece (in key order: buses before the rules on them).
    fn apply_pieces(&self, pieces: BTreeMap<Vec<u8>, Option<Vec<u8>>>) -> Result<(), String> {
        let now = self.now();
        for (key, body) in pieces {
            let (tag, parts) = persist::key_parts(&key)?;
            let [account, region, rest @ ..] = parts.as_slice() else {
                return Err("bad piece key".into());
            };
            let store = if body.is_some() {
                self.region(account, region)
            } else {
                // A removal never makes a region (which would come with a default bus).
                let existing = self
                    .regions
                    .read()
                    .get(&(account.clone(), region.clone()))
                    .cloned();
                match existing {
                    Some(r) => r,
                    None => continue,
                }
            };
            let mut d = Dec(body.as_deref().unwrap_or_default());
            match (tag, rest, body.is_some()) {
                (PIECE_BUS, [name], true) => {
                    let bus = decode_bus(&mut d, account, region, name)
                        .map_err(|e| format!("event bus {name}: {e}"))?;
                    store.buses.write().insert(name.clone(), Arc::new(bus));
                }
                (PIECE_BUS, [name], false) => {
                    store.buses.write().remove(name);
                }
                (PIECE_REGION, [], true) => decode_region(&mut d, &store, account, region)?,
                (PIECE_REGION, [], false) => {}
                (PIECE_RULE, [bus, name], present) => {
                    let Some(bus) = store.buses.read().get(bus).cloned() else {
                        continue;
                    };
                    let mut rules = bus.rules.write();
                    if present {
                        let rule = decode_rule(&mut d, &bus, now)?;
                        rules.by_name.insert(rule.name.clone(), rule.clone());
                        reindex(&mut rules, &rule);
                    } else if rules.by_name.remove(name).is_some() {
                        rules.matcher.remove(&Arc::from(name.as_str()));
                    }
                }
                _ => return Err(format!("bad piece key (tag {tag})")),
            }
        }
        Ok(())
    }

    /// Restores what the journal holds: the last image, then the archived events of the
    /// archives in it and the latest progress of its replays.
    pub fn restore(&self, replay: EventsReplay) -> Result<(), String> {
        if let Some(image) = &replay.image {
            self.replay_record(kind::EVENTS_STATE, image)?;
        }
        // What the journal holds of each piece (the next changes are compared with it).
        let live = persist::live_pieces(&replay.pieces);
        self.apply_pieces(replay.pieces)?;
        let primed = match replay.image {
            // Pieces written after an image of an earlier version: all of them are compared
            // with the restored state (a removal then journals a removal of its piece).
            Some(_) => self.pieces(),
            None => live,
        };
        self.journal_order.lock().prime(primed);
        // Replays that had not finished go on (the replayer skips those that have).
        let restarted: Vec<Arc<Replay>> = self
            .regions
            .read()
            .values()
            .flat_map(|r| r.replays.read().values().cloned().collect::<Vec<_>>())
            .collect();
        *self.pending_replays.lock() = restarted;
        self.schedules_changed.notify_waiters();
        self.replays_changed.notify_one();
        let now = self.now();
        for ((account, region, name, uid), events) in replay.archived {
            // (Looked up without making the region: it must stay as restored.)
            let store = self.regions.read().get(&(account, region)).cloned();
            let Some(archive) = store.and_then(|r| r.archives.read().get(&name).cloned()) else {
                continue;
            };
            if archive.uid != uid {
                continue;
            }
            let mut state = archive.events.lock();
            for (seq, data) in events {
                let a = decode_archived(&mut Dec(&data), seq)
                    .map_err(|e| format!("archive {name}: {e}"))?;
                state.size_bytes += a.event.json.len() as u64;
                state.next_seq = state.next_seq.max(seq + 1);
                state.events.push_back(a);
            }
            archive.expire(&mut state, now);
        }
        for ((account, region, name, start), (_, data)) in replay.replays {
            let store = self.regions.read().get(&(account, region)).cloned();
            let Some(r) = store.and_then(|r| r.replays.read().get(&name).cloned()) else {
                continue;
            };
            if r.replay_start_ms != start {
                continue;
            }
            let mut d = Dec(&data);
            for _ in 0..3 {
                d.str()?;
            }
            d.u64()?;
            let progress = decode_progress(&mut d)?;
            let mut current = r.progress.lock();
            if progress.version > current.version {
                *current = progress;
            }
        }
        Ok(())
    }

    /// Journals every archive's live events (at a checkpoint, after the image): the records
    /// older segments held, which compaction deletes.
    pub fn journal_archives(&self) {
        let Some(j) = &self.journal else { return };
        let stores: Vec<Arc<Region>> = self.regions.read().values().cloned().collect();
        let now = self.now();
        for r in stores {
            let archives: Vec<Arc<Archive>> = r.archives.read().values().cloned().collect();
            for archive in archives {
                let mut state = archive.events.lock();
                archive.expire(&mut state, now);
                let mut buf = Vec::new();
                for a in &state.events {
                    frame_archived(&mut buf, &archive, a);
                    if buf.len() >= 1 << 20 {
                        persist::append(&**j, &buf);
                        buf.clear();
                    }
                }
                persist::append(&**j, &buf);
            }
        }
    }
}

fn encode_parameters(e: &mut Enc, p: Option<&HttpParameters>) {
    let Some(p) = p else {
        e.u8(0);
        return;
    };
    e.u8(1);
    for list in [&p.header, &p.query, &p.body] {
        match list {
            None => {
                e.u8(0);
            }
            Some(list) => {
                e.u8(1).u32(list.len() as u32);
                for x in list {
                    e.str(&x.key).str(&x.value).u8(x.is_value_secret as u8);
                }
            }
        }
    }
}

fn decode_parameters(d: &mut Dec) -> Result<Option<HttpParameters>, String> {
    if d.u8()? == 0 {
        return Ok(None);
    }
    let mut lists = Vec::with_capacity(3);
    for _ in 0..3 {
        lists.push(if d.u8()? == 0 {
            None
        } else {
            let mut list = Vec::new();
            for _ in 0..d.u32()? {
                list.push(Parameter {
                    key: d.str()?.to_string(),
                    value: d.str()?.to_string(),
                    is_value_secret: d.u8()? == 1,
                });
            }
            Some(list)
        });
    }
    let body = lists.pop().flatten();
    let query = lists.pop().flatten();
    let header = lists.pop().flatten();
    Ok(Some(HttpParameters {
        header,
        query,
        body,
    }))
}

/// A connection with its secrets (the journal is its owner's only, see docs/persistence.md).
fn encode_connection(e: &mut Enc, c: &Connection) {
    let config = c.config();
    let status = c.status();
    e.str(&c.name)
        .str(&c.arn)
        .str(&c.secret_arn)
        .u64(c.created_ms)
        .opt_str(config.description.as_deref())
        .opt_str(config.kms_key_identifier.as_deref());
    match &config.auth {
        Auth::Basic { username, password } => {
            e.u8(0).str(username).str(password);
        }
        Auth::ApiKey { name, value } => {
            e.u8(1).str(name).str(value);
        }
        Auth::OAuth(o) => {
            e.u8(2)
                .str(&o.client_id)
                .str(&o.client_secret)
                .str(&o.authorization_endpoint)
                .str(&o.http_method);
            encode_parameters(e, o.http_parameters.as_ref());
        }
    }
    encode_parameters(e, config.invocation_parameters.as_ref());
    let state = ConnectionState::ALL
        .iter()
        .position(|s| *s == status.state)
        .unwrap_or(0);
    e.u8(state as u8)
        .opt_str(status.state_reason.as_deref())
        .u64(status.last_modified_ms)
        .u64(status.last_authorized_ms)
        .u8(status.parameters_removed as u8);
}

fn decode_connection(d: &mut Dec, account: &str, region: &str) -> Result<Connection, String> {
    let name = d.str()?.to_string();
    let arn = d.str()?.to_string();
    let secret_arn = d.str()?.to_string();
    let created_ms = d.u64()?;
    let description = opt(d)?;
    let kms_key_identifier = opt(d)?;
    let auth = match d.u8()? {
        0 => Auth::Basic {
            username: d.str()?.to_string(),
            password: d.str()?.to_string(),
        },
        1 => Auth::ApiKey {
            name: d.str()?.to_string(),
            value: d.str()?.to_string(),
        },
        2 => Auth::OAuth(OAuthSettings {
            client_id: d.str()?.to_string(),
            client_secret: d.str()?.to_string(),
            authorization_endpoint: d.str()?.to_string(),
            http_method: d.str()?.to_string(),
            http_parameters: decode_parameters(d)?,
        }),
        t => return Err(format!("connection {name}: bad auth tag {t}")),
    };
    let invocation_parameters = decode_parameters(d)?;
    let state = *ConnectionState::ALL
        .get(usize::from(d.u8()?))
        .ok_or_else(|| format!("connection {name}: bad state"))?;
    let status = ConnectionStatus {
        state,
        state_reason: opt(d)?,
        last_modified_ms: d.u64()?,
        last_authorized_ms: d.u64()?,
        token: None,
        generation: 0,
        parameters_removed: d.u8()? == 1,
    };
    Ok(Connection::restored(
        name,
        arn,
        secret_arn,
        account.to_owned(),
        region.to_owned(),
        created_ms,
        ConnectionConfig {
            description,
            auth,
            invocation_parameters,
            kms_key_identifier,
        },
        status,
    ))
}

fn decode_rule(d: &mut Dec, bus: &EventBus, now: u64) -> Result<Arc<Rule>, String> {
    let name = d.str()?.to_string();
    let created_by = d.str()?.to_string();
    let managed_by = opt(d)?;
    let event_pattern = match opt(d)? {
        Some(text) => {
            let pattern = ferrybridge_pattern::EventPattern::parse(&text)
                .map_err(|e| format!("rule {name}: {e}"))?;
            Some((text, Arc::new(pattern)))
        }
        None => None,
    };
    let expression = opt(d)?;
    let anchor_ms = d.u64()?;
    let schedule = match expression {
        Some(expression) => Some(RuleSchedule {
            schedule: Schedule::parse(&expression).map_err(|e| format!("rule {name}: {e}"))?,
            expression,
            anchor_ms,
            // Instants missed while stopped are skipped (see the module doc).
            since_ms: now,
        }),
        None => None,
    };
    let state_text = d.str()?;
    let state = RuleState::parse(state_text)
        .ok_or_else(|| format!("rule {name}: bad state {state_text}"))?;
    let config = RuleConfig {
        event_pattern,
        schedule,
        state,
        description: opt(d)?,
        role_arn: opt(d)?,
    };
    let tags = read_map(d)?;
    let archive = match (
        managed_by.as_deref(),
        name.strip_prefix(ARCHIVE_RULE_PREFIX),
    ) {
        (Some(ARCHIVE_RULE_MANAGED_BY), Some(archive)) => {
            Some(archive_arn(&bus.region, &bus.account_id, archive))
        }
        _ => None,
    };
    let mut targets = Vec::new();
    for _ in 0..d.u32()? {
        targets.push(Arc::new(decode_target(d, archive.as_deref())?));
    }
    Ok(Arc::new(Rule {
        arn: super::rule_arn(&bus.region, &bus.account_id, &bus.name, &name),
        name,
        event_bus_name: bus.name.clone(),
        created_by,
        managed_by,
        config: RwLock::new(config),
        targets: RwLock::new(targets),
        tags: RwLock::new(tags),
    }))
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::Pin;

    use parking_lot::Mutex;
    use serde_json::json;

    use super::super::{EntryInput, PutRuleInput, TagChange};
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use crate::persist::Journal;

    #[derive(Default)]
    struct Memory(Mutex<Vec<u8>>);

    impl Journal for Memory {
        fn append(&self, framed: &[u8]) -> u64 {
            self.0.lock().extend_from_slice(framed);
            1
        }
        fn wait(&self, _: u64) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
            Box::pin(async { Ok(()) })
        }
    }

    fn restored(bytes: &[u8], clock: Arc<ManualClock>) -> EventsEngine {
        let e = EventsEngine::new(clock);
        let mut replay = EventsReplay::default();
        let mut at = 0;
        while at < bytes.len() {
            let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
            assert!(replay
                .apply(bytes[at + 4], &bytes[at + 9..at + 9 + len])
                .unwrap());
            at += 9 + len;
        }
        e.restore(replay).unwrap();
        e
    }

    fn put(e: &EventsEngine, n: u32) {
        let (results, _) = e.put_events(
            A,
            R,
            &[EntryInput {
                source: Some("shop".into()),
                detail_type: Some("t".into()),
                detail: Some(format!("{{\"n\":{n}}}")),
                ..EntryInput::default()
            }],
        );
        assert!(results[0].is_ok());
    }

    #[test]
    fn a_change_journals_only_its_piece_and_removals_are_restored() {
        let clock = Arc::new(ManualClock::default());
        let journal = Arc::new(Memory::default());
        let mut a = EventsEngine::new(clock.clone());
        a.set_journal(journal.clone());
        let bus = a
            .create_event_bus(A, R, "many", BusSettings::default(), &[])
            .unwrap();
        let rule = |n: usize| PutRuleInput {
            name: format!("rule-{n}"),
            event_pattern: Some(format!(r#"{{"source":["s{n}"]}}"#)),
            ..PutRuleInput::default()
        };
        for n in 0..200 {
            a.put_rule(A, &bus, rule(n)).unwrap();
            a.journal_state();
        }
        let before = journal.0.lock().len();
        a.put_rule(A, &bus, rule(200)).unwrap();
        a.journal_state();
        let one = journal.0.lock().len() - before;
        assert!(one < 300, "one rule wrote {one} bytes");
        // Removals: a rule, then a whole bus with its rules.
        a.delete_rule(&bus, "rule-7", false).unwrap();
        a.journal_state();
        let gone = a
            .create_event_bus(A, R, "gone", BusSettings::default(), &[])
            .unwrap();
        a.put_rule(A, &gone, rule(0)).unwrap();
        a.journal_state();
        a.delete_event_bus(A, R, "gone").unwrap();
        a.journal_state();
        let b = restored(&journal.0.lock(), clock.clone());
        let bus2 = b.bus(A, R, Some("many")).unwrap();
        assert_eq!(bus2.rules().len(), 200);
        assert!(bus2.rule("rule-7").is_err());
        assert!(bus2.rule("rule-200").is_ok());
        assert!(b.bus(A, R, Some("gone")).is_err());
        // A checkpoint writes every piece again; restoring from it alone gives the same.
        let mut c = EventsEngine::new(clock.clone());
        let checkpoint = Arc::new(Memory::default());
        c.set_journal(checkpoint.clone());
        drop(c);
        let mut b = b;
        b.set_journal(checkpoint.clone());
        b.journal_checkpoint();
        let c = restored(&checkpoint.0.lock(), clock.clone());
        assert_eq!(c.bus(A, R, Some("many")).unwrap().rules().len(), 200);
    }

    #[test]
    fn pieces_apply_on_top_of_an_image_of_an_earlier_version() {
        // An image as versions before pieces wrote it: buses "old" and "keep", no rules.
        let mut e = Enc::default();
        e.u32(1).str(A).str(R).u32(2);
        for name in ["keep", "old"] {
            e.str(name).u64(5);
            for _ in 0..6 {
                e.u8(0);
            }
            e.u64(5).u32(0).u32(0);
        }
        e.u32(0).u32(0);
        let mut bytes = Vec::new();
        persist::frame(&mut bytes, kind::EVENTS_STATE, &e.0);
        let clock = Arc::new(ManualClock::default());
        let mut b = restored(&bytes, clock.clone());
        assert!(b.bus(A, R, Some("old")).is_ok());
        let journal = Arc::new(Memory::default());
        journal.0.lock().extend_from_slice(&bytes);
        b.set_journal(journal.clone());
        b.delete_event_bus(A, R, "old").unwrap();
        b.journal_state();
        let c = restored(&journal.0.lock(), clock);
        assert!(c.bus(A, R, Some("old")).is_err());
        assert_eq!(c.bus(A, R, Some("keep")).unwrap().created_ms, 5);
    }

    #[test]
    fn archived_events_and_replays_are_restored_once_across_a_checkpoint() {
        use super::super::replay::{ReplayRequest, ReplayStep};
        let clock = Arc::new(ManualClock::default());
        clock.advance(std::time::Duration::from_secs(1_700_000_000));
        let journal = Arc::new(Memory::default());
        let mut a = EventsEngine::new(clock.clone());
        a.set_journal(journal.clone());
        let bus = a.bus(A, R, None).unwrap();
        a.create_archive(A, R, "old", &bus.arn, Default::default())
            .unwrap();
        a.journal_state();
        put(&a, 0);
        // Deleted and made again: the first one's event must not come back.
        a.delete_archive(A, R, "old").unwrap();
        let archive = a
            .create_archive(A, R, "old", &bus.arn, Default::default())
            .unwrap();
        a.journal_state();
        put(&a, 1);
        put(&a, 2);
        // A checkpoint rewrites the live events; then one more arrives.
        a.journal_state();
        a.journal_archives();
        put(&a, 3);
        let replay = a
            .start_replay(
                A,
                R,
                ReplayRequest {
                    name: "r".into(),
                    description: None,
                    event_source_arn: archive.arn.clone(),
                    event_start_ms: 0,
                    event_end_ms: u64::MAX / 2,
                    destination_arn: bus.arn.clone(),
                    filter_arns: vec![],
                },
            )
            .unwrap();
        a.journal_state();
        let (step, next) = a.replay_step(&replay, 0);
        assert!(matches!(step, ReplayStep::Replayed(_)));

        let b = restored(&journal.0.lock(), clock.clone());
        let archive2 = b.archive(A, R, "old").unwrap();
        let events = archive2.events_between(0, u64::MAX, clock.now_millis());
        let ns: Vec<&str> = events
            .iter()
            .map(|e| &e.event.json[e.event.json.len() - 4..])
            .collect();
        assert_eq!(ns, [":1}}", ":2}}", ":3}}"]);
        assert_eq!(b.describe_archive(&archive2).event_count, 3);
        // New events go on numbering after the restored ones.
        put(&b, 4);
        assert_eq!(archive2.events.lock().events.back().unwrap().seq, 3);
        // The replay goes on from the minute it was replaying.
        let replay2 = b.replay(A, R, "r").unwrap();
        assert_eq!(replay2.progress().state, ReplayState::Running);
        assert_eq!(b.replay_resume_ms(&replay2), 0);
        assert!(next > 0);
        assert_eq!(b.take_pending_replays().len(), 1);
        // The managed rule still archives into the restored archive.
        assert!(b
            .bus(A, R, None)
            .unwrap()
            .rule("Events-Archive-old")
            .is_ok());
    }

    const A: &str = "000000000000";
    const R: &str = "us-east-1";

    #[test]
    fn a_restored_engine_routes_as_before_and_skips_missed_schedule_instants() {
        let clock = Arc::new(ManualClock::default());
        let journal = Arc::new(Memory::default());
        let mut a = EventsEngine::new(clock.clone());
        a.set_journal(journal.clone());
        let settings = BusSettings {
            description: Some("orders bus".into()),
            ..BusSettings::default()
        };
        let bus = a.create_event_bus(A, R, "orders", settings, &[]).unwrap();
        a.put_policy(&bus, r#"{"Version":"2012-10-17","Statement":[]}"#)
            .unwrap();
        let rule = a
            .put_rule(
                A,
                &bus,
                PutRuleInput {
                    name: "placed".into(),
                    event_pattern: Some(r#"{"detail-type":["placed"]}"#.into()),
                    description: Some("d".into()),
                    ..PutRuleInput::default()
                },
            )
            .unwrap();
        let q = "arn:aws:sqs:us-east-1:000000000000:q";
        let description = json!({"Id": "t1", "Arn": q, "InputTransformer": {
            "InputPathsMap": {"t": "$.detail-type"}, "InputTemplate": "\"<t>\""}});
        let input = TargetInput::from_put_targets(
            "t1",
            None,
            None,
            Some((&[("t".to_string(), "$.detail-type".to_string())], "\"<t>\"")),
        )
        .unwrap();
        a.put_targets(
            &rule,
            vec![Target {
                id: "t1".into(),
                arn: q.into(),
                kind: TargetKind::Sqs,
                input,
                retry_policy: RetryPolicy {
                    maximum_retry_attempts: 3,
                    maximum_event_age_seconds: 60,
                },
                dead_letter_arn: None,
                message_group_id: None,
                description,
            }],
        )
        .unwrap();
        a.change_tags(&rule.arn, TagChange::Add(vec![("team".into(), "a".into())]))
            .unwrap();
        let default = a.bus(A, R, None).unwrap();
        a.put_rule(
            A,
            &default,
            PutRuleInput {
                name: "tick".into(),
                schedule_expression: Some("rate(1 minute)".into()),
                ..PutRuleInput::default()
            },
        )
        .unwrap();
        let connection = a
            .create_connection(
                A,
                R,
                super::super::connection::NewConnection {
                    name: "api".into(),
                    description: Some("c".into()),
                    authorization_type: super::super::connection::AuthorizationType::ApiKey,
                    auth: super::super::connection::AuthInput {
                        api_key_name: Some("x-key".into()),
                        api_key_value: Some("s3cret".into()),
                        invocation_parameters: Some(HttpParameters {
                            header: Some(vec![Parameter {
                                key: "h".into(),
                                value: "v".into(),
                                is_value_secret: true,
                            }]),
                            query: None,
                            body: Some(vec![]),
                        }),
                        ..Default::default()
                    },
                    kms_key_identifier: None,
                },
            )
            .unwrap();
        let destination = a
            .create_api_destination(
                A,
                R,
                "hook",
                ApiDestinationConfig {
                    description: None,
                    connection_arn: connection.arn.clone(),
                    invocation_endpoint: "https://example.com/*".into(),
                    http_method: "POST".into(),
                    invocation_rate_limit_per_second: 5,
                },
            )
            .unwrap();
        a.journal_state();
        let set_at = clock.now_millis();

        clock.advance(std::time::Duration::from_secs(3600));
        let b = restored(&journal.0.lock(), clock.clone());
        let bus2 = b.bus(A, R, Some("orders")).unwrap();
        assert_eq!(bus2.settings().description.as_deref(), Some("orders bus"));
        assert!(bus2.policy().is_some());
        let rule2 = bus2.rule("placed").unwrap();
        assert_eq!(rule2.tags().get("team").map(String::as_str), Some("a"));
        assert_eq!(rule2.targets()[0].retry_policy.maximum_retry_attempts, 3);
        let (_, invocations) = b.put_events(
            A,
            R,
            &[EntryInput {
                source: Some("shop".into()),
                detail_type: Some("placed".into()),
                detail: Some("{}".into()),
                event_bus_name: Some("orders".into()),
                ..EntryInput::default()
            }],
        );
        assert_eq!(invocations.len(), 1);
        assert_eq!(invocations[0].target.id, "t1");
        let tick = b.bus(A, R, None).unwrap().rule("tick").unwrap();
        let schedule = tick.config().schedule.unwrap();
        assert_eq!(schedule.since_ms, clock.now_millis());
        let c2 = b.connection(A, R, "api").unwrap();
        assert_eq!(c2.arn, connection.arn);
        assert_eq!(c2.secret_arn, connection.secret_arn);
        assert_eq!(c2.config().auth, connection.config().auth);
        assert_eq!(
            c2.config().invocation_parameters,
            connection.config().invocation_parameters
        );
        assert_eq!(c2.state(), ConnectionState::Authorized);
        let d2 = b.api_destination(A, R, "hook").unwrap();
        assert_eq!(d2.arn, destination.arn);
        assert_eq!(d2.config(), destination.config());
        // Rate schedules keep counting from when they were set.
        assert_eq!(schedule.anchor_ms, set_at);
    }
}
