//! The persistence seam: how state changes leave the engine to become durable (`--data-dir`).
//!
//! The engine keeps its state in memory, as without persistence; every change is also written
//! as a *record* to a [`Journal`] (the `ferrybridge-store` crate implements it as a log with
//! group commit). A record is appended by the code that made the change while it still holds
//! the lock of the resource it changed, so the records of one resource are in the order of its
//! changes. Appending only copies bytes into the journal's buffer: the journal's lock is a leaf
//! (`Queue::messages` -> `Journal` is allowed; nothing is called while it is held) and waiting
//! for the disk happens later, with no lock held: the server awaits [`Journal::wait`] for the
//! request's [`ticket`] before it answers (see `scope`).
//!
//! Restoring reads the records back in order ([`crate::sqs::persist::SqsReplay`]) and rebuilds
//! the state before the port answers. A *checkpoint* writes a resource's whole state as
//! records; replaying it resets that resource, so older records can be dropped (compaction).

use std::cell::Cell;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

/// Where records go. See the module doc.
pub trait Journal: Send + Sync + 'static {
    /// Appends already-framed records (see [`frame`]) to the group being collected and returns
    /// the ticket that [`Journal::wait`] takes. Never calls into the engine.
    fn append(&self, framed: &[u8]) -> u64;
    /// Resolves when every record up to `ticket` is durable (or written, with an fsync
    /// interval); `Err` when the journal cannot write (the request must not be acknowledged).
    fn wait(&self, ticket: u64) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>>;
}

tokio::task_local! {
    /// The highest ticket the current request's changes were appended under.
    static TICKET: Cell<u64>;
}

/// Runs a request, collecting the tickets of what it changed; returns its output and the
/// ticket to wait for (0: it changed nothing).
pub async fn scope<F: Future>(fut: F) -> (F::Output, u64) {
    TICKET
        .scope(Cell::new(0), async {
            let out = fut.await;
            (out, TICKET.with(|t| t.get()))
        })
        .await
}

/// [`scope`] for synchronous work (no await inside): `f`'s output and the ticket of what it
/// changed; that ticket is also noted for an enclosing scope.
pub fn scope_sync<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let (out, ticket) = TICKET.sync_scope(Cell::new(0), || {
        let out = f();
        (out, TICKET.with(|t| t.get()))
    });
    note(ticket);
    (out, ticket)
}

/// Remembers that the current request (if in a [`scope`]) must wait for `ticket`.
pub fn note(ticket: u64) {
    let _ = TICKET.try_with(|t| t.set(t.get().max(ticket)));
}

/// Appends `framed` to `journal` and notes the ticket for the current request.
pub fn append(journal: &dyn Journal, framed: &[u8]) {
    if !framed.is_empty() {
        note(journal.append(framed));
    }
}

/// Frames one record: `len:u32le kind:u8 crc32:u32le data`. The crc covers kind and data.
pub fn frame(buf: &mut Vec<u8>, kind: u8, data: &[u8]) {
    buf.extend_from_slice(&(data.len() as u32).to_le_bytes());
    buf.push(kind);
    let mut h = crc32fast::Hasher::new();
    h.update(&[kind]);
    h.update(data);
    buf.extend_from_slice(&h.finalize().to_le_bytes());
    buf.extend_from_slice(data);
}

