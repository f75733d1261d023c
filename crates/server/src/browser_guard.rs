//! Browser safety and the admin token (issue 17): what keeps a web page the developer happens
//! to visit from changing or reading the emulator's state.
//!
//! A browser will send requests to `http://localhost:4566` on behalf of any page: an `<img>`
//! or a top-level navigation (a "presigned-style" GET), a `<form method=post>`, or a `fetch`
//! whose answer it hides from the page unless CORS allows it. With DNS rebinding a page at
//! `http://evil.example:4566` can even read the answers: its name is made to resolve to
//! 127.0.0.1, so the browser considers the emulator same-origin with the page. Checks, in
//! order, before anything else of the request is looked at:
//!
//! 1. **Host**: the name the client connected to must be one the emulator answers to (see
//!    [`HostRules`]). A rebinding page can only send its own attacker-controlled name.
//! 2. **Origin**: a browser names the page's origin on every cross-origin request and on
//!    every POST. If present, it must be configured (`--cors-origins`) or be the emulator's
//!    own origin (same Host). SDKs and the AWS CLI never send it.
//! 3. **Sec-Fetch-Site**: modern browsers also say `cross-site` / `same-site` on requests
//!    that carry no Origin (an `<img>` GET). Those are refused unless the Origin was
//!    configured. `same-origin`, `none` (typed into the address bar) and absent pass.
//! 4. **Referer**: for older browsers that send neither, a Referer from another origin that
//!    is not configured is refused as well.
//!
//! Admin endpoints (`/_ferrybridge/`, `/_localstack/`, `/moto-api/`) pass the same checks,
//! and all but health, init status, the public SNS signing certificate and the moto /
//! LocalStack resets also need the admin token ([`Guard::admin_check`]).
//!
//! Refusals of AWS requests are AWS-shaped 403 `AccessDenied` errors in the protocol of the
//! request as far as its headers tell (see `App::refuse`); admin refusals are JSON.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderMap, HeaderValue};
use http_body_util::Full;
use hyper::{Response, StatusCode};
use serde_json::json;

use crate::Config;

/// Headers a browser page may read from answers (the request ids SDKs report, and those
/// JavaScript SDKs read).
const EXPOSE_HEADERS: &str = "x-amzn-RequestId, x-amz-request-id, x-amz-id-2, x-amzn-query-error, x-amzn-ErrorType, Date, ETag, Content-Length";
/// Headers a page may send (everything an AWS SDK for JavaScript sends).
const ALLOW_HEADERS: &str = "authorization, content-type, content-length, content-encoding, x-amz-date, x-amz-target, x-amz-user-agent, x-amz-security-token, x-amz-content-sha256, x-amz-checksum-crc32, x-amz-sdk-checksum-algorithm, amz-sdk-invocation-id, amz-sdk-request, x-amzn-trace-id, x-amz-json-1.0, x-amzn-query-mode, x-ferrybridge-admin-token";
const ALLOW_METHODS: &str = "GET, POST, PUT, DELETE, HEAD, OPTIONS";
/// Name of the header carrying the admin token (besides `Authorization: Bearer`).
pub(crate) const ADMIN_TOKEN_HEADER: &str = "x-ferrybridge-admin-token";

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The `Host` header names a host the emulator does not answer to.
    Host(String),
    /// A browser request from an origin not in `--cors-origins`.
    Origin(String),
    /// A cross-site browser request without an allowed Origin (`Sec-Fetch-Site`, `Referer`).
    CrossSite(String),
}

impl Refusal {
    pub(crate) fn message(&self) -> String {
        match self {
            Refusal::Host(host) => format!(
                "Host {host:?} is not a name this emulator answers to (DNS rebinding protection); \
                 add it with --allowed-hosts"
            ),
            Refusal::Origin(origin) => format!(
                "Requests from the web origin {origin:?} are not allowed; add it with --cors-origins"
            ),
            Refusal::CrossSite(what) => format!(
                "Cross-site browser requests are not allowed ({what}); configure the page's origin with --cors-origins"
            ),
        }
    }
}

