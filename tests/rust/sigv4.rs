//! SigV4 verification (`--verify-signatures`, `--credentials-map`) through the real
//! aws-sdk-sqs, aws-sdk-sns, aws-sdk-eventbridge and aws-sdk-sts, and presigned URLs made by
//! aws-sigv4 (the signer those SDKs use).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sdk_sqs::error::ProvideErrorMetadata;
use ferrybridge_engine::clock::{Clock, ManualClock, SystemClock};
use ferrybridge_server::config::VerifySignatures;
use ferrybridge_server::{start_with_clock, Config, RunningServer};

const KEY: &str = "AKIAFERRYBRIDGE00001";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzzSECRET1";
const ACCOUNT: &str = "111122223333";
const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const INVALID_TOKEN: &str = "The security token included in the request is invalid.";

async fn start(config: Config, clock: Arc<dyn Clock>) -> RunningServer {
    ferrybridge_tests::watch_for_deadlocks();
    start_with_clock(config, clock)
        .await
        .expect("the emulator starts")
}

/// The client's (system) time, in milliseconds since the epoch.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn with_credentials() -> Config {
    let mut config = Config::ephemeral();
    config.credentials_map = Some(format!("{KEY}={SECRET}:{ACCOUNT}"));
    config
}

fn creds(key: &str, secret: &str, token: Option<&str>) -> Credentials {
    Credentials::new(key, secret, token.map(str::to_owned), None, "sigv4-test")
}

fn sqs(endpoint: &str, creds: Credentials) -> aws_sdk_sqs::Client {
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_sdk_sqs::config::Region::new("us-east-1"))
        .credentials_provider(creds)
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

fn sns(endpoint: &str, creds: Credentials) -> aws_sdk_sns::Client {
    let config = aws_sdk_sns::Config::builder()
        .behavior_version(aws_sdk_sns::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_sdk_sns::config::Region::new("eu-west-1"))
        .credentials_provider(creds)
        .build();
    aws_sdk_sns::Client::from_conf(config)
}

fn events(endpoint: &str, creds: Credentials) -> aws_sdk_eventbridge::Client {
    let config = aws_sdk_eventbridge::Config::builder()
        .behavior_version(aws_sdk_eventbridge::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_sdk_eventbridge::config::Region::new("us-east-1"))
        .credentials_provider(creds)
        .build();
    aws_sdk_eventbridge::Client::from_conf(config)
}

fn sts(endpoint: &str, creds: Credentials) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_sdk_sts::config::Region::new("us-east-1"))
        .credentials_provider(creds)
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

/// The code, message and HTTP status of an SDK error.
fn failure<E, R>(err: aws_sdk_sqs::error::SdkError<E, R>) -> (String, String, u16)
where
    E: ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug + HttpStatus,
{
    let status = err.raw_response().map_or(0, HttpStatus::status);
    let meta = match &err {
        aws_sdk_sqs::error::SdkError::ServiceError(e) => e.err(),
        other => panic!("expected a service error, got {other:?}"),
    };
    (
        meta.code().unwrap_or("").to_owned(),
        meta.message().unwrap_or("").to_owned(),
        status,
    )
}

trait HttpStatus {
    fn status(&self) -> u16;
}

impl HttpStatus for aws_sdk_sqs::config::http::HttpResponse {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}

