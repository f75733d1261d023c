//! SNS ARNs: `arn:aws:sns:{region}:{account}:{resource}`.

use super::error::SnsError;
pub use crate::arn::{parse, Arn};

/// AWS's error for a malformed ARN in parameter `name` (`TopicArn`, `SubscriptionArn`...).
fn too_few_elements(name: &str, arn: &str) -> SnsError {
    SnsError::invalid(format!(
        "{name} Reason: An ARN must have at least 6 elements, not {}",
        arn.split(':').count()
    ))
}

/// Splits the ARN given in parameter `name`, or AWS's error for it.
pub fn parse_member<'a>(name: &str, arn: &'a str) -> Result<Arn<'a>, SnsError> {
    parse(arn).ok_or_else(|| too_few_elements(name, arn))
}

/// `arn:aws:sns:{region}:{account}:{name}`.
pub fn topic_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:sns:{region}:{account}:{name}")
}

/// A topic ARN's (account, region, name), or AWS's error for `TopicArn`.
pub fn parse_topic(arn: &str) -> Result<(String, String, String), SnsError> {
    topic_parts(arn).map(|(account, region, name)| (account.into(), region.into(), name.into()))
}

/// [`parse_topic`], borrowed from `arn` (every Publish parses its topic's ARN).
pub fn topic_parts(arn: &str) -> Result<(&str, &str, &str), SnsError> {
    let a = parse_member("TopicArn", arn)?;
    if a.service == "sns" && !a.resource.contains(':') {
        Ok((a.account, a.region, a.resource))
    } else {
        Err(SnsError::invalid("TopicArn"))
    }
}
