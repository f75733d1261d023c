//! Connection operations: CreateConnection, DescribeConnection, UpdateConnection,
//! DeleteConnection, ListConnections, DeauthorizeConnection.
//!
//! Answers have AWS's recorded shapes; secrets
//! (Password, ApiKeyValue, ClientSecret, and the values of parameters marked IsValueSecret)
//! are never answered.

use std::sync::Arc;

use ferrybridge_api::events::{
    Connection as ConnectionEntry, ConnectionApiKeyAuthResponseParameters,
    ConnectionAuthResponseParameters, ConnectionBasicAuthResponseParameters,
    ConnectionBodyParameter, ConnectionHeaderParameter, ConnectionHttpParameters,
    ConnectionOAuthClientResponseParameters, ConnectionOAuthResponseParameters,
    ConnectionQueryStringParameter, CreateConnectionAuthRequestParameters, CreateConnectionRequest,
    CreateConnectionResponse, DeauthorizeConnectionRequest, DeauthorizeConnectionResponse,
    DeleteConnectionRequest, DeleteConnectionResponse, DescribeConnectionRequest,
    DescribeConnectionResponse, ListConnectionsRequest, ListConnectionsResponse,
    UpdateConnectionAuthRequestParameters, UpdateConnectionRequest, UpdateConnectionResponse,
};
use ferrybridge_api::Timestamp;
use ferrybridge_engine::events::connection::{
    Auth, AuthInput, AuthorizationType, Connection, ConnectionStatus, ConnectionUpdate,
    HttpParameters, NewConnection, Parameter,
};
use ferrybridge_engine::events::EventsEngine;
use ferrybridge_protocol::{RequestContext, ServiceError};

use crate::input::{limit, service_error, timestamp, validation};
use crate::oauth::Authorizer;

/// One list of `ConnectionHttpParameters` (header, query string and body parameters have the
/// same members under three shape names).
fn parameters<T>(
    items: Option<Vec<T>>,
    parts: impl Fn(T) -> (Option<String>, Option<String>, Option<bool>),
) -> Option<Vec<Parameter>> {
    items.map(|items| {
        items
            .into_iter()
            .map(|item| {
                let (key, value, secret) = parts(item);
                Parameter {
                    key: key.unwrap_or_default(),
                    value: value.unwrap_or_default(),
                    is_value_secret: secret.unwrap_or(false),
                }
            })
            .collect()
    })
}

/// `ConnectionHttpParameters`.
fn http_parameters(p: ConnectionHttpParameters) -> HttpParameters {
    HttpParameters {
        header: parameters(p.header_parameters, |h| (h.key, h.value, h.is_value_secret)),
        query: parameters(p.query_string_parameters, |q| {
            (q.key, q.value, q.is_value_secret)
        }),
        body: parameters(p.body_parameters, |b| (b.key, b.value, b.is_value_secret)),
    }
}

/// CreateConnection's `AuthParameters` as the engine takes them.
fn create_auth(p: CreateConnectionAuthRequestParameters) -> AuthInput {
    let (basic_username, basic_password) = p
        .basic_auth_parameters
        .map_or((None, None), |b| (Some(b.username), Some(b.password)));
    let (api_key_name, api_key_value) = p.api_key_auth_parameters.map_or((None, None), |k| {
        (Some(k.api_key_name), Some(k.api_key_value))
    });
    let mut input = AuthInput {
        basic_username,
        basic_password,
        api_key_name,
        api_key_value,
        invocation_parameters: p.invocation_http_parameters.map(http_parameters),
        ..AuthInput::default()
    };
    if let Some(o) = p.o_auth_parameters {
        input.oauth_client_id = Some(o.client_parameters.client_id);
        input.oauth_client_secret = Some(o.client_parameters.client_secret);
        input.oauth_authorization_endpoint = Some(o.authorization_endpoint);
        input.oauth_http_method = Some(o.http_method);
        input.oauth_http_parameters = o.o_auth_http_parameters.map(http_parameters);
    }
    input
}

/// UpdateConnection's `AuthParameters` as the engine takes them (absent = unchanged).
fn update_auth(p: UpdateConnectionAuthRequestParameters) -> AuthInput {
    let (basic_username, basic_password) = p
        .basic_auth_parameters
        .map_or((None, None), |b| (b.username, b.password));
    let (api_key_name, api_key_value) = p
        .api_key_auth_parameters
        .map_or((None, None), |k| (k.api_key_name, k.api_key_value));
    let mut input = AuthInput {
        basic_username,
        basic_password,
        api_key_name,
        api_key_value,
        invocation_parameters: p.invocation_http_parameters.map(http_parameters),
        ..AuthInput::default()
    };
    if let Some(o) = p.o_auth_parameters {
        if let Some(c) = o.client_parameters {
            input.oauth_client_id = c.client_id;
            input.oauth_client_secret = c.client_secret;
        }
        input.oauth_authorization_endpoint = o.authorization_endpoint;
        input.oauth_http_method = o.http_method;
        input.oauth_http_parameters = o.o_auth_http_parameters.map(http_parameters);
    }
    input
}

