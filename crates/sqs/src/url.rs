//! Queue URLs: `http://{host}/{account}/{name}`. Requests may address a queue with any host
//! (localhost, 127.0.0.1, `sqs.us-east-1.amazonaws.com`...): only the path decides which queue,
//! plus the region when the host names one (`sqs.<region>.…`, `<region>.queue.…`).

use ferrybridge_engine::sqs::QueueKey;
use ferrybridge_protocol::RequestContext;

/// The URL we hand out for a queue, pointing back at the host the client used.
pub fn queue_url(ctx: &RequestContext, key: &QueueKey) -> String {
    let host = if ctx.host.is_empty() {
        "localhost:4566"
    } else {
        ctx.host.as_str()
    };
    format!("http://{host}/{}/{}", key.account_id, key.name)
}

fn looks_like_region(s: &str) -> bool {
    s.contains('-')
        && s.ends_with(|c: char| c.is_ascii_digit())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn region_of_host(host: &str) -> Option<&str> {
    let host = host.split(':').next().unwrap_or(host);
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() > 2 && labels[0] == "sqs" && looks_like_region(labels[1]) {
        return Some(labels[1]);
    }
    if labels.len() > 2 && labels[1] == "queue" && looks_like_region(labels[0]) {
        return Some(labels[0]);
    }
    None
}

/// Which queue a `QueueUrl` names. A bare name (no `/`) is taken as a name in the caller's
/// account, as LocalStack and ElasticMQ do.
pub fn parse_queue_url(ctx: &RequestContext, url: &str) -> Option<QueueKey> {
    let url = url.trim();
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let (host, path) = match rest.split_once('/') {
        Some((h, p)) if url.contains("://") => (h, p),
        Some(_) => ("", rest),
        None if !url.contains("://") => ("", rest),
        None => return None,
    };
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut region = region_of_host(host).map(str::to_string);
    let (account, name) = match segments.as_slice() {
        [] => return None,
        [name] => (ctx.account_id.clone(), name.to_string()),
        [.., account, name] => {
            // Path-style: /queue/{region}/{account}/{name}
            if segments.len() >= 4 && segments[segments.len() - 4] == "queue" {
                let r = segments[segments.len() - 3];
                if looks_like_region(r) {
                    region = Some(r.to_string());
                }
            }
            (account.to_string(), name.to_string())
        }
    };
    Some(QueueKey::new(
        account,
        region.unwrap_or_else(|| ctx.region.clone()),
        name,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> RequestContext {
        RequestContext {
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            host: "localhost:4566".into(),
            request_id: "r".into(),
            trace_header: None,
        }
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
    }
}