/// Outcome of the admin token check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AdminAccess {
    /// Open endpoint, or the right token, or tokens turned off.
    Allowed,
    /// No token sent (401).
    Missing,
    /// A token that is not the one (403).
    Wrong,
}

/// The origins `--cors-origins` lets in.
#[derive(Debug, Clone, Default)]
struct Origins {
    any: bool,
    list: Vec<String>,
}

impl Origins {
    fn parse(list: Option<&str>) -> Origins {
        let mut origins = Origins::default();
        for item in list.unwrap_or("").split(',') {
            let item = item.trim().trim_end_matches('/').to_ascii_lowercase();
            if item == "*" {
                origins.any = true;
            } else if !item.is_empty() {
                origins.list.push(item);
            }
        }
        origins
    }

    fn allows(&self, origin: &str) -> bool {
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        self.any || self.list.contains(&origin)
    }
}

/// The names the emulator answers to in `Host`.
///
/// Always accepted, because no attacker can make a browser send them for a page of theirs
/// (DNS rebinding needs a name whose DNS answers the attacker controls):
/// * IP literals (a page's origin can only be an IP the page was served from),
/// * `localhost` and `*.localhost` (browsers resolve them to loopback themselves; the
///   host-style queue URLs `sqs.<region>.localhost` are of this kind),
/// * single-label names (`ferrybridge`, `localstack`: docker compose service names, which
///   public DNS never answers),
/// * `*.internal` (`host.docker.internal`, `host.testcontainers.internal`: a TLD reserved
///   for private use, never delegated) and `*.local` (mDNS names and Kubernetes service
///   names such as `ferrybridge.ci.svc.cluster.local`: special-use, never in public DNS),
/// * `localhost.localstack.cloud` and its subdomains (LocalStack's public names for
///   127.0.0.1, e.g. `sqs.us-east-1.localhost.localstack.cloud`; the domain is LocalStack's),
/// * `*.amazonaws.com` (real queue URLs sent to the emulator through a proxy or hosts file;
///   AWS's DNS),
/// * the host of `--public-host` / LOCALSTACK_HOST, and the `--allowed-hosts` patterns.
///
/// Anything else (a multi-label public name) is refused unless configured.
#[derive(Debug, Clone, Default)]
struct HostRules {
    any: bool,
    /// Exact names (lower case).
    exact: Vec<String>,
    /// `*.suffix` patterns, stored as `.suffix`.
    suffixes: Vec<String>,
}

impl HostRules {
    fn new(config: &Config) -> HostRules {
        let mut rules = HostRules::default();
        for item in config.allowed_hosts.as_deref().unwrap_or("").split(',') {
            rules.add(item);
        }
        if let Some(public) = &config.public_host {
            rules.add(port_stripped(
                public
                    .trim()
                    .trim_start_matches("http://")
                    .trim_start_matches("https://"),
            ));
        }
        rules
    }

    fn add(&mut self, pattern: &str) {
        let pattern = pattern.trim().trim_end_matches('.').to_ascii_lowercase();
        if pattern == "*" {
            self.any = true;
        } else if let Some(suffix) = pattern.strip_prefix('*') {
            if suffix.starts_with('.') && suffix.len() > 1 {
                self.suffixes.push(suffix.to_owned());
            }
        } else if !pattern.is_empty() {
            self.exact.push(pattern);
        }
    }

