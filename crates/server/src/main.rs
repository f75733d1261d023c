//! `ferrybridge`: start the emulator (`ferrybridge [FLAGS]`), or ask a running one whether it
//! is healthy (`ferrybridge health`), or print the local CA (`ferrybridge ca print`).

use std::io::IsTerminal;
use std::net::IpAddr;
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use ferrybridge_server::{health_check, start, Config};
use tracing_subscriber::EnvFilter;

/// A local emulator of Amazon SQS, SNS and EventBridge.
///
/// Without a command it starts the emulator. Every flag can also be set through the environment
/// variable shown next to it, so the emulator is configured the same way in a shell, a CI job
/// or a container.
#[derive(Debug, Parser)]
#[command(name = "ferrybridge", version, about, long_about)]
struct Cli {
    #[command(flatten)]
    config: Config,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Ask a running ferrybridge whether it is healthy (GET /_ferrybridge/health on the host
    /// and port the server flags name; 0.0.0.0 and :: are reached through loopback). Exit
    /// status 0 when it is, 1 when not: a container HEALTHCHECK or a CI step.
    Health(HealthArgs),

    /// The local certificate authority that signs the HTTPS certificate (made in --ca-dir on
    /// first use, reused afterwards).
    #[command(subcommand)]
    Ca(CaCommand),

    /// Export or import state (queues, optionally messages, topics, subscriptions, platform
    /// applications and endpoints, SMS attributes, buses, rules, targets, archives,
    /// connections, API destinations) as versioned JSON, offline on the data directory of a stopped
    /// server or through the admin API of a running one (docs/persistence.md).
    #[command(subcommand)]
    State(StateCommand),
}

#[derive(Debug, Subcommand)]
enum CaCommand {
    /// Print the CA certificate (PEM) to standard output, to trust it:
    /// `ferrybridge ca print > ca.pem`, then `AWS_CA_BUNDLE=ca.pem`, `NODE_EXTRA_CA_CERTS=ca.pem`
    /// or boto3's `verify="ca.pem"`. Creates the CA if there is none yet.
    Print(CaArgs),
}

#[derive(Debug, clap::Args)]
struct CaArgs {
    /// Directory of the local CA (default: the server's --ca-dir).
    #[arg(long, env = "FERRYBRIDGE_CA_DIR", value_name = "DIR")]
    ca_dir: Option<std::path::PathBuf>,
}

/// Where `ferrybridge state` reads or writes: a data directory or a running server.
#[derive(Debug, clap::Args)]
struct StateTarget {
    /// The data directory (of a stopped server).
    #[arg(
        long = "data-dir",
        value_name = "DIR",
        id = "state_data_dir",
        required_unless_present = "endpoint",
        conflicts_with = "endpoint"
    )]
    dir: Option<std::path::PathBuf>,
    /// A running server (http://host:port), through its admin API.
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// The running server's admin token (--endpoint).
    #[arg(
        long,
        env = "FERRYBRIDGE_ADMIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    admin_token: Option<String>,
}

#[derive(Debug, Subcommand)]
enum StateCommand {
    /// Print the state of a data directory, or of a running server, as JSON.
    Export {
        #[command(flatten)]
        target: StateTarget,
        /// Only this account.
        #[arg(long)]
        account: Option<String>,
        /// Only this region.
        #[arg(long)]
        region: Option<String>,
        /// Resources only, no messages.
        #[arg(long)]
        no_messages: bool,
        /// Write secrets (connection passwords, API key values, OAuth client secrets, secret
        /// parameter values, platform application credentials) as null. Such a document
        /// imports only once they are filled in.
        #[arg(long)]
        redact_secrets: bool,
    },
    /// Import a state file into a data directory or a running server: everything is
    /// validated first, nothing is applied on error.
    Import {
        file: std::path::PathBuf,
        #[command(flatten)]
        target: StateTarget,
        /// Import into this account: the document's resources and the ARNs naming them move
        /// there (the document must hold one account).
        #[arg(long)]
        account: Option<String>,
        /// Import into this region: the document's resources and the ARNs naming them move
        /// there (the document must hold one region).
        #[arg(long)]
        region: Option<String>,
    },
}

