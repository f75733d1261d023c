//! AWS STS: one function per operation.
//!
//! [`Sts::handle`] takes an operation name, its decoded input (keys = the STS model's member
//! names), checks it against the model's constraints, converts it to the operation's typed
//! input from [`ferrybridge_api::sts`] and runs the [`StsApi`] method, for the caller's
//! [`Identity`] (resolved by the server from the request's access key with
//! [`StsEngine::identity`]); it answers with the typed output or a [`ServiceError`].
//!
//! Validation happens in AWS's order: first the model's constraints (`ValidationError`,
//! `1 validation error detected: ...`), then the operation's own checks (role ARN format,
//! role chaining, tags).
//!
//! No IAM exists here: every role can be assumed by anyone, any web identity token and SAML
//! assertion is accepted, and a role's maximum session duration is taken as 43200 seconds.

mod saml;
mod web_identity;

use std::sync::Arc;

use ferrybridge_api::sts::{self, StsApi};
use ferrybridge_api::{ConversionError, Timestamp};
use ferrybridge_engine::sts::{
    CredentialKind, Identity, IssuedCredentials, StsEngine, MAX_MIN_TOKEN_BYTES,
};
use ferrybridge_protocol::{RequestContext, ServiceError, ServiceName};
use serde_json::Value;

/// Default lifetime of AssumeRole* credentials.
const DEFAULT_ROLE_DURATION: u64 = 3600;
/// Default lifetime of GetSessionToken and GetFederationToken credentials.
const DEFAULT_TOKEN_DURATION: u64 = 43200;
/// The longest session of the account's root user, and of a chained role.
const ONE_HOUR: u64 = 3600;

/// The STS service: stateless, issued credentials live in the engine.
#[derive(Debug, Clone)]
pub struct Sts {
    engine: Arc<StsEngine>,
    default_account: Arc<str>,
}

/// What an STS operation runs with: the request and the identity its credentials resolve to.
pub struct StsCall {
    /// The request's context (account, region, request id).
    pub ctx: RequestContext,
    /// The caller, resolved by the server with [`StsEngine::identity`].
    pub caller: Identity,
}

impl Sts {
    /// `default_account`: the account of access keys that name none (`--default-account-id`).
    pub fn new(engine: Arc<StsEngine>, default_account: &str) -> Sts {
        Sts {
            engine,
            default_account: Arc::from(default_account),
        }
    }

    pub fn engine(&self) -> &Arc<StsEngine> {
        &self.engine
    }

    /// Runs one STS operation for `caller`: the model's constraints first (`ValidationError`,
    /// `1 validation error detected: ...`), then the typed operation ([`StsApi`]).
    pub fn handle(
        &self,
        ctx: &RequestContext,
        caller: &Identity,
        operation: &str,
        input: Value,
    ) -> Result<Value, ServiceError> {
        ferrybridge_protocol::validate_input(ServiceName::Sts, operation, &input)
            .map_err(|m| ServiceError::new("ValidationError", m))?;
        let call = StsCall {
            ctx: ctx.clone(),
            caller: caller.clone(),
        };
        sts::dispatch(self, &call, operation, &input).unwrap_or_else(|| {
            Err(ServiceError::new(
                "InvalidAction",
                format!("The action {operation} is not valid for this web service."),
            ))
        })
    }

    /// Credentials, with the size of their session token (padded to the request's
    /// `MinimumSessionTokenSize`): `SessionTokenSize` in bytes and `SessionTokenUtilization`,
    /// its percentage of the largest token (taken as 4096 bytes, the largest minimum STS
    /// accepts; AWS does not publish its own limit).
    fn issue(&self, identity: Identity, duration: u64, min_size: Option<i32>) -> Issued {
        let min_size = min_size.map_or(0, |n| usize::try_from(n).unwrap_or(0));
        let creds = self.engine.issue(identity, duration, min_size);
        let size = creds.session_token.len();
        Issued {
            size: Some(clamp_i32(size)),
            utilization: Some(clamp_i32(
                (size * 100).div_ceil(MAX_MIN_TOKEN_BYTES).min(100),
            )),
            credentials: credentials(&creds),
        }
    }
}

/// Issued credentials and the size figures that come with them.
struct Issued {
    credentials: sts::Credentials,
    size: Option<i32>,
    utilization: Option<i32>,
}

fn clamp_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn assumed_role_user(identity: &Identity) -> sts::AssumedRoleUser {
    sts::AssumedRoleUser {
        assumed_role_id: identity.user_id.clone(),
        arn: identity.arn.clone(),
    }
}

