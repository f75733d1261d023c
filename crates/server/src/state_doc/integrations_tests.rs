//! The state document's integrations (connections, API destinations, platform applications
//! and endpoints, SMS attributes) through whole exports and imports. A child of `state_doc`,
//! so that `state_doc_integrations` never has to import `state_doc` back (no module circle).

use std::sync::Arc;

use ferrybridge_engine::clock::ManualClock;
use ferrybridge_engine::events::connection::ConnectionState;

use ferrybridge_events::Events;
use ferrybridge_sns::Sns;
use serde_json::{json, Value};

use crate::state_doc_integrations::ctx;
use crate::state_doc_integrations::*;

const A: &str = "000000000000";
const R: &str = "us-east-1";

/// Services over fresh engines, with no background OAuth authorization.
fn services() -> (Sns, Events) {
    super::scratch_services(Arc::new(ManualClock::default()))
}

/// Connections, an API destination and a rule targeting it, an application with an
/// endpoint subscribed to a topic: a document as a server exported it.
async fn exported() -> Value {
    let (sns, events) = services();
    let c = ctx(A, R);
    let conn = events
        .handle(
            &c,
            "CreateConnection",
            json!({"Name": "k", "AuthorizationType": "API_KEY", "AuthParameters": {
                "ApiKeyAuthParameters": {"ApiKeyName": "x-key", "ApiKeyValue": "v1"},
                "InvocationHttpParameters": {"HeaderParameters": [
                    {"Key": "h", "Value": "s1", "IsValueSecret": true}]}}}),
        )
        .expect("connection");
    events
        .handle(
            &c,
            "CreateConnection",
            json!({"Name": "o", "AuthorizationType": "OAUTH_CLIENT_CREDENTIALS",
                "AuthParameters": {"OAuthParameters": {
                    "ClientParameters": {"ClientID": "id", "ClientSecret": "cs"},
                    "AuthorizationEndpoint": "https://auth.example/token",
                    "HttpMethod": "POST"}}}),
        )
        .expect("oauth connection");
    let dest = events
        .handle(
            &c,
            "CreateApiDestination",
            json!({"Name": "d", "ConnectionArn": conn["ConnectionArn"],
                "InvocationEndpoint": "https://api.example/x", "HttpMethod": "POST"}),
        )
        .expect("destination");
    events
        .handle(
            &c,
            "PutRule",
            json!({"Name": "r", "ScheduleExpression": "rate(1 hour)"}),
        )
        .expect("rule");
    events
        .handle(
            &c,
            "PutTargets",
            json!({"Rule": "r", "Targets": [{"Id": "1", "Arn": dest["ApiDestinationArn"],
                "RoleArn": format!("arn:aws:iam::{A}:role/x")}]}),
        )
        .expect("targets");
    let app = sns
        .handle(
            &c,
            "CreatePlatformApplication",
            json!({"Name": "app", "Platform": "GCM",
                "Attributes": {"PlatformCredential": "pc"}}),
            true,
        )
        .await
        .expect("application");
    let endpoint = sns
        .handle(
            &c,
            "CreatePlatformEndpoint",
            json!({"PlatformApplicationArn": app["PlatformApplicationArn"], "Token": "t1"}),
            true,
        )
        .await
        .expect("endpoint");
    let topic = sns
        .handle(&c, "CreateTopic", json!({"Name": "push"}), true)
        .await
        .expect("topic");
    sns.handle(
        &c,
        "Subscribe",
        json!({"TopicArn": topic["TopicArn"], "Protocol": "application",
            "Endpoint": endpoint["EndpointArn"]}),
        true,
    )
    .await
    .expect("subscribe");
    sns.handle(
        &c,
        "SetSMSAttributes",
        json!({"attributes": {"DefaultSMSType": "Promotional"}}),
        true,
    )
    .await
    .expect("sms");
    let mut sns_part = super::export_sns(&sns, None, None)
        .await
        .expect("export sns");
    let mut events_part = super::export_events(&events, None, None).expect("export events");
    let more = export_sns(&sns, None, None).expect("integrations");
    sns_part
        .as_object_mut()
        .expect("object")
        .extend(more.as_object().cloned().unwrap_or_default());
    let more = export_events(&events, None, None).expect("integrations");
    events_part
        .as_object_mut()
        .expect("object")
        .extend(more.as_object().cloned().unwrap_or_default());
    json!({"format": "ferrybridge-state", "version": 2, "sns": sns_part, "events": events_part})
}

