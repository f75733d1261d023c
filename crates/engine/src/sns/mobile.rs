//! Mobile push and SMS: platform applications, their endpoints, SMS settings, opt-outs and the
//! SMS sandbox. The emulator cannot reach Apple, Google or phone networks; it keeps the state
//! so SDK calls behave as on AWS, and records what would have been sent.

use std::collections::{BTreeMap, BTreeSet};

use super::error::SnsError;

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