    fn allows(&self, host: &str) -> bool {
        if self.any {
            return true;
        }
        // Every request passes here: no allocation unless the name has upper-case letters.
        let name = port_stripped(host.trim()).trim_end_matches('.');
        let name: std::borrow::Cow<str> = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            name.to_ascii_lowercase().into()
        } else {
            name.into()
        };
        if name.is_empty() {
            return false;
        }
        if name.trim_matches(['[', ']']).parse::<IpAddr>().is_ok() {
            return true;
        }
        if !name.contains('.') {
            // `localhost` and docker service names.
            return true;
        }
        const BUILT_IN: &[&str] = &[".localhost", ".internal", ".local", ".amazonaws.com"];
        if BUILT_IN.iter().any(|s| name.ends_with(s))
            || name == "localhost.localstack.cloud"
            || name.ends_with(".localhost.localstack.cloud")
        {
            return true;
        }
        self.exact.iter().any(|e| *e == *name)
            || self.suffixes.iter().any(|s| name.ends_with(s.as_str()))
    }
}

/// `host[:port]` without the port (`[v6]:port` keeps its brackets).
fn port_stripped(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    match host.bytes().rposition(|b| b == b':') {
        Some(at)
            if host[at + 1..].bytes().all(|b| b.is_ascii_digit())
                && !host.as_bytes()[..at].contains(&b':') =>
        {
            &host[..at]
        }
        _ => host,
    }
}

/// The checks, built once from the configuration.
#[derive(Debug, Clone)]
pub(crate) struct Guard {
    origins: Origins,
    hosts: HostRules,
    /// `None`: admin tokens turned off (`--admin-token none`).
    admin_token: Option<Arc<str>>,
    /// Whether the token was generated here (it is then printed at start).
    generated: bool,
}

impl Guard {
    pub(crate) fn new(config: &Config, _addr: SocketAddr) -> Guard {
        let (admin_token, generated) = match config.admin_token.as_deref().map(str::trim) {
            Some(t) if t.eq_ignore_ascii_case("none") => (None, false),
            Some(t) if !t.is_empty() => (Some(Arc::from(t)), false),
            _ => (Some(Arc::from(random_token().as_str())), true),
        };
        Guard {
            origins: Origins::parse(config.cors_origins.as_deref()),
            hosts: HostRules::new(config),
            admin_token,
            generated,
        }
    }

    /// The admin token (`None` when turned off).
    pub(crate) fn admin_token(&self) -> Option<&str> {
        self.admin_token.as_deref()
    }

    /// Whether the token was generated at start (and should be printed).
    pub(crate) fn token_generated(&self) -> bool {
        self.generated
    }

    /// Host, Origin, Sec-Fetch-Site and Referer checks. `Ok(Some(origin))`: a configured
    /// origin whose answer gets CORS headers.
    #[cfg(test)]
    pub(crate) fn check(&self, headers: &HeaderMap) -> Result<Option<HeaderValue>, Refusal> {
        self.check_with_authority(headers, None)
    }

    /// [`Guard::check`], with the authority of the request URI (HTTP/2's `:authority`, or an
    /// absolute-form HTTP/1.1 target) standing in for a missing `Host`.
    pub(crate) fn check_with_authority(
        &self,
        headers: &HeaderMap,
        authority: Option<&str>,
    ) -> Result<Option<HeaderValue>, Refusal> {
        let seen = Seen::of(headers);
        let host = text(seen.host).or(authority);
        if let Some(host) = host {
            if !self.hosts.allows(host) {
                return Err(Refusal::Host(host.to_owned()));
            }
        }
        let origin = text(seen.origin);
        let mut allowed_origin = None;
        if let Some(origin) = origin {
            if self.origins.allows(origin) {
                allowed_origin = seen.origin.cloned();
            } else if !same_origin(origin, host) {
                return Err(Refusal::Origin(origin.to_owned()));
            }
        }
        if allowed_origin.is_none() {
            if let Some(site) = text(seen.fetch_site) {
                let site = site.trim().to_ascii_lowercase();
                if site == "cross-site" || site == "same-site" {
                    return Err(Refusal::CrossSite(format!("Sec-Fetch-Site: {site}")));
                }
            }
            if origin.is_none() {
                if let Some(referer) = text(seen.referer) {
                    let referer_origin = origin_of_url(referer);
                    if !referer_origin.is_empty()
                        && !self.origins.allows(&referer_origin)
                        && !same_origin(&referer_origin, host)
                    {
                        return Err(Refusal::CrossSite(format!("Referer {referer_origin}")));
                    }
                }
            }
        }
        Ok(allowed_origin)
    }