/// One list of parameters as described: a secret parameter without its value.
fn shown<T>(
    items: &Option<Vec<Parameter>>,
    make: impl Fn(Option<String>, Option<String>, Option<bool>) -> T,
) -> Option<Vec<T>> {
    items.as_ref().map(|items| {
        items
            .iter()
            .map(|p| {
                let value = (!p.is_value_secret).then(|| p.value.clone());
                make(Some(p.key.clone()), value, Some(p.is_value_secret))
            })
            .collect()
    })
}

/// Parameters as `DescribeConnection` shows them.
fn describe_parameters(p: &HttpParameters) -> ConnectionHttpParameters {
    ConnectionHttpParameters {
        header_parameters: shown(&p.header, |key, value, is_value_secret| {
            ConnectionHeaderParameter {
                key,
                value,
                is_value_secret,
            }
        }),
        query_string_parameters: shown(&p.query, |key, value, is_value_secret| {
            ConnectionQueryStringParameter {
                key,
                value,
                is_value_secret,
            }
        }),
        body_parameters: shown(&p.body, |key, value, is_value_secret| {
            ConnectionBodyParameter {
                key,
                value,
                is_value_secret,
            }
        }),
    }
}

/// `AuthParameters` as described: no secrets.
fn describe_auth(
    auth: &Auth,
    invocation: Option<&HttpParameters>,
) -> ConnectionAuthResponseParameters {
    let mut out = ConnectionAuthResponseParameters {
        invocation_http_parameters: invocation.map(describe_parameters),
        ..Default::default()
    };
    match auth {
        Auth::ApiKey { name, .. } => {
            out.api_key_auth_parameters = Some(ConnectionApiKeyAuthResponseParameters {
                api_key_name: Some(name.clone()),
            });
        }
        Auth::Basic { username, .. } => {
            out.basic_auth_parameters = Some(ConnectionBasicAuthResponseParameters {
                username: Some(username.clone()),
            });
        }
        Auth::OAuth(o) => {
            out.o_auth_parameters = Some(ConnectionOAuthResponseParameters {
                client_parameters: Some(ConnectionOAuthClientResponseParameters {
                    client_id: Some(o.client_id.clone()),
                }),
                authorization_endpoint: Some(o.authorization_endpoint.clone()),
                http_method: Some(o.http_method.clone()),
                o_auth_http_parameters: o.http_parameters.as_ref().map(describe_parameters),
            });
        }
    }
    out
}

/// The answer of Update/Delete/DeauthorizeConnection (three output shapes, one content).
struct StatusAnswer {
    connection_arn: Option<String>,
    connection_state: Option<String>,
    creation_time: Option<Timestamp>,
    last_modified_time: Option<Timestamp>,
    last_authorized_time: Option<Timestamp>,
}

fn status_answer(connection: &Connection, status: &ConnectionStatus) -> StatusAnswer {
    StatusAnswer {
        connection_arn: Some(connection.arn.clone()),
        connection_state: Some(status.state.as_str().to_owned()),
        creation_time: Some(timestamp(connection.created_ms)),
        last_modified_time: Some(timestamp(status.last_modified_ms)),
        last_authorized_time: Some(timestamp(status.last_authorized_ms)),
    }
}

pub(crate) fn create_connection(
    e: &EventsEngine,
    authorizer: Option<&Arc<Authorizer>>,
    ctx: &RequestContext,
    input: CreateConnectionRequest,
) -> Result<CreateConnectionResponse, ServiceError> {
    let kind = &input.authorization_type;
    // The model has already held AuthorizationType to its enum.
    let authorization_type = AuthorizationType::parse(kind)
        .ok_or_else(|| validation(format!("Invalid AuthorizationType {kind}.")))?;
    if let Some(o) = &input.auth_parameters.o_auth_parameters {
        crate::api_destinations::check_http_url(
            "AuthorizationEndpoint",
            &o.authorization_endpoint,
        )?;
    }
    let connection = e
        .create_connection(
            &ctx.account_id,
            &ctx.region,
            NewConnection {
                name: input.name,
                description: input.description,
                authorization_type,
                auth: create_auth(input.auth_parameters),
                kms_key_identifier: input.kms_key_identifier,
            },
        )
        .map_err(service_error)?;
    let status = connection.status();
    if let Some(authorizer) = authorizer {
        authorizer.authorize_in_background(connection.clone());
    }
    Ok(CreateConnectionResponse {
        connection_arn: Some(connection.arn.clone()),
        connection_state: Some(status.state.as_str().to_owned()),
        creation_time: Some(timestamp(connection.created_ms)),
        last_modified_time: Some(timestamp(status.last_modified_ms)),
    })
}

