//! Per-path value indexes: from a leaf value to the conditions it satisfies.
//!
//! Exact values and case-folded values are hash lookups; prefixes and
//! suffixes are byte tries walked once along the value, so their cost
//! depends on the value's length, not on how many rules use them. Operators
//! that cannot be indexed (numeric ranges, wildcards, CIDR blocks,
//! anything-but, exists) are evaluated one by one, but only for values at
//! their own path.

use std::hash::{BuildHasher, Hash};

use crate::ast::{Leaf, Operator};
use crate::hash::FastMap;
use crate::number::NumberKey;

/// One condition of one compiled sub-pattern: the thing a value can satisfy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    /// Sub-pattern id in the matcher.
    pub sub: u32,
    /// Index of the condition inside the sub-pattern.
    pub slot: u32,
}

/// Byte trie whose nodes carry the targets of the strings ending there.
#[derive(Debug, Clone)]
struct Trie {
    nodes: Vec<TrieNode>,
}

#[derive(Debug, Clone, Default)]
struct TrieNode {
    children: Vec<(u8, u32)>,
    targets: Vec<Target>,
}

impl Default for Trie {
    fn default() -> Self {
        Trie {
            nodes: vec![TrieNode::default()],
        }
    }
}

impl Trie {
    fn is_empty(&self) -> bool {
        self.nodes.len() == 1 && self.nodes[0].targets.is_empty()
    }

    fn child(&self, node: usize, byte: u8) -> Option<usize> {
        self.nodes[node]
            .children
            .iter()
            .find(|(b, _)| *b == byte)
            .map(|(_, next)| *next as usize)
    }

    fn insert(&mut self, key: impl Iterator<Item = u8>, target: Target) {
        let mut node = 0;
        for byte in key {
            node = match self.child(node, byte) {
                Some(next) => next,
                None => {
                    let next = self.nodes.len();
                    self.nodes.push(TrieNode::default());
                    self.nodes[node].children.push((byte, next as u32));
                    next
                }
            };
        }
        self.nodes[node].targets.push(target);
    }

    /// Removes `sub`'s targets on `key`. Emptied nodes stay; they cost a
    /// little memory and nothing at match time beyond a failed child search.
    fn remove(&mut self, key: impl Iterator<Item = u8>, sub: u32) {
        let mut node = 0;
        for byte in key {
            match self.child(node, byte) {
                Some(next) => node = next,
                None => return,
            }
        }
        self.nodes[node].targets.retain(|t| t.sub != sub);
    }

    /// Reports the targets of every key that is a prefix of `value`.
    #[inline]
    fn walk(&self, value: impl Iterator<Item = u8>, out: &mut impl FnMut(Target)) {
        let mut node = 0;
        self.nodes[0].targets.iter().for_each(|t| out(*t));
        for byte in value {
            match self.child(node, byte) {
                Some(next) => node = next,
                None => return,
            }
            self.nodes[node].targets.iter().for_each(|t| out(*t));
        }
    }
}

/// Everything the rules test at one field path.
#[derive(Debug, Clone, Default)]
pub struct PathIndex {
    strings: FastMap<Box<str>, Vec<Target>>,
    numbers: FastMap<NumberKey, Vec<Target>>,
    trues: Vec<Target>,
    falses: Vec<Target>,
    nulls: Vec<Target>,
    prefixes: Trie,
    suffixes: Trie,
    folded_prefixes: Trie,
    folded_suffixes: Trie,
    folded: FastMap<Box<str>, Vec<Target>>,
    /// Operators evaluated one by one.
    scanned: Vec<(Operator, Target)>,
    /// Whether any case-folded index is in use (folding costs an allocation).
    folding: bool,
}

impl PathIndex {
    /// Indexes one operator. `Exists(false)` is not indexed: absence is
    /// decided by the matcher from the set of paths present.
    pub fn insert(&mut self, operator: &Operator, target: Target) {
        match operator {
            Operator::ExactString(s) => self
                .strings
                .entry(s.as_str().into())
                .or_default()
                .push(target),
            Operator::ExactNumber(k) => self.numbers.entry(*k).or_default().push(target),
            Operator::ExactBool(true) => self.trues.push(target),
            Operator::ExactBool(false) => self.falses.push(target),
            Operator::ExactNull => self.nulls.push(target),
            Operator::Prefix {
                text,
                ignore_case: false,
            } => self.prefixes.insert(text.bytes(), target),
            Operator::Suffix {
                text,
                ignore_case: false,
            } => self.suffixes.insert(text.bytes().rev(), target),
            Operator::Prefix {
                text,
                ignore_case: true,
            } => {
                self.folding = true;
                self.folded_prefixes.insert(text.bytes(), target);
            }
            Operator::Suffix {
                text,
                ignore_case: true,
            } => {
                self.folding = true;
                self.folded_suffixes.insert(text.bytes().rev(), target);
            }
            Operator::EqualsIgnoreCase(text) => {
                self.folding = true;
                self.folded
                    .entry(text.as_str().into())
                    .or_default()
                    .push(target);
            }
            Operator::Exists(false) => {}
            other => self.scanned.push((other.clone(), target)),
        }
    }

