use std::sync::Arc;
use std::time::Duration;

use ferrybridge_engine::clock::ManualClock;
use serde_json::json;

use super::*;

const START_MS: u64 = 1_700_000_000_000;

struct Fixture {
    clock: Arc<ManualClock>,
    sts: Sts,
    ctx: RequestContext,
}

fn fixture() -> Fixture {
    let clock = Arc::new(ManualClock::new(START_MS));
    let engine = Arc::new(StsEngine::new(clock.clone()));
    Fixture {
        clock,
        sts: Sts::new(engine, "000000000000"),
        ctx: RequestContext {
            account_id: "111111111111".into(),
            region: "us-east-1".into(),
            host: "localhost:4566".into(),
            request_id: "r".into(),
            caller_arn: "arn:aws:iam::111111111111:root".into(),
            trace_header: None,
        },
    }
}

impl Fixture {
    fn call(&self, caller: &Identity, op: &str, input: Value) -> Result<Value, ServiceError> {
        self.sts.handle(&self.ctx, caller, op, input)
    }

    fn who(&self, key: &str) -> Identity {
        self.sts.engine().identity(key, "000000000000")
    }
}

fn root() -> Identity {
    Identity::root("111111111111")
}

#[test]
fn caller_identity_of_root() {
    let f = fixture();
    let out = f.call(&root(), "GetCallerIdentity", json!({})).unwrap();
    assert_eq!(
        out,
        json!({"UserId": "111111111111", "Account": "111111111111", "Arn": "arn:aws:iam::111111111111:root"})
    );
}

#[test]
fn assume_role_issues_credentials_of_the_role_account() {
    let f = fixture();
    let out = f
        .call(
            &root(),
            "AssumeRole",
            json!({"RoleArn": "arn:aws:iam::222222222222:role/ops/deployer", "RoleSessionName": "ci-run"}),
        )
        .unwrap();
    let key = out["Credentials"]["AccessKeyId"].as_str().unwrap();
    assert!(key.starts_with("ASIA") && key.len() == 20);
    assert_eq!(
        out["Credentials"]["Expiration"].as_f64(),
        Some((START_MS / 1000 + 3600) as f64)
    );
    assert_eq!(
        out["AssumedRoleUser"]["Arn"],
        "arn:aws:sts::222222222222:assumed-role/deployer/ci-run"
    );
    assert!(out.get("PackedPolicySize").is_none());
    let size = out["Credentials"]["SessionToken"].as_str().unwrap().len();
    assert_eq!(out["SessionTokenSize"], json!(size));
    assert_eq!(
        out["SessionTokenUtilization"],
        json!((size * 100).div_ceil(4096))
    );
    let padded = f
        .call(
            &root(),
            "AssumeRole",
            json!({"RoleArn": "arn:aws:iam::222222222222:role/r", "RoleSessionName": "s2", "MinimumSessionTokenSize": 4096}),
        )
        .unwrap();
    assert_eq!(padded["SessionTokenSize"], json!(4096));
    assert_eq!(padded["SessionTokenUtilization"], json!(100));
    let who = f.who(key);
    assert_eq!(who.account_id, "222222222222");
    assert_eq!(who.user_id, out["AssumedRoleUser"]["AssumedRoleId"]);
    f.clock.advance(Duration::from_secs(3600));
    assert_eq!(f.who(key).account_id, "000000000000");
}

