//! The hasher of the matcher's internal maps: `rustc-hash`'s `FxHasher`.
//!
//! Every object key of every event is hashed (path lookups) and every string leaf at an indexed
//! path is hashed (exact lookups), so SipHash's per-call cost shows up directly in events per
//! second. The keys of these maps come from the rules, which their owner writes, so flooding
//! resistance buys nothing here.

/// `HashMap` with `rustc-hash`'s fast non-cryptographic hasher.
pub type FastMap<K, V> = rustc_hash::FxHashMap<K, V>;
