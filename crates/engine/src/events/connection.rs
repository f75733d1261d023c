//! EventBridge connections: how API destinations authorize with an HTTP endpoint (Basic, API
//! key or OAuth client credentials), the extra header, query and body parameters every call
//! carries, and the connection's state.
//!
//! As on AWS, secrets (password, API key value, client secret, parameter values marked
//! `IsValueSecret`) are kept but never described; an OAuth connection is `AUTHORIZING` until
//! its token has been fetched (by the events service, in the background), then `AUTHORIZED`,
//! or `DEAUTHORIZED` with a `StateReason` when the authorization endpoint refused.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::RwLock;

use super::api_destination::ApiDestination;
use super::{EventsEngine, EventsError, Page};

/// `AuthorizationType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizationType {
    Basic,
    OAuthClientCredentials,
    ApiKey,
}

impl AuthorizationType {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorizationType::Basic => "BASIC",
            AuthorizationType::OAuthClientCredentials => "OAUTH_CLIENT_CREDENTIALS",
            AuthorizationType::ApiKey => "API_KEY",
        }
    }

    /// The model's enum value (the model has already held requests to these three).
    pub fn parse(text: &str) -> Option<AuthorizationType> {
        match text {
            "BASIC" => Some(AuthorizationType::Basic),
            "OAUTH_CLIENT_CREDENTIALS" => Some(AuthorizationType::OAuthClientCredentials),
            "API_KEY" => Some(AuthorizationType::ApiKey),
            _ => None,
        }
    }
}

/// `ConnectionState` (the values a connection of this emulator takes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionState {
    Creating,
    Updating,
    Deleting,
    Authorized,
    Deauthorized,
    Authorizing,
    Deauthorizing,
}

impl ConnectionState {
    /// Every state, in a fixed order (the journal stores the index).
    pub const ALL: [ConnectionState; 7] = [
        ConnectionState::Creating,
        ConnectionState::Updating,
        ConnectionState::Deleting,
        ConnectionState::Authorized,
        ConnectionState::Deauthorized,
        ConnectionState::Authorizing,
        ConnectionState::Deauthorizing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionState::Creating => "CREATING",
            ConnectionState::Updating => "UPDATING",
            ConnectionState::Deleting => "DELETING",
            ConnectionState::Authorized => "AUTHORIZED",
            ConnectionState::Deauthorized => "DEAUTHORIZED",
            ConnectionState::Authorizing => "AUTHORIZING",
            ConnectionState::Deauthorizing => "DEAUTHORIZING",
        }
    }
}

/// One header, query string or body parameter of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    pub key: String,
    pub value: String,
    /// `IsValueSecret`: the value is kept with the secrets and not described.
    pub is_value_secret: bool,
}

/// `ConnectionHttpParameters` (`InvocationHttpParameters`, `OAuthHttpParameters`). Each list
/// is `None` when the request did not name it, so it is described as it was given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpParameters {
    pub header: Option<Vec<Parameter>>,
    pub query: Option<Vec<Parameter>>,
    pub body: Option<Vec<Parameter>>,
}

impl HttpParameters {
    pub fn headers(&self) -> &[Parameter] {
        self.header.as_deref().unwrap_or_default()
    }

    pub fn query_string(&self) -> &[Parameter] {
        self.query.as_deref().unwrap_or_default()
    }

    pub fn body_parameters(&self) -> &[Parameter] {
        self.body.as_deref().unwrap_or_default()
    }
}

/// `OAuthParameters`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthSettings {
    pub client_id: String,
    pub client_secret: String,
    pub authorization_endpoint: String,
    /// `GET`, `POST` or `PUT`.
    pub http_method: String,
    pub http_parameters: Option<HttpParameters>,
}

/// How calls through the connection authorize.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    Basic { username: String, password: String },
    ApiKey { name: String, value: String },
    OAuth(OAuthSettings),
}

impl Auth {
    pub fn authorization_type(&self) -> AuthorizationType {
        match self {
            Auth::Basic { .. } => AuthorizationType::Basic,
            Auth::ApiKey { .. } => AuthorizationType::ApiKey,
            Auth::OAuth(_) => AuthorizationType::OAuthClientCredentials,
        }
    }
}

