//! EventBridge event patterns.

use crate::ast::SubPattern;
use crate::error::{EventError, PatternError};
use crate::matcher::{Matcher, Pattern};
use crate::parse::parse_event_pattern;

/// A validated, compiled EventBridge event pattern.
///
/// Matching is against the whole event envelope (`version`, `id`,
/// `detail-type`, `source`, `account`, `time`, `region`, `resources`,
/// `detail`): pass the envelope, not just `detail`.
#[derive(Debug, Clone)]
pub struct EventPattern {
    alternatives: Vec<SubPattern>,
    /// The pattern alone in a matcher, so single-pattern matching
    /// (`TestEventPattern`, archives) runs the same compiled code as rules.
    compiled: Matcher<()>,
}

impl EventPattern {
    /// EventBridge's default quota for the length of a rule's pattern, in
    /// characters (raisable to 4096 on request).
    pub const DEFAULT_MAX_LENGTH: usize = 2048;

    /// Parses and validates a pattern, with AWS's error messages, under the
    /// default length quota.
    pub fn parse(text: &str) -> Result<EventPattern, PatternError> {
        Self::parse_with_max_length(text, Self::DEFAULT_MAX_LENGTH)
    }

    /// Like [`parse`](Self::parse) with a different length quota.
    pub fn parse_with_max_length(
        text: &str,
        max_length: usize,
    ) -> Result<EventPattern, PatternError> {
        let length = text.chars().count();
        if length > max_length {
            return Err(PatternError::TooLong {
                length,
                limit: max_length,
            });
        }
        let alternatives = parse_event_pattern(text)?;
        let mut compiled = Matcher::new();
        compiled.add((), &alternatives);
        Ok(EventPattern {
            alternatives,
            compiled,
        })
    }

    /// Matches an event given as JSON text; fails only if it is not JSON.
    pub fn matches_json(&self, event: &str) -> Result<bool, EventError> {
        Ok(!self.compiled.matching_json(event)?.is_empty())
    }

    /// Matches a decoded event.
    pub fn matches(&self, event: &serde_json::Value) -> bool {
        !self.compiled.matching(event).is_empty()
    }
}

impl Pattern for EventPattern {
    fn alternatives(&self) -> &[SubPattern] {
        &self.alternatives
    }
}
