//! The application a server runs: the services and engines built from the configuration, and
//! which services answer (`--services`). Every connection shares one [`App`]; how it answers a
//! request is in `crate::dispatch`, the admin API in `crate::admin`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use ferrybridge_engine::clock::Clock;
use ferrybridge_engine::events::EventsEngine;
use ferrybridge_engine::reset::Resets;
use ferrybridge_engine::sns::SnsEngine;
use ferrybridge_engine::sqs::SqsEngine;
use ferrybridge_engine::sts::StsEngine;
use ferrybridge_events::Events;
use ferrybridge_protocol::{Codec, ServiceError};
use ferrybridge_sns::Sns;
use ferrybridge_sqs::Sqs;
use ferrybridge_sts::Sts;

use crate::Config;

/// Everything a request needs, shared by all connections.
pub(crate) struct App {
    pub(crate) config: Config,
    /// The wire codecs (`crate::dispatch` decodes requests and encodes answers with them).
    pub(crate) codec: Codec,
    pub(crate) sqs: Sqs,
    /// The SQS engine: parked long polls end through it when the server stops; resets.
    pub(crate) sqs_engine: Arc<SqsEngine>,
    pub(crate) sns: Sns,
    pub(crate) events: Events,
    pub(crate) sts: Sts,
    pub(crate) resets: Arc<Resets>,
    /// The services that answer (`None`: all), from `--services` / SERVICES.
    pub(crate) enabled: Option<Vec<String>>,
    /// Init hooks and their states, for `/_localstack/init`.
    pub(crate) init: Arc<crate::init_hooks::InitStatus>,
    pub(crate) started: Instant,
    /// Host/Origin checks, CORS and the admin token (issue 17).
    pub(crate) guard: crate::browser_guard::Guard,
    /// SigV4 verification (`crate::auth`), which `crate::dispatch` runs on each request.
    pub(crate) auth: crate::auth::Verifier,
    /// `--data-dir`: answers to requests that changed state wait until the change is durable.
    pub(crate) journal: Option<crate::persistence::Persisted>,
}

impl App {
    /// Builds the services; SNS delivery workers are spawned on the current tokio runtime.
    /// `addr`: where the listener is bound (links in messages sent in the background point there).
    /// `persisted`: the opened `--data-dir`, restored into the engines here.
    pub(crate) fn new(
        config: Config,
        clock: Arc<dyn Clock>,
        addr: SocketAddr,
        persisted: Option<crate::persistence::Opened>,
    ) -> Result<Self, String> {
        let resets = Arc::new(Resets::new());
        let auth = crate::auth::Verifier::without_sources(&config, clock.clone());
        let mut sqs_engine = SqsEngine::new(clock.clone()).with_resets(resets.clone());
        let mut sts_engine = StsEngine::new(clock.clone());
        let mut sns_engine = SnsEngine::new(clock.clone()).with_resets(resets.clone());
        let mut events_engine = EventsEngine::new(clock).with_resets(resets.clone());
        let journal = persisted
            .map(|p| {
                p.attach_server(
                    &mut sqs_engine,
                    &mut sts_engine,
                    &mut sns_engine,
                    &mut events_engine,
                )
            })
            .transpose()?;
        // `--data-dir`: the signing key is kept, so that signatures and SigningCertURLs from
        // before a restart still verify after it.
        let signer = match &journal {
            Some(j) => ferrybridge_sns::Signer::load_or_create(
                &j.dir().join(crate::persistence::SNS_SIGNING_KEY_FILE),
            )?,
            None => ferrybridge_sns::Signer::shared(),
        };
        let sqs_engine = Arc::new(sqs_engine);
        let sts = Sts::new(Arc::new(sts_engine), &config.default_account_id);
        let (sns, workers) = Sns::new(Arc::new(sns_engine), sqs_engine.clone(), signer);
        let checks = config.cross_account_checks;
        let sns = sns
            .with_async_delivery(config.async_delivery)
            .with_access_checks(checks)
            .with_enforced_policies(config.enforce_policies);
        for task in workers.into_tasks() {
            tokio::spawn(task);
        }
        let host = if addr.ip().is_unspecified() {
            format!("localhost:{}", addr.port())
        } else {
            addr.to_string()
        };
        let base: Arc<str> = Arc::from(format!("http://{host}"));
        let (events, workers) = Events::new(
            Arc::new(events_engine),
            sqs_engine.clone(),
            sns.clone(),
            base,
        );
        let events = events
            .with_async_delivery(config.async_delivery)
            .with_access_checks(checks);
        for task in workers.into_tasks() {
            tokio::spawn(task);
        }
        let enabled = config.services.as_deref().map(parse_services);
        let guard = crate::browser_guard::Guard::new(&config, addr);
        if let Some(list) = config.outbound_allow.as_deref() {
            // Process-wide (the outbound client is shared by all deliveries of the process).
            ferrybridge_http::set_outbound_allow(Some(list));
        }
        Ok(App {
            guard,
            codec: Codec::new(),
            sqs: Sqs::new(sqs_engine.clone())
                .with_queue_url_style(config.queue_url_style)
                .with_access_checks(checks),
            sqs_engine,
            sns,
            events,
            sts,
            resets,
            enabled,
            init: Arc::new(crate::init_hooks::InitStatus::default()),
            started: Instant::now(),
            auth,
            config,
            journal,
        })
    }

    /// Uses `verifier` (built from the configured credentials source) for SigV4 verification.
    pub(crate) fn with_verifier(mut self, verifier: crate::auth::Verifier) -> Self {
        tracing::debug!(
            strict = verifier.strict(),
            configured_keys = verifier.configured_keys(),
            "signature verification"
        );
        self.auth = verifier;
        self
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    /// The server is stopping: parked long polls answer now (empty), as when their wait ends.
    pub(crate) fn begin_shutdown(&self) {
        self.sqs_engine.end_long_polls();
    }
}

/// The services this emulator answers, by signing name. (STS adds itself here when it lands.)
pub(crate) const EMULATED: &[&str] = &["sqs", "sns", "events", "sts"];

/// `--services` / SERVICES: a comma-separated list (LocalStack's `eventbridge` is `events`).
pub(crate) fn parse_services(list: &str) -> Vec<String> {
    list.split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s == "eventbridge" {
                "events".into()
            } else {
                s
            }
        })
        .collect()
}

/// LocalStack's error for a service left out of SERVICES, if `service` is.
pub(crate) fn disabled(enabled: Option<&[String]>, service: &str) -> Option<ServiceError> {
    let enabled = enabled?;
    if enabled.iter().any(|s| s == service) {
        return None;
    }
    // source: LocalStack's service request router (InternalFailure, this text).
    Some(ServiceError::new(
        "InternalFailure",
        format!(
            "Service '{service}' is not enabled. Please check your 'SERVICES' configuration variable."
        ),
    ))
}