/// `AuthParameters` of a `CreateConnection` or `UpdateConnection` request: every member
/// optional; [`Auth`] is built from it (with the connection's current values, on update).
#[derive(Debug, Clone, Default)]
pub struct AuthInput {
    pub basic_username: Option<String>,
    pub basic_password: Option<String>,
    pub api_key_name: Option<String>,
    pub api_key_value: Option<String>,
    pub oauth_client_id: Option<String>,
    pub oauth_client_secret: Option<String>,
    pub oauth_authorization_endpoint: Option<String>,
    pub oauth_http_method: Option<String>,
    pub oauth_http_parameters: Option<HttpParameters>,
    pub invocation_parameters: Option<HttpParameters>,
}

impl AuthInput {
    /// The connection's auth of type `kind`: what this input gives, completed from `current`
    /// (the connection's auth before an update).
    fn resolve(
        &self,
        kind: AuthorizationType,
        current: Option<&Auth>,
    ) -> Result<Auth, EventsError> {
        let missing = |block: &str| {
            // No AWS recording of this text; AWS's wording for a missing member of a
            // union-like parameter.
            EventsError::validation(format!(
                "The authorization parameters of the connection are incomplete: {block} is required for AuthorizationType {}.",
                kind.as_str()
            ))
        };
        match kind {
            AuthorizationType::Basic => {
                let (cur_user, cur_pass) = match current {
                    Some(Auth::Basic { username, password }) => (Some(username), Some(password)),
                    _ => (None, None),
                };
                let username = self.basic_username.as_ref().or(cur_user);
                // A deauthorized connection has no secret left to keep.
                let password = self
                    .basic_password
                    .as_ref()
                    .or(cur_pass.filter(|p| !p.is_empty()));
                match (username, password) {
                    (Some(u), Some(p)) => Ok(Auth::Basic {
                        username: u.clone(),
                        password: p.clone(),
                    }),
                    _ => Err(missing("BasicAuthParameters")),
                }
            }
            AuthorizationType::ApiKey => {
                let (cur_name, cur_value) = match current {
                    Some(Auth::ApiKey { name, value }) => (Some(name), Some(value)),
                    _ => (None, None),
                };
                let name = self.api_key_name.as_ref().or(cur_name);
                let value = self
                    .api_key_value
                    .as_ref()
                    .or(cur_value.filter(|v| !v.is_empty()));
                match (name, value) {
                    (Some(n), Some(v)) => Ok(Auth::ApiKey {
                        name: n.clone(),
                        value: v.clone(),
                    }),
                    _ => Err(missing("ApiKeyAuthParameters")),
                }
            }
            AuthorizationType::OAuthClientCredentials => {
                let cur = match current {
                    Some(Auth::OAuth(settings)) => Some(settings),
                    _ => None,
                };
                let pick = |given: &Option<String>, old: Option<&String>| {
                    given.clone().or_else(|| old.cloned())
                };
                let client_id = pick(&self.oauth_client_id, cur.map(|c| &c.client_id));
                let client_secret = pick(
                    &self.oauth_client_secret,
                    cur.map(|c| &c.client_secret).filter(|s| !s.is_empty()),
                );
                let endpoint = pick(
                    &self.oauth_authorization_endpoint,
                    cur.map(|c| &c.authorization_endpoint),
                );
                let method = pick(&self.oauth_http_method, cur.map(|c| &c.http_method));
                let http_parameters = self
                    .oauth_http_parameters
                    .clone()
                    .or_else(|| cur.and_then(|c| c.http_parameters.clone()));
                match (client_id, client_secret, endpoint, method) {
                    (Some(client_id), Some(client_secret), Some(endpoint), Some(method)) => {
                        Ok(Auth::OAuth(OAuthSettings {
                            client_id,
                            client_secret,
                            authorization_endpoint: endpoint,
                            http_method: method,
                            http_parameters,
                        }))
                    }
                    _ => Err(missing("OAuthParameters")),
                }
            }
        }
    }
}

/// An OAuth access token the connection holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub value: String,
    /// When it stops being valid (`expires_in` after it was fetched), if the endpoint said.
    pub expires_at_ms: Option<u64>,
}

