//! What the admin modules share: JSON answers, query parameters, and the admin paths the
//! browser guard must recognise without depending on the admin router.

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode};
use serde_json::Value;

/// A JSON answer with `status`.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

/// The decoded `name=value` pairs of a query string, in order.
pub(crate) fn query_params(query: Option<&str>) -> Vec<(String, String)> {
    query
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// The first value of parameter `name`.
pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The service of LocalStack's `/_localstack/state/<service>/reset`.
pub(crate) fn localstack_service_reset(path: &str) -> Option<&str> {
    let service = path
        .strip_prefix("/_localstack/state/")?
        .strip_suffix("/reset")?;
    (!service.is_empty() && !service.contains('/')).then_some(service)
}