    /// Whether an admin request may go on. Health, init status and the SNS signing
    /// certificate (public: validators fetch it) are open; everything else (reset, state,
    /// recordings, confirmation tokens, managed rules, opt-outs, moto's reset, unknown paths)
    /// needs the token.
    pub(crate) fn admin_check(&self, method: &str, path: &str, headers: &HeaderMap) -> AdminAccess {
        if is_open_admin(method, path) {
            return AdminAccess::Allowed;
        }
        let Some(expected) = &self.admin_token else {
            return AdminAccess::Allowed;
        };
        let bearer = header(headers, http::header::AUTHORIZATION).and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
        let sent = header(headers, ADMIN_TOKEN_HEADER)
            .map(str::trim)
            .or(bearer);
        match sent {
            None => AdminAccess::Missing,
            Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => {
                AdminAccess::Allowed
            }
            Some(_) => AdminAccess::Wrong,
        }
    }

    /// The answer to a CORS preflight (`OPTIONS` with `Access-Control-Request-Method`) from
    /// an allowed origin.
    pub(crate) fn preflight(&self, origin: HeaderValue) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::NO_CONTENT;
        let headers = response.headers_mut();
        add_cors(headers, origin);
        headers.insert(
            "access-control-allow-methods",
            HeaderValue::from_static(ALLOW_METHODS),
        );
        headers.insert(
            "access-control-allow-headers",
            HeaderValue::from_static(ALLOW_HEADERS),
        );
        headers.insert("access-control-max-age", HeaderValue::from_static("600"));
        response
    }
}

/// Adds the CORS headers of an answer to an allowed origin.
pub(crate) fn add_cors(headers: &mut HeaderMap, origin: HeaderValue) {
    headers.insert("access-control-allow-origin", origin);
    headers.insert(
        "access-control-expose-headers",
        HeaderValue::from_static(EXPOSE_HEADERS),
    );
    headers.insert(
        "access-control-allow-credentials",
        HeaderValue::from_static("true"),
    );
    headers.append(http::header::VARY, HeaderValue::from_static("Origin"));
}

/// Whether `path` is an admin endpoint anyone (who passed the browser checks) may call:
/// health, init status, the public SNS signing certificate, and the resets that tools written
/// for moto and LocalStack call without any token (`POST /moto-api/reset`,
/// `POST /_localstack/state[/<service>]/reset`). A web page cannot reach those: browsers send
/// `Origin` with every POST, which [`Guard::check`] refuses unless configured.
fn is_open_admin(method: &str, path: &str) -> bool {
    if method == "POST"
        && (path == "/moto-api/reset"
            || path == "/_localstack/state/reset"
            || crate::admin_common::localstack_service_reset(path).is_some())
    {
        return true;
    }
    let read = method == "GET" || method == "HEAD";
    read && (path == "/_ferrybridge/health"
        || path == "/_localstack/health"
        || path == "/_localstack/init"
        || path.starts_with("/_localstack/init/")
        || path == ferrybridge_sns::envelope::CERT_PATH)
}

/// The JSON refusal of an admin call without the right token.
pub(crate) fn admin_refusal(access: AdminAccess) -> Response<Full<Bytes>> {
    let (status, error, message) = match access {
        AdminAccess::Wrong => (
            StatusCode::FORBIDDEN,
            "Forbidden",
            "the admin token does not match",
        ),
        _ => (
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "this admin endpoint needs the admin token (printed at start, or --admin-token): \
             send Authorization: Bearer <token> or x-ferrybridge-admin-token: <token>",
        ),
    };
    let mut response =
        crate::admin_common::json_response(status, &json!({"error": error, "message": message}));
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"ferrybridge-admin\""),
        );
    }
    response
}