fn state(command: StateCommand) -> std::process::ExitCode {
    use ferrybridge_server::state;
    let result = match command {
        StateCommand::Export {
            target:
                StateTarget {
                    dir,
                    endpoint,
                    admin_token,
                },
            account,
            region,
            no_messages,
            redact_secrets,
        } => match (dir, endpoint) {
            (Some(dir), _) => {
                state::export(&dir, account.as_deref(), region.as_deref(), !no_messages).map(
                    |mut doc| {
                        if redact_secrets {
                            state::redact_secrets(&mut doc);
                        }
                        doc
                    },
                )
            }
            (None, Some(url)) => state::export_remote(
                &url,
                admin_token.as_deref(),
                account.as_deref(),
                region.as_deref(),
                !no_messages,
                redact_secrets,
            ),
            (None, None) => Err("--data-dir or --endpoint is required".into()),
        }
        .map(|doc| {
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }),
        StateCommand::Import {
            file,
            target:
                StateTarget {
                    dir,
                    endpoint,
                    admin_token,
                },
            account,
            region,
        } => state::read(&file)
            .and_then(|mut doc| {
                state::rehome(&mut doc, account.as_deref(), region.as_deref())?;
                Ok(doc)
            })
            .and_then(|doc| match (dir, endpoint) {
                (Some(dir), _) => state::import(&dir, &doc),
                (None, Some(url)) => state::import_remote(&url, admin_token.as_deref(), &doc),
                (None, None) => Err("--data-dir or --endpoint is required".into()),
            })
            .map(|done| {
                eprintln!("imported {done}");
            }),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferrybridge state: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[derive(Debug, clap::Args)]
struct HealthArgs {
    /// Address of the emulator (default: the server's --host).
    #[arg(long, env = "FERRYBRIDGE_HOST")]
    host: Option<IpAddr>,

    /// Port of the emulator (default: the server's --port).
    #[arg(long, env = "FERRYBRIDGE_PORT")]
    port: Option<u16>,

    /// Keep asking (every 100 ms) for up to this many seconds until it is healthy: waits for a
    /// server started in the background.
    #[arg(long, env = "FERRYBRIDGE_HEALTH_WAIT", default_value_t = 0.0, value_parser = seconds)]
    wait: f64,

    /// Seconds allowed for connecting and for the answer, per attempt.
    #[arg(long, env = "FERRYBRIDGE_HEALTH_TIMEOUT", default_value_t = 2.0, value_parser = seconds)]
    timeout: f64,

    /// Print nothing; only the exit status tells.
    #[arg(long, short, env = "FERRYBRIDGE_HEALTH_QUIET")]
    quiet: bool,
}

fn seconds(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(s) if s.is_finite() && (0.0..=86_400.0).contains(&s) => Ok(s),
        _ => Err(format!(
            "a number of seconds from 0 to 86400, not {value:?}"
        )),
    }
}

fn main() -> std::process::ExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
    let config = cli.config.apply_localstack_env(&matches);
    match cli.command {
        Some(Command::Health(args)) => return health(&args, &config),
        Some(Command::Ca(CaCommand::Print(args))) => return ca_print(&args, &config),
        Some(Command::State(command)) => return state(command),
        None => {}
    }
    let filter = EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("ferrybridge: cannot start the runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        // Signal handlers first: a supervisor (or a test) that reads the admin token or `Ready.`
        // may send SIGTERM at once, and before the handlers exist it would kill the process
        // instead of shutting it down.
        let stop = wait_for_signal();
        let server = match start(config).await {
            Ok(server) => server,
            Err(err) if err.kind() == std::io::ErrorKind::InvalidData => {
                eprintln!("ferrybridge: {err}");
                return std::process::ExitCode::FAILURE;
            }
            Err(err) => {
                eprintln!("ferrybridge: cannot listen: {err}");
                return std::process::ExitCode::FAILURE;
            }
        };
        tracing::info!(endpoint = %server.endpoint_url(), "ferrybridge ready");
        match server.admin_token() {
            // The generated token is only known here: print it whatever the log level (on
            // standard error, so that standard output keeps LocalStack's lines).
            Some(token) if server.admin_token_generated() => {
                eprintln!("ferrybridge: admin token (for /_ferrybridge/ admin calls; set --admin-token to choose one): {token}");
            }
            Some(_) => {}
            None => tracing::warn!("--admin-token none: the admin API needs no token"),
        }
        server.run_init_hooks().await;
        // Testcontainers' LocalStack modules wait for exactly this line on standard output.
        {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "Ready.");
            let _ = out.flush();
        }
        stop.await;
        tracing::info!("shutting down (a second signal exits at once)");
        tokio::select! {
            _ = server.shutdown() => std::process::ExitCode::SUCCESS,
            _ = wait_for_signal() => {
                tracing::warn!("second signal: exiting without waiting for requests in flight");
                std::process::ExitCode::from(130)
            }
        }
    })
}

/// `ferrybridge health`: exit 0 when the emulator answers its health endpoint as running.
fn health(args: &HealthArgs, config: &Config) -> std::process::ExitCode {
    let addr = health_check::reachable(
        args.host.unwrap_or(config.host),
        args.port.unwrap_or(config.port),
    );
    let timeout = Duration::from_secs_f64(args.timeout.max(0.05));
    match health_check::check_until(addr, timeout, Duration::from_secs_f64(args.wait)) {
        Ok(body) => {
            if !args.quiet {
                println!("{body}");
            }
            std::process::ExitCode::SUCCESS
        }
        Err(err) => {
            if !args.quiet {
                eprintln!("ferrybridge health: {err}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}

/// `ferrybridge ca print`: the CA certificate of `--ca-dir` (or the default directory).
fn ca_print(args: &CaArgs, config: &Config) -> std::process::ExitCode {
    let Some(dir) = args
        .ca_dir
        .clone()
        .or_else(|| config.ca_dir.clone())
        .or_else(ferrybridge_server::tls::default_ca_dir)
    else {
        eprintln!("ferrybridge ca print: no --ca-dir, XDG_DATA_HOME or HOME");
        return std::process::ExitCode::FAILURE;
    };
    match ferrybridge_server::tls::LocalCa::load_or_create(&dir) {
        Ok(ca) => {
            print!("{}", ca.cert_pem);
            std::process::ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("ferrybridge ca print: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed when this is called
/// (not when the future is first polled), so a signal sent right after `Ready.` is caught.
fn wait_for_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async move {
            match (term, int) {
                (Some(mut term), Some(mut int)) => {
                    tokio::select! {
                        _ = int.recv() => {}
                        _ = term.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
