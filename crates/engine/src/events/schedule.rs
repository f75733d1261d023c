//! Schedule expressions (placeholder, being written).