/// The JSON refusal of an admin call that failed the browser checks.
pub(crate) fn admin_browser_refusal(refusal: &Refusal) -> Response<Full<Bytes>> {
    crate::admin_common::json_response(
        StatusCode::FORBIDDEN,
        &json!({"error": "Forbidden", "message": refusal.message()}),
    )
}

/// A header's value as text. Callers pass `HeaderName` constants: a `&str` name is parsed
/// and validated on every lookup, and these lookups run for every request.
fn header<K: http::header::AsHeaderName>(headers: &HeaderMap, name: K) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

const SEC_FETCH_SITE: http::HeaderName = http::HeaderName::from_static("sec-fetch-site");

/// The first value of each header the browser checks read, found in one pass over the
/// request's few headers: every request is checked, and a hashed lookup per name costs more.
#[derive(Default)]
struct Seen<'a> {
    host: Option<&'a HeaderValue>,
    origin: Option<&'a HeaderValue>,
    fetch_site: Option<&'a HeaderValue>,
    referer: Option<&'a HeaderValue>,
}

impl<'a> Seen<'a> {
    fn of(headers: &'a HeaderMap) -> Seen<'a> {
        let mut seen = Seen::default();
        for (name, value) in headers {
            let slot = if name == http::header::HOST {
                &mut seen.host
            } else if name == http::header::ORIGIN {
                &mut seen.origin
            } else if name == SEC_FETCH_SITE {
                &mut seen.fetch_site
            } else if name == http::header::REFERER {
                &mut seen.referer
            } else {
                continue;
            };
            slot.get_or_insert(value);
        }
        seen
    }
}

/// A header value as text (`None` unless visible ASCII).
fn text(value: Option<&HeaderValue>) -> Option<&str> {
    value.and_then(|v| v.to_str().ok())
}

/// Whether the origin `scheme://host[:port]` is the emulator itself as the client reached it.
fn same_origin(origin: &str, host: Option<&str>) -> bool {
    let Some(host) = host else { return false };
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .unwrap_or("");
    !authority.is_empty() && authority.eq_ignore_ascii_case(host.trim())
}

/// `scheme://authority` of a URL (empty when it has none).
fn origin_of_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return String::new();
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() {
        return String::new();
    }
    format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        authority.to_ascii_lowercase()
    )
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// 128 random bits as 32 hex digits (uuid's v4 generator reads the OS's random source).
fn random_token() -> String {
    let a = uuid::Uuid::new_v4().simple().to_string();
    let b = uuid::Uuid::new_v4().simple().to_string();
    format!("{}{}", &a[..16], &b[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(edit: impl FnOnce(&mut Config)) -> Guard {
        let mut config = Config::ephemeral();
        edit(&mut config);
        Guard::new(&config, "127.0.0.1:4566".parse().expect("addr"))
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).expect("value"));
        }
        map
    }

    #[test]
    fn hosts() {
        let g = guard(|c| {
            c.allowed_hosts = Some("*.example.test, api.dev".into());
            c.public_host = Some("emulator.corp.test:4566".into());
        });
        for ok in [
            "localhost:4566",
            "127.0.0.1:4566",
            "[::1]:4566",
            "10.1.2.3",
            "sqs.us-east-1.localhost:4566",
            "sqs.eu-west-1.localhost.localstack.cloud:4566",
            "localhost.localstack.cloud",
            "ferrybridge:4566",
            "host.docker.internal:4566",
            "ferrybridge.ci.svc.cluster.local:4566",
            "sqs.us-east-1.amazonaws.com",
            "a.example.test",
            "api.dev:1",
            "emulator.corp.test",
            "LOCALHOST.",
        ] {
            assert!(g.check(&headers(&[("host", ok)])).is_ok(), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:4566",
            "example.test",
            "localhost.evil.com",
            "api.dev.evil.com",
            "evil.local.example",
        ] {
            assert_eq!(
                g.check(&headers(&[("host", bad)])),
                Err(Refusal::Host(bad.into())),
                "{bad}"
            );
        }
        // HTTP/2 carries the host in :authority, not Host.
        assert!(g
            .check_with_authority(&headers(&[]), Some("evil.example:4566"))
            .is_err());
        assert!(g
            .check_with_authority(&headers(&[]), Some("localhost:4566"))
            .is_ok());
        let any = guard(|c| c.allowed_hosts = Some("*".into()));
        assert!(any.check(&headers(&[("host", "evil.example")])).is_ok());
    }

    #[test]
    fn origins_and_fetch_metadata() {
        let g = guard(|c| c.cors_origins = Some("http://localhost:3000/".into()));
        let h = "localhost:4566";
        assert!(g.check(&headers(&[("host", h)])).unwrap().is_none());
        assert!(g
            .check(&headers(&[
                ("host", h),
                ("origin", "http://localhost:3000")
            ]))
            .unwrap()
            .is_some());
        assert!(matches!(
            g.check(&headers(&[("host", h), ("origin", "http://evil.example")])),
            Err(Refusal::Origin(_))
        ));
        assert!(matches!(
            g.check(&headers(&[("host", h), ("origin", "null")])),
            Err(Refusal::Origin(_))
        ));
        // Same origin as the emulator itself.
        assert!(g
            .check(&headers(&[
                ("host", h),
                ("origin", "http://localhost:4566")
            ]))
            .is_ok());
        for site in ["cross-site", "same-site"] {
            assert!(matches!(
                g.check(&headers(&[("host", h), ("sec-fetch-site", site)])),
                Err(Refusal::CrossSite(_))
            ));
        }
        for site in ["same-origin", "none"] {
            assert!(g
                .check(&headers(&[("host", h), ("sec-fetch-site", site)]))
                .is_ok());
        }
        // A configured origin's page is same-site with localhost: allowed.
        assert!(g
            .check(&headers(&[
                ("host", h),
                ("origin", "http://localhost:3000"),
                ("sec-fetch-site", "same-site")
            ]))
            .is_ok());
        assert!(matches!(
            g.check(&headers(&[
                ("host", h),
                ("referer", "http://evil.example/page")
            ])),
            Err(Refusal::CrossSite(_))
        ));
        assert!(g
            .check(&headers(&[
                ("host", h),
                ("referer", "http://localhost:3000/app")
            ]))
            .is_ok());
    }

    #[test]
    fn admin_tokens() {
        let g = guard(|c| c.admin_token = Some("s3cret".into()));
        let reset = "/_ferrybridge/reset";
        assert_eq!(
            g.admin_check("POST", reset, &headers(&[])),
            AdminAccess::Missing
        );
        assert_eq!(
            g.admin_check("POST", reset, &headers(&[("authorization", "Bearer nope")])),
            AdminAccess::Wrong
        );
        assert_eq!(
            g.admin_check(
                "POST",
                reset,
                &headers(&[("authorization", "bearer s3cret")])
            ),
            AdminAccess::Allowed
        );
        assert_eq!(
            g.admin_check("POST", reset, &headers(&[(ADMIN_TOKEN_HEADER, "s3cret")])),
            AdminAccess::Allowed
        );
        for open in [
            "/_ferrybridge/health",
            "/_localstack/health",
            "/_localstack/init/ready",
        ] {
            assert_eq!(
                g.admin_check("GET", open, &headers(&[])),
                AdminAccess::Allowed
            );
        }
        assert_eq!(
            g.admin_check("GET", "/_ferrybridge/state", &headers(&[])),
            AdminAccess::Missing
        );
        let generated = guard(|_| {});
        assert!(generated.token_generated());
        assert_eq!(generated.admin_token().map(str::len), Some(32));
        let off = guard(|c| c.admin_token = Some("none".into()));
        assert_eq!(
            off.admin_check("POST", reset, &headers(&[])),
            AdminAccess::Allowed
        );
    }
}