#[tokio::test]
async fn right_secrets_pass_and_wrong_secrets_are_refused_on_every_service() {
    let server = start(with_credentials(), Arc::new(SystemClock)).await;
    let url = server.endpoint_url();
    let right = creds(KEY, SECRET, None);
    let wrong = creds(KEY, "not-the-secret", None);

    // SQS (JSON 1.0, awsQueryCompatible: the Query codes).
    let made = sqs(&url, right.clone())
        .create_queue()
        .queue_name("signed")
        .send()
        .await
        .expect("the right secret is accepted");
    assert!(
        made.queue_url()
            .unwrap()
            .contains(&format!("/{ACCOUNT}/signed")),
        "the configured key acts in its account: {:?}",
        made.queue_url()
    );
    let err = sqs(&url, wrong.clone())
        .list_queues()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        failure(err),
        ("SignatureDoesNotMatch".into(), MISMATCH.into(), 403)
    );
    let err = sqs(&url, creds("AKIAUNKNOWN000000000", SECRET, None))
        .list_queues()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        failure(err),
        ("InvalidClientTokenId".into(), INVALID_TOKEN.into(), 403)
    );

    // SNS (Query XML).
    sns(&url, right.clone())
        .create_topic()
        .name("signed")
        .send()
        .await
        .expect("the right secret is accepted");
    let err = sns(&url, wrong.clone())
        .list_topics()
        .send()
        .await
        .unwrap_err();
    let (code, message, status) = failure(err);
    assert_eq!(
        (code.as_str(), message.as_str(), status),
        ("SignatureDoesNotMatch", MISMATCH, 403)
    );

    // EventBridge (JSON 1.1).
    events(&url, right.clone())
        .list_event_buses()
        .send()
        .await
        .expect("the right secret is accepted");
    let err = events(&url, wrong.clone())
        .list_event_buses()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        failure(err),
        ("InvalidSignatureException".into(), MISMATCH.into(), 400)
    );
    let err = events(&url, creds("AKIAUNKNOWN000000000", SECRET, None))
        .list_event_buses()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        failure(err),
        (
            "UnrecognizedClientException".into(),
            INVALID_TOKEN.into(),
            400
        )
    );

    // The test credentials stay accepted without verification (`auto`).
    for key in ["test", "000000000000"] {
        sqs(&url, creds(key, "anything", None))
            .list_queues()
            .send()
            .await
            .expect("the test credentials are not verified");
    }
}

#[tokio::test]
async fn forced_on_verifies_the_test_credentials_against_the_secret_test() {
    let mut config = Config::ephemeral();
    config.verify_signatures = VerifySignatures::On;
    let server = start(config, Arc::new(SystemClock)).await;
    let url = server.endpoint_url();
    sqs(&url, creds("test", "test", None))
        .list_queues()
        .send()
        .await
        .expect("test/test is right");
    let err = sqs(&url, creds("000000000000", "other", None))
        .list_queues()
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(err).0, "SignatureDoesNotMatch");
    let err = sns(&url, creds("AKIAEXAMPLE", "test", None))
        .list_topics()
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(err).0, "InvalidClientTokenId");
}

#[tokio::test]
async fn off_checks_nothing_and_no_flags_change_nothing_for_unknown_keys() {
    let mut config = with_credentials();
    config.verify_signatures = VerifySignatures::Off;
    let server = start(config, Arc::new(SystemClock)).await;
    sqs(&server.endpoint_url(), creds(KEY, "wrong", None))
        .list_queues()
        .send()
        .await
        .expect("off: nothing is verified");

    let server = start(Config::ephemeral(), Arc::new(SystemClock)).await;
    sqs(
        &server.endpoint_url(),
        creds("AKIAIOSFODNN7EXAMPLE", "whatever", None),
    )
    .list_queues()
    .send()
    .await
    .expect("no credentials source: unknown keys act as before");
}