/// Record kinds. Each service has a range; a kind is never reused for another meaning.
pub mod kind {
    /// SQS receipt-handle signing secret.
    pub const SQS_SECRET: u8 = 10;
    /// Queue created or its configuration changed; `reset` variant starts a checkpoint.
    pub const SQS_QUEUE: u8 = 11;
    pub const SQS_QUEUE_DELETE: u8 = 12;
    pub const SQS_MESSAGE: u8 = 13;
    pub const SQS_RECEIVED: u8 = 14;
    pub const SQS_VISIBILITY: u8 = 15;
    pub const SQS_DELETE: u8 = 16;
    pub const SQS_PURGE: u8 = 17;
    pub const SQS_DEDUP: u8 = 18;
    /// A message move task: started, its progress, its end (the last record of a task wins).
    pub const SQS_MOVE_TASK: u8 = 19;
    /// STS: temporary credentials issued (access key, identity, expiry).
    pub const STS_SESSION: u8 = 40;
    /// STS: credentials forgotten by a reset (all, or one account's).
    pub const STS_RESET: u8 = 41;
    /// SNS: an image of the whole SNS state (the last one wins), see `sns::persist`.
    pub const SNS_STATE: u8 = 50;
    /// EventBridge: an image of the buses, rules and targets (the last one wins), see
    /// `events::persist`.
    pub const EVENTS_STATE: u8 = 60;
    /// SNS: one piece of the state (a topic with its subscriptions, or a region's platform
    /// applications, endpoints and SMS settings), or its removal; see [`Pieces`].
    pub const SNS_PIECE: u8 = 51;
    /// SNS: a FIFO deduplication id in force (topic, id, message id, sequence, expiry).
    pub const SNS_DEDUP: u8 = 52;
    /// EventBridge: one piece of the state (a bus, a rule with its targets, or a region's
    /// connections, API destinations, archives and replays), or its removal; see [`Pieces`].
    pub const EVENTS_PIECE: u8 = 63;
    /// EventBridge: one event put into an archive (the archive's id and the event's sequence
    /// number in it), see `events::persist`.
    pub const EVENTS_ARCHIVED: u8 = 61;
    /// EventBridge: a replay's progress (state, position), written by the replayer.
    pub const EVENTS_REPLAY: u8 = 62;
}

/// Little-endian encoder of record bodies.
#[derive(Default)]
pub struct Enc(pub Vec<u8>);

impl Enc {
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u128(&mut self, v: u128) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.u32(v.len() as u32);
        self.0.extend_from_slice(v);
        self
    }
    pub fn str(&mut self, v: &str) -> &mut Self {
        self.bytes(v.as_bytes())
    }
    pub fn opt_str(&mut self, v: Option<&str>) -> &mut Self {
        match v {
            Some(s) => self.u8(1).str(s),
            None => self.u8(0),
        }
    }
}

/// Decoder of record bodies; every read fails cleanly on short or bad input.
pub struct Dec<'a>(pub &'a [u8]);

impl<'a> Dec<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err("record too short".into());
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    pub fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    pub fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().map_err(|_| "bad u32")?,
        ))
    }
    pub fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().map_err(|_| "bad u64")?,
        ))
    }
    pub fn u128(&mut self) -> Result<u128, String> {
        Ok(u128::from_le_bytes(
            self.take(16)?.try_into().map_err(|_| "bad u128")?,
        ))
    }
    pub fn bytes(&mut self) -> Result<&'a [u8], String> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    pub fn str(&mut self) -> Result<&'a str, String> {
        std::str::from_utf8(self.bytes()?).map_err(|_| "invalid UTF-8 in record".to_string())
    }
    pub fn opt_str(&mut self) -> Result<Option<&'a str>, String> {
        match self.u8()? {
            0 => Ok(None),
            1 => self.str().map(Some),
            t => Err(format!("bad option tag {t}")),
        }
    }
}

/// The key of a piece of state: a tag (its kind, which orders restoring: containers first)
/// and the names that identify it (account, region, ...).
pub fn piece_key(tag: u8, parts: &[&str]) -> Vec<u8> {
    let mut e = Enc::default();
    e.u8(tag);
    for p in parts {
        e.str(p);
    }
    e.0
}

/// [`piece_key`] into a reused buffer.
pub fn piece_key_into(key: &mut Enc, tag: u8, parts: &[&str]) {
    key.0.clear();
    key.u8(tag);
    for p in parts {
        key.str(p);
    }
}

/// The tag and names of a piece key.
pub fn key_parts(key: &[u8]) -> Result<(u8, Vec<String>), String> {
    let mut d = Dec(key);
    let tag = d.u8()?;
    let mut parts = Vec::new();
    while !d.0.is_empty() {
        parts.push(d.str()?.to_owned());
    }
    Ok((tag, parts))
}

/// A piece record's key and body (`None`: the piece is gone).
pub fn read_piece(data: &[u8]) -> Result<(Vec<u8>, Option<Vec<u8>>), String> {
    let mut d = Dec(data);
    let key = d.bytes()?.to_vec();
    let body = match d.u8()? {
        0 => None,
        _ => Some(d.0.to_vec()),
    };
    Ok((key, body))
}