impl StsApi for Sts {
    type Context = StsCall;

    fn unsupported(&self, operation: &'static str) -> ServiceError {
        ServiceError::new(
            "InvalidAction",
            format!("The action {operation} is not valid for this web service."),
        )
    }

    /// Reached only for what the model's constraints let through (they report a missing
    /// member first); answered in their words.
    fn conversion_error(&self, _operation: &'static str, error: ConversionError) -> ServiceError {
        let member = lower_camel(error.member());
        let message = match &error {
            ConversionError::Missing { .. } => format!(
                "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
            ),
            ConversionError::Invalid { value, .. } => {
                format!("Value ({value}) for parameter {member} is invalid.")
            }
        };
        ServiceError::new("ValidationError", message)
    }

    fn get_caller_identity(
        &self,
        call: &StsCall,
        _input: sts::GetCallerIdentityRequest,
    ) -> Result<sts::GetCallerIdentityResponse, ServiceError> {
        Ok(sts::GetCallerIdentityResponse {
            user_id: Some(call.caller.user_id.clone()),
            account: Some(call.caller.account_id.clone()),
            arn: Some(call.caller.arn.clone()),
        })
    }

    fn assume_role(
        &self,
        call: &StsCall,
        i: sts::AssumeRoleRequest,
    ) -> Result<sts::AssumeRoleResponse, ServiceError> {
        let role = RoleArn::parse(&i.role_arn, &call.ctx.account_id)?;
        check_tags(i.tags.as_deref(), i.transitive_tag_keys.as_deref())?;
        let duration = duration(i.duration_seconds, DEFAULT_ROLE_DURATION);
        if call.caller.kind == CredentialKind::AssumedRole && duration > ONE_HOUR {
            return Err(ServiceError::new(
                "ValidationError",
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            ));
        }
        let policy = policy_member(i.policy.as_deref())?;
        let identity = role.identity(&i.role_session_name);
        let user = assumed_role_user(&identity);
        let issued = self.issue(identity, duration, i.minimum_session_token_size);
        Ok(sts::AssumeRoleResponse {
            credentials: Some(issued.credentials),
            assumed_role_user: Some(user),
            packed_policy_size: packed_policy_size(
                policy,
                i.policy_arns.as_deref(),
                i.tags.as_deref(),
            ),
            source_identity: i.source_identity,
            session_token_utilization: issued.utilization,
            session_token_size: issued.size,
        })
    }

    fn assume_role_with_web_identity(
        &self,
        call: &StsCall,
        i: sts::AssumeRoleWithWebIdentityRequest,
    ) -> Result<sts::AssumeRoleWithWebIdentityResponse, ServiceError> {
        let role = RoleArn::parse(&i.role_arn, &call.ctx.account_id)?;
        let policy = policy_member(i.policy.as_deref())?;
        let duration = duration(i.duration_seconds, DEFAULT_ROLE_DURATION);
        let claims = web_identity::claims(&i.web_identity_token);
        let identity = role.identity(&i.role_session_name);
        let user = assumed_role_user(&identity);
        let issued = self.issue(identity, duration, None);
        Ok(sts::AssumeRoleWithWebIdentityResponse {
            credentials: Some(issued.credentials),
            subject_from_web_identity_token: claims.subject,
            assumed_role_user: Some(user),
            packed_policy_size: packed_policy_size(policy, i.policy_arns.as_deref(), None),
            provider: i.provider_id.or(claims.issuer),
            audience: claims.audience,
            source_identity: None,
            session_token_utilization: issued.utilization,
            session_token_size: issued.size,
            trusted_identity_propagation_context: None,
        })
    }

    fn assume_role_with_saml(
        &self,
        call: &StsCall,
        i: sts::AssumeRoleWithSAMLRequest,
    ) -> Result<sts::AssumeRoleWithSAMLResponse, ServiceError> {
        let role = RoleArn::parse(&i.role_arn, &call.ctx.account_id)?;
        let policy = policy_member(i.policy.as_deref())?;
        let assertion = saml::Assertion::read(&i.saml_assertion);
        let duration = i
            .duration_seconds
            .and_then(|d| u64::try_from(d).ok())
            .or(assertion.session_duration)
            .unwrap_or(DEFAULT_ROLE_DURATION);
        let session = assertion
            .session_name
            .clone()
            .or_else(|| assertion.subject.clone())
            .unwrap_or_else(|| "saml-session".to_owned());
        let identity = role.identity(&session);
        let user = assumed_role_user(&identity);
        let issued = self.issue(identity, duration, None);
        let provider_name = i.principal_arn.rsplit('/').next().unwrap_or_default();
        let name_qualifier = assertion
            .issuer
            .as_deref()
            .map(|issuer| saml::name_qualifier(issuer, &role.account, provider_name));
        Ok(sts::AssumeRoleWithSAMLResponse {
            credentials: Some(issued.credentials),
            assumed_role_user: Some(user),
            packed_policy_size: packed_policy_size(policy, i.policy_arns.as_deref(), None),
            subject: assertion.subject,
            subject_type: assertion.subject_type,
            issuer: assertion.issuer,
            audience: assertion.audience,
            name_qualifier,
            source_identity: None,
            session_token_utilization: issued.utilization,
            session_token_size: issued.size,
            trusted_identity_propagation_context: None,
        })
    }

