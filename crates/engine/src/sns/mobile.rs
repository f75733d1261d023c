//! Mobile push and SMS: platform applications, their endpoints (types and operations), SMS
//! settings, opt-outs and the SMS sandbox (operations in `sms.rs`). The emulator cannot reach Apple, Google or phone networks; it keeps the state
//! so SDK calls behave as on AWS, and records what would have been sent.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::error::SnsError;
use super::{arn, page, Page, Region, SnsEngine};

/// Platforms `CreatePlatformApplication` accepts.
pub const PLATFORMS: &[&str] = &[
    "ADM",
    "APNS",
    "APNS_SANDBOX",
    "APNS_VOIP",
    "APNS_VOIP_SANDBOX",
    "BAIDU",
    "GCM",
    "MPNS",
    "WNS",
];

/// Attributes of `SetSMSAttributes`.
pub const SMS_ATTRIBUTES: &[&str] = &[
    "DeliveryStatusIAMRole",
    "DeliveryStatusSuccessSamplingRate",
    "DefaultSenderID",
    "DefaultSMSType",
    "MonthlySpendLimit",
    "UsageReportS3Bucket",
];

/// Endpoint attributes a client may set.
pub const ENDPOINT_ATTRIBUTES: &[&str] = &["CustomUserData", "Enabled", "Token"];

/// Platform application attributes a client may set.
pub const APPLICATION_ATTRIBUTES: &[&str] = &[
    "PlatformCredential",
    "PlatformPrincipal",
    "EventEndpointCreated",
    "EventEndpointDeleted",
    "EventEndpointUpdated",
    "EventDeliveryFailure",
    "SuccessFeedbackRoleArn",
    "FailureFeedbackRoleArn",
    "SuccessFeedbackSampleRate",
    "Enabled",
    "ApplePlatformTeamID",
    "ApplePlatformBundleID",
    "AuthenticationMethod",
];

/// E.164: `+` and up to 15 digits, not starting with 0.
pub fn is_e164(number: &str) -> bool {
    let digits = number.strip_prefix('+').unwrap_or(number);
    (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// A platform application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformApplication {
    pub arn: String,
    pub platform: String,
    pub name: String,
    /// Returned attributes (credentials are stored, never returned, as on AWS).
    pub attributes: BTreeMap<String, String>,
    pub credentials: BTreeMap<String, String>,
}

impl PlatformApplication {
    pub fn is_enabled(&self) -> bool {
        self.attributes.get("Enabled").is_none_or(|v| v == "true")
    }

    /// Applies attributes, keeping credentials apart.
    pub fn apply(&mut self, attributes: &[(String, String)]) -> Result<(), SnsError> {
        for (k, v) in attributes {
            if !APPLICATION_ATTRIBUTES.contains(&k.as_str()) {
                return Err(SnsError::invalid(format!(
                    "Attributes Reason: Invalid attribute name: {k}"
                )));
            }
            if k == "PlatformCredential" || k == "PlatformPrincipal" {
                self.credentials.insert(k.clone(), v.clone());
            } else {
                self.attributes.insert(k.clone(), v.clone());
            }
        }
        Ok(())
    }
}

/// A device endpoint of a platform application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformEndpoint {
    pub arn: String,
    pub application_arn: String,
    pub attributes: BTreeMap<String, String>,
}

impl PlatformEndpoint {
    pub fn is_enabled(&self) -> bool {
        self.attributes.get("Enabled").is_none_or(|v| v == "true")
    }
}

/// Checks endpoint attributes with AWS's messages.
pub fn check_endpoint_attributes(attributes: &[(String, String)]) -> Result<(), SnsError> {
    for (k, v) in attributes {
        if !ENDPOINT_ATTRIBUTES.contains(&k.as_str()) {
            return Err(SnsError::invalid(format!(
                "Attributes Reason: Invalid attribute name: {k}"
            )));
        }
        if k == "CustomUserData" && v.len() > 2048 {
            return Err(SnsError::invalid(
                "Attributes Reason: Invalid value for attribute: CustomUserData: must be at most 2048 bytes long in UTF-8 encoding",
            ));
        }
        if k == "Enabled" && v != "true" && v != "false" {
            return Err(SnsError::invalid(
                "Attributes Reason: Invalid value for attribute: Enabled: must be true or false",
            ));
        }
    }
    Ok(())
}

/// A phone number in the SMS sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxNumber {
    pub verified: bool,
    pub one_time_password: String,
}

