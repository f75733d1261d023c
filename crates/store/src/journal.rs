//! The journal of `--data-dir`: the engine's records (see `ferrybridge_engine::persist`) in
//! segments of the record log (`journal-00000001.log`, ...), written by one dedicated thread
//! with group commit.
//!
//! * Requests append records under their resource's lock (a copy into a buffer: the buffer's
//!   mutex is a leaf) and get a ticket; the request's answer waits (asynchronously, no lock
//!   held) until the writer reports the ticket durable.
//! * The writer takes everything buffered, writes it as one group (one `write`) and syncs it
//!   (one `fdatasync`), then wakes every waiter whose ticket is covered: requests arriving while
//!   the disk syncs are committed together in the next group.
//! * `--fsync=interval:MS`: groups are written at once (a request waits for the write only) and
//!   synced at most every MS milliseconds: a power loss can lose the last MS milliseconds; a
//!   killed process loses nothing (the data is in the page cache).
//! * Compaction: [`Durable::rotate`] starts a new segment at a precise point of the record
//!   stream; the server then writes a checkpoint of every resource (each under its own lock)
//!   and, once that is durable, [`Durable::drop_segments_before`] deletes the older segments.
//! * Only one process may use a directory: `LOCK` is locked (advisory `flock`) while it runs.

use std::fs::File;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use tokio::sync::watch;

use crate::log::{read_log, LogWriter, StoreError};

/// When the journal syncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    /// Before any request that changed state is answered (the default).
    Always,
    /// At most this often; answers wait only for the write.
    Interval(Duration),
}

impl std::str::FromStr for Fsync {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "always" {
            return Ok(Fsync::Always);
        }
        match s.strip_prefix("interval:").map(str::parse::<u64>) {
            Some(Ok(ms)) if (1..=60_000).contains(&ms) => {
                Ok(Fsync::Interval(Duration::from_millis(ms)))
            }
            _ => Err(format!(
                "expected `always` or `interval:MS` (MS from 1 to 60000), not {s:?}"
            )),
        }
    }
}

#[derive(Default)]
struct Pending {
    buf: Vec<u8>,
    /// Ticket of the group `buf` becomes.
    next: u64,
    /// Bytes of `buf` that belong to the current segment; the rest starts segment `segment`.
    rotate_at: Option<usize>,
    /// Number of the newest segment (the one being written, or about to be).
    segment: u64,
    stop: bool,
}

#[derive(Clone, Default)]
struct Progress {
    done: u64,
    error: Option<Arc<str>>,
}

struct Shared {
    dir: PathBuf,
    pending: Mutex<Pending>,
    work: Condvar,
    progress: watch::Sender<Progress>,
    fsync: Fsync,
    /// Bytes in the segment being written.
    segment_bytes: AtomicU64,
}

/// The journal. See the module doc.
pub struct Durable {
    shared: Arc<Shared>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    _lock: File,
}

/// What opening a directory found.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenStats {
    pub segments: usize,
    pub bytes: u64,
    pub records: u64,
    /// A torn group at the end of the newest segment was cut off.
    pub torn: bool,
}

fn segment_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("journal-{n:08}.log"))
}

fn segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, StoreError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| StoreError::io(dir, e))? {
        let entry = entry.map_err(|e| StoreError::io(dir, e))?;
        let name = entry.file_name();
        let Some(n) = name
            .to_str()
            .and_then(|n| n.strip_prefix("journal-"))
            .and_then(|n| n.strip_suffix(".log"))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        out.push((n, entry.path()));
    }
    out.sort();
    Ok(out)
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

