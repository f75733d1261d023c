//! Target input transformation (placeholder, being written).