#[test]
fn assume_role_validation_in_aws_order() {
    let f = fixture();
    let err = |input: Value| f.call(&root(), "AssumeRole", input).unwrap_err();
    // source: LocalStack test_sts_invalid_parameters (recorded against AWS 2025-07-21).
    for arn in [
        "nothing-valid-in-here",
        "arn::b:::something/test-role",
        "arn:a::::something/test-role",
        "arn:a:::something/test-role",
        "arn:a:a::aaaaaaaaaa:",
    ] {
        let e = err(json!({"RoleArn": arn, "RoleSessionName": "Session1"}));
        assert_eq!(
            e,
            ServiceError::new("ValidationError", format!("{arn} is invalid"))
        );
    }
    let e =
        err(json!({"RoleArn": "arn:a:b:::something/test-role", "RoleSessionName": "Session1:2"}));
    assert_eq!(e.code, "ValidationError");
    assert_eq!(e.message, "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*");
    // source: LocalStack test_assume_role_session_name_too_long (recorded 2026-02-09).
    let long = "s".repeat(65);
    let e = err(json!({"RoleArn": "arn:aws:iam::111111111111:role/r", "RoleSessionName": long}));
    assert_eq!(e.message, format!("1 validation error detected: Value '{long}' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64"));
    let e = err(
        json!({"RoleArn": "arn:aws:iam::111111111111:role/r", "RoleSessionName": "s", "DurationSeconds": 100}),
    );
    assert_eq!(e.message, "2 validation errors detected: Value 's' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2; Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900");
    // An empty ARN fails the pattern first, then the length (aws-runas issue #80).
    let e = err(json!({"RoleArn": "", "RoleSessionName": "ss"}));
    assert_eq!(e.message, "2 validation errors detected: Value '' at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+; Value '' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20");
    let e = err(
        json!({"RoleArn": "arn:aws:iam::111111111111:role/r", "RoleSessionName": "ss", "DurationSeconds": 43201}),
    );
    assert_eq!(e.message, "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200");
}