impl Durable {
    /// Opens (creating it if needed) the journal in `dir`, calling `apply(kind, data)` for every
    /// record of every complete group, oldest first, then starts the writer thread.
    pub fn open(
        dir: &Path,
        fsync: Fsync,
        mut apply: impl FnMut(u8, &[u8]) -> Result<(), String>,
    ) -> Result<(Arc<Self>, OpenStats), StoreError> {
        // A directory created here is its owner's only (0700): the journal holds secrets.
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(|e| StoreError::io(dir, e))?;
        let lock_path = dir.join("LOCK");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| StoreError::io(&lock_path, e))?;
        if lock.try_lock().is_err() {
            return Err(StoreError::corrupt(
                &lock_path,
                "the data directory is in use by another ferrybridge process",
            ));
        }
        let found = segments(dir)?;
        let mut stats = OpenStats {
            segments: found.len(),
            ..OpenStats::default()
        };
        let mut last = None;
        for (i, (n, path)) in found.iter().enumerate() {
            let end = read_log(path, |kind, data| {
                stats.records += 1;
                apply(kind, data)
            })?;
            stats.bytes += end.valid_len;
            if i + 1 < found.len() {
                if end.torn {
                    return Err(StoreError::corrupt(
                        path,
                        format!(
                            "data file is damaged after byte {} although a newer segment exists \
                             (not a torn write). Restore the directory from a backup or move it away to start empty.",
                            end.valid_len
                        ),
                    ));
                }
            } else {
                stats.torn = end.torn;
                last = Some((*n, path.clone(), end));
            }
        }
        let (segment, writer) = match last {
            Some((n, path, end)) => (
                n,
                LogWriter::append_to(&path, end).map_err(|e| StoreError::io(&path, e))?,
            ),
            None => {
                let path = segment_path(dir, 1);
                let w = LogWriter::create(&path).map_err(|e| StoreError::io(&path, e))?;
                sync_dir(dir).map_err(|e| StoreError::io(dir, e))?;
                (1, w)
            }
        };
        let shared = Arc::new(Shared {
            dir: dir.to_path_buf(),
            pending: Mutex::new(Pending {
                next: 1,
                segment,
                ..Pending::default()
            }),
            work: Condvar::new(),
            progress: watch::Sender::new(Progress::default()),
            fsync,
            segment_bytes: AtomicU64::new(writer.len()),
        });
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("ferrybridge-journal".into())
                .spawn(move || write_loop(&shared, writer))
                .map_err(|e| StoreError::io(dir, e))?
        };
        Ok((
            Arc::new(Self {
                shared,
                writer: Mutex::new(Some(thread)),
                _lock: lock,
            }),
            stats,
        ))
    }

    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// Bytes in the segment being written (what compaction would reclaim).
    pub fn segment_bytes(&self) -> u64 {
        self.shared.segment_bytes.load(Ordering::Relaxed)
    }

    /// Appends framed records; returns the ticket to wait for. Never blocks on the disk.
    pub fn append_records(&self, framed: &[u8]) -> u64 {
        let mut p = self.shared.pending.lock();
        p.buf.extend_from_slice(framed);
        let ticket = p.next;
        drop(p);
        self.shared.work.notify_one();
        ticket
    }

    /// The ticket covering everything appended so far.
    pub fn barrier(&self) -> u64 {
        let p = self.shared.pending.lock();
        if p.buf.is_empty() && p.rotate_at.is_none() {
            p.next - 1
        } else {
            p.next
        }
    }

    /// Everything appended after this call goes to a new segment; returns its number.
    pub fn rotate(&self) -> u64 {
        let mut p = self.shared.pending.lock();
        if p.rotate_at.is_none() {
            p.rotate_at = Some(p.buf.len());
            p.segment += 1;
        }
        let n = p.segment;
        drop(p);
        self.shared.work.notify_one();
        n
    }

    /// Deletes the segments older than `n` (after a checkpoint written to `n` is durable).
    pub fn drop_segments_before(&self, n: u64) -> Result<(), StoreError> {
        let dir = &self.shared.dir;
        for (m, path) in segments(dir)? {
            if m < n {
                std::fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
            }
        }
        sync_dir(dir).map_err(|e| StoreError::io(dir, e))
    }

    /// Resolves when `ticket` is durable; `Err` if the journal cannot write.
    pub async fn wait_durable(&self, ticket: u64) -> Result<(), String> {
        let mut rx = self.shared.progress.subscribe();
        let seen = rx
            .wait_for(|p| p.done >= ticket || p.error.is_some())
            .await
            .map(|p| p.clone());
        match seen {
            Ok(p) if p.done >= ticket => Ok(()),
            Ok(p) => Err(p.error.as_deref().unwrap_or("journal failed").to_string()),
            Err(_) => Err("the journal is closed".into()),
        }
    }

    /// Writes and syncs what is buffered, then stops the writer (at shutdown).
    pub fn close(&self) {
        self.shared.pending.lock().stop = true;
        self.shared.work.notify_one();
        if let Some(t) = self.writer.lock().take() {
            let _ = t.join();
        }
    }
}

impl ferrybridge_engine::persist::Journal for Durable {
    fn append(&self, framed: &[u8]) -> u64 {
        self.append_records(framed)
    }

    fn wait(&self, ticket: u64) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(self.wait_durable(ticket))
    }
}

