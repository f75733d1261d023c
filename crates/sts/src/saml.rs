//! What AssumeRoleWithSAML reads from the assertion. Any assertion is accepted (no signature is
//! checked); when it is base64 of a SAML response, its fields fill the answer as AWS's would.
//! The XML is only scanned for the few elements needed, never fully parsed.

use base64::Engine as _;
use sha1::{Digest, Sha1};

const ROLE_SESSION_NAME: &str = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";
const SESSION_DURATION: &str = "https://aws.amazon.com/SAML/Attributes/SessionDuration";

/// The fields of a SAML response AWS uses.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Assertion {
    /// `NameID`.
    pub subject: Option<String>,
    /// `persistent`, `transient` or the full `Format` of the `NameID`.
    pub subject_type: Option<String>,
    /// The assertion's `Issuer`.
    pub issuer: Option<String>,
    /// `Recipient` of `SubjectConfirmationData`.
    pub audience: Option<String>,
    /// The `RoleSessionName` attribute.
    pub session_name: Option<String>,
    /// The `SessionDuration` attribute, within 900..=43200.
    pub session_duration: Option<u64>,
}

impl Assertion {
    /// Reads a base64 SAML response; everything is `None` if it is not one.
    pub(crate) fn read(base64_xml: &str) -> Assertion {
        let Some(xml) = base64::engine::general_purpose::STANDARD
            .decode(base64_xml.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
        else {
            return Assertion::default();
        };
        let name_id = element(&xml, "NameID");
        let subject_type = name_id
            .and_then(|(attrs, _)| attribute(attrs, "Format"))
            .map(|format| match format.rsplit(':').next() {
                Some(short @ ("persistent" | "transient")) => short.to_owned(),
                _ => format.to_owned(),
            });
        // The assertion's Issuer follows the Response's own; the last one is the assertion's.
        let issuer = elements(&xml, "Issuer")
            .into_iter()
            .last()
            .map(|(_, text)| text.to_owned());
        let attribute_value = |name: &str| {
            elements(&xml, "Attribute")
                .into_iter()
                .find(|(attrs, _)| attribute(attrs, "Name") == Some(name))
                .and_then(|(_, body)| element(body, "AttributeValue"))
                .map(|(_, text)| text.to_owned())
        };
        Assertion {
            subject: name_id.map(|(_, text)| text.to_owned()),
            subject_type,
            issuer,
            audience: element(&xml, "SubjectConfirmationData")
                .and_then(|(attrs, _)| attribute(attrs, "Recipient"))
                .map(str::to_owned),
            session_name: attribute_value(ROLE_SESSION_NAME),
            session_duration: attribute_value(SESSION_DURATION)
                .and_then(|d| d.parse::<u64>().ok())
                .map(|d| d.clamp(900, 43200)),
        }
    }
}

/// AWS's NameQualifier: base64(SHA-1(issuer + account id + "/" + SAML provider name)).
pub(crate) fn name_qualifier(issuer: &str, account: &str, provider: &str) -> String {
    let digest = Sha1::digest(format!("{issuer}{account}/{provider}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// The first element with local name `name`: (its attribute text, its trimmed body).
fn element<'a>(xml: &'a str, name: &str) -> Option<(&'a str, &'a str)> {
    elements(xml, name).into_iter().next()
}

/// Every element with local name `name` (any namespace prefix), not nested in one another.
fn elements<'a>(xml: &'a str, name: &str) -> Vec<(&'a str, &'a str)> {
    let mut found = Vec::new();
    let mut rest = xml;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let tag_end = after
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(after.len());
        let tag = &after[..tag_end];
        let local = tag.rsplit(':').next().unwrap_or(tag);
        if local != name || tag.starts_with('/') {
            rest = after;
            continue;
        }
        let Some(head_end) = after.find('>') else {
            break;
        };
        let attrs = &after[tag_end..head_end];
        if attrs.ends_with('/') {
            found.push((attrs, ""));
            rest = &after[head_end + 1..];
            continue;
        }
        let body_start = &after[head_end + 1..];
        let close = format!("</{tag}>");
        let Some(body_end) = body_start.find(&close) else {
            break;
        };
        found.push((attrs, body_start[..body_end].trim()));
        rest = &body_start[body_end + close.len()..];
    }
    found
}

/// The value of attribute `name` (local name) in an element's attribute text.
fn attribute<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = attrs;
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim();
        let key = key.rsplit(char::is_whitespace).next().unwrap_or(key);
        let after = rest[eq + 1..].trim_start();
        let quote = after.chars().next()?;
        if quote != '"' && quote != '\'' {
            return None;
        }
        let value_end = after[1..].find(quote)?;
        let value = &after[1..1 + value_end];
        if key.rsplit(':').next() == Some(name) {
            return Some(value);
        }
        rest = &after[value_end + 2..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> String {
        // Shape of the SAML response in LocalStack's test_assume_role_with_saml.
        let xml = r#"<?xml version="1.0"?><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_0" Version="2.0"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">http://localhost/</Issuer><Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion" ID="_1" Version="2.0"><Issuer>http://localhost:3000/</Issuer><Subject><NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">
      7ca82df9-1bad-4dd3-9b2b-adb68b554282
      </NameID><SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><SubjectConfirmationData NotOnOrAfter="2012-01-01T13:00:00.000Z" Recipient="https://signin.aws.amazon.com/saml"/></SubjectConfirmation></Subject><AttributeStatement><Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><AttributeValue>testuser</AttributeValue></Attribute><Attribute Name="https://aws.amazon.com/SAML/Attributes/SessionDuration"><AttributeValue>900</AttributeValue></Attribute></AttributeStatement></Assertion></samlp:Response>"#;
        base64::engine::general_purpose::STANDARD.encode(xml)
    }

    #[test]
    fn reads_the_fields_aws_reports() {
        let a = Assertion::read(&sample());
        assert_eq!(
            a.subject.as_deref(),
            Some("7ca82df9-1bad-4dd3-9b2b-adb68b554282")
        );
        assert_eq!(a.subject_type.as_deref(), Some("persistent"));
        assert_eq!(a.issuer.as_deref(), Some("http://localhost:3000/"));
        assert_eq!(
            a.audience.as_deref(),
            Some("https://signin.aws.amazon.com/saml")
        );
        assert_eq!(a.session_name.as_deref(), Some("testuser"));
        assert_eq!(a.session_duration, Some(900));
    }

    #[test]
    fn anything_else_reads_as_nothing() {
        assert_eq!(Assertion::read("not base64 !"), Assertion::default());
        assert_eq!(Assertion::read("aGVsbG8="), Assertion::default());
        assert_eq!(Assertion::read("PEE+PEI+"), Assertion::default());
    }
}
