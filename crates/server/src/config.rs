//! Command-line flags and environment variables of the `ferrybridge` binary.

use clap::Parser;
use ferrybridge_sqs::url::QueueUrlStyle;
use std::net::IpAddr;
use std::path::PathBuf;

/// A local emulator of Amazon SQS, SNS and EventBridge.
///
/// Every flag can also be set through the environment variable named in its help, so that
/// the emulator can be configured the same way in a shell, a CI job or a container.
#[derive(Debug, Clone, Parser)]
#[command(name = "ferrybridge", version, about)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "FERRYBRIDGE_HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,

    /// Port to listen on (0 picks a free port and prints it).
    #[arg(long, env = "FERRYBRIDGE_PORT", default_value_t = 4566)]
    pub port: u16,

    /// Region used when a request carries no SigV4 credential scope.
    #[arg(long, env = "FERRYBRIDGE_DEFAULT_REGION", default_value = "us-east-1")]
    pub default_region: String,

    /// Account id used when the access key is not itself a 12-digit account id.
    #[arg(
        long,
        env = "FERRYBRIDGE_DEFAULT_ACCOUNT_ID",
        default_value = "000000000000",
        value_parser = account_id
    )]
    pub default_account_id: String,

    /// Log filter (error, warn, info, debug, trace, or a tracing filter directive).
    /// At `debug` every request is logged on one line.
    #[arg(long, env = "FERRYBRIDGE_LOG", default_value = "info")]
    pub log_level: String,

    /// Accept requests without an `Authorization` header (as if signed with the defaults).
    /// AWS rejects them with MissingAuthenticationToken; so do we unless this is set.
    #[arg(long, env = "FERRYBRIDGE_ALLOW_UNSIGNED", default_value_t = false)]
    pub allow_unsigned: bool,

    /// Seconds a client has to send a request's head (the request line and headers) once it
    /// starts one or keeps an idle connection open; slower clients are disconnected so that
    /// half-sent requests cannot hold connections forever.
    #[arg(long, env = "FERRYBRIDGE_HEADER_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout: u64,

    /// Most connections served at once; further clients wait to be accepted.
    #[arg(long, env = "FERRYBRIDGE_MAX_CONNECTIONS", default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// How SQS queue URLs look: `plain` (`http://<host>/<account>/<name>`, the host the client
    /// used), `host` (AWS's form on loopback: `http://sqs.<region>.localhost:<port>/<account>/<name>`)
    /// or `path` (`http://<host>/queue/<region>/<account>/<name>`). `host` and `path` tell
    /// queues of the same name in two regions apart. Every form is accepted on input.
    #[arg(
        long,
        env = "FERRYBRIDGE_QUEUE_URL_STYLE",
        default_value = "plain",
        value_parser = queue_url_style
    )]
    pub queue_url_style: QueueUrlStyle,

    /// Start-up resources (queues, topics, subscriptions, buses, rules, ...) to create before
    /// the port answers: a TOML (`.toml`) or YAML (`.yaml`, `.yml`) file.
    #[arg(long = "config", env = "FERRYBRIDGE_CONFIG", value_name = "FILE")]
    pub config_file: Option<PathBuf>,

    /// A directory of executable scripts run in lexical order once the server is ready
    /// (LocalStack's `ready.d`), with AWS_ENDPOINT_URL and test credentials set.
    #[arg(long, env = "FERRYBRIDGE_INIT_DIR", value_name = "DIR")]
    pub init_dir: Option<PathBuf>,

    /// Deliver everything in the background: Publish, PublishBatch and PutEvents answer before
    /// the first delivery into this emulator's own queues, topics and buses is attempted.
    #[arg(long, env = "FERRYBRIDGE_ASYNC_DELIVERY", default_value_t = false)]
    pub async_delivery: bool,

    /// Host (and port) used in URLs the emulator returns (queue URLs, SNS links) instead of
    /// the request's Host header. LocalStack's LOCALSTACK_HOST is honoured too.
    #[arg(long, env = "FERRYBRIDGE_PUBLIC_HOST", value_name = "HOST[:PORT]")]
    pub public_host: Option<String>,

    /// The services that answer (comma-separated: sqs, sns, events, sts); the others answer
    /// an AWS-shaped error. Default: all. LocalStack's SERVICES is honoured too.
    #[arg(long, env = "FERRYBRIDGE_SERVICES", value_name = "LIST")]
    pub services: Option<String>,

    // ---- Accounts and resource policies ----
    /// Let any account act on any other account's queues, topics and bus rules (the behaviour
    /// before account checks, and LocalStack's); FERRYBRIDGE_CROSS_ACCOUNT_CHECKS=false does the
    /// same. By default a caller of another account needs a grant in the resource's policy,
    /// and an explicit Deny stops anyone, as on AWS.
    #[arg(
        long = "no-cross-account-checks",
        env = "FERRYBRIDGE_CROSS_ACCOUNT_CHECKS",
        action = clap::ArgAction::SetFalse
    )]
    pub cross_account_checks: bool,

    /// Refuse service deliveries (SNS -> SQS, EventBridge -> SQS and SNS) that the target's
    /// resource policy does not allow, as AWS does (DLQ with AccessDenied / NO_PERMISSIONS).
    /// Off by default: such deliveries go through with a warning, once per subscription or
    /// target.
    #[arg(long, env = "FERRYBRIDGE_ENFORCE_POLICIES", default_value_t = false)]
    pub enforce_policies: bool,

    // --- HTTPS (issue 17 item 4): TLS on the same port, a local CA ---
    /// Serve plain HTTP only: no TLS on the port, no local CA (SNS `SigningCertURL`s stay
    /// `http://`). By default a connection whose first byte is a TLS handshake is served
    /// over TLS with a certificate from the local CA (`--ca-dir`), everything else as HTTP.
    #[arg(long, env = "FERRYBRIDGE_NO_HTTPS", default_value_t = false)]
    pub no_https: bool,

    /// Also listen on this port for TLS only (the main port keeps serving both); 0 picks a
    /// free port. SNS `SigningCertURL`s then name this port.
    #[arg(long, env = "FERRYBRIDGE_HTTPS_PORT", value_name = "PORT")]
    pub https_port: Option<u16>,

    /// Directory of the local certificate authority (`ca.pem`, `ca-key.pem`, both 0600):
    /// created with a new CA on first start, reused afterwards. Default:
    /// `$XDG_DATA_HOME/ferrybridge/ca`, else `~/.local/share/ferrybridge/ca`.
    #[arg(long, env = "FERRYBRIDGE_CA_DIR", value_name = "DIR")]
    pub ca_dir: Option<PathBuf>,

    // ---- Browser safety, the admin API and outbound calls (issue 17; see
    // ---- `crate::browser_guard` and README "Security model").
    /// Web origins (comma-separated, e.g. `http://localhost:3000`) whose pages may call the
    /// emulator: their requests pass the Origin check and get CORS headers. Default: none, so
    /// no web page can make a browser change or read local state. `*` allows any origin.
    /// LocalStack's EXTRA_CORS_ALLOWED_ORIGINS is honoured too.
    #[arg(long, env = "FERRYBRIDGE_CORS_ORIGINS", value_name = "LIST")]
    pub cors_origins: Option<String>,

    /// Extra names the emulator answers to in the `Host` header (comma-separated; `*.example.test`
    /// matches subdomains, `*` any host). Always accepted: IP literals, `localhost` and
    /// `*.localhost`, single-label names (docker service names), `*.internal`
    /// (`host.docker.internal`), `*.local` (Kubernetes service names),
    /// `localhost.localstack.cloud` and its subdomains,
    /// `*.amazonaws.com` and `--public-host`. Other names are refused to shut DNS rebinding.
    #[arg(long, env = "FERRYBRIDGE_ALLOWED_HOSTS", value_name = "LIST")]
    pub allowed_hosts: Option<String>,

    /// Token the admin endpoints that change state or reveal data require, sent as
    /// `Authorization: Bearer TOKEN` or `x-ferrybridge-admin-token: TOKEN`. Unset: a random
    /// token is generated at start and printed in the `ferrybridge ready` log line (and given
    /// to init hooks as FERRYBRIDGE_ADMIN_TOKEN). `none` turns the check off.
    #[arg(long, env = "FERRYBRIDGE_ADMIN_TOKEN", value_name = "TOKEN")]
    pub admin_token: Option<String>,

    /// Hosts that deliveries (SNS HTTP/S subscriptions, EventBridge API destinations and their
    /// OAuth token requests) may call (comma-separated patterns: `api.example.com`,
    /// `*.example.com`, `127.0.0.1`, `*`). Default: any. A refused call fails like an
    /// unreachable endpoint and is logged.
    #[arg(long, env = "FERRYBRIDGE_OUTBOUND_ALLOW", value_name = "LIST")]
    pub outbound_allow: Option<String>,

    // --- Signatures: SigV4 verification (crates/server/src/auth.rs, README "Security model") ---
    /// SigV4 verification: `auto` (default) verifies every key whose secret is known (from
    /// --credentials / --credentials-map, or issued by STS) and, once a credentials source is
    /// configured, refuses unknown keys except the test credentials (`test`, 12-digit account
    /// ids); `on` also verifies the test credentials (secret `test`) and refuses unknown keys;
    /// `off` checks nothing. A bare `--verify-signatures` means `on`.
    #[arg(
        long,
        env = "FERRYBRIDGE_VERIFY_SIGNATURES",
        num_args = 0..=1,
        default_value = "auto",
        default_missing_value = "on",
        value_name = "on|off|auto",
        value_parser = verify_signatures
    )]
    pub verify_signatures: VerifySignatures,

    /// Access keys and their secrets, in the AWS shared-credentials file format (`[profile]`
    /// sections with aws_access_key_id, aws_secret_access_key, optional aws_session_token and
    /// aws_account_id: the account the key acts in).
    #[arg(
        long = "credentials",
        env = "FERRYBRIDGE_CREDENTIALS_FILE",
        value_name = "FILE"
    )]
    pub credentials_file: Option<PathBuf>,

    /// Access keys and their secrets as `AKID=SECRET[:ACCOUNT]`, separated by commas (ACCOUNT:
    /// the 12-digit account the key acts in; default: --default-account-id).
    #[arg(
        long = "credentials-map",
        env = "FERRYBRIDGE_CREDENTIALS",
        value_name = "AKID=SECRET[:ACCOUNT],..."
    )]
    pub credentials_map: Option<String>,

    // --- persistence (`--data-dir`; see docs/persistence.md) ---
    /// Keep all state in this directory and restore it at start (off by default: state lives
    /// in memory only). A request that changed state is answered only once the change is on
    /// disk (fsync), so what was acknowledged survives `kill -9`.
    #[arg(long, env = "FERRYBRIDGE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// With --data-dir: `always` syncs before answering (default); `interval:MS` answers once
    /// the change is written and syncs at most every MS milliseconds (faster; a power loss, not
    /// a killed process, can lose the last MS milliseconds).
    #[arg(long, env = "FERRYBRIDGE_FSYNC", default_value = "always", value_parser = fsync_mode)]
    pub fsync: ferrybridge_store::Fsync,

    /// A state file (`ferrybridge state export`'s JSON) imported at start: its queues are
    /// created unless they exist, with their messages (see docs/persistence.md).
    #[arg(long, env = "FERRYBRIDGE_STATE_FILE", value_name = "FILE")]
    pub state_file: Option<PathBuf>,
    // --- end persistence ---
}