pub(crate) fn describe_connection(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: DescribeConnectionRequest,
) -> Result<DescribeConnectionResponse, ServiceError> {
    let connection = e
        .connection(&ctx.account_id, &ctx.region, &input.name)
        .map_err(service_error)?;
    let config = connection.config();
    let status = connection.status();
    let kept = !status.parameters_removed;
    Ok(DescribeConnectionResponse {
        connection_arn: Some(connection.arn.clone()),
        name: Some(connection.name.clone()),
        description: config.description.clone(),
        invocation_connectivity_parameters: None,
        connection_state: Some(status.state.as_str().to_owned()),
        state_reason: status.state_reason.clone(),
        authorization_type: Some(config.auth.authorization_type().as_str().to_owned()),
        secret_arn: kept.then(|| connection.secret_arn.clone()),
        kms_key_identifier: config.kms_key_identifier.clone(),
        auth_parameters: kept
            .then(|| describe_auth(&config.auth, config.invocation_parameters.as_ref())),
        creation_time: Some(timestamp(connection.created_ms)),
        last_modified_time: Some(timestamp(status.last_modified_ms)),
        last_authorized_time: Some(timestamp(status.last_authorized_ms)),
    })
}

pub(crate) fn update_connection(
    e: &EventsEngine,
    authorizer: Option<&Arc<Authorizer>>,
    ctx: &RequestContext,
    input: UpdateConnectionRequest,
) -> Result<UpdateConnectionResponse, ServiceError> {
    if let Some(url) = input
        .auth_parameters
        .as_ref()
        .and_then(|a| a.o_auth_parameters.as_ref())
        .and_then(|o| o.authorization_endpoint.as_deref())
    {
        crate::api_destinations::check_http_url("AuthorizationEndpoint", url)?;
    }
    let update = ConnectionUpdate {
        description: input.description,
        authorization_type: input
            .authorization_type
            .as_deref()
            .and_then(AuthorizationType::parse),
        auth: input.auth_parameters.map(update_auth),
        kms_key_identifier: input.kms_key_identifier,
    };
    let (connection, status) = e
        .update_connection(&ctx.account_id, &ctx.region, &input.name, update)
        .map_err(service_error)?;
    if let Some(authorizer) = authorizer {
        authorizer.authorize_in_background(connection.clone());
    }
    let a = status_answer(&connection, &status);
    Ok(UpdateConnectionResponse {
        connection_arn: a.connection_arn,
        connection_state: a.connection_state,
        creation_time: a.creation_time,
        last_modified_time: a.last_modified_time,
        last_authorized_time: a.last_authorized_time,
    })
}

pub(crate) fn delete_connection(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: DeleteConnectionRequest,
) -> Result<DeleteConnectionResponse, ServiceError> {
    let (connection, status) = e
        .delete_connection(&ctx.account_id, &ctx.region, &input.name)
        .map_err(service_error)?;
    let a = status_answer(&connection, &status);
    Ok(DeleteConnectionResponse {
        connection_arn: a.connection_arn,
        connection_state: a.connection_state,
        creation_time: a.creation_time,
        last_modified_time: a.last_modified_time,
        last_authorized_time: a.last_authorized_time,
    })
}

pub(crate) fn deauthorize_connection(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: DeauthorizeConnectionRequest,
) -> Result<DeauthorizeConnectionResponse, ServiceError> {
    let (connection, status) = e
        .deauthorize_connection(&ctx.account_id, &ctx.region, &input.name)
        .map_err(service_error)?;
    let a = status_answer(&connection, &status);
    Ok(DeauthorizeConnectionResponse {
        connection_arn: a.connection_arn,
        connection_state: a.connection_state,
        creation_time: a.creation_time,
        last_modified_time: a.last_modified_time,
        last_authorized_time: a.last_authorized_time,
    })
}

pub(crate) fn list_connections(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: ListConnectionsRequest,
) -> Result<ListConnectionsResponse, ServiceError> {
    let page = e
        .list_connections(
            &ctx.account_id,
            &ctx.region,
            input.name_prefix.as_deref(),
            input.connection_state.as_deref(),
            input.next_token.as_deref(),
            limit(input.limit),
        )
        .map_err(service_error)?;
    let items = page
        .items
        .iter()
        .map(|c| {
            let status = c.status();
            ConnectionEntry {
                connection_arn: Some(c.arn.clone()),
                name: Some(c.name.clone()),
                connection_state: Some(status.state.as_str().to_owned()),
                state_reason: status.state_reason.clone(),
                authorization_type: Some(c.authorization_type().as_str().to_owned()),
                creation_time: Some(timestamp(c.created_ms)),
                last_modified_time: Some(timestamp(status.last_modified_ms)),
                last_authorized_time: Some(timestamp(status.last_authorized_ms)),
            }
        })
        .collect();
    Ok(ListConnectionsResponse {
        connections: Some(items),
        next_token: page.next_token,
    })
}
