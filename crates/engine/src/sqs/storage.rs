//! The storage boundary of the SQS engine.
//!
//! [`SqsStorage`] is the catalog of queues (per account and region) plus a factory for each
//! queue's [`MessageStore`]. Operations never touch a `HashMap` of queues directly, so a
//! persistent backend can be added by implementing these two traits. [`MemoryStorage`] is the
//! in-memory backend: one `RwLock` over the catalog (held only to look up, insert or remove a
//! queue), while each queue's messages sit behind the queue's own mutex.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;

use super::fifo_store::FifoMessageStore;
use super::queue::{Queue, QueueKey, QueueKeyRef};
use super::store::{MemoryMessageStore, MessageStore};
use crate::scope::{Scope, ScopeMap, ScopeRef};

/// Outcome of [`SqsStorage::create`].
pub enum CreateOutcome {
    Created,
    Exists(Arc<Queue>),
    DeletedRecently,
}

/// Catalog of queues and factory of their message stores.
pub trait SqsStorage: Send + Sync + 'static {
    fn get(&self, key: QueueKeyRef<'_>) -> Option<Arc<Queue>>;
    /// Inserts `queue` unless one with its key exists or one was deleted less than
    /// `recently_ms` before `now_ms` (atomically).
    fn create(&self, queue: Arc<Queue>, now_ms: u64, recently_ms: u64) -> CreateOutcome;
    /// Removes the queue and remembers when (for `QueueDeletedRecently`).
    fn remove(&self, key: &QueueKey, now_ms: u64) -> Option<Arc<Queue>>;
    /// Queues of one account and region.
    fn list(&self, account_id: &str, region: &str) -> Vec<Arc<Queue>>;
    /// Removes every queue of the matching accounts and regions (`None`: all) without
    /// remembering their deletion (a reset: the names are free again at once).
    fn remove_all(&self, account_id: Option<&str>, region: Option<&str>) -> Vec<Arc<Queue>>;
    /// The (account, region) pairs that have queues.
    fn scopes(&self) -> Vec<(String, String)>;
    /// A new, empty message store for a queue being created.
    fn message_store(&self, key: &QueueKey, fifo: bool) -> Box<dyn MessageStore>;
}

#[derive(Default)]
struct Catalog {
    /// (account, region) -> name -> queue.
    queues: ScopeMap<HashMap<String, Arc<Queue>>>,
    /// (account, region) -> name -> deletion instant.
    deleted: HashMap<Scope, HashMap<String, u64>>,
}

/// In-memory [`SqsStorage`].
#[derive(Default)]
pub struct MemoryStorage {
    catalog: RwLock<Catalog>,
}

impl MemoryStorage {
    pub fn new() -> Self {
        Self::default()
    }
}

fn scope(key: &QueueKey) -> Scope {
    (key.account_id.clone(), key.region.clone())
}

impl SqsStorage for MemoryStorage {
    fn get(&self, key: QueueKeyRef<'_>) -> Option<Arc<Queue>> {
        let catalog = self.catalog.read();
        catalog
            .queues
            .get(&ScopeRef(key.account_id, key.region))
            .and_then(|m| m.get(key.name))
            .cloned()
    }

    fn create(&self, queue: Arc<Queue>, now_ms: u64, recently_ms: u64) -> CreateOutcome {
        let key = queue.key().clone();
        let mut catalog = self.catalog.write();
        if let Some(existing) = catalog
            .queues
            .get(&scope(&key))
            .and_then(|m| m.get(&key.name))
        {
            return CreateOutcome::Exists(existing.clone());
        }
        if let Some(deleted) = catalog.deleted.get_mut(&scope(&key)) {
            deleted.retain(|_, at| at.saturating_add(recently_ms) > now_ms);
            if deleted.contains_key(&key.name) {
                return CreateOutcome::DeletedRecently;
            }
        }
        catalog
            .queues
            .entry(scope(&key))
            .or_default()
            .insert(key.name.clone(), queue);
        CreateOutcome::Created
    }

    fn remove(&self, key: &QueueKey, now_ms: u64) -> Option<Arc<Queue>> {
        let mut catalog = self.catalog.write();
        let removed = catalog.queues.get_mut(&scope(key))?.remove(&key.name)?;
        catalog
            .deleted
            .entry(scope(key))
            .or_default()
            .insert(key.name.clone(), now_ms);
        Some(removed)
    }

    fn list(&self, account_id: &str, region: &str) -> Vec<Arc<Queue>> {
        let catalog = self.catalog.read();
        catalog
            .queues
            .get(&ScopeRef(account_id, region))
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    fn remove_all(&self, account_id: Option<&str>, region: Option<&str>) -> Vec<Arc<Queue>> {
        let matches =
            |(a, r): &Scope| account_id.is_none_or(|x| x == a) && region.is_none_or(|x| x == r);
        let mut catalog = self.catalog.write();
        catalog.deleted.retain(|scope, _| !matches(scope));
        let scopes: Vec<Scope> = catalog
            .queues
            .keys()
            .filter(|s| matches(s))
            .cloned()
            .collect();
        scopes
            .iter()
            .filter_map(|scope| catalog.queues.remove(scope))
            .flat_map(|m| m.into_values())
            .collect()
    }

    fn scopes(&self) -> Vec<(String, String)> {
        let catalog = self.catalog.read();
        catalog
            .queues
            .iter()
            .filter(|(_, m)| !m.is_empty())
            .map(|(s, _)| s.clone())
            .collect()
    }

    fn message_store(&self, _key: &QueueKey, fifo: bool) -> Box<dyn MessageStore> {
        if fifo {
            Box::new(FifoMessageStore::new())
        } else {
            Box::new(MemoryMessageStore::new())
        }
    }
}