#[tokio::test]
async fn sts_issued_credentials_are_verified_with_their_session_token_and_expiry() {
    // No flags: STS-issued keys are verified anyway (the client holds their secret).
    let clock = Arc::new(ManualClock::new(now_ms()));
    let server = start(Config::ephemeral(), clock.clone()).await;
    let url = server.endpoint_url();
    let out = sts(&url, creds("test", "test", None))
        .assume_role()
        .role_arn("arn:aws:iam::222233334444:role/worker")
        .role_session_name("sigv4")
        .duration_seconds(900)
        .send()
        .await
        .expect("AssumeRole");
    let c = out.credentials().expect("credentials");
    let temporary = creds(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
    );

    let made = sqs(&url, temporary.clone())
        .create_queue()
        .queue_name("as-role")
        .send()
        .await
        .expect("the issued secret and token are accepted");
    assert!(made.queue_url().unwrap().contains("/222233334444/as-role"));
    sns(&url, temporary.clone())
        .list_topics()
        .send()
        .await
        .expect("SNS accepts them");
    events(&url, temporary.clone())
        .list_event_buses()
        .send()
        .await
        .expect("EventBridge accepts them");

    let err = sqs(
        &url,
        creds(c.access_key_id(), "wrong-secret", Some(c.session_token())),
    )
    .list_queues()
    .send()
    .await
    .unwrap_err();
    assert_eq!(failure(err).0, "SignatureDoesNotMatch");
    let err = sqs(&url, creds(c.access_key_id(), c.secret_access_key(), None))
        .list_queues()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        failure(err),
        ("InvalidClientTokenId".into(), INVALID_TOKEN.into(), 403)
    );
    let err = sns(
        &url,
        creds(
            c.access_key_id(),
            c.secret_access_key(),
            Some("forged-token"),
        ),
    )
    .list_topics()
    .send()
    .await
    .unwrap_err();
    assert_eq!(failure(err).0, "InvalidClientTokenId");

    clock.advance(Duration::from_secs(901));
    let err = sqs(&url, temporary.clone())
        .list_queues()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        failure(err),
        (
            "ExpiredToken".into(),
            "The security token included in the request is expired".into(),
            403
        )
    );
    let err = events(&url, temporary)
        .list_event_buses()
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(err).0, "ExpiredTokenException");
}

/// A presigned `GET` of an SQS Query action, signed by aws-sigv4 at `time`.
fn presign(endpoint: &str, query: &str, secret: &str, time: SystemTime, expires: u64) -> String {
    use aws_sigv4::http_request::{
        sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    };
    let identity = Credentials::new(KEY, secret, None, None, "presign").into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(expires));
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("sqs")
        .time(time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let url = format!("{endpoint}/?{query}");
    let host = endpoint.trim_start_matches("http://").to_owned();
    let request = SignableRequest::new(
        "GET",
        &url,
        std::iter::once(("host", host.as_str())),
        SignableBody::Bytes(&[]),
    )
    .unwrap();
    let (instructions, _) = sign(request, &params).unwrap().into_parts();
    let mut req = http::Request::builder().uri(&url).body(()).unwrap();
    instructions.apply_to_request_http1x(&mut req);
    req.uri().path_and_query().unwrap().to_string()
}

#[tokio::test]
async fn presigned_urls_are_verified_forged_ones_refused_and_they_expire() {
    let start_ms = now_ms() / 1000 * 1000;
    let clock = Arc::new(ManualClock::new(start_ms));
    let server = start(with_credentials(), clock.clone()).await;
    let url = server.endpoint_url();
    let at = SystemTime::UNIX_EPOCH + Duration::from_millis(start_ms);
    let query = "Action=ListQueues&Version=2012-11-05";

    let valid = presign(&url, query, SECRET, at, 60);
    let (status, body) = ferrybridge_tests::http_request(&url, "GET", &valid).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("ListQueuesResponse"), "{body}");

    // Forged: another action under the same signature, and a signature made with another
    // secret.
    let forged = valid.replace("Action=ListQueues", "Action=CreateQueue&QueueName=evil");
    let (status, body) = ferrybridge_tests::http_request(&url, "GET", &forged).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("<Code>SignatureDoesNotMatch</Code>"),
        "{body}"
    );
    let other_secret = presign(&url, query, "not-the-secret", at, 60);
    let (status, body) = ferrybridge_tests::http_request(&url, "GET", &other_secret).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains(MISMATCH), "{body}");

    // Within X-Amz-Expires it still works; past it, it has expired.
    clock.advance(Duration::from_secs(60));
    let (status, _) = ferrybridge_tests::http_request(&url, "GET", &valid).await;
    assert_eq!(status, 200);
    clock.advance(Duration::from_secs(1));
    let (status, body) = ferrybridge_tests::http_request(&url, "GET", &valid).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("<Code>RequestExpired</Code>"), "{body}");
    assert!(body.contains("Request has expired."), "{body}");
}

