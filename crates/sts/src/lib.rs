//! AWS STS: one function per operation.
//!
//! [`Sts::handle`] takes an operation name, its decoded input (keys = the STS model's member
//! names) and the caller's [`Identity`] (resolved by the server from the request's access key
//! with [`StsEngine::identity`]), checks the input with AWS's messages, and answers with the
//! output shape or a [`ServiceError`].
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

use ferrybridge_engine::sts::{
    CredentialKind, Identity, IssuedCredentials, StsEngine, MAX_MIN_TOKEN_BYTES,
};
use ferrybridge_protocol::{RequestContext, ServiceError, ServiceName};
use serde_json::{json, Map, Value};

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

    /// Runs one STS operation for `caller`.
    pub fn handle(
        &self,
        ctx: &RequestContext,
        caller: &Identity,
        operation: &str,
        input: Value,
    ) -> Result<Value, ServiceError> {
        ferrybridge_protocol::validate_input(ServiceName::Sts, operation, &input)
            .map_err(|m| ServiceError::new("ValidationError", m))?;
        let i = &input;
        match operation {
            "GetCallerIdentity" => Ok(get_caller_identity(caller)),
            "AssumeRole" => self.assume_role(ctx, caller, i),
            "AssumeRoleWithWebIdentity" => self.assume_role_with_web_identity(ctx, i),
            "AssumeRoleWithSAML" => self.assume_role_with_saml(ctx, i),
            "GetSessionToken" => self.get_session_token(caller, i),
            "GetFederationToken" => self.get_federation_token(caller, i),
            "GetAccessKeyInfo" => Ok(self.get_access_key_info(i)),
            "DecodeAuthorizationMessage" => decode_authorization_message(i),
            other => Err(ServiceError::new(
                "InvalidAction",
                format!("The action {other} is not valid for this web service."),
            )),
        }
    }

    fn assume_role(
        &self,
        ctx: &RequestContext,
        caller: &Identity,
        i: &Value,
    ) -> Result<Value, ServiceError> {
        let role = RoleArn::parse(str_member(i, "RoleArn"), &ctx.account_id)?;
        let session = str_member(i, "RoleSessionName");
        check_tags(i)?;
        let duration = duration(i, DEFAULT_ROLE_DURATION);
        if caller.kind == CredentialKind::AssumedRole && duration > ONE_HOUR {
            return Err(ServiceError::new(
                "ValidationError",
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            ));
        }
        let policy = policy_member(i)?;
        let identity = role.identity(session);
        let mut out = self.issue_role(identity, duration, i);
        insert_opt(&mut out, "PackedPolicySize", packed_policy_size(i, policy));
        if let Some(source) = i.get("SourceIdentity").filter(|v| v.is_string()) {
            out.insert("SourceIdentity".into(), source.clone());
        }
        Ok(Value::Object(out))
    }

    fn assume_role_with_web_identity(
        &self,
        ctx: &RequestContext,
        i: &Value,
    ) -> Result<Value, ServiceError> {
        let role = RoleArn::parse(str_member(i, "RoleArn"), &ctx.account_id)?;
        let session = str_member(i, "RoleSessionName");
        let policy = policy_member(i)?;
        let duration = duration(i, DEFAULT_ROLE_DURATION);
        let claims = web_identity::claims(str_member(i, "WebIdentityToken"));
        let mut out = self.issue_role(role.identity(session), duration, i);
        insert_opt(&mut out, "PackedPolicySize", packed_policy_size(i, policy));
        insert_opt(&mut out, "SubjectFromWebIdentityToken", claims.subject);
        insert_opt(&mut out, "Audience", claims.audience);
        let provider = i
            .get("ProviderId")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or(claims.issuer);
        insert_opt(&mut out, "Provider", provider);
        Ok(Value::Object(out))
    }

    fn assume_role_with_saml(
        &self,
        ctx: &RequestContext,
        i: &Value,
    ) -> Result<Value, ServiceError> {
        let role = RoleArn::parse(str_member(i, "RoleArn"), &ctx.account_id)?;
        let policy = policy_member(i)?;
        let assertion = saml::Assertion::read(str_member(i, "SAMLAssertion"));
        let duration = i
            .get("DurationSeconds")
            .and_then(Value::as_u64)
            .or(assertion.session_duration)
            .unwrap_or(DEFAULT_ROLE_DURATION);
        let session = assertion
            .session_name
            .clone()
            .or_else(|| assertion.subject.clone())
            .unwrap_or_else(|| "saml-session".to_owned());
        let mut out = self.issue_role(role.identity(&session), duration, i);
        insert_opt(&mut out, "PackedPolicySize", packed_policy_size(i, policy));
        let provider_name = str_member(i, "PrincipalArn")
            .rsplit('/')
            .next()
            .unwrap_or_default();
        let name_qualifier = assertion
            .issuer
            .as_deref()
            .map(|issuer| saml::name_qualifier(issuer, &role.account, provider_name));
        insert_opt(&mut out, "Subject", assertion.subject);
        insert_opt(&mut out, "SubjectType", assertion.subject_type);
        insert_opt(&mut out, "Issuer", assertion.issuer);
        insert_opt(&mut out, "Audience", assertion.audience);
        insert_opt(&mut out, "NameQualifier", name_qualifier);
        Ok(Value::Object(out))
    }

    fn get_session_token(&self, caller: &Identity, i: &Value) -> Result<Value, ServiceError> {
        if caller.kind.is_temporary() {
            return Err(ServiceError::new(
                "AccessDenied",
                "Cannot call GetSessionToken with session credentials",
            ));
        }
        // Every long-term key here is an account's root, whose sessions last at most an hour
        // (a longer DurationSeconds is cut to one hour, as on AWS).
        let duration = duration(i, DEFAULT_TOKEN_DURATION).min(ONE_HOUR);
        let identity = Identity {
            kind: CredentialKind::SessionToken,
            ..caller.clone()
        };
        Ok(Value::Object(self.issue(identity, duration, i)))
    }

    fn get_federation_token(&self, caller: &Identity, i: &Value) -> Result<Value, ServiceError> {
        if caller.kind.is_temporary() {
            return Err(ServiceError::new(
                "AccessDenied",
                "Cannot call GetFederationToken with session credentials",
            ));
        }
        let policy = policy_member(i)?;
        check_tags(i)?;
        let name = str_member(i, "Name");
        let duration = duration(i, DEFAULT_TOKEN_DURATION).min(ONE_HOUR);
        let identity = Identity::federated_user(&caller.account_id, name);
        let user = json!({ "FederatedUserId": identity.user_id, "Arn": identity.arn });
        let mut out = self.issue(identity, duration, i);
        out.insert("FederatedUser".into(), user);
        out.insert(
            "PackedPolicySize".into(),
            packed_policy_size(i, policy).unwrap_or(0).into(),
        );
        Ok(Value::Object(out))
    }

    fn get_access_key_info(&self, i: &Value) -> Value {
        let key = str_member(i, "AccessKeyId");
        let identity = self.engine.identity(key, &self.default_account);
        json!({ "Account": identity.account_id })
    }

    /// Credentials, with the size of their session token (padded to the request's
    /// `MinimumSessionTokenSize`): `SessionTokenSize` in bytes and `SessionTokenUtilization`,
    /// its percentage of the largest token (taken as 4096 bytes, the largest minimum STS
    /// accepts; AWS does not publish its own limit).
    fn issue(&self, identity: Identity, duration: u64, i: &Value) -> Map<String, Value> {
        let min_size = i
            .get("MinimumSessionTokenSize")
            .and_then(Value::as_u64)
            .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
        let creds = self.engine.issue(identity, duration, min_size);
        let size = creds.session_token.len();
        let mut out = Map::new();
        out.insert("Credentials".into(), credentials(&creds));
        out.insert("SessionTokenSize".into(), size.into());
        out.insert(
            "SessionTokenUtilization".into(),
            (size * 100).div_ceil(MAX_MIN_TOKEN_BYTES).min(100).into(),
        );
        out
    }

    /// Credentials and AssumedRoleUser for a role session.
    fn issue_role(&self, identity: Identity, duration: u64, i: &Value) -> Map<String, Value> {
        let user = json!({ "AssumedRoleId": identity.user_id, "Arn": identity.arn });
        let mut out = self.issue(identity, duration, i);
        out.insert("AssumedRoleUser".into(), user);
        out
    }
}

