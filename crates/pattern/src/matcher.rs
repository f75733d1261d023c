//! [`Matcher`]: many compiled patterns, one pass per event.
//!
//! Rules are split into their `$or` alternatives ("sub-patterns"). Each
//! sub-pattern is *anchored* on one condition — the cheapest one that cannot
//! hold by absence — and only that condition is entered into the
//! [`PathIndex`] of its field path. Matching an event flattens only the
//! fields some rule mentions, looks each one up in its path's index to find
//! the sub-patterns whose anchor it satisfies, and evaluates just those in
//! full. The cost therefore follows the event and the rules that could
//! actually match it, not the total number of rules — the property
//! event-ruler is built around. Adding or removing a rule touches only that
//! rule's own index entries.

use std::collections::HashMap;
use std::hash::Hash;

use crate::ast::SubPattern;
use crate::error::EventError;
use crate::event::{attributes_to_event, flatten_str, flatten_value, trails_compatible, FlatEvent};
use crate::index::{PathIndex, Target};
use crate::paths::{PathId, PathTable};

/// Anything that compiles to `$or`-expanded alternatives: [`EventPattern`]
/// and [`FilterPolicy`].
///
/// [`EventPattern`]: crate::EventPattern
/// [`FilterPolicy`]: crate::FilterPolicy
pub trait Pattern {
    /// The alternatives; the pattern matches if any of them does.
    fn alternatives(&self) -> &[SubPattern];
}

/// Parsed alternatives are a pattern in their own right.
impl Pattern for Vec<SubPattern> {
    fn alternatives(&self) -> &[SubPattern] {
        self
    }
}

/// A compiled alternative as the matcher stores it.
#[derive(Debug, Clone)]
struct CompiledSub {
    rule: u32,
    conditions: SubPattern,
    /// Path id of each condition.
    paths: Vec<PathId>,
    /// The indexed condition; `None` if every condition holds by absence.
    anchor: Option<usize>,
}

/// A set of rules, each identified by an `Id`, matched together.
///
/// ```
/// use ferrybridge_pattern::{EventPattern, Matcher};
///
/// let mut rules = Matcher::new();
/// rules.add("ec2", &EventPattern::parse(r#"{"source": ["aws.ec2"]}"#).unwrap());
/// rules.add("any", &EventPattern::parse(r#"{"source": [{"prefix": "aws."}]}"#).unwrap());
/// let mut hits = rules.matching_json(r#"{"source": "aws.ec2"}"#).unwrap();
/// hits.sort();
/// assert_eq!(hits, ["any", "ec2"]);
/// ```
#[derive(Debug, Clone)]
pub struct Matcher<Id> {
    paths: PathTable,
    indexes: Vec<PathIndex>,
    subs: Vec<Option<CompiledSub>>,
    free_subs: Vec<u32>,
    /// Rule slot -> (id, its sub-pattern ids).
    rules: Vec<Option<(Id, Vec<u32>)>>,
    free_rules: Vec<u32>,
    by_id: HashMap<Id, u32>,
    /// Sub-patterns every condition of which can hold by absence: they can
    /// match an event that hits nothing, so they are always checked.
    absence_only: Vec<u32>,
}

impl<Id> Default for Matcher<Id> {
    fn default() -> Self {
        Matcher {
            paths: PathTable::default(),
            indexes: Vec::new(),
            subs: Vec::new(),
            free_subs: Vec::new(),
            rules: Vec::new(),
            free_rules: Vec::new(),
            by_id: HashMap::new(),
            absence_only: Vec::new(),
        }
    }
}

impl<Id: Clone + Eq + Hash> Matcher<Id> {
    /// An empty rule set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// True if there are no rules.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// True if a rule with this id is present.
    pub fn contains(&self, id: &Id) -> bool {
        self.by_id.contains_key(id)
    }

    /// Adds a rule, replacing any rule with the same id. Other rules are not
    /// touched.
    pub fn add(&mut self, id: Id, pattern: &impl Pattern) {
        self.remove(&id);
        let rule = match self.free_rules.pop() {
            Some(slot) => slot,
            None => {
                self.rules.push(None);
                (self.rules.len() - 1) as u32
            }
        };
        let mut sub_ids = Vec::with_capacity(pattern.alternatives().len());
        for alternative in pattern.alternatives() {
            sub_ids.push(self.insert_sub(rule, alternative));
        }
        self.by_id.insert(id.clone(), rule);
        self.rules[rule as usize] = Some((id, sub_ids));
    }