#[test]
fn role_chaining_is_limited_to_an_hour() {
    let f = fixture();
    let out = f
        .call(
            &root(),
            "AssumeRole",
            json!({"RoleArn": "arn:aws:iam::222222222222:role/a", "RoleSessionName": "one"}),
        )
        .unwrap();
    let chained = f.who(out["Credentials"]["AccessKeyId"].as_str().unwrap());
    let e = f
        .call(&chained, "AssumeRole", json!({"RoleArn": "arn:aws:iam::333333333333:role/b", "RoleSessionName": "two", "DurationSeconds": 3601}))
        .unwrap_err();
    assert_eq!(e.message, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
    let out = f
        .call(
            &chained,
            "AssumeRole",
            json!({"RoleArn": "arn:aws:iam::333333333333:role/b", "RoleSessionName": "two"}),
        )
        .unwrap();
    assert_eq!(
        f.who(out["Credentials"]["AccessKeyId"].as_str().unwrap())
            .account_id,
        "333333333333"
    );
    // Session credentials cannot get a session token or federation token.
    let e = f.call(&chained, "GetSessionToken", json!({})).unwrap_err();
    assert_eq!(
        e,
        ServiceError::new(
            "AccessDenied",
            "Cannot call GetSessionToken with session credentials"
        )
    );
    let e = f
        .call(&chained, "GetFederationToken", json!({"Name": "bob"}))
        .unwrap_err();
    assert_eq!(e.code, "AccessDenied");
}

#[test]
fn session_and_federation_tokens() {
    let f = fixture();
    let out = f
        .call(
            &root(),
            "GetSessionToken",
            json!({"DurationSeconds": 129600}),
        )
        .unwrap();
    assert_eq!(
        out["Credentials"]["Expiration"].as_f64(),
        Some((START_MS / 1000 + 3600) as f64),
        "root sessions last an hour"
    );
    let who = f.who(out["Credentials"]["AccessKeyId"].as_str().unwrap());
    assert_eq!(who.arn, "arn:aws:iam::111111111111:root");
    assert_eq!(who.kind, CredentialKind::SessionToken);
    let e = f
        .call(
            &root(),
            "GetSessionToken",
            json!({"DurationSeconds": 129601}),
        )
        .unwrap_err();
    assert_eq!(e.message, "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600");

    let out = f
        .call(&root(), "GetFederationToken", json!({"Name": "bob"}))
        .unwrap();
    assert_eq!(
        out["FederatedUser"],
        json!({"FederatedUserId": "111111111111:bob", "Arn": "arn:aws:sts::111111111111:federated-user/bob"})
    );
    assert_eq!(out["PackedPolicySize"], 0);
    let who = f.who(out["Credentials"]["AccessKeyId"].as_str().unwrap());
    assert_eq!(who.arn, "arn:aws:sts::111111111111:federated-user/bob");
    let out = f
        .call(
            &root(),
            "GetFederationToken",
            json!({"Name": "bob", "Policy": "{\"Version\": \"2012-10-17\"}"}),
        )
        .unwrap();
    assert!(out["PackedPolicySize"].as_u64().unwrap() > 0);
    let e = f
        .call(
            &root(),
            "GetFederationToken",
            json!({"Name": "bob", "Policy": "nope"}),
        )
        .unwrap_err();
    assert_eq!(e.code, "MalformedPolicyDocument");
}

#[test]
fn web_identity_reports_the_token_claims() {
    use base64::Engine as _;
    let f = fixture();
    let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let token = format!(
        "{}.{}.sig",
        b64(json!({"alg": "RS256"})),
        b64(
            json!({"sub": "repo:org/app:ref:refs/heads/main", "aud": ["sts.amazonaws.com"], "iss": "https://token.actions.githubusercontent.com"})
        )
    );
    let out = f
        .call(&root(), "AssumeRoleWithWebIdentity", json!({"RoleArn": "arn:aws:iam::444444444444:role/gha", "RoleSessionName": "gh", "WebIdentityToken": token}))
        .unwrap();
    assert_eq!(
        out["SubjectFromWebIdentityToken"],
        "repo:org/app:ref:refs/heads/main"
    );
    assert_eq!(out["Audience"], "sts.amazonaws.com");
    assert_eq!(
        out["Provider"],
        "https://token.actions.githubusercontent.com"
    );
    assert_eq!(
        out["AssumedRoleUser"]["Arn"],
        "arn:aws:sts::444444444444:assumed-role/gha/gh"
    );
    let out = f
        .call(&root(), "AssumeRoleWithWebIdentity", json!({"RoleArn": "arn:aws:iam::444444444444:role/gha", "RoleSessionName": "gh", "WebIdentityToken": "opaque-token"}))
        .unwrap();
    assert!(out.get("SubjectFromWebIdentityToken").is_none());
    let e = f
        .call(&root(), "AssumeRoleWithWebIdentity", json!({"RoleArn": "arn:aws:iam::444444444444:role/gha", "RoleSessionName": "gh", "WebIdentityToken": "abc"}))
        .unwrap_err();
    // The token is sensitive: its value is left out of the message.
    assert_eq!(e.message, "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4");
}

#[test]
fn access_key_info_and_decode() {
    let f = fixture();
    let out = f
        .call(
            &root(),
            "GetAccessKeyInfo",
            json!({"AccessKeyId": "AKIAIOSFODNN7EXAMPLE"}),
        )
        .unwrap();
    assert_eq!(out, json!({"Account": "000000000000"}));
    let out = f
        .call(
            &root(),
            "GetAccessKeyInfo",
            json!({"AccessKeyId": "555555555555AAAA"}),
        )
        .unwrap();
    assert_eq!(out, json!({"Account": "000000000000"}));
    let e = f
        .call(
            &root(),
            "DecodeAuthorizationMessage",
            json!({"EncodedMessage": "garbage"}),
        )
        .unwrap_err();
    assert_eq!(e.code, "InvalidAuthorizationMessageException");
    let out = f
        .call(
            &root(),
            "DecodeAuthorizationMessage",
            json!({"EncodedMessage": "eyJhbGxvd2VkIjpmYWxzZX0="}),
        )
        .unwrap();
    assert_eq!(out, json!({"DecodedMessage": "{\"allowed\":false}"}));
}