/// SMS state of one account and region.
#[derive(Debug, Default)]
pub struct SmsState {
    pub attributes: BTreeMap<String, String>,
    pub opted_out: BTreeSet<String>,
    pub sandbox: BTreeMap<String, SandboxNumber>,
}

impl SmsState {
    /// `SetSMSAttributes`.
    pub fn set_attributes(&mut self, attributes: &[(String, String)]) -> Result<(), SnsError> {
        for (k, v) in attributes {
            if !SMS_ATTRIBUTES.contains(&k.as_str()) {
                return Err(SnsError::InvalidParameter(format!(
                    "{k} is not a valid attribute"
                )));
            }
            if k == "DefaultSMSType" && v != "Promotional" && v != "Transactional" {
                return Err(SnsError::InvalidParameter(
                    "DefaultSMSType is invalid".into(),
                ));
            }
            if k == "MonthlySpendLimit" && v.parse::<u64>().is_err() {
                return Err(SnsError::InvalidParameter(
                    "MonthlySpendLimit is invalid".into(),
                ));
            }
        }
        self.attributes.extend(attributes.iter().cloned());
        Ok(())
    }

    /// `GetSMSAttributes`: all (or the named) attributes; `MonthlySpendLimit` defaults to 1.
    pub fn get_attributes(&self, names: &[String]) -> BTreeMap<String, String> {
        let mut all = self.attributes.clone();
        all.entry("MonthlySpendLimit".into())
            .or_insert_with(|| "1".into());
        all.into_iter()
            .filter(|(k, _)| names.is_empty() || names.contains(k))
            .collect()
    }
}

/// The operations on platform applications and their endpoints. Each takes its region's
/// `applications` or `endpoints` lock alone, changes or reads, and returns.
impl SnsEngine {
    /// `CreatePlatformApplication`.
    pub fn create_platform_application(
        &self,
        account: &str,
        region: &str,
        name: &str,
        platform: &str,
        attributes: &[(String, String)],
    ) -> Result<PlatformApplication, SnsError> {
        let reason = if name.is_empty() {
            Some("cannot be empty")
        } else if name.chars().count() > 256 {
            Some("must be at most 256 characters long")
        } else if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        {
            Some("must contain only characters 'a'-'z', 'A'-'Z', '0'-'9', '_', '-', and '.'")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(SnsError::invalid(format!("{name} Reason: {reason}")));
        }
        if !PLATFORMS.contains(&platform) {
            return Err(SnsError::invalid(format!(
                "Platform Reason: {platform} is not supported"
            )));
        }
        let has = |k: &str| attributes.iter().any(|(n, _)| n == k);
        if has("PlatformCredential") && !has("PlatformPrincipal") && platform.starts_with("APNS") {
            return Err(SnsError::invalid(
                "Attributes Reason: PlatformCredential attribute provided without PlatformPrincipal",
            ));
        }
        if has("PlatformPrincipal") && !has("PlatformCredential") {
            return Err(SnsError::invalid(
                "Attributes Reason: PlatformPrincipal attribute provided without PlatformCredential",
            ));
        }
        let arn = format!("arn:aws:sns:{region}:{account}:app/{platform}/{name}");
        let mut app = PlatformApplication {
            arn: arn.clone(),
            platform: platform.to_owned(),
            name: name.to_owned(),
            attributes: BTreeMap::from([("Enabled".to_owned(), "true".to_owned())]),
            credentials: BTreeMap::new(),
        };
        app.apply(attributes)?;
        let store = self.region(account, region);
        let mut apps = store.applications.write();
        Ok(apps.entry(arn).or_insert(app).clone())
    }

    fn application_store(&self, arn_text: &str) -> Result<Arc<Region>, SnsError> {
        let parsed = arn::parse_member("PlatformApplicationArn", arn_text)?;
        Ok(self.region(parsed.account, parsed.region))
    }

    pub fn platform_application(&self, arn_text: &str) -> Result<PlatformApplication, SnsError> {
        self.application_store(arn_text)?
            .applications
            .read()
            .get(arn_text)
            .cloned()
            .ok_or_else(|| SnsError::NotFound("PlatformApplication does not exist".into()))
    }

    pub fn set_platform_application_attributes(
        &self,
        arn_text: &str,
        attributes: &[(String, String)],
    ) -> Result<(), SnsError> {
        let store = self.application_store(arn_text)?;
        let mut apps = store.applications.write();
        let app = apps
            .get_mut(arn_text)
            .ok_or_else(|| SnsError::NotFound("PlatformApplication does not exist".into()))?;
        let mut next = app.clone();
        next.apply(attributes)?;
        *app = next;
        Ok(())
    }