fn get_caller_identity(caller: &Identity) -> Value {
    json!({
        "UserId": caller.user_id,
        "Account": caller.account_id,
        "Arn": caller.arn,
    })
}

/// We never issue encoded authorization messages (nothing is ever denied); a message that is
/// base64 of a JSON document is handed back decoded, anything else is refused.
fn decode_authorization_message(i: &Value) -> Result<Value, ServiceError> {
    use base64::Engine as _;
    let encoded = str_member(i, "EncodedMessage");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(encoded))
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|text| serde_json::from_str::<Value>(text).is_ok_and(|v| v.is_object()));
    match decoded {
        Some(text) => Ok(json!({ "DecodedMessage": text })),
        None => Err(ServiceError::new(
            "InvalidAuthorizationMessageException",
            "The encoded authorization message is invalid.",
        )),
    }
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

fn str_member<'a>(i: &'a Value, name: &str) -> &'a str {
    i.get(name).and_then(Value::as_str).unwrap_or_default()
}

fn duration(i: &Value, default: u64) -> u64 {
    i.get("DurationSeconds")
        .and_then(Value::as_u64)
        .unwrap_or(default)
}

fn insert_opt<T: Into<Value>>(out: &mut Map<String, Value>, key: &str, value: Option<T>) {
    if let Some(v) = value {
        out.insert(key.to_owned(), v.into());
    }
}