    fn get_session_token(
        &self,
        call: &StsCall,
        i: sts::GetSessionTokenRequest,
    ) -> Result<sts::GetSessionTokenResponse, ServiceError> {
        if call.caller.kind.is_temporary() {
            return Err(ServiceError::new(
                "AccessDenied",
                "Cannot call GetSessionToken with session credentials",
            ));
        }
        // Every long-term key here is an account's root, whose sessions last at most an hour
        // (a longer DurationSeconds is cut to one hour, as on AWS).
        let duration = duration(i.duration_seconds, DEFAULT_TOKEN_DURATION).min(ONE_HOUR);
        let identity = Identity {
            kind: CredentialKind::SessionToken,
            ..call.caller.clone()
        };
        let issued = self.issue(identity, duration, i.minimum_session_token_size);
        Ok(sts::GetSessionTokenResponse {
            credentials: Some(issued.credentials),
            session_token_utilization: issued.utilization,
            session_token_size: issued.size,
        })
    }

    fn get_federation_token(
        &self,
        call: &StsCall,
        i: sts::GetFederationTokenRequest,
    ) -> Result<sts::GetFederationTokenResponse, ServiceError> {
        if call.caller.kind.is_temporary() {
            return Err(ServiceError::new(
                "AccessDenied",
                "Cannot call GetFederationToken with session credentials",
            ));
        }
        let policy = policy_member(i.policy.as_deref())?;
        check_tags(i.tags.as_deref(), None)?;
        let duration = duration(i.duration_seconds, DEFAULT_TOKEN_DURATION).min(ONE_HOUR);
        let identity = Identity::federated_user(&call.caller.account_id, &i.name);
        let user = sts::FederatedUser {
            federated_user_id: identity.user_id.clone(),
            arn: identity.arn.clone(),
        };
        let issued = self.issue(identity, duration, i.minimum_session_token_size);
        Ok(sts::GetFederationTokenResponse {
            credentials: Some(issued.credentials),
            federated_user: Some(user),
            packed_policy_size: Some(
                packed_policy_size(policy, i.policy_arns.as_deref(), i.tags.as_deref())
                    .unwrap_or(0),
            ),
            session_token_utilization: issued.utilization,
            session_token_size: issued.size,
        })
    }

    fn get_access_key_info(
        &self,
        _call: &StsCall,
        i: sts::GetAccessKeyInfoRequest,
    ) -> Result<sts::GetAccessKeyInfoResponse, ServiceError> {
        let identity = self
            .engine
            .identity(&i.access_key_id, &self.default_account);
        Ok(sts::GetAccessKeyInfoResponse {
            account: Some(identity.account_id),
        })
    }

    /// We never issue encoded authorization messages (nothing is ever denied); a message that
    /// is base64 of a JSON document is handed back decoded, anything else is refused.
    fn decode_authorization_message(
        &self,
        _call: &StsCall,
        i: sts::DecodeAuthorizationMessageRequest,
    ) -> Result<sts::DecodeAuthorizationMessageResponse, ServiceError> {
        use base64::Engine as _;
        let encoded = i.encoded_message.as_str();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(encoded))
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .filter(|text| serde_json::from_str::<Value>(text).is_ok_and(|v| v.is_object()));
        match decoded {
            Some(text) => Ok(sts::DecodeAuthorizationMessageResponse {
                decoded_message: Some(text),
            }),
            None => Err(ServiceError::new(
                "InvalidAuthorizationMessageException",
                "The encoded authorization message is invalid.",
            )),
        }
    }
}

/// `RoleArn` -> `roleArn`, `Tags.0.Key` -> `tags.0.key`: member paths as STS's validation
/// messages write them.
fn lower_camel(path: &str) -> String {
    path.split('.')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<String>>()
        .join(".")
}

