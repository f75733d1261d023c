//! AWS STS through the real aws-sdk-sts, and the account rule seen by every service: keys
//! from AssumeRole act as the role's account on SQS, SNS and EventBridge.

use aws_credential_types::Credentials;
use aws_sdk_sts::error::ProvideErrorMetadata;
use ferrybridge_tests::{events_client, sns_client, sqs_client, Emulator};

fn sts_client(endpoint: &str, creds: Credentials, region: &str) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_sdk_sts::config::Region::new(region.to_owned()))
        .credentials_provider(creds)
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

fn long_term(key: &str) -> Credentials {
    Credentials::new(key, "test", None, None, "test")
}

fn temporary(c: &aws_sdk_sts::types::Credentials) -> Credentials {
    Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        None,
        "sts",
    )
}

#[tokio::test]
async fn caller_identity_follows_the_access_key_in_global_and_regional_form() {
    let emu = Emulator::start().await;
    let url = emu.endpoint_url();
    for region in ["us-east-1", "eu-west-3"] {
        let out = sts_client(&url, long_term("test"), region)
            .get_caller_identity()
            .send()
            .await
            .expect("GetCallerIdentity");
        assert_eq!(out.account(), Some("000000000000"));
        assert_eq!(out.user_id(), Some("000000000000"));
        assert_eq!(out.arn(), Some("arn:aws:iam::000000000000:root"));
    }
    let out = sts_client(&url, long_term("111122223333"), "us-east-1")
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(out.arn(), Some("arn:aws:iam::111122223333:root"));
}

#[tokio::test]
async fn assumed_role_credentials_act_in_the_role_account_on_every_service() {
    let emu = Emulator::start().await;
    let url = emu.endpoint_url();
    let sts = sts_client(&url, long_term("test"), "us-east-1");
    let out = sts
        .assume_role()
        .role_arn("arn:aws:iam::222233334444:role/app/deployer")
        .role_session_name("ci-run-1")
        .duration_seconds(900)
        .send()
        .await
        .expect("AssumeRole");
    let creds = out.credentials().expect("Credentials");
    assert!(creds.access_key_id().starts_with("ASIA"));
    assert_eq!(creds.access_key_id().len(), 20);
    assert_eq!(creds.secret_access_key().len(), 40);
    assert!(!creds.session_token().is_empty());
    let left = creds.expiration().secs()
        - std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
    assert!((890..=901).contains(&left), "expires in 900 s, got {left}");
    let user = out.assumed_role_user().expect("AssumedRoleUser");
    assert_eq!(
        user.arn(),
        "arn:aws:sts::222233334444:assumed-role/deployer/ci-run-1"
    );
    assert!(user.assumed_role_id().starts_with("AROA"));
    assert!(user.assumed_role_id().ends_with(":ci-run-1"));
    #[allow(deprecated)] // deprecated by the 2026 model in favour of SessionTokenUtilization
    let packed = out.packed_policy_size();
    assert_eq!(packed, None, "no session policy nor tags");
    assert_eq!(
        out.session_token_size(),
        Some(creds.session_token().len() as i32)
    );

    let as_role = sts_client(&url, temporary(creds), "us-east-1");
    let me = as_role.get_caller_identity().send().await.unwrap();
    assert_eq!(me.account(), Some("222233334444"));
    assert_eq!(me.arn(), Some(user.arn()));
    assert_eq!(me.user_id(), Some(user.assumed_role_id()));

    // SQS: the queue lands in the role's account; the default account does not see it.
    let sqs_config = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .endpoint_url(&url)
        .region(aws_sdk_sqs::config::Region::new("us-east-1"))
        .credentials_provider(temporary(creds))
        .build();
    let sqs = aws_sdk_sqs::Client::from_conf(sqs_config);
    let queue_url = sqs
        .create_queue()
        .queue_name("role-queue")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    assert!(
        queue_url.ends_with("/222233334444/role-queue"),
        "{queue_url}"
    );
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        attrs.attributes().unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn],
        "arn:aws:sqs:us-east-1:222233334444:role-queue"
    );
    let mine = sqs.list_queues().send().await.unwrap();
    assert_eq!(mine.queue_urls(), std::slice::from_ref(&queue_url));
    let default = sqs_client(&url, "test", "us-east-1")
        .list_queues()
        .send()
        .await
        .unwrap();
    assert!(
        default.queue_urls().is_empty(),
        "{:?}",
        default.queue_urls()
    );
    let owner = sqs_client(&url, "222233334444", "us-east-1")
        .list_queues()
        .send()
        .await
        .unwrap();
    assert_eq!(owner.queue_urls(), [queue_url]);

    // SNS and EventBridge: same account, seen by the account's own long-term key.
    let sns_config = aws_sdk_sns::Config::builder()
        .behavior_version(aws_sdk_sns::config::BehaviorVersion::latest())
        .endpoint_url(&url)
        .region(aws_sdk_sns::config::Region::new("us-east-1"))
        .credentials_provider(temporary(creds))
        .build();
    let topic = aws_sdk_sns::Client::from_conf(sns_config)
        .create_topic()
        .name("role-topic")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    assert_eq!(topic, "arn:aws:sns:us-east-1:222233334444:role-topic");
    let topics = sns_client(&url, "222233334444", "us-east-1")
        .list_topics()
        .send()
        .await
        .unwrap();
    assert_eq!(topics.topics().len(), 1);
    let events_config = aws_sdk_eventbridge::Config::builder()
        .behavior_version(aws_sdk_eventbridge::config::BehaviorVersion::latest())
        .endpoint_url(&url)
        .region(aws_sdk_eventbridge::config::Region::new("us-east-1"))
        .credentials_provider(temporary(creds))
        .build();
    let bus = aws_sdk_eventbridge::Client::from_conf(events_config)
        .create_event_bus()
        .name("role-bus")
        .send()
        .await
        .unwrap()
        .event_bus_arn
        .unwrap();
    assert_eq!(
        bus,
        "arn:aws:events:us-east-1:222233334444:event-bus/role-bus"
    );
    let default_buses = events_client(&url, "test", "us-east-1")
        .list_event_buses()
        .send()
        .await
        .unwrap();
    assert!(default_buses
        .event_buses()
        .iter()
        .all(|b| b.name() != Some("role-bus")));
}

