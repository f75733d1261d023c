//! ARNs: `arn:{partition}:{service}:{region}:{account}:{resource}`, split the one way every
//! service here reads them. What a service accepts beyond that (its own service name, a
//! resource with or without colons, AWS's wording for a bad one) stays with the service.

/// The parts of an ARN, borrowed from the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    /// Everything after the fifth colon (it may itself hold colons).
    pub resource: &'a str,
}

impl Arn<'_> {
    /// Whether every part is present (none empty).
    pub fn is_complete(&self) -> bool {
        [
            self.partition,
            self.service,
            self.region,
            self.account,
            self.resource,
        ]
        .iter()
        .all(|p| !p.is_empty())
    }
}

/// Splits an ARN; `None` unless it has the six colon-separated parts, starting with `arn`.
/// Parts may be empty: see [`Arn::is_complete`].
pub fn parse(arn: &str) -> Option<Arn<'_>> {
    // A byte scan: ARNs are short, and an SNS Publish parses several (topic, subscription,
    // queue), where `splitn`'s searcher costs several times more.
    fn part(s: &str) -> Option<(&str, &str)> {
        let at = s.bytes().position(|b| b == b':')?;
        Some((&s[..at], &s[at + 1..]))
    }
    let rest = arn.strip_prefix("arn:")?;
    let (partition, rest) = part(rest)?;
    let (service, rest) = part(rest)?;
    let (region, rest) = part(rest)?;
    let (account, resource) = part(rest)?;
    Some(Arn {
        partition,
        service,
        region,
        account,
        resource,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_six_parts_and_keeps_colons_in_the_resource() {
        let arn = parse("arn:aws:sns:us-east-1:000000000000:orders:1f2e").unwrap();
        assert_eq!(
            arn,
            Arn {
                partition: "aws",
                service: "sns",
                region: "us-east-1",
                account: "000000000000",
                resource: "orders:1f2e",
            }
        );
        assert!(arn.is_complete());
    }

    #[test]
    fn needs_the_arn_prefix_and_six_parts() {
        assert_eq!(parse("arn:aws:sqs:us-east-1:000000000000"), None);
        assert_eq!(parse("urn:aws:sqs:us-east-1:000000000000:q"), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn empty_parts_parse_but_are_not_complete() {
        let arn = parse("arn:aws:sqs::000000000000:q").unwrap();
        assert_eq!(arn.region, "");
        assert!(!arn.is_complete());
        assert!(!parse("arn:aws:sqs:us-east-1:000000000000:")
            .unwrap()
            .is_complete());
        assert!(!parse("arn::sqs:us-east-1:000000000000:q")
            .unwrap()
            .is_complete());
    }
}
