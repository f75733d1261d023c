//! Queue URLs, in the style chosen with `--queue-url-style` (see [`QueueUrlStyle`]).
//! Requests may address a queue with any host (localhost, 127.0.0.1,
//! `sqs.us-east-1.amazonaws.com`...) and any of the styles: the path decides which queue, plus
//! the region when the host names one (`sqs.<region>.…`, `<region>.queue.…`) or the path does
//! (`/queue/<region>/<account>/<name>`).

use std::str::FromStr;

use ferrybridge_engine::sqs::{QueueKey, QueueKeyRef};
use ferrybridge_protocol::RequestContext;

/// How the queue URLs we hand out look.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum QueueUrlStyle {
    /// `http://{host}/{account}/{name}`, with the host the client used: the region is not in
    /// the URL (queues of the same name in two regions share it; the caller's region applies).
    #[default]
    Plain,
    /// AWS's form on loopback: `http://sqs.{region}.localhost:{port}/{account}/{name}`
    /// (`*.localhost` resolves to the loopback address).
    Host,
    /// `http://{host}/queue/{region}/{account}/{name}`.
    Path,
}

impl FromStr for QueueUrlStyle {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "plain" => Ok(QueueUrlStyle::Plain),
            "host" => Ok(QueueUrlStyle::Host),
            "path" => Ok(QueueUrlStyle::Path),
            other => Err(format!(
                "queue URL style is plain, host or path, not {other:?}"
            )),
        }
    }
}

/// The port of a `host[:port]` (`[v6]:port` too), if it has one.
fn port_of(host: &str) -> Option<&str> {
    let (_, port) = host.rsplit_once(':')?;
    (!port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())).then_some(port)
}

/// The URL we hand out for a queue, pointing back at the host (or port) the client used.
pub fn queue_url(style: QueueUrlStyle, ctx: &RequestContext, key: &QueueKey) -> String {
    let host = if ctx.host.is_empty() {
        "localhost:4566"
    } else {
        ctx.host.as_str()
    };
    let (account, name, region) = (&key.account_id, &key.name, &key.region);
    match style {
        QueueUrlStyle::Plain => format!("http://{host}/{account}/{name}"),
        QueueUrlStyle::Path => format!("http://{host}/queue/{region}/{account}/{name}"),
        QueueUrlStyle::Host => match port_of(host) {
            Some(port) => format!("http://sqs.{region}.localhost:{port}/{account}/{name}"),
            None => format!("http://sqs.{region}.localhost/{account}/{name}"),
        },
    }
}