    /// Removes a rule; returns whether it was present. Other rules are not
    /// touched.
    pub fn remove(&mut self, id: &Id) -> bool {
        let Some(rule) = self.by_id.remove(id) else {
            return false;
        };
        if let Some((_, subs)) = self.rules[rule as usize].take() {
            for sub in subs {
                self.remove_sub(sub);
            }
        }
        self.free_rules.push(rule);
        true
    }

    fn insert_sub(&mut self, rule: u32, conditions: &SubPattern) -> u32 {
        let sub = match self.free_subs.pop() {
            Some(sub) => sub,
            None => {
                self.subs.push(None);
                (self.subs.len() - 1) as u32
            }
        };
        let mut paths = Vec::with_capacity(conditions.len());
        for condition in conditions {
            let (path, _) = self.paths.register(&condition.path);
            if self.indexes.len() <= path as usize {
                self.indexes
                    .resize_with(path as usize + 1, PathIndex::default);
            }
            paths.push(path);
        }
        let anchor = self.choose_anchor(conditions, &paths);
        match anchor {
            Some(slot) => {
                let index = &mut self.indexes[paths[slot] as usize];
                let target = Target {
                    sub,
                    slot: slot as u32,
                };
                for operator in &conditions[slot].operators {
                    index.insert(operator, target);
                }
            }
            None => self.absence_only.push(sub),
        }
        self.subs[sub as usize] = Some(CompiledSub {
            rule,
            conditions: conditions.clone(),
            paths,
            anchor,
        });
        sub
    }

    /// The condition to index: cheapest by [`PathIndex::cost`], ties going
    /// to the longer (usually more specific) path.
    fn choose_anchor(&self, conditions: &SubPattern, paths: &[PathId]) -> Option<usize> {
        conditions
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.allows_absence())
            .min_by_key(|(slot, c)| {
                let index = &self.indexes[paths[*slot] as usize];
                let cost: usize = c.operators.iter().map(|op| index.cost(op)).sum();
                (cost, std::cmp::Reverse(c.path.len()))
            })
            .map(|(slot, _)| slot)
    }

    fn remove_sub(&mut self, sub: u32) {
        let Some(compiled) = self.subs[sub as usize].take() else {
            return;
        };
        if let Some(slot) = compiled.anchor {
            if let Some(index) = self.indexes.get_mut(compiled.paths[slot] as usize) {
                for operator in &compiled.conditions[slot].operators {
                    index.remove(operator, sub);
                }
            }
        } else {
            self.absence_only.retain(|s| *s != sub);
        }
        for condition in &compiled.conditions {
            if let Some(freed) = self.paths.unregister(&condition.path) {
                if let Some(index) = self.indexes.get_mut(freed as usize) {
                    *index = PathIndex::default();
                }
            }
        }
        self.free_subs.push(sub);
    }

    /// Ids of all rules that match the event given as JSON text.
    ///
    /// Fails only if the text is not JSON. An event that is not an object
    /// has no fields, so only absence-based rules can match it.
    pub fn matching_json(&self, event: &str) -> Result<Vec<Id>, EventError> {
        let flat = flatten_str(&self.paths, event)?;
        Ok(self.matching_flat(&flat))
    }

    /// Ids of all rules that match a decoded event.
    pub fn matching(&self, event: &serde_json::Value) -> Vec<Id> {
        let flat = flatten_value(&self.paths, event);
        self.matching_flat(&flat)
    }

    /// Ids of all rules (SNS filter policies of `MessageAttributes` scope)
    /// that match a message's attributes, given as
    /// `(name, DataType, StringValue)`; see
    /// [`FilterPolicy::matches_attributes`](crate::FilterPolicy::matches_attributes)
    /// for how attribute types are treated.
    pub fn matching_attributes<K, T, V>(
        &self,
        attributes: impl IntoIterator<Item = (K, T, V)>,
    ) -> Vec<Id>
    where
        K: AsRef<str>,
        T: AsRef<str>,
        V: AsRef<str>,
    {
        match attributes_to_event(attributes) {
            serde_json::Value::Object(map) if map.is_empty() => Vec::new(),
            event => self.matching(&event),
        }
    }

    fn matching_flat(&self, flat: &FlatEvent<'_>) -> Vec<Id> {
        let mut candidates: Vec<u32> = Vec::new();
        for field in &flat.fields {
            if let Some(index) = self.indexes.get(field.path as usize) {
                index.lookup(&field.leaf, &mut |target| candidates.push(target.sub));
            }
        }
        candidates.extend_from_slice(&self.absence_only);
        if candidates.is_empty() {
            return Vec::new();
        }
        candidates.sort_unstable();
        candidates.dedup();

        // Field indexes grouped by path, for evaluating whole sub-patterns.
        let mut by_path: Vec<(PathId, u32)> = flat
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.path, i as u32))
            .collect();
        by_path.sort_unstable();

        let mut evaluation = Evaluation {
            flat,
            by_path: &by_path,
            matched: Vec::new(),
            bounds: Vec::new(),
        };
        let mut matched_rules: Vec<u32> = Vec::new();
        for sub in candidates {
            if let Some(compiled) = self.subs.get(sub as usize).and_then(Option::as_ref) {
                if evaluation.sub_matches(compiled) {
                    matched_rules.push(compiled.rule);
                }
            }
        }
        matched_rules.sort_unstable();
        matched_rules.dedup();
        matched_rules
            .into_iter()
            .filter_map(|rule| self.rules[rule as usize].as_ref().map(|(id, _)| id.clone()))
            .collect()
    }
}

