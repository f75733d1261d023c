//! Pagination of the admin answers that list recordings (issue 17): at most `max` items per
//! answer (default [`DEFAULT_PAGE`], at most [`MAX_PAGE`]) and a `next` token to pass back for
//! the following page, so that no answer carries a whole ring buffer (10,000 recordings of up
//! to 256 KiB each) at once.
//!
//! The token is the position, in the filtered list, of the first item of the next page. The
//! lists are ring buffers read oldest first: when older entries are dropped between two pages,
//! positions shift and a page may skip as many entries as were dropped.

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode};
use serde_json::{json, Value};

use crate::admin_common::{json_response, param};

/// Items per page when `max` is not given.
pub(crate) const DEFAULT_PAGE: usize = 1000;
/// Largest `max` accepted (the size of the ring buffers).
pub(crate) const MAX_PAGE: usize = 10_000;

/// The 400 answer for bad `max` / `next` parameters.
pub(crate) fn bad(message: String) -> Response<Full<Bytes>> {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({"error": "InvalidParameter", "message": message}),
    )
}

/// The position and size of the page the `max` and `next` parameters ask for; or why they
/// are wrong (see [`bad`]).
pub(crate) fn bounds(params: &[(String, String)]) -> Result<(usize, usize), String> {
    let max = match param(params, "max") {
        None | Some("") => DEFAULT_PAGE,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => {
                return Err(format!(
                    "max is a number from 1 to {MAX_PAGE}, not {text:?}"
                ))
            }
        },
    };
    let start = match param(params, "next") {
        None | Some("") => 0,
        Some(text) => match text.parse::<usize>() {
            Ok(n) => n,
            Err(_) => return Err(format!("next {text:?} is not a token this endpoint gave")),
        },
    };
    Ok((start, max))
}

/// The `next` token after a page of `len` items from `start`, of `total` matching (`None` on
/// the last page).
pub(crate) fn next_token(start: usize, len: usize, total: usize) -> Option<String> {
    let end = start.saturating_add(len);
    (len > 0 && end < total).then(|| end.to_string())
}

/// `{key: items, "next": token}` (`next` only when there is a further page).
pub(crate) fn body(key: &str, items: Vec<Value>, next: Option<String>) -> Value {
    let mut out = serde_json::Map::new();
    out.insert(key.to_owned(), Value::Array(items));
    if let Some(next) = next {
        out.insert("next".to_owned(), Value::String(next));
    }
    Value::Object(out)
}
