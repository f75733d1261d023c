//! EventBridge API destinations: an HTTP endpoint, the method to call it with, the connection
//! that authorizes the calls, and how many calls per second it takes.

use std::sync::Arc;

use parking_lot::RwLock;

use super::connection::{Connection, ConnectionState};
use super::{EventsEngine, EventsError, Page};

/// `InvocationRateLimitPerSecond` when none is given (AWS's default).
pub const DEFAULT_RATE_LIMIT_PER_SECOND: u32 = 300;

/// `ApiDestinationState`: `ACTIVE` when its connection is authorized, else `INACTIVE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiDestinationState {
    Active,
    Inactive,
}

impl ApiDestinationState {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiDestinationState::Active => "ACTIVE",
            ApiDestinationState::Inactive => "INACTIVE",
        }
    }
}

/// What an API destination is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiDestinationConfig {
    pub description: Option<String>,
    pub connection_arn: String,
    /// May hold `*` wildcards, filled from the target's `PathParameterValues`.
    pub invocation_endpoint: String,
    pub http_method: String,
    pub invocation_rate_limit_per_second: u32,
}

/// `UpdateApiDestination`'s input: `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct ApiDestinationUpdate {
    pub description: Option<String>,
    pub connection_arn: Option<String>,
    pub invocation_endpoint: Option<String>,
    pub http_method: Option<String>,
    pub invocation_rate_limit_per_second: Option<u32>,
}

/// One API destination.
#[derive(Debug)]
pub struct ApiDestination {
    pub name: String,
    pub arn: String,
    pub account_id: String,
    pub region: String,
    pub created_ms: u64,
    config: RwLock<(ApiDestinationConfig, u64)>,
}

/// An API destination's ARN: `arn:aws:events:<region>:<account>:api-destination/<name>/<uuid>`.
pub fn api_destination_arn(account: &str, region: &str, name: &str, id: &str) -> String {
    format!("arn:aws:events:{region}:{account}:api-destination/{name}/{id}")
}

impl ApiDestination {
    pub(crate) fn new(
        account: &str,
        region: &str,
        name: &str,
        config: ApiDestinationConfig,
        now_ms: u64,
    ) -> ApiDestination {
        ApiDestination {
            name: name.to_owned(),
            arn: api_destination_arn(account, region, name, &uuid::Uuid::new_v4().to_string()),
            account_id: account.to_owned(),
            region: region.to_owned(),
            created_ms: now_ms,
            config: RwLock::new((config, now_ms)),
        }
    }

    /// An API destination as it was journaled (`--data-dir`).
    pub(crate) fn restored(
        name: String,
        arn: String,
        account_id: String,
        region: String,
        created_ms: u64,
        config: ApiDestinationConfig,
        last_modified_ms: u64,
    ) -> ApiDestination {
        ApiDestination {
            name,
            arn,
            account_id,
            region,
            created_ms,
            config: RwLock::new((config, last_modified_ms)),
        }
    }

    pub fn config(&self) -> ApiDestinationConfig {
        self.config.read().0.clone()
    }

    pub fn last_modified_ms(&self) -> u64 {
        self.config.read().1
    }

    pub(crate) fn update(&self, update: ApiDestinationUpdate, now_ms: u64) {
        let mut guard = self.config.write();
        let (config, modified) = &mut *guard;
        if let Some(d) = update.description {
            config.description = Some(d);
        }
        if let Some(c) = update.connection_arn {
            config.connection_arn = c;
        }
        if let Some(e) = update.invocation_endpoint {
            config.invocation_endpoint = e;
        }
        if let Some(m) = update.http_method {
            config.http_method = m;
        }
        if let Some(r) = update.invocation_rate_limit_per_second {
            config.invocation_rate_limit_per_second = r;
        }
        *modified = now_ms;
    }
}

