//! The ferrybridge server: process, listeners, routing to services, admin endpoints.