#[tokio::test]
async fn a_request_signed_outside_the_15_minute_window_is_refused() {
    let now_ms = now_ms();
    // The emulator's clock is 16 minutes ahead of the client's.
    let clock = Arc::new(ManualClock::new(now_ms + 16 * 60 * 1000));
    let server = start(with_credentials(), clock).await;
    let url = server.endpoint_url();
    // A presigned-free check with a raw request: sign at the client's time, header form.
    let signed = presign(
        &url,
        "Action=ListQueues&Version=2012-11-05",
        SECRET,
        SystemTime::UNIX_EPOCH + Duration::from_millis(now_ms),
        3600,
    );
    let (status, _) = ferrybridge_tests::http_request(&url, "GET", &signed).await;
    assert_eq!(
        status, 200,
        "a presigned URL lives for X-Amz-Expires, not 15 minutes"
    );
    // The SDK signs with its own (system) time in the Authorization header; its first
    // attempt is 16 minutes late. (The Rust SDK corrects its skew from the `Date` of the
    // answer, so a retry would succeed: AWS's `Date` is AWS's time, and so is ours.)
    let err = sns(&url, creds(KEY, SECRET, None))
        .list_topics()
        .customize()
        .config_override(
            aws_sdk_sns::config::Config::builder()
                .retry_config(aws_sdk_sns::config::retry::RetryConfig::disabled()),
        )
        .send()
        .await
        .unwrap_err();
    let (code, message, status) = failure(err);
    assert_eq!((code.as_str(), status), ("SignatureDoesNotMatch", 403));
    assert!(
        message.starts_with("Signature expired: ")
            && message.contains(" is now earlier than ")
            && message.ends_with(" - 15 min.)"),
        "{message}"
    );
}

#[tokio::test]
async fn answers_carry_the_emulators_clock_in_date_and_the_sdk_corrects_its_skew_from_it() {
    let now_ms = now_ms();
    // The emulator's clock is 16 minutes ahead of the client's, on a whole second.
    let start_ms = (now_ms + 16 * 60 * 1000) / 1000 * 1000;
    let clock = Arc::new(ManualClock::new(start_ms));
    let server = start(with_credentials(), clock.clone()).await;
    let url = server.endpoint_url();
    let http_date = |ms: u64| {
        aws_sdk_sqs::primitives::DateTime::from_millis(ms as i64)
            .fmt(aws_sdk_sqs::primitives::DateTimeFormat::HttpDate)
            .unwrap()
    };
    let date = || async {
        // An AWS request (unsigned: refused, and the refusal is dated too).
        let query = "/?Action=ListQueues&Version=2012-11-05";
        ferrybridge_tests::http_response_header(&url, "GET", query, &[], "date")
            .await
            .expect("a Date header")
    };
    // `Date` follows the emulator's clock from second to second (each worker thread keeps
    // the text of the current second: a stale one would show here).
    assert_eq!(date().await, http_date(start_ms));
    clock.advance(Duration::from_millis(999));
    assert_eq!(date().await, http_date(start_ms));
    clock.advance(Duration::from_millis(1));
    assert_eq!(date().await, http_date(start_ms + 1000));
    clock.advance(Duration::from_secs(3600));
    assert_eq!(date().await, http_date(start_ms + 3_601_000));

    // The SDK signs its first attempt with its own time, 16 minutes late for the emulator
    // (and refused, see the test above); it reads the emulator's time from that answer's
    // `Date`, and its retry, signed at the corrected time, succeeds.
    clock.set(start_ms);
    let topics = sns(&url, creds(KEY, SECRET, None))
        .list_topics()
        .send()
        .await
        .expect("the retry signed at the emulator's time succeeds");
    assert!(topics.topics().is_empty());
}
