//! The record log: an append-only file of checksummed records, written in groups.
//!
//! ```text
//! record  = len:u32le kind:u8 crc:u32le data[len]     crc = CRC-32C-less IEEE CRC32 of kind+data
//! group   = record* commit                            commit = record of kind 0, data = group:u64le
//! ```
//! A writer buffers the records of a group and [`LogWriter::sync`] writes them, then a commit
//! record, with one `write` and one `fdatasync`. A reader applies a group's records only when it
//! reads the group's commit record, so a group that was being written when the process died (and
//! was therefore never acknowledged) is dropped whole: that torn tail is cut off silently and
//! the file truncated there. A bad record *followed by a valid commit record* cannot come from a
//! crash (later groups are only written after earlier ones were synced): that is corruption,
//! reported as an error naming the file and the offset, never repaired by dropping data.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Kind of the record closing a group.
pub const COMMIT: u8 = 0;
const HEADER: usize = 9;
/// Largest record accepted when reading (a length above it is corruption).
pub const MAX_RECORD: usize = 64 << 20;

/// Errors of the store: always name the file.
#[derive(Debug)]
pub struct StoreError {
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for StoreError {}

impl StoreError {
    pub fn io(path: &Path, e: io::Error) -> Self {
        Self {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
    pub fn corrupt(path: &Path, message: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}

fn crc(kind: u8, data: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&[kind]);
    h.update(data);
    h.finalize()
}

/// Appends groups of records to a log file.
pub struct LogWriter {
    file: File,
    path: PathBuf,
    buf: Vec<u8>,
    group: u64,
    len: u64,
    /// Bytes of the file already allocated (written with zeros ahead of the data): syncing an
    /// overwrite inside them needs no metadata update, so `fdatasync` is one device flush.
    allocated: u64,
}

/// Makes `file` readable and writable by its owner only (0600), whatever the umask or an
/// older version left.
fn owner_only(file: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if file.metadata()?.permissions().mode() & 0o777 != 0o600 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

/// How far ahead the file is allocated.
const ALLOCATE: u64 = 8 << 20;

impl LogWriter {
    /// Creates (or truncates) a log.
    /// Readable by its owner only (0600): the journal holds secrets (SNS platform credentials,
    /// EventBridge connection secrets, STS session keys).
    pub fn create(path: &Path) -> io::Result<Self> {
        let mut options = OpenOptions::new();
        options.create(true).write(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path)?;
        owner_only(&file)?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
            buf: Vec::with_capacity(1 << 16),
            group: 0,
            len: 0,
            allocated: 0,
        })
    }

    /// Opens an existing log to append after `end.valid_len` bytes (what [`read_log`] found
    /// valid). A torn tail after it is zeroed (and synced) so that no old record can ever be
    /// read after new ones; without one, everything after it is allocated zeros already.
    pub fn append_to(path: &Path, end: LogEnd) -> io::Result<Self> {
        let LogEnd {
            valid_len, group, ..
        } = end;
        let file = OpenOptions::new().write(true).open(path)?;
        owner_only(&file)?;
        let size = file.metadata()?.len();
        if end.torn {
            let zeros = vec![0u8; 1 << 20];
            let mut at = valid_len;
            while at < size {
                let n = (size - at).min(zeros.len() as u64) as usize;
                file.write_all_at(&zeros[..n], at)?;
                at += n as u64;
            }
            file.sync_all()?;
        }
        Ok(Self {
            file,
            path: path.to_path_buf(),
            buf: Vec::with_capacity(1 << 16),
            group,
            len: valid_len,
            allocated: size.max(valid_len),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes in the file (synced groups).
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Buffers a record of the current group.
    pub fn append(&mut self, kind: u8, data: &[u8]) {
        debug_assert!(kind != COMMIT);
        push_record(&mut self.buf, kind, data);
    }

    /// Appends already-encoded records (see [`push_record`]) to the current group.
    pub fn append_encoded(&mut self, records: &[u8]) {
        self.buf.extend_from_slice(records);
    }

    /// Writes the buffered group with its commit record and syncs the data to disk.
    pub fn sync(&mut self) -> io::Result<()> {
        self.write_group()?;
        self.file.sync_data()
    }

    /// Writes the buffered group with its commit record without syncing (`--fsync=interval`).
    pub fn write_group(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.group += 1;
        let group = self.group.to_le_bytes();
        push_record(&mut self.buf, COMMIT, &group);
        let end = self.len + self.buf.len() as u64;
        if end > self.allocated {
            let target = end + ALLOCATE;
            let zeros = vec![0u8; 1 << 20];
            let mut at = self.allocated;
            while at < target {
                let n = (target - at).min(zeros.len() as u64) as usize;
                self.file.write_all_at(&zeros[..n], at)?;
                at += n as u64;
            }
            self.file.sync_all()?;
            self.allocated = target;
        }
        self.file.write_all_at(&self.buf, self.len)?;
        self.len += self.buf.len() as u64;
        self.buf.clear();
        if self.buf.capacity() > 4 << 20 {
            self.buf.shrink_to(1 << 16);
        }
        Ok(())
    }

    /// Syncs what was written.
    pub fn sync_data(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }
}

/// Encodes one record into `buf`.
pub fn push_record(buf: &mut Vec<u8>, kind: u8, data: &[u8]) {
    buf.extend_from_slice(&(data.len() as u32).to_le_bytes());
    buf.push(kind);
    buf.extend_from_slice(&crc(kind, data).to_le_bytes());
    buf.extend_from_slice(data);
}

/// A record parsed at `at`, if one is there whole and intact: (kind, data range, next offset).
fn parse_at(bytes: &[u8], at: usize) -> Option<(u8, std::ops::Range<usize>, usize)> {
    let header = bytes.get(at..at + HEADER)?;
    let len = u32::from_le_bytes(header[0..4].try_into().ok()?) as usize;
    if len > MAX_RECORD {
        return None;
    }
    let kind = header[4];
    let sum = u32::from_le_bytes(header[5..9].try_into().ok()?);
    let data = at + HEADER..at + HEADER + len;
    let body = bytes.get(data.clone())?;
    (crc(kind, body) == sum).then_some((kind, data.clone(), data.end))
}

/// What [`read_log`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogEnd {
    /// Bytes up to the end of the last complete group.
    pub valid_len: u64,
    /// Number of the last complete group.
    pub group: u64,
    /// Whether a torn tail (anything but the zeros allocated ahead) was found after it; it is
    /// zeroed by [`LogWriter::append_to`].
    pub torn: bool,
}

/// Reads a log, calling `apply(kind, data)` for every record of every complete group, in order.
/// A torn tail is ignored (see the module doc); corruption before a later complete group is an
/// error naming the file. `apply` may fail (a record it cannot decode): that error is returned
/// with the file name.
pub fn read_log(
    path: &Path,
    mut apply: impl FnMut(u8, &[u8]) -> Result<(), String>,
) -> Result<LogEnd, StoreError> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| {
            // One allocation of the file's size (no doubling, returned whole when dropped).
            bytes.reserve_exact(f.metadata()?.len() as usize);
            f.read_to_end(&mut bytes)
        })
        .map_err(|e| StoreError::io(path, e))?;
    let mut at = 0;
    let mut group_start = 0;
    let mut pending: Vec<(u8, std::ops::Range<usize>)> = Vec::new();
    let mut group = 0;
    while at < bytes.len() {
        match parse_at(&bytes, at) {
            Some((COMMIT, data, next)) => {
                for (kind, range) in pending.drain(..) {
                    apply(kind, &bytes[range]).map_err(|m| {
                        StoreError::corrupt(
                            path,
                            format!("record in group at byte {group_start}: {m}"),
                        )
                    })?;
                }
                group = u64::from_le_bytes(bytes[data].try_into().unwrap_or([0; 8]));
                at = next;
                group_start = at;
            }
            Some((kind, data, next)) => {
                pending.push((kind, data));
                at = next;
            }
            None => {
                // Torn tail, or damage? Damage if a complete group follows.
                if later_commit(&bytes, at + 1) {
                    return Err(StoreError::corrupt(
                        path,
                        format!(
                            "data file is corrupted at byte {at} of {} (a damaged record before later intact ones; not a torn write). \
                             Restore the directory from a backup or move it away to start empty.",
                            bytes.len()
                        ),
                    ));
                }
                return Ok(LogEnd {
                    valid_len: group_start as u64,
                    group,
                    torn: bytes[group_start..].iter().any(|b| *b != 0),
                });
            }
        }
    }
    Ok(LogEnd {
        valid_len: group_start as u64,
        group,
        torn: group_start != bytes.len(),
    })
}

/// Whether an intact commit record starts anywhere at or after `from`.
fn later_commit(bytes: &[u8], from: usize) -> bool {
    (from..bytes.len().saturating_sub(HEADER + 8 - 1)).any(|at| {
        bytes[at..at + 4] == 8u32.to_le_bytes()
            && bytes[at + 4] == COMMIT
            && parse_at(bytes, at).is_some()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("fb-log-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d.join("log")
    }

    fn collect(path: &Path) -> Result<(Vec<Vec<u8>>, LogEnd), StoreError> {
        let mut out = Vec::new();
        let end = read_log(path, |_, d| {
            out.push(d.to_vec());
            Ok(())
        })?;
        Ok((out, end))
    }

    #[test]
    fn groups_round_trip_and_torn_tail_is_dropped() {
        let p = tmp("torn");
        let mut w = LogWriter::create(&p).unwrap();
        w.append(1, b"a");
        w.append(1, b"b");
        w.sync().unwrap();
        w.append(1, b"c");
        w.sync().unwrap();
        let good = w.len();
        // A group torn by a crash: records written, no commit.
        w.append(1, b"d");
        w.buf.truncate(w.buf.len() - 1);
        w.file.write_all_at(&w.buf, w.len).unwrap();
        drop(w);
        let (recs, end) = collect(&p).unwrap();
        assert_eq!(recs, vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
        assert_eq!(end.valid_len, good);
        assert!(end.torn);
        let mut w = LogWriter::append_to(&p, end).unwrap();
        w.append(1, b"e");
        w.sync().unwrap();
        let (recs, end) = collect(&p).unwrap();
        assert_eq!(recs.len(), 4);
        assert!(!end.torn);
    }

    #[cfg(unix)]
    #[test]
    fn logs_are_owner_only_even_if_an_older_version_left_them_readable() {
        use std::os::unix::fs::PermissionsExt;
        let p = tmp("mode");
        let mut w = LogWriter::create(&p).unwrap();
        w.append(1, b"secret");
        w.sync().unwrap();
        drop(w);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&p), 0o600);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (_, end) = collect(&p).unwrap();
        let _w = LogWriter::append_to(&p, end).unwrap();
        assert_eq!(mode(&p), 0o600);
    }

    #[test]
    fn damage_before_a_later_group_is_an_error_naming_the_file() {
        let p = tmp("garbled");
        let mut w = LogWriter::create(&p).unwrap();
        for i in 0..10u8 {
            w.append(1, &[i; 100]);
            w.sync().unwrap();
        }
        drop(w);
        let mut bytes = std::fs::read(&p).unwrap();
        bytes[300] ^= 0xff;
        std::fs::write(&p, &bytes).unwrap();
        let err = collect(&p).unwrap_err();
        assert!(err.to_string().contains(&p.display().to_string()), "{err}");
        assert!(err.to_string().contains("corrupted"), "{err}");
    }
}