    /// `DeletePlatformApplication`: also deletes its endpoints; idempotent.
    pub fn delete_platform_application(&self, arn_text: &str) -> Result<(), SnsError> {
        let store = self.application_store(arn_text)?;
        store.applications.write().remove(arn_text);
        store
            .endpoints
            .write()
            .retain(|_, e| e.application_arn != arn_text);
        Ok(())
    }

    pub fn list_platform_applications(
        &self,
        account: &str,
        region: &str,
        token: Option<&str>,
    ) -> Result<Page<PlatformApplication>, SnsError> {
        let all: Vec<PlatformApplication> = self
            .existing_region(account, region)
            .map(|r| r.applications.read().values().cloned().collect())
            .unwrap_or_default();
        page(&all, token)
    }

    /// `CreatePlatformEndpoint`: idempotent per token when the attributes agree.
    pub fn create_platform_endpoint(
        &self,
        application_arn: &str,
        token: &str,
        custom_user_data: Option<&str>,
        attributes: &[(String, String)],
    ) -> Result<PlatformEndpoint, SnsError> {
        let app = self.platform_application(application_arn)?;
        check_endpoint_attributes(attributes)?;
        if token.is_empty() {
            return Err(SnsError::invalid("Token Reason: cannot be empty"));
        }
        let mut attrs: BTreeMap<String, String> = BTreeMap::new();
        attrs.insert("Enabled".into(), "true".into());
        attrs.insert("Token".into(), token.into());
        if let Some(data) = custom_user_data {
            attrs.insert("CustomUserData".into(), data.into());
        }
        attrs.extend(attributes.iter().cloned());
        let store = self.application_store(application_arn)?;
        let mut endpoints = store.endpoints.write();
        if let Some(existing) = endpoints.values().find(|e| {
            e.application_arn == application_arn
                && e.attributes.get("Token").is_some_and(|t| t == token)
        }) {
            if existing.attributes != attrs {
                return Err(SnsError::invalid(format!(
                    "Token Reason: Endpoint {} already exists with the same Token, but different attributes.",
                    existing.arn
                )));
            }
            return Ok(existing.clone());
        }
        let arn = format!(
            "{}/{}",
            app.arn.replacen(":app/", ":endpoint/", 1),
            uuid::Uuid::new_v4()
        );
        let endpoint = PlatformEndpoint {
            arn: arn.clone(),
            application_arn: application_arn.to_owned(),
            attributes: attrs,
        };
        endpoints.insert(arn, endpoint.clone());
        Ok(endpoint)
    }

    pub fn platform_endpoint(&self, arn_text: &str) -> Result<PlatformEndpoint, SnsError> {
        let parsed = arn::parse_member("EndpointArn", arn_text)?;
        self.existing_region(parsed.account, parsed.region)
            .and_then(|r| r.endpoints.read().get(arn_text).cloned())
            .ok_or_else(|| SnsError::NotFound("Endpoint does not exist".into()))
    }

    pub fn set_endpoint_attributes(
        &self,
        arn_text: &str,
        attributes: &[(String, String)],
    ) -> Result<(), SnsError> {
        check_endpoint_attributes(attributes)?;
        let parsed = arn::parse_member("EndpointArn", arn_text)?;
        let store = self.region(parsed.account, parsed.region);
        let mut endpoints = store.endpoints.write();
        let endpoint = endpoints
            .get_mut(arn_text)
            .ok_or_else(|| SnsError::NotFound("Endpoint does not exist".into()))?;
        endpoint.attributes.extend(attributes.iter().cloned());
        Ok(())
    }

    /// `DeleteEndpoint`: idempotent.
    pub fn delete_endpoint(&self, arn_text: &str) -> Result<(), SnsError> {
        let parsed = arn::parse_member("EndpointArn", arn_text)?;
        if let Some(store) = self.existing_region(parsed.account, parsed.region) {
            store.endpoints.write().remove(arn_text);
        }
        Ok(())
    }

    pub fn list_endpoints(
        &self,
        application_arn: &str,
        token: Option<&str>,
    ) -> Result<Page<PlatformEndpoint>, SnsError> {
        self.platform_application(application_arn)?;
        let store = self.application_store(application_arn)?;
        let all: Vec<PlatformEndpoint> = store
            .endpoints
            .read()
            .values()
            .filter(|e| e.application_arn == application_arn)
            .cloned()
            .collect();
        page(&all, token)
    }
}