    /// Removes every target of sub-pattern `sub` that `operator` inserted.
    pub fn remove(&mut self, operator: &Operator, sub: u32) {
        fn drop_from<K: Hash + Eq + ?Sized, S: BuildHasher>(
            map: &mut std::collections::HashMap<Box<K>, Vec<Target>, S>,
            key: &K,
            sub: u32,
        ) where
            Box<K>: std::borrow::Borrow<K>,
        {
            if let Some(list) = map.get_mut(key) {
                list.retain(|t| t.sub != sub);
                if list.is_empty() {
                    map.remove(key);
                }
            }
        }
        match operator {
            Operator::ExactString(s) => drop_from(&mut self.strings, s.as_str(), sub),
            Operator::ExactNumber(k) => {
                if let Some(list) = self.numbers.get_mut(k) {
                    list.retain(|t| t.sub != sub);
                    if list.is_empty() {
                        self.numbers.remove(k);
                    }
                }
            }
            Operator::ExactBool(true) => self.trues.retain(|t| t.sub != sub),
            Operator::ExactBool(false) => self.falses.retain(|t| t.sub != sub),
            Operator::ExactNull => self.nulls.retain(|t| t.sub != sub),
            Operator::Prefix {
                text,
                ignore_case: false,
            } => self.prefixes.remove(text.bytes(), sub),
            Operator::Suffix {
                text,
                ignore_case: false,
            } => self.suffixes.remove(text.bytes().rev(), sub),
            Operator::Prefix {
                text,
                ignore_case: true,
            } => self.folded_prefixes.remove(text.bytes(), sub),
            Operator::Suffix {
                text,
                ignore_case: true,
            } => self.folded_suffixes.remove(text.bytes().rev(), sub),
            Operator::EqualsIgnoreCase(text) => drop_from(&mut self.folded, text.as_str(), sub),
            Operator::Exists(false) => {}
            _ => self.scanned.retain(|(_, t)| t.sub != sub),
        }
        self.folding = !(self.folded.is_empty()
            && self.folded_prefixes.is_empty()
            && self.folded_suffixes.is_empty());
    }

    /// Rough number of values an operator lets through, plus the targets
    /// already indexed under the same key: the matcher anchors each
    /// sub-pattern on its cheapest condition, so that rules sharing a common
    /// condition (say `"source": ["aws.ec2"]`) are not all woken up by every
    /// event that has it.
    pub fn cost(&self, operator: &Operator) -> usize {
        match operator {
            Operator::ExactString(s) => 1 + self.strings.get(s.as_str()).map_or(0, Vec::len),
            Operator::ExactNumber(k) => 1 + self.numbers.get(k).map_or(0, Vec::len),
            Operator::ExactBool(true) => 1 + self.trues.len(),
            Operator::ExactBool(false) => 1 + self.falses.len(),
            Operator::ExactNull => 1 + self.nulls.len(),
            Operator::EqualsIgnoreCase(text) => {
                2 + self.folded.get(text.as_str()).map_or(0, Vec::len)
            }
            Operator::Prefix { .. } | Operator::Suffix { .. } => 4,
            Operator::Wildcard(_) | Operator::Cidr(_) => 8,
            Operator::Numeric(_) => 16,
            Operator::AnythingBut(_) => 64,
            Operator::Exists(_) | Operator::ExistsNonEmpty => 128,
        }
    }

    /// Reports every target the leaf value satisfies (possibly repeatedly).
    #[inline]
    pub fn lookup(&self, leaf: &Leaf<'_>, out: &mut impl FnMut(Target)) {
        match leaf {
            Leaf::Str(s) => {
                let s: &str = s;
                if !self.strings.is_empty() {
                    if let Some(list) = self.strings.get(s) {
                        list.iter().for_each(|t| out(*t));
                    }
                }
                if !self.prefixes.is_empty() {
                    self.prefixes.walk(s.bytes(), out);
                }
                if !self.suffixes.is_empty() {
                    self.suffixes.walk(s.bytes().rev(), out);
                }
                if self.folding {
                    let lower = s.to_lowercase();
                    if let Some(list) = self.folded.get(lower.as_str()) {
                        list.iter().for_each(|t| out(*t));
                    }
                    self.folded_prefixes.walk(lower.bytes(), out);
                    self.folded_suffixes.walk(lower.bytes().rev(), out);
                }
            }
            Leaf::Num(n) => {
                if !self.numbers.is_empty() {
                    if let Some(list) = self.numbers.get(&n.key()) {
                        list.iter().for_each(|t| out(*t));
                    }
                }
            }
            Leaf::Bool(true) => self.trues.iter().for_each(|t| out(*t)),
            Leaf::Bool(false) => self.falses.iter().for_each(|t| out(*t)),
            Leaf::Null => self.nulls.iter().for_each(|t| out(*t)),
        }
        for (operator, target) in &self.scanned {
            if operator.matches(leaf) {
                out(*target);
            }
        }
    }
}
