//! Reading request bodies with AWS-shaped failures (issue 17): a body over the limit is a
//! `413 RequestEntityTooLarge`, a body that cannot be read (a malformed chunk size, a
//! connection cut mid-body) a `400 IncompleteBody`, both rendered by the caller in the
//! protocol of the request (`App::edge_error`) instead of plain text no SDK can parse.
//!
//! AWS's SQS front end answers oversized HTTP bodies with status 413 (clients report
//! "413 Request Entity Too Large ... HTTP content length exceeded 1662976 bytes", e.g.
//! aws/aws-sdk-js#479), though as plain text; the status is kept here and the body made
//! parseable. The limit is the server's `MAX_BODY_BYTES` for every service.

use bytes::{Bytes, BytesMut};
use ferrybridge_protocol::ServiceError;
use http_body_util::BodyExt;
use hyper::body::Incoming;

/// The body, or the status and error to answer.
pub(crate) async fn read_body(
    parts: &http::request::Parts,
    body: Incoming,
    limit: usize,
) -> Result<Bytes, (u16, ServiceError)> {
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > DRAIN_LIMIT as u64) {
        return Err(too_large(limit));
    }
    let mut body = body;
    // A body that arrives in one frame (most do) is kept as that frame, without a copy.
    let mut first: Option<Bytes> = None;
    let mut kept = BytesMut::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|err| unreadable(&err))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if seen > DRAIN_LIMIT {
            // Answered at once: the connection is closed under the rest.
            return Err(too_large(limit));
        }
        if seen <= limit {
            match first.take() {
                None if kept.is_empty() => first = Some(data),
                Some(earlier) => {
                    kept.extend_from_slice(&earlier);
                    kept.extend_from_slice(&data);
                }
                None => kept.extend_from_slice(&data),
            }
        } else {
            // Over the limit: what was kept is dropped and the rest read and dropped too.
            first = None;
            kept = BytesMut::new();
        }
    }
    if seen > limit {
        return Err(too_large(limit));
    }
    Ok(first.unwrap_or_else(|| kept.freeze()))
}

/// Most bytes of an oversized body read and dropped before answering: clients such as
/// botocore write the whole body before reading the answer, and one closed under them sees a
/// broken pipe instead of the 413. Beyond this, the connection is closed.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

fn unreadable(err: &hyper::Error) -> (u16, ServiceError) {
    (
        400,
        ServiceError::new(
            "IncompleteBody",
            format!("The request body could not be read: {err}"),
        ),
    )
}

fn too_large(limit: usize) -> (u16, ServiceError) {
    (
        413,
        ServiceError::new(
            "RequestEntityTooLarge",
            format!("Request body is larger than the limit of {limit} bytes."),
        ),
    )
}