/// `ResourceNotFoundException` for an API destination (LocalStack's AWS-recorded wording for
/// DescribeApiDestination, used for every operation).
pub(crate) fn api_destination_not_found(name: &str) -> EventsError {
    EventsError::ResourceNotFound(format!(
        "Failed to describe the api-destination(s). An api-destination '{name}' does not exist."
    ))
}

impl EventsEngine {
    /// `CreateApiDestination`. The connection must exist.
    pub fn create_api_destination(
        &self,
        account: &str,
        region: &str,
        name: &str,
        config: ApiDestinationConfig,
    ) -> Result<Arc<ApiDestination>, EventsError> {
        self.existing_connection(&config.connection_arn)?;
        let store = self.region(account, region);
        let mut destinations = store.connectivity.api_destinations.write();
        if destinations.contains_key(name) {
            // LocalStack's wording; no AWS recording found.
            return Err(EventsError::ResourceAlreadyExists(format!(
                "An api-destination '{name}' already exists."
            )));
        }
        let destination = Arc::new(ApiDestination::new(
            account,
            region,
            name,
            config,
            self.now(),
        ));
        destinations.insert(name.to_owned(), destination.clone());
        Ok(destination)
    }

    fn existing_connection(&self, arn: &str) -> Result<Arc<Connection>, EventsError> {
        self.connection_by_arn(arn).ok_or_else(|| {
            // No AWS recording of this text.
            EventsError::ResourceNotFound(format!("Connection '{arn}' does not exist."))
        })
    }

    /// The API destination named `name`.
    pub fn api_destination(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<Arc<ApiDestination>, EventsError> {
        self.region(account, region)
            .connectivity
            .api_destinations
            .read()
            .get(name)
            .cloned()
            .ok_or_else(|| api_destination_not_found(name))
    }

    /// The API destination with ARN `arn`, if it exists.
    pub fn api_destination_by_arn(&self, arn: &str) -> Option<Arc<ApiDestination>> {
        let (account, region, rest) = super::events_resource(arn, "api-destination/")?;
        let (name, _) = rest.split_once('/')?;
        self.region(account, region)
            .connectivity
            .api_destinations
            .read()
            .get(name)
            .filter(|d| d.arn == arn)
            .cloned()
    }

    /// The state of `destination`: `ACTIVE` while its connection exists and is authorized.
    pub fn api_destination_state(&self, destination: &ApiDestination) -> ApiDestinationState {
        match self.connection_by_arn(&destination.config().connection_arn) {
            Some(c) if c.state() == ConnectionState::Authorized => ApiDestinationState::Active,
            _ => ApiDestinationState::Inactive,
        }
    }

    /// `UpdateApiDestination`.
    pub fn update_api_destination(
        &self,
        account: &str,
        region: &str,
        name: &str,
        update: ApiDestinationUpdate,
    ) -> Result<Arc<ApiDestination>, EventsError> {
        let destination = self.api_destination(account, region, name)?;
        if let Some(arn) = &update.connection_arn {
            self.existing_connection(arn)?;
        }
        destination.update(update, self.now());
        Ok(destination)
    }

    /// `DeleteApiDestination`.
    pub fn delete_api_destination(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<(), EventsError> {
        self.region(account, region)
            .connectivity
            .api_destinations
            .write()
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| api_destination_not_found(name))
    }

    /// `ListApiDestinations`, by name.
    pub fn list_api_destinations(
        &self,
        account: &str,
        region: &str,
        prefix: Option<&str>,
        connection_arn: Option<&str>,
        token: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Page<Arc<ApiDestination>>, EventsError> {
        let all: Vec<Arc<ApiDestination>> = self
            .region(account, region)
            .connectivity
            .api_destinations
            .read()
            .values()
            .filter(|d| prefix.is_none_or(|p| d.name.starts_with(p)))
            .filter(|d| connection_arn.is_none_or(|c| d.config().connection_arn == c))
            .cloned()
            .collect();
        super::page(all, token, limit)
    }
}