fn looks_like_region(s: &str) -> bool {
    s.contains('-')
        && s.ends_with(|c: char| c.is_ascii_digit())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `text` up to the first `byte`, and what follows it (`None`: no `byte`). A byte scan: the
/// names parsed here are short, where `split`'s searcher costs more than the scan.
fn split_at_byte(text: &str, byte: u8) -> Option<(&str, &str)> {
    let at = text.bytes().position(|b| b == byte)?;
    Some((&text[..at], &text[at + 1..]))
}

fn region_of_host(host: &str) -> Option<&str> {
    let host = split_at_byte(host, b':').map_or(host, |(name, _)| name);
    let (first, rest) = split_at_byte(host, b'.')?;
    let (second, _) = split_at_byte(rest, b'.')?; // at least three labels
    if first == "sqs" && looks_like_region(second) {
        return Some(second);
    }
    if second == "queue" && looks_like_region(first) {
        return Some(first);
    }
    None
}

/// The last non-empty `/`-separated segment of `path`, and the path before it.
fn last_segment(path: &str) -> Option<(&str, &str)> {
    let path = path.trim_end_matches('/');
    if path.is_empty() {
        return None;
    }
    Some(match path.bytes().rposition(|b| b == b'/') {
        Some(at) => (&path[..at], &path[at + 1..]),
        None => ("", path),
    })
}

/// Which queue a `QueueUrl` names. A bare name (no `/`) is taken as a name in the caller's
/// account, as LocalStack and ElasticMQ do. Borrowed from `url` and `ctx`: every request that
/// names a queue comes here (the access check, then the operation), so nothing is allocated.
pub fn queue_named_by<'a>(ctx: &'a RequestContext, url: &'a str) -> Option<QueueKeyRef<'a>> {
    let url = url.trim();
    let scheme_end = url
        .bytes()
        .enumerate()
        .find(|&(i, b)| b == b':' && url.as_bytes()[i + 1..].starts_with(b"//"))
        .map(|(i, _)| i);
    let rest = scheme_end.map_or(url, |i| &url[i + 3..]);
    let rest = rest
        .bytes()
        .position(|b| b == b'?' || b == b'#')
        .map_or(rest, |end| &rest[..end]);
    let (host, path) = match (rest.bytes().position(|b| b == b'/'), scheme_end) {
        (Some(slash), Some(_)) => (&rest[..slash], &rest[slash + 1..]),
        (_, None) => ("", rest),
        (None, Some(_)) => return None,
    };
    // Read from the end: name, account, and for `/queue/{region}/{account}/{name}` the region.
    let (path, name) = last_segment(path)?;
    let mut region = region_of_host(host);
    let account = match last_segment(path) {
        None => ctx.account_id.as_str(),
        Some((path, account)) => {
            if let Some((path, r)) = last_segment(path) {
                if last_segment(path).is_some_and(|(_, q)| q == "queue") && looks_like_region(r) {
                    region = Some(r);
                }
            }
            account
        }
    };
    Some(QueueKeyRef {
        account_id: account,
        region: region.unwrap_or(&ctx.region),
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_queue_url(ctx: &RequestContext, url: &str) -> Option<QueueKey> {
        queue_named_by(ctx, url).map(QueueKeyRef::to_owned)
    }

    fn ctx() -> RequestContext {
        RequestContext {
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            host: "localhost:4566".into(),
            request_id: "r".into(),
            caller_arn: "arn:aws:iam::000000000000:root".into(),
            trace_header: None,
        }
    }

    #[test]
    fn hands_out_urls_in_each_style() {
        let mut c = ctx();
        let key = QueueKey::new("000000000000", "eu-west-1", "q");
        assert_eq!(
            queue_url(QueueUrlStyle::Plain, &c, &key),
            "http://localhost:4566/000000000000/q"
        );
        assert_eq!(
            queue_url(QueueUrlStyle::Host, &c, &key),
            "http://sqs.eu-west-1.localhost:4566/000000000000/q"
        );
        assert_eq!(
            queue_url(QueueUrlStyle::Path, &c, &key),
            "http://localhost:4566/queue/eu-west-1/000000000000/q"
        );
        c.host = "[::1]:9000".into();
        assert_eq!(
            queue_url(QueueUrlStyle::Host, &c, &key),
            "http://sqs.eu-west-1.localhost:9000/000000000000/q"
        );
        c.host = "sqs.us-east-1.localhost".into();
        assert_eq!(
            queue_url(QueueUrlStyle::Host, &c, &key),
            "http://sqs.eu-west-1.localhost/000000000000/q"
        );
        // Every style parses back to the queue.
        for style in [
            QueueUrlStyle::Plain,
            QueueUrlStyle::Host,
            QueueUrlStyle::Path,
        ] {
            let url = queue_url(style, &ctx(), &key);
            let parsed = parse_queue_url(&ctx(), &url).expect("parses");
            let region = if style == QueueUrlStyle::Plain {
                "us-east-1"
            } else {
                "eu-west-1"
            };
            assert_eq!(parsed, QueueKey::new("000000000000", region, "q"), "{url}");
        }
        assert_eq!("HOST".parse::<QueueUrlStyle>(), Ok(QueueUrlStyle::Host));
        assert!("aws".parse::<QueueUrlStyle>().is_err());
    }

    #[test]
    fn parses_every_host_style() {
        let c = ctx();
        let k = |acct: &str, region: &str, name: &str| QueueKey::new(acct, region, name);
        assert_eq!(
            parse_queue_url(&c, "http://localhost:4566/000000000000/q"),
            Some(k("000000000000", "us-east-1", "q"))
        );
        assert_eq!(
            parse_queue_url(&c, "https://sqs.eu-west-1.amazonaws.com/123456789012/q"),
            Some(k("123456789012", "eu-west-1", "q"))
        );
        assert_eq!(
            parse_queue_url(
                &c,
                "http://sqs.us-west-2.localhost.localstack.cloud:4566/000000000000/q"
            ),
            Some(k("000000000000", "us-west-2", "q"))
        );
        assert_eq!(
            parse_queue_url(&c, "http://127.0.0.1:9999/000000000000/q"),
            Some(k("000000000000", "us-east-1", "q"))
        );
        assert_eq!(
            parse_queue_url(&c, "http://localhost:4566/queue/ap-south-1/000000000000/q"),
            Some(k("000000000000", "ap-south-1", "q"))
        );
        assert_eq!(
            parse_queue_url(&c, "q"),
            Some(k("000000000000", "us-east-1", "q"))
        );
        assert_eq!(parse_queue_url(&c, "http://localhost:4566/"), None);
        assert_eq!(parse_queue_url(&c, ""), None);
        // No scheme: the whole text is the path; a query or fragment is not part of it; a
        // scheme without a path names nothing.
        assert_eq!(
            parse_queue_url(&c, "localhost:4566/123456789012/q"),
            Some(k("123456789012", "us-east-1", "q"))
        );
        assert_eq!(
            parse_queue_url(
                &c,
                " http://sqs.eu-west-1.localhost:4566/123456789012/q?x=1#f "
            ),
            Some(k("123456789012", "eu-west-1", "q"))
        );
        assert_eq!(parse_queue_url(&c, "http://localhost:4566"), None);
        assert_eq!(
            parse_queue_url(&c, "http:/localhost/000000000000/q"),
            Some(k("000000000000", "us-east-1", "q"))
        );
    }
}