/// A role ARN as AssumeRole* accept it: `arn:<partition>:<service>:<region>:<account>:<resource>`
/// with partition, service and resource present and no further colon (AWS answers
/// `ValidationError: <arn> is invalid` otherwise, recorded by LocalStack's
/// `test_sts_invalid_parameters`).
struct RoleArn {
    arn: String,
    account: String,
    role_name: String,
}

impl RoleArn {
    /// `caller_account` stands in when the ARN names no 12-digit account.
    fn parse(arn: &str, caller_account: &str) -> Result<RoleArn, ServiceError> {
        let parts: Vec<&str> = arn.split(':').collect();
        let valid = parts.len() == 6
            && parts[0] == "arn"
            && !parts[1].is_empty()
            && !parts[2].is_empty()
            && !parts[5].is_empty();
        if !valid {
            return Err(ServiceError::new(
                "ValidationError",
                format!("{arn} is invalid"),
            ));
        }
        let account = if parts[4].len() == 12 && parts[4].bytes().all(|b| b.is_ascii_digit()) {
            parts[4]
        } else {
            caller_account
        };
        Ok(RoleArn {
            arn: arn.to_owned(),
            account: account.to_owned(),
            role_name: parts[5].rsplit('/').next().unwrap_or(parts[5]).to_owned(),
        })
    }

    fn identity(&self, session: &str) -> Identity {
        Identity::assumed_role(&self.account, &self.arn, &self.role_name, session)
    }
}

fn duration(seconds: Option<i32>, default: u64) -> u64 {
    seconds
        .and_then(|d| u64::try_from(d).ok())
        .unwrap_or(default)
}

fn credentials(creds: &IssuedCredentials) -> sts::Credentials {
    sts::Credentials {
        access_key_id: creds.access_key_id.clone(),
        secret_access_key: creds.secret_access_key.clone(),
        session_token: creds.session_token.clone(),
        // Whole seconds, as AWS's Expiration.
        expiration: Timestamp((creds.expiration_ms / 1000) as f64),
    }
}

/// The session policy, which must be a JSON object.
fn policy_member(policy: Option<&str>) -> Result<Option<&str>, ServiceError> {
    let Some(policy) = policy else {
        return Ok(None);
    };
    match serde_json::from_str::<Value>(policy) {
        Ok(Value::Object(_)) => Ok(Some(policy)),
        _ => Err(ServiceError::new(
            "MalformedPolicyDocument",
            "Syntax errors in policy.",
        )),
    }
}

/// Session tags: keys are unique ignoring case, and transitive keys name given tags (AWS's
/// messages, recorded by LocalStack's `test_assume_role_tag_validation`).
fn check_tags(
    tags: Option<&[sts::Tag]>,
    transitive: Option<&[String]>,
) -> Result<(), ServiceError> {
    let keys: Vec<String> = tags
        .unwrap_or_default()
        .iter()
        .map(|t| t.key.to_lowercase())
        .collect();
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    if unique.len() < keys.len() {
        return Err(ServiceError::new(
            "InvalidParameterValue",
            "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        ));
    }
    let missing = transitive
        .unwrap_or_default()
        .iter()
        .any(|k| !keys.contains(&k.to_lowercase()));
    if missing {
        return Err(ServiceError::new(
            "InvalidParameterValue",
            "The specified transitive tag key must be included in the requested tags.",
        ));
    }
    Ok(())
}

/// PackedPolicySize (percent of the allotted space), returned when a session policy, managed
/// policy ARNs or session tags are passed. AWS packs them with an undisclosed compression;
/// this is an estimate: the policy without whitespace, the ARNs and the tags, against 2048
/// bytes.
fn packed_policy_size(
    policy: Option<&str>,
    policy_arns: Option<&[sts::PolicyDescriptorType]>,
    tags: Option<&[sts::Tag]>,
) -> Option<i32> {
    let arns: usize = policy_arns
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.arn.as_deref())
        .map(str::len)
        .sum();
    let has_arns = policy_arns.is_some_and(|a| a.iter().any(|p| p.arn.is_some()));
    let tags: usize = tags
        .unwrap_or_default()
        .iter()
        .map(|t| t.key.len() + t.value.len())
        .sum();
    if policy.is_none() && !has_arns && tags == 0 {
        return None;
    }
    let policy_bytes = policy.map_or(0, |p| {
        p.bytes().filter(|b| !b.is_ascii_whitespace()).count()
    });
    let bytes = policy_bytes + arns + tags;
    Some(clamp_i32((bytes * 100).div_ceil(2048).max(1)))
}

#[cfg(test)]
mod tests;