/// Journals configuration state (SNS, EventBridge) *per piece*: one record per resource (a
/// topic, a rule...), keyed, written only when the piece changed since it was last journaled,
/// and a removal record when it is gone. Restoring keeps the last record of each key. A change
/// thus writes what changed, not the whole state (which grew quadratically with the number of
/// resources); a checkpoint writes every piece.
///
/// Knowing what changed costs encoding every piece and comparing its hash with the last
/// journaled one (CPU proportional to the state, no I/O): see docs/persistence.md for figures.
#[derive(Debug, Default)]
pub struct Pieces {
    /// Each journaled piece's hash, and the pass that last saw it.
    last: std::collections::HashMap<Vec<u8>, (u64, u64)>,
    pass: u64,
}

fn piece_hash(body: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut h);
    h.finish()
}

impl Pieces {
    /// Remembers `pieces` as journaled (after a restore: the journal holds them).
    pub fn prime(&mut self, pieces: Vec<(Vec<u8>, Vec<u8>)>) {
        self.last = pieces
            .into_iter()
            .map(|(k, body)| {
                let h = piece_hash(&body);
                (k, (h, self.pass))
            })
            .collect();
    }

    /// Frames into `buf` (records of `record_kind`) the pieces `visit` reports (key, body)
    /// that changed since the last call, and the removal of those it no longer reports; with
    /// `full` (a checkpoint), every piece.
    pub fn frame_changes(
        &mut self,
        record_kind: u8,
        full: bool,
        buf: &mut Vec<u8>,
        visit: impl FnOnce(&mut dyn FnMut(&[u8], &[u8])),
    ) {
        self.pass += 1;
        let pass = self.pass;
        let mut e = Enc::default();
        let last = &mut self.last;
        visit(&mut |key: &[u8], body: &[u8]| {
            let h = piece_hash(body);
            let changed = match last.get_mut(key) {
                Some(seen) => {
                    let changed = full || seen.0 != h;
                    *seen = (h, pass);
                    changed
                }
                None => {
                    last.insert(key.to_vec(), (h, pass));
                    true
                }
            };
            if changed {
                e.0.clear();
                e.bytes(key).u8(1);
                e.0.extend_from_slice(body);
                frame(buf, record_kind, &e.0);
            }
        });
        self.last.retain(|key, (_, seen)| {
            let live = *seen == pass;
            if !live && !full {
                e.0.clear();
                e.bytes(key).u8(0);
                frame(buf, record_kind, &e.0);
            }
            live
        });
    }
}

/// The pieces a journal's last records hold (removed ones left out): what the next changes of
/// a restored service are compared with (`Pieces::prime`).
pub(crate) fn live_pieces(pieces: &BTreeMap<Vec<u8>, Option<Vec<u8>>>) -> Vec<(Vec<u8>, Vec<u8>)> {
    pieces
        .iter()
        .filter_map(|(k, b)| Some((k.clone(), b.clone()?)))
        .collect()
}

/// Every piece `visit` reports, as (key, body) pairs.
pub fn collect_pieces(visit: impl FnOnce(&mut dyn FnMut(&[u8], &[u8]))) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    visit(&mut |k, b| out.push((k.to_vec(), b.to_vec())));
    out
}

/// Journals a service's configuration pieces (records of `record_kind`): what changed since the
/// last call, or with `full` (a checkpoint) every piece. A no-op without a journal.
///
/// Lock order: `order` (pieces are taken, compared and appended under it, so the last record
/// of each piece is never older than an acknowledged change) -> the state's read locks `visit`
/// takes, one at a time -> the journal's buffer (a leaf: `append` only buffers and returns a
/// ticket; the wait for the disk happens after every lock is released, before the answer).
pub fn journal_pieces(
    journal: Option<&std::sync::Arc<dyn Journal>>,
    order: &parking_lot::Mutex<Pieces>,
    record_kind: u8,
    full: bool,
    visit: impl FnOnce(&mut dyn FnMut(&[u8], &[u8])),
) {
    let Some(j) = journal else { return };
    let mut last = order.lock();
    let mut buf = Vec::new();
    last.frame_changes(record_kind, full, &mut buf, visit);
    append(&**j, &buf);
}