fn credentials(creds: &IssuedCredentials) -> Value {
    json!({
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key,
        "SessionToken": creds.session_token,
        // Whole seconds, as AWS's Expiration.
        "Expiration": creds.expiration_ms / 1000,
    })
}

/// The session policy, which must be a JSON object.
fn policy_member(i: &Value) -> Result<Option<&str>, ServiceError> {
    let Some(policy) = i.get("Policy").and_then(Value::as_str) else {
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
fn check_tags(i: &Value) -> Result<(), ServiceError> {
    let keys: Vec<String> = i
        .get("Tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(|t| t.get("Key").and_then(Value::as_str))
                .map(str::to_lowercase)
                .collect()
        })
        .unwrap_or_default();
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    if unique.len() < keys.len() {
        return Err(ServiceError::new(
            "InvalidParameterValue",
            "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        ));
    }
    let transitive = i
        .get("TransitiveTagKeys")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let missing = transitive
        .iter()
        .filter_map(Value::as_str)
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
fn packed_policy_size(i: &Value, policy: Option<&str>) -> Option<u64> {
    let arns: Vec<&str> = i
        .get("PolicyArns")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| p.get("arn").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let tags: usize = i
        .get("Tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .map(|t| str_member(t, "Key").len() + str_member(t, "Value").len())
                .sum()
        })
        .unwrap_or(0);
    if policy.is_none() && arns.is_empty() && tags == 0 {
        return None;
    }
    let policy_bytes = policy.map_or(0, |p| {
        p.bytes().filter(|b| !b.is_ascii_whitespace()).count()
    });
    let bytes = policy_bytes + arns.iter().map(|a| a.len()).sum::<usize>() + tags;
    Some((bytes as u64 * 100).div_ceil(2048).max(1))
}

#[cfg(test)]
mod tests;
