//! `--data-dir`: opening the journal, restoring the engines from it before the port answers,
//! and compacting it in the background. See docs/persistence.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrybridge_engine::events::persist::EventsReplay;
use ferrybridge_engine::events::EventsEngine;
use ferrybridge_engine::persist::Journal;
use ferrybridge_engine::sns::persist::SnsReplay;
use ferrybridge_engine::sns::SnsEngine;
use ferrybridge_engine::sqs::persist::SqsReplay;
use ferrybridge_engine::sqs::SqsEngine;
use ferrybridge_engine::sts::StsEngine;
use ferrybridge_store::Durable;

use crate::Config;

/// A journal opened and read, not yet attached to the engines.
pub(crate) struct Opened {
    journal: Arc<Durable>,
    sqs: SqsReplay,
    /// SQS message move task records (the last of each task wins).
    move_tasks: Vec<Vec<u8>>,
    /// STS records, applied once the engine exists (they are few).
    sts: Vec<(u8, Vec<u8>)>,
    /// The last SNS image and pieces.
    sns: SnsReplay,
    /// The last EventBridge image, archived events and replay progress.
    events: EventsReplay,
    started: Instant,
    stats: ferrybridge_store::OpenStats,
    /// The test seam of `EmulatorBuilder::wrap_journal`: what the engines append to and the
    /// server waits on, around the real journal.
    wrap: Option<WrapJournal>,
}

/// Wraps the real journal in another [`Journal`] (a test seam, see
/// `EmulatorBuilder::wrap_journal`).
pub(crate) type WrapJournal = Box<dyn FnOnce(Arc<dyn Journal>) -> Arc<dyn Journal> + Send>;

/// The journal of a running server: the store itself (its directory, compaction, closing) and
/// the [`Journal`] the engines append to and requests wait on (the store, unless a test
/// wrapped it).
#[derive(Clone)]
pub(crate) struct Persisted {
    durable: Arc<Durable>,
    journal: Arc<dyn Journal>,
}

impl Persisted {
    pub(crate) fn dir(&self) -> &std::path::Path {
        self.durable.dir()
    }

    pub(crate) fn durable(&self) -> &Arc<Durable> {
        &self.durable
    }

    /// Resolves when what was appended up to `ticket` is durable: the answer to a request
    /// that changed state waits for this (through the wrapping journal, if any).
    pub(crate) async fn wait_durable(&self, ticket: u64) -> Result<(), String> {
        self.journal.wait(ticket).await
    }

    /// Writes what is buffered and stops the writer (at shutdown).
    pub(crate) fn close(&self) {
        self.durable.close();
    }
}

/// Opens `--data-dir` (if set) and reads it. The error names the damaged file.
pub(crate) fn open(config: &Config) -> Result<Option<Opened>, String> {
    let Some(dir) = &config.data_dir else {
        return Ok(None);
    };
    let started = Instant::now();
    let mut sqs = SqsReplay::default();
    let mut move_tasks = Vec::new();
    let mut sts = Vec::new();
    let mut sns = SnsReplay::default();
    let mut events = EventsReplay::default();
    let (journal, stats) = Durable::open(dir, config.fsync, |kind, data| {
        if kind == ferrybridge_engine::persist::kind::SQS_MOVE_TASK {
            move_tasks.push(data.to_vec());
            Ok(())
        } else if sqs.apply(kind, data)? {
            Ok(())
        } else if (40..50).contains(&kind) {
            sts.push((kind, data.to_vec()));
            Ok(())
        } else if sns.apply(kind, data)? || events.apply(kind, data)? {
            Ok(())
        } else {
            Err(format!(
                "unknown record kind {kind} (written by a newer ferrybridge?)"
            ))
        }
    })
    .map_err(|e| format!("cannot open the data directory: {e}"))?;
    Ok(Some(Opened {
        journal,
        sqs,
        move_tasks,
        sts,
        sns,
        events,
        started,
        stats,
        wrap: None,
    }))
}

impl Opened {
    /// The engines append to, and requests wait on, `wrap(journal)` instead of the journal.
    pub(crate) fn wrapped(mut self, wrap: Option<WrapJournal>) -> Self {
        self.wrap = wrap;
        self
    }

    /// Restores the engines and journals their later changes; returns the journal.
    pub(crate) fn attach(
        self,
        sqs: &mut SqsEngine,
        sts: &mut StsEngine,
        sns: &mut SnsEngine,
        events: &mut EventsEngine,
    ) -> Result<Arc<Durable>, String> {
        self.attach_server(sqs, sts, sns, events).map(|p| p.durable)
    }