/// What a connection is configured with.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    pub description: Option<String>,
    pub auth: Auth,
    pub invocation_parameters: Option<HttpParameters>,
    pub kms_key_identifier: Option<String>,
}

/// Where a connection stands.
#[derive(Debug, Clone)]
pub struct ConnectionStatus {
    pub state: ConnectionState,
    pub state_reason: Option<String>,
    pub last_modified_ms: u64,
    pub last_authorized_ms: u64,
    /// The OAuth token, once fetched.
    pub token: Option<AccessToken>,
    /// Counts (re)authorizations, so that a token fetched for settings since replaced is not
    /// stored.
    pub generation: u64,
    /// `DeauthorizeConnection` "removes all authorization parameters" (AWS guide,
    /// "De-authorizing connections"): Describe shows none, nor the secret, until an update
    /// gives new ones.
    pub parameters_removed: bool,
}

/// `CreateConnection`'s input.
#[derive(Debug, Clone)]
pub struct NewConnection {
    pub name: String,
    pub description: Option<String>,
    pub authorization_type: AuthorizationType,
    pub auth: AuthInput,
    pub kms_key_identifier: Option<String>,
}

/// `UpdateConnection`'s input: `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct ConnectionUpdate {
    pub description: Option<String>,
    pub authorization_type: Option<AuthorizationType>,
    pub auth: Option<AuthInput>,
    pub kms_key_identifier: Option<String>,
}

/// One connection.
#[derive(Debug)]
pub struct Connection {
    pub name: String,
    pub arn: String,
    /// The Secrets Manager secret AWS keeps the credentials in.
    pub secret_arn: String,
    pub account_id: String,
    pub region: String,
    pub created_ms: u64,
    config: RwLock<ConnectionConfig>,
    status: RwLock<ConnectionStatus>,
}

/// A connection's ARN: `arn:aws:events:<region>:<account>:connection/<name>/<uuid>`.
pub fn connection_arn(account: &str, region: &str, name: &str, id: &str) -> String {
    format!("arn:aws:events:{region}:{account}:connection/{name}/{id}")
}

/// The ARN of the secret AWS keeps a connection's credentials in (recorded shape:
/// `arn:aws:secretsmanager:<region>:<account>:secret:events!connection/<name>/<uuid>-<6
/// chars>`; the secret's uuid is its own, and Secrets Manager appends six random characters).
pub fn secret_arn(account: &str, region: &str, name: &str) -> String {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::thread_rng();
    let suffix: String = (0..6)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!(
        "arn:aws:secretsmanager:{region}:{account}:secret:events!connection/{name}/{}-{suffix}",
        uuid::Uuid::new_v4()
    )
}

impl Connection {
    pub(crate) fn create(
        account: &str,
        region: &str,
        input: NewConnection,
        now_ms: u64,
    ) -> Result<Connection, EventsError> {
        let auth = input.auth.resolve(input.authorization_type, None)?;
        let state = initial_state(&auth);
        Ok(Connection {
            arn: connection_arn(
                account,
                region,
                &input.name,
                &uuid::Uuid::new_v4().to_string(),
            ),
            secret_arn: secret_arn(account, region, &input.name),
            name: input.name,
            account_id: account.to_owned(),
            region: region.to_owned(),
            created_ms: now_ms,
            config: RwLock::new(ConnectionConfig {
                description: input.description,
                auth,
                invocation_parameters: input.auth.invocation_parameters,
                kms_key_identifier: input.kms_key_identifier,
            }),
            status: RwLock::new(ConnectionStatus {
                state,
                state_reason: None,
                last_modified_ms: now_ms,
                last_authorized_ms: now_ms,
                token: None,
                generation: 0,
                parameters_removed: false,
            }),
        })
    }

    pub fn config(&self) -> ConnectionConfig {
        self.config.read().clone()
    }

