//! Compares candidate stores for `--data-dir` on the SQS hot path (see docs/persistence.md).
//!
//! `cargo run --release -p ferrybridge-store --features bench-candidates --bin bench-store [secs]`
//!
//! Every candidate is driven the same way: client threads issue SendMessage (put the message
//! record), ReceiveMessage (put its small state record) and DeleteMessage (delete both) and each
//! waits until its change is durable (fsynced) before issuing the next: one committer thread takes
//! everything pending, writes it as one transaction/batch and syncs it (group commit).
//! Then: bytes on disk per stored 256-byte message, and the time to reopen and read 100k of them.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use redb::ReadableTable as _;

enum Op {
    Put(Vec<u8>, Vec<u8>),
    Del(Vec<u8>),
}

trait Candidate: Send {
    fn commit(&mut self, ops: &[Op]);
    /// Reopens from disk and reads every record; returns how many.
    fn reopen_scan(dir: &Path) -> usize
    where
        Self: Sized;
}

// ---------------------------------------------------------------- redb
struct Redb(redb::Database);
const TABLE: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("m");
impl Redb {
    fn open(dir: &Path) -> Self {
        let db = redb::Database::builder()
            .set_cache_size(16 << 20)
            .create(dir.join("redb"))
            .unwrap();
        Self(db)
    }
}
impl Candidate for Redb {
    fn commit(&mut self, ops: &[Op]) {
        let tx = self.0.begin_write().unwrap();
        {
            let mut t = tx.open_table(TABLE).unwrap();
            for op in ops {
                match op {
                    Op::Put(k, v) => {
                        t.insert(k.as_slice(), v.as_slice()).unwrap();
                    }
                    Op::Del(k) => {
                        t.remove(k.as_slice()).unwrap();
                    }
                }
            }
        }
        tx.commit().unwrap();
    }
    fn reopen_scan(dir: &Path) -> usize {
        let db = Redb::open(dir);
        let tx = db.0.begin_read().unwrap();
        let t = tx.open_table(TABLE).unwrap();
        let mut n = 0;
        for e in t.iter().unwrap() {
            let (_k, v) = e.unwrap();
            n += usize::from(!v.value().is_empty());
        }
        n
    }
}

// ---------------------------------------------------------------- fjall
struct Fjall(fjall::Keyspace, fjall::PartitionHandle);
impl Fjall {
    fn open(dir: &Path) -> Self {
        let ks = fjall::Config::new(dir.join("fjall"))
            .cache_size(16 << 20)
            .open()
            .unwrap();
        let p = ks
            .open_partition("m", fjall::PartitionCreateOptions::default())
            .unwrap();
        Self(ks, p)
    }
}
impl Candidate for Fjall {
    fn commit(&mut self, ops: &[Op]) {
        let mut b = self.0.batch();
        for op in ops {
            match op {
                Op::Put(k, v) => b.insert(&self.1, k.as_slice(), v.as_slice()),
                Op::Del(k) => b.remove(&self.1, k.as_slice()),
            }
        }
        b.commit().unwrap();
        self.0.persist(fjall::PersistMode::SyncData).unwrap();
    }
    fn reopen_scan(dir: &Path) -> usize {
        let f = Fjall::open(dir);
        let mut n = 0;
        for kv in f.1.iter() {
            let (_k, v) = kv.unwrap();
            n += usize::from(!v.is_empty());
        }
        n
    }
}

// ---------------------------------------------------------------- SQLite
struct Sqlite(rusqlite::Connection);
impl Sqlite {
    fn open(dir: &Path) -> Self {
        let c = rusqlite::Connection::open(dir.join("sqlite.db")).unwrap();
        c.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
             CREATE TABLE IF NOT EXISTS m (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID;",
        )
        .unwrap();
        Self(c)
    }
}
impl Candidate for Sqlite {
    fn commit(&mut self, ops: &[Op]) {
        let tx = self.0.transaction().unwrap();
        {
            let mut put = tx
                .prepare_cached("INSERT OR REPLACE INTO m (k, v) VALUES (?1, ?2)")
                .unwrap();
            let mut del = tx.prepare_cached("DELETE FROM m WHERE k = ?1").unwrap();
            for op in ops {
                match op {
                    Op::Put(k, v) => put.execute((k, v)).unwrap(),
                    Op::Del(k) => del.execute((k,)).unwrap(),
                };
            }
        }
        tx.commit().unwrap();
    }
    fn reopen_scan(dir: &Path) -> usize {
        let s = Sqlite::open(dir);
        let mut st = s.0.prepare("SELECT v FROM m").unwrap();
        let mut rows = st.query(()).unwrap();
        let mut n = 0;
        while let Some(r) = rows.next().unwrap() {
            let v: Vec<u8> = r.get(0).unwrap();
            n += usize::from(!v.is_empty());
        }
        n
    }
}

