//! Amazon SNS: one function per operation, plus the deliveries that publishing causes.

pub mod delivery_policy;
pub mod http_delivery;
pub mod signing;
