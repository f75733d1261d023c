//! `ferrybridge`: start the emulator.

use std::io::IsTerminal;

use clap::Parser;
use ferrybridge_server::{start, Config};
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    let config = Config::parse();
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
        let server = match start(config).await {
            Ok(server) => server,
            Err(err) => {
                eprintln!("ferrybridge: cannot listen: {err}");
                return std::process::ExitCode::FAILURE;
            }
        };
        tracing::info!(endpoint = %server.endpoint_url(), "ferrybridge ready");
        wait_for_signal().await;
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

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
