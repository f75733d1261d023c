//! SNS ARNs: `arn:aws:sns:{region}:{account}:{resource}`.

use super::error::SnsError;

/// The parts of an ARN this service reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    /// Everything after the fifth colon.
    pub resource: &'a str,
}

/// Splits an ARN; `None` unless it has the six colon-separated parts, starting with `arn`.
pub fn parse(arn: &str) -> Option<Arn<'_>> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(service), Some(region), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    Some(Arn {
        partition,
        service,
        region,
        account,
        resource,
    })
}

/// AWS's error for a malformed ARN in parameter `name` (`TopicArn`, `SubscriptionArn`...).
pub fn too_few_elements(name: &str, arn: &str) -> SnsError {
    SnsError::invalid(format!(
        "{name} Reason: An ARN must have at least 6 elements, not {}",
        arn.split(':').count()
    ))
}

/// `arn:aws:sns:{region}:{account}:{name}`.
pub fn topic_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:sns:{region}:{account}:{name}")
}

/// A topic ARN's (account, region, name), or AWS's error for `TopicArn`.
pub fn parse_topic(arn: &str) -> Result<(String, String, String), SnsError> {
    match parse(arn) {
        Some(a) if a.service == "sns" && !a.resource.contains(':') => {
            Ok((a.account.into(), a.region.into(), a.resource.into()))
        }
        Some(_) => Err(SnsError::invalid("TopicArn")),
        None => Err(too_few_elements("TopicArn", arn)),
    }
}
