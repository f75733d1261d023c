//! Pieces of outbound HTTP requests that API destination calls ([`crate::api_call`]) and OAuth
//! token requests ([`crate::oauth`]) both build.

/// The `User-Agent` of API destination requests.
pub const USER_AGENT: &str = "Amazon/EventBridge/ApiDestinations";

/// Sets header `name` (case-insensitively replacing one of the same name).
pub fn set_header(headers: &mut Vec<(String, String)>, name: &str, value: &str) {
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    headers.push((name.to_owned(), value.to_owned()));
}

/// `url` with `pairs` appended as its (form-encoded) query string.
pub fn append_query<'a>(url: &mut String, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) {
    let mut query = form_urlencoded::Serializer::new(String::new());
    let mut any = false;
    for (k, v) in pairs {
        query.append_pair(k, v);
        any = true;
    }
    if any {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&query.finish());
    }
}

/// The `Authorization` value of HTTP Basic credentials.
pub fn basic_authorization(user: &str, password: &str) -> String {
    use base64::Engine as _;
    let credentials =
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {credentials}")
}