    /// [`Opened::attach`], returning what a server waits on as well.
    pub(crate) fn attach_server(
        mut self,
        sqs: &mut SqsEngine,
        sts: &mut StsEngine,
        sns: &mut SnsEngine,
        events: &mut EventsEngine,
    ) -> Result<Persisted, String> {
        let real: Arc<dyn Journal> = self.journal.clone();
        let journal = match self.wrap.take() {
            Some(wrap) => wrap(real),
            None => real,
        };
        sqs.set_journal(journal.clone());
        let (queues, messages) = sqs.restore(self.sqs).map_err(|e| {
            format!(
                "cannot restore the data directory {}: {e}",
                self.journal.dir().display()
            )
        })?;
        sqs.journal_secret();
        sqs.restore_move_tasks(&self.move_tasks).map_err(|e| {
            format!(
                "cannot restore the data directory {}: {e}",
                self.journal.dir().display()
            )
        })?;
        for (kind, data) in &self.sts {
            if let Err(e) = sts.replay(*kind, data) {
                tracing::warn!(error = %e, "an STS record could not be restored");
            }
        }
        sts.set_journal(journal.clone());
        // A damaged record stops the start: starting without the topics would lose them.
        sns.restore_journal(self.sns).map_err(|e| {
            format!(
                "cannot restore the SNS state of the data directory {}: {e}",
                self.journal.dir().display()
            )
        })?;
        sns.set_journal(journal.clone());
        events.restore(self.events).map_err(|e| {
            format!(
                "cannot restore the EventBridge state of the data directory {}: {e}",
                self.journal.dir().display()
            )
        })?;
        events.set_journal(journal.clone());
        release_freed_memory();
        tracing::info!(
            dir = %self.journal.dir().display(),
            queues,
            messages,
            topics = sns.locations().iter().map(|(a, r)| sns.topics(a, r).len()).sum::<usize>(),
            bytes = self.stats.bytes,
            torn_tail_repaired = self.stats.torn,
            millis = self.started.elapsed().as_millis() as u64,
            "state restored"
        );
        Ok(Persisted {
            durable: self.journal,
            journal,
        })
    }
}

/// The journal is compacted once its newest segment grows past this, or past twice the size
/// of the last checkpoint, whichever is larger. `FERRYBRIDGE_COMPACT_BYTES` overrides it (tests).
const COMPACT_AT: u64 = 64 << 20;

fn compact_at() -> u64 {
    std::env::var("FERRYBRIDGE_COMPACT_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|v| *v > 0)
        .unwrap_or(COMPACT_AT)
}

/// Compacts the journal in the background: a new segment, a checkpoint of every queue (each
/// under its own locks, one at a time), then the older segments are deleted.
pub(crate) fn spawn_compactor(
    journal: Arc<Durable>,
    sqs: Arc<SqsEngine>,
    sts: Arc<StsEngine>,
    sns: Arc<SnsEngine>,
    events: Arc<EventsEngine>,
) {
    tokio::spawn(async move {
        let base = compact_at();
        let mut threshold = base;
        let mut first = true;
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let old_segments = std::mem::take(&mut first) && has_old_segments(&journal);
            if journal.segment_bytes() < threshold && !old_segments {
                continue;
            }
            let started = Instant::now();
            let (journal2, sqs2, sts, sns, events) = (
                journal.clone(),
                sqs.clone(),
                sts.clone(),
                sns.clone(),
                events.clone(),
            );
            let (segment, ticket) = match tokio::task::spawn_blocking(move || {
                let mut segment = 0;
                sqs2.checkpoint(|| segment = journal2.rotate());
                sqs2.journal_move_tasks();
                sts.checkpoint();
                sns.journal_checkpoint();
                events.journal_checkpoint();
                events.journal_archives();
                (segment, journal2.barrier())
            })
            .await
            {
                Ok(t) => t,
                Err(_) => continue,
            };
            if let Err(e) = journal.wait_durable(ticket).await {
                tracing::error!(error = %e, "journal compaction failed");
                return;
            }
            if let Err(e) = journal.drop_segments_before(segment) {
                tracing::error!(error = %e, "journal compaction could not delete old segments");
            }
            threshold = base.max(journal.segment_bytes().saturating_mul(2));
            tracing::info!(
                bytes = journal.segment_bytes(),
                millis = started.elapsed().as_millis() as u64,
                "journal compacted"
            );
        }
    });
}

/// The file of the SNS signing key and certificate in a data directory (mode 0600).
pub(crate) const SNS_SIGNING_KEY_FILE: &str = "sns-signing-key.pem";

/// Hands the memory the replay used and freed (the file's bytes, the queues' images) back to
/// the system: glibc keeps freed heap pages otherwise, and a restored server would hold more
/// than one that received the same messages.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator; no pointer is involved.
    unsafe {
        libc::malloc_trim(0);
    }
}

fn has_old_segments(journal: &Durable) -> bool {
    std::fs::read_dir(journal.dir())
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with("journal-"))
                .count()
                > 1
        })
        .unwrap_or(false)
}