// ---------------------------------------------------------------- own record log
/// ferrybridge-store's own log (what `--data-dir` uses): records appended with a CRC, one
/// fdatasync per group.
struct Log(ferrybridge_store::log::LogWriter);
impl Log {
    fn open(dir: &Path) -> Self {
        Self(ferrybridge_store::log::LogWriter::create(&dir.join("log")).unwrap())
    }
}
impl Candidate for Log {
    fn commit(&mut self, ops: &[Op]) {
        for op in ops {
            match op {
                Op::Put(k, v) => self.0.append(1, &[k.as_slice(), v.as_slice()].concat()),
                Op::Del(k) => self.0.append(2, k),
            }
        }
        self.0.sync().unwrap();
    }
    fn reopen_scan(dir: &Path) -> usize {
        let mut live = std::collections::HashMap::new();
        ferrybridge_store::log::read_log(&dir.join("log"), |kind, data| {
            if kind == 1 {
                live.insert(data[..16].to_vec(), data.len());
            } else {
                live.remove(&data[..16]);
            }
            Ok(())
        })
        .unwrap();
        live.len()
    }
}

// ---------------------------------------------------------------- harness
struct Group {
    pending: Mutex<(Vec<Op>, u64)>,
    committed: Mutex<u64>,
    done: Condvar,
    work: Condvar,
}

fn key(client: u64, n: u64, kind: u8) -> Vec<u8> {
    let mut k = Vec::with_capacity(17);
    k.extend_from_slice(&client.to_be_bytes());
    k.extend_from_slice(&n.to_be_bytes());
    k.push(kind);
    k
}

fn message_value() -> Vec<u8> {
    // A 256-byte body plus what a stored message carries (id, md5s, timestamps, sender).
    vec![b'x'; 256 + 80]
}

fn hot_path<C: Candidate + 'static>(mut c: C, clients: u64, secs: u64) -> f64 {
    let g = Arc::new(Group {
        pending: Mutex::new((Vec::new(), 0)),
        committed: Mutex::new(0),
        done: Condvar::new(),
        work: Condvar::new(),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let requests = Arc::new(AtomicU64::new(0));
    let committer = {
        let (g, stop) = (g.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let (ops, ticket) = {
                    let mut p = g.pending.lock();
                    if p.0.is_empty() {
                        g.work.wait_for(&mut p, Duration::from_millis(10));
                    }
                    (std::mem::take(&mut p.0), p.1)
                };
                if ops.is_empty() {
                    continue;
                }
                c.commit(&ops);
                *g.committed.lock() = ticket;
                g.done.notify_all();
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(secs);
    let threads: Vec<_> = (0..clients)
        .map(|client| {
            let (g, requests) = (g.clone(), requests.clone());
            std::thread::spawn(move || {
                let durable = |ops: Vec<Op>| {
                    let ticket = {
                        let mut p = g.pending.lock();
                        p.0.extend(ops);
                        p.1 += 1;
                        p.1
                    };
                    g.work.notify_one();
                    let mut c = g.committed.lock();
                    while *c < ticket {
                        g.done.wait(&mut c);
                    }
                };
                let mut n = 0;
                while Instant::now() < deadline {
                    durable(vec![Op::Put(key(client, n, 0), message_value())]);
                    durable(vec![Op::Put(key(client, n, 1), vec![0u8; 24])]);
                    durable(vec![Op::Del(key(client, n, 0)), Op::Del(key(client, n, 1))]);
                    requests.fetch_add(3, Ordering::Relaxed);
                    n += 1;
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    g.work.notify_all();
    committer.join().unwrap();
    requests.load(Ordering::Relaxed) as f64 / secs as f64
}

fn dir_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let md = e.metadata().unwrap();
        total += if md.is_dir() {
            dir_bytes(&e.path())
        } else {
            md.len()
        };
    }
    total
}

fn stored<C: Candidate>(mut c: C, dir: &Path, n: u64) -> (f64, f64) {
    for chunk in 0..n / 1000 {
        let ops: Vec<Op> = (0..1000)
            .map(|i| Op::Put(key(0, chunk * 1000 + i, 0), message_value()))
            .collect();
        c.commit(&ops);
    }
    drop(c);
    let bytes = dir_bytes(dir) as f64 / n as f64;
    let t = Instant::now();
    let found = C::reopen_scan(dir);
    assert_eq!(found as u64, n);
    (bytes, t.elapsed().as_secs_f64() * 1000.0)
}

fn fresh(root: &Path, name: &str) -> PathBuf {
    let d = root.join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn main() {
    let secs: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let root = std::env::temp_dir().join(format!("fb-bench-store-{}", std::process::id()));
    println!("| store | durable requests/s, 1 client | 64 clients | bytes/stored msg | reopen+read 100k ms |");
    println!("|---|---|---|---|---|");
    macro_rules! row {
        ($name:literal, $ty:ident) => {{
            let one = hot_path($ty::open(&fresh(&root, "a")), 1, secs);
            let many = hot_path($ty::open(&fresh(&root, "b")), 64, secs);
            let d = fresh(&root, "c");
            let (bytes, ms) = stored($ty::open(&d), &d, 100_000);
            println!(
                "| {} | {one:.0} | {many:.0} | {bytes:.0} | {ms:.0} |",
                $name
            );
        }};
    }
    row!("own record log", Log);
    row!("redb 2", Redb);
    row!("fjall 2", Fjall);
    row!("SQLite (WAL, synchronous=FULL)", Sqlite);
    let _ = std::fs::remove_dir_all(&root);
}