    /// A connection as it was journaled (`--data-dir`); it holds no OAuth token (one is
    /// fetched when first needed).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn restored(
        name: String,
        arn: String,
        secret_arn: String,
        account_id: String,
        region: String,
        created_ms: u64,
        config: ConnectionConfig,
        status: ConnectionStatus,
    ) -> Connection {
        Connection {
            name,
            arn,
            secret_arn,
            account_id,
            region,
            created_ms,
            config: RwLock::new(config),
            status: RwLock::new(status),
        }
    }

    pub fn status(&self) -> ConnectionStatus {
        self.status.read().clone()
    }

    pub fn state(&self) -> ConnectionState {
        self.status.read().state
    }

    pub fn authorization_type(&self) -> AuthorizationType {
        self.config.read().auth.authorization_type()
    }

    /// The OAuth token, if one is held and still valid at `now_ms`.
    pub fn valid_token(&self, now_ms: u64) -> Option<AccessToken> {
        self.status
            .read()
            .token
            .clone()
            .filter(|t| t.expires_at_ms.is_none_or(|at| at > now_ms))
    }

    /// Applies `UpdateConnection`; answers the status after it.
    pub(crate) fn update(
        &self,
        update: ConnectionUpdate,
        now_ms: u64,
    ) -> Result<ConnectionStatus, EventsError> {
        let mut config = self.config.write();
        let kind = update
            .authorization_type
            .unwrap_or_else(|| config.auth.authorization_type());
        let changes_auth = update.authorization_type.is_some() || update.auth.is_some();
        let input = update.auth.unwrap_or_default();
        let auth = if changes_auth {
            input.resolve(kind, Some(&config.auth))?
        } else {
            config.auth.clone()
        };
        let mut status = self.status.write();
        if let Some(d) = update.description {
            config.description = Some(d);
        }
        if let Some(k) = update.kms_key_identifier {
            config.kms_key_identifier = Some(k).filter(|k| !k.is_empty());
        }
        if let Some(p) = input.invocation_parameters {
            config.invocation_parameters = Some(p);
        }
        config.auth = auth;
        status.last_modified_ms = now_ms;
        if status.parameters_removed && !changes_auth {
            // A de-authorized connection has no credentials left: only new authorization
            // parameters authorize it again ("De-authorizing connections").
            return Ok(status.clone());
        }
        // Every update re-authorizes: credentials may have changed.
        status.generation += 1;
        status.token = None;
        status.parameters_removed = false;
        status.state = initial_state(&config.auth);
        status.state_reason = None;
        status.last_modified_ms = now_ms;
        if status.state == ConnectionState::Authorized {
            status.last_authorized_ms = now_ms;
        }
        Ok(status.clone())
    }

    /// `DeauthorizeConnection`: the secrets and the token are dropped; answers the status as
    /// the operation reports it (`DEAUTHORIZING`), the connection is `DEAUTHORIZED` after.
    pub(crate) fn deauthorize(&self, now_ms: u64) -> ConnectionStatus {
        let mut config = self.config.write();
        match &mut config.auth {
            Auth::Basic { password, .. } => password.clear(),
            Auth::ApiKey { value, .. } => value.clear(),
            Auth::OAuth(settings) => settings.client_secret.clear(),
        }
        let mut status = self.status.write();
        status.generation += 1;
        status.token = None;
        status.parameters_removed = true;
        status.state_reason = None;
        status.last_modified_ms = now_ms;
        let mut answer = status.clone();
        answer.state = ConnectionState::Deauthorizing;
        status.state = ConnectionState::Deauthorized;
        answer
    }

    /// The generation of the current settings, for an OAuth fetch to report back with.
    pub fn generation(&self) -> u64 {
        self.status.read().generation
    }

    /// An OAuth token was fetched with the settings of `generation`: the connection is
    /// authorized (unless its settings changed meanwhile).
    pub fn authorized(&self, generation: u64, token: AccessToken, now_ms: u64) -> bool {
        let mut status = self.status.write();
        if status.generation != generation {
            return false;
        }
        status.token = Some(token);
        status.state = ConnectionState::Authorized;
        status.state_reason = None;
        status.last_authorized_ms = now_ms;
        true
    }

    /// The authorization endpoint refused (or could not be reached): the connection is
    /// deauthorized, `reason` says why.
    pub fn authorization_failed(&self, generation: u64, reason: String, now_ms: u64) -> bool {
        let mut status = self.status.write();
        if status.generation != generation {
            return false;
        }
        status.token = None;
        status.state = ConnectionState::Deauthorized;
        status.state_reason = Some(reason);
        status.last_modified_ms = now_ms;
        true
    }

    /// Drops a token the endpoint refused (401/407), keeping the connection's state.
    pub fn forget_token(&self, token: &AccessToken) {
        let mut status = self.status.write();
        if status.token.as_ref() == Some(token) {
            status.token = None;
        }
    }
}