#[tokio::test]
async fn expired_temporary_credentials_are_refused_with_expired_token() {
    let emu = Emulator::start_with_manual_clock().await;
    let url = emu.endpoint_url();
    let out = sts_client(&url, long_term("test"), "us-east-1")
        .assume_role()
        .role_arn("arn:aws:iam::222233334444:role/r")
        .role_session_name("short")
        .duration_seconds(900)
        .send()
        .await
        .unwrap();
    let as_role = sts_client(&url, temporary(out.credentials().unwrap()), "us-east-1");
    let me = as_role.get_caller_identity().send().await.unwrap();
    assert_eq!(me.account(), Some("222233334444"));
    emu.advance(std::time::Duration::from_secs(900));
    // As on AWS (the signature is verified, tests/rust/sigv4.rs): expired, not another account.
    let err = as_role.get_caller_identity().send().await.unwrap_err();
    assert_eq!(err.code(), Some("ExpiredToken"));
    assert_eq!(
        err.message(),
        Some("The security token included in the request is expired")
    );
}

#[tokio::test]
async fn session_federation_and_web_identity_tokens() {
    let emu = Emulator::start().await;
    let url = emu.endpoint_url();
    let sts = sts_client(&url, long_term("333344445555"), "us-east-1");

    let out = sts.get_session_token().send().await.unwrap();
    let session = sts_client(&url, temporary(out.credentials().unwrap()), "us-east-1");
    let me = session.get_caller_identity().send().await.unwrap();
    assert_eq!(me.arn(), Some("arn:aws:iam::333344445555:root"));
    let err = session.get_session_token().send().await.unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
    assert_eq!(
        err.message(),
        Some("Cannot call GetSessionToken with session credentials")
    );

    let out = sts
        .get_federation_token()
        .name("alice")
        .send()
        .await
        .unwrap();
    let user = out.federated_user().unwrap();
    assert_eq!(user.arn(), "arn:aws:sts::333344445555:federated-user/alice");
    assert_eq!(user.federated_user_id(), "333344445555:alice");
    #[allow(deprecated)]
    let packed = out.packed_policy_size();
    assert_eq!(packed, Some(0));
    let fed = sts_client(&url, temporary(out.credentials().unwrap()), "us-east-1");
    let me = fed.get_caller_identity().send().await.unwrap();
    assert_eq!(me.arn(), Some(user.arn()));

    // The SDK sends AssumeRoleWithWebIdentity unsigned; any token is accepted.
    let out = sts
        .assume_role_with_web_identity()
        .role_arn("arn:aws:iam::444455556666:role/ci")
        .role_session_name("gha")
        .web_identity_token("any-opaque-token")
        .send()
        .await
        .expect("AssumeRoleWithWebIdentity");
    assert_eq!(
        out.assumed_role_user().unwrap().arn(),
        "arn:aws:sts::444455556666:assumed-role/ci/gha"
    );
    let info = sts
        .get_access_key_info()
        .access_key_id(out.credentials().unwrap().access_key_id())
        .send()
        .await
        .unwrap();
    assert_eq!(info.account(), Some("444455556666"));
}

#[tokio::test]
async fn invalid_input_gets_aws_errors() {
    let emu = Emulator::start().await;
    let sts = sts_client(&emu.endpoint_url(), long_term("test"), "us-east-1");
    // source: LocalStack test_sts_invalid_parameters, recorded against AWS 2025-07-21.
    let err = sts
        .assume_role()
        .role_arn("nothing-valid-in-here")
        .role_session_name("Session1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationError"));
    assert_eq!(err.message(), Some("nothing-valid-in-here is invalid"));
    let raw = err.raw_response().unwrap();
    assert_eq!(raw.status().as_u16(), 400);

    let err = sts
        .assume_role()
        .role_arn("arn:aws:iam::111111111111:role/r")
        .role_session_name("Session1:2")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationError"));
    assert_eq!(
        err.message(),
        Some("1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*")
    );

    let err = sts
        .assume_role()
        .role_arn("arn:aws:iam::111111111111:role/r")
        .role_session_name("s1")
        .duration_seconds(899)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationError"));
    assert_eq!(
        err.message(),
        Some("1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900")
    );

    let err = sts
        .get_session_token()
        .duration_seconds(129_601)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.message(),
        Some("1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600")
    );
}
