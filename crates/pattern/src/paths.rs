//! The table of field paths that at least one rule mentions.
//!
//! The flattener consults it for every key of the event, so that subtrees no
//! rule can look at are skipped without being materialised. Every proper
//! dot-prefix of a registered path is recorded too, which is what lets the
//! flattener decide at each object key whether to descend.

use crate::hash::FastMap;

/// Dense id of a registered leaf path; indexes per-path match indexes.
pub type PathId = u32;

/// What the table knows about one dotted path.
#[derive(Debug, Clone, Copy, Default)]
pub struct PathEntry {
    /// Set when some condition tests leaf values at exactly this path.
    pub leaf: Option<PathId>,
    leaf_refs: u32,
    prefix_refs: u32,
}

/// Reference-counted registry of leaf paths and their prefixes.
#[derive(Debug, Clone, Default)]
pub struct PathTable {
    entries: FastMap<Box<str>, PathEntry>,
    free_ids: Vec<PathId>,
    next_id: PathId,
}

impl PathTable {
    /// Looks up a composed event path.
    #[inline]
    pub fn get(&self, path: &str) -> Option<&PathEntry> {
        self.entries.get(path)
    }

    /// Registers one more use of `path`; returns its id and whether it is new.
    pub fn register(&mut self, path: &str) -> (PathId, bool) {
        for (at, _) in path.match_indices('.') {
            self.entries
                .entry(path[..at].into())
                .or_default()
                .prefix_refs += 1;
        }
        let entry = self.entries.entry(path.into()).or_default();
        entry.leaf_refs += 1;
        if let Some(id) = entry.leaf {
            return (id, false);
        }
        let id = self.free_ids.pop().unwrap_or_else(|| {
            self.next_id += 1;
            self.next_id - 1
        });
        entry.leaf = Some(id);
        (id, true)
    }

    /// Drops one use of `path`; returns its id if that was the last use.
    pub fn unregister(&mut self, path: &str) -> Option<PathId> {
        for (at, _) in path.match_indices('.') {
            self.release(&path[..at], |e| {
                e.prefix_refs = e.prefix_refs.saturating_sub(1)
            });
        }
        let mut freed = None;
        self.release(path, |e| {
            e.leaf_refs = e.leaf_refs.saturating_sub(1);
            if e.leaf_refs == 0 {
                freed = e.leaf.take();
            }
        });
        if let Some(id) = freed {
            self.free_ids.push(id);
        }
        freed
    }

    fn release(&mut self, path: &str, update: impl FnOnce(&mut PathEntry)) {
        if let Some(entry) = self.entries.get_mut(path) {
            update(entry);
            if entry.leaf_refs == 0 && entry.prefix_refs == 0 {
                self.entries.remove(path);
            }
        }
    }
}