impl Config {
    /// The configuration used by tests and embedders: loopback, an ephemeral port, defaults.
    pub fn ephemeral() -> Self {
        Config {
            host: IpAddr::from([127, 0, 0, 1]),
            port: 0,
            default_region: "us-east-1".into(),
            default_account_id: "000000000000".into(),
            log_level: "warn".into(),
            allow_unsigned: false,
            header_timeout: 30,
            max_connections: 4096,
            queue_url_style: QueueUrlStyle::Plain,
            config_file: None,
            init_dir: None,
            async_delivery: false,
            public_host: None,
            services: None,
            cross_account_checks: true,
            enforce_policies: false,

            // Embedders and tests get plain HTTP unless they ask: no CA written to $HOME.
            no_https: true,
            https_port: None,
            ca_dir: None,

            cors_origins: None,
            allowed_hosts: None,
            admin_token: None,
            outbound_allow: None,

            verify_signatures: VerifySignatures::Auto,
            credentials_file: None,
            credentials_map: None,

            data_dir: None,
            fsync: ferrybridge_store::Fsync::Always,
            state_file: None,
        }
    }

    /// Applies LocalStack's environment variables where ferrybridge's own flags and variables
    /// left the default (`matches`: the parsed command line this configuration came from):
    /// GATEWAY_LISTEN (`[host]:port`, the first of a list), DEFAULT_REGION, LOCALSTACK_HOST,
    /// SERVICES, EXTRA_CORS_ALLOWED_ORIGINS.
    pub fn apply_localstack_env(mut self, matches: &clap::ArgMatches) -> Self {
        use clap::parser::ValueSource;
        let config = &mut self;
        let defaulted = |id: &str| {
            matches
                .value_source(id)
                .is_none_or(|s| s == ValueSource::DefaultValue)
        };
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        if let Some(listen) = var("GATEWAY_LISTEN") {
            let first = listen.split(',').next().unwrap_or("").trim();
            let (host, port) = first.rsplit_once(':').unwrap_or(("", first));
            if defaulted("port") {
                if let Ok(port) = port.parse() {
                    config.port = port;
                }
            }
            if defaulted("host") {
                if let Ok(host) = host.trim_matches(['[', ']']).parse() {
                    config.host = host;
                } else if host.is_empty() {
                    // LocalStack's ":4566" listens on every interface.
                    config.host = IpAddr::from([0, 0, 0, 0]);
                }
            }
        }
        if defaulted("default_region") {
            if let Some(region) = var("DEFAULT_REGION") {
                config.default_region = region;
            }
        }
        if config.public_host.is_none() {
            config.public_host = var("LOCALSTACK_HOST");
        }
        if config.services.is_none() {
            config.services = var("SERVICES");
        }
        if config.cors_origins.is_none() {
            config.cors_origins = var("EXTRA_CORS_ALLOWED_ORIGINS");
        }
        self
    }
}

/// AWS account ids are exactly 12 digits; queue URLs and ARNs are built from them.
fn account_id(value: &str) -> Result<String, String> {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value.to_owned())
    } else {
        Err(format!("an account id is 12 digits, not {value:?}"))
    }
}

/// `--verify-signatures`: see the flag's help and `crate::auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VerifySignatures {
    On,
    Off,
    #[default]
    Auto,
}

fn verify_signatures(value: &str) -> Result<VerifySignatures, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" | "strict" => Ok(VerifySignatures::On),
        "off" | "false" | "0" | "no" => Ok(VerifySignatures::Off),
        "auto" | "" => Ok(VerifySignatures::Auto),
        other => Err(format!("expected on, off or auto, not {other:?}")),
    }
}

fn queue_url_style(value: &str) -> Result<QueueUrlStyle, String> {
    value.parse()
}

fn fsync_mode(value: &str) -> Result<ferrybridge_store::Fsync, String> {
    value.parse()
}