fn initial_state(auth: &Auth) -> ConnectionState {
    match auth {
        Auth::OAuth(_) => ConnectionState::Authorizing,
        _ => ConnectionState::Authorized,
    }
}

/// `ResourceNotFoundException` for a connection (LocalStack's AWS-recorded wording for
/// DescribeConnection, used for every operation).
pub(crate) fn connection_not_found(name: &str) -> EventsError {
    EventsError::ResourceNotFound(format!(
        "Failed to describe the connection(s). Connection '{name}' does not exist."
    ))
}

/// One account's connections and API destinations in one region.
#[derive(Debug, Default)]
pub(crate) struct Connectivity {
    pub(crate) connections: RwLock<BTreeMap<String, Arc<Connection>>>,
    pub(crate) api_destinations: RwLock<BTreeMap<String, Arc<ApiDestination>>>,
}

impl Connectivity {
    pub(crate) fn connection_names(&self) -> Vec<String> {
        self.connections.read().keys().cloned().collect()
    }
}

impl EventsEngine {
    /// `CreateConnection`.
    pub fn create_connection(
        &self,
        account: &str,
        region: &str,
        input: NewConnection,
    ) -> Result<Arc<Connection>, EventsError> {
        let store = self.region(account, region);
        let mut connections = store.connectivity.connections.write();
        if connections.contains_key(&input.name) {
            // LocalStack's wording; no AWS recording found.
            return Err(EventsError::ResourceAlreadyExists(format!(
                "Connection {} already exists.",
                input.name
            )));
        }
        let connection = Arc::new(Connection::create(account, region, input, self.now())?);
        connections.insert(connection.name.clone(), connection.clone());
        Ok(connection)
    }

