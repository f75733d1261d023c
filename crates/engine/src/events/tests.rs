//! Engine tests for EventBridge.