/// Scratch state for evaluating candidate sub-patterns against one event.
struct Evaluation<'e, 'de> {
    flat: &'e FlatEvent<'de>,
    by_path: &'e [(PathId, u32)],
    /// Matching field indexes of every condition, back to back.
    matched: Vec<u32>,
    /// End offset in `matched` of each condition that matched a field.
    bounds: Vec<usize>,
}

impl Evaluation<'_, '_> {
    fn sub_matches(&mut self, sub: &CompiledSub) -> bool {
        self.matched.clear();
        self.bounds.clear();
        let mut needs_trails = false;
        for (condition, path) in sub.conditions.iter().zip(&sub.paths) {
            let present = fields_at(self.by_path, *path);
            let before = self.matched.len();
            for &(_, field) in present {
                if condition.matches_leaf(&self.flat.fields[field as usize].leaf) {
                    needs_trails |= !self.flat.trail(field as usize).is_empty();
                    self.matched.push(field);
                }
            }
            if self.matched.len() > before {
                self.bounds.push(self.matched.len());
            } else if !(present.is_empty() && condition.allows_absence()) {
                return false;
            }
        }
        if !needs_trails || self.bounds.len() < 2 {
            return true;
        }
        let mut slots = Vec::with_capacity(self.bounds.len());
        let mut start = 0;
        for &end in &self.bounds {
            slots.push(&self.matched[start..end]);
            start = end;
        }
        consistent_choice(&slots, self.flat, &mut Vec::with_capacity(slots.len()))
    }
}

/// The `(path, field)` entries of one path in a path-sorted list.
fn fields_at(by_path: &[(PathId, u32)], path: PathId) -> &[(PathId, u32)] {
    let start = by_path.partition_point(|(p, _)| *p < path);
    let len = by_path[start..].partition_point(|(p, _)| *p == path);
    &by_path[start..start + len]
}

/// Backtracking search for one field per condition whose array trails agree.
fn consistent_choice(slots: &[&[u32]], flat: &FlatEvent<'_>, chosen: &mut Vec<usize>) -> bool {
    let Some((first, rest)) = slots.split_first() else {
        return true;
    };
    for &field in first.iter() {
        let field = field as usize;
        let trail = flat.trail(field);
        if chosen
            .iter()
            .all(|c| trails_compatible(flat.trail(*c), trail))
        {
            chosen.push(field);
            if consistent_choice(rest, flat, chosen) {
                return true;
            }
            chosen.pop();
        }
    }
    false
}
