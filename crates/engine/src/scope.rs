//! Maps keyed by (account, region): the SQS catalog and the SNS and EventBridge region
//! stores. Every request looks one up, with names borrowed from the request, so the key type
//! has a borrowed twin ([`ScopeRef`]) and the map is hashbrown's, whose `Equivalent` lets a
//! lookup use it: an owned key would cost two allocations per lookup.

/// (account, region).
pub type Scope = (String, String);

/// A [`Scope`] borrowed. It hashes as a [`Scope`] does: a tuple hashes its fields in order,
/// and a `String` as its `str`.
#[derive(Debug, Clone, Copy, Hash)]
pub struct ScopeRef<'a>(pub &'a str, pub &'a str);

impl hashbrown::Equivalent<Scope> for ScopeRef<'_> {
    fn equivalent(&self, key: &Scope) -> bool {
        self.0 == key.0 && self.1 == key.1
    }
}

/// A map keyed by [`Scope`], hashed with the standard library's randomly keyed SipHash (the
/// names come from clients).
pub type ScopeMap<V> = hashbrown::HashMap<Scope, V, std::hash::RandomState>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn a_borrowed_scope_hashes_and_compares_as_the_owned_one() {
        let state = std::hash::RandomState::new();
        let owned: Scope = ("000000000000".into(), "us-east-1".into());
        let borrowed = ScopeRef("000000000000", "us-east-1");
        assert_eq!(state.hash_one(&owned), state.hash_one(borrowed));
        assert!(hashbrown::Equivalent::equivalent(&borrowed, &owned));
        assert!(!hashbrown::Equivalent::equivalent(
            &ScopeRef("000000000000", "us-east-2"),
            &owned
        ));
        let mut map = ScopeMap::default();
        map.insert(owned.clone(), 1);
        assert_eq!(map.get(&borrowed), Some(&1));
        assert_eq!(map.get(&ScopeRef("000000000000", "us-east-2")), None);
    }
}