    /// The connection named `name`.
    pub fn connection(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<Arc<Connection>, EventsError> {
        self.region(account, region)
            .connectivity
            .connections
            .read()
            .get(name)
            .cloned()
            .ok_or_else(|| connection_not_found(name))
    }

    /// The connection with ARN `arn`, if it exists.
    pub fn connection_by_arn(&self, arn: &str) -> Option<Arc<Connection>> {
        let (account, region, rest) = super::events_resource(arn, "connection/")?;
        let (name, _) = rest.split_once('/')?;
        self.region(account, region)
            .connectivity
            .connections
            .read()
            .get(name)
            .filter(|c| c.arn == arn)
            .cloned()
    }

    /// `UpdateConnection`: the connection and its status after the update.
    pub fn update_connection(
        &self,
        account: &str,
        region: &str,
        name: &str,
        update: ConnectionUpdate,
    ) -> Result<(Arc<Connection>, ConnectionStatus), EventsError> {
        let connection = self.connection(account, region, name)?;
        let status = connection.update(update, self.now())?;
        Ok((connection, status))
    }

    /// `DeauthorizeConnection`: the connection and its status as the operation answers it.
    pub fn deauthorize_connection(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<(Arc<Connection>, ConnectionStatus), EventsError> {
        let connection = self.connection(account, region, name)?;
        let status = connection.deauthorize(self.now());
        Ok((connection, status))
    }

    /// `DeleteConnection`: the deleted connection and its last status (`DELETING`). As on AWS
    /// (the operation has no error for it), a connection API destinations use may be deleted;
    /// their calls then fail.
    pub fn delete_connection(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<(Arc<Connection>, ConnectionStatus), EventsError> {
        let removed = self
            .region(account, region)
            .connectivity
            .connections
            .write()
            .remove(name)
            .ok_or_else(|| connection_not_found(name))?;
        let mut status = removed.status();
        status.state = ConnectionState::Deleting;
        status.last_modified_ms = self.now();
        Ok((removed, status))
    }

    /// `ListConnections`, by name.
    pub fn list_connections(
        &self,
        account: &str,
        region: &str,
        prefix: Option<&str>,
        state: Option<&str>,
        token: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Page<Arc<Connection>>, EventsError> {
        let all: Vec<Arc<Connection>> = self
            .region(account, region)
            .connectivity
            .connections
            .read()
            .values()
            .filter(|c| prefix.is_none_or(|p| c.name.starts_with(p)))
            .filter(|c| state.is_none_or(|s| c.state().as_str() == s))
            .cloned()
            .collect();
        super::page(all, token, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::events::api_destination::{ApiDestinationConfig, ApiDestinationState};

    fn engine() -> EventsEngine {
        EventsEngine::new(Arc::new(ManualClock::default()))
    }

    fn basic(name: &str) -> NewConnection {
        NewConnection {
            name: name.into(),
            description: None,
            authorization_type: AuthorizationType::Basic,
            auth: AuthInput {
                basic_username: Some("user".into()),
                basic_password: Some("pass".into()),
                ..AuthInput::default()
            },
            kms_key_identifier: None,
        }
    }

    fn oauth(name: &str) -> NewConnection {
        NewConnection {
            name: name.into(),
            description: None,
            authorization_type: AuthorizationType::OAuthClientCredentials,
            auth: AuthInput {
                oauth_client_id: Some("id".into()),
                oauth_client_secret: Some("secret".into()),
                oauth_authorization_endpoint: Some("https://auth.example/token".into()),
                oauth_http_method: Some("POST".into()),
                ..AuthInput::default()
            },
            kms_key_identifier: None,
        }
    }

    #[test]
    fn basic_and_api_key_connections_are_authorized_at_once_oauth_ones_authorizing() {
        let e = engine();
        let c = e.create_connection("1", "r", basic("b")).expect("create");
        assert_eq!(c.state(), ConnectionState::Authorized);
        assert!(c.arn.starts_with("arn:aws:events:r:1:connection/b/"));
        assert!(c
            .secret_arn
            .starts_with("arn:aws:secretsmanager:r:1:secret:events!connection/b/"));
        let o = e.create_connection("1", "r", oauth("o")).expect("create");
        assert_eq!(o.state(), ConnectionState::Authorizing);
        assert!(matches!(
            e.create_connection("1", "r", basic("b")),
            Err(EventsError::ResourceAlreadyExists(_))
        ));
        // Another account or region has its own names.
        assert!(e.create_connection("2", "r", basic("b")).is_ok());
    }

    #[test]
    fn parameters_of_the_authorization_type_are_required() {
        let e = engine();
        let mut input = basic("x");
        input.authorization_type = AuthorizationType::ApiKey;
        assert!(matches!(
            e.create_connection("1", "r", input),
            Err(EventsError::Validation(_))
        ));
    }

    #[test]
    fn a_token_for_replaced_settings_is_not_kept() {
        let e = engine();
        let c = e.create_connection("1", "r", oauth("o")).expect("create");
        let generation = c.generation();
        let (_, status) = e
            .update_connection("1", "r", "o", ConnectionUpdate::default())
            .expect("update");
        assert_eq!(status.state, ConnectionState::Authorizing);
        let token = AccessToken {
            value: "t".into(),
            expires_at_ms: Some(5_000),
        };
        assert!(!c.authorized(generation, token.clone(), 0), "stale fetch");
        assert!(c.authorized(c.generation(), token.clone(), 0));
        assert_eq!(c.state(), ConnectionState::Authorized);
        assert_eq!(c.valid_token(4_999), Some(token.clone()));
        assert_eq!(c.valid_token(5_000), None, "expired");
        c.forget_token(&token);
        assert_eq!(c.valid_token(0), None);
        assert!(c.authorization_failed(c.generation(), "refused".into(), 1));
        let status = c.status();
        assert_eq!(status.state, ConnectionState::Deauthorized);
        assert_eq!(status.state_reason.as_deref(), Some("refused"));
    }

    #[test]
    fn updates_merge_partial_parameters_and_deauthorizing_drops_the_secrets() {
        let e = engine();
        e.create_connection("1", "r", basic("b")).expect("create");
        let update = ConnectionUpdate {
            auth: Some(AuthInput {
                basic_username: Some("new".into()),
                ..AuthInput::default()
            }),
            description: Some("d".into()),
            ..ConnectionUpdate::default()
        };
        let (c, status) = e.update_connection("1", "r", "b", update).expect("update");
        assert_eq!(status.state, ConnectionState::Authorized);
        let config = c.config();
        assert_eq!(
            config.auth,
            Auth::Basic {
                username: "new".into(),
                password: "pass".into()
            }
        );
        assert_eq!(config.description.as_deref(), Some("d"));
        // Switching type needs the new type's parameters.
        let switch = ConnectionUpdate {
            authorization_type: Some(AuthorizationType::ApiKey),
            ..ConnectionUpdate::default()
        };
        assert!(e.update_connection("1", "r", "b", switch).is_err());

        let (c, answer) = e
            .deauthorize_connection("1", "r", "b")
            .expect("deauthorize");
        assert_eq!(answer.state, ConnectionState::Deauthorizing);
        assert_eq!(c.state(), ConnectionState::Deauthorized);
        assert_eq!(
            c.config().auth,
            Auth::Basic {
                username: "new".into(),
                password: String::new()
            }
        );
        let listed = e
            .list_connections("1", "r", None, Some("DEAUTHORIZED"), None, None)
            .expect("list");
        assert_eq!(listed.items.len(), 1);
        // The secret is gone: authorizing again needs a new one.
        let no_secret = ConnectionUpdate {
            auth: Some(AuthInput {
                basic_username: Some("again".into()),
                ..AuthInput::default()
            }),
            ..ConnectionUpdate::default()
        };
        assert!(e.update_connection("1", "r", "b", no_secret).is_err());
        let with_secret = ConnectionUpdate {
            auth: Some(AuthInput {
                basic_password: Some("fresh".into()),
                ..AuthInput::default()
            }),
            ..ConnectionUpdate::default()
        };
        let (_, status) = e
            .update_connection("1", "r", "b", with_secret)
            .expect("update");
        assert_eq!(status.state, ConnectionState::Authorized);
    }

    #[test]
    fn lookups_by_arn_need_the_exact_arn_and_destinations_follow_their_connection() {
        let e = engine();
        let c = e.create_connection("1", "r", oauth("o")).expect("create");
        assert!(e.connection_by_arn(&c.arn).is_some());
        let other = connection_arn("1", "r", "o", "00000000-0000-0000-0000-000000000000");
        assert!(e.connection_by_arn(&other).is_none());
        let config = ApiDestinationConfig {
            description: None,
            connection_arn: c.arn.clone(),
            invocation_endpoint: "https://api.example/*".into(),
            http_method: "POST".into(),
            invocation_rate_limit_per_second: 300,
        };
        let d = e
            .create_api_destination("1", "r", "d", config.clone())
            .expect("create");
        assert_eq!(
            e.api_destination_by_arn(&d.arn).map(|x| x.name.clone()),
            Some("d".into())
        );
        assert_eq!(e.api_destination_state(&d), ApiDestinationState::Inactive);
        c.authorized(
            c.generation(),
            AccessToken {
                value: "t".into(),
                expires_at_ms: None,
            },
            0,
        );
        assert_eq!(e.api_destination_state(&d), ApiDestinationState::Active);
        let mut missing = config;
        missing.connection_arn = other;
        assert!(matches!(
            e.create_api_destination("1", "r", "d2", missing),
            Err(EventsError::ResourceNotFound(_))
        ));
        let (_, status) = e.delete_connection("1", "r", "o").expect("delete");
        assert_eq!(status.state, ConnectionState::Deleting);
        assert_eq!(e.api_destination_state(&d), ApiDestinationState::Inactive);
        e.delete_api_destination("1", "r", "d").expect("delete");
        assert!(e.api_destination_by_arn(&d.arn).is_none());
        assert!(matches!(
            e.delete_api_destination("1", "r", "d"),
            Err(EventsError::ResourceNotFound(_))
        ));
    }
}