#[tokio::test]
async fn an_import_maps_every_exported_arn_to_the_new_one() {
    let doc = exported().await;
    assert_eq!(
        doc.pointer("/events/connections/0/authParameters/ApiKeyAuthParameters/ApiKeyValue"),
        Some(&json!("v1"))
    );
    assert_eq!(
        doc["sns"]["smsAttributes"][0]["attributes"],
        json!({"DefaultSMSType": "Promotional"})
    );
    let (sns, events) = services();
    super::import(&sns, &events, &doc).await.expect("import");
    let e = events.engine();
    let conn = e.connection(A, R, "k").expect("connection");
    assert_ne!(
        Some(conn.arn.as_str()),
        doc.pointer("/events/connections/0/arn")
            .and_then(Value::as_str),
        "a new id"
    );
    let dest = e.api_destination(A, R, "d").expect("destination");
    assert_eq!(dest.config().connection_arn, conn.arn);
    let targets = events
        .handle(&ctx(A, R), "ListTargetsByRule", json!({"Rule": "r"}))
        .expect("targets");
    assert_eq!(targets["Targets"][0]["Arn"], json!(dest.arn));
    // Not authorized in the background (the scratch services do not), as offline.
    assert_eq!(
        e.connection(A, R, "o").expect("oauth").state(),
        ConnectionState::Authorizing
    );
    let app = format!("arn:aws:sns:{R}:{A}:app/GCM/app");
    let endpoints = sns.engine().list_endpoints(&app, None).expect("endpoints");
    let [endpoint] = endpoints.items.as_slice() else {
        panic!("one endpoint: {:?}", endpoints.items);
    };
    let topic = format!("arn:aws:sns:{R}:{A}:push");
    let subs = sns
        .handle(
            &ctx(A, R),
            "ListSubscriptionsByTopic",
            json!({"TopicArn": topic}),
            true,
        )
        .await
        .expect("subscriptions");
    assert_eq!(subs["Subscriptions"][0]["Endpoint"], json!(endpoint.arn));
    assert_eq!(
        sns.engine()
            .platform_application(&app)
            .expect("app")
            .credentials["PlatformCredential"],
        "pc"
    );
}

#[tokio::test]
async fn redacted_secrets_are_each_named_and_nothing_is_applied() {
    let mut doc = exported().await;
    redact_secrets(&mut doc);
    assert!(!doc.to_string().contains("\"v1\""));
    let missing = missing_secrets(&doc).expect("well formed");
    assert_eq!(
        missing,
        vec![
            format!("connection k ({A}, {R}): authParameters.ApiKeyAuthParameters.ApiKeyValue"),
            format!("connection k ({A}, {R}): authParameters.InvocationHttpParameters.HeaderParameters[0].Value"),
            format!("connection o ({A}, {R}): authParameters.OAuthParameters.ClientParameters.ClientSecret"),
            format!("platform application app ({A}, {R}): credentials.PlatformCredential"),
        ]
    );
    let err = super::validate(&doc, Arc::new(ManualClock::default()))
        .await
        .expect_err("refused");
    assert!(
        err.contains("ApiKeyValue") && err.contains("PlatformCredential"),
        "{err}"
    );
    // Refused before anything is created, even on the services it is applied to.
    let (sns, events) = services();
    assert!(super::import(&sns, &events, &doc).await.is_err());
    assert!(events.engine().connection(A, R, "k").is_err());
    assert!(sns.engine().topics(A, R).is_empty());
}

#[tokio::test]
async fn an_api_destination_of_an_unknown_connection_is_refused_by_name() {
    let mut doc = exported().await;
    doc["events"]["apiDestinations"][0]["connectionArn"] = json!(format!(
        "arn:aws:events:{R}:{A}:connection/gone/00000000-0000-0000-0000-000000000000"
    ));
    let err = super::validate(&doc, Arc::new(ManualClock::default()))
        .await
        .expect_err("refused");
    assert!(
        err.starts_with(&format!("API destination d ({A}, {R})")),
        "{err}"
    );
}
