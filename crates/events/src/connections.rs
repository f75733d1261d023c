//! Connection operations: CreateConnection, DescribeConnection, UpdateConnection,
//! DeleteConnection, ListConnections, DeauthorizeConnection.
//!
//! Answers have AWS's recorded shapes (keys in alphabetical order, as recorded); secrets
//! (Password, ApiKeyValue, ClientSecret, and the values of parameters marked IsValueSecret)
//! are never answered.

use std::sync::Arc;

use ferrybridge_engine::events::connection::{
    Auth, AuthInput, AuthorizationType, Connection, ConnectionStatus, ConnectionUpdate,
    HttpParameters, NewConnection, Parameter,
};
use ferrybridge_engine::events::EventsEngine;
use ferrybridge_protocol::{RequestContext, ServiceError};
use serde_json::{Map, Value};

use crate::input::{epoch_seconds, opt_str, opt_usize, req_str, service_error};
use crate::oauth::Authorizer;

fn str_of(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// `ConnectionHttpParameters`.
fn http_parameters(v: &Value) -> HttpParameters {
    let list = |name: &str| -> Option<Vec<Parameter>> {
        v.get(name).and_then(Value::as_array).map(|items| {
            items
                .iter()
                .map(|p| Parameter {
                    key: str_of(p, "Key").unwrap_or_default(),
                    value: str_of(p, "Value").unwrap_or_default(),
                    is_value_secret: p
                        .get("IsValueSecret")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                })
                .collect()
        })
    };
    HttpParameters {
        header: list("HeaderParameters"),
        query: list("QueryStringParameters"),
        body: list("BodyParameters"),
    }
}

/// `AuthParameters` as the engine takes them.
fn auth_input(v: &Value) -> AuthInput {
    let basic = v.get("BasicAuthParameters").filter(|b| b.is_object());
    let api_key = v.get("ApiKeyAuthParameters").filter(|b| b.is_object());
    let oauth = v.get("OAuthParameters").filter(|b| b.is_object());
    let client = oauth.and_then(|o| o.get("ClientParameters"));
    AuthInput {
        basic_username: basic.and_then(|b| str_of(b, "Username")),
        basic_password: basic.and_then(|b| str_of(b, "Password")),
        api_key_name: api_key.and_then(|b| str_of(b, "ApiKeyName")),
        api_key_value: api_key.and_then(|b| str_of(b, "ApiKeyValue")),
        oauth_client_id: client.and_then(|c| str_of(c, "ClientID")),
        oauth_client_secret: client.and_then(|c| str_of(c, "ClientSecret")),
        oauth_authorization_endpoint: oauth.and_then(|o| str_of(o, "AuthorizationEndpoint")),
        oauth_http_method: oauth.and_then(|o| str_of(o, "HttpMethod")),
        oauth_http_parameters: oauth
            .and_then(|o| o.get("OAuthHttpParameters"))
            .filter(|p| p.is_object())
            .map(http_parameters),
        invocation_parameters: v
            .get("InvocationHttpParameters")
            .filter(|p| p.is_object())
            .map(http_parameters),
    }
}

/// Parameters as `DescribeConnection` shows them: a secret parameter without its value.
fn describe_parameters(p: &HttpParameters) -> Value {
    let list = |items: &[Parameter]| -> Value {
        Value::Array(
            items
                .iter()
                .map(|p| {
                    let mut m = Map::new();
                    m.insert("IsValueSecret".into(), Value::Bool(p.is_value_secret));
                    m.insert("Key".into(), Value::from(p.key.as_str()));
                    if !p.is_value_secret {
                        m.insert("Value".into(), Value::from(p.value.as_str()));
                    }
                    Value::Object(m)
                })
                .collect(),
        )
    };
    let mut out = Map::new();
    if let Some(b) = &p.body {
        out.insert("BodyParameters".into(), list(b));
    }
    if let Some(h) = &p.header {
        out.insert("HeaderParameters".into(), list(h));
    }
    if let Some(q) = &p.query {
        out.insert("QueryStringParameters".into(), list(q));
    }
    Value::Object(out)
}

/// `AuthParameters` as described: no secrets.
fn describe_auth(auth: &Auth, invocation: Option<&HttpParameters>) -> Value {
    let mut out = Map::new();
    match auth {
        Auth::ApiKey { name, .. } => {
            out.insert(
                "ApiKeyAuthParameters".into(),
                serde_json::json!({"ApiKeyName": name}),
            );
        }
        Auth::Basic { username, .. } => {
            out.insert(
                "BasicAuthParameters".into(),
                serde_json::json!({"Username": username}),
            );
        }
        Auth::OAuth(_) => {}
    }
    if let Some(p) = invocation {
        out.insert("InvocationHttpParameters".into(), describe_parameters(p));
    }
    if let Auth::OAuth(o) = auth {
        let mut m = Map::new();
        m.insert(
            "AuthorizationEndpoint".into(),
            Value::from(o.authorization_endpoint.as_str()),
        );
        m.insert(
            "ClientParameters".into(),
            serde_json::json!({"ClientID": o.client_id}),
        );
        m.insert("HttpMethod".into(), Value::from(o.http_method.as_str()));
        if let Some(p) = &o.http_parameters {
            m.insert("OAuthHttpParameters".into(), describe_parameters(p));
        }
        out.insert("OAuthParameters".into(), Value::Object(m));
    }
    Value::Object(out)
}

/// The answer of Update/Delete/DeauthorizeConnection.
fn status_answer(connection: &Connection, status: &ConnectionStatus) -> Value {
    let mut out = Map::new();
    out.insert("ConnectionArn".into(), Value::from(connection.arn.as_str()));
    out.insert("ConnectionState".into(), Value::from(status.state.as_str()));
    out.insert("CreationTime".into(), epoch_seconds(connection.created_ms));
    out.insert(
        "LastAuthorizedTime".into(),
        epoch_seconds(status.last_authorized_ms),
    );
    out.insert(
        "LastModifiedTime".into(),
        epoch_seconds(status.last_modified_ms),
    );
    Value::Object(out)
}

pub(crate) fn create_connection(
    e: &EventsEngine,
    authorizer: &Arc<Authorizer>,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let name = req_str(input, "Name")?;
    let kind = req_str(input, "AuthorizationType")?;
    // The model has already held AuthorizationType to its enum.
    let authorization_type = AuthorizationType::parse(kind)
        .ok_or_else(|| crate::input::validation(format!("Invalid AuthorizationType {kind}.")))?;
    let auth = input
        .get("AuthParameters")
        .map(auth_input)
        .unwrap_or_default();
    if let Some(url) = auth.oauth_authorization_endpoint.as_deref() {
        crate::api_destinations::check_http_url("AuthorizationEndpoint", url)?;
    }
    let connection = e
        .create_connection(
            &ctx.account_id,
            &ctx.region,
            NewConnection {
                name: name.to_owned(),
                description: opt_str(input, "Description").map(str::to_owned),
                authorization_type,
                auth,
                kms_key_identifier: opt_str(input, "KmsKeyIdentifier").map(str::to_owned),
            },
        )
        .map_err(service_error)?;
    let status = connection.status();
    authorizer.authorize_in_background(connection.clone());
    let mut out = Map::new();
    out.insert("ConnectionArn".into(), Value::from(connection.arn.as_str()));
    out.insert("ConnectionState".into(), Value::from(status.state.as_str()));
    out.insert("CreationTime".into(), epoch_seconds(connection.created_ms));
    out.insert(
        "LastModifiedTime".into(),
        epoch_seconds(status.last_modified_ms),
    );
    Ok(Value::Object(out))
}

pub(crate) fn describe_connection(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let name = req_str(input, "Name")?;
    let connection = e
        .connection(&ctx.account_id, &ctx.region, name)
        .map_err(service_error)?;
    let config = connection.config();
    let status = connection.status();
    let mut out = Map::new();
    if !status.parameters_removed {
        out.insert(
            "AuthParameters".into(),
            describe_auth(&config.auth, config.invocation_parameters.as_ref()),
        );
    }
    out.insert(
        "AuthorizationType".into(),
        Value::from(config.auth.authorization_type().as_str()),
    );
    out.insert("ConnectionArn".into(), Value::from(connection.arn.as_str()));
    out.insert("ConnectionState".into(), Value::from(status.state.as_str()));
    out.insert("CreationTime".into(), epoch_seconds(connection.created_ms));
    if let Some(d) = &config.description {
        out.insert("Description".into(), Value::from(d.as_str()));
    }
    if let Some(k) = &config.kms_key_identifier {
        out.insert("KmsKeyIdentifier".into(), Value::from(k.as_str()));
    }
    out.insert(
        "LastAuthorizedTime".into(),
        epoch_seconds(status.last_authorized_ms),
    );
    out.insert(
        "LastModifiedTime".into(),
        epoch_seconds(status.last_modified_ms),
    );
    out.insert("Name".into(), Value::from(connection.name.as_str()));
    if !status.parameters_removed {
        out.insert(
            "SecretArn".into(),
            Value::from(connection.secret_arn.as_str()),
        );
    }
    if let Some(r) = &status.state_reason {
        out.insert("StateReason".into(), Value::from(r.as_str()));
    }
    Ok(Value::Object(out))
}

pub(crate) fn update_connection(
    e: &EventsEngine,
    authorizer: &Arc<Authorizer>,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let name = req_str(input, "Name")?;
    let authorization_type = opt_str(input, "AuthorizationType").and_then(AuthorizationType::parse);
    if let Some(url) = input
        .pointer("/AuthParameters/OAuthParameters/AuthorizationEndpoint")
        .and_then(Value::as_str)
    {
        crate::api_destinations::check_http_url("AuthorizationEndpoint", url)?;
    }
    let update = ConnectionUpdate {
        description: opt_str(input, "Description").map(str::to_owned),
        authorization_type,
        auth: input
            .get("AuthParameters")
            .filter(|v| v.is_object())
            .map(auth_input),
        kms_key_identifier: opt_str(input, "KmsKeyIdentifier").map(str::to_owned),
    };
    let (connection, status) = e
        .update_connection(&ctx.account_id, &ctx.region, name, update)
        .map_err(service_error)?;
    authorizer.authorize_in_background(connection.clone());
    Ok(status_answer(&connection, &status))
}

pub(crate) fn delete_connection(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let name = req_str(input, "Name")?;
    let (connection, status) = e
        .delete_connection(&ctx.account_id, &ctx.region, name)
        .map_err(service_error)?;
    Ok(status_answer(&connection, &status))
}

pub(crate) fn deauthorize_connection(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let name = req_str(input, "Name")?;
    let (connection, status) = e
        .deauthorize_connection(&ctx.account_id, &ctx.region, name)
        .map_err(service_error)?;
    Ok(status_answer(&connection, &status))
}

pub(crate) fn list_connections(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let page = e
        .list_connections(
            &ctx.account_id,
            &ctx.region,
            opt_str(input, "NamePrefix"),
            opt_str(input, "ConnectionState"),
            opt_str(input, "NextToken"),
            opt_usize(input, "Limit"),
        )
        .map_err(service_error)?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|c| {
            let status = c.status();
            let mut m = Map::new();
            m.insert(
                "AuthorizationType".into(),
                Value::from(c.authorization_type().as_str()),
            );
            m.insert("ConnectionArn".into(), Value::from(c.arn.as_str()));
            m.insert("ConnectionState".into(), Value::from(status.state.as_str()));
            m.insert("CreationTime".into(), epoch_seconds(c.created_ms));
            m.insert(
                "LastAuthorizedTime".into(),
                epoch_seconds(status.last_authorized_ms),
            );
            m.insert(
                "LastModifiedTime".into(),
                epoch_seconds(status.last_modified_ms),
            );
            m.insert("Name".into(), Value::from(c.name.as_str()));
            if let Some(r) = &status.state_reason {
                m.insert("StateReason".into(), Value::from(r.as_str()));
            }
            Value::Object(m)
        })
        .collect();
    Ok(crate::with_next(
        serde_json::json!({"Connections": items}),
        page.next_token,
    ))
}
