//! Event-pattern and filter-policy matching.