fn write_loop(shared: &Shared, mut log: LogWriter) {
    let mut dirty = false;
    let mut last_sync = Instant::now();
    let mut spare = Vec::new();
    loop {
        let (mut buf, ticket, rotate, stop) = {
            let mut p = shared.pending.lock();
            while p.buf.is_empty() && p.rotate_at.is_none() && !p.stop {
                match shared.fsync {
                    Fsync::Interval(every) if dirty => {
                        let left = every.saturating_sub(last_sync.elapsed());
                        if shared.work.wait_for(&mut p, left).timed_out() {
                            break;
                        }
                    }
                    _ => shared.work.wait(&mut p),
                }
            }
            // The ticket this write makes durable: the group being taken, or (nothing buffered)
            // the last one taken before.
            let ticket = if p.buf.is_empty() && p.rotate_at.is_none() {
                p.next - 1
            } else {
                p.next += 1;
                p.next - 1
            };
            let rotate = p.rotate_at.take().map(|at| (at, p.segment));
            let buf = std::mem::replace(&mut p.buf, std::mem::take(&mut spare));
            (buf, ticket, rotate, p.stop)
        };
        let result = (|| -> std::io::Result<()> {
            let mut from = 0;
            if let Some((at, segment)) = rotate {
                log.append_encoded(&buf[..at]);
                log.sync()?;
                let path = segment_path(&shared.dir, segment);
                log = LogWriter::create(&path)?;
                sync_dir(&shared.dir)?;
                dirty = false;
                last_sync = Instant::now();
                from = at;
            }
            if from < buf.len() {
                log.append_encoded(&buf[from..]);
                match shared.fsync {
                    Fsync::Always => log.sync()?,
                    Fsync::Interval(_) => {
                        log.write_group()?;
                        dirty = true;
                    }
                }
            }
            if dirty
                && (stop
                    || matches!(shared.fsync, Fsync::Interval(every) if last_sync.elapsed() >= every))
            {
                log.sync_data()?;
                dirty = false;
                last_sync = Instant::now();
            }
            Ok(())
        })();
        shared.segment_bytes.store(log.len(), Ordering::Relaxed);
        buf.clear();
        if buf.capacity() <= 1 << 20 {
            spare = buf;
        }
        match result {
            Ok(()) => {
                shared.progress.send_modify(|p| p.done = p.done.max(ticket));
            }
            Err(e) => {
                let message: Arc<str> = Arc::from(format!(
                    "cannot write the journal in {}: {e}",
                    shared.dir.display()
                ));
                tracing_error(&message);
                shared.progress.send_modify(|p| p.error = Some(message));
                return;
            }
        }
        if stop {
            return;
        }
    }
}

fn tracing_error(message: &str) {
    eprintln!("ferrybridge: {message}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrybridge_engine::persist::frame;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("fb-journal-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn read_all(d: &Path) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let (j, _) = Durable::open(d, Fsync::Always, |_, data| {
            out.push(data.to_vec());
            Ok(())
        })
        .unwrap();
        j.close();
        out
    }

    fn rec(n: u8) -> Vec<u8> {
        let mut buf = Vec::new();
        frame(&mut buf, 200, &[n; 10]);
        buf
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn appended_records_are_durable_in_order_and_survive_rotation() {
        let d = dir("rotate");
        let (j, _) = Durable::open(&d, Fsync::Always, |_, _| Ok(())).unwrap();
        let t1 = j.append_records(&rec(1));
        j.wait_durable(t1).await.unwrap();
        j.append_records(&rec(2));
        let segment = j.rotate();
        assert_eq!(segment, 2);
        let t3 = j.append_records(&rec(3));
        j.wait_durable(t3).await.unwrap();
        j.close();
        drop(j);
        assert_eq!(read_all(&d), vec![vec![1; 10], vec![2; 10], vec![3; 10]]);
        // After a checkpoint the older segment can go.
        let (j, _) = Durable::open(&d, Fsync::Always, |_, _| Ok(())).unwrap();
        j.drop_segments_before(2).unwrap();
        j.close();
        drop(j);
        assert_eq!(read_all(&d), vec![vec![3; 10]]);
    }

    #[test]
    fn a_second_process_on_the_same_directory_is_refused() {
        let d = dir("lock");
        let (_j, _) = Durable::open(&d, Fsync::Always, |_, _| Ok(())).unwrap();
        let err = Durable::open(&d, Fsync::Always, |_, _| Ok(()))
            .err()
            .unwrap();
        assert!(err.to_string().contains("in use"), "{err}");
    }

    #[test]
    fn fsync_modes_parse() {
        assert_eq!("always".parse::<Fsync>(), Ok(Fsync::Always));
        assert_eq!(
            "interval:25".parse::<Fsync>(),
            Ok(Fsync::Interval(Duration::from_millis(25)))
        );
        assert!("interval:0".parse::<Fsync>().is_err());
        assert!("sometimes".parse::<Fsync>().is_err());
    }
}
